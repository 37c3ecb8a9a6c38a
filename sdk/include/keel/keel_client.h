/*
 * keel_client.h -- client library for Keel's internal API.
 *
 * keeld serves every method of its method table over nng REQ/REP: the
 * request is an envelope (keel.internal.v1.Request) naming the method by its
 * gRPC path and carrying the serialized request message; the reply carries a
 * gRPC status and the serialized response message.  This library hides the
 * envelope and the transport; callers bring and take serialized protobuf
 * messages of the method's types (flyteidl's, for AdminService methods).
 *
 * Link with pkg-config keel-client.
 *
 * Thread-safety: a struct keel_client may be used by several threads at
 * once (each call uses its own nng context).
 */
#ifndef KEEL_CLIENT_H
#define KEEL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KEEL_CLIENT_DEFAULT_TIMEOUT_MS 30000

struct keel_client;

/* Per-call options; a zeroed struct (or NULL) gives the defaults. */
struct keel_client_call_opts {
	int64_t timeout_ms;          /* 0: KEEL_CLIENT_DEFAULT_TIMEOUT_MS */
	const char *request_id;      /* NULL: the server makes one up */
	const char *const *metadata; /* key, value, key, value, ..., NULL */
};

/* One typed error detail (google.protobuf.Any). */
struct keel_client_detail {
	char *type_url; /* "type.googleapis.com/flyteidl.admin.InactiveProject" */
	uint8_t *value; /* the serialized message */
	size_t value_len;
};

/* What a call returned.  Owned by the caller after keel_client_call();
 * release with keel_client_reply_free(). */
struct keel_client_reply {
	int code;           /* gRPC status code, 0 = OK */
	int local;          /* nonzero when this library produced the status
	                       (keeld unreachable, timeout, undecodable reply)
	                       rather than keeld */
	char *message;      /* status message, "" when none; never NULL */
	uint8_t *payload;   /* serialized response message (may be NULL
	                       when payload_len is 0) */
	size_t payload_len;
	char *request_id;   /* as echoed by the server; never NULL */
	struct keel_client_detail *details;
	size_t ndetails;
};

/*
 * Connect to keeld at url ("ipc:///var/lib/keel/keeld.sock",
 * "tcp://127.0.0.1:8090").  The connection is made lazily and re-made when
 * keeld restarts.  Returns 0 and sets *out, or a gRPC code (3 for a bad URL,
 * 8 when out of memory) with a message in errbuf.
 */
int keel_client_open(const char *url, struct keel_client **out, char *errbuf,
                     size_t errlen);

/* Close and free; accepts NULL.  No call may be in progress. */
void keel_client_close(struct keel_client *c);

/*
 * Call method (its gRPC path, "/flyteidl.service.AdminService/GetVersion")
 * with the serialized request req[0..req_len).  Blocks until the reply or
 * the timeout.  Always fills *reply (zeroed first) and returns reply->code:
 * 0 on success; the server's status otherwise; 14 (UNAVAILABLE) when keeld
 * cannot be reached; 4 (DEADLINE_EXCEEDED) on timeout; 13 (INTERNAL) when
 * the reply cannot be decoded.  req and opts are borrowed for the call.
 */
int keel_client_call(struct keel_client *c, const char *method,
                     const void *req, size_t req_len,
                     const struct keel_client_call_opts *opts,
                     struct keel_client_reply *reply);

/* Free what a reply holds and zero it; accepts a zeroed reply. */
void keel_client_reply_free(struct keel_client_reply *reply);

/* The canonical name of a gRPC status code ("NOT_FOUND"), or "UNKNOWN". */
const char *keel_client_code_name(int code);

#ifdef __cplusplus
}
#endif

#endif /* KEEL_CLIENT_H */
