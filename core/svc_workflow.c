/*
 * svc_workflow.c -- AdminService: CreateWorkflow, GetWorkflow,
 * ListWorkflows, ListWorkflowIds (reference/flyteadmin-behaviour.md §1.3,
 * §1.5, §5).
 *
 * CreateWorkflow loads every task and launch plan the template and its
 * subworkflows reference (exact versions), compiles (wfcompile.h), and
 * stores the admin.WorkflowClosure with the digest of the compiled
 * closure and, apart, the interface that lists return.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "pbdiff.h"
#include "repo_ver.h"
#include "sbuf.h"
#include "svc.h"
#include "svc_ver.h"
#include "util.h"
#include "wfcompile.h"

/* "p/d/n/v" for messages, in the call's arena. */
static const char *svc_wf_idtext(struct call *c,
                                 const Flyteidl__Core__Identifier *id)
{
	const char *s = arena_printf(c->arena, "%s/%s/%s/%s", id->project,
	                             id->domain, id->name, id->version);
	return s != NULL ? s : "?";
}

/*
 * Load what the template needs into env: the tasks and launch plans that
 * exist.  Missing ones are left out; the compiler names them.  0, or the
 * call's error (a database failure).
 */
static int svc_wf_load(struct call *c, const Flyteidl__Core__WorkflowTemplate *t,
                       const Flyteidl__Admin__WorkflowSpec *spec,
                       struct wfc_env *env)
{
	const Flyteidl__Core__Identifier **tids, **lids;
	const Flyteidl__Core__TaskTemplate **tasks;
	struct wfc_launch_plan *lps;
	size_t nt, nl;
	struct keel_err err = {0};
	int rc;

	if (wfc_requirements(c->arena, t, spec->sub_workflows,
	                     spec->n_sub_workflows, &tids, &nt, &lids, &nl) != 0)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	tasks = arena_calloc(c->arena, nt ? nt : 1, sizeof(*tasks));
	lps = arena_calloc(c->arena, nl ? nl : 1, sizeof(*lps));
	if (tasks == NULL || lps == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < nt; i++) {
		const Flyteidl__Core__Identifier *id = tids[i];
		Flyteidl__Admin__TaskClosure *cl;
		struct repo_ver row;

		if (id->project == NULL || id->domain == NULL ||
		    id->name == NULL || id->version == NULL)
			continue;
		rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_task,
		                  id->project, id->domain, id->name, id->version,
		                  &row, &err);
		if (rc == KEEL_ENOTFOUND)
			continue;
		if (rc != 0)
			return call_fail(c, rc, err.msg);
		rc = svc_ver_unpack(c, &repo_kind_task, &row,
		                    &flyteidl__admin__task_closure__descriptor,
		                    (ProtobufCMessage **)&cl);
		if (rc != 0)
			return rc;
		if (cl->compiled_task == NULL ||
		    cl->compiled_task->template_ == NULL)
			return call_error(c, RPC_INTERNAL,
			                  "stored closure of task [%s] does not "
			                  "decode",
			                  svc_wf_idtext(c, id));
		tasks[env->ntasks++] = cl->compiled_task->template_;
	}
	for (size_t i = 0; i < nl; i++) {
		const Flyteidl__Core__Identifier *id = lids[i];
		Flyteidl__Admin__LaunchPlan *lp;
		struct repo_ver row;

		if (id->project == NULL || id->domain == NULL ||
		    id->name == NULL || id->version == NULL)
			continue;
		rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_launch_plan,
		                  id->project, id->domain, id->name, id->version,
		                  &row, &err);
		if (rc == KEEL_ENOTFOUND)
			continue;
		if (rc != 0)
			return call_fail(c, rc, err.msg);
		rc = svc_ver_unpack(c, &repo_kind_launch_plan, &row,
		                    &flyteidl__admin__launch_plan__descriptor,
		                    (ProtobufCMessage **)&lp);
		if (rc != 0)
			return rc;
		if (lp->closure == NULL)
			return call_error(c, RPC_INTERNAL,
			                  "stored launch plan [%s] does not decode",
			                  svc_wf_idtext(c, id));
		lps[env->nlps].id = lp->id != NULL ? lp->id : id;
		lps[env->nlps].inputs = lp->closure->expected_inputs;
		lps[env->nlps].outputs = lp->closure->expected_outputs;
		lps[env->nlps].fixed_inputs =
		    lp->spec != NULL ? lp->spec->fixed_inputs : NULL;
		env->nlps++;
	}
	env->tasks = tasks;
	env->lps = lps;
	env->subs = spec->sub_workflows;
	env->nsubs = spec->n_sub_workflows;
	env->max_nodes = c->svc->max_workflow_nodes;
	return 0;
}

/* Existing version at the same key: identical or not (§1.5). */
static int svc_wf_exists(struct call *c, const Flyteidl__Core__Identifier *id,
                         const char *digest, const void *arg)
{
	const Flyteidl__Core__CompiledWorkflowClosure *mine = arg;
	Flyteidl__Admin__WorkflowClosure *old;
	Flyteidl__Admin__CreateWorkflowFailureReason *why;
	struct repo_ver row;
	struct keel_err err = {0};
	char diff[512] = "";
	int rc;

	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_workflow,
	                  id->project, id->domain, id->name, id->version, &row,
	                  &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	/* Flyte Admin's typed detail, which clients test for. */
	why = call_new(c, &flyteidl__admin__create_workflow_failure_reason__descriptor);
	if (why == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	if (strcmp(row.digest, digest) == 0) {
		Flyteidl__Admin__WorkflowErrorExistsIdenticalStructure *d = call_new(
		    c, &flyteidl__admin__workflow_error_exists_identical_structure__descriptor);
		if (d == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
		d->id = (Flyteidl__Core__Identifier *)id;
		why->reason_case =
		    FLYTEIDL__ADMIN__CREATE_WORKFLOW_FAILURE_REASON__REASON_EXISTS_IDENTICAL_STRUCTURE;
		why->exists_identical_structure = d;
		c->detail = &why->base;
		return call_error(c, RPC_ALREADY_EXISTS,
		                  "workflow with identical structure already "
		                  "exists");
	}
	{
		Flyteidl__Admin__WorkflowErrorExistsDifferentStructure *d = call_new(
		    c, &flyteidl__admin__workflow_error_exists_different_structure__descriptor);
		if (d == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
		d->id = (Flyteidl__Core__Identifier *)id;
		why->reason_case =
		    FLYTEIDL__ADMIN__CREATE_WORKFLOW_FAILURE_REASON__REASON_EXISTS_DIFFERENT_STRUCTURE;
		why->exists_different_structure = d;
		c->detail = &why->base;
	}
	if (svc_ver_unpack(c, &repo_kind_workflow, &row,
	                   &flyteidl__admin__workflow_closure__descriptor,
	                   (ProtobufCMessage **)&old) != 0)
		old = NULL;
	if (old != NULL && old->compiled_workflow != NULL)
		pbdiff_first(&old->compiled_workflow->base, &mine->base, diff,
		             sizeof(diff));
	return call_error(c, RPC_INVALID_ARGUMENT,
	                  "%s workflow with different structure already "
	                  "exists. (Please register a new version of the "
	                  "workflow):%s%s",
	                  id->name, diff[0] ? " " : "", diff[0] ? diff : "");
}

static int svc_create_workflow(struct call *c, const ProtobufCMessage *req,
                               ProtobufCMessage **resp)
{
	const Flyteidl__Admin__WorkflowCreateRequest *r =
	    (const Flyteidl__Admin__WorkflowCreateRequest *)req;
	Flyteidl__Admin__WorkflowClosure cl = FLYTEIDL__ADMIN__WORKFLOW_CLOSURE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Flyteidl__Core__CompiledWorkflowClosure *cw = NULL;
	Flyteidl__Core__TypedInterface empty = FLYTEIDL__CORE__TYPED_INTERFACE__INIT;
	Flyteidl__Core__WorkflowTemplate tmpl;
	struct wfc_env env = {0};
	struct repo_ver row = {0};
	struct sbuf errs = SBUF_INIT;
	uint8_t digest[32];
	char hex[65];
	int64_t now = util_now_ms();
	int rc;

	rc = svc_check_identifier(c, r->id,
	                          FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW);
	if (rc != 0)
		return rc;
	rc = svc_check_project_domain(c, r->id->project, r->id->domain);
	if (rc != 0)
		return rc;
	if (r->spec == NULL || r->spec->template_ == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing workflow template");
	/* The template's id is the request's (Flyte Admin overwrites it),
	 * on a copy: the request is the caller's. */
	tmpl = *r->spec->template_;
	tmpl.id = r->id;
	rc = svc_wf_load(c, &tmpl, r->spec, &env);
	if (rc != 0)
		return rc;
	rc = wfc_compile(c->arena, &tmpl, &env, &cw, &errs);
	if (rc != 0) {
		char *txt = sbuf_finish(&errs, NULL);
		if (rc < 0 || txt == NULL) {
			free(txt);
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
		}
		rc = call_error(c, RPC_INVALID_ARGUMENT,
		                "failed to compile workflow for [%s] with err "
		                "%s",
		                svc_wf_idtext(c, r->id), txt);
		free(txt);
		return rc;
	}
	sbuf_free(&errs);
	if (pbdiff_digest(&cw->base, digest) != 0)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	pbdiff_hex(digest, hex);
	ts.seconds = now / 1000;
	ts.nanos = (int32_t)(now % 1000) * 1000000;
	cl.compiled_workflow = cw;
	cl.created_at = &ts;
	row.digest = hex;
	row.created_at = now;
	row.closure = svc_pack(c, &cl.base, &row.closure_len);
	row.iface = svc_pack(c, tmpl.interface ? &tmpl.interface->base
	                                       : &empty.base,
	                     &row.iface_len);
	if (row.closure == NULL || row.iface == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_ver_store(c, &repo_kind_workflow, r->id, r->spec->description,
	                   &row, svc_wf_exists, cw);
	if (rc != 0)
		return rc;
	*resp = call_new(c, &flyteidl__admin__workflow_create_response__descriptor);
	return *resp ? 0
	             : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

/* A row as an admin.Workflow in the arena, or NULL (out of memory or a
 * closure that does not decode).  list: the row holds only the
 * interface, which becomes the closure's primary template's, as Flyte
 * Admin's lists return it. */
static Flyteidl__Admin__Workflow *svc_wf_msg(struct call *c,
                                             const struct repo_ver *row,
                                             int list)
{
	Flyteidl__Admin__Workflow *w =
	    call_new(c, &flyteidl__admin__workflow__descriptor);
	Flyteidl__Core__Identifier *id =
	    call_new(c, &flyteidl__core__identifier__descriptor);

	if (w == NULL || id == NULL)
		return NULL;
	id->resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW;
	id->project = (char *)row->project;
	id->domain = (char *)row->domain;
	id->name = (char *)row->name;
	id->version = (char *)row->version;
	id->org = (char *)row->org;
	w->id = id;
	w->short_description = (char *)row->short_description;
	if (!list)
		return svc_ver_unpack(
		           c, &repo_kind_workflow, row,
		           &flyteidl__admin__workflow_closure__descriptor,
		           (ProtobufCMessage **)&w->closure) == 0
		           ? w
		           : NULL;
	{
		Flyteidl__Admin__WorkflowClosure *cl = call_new(
		    c, &flyteidl__admin__workflow_closure__descriptor);
		Flyteidl__Core__CompiledWorkflowClosure *cc = call_new(
		    c, &flyteidl__core__compiled_workflow_closure__descriptor);
		Flyteidl__Core__CompiledWorkflow *pw =
		    call_new(c, &flyteidl__core__compiled_workflow__descriptor);
		Flyteidl__Core__WorkflowTemplate *t =
		    call_new(c, &flyteidl__core__workflow_template__descriptor);
		Google__Protobuf__Timestamp *ts =
		    call_new(c, &google__protobuf__timestamp__descriptor);
		if (cl == NULL || cc == NULL || pw == NULL || t == NULL ||
		    ts == NULL)
			return NULL;
		t->interface = flyteidl__core__typed_interface__unpack(
		    arena_pb_allocator(c->arena), row->closure_len,
		    row->closure);
		if (t->interface == NULL)
			return NULL;
		ts->seconds = row->created_at / 1000;
		ts->nanos = (int32_t)(row->created_at % 1000) * 1000000;
		pw->template_ = t;
		cc->primary = pw;
		cl->compiled_workflow = cc;
		cl->created_at = ts;
		w->closure = cl;
	}
	return w;
}

static int svc_get_workflow(struct call *c, const ProtobufCMessage *req,
                            ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ObjectGetRequest *r =
	    (const Flyteidl__Admin__ObjectGetRequest *)req;
	struct repo_ver row;
	struct keel_err err = {0};
	Flyteidl__Admin__Workflow *w;
	int rc;

	rc = svc_check_get_identifier(c, r->id,
	                              FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW);
	if (rc != 0)
		return rc;
	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_workflow,
	                  r->id->project, r->id->domain, r->id->name,
	                  r->id->version, &row, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	w = svc_wf_msg(c, &row, 0);
	if (w == NULL)
		/* svc_ver_unpack's error, or out of memory. */
		return c->code != 0 ? -c->code
		                    : call_error(c, RPC_RESOURCE_EXHAUSTED,
		                                 "out of memory");
	*resp = &w->base;
	return 0;
}

static int svc_list_workflows(struct call *c, const ProtobufCMessage *req,
                              ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ResourceListRequest *r =
	    (const Flyteidl__Admin__ResourceListRequest *)req;
	struct svc_ver_page pg;
	Flyteidl__Admin__WorkflowList *out;
	int rc;

	rc = svc_ver_list_resources(c, &repo_kind_workflow, "ListWorkflows",
	                            r, &pg);
	if (rc != 0)
		return rc;
	out = call_new(c, &flyteidl__admin__workflow_list__descriptor);
	if (out == NULL || (pg.n > 0 && (out->workflows = arena_calloc(
	                                     c->arena, pg.n,
	                                     sizeof(*out->workflows))) == NULL))
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < pg.n; i++) {
		out->workflows[i] = svc_wf_msg(c, &pg.rows[i], 1);
		if (out->workflows[i] == NULL)
			return call_error(c, RPC_INTERNAL,
			                  "stored interface of workflow "
			                  "[%s/%s/%s/%s] does not decode",
			                  pg.rows[i].project, pg.rows[i].domain,
			                  pg.rows[i].name, pg.rows[i].version);
	}
	out->n_workflows = pg.n;
	out->token = pg.token;
	*resp = &out->base;
	return 0;
}

static int svc_list_workflow_ids(struct call *c, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp)
{
	return svc_ver_list_ids(c, &repo_kind_workflow, "ListWorkflowIds", req,
	                        resp);
}

#define SVC_ADMIN "/flyteidl.service.AdminService/"

const struct svc_route svc_workflow_routes[] = {
	{SVC_ADMIN "CreateWorkflow", svc_create_workflow},
	{SVC_ADMIN "GetWorkflow", svc_get_workflow},
	{SVC_ADMIN "ListWorkflows", svc_list_workflows},
	{SVC_ADMIN "ListWorkflowIds", svc_list_workflow_ids},
	{NULL, NULL},
};
