/*
 * api_http.h -- the REST door: nng's HTTP/1.1 server in front of rest.c.
 *
 * nng's threads only parse requests and read bodies; every request is
 * routed, run and encoded on this door's own worker pool, behind a bounded
 * queue (full: 503 at once, naming the limit).  Besides the REST map it
 * serves GET /healthcheck (200 when the database answers, 503 while
 * draining or when it does not), GET /api/v1/openapi (the OpenAPI 2.0
 * document made from the same binding table) and, when CORS is on, the
 * browser's OPTIONS preflight.
 *
 * Bodies: Content-Length only, up to max_body bytes (413 above, before
 * reading any of it); a chunked body is refused with 411 and the
 * connection closed, never read as empty; "Expect: 100-continue" is
 * answered; a body that does not arrive within body_timeout gets 408 and
 * the connection is closed.  Request ids come from X-Request-Id (or are
 * made up) and go back in X-Request-Id; "Grpc-Timeout" sets the deadline
 * as grpc-gateway does.
 *
 * Known limits of nng 1.5.2's server, which this door lives with: no
 * timeout on reading request headers and no cap on connections (put a
 * proxy in front of an untrusted network), no HTTP/2, and no TLS here
 * (terminate TLS at the proxy or use the gRPC door's TLS).
 */
#ifndef KEEL_CORE_API_HTTP_H
#define KEEL_CORE_API_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct svc;
struct api_http;

struct api_http_opts {
	const char *listen;        /* "127.0.0.1:8088", "[::1]:0" */
	unsigned workers;          /* threads running requests */
	unsigned queue;            /* requests waiting for a worker, at most */
	size_t max_body;           /* bytes */
	int64_t body_timeout_ms;   /* to receive a whole body */
	size_t request_memory;     /* per-request arena limit, bytes */
	int cors;                  /* answer CORS at all */
	const char *cors_origins;  /* comma/space separated; "*" for any */
	const char *cors_headers;  /* Access-Control-Allow-Headers */
	int64_t cors_max_age_s;
};

/* Start serving; *port receives the bound port.  0 or KEEL_E* with a
 * message in err. */
int api_http_start(const struct api_http_opts *o, struct svc *svc,
                   struct api_http **out, int *port, char *err,
                   size_t errlen);

/* Answer 503 to new requests, let those in flight finish for up to
 * timeout_ms, then close every connection and free everything.  Returns
 * how many requests were still running when the time ran out. */
int api_http_drain(struct api_http *h, int64_t timeout_ms);

/* The OpenAPI 2.0 document (JSON) for the REST map: built once, owned by
 * the module.  NULL when out of memory. */
const char *api_http_openapi(size_t *len);

#endif
