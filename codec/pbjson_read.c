/*
 * pbjson_read.c -- proto3 JSON to protobuf-c messages (see pbjson.h).
 *
 * One recursive-descent pass over the buffer, straight into the message:
 * no DOM, no token list.  Every allocation is hooked into the message tree
 * the moment it is made, in the layout protobuf_c_message_unpack()
 * produces (strings and byte arrays of their own, repeated fields as
 * arrays counted by n_*, sub-messages as pointers), so on any error one
 * protobuf_c_message_free_unpacked() of the top message frees everything.
 *
 * google.protobuf.Any is the one place that reads an object twice: its
 * "@type" may come after the fields it types, so a first pass only looks
 * for it (and checks the syntax), the second reads the fields.  Nested
 * Anys cost one extra pass per level, bounded by max_depth.
 *
 * Every read checks against st->end: the input need not be terminated.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"
#include "pbjson_priv.h"

#define PBR_DEFAULT_DEPTH 64
#define PBR_PATH_MAX      256

struct pbr {
	const char *buf, *p, *end;
	ProtobufCAllocator *a;
	int ignore_unknown;
	int max_depth, depth;
	int failed; /* errno of the first error, 0 */
	char *err;
	size_t errlen;
	char path[PBR_PATH_MAX]; /* JSON path of the value being read */
	size_t plen;
	int ptrunc; /* path ends in "..." */
	char *tmp;  /* scratch for keys and short-lived strings (malloc) */
	size_t tcap;
};

/* ---- allocation ------------------------------------------------------- */

static void *pbr_sys_alloc(void *data, size_t n)
{
	return malloc(n);
}

static void pbr_sys_free(void *data, void *ptr)
{
	free(ptr);
}

/* What protobuf-c itself uses for a NULL allocator. */
static ProtobufCAllocator pbr_sys = {pbr_sys_alloc, pbr_sys_free, NULL};

/* ---- errors ----------------------------------------------------------- */

__attribute__((format(printf, 4, 0))) static int
pbr_record(struct pbr *st, int err, const char *prefix, const char *fmt,
           va_list ap)
{
	int n;

	if (st->failed)
		return -1;
	st->failed = err;
	if (!st->err || !st->errlen)
		return -1;
	n = snprintf(st->err, st->errlen, "%s", prefix);
	if (n >= 0 && (size_t)n < st->errlen)
		vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
	return -1;
}

/* A syntax error at byte `at` of the input. */
__attribute__((format(printf, 3, 4))) static int
pbr_syntax(struct pbr *st, const char *at, const char *fmt, ...)
{
	char prefix[48];
	va_list ap;

	snprintf(prefix, sizeof prefix,
	         "at byte %zu: ", (size_t)(at - st->buf));
	va_start(ap, fmt);
	pbr_record(st, EINVAL, prefix, fmt, ap);
	va_end(ap);
	return -1;
}

/* A well-formed value that does not fit: named by its path. */
__attribute__((format(printf, 2, 3))) static int pbr_bad(struct pbr *st,
                                                         const char *fmt, ...)
{
	char prefix[PBR_PATH_MAX + 16];
	va_list ap;

	if (st->plen)
		snprintf(prefix, sizeof prefix,
		         "field \"%.*s\": ", (int)st->plen, st->path);
	else
		snprintf(prefix, sizeof prefix, "top level: ");
	va_start(ap, fmt);
	pbr_record(st, EINVAL, prefix, fmt, ap);
	va_end(ap);
	return -1;
}

static int pbr_nomem(struct pbr *st)
{
	if (!st->failed) {
		st->failed = ENOMEM;
		if (st->err && st->errlen)
			snprintf(st->err, st->errlen, "out of memory");
	}
	return -1;
}

/* s[0..n) shortened for an error message (control bytes as '?'). */
static const char *pbr_show(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = n, i;

	if (k > cap - 4)
		for (k = cap - 4;
		     k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80;)
			k--;
	for (i = 0; i < k; i++)
		out[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	if (k < n)
		memcpy(out + k, "...", 3), k += 3;
	out[k] = '\0';
	return out;
}

/* ---- the path --------------------------------------------------------- */

/* Append pre, s[0..n), post; returns the length to pop back to. */
static size_t pbr_push(struct pbr *st, const char *pre, const char *s, size_t n,
                       const char *post)
{
	size_t old = st->plen, lp = strlen(pre), lq = strlen(post), i;

	if (st->ptrunc)
		return old;
	/* keep room for the "..." of a later push */
	if (old + lp + n + lq + 4 > sizeof st->path) {
		memcpy(st->path + old, "...", 3);
		st->plen += 3;
		st->ptrunc = 1;
		return old;
	}
	memcpy(st->path + st->plen, pre, lp);
	st->plen += lp;
	for (i = 0; i < n; i++)
		st->path[st->plen++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	memcpy(st->path + st->plen, post, lq);
	st->plen += lq;
	return old;
}

static size_t pbr_push_key(struct pbr *st, const char *k, size_t n)
{
	return pbr_push(st, st->plen ? "." : "", k, n, "");
}

static size_t pbr_push_index(struct pbr *st, size_t i)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%zu", i);

	return pbr_push(st, "[", num, (size_t)n, "]");
}

static void pbr_pop(struct pbr *st, size_t old)
{
	if (old < st->plen) {
		st->plen = old;
		st->ptrunc = 0;
	}
}

/* ---- memory ----------------------------------------------------------- */

static void *pbr_alloc(struct pbr *st, size_t n)
{
	void *p = st->a->alloc(st->a->allocator_data, n ? n : 1);

	if (!p)
		pbr_nomem(st);
	return p;
}

static void pbr_free(struct pbr *st, void *p)
{
	if (p)
		st->a->free(st->a->allocator_data, p);
}

static ProtobufCMessage *pbr_msg_new(struct pbr *st,
                                     const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m;

	if (!d || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC) {
		pbr_bad(st, "no descriptor for a message field");
		return NULL;
	}
	m = pbr_alloc(st, d->sizeof_message);
	if (m)
		protobuf_c_message_init(d, m);
	return m;
}

/* The scratch buffer with room for n bytes. */
static char *pbr_tmp(struct pbr *st, size_t n)
{
	char *p;
	size_t cap;

	if (n <= st->tcap)
		return st->tmp;
	cap = st->tcap ? st->tcap : 64;
	while (cap < n) {
		if (cap > SIZE_MAX / 2) {
			pbr_nomem(st);
			return NULL;
		}
		cap *= 2;
	}
	p = realloc(st->tmp, cap);
	if (!p) {
		pbr_nomem(st);
		return NULL;
	}
	st->tmp = p;
	st->tcap = cap;
	return p;
}

/* Make room for one more element of a repeated field. */
static int pbr_grow(struct pbr *st, void **arr, size_t n, size_t *cap,
                    size_t sz)
{
	size_t ncap;
	void *na;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap < n + 1)
		ncap = n + 1;
	if (ncap > SIZE_MAX / sz)
		return pbr_nomem(st);
	na = pbr_alloc(st, ncap * sz);
	if (!na)
		return -1;
	if (n)
		memcpy(na, *arr, n * sz);
	pbr_free(st, *arr);
	*arr = na;
	*cap = ncap;
	return 0;
}

/* ---- descriptors ------------------------------------------------------ */

static void *pbr_at(ProtobufCMessage *m, unsigned off)
{
	return (char *)m + off;
}

static const char *pbr_type_name(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
		return "int32";
	case PROTOBUF_C_TYPE_SINT32:
		return "sint32";
	case PROTOBUF_C_TYPE_SFIXED32:
		return "sfixed32";
	case PROTOBUF_C_TYPE_INT64:
		return "int64";
	case PROTOBUF_C_TYPE_SINT64:
		return "sint64";
	case PROTOBUF_C_TYPE_SFIXED64:
		return "sfixed64";
	case PROTOBUF_C_TYPE_UINT32:
		return "uint32";
	case PROTOBUF_C_TYPE_FIXED32:
		return "fixed32";
	case PROTOBUF_C_TYPE_UINT64:
		return "uint64";
	case PROTOBUF_C_TYPE_FIXED64:
		return "fixed64";
	case PROTOBUF_C_TYPE_FLOAT:
		return "float";
	case PROTOBUF_C_TYPE_DOUBLE:
		return "double";
	case PROTOBUF_C_TYPE_BOOL:
		return "bool";
	case PROTOBUF_C_TYPE_ENUM:
		return "enum";
	case PROTOBUF_C_TYPE_STRING:
		return "string";
	case PROTOBUF_C_TYPE_BYTES:
		return "bytes";
	case PROTOBUF_C_TYPE_MESSAGE:
		return "message";
	}
	return "?";
}

/* ToJsonName(name) == k[0..n)?  Without building the name. */
static int pbr_json_name_eq(const char *name, const char *k, size_t n)
{
	size_t i = 0;
	int up = 0;

	for (; *name; name++) {
		char c = *name;

		if (c == '_') {
			up = 1;
			continue;
		}
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		up = 0;
		if (i >= n || k[i] != c)
			return 0;
		i++;
	}
	return i == n;
}

/* The field named k[0..n) (NUL-terminated) by its .proto or JSON name. */
static const ProtobufCFieldDescriptor *
pbr_find_field(const ProtobufCMessageDescriptor *d, const char *k, size_t n)
{
	const ProtobufCFieldDescriptor *f;
	unsigned i;

	if (strlen(k) != n)
		return NULL;
	f = protobuf_c_message_descriptor_get_field_by_name(d, k);
	if (f)
		return f;
	for (i = 0; i < d->n_fields; i++)
		if (pbr_json_name_eq(d->fields[i].name, k, n))
			return &d->fields[i];
	return NULL;
}

/* Is null a value of f's type (rather than "unset")? */
static int pbr_null_is_value(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCEnumDescriptor *ed;

	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return pbjson__wkt(f->descriptor) == PBJSON_WKT_VALUE;
	if (f->type != PROTOBUF_C_TYPE_ENUM)
		return 0;
	ed = f->descriptor;
	return ed && ed->name &&
	       strcmp(ed->name, "google.protobuf.NullValue") == 0;
}

/* Record f as set in m when it has a has_ flag (proto2/proto3 optional). */
static void pbr_mark_set(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)pbr_at(m, f->quantifier_offset) = 1;
}

/* ---- lexing ----------------------------------------------------------- */

static void pbr_ws(struct pbr *st)
{
	while (st->p < st->end && (*st->p == ' ' || *st->p == '\t' ||
	                           *st->p == '\n' || *st->p == '\r'))
		st->p++;
}

/* The next byte after whitespace, -1 at the end. */
static int pbr_peek(struct pbr *st)
{
	pbr_ws(st);
	return st->p < st->end ? (unsigned char)*st->p : -1;
}

static int pbr_eat(struct pbr *st, char c)
{
	if (pbr_peek(st) != (unsigned char)c)
		return 0;
	st->p++;
	return 1;
}

static int pbr_unexpected(struct pbr *st)
{
	unsigned char c;

	pbr_ws(st);
	if (st->p >= st->end)
		return pbr_syntax(st, st->p, "unexpected end of input");
	c = (unsigned char)*st->p;
	if (c >= 0x20 && c < 0x7f)
		return pbr_syntax(st, st->p, "unexpected character '%c'", c);
	return pbr_syntax(st, st->p, "unexpected byte 0x%02x", c);
}

static int pbr_expect(struct pbr *st, char c)
{
	if (pbr_eat(st, c))
		return 0;
	if (st->p >= st->end)
		return pbr_syntax(st, st->p,
		                  "unexpected end of input, expected '%c'", c);
	return pbr_syntax(st, st->p, "expected '%c'", c);
}

static int pbr_is_num_start(int c)
{
	return c == '-' || (c >= '0' && c <= '9');
}

/* What kind of JSON value starts with c, for messages; NULL: none. */
static const char *pbr_kind(int c)
{
	switch (c) {
	case '{':
		return "object";
	case '[':
		return "array";
	case '"':
		return "string";
	case 't':
	case 'f':
		return "boolean";
	case 'n':
		return "null";
	default:
		return pbr_is_num_start(c) ? "number" : NULL;
	}
}

/* The value at st->p is of the wrong kind (or no value at all). */
static int pbr_type_err(struct pbr *st, const char *want)
{
	const char *kind = pbr_kind(pbr_peek(st));

	if (!kind)
		return pbr_unexpected(st);
	return pbr_bad(st, "expected %s, got %s", want, kind);
}

static int pbr_literal(struct pbr *st, const char *lit)
{
	size_t n = strlen(lit);
	const char *at;

	pbr_ws(st);
	at = st->p;
	if ((size_t)(st->end - st->p) < n || memcmp(st->p, lit, n) != 0)
		return pbr_syntax(st, at, "invalid literal");
	st->p += n;
	if (st->p < st->end &&
	    ((*st->p >= 'a' && *st->p <= 'z') ||
	     (*st->p >= 'A' && *st->p <= 'Z') ||
	     (*st->p >= '0' && *st->p <= '9') || *st->p == '_'))
		return pbr_syntax(st, at, "invalid literal");
	return 0;
}

static int pbr_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the JSON number at the start of s[0..n), 0 when none. */
static size_t pbr_numlen(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < n && pbr_digit(s[i]))
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !pbr_digit(s[i]))
			return 0;
		while (i < n && pbr_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !pbr_digit(s[i]))
			return 0;
		while (i < n && pbr_digit(s[i]))
			i++;
	}
	return i;
}

/* A number token: its text in the input. */
static int pbr_number(struct pbr *st, const char **s, size_t *n)
{
	size_t k;

	pbr_ws(st);
	k = pbr_numlen(st->p, (size_t)(st->end - st->p));
	if (!k || (st->p + k < st->end &&
	           (pbr_digit(st->p[k]) || st->p[k] == '.' || st->p[k] == 'e' ||
	            st->p[k] == 'E' || (st->p[k] >= 'a' && st->p[k] <= 'z'))))
		return pbr_syntax(st, st->p, "invalid number");
	*s = st->p;
	*n = k;
	st->p += k;
	return 0;
}

/* ---- strings ---------------------------------------------------------- */


static int pbr_utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = pbjson_utf8_len((const unsigned char *)s + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

/* st->p at '"': find the closing quote and step past it; the raw
 * contents are q0..q1. */
static int pbr_str_scan(struct pbr *st, const char **q0, const char **q1)
{
	const char *p = st->p + 1;

	while (p < st->end) {
		unsigned char c = (unsigned char)*p;

		if (c == '"') {
			*q0 = st->p + 1;
			*q1 = p;
			st->p = p + 1;
			return 0;
		}
		if (c == '\\') {
			if (p + 1 >= st->end)
				break;
			p += 2;
			continue;
		}
		if (c < 0x20)
			return pbr_syntax(st, p, "control character in string");
		p++;
	}
	return pbr_syntax(st, st->end, "unterminated string");
}

static int pbr_hex4(const char *s, uint32_t *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/*
 * Decode the raw contents q0..q1 of a string token into out (room for
 * q1 - q0 + 1 bytes, NUL-terminated; NULL: only check).  Escaped text is
 * never longer than its source, so the room always suffices.
 */
static int pbr_str_decode(struct pbr *st, const char *q0, const char *q1,
                          char *out, size_t *outn)
{
	const char *q = q0;
	size_t o = 0, k;
	uint32_t cp, lo;

#define PBR_PUT(c)                                                             \
	do {                                                                   \
		if (out)                                                       \
			out[o] = (char)(c);                                    \
		o++;                                                           \
	} while (0)
	while (q < q1) {
		unsigned char c = (unsigned char)*q;

		if (c != '\\') {
			if (c < 0x80) {
				PBR_PUT(c);
				q++;
				continue;
			}
			k = pbjson_utf8_len((const unsigned char *)q,
			                 (size_t)(q1 - q));
			if (!k)
				return pbr_syntax(st, q,
				                  "invalid UTF-8 in string");
			if (out)
				memcpy(out + o, q, k);
			o += k;
			q += k;
			continue;
		}
		/* the scan saw to it that an escape is never cut short by
		 * the closing quote */
		switch (q[1]) {
		case '"':
		case '\\':
		case '/':
			PBR_PUT(q[1]);
			q += 2;
			continue;
		case 'b':
			PBR_PUT('\b');
			q += 2;
			continue;
		case 'f':
			PBR_PUT('\f');
			q += 2;
			continue;
		case 'n':
			PBR_PUT('\n');
			q += 2;
			continue;
		case 'r':
			PBR_PUT('\r');
			q += 2;
			continue;
		case 't':
			PBR_PUT('\t');
			q += 2;
			continue;
		case 'u':
			break;
		default:
			return pbr_syntax(st, q, "invalid escape in string");
		}
		if (q1 - q < 6 || pbr_hex4(q + 2, &cp) < 0)
			return pbr_syntax(st, q,
			                  "invalid \\u escape in string");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return pbr_syntax(
			    st, q, "lone surrogate \\u%04" PRIx32 " in string",
			    cp);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (q1 - q < 12 || q[6] != '\\' || q[7] != 'u' ||
			    pbr_hex4(q + 8, &lo) < 0 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return pbr_syntax(st, q,
				                  "lone surrogate \\u%04" PRIx32
				                  " in string",
				                  cp);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			q += 12;
		} else {
			q += 6;
		}
		if (cp < 0x80) {
			PBR_PUT(cp);
		} else if (cp < 0x800) {
			PBR_PUT(0xc0 | cp >> 6);
			PBR_PUT(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			PBR_PUT(0xe0 | cp >> 12);
			PBR_PUT(0x80 | (cp >> 6 & 0x3f));
			PBR_PUT(0x80 | (cp & 0x3f));
		} else {
			PBR_PUT(0xf0 | cp >> 18);
			PBR_PUT(0x80 | (cp >> 12 & 0x3f));
			PBR_PUT(0x80 | (cp >> 6 & 0x3f));
			PBR_PUT(0x80 | (cp & 0x3f));
		}
	}
#undef PBR_PUT
	if (out)
		out[o] = '\0';
	*outn = o;
	return 0;
}

/* The string token at st->p, decoded into the scratch buffer (valid until
 * its next use). */
static int pbr_str_tmp(struct pbr *st, const char **s, size_t *n)
{
	const char *q0, *q1;
	char *buf;

	if (pbr_str_scan(st, &q0, &q1) < 0)
		return -1;
	buf = pbr_tmp(st, (size_t)(q1 - q0) + 1);
	if (!buf || pbr_str_decode(st, q0, q1, buf, n) < 0)
		return -1;
	*s = buf;
	return 0;
}

static int pbr_str_skip(struct pbr *st)
{
	const char *q0, *q1;
	size_t n;

	if (pbr_str_scan(st, &q0, &q1) < 0)
		return -1;
	return pbr_str_decode(st, q0, q1, NULL, &n);
}

/* A copy of s[0..n) from the allocator for a string field: no NULs. */
static int pbr_str_dup(struct pbr *st, const char *s, size_t n, char **out)
{
	char *c;

	if (memchr(s, '\0', n))
		return pbr_bad(st, "string contains NUL (\\u0000), which "
		                   "protobuf-c strings cannot hold");
	c = pbr_alloc(st, n + 1);
	if (!c)
		return -1;
	memcpy(c, s, n);
	c[n] = '\0';
	*out = c;
	return 0;
}

/* ---- scalars from text ------------------------------------------------ */

enum { PBR_OK, PBR_SYNTAX, PBR_FRACTION, PBR_RANGE };

/*
 * s[0..n), a JSON number, as sign and magnitude when it is an integer.
 * Exact: "1e2" and "100.0" are 100, "1.5" a fraction, "1e400" out of
 * range, however many digits are written.
 */
static int pbr_int_text(const char *s, size_t n, int *neg, uint64_t *mag)
{
	const char *ip, *fp = NULL;
	size_t i = 0, ni = 0, nf = 0, tot, lead, trail, j;
	int64_t ex = 0, e10;
	int eneg = 0;
	uint64_t v = 0;

	if (!n || pbr_numlen(s, n) != n)
		return PBR_SYNTAX;
	*neg = s[0] == '-';
	if (*neg)
		i++;
	ip = s + i;
	while (i < n && pbr_digit(s[i]))
		i++, ni++;
	if (i < n && s[i] == '.') {
		fp = s + ++i;
		while (i < n && pbr_digit(s[i]))
			i++, nf++;
	}
	if (i < n) { /* exponent */
		i++;
		if (s[i] == '+' || s[i] == '-')
			eneg = s[i++] == '-';
		for (; i < n; i++)
			if (ex < 1000000000)
				ex = ex * 10 + (s[i] - '0');
		if (eneg)
			ex = -ex;
	}
	/* digits d[0..tot) = ip[0..ni) fp[0..nf); value d * 10^(ex - nf) */
	tot = ni + nf;
#define PBR_D(j) ((j) < ni ? ip[(j)] : fp[(j)-ni])
	for (lead = 0; lead < tot && PBR_D(lead) == '0'; lead++)
		;
	if (lead == tot) {
		*mag = 0;
		return PBR_OK;
	}
	for (trail = tot - 1; PBR_D(trail) == '0'; trail--)
		;
	e10 = ex - (int64_t)nf + (int64_t)(tot - 1 - trail);
	if (e10 < 0)
		return PBR_FRACTION;
	if ((int64_t)(trail - lead + 1) + e10 > 20)
		return PBR_RANGE;
	for (j = lead; j <= trail; j++) {
		unsigned d = (unsigned)(PBR_D(j) - '0');

		if (v > (UINT64_MAX - d) / 10)
			return PBR_RANGE;
		v = v * 10 + d;
	}
#undef PBR_D
	for (; e10 > 0; e10--) {
		if (v > UINT64_MAX / 10)
			return PBR_RANGE;
		v *= 10;
	}
	*mag = v;
	return PBR_OK;
}

/* s[0..n) as a plain decimal integer, optionally signed ("+5", "-007"):
 * map keys and URL parameters. */
static int pbr_dec_text(const char *s, size_t n, int *neg, uint64_t *mag)
{
	size_t i = 0;
	uint64_t v = 0;

	*neg = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		*neg = s[i++] == '-';
	if (i == n)
		return PBR_SYNTAX;
	for (; i < n; i++) {
		unsigned d;

		if (!pbr_digit(s[i]))
			return PBR_SYNTAX;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return PBR_RANGE;
		v = v * 10 + d;
	}
	*mag = v;
	return PBR_OK;
}

/* Store neg/mag as an integer of type t; -1 when out of its range. */
static int pbr_int_store(ProtobufCType t, int neg, uint64_t mag, void *dst)
{
	int32_t i32;
	uint32_t u32;
	int64_t i64;

	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		if (mag > (neg ? UINT64_C(2147483648) : UINT64_C(2147483647)))
			return -1;
		i32 = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
		memcpy(dst, &i32, sizeof i32);
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if ((neg && mag) || mag > UINT32_MAX)
			return -1;
		u32 = (uint32_t)mag;
		memcpy(dst, &u32, sizeof u32);
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (mag > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
			return -1;
		if (!neg)
			i64 = (int64_t)mag;
		else if (mag > (uint64_t)INT64_MAX)
			i64 = INT64_MIN;
		else
			i64 = -(int64_t)mag;
		memcpy(dst, &i64, sizeof i64);
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (neg && mag)
			return -1;
		memcpy(dst, &mag, sizeof mag);
		return 0;
	default:
		return -1;
	}
}

/* An integer of type t from text s[0..n) read by rd (pbr_int_text or
 * pbr_dec_text); errors name the text. */
static int pbr_int_from(struct pbr *st, ProtobufCType t, const char *s,
                        size_t n,
                        int (*rd)(const char *, size_t, int *, uint64_t *),
                        void *dst)
{
	char show[64];
	const char *tn = pbr_type_name(t);
	uint64_t mag = 0;
	int neg = 0, rc = rd(s, n, &neg, &mag);

	if (rc == PBR_SYNTAX)
		return pbr_bad(st, "\"%s\" is not a valid %s",
		               pbr_show(s, n, show, sizeof show), tn);
	if (rc == PBR_FRACTION)
		return pbr_bad(st, "%s is not an integer",
		               pbr_show(s, n, show, sizeof show));
	if (rc == PBR_RANGE || pbr_int_store(t, neg, mag, dst) < 0)
		return pbr_bad(st, "%s out of range for %s",
		               pbr_show(s, n, show, sizeof show), tn);
	return 0;
}

/* A float (bits 32) or double from s[0..n), a NUL-terminated copy:
 * decimal, or "NaN", "Infinity", "-Infinity" when names. */
static int pbr_float_from(struct pbr *st, int bits, const char *s, size_t n,
                          int names, int json, void *dst)
{
	char show[64], *endp;
	const char *tn = bits == 32 ? "float" : "double";
	double v;
	float f;

	if (names && strcmp(s, "NaN") == 0)
		v = NAN;
	else if (names && strcmp(s, "Infinity") == 0)
		v = INFINITY;
	else if (names && strcmp(s, "-Infinity") == 0)
		v = -INFINITY;
	else {
		/* JSON wants its own number syntax; URL parameters get what
		 * strtod reads, but no leading space */
		if (!n || strlen(s) != n || (json && pbr_numlen(s, n) != n) ||
		    *s == ' ' || (*s >= '\t' && *s <= '\r'))
			return pbr_bad(st, "\"%s\" is not a valid %s",
			               pbr_show(s, n, show, sizeof show), tn);
		errno = 0;
		v = strtod(s, &endp);
		if (endp != s + n)
			return pbr_bad(st, "\"%s\" is not a valid %s",
			               pbr_show(s, n, show, sizeof show), tn);
		if (isinf(v) && errno == ERANGE)
			return pbr_bad(st, "%s out of range for %s",
			               pbr_show(s, n, show, sizeof show), tn);
	}
	if (bits == 32) {
		f = (float)v;
		if (isinf(f) && !isinf(v))
			return pbr_bad(st, "%s out of range for float",
			               pbr_show(s, n, show, sizeof show));
		memcpy(dst, &f, sizeof f);
	} else {
		memcpy(dst, &v, sizeof v);
	}
	return 0;
}

/* An enum value by name or number. 1 in *skip: unknown name ignored. */
static int pbr_enum_from(struct pbr *st, const ProtobufCEnumDescriptor *ed,
                         const char *s, size_t n, int number_text, int *skip,
                         void *dst)
{
	const ProtobufCEnumValue *ev = NULL;
	char show[64];
	int32_t v;

	if (strlen(s) == n)
		ev = protobuf_c_enum_descriptor_get_value_by_name(ed, s);
	if (ev) {
		v = ev->value;
		memcpy(dst, &v, sizeof v);
		return 0;
	}
	if (number_text && n && (pbr_digit(*s) || *s == '-' || *s == '+'))
		return pbr_int_from(st, PROTOBUF_C_TYPE_ENUM, s, n,
		                    pbr_dec_text, dst);
	if (st->ignore_unknown && !number_text) {
		*skip = 1;
		return 0;
	}
	return pbr_bad(st, "unknown value \"%s\" for enum %s",
	               pbr_show(s, n, show, sizeof show), ed->name);
}

static int pbr_b64_val(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Base64, standard or URL-safe (whichever the text uses), padded or not,
 * into allocator memory. */
static int pbr_b64(struct pbr *st, const char *s, size_t n,
                   ProtobufCBinaryData *out)
{
	int url = memchr(s, '-', n) || memchr(s, '_', n);
	size_t pad = 0, i, o = 0, rem;
	uint8_t *d;
	uint32_t acc = 0;
	int bits = 0;

	if (n % 4 == 0)
		while (pad < 2 && n > 0 && s[n - 1] == '=')
			n--, pad++;
	rem = n % 4;
	if (rem == 1 || (pad && pad != 4 - rem))
		return pbr_bad(st, "invalid base64");
	out->data = NULL;
	out->len = 0;
	if (!n)
		return 0;
	d = pbr_alloc(st, n / 4 * 3 + 3);
	if (!d)
		return -1;
	for (i = 0; i < n; i++) {
		int v = pbr_b64_val((unsigned char)s[i], url);

		if (v < 0) {
			pbr_free(st, d);
			return pbr_bad(st, "invalid base64");
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (uint8_t)(acc >> bits);
		}
	}
	out->data = d;
	out->len = o;
	return 0;
}

/* ---- Timestamp, Duration, FieldMask from their strings ---------------- */

static int pbr_ndigits(const char *s, int n, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!pbr_digit(s[i]))
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t pbr_days(int64_t y, unsigned mo, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* RFC 3339: 0 ok, PBR_SYNTAX, PBR_RANGE. */
static int pbr_parse_ts(const char *s, size_t n, int64_t *secs, int32_t *nanos)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30,
	                                 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, se, oh, om;
	int64_t t;
	int32_t ns = 0;
	size_t i = 19;
	int k;

	if (n < 20 || pbr_ndigits(s, 4, &y) || s[4] != '-' ||
	    pbr_ndigits(s + 5, 2, &mo) || s[7] != '-' ||
	    pbr_ndigits(s + 8, 2, &d) || s[10] != 'T' ||
	    pbr_ndigits(s + 11, 2, &h) || s[13] != ':' ||
	    pbr_ndigits(s + 14, 2, &mi) || s[16] != ':' ||
	    pbr_ndigits(s + 17, 2, &se))
		return PBR_SYNTAX;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || se > 59)
		return PBR_SYNTAX;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return PBR_SYNTAX;
	if (s[i] == '.') {
		i++;
		for (k = 0; k < 9 && i < n && pbr_digit(s[i]); k++, i++)
			ns = ns * 10 + (s[i] - '0');
		if (k == 0 || (i < n && pbr_digit(s[i])))
			return PBR_SYNTAX;
		for (; k < 9; k++)
			ns *= 10;
	}
	t = pbr_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (n - i < 6 || pbr_ndigits(s + i + 1, 2, &oh) ||
		    s[i + 3] != ':' || pbr_ndigits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return PBR_SYNTAX;
		/* local time minus the offset is UTC */
		t += (s[i] == '+' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
		i += 6;
	} else {
		return PBR_SYNTAX;
	}
	if (i != n)
		return PBR_SYNTAX;
	if (y < 1 || t < PBJSON_TS_MIN || t > PBJSON_TS_MAX)
		return PBR_RANGE;
	*secs = t;
	*nanos = ns;
	return PBR_OK;
}

/* "[-]<int>[.<1-9 digits>]s", like Go's protojson: no '+', no leading
 * zeros, ".5s" fine. */
static int pbr_parse_dur(const char *s, size_t n, int64_t *secs, int32_t *nanos)
{
	size_t i = 0, nd = 0;
	int neg = 0, k;
	int64_t v = 0;
	int32_t ns = 0;

	if (n && s[0] == '-')
		neg = 1, i++;
	if (i < n && s[i] == '0') {
		i++, nd++;
	} else {
		for (; i < n && pbr_digit(s[i]); i++, nd++) {
			if (nd >= 12) /* past 315576000000 already */
				return PBR_RANGE;
			v = v * 10 + (s[i] - '0');
		}
	}
	if (i < n && s[i] == '.') {
		i++;
		for (k = 0; k < 9 && i < n && pbr_digit(s[i]); k++, i++)
			ns = ns * 10 + (s[i] - '0');
		if (k == 0 || (i < n && pbr_digit(s[i])))
			return PBR_SYNTAX;
		for (; k < 9; k++)
			ns *= 10;
		nd++;
	}
	if (!nd || i + 1 != n || s[i] != 's')
		return PBR_SYNTAX;
	if (v > PBJSON_DUR_MAX)
		return PBR_RANGE;
	*secs = neg ? -v : v;
	*nanos = neg ? -ns : ns;
	return PBR_OK;
}

static int pbr_set_i64(ProtobufCMessage *m, unsigned id, int64_t v)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(m->descriptor, id);

	if (!f || pbjson_elem_size(f->type) != 8)
		return -1;
	memcpy(pbr_at(m, f->offset), &v, sizeof v);
	return 0;
}

static int pbr_set_i32(ProtobufCMessage *m, unsigned id, int32_t v)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(m->descriptor, id);

	if (!f || pbjson_elem_size(f->type) != 4)
		return -1;
	memcpy(pbr_at(m, f->offset), &v, sizeof v);
	return 0;
}

/* A Timestamp or Duration (by wkt) from its string s[0..n). */
static int pbr_time_from(struct pbr *st, ProtobufCMessage *m, int wkt,
                         const char *s, size_t n)
{
	char show[64];
	const char *what =
	    wkt == PBJSON_WKT_TIMESTAMP ? "timestamp" : "duration";
	int64_t secs = 0;
	int32_t ns = 0;
	int rc = wkt == PBJSON_WKT_TIMESTAMP ? pbr_parse_ts(s, n, &secs, &ns)
	                                     : pbr_parse_dur(s, n, &secs, &ns);

	if (rc == PBR_SYNTAX)
		return pbr_bad(st, "invalid %s \"%s\"", what,
		               pbr_show(s, n, show, sizeof show));
	if (rc == PBR_RANGE)
		return pbr_bad(st, "%s \"%s\" out of range", what,
		               pbr_show(s, n, show, sizeof show));
	if (pbr_set_i64(m, 1, secs) < 0 || pbr_set_i32(m, 2, ns) < 0)
		return pbr_bad(st, "malformed %s descriptor",
		               m->descriptor->name);
	return 0;
}

/* A FieldMask from "fooBar,baz.quxQuux": paths back to snake_case. */
static int pbr_field_mask_from(struct pbr *st, ProtobufCMessage *m,
                               const char *s, size_t n)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(m->descriptor, 1);
	size_t *np, cap = 0, i, j, len, o, start, end;
	char ***ap, *path, show[64];
	const char *seg, *comma;

	if (!f || f->type != PROTOBUF_C_TYPE_STRING ||
	    f->label != PROTOBUF_C_LABEL_REPEATED)
		return pbr_bad(st, "malformed %s descriptor",
		               m->descriptor->name);
	np = pbr_at(m, f->quantifier_offset);
	ap = pbr_at(m, f->offset);
	if (!n)
		return 0;
	for (start = 0; start <= n; start = end + 1) {
		comma = memchr(s + start, ',', n - start);
		end = comma ? (size_t)(comma - s) : n;
		seg = s + start;
		len = end - start;
		/* identifiers separated by dots, and no '_', which would not
		 * come back the same */
		for (i = 0; i < len; i++) {
			char c = seg[i];
			int first = i == 0 || seg[i - 1] == '.';

			if (c == '.' ? first || i + 1 == len
			             : !((c >= 'a' && c <= 'z') ||
			                 (c >= 'A' && c <= 'Z') ||
			                 (!first && pbr_digit(c))))
				break;
		}
		if (!len || i < len)
			return pbr_bad(st, "invalid FieldMask path \"%s\"",
			               pbr_show(seg, len, show, sizeof show));
		if (pbr_grow(st, (void **)ap, *np, &cap, sizeof(char *)) < 0)
			return -1;
		for (i = 0, o = len; i < len; i++)
			o += seg[i] >= 'A' && seg[i] <= 'Z';
		path = pbr_alloc(st, o + 1);
		if (!path)
			return -1;
		for (i = 0, j = 0; i < len; i++) {
			if (seg[i] >= 'A' && seg[i] <= 'Z') {
				path[j++] = '_';
				path[j++] = (char)(seg[i] - 'A' + 'a');
			} else {
				path[j++] = seg[i];
			}
		}
		path[j] = '\0';
		(*ap)[(*np)++] = path;
	}
	return 0;
}

/* ---- values ----------------------------------------------------------- */

static int pbr_message(struct pbr *st, ProtobufCMessage *m);
static int pbr_skip(struct pbr *st);

static int pbr_int(struct pbr *st, ProtobufCType t, void *dst)
{
	const char *s;
	size_t n;
	int c = pbr_peek(st);

	if (c == '"') {
		if (pbr_str_tmp(st, &s, &n) < 0)
			return -1;
	} else if (pbr_is_num_start(c)) {
		if (pbr_number(st, &s, &n) < 0)
			return -1;
	} else {
		return pbr_type_err(st, pbr_type_name(t));
	}
	return pbr_int_from(st, t, s, n, pbr_int_text, dst);
}

static int pbr_float(struct pbr *st, int bits, void *dst)
{
	const char *s;
	char *z;
	size_t n;
	int c = pbr_peek(st);

	if (c == '"') {
		if (pbr_str_tmp(st, &s, &n) < 0)
			return -1;
		return pbr_float_from(st, bits, s, n, 1, 1, dst);
	}
	if (!pbr_is_num_start(c))
		return pbr_type_err(st, bits == 32 ? "float" : "double");
	if (pbr_number(st, &s, &n) < 0)
		return -1;
	/* strtod wants a terminated string */
	z = pbr_tmp(st, n + 1);
	if (!z)
		return -1;
	memcpy(z, s, n);
	z[n] = '\0';
	return pbr_float_from(st, bits, z, n, 0, 1, dst);
}

static int pbr_bool(struct pbr *st, void *dst)
{
	protobuf_c_boolean b;
	int c = pbr_peek(st);

	if (c != 't' && c != 'f')
		return pbr_type_err(st, "bool");
	if (pbr_literal(st, c == 't' ? "true" : "false") < 0)
		return -1;
	b = c == 't';
	memcpy(dst, &b, sizeof b);
	return 0;
}

static int pbr_enum(struct pbr *st, const ProtobufCFieldDescriptor *f,
                    void *dst, int *skip)
{
	const ProtobufCEnumDescriptor *ed = f->descriptor;
	const char *s;
	size_t n;
	int32_t zero = 0;
	int c = pbr_peek(st);

	if (c == 'n' && pbr_null_is_value(f)) {
		memcpy(dst, &zero, sizeof zero);
		return pbr_literal(st, "null");
	}
	if (c == '"') {
		if (pbr_str_tmp(st, &s, &n) < 0)
			return -1;
		return pbr_enum_from(st, ed, s, n, 0, skip, dst);
	}
	if (pbr_is_num_start(c)) {
		if (pbr_number(st, &s, &n) < 0)
			return -1;
		return pbr_int_from(st, PROTOBUF_C_TYPE_ENUM, s, n,
		                    pbr_int_text, dst);
	}
	return pbr_type_err(st, "enum name or number");
}

static int pbr_string(struct pbr *st, char **dst)
{
	const char *s;
	size_t n;

	if (pbr_peek(st) != '"')
		return pbr_type_err(st, "string");
	if (pbr_str_tmp(st, &s, &n) < 0)
		return -1;
	return pbr_str_dup(st, s, n, dst);
}

static int pbr_bytes(struct pbr *st, ProtobufCBinaryData *dst)
{
	const char *s;
	size_t n;

	if (pbr_peek(st) != '"')
		return pbr_type_err(st, "base64 string");
	if (pbr_str_tmp(st, &s, &n) < 0)
		return -1;
	return pbr_b64(st, s, n, dst);
}

/*
 * One value of f's type into dst (the field, an array slot, a map entry's
 * member).  Scalars leave dst untouched on error; a message is linked into
 * dst before it is filled.  *skip: an unknown enum name was ignored.
 */
static int pbr_single(struct pbr *st, const ProtobufCFieldDescriptor *f,
                      void *dst, int *skip)
{
	ProtobufCMessage *sub;

	*skip = 0;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return pbr_int(st, f->type, dst);
	case PROTOBUF_C_TYPE_FLOAT:
		return pbr_float(st, 32, dst);
	case PROTOBUF_C_TYPE_DOUBLE:
		return pbr_float(st, 64, dst);
	case PROTOBUF_C_TYPE_BOOL:
		return pbr_bool(st, dst);
	case PROTOBUF_C_TYPE_ENUM:
		return pbr_enum(st, f, dst, skip);
	case PROTOBUF_C_TYPE_STRING:
		return pbr_string(st, dst);
	case PROTOBUF_C_TYPE_BYTES:
		return pbr_bytes(st, dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		sub = pbr_msg_new(st, f->descriptor);
		if (!sub)
			return -1;
		*(ProtobufCMessage **)dst = sub;
		return pbr_message(st, sub);
	}
	return pbr_bad(st, "field of unknown type %d", (int)f->type);
}

/* Open '{' or '[' one level deeper. */
static int pbr_open(struct pbr *st)
{
	if (st->depth >= st->max_depth)
		return pbr_syntax(st, st->p, "nesting deeper than %d",
		                  st->max_depth);
	st->depth++;
	st->p++;
	return 0;
}

/* After a member or element: 1 more follow, 0 the container closed. */
static int pbr_next(struct pbr *st, char close)
{
	if (pbr_eat(st, ','))
		return 1;
	if (pbr_eat(st, close)) {
		st->depth--;
		return 0;
	}
	if (st->p >= st->end)
		return pbr_syntax(st, st->p, "unexpected end of input");
	return pbr_syntax(st, st->p, "expected ',' or '%c'", close);
}

static int pbr_key(struct pbr *st, const char **k, size_t *kn)
{
	if (pbr_peek(st) != '"') {
		if (st->p >= st->end)
			return pbr_syntax(st, st->p, "unexpected end of input");
		return pbr_syntax(st, st->p, "expected a string key");
	}
	if (pbr_str_tmp(st, k, kn) < 0)
		return -1;
	return pbr_expect(st, ':');
}

/* A repeated (non-map) field from an array. */
static int pbr_array(struct pbr *st, ProtobufCMessage *m,
                     const ProtobufCFieldDescriptor *f)
{
	size_t *np = pbr_at(m, f->quantifier_offset);
	void **ap = pbr_at(m, f->offset);
	size_t sz = pbjson_elem_size(f->type), cap = *np, i, old;
	int rc, skip, more;

	if (pbr_peek(st) != '[')
		return pbr_type_err(st, "array");
	if (pbr_open(st) < 0)
		return -1;
	if (pbr_eat(st, ']')) {
		st->depth--;
		return 0;
	}
	for (i = 0;; i++) {
		char *slot;

		old = pbr_push_index(st, i);
		if (pbr_peek(st) == 'n' && !pbr_null_is_value(f)) {
			rc = pbr_bad(st, "null is not allowed in an array");
			goto next;
		}
		rc = pbr_grow(st, ap, *np, &cap, sz);
		if (rc < 0)
			goto next;
		slot = (char *)*ap + *np * sz;
		memset(slot, 0, sz);
		if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			ProtobufCMessage *sub = pbr_msg_new(st, f->descriptor);

			rc = -1;
			if (sub) {
				*(ProtobufCMessage **)slot = sub;
				(*np)++;
				rc = pbr_message(st, sub);
			}
		} else {
			rc = pbr_single(st, f, slot, &skip);
			if (rc == 0 && !skip)
				(*np)++;
		}
	next:
		pbr_pop(st, old);
		if (rc < 0)
			return -1;
		more = pbr_next(st, ']');
		if (more <= 0)
			return more;
	}
}

/* Map keys are JSON strings: convert to the key field's type. */
static int pbr_map_key(struct pbr *st, const ProtobufCFieldDescriptor *kf,
                       const char *k, size_t n, void *dst)
{
	protobuf_c_boolean b;

	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING:
		return pbr_str_dup(st, k, n, dst);
	case PROTOBUF_C_TYPE_BOOL:
		if (n == 4 && memcmp(k, "true", 4) == 0)
			b = 1;
		else if (n == 5 && memcmp(k, "false", 5) == 0)
			b = 0;
		else
			return pbr_bad(st, "map key is not a valid bool");
		memcpy(dst, &b, sizeof b);
		return 0;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return pbr_int_from(st, kf->type, k, n, pbr_dec_text, dst);
	default:
		return pbr_bad(st, "map keys of type %s are not supported",
		               pbr_type_name(kf->type));
	}
}

static int pbr_key_cmp(const void *a, const void *b)
{
	ProtobufCMessage *ea = *(ProtobufCMessage *const *)a;
	ProtobufCMessage *eb = *(ProtobufCMessage *const *)b;
	const ProtobufCFieldDescriptor *kf = &ea->descriptor->fields[0];
	const void *ka = pbr_at(ea, kf->offset), *kb = pbr_at(eb, kf->offset);
	int32_t i32a, i32b;
	uint32_t u32a, u32b;
	int64_t i64a, i64b;
	uint64_t u64a, u64b;

	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING:
		return strcmp(*(char *const *)ka, *(char *const *)kb);
	case PROTOBUF_C_TYPE_BOOL:
		return (*(const protobuf_c_boolean *)ka != 0) -
		       (*(const protobuf_c_boolean *)kb != 0);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		memcpy(&u32a, ka, 4);
		memcpy(&u32b, kb, 4);
		return (u32a > u32b) - (u32a < u32b);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		memcpy(&i64a, ka, 8);
		memcpy(&i64b, kb, 8);
		return (i64a > i64b) - (i64a < i64b);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		memcpy(&u64a, ka, 8);
		memcpy(&u64b, kb, 8);
		return (u64a > u64b) - (u64a < u64b);
	default:
		memcpy(&i32a, ka, 4);
		memcpy(&i32b, kb, 4);
		return (i32a > i32b) - (i32a < i32b);
	}
}

/* The same key twice in one map is an error: sort a copy and look. */
static int pbr_map_dups(struct pbr *st, ProtobufCMessage **e, size_t n)
{
	ProtobufCMessage **s;
	size_t i;
	int rc = 0;

	if (n < 2)
		return 0;
	s = malloc(n * sizeof *s);
	if (!s)
		return pbr_nomem(st);
	memcpy(s, e, n * sizeof *s);
	qsort(s, n, sizeof *s, pbr_key_cmp);
	for (i = 1; i < n; i++) {
		if (pbr_key_cmp(&s[i - 1], &s[i]) == 0) {
			const ProtobufCFieldDescriptor *kf =
			    &s[i]->descriptor->fields[0];
			char show[64];

			if (kf->type == PROTOBUF_C_TYPE_STRING) {
				const char *k =
				    *(char *const *)pbr_at(s[i], kf->offset);

				rc = pbr_bad(
				    st, "duplicate map key \"%s\"",
				    pbr_show(k, strlen(k), show, sizeof show));
			} else {
				rc = pbr_bad(st, "duplicate map key");
			}
			break;
		}
	}
	free(s);
	return rc;
}

/* A map field from an object. */
static int pbr_map(struct pbr *st, ProtobufCMessage *m,
                   const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0],
	                               *vf = &ed->fields[1];
	size_t *np = pbr_at(m, f->quantifier_offset);
	ProtobufCMessage ***ap = pbr_at(m, f->offset);
	size_t cap = *np, old, kn, start = *np;
	const char *k;
	int rc, skip, more;

	if (pbr_peek(st) != '{')
		return pbr_type_err(st, "object");
	if (pbr_open(st) < 0)
		return -1;
	if (pbr_eat(st, '}')) {
		st->depth--;
		return 0;
	}
	for (;;) {
		ProtobufCMessage *e;

		if (pbr_key(st, &k, &kn) < 0)
			return -1;
		old = pbr_push(st, "[", k, kn, "]");
		rc = pbr_grow(st, (void **)ap, *np, &cap, sizeof(void *));
		if (rc < 0)
			goto next;
		rc = -1;
		e = pbr_msg_new(st, ed);
		if (!e)
			goto next;
		(*ap)[(*np)++] = e;
		/* the key is still in the scratch buffer: use it first */
		rc = pbr_map_key(st, kf, k, kn, pbr_at(e, kf->offset));
		if (rc < 0)
			goto next;
		pbr_mark_set(e, kf);
		if (pbr_peek(st) == 'n' && !pbr_null_is_value(vf)) {
			rc = pbr_bad(st, "null is not allowed as a map value");
			goto next;
		}
		rc = pbr_single(st, vf, pbr_at(e, vf->offset), &skip);
		if (rc == 0 && skip) {
			(*np)--;
			protobuf_c_message_free_unpacked(e, st->a);
		} else if (rc == 0) {
			pbr_mark_set(e, vf);
		}
	next:
		pbr_pop(st, old);
		if (rc < 0)
			return -1;
		more = pbr_next(st, '}');
		if (more < 0)
			return -1;
		if (!more)
			break;
	}
	return pbr_map_dups(st, *ap + start, *np - start);
}

/* Field f of m from the value at st->p. */
static int pbr_field(struct pbr *st, ProtobufCMessage *m,
                     const ProtobufCFieldDescriptor *f)
{
	uint32_t *qc;
	int rc, skip;

	if (pbr_peek(st) == 'n' && !pbr_null_is_value(f))
		return pbr_literal(st, "null"); /* unset */
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return pbjson_is_map(f) ? pbr_map(st, m, f)
		                         : pbr_array(st, m, f);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		qc = pbr_at(m, f->quantifier_offset);
		if (*qc && *qc != f->id) {
			const ProtobufCFieldDescriptor *o =
			    protobuf_c_message_descriptor_get_field(
			        m->descriptor, *qc);

			return pbr_bad(st,
			               "two members of one oneof set: "
			               "\"%s\" and \"%s\"",
			               o ? o->name : "?", f->name);
		}
		/* the case first, so that a message being filled is freed
		 * with the rest on error */
		*qc = f->id;
		rc = pbr_single(st, f, pbr_at(m, f->offset), &skip);
		if (rc == 0 && skip)
			*qc = 0;
		return rc;
	}
	rc = pbr_single(st, f, pbr_at(m, f->offset), &skip);
	if (rc == 0 && !skip)
		pbr_mark_set(m, f);
	return rc;
}

/* An ordinary message from an object.  in_any: the object is an Any's,
 * whose "@type" the first pass has read. */
static int pbr_object(struct pbr *st, ProtobufCMessage *m, int in_any)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned char small[32], *seen = small;
	const ProtobufCFieldDescriptor *f;
	size_t nb = (d->n_fields + 7) / 8, kn, old, idx;
	const char *k;
	int rc = -1, more;

	if (pbr_peek(st) != '{') {
		char want[160];

		snprintf(want, sizeof want, "an object for %s", d->name);
		return pbr_type_err(st, want);
	}
	if (nb > sizeof small) {
		seen = malloc(nb);
		if (!seen)
			return pbr_nomem(st);
	}
	memset(seen, 0, nb);
	if (pbr_open(st) < 0)
		goto out;
	if (pbr_eat(st, '}')) {
		st->depth--;
		rc = 0;
		goto out;
	}
	for (;;) {
		if (pbr_key(st, &k, &kn) < 0)
			goto out;
		if (in_any && kn == 5 && memcmp(k, "@type", 5) == 0) {
			if (pbr_skip(st) < 0)
				goto out;
		} else {
			f = pbr_find_field(d, k, kn);
			old = pbr_push_key(st, k, kn);
			if (!f) {
				if (st->ignore_unknown)
					rc = pbr_skip(st);
				else
					rc = pbr_bad(st, "unknown field in %s",
					             d->name);
			} else {
				idx = (size_t)(f - d->fields);
				if (seen[idx / 8] & (1u << (idx % 8))) {
					rc = pbr_bad(st, "duplicate field");
				} else {
					seen[idx / 8] |=
					    (unsigned char)(1u << (idx % 8));
					rc = pbr_field(st, m, f);
				}
			}
			pbr_pop(st, old);
			if (rc < 0)
				goto out;
		}
		more = pbr_next(st, '}');
		rc = more < 0 ? -1 : 0;
		if (more <= 0)
			break;
	}
out:
	if (seen != small)
		free(seen);
	return rc;
}

/* An Any of a well-known type: {"@type": ..., "value": <its JSON>}. */
static int pbr_any_wkt(struct pbr *st, ProtobufCMessage *sub)
{
	const char *k;
	size_t kn, old;
	int got = 0, rc, more;

	if (pbr_open(st) < 0)
		return -1;
	if (pbr_eat(st, '}')) {
		st->depth--;
		goto done;
	}
	for (;;) {
		if (pbr_key(st, &k, &kn) < 0)
			return -1;
		old = pbr_push_key(st, k, kn);
		if (kn == 5 && memcmp(k, "@type", 5) == 0) {
			rc = pbr_skip(st);
		} else if (kn == 5 && memcmp(k, "value", 5) == 0) {
			rc = got ? pbr_bad(st, "duplicate field")
			         : pbr_message(st, sub);
			got = 1;
		} else if (st->ignore_unknown) {
			rc = pbr_skip(st);
		} else {
			rc = pbr_bad(st,
			             "unknown field in google.protobuf.Any "
			             "holding %s (only \"value\")",
			             sub->descriptor->name);
		}
		pbr_pop(st, old);
		if (rc < 0)
			return -1;
		more = pbr_next(st, '}');
		if (more < 0)
			return -1;
		if (!more)
			break;
	}
done:
	if (!got)
		return pbr_bad(st,
		               "google.protobuf.Any holding %s needs "
		               "\"value\"",
		               sub->descriptor->name);
	return 0;
}

static int pbr_any(struct pbr *st, ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *tf =
	    protobuf_c_message_descriptor_get_field(m->descriptor, 1);
	const ProtobufCFieldDescriptor *vf =
	    protobuf_c_message_descriptor_get_field(m->descriptor, 2);
	const ProtobufCMessageDescriptor *td;
	ProtobufCMessage *sub;
	ProtobufCBinaryData *val;
	const char *start, *after, *k, *s;
	char **url, show[64];
	size_t kn, n, old, len;
	int rc, more, members = 0;

	if (!tf || !vf || tf->type != PROTOBUF_C_TYPE_STRING ||
	    vf->type != PROTOBUF_C_TYPE_BYTES)
		return pbr_bad(st, "malformed google.protobuf.Any descriptor");
	url = pbr_at(m, tf->offset);
	val = pbr_at(m, vf->offset);
	if (pbr_peek(st) != '{')
		return pbr_type_err(st, "an object for google.protobuf.Any");

	/* pass 1: "@type", wherever it is; the syntax of the rest */
	start = st->p;
	if (pbr_open(st) < 0)
		return -1;
	if (pbr_eat(st, '}')) {
		st->depth--;
		return 0; /* an empty Any */
	}
	*url = NULL;
	for (;;) {
		if (pbr_key(st, &k, &kn) < 0)
			return -1;
		members++;
		if (kn == 5 && memcmp(k, "@type", 5) == 0) {
			old = pbr_push_key(st, "@type", 5);
			if (*url)
				rc = pbr_bad(st, "duplicate field");
			else if (pbr_peek(st) != '"')
				rc = pbr_type_err(st, "a type URL string");
			else if ((rc = pbr_str_tmp(st, &s, &n)) == 0)
				rc = pbr_str_dup(st, s, n, url);
			pbr_pop(st, old);
		} else {
			rc = pbr_skip(st);
		}
		if (rc < 0)
			return -1;
		more = pbr_next(st, '}');
		if (more < 0)
			return -1;
		if (!more)
			break;
	}
	after = st->p;
	if (!*url)
		return pbr_bad(st, "google.protobuf.Any without \"@type\"");
	td = pbjson_find_type(*url);
	if (!td)
		return pbr_bad(st, "unknown type \"%s\" in @type",
		               pbr_show(*url, strlen(*url), show, sizeof show));

	/* pass 2: the members as the named type */
	sub = pbr_msg_new(st, td);
	if (!sub)
		return -1;
	st->p = start;
	if (pbjson__wkt(td) != PBJSON_WKT_NONE)
		rc = pbr_any_wkt(st, sub);
	else
		rc = pbr_object(st, sub, 1);
	if (rc == 0 && st->p != after)
		rc = pbr_syntax(st, st->p, "internal error re-reading Any");
	if (rc == 0) {
		len = protobuf_c_message_get_packed_size(sub);
		if (len) {
			val->data = pbr_alloc(st, len);
			if (!val->data)
				rc = -1;
			else
				val->len =
				    protobuf_c_message_pack(sub, val->data);
		}
	}
	protobuf_c_message_free_unpacked(sub, st->a);
	return rc;
}

/* google.protobuf.Value: whichever member the JSON kind calls for. */
static int pbr_struct_value(struct pbr *st, ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f;
	const char *name;
	int c = pbr_peek(st), skip;

	switch (c) {
	case 'n':
		name = "null_value";
		break;
	case 't':
	case 'f':
		name = "bool_value";
		break;
	case '"':
		name = "string_value";
		break;
	case '{':
		name = "struct_value";
		break;
	case '[':
		name = "list_value";
		break;
	default:
		if (!pbr_is_num_start(c))
			return pbr_unexpected(st);
		name = "number_value";
	}
	f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
	                                                    name);
	if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
		return pbr_bad(st,
		               "malformed google.protobuf.Value descriptor");
	*(uint32_t *)pbr_at(m, f->quantifier_offset) = f->id;
	return pbr_single(st, f, pbr_at(m, f->offset), &skip);
}

/* A message from the value at st->p, by its JSON form. */
static int pbr_message(struct pbr *st, ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *f1 =
	    protobuf_c_message_descriptor_get_field(d, 1);
	enum pbjson_wkt wkt = pbjson__wkt(d);
	const char *s;
	size_t n;
	int skip;

	switch (wkt) {
	case PBJSON_WKT_TIMESTAMP:
	case PBJSON_WKT_DURATION:
	case PBJSON_WKT_FIELD_MASK:
		if (pbr_peek(st) != '"')
			return pbr_type_err(st,
			                    wkt == PBJSON_WKT_TIMESTAMP
			                        ? "an RFC 3339 timestamp string"
			                    : wkt == PBJSON_WKT_DURATION
			                        ? "a duration string"
			                        : "a FieldMask string");
		if (pbr_str_tmp(st, &s, &n) < 0)
			return -1;
		if (wkt == PBJSON_WKT_FIELD_MASK)
			return pbr_field_mask_from(st, m, s, n);
		return pbr_time_from(st, m, wkt, s, n);
	case PBJSON_WKT_WRAPPER:
		if (!f1)
			break;
		if (pbr_single(st, f1, pbr_at(m, f1->offset), &skip) < 0)
			return -1;
		pbr_mark_set(m, f1);
		return 0;
	case PBJSON_WKT_STRUCT:
		if (!f1 || !pbjson_is_map(f1))
			break;
		return pbr_map(st, m, f1);
	case PBJSON_WKT_LIST_VALUE:
		if (!f1 || f1->label != PROTOBUF_C_LABEL_REPEATED)
			break;
		return pbr_array(st, m, f1);
	case PBJSON_WKT_VALUE:
		return pbr_struct_value(st, m);
	case PBJSON_WKT_ANY:
		return pbr_any(st, m);
	case PBJSON_WKT_EMPTY:
	case PBJSON_WKT_NONE:
		return pbr_object(st, m, 0);
	}
	return pbr_bad(st, "malformed %s descriptor", d->name);
}

/* Step over any value, checking its syntax. */
static int pbr_skip(struct pbr *st)
{
	const char *s, *k;
	size_t n;
	int c = pbr_peek(st), more;

	switch (c) {
	case '{':
	case '[':
		if (pbr_open(st) < 0)
			return -1;
		if (pbr_eat(st, c == '{' ? '}' : ']')) {
			st->depth--;
			return 0;
		}
		do {
			if (c == '{' && pbr_key(st, &k, &n) < 0)
				return -1;
			if (pbr_skip(st) < 0)
				return -1;
			more = pbr_next(st, c == '{' ? '}' : ']');
		} while (more > 0);
		return more;
	case '"':
		return pbr_str_skip(st);
	case 't':
		return pbr_literal(st, "true");
	case 'f':
		return pbr_literal(st, "false");
	case 'n':
		return pbr_literal(st, "null");
	default:
		if (pbr_is_num_start(c))
			return pbr_number(st, &s, &n);
		return pbr_unexpected(st);
	}
}

/* ---- public API ------------------------------------------------------- */

static void pbr_init(struct pbr *st, const char *buf, size_t len,
                     ProtobufCAllocator *alloc, char *err, size_t errlen)
{
	memset(st, 0, sizeof *st);
	if (!buf)
		buf = "";
	st->buf = st->p = buf;
	st->end = buf + len;
	st->a = alloc ? alloc : &pbr_sys;
	st->max_depth = PBR_DEFAULT_DEPTH;
	st->err = err;
	st->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
}

static int pbr_finish(struct pbr *st, int rc)
{
	free(st->tmp);
	if (rc < 0) {
		errno = st->failed ? st->failed : EINVAL;
		return -1;
	}
	return 0;
}

int pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json,
                  size_t len, const struct pbjson_read_opts *opts,
                  ProtobufCAllocator *alloc, ProtobufCMessage **out, char *err,
                  size_t errlen)
{
	struct pbr st;
	ProtobufCMessage *m;
	int rc = -1;

	pbr_init(&st, json, len, alloc, err, errlen);
	if (out)
		*out = NULL;
	if (!desc || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC ||
	    !out || (!json && len)) {
		pbr_bad(&st, "invalid arguments");
		return pbr_finish(&st, -1);
	}
	if (opts) {
		st.ignore_unknown = opts->ignore_unknown;
		if (opts->max_depth > 0)
			st.max_depth = opts->max_depth;
	}
	m = pbr_msg_new(&st, desc);
	if (!m)
		return pbr_finish(&st, -1);
	if (pbr_peek(&st) < 0)
		pbr_syntax(&st, st.p, "unexpected end of input");
	else if (pbr_message(&st, m) == 0) {
		if (pbr_peek(&st) >= 0)
			pbr_syntax(&st, st.p,
			           "unexpected data after the value");
		else
			rc = 0;
	}
	if (rc < 0 || st.failed) {
		protobuf_c_message_free_unpacked(m, st.a);
		return pbr_finish(&st, -1);
	}
	*out = m;
	return pbr_finish(&st, 0);
}

ProtobufCMessage *pbjson_message_new(const ProtobufCMessageDescriptor *desc,
                                     ProtobufCAllocator *alloc)
{
	struct pbr st;

	pbr_init(&st, NULL, 0, alloc, NULL, 0);
	return desc ? pbr_msg_new(&st, desc) : NULL;
}

/* Free what a singular field f of m holds before it is replaced. */
static void pbr_release(struct pbr *st, ProtobufCMessage *m,
                        const ProtobufCFieldDescriptor *f)
{
	void *p = pbr_at(m, f->offset);

	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    *(uint32_t *)pbr_at(m, f->quantifier_offset) != f->id)
		return; /* the storage belongs to another member, or none */
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		char *s = *(char **)p;

		if (s && s != f->default_value)
			pbr_free(st, s);
	} else if (f->type == PROTOBUF_C_TYPE_BYTES) {
		const ProtobufCBinaryData *def = f->default_value;
		ProtobufCBinaryData *b = p;

		if (b->data && (!def || b->data != def->data))
			pbr_free(st, b->data);
	} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		ProtobufCMessage *sub = *(ProtobufCMessage **)p;

		if (sub)
			protobuf_c_message_free_unpacked(sub, st->a);
	}
}

/* One value of f's type from URL text into dst (an unlinked temporary:
 * on error, whatever was allocated is freed here). */
static int pbr_text(struct pbr *st, const ProtobufCFieldDescriptor *f,
                    const char *s, void *dst)
{
	const ProtobufCFieldDescriptor *f1;
	ProtobufCMessage *sub;
	size_t n = strlen(s);
	int skip = 0, rc, wkt;
	protobuf_c_boolean b;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return pbr_int_from(st, f->type, s, n, pbr_dec_text, dst);
	case PROTOBUF_C_TYPE_FLOAT:
		return pbr_float_from(st, 32, s, n, 1, 0, dst);
	case PROTOBUF_C_TYPE_DOUBLE:
		return pbr_float_from(st, 64, s, n, 1, 0, dst);
	case PROTOBUF_C_TYPE_BOOL:
		if (strcmp(s, "true") == 0)
			b = 1;
		else if (strcmp(s, "false") == 0)
			b = 0;
		else
			return pbr_bad(st, "expected true or false");
		memcpy(dst, &b, sizeof b);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		return pbr_enum_from(st, f->descriptor, s, n, 1, &skip, dst);
	case PROTOBUF_C_TYPE_STRING:
		if (!pbr_utf8_valid(s, n))
			return pbr_bad(st, "invalid UTF-8");
		return pbr_str_dup(st, s, n, dst);
	case PROTOBUF_C_TYPE_BYTES:
		return pbr_b64(st, s, n, dst);
	case PROTOBUF_C_TYPE_MESSAGE:
		break;
	}
	wkt = pbjson__wkt(f->descriptor);
	if (wkt != PBJSON_WKT_TIMESTAMP && wkt != PBJSON_WKT_DURATION &&
	    wkt != PBJSON_WKT_FIELD_MASK && wkt != PBJSON_WKT_WRAPPER)
		return pbr_bad(
		    st,
		    "a message field (%s) cannot be set from a "
		    "string",
		    ((const ProtobufCMessageDescriptor *)f->descriptor)->name);
	sub = pbr_msg_new(st, f->descriptor);
	if (!sub)
		return -1;
	if (wkt == PBJSON_WKT_WRAPPER) {
		f1 =
		    protobuf_c_message_descriptor_get_field(sub->descriptor, 1);
		rc = f1 ? pbr_text(st, f1, s, pbr_at(sub, f1->offset)) : -1;
	} else if (wkt == PBJSON_WKT_FIELD_MASK) {
		rc = pbr_field_mask_from(st, sub, s, n);
	} else {
		rc = pbr_time_from(st, sub, wkt, s, n);
	}
	if (rc < 0) {
		protobuf_c_message_free_unpacked(sub, st->a);
		return -1;
	}
	*(ProtobufCMessage **)dst = sub;
	return 0;
}

int pbjson_set_path(ProtobufCMessage *m, const char *path, const char *value,
                    ProtobufCAllocator *alloc, char *err, size_t errlen)
{
	const ProtobufCFieldDescriptor *f = NULL;
	union {
		uint64_t u64;
		double d;
		char *s;
		ProtobufCBinaryData b;
		ProtobufCMessage *m;
	} tmp;
	struct pbr st;
	const char *seg, *dot;
	char *name;
	size_t n, sz;
	uint32_t *qc;
	int rc = -1;

	pbr_init(&st, NULL, 0, alloc, err, errlen);
	if (!m || !path || !value) {
		pbr_bad(&st, "invalid arguments");
		return pbr_finish(&st, -1);
	}
	pbr_push(&st, "", path, strlen(path), "");
	for (seg = path;; seg = dot + 1) {
		dot = strchr(seg, '.');
		n = dot ? (size_t)(dot - seg) : strlen(seg);
		name = pbr_tmp(&st, n + 1);
		if (!name)
			return pbr_finish(&st, -1);
		memcpy(name, seg, n);
		name[n] = '\0';
		f = n ? pbr_find_field(m->descriptor, name, n) : NULL;
		if (!f) {
			pbr_bad(&st, "no field \"%s\" in %s", name,
			        m->descriptor->name);
			return pbr_finish(&st, -1);
		}
		if (!dot)
			break;
		if (f->label == PROTOBUF_C_LABEL_REPEATED ||
		    f->type != PROTOBUF_C_TYPE_MESSAGE) {
			pbr_bad(&st,
			        "\"%s\" is a %s field; a path can only go "
			        "through singular message fields",
			        f->name,
			        pbjson_is_map(f) ? "map"
			        : f->label == PROTOBUF_C_LABEL_REPEATED
			            ? "repeated"
			            : pbr_type_name(f->type));
			return pbr_finish(&st, -1);
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			qc = pbr_at(m, f->quantifier_offset);
			if (*qc && *qc != f->id) {
				pbr_bad(&st,
				        "another member of the oneof of "
				        "\"%s\" is set",
				        f->name);
				return pbr_finish(&st, -1);
			}
			if (*qc != f->id)
				*(ProtobufCMessage **)pbr_at(m, f->offset) =
				    NULL;
			*qc = f->id;
		}
		if (!*(ProtobufCMessage **)pbr_at(m, f->offset)) {
			ProtobufCMessage *sub = pbr_msg_new(&st, f->descriptor);

			if (!sub)
				return pbr_finish(&st, -1);
			*(ProtobufCMessage **)pbr_at(m, f->offset) = sub;
		}
		m = *(ProtobufCMessage **)pbr_at(m, f->offset);
	}

	if (pbjson_is_map(f)) {
		pbr_bad(&st, "\"%s\" is a map field", f->name);
		return pbr_finish(&st, -1);
	}
	memset(&tmp, 0, sizeof tmp);
	if (pbr_text(&st, f, value, &tmp) < 0)
		return pbr_finish(&st, -1);
	sz = pbjson_elem_size(f->type);
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t *np = pbr_at(m, f->quantifier_offset);
		void **ap = pbr_at(m, f->offset);
		size_t cap = *np; /* exact: appends are few */

		if (pbr_grow(&st, ap, *np, &cap, sz) == 0) {
			memcpy((char *)*ap + *np * sz, &tmp, sz);
			(*np)++;
			rc = 0;
		}
	} else {
		qc = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF
		         ? pbr_at(m, f->quantifier_offset)
		         : NULL;
		if (qc && *qc && *qc != f->id) {
			pbr_bad(&st,
			        "another member of the oneof of \"%s\" "
			        "is set",
			        f->name);
		} else {
			pbr_release(&st, m, f);
			memcpy(pbr_at(m, f->offset), &tmp, sz);
			if (qc)
				*qc = f->id;
			pbr_mark_set(m, f);
			rc = 0;
		}
	}
	if (rc < 0) {
		/* tmp was never linked in */
		if (f->type == PROTOBUF_C_TYPE_STRING)
			pbr_free(&st, tmp.s);
		else if (f->type == PROTOBUF_C_TYPE_BYTES)
			pbr_free(&st, tmp.b.data);
		else if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			protobuf_c_message_free_unpacked(tmp.m, st.a);
	}
	return pbr_finish(&st, rc);
}
