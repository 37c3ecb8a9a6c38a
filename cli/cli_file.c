/*
 * cli_file.c -- reading keelctl's input files whole: project files,
 * serialized entities, archives.  Gzip goes through `gzip -dc`, because
 * keelctl does not link zlib (it is not among Keel's dependencies).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

int cli_read_stream(FILE *f, const char *name, size_t max, char **buf,
                    size_t *len, char *err, size_t errlen)
{
	char *b = NULL;
	size_t n = 0, cap = 0, got;

	*buf = NULL;
	*len = 0;
	for (;;) {
		if (cap - n < 2) {
			size_t nc = cap ? cap * 2 : 4096;
			char *nb;

			if (cap > max) {
				snprintf(err, errlen,
				         "%s: larger than %zu bytes", name,
				         max);
				goto fail;
			}
			nb = realloc(b, nc);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory",
				         name);
				goto fail;
			}
			b = nb;
			cap = nc;
		}
		got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", name,
		         strerror(errno));
		goto fail;
	}
	if (n > max) {
		snprintf(err, errlen, "%s: larger than %zu bytes", name, max);
		goto fail;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
fail:
	free(b);
	return -1;
}

int cli_read_file(const char *path, size_t max, char **buf, size_t *len,
                  char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         strerror(errno));
		return -1;
	}
	rc = cli_read_stream(f, path, max, buf, len, err, errlen);
	fclose(f);
	return rc;
}

int cli_read_gunzip(const char *path, size_t max, char **buf, size_t *len,
                    char *err, size_t errlen)
{
	char *const argv[] = {(char *)"gzip", (char *)"-dc", (char *)"--",
	                      (char *)path, NULL};
	posix_spawn_file_actions_t fa;
	FILE *f = NULL;
	int p[2] = {-1, -1}, st = 0, rc = -1, e;
	pid_t pid = -1;

	*buf = NULL;
	*len = 0;
	/* a file gzip cannot open is our error, with our wording */
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         strerror(errno));
		return -1;
	}
	if (pipe(p) != 0 || fcntl(p[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(p[1], F_SETFD, FD_CLOEXEC) != 0) {
		snprintf(err, errlen, "cannot make a pipe: %s",
		         strerror(errno));
		goto out;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	e = posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	if (e == 0)
		e = posix_spawnp(&pid, "gzip", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		pid = -1;
		snprintf(err, errlen,
		         "%s: cannot run gzip -dc: %s (keelctl needs gzip on "
		         "PATH for .tgz and .tar.gz)",
		         path, strerror(e));
		goto out;
	}
	close(p[1]);
	p[1] = -1;
	f = fdopen(p[0], "rb");
	if (!f) {
		snprintf(err, errlen, "cannot read from gzip: %s",
		         strerror(errno));
		goto out;
	}
	p[0] = -1;
	rc = cli_read_stream(f, path, max, buf, len, err, errlen);
out:
	if (f)
		fclose(f); /* gzip gets EPIPE if we stopped early */
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (pid > 0) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			if (WIFEXITED(st))
				snprintf(err, errlen,
				         "%s: not a valid gzip file (gzip -dc "
				         "exited with status %d)",
				         path, WEXITSTATUS(st));
			else
				snprintf(err, errlen,
				         "%s: gzip -dc was killed by signal %d",
				         path, WTERMSIG(st));
			free(*buf);
			*buf = NULL;
			*len = 0;
			rc = -1;
		}
	}
	return rc;
}
