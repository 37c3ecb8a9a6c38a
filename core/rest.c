/* rest.c -- see rest.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <keel/keel_plugin.h>

#include "arena.h"
#include "google/rpc/status.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "pbjson.h"
#include "rest.h"
#include "rest_bindings.h"
#include "rpc.h"
#include "util.h"

#define REST_MAX_SEGS 32
#define REST_MAX_VARS 16

struct rest_seg {
	char *lit;   /* literal text, or NULL for a variable */
	int rest;    /* "**" or "{x=**}": matches the remaining segments */
};

struct rest_route {
	const struct rest_binding *b;
	const struct method *m;
	struct rest_seg seg[REST_MAX_SEGS];
	unsigned nseg, nlit, nvar;
	const char *var[REST_MAX_VARS];  /* field path of each variable */
	unsigned var_seg[REST_MAX_VARS]; /* its segment index */
	const ProtobufCFieldDescriptor *body_field; /* body: "<field>" */
	const ProtobufCFieldDescriptor *resp_field; /* response_body */
	char *text;                      /* storage for lit/var strings */
};

static struct {
	struct rest_route *r;
	size_t n;
} rest;

int rest_http_status(int code)
{
	switch (code) {
	case RPC_OK:
		return 200;
	case RPC_CANCELLED:
		return 499;
	case RPC_INVALID_ARGUMENT:
	case RPC_FAILED_PRECONDITION:
	case RPC_OUT_OF_RANGE:
		return 400;
	case RPC_DEADLINE_EXCEEDED:
		return 504;
	case RPC_NOT_FOUND:
		return 404;
	case RPC_ALREADY_EXISTS:
	case RPC_ABORTED:
		return 409;
	case RPC_PERMISSION_DENIED:
		return 403;
	case RPC_UNAUTHENTICATED:
		return 401;
	case RPC_RESOURCE_EXHAUSTED:
		return 429;
	case RPC_UNIMPLEMENTED:
		return 501;
	case RPC_UNAVAILABLE:
		return 503;
	default:
		return 500;
	}
}

/* The field a dotted proto-name path ends at, or NULL when a part is
 * unknown or repeated. */
static const ProtobufCFieldDescriptor *
rest_field_path(const ProtobufCMessageDescriptor *d, const char *path)
{
	char part[128];
	const ProtobufCFieldDescriptor *f = NULL;

	while (*path != '\0') {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (d == NULL || n == 0 || n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		f = protobuf_c_message_descriptor_get_field_by_name(d, part);
		if (f == NULL || f->label == PROTOBUF_C_LABEL_REPEATED)
			return NULL;
		d = f->type == PROTOBUF_C_TYPE_MESSAGE ? f->descriptor : NULL;
		path += n + (dot != NULL);
		if (dot != NULL && d == NULL)
			return NULL;
	}
	return f;
}

static int rest_parse(struct rest_route *rt, char *err, size_t errlen)
{
	const struct rest_binding *b = rt->b;
	char *p;

	rt->text = util_strdup(b->path);
	if (rt->text == NULL)
		return KEEL_ENOMEM;
	p = rt->text + 1;
	while (p != NULL && *p != '\0') {
		char *slash = strchr(p, '/');
		struct rest_seg *s;

		if (slash != NULL)
			*slash = '\0';
		if (rt->nseg == REST_MAX_SEGS)
			goto bad;
		s = &rt->seg[rt->nseg];
		if (*p == '{') {
			char *eq = strchr(p, '=');
			p[strlen(p) - 1] = '\0';
			if (eq != NULL) {
				s->rest = strcmp(eq, "=**") == 0;
				*eq = '\0';
			}
			if (rt->nvar == REST_MAX_VARS)
				goto bad;
			rt->var[rt->nvar] = p + 1;
			rt->var_seg[rt->nvar++] = rt->nseg;
			if (rest_field_path(rt->m->input, p + 1) == NULL ||
			    rest_field_path(rt->m->input, p + 1)->type ==
			        PROTOBUF_C_TYPE_MESSAGE) {
				util_fmt(err, errlen,
				         "REST binding %s %s: path variable %s is "
				         "not a scalar field of %s",
				         b->verb, b->path, p + 1,
				         rt->m->input->name);
				return KEEL_EINVAL;
			}
		} else if (strcmp(p, "**") == 0) {
			s->rest = 1;
		} else if (strcmp(p, "*") != 0) {
			s->lit = p;
			rt->nlit++;
		}
		rt->nseg++;
		p = slash ? slash + 1 : NULL;
	}
	return 0;
bad:
	util_fmt(err, errlen, "REST binding %s %s: more than %d segments or "
	                      "%d variables",
	         b->verb, b->path, REST_MAX_SEGS, REST_MAX_VARS);
	return KEEL_EINVAL;
}

void rest_shutdown(void)
{
	for (size_t i = 0; i < rest.n; i++)
		free(rest.r[i].text);
	free(rest.r);
	rest.r = NULL;
	rest.n = 0;
}

int rest_init(char *err, size_t errlen)
{
	int rc;

	rest_shutdown();
	rest.r = calloc(rest_nbindings, sizeof(*rest.r));
	if (rest.r == NULL)
		return KEEL_ENOMEM;
	for (size_t i = 0; i < rest_nbindings; i++) {
		struct rest_route *rt = &rest.r[rest.n++];
		const struct rest_binding *b = &rest_bindings[i];

		rt->b = b;
		rt->m = rpc_find(b->rpc);
		if (rt->m == NULL) {
			util_fmt(err, errlen, "REST binding %s %s names %s, which "
			                      "the method table lacks",
			         b->verb, b->path, b->rpc);
			rc = KEEL_EINVAL;
			goto fail;
		}
		if ((rc = rest_parse(rt, err, errlen)) != 0)
			goto fail;
		if (b->body[0] != '\0' && strcmp(b->body, "*") != 0) {
			rt->body_field = protobuf_c_message_descriptor_get_field_by_name(
			    rt->m->input, b->body);
			if (rt->body_field == NULL ||
			    rt->body_field->type != PROTOBUF_C_TYPE_MESSAGE ||
			    rt->body_field->label == PROTOBUF_C_LABEL_REPEATED) {
				util_fmt(err, errlen,
				         "REST binding %s %s: body field %s is not "
				         "a singular message field of %s",
				         b->verb, b->path, b->body,
				         rt->m->input->name);
				rc = KEEL_EINVAL;
				goto fail;
			}
		}
		if (b->response_body[0] != '\0') {
			rt->resp_field = protobuf_c_message_descriptor_get_field_by_name(
			    rt->m->output, b->response_body);
			if (rt->resp_field == NULL ||
			    rt->resp_field->type != PROTOBUF_C_TYPE_MESSAGE ||
			    rt->resp_field->label == PROTOBUF_C_LABEL_REPEATED) {
				util_fmt(err, errlen,
				         "REST binding %s %s: response_body %s is "
				         "not a singular message field of %s",
				         b->verb, b->path, b->response_body,
				         rt->m->output->name);
				rc = KEEL_EINVAL;
				goto fail;
			}
		}
	}
	return 0;
fail:
	rest_shutdown();
	return rc;
}

size_t rest_route_count(void)
{
	return rest.n;
}

const struct rest_binding *rest_binding_at(size_t i, const struct method **m,
                                           const char *const **vars,
                                           size_t *nvars)
{
	if (i >= rest.n)
		return NULL;
	*m = rest.r[i].m;
	*vars = rest.r[i].var;
	*nvars = rest.r[i].nvar;
	return rest.r[i].b;
}

/* ---- negotiation ----------------------------------------------------- */

/* The media type without parameters, compared case-insensitively. */
static int rest_media_is(const char *v, const char *type)
{
	size_t n = strlen(type);

	while (*v == ' ' || *v == '\t')
		v++;
	if (strncasecmp(v, type, n) != 0)
		return 0;
	v += n;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v == '\0' || *v == ';';
}

enum rest_fmt rest_fmt_in(const char *ct)
{
	if (ct == NULL)
		return REST_FMT_JSON_CAMEL;
	if (rest_media_is(ct, "application/octet-stream"))
		return REST_FMT_BINARY;
	if (rest_media_is(ct, "application/json"))
		return REST_FMT_JSON;
	return REST_FMT_JSON_CAMEL;
}

enum rest_fmt rest_fmt_out(const char *accept, enum rest_fmt in)
{
	/* grpc-gateway matches the whole Accept value exactly; a list such
	 * as axios' "application/json, text/plain, * / *" falls back to the
	 * request's encoding. */
	if (accept != NULL && strcmp(accept, "application/octet-stream") == 0)
		return REST_FMT_BINARY;
	if (accept != NULL && strcmp(accept, "application/json") == 0)
		return REST_FMT_JSON;
	return in;
}

const char *rest_content_type(enum rest_fmt f)
{
	return f == REST_FMT_BINARY ? "application/octet-stream"
	                            : "application/json";
}

/* ---- encoding -------------------------------------------------------- */

static int rest_encode(struct call *c, const ProtobufCMessage *m,
                       enum rest_fmt f, struct rest_resp *out)
{
	out->content_type = rest_content_type(f);
	if (f == REST_FMT_BINARY) {
		size_t n = protobuf_c_message_get_packed_size(m);
		out->body = arena_alloc(c->arena, n ? n : 1);
		if (out->body == NULL)
			return -1;
		out->len = protobuf_c_message_pack(m, out->body);
		return 0;
	}
	struct pbjson_opts o = {
	    .format = PBJSON_JSON,
	    .proto_names = f == REST_FMT_JSON,
	    .emit_defaults = 1,
	};
	size_t n = 0;
	char *text = pbjson_encode(m, &o, &n);
	if (text == NULL)
		return -1;
	out->body = arena_alloc(c->arena, n ? n : 1);
	if (out->body != NULL)
		memcpy(out->body, text, n);
	out->len = n;
	free(text);
	return out->body ? 0 : -1;
}

void rest_error(struct call *c, enum rest_fmt f, struct rest_resp *out)
{
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	Google__Protobuf__Any any, *anys[1];
	static const char fallback[] =
	    "{\"code\":13,\"message\":\"cannot encode the error\","
	    "\"details\":[]}";

	if (c->code == RPC_OK)
		c->code = RPC_UNKNOWN;
	st.code = c->code;
	st.message = (char *)(c->message ? c->message : "");
	if (call_detail_any(c, &any) == 0) {
		anys[0] = &any;
		st.details = anys;
		st.n_details = 1;
	}
	out->status = rest_http_status(c->code);
	if (rest_encode(c, &st.base, f, out) != 0) {
		out->status = 500;
		out->content_type = "application/json";
		out->body = (uint8_t *)fallback;
		out->len = sizeof(fallback) - 1;
	}
}

/* ---- request building ------------------------------------------------ */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into the arena; plus_space for query strings.
 * NULL on a bad escape or an encoded NUL (fields are C strings). */
static char *rest_unescape(struct arena *a, const char *s, size_t n,
                           int plus_space)
{
	char *out = arena_alloc(a, n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_space) {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

struct rest_match {
	const struct rest_route *rt;
	const char *val[REST_MAX_VARS];
};

/* 0: matched into *m; else the HTTP status (404, 405, 400) with c's
 * status set. */
static int rest_route(struct call *c, const char *verb, const char *path,
                      size_t plen, struct rest_match *m,
                      struct rest_resp *out)
{
	const char *seg[REST_MAX_SEGS + 1];
	size_t nseg = 0;
	char allow[64] = "";
	const char *p = path, *end = path + plen;

	if (plen == 0 || *p != '/')
		goto notfound;
	while (p < end) {
		const char *s = ++p;
		while (p < end && *p != '/')
			p++;
		if (nseg == REST_MAX_SEGS)
			goto notfound;
		seg[nseg] = rest_unescape(c->arena, s, (size_t)(p - s), 0);
		if (seg[nseg] == NULL) {
			call_error(c, RPC_INVALID_ARGUMENT,
			           "path %.*s: malformed percent-escape",
			           (int)plen, path);
			return 400;
		}
		nseg++;
	}
	if (strcmp(verb, "HEAD") == 0)
		verb = "GET";
	m->rt = NULL;
	for (size_t i = 0; i < rest.n; i++) {
		const struct rest_route *rt = &rest.r[i];
		unsigned k;

		if (rt->nseg != nseg &&
		    !(rt->nseg > 0 && rt->seg[rt->nseg - 1].rest &&
		      nseg >= rt->nseg))
			continue;
		for (k = 0; k < rt->nseg; k++) {
			if (rt->seg[k].lit && strcmp(rt->seg[k].lit, seg[k]) != 0)
				break;
			if (!rt->seg[k].lit && seg[k][0] == '\0')
				break;
		}
		if (k < rt->nseg)
			continue;
		if (strcmp(rt->b->verb, verb) != 0) {
			if (strstr(allow, rt->b->verb) == NULL &&
			    strlen(allow) + strlen(rt->b->verb) + 3 < sizeof(allow)) {
				if (allow[0] != '\0')
					strcat(allow, ", ");
				strcat(allow, rt->b->verb);
			}
			continue;
		}
		if (m->rt == NULL || rt->nlit > m->rt->nlit)
			m->rt = rt;
	}
	if (m->rt == NULL && allow[0] != '\0') {
		out->allow = arena_strdup(c->arena, allow);
		call_error(c, RPC_UNIMPLEMENTED, "method %s not allowed on %.*s "
		                                 "(allowed: %s)",
		           verb, (int)plen, path, allow);
		return 405;
	}
	if (m->rt == NULL)
		goto notfound;
	for (unsigned v = 0; v < m->rt->nvar; v++) {
		unsigned k = m->rt->var_seg[v];
		if (m->rt->seg[k].rest) {
			/* "**": the rest of the path, still escaped per
			 * segment, joined back with '/'. */
			size_t n = 0;
			for (size_t j = k; j < nseg; j++)
				n += strlen(seg[j]) + 1;
			char *s = arena_alloc(c->arena, n + 1), *o = s;
			if (s == NULL)
				goto nomem;
			for (size_t j = k; j < nseg; j++)
				o += sprintf(o, "%s%s", j > k ? "/" : "", seg[j]);
			m->val[v] = s;
		} else {
			m->val[v] = seg[k];
		}
	}
	return 0;
notfound:
	call_error(c, RPC_NOT_FOUND, "no REST route for %s %.*s", verb,
	           (int)plen, path);
	return 404;
nomem:
	call_error(c, RPC_RESOURCE_EXHAUSTED, "out of request memory");
	return 429;
}

/* Whether the scalar at path is set in a (*a_set) and differs from the
 * same field in b. */
static int rest_leaf_differs(const ProtobufCMessage *a,
                             const ProtobufCMessage *b, const char *path,
                             int *a_set, const char **a_text)
{
	const ProtobufCFieldDescriptor *f = NULL;
	const ProtobufCMessageDescriptor *d = a->descriptor;
	char part[128];

	*a_set = 0;
	while (*path != '\0') {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(part))
			return 0;
		memcpy(part, path, n);
		part[n] = '\0';
		f = protobuf_c_message_descriptor_get_field_by_name(d, part);
		if (f == NULL)
			return 0;
		if (dot != NULL) {
			a = *(const ProtobufCMessage *const *)((const char *)a +
			                                       f->offset);
			b = *(const ProtobufCMessage *const *)((const char *)b +
			                                       f->offset);
			if (a == NULL || b == NULL)
				return 0;
			d = f->descriptor;
		}
		path += n + (dot != NULL);
	}
	if (f == NULL)
		return 0;
	const char *pa = (const char *)a + f->offset;
	const char *pb = (const char *)b + f->offset;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;
		*a_set = sa != NULL && sa[0] != '\0';
		*a_text = sa;
		return *a_set && strcmp(sa, sb ? sb : "") != 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *ba = (const void *)pa,
		                          *bb = (const void *)pb;
		*a_set = ba->len > 0;
		return *a_set && (ba->len != bb->len ||
		                  memcmp(ba->data, bb->data, ba->len) != 0);
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: {
		static const char zero[8];
		*a_set = memcmp(pa, zero, 8) != 0;
		return *a_set && memcmp(pa, pb, 8) != 0;
	}
	case PROTOBUF_C_TYPE_BOOL: {
		*a_set = *(const protobuf_c_boolean *)pa != 0;
		return *a_set && (*(const protobuf_c_boolean *)pa != 0) !=
		                     (*(const protobuf_c_boolean *)pb != 0);
	}
	default: {
		static const char zero[4];
		*a_set = memcmp(pa, zero, 4) != 0;
		return *a_set && memcmp(pa, pb, 4) != 0;
	}
	}
}

static int rest_decode_body(struct call *c, const ProtobufCMessageDescriptor *d,
                            const struct rest_req *r, ProtobufCMessage **out)
{
	ProtobufCAllocator *al = arena_pb_allocator(c->arena);
	char err[512];

	if (r->body_len == 0) {
		*out = call_new(c, d);
		return *out ? 0 : call_error(c, RPC_RESOURCE_EXHAUSTED,
		                             "out of request memory");
	}
	if (r->in == REST_FMT_BINARY) {
		*out = protobuf_c_message_unpack(d, al, r->body_len, r->body);
		if (*out == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "cannot decode the %zu-byte body as "
			                  "binary %s",
			                  r->body_len, d->name);
		return 0;
	}
	struct pbjson_read_opts o = {.ignore_unknown = 0, .max_depth = 0};
	if (pbjson_decode(d, (const char *)r->body, r->body_len, &o, al, out,
	                  err, sizeof(err)) != 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "cannot decode the JSON body as %s: %s", d->name,
		                  err);
	return 0;
}

/* The field a dotted path of proto or JSON names ends at, or NULL. */
static const ProtobufCFieldDescriptor *
rest_field_named(const ProtobufCMessageDescriptor *d, const char *path)
{
	const ProtobufCFieldDescriptor *f = NULL;
	char part[128], jn[128];

	while (*path != '\0' && d != NULL) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		f = protobuf_c_message_descriptor_get_field_by_name(d, part);
		for (unsigned i = 0; f == NULL && i < d->n_fields; i++) {
			pbjson_json_name(d->fields[i].name, jn, sizeof(jn));
			if (strcmp(jn, part) == 0)
				f = &d->fields[i];
		}
		if (f == NULL)
			return NULL;
		d = f->type == PROTOBUF_C_TYPE_MESSAGE ? f->descriptor : NULL;
		path += n + (path[n] == '.');
	}
	return *path == '\0' ? f : NULL;
}

/* Query parameters onto msg.  q[0..n) is the raw query string. */
static int rest_query(struct call *c, const struct rest_route *rt,
                      ProtobufCMessage *msg, const char *q, size_t n)
{
	ProtobufCAllocator *al = arena_pb_allocator(c->arena);
	const char *p = q, *end = q + n;
	const char *seen[64];
	size_t nseen = 0;
	char err[512];

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		const char *kend = eq ? eq : stop;
		char *key, *val;

		if (kend == p) {
			p = stop + 1;
			continue;
		}
		key = rest_unescape(c->arena, p, (size_t)(kend - p), 1);
		val = eq ? rest_unescape(c->arena, eq + 1,
		                         (size_t)(stop - eq - 1), 1)
		         : arena_strdup(c->arena, "");
		if (key == NULL || val == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "query parameter %.*s: malformed "
			                  "percent-escape",
			                  (int)(kend - p), p);
		if (strcmp(rt->b->body, "*") == 0)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "query parameter \"%s\" is not allowed: "
			                  "%s %s takes every field from the body",
			                  key, rt->b->verb, rt->b->path);
		for (unsigned v = 0; v < rt->nvar; v++)
			if (strcmp(rt->var[v], key) == 0)
				return call_error(c, RPC_INVALID_ARGUMENT,
				                  "query parameter \"%s\" repeats "
				                  "the path variable {%s}",
				                  key, rt->var[v]);
		/* A second value for a singular field is an error, as in
		 * grpc-gateway, not a silent overwrite. */
		for (size_t i = 0; i < nseen; i++) {
			const ProtobufCFieldDescriptor *f;
			if (strcmp(seen[i], key) != 0)
				continue;
			f = rest_field_named(msg->descriptor, key);
			if (f != NULL && f->label != PROTOBUF_C_LABEL_REPEATED)
				return call_error(c, RPC_INVALID_ARGUMENT,
				                  "query parameter \"%s\" given "
				                  "more than once for a field that "
				                  "holds one value",
				                  key);
		}
		if (nseen < UTIL_ARRAY_LEN(seen))
			seen[nseen++] = key;
		if (pbjson_set_path(msg, key, val, al, err, sizeof(err)) != 0)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "query parameter \"%s\": %s", key, err);
		p = stop + 1;
	}
	return 0;
}

static int rest_build(struct call *c, const struct rest_match *mt,
                      const struct rest_req *r, const char *query,
                      size_t qlen, ProtobufCMessage **out)
{
	const struct rest_route *rt = mt->rt;
	ProtobufCAllocator *al = arena_pb_allocator(c->arena);
	ProtobufCMessage *msg = NULL, *vars;
	char err[512];

	if (strcmp(rt->b->body, "*") == 0) {
		if (rest_decode_body(c, rt->m->input, r, &msg) != 0)
			return -1;
	} else {
		msg = call_new(c, rt->m->input);
		if (msg == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of request memory");
		if (rt->body_field != NULL) {
			ProtobufCMessage *sub;
			if (rest_decode_body(c, rt->body_field->descriptor, r,
			                     &sub) != 0)
				return -1;
			*(ProtobufCMessage **)((char *)msg +
			                       rt->body_field->offset) = sub;
		}
	}
	/* Path variables go into a scratch message first so a body that
	 * says otherwise is caught instead of overwritten. */
	vars = call_new(c, rt->m->input);
	if (vars == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED,
		                  "out of request memory");
	for (unsigned v = 0; v < rt->nvar; v++) {
		int set;
		const char *body_val = NULL;
		if (pbjson_set_path(vars, rt->var[v], mt->val[v], al, err,
		                    sizeof(err)) != 0)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "path variable {%s} = \"%s\": %s",
			                  rt->var[v], mt->val[v], err);
		if (rest_leaf_differs(msg, vars, rt->var[v], &set, &body_val))
			return body_val != NULL
			           ? call_error(c, RPC_INVALID_ARGUMENT,
			                        "field %s is \"%s\" in the path "
			                        "but \"%s\" in the body",
			                        rt->var[v], mt->val[v], body_val)
			           : call_error(c, RPC_INVALID_ARGUMENT,
			                        "field %s is \"%s\" in the path "
			                        "but different in the body",
			                        rt->var[v], mt->val[v]);
		if (!set && pbjson_set_path(msg, rt->var[v], mt->val[v], al,
		                            err, sizeof(err)) != 0)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "path variable {%s} = \"%s\": %s",
			                  rt->var[v], mt->val[v], err);
	}
	if (query != NULL && rest_query(c, rt, msg, query, qlen) != 0)
		return -1;
	*out = msg;
	return 0;
}

int rest_serve(struct call *c, const struct rest_req *r,
               struct rest_resp *out)
{
	const char *q = strchr(r->target, '?');
	size_t plen = q ? (size_t)(q - r->target) : strlen(r->target);
	struct rest_match mt;
	ProtobufCMessage *req = NULL, *resp = NULL;
	const ProtobufCMessage *body;
	int st;

	memset(out, 0, sizeof(*out));
	c->code = RPC_OK;
	c->message = "";
	st = rest_route(c, r->verb, r->target, plen, &mt, out);
	if (st != 0) {
		rest_error(c, r->out, out);
		out->status = st;
		return st;
	}
	c->method = mt.rt->m;
	/* An unimplemented method says so before its body is judged. */
	if (c->method->handler == NULL) {
		rpc_invoke(c, NULL, &resp);
		goto error;
	}
	if (rest_build(c, &mt, r, q ? q + 1 : NULL,
	               q ? strlen(q + 1) : 0, &req) != 0)
		goto error;
	if (rpc_invoke(c, req, &resp) != RPC_OK)
		goto error;
	body = resp;
	if (mt.rt->resp_field != NULL) {
		body = *(const ProtobufCMessage *const *)(
		    (const char *)resp + mt.rt->resp_field->offset);
		if (body == NULL)
			body = call_new(c, mt.rt->resp_field->descriptor);
	}
	if (body == NULL || rest_encode(c, body, r->out, out) != 0) {
		call_error(c, RPC_INTERNAL, "cannot encode the %s response",
		           mt.rt->m->output->name);
		goto error;
	}
	out->status = 200;
	return 200;
error:
	rest_error(c, r->out, out);
	return out->status;
}
