/* master.h - the prefork master: spawn, respawn, recycle, reload, stop. */
#ifndef COFFER_MASTER_H
#define COFFER_MASTER_H

#include "base/conf.h"

/*
 * Bind the sockets, drop privileges, fork conf->workers workers and supervise
 * them until SIGTERM/SIGINT/SIGQUIT; reload conf_path on SIGHUP.  Takes
 * ownership of *conf.  Returns the process exit status (0 after a clean
 * stop); a startup failure is reported in one line and returns 1.
 */
int master_run(struct conf *conf, const char *conf_path, int foreground);

#endif
