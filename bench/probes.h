/*
 * probes.h -- fabench's in-process "limit" servers: what a round trip
 * costs with no product in the way.  Each listens on 127.0.0.1 with a
 * kernel-chosen port and runs until stopped.
 *
 *   tcp echo      thread per connection, blocking read/write of a fixed
 *                 size: the raw kernel round trip
 *   http static   thread per connection, HTTP/1.1 keep-alive, one fixed
 *                 small body for every request: the cheapest HTTP server
 *   nng echo      REP socket, one context per expected client, echoing
 *                 each message from nng's callbacks: nng's own floor
 */
#ifndef FABENCH_PROBES_H
#define FABENCH_PROBES_H

#include <stddef.h>

struct probe_tcp;
struct probe_nng;

/* Start a TCP echo server answering msg_size-byte messages; sets *port. */
int probe_tcp_echo_start(size_t msg_size, struct probe_tcp **out, int *port,
                         char *err, size_t errlen);
/* Start the static HTTP/1.1 responder; sets *port. */
int probe_http_static_start(struct probe_tcp **out, int *port, char *err,
                            size_t errlen);
/* Stop either kind: closes every connection, joins every thread.
 * Accepts NULL. */
void probe_tcp_stop(struct probe_tcp *p);

/* Start an nng REP echo on tcp://127.0.0.1:0 with nctx contexts; writes
 * its URL to url. */
int probe_nng_echo_start(unsigned nctx, struct probe_nng **out, char *url,
                         size_t urllen, char *err, size_t errlen);
void probe_nng_echo_stop(struct probe_nng *p);

/* The body the static responder returns, for clients that check it. */
extern const char probe_http_body[];

#endif /* FABENCH_PROBES_H */
