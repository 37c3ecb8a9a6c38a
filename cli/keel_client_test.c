/*
 * keel_client_test.c -- libkeelclient against a small in-process REP
 * server speaking the envelope: success, server errors with details,
 * metadata and deadlines, timeouts without resends, undecodable replies,
 * keeld down, keeld started late and restarted, several threads.  TAP.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include <keel/keel_client.h>

#include "tap.h"
#include "keel/internal/v1/envelope.pb-c.h"

struct server {
	char url[256];
	nng_socket sock;
	pthread_t thr;
	atomic_int slow_seen; /* "/test/Slow" requests received */
	int running;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void srv_reply(nng_socket s, Keel__Internal__V1__Response *r)
{
	size_t n = keel__internal__v1__response__get_packed_size(r);
	nng_msg *m;

	if (nng_msg_alloc(&m, n) != 0)
		return;
	keel__internal__v1__response__pack(r, nng_msg_body(m));
	if (nng_sendmsg(s, m, 0) != 0)
		nng_msg_free(m);
}

static void *srv_main(void *arg)
{
	struct server *sv = arg;

	for (;;) {
		Keel__Internal__V1__Response r =
		    KEEL__INTERNAL__V1__RESPONSE__INIT;
		Keel__Internal__V1__Request *q;
		Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
		Google__Protobuf__Any *anyp = &any;
		char meta[512] = "";
		nng_msg *m;
		size_t i, off = 0;
		int stop = 0;

		if (nng_recvmsg(sv->sock, &m, 0) != 0)
			break;
		q = keel__internal__v1__request__unpack(NULL, nng_msg_len(m),
		                                        nng_msg_body(m));
		nng_msg_free(m);
		if (!q)
			continue;
		r.version = 1;
		r.request_id = *q->request_id ? q->request_id : (char *)"srv-1";
		if (strcmp(q->method, "/test/Echo") == 0) {
			r.payload = q->payload;
		} else if (strcmp(q->method, "/test/Fail") == 0) {
			r.code = 5;
			r.message = (char *)"project [x] not found";
			any.type_url = (char *)"type.googleapis.com/"
			                       "flyteidl.admin.InactiveProject";
			any.value.data = (uint8_t *)"\x0a\x01x";
			any.value.len = 3;
			r.n_details = 1;
			r.details = &anyp;
		} else if (strcmp(q->method, "/test/Meta") == 0) {
			for (i = 0; i < q->n_metadata; i++) {
				int k = snprintf(meta + off, sizeof meta - off,
				                 "%s=%s;", q->metadata[i]->key,
				                 q->metadata[i]->value);
				if (k < 0 || (size_t)k >= sizeof meta - off)
					break;
				off += (size_t)k;
			}
			if (q->deadline_unix_ms > unix_ms() &&
			    q->deadline_unix_ms < unix_ms() + 6000 &&
			    off + 11 < sizeof meta)
				memcpy(meta + off, "deadline-ok", 12);
			r.payload.data = (uint8_t *)meta;
			r.payload.len = strlen(meta);
		} else if (strcmp(q->method, "/test/Slow") == 0) {
			atomic_fetch_add(&sv->slow_seen, 1);
			keel__internal__v1__request__free_unpacked(q, NULL);
			continue; /* never answer */
		} else if (strcmp(q->method, "/test/Garbage") == 0) {
			keel__internal__v1__request__free_unpacked(q, NULL);
			if (nng_msg_alloc(&m, 0) == 0) {
				nng_msg_append(m, "\xff\xff\xff", 3);
				if (nng_sendmsg(sv->sock, m, 0) != 0)
					nng_msg_free(m);
			}
			continue;
		} else if (strcmp(q->method, "/test/Stop") == 0) {
			stop = 1;
		} else {
			r.code = 12;
			r.message = (char *)"unknown method";
		}
		srv_reply(sv->sock, &r);
		keel__internal__v1__request__free_unpacked(q, NULL);
		if (stop)
			break;
	}
	return NULL;
}

static int srv_start(struct server *sv)
{
	if (nng_rep0_open(&sv->sock) != 0)
		return -1;
	if (nng_listen(sv->sock, sv->url, NULL, 0) != 0) {
		nng_close(sv->sock);
		return -1;
	}
	if (pthread_create(&sv->thr, NULL, srv_main, sv) != 0) {
		nng_close(sv->sock);
		return -1;
	}
	sv->running = 1;
	return 0;
}

static void srv_stop(struct server *sv)
{
	if (!sv->running)
		return;
	nng_close(sv->sock);
	pthread_join(sv->thr, NULL);
	sv->running = 0;
}

struct slowcall {
	struct keel_client *c;
	int rc;
	int64_t ms;
	char msg[256];
};

static void *slow_main(void *arg)
{
	struct slowcall *sc = arg;
	struct keel_client_call_opts o = {0};
	struct keel_client_reply r;
	int64_t t0 = now_ms();

	o.timeout_ms = 10000;
	sc->rc = keel_client_call(sc->c, "/test/Slow", "s", 1, &o, &r);
	sc->ms = now_ms() - t0;
	snprintf(sc->msg, sizeof sc->msg, "%s", r.message ? r.message : "");
	keel_client_reply_free(&r);
	return NULL;
}

struct worker {
	struct keel_client *c;
	int id;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct keel_client_call_opts o = {0};
	struct keel_client_reply r;
	char buf[64];
	int i;

	o.timeout_ms = 5000; /* a failure must not take 50 x 30 s */
	for (i = 0; i < 50; i++) {
		int n = snprintf(buf, sizeof buf, "w%d-%d", w->id, i);

		keel_client_call(w->c, "/test/Echo", buf, (size_t)n, &o, &r);
		if (r.code != 0 || r.payload_len != (size_t)n ||
		    memcmp(r.payload, buf, (size_t)n) != 0)
			w->failures++;
		keel_client_reply_free(&r);
	}
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/keelct.XXXXXX", err[256], path[300];
	const char *md[] = {"authorization", "Bearer t", "x-k", "v", NULL};
	struct keel_client_call_opts opts = {0}, fast = {0};
	struct keel_client_reply r;
	struct keel_client *c = NULL;
	struct server sv = {{0}};
	struct worker w[8];
	pthread_t thr[8];
	int64_t t0;
	int rc, i, fails;

	fast.timeout_ms = 5000; /* failures stay quick */
	if (!mkdtemp(dir))
		return tap_skip_all("mkdtemp failed");
	snprintf(sv.url, sizeof sv.url, "ipc://%s/k.sock", dir);
	snprintf(path, sizeof path, "%s/k.sock", dir);

	TAP_EQ_STR(keel_client_code_name(0), "OK", "code name 0");
	TAP_EQ_STR(keel_client_code_name(14), "UNAVAILABLE", "code name 14");
	TAP_EQ_STR(keel_client_code_name(99), "UNKNOWN", "code name 99");
	keel_client_close(NULL);
	memset(&r, 0, sizeof r);
	keel_client_reply_free(&r);

	rc = keel_client_open("bogus://x", &c, err, sizeof err);
	TAP_EQ_INT(rc, 3, "bad URL is INVALID_ARGUMENT");
	TAP_HAS_STR(err, "bogus://x", "error names the URL");
	TAP_OK(c == NULL, "no client on failure");

	/* keeld not running yet: open works, a call fails fast */
	rc = keel_client_open(sv.url, &c, err, sizeof err);
	TAP_EQ_INT(rc, 0, "open before keeld runs");
	if (rc)
		return tap_done();
	t0 = now_ms();
	rc = keel_client_call(c, "/test/Echo", "x", 1, NULL, &r);
	TAP_EQ_INT(rc, 14, "no keeld: UNAVAILABLE");
	TAP_OK(now_ms() - t0 < 3000, "and fast (%lld ms)",
	       (long long)(now_ms() - t0));
	TAP_HAS_STR(r.message, "cannot reach keeld at ipc://",
	            "message names the URL");
	TAP_OK(r.local, "the status is marked as the library's own");
	TAP_OK(r.request_id && r.payload == NULL, "reply fields set");
	keel_client_reply_free(&r);

	/* keeld comes up later: the same client gets through */
	TAP_OK(srv_start(&sv) == 0, "server started on %s", sv.url);
	if (!sv.running)
		goto out;
	rc = keel_client_call(c, "/test/Echo", "hello", 5, &fast, &r);
	TAP_EQ_INT(rc, 0, "call after keeld started");
	TAP_OK(r.payload_len == 5 && memcmp(r.payload, "hello", 5) == 0,
	       "payload echoed");
	TAP_EQ_STR(r.request_id, "srv-1", "server-made request id");
	TAP_EQ_STR(r.message, "", "empty message is \"\"");
	TAP_OK(!r.local, "a status from keeld is not marked local");
	keel_client_reply_free(&r);

	rc = keel_client_call(c, "/test/Echo", NULL, 0, &fast, &r);
	TAP_OK(rc == 0 && r.payload_len == 0, "empty request and reply");
	keel_client_reply_free(&r);

	opts.request_id = "req-42";
	rc = keel_client_call(c, "/test/Fail", "x", 1, &opts, &r);
	TAP_EQ_INT(rc, 5, "server status returned");
	TAP_EQ_INT(r.code, 5, "reply code");
	TAP_EQ_STR(r.message, "project [x] not found", "server message");
	TAP_EQ_STR(r.request_id, "req-42", "request id echoed");
	TAP_EQ_INT(r.ndetails, 1, "one detail");
	if (r.ndetails == 1) {
		TAP_EQ_STR(r.details[0].type_url,
		           "type.googleapis.com/flyteidl.admin.InactiveProject",
		           "detail type");
		TAP_OK(r.details[0].value_len == 3 &&
		           memcmp(r.details[0].value, "\x0a\x01x", 3) == 0,
		       "detail value");
	}
	keel_client_reply_free(&r);
	TAP_OK(r.message == NULL && r.details == NULL, "reply_free zeroes");

	opts.request_id = NULL;
	opts.metadata = md;
	opts.timeout_ms = 5000;
	rc = keel_client_call(c, "/test/Meta", NULL, 0, &opts, &r);
	TAP_EQ_INT(rc, 0, "metadata call");
	if (r.payload) {
		char got[600];

		snprintf(got, sizeof got, "%.*s", (int)r.payload_len,
		         (const char *)r.payload);
		TAP_EQ_STR(got, "authorization=Bearer t;x-k=v;deadline-ok",
		           "metadata and deadline reach the server");
	}
	keel_client_reply_free(&r);

	/* timeout, and nng must not resend the request meanwhile */
	opts.metadata = NULL;
	opts.timeout_ms = 300;
	t0 = now_ms();
	rc = keel_client_call(c, "/test/Slow", "s", 1, &opts, &r);
	TAP_EQ_INT(rc, 4, "no answer: DEADLINE_EXCEEDED");
	TAP_OK(now_ms() - t0 >= 250 && now_ms() - t0 < 2000,
	       "after about the timeout (%lld ms)", (long long)(now_ms() - t0));
	TAP_HAS_STR(r.message, "within 300 ms", "message gives the timeout");
	keel_client_reply_free(&r);
	usleep(700 * 1000);
	TAP_EQ_INT(atomic_load(&sv.slow_seen), 1, "request sent exactly once");

	rc = keel_client_call(c, "/test/Garbage", NULL, 0, &fast, &r);
	TAP_EQ_INT(rc, 13, "undecodable reply: INTERNAL");
	keel_client_reply_free(&r);

	rc = keel_client_call(c, "/test/Echo", "again", 5, &fast, &r);
	TAP_EQ_INT(rc, 0, "still usable after timeout and garbage");
	keel_client_reply_free(&r);

	/* several threads on one client */
	for (i = 0; i < 8; i++) {
		w[i].c = c;
		w[i].id = i;
		w[i].failures = 0;
		pthread_create(&thr[i], NULL, worker_main, &w[i]);
	}
	fails = 0;
	for (i = 0; i < 8; i++) {
		pthread_join(thr[i], NULL);
		fails += w[i].failures;
	}
	TAP_EQ_INT(fails, 0, "8 threads x 50 calls, each got its own reply");

	/* keeld restarts: the client reconnects on its own (after nng has
	 * noticed the closed connection: a request made in that instant
	 * waits for its deadline) */
	srv_stop(&sv);
	unlink(path);
	usleep(100 * 1000);
	rc = keel_client_call(c, "/test/Echo", "x", 1, &fast, &r);
	TAP_EQ_INT(rc, 14, "keeld stopped: UNAVAILABLE (%s)", r.message);
	keel_client_reply_free(&r);
	TAP_OK(srv_start(&sv) == 0, "server restarted");
	opts.timeout_ms = 5000;
	t0 = now_ms();
	rc = keel_client_call(c, "/test/Echo", "back", 4, &opts, &r);
	TAP_EQ_INT(rc, 0, "call after restart (%lld ms)",
	           (long long)(now_ms() - t0));
	keel_client_reply_free(&r);

	/* keeld goes away while a call waits: UNAVAILABLE at once, and the
	 * request is not sent again to the next keeld */
	{
		struct slowcall sc = {c, -1, 0, ""};
		pthread_t st;
		int base = atomic_load(&sv.slow_seen);

		pthread_create(&st, NULL, slow_main, &sc);
		for (i = 0; i < 200 && atomic_load(&sv.slow_seen) == base; i++)
			usleep(10 * 1000);
		srv_stop(&sv);
		unlink(path);
		pthread_join(st, NULL);
		usleep(100 * 1000);
		TAP_EQ_INT(sc.rc, 14, "keeld gone mid-call: UNAVAILABLE");
		TAP_HAS_STR(sc.msg, "connection closed during the call",
		            "says why");
		TAP_OK(sc.ms < 3000,
		       "without waiting for the deadline (%lld ms)",
		       (long long)sc.ms);
		base = atomic_load(&sv.slow_seen);
		TAP_OK(srv_start(&sv) == 0, "server restarted again");
		rc = keel_client_call(c, "/test/Echo", "x", 1, &opts, &r);
		TAP_EQ_INT(rc, 0, "call after the second restart (%s)",
		           r.message);
		keel_client_reply_free(&r);
		usleep(300 * 1000);
		TAP_EQ_INT(atomic_load(&sv.slow_seen), base,
		           "the cut-short request was not sent again");
	}

	rc = keel_client_call(NULL, "/test/Echo", NULL, 0, &fast, &r);
	TAP_EQ_INT(rc, 3, "NULL client is INVALID_ARGUMENT");
	keel_client_reply_free(&r);
out:
	keel_client_close(c);
	srv_stop(&sv);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
