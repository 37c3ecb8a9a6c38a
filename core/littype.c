/*
 * littype.c -- Flyte type checking: castability, instances, type text.
 *
 * Castability is flytepropeller's: the downstream type picks a checker
 * (collection, map, blob, schema, union, structured dataset, none, or the
 * exact-match "trivial" one) and that checker is asked about the upstream
 * type.  At the top, and for union variants, a one-variant upstream union
 * is first tried as its variant (AreTypesCastable); nested checks call the
 * checker directly, without that unwrapping.
 *
 * Instances: Flyte infers one type for the whole value and checks that.
 * Here collections and maps are walked element by element against the
 * expected element type so the reason can name the element at fault;
 * scalars get exactly the type Flyte would infer, built on the stack.  The
 * verdicts are Flyte's for homogeneous values (which clients send); a
 * heterogeneous list, where Flyte would infer a union element type and
 * usually refuse, is judged element by element.
 *
 * Reasons are written only on the path that finally fails: alternatives
 * (union variants, the one-variant unwrap) are tried silently.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "littype.h"

typedef Flyteidl__Core__LiteralType lt_type;
typedef Flyteidl__Core__Literal lt_lit;
typedef Google__Protobuf__Struct lt_struct;
typedef Google__Protobuf__Value lt_value;

#define LT_SIMPLE FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE
#define LT_SCHEMA FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA
#define LT_COLLECTION FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE
#define LT_MAP FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE
#define LT_BLOB FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB
#define LT_ENUM FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE
#define LT_SD FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE
#define LT_UNION FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE
#define LT_COL_(x) \
	FLYTEIDL__CORE__SCHEMA_TYPE__SCHEMA_COLUMN__SCHEMA_COLUMN_TYPE__##x

/* Longest user string (tag, format, column, key) echoed in a reason. */
#define LT_ECHO "64"
/* "$ref" hops followed before giving up (a cycle of references). */
#define LT_MAX_REF_HOPS 8

/* ---- output: reasons and type text ---------------------------------- */

/* A snprintf-like sink: writes what fits, counts what was wanted.  A NULL
 * sink (silent checks) ignores everything. */
struct lt_out {
	char *buf; /* NULL: count only */
	size_t len;
	size_t pos; /* bytes wanted so far */
	int clip;   /* a reason: stop describing once the buffer is full */
};

static void lt_out_init(struct lt_out *o, char *buf, size_t len, int clip)
{
	o->buf = len ? buf : NULL;
	o->len = o->buf ? len : 0;
	o->pos = 0;
	o->clip = clip;
	if (o->buf)
		o->buf[0] = '\0';
}

/* Nothing more of a reason would be kept: don't walk types to print. */
static int lt_clipped(const struct lt_out *o)
{
	return !o || (o->clip && (!o->buf || o->pos + 1 >= o->len));
}

static void lt_reset(struct lt_out *o)
{
	if (!o)
		return;
	o->pos = 0;
	if (o->buf)
		o->buf[0] = '\0';
}

static void lt_put(struct lt_out *o, const char *s, size_t n)
{
	if (!o)
		return;
	if (o->buf && o->pos + 1 < o->len) {
		size_t room = o->len - 1 - o->pos;
		size_t k = n < room ? n : room;

		memcpy(o->buf + o->pos, s, k);
		o->buf[o->pos + k] = '\0';
	}
	o->pos += n;
}

static void lt_puts(struct lt_out *o, const char *s)
{
	lt_put(o, s, strlen(s));
}

static void lt_vprintf(struct lt_out *o, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void lt_vprintf(struct lt_out *o, const char *fmt, va_list ap)
{
	int n;

	if (!o)
		return;
	if (o->buf && o->pos + 1 < o->len)
		n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	if (n > 0)
		o->pos += (size_t)n;
}

static void lt_printf(struct lt_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void lt_printf(struct lt_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lt_vprintf(o, fmt, ap);
	va_end(ap);
}

/* Replace the reason; always 0 so checkers can `return lt_fail(...)`. */
static int lt_fail(struct lt_out *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int lt_fail(struct lt_out *w, const char *fmt, ...)
{
	va_list ap;

	lt_reset(w);
	va_start(ap, fmt);
	lt_vprintf(w, fmt, ap);
	va_end(ap);
	return 0;
}

/* Put a path segment ("element 3: ") in front of the reason, dropping
 * the reason's tail if the buffer is full. */
static void lt_prefix(struct lt_out *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void lt_prefix(struct lt_out *w, const char *fmt, ...)
{
	char pre[160];
	size_t pn, keep;
	va_list ap;
	int n;

	if (!w || !w->buf)
		return;
	va_start(ap, fmt);
	n = vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	pn = (size_t)n < sizeof(pre) ? (size_t)n : sizeof(pre) - 1;
	if (pn > w->len - 1)
		pn = w->len - 1;
	keep = strlen(w->buf);
	if (keep > w->len - 1 - pn)
		keep = w->len - 1 - pn;
	memmove(w->buf + pn, w->buf, keep);
	memcpy(w->buf, pre, pn);
	w->buf[pn + keep] = '\0';
	w->pos = pn + keep;
}

static int lt_empty(const struct lt_out *w)
{
	return w && w->buf && w->buf[0] == '\0';
}

/* ---- small helpers ---------------------------------------------------- */

/* Depth and step accounting for one public call.  Once either limit is
 * hit every further step fails at once, and the public entry point
 * reports the limit instead of whatever reason was being built. */
struct lt_ctx {
	long steps;
	int deep;
	int costly;
};

static int lt_enter(struct lt_ctx *cx, int depth)
{
	if (cx->deep || cx->costly)
		return -1;
	if (depth >= LITTYPE_MAX_DEPTH) {
		cx->deep = 1;
		return -1;
	}
	if (++cx->steps > LITTYPE_MAX_STEPS) {
		cx->costly = 1;
		return -1;
	}
	return 0;
}

/* Charge n steps for a linear scan (a lookup by name); -1 once over
 * budget.  Lookups inside loops would otherwise let a hostile message
 * with many columns or fields cost n * m. */
static int lt_charge(struct lt_ctx *cx, size_t n)
{
	if (cx->deep || cx->costly)
		return -1;
	if (n > (size_t)LITTYPE_MAX_STEPS ||
	    (cx->steps += (long)n) > LITTYPE_MAX_STEPS) {
		cx->costly = 1;
		return -1;
	}
	return 0;
}

static const char *lt_str(const char *s)
{
	return s ? s : "";
}

static int lt_is_simple(const lt_type *t, Flyteidl__Core__SimpleType s)
{
	return t && t->type_case == LT_SIMPLE && t->simple == s;
}

static int lt_is_none(const lt_type *t)
{
	return lt_is_simple(t, FLYTEIDL__CORE__SIMPLE_TYPE__NONE);
}

static const char *lt_tag(const lt_type *t)
{
	return t && t->structure ? lt_str(t->structure->tag) : "";
}

/* strings.EqualFold for the ASCII names formats are. */
static int lt_eqfold(const char *a, const char *b)
{
	for (;; a++, b++) {
		char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;

		if (ca != cb)
			return 0;
		if (ca == '\0')
			return 1;
	}
}

/* ---- type text --------------------------------------------------------- */

static const char *lt_simple_name(Flyteidl__Core__SimpleType s)
{
	switch (s) {
	case FLYTEIDL__CORE__SIMPLE_TYPE__NONE: return "none";
	case FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER: return "integer";
	case FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT: return "float";
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRING: return "string";
	case FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN: return "boolean";
	case FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME: return "datetime";
	case FLYTEIDL__CORE__SIMPLE_TYPE__DURATION: return "duration";
	case FLYTEIDL__CORE__SIMPLE_TYPE__BINARY: return "binary";
	case FLYTEIDL__CORE__SIMPLE_TYPE__ERROR: return "error";
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT: return "struct";
	default: return NULL;
	}
}

static const char *
lt_column_name(Flyteidl__Core__SchemaType__SchemaColumn__SchemaColumnType c)
{
	switch (c) {
	case LT_COL_(INTEGER): return "integer";
	case LT_COL_(FLOAT): return "float";
	case LT_COL_(STRING): return "string";
	case LT_COL_(BOOLEAN): return "boolean";
	case LT_COL_(DATETIME): return "datetime";
	case LT_COL_(DURATION): return "duration";
	default: return "unknown";
	}
}

/* Structure tags are left out: they matter to the checker, and a reason
 * about one names it, but they would clutter every Optional[...]. */
static void lt_desc(struct lt_out *o, const lt_type *t, int depth)
{
	const char *s;

	if (lt_clipped(o))
		return;
	if (!t) {
		lt_puts(o, "missing type");
		return;
	}
	if (depth >= LITTYPE_MAX_DEPTH) {
		lt_puts(o, "...");
		return;
	}
	switch (t->type_case) {
	case LT_SIMPLE:
		if ((s = lt_simple_name(t->simple)))
			lt_puts(o, s);
		else
			lt_printf(o, "simple(%d)", (int)t->simple);
		break;
	case LT_SCHEMA:
		lt_puts(o, "schema");
		break;
	case LT_COLLECTION:
		lt_puts(o, "collection<");
		lt_desc(o, t->collection_type, depth + 1);
		lt_puts(o, ">");
		break;
	case LT_MAP:
		lt_puts(o, "map<string, ");
		lt_desc(o, t->map_value_type, depth + 1);
		lt_puts(o, ">");
		break;
	case LT_BLOB:
		lt_puts(o, "blob(");
		if (t->blob && t->blob->format && t->blob->format[0]) {
			lt_puts(o, t->blob->format);
			lt_puts(o, ", ");
		}
		lt_puts(o, t->blob && t->blob->dimensionality ==
		                   FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__MULTIPART
		               ? "multipart)"
		               : "single)");
		break;
	case LT_ENUM:
		lt_puts(o, "enum{");
		for (size_t i = 0; t->enum_type && i < t->enum_type->n_values; i++) {
			if (i)
				lt_puts(o, ", ");
			lt_puts(o, lt_str(t->enum_type->values[i]));
		}
		lt_puts(o, "}");
		break;
	case LT_SD:
		lt_puts(o, "structured_dataset");
		if (t->structured_dataset_type &&
		    t->structured_dataset_type->format &&
		    t->structured_dataset_type->format[0]) {
			lt_puts(o, "(");
			lt_puts(o, t->structured_dataset_type->format);
			lt_puts(o, ")");
		}
		break;
	case LT_UNION:
		lt_puts(o, "union{");
		for (size_t i = 0; t->union_type && i < t->union_type->n_variants;
		     i++) {
			if (i)
				lt_puts(o, " | ");
			lt_desc(o, t->union_type->variants[i], depth + 1);
		}
		lt_puts(o, "}");
		break;
	default:
		lt_puts(o, "untyped");
		break;
	}
}

/* "expected <want>, got <got>"; always 0. */
static int lt_mismatch(struct lt_out *w, const lt_type *want,
                       const lt_type *got)
{
	lt_reset(w);
	lt_puts(w, "expected ");
	lt_desc(w, want, 0);
	lt_puts(w, ", got ");
	lt_desc(w, got, 0);
	return 0;
}

/* ---- dataclass (STRUCT) JSON schemas ------------------------------------ */

static const Google__Protobuf__Struct__FieldsEntry *
lt_js_entry(const lt_struct *s, const char *key, struct lt_ctx *cx)
{
	if (s && lt_charge(cx, s->n_fields) < 0)
		return NULL;
	/* The last duplicate wins, as when Go decodes the map. */
	for (size_t i = s ? s->n_fields : 0; i-- > 0;) {
		if (s->fields[i] && strcmp(lt_str(s->fields[i]->key), key) == 0)
			return s->fields[i];
	}
	return NULL;
}

static const lt_value *lt_js_get(const lt_struct *s, const char *key,
                                 struct lt_ctx *cx)
{
	const Google__Protobuf__Struct__FieldsEntry *e = lt_js_entry(s, key, cx);

	return e ? e->value : NULL;
}

static const lt_struct *lt_js_obj(const lt_value *v)
{
	return v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE
	           ? v->struct_value
	           : NULL;
}

static const Google__Protobuf__ListValue *lt_js_list(const lt_value *v)
{
	return v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE
	           ? v->list_value
	           : NULL;
}

static int lt_js_struct_eq(const lt_struct *a, const lt_struct *b, int depth,
                           struct lt_ctx *cx);

static int lt_js_val_eq(const lt_value *a, const lt_value *b, int depth,
                        struct lt_ctx *cx)
{
	const Google__Protobuf__ListValue *la, *lb;

	if (lt_enter(cx, depth) < 0)
		return 0;
	if (!a || !b)
		return a == b;
	if (a->kind_case != b->kind_case)
		return 0;
	switch (a->kind_case) {
	case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
		return a->number_value == b->number_value;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
		return strcmp(lt_str(a->string_value), lt_str(b->string_value)) == 0;
	case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
		return !a->bool_value == !b->bool_value;
	case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
		return lt_js_struct_eq(a->struct_value, b->struct_value, depth + 1,
		                       cx);
	case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
		la = a->list_value;
		lb = b->list_value;
		if ((la ? la->n_values : 0) != (lb ? lb->n_values : 0))
			return 0;
		for (size_t i = 0; la && i < la->n_values; i++) {
			if (!lt_js_val_eq(la->values[i], lb->values[i], depth + 1, cx))
				return 0;
		}
		return 1;
	default: /* null, or unset */
		return 1;
	}
}

/* Same JSON document, key order aside (Flyte diffs the two as JSON). */
static int lt_js_struct_eq(const lt_struct *a, const lt_struct *b, int depth,
                           struct lt_ctx *cx)
{
	if (lt_enter(cx, depth) < 0)
		return 0;
	if ((a ? a->n_fields : 0) != (b ? b->n_fields : 0))
		return 0;
	for (size_t i = 0; a && i < a->n_fields; i++) {
		const Google__Protobuf__Struct__FieldsEntry *e;

		if (!a->fields[i])
			continue;
		e = lt_js_entry(b, lt_str(a->fields[i]->key), cx);
		if (!e || !lt_js_val_eq(a->fields[i]->value, e->value, depth, cx))
			return 0;
	}
	return 1;
}

/* Follow a local "$ref" ("#/$defs/X", "#/definitions/X") to its schema;
 * mashumaro and pydantic put nested dataclasses there. */
static const lt_struct *lt_js_deref(const lt_struct *root,
                                    const lt_struct *node, struct lt_ctx *cx)
{
	for (int hops = 0; node && hops < LT_MAX_REF_HOPS; hops++) {
		const lt_value *ref = lt_js_get(node, "$ref", cx);
		const lt_struct *defs, *next;
		const char *s;

		if (!ref || ref->kind_case != GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE)
			break;
		s = lt_str(ref->string_value);
		if (strncmp(s, "#/$defs/", 8) == 0) {
			defs = lt_js_obj(lt_js_get(root, "$defs", cx));
			s += 8;
		} else if (strncmp(s, "#/definitions/", 14) == 0) {
			defs = lt_js_obj(lt_js_get(root, "definitions", cx));
			s += 14;
		} else {
			break;
		}
		if (!(next = lt_js_obj(lt_js_get(defs, s, cx))))
			break;
		node = next;
	}
	return node;
}

/* Keywords that do not constrain the value's shape.  additionalProperties
 * is skipped because Flyte's comparator does not implement it and Flyte
 * ignores its "not implemented" complaints. */
static int lt_js_ignored(const char *key)
{
	static const char *const keys[] = {
	    "title",   "description",          "default", "examples", "$defs",
	    "$schema", "definitions",          "$id",     "$comment",
	    "additionalProperties",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i]) == 0)
			return 1;
	}
	return 0;
}

static int lt_js_compat(const lt_struct *sroot, const lt_struct *src,
                        const lt_struct *troot, const lt_struct *tgt,
                        int depth, struct lt_ctx *cx, struct lt_out *w);

/* One keyword's value: objects are compared as schemas, lists item by
 * item, anything else must be equal.  0 with an empty reason for plain
 * inequality, so the caller can name the keyword. */
static int lt_js_sub(const lt_struct *sroot, const lt_value *sv,
                     const lt_struct *troot, const lt_value *tv, int depth,
                     struct lt_ctx *cx, struct lt_out *w)
{
	const Google__Protobuf__ListValue *sl = lt_js_list(sv), *tl = lt_js_list(tv);

	if (lt_js_obj(sv) && lt_js_obj(tv))
		return lt_js_compat(sroot, lt_js_obj(sv), troot, lt_js_obj(tv),
		                    depth + 1, cx, w);
	if (sl && tl) {
		if (sl->n_values != tl->n_values) {
			lt_reset(w);
			return 0;
		}
		for (size_t i = 0; i < tl->n_values; i++) {
			if (!lt_js_sub(sroot, sl->values[i], troot, tl->values[i],
			               depth + 1, cx, w))
				return 0;
		}
		return 1;
	}
	if (lt_js_val_eq(sv, tv, depth + 1, cx))
		return 1;
	lt_reset(w);
	return 0;
}

/* Every property the downstream schema declares must exist upstream with
 * a compatible schema; upstream may have more (a subclass). */
static int lt_js_props(const lt_struct *sroot, const lt_struct *sprops,
                       const lt_struct *troot, const lt_value *tv, int depth,
                       struct lt_ctx *cx, struct lt_out *w)
{
	const lt_struct *tprops = lt_js_obj(tv);

	for (size_t i = 0; tprops && i < tprops->n_fields; i++) {
		const Google__Protobuf__Struct__FieldsEntry *p = tprops->fields[i], *s;
		const char *name;

		if (!p)
			continue;
		name = lt_str(p->key);
		if (!(s = lt_js_entry(sprops, name, cx)))
			return lt_fail(w, "property \"%." LT_ECHO "s\" missing upstream",
			               name);
		if (!lt_js_sub(sroot, s->value, troot, p->value, depth + 1, cx, w)) {
			if (lt_empty(w))
				lt_printf(w, "differs");
			lt_prefix(w, "property \"%." LT_ECHO "s\": ", name);
			return 0;
		}
	}
	return 1;
}

/* What downstream requires, upstream must always provide. */
static int lt_js_required(const Google__Protobuf__ListValue *have,
                          const lt_value *tv, struct lt_ctx *cx,
                          struct lt_out *w)
{
	const Google__Protobuf__ListValue *want = lt_js_list(tv);

	for (size_t i = 0; want && i < want->n_values; i++) {
		const lt_value *v = want->values[i];
		size_t j;

		if (!v || v->kind_case != GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE)
			continue;
		if (have && lt_charge(cx, have->n_values) < 0)
			return 0;
		for (j = 0; have && j < have->n_values; j++) {
			const lt_value *h = have->values[j];

			if (h && h->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE &&
			    strcmp(lt_str(h->string_value), lt_str(v->string_value)) == 0)
				break;
		}
		if (!have || j == have->n_values)
			return lt_fail(w,
			               "field \"%." LT_ECHO "s\" is required downstream "
			               "but not upstream",
			               lt_str(v->string_value));
	}
	return 1;
}

/*
 * Flyte accepts an upstream dataclass whose schema is a "supertype" of the
 * downstream one by running a JSON-schema comparator (json-schema-compare)
 * over the two.  This is a structural approximation of it, enough for what
 * flytekit emits: downstream's properties must all exist upstream with
 * compatible schemas and its required fields must be required upstream;
 * other constraining keywords must be equal.  So a subclass binds to its
 * base class, not the other way round, and unrelated dataclasses do not
 * bind (which is what lets Union[A, B] pick a variant).
 */
static int lt_js_compat(const lt_struct *sroot, const lt_struct *src,
                        const lt_struct *troot, const lt_struct *tgt,
                        int depth, struct lt_ctx *cx, struct lt_out *w)
{
	if (lt_enter(cx, depth) < 0)
		return 0;
	src = lt_js_deref(sroot, src, cx);
	tgt = lt_js_deref(troot, tgt, cx);
	for (size_t i = 0; tgt && i < tgt->n_fields; i++) {
		const Google__Protobuf__Struct__FieldsEntry *e = tgt->fields[i];
		const lt_value *sv;
		const char *key;

		if (!e)
			continue;
		key = lt_str(e->key);
		if (lt_js_ignored(key))
			continue;
		sv = lt_js_get(src, key, cx);
		if (strcmp(key, "properties") == 0) {
			if (!lt_js_props(sroot, lt_js_obj(sv), troot, e->value, depth,
			                 cx, w))
				return 0;
		} else if (strcmp(key, "required") == 0) {
			if (!lt_js_required(lt_js_list(sv), e->value, cx, w))
				return 0;
		} else if (!lt_js_sub(sroot, sv, troot, e->value, depth, cx, w)) {
			if (lt_empty(w))
				lt_printf(w, "\"%." LT_ECHO "s\" differs", key);
			else
				lt_prefix(w, "\"%." LT_ECHO "s\": ", key);
			return 0;
		}
	}
	return 1;
}

/* ---- castability: the checkers ---------------------------------------- */

static int lt_casts(const lt_type *from, const lt_type *to, int depth,
                    struct lt_ctx *cx, struct lt_out *w);

/* AreTypesCastable: a one-variant upstream union is first tried as its
 * variant. */
static int lt_are(const lt_type *from, const lt_type *to, int depth,
                  struct lt_ctx *cx, struct lt_out *w)
{
	if (from && from->type_case == LT_UNION && from->union_type &&
	    from->union_type->n_variants == 1 &&
	    lt_casts(from->union_type->variants[0], to, depth, cx, NULL))
		return 1;
	return lt_casts(from, to, depth, cx, w);
}

/* Both STRUCT, tags already agreed: compare the dataclass JSON schemas
 * kept in metadata (which is otherwise never looked at). */
static int lt_cast_struct(const lt_type *from, const lt_type *to, int depth,
                          struct lt_ctx *cx, struct lt_out *w)
{
	const lt_struct *up = from->metadata, *down = to->metadata;

	/* Older flytekit emitted dataclasses without a schema; Flyte lets a
	 * missing schema on either side through so reference tasks keep
	 * working.  Kept. */
	if (!up || !down)
		return 1;
	if (lt_js_struct_eq(up, down, depth + 1, cx))
		return 1;
	if (lt_js_compat(up, up, down, down, depth + 1, cx, w))
		return 1;
	lt_prefix(w, "dataclass schema: ");
	return 0;
}

static int lt_enum_eq(const Flyteidl__Core__EnumType *a,
                      const Flyteidl__Core__EnumType *b, struct lt_ctx *cx)
{
	size_t n = a ? a->n_values : 0;

	if (n != (b ? b->n_values : 0) || lt_charge(cx, n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(lt_str(a->values[i]), lt_str(b->values[i])) != 0)
			return 0;
	}
	return 1;
}

/* Simple types, enums and unset types: exact match, with metadata,
 * annotation and structure ignored. */
static int lt_cast_trivial(const lt_type *from, const lt_type *to, int depth,
                           struct lt_ctx *cx, struct lt_out *w)
{
	const char *utag = lt_tag(from), *dtag = lt_tag(to);

	/* An enum is a constrained string: enum -> string and string -> enum
	 * both bind, whatever the values and before tags are looked at.  Two
	 * enums, on the other hand, must list the same values in the same
	 * order (no subset rule): Flyte compares them as protobuf text. */
	if (from->type_case == LT_ENUM &&
	    lt_is_simple(to, FLYTEIDL__CORE__SIMPLE_TYPE__STRING))
		return 1;
	if (to->type_case == LT_ENUM &&
	    lt_is_simple(from, FLYTEIDL__CORE__SIMPLE_TYPE__STRING))
		return 1;
	/* Only an upstream tag binds: an untagged upstream fits any tag. */
	if (utag[0] && !dtag[0])
		return lt_fail(w,
		               "structure tag \"%." LT_ECHO "s\" does not match an "
		               "untagged type",
		               utag);
	if (utag[0] && strcmp(utag, dtag) != 0)
		return lt_fail(w,
		               "structure tag \"%." LT_ECHO "s\" does not match "
		               "\"%." LT_ECHO "s\"",
		               utag, dtag);
	if (lt_is_simple(from, FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT) &&
	    lt_is_simple(to, FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT))
		return lt_cast_struct(from, to, depth, cx, w);
	if (from->type_case == to->type_case) {
		switch (to->type_case) {
		case LT_SIMPLE:
			if (from->simple == to->simple)
				return 1;
			break;
		case LT_ENUM:
			if (lt_enum_eq(from->enum_type, to->enum_type, cx))
				return 1;
			break;
		case FLYTEIDL__CORE__LITERAL_TYPE__TYPE__NOT_SET:
			return 1;
		default:
			break;
		}
	}
	return lt_mismatch(w, to, from);
}

/* Nested element types use the downstream checker directly: no
 * one-variant union unwrapping below the top (Flyte's behaviour). */
static int lt_cast_collection(const lt_type *from, const lt_type *to,
                              int depth, struct lt_ctx *cx, struct lt_out *w)
{
	const lt_type *elem =
	    from->type_case == LT_COLLECTION ? from->collection_type : NULL;

	/* An empty list is inferred as collection<none>: it fits any list. */
	if (lt_is_none(elem))
		return 1;
	if (!elem)
		return lt_mismatch(w, to, from);
	if (lt_casts(elem, to->collection_type, depth + 1, cx, w))
		return 1;
	lt_prefix(w, "collection element: ");
	return 0;
}

static int lt_cast_map(const lt_type *from, const lt_type *to, int depth,
                       struct lt_ctx *cx, struct lt_out *w)
{
	const lt_type *val = from->type_case == LT_MAP ? from->map_value_type : NULL;

	if (lt_is_none(val))
		return 1;
	if (!val)
		return lt_mismatch(w, to, from);
	if (lt_casts(val, to->map_value_type, depth + 1, cx, w))
		return 1;
	lt_prefix(w, "map value: ");
	return 0;
}

static int lt_cast_blob(const lt_type *from, const lt_type *to,
                        struct lt_out *w)
{
	const char *uf, *df;

	if (from->type_case != LT_BLOB || !from->blob)
		return lt_mismatch(w, to, from);
	uf = lt_str(from->blob->format);
	df = to->blob ? lt_str(to->blob->format) : "";
	/* An empty format is generic.  Flyte compares formats only, and
	 * case-sensitively: dimensionality is never looked at, so a
	 * directory (multipart) binds to a file input (single) of the same
	 * format and vice versa.  Surprising; kept. */
	if (!uf[0] || !df[0] || strcmp(uf, df) == 0)
		return 1;
	return lt_fail(w,
	               "expected blob format \"%." LT_ECHO "s\", got "
	               "\"%." LT_ECHO "s\"",
	               df, uf);
}

static size_t lt_nschema(const Flyteidl__Core__SchemaType *s)
{
	return s ? s->n_columns : 0;
}

static size_t lt_nsd(const Flyteidl__Core__StructuredDatasetType *s)
{
	return s ? s->n_columns : 0;
}

/* Column lookups: the last column of a name wins, as in Flyte's maps. */
static const Flyteidl__Core__SchemaType__SchemaColumn *
lt_schema_col(const Flyteidl__Core__SchemaType *s, const char *name,
              struct lt_ctx *cx)
{
	if (lt_charge(cx, lt_nschema(s)) < 0)
		return NULL;
	for (size_t i = lt_nschema(s); i-- > 0;) {
		if (s->columns[i] && strcmp(lt_str(s->columns[i]->name), name) == 0)
			return s->columns[i];
	}
	return NULL;
}

static const Flyteidl__Core__StructuredDatasetType__DatasetColumn *
lt_sd_col(const Flyteidl__Core__StructuredDatasetType *s, const char *name,
          struct lt_ctx *cx)
{
	if (lt_charge(cx, lt_nsd(s)) < 0)
		return NULL;
	for (size_t i = lt_nsd(s); i-- > 0;) {
		if (s->columns[i] && strcmp(lt_str(s->columns[i]->name), name) == 0)
			return s->columns[i];
	}
	return NULL;
}

static Flyteidl__Core__SimpleType lt_simple_of(const lt_type *t)
{
	return t && t->type_case == LT_SIMPLE ? t->simple
	                                      : FLYTEIDL__CORE__SIMPLE_TYPE__NONE;
}

static int
lt_column_fits(Flyteidl__Core__SchemaType__SchemaColumn__SchemaColumnType c,
               Flyteidl__Core__SimpleType s)
{
	switch (c) {
	case LT_COL_(INTEGER):
		return s == FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER;
	case LT_COL_(FLOAT):
		return s == FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT;
	case LT_COL_(STRING):
		return s == FLYTEIDL__CORE__SIMPLE_TYPE__STRING;
	case LT_COL_(BOOLEAN):
		return s == FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN;
	case LT_COL_(DATETIME):
		return s == FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME;
	case LT_COL_(DURATION):
		return s == FLYTEIDL__CORE__SIMPLE_TYPE__DURATION;
	default:
		return 0;
	}
}

static int lt_missing_column(struct lt_out *w, const char *name)
{
	return lt_fail(w, "column \"%." LT_ECHO "s\" missing upstream", name);
}

/*
 * Column rules, all four directions: no columns on either side means
 * "any"; otherwise downstream's columns must be a subset of upstream's,
 * by name, with matching types.
 */
static int lt_schema_from_schema(const Flyteidl__Core__SchemaType *up,
                                 const Flyteidl__Core__SchemaType *down,
                                 struct lt_ctx *cx, struct lt_out *w)
{
	if (!lt_nschema(up) || !lt_nschema(down))
		return 1;
	for (size_t i = 0; i < down->n_columns; i++) {
		const Flyteidl__Core__SchemaType__SchemaColumn *c = down->columns[i], *u;
		const char *name;

		if (!c)
			continue;
		name = lt_str(c->name);
		if (!(u = lt_schema_col(up, name, cx)))
			return lt_missing_column(w, name);
		if (u->type != c->type)
			return lt_fail(w,
			               "column \"%." LT_ECHO "s\": expected %s, got %s",
			               name, lt_column_name(c->type),
			               lt_column_name(u->type));
	}
	return 1;
}

static int
lt_schema_from_sd(const Flyteidl__Core__StructuredDatasetType *up,
                  const Flyteidl__Core__SchemaType *down, struct lt_ctx *cx,
                  struct lt_out *w)
{
	if (!lt_nsd(up) || !lt_nschema(down))
		return 1;
	for (size_t i = 0; i < down->n_columns; i++) {
		const Flyteidl__Core__SchemaType__SchemaColumn *c = down->columns[i];
		const Flyteidl__Core__StructuredDatasetType__DatasetColumn *u;
		const char *name;

		if (!c)
			continue;
		name = lt_str(c->name);
		if (!(u = lt_sd_col(up, name, cx)))
			return lt_missing_column(w, name);
		if (!lt_column_fits(c->type, lt_simple_of(u->literal_type))) {
			lt_reset(w);
			lt_printf(w, "column \"%." LT_ECHO "s\": expected %s, got ", name,
			          lt_column_name(c->type));
			lt_desc(w, u->literal_type, 0);
			return 0;
		}
	}
	return 1;
}

static int
lt_sd_from_schema(const Flyteidl__Core__SchemaType *up,
                  const Flyteidl__Core__StructuredDatasetType *down,
                  struct lt_ctx *cx, struct lt_out *w)
{
	if (!lt_nschema(up) || !lt_nsd(down))
		return 1;
	for (size_t i = 0; i < down->n_columns; i++) {
		const Flyteidl__Core__StructuredDatasetType__DatasetColumn *c =
		    down->columns[i];
		const Flyteidl__Core__SchemaType__SchemaColumn *u;
		const char *name;

		if (!c)
			continue;
		name = lt_str(c->name);
		if (!(u = lt_schema_col(up, name, cx)))
			return lt_missing_column(w, name);
		if (!lt_column_fits(u->type, lt_simple_of(c->literal_type))) {
			lt_reset(w);
			lt_printf(w, "column \"%." LT_ECHO "s\": expected ", name);
			lt_desc(w, c->literal_type, 0);
			lt_printf(w, ", got %s", lt_column_name(u->type));
			return 0;
		}
	}
	return 1;
}

static int lt_sd_from_sd(const Flyteidl__Core__StructuredDatasetType *up,
                         const Flyteidl__Core__StructuredDatasetType *down,
                         int depth, struct lt_ctx *cx, struct lt_out *w)
{
	const char *uf = lt_str(up->format), *df = down ? lt_str(down->format) : "";

	/* An empty format on either side is generic (flyte#2864). */
	if (uf[0] && df[0] && !lt_eqfold(uf, df))
		return lt_fail(w,
		               "expected structured dataset format \"%." LT_ECHO
		               "s\", got \"%." LT_ECHO "s\"",
		               df, uf);
	if (!lt_nsd(up) || !lt_nsd(down))
		return 1;
	for (size_t i = 0; i < down->n_columns; i++) {
		const Flyteidl__Core__StructuredDatasetType__DatasetColumn *c =
		    down->columns[i], *u;
		const char *name;

		if (!c)
			continue;
		name = lt_str(c->name);
		if (!(u = lt_sd_col(up, name, cx)))
			return lt_missing_column(w, name);
		if (!lt_casts(u->literal_type, c->literal_type, depth + 1, cx, w)) {
			lt_prefix(w, "column \"%." LT_ECHO "s\": ", name);
			return 0;
		}
	}
	return 1;
}

/* A schema is parquet underneath, so only a parquet (or format-less)
 * structured dataset converts either way. */
static int lt_cast_schema(const lt_type *from, const lt_type *to,
                          struct lt_ctx *cx, struct lt_out *w)
{
	const Flyteidl__Core__StructuredDatasetType *sd;
	const char *f;

	if (from->type_case == LT_SCHEMA && from->schema)
		return lt_schema_from_schema(from->schema, to->schema, cx, w);
	if (from->type_case != LT_SD || !(sd = from->structured_dataset_type))
		return lt_mismatch(w, to, from);
	f = lt_str(sd->format);
	if (f[0] && !lt_eqfold(f, "parquet"))
		return lt_fail(w,
		               "structured dataset format \"%." LT_ECHO "s\" is not "
		               "a schema (parquet)",
		               f);
	return lt_schema_from_sd(sd, to->schema, cx, w);
}

static int lt_cast_sd(const lt_type *from, const lt_type *to, int depth,
                      struct lt_ctx *cx, struct lt_out *w)
{
	const Flyteidl__Core__StructuredDatasetType *want =
	    to->structured_dataset_type;
	const char *wf = want ? lt_str(want->format) : "";

	/* Structured datasets are nullable (schemas and blobs are not). */
	if (lt_is_none(from))
		return 1;
	if (from->type_case == LT_SCHEMA && from->schema) {
		if (wf[0] && !lt_eqfold(wf, "parquet"))
			return lt_fail(w,
			               "a schema is parquet, expected structured dataset "
			               "format \"%." LT_ECHO "s\"",
			               wf);
		return lt_sd_from_schema(from->schema, want, cx, w);
	}
	if (from->type_case == LT_SD && from->structured_dataset_type)
		return lt_sd_from_sd(from->structured_dataset_type, want, depth, cx, w);
	return lt_mismatch(w, to, from);
}

static int lt_cast_union(const lt_type *from, const lt_type *to, int depth,
                         struct lt_ctx *cx, struct lt_out *w)
{
	const Flyteidl__Core__UnionType *want = to->union_type;
	size_t nd = want ? want->n_variants : 0;
	const lt_type *match = NULL;

	if (from->type_case == LT_UNION && from->union_type) {
		const Flyteidl__Core__UnionType *have = from->union_type;

		/* Union to union: every upstream variant needs some home. */
		for (size_t i = 0; i < have->n_variants; i++) {
			size_t j;

			for (j = 0; j < nd; j++) {
				if (lt_are(have->variants[i], want->variants[j], depth + 1,
				           cx, NULL))
					break;
			}
			if (j == nd) {
				lt_reset(w);
				lt_puts(w, "upstream variant ");
				lt_desc(w, have->variants[i], 0);
				lt_puts(w, " fits no variant of ");
				lt_desc(w, to, 0);
				return 0;
			}
		}
		return 1;
	}
	/* Anything else must select exactly one variant.  Two matches are
	 * refused as ambiguous, so a plain string does not bind to
	 * union{string | enum{...}} (flyte#2817): values carry their variant
	 * type for that reason. */
	for (size_t j = 0; j < nd; j++) {
		if (!lt_are(from, want->variants[j], depth + 1, cx, NULL))
			continue;
		if (match) {
			lt_reset(w);
			lt_desc(w, from, 0);
			lt_puts(w, " matches more than one variant of ");
			lt_desc(w, to, 0);
			return 0;
		}
		match = want->variants[j];
	}
	return match ? 1 : lt_mismatch(w, to, from);
}

/* getTypeChecker(to).CastsFrom(from). */
static int lt_casts(const lt_type *from, const lt_type *to, int depth,
                    struct lt_ctx *cx, struct lt_out *w)
{
	if (lt_enter(cx, depth) < 0)
		return 0;
	if (!from || !to)
		return lt_fail(w, "missing type");
	switch (to->type_case) {
	case LT_COLLECTION:
		return lt_cast_collection(from, to, depth, cx, w);
	case LT_MAP:
		return lt_cast_map(from, to, depth, cx, w);
	case LT_BLOB:
		return lt_cast_blob(from, to, w);
	case LT_SCHEMA:
		return lt_cast_schema(from, to, cx, w);
	case LT_UNION:
		return lt_cast_union(from, to, depth, cx, w);
	case LT_SD:
		return lt_cast_sd(from, to, depth, cx, w);
	default:
		/* none takes only none (Optional[T] is a union). */
		if (lt_is_none(to))
			return lt_is_none(from) ? 1 : lt_mismatch(w, to, from);
		return lt_cast_trivial(from, to, depth, cx, w);
	}
}

/* ---- instances -------------------------------------------------------- */

/* Room for the type Flyte infers for one scalar. */
struct lt_inferred {
	lt_type type;
	Flyteidl__Core__UnionType union_type;
	lt_type *variant;
};

/*
 * literalTypeForScalar, built in *inf.  NULL and *err set when Flyte can
 * infer no usable type (it would refuse the value too).  Quirks kept: a
 * primitive with no value is none; Binary tagged "msgpack" is a STRUCT
 * (a dataclass), any other Binary is binary; a generic Struct is a STRUCT
 * without schema, so it fits every dataclass.
 */
static const lt_type *lt_infer_scalar(const Flyteidl__Core__Scalar *s,
                                      struct lt_inferred *inf,
                                      const char **err)
{
	lt_type *t = &inf->type;

	flyteidl__core__literal_type__init(t);
	t->type_case = LT_SIMPLE;
	if (!s) {
		*err = "scalar has no value";
		return NULL;
	}
	switch (s->value_case) {
	case FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE:
		t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__NONE;
		switch (s->primitive ? s->primitive->value_case
		                     : FLYTEIDL__CORE__PRIMITIVE__VALUE__NOT_SET) {
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER:
			t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER;
			break;
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE:
			t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT;
			break;
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE:
			t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__STRING;
			break;
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
			t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN;
			break;
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME:
			t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME;
			break;
		case FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION:
			t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__DURATION;
			break;
		default:
			break;
		}
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_BLOB:
		if (!s->blob || !s->blob->metadata || !s->blob->metadata->type) {
			*err = "blob has no type metadata";
			return NULL;
		}
		t->type_case = LT_BLOB;
		t->blob = s->blob->metadata->type;
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_BINARY:
		t->simple = s->binary && strcmp(lt_str(s->binary->tag), "msgpack") == 0
		                ? FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT
		                : FLYTEIDL__CORE__SIMPLE_TYPE__BINARY;
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_SCHEMA:
		if (!s->schema || !s->schema->type) {
			*err = "schema has no type";
			return NULL;
		}
		t->type_case = LT_SCHEMA;
		t->schema = s->schema->type;
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_STRUCTURED_DATASET:
		if (!s->structured_dataset || !s->structured_dataset->metadata ||
		    !s->structured_dataset->metadata->structured_dataset_type) {
			*err = "structured dataset has no type metadata";
			return NULL;
		}
		t->type_case = LT_SD;
		t->structured_dataset_type =
		    s->structured_dataset->metadata->structured_dataset_type;
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE:
		t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__NONE;
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_ERROR:
		t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__ERROR;
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_GENERIC:
		t->simple = FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT;
		return t;
	case FLYTEIDL__CORE__SCALAR__VALUE_UNION:
		/* A union value is typed by the variant type it carries, as a
		 * one-variant union. */
		if (!s->union_ || !s->union_->type) {
			*err = "union value has no type";
			return NULL;
		}
		flyteidl__core__union_type__init(&inf->union_type);
		inf->variant = s->union_->type;
		inf->union_type.n_variants = 1;
		inf->union_type.variants = &inf->variant;
		t->type_case = LT_UNION;
		t->union_type = &inf->union_type;
		return t;
	default:
		*err = "scalar has no value";
		return NULL;
	}
}

static void lt_desc_lit(struct lt_out *o, const lt_lit *l)
{
	struct lt_inferred inf;
	const char *err = NULL;
	const lt_type *t;

	if (!l) {
		lt_puts(o, "missing value");
		return;
	}
	switch (l->value_case) {
	case FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION:
		lt_puts(o, "collection");
		break;
	case FLYTEIDL__CORE__LITERAL__VALUE_MAP:
		lt_puts(o, "map");
		break;
	case FLYTEIDL__CORE__LITERAL__VALUE_OFFLOADED_METADATA:
		lt_puts(o, "offloaded ");
		lt_desc(o,
		        l->offloaded_metadata ? l->offloaded_metadata->inferred_type
		                              : NULL,
		        0);
		break;
	case FLYTEIDL__CORE__LITERAL__VALUE_SCALAR:
		if ((t = lt_infer_scalar(l->scalar, &inf, &err)))
			lt_desc(o, t, 0);
		else
			lt_puts(o, err);
		break;
	default:
		lt_puts(o, "unset value");
		break;
	}
}

/* The value's inferred type is none: a none scalar (or empty primitive),
 * or an offloaded value inferred as none. */
static int lt_lit_is_none(const lt_lit *l)
{
	const Flyteidl__Core__Scalar *s;

	if (!l)
		return 0;
	if (l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_OFFLOADED_METADATA)
		return l->offloaded_metadata &&
		       lt_is_none(l->offloaded_metadata->inferred_type);
	if (l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_SCALAR || !(s = l->scalar))
		return 0;
	if (s->value_case == FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE)
		return 1;
	return s->value_case == FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE &&
	       (!s->primitive ||
	        s->primitive->value_case == FLYTEIDL__CORE__PRIMITIVE__VALUE__NOT_SET);
}

static int lt_lit_is_empty_list(const lt_lit *l)
{
	return l && l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION &&
	       (!l->collection || l->collection->n_literals == 0);
}

/*
 * Flyte infers a single element type for a whole list or map, skipping
 * empty lists.  When it comes out as none -- no elements, or at least one
 * none and otherwise only nones and empty lists -- the value binds to
 * every list (or map) type, whatever the element type: [None, None] is a
 * valid List[int].  Surprising; kept.  These two tell that case.
 */
static int lt_elems_none(const lt_lit *l, int *seen_none)
{
	if (lt_lit_is_none(l)) {
		*seen_none = 1;
		return 1;
	}
	return lt_lit_is_empty_list(l);
}

static int lt_list_infers_none(const Flyteidl__Core__LiteralCollection *c)
{
	int seen = 0;

	if (!c || c->n_literals == 0)
		return 1;
	for (size_t i = 0; i < c->n_literals; i++) {
		if (!lt_elems_none(c->literals[i], &seen))
			return 0;
	}
	return seen;
}

static int lt_map_infers_none(const Flyteidl__Core__LiteralMap *m)
{
	int seen = 0;

	if (!m || m->n_literals == 0)
		return 1;
	for (size_t i = 0; i < m->n_literals; i++) {
		if (!m->literals[i] || !lt_elems_none(m->literals[i]->value, &seen))
			return 0;
	}
	return seen;
}

static int lt_inst(const lt_lit *l, const lt_type *t, int depth, int nested,
                   struct lt_ctx *cx, struct lt_out *w);

static int lt_inst_collection(const lt_lit *l, const lt_type *t, int depth,
                              struct lt_ctx *cx, struct lt_out *w)
{
	const Flyteidl__Core__LiteralCollection *c = l->collection;

	if (t->type_case != LT_COLLECTION) {
		lt_reset(w);
		lt_puts(w, "expected ");
		lt_desc(w, t, 0);
		lt_puts(w, ", got collection");
		return 0;
	}
	if (lt_list_infers_none(c))
		return 1;
	for (size_t i = 0; i < c->n_literals; i++) {
		if (!lt_inst(c->literals[i], t->collection_type, depth + 1, 1, cx, w)) {
			lt_prefix(w, "element %zu: ", i);
			return 0;
		}
	}
	return 1;
}

static int lt_inst_map(const lt_lit *l, const lt_type *t, int depth,
                       struct lt_ctx *cx, struct lt_out *w)
{
	const Flyteidl__Core__LiteralMap *m = l->map;

	if (t->type_case != LT_MAP) {
		lt_reset(w);
		lt_puts(w, "expected ");
		lt_desc(w, t, 0);
		lt_puts(w, ", got map");
		return 0;
	}
	if (lt_map_infers_none(m))
		return 1;
	for (size_t i = 0; i < m->n_literals; i++) {
		const Flyteidl__Core__LiteralMap__LiteralsEntry *e = m->literals[i];

		if (!e)
			continue;
		if (!lt_inst(e->value, t->map_value_type, depth + 1, 1, cx, w)) {
			lt_prefix(w, "key \"%." LT_ECHO "s\": ", lt_str(e->key));
			return 0;
		}
	}
	return 1;
}

/* A value against a union type: exactly one variant must take it. */
static int lt_inst_union(const lt_lit *l, const lt_type *t, int depth,
                         struct lt_ctx *cx, struct lt_out *w)
{
	const Flyteidl__Core__UnionType *u = t->union_type;
	size_t n = u ? u->n_variants : 0;
	const lt_type *match = NULL, *same_shape = NULL;
	int shapes = 0;

	for (size_t j = 0; j < n; j++) {
		const lt_type *v = u->variants[j];

		if (v && ((l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION &&
		           v->type_case == LT_COLLECTION) ||
		          (l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_MAP &&
		           v->type_case == LT_MAP))) {
			same_shape = v;
			shapes++;
		}
		if (!lt_inst(l, v, depth + 1, 0, cx, NULL))
			continue;
		if (match) {
			lt_reset(w);
			lt_desc_lit(w, l);
			lt_puts(w, " matches more than one variant of ");
			lt_desc(w, t, 0);
			return 0;
		}
		match = v;
	}
	if (match)
		return 1;
	/* Optional[List[int]] and the like: the one list variant knows
	 * which element is wrong. */
	if (shapes == 1)
		return lt_inst(l, same_shape, depth + 1, 0, cx, w);
	lt_reset(w);
	lt_puts(w, "expected ");
	lt_desc(w, t, 0);
	lt_puts(w, ", got ");
	lt_desc_lit(w, l);
	return 0;
}

/* Below the top the checker is called directly (no one-variant union
 * unwrapping), as Flyte does for element types. */
static int lt_inst_typed(const lt_type *have, const lt_type *t, int depth,
                         int nested, struct lt_ctx *cx, struct lt_out *w)
{
	return nested ? lt_casts(have, t, depth, cx, w)
	              : lt_are(have, t, depth, cx, w);
}

/* A union value is judged by the variant type it carries; like Flyte, the
 * value inside is not looked at. */
static int lt_inst_union_value(const struct lt_inferred *inf, const lt_type *t,
                               int depth, int nested, struct lt_ctx *cx,
                               struct lt_out *w)
{
	if (lt_inst_typed(&inf->type, t, depth, nested, cx, w))
		return 1;
	if (t->type_case == LT_UNION) {
		lt_reset(w);
		lt_puts(w, "union value of type ");
		lt_desc(w, inf->variant, 0);
		lt_puts(w, " fits no variant of ");
		lt_desc(w, t, 0);
	} else if (!nested) {
		/* The carried type was tried as such: say why it failed. */
		(void)lt_casts(inf->variant, t, depth, cx, w);
	}
	return 0;
}

static int lt_inst(const lt_lit *l, const lt_type *t, int depth, int nested,
                   struct lt_ctx *cx, struct lt_out *w)
{
	struct lt_inferred inf;
	const char *err = "scalar has no value";
	const lt_type *have;

	if (lt_enter(cx, depth) < 0)
		return 0;
	if (!t)
		return lt_fail(w, "missing type");
	if (!l)
		return lt_fail(w, "missing value");
	switch (l->value_case) {
	case FLYTEIDL__CORE__LITERAL__VALUE_OFFLOADED_METADATA:
		have = l->offloaded_metadata ? l->offloaded_metadata->inferred_type
		                             : NULL;
		if (!have)
			return lt_fail(w, "offloaded value has no inferred type");
		return lt_inst_typed(have, t, depth, nested, cx, w);
	case FLYTEIDL__CORE__LITERAL__VALUE_SCALAR:
		if (!(have = lt_infer_scalar(l->scalar, &inf, &err)))
			return lt_fail(w, "%s", err);
		if (have->type_case == LT_UNION)
			return lt_inst_union_value(&inf, t, depth, nested, cx, w);
		if (t->type_case != LT_UNION)
			return lt_inst_typed(have, t, depth, nested, cx, w);
		return lt_inst_union(l, t, depth, cx, w);
	case FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION:
		if (t->type_case == LT_UNION)
			return lt_inst_union(l, t, depth, cx, w);
		return lt_inst_collection(l, t, depth, cx, w);
	case FLYTEIDL__CORE__LITERAL__VALUE_MAP:
		if (t->type_case == LT_UNION)
			return lt_inst_union(l, t, depth, cx, w);
		return lt_inst_map(l, t, depth, cx, w);
	default:
		return lt_fail(w, "value is not set");
	}
}

/* ---- entry points ------------------------------------------------------ */

static int lt_finish(const struct lt_ctx *cx, struct lt_out *w, int ok)
{
	if (cx->deep)
		return lt_fail(w, "nested deeper than %d levels", LITTYPE_MAX_DEPTH);
	if (cx->costly)
		return lt_fail(w, "too complex to check (over %ld steps)",
		               (long)LITTYPE_MAX_STEPS);
	if (ok)
		lt_reset(w);
	return ok;
}

int littype_castable(const Flyteidl__Core__LiteralType *from,
                     const Flyteidl__Core__LiteralType *to, char *why,
                     size_t whylen)
{
	struct lt_ctx cx = {0, 0, 0};
	struct lt_out w;

	lt_out_init(&w, why, whylen, 1);
	return lt_finish(&cx, &w, lt_are(from, to, 0, &cx, &w));
}

int littype_instance_of(const Flyteidl__Core__Literal *lit,
                        const Flyteidl__Core__LiteralType *t, char *why,
                        size_t whylen)
{
	struct lt_ctx cx = {0, 0, 0};
	struct lt_out w;

	lt_out_init(&w, why, whylen, 1);
	return lt_finish(&cx, &w, lt_inst(lit, t, 0, 0, &cx, &w));
}

size_t littype_describe(const Flyteidl__Core__LiteralType *t, char *buf,
                        size_t len)
{
	struct lt_out o;

	lt_out_init(&o, buf, len, 0);
	lt_desc(&o, t, 0);
	return o.pos;
}
