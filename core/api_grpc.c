/*
 * api_grpc.c -- the gRPC front door on grpc core's C API.
 *
 * Each "slot" is one call in progress and moves through three states, one
 * grpc operation batch at a time, so no slot ever has two events pending:
 *   WAIT_CALL  grpc_server_request_call() is outstanding
 *   WAIT_MSG   the request message is being received
 *   WAIT_DONE  the reply (metadata, message, status) is being sent
 * Worker threads block in grpc_completion_queue_next() and advance
 * whichever slot the event belongs to; a request runs on the worker that
 * received its message.  There are twice as many slots as workers, so new
 * calls are accepted while every worker is busy; beyond that grpc queues
 * them.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include <keel/keel_plugin.h>

#include "api_grpc.h"
#include "arena.h"
#include "google/protobuf/any.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "log.h"
#include "rpc.h"
#include "svc.h"
#include "util.h"

#define GRPC_HEALTH_CHECK "/grpc.health.v1.Health/Check"

enum slot_state { WAIT_CALL, WAIT_MSG, WAIT_DONE };

struct slot {
	struct api_grpc *g;
	enum slot_state state;
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array md;
	grpc_byte_buffer *req;   /* received message */
	grpc_byte_buffer *resp;  /* message being sent */
	grpc_slice status_msg;   /* status details being sent */
	grpc_slice rid_value;    /* x-request-id being sent */
	grpc_slice status_bin;   /* grpc-status-details-bin being sent */
	grpc_metadata initial[1];
	grpc_metadata trailing[1];
	int cancelled;
	int armed; /* details and md are initialised */
	int64_t t0;
	struct arena *arena;
};

struct api_grpc {
	grpc_server *server;
	grpc_completion_queue *cq;
	int shutdown_tag;       /* its address tags the shutdown event */
	pthread_mutex_t lock;
	pthread_cond_t shutdown_cv;
	int shutdown_done;
	struct svc *svc;
	size_t request_memory;
	int draining;          /* atomic: health answers NOT_SERVING */
	unsigned nworkers;
	pthread_t *workers;
	unsigned nslots;
	struct slot *slots;
};

/* Arm a slot for the next incoming call. */
static void slot_request(struct slot *s)
{
	grpc_call_error e;

	s->state = WAIT_CALL;
	s->call = NULL;
	grpc_call_details_init(&s->details);
	grpc_metadata_array_init(&s->md);
	s->armed = 1;
	e = grpc_server_request_call(s->g->server, &s->call, &s->details,
	                             &s->md, s->g->cq, s->g->cq, s);
	if (e != GRPC_CALL_OK)
		LOG_ERROR("grpc", "cannot accept calls: grpc_call_error %d", e);
}

/* Release what the finished call held. */
static void slot_reset(struct slot *s)
{
	if (!s->armed)
		return;
	s->armed = 0;
	if (s->call != NULL)
		grpc_call_unref(s->call);
	s->call = NULL;
	grpc_call_details_destroy(&s->details);
	grpc_metadata_array_destroy(&s->md);
	if (s->req != NULL)
		grpc_byte_buffer_destroy(s->req);
	if (s->resp != NULL)
		grpc_byte_buffer_destroy(s->resp);
	s->req = s->resp = NULL;
	grpc_slice_unref(s->status_msg);
	grpc_slice_unref(s->rid_value);
	grpc_slice_unref(s->status_bin);
	s->status_msg = s->rid_value = s->status_bin = grpc_empty_slice();
	arena_reset(s->arena);
}

/* The value of metadata key, or NULL; copied into the arena. */
static const char *slot_md_get(struct slot *s, const char *key)
{
	for (size_t i = 0; i < s->md.count; i++) {
		const grpc_slice *k = &s->md.metadata[i].key;
		if (GRPC_SLICE_LENGTH(*k) == strlen(key) &&
		    memcmp(GRPC_SLICE_START_PTR(*k), key, strlen(key)) == 0) {
			const grpc_slice *v = &s->md.metadata[i].value;
			return arena_strndup(s->arena,
			                     (const char *)GRPC_SLICE_START_PTR(*v),
			                     GRPC_SLICE_LENGTH(*v));
		}
	}
	return NULL;
}

/* The received message as one contiguous buffer in the arena. */
static uint8_t *slot_read(struct slot *s, size_t *len)
{
	grpc_byte_buffer_reader r;
	grpc_slice all;
	uint8_t *buf;

	*len = 0;
	if (s->req == NULL || !grpc_byte_buffer_reader_init(&r, s->req))
		return NULL;
	all = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	*len = GRPC_SLICE_LENGTH(all);
	buf = arena_alloc(s->arena, *len ? *len : 1);
	if (buf != NULL)
		memcpy(buf, GRPC_SLICE_START_PTR(all), *len);
	grpc_slice_unref(all);
	return buf;
}

/*
 * grpc.health.v1: HealthCheckRequest is {1: string service};
 * HealthCheckResponse is {1: enum status} with SERVING = 1,
 * NOT_SERVING = 2.  Small enough to code by hand.
 */
static int slot_health(struct slot *s, struct call *c, const uint8_t *req,
                       size_t len, uint8_t **out, size_t *out_len)
{
	char service[256] = "";
	uint8_t *resp;
	int known;

	/* service names are short: a one-byte length (< 128). */
	if (len >= 2 && req[0] == 0x0a && req[1] < 0x80 &&
	    (size_t)req[1] + 2 <= len) {
		memcpy(service, req + 2, req[1]);
		service[req[1]] = '\0';
	} else if (len != 0) {
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "cannot decode the %zu-byte request as "
		                  "grpc.health.v1.HealthCheckRequest",
		                  len);
	}
	known = service[0] == '\0';
	for (size_t i = 0; !known && i < rpc_count(); i++)
		known = strcmp(rpc_at(i)->service, service) == 0;
	if (!known)
		return call_error(c, RPC_NOT_FOUND, "unknown service %s",
		                  service);
	resp = arena_alloc(c->arena, 2);
	if (resp == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	resp[0] = 0x08;
	resp[1] = __atomic_load_n(&s->g->draining, __ATOMIC_RELAXED) ? 2 : 1;
	*out = resp;
	*out_len = 2;
	return 0;
}

/* google.rpc.Status with the call's typed detail, for the
 * grpc-status-details-bin trailer; 0 when built. */
static int slot_status_bin(struct slot *s, struct call *c)
{
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	Google__Protobuf__Any any, *anys[1] = {&any};
	uint8_t *buf;
	size_t n;

	if (call_detail_any(c, &any) != 0)
		return -1;
	st.code = c->code;
	st.message = (char *)(c->message ? c->message : "");
	st.details = anys;
	st.n_details = 1;
	n = google__rpc__status__get_packed_size(&st);
	buf = arena_alloc(c->arena, n ? n : 1);
	if (buf == NULL)
		return -1;
	google__rpc__status__pack(&st, buf);
	s->status_bin = grpc_slice_from_copied_buffer((const char *)buf, n);
	return 0;
}

/* Run the request and start sending the reply. */
static void slot_handle(struct slot *s)
{
	struct api_grpc *g = s->g;
	struct call c = {0};
	char path[256];
	uint8_t *req, *out = NULL;
	size_t len, out_len = 0, plen;
	grpc_op ops[4];
	size_t nops = 0;
	grpc_call_error e;

	plen = GRPC_SLICE_LENGTH(s->details.method);
	if (plen >= sizeof(path))
		plen = sizeof(path) - 1;
	memcpy(path, GRPC_SLICE_START_PTR(s->details.method), plen);
	path[plen] = '\0';
	c.arena = s->arena;
	c.svc = g->svc;
	c.door = "grpc";
	c.message = "";
	call_set_request_id(&c, slot_md_get(s, "x-request-id"));
	if (gpr_time_cmp(s->details.deadline,
	                 gpr_inf_future(s->details.deadline.clock_type)) != 0) {
		gpr_timespec d = gpr_convert_clock_type(s->details.deadline,
		                                        GPR_CLOCK_REALTIME);
		c.deadline_ms = (int64_t)d.tv_sec * 1000 + d.tv_nsec / 1000000;
		if (c.deadline_ms == 0)
			c.deadline_ms = 1; /* 0 means "none" to the core */
	}
	req = slot_read(s, &len);
	if (s->req == NULL) {
		/* A unary call without its message.  (When grpc refused an
		 * oversized one or the call ended first, grpc already told
		 * the client and this status goes nowhere.) */
		call_error(&c, RPC_INVALID_ARGUMENT,
		           "missing request message: a unary call carries "
		           "exactly one");
	} else if (req == NULL && len > 0) {
		call_error(&c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	} else if (strcmp(path, GRPC_HEALTH_CHECK) == 0) {
		slot_health(s, &c, req, len, &out, &out_len);
	} else {
		rpc_dispatch(&c, path, req, len, &out, &out_len);
	}
	call_log(&c, path, s->t0);

	s->rid_value = grpc_slice_from_copied_string(c.request_id);
	s->initial[0].key = grpc_slice_from_static_string("x-request-id");
	s->initial[0].value = s->rid_value;
	memset(ops, 0, sizeof(ops));
	ops[nops].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[nops].data.send_initial_metadata.count = 1;
	ops[nops].data.send_initial_metadata.metadata = s->initial;
	nops++;
	if (c.code == RPC_OK) {
		grpc_slice sl = grpc_slice_from_copied_buffer((const char *)out,
		                                              out_len);
		s->resp = grpc_raw_byte_buffer_create(&sl, 1);
		grpc_slice_unref(sl);
		ops[nops].op = GRPC_OP_SEND_MESSAGE;
		ops[nops].data.send_message.send_message = s->resp;
		nops++;
	}
	s->status_msg = grpc_slice_from_copied_string(c.message ? c.message
	                                                        : "");
	ops[nops].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[nops].data.send_status_from_server.status =
	    (grpc_status_code)c.code;
	ops[nops].data.send_status_from_server.status_details =
	    &s->status_msg;
	if (c.code != RPC_OK && slot_status_bin(s, &c) == 0) {
		s->trailing[0].key =
		    grpc_slice_from_static_string("grpc-status-details-bin");
		s->trailing[0].value = s->status_bin;
		ops[nops].data.send_status_from_server.trailing_metadata_count = 1;
		ops[nops].data.send_status_from_server.trailing_metadata =
		    s->trailing;
	}
	nops++;
	ops[nops].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[nops].data.recv_close_on_server.cancelled = &s->cancelled;
	nops++;
	s->state = WAIT_DONE;
	e = grpc_call_start_batch(s->call, ops, nops, s, NULL);
	if (e != GRPC_CALL_OK) {
		LOG_ERROR("grpc", "cannot send the reply to %s: error %d", path,
		          e);
		slot_reset(s);
		slot_request(s);
	}
}

/* Advance slot s after its pending batch completed with ok. */
static void slot_step(struct slot *s, int ok)
{
	grpc_op op;
	grpc_call_error e;

	switch (s->state) {
	case WAIT_CALL:
		if (!ok) /* the server is shutting down */
			return;
		s->t0 = util_mono_ms();
		memset(&op, 0, sizeof(op));
		op.op = GRPC_OP_RECV_MESSAGE;
		op.data.recv_message.recv_message = &s->req;
		s->state = WAIT_MSG;
		e = grpc_call_start_batch(s->call, &op, 1, s, NULL);
		if (e != GRPC_CALL_OK) {
			slot_reset(s);
			slot_request(s);
		}
		return;
	case WAIT_MSG:
		/* Even when the receive failed there is a call to answer. */
		slot_handle(s);
		return;
	case WAIT_DONE:
		slot_reset(s);
		if (!__atomic_load_n(&s->g->draining, __ATOMIC_RELAXED))
			slot_request(s);
		return;
	}
}

static void *api_grpc_worker(void *arg)
{
	struct api_grpc *g = arg;

	for (;;) {
		grpc_event ev = grpc_completion_queue_next(
		    g->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		if (ev.tag == &g->shutdown_tag) {
			pthread_mutex_lock(&g->lock);
			g->shutdown_done = 1;
			pthread_cond_broadcast(&g->shutdown_cv);
			pthread_mutex_unlock(&g->lock);
			continue;
		}
		slot_step(ev.tag, ev.success);
	}
	return NULL;
}

static int api_grpc_creds(const struct api_grpc_opts *o,
                          grpc_server_credentials **out, char *err,
                          size_t errlen)
{
	grpc_ssl_pem_key_cert_pair pair;
	char *cert = NULL, *key = NULL;
	int rc;

	if (o->tls_cert == NULL || o->tls_cert[0] == '\0') {
		*out = grpc_insecure_server_credentials_create();
		return 0;
	}
	rc = util_read_file(o->tls_cert, &cert, NULL, 1 << 20);
	if (rc != 0) {
		util_fmt(err, errlen, "[grpc] tls_cert_file %s: %s",
		         o->tls_cert, strerror(-rc));
		return KEEL_EINVAL;
	}
	rc = util_read_file(o->tls_key, &key, NULL, 1 << 20);
	if (rc != 0) {
		util_fmt(err, errlen, "[grpc] tls_key_file %s: %s",
		         o->tls_key ? o->tls_key : "(unset)", strerror(-rc));
		free(cert);
		return KEEL_EINVAL;
	}
	pair.private_key = key;
	pair.cert_chain = cert;
	*out = grpc_ssl_server_credentials_create_ex(
	    NULL, &pair, 1, GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE, NULL);
	explicit_bzero(key, strlen(key));
	free(key);
	free(cert);
	if (*out == NULL) {
		util_fmt(err, errlen, "[grpc] the TLS certificate or key is "
		                      "not valid PEM");
		return KEEL_EINVAL;
	}
	return 0;
}

static void api_grpc_free(struct api_grpc *g)
{
	for (unsigned i = 0; g->slots != NULL && i < g->nslots; i++)
		arena_free(g->slots[i].arena);
	free(g->slots);
	free(g->workers);
	if (g->server != NULL)
		grpc_server_destroy(g->server);
	if (g->cq != NULL)
		grpc_completion_queue_destroy(g->cq);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->shutdown_cv);
	free(g);
	/* Blocking: grpc's own threads are gone when this returns. */
	grpc_shutdown_blocking();
}

int api_grpc_start(const struct api_grpc_opts *o, struct svc *svc,
                   struct api_grpc **out, int *port, char *err,
                   size_t errlen)
{
	grpc_arg args[3];
	grpc_channel_args cargs = {3, args};
	grpc_server_credentials *creds = NULL;
	struct api_grpc *g;
	int rc;

	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return KEEL_ENOMEM;
	/* grpc counts init/shutdown pairs; api_grpc_free() ends ours. */
	grpc_init();
	g->svc = svc;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->shutdown_cv, NULL);
	g->nworkers = o->workers ? o->workers : 1;
	g->nslots = 2 * g->nworkers;
	g->workers = calloc(g->nworkers, sizeof(*g->workers));
	g->slots = calloc(g->nslots, sizeof(*g->slots));
	if (g->workers == NULL || g->slots == NULL) {
		api_grpc_free(g);
		return KEEL_ENOMEM;
	}
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = (int)o->max_message;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = (int)o->max_message;
	/* grpc's 8 KiB default cuts off large bearer tokens. */
	args[2].type = GRPC_ARG_INTEGER;
	args[2].key = (char *)GRPC_ARG_MAX_METADATA_SIZE;
	args[2].value.integer = (int)o->max_metadata;
	g->server = grpc_server_create(&cargs, NULL);
	g->cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(g->server, g->cq, NULL);
	rc = api_grpc_creds(o, &creds, err, errlen);
	if (rc != 0) {
		api_grpc_free(g);
		return rc;
	}
	*port = grpc_server_add_http2_port(g->server, o->listen, creds);
	grpc_server_credentials_release(creds);
	if (*port == 0) {
		util_fmt(err, errlen,
		         "[grpc] cannot listen on %s (address in use, or not "
		         "HOST:PORT?)",
		         o->listen);
		api_grpc_free(g);
		return KEEL_EEXIST;
	}
	grpc_server_start(g->server);
	for (unsigned i = 0; i < g->nslots; i++) {
		struct slot *s = &g->slots[i];
		s->g = g;
		s->status_msg = s->rid_value = s->status_bin = grpc_empty_slice();
		s->arena = arena_new(64 * 1024);
		if (s->arena == NULL) {
			util_fmt(err, errlen, "out of memory");
			api_grpc_drain(g, 0);
			return KEEL_ENOMEM;
		}
		arena_set_limit(s->arena, o->request_memory);
		slot_request(s);
	}
	for (unsigned i = 0; i < g->nworkers; i++) {
		if (pthread_create(&g->workers[i], NULL, api_grpc_worker, g)) {
			util_fmt(err, errlen, "cannot start gRPC workers: %s",
			         strerror(errno));
			g->nworkers = i;
			api_grpc_drain(g, 0);
			return KEEL_EINTERNAL;
		}
		pthread_setname_np(g->workers[i], "keel-grpc");
	}
	*out = g;
	return 0;
}

int api_grpc_drain(struct api_grpc *g, int64_t timeout_ms)
{
	struct timespec until;
	int cancelled = 0;

	__atomic_store_n(&g->draining, 1, __ATOMIC_RELAXED);
	grpc_server_shutdown_and_notify(g->server, g->cq, &g->shutdown_tag);
	util_deadline_ts(timeout_ms, &until);
	pthread_mutex_lock(&g->lock);
	while (!g->shutdown_done && g->nworkers > 0 &&
	       pthread_cond_timedwait(&g->shutdown_cv, &g->lock, &until) == 0)
		;
	if (!g->shutdown_done && g->nworkers > 0) {
		/* Calls still running past the drain budget. */
		cancelled = 1;
		LOG_WARN("grpc", "calls still running after the drain timeout; "
		                 "cancelling them");
		grpc_server_cancel_all_calls(g->server);
		while (!g->shutdown_done)
			pthread_cond_wait(&g->shutdown_cv, &g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	/* Workers drain what is left and leave on QUEUE_SHUTDOWN. */
	grpc_completion_queue_shutdown(g->cq);
	for (unsigned i = 0; i < g->nworkers; i++)
		pthread_join(g->workers[i], NULL);
	if (g->nworkers == 0) {
		/* Nobody polled (failed start): drain here. */
		while (grpc_completion_queue_next(
		           g->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
		           .type != GRPC_QUEUE_SHUTDOWN)
			;
	}
	/* Slots armed for calls that never came. */
	for (unsigned i = 0; i < g->nslots; i++)
		slot_reset(&g->slots[i]);
	api_grpc_free(g);
	return cancelled;
}
