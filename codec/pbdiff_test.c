/*
 * pbdiff_test.c -- field-by-field comparison and the canonical digest on
 * flyteidl messages (TaskSpec, Project/Labels, Literal), the well-known
 * types and a proto2 type (descriptor.proto).  TAP.
 *
 * Most fixtures are JSON read with pbjson_decode, variants made by
 * replacing one piece of the text; map order, NULL elements, protobuf-c's
 * empty-string sentinel and unknown fields are set up by hand.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "pbdiff.h"
#include "pbjson.h"

#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/security.pb-c.h"
#include "flyteidl/core/types.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

/* protobuf-c fields are char *; the tests never write through them */
#define S(lit) ((char *)(lit))

static const char task_json[] =
    "{\"template\": {"
    " \"id\": {\"resourceType\": \"TASK\", \"project\": \"p\","
    "  \"domain\": \"development\", \"name\": \"t\", \"version\": \"v1\"},"
    " \"type\": \"python-task\","
    " \"metadata\": {\"runtime\": {\"type\": \"FLYTE_SDK\","
    "   \"version\": \"1.10.0\", \"flavor\": \"python\"},"
    "  \"retries\": {\"retries\": 3}, \"timeout\": \"60s\","
    "  \"tags\": {\"team\": \"ml\", \"tier\": \"gold\"}},"
    " \"interface\": {"
    "  \"inputs\": {\"variables\": {"
    "   \"x\": {\"type\": {\"simple\": \"INTEGER\"}, \"description\": \"x\"},"
    "   \"y\": {\"type\": {\"simple\": \"STRING\"}}}},"
    "  \"outputs\": {\"variables\": {"
    "   \"o0\": {\"type\": {\"simple\": \"INTEGER\"}}}}},"
    " \"custom\": {\"k\": \"v\", \"n\": 1.5,"
    "  \"nested\": {\"deep\": [1, \"two\", {\"three\": true}]}},"
    " \"container\": {\"image\": \"ghcr.io/a:1\","
    "  \"args\": [\"pyflyte-execute\", \"--inputs\", \"{{.input}}\"],"
    "  \"env\": [{\"key\": \"A\", \"value\": \"1\"}]},"
    " \"config\": {\"c1\": \"x\", \"c2\": \"y\", \"c3\": \"z\"}"
    "}}";

/* json with its one occurrence of from replaced by to; malloc'd. */
static char *replace(const char *json, const char *from, const char *to)
{
	const char *at = strstr(json, from);
	size_t n = strlen(json), nf = strlen(from), nt = strlen(to);
	char *s;

	if (!at || strstr(at + 1, from)) {
		tap_diag("fixture: \"%s\" not found once", from);
		return NULL;
	}
	s = malloc(n - nf + nt + 1);
	if (!s)
		return NULL;
	memcpy(s, json, (size_t)(at - json));
	memcpy(s + (at - json), to, nt);
	memcpy(s + (at - json) + nt, at + nf, n - (size_t)(at - json) - nf + 1);
	return s;
}

static ProtobufCMessage *decode(const ProtobufCMessageDescriptor *d,
                                const char *json)
{
	ProtobufCMessage *m = NULL;
	char err[256];

	if (!json)
		return NULL;
	if (pbjson_decode(d, json, strlen(json), NULL, NULL, &m, err,
	                  sizeof err) < 0)
		tap_diag("fixture does not decode: %s", err);
	return m;
}

static void release(ProtobufCMessage *m)
{
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
}

/* Digests of a and b equal?  -1 when either fails. */
static int same_digest(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	uint8_t da[32], db[32];

	if (pbdiff_digest(a, da) < 0 || pbdiff_digest(b, db) < 0)
		return -1;
	return memcmp(da, db, 32) == 0;
}

/* a and b differ and want names the first difference (want NULL: they
 * are equal); the digests agree with that, and b against a differs too. */
static void check(const ProtobufCMessage *a, const ProtobufCMessage *b,
                  const char *want, const char *what)
{
	char buf[512];
	int rc;

	if (!a || !b) {
		TAP_OK(0, "%s: fixtures", what);
		return;
	}
	rc = pbdiff_first(a, b, buf, sizeof buf);
	TAP_EQ_INT(rc, want ? 1 : 0, "%s: %s", what,
	           want ? "differ" : "equal");
	TAP_EQ_STR(buf, want ? want : "", "%s: message", what);
	TAP_EQ_INT(same_digest(a, b), want ? 0 : 1, "%s: digests %s", what,
	           want ? "differ" : "equal");
	TAP_EQ_INT(pbdiff_first(b, a, NULL, 0), want ? 1 : 0,
	           "%s: reversed", what);
}

/* The base task against a variant of its JSON. */
static void task_variant(const ProtobufCMessage *base, const char *from,
                         const char *to, const char *want, const char *what)
{
	char *json = replace(task_json, from, to);
	ProtobufCMessage *m = decode(&flyteidl__admin__task_spec__descriptor,
	                             json);

	check(base, m, want, what);
	release(m);
	free(json);
}

/* The entries of a map field, untyped. */
static ProtobufCMessage **entries(void *arr)
{
	return arr;
}

static void swap(ProtobufCMessage **arr, size_t i, size_t j)
{
	ProtobufCMessage *t = arr[i];

	arr[i] = arr[j];
	arr[j] = t;
}

/* ---- TaskSpec ----------------------------------------------------------- */

static void test_task(void)
{
	const ProtobufCMessageDescriptor *d =
	    &flyteidl__admin__task_spec__descriptor;
	ProtobufCMessage *a = decode(d, task_json), *b = decode(d, task_json);
	Flyteidl__Admin__TaskSpec *tb = (Flyteidl__Admin__TaskSpec *)b;
	Flyteidl__Core__TaskTemplate *t;
	uint8_t *ca = NULL, *cb = NULL, *pa = NULL, *pb = NULL;
	size_t na = 0, nb = 0, sz;
	uint8_t d1[32], d2[32];
	char hex[65];
	char err[256];

	if (!a || !b) {
		TAP_OK(0, "task fixtures decode");
		goto out;
	}
	t = tb->template_;

	check(a, b, NULL, "identical tasks");
	TAP_EQ_INT(pbdiff_first(a, a, NULL, 0), 0, "a task equals itself");
	TAP_OK(pbdiff_digest(a, d1) == 0 && pbdiff_digest(a, d2) == 0 &&
	           memcmp(d1, d2, 32) == 0,
	       "the same task digests the same twice");
	pbdiff_hex(d1, hex);
	TAP_OK(strlen(hex) == 64 && strspn(hex, "0123456789abcdef") == 64,
	       "hex digest: 64 lowercase hex digits (%s)", hex);

	/* Every map of the template in another insertion order. */
	swap(entries(t->config), 0, 2);
	swap(entries(t->metadata->tags), 0, 1);
	swap(entries(t->interface->inputs->variables), 0, 1);
	swap(entries(t->custom->fields), 0, 2);
	check(a, b, NULL, "maps in another order");
	sz = protobuf_c_message_get_packed_size(a);
	pa = malloc(sz);
	pb = malloc(sz);
	if (pa && pb) {
		protobuf_c_message_pack(a, pa);
		protobuf_c_message_pack(b, pb);
	}
	TAP_OK(pa && pb && memcmp(pa, pb, sz) != 0,
	       "protobuf-c packs the reordered maps differently");
	ca = pbdiff_canonical(a, &na);
	cb = pbdiff_canonical(b, &nb);
	TAP_OK(ca && cb && na == nb && memcmp(ca, cb, na) == 0,
	       "canonical bytes of the reordered maps are the same");
	TAP_EQ_INT(na, sz, "canonical size is the packed size");

	/* The canonical bytes are protobuf and read back the same. */
	if (ca) {
		ProtobufCMessage *r;
		uint8_t *cr = NULL;
		size_t nr = 0;

		r = protobuf_c_message_unpack(d, NULL, na, ca);
		TAP_OK(r && pbdiff_first(a, r, NULL, 0) == 0,
		       "canonical bytes unpack to an equal task");
		cr = r ? pbdiff_canonical(r, &nr) : NULL;
		TAP_OK(cr && nr == na && memcmp(cr, ca, na) == 0,
		       "and to the same canonical bytes");
		free(cr);
		release(r);
	}

	/* proto3 keeps a message field's presence: unset != set but empty. */
	t->security_context = (Flyteidl__Core__SecurityContext *)
	    pbjson_message_new(&flyteidl__core__security_context__descriptor,
	                       NULL);
	check(a, b, "template.security_context: unset != set",
	      "unset vs set-but-empty sub-message");
	release(&t->security_context->base);
	t->security_context = NULL;

	/* Through pbjson_set_path, the way a request gets edited. */
	if (pbjson_set_path(b, "template.container.image", "ghcr.io/a:2", NULL,
	                    err, sizeof err) < 0)
		tap_diag("set_path: %s", err);
	check(a, b, "template.container.image: \"ghcr.io/a:1\" != "
	            "\"ghcr.io/a:2\"", "image changed (set_path)");

out:
	free(ca);
	free(cb);
	free(pa);
	free(pb);
	release(a);
	release(b);
}

static void test_task_variants(void)
{
	const ProtobufCMessageDescriptor *d =
	    &flyteidl__admin__task_spec__descriptor;
	ProtobufCMessage *base = decode(d, task_json);
	char *json;

	if (!base) {
		TAP_OK(0, "task fixture decodes");
		return;
	}
	task_variant(base, "\"ghcr.io/a:1\"", "\"ghcr.io/a:2\"",
	             "template.container.image: \"ghcr.io/a:1\" != "
	             "\"ghcr.io/a:2\"",
	             "image");
	task_variant(base,
	             "\"x\": {\"type\": {\"simple\": \"INTEGER\"}, "
	             "\"description\": \"x\"},",
	             "",
	             "template.interface.inputs.variables[\"x\"]: only in the "
	             "first",
	             "input variable removed");
	task_variant(base, "\"o0\": {", "\"o1\": {\"description\": \"new\"}, "
	                                "\"o0\": {",
	             "template.interface.outputs.variables[\"o1\"]: only in "
	             "the second",
	             "output variable added");
	task_variant(base, "\"k\": \"v\"", "\"k\": \"w\"",
	             "template.custom.fields[\"k\"].string_value: \"v\" != "
	             "\"w\"",
	             "struct value");
	/* number_value (2) comes before string_value (3) */
	task_variant(base, "\"k\": \"v\"", "\"k\": 7",
	             "template.custom.fields[\"k\"].number_value: unset != 7",
	             "struct value of another kind (oneof case)");
	task_variant(base, ", \"{{.input}}\"]", "]",
	             "template.container.args: 3 elements != 2",
	             "one argument fewer");
	task_variant(base, "\"{{.input}}\"]", "\"{{.input}}\", \"x\"]",
	             "template.container.args: 3 elements != 4",
	             "one argument more");
	task_variant(base, "\"--inputs\"", "\"b\"",
	             "template.container.args[1]: \"--inputs\" != \"b\"",
	             "argument changed");
	task_variant(base, "\"args\": [\"pyflyte-execute\", \"--inputs\"",
	             "\"args\": [\"--inputs\", \"pyflyte-execute\"",
	             "template.container.args[0]: \"pyflyte-execute\" != "
	             "\"--inputs\"",
	             "arguments in another order (lists keep order)");
	task_variant(base, "{\"retries\": 3}", "{\"retries\": 0}",
	             "template.metadata.retries.retries: 3 != 0",
	             "proto3 scalar to its zero value");
	task_variant(base, "\"retries\": {\"retries\": 3}", "\"retries\": {}",
	             "template.metadata.retries.retries: 3 != 0",
	             "proto3 scalar left out");
	task_variant(base, "\"resourceType\": \"TASK\"",
	             "\"resourceType\": \"WORKFLOW\"",
	             "template.id.resource_type: TASK != WORKFLOW", "enum");
	task_variant(base, "\"timeout\": \"60s\"", "\"timeout\": \"61s\"",
	             "template.metadata.timeout.seconds: 60 != 61",
	             "duration");
	task_variant(base, "\"timeout\": \"60s\",", "",
	             "template.metadata.timeout: set != unset",
	             "sub-message unset");
	task_variant(base, "\"timeout\": \"60s\"", "\"timeout\": \"0s\"",
	             "template.metadata.timeout.seconds: 60 != 0",
	             "sub-message empty but set");
	task_variant(base, "\"tier\": \"gold\"", "\"tier\": \"silver\"",
	             "template.metadata.tags[\"tier\"]: \"gold\" != \"silver\"",
	             "map<string,string> value");
	task_variant(base, "\"c3\": \"z\"", "\"c0\": \"z\"",
	             "template.config[\"c0\"]: only in the second",
	             "map key renamed: the smallest key first");
	task_variant(base, "{\"three\": true}", "{\"three\": false}",
	             "template.custom.fields[\"nested\"].struct_value."
	             "fields[\"deep\"].list_value.values[2].struct_value."
	             "fields[\"three\"].bool_value: true != false",
	             "deep in a Struct");
	task_variant(base, "\"type\": \"python-task\",", "",
	             "template.type: \"python-task\" != \"\"",
	             "proto3 string left out");
	task_variant(base, "\"env\": [{\"key\": \"A\", \"value\": \"1\"}]",
	             "\"env\": [{\"key\": \"A\", \"value\": \"2\"}]",
	             "template.container.env[0].value: \"1\" != \"2\"",
	             "repeated message element");
	/* Two changes: metadata (3) comes before container (6). */
	json = replace(task_json, "\"flavor\": \"python\"",
	               "\"flavor\": \"pythn\"");
	if (json) {
		char *json2 = replace(json, "\"ghcr.io/a:1\"",
		                      "\"ghcr.io/a:2\"");
		ProtobufCMessage *m = decode(d, json2);

		check(base, m,
		      "template.metadata.runtime.flavor: \"python\" != "
		      "\"pythn\"",
		      "first difference in field-number order");
		release(m);
		free(json2);
	}
	free(json);
	release(base);
}

/* Long strings: cut to about 60 characters around the difference. */
static void test_long(void)
{
	Flyteidl__Core__Identifier a = FLYTEIDL__CORE__IDENTIFIER__INIT;
	Flyteidl__Core__Identifier b = FLYTEIDL__CORE__IDENTIFIER__INIT;
	char sa[128], sb[128], want[256], got[512], run[32];
	int i;

	for (i = 0; i < 100; i++)
		sa[i] = sb[i] = (char)('a' + i % 26);
	sa[100] = sb[100] = '\0';
	sb[80] = 'X';
	a.name = sa;
	b.name = sb;
	memcpy(run, sa + 60, 20);
	run[20] = '\0';
	/* from 20 before the difference, 60 characters, then "..." */
	snprintf(want, sizeof want, "name: \"...%s%.40s\" != \"...%sX%.39s\"",
	         run, sa + 80, run, sa + 81);
	TAP_EQ_INT(pbdiff_first(&a.base, &b.base, got, sizeof got), 1,
	           "long strings differ");
	TAP_EQ_STR(got, want, "long strings: cut around the difference");

	sb[80] = sa[80];
	sb[5] = '"';
	TAP_EQ_INT(pbdiff_first(&a.base, &b.base, got, sizeof got), 1,
	           "escapes: differ");
	snprintf(want, sizeof want,
	         "name: \"%.60s...\" != \"%.5s\\\"%.54s...\"", sa, sa,
	         sa + 6);
	TAP_EQ_STR(got, want, "long strings: start, escapes");

	a.name = S("tab\there \xc3\xa9 \x01");
	b.name = S("tab\there \xc3\xa9 \x02");
	pbdiff_first(&a.base, &b.base, got, sizeof got);
	TAP_EQ_STR(got, "name: \"tab\\there \xc3\xa9 \\x01\" != "
	                "\"tab\\there \xc3\xa9 \\x02\"",
	           "control characters escaped, UTF-8 kept");

	/* the caller's buffer: cut, or none at all */
	a.name = S("abc");
	b.name = S("abd");
	TAP_EQ_INT(pbdiff_first(&a.base, &b.base, got, 10), 1,
	           "small buffer: still 1");
	TAP_EQ_STR(got, "name: \"ab", "small buffer: cut, NUL-terminated");
	TAP_EQ_INT(pbdiff_first(&a.base, &b.base, NULL, 0), 1,
	           "no buffer: still 1");
}

/* ---- Project and Labels --------------------------------------------- */

struct proj {
	Flyteidl__Admin__Project p;
	Flyteidl__Admin__Labels labels;
	Flyteidl__Admin__Labels__ValuesEntry e[3];
	Flyteidl__Admin__Labels__ValuesEntry *ep[3];
};

/* A project with labels k[i] = v[i], i < n. */
static void proj_init(struct proj *f, size_t n, const char *const *k,
                      const char *const *v)
{
	size_t i;

	flyteidl__admin__project__init(&f->p);
	flyteidl__admin__labels__init(&f->labels);
	f->p.id = S("flytesnacks");
	f->p.name = S("Flyte Snacks");
	for (i = 0; i < n; i++) {
		flyteidl__admin__labels__values_entry__init(&f->e[i]);
		f->e[i].key = S(k[i]);
		f->e[i].value = S(v[i]);
		f->ep[i] = &f->e[i];
	}
	f->labels.n_values = n;
	f->labels.values = f->ep;
	f->p.labels = &f->labels;
}

static void test_project(void)
{
	static const char *const k1[] = {"team", "env"}, *v1[] = {"ml", "prod"};
	static const char *const k2[] = {"env", "team"}, *v2[] = {"prod", "ml"};
	static const char *const k3[] = {"env", "team"}, *v3[] = {"dev", "ml"};
	static const char *const k4[] = {"env", "team", "env"},
	                         *v4[] = {"dev", "ml", "prod"};
	static const char *const k5[] = {"env"}, *v5[] = {"prod"};
	struct proj a, b;
	uint8_t *c, *p;
	size_t nc = 0, np;

	proj_init(&a, 2, k1, v1);
	proj_init(&b, 2, k2, v2);
	check(&a.p.base, &b.p.base, NULL, "labels in another order");
	proj_init(&b, 2, k3, v3);
	check(&a.p.base, &b.p.base,
	      "labels.values[\"env\"]: \"prod\" != \"dev\"", "label value");
	proj_init(&b, 3, k4, v4);
	check(&a.p.base, &b.p.base, NULL,
	      "the same key twice: the last one counts");
	proj_init(&b, 1, k5, v5);
	check(&a.p.base, &b.p.base,
	      "labels.values[\"team\"]: only in the first", "label removed");
	proj_init(&b, 2, k1, v1);
	b.p.state = FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ARCHIVED;
	check(&a.p.base, &b.p.base, "state: ACTIVE != ARCHIVED", "enum");
	b.p.labels = NULL;
	check(&a.p.base, &b.p.base, "labels: set != unset", "labels unset");
	proj_init(&b, 0, k5, v5);
	check(&a.p.base, &b.p.base,
	      "labels.values[\"env\"]: only in the first",
	      "labels set, but no entries");

	/* A NULL entry reads as an empty one (key "", no value). */
	proj_init(&a, 1, k5, v5);
	a.e[0].key = S("");
	a.e[0].value = S("");
	b = a;
	b.ep[0] = NULL;
	b.labels.values = b.ep;
	b.p.labels = &b.labels;
	check(&a.p.base, &b.p.base, NULL, "NULL map entry = empty entry");

	/* With no map of two entries the bytes are protobuf-c's. */
	proj_init(&b, 1, k5, v5);
	b.p.state = FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ARCHIVED;
	c = pbdiff_canonical(&b.p.base, &nc);
	np = protobuf_c_message_get_packed_size(&b.p.base);
	p = malloc(np);
	if (p)
		protobuf_c_message_pack(&b.p.base, p);
	TAP_OK(c && p && nc == np && memcmp(c, p, np) == 0,
	       "one-entry map: canonical bytes = protobuf_c_message_pack's");
	free(c);
	free(p);
}

/* ---- Literal: oneofs, floats, bytes, NULL elements ---------------------- */

static void literal_pair(const char *ja, const char *jb, const char *want,
                         const char *what)
{
	const ProtobufCMessageDescriptor *d =
	    &flyteidl__core__literal__descriptor;
	ProtobufCMessage *a = decode(d, ja), *b = decode(d, jb);

	check(a, b, want, what);
	release(a);
	release(b);
}

static void test_literal(void)
{
	Flyteidl__Core__LiteralCollection ca =
	    FLYTEIDL__CORE__LITERAL_COLLECTION__INIT;
	Flyteidl__Core__LiteralCollection cb =
	    FLYTEIDL__CORE__LITERAL_COLLECTION__INIT;
	Flyteidl__Core__Literal lit = FLYTEIDL__CORE__LITERAL__INIT;
	Flyteidl__Core__Literal *la[1] = {NULL}, *lb[1] = {&lit};
	Flyteidl__Core__Binary ba = FLYTEIDL__CORE__BINARY__INIT;
	Flyteidl__Core__Binary bb = FLYTEIDL__CORE__BINARY__INIT;
	uint8_t xa[40], xb[40];
	char want[256], *w;
	size_t i;

	literal_pair("{\"scalar\": {\"primitive\": {\"integer\": \"1\"}}}",
	             "{\"scalar\": {\"primitive\": {\"integer\": \"1\"}}}",
	             NULL, "equal literals");
	literal_pair("{\"scalar\": {\"primitive\": {\"integer\": \"1\"}}}",
	             "{\"scalar\": {\"primitive\": {\"stringValue\": \"1\"}}}",
	             "scalar.primitive.integer: 1 != unset",
	             "oneof: another member");
	literal_pair("{\"scalar\": {\"primitive\": {\"integer\": \"1\"}}}",
	             "{\"collection\": {}}", "scalar: set != unset",
	             "oneof: another message member, empty");
	literal_pair("{\"scalar\": {\"primitive\": {\"integer\": \"1\"}}}",
	             "{\"scalar\": {\"primitive\": {\"integer\": \"0\"}}}",
	             "scalar.primitive.integer: 1 != 0",
	             "oneof: same member, zero value is still set");
	literal_pair("{\"scalar\": {\"primitive\": {\"floatValue\": 0.1}}}",
	             "{\"scalar\": {\"primitive\": {\"floatValue\": 0.2}}}",
	             "scalar.primitive.float_value: 0.1 != 0.2", "double");
	literal_pair("{\"scalar\": {\"primitive\": {\"boolean\": true}},"
	             " \"metadata\": {\"a\": \"1\", \"b\": \"2\"}}",
	             "{\"metadata\": {\"b\": \"2\", \"a\": \"1\"},"
	             " \"scalar\": {\"primitive\": {\"boolean\": true}}}",
	             NULL, "map in another order (from JSON)");
	literal_pair("{\"map\": {\"literals\": {\"x\": {\"scalar\": "
	             "{\"primitive\": {\"integer\": \"1\"}}}}}}",
	             "{\"map\": {\"literals\": {\"x\": {\"scalar\": "
	             "{\"primitive\": {\"integer\": \"2\"}}}}}}",
	             "map.literals[\"x\"].scalar.primitive.integer: 1 != 2",
	             "map of messages");
	literal_pair("{\"collection\": {\"literals\": "
	             "[{}, {\"hash\": \"h\"}]}}",
	             "{\"collection\": {\"literals\": "
	             "[{}, {\"hash\": \"i\"}]}}",
	             "collection.literals[1].hash: \"h\" != \"i\"",
	             "list of messages");

	/* A NULL element of a repeated message is an empty message. */
	ca.n_literals = 1;
	ca.literals = la;
	cb.n_literals = 1;
	cb.literals = lb;
	check(&ca.base, &cb.base, NULL, "NULL element = empty message");

	/* bytes: hex, cut around the difference */
	for (i = 0; i < sizeof xa; i++)
		xa[i] = xb[i] = (uint8_t)i;
	xb[1] = 9;
	ba.value.data = xa;
	ba.value.len = 2;
	bb.value.data = xb;
	bb.value.len = 2;
	check(&ba.base, &bb.base, "value: 0x0001 != 0x0009", "bytes");
	xb[1] = 1;
	xb[30] = 0xff;
	ba.value.len = bb.value.len = sizeof xa;
	w = want + snprintf(want, sizeof want, "value: 0x...");
	for (i = 20; i < 40; i++)
		w += sprintf(w, "%02x", xa[i]);
	w += sprintf(w, " (40 bytes) != 0x...");
	for (i = 20; i < 40; i++)
		w += sprintf(w, "%02x", xb[i]);
	sprintf(w, " (40 bytes)");
	check(&ba.base, &bb.base, want, "long bytes");
}

/* ---- Value: protobuf-c's empty-string sentinel, floats ------------------ */

static void test_value(void)
{
	static char empty[1];
	Google__Protobuf__Value a = GOOGLE__PROTOBUF__VALUE__INIT;
	Google__Protobuf__Value b = GOOGLE__PROTOBUF__VALUE__INIT;
	Google__Protobuf__DoubleValue da = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
	Google__Protobuf__DoubleValue db = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;

	/* protobuf-c does not pack a oneof string that is its default
	 * pointer: such a Value reads back unset, so it is unset */
	a.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
	a.string_value = (char *)protobuf_c_empty_string;
	check(&a.base, &b.base, NULL, "oneof string at the sentinel = unset");
	a.string_value = empty;
	check(&a.base, &b.base, "string_value: \"\" != unset",
	      "oneof string set to \"\"");

	a.kind_case = b.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
	a.number_value = -0.0;
	b.number_value = 0.0;
	check(&a.base, &b.base, "number_value: -0 != 0",
	      "oneof double: -0 and 0 differ (bits)");
	a.number_value = b.number_value = NAN;
	check(&a.base, &b.base, NULL, "the same NaN is equal");
	a.number_value = 1e300;
	b.number_value = 1.0 / 3;
	check(&a.base, &b.base, "number_value: 1e+300 != 0.3333333333333333",
	      "doubles in the fewest digits");

	/* a plain proto3 double: 0 and -0 are both unset */
	da.value = -0.0;
	check(&da.base, &db.base, NULL, "implicit double: -0 = unset");
	da.value = 1.5;
	db.value = 2.5;
	check(&da.base, &db.base, "value: 1.5 != 2.5", "implicit double");
}

/* ---- proto2 presence ---------------------------------------------------- */

static void test_proto2(void)
{
	Google__Protobuf__FieldDescriptorProto a =
	    GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
	Google__Protobuf__FieldDescriptorProto b =
	    GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;

	a.has_number = 1;
	a.number = 0;
	check(&a.base, &b.base, "number: 0 != unset",
	      "proto2: has_ set to zero");
	a.has_number = 0;
	a.number = 5; /* without has_, ignored */
	check(&a.base, &b.base, NULL, "proto2: value without has_");
	a.name = S("x");
	check(&a.base, &b.base, "name: \"x\" != unset", "proto2: string");
}

/* ---- unknown fields ----------------------------------------------------- */

static ProtobufCMessage *project_bytes(const uint8_t *b, size_t n)
{
	return protobuf_c_message_unpack(&flyteidl__admin__project__descriptor,
	                                 NULL, n, b);
}

static void test_unknown(void)
{
	/* id "p", then field 99 (varint) = 1 or 2, or field 98 = 1; labels
	 * (5) holding field 99 = 1, or empty */
	static const uint8_t plain[] = {0x0a, 0x01, 'p'};
	static const uint8_t u1[] = {0x0a, 0x01, 'p', 0x98, 0x06, 0x01};
	static const uint8_t u2[] = {0x0a, 0x01, 'p', 0x98, 0x06, 0x02};
	static const uint8_t u98[] = {0x0a, 0x01, 'p', 0x90, 0x06, 0x01};
	static const uint8_t l1[] = {0x0a, 0x01, 'p', 0x2a, 0x03,
	                             0x98, 0x06, 0x01};
	static const uint8_t l0[] = {0x0a, 0x01, 'p', 0x2a, 0x00};
	ProtobufCMessage *p = project_bytes(plain, sizeof plain);
	ProtobufCMessage *a = project_bytes(u1, sizeof u1);
	ProtobufCMessage *b = project_bytes(u2, sizeof u2);
	ProtobufCMessage *c = project_bytes(u98, sizeof u98);
	ProtobufCMessage *la = project_bytes(l1, sizeof l1);
	ProtobufCMessage *lb = project_bytes(l0, sizeof l0);
	uint8_t *cb;
	size_t n = 0;

	TAP_OK(a && a->n_unknown_fields == 1, "protobuf-c keeps field 99");
	check(a, p, "#99: only in the first", "unknown field: only in one");
	check(a, b, "#99: 0x01 != 0x02", "unknown field: other bytes");
	check(a, c, "unknown field #99 != #98", "unknown fields: other number");
	check(la, lb, "labels.#99: only in the first",
	      "unknown field in a sub-message");
	check(la, p, "labels: set != unset", "labels against none");
	cb = la ? pbdiff_canonical(la, &n) : NULL;
	TAP_OK(cb && n == sizeof l1 && memcmp(cb, l1, n) == 0,
	       "canonical bytes keep unknown fields");
	free(cb);
	release(p);
	release(a);
	release(b);
	release(c);
	release(la);
	release(lb);
}

/* ---- errors, depth, known digests, every type --------------------------- */

/* Two separate chains of n LiteralTypes (collection of collection of ...
 * of INTEGER); compared and digested. */
static void chain(size_t n, int want_rc, const char *what)
{
	Flyteidl__Core__LiteralType *a = calloc(n, sizeof *a);
	Flyteidl__Core__LiteralType *b = calloc(n, sizeof *b);
	uint8_t d[32];
	size_t i;
	int rc;

	if (!a || !b) {
		TAP_OK(0, "%s: memory", what);
		goto out;
	}
	for (i = 0; i < n; i++) {
		flyteidl__core__literal_type__init(&a[i]);
		flyteidl__core__literal_type__init(&b[i]);
		if (i + 1 < n) {
			a[i].type_case = b[i].type_case =
			    FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE;
			a[i].collection_type = &a[i + 1];
			b[i].collection_type = &b[i + 1];
		} else {
			a[i].type_case = b[i].type_case =
			    FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
			a[i].simple = FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER;
			b[i].simple = FLYTEIDL__CORE__SIMPLE_TYPE__STRING;
		}
	}
	errno = 0;
	rc = pbdiff_first(&a->base, &b->base, NULL, 0);
	TAP_OK(rc == want_rc && (rc >= 0 || errno == ELOOP),
	       "%s: compare gives %d (errno %d)", what, rc, errno);
	errno = 0;
	rc = pbdiff_digest(&a->base, d);
	TAP_OK(rc == (want_rc < 0 ? -1 : 0) && (rc == 0 || errno == ELOOP),
	       "%s: digest gives %d", what, rc);
out:
	free(a);
	free(b);
}

static void test_errors(void)
{
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
	char buf[64] = "junk";
	uint8_t d[32];
	char hex[65];
	size_t n = 99;
	uint8_t *c;

	errno = 0;
	TAP_EQ_INT(pbdiff_first(&id.base, &p.base, buf, sizeof buf), -1,
	           "different types: -1");
	TAP_EQ_INT(errno, EINVAL, "different types: EINVAL");
	TAP_EQ_STR(buf, "", "different types: no message");
	errno = 0;
	TAP_OK(pbdiff_first(NULL, &p.base, NULL, 0) == -1 && errno == EINVAL,
	       "NULL message: -1 EINVAL");
	errno = 0;
	TAP_OK(!pbdiff_canonical(NULL, &n) && errno == EINVAL,
	       "canonical of NULL: EINVAL");
	TAP_EQ_INT(pbdiff_digest(NULL, d), -1, "digest of NULL: -1");

	/* the hash itself: known SHA-256 values */
	c = pbdiff_canonical(&id.base, &n);
	TAP_OK(c && n == 0, "an empty message: zero bytes, not NULL");
	free(c);
	TAP_OK(pbdiff_digest(&id.base, d) == 0, "digest of an empty message");
	pbdiff_hex(d, hex);
	TAP_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
	                "91b7852b855", "SHA-256 of nothing");
	id.project = S("p"); /* 12 01 70 */
	pbdiff_digest(&id.base, d);
	pbdiff_hex(d, hex);
	TAP_EQ_STR(hex, "1ba36ff058ba83c114f9eac4945b567573c62105fa21cf04f834e"
	                "3f05310bbeb", "SHA-256 of {project: \"p\"}");

	chain(300, 1, "300 levels");
	chain(450, -1, "450 levels: too deep");
}

/* An empty instance of every registered type: equal to itself, and the
 * canonical bytes are protobuf-c's (nothing, but proto2 required fields). */
static void test_every_type(void)
{
	size_t i, n = pbjson_type_count(), bad = 0, len = 0, np;

	for (i = 0; i < n; i++) {
		const ProtobufCMessageDescriptor *d = pbjson_type_at(i);
		ProtobufCMessage *m = pbjson_message_new(d, NULL);
		uint8_t *c = m ? pbdiff_canonical(m, &len) : NULL;
		uint8_t *p = NULL;

		np = m ? protobuf_c_message_get_packed_size(m) : 0;
		p = malloc(np + 1);
		if (m && p)
			protobuf_c_message_pack(m, p);
		if (!m || !c || !p || len != np || memcmp(c, p, np) != 0 ||
		    pbdiff_first(m, m, NULL, 0) != 0) {
			tap_diag("%s", d->name);
			bad++;
		}
		free(c);
		free(p);
		release(m);
	}
	TAP_OK(n > 100 && bad == 0, "all %zu registered types: empty "
	       "instances compare equal and pack as with protobuf-c", n);
}

/* Fill m from its descriptor alone, everything malloc'd (so that
 * protobuf_c_message_free_unpacked frees it): every scalar non-zero,
 * signed ones negative, two elements per list, one entry per map (so
 * that protobuf-c's order is the canonical one), the first member of each
 * oneof, sub-messages down to depth 3. */
static void populate(ProtobufCMessage *m, int depth);

static int fill(const ProtobufCFieldDescriptor *f, void *p, size_t i,
                int depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		*(int32_t *)p = -5 - (int32_t)i;
		break;
	case PROTOBUF_C_TYPE_SINT32:
		*(int32_t *)p = -70000 - (int32_t)i;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *)p = 300 + (uint32_t)i;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		*(int64_t *)p = INT64_C(-1234567890123) - (int64_t)i;
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *)p = (UINT64_C(1) << 40) + i;
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *)p = 1.5f + (float)i;
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)p = -2.25 - (double)i;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)p = 1;
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *ed = f->descriptor;

		*(int *)p = ed->values[ed->n_values - 1].value;
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		char *s = malloc(8);

		if (!s)
			return -1;
		snprintf(s, 8, "s%zu\xc3\xa9", i);
		*(char **)p = s;
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;

		b->data = malloc(3);
		if (!b->data)
			return -1;
		b->data[0] = 0;
		b->data[1] = 0xff;
		b->data[2] = (uint8_t)i;
		b->len = 3;
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *sub = pbjson_message_new(f->descriptor, NULL);

		if (!sub)
			return -1;
		populate(sub, depth + 1);
		*(ProtobufCMessage **)p = sub;
		break;
	}
	}
	return 0;
}

static void populate(ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	char *base = (char *)m;
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *p = base + f->offset;
		void *q = base + f->quantifier_offset;

		if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= 3 &&
		    f->label != PROTOBUF_C_LABEL_REQUIRED)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = pbjson_is_map(f) ? 1 : 2, k;
			size_t sz = pbjson_elem_size(f->type);
			char *arr = calloc(n, sz);

			if (!arr)
				continue;
			*(void **)p = arr;
			for (k = 0; k < n; k++) {
				if (fill(f, arr + k * sz, k, depth) < 0)
					break;
				*(size_t *)q = k + 1;
			}
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(uint32_t *)q != 0)
				continue; /* another member is set */
			if (fill(f, p, 0, depth) == 0)
				*(uint32_t *)q = f->id;
			continue;
		}
		if (f->type == PROTOBUF_C_TYPE_STRING &&
		    *(char **)p == f->default_value)
			*(char **)p = NULL; /* not ours to free */
		if (fill(f, p, 0, depth) == 0 &&
		    f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		    f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			*(protobuf_c_boolean *)q = 1;
	}
}

/* A populated instance of every registered type: canonical bytes are
 * protobuf-c's, the packed copy compares equal and digests the same, and
 * so does a copy with one more unknown field not. */
static void test_every_type_populated(void)
{
	size_t i, n = pbjson_type_count(), bad = 0, len = 0, np, empty = 0;

	for (i = 0; i < n; i++) {
		const ProtobufCMessageDescriptor *d = pbjson_type_at(i);
		ProtobufCMessage *m = pbjson_message_new(d, NULL);
		ProtobufCMessage *r = NULL;
		uint8_t *c = NULL, *p = NULL;
		const char *why = NULL;

		if (!m) {
			bad++;
			continue;
		}
		populate(m, 0);
		c = pbdiff_canonical(m, &len);
		np = protobuf_c_message_get_packed_size(m);
		p = malloc(np + 4);
		if (!c || !p) {
			why = "memory";
			goto next;
		}
		protobuf_c_message_pack(m, p);
		empty += np == 0;
		if (len != np || memcmp(c, p, np) != 0) {
			why = "canonical bytes are not protobuf-c's";
			goto next;
		}
		r = protobuf_c_message_unpack(d, NULL, np, p);
		if (!r || pbdiff_first(m, r, NULL, 0) != 0 ||
		    same_digest(m, r) != 1) {
			why = "the unpacked copy differs";
			goto next;
		}
		release(r);
		/* field 100000 (varint) = 1: unknown to every type */
		memcpy(p + np, "\x80\xea\x30\x01", 4);
		r = protobuf_c_message_unpack(d, NULL, np + 4, p);
		if (!r || r->n_unknown_fields != 1 ||
		    pbdiff_first(m, r, NULL, 0) != 1 || same_digest(m, r) != 0)
			why = "an unknown field makes no difference";
next:
		if (why) {
			tap_diag("%s: %s", d->name, why);
			bad++;
		}
		release(r);
		free(c);
		free(p);
		release(m);
	}
	TAP_OK(n > 100 && bad == 0, "all %zu registered types, populated: "
	       "canonical = protobuf-c's bytes, equal after a round trip", n);
	/* only types without fields (Empty, Void, some requests) */
	TAP_OK(empty < 40, "and populated for real (%zu pack to nothing)",
	       empty);
}

int main(void)
{
	test_task();
	test_task_variants();
	test_long();
	test_project();
	test_literal();
	test_value();
	test_proto2();
	test_unknown();
	test_errors();
	test_every_type();
	test_every_type_populated();
	return tap_done();
}
