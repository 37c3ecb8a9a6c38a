/*
 * api_nng.c -- the internal API over nng REQ/REP with contexts.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include <keel/keel_plugin.h>

#include "api_nng.h"
#include "arena.h"
#include "google/protobuf/any.pb-c.h"
#include "keel/internal/v1/envelope.pb-c.h"
#include "log.h"
#include "rpc.h"
#include "svc.h"
#include "util.h"

#define API_ENVELOPE_VERSION 1

struct api_worker {
	struct api_nng *api;
	pthread_t tid;
	nng_ctx ctx;
	nng_aio *aio;
	struct arena *arena;
	int receiving; /* blocked in recv: safe to cancel when draining */
	int started;
};

struct api_nng {
	nng_socket sock;
	nng_listener listener;
	char *url;
	struct svc *svc;
	size_t max_message;
	pthread_mutex_t lock;
	pthread_cond_t stop_cv; /* wakes the watchdog */
	int stopping;
	unsigned inflight;
	int64_t check_ms;
	pthread_t watchdog;
	int watchdog_started;
	unsigned restarts; /* listener replacements, for tests and logs */
	unsigned n;
	struct api_worker workers[];
};

/* --- listener watchdog (see api_nng.h) --- */

/* 1 when a request through our own listener gets a reply within
 * timeout_ms, 0 when it does not, -1 when the probe cannot run.  Only a
 * full round trip tells: a wedged nng 1.5 listener still completes
 * handshakes, it just never hands the connections to the socket. */
static int api_probe(const char *url, int64_t timeout_ms)
{
	Keel__Internal__V1__Request e = KEEL__INTERNAL__V1__REQUEST__INIT;
	uint8_t buf[128];
	void *reply = NULL;
	size_t n, rlen = 0;
	nng_socket s;
	int rv;

	e.version = API_ENVELOPE_VERSION;
	e.method = (char *)"/flyteidl.service.AdminService/GetVersion";
	e.request_id = (char *)"keel-listener-check";
	n = keel__internal__v1__request__get_packed_size(&e);
	if (n > sizeof(buf) || nng_req0_open(&s) != 0)
		return -1;
	keel__internal__v1__request__pack(&e, buf);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, (nng_duration)timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, (nng_duration)timeout_ms);
	rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK);
	if (rv == 0)
		rv = nng_send(s, buf, n, 0);
	if (rv == 0)
		rv = nng_recv(s, &reply, &rlen, NNG_FLAG_ALLOC);
	if (rv == 0)
		nng_free(reply, rlen);
	nng_close(s);
	return rv == 0;
}

static int api_relisten(struct api_nng *api)
{
	int rv;

	nng_listener_close(api->listener);
	for (int i = 0; i < 50; i++) {
		rv = nng_listen(api->sock, api->url, &api->listener, 0);
		if (rv == 0)
			return 0;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return rv;
}

static void *api_watchdog_main(void *arg)
{
	struct api_nng *api = arg;

	pthread_mutex_lock(&api->lock);
	while (!api->stopping) {
		struct timespec until;
		int up, rv;

		util_deadline_ts(api->check_ms, &until);
		pthread_cond_timedwait(&api->stop_cv, &api->lock, &until);
		if (api->stopping)
			break;
		pthread_mutex_unlock(&api->lock);
		up = api_probe(api->url, 2000);
		pthread_mutex_lock(&api->lock);
		if (up != 0 || api->stopping)
			continue;
		LOG_WARN("api",
		         "the listener on %s stopped accepting connections "
		         "(nng 1.5 bug #1518, triggered by a peer that hung up "
		         "during the handshake); replacing it",
		         api->url);
		/* Workers must not wait on the lock while we re-listen. */
		pthread_mutex_unlock(&api->lock);
		rv = api_relisten(api);
		pthread_mutex_lock(&api->lock);
		if (rv != 0)
			LOG_ERROR("api", "cannot listen on %s again: %s",
			          api->url, nng_strerror(rv));
		else
			api->restarts++;
	}
	pthread_mutex_unlock(&api->lock);
	return NULL;
}

unsigned api_nng_listener_restarts(struct api_nng *a)
{
	unsigned n;

	pthread_mutex_lock(&a->lock);
	n = a->restarts;
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* Build the reply for one request message.  Returns an nng_msg or NULL
 * when even the reply cannot be built. */
static nng_msg *api_handle(struct api_worker *w, nng_msg *req)
{
	struct api_nng *api = w->api;
	Keel__Internal__V1__Request *env;
	Keel__Internal__V1__Response resp = KEEL__INTERNAL__V1__RESPONSE__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	Google__Protobuf__Any *anys[1] = {&any};
	struct call c = {0};
	const char **keys = NULL, **vals = NULL;
	uint8_t *out = NULL;
	size_t out_len = 0, len = nng_msg_len(req);
	int64_t t0 = util_mono_ms();
	nng_msg *rep;

	c.arena = w->arena;
	c.svc = api->svc;
	c.door = "nng";
	c.message = "";
	env = keel__internal__v1__request__unpack(arena_pb_allocator(w->arena),
	                                         len, nng_msg_body(req));
	if (env == NULL) {
		call_error(&c, RPC_INVALID_ARGUMENT,
		           "malformed request envelope: %zu bytes that are not "
		           "a keel.internal.v1.Request",
		           len);
		goto reply;
	}
	call_set_request_id(&c, env->request_id);
	if (env->version != API_ENVELOPE_VERSION) {
		call_error(&c, RPC_FAILED_PRECONDITION,
		           "envelope version %u is not supported; this keeld "
		           "speaks version %d",
		           env->version, API_ENVELOPE_VERSION);
		goto reply;
	}
	if (env->method == NULL || env->method[0] == '\0') {
		call_error(&c, RPC_INVALID_ARGUMENT,
		           "missing method in the request envelope");
		goto reply;
	}
	if (env->payload.len > api->max_message) {
		call_error(&c, RPC_RESOURCE_EXHAUSTED,
		           "request of %zu bytes exceeds the limit of %zu bytes "
		           "(max_message_size in [api])",
		           env->payload.len, api->max_message);
		goto reply;
	}
	if (env->n_metadata > 0) {
		keys = arena_calloc(w->arena, env->n_metadata, sizeof(*keys));
		vals = arena_calloc(w->arena, env->n_metadata, sizeof(*vals));
		if (keys == NULL || vals == NULL) {
			call_error(&c, RPC_RESOURCE_EXHAUSTED, "out of memory");
			goto reply;
		}
		for (size_t i = 0; i < env->n_metadata; i++) {
			keys[i] = env->metadata[i]->key;
			vals[i] = env->metadata[i]->value;
		}
		c.nmeta = env->n_metadata;
		c.meta_keys = keys;
		c.meta_vals = vals;
	}
	c.deadline_ms = env->deadline_unix_ms;
	rpc_dispatch(&c, env->method, env->payload.data, env->payload.len,
	             &out, &out_len);
	if (c.code == RPC_OK && out_len > api->max_message) {
		call_error(&c, RPC_RESOURCE_EXHAUSTED,
		           "response of %zu bytes exceeds the limit of %zu "
		           "bytes (max_message_size in [api])",
		           out_len, api->max_message);
		out = NULL;
		out_len = 0;
	}

reply:
	resp.version = API_ENVELOPE_VERSION;
	resp.code = c.code;
	resp.message = (char *)(c.message ? c.message : "");
	resp.request_id = (char *)(c.request_id ? c.request_id : "");
	if (c.code == RPC_OK) {
		resp.payload.data = out;
		resp.payload.len = out_len;
	} else if (call_detail_any(&c, &any) == 0) {
		resp.details = anys;
		resp.n_details = 1;
	}
	call_log(&c, env && env->method ? env->method : "?", t0);
	len = keel__internal__v1__response__get_packed_size(&resp);
	if (nng_msg_alloc(&rep, len) != 0)
		return NULL;
	keel__internal__v1__response__pack(&resp, nng_msg_body(rep));
	return rep;
}

static void *api_worker_main(void *arg)
{
	struct api_worker *w = arg;
	struct api_nng *api = w->api;

	for (;;) {
		nng_msg *req, *rep;
		int rv;

		pthread_mutex_lock(&api->lock);
		if (api->stopping) {
			pthread_mutex_unlock(&api->lock);
			break;
		}
		w->receiving = 1;
		pthread_mutex_unlock(&api->lock);

		nng_ctx_recv(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		rv = nng_aio_result(w->aio);

		pthread_mutex_lock(&api->lock);
		w->receiving = 0;
		if (rv == 0)
			api->inflight++;
		pthread_mutex_unlock(&api->lock);
		if (rv != 0) {
			if (rv == NNG_ECLOSED)
				break;
			continue; /* cancelled (drain) or transient */
		}

		req = nng_aio_get_msg(w->aio);
		rep = api_handle(w, req);
		nng_msg_free(req);
		arena_reset(w->arena);
		if (rep != NULL) {
			nng_aio_set_msg(w->aio, rep);
			nng_ctx_send(w->ctx, w->aio);
			nng_aio_wait(w->aio);
			/* A failed send leaves the message ours. */
			if (nng_aio_result(w->aio) != 0)
				nng_msg_free(rep);
		}
		pthread_mutex_lock(&api->lock);
		api->inflight--;
		pthread_mutex_unlock(&api->lock);
	}
	return NULL;
}

int api_nng_start(const struct api_nng_opts *o, struct svc *svc,
                  struct api_nng **out, char *err, size_t errlen)
{
	struct api_nng *api;
	unsigned n = o->workers ? o->workers : 1;
	int rv, rc = KEEL_EINTERNAL;

	*out = NULL;
	api = calloc(1, sizeof(*api) + n * sizeof(api->workers[0]));
	if (api == NULL)
		return KEEL_ENOMEM;
	api->svc = svc;
	api->n = n;
	api->max_message = o->max_message;
	pthread_mutex_init(&api->lock, NULL);
	pthread_cond_init(&api->stop_cv, NULL);
	api->url = util_strdup(o->url);
	if (api->url == NULL) {
		rc = KEEL_ENOMEM;
		goto out_free;
	}
	rv = nng_rep0_open(&api->sock);
	if (rv != 0) {
		util_fmt(err, errlen, "cannot open the nng socket: %s",
		         nng_strerror(rv));
		goto out_free;
	}
	/* Room for the envelope around a maximal payload; anything larger
	 * is dropped by nng before it costs memory. */
	nng_socket_set_size(api->sock, NNG_OPT_RECVMAXSZ,
	                    o->max_message + 64 * 1024);
	rv = nng_listen(api->sock, o->url, &api->listener, 0);
	if (rv != 0) {
		util_fmt(err, errlen, "cannot listen on %s: %s", o->url,
		         nng_strerror(rv));
		rc = rv == NNG_EADDRINUSE ? KEEL_EEXIST : KEEL_EINVAL;
		goto out_close;
	}
	for (unsigned i = 0; i < n; i++) {
		struct api_worker *w = &api->workers[i];
		w->api = api;
		w->arena = arena_new(64 * 1024);
		if (w->arena == NULL ||
		    nng_aio_alloc(&w->aio, NULL, NULL) != 0 ||
		    nng_ctx_open(&w->ctx, api->sock) != 0) {
			util_fmt(err, errlen, "out of memory starting workers");
			rc = KEEL_ENOMEM;
			goto out_stop;
		}
		arena_set_limit(w->arena, o->request_memory);
		if (pthread_create(&w->tid, NULL, api_worker_main, w) != 0) {
			util_fmt(err, errlen, "cannot start worker threads: %s",
			         strerror(errno));
			goto out_stop;
		}
		w->started = 1;
		pthread_setname_np(w->tid, "keel-api");
	}
	/* Only the ipc transport has the handshake bug. */
	if (o->listener_check_ms > 0 &&
	    (strncmp(o->url, "ipc://", 6) == 0 ||
	     strncmp(o->url, "abstract://", 11) == 0)) {
		api->check_ms = o->listener_check_ms;
		if (pthread_create(&api->watchdog, NULL, api_watchdog_main,
		                   api) != 0) {
			util_fmt(err, errlen, "cannot start the listener "
			                      "watchdog thread");
			goto out_stop;
		}
		api->watchdog_started = 1;
		pthread_setname_np(api->watchdog, "keel-api-wd");
	}
	*out = api;
	return 0;

out_stop:
	api_nng_drain(api, 0);
	return rc;
out_close:
	nng_close(api->sock);
out_free:
	pthread_mutex_destroy(&api->lock);
	pthread_cond_destroy(&api->stop_cv);
	free(api->url);
	free(api);
	return rc;
}

int api_nng_drain(struct api_nng *a, int64_t timeout_ms)
{
	int64_t until = util_mono_ms() + timeout_ms;
	unsigned left;

	pthread_mutex_lock(&a->lock);
	a->stopping = 1;
	pthread_cond_broadcast(&a->stop_cv);
	pthread_mutex_unlock(&a->lock);
	if (a->watchdog_started)
		pthread_join(a->watchdog, NULL);
	/* Cancel idle receives until the busy workers finish; a worker that
	 * was between checks and recv gets cancelled on a later pass. */
	for (;;) {
		pthread_mutex_lock(&a->lock);
		for (unsigned i = 0; i < a->n; i++)
			if (a->workers[i].receiving && a->workers[i].aio)
				nng_aio_cancel(a->workers[i].aio);
		left = a->inflight;
		pthread_mutex_unlock(&a->lock);
		if (left == 0 || util_mono_ms() >= until)
			break;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (left > 0)
		LOG_WARN("api", "%u request(s) still running after the drain "
		                "timeout; closing anyway",
		         left);
	/* Closing aborts whatever still waits; workers then see ECLOSED. */
	nng_close(a->sock);
	for (unsigned i = 0; i < a->n; i++) {
		struct api_worker *w = &a->workers[i];
		if (w->started)
			pthread_join(w->tid, NULL);
		if (w->aio)
			nng_aio_free(w->aio);
		arena_free(w->arena);
	}
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->stop_cv);
	free(a->url);
	free(a);
	return (int)left;
}
