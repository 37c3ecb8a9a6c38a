/*
 * gen_http.c -- build-time generator of the REST binding table.
 *
 * Reads the FileDescriptorSet protoc writes for the IDL, finds every
 * method's google.api.http option (extension 72295728 of MethodOptions,
 * which protobuf-c keeps as an unknown field because it knows no
 * extensions) and writes a C table of (HTTP method, path template, body,
 * response body, gRPC path) rows, additional_bindings included.  The
 * table is what the REST door routes by and what its OpenAPI document is
 * made from, so no route is ever typed by hand.
 *
 * Usage: gen_http DESCRIPTOR_SET > rest_bindings.c
 *
 * A template using syntax the REST door does not implement (custom verbs,
 * nested segment patterns inside a variable) fails the build here rather
 * than misrouting at run time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/api/http.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"

#define HTTP_RULE_EXTENSION 72295728u

static int nrows;

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *nb;
			cap = cap ? cap * 2 : 1 << 20;
			nb = realloc(buf, cap);
			if (nb == NULL)
				goto fail;
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	*len = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/* Only what the router implements: literal segments, "{field.path}",
 * "{field.path=*}" and a final "{field.path=**}" or "**". */
static int template_ok(const char *t, const char **why)
{
	const char *p = t;

	if (*p != '/') {
		*why = "does not start with '/'";
		return 0;
	}
	while (*p != '\0') {
		const char *seg = ++p, *end = strchr(seg, '/');
		size_t n = end ? (size_t)(end - seg) : strlen(seg);

		if (n == 0) {
			*why = "has an empty segment";
			return 0;
		}
		if (memchr(seg, ':', n) != NULL) {
			*why = "uses a custom verb";
			return 0;
		}
		if (seg[0] == '{') {
			const char *eq = memchr(seg, '=', n);
			if (seg[n - 1] != '}') {
				*why = "has a variable spanning segments";
				return 0;
			}
			if (eq != NULL && !(eq + 2 == seg + n - 1 && eq[1] == '*') &&
			    !(eq + 3 == seg + n - 1 && eq[1] == '*' && eq[2] == '*')) {
				*why = "has a variable with a segment pattern";
				return 0;
			}
			if (eq != NULL && eq[2] == '*' && end != NULL) {
				*why = "has '**' before the last segment";
				return 0;
			}
		} else if (memchr(seg, '{', n) != NULL ||
		           memchr(seg, '}', n) != NULL) {
			*why = "mixes a variable with literal text";
			return 0;
		} else if (n == 2 && seg[0] == '*' && seg[1] == '*' && end) {
			*why = "has '**' before the last segment";
			return 0;
		}
		p = seg + n;
	}
	return 1;
}

static void put_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static int emit(const Google__Api__HttpRule *r, const char *grpc_path)
{
	const char *verb, *tmpl, *why = "";

	switch (r->pattern_case) {
	case GOOGLE__API__HTTP_RULE__PATTERN_GET:
		verb = "GET", tmpl = r->get;
		break;
	case GOOGLE__API__HTTP_RULE__PATTERN_PUT:
		verb = "PUT", tmpl = r->put;
		break;
	case GOOGLE__API__HTTP_RULE__PATTERN_POST:
		verb = "POST", tmpl = r->post;
		break;
	case GOOGLE__API__HTTP_RULE__PATTERN_DELETE:
		verb = "DELETE", tmpl = r->delete_;
		break;
	case GOOGLE__API__HTTP_RULE__PATTERN_PATCH:
		verb = "PATCH", tmpl = r->patch;
		break;
	case GOOGLE__API__HTTP_RULE__PATTERN_CUSTOM:
		verb = r->custom->kind, tmpl = r->custom->path;
		break;
	default:
		fprintf(stderr, "gen_http: %s: http rule without a pattern\n",
		        grpc_path);
		return -1;
	}
	if (!template_ok(tmpl, &why)) {
		fprintf(stderr,
		        "gen_http: %s: template \"%s\" %s, which the REST door "
		        "does not implement\n",
		        grpc_path, tmpl, why);
		return -1;
	}
	printf("\t{");
	put_str(verb);
	printf(", ");
	put_str(tmpl);
	printf(", ");
	put_str(r->body);
	printf(", ");
	put_str(r->response_body);
	printf(", ");
	put_str(grpc_path);
	printf("},\n");
	nrows++;
	return 0;
}

static int method_rules(const char *pkg, const char *svc,
                        const Google__Protobuf__MethodDescriptorProto *m)
{
	char path[512];
	const ProtobufCMessage *opts = &m->options->base;

	snprintf(path, sizeof(path), "/%s.%s/%s", pkg, svc, m->name);
	for (unsigned i = 0; i < opts->n_unknown_fields; i++) {
		const ProtobufCMessageUnknownField *u = &opts->unknown_fields[i];
		Google__Api__HttpRule *r;
		int rc = 0;

		size_t skip = 0;

		if (u->tag != HTTP_RULE_EXTENSION ||
		    u->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
			continue;
		/* protobuf-c keeps an unknown field's length prefix in its
		 * data (it writes the bytes back verbatim): skip the varint. */
		while (skip < u->len && (u->data[skip] & 0x80))
			skip++;
		skip++;
		if (skip > u->len)
			skip = u->len;
		r = google__api__http_rule__unpack(NULL, u->len - skip,
		                                   u->data + skip);
		if (r == NULL) {
			fprintf(stderr, "gen_http: %s: cannot decode its "
			                "google.api.http option\n",
			        path);
			return -1;
		}
		rc = emit(r, path);
		for (size_t j = 0; rc == 0 && j < r->n_additional_bindings; j++)
			rc = emit(r->additional_bindings[j], path);
		google__api__http_rule__free_unpacked(r, NULL);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	Google__Protobuf__FileDescriptorSet *set = NULL;
	void *buf = NULL;
	size_t len = 0;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_http DESCRIPTOR_SET > out.c\n");
		return 64;
	}
	buf = read_file(argv[1], &len);
	if (buf == NULL) {
		fprintf(stderr, "gen_http: %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	set = google__protobuf__file_descriptor_set__unpack(NULL, len, buf);
	if (set == NULL) {
		fprintf(stderr, "gen_http: %s: not a FileDescriptorSet\n",
		        argv[1]);
		goto out;
	}
	printf("/* Generated by proto/gen_http from the google.api.http "
	       "options of the IDL.\n * Do not edit. */\n"
	       "#include <stddef.h>\n\n#include \"rest_bindings.h\"\n\n"
	       "const struct rest_binding rest_bindings[] = {\n");
	for (size_t f = 0; f < set->n_file; f++) {
		const Google__Protobuf__FileDescriptorProto *fd = set->file[f];
		for (size_t s = 0; s < fd->n_service; s++) {
			const Google__Protobuf__ServiceDescriptorProto *sd =
			    fd->service[s];
			for (size_t m = 0; m < sd->n_method; m++) {
				if (sd->method[m]->options == NULL)
					continue;
				if (method_rules(fd->package, sd->name,
				                 sd->method[m]) != 0)
					goto out;
			}
		}
	}
	printf("};\n\nconst size_t rest_nbindings = %d;\n", nrows);
	if (nrows == 0) {
		fprintf(stderr, "gen_http: %s: no google.api.http options "
		                "found\n",
		        argv[1]);
		goto out;
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (set != NULL)
		google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
	free(buf);
	return rc;
}
