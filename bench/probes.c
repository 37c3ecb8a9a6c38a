/*
 * probes.c -- in-process limit servers; see probes.h.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "probes.h"

/* About the size of a small JSON answer (the nginx probe used 120 B). */
const char probe_http_body[] =
    "{\"controlPlaneVersion\":{\"Build\":\"fabench\",\"Version\":\"0.0.0\","
    "\"BuildTime\":\"2024-01-01T00:00:00Z\"},\"padding\":\"0123456789\"}";

enum probe_kind { PROBE_ECHO, PROBE_HTTP };

struct probe_conn {
	int fd;
	pthread_t thread;
	atomic_int done;
	struct probe_tcp *p;
};

struct probe_tcp {
	enum probe_kind kind;
	size_t msg_size;
	int lfd;
	atomic_int stop;
	pthread_t acceptor;
	pthread_mutex_t lock;
	struct probe_conn **conns;
	size_t nconns, capconns;
	char *response; /* the whole HTTP response, built once */
	size_t response_len;
};

static int probe_err(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return -1;
}

static int probe_write_all(int fd, const char *buf, size_t len)
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

static void probe_echo_serve(struct probe_conn *c)
{
	char *buf = malloc(c->p->msg_size);
	size_t have;
	ssize_t n;

	if (buf == NULL)
		return;
	for (;;) {
		for (have = 0; have < c->p->msg_size; have += (size_t)n) {
			n = recv(c->fd, buf + have, c->p->msg_size - have, 0);
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0)
				goto out;
		}
		if (probe_write_all(c->fd, buf, have) != 0)
			goto out;
	}
out:
	free(buf);
}

/* Answer every complete request head in the buffer with the fixed
 * response; GETs only, so a request ends at its blank line. */
static void probe_http_serve(struct probe_conn *c)
{
	char buf[8192];
	size_t have = 0;
	ssize_t n;
	char *end;

	for (;;) {
		n = recv(c->fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		have += (size_t)n;
		buf[have] = '\0';
		while ((end = strstr(buf, "\r\n\r\n")) != NULL) {
			size_t used = (size_t)(end + 4 - buf);
			if (probe_write_all(c->fd, c->p->response,
			                    c->p->response_len) != 0)
				return;
			memmove(buf, buf + used, have - used + 1);
			have -= used;
		}
		if (have == sizeof(buf) - 1)
			return; /* a head this long is not ours */
	}
}

static void *probe_conn_main(void *arg)
{
	struct probe_conn *c = arg;

	if (c->p->kind == PROBE_ECHO)
		probe_echo_serve(c);
	else
		probe_http_serve(c);
	atomic_store(&c->done, 1);
	return NULL;
}

static void probe_conn_free(struct probe_conn *c)
{
	pthread_join(c->thread, NULL);
	close(c->fd);
	free(c);
}

/* Join the connections whose clients went away (one per client per round,
 * so they would pile up over a long run).  Caller holds the lock. */
static void probe_reap(struct probe_tcp *p)
{
	size_t i = 0;

	while (i < p->nconns) {
		if (atomic_load(&p->conns[i]->done)) {
			probe_conn_free(p->conns[i]);
			p->conns[i] = p->conns[--p->nconns];
		} else {
			i++;
		}
	}
}

static void *probe_accept_main(void *arg)
{
	struct probe_tcp *p = arg;
	struct probe_conn *c, **grown;
	int fd, one = 1;

	for (;;) {
		fd = accept(p->lfd, NULL, NULL);
		if (atomic_load(&p->stop)) {
			if (fd >= 0)
				close(fd);
			break;
		}
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE)
				continue;
			break;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			goto drop;
		c->fd = fd;
		c->p = p;
		pthread_mutex_lock(&p->lock);
		probe_reap(p);
		if (p->nconns == p->capconns) {
			size_t cap = p->capconns ? 2 * p->capconns : 32;
			grown = realloc(p->conns, cap * sizeof(*grown));
			if (grown == NULL) {
				pthread_mutex_unlock(&p->lock);
				free(c);
				goto drop;
			}
			p->conns = grown;
			p->capconns = cap;
		}
		if (pthread_create(&c->thread, NULL, probe_conn_main, c) != 0) {
			pthread_mutex_unlock(&p->lock);
			free(c);
			goto drop;
		}
		p->conns[p->nconns++] = c;
		pthread_mutex_unlock(&p->lock);
		continue;
	drop:
		close(fd);
	}
	return NULL;
}

static int probe_tcp_start(struct probe_tcp *p, int *port, char *err,
                           size_t errlen)
{
	struct sockaddr_in sa = {0};
	socklen_t salen = sizeof(sa);
	int one = 1;

	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (p->lfd < 0)
		return probe_err(err, errlen, "socket");
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return probe_err(err, errlen, "bind 127.0.0.1:0");
	if (listen(p->lfd, 128) != 0)
		return probe_err(err, errlen, "listen");
	if (getsockname(p->lfd, (struct sockaddr *)&sa, &salen) != 0)
		return probe_err(err, errlen, "getsockname");
	*port = ntohs(sa.sin_port);
	if (pthread_create(&p->acceptor, NULL, probe_accept_main, p) != 0) {
		snprintf(err, errlen, "cannot start a thread");
		return -1;
	}
	return 0;
}

static struct probe_tcp *probe_tcp_new(enum probe_kind kind)
{
	struct probe_tcp *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->kind = kind;
	p->lfd = -1;
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

/* Free a probe whose acceptor never started. */
static void probe_tcp_free(struct probe_tcp *p)
{
	if (p->lfd >= 0)
		close(p->lfd);
	pthread_mutex_destroy(&p->lock);
	free(p->response);
	free(p->conns);
	free(p);
}

int probe_tcp_echo_start(size_t msg_size, struct probe_tcp **out, int *port,
                         char *err, size_t errlen)
{
	struct probe_tcp *p = probe_tcp_new(PROBE_ECHO);

	*out = NULL;
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->msg_size = msg_size ? msg_size : 1;
	if (probe_tcp_start(p, port, err, errlen) != 0) {
		probe_tcp_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int probe_http_static_start(struct probe_tcp **out, int *port, char *err,
                            size_t errlen)
{
	struct probe_tcp *p = probe_tcp_new(PROBE_HTTP);
	size_t cap = 256 + sizeof(probe_http_body);
	int n;

	*out = NULL;
	if (p == NULL || (p->response = malloc(cap)) == NULL) {
		if (p != NULL)
			probe_tcp_free(p);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = snprintf(p->response, cap,
	             "HTTP/1.1 200 OK\r\n"
	             "Content-Type: application/json\r\n"
	             "Content-Length: %zu\r\n"
	             "\r\n%s",
	             sizeof(probe_http_body) - 1, probe_http_body);
	p->response_len = (size_t)n;
	if (probe_tcp_start(p, port, err, errlen) != 0) {
		probe_tcp_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void probe_tcp_stop(struct probe_tcp *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->stop, 1);
	/* On Linux this wakes the blocked accept(). */
	shutdown(p->lfd, SHUT_RDWR);
	pthread_join(p->acceptor, NULL);
	for (size_t i = 0; i < p->nconns; i++) {
		shutdown(p->conns[i]->fd, SHUT_RDWR);
		probe_conn_free(p->conns[i]);
	}
	p->nconns = 0;
	probe_tcp_free(p);
}

/* ------------------------------------------------------------------ */

struct probe_nng_ctx {
	struct probe_nng *p;
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
};

struct probe_nng {
	nng_socket sock;
	int open;
	atomic_int stop;
	unsigned nctx;
	struct probe_nng_ctx *ctxs;
};

/* Each context loops recv -> send the same message back -> recv, all in
 * nng's callbacks: no thread of ours between the two. */
static void probe_nng_cb(void *arg)
{
	struct probe_nng_ctx *e = arg;
	int rv = nng_aio_result(e->aio);

	if (e->sending) {
		e->sending = 0;
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(e->aio));
	} else if (rv == 0) {
		nng_aio_set_msg(e->aio, nng_aio_get_msg(e->aio));
		e->sending = 1;
		nng_ctx_send(e->ctx, e->aio);
		return;
	}
	if (atomic_load(&e->p->stop) || rv == NNG_ECLOSED ||
	    rv == NNG_ECANCELED)
		return;
	nng_ctx_recv(e->ctx, e->aio);
}

void probe_nng_echo_stop(struct probe_nng *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->stop, 1);
	for (unsigned i = 0; i < p->nctx; i++)
		if (p->ctxs[i].aio != NULL)
			nng_aio_stop(p->ctxs[i].aio);
	for (unsigned i = 0; i < p->nctx; i++) {
		if (p->ctxs[i].aio != NULL) {
			nng_ctx_close(p->ctxs[i].ctx);
			nng_aio_free(p->ctxs[i].aio);
		}
	}
	if (p->open)
		nng_close(p->sock);
	free(p->ctxs);
	free(p);
}

int probe_nng_echo_start(unsigned nctx, struct probe_nng **out, char *url,
                         size_t urllen, char *err, size_t errlen)
{
	struct probe_nng *p;
	nng_listener l;
	int rv, port = 0;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->ctxs = calloc(nctx, sizeof(*p->ctxs))) == NULL) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((rv = nng_rep0_open(&p->sock)) != 0) {
		snprintf(err, errlen, "nng_rep0_open: %s", nng_strerror(rv));
		goto fail;
	}
	p->open = 1;
	if ((rv = nng_listen(p->sock, "tcp://127.0.0.1:0", &l, 0)) != 0 ||
	    (rv = nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port)) !=
	        0) {
		snprintf(err, errlen, "nng listen tcp://127.0.0.1:0: %s",
		         nng_strerror(rv));
		goto fail;
	}
	snprintf(url, urllen, "tcp://127.0.0.1:%d", port);
	for (unsigned i = 0; i < nctx; i++) {
		struct probe_nng_ctx *e = &p->ctxs[i];
		e->p = p;
		if ((rv = nng_aio_alloc(&e->aio, probe_nng_cb, e)) != 0) {
			snprintf(err, errlen, "nng_aio_alloc: %s",
			         nng_strerror(rv));
			goto fail;
		}
		if ((rv = nng_ctx_open(&e->ctx, p->sock)) != 0) {
			nng_aio_free(e->aio);
			e->aio = NULL;
			snprintf(err, errlen, "nng_ctx_open: %s",
			         nng_strerror(rv));
			goto fail;
		}
		p->nctx = i + 1;
		nng_ctx_recv(e->ctx, e->aio);
	}
	*out = p;
	return 0;
fail:
	p->nctx = nctx; /* stop() skips contexts without an aio */
	probe_nng_echo_stop(p);
	return -1;
}
