/*
 * agent_run.c -- one execution on keel-local-agent: walking the compiled
 * workflow and reporting its events (see agent.h).
 *
 * A run has a thread that walks the primary workflow; each node that
 * becomes ready gets a thread of its own, which blocks on whatever the
 * node is (a task process, a child execution, a signal) and recurses into
 * subworkflows and branches.  Events go to keeld as flytepropeller sends
 * them: node QUEUED, RUNNING, then per task attempt QUEUED, RUNNING (with
 * log links to the captured stdout and stderr) and a terminal phase; then
 * the node's terminal phase; the workflow's RUNNING first and its
 * terminal phase last.  Every event carries the execution's cluster as
 * producer_id and is retried until keeld takes it: a restarting keeld
 * loses nothing.
 *
 * Error codes the agent reports (kind USER unless said):
 *   ExitCode              a task exited non-zero without error.pb; retried
 *   TaskExecutionTimeout  an attempt outlived the task's timeout; retried
 *   Timeout               the node outlived its own timeout (TIMED_OUT)
 *   CommandNotFound       the command cannot be run; not retried
 *   OutputsNotFound       exit 0 but a declared output is missing
 *   (error.pb's code)     what the task wrote with keel-task fail
 *   AgentRestarted        SYSTEM: the agent died while the run was live
 *   Unsupported           a node kind the local agent cannot run
 *
 * Memory: a run owns a locked arena (ar_*) that every message of the run
 * is allocated from, freed when the run ends.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "flyteidl/admin/execution.pb-c.h"
#include "flyteidl/admin/event.pb-c.h"
#include "flyteidl/admin/signal.pb-c.h"
#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/errors.pb-c.h"
#include "flyteidl/core/execution.pb-c.h"
#include "flyteidl/core/workflow.pb-c.h"
#include "flyteidl/event/event.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "keel/local/v1/agent.pb-c.h"
#include "leval.h"
#include "lit.h"
#include "lproc.h"

#define AR_M(n) "/flyteidl.service.AdminService/" n

/* ---------------------------------------------------------------------
 * A locked arena: allocations live until the run ends.
 * ------------------------------------------------------------------- */

struct ar_block {
	struct ar_block *next;
	max_align_t data[];
};

struct ar_arena {
	pthread_mutex_t mu;
	struct ar_block *head;
	ProtobufCAllocator pa;
};

static void *ar_pa_alloc(void *arg, size_t n)
{
	struct ar_arena *a = arg;
	struct ar_block *b = malloc(sizeof(*b) + (n ? n : 1));

	if (b == NULL)
		return NULL;
	pthread_mutex_lock(&a->mu);
	b->next = a->head;
	a->head = b;
	pthread_mutex_unlock(&a->mu);
	return b->data;
}

static void ar_pa_free(void *arg, void *p)
{
	(void)arg;
	(void)p; /* freed with the arena */
}

static void ar_init(struct ar_arena *a)
{
	pthread_mutex_init(&a->mu, NULL);
	a->head = NULL;
	a->pa.alloc = ar_pa_alloc;
	a->pa.free = ar_pa_free;
	a->pa.allocator_data = a;
}

static void ar_fini(struct ar_arena *a)
{
	while (a->head != NULL) {
		struct ar_block *b = a->head;
		a->head = b->next;
		free(b);
	}
	pthread_mutex_destroy(&a->mu);
}

static void *ar_alloc(struct ar_arena *a, size_t n)
{
	void *p = ar_pa_alloc(a, n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

static char *ar_printf(struct ar_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *ar_printf(struct ar_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = ar_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

#define AR_NEW(a, T, init)                                                    \
	({                                                                    \
		T *ar_p_ = ar_alloc((a), sizeof(T));                          \
		if (ar_p_ != NULL)                                            \
			init(ar_p_);                                          \
		ar_p_;                                                        \
	})

/* ---------------------------------------------------------------------
 * Runs
 * ------------------------------------------------------------------- */

/* Why a run stops early. */
#define AR_ABORT_USER    1 /* TerminateExecution */
#define AR_ABORT_STOP    2 /* the agent is stopping */
#define AR_ABORT_REFUSED 3 /* keeld refused an event: it is over there */

struct ar_proc {
	struct ar_proc *next;
	struct lproc *p;
};

struct arun {
	struct agent *ag;
	struct arun *next;
	char project[128], domain[128], name[128], cluster[128];
	char dir[PATH_MAX];
	struct ar_arena arena;
	Keel__Local__V1__LaunchRequest *req;
	Flyteidl__Core__CompiledWorkflowClosure *cl;
	Flyteidl__Core__LiteralMap *inputs;
	Flyteidl__Core__WorkflowExecutionIdentifier *xid;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	int abort;             /* AR_ABORT_*, 0 while running */
	char cause[512];
	struct ar_proc *procs; /* running task processes */
	int32_t par_max, par_used; /* max_parallelism */
	int finished;
	char phase[32];
	pthread_t tid;
};

static int ar_aborting(struct arun *r)
{
	int a;

	pthread_mutex_lock(&r->mu);
	a = r->abort;
	pthread_mutex_unlock(&r->mu);
	return a;
}

/* Stop everything the run runs; the node threads see r->abort. */
static void ar_abort(struct arun *r, int why, const char *cause)
{
	pthread_mutex_lock(&r->mu);
	if (r->abort == 0) {
		r->abort = why;
		snprintf(r->cause, sizeof(r->cause), "%s", cause ? cause : "");
	}
	for (struct ar_proc *p = r->procs; p != NULL; p = p->next)
		lproc_kill(p->p);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Sleep up to ms, waking early when the run is aborted. */
static void ar_nap(struct arun *r, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->mu);
	if (r->abort == 0)
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	pthread_mutex_unlock(&r->mu);
}

static int64_t ar_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t ar_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static Google__Protobuf__Timestamp *ar_ts(struct arun *r, int64_t ms)
{
	Google__Protobuf__Timestamp *t =
	    AR_NEW(&r->arena, Google__Protobuf__Timestamp,
	           google__protobuf__timestamp__init);

	if (t != NULL) {
		t->seconds = ms / 1000;
		t->nanos = (int32_t)(ms % 1000) * 1000000;
	}
	return t;
}

/* ---------------------------------------------------------------------
 * Calls to keeld
 * ------------------------------------------------------------------- */

/*
 * Call keeld until it answers.  Unreachable and UNAVAILABLE are retried
 * with backoff for as long as the run is not being stopped by the agent
 * itself; any answer is returned (code and message in reply).  A call
 * interrupted by the agent stopping returns 14.
 */
static int ar_call(struct arun *r, const char *method,
                   const ProtobufCMessage *m, struct keel_client_reply *reply)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	int64_t backoff = 100;
	int code;

	memset(reply, 0, sizeof(*reply));
	if (buf == NULL)
		return 8;
	protobuf_c_message_pack(m, buf);
	for (;;) {
		code = keel_client_call(r->ag->keeld, method, buf, n, NULL,
		                        reply);
		if (code != 14 && code != 4)
			break;
		if (ar_aborting(r) == AR_ABORT_STOP)
			break;
		if (backoff >= 1600)
			agent_log("warn", "%s/%s/%s: keeld unreachable (%s); "
			          "retrying %s",
			          r->project, r->domain, r->name,
			          reply->message, method);
		keel_client_reply_free(reply);
		ar_nap(r, backoff);
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
	free(buf);
	return code;
}

/*
 * Send an event.  ALREADY_EXISTS means keeld has it (a repeat after a
 * lost reply).  FAILED_PRECONDITION means the execution is over at keeld
 * (terminated, or finished): the run stops.  Returns 0 when delivered.
 */
static int ar_event(struct arun *r, const char *method,
                    const ProtobufCMessage *m)
{
	struct keel_client_reply rep;
	int code = ar_call(r, method, m, &rep);

	if (code == 0 || code == 6) {
		keel_client_reply_free(&rep);
		return 0;
	}
	if (code == 9) {
		agent_log("info", "%s/%s/%s: keeld refused an event (%s); "
		          "stopping the run",
		          r->project, r->domain, r->name, rep.message);
		ar_abort(r, AR_ABORT_REFUSED, rep.message);
	} else if (!(code == 14 && ar_aborting(r) == AR_ABORT_STOP)) {
		agent_log("error", "%s/%s/%s: %s refused: %s %s", r->project,
		          r->domain, r->name, method,
		          keel_client_code_name(code), rep.message);
	}
	keel_client_reply_free(&rep);
	return -1;
}

static Flyteidl__Core__ExecutionError *
ar_error(struct arun *r, const char *code, int kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static Flyteidl__Core__ExecutionError *
ar_error(struct arun *r, const char *code, int kind, const char *fmt, ...)
{
	Flyteidl__Core__ExecutionError *e =
	    AR_NEW(&r->arena, Flyteidl__Core__ExecutionError,
	           flyteidl__core__execution_error__init);
	char msg[2048];
	va_list ap;

	if (e == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->code = ar_printf(&r->arena, "%s", code);
	e->message = ar_printf(&r->arena, "%s", msg);
	e->kind = (Flyteidl__Core__ExecutionError__ErrorKind)kind;
	if (e->code == NULL || e->message == NULL)
		return NULL;
	return e;
}

static int ar_wf_event(struct arun *r, int phase,
                       Flyteidl__Core__LiteralMap *out,
                       Flyteidl__Core__ExecutionError *err)
{
	Flyteidl__Admin__WorkflowExecutionEventRequest q =
	    FLYTEIDL__ADMIN__WORKFLOW_EXECUTION_EVENT_REQUEST__INIT;
	Flyteidl__Event__WorkflowExecutionEvent ev =
	    FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__INIT;

	ev.execution_id = r->xid;
	ev.producer_id = r->cluster;
	ev.phase = (Flyteidl__Core__WorkflowExecution__Phase)phase;
	ev.occurred_at = ar_ts(r, ar_now_ms());
	if (err != NULL) {
		ev.output_result_case =
		    FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_ERROR;
		ev.error = err;
	} else if (out != NULL) {
		ev.output_result_case =
		    FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA;
		ev.output_data = out;
	}
	q.event = &ev;
	return ar_event(r, AR_M("CreateWorkflowEvent"), &q.base);
}

/* ---------------------------------------------------------------------
 * Nodes
 * ------------------------------------------------------------------- */

/* A workflow being walked: the primary, a subworkflow, or the one node
 * a branch chose (a scope of its own so its outputs resolve). */
struct ar_scope {
	struct arun *r;
	const Flyteidl__Core__WorkflowTemplate *t;
	const Flyteidl__Core__LiteralMap *inputs; /* start-node's outputs */
	const char *prefix;      /* unique-id prefix of child nodes */
	const char *parent;      /* unique id of the parent node, or NULL */
	size_t n;
	const Flyteidl__Core__Node **nodes;
	int *state;              /* AR_N_* per node */
	Flyteidl__Core__LiteralMap **out;
	Flyteidl__Core__ExecutionError *fail; /* the first failure */
	int fail_phase;
	int running;
};

#define AR_N_WAIT 0
#define AR_N_RUN  1
#define AR_N_OK   2
#define AR_N_FAIL 3
#define AR_N_SKIP 4

/* What running one node produced. */
struct ar_result {
	int phase; /* core.NodeExecution.Phase: SUCCEEDED, FAILED, ... */
	Flyteidl__Core__LiteralMap *out;
	Flyteidl__Core__ExecutionError *err;
};

static int ar_walk(struct ar_scope *s, struct ar_result *res);

static const Flyteidl__Core__Literal *ar_lookup(void *arg, const char *node,
                                                const char *var)
{
	struct ar_scope *s = arg;

	if (strcmp(node, "start-node") == 0)
		return s->inputs ? lit_map_get(s->inputs, var) : NULL;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->nodes[i]->id, node) == 0)
			return s->out[i] ? lit_map_get(s->out[i], var) : NULL;
	return NULL;
}

static const Flyteidl__Core__TaskTemplate *
ar_task(struct arun *r, const Flyteidl__Core__Identifier *id)
{
	for (size_t i = 0; id != NULL && i < r->cl->n_tasks; i++) {
		const Flyteidl__Core__TaskTemplate *t = r->cl->tasks[i]->template_;
		if (t != NULL && t->id != NULL &&
		    strcmp(t->id->project, id->project) == 0 &&
		    strcmp(t->id->domain, id->domain) == 0 &&
		    strcmp(t->id->name, id->name) == 0 &&
		    strcmp(t->id->version, id->version) == 0)
			return t;
	}
	return NULL;
}

static const Flyteidl__Core__CompiledWorkflow *
ar_subwf(struct arun *r, const Flyteidl__Core__Identifier *id)
{
	for (size_t i = 0; id != NULL && i < r->cl->n_sub_workflows; i++) {
		const Flyteidl__Core__WorkflowTemplate *t =
		    r->cl->sub_workflows[i]->template_;
		if (t != NULL && t->id != NULL &&
		    strcmp(t->id->project, id->project) == 0 &&
		    strcmp(t->id->domain, id->domain) == 0 &&
		    strcmp(t->id->name, id->name) == 0 &&
		    strcmp(t->id->version, id->version) == 0)
			return r->cl->sub_workflows[i];
	}
	return NULL;
}

/* One node's identity in events. */
struct ar_node {
	struct ar_scope *s;
	const Flyteidl__Core__Node *n;
	const char *uid; /* unique id: prefix + node id */
	Flyteidl__Core__NodeExecutionIdentifier *id;
	Flyteidl__Core__LiteralMap *inputs;
};

static int ar_node_event(struct ar_node *nd, int phase,
                         struct ar_result *res, int is_parent,
                         Flyteidl__Core__WorkflowExecutionIdentifier *child)
{
	struct arun *r = nd->s->r;
	Flyteidl__Admin__NodeExecutionEventRequest q =
	    FLYTEIDL__ADMIN__NODE_EXECUTION_EVENT_REQUEST__INIT;
	Flyteidl__Event__NodeExecutionEvent ev =
	    FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__INIT;
	Flyteidl__Event__ParentNodeExecutionMetadata pm =
	    FLYTEIDL__EVENT__PARENT_NODE_EXECUTION_METADATA__INIT;
	Flyteidl__Event__WorkflowNodeMetadata wm =
	    FLYTEIDL__EVENT__WORKFLOW_NODE_METADATA__INIT;

	ev.id = nd->id;
	ev.producer_id = r->cluster;
	ev.phase = (Flyteidl__Core__NodeExecution__Phase)phase;
	ev.occurred_at = ar_ts(r, ar_now_ms());
	ev.spec_node_id = nd->n->id;
	ev.node_name = nd->n->metadata && nd->n->metadata->name &&
	                       nd->n->metadata->name[0]
	                   ? nd->n->metadata->name
	                   : nd->n->id;
	ev.event_version = 2;
	ev.is_parent = is_parent;
	if (nd->s->parent != NULL) {
		pm.node_id = (char *)nd->s->parent;
		ev.parent_node_metadata = &pm;
	}
	if (nd->inputs != NULL) {
		ev.input_value_case =
		    FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__INPUT_VALUE_INPUT_DATA;
		ev.input_data = nd->inputs;
	}
	if (child != NULL) {
		wm.execution_id = child;
		ev.target_metadata_case =
		    FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__TARGET_METADATA_WORKFLOW_NODE_METADATA;
		ev.workflow_node_metadata = &wm;
	}
	if (res != NULL && res->err != NULL) {
		ev.output_result_case =
		    FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_ERROR;
		ev.error = res->err;
	} else if (res != NULL && res->out != NULL) {
		ev.output_result_case =
		    FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA;
		ev.output_data = res->out;
	}
	q.event = &ev;
	return ar_event(r, AR_M("CreateNodeEvent"), &q.base);
}

static int ar_write_msg(const char *path, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	FILE *f;
	int ok;

	if (buf == NULL)
		return -1;
	protobuf_c_message_pack(m, buf);
	f = fopen(path, "wb");
	ok = f != NULL && fwrite(buf, 1, n, f) == n;
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	free(buf);
	return ok ? 0 : -1;
}

/* The last lines of a log, for an error message. */
static void ar_tail(const char *path, char *out, size_t len)
{
	char buf[600];
	FILE *f = fopen(path, "rb");
	long size;
	size_t n;

	out[0] = '\0';
	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1
	                                     : 0,
	      SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	snprintf(out, len, "%s", buf);
}

/* Global task slots and the run's parallelism. */
static int ar_slot_get(struct arun *r)
{
	struct agent *ag = r->ag;

	pthread_mutex_lock(&r->mu);
	while (r->abort == 0 && r->par_max > 0 && r->par_used >= r->par_max)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->abort != 0) {
		pthread_mutex_unlock(&r->mu);
		return -1;
	}
	r->par_used++;
	pthread_mutex_unlock(&r->mu);
	pthread_mutex_lock(&ag->mu);
	while (ag->tasks >= ag->max_tasks && !ag->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&ag->cv, &ag->mu, &ts);
		if (ar_aborting(r))
			break;
	}
	ag->tasks++;
	pthread_mutex_unlock(&ag->mu);
	return 0;
}

static void ar_slot_put(struct arun *r)
{
	pthread_mutex_lock(&r->ag->mu);
	r->ag->tasks--;
	pthread_cond_broadcast(&r->ag->cv);
	pthread_mutex_unlock(&r->ag->mu);
	pthread_mutex_lock(&r->mu);
	r->par_used--;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static int64_t ar_dur_ms(const Google__Protobuf__Duration *d)
{
	if (d == NULL)
		return 0;
	return d->seconds * 1000 + d->nanos / 1000000;
}

static int ar_task_event(struct ar_node *nd,
                         const Flyteidl__Core__TaskTemplate *tt,
                         uint32_t attempt, int phase, const char *dir,
                         struct ar_result *res)
{
	struct arun *r = nd->s->r;
	Flyteidl__Admin__TaskExecutionEventRequest q =
	    FLYTEIDL__ADMIN__TASK_EXECUTION_EVENT_REQUEST__INIT;
	Flyteidl__Event__TaskExecutionEvent ev =
	    FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__INIT;
	Flyteidl__Core__TaskLog lo = FLYTEIDL__CORE__TASK_LOG__INIT,
	                        le = FLYTEIDL__CORE__TASK_LOG__INIT;
	Flyteidl__Core__TaskLog *logs[2] = {&lo, &le};

	ev.task_id = tt->id;
	ev.parent_node_execution_id = nd->id;
	ev.retry_attempt = attempt;
	ev.phase = (Flyteidl__Core__TaskExecution__Phase)phase;
	ev.producer_id = r->cluster;
	ev.occurred_at = ar_ts(r, ar_now_ms());
	ev.task_type = tt->type;
	ev.event_version = 2;
	if (dir != NULL) {
		lo.uri = ar_printf(&r->arena, "file://%s/stdout.log", dir);
		lo.name = (char *)"stdout";
		le.uri = ar_printf(&r->arena, "file://%s/stderr.log", dir);
		le.name = (char *)"stderr";
		ev.logs = logs;
		ev.n_logs = 2;
	}
	if (nd->inputs != NULL) {
		ev.input_value_case =
		    FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__INPUT_VALUE_INPUT_DATA;
		ev.input_data = nd->inputs;
	}
	if (res != NULL && res->err != NULL) {
		ev.output_result_case =
		    FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_ERROR;
		ev.error = res->err;
	} else if (res != NULL && res->out != NULL) {
		ev.output_result_case =
		    FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA;
		ev.output_data = res->out;
	}
	q.event = &ev;
	return ar_event(r, AR_M("CreateTaskEvent"), &q.base);
}

/* Environment of a task process, NULL-terminated, in the arena. */
static const char **ar_task_env(struct ar_node *nd,
                                const Flyteidl__Core__TaskTemplate *tt,
                                uint32_t attempt, const char *dir)
{
	struct arun *r = nd->s->r;
	const Flyteidl__Core__Container *c = tt->container;
	size_t n = 16 + (c ? c->n_env : 0) + r->req->n_envs, i = 0;
	const char **env = ar_alloc(&r->arena, n * sizeof(*env));
	const char *path = getenv("PATH");

	if (env == NULL)
		return NULL;
	/* Execution envs first: the task's own win. */
	for (size_t k = 0; k < r->req->n_envs; k++)
		env[i++] = ar_printf(&r->arena, "%s=%s", r->req->envs[k]->key,
		                     r->req->envs[k]->value);
	for (size_t k = 0; c != NULL && k < c->n_env; k++)
		env[i++] = ar_printf(&r->arena, "%s=%s", c->env[k]->key,
		                     c->env[k]->value);
	env[i++] = ar_printf(&r->arena, "KEEL_INPUTS=%s/inputs.pb", dir);
	env[i++] = ar_printf(&r->arena, "KEEL_OUTPUT_PREFIX=%s/out", dir);
	env[i++] = ar_printf(&r->arena, "KEEL_RAW_OUTPUT_PREFIX=%s/raw", dir);
	env[i++] = ar_printf(&r->arena, "KEEL_TASK_INTERFACE=%s/interface.pb",
	                     dir);
	env[i++] = ar_printf(&r->arena, "KEEL_NODE_ID=%s", nd->uid);
	env[i++] = ar_printf(&r->arena, "FLYTE_INTERNAL_EXECUTION_PROJECT=%s",
	                     r->project);
	env[i++] = ar_printf(&r->arena, "FLYTE_INTERNAL_EXECUTION_DOMAIN=%s",
	                     r->domain);
	env[i++] = ar_printf(&r->arena, "FLYTE_INTERNAL_EXECUTION_ID=%s",
	                     r->name);
	env[i++] = ar_printf(&r->arena, "FLYTE_INTERNAL_TASK_PROJECT=%s",
	                     tt->id->project);
	env[i++] = ar_printf(&r->arena, "FLYTE_INTERNAL_TASK_DOMAIN=%s",
	                     tt->id->domain);
	env[i++] = ar_printf(&r->arena, "FLYTE_INTERNAL_TASK_NAME=%s",
	                     tt->id->name);
	env[i++] = ar_printf(&r->arena, "FLYTE_INTERNAL_TASK_VERSION=%s",
	                     tt->id->version);
	env[i++] = ar_printf(&r->arena, "FLYTE_ATTEMPT_NUMBER=%u", attempt);
	env[i++] = ar_printf(&r->arena, "PATH=%s%s%s",
	                     r->ag->tool_dir ? r->ag->tool_dir : "",
	                     r->ag->tool_dir ? ":" : "",
	                     path ? path : "/usr/bin:/bin");
	env[i] = NULL;
	for (size_t k = 0; k < i; k++)
		if (env[k] == NULL)
			return NULL;
	return env;
}

/* Record a task's process group so a later agent can kill leftovers. */
static void ar_proc_note(const char *dir, pid_t pid)
{
	char path[PATH_MAX + 128], line[64];
	unsigned long long ticks = 0;
	int fd, n;

	if (lproc_start_ticks(pid, &ticks) != 0)
		return;
	snprintf(path, sizeof(path), "%s/proc", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%d %llu\n", (int)pid, ticks);
	if (write(fd, line, (size_t)n) != n)
		agent_log("warn", "cannot write %s", path);
	close(fd);
}

/* One attempt of a task.  *retry says whether a failure may be retried. */
static void ar_attempt(struct ar_node *nd, const Flyteidl__Core__TaskTemplate *tt,
                       uint32_t attempt, int64_t timeout_ms,
                       struct ar_result *res, int *retry)
{
	struct arun *r = nd->s->r;
	const Flyteidl__Core__Container *c = tt->container;
	struct lproc_tmpl tm = {0};
	struct lproc_spec sp = {0};
	struct lproc_result pr = {0};
	struct lproc *p = NULL;
	struct ar_proc node = {0};
	char dir[PATH_MAX + 64], outp[PATH_MAX + 128], err[512], tail[640];
	const char **argv = NULL;
	size_t argc = 0, k = 0;

	*retry = 0;
	memset(res, 0, sizeof(*res));
	snprintf(dir, sizeof(dir), "%s/nodes/%s/%u", r->dir, nd->uid, attempt);
	snprintf(outp, sizeof(outp), "%s/out", dir);
	if (pu_mkdirs(outp, 0750) != 0 ||
	    snprintf(outp, sizeof(outp), "%s/raw", dir) < 0 ||
	    pu_mkdirs(outp, 0750) != 0) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "AgentError", 2,
		                    "cannot create %s: %s", dir, strerror(errno));
		return;
	}
	snprintf(outp, sizeof(outp), "%s/inputs.pb", dir);
	if (lit_map_write(outp, nd->inputs, err, sizeof(err)) != 0 ||
	    (tt->interface != NULL &&
	     (snprintf(outp, sizeof(outp), "%s/interface.pb", dir) < 0 ||
	      ar_write_msg(outp, &tt->interface->base) != 0)) ||
	    (snprintf(outp, sizeof(outp), "%s/task.pb", dir) < 0 ||
	     ar_write_msg(outp, &tt->base) != 0)) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "AgentError", 2,
		                    "cannot write the task's files in %s", dir);
		return;
	}
	tm.input = ar_printf(&r->arena, "%s/inputs.pb", dir);
	tm.input_prefix = ar_printf(&r->arena, "%s", dir);
	tm.output_prefix = ar_printf(&r->arena, "%s/out", dir);
	tm.raw_output_prefix = ar_printf(&r->arena, "%s/raw", dir);
	tm.checkpoint_prefix = ar_printf(&r->arena, "%s/checkpoint", dir);
	tm.prev_checkpoint =
	    attempt > 0 ? ar_printf(&r->arena, "%s/nodes/%s/%u/checkpoint",
	                            r->dir, nd->uid, attempt - 1)
	                : "";
	tm.unique_key = ar_printf(&r->arena, "%s-%s-%u", r->name, nd->uid,
	                          attempt);
	tm.task_template_path = ar_printf(&r->arena, "%s/task.pb", dir);
	tm.inputs = nd->inputs;
	argc = c->n_command + c->n_args;
	argv = ar_alloc(&r->arena, (argc + 1) * sizeof(*argv));
	if (argv == NULL)
		goto nomem;
	for (size_t i = 0; i < argc; i++) {
		const char *in = i < c->n_command ? c->command[i]
		                                  : c->args[i - c->n_command];
		char *o = NULL;
		if (lproc_render(&tm, in, &o, err, sizeof(err)) != 0) {
			res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
			res->err = ar_error(r, "BadTaskSpecification", 1,
			                    "argument %zu ('%s'): %s", i, in, err);
			return;
		}
		argv[k++] = ar_printf(&r->arena, "%s", o);
		free(o);
		if (argv[k - 1] == NULL)
			goto nomem;
	}
	argv[k] = NULL;
	sp.argv = argv;
	sp.env = ar_task_env(nd, tt, attempt, dir);
	sp.cwd = tm.input_prefix;
	sp.stdout_path = ar_printf(&r->arena, "%s/stdout.log", dir);
	sp.stderr_path = ar_printf(&r->arena, "%s/stderr.log", dir);
	sp.timeout_ms = timeout_ms;
	sp.kill_grace_ms = r->ag->kill_grace_ms;
	if (sp.env == NULL || sp.stdout_path == NULL || sp.stderr_path == NULL)
		goto nomem;

	ar_task_event(nd, tt, attempt,
	              FLYTEIDL__CORE__TASK_EXECUTION__PHASE__QUEUED, NULL, NULL);
	if (ar_slot_get(r) != 0) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED;
		return;
	}
	if (lproc_start(&sp, &p, err, sizeof(err)) != 0) {
		ar_slot_put(r);
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "AgentError", 2,
		                    "cannot start the task: %s", err);
		return;
	}
	node.p = p;
	pthread_mutex_lock(&r->mu);
	node.next = r->procs;
	r->procs = &node;
	if (r->abort != 0)
		lproc_kill(p);
	pthread_mutex_unlock(&r->mu);
	ar_proc_note(dir, lproc_pid(p));
	ar_task_event(nd, tt, attempt,
	              FLYTEIDL__CORE__TASK_EXECUTION__PHASE__RUNNING, dir, NULL);
	lproc_wait(p, &pr);
	pthread_mutex_lock(&r->mu);
	for (struct ar_proc **pp = &r->procs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == &node) {
			*pp = node.next;
			break;
		}
	pthread_mutex_unlock(&r->mu);
	lproc_free(p);
	ar_slot_put(r);
	snprintf(outp, sizeof(outp), "%s/proc", dir);
	unlink(outp);

	if (pr.aborted || (ar_aborting(r) && !pr.exited)) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED;
		return;
	}
	res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
	if (!pr.started) {
		res->err = ar_error(r, "CommandNotFound", 1,
		                    "cannot run '%s': %s (stderr: file://%s)",
		                    argv[0] ? argv[0] : "",
		                    strerror(pr.exec_errno), sp.stderr_path);
		return;
	}
	if (pr.timed_out) {
		*retry = 1;
		res->err = ar_error(r, "TaskExecutionTimeout", 1,
		                    "task execution timeout [%llds] expired; the "
		                    "process group was killed (stderr: file://%s)",
		                    (long long)(timeout_ms / 1000), sp.stderr_path);
		return;
	}
	if (!pr.exited || pr.exit_code != 0) {
		Flyteidl__Core__ErrorDocument *doc = NULL;
		FILE *f;
		snprintf(outp, sizeof(outp), "%s/out/error.pb", dir);
		f = fopen(outp, "rb");
		if (f != NULL) {
			uint8_t buf[65536];
			size_t n = fread(buf, 1, sizeof(buf), f);
			fclose(f);
			doc = flyteidl__core__error_document__unpack(&r->arena.pa,
			                                             n, buf);
		}
		if (doc != NULL && doc->error != NULL) {
			*retry = doc->error->kind ==
			         FLYTEIDL__CORE__CONTAINER_ERROR__KIND__RECOVERABLE;
			res->err = ar_error(r, doc->error->code, 1,
			                    "%s (exit status %d; stderr: file://%s)",
			                    doc->error->message,
			                    pr.exited ? pr.exit_code : -1,
			                    sp.stderr_path);
			return;
		}
		ar_tail(sp.stderr_path, tail, sizeof(tail));
		*retry = 1;
		if (pr.exited)
			res->err = ar_error(r, "ExitCode", 1,
			                    "task exited with status %d%s%s "
			                    "(stderr: file://%s)",
			                    pr.exit_code, tail[0] ? ": " : "", tail,
			                    sp.stderr_path);
		else
			res->err = ar_error(r, "ExitCode", 1,
			                    "task was killed by signal %d (%s)%s%s "
			                    "(stderr: file://%s)",
			                    pr.signal, strsignal(pr.signal),
			                    tail[0] ? ": " : "", tail,
			                    sp.stderr_path);
		return;
	}
	/* Exit 0: every declared output must be there. */
	{
		const Flyteidl__Core__VariableMap *vm =
		    tt->interface ? tt->interface->outputs : NULL;
		size_t nout = vm ? vm->n_variables : 0;
		Flyteidl__Core__LiteralMap *om = NULL;
		snprintf(outp, sizeof(outp), "%s/out/outputs.pb", dir);
		if (lit_map_read(outp, nout == 0, &r->arena.pa, &om, err,
		                 sizeof(err)) != 0) {
			res->err = ar_error(r, "OutputsNotFound", 1,
			                    "outputs not generated by the task: %s "
			                    "(stdout: file://%s)",
			                    err, sp.stdout_path);
			return;
		}
		for (size_t i = 0; i < nout; i++)
			if (lit_map_get(om, vm->variables[i]->key) == NULL) {
				res->err = ar_error(
				    r, "OutputsNotFound", 1,
				    "the task did not write its output '%s' to "
				    "%s (stdout: file://%s)",
				    vm->variables[i]->key, outp, sp.stdout_path);
				return;
			}
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED;
		res->out = om;
	}
	return;
nomem:
	res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
	res->err = ar_error(r, "AgentError", 2, "out of memory");
}

static void ar_task_node(struct ar_node *nd, struct ar_result *res)
{
	struct arun *r = nd->s->r;
	const Flyteidl__Core__TaskTemplate *tt =
	    ar_task(r, nd->n->task_node ? nd->n->task_node->reference_id : NULL);
	const Flyteidl__Core__NodeMetadata *md = nd->n->metadata;
	uint32_t retries = 0;
	int64_t task_to, node_to, t0 = ar_mono_ms();

	memset(res, 0, sizeof(*res));
	if (tt == NULL) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "BadTaskSpecification", 1,
		                    "node %s: its task is not in the closure",
		                    nd->n->id);
		return;
	}
	if (tt->container == NULL ||
	    tt->container->n_command + tt->container->n_args == 0) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "Unsupported", 1,
		                    "task %s (type %s) has no container command: "
		                    "the local agent runs container tasks only",
		                    tt->id->name, tt->type);
		return;
	}
	if (md != NULL && md->retries != NULL)
		retries = md->retries->retries;
	else if (tt->metadata != NULL && tt->metadata->retries != NULL)
		retries = tt->metadata->retries->retries;
	task_to = tt->metadata ? ar_dur_ms(tt->metadata->timeout) : 0;
	node_to = md ? ar_dur_ms(md->timeout) : 0;
	for (uint32_t a = 0;; a++) {
		int retry = 0;
		int64_t to = task_to;
		if (node_to > 0) {
			int64_t left = node_to - (ar_mono_ms() - t0);
			if (left <= 0)
				left = 1;
			if (to == 0 || left < to)
				to = left;
		}
		ar_attempt(nd, tt, a, to, res, &retry);
		if (res->phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED) {
			ar_task_event(nd, tt, a,
			              FLYTEIDL__CORE__TASK_EXECUTION__PHASE__ABORTED,
			              NULL, NULL);
			return;
		}
		ar_task_event(
		    nd, tt, a,
		    res->phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED
		        ? FLYTEIDL__CORE__TASK_EXECUTION__PHASE__SUCCEEDED
		        : FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED,
		    NULL, res);
		if (res->phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED)
			return;
		if (node_to > 0 && ar_mono_ms() - t0 >= node_to) {
			res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__TIMED_OUT;
			res->err = ar_error(r, "Timeout", 1,
			                    "node %s: active timeout [%llds] "
			                    "expired",
			                    nd->n->id, (long long)(node_to / 1000));
			return;
		}
		if (!retry || a >= retries || ar_aborting(r))
			break;
		agent_log("info", "%s/%s/%s: node %s attempt %u failed (%s); "
		          "retrying (%u of %u retries left)",
		          r->project, r->domain, r->name, nd->uid, a,
		          res->err ? res->err->code : "", retries - a, retries);
	}
	if (res->err != NULL && retries > 0)
		res->err->message = ar_printf(&r->arena,
		                              "[%u/%u] currentAttempt done. Last "
		                              "Error: %s: %s",
		                              retries + 1, retries + 1,
		                              res->err->code, res->err->message);
}

/* ---- launch-plan nodes: a child execution -------------------------- */

static void ar_lp_node(struct ar_node *nd, struct ar_result *res)
{
	struct arun *r = nd->s->r;
	const Flyteidl__Core__Identifier *lp = nd->n->workflow_node->launchplan_ref;
	Flyteidl__Admin__ExecutionCreateRequest q =
	    FLYTEIDL__ADMIN__EXECUTION_CREATE_REQUEST__INIT;
	Flyteidl__Admin__ExecutionSpec sp = FLYTEIDL__ADMIN__EXECUTION_SPEC__INIT;
	Flyteidl__Admin__ExecutionMetadata md =
	    FLYTEIDL__ADMIN__EXECUTION_METADATA__INIT;
	Flyteidl__Core__WorkflowExecutionIdentifier *child;
	Flyteidl__Admin__WorkflowExecutionGetRequest g =
	    FLYTEIDL__ADMIN__WORKFLOW_EXECUTION_GET_REQUEST__INIT;
	struct keel_client_reply rep;
	uint64_t h = 0xcbf29ce484222325ULL;
	char name[24];
	const char *k;
	int code;

	memset(res, 0, sizeof(*res));
	/* A name stable for (execution, node), so a restarted agent or a
	 * repeated launch finds the child it created. */
	for (k = r->name; *k; k++)
		h = (h ^ (unsigned char)*k) * 0x100000001b3ULL;
	for (k = nd->uid; *k; k++)
		h = (h ^ (unsigned char)*k) * 0x100000001b3ULL;
	name[0] = 'c';
	for (int i = 1; i < 20; i++) {
		name[i] = "bcdfghjklmnpqrstvwxz2456789"[h % 27];
		h /= 27;
		if (h == 0)
			h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)i;
	}
	name[20] = '\0';
	child = AR_NEW(&r->arena, Flyteidl__Core__WorkflowExecutionIdentifier,
	               flyteidl__core__workflow_execution_identifier__init);
	if (child == NULL)
		goto nomem;
	child->project = r->project;
	child->domain = r->domain;
	child->name = ar_printf(&r->arena, "%s", name);
	md.parent_node_execution = nd->id;
	md.mode = FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__CHILD_WORKFLOW;
	sp.launch_plan = (Flyteidl__Core__Identifier *)lp;
	sp.metadata = &md;
	q.project = r->project;
	q.domain = r->domain;
	q.name = child->name;
	q.spec = &sp;
	q.inputs = nd->inputs;
	code = ar_call(r, AR_M("CreateExecution"), &q.base, &rep);
	if (code != 0 && code != 6) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "LaunchPlanFailed", 1,
		                    "cannot launch %s as a child execution: %s",
		                    lp->name, rep.message);
		keel_client_reply_free(&rep);
		return;
	}
	keel_client_reply_free(&rep);
	ar_node_event(nd, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING, NULL,
	              0, child);
	g.id = child;
	for (int64_t backoff = 200;; backoff = backoff < 2000 ? backoff * 2
	                                                     : 2000) {
		Flyteidl__Admin__Execution *e;
		int phase;
		if (ar_aborting(r)) {
			Flyteidl__Admin__ExecutionTerminateRequest t =
			    FLYTEIDL__ADMIN__EXECUTION_TERMINATE_REQUEST__INIT;
			t.id = child;
			t.cause = (char *)"the parent execution was aborted";
			if (ar_aborting(r) != AR_ABORT_STOP) {
				ar_call(r, AR_M("TerminateExecution"), &t.base,
				        &rep);
				keel_client_reply_free(&rep);
			}
			res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED;
			return;
		}
		code = ar_call(r, AR_M("GetExecution"), &g.base, &rep);
		if (code != 0) {
			keel_client_reply_free(&rep);
			ar_nap(r, backoff);
			continue;
		}
		e = flyteidl__admin__execution__unpack(&r->arena.pa,
		                                       rep.payload_len,
		                                       rep.payload);
		keel_client_reply_free(&rep);
		phase = e && e->closure ? (int)e->closure->phase : 0;
		if (phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED) {
			Flyteidl__Admin__WorkflowExecutionGetDataRequest d =
			    FLYTEIDL__ADMIN__WORKFLOW_EXECUTION_GET_DATA_REQUEST__INIT;
			Flyteidl__Admin__WorkflowExecutionGetDataResponse *dr;
			d.id = child;
			code = ar_call(r, AR_M("GetExecutionData"), &d.base, &rep);
			dr = code == 0 ? flyteidl__admin__workflow_execution_get_data_response__unpack(
			                     &r->arena.pa, rep.payload_len,
			                     rep.payload)
			               : NULL;
			keel_client_reply_free(&rep);
			res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED;
			res->out = dr && dr->full_outputs
			               ? dr->full_outputs
			               : AR_NEW(&r->arena, Flyteidl__Core__LiteralMap,
			                        flyteidl__core__literal_map__init);
			return;
		}
		if (phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED ||
		    phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT ||
		    phase == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED) {
			res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
			res->err = e->closure->error
			               ? e->closure->error
			               : ar_error(r, "ChildExecutionFailed", 1,
			                          "child execution %s ended %s",
			                          child->name,
			                          phase == 7 ? "ABORTED"
			                                     : "FAILED");
			return;
		}
		ar_nap(r, backoff);
	}
nomem:
	res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
	res->err = ar_error(r, "AgentError", 2, "out of memory");
}

/* ---- gate nodes ---------------------------------------------------- */

static void ar_gate_node(struct ar_node *nd, struct ar_result *res)
{
	struct arun *r = nd->s->r;
	const Flyteidl__Core__GateNode *gn = nd->n->gate_node;
	Flyteidl__Admin__SignalGetOrCreateRequest q =
	    FLYTEIDL__ADMIN__SIGNAL_GET_OR_CREATE_REQUEST__INIT;
	Flyteidl__Core__SignalIdentifier sid =
	    FLYTEIDL__CORE__SIGNAL_IDENTIFIER__INIT;
	Flyteidl__Core__LiteralType booltype = FLYTEIDL__CORE__LITERAL_TYPE__INIT;
	const char *outvar = NULL;
	struct keel_client_reply rep;
	int code;

	memset(res, 0, sizeof(*res));
	if (gn->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP) {
		int64_t until = ar_mono_ms() +
		                ar_dur_ms(gn->sleep ? gn->sleep->duration : NULL);
		while (ar_mono_ms() < until && !ar_aborting(r))
			ar_nap(r, until - ar_mono_ms());
		res->phase = ar_aborting(r)
		                 ? FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED
		                 : FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED;
		res->out = AR_NEW(&r->arena, Flyteidl__Core__LiteralMap,
		                  flyteidl__core__literal_map__init);
		return;
	}
	sid.execution_id = r->xid;
	if (gn->condition_case == FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL &&
	    gn->signal != NULL) {
		sid.signal_id = gn->signal->signal_id;
		q.type = gn->signal->type;
		outvar = gn->signal->output_variable_name;
	} else if (gn->condition_case ==
	               FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE &&
	           gn->approve != NULL) {
		sid.signal_id = gn->approve->signal_id;
		booltype.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
		booltype.simple = FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN;
		q.type = &booltype;
	} else {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "BadTaskSpecification", 1,
		                    "gate node %s has no condition", nd->n->id);
		return;
	}
	q.id = &sid;
	for (int64_t backoff = 200;;
	     backoff = backoff < 2000 ? backoff * 2 : 2000) {
		Flyteidl__Admin__Signal *sg;
		if (ar_aborting(r)) {
			res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED;
			return;
		}
		code = ar_call(r, "/flyteidl.service.SignalService/GetOrCreateSignal",
		               &q.base, &rep);
		sg = code == 0 ? flyteidl__admin__signal__unpack(
		                     &r->arena.pa, rep.payload_len, rep.payload)
		               : NULL;
		if (code != 0 && code != 14)
			agent_log("warn", "%s/%s/%s: signal %s: %s", r->project,
			          r->domain, r->name, sid.signal_id, rep.message);
		keel_client_reply_free(&rep);
		if (sg != NULL && sg->value != NULL) {
			res->out = AR_NEW(&r->arena, Flyteidl__Core__LiteralMap,
			                  flyteidl__core__literal_map__init);
			if (res->out == NULL)
				break;
			if (outvar != NULL && outvar[0] != '\0')
				lit_map_set(&r->arena.pa, res->out, outvar,
				            sg->value);
			if (gn->condition_case ==
			        FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE &&
			    !(sg->value->scalar && sg->value->scalar->primitive &&
			      sg->value->scalar->primitive->boolean)) {
				res->phase =
				    FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
				res->err = ar_error(r, "ApprovalRejected", 1,
				                    "node %s was not approved "
				                    "(signal %s)",
				                    nd->n->id, sid.signal_id);
				return;
			}
			res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED;
			return;
		}
		ar_nap(r, backoff);
	}
	res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
	res->err = ar_error(r, "AgentError", 2, "out of memory");
}

/* ---- one node, whatever it is --------------------------------------- */

/* Run a node in scope s (its inputs resolved here) with unique id uid. */
static void ar_node_exec(struct ar_scope *s, const Flyteidl__Core__Node *n,
                         struct ar_result *res)
{
	struct arun *r = s->r;
	struct ar_node nd = {s, n, NULL, NULL, NULL};
	char err[1024];
	int is_parent = 0;

	memset(res, 0, sizeof(*res));
	nd.uid = ar_printf(&r->arena, "%s%s", s->prefix, n->id);
	nd.id = AR_NEW(&r->arena, Flyteidl__Core__NodeExecutionIdentifier,
	               flyteidl__core__node_execution_identifier__init);
	if (nd.uid == NULL || nd.id == NULL) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "AgentError", 2, "out of memory");
		return;
	}
	nd.id->node_id = (char *)nd.uid;
	nd.id->execution_id = r->xid;
	if (leval_bindings(&r->arena.pa, n->inputs, n->n_inputs, ar_lookup, s,
	                   &nd.inputs, err, sizeof(err)) != 0) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "BindingResolutionError", 1, "node %s: %s",
		                    n->id, err);
		ar_node_event(&nd, res->phase, res, 0, NULL);
		return;
	}
	ar_node_event(&nd, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__QUEUED, NULL,
	              0, NULL);
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		ar_node_event(&nd, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING,
		              NULL, 0, NULL);
		ar_task_node(&nd, res);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		if (n->workflow_node->reference_case ==
		    FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF) {
			ar_lp_node(&nd, res);
		} else {
			const Flyteidl__Core__CompiledWorkflow *sw =
			    ar_subwf(r, n->workflow_node->sub_workflow_ref);
			struct ar_scope sub = {0};
			is_parent = 1;
			ar_node_event(&nd,
			              FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING,
			              NULL, 1, NULL);
			if (sw == NULL || sw->template_ == NULL) {
				res->phase =
				    FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
				res->err = ar_error(r, "BadTaskSpecification", 1,
				                    "node %s: its subworkflow is not "
				                    "in the closure",
				                    n->id);
				break;
			}
			sub.r = r;
			sub.t = sw->template_;
			sub.inputs = nd.inputs;
			sub.prefix = ar_printf(&r->arena, "%s-0-", nd.uid);
			sub.parent = nd.uid;
			ar_walk(&sub, res);
		}
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE: {
		const Flyteidl__Core__Node *chosen = NULL;
		struct leval_failure fail = {0};
		is_parent = 1;
		ar_node_event(&nd, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING,
		              NULL, 1, NULL);
		if (leval_branch(n->branch_node->if_else, nd.inputs, &chosen,
		                 &fail, err, sizeof(err)) != 0) {
			res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
			res->err = ar_error(r,
			                    fail.code ? fail.code
			                              : "IllegalStateError",
			                    fail.user ? 1 : 2, "%s", err);
		} else {
			/* The chosen node binds to the branch's own
			 * upstreams: run it in the branch's scope, one level
			 * down in ids. */
			struct ar_scope in = *s;
			in.prefix = ar_printf(&r->arena, "%s-0-", nd.uid);
			in.parent = nd.uid;
			ar_node_exec(&in, chosen, res);
		}
		break;
	}
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE:
		ar_node_event(&nd, FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING,
		              NULL, 0, NULL);
		ar_gate_node(&nd, res);
		break;
	default:
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "Unsupported", 1,
		                    "node %s: array nodes (map tasks) are not "
		                    "supported by the local executor yet",
		                    n->id);
		break;
	}
	if (res->phase == 0) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "AgentError", 2, "node %s: no outcome",
		                    n->id);
	}
	/* Stopping agent: keeld may be gone; refused: keeld has decided. */
	if (res->phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED &&
	    (ar_aborting(r) == AR_ABORT_STOP ||
	     ar_aborting(r) == AR_ABORT_REFUSED))
		return;
	ar_node_event(&nd, res->phase, res, is_parent, NULL);
}

/* ---------------------------------------------------------------------
 * Walking a workflow
 * ------------------------------------------------------------------- */

struct ar_job {
	struct ar_scope *s;
	size_t idx;
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
};

static void *ar_job_thread(void *arg)
{
	struct ar_job *j = arg;
	struct ar_result res;

	ar_node_exec(j->s, j->s->nodes[j->idx], &res);
	pthread_mutex_lock(j->mu);
	if (res.phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED) {
		j->s->state[j->idx] = AR_N_OK;
		j->s->out[j->idx] = res.out;
	} else {
		j->s->state[j->idx] = AR_N_FAIL;
		if (j->s->fail == NULL && res.err != NULL) {
			j->s->fail = res.err;
			j->s->fail_phase = res.phase;
		}
		if (j->s->fail_phase == 0)
			j->s->fail_phase = res.phase;
	}
	j->s->running--;
	pthread_cond_broadcast(j->cv);
	pthread_mutex_unlock(j->mu);
	free(j);
	return NULL;
}

static int ar_is_ready(const struct ar_scope *s, size_t i)
{
	const Flyteidl__Core__Node *n = s->nodes[i];

	for (size_t u = 0; u < n->n_upstream_node_ids; u++) {
		const char *up = n->upstream_node_ids[u];
		if (strcmp(up, "start-node") == 0)
			continue;
		for (size_t k = 0; k < s->n; k++)
			if (strcmp(s->nodes[k]->id, up) == 0 &&
			    s->state[k] != AR_N_OK)
				return 0;
	}
	return 1;
}

/*
 * Run every node of s->t as its upstreams succeed, each in a thread;
 * stop starting nodes after a failure (and, under FAIL_IMMEDIATELY, stop
 * the running ones).  Then the workflow's outputs from its bindings.
 */
static int ar_walk(struct ar_scope *s, struct ar_result *res)
{
	struct arun *r = s->r;
	const Flyteidl__Core__WorkflowTemplate *t = s->t;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	int fail_now = !(t->metadata &&
	                 t->metadata->on_failure ==
	                     FLYTEIDL__CORE__WORKFLOW_METADATA__ON_FAILURE_POLICY__FAIL_AFTER_EXECUTABLE_NODES_COMPLETE);
	char err[1024];

	memset(res, 0, sizeof(*res));
	s->n = t->n_nodes;
	s->nodes = ar_alloc(&r->arena, (s->n + 1) * sizeof(*s->nodes));
	s->state = ar_alloc(&r->arena, (s->n + 1) * sizeof(*s->state));
	s->out = ar_alloc(&r->arena, (s->n + 1) * sizeof(*s->out));
	if (s->nodes == NULL || s->state == NULL || s->out == NULL) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "AgentError", 2, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < s->n; i++) {
		s->nodes[i] = t->nodes[i];
		/* start-node and end-node are bookkeeping: done at once. */
		if (strcmp(t->nodes[i]->id, "start-node") == 0 ||
		    strcmp(t->nodes[i]->id, "end-node") == 0)
			s->state[i] = AR_N_OK;
	}
	pthread_mutex_lock(&mu);
	for (;;) {
		int waiting = 0, started = 0;
		for (size_t i = 0; i < s->n; i++) {
			if (s->state[i] != AR_N_WAIT)
				continue;
			waiting++;
			if (s->fail != NULL || s->fail_phase != 0 ||
			    ar_aborting(r) || !ar_is_ready(s, i))
				continue;
			{
				struct ar_job *j = malloc(sizeof(*j));
				pthread_t tid;
				pthread_attr_t at;
				if (j == NULL)
					continue;
				*j = (struct ar_job){s, i, &mu, &cv};
				s->state[i] = AR_N_RUN;
				s->running++;
				pthread_attr_init(&at);
				pthread_attr_setdetachstate(
				    &at, PTHREAD_CREATE_DETACHED);
				if (pthread_create(&tid, &at, ar_job_thread, j) !=
				    0) {
					s->state[i] = AR_N_WAIT;
					s->running--;
					free(j);
				} else {
					started++;
				}
				pthread_attr_destroy(&at);
			}
		}
		if (s->running == 0 && started == 0) {
			/* Nothing runs and nothing can start: done. */
			(void)waiting;
			break;
		}
		if ((s->fail != NULL || s->fail_phase != 0) && fail_now &&
		    !ar_aborting(r)) {
			/* FAIL_IMMEDIATELY: the others stop.  Their tasks
			 * are killed through the run's process list. */
			pthread_mutex_lock(&r->mu);
			for (struct ar_proc *p = r->procs; p != NULL;
			     p = p->next)
				lproc_kill(p->p);
			pthread_mutex_unlock(&r->mu);
		}
		pthread_cond_wait(&cv, &mu);
	}
	pthread_mutex_unlock(&mu);
	if (ar_aborting(r)) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED;
		return 0;
	}
	if (s->fail != NULL || s->fail_phase != 0) {
		res->phase = s->fail_phase ? s->fail_phase
		                           : FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		if (res->phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED)
			res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = s->fail ? s->fail
		                   : ar_error(r, "AgentError", 2,
		                              "a node failed without an error");
		return 0;
	}
	if (leval_bindings(&r->arena.pa, t->outputs, t->n_outputs, ar_lookup,
	                   s, &res->out, err, sizeof(err)) != 0) {
		res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
		res->err = ar_error(r, "BindingResolutionError", 1,
		                    "workflow outputs: %s", err);
		return 0;
	}
	res->phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED;
	return 0;
}

/* ---------------------------------------------------------------------
 * The run's thread
 * ------------------------------------------------------------------- */

static void ar_mark_done(struct arun *r)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/done", r->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (write(fd, r->phase, strlen(r->phase)) < 0)
			agent_log("warn", "cannot write %s", path);
		fsync(fd);
		close(fd);
	}
}

/* Read the inputs: inline in the launch, else the file:// URI. */
static int ar_inputs(struct arun *r, char *err, size_t errlen)
{
	const char *uri = r->req->inputs_uri;

	if (r->req->has_inputs) {
		r->inputs = flyteidl__core__literal_map__unpack(
		    &r->arena.pa, r->req->inputs.len,
		    r->req->inputs.len ? r->req->inputs.data
		                       : (const uint8_t *)"");
		if (r->inputs == NULL)
			snprintf(err, errlen, "the inputs do not decode");
		return r->inputs ? 0 : -1;
	}
	if (uri != NULL && strncmp(uri, "file://", 7) == 0)
		return lit_map_read(uri + 7, 0, &r->arena.pa, &r->inputs, err,
		                    errlen);
	snprintf(err, errlen,
	         "the inputs are at %s, which the local agent cannot read "
	         "(only file:// URIs)",
	         uri ? uri : "(none)");
	return -1;
}

static void *ar_run_thread(void *arg)
{
	struct arun *r = arg;
	struct agent *ag = r->ag;
	struct ar_scope s = {0};
	struct ar_result res = {0};
	char err[1024];
	int phase, delivered;

	if (ar_inputs(r, err, sizeof(err)) != 0) {
		ar_wf_event(r, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED,
		            NULL,
		            ar_error(r, "InputsUnavailable", 2, "%s", err));
		snprintf(r->phase, sizeof(r->phase), "FAILED");
		ar_mark_done(r);
		goto out;
	}
	ar_wf_event(r, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING, NULL,
	            NULL);
	s.r = r;
	s.t = r->cl->primary->template_;
	s.inputs = r->inputs;
	s.prefix = "";
	s.parent = NULL;
	if (!ar_aborting(r))
		ar_walk(&s, &res);
	else
		res.phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED;

	/* The failure node runs after a failure, with the workflow's
	 * inputs; the workflow still fails with the original error. */
	if (res.phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED &&
	    s.t->failure_node != NULL && !ar_aborting(r)) {
		struct ar_result fres;
		agent_log("info", "%s/%s/%s: running the failure node %s",
		          r->project, r->domain, r->name, s.t->failure_node->id);
		ar_node_exec(&s, s.t->failure_node, &fres);
	}
	switch (ar_aborting(r)) {
	case AR_ABORT_USER:
		phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED;
		delivered = ar_wf_event(r, phase, NULL, NULL) == 0;
		break;
	case AR_ABORT_STOP:
		/* Try once, briefly: keeld may be the one stopping us. */
		phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED;
		delivered = 0;
		break;
	case AR_ABORT_REFUSED:
		/* Terminated at keeld (ABORTING waits for this) or already
		 * over there: either way keeld has the final word. */
		phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED;
		ar_wf_event(r, phase, NULL, NULL);
		delivered = 1;
		break;
	default:
		if (res.phase == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED) {
			phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED;
			delivered = ar_wf_event(r, phase, res.out, NULL) == 0;
		} else {
			phase = res.phase ==
			                FLYTEIDL__CORE__NODE_EXECUTION__PHASE__TIMED_OUT
			            ? FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT
			            : FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED;
			delivered = ar_wf_event(r, phase, NULL,
			                        res.err ? res.err
			                                : ar_error(r, "Unknown", 2,
			                                           "failed")) == 0;
		}
		break;
	}
	snprintf(r->phase, sizeof(r->phase), "%s",
	         phase == 4   ? "SUCCEEDED"
	         : phase == 7 ? "ABORTED"
	         : phase == 8 ? "TIMED_OUT"
	                      : "FAILED");
	if (delivered)
		ar_mark_done(r);
	agent_log("info", "%s/%s/%s: %s%s", r->project, r->domain, r->name,
	          r->phase, delivered ? "" : " (not reported: left for the "
	                                     "next agent)");
out:
	pthread_mutex_lock(&ag->mu);
	r->finished = 1;
	pthread_cond_broadcast(&ag->cv);
	pthread_mutex_unlock(&ag->mu);
	return NULL;
}

/* ---------------------------------------------------------------------
 * Registry: launch, abort, status
 * ------------------------------------------------------------------- */

static int ar_name_ok(const char *s)
{
	if (s == NULL || s[0] == '\0' || s[0] == '.' || strlen(s) >= 128)
		return 0;
	return strchr(s, '/') == NULL;
}

static struct arun *ar_find(struct agent *ag, const char *p, const char *d,
                            const char *n)
{
	for (struct arun *r = ag->runs; r != NULL; r = r->next)
		if (strcmp(r->project, p) == 0 && strcmp(r->domain, d) == 0 &&
		    strcmp(r->name, n) == 0)
			return r;
	return NULL;
}

static void ar_free(struct arun *r)
{
	if (r->req != NULL)
		keel__local__v1__launch_request__free_unpacked(r->req, NULL);
	ar_fini(&r->arena);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

/* Join and free the runs that finished (ag->mu held). */
static void ar_reap(struct agent *ag)
{
	struct arun **pp = &ag->runs;

	while (*pp != NULL) {
		struct arun *r = *pp;
		if (!r->finished) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		pthread_join(r->tid, NULL);
		ar_free(r);
	}
}

static int ar_write_file(const char *path, const uint8_t *p, size_t n)
{
	char tmp[PATH_MAX + 128];
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	ok = (n == 0 || write(fd, p, n) == (ssize_t)n) && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Build a run from a decoded launch (not started). */
static struct arun *ar_new(struct agent *ag, Keel__Local__V1__LaunchRequest *q,
                           char *err, size_t errlen)
{
	struct arun *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->ag = ag;
	r->req = q;
	ar_init(&r->arena);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	snprintf(r->project, sizeof(r->project), "%s", q->project);
	snprintf(r->domain, sizeof(r->domain), "%s", q->domain);
	snprintf(r->name, sizeof(r->name), "%s", q->name);
	snprintf(r->cluster, sizeof(r->cluster), "%s", q->cluster);
	snprintf(r->dir, sizeof(r->dir), "%s/runs/%s/%s/%s", ag->state_dir,
	         q->project, q->domain, q->name);
	r->par_max = q->max_parallelism;
	r->xid = AR_NEW(&r->arena, Flyteidl__Core__WorkflowExecutionIdentifier,
	                flyteidl__core__workflow_execution_identifier__init);
	if (r->xid != NULL) {
		r->xid->project = r->project;
		r->xid->domain = r->domain;
		r->xid->name = r->name;
	}
	r->cl = flyteidl__core__compiled_workflow_closure__unpack(
	    &r->arena.pa, q->closure.len,
	    q->closure.len ? q->closure.data : (const uint8_t *)"");
	if (r->xid == NULL || r->cl == NULL || r->cl->primary == NULL ||
	    r->cl->primary->template_ == NULL) {
		snprintf(err, errlen,
		         "the workflow closure of %s/%s/%s does not decode as a "
		         "flyteidl.core.CompiledWorkflowClosure",
		         q->project, q->domain, q->name);
		r->req = NULL;
		ar_free(r);
		return NULL;
	}
	return r;
}

int agent_run_launch(struct agent *ag, const uint8_t *req, size_t len,
                     int *existed, int *code, char *err, size_t errlen)
{
	Keel__Local__V1__LaunchRequest *q =
	    keel__local__v1__launch_request__unpack(NULL, len, req);
	struct arun *r;
	char path[PATH_MAX + 64];
	struct stat st;

	*existed = 0;
	*code = 3;
	if (q == NULL) {
		snprintf(err, errlen, "LaunchRequest does not decode");
		return -1;
	}
	if (!ar_name_ok(q->project) || !ar_name_ok(q->domain) ||
	    !ar_name_ok(q->name) || strlen(q->cluster) >= 128) {
		snprintf(err, errlen,
		         "execution id '%s/%s/%s' cannot name a directory",
		         q->project, q->domain, q->name);
		keel__local__v1__launch_request__free_unpacked(q, NULL);
		return -1;
	}
	pthread_mutex_lock(&ag->mu);
	ar_reap(ag);
	if (ag->stopping) {
		pthread_mutex_unlock(&ag->mu);
		keel__local__v1__launch_request__free_unpacked(q, NULL);
		*code = 14;
		snprintf(err, errlen, "the agent is stopping");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/runs/%s/%s/%s/launch.pb",
	         ag->state_dir, q->project, q->domain, q->name);
	/* Accepted before (live, finished, or left by a dead agent for
	 * recovery): a repeated launch changes nothing. */
	if (ar_find(ag, q->project, q->domain, q->name) != NULL ||
	    stat(path, &st) == 0) {
		pthread_mutex_unlock(&ag->mu);
		keel__local__v1__launch_request__free_unpacked(q, NULL);
		*existed = 1;
		return 0;
	}
	r = ar_new(ag, q, err, errlen);
	if (r == NULL) {
		pthread_mutex_unlock(&ag->mu);
		keel__local__v1__launch_request__free_unpacked(q, NULL);
		return -1;
	}
	if (pu_mkdirs(r->dir, 0750) != 0 || ar_write_file(path, req, len) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		         strerror(errno));
		*code = 13;
		ar_free(r);
		pthread_mutex_unlock(&ag->mu);
		return -1;
	}
	if (pthread_create(&r->tid, NULL, ar_run_thread, r) != 0) {
		snprintf(err, errlen, "cannot start a thread for the run");
		*code = 14;
		unlink(path);
		ar_free(r);
		pthread_mutex_unlock(&ag->mu);
		return -1;
	}
	r->next = ag->runs;
	ag->runs = r;
	pthread_mutex_unlock(&ag->mu);
	agent_log("info", "%s/%s/%s: launched on cluster %s", r->project,
	          r->domain, r->name, r->cluster);
	return 0;
}

int agent_run_abort(struct agent *ag, const char *project, const char *domain,
                    const char *name, const char *cause, int *known)
{
	struct arun *r;

	pthread_mutex_lock(&ag->mu);
	r = ar_find(ag, project, domain, name);
	if (r != NULL && !r->finished) {
		*known = 1;
		ar_abort(r, AR_ABORT_USER, cause);
		pthread_mutex_unlock(&ag->mu);
		agent_log("info", "%s/%s/%s: aborting (%s)", project, domain,
		          name, cause);
		return 0;
	}
	pthread_mutex_unlock(&ag->mu);
	/* Finished here, or never seen: keeld marks it ABORTED itself. */
	*known = 0;
	return 0;
}

void agent_run_status(struct agent *ag, const char *project,
                      const char *domain, const char *name, int *known,
                      int *active, char *phase, size_t phaselen)
{
	struct arun *r;
	char path[PATH_MAX + 64];
	struct stat st;

	*known = *active = 0;
	phase[0] = '\0';
	pthread_mutex_lock(&ag->mu);
	r = ar_find(ag, project, domain, name);
	if (r != NULL) {
		*known = 1;
		*active = !r->finished;
		snprintf(phase, phaselen, "%s",
		         r->finished ? r->phase : "RUNNING");
	}
	pthread_mutex_unlock(&ag->mu);
	if (r != NULL || !ar_name_ok(project) || !ar_name_ok(domain) ||
	    !ar_name_ok(name))
		return;
	snprintf(path, sizeof(path), "%s/runs/%s/%s/%s/done", ag->state_dir,
	         project, domain, name);
	if (stat(path, &st) != 0) {
		/* Accepted by an earlier agent and not finished: recovery
		 * is about to report it. */
		snprintf(path, sizeof(path), "%s/runs/%s/%s/%s/launch.pb",
		         ag->state_dir, project, domain, name);
		if (stat(path, &st) == 0) {
			*known = *active = 1;
			snprintf(phase, phaselen, "RECOVERING");
		}
	} else {
		FILE *f = fopen(path, "r");
		*known = 1;
		if (f != NULL) {
			if (fgets(phase, (int)phaselen, f) == NULL)
				phase[0] = '\0';
			fclose(f);
		}
	}
}

int agent_run_count(struct agent *ag)
{
	int n = 0;

	pthread_mutex_lock(&ag->mu);
	for (struct arun *r = ag->runs; r != NULL; r = r->next)
		n += !r->finished;
	pthread_mutex_unlock(&ag->mu);
	return n;
}

void agent_run_stop_all(struct agent *ag)
{
	pthread_mutex_lock(&ag->mu);
	ag->stopping = 1;
	for (struct arun *r = ag->runs; r != NULL; r = r->next)
		ar_abort(r, AR_ABORT_STOP, "the local agent is stopping");
	pthread_cond_broadcast(&ag->cv);
	for (struct arun *r = ag->runs; r != NULL; r = r->next) {
		pthread_mutex_unlock(&ag->mu);
		pthread_join(r->tid, NULL);
		pthread_mutex_lock(&ag->mu);
		r->finished = 2; /* joined */
	}
	while (ag->runs != NULL) {
		struct arun *r = ag->runs;
		ag->runs = r->next;
		ar_free(r);
	}
	pthread_mutex_unlock(&ag->mu);
}

/* ---------------------------------------------------------------------
 * Recovery: what a dead agent left
 * ------------------------------------------------------------------- */

/* Kill the process group recorded in path (a task's "proc" file) when it
 * is still the one the earlier agent started; the file goes. */
static void ar_kill_proc_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;
	unsigned long long ticks = 0;

	if (f == NULL)
		return;
	if (fscanf(f, "%d %llu", &pid, &ticks) == 2 && pid > 1 &&
	    lproc_kill_stale(pid, ticks) > 0)
		agent_log("info", "killed process group %d left by an earlier "
		          "agent",
		          pid);
	fclose(f);
	unlink(path);
}

/*
 * The attempts a dead agent left running (nodes/<uid>/<attempt>/proc):
 * kill what is left of them and report the attempt and its node FAILED
 * with err, so no node stays RUNNING either.
 */
static void ar_recover_nodes(struct arun *r, Flyteidl__Core__ExecutionError *e)
{
	char nodes[PATH_MAX + 64];
	DIR *d;
	struct dirent *ne;

	snprintf(nodes, sizeof(nodes), "%s/nodes", r->dir);
	d = opendir(nodes);
	if (d == NULL)
		return;
	while ((ne = readdir(d)) != NULL) {
		char ndir[PATH_MAX + 384];
		DIR *ad;
		struct dirent *ae;
		if (ne->d_name[0] == '.')
			continue;
		snprintf(ndir, sizeof(ndir), "%s/%s", nodes, ne->d_name);
		ad = opendir(ndir);
		while (ad != NULL && (ae = readdir(ad)) != NULL) {
			char proc[PATH_MAX + 704], tpath[PATH_MAX + 704];
			Flyteidl__Core__TaskTemplate *tt = NULL;
			struct ar_scope sc = {.r = r};
			Flyteidl__Core__Node node = FLYTEIDL__CORE__NODE__INIT;
			struct ar_node nd = {&sc, &node, NULL, NULL, NULL};
			struct ar_result res = {0};
			struct stat st;
			if (ae->d_name[0] == '.')
				continue;
			snprintf(proc, sizeof(proc), "%s/%s/proc", ndir,
			         ae->d_name);
			if (stat(proc, &st) != 0)
				continue;
			ar_kill_proc_file(proc);
			snprintf(tpath, sizeof(tpath), "%s/%s/task.pb", ndir,
			         ae->d_name);
			{
				FILE *f = fopen(tpath, "rb");
				uint8_t *buf = malloc(1 << 20);
				size_t n = f && buf ? fread(buf, 1, 1 << 20, f)
				                    : 0;
				if (f != NULL)
					fclose(f);
				if (n > 0)
					tt = flyteidl__core__task_template__unpack(
					    &r->arena.pa, n, buf);
				free(buf);
			}
			node.id = ar_printf(&r->arena, "%s", ne->d_name);
			nd.uid = node.id;
			nd.id = AR_NEW(&r->arena,
			               Flyteidl__Core__NodeExecutionIdentifier,
			               flyteidl__core__node_execution_identifier__init);
			if (node.id == NULL || nd.id == NULL)
				continue;
			nd.id->node_id = node.id;
			nd.id->execution_id = r->xid;
			res.phase = FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED;
			res.err = e;
			if (tt != NULL && tt->id != NULL)
				ar_task_event(&nd, tt,
				              (uint32_t)strtoul(ae->d_name, NULL, 10),
				              FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED,
				              NULL, &res);
			ar_node_event(&nd, res.phase, &res, 0, NULL);
		}
		if (ad != NULL)
			closedir(ad);
	}
	closedir(d);
}

/* Fail one left-over execution; 0 once keeld has the event. */
static int ar_recover_one(struct agent *ag, const char *dir)
{
	char path[PATH_MAX + 192], err[256];
	uint8_t *buf = NULL;
	size_t len = 0;
	Keel__Local__V1__LaunchRequest *q = NULL;
	struct arun *r = NULL;
	Flyteidl__Core__ExecutionError *e;
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/launch.pb", dir);
	f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		if (n >= 0 && (buf = malloc((size_t)n + 1)) != NULL) {
			fseek(f, 0, SEEK_SET);
			len = fread(buf, 1, (size_t)n, f);
		}
	}
	fclose(f);
	q = buf ? keel__local__v1__launch_request__unpack(NULL, len, buf) : NULL;
	free(buf);
	if (q == NULL) {
		agent_log("error", "%s: does not decode; leaving it", path);
		return 0;
	}
	r = ar_new(ag, q, err, sizeof(err));
	if (r == NULL) {
		agent_log("error", "%s: %s", path, err);
		keel__local__v1__launch_request__free_unpacked(q, NULL);
		return 0;
	}
	e = ar_error(r, "AgentRestarted", 2,
	             "keel-local-agent stopped while this execution was "
	             "running (keeld shut down, or the agent was stopped or "
	             "crashed); its tasks were killed. Relaunch the execution "
	             "to run it again.");
	ar_recover_nodes(r, e);
	rc = ar_wf_event(r, FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED,
	                 NULL, e);
	if (rc == 0 || ar_aborting(r) == AR_ABORT_REFUSED) {
		snprintf(r->phase, sizeof(r->phase), "FAILED");
		ar_mark_done(r);
		agent_log("info", "%s/%s/%s: failed as left unfinished by an "
		          "earlier agent",
		          r->project, r->domain, r->name);
		rc = 0;
	}
	ar_free(r);
	return rc;
}

static void ar_recover_dir(struct agent *ag, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX + 64], done[PATH_MAX + 128];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (depth < 2) {
			ar_recover_dir(ag, path, depth + 1);
			continue;
		}
		snprintf(done, sizeof(done), "%s/done", path);
		if (stat(done, &st) == 0)
			continue;
		ar_recover_one(ag, path);
	}
	closedir(d);
}

static void *ar_recover_thread(void *arg)
{
	struct agent *ag = arg;
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/runs", ag->state_dir);
	ar_recover_dir(ag, dir, 0);
	return NULL;
}

void agent_run_recover(struct agent *ag)
{
	pthread_t tid;
	pthread_attr_t at;

	/* In the background: keeld may not answer yet, and the server must
	 * answer keeld's readiness probe meanwhile. */
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &at, ar_recover_thread, ag) != 0)
		ar_recover_thread(ag);
	pthread_attr_destroy(&at);
}
