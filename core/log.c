/*
 * log.c -- text/JSON line logging with reopen.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define LOG_LINE_MAX 4096

static struct {
	pthread_mutex_t lock; /* guards path and fd changes */
	int format;
	int level;
	int fd; /* 2, or a file */
	int journal;
	char *path;
} log_state = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.format = LOG_FMT_TEXT,
	.level = KEEL_LOG_INFO,
	.fd = 2,
};

static const struct {
	const char *name;
	int level;
} log_levels[] = {
	{"error", KEEL_LOG_ERROR},
	{"warn", KEEL_LOG_WARN},
	{"warning", KEEL_LOG_WARN},
	{"info", KEEL_LOG_INFO},
	{"debug", KEEL_LOG_DEBUG},
};

int log_level_parse(const char *s)
{
	for (size_t i = 0; i < UTIL_ARRAY_LEN(log_levels); i++)
		if (strcasecmp(s, log_levels[i].name) == 0)
			return log_levels[i].level;
	return -1;
}

int log_format_parse(const char *s)
{
	if (strcasecmp(s, "text") == 0)
		return LOG_FMT_TEXT;
	if (strcasecmp(s, "json") == 0)
		return LOG_FMT_JSON;
	return -1;
}

const char *log_level_name(int level)
{
	if (level <= KEEL_LOG_ERROR)
		return "error";
	if (level <= KEEL_LOG_WARN)
		return "warn";
	if (level <= KEEL_LOG_INFO)
		return "info";
	return "debug";
}

int log_level(void)
{
	return __atomic_load_n(&log_state.level, __ATOMIC_RELAXED);
}

static int log_open(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

int log_setup(int format, int level, const char *file)
{
	int fd = 2;
	char *path = NULL;

	if (file != NULL && *file != '\0' && strcmp(file, "stderr") != 0) {
		path = util_strdup(file);
		if (path == NULL)
			return -ENOMEM;
		fd = log_open(path);
		if (fd < 0) {
			int e = errno;
			free(path);
			return -e;
		}
	}
	pthread_mutex_lock(&log_state.lock);
	if (log_state.fd != 2)
		close(log_state.fd);
	free(log_state.path);
	log_state.fd = fd;
	log_state.path = path;
	log_state.format = format;
	__atomic_store_n(&log_state.level, level, __ATOMIC_RELAXED);
	log_state.journal = fd == 2 && getenv("JOURNAL_STREAM") != NULL;
	pthread_mutex_unlock(&log_state.lock);
	return 0;
}

int log_reopen(void)
{
	int rc = 0;

	pthread_mutex_lock(&log_state.lock);
	if (log_state.path != NULL) {
		int fd = log_open(log_state.path);
		if (fd < 0) {
			rc = -errno;
		} else {
			/* dup2 swaps the target atomically for writers. */
			dup2(fd, log_state.fd);
			close(fd);
		}
	}
	pthread_mutex_unlock(&log_state.lock);
	return rc;
}

void log_shutdown(void)
{
	pthread_mutex_lock(&log_state.lock);
	if (log_state.fd != 2)
		close(log_state.fd);
	free(log_state.path);
	log_state.path = NULL;
	log_state.fd = 2;
	pthread_mutex_unlock(&log_state.lock);
}

/* Append s to buf as JSON string content. */
static size_t log_json_escape(char *buf, size_t pos, size_t cap,
                              const char *s)
{
	for (; *s && pos + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"':
		case '\\':
			buf[pos++] = '\\';
			buf[pos++] = (char)c;
			break;
		case '\n':
			buf[pos++] = '\\';
			buf[pos++] = 'n';
			break;
		case '\t':
			buf[pos++] = '\\';
			buf[pos++] = 't';
			break;
		default:
			if (c < 0x20) {
				pos += (size_t)snprintf(buf + pos, cap - pos,
				                        "\\u%04x", c);
			} else {
				buf[pos++] = (char)c;
			}
		}
	}
	return pos;
}

void log_vwrite(int level, const char *src, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX / 2];
	char line[LOG_LINE_MAX];
	char ts[32];
	size_t n;
	int fd;

	if (level > log_level())
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	util_rfc3339_ms(util_now_ms(), ts);
	if (log_state.format == LOG_FMT_JSON) {
		n = (size_t)snprintf(line, sizeof(line),
		                     "{\"ts\":\"%s\",\"level\":\"%s\",\"src\":\"",
		                     ts, log_level_name(level));
		n = log_json_escape(line, n, sizeof(line) - 4, src ? src : "");
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		                      "\",\"msg\":\"");
		n = log_json_escape(line, n, sizeof(line) - 4, msg);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
	} else if (log_state.journal) {
		n = (size_t)snprintf(line, sizeof(line), "<%d>%s%s%s%s\n",
		                     level, src ? "[" : "", src ? src : "",
		                     src ? "] " : "", msg);
	} else {
		n = (size_t)snprintf(line, sizeof(line), "%s %-5s %s%s%s%s\n",
		                     ts, log_level_name(level), src ? "[" : "",
		                     src ? src : "", src ? "] " : "", msg);
	}
	if (n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fd = log_state.fd;
	while (write(fd, line, n) < 0 && errno == EINTR)
		;
}

void log_write(int level, const char *src, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, src, fmt, ap);
	va_end(ap);
}
