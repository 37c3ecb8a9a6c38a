/*
 * api_nng_test.c -- the internal API's envelope handling over a real nng
 * socket: bad envelopes, limits, request ids, and draining.
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
#include "flyteidl/admin/version.pb-c.h"
#include "keel/internal/v1/envelope.pb-c.h"
#include "rpc.h"
#include "svc.h"
#include "tap.h"
#include "testdb.h"

static nng_socket req;

/* Send raw bytes, return the decoded reply (or NULL). */
static Keel__Internal__V1__Response *roundtrip(const void *buf, size_t len)
{
	void *rbuf = NULL;
	size_t rlen = 0;
	Keel__Internal__V1__Response *r;

	int rv;

	if ((rv = nng_send(req, (void *)buf, len, 0)) != 0) {
		tap_diag("nng_send: %s", nng_strerror(rv));
		return NULL;
	}
	if ((rv = nng_recv(req, &rbuf, &rlen, NNG_FLAG_ALLOC)) != 0) {
		tap_diag("nng_recv: %s", nng_strerror(rv));
		return NULL;
	}
	r = keel__internal__v1__response__unpack(NULL, rlen, rbuf);
	nng_free(rbuf, rlen);
	return r;
}

static Keel__Internal__V1__Response *envelope(uint32_t version,
                                              const char *method,
                                              size_t payload_len,
                                              const char *rid)
{
	Keel__Internal__V1__Request e = KEEL__INTERNAL__V1__REQUEST__INIT;
	Keel__Internal__V1__Response *r;
	uint8_t *buf;
	size_t n;

	e.version = version;
	e.method = (char *)method;
	e.request_id = (char *)(rid ? rid : "");
	e.payload.len = payload_len;
	e.payload.data = calloc(1, payload_len + 1);
	n = keel__internal__v1__request__get_packed_size(&e);
	buf = malloc(n);
	keel__internal__v1__request__pack(&e, buf);
	r = roundtrip(buf, n);
	free(buf);
	free(e.payload.data);
	return r;
}

int main(void)
{
	struct testdb t;
	struct svc svc = {0};
	struct svc_domain dom = {(char *)"development", (char *)"development"};
	struct api_nng *api = NULL;
	struct api_nng_opts o = {0};
	Keel__Internal__V1__Response *r;
	char err[1024], url[300], dir[] = "/tmp/keel-api-XXXXXX";
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
	o.url = url;
	o.workers = 2;
	o.max_message = 4096;
	o.request_memory = 1 << 20;
	o.listener_check_ms = 200;
	rc = api_nng_start(&o, &svc, &api, err, sizeof(err));
	TAP_EQ_INT(rc, 0, "API listening on %s (%s)", url, rc ? err : "ok");
	nng_req0_open(&req);
	nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, 5000);
	rc = nng_dial(req, url, NULL, 0);
	TAP_EQ_INT(rc, 0, "client dials %s (%s)", url, nng_strerror(rc));

	r = roundtrip("\xff\xff\xff", 3);
	TAP_OK(r && r->code == RPC_INVALID_ARGUMENT &&
	           strstr(r->message, "malformed request envelope"),
	       "garbage envelope: INVALID_ARGUMENT (%s)", r ? r->message : "-");
	keel__internal__v1__response__free_unpacked(r, NULL);

	r = envelope(2, "/flyteidl.service.AdminService/GetVersion", 0, NULL);
	TAP_OK(r && r->code == RPC_FAILED_PRECONDITION &&
	           strstr(r->message, "envelope version 2"),
	       "future envelope version refused");
	keel__internal__v1__response__free_unpacked(r, NULL);

	r = envelope(1, "", 0, NULL);
	TAP_OK(r && r->code == RPC_INVALID_ARGUMENT &&
	           strstr(r->message, "missing method"),
	       "missing method");
	keel__internal__v1__response__free_unpacked(r, NULL);

	r = envelope(1, "/x.Y/Z", 0, NULL);
	TAP_OK(r && r->code == RPC_UNIMPLEMENTED &&
	           strstr(r->message, "/x.Y/Z"),
	       "unknown method named");
	keel__internal__v1__response__free_unpacked(r, NULL);

	r = envelope(1, "/flyteidl.service.AdminService/GetVersion", 5000,
	             NULL);
	TAP_OK(r && r->code == RPC_RESOURCE_EXHAUSTED &&
	           strstr(r->message, "5000 bytes exceeds the limit of 4096"),
	       "oversized payload: RESOURCE_EXHAUSTED (%s)",
	       r ? r->message : "-");
	keel__internal__v1__response__free_unpacked(r, NULL);

	r = envelope(1, "/flyteidl.service.AdminService/GetVersion", 0, NULL);
	TAP_OK(r && r->code == 0 && r->payload.len > 0, "GetVersion OK");
	TAP_OK(r && strncmp(r->request_id, "a-", 2) == 0 &&
	           strlen(r->request_id) == 22,
	       "request id generated (%s)", r ? r->request_id : "-");
	if (r && r->code == 0) {
		Flyteidl__Admin__GetVersionResponse *v =
		    flyteidl__admin__get_version_response__unpack(
		        NULL, r->payload.len, r->payload.data);
		TAP_OK(v && v->control_plane_version &&
		           strcmp(v->control_plane_version->version,
		                  PACKAGE_VERSION) == 0,
		       "payload decodes as GetVersionResponse");
		flyteidl__admin__get_version_response__free_unpacked(v, NULL);
	}
	keel__internal__v1__response__free_unpacked(r, NULL);

	r = envelope(1, "/flyteidl.service.AdminService/GetVersion", 0,
	             "my-request-7");
	TAP_EQ_STR(r ? r->request_id : NULL, "my-request-7",
	           "caller's request id echoed");
	keel__internal__v1__response__free_unpacked(r, NULL);

	TAP_EQ_INT(api_nng_drain(api, 2000), 0, "idle drain is clean");
	{
		/* The socket file is gone: the next dial is refused. */
		char path[320];
		snprintf(path, sizeof(path), "%s/api.sock", dir);
		TAP_OK(access(path, F_OK) != 0, "socket file removed");
	}
	nng_close(req);
	rmdir(dir);
	rpc_shutdown();
	testdb_close(&t);
	return tap_done();
}
