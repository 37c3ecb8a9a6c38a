/* sbuf.c -- see sbuf.h. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"
#include "sbuf.h"

static int sbuf_grow(struct sbuf *b, size_t more)
{
	size_t need, cap;
	char *nb;

	if (b->oom)
		return -1;
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	nb = realloc(b->buf, cap);
	if (nb == NULL) {
		b->oom = 1;
		return -1;
	}
	b->buf = nb;
	b->cap = cap;
	return 0;
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (sbuf_grow(b, n) != 0)
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sbuf_grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sbuf_json_str(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);

	sbuf_add(b, "\"", 1);
	while (p < end) {
		size_t n;
		char esc[8];

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\', esc[1] = (char)*p;
			sbuf_add(b, esc, 2);
			p++;
		} else if (*p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			sbuf_add(b, esc, 6);
			p++;
		} else if ((n = pbjson_utf8_len(p, (size_t)(end - p))) == 0) {
			sbuf_add(b, "\xef\xbf\xbd", 3);
			p++;
		} else {
			sbuf_add(b, (const char *)p, n);
			p += n;
		}
	}
	sbuf_add(b, "\"", 1);
}

char *sbuf_finish(struct sbuf *b, size_t *len)
{
	char *out = b->buf;

	if (b->oom) {
		free(b->buf);
		out = NULL;
	} else if (out == NULL) {
		out = calloc(1, 1);
	}
	if (len != NULL)
		*len = out ? b->len : 0;
	b->buf = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
	return out;
}

void sbuf_free(struct sbuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}
