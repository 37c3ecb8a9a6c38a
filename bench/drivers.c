/*
 * drivers.c -- the client side of every fabench cell; see drivers.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <keel/keel_client.h>

#include "drivers.h"

#define DRIVER_TIMEOUT_MS 10000

/* ---- plain sockets ------------------------------------------------ */

static int drv_connect(const struct target *t, char *err, size_t errlen)
{
	struct sockaddr_in sa = {0};
	int fd, one = 1;

	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)t->port);
	if (inet_pton(AF_INET, t->host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "not an IPv4 address: %s", t->host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errlen, "connect %s:%d: %s", t->host, t->port,
		         strerror(errno));
		close(fd);
		return -1;
	}
	/* Requests are small and each waits for its answer: no Nagle. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int drv_send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- raw-pingpong ----------------------------------------------------- */

struct tcp_echo_st {
	int fd;
	char *buf;
};

static void tcp_echo_close(void *arg)
{
	struct tcp_echo_st *s = arg;

	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s);
}

static void *tcp_echo_open(const struct target *t, char *err, size_t errlen)
{
	struct tcp_echo_st *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->buf = calloc(1, t->msg_size)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(s->buf, 'p', t->msg_size);
	s->fd = drv_connect(t, err, errlen);
	if (s->fd < 0) {
		tcp_echo_close(s);
		return NULL;
	}
	return s;
}

static int tcp_echo_op(void *arg, const struct target *t, char *err,
                       size_t errlen)
{
	struct tcp_echo_st *s = arg;
	size_t have;
	ssize_t n;

	if (drv_send_all(s->fd, s->buf, t->msg_size) != 0) {
		snprintf(err, errlen, "send: %s", strerror(errno));
		return -1;
	}
	for (have = 0; have < t->msg_size; have += (size_t)n) {
		n = recv(s->fd, s->buf + have, t->msg_size - have, 0);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			snprintf(err, errlen, "recv: %s",
			         n == 0 ? "connection closed"
			                : strerror(errno));
			return -1;
		}
	}
	return 0;
}

const struct driver driver_tcp_echo = {"raw-pingpong", tcp_echo_open,
                                       tcp_echo_op, tcp_echo_close};

/* ---- HTTP/1.1 keep-alive ------------------------------------------------ */

#define HTTP_BUF 16384

struct http_st {
	int fd;
	char req[512];
	size_t req_len;
	size_t have; /* bytes in buf not yet consumed */
	char buf[HTTP_BUF];
};

static void http_close(void *arg)
{
	struct http_st *s = arg;

	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static void *http_open(const struct target *t, char *err, size_t errlen)
{
	struct http_st *s = calloc(1, sizeof(*s));
	int n;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n = snprintf(s->req, sizeof(s->req),
	             "GET %s HTTP/1.1\r\n"
	             "Host: %s:%d\r\n"
	             "Accept: %s\r\n"
	             "\r\n",
	             t->http_path ? t->http_path : "/", t->host, t->port,
	             t->accept ? t->accept : "*/*");
	if (n < 0 || (size_t)n >= sizeof(s->req)) {
		snprintf(err, errlen, "HTTP request line too long");
		free(s);
		return NULL;
	}
	s->req_len = (size_t)n;
	s->fd = drv_connect(t, err, errlen);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int http_fill(struct http_st *s, char *err, size_t errlen)
{
	ssize_t n;

	if (s->have == HTTP_BUF) {
		snprintf(err, errlen, "HTTP response head over %d bytes",
		         HTTP_BUF);
		return -1;
	}
	do
		n = recv(s->fd, s->buf + s->have, HTTP_BUF - s->have, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		snprintf(err, errlen, "recv: %s",
		         n == 0 ? "connection closed" : strerror(errno));
		return -1;
	}
	s->have += (size_t)n;
	return 0;
}

/* Value of header name in the head [p, end), or NULL. */
static const char *http_header(const char *p, const char *end, const char *name,
                               size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *eol, *v;

	/* Skip the status line. */
	p = memchr(p, '\n', (size_t)(end - p));
	while (p != NULL && ++p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			v = p + nlen + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			while (*vlen > 0 &&
			       (v[*vlen - 1] == '\r' || v[*vlen - 1] == ' '))
				(*vlen)--;
			return v;
		}
		p = eol;
	}
	return NULL;
}

static int http_op(void *arg, const struct target *t, char *err, size_t errlen)
{
	struct http_st *s = arg;
	const char *end = NULL, *v;
	size_t head, vlen, body, got;
	int status, close_after = 0;

	if (s->fd < 0 && (s->fd = drv_connect(t, err, errlen)) < 0)
		return -1;
	if (drv_send_all(s->fd, s->req, s->req_len) != 0) {
		snprintf(err, errlen, "send: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		if (s->have >= 4)
			end = memmem(s->buf, s->have, "\r\n\r\n", 4);
		if (end != NULL)
			break;
		if (http_fill(s, err, errlen) != 0)
			return -1;
	}
	head = (size_t)(end - s->buf) + 4;
	if (head < 12 || memcmp(s->buf, "HTTP/1.", 7) != 0) {
		snprintf(err, errlen, "not an HTTP/1.x response");
		return -1;
	}
	status = atoi(s->buf + 9);
	if (http_header(s->buf, end, "Transfer-Encoding", &vlen) != NULL) {
		snprintf(err, errlen,
		         "chunked responses are not supported; want "
		         "Content-Length");
		return -1;
	}
	v = http_header(s->buf, end, "Content-Length", &vlen);
	if (v == NULL) {
		snprintf(err, errlen, "HTTP %d without Content-Length", status);
		return -1;
	}
	body = strtoull(v, NULL, 10);
	v = http_header(s->buf, end, "Connection", &vlen);
	if (v != NULL && vlen == 5 && strncasecmp(v, "close", 5) == 0)
		close_after = 1;
	if (status != 200) {
		size_t show = s->have - head < 120 ? s->have - head : 120;
		snprintf(err, errlen, "HTTP %d for GET %s: %.*s", status,
		         t->http_path, (int)show, s->buf + head);
		return -1;
	}
	if (body == 0) {
		snprintf(err, errlen, "HTTP 200 with an empty body");
		return -1;
	}
	/* Consume the head and the body; keep whatever follows. */
	got = s->have - head;
	if (got >= body) {
		memmove(s->buf, s->buf + head + body, got - body);
		s->have = got - body;
	} else {
		body -= got;
		s->have = 0;
		while (body > 0) {
			if (http_fill(s, err, errlen) != 0)
				return -1;
			got = s->have < body ? s->have : body;
			memmove(s->buf, s->buf + got, s->have - got);
			s->have -= got;
			body -= got;
		}
	}
	if (close_after) {
		close(s->fd);
		s->fd = -1;
		s->have = 0;
	}
	return 0;
}

const struct driver driver_http = {"http", http_open, http_op, http_close};

/* ---- gRPC (grpc core's C API) ------------------------------------------ */

struct grpc_st {
	grpc_channel *ch;
	grpc_completion_queue *cq;
	grpc_slice method;
	grpc_slice req;
	const struct reqgen *gen;
	void *gst; /* per-op requests (t->gen), else req */
};

void driver_grpc_global_init(void)
{
	grpc_init();
}

void driver_grpc_global_shutdown(void)
{
	grpc_shutdown_blocking();
}

static void grpc_close_st(void *arg)
{
	struct grpc_st *s = arg;

	if (s == NULL)
		return;
	if (s->ch != NULL)
		grpc_channel_destroy(s->ch);
	if (s->cq != NULL) {
		grpc_completion_queue_shutdown(s->cq);
		while (grpc_completion_queue_next(
		           s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
		           .type != GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(s->cq);
	}
	grpc_slice_unref(s->method);
	grpc_slice_unref(s->req);
	if (s->gst != NULL)
		s->gen->close(s->gst);
	free(s);
}

static void *grpc_open_st(const struct target *t, char *err, size_t errlen)
{
	struct grpc_st *s = calloc(1, sizeof(*s));
	grpc_channel_credentials *creds;
	char where[96];
	grpc_arg args[2];
	grpc_channel_args cargs = {2, args};

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Channels to one target share one connection unless each keeps its
	 * own subchannel pool: N clients must mean N HTTP/2 connections. */
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
	args[0].value.integer = 1;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_ENABLE_HTTP_PROXY;
	args[1].value.integer = 0;
	/* ipv4: skips the DNS resolver. */
	snprintf(where, sizeof(where), "ipv4:%s:%d", t->host, t->port);
	creds = grpc_insecure_credentials_create();
	s->ch = grpc_channel_create(where, creds, &cargs);
	grpc_channel_credentials_release(creds);
	s->cq = grpc_completion_queue_create_for_next(NULL);
	s->method = grpc_slice_from_static_string(t->method);
	s->req =
	    grpc_slice_from_copied_buffer((const char *)t->req, t->req_len);
	if (s->ch == NULL || s->cq == NULL) {
		snprintf(err, errlen, "cannot create a gRPC channel to %s",
		         where);
		grpc_close_st(s);
		return NULL;
	}
	if (t->gen != NULL) {
		s->gen = t->gen;
		s->gst = t->gen->open(t->gen, err, errlen);
		if (s->gst == NULL) {
			grpc_close_st(s);
			return NULL;
		}
	}
	return s;
}

static int grpc_op_st(void *arg, const struct target *t, char *err,
                      size_t errlen)
{
	struct grpc_st *s = arg;
	grpc_metadata_array initial, trailing;
	grpc_byte_buffer *req, *resp = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice details = grpc_empty_slice();
	grpc_op ops[6];
	grpc_call *call;
	grpc_call_error e;
	grpc_event ev;
	gpr_timespec deadline;
	grpc_slice body;
	const uint8_t *greq;
	size_t glen;
	int rc = -1;

	if (s->gst != NULL) {
		if (s->gen->next(s->gst, &greq, &glen, err, errlen) != 0)
			return -1;
		body = grpc_slice_from_copied_buffer((const char *)greq, glen);
	} else {
		body = grpc_empty_slice();
	}
	deadline =
	    gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
	                 gpr_time_from_millis(DRIVER_TIMEOUT_MS, GPR_TIMESPAN));
	call = grpc_channel_create_call(s->ch, NULL, GRPC_PROPAGATE_DEFAULTS,
	                                s->cq, s->method, NULL, deadline, NULL);
	if (call == NULL) {
		snprintf(err, errlen, "grpc_channel_create_call failed");
		grpc_slice_unref(body);
		return -1;
	}
	/* The byte buffer takes its own reference. */
	req = grpc_raw_byte_buffer_create(s->gst ? &body : &s->req, 1);
	grpc_slice_unref(body);
	grpc_metadata_array_init(&initial);
	grpc_metadata_array_init(&trailing);
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = req;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &resp;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;
	e = grpc_call_start_batch(call, ops, 6, s, NULL);
	if (e != GRPC_CALL_OK) {
		snprintf(err, errlen, "grpc_call_start_batch: error %d", e);
		grpc_call_cancel(call, NULL);
		goto out;
	}
	ev = grpc_completion_queue_next(
	    s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	if (ev.type != GRPC_OP_COMPLETE || !ev.success) {
		snprintf(err, errlen, "gRPC batch did not complete");
		goto out;
	}
	if (status != GRPC_STATUS_OK) {
		snprintf(err, errlen, "gRPC %s: status %d: %.*s", t->method,
		         (int)status, (int)GRPC_SLICE_LENGTH(details),
		         (const char *)GRPC_SLICE_START_PTR(details));
		goto out;
	}
	if (resp == NULL) {
		snprintf(err, errlen, "gRPC %s: OK without a message",
		         t->method);
		goto out;
	}
	rc = 0;
out:
	if (resp != NULL)
		grpc_byte_buffer_destroy(resp);
	grpc_byte_buffer_destroy(req);
	grpc_metadata_array_destroy(&initial);
	grpc_metadata_array_destroy(&trailing);
	grpc_slice_unref(details);
	grpc_call_unref(call);
	return rc;
}

const struct driver driver_grpc = {"grpc", grpc_open_st, grpc_op_st,
                                   grpc_close_st};

/* ---- nng: keeld's internal API through libkeelclient ------------------ */

struct nng_st {
	struct keel_client *own; /* one socket per client */
	const struct reqgen *gen;
	void *gst; /* per-op requests (t->gen), else t->req */
};

static void nng_close_st(void *arg)
{
	struct nng_st *s = arg;

	if (s == NULL)
		return;
	if (s->gst != NULL)
		s->gen->close(s->gst);
	keel_client_close(s->own);
	free(s);
}

static void *nng_open_st(const struct target *t, char *err, size_t errlen)
{
	struct nng_st *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (t->nng_sockets &&
	    keel_client_open(t->url, &s->own, err, errlen) != 0) {
		free(s);
		return NULL;
	}
	if (t->gen != NULL) {
		s->gen = t->gen;
		s->gst = t->gen->open(t->gen, err, errlen);
		if (s->gst == NULL) {
			nng_close_st(s);
			return NULL;
		}
	}
	return s;
}

static int nng_op_st(void *arg, const struct target *t, char *err,
                     size_t errlen)
{
	struct nng_st *s = arg;
	struct keel_client_call_opts o = {.timeout_ms = DRIVER_TIMEOUT_MS};
	struct keel_client_reply r;
	const uint8_t *req = t->req;
	size_t len = t->req_len;
	int rc;

	if (s->gst != NULL && s->gen->next(s->gst, &req, &len, err, errlen) != 0)
		return -1;
	rc = keel_client_call(s->own ? s->own : t->shared, t->method, req, len,
	                      &o, &r);
	if (rc != 0)
		snprintf(err, errlen, "nng %s: %s: %s", t->method,
		         keel_client_code_name(rc), r.message);
	keel_client_reply_free(&r);
	return rc == 0 ? 0 : -1;
}

const struct driver driver_nng = {"nng", nng_open_st, nng_op_st, nng_close_st};

/* ---- nng-echo: a REQ context per client -------------------------------- */

struct nng_echo_st {
	nng_socket own;
	int have_own;
	nng_ctx ctx;
	int have_ctx;
	nng_aio *aio;
};

static void nng_echo_close(void *arg)
{
	struct nng_echo_st *s = arg;

	if (s == NULL)
		return;
	if (s->aio != NULL)
		nng_aio_free(s->aio);
	if (s->have_ctx)
		nng_ctx_close(s->ctx);
	if (s->have_own)
		nng_close(s->own);
	free(s);
}

static void *nng_echo_open(const struct target *t, char *err, size_t errlen)
{
	struct nng_echo_st *s = calloc(1, sizeof(*s));
	nng_socket sock = t->echo_sock;
	int rv;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (t->nng_sockets) {
		if ((rv = nng_req0_open(&s->own)) != 0)
			goto fail;
		s->have_own = 1;
		if ((rv = nng_dial(s->own, t->url, NULL, 0)) != 0)
			goto fail;
		sock = s->own;
	}
	if ((rv = nng_ctx_open(&s->ctx, sock)) != 0)
		goto fail;
	s->have_ctx = 1;
	/* As libkeelclient does: no timed resends. */
	nng_ctx_set_ms(s->ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	if ((rv = nng_aio_alloc(&s->aio, NULL, NULL)) != 0)
		goto fail;
	nng_aio_set_timeout(s->aio, DRIVER_TIMEOUT_MS);
	return s;
fail:
	snprintf(err, errlen, "nng echo client %s: %s", t->url,
	         nng_strerror(rv));
	nng_echo_close(s);
	return NULL;
}

static int nng_echo_op(void *arg, const struct target *t, char *err,
                       size_t errlen)
{
	struct nng_echo_st *s = arg;
	nng_msg *m;
	int rv;

	if ((rv = nng_msg_alloc(&m, t->msg_size)) != 0)
		goto fail;
	memset(nng_msg_body(m), 'p', t->msg_size);
	nng_aio_set_msg(s->aio, m);
	nng_ctx_send(s->ctx, s->aio);
	nng_aio_wait(s->aio);
	if ((rv = nng_aio_result(s->aio)) != 0) {
		nng_msg_free(m); /* still ours when the send failed */
		goto fail;
	}
	nng_ctx_recv(s->ctx, s->aio);
	nng_aio_wait(s->aio);
	if ((rv = nng_aio_result(s->aio)) != 0)
		goto fail;
	m = nng_aio_get_msg(s->aio);
	rv = nng_msg_len(m) == t->msg_size ? 0 : NNG_EPROTO;
	nng_msg_free(m);
	if (rv == 0)
		return 0;
fail:
	snprintf(err, errlen, "nng echo %s: %s", t->url, nng_strerror(rv));
	return -1;
}

const struct driver driver_nng_echo = {"nng-echo", nng_echo_open, nng_echo_op,
                                       nng_echo_close};
