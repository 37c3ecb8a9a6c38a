/*
 * pbdiff.c -- field-by-field comparison and canonical digest of protobuf-c
 * messages (see pbdiff.h).
 *
 * Two walks over the descriptors: pbd_* compares two messages and names
 * the first difference, pbw_* writes the canonical bytes.  They share the
 * presence rule (pbd_present, protobuf-c's own packing rule) and the map
 * view (pbd_map_view: entries sorted by key, the last of equal keys kept),
 * which is what makes "equal per pbdiff_first" imply "equal digest".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pbdiff.h"
#include "pbjson.h"

#define PBD_MAX_DEPTH 400 /* as pbjson; each level is a small stack frame */
#define PBD_SHOW      60  /* characters of a value shown */
#define PBD_LEAD      20  /* of them, before the first differing byte */
#define PBD_VAL       320 /* a shown value, escapes included */

static const void *pbd_at(const ProtobufCMessage *m, unsigned off)
{
	return (const char *)m + off;
}

static const char *pbd_str(const void *p)
{
	const char *s = *(const char *const *)p;

	return s ? s : "";
}

/* Is the value of type t at p what an unset proto3 field holds?  (As
 * protobuf-c decides: floats compare with ==, so -0.0 is zero too.) */
static int pbd_zero(ProtobufCType t, const void *p)
{
	switch (t) {
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)p == 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)p == 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)p == 0;
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)p == 0;
	case PROTOBUF_C_TYPE_STRING:
		return *pbd_str(p) == '\0';
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return *(const void *const *)p == NULL;
	default: /* 32-bit integers and enums */
		return *(const uint32_t *)p == 0;
	}
}

/* Would protobuf_c_message_pack() write singular field f of m?  Mirrors
 * its rules exactly, so that a copy that went through the wire compares
 * equal to the original. */
static int pbd_present(const ProtobufCMessage *m,
                       const ProtobufCFieldDescriptor *f)
{
	const void *p = pbd_at(m, f->offset);
	int ptr = f->type == PROTOBUF_C_TYPE_MESSAGE ||
	          f->type == PROTOBUF_C_TYPE_STRING;

	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return 1;
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    *(const uint32_t *)pbd_at(m, f->quantifier_offset) != f->id)
		return 0;
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
	    f->label == PROTOBUF_C_LABEL_OPTIONAL) {
		const void *v;

		if (!ptr)
			return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
			       *(const protobuf_c_boolean *)pbd_at(
			           m, f->quantifier_offset);
		v = *(const void *const *)p;
		return v && v != f->default_value;
	}
	return !pbd_zero(f->type, p);
}

/* Does f hold its value without a presence bit (plain proto3 scalar), so
 * that "unset" is just the zero value? */
static int pbd_implicit(const ProtobufCFieldDescriptor *f)
{
	return f->label == PROTOBUF_C_LABEL_NONE &&
	       !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	       f->type != PROTOBUF_C_TYPE_MESSAGE;
}

/* Values of type t at a and b equal (as packed: floats by bits, bools by
 * truth, NULL strings as "")?  Not for messages. */
static int pbd_scalar_eq(ProtobufCType t, const void *a, const void *b)
{
	switch (t) {
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)a ==
		       !*(const protobuf_c_boolean *)b;
	case PROTOBUF_C_TYPE_STRING:
		return strcmp(pbd_str(a), pbd_str(b)) == 0;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *x = a, *y = b;

		return x->len == y->len &&
		       (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
	}
	default:
		return memcmp(a, b, pbjson_elem_size(t)) == 0;
	}
}

/* A map whose key type protobuf allows (pbjson_is_map looks at names). */
static int pbd_is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;

	if (!pbjson_is_map(f))
		return 0;
	switch (d->fields[0].type) {
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
	case PROTOBUF_C_TYPE_ENUM:
		return 0;
	default:
		return 1;
	}
}

/* An initialised empty message of type desc, or NULL (ENOMEM); free(). */
static ProtobufCMessage *pbd_empty(const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *m = malloc(desc->sizeof_message);

	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	protobuf_c_message_init(desc, m);
	return m;
}

/* ---- map view ---------------------------------------------------------- */

struct pbd_ent {
	const ProtobufCMessage *e;
	size_t pos; /* in the field's array */
};

#define PBD_CMP(x, y) (((x) > (y)) - ((x) < (y)))

/* Order of two entries' keys (an entry's key is its fields[0]). */
static int pbd_key_cmp(const ProtobufCMessage *x, const ProtobufCMessage *y)
{
	const ProtobufCFieldDescriptor *kf = &x->descriptor->fields[0];
	const void *p = pbd_at(x, kf->offset), *q = pbd_at(y, kf->offset);

	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING:
		return strcmp(pbd_str(p), pbd_str(q));
	case PROTOBUF_C_TYPE_BOOL:
		return PBD_CMP(!!*(const protobuf_c_boolean *)p,
		               !!*(const protobuf_c_boolean *)q);
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return PBD_CMP(*(const int32_t *)p, *(const int32_t *)q);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return PBD_CMP(*(const uint32_t *)p, *(const uint32_t *)q);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return PBD_CMP(*(const int64_t *)p, *(const int64_t *)q);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return PBD_CMP(*(const uint64_t *)p, *(const uint64_t *)q);
	default:
		return 0;
	}
}

static int pbd_ent_cmp(const void *a, const void *b)
{
	const struct pbd_ent *x = a, *y = b;
	int c = pbd_key_cmp(x->e, y->e);

	return c ? c : PBD_CMP(x->pos, y->pos);
}

/*
 * Map field f (n entries at arr) as a key -> value set: *out (malloc'd,
 * NULL when empty) holds *outn entries sorted by key, of several with the
 * same key only the last (as a parser would keep).  A NULL entry reads as
 * an empty one, *empty (free() it, may be NULL).  0 or -1 (ENOMEM,
 * EINVAL: an entry of the wrong type).
 */
static int pbd_map_view(const ProtobufCFieldDescriptor *f, size_t n,
                        const char *arr, struct pbd_ent **out, size_t *outn,
                        ProtobufCMessage **empty)
{
	struct pbd_ent *v;
	size_t i, k;

	*out = NULL;
	*outn = 0;
	*empty = NULL;
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / sizeof *v) {
		errno = ENOMEM;
		return -1;
	}
	v = malloc(n * sizeof *v);
	if (!v) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++) {
		const ProtobufCMessage *e;

		e = *(ProtobufCMessage *const *)(const void *)(
		    arr + i * sizeof(ProtobufCMessage *));
		if (!e) {
			if (!*empty) {
				*empty = pbd_empty(f->descriptor);
				if (!*empty)
					goto fail;
			}
			e = *empty;
		} else if (e->descriptor != f->descriptor) {
			errno = EINVAL;
			goto fail;
		}
		v[i].e = e;
		v[i].pos = i;
	}
	qsort(v, n, sizeof *v, pbd_ent_cmp);
	for (i = 0, k = 0; i < n; i++) {
		if (i + 1 < n && pbd_key_cmp(v[i].e, v[i + 1].e) == 0)
			continue; /* a later entry has the same key */
		v[k++] = v[i];
	}
	*out = v;
	*outn = k;
	return 0;
fail:
	free(v);
	free(*empty);
	*empty = NULL;
	return -1;
}

/* ---- showing values ---------------------------------------------------- */

/* Bounded text: appends are cut at the capacity, always NUL-terminated. */
struct pbd_txt {
	char *p;
	size_t cap, len;
};

static void txt_add(struct pbd_txt *t, const char *s, size_t n)
{
	if (t->len + 1 >= t->cap)
		return;
	if (n > t->cap - 1 - t->len)
		n = t->cap - 1 - t->len;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void txt_printf(struct pbd_txt *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void txt_printf(struct pbd_txt *t, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (k > 0)
		txt_add(t, tmp, (size_t)k < sizeof tmp ? (size_t)k
		                                        : sizeof tmp - 1);
}

/* Offset of the first byte where a[0..na) and b[0..nb) differ. */
static size_t pbd_first_diff(const void *a, size_t na, const void *b,
                             size_t nb)
{
	const unsigned char *x = a, *y = b;
	size_t i, n = na < nb ? na : nb;

	for (i = 0; i < n && x[i] == y[i]; i++)
		;
	return i;
}

/* s[0..n) quoted and escaped: at most PBD_SHOW characters, starting some
 * PBD_LEAD before offset from; "..." inside the quotes marks a cut. */
static void pbd_show_str(struct pbd_txt *t, const char *s, size_t n,
                         size_t from)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, shown = 0, k;

	txt_add(t, "\"", 1);
	if (from > PBD_LEAD && n > PBD_SHOW) {
		i = from - PBD_LEAD;
		while (i > 0 && (u[i] & 0xc0) == 0x80)
			i--; /* not inside a UTF-8 sequence */
		if (i > 0)
			txt_add(t, "...", 3);
	}
	for (; i < n; shown++) {
		if (shown == PBD_SHOW) {
			txt_add(t, "...", 3);
			break;
		}
		switch (u[i]) {
		case '"':
			txt_add(t, "\\\"", 2);
			break;
		case '\\':
			txt_add(t, "\\\\", 2);
			break;
		case '\n':
			txt_add(t, "\\n", 2);
			break;
		case '\t':
			txt_add(t, "\\t", 2);
			break;
		case '\r':
			txt_add(t, "\\r", 2);
			break;
		default:
			if (u[i] >= 0x20 && u[i] < 0x7f) {
				txt_add(t, s + i, 1);
				break;
			}
			k = u[i] >= 0x80 ? pbjson_utf8_len(u + i, n - i) : 0;
			if (k) {
				txt_add(t, s + i, k);
				i += k;
				continue;
			}
			txt_printf(t, "\\x%02x", u[i]);
			break;
		}
		i++;
	}
	txt_add(t, "\"", 1);
}

/* Bytes as 0x<hex>: at most PBD_SHOW digits, starting a few bytes before
 * offset from; a cut shows "..." and the full length. */
static void pbd_show_bytes(struct pbd_txt *t, const uint8_t *b, size_t n,
                           size_t from)
{
	size_t start = 0, end, i;

	if (from > PBD_LEAD / 2 && n > PBD_SHOW / 2)
		start = from - PBD_LEAD / 2;
	end = n - start > PBD_SHOW / 2 ? start + PBD_SHOW / 2 : n;
	txt_add(t, start ? "0x..." : "0x", start ? 5 : 2);
	for (i = start; i < end; i++)
		txt_printf(t, "%02x", b[i]);
	if (end < n)
		txt_add(t, "...", 3);
	if (start || end < n)
		txt_printf(t, " (%zu bytes)", n);
}

/* A float or double in the fewest digits that read back the same. */
static void pbd_show_fp(struct pbd_txt *t, double v, int is_float)
{
	char tmp[40];
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (is_float ? strtof(tmp, NULL) == (float)v
		             : strtod(tmp, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(tmp, sizeof tmp, "%.17g", v);
	txt_add(t, tmp, strlen(tmp));
}

/* The value of f's type at p (not a message); from: where it differs
 * from the value it is compared with (strings and bytes). */
static void pbd_show(struct pbd_txt *t, const ProtobufCFieldDescriptor *f,
                     const void *p, size_t from)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		txt_printf(t, "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		txt_printf(t, "%" PRIu32, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		txt_printf(t, "%" PRId64, *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		txt_printf(t, "%" PRIu64, *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		pbd_show_fp(t, *(const float *)p, 1);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		pbd_show_fp(t, *(const double *)p, 0);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		txt_printf(t, "%s",
		           *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev = NULL;
		int v = *(const int *)p;

		if (f->descriptor)
			ev = protobuf_c_enum_descriptor_get_value(f->descriptor,
			                                          v);
		if (ev)
			txt_add(t, ev->name, strlen(ev->name));
		else
			txt_printf(t, "%d", v);
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = pbd_str(p);

		pbd_show_str(t, s, strlen(s), from);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		pbd_show_bytes(t, b->data, b->len, from);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		txt_add(t, "set", 3);
		break;
	}
}

/* ---- comparing --------------------------------------------------------- */

struct pbd {
	char path[512]; /* where the walk is; cut when deeper than that */
	size_t plen;
	char *out;
	size_t n;
	int depth;
};

/* Append to the path; returns the length to pop back to. */
static size_t pbd_push(struct pbd *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static size_t pbd_push(struct pbd *d, const char *fmt, ...)
{
	size_t old = d->plen, room = sizeof d->path - d->plen;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(d->path + d->plen, room, fmt, ap);
	va_end(ap);
	if (k > 0)
		d->plen += (size_t)k < room ? (size_t)k : room - 1;
	return old;
}

static void pbd_pop(struct pbd *d, size_t old)
{
	d->plen = old;
	d->path[old] = '\0';
}

/* "<path>: <what>" into the caller's buffer; returns 1 (differ). */
static int pbd_report(struct pbd *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int pbd_report(struct pbd *d, const char *fmt, ...)
{
	va_list ap;
	int k = 0;

	if (d->n == 0)
		return 1;
	if (d->plen)
		k = snprintf(d->out, d->n, "%s: ", d->path);
	if (k >= 0 && (size_t)k < d->n) {
		va_start(ap, fmt);
		vsnprintf(d->out + k, d->n - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* "<a> != <b>" for two values of f's type (absent side: NULL, "unset"). */
static int pbd_report_values(struct pbd *d, const ProtobufCFieldDescriptor *f,
                             const void *a, const void *b)
{
	char ba[PBD_VAL], bb[PBD_VAL];
	struct pbd_txt ta = {ba, sizeof ba, 0}, tb = {bb, sizeof bb, 0};
	size_t from = 0;

	ba[0] = bb[0] = '\0';
	if (a && b && f->type == PROTOBUF_C_TYPE_STRING) {
		const char *x = pbd_str(a), *y = pbd_str(b);

		from = pbd_first_diff(x, strlen(x), y, strlen(y));
	} else if (a && b && f->type == PROTOBUF_C_TYPE_BYTES) {
		const ProtobufCBinaryData *x = a, *y = b;

		from = pbd_first_diff(x->data, x->len, y->data, y->len);
	}
	if (a)
		pbd_show(&ta, f, a, from);
	else
		txt_add(&ta, "unset", 5);
	if (b)
		pbd_show(&tb, f, b, from);
	else
		txt_add(&tb, "unset", 5);
	return pbd_report(d, "%s != %s", ba, bb);
}

static int pbd_msg(struct pbd *d, const ProtobufCMessage *a,
                   const ProtobufCMessage *b);
static int pbd_field(struct pbd *d, const ProtobufCFieldDescriptor *f,
                     const ProtobufCMessage *a, const ProtobufCMessage *b);

/* Two sub-messages of field f, present on both sides (NULL: empty). */
static int pbd_submsg(struct pbd *d, const ProtobufCFieldDescriptor *f,
                      const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	ProtobufCMessage *empty = NULL;
	int rc;

	if (a == b)
		return 0;
	if ((a && a->descriptor != f->descriptor) ||
	    (b && b->descriptor != f->descriptor)) {
		errno = EINVAL;
		return -1;
	}
	if (!a || !b) {
		empty = pbd_empty(f->descriptor);
		if (!empty)
			return -1;
		if (!a)
			a = empty;
		else
			b = empty;
	}
	rc = pbd_msg(d, a, b);
	free(empty);
	return rc;
}

/* One value of f on each side, at a and b. */
static int pbd_value(struct pbd *d, const ProtobufCFieldDescriptor *f,
                     const void *a, const void *b)
{
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return pbd_submsg(d, f, *(const ProtobufCMessage *const *)a,
		                  *(const ProtobufCMessage *const *)b);
	if (pbd_scalar_eq(f->type, a, b))
		return 0;
	return pbd_report_values(d, f, a, b);
}

/* Append a map entry's key to the path: ["k"], [5], [true]. */
static size_t pbd_push_key(struct pbd *d, const ProtobufCMessage *e)
{
	const ProtobufCFieldDescriptor *kf = &e->descriptor->fields[0];
	const void *p = pbd_at(e, kf->offset);
	char buf[PBD_VAL];
	struct pbd_txt t = {buf, sizeof buf, 0};

	buf[0] = '\0';
	pbd_show(&t, kf, p, 0);
	return pbd_push(d, "[%s]", buf);
}

/* Unknown fields, in stored order. */
static int pbd_unknown(struct pbd *d, const ProtobufCMessage *a,
                       const ProtobufCMessage *b)
{
	size_t na = a->n_unknown_fields, nb = b->n_unknown_fields, i, old;
	const ProtobufCMessageUnknownField *x, *y;
	char ba[PBD_VAL], bb[PBD_VAL];
	struct pbd_txt ta = {ba, sizeof ba, 0}, tb = {bb, sizeof bb, 0};
	size_t from;

	if ((na && !a->unknown_fields) || (nb && !b->unknown_fields)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < na && i < nb; i++) {
		x = &a->unknown_fields[i];
		y = &b->unknown_fields[i];
		if (x->tag != y->tag)
			return pbd_report(d, "unknown field #%" PRIu32
			                     " != #%" PRIu32, x->tag, y->tag);
		if (x->wire_type == y->wire_type && x->len == y->len &&
		    (x->len == 0 || memcmp(x->data, y->data, x->len) == 0))
			continue;
		old = pbd_push(d, d->plen ? ".#%" PRIu32 : "#%" PRIu32,
		               x->tag);
		if (x->wire_type != y->wire_type) {
			pbd_report(d, "wire type %d != %d", (int)x->wire_type,
			           (int)y->wire_type);
		} else {
			ba[0] = bb[0] = '\0';
			from = pbd_first_diff(x->data, x->len, y->data,
			                      y->len);
			pbd_show_bytes(&ta, x->data, x->len, from);
			pbd_show_bytes(&tb, y->data, y->len, from);
			pbd_report(d, "%s != %s", ba, bb);
		}
		pbd_pop(d, old);
		return 1;
	}
	if (na == nb)
		return 0;
	x = na > nb ? &a->unknown_fields[i] : &b->unknown_fields[i];
	old = pbd_push(d, d->plen ? ".#%" PRIu32 : "#%" PRIu32, x->tag);
	pbd_report(d, "only in the %s", na > nb ? "first" : "second");
	pbd_pop(d, old);
	return 1;
}

/* Map field f: key by key, in key order. */
static int pbd_map(struct pbd *d, const ProtobufCFieldDescriptor *f,
                   size_t na, const char *aa, size_t nb, const char *ab)
{
	const ProtobufCFieldDescriptor *vf;
	struct pbd_ent *va = NULL, *vb = NULL;
	ProtobufCMessage *ea = NULL, *eb = NULL;
	size_t ka, kb, i = 0, j = 0, old;
	int rc = -1, c;

	vf = &((const ProtobufCMessageDescriptor *)f->descriptor)->fields[1];
	if (pbd_map_view(f, na, aa, &va, &ka, &ea) < 0 ||
	    pbd_map_view(f, nb, ab, &vb, &kb, &eb) < 0)
		goto out;
	rc = 0;
	while (rc == 0 && (i < ka || j < kb)) {
		if (i < ka && j < kb)
			c = pbd_key_cmp(va[i].e, vb[j].e);
		else
			c = i < ka ? -1 : 1;
		old = pbd_push_key(d, c <= 0 ? va[i].e : vb[j].e);
		if (c < 0) {
			rc = pbd_report(d, "only in the first");
		} else if (c > 0) {
			rc = pbd_report(d, "only in the second");
		} else {
			rc = pbd_field(d, vf, va[i].e, vb[j].e);
			if (rc == 0)
				rc = pbd_unknown(d, va[i].e, vb[j].e);
		}
		pbd_pop(d, old);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
out:
	free(va);
	free(vb);
	free(ea);
	free(eb);
	return rc;
}

/* Repeated field f: element by element, then the lengths. */
static int pbd_repeated(struct pbd *d, const ProtobufCFieldDescriptor *f,
                        const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t na = *(const size_t *)pbd_at(a, f->quantifier_offset);
	size_t nb = *(const size_t *)pbd_at(b, f->quantifier_offset);
	const char *aa = *(const char *const *)pbd_at(a, f->offset);
	const char *ab = *(const char *const *)pbd_at(b, f->offset);
	size_t i, sz, old;
	int rc;

	if ((na && !aa) || (nb && !ab)) {
		errno = EINVAL;
		return -1;
	}
	if (pbd_is_map(f))
		return pbd_map(d, f, na, aa, nb, ab);
	sz = pbjson_elem_size(f->type);
	for (i = 0; i < na && i < nb; i++) {
		old = pbd_push(d, "[%zu]", i);
		rc = pbd_value(d, f, aa + i * sz, ab + i * sz);
		pbd_pop(d, old);
		if (rc)
			return rc;
	}
	if (na == nb)
		return 0;
	return pbd_report(d, "%zu element%s != %zu", na, na == 1 ? "" : "s",
	                  nb);
}

/* Field f of a and b. */
static int pbd_field(struct pbd *d, const ProtobufCFieldDescriptor *f,
                     const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	const void *pa = pbd_at(a, f->offset), *pb = pbd_at(b, f->offset);
	int ha, hb;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return pbd_repeated(d, f, a, b);
	ha = pbd_present(a, f);
	hb = pbd_present(b, f);
	if (ha && hb)
		return pbd_value(d, f, pa, pb);
	if (!ha && !hb)
		return 0;
	/* A plain proto3 scalar: unset is its zero value, show that. */
	if (pbd_implicit(f))
		return pbd_report_values(d, f, pa, pb);
	return pbd_report_values(d, f, ha ? pa : NULL, hb ? pb : NULL);
}

static int pbd_msg(struct pbd *d, const ProtobufCMessage *a,
                   const ProtobufCMessage *b)
{
	const ProtobufCMessageDescriptor *desc = a->descriptor;
	size_t old;
	unsigned i;
	int rc = 0;

	if (++d->depth > PBD_MAX_DEPTH) {
		errno = ELOOP;
		rc = -1;
		goto out;
	}
	for (i = 0; i < desc->n_fields && rc == 0; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];

		old = pbd_push(d, d->plen ? ".%s" : "%s", f->name);
		rc = pbd_field(d, f, a, b);
		pbd_pop(d, old);
	}
	if (rc == 0)
		rc = pbd_unknown(d, a, b);
out:
	d->depth--;
	return rc;
}

int pbdiff_first(const ProtobufCMessage *a, const ProtobufCMessage *b,
                 char *buf, size_t n)
{
	struct pbd d;
	int rc;

	if (!buf)
		n = 0;
	if (n)
		buf[0] = '\0';
	if (!a || !b || !a->descriptor || a->descriptor != b->descriptor) {
		errno = EINVAL;
		return -1;
	}
	d.path[0] = '\0';
	d.plen = 0;
	d.out = buf;
	d.n = n;
	d.depth = 0;
	rc = pbd_msg(&d, a, b);
	if (rc < 0 && n)
		buf[0] = '\0';
	return rc;
}

/* ---- canonical bytes --------------------------------------------------- */

#define PBW_LEN PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED

struct pbw {
	uint8_t *b;
	size_t len, cap;
	int depth;
};

/* Room for extra more bytes. */
static int pbw_room(struct pbw *w, size_t extra)
{
	size_t cap;
	uint8_t *nb;

	if (extra <= w->cap - w->len)
		return 0;
	if (extra > SIZE_MAX / 4 - w->len) {
		errno = ENOMEM;
		return -1;
	}
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < extra)
		cap *= 2;
	nb = realloc(w->b, cap);
	if (!nb) {
		errno = ENOMEM;
		return -1;
	}
	w->b = nb;
	w->cap = cap;
	return 0;
}

static int pbw_put(struct pbw *w, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (pbw_room(w, n) < 0)
		return -1;
	memcpy(w->b + w->len, p, n);
	w->len += n;
	return 0;
}

static size_t pbw_varint_enc(uint64_t v, uint8_t out[10])
{
	size_t k = 0;

	while (v >= 0x80) {
		out[k++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[k++] = (uint8_t)v;
	return k;
}

static int pbw_varint(struct pbw *w, uint64_t v)
{
	uint8_t b[10];

	return pbw_put(w, b, pbw_varint_enc(v, b));
}

/* Little-endian, whatever the host. */
static int pbw_fixed(struct pbw *w, uint64_t v, size_t n)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return pbw_put(w, b, n);
}

static int pbw_tag(struct pbw *w, uint32_t id, ProtobufCWireType wt)
{
	return pbw_varint(w, (uint64_t)id << 3 | (uint64_t)wt);
}

static ProtobufCWireType pbw_wire_type(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return PROTOBUF_C_WIRE_TYPE_32BIT;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return PROTOBUF_C_WIRE_TYPE_64BIT;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return PBW_LEN;
	default:
		return PROTOBUF_C_WIRE_TYPE_VARINT;
	}
}

/* Open a length-delimited value: one byte kept for its length, which is
 * all a length below 128 needs. */
static int pbw_open(struct pbw *w, size_t *start)
{
	if (pbw_room(w, 1) < 0)
		return -1;
	w->b[w->len++] = 0;
	*start = w->len;
	return 0;
}

/* Close it: the length goes in front, the body slid right when the
 * length needs more than the one byte kept. */
static int pbw_close(struct pbw *w, size_t start)
{
	size_t body = w->len - start, k;
	uint8_t v[10];

	k = pbw_varint_enc(body, v);
	if (k > 1) {
		if (pbw_room(w, k - 1) < 0)
			return -1;
		memmove(w->b + start + k - 1, w->b + start, body);
		w->len += k - 1;
	}
	memcpy(w->b + start - 1, v, k);
	return 0;
}

/* A value of scalar type t at p, without its tag. */
static int pbw_scalar(struct pbw *w, ProtobufCType t, const void *p)
{
	switch (t) {
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_INT32: /* negative: ten bytes, sign-extended */
		return pbw_varint(w, (uint64_t)(int64_t)*(const int32_t *)p);
	case PROTOBUF_C_TYPE_SINT32: {
		uint32_t v = (uint32_t)*(const int32_t *)p;

		return pbw_varint(w, (v << 1) ^ (0u - (v >> 31)));
	}
	case PROTOBUF_C_TYPE_UINT32:
		return pbw_varint(w, *(const uint32_t *)p);
	case PROTOBUF_C_TYPE_SINT64: {
		uint64_t v = (uint64_t)*(const int64_t *)p;

		return pbw_varint(w, (v << 1) ^ (UINT64_C(0) - (v >> 63)));
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
		return pbw_varint(w, *(const uint64_t *)p);
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return pbw_fixed(w, *(const uint32_t *)p, 4);
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return pbw_fixed(w, *(const uint64_t *)p, 8);
	case PROTOBUF_C_TYPE_BOOL:
		return pbw_varint(w, *(const protobuf_c_boolean *)p ? 1 : 0);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = pbd_str(p);
		size_t n = strlen(s);

		if (pbw_varint(w, n) < 0)
			return -1;
		return pbw_put(w, s, n);
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;

		if (pbw_varint(w, b->len) < 0)
			return -1;
		return pbw_put(w, b->data, b->len);
	}
	default:
		errno = EINVAL;
		return -1;
	}
}

static int pbw_msg(struct pbw *w, const ProtobufCMessage *m);

/* Field f's tag and one value at p (a NULL message is an empty one). */
static int pbw_value(struct pbw *w, const ProtobufCFieldDescriptor *f,
                     const void *p)
{
	const ProtobufCMessage *sub;
	size_t start;

	if (pbw_tag(w, f->id, pbw_wire_type(f->type)) < 0)
		return -1;
	if (f->type != PROTOBUF_C_TYPE_MESSAGE)
		return pbw_scalar(w, f->type, p);
	sub = *(const ProtobufCMessage *const *)p;
	if (sub && sub->descriptor != f->descriptor) {
		errno = EINVAL;
		return -1;
	}
	if (pbw_open(w, &start) < 0 || (sub && pbw_msg(w, sub) < 0))
		return -1;
	return pbw_close(w, start);
}

static int pbw_unknown(struct pbw *w, const ProtobufCMessage *m)
{
	unsigned i;

	if (m->n_unknown_fields && !m->unknown_fields) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < m->n_unknown_fields; i++) {
		const ProtobufCMessageUnknownField *u = &m->unknown_fields[i];

		if (pbw_tag(w, u->tag, u->wire_type) < 0 ||
		    pbw_put(w, u->data, u->len) < 0)
			return -1;
	}
	return 0;
}

/* One map entry e of field f, tag and all: the key when not zero (its
 * value decides, as in the comparison), the value as any field. */
static int pbw_entry(struct pbw *w, const ProtobufCFieldDescriptor *f,
                     const ProtobufCMessage *e)
{
	const ProtobufCFieldDescriptor *kf = &e->descriptor->fields[0];
	const ProtobufCFieldDescriptor *vf = &e->descriptor->fields[1];
	size_t start;

	if (pbw_tag(w, f->id, PBW_LEN) < 0 || pbw_open(w, &start) < 0)
		return -1;
	if (!pbd_zero(kf->type, pbd_at(e, kf->offset)) &&
	    pbw_value(w, kf, pbd_at(e, kf->offset)) < 0)
		return -1;
	if (pbd_present(e, vf) && pbw_value(w, vf, pbd_at(e, vf->offset)) < 0)
		return -1;
	if (pbw_unknown(w, e) < 0)
		return -1;
	return pbw_close(w, start);
}

static int pbw_repeated(struct pbw *w, const ProtobufCFieldDescriptor *f,
                        const ProtobufCMessage *m)
{
	size_t n = *(const size_t *)pbd_at(m, f->quantifier_offset);
	const char *arr = *(const char *const *)pbd_at(m, f->offset);
	size_t i, sz, start;

	if (n == 0)
		return 0;
	if (!arr) {
		errno = EINVAL;
		return -1;
	}
	if (pbd_is_map(f)) {
		struct pbd_ent *v;
		ProtobufCMessage *empty;
		size_t k;
		int rc = 0;

		if (pbd_map_view(f, n, arr, &v, &k, &empty) < 0)
			return -1;
		for (i = 0; i < k && rc == 0; i++)
			rc = pbw_entry(w, f, v[i].e);
		free(v);
		free(empty);
		return rc;
	}
	sz = pbjson_elem_size(f->type);
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) &&
	    pbw_wire_type(f->type) != PBW_LEN) {
		if (pbw_tag(w, f->id, PBW_LEN) < 0 || pbw_open(w, &start) < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (pbw_scalar(w, f->type, arr + i * sz) < 0)
				return -1;
		return pbw_close(w, start);
	}
	for (i = 0; i < n; i++)
		if (pbw_value(w, f, arr + i * sz) < 0)
			return -1;
	return 0;
}

static int pbw_msg(struct pbw *w, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *desc = m->descriptor;
	unsigned i;
	int rc = 0;

	if (++w->depth > PBD_MAX_DEPTH) {
		errno = ELOOP;
		rc = -1;
		goto out;
	}
	for (i = 0; i < desc->n_fields && rc == 0; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];

		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			rc = pbw_repeated(w, f, m);
		else if (pbd_present(m, f))
			rc = pbw_value(w, f, pbd_at(m, f->offset));
	}
	if (rc == 0)
		rc = pbw_unknown(w, m);
out:
	w->depth--;
	return rc;
}

uint8_t *pbdiff_canonical(const ProtobufCMessage *m, size_t *len)
{
	struct pbw w = {NULL, 0, 0, 0};

	if (!m || !m->descriptor) {
		errno = EINVAL;
		return NULL;
	}
	/* Never NULL on success, even when empty. */
	if (pbw_room(&w, 1) < 0 || pbw_msg(&w, m) < 0) {
		free(w.b);
		return NULL;
	}
	if (len)
		*len = w.len;
	return w.b;
}

int pbdiff_digest(const ProtobufCMessage *m, uint8_t out[32])
{
	EVP_MD_CTX *ctx = NULL;
	unsigned int olen = 0;
	uint8_t *b;
	size_t n;
	int rc = -1;

	b = pbdiff_canonical(m, &n);
	if (!b)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, b, n) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &olen) != 1 || olen != 32) {
		errno = ENOMEM; /* libcrypto only fails allocating */
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(b);
	return rc;
}

void pbdiff_hex(const uint8_t d[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}
