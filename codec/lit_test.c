/*
 * lit_test.c -- literals as text, text as literals, LiteralMap files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lit.h"
#include "tap.h"

static ProtobufCAllocator *A; /* the test's arena */
static char err[512];

/* The text of l, or "ERR: <message>". */
static const char *text_of(const Flyteidl__Core__Literal *l)
{
	static char buf[4096];
	char e[256];

	if (lit_text(l, buf, sizeof buf, e, sizeof e) < 0)
		snprintf(buf, sizeof buf, "ERR: %s", e);
	return buf;
}

static Flyteidl__Core__Literal *scalar_lit(Flyteidl__Core__Scalar **sp)
{
	Flyteidl__Core__Literal *l = A->alloc(A->allocator_data, sizeof *l);
	Flyteidl__Core__Scalar *s = A->alloc(A->allocator_data, sizeof *s);

	flyteidl__core__literal__init(l);
	flyteidl__core__scalar__init(s);
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	l->scalar = s;
	*sp = s;
	return l;
}

static Flyteidl__Core__Literal *prim_lit(Flyteidl__Core__Primitive **pp)
{
	Flyteidl__Core__Scalar *s;
	Flyteidl__Core__Literal *l = scalar_lit(&s);
	Flyteidl__Core__Primitive *p = A->alloc(A->allocator_data, sizeof *p);

	flyteidl__core__primitive__init(p);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	s->primitive = p;
	*pp = p;
	return l;
}

static Flyteidl__Core__Literal *int_lit(int64_t v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *l = prim_lit(&p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
	p->integer = v;
	return l;
}

static Flyteidl__Core__Literal *float_lit(double v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *l = prim_lit(&p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
	p->float_value = v;
	return l;
}

static Flyteidl__Core__Literal *str_lit(const char *v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *l = prim_lit(&p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
	p->string_value = (char *)v;
	return l;
}

static Flyteidl__Core__Literal *time_lit(int64_t s, int32_t ns)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *l = prim_lit(&p);
	Google__Protobuf__Timestamp *t = A->alloc(A->allocator_data, sizeof *t);

	google__protobuf__timestamp__init(t);
	t->seconds = s;
	t->nanos = ns;
	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
	p->datetime = t;
	return l;
}

static Flyteidl__Core__Literal *dur_lit(int64_t s, int32_t ns)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Literal *l = prim_lit(&p);
	Google__Protobuf__Duration *d = A->alloc(A->allocator_data, sizeof *d);

	google__protobuf__duration__init(d);
	d->seconds = s;
	d->nanos = ns;
	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION;
	p->duration = d;
	return l;
}

static Flyteidl__Core__Literal *coll_lit(size_t n,
                                         Flyteidl__Core__Literal **items)
{
	Flyteidl__Core__Literal *l = A->alloc(A->allocator_data, sizeof *l);
	Flyteidl__Core__LiteralCollection *c =
	    A->alloc(A->allocator_data, sizeof *c);

	flyteidl__core__literal__init(l);
	flyteidl__core__literal_collection__init(c);
	c->n_literals = n;
	c->literals = items;
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION;
	l->collection = c;
	return l;
}

static void test_arena(void)
{
	struct lit_arena *a = lit_arena_new();
	ProtobufCAllocator *al = lit_arena_allocator(a);
	int aligned = 1, i;
	void *p;

	for (i = 0; i < 2000; i++) {
		p = al->alloc(al->allocator_data, (size_t)(i % 37) + 1);
		if ((uintptr_t)p % 16)
			aligned = 0;
		memset(p, 0xab, (size_t)(i % 37) + 1);
		al->free(al->allocator_data, p);
	}
	TAP_OK(aligned, "arena: 2000 small blocks 16-byte aligned");
	p = al->alloc(al->allocator_data, 1 << 20);
	TAP_OK(p && (uintptr_t)p % 16 == 0, "arena: a 1 MiB block");
	if (p)
		memset(p, 1, 1 << 20);
	p = al->alloc(al->allocator_data, 8);
	TAP_OK(p && (uintptr_t)p % 16 == 0, "arena: small block after a big one");
	lit_arena_free(a);
	lit_arena_free(NULL);
}

static void test_text(void)
{
	Flyteidl__Core__Literal *items[4], *l;
	Flyteidl__Core__Scalar *s;
	Flyteidl__Core__Primitive *p;
	char small[4];
	int n;

	TAP_EQ_STR(text_of(int_lit(0)), "0", "integer 0");
	TAP_EQ_STR(text_of(int_lit(-42)), "-42", "integer -42");
	TAP_EQ_STR(text_of(int_lit(INT64_MAX)), "9223372036854775807",
	           "integer max");
	TAP_EQ_STR(text_of(int_lit(INT64_MIN)), "-9223372036854775808",
	           "integer min");

	TAP_EQ_STR(text_of(float_lit(0.1)), "0.1", "float 0.1");
	TAP_EQ_STR(text_of(float_lit(2.5)), "2.5", "float 2.5");
	TAP_EQ_STR(text_of(float_lit(1.0)), "1", "float 1");
	TAP_EQ_STR(text_of(float_lit(0.0)), "0", "float 0");
	TAP_EQ_STR(text_of(float_lit(-0.0)), "-0", "float -0");
	TAP_EQ_STR(text_of(float_lit(1.0 / 3)), "0.3333333333333333",
	           "float 1/3");
	TAP_EQ_STR(text_of(float_lit(123456)), "123456", "float 123456");
	TAP_EQ_STR(text_of(float_lit(1e6)), "1e+06", "float 1e6 as Go %%v");
	TAP_EQ_STR(text_of(float_lit(1234567.5)), "1.2345675e+06",
	           "float 1234567.5");
	TAP_EQ_STR(text_of(float_lit(1e21)), "1e+21", "float 1e21");
	TAP_EQ_STR(text_of(float_lit(1e100)), "1e+100", "float 1e100");
	TAP_EQ_STR(text_of(float_lit(0.0001)), "0.0001", "float 0.0001");
	TAP_EQ_STR(text_of(float_lit(0.00001)), "1e-05", "float 1e-5");
	TAP_EQ_STR(text_of(float_lit(-1.5e-7)), "-1.5e-07", "float -1.5e-7");
	TAP_EQ_STR(text_of(float_lit(5e-324)), "5e-324", "float min subnormal");
	TAP_EQ_STR(text_of(float_lit(1.7976931348623157e308)),
	           "1.7976931348623157e+308", "float max");
	TAP_EQ_STR(text_of(float_lit(INFINITY)), "+Inf", "float +Inf");
	TAP_EQ_STR(text_of(float_lit(-INFINITY)), "-Inf", "float -Inf");
	TAP_EQ_STR(text_of(float_lit(NAN)), "NaN", "float NaN");

	TAP_EQ_STR(text_of(str_lit("a b\tc")), "a b\tc", "string raw");
	TAP_EQ_STR(text_of(str_lit("")), "", "empty string");
	l = prim_lit(&p);
	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
	p->boolean = 1;
	TAP_EQ_STR(text_of(l), "true", "boolean true");
	p->boolean = 0;
	TAP_EQ_STR(text_of(l), "false", "boolean false");

	TAP_EQ_STR(text_of(time_lit(0, 0)), "1970-01-01T00:00:00Z", "epoch");
	TAP_EQ_STR(text_of(time_lit(1704164645, 0)), "2024-01-02T03:04:05Z",
	           "datetime");
	TAP_EQ_STR(text_of(time_lit(1704164645, 500000000)),
	           "2024-01-02T03:04:05.5Z", "datetime with a fraction");
	TAP_EQ_STR(text_of(time_lit(1704164645, 123456789)),
	           "2024-01-02T03:04:05.123456789Z", "datetime nanoseconds");
	TAP_EQ_STR(text_of(time_lit(-1, 0)), "1969-12-31T23:59:59Z",
	           "datetime before the epoch");
	TAP_EQ_STR(text_of(time_lit(951782400, 0)), "2000-02-29T00:00:00Z",
	           "datetime leap day");
	TAP_EQ_STR(text_of(time_lit(INT64_C(-62135596800), 0)),
	           "0001-01-01T00:00:00Z", "datetime minimum");
	TAP_EQ_STR(text_of(time_lit(INT64_C(253402300799), 0)),
	           "9999-12-31T23:59:59Z", "datetime maximum");
	TAP_HAS_STR(text_of(time_lit(INT64_C(253402300800), 0)),
	            "ERR: datetime out of range", "datetime beyond 9999");

	TAP_EQ_STR(text_of(dur_lit(0, 0)), "0s", "duration 0");
	TAP_EQ_STR(text_of(dur_lit(90, 0)), "1m30s", "duration 90 s");
	TAP_EQ_STR(text_of(dur_lit(3600, 0)), "1h0m0s", "duration 1 h");
	TAP_EQ_STR(text_of(dur_lit(3723, 500000000)), "1h2m3.5s",
	           "duration 1h2m3.5s");
	TAP_EQ_STR(text_of(dur_lit(5, 0)), "5s", "duration 5 s");
	TAP_EQ_STR(text_of(dur_lit(0, 1500000)), "1.5ms", "duration 1.5 ms");
	TAP_EQ_STR(text_of(dur_lit(0, 1500)), "1.5\xc2\xb5s",
	           "duration 1.5 us (U+00B5)");
	TAP_EQ_STR(text_of(dur_lit(0, 12)), "12ns", "duration 12 ns");
	TAP_EQ_STR(text_of(dur_lit(0, 1000000)), "1ms", "duration 1 ms");
	TAP_EQ_STR(text_of(dur_lit(-1, -500000000)), "-1.5s",
	           "duration -1.5 s");
	TAP_EQ_STR(text_of(dur_lit(0, -250)), "-250ns", "duration -250 ns");
	TAP_EQ_STR(text_of(dur_lit(1, 1)), "1.000000001s", "duration 1 s 1 ns");
	TAP_HAS_STR(text_of(dur_lit(1, -1)), "ERR: invalid duration",
	            "duration with mixed signs");

	l = scalar_lit(&s);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BLOB;
	s->blob = A->alloc(A->allocator_data, sizeof *s->blob);
	flyteidl__core__blob__init(s->blob);
	s->blob->uri = (char *)"/data/x.csv";
	TAP_EQ_STR(text_of(l), "/data/x.csv", "blob as its URI");
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_SCHEMA;
	s->schema = A->alloc(A->allocator_data, sizeof *s->schema);
	flyteidl__core__schema__init(s->schema);
	s->schema->uri = (char *)"s3://b/schema";
	TAP_EQ_STR(text_of(l), "s3://b/schema", "schema as its URI");
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
	s->none_type = A->alloc(A->allocator_data, sizeof *s->none_type);
	flyteidl__core__void__init(s->none_type);
	TAP_EQ_STR(text_of(l), "", "none as ''");
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BINARY;
	s->binary = A->alloc(A->allocator_data, sizeof *s->binary);
	flyteidl__core__binary__init(s->binary);
	TAP_EQ_STR(text_of(l), "ERR: cannot render a binary scalar as text",
	           "binary refused");
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
	s->union_ = A->alloc(A->allocator_data, sizeof *s->union_);
	flyteidl__core__union__init(s->union_);
	s->union_->value = int_lit(7);
	TAP_EQ_STR(text_of(l), "7", "union as its value");

	items[0] = int_lit(1);
	items[1] = int_lit(2);
	items[2] = str_lit("x y");
	TAP_EQ_STR(text_of(coll_lit(3, items)), "[1,2,x y]", "collection");
	TAP_EQ_STR(text_of(coll_lit(0, NULL)), "[]", "empty collection");
	{
		Flyteidl__Core__Literal **inner =
		    A->alloc(A->allocator_data, 2 * sizeof *inner);
		Flyteidl__Core__Literal **one =
		    A->alloc(A->allocator_data, sizeof *one);

		one[0] = float_lit(0.5);
		inner[0] = coll_lit(1, one);
		inner[1] = coll_lit(3, items);
		TAP_EQ_STR(text_of(coll_lit(2, inner)), "[[0.5],[1,2,x y]]",
		           "nested collection");
	}
	{
		Flyteidl__Core__LiteralMap *m =
		    A->alloc(A->allocator_data, sizeof *m);

		flyteidl__core__literal_map__init(m);
		TAP_EQ_INT(lit_map_set(A, m, "b", str_lit("x")), 0, "map set b");
		TAP_EQ_INT(lit_map_set(A, m, "a", int_lit(1)), 0, "map set a");
		l = A->alloc(A->allocator_data, sizeof *l);
		flyteidl__core__literal__init(l);
		l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_MAP;
		l->map = m;
		TAP_EQ_STR(text_of(l), "{a:1,b:x}", "map in key order");
	}
	l = A->alloc(A->allocator_data, sizeof *l);
	flyteidl__core__literal__init(l);
	TAP_HAS_STR(text_of(l), "ERR: cannot render an empty literal",
	            "empty literal refused");

	n = lit_text(int_lit(123456), small, sizeof small, err, sizeof err);
	TAP_EQ_INT(n, 6, "lit_text returns the whole length");
	TAP_EQ_STR(small, "123", "lit_text cuts to the buffer");
	n = lit_text(int_lit(5), NULL, 0, err, sizeof err);
	TAP_EQ_INT(n, 1, "lit_text measures with a NULL buffer");
	{
		char *d = lit_text_dup(str_lit("dup"), err, sizeof err);

		TAP_EQ_STR(d, "dup", "lit_text_dup");
		free(d);
	}
}

/* Parse text as type word; the literal's text, or "ERR: message". */
static const char *parse_text(const char *word, const char *text)
{
	static char buf[4200];
	Flyteidl__Core__Literal *l;
	char e[256];

	if (lit_parse(A, lit_type_named(word), text, &l, e, sizeof e) < 0) {
		snprintf(buf, sizeof buf, "ERR: %s", e);
		return buf;
	}
	snprintf(buf, sizeof buf, "%s", text_of(l));
	return buf;
}

static void test_parse(void)
{
	Flyteidl__Core__Literal *l;

	TAP_EQ_STR(parse_text("integer", "42"), "42", "parse integer");
	TAP_EQ_STR(parse_text("integer", " -7\n"), "-7",
	           "parse integer with space around");
	TAP_EQ_STR(parse_text("integer", "+5"), "5", "parse integer +5");
	TAP_EQ_STR(parse_text("integer", "9223372036854775807"),
	           "9223372036854775807", "parse integer max");
	TAP_EQ_STR(parse_text("integer", "-9223372036854775808"),
	           "-9223372036854775808", "parse integer min");
	TAP_EQ_STR(parse_text("integer", "9223372036854775808"),
	           "ERR: '9223372036854775808' is out of the range of a "
	           "64-bit integer", "parse integer overflow");
	TAP_EQ_STR(parse_text("integer", "abc"), "ERR: 'abc' is not an integer",
	           "parse integer refuses abc");
	TAP_EQ_STR(parse_text("integer", "1.5"), "ERR: '1.5' is not an integer",
	           "parse integer refuses 1.5");
	TAP_EQ_STR(parse_text("integer", ""), "ERR: '' is not an integer",
	           "parse integer refuses ''");
	TAP_EQ_STR(parse_text("integer", "1 2"), "ERR: '1 2' is not an integer",
	           "parse integer refuses '1 2'");

	TAP_EQ_STR(parse_text("float", "0.1"), "0.1", "parse float");
	TAP_EQ_STR(parse_text("float", "1e21"), "1e+21", "parse float 1e21");
	TAP_EQ_STR(parse_text("float", "-0"), "-0", "parse float -0");
	TAP_EQ_STR(parse_text("float", "3"), "3", "parse float 3");
	TAP_EQ_STR(parse_text("float", "inf"), "+Inf", "parse float inf");
	TAP_EQ_STR(parse_text("float", "1e400"),
	           "ERR: '1e400' is out of the range of a float",
	           "parse float overflow");
	TAP_EQ_STR(parse_text("float", "x1"), "ERR: 'x1' is not a float",
	           "parse float refuses x1");
	TAP_EQ_STR(parse_text("float", ""), "ERR: '' is not a float",
	           "parse float refuses ''");

	TAP_EQ_STR(parse_text("string", " a b \n"), " a b \n",
	           "parse string keeps everything");
	TAP_EQ_STR(parse_text("boolean", "true"), "true", "parse true");
	TAP_EQ_STR(parse_text("boolean", "False"), "false", "parse False");
	TAP_EQ_STR(parse_text("boolean", "1"), "true", "parse 1 as true");
	TAP_EQ_STR(parse_text("boolean", "yes"),
	           "ERR: 'yes' is not a boolean (true or false)",
	           "parse boolean refuses yes");

	TAP_EQ_STR(parse_text("datetime", "2024-01-02T03:04:05Z"),
	           "2024-01-02T03:04:05Z", "parse datetime");
	TAP_EQ_STR(parse_text("datetime", "2024-01-02T05:04:05.25+02:00"),
	           "2024-01-02T03:04:05.25Z", "parse datetime with offset");
	TAP_EQ_STR(parse_text("datetime", "2024-01-02 03:04:05-00:30"),
	           "2024-01-02T03:34:05Z", "parse datetime, space, negative offset");
	TAP_EQ_STR(parse_text("datetime", "2024-02-29"), "2024-02-29T00:00:00Z",
	           "parse a date");
	TAP_HAS_STR(parse_text("datetime", "2023-02-29"),
	            "ERR: '2023-02-29' is not a datetime",
	            "parse datetime refuses 2023-02-29");
	TAP_HAS_STR(parse_text("datetime", "2024-01-02T03:04:05"),
	            "is not a datetime", "parse datetime wants a zone");
	TAP_HAS_STR(parse_text("datetime", "0000-01-01T00:00:00Z"),
	            "is not a datetime", "parse datetime refuses year 0");

	TAP_EQ_STR(parse_text("duration", "1h2m3.5s"), "1h2m3.5s",
	           "parse duration");
	TAP_EQ_STR(parse_text("duration", "90"), "1m30s",
	           "parse duration in seconds");
	TAP_EQ_STR(parse_text("duration", "1.5"), "1.5s",
	           "parse duration 1.5 seconds");
	TAP_EQ_STR(parse_text("duration", "300ms"), "300ms",
	           "parse duration 300ms");
	TAP_EQ_STR(parse_text("duration", "1.5h"), "1h30m0s",
	           "parse duration 1.5h");
	TAP_EQ_STR(parse_text("duration", "10us"), "10\xc2\xb5s",
	           "parse duration 10us");
	TAP_EQ_STR(parse_text("duration", "10\xce\xbcs"), "10\xc2\xb5s",
	           "parse duration 10 U+03BC s");
	TAP_EQ_STR(parse_text("duration", "-2m3.25s"), "-2m3.25s",
	           "parse negative duration");
	TAP_EQ_STR(parse_text("duration", "0"), "0s", "parse duration 0");
	TAP_EQ_STR(parse_text("duration", ".5s"), "500ms",
	           "parse duration .5s");
	TAP_HAS_STR(parse_text("duration", "5x"),
	            "ERR: '5x' is not a duration", "parse duration refuses 5x");
	TAP_HAS_STR(parse_text("duration", "5 s"), "is not a duration",
	            "parse duration refuses '5 s'");
	TAP_HAS_STR(parse_text("duration", "1h5"), "is not a duration",
	            "parse duration refuses 1h5");
	TAP_HAS_STR(parse_text("duration", "99999999999999h"),
	            "out of the range of a duration",
	            "parse duration overflow");

	TAP_EQ_STR(parse_text("none", ""), "", "parse none ''");
	TAP_EQ_STR(parse_text("none", "null"), "", "parse none null");
	TAP_HAS_STR(parse_text("none", "x"), "ERR: 'x' is not none",
	            "parse none refuses x");
	TAP_EQ_STR(parse_text("file", "/tmp/a.txt"), "/tmp/a.txt",
	           "parse file");
	TAP_OK(lit_parse(A, lit_type_named("directory"), "/tmp/d", &l, err,
	                 sizeof err) == 0 &&
	           l->scalar->blob->metadata->type->dimensionality ==
	               FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__MULTIPART,
	       "parse directory: a multipart blob");
	TAP_HAS_STR(parse_text("file", ""), "ERR: a blob needs a URI",
	            "parse file refuses ''");
	TAP_OK(lit_type_named("nosuch") == NULL, "lit_type_named: unknown word");
	TAP_OK(lit_type_named("int") == lit_type_named("integer"),
	       "lit_type_named: int is integer");
}

static void test_parse_typed(void)
{
	Flyteidl__Core__LiteralType opt = FLYTEIDL__CORE__LITERAL_TYPE__INIT;
	Flyteidl__Core__LiteralType coll = FLYTEIDL__CORE__LITERAL_TYPE__INIT;
	Flyteidl__Core__LiteralType en = FLYTEIDL__CORE__LITERAL_TYPE__INIT;
	Flyteidl__Core__LiteralType vint = FLYTEIDL__CORE__LITERAL_TYPE__INIT;
	Flyteidl__Core__LiteralType vnone = FLYTEIDL__CORE__LITERAL_TYPE__INIT;
	Flyteidl__Core__TypeStructure tag = FLYTEIDL__CORE__TYPE_STRUCTURE__INIT;
	Flyteidl__Core__UnionType ut = FLYTEIDL__CORE__UNION_TYPE__INIT;
	Flyteidl__Core__EnumType et = FLYTEIDL__CORE__ENUM_TYPE__INIT;
	Flyteidl__Core__LiteralType *variants[2] = { &vint, &vnone };
	char *values[] = { (char *)"red", (char *)"green" };
	Flyteidl__Core__Literal *l = NULL;
	int rc;

	vint.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	vint.simple = FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER;
	tag.tag = (char *)"int";
	vint.structure = &tag;
	vnone.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	vnone.simple = FLYTEIDL__CORE__SIMPLE_TYPE__NONE;
	ut.n_variants = 2;
	ut.variants = variants;
	opt.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE;
	opt.union_type = &ut;

	rc = lit_parse(A, &opt, "12", &l, err, sizeof err);
	TAP_OK(rc == 0 && l->scalar->value_case ==
	                      FLYTEIDL__CORE__SCALAR__VALUE_UNION &&
	           l->scalar->union_->value->scalar->primitive->integer == 12,
	       "optional int: 12 is a union holding 12");
	TAP_OK(rc == 0 && l->scalar->union_->type &&
	           l->scalar->union_->type != &vint &&
	           l->scalar->union_->type->structure &&
	           strcmp(l->scalar->union_->type->structure->tag, "int") == 0,
	       "optional int: the union carries a copy of the variant type");
	rc = lit_parse(A, &opt, "", &l, err, sizeof err);
	TAP_OK(rc == 0 && l->scalar->union_->value->scalar->value_case ==
	                      FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE &&
	           l->scalar->union_->type->simple ==
	               FLYTEIDL__CORE__SIMPLE_TYPE__NONE,
	       "optional int: '' is none");
	rc = lit_parse(A, &opt, "none", &l, err, sizeof err);
	TAP_OK(rc == 0 && l->scalar->union_->value->scalar->value_case ==
	                      FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE,
	       "optional int: none is none");
	TAP_EQ_STR(text_of(l), "", "optional none renders as ''");
	rc = lit_parse(A, &opt, "abc", &l, err, sizeof err);
	TAP_EQ_INT(rc, -1, "optional int refuses abc");
	TAP_EQ_STR(err, "'abc' is not an integer", "optional int: message");

	et.n_values = 2;
	et.values = values;
	en.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE;
	en.enum_type = &et;
	rc = lit_parse(A, &en, "green", &l, err, sizeof err);
	TAP_OK(rc == 0 && strcmp(text_of(l), "green") == 0, "enum value");
	rc = lit_parse(A, &en, "blue", &l, err, sizeof err);
	TAP_EQ_INT(rc, -1, "enum refuses blue");
	TAP_EQ_STR(err, "'blue' is not one of the enum's values: red, green",
	           "enum message lists the values");

	coll.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE;
	coll.collection_type = &vint;
	rc = lit_parse(A, &coll, "[1]", &l, err, sizeof err);
	TAP_EQ_INT(rc, -1, "collections are refused");
	TAP_EQ_STR(err, "cannot parse text as a collection",
	           "collection message");
	rc = lit_parse(A, NULL, "1", &l, err, sizeof err);
	TAP_EQ_INT(rc, -1, "no type refused");
}

/* Round trips through text: parse(text(x)) renders the same. */
static void test_roundtrip(void)
{
	static const double fl[] = { 0.1, 1e21, -0.0, 1.0 / 3, 123456.789,
		                     5e-324, 2.5e-5, 1e15, 9007199254740993.0 };
	static const char *const du[] = { "1h2m3.5s", "0s", "1.5\xc2\xb5s",
		                          "999ms", "-1m0.000000001s",
		                          "87600h0m0s" };
	static const char *const ts[] = { "2024-01-02T03:04:05Z",
		                          "1900-03-01T00:00:00.000001Z",
		                          "9999-12-31T23:59:59.999999999Z" };
	Flyteidl__Core__Literal *l;
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof fl / sizeof fl[0]; i++) {
		char t[4096];

		snprintf(t, sizeof t, "%s", text_of(float_lit(fl[i])));
		if (lit_parse(A, lit_type_named("float"), t, &l, err,
		              sizeof err) < 0 ||
		    memcmp(&l->scalar->primitive->float_value, &fl[i],
		           sizeof fl[i]) != 0) {
			ok = 0;
			tap_diag("float %.17g -> %s does not read back", fl[i], t);
		}
	}
	TAP_OK(ok, "floats read back bit for bit from their text");
	for (i = 0; i < sizeof du / sizeof du[0]; i++)
		TAP_EQ_STR(parse_text("duration", du[i]), du[i],
		           "duration %s round trip", du[i]);
	for (i = 0; i < sizeof ts / sizeof ts[0]; i++)
		TAP_EQ_STR(parse_text("datetime", ts[i]), ts[i],
		           "datetime %s round trip", ts[i]);
}

static void test_files(const char *dir)
{
	char path[512], bad[512], nodir[512];
	Flyteidl__Core__LiteralMap *m = NULL, *back = NULL;
	Flyteidl__Core__Literal *l;
	FILE *f;
	int rc;

	snprintf(path, sizeof path, "%s/outputs.pb", dir);
	snprintf(bad, sizeof bad, "%s/bad.pb", dir);
	snprintf(nodir, sizeof nodir, "%s/no/such/outputs.pb", dir);

	rc = lit_map_read(path, 0, A, &m, err, sizeof err);
	TAP_EQ_INT(rc, -1, "read a missing file");
	TAP_HAS_STR(err, "outputs.pb: No such file or directory",
	            "missing file message names the file");
	rc = lit_map_read(path, 1, A, &m, err, sizeof err);
	TAP_OK(rc == 0 && m && m->n_literals == 0,
	       "missing_ok gives an empty map");

	lit_parse(A, lit_type_named("integer"), "3", &l, err, sizeof err);
	lit_map_set(A, m, "n", l);
	lit_parse(A, lit_type_named("string"), "hello", &l, err, sizeof err);
	lit_map_set(A, m, "s", l);
	lit_parse(A, lit_type_named("integer"), "4", &l, err, sizeof err);
	lit_map_set(A, m, "n", l);
	TAP_EQ_INT(m->n_literals, 2, "set replaces an entry of the same name");
	rc = lit_map_write(path, m, err, sizeof err);
	TAP_EQ_INT(rc, 0, "write the map");
	rc = lit_map_read(path, 0, A, &back, err, sizeof err);
	TAP_OK(rc == 0 && back->n_literals == 2, "read it back");
	TAP_EQ_STR(text_of(lit_map_get(back, "n")), "4", "n read back");
	TAP_EQ_STR(text_of(lit_map_get(back, "s")), "hello", "s read back");
	TAP_OK(lit_map_get(back, "x") == NULL, "get of a missing name");
	{
		struct stat st;

		TAP_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644,
		       "written file mode 0644");
	}

	f = fopen(bad, "w");
	fputs("not protobuf\n", f);
	fclose(f);
	rc = lit_map_read(bad, 0, A, &m, err, sizeof err);
	TAP_EQ_INT(rc, -1, "a text file does not decode");
	{
		char want[600];

		snprintf(want, sizeof want,
		         "%s: not a serialized flyteidl.core.LiteralMap", bad);
		TAP_EQ_STR(err, want, "bad file message");
	}
	f = fopen(bad, "w");
	fclose(f);
	rc = lit_map_read(bad, 0, A, &m, err, sizeof err);
	TAP_OK(rc == 0 && m->n_literals == 0, "an empty file is an empty map");
	rc = lit_map_read(dir, 0, A, &m, err, sizeof err);
	TAP_EQ_INT(rc, -1, "a directory is refused");
	TAP_HAS_STR(err, "not a regular file", "directory message");
	rc = lit_map_write(nodir, back, err, sizeof err);
	TAP_EQ_INT(rc, -1, "write into a missing directory");
	TAP_HAS_STR(err, "no/such/outputs.pb: cannot create a temporary file",
	            "write error names the file");
	unlink(bad);
	unlink(path);
}

/* The default allocator: m owns what is set into it. */
static void test_malloc_map(const char *dir)
{
	char path[512];
	Flyteidl__Core__LiteralMap *m = NULL;
	Flyteidl__Core__Literal *l = NULL;
	int rc;

	snprintf(path, sizeof path, "%s/m.pb", dir);
	rc = lit_map_read(path, 1, NULL, &m, err, sizeof err);
	TAP_EQ_INT(rc, 0, "malloc: empty map");
	lit_parse(NULL, lit_type_named("string"), "one", &l, err, sizeof err);
	TAP_EQ_INT(lit_map_set(NULL, m, "a", l), 0, "malloc: set a");
	lit_parse(NULL, lit_type_named("datetime"), "2024-01-02T03:04:05Z", &l,
	          err, sizeof err);
	TAP_EQ_INT(lit_map_set(NULL, m, "b", l), 0, "malloc: set b");
	lit_parse(NULL, lit_type_named("string"), "two", &l, err, sizeof err);
	TAP_EQ_INT(lit_map_set(NULL, m, "a", l), 0,
	           "malloc: replace a (the old one freed)");
	rc = lit_map_write(path, m, err, sizeof err);
	protobuf_c_message_free_unpacked(&m->base, NULL);
	m = NULL;
	TAP_EQ_INT(rc, 0, "malloc: write");
	rc = lit_map_read(path, 0, NULL, &m, err, sizeof err);
	TAP_OK(rc == 0 && strcmp(text_of(lit_map_get(m, "a")), "two") == 0,
	       "malloc: read back");
	if (m)
		protobuf_c_message_free_unpacked(&m->base, NULL);
	unlink(path);
}

int main(void)
{
	struct lit_arena *arena = lit_arena_new();
	char dir[] = "/tmp/lit_test.XXXXXX";

	if (!arena || !mkdtemp(dir)) {
		perror("lit_test");
		return 1;
	}
	A = lit_arena_allocator(arena);
	test_arena();
	test_text();
	test_parse();
	test_parse_typed();
	test_roundtrip();
	test_files(dir);
	test_malloc_map(dir);
	lit_arena_free(arena);
	rmdir(dir);
	return tap_done();
}
