/* master.c - prefork supervision; never touches requests, the database or storage. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "engine/auth.h"
#include "daemon/listen.h"
#include "base/log.h"
#include "daemon/master.h"
#include "daemon/scoreboard.h"
#include "daemon/worker.h"
#include "base/xmalloc.h"

struct master_proc {
	pid_t		 pid;		/* 0: slot unused */
	uint32_t	 generation;
	int		 ctl_fd;	/* write end; closed to ask for a drain */
	int64_t		 drain_deadline;
	int		 killed;	/* SIGKILL sent by us */
};

static struct master_proc procs[SB_SLOTS];
static struct conf master_conf;
/* conf_workers(&master_conf), resolved when a configuration is adopted. */
static int master_workers;
static const char *master_conf_path;
static struct listener master_listener;
static int master_status_fd = -1;
static int master_sigpipe[2] = { -1, -1 };
static uint32_t master_gen = 1;
static int master_stopping;
static int64_t master_stop_deadline;

/* Restart-storm detection: times of recent abnormal deaths. */
static int64_t *storm_times;
static size_t storm_len, storm_next;
static int64_t storm_backoff_ms, storm_until, storm_last;

static void
master_on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;
	ssize_t n;

	/* A full pipe already holds a wakeup: nothing is lost.  (A (void)
	 * cast does not silence warn_unused_result under _FORTIFY_SOURCE.) */
	n = write(master_sigpipe[1], &c, 1);
	(void)n;
	errno = saved;
}

static void
master_signals(void)
{
	struct sigaction sa;
	static const int sigs[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT };
	size_t i;

	if (pipe2(master_sigpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = master_on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int
master_count_generation(uint32_t gen)
{
	int i, n = 0;

	for (i = 0; i < SB_SLOTS; i++)
		if (procs[i].pid != 0 && procs[i].generation == gen)
			n++;
	return n;
}

static int
master_live(void)
{
	int i, n = 0;

	for (i = 0; i < SB_SLOTS; i++)
		n += procs[i].pid != 0;
	return n;
}

static int
master_spawn(void)
{
	struct sb_slot *s;
	int slot, fds[2], i;
	pid_t pid;

	for (slot = 0; slot < SB_SLOTS; slot++)
		if (procs[slot].pid == 0)
			break;
	if (slot == SB_SLOTS) {
		log_warnx("no free scoreboard slot; delaying a worker start");
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		log_warn("pipe");
		return -1;
	}
	s = &sb->slots[slot];
	memset(s, 0, sizeof(*s));
	s->generation = master_gen;
	s->started_ms = sb_now_ms();
	s->state = SB_STARTING;

	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(fds[0]);
		close(fds[1]);
		s->state = SB_FREE;
		return -1;
	}
	if (pid == 0) {
		/* A worker holding any write end would never see its drain. */
		for (i = 0; i < SB_SLOTS; i++)
			if (procs[i].pid != 0 && procs[i].ctl_fd != -1)
				close(procs[i].ctl_fd);
		close(fds[1]);
		close(master_sigpipe[0]);
		close(master_sigpipe[1]);
		if (master_status_fd != -1)
			close(master_status_fd);
		worker_main(&master_conf, master_listener.fd, fds[0], slot);
	}
	close(fds[0]);
	s->pid = pid;
	procs[slot].pid = pid;
	procs[slot].generation = master_gen;
	procs[slot].ctl_fd = fds[1];
	procs[slot].drain_deadline = 0;
	procs[slot].killed = 0;
	return 0;
}

static void
master_drain(struct master_proc *p, int64_t deadline)
{
	if (p->ctl_fd != -1) {
		close(p->ctl_fd);
		p->ctl_fd = -1;
	}
	if (p->drain_deadline == 0 || deadline < p->drain_deadline)
		p->drain_deadline = deadline;
}

/* Size the death history for the current threshold (start and reload). */
static void
master_storm_reset(void)
{
	free(storm_times);
	storm_len = (size_t)master_conf.restart_threshold;
	storm_times = xcalloc(storm_len, sizeof(*storm_times));
	storm_next = 0;
}

/* Count an abnormal death; past the threshold, back off respawning. */
static void
master_storm_note(int64_t now)
{
	size_t i, recent = 0;

	storm_times[storm_next] = now;
	storm_next = (storm_next + 1) % storm_len;
	for (i = 0; i < storm_len; i++)
		if (storm_times[i] != 0 &&
		    now - storm_times[i] <= master_conf.restart_interval_ms)
			recent++;
	if (recent < storm_len)
		return;
	if (now - storm_last > master_conf.restart_interval_ms * 2)
		storm_backoff_ms = 0;
	storm_backoff_ms = storm_backoff_ms ? storm_backoff_ms * 2 : 1000;
	if (storm_backoff_ms > 60000)
		storm_backoff_ms = 60000;
	storm_until = now + storm_backoff_ms;
	storm_last = now;
	memset(storm_times, 0, storm_len * sizeof(*storm_times));
	log_errorx("RESTART STORM: %zu workers died within %lld ms; "
	    "not starting workers for %lld ms (check the log above for why they die)",
	    storm_len, (long long)master_conf.restart_interval_ms,
	    (long long)storm_backoff_ms);
	sd_notifyf(0, "STATUS=restart storm: backing off %lld ms",
	    (long long)storm_backoff_ms);
}

static void
master_reap(void)
{
	int status, slot;
	pid_t pid;
	int64_t now = sb_now_ms();

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (slot = 0; slot < SB_SLOTS; slot++)
			if (procs[slot].pid == pid)
				break;
		if (slot == SB_SLOTS)
			continue;
		if (procs[slot].ctl_fd != -1)
			close(procs[slot].ctl_fd);
		if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_RECYCLE) {
			log_info("worker %ld exited after max_requests; replacing it", (long)pid);
			__atomic_add_fetch(&sb->recycled, 1, __ATOMIC_RELAXED);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			log_debug("worker %ld exited", (long)pid);
		} else {
			if (WIFSIGNALED(status))
				log_warnx("worker %ld killed by signal %d (%s)%s", (long)pid,
				    WTERMSIG(status), strsignal(WTERMSIG(status)),
				    procs[slot].killed ? ", by the master" : "");
			else
				log_warnx("worker %ld exited with status %d", (long)pid,
				    WEXITSTATUS(status));
			if (!master_stopping && procs[slot].generation == master_gen) {
				__atomic_add_fetch(&sb->respawns, 1, __ATOMIC_RELAXED);
				if (!procs[slot].killed)
					master_storm_note(now);
			}
		}
		memset(&procs[slot], 0, sizeof(procs[slot]));
		procs[slot].ctl_fd = -1;
		sb->slots[slot].state = SB_FREE;
		sb->slots[slot].pid = 0;
	}
}

static void
master_reload(void)
{
	struct conf next;
	char errbuf[512];
	int i;
	int64_t deadline;

	sd_notify(0, "RELOADING=1");
	if (conf_load(&next, master_conf_path, errbuf, sizeof(errbuf)) != ERR_OK) {
		log_errorx("reload refused, still serving with the previous configuration: %s",
		    errbuf);
		sd_notify(0, "READY=1\nSTATUS=reload refused: invalid configuration");
		return;
	}
	if (strcmp(next.listen, master_conf.listen) != 0 ||
	    strcmp(next.user, master_conf.user) != 0 ||
	    strcmp(next.status_socket, master_conf.status_socket) != 0)
		log_warnx("reload: [server] listen, user and status_socket take effect only after a restart");
	/* Keep the socket-level settings the running master was started with. */
	free(next.listen);
	next.listen = master_conf.listen;
	master_conf.listen = NULL;
	conf_free(&master_conf);
	master_conf = next;
	master_workers = conf_workers(&master_conf);
	log_threshold = (enum log_level)master_conf.log_level;
	auth_log_config(&master_conf);
	if (master_conf.storage_type == STORAGE_LOCAL && master_conf.link_key == NULL)
		log_warnx("no [storage] link_secret or link_secret_file: download links are disabled");
	master_storm_reset();

	master_gen++;
	sb->generation = master_gen;
	__atomic_add_fetch(&sb->reloads, 1, __ATOMIC_RELAXED);
	/* New workers first: the socket is served while the old ones drain. */
	for (i = 0; i < master_workers; i++)
		if (master_spawn() == -1)
			break;
	deadline = sb_now_ms() + master_conf.shutdown_timeout_ms;
	for (i = 0; i < SB_SLOTS; i++)
		if (procs[i].pid != 0 && procs[i].generation != master_gen)
			master_drain(&procs[i], deadline);
	log_info("reloaded: generation %u with %lld workers", master_gen,
	    (long long)master_workers);
	sd_notifyf(0, "READY=1\nSTATUS=generation %u, %lld workers", master_gen,
	    (long long)master_workers);
}

static void
master_begin_stop(int sig)
{
	int i;

	if (master_stopping)
		return;
	master_stopping = 1;
	master_stop_deadline = sb_now_ms() + master_conf.shutdown_timeout_ms;
	log_info("received %s; letting in-flight requests finish (up to %lld ms)",
	    strsignal(sig), (long long)master_conf.shutdown_timeout_ms);
	sd_notify(0, "STOPPING=1");
	for (i = 0; i < SB_SLOTS; i++)
		if (procs[i].pid != 0)
			master_drain(&procs[i], master_stop_deadline);
}

static void
master_status_answer(void)
{
	struct json_object *o;
	const char *s;
	size_t len, off = 0;
	ssize_t n;
	int fd;
	struct pollfd pfd;

	if ((fd = accept4(master_status_fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	o = sb_status_json("coffer", 1);
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PRETTY, &len);
	/* A slow reader must not stall supervision: bounded, then dropped. */
	while (off < len) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 200) <= 0)
			break;
		if ((n = write(fd, s + off, len - off)) <= 0)
			break;
		off += (size_t)n;
	}
	n = write(fd, "\n", 1);	/* a reader that left misses only this */
	(void)n;
	json_object_put(o);
	close(fd);
}

static void
master_tick(void)
{
	int64_t now = sb_now_ms(), start;
	int i, missing;

	for (i = 0; i < SB_SLOTS; i++) {
		struct master_proc *p = &procs[i];

		if (p->pid == 0 || p->killed)
			continue;
		start = __atomic_load_n(&sb->slots[i].req_start_ms, __ATOMIC_RELAXED);
		if (sb->slots[i].state == SB_BUSY && start != 0 &&
		    now - start > master_conf.request_timeout_ms) {
			log_warnx("worker %ld: %s %s running for %lld ms > request_timeout; killing it",
			    (long)p->pid, sb->slots[i].method, sb->slots[i].uri,
			    (long long)(now - start));
			__atomic_add_fetch(&sb->timeouts, 1, __ATOMIC_RELAXED);
			p->killed = 1;
			kill(p->pid, SIGKILL);
		} else if (p->drain_deadline != 0 && now > p->drain_deadline) {
			log_warnx("worker %ld did not finish within shutdown_timeout; killing it",
			    (long)p->pid);
			p->killed = 1;
			kill(p->pid, SIGKILL);
		}
	}
	if (master_stopping || now < storm_until)
		return;
	missing = master_workers - master_count_generation(master_gen);
	while (missing-- > 0)
		if (master_spawn() == -1)
			break;
}

static int
master_drop_privileges(char *errbuf, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (geteuid() != 0) {
		if (master_conf.user[0] != '\0') {
			pw = getpwnam(master_conf.user);
			if (pw == NULL || pw->pw_uid != geteuid())
				log_warnx("[server] user = %s ignored: not started as root",
				    master_conf.user);
		}
		return 0;
	}
	if (master_conf.user[0] == '\0') {
		snprintf(errbuf, errlen,
		    "refusing to run workers as root: set [server] user (e.g. www-data, the web server's user)");
		return -1;
	}
	if ((pw = getpwnam(master_conf.user)) == NULL) {
		snprintf(errbuf, errlen, "[server] user = \"%s\": no such user", master_conf.user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(errbuf, errlen, "refusing to run workers as root: [server] user = \"%s\" is uid 0",
		    master_conf.user);
		return -1;
	}
	gid = pw->pw_gid;
	if (master_conf.group[0] != '\0') {
		if ((gr = getgrnam(master_conf.group)) == NULL) {
			snprintf(errbuf, errlen, "[server] group = \"%s\": no such group",
			    master_conf.group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (initgroups(pw->pw_name, gid) == -1 || setgid(gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		snprintf(errbuf, errlen, "dropping privileges to %s: %s", pw->pw_name,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) != -1) {
		snprintf(errbuf, errlen, "privileges could not be dropped for good");
		return -1;
	}
	return 0;
}

static int
master_write_pidfile(char *errbuf, size_t errlen)
{
	FILE *fp;

	if (master_conf.pid_file[0] == '\0')
		return 0;
	if ((fp = fopen(master_conf.pid_file, "w")) == NULL) {
		snprintf(errbuf, errlen, "pid file %s: %s", master_conf.pid_file, strerror(errno));
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	fclose(fp);
	return 0;
}

static int
master_daemonize(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid != 0)
		_exit(0);
	if (setsid() == -1)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

int
master_run(struct conf *conf, const char *conf_path, int foreground)
{
	char errbuf[512];
	struct pollfd pfd[2];
	unsigned char sigs[64];
	ssize_t n, i;
	int status_ok = 0;

	master_conf = *conf;
	master_workers = conf_workers(&master_conf);
	memset(conf, 0, sizeof(*conf));
	master_conf_path = conf_path;
	log_init("cofferd", (enum log_level)master_conf.log_level);

	if (listen_open(&master_listener, &master_conf, errbuf, sizeof(errbuf)) == -1) {
		log_errorx("%s", errbuf);
		return 1;
	}
	if (master_conf.status_socket[0] != '\0') {
		master_status_fd = listen_unix(master_conf.status_socket, 0600, 16,
		    errbuf, sizeof(errbuf));
		if (master_status_fd == -1) {
			log_errorx("status socket: %s", errbuf);
			goto fail;
		}
		status_ok = 1;
	}
	if (!foreground && master_daemonize() == -1) {
		log_error("daemonize");
		goto fail;
	}
	if (master_write_pidfile(errbuf, sizeof(errbuf)) == -1 ||
	    master_drop_privileges(errbuf, sizeof(errbuf)) == -1) {
		log_errorx("%s", errbuf);
		goto fail;
	}
	sb_create();
	sb->generation = master_gen;
	master_storm_reset();
	for (i = 0; i < SB_SLOTS; i++)
		procs[i].ctl_fd = -1;
	master_signals();

	for (i = 0; i < master_workers; i++)
		if (master_spawn() == -1)
			break;
	auth_log_config(&master_conf);
	if (master_conf.storage_type == STORAGE_LOCAL && master_conf.link_key == NULL)
		log_warnx("no [storage] link_secret or link_secret_file: download links are disabled");
	log_info("started %lld workers on %s", (long long)master_workers,
	    master_listener.from_systemd ? "the systemd socket" : master_conf.listen);
	sd_notifyf(0, "READY=1\nMAINPID=%ld\nSTATUS=generation 1, %lld workers",
	    (long)getpid(), (long long)master_workers);

	for (;;) {
		pfd[0].fd = master_sigpipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = master_status_fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, master_status_fd != -1 ? 2 : 1, 100) == -1 && errno != EINTR)
			fatal("poll");
		while ((n = read(master_sigpipe[0], sigs, sizeof(sigs))) > 0) {
			for (i = 0; i < n; i++) {
				switch (sigs[i]) {
				case SIGCHLD:
					master_reap();
					break;
				case SIGHUP:
					if (!master_stopping)
						master_reload();
					break;
				default:
					master_begin_stop(sigs[i]);
					break;
				}
			}
		}
		if (master_status_fd != -1 && (pfd[1].revents & POLLIN))
			master_status_answer();
		master_reap();
		master_tick();
		if (master_stopping && master_live() == 0)
			break;
	}
	log_info("all workers finished; exiting");
	listen_close(&master_listener);
	if (status_ok) {
		close(master_status_fd);
		unlink(master_conf.status_socket);
	}
	if (master_conf.pid_file[0] != '\0')
		unlink(master_conf.pid_file);
	conf_free(&master_conf);
	free(storm_times);
	return 0;
fail:
	listen_close(&master_listener);
	if (status_ok) {
		close(master_status_fd);
		unlink(master_conf.status_socket);
	}
	conf_free(&master_conf);
	return 1;
}
