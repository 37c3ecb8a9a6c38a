/*
 * api_nng.h -- the internal API: nng REQ/REP carrying keel.internal.v1
 * envelopes into the method table.
 *
 * A fixed pool of worker threads, each owning one nng context, receives a
 * request, runs it to completion (handlers may block on the database) and
 * sends the reply; there is no thread per request.  Draining stops taking
 * new requests and lets the ones in flight finish.
 *
 * nng 1.5.2 (Debian 12) has a bug (nanomsg/nng#1518, fixed in 1.6.0): a
 * peer that disconnects during the SP handshake on an ipc listener makes
 * the listener stop accepting for good.  A watchdog thread therefore dials
 * the ipc listener every listener_check_ms with a real handshake and, when
 * that does not complete, replaces the listener (connected clients keep
 * their pipes; new ones connect to the new listener).
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
	int64_t listener_check_ms; /* ipc listener watchdog period; 0: off */
};

/* Listen and start the workers.  0 or KEEL_E* with a message in err. */
int api_nng_start(const struct api_nng_opts *o, struct svc *svc,
                  struct api_nng **out, char *err, size_t errlen);
/* Stop taking requests, wait up to timeout_ms for those in flight, then
 * close and free.  Returns how many requests were still running when the
 * timeout hit (0 = clean drain). */
int api_nng_drain(struct api_nng *a, int64_t timeout_ms);

/* How many times the watchdog replaced a wedged listener. */
unsigned api_nng_listener_restarts(struct api_nng *a);

#endif
