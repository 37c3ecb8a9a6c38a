/*
 * signal_test.c -- the SignalService through the method table over the
 * real SQLite plugin: GetOrCreateSignal (checks, idempotence, a type
 * that differs, concurrent callers), SetSignal (checks, type, last
 * value wins) and ListSignals (paging, filters, sort keys)
 * (reference/flyteadmin-behaviour.md §3.13, checklist row 77).
 *
 * Requests are proto3 JSON decoded with libkeeljson; the executions the
 * signals belong to are made with CreateExecution.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "flyteidl/admin/execution.pb-c.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/signal.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "pbjson.h"
#include "rpc.h"
#include "svc.h"
#include "tap.h"
#include "task_resources.h"
#include "testdb.h"

#define ADMIN "/flyteidl.service.AdminService/"
#define SIG   "/flyteidl.service.SignalService/"
#define PD    "\"project\":\"flytesnacks\",\"domain\":\"development\""
#define REF(rt, name, ver)                                                     \
	"{\"resourceType\":\"" rt "\"," PD ",\"name\":\"" name                 \
	"\",\"version\":\"" ver "\"}"
#define PROMISE(node, var)                                                     \
	"{\"promise\":{\"nodeId\":\"" node "\",\"var\":\"" var "\"}}"
#define INT(v)          "{\"scalar\":{\"primitive\":{\"integer\":\"" v "\"}}}"
#define BOOL(v)         "{\"scalar\":{\"primitive\":{\"boolean\":" v "}}}"
#define T_INT           "{\"simple\":\"INTEGER\"}"
#define T_BOOL          "{\"simple\":\"BOOLEAN\"}"
#define VAR(name, t)    "\"" name "\":{\"type\":" t "}"
#define BIND(var, data) "{\"var\":\"" var "\",\"binding\":" data "}"
#define EXEC(name)      "{" PD ",\"name\":\"" name "\"}"
#define SID(sig, exec)  "{\"signalId\":\"" sig "\",\"executionId\":" exec "}"

/* A status message for printing (NULL on success). */
#define S(x) ((x) ? (x) : "")

typedef Flyteidl__Admin__Signal Signal;
typedef Flyteidl__Admin__SignalList SignalList;

static struct svc svc;
static struct arena *arena;

static int req_in(struct arena *a, const char *method,
                  const ProtobufCMessageDescriptor *in, const char *json,
                  const ProtobufCMessageDescriptor *out, void **resp,
                  const char **m)
{
	ProtobufCMessage *msg = NULL;
	char err[512];

	if (pbjson_decode(in, json, strlen(json), NULL, arena_pb_allocator(a),
	                  &msg, err, sizeof(err)) != 0) {
		printf("Bail out! fixture for %s does not decode: %s\n%s\n",
		       method, err, json);
		exit(99);
	}
	return testdb_call(&svc, a, method, msg, out, resp, m);
}

static int req(const char *method, const ProtobufCMessageDescriptor *in,
               const char *json, const ProtobufCMessageDescriptor *out,
               void **resp, const char **m)
{
	return req_in(arena, method, in, json, out, resp, m);
}

static int goc(const char *json, Signal **out, const char **m)
{
	void *o = NULL;
	int code =
	    req(SIG "GetOrCreateSignal",
	        &flyteidl__admin__signal_get_or_create_request__descriptor,
	        json, &flyteidl__admin__signal__descriptor, &o, m);

	if (out)
		*out = o;
	return code;
}

static int set(const char *json, const char **m)
{
	return req(SIG "SetSignal",
	           &flyteidl__admin__signal_set_request__descriptor, json,
	           &flyteidl__admin__signal_set_response__descriptor, NULL, m);
}

static SignalList *list(const char *json, int *code, const char **m)
{
	void *o = NULL;

	*code = req(SIG "ListSignals",
	            &flyteidl__admin__signal_list_request__descriptor, json,
	            &flyteidl__admin__signal_list__descriptor, &o, m);
	return o;
}

/* ListSignals of exec with limit and the rest of the request ("" or
 * ",\"filters\":..."). */
static SignalList *list_of(const char *exec, int limit, const char *extra,
                           int *code, const char **m)
{
	return list(arena_printf(arena,
	                         "{\"workflowExecutionId\":{" PD
	                         ",\"name\":\"%s\"},\"limit\":%d%s}",
	                         exec, limit, extra),
	            code, m);
}

/* GetOrCreateSignal of sig in execution exec with type (JSON). */
static int goc_t(const char *sig, const char *exec, const char *type,
                 Signal **out, const char **m)
{
	return goc(
	    arena_printf(arena,
	                 "{\"id\":{\"signalId\":\"%s\",\"executionId\":{" PD
	                 ",\"name\":\"%s\"}},\"type\":%s}",
	                 sig, exec, type),
	    out, m);
}

/* SetSignal of sig in execution exec to value (JSON). */
static int set_v(const char *sig, const char *exec, const char *value,
                 const char **m)
{
	return set(
	    arena_printf(arena,
	                 "{\"id\":{\"signalId\":\"%s\",\"executionId\":{" PD
	                 ",\"name\":\"%s\"}},\"value\":%s}",
	                 sig, exec, value),
	    m);
}

struct count {
	const char *signal_id;
	int64_t n;
};

static int count_row(void *arg, const struct keel_db_val *cols, size_t ncols)
{
	struct count *x = arg;

	x->n = ncols > 0 ? cols[0].i : -1;
	return 0;
}

static int count_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct count *x = arg;
	struct keel_db_val a[1] = {db_str(x->signal_id)};

	return db_query(c, "SELECT COUNT(*) FROM signals WHERE signal_id = ?",
	                a, 1, count_row, x, err);
}

/* Rows of signals named signal_id, in every execution; -1 on error. */
static int count_rows(const char *signal_id)
{
	struct count x = {signal_id, -1};
	struct keel_err err = {0};

	if (db_tx(svc.db, KEEL_DB_TX_READ, count_tx, &x, &err) != 0)
		return -1;
	return (int)x.n;
}

/* The registry and two executions, sig-a and sig-b.  JSON fixtures
 * read best as written. */
/* clang-format off */
static void setup(void)
{
	const char *m;
	int code;

	code = req(ADMIN "CreateTask",
	           &flyteidl__admin__task_create_request__descriptor,
	           "{\"id\":" REF("TASK", "t.add", "v1") ",\"spec\":{"
	           "\"template\":{\"type\":\"python-task\",\"metadata\":{},"
	           "\"interface\":{\"inputs\":{\"variables\":{"
	           VAR("a", T_INT) "}},\"outputs\":{\"variables\":{"
	           VAR("o0", T_INT) "}}},\"container\":{\"image\":"
	           "\"img:1\"}}}}",
	           NULL, NULL, &m);
	TAP_EQ_INT(code, 0, "task t.add: %s", S(m));
	code = req(ADMIN "CreateWorkflow",
	           &flyteidl__admin__workflow_create_request__descriptor,
	           "{\"id\":" REF("WORKFLOW", "wf.add", "v1") ",\"spec\":{"
	           "\"template\":{\"interface\":{\"inputs\":{\"variables\":{"
	           VAR("a", T_INT) "}},\"outputs\":{\"variables\":{"
	           VAR("o", T_INT) "}}},\"nodes\":[{\"id\":\"n0\","
	           "\"taskNode\":{\"referenceId\":" REF("TASK", "t.add", "v1")
	           "},\"inputs\":[" BIND("a", PROMISE("start-node", "a"))
	           "]}],\"outputs\":[" BIND("o", PROMISE("n0", "o0")) "]}}}",
	           NULL, NULL, &m);
	TAP_EQ_INT(code, 0, "workflow wf.add: %s", S(m));
	code = req(ADMIN "CreateLaunchPlan",
	           &flyteidl__admin__launch_plan_create_request__descriptor,
	           "{\"id\":" REF("LAUNCH_PLAN", "lp.add", "v1") ",\"spec\":{"
	           "\"workflowId\":" REF("WORKFLOW", "wf.add", "v1") "}}",
	           NULL, NULL, &m);
	TAP_EQ_INT(code, 0, "launch plan lp.add: %s", S(m));
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "sig-b" : "sig-a";
		char *j = arena_printf(arena,
		    "{" PD ",\"name\":\"%s\",\"spec\":{\"launchPlan\":"
		    REF("LAUNCH_PLAN", "lp.add", "v1") "},\"inputs\":{"
		    "\"literals\":{\"a\":" INT("1") "}}}",
		    name);

		code = req(ADMIN "CreateExecution",
		    &flyteidl__admin__execution_create_request__descriptor, j,
		    NULL, NULL, &m);
		TAP_EQ_INT(code, 0, "execution %s: %s", name, S(m));
	}
}
/* clang-format on */

static int bool_of(const Signal *s, int *v)
{
	const Flyteidl__Core__Literal *l = s ? s->value : NULL;

	if (l == NULL || l->scalar == NULL || l->scalar->primitive == NULL ||
	    l->scalar->primitive->value_case !=
	        FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN)
		return 0;
	*v = l->scalar->primitive->boolean;
	return 1;
}

/* GetOrCreateSignal: the checks, idempotence, another type. */
static void test_get_or_create(void)
{
	Signal *s = NULL, *s2 = NULL;
	const char *m;
	char *long_id;
	int code;

	code = goc("{}", NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "empty: INVALID_ARGUMENT");
	TAP_HAS_STR(m, "missing id", "and names id");
	code =
	    goc("{\"id\":{\"signalId\":\"s\"},\"type\":" T_BOOL "}", NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "no execution_id");
	TAP_HAS_STR(m, "missing execution_id", "names execution_id");
	code = goc_t("", "sig-a", T_BOOL, NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "no signal_id");
	TAP_HAS_STR(m, "missing signal_id", "names signal_id");
	code = goc_t("s", "", T_BOOL, NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "execution without a name");
	TAP_HAS_STR(m, "missing name", "names name");
	code = goc("{\"id\":{\"signalId\":\"s\",\"executionId\":{\"domain\":"
	           "\"development\",\"name\":\"sig-a\"}},\"type\":" T_BOOL "}",
	           NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "execution without a project");
	TAP_HAS_STR(m, "missing project", "names project");
	code = goc("{\"id\":" SID("s", EXEC("sig-a")) "}", NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "no type");
	TAP_HAS_STR(m, "missing type", "names type");
	long_id = arena_alloc(arena, 257);
	memset(long_id, 'x', 256);
	long_id[256] = '\0';
	code = goc_t(long_id, "sig-a", T_BOOL, NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "a 256-byte signal_id");
	TAP_HAS_STR(m, "signal_id is too long", "says so: %s", S(m));

	code = goc_t("s", "nope", T_BOOL, NULL, &m);
	TAP_EQ_INT(code, RPC_NOT_FOUND, "unknown execution: NOT_FOUND");
	TAP_HAS_STR(m, "flytesnacks/development/nope", "naming it: %s", S(m));
	TAP_EQ_INT(count_rows("s"), 0, "and no row written");

	code = goc_t("approve", "sig-a", T_BOOL, &s, &m);
	TAP_EQ_INT(code, 0, "GetOrCreateSignal approve (boolean): %s", S(m));
	TAP_OK(s && s->id && s->id->execution_id &&
	           strcmp(s->id->signal_id, "approve") == 0 &&
	           strcmp(s->id->execution_id->name, "sig-a") == 0 &&
	           strcmp(s->id->execution_id->project, "flytesnacks") == 0,
	       "the answer carries the id");
	TAP_OK(s && s->type &&
	           s->type->type_case ==
	               FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE &&
	           s->type->simple == FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN,
	       "and the type");
	TAP_OK(s && s->value == NULL, "and no value yet");
	code = goc_t("approve", "sig-a", T_BOOL, &s2, &m);
	TAP_EQ_INT(code, 0, "again: %s", S(m));
	TAP_OK(s2 && s2->type && s2->value == NULL &&
	           s2->type->simple == FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN &&
	           strcmp(s2->id->signal_id, "approve") == 0,
	       "the same signal");
	TAP_EQ_INT(count_rows("approve"), 1, "one row");

	code = goc_t("approve", "sig-a", T_INT, NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "again as an integer: INVALID_ARGUMENT");
	TAP_HAS_STR(m, "[boolean]", "names the stored type: %s", S(m));
	TAP_HAS_STR(m, "[integer]", "and the requested one");
	TAP_EQ_INT(count_rows("approve"), 1, "still one row");

	code = goc_t("approve", "sig-b", T_INT, NULL, &m);
	TAP_EQ_INT(code, 0, "the same signal_id in another execution: %s",
	           S(m));
	TAP_EQ_INT(count_rows("approve"), 2, "its own row");

	/* A dataclass type whose metadata keys come in another order is the
	 * same type (a Go client writes map entries in any order). */
	code = goc_t("dc", "sig-a",
	             "{\"simple\":\"STRUCT\",\"metadata\":{\"title\":\"D\","
	             "\"type\":\"object\"}}",
	             NULL, &m);
	TAP_EQ_INT(code, 0, "a STRUCT signal: %s", S(m));
	code = goc_t("dc", "sig-a",
	             "{\"simple\":\"STRUCT\",\"metadata\":{\"type\":\"object\","
	             "\"title\":\"D\"}}",
	             NULL, &m);
	TAP_EQ_INT(code, 0, "asked again with its metadata reordered: %s",
	           S(m));
	TAP_EQ_INT(count_rows("dc"), 1, "one row");
}

struct racer {
	int code;
	char *m;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct arena *a = arena_new(0);
	const char *m = NULL;

	r->code = req_in(
	    a, SIG "GetOrCreateSignal",
	    &flyteidl__admin__signal_get_or_create_request__descriptor,
	    "{\"id\":" SID("raced", EXEC("sig-a")) ",\"type\":" T_BOOL "}",
	    &flyteidl__admin__signal__descriptor, NULL, &m);
	r->m = r->code ? strdup(S(m)) : NULL;
	arena_free(a);
	return NULL;
}

/* Callers racing to create one signal all get it; one row. */
static void test_race(void)
{
	pthread_t t[4];
	struct racer r[4];
	int ok = 1;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, race, &r[i]);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		if (r[i].code != 0) {
			tap_diag("racer %d: %d %s", i, r[i].code, S(r[i].m));
			ok = 0;
		}
		free(r[i].m);
	}
	TAP_OK(ok, "4 concurrent GetOrCreateSignal: all succeed");
	TAP_EQ_INT(count_rows("raced"), 1, "one row");
}

static Signal *find(SignalList *l, const char *signal_id)
{
	for (size_t i = 0; l && i < l->n_signals; i++)
		if (strcmp(l->signals[i]->id->signal_id, signal_id) == 0)
			return l->signals[i];
	return NULL;
}

/* SetSignal: the checks, the type, the last value wins. */
static void test_set(void)
{
	SignalList *l;
	Signal *s = NULL;
	const char *m;
	int code, v = -1;

	code = set("{}", &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "SetSignal, empty: INVALID_ARGUMENT");
	TAP_HAS_STR(m, "missing id", "names id");
	code = set("{\"id\":" SID("approve", EXEC("sig-a")) "}", &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "no value");
	TAP_HAS_STR(m, "missing value", "names value");
	code = set(
	    "{\"id\":{\"signalId\":\"approve\"},\"value\":" BOOL("true") "}",
	    &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "no execution_id");
	TAP_HAS_STR(m, "missing execution_id", "names execution_id");
	code = set_v("", "sig-a", BOOL("true"), &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "no signal_id");
	TAP_HAS_STR(m, "missing signal_id", "names signal_id");
	code = set_v("nope", "sig-a", BOOL("true"), &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "an unknown signal: INVALID_ARGUMENT");
	TAP_HAS_STR(m,
	            "failed to validate that signal [nope] exists for "
	            "execution [flytesnacks/development/sig-a]",
	            "failed to validate: %s", S(m));
	code = set_v("approve", "nope", BOOL("true"), &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "a signal of an unknown execution: INVALID_ARGUMENT");
	TAP_HAS_STR(m, "failed to validate", "failed to validate: %s", S(m));
	code = set_v("approve", "sig-a", INT("3"), &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "an integer for a boolean signal: INVALID_ARGUMENT");
	TAP_HAS_STR(m, "not castable to existing signal type [boolean]",
	            "says why: %s", S(m));

	code = set_v("approve", "sig-a", BOOL("true"), &m);
	TAP_EQ_INT(code, 0, "SetSignal approve = true: %s", S(m));
	code = goc_t("approve", "sig-a", T_BOOL, &s, &m);
	TAP_EQ_INT(code, 0, "GetOrCreateSignal reads it back: %s", S(m));
	TAP_OK(bool_of(s, &v) && v == 1, "value true");
	code = set_v("approve", "sig-a", BOOL("false"), &m);
	TAP_EQ_INT(code, 0, "SetSignal approve = false: %s", S(m));
	l = list_of("sig-a", 10, ",\"filters\":\"eq(signal_id,approve)\"",
	            &code, &m);
	TAP_EQ_INT(code, 0, "ListSignals eq(signal_id,approve): %s", S(m));
	TAP_OK(l && l->n_signals == 1, "one signal");
	v = -1;
	TAP_OK(bool_of(find(l, "approve"), &v) && v == 0,
	       "the second value won");
	TAP_EQ_INT(count_rows("approve"), 2,
	           "no row added (one per execution)");
	l = list_of("sig-b", 10, ",\"filters\":\"eq(signal_id,approve)\"",
	            &code, &m);
	TAP_OK(code == 0 && l && l->n_signals == 1 &&
	           l->signals[0]->value == NULL,
	       "the other execution's approve is still unset");
}

/* Page through sig-b's p0..p4 (limit 2): their ids in order into seen
 * (at most 8), *dup set when one comes twice; the number of pages. */
static int page_through(const char *sort, const char **seen, size_t *nseen,
                        int *dup)
{
	const char *tok = "", *m;
	int code, pages = 0;
	SignalList *l;

	*nseen = 0;
	*dup = 0;
	do {
		char *extra =
		    arena_printf(arena,
		                 ",\"filters\":\"ne(signal_id,approve)\","
		                 "\"token\":\"%s\"%s",
		                 tok, sort);
		l = list_of("sig-b", 2, extra, &code, &m);
		if (!TAP_OK(code == 0 && l && l->n_signals <= 2,
		            "page %d: at most 2 signals %s", pages + 1, S(m)))
			break;
		for (size_t i = 0; i < l->n_signals; i++) {
			const char *id = l->signals[i]->id->signal_id;
			for (size_t k = 0; k < *nseen; k++)
				*dup |= strcmp(seen[k], id) == 0;
			if (*nseen < 8)
				seen[(*nseen)++] = id;
		}
		tok = l->token;
		pages++;
	} while (tok[0] != '\0' && pages < 5);
	return pages;
}

/* ListSignals: checks, pages, filters, sort keys. */
static void test_list(void)
{
	const char *seen[8];
	SignalList *l;
	const char *m;
	size_t nseen;
	int code, dup;

	l = list("{}", &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "ListSignals, empty: INVALID_ARGUMENT");
	TAP_HAS_STR(m, "missing execution_id", "names execution_id");
	l = list("{\"workflowExecutionId\":{" PD "},\"limit\":5}", &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "an execution without a name");
	TAP_HAS_STR(m, "missing name", "names name");
	l = list_of("sig-b", 0, "", &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "limit 0: INVALID_ARGUMENT");
	TAP_HAS_STR(m, "invalid value for limit", "says so: %s", S(m));

	for (int i = 0; i < 5; i++) {
		char *sig = arena_printf(arena, "p%d", i);
		code = goc_t(sig, "sig-b", T_INT, NULL, &m);
		TAP_EQ_INT(code, 0, "signal %s of sig-b: %s", sig, S(m));
	}
	/* sig-b holds approve and p0..p4. */
	TAP_EQ_INT(page_through("", seen, &nseen, &dup), 3,
	           "limit 2 over 5 signals: 3 pages");
	TAP_EQ_INT(nseen, 5, "5 signals in all");
	TAP_OK(!dup, "none twice");
	TAP_OK(nseen == 5 && strcmp(seen[0], "p4") == 0 &&
	           strcmp(seen[4], "p0") == 0,
	       "newest first by default");
	TAP_EQ_INT(page_through(",\"sortBy\":{\"key\":\"signal_id\","
	                        "\"direction\":\"ASCENDING\"}",
	                        seen, &nseen, &dup),
	           3, "sorted by signal_id ascending: 3 pages");
	TAP_OK(nseen == 5 && !dup && strcmp(seen[0], "p0") == 0 &&
	           strcmp(seen[2], "p2") == 0 && strcmp(seen[4], "p4") == 0,
	       "p0 to p4, none twice");
	TAP_EQ_INT(page_through(",\"sortBy\":{\"key\":\"execution_name\"}",
	                        seen, &nseen, &dup),
	           3, "sorted by execution_name (one value): 3 pages");
	TAP_OK(nseen == 5 && !dup, "5 signals, none twice");

	l = list_of("sig-b", 10, ",\"filters\":\"eq(signal_id,p3)\"", &code,
	            &m);
	TAP_OK(code == 0 && l && l->n_signals == 1 &&
	           strcmp(l->signals[0]->id->signal_id, "p3") == 0 &&
	           l->signals[0]->type &&
	           l->signals[0]->type->simple ==
	               FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER &&
	           strcmp(l->signals[0]->id->execution_id->name, "sig-b") == 0,
	       "eq(signal_id,p3): p3, integer, of sig-b");
	l = list_of("sig-b", 10,
	            ",\"filters\":\"value_in(signal_id,p1;p2)+"
	            "eq(execution_name,sig-b)\"",
	            &code, &m);
	TAP_OK(code == 0 && l && l->n_signals == 2,
	       "value_in(signal_id,p1;p2)+eq(execution_name,sig-b): 2");
	l = list_of("sig-b", 10, ",\"filters\":\"eq(execution_name,sig-a)\"",
	            &code, &m);
	TAP_OK(code == 0 && l && l->n_signals == 0,
	       "eq(execution_name,sig-a) on sig-b: none");
	l = list_of("sig-b", 10,
	            ",\"filters\":\"gte(created_at,2000-01-01T00:00:00Z)\"",
	            &code, &m);
	TAP_OK(code == 0 && l && l->n_signals == 6,
	       "gte(created_at,2000-01-01T00:00:00Z): all 6");
	l = list_of("sig-a", 10, "", &code, &m);
	TAP_OK(code == 0 && l && l->n_signals == 3 && !find(l, "p0"),
	       "sig-a lists its own 3 signals only");

	l = list_of("sig-b", 10, ",\"sortBy\":{\"key\":\"type\"}", &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "sort by type: INVALID_ARGUMENT");
	TAP_HAS_STR(m, "invalid sort key 'type'", "invalid sort key: %s", S(m));
	l = list_of("sig-b", 10, ",\"sortBy\":{\"key\":\"nope\"}", &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "sort by nope: INVALID_ARGUMENT");
	TAP_HAS_STR(m, "invalid sort key", "invalid sort key: %s", S(m));
	l = list_of("sig-b", 10, ",\"filters\":\"eq(value,x)\"", &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "a filter on the value blob: INVALID_ARGUMENT (%s)", S(m));
	l = list_of("sig-b", 10, ",\"filters\":\"eq(execution.phase,x)\"",
	            &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "a filter on another entity: INVALID_ARGUMENT (%s)", S(m));
	l = list_of("sig-b", 10, ",\"token\":\"k1.bogus\"", &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "a bogus token: INVALID_ARGUMENT (%s)", S(m));
	l = list_of("nope", 10, "", &code, &m);
	TAP_OK(code == 0 && l && l->n_signals == 0 && l->token[0] == '\0',
	       "an unknown execution lists nothing, as in Flyte Admin");
}

int main(void)
{
	struct testdb t;
	struct task_resource_limits lim;
	char err[1024] = "";
	const char *m;
	const struct method *gm, *lm, *sm;
	Flyteidl__Admin__ProjectRegisterRequest r =
	    FLYTEIDL__ADMIN__PROJECT_REGISTER_REQUEST__INIT;
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
	static struct svc_domain doms[1] = {
	    {(char *)"development", (char *)"development"}};

	if (testdb_open(&t, 4, err, sizeof(err)) != 0)
		return tap_skip_all(err);
	arena = arena_new(0);
	svc.db = t.db;
	svc.max_page_size = 1000;
	svc.max_workflow_nodes = 100;
	task_resources_defaults(&lim);
	svc.task_limits = &lim;
	svc.domains = doms;
	svc.ndomains = 1;
	svc.exec.target = "none";
	svc.exec.max_parallelism = 25;
	svc.exec.namespace_template = "{{ project }}-{{domain}}";
	svc.exec.inline_data_max = 2 << 20;
	TAP_EQ_INT(rpc_init(), 0, "method table built");
	gm = rpc_find(SIG "GetOrCreateSignal");
	lm = rpc_find(SIG "ListSignals");
	sm = rpc_find(SIG "SetSignal");
	TAP_OK(gm && gm->handler && lm && lm->handler && sm && sm->handler,
	       "the SignalService methods have handlers");
	p.id = (char *)"flytesnacks";
	p.name = (char *)"flytesnacks";
	r.project = &p;
	TAP_EQ_INT(testdb_call(&svc, arena, ADMIN "RegisterProject", &r.base,
	                       NULL, NULL, &m),
	           0, "project flytesnacks");
	setup();
	test_get_or_create();
	test_race();
	test_set();
	test_list();

	arena_free(arena);
	rpc_shutdown();
	testdb_close(&t);
	return tap_done();
}
