/*
 * rpc.h -- the method table and the request context every front door uses.
 *
 * One table maps each fully-qualified method ("/flyteidl.service.
 * AdminService/GetVersion") to its protobuf-c request/response descriptors
 * (from the IDL's service descriptors, generated at build time), its
 * handler (NULL: UNIMPLEMENTED, naming the method) and the action an
 * authorization policy checks.  Front doors decode the transport, fill a
 * struct call, and call rpc_dispatch(); a handler never knows which door a
 * request came through.
 */
#ifndef KEEL_CORE_RPC_H
#define KEEL_CORE_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct arena;
struct svc;
struct call;

/* gRPC status codes. */
enum {
	RPC_OK = 0,
	RPC_CANCELLED = 1,
	RPC_UNKNOWN = 2,
	RPC_INVALID_ARGUMENT = 3,
	RPC_DEADLINE_EXCEEDED = 4,
	RPC_NOT_FOUND = 5,
	RPC_ALREADY_EXISTS = 6,
	RPC_PERMISSION_DENIED = 7,
	RPC_RESOURCE_EXHAUSTED = 8,
	RPC_FAILED_PRECONDITION = 9,
	RPC_ABORTED = 10,
	RPC_OUT_OF_RANGE = 11,
	RPC_UNIMPLEMENTED = 12,
	RPC_INTERNAL = 13,
	RPC_UNAVAILABLE = 14,
	RPC_DATA_LOSS = 15,
	RPC_UNAUTHENTICATED = 16,
};

#define RPC_ACTION_READ "read"
#define RPC_ACTION_WRITE "write"

/* Handler: decode is done; fill *resp (allocated from c->arena, e.g. with
 * call_new()) and return 0, or return call_error(...).  */
typedef int (*rpc_handler)(struct call *c, const ProtobufCMessage *req,
                           ProtobufCMessage **resp);

struct method {
	char *path;          /* "/flyteidl.service.AdminService/GetVersion" */
	const char *service; /* "flyteidl.service.AdminService" */
	const char *name;    /* "GetVersion" */
	const ProtobufCMessageDescriptor *input;
	const ProtobufCMessageDescriptor *output;
	rpc_handler handler; /* NULL: not implemented yet */
	const char *action;  /* RPC_ACTION_* */
};

struct call {
	struct arena *arena; /* everything of this request lives here */
	struct svc *svc;     /* services: db, config */
	const struct method *method;
	const char *request_id;
	const char *principal; /* who is calling: set by the auth hook before
	                          the handler runs; "anonymous" without one */
	const char *door;      /* "nng", "grpc", "http": for logs */
	int64_t deadline_ms;   /* absolute, Unix ms; 0 for none */
	size_t nmeta;          /* request metadata, borrowed */
	const char *const *meta_keys;
	const char *const *meta_vals;
	/* Outcome, set by call_error() or left 0. */
	int code;
	const char *message;
	/* Typed error detail (google.rpc.Status details), optional. */
	const ProtobufCMessage *detail;
};

/* Build the table; 0 or KEEL_ENOMEM.  rpc_shutdown() frees it. */
int rpc_init(void);
void rpc_shutdown(void);
const struct method *rpc_find(const char *path);
size_t rpc_count(void);
const struct method *rpc_at(size_t i);

/* Set the call's status and return -code (for `return call_error(...)`).
 * The message is formatted into the arena. */
int call_error(struct call *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Map a KEEL_E* code from a lower layer into the call's status, with
 * msg as message. */
int call_fail(struct call *c, int keel_code, const char *msg);

/* A zero-initialised message of the given type from the call's arena, or
 * NULL (out of memory: the caller returns call_error(RESOURCE_EXHAUSTED)). */
void *call_new(struct call *c, const ProtobufCMessageDescriptor *desc);

/*
 * Decode req[0..len) as the method's input, run its handler, encode the
 * response into the arena: *out and *out_len on success.  Always leaves the
 * status in c->code / c->message (0 = OK) and returns c->code.
 */
int rpc_dispatch(struct call *c, const char *path, const uint8_t *req,
                 size_t len, uint8_t **out, size_t *out_len);

/*
 * Decode-free variant for doors that build the request message themselves
 * (REST): run the auth hook, the handler and the audit record for
 * c->method with an already decoded request.  *resp is the handler's
 * response (in the arena) on success.  Returns c->code.
 */
int rpc_invoke(struct call *c, const ProtobufCMessage *req,
               ProtobufCMessage **resp);

/*
 * Authentication hook, run for every call of every door before its
 * handler: it sets c->principal (arena or static storage) from the call's
 * metadata and returns 0, or fails the call with call_error(...,
 * RPC_UNAUTHENTICATED or RPC_PERMISSION_DENIED, ...) and returns its
 * result.  Without a hook every caller is "anonymous".  Set it once before
 * any door starts; fn may be NULL to remove it.
 */
typedef int (*rpc_auth_fn)(struct call *c, void *arg);
void rpc_set_auth_hook(rpc_auth_fn fn, void *arg);

/* Metadata value for key (lower case), or NULL. */
const char *call_meta(const struct call *c, const char *key);

/* Use id as the call's request id when it is 1-128 of [A-Za-z0-9._:/-];
 * otherwise make one up ("a-" and 20 random characters, Flyte Admin's
 * shape). */
void call_set_request_id(struct call *c, const char *id);

/* Log a finished call: errors at info (internal ones at error), successes
 * at debug.  t0 is util_mono_ms() at the start. */
void call_log(const struct call *c, const char *path, int64_t t0);

/* c->detail packed as a google.protobuf.Any into *any (allocated from the
 * call's arena); 0, or -1 when there is no detail or no memory. */
struct ProtobufCMessage;
int call_detail_any(struct call *c, void *any /* Google__Protobuf__Any */);

/* "NOT_FOUND" etc. */
const char *rpc_code_name(int code);
/* KEEL_E* (negative) -> gRPC code. */
int rpc_code_from_keel(int keel_code);

#endif
