/*
 * api_grpc.h -- the gRPC front door (grpc core's C API).
 *
 * Every method of the method table is served at its gRPC path; methods
 * without a handler answer UNIMPLEMENTED naming the method, like every
 * other door.  A fixed pool of worker threads polls one completion queue
 * and runs each request to completion on the thread that received it, so
 * there is no thread per call.  grpc.health.v1.Health/Check answers
 * SERVING for "" and for every served service name (NOT_SERVING while
 * draining, NOT_FOUND for other names).
 *
 * The request id comes from the x-request-id metadata (or is made up) and
 * goes back in the initial metadata; typed error details travel in the
 * grpc-status-details-bin trailer as a google.rpc.Status, as grpc-go and
 * grpc-gateway do.
 */
#ifndef KEEL_CORE_API_GRPC_H
#define KEEL_CORE_API_GRPC_H

#include <stddef.h>
#include <stdint.h>

struct svc;
struct api_grpc;

struct api_grpc_opts {
	const char *listen;    /* "127.0.0.1:8089", "[::]:8089", "0.0.0.0:0" */
	unsigned workers;      /* threads polling the completion queue */
	size_t max_message;    /* receive and send limit, bytes */
	size_t max_metadata;   /* request header (metadata) limit, bytes */
	size_t request_memory; /* per-request arena limit, bytes */
	const char *tls_cert;  /* PEM file, or NULL for plaintext */
	const char *tls_key;   /* PEM file, with tls_cert */
};

/* Start serving.  *port receives the bound port (useful with port 0).
 * Returns 0 or KEEL_E* with a message in err. */
int api_grpc_start(const struct api_grpc_opts *o, struct svc *svc,
                   struct api_grpc **out, int *port, char *err,
                   size_t errlen);

/* Stop taking calls, let those in flight finish for up to timeout_ms,
 * cancel the rest, then free everything.  Returns the number of calls that
 * had to be cancelled. */
int api_grpc_drain(struct api_grpc *g, int64_t timeout_ms);

#endif
