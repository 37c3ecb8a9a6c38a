/*
 * log.h -- the daemon's log: text or JSON lines, levels, reopen on SIGHUP.
 *
 * Text:  2026-11-24T05:26:16.123Z info  [db:sqlite] message
 * JSON:  {"ts":"2026-11-24T05:26:16.123Z","level":"info","src":"db:sqlite","msg":"message"}
 * When stderr goes to journald (JOURNAL_STREAM is set) text lines start with
 * a "<N>" syslog priority so journald records the level, and the timestamp
 * is left out (journald adds its own).
 *
 * Every function is thread-safe; a line is written with one write(2).
 * Messages never contain secrets: the config layer never hands secret
 * values to anything that logs.
 */
#ifndef KEEL_CORE_LOG_H
#define KEEL_CORE_LOG_H

#include <stdarg.h>

#include <keel/keel_plugin.h> /* KEEL_LOG_* levels */

#define LOG_FMT_TEXT 0
#define LOG_FMT_JSON 1

/* Configure: format LOG_FMT_*, minimum level (KEEL_LOG_*), and file (NULL
 * or "" or "stderr": standard error).  Returns 0 or -errno (file cannot be
 * opened; logging stays on the previous target). */
int log_setup(int format, int level, const char *file);
/* Reopen the log file (after rotation); no-op for stderr.  Returns 0 or
 * -errno. */
int log_reopen(void);
/* Close the file, back to stderr. */
void log_shutdown(void);
int log_level(void);

/* Parse "error|warn|info|debug" / "text|json"; -1 if unknown. */
int log_level_parse(const char *s);
int log_format_parse(const char *s);
const char *log_level_name(int level);

void log_write(int level, const char *src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vwrite(int level, const char *src, const char *fmt, va_list ap);

#define LOG_ERROR(src, ...) log_write(KEEL_LOG_ERROR, src, __VA_ARGS__)
#define LOG_WARN(src, ...) log_write(KEEL_LOG_WARN, src, __VA_ARGS__)
#define LOG_INFO(src, ...) log_write(KEEL_LOG_INFO, src, __VA_ARGS__)
#define LOG_DEBUG(src, ...)                                                   \
	do {                                                                  \
		if (log_level() >= KEEL_LOG_DEBUG)                            \
			log_write(KEEL_LOG_DEBUG, src, __VA_ARGS__);          \
	} while (0)

#endif
