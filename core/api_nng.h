/*
 * api_nng.h -- the internal API: nng REQ/REP carrying keel.internal.v1
 * envelopes into the method table.
 *
 * A fixed pool of worker threads, each owning one nng context, receives a
 * request, runs it to completion (handlers may block on the database) and
 * sends the reply; there is no thread per request.  Draining stops taking
 * new requests and lets the ones in flight finish.
 */
#ifndef KEEL_CORE_API_NNG_H
#define KEEL_CORE_API_NNG_H

#include <stddef.h>
#include <stdint.h>

struct svc;
struct api_nng;

struct api_nng_opts {
	const char *url;          /* "ipc:///path", "tcp://127.0.0.1:8090" */
	unsigned workers;         /* threads, >= 1 */
	size_t max_message;       /* request/response payload limit, bytes */
	size_t request_memory;    /* per-request arena limit, bytes */
};

/* Listen and start the workers.  0 or KEEL_E* with a message in err. */
int api_nng_start(const struct api_nng_opts *o, struct svc *svc,
                  struct api_nng **out, char *err, size_t errlen);
/* Stop taking requests, wait up to timeout_ms for those in flight, then
 * close and free.  Returns how many requests were still running when the
 * timeout hit (0 = clean drain). */
int api_nng_drain(struct api_nng *a, int64_t timeout_ms);

#endif
