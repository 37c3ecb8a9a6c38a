/*
 * rest_bindings.h -- the grpc-gateway REST map, one row per google.api.http
 * binding (additional_bindings included), in IDL order.  The rows are
 * generated at build time by proto/gen_http from the IDL's annotations
 * (gen/rest_bindings.c); nothing here is typed by hand.
 */
#ifndef KEEL_CORE_REST_BINDINGS_H
#define KEEL_CORE_REST_BINDINGS_H

#include <stddef.h>

struct rest_binding {
	const char *verb;          /* "GET", "POST", "PUT", "DELETE", "PATCH" */
	const char *path;          /* "/api/v1/projects/{id}" */
	const char *body;          /* "", "*" or a top-level field name */
	const char *response_body; /* "" or a top-level field name */
	const char *rpc;           /* "/flyteidl.service.AdminService/..." */
};

extern const struct rest_binding rest_bindings[];
extern const size_t rest_nbindings;

#endif
