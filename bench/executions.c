/*
 * executions.c -- the executions cells (issue 5's targets; bench/README.md,
 * "Executions cells").
 *
 * `fabench executions` measures CreateExecution at 1 and N clients and
 * node events from N producers, over nng and gRPC, each cell round by
 * round next to the limit probe sqlite-commit: one INSERT + COMMIT per
 * transaction from one thread, on a scratch SQLite database in keeld's
 * data directory (so on the same filesystem), opened with the settings
 * keeld's sqlite plugin uses.  Every figure is a ratio to that probe's
 * commits/s (and, for the events' tail, to its p50).
 *
 * Requests differ per op (a fresh execution name, a node's next event):
 * the nng and gRPC drivers take them from a struct reqgen (drivers.h).
 * Each client decodes its request template once (pbjson, as the tests
 * write requests) and per op patches the few fields that change and packs
 * it again, so the load generator's share of the two cores stays small.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <protobuf-c/protobuf-c.h>

#include <keel/keel_client.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "dbprobe.h"
#include "drivers.h"
#include "fabench.h"
#include "flyteidl/admin/event.pb-c.h"
#include "flyteidl/admin/execution.pb-c.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "pbjson.h"
#include "probes.h"

#define EX_ADMIN   "/flyteidl.service.AdminService/"
#define EX_PROJECT "bench-exec"
#define EX_PD      "\"project\":\"" EX_PROJECT "\",\"domain\":\"development\""
#define EX_LP_ID                                                               \
	"{\"resourceType\":\"LAUNCH_PLAN\"," EX_PD ",\"name\":\"bench.lp\","   \
	"\"version\":\"v1\"}"
#define EX_PROBE_DB "fabench-sqlite-commit.db"
#define EX_BLOB     1024 /* the probe row's closure */
/* How long keeld may stay busy after a product window (the outbox
 * launching what the window created) before the next leg starts anyway. */
#define EX_SETTLE_MAX_S 10.0

/* This run's names: executions and probe rows start with it, so a rerun
 * against the same keeld never collides with an earlier one. */
static char ex_token[8];

static void ex_make_token(void)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t v =
	    now_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);

	for (int i = 0; i < 6; i++) {
		v ^= v >> 33;
		v *= 0xff51afd7ed558ccdull;
		ex_token[i] = digits[v % 36];
	}
	ex_token[6] = '\0';
}

/* ---- sqlite-commit: the limit probe ------------------------------------ */

/* The pragmas keeld's sqlite plugin runs on every connection, with its
 * defaults (plugins/storage/sqlite/db_sqlite.c): 8 MiB page cache, no
 * mmap, foreign keys on; synchronous as keeld's [db] setting. */
static char ex_pragmas[256];

/* The scratch database and its WAL files. */
static void commit_remove(const char *path)
{
	static const char *const sides[] = {"", "-wal", "-shm"};
	size_t n = strlen(path);
	char *p = malloc(n + 5);

	if (p == NULL)
		return;
	for (size_t i = 0; i < 3; i++) {
		memcpy(p, path, n);
		memcpy(p + n, sides[i], strlen(sides[i]) + 1);
		unlink(p);
	}
	free(p);
}

#ifdef FABENCH_SQLITE
#include <sqlite3.h>

#define EX_BUSY_MS 5000 /* the plugin's busy_timeout */

struct commit_st {
	sqlite3 *h;
	sqlite3_stmt *begin, *ins, *commit;
	int in_tx;
	uint8_t blob[EX_BLOB];
};

static atomic_ullong commit_seq;

static void commit_close(void *arg)
{
	struct commit_st *s = arg;

	if (s == NULL)
		return;
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->commit);
	sqlite3_close_v2(s->h);
	free(s);
}

static int commit_connect(const char *path, sqlite3 **h)
{
	int rc;

	rc = sqlite3_open_v2(path, h,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_busy_timeout(*h, EX_BUSY_MS);
	return sqlite3_exec(*h, ex_pragmas, NULL, NULL, NULL);
}

static void *commit_open(const struct target *t, char *err, size_t errlen)
{
	struct commit_st *s = calloc(1, sizeof(*s));
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int rc;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Incompressible bytes, like a packed closure. */
	for (size_t i = 0; i < sizeof(s->blob); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		s->blob[i] = (uint8_t)x;
	}
	/* keeld's driver starts a write transaction with BEGIN IMMEDIATE. */
	rc = commit_connect(t->path, &s->h);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->h, "BEGIN IMMEDIATE", -1, &s->begin,
		                        NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(
		    s->h,
		    "INSERT INTO executions (project, domain, name, phase, "
		    "created_at, closure) VALUES (?, ?, ?, ?, ?, ?)",
		    -1, &s->ins, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->h, "COMMIT", -1, &s->commit, NULL);
	if (rc == SQLITE_OK)
		return s;
	snprintf(err, errlen, "sqlite-commit %s: %s", t->path,
	         s->h ? sqlite3_errmsg(s->h) : sqlite3_errstr(rc));
	commit_close(s);
	return NULL;
}

static int commit_step(struct commit_st *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* One execution-shaped row in its own transaction. */
static int commit_op(void *arg, const struct target *t, char *err,
                     size_t errlen)
{
	struct commit_st *s = arg;
	struct timespec ts;
	char name[48];
	int n;

	(void)t;
	n = snprintf(name, sizeof(name), "p%s-%llu", ex_token,
	             (unsigned long long)atomic_fetch_add(&commit_seq, 1));
	clock_gettime(CLOCK_REALTIME, &ts);
	if (commit_step(s, s->begin) != 0)
		goto fail;
	s->in_tx = 1;
	sqlite3_bind_text(s->ins, 1, EX_PROJECT, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->ins, 2, "development", -1, SQLITE_STATIC);
	sqlite3_bind_text(s->ins, 3, name, n, SQLITE_STATIC);
	sqlite3_bind_text(s->ins, 4, "UNDEFINED", -1, SQLITE_STATIC);
	sqlite3_bind_int64(
	    s->ins, 5, (sqlite3_int64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	sqlite3_bind_blob(s->ins, 6, s->blob, sizeof(s->blob), SQLITE_STATIC);
	if (commit_step(s, s->ins) != 0 || commit_step(s, s->commit) != 0)
		goto fail;
	s->in_tx = 0;
	return 0;
fail:
	snprintf(err, errlen, "sqlite-commit: %s", sqlite3_errmsg(s->h));
	if (s->in_tx)
		sqlite3_exec(s->h, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
	return -1;
}

/* A new scratch database with the probe's table: an execution row
 * without keeld's other indexes (Part 2a of performance-limits.md). */
static int commit_create(const char *path, char *err, size_t errlen)
{
	sqlite3 *h = NULL;
	int rc;

	commit_remove(path);
	rc = commit_connect(path, &h);
	if (rc == SQLITE_OK)
		rc =
		    sqlite3_exec(h,
		                 "CREATE TABLE executions ("
		                 "id INTEGER PRIMARY KEY, "
		                 "project TEXT NOT NULL, domain TEXT NOT NULL, "
		                 "name TEXT NOT NULL, phase TEXT NOT NULL, "
		                 "created_at INTEGER NOT NULL, closure BLOB, "
		                 "UNIQUE (project, domain, name))",
		                 NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "sqlite-commit %.100s: %s", path,
		         h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	sqlite3_close_v2(h);
	return rc == SQLITE_OK ? 0 : -1;
}

#else /* !FABENCH_SQLITE */

static void *commit_open(const struct target *t, char *err, size_t errlen)
{
	(void)t;
	snprintf(err, errlen, "fabench was built without SQLite");
	return NULL;
}

static int commit_op(void *arg, const struct target *t, char *err,
                     size_t errlen)
{
	(void)arg, (void)t;
	snprintf(err, errlen, "fabench was built without SQLite");
	return -1;
}

static void commit_close(void *arg)
{
	(void)arg;
}

static int commit_create(const char *path, char *err, size_t errlen)
{
	(void)path;
	snprintf(err, errlen, "fabench was built without SQLite");
	return -1;
}

#endif /* FABENCH_SQLITE */

const struct driver driver_sqlite_commit = {"sqlite-commit", commit_open,
                                            commit_op, commit_close};

/* ---- the product's requests ---------------------------------------------- */

/* CreateExecution of the launch plan with its integer input set. */
static const char ex_create_json[] =
    "{" EX_PD ",\"name\":\"x\",\"spec\":{\"launchPlan\":" EX_LP_ID "},"
    "\"inputs\":{\"literals\":{\"x\":{\"scalar\":{\"primitive\":{"
    "\"integer\":\"0\"}}}}}}";

/* A node event as propeller sends it for a task node: its input on every
 * event, its output once it succeeded. */
static const char ex_event_json[] =
    "{\"event\":{\"id\":{\"nodeId\":\"n\",\"executionId\":{" EX_PD
    ",\"name\":\"e\"}},\"producerId\":\"propeller\",\"phase\":\"RUNNING\","
    "\"occurredAt\":\"2026-01-01T00:00:00Z\",\"specNodeId\":\"n0\","
    "\"nodeName\":\"n0\",\"inputUri\":\"s3://bench-exec/metadata/inputs.pb\","
    "\"outputUri\":\"s3://bench-exec/metadata/n0/outputs.pb\","
    "\"eventVersion\":1}}";

enum ex_mode { EX_CREATE, EX_EVENTS, EX_GET };

static const char *const ex_workloads[] = {"CreateExecution",
                                           "CreateNodeEvent", "GetExecution"};

struct ex_gen {
	struct reqgen g;     /* first: what the drivers see */
	enum ex_mode mode;
	atomic_ullong *seq;  /* names and node ids, shared by the run */
	atomic_uint streams; /* opened so far: picks an execution */
	char (*execs)[48];   /* events: an execution per producer; get:
	                        the executions read */
	unsigned nexecs;
	uint8_t **gets; /* get: a packed request per execution */
	size_t *get_lens;
};

struct ex_stream {
	struct ex_gen *g;
	ProtobufCMessage *m; /* the template, patched per op */
	char *own_a, *own_b; /* m's strings swapped out, put back to free */
	char name[48], node[32];
	int succeeded; /* events: the next one ends node[] */
	uint64_t rng;  /* get: picks the execution */
	uint8_t *buf;
	size_t cap;
};

static void ex_stream_close(void *arg)
{
	struct ex_stream *s = arg;

	if (s == NULL)
		return;
	if (s->m != NULL) {
		if (s->g->mode == EX_EVENTS) {
			Flyteidl__Admin__NodeExecutionEventRequest *r =
			    (void *)s->m;
			r->event->id->node_id = s->own_a;
			r->event->id->execution_id->name = s->own_b;
			/* The oneof's string is freed only under its case. */
			r->event->output_result_case =
			    FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI;
		} else {
			((Flyteidl__Admin__ExecutionCreateRequest *)s->m)
			    ->name = s->own_a;
		}
		protobuf_c_message_free_unpacked(s->m, NULL);
	}
	free(s->buf);
	free(s);
}

static void *ex_stream_open(struct reqgen *rg, char *err, size_t errlen)
{
	struct ex_gen *g = (struct ex_gen *)rg;
	struct ex_stream *s = calloc(1, sizeof(*s));
	int events = g->mode == EX_EVENTS;
	const char *json = events ? ex_event_json : ex_create_json;
	unsigned k;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->g = g;
	if (g->mode == EX_GET) {
		/* The requests are packed once; a client only picks. */
		s->rng = (now_ns() ^ (uint64_t)(uintptr_t)s) | 1;
		return s;
	}
	if (pbjson_decode(
	        events
	            ? &flyteidl__admin__node_execution_event_request__descriptor
	            : &flyteidl__admin__execution_create_request__descriptor,
	        json, strlen(json), NULL, NULL, &s->m, err, errlen) != 0)
		goto fail;
	if (events) {
		Flyteidl__Admin__NodeExecutionEventRequest *r = (void *)s->m;
		/* Producer k reports on execution k (of this round's). */
		k = atomic_fetch_add(&g->streams, 1) % g->nexecs;
		s->own_a = r->event->id->node_id;
		s->own_b = r->event->id->execution_id->name;
		r->event->id->node_id = s->node;
		r->event->id->execution_id->name = g->execs[k];
	} else {
		Flyteidl__Admin__ExecutionCreateRequest *r = (void *)s->m;
		s->own_a = r->name;
		r->name = s->name;
	}
	return s;
fail:
	ex_stream_close(s);
	return NULL;
}

static int ex_stream_next(void *arg, const uint8_t **req, size_t *len,
                          char *err, size_t errlen)
{
	struct ex_stream *s = arg;
	size_t n;

	if (s->g->mode == EX_GET) {
		/* A random one of the set-up's executions (xorshift). */
		uint64_t x = s->rng, k;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		s->rng = x;
		k = x % s->g->nexecs;
		*req = s->g->gets[k];
		*len = s->g->get_lens[k];
		return 0;
	}
	if (s->g->mode == EX_EVENTS) {
		Flyteidl__Admin__NodeExecutionEventRequest *r = (void *)s->m;
		Flyteidl__Event__NodeExecutionEvent *ev = r->event;
		struct timespec ts;

		/* RUNNING for a new node, then SUCCEEDED for it. */
		if (!s->succeeded)
			snprintf(
			    s->node, sizeof(s->node), "n%llu",
			    (unsigned long long)atomic_fetch_add(s->g->seq, 1));
		ev->phase =
		    s->succeeded
		        ? FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED
		        : FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING;
		ev->output_result_case =
		    s->succeeded
		        ? FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI
		        : FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT__NOT_SET;
		clock_gettime(CLOCK_REALTIME, &ts);
		ev->occurred_at->seconds = ts.tv_sec;
		ev->occurred_at->nanos = (int32_t)ts.tv_nsec;
		s->succeeded = !s->succeeded;
	} else {
		Flyteidl__Admin__ExecutionCreateRequest *r = (void *)s->m;
		unsigned long long k = atomic_fetch_add(s->g->seq, 1);

		snprintf(s->name, sizeof(s->name), "x%s-%llu", ex_token, k);
		r->inputs->literals[0]->value->scalar->primitive->integer =
		    (int64_t)k;
	}
	n = protobuf_c_message_get_packed_size(s->m);
	if (n + 1 > s->cap) {
		uint8_t *b = realloc(s->buf, n + 1);
		if (b == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		s->buf = b;
		s->cap = n + 1;
	}
	*len = protobuf_c_message_pack(s->m, s->buf);
	*req = s->buf;
	return 0;
}

/* ---- set-up: the launch plan, and an execution per producer -------------- */

/* Call method with the request written as JSON (as tests/e2e/
 * crash_client.c does); the status code, its message in msg. */
static int ex_call_json(struct keel_client *kc, const char *method,
                        const ProtobufCMessageDescriptor *d, const char *json,
                        char *msg, size_t msglen)
{
	struct keel_client_call_opts co = {.timeout_ms = 10000};
	struct keel_client_reply r = {0};
	ProtobufCMessage *m = NULL;
	uint8_t *buf;
	size_t n;
	int code;

	if (pbjson_decode(d, json, strlen(json), NULL, NULL, &m, msg, msglen) !=
	    0)
		return 3; /* INVALID_ARGUMENT: the fixture is wrong */
	n = protobuf_c_message_get_packed_size(m);
	buf = malloc(n + 1);
	if (buf == NULL) {
		protobuf_c_message_free_unpacked(m, NULL);
		snprintf(msg, msglen, "out of memory");
		return 8;
	}
	protobuf_c_message_pack(m, buf);
	protobuf_c_message_free_unpacked(m, NULL);
	code = keel_client_call(kc, method, buf, n, &co, &r);
	snprintf(msg, msglen, "%s: %s", keel_client_code_name(code), r.message);
	keel_client_reply_free(&r);
	free(buf);
	return code;
}

/* clang-format off */
static const char ex_project_json[] =
    "{\"project\":{\"id\":\"" EX_PROJECT "\",\"name\":\"" EX_PROJECT "\","
    "\"description\":\"fabench executions\"}}";

static const char ex_task_json[] =
    "{\"id\":{\"resourceType\":\"TASK\"," EX_PD ","
    "\"name\":\"bench.t\",\"version\":\"v1\"},"
    "\"spec\":{\"template\":{"
    "\"type\":\"python-task\","
    "\"metadata\":{\"runtime\":{\"type\":\"FLYTE_SDK\","
    "\"version\":\"1.10.3\",\"flavor\":\"python\"},"
    "\"retries\":{\"retries\":3}},"
    "\"interface\":{"
    "\"inputs\":{\"variables\":{\"x\":{"
    "\"type\":{\"simple\":\"INTEGER\"},\"description\":\"x\"}}},"
    "\"outputs\":{\"variables\":{\"o0\":{"
    "\"type\":{\"simple\":\"INTEGER\"},\"description\":\"o0\"}}}},"
    "\"container\":{"
    "\"image\":\"ghcr.io/flyteorg/flytekit:py3.11-1.10.3\","
    "\"args\":[\"pyflyte-execute\",\"--inputs\",\"{{.input}}\","
    "\"--output-prefix\",\"{{.outputPrefix}}\",\"--resolver\","
    "\"flytekit.core.python_auto_container.default_task_resolver\","
    "\"--\",\"task-module\",\"bench\",\"task-name\",\"t\"],"
    "\"resources\":{\"requests\":["
    "{\"name\":\"CPU\",\"value\":\"500m\"},"
    "{\"name\":\"MEMORY\",\"value\":\"512Mi\"}]}}}}}";

static const char ex_workflow_json[] =
    "{\"id\":{\"resourceType\":\"WORKFLOW\"," EX_PD ","
    "\"name\":\"bench.wf\",\"version\":\"v1\"},"
    "\"spec\":{\"template\":{"
    "\"interface\":{"
    "\"inputs\":{\"variables\":{\"x\":{"
    "\"type\":{\"simple\":\"INTEGER\"},\"description\":\"x\"}}},"
    "\"outputs\":{\"variables\":{\"o0\":{"
    "\"type\":{\"simple\":\"INTEGER\"},\"description\":\"o0\"}}}},"
    "\"nodes\":[{\"id\":\"n0\","
    "\"inputs\":[{\"var\":\"x\",\"binding\":{\"promise\":{"
    "\"nodeId\":\"start-node\",\"var\":\"x\"}}}],"
    "\"taskNode\":{\"referenceId\":{\"resourceType\":\"TASK\"," EX_PD ","
    "\"name\":\"bench.t\",\"version\":\"v1\"}}}],"
    "\"outputs\":[{\"var\":\"o0\",\"binding\":{\"promise\":{"
    "\"nodeId\":\"n0\",\"var\":\"o0\"}}}]}}}";

static const char ex_lp_json[] =
    "{\"id\":" EX_LP_ID ","
    "\"spec\":{\"workflowId\":{\"resourceType\":\"WORKFLOW\"," EX_PD ","
    "\"name\":\"bench.wf\",\"version\":\"v1\"},"
    "\"defaultInputs\":{\"parameters\":{\"x\":{"
    "\"var\":{\"type\":{\"simple\":\"INTEGER\"},\"description\":\"x\"},"
    "\"default\":{\"scalar\":{\"primitive\":{\"integer\":\"1\"}}}}}}}}";
/* clang-format on */

/*
 * Project bench-exec with a Python task taking one integer, a one-node
 * workflow calling it, and a launch plan of that workflow with a default
 * for the input.  ALREADY_EXISTS is fine: a keeld that has them from an
 * earlier run.
 */
static int ex_register(struct keel_client *kc, char *err, size_t errlen)
{
	static const struct {
		const char *method;
		const ProtobufCMessageDescriptor *desc;
		const char *json;
	} steps[] = {
	    {EX_ADMIN "RegisterProject",
	     &flyteidl__admin__project_register_request__descriptor,
	     ex_project_json},
	    {EX_ADMIN "CreateTask",
	     &flyteidl__admin__task_create_request__descriptor, ex_task_json},
	    {EX_ADMIN "CreateWorkflow",
	     &flyteidl__admin__workflow_create_request__descriptor,
	     ex_workflow_json},
	    {EX_ADMIN "CreateLaunchPlan",
	     &flyteidl__admin__launch_plan_create_request__descriptor,
	     ex_lp_json},
	};
	char msg[RES_ERRLEN];
	int rc;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		rc = ex_call_json(kc, steps[i].method, steps[i].desc,
		                  steps[i].json, msg, sizeof(msg));
		if (rc != 0 && rc != 6 /* ALREADY_EXISTS */) {
			snprintf(err, errlen, "set-up: %s: %.150s",
			         steps[i].method + strlen(EX_ADMIN), msg);
			return -1;
		}
	}
	return 0;
}

/* The executions the producers report on, one each, or GetExecution
 * reads, made before any window; their names start with prefix. */
static int ex_make_execs(struct keel_client *kc, struct ex_gen *g, unsigned n,
                         char prefix, char *err, size_t errlen)
{
	char json[1024], msg[RES_ERRLEN];
	int rc;

	g->execs = calloc(n, sizeof(*g->execs));
	if (g->execs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->nexecs = n;
	for (unsigned i = 0; i < n; i++) {
		snprintf(g->execs[i], sizeof(g->execs[i]), "%c%s-%u", prefix,
		         ex_token, i);
		snprintf(json, sizeof(json),
		         "{" EX_PD
		         ",\"name\":\"%s\",\"spec\":{\"launchPlan\":" EX_LP_ID
		         "}}",
		         g->execs[i]);
		rc = ex_call_json(
		    kc, EX_ADMIN "CreateExecution",
		    &flyteidl__admin__execution_create_request__descriptor,
		    json, msg, sizeof(msg));
		if (rc != 0) {
			snprintf(err, errlen,
			         "set-up: CreateExecution %s: %.150s",
			         g->execs[i], msg);
			return -1;
		}
	}
	return 0;
}

/* GetExecution's requests, one per execution of g, packed once. */
static int ex_pack_gets(struct ex_gen *g, char *err, size_t errlen)
{
	Flyteidl__Admin__WorkflowExecutionGetRequest r =
	    FLYTEIDL__ADMIN__WORKFLOW_EXECUTION_GET_REQUEST__INIT;
	Flyteidl__Core__WorkflowExecutionIdentifier id =
	    FLYTEIDL__CORE__WORKFLOW_EXECUTION_IDENTIFIER__INIT;

	g->gets = calloc(g->nexecs, sizeof(*g->gets));
	g->get_lens = calloc(g->nexecs, sizeof(*g->get_lens));
	if (g->gets == NULL || g->get_lens == NULL)
		goto oom;
	id.project = (char *)EX_PROJECT;
	id.domain = (char *)"development";
	r.id = &id;
	for (unsigned i = 0; i < g->nexecs; i++) {
		id.name = g->execs[i];
		g->get_lens[i] =
		    flyteidl__admin__workflow_execution_get_request__get_packed_size(
		        &r);
		if ((g->gets[i] = malloc(g->get_lens[i] + 1)) == NULL)
			goto oom;
		flyteidl__admin__workflow_execution_get_request__pack(
		    &r, g->gets[i]);
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static void ex_gen_free(struct ex_gen *g)
{
	for (unsigned i = 0; g->gets != NULL && i < g->nexecs; i++)
		free(g->gets[i]);
	free(g->gets);
	free(g->get_lens);
	free(g->execs);
}

/* ---- the cells ------------------------------------------------------------
 */

/* One side of a cell over its rounds. */
struct ex_leg {
	double ops[MAX_ROUNDS], p50[MAX_ROUNDS], p99[MAX_ROUNDS];
	struct hist all;
	uint64_t nops;
	double secs, cpu, cpu_ops;
	int cpu_ok;
	double db, db_ops; /* the database server's CPU (opts.db_pid) */
	int db_ok;
};

static struct ex_leg *ex_leg_new(const struct opts *o, int keeld)
{
	struct ex_leg *l = calloc(1, sizeof(*l));

	if (l != NULL) {
		l->cpu_ok = keeld && o->server_pid > 0;
		l->db_ok = o->db_pid > 0;
	}
	return l;
}

/* Add a round's totals (every leg, and a probe's pool over the run). */
static void ex_leg_pool(struct ex_leg *l, const struct round_res *res)
{
	hist_merge(&l->all, &res->h);
	l->nops += res->ops;
	l->secs += res->secs;
	if (res->db_cpu_us >= 0) {
		l->db += res->db_cpu_us;
		l->db_ops += (double)res->ops;
	} else {
		l->db_ok = 0;
	}
}

static void ex_leg_add(struct ex_leg *l, unsigned r,
                       const struct round_res *res)
{
	l->ops[r] = res->ops_per_s;
	l->p50[r] = res->p50_us;
	l->p99[r] = (double)hist_quantile(&res->h, 0.99) / 1000.0;
	ex_leg_pool(l, res);
	if (res->cpu_us >= 0) {
		l->cpu += res->cpu_us;
		l->cpu_ops += (double)res->ops;
	} else {
		l->cpu_ok = 0;
	}
}

static double ex_db_per_op(const struct ex_leg *l)
{
	return l->db_ok && l->db_ops > 0 ? l->db / l->db_ops : NAN;
}

/*
 * A limit probe: what runs in the probe's half of a round.  sqlite-commit
 * (one thread), or on a database server the insert probe at the cell's
 * client count, the select probe, and for GetExecution the door's
 * transport probe.  The database probes pool their rounds over the run
 * into a cell of their own at the end.
 */
struct ex_probe {
	const char *name; /* the limit: sqlite-commit, pg-insert, ... */
	const char *what; /* its pooled cell's workload: commit, insert, ... */
	const struct driver *d;
	const struct target *t;
	unsigned clients;
	struct dbprobe *keys; /* select: read the key range first */
	int pooled;
	struct ex_leg *all; /* every round of the run */
	unsigned rounds;
};

#define EX_MAX_PROBES 16
/* GetExecution reads among this many executions made in the set-up. */
#define EX_GETS 256

struct ex_env {
	const struct opts *o;
	struct keel_client *kc; /* nng: one socket, a context per client */
	unsigned maxc;
	struct target commit; /* sqlite-commit's database */
	struct dbprobe *db;   /* a database server's probes, or NULL */
	struct ex_probe probes[EX_MAX_PROBES];
	unsigned nprobes;
	/* the transport probes (GetExecution's round trip) */
	struct probe_tcp *tcp_echo;
	struct probe_nng *nng_echo;
	struct target t_tcp, t_nng;
	int nng_sock_open;
	double settle_s; /* keeld (and the server) busy after the legs */
};

/* The probe name at clients, made on first use (d NULL: listed only, for
 * a skipped run).  NULL when the table is full or out of memory. */
static struct ex_probe *ex_probe_get(struct ex_env *e, const char *name,
                                     const char *what, const struct driver *d,
                                     const struct target *t, unsigned clients,
                                     int pooled)
{
	struct ex_probe *p;

	for (unsigned i = 0; i < e->nprobes; i++)
		if (strcmp(e->probes[i].name, name) == 0 &&
		    e->probes[i].clients == clients)
			return &e->probes[i];
	if (e->nprobes == EX_MAX_PROBES)
		return NULL;
	p = &e->probes[e->nprobes];
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->what = what;
	p->d = d;
	p->t = t;
	p->clients = clients;
	p->pooled = pooled;
	if ((p->all = ex_leg_new(e->o, 0)) == NULL)
		return NULL;
	e->nprobes++;
	return p;
}

static const char *ex_db_probe_name(const struct opts *o, int select)
{
	int pg = strcmp(o->probe_db, "postgres") == 0;

	if (select)
		return pg ? "pg-select" : "mysql-select";
	return pg ? "pg-insert" : "mysql-insert";
}

/* The door's transport probe, started once: nng-echo for nng (nng's own
 * REQ/REP hops, the same client shape as the cell), raw-pingpong for gRPC
 * (no gRPC-only server exists in fabench; the suite pairs it so too). */
static struct ex_probe *ex_rtt_probe(struct ex_env *e, const char *door,
                                     char *err, size_t errlen)
{
	const struct opts *o = e->o;
	int rv;

	if (strcmp(door, "nng") == 0) {
		struct target *t = &e->t_nng;
		if (e->nng_echo == NULL) {
			if (probe_nng_echo_start(e->maxc, &e->nng_echo, t->url,
			                         sizeof(t->url), err,
			                         errlen) != 0)
				return NULL;
			t->msg_size = o->msg_size;
			t->nng_sockets = o->nng_sockets;
			if (!t->nng_sockets) {
				if ((rv = nng_req0_open(&t->echo_sock)) != 0 ||
				    (e->nng_sock_open = 1,
				     rv = nng_dial(t->echo_sock, t->url, NULL,
				                   0)) != 0) {
					snprintf(err, errlen, "nng echo %s: %s",
					         t->url, nng_strerror(rv));
					return NULL;
				}
			}
		}
		return ex_probe_get(e, "nng-echo", "echo", &driver_nng_echo, t,
		                    e->maxc, 0);
	}
	if (e->tcp_echo == NULL) {
		if (probe_tcp_echo_start(o->msg_size, &e->tcp_echo,
		                         &e->t_tcp.port, err, errlen) != 0)
			return NULL;
		snprintf(e->t_tcp.host, sizeof(e->t_tcp.host), "127.0.0.1");
		e->t_tcp.msg_size = o->msg_size;
	}
	return ex_probe_get(e, "raw-pingpong", "echo", &driver_tcp_echo,
	                    &e->t_tcp, e->maxc, 0);
}

/*
 * Wait until keeld is idle (at most one 10 ms clock tick of CPU in
 * 100 ms), for up to EX_SETTLE_MAX_S: what a window set off (the outbox
 * launching the executions it created) must not fall into the probe's
 * next round, nor into the next window.  With a database server, until
 * it is idle too (its checkpoints and vacuum after a burst of writes).
 */
static double ex_settle(const struct opts *o)
{
	double t0 = now_s(), c0, c1, d0 = -1, d1 = -1;
	long pid = o->server_pid;

	if (pid <= 0 || (c0 = proc_cpu_us(pid)) < 0)
		return 0;
	if (o->db_pid > 0)
		d0 = proc_tree_cpu_us(o->db_pid);
	while (now_s() - t0 < EX_SETTLE_MAX_S) {
		sleep_s(0.1);
		if ((c1 = proc_cpu_us(pid)) < 0)
			break;
		if (d0 >= 0)
			d1 = proc_tree_cpu_us(o->db_pid);
		if (c1 - c0 <= 10000 && (d0 < 0 || d1 < 0 || d1 - d0 <= 10000))
			break;
		c0 = c1;
		d0 = d1;
	}
	return now_s() - t0;
}

/* The product's own figures over n rounds. */
static void ex_fill_product(struct cell *c, const struct ex_leg *p,
                            unsigned n)
{
	c->rounds = n;
	c->ops = p->nops;
	c->secs = p->secs;
	c->ops_per_s = median(p->ops, n);
	c->p50_us = median(p->p50, n);
	c->p90_us = (double)hist_quantile(&p->all, 0.90) / 1000.0;
	c->p99_us = (double)hist_quantile(&p->all, 0.99) / 1000.0;
	c->p999_us = (double)hist_quantile(&p->all, 0.999) / 1000.0;
	if (p->cpu_ok && p->cpu_ops > 0)
		c->cpu_us_per_op = p->cpu / p->cpu_ops;
	c->db_cpu_us_per_op = ex_db_per_op(p);
}

static void ex_range(struct cell *c, const double *x, unsigned n)
{
	int any = 0;

	for (unsigned r = 0; r < n; r++) {
		if (!(x[r] > 0) || isinf(x[r]))
			continue;
		if (!any || x[r] < c->ratio_min)
			c->ratio_min = x[r];
		if (!any || x[r] > c->ratio_max)
			c->ratio_max = x[r];
		any = 1;
	}
	/* A round where either side did nothing has no ratio. */
	if (!any && c->error[0] == '\0')
		snprintf(c->error, sizeof(c->error),
		         "no round measured both sides");
}

/* c's figures: product p against the probe l over n rounds.  tail: the
 * ratio is p99 over the probe's p50, else ops/s over ops/s. */
static void ex_fill(struct cell *c, const struct ex_leg *p,
                    const struct ex_leg *l, unsigned n, int tail)
{
	double x[MAX_ROUNDS];

	c->rounds = n;
	if (n == 0)
		return;
	ex_fill_product(c, p, n);
	c->limit_p50_us = median(l->p50, n);
	c->limit_ops_per_s = median(l->ops, n);
	c->limit_db_cpu_us_per_op = ex_db_per_op(l);
	if (tail) {
		c->limit_value = c->limit_p50_us;
		c->ratio =
		    c->limit_value > 0 ? c->p99_us / c->limit_value : NAN;
		c->p99_ratio = c->ratio;
	} else {
		c->limit_value = c->limit_ops_per_s;
		c->ratio =
		    c->limit_value > 0 ? c->ops_per_s / c->limit_value : NAN;
	}
	for (unsigned r = 0; r < n; r++) {
		double den = tail ? l->p50[r] : l->ops[r];
		double num = tail ? p->p99[r] : p->ops[r];
		x[r] = den > 0 && num > 0 ? num / den : NAN;
	}
	ex_range(c, x, n);
}

/*
 * GetExecution: the product's p99 over 2 x the select probe's p99 plus
 * one round trip of the door's transport probe (its p99 at the same
 * client count): issue 7's limit.  The p99s are of all rounds' samples
 * pooled, as the product's; the range takes each round's own.
 */
static void ex_fill_get(struct cell *c, const struct ex_leg *p,
                        const struct ex_leg *sel, const struct ex_leg *rtt,
                        unsigned n)
{
	double x[MAX_ROUNDS];

	c->rounds = n;
	if (n == 0)
		return;
	ex_fill_product(c, p, n);
	c->limit_p50_us = median(sel->p50, n);
	c->limit_ops_per_s = median(sel->ops, n);
	c->limit_db_cpu_us_per_op = ex_db_per_op(sel);
	c->select_p99_us = (double)hist_quantile(&sel->all, 0.99) / 1000.0;
	c->rtt_p50_us = median(rtt->p50, n);
	c->rtt_p99_us = (double)hist_quantile(&rtt->all, 0.99) / 1000.0;
	c->limit_value = 2 * c->select_p99_us + c->rtt_p99_us;
	c->ratio = c->limit_value > 0 ? c->p99_us / c->limit_value : NAN;
	for (unsigned r = 0; r < n; r++) {
		double den = 2 * sel->p99[r] + rtt->p99[r];
		x[r] = den > 0 && p->p99[r] > 0 ? p->p99[r] / den : NAN;
	}
	ex_range(c, x, n);
}

static void ex_pass(struct cell *c)
{
	if (c->goal == NULL || c->error[0] || c->rounds == 0 || isnan(c->ratio))
		return;
	c->pass = c->goal[0] == '<' ? c->ratio <= c->goal_value
	                            : c->ratio >= c->goal_value;
}

/* The limits and goals of a cell (issue 5 on SQLite, issue 7 on a
 * database server; performance-limits.md G1-G4). */
static void ex_goals(const struct opts *o, struct cell *c, struct cell *tc,
                     enum ex_mode mode, const char *door, unsigned clients)
{
	if (o->probe_db != NULL) {
		c->limit = ex_db_probe_name(o, mode == EX_GET);
		c->limit_metric = "ops_per_s";
		if (mode == EX_GET) {
			c->limit_metric = "p99_us";
			c->latency = 1;
			c->rtt_limit = strcmp(door, "nng") == 0
			                   ? "nng-echo"
			                   : "raw-pingpong";
			c->goal_on = "ratio";
			if (clients == 16)
				c->goal = "<=1", c->goal_value = 1;
		} else if (mode == EX_EVENTS) {
			c->goal_on = "ratio";
			if (clients == 16)
				c->goal = ">=0.35", c->goal_value = 0.35;
		} else if (clients == 16 || clients == 1) {
			/* 16: issue 7; 1: G1, where the commit is
			 * fsync-bound (the servers run durable here). */
			c->goal = ">=0.6", c->goal_value = 0.6;
		}
		return;
	}
	c->limit = "sqlite-commit";
	c->limit_metric = "ops_per_s";
	if (mode == EX_EVENTS) {
		c->goal = ">=0.35", c->goal_value = 0.35, c->goal_on = "ratio";
		tc->limit = "sqlite-commit";
		tc->limit_metric = "p50_us";
		tc->latency = 1;
		tc->goal = "<=10", tc->goal_value = 10;
		tc->goal_on = "p99_ratio";
	} else if (clients == 1) {
		c->goal = ">=0.4", c->goal_value = 0.4;
	} else if (clients == 16) {
		c->goal = ">=1", c->goal_value = 1;
	}
	if (mode == EX_EVENTS && clients != 16)
		c->goal = tc->goal = NULL; /* the targets are for 16 */
}

/* One probe leg of round r: into the cell's leg and the probe's pool. */
static int ex_probe_round(struct ex_env *e, struct ex_probe *p,
                          struct ex_leg *l, unsigned r, struct round_res *res,
                          char *err, size_t errlen)
{
	uint64_t rows;

	if (p->keys != NULL && dbprobe_keys(p->keys, &rows, err, errlen) != 0)
		return -1;
	if (run_round(p->d, p->t, p->clients, e->o, 0, res) != 0) {
		snprintf(err, errlen, "%s: %.150s", p->name, res->err);
		return -1;
	}
	ex_leg_add(l, r, res);
	ex_leg_pool(p->all, res);
	p->rounds++;
	return 0;
}

/*
 * The cells of one workload over one door at `clients`: R rounds of the
 * probes and the product in alternating order (probe, product[, second
 * probe] on even rounds, the reverse on odd ones), so drift falls on all
 * alike; keeld (and the database server) let settle after each product
 * window (after every leg on a server).  CreateExecution gives one cell;
 * node events on SQLite two, on the same rounds: throughput
 * ("goal_on":"ratio") and the ack tail ("p99_ratio").  GetExecution (on
 * a server only) runs the select probe and the door's transport probe.
 */
static int ex_cells(struct ex_env *e, const char *door, struct ex_gen *gen,
                    unsigned clients, const char *skip)
{
	const struct opts *o = e->o;
	const char *workload = ex_workloads[gen->mode];
	int db = o->probe_db != NULL;
	struct cell *c = cell_new(workload, door, clients);
	struct cell *tc = !db && gen->mode == EX_EVENTS
	                      ? cell_new(workload, door, clients)
	                      : NULL;
	struct ex_probe *p1 = NULL, *p2 = NULL;
	const struct driver *d;
	struct ex_leg *prod = NULL, *l1 = NULL, *l2 = NULL;
	struct round_res *res = NULL;
	struct target t = {0};
	char err[ERRLEN];
	double settle = 0;
	unsigned n = 0;

	if (c == NULL || (!db && gen->mode == EX_EVENTS && tc == NULL))
		return -1;
	ex_goals(o, c, tc, gen->mode, door, clients);
	/* The probes this cell runs (listed also when skipped, so the
	 * pooled probe cells at the end are the same either way). */
	if (!db) {
		p1 = ex_probe_get(e, "sqlite-commit", "commit",
		                  &driver_sqlite_commit, &e->commit, 1, 1);
	} else if (gen->mode == EX_GET) {
		p1 = ex_probe_get(e, ex_db_probe_name(o, 1), "select",
		                  &driver_db_select,
		                  e->db ? dbprobe_target(e->db, 1) : NULL,
		                  clients, 1);
		if (p1 != NULL)
			p1->keys = e->db;
	} else {
		p1 = ex_probe_get(e, ex_db_probe_name(o, 0), "insert",
		                  &driver_db_insert,
		                  e->db ? dbprobe_target(e->db, 0) : NULL,
		                  clients, 1);
	}
	if (skip != NULL) {
		c->skipped = skip;
		if (tc != NULL)
			tc->skipped = skip;
		goto print;
	}
	if (p1 == NULL) {
		snprintf(c->error, sizeof(c->error), "too many probes");
		goto done;
	}
	if (db && gen->mode == EX_GET &&
	    (p2 = ex_rtt_probe(e, door, err, sizeof(err))) == NULL) {
		snprintf(c->error, sizeof(c->error), "%s", err);
		goto done;
	}
	prod = ex_leg_new(o, 1);
	l1 = ex_leg_new(o, 0);
	l2 = ex_leg_new(o, 0);
	res = malloc(sizeof(*res));
	if (prod == NULL || l1 == NULL || l2 == NULL || res == NULL) {
		snprintf(c->error, sizeof(c->error), "out of memory");
		goto done;
	}
	t.method = gen->mode == EX_EVENTS ? EX_ADMIN "CreateNodeEvent"
	           : gen->mode == EX_GET  ? EX_ADMIN "GetExecution"
	                                  : EX_ADMIN "CreateExecution";
	t.gen = &gen->g;
	if (strcmp(door, "nng") == 0) {
		/* As in the suite: one socket, a context per client
		 * (--nng-sockets: a socket each). */
		d = &driver_nng;
		snprintf(t.url, sizeof(t.url), "%s", o->nng_url);
		t.shared = e->kc;
		t.nng_sockets = o->nng_sockets;
	} else {
		d = &driver_grpc;
		if (split_hostport(o->grpc_addr, &t, err, sizeof(err)) != 0) {
			snprintf(c->error, sizeof(c->error), "%s", err);
			goto done;
		}
	}
	fprintf(stderr, "fabench: executions %s %s c=%u ...\n", door, workload,
	        clients);
	for (n = 0; n < o->rounds; n++) {
		int legs = p2 != NULL ? 3 : 2;
		for (int k = 0; k < legs; k++) {
			/* 0: the probe, 1: the product, 2: the second probe;
			 * reversed on odd rounds. */
			int leg = n % 2 == 0 ? k : legs - 1 - k;
			if (leg != 1) {
				struct ex_probe *p = leg == 0 ? p1 : p2;
				if (ex_probe_round(e, p, leg == 0 ? l1 : l2, n,
				                   res, err, sizeof(err)) != 0) {
					snprintf(c->error, sizeof(c->error),
					         "%s", err);
					goto done;
				}
				/* The server's own work after a burst of
				 * commits must not fall into the product. */
				if (db)
					settle += ex_settle(o);
				continue;
			}
			/* Each round's producers start at execution 0. */
			atomic_store(&gen->streams, 0);
			if (run_round(d, &t, clients, o, o->server_pid, res) !=
			    0) {
				snprintf(c->error, sizeof(c->error), "%s",
				         res->err);
				goto done;
			}
			ex_leg_add(prod, n, res);
			settle += ex_settle(o);
		}
	}
done:
	e->settle_s += settle;
	if (n > 0)
		fprintf(stderr,
		        "fabench: keeld%s stayed busy %.1f s in all after the "
		        "%u rounds\n",
		        db ? " or the server" : "", settle, n);
	if (n > 0 && gen->mode == EX_GET)
		ex_fill_get(c, prod, l1, l2, n);
	else if (n > 0)
		ex_fill(c, prod, l1, n, 0);
	if (tc != NULL) {
		memcpy(tc->error, c->error, sizeof(tc->error));
		if (n > 0)
			ex_fill(tc, prod, l1, n, 1);
		c->p99_ratio = tc->p99_ratio;
		ex_pass(tc);
	}
	ex_pass(c);
	free(prod);
	free(l1);
	free(l2);
	free(res);
print:
	cell_print_json(stdout, c);
	if (tc != NULL)
		cell_print_json(stdout, tc);
	return c->error[0] || (tc && tc->error[0]) ? -1 : 0;
}

/* A probe over every round of the run: its own line, for reading the
 * limit next to the cells (pooled, not medians: it has no pair). */
static int ex_probe_cell(struct ex_env *e, const struct ex_probe *p,
                         const char *skip)
{
	const struct ex_leg *l = p->all;
	struct cell *c = cell_new(p->what, p->name, p->clients);

	if (c == NULL)
		return -1;
	if (skip != NULL) {
		c->skipped = skip;
		goto print;
	}
	c->note = e->db != NULL ? dbprobe_settings(e->db) : ex_pragmas;
	c->rounds = p->rounds;
	c->ops = l->nops;
	c->secs = l->secs;
	if (l->nops == 0) {
		snprintf(c->error, sizeof(c->error), "no probe round ran");
	} else {
		c->ops_per_s = (double)l->nops / l->secs;
		c->p50_us = (double)hist_quantile(&l->all, 0.50) / 1000.0;
		c->p90_us = (double)hist_quantile(&l->all, 0.90) / 1000.0;
		c->p99_us = (double)hist_quantile(&l->all, 0.99) / 1000.0;
		c->p999_us = (double)hist_quantile(&l->all, 0.999) / 1000.0;
		c->db_cpu_us_per_op = ex_db_per_op(l);
	}
print:
	cell_print_json(stdout, c);
	return c->error[0] ? -1 : 0;
}

static void ex_print_table(FILE *f, double settle)
{
	struct cell_txt t;

	fprintf(f,
	        "\n%-13s %-15s %3s %9s %9s %9s %9s %9s %8s %8s %-17s %-9s "
	        "%-6s %s\n",
	        "door", "workload", "c", "ops/s", "p50_us", "p99_us",
	        "srv_us/op", "commit/s", "cmt_p50", "ratio", "[min..max]",
	        "goal_on", "goal", "pass");
	for (unsigned i = 0; i < ncells; i++) {
		const struct cell *c = &cells[i];
		char lops[32] = "-", lp50[32] = "-";
		if (c->skipped != NULL) {
			fprintf(f, "%-13s %-15s %3u  skipped: %s\n",
			        c->transport, c->workload, c->clients,
			        c->skipped);
			continue;
		}
		cell_format(c, &t);
		if (!isnan(c->limit_ops_per_s))
			snprintf(lops, sizeof(lops), "%.0f",
			         c->limit_ops_per_s);
		if (!isnan(c->limit_p50_us))
			snprintf(lp50, sizeof(lp50), "%.1f", c->limit_p50_us);
		fprintf(f,
		        "%-13s %-15s %3u %9s %9s %9s %9s %9s %8s %8s %-17s "
		        "%-9s %-6s %s\n",
		        c->transport, c->workload, c->clients, t.ops, t.p50,
		        t.p99, t.cpu, lops, lp50, t.ratio, t.range,
		        c->goal_on ? c->goal_on
		        : c->goal  ? "ratio"
		                   : "-",
		        t.goal, t.pass);
		if (c->error[0])
			fprintf(f, "%-13s   error: %s\n", "", c->error);
	}
	fprintf(f,
	        "\nratio: ops/s over sqlite-commit's commits/s (one "
	        "INSERT + COMMIT per transaction,\none thread, beside keeld's "
	        "database), higher is better; p99_ratio: the events'\np99 "
	        "over sqlite-commit's p50, lower is better.  keeld was busy "
	        "%.1f s in all\nafter the windows (waited for before the "
	        "next leg).\n",
	        settle);
}

/* The table of a run on a database server: the limit is the insert
 * probe's ops/s at the cell's client count, or for GetExecution
 * 2 x the select probe's p99 + the transport probe's p99 (us). */
static void ex_print_db_table(FILE *f, const struct opts *o, double settle)
{
	struct cell_txt t;
	char dbcpu[32], ldb[32];

	fprintf(f,
	        "\n%-13s %-15s %3s %9s %9s %9s %9s %8s %-13s %9s %8s %7s "
	        "%-17s %-6s %s\n",
	        "door", "workload", "c", "ops/s", "p50_us", "p99_us",
	        "srv_us/op", "db_us/op", "limit", "limit_val", "lim_db/op",
	        "ratio", "[min..max]", "goal", "pass");
	for (unsigned i = 0; i < ncells; i++) {
		const struct cell *c = &cells[i];
		if (c->skipped != NULL) {
			fprintf(f, "%-13s %-15s %3u  skipped: %s\n",
			        c->transport, c->workload, c->clients,
			        c->skipped);
			continue;
		}
		cell_format(c, &t);
		snprintf(dbcpu, sizeof(dbcpu), "-");
		snprintf(ldb, sizeof(ldb), "-");
		if (!isnan(c->db_cpu_us_per_op))
			snprintf(dbcpu, sizeof(dbcpu), "%.1f",
			         c->db_cpu_us_per_op);
		if (!isnan(c->limit_db_cpu_us_per_op))
			snprintf(ldb, sizeof(ldb), "%.1f",
			         c->limit_db_cpu_us_per_op);
		fprintf(f,
		        "%-13s %-15s %3u %9s %9s %9s %9s %8s %-13s %9s %8s %7s "
		        "%-17s %-6s %s\n",
		        c->transport, c->workload, c->clients, t.ops, t.p50,
		        t.p99, t.cpu, dbcpu, c->limit ? c->limit : "-", t.limit,
		        ldb, t.ratio, t.range, t.goal, t.pass);
		if (c->rtt_limit != NULL && !isnan(c->select_p99_us))
			fprintf(f,
			        "%-13s   limit = 2 x %s p99 %.1f + %s p99 %.1f "
			        "(p50 %.1f) us\n",
			        "", c->limit, c->select_p99_us, c->rtt_limit,
			        c->rtt_p99_us, c->rtt_p50_us);
		if (c->error[0])
			fprintf(f, "%-13s   error: %s\n", "", c->error);
	}
	fprintf(f,
	        "\nratio: CreateExecution and CreateNodeEvent: ops/s over "
	        "the %s probe's ops/s at\nthe same number of connections "
	        "(one autocommit INSERT per op), higher is better;\n"
	        "GetExecution: p99 over 2 x the %s probe's p99 + the door's "
	        "transport\nprobe's p99 (limit_val, us), lower is better.  "
	        "db_us/op: the server's CPU per op.\nkeeld or the server was "
	        "busy %.1f s in all after the legs (waited for).\n",
	        ex_db_probe_name(o, 0), ex_db_probe_name(o, 1), settle);
}

int cmd_executions(const struct opts *o)
{
	static const char *const doors[] = {"nng", "grpc"};
	static atomic_ullong seq; /* names and node ids of the run */
	struct ex_env e = {.o = o};
	struct ex_gen create = {0}, events = {0}, gets = {0};
	struct keel_client *kc = NULL;
	const char *dbskip = NULL;
	char err[ERRLEN], path[1100] = "", table[64];
	int bad = 0, n;

	for (unsigned i = 0; i < o->nclients; i++)
		if (o->clients[i] > e.maxc)
			e.maxc = o->clients[i];
	ex_make_token();
	if (o->probe_db != NULL) {
		/* Skipped (no server, no driver, no client library): every
		 * cell says why, and nothing is connected to. */
		dbskip = o->skip_db ? o->skip_db
		                    : dbprobe_unavailable(o->probe_db);
	}
	if (dbskip == NULL && (o->nng_url == NULL ||
	                       (o->probe_db == NULL && o->data_dir == NULL))) {
		fprintf(stderr, "fabench: executions needs --nng (for the "
		                "set-up) and, on SQLite, --data-dir (keeld's, "
		                "where the probe's database goes)\n");
		return 64;
	}
	if (o->probe_db == NULL) {
		n = snprintf(ex_pragmas, sizeof(ex_pragmas),
		             "PRAGMA journal_mode=WAL;PRAGMA synchronous=%s;"
		             "PRAGMA foreign_keys=on;PRAGMA cache_size=-8192;"
		             "PRAGMA mmap_size=0;",
		             o->synchronous ? o->synchronous : "normal");
		if (n < 0 || (size_t)n >= sizeof(ex_pragmas))
			return 70;
		snprintf(path, sizeof(path), "%s/%s", o->data_dir,
		         EX_PROBE_DB);
		e.commit.path = path;
		if (commit_create(path, err, sizeof(err)) != 0)
			goto setup_failed;
	} else if (dbskip == NULL) {
		snprintf(table, sizeof(table), "fabench_probe_%s", ex_token);
		if (dbprobe_open(o->probe_db, o->probe_conn, table, &e.db, err,
		                 sizeof(err)) != 0)
			goto setup_failed;
		fprintf(stderr, "fabench: %s: %s\n", dbprobe_server(e.db),
		        dbprobe_settings(e.db));
	}
	if (dbskip == NULL &&
	    (keel_client_open(o->nng_url, &kc, err, sizeof(err)) != 0 ||
	     ex_register(kc, err, sizeof(err)) != 0 ||
	     ex_make_execs(kc, &events, e.maxc, 'e', err, sizeof(err)) != 0))
		goto setup_failed;
	if (dbskip == NULL && o->probe_db != NULL &&
	    (ex_make_execs(kc, &gets, EX_GETS, 'g', err, sizeof(err)) != 0 ||
	     ex_pack_gets(&gets, err, sizeof(err)) != 0))
		goto setup_failed;
	e.kc = kc;
	create.g =
	    (struct reqgen){ex_stream_open, ex_stream_next, ex_stream_close};
	events.g = gets.g = create.g;
	events.mode = EX_EVENTS;
	gets.mode = EX_GET;
	create.seq = events.seq = gets.seq = &seq;
	for (size_t di = 0; di < 2; di++) {
		const char *skip = dbskip;
		if (skip == NULL && di == 1 && o->grpc_addr == NULL)
			skip = "no --grpc HOST:PORT given";
		for (unsigned ci = 0; ci < o->nclients; ci++)
			if (ex_cells(&e, doors[di], &create, o->clients[ci],
			             skip) != 0)
				bad = 1;
		if (ex_cells(&e, doors[di], &events, e.maxc, skip) != 0)
			bad = 1;
		if (o->probe_db != NULL &&
		    ex_cells(&e, doors[di], &gets, e.maxc, skip) != 0)
			bad = 1;
	}
	for (unsigned i = 0; i < e.nprobes; i++)
		if (e.probes[i].pooled &&
		    ex_probe_cell(&e, &e.probes[i], dbskip) != 0)
			bad = 1;
	fflush(stdout);
	if (o->table == 0)
		goto out;
	if (o->probe_db != NULL)
		ex_print_db_table(o->table == 2 ? stdout : stderr, o,
		                  e.settle_s);
	else
		ex_print_table(o->table == 2 ? stdout : stderr, e.settle_s);
	goto out;
setup_failed:
	fprintf(stderr, "fabench: executions: %s\n", err);
	bad = 69;
out:
	keel_client_close(kc);
	ex_gen_free(&events);
	ex_gen_free(&gets);
	for (unsigned i = 0; i < e.nprobes; i++)
		free(e.probes[i].all);
	if (e.nng_sock_open)
		nng_close(e.t_nng.echo_sock);
	probe_nng_echo_stop(e.nng_echo);
	probe_tcp_stop(e.tcp_echo);
	/* The scratch table and database go; keeld's data stays keeld's. */
	dbprobe_close(e.db);
	if (path[0])
		commit_remove(path);
	return bad;
}
