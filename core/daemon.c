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
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
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
