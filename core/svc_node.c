/*
 * svc_node.c -- reading node and task executions: Get, List (top level,
 * children of a node, children of a task), their data, and the compiled
 * closure of a dynamic node (reference/flyteadmin-behaviour.md §4.2,
 * §4.3, §3.10, §5.2).
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/node_execution.pb-c.h"
#include "flyteidl/admin/task_execution.pb-c.h"
#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "flyteidl/core/metrics.pb-c.h"
#include "flyteidl/admin/execution.pb-c.h"
#include "repo_exec.h"
#include "repo_list.h"
#include "repo_node.h"
#include "svc.h"
#include "svc_exec.h"
#include "svc_list.h"
#include "svc_ver.h"
#include "util.h"

/* Closures keep outputs in the deprecated fields Flyte clients read. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* Lists trim error messages to this many bytes (§5.5). */
#define SVC_NODE_LIST_ERR_MAX 100

static int svc_node_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

struct svc_node_read {
	struct call *c;
	const Flyteidl__Core__NodeExecutionIdentifier *id;
	const Flyteidl__Core__TaskExecutionIdentifier *tid;
	struct repo_exec exec;
	struct repo_node node;
	struct repo_task task;
};

static int svc_node_read_tx(struct db_conn *dc, void *arg,
                            struct keel_err *err)
{
	struct svc_node_read *x = arg;
	const Flyteidl__Core__WorkflowExecutionIdentifier *e =
	    x->id->execution_id;
	int rc;

	rc = repo_exec_read(dc, x->c->arena, e->project, e->domain, e->name,
	                    &x->exec, err);
	if (rc == 0)
		rc = repo_node_read(dc, x->c->arena, x->exec.id, x->id->node_id,
		                    &x->node, err);
	if (rc == 0 && x->tid != NULL)
		rc = repo_task_read(dc, x->c->arena, x->node.id,
		                    x->tid->task_id->project,
		                    x->tid->task_id->domain, x->tid->task_id->name,
		                    x->tid->task_id->version,
		                    (int)x->tid->retry_attempt, &x->task, err);
	return rc;
}

static int svc_node_check_id(struct call *c,
                             const Flyteidl__Core__NodeExecutionIdentifier *id)
{
	if (id == NULL || id->execution_id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing node execution id");
	if (svc_node_empty(id->node_id))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing node_id");
	return svc_exec_check_id(c, id->execution_id);
}

static int svc_node_check_tid(struct call *c,
                              const Flyteidl__Core__TaskExecutionIdentifier *id)
{
	if (id == NULL || id->task_id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing task_id");
	if (svc_node_empty(id->task_id->project) ||
	    svc_node_empty(id->task_id->domain) ||
	    svc_node_empty(id->task_id->name) ||
	    svc_node_empty(id->task_id->version))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "task_id needs project, domain, name and "
		                  "version");
	return svc_node_check_id(c, id->node_execution_id);
}

/* Load a node (and, with tid, a task) execution; NOT_FOUND naming it. */
static int svc_node_load(struct call *c, struct svc_node_read *x)
{
	struct keel_err err = {0};
	int rc = db_tx(c->svc->db, KEEL_DB_TX_READ, svc_node_read_tx, x, &err);

	if (rc != 0)
		return call_fail(c, rc, err.msg);
	return 0;
}

static Flyteidl__Core__NodeExecutionIdentifier *
svc_node_id(struct call *c, const struct repo_exec *e, const char *node_id)
{
	Flyteidl__Core__NodeExecutionIdentifier *id =
	    call_new(c, &flyteidl__core__node_execution_identifier__descriptor);
	Flyteidl__Core__WorkflowExecutionIdentifier *x = call_new(
	    c, &flyteidl__core__workflow_execution_identifier__descriptor);

	if (id == NULL || x == NULL)
		return NULL;
	x->project = (char *)e->project;
	x->domain = (char *)e->domain;
	x->name = (char *)e->name;
	x->org = (char *)e->org;
	id->execution_id = x;
	id->node_id = (char *)node_id;
	return id;
}

static Flyteidl__Admin__NodeExecution *
svc_node_msg(struct call *c, const struct repo_exec *e,
             const struct repo_node *n, int trim)
{
	Flyteidl__Admin__NodeExecution *m =
	    call_new(c, &flyteidl__admin__node_execution__descriptor);

	if (m == NULL)
		return NULL;
	m->id = svc_node_id(c, e, n->node_id);
	m->input_uri = (char *)n->input_uri;
	m->closure = svc_unpack(c, &flyteidl__admin__node_execution_closure__descriptor,
	                        n->closure, n->closure_len,
	                        "node execution closure");
	m->metadata = svc_unpack(c,
	                         &flyteidl__admin__node_execution_meta_data__descriptor,
	                         n->metadata, n->metadata_len,
	                         "node execution metadata");
	if (m->id == NULL || m->closure == NULL || m->metadata == NULL)
		return NULL;
	if (trim && m->closure->output_result_case ==
	                FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR &&
	    m->closure->error != NULL && m->closure->error->message != NULL &&
	    strlen(m->closure->error->message) > SVC_NODE_LIST_ERR_MAX) {
		size_t k = SVC_NODE_LIST_ERR_MAX;
		while (k > 0 &&
		       ((unsigned char)m->closure->error->message[k] & 0xC0) ==
		           0x80)
			k--;
		m->closure->error->message =
		    arena_strndup(c->arena, m->closure->error->message, k);
	}
	return m;
}

static Flyteidl__Admin__TaskExecution *
svc_task_msg(struct call *c, const struct repo_exec *e,
             const struct repo_task *t)
{
	Flyteidl__Admin__TaskExecution *m =
	    call_new(c, &flyteidl__admin__task_execution__descriptor);
	Flyteidl__Core__TaskExecutionIdentifier *id =
	    call_new(c, &flyteidl__core__task_execution_identifier__descriptor);
	Flyteidl__Core__Identifier *tid =
	    call_new(c, &flyteidl__core__identifier__descriptor);

	if (m == NULL || id == NULL || tid == NULL)
		return NULL;
	tid->resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
	tid->project = (char *)t->project;
	tid->domain = (char *)t->domain;
	tid->name = (char *)t->name;
	tid->version = (char *)t->version;
	id->task_id = tid;
	id->node_execution_id = svc_node_id(c, e, t->node_id);
	id->retry_attempt = (uint32_t)t->retry_attempt;
	m->id = id;
	m->input_uri = (char *)t->input_uri;
	m->is_parent = t->is_parent != 0;
	m->closure = svc_unpack(c, &flyteidl__admin__task_execution_closure__descriptor,
	                        t->closure, t->closure_len,
	                        "task execution closure");
	if (id->node_execution_id == NULL || m->closure == NULL)
		return NULL;
	return m;
}

static int svc_get_node_execution(struct call *c, const ProtobufCMessage *req,
                                  ProtobufCMessage **resp)
{
	const Flyteidl__Admin__NodeExecutionGetRequest *r =
	    (const Flyteidl__Admin__NodeExecutionGetRequest *)req;
	struct svc_node_read x = {.c = c, .id = r->id};
	Flyteidl__Admin__NodeExecution *m;
	int rc;

	rc = svc_node_check_id(c, r->id);
	if (rc == 0)
		rc = svc_node_load(c, &x);
	if (rc != 0)
		return rc;
	m = svc_node_msg(c, &x.exec, &x.node, 0);
	if (m == NULL)
		return c->code ? -c->code
		               : call_error(c, RPC_RESOURCE_EXHAUSTED,
		                            "out of memory");
	*resp = &m->base;
	return 0;
}

/* One page of node executions of exec where extra (with args) holds. */
struct svc_node_list_ctx {
	struct call *c;
	const struct repo_exec *exec;
	int task; /* listing task executions */
	void **v;
	size_t n, cap;
};

static int svc_node_list_row(void *arg, const struct keel_db_val *cols,
                             size_t ncols)
{
	struct svc_node_list_ctx *x = arg;
	void *m;

	if (cols == NULL) {
		x->n = 0; /* the read starts over */
		return 0;
	}
	if (x->task) {
		struct repo_task t;
		if (repo_task_decode(x->c->arena, cols, ncols, &t) != 0)
			return KEEL_ENOMEM;
		m = svc_task_msg(x->c, x->exec, &t);
	} else {
		struct repo_node n;
		if (repo_node_decode(x->c->arena, cols, ncols, &n) != 0)
			return KEEL_ENOMEM;
		m = svc_node_msg(x->c, x->exec, &n, 1);
	}
	if (m == NULL)
		return KEEL_EINTERNAL;
	x->v = arena_grow(x->c->arena, x->v, x->n, &x->cap, sizeof(*x->v));
	if (x->v == NULL)
		return KEEL_ENOMEM;
	x->v[x->n++] = m;
	return 0;
}

static int svc_node_page(struct call *c, const char *what,
                         const struct repo_exec *exec, int task,
                         uint32_t limit, const char *filters,
                         const Flyteidl__Admin__Sort *sort_by,
                         const char *token, const char *where,
                         const struct keel_db_val *args, size_t nargs,
                         struct svc_node_list_ctx *x, char **next)
{
	static const char *const node_joined[] = {"execution", NULL};
	static const char *const task_joined[] = {"node_execution", "execution",
	                                          "task", NULL};
	struct svc_list_req lr = {what};
	struct repo_list q = {0};
	struct filter f;
	struct svc_page page;
	size_t n = 0;
	char *from;
	int rc;

	lr.limit = limit;
	lr.filters = filters;
	lr.sort_by = sort_by;
	lr.token = token;
	lr.cols = task ? repo_task_cols : repo_node_cols;
	lr.ncols = task ? repo_task_ncols : repo_node_ncols;
	lr.primary = task ? "task_execution" : "node_execution";
	lr.joined = task ? task_joined : node_joined;
	lr.default_sort = "created_at";
	lr.default_asc = 1;
	rc = svc_list_prepare(c, &lr, &q, &f, &page);
	if (rc != 0)
		return rc;
	if (task)
		from = arena_printf(
		    c->arena, "task_executions te%s%s%s",
		    filter_uses(&f, "node_execution")
		        ? " JOIN node_executions n ON n.id = te.node_execution_id"
		        : "",
		    filter_uses(&f, "execution")
		        ? " JOIN executions e ON e.id = te.execution_id"
		        : "",
		    filter_uses(&f, "task")
		        ? " LEFT JOIN tasks tk ON tk.project = te.project AND "
		          "tk.domain = te.domain AND tk.name = te.name AND "
		          "tk.version = te.version"
		        : "");
	else
		from = arena_printf(c->arena, "node_executions n%s",
		                    filter_uses(&f, "execution")
		                        ? " JOIN executions e ON e.id = "
		                          "n.execution_id"
		                        : "");
	if (from == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	q.select = task ? repo_task_select : repo_node_select;
	q.from = from;
	q.where = where;
	q.args = args;
	q.nargs = nargs;
	q.id_sql = task ? "te.id" : "n.id";
	x->c = c;
	x->exec = exec;
	x->task = task;
	rc = svc_list_exec(c, &lr, &q, &page, svc_node_list_row, x, &n, next);
	if (rc != 0 && c->code == 0)
		return call_error(c, RPC_INTERNAL, "cannot list %s", what);
	return rc;
}

static int svc_list_node_executions(struct call *c, const ProtobufCMessage *req,
                                    ProtobufCMessage **resp)
{
	const Flyteidl__Admin__NodeExecutionListRequest *r =
	    (const Flyteidl__Admin__NodeExecutionListRequest *)req;
	Flyteidl__Admin__NodeExecutionList *out;
	struct svc_node_list_ctx x = {0};
	struct keel_db_val args[2];
	struct repo_exec exec;
	const char *where;
	size_t nargs = 0;
	int rc;

	rc = svc_exec_load(c, r->workflow_execution_id, &exec);
	if (rc != 0)
		return rc;
	args[nargs++] = db_int(exec.id);
	if (svc_node_empty(r->unique_parent_id)) {
		/* Top-level nodes only (§4.2). */
		where = "n.execution_id = ? AND n.parent_id IS NULL AND "
		        "n.parent_task_execution_id IS NULL";
	} else {
		where = "n.execution_id = ? AND n.parent_id = (SELECT p.id "
		        "FROM node_executions p WHERE p.execution_id = "
		        "n.execution_id AND p.node_id = ?)";
		args[nargs++] = db_str(r->unique_parent_id);
	}
	out = call_new(c, &flyteidl__admin__node_execution_list__descriptor);
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_node_page(c, "ListNodeExecutions", &exec, 0, r->limit,
	                   r->filters, r->sort_by, r->token, where, args, nargs,
	                   &x, &out->token);
	if (rc != 0)
		return rc;
	out->node_executions = (Flyteidl__Admin__NodeExecution **)x.v;
	out->n_node_executions = x.n;
	*resp = &out->base;
	return 0;
}

static int svc_list_node_executions_for_task(struct call *c,
                                             const ProtobufCMessage *req,
                                             ProtobufCMessage **resp)
{
	const Flyteidl__Admin__NodeExecutionForTaskListRequest *r =
	    (const Flyteidl__Admin__NodeExecutionForTaskListRequest *)req;
	Flyteidl__Admin__NodeExecutionList *out;
	struct svc_node_read rd = {.c = c};
	struct svc_node_list_ctx x = {0};
	struct keel_db_val args[1];
	int rc;

	rc = svc_node_check_tid(c, r->task_execution_id);
	if (rc != 0)
		return rc;
	rd.id = r->task_execution_id->node_execution_id;
	rd.tid = r->task_execution_id;
	rc = svc_node_load(c, &rd);
	if (rc != 0)
		return rc;
	args[0] = db_int(rd.task.id);
	out = call_new(c, &flyteidl__admin__node_execution_list__descriptor);
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_node_page(c, "ListNodeExecutionsForTask", &rd.exec, 0,
	                   r->limit, r->filters, r->sort_by, r->token,
	                   "n.parent_task_execution_id = ?", args, 1, &x,
	                   &out->token);
	if (rc != 0)
		return rc;
	out->node_executions = (Flyteidl__Admin__NodeExecution **)x.v;
	out->n_node_executions = x.n;
	*resp = &out->base;
	return 0;
}

static int svc_get_task_execution(struct call *c, const ProtobufCMessage *req,
                                  ProtobufCMessage **resp)
{
	const Flyteidl__Admin__TaskExecutionGetRequest *r =
	    (const Flyteidl__Admin__TaskExecutionGetRequest *)req;
	struct svc_node_read x = {.c = c};
	Flyteidl__Admin__TaskExecution *m;
	int rc;

	rc = svc_node_check_tid(c, r->id);
	if (rc != 0)
		return rc;
	x.id = r->id->node_execution_id;
	x.tid = r->id;
	rc = svc_node_load(c, &x);
	if (rc != 0)
		return rc;
	m = svc_task_msg(c, &x.exec, &x.task);
	if (m == NULL)
		return c->code ? -c->code
		               : call_error(c, RPC_RESOURCE_EXHAUSTED,
		                            "out of memory");
	*resp = &m->base;
	return 0;
}

static int svc_list_task_executions(struct call *c, const ProtobufCMessage *req,
                                    ProtobufCMessage **resp)
{
	const Flyteidl__Admin__TaskExecutionListRequest *r =
	    (const Flyteidl__Admin__TaskExecutionListRequest *)req;
	Flyteidl__Admin__TaskExecutionList *out;
	struct svc_node_read rd = {.c = c, .id = r->node_execution_id};
	struct svc_node_list_ctx x = {0};
	struct keel_db_val args[1];
	int rc;

	rc = svc_node_check_id(c, r->node_execution_id);
	if (rc == 0)
		rc = svc_node_load(c, &rd);
	if (rc != 0)
		return rc;
	args[0] = db_int(rd.node.id);
	out = call_new(c, &flyteidl__admin__task_execution_list__descriptor);
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_node_page(c, "ListTaskExecutions", &rd.exec, 1, r->limit,
	                   r->filters, r->sort_by, r->token,
	                   "te.node_execution_id = ?", args, 1, &x, &out->token);
	if (rc != 0)
		return rc;
	out->task_executions = (Flyteidl__Admin__TaskExecution **)x.v;
	out->n_task_executions = x.n;
	*resp = &out->base;
	return 0;
}

/* The compiled closure of a dynamic node, or NULL (none recorded). */
static int svc_node_dynamic(struct call *c, const struct repo_node *n,
                            Flyteidl__Core__CompiledWorkflowClosure **out)
{
	ProtobufCMessage *m = NULL;
	int rc;

	*out = NULL;
	if (svc_node_empty(n->dynamic_workflow_uri))
		return 0;
	rc = svc_blob_get_msg(c, n->dynamic_workflow_uri,
	                      &flyteidl__core__compiled_workflow_closure__descriptor,
	                      64 << 20, &m);
	*out = (Flyteidl__Core__CompiledWorkflowClosure *)m;
	return rc;
}

static int svc_get_dynamic_node_workflow(struct call *c,
                                         const ProtobufCMessage *req,
                                         ProtobufCMessage **resp)
{
	const Flyteidl__Admin__GetDynamicNodeWorkflowRequest *r =
	    (const Flyteidl__Admin__GetDynamicNodeWorkflowRequest *)req;
	struct svc_node_read x = {.c = c, .id = r->id};
	Flyteidl__Admin__DynamicNodeWorkflowResponse *out;
	int rc;

	rc = svc_node_check_id(c, r->id);
	if (rc == 0)
		rc = svc_node_load(c, &x);
	if (rc != 0)
		return rc;
	out = call_new(c, &flyteidl__admin__dynamic_node_workflow_response__descriptor);
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_node_dynamic(c, &x.node, &out->compiled_workflow);
	if (rc != 0)
		return rc;
	if (out->compiled_workflow == NULL)
		return call_error(c, RPC_NOT_FOUND,
		                  "node execution %s of [%s/%s/%s] has no "
		                  "dynamic workflow",
		                  r->id->node_id, x.exec.project, x.exec.domain,
		                  x.exec.name);
	*resp = &out->base;
	return 0;
}

/* Inline output data (kept in the closure) is returned below the
 * limit. */
static Flyteidl__Core__LiteralMap *
svc_node_inline(struct call *c, Flyteidl__Core__LiteralMap *m)
{
	size_t n;

	if (m == NULL)
		return NULL;
	n = protobuf_c_message_get_packed_size(&m->base);
	return c->svc->exec.inline_data_max == 0 ||
	               (int64_t)n < c->svc->exec.inline_data_max
	           ? m
	           : NULL;
}

/* The inputs and outputs of a node or task execution: the input blob,
 * and the output blob (out_uri) or inline output data (out_data). */
static int svc_node_data(struct call *c, const char *input_uri,
                         const char *out_uri, Flyteidl__Core__LiteralMap *out_data,
                         Flyteidl__Admin__UrlBlob **inputs,
                         Flyteidl__Core__LiteralMap **full_inputs,
                         Flyteidl__Admin__UrlBlob **outputs,
                         Flyteidl__Core__LiteralMap **full_outputs)
{
	int rc = svc_exec_data_side(c, input_uri, inputs, full_inputs);

	if (rc == 0 && out_uri != NULL)
		rc = svc_exec_data_side(c, out_uri, outputs, full_outputs);
	else if (out_data != NULL)
		*full_outputs = svc_node_inline(c, out_data);
	return rc;
}

static int svc_get_node_execution_data(struct call *c,
                                       const ProtobufCMessage *req,
                                       ProtobufCMessage **resp)
{
	const Flyteidl__Admin__NodeExecutionGetDataRequest *r =
	    (const Flyteidl__Admin__NodeExecutionGetDataRequest *)req;
	struct svc_node_read x = {.c = c, .id = r->id};
	Flyteidl__Admin__NodeExecutionGetDataResponse *out;
	Flyteidl__Admin__NodeExecutionClosure *cl;
	Flyteidl__Core__CompiledWorkflowClosure *dyn = NULL;
	int rc;

	rc = svc_node_check_id(c, r->id);
	if (rc == 0)
		rc = svc_node_load(c, &x);
	if (rc != 0)
		return rc;
	out = call_new(c, &flyteidl__admin__node_execution_get_data_response__descriptor);
	cl = svc_unpack(c, &flyteidl__admin__node_execution_closure__descriptor,
	                x.node.closure, x.node.closure_len,
	                "node execution closure");
	if (cl == NULL)
		return -c->code;
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_node_data(
	    c, x.node.input_uri,
	    cl->output_result_case ==
	            FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_URI
	        ? cl->output_uri
	        : NULL,
	    cl->output_result_case ==
	            FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_DATA
	        ? cl->output_data
	        : NULL,
	    &out->inputs, &out->full_inputs, &out->outputs, &out->full_outputs);
	if (rc == 0)
		rc = svc_node_dynamic(c, &x.node, &dyn);
	if (rc != 0)
		return rc;
	if (dyn != NULL) {
		Flyteidl__Admin__DynamicWorkflowNodeMetadata *d = call_new(
		    c, &flyteidl__admin__dynamic_workflow_node_metadata__descriptor);
		if (d == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
		d->compiled_workflow = dyn;
		if (dyn->primary && dyn->primary->template_)
			d->id = dyn->primary->template_->id;
		d->dynamic_job_spec_uri = cl->dynamic_job_spec_uri;
		out->dynamic_workflow = d;
	}
	*resp = &out->base;
	return 0;
}

static int svc_get_task_execution_data(struct call *c,
                                       const ProtobufCMessage *req,
                                       ProtobufCMessage **resp)
{
	const Flyteidl__Admin__TaskExecutionGetDataRequest *r =
	    (const Flyteidl__Admin__TaskExecutionGetDataRequest *)req;
	struct svc_node_read x = {.c = c};
	Flyteidl__Admin__TaskExecutionGetDataResponse *out;
	Flyteidl__Admin__TaskExecutionClosure *cl;
	int rc;

	rc = svc_node_check_tid(c, r->id);
	if (rc != 0)
		return rc;
	x.id = r->id->node_execution_id;
	x.tid = r->id;
	rc = svc_node_load(c, &x);
	if (rc != 0)
		return rc;
	out = call_new(c, &flyteidl__admin__task_execution_get_data_response__descriptor);
	cl = svc_unpack(c, &flyteidl__admin__task_execution_closure__descriptor,
	                x.task.closure, x.task.closure_len,
	                "task execution closure");
	if (cl == NULL)
		return -c->code;
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_node_data(
	    c, x.task.input_uri,
	    cl->output_result_case ==
	            FLYTEIDL__ADMIN__TASK_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_URI
	        ? cl->output_uri
	        : NULL,
	    cl->output_result_case ==
	            FLYTEIDL__ADMIN__TASK_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_DATA
	        ? cl->output_data
	        : NULL,
	    &out->inputs, &out->full_inputs, &out->outputs, &out->full_outputs);
	if (rc != 0)
		return rc;
	*resp = &out->base;
	return 0;
}


/* ------------------------------------------------------------------ */
/* GetExecutionMetrics (§3.12)                                         */
/* ------------------------------------------------------------------ */

#define SVC_METRICS_MAX_ROWS 100000

struct svc_metrics {
	struct call *c;
	const struct repo_exec *exec;
	struct repo_node *nodes;
	size_t nn, ncap;
	struct repo_task *tasks;
	size_t nt, tcap;
	int nomem;
};

static int svc_metrics_node_row(void *arg, const struct keel_db_val *cols,
                                size_t ncols)
{
	struct svc_metrics *x = arg;

	if (x->nn >= SVC_METRICS_MAX_ROWS)
		return 1;
	x->nodes = arena_grow(x->c->arena, x->nodes, x->nn, &x->ncap,
	                      sizeof(*x->nodes));
	if (x->nodes == NULL ||
	    repo_node_decode(x->c->arena, cols, ncols, &x->nodes[x->nn]) != 0) {
		x->nomem = 1;
		return KEEL_ENOMEM;
	}
	x->nn++;
	return 0;
}

static int svc_metrics_task_row(void *arg, const struct keel_db_val *cols,
                                size_t ncols)
{
	struct svc_metrics *x = arg;

	if (x->nt >= SVC_METRICS_MAX_ROWS)
		return 1;
	x->tasks = arena_grow(x->c->arena, x->tasks, x->nt, &x->tcap,
	                      sizeof(*x->tasks));
	if (x->tasks == NULL ||
	    repo_task_decode(x->c->arena, cols, ncols, &x->tasks[x->nt]) != 0) {
		x->nomem = 1;
		return KEEL_ENOMEM;
	}
	x->nt++;
	return 0;
}

static int svc_metrics_tx(struct db_conn *dc, void *arg, struct keel_err *err)
{
	struct svc_metrics *x = arg;
	struct keel_db_val id = db_int(x->exec->id);
	char sql[1024];
	int rc;

	x->nn = x->nt = 0;
	util_fmt(sql, sizeof(sql),
	         "SELECT %s FROM node_executions n WHERE n.execution_id = ? "
	         "ORDER BY n.node_execution_created_at, n.id",
	         repo_node_select);
	rc = db_query(dc, sql, &id, 1, svc_metrics_node_row, x, err);
	if (rc != 0)
		return rc;
	util_fmt(sql, sizeof(sql),
	         "SELECT %s FROM task_executions te WHERE te.execution_id = ? "
	         "ORDER BY te.task_execution_created_at, te.id",
	         repo_task_select);
	return db_query(dc, sql, &id, 1, svc_metrics_task_row, x, err);
}

static Flyteidl__Core__Span *svc_span(struct call *c, int64_t from, int64_t to)
{
	Flyteidl__Core__Span *sp = call_new(c, &flyteidl__core__span__descriptor);

	if (sp == NULL)
		return NULL;
	sp->start_time = svc_ts(c, from);
	sp->end_time = svc_ts(c, to > from ? to : from);
	return sp;
}

static int svc_span_add(struct call *c, Flyteidl__Core__Span *parent,
                        Flyteidl__Core__Span *child)
{
	Flyteidl__Core__Span **v;

	if (child == NULL)
		return -1;
	v = arena_alloc(c->arena, (parent->n_spans + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	if (parent->n_spans)
		memcpy(v, parent->spans, parent->n_spans * sizeof(*v));
	v[parent->n_spans++] = child;
	parent->spans = v;
	return 0;
}

/* A categorical span (Flyte Admin's operation ids) when from < to. */
static int svc_span_op(struct call *c, Flyteidl__Core__Span *parent,
                       const char *op, int64_t from, int64_t to)
{
	Flyteidl__Core__Span *sp;

	if (to <= from)
		return 0;
	sp = svc_span(c, from, to);
	if (sp == NULL)
		return -1;
	sp->id_case = FLYTEIDL__CORE__SPAN__ID_OPERATION_ID;
	sp->operation_id = (char *)op;
	return svc_span_add(c, parent, sp);
}

static Flyteidl__Core__Span *svc_metrics_node(struct svc_metrics *x,
                                              const struct repo_node *n,
                                              int depth)
{
	struct call *c = x->c;
	Flyteidl__Core__Span *sp = svc_span(c, n->created_at, n->updated_at);
	int64_t first = 0, last = 0;

	if (sp == NULL)
		return NULL;
	sp->id_case = FLYTEIDL__CORE__SPAN__ID_NODE_ID;
	sp->node_id = svc_node_id(c, x->exec, n->node_id);
	if (sp->node_id == NULL || depth <= 1)
		return sp;
	for (size_t i = 0; i < x->nt; i++) {
		const struct repo_task *t = &x->tasks[i];
		Flyteidl__Core__Span *ts;
		int64_t start;
		if (t->node_execution_id != n->id)
			continue;
		if (first == 0)
			first = t->created_at;
		last = t->updated_at;
		ts = svc_span(c, t->created_at, t->updated_at);
		if (ts == NULL)
			return NULL;
		ts->id_case = FLYTEIDL__CORE__SPAN__ID_TASK_ID;
		ts->task_id = call_new(
		    c, &flyteidl__core__task_execution_identifier__descriptor);
		if (ts->task_id == NULL)
			return NULL;
		ts->task_id->task_id =
		    call_new(c, &flyteidl__core__identifier__descriptor);
		if (ts->task_id->task_id == NULL)
			return NULL;
		ts->task_id->task_id->resource_type =
		    FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
		ts->task_id->task_id->project = (char *)t->project;
		ts->task_id->task_id->domain = (char *)t->domain;
		ts->task_id->task_id->name = (char *)t->name;
		ts->task_id->task_id->version = (char *)t->version;
		ts->task_id->node_execution_id = sp->node_id;
		ts->task_id->retry_attempt = (uint32_t)t->retry_attempt;
		start = t->started_at ? t->started_at : t->updated_at;
		if (depth > 2 &&
		    (svc_span_op(c, ts, "TASK_SETUP", t->created_at, start) ||
		     svc_span_op(c, ts, "TASK_RUNTIME", start,
		                 t->started_at && t->duration
		                     ? t->started_at + t->duration
		                     : t->updated_at)))
			return NULL;
		if (svc_span_add(c, sp, ts) != 0)
			return NULL;
	}
	for (size_t i = 0; i < x->nn; i++) {
		const struct repo_node *ch = &x->nodes[i];
		int child = ch->parent_id == n->id;
		for (size_t k = 0; !child && k < x->nt; k++)
			child = ch->parent_task_execution_id == x->tasks[k].id &&
			        x->tasks[k].node_execution_id == n->id;
		if (!child)
			continue;
		if (first == 0)
			first = ch->created_at;
		if (ch->updated_at > last)
			last = ch->updated_at;
		if (svc_span_add(c, sp, svc_metrics_node(x, ch, depth - 1)) != 0)
			return NULL;
	}
	if (first != 0 &&
	    (svc_span_op(c, sp, "NODE_SETUP", n->created_at, first) ||
	     svc_span_op(c, sp, "NODE_TEARDOWN", last, n->updated_at)))
		return NULL;
	return sp;
}

static int svc_get_execution_metrics(struct call *c, const ProtobufCMessage *req,
                                     ProtobufCMessage **resp)
{
	const Flyteidl__Admin__WorkflowExecutionGetMetricsRequest *r =
	    (const Flyteidl__Admin__WorkflowExecutionGetMetricsRequest *)req;
	Flyteidl__Admin__WorkflowExecutionGetMetricsResponse *out;
	struct svc_metrics x = {.c = c};
	struct repo_exec exec;
	struct keel_err err = {0};
	Flyteidl__Core__Span *root;
	int64_t first = 0, last = 0;
	int depth = r->depth > 0 ? r->depth : 10, rc;

	rc = svc_exec_load(c, r->id, &exec);
	if (rc != 0)
		return rc;
	x.exec = &exec;
	rc = db_tx(c->svc->db, KEEL_DB_TX_READ, svc_metrics_tx, &x, &err);
	if (rc != 0)
		return x.nomem ? call_error(c, RPC_RESOURCE_EXHAUSTED,
		                            "out of memory")
		               : call_fail(c, rc, err.msg);
	out = call_new(c,
	               &flyteidl__admin__workflow_execution_get_metrics_response__descriptor);
	root = svc_span(c, exec.execution_created_at, exec.execution_updated_at);
	if (out == NULL || root == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	root->id_case = FLYTEIDL__CORE__SPAN__ID_WORKFLOW_ID;
	root->workflow_id = r->id;
	for (size_t i = 0; depth > 1 && i < x.nn; i++) {
		const struct repo_node *n = &x.nodes[i];
		if (n->parent_id != 0 || n->parent_task_execution_id != 0)
			continue;
		if (first == 0)
			first = n->created_at;
		if (n->updated_at > last)
			last = n->updated_at;
		if (svc_span_add(c, root, svc_metrics_node(&x, n, depth - 1)) != 0)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	if (first != 0 &&
	    (svc_span_op(c, root, "WORKFLOW_SETUP", exec.execution_created_at,
	                 first) ||
	     svc_span_op(c, root, "WORKFLOW_TEARDOWN", last,
	                 exec.execution_updated_at)))
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	out->span = root;
	*resp = &out->base;
	return 0;
}

const struct svc_route svc_node_routes[] = {
    {"/flyteidl.service.AdminService/GetExecutionMetrics",
     svc_get_execution_metrics},
    {"/flyteidl.service.AdminService/GetNodeExecution",
     svc_get_node_execution},
    {"/flyteidl.service.AdminService/ListNodeExecutions",
     svc_list_node_executions},
    {"/flyteidl.service.AdminService/ListNodeExecutionsForTask",
     svc_list_node_executions_for_task},
    {"/flyteidl.service.AdminService/GetNodeExecutionData",
     svc_get_node_execution_data},
    {"/flyteidl.service.AdminService/GetDynamicNodeWorkflow",
     svc_get_dynamic_node_workflow},
    {"/flyteidl.service.AdminService/GetTaskExecution",
     svc_get_task_execution},
    {"/flyteidl.service.AdminService/ListTaskExecutions",
     svc_list_task_executions},
    {"/flyteidl.service.AdminService/GetTaskExecutionData",
     svc_get_task_execution_data},
    {NULL, NULL},
};
