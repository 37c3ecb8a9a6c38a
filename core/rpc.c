/*
 * rpc.c -- method table and dispatch.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/keel_plugin.h>

#include "arena.h"
#include "audit.h"
#include "flyteidl/service/admin.pb-c.h"
#include "flyteidl/service/auth.pb-c.h"
#include "flyteidl/service/dataproxy.pb-c.h"
#include "flyteidl/service/identity.pb-c.h"
#include "flyteidl/service/signal.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "log.h"
#include "rpc.h"
#include "status_name.h"
#include "svc.h"
#include "util.h"

static const ProtobufCServiceDescriptor *const rpc_services[] = {
	&flyteidl__service__admin_service__descriptor,
	&flyteidl__service__auth_metadata_service__descriptor,
	&flyteidl__service__identity_service__descriptor,
	&flyteidl__service__data_proxy_service__descriptor,
	&flyteidl__service__signal_service__descriptor,
};

static struct {
	struct method *methods;
	size_t n;
} rpc_table;


const char *rpc_code_name(int code)
{
	return status_code_name(code);
}

int rpc_code_from_keel(int keel_code)
{
	/* KEEL_E* codes are negated gRPC codes by design. */
	if (keel_code >= 0)
		return RPC_OK;
	if (-keel_code > RPC_UNAUTHENTICATED)
		return RPC_INTERNAL;
	return -keel_code;
}

/* Reads start with Get/List; everything else changes state. */
static const char *rpc_action_for(const char *name)
{
	/* Get-or-create writes. */
	if (strncmp(name, "GetOrCreate", 11) == 0)
		return RPC_ACTION_WRITE;
	if (strncmp(name, "Get", 3) == 0 || strncmp(name, "List", 4) == 0 ||
	    strcmp(name, "UserInfo") == 0)
		return RPC_ACTION_READ;
	return RPC_ACTION_WRITE;
}

int rpc_init(void)
{
	size_t n = 0, k = 0;

	for (size_t s = 0; s < UTIL_ARRAY_LEN(rpc_services); s++)
		n += rpc_services[s]->n_methods;
	rpc_table.methods = calloc(n, sizeof(*rpc_table.methods));
	if (rpc_table.methods == NULL)
		return KEEL_ENOMEM;
	for (size_t s = 0; s < UTIL_ARRAY_LEN(rpc_services); s++) {
		const ProtobufCServiceDescriptor *sd = rpc_services[s];
		for (unsigned i = 0; i < sd->n_methods; i++) {
			struct method *m = &rpc_table.methods[k++];
			m->service = sd->name;
			m->name = sd->methods[i].name;
			m->input = sd->methods[i].input;
			m->output = sd->methods[i].output;
			m->action = rpc_action_for(m->name);
			m->path = util_asprintf("/%s/%s", sd->name, m->name);
			if (m->path == NULL) {
				rpc_table.n = k;
				rpc_shutdown();
				return KEEL_ENOMEM;
			}
			m->handler = svc_handler(m->path);
		}
	}
	rpc_table.n = k;
	return 0;
}

void rpc_shutdown(void)
{
	for (size_t i = 0; i < rpc_table.n; i++)
		free(rpc_table.methods[i].path);
	free(rpc_table.methods);
	rpc_table.methods = NULL;
	rpc_table.n = 0;
}

const struct method *rpc_find(const char *path)
{
	/* ~70 entries: a scan is cheaper than keeping a hash in sync. */
	for (size_t i = 0; i < rpc_table.n; i++)
		if (strcmp(rpc_table.methods[i].path, path) == 0)
			return &rpc_table.methods[i];
	return NULL;
}

size_t rpc_count(void)
{
	return rpc_table.n;
}

const struct method *rpc_at(size_t i)
{
	return i < rpc_table.n ? &rpc_table.methods[i] : NULL;
}

int call_error(struct call *c, int code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->code = code;
	c->message = arena_strdup(c->arena, buf);
	if (c->message == NULL)
		c->message = "";
	return -code;
}

int call_fail(struct call *c, int keel_code, const char *msg)
{
	return call_error(c, rpc_code_from_keel(keel_code), "%s",
	                  msg && *msg ? msg : "internal error");
}

void *call_new(struct call *c, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *m = arena_alloc(c->arena, desc->sizeof_message);

	if (m != NULL)
		desc->message_init(m);
	return m;
}

static struct {
	rpc_auth_fn fn;
	void *arg;
} rpc_auth;

void rpc_set_auth_hook(rpc_auth_fn fn, void *arg)
{
	rpc_auth.fn = fn;
	rpc_auth.arg = arg;
}

const char *call_meta(const struct call *c, const char *key)
{
	for (size_t i = 0; i < c->nmeta; i++)
		if (strcmp(c->meta_keys[i], key) == 0)
			return c->meta_vals[i];
	return NULL;
}

/* Checks every door shares before a handler runs. */
static int rpc_admit(struct call *c)
{
	const char *path = c->method->path;

	if (c->method->handler == NULL)
		return call_error(c, RPC_UNIMPLEMENTED,
		                  "method %s is not implemented by this keeld",
		                  path);
	if (c->deadline_ms != 0 && util_now_ms() >= c->deadline_ms)
		return call_error(c, RPC_DEADLINE_EXCEEDED,
		                  "deadline passed before %s started", path);
	c->principal = "anonymous";
	if (rpc_auth.fn != NULL && rpc_auth.fn(c, rpc_auth.arg) != 0 &&
	    c->code == RPC_OK)
		call_error(c, RPC_UNAUTHENTICATED, "authentication failed");
	return -c->code;
}

int rpc_invoke(struct call *c, const ProtobufCMessage *req,
               ProtobufCMessage **resp)
{
	int64_t t0 = util_mono_ms();
	int rc;

	*resp = NULL;
	if (c->method->handler == NULL) {
		/* Nothing was attempted: not worth an audit record. */
		rpc_admit(c);
		return c->code;
	}
	if (rpc_admit(c) != 0)
		goto out;
	rc = c->method->handler(c, req, resp);
	if (rc != 0 || c->code != RPC_OK) {
		if (c->code == RPC_OK)
			call_error(c, RPC_INTERNAL, "handler failed");
		*resp = NULL;
	} else if (*resp == NULL) {
		call_error(c, RPC_INTERNAL, "%s produced no response",
		           c->method->path);
	}
out:
	/* Refused calls are audited too: a denied write is worth a record. */
	if (strcmp(c->method->action, RPC_ACTION_WRITE) == 0)
		audit_call(c, util_mono_ms() - t0);
	return c->code;
}

int rpc_dispatch(struct call *c, const char *path, const uint8_t *req,
                 size_t len, uint8_t **out, size_t *out_len)
{
	ProtobufCMessage *in, *resp = NULL;
	uint8_t *buf;
	size_t n;

	c->code = RPC_OK;
	c->message = "";
	*out = NULL;
	*out_len = 0;
	c->method = rpc_find(path);
	if (c->method == NULL) {
		call_error(c, RPC_UNIMPLEMENTED, "unknown method %s", path);
		return c->code;
	}
	if (c->method->handler == NULL) {
		/* Answer before decoding: the message names the method. */
		rpc_admit(c);
		return c->code;
	}
	in = protobuf_c_message_unpack(c->method->input,
	                               arena_pb_allocator(c->arena), len, req);
	if (in == NULL) {
		call_error(c, RPC_INVALID_ARGUMENT,
		           "cannot decode the %zu-byte request as %s", len,
		           c->method->input->name);
		return c->code;
	}
	if (rpc_invoke(c, in, &resp) != RPC_OK)
		return c->code;
	n = protobuf_c_message_get_packed_size(resp);
	buf = arena_alloc(c->arena, n ? n : 1);
	if (buf == NULL) {
		call_error(c, RPC_RESOURCE_EXHAUSTED,
		           "response of %zu bytes exceeds the request memory "
		           "limit",
		           n);
		return c->code;
	}
	protobuf_c_message_pack(resp, buf);
	*out = buf;
	*out_len = n;
	return RPC_OK;
}

/* A caller's request id is kept only when it is safe to echo in a header
 * and to write in a log: 1 to 128 of [A-Za-z0-9._:/-]. */
static int call_request_id_ok(const char *id)
{
	size_t n = 0;

	for (; id[n] != '\0'; n++) {
		char ch = id[n];
		if (n >= 128 ||
		    !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == ':' || ch == '/' || ch == '-'))
			return 0;
	}
	return n > 0;
}

void call_set_request_id(struct call *c, const char *id)
{
	char rid[24];

	if (id != NULL && call_request_id_ok(id)) {
		c->request_id = id;
		return;
	}
	memcpy(rid, "a-", 2);
	if (util_random_id(rid + 2, 20) != 0)
		util_strlcpy(rid + 2, "00000000000000000000", 21);
	c->request_id = arena_strdup(c->arena, rid);
	if (c->request_id == NULL)
		c->request_id = "";
}

void call_log(const struct call *c, const char *path, int64_t t0)
{
	int64_t ms = util_mono_ms() - t0;
	const char *rid = c->request_id ? c->request_id : "";

	if (c->code == RPC_OK) {
		LOG_DEBUG("api", "%s %s ok %lldms request_id=%s", c->door, path,
		          (long long)ms, rid);
		return;
	}
	log_write(c->code == RPC_INTERNAL || c->code == RPC_UNKNOWN ||
	                  c->code == RPC_DATA_LOSS
	              ? KEEL_LOG_ERROR
	              : KEEL_LOG_INFO,
	          "api", "%s %s %s: %s (%lldms request_id=%s)", c->door, path,
	          rpc_code_name(c->code), c->message ? c->message : "",
	          (long long)ms, rid);
}

int call_detail_any(struct call *c, void *out)
{
	Google__Protobuf__Any *any = out;
	size_t n;

	if (c->detail == NULL)
		return -1;
	google__protobuf__any__init(any);
	n = protobuf_c_message_get_packed_size(c->detail);
	any->value.data = arena_alloc(c->arena, n ? n : 1);
	any->type_url = arena_printf(c->arena, "type.googleapis.com/%s",
	                             c->detail->descriptor->name);
	if (any->value.data == NULL || any->type_url == NULL)
		return -1;
	any->value.len = protobuf_c_message_pack(c->detail, any->value.data);
	return 0;
}
