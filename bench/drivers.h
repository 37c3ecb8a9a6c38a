/*
 * drivers.h -- fabench's client side: one closed-loop request at a time
 * per client thread, over each transport.
 *
 * A driver opens per-thread state (a connection), performs one request
 * per op() call, and closes.  op() returns 0 when the reply was what the
 * workload expects (a 200, gRPC OK, an nng reply with status 0), and -1
 * with a message otherwise.
 */
#ifndef FABENCH_DRIVERS_H
#define FABENCH_DRIVERS_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

struct keel_client;
struct floor;

/*
 * Requests made per op, for workloads whose requests must differ (a fresh
 * execution name, a node's next event): every client opens its own
 * stream, and the nng and gRPC drivers ask it for each request instead of
 * sending target->req.  A generator is shared by the clients, so what it
 * hands out across them (names, node ids) must be taken atomically.
 */
struct reqgen {
	void *(*open)(struct reqgen *g, char *err, size_t errlen);
	/* The next request; it stays valid until the next call or close. */
	int (*next)(void *st, const uint8_t **req, size_t *len, char *err,
	            size_t errlen);
	void (*close)(void *st);
};

/* Where and what to call; shared read-only by the client threads. */
struct target {
	/* product requests */
	const char *method;    /* gRPC path, also the nng method */
	const char *http_path; /* REST path */
	const uint8_t *req;    /* serialized request message */
	size_t req_len;
	const char *accept; /* HTTP Accept header */
	/* endpoints */
	char host[64];              /* "127.0.0.1" */
	int port;                   /* raw TCP / HTTP / gRPC */
	char url[128];              /* nng */
	struct keel_client *shared; /* nng: one socket, a context per call */
	int nng_sockets;            /* nng: one socket per client instead */
	size_t msg_size;            /* echo probes */
	nng_socket echo_sock;       /* nng-echo: the shared REQ socket (unless
	                               nng_sockets) */
	const struct floor *floor;  /* sqlite-floor: what to run (floor.h) */
	struct reqgen *gen;         /* nng, grpc: per-op requests, or NULL */
	const char *path;           /* sqlite-commit: the scratch database */
};

struct driver {
	const char *name;
	void *(*open)(const struct target *t, char *err, size_t errlen);
	int (*op)(void *st, const struct target *t, char *err, size_t errlen);
	void (*close)(void *st);
};

extern const struct driver driver_tcp_echo; /* raw-pingpong */
extern const struct driver driver_nng_echo; /* nng-echo */
extern const struct driver driver_http;     /* http-static and http */
extern const struct driver driver_grpc;     /* grpc */
extern const struct driver driver_nng;      /* nng (libkeelclient) */
extern const struct driver driver_floor;    /* sqlite-floor (floor.c) */
/* sqlite-commit (executions.c) */
extern const struct driver driver_sqlite_commit;

/* grpc_init()/grpc_shutdown_blocking() around everything grpc. */
void driver_grpc_global_init(void);
void driver_grpc_global_shutdown(void);

#endif /* FABENCH_DRIVERS_H */
