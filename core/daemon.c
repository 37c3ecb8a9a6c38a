/*
 * daemon.c -- signals, sd_notify, pid file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

static sigset_t daemon_sigs;

void daemon_block_signals(void)
{
	sigemptyset(&daemon_sigs);
	sigaddset(&daemon_sigs, SIGTERM);
	sigaddset(&daemon_sigs, SIGINT);
	sigaddset(&daemon_sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &daemon_sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int daemon_wait_signal(void)
{
	for (;;) {
		int sig = sigwaitinfo(&daemon_sigs, NULL);
		if (sig > 0)
			return sig;
		if (errno != EINTR)
			return SIGTERM;
	}
}

int daemon_sleep(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
	                      .tv_nsec = (ms % 1000) * 1000000L};
	int64_t until = util_mono_ms() + ms;

	for (;;) {
		int sig = sigtimedwait(&daemon_sigs, NULL, &ts);
		if (sig > 0 && sig != SIGHUP)
			return sig;
		if (sig < 0 && errno == EAGAIN)
			return 0;
		ms = until - util_mono_ms(); /* EINTR or SIGHUP: sleep on */
		if (ms <= 0)
			return 0;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
	}
}

void daemon_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n;
	int fd;

	if (path == NULL || path[0] == '\0')
		return;
	n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	close(fd);
}

int daemon_pidfile_write(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

void daemon_pidfile_remove(const char *path)
{
	if (path != NULL)
		unlink(path);
}

int daemon_lock_dir(const char *dir, int *fd_out, char *err, size_t errlen)
{
	char path[4200], pid[32] = "";
	ssize_t n;
	int fd;

	*fd_out = -1;
	util_fmt(path, sizeof(path), "%s/keeld.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		util_fmt(err, errlen, "cannot open %s: %s", path,
		         strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (e == EWOULDBLOCK)
			util_fmt(err, errlen,
			         "another keeld (pid %s) is using the data "
			         "directory %s",
			         pid[0] ? pid : "unknown", dir);
		else
			util_fmt(err, errlen, "cannot lock %s: %s", path,
			         strerror(e));
		close(fd);
		return -e;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* The pid is informational; the lock is what counts. */
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		LOG_DEBUG("keeld", "cannot record our pid in %s", path);
	*fd_out = fd;
	return 0;
}

void daemon_unlock_dir(int fd)
{
	if (fd >= 0)
		close(fd);
}
