/*
 * pbjson_test.c -- the generic protobuf -> JSON/YAML encoder on flyteidl
 * messages and the well-known types.  TAP.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "pbjson.h"

#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/matchable_resource.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/version.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "google/rpc/status.pb-c.h"

/* protobuf-c fields are char *; the tests never write through them */
#define S(lit) ((char *)(lit))

static const struct pbjson_opts compact = {PBJSON_JSON, 0, 0, 0, NULL};

/* Encode m and compare with want; frees the text. */
static void check(const ProtobufCMessage *m, const struct pbjson_opts *o,
                  const char *want, const char *what)
{
	char *got = pbjson_encode(m, o, NULL);

	TAP_EQ_STR(got, want, "%s", what);
	free(got);
}

/* A project with two labels. */
struct fixture {
	Flyteidl__Admin__Project p;
	Flyteidl__Admin__Labels labels;
	Flyteidl__Admin__Labels__ValuesEntry e[2];
	Flyteidl__Admin__Labels__ValuesEntry *ep[2];
};

static void fixture_init(struct fixture *f)
{
	flyteidl__admin__project__init(&f->p);
	flyteidl__admin__labels__init(&f->labels);
	flyteidl__admin__labels__values_entry__init(&f->e[0]);
	flyteidl__admin__labels__values_entry__init(&f->e[1]);
	f->e[0].key = S("team");
	f->e[0].value = S("ml");
	f->e[1].key = S("env");
	f->e[1].value = S("prod");
	f->ep[0] = &f->e[0];
	f->ep[1] = &f->e[1];
	f->labels.n_values = 2;
	f->labels.values = f->ep;
	f->p.id = S("flytesnacks");
	f->p.name = S("Flyte Snacks");
	f->p.description = S("say \"hi\"\n");
	f->p.labels = &f->labels;
	f->p.state = FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ARCHIVED;
}

static void test_project(void)
{
	struct fixture f;
	struct pbjson_opts o = compact;
	Flyteidl__Admin__Project *rt;
	uint8_t *buf;
	size_t n;

	fixture_init(&f);
	check(&f.p.base, &compact,
	      "{\"id\":\"flytesnacks\",\"name\":\"Flyte Snacks\","
	      "\"description\":\"say \\\"hi\\\"\\n\",\"labels\":{\"values\":"
	      "{\"team\":\"ml\",\"env\":\"prod\"}},\"state\":\"ARCHIVED\"}",
	      "Project: compact JSON, map as object, enum by name");

	o.indent = "\t";
	check(&f.p.base, &o,
	      "{\n\t\"id\": \"flytesnacks\",\n\t\"name\": \"Flyte Snacks\",\n"
	      "\t\"description\": \"say \\\"hi\\\"\\n\",\n\t\"labels\": {\n"
	      "\t\t\"values\": {\n\t\t\t\"team\": \"ml\",\n"
	      "\t\t\t\"env\": \"prod\"\n\t\t}\n\t},\n"
	      "\t\"state\": \"ARCHIVED\"\n}",
	      "Project: tab-indented like flytectl's jsonpb");

	o.indent = NULL;
	o.sort_keys = 1;
	check(&f.p.base, &o,
	      "{\"description\":\"say \\\"hi\\\"\\n\",\"id\":\"flytesnacks\","
	      "\"labels\":{\"values\":{\"env\":\"prod\",\"team\":\"ml\"}},"
	      "\"name\":\"Flyte Snacks\",\"state\":\"ARCHIVED\"}",
	      "Project: sorted keys, map keys sorted too");

	/* unpacked messages point unset strings at protobuf-c's "" */
	f.p.state = FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ACTIVE;
	f.p.description = S("");
	f.p.labels = NULL;
	n = flyteidl__admin__project__get_packed_size(&f.p);
	buf = malloc(n);
	TAP_OK(buf != NULL, "malloc");
	if (!buf)
		return;
	flyteidl__admin__project__pack(&f.p, buf);
	rt = flyteidl__admin__project__unpack(NULL, n, buf);
	free(buf);
	TAP_OK(rt != NULL, "unpack Project");
	if (!rt)
		return;
	check(&rt->base, &compact,
	      "{\"id\":\"flytesnacks\",\"name\":\"Flyte Snacks\"}",
	      "unpacked Project: defaults omitted");

	o = compact;
	o.emit_defaults = 1;
	o.proto_names = 1;
	check(
	    &rt->base, &o,
	    "{\"id\":\"flytesnacks\",\"name\":\"Flyte Snacks\",\"domains\":[],"
	    "\"description\":\"\",\"labels\":null,\"state\":\"ACTIVE\","
	    "\"org\":\"\"}",
	    "unpacked Project: emit_defaults with proto names");
	flyteidl__admin__project__free_unpacked(rt, NULL);
}

static void test_projects_list(void)
{
	Flyteidl__Admin__Projects ps = FLYTEIDL__ADMIN__PROJECTS__INIT;
	Flyteidl__Admin__Project a = FLYTEIDL__ADMIN__PROJECT__INIT;
	Flyteidl__Admin__Project b = FLYTEIDL__ADMIN__PROJECT__INIT;
	Flyteidl__Admin__Domain d = FLYTEIDL__ADMIN__DOMAIN__INIT;
	Flyteidl__Admin__Domain *dp[1] = {&d};
	Flyteidl__Admin__Project *pp[2] = {&a, &b};
	struct pbjson_opts o = {PBJSON_YAML, 0, 0, 0, NULL};
	struct pbjson_writer *w;
	char *got;

	d.id = S("development");
	d.name = S("development");
	a.id = S("alpha");
	a.name = S("Alpha");
	a.n_domains = 1;
	a.domains = dp;
	b.id = S("beta");
	b.name = S("true");
	b.description = S("");
	ps.n_projects = 2;
	ps.projects = pp;
	ps.token = S("2");
	check(&ps.base, &compact,
	      "{\"projects\":[{\"id\":\"alpha\",\"name\":\"Alpha\",\"domains\":"
	      "[{\"id\":\"development\",\"name\":\"development\"}]},"
	      "{\"id\":\"beta\",\"name\":\"true\"}],\"token\":\"2\"}",
	      "Projects: repeated messages as an array");
	check(&ps.base, &o,
	      "projects:\n"
	      "- id: alpha\n"
	      "  name: Alpha\n"
	      "  domains:\n"
	      "  - id: development\n"
	      "    name: development\n"
	      "- id: beta\n"
	      "  name: \"true\"\n"
	      "token: \"2\"",
	      "Projects: YAML block style, ambiguous scalars quoted");

	/* what keelctl does for several results: an array of messages */
	w = pbjson_writer_new(&o);
	TAP_OK(w != NULL, "writer");
	if (!w)
		return;
	pbjson_begin_array(w);
	pbjson_write_message(w, &a.base);
	pbjson_write_message(w, &b.base);
	pbjson_end_array(w);
	got = pbjson_writer_finish(w, NULL);
	TAP_EQ_STR(got,
	           "- id: alpha\n"
	           "  name: Alpha\n"
	           "  domains:\n"
	           "  - id: development\n"
	           "    name: development\n"
	           "- id: beta\n"
	           "  name: \"true\"",
	           "top-level YAML sequence of messages");
	free(got);

	o.format = PBJSON_JSON;
	o.indent = "\t";
	w = pbjson_writer_new(&o);
	TAP_OK(w != NULL, "writer");
	if (!w)
		return;
	pbjson_begin_array(w);
	pbjson_write_message(w, &b.base);
	pbjson_end_array(w);
	got = pbjson_writer_finish(w, NULL);
	TAP_EQ_STR(
	    got,
	    "[\n\t{\n\t\t\"id\": \"beta\",\n\t\t\"name\": \"true\"\n\t}\n]",
	    "JSON array of one message, indented");
	free(got);

	w = pbjson_writer_new(&o);
	TAP_OK(w != NULL, "writer");
	if (!w)
		return;
	pbjson_begin_array(w);
	pbjson_end_array(w);
	got = pbjson_writer_finish(w, NULL);
	TAP_EQ_STR(got, "[]", "empty JSON array");
	free(got);

	o.format = PBJSON_YAML;
	w = pbjson_writer_new(&o);
	TAP_OK(w != NULL, "writer");
	if (!w)
		return;
	pbjson_begin_array(w);
	got = pbjson_writer_finish(w, NULL);
	TAP_OK(got == NULL && errno == EINVAL,
	       "finish with an open array fails");
	free(got);
}

static void test_version(void)
{
	Flyteidl__Admin__GetVersionResponse r =
	    FLYTEIDL__ADMIN__GET_VERSION_RESPONSE__INIT;
	Flyteidl__Admin__Version v = FLYTEIDL__ADMIN__VERSION__INIT;
	struct pbjson_opts o = compact;
	char name[64];

	v.build = S("abc123");
	v.version = S("0.1.0");
	v.buildtime = S("2024-05-01");
	r.control_plane_version = &v;
	check(&r.base, &compact,
	      "{\"controlPlaneVersion\":{\"Build\":\"abc123\",\"Version\":"
	      "\"0.1.0\",\"BuildTime\":\"2024-05-01\"}}",
	      "GetVersionResponse: camelCase keeps leading capitals");
	o.format = PBJSON_YAML;
	check(&r.base, &o,
	      "controlPlaneVersion:\n  Build: abc123\n  Version: 0.1.0\n"
	      "  BuildTime: \"2024-05-01\"",
	      "GetVersionResponse as YAML");
	o.format = PBJSON_JSON;
	o.proto_names = 1;
	check(&r.base, &o,
	      "{\"control_plane_version\":{\"Build\":\"abc123\",\"Version\":"
	      "\"0.1.0\",\"BuildTime\":\"2024-05-01\"}}",
	      "GetVersionResponse with proto names");

	TAP_EQ_INT(pbjson_json_name("a__b_c_", name, sizeof name), 3,
	           "ToJsonName length");
	TAP_EQ_STR(name, "aBC", "ToJsonName drops '_' and capitalizes");
	pbjson_json_name("sort_by", name, 4);
	TAP_EQ_STR(name, "sor", "ToJsonName truncates to the buffer");
}

static void test_timestamp_duration(void)
{
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__Duration du = GOOGLE__PROTOBUF__DURATION__INIT;
	Flyteidl__Core__Primitive p = FLYTEIDL__CORE__PRIMITIVE__INIT;

	ts.seconds = 1714564800;
	ts.nanos = 123000000;
	check(&ts.base, &compact, "\"2024-05-01T12:00:00.123Z\"",
	      "Timestamp with milliseconds");
	ts.nanos = 0;
	check(&ts.base, &compact, "\"2024-05-01T12:00:00Z\"",
	      "Timestamp without fraction");
	ts.nanos = 123456000;
	check(&ts.base, &compact, "\"2024-05-01T12:00:00.123456Z\"",
	      "Timestamp with microseconds");
	ts.nanos = 1;
	check(&ts.base, &compact, "\"2024-05-01T12:00:00.000000001Z\"",
	      "Timestamp with nanoseconds");
	ts.seconds = -1;
	ts.nanos = 0;
	check(&ts.base, &compact, "\"1969-12-31T23:59:59Z\"",
	      "Timestamp before the epoch");
	ts.seconds = INT64_C(-62135596800);
	check(&ts.base, &compact, "\"0001-01-01T00:00:00Z\"",
	      "Timestamp minimum");
	ts.seconds = INT64_C(253402300799);
	check(&ts.base, &compact, "\"9999-12-31T23:59:59Z\"",
	      "Timestamp maximum");
	ts.seconds = INT64_C(253402300800);
	errno = 0;
	TAP_OK(pbjson_encode(&ts.base, &compact, NULL) == NULL &&
	           errno == EINVAL,
	       "Timestamp out of range is EINVAL");
	ts.seconds = 951782400; /* 2000-02-29 */
	check(&ts.base, &compact, "\"2000-02-29T00:00:00Z\"",
	      "Timestamp on a leap day");

	du.seconds = 1;
	du.nanos = 500000000;
	check(&du.base, &compact, "\"1.500s\"", "Duration 1.5 s");
	du.seconds = 0;
	du.nanos = -500000000;
	check(&du.base, &compact, "\"-0.500s\"", "negative Duration");
	du.seconds = 3600;
	du.nanos = 0;
	check(&du.base, &compact, "\"3600s\"", "whole Duration");

	p.value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
	ts.seconds = 1714564800;
	ts.nanos = 123000000;
	p.datetime = &ts;
	check(&p.base, &compact, "{\"datetime\":\"2024-05-01T12:00:00.123Z\"}",
	      "Timestamp inside a message (oneof member)");
}

static void test_scalars(void)
{
	Flyteidl__Core__Primitive p = FLYTEIDL__CORE__PRIMITIVE__INIT;
	Flyteidl__Core__Binary bin = FLYTEIDL__CORE__BINARY__INIT;
	Flyteidl__Admin__Sort s = FLYTEIDL__ADMIN__SORT__INIT;
	Flyteidl__Admin__ExecutionQueueAttributes q =
	    FLYTEIDL__ADMIN__EXECUTION_QUEUE_ATTRIBUTES__INIT;
	char *tags[] = {S("gpu"),
	                S("a\x01"
	                  "b"),
	                S("caf\xc3\xa9"), S("bad\xff")};
	struct pbjson_opts o = compact;
	static const struct {
		double v;
		const char *want;
	} dbl[] = {
	    {1.5, "{\"floatValue\":1.5}"},
	    {0.1, "{\"floatValue\":0.1}"},
	    {-2, "{\"floatValue\":-2}"},
	    {123456789, "{\"floatValue\":123456789}"},
	    {1e21, "{\"floatValue\":1e+21}"},
	    {1e20, "{\"floatValue\":100000000000000000000}"},
	    {1e-7, "{\"floatValue\":1e-7}"},
	    {1.25e-5, "{\"floatValue\":0.0000125}"},
	    {5e-324, "{\"floatValue\":5e-324}"},
	};
	size_t i;

	p.value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
	p.integer = INT64_C(-9007199254740993);
	check(&p.base, &compact, "{\"integer\":\"-9007199254740993\"}",
	      "int64 as a string");
	p.integer = 0;
	check(&p.base, &compact, "{\"integer\":\"0\"}",
	      "a set oneof member is written even when zero");
	p.value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
	p.boolean = 1;
	check(&p.base, &compact, "{\"boolean\":true}", "bool");
	p.value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
	for (i = 0; i < sizeof dbl / sizeof dbl[0]; i++) {
		char label[64];

		snprintf(label, sizeof label, "double %g", dbl[i].v);
		p.float_value = dbl[i].v;
		check(&p.base, &compact, dbl[i].want, label);
	}
	p.float_value = NAN;
	check(&p.base, &compact, "{\"floatValue\":\"NaN\"}", "NaN as a string");
	p.float_value = -INFINITY;
	check(&p.base, &compact, "{\"floatValue\":\"-Infinity\"}",
	      "-Infinity as a string");
	p.value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE__NOT_SET;
	o.emit_defaults = 1;
	check(&p.base, &o, "{}", "unset oneof is never written");

	bin.value.data = (uint8_t *)"hello";
	bin.value.len = 5;
	bin.tag = S("msgpack");
	check(&bin.base, &compact,
	      "{\"value\":\"aGVsbG8=\",\"tag\":\"msgpack\"}",
	      "bytes as base64");
	bin.value.len = 4;
	check(&bin.base, &compact,
	      "{\"value\":\"aGVsbA==\",\"tag\":\"msgpack\"}",
	      "bytes as base64, two pads");

	s.key = S("created_at");
	s.direction = FLYTEIDL__ADMIN__SORT__DIRECTION__ASCENDING;
	check(&s.base, &compact,
	      "{\"key\":\"created_at\",\"direction\":\"ASCENDING\"}",
	      "enum by name");
	s.direction = (Flyteidl__Admin__Sort__Direction)7;
	check(&s.base, &compact, "{\"key\":\"created_at\",\"direction\":7}",
	      "unknown enum value as a number");
	s.direction = FLYTEIDL__ADMIN__SORT__DIRECTION__DESCENDING;
	check(&s.base, &o,
	      "{\"key\":\"created_at\",\"direction\":\"DESCENDING\"}",
	      "zero enum written with emit_defaults");

	q.n_tags = 4;
	q.tags = tags;
	check(
	    &q.base, &compact,
	    "{\"tags\":[\"gpu\",\"a\\u0001b\",\"caf\xc3\xa9\",\"bad\\ufffd\"]}",
	    "repeated strings; control chars escaped, UTF-8 kept, "
	    "invalid UTF-8 replaced");
	o = compact;
	o.format = PBJSON_YAML;
	q.n_tags = 3;
	check(&q.base, &o, "tags:\n- gpu\n- \"a\\u0001b\"\n- caf\xc3\xa9",
	      "repeated strings as a YAML sequence");
	q.n_tags = 0;
	check(&q.base, &o, "{}", "empty message as YAML");
	o.emit_defaults = 1;
	check(&q.base, &o, "tags: []", "empty list as YAML with emit_defaults");
}

static void test_wkt(void)
{
	Google__Protobuf__Struct st = GOOGLE__PROTOBUF__STRUCT__INIT;
	Google__Protobuf__Struct__FieldsEntry e[4];
	Google__Protobuf__Struct__FieldsEntry *ep[4] = {&e[0], &e[1], &e[2],
	                                                &e[3]};
	Google__Protobuf__Value v[6];
	Google__Protobuf__Value *lv[2] = {&v[4], &v[5]};
	Google__Protobuf__ListValue list = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	Google__Protobuf__BoolValue bv = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
	Google__Protobuf__StringValue sv = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
	Google__Protobuf__Int64Value iv = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
	struct pbjson_opts o = compact;
	size_t i;

	for (i = 0; i < 4; i++)
		google__protobuf__struct__fields_entry__init(&e[i]);
	for (i = 0; i < 6; i++)
		google__protobuf__value__init(&v[i]);
	v[0].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
	v[0].number_value = 2.5;
	v[1].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
	v[1].string_value = S("x");
	v[2].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
	v[3].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
	v[3].list_value = &list;
	v[4].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
	v[4].bool_value = 0;
	v[5].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
	v[5].struct_value = &st;
	list.n_values = 2;
	list.values = lv;
	e[0].key = S("n");
	e[0].value = &v[0];
	e[1].key = S("s");
	e[1].value = &v[1];
	e[2].key = S("z");
	e[2].value = &v[2];
	e[3].key = S("l");
	e[3].value = &v[3];
	st.n_fields = 4;
	st.fields = ep;
	/* v[5] refers back to st: cut the cycle before encoding */
	v[5].struct_value = NULL;
	v[5].kind_case = GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET;
	check(&st.base, &compact,
	      "{\"n\":2.5,\"s\":\"x\",\"z\":null,\"l\":[false,null]}",
	      "Struct/Value/ListValue as plain JSON");
	o.format = PBJSON_YAML;
	check(&st.base, &o, "\"n\": 2.5\ns: x\nz: null\nl:\n- false\n- null",
	      "Struct as YAML; the key n (a YAML 1.1 boolean) quoted");

	any.type_url = S("type.googleapis.com/flyteidl.admin.InactiveProject");
	any.value.data = (uint8_t *)"\x0a\x01x";
	any.value.len = 3;
	check(
	    &any.base, &compact,
	    "{\"@type\":\"type.googleapis.com/flyteidl.admin.InactiveProject\","
	    "\"id\":\"x\"}",
	    "Any of a registered type: its fields next to @type");

	bv.value = 0;
	check(&bv.base, &compact, "false", "BoolValue bare, even when false");
	sv.value = S("hi");
	check(&sv.base, &compact, "\"hi\"", "StringValue bare");
	iv.value = 42;
	check(&iv.base, &compact, "\"42\"", "Int64Value bare, as a string");
	check(&iv.base, &o, "\"42\"", "Int64Value in YAML stays a string");
}

/* Pack m into any (the buffer is the caller's, size cap). */
static void pack_any(Google__Protobuf__Any *any, const ProtobufCMessage *m,
                     const char *url, uint8_t *buf, size_t cap)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	google__protobuf__any__init(any);
	any->type_url = S(url);
	any->value.data = buf;
	any->value.len = n <= cap ? protobuf_c_message_pack(m, buf) : 0;
}

static void test_any(void)
{
	struct fixture f;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT, outer, *dp[1];
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__Struct st = GOOGLE__PROTOBUF__STRUCT__INIT;
	Google__Protobuf__Struct__FieldsEntry e;
	Google__Protobuf__Struct__FieldsEntry *ep[1] = {&e};
	Google__Protobuf__Value v = GOOGLE__PROTOBUF__VALUE__INIT;
	Flyteidl__Admin__Project empty = FLYTEIDL__ADMIN__PROJECT__INIT;
	Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
	struct pbjson_opts o = compact;
	uint8_t buf[512], buf2[512];

	fixture_init(&f);
	f.p.description = S("");
	f.p.labels->n_values = 1;
	pack_any(&any, &f.p.base, "type.googleapis.com/flyteidl.admin.Project",
	         buf, sizeof buf);
	check(&any.base, &compact,
	      "{\"@type\":\"type.googleapis.com/flyteidl.admin.Project\","
	      "\"id\":\"flytesnacks\",\"name\":\"Flyte Snacks\",\"labels\":"
	      "{\"values\":{\"team\":\"ml\"}},\"state\":\"ARCHIVED\"}",
	      "Any of a Project: @type, then the Project's fields");
	o.sort_keys = 1;
	o.proto_names = 1;
	check(&any.base, &o,
	      "{\"@type\":\"type.googleapis.com/flyteidl.admin.Project\","
	      "\"id\":\"flytesnacks\",\"labels\":{\"values\":{\"team\":"
	      "\"ml\"}},\"name\":\"Flyte Snacks\",\"state\":\"ARCHIVED\"}",
	      "Any with sorted keys: @type first, then the sorted fields");
	o = compact;
	o.format = PBJSON_YAML;
	check(&any.base, &o,
	      "\"@type\": type.googleapis.com/flyteidl.admin.Project\n"
	      "id: flytesnacks\nname: Flyte Snacks\nlabels:\n  values:\n"
	      "    team: ml\nstate: ARCHIVED",
	      "Any as YAML");

	pack_any(&any, &empty.base, "flyteidl.admin.Project", buf, sizeof buf);
	check(&any.base, &compact, "{\"@type\":\"flyteidl.admin.Project\"}",
	      "Any of an empty Project; a URL without '/' is a type name");
	o = compact;
	o.emit_defaults = 1;
	check(&any.base, &o,
	      "{\"@type\":\"flyteidl.admin.Project\",\"id\":\"\",\"name\":"
	      "\"\",\"domains\":[],\"description\":\"\",\"labels\":null,"
	      "\"state\":\"ACTIVE\",\"org\":\"\"}",
	      "Any of an empty Project with emit_defaults");

	ts.seconds = 1714564800;
	ts.nanos = 5000000;
	pack_any(&any, &ts.base,
	         "type.googleapis.com/google.protobuf.Timestamp", buf,
	         sizeof buf);
	check(&any.base, &compact,
	      "{\"@type\":\"type.googleapis.com/google.protobuf.Timestamp\","
	      "\"value\":\"2024-05-01T12:00:00.005Z\"}",
	      "Any of a Timestamp: its JSON under \"value\"");

	google__protobuf__struct__fields_entry__init(&e);
	e.key = S("a");
	e.value = &v;
	v.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
	v.bool_value = 1;
	st.n_fields = 1;
	st.fields = ep;
	pack_any(&any, &st.base, "type.googleapis.com/google.protobuf.Struct",
	         buf, sizeof buf);
	pack_any(&outer, &any.base, "type.googleapis.com/google.protobuf.Any",
	         buf2, sizeof buf2);
	check(&outer.base, &compact,
	      "{\"@type\":\"type.googleapis.com/google.protobuf.Any\","
	      "\"value\":{\"@type\":\"type.googleapis.com/google.protobuf."
	      "Struct\",\"value\":{\"a\":true}}}",
	      "Any of an Any of a Struct");

	/* as google.rpc.Status carries error details */
	status.code = 5;
	status.message = S("not found");
	dp[0] = &any;
	status.n_details = 1;
	status.details = dp;
	check(&status.base, &compact,
	      "{\"code\":5,\"message\":\"not found\",\"details\":[{\"@type\":"
	      "\"type.googleapis.com/google.protobuf.Struct\",\"value\":"
	      "{\"a\":true}}]}",
	      "Any inside a message");

	any.type_url = S("type.googleapis.com/example.NotRegistered");
	any.value.data = (uint8_t *)"\x0a\x01x";
	any.value.len = 3;
	check(&any.base, &compact,
	      "{\"@type\":\"type.googleapis.com/example.NotRegistered\","
	      "\"value\":\"CgF4\"}",
	      "Any of an unregistered type: @type + base64 value");
	any.type_url = S("type.googleapis.com/flyteidl.admin.Project");
	any.value.data = (uint8_t *)"\x0a\x05x";
	check(&any.base, &compact,
	      "{\"@type\":\"type.googleapis.com/flyteidl.admin.Project\","
	      "\"value\":\"CgV4\"}",
	      "Any whose bytes do not parse: @type + base64 value");
	any.type_url = S("");
	any.value.len = 0;
	check(&any.base, &compact, "{}", "empty Any");
}

int main(void)
{
	test_project();
	test_projects_list();
	test_version();
	test_timestamp_duration();
	test_scalars();
	test_wkt();
	test_any();
	return tap_done();
}
