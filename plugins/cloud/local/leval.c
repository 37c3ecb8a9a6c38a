/*
 * leval.c -- bindings, attribute paths, branch conditions and DAG
 * readiness for the local executor (see leval.h for the contract and the
 * flytepropeller behaviour each function follows).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leval.h"

#include "google/protobuf/struct.pb-c.h"

/* Nesting limit for bindings, attribute paths, conditions, msgpack and
 * Struct values: deeper input is refused rather than overflowing the
 * stack. */
#define LEVAL_MAX_DEPTH 64

/* ---- errors ------------------------------------------------------------ */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Put "<prefix>: " in front of the message already in err. */
static void prefix(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void prefix(char *err, size_t errlen, const char *fmt, ...)
{
	char pre[512];
	va_list ap;
	size_t pl, ml;
	int r;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	r = vsnprintf(pre, sizeof pre - 2, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	pl = strlen(pre);
	memcpy(pre + pl, ": ", 3);
	pl += 2;
	if (pl >= errlen)
		pl = errlen - 1;
	ml = strnlen(err, errlen - 1);
	if (pl + ml >= errlen)
		ml = errlen - 1 - pl;
	memmove(err + pl, err, ml);
	memcpy(err, pre, pl);
	err[pl + ml] = '\0';
}

/* ---- allocation -------------------------------------------------------- */

static void *zalloc(ProtobufCAllocator *a, size_t n)
{
	void *p = a->alloc(a->allocator_data, n ? n : 1);

	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

static Flyteidl__Core__Literal *new_literal(ProtobufCAllocator *a)
{
	Flyteidl__Core__Literal *l = zalloc(a, sizeof *l);

	if (l)
		flyteidl__core__literal__init(l);
	return l;
}

/* A literal holding scalar s (borrowed). */
static Flyteidl__Core__Literal *scalar_literal(ProtobufCAllocator *a,
                                               Flyteidl__Core__Scalar *s)
{
	Flyteidl__Core__Literal *l = new_literal(a);

	if (!l)
		return NULL;
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	l->scalar = s;
	return l;
}

static Flyteidl__Core__Scalar *new_scalar(ProtobufCAllocator *a)
{
	Flyteidl__Core__Scalar *s = zalloc(a, sizeof *s);

	if (s)
		flyteidl__core__scalar__init(s);
	return s;
}

static Flyteidl__Core__Literal *
primitive_literal(ProtobufCAllocator *a, Flyteidl__Core__Primitive **pp)
{
	Flyteidl__Core__Scalar *s = new_scalar(a);
	Flyteidl__Core__Primitive *p = zalloc(a, sizeof *p);

	if (!s || !p)
		return NULL;
	flyteidl__core__primitive__init(p);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	s->primitive = p;
	*pp = p;
	return scalar_literal(a, s);
}

static Flyteidl__Core__Literal *none_literal(ProtobufCAllocator *a)
{
	Flyteidl__Core__Scalar *s = new_scalar(a);
	Flyteidl__Core__Void *v = zalloc(a, sizeof *v);

	if (!s || !v)
		return NULL;
	flyteidl__core__void__init(v);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
	s->none_type = v;
	return scalar_literal(a, s);
}

/* Set key to v in m, replacing an entry of that key; entries grow by
 * doubling (the arena does not free, so keep the copies few). */
static int map_put(ProtobufCAllocator *a, Flyteidl__Core__LiteralMap *m,
                   size_t *cap, char *key, Flyteidl__Core__Literal *v)
{
	Flyteidl__Core__LiteralMap__LiteralsEntry *e, **grown;
	size_t i;

	for (i = 0; i < m->n_literals; i++) {
		if (strcmp(m->literals[i]->key, key) == 0) {
			m->literals[i]->value = v;
			return 0;
		}
	}
	if (m->n_literals == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;

		grown = zalloc(a, ncap * sizeof *grown);
		if (!grown)
			return -1;
		if (m->n_literals)
			memcpy(grown, m->literals,
			       m->n_literals * sizeof *grown);
		if (m->literals)
			a->free(a->allocator_data, m->literals);
		m->literals = grown;
		*cap = ncap;
	}
	e = zalloc(a, sizeof *e);
	if (!e)
		return -1;
	flyteidl__core__literal_map__literals_entry__init(e);
	e->key = key;
	e->value = v;
	m->literals[m->n_literals++] = e;
	return 0;
}

/* ---- describing values in messages ------------------------------------- */

static const char *scalar_kind(const Flyteidl__Core__Scalar *s)
{
	if (!s)
		return "an empty scalar";
	switch (s->value_case) {
	case FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE:
		return "a primitive";
	case FLYTEIDL__CORE__SCALAR__VALUE_BLOB:
		return "a blob";
	case FLYTEIDL__CORE__SCALAR__VALUE_BINARY:
		return "a binary";
	case FLYTEIDL__CORE__SCALAR__VALUE_SCHEMA:
		return "a schema";
	case FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE:
		return "none";
	case FLYTEIDL__CORE__SCALAR__VALUE_ERROR:
		return "an error";
	case FLYTEIDL__CORE__SCALAR__VALUE_GENERIC:
		return "a generic struct";
	case FLYTEIDL__CORE__SCALAR__VALUE_STRUCTURED_DATASET:
		return "a structured dataset";
	case FLYTEIDL__CORE__SCALAR__VALUE_UNION:
		return "a union";
	default:
		return "an empty scalar";
	}
}

/* "a collection of 3 literals", "a map of 2 literals", "a blob", ... */
static const char *literal_desc(const Flyteidl__Core__Literal *l, char *buf,
                                size_t bufsz)
{
	if (!l)
		return "nothing";
	switch (l->value_case) {
	case FLYTEIDL__CORE__LITERAL__VALUE_SCALAR:
		return scalar_kind(l->scalar);
	case FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION:
		snprintf(buf, bufsz, "a collection of %zu literals",
		         l->collection ? l->collection->n_literals : 0);
		return buf;
	case FLYTEIDL__CORE__LITERAL__VALUE_MAP:
		snprintf(buf, bufsz, "a map of %zu literals",
		         l->map ? l->map->n_literals : 0);
		return buf;
	case FLYTEIDL__CORE__LITERAL__VALUE_OFFLOADED_METADATA:
		return "an offloaded literal";
	default:
		return "an empty literal";
	}
}

/* Go's type name of a Primitive's value, as propeller prints it. */
static const char *prim_go_type(const Flyteidl__Core__Primitive *p)
{
	switch (p ? p->value_case : FLYTEIDL__CORE__PRIMITIVE__VALUE__NOT_SET) {
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER:
		return "*core.Primitive_Integer";
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE:
		return "*core.Primitive_FloatValue";
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE:
		return "*core.Primitive_StringValue";
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
		return "*core.Primitive_Boolean";
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME:
		return "*core.Primitive_Datetime";
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION:
		return "*core.Primitive_Duration";
	default:
		return "<nil>";
	}
}

/* The value itself: 3, 2.5, "abc" (cut at 40 bytes), true, 12s. */
static const char *prim_value(const Flyteidl__Core__Primitive *p, char *buf,
                              size_t bufsz)
{
	switch (p ? p->value_case : FLYTEIDL__CORE__PRIMITIVE__VALUE__NOT_SET) {
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER:
		snprintf(buf, bufsz, "%" PRId64, p->integer);
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE:
		snprintf(buf, bufsz, "%.17g", p->float_value);
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE:
		snprintf(buf, bufsz, "\"%.40s%s\"",
		         p->string_value ? p->string_value : "",
		         p->string_value && strlen(p->string_value) > 40 ? "..."
		                                                         : "");
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
		snprintf(buf, bufsz, "%s", p->boolean ? "true" : "false");
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME:
		snprintf(buf, bufsz, "datetime %" PRId64 "s",
		         p->datetime ? p->datetime->seconds : 0);
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION:
		snprintf(buf, bufsz, "duration %" PRId64 "s",
		         p->duration ? p->duration->seconds : 0);
		break;
	default:
		snprintf(buf, bufsz, "unset");
		break;
	}
	return buf;
}

/* ---- attribute paths --------------------------------------------------- */

static const char *attr_str(const Flyteidl__Core__PromiseAttribute *at)
{
	if (at &&
	    at->value_case ==
	        FLYTEIDL__CORE__PROMISE_ATTRIBUTE__VALUE_STRING_VALUE &&
	    at->string_value)
		return at->string_value;
	return "";
}

static int32_t attr_int(const Flyteidl__Core__PromiseAttribute *at)
{
	if (at && at->value_case ==
	              FLYTEIDL__CORE__PROMISE_ATTRIBUTE__VALUE_INT_VALUE)
		return at->int_value;
	return 0;
}

/* Keys joined by ", " into buf (cut with "..."), for "does not exist"
 * messages; key(arg, i) is the i-th of n. */
static const char *join_keys(size_t n, const char *(*key)(const void *, size_t),
                             const void *arg, char *buf, size_t bufsz)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len + 1 < bufsz; i++) {
		int r = snprintf(buf + len, bufsz - len, "%s%s", i ? ", " : "",
		                 key(arg, i));
		if (r < 0)
			break;
		len += (size_t)r;
	}
	if (len >= bufsz && bufsz > 4)
		memcpy(buf + bufsz - 4, "...", 4);
	return buf;
}

static const char *map_key_at(const void *m, size_t i)
{
	return ((const Flyteidl__Core__LiteralMap *)m)->literals[i]->key;
}

static const char *struct_key_at(const void *st, size_t i)
{
	return ((const Google__Protobuf__Struct *)st)->fields[i]->key;
}

static const char *map_keys(const Flyteidl__Core__LiteralMap *m, char *buf,
                            size_t bufsz)
{
	return join_keys(m ? m->n_literals : 0, map_key_at, m, buf, bufsz);
}

static const Google__Protobuf__Value *
struct_get(const Google__Protobuf__Struct *st, const char *key)
{
	size_t i;

	/* protobuf maps: the last entry of a key wins */
	for (i = st ? st->n_fields : 0; i-- > 0;)
		if (st->fields[i] && strcmp(st->fields[i]->key, key) == 0)
			return st->fields[i]->value;
	return NULL;
}

static const char *struct_keys(const Google__Protobuf__Struct *st, char *buf,
                               size_t bufsz)
{
	return join_keys(st ? st->n_fields : 0, struct_key_at, st, buf, bufsz);
}

/* A Struct value as propeller's convertInterfaceToLiteral makes it. */
static int struct_value_literal(ProtobufCAllocator *a,
                                const Google__Protobuf__Value *v, int depth,
                                Flyteidl__Core__Literal **out, char *err,
                                size_t errlen)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *l;
	Flyteidl__Core__Scalar *s;
	Flyteidl__Core__LiteralCollection *c;
	size_t i;

	if (depth > LEVAL_MAX_DEPTH)
		return fail(err, errlen, "struct nested too deeply");
	switch (v ? v->kind_case : GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET) {
	case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
		if (!(l = primitive_literal(a, &p)))
			goto oom;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
		p->float_value = v->number_value;
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
		if (!(l = primitive_literal(a, &p)))
			goto oom;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
		p->string_value = v->string_value;
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
		if (!(l = primitive_literal(a, &p)))
			goto oom;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
		p->boolean = v->bool_value;
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
		if (!(s = new_scalar(a)) || !(l = scalar_literal(a, s)))
			goto oom;
		s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_GENERIC;
		s->generic = v->struct_value;
		break;
	case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
		if (!(l = new_literal(a)) || !(c = zalloc(a, sizeof *c)))
			goto oom;
		flyteidl__core__literal_collection__init(c);
		l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION;
		l->collection = c;
		if (v->list_value && v->list_value->n_values) {
			c->literals = zalloc(a, v->list_value->n_values *
			                            sizeof *c->literals);
			if (!c->literals)
				goto oom;
			for (i = 0; i < v->list_value->n_values; i++) {
				if (struct_value_literal(
				        a, v->list_value->values[i], depth + 1,
				        &c->literals[i], err, errlen) < 0)
					return -1;
				c->n_literals++;
			}
		}
		break;
	default:
		/* null (or unset): propeller gives an empty Literal; a none
		 * scalar is what a task can read */
		if (!(l = none_literal(a)))
			goto oom;
		break;
	}
	*out = l;
	return 0;
oom:
	return fail(err, errlen, "out of memory");
}

/* Follow path inside a Struct (propeller's resolveAttrPathInPbStruct). */
static int attr_path_struct(ProtobufCAllocator *a,
                            const Google__Protobuf__Struct *st,
                            Flyteidl__Core__PromiseAttribute *const *path,
                            size_t n, const Flyteidl__Core__Literal **out,
                            char *err, size_t errlen)
{
	Google__Protobuf__Value top = GOOGLE__PROTOBUF__VALUE__INIT;
	const Google__Protobuf__Value *cur = &top;
	Flyteidl__Core__Literal *l;
	char keys[256];
	size_t i;

	top.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
	top.struct_value = (Google__Protobuf__Struct *)st;
	for (i = 0; i < n; i++) {
		if (cur->kind_case ==
		    GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE) {
			const char *key = attr_str(path[i]);
			const Google__Protobuf__Value *nx =
			    struct_get(cur->struct_value, key);

			if (!nx)
				return fail(
				    err, errlen,
				    "key [%s] does not exist in literal "
				    "(a struct with keys {%s})",
				    key,
				    struct_keys(cur->struct_value, keys,
				                sizeof keys));
			cur = nx;
		} else if (cur->kind_case ==
		           GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE) {
			int32_t ix = attr_int(path[i]);
			size_t len =
			    cur->list_value ? cur->list_value->n_values : 0;

			if (ix < 0 || (size_t)ix >= len)
				return fail(err, errlen,
				            "index [%" PRId32
				            "] is out of range of "
				            "(a struct list of %zu values)",
				            ix, len);
			cur = cur->list_value->values[ix];
		}
		if (!cur)
			return fail(err, errlen,
			            "struct value at [%zu] is empty", i);
		/* a number, string, bool or null: propeller's type switch
		 * matches nothing and the rest of the path is ignored */
	}
	if (struct_value_literal(a, cur, 0, &l, err, errlen) < 0)
		return -1;
	*out = l;
	return 0;
}

/* ---- msgpack (the Binary form of dataclasses, flytekit >= 1.14) -------- */

struct mp {
	const uint8_t *p;
	size_t n, pos;
};

static int mp_need(const struct mp *m, size_t k)
{
	return m->n - m->pos >= k ? 0 : -1;
}

static uint64_t mp_be(const uint8_t *p, size_t k)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < k; i++)
		v = v << 8 | p[i];
	return v;
}

/* Read the header of the value at m->pos and step over it: *kind is 'm'
 * (map, *count pairs), 'a' (array, *count elements), 's' (string, the
 * bytes at *str, *count long) or 'x' (anything else, skipped whole). */
static int mp_head(struct mp *m, int *kind, uint64_t *count,
                   const uint8_t **str)
{
	uint8_t b;
	size_t k = 0, extra = 0;

	if (mp_need(m, 1) < 0)
		return -1;
	b = m->p[m->pos++];
	*kind = 'x';
	*count = 0;
	if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3))
		return b == 0xc1 ? -1 : 0;
	if (b >= 0x80 && b <= 0x8f) {
		*kind = 'm';
		*count = b & 0x0f;
		return 0;
	}
	if (b >= 0x90 && b <= 0x9f) {
		*kind = 'a';
		*count = b & 0x0f;
		return 0;
	}
	if (b >= 0xa0 && b <= 0xbf) {
		*kind = 's';
		*count = b & 0x1f;
		goto bytes;
	}
	switch (b) {
	case 0xc4:
	case 0xc5:
	case 0xc6: /* bin 8/16/32 */
		k = (size_t)1 << (b - 0xc4);
		if (mp_need(m, k) < 0)
			return -1;
		*count = mp_be(m->p + m->pos, k);
		m->pos += k;
		goto bytes;
	case 0xc7:
	case 0xc8:
	case 0xc9: /* ext 8/16/32: len, type, data */
		k = (size_t)1 << (b - 0xc7);
		if (mp_need(m, k + 1) < 0)
			return -1;
		*count = mp_be(m->p + m->pos, k);
		m->pos += k + 1;
		goto bytes;
	case 0xca: /* float 32 */
	case 0xce: /* uint 32 */
	case 0xd2: /* int 32 */
		extra = 4;
		break;
	case 0xcb: /* float 64 */
	case 0xcf: /* uint 64 */
	case 0xd3: /* int 64 */
		extra = 8;
		break;
	case 0xcc: /* uint 8 */
	case 0xd0: /* int 8 */
		extra = 1;
		break;
	case 0xcd: /* uint 16 */
	case 0xd1: /* int 16 */
		extra = 2;
		break;
	case 0xd4: /* fixext 1, 2, 4, 8, 16: a type byte and the data */
	case 0xd5:
	case 0xd6:
	case 0xd7:
	case 0xd8:
		extra = 1 + ((size_t)1 << (b - 0xd4));
		break;
	case 0xd9:
	case 0xda:
	case 0xdb: /* str 8/16/32 */
		k = (size_t)1 << (b - 0xd9);
		if (mp_need(m, k) < 0)
			return -1;
		*count = mp_be(m->p + m->pos, k);
		m->pos += k;
		*kind = 's';
		goto bytes;
	case 0xdc:
	case 0xdd: /* array 16/32 */
		k = b == 0xdc ? 2 : 4;
		if (mp_need(m, k) < 0)
			return -1;
		*count = mp_be(m->p + m->pos, k);
		m->pos += k;
		*kind = 'a';
		return 0;
	case 0xde:
	case 0xdf: /* map 16/32 */
		k = b == 0xde ? 2 : 4;
		if (mp_need(m, k) < 0)
			return -1;
		*count = mp_be(m->p + m->pos, k);
		m->pos += k;
		*kind = 'm';
		return 0;
	default:
		return -1;
	}
	if (mp_need(m, extra) < 0)
		return -1;
	m->pos += extra;
	return 0;
bytes:
	if (*count > m->n - m->pos)
		return -1;
	*str = m->p + m->pos;
	m->pos += (size_t)*count;
	return 0;
}

/* Step over one whole value. */
static int mp_skip(struct mp *m, int depth)
{
	const uint8_t *s;
	uint64_t count, i;
	int kind;

	if (depth > LEVAL_MAX_DEPTH || mp_head(m, &kind, &count, &s) < 0)
		return -1;
	if (kind == 'm') {
		if (count > (m->n - m->pos) / 2)
			return -1;
		count *= 2;
	} else if (kind != 'a') {
		return 0;
	}
	if (count > m->n - m->pos) /* every element takes a byte at least */
		return -1;
	for (i = 0; i < count; i++)
		if (mp_skip(m, depth + 1) < 0)
			return -1;
	return 0;
}

/* Follow path inside msgpack bytes (propeller's resolveAttrPathInBinary,
 * which decodes, walks and re-encodes; the bytes of the value reached are
 * the same value). */
static int attr_path_msgpack(ProtobufCAllocator *a,
                             const Flyteidl__Core__Binary *bin,
                             Flyteidl__Core__PromiseAttribute *const *path,
                             size_t n, const Flyteidl__Core__Literal **out,
                             char *err, size_t errlen)
{
	struct mp m = {bin->value.data, bin->value.len, 0};
	size_t start = 0, end, i;
	Flyteidl__Core__Literal *l;
	Flyteidl__Core__Scalar *s;
	Flyteidl__Core__Binary *b;

	for (i = 0; i < n; i++) {
		const uint8_t *str;
		uint64_t count, j;
		int kind;

		m.pos = start;
		if (mp_head(&m, &kind, &count, &str) < 0)
			goto bad;
		if (kind == 'm') {
			const char *key = attr_str(path[i]);
			size_t klen = strlen(key), found = SIZE_MAX;

			for (j = 0; j < count; j++) {
				size_t kpos = m.pos;
				const uint8_t *ks = NULL;
				uint64_t kc;
				int kk;

				if (mp_head(&m, &kk, &kc, &ks) < 0)
					goto bad;
				if (kk == 'm' || kk == 'a') {
					/* a container as a key: step over it */
					m.pos = kpos;
					if (mp_skip(&m, 1) < 0)
						goto bad;
				}
				/* the last duplicate wins, as in a Go map */
				if (kk == 's' && kc == klen &&
				    memcmp(ks, key, klen) == 0)
					found = m.pos;
				if (mp_skip(&m, 1) < 0)
					goto bad;
			}
			if (found == SIZE_MAX)
				return fail(
				    err, errlen,
				    "key [%s] does not exist in literal "
				    "(a msgpack map of %" PRIu64 " entries)",
				    key, count);
			start = found;
		} else if (kind == 'a') {
			int32_t ix = attr_int(path[i]);

			if (ix < 0 || (uint64_t)ix >= count)
				return fail(
				    err, errlen,
				    "index [%" PRId32 "] is out of range of "
				    "(a msgpack array of %" PRIu64 " values)",
				    ix, count);
			for (j = 0; j < (uint64_t)ix; j++)
				if (mp_skip(&m, 1) < 0)
					goto bad;
			start = m.pos;
		}
		/* a scalar: the rest of the path is ignored, as in propeller */
	}
	m.pos = start;
	if (mp_skip(&m, 0) < 0)
		goto bad;
	end = m.pos;

	if (!(s = new_scalar(a)) || !(b = zalloc(a, sizeof *b)) ||
	    !(l = scalar_literal(a, s)))
		return fail(err, errlen, "out of memory");
	flyteidl__core__binary__init(b);
	b->value.data = bin->value.data + start;
	b->value.len = end - start;
	b->tag = bin->tag;
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BINARY;
	s->binary = b;
	*out = l;
	return 0;
bad:
	return fail(err, errlen, "malformed msgpack value (%zu bytes)",
	            bin->value.len);
}

int leval_attr_path(ProtobufCAllocator *a, const Flyteidl__Core__Literal *in,
                    Flyteidl__Core__PromiseAttribute *const *path, size_t n,
                    const Flyteidl__Core__Literal **out, char *err,
                    size_t errlen)
{
	const Flyteidl__Core__Literal *cur = in;
	const Flyteidl__Core__Scalar *s;
	char keys[256];
	size_t i, count = 0;

	if (!a || !in || !out || (n && !path))
		return fail(err, errlen, "leval_attr_path: %s",
		            strerror(EINVAL));
	for (i = 0; i < n; i++) {
		if (cur->value_case == FLYTEIDL__CORE__LITERAL__VALUE_MAP) {
			const char *key = attr_str(path[i]);
			const Flyteidl__Core__LiteralMap *m = cur->map;
			const Flyteidl__Core__Literal *nx = NULL;
			size_t j;

			for (j = m ? m->n_literals : 0; j-- > 0;) {
				if (strcmp(m->literals[j]->key, key) == 0) {
					nx = m->literals[j]->value;
					break;
				}
			}
			if (!nx)
				return fail(
				    err, errlen,
				    "key [%s] does not exist in literal "
				    "(a map with keys {%s})",
				    key, map_keys(m, keys, sizeof keys));
			cur = nx;
			count++;
		} else if (cur->value_case ==
		           FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION) {
			int32_t ix = attr_int(path[i]);
			size_t len =
			    cur->collection ? cur->collection->n_literals : 0;

			if (ix < 0 || (size_t)ix >= len)
				return fail(err, errlen,
				            "index [%" PRId32
				            "] is out of range of "
				            "(a collection of %zu literals)",
				            ix, len);
			cur = cur->collection->literals[ix];
			if (!cur)
				return fail(err, errlen,
				            "element [%" PRId32
				            "] of the collection is empty",
				            ix);
			count++;
		}
		/* a scalar is a leaf: propeller breaks out of its switch and
		 * leaves the rest of the path to the struct/binary walk */
	}

	s = cur->value_case == FLYTEIDL__CORE__LITERAL__VALUE_SCALAR
	        ? cur->scalar
	        : NULL;
	if (s && count < n &&
	    s->value_case == FLYTEIDL__CORE__SCALAR__VALUE_BINARY &&
	    s->binary) {
		const char *tag = s->binary->tag ? s->binary->tag : "";

		if (strcmp(tag, "msgpack") != 0)
			return fail(
			    err, errlen,
			    "Unsupported format '%s' found for literal "
			    "value. Please ensure the serialization format "
			    "is supported.",
			    tag);
		return attr_path_msgpack(a, s->binary, path + count, n - count,
		                         out, err, errlen);
	}
	if (s && count < n &&
	    s->value_case == FLYTEIDL__CORE__SCALAR__VALUE_GENERIC &&
	    s->generic)
		return attr_path_struct(a, s->generic, path + count, n - count,
		                        out, err, errlen);
	*out = cur;
	return 0;
}

/* ---- bindings ---------------------------------------------------------- */

static char empty_str[] = "";

static int binding_data(ProtobufCAllocator *a,
                        const Flyteidl__Core__BindingData *bd,
                        leval_lookup_fn fn, void *arg, int depth,
                        Flyteidl__Core__Literal **out, char *err,
                        size_t errlen);

static int binding_collection(ProtobufCAllocator *a,
                              const Flyteidl__Core__BindingDataCollection *bc,
                              leval_lookup_fn fn, void *arg, int depth,
                              Flyteidl__Core__Literal **out, char *err,
                              size_t errlen)
{
	Flyteidl__Core__LiteralCollection *c;
	Flyteidl__Core__Literal *l;
	size_t i, n = bc ? bc->n_bindings : 0;

	if (!(l = new_literal(a)) || !(c = zalloc(a, sizeof *c)))
		return fail(err, errlen, "out of memory");
	flyteidl__core__literal_collection__init(c);
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION;
	l->collection = c;
	if (n && !(c->literals = zalloc(a, n * sizeof *c->literals)))
		return fail(err, errlen, "out of memory");
	for (i = 0; i < n; i++) {
		if (binding_data(a, bc->bindings[i], fn, arg, depth + 1,
		                 &c->literals[i], err, errlen) < 0) {
			prefix(err, errlen, "[%zu]", i);
			return -1;
		}
		c->n_literals++;
	}
	*out = l;
	return 0;
}

static int binding_map(ProtobufCAllocator *a,
                       const Flyteidl__Core__BindingDataMap *bm,
                       leval_lookup_fn fn, void *arg, int depth,
                       Flyteidl__Core__Literal **out, char *err, size_t errlen)
{
	Flyteidl__Core__LiteralMap *m;
	Flyteidl__Core__Literal *l, *v;
	size_t i, cap = 0, n = bm ? bm->n_bindings : 0;

	if (!(l = new_literal(a)) || !(m = zalloc(a, sizeof *m)))
		return fail(err, errlen, "out of memory");
	flyteidl__core__literal_map__init(m);
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_MAP;
	l->map = m;
	for (i = 0; i < n; i++) {
		const Flyteidl__Core__BindingDataMap__BindingsEntry *e =
		    bm->bindings[i];

		if (binding_data(a, e->value, fn, arg, depth + 1, &v, err,
		                 errlen) < 0) {
			prefix(err, errlen, "[%s]", e->key);
			return -1;
		}
		if (map_put(a, m, &cap, e->key, v) < 0)
			return fail(err, errlen, "out of memory");
	}
	*out = l;
	return 0;
}

static int binding_promise(ProtobufCAllocator *a,
                           const Flyteidl__Core__OutputReference *p,
                           leval_lookup_fn fn, void *arg,
                           Flyteidl__Core__Literal **out, char *err,
                           size_t errlen)
{
	const Flyteidl__Core__Literal *l, *r;
	const char *node = p && p->node_id ? p->node_id : "";
	const char *var = p && p->var ? p->var : "";

	if (!*node)
		return fail(err, errlen,
		            "No nodeId (missing) specified for "
		            "binding in Workflow.");
	l = fn(arg, node, var);
	if (!l)
		return fail(err, errlen, "output [%s].[%s] not found", node,
		            var);
	if (p->n_attr_path) {
		if (leval_attr_path(a, l, p->attr_path, p->n_attr_path, &r, err,
		                    errlen) < 0) {
			prefix(err, errlen, "output [%s].[%s]", node, var);
			return -1;
		}
		l = r;
	}
	/* read-only from here on (see leval.h) */
	*out = (Flyteidl__Core__Literal *)l;
	return 0;
}

static int binding_data(ProtobufCAllocator *a,
                        const Flyteidl__Core__BindingData *bd,
                        leval_lookup_fn fn, void *arg, int depth,
                        Flyteidl__Core__Literal **out, char *err, size_t errlen)
{
	Flyteidl__Core__Literal *l = NULL, *w;
	Flyteidl__Core__Scalar *s;
	Flyteidl__Core__Union *u;

	if (depth > LEVAL_MAX_DEPTH)
		return fail(err, errlen, "bindings nested too deeply");
	if (!bd)
		return fail(err, errlen, "no binding data");
	switch (bd->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR:
		if (!bd->scalar)
			return fail(err, errlen, "empty scalar binding");
		if (!(l = scalar_literal(a, bd->scalar)))
			return fail(err, errlen, "out of memory");
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION:
		if (binding_collection(a, bd->collection, fn, arg, depth, &l,
		                       err, errlen) < 0)
			return -1;
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP:
		if (binding_map(a, bd->map, fn, arg, depth, &l, err, errlen) <
		    0)
			return -1;
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE:
		if (binding_promise(a, bd->promise, fn, arg, &l, err, errlen) <
		    0)
			return -1;
		break;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_OFFLOADED_METADATA:
		return fail(
		    err, errlen,
		    "offloaded literal at %s: offloaded literals are not "
		    "supported by the local executor",
		    bd->offloaded_metadata && bd->offloaded_metadata->uri
		        ? bd->offloaded_metadata->uri
		        : "(no uri)");
	default:
		return fail(err, errlen, "binding data has no value");
	}

	if (bd->union_ &&
	    !(l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_SCALAR &&
	      l->scalar &&
	      l->scalar->value_case == FLYTEIDL__CORE__SCALAR__VALUE_UNION)) {
		if (!(w = new_literal(a)) || !(s = new_scalar(a)) ||
		    !(u = zalloc(a, sizeof *u)))
			return fail(err, errlen, "out of memory");
		flyteidl__core__union__init(u);
		u->value = l;
		u->type = bd->union_->targettype;
		s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
		s->union_ = u;
		w->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		w->scalar = s;
		l = w;
	}
	*out = l;
	return 0;
}

int leval_binding_data(ProtobufCAllocator *a,
                       const Flyteidl__Core__BindingData *bd,
                       leval_lookup_fn fn, void *arg,
                       Flyteidl__Core__Literal **out, char *err, size_t errlen)
{
	if (!a || !fn || !out)
		return fail(err, errlen, "leval_binding_data: %s",
		            strerror(EINVAL));
	return binding_data(a, bd, fn, arg, 0, out, err, errlen);
}

/* leval_bindings(), errors prefixed "<what> [var]". */
static int bindings_map(ProtobufCAllocator *a,
                        Flyteidl__Core__Binding *const *bindings, size_t n,
                        leval_lookup_fn fn, void *arg, const char *what,
                        Flyteidl__Core__LiteralMap **out, char *err,
                        size_t errlen)
{
	Flyteidl__Core__LiteralMap *m;
	Flyteidl__Core__Literal *l;
	size_t i, cap = 0;

	if (!a || !fn || !out || (n && !bindings))
		return fail(err, errlen, "leval_bindings: %s",
		            strerror(EINVAL));
	if (!(m = zalloc(a, sizeof *m)))
		return fail(err, errlen, "out of memory");
	flyteidl__core__literal_map__init(m);
	for (i = 0; i < n; i++) {
		const Flyteidl__Core__Binding *b = bindings[i];
		char *var = b && b->var ? b->var : empty_str;

		if (binding_data(a, b ? b->binding : NULL, fn, arg, 0, &l, err,
		                 errlen) < 0) {
			prefix(err, errlen, "%s [%s]", what, var);
			return -1;
		}
		if (map_put(a, m, &cap, var, l) < 0)
			return fail(err, errlen, "out of memory");
	}
	*out = m;
	return 0;
}

int leval_bindings(ProtobufCAllocator *a,
                   Flyteidl__Core__Binding *const *bindings, size_t n,
                   leval_lookup_fn fn, void *arg,
                   Flyteidl__Core__LiteralMap **out, char *err, size_t errlen)
{
	return bindings_map(a, bindings, n, fn, arg, "input", out, err, errlen);
}

int leval_outputs(ProtobufCAllocator *a,
                  const Flyteidl__Core__CompiledWorkflow *wf,
                  leval_lookup_fn fn, void *arg,
                  Flyteidl__Core__LiteralMap **out, char *err, size_t errlen)
{
	const Flyteidl__Core__WorkflowTemplate *t = wf ? wf->template_ : NULL;

	if (!t)
		return fail(err, errlen, "workflow has no template");
	return bindings_map(a, t->outputs, t->n_outputs, fn, arg,
	                    "workflow output", out, err, errlen);
}

/* ---- conditions -------------------------------------------------------- */

static const char *const CODE_MALFORMED = "MalformedBranchUserError";
static const char *const CODE_USER = "UserProvidedError";
static const char *const CODE_ILLEGAL = "IllegalStateError";
static const char NO_EXPR[] =
    "No Comparison or Conjunction found in Branch node expression.";

/* One side of a comparison: a primitive, or none. */
struct side {
	const Flyteidl__Core__Primitive *prim; /* NULL: none */
	const char *var;                       /* the input it came from */
};

static const char *op_name(Flyteidl__Core__ComparisonExpression__Operator op)
{
	switch (op) {
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__EQ:
		return "EQ";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__NEQ:
		return "NEQ";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GT:
		return "GT";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GTE:
		return "GTE";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LT:
		return "LT";
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LTE:
		return "LTE";
	default:
		return "?";
	}
}

static const Flyteidl__Core__Literal *
map_get(const Flyteidl__Core__LiteralMap *m, const char *key)
{
	size_t i;

	for (i = m ? m->n_literals : 0; i-- > 0;)
		if (m->literals[i] && strcmp(m->literals[i]->key, key) == 0)
			return m->literals[i]->value;
	return NULL;
}

/* A scalar as a comparison side: a primitive, none, or (through unions)
 * what the union holds. */
static int scalar_side(const Flyteidl__Core__Scalar *s, const char *which,
                       const char *var, struct side *out, const char **code,
                       char *err, size_t errlen)
{
	int depth;

	for (depth = 0; depth < LEVAL_MAX_DEPTH; depth++) {
		if (s &&
		    s->value_case == FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE &&
		    s->primitive) {
			out->prim = s->primitive;
			return 0;
		}
		if (s &&
		    s->value_case == FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE) {
			out->prim = NULL;
			return 0;
		}
		if (s && s->value_case == FLYTEIDL__CORE__SCALAR__VALUE_UNION &&
		    s->union_ && s->union_->value &&
		    s->union_->value->value_case ==
		        FLYTEIDL__CORE__LITERAL__VALUE_SCALAR) {
			s = s->union_->value->scalar;
			continue;
		}
		break;
	}
	*code = CODE_MALFORMED;
	if (var)
		return fail(
		    err, errlen,
		    "Only primitives can be compared. %s Variable is non "
		    "primitive. (variable [%s] holds %s)",
		    which, var, scalar_kind(s));
	return fail(err, errlen,
	            "Only primitives can be compared. %s Variable is non "
	            "primitive. (the constant is %s)",
	            which, scalar_kind(s));
}

static int operand_side(const Flyteidl__Core__Operand *o,
                        const Flyteidl__Core__LiteralMap *inputs,
                        const char *which, struct side *out, const char **code,
                        char *err, size_t errlen)
{
	const Flyteidl__Core__Literal *l;
	const char *var;
	char desc[64];

	out->var = NULL;
	if (o && o->val_case == FLYTEIDL__CORE__OPERAND__VAL_PRIMITIVE) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		out->prim = o->primitive;
#pragma GCC diagnostic pop
		if (!out->prim) {
			*code = CODE_MALFORMED;
			return fail(err, errlen,
			            "%s operand has an empty primitive", which);
		}
		return 0;
	}
	if (o && o->val_case == FLYTEIDL__CORE__OPERAND__VAL_SCALAR)
		return scalar_side(o->scalar, which, NULL, out, code, err,
		                   errlen);

	/* a var, or nothing: propeller looks up GetVar() either way */
	var = o && o->val_case == FLYTEIDL__CORE__OPERAND__VAL_VAR && o->var
	          ? o->var
	          : "";
	out->var = var;
	l = map_get(inputs, var);
	if (!l) {
		*code = CODE_MALFORMED;
		return fail(err, errlen,
		            "Failed to find Value for Variable [%s]", var);
	}
	if (l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_SCALAR ||
	    !l->scalar) {
		*code = CODE_MALFORMED;
		return fail(
		    err, errlen,
		    "Only primitives can be compared. %s Variable is non "
		    "primitive. (variable [%s] holds %s)",
		    which, var, literal_desc(l, desc, sizeof desc));
	}
	return scalar_side(l->scalar, which, var, out, code, err, errlen);
}

static int64_t ts_seconds(const Google__Protobuf__Timestamp *t)
{
	return t ? t->seconds : 0;
}

static int64_t dur_seconds(const Google__Protobuf__Duration *d)
{
	return d ? d->seconds : 0;
}

/* propeller's per-type gt and eq (comparator.go); both p and q are of
 * the same, set kind. */
static void prim_gt_eq(const Flyteidl__Core__Primitive *p,
                       const Flyteidl__Core__Primitive *q, int *gt, int *eq)
{
	int c;

	switch (p->value_case) {
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER:
		*gt = p->integer > q->integer;
		*eq = p->integer == q->integer;
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE:
		*gt = p->float_value > q->float_value;
		*eq = p->float_value == q->float_value;
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE:
		c = strcmp(p->string_value ? p->string_value : "",
		           q->string_value ? q->string_value : "");
		*gt = c > 0;
		*eq = c == 0;
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
		*gt = 0;
		*eq = !p->boolean == !q->boolean;
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME:
		*gt = ts_seconds(p->datetime) > ts_seconds(q->datetime);
		*eq = ts_seconds(p->datetime) == ts_seconds(q->datetime);
		break;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION:
		*gt = dur_seconds(p->duration) > dur_seconds(q->duration);
		*eq = dur_seconds(p->duration) == dur_seconds(q->duration);
		break;
	default:
		*gt = *eq = 0;
		break;
	}
}

static int compare(const struct side *l, const struct side *r,
                   Flyteidl__Core__ComparisonExpression__Operator op,
                   int *result, const char **code, char *err, size_t errlen)
{
	char lv[64], rv[64];
	int gt, eq;

	if (!l->prim || !r->prim) {
		switch (op) {
		case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__EQ:
			*result = !l->prim && !r->prim;
			return 0;
		case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__NEQ:
			*result = !(!l->prim && !r->prim);
			return 0;
		default:
			*code = CODE_MALFORMED;
			return fail(
			    err, errlen,
			    "Comparison between nil and non-nil values with "
			    "operator [%s] is not supported. lVal[%s]:rVal[%s]",
			    op_name(op),
			    l->prim ? prim_value(l->prim, lv, sizeof lv)
			            : "<nil>",
			    r->prim ? prim_value(r->prim, rv, sizeof rv)
			            : "<nil>");
		}
	}
	if (l->prim->value_case != r->prim->value_case) {
		*code = CODE_MALFORMED;
		return fail(err, errlen,
		            "Comparison between different primitives types. "
		            "lVal[%s]:rVal[%s] (%s vs %s)",
		            prim_go_type(l->prim), prim_go_type(r->prim),
		            prim_value(l->prim, lv, sizeof lv),
		            prim_value(r->prim, rv, sizeof rv));
	}
	if (l->prim->value_case < FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER ||
	    l->prim->value_case > FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION) {
		/* propeller: errors.Errorf(<message as the code>) -> SYSTEM */
		*code = CODE_ILLEGAL;
		return fail(err, errlen,
		            "Comparator not defined for type: [%s]",
		            prim_go_type(l->prim));
	}
	prim_gt_eq(l->prim, r->prim, &gt, &eq);
	if (l->prim->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN &&
	    op >= FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GT &&
	    op <= FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LTE) {
		*code = CODE_MALFORMED;
		return fail(err, errlen,
		            "[%s] not defined for boolean operands.",
		            op_name(op));
	}
	switch (op) {
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GT:
		*result = gt;
		return 0;
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GTE:
		*result = eq || gt;
		return 0;
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LT:
		*result = !(gt || eq);
		return 0;
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LTE:
		*result = !gt;
		return 0;
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__EQ:
		*result = eq;
		return 0;
	case FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__NEQ:
		*result = !eq;
		return 0;
	default:
		*code = CODE_MALFORMED;
		return fail(err, errlen,
		            "Unsupported operator type in Propeller. "
		            "System error.");
	}
}

static int comparison(const Flyteidl__Core__ComparisonExpression *c,
                      const Flyteidl__Core__LiteralMap *inputs, int *result,
                      const char **code, char *err, size_t errlen)
{
	struct side l, r;

	if (operand_side(c->left_value, inputs, "LHS", &l, code, err, errlen) <
	        0 ||
	    operand_side(c->right_value, inputs, "RHS", &r, code, err, errlen) <
	        0)
		return -1;
	return compare(&l, &r, c->operator_, result, code, err, errlen);
}

static int boolean_expr(const Flyteidl__Core__BooleanExpression *e,
                        const Flyteidl__Core__LiteralMap *inputs, int depth,
                        int *result, const char **code, char *err,
                        size_t errlen)
{
	const Flyteidl__Core__ConjunctionExpression *c;
	int lv, rv;

	if (depth > LEVAL_MAX_DEPTH) {
		*code = CODE_MALFORMED;
		return fail(err, errlen, "condition nested too deeply");
	}
	if (e &&
	    e->expr_case ==
	        FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_COMPARISON &&
	    e->comparison)
		return comparison(e->comparison, inputs, result, code, err,
		                  errlen);
	if (!e ||
	    e->expr_case !=
	        FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_CONJUNCTION ||
	    !e->conjunction) {
		*code = CODE_MALFORMED;
		return fail(err, errlen, "%s", NO_EXPR);
	}
	c = e->conjunction;
	if (boolean_expr(c->left_expression, inputs, depth + 1, &lv, code, err,
	                 errlen) < 0 ||
	    boolean_expr(c->right_expression, inputs, depth + 1, &rv, code, err,
	                 errlen) < 0)
		return -1;
	if (c->operator_ ==
	    FLYTEIDL__CORE__CONJUNCTION_EXPRESSION__LOGICAL_OPERATOR__OR)
		*result = lv || rv;
	else
		*result = lv && rv;
	return 0;
}

int leval_condition(const Flyteidl__Core__BooleanExpression *e,
                    const Flyteidl__Core__LiteralMap *inputs, int *result,
                    char *err, size_t errlen)
{
	const char *code = CODE_MALFORMED;
	int r = 0;

	if (!result)
		return fail(err, errlen, "leval_condition: %s",
		            strerror(EINVAL));
	if (boolean_expr(e, inputs, 0, &r, &code, err, errlen) < 0)
		return -1;
	*result = r;
	return 0;
}

int leval_branch(const Flyteidl__Core__IfElseBlock *b,
                 const Flyteidl__Core__LiteralMap *inputs,
                 const Flyteidl__Core__Node **chosen,
                 struct leval_failure *fail_out, char *err, size_t errlen)
{
	struct leval_failure f = {CODE_MALFORMED, 1, NULL};
	const char *code = CODE_MALFORMED;
	char msg[1024];
	size_t i, nblocks;
	int r;

	if (!chosen)
		return fail(err, errlen, "leval_branch: %s", strerror(EINVAL));
	*chosen = NULL;
	msg[0] = '\0';
	nblocks = b ? 1 + b->n_other : 0;
	for (i = 0; i < nblocks; i++) {
		const Flyteidl__Core__IfBlock *blk =
		    i ? b->other[i - 1] : b->case_;

		if (!blk && i == 0)
			break; /* an empty if block: as an empty condition */
		if (!blk)
			continue;
		if (boolean_expr(blk->condition, inputs, 0, &r, &code, msg,
		                 sizeof msg) < 0) {
			f.code = code;
			goto failed;
		}
		if (r && blk->then_node) {
			*chosen = blk->then_node;
			return 0;
		}
	}
	if (!b || !b->case_) {
		snprintf(msg, sizeof msg, "%s", NO_EXPR);
		goto failed;
	}
	if (b->default_case ==
	        FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE &&
	    b->else_node) {
		*chosen = b->else_node;
		return 0;
	}
	if (b->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR &&
	    b->error) {
		f.code = CODE_USER;
		f.error = b->error;
		snprintf(msg, sizeof msg, "%s",
		         b->error->message ? b->error->message : "");
		goto failed;
	}
	snprintf(msg, sizeof msg, "No branch satisfied");
failed:
	f.user = f.code != CODE_ILLEGAL;
	if (f.user)
		fail(err, errlen, "[%s] %s", f.code, msg);
	else
		fail(err, errlen, "Branch evaluation failed. Error [[%s] %s]",
		     f.code, msg);
	if (fail_out)
		*fail_out = f;
	return -1;
}

/* ---- the DAG ----------------------------------------------------------- */

/* A growing list of node indexes (arena-allocated; duplicates skipped). */
struct idx_list {
	size_t *v, n, cap;
};

static int idx_add(ProtobufCAllocator *a, struct idx_list *l, size_t x)
{
	size_t i, *grown;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == x)
			return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 4;

		if (!(grown = zalloc(a, ncap * sizeof *grown)))
			return -1;
		if (l->n)
			memcpy(grown, l->v, l->n * sizeof *grown);
		if (l->v)
			a->free(a->allocator_data, l->v);
		l->v = grown;
		l->cap = ncap;
	}
	l->v[l->n++] = x;
	return 0;
}

struct gbuild {
	ProtobufCAllocator *a;
	struct leval_graph *g;
	struct idx_list *up; /* per node */
	char *err;
	size_t errlen;
};

struct id_ix {
	const char *id;
	size_t ix;
};

static int by_id(const void *x, const void *y)
{
	const struct id_ix *i = x, *j = y;

	return strcmp(i->id, j->id);
}

size_t leval_graph_find(const struct leval_graph *g, const char *id)
{
	size_t lo = 0, hi;

	if (!g || !id)
		return LEVAL_NONE;
	hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(g->nodes[g->sorted[mid]].id, id);

		if (c == 0)
			return g->sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return LEVAL_NONE;
}

/* Make the node named up_id upstream of node i. */
static int add_up(struct gbuild *b, size_t i, const char *up_id,
                  const char *why)
{
	size_t u = leval_graph_find(b->g, up_id);

	if (u == LEVAL_NONE)
		return fail(b->err, b->errlen,
		            "Upstream node [%s] of node [%s] not defined (%s)",
		            up_id, b->g->nodes[i].id, why);
	if (u == i)
		return 0;
	if (idx_add(b->a, &b->up[i], u) < 0)
		return fail(b->err, b->errlen, "out of memory");
	return 0;
}

static int add_promises(struct gbuild *b, size_t i,
                        const Flyteidl__Core__BindingData *bd, int depth)
{
	size_t k;

	if (!bd)
		return 0;
	if (depth > LEVAL_MAX_DEPTH)
		return fail(b->err, b->errlen,
		            "node [%s]: bindings nested too "
		            "deeply",
		            b->g->nodes[i].id);
	switch (bd->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE:
		if (bd->promise && bd->promise->node_id &&
		    *bd->promise->node_id)
			return add_up(b, i, bd->promise->node_id,
			              "input binding");
		return 0;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION:
		for (k = 0; bd->collection && k < bd->collection->n_bindings;
		     k++)
			if (add_promises(b, i, bd->collection->bindings[k],
			                 depth + 1) < 0)
				return -1;
		return 0;
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP:
		for (k = 0; bd->map && k < bd->map->n_bindings; k++)
			if (add_promises(b, i, bd->map->bindings[k]->value,
			                 depth + 1) < 0)
				return -1;
		return 0;
	default:
		return 0;
	}
}

static int add_bindings(struct gbuild *b, size_t i,
                        Flyteidl__Core__Binding *const *bs, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (bs[k] && add_promises(b, i, bs[k]->binding, 0) < 0)
			return -1;
	return 0;
}

/* A node's own bindings and, for a branch node, those of its cases. */
static int add_node_deps(struct gbuild *b, size_t i,
                         const Flyteidl__Core__Node *n, int depth)
{
	const Flyteidl__Core__IfElseBlock *ie;
	size_t k;

	if (!n)
		return 0;
	if (depth > LEVAL_MAX_DEPTH)
		return fail(b->err, b->errlen,
		            "node [%s]: branches nested too "
		            "deeply",
		            b->g->nodes[i].id);
	if (add_bindings(b, i, n->inputs, n->n_inputs) < 0)
		return -1;
	if (n->target_case != FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE ||
	    !n->branch_node || !(ie = n->branch_node->if_else))
		return 0;
	if (ie->case_ &&
	    add_node_deps(b, i, ie->case_->then_node, depth + 1) < 0)
		return -1;
	for (k = 0; k < ie->n_other; k++)
		if (ie->other[k] &&
		    add_node_deps(b, i, ie->other[k]->then_node, depth + 1) < 0)
			return -1;
	if (ie->default_case ==
	        FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE &&
	    add_node_deps(b, i, ie->else_node, depth + 1) < 0)
		return -1;
	return 0;
}

/* Kahn's algorithm over the upstream lists: fail naming a node on a
 * cycle. */
static int check_acyclic(ProtobufCAllocator *a, const struct leval_graph *g,
                         char *err, size_t errlen)
{
	size_t *pending, *queue, head = 0, tail = 0, i, k, seen = 0;

	pending = zalloc(a, g->n * sizeof *pending);
	queue = zalloc(a, g->n * sizeof *queue);
	if (!pending || !queue)
		return fail(err, errlen, "out of memory");
	for (i = 0; i < g->n; i++) {
		pending[i] = g->nodes[i].nup;
		if (!pending[i])
			queue[tail++] = i;
	}
	while (head < tail) {
		const struct leval_graph_node *gn = &g->nodes[queue[head++]];

		seen++;
		for (k = 0; k < gn->ndown; k++)
			if (--pending[gn->down[k]] == 0)
				queue[tail++] = gn->down[k];
	}
	if (seen == g->n)
		return 0;
	for (i = 0; i < g->n; i++)
		if (pending[i])
			return fail(err, errlen,
			            "cycle detected in workflow "
			            "involving node [%s]",
			            g->nodes[i].id);
	return fail(err, errlen, "cycle detected in workflow");
}

int leval_graph_new(ProtobufCAllocator *a,
                    const Flyteidl__Core__CompiledWorkflow *wf,
                    struct leval_graph **out, char *err, size_t errlen)
{
	const Flyteidl__Core__WorkflowTemplate *t = wf ? wf->template_ : NULL;
	const Flyteidl__Core__ConnectionSet *cs = wf ? wf->connections : NULL;
	struct leval_graph *g;
	struct id_ix *pairs;
	struct gbuild b;
	size_t i, k, n;

	if (!a || !out)
		return fail(err, errlen, "leval_graph_new: %s",
		            strerror(EINVAL));
	if (!t)
		return fail(err, errlen, "workflow has no template");
	if (!(g = zalloc(a, sizeof *g)))
		return fail(err, errlen, "out of memory");
	g->wf = wf;
	g->start = g->end = LEVAL_NONE;

	/* the template's nodes, then start-node and end-node if absent */
	n = t->n_nodes;
	g->nodes = zalloc(a, (n + 2) * sizeof *g->nodes);
	g->sorted = zalloc(a, (n + 2) * sizeof *g->sorted);
	if (!g->nodes || !g->sorted)
		return fail(err, errlen, "out of memory");
	for (i = 0; i < n; i++) {
		const Flyteidl__Core__Node *nd = t->nodes[i];

		if (!nd || !nd->id || !*nd->id)
			return fail(err, errlen,
			            "node #%zu of the workflow has "
			            "no id",
			            i);
		g->nodes[g->n].id = nd->id;
		g->nodes[g->n].node = nd;
		if (strcmp(nd->id, LEVAL_START_NODE) == 0)
			g->start = g->n;
		else if (strcmp(nd->id, LEVAL_END_NODE) == 0)
			g->end = g->n;
		g->n++;
	}
	if (g->start == LEVAL_NONE) {
		g->start = g->n;
		g->nodes[g->n++].id = LEVAL_START_NODE;
	}
	if (g->end == LEVAL_NONE) {
		g->end = g->n;
		g->nodes[g->n++].id = LEVAL_END_NODE;
	}
	if (!(pairs = zalloc(a, g->n * sizeof *pairs)))
		return fail(err, errlen, "out of memory");
	for (i = 0; i < g->n; i++) {
		pairs[i].id = g->nodes[i].id;
		pairs[i].ix = i;
	}
	qsort(pairs, g->n, sizeof *pairs, by_id);
	for (i = 0; i < g->n; i++)
		g->sorted[i] = pairs[i].ix;
	a->free(a->allocator_data, pairs);
	for (i = 1; i < g->n; i++)
		if (strcmp(g->nodes[g->sorted[i]].id,
		           g->nodes[g->sorted[i - 1]].id) == 0)
			return fail(err, errlen,
			            "node id [%s] appears twice in "
			            "the workflow",
			            g->nodes[g->sorted[i]].id);

	b.a = a;
	b.g = g;
	b.err = err;
	b.errlen = errlen;
	if (!(b.up = zalloc(a, g->n * sizeof *b.up)))
		return fail(err, errlen, "out of memory");

	/* compiled connections: entries of non-top-level ids are skipped */
	for (k = 0; cs && k < cs->n_upstream; k++) {
		const Flyteidl__Core__ConnectionSet__UpstreamEntry *e =
		    cs->upstream[k];
		size_t j;

		if (!e || !e->key || !e->value ||
		    (i = leval_graph_find(g, e->key)) == LEVAL_NONE)
			continue;
		for (j = 0; j < e->value->n_ids; j++)
			if (e->value->ids[j] && *e->value->ids[j] &&
			    add_up(&b, i, e->value->ids[j], "connections") < 0)
				return -1;
	}
	for (i = 0; i < g->n; i++) {
		const Flyteidl__Core__Node *nd = g->nodes[i].node;

		if (i == g->start)
			continue;
		if (i == g->end) {
			if (add_bindings(&b, i, t->outputs, t->n_outputs) < 0)
				return -1;
		}
		if (!nd)
			continue;
		for (k = 0; k < nd->n_upstream_node_ids; k++)
			if (nd->upstream_node_ids[k] &&
			    *nd->upstream_node_ids[k] &&
			    add_up(&b, i, nd->upstream_node_ids[k],
			           "upstream_node_ids") < 0)
				return -1;
		if (add_node_deps(&b, i, nd, 0) < 0)
			return -1;
	}
	/* start-node takes no inputs */
	b.up[g->start].n = 0;

	/* as the compiler: orphans hang from start-node, leaves feed
	 * end-node */
	for (i = 0; i < g->n; i++) {
		if (i == g->start || i == g->end || b.up[i].n)
			continue;
		if (idx_add(a, &b.up[i], g->start) < 0)
			return fail(err, errlen, "out of memory");
	}
	{
		char *has_down = zalloc(a, g->n);

		if (!has_down)
			return fail(err, errlen, "out of memory");
		for (i = 0; i < g->n; i++)
			for (k = 0; k < b.up[i].n; k++)
				has_down[b.up[i].v[k]] = 1;
		for (i = 0; i < g->n; i++) {
			if (i == g->start || i == g->end || has_down[i])
				continue;
			if (idx_add(a, &b.up[g->end], i) < 0)
				return fail(err, errlen, "out of memory");
		}
		if (!b.up[g->end].n && idx_add(a, &b.up[g->end], g->start) < 0)
			return fail(err, errlen, "out of memory");
	}

	/* downstream lists: the inverse */
	for (i = 0; i < g->n; i++) {
		g->nodes[i].up = b.up[i].v;
		g->nodes[i].nup = b.up[i].n;
		for (k = 0; k < b.up[i].n; k++)
			g->nodes[b.up[i].v[k]].ndown++;
	}
	for (i = 0; i < g->n; i++) {
		if (g->nodes[i].ndown &&
		    !(g->nodes[i].down =
		          zalloc(a, g->nodes[i].ndown * sizeof(size_t))))
			return fail(err, errlen, "out of memory");
		g->nodes[i].ndown = 0;
	}
	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->nodes[i].nup; k++) {
			struct leval_graph_node *u =
			    &g->nodes[g->nodes[i].up[k]];

			u->down[u->ndown++] = i;
		}
	if (check_acyclic(a, g, err, errlen) < 0)
		return -1;
	*out = g;
	return 0;
}

enum leval_readiness leval_graph_ready(const struct leval_graph *g,
                                       const int *state, size_t idx)
{
	const struct leval_graph_node *gn;
	int skipped = 0;
	size_t k;

	if (!g || !state || idx >= g->n)
		return LEVAL_NOT_READY;
	if (idx == g->start)
		return LEVAL_READY;
	gn = &g->nodes[idx];
	for (k = 0; k < gn->nup; k++) {
		switch (state[gn->up[k]]) {
		case LEVAL_SKIPPED:
		case LEVAL_FAILED:
			skipped = 1;
			break;
		case LEVAL_SUCCEEDED:
			break;
		default:
			return LEVAL_NOT_READY;
		}
	}
	return skipped ? LEVAL_SKIP : LEVAL_READY;
}
