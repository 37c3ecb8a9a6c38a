/*
 * sbuf.h -- a growable byte string for building JSON and other text.
 *
 * Appends never fail visibly: the first allocation failure sets ->oom and
 * later appends do nothing, so a builder checks once at the end
 * (sbuf_finish) instead of after every call.  The buffer is malloc'd and
 * always NUL-terminated once anything was appended.
 */
#ifndef KEEL_CORE_SBUF_H
#define KEEL_CORE_SBUF_H

#include <stddef.h>

struct sbuf {
	char *buf;
	size_t len, cap;
	int oom;
};

#define SBUF_INIT {NULL, 0, 0, 0}

void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s as a JSON string literal, quotes included; invalid UTF-8 bytes become
 * U+FFFD so the output always parses. */
void sbuf_json_str(struct sbuf *b, const char *s);
/* The text (caller frees) and its length, or NULL after an allocation
 * failure (the buffer is freed then).  Leaves *b empty. */
char *sbuf_finish(struct sbuf *b, size_t *len);
void sbuf_free(struct sbuf *b);

#endif
