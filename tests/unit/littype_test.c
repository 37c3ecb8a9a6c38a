/*
 * littype_test.c -- Flyte type checking: every castability checker both
 * ways, instance checks for every kind of literal, limits, type text.
 *
 * Types and values are built as protobuf-c structs on the heap; every
 * allocation is recorded and freed at the end (the sanitizer build checks
 * for leaks).
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "littype.h"
#include "tap.h"

typedef Flyteidl__Core__LiteralType LT;
typedef Flyteidl__Core__Literal LIT;
typedef Google__Protobuf__Struct JOBJ;
typedef Google__Protobuf__Value JVAL;

/* ---- building blocks ---------------------------------------------------- */

#define T_MAX_ALLOCS 16384
static void *t_allocs[T_MAX_ALLOCS];
static size_t t_nallocs;

static void *t_alloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p || t_nallocs == T_MAX_ALLOCS)
		abort();
	t_allocs[t_nallocs++] = p;
	return p;
}

static void t_free_all(void)
{
	while (t_nallocs > 0)
		free(t_allocs[--t_nallocs]);
}

static char *t_str(const char *s)
{
	char *p = t_alloc(strlen(s) + 1);

	memcpy(p, s, strlen(s) + 1);
	return p;
}

static LT *t_new(void)
{
	LT *t = t_alloc(sizeof(*t));

	flyteidl__core__literal_type__init(t);
	return t;
}

static LT *t_simple(Flyteidl__Core__SimpleType s)
{
	LT *t = t_new();

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	t->simple = s;
	return t;
}

#define T_NONE t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__NONE)
#define T_INT t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER)
#define T_FLOAT t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT)
#define T_STR t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__STRING)
#define T_BOOL t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN)
#define T_DT t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME)
#define T_DUR t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__DURATION)
#define T_BIN t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__BINARY)
#define T_ERR t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__ERROR)
#define T_STRUCT t_simple(FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT)

static LT *t_coll(LT *elem)
{
	LT *t = t_new();

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE;
	t->collection_type = elem;
	return t;
}

static LT *t_map(LT *val)
{
	LT *t = t_new();

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE;
	t->map_value_type = val;
	return t;
}

static LT *t_blob(const char *format, int multipart)
{
	LT *t = t_new();

	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB;
	t->blob = t_alloc(sizeof(*t->blob));
	flyteidl__core__blob_type__init(t->blob);
	t->blob->format = t_str(format);
	t->blob->dimensionality =
	    multipart ? FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__MULTIPART
	              : FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__SINGLE;
	return t;
}

/* NULL-terminated values. */
static LT *t_enum(const char *first, ...)
{
	LT *t = t_new();
	Flyteidl__Core__EnumType *e = t_alloc(sizeof(*e));
	va_list ap;
	size_t n = 0;

	flyteidl__core__enum_type__init(e);
	e->values = t_alloc(16 * sizeof(char *));
	va_start(ap, first);
	for (const char *v = first; v && n < 16; v = va_arg(ap, const char *))
		e->values[n++] = t_str(v);
	va_end(ap);
	e->n_values = n;
	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE;
	t->enum_type = e;
	return t;
}

/* NULL-terminated variants. */
static LT *t_union(LT *first, ...)
{
	LT *t = t_new();
	Flyteidl__Core__UnionType *u = t_alloc(sizeof(*u));
	va_list ap;
	size_t n = 0;

	flyteidl__core__union_type__init(u);
	u->variants = t_alloc(16 * sizeof(LT *));
	va_start(ap, first);
	for (LT *v = first; v && n < 16; v = va_arg(ap, LT *))
		u->variants[n++] = v;
	va_end(ap);
	u->n_variants = n;
	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE;
	t->union_type = u;
	return t;
}

static LT *t_tag(LT *t, const char *tag)
{
	t->structure = t_alloc(sizeof(*t->structure));
	flyteidl__core__type_structure__init(t->structure);
	t->structure->tag = t_str(tag);
	return t;
}

static LT *t_meta(LT *t, JOBJ *m)
{
	t->metadata = m;
	return t;
}

/* (name, column type) pairs, NULL-terminated. */
static LT *t_schema(const char *name, ...)
{
	LT *t = t_new();
	Flyteidl__Core__SchemaType *s = t_alloc(sizeof(*s));
	va_list ap;
	size_t n = 0;

	flyteidl__core__schema_type__init(s);
	s->columns = t_alloc(16 * sizeof(*s->columns));
	va_start(ap, name);
	for (const char *c = name; c && n < 16; c = va_arg(ap, const char *)) {
		Flyteidl__Core__SchemaType__SchemaColumn *col = t_alloc(sizeof(*col));

		flyteidl__core__schema_type__schema_column__init(col);
		col->name = t_str(c);
		col->type = (Flyteidl__Core__SchemaType__SchemaColumn__SchemaColumnType)
		    va_arg(ap, int);
		s->columns[n++] = col;
	}
	va_end(ap);
	s->n_columns = n;
	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA;
	t->schema = s;
	return t;
}

#define COL_INT \
	FLYTEIDL__CORE__SCHEMA_TYPE__SCHEMA_COLUMN__SCHEMA_COLUMN_TYPE__INTEGER
#define COL_STR \
	FLYTEIDL__CORE__SCHEMA_TYPE__SCHEMA_COLUMN__SCHEMA_COLUMN_TYPE__STRING

/* format, then (name, LT *) pairs, NULL-terminated. */
static LT *t_sd(const char *format, const char *name, ...)
{
	LT *t = t_new();
	Flyteidl__Core__StructuredDatasetType *s = t_alloc(sizeof(*s));
	va_list ap;
	size_t n = 0;

	flyteidl__core__structured_dataset_type__init(s);
	s->format = t_str(format);
	s->columns = t_alloc(16 * sizeof(*s->columns));
	va_start(ap, name);
	for (const char *c = name; c && n < 16; c = va_arg(ap, const char *)) {
		Flyteidl__Core__StructuredDatasetType__DatasetColumn *col =
		    t_alloc(sizeof(*col));

		flyteidl__core__structured_dataset_type__dataset_column__init(col);
		col->name = t_str(c);
		col->literal_type = va_arg(ap, LT *);
		s->columns[n++] = col;
	}
	va_end(ap);
	s->n_columns = n;
	t->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE;
	t->structured_dataset_type = s;
	return t;
}

/* JSON (google.protobuf.Struct) for dataclass schemas. */
static JVAL *j_val(void)
{
	JVAL *v = t_alloc(sizeof(*v));

	google__protobuf__value__init(v);
	return v;
}

static JVAL *j_str(const char *s)
{
	JVAL *v = j_val();

	v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
	v->string_value = t_str(s);
	return v;
}

/* (key, JVAL *) pairs, NULL-terminated. */
static JOBJ *j_obj(const char *key, ...)
{
	JOBJ *o = t_alloc(sizeof(*o));
	va_list ap;
	size_t n = 0;

	google__protobuf__struct__init(o);
	o->fields = t_alloc(16 * sizeof(*o->fields));
	va_start(ap, key);
	for (const char *k = key; k && n < 16; k = va_arg(ap, const char *)) {
		Google__Protobuf__Struct__FieldsEntry *e = t_alloc(sizeof(*e));

		google__protobuf__struct__fields_entry__init(e);
		e->key = t_str(k);
		e->value = va_arg(ap, JVAL *);
		o->fields[n++] = e;
	}
	va_end(ap);
	o->n_fields = n;
	return o;
}

static JVAL *j_objv(JOBJ *o)
{
	JVAL *v = j_val();

	v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
	v->struct_value = o;
	return v;
}

/* NULL-terminated items. */
static JVAL *j_list(JVAL *first, ...)
{
	JVAL *v = j_val();
	Google__Protobuf__ListValue *l = t_alloc(sizeof(*l));
	va_list ap;
	size_t n = 0;

	google__protobuf__list_value__init(l);
	l->values = t_alloc(16 * sizeof(JVAL *));
	va_start(ap, first);
	for (JVAL *x = first; x && n < 16; x = va_arg(ap, JVAL *))
		l->values[n++] = x;
	va_end(ap);
	l->n_values = n;
	v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
	v->list_value = l;
	return v;
}

static JVAL *j_type(const char *type)
{
	return j_objv(j_obj("type", j_str(type), NULL));
}

/* Literals. */
static LIT *l_new(void)
{
	LIT *l = t_alloc(sizeof(*l));

	flyteidl__core__literal__init(l);
	return l;
}

static Flyteidl__Core__Scalar *l_scalar_of(LIT *l)
{
	Flyteidl__Core__Scalar *s = t_alloc(sizeof(*s));

	flyteidl__core__scalar__init(s);
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	l->scalar = s;
	return s;
}

static Flyteidl__Core__Primitive *l_prim(LIT **out)
{
	LIT *l = l_new();
	Flyteidl__Core__Scalar *s = l_scalar_of(l);
	Flyteidl__Core__Primitive *p = t_alloc(sizeof(*p));

	flyteidl__core__primitive__init(p);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	s->primitive = p;
	*out = l;
	return p;
}

static LIT *l_int(int64_t v)
{
	LIT *l;
	Flyteidl__Core__Primitive *p = l_prim(&l);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
	p->integer = v;
	return l;
}

static LIT *l_float(double v)
{
	LIT *l;
	Flyteidl__Core__Primitive *p = l_prim(&l);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
	p->float_value = v;
	return l;
}

static LIT *l_str(const char *v)
{
	LIT *l;
	Flyteidl__Core__Primitive *p = l_prim(&l);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
	p->string_value = t_str(v);
	return l;
}

static LIT *l_bool(int v)
{
	LIT *l;
	Flyteidl__Core__Primitive *p = l_prim(&l);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
	p->boolean = v;
	return l;
}

static LIT *l_datetime(int64_t secs)
{
	LIT *l;
	Flyteidl__Core__Primitive *p = l_prim(&l);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
	p->datetime = t_alloc(sizeof(*p->datetime));
	google__protobuf__timestamp__init(p->datetime);
	p->datetime->seconds = secs;
	return l;
}

static LIT *l_duration(int64_t secs)
{
	LIT *l;
	Flyteidl__Core__Primitive *p = l_prim(&l);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION;
	p->duration = t_alloc(sizeof(*p->duration));
	google__protobuf__duration__init(p->duration);
	p->duration->seconds = secs;
	return l;
}

static LIT *l_empty_primitive(void)
{
	LIT *l;

	(void)l_prim(&l);
	return l;
}

static LIT *l_none(void)
{
	LIT *l = l_new();
	Flyteidl__Core__Scalar *s = l_scalar_of(l);

	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
	s->none_type = t_alloc(sizeof(*s->none_type));
	flyteidl__core__void__init(s->none_type);
	return l;
}

static LIT *l_error(const char *msg)
{
	LIT *l = l_new();
	Flyteidl__Core__Scalar *s = l_scalar_of(l);

	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_ERROR;
	s->error = t_alloc(sizeof(*s->error));
	flyteidl__core__error__init(s->error);
	s->error->message = t_str(msg);
	return l;
}

static LIT *l_generic(JOBJ *o)
{
	LIT *l = l_new();
	Flyteidl__Core__Scalar *s = l_scalar_of(l);

	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_GENERIC;
	s->generic = o;
	return l;
}

static LIT *l_binary(const char *tag)
{
	LIT *l = l_new();
	Flyteidl__Core__Scalar *s = l_scalar_of(l);

	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BINARY;
	s->binary = t_alloc(sizeof(*s->binary));
	flyteidl__core__binary__init(s->binary);
	s->binary->tag = t_str(tag);
	return l;
}

/* A blob; with_meta 0 leaves the metadata out. */
static LIT *l_blob(const char *format, int multipart, int with_meta)
{
	LIT *l = l_new();
	Flyteidl__Core__Scalar *s = l_scalar_of(l);

	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BLOB;
	s->blob = t_alloc(sizeof(*s->blob));
	flyteidl__core__blob__init(s->blob);
	s->blob->uri = t_str("s3://bucket/key");
	if (with_meta) {
		s->blob->metadata = t_alloc(sizeof(*s->blob->metadata));
		flyteidl__core__blob_metadata__init(s->blob->metadata);
		s->blob->metadata->type = t_blob(format, multipart)->blob;
	}
	return l;
}

static LIT *l_schema(LT *schema_type)
{
	LIT *l = l_new();
	Flyteidl__Core__Scalar *s = l_scalar_of(l);

	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_SCHEMA;
	s->schema = t_alloc(sizeof(*s->schema));
	flyteidl__core__schema__init(s->schema);
	s->schema->uri = t_str("s3://bucket/schema");
	s->schema->type = schema_type->schema;
	return l;
}

/* A structured dataset; sd_type NULL leaves the metadata out. */
static LIT *l_sd(LT *sd_type)
{
	LIT *l = l_new();
	Flyteidl__Core__Scalar *s = l_scalar_of(l);

	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_STRUCTURED_DATASET;
	s->structured_dataset = t_alloc(sizeof(*s->structured_dataset));
	flyteidl__core__structured_dataset__init(s->structured_dataset);
	s->structured_dataset->uri = t_str("s3://bucket/sd");
	if (sd_type) {
		s->structured_dataset->metadata =
		    t_alloc(sizeof(*s->structured_dataset->metadata));
		flyteidl__core__structured_dataset_metadata__init(
		    s->structured_dataset->metadata);
		s->structured_dataset->metadata->structured_dataset_type =
		    sd_type->structured_dataset_type;
	}
	return l;
}

static LIT *l_union(LIT *value, LT *type)
{
	LIT *l = l_new();
	Flyteidl__Core__Scalar *s = l_scalar_of(l);

	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
	s->union_ = t_alloc(sizeof(*s->union_));
	flyteidl__core__union__init(s->union_);
	s->union_->value = value;
	s->union_->type = type;
	return l;
}

/* NULL-terminated elements; l_list(NULL) is []. */
static LIT *l_list(LIT *first, ...)
{
	LIT *l = l_new();
	Flyteidl__Core__LiteralCollection *c = t_alloc(sizeof(*c));
	va_list ap;
	size_t n = 0;

	flyteidl__core__literal_collection__init(c);
	c->literals = t_alloc(16 * sizeof(LIT *));
	va_start(ap, first);
	for (LIT *x = first; x && n < 16; x = va_arg(ap, LIT *))
		c->literals[n++] = x;
	va_end(ap);
	c->n_literals = n;
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION;
	l->collection = c;
	return l;
}

/* (key, LIT *) pairs, NULL-terminated. */
static LIT *l_map(const char *key, ...)
{
	LIT *l = l_new();
	Flyteidl__Core__LiteralMap *m = t_alloc(sizeof(*m));
	va_list ap;
	size_t n = 0;

	flyteidl__core__literal_map__init(m);
	m->literals = t_alloc(16 * sizeof(*m->literals));
	va_start(ap, key);
	for (const char *k = key; k && n < 16; k = va_arg(ap, const char *)) {
		Flyteidl__Core__LiteralMap__LiteralsEntry *e = t_alloc(sizeof(*e));

		flyteidl__core__literal_map__literals_entry__init(e);
		e->key = t_str(k);
		e->value = va_arg(ap, LIT *);
		m->literals[n++] = e;
	}
	va_end(ap);
	m->n_literals = n;
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_MAP;
	l->map = m;
	return l;
}

static LIT *l_offloaded(LT *inferred)
{
	LIT *l = l_new();

	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_OFFLOADED_METADATA;
	l->offloaded_metadata = t_alloc(sizeof(*l->offloaded_metadata));
	flyteidl__core__literal_offloaded_metadata__init(l->offloaded_metadata);
	l->offloaded_metadata->uri = t_str("s3://bucket/offloaded");
	l->offloaded_metadata->inferred_type = inferred;
	return l;
}

/* ---- assertions ---------------------------------------------------------- */

static char why[512];

static void cast_ok(const LT *from, const LT *to, const char *what)
{
	int r = littype_castable(from, to, why, sizeof(why));

	if (!TAP_OK(r == 1 && why[0] == '\0', "castable: %s", what))
		tap_diag("why: %s", why);
}

/* has: text the reason must contain (NULL: any). */
static void cast_no(const LT *from, const LT *to, const char *has,
                    const char *what)
{
	int r = littype_castable(from, to, why, sizeof(why));

	if (!TAP_OK(r == 0 && why[0] != '\0', "not castable: %s", what))
		tap_diag("why: %s", why);
	if (has)
		TAP_HAS_STR(why, has, "reason for: %s", what);
}

static void inst_ok(const LIT *l, const LT *t, const char *what)
{
	int r = littype_instance_of(l, t, why, sizeof(why));

	if (!TAP_OK(r == 1 && why[0] == '\0', "instance: %s", what))
		tap_diag("why: %s", why);
}

static void inst_no(const LIT *l, const LT *t, const char *has,
                    const char *what)
{
	int r = littype_instance_of(l, t, why, sizeof(why));

	if (!TAP_OK(r == 0 && why[0] != '\0', "not an instance: %s", what))
		tap_diag("why: %s", why);
	if (has)
		TAP_HAS_STR(why, has, "reason for: %s", what);
}

static const char *describe(const LT *t)
{
	static char buf[256];

	littype_describe(t, buf, sizeof(buf));
	return buf;
}

/* ---- castability --------------------------------------------------------- */

static void test_simple(void)
{
	cast_ok(T_INT, T_INT, "integer -> integer");
	TAP_EQ_INT(littype_castable(T_STR, T_INT, why, sizeof(why)), 0,
	           "string -> integer");
	TAP_EQ_STR(why, "expected integer, got string", "string -> integer reason");
	cast_no(T_INT, T_FLOAT, "expected float, got integer",
	        "no numeric widening");
	cast_no(T_DT, T_DUR, NULL, "datetime -> duration");
	cast_ok(T_DUR, T_DUR, "duration -> duration");
	/* Metadata and annotations are not part of the type. */
	cast_ok(t_meta(T_INT, j_obj("x", j_str("y"), NULL)), T_INT,
	        "metadata ignored");
	/* A Variable without a type. */
	cast_no(NULL, T_INT, "missing type", "NULL upstream");
	cast_no(T_INT, NULL, "missing type", "NULL downstream");
	TAP_EQ_INT(littype_castable(T_STR, T_INT, NULL, 0), 0, "why may be NULL");
}

static void test_none_union(void)
{
	LT *opt_int = t_union(T_INT, T_NONE, NULL);

	cast_ok(T_NONE, T_NONE, "none -> none");
	cast_no(T_INT, T_NONE, "expected none, got integer", "integer -> none");
	cast_no(T_NONE, T_INT, "expected integer, got none",
	        "none -> integer (not nullable)");
	cast_ok(T_NONE, opt_int, "none -> Optional[int]");
	cast_ok(T_INT, opt_int, "integer -> Optional[int]");
	cast_no(T_STR, opt_int, "expected union{integer | none}, got string",
	        "string -> Optional[int]");
	cast_no(T_NONE, t_blob("csv", 0), NULL, "blobs are not nullable");
	cast_ok(opt_int, t_union(T_STR, T_INT, T_NONE, NULL),
	        "union -> wider union");
	cast_no(t_union(T_INT, T_STR, NULL), opt_int,
	        "upstream variant string fits no variant of union{integer | none}",
	        "union -> narrower union");
	cast_ok(t_union(T_INT, NULL), T_INT, "one-variant union unwraps");
	cast_no(opt_int, T_INT, NULL, "Optional[int] -> integer");
}

static void test_tags(void)
{
	LT *str_or_enum = t_union(t_tag(T_STR, "str"),
	                          t_tag(t_enum("a", "b", NULL), "enum"), NULL);
	LT *int_or_str = t_union(t_tag(T_INT, "int"), t_tag(T_STR, "str"), NULL);

	/* flyte#2817: a plain string fits both, so neither is chosen. */
	cast_no(T_STR, str_or_enum, "matches more than one variant",
	        "string -> union{string | enum} is ambiguous");
	/* The enum shortcut comes before the tag check, so a tag does not
	 * help either. */
	cast_no(t_tag(T_STR, "str"), str_or_enum, "more than one",
	        "tagged string still ambiguous");
	cast_ok(t_tag(T_STR, "str"), int_or_str, "tag selects the variant");
	cast_ok(T_STR, int_or_str, "untagged upstream fits a tagged variant");
	cast_no(t_tag(T_STR, "int"), int_or_str, NULL,
	        "tag of one variant, type of another");
	cast_no(t_tag(T_STR, "a"), t_tag(T_STR, "b"),
	        "structure tag \"a\" does not match \"b\"", "tags differ");
	cast_ok(T_STR, t_tag(T_STR, "b"), "only an upstream tag binds");
	cast_no(t_tag(T_STR, "a"), T_STR, NULL, "tagged -> untagged");
}

static void test_enum(void)
{
	LT *rg = t_enum("red", "green", NULL);

	cast_ok(rg, T_STR, "enum -> string");
	cast_ok(T_STR, rg, "string -> enum");
	cast_ok(rg, t_enum("red", "green", NULL), "same enum");
	/* No subset rule in Flyte: the value lists must be identical. */
	cast_no(rg, t_enum("green", "red", NULL), NULL, "enum values reordered");
	cast_no(t_enum("red", NULL), rg,
	        "expected enum{red, green}, got enum{red}", "enum subset");
	cast_no(rg, t_enum("red", NULL), NULL, "enum superset");
	cast_no(rg, T_INT, NULL, "enum -> integer");
}

static void test_collections_maps(void)
{
	LT *ll_int = t_coll(t_coll(T_INT));

	cast_ok(t_coll(T_INT), t_coll(T_INT), "list[int] -> list[int]");
	cast_ok(ll_int, t_coll(t_coll(T_INT)), "list[list[int]] -> same");
	TAP_EQ_INT(littype_castable(ll_int, t_coll(t_coll(T_STR)), why, sizeof(why)),
	           0, "list[list[int]] -> list[list[str]]");
	TAP_EQ_STR(why,
	           "collection element: collection element: expected string, got "
	           "integer",
	           "nested element reason");
	cast_ok(t_coll(T_NONE), t_coll(T_STR), "empty list fits any list");
	cast_no(T_INT, t_coll(T_INT), "expected collection<integer>, got integer",
	        "integer -> list");
	cast_ok(t_coll(T_INT), t_coll(t_union(T_INT, T_NONE, NULL)),
	        "list[int] -> list[Optional[int]]");
	/* Element types are checked without unwrapping one-variant unions. */
	cast_no(t_coll(t_union(T_INT, NULL)), t_coll(T_INT), NULL,
	        "list[union{int}] -> list[int]");
	cast_no(t_coll(T_INT), t_coll(NULL), "collection element: missing type",
	        "element type missing");

	cast_ok(t_map(T_INT), t_map(T_INT), "map[int] -> map[int]");
	cast_no(t_map(T_INT), t_map(T_FLOAT),
	        "map value: expected float, got integer", "map[int] -> map[float]");
	cast_ok(t_map(T_NONE), t_map(T_STR), "empty map fits any map");
	cast_no(t_coll(T_INT), t_map(T_INT), NULL, "list -> map");
}

static void test_blobs(void)
{
	cast_ok(t_blob("csv", 0), t_blob("csv", 0), "csv -> csv");
	cast_no(t_blob("csv", 0), t_blob("parquet", 0),
	        "expected blob format \"parquet\", got \"csv\"", "csv -> parquet");
	cast_ok(t_blob("", 0), t_blob("csv", 0), "generic upstream blob");
	cast_ok(t_blob("csv", 0), t_blob("", 0), "generic downstream blob");
	/* Flyte never compares dimensionality. */
	cast_ok(t_blob("csv", 0), t_blob("csv", 1), "file -> directory");
	cast_ok(t_blob("", 1), t_blob("", 0), "directory -> file");
	cast_no(t_blob("CSV", 0), t_blob("csv", 0), NULL,
	        "blob formats are case-sensitive");
	cast_no(T_INT, t_blob("csv", 0), NULL, "integer -> blob");
	cast_no(t_blob("csv", 0), T_INT, NULL, "blob -> integer");
}

static void test_schemas(void)
{
	LT *ab = t_schema("a", COL_INT, "b", COL_STR, NULL);

	cast_ok(ab, t_schema("a", COL_INT, NULL), "schema column subset");
	cast_no(ab, t_schema("c", COL_INT, NULL), "column \"c\" missing upstream",
	        "schema column missing");
	cast_no(ab, t_schema("a", COL_STR, NULL),
	        "column \"a\": expected string, got integer", "schema column type");
	cast_ok(ab, t_schema(NULL), "generic downstream schema");
	cast_ok(t_schema(NULL), ab, "generic upstream schema");
	cast_ok(t_sd("parquet", "a", T_INT, NULL), t_schema("a", COL_INT, NULL),
	        "parquet dataset -> schema");
	cast_ok(t_sd("", "a", T_INT, NULL), t_schema("a", COL_INT, NULL),
	        "format-less dataset -> schema");
	cast_no(t_sd("csv", NULL), t_schema(NULL), "is not a schema",
	        "csv dataset -> schema");
	cast_no(t_sd("parquet", "a", T_STR, NULL), t_schema("a", COL_INT, NULL),
	        "column \"a\": expected integer, got string",
	        "dataset column type -> schema");
	cast_no(T_NONE, ab, NULL, "none -> schema");

	cast_ok(t_sd("parquet", NULL), t_sd("parquet", NULL), "parquet -> parquet");
	cast_no(t_sd("csv", NULL), t_sd("parquet", NULL),
	        "expected structured dataset format \"parquet\", got \"csv\"",
	        "csv -> parquet");
	cast_ok(t_sd("", NULL), t_sd("parquet", NULL), "generic upstream format");
	cast_ok(t_sd("PARQUET", NULL), t_sd("parquet", NULL),
	        "dataset formats ignore case");
	cast_ok(t_sd("parquet", "a", T_INT, "b", T_STR, NULL),
	        t_sd("parquet", "a", T_INT, NULL), "dataset column subset");
	cast_no(t_sd("", "a", T_INT, NULL), t_sd("", "a", T_STR, NULL),
	        "column \"a\": expected string, got integer", "dataset column type");
	cast_no(t_sd("", "a", T_INT, NULL), t_sd("", "c", T_INT, NULL),
	        "missing upstream", "dataset column missing");
	cast_ok(t_sd("", "a", t_coll(T_INT), NULL), t_sd("", "a", t_coll(T_INT), NULL),
	        "dataset nested column type");
	cast_ok(T_NONE, t_sd("parquet", NULL), "datasets are nullable");
	cast_ok(t_schema("a", COL_INT, NULL), t_sd("parquet", "a", T_INT, NULL),
	        "schema -> parquet dataset");
	cast_no(t_schema(NULL), t_sd("csv", NULL), NULL, "schema -> csv dataset");
	cast_no(T_INT, t_sd("", NULL), NULL, "integer -> dataset");
}

/* {"type": "object", "title": title, "properties": {...}, "required": [...]} */
static JOBJ *j_class(const char *title, JOBJ *props, JVAL *required)
{
	return j_obj("type", j_str("object"), "title", j_str(title), "properties",
	             j_objv(props), "required", required, NULL);
}

static void test_struct(void)
{
	JOBJ *parent = j_class("A", j_obj("a", j_type("integer"), NULL),
	                       j_list(j_str("a"), NULL));
	JOBJ *parent2 = j_obj("required", j_list(j_str("a"), NULL), "properties",
	                      j_objv(j_obj("a", j_type("integer"), NULL)), "title",
	                      j_str("A"), "type", j_str("object"), NULL);
	JOBJ *child = j_class("B",
	                      j_obj("a", j_type("integer"), "b", j_type("string"),
	                            NULL),
	                      j_list(j_str("a"), j_str("b"), NULL));
	JOBJ *other = j_class("C", j_obj("a", j_type("string"), NULL),
	                      j_list(j_str("a"), NULL));
	/* Nested dataclasses by reference, under different $defs names. */
	JOBJ *outer = j_obj(
	    "$defs",
	    j_objv(j_obj("In", j_objv(j_obj("type", j_str("object"), "properties",
	                                    j_objv(j_obj("x", j_type("integer"),
	                                                 NULL)),
	                                    NULL)),
	                 NULL)),
	    "type", j_str("object"), "properties",
	    j_objv(j_obj("in", j_objv(j_obj("$ref", j_str("#/$defs/In"), NULL)),
	                 NULL)),
	    NULL);
	JOBJ *outer_sub = j_obj(
	    "$defs",
	    j_objv(j_obj("Inner",
	                 j_objv(j_obj("type", j_str("object"), "properties",
	                              j_objv(j_obj("x", j_type("integer"), "y",
	                                           j_type("string"), NULL)),
	                              NULL)),
	                 NULL)),
	    "type", j_str("object"), "properties",
	    j_objv(j_obj("in", j_objv(j_obj("$ref", j_str("#/$defs/Inner"), NULL)),
	                 "z", j_type("number"), NULL)),
	    NULL);

	cast_ok(T_STRUCT, t_meta(T_STRUCT, parent),
	        "schema-less dataclass passes (old flytekit)");
	cast_ok(t_meta(T_STRUCT, parent), T_STRUCT, "schema-less downstream passes");
	cast_ok(t_meta(T_STRUCT, parent), t_meta(T_STRUCT, parent2),
	        "same schema, keys reordered");
	cast_ok(t_meta(T_STRUCT, child), t_meta(T_STRUCT, parent),
	        "subclass -> base class");
	cast_no(t_meta(T_STRUCT, parent), t_meta(T_STRUCT, child),
	        "dataclass schema: property \"b\" missing upstream",
	        "base class -> subclass");
	cast_no(t_meta(T_STRUCT, other), t_meta(T_STRUCT, parent),
	        "property \"a\": \"type\" differs", "unrelated dataclass");
	cast_ok(t_meta(T_STRUCT, outer_sub), t_meta(T_STRUCT, outer),
	        "nested $ref subclass -> base");
	cast_no(t_meta(T_STRUCT, outer), t_meta(T_STRUCT, outer_sub),
	        "property \"in\": property \"y\" missing upstream",
	        "nested $ref base -> subclass");
	/* flyte#5489: Union[A, C] picks A for a B (subclass of A). */
	cast_ok(t_meta(T_STRUCT, child),
	        t_union(t_meta(T_STRUCT, parent), t_meta(T_STRUCT, other), NULL),
	        "dataclass selects its union variant");
	cast_no(T_STRUCT, T_STR, NULL, "struct -> string");
	cast_no(t_tag(T_STRUCT, "x"), t_tag(T_STRUCT, "y"), "structure tag",
	        "struct tags differ");
}

/* A DAG of unions that doubles the work at every level. */
static LT *t_union_bomb(int levels)
{
	LT *t = T_INT;

	for (int i = 0; i < levels; i++)
		t = t_union(t_coll(t), t, t_map(t), NULL);
	return t;
}

static void test_limits(void)
{
	LT *deep = T_INT, *ok = T_INT;
	LIT *deep_val = l_int(1);

	for (int i = 0; i < 70; i++) {
		deep = t_coll(deep);
		deep_val = l_list(deep_val, NULL);
	}
	for (int i = 0; i < 60; i++)
		ok = t_coll(ok);
	cast_no(deep, deep, "nested deeper than 64 levels", "deep type refused");
	cast_ok(ok, ok, "60 levels are fine");
	inst_no(deep_val, deep, "nested deeper than 64 levels",
	        "deep value refused");
	TAP_OK(littype_describe(deep, NULL, 0) > 64 * 11,
	       "deep type described (truncated)");
	TAP_HAS_STR(describe(deep), "collection<collection<", "deep description");
	cast_no(t_union_bomb(30), t_union_bomb(30), "too complex",
	        "exponential union check stopped");
}

/* ---- instances ----------------------------------------------------------- */

static void test_instances_scalar(void)
{
	inst_ok(l_int(5), T_INT, "integer");
	TAP_EQ_INT(littype_instance_of(l_int(5), T_STR, why, sizeof(why)), 0,
	           "integer is not a string");
	TAP_EQ_STR(why, "expected string, got integer", "integer vs string reason");
	inst_ok(l_float(1.5), T_FLOAT, "float");
	inst_no(l_float(1.5), T_INT, "expected integer, got float", "float vs int");
	inst_ok(l_str("x"), T_STR, "string");
	inst_ok(l_str("purple"), t_enum("red", "green", NULL),
	        "any string fits an enum (Flyte does not check the value)");
	inst_ok(l_bool(1), T_BOOL, "boolean");
	inst_ok(l_datetime(1700000000), T_DT, "datetime");
	inst_ok(l_duration(60), T_DUR, "duration");
	inst_no(l_datetime(0), T_DUR, "expected duration, got datetime",
	        "datetime vs duration");
	inst_ok(l_empty_primitive(), t_union(T_INT, T_NONE, NULL),
	        "empty primitive counts as none");
	inst_ok(l_none(), t_union(T_INT, T_NONE, NULL), "none -> Optional");
	inst_no(l_none(), T_INT, "expected integer, got none", "none vs integer");
	inst_ok(l_error("boom"), T_ERR, "error");
	inst_no(l_error("boom"), T_STR, "got error", "error vs string");
	inst_ok(l_error("boom"), t_union(T_INT, T_ERR, NULL), "error in union");
	inst_ok(l_int(1), t_union(T_INT, NULL), "one-variant union");
	inst_no(l_int(5), t_union(t_tag(T_INT, "a"), t_tag(T_INT, "b"), NULL),
	        "matches more than one variant", "ambiguous value");
	inst_no(l_int(5), NULL, "missing type", "NULL type");
	inst_no(NULL, T_INT, "missing value", "NULL value");
	inst_no(l_new(), T_INT, "value is not set", "unset literal");
	TAP_EQ_INT(littype_instance_of(l_int(5), T_STR, NULL, 0), 0,
	           "why may be NULL");
	{
		char small[5];

		littype_instance_of(l_int(5), T_STR, small, sizeof(small));
		TAP_EQ_STR(small, "expe", "reason truncated and terminated");
	}
}

static void test_instances_complex(void)
{
	LT *parent_t = t_meta(T_STRUCT, j_class("A", j_obj("a", j_type("integer"),
	                                                   NULL),
	                                        j_list(j_str("a"), NULL)));

	inst_ok(l_blob("csv", 0, 1), t_blob("csv", 0), "blob");
	inst_no(l_blob("csv", 0, 1), t_blob("parquet", 0), "blob format",
	        "blob format");
	inst_ok(l_blob("", 1, 1), t_blob("csv", 0), "generic directory blob");
	inst_no(l_blob("csv", 0, 0), t_blob("csv", 0), "blob has no type metadata",
	        "blob without metadata");
	inst_ok(l_schema(t_schema("a", COL_INT, NULL)), t_schema(NULL), "schema");
	inst_ok(l_sd(t_sd("parquet", NULL)), t_sd("parquet", NULL),
	        "structured dataset");
	inst_no(l_sd(NULL), t_sd("", NULL), "structured dataset has no type",
	        "dataset without metadata");
	inst_ok(l_generic(j_obj("a", j_str("1"), NULL)), parent_t,
	        "generic struct fits a dataclass");
	inst_no(l_generic(j_obj(NULL)), T_STR, "got struct", "struct vs string");
	inst_ok(l_binary("msgpack"), parent_t, "msgpack binary is a dataclass");
	inst_ok(l_binary(""), T_BIN, "raw binary");
	inst_no(l_binary(""), T_STRUCT, "expected struct, got binary",
	        "raw binary is not a struct");

	/* Collections, element by element. */
	TAP_EQ_INT(littype_instance_of(l_list(l_int(1), l_int(2), l_int(3),
	                                      l_str("x"), NULL),
	                               t_coll(T_INT), why, sizeof(why)),
	           0, "list with a string");
	TAP_EQ_STR(why, "element 3: expected integer, got string",
	           "element reason");
	inst_ok(l_list(NULL), t_coll(T_INT), "empty list");
	inst_ok(l_list(l_none(), l_none(), NULL), t_coll(T_INT),
	        "[None, None] is a List[int] (Flyte)");
	inst_no(l_list(l_int(1), l_none(), NULL), t_coll(T_INT),
	        "element 1: expected integer, got none", "[1, None]");
	TAP_EQ_INT(littype_instance_of(
	               l_list(l_list(l_int(1), NULL),
	                      l_list(l_int(2), l_str("a"), NULL), NULL),
	               t_coll(t_coll(T_INT)), why, sizeof(why)),
	           0, "nested list");
	TAP_EQ_STR(why, "element 1: element 1: expected integer, got string",
	           "nested element reason");
	inst_ok(l_list(l_int(1), l_str("a"), NULL),
	        t_coll(t_union(T_INT, T_STR, NULL)), "mixed list, union elements");
	inst_no(l_list(l_int(1), NULL), t_map(T_INT),
	        "expected map<string, integer>, got collection", "list vs map");
	inst_no(l_list(l_int(1), l_str("x"), NULL),
	        t_union(t_coll(T_INT), T_NONE, NULL),
	        "element 1: expected integer, got string",
	        "Optional[List[int]] names the element");

	TAP_EQ_INT(littype_instance_of(l_map("a", l_int(1), "b", l_str("x"), NULL),
	                               t_map(T_INT), why, sizeof(why)),
	           0, "map with a string");
	TAP_EQ_STR(why, "key \"b\": expected integer, got string", "map reason");
	inst_ok(l_map("a", l_int(1), NULL), t_map(T_INT), "map");
	inst_ok(l_map(NULL), t_map(T_STR), "empty map");

	/* Union values carry their variant type. */
	inst_ok(l_union(l_int(1), t_tag(T_INT, "int")),
	        t_union(t_tag(T_INT, "int"), t_tag(T_STR, "str"), NULL),
	        "union value");
	inst_no(l_union(l_float(1), T_FLOAT), t_union(T_INT, T_STR, NULL), NULL,
	        "union value of another type");
	inst_no(l_union(l_int(1), NULL), t_union(T_INT, NULL),
	        "union value has no type", "union value without type");
	inst_ok(l_union(l_str("a"), T_STR),
	        t_union(T_STR, t_enum("a", "b", NULL), NULL),
	        "stored type resolves string vs enum");
	inst_no(l_str("a"), t_union(T_STR, t_enum("a", "b", NULL), NULL),
	        "more than one variant", "plain string is ambiguous");
	inst_ok(l_union(l_int(1), T_INT), T_INT, "union value unwraps at the top");
	inst_no(l_list(l_union(l_int(1), T_INT), NULL), t_coll(T_INT), NULL,
	        "but not as a list element (Flyte)");

	/* Offloaded values carry an inferred type. */
	inst_ok(l_offloaded(t_coll(T_INT)), t_coll(T_INT), "offloaded");
	inst_no(l_offloaded(t_coll(T_STR)), t_coll(T_INT), NULL,
	        "offloaded of another type");
	inst_no(l_offloaded(NULL), T_INT, "no inferred type",
	        "offloaded without type");
}

static void test_describe(void)
{
	char small[8];

	TAP_EQ_STR(describe(T_INT), "integer", "describe integer");
	TAP_EQ_STR(describe(t_coll(T_STR)), "collection<string>",
	           "describe collection");
	TAP_EQ_STR(describe(t_map(T_FLOAT)), "map<string, float>", "describe map");
	TAP_EQ_STR(describe(t_blob("csv", 0)), "blob(csv, single)",
	           "describe blob");
	TAP_EQ_STR(describe(t_blob("", 1)), "blob(multipart)",
	           "describe generic blob");
	TAP_EQ_STR(describe(t_union(T_INT, T_NONE, NULL)), "union{integer | none}",
	           "describe union");
	TAP_EQ_STR(describe(t_enum("red", "green", NULL)), "enum{red, green}",
	           "describe enum");
	TAP_EQ_STR(describe(t_schema("a", COL_INT, NULL)), "schema",
	           "describe schema");
	TAP_EQ_STR(describe(t_sd("parquet", NULL)), "structured_dataset(parquet)",
	           "describe dataset");
	TAP_EQ_STR(describe(t_sd("", NULL)), "structured_dataset",
	           "describe generic dataset");
	TAP_EQ_STR(describe(T_STRUCT), "struct", "describe struct");
	TAP_EQ_STR(describe(t_new()), "untyped", "describe unset type");
	TAP_EQ_STR(describe(NULL), "missing type", "describe NULL");
	TAP_EQ_INT(littype_describe(t_coll(T_STR), small, sizeof(small)), 18,
	           "describe returns the length it wanted");
	TAP_EQ_STR(small, "collect", "describe truncates safely");
	TAP_EQ_INT(littype_describe(t_coll(T_STR), NULL, 0), 18,
	           "describe counts without a buffer");
}

int main(void)
{
	test_simple();
	test_none_union();
	test_tags();
	test_enum();
	test_collections_maps();
	test_blobs();
	test_schemas();
	test_struct();
	test_limits();
	test_instances_scalar();
	test_instances_complex();
	test_describe();
	t_free_all();
	return tap_done();
}
