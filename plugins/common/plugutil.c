/*
 * plugutil.c -- see plugutil.h.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "plugutil.h"

uint64_t pu_fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3u;
	}
	return h;
}

static int pu_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void pu_sql_snippet(char *buf, size_t bufsz, const char *sql)
{
	size_t n = 0, max = bufsz - 4; /* room for "..." and the NUL */
	int space = 0;

	if (sql == NULL) {
		buf[0] = '\0';
		return;
	}
	while (pu_space(*sql))
		sql++;
	for (; *sql != '\0' && n < max; sql++) {
		if (pu_space(*sql)) {
			space = 1;
			continue;
		}
		if (space && n + 1 < max)
			buf[n++] = ' ';
		space = 0;
		buf[n++] = *sql;
	}
	if (*sql != '\0') {
		/* Back off continuation bytes, then their lead byte. */
		while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0xc0)
			n--;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

int pu_mkdirs(const char *path, unsigned mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
		return errno;
	return 0;
}
