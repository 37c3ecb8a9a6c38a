/*
 * util.h -- small helpers shared across the core.
 */
#ifndef KEEL_CORE_UTIL_H
#define KEEL_CORE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define UTIL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Copy src into dst[0..dstlen) always NUL-terminating; returns strlen(src)
 * so truncation shows as a return value >= dstlen. */
size_t util_strlcpy(char *dst, const char *src, size_t dstlen);

/* snprintf that never fails silently: returns the would-be length. */
int util_fmt(char *dst, size_t dstlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* malloc'd copy, or NULL when out of memory (or s is NULL). */
char *util_strdup(const char *s);
char *util_strndup(const char *s, size_t n);
/* malloc'd formatted string, or NULL. */
char *util_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Clocks in milliseconds. */
int64_t util_now_ms(void);  /* CLOCK_REALTIME */
int64_t util_mono_ms(void); /* CLOCK_MONOTONIC */

/* The CLOCK_REALTIME instant ms milliseconds from now, for
 * pthread_cond_timedwait(). */
struct timespec;
void util_deadline_ts(int64_t ms, struct timespec *out);

/* RFC 3339 UTC with milliseconds: "2026-11-24T05:26:16.123Z" (24 bytes + NUL). */
void util_rfc3339_ms(int64_t unix_ms, char out[32]);

/* Read a whole file into a NUL-terminated malloc'd buffer.  Returns 0,
 * or -errno. */
int util_read_file(const char *path, char **out, size_t *len, size_t max);

/* mkdir -p with mode; 0 or -errno. */
int util_mkdirs(const char *path, unsigned mode);

/* Random bytes from getrandom(2); 0 or -errno. */
int util_random(void *buf, size_t n);
/* n random characters of [a-z0-9] into out (NUL-terminated, out has n+1). */
int util_random_id(char *out, size_t n);


/* base64url without padding.  encode writes 4*ceil(n/3)+1 bytes at most;
 * decode returns the decoded length or -1 on bad input. */
size_t util_b64url_encode(const void *in, size_t n, char *out);
long util_b64url_decode(const char *in, void *out, size_t outlen);
#endif
