/*
 * api_wedge_test.c -- the internal API survives nng 1.5.2's wedged ipc
 * listener (nanomsg/nng#1518): a peer that hangs up during the SP
 * handshake stops the listener for good, and the watchdog must replace it.
 *
 * Replacing a wedged listener leaks what nng stranded inside it (the
 * connections it never handed over); that is nng's memory, not ours, and
 * the leak is bounded by the number of wedges.  tests/unit/api_wedge.sh
 * therefore runs this program with leak detection off; every other test
 * keeps it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "api_nng.h"
#include "keel/internal/v1/envelope.pb-c.h"
#include "rpc.h"
#include "svc.h"
#include "tap.h"
#include "testdb.h"

static nng_socket req;

/* GetVersion through the internal API; 0 on a successful reply. */
static int get_version(int timeout_ms)
{
	Keel__Internal__V1__Request e = KEEL__INTERNAL__V1__REQUEST__INIT;
	Keel__Internal__V1__Response *r;
	uint8_t buf[256];
	void *rbuf = NULL;
	size_t n, rlen = 0;
	int code;

	e.version = 1;
	e.method = (char *)"/flyteidl.service.AdminService/GetVersion";
	n = keel__internal__v1__request__pack(&e, buf);
	nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, timeout_ms);
	if (nng_send(req, buf, n, 0) != 0 ||
	    nng_recv(req, &rbuf, &rlen, NNG_FLAG_ALLOC) != 0)
		return -1;
	r = keel__internal__v1__response__unpack(NULL, rlen, rbuf);
	nng_free(rbuf, rlen);
	code = r ? r->code : -1;
	keel__internal__v1__response__free_unpacked(r, NULL);
	return code;
}

/* A fresh client, so no pipe of an earlier one hides a wedge. */
static void redial(const char *url)
{
	nng_close(req);
	nng_req0_open(&req);
	nng_dial(req, url, NULL, NNG_FLAG_NONBLOCK);
}

int main(void)
{
	struct testdb t;
	struct svc svc = {0};
	struct svc_domain dom = {(char *)"development", (char *)"development"};
	struct api_nng *api = NULL, *dup = NULL;
	struct api_nng_opts o = {0};
	char err[1024], url[128], path[100], dir[] = "/tmp/keel-wedge-XXXXXX";
	int rc;

	if (testdb_open(&t, 2, err, sizeof(err)) != 0)
		return tap_skip_all(err);
	svc.db = t.db;
	svc.domains = &dom;
	svc.ndomains = 1;
	svc.max_page_size = 100;
	rpc_init();
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(url, sizeof(url), "ipc://%s/api.sock", dir);
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	o.url = url;
	o.workers = 2;
	o.max_message = 4096;
	o.request_memory = 1 << 20;
	o.listener_check_ms = 200;
	rc = api_nng_start(&o, &svc, &api, err, sizeof(err));
	if (!TAP_OK(rc == 0, "API listening on %s (%s)", url, rc ? err : "ok"))
		return tap_done();
	nng_req0_open(&req);
	nng_dial(req, url, NULL, 0);
	TAP_EQ_INT(get_version(5000), 0, "served before anything happens");

	/* A second listener on the same path is refused; nng's own probe of
	 * the first one may wedge it. */
	rc = api_nng_start(&o, &svc, &dup, err, sizeof(err));
	TAP_OK(rc != 0, "a second listener on the same URL is refused");
	TAP_HAS_STR(err, "cannot listen on", "with a message (%s)", err);
	redial(url);
	TAP_EQ_INT(get_version(8000), 0,
	           "still served after the refused second listener");

	/* A raw connect and hang-up: the classic trigger. */
	for (int round = 1; round <= 2; round++) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		unsigned before = api_nng_listener_restarts(api);
		int fd = socket(AF_UNIX, SOCK_STREAM, 0), wedged;
		memcpy(sa.sun_path, path, strlen(path) + 1); /* < 108: mkdtemp */
		TAP_OK(fd >= 0 && connect(fd, (struct sockaddr *)&sa,
		                          sizeof(sa)) == 0,
		       "round %d: raw connect to the socket", round);
		close(fd);
		usleep(100 * 1000);
		redial(url);
		wedged = get_version(300) != 0;
		tap_diag("round %d: listener %s after the hang-up", round,
		         wedged ? "wedged" : "not wedged");
		TAP_EQ_INT(get_version(8000), 0,
		           "round %d: served again after the hang-up", round);
		if (wedged)
			TAP_OK(api_nng_listener_restarts(api) > before,
			       "round %d: the watchdog replaced the wedged "
			       "listener",
			       round);
	}

	TAP_EQ_INT(api_nng_drain(api, 2000), 0, "drain is clean");
	TAP_OK(access(path, F_OK) != 0, "socket file removed");
	nng_close(req);
	rmdir(dir);
	rpc_shutdown();
	testdb_close(&t);
	return tap_done();
}
