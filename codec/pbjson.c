/*
 * pbjson.c -- protobuf-c messages to JSON and YAML (see pbjson.h).
 *
 * The walk (pbj_message and friends) knows protobuf; the writer (pbj_key,
 * pbj_begin, pbj_end, pbj_str, pbj_raw) knows JSON and YAML layout.  The
 * writer is lazy about separators, so it never needs to know in advance
 * whether a container will be empty.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"
#include "pbjson_priv.h"

#define PBJ_MAX_DEPTH 400

/* How a YAML container was introduced. */
enum pbj_ctx {
	PBJ_TOP,
	PBJ_AFTER_KEY,  /* "key:" */
	PBJ_AFTER_DASH, /* "-" */
};

struct pbj_frame {
	char kind;    /* '{' or '[' */
	char ctx;     /* enum pbj_ctx (YAML) */
	int col;      /* YAML: column of the entries */
	size_t count; /* entries written */
};

struct pbjson_writer {
	struct pbjson_opts o;
	char *buf;
	size_t len, cap;
	int err; /* errno of the first failure, 0 */
	int depth;
	size_t ntop; /* top-level values written */
	struct pbj_frame st[PBJ_MAX_DEPTH];
};

/* ---- output buffer ---------------------------------------------------- */

static int pbj_fail(struct pbjson_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	errno = w->err;
	return -1;
}

static void pbj_put(struct pbjson_writer *w, const char *s, size_t n)
{
	size_t ncap;
	char *p;

	if (w->err)
		return;
	if (w->len + n + 1 > w->cap) {
		ncap = w->cap ? w->cap : 256;
		while (ncap < w->len + n + 1) {
			if (ncap > SIZE_MAX / 2) {
				pbj_fail(w, ENOMEM);
				return;
			}
			ncap *= 2;
		}
		p = realloc(w->buf, ncap);
		if (!p) {
			pbj_fail(w, ENOMEM);
			return;
		}
		w->buf = p;
		w->cap = ncap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void pbj_puts(struct pbjson_writer *w, const char *s)
{
	pbj_put(w, s, strlen(s));
}

static void pbj_putc(struct pbjson_writer *w, char c)
{
	pbj_put(w, &c, 1);
}

static void pbj_spaces(struct pbjson_writer *w, int n)
{
	static const char sp[] = "                                ";

	while (n > 0) {
		int k = n < (int)sizeof sp - 1 ? n : (int)sizeof sp - 1;

		pbj_put(w, sp, (size_t)k);
		n -= k;
	}
}

/* ---- string escaping -------------------------------------------------- */

size_t pbjson_utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* A JSON (and YAML double-quoted) string literal.  yaml also escapes DEL,
 * which YAML does not allow raw. */
static void pbj_quote(struct pbjson_writer *w, const char *s, size_t n,
                      int yaml)
{
	const unsigned char *u = (const unsigned char *)s;
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, start = 0, k;
	char esc[7];

	pbj_putc(w, '"');
	while (i < n) {
		unsigned char c = u[i];
		const char *rep = NULL;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			k = pbjson_utf8_len(u + i, n - i);
			if (k) {
				i += k;
				continue;
			}
			rep = "\\ufffd";
			k = 1;
		} else {
			k = 1;
			switch (c) {
			case '"':
				rep = "\\\"";
				break;
			case '\\':
				rep = "\\\\";
				break;
			case '\n':
				rep = "\\n";
				break;
			case '\r':
				rep = "\\r";
				break;
			case '\t':
				rep = "\\t";
				break;
			case '\b':
				rep = "\\b";
				break;
			case '\f':
				rep = "\\f";
				break;
			case 0x7f:
				if (!yaml) {
					i++;
					continue;
				}
				/* fall through */
			default:
				esc[0] = '\\';
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				esc[6] = '\0';
				rep = esc;
			}
		}
		pbj_put(w, s + start, i - start);
		pbj_puts(w, rep);
		i += k;
		start = i;
	}
	pbj_put(w, s + start, i - start);
	pbj_putc(w, '"');
}

static int pbj_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!lit[i] || c != lit[i])
			return 0;
	}
	return lit[n] == '\0';
}

static int pbj_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Would a YAML 1.1 reader (go-yaml, PyYAML) take s for a number or a
 * date?  Ints (also 0x, 0o, 0b, with '_'), floats, sexagesimal numbers
 * (1:30) and dates (2024-05-01...).
 */
static int pbj_yaml_numberish(const char *s, size_t n)
{
	size_t i = 0, digits = 0;
	int dot = 0, exp = 0;

	if (n >= 4 && pbj_digit(s[0]) && pbj_digit(s[1]) && pbj_digit(s[2]) &&
	    pbj_digit(s[3]) && (n == 4 || s[4] == '-'))
		return 1;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i + 1 < n && s[i] == '0' && strchr("xXoObB", s[i + 1]))
		return 1;
	for (; i < n; i++) {
		char c = s[i];

		if (pbj_digit(c)) {
			digits++;
		} else if (c == '_') {
			continue;
		} else if (c == '.' && !dot && !exp) {
			dot = 1;
		} else if (c == ':' && digits && !exp) {
			continue; /* sexagesimal */
		} else if ((c == 'e' || c == 'E') && digits && !exp) {
			exp = 1;
			if (i + 1 < n && (s[i + 1] == '+' || s[i + 1] == '-'))
				i++;
		} else {
			return 0;
		}
	}
	return digits > 0;
}

/* May s be written as a YAML plain scalar that reads back as this string? */
static int pbj_yaml_plain_ok(const char *s, size_t n)
{
	static const char *const words[] = {
	    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"};
	size_t i;

	if (n == 0 || strchr("-?:,[]{}#&*!|>'\"%@`~ .", s[0]))
		return 0;
	if (s[n - 1] == ' ' || s[n - 1] == ':')
		return 0;
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (pbj_ieq(s, n, words[i]))
			return 0;
	if (pbj_yaml_numberish(s, n))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c == ':' && i + 1 < n && s[i + 1] == ' ')
			return 0;
		if (c == '#' && s[i - 1] == ' ')
			return 0;
		if (c >= 0x80) {
			size_t k =
			    pbjson_utf8_len((const unsigned char *)s + i, n - i);

			if (!k)
				return 0;
			i += k - 1;
		}
	}
	return 1;
}

static void pbj_text(struct pbjson_writer *w, const char *s, size_t n)
{
	if (w->o.format == PBJSON_YAML && pbj_yaml_plain_ok(s, n))
		pbj_put(w, s, n);
	else
		pbj_quote(w, s, n, w->o.format == PBJSON_YAML);
}

/* ---- layout ----------------------------------------------------------- */

static void pbj_newline_indent(struct pbjson_writer *w, int level)
{
	int i;

	pbj_putc(w, '\n');
	for (i = 0; i < level; i++)
		pbj_puts(w, w->o.indent);
}

static int pbj_pretty(const struct pbjson_writer *w)
{
	return w->o.indent && *w->o.indent;
}

/* Start the next entry of the innermost container. */
static void pbj_entry(struct pbjson_writer *w)
{
	struct pbj_frame *f = &w->st[w->depth - 1];

	if (w->o.format == PBJSON_YAML) {
		if (f->count > 0) {
			pbj_putc(w, '\n');
			pbj_spaces(w, f->col);
		} else if (f->ctx == PBJ_AFTER_DASH) {
			pbj_putc(w, ' ');
		} else if (f->ctx == PBJ_AFTER_KEY) {
			pbj_putc(w, '\n');
			pbj_spaces(w, f->col);
		}
	} else {
		if (f->count > 0)
			pbj_putc(w, ',');
		if (pbj_pretty(w))
			pbj_newline_indent(w, w->depth);
	}
	f->count++;
}

/* Before any value: position it. */
static void pbj_value_start(struct pbjson_writer *w, int container)
{
	if (w->depth == 0) {
		if (w->ntop++ > 0)
			pbj_putc(w, '\n');
		return;
	}
	if (w->st[w->depth - 1].kind == '[') {
		pbj_entry(w);
		if (w->o.format == PBJSON_YAML) {
			pbj_putc(w, '-');
			if (!container)
				pbj_putc(w, ' ');
		}
	} else if (w->o.format == PBJSON_YAML && !container) {
		pbj_putc(w, ' ');
	}
}

static void pbj_key(struct pbjson_writer *w, const char *name, size_t n)
{
	pbj_entry(w);
	pbj_text(w, name, n);
	pbj_putc(w, ':');
	if (w->o.format == PBJSON_JSON && pbj_pretty(w))
		pbj_putc(w, ' ');
}

static int pbj_begin(struct pbjson_writer *w, char kind)
{
	struct pbj_frame *f;

	if (w->depth >= PBJ_MAX_DEPTH)
		return pbj_fail(w, EINVAL);
	pbj_value_start(w, 1);
	f = &w->st[w->depth];
	f->kind = kind;
	f->count = 0;
	if (w->depth == 0) {
		f->ctx = PBJ_TOP;
		f->col = 0;
	} else if (w->st[w->depth - 1].kind == '[') {
		f->ctx = PBJ_AFTER_DASH;
		f->col = w->st[w->depth - 1].col + 2;
	} else {
		f->ctx = PBJ_AFTER_KEY;
		/* go-yaml style: a sequence sits at its key's column */
		f->col = w->st[w->depth - 1].col + (kind == '{' ? 2 : 0);
	}
	w->depth++;
	if (w->o.format == PBJSON_JSON)
		pbj_putc(w, kind);
	return w->err ? -1 : 0;
}

static int pbj_end(struct pbjson_writer *w)
{
	struct pbj_frame *f;

	if (w->depth == 0)
		return pbj_fail(w, EINVAL);
	f = &w->st[--w->depth];
	if (w->o.format == PBJSON_YAML) {
		if (f->count == 0) {
			if (f->ctx != PBJ_TOP)
				pbj_putc(w, ' ');
			pbj_puts(w, f->kind == '{' ? "{}" : "[]");
		}
	} else {
		if (f->count > 0 && pbj_pretty(w))
			pbj_newline_indent(w, w->depth);
		pbj_putc(w, f->kind == '{' ? '}' : ']');
	}
	return w->err ? -1 : 0;
}

/* A string value. */
static void pbj_str(struct pbjson_writer *w, const char *s, size_t n)
{
	pbj_value_start(w, 0);
	pbj_text(w, s, n);
}

/* A bare token: number, true, false, null. */
static void pbj_raw(struct pbjson_writer *w, const char *tok)
{
	pbj_value_start(w, 0);
	pbj_puts(w, tok);
}

/* ---- scalars ---------------------------------------------------------- */

size_t pbjson_json_name(const char *name, char *buf, size_t cap)
{
	size_t n = 0;
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
		if (n + 1 < cap)
			buf[n] = c;
		n++;
	}
	if (cap)
		buf[n < cap ? n : cap - 1] = '\0';
	return n;
}

/* Shortest round-trip decimal of v, formatted like Go's protojson. */
static void pbj_float_text(double v, int bits, char *out, size_t cap)
{
	char tmp[40], dig[24];
	int p, e, nd = 0, i, use_e;
	const char *q;
	double a = fabs(v);
	size_t o = 0;

	if (v == 0) {
		snprintf(out, cap, "%s", signbit(v) ? "-0" : "0");
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
		if (bits == 32 ? (float)strtod(tmp, NULL) == (float)v
		               : strtod(tmp, NULL) == v)
			break;
	}
	/* tmp: [-]d[.ddd]e[+-]xx */
	q = tmp;
	if (*q == '-')
		q++;
	for (; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9' && nd < (int)sizeof dig - 1)
			dig[nd++] = *q;
	dig[nd] = '\0';
	e = *q == 'e' ? (int)strtol(q + 1, NULL, 10) : 0;
	while (nd > 1 && dig[nd - 1] == '0')
		dig[--nd] = '\0';

	use_e = bits == 32 ? ((float)a < 1e-6f || (float)a >= 1e21f)
	                   : (a < 1e-6 || a >= 1e21);
#define PBJ_OUT(c)                                                             \
	do {                                                                   \
		if (o + 1 < cap)                                               \
			out[o++] = (c);                                        \
	} while (0)
	if (v < 0)
		PBJ_OUT('-');
	if (use_e) {
		PBJ_OUT(dig[0]);
		if (nd > 1) {
			PBJ_OUT('.');
			for (i = 1; i < nd; i++)
				PBJ_OUT(dig[i]);
		}
		out[o] = '\0';
		/* Go writes at least two exponent digits, protojson trims
		 * "e-07" to "e-7". */
		snprintf(out + o, cap - o, "e%c%s%d", e < 0 ? '-' : '+',
		         e >= 0 && e < 10 ? "0" : "", e < 0 ? -e : e);
		return;
	}
	if (e < 0) {
		PBJ_OUT('0');
		PBJ_OUT('.');
		for (i = 0; i < -e - 1; i++)
			PBJ_OUT('0');
		for (i = 0; i < nd; i++)
			PBJ_OUT(dig[i]);
	} else {
		for (i = 0; i <= e; i++)
			PBJ_OUT(i < nd ? dig[i] : '0');
		if (nd > e + 1) {
			PBJ_OUT('.');
			for (i = e + 1; i < nd; i++)
				PBJ_OUT(dig[i]);
		}
	}
#undef PBJ_OUT
	out[o] = '\0';
}

static void pbj_float(struct pbjson_writer *w, double v, int bits)
{
	char buf[64];

	if (isnan(v)) {
		pbj_str(w, "NaN", 3);
	} else if (isinf(v)) {
		if (v > 0)
			pbj_str(w, "Infinity", 8);
		else
			pbj_str(w, "-Infinity", 9);
	} else {
		pbj_float_text(v, bits, buf, sizeof buf);
		pbj_raw(w, buf);
	}
}

static void pbj_base64(struct pbjson_writer *w, const uint8_t *d, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[4];
	size_t i;

	pbj_value_start(w, 0);
	pbj_putc(w, '"');
	for (i = 0; i + 2 < n; i += 3) {
		out[0] = tab[d[i] >> 2];
		out[1] = tab[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
		out[2] = tab[((d[i + 1] & 15) << 2) | (d[i + 2] >> 6)];
		out[3] = tab[d[i + 2] & 63];
		pbj_put(w, out, 4);
	}
	if (n - i == 1) {
		out[0] = tab[d[i] >> 2];
		out[1] = tab[(d[i] & 3) << 4];
		out[2] = out[3] = '=';
		pbj_put(w, out, 4);
	} else if (n - i == 2) {
		out[0] = tab[d[i] >> 2];
		out[1] = tab[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
		out[2] = tab[(d[i + 1] & 15) << 2];
		out[3] = '=';
		pbj_put(w, out, 4);
	}
	pbj_putc(w, '"');
}

/* ---- the walk --------------------------------------------------------- */

static int pbj_message(struct pbjson_writer *w, const ProtobufCMessage *m,
                       const ProtobufCMessageDescriptor *d);

static const void *pbj_at(const ProtobufCMessage *m, unsigned off)
{
	return (const char *)m + off;
}

size_t pbjson_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static int pbj_is_wkt(const ProtobufCMessageDescriptor *d, const char *name)
{
	return d && d->name && strncmp(d->name, "google.protobuf.", 16) == 0 &&
	       strcmp(d->name + 16, name) == 0;
}

int pbjson_is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;
	size_t n;

	if (f->label != PROTOBUF_C_LABEL_REPEATED ||
	    f->type != PROTOBUF_C_TYPE_MESSAGE || !d || d->n_fields != 2)
		return 0;
	n = strlen(d->short_name);
	return n >= 5 && strcmp(d->short_name + n - 5, "Entry") == 0 &&
	       d->fields[0].id == 1 && strcmp(d->fields[0].name, "key") == 0 &&
	       d->fields[1].id == 2 && strcmp(d->fields[1].name, "value") == 0;
}

/* One value of f's type stored at p. */
static int pbj_value(struct pbjson_writer *w, const ProtobufCFieldDescriptor *f,
                     const void *p)
{
	char num[32];

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		snprintf(num, sizeof num, "%" PRId32, *(const int32_t *)p);
		pbj_raw(w, num);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		snprintf(num, sizeof num, "%" PRIu32, *(const uint32_t *)p);
		pbj_raw(w, num);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(num, sizeof num, "%" PRId64, *(const int64_t *)p);
		pbj_str(w, num, strlen(num));
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(num, sizeof num, "%" PRIu64, *(const uint64_t *)p);
		pbj_str(w, num, strlen(num));
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		pbj_float(w, *(const float *)p, 32);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		pbj_float(w, *(const double *)p, 64);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		pbj_raw(w, *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *ed = f->descriptor;
		const ProtobufCEnumValue *ev;
		int v = *(const int *)p;

		if (ed && ed->name &&
		    strcmp(ed->name, "google.protobuf.NullValue") == 0) {
			pbj_raw(w, "null");
			break;
		}
		ev = ed ? protobuf_c_enum_descriptor_get_value(ed, v) : NULL;
		if (ev) {
			pbj_str(w, ev->name, strlen(ev->name));
		} else {
			snprintf(num, sizeof num, "%d", v);
			pbj_raw(w, num);
		}
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;

		if (!s)
			s = "";
		pbj_str(w, s, strlen(s));
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		pbj_base64(w, b->data, b->len);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;

		if (!sub)
			pbj_raw(w, "null");
		else
			return pbj_message(w, sub, f->descriptor);
		break;
	}
	default:
		return pbj_fail(w, EINVAL);
	}
	return w->err ? -1 : 0;
}

/* Is f set in m (proto3 field presence)? */
static int pbj_present(const ProtobufCMessage *m,
                       const ProtobufCFieldDescriptor *f)
{
	const void *p = pbj_at(m, f->offset);

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)pbj_at(m, f->quantifier_offset) > 0;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)pbj_at(m, f->quantifier_offset) ==
		       f->id;
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return 1;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(const void *const *)p != NULL;
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *s = *(char *const *)p;

		if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
			return s != NULL;
		return s && *s;
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
		return *(const protobuf_c_boolean *)pbj_at(
		    m, f->quantifier_offset);
	switch (f->type) {
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len > 0;
	case PROTOBUF_C_TYPE_FLOAT: {
		uint32_t bits;

		memcpy(&bits, p, sizeof bits);
		return bits != 0;
	}
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t bits;

		memcpy(&bits, p, sizeof bits);
		return bits != 0;
	}
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)p != 0;
	default:
		return *(const uint32_t *)p != 0;
	}
}

/* Has f explicit presence, so that an unset f is never written? */
static int pbj_has_presence(const ProtobufCFieldDescriptor *f)
{
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return 1;
	return f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	       f->type != PROTOBUF_C_TYPE_MESSAGE;
}

/* A map key as JSON object key text. */
struct pbj_mkey {
	const char *s; /* string keys; NULL: use num */
	char num[24];
	const ProtobufCMessage *entry;
};

static const char *pbj_mkey_text(const struct pbj_mkey *k)
{
	return k->s ? k->s : k->num;
}

static int pbj_mkey_cmp(const void *a, const void *b)
{
	return strcmp(pbj_mkey_text(a), pbj_mkey_text(b));
}

static int pbj_map(struct pbjson_writer *w, const ProtobufCFieldDescriptor *f,
                   ProtobufCMessage *const *entries, size_t n)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0];
	const ProtobufCFieldDescriptor *vf = &ed->fields[1];
	struct pbj_mkey *keys;
	size_t i;
	int rc = 0;

	keys = calloc(n ? n : 1, sizeof *keys);
	if (!keys)
		return pbj_fail(w, ENOMEM);
	for (i = 0; i < n; i++) {
		const ProtobufCMessage *e = entries[i];
		const void *kp;

		keys[i].entry = e;
		if (!e) {
			keys[i].s = "";
			continue;
		}
		kp = pbj_at(e, kf->offset);
		switch (kf->type) {
		case PROTOBUF_C_TYPE_STRING:
			keys[i].s =
			    *(char *const *)kp ? *(char *const *)kp : "";
			break;
		case PROTOBUF_C_TYPE_BOOL:
			keys[i].s =
			    *(const protobuf_c_boolean *)kp ? "true" : "false";
			break;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64:
		case PROTOBUF_C_TYPE_SFIXED64:
			snprintf(keys[i].num, sizeof keys[i].num, "%" PRId64,
			         *(const int64_t *)kp);
			break;
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
			snprintf(keys[i].num, sizeof keys[i].num, "%" PRIu64,
			         *(const uint64_t *)kp);
			break;
		case PROTOBUF_C_TYPE_UINT32:
		case PROTOBUF_C_TYPE_FIXED32:
			snprintf(keys[i].num, sizeof keys[i].num, "%" PRIu32,
			         *(const uint32_t *)kp);
			break;
		default:
			snprintf(keys[i].num, sizeof keys[i].num, "%" PRId32,
			         *(const int32_t *)kp);
			break;
		}
	}
	if (w->o.sort_keys && n > 1)
		qsort(keys, n, sizeof *keys, pbj_mkey_cmp);

	if (pbj_begin(w, '{') < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *k = pbj_mkey_text(&keys[i]);

		pbj_key(w, k, strlen(k));
		if (!keys[i].entry) {
			/* an entry the encoder left out: value unset */
			if (vf->type == PROTOBUF_C_TYPE_MESSAGE &&
			    !pbj_is_wkt(vf->descriptor, "Value")) {
				pbj_begin(w, '{');
				pbj_end(w);
			} else {
				pbj_raw(w, "null");
			}
			continue;
		}
		if (vf->type == PROTOBUF_C_TYPE_MESSAGE &&
		    !*(ProtobufCMessage *const *)pbj_at(keys[i].entry,
		                                        vf->offset) &&
		    !pbj_is_wkt(vf->descriptor, "Value")) {
			pbj_begin(w, '{');
			pbj_end(w);
			continue;
		}
		if (pbj_value(w, vf, pbj_at(keys[i].entry, vf->offset)) < 0)
			goto fail;
	}
	pbj_end(w);
	goto out;
fail:
	rc = -1;
out:
	free(keys);
	return w->err ? -1 : rc;
}

/* Field f of m (a value, an array or an object). */
static int pbj_field(struct pbjson_writer *w, const ProtobufCMessage *m,
                     const ProtobufCFieldDescriptor *f)
{
	const void *p = pbj_at(m, f->offset);
	size_t n, i, sz;
	const char *arr;

	if (f->label != PROTOBUF_C_LABEL_REPEATED)
		return pbj_value(w, f, p);
	n = *(const size_t *)pbj_at(m, f->quantifier_offset);
	arr = *(const char *const *)p;
	if (n && !arr)
		return pbj_fail(w, EINVAL);
	if (pbjson_is_map(f))
		return pbj_map(w, f, (ProtobufCMessage *const *)arr, n);
	sz = pbjson_elem_size(f->type);
	if (pbj_begin(w, '[') < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (pbj_value(w, f, arr + i * sz) < 0)
			return -1;
	return pbj_end(w);
}

/* Compare two fields' output names. */
static int pbj_cmp_proto(const void *a, const void *b)
{
	const ProtobufCFieldDescriptor *fa = *(const void *const *)a;
	const ProtobufCFieldDescriptor *fb = *(const void *const *)b;

	return strcmp(fa->name, fb->name);
}

static int pbj_camel_next(const char **p)
{
	int up = 0, c;

	while (**p == '_') {
		up = 1;
		(*p)++;
	}
	if (!**p)
		return 0;
	c = (unsigned char)*(*p)++;
	if (up && c >= 'a' && c <= 'z')
		c = c - 'a' + 'A';
	return c;
}

static int pbj_cmp_camel(const void *a, const void *b)
{
	const ProtobufCFieldDescriptor *fa = *(const void *const *)a;
	const ProtobufCFieldDescriptor *fb = *(const void *const *)b;
	const char *pa = fa->name, *pb = fb->name;
	int ca, cb;

	do {
		ca = pbj_camel_next(&pa);
		cb = pbj_camel_next(&pb);
	} while (ca && ca == cb);
	return ca - cb;
}

static void pbj_field_key(struct pbjson_writer *w,
                          const ProtobufCFieldDescriptor *f)
{
	char small[128], *big = NULL;
	size_t n;

	if (w->o.proto_names) {
		pbj_key(w, f->name, strlen(f->name));
		return;
	}
	n = pbjson_json_name(f->name, small, sizeof small);
	if (n < sizeof small) {
		pbj_key(w, small, n);
		return;
	}
	big = malloc(n + 1);
	if (!big) {
		pbj_fail(w, ENOMEM);
		return;
	}
	pbjson_json_name(f->name, big, n + 1);
	pbj_key(w, big, n);
	free(big);
}

/* The fields of an ordinary message as members of the open object (an
 * object of their own, or an Any's). */
static int pbj_members(struct pbjson_writer *w, const ProtobufCMessage *m,
                       const ProtobufCMessageDescriptor *d)
{
	const ProtobufCFieldDescriptor **order = NULL;
	unsigned i;
	int rc = -1;

	if (w->o.sort_keys && d->n_fields > 1) {
		order = calloc(d->n_fields, sizeof *order);
		if (!order)
			return pbj_fail(w, ENOMEM);
		for (i = 0; i < d->n_fields; i++)
			order[i] = &d->fields[i];
		qsort(order, d->n_fields, sizeof *order,
		      w->o.proto_names ? pbj_cmp_proto : pbj_cmp_camel);
	}
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f =
		    order ? order[i] : &d->fields[i];

		if (!pbj_present(m, f) &&
		    (!w->o.emit_defaults || pbj_has_presence(f)))
			continue;
		pbj_field_key(w, f);
		if (pbj_field(w, m, f) < 0)
			goto out;
	}
	rc = w->err ? -1 : 0;
out:
	free(order);
	return rc;
}

/* The fields of an ordinary message, as an object. */
static int pbj_fields(struct pbjson_writer *w, const ProtobufCMessage *m,
                      const ProtobufCMessageDescriptor *d)
{
	if (pbj_begin(w, '{') < 0 || pbj_members(w, m, d) < 0)
		return -1;
	return pbj_end(w);
}

static const ProtobufCFieldDescriptor *
pbj_field_by_id(const ProtobufCMessageDescriptor *d, unsigned id)
{
	return protobuf_c_message_descriptor_get_field(d, id);
}

static int64_t pbj_get_i64(const ProtobufCMessage *m, unsigned id)
{
	const ProtobufCFieldDescriptor *f = pbj_field_by_id(m->descriptor, id);

	return f ? *(const int64_t *)pbj_at(m, f->offset) : 0;
}

static int32_t pbj_get_i32(const ProtobufCMessage *m, unsigned id)
{
	const ProtobufCFieldDescriptor *f = pbj_field_by_id(m->descriptor, id);

	return f ? *(const int32_t *)pbj_at(m, f->offset) : 0;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void pbj_civil(int64_t days, int64_t *y, unsigned *mo, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*mo = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*mo <= 2);
}

/* ".123", ".123456", ".123456789" or "" for nanos. */
static void pbj_frac(char *out, size_t cap, int32_t nanos)
{
	if (nanos == 0)
		out[0] = '\0';
	else if (nanos % 1000000 == 0)
		snprintf(out, cap, ".%03" PRId32, nanos / 1000000);
	else if (nanos % 1000 == 0)
		snprintf(out, cap, ".%06" PRId32, nanos / 1000);
	else
		snprintf(out, cap, ".%09" PRId32, nanos);
}

static int pbj_timestamp(struct pbjson_writer *w, const ProtobufCMessage *m)
{
	int64_t s = pbj_get_i64(m, 1), days, secs, y;
	int32_t ns = pbj_get_i32(m, 2);
	unsigned mo, d;
	char frac[16], buf[64];

	if (s < PBJSON_TS_MIN || s > PBJSON_TS_MAX || ns < 0 || ns > 999999999)
		return pbj_fail(w, EINVAL);
	days = s / 86400;
	secs = s % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	pbj_civil(days, &y, &mo, &d);
	pbj_frac(frac, sizeof frac, ns);
	snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d%sZ",
	         y, mo, d, (int)(secs / 3600), (int)(secs / 60 % 60),
	         (int)(secs % 60), frac);
	pbj_str(w, buf, strlen(buf));
	return w->err ? -1 : 0;
}

static int pbj_duration(struct pbjson_writer *w, const ProtobufCMessage *m)
{
	int64_t s = pbj_get_i64(m, 1);
	int32_t ns = pbj_get_i32(m, 2);
	char frac[16], buf[64];

	if (s < -PBJSON_DUR_MAX || s > PBJSON_DUR_MAX || ns < -999999999 ||
	    ns > 999999999 || (s > 0 && ns < 0) || (s < 0 && ns > 0))
		return pbj_fail(w, EINVAL);
	pbj_frac(frac, sizeof frac, ns < 0 ? -ns : ns);
	snprintf(buf, sizeof buf, "%s%" PRId64 "%ss",
	         (s < 0 || ns < 0) ? "-" : "", s < 0 ? -s : s, frac);
	pbj_str(w, buf, strlen(buf));
	return w->err ? -1 : 0;
}

static int pbj_field_mask(struct pbjson_writer *w, const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f = pbj_field_by_id(m->descriptor, 1);
	struct pbjson_writer tmp;
	char *const *paths;
	size_t n, i;

	if (!f || f->type != PROTOBUF_C_TYPE_STRING)
		return pbj_fail(w, EINVAL);
	n = *(const size_t *)pbj_at(m, f->quantifier_offset);
	paths = *(char *const *const *)pbj_at(m, f->offset);
	/* build the joined text in a scratch buffer */
	memset(&tmp, 0, sizeof tmp);
	for (i = 0; i < n; i++) {
		const char *p = paths[i] ? paths[i] : "";
		char small[128];
		size_t k = pbjson_json_name(p, small, sizeof small);

		if (i)
			pbj_putc(&tmp, ',');
		if (k < sizeof small) {
			pbj_put(&tmp, small, k);
		} else {
			char *big = malloc(k + 1);

			if (!big) {
				pbj_fail(&tmp, ENOMEM);
				break;
			}
			pbjson_json_name(p, big, k + 1);
			pbj_put(&tmp, big, k);
			free(big);
		}
	}
	if (tmp.err) {
		free(tmp.buf);
		return pbj_fail(w, tmp.err);
	}
	pbj_str(w, tmp.buf ? tmp.buf : "", tmp.len);
	free(tmp.buf);
	return w->err ? -1 : 0;
}

/*
 * google.protobuf.Any.  A registered type is written the proto3 way: its
 * fields next to "@type", or its JSON form under "value" for a well-known
 * type with one.  An unregistered type, or a value that does not parse as
 * its type, keeps the raw form: "@type" and the bytes in base64.
 */
static int pbj_any(struct pbjson_writer *w, const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *tf = pbj_field_by_id(m->descriptor, 1);
	const ProtobufCFieldDescriptor *vf = pbj_field_by_id(m->descriptor, 2);
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *sub = NULL;
	const char *url;
	const ProtobufCBinaryData *v;
	int rc = -1;

	if (!tf || !vf || tf->type != PROTOBUF_C_TYPE_STRING ||
	    vf->type != PROTOBUF_C_TYPE_BYTES)
		return pbj_fail(w, EINVAL);
	url = *(char *const *)pbj_at(m, tf->offset);
	v = pbj_at(m, vf->offset);
	if (pbj_begin(w, '{') < 0)
		return -1;
	if ((!url || !*url) && !v->len)
		return pbj_end(w);
	if (!url)
		url = "";
	d = pbjson_find_type(url);
	if (d)
		sub = protobuf_c_message_unpack(d, NULL, v->len, v->data);
	pbj_key(w, "@type", 5);
	pbj_str(w, url, strlen(url));
	if (!sub) {
		pbj_key(w, "value", 5);
		pbj_base64(w, v->data, v->len);
	} else if (pbjson__wkt(d) != PBJSON_WKT_NONE) {
		pbj_key(w, "value", 5);
		if (pbj_message(w, sub, d) < 0)
			goto out;
	} else if (pbj_members(w, sub, d) < 0) {
		goto out;
	}
	rc = pbj_end(w);
out:
	if (sub)
		protobuf_c_message_free_unpacked(sub, NULL);
	return rc;
}

/* google.protobuf.Value: the set member of its oneof, else null. */
static int pbj_struct_value(struct pbjson_writer *w, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (pbj_present(m, f))
			return pbj_field(w, m, f);
	}
	pbj_raw(w, "null");
	return w->err ? -1 : 0;
}

/* The message's only field written bare (wrappers, Struct, ListValue). */
static int pbj_sole_field(struct pbjson_writer *w, const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f = pbj_field_by_id(m->descriptor, 1);

	if (!f)
		return pbj_fail(w, EINVAL);
	return pbj_field(w, m, f);
}

static int pbj_message(struct pbjson_writer *w, const ProtobufCMessage *m,
                       const ProtobufCMessageDescriptor *d)
{
	if (!m)
		return pbj_fail(w, EINVAL);
	if (!d)
		d = m->descriptor;
	if (!d || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return pbj_fail(w, EINVAL);
	if (w->depth >= PBJ_MAX_DEPTH)
		return pbj_fail(w, EINVAL);
	switch (pbjson__wkt(d)) {
	case PBJSON_WKT_TIMESTAMP:
		return pbj_timestamp(w, m);
	case PBJSON_WKT_DURATION:
		return pbj_duration(w, m);
	case PBJSON_WKT_ANY:
		return pbj_any(w, m);
	case PBJSON_WKT_FIELD_MASK:
		return pbj_field_mask(w, m);
	case PBJSON_WKT_VALUE:
		return pbj_struct_value(w, m);
	case PBJSON_WKT_STRUCT:
	case PBJSON_WKT_LIST_VALUE:
	case PBJSON_WKT_WRAPPER:
		return pbj_sole_field(w, m);
	case PBJSON_WKT_EMPTY:
	case PBJSON_WKT_NONE:
		break;
	}
	return pbj_fields(w, m, d);
}

enum pbjson_wkt pbjson__wkt(const ProtobufCMessageDescriptor *d)
{
	static const struct {
		const char *name;
		enum pbjson_wkt kind;
	} tab[] = {
	    {"Any", PBJSON_WKT_ANY},
	    {"BoolValue", PBJSON_WKT_WRAPPER},
	    {"BytesValue", PBJSON_WKT_WRAPPER},
	    {"DoubleValue", PBJSON_WKT_WRAPPER},
	    {"Duration", PBJSON_WKT_DURATION},
	    {"Empty", PBJSON_WKT_EMPTY},
	    {"FieldMask", PBJSON_WKT_FIELD_MASK},
	    {"FloatValue", PBJSON_WKT_WRAPPER},
	    {"Int32Value", PBJSON_WKT_WRAPPER},
	    {"Int64Value", PBJSON_WKT_WRAPPER},
	    {"ListValue", PBJSON_WKT_LIST_VALUE},
	    {"StringValue", PBJSON_WKT_WRAPPER},
	    {"Struct", PBJSON_WKT_STRUCT},
	    {"Timestamp", PBJSON_WKT_TIMESTAMP},
	    {"UInt32Value", PBJSON_WKT_WRAPPER},
	    {"UInt64Value", PBJSON_WKT_WRAPPER},
	    {"Value", PBJSON_WKT_VALUE},
	};
	size_t i;

	if (!d || !d->name || strncmp(d->name, "google.protobuf.", 16) != 0)
		return PBJSON_WKT_NONE;
	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(d->name + 16, tab[i].name) == 0)
			return tab[i].kind;
	return PBJSON_WKT_NONE;
}

/* ---- type registry ---------------------------------------------------- */

/* gen/keel_types.c: every message descriptor of gen/, in C symbol order
 * until the first look-up sorts it by full name. */
extern const ProtobufCMessageDescriptor *keel_pbjson_types[];
extern const size_t keel_pbjson_ntypes;

static pthread_once_t pbj_types_once = PTHREAD_ONCE_INIT;

static int pbj_type_cmp(const void *a, const void *b)
{
	const ProtobufCMessageDescriptor *da = *(const void *const *)a;
	const ProtobufCMessageDescriptor *db = *(const void *const *)b;

	return strcmp(da->name, db->name);
}

static void pbj_types_sort(void)
{
	qsort(keel_pbjson_types, keel_pbjson_ntypes,
	      sizeof keel_pbjson_types[0], pbj_type_cmp);
}

static int pbj_type_key_cmp(const void *key, const void *elem)
{
	const ProtobufCMessageDescriptor *d = *(const void *const *)elem;

	return strcmp(key, d->name);
}

const ProtobufCMessageDescriptor *pbjson_find_type(const char *name)
{
	const ProtobufCMessageDescriptor *const *hit;
	const char *slash;

	if (!name)
		return NULL;
	slash = strrchr(name, '/');
	if (slash)
		name = slash + 1;
	if (!*name)
		return NULL;
	pthread_once(&pbj_types_once, pbj_types_sort);
	hit = bsearch(name, keel_pbjson_types, keel_pbjson_ntypes,
	              sizeof keel_pbjson_types[0], pbj_type_key_cmp);
	return hit ? *hit : NULL;
}

size_t pbjson_type_count(void)
{
	return keel_pbjson_ntypes;
}

const ProtobufCMessageDescriptor *pbjson_type_at(size_t i)
{
	pthread_once(&pbj_types_once, pbj_types_sort);
	return i < keel_pbjson_ntypes ? keel_pbjson_types[i] : NULL;
}

/* ---- public API ------------------------------------------------------- */

struct pbjson_writer *pbjson_writer_new(const struct pbjson_opts *opts)
{
	struct pbjson_writer *w = calloc(1, sizeof *w);

	if (!w)
		return NULL;
	if (opts)
		w->o = *opts;
	if (!w->o.indent)
		w->o.indent = "";
	return w;
}

int pbjson_write_message(struct pbjson_writer *w, const ProtobufCMessage *m)
{
	if (!w) {
		errno = EINVAL;
		return -1;
	}
	if (w->err)
		return pbj_fail(w, w->err);
	if (pbj_message(w, m, NULL) < 0 || w->err)
		return pbj_fail(w, w->err ? w->err : EINVAL);
	return 0;
}

int pbjson_begin_array(struct pbjson_writer *w)
{
	if (!w) {
		errno = EINVAL;
		return -1;
	}
	if (w->err)
		return pbj_fail(w, w->err);
	return pbj_begin(w, '[');
}

int pbjson_end_array(struct pbjson_writer *w)
{
	if (!w) {
		errno = EINVAL;
		return -1;
	}
	if (w->err)
		return pbj_fail(w, w->err);
	if (w->depth == 0 || w->st[w->depth - 1].kind != '[')
		return pbj_fail(w, EINVAL);
	return pbj_end(w);
}

char *pbjson_writer_finish(struct pbjson_writer *w, size_t *len)
{
	char *out;
	int err;

	if (!w) {
		errno = EINVAL;
		return NULL;
	}
	if (!w->err && w->depth != 0)
		w->err = EINVAL;
	if (!w->err && !w->buf)
		pbj_put(w, "", 0);
	if (w->err) {
		err = w->err;
		pbjson_writer_free(w);
		errno = err;
		return NULL;
	}
	out = w->buf;
	if (len)
		*len = w->len;
	free(w);
	return out;
}

void pbjson_writer_free(struct pbjson_writer *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}

char *pbjson_encode(const ProtobufCMessage *m, const struct pbjson_opts *opts,
                    size_t *len)
{
	struct pbjson_writer *w = pbjson_writer_new(opts);

	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	if (pbjson_write_message(w, m) < 0) {
		int err = errno;

		pbjson_writer_free(w);
		errno = err;
		return NULL;
	}
	return pbjson_writer_finish(w, len);
}
