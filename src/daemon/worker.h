/* worker.h - a pool process: accept one FastCGI request at a time and serve it. */
#ifndef COFFER_WORKER_H
#define COFFER_WORKER_H

#include "base/conf.h"

/* Exit status of a worker that served max_requests and wants replacing. */
#define WORKER_EXIT_RECYCLE 3

/*
 * Serve requests from listen_fd until the master closes ctl_fd (drain),
 * SIGTERM arrives, or max_requests is reached; a request in progress
 * always completes first.  Runs in the forked child and never returns.
 */
_Noreturn void worker_main(const struct conf *conf, int listen_fd, int ctl_fd, int slot);

#endif
