/*
 * keel_client.c -- client library for Keel's internal API (nng REQ/REP).
 *
 * One REQ socket per struct keel_client, dialled without blocking so that
 * the client may be opened before keeld runs; nng redials on its own when
 * keeld (re)starts.  Every call opens its own nng context, so several
 * threads may call at once.
 *
 * A REQ socket queues a request until a peer is connected, which would
 * turn "keeld is down" into a timeout.  So a call that finds no connected
 * pipe waits briefly for the background dialer and then probes the address
 * (see kc_probe, bounded by the call's deadline): a refused connect is
 * reported at once as UNAVAILABLE with nng's reason.
 *
 * nng never resends a request (NNG_OPT_REQ_RESENDTIME is infinite: a
 * resend timer equal to the deadline would race the deadline and could
 * run a request twice).  With resends off, nng fails a request whose
 * connection closes under it (NNG_ECONNRESET): the call ends at once with
 * UNAVAILABLE, and whether keeld ran it is unknown, as with gRPC.  A
 * request made in the instant between keeld closing the connection and
 * nng noticing waits for a new connection or the deadline.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <keel/keel_client.h>
#include "keel/internal/v1/envelope.pb-c.h"
#include "status_name.h"

#define KC_API __attribute__((visibility("default")))

/* How long a call waits for the background dialer before probing. */
#define KC_PEER_WAIT_MS 50
/* Largest reply accepted (nng's default of 1 MiB is too small for lists). */
#define KC_RECV_MAX         ((size_t)64 << 20)
#define KC_ENVELOPE_VERSION 1

enum {
	KC_OK = 0,
	KC_INVALID_ARGUMENT = 3,
	KC_DEADLINE_EXCEEDED = 4,
	KC_RESOURCE_EXHAUSTED = 8,
	KC_INTERNAL = 13,
	KC_UNAVAILABLE = 14,
};

struct keel_client {
	nng_socket sock;
	char *url;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* signalled when npipes changes */
	int npipes;        /* connected pipes, under mu */
};

/* reply->message when even "" cannot be allocated; never freed. */
static char kc_no_memory[] = "out of memory";
static char kc_empty[] = "";

static int64_t kc_now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t kc_now_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static nng_duration kc_duration(int64_t ms)
{
	if (ms < 1)
		return 1;
	if (ms > INT32_MAX)
		return INT32_MAX;
	return (nng_duration)ms;
}

static char *kc_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

static void kc_errbuf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void kc_errbuf(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* Set reply's status; the message is formatted, falling back to a static
 * string when memory runs out.  Returns code. */
static int kc_fail(struct keel_client_reply *reply, int code, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));
static int kc_fail(struct keel_client_reply *reply, int code, const char *fmt,
                   ...)
{
	va_list ap;
	char *msg;
	int n;

	reply->code = code;
	reply->local = 1;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (msg) {
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
		reply->message = msg;
	} else {
		reply->message = kc_no_memory;
	}
	if (!reply->request_id)
		reply->request_id = kc_empty;
	return code;
}

static void kc_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct keel_client *c = arg;

	(void)p;
	pthread_mutex_lock(&c->mu);
	if (ev == NNG_PIPE_EV_ADD_POST)
		c->npipes++;
	else if (ev == NNG_PIPE_EV_REM_POST && c->npipes > 0)
		c->npipes--;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

KC_API int keel_client_open(const char *url, struct keel_client **out,
                            char *errbuf, size_t errlen)
{
	struct keel_client *c = NULL;
	pthread_condattr_t ca;
	int have_mu = 0, have_cv = 0, have_sock = 0;
	int rv, code;

	if (out)
		*out = NULL;
	if (!url || !*url || !out) {
		kc_errbuf(errbuf, errlen, "no keeld URL given");
		return KC_INVALID_ARGUMENT;
	}
	c = calloc(1, sizeof *c);
	if (!c)
		goto nomem;
	c->url = kc_strdup(url);
	if (!c->url)
		goto nomem;
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		goto nomem;
	have_mu = 1;
	if (pthread_condattr_init(&ca) != 0)
		goto nomem;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rv = pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rv != 0)
		goto nomem;
	have_cv = 1;

	if ((rv = nng_req0_open(&c->sock)) != 0) {
		kc_errbuf(errbuf, errlen, "cannot open nng socket: %s",
		          nng_strerror(rv));
		code = rv == NNG_ENOMEM ? KC_RESOURCE_EXHAUSTED : KC_INTERNAL;
		goto fail;
	}
	have_sock = 1;
	if ((rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, kc_pipe_cb,
	                          c)) != 0 ||
	    (rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, kc_pipe_cb,
	                          c)) != 0 ||
	    (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ,
	                              KC_RECV_MAX)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 100)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000)) != 0) {
		kc_errbuf(errbuf, errlen, "cannot set up nng socket: %s",
		          nng_strerror(rv));
		code = KC_INTERNAL;
		goto fail;
	}
	/* Non-blocking: keeld may start later; nng keeps redialling. */
	rv = nng_dial(c->sock, url, NULL, NNG_FLAG_NONBLOCK);
	if (rv != 0) {
		kc_errbuf(errbuf, errlen, "invalid keeld URL '%s': %s", url,
		          nng_strerror(rv));
		code = rv == NNG_ENOMEM ? KC_RESOURCE_EXHAUSTED
		                        : KC_INVALID_ARGUMENT;
		goto fail;
	}
	*out = c;
	return KC_OK;

nomem:
	kc_errbuf(errbuf, errlen, "out of memory");
	code = KC_RESOURCE_EXHAUSTED;
fail:
	if (c) {
		if (have_sock)
			nng_close(c->sock);
		if (have_cv)
			pthread_cond_destroy(&c->cv);
		if (have_mu)
			pthread_mutex_destroy(&c->mu);
		free(c->url);
		free(c);
	}
	return code;
}

KC_API void keel_client_close(struct keel_client *c)
{
	if (!c)
		return;
	nng_close(c->sock);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c->url);
	free(c);
}

/* Wait until a pipe is connected or wait_ms pass; returns npipes > 0. */
static int kc_wait_peer(struct keel_client *c, int64_t wait_ms)
{
	struct timespec ts;
	int have;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(wait_ms / 1000);
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mu);
	while (c->npipes == 0) {
		if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT)
			break;
	}
	have = c->npipes > 0;
	pthread_mutex_unlock(&c->mu);
	return have;
}

/*
 * The probe: a throw-away REQ socket dials url synchronously (a complete
 * SP handshake, then close).  It runs on its own detached thread so that
 * the caller's deadline bounds it even where connect() hangs (a
 * black-holed TCP address); the last of caller and thread frees it.
 *
 * It must not be a bare transport connect: a connection closed during
 * the SP negotiation wedges an nng 1.5.2 ipc listener for good (nng issue
 * #1518, fixed in 1.6.0).
 */
struct kc_probe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs, done, rv;
	char url[];
};

static void kc_probe_release(struct kc_probe *p)
{
	int last;

	pthread_mutex_lock(&p->mu);
	last = --p->refs == 0;
	pthread_mutex_unlock(&p->mu);
	if (last) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
	}
}

static int kc_probe_dial(const char *url)
{
	nng_socket s;
	int rv;

	if ((rv = nng_req0_open(&s)) != 0)
		return rv;
	rv = nng_dial(s, url, NULL, 0);
	nng_close(s);
	return rv;
}

static void *kc_probe_main(void *arg)
{
	struct kc_probe *p = arg;
	int rv = kc_probe_dial(p->url);

	pthread_mutex_lock(&p->mu);
	p->rv = rv;
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	kc_probe_release(p);
	return NULL;
}

/* Can url be dialled within wait_ms?  0, or an nng error (NNG_ETIMEDOUT
 * when the probe did not finish in time). */
static int kc_probe(const char *url, int64_t wait_ms)
{
	size_t n = strlen(url) + 1;
	struct kc_probe *p = calloc(1, sizeof *p + n);
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t thr;
	struct timespec ts;
	int rv;

	if (!p)
		return NNG_ENOMEM;
	memcpy(p->url, url, n);
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NNG_ENOMEM;
	}
	if (pthread_condattr_init(&ca) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NNG_ENOMEM;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rv = pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rv != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NNG_ENOMEM;
	}
	p->refs = 2;
	rv = pthread_attr_init(&ta);
	if (rv == 0) {
		pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
		rv = pthread_create(&thr, &ta, kc_probe_main, p);
		pthread_attr_destroy(&ta);
	}
	if (rv != 0) {
		/* no thread: probe inline, unbounded */
		p->refs = 1;
		kc_probe_release(p);
		return kc_probe_dial(url);
	}

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(wait_ms / 1000);
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while (!p->done)
		if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT)
			break;
	rv = p->done ? p->rv : NNG_ETIMEDOUT;
	pthread_mutex_unlock(&p->mu);
	kc_probe_release(p);
	return rv;
}

/* Build the envelope for the call; returns 0 or a gRPC code. */
static int kc_pack(const char *method, const void *req, size_t req_len,
                   const struct keel_client_call_opts *opts, int64_t timeout_ms,
                   nng_msg **out, struct keel_client_reply *reply)
{
	Keel__Internal__V1__Request env = KEEL__INTERNAL__V1__REQUEST__INIT;
	Keel__Internal__V1__Metadata *md = NULL, **mdp = NULL;
	const char *const *kv = opts ? opts->metadata : NULL;
	size_t nmd = 0, i, len;
	nng_msg *m = NULL;
	int code = KC_OK;

	if (kv) {
		while (kv[2 * nmd] && kv[2 * nmd + 1])
			nmd++;
		if (kv[2 * nmd]) {
			code = kc_fail(reply, KC_INVALID_ARGUMENT,
			               "metadata key '%s' has no value",
			               kv[2 * nmd]);
			goto out;
		}
	}
	if (nmd) {
		md = calloc(nmd, sizeof *md);
		mdp = calloc(nmd, sizeof *mdp);
		if (!md || !mdp) {
			code = kc_fail(reply, KC_RESOURCE_EXHAUSTED,
			               "out of memory");
			goto out;
		}
		for (i = 0; i < nmd; i++) {
			keel__internal__v1__metadata__init(&md[i]);
			md[i].key = (char *)kv[2 * i];
			md[i].value = (char *)kv[2 * i + 1];
			mdp[i] = &md[i];
		}
	}
	env.version = KC_ENVELOPE_VERSION;
	env.method = (char *)method;
	env.payload.data = (uint8_t *)req;
	env.payload.len = req_len;
	env.n_metadata = nmd;
	env.metadata = mdp;
	env.deadline_unix_ms = kc_now_unix_ms() + timeout_ms;
	if (opts && opts->request_id)
		env.request_id = (char *)opts->request_id;

	len = keel__internal__v1__request__get_packed_size(&env);
	if (nng_msg_alloc(&m, len) != 0) {
		code = kc_fail(reply, KC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	keel__internal__v1__request__pack(&env, nng_msg_body(m));
	*out = m;
out:
	free(md);
	free(mdp);
	return code;
}

/* Copy the decoded response into reply; returns 0 or a gRPC code. */
static int kc_copy_out(const Keel__Internal__V1__Response *r,
                       struct keel_client_reply *reply)
{
	size_t i;

	reply->message = kc_strdup(r->message ? r->message : "");
	reply->request_id = kc_strdup(r->request_id ? r->request_id : "");
	if (!reply->message || !reply->request_id)
		goto nomem;
	if (r->payload.len) {
		reply->payload = malloc(r->payload.len);
		if (!reply->payload)
			goto nomem;
		memcpy(reply->payload, r->payload.data, r->payload.len);
		reply->payload_len = r->payload.len;
	}
	if (r->n_details) {
		reply->details = calloc(r->n_details, sizeof *reply->details);
		if (!reply->details)
			goto nomem;
		reply->ndetails = r->n_details;
		for (i = 0; i < r->n_details; i++) {
			const Google__Protobuf__Any *a = r->details[i];
			struct keel_client_detail *d = &reply->details[i];

			d->type_url = kc_strdup(a->type_url ? a->type_url : "");
			if (!d->type_url)
				goto nomem;
			if (a->value.len) {
				d->value = malloc(a->value.len);
				if (!d->value)
					goto nomem;
				memcpy(d->value, a->value.data, a->value.len);
				d->value_len = a->value.len;
			}
		}
	}
	reply->code = r->code;
	return r->code;
nomem:
	keel_client_reply_free(reply);
	return kc_fail(reply, KC_RESOURCE_EXHAUSTED, "out of memory");
}

KC_API int keel_client_call(struct keel_client *c, const char *method,
                            const void *req, size_t req_len,
                            const struct keel_client_call_opts *opts,
                            struct keel_client_reply *reply)
{
	Keel__Internal__V1__Response *resp = NULL;
	int64_t timeout_ms, deadline, left;
	nng_msg *m = NULL;
	nng_aio *aio = NULL;
	nng_ctx ctx;
	int have_ctx = 0, code, rv;

	if (!reply)
		return KC_INVALID_ARGUMENT;
	memset(reply, 0, sizeof *reply);
	if (!c || !method || !*method || (!req && req_len))
		return kc_fail(reply, KC_INVALID_ARGUMENT,
		               "keel_client_call: bad arguments");

	timeout_ms = opts && opts->timeout_ms > 0
	                 ? opts->timeout_ms
	                 : KEEL_CLIENT_DEFAULT_TIMEOUT_MS;
	if (timeout_ms > INT32_MAX)
		timeout_ms = INT32_MAX;
	deadline = kc_now_mono_ms() + timeout_ms;

	/* No connected keeld: give the dialer a moment, then probe. */
	if (!kc_wait_peer(c, timeout_ms < KC_PEER_WAIT_MS ? timeout_ms
	                                                  : KC_PEER_WAIT_MS)) {
		left = deadline - kc_now_mono_ms();
		rv = kc_probe(c->url, left);
		if (rv == NNG_ETIMEDOUT)
			return kc_fail(reply, KC_DEADLINE_EXCEEDED,
			               "cannot reach keeld at %s: %s", c->url,
			               nng_strerror(rv));
		if (rv != 0)
			return kc_fail(reply, KC_UNAVAILABLE,
			               "cannot reach keeld at %s: %s", c->url,
			               nng_strerror(rv));
		/* Reachable: the request waits for the dialer's pipe. */
	}

	if ((code = kc_pack(method, req, req_len, opts, timeout_ms, &m,
	                    reply)) != KC_OK)
		goto out;

	if ((rv = nng_ctx_open(&ctx, c->sock)) != 0) {
		code = kc_fail(reply, KC_INTERNAL,
		               "cannot open nng context: %s", nng_strerror(rv));
		goto out;
	}
	have_ctx = 1;
	/* No timed resends: no duplicate requests. */
	nng_ctx_set_ms(ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0) {
		code = kc_fail(reply, KC_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}

	left = deadline - kc_now_mono_ms();
	nng_aio_set_msg(aio, m);
	nng_aio_set_timeout(aio, kc_duration(left));
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0) {
		/* The message is still ours when the send failed. */
		goto transport_error;
	}
	m = NULL;

	left = deadline - kc_now_mono_ms();
	nng_aio_set_timeout(aio, kc_duration(left));
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0)
		goto transport_error;
	m = nng_aio_get_msg(aio);

	resp = keel__internal__v1__response__unpack(NULL, nng_msg_len(m),
	                                            nng_msg_body(m));
	if (!resp) {
		code =
		    kc_fail(reply, KC_INTERNAL,
		            "cannot decode the reply of keeld at %s", c->url);
		goto out;
	}
	code = kc_copy_out(resp, reply);
	goto out;

transport_error:
	if (rv == NNG_ECONNRESET)
		code =
		    kc_fail(reply, KC_UNAVAILABLE,
		            "cannot reach keeld at %s: the connection closed "
		            "during the call",
		            c->url);
	else if (rv == NNG_ETIMEDOUT)
		code = kc_fail(reply, KC_DEADLINE_EXCEEDED,
		               "no reply from keeld at %s within %lld ms",
		               c->url, (long long)timeout_ms);
	else if (rv == NNG_ENOMEM)
		code = kc_fail(reply, KC_RESOURCE_EXHAUSTED, "out of memory");
	else
		code = kc_fail(reply, KC_UNAVAILABLE,
		               "cannot reach keeld at %s: %s", c->url,
		               nng_strerror(rv));
out:
	if (resp)
		keel__internal__v1__response__free_unpacked(resp, NULL);
	if (m)
		nng_msg_free(m);
	if (aio)
		nng_aio_free(aio);
	if (have_ctx)
		nng_ctx_close(ctx);
	return code;
}

KC_API void keel_client_reply_free(struct keel_client_reply *reply)
{
	size_t i;

	if (!reply)
		return;
	if (reply->message != kc_no_memory && reply->message != kc_empty)
		free(reply->message);
	if (reply->request_id != kc_empty)
		free(reply->request_id);
	free(reply->payload);
	for (i = 0; reply->details && i < reply->ndetails; i++) {
		free(reply->details[i].type_url);
		free(reply->details[i].value);
	}
	free(reply->details);
	memset(reply, 0, sizeof *reply);
}

KC_API const char *keel_client_code_name(int code)
{
	return status_code_name(code);
}
