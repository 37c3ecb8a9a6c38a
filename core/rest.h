/*
 * rest.h -- the grpc-gateway REST map, independent of the HTTP server.
 *
 * Routes an HTTP method and request-target onto a method of the method
 * table through the generated binding table (rest_bindings.h), builds the
 * request message from the path variables, the query string and the body,
 * runs it with rpc_invoke() and encodes the response, all the way Flyte
 * Admin's grpc-gateway does:
 *
 *  - Path variables are proto field paths ("{id.project}"); each path
 *    segment is percent-decoded on its own, so "%2F" stays inside its
 *    segment.  When several templates match, the one with more literal
 *    segments wins (then the first in IDL order).
 *  - Query parameters set fields by proto or JSON name with dotted paths
 *    ("sort_by.key", "sortBy.key"); repeated fields repeat the parameter;
 *    enums by name or number.  Unknown parameters, parameters naming a
 *    path variable and any parameter on a body "*" binding are
 *    INVALID_ARGUMENT naming the parameter.
 *  - A body field that disagrees with the path variable for the same field
 *    is INVALID_ARGUMENT naming both values (grpc-gateway silently lets
 *    the path win; Keel refuses to guess which one the caller meant).
 *  - Encodings (reference/ecosystem.md 4.2): the request body is read by
 *    its Content-Type, the response written by an exact Accept match, else
 *    like the request:
 *      application/octet-stream  binary protobuf (the console);
 *      application/json          JSON, proto field names, every field
 *                                present (flyteadmin's JSONPb settings);
 *      anything else             JSON, lowerCamelCase names, every field
 *                                present (grpc-gateway v2's default
 *                                marshaler: EmitUnpopulated is on there
 *                                too, whatever older docs say).
 *    Both JSON flavours accept both namings on input and reject unknown
 *    fields, naming them (grpc-gateway's default marshaler would drop
 *    them; a silently ignored field is a lost setting).
 *  - Errors: HTTP status from the gRPC code as grpc-gateway maps it, body
 *    google.rpc.Status {code, message, details} in the response encoding.
 */
#ifndef KEEL_CORE_REST_H
#define KEEL_CORE_REST_H

#include <stddef.h>
#include <stdint.h>

struct call;

enum rest_fmt {
	REST_FMT_BINARY = 0,
	REST_FMT_JSON = 1,       /* application/json: proto names */
	REST_FMT_JSON_CAMEL = 2, /* anything else: lowerCamelCase */
};

/* Parse and check the binding table against the method table (rpc_init
 * first): every method exists, every path variable and body field
 * resolves.  0, or KEEL_E* with a message naming the binding. */
int rest_init(char *err, size_t errlen);
void rest_shutdown(void);
size_t rest_route_count(void);

/* Negotiation: the request's encoding from Content-Type (NULL: none), the
 * response's from Accept and the request's. */
enum rest_fmt rest_fmt_in(const char *content_type);
enum rest_fmt rest_fmt_out(const char *accept, enum rest_fmt in);
const char *rest_content_type(enum rest_fmt f);

struct rest_req {
	const char *verb;     /* HEAD is routed as GET */
	const char *target;   /* request-target as sent: path[?query] */
	const uint8_t *body;  /* borrowed */
	size_t body_len;
	enum rest_fmt in, out;
};

struct rest_resp {
	int status;               /* HTTP status */
	const char *content_type; /* static */
	uint8_t *body;            /* in the call's arena */
	size_t len;
	const char *allow;        /* 405: the methods the path has, else NULL */
};

/*
 * Serve one request.  c must have arena, svc, door, request_id and
 * metadata set.  Fills *out for every outcome, errors included, and
 * returns the HTTP status; c->code/c->message hold the gRPC status.
 */
int rest_serve(struct call *c, const struct rest_req *r,
               struct rest_resp *out);

/* The error response for c->code/c->message (and c->detail) in encoding
 * f: used by the HTTP server for failures before routing too. */
void rest_error(struct call *c, enum rest_fmt f, struct rest_resp *out);

/* grpc-gateway's HTTPStatusFromCode. */
int rest_http_status(int grpc_code);

/* Binding i of the parsed table, for the OpenAPI document: its verb,
 * template, body, method, and the field paths its path variables bind
 * (*nvars of them).  NULL past the end. */
struct method;
const struct rest_binding *rest_binding_at(size_t i, const struct method **m,
                                           const char *const **vars,
                                           size_t *nvars);

#endif
