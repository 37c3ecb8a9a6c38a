/*
 * daemon.h -- process plumbing: signals, systemd notification, pid file.
 *
 * keeld is a new-style daemon: it never forks; systemd (or a shell)
 * supervises it.  Signals are blocked in every thread and taken
 * synchronously by the main thread with daemon_wait_signal().
 */
#ifndef KEEL_CORE_DAEMON_H
#define KEEL_CORE_DAEMON_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes (sysexits.h values, so systemd units can tell them apart). */
#define DAEMON_EXIT_OK 0
#define DAEMON_EXIT_USAGE 64       /* bad command line */
#define DAEMON_EXIT_UNAVAILABLE 69 /* database or blob store unreachable */
#define DAEMON_EXIT_SOFTWARE 70    /* internal error */
#define DAEMON_EXIT_CANTCREAT 73   /* data directory or socket unusable */
#define DAEMON_EXIT_CONFIG 78      /* configuration or plugin error */

/* Block SIGTERM, SIGINT, SIGHUP (and ignore SIGPIPE) in this thread and
 * every thread created later.  Call before starting threads. */
void daemon_block_signals(void);
/* Wait for SIGTERM/SIGINT (returns the signal) or SIGHUP (returns
 * SIGHUP). */
int daemon_wait_signal(void);
/* Sleep ms milliseconds unless SIGTERM or SIGINT comes first: returns that
 * signal, or 0 after the full sleep (SIGHUP is consumed and ignored). */
int daemon_sleep(int64_t ms);

/* sd_notify(3) without libsystemd: a datagram to $NOTIFY_SOCKET.  No-op
 * when the variable is unset. */
void daemon_notify(const char *state);

/*
 * Take the exclusive lock on DIR/keeld.lock (flock, released when the
 * process dies) and write our pid into it.  Returns 0 and the fd, or a
 * negative code with a message naming the pid of the keeld that holds it.
 */
int daemon_lock_dir(const char *dir, int *fd, char *err, size_t errlen);
void daemon_unlock_dir(int fd);

/* Write our pid to path (0 or -errno) / remove it. */
int daemon_pidfile_write(const char *path);
void daemon_pidfile_remove(const char *path);

#endif
