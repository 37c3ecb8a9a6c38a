/*
 * tap.h -- minimal TAP producer for Keel's C tests.
 *
 * Every check prints one "ok N - what" / "not ok N - what" line; tap_done()
 * prints the plan and returns the exit status.  automake's TAP driver
 * counts each line, so the suite summary counts assertions, not programs.
 *
 *     TAP_OK(rc == 0, "conn_open on %s", path);
 *     TAP_EQ_INT(got, 3, "row count");
 *     TAP_EQ_STR(name, "sqlite", "driver name");
 *     return tap_done();
 */
#ifndef KEEL_TESTS_TAP_H
#define KEEL_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_check(int cond, const char *file, int line,
                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int tap_check(int cond, const char *file, int line,
                            const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define TAP_OK(cond, ...) tap_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define TAP_EQ_INT(got, want, ...)                                            \
	do {                                                                  \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
		if (!tap_check(tap_g_ == tap_w_, __FILE__, __LINE__,          \
		               __VA_ARGS__))                                  \
			printf("#   got %lld, want %lld\n", tap_g_, tap_w_);  \
	} while (0)

#define TAP_EQ_STR(got, want, ...)                                            \
	do {                                                                  \
		const char *tap_g_ = (got), *tap_w_ = (want);                 \
		int tap_c_ = tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0; \
		if (!tap_check(tap_c_, __FILE__, __LINE__, __VA_ARGS__))      \
			printf("#   got \"%s\", want \"%s\"\n",               \
			       tap_g_ ? tap_g_ : "(null)",                    \
			       tap_w_ ? tap_w_ : "(null)");                   \
	} while (0)

/* got contains want */
#define TAP_HAS_STR(got, want, ...)                                           \
	do {                                                                  \
		const char *tap_g_ = (got), *tap_w_ = (want);                 \
		int tap_c_ = tap_g_ && tap_w_ && strstr(tap_g_, tap_w_);      \
		if (!tap_check(tap_c_, __FILE__, __LINE__, __VA_ARGS__))      \
			printf("#   \"%s\" does not contain \"%s\"\n",        \
			       tap_g_ ? tap_g_ : "(null)", tap_w_);           \
	} while (0)

static inline void tap_diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Skip the whole program: a TAP skip plan; return it from main (exit 0,
 * which the TAP driver reports as SKIP). */
static inline int tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
