/*
 * rest_openapi.c -- the OpenAPI 2.0 document of the REST map.
 *
 * Made once, on first request, from the same binding table the router
 * uses and from the protobuf-c descriptors of the messages it reaches, in
 * the shape protoc-gen-openapiv2 gives flyteidl's admin.swagger.json:
 * proto field names, 64-bit integers as strings, enums inline by name,
 * well-known types in their JSON forms, query parameters for the request
 * fields no path variable or body carries (nested ones dotted, as
 * "sort_by.key"), operation ids "<Service>_<Method>" with "_2", "_3" for
 * additional bindings.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_http.h"
#include "google/rpc/status.pb-c.h"
#include "pbjson.h"
#include "rest.h"
#include "rest_bindings.h"
#include "rpc.h"
#include "sbuf.h"

#define OA_MAX_TYPES 1024
#define OA_QUERY_DEPTH 4

struct oa {
	struct sbuf b;
	const ProtobufCMessageDescriptor *seen[OA_MAX_TYPES];
	size_t nseen;
	int nparam; /* parameters written in the current operation */
};

static void oa_sep(struct oa *o)
{
	if (o->nparam++ > 0)
		sbuf_puts(&o->b, ",");
}

static int oa_is(const ProtobufCMessageDescriptor *d, const char *name)
{
	return strcmp(d->name, name) == 0;
}

static void oa_add_type(struct oa *o, const ProtobufCMessageDescriptor *d);

static const char *oa_wrapped(const ProtobufCMessageDescriptor *d)
{
	static const struct {
		const char *name, *schema;
	} w[] = {
	    {"google.protobuf.Timestamp",
	     "{\"type\":\"string\",\"format\":\"date-time\"}"},
	    {"google.protobuf.Duration", "{\"type\":\"string\"}"},
	    {"google.protobuf.FieldMask", "{\"type\":\"string\"}"},
	    {"google.protobuf.Struct", "{\"type\":\"object\"}"},
	    {"google.protobuf.Value", "{}"},
	    {"google.protobuf.ListValue",
	     "{\"type\":\"array\",\"items\":{}}"},
	    {"google.protobuf.Empty", "{\"type\":\"object\"}"},
	    {"google.protobuf.StringValue", "{\"type\":\"string\"}"},
	    {"google.protobuf.BytesValue",
	     "{\"type\":\"string\",\"format\":\"byte\"}"},
	    {"google.protobuf.BoolValue", "{\"type\":\"boolean\"}"},
	    {"google.protobuf.Int32Value",
	     "{\"type\":\"integer\",\"format\":\"int32\"}"},
	    {"google.protobuf.UInt32Value",
	     "{\"type\":\"integer\",\"format\":\"int64\"}"},
	    {"google.protobuf.Int64Value",
	     "{\"type\":\"string\",\"format\":\"int64\"}"},
	    {"google.protobuf.UInt64Value",
	     "{\"type\":\"string\",\"format\":\"uint64\"}"},
	    {"google.protobuf.FloatValue",
	     "{\"type\":\"number\",\"format\":\"float\"}"},
	    {"google.protobuf.DoubleValue",
	     "{\"type\":\"number\",\"format\":\"double\"}"},
	};
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (oa_is(d, w[i].name))
			return w[i].schema;
	return NULL;
}

/* The schema of one value of field f (ignoring repeated). */
static void oa_value_schema(struct oa *o, const ProtobufCFieldDescriptor *f)
{
	struct sbuf *b = &o->b;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		sbuf_puts(b, "{\"type\":\"string\"}");
		break;
	case PROTOBUF_C_TYPE_BYTES:
		sbuf_puts(b, "{\"type\":\"string\",\"format\":\"byte\"}");
		break;
	case PROTOBUF_C_TYPE_BOOL:
		sbuf_puts(b, "{\"type\":\"boolean\"}");
		break;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		sbuf_puts(b, "{\"type\":\"integer\",\"format\":\"int32\"}");
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		sbuf_puts(b, "{\"type\":\"integer\",\"format\":\"int64\"}");
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		sbuf_puts(b, "{\"type\":\"string\",\"format\":\"int64\"}");
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		sbuf_puts(b, "{\"type\":\"string\",\"format\":\"uint64\"}");
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		sbuf_puts(b, "{\"type\":\"number\",\"format\":\"float\"}");
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		sbuf_puts(b, "{\"type\":\"number\",\"format\":\"double\"}");
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;
		sbuf_puts(b, "{\"type\":\"string\",\"enum\":[");
		for (unsigned i = 0; i < e->n_values; i++) {
			if (i > 0)
				sbuf_puts(b, ",");
			sbuf_json_str(b, e->values[i].name);
		}
		sbuf_puts(b, "]");
		if (e->n_values > 0) {
			sbuf_puts(b, ",\"default\":");
			sbuf_json_str(b, e->values[0].name);
		}
		sbuf_puts(b, "}");
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessageDescriptor *d = f->descriptor;
		const char *w = oa_wrapped(d);
		if (w != NULL) {
			sbuf_puts(b, w);
			break;
		}
		sbuf_puts(b, "{\"$ref\":\"#/definitions/");
		sbuf_puts(b, d->name);
		sbuf_puts(b, "\"}");
		break;
	}
	}
}

static void oa_field_schema(struct oa *o, const ProtobufCFieldDescriptor *f)
{
	if (pbjson_is_map(f)) {
		const ProtobufCMessageDescriptor *e = f->descriptor;
		sbuf_puts(&o->b, "{\"type\":\"object\",\"additionalProperties\":");
		oa_value_schema(o, &e->fields[1]);
		sbuf_puts(&o->b, "}");
	} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		sbuf_puts(&o->b, "{\"type\":\"array\",\"items\":");
		oa_value_schema(o, f);
		sbuf_puts(&o->b, "}");
	} else {
		oa_value_schema(o, f);
	}
}

/* Collect d and every message type it reaches (maps' values included). */
static void oa_add_type(struct oa *o, const ProtobufCMessageDescriptor *d)
{
	if (oa_wrapped(d) != NULL)
		return;
	for (size_t i = 0; i < o->nseen; i++)
		if (o->seen[i] == d)
			return;
	if (o->nseen == OA_MAX_TYPES)
		return;
	o->seen[o->nseen++] = d;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (pbjson_is_map(f)) {
			const ProtobufCFieldDescriptor *v =
			    &((const ProtobufCMessageDescriptor *)f->descriptor)
			         ->fields[1];
			if (v->type == PROTOBUF_C_TYPE_MESSAGE)
				oa_add_type(o, v->descriptor);
		} else {
			oa_add_type(o, f->descriptor);
		}
	}
}

static void oa_definition(struct oa *o, const ProtobufCMessageDescriptor *d)
{
	struct sbuf *b = &o->b;

	sbuf_json_str(b, d->name);
	if (oa_is(d, "google.protobuf.Any")) {
		sbuf_puts(b, ":{\"type\":\"object\",\"properties\":{\"@type\":"
		             "{\"type\":\"string\"}},\"additionalProperties\":{}}");
		return;
	}
	sbuf_puts(b, ":{\"type\":\"object\",\"properties\":{");
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (i > 0)
			sbuf_puts(b, ",");
		sbuf_json_str(b, d->fields[i].name);
		sbuf_puts(b, ":");
		oa_field_schema(o, &d->fields[i]);
	}
	sbuf_puts(b, "}}");
}

/* A parameter's type keywords (no braces) for a scalar or enum field. */
static void oa_param_type(struct oa *o, const ProtobufCFieldDescriptor *f)
{
	size_t start = o->b.len;

	oa_value_schema(o, f);
	/* Strip the braces the schema writer put around the keywords. */
	if (!o->b.oom && o->b.len > start + 2) {
		memmove(o->b.buf + start, o->b.buf + start + 1,
		        o->b.len - start - 2);
		o->b.len -= 2;
		o->b.buf[o->b.len] = '\0';
	}
}

static int oa_var_bound(const char *path, const char *const *vars,
                        size_t nvars)
{
	for (size_t i = 0; i < nvars; i++)
		if (strcmp(vars[i], path) == 0)
			return 1;
	return 0;
}

static void oa_query(struct oa *o, const ProtobufCMessageDescriptor *d,
                     const char *prefix, int depth, const char *const *vars,
                     size_t nvars, const char *body)
{
	char path[256];

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *w;

		snprintf(path, sizeof(path), "%s%s", prefix, f->name);
		if (oa_var_bound(path, vars, nvars) ||
		    (depth == 0 && strcmp(f->name, body) == 0) || pbjson_is_map(f))
			continue;
		w = f->type == PROTOBUF_C_TYPE_MESSAGE ? oa_wrapped(f->descriptor)
		                                       : NULL;
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && w == NULL) {
			char sub[260];
			if (f->label == PROTOBUF_C_LABEL_REPEATED ||
			    depth + 1 >= OA_QUERY_DEPTH)
				continue;
			snprintf(sub, sizeof(sub), "%s.", path);
			oa_query(o, f->descriptor, sub, depth + 1, vars, nvars,
			         body);
			continue;
		}
		if (w != NULL && w[1] != '"')
			continue; /* Struct, Value, ListValue: no query form */
		oa_sep(o);
		sbuf_puts(&o->b, "{\"name\":");
		sbuf_json_str(&o->b, path);
		sbuf_puts(&o->b, ",\"in\":\"query\",\"required\":false,");
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			sbuf_puts(&o->b, "\"type\":\"array\",\"items\":");
			oa_value_schema(o, f);
			sbuf_puts(&o->b, ",\"collectionFormat\":\"multi\"}");
		} else if (w != NULL) {
			sbuf_add(&o->b, w + 1, strlen(w) - 1);
		} else {
			oa_param_type(o, f);
			sbuf_puts(&o->b, "}");
		}
	}
}

static void oa_operation(struct oa *o, const struct rest_binding *b,
                         const struct method *m, const char *const *vars,
                         size_t nvars, int nth)
{
	struct sbuf *sb = &o->b;
	const char *svc = strrchr(m->service, '.');

	sbuf_puts(sb, "{\"operationId\":\"");
	sbuf_puts(sb, svc ? svc + 1 : m->service);
	sbuf_puts(sb, "_");
	sbuf_puts(sb, m->name);
	if (nth > 1)
		sbuf_printf(sb, "_%d", nth);
	sbuf_puts(sb, "\",\"tags\":[");
	sbuf_json_str(sb, svc ? svc + 1 : m->service);
	sbuf_puts(sb, "],\"parameters\":[");
	o->nparam = 0;
	for (size_t i = 0; i < nvars; i++) {
		const ProtobufCMessageDescriptor *d = m->input;
		const ProtobufCFieldDescriptor *f = NULL;
		char part[128];
		const char *p = vars[i];
		while (*p != '\0' && d != NULL) {
			size_t n = strcspn(p, ".");
			if (n >= sizeof(part))
				break;
			memcpy(part, p, n);
			part[n] = '\0';
			f = protobuf_c_message_descriptor_get_field_by_name(d, part);
			if (f == NULL)
				break;
			d = f->type == PROTOBUF_C_TYPE_MESSAGE ? f->descriptor : NULL;
			p += n + (p[n] == '.');
		}
		oa_sep(o);
		sbuf_puts(sb, "{\"name\":");
		sbuf_json_str(sb, vars[i]);
		sbuf_puts(sb, ",\"in\":\"path\",\"required\":true,");
		if (f != NULL)
			oa_param_type(o, f);
		else
			sbuf_puts(sb, "\"type\":\"string\"");
		sbuf_puts(sb, "}");
	}
	if (strcmp(b->body, "*") == 0) {
		oa_sep(o);
		sbuf_puts(sb, "{\"name\":\"body\",\"in\":\"body\",\"required\":"
		              "true,\"schema\":{\"$ref\":\"#/definitions/");
		sbuf_puts(sb, m->input->name);
		sbuf_puts(sb, "\"}}");
	} else {
		if (b->body[0] != '\0') {
			const ProtobufCFieldDescriptor *f =
			    protobuf_c_message_descriptor_get_field_by_name(
			        m->input, b->body);
			oa_sep(o);
		sbuf_puts(sb, "{\"name\":");
			sbuf_json_str(sb, b->body);
			sbuf_puts(sb, ",\"in\":\"body\",\"required\":true,"
			              "\"schema\":");
			oa_field_schema(o, f);
			sbuf_puts(sb, "}");
		}
		oa_query(o, m->input, "", 0, vars, nvars, b->body);
	}
	sbuf_puts(sb, "],\"responses\":{\"200\":{\"description\":\"A "
	              "successful response.\",\"schema\":{\"$ref\":"
	              "\"#/definitions/");
	if (b->response_body[0] != '\0') {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(
		        m->output, b->response_body);
		sbuf_puts(sb, ((const ProtobufCMessageDescriptor *)f->descriptor)
		                  ->name);
	} else {
		sbuf_puts(sb, m->output->name);
	}
	sbuf_puts(sb, "\"}},\"default\":{\"description\":\"An unexpected "
	              "error response.\",\"schema\":{\"$ref\":"
	              "\"#/definitions/google.rpc.Status\"}}}}");
}

/* Template key: "{x=**}" written as "{x}". */
static void oa_path_key(struct sbuf *b, const char *t)
{
	struct sbuf tmp = SBUF_INIT;
	char *s;

	while (*t != '\0') {
		if (*t == '=') {
			while (*t != '\0' && *t != '}')
				t++;
			continue;
		}
		sbuf_add(&tmp, t, 1);
		t++;
	}
	s = sbuf_finish(&tmp, NULL);
	if (s == NULL) {
		b->oom = 1;
		return;
	}
	sbuf_json_str(b, s);
	free(s);
}

static struct {
	pthread_once_t once;
	char *doc;
	size_t len;
} oa_doc = {PTHREAD_ONCE_INIT, NULL, 0};

static void oa_build(void)
{
	struct oa *o = calloc(1, sizeof(*o));
	size_t n = rest_route_count();
	char *done;
	int first = 1;

	if (o == NULL)
		return;
	done = calloc(n ? n : 1, 1);
	if (done == NULL) {
		free(o);
		return;
	}
	sbuf_printf(&o->b,
	            "{\"swagger\":\"2.0\",\"info\":{\"title\":\"Flyte Admin "
	            "API (flyteidl %s) served by Keel\",\"version\":\"%s\"},"
	            "\"schemes\":[\"http\",\"https\"],"
	            "\"consumes\":[\"application/json\","
	            "\"application/octet-stream\"],"
	            "\"produces\":[\"application/json\","
	            "\"application/octet-stream\"],\"paths\":{",
	            "1.16.5", PACKAGE_VERSION);
	/* One path object per template, its verbs together, in IDL order. */
	for (size_t i = 0; i < n; i++) {
		const struct method *m;
		const char *const *vars;
		size_t nvars;
		const struct rest_binding *b =
		    rest_binding_at(i, &m, &vars, &nvars);
		int firstop = 1;

		if (done[i])
			continue;
		if (!first)
			sbuf_puts(&o->b, ",");
		first = 0;
		oa_path_key(&o->b, b->path);
		sbuf_puts(&o->b, ":{");
		for (size_t j = i; j < n; j++) {
			const struct method *m2;
			const char *const *vars2;
			size_t nvars2;
			const struct rest_binding *b2 =
			    rest_binding_at(j, &m2, &vars2, &nvars2);
			int nth = 1;
			char verb[16];

			if (done[j] || strcmp(b2->path, b->path) != 0)
				continue;
			done[j] = 1;
			for (size_t k = 0; k < j; k++) {
				const struct method *mk;
				const char *const *vk;
				size_t nk;
				if (rest_binding_at(k, &mk, &vk, &nk) != NULL &&
				    mk == m2)
					nth++;
			}
			for (size_t k = 0; k < sizeof(verb) - 1 && b2->verb[k];
			     k++) {
				verb[k] = (char)(b2->verb[k] | 0x20);
				verb[k + 1] = '\0';
			}
			if (!firstop)
				sbuf_puts(&o->b, ",");
			firstop = 0;
			sbuf_json_str(&o->b, verb);
			sbuf_puts(&o->b, ":");
			oa_operation(o, b2, m2, vars2, nvars2, nth);
			oa_add_type(o, m2->input);
			oa_add_type(o, m2->output);
		}
		sbuf_puts(&o->b, "}");
	}
	oa_add_type(o, &google__rpc__status__descriptor);
	sbuf_puts(&o->b, "},\"definitions\":{");
	for (size_t i = 0; i < o->nseen; i++) {
		if (i > 0)
			sbuf_puts(&o->b, ",");
		oa_definition(o, o->seen[i]);
	}
	sbuf_puts(&o->b, "}}");
	oa_doc.doc = sbuf_finish(&o->b, &oa_doc.len);
	free(done);
	free(o);
}

const char *api_http_openapi(size_t *len)
{
	pthread_once(&oa_doc.once, oa_build);
	*len = oa_doc.len;
	return oa_doc.doc;
}
