/*
 * rest_test.c -- the REST map in process (rest_serve), over the real
 * SQLite plugin: routing from the generated binding table, the three
 * encodings, query parameters, path/body agreement, the error mapping,
 * the auth hook and the audit trail, and the OpenAPI document.
 * The HTTP transport itself is driven from outside by
 * tests/grpc/rest_conformance.mjs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_http.h"
#include "arena.h"
#include "audit.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/version.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "pbjson.h"
#include "rest.h"
#include "rest_bindings.h"
#include "rpc.h"
#include "svc.h"
#include "tap.h"
#include "testdb.h"
#include "util.h"

static struct svc svc;
static struct arena *arena;

struct res {
	int status;
	int code;
	const char *message;
	const char *principal;
	char *body; /* NUL-terminated copy (binary bodies too) */
	size_t len;
	const char *ctype;
	const char *allow;
};

static const char *meta_k[4], *meta_v[4];
static size_t nmeta;

static struct res req(const char *verb, const char *target, const char *body,
                      size_t blen, enum rest_fmt in, enum rest_fmt out)
{
	struct call c = {.arena = arena, .svc = &svc, .door = "test"};
	struct rest_req r = {verb, target, (const uint8_t *)body, blen, in,
	                     out};
	struct rest_resp o;
	struct res x = {0};

	c.nmeta = nmeta;
	c.meta_keys = meta_k;
	c.meta_vals = meta_v;
	call_set_request_id(&c, NULL);
	x.status = rest_serve(&c, &r, &o);
	TAP_EQ_INT(x.status, o.status, "%s %s: returned status is the "
	                               "response's",
	           verb, target);
	x.code = c.code;
	x.message = c.message;
	x.principal = c.principal;
	x.body = arena_alloc(arena, o.len + 1);
	memcpy(x.body, o.body, o.len);
	x.body[o.len] = '\0';
	x.len = o.len;
	x.ctype = o.content_type;
	x.allow = o.allow;
	return x;
}

static struct res get(const char *target, enum rest_fmt f)
{
	return req("GET", target, NULL, 0, f, f);
}

static struct res send_json(const char *verb, const char *target,
                            const char *json)
{
	return req(verb, target, json, strlen(json), REST_FMT_JSON,
	           REST_FMT_JSON);
}

static int deny_without_token(struct call *c, void *arg)
{
	const char *tok = call_meta(c, "flyte-authorization");

	(void)arg;
	if (tok == NULL)
		return call_error(c, RPC_UNAUTHENTICATED,
		                  "Bearer realm=\"keel\"");
	c->principal = arena_printf(c->arena, "user:%s", tok + 7);
	return 0;
}

int main(void)
{
	struct testdb t;
	char err[1024] = "", audit_path[300];
	struct res x;

	if (testdb_open(&t, 4, err, sizeof(err)) != 0)
		return tap_skip_all(err);
	arena = arena_new(0);
	svc.db = t.db;
	svc.max_page_size = 1000;
	{
		static struct svc_domain doms[2] = {
		    {(char *)"development", (char *)"development"},
		    {(char *)"production", (char *)"production"}};
		svc.domains = doms;
		svc.ndomains = 2;
	}
	TAP_EQ_INT(rpc_init(), 0, "method table built");
	TAP_EQ_INT(rest_init(err, sizeof(err)), 0, "REST map built: %s", err);
	TAP_EQ_INT(rest_route_count(), rest_nbindings,
	           "one route per generated binding (%zu)", rest_nbindings);
	TAP_OK(rest_nbindings >= 60, "the IDL's bindings, additional ones "
	                             "included (%zu)",
	       rest_nbindings);
	util_fmt(audit_path, sizeof(audit_path), "%s/audit.jsonl", t.dir);
	TAP_EQ_INT(audit_setup(audit_path), 0, "audit file opened");

	/* --- negotiation ------------------------------------------------ */
	TAP_EQ_INT(rest_fmt_in("application/octet-stream"), REST_FMT_BINARY,
	           "octet-stream in");
	TAP_EQ_INT(rest_fmt_in("Application/JSON; charset=utf-8"),
	           REST_FMT_JSON, "application/json with parameters in");
	TAP_EQ_INT(rest_fmt_in(NULL), REST_FMT_JSON_CAMEL, "no type: camel");
	TAP_EQ_INT(rest_fmt_in("text/plain"), REST_FMT_JSON_CAMEL,
	           "other type: camel");
	TAP_EQ_INT(rest_fmt_out("application/octet-stream", REST_FMT_JSON),
	           REST_FMT_BINARY, "Accept octet-stream wins");
	TAP_EQ_INT(rest_fmt_out("application/json", REST_FMT_BINARY),
	           REST_FMT_JSON, "Accept json wins");
	TAP_EQ_INT(rest_fmt_out("application/json, text/plain, */*",
	                        REST_FMT_JSON_CAMEL),
	           REST_FMT_JSON_CAMEL,
	           "an Accept list is no exact match: the request's encoding");
	{
		static const int want[17] = {200, 499, 500, 400, 504, 404,
		                             409, 403, 429, 400, 409, 400,
		                             501, 500, 503, 500, 401};
		int bad = 0;
		for (int i = 0; i < 17; i++)
			bad += rest_http_status(i) != want[i];
		TAP_EQ_INT(bad, 0, "gRPC code -> HTTP status as grpc-gateway");
	}

	/* --- GetVersion in three encodings ------------------------------ */
	x = get("/api/v1/version", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 200, "GET /api/v1/version");
	TAP_HAS_STR(x.body, "\"control_plane_version\"",
	            "application/json: proto names");
	TAP_EQ_STR(x.ctype, "application/json", "JSON content type");
	x = get("/api/v1/version", REST_FMT_JSON_CAMEL);
	TAP_HAS_STR(x.body, "\"controlPlaneVersion\"", "other: lowerCamelCase");
	x = get("/api/v1/version", REST_FMT_BINARY);
	TAP_EQ_STR(x.ctype, "application/octet-stream", "binary content type");
	{
		Flyteidl__Admin__GetVersionResponse *v =
		    flyteidl__admin__get_version_response__unpack(
		        NULL, x.len, (const uint8_t *)x.body);
		TAP_OK(v != NULL && v->control_plane_version != NULL &&
		           strcmp(v->control_plane_version->version,
		                  PACKAGE_VERSION) == 0,
		       "binary response decodes, version %s", PACKAGE_VERSION);
		if (v)
			flyteidl__admin__get_version_response__free_unpacked(
			    v, NULL);
	}
	x = req("HEAD", "/api/v1/version", NULL, 0, REST_FMT_JSON,
	        REST_FMT_JSON);
	TAP_EQ_INT(x.status, 200, "HEAD is routed as GET");

	/* --- projects ---------------------------------------------------- */
	x = send_json("POST", "/api/v1/projects",
	              "{\"project\":{\"id\":\"alpha\",\"name\":\"Alpha\","
	              "\"description\":\"first\"}}");
	TAP_EQ_INT(x.status, 200, "POST /api/v1/projects (proto names): %s",
	           x.message);
	x = req("POST", "/api/v1/projects",
	        "{\"project\":{\"id\":\"beta\",\"name\":\"Beta\","
	        "\"labels\":{\"values\":{\"team\":\"ml\"}}}}",
	        strlen("{\"project\":{\"id\":\"beta\",\"name\":\"Beta\","
	               "\"labels\":{\"values\":{\"team\":\"ml\"}}}}"),
	        REST_FMT_JSON_CAMEL, REST_FMT_JSON_CAMEL);
	TAP_EQ_INT(x.status, 200, "POST without a JSON content type: %s",
	           x.message);
	{
		Flyteidl__Admin__ProjectRegisterRequest r =
		    FLYTEIDL__ADMIN__PROJECT_REGISTER_REQUEST__INIT;
		Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
		uint8_t buf[256];
		size_t n;
		p.id = (char *)"gamma";
		p.name = (char *)"Gamma";
		r.project = &p;
		n = protobuf_c_message_pack(&r.base, buf);
		x = req("POST", "/api/v1/projects", (const char *)buf, n,
		        REST_FMT_BINARY, REST_FMT_BINARY);
		TAP_EQ_INT(x.status, 200, "POST with a binary body: %s",
		           x.message);
	}
	x = send_json("POST", "/api/v1/projects",
	              "{\"project\":{\"id\":\"alpha\",\"name\":\"A\"}}");
	TAP_EQ_INT(x.status, 409, "duplicate project: 409");
	TAP_HAS_STR(x.body, "\"code\":6", "body carries ALREADY_EXISTS");
	TAP_HAS_STR(x.body, "\"details\":[]", "and an empty details list");

	x = get("/api/v1/projects/alpha", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 200, "GET /api/v1/projects/{id}");
	TAP_HAS_STR(x.body, "\"id\":\"alpha\"", "the project");
	TAP_HAS_STR(x.body, "\"labels\":null",
	            "unset message written as null (every field present)");
	x = get("/api/v1/projects/nope", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 404, "unknown project: 404");
	TAP_HAS_STR(x.body, "\"code\":5", "NOT_FOUND in the body");
	x = get("/api/v1/projects/nope", REST_FMT_BINARY);
	{
		Google__Rpc__Status *st = google__rpc__status__unpack(
		    NULL, x.len, (const uint8_t *)x.body);
		TAP_OK(st != NULL && st->code == 5 && strstr(st->message, "nope"),
		       "binary error body is a google.rpc.Status naming the id");
		if (st)
			google__rpc__status__free_unpacked(st, NULL);
	}

	/* Query parameters. */
	x = get("/api/v1/projects?limit=1", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 200, "list with limit=1");
	TAP_HAS_STR(x.body, "\"token\":\"", "a next-page token");
	TAP_OK(strstr(x.body, "\"alpha\"") && !strstr(x.body, "\"beta\""),
	       "one project on the first page");
	x = get("/api/v1/projects?sort_by.key=identifier&sort_by.direction="
	        "DESCENDING",
	        REST_FMT_JSON);
	TAP_EQ_INT(x.status, 200, "sort_by by proto names, enum by name: %s",
	           x.message);
	TAP_OK(strstr(x.body, "\"gamma\"") != NULL &&
	           strstr(x.body, "\"gamma\"") < strstr(x.body, "\"alpha\""),
	       "descending order");
	x = get("/api/v1/projects?sortBy.key=identifier&sortBy.direction=1",
	        REST_FMT_JSON);
	TAP_EQ_INT(x.status, 200, "sortBy by JSON names, enum by number: %s",
	           x.message);
	TAP_OK(strstr(x.body, "\"alpha\"") < strstr(x.body, "\"gamma\""),
	       "ascending order");
	x = get("/api/v1/projects?filters=eq(state,0)&limit=10",
	        REST_FMT_JSON);
	TAP_EQ_INT(x.status, 200, "filters parameter: %s", x.message);
	x = get("/api/v1/projects?limit=abc", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 400, "limit=abc: 400");
	TAP_HAS_STR(x.message, "\"limit\"", "names the parameter");
	x = get("/api/v1/projects?bogus=1", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 400, "unknown parameter: 400");
	TAP_HAS_STR(x.message, "bogus", "names it");
	x = get("/api/v1/projects/alpha?id=beta", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 400, "parameter repeating a path variable: 400");
	x = send_json("POST", "/api/v1/projects?x=1",
	              "{\"project\":{\"id\":\"zeta\",\"name\":\"Z\"}}");
	TAP_EQ_INT(x.status, 400, "query parameter on a body-* route: 400");
	TAP_HAS_STR(x.message, "\"x\"", "names it");

	/* Path and body. */
	x = send_json("PUT", "/api/v1/projects/alpha",
	              "{\"id\":\"alpha\",\"name\":\"Alpha 2\"}");
	TAP_EQ_INT(x.status, 200, "PUT /api/v1/projects/{id}: %s", x.message);
	x = send_json("PUT", "/api/v1/projects/alpha", "{\"name\":\"Alpha 3\"}");
	TAP_EQ_INT(x.status, 200, "PUT with the id only in the path: %s",
	           x.message);
	x = get("/api/v1/projects/alpha", REST_FMT_JSON);
	TAP_HAS_STR(x.body, "\"Alpha 3\"", "the update landed");
	x = send_json("PUT", "/api/v1/projects/alpha",
	              "{\"id\":\"beta\",\"name\":\"hijack\"}");
	TAP_EQ_INT(x.status, 400, "path/body mismatch: 400");
	TAP_HAS_STR(x.message, "field id", "names the field");
	x = get("/api/v1/projects/beta", REST_FMT_JSON);
	TAP_HAS_STR(x.body, "\"Beta\"", "and changed nothing");

	/* Bad bodies. */
	x = send_json("POST", "/api/v1/projects", "{\"project\":");
	TAP_EQ_INT(x.status, 400, "truncated JSON: 400");
	x = send_json("POST", "/api/v1/projects",
	              "{\"project\":{\"id\":\"q\",\"nmae\":\"x\"}}");
	TAP_EQ_INT(x.status, 400, "unknown field: 400");
	TAP_HAS_STR(x.message, "nmae", "names the field");
	x = req("POST", "/api/v1/projects", "\x0a\xff\xff", 3, REST_FMT_BINARY,
	        REST_FMT_BINARY);
	TAP_EQ_INT(x.status, 400, "malformed protobuf: 400");

	/* Routing errors. */
	x = get("/api/v1/nothing/here", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 404, "unknown path: 404");
	TAP_HAS_STR(x.message, "/api/v1/nothing/here", "names the path");
	x = req("DELETE", "/api/v1/projects", NULL, 0, REST_FMT_JSON,
	        REST_FMT_JSON);
	TAP_EQ_INT(x.status, 405, "wrong method: 405");
	TAP_OK(x.allow && strstr(x.allow, "GET") && strstr(x.allow, "POST"),
	       "Allow lists the path's methods (%s)", x.allow ? x.allow : "");
	x = get("/api/v1/project_domain_attributes/p/d", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 501, "unimplemented method: 501");
	TAP_HAS_STR(x.message, "GetProjectDomainAttributes", "names the method");
	x = get("/api/v1/projects/%zz", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 400, "bad percent-escape: 400");
	x = get("/api/v1/projects/%00", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 400, "encoded NUL: 400");
	x = get("/api/v1/projects/al%70ha", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 200, "percent-escapes decoded per segment");
	x = get("/api/v1/projects/", REST_FMT_JSON);
	TAP_EQ_INT(x.status, 404, "empty variable segment: 404");

	/* The auth hook and the audit trail. */
	x = get("/api/v1/version", REST_FMT_JSON);
	TAP_EQ_STR(x.principal ? x.principal : "(null)", "anonymous",
	           "without a hook the caller is anonymous");
	rpc_set_auth_hook(deny_without_token, NULL);
	x = send_json("POST", "/api/v1/projects",
	              "{\"project\":{\"id\":\"delta\",\"name\":\"D\"}}");
	TAP_EQ_INT(x.status, 401, "the hook refuses: 401");
	TAP_EQ_INT(x.code, RPC_UNAUTHENTICATED, "UNAUTHENTICATED");
	meta_k[0] = "flyte-authorization";
	meta_v[0] = "Bearer alice";
	nmeta = 1;
	x = send_json("POST", "/api/v1/projects",
	              "{\"project\":{\"id\":\"delta\",\"name\":\"D\"}}");
	TAP_EQ_INT(x.status, 200, "the hook admits: %s", x.message);
	TAP_EQ_STR(x.principal ? x.principal : "(null)", "user:alice",
	           "principal set by the hook");
	rpc_set_auth_hook(NULL, NULL);
	nmeta = 0;
	{
		char *log = NULL;
		size_t n = 0;
		int lines = 0;
		TAP_EQ_INT(util_read_file(audit_path, &log, &n, 1 << 20), 0,
		           "audit file readable");
		for (size_t i = 0; log && i < n; i++)
			lines += log[i] == '\n';
		/* Writes only: 3 registers + 1 duplicate + 1 query-refused
		 * never reached the handler... count what reached invoke. */
		TAP_HAS_STR(log ? log : "",
		            "\"principal\":\"user:alice\",\"door\":\"test\","
		            "\"method\":\"/flyteidl.service.AdminService/"
		            "RegisterProject\",\"code\":\"OK\"",
		            "the admitted write is audited with its principal");
		TAP_HAS_STR(log ? log : "", "\"code\":\"UNAUTHENTICATED\"",
		            "the refused write is audited too");
		TAP_HAS_STR(log ? log : "", "\"code\":\"ALREADY_EXISTS\"",
		            "failed writes are audited");
		TAP_OK(log && !strstr(log, "GetProject") &&
		           !strstr(log, "GetVersion"),
		       "reads are not audited");
		TAP_OK(lines >= 8, "one line per write (%d)", lines);
		free(log);
	}

	/* The OpenAPI document is JSON with one operation per binding. */
	{
		size_t len = 0, ops = 0;
		const char *doc = api_http_openapi(&len);
		Google__Protobuf__Struct *st = NULL;
		TAP_OK(doc != NULL && len > 1000, "OpenAPI document built (%zu "
		                                  "bytes)",
		       len);
		TAP_EQ_INT(pbjson_decode(&google__protobuf__struct__descriptor,
		                         doc ? doc : "", len, NULL,
		                         arena_pb_allocator(arena),
		                         (ProtobufCMessage **)&st, err,
		                         sizeof(err)),
		           0, "it parses as JSON: %s", err);
		for (const char *p = doc; p && (p = strstr(p, "\"operationId\""));
		     p++)
			ops++;
		TAP_EQ_INT(ops, rest_nbindings, "one operation per binding");
		TAP_HAS_STR(doc ? doc : "", "\"/api/v1/projects/{id}\"",
		            "path templates as keys");
		TAP_HAS_STR(doc ? doc : "", "\"name\":\"sort_by.key\"",
		            "nested query parameters dotted");
		TAP_HAS_STR(doc ? doc : "", "\"AdminService_ListTasks_2\"",
		            "additional bindings numbered");
	}

	audit_shutdown();
	rest_shutdown();
	rpc_shutdown();
	arena_free(arena);
	testdb_close(&t);
	return tap_done();
}
