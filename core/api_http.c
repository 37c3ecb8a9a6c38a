/* api_http.c -- see api_http.h. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include <keel/keel_plugin.h>

#include "api_http.h"
#include "arena.h"
#include "db.h"
#include "log.h"
#include "rest.h"
#include "rpc.h"
#include "svc.h"
#include "util.h"

/* Request headers handed to handlers and the auth hook as metadata. */
static const char *const http_meta_keys[] = {
    "authorization", "flyte-authorization", "x-request-id", "user-agent",
    "origin",
};
#define HTTP_NMETA (sizeof(http_meta_keys) / sizeof(http_meta_keys[0]))

struct http_job {
	struct api_http *h;
	nng_aio *cb;         /* nng's handler aio: finished with the response */
	nng_http_req *req;   /* nng's, valid until cb is finished */
	nng_http_conn *conn;
	nng_aio *io;         /* our own: 100-continue write, body read */
	nng_aio *timer;      /* body_timeout */
	int claimed;         /* read or timer got there first (under mu) */
	int stage;           /* 0: writing 100 Continue, 1: reading body */
	int done;            /* answered already: the worker only frees */
	uint8_t *body;
	size_t blen;
	int64_t t0;
	struct http_job *next;
};

struct api_http {
	struct api_http_opts o;
	struct svc *svc;
	nng_http_server *srv;
	nng_http_handler *handler;

	pthread_mutex_t mu;
	pthread_cond_t cv;    /* workers: job queued or stopping */
	pthread_cond_t idle;  /* drain: inflight reached 0 */
	struct http_job *head, *tail;
	unsigned queued;      /* live jobs waiting (not "done" ones) */
	unsigned inflight;    /* accepted and not yet answered */
	unsigned jobs;        /* allocated, answered or not */
	int draining, stopping;
	pthread_t *workers;
	unsigned nworkers;
};

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

/* ---- small responses -------------------------------------------------- */

static void http_set_common(nng_http_res *res, const char *rid)
{
	if (rid != NULL)
		nng_http_res_set_header(res, "X-Request-Id", rid);
}

/* nng cannot copy an empty body (its zero-byte allocation fails): an
 * empty message, e.g. a ProjectRegisterResponse, is just no data. */
static int http_body(nng_http_res *res, const void *body, size_t len)
{
	return len == 0 ? 0 : nng_http_res_copy_data(res, body, len);
}

/* Is origin allowed by the CORS configuration?  The list is commas and
 * spaces; "*" allows any. */
static int http_origin_ok(const struct api_http *h, const char *origin)
{
	const char *p = h->o.cors_origins;
	size_t n = strlen(origin);

	if (!h->o.cors || p == NULL)
		return 0;
	while (*p != '\0') {
		size_t k;
		while (*p == ',' || *p == ' ')
			p++;
		k = strcspn(p, ", ");
		if ((k == 1 && *p == '*') || (k == n && strncmp(p, origin, n) == 0))
			return k > 0;
		p += k;
	}
	return 0;
}

static void http_cors_headers(const struct api_http *h, nng_http_req *req,
                              nng_http_res *res)
{
	const char *origin = nng_http_req_get_header(req, "Origin");

	if (origin == NULL || !http_origin_ok(h, origin))
		return;
	nng_http_res_set_header(res, "Access-Control-Allow-Origin", origin);
	nng_http_res_set_header(res, "Access-Control-Allow-Credentials",
	                        "true");
	nng_http_res_set_header(res, "Access-Control-Expose-Headers",
	                        "X-Request-Id, Content-Type");
	nng_http_res_set_header(res, "Vary", "Origin");
}

/* Finish nng's aio with a response; on allocation failure the connection
 * is dropped, which is all that is left to do. */
static void http_finish(nng_aio *cb, nng_http_res *res)
{
	if (res == NULL) {
		nng_aio_finish(cb, NNG_ENOMEM);
		return;
	}
	nng_aio_set_output(cb, 0, res);
	nng_aio_finish(cb, 0);
}

/* An error answered before routing: status, gRPC code and message as a
 * google.rpc.Status in the negotiated encoding. */
static nng_http_res *http_error_res(struct api_http *h, nng_http_req *req,
                                    int status, int code, int close,
                                    const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static nng_http_res *http_error_res(struct api_http *h, nng_http_req *req,
                                    int status, int code, int close,
                                    const char *fmt, ...)
{
	struct arena *a = arena_new(0);
	struct call c = {0};
	struct rest_resp rr = {0};
	nng_http_res *res = NULL;
	enum rest_fmt in;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (a == NULL || nng_http_res_alloc(&res) != 0)
		goto out;
	c.arena = a;
	c.door = "http";
	call_set_request_id(&c, nng_http_req_get_header(req, "X-Request-Id"));
	call_error(&c, code, "%s", msg);
	in = rest_fmt_in(nng_http_req_get_header(req, "Content-Type"));
	rest_error(&c, rest_fmt_out(nng_http_req_get_header(req, "Accept"), in),
	           &rr);
	nng_http_res_set_status(res, (uint16_t)status);
	nng_http_res_set_header(res, "Content-Type", rr.content_type);
	http_set_common(res, c.request_id);
	http_cors_headers(h, req, res);
	if (close)
		nng_http_res_set_header(res, "Connection", "close");
	if (http_body(res, rr.body, rr.len) != 0) {
		nng_http_res_free(res);
		res = NULL;
	}
	LOG_INFO("api", "http %s %s -> %d: %s (request_id=%s)",
	         nng_http_req_get_method(req), nng_http_req_get_uri(req), status,
	         msg, c.request_id);
out:
	arena_free(a);
	return res;
}

/* ---- the queue -------------------------------------------------------- */

static void http_job_free(struct http_job *j)
{
	struct api_http *h = j->h;

	/* Stopping the aios waits for their callbacks, so both are done
	 * with j before it goes. */
	if (j->timer != NULL)
		nng_aio_free(j->timer);
	if (j->io != NULL)
		nng_aio_free(j->io);
	free(j->body);
	free(j);
	pthread_mutex_lock(&h->mu);
	if (--h->jobs == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);
}

/* Queue j for a worker.  Live jobs are refused past the queue limit
 * (the caller answers 503); "done" jobs, which only need freeing, never
 * are. */
static int http_enqueue(struct api_http *h, struct http_job *j)
{
	pthread_mutex_lock(&h->mu);
	if (!j->done && h->queued >= h->o.queue) {
		pthread_mutex_unlock(&h->mu);
		return -1;
	}
	if (!j->done)
		h->queued++;
	j->next = NULL;
	if (h->tail != NULL)
		h->tail->next = j;
	else
		h->head = j;
	h->tail = j;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return 0;
}

static void http_answered(struct api_http *h)
{
	pthread_mutex_lock(&h->mu);
	if (--h->inflight == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);
}

/* A job answered from an nng callback still owns an aio that cannot be
 * freed from its own callback: the workers reap it. */
static void http_reap(struct http_job *j)
{
	j->done = 1;
	http_enqueue(j->h, j);
}

/* ---- the worker ------------------------------------------------------- */

/* "Grpc-Timeout: 5S" -> ms, as grpc-gateway reads it; -1 if malformed. */
static int64_t http_grpc_timeout(const char *v)
{
	char *end;
	long long n;
	static const struct {
		char unit;
		double ms;
	} units[] = {{'H', 3600e3}, {'M', 60e3}, {'S', 1e3},
	             {'m', 1},      {'u', 1e-3}, {'n', 1e-6}};

	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end[0] == '\0' || end[1] != '\0' || n > 99999999)
		return -1;
	for (size_t i = 0; i < UTIL_ARRAY_LEN(units); i++)
		if (units[i].unit == end[0]) {
			double ms = (double)n * units[i].ms;
			return ms < 1 && n > 0 ? 1 : (int64_t)ms;
		}
	return -1;
}

struct http_ping {
	int ok;
};

static int http_db_row(void *arg, const struct keel_db_val *row, size_t n)
{
	(void)row;
	(void)n;
	((struct http_ping *)arg)->ok = 1;
	return 0;
}

static int http_db_ping(struct db_conn *conn, void *arg, struct keel_err *err)
{
	return db_query(conn, "SELECT 1", NULL, 0, http_db_row, arg, err);
}

static nng_http_res *http_text(int status, const char *ctype, const char *body,
                               size_t len)
{
	nng_http_res *res;

	if (nng_http_res_alloc(&res) != 0)
		return NULL;
	nng_http_res_set_status(res, (uint16_t)status);
	nng_http_res_set_header(res, "Content-Type", ctype);
	if (http_body(res, body, len) != 0) {
		nng_http_res_free(res);
		return NULL;
	}
	return res;
}

static nng_http_res *http_health(struct api_http *h)
{
	struct keel_err err = {0};
	struct http_ping ping = {0};
	int rc;
	char msg[300];

	if (h->draining)
		return http_text(503, "text/plain", "draining\n", 9);
	rc = db_tx(h->svc->db, 0, http_db_ping, &ping, &err);
	if (rc != 0 || !ping.ok) {
		int n = snprintf(msg, sizeof(msg), "database: %s\n",
		                 err.msg[0] ? err.msg : "no answer");
		return http_text(503, "text/plain", msg, (size_t)n);
	}
	return http_text(200, "text/plain", "ok\n", 3);
}

static nng_http_res *http_preflight(struct api_http *h, nng_http_req *req)
{
	const char *origin = nng_http_req_get_header(req, "Origin");
	nng_http_res *res;
	char age[32];

	if (origin == NULL || !http_origin_ok(h, origin))
		return http_error_res(h, req, 403, RPC_PERMISSION_DENIED, 0,
		                      "CORS preflight from origin \"%s\" refused: "
		                      "not in [http] allowed_origins",
		                      origin ? origin : "");
	if (nng_http_res_alloc(&res) != 0)
		return NULL;
	nng_http_res_set_status(res, 204);
	http_cors_headers(h, req, res);
	nng_http_res_set_header(res, "Access-Control-Allow-Methods",
	                        "GET, POST, PUT, PATCH, DELETE, OPTIONS");
	nng_http_res_set_header(res, "Access-Control-Allow-Headers",
	                        h->o.cors_headers ? h->o.cors_headers : "");
	snprintf(age, sizeof(age), "%lld", (long long)h->o.cors_max_age_s);
	nng_http_res_set_header(res, "Access-Control-Max-Age", age);
	return res;
}

static nng_http_res *http_run(struct api_http *h, struct http_job *j,
                              struct arena *a)
{
	nng_http_req *req = j->req;
	const char *meta_vals[HTTP_NMETA];
	const char *meta_keys[HTTP_NMETA];
	struct call c = {0};
	struct rest_req rr = {0};
	struct rest_resp out = {0};
	nng_http_res *res = NULL;
	const char *v;
	size_t nmeta = 0;

	c.arena = a;
	c.svc = h->svc;
	c.door = "http";
	for (size_t i = 0; i < HTTP_NMETA; i++) {
		v = nng_http_req_get_header(req, http_meta_keys[i]);
		if (v != NULL) {
			meta_keys[nmeta] = http_meta_keys[i];
			meta_vals[nmeta++] = v;
		}
	}
	c.nmeta = nmeta;
	c.meta_keys = meta_keys;
	c.meta_vals = meta_vals;
	call_set_request_id(&c, nng_http_req_get_header(req, "X-Request-Id"));
	v = nng_http_req_get_header(req, "Grpc-Timeout");
	if (v != NULL) {
		int64_t ms = http_grpc_timeout(v);
		if (ms < 0)
			return http_error_res(h, req, 400, RPC_INVALID_ARGUMENT, 0,
			                      "header Grpc-Timeout: \"%s\" is not a "
			                      "gRPC timeout (digits and one of "
			                      "HMSmun)",
			                      v);
		c.deadline_ms = util_now_ms() + ms;
	}
	rr.verb = nng_http_req_get_method(req);
	rr.target = nng_http_req_get_uri(req);
	rr.body = j->body;
	rr.body_len = j->blen;
	rr.in = rest_fmt_in(nng_http_req_get_header(req, "Content-Type"));
	rr.out = rest_fmt_out(nng_http_req_get_header(req, "Accept"), rr.in);
	rest_serve(&c, &rr, &out);
	call_log(&c, rr.target, j->t0);
	if (nng_http_res_alloc(&res) != 0)
		return NULL;
	nng_http_res_set_status(res, (uint16_t)out.status);
	nng_http_res_set_header(res, "Content-Type", out.content_type);
	http_set_common(res, c.request_id);
	http_cors_headers(h, req, res);
	if (out.allow != NULL)
		nng_http_res_set_header(res, "Allow", out.allow);
	if (c.code == RPC_UNAUTHENTICATED)
		nng_http_res_set_header(res, "WWW-Authenticate",
		                        c.message ? c.message : "");
	if (http_body(res, out.body, out.len) != 0) {
		nng_http_res_free(res);
		return NULL;
	}
	return res;
}

static nng_http_res *http_dispatch(struct api_http *h, struct http_job *j,
                                   struct arena *a)
{
	const char *method = nng_http_req_get_method(j->req);
	const char *uri = nng_http_req_get_uri(j->req);
	size_t plen = strcspn(uri, "?");
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	if (get && plen == 12 && strncmp(uri, "/healthcheck", 12) == 0)
		return http_health(h);
	if (get && plen == 15 && strncmp(uri, "/api/v1/openapi", 15) == 0) {
		size_t len;
		const char *doc = api_http_openapi(&len);
		if (doc == NULL)
			return http_error_res(h, j->req, 500, RPC_INTERNAL, 0,
			                      "cannot build the OpenAPI document");
		return http_text(200, "application/json", doc, len);
	}
	if (h->o.cors && strcmp(method, "OPTIONS") == 0 &&
	    nng_http_req_get_header(j->req, "Access-Control-Request-Method"))
		return http_preflight(h, j->req);
	return http_run(h, j, a);
}

static void *http_worker(void *arg)
{
	struct api_http *h = arg;
	struct arena *a = arena_new(0);

	for (;;) {
		struct http_job *j;
		nng_http_res *res;

		pthread_mutex_lock(&h->mu);
		while (h->head == NULL && !h->stopping)
			pthread_cond_wait(&h->cv, &h->mu);
		j = h->head;
		if (j == NULL) {
			pthread_mutex_unlock(&h->mu);
			break;
		}
		h->head = j->next;
		if (h->head == NULL)
			h->tail = NULL;
		if (!j->done)
			h->queued--;
		pthread_mutex_unlock(&h->mu);
		if (j->done) {
			http_job_free(j);
			continue;
		}
		if (a == NULL) {
			res = http_error_res(h, j->req, 503, RPC_UNAVAILABLE, 0,
			                     "out of memory");
		} else {
			arena_set_limit(a, h->o.request_memory);
			res = http_dispatch(h, j, a);
			arena_reset(a);
		}
		http_finish(j->cb, res);
		http_job_free(j);
		http_answered(h);
	}
	arena_free(a);
	return NULL;
}

/* ---- nng's side ------------------------------------------------------- */

/* Answer from an nng callback, never reaching a worker. */
static void http_answer_now(struct http_job *j, nng_http_res *res)
{
	struct api_http *h = j->h;

	http_finish(j->cb, res);
	if (j->io != NULL)
		http_reap(j);
	else
		http_job_free(j);
	http_answered(h);
}

static void http_submit(struct http_job *j)
{
	if (http_enqueue(j->h, j) != 0)
		http_answer_now(j, http_error_res(j->h, j->req, 503,
		                                  RPC_UNAVAILABLE, 0,
		                                  "server busy: %u requests "
		                                  "already queued ([http] "
		                                  "queue_size)",
		                                  j->h->o.queue));
}

static void http_read_body(struct http_job *j)
{
	nng_iov iov = {.iov_buf = j->body, .iov_len = j->blen};

	j->stage = 1;
	nng_aio_set_iov(j->io, 1, &iov);
	nng_http_conn_read_all(j->conn, j->io);
}

/* The body read and the body timer race; the first to get here answers
 * (or hands the job to a worker), the other stands down. */
static int http_claim(struct http_job *j)
{
	int won;

	pthread_mutex_lock(&j->h->mu);
	won = !j->claimed;
	j->claimed = 1;
	pthread_mutex_unlock(&j->h->mu);
	return won;
}

static void http_io_done(void *arg)
{
	struct http_job *j = arg;
	struct api_http *h = j->h;
	int rv = nng_aio_result(j->io);

	if (rv == 0 && j->stage == 0) {
		http_read_body(j);
		return;
	}
	if (!http_claim(j)) {
		/* The timer answered 408 and the connection closed under
		 * this read: only the freeing is left. */
		http_reap(j);
		return;
	}
	nng_aio_cancel(j->timer);
	if (rv != 0) {
		/* The peer went away mid-body: nothing to answer. */
		nng_aio_finish(j->cb, rv);
		http_reap(j);
		http_answered(h);
		return;
	}
	http_submit(j);
}

/* A timeout on the read aio itself would make nng drop the connection
 * without a word; a separate timer lets the client hear 408 first. */
static void http_timer_done(void *arg)
{
	struct http_job *j = arg;
	struct api_http *h = j->h;

	if (nng_aio_result(j->timer) != 0 || !http_claim(j))
		return;
	/* The read is still pending: its callback reaps the job once the
	 * connection closes after this answer. */
	http_finish(j->cb, http_error_res(h, j->req, 408,
	                                  RPC_DEADLINE_EXCEEDED, 1,
	                                  "request body of %zu bytes not "
	                                  "received within %lld ms ([http] "
	                                  "body_timeout)",
	                                  j->blen,
	                                  (long long)h->o.body_timeout_ms));
	http_answered(h);
}

/* Content-Length as a size, or -1 when not a plain decimal. */
static long long http_content_length(const char *v)
{
	long long n = 0;

	if (v == NULL)
		return 0;
	while (*v == ' ')
		v++;
	if (!isdigit((unsigned char)*v))
		return -1;
	for (; isdigit((unsigned char)*v); v++) {
		if (n > (1LL << 50))
			return -1;
		n = n * 10 + (*v - '0');
	}
	while (*v == ' ')
		v++;
	return *v == '\0' ? n : -1;
}

static void http_cb(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *hd = nng_aio_get_input(aio, 1);
	nng_http_conn *conn = nng_aio_get_input(aio, 2);
	struct api_http *h = nng_http_handler_get_data(hd);
	struct http_job *j;
	const char *te, *expect;
	long long cl;

	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	pthread_mutex_lock(&h->mu);
	h->inflight++;
	h->jobs++;
	pthread_mutex_unlock(&h->mu);
	j->h = h;
	j->cb = aio;
	j->req = req;
	j->conn = conn;
	j->t0 = util_mono_ms();
	if (h->draining) {
		http_answer_now(j, http_error_res(h, req, 503, RPC_UNAVAILABLE, 1,
		                                  "keeld is shutting down"));
		return;
	}
	te = nng_http_req_get_header(req, "Transfer-Encoding");
	if (te != NULL && strcasecmp(te, "identity") != 0) {
		/* nng would read a chunked body as the next request. */
		http_answer_now(j, http_error_res(h, req, 411, RPC_INVALID_ARGUMENT,
		                                  1,
		                                  "Transfer-Encoding \"%s\" is not "
		                                  "supported: send the body with "
		                                  "Content-Length",
		                                  te));
		return;
	}
	cl = http_content_length(nng_http_req_get_header(req, "Content-Length"));
	if (cl < 0) {
		http_answer_now(j, http_error_res(h, req, 400, RPC_INVALID_ARGUMENT,
		                                  1,
		                                  "header Content-Length: \"%s\" is "
		                                  "not a length",
		                                  nng_http_req_get_header(
		                                      req, "Content-Length")));
		return;
	}
	if ((unsigned long long)cl > h->o.max_body) {
		http_answer_now(j, http_error_res(h, req, 413,
		                                  RPC_RESOURCE_EXHAUSTED, 1,
		                                  "request body of %lld bytes "
		                                  "exceeds the limit of %zu bytes "
		                                  "([http] max_body_size)",
		                                  cl, h->o.max_body));
		return;
	}
	if (cl == 0) {
		http_submit(j);
		return;
	}
	j->blen = (size_t)cl;
	j->body = malloc(j->blen);
	if (j->body == NULL || nng_aio_alloc(&j->io, http_io_done, j) != 0 ||
	    nng_aio_alloc(&j->timer, http_timer_done, j) != 0) {
		http_answer_now(j, http_error_res(h, req, 503, RPC_UNAVAILABLE, 1,
		                                  "out of memory for a %lld-byte "
		                                  "body",
		                                  cl));
		return;
	}
	expect = nng_http_req_get_header(req, "Expect");
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0) {
		nng_iov iov = {.iov_buf = (void *)continue_line,
		               .iov_len = sizeof(continue_line) - 1};
		j->stage = 0;
		nng_aio_set_iov(j->io, 1, &iov);
		nng_sleep_aio((nng_duration)h->o.body_timeout_ms, j->timer);
		nng_http_conn_write_all(conn, j->io);
		return;
	}
	nng_sleep_aio((nng_duration)h->o.body_timeout_ms, j->timer);
	http_read_body(j);
}

/* ---- lifecycle -------------------------------------------------------- */

static void http_stop_workers(struct api_http *h)
{
	pthread_mutex_lock(&h->mu);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	for (unsigned i = 0; i < h->nworkers; i++)
		pthread_join(h->workers[i], NULL);
	h->nworkers = 0;
}

static void http_free(struct api_http *h)
{
	if (h->srv != NULL)
		nng_http_server_release(h->srv);
	free(h->workers);
	pthread_cond_destroy(&h->cv);
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

/* "HOST:PORT" / "[v6]:PORT" -> "http://HOST:PORT". */
static int http_url(const char *listen, char *out, size_t n)
{
	const char *colon = strrchr(listen, ':');

	if (colon == NULL || colon == listen || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -1;
	return (size_t)util_fmt(out, n, "http://%s", listen) < n ? 0 : -1;
}

int api_http_start(const struct api_http_opts *o, struct svc *svc,
                   struct api_http **out, int *port, char *err,
                   size_t errlen)
{
	struct api_http *h;
	nng_url *url = NULL;
	nng_sockaddr sa;
	char u[300];
	int rv;

	*out = NULL;
	if (http_url(o->listen, u, sizeof(u)) != 0) {
		util_fmt(err, errlen, "[http] listen: \"%s\" is not HOST:PORT",
		         o->listen);
		return KEEL_EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return KEEL_ENOMEM;
	h->o = *o;
	h->svc = svc;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	pthread_cond_init(&h->idle, NULL);
	if ((rv = nng_url_parse(&url, u)) != 0 ||
	    (rv = nng_http_server_hold(&h->srv, url)) != 0) {
		util_fmt(err, errlen, "[http] listen %s: %s", o->listen,
		         nng_strerror(rv));
		goto fail;
	}
	if ((rv = nng_http_handler_alloc(&h->handler, "/", http_cb)) != 0 ||
	    (rv = nng_http_handler_set_tree(h->handler)) != 0 ||
	    (rv = nng_http_handler_set_method(h->handler, NULL)) != 0 ||
	    (rv = nng_http_handler_collect_body(h->handler, false, 0)) != 0 ||
	    (rv = nng_http_handler_set_data(h->handler, h, NULL)) != 0) {
		util_fmt(err, errlen, "REST handler: %s", nng_strerror(rv));
		if (h->handler != NULL)
			nng_http_handler_free(h->handler);
		goto fail;
	}
	if ((rv = nng_http_server_add_handler(h->srv, h->handler)) != 0) {
		util_fmt(err, errlen, "REST handler: %s", nng_strerror(rv));
		nng_http_handler_free(h->handler);
		goto fail;
	}
	h->workers = calloc(o->workers ? o->workers : 1, sizeof(pthread_t));
	if (h->workers == NULL) {
		rv = NNG_ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < (o->workers ? o->workers : 1); i++) {
		if (pthread_create(&h->workers[i], NULL, http_worker, h) != 0) {
			util_fmt(err, errlen, "cannot start REST workers: %s",
			         strerror(errno));
			http_stop_workers(h);
			goto fail;
		}
		pthread_setname_np(h->workers[i], "keel-http");
		h->nworkers++;
	}
	if ((rv = nng_http_server_start(h->srv)) != 0) {
		util_fmt(err, errlen, "[http] listen %s: %s", o->listen,
		         nng_strerror(rv));
		http_stop_workers(h);
		goto fail;
	}
	if (nng_http_server_get_addr(h->srv, &sa) == 0)
		*port = ntohs(sa.s_family == NNG_AF_INET6 ? sa.s_in6.sa_port
		                                          : sa.s_in.sa_port);
	nng_url_free(url);
	*out = h;
	return 0;
fail:
	if (url != NULL)
		nng_url_free(url);
	http_free(h);
	return rv == NNG_ENOMEM ? KEEL_ENOMEM
	       : rv == NNG_EADDRINUSE ? KEEL_EEXIST
	                              : KEEL_EINVAL;
}

int api_http_drain(struct api_http *h, int64_t timeout_ms)
{
	struct timespec ts;
	int left;

	if (h == NULL)
		return 0;
	util_deadline_ts(timeout_ms, &ts);
	pthread_mutex_lock(&h->mu);
	h->draining = 1;
	while (h->inflight > 0 &&
	       pthread_cond_timedwait(&h->idle, &h->mu, &ts) == 0)
		;
	left = (int)h->inflight;
	pthread_mutex_unlock(&h->mu);
	/* Closes every connection; reads still pending fail and their jobs
	 * are reaped by the workers.  Every job must be gone before the
	 * workers stop, or a late nng callback would queue onto freed
	 * memory; with the connections closed that takes moments. */
	nng_http_server_stop(h->srv);
	pthread_mutex_lock(&h->mu);
	while (h->jobs > 0)
		pthread_cond_wait(&h->idle, &h->mu);
	pthread_mutex_unlock(&h->mu);
	http_stop_workers(h);
	http_free(h);
	return left;
}
