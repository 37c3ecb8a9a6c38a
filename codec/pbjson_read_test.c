/*
 * pbjson_read_test.c -- the proto3 JSON decoder and pbjson_set_path on
 * flyteidl messages, the well-known types and two hand-made descriptors
 * (google.protobuf.FieldMask, maps with int and bool keys), which Keel's
 * protos do not have.  TAP.
 *
 * Every input is decoded from an exact-size heap copy without a NUL, so
 * AddressSanitizer and valgrind catch a read past the end.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "pbjson.h"

#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/execution.pb-c.h"
#include "flyteidl/admin/matchable_resource.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/version.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

static const struct pbjson_opts compact = {PBJSON_JSON, 0, 0, 0, NULL};

/* ---- hand-made descriptors -------------------------------------------- */

typedef struct {
	ProtobufCMessage base;
	size_t n_paths;
	char **paths;
} FieldMask;

typedef struct {
	ProtobufCMessage base;
	int32_t key;
	char *value;
} IntEntry;

typedef struct {
	ProtobufCMessage base;
	protobuf_c_boolean key;
	int32_t value;
} BoolEntry;

typedef struct {
	ProtobufCMessage base;
	size_t n_ints;
	IntEntry **ints;
	size_t n_bools;
	BoolEntry **bools;
} Maps;

static const ProtobufCMessageDescriptor fm_desc, int_entry_desc,
    bool_entry_desc, maps_desc;

static void fm_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(FieldMask));
	m->descriptor = &fm_desc;
}

static void int_entry_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(IntEntry));
	m->descriptor = &int_entry_desc;
	((IntEntry *)m)->value = (char *)protobuf_c_empty_string;
}

static void bool_entry_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(BoolEntry));
	m->descriptor = &bool_entry_desc;
}

static void maps_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(Maps));
	m->descriptor = &maps_desc;
}

static const ProtobufCFieldDescriptor fm_fields[] = {
    {"paths", 1, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_STRING,
     offsetof(FieldMask, n_paths), offsetof(FieldMask, paths), NULL, NULL, 0, 0,
     NULL, NULL},
};
static const ProtobufCFieldDescriptor int_entry_fields[] = {
    {"key", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT32, 0,
     offsetof(IntEntry, key), NULL, NULL, 0, 0, NULL, NULL},
    {"value", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, 0,
     offsetof(IntEntry, value), NULL, protobuf_c_empty_string, 0, 0, NULL,
     NULL},
};
static const ProtobufCFieldDescriptor bool_entry_fields[] = {
    {"key", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_BOOL, 0,
     offsetof(BoolEntry, key), NULL, NULL, 0, 0, NULL, NULL},
    {"value", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT32, 0,
     offsetof(BoolEntry, value), NULL, NULL, 0, 0, NULL, NULL},
};
static const ProtobufCFieldDescriptor maps_fields[] = {
    {"ints", 1, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE,
     offsetof(Maps, n_ints), offsetof(Maps, ints), &int_entry_desc, NULL, 0, 0,
     NULL, NULL},
    {"bools", 2, PROTOBUF_C_LABEL_REPEATED, PROTOBUF_C_TYPE_MESSAGE,
     offsetof(Maps, n_bools), offsetof(Maps, bools), &bool_entry_desc, NULL, 0,
     0, NULL, NULL},
};
static const unsigned by_name_1[] = {0};
static const unsigned by_name_kv[] = {0, 1};
static const unsigned by_name_maps[] = {1, 0};
static const ProtobufCIntRange ranges_1[] = {{1, 0}, {0, 1}};
static const ProtobufCIntRange ranges_2[] = {{1, 0}, {0, 2}};

static const ProtobufCMessageDescriptor fm_desc = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    "google.protobuf.FieldMask",
    "FieldMask",
    "Google__Protobuf__FieldMask",
    "google.protobuf",
    sizeof(FieldMask),
    1,
    fm_fields,
    by_name_1,
    1,
    ranges_1,
    fm_init,
    NULL,
    NULL,
    NULL};
static const ProtobufCMessageDescriptor int_entry_desc = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    "test.Maps.IntsEntry",
    "IntsEntry",
    "Test__Maps__IntsEntry",
    "test",
    sizeof(IntEntry),
    2,
    int_entry_fields,
    by_name_kv,
    1,
    ranges_2,
    int_entry_init,
    NULL,
    NULL,
    NULL};
static const ProtobufCMessageDescriptor bool_entry_desc = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    "test.Maps.BoolsEntry",
    "BoolsEntry",
    "Test__Maps__BoolsEntry",
    "test",
    sizeof(BoolEntry),
    2,
    bool_entry_fields,
    by_name_kv,
    1,
    ranges_2,
    bool_entry_init,
    NULL,
    NULL,
    NULL};
static const ProtobufCMessageDescriptor maps_desc = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    "test.Maps",
    "Maps",
    "Test__Maps",
    "test",
    sizeof(Maps),
    2,
    maps_fields,
    by_name_maps,
    1,
    ranges_2,
    maps_init,
    NULL,
    NULL,
    NULL};

/* ---- helpers ---------------------------------------------------------- */

static char err[512];

/* Decode json from an exact-size copy (no NUL after it). */
static int decode(const ProtobufCMessageDescriptor *d, const char *json,
                  const struct pbjson_read_opts *o, ProtobufCAllocator *a,
                  ProtobufCMessage **out)
{
	size_t n = strlen(json);
	char *copy = malloc(n ? n : 1);
	int rc, e;

	if (!copy)
		return -1;
	memcpy(copy, json, n);
	rc = pbjson_decode(d, copy, n, o, a, out, err, sizeof err);
	e = errno;
	free(copy);
	errno = e;
	return rc;
}

/* json decodes and encodes back (compact, camelCase) as want. */
static void good_o(const ProtobufCMessageDescriptor *d, const char *json,
                   const struct pbjson_read_opts *o, const char *want,
                   const char *what)
{
	ProtobufCMessage *m = NULL;
	char *got;

	if (decode(d, json, o, NULL, &m) < 0) {
		TAP_OK(0, "%s", what);
		tap_diag("decode: %s", err);
		return;
	}
	got = pbjson_encode(m, &compact, NULL);
	TAP_EQ_STR(got, want, "%s", what);
	free(got);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void good(const ProtobufCMessageDescriptor *d, const char *json,
                 const char *want, const char *what)
{
	good_o(d, json, NULL, want, what);
}

/* json fails with EINVAL and an error containing want. */
static void bad_o(const ProtobufCMessageDescriptor *d, const char *json,
                  const struct pbjson_read_opts *o, const char *want,
                  const char *what)
{
	ProtobufCMessage *m = (ProtobufCMessage *)1;
	int rc;

	err[0] = '\0';
	errno = 0;
	rc = decode(d, json, o, NULL, &m);
	if (!TAP_OK(rc == -1 && errno == EINVAL && m == NULL &&
	                strstr(err, want),
	            "%s", what))
		tap_diag("rc %d errno %d, error \"%s\", want \"%s\"", rc, errno,
		         err, want);
	if (rc == 0)
		protobuf_c_message_free_unpacked(m, NULL);
}

static void bad(const ProtobufCMessageDescriptor *d, const char *json,
                const char *want, const char *what)
{
	bad_o(d, json, NULL, want, what);
}

/* ---- decoding --------------------------------------------------------- */

static void test_basic(void)
{
	const ProtobufCMessageDescriptor *pd =
	    &flyteidl__admin__project__descriptor;
	Flyteidl__Admin__Project *p = NULL;
	int rc;

	good(pd,
	     " {\"id\":\"flytesnacks\",\"name\":\"Flyte Snacks\","
	     "\"labels\":{\"values\":{\"team\":\"ml\",\"env\":\"prod\"}},"
	     "\"state\":\"ARCHIVED\",\"domains\":[{\"id\":\"d\"}]}\n\t",
	     "{\"id\":\"flytesnacks\",\"name\":\"Flyte Snacks\",\"domains\":"
	     "[{\"id\":\"d\"}],\"labels\":{\"values\":{\"team\":\"ml\",\"env\":"
	     "\"prod\"}},\"state\":\"ARCHIVED\"}",
	     "Project: map, enum by name, repeated message, whitespace");
	good(pd, "{\"state\":3}", "{\"state\":\"SYSTEM_ARCHIVED\"}",
	     "enum by number");
	good(pd, "{\"state\":7}", "{\"state\":7}", "unknown enum number kept");
	good(
	    &flyteidl__admin__get_version_response__descriptor,
	    "{\"control_plane_version\":{\"Build\":\"b\",\"BuildTime\":\"t\"}}",
	    "{\"controlPlaneVersion\":{\"Build\":\"b\",\"BuildTime\":\"t\"}}",
	    "proto names and JSON names (leading capitals)");
	good(&flyteidl__admin__resource_list_request__descriptor,
	     "{\"sortBy\":{\"key\":\"k\",\"direction\":\"ASCENDING\"},"
	     "\"limit\":\"10\",\"id\":null,\"token\":null}",
	     "{\"limit\":10,\"sortBy\":{\"key\":\"k\",\"direction\":"
	     "\"ASCENDING\"}}",
	     "lowerCamelCase names; uint32 from a string; null is unset");
	good(pd, "{}", "{}", "empty object");

	/* the structure itself */
	rc = decode(pd,
	            "{\"id\":\"a\",\"domains\":[{\"id\":\"x\"},{\"id\":\"y\"}],"
	            "\"labels\":{\"values\":{\"k\":\"v\"}}}",
	            NULL, NULL, (ProtobufCMessage **)&p);
	TAP_OK(rc == 0 && p && strcmp(p->id, "a") == 0 && p->n_domains == 2 &&
	           strcmp(p->domains[1]->id, "y") == 0 && p->labels &&
	           p->labels->n_values == 1 &&
	           strcmp(p->labels->values[0]->value, "v") == 0 && p->name &&
	           p->name[0] == '\0',
	       "decoded fields in place, unset strings empty");
	if (p)
		flyteidl__admin__project__free_unpacked(p, NULL);
}

static void test_scalars(void)
{
	const ProtobufCMessageDescriptor *prim =
	    &flyteidl__core__primitive__descriptor;
	const ProtobufCMessageDescriptor *bin =
	    &flyteidl__core__binary__descriptor;
	Google__Protobuf__FloatValue *fv = NULL;
	Google__Protobuf__StringValue *sv = NULL;
	Flyteidl__Core__Binary *b = NULL;
	int rc, i, ok;

	good(prim, "{\"integer\":\"-9223372036854775808\"}",
	     "{\"integer\":\"-9223372036854775808\"}", "int64 minimum");
	good(prim, "{\"integer\":9007199254740993}",
	     "{\"integer\":\"9007199254740993\"}",
	     "int64 from an exact number");
	good(prim, "{\"integer\":1e2}", "{\"integer\":\"100\"}",
	     "int64 from 1e2");
	good(prim, "{\"integer\":\"12.50e1\"}", "{\"integer\":\"125\"}",
	     "int64 from a string with fraction and exponent, integral");
	good(prim, "{\"integer\":-0}", "{\"integer\":\"0\"}", "-0");
	good(&google__protobuf__uint64_value__descriptor,
	     "\"18446744073709551615\"", "\"18446744073709551615\"",
	     "uint64 maximum");
	good(&google__protobuf__int32_value__descriptor, "-2147483648",
	     "-2147483648", "int32 minimum");
	good(&google__protobuf__uint32_value__descriptor, "\"4294967295\"",
	     "4294967295", "uint32 maximum from a string");
	good(prim, "{\"floatValue\":-1.5e-3}", "{\"floatValue\":-0.0015}",
	     "double");
	good(prim, "{\"floatValue\":\"2.5\"}", "{\"floatValue\":2.5}",
	     "double from a string");
	good(prim, "{\"floatValue\":\"-Infinity\"}",
	     "{\"floatValue\":\"-Infinity\"}", "-Infinity");
	good(prim, "{\"floatValue\":1e-400}", "{\"floatValue\":0}",
	     "double underflow is zero");
	rc = decode(&google__protobuf__float_value__descriptor, "\"NaN\"", NULL,
	            NULL, (ProtobufCMessage **)&fv);
	TAP_OK(rc == 0 && fv && isnan(fv->value), "float NaN");
	if (fv)
		google__protobuf__float_value__free_unpacked(fv, NULL);
	good(&google__protobuf__float_value__descriptor, "3.4028234e38",
	     "3.4028235e+38", "float maximum");
	good(prim, "{\"boolean\":false}", "{\"boolean\":false}", "bool");

	/* strings */
	rc = decode(&google__protobuf__string_value__descriptor,
	            "\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud834\\udd1e"
	            "\xc3\xa9\xf0\x9f\x98\x80\"",
	            NULL, NULL, (ProtobufCMessage **)&sv);
	TAP_OK(rc == 0 && sv &&
	           strcmp(sv->value,
	                  "a\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac"
	                  "\xf0\x9d\x84\x9e\xc3\xa9\xf0\x9f\x98\x80") == 0,
	       "every escape, a surrogate pair, raw UTF-8");
	if (sv)
		google__protobuf__string_value__free_unpacked(sv, NULL);

	/* bytes: standard and URL-safe alphabets, padded or not */
	{
		static const char *const in[] = {
		    "\"+/+/\"", "\"-_-_\"", "\"+/8=\"", "\"-_8\"",
		    "\"AP8\"",  "\"AP8=\"", "\"AA==\"", "\"AA\"",
		};
		static const size_t want_len[] = {3, 3, 2, 2, 2, 2, 1, 1};

		ok = 1;
		for (i = 0; i < 8; i++) {
			char json[64];

			snprintf(json, sizeof json, "{\"value\":%s}", in[i]);
			rc = decode(bin, json, NULL, NULL,
			            (ProtobufCMessage **)&b);
			if (rc < 0 || b->value.len != want_len[i])
				ok = 0;
			if (rc == 0 && i < 2 &&
			    memcmp(b->value.data, "\xfb\xff\xbf", 3) != 0)
				ok = 0;
			if (rc == 0 && (i == 4 || i == 5) &&
			    memcmp(b->value.data, "\x00\xff", 2) != 0)
				ok = 0;
			if (rc == 0)
				flyteidl__core__binary__free_unpacked(b, NULL);
		}
		TAP_OK(ok, "base64: std, url-safe, with and without padding");
	}
	good(bin, "{\"value\":\"\"}", "{}", "empty bytes");
}

static void test_errors(void)
{
	const ProtobufCMessageDescriptor *pd =
	    &flyteidl__admin__project__descriptor;
	const ProtobufCMessageDescriptor *lr =
	    &flyteidl__admin__resource_list_request__descriptor;
	const ProtobufCMessageDescriptor *prim =
	    &flyteidl__core__primitive__descriptor;
	const ProtobufCMessageDescriptor *bin =
	    &flyteidl__core__binary__descriptor;

	/* malformed JSON */
	bad(pd, "", "at byte 0: unexpected end of input", "empty input");
	bad(pd, "  ", "at byte 2: unexpected end of input", "only whitespace");
	bad(pd, "{\"id\":\"abc\"", "at byte 11: unexpected end of input",
	    "truncated object");
	bad(pd, "{\"id\":\"ab", "unterminated string", "truncated string");
	bad(pd, "{\"id\"", "unexpected end of input, expected ':'",
	    "truncated after a key");
	bad(pd, "{\"id\":\"a\",}", "at byte 10: expected a string key",
	    "trailing comma in an object");
	bad(&google__protobuf__list_value__descriptor, "[1,]",
	    "at byte 3: unexpected character ']'",
	    "trailing comma in an array");
	bad(pd, "{\"id\": abc}", "at byte 7: unexpected character 'a'",
	    "bare word");
	bad(prim, "{\"boolean\": tru}", "at byte 12: invalid literal",
	    "bad literal");
	bad(prim, "{\"boolean\": truex}", "at byte 12: invalid literal",
	    "literal running on");
	bad(pd, "{\"id\"  \"x\"}", "at byte 7: expected ':'", "missing colon");
	bad(pd, "{\"id\":\"a\" \"name\":\"b\"}",
	    "at byte 10: expected ',' or '}'", "missing comma");
	bad(pd, "{id:\"a\"}", "at byte 1: expected a string key",
	    "unquoted key");
	bad(pd, "{} {}", "at byte 3: unexpected data after the value",
	    "trailing garbage");
	bad(pd, "{\"id\":\"a\tb\"}", "at byte 8: control character in string",
	    "raw control character in a string");
	bad(lr, "{\"limit\":01}", "at byte 9: invalid number", "leading zero");
	bad(lr, "{\"limit\":1.}", "invalid number", "number ending in '.'");
	bad(lr, "{\"limit\":-}", "invalid number", "lone minus");
	bad(lr, "{\"limit\":+1}", "unexpected character '+'", "leading plus");
	bad(pd, "{\"id\":\"\\x\"}", "invalid escape in string", "bad escape");
	bad(pd, "{\"id\":\"\\u12g4\"}", "invalid \\u escape", "bad \\u escape");

	/* unknown fields */
	bad(pd, "{\"id\":\"a\",\"nope\":1}",
	    "field \"nope\": unknown field in flyteidl.admin.Project",
	    "unknown field named");
	bad(&flyteidl__admin__named_entity_get_request__descriptor,
	    "{\"id\":{\"projet\":\"x\"}}",
	    "field \"id.projet\": unknown field in "
	    "flyteidl.admin.NamedEntityIdentifier",
	    "unknown nested field named by its path");
	bad(pd, "{\"domains\":[{\"id\":\"a\"},{\"nme\":\"b\"}]}",
	    "field \"domains[1].nme\": unknown field", "path through an array");
	bad(pd, "{\"labels\":{\"values\":{\"k\":5}}}",
	    "field \"labels.values[k]\": expected string, got number",
	    "path through a map");
	bad(pd, "{\"@type\":\"x\"}", "field \"@type\": unknown field",
	    "@type outside an Any");

	/* type mismatches */
	bad(pd, "{\"id\":5}", "field \"id\": expected string, got number",
	    "number for a string");
	bad(pd, "{\"labels\":[]}",
	    "field \"labels\": expected an object for flyteidl.admin.Labels, "
	    "got array",
	    "array for a message");
	bad(pd, "{\"domains\":{}}",
	    "field \"domains\": expected array, got "
	    "object",
	    "object for a repeated field");
	bad(pd, "{\"labels\":{\"values\":[]}}", "expected object, got array",
	    "array for a map");
	bad(prim, "{\"boolean\":\"true\"}",
	    "field \"boolean\": expected bool, got string",
	    "string for a bool");
	bad(prim, "{\"boolean\":1}", "expected bool, got number",
	    "number for a bool");
	bad(lr, "{\"limit\":true}",
	    "field \"limit\": expected uint32, got "
	    "boolean",
	    "bool for a uint32");
	bad(pd, "{\"state\":{}}", "expected enum name or number, got object",
	    "object for an enum");
	bad(pd, "{\"state\":\"FOO\"}",
	    "field \"state\": unknown value \"FOO\" for enum "
	    "flyteidl.admin.Project.ProjectState",
	    "unknown enum name");
	bad(pd, "{\"state\":\"1\"}", "unknown value \"1\"",
	    "enum number in a string is a name");
	bad(&google__protobuf__int64_value__descriptor, "null",
	    "top level: expected int64, got null", "top-level null");
	bad(pd, "[]",
	    "top level: expected an object for flyteidl.admin.Project",
	    "top-level array");

	/* ranges */
	bad(lr, "{\"limit\":4294967296}",
	    "field \"limit\": 4294967296 out of range for uint32",
	    "uint32 overflow");
	bad(lr, "{\"limit\":-1}", "field \"limit\": -1 out of range for uint32",
	    "negative uint32");
	bad(lr, "{\"limit\":\"-1\"}", "-1 out of range for uint32",
	    "negative uint32 in a string");
	bad(&google__protobuf__uint64_value__descriptor, "-1",
	    "-1 out of range for uint64", "negative uint64");
	bad(&google__protobuf__int32_value__descriptor, "2147483648",
	    "2147483648 out of range for int32", "int32 overflow");
	bad(&google__protobuf__int32_value__descriptor, "-2147483649",
	    "-2147483649 out of range for int32", "int32 underflow");
	bad(prim, "{\"integer\":\"9223372036854775808\"}",
	    "9223372036854775808 out of range for int64", "int64 overflow");
	bad(prim, "{\"integer\":-9223372036854775809}",
	    "out of range for int64", "int64 underflow");
	bad(&google__protobuf__uint64_value__descriptor, "18446744073709551616",
	    "out of range for uint64", "uint64 overflow");
	bad(prim, "{\"integer\":1e400}", "1e400 out of range for int64",
	    "huge exponent");
	bad(lr, "{\"limit\":1.5}", "field \"limit\": 1.5 is not an integer",
	    "fraction for an integer");
	bad(lr, "{\"limit\":1e-1}", "1e-1 is not an integer",
	    "negative exponent for an integer");
	bad(lr, "{\"limit\":\"12a\"}", "\"12a\" is not a valid uint32",
	    "junk in an integer string");
	bad(lr, "{\"limit\":\" 1\"}", "is not a valid uint32",
	    "space in an integer string");
	bad(&google__protobuf__float_value__descriptor, "1e39",
	    "1e39 out of range for float", "float overflow");
	bad(prim, "{\"floatValue\":1e400}", "1e400 out of range for double",
	    "double overflow");
	bad(prim, "{\"floatValue\":\"nan\"}", "\"nan\" is not a valid double",
	    "lower-case nan");

	/* bytes and strings */
	bad(bin, "{\"value\":\"a\"}", "field \"value\": invalid base64",
	    "base64 of one character");
	bad(bin, "{\"value\":\"ab!d\"}", "invalid base64", "bad base64 letter");
	bad(bin, "{\"value\":\"+_==\"}", "invalid base64",
	    "base64 mixing alphabets");
	bad(bin, "{\"value\":\"a===\"}", "invalid base64", "too much padding");
	bad(bin, "{\"value\":\"ab=c\"}", "invalid base64", "padding inside");
	bad(pd, "{\"id\":\"\xff\"}", "at byte 7: invalid UTF-8 in string",
	    "invalid UTF-8");
	bad(pd, "{\"id\":\"\xc0\xaf\"}", "invalid UTF-8", "overlong UTF-8");
	bad(pd, "{\"id\":\"\xed\xa0\x80\"}", "invalid UTF-8",
	    "UTF-8 encoded surrogate");
	bad(pd, "{\"id\":\"\xe2\x82\"}", "invalid UTF-8", "truncated UTF-8");
	bad(pd, "{\"id\":\"\\ud800\"}", "lone surrogate \\ud800",
	    "lone high surrogate");
	bad(pd, "{\"id\":\"\\ud800\\u0041\"}", "lone surrogate",
	    "high surrogate without a low one");
	bad(pd, "{\"id\":\"\\udc00x\"}", "lone surrogate \\udc00",
	    "lone low surrogate");
	bad(pd, "{\"id\":\"a\\u0000b\"}",
	    "field \"id\": string contains NUL (\\u0000)", "NUL in a string");
	bad(pd, "{\"labels\":{\"values\":{\"a\\u0000\":\"v\"}}}",
	    "string contains NUL", "NUL in a map key");

	/* structure */
	bad(prim, "{\"integer\":1,\"floatValue\":2}",
	    "field \"floatValue\": two members of one oneof set: \"integer\" "
	    "and \"float_value\"",
	    "two oneof members");
	good(prim, "{\"integer\":null,\"floatValue\":2}", "{\"floatValue\":2}",
	     "a null oneof member does not count");
	bad(pd, "{\"id\":\"a\",\"id\":\"b\"}", "field \"id\": duplicate field",
	    "duplicate key");
	bad(lr, "{\"sort_by\":{},\"sortBy\":{}}",
	    "field \"sortBy\": duplicate field",
	    "the same field under both names");
	bad(pd, "{\"labels\":{\"values\":{\"k\":\"a\",\"k\":\"b\"}}}",
	    "field \"labels.values\": duplicate map key \"k\"",
	    "duplicate map key");
	bad(pd, "{\"domains\":[null]}",
	    "field \"domains[0]\": null is not allowed in an array",
	    "null in an array");
	bad(pd, "{\"labels\":{\"values\":{\"k\":null}}}",
	    "null is not allowed as a map value", "null map value");
}

static void test_wkt(void)
{
	const ProtobufCMessageDescriptor *ts =
	    &google__protobuf__timestamp__descriptor;
	const ProtobufCMessageDescriptor *du =
	    &google__protobuf__duration__descriptor;
	const ProtobufCMessageDescriptor *sd =
	    &google__protobuf__struct__descriptor;
	const ProtobufCMessageDescriptor *vd =
	    &google__protobuf__value__descriptor;
	const ProtobufCMessageDescriptor *cl =
	    &flyteidl__admin__execution_closure__descriptor;
	Google__Protobuf__Timestamp *t = NULL;
	int rc;

	good(ts, "\"2024-05-01T12:00:00Z\"", "\"2024-05-01T12:00:00Z\"",
	     "Timestamp");
	good(ts, "\"2024-05-01T14:30:00.5+02:30\"",
	     "\"2024-05-01T12:00:00.500Z\"",
	     "Timestamp with an offset and one fractional digit");
	good(ts, "\"2024-05-01T00:00:00.000000001-01:00\"",
	     "\"2024-05-01T01:00:00.000000001Z\"",
	     "Timestamp with nanoseconds and a negative offset");
	good(ts, "\"0001-01-01T00:00:00Z\"", "\"0001-01-01T00:00:00Z\"",
	     "Timestamp minimum");
	good(ts, "\"9999-12-31T23:59:59.999999999Z\"",
	     "\"9999-12-31T23:59:59.999999999Z\"", "Timestamp maximum");
	good(ts, "\"2000-02-29T00:00:00Z\"", "\"2000-02-29T00:00:00Z\"",
	     "leap day");
	rc = decode(ts, "\"1969-12-31T23:59:59.5Z\"", NULL, NULL,
	            (ProtobufCMessage **)&t);
	TAP_OK(rc == 0 && t && t->seconds == -1 && t->nanos == 500000000,
	       "Timestamp before the epoch: seconds -1, nanos positive");
	if (t)
		google__protobuf__timestamp__free_unpacked(t, NULL);
	bad(ts, "\"2023-02-29T00:00:00Z\"",
	    "top level: invalid timestamp "
	    "\"2023-02-29T00:00:00Z\"",
	    "no leap day in 2023");
	bad(ts, "\"2024-05-01 12:00:00Z\"", "invalid timestamp", "space for T");
	bad(ts, "\"2024-05-01T12:00:00\"", "invalid timestamp", "no zone");
	bad(ts, "\"2024-05-01T12:00:60Z\"", "invalid timestamp", "second 60");
	bad(ts, "\"2024-05-01T12:00:00.Z\"", "invalid timestamp",
	    "empty fraction");
	bad(ts, "\"2024-05-01T12:00:00.1234567891Z\"", "invalid timestamp",
	    "ten fractional digits");
	bad(ts, "\"2024-05-01T12:00:00+2:00\"", "invalid timestamp",
	    "short offset");
	bad(ts, "\"0000-12-31T23:59:59Z\"", "out of range", "year 0");
	bad(ts, "\"0001-01-01T00:30:00+01:00\"", "out of range",
	    "before 0001 after the offset");
	bad(ts, "\"9999-12-31T23:00:00-01:00\"", "out of range",
	    "after 9999 after the offset");
	bad(ts, "1714564800",
	    "expected an RFC 3339 timestamp string, got "
	    "number",
	    "Timestamp from a number");

	good(du, "\"1.5s\"", "\"1.500s\"", "Duration");
	good(du, "\"-0.000000001s\"", "\"-0.000000001s\"",
	     "smallest negative Duration");
	good(du, "\".5s\"", "\"0.500s\"", "Duration without integer part");
	good(du, "\"315576000000s\"", "\"315576000000s\"", "Duration maximum");
	good(du, "\"-315576000000.999999999s\"", "\"-315576000000.999999999s\"",
	     "Duration minimum");
	bad(du, "\"315576000001s\"", "duration \"315576000001s\" out of range",
	    "Duration too long");
	bad(du, "\"1000000000000000000000s\"", "out of range",
	    "Duration of many digits");
	bad(du, "\"1.5\"", "invalid duration \"1.5\"", "Duration without s");
	bad(du, "\"01s\"", "invalid duration", "Duration with a leading zero");
	bad(du, "\"1.s\"", "invalid duration",
	    "Duration with an empty fraction");
	bad(du, "\"+1s\"", "invalid duration", "Duration with a plus");
	bad(du, "\"1.0000000001s\"", "invalid duration",
	    "Duration with ten fractional digits");
	bad(du, "\"s\"", "invalid duration", "Duration of no digits");

	good(cl,
	     "{\"createdAt\":\"2024-05-01T12:00:00Z\",\"duration\":\"3s\","
	     "\"startedAt\":null}",
	     "{\"duration\":\"3s\",\"createdAt\":\"2024-05-01T12:00:00Z\"}",
	     "Timestamp and Duration fields; null leaves one unset");

	good(&google__protobuf__int64_value__descriptor, "\"-5\"", "\"-5\"",
	     "Int64Value from a bare string");
	good(&google__protobuf__bool_value__descriptor, "true", "true",
	     "BoolValue from a bare bool");
	good(&google__protobuf__bytes_value__descriptor, "\"aGk\"", "\"aGk=\"",
	     "BytesValue from bare base64");
	good(&flyteidl__admin__execution_spec__descriptor,
	     "{\"interruptible\":false,\"overwriteCache\":true}",
	     "{\"interruptible\":false,\"overwriteCache\":true}",
	     "BoolValue field set to false is present");
	good(&flyteidl__admin__execution_spec__descriptor,
	     "{\"interruptible\":null}", "{}", "null wrapper field is unset");

	good(sd,
	     "{\"a\":1.5,\"b\":\"x\",\"c\":null,\"d\":[true,{\"e\":[]}],"
	     "\"f\":{}}",
	     "{\"a\":1.5,\"b\":\"x\",\"c\":null,\"d\":[true,{\"e\":[]}],"
	     "\"f\":{}}",
	     "Struct with every kind of Value, nested");
	good(vd, "null", "null", "top-level Value null");
	good(vd, "[null,1e2,\"s\"]", "[null,100,\"s\"]",
	     "Value list with null elements");
	good(&google__protobuf__list_value__descriptor, "[]", "[]",
	     "empty ListValue");
	bad(sd, "[]", "top level: expected object, got array",
	    "Struct from an array");
	bad(sd, "{\"a\":1,\"a\":2}", "duplicate map key \"a\"",
	    "Struct with a duplicate key");
	good(&flyteidl__core__literal__descriptor,
	     "{\"scalar\":{\"generic\":{\"k\":{\"n\":null}}}}",
	     "{\"scalar\":{\"generic\":{\"k\":{\"n\":null}}}}",
	     "Struct field inside flyteidl");
}

static void test_any(void)
{
	const ProtobufCMessageDescriptor *ad =
	    &google__protobuf__any__descriptor;
	Google__Protobuf__Any *a = NULL;
	Flyteidl__Admin__Project *p;
	int rc;

	good(ad,
	     "{\"@type\":\"type.googleapis.com/flyteidl.admin.Project\","
	     "\"id\":\"x\",\"state\":\"ARCHIVED\"}",
	     "{\"@type\":\"type.googleapis.com/flyteidl.admin.Project\","
	     "\"id\":\"x\",\"state\":\"ARCHIVED\"}",
	     "Any of a Project");
	rc = decode(ad,
	            "{\"id\":\"x\",\"labels\":{\"values\":{\"@type\":\"v\"}},"
	            "\"@type\":\"type.googleapis.com/flyteidl.admin.Project\"}",
	            NULL, NULL, (ProtobufCMessage **)&a);
	p = rc == 0 ? flyteidl__admin__project__unpack(NULL, a->value.len,
	                                               a->value.data)
	            : NULL;
	TAP_OK(p &&
	           strcmp(a->type_url,
	                  "type.googleapis.com/flyteidl.admin.Project") == 0 &&
	           strcmp(p->id, "x") == 0 && p->labels &&
	           strcmp(p->labels->values[0]->key, "@type") == 0,
	       "@type after the fields; a nested \"@type\" key is data");
	if (p)
		flyteidl__admin__project__free_unpacked(p, NULL);
	if (a)
		google__protobuf__any__free_unpacked(a, NULL);
	good(ad,
	     "{\"value\":\"1.5s\",\"@type\":\"x/google.protobuf.Duration\"}",
	     "{\"@type\":\"x/google.protobuf.Duration\",\"value\":\"1.500s\"}",
	     "Any of a Duration: \"value\"");
	good(ad,
	     "{\"@type\":\"t/google.protobuf.Any\",\"value\":{\"@type\":"
	     "\"t/google.protobuf.Struct\",\"value\":{\"a\":[1]}}}",
	     "{\"@type\":\"t/google.protobuf.Any\",\"value\":{\"@type\":"
	     "\"t/google.protobuf.Struct\",\"value\":{\"a\":[1]}}}",
	     "Any of an Any of a Struct");
	good(ad, "{}", "{}", "empty Any");
	good(ad, "{\"@type\":\"t/flyteidl.admin.Project\"}",
	     "{\"@type\":\"t/flyteidl.admin.Project\"}",
	     "Any of an empty Project");
	bad(ad, "{\"@type\":\"type.googleapis.com/foo.Bar\",\"a\":1}",
	    "top level: unknown type \"type.googleapis.com/foo.Bar\" in @type",
	    "unknown Any type");
	bad(ad, "{\"id\":\"x\"}", "google.protobuf.Any without \"@type\"",
	    "Any without @type");
	bad(ad, "{\"@type\":\"t/flyteidl.admin.Project\",\"@type\":\"t/x\"}",
	    "field \"@type\": duplicate field", "two @type");
	bad(ad, "{\"@type\":5}", "field \"@type\": expected a type URL string",
	    "@type not a string");
	bad(ad, "{\"@type\":\"t/flyteidl.admin.Project\",\"idd\":\"x\"}",
	    "field \"idd\": unknown field in flyteidl.admin.Project",
	    "unknown field inside an Any");
	bad(ad, "{\"@type\":\"t/google.protobuf.Duration\"}",
	    "google.protobuf.Any holding google.protobuf.Duration needs "
	    "\"value\"",
	    "Any of a Duration without value");
	bad(ad,
	    "{\"@type\":\"t/google.protobuf.Duration\",\"value\":\"1s\","
	    "\"x\":1}",
	    "field \"x\": unknown field in google.protobuf.Any holding "
	    "google.protobuf.Duration",
	    "Any of a Duration with another member");
	bad(ad, "{\"@type\":\"t/flyteidl.admin.Project\",\"id\":\"a\",\"x\":[}",
	    "unexpected character '}'", "syntax error found by the first pass");
	good(&google__protobuf__struct__descriptor, "{\"@type\":1}",
	     "{\"@type\":1}", "\"@type\" is an ordinary key in a Struct");
}

static void test_field_mask(void)
{
	FieldMask *fm = NULL;
	char *json;
	int rc;

	rc = decode(&fm_desc, "\"displayName,spec.fooBarBaz,a.b2\"", NULL, NULL,
	            (ProtobufCMessage **)&fm);
	TAP_OK(rc == 0 && fm && fm->n_paths == 3 &&
	           strcmp(fm->paths[0], "display_name") == 0 &&
	           strcmp(fm->paths[1], "spec.foo_bar_baz") == 0 &&
	           strcmp(fm->paths[2], "a.b2") == 0,
	       "FieldMask paths back to snake_case");
	json = fm ? pbjson_encode(&fm->base, &compact, NULL) : NULL;
	TAP_EQ_STR(json, "\"displayName,spec.fooBarBaz,a.b2\"",
	           "FieldMask encodes back");
	free(json);
	if (fm)
		protobuf_c_message_free_unpacked(&fm->base, NULL);
	good(&fm_desc, "\"\"", "\"\"", "empty FieldMask");
	bad(&fm_desc, "\"a,,b\"", "invalid FieldMask path \"\"",
	    "empty FieldMask path");
	bad(&fm_desc, "\"foo_bar\"", "invalid FieldMask path \"foo_bar\"",
	    "FieldMask path with '_'");
	bad(&fm_desc, "\"a..b\"", "invalid FieldMask path", "double dot");
	bad(&fm_desc, "[\"a\"]", "expected a FieldMask string, got array",
	    "FieldMask from an array");
}

static void test_maps(void)
{
	Maps *m = NULL;
	int rc;

	rc = decode(
	    &maps_desc,
	    "{\"ints\":{\"-5\":\"a\",\"+7\":\"b\"},\"bools\":{\"true\":1,"
	    "\"false\":2}}",
	    NULL, NULL, (ProtobufCMessage **)&m);
	TAP_OK(rc == 0 && m && m->n_ints == 2 && m->ints[0]->key == -5 &&
	           strcmp(m->ints[0]->value, "a") == 0 &&
	           m->ints[1]->key == 7 && m->n_bools == 2 &&
	           m->bools[0]->key && !m->bools[1]->key &&
	           m->bools[1]->value == 2,
	       "maps with int32 and bool keys");
	if (m)
		protobuf_c_message_free_unpacked(&m->base, NULL);
	bad(&maps_desc, "{\"ints\":{\"1.0\":\"a\"}}",
	    "field \"ints[1.0]\": \"1.0\" is not a valid int32",
	    "int32 map key in decimal only");
	bad(&maps_desc, "{\"ints\":{\"2147483648\":\"a\"}}",
	    "2147483648 out of range for int32", "int32 map key out of range");
	bad(&maps_desc, "{\"ints\":{\"1\":\"a\",\"01\":\"b\"}}",
	    "field \"ints\": duplicate map key", "duplicate int map key");
	bad(&maps_desc, "{\"bools\":{\"True\":1}}",
	    "field \"bools[True]\": map key is not a valid bool",
	    "bool map key");
}

static void test_opts(void)
{
	const ProtobufCMessageDescriptor *pd =
	    &flyteidl__admin__project__descriptor;
	const ProtobufCMessageDescriptor *sd =
	    &google__protobuf__struct__descriptor;
	struct pbjson_read_opts ign = {1, 0}, deep = {0, 100}, shallow = {0, 3};
	char json[400];
	int i;

	good_o(
	    pd,
	    "{\"x\":{\"y\":[1,{\"z\":null}]},\"id\":\"a\",\"state\":\"NOPE\","
	    "\"labels\":{\"values\":{\"k\":\"v\"},\"w\":\"\\u00e9\"}}",
	    &ign, "{\"id\":\"a\",\"labels\":{\"values\":{\"k\":\"v\"}}}",
	    "ignore_unknown skips unknown fields and enum names");
	bad_o(pd, "{\"x\":[1,}", &ign, "unexpected character '}'",
	      "ignore_unknown still checks the syntax of what it skips");
	bad_o(pd, "{\"x\":\"\\ud800\"}", &ign, "lone surrogate",
	      "... and the strings");

	/* 65 nested lists inside a Struct */
	strcpy(json, "{\"a\":");
	for (i = 0; i < 64; i++)
		strcat(json, "[");
	for (i = 0; i < 64; i++)
		strcat(json, "]");
	strcat(json, "}");
	bad(sd, json, "nesting deeper than 64", "default depth limit 64");
	good_o(sd, json, &deep, json + 0, "max_depth 100 allows 65 levels");
	good_o(sd, "{\"a\":{\"b\":{}}}", &shallow, "{\"a\":{\"b\":{}}}",
	       "max_depth 3 allows 3 levels");
	bad_o(sd, "{\"a\":{\"b\":{\"c\":{}}}}", &shallow,
	      "at byte 15: nesting deeper than 3", "... but not 4");
	bad_o(pd, "{\"x\":{\"y\":{\"z\":{}}}}",
	      &(struct pbjson_read_opts){1, 3}, "nesting deeper than 3",
	      "the limit also holds in skipped values");
}

/* An allocator that fails after `budget` allocations and counts. */
struct counting {
	long live, budget;
};

static void *c_alloc(void *data, size_t n)
{
	struct counting *c = data;

	if (c->budget-- <= 0)
		return NULL;
	c->live++;
	return malloc(n);
}

static void c_free(void *data, void *p)
{
	struct counting *c = data;

	c->live--;
	free(p);
}

static void test_alloc(void)
{
	static const char doc[] =
	    "{\"@type\":\"t/flyteidl.admin.Project\",\"id\":\"a\",\"domains\":"
	    "[{\"id\":\"d1\"},{\"id\":\"d2\"},{\"id\":\"d3\"},{\"id\":\"d4\"},"
	    "{\"id\":\"d5\"}],\"labels\":{\"values\":{\"k\":\"v\",\"k2\":\"v\"}"
	    "}}";
	struct counting c;
	ProtobufCAllocator a = {c_alloc, c_free, &c};
	ProtobufCMessage *m;
	long b;
	int rc, ok = 1, leaks = 0;

	for (b = 0;; b++) {
		c.live = 0;
		c.budget = b;
		m = NULL;
		rc = decode(&google__protobuf__any__descriptor, doc, NULL, &a,
		            &m);
		if (rc == 0)
			break;
		if (errno != ENOMEM || m || !strstr(err, "out of memory"))
			ok = 0;
		if (c.live)
			leaks++;
		if (b > 1000)
			break;
	}
	TAP_OK(ok && rc == 0, "ENOMEM at each of %ld allocations", b);
	TAP_OK(!leaks, "nothing left allocated after any of them");
	if (rc == 0) {
		protobuf_c_message_free_unpacked(m, &a);
		TAP_EQ_INT(c.live, 0,
		           "free_unpacked with the allocator frees it all");
	}
}

/* Every prefix of a valid document fails cleanly; the whole one decodes. */
static void test_prefixes(void)
{
	static const char doc[] =
	    "{\"scalar\":{\"primitive\":{\"floatValue\":-1.5e+3}},\"hash\":"
	    "\"h\\u00e9\\ud834\\udd1e\",\"metadata\":{\"k\":\"v\"},"
	    "\"x\":[true,false,null,{\"a\":\"b\"}]}";
	struct pbjson_read_opts o = {1, 0};
	size_t n = strlen(doc), k;
	ProtobufCMessage *m;
	int bad_prefix = 0, rc;

	for (k = 0; k <= n; k++) {
		char *copy = malloc(k ? k : 1);

		memcpy(copy, doc, k);
		m = NULL;
		rc = pbjson_decode(&flyteidl__core__literal__descriptor, copy,
		                   k, &o, NULL, &m, err, sizeof err);
		if ((rc == 0) != (k == n))
			bad_prefix++;
		if (m)
			protobuf_c_message_free_unpacked(m, NULL);
		free(copy);
	}
	TAP_EQ_INT(bad_prefix, 0,
	           "each of %zu prefixes fails, the whole "
	           "document decodes",
	           n);
	rc = pbjson_decode(&flyteidl__core__literal__descriptor, NULL, 0, NULL,
	                   NULL, &m, NULL, 0);
	TAP_OK(rc < 0 && errno == EINVAL && !m,
	       "NULL input of length 0, no error buffer");
	rc = pbjson_decode(NULL, "{}", 2, NULL, NULL, &m, err, sizeof err);
	TAP_OK(rc < 0 && errno == EINVAL, "NULL descriptor");
	rc = pbjson_decode(&flyteidl__admin__project__descriptor,
	                   "{\"id\":\"abc\"}", 8, NULL, NULL, &m, err, 8);
	TAP_OK(rc < 0 && strlen(err) == 7, "error truncated to errlen");
}

/* ---- set_path --------------------------------------------------------- */

static void set_ok(ProtobufCMessage *m, const char *path, const char *value)
{
	if (!TAP_OK(pbjson_set_path(m, path, value, NULL, err, sizeof err) == 0,
	            "set %s = %s", path, value))
		tap_diag("%s", err);
}

static void set_bad(ProtobufCMessage *m, const char *path, const char *value,
                    const char *want)
{
	int rc;

	err[0] = '\0';
	errno = 0;
	rc = pbjson_set_path(m, path, value, NULL, err, sizeof err);
	if (!TAP_OK(rc == -1 && errno == EINVAL && strstr(err, want),
	            "set %s = %s fails", path, value))
		tap_diag("rc %d, error \"%s\", want \"%s\"", rc, err, want);
}

static void check_json(ProtobufCMessage *m, const char *want, const char *what)
{
	char *got = pbjson_encode(m, &compact, NULL);

	TAP_EQ_STR(got, want, "%s", what);
	free(got);
}

static void test_set_path(void)
{
	ProtobufCMessage *m, *n;

	m = pbjson_message_new(
	    &flyteidl__admin__resource_list_request__descriptor, NULL);
	TAP_OK(m != NULL, "pbjson_message_new");
	if (!m)
		return;
	set_ok(m, "id.project", "flytesnacks");
	set_ok(m, "id.domain", "development");
	set_ok(m, "sort_by.key", "created_at");
	set_ok(m, "sortBy.direction", "ASCENDING");
	set_ok(m, "limit", "+20");
	set_ok(m, "token", "first");
	set_ok(m, "token", "t\xc3\xa9");
	check_json(m,
	           "{\"id\":{\"project\":\"flytesnacks\",\"domain\":"
	           "\"development\"},\"limit\":20,\"token\":\"t\xc3\xa9\","
	           "\"sortBy\":{\"key\":\"created_at\",\"direction\":"
	           "\"ASCENDING\"}}",
	           "nested messages created, enum by name, replaced string");
	set_ok(m, "sort_by.direction", "0");
	check_json(m,
	           "{\"id\":{\"project\":\"flytesnacks\",\"domain\":"
	           "\"development\"},\"limit\":20,\"token\":\"t\xc3\xa9\","
	           "\"sortBy\":{\"key\":\"created_at\"}}",
	           "enum by number");
	set_bad(m, "limit", "-1",
	        "field \"limit\": -1 out of range for uint32");
	set_bad(m, "limit", "1e2", "\"1e2\" is not a valid uint32");
	set_bad(m, "limit", "", "\"\" is not a valid uint32");
	set_bad(m, "sort_by.direction", "UP",
	        "unknown value \"UP\" for enum flyteidl.admin.Sort.Direction");
	set_bad(m, "nosuch", "x",
	        "no field \"nosuch\" in flyteidl.admin.ResourceListRequest");
	set_bad(m, "sort_by.nokey", "x",
	        "no field \"nokey\" in "
	        "flyteidl.admin.Sort");
	set_bad(m, "sort_by..key", "x",
	        "field \"sort_by..key\": no field \"\"");
	set_bad(m, "sort_by", "x",
	        "a message field (flyteidl.admin.Sort) cannot be set from a "
	        "string");
	set_bad(m, "limit.x", "1", "\"limit\" is a uint32 field");
	set_bad(m, "token", "\xff", "invalid UTF-8");
	protobuf_c_message_free_unpacked(m, NULL);

	m = pbjson_message_new(&flyteidl__admin__project__descriptor, NULL);
	if (!m)
		return;
	set_bad(m, "domains.id", "x", "\"domains\" is a repeated field");
	set_bad(m, "labels.values", "x", "\"values\" is a map field");
	set_bad(m, "labels.values.k", "x", "\"values\" is a map field");
	set_ok(m, "state", "SYSTEM_ARCHIVED");
	check_json(m, "{\"labels\":{},\"state\":\"SYSTEM_ARCHIVED\"}",
	           "a failed path may leave an empty intermediate message");
	protobuf_c_message_free_unpacked(m, NULL);

	m = pbjson_message_new(
	    &flyteidl__admin__execution_queue_attributes__descriptor, NULL);
	if (!m)
		return;
	set_ok(m, "tags", "a");
	set_ok(m, "tags", "b");
	set_ok(m, "tags", "c");
	check_json(m, "{\"tags\":[\"a\",\"b\",\"c\"]}",
	           "repeated fields append");
	protobuf_c_message_free_unpacked(m, NULL);

	m = pbjson_message_new(&flyteidl__core__literal__descriptor, NULL);
	if (!m)
		return;
	set_ok(m, "scalar.primitive.integer", "-42");
	set_ok(m, "scalar.primitive.integer", "43");
	set_bad(m, "scalar.primitive.float_value", "1",
	        "another member of the oneof of \"float_value\" is set");
	set_bad(m, "collection.literals", "1",
	        "another member of the oneof of \"collection\" is set");
	set_bad(m, "scalar.binary.value", "-_8",
	        "another member of the oneof of \"binary\" is set");
	check_json(m, "{\"scalar\":{\"primitive\":{\"integer\":\"43\"}}}",
	           "oneof members created along the path; another member of a "
	           "set oneof refused");
	protobuf_c_message_free_unpacked(m, NULL);

	n = pbjson_message_new(&flyteidl__core__binary__descriptor, NULL);
	if (!n)
		return;
	set_ok(n, "value", "-_8");
	set_ok(n, "value", "+/8=");
	set_ok(n, "tag", "t");
	check_json(n, "{\"value\":\"+/8=\",\"tag\":\"t\"}",
	           "bytes from base64");
	set_bad(n, "value", "a", "invalid base64");
	protobuf_c_message_free_unpacked(n, NULL);

	m = pbjson_message_new(&flyteidl__core__primitive__descriptor, NULL);
	if (!m)
		return;
	set_ok(m, "floatValue", "-Infinity");
	check_json(m, "{\"floatValue\":\"-Infinity\"}", "double -Infinity");
	protobuf_c_message_free_unpacked(m, NULL);
	m = pbjson_message_new(&flyteidl__core__primitive__descriptor, NULL);
	if (!m)
		return;
	set_ok(m, "float_value", "2.5e3");
	set_bad(m, "float_value", " 1", "\" 1\" is not a valid double");
	set_bad(m, "float_value", "1e999", "out of range for double");
	set_ok(m, "float_value", "NaN");
	protobuf_c_message_free_unpacked(m, NULL);
	m = pbjson_message_new(&flyteidl__core__primitive__descriptor, NULL);
	if (!m)
		return;
	set_ok(m, "boolean", "true");
	set_bad(m, "boolean", "1", "expected true or false");
	check_json(m, "{\"boolean\":true}", "bool");
	protobuf_c_message_free_unpacked(m, NULL);

	m = pbjson_message_new(&flyteidl__admin__execution_closure__descriptor,
	                       NULL);
	if (!m)
		return;
	set_ok(m, "created_at", "2024-05-01T14:00:00+02:00");
	set_ok(m, "createdAt", "2024-05-01T12:00:00.5Z");
	set_ok(m, "duration", "1.5s");
	set_bad(m, "duration", "1.5", "invalid duration \"1.5\"");
	set_bad(m, "started_at", "yesterday", "invalid timestamp");
	check_json(m,
	           "{\"duration\":\"1.500s\",\"createdAt\":"
	           "\"2024-05-01T12:00:00.500Z\"}",
	           "Timestamp and Duration from text, replaced");
	protobuf_c_message_free_unpacked(m, NULL);

	m = pbjson_message_new(&flyteidl__admin__execution_spec__descriptor,
	                       NULL);
	if (!m)
		return;
	set_ok(m, "interruptible", "false");
	set_bad(m, "interruptible", "no", "expected true or false");
	check_json(m, "{\"interruptible\":false}", "wrapper from text");
	set_bad(m, "metadata", "x", "cannot be set from a string");
	protobuf_c_message_free_unpacked(m, NULL);

	m = pbjson_message_new(&fm_desc, NULL);
	if (!m)
		return;
	set_ok(m, "paths", "a.b_c");
	check_json(m, "\"a.bC\"", "repeated string of a FieldMask");
	protobuf_c_message_free_unpacked(m, NULL);
}

int main(void)
{
	test_basic();
	test_scalars();
	test_errors();
	test_wkt();
	test_any();
	test_field_mask();
	test_maps();
	test_opts();
	test_alloc();
	test_prefixes();
	test_set_path();
	return tap_done();
}
