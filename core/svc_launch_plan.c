/*
 * svc_launch_plan.c -- AdminService: CreateLaunchPlan, UpdateLaunchPlan,
 * GetLaunchPlan, GetActiveLaunchPlan, ListLaunchPlans,
 * ListActiveLaunchPlans, ListLaunchPlanIds
 * (reference/flyteadmin-behaviour.md §1.4, §2.1, §2.3, §5).
 *
 * A launch plan is stored as the admin.LaunchPlan it becomes at
 * registration (its default_inputs replaced by the computed expected
 * inputs, as Flyte Admin does), without its state, which lives in its
 * own column (repo_lp.h) and is filled in on every read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cron.h"
#include "db.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "littype.h"
#include "pbdiff.h"
#include "repo_lp.h"
#include "repo_ver.h"
#include "svc.h"
#include "svc_ver.h"
#include "util.h"
#include "validate.h"

static int svc_lp_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

static const Flyteidl__Core__Variable *
svc_lp_var(const Flyteidl__Core__VariableMap *m, const char *name)
{
	for (size_t i = 0; m != NULL && i < m->n_variables; i++)
		if (strcmp(m->variables[i]->key, name) == 0)
			return m->variables[i]->value;
	return NULL;
}

int svc_check_notifications(struct call *c,
                            Flyteidl__Admin__Notification *const *list,
                            size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const Flyteidl__Admin__Notification *n = list[i];
		char **rcpt = NULL;
		size_t nr = 0, ok = 0;

		switch (n->type_case) {
		case FLYTEIDL__ADMIN__NOTIFICATION__TYPE_EMAIL:
			rcpt = n->email->recipients_email;
			nr = n->email->n_recipients_email;
			break;
		case FLYTEIDL__ADMIN__NOTIFICATION__TYPE_PAGER_DUTY:
			rcpt = n->pager_duty->recipients_email;
			nr = n->pager_duty->n_recipients_email;
			break;
		case FLYTEIDL__ADMIN__NOTIFICATION__TYPE_SLACK:
			rcpt = n->slack->recipients_email;
			nr = n->slack->n_recipients_email;
			break;
		default:
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid value for notification type: "
			                  "notifications[%zu] is not email, slack "
			                  "or pager_duty",
			                  i);
		}
		for (size_t k = 0; k < nr; k++)
			ok += !svc_lp_empty(rcpt[k]);
		if (ok == 0)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "missing recipients: notifications[%zu] "
			                  "has no recipient",
			                  i);
		for (size_t k = 0; k < n->n_phases; k++) {
			int p = (int)n->phases[k];
			if (p != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED &&
			    p != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED &&
			    p != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT &&
			    p != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED)
				return call_error(
				    c, RPC_INVALID_ARGUMENT,
				    "invalid value for phase: %d in "
				    "notifications[%zu] (only terminal phases: "
				    "SUCCEEDED, FAILED, TIMED_OUT, ABORTED)",
				    p, i);
		}
	}
	return 0;
}

/* The deprecated cron_expression, which Flyte Admin still accepts. */
static const char *svc_lp_cron_expression(const Flyteidl__Admin__Schedule *s)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	return s->cron_expression;
#pragma GCC diagnostic pop
}

/* Does the schedule run anything when activated (§2.3)? */
static int svc_lp_sched_nonempty(const Flyteidl__Admin__Schedule *s)
{
	if (s == NULL)
		return 0;
	switch (s->schedule_expression_case) {
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_EXPRESSION:
		return !svc_lp_empty(svc_lp_cron_expression(s));
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE:
		return s->cron_schedule != NULL &&
		       !svc_lp_empty(s->cron_schedule->schedule);
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE:
		return s->rate != NULL && s->rate->value != 0;
	default:
		return 0;
	}
}

static const char *svc_lp_sched_type(const Flyteidl__Admin__Schedule *s)
{
	if (s == NULL)
		return "NONE";
	switch (s->schedule_expression_case) {
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_EXPRESSION:
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE:
		return "CRON";
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE:
		return "RATE";
	default:
		return "NONE";
	}
}

static int svc_lp_schedule(struct call *c, const Flyteidl__Admin__Schedule *s,
                           const Flyteidl__Core__ParameterMap *expected)
{
	const char *cron = NULL;
	char why[256];

	if (s == NULL)
		return 0;
	if (s->schedule_expression_case ==
	    FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_EXPRESSION)
		cron = svc_lp_cron_expression(s);
	else if (s->schedule_expression_case ==
	         FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE)
		cron = s->cron_schedule != NULL ? s->cron_schedule->schedule : "";
	if (cron != NULL && cron_parse(cron, NULL, why, sizeof(why)) != 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "Invalid cron expression '%s': %s", cron, why);
	if (s->schedule_expression_case ==
	        FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE &&
	    s->rate != NULL && s->rate->unit > FLYTEIDL__ADMIN__FIXED_RATE_UNIT__DAY)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid value for rate unit: %d",
		                  (int)s->rate->unit);
	if (!svc_lp_empty(s->kickoff_time_input_arg)) {
		const Flyteidl__Core__Parameter *p = NULL;
		for (size_t i = 0; expected && i < expected->n_parameters; i++)
			if (strcmp(expected->parameters[i]->key,
			           s->kickoff_time_input_arg) == 0)
				p = expected->parameters[i]->value;
		if (p == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "kickoff_time_input_arg [%s] is not a "
			                  "free input of the launch plan",
			                  s->kickoff_time_input_arg);
		if (p->var == NULL || p->var->type == NULL ||
		    p->var->type->type_case !=
		        FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE ||
		    p->var->type->simple != FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "kickoff_time_input_arg [%s] must be of "
			                  "type datetime",
			                  s->kickoff_time_input_arg);
	}
	if (s->schedule_expression_case !=
	    FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION__NOT_SET)
		for (size_t i = 0; expected && i < expected->n_parameters; i++) {
			const Flyteidl__Core__Parameter *p =
			    expected->parameters[i]->value;
			if (p->behavior_case ==
			        FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED &&
			    (s->kickoff_time_input_arg == NULL ||
			     strcmp(expected->parameters[i]->key,
			            s->kickoff_time_input_arg) != 0))
				return call_error(
				    c, RPC_INVALID_ARGUMENT,
				    "Cannot create a launch plan with a schedule "
				    "if there is an unbound required input. [%s] "
				    "is required",
				    expected->parameters[i]->key);
		}
	return 0;
}

/* Seconds of 0001-01-01 and 10000-01-01 UTC: the range of
 * google.protobuf.Timestamp, which Flyte Admin checks datetimes against. */
#define SVC_TS_MIN (-62135596800LL)
#define SVC_TS_MAX (253402300800LL)

/* 1 when every datetime inside l is a valid Timestamp (depth-capped). */
int svc_literal_datetimes_ok(const Flyteidl__Core__Literal *l, int depth)
{
	if (l == NULL || depth > 64)
		return depth <= 64;
	switch (l->value_case) {
	case FLYTEIDL__CORE__LITERAL__VALUE_SCALAR:
		if (l->scalar != NULL &&
		    l->scalar->value_case == FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE &&
		    l->scalar->primitive != NULL &&
		    l->scalar->primitive->value_case ==
		        FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME) {
			const Google__Protobuf__Timestamp *t =
			    l->scalar->primitive->datetime;
			return t == NULL ||
			       (t->seconds >= SVC_TS_MIN && t->seconds < SVC_TS_MAX &&
			        t->nanos >= 0 && t->nanos < 1000000000);
		}
		return 1;
	case FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION:
		for (size_t i = 0; l->collection && i < l->collection->n_literals;
		     i++)
			if (!svc_literal_datetimes_ok(l->collection->literals[i],
			                         depth + 1))
				return 0;
		return 1;
	case FLYTEIDL__CORE__LITERAL__VALUE_MAP:
		for (size_t i = 0; l->map && i < l->map->n_literals; i++)
			if (!svc_literal_datetimes_ok(l->map->literals[i]->value,
			                         depth + 1))
				return 0;
		return 1;
	default:
		return 1;
	}
}

/*
 * Validate fixed and default inputs against the workflow's inputs and
 * compute the expected inputs (§2.1): a default input as given, a fixed
 * one left out, any other workflow input required.
 */
static int svc_lp_inputs(struct call *c, const Flyteidl__Admin__LaunchPlanSpec *sp,
                         const Flyteidl__Core__VariableMap *wf_in,
                         Flyteidl__Core__ParameterMap **out)
{
	const Flyteidl__Core__ParameterMap *def = sp->default_inputs;
	const Flyteidl__Core__LiteralMap *fix = sp->fixed_inputs;
	size_t nwf = wf_in != NULL ? wf_in->n_variables : 0;
	size_t ndef = def != NULL ? def->n_parameters : 0;
	size_t nfix = fix != NULL ? fix->n_literals : 0;
	Flyteidl__Core__ParameterMap *pm;
	char why[512];

	if (nwf == 0 && ndef + nfix > 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid launch plan inputs: the workflow "
		                  "takes no inputs, expected none but found %zu",
		                  ndef + nfix);
	for (size_t i = 0; i < nfix; i++) {
		const char *k = fix->literals[i]->key;
		const Flyteidl__Core__Literal *l = fix->literals[i]->value;
		const Flyteidl__Core__Variable *v;
		if (svc_lp_empty(k))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "fixed_inputs: a key is empty");
		if (l == NULL ||
		    l->value_case == FLYTEIDL__CORE__LITERAL__VALUE__NOT_SET)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "fixed_inputs [%s] has no value", k);
		v = svc_lp_var(wf_in, k);
		if (v == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "unexpected fixed_input %s: the workflow "
			                  "has no such input",
			                  k);
		if (!littype_instance_of(l, v->type, why, sizeof(why)))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid fixed_input %s wrong type: %s", k,
			                  why);
		if (!svc_literal_datetimes_ok(l, 0))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "fixed_input %s: a datetime is not a "
			                  "valid timestamp (years 1 to 9999, nanos "
			                  "under 1e9)",
			                  k);
	}
	for (size_t i = 0; i < ndef; i++) {
		const char *k = def->parameters[i]->key;
		const Flyteidl__Core__Parameter *p = def->parameters[i]->value;
		const Flyteidl__Core__Variable *v;
		if (svc_lp_empty(k))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "default_inputs: a key is empty");
		if (p == NULL || p->var == NULL || p->var->type == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "default_inputs [%s] has no type", k);
		if (p->behavior_case ==
		        FLYTEIDL__CORE__PARAMETER__BEHAVIOR_ARTIFACT_QUERY ||
		    p->behavior_case ==
		        FLYTEIDL__CORE__PARAMETER__BEHAVIOR_ARTIFACT_ID)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "artifact mode not enabled but query "
			                  "found in default_inputs [%s]",
			                  k);
		if (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR__NOT_SET ||
		    (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT &&
		     p->default_ == NULL) ||
		    (p->behavior_case ==
		         FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED &&
		     !p->required))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "default_inputs [%s] needs a default or "
			                  "required",
			                  k);
		v = svc_lp_var(wf_in, k);
		if (v == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "unexpected default_input %s: the "
			                  "workflow has no such input",
			                  k);
		if (!littype_castable(p->var->type, v->type, why, sizeof(why)))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid default_input %s wrong type: %s",
			                  k, why);
		if (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT &&
		    !littype_instance_of(p->default_, v->type, why, sizeof(why)))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid default_input %s wrong type: %s",
			                  k, why);
		if (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT &&
		    !svc_literal_datetimes_ok(p->default_, 0))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "default_input %s: a datetime is not a "
			                  "valid timestamp (years 1 to 9999, nanos "
			                  "under 1e9)",
			                  k);
		for (size_t j = 0; j < nfix; j++)
			if (strcmp(fix->literals[j]->key, k) == 0)
				return call_error(c, RPC_INVALID_ARGUMENT,
				                  "input [%s] is both fixed and "
				                  "default",
				                  k);
	}
	pm = call_new(c, &flyteidl__core__parameter_map__descriptor);
	if (pm == NULL || (nwf > 0 && (pm->parameters = arena_calloc(
	                                   c->arena, nwf,
	                                   sizeof(*pm->parameters))) == NULL))
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < nwf; i++) {
		const char *k = wf_in->variables[i]->key;
		Flyteidl__Core__ParameterMap__ParametersEntry *e;
		Flyteidl__Core__Parameter *p = NULL;
		int fixed = 0;

		for (size_t j = 0; j < nfix; j++)
			fixed |= strcmp(fix->literals[j]->key, k) == 0;
		if (fixed)
			continue;
		for (size_t j = 0; j < ndef; j++)
			if (strcmp(def->parameters[j]->key, k) == 0)
				p = def->parameters[j]->value;
		if (p == NULL) {
			p = call_new(c, &flyteidl__core__parameter__descriptor);
			if (p == NULL)
				return call_error(c, RPC_RESOURCE_EXHAUSTED,
				                  "out of memory");
			p->var = wf_in->variables[i]->value;
			p->behavior_case =
			    FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED;
			p->required = 1;
		}
		e = call_new(c,
		             &flyteidl__core__parameter_map__parameters_entry__descriptor);
		if (e == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
		e->key = (char *)k;
		e->value = p;
		pm->parameters[pm->n_parameters++] = e;
	}
	*out = pm;
	return 0;
}

static int svc_lp_exists(struct call *c, const Flyteidl__Core__Identifier *id,
                         const char *digest, const void *arg)
{
	const Flyteidl__Admin__LaunchPlan *mine = arg;
	Flyteidl__Admin__LaunchPlan *old;
	struct repo_ver row;
	struct keel_err err = {0};
	char diff[512] = "";
	int rc;

	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_launch_plan,
	                  id->project, id->domain, id->name, id->version, &row,
	                  &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	if (strcmp(row.digest, digest) == 0)
		return call_error(c, RPC_ALREADY_EXISTS,
		                  "launch plan with identical structure already "
		                  "exists");
	if (svc_ver_unpack(c, &repo_kind_launch_plan, &row,
	                   &flyteidl__admin__launch_plan__descriptor,
	                   (ProtobufCMessage **)&old) != 0)
		old = NULL;
	if (old != NULL) {
		/* Compare what the digest covers: no timestamps. */
		if (old->closure != NULL)
			old->closure->created_at = NULL;
		pbdiff_first(&old->base, &mine->base, diff, sizeof(diff));
	}
	return call_error(c, RPC_INVALID_ARGUMENT,
	                  "%s launch plan with different structure already "
	                  "exists. (Please register a new version of the "
	                  "launch plan):%s%s",
	                  id->name, diff[0] ? " " : "", diff[0] ? diff : "");
}

static int svc_create_launch_plan(struct call *c, const ProtobufCMessage *req,
                                  ProtobufCMessage **resp)
{
	const Flyteidl__Admin__LaunchPlanCreateRequest *r =
	    (const Flyteidl__Admin__LaunchPlanCreateRequest *)req;
	Flyteidl__Admin__LaunchPlan lp = FLYTEIDL__ADMIN__LAUNCH_PLAN__INIT;
	Flyteidl__Admin__LaunchPlanSpec spec;
	Flyteidl__Admin__LaunchPlanClosure cl =
	    FLYTEIDL__ADMIN__LAUNCH_PLAN_CLOSURE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Flyteidl__Admin__WorkflowClosure *wcl;
	const Flyteidl__Core__TypedInterface *wif = NULL;
	const Flyteidl__Admin__Schedule *sched = NULL;
	Flyteidl__Core__ParameterMap *expected = NULL;
	struct repo_ver wf, row = {0};
	struct keel_err err = {0};
	uint8_t digest[32];
	char hex[65];
	int64_t now = util_now_ms();
	int rc;

	rc = svc_check_identifier(c, r->id,
	                          FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN);
	if (rc != 0)
		return rc;
	rc = svc_check_project_domain(c, r->id->project, r->id->domain);
	if (rc != 0)
		return rc;
	if (r->spec == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing spec");
	rc = svc_check_identifier(c, r->spec->workflow_id,
	                          FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW);
	if (rc != 0)
		return rc;
	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_workflow,
	                  r->spec->workflow_id->project,
	                  r->spec->workflow_id->domain,
	                  r->spec->workflow_id->name,
	                  r->spec->workflow_id->version, &wf, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	rc = svc_ver_unpack(c, &repo_kind_workflow, &wf,
	                    &flyteidl__admin__workflow_closure__descriptor,
	                    (ProtobufCMessage **)&wcl);
	if (rc != 0)
		return rc;
	if (wcl->compiled_workflow != NULL &&
	    wcl->compiled_workflow->primary != NULL &&
	    wcl->compiled_workflow->primary->template_ != NULL)
		wif = wcl->compiled_workflow->primary->template_->interface;
	rc = svc_check_labels(c, r->spec->labels);
	if (rc != 0)
		return rc;
	if (r->spec->entity_metadata != NULL) {
		if (r->spec->entity_metadata->launch_conditions != NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "Launch condition must be empty, found "
			                  "%s",
			                  r->spec->entity_metadata->launch_conditions
			                      ->type_url);
		rc = svc_check_notifications(
		    c, r->spec->entity_metadata->notifications,
		    r->spec->entity_metadata->n_notifications);
		if (rc != 0)
			return rc;
		sched = r->spec->entity_metadata->schedule;
	}
	rc = svc_lp_inputs(c, r->spec, wif ? wif->inputs : NULL, &expected);
	if (rc != 0)
		return rc;
	rc = svc_lp_schedule(c, sched, expected);
	if (rc != 0)
		return rc;
	/* What is stored: the spec with the computed inputs, the id of the
	 * request, and a closure without state (the column has it). */
	spec = *r->spec;
	spec.default_inputs = expected;
	cl.expected_inputs = expected;
	cl.expected_outputs = wif ? wif->outputs : NULL;
	lp.id = r->id;
	lp.spec = &spec;
	lp.closure = &cl;
	if (pbdiff_digest(&lp.base, digest) != 0)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	pbdiff_hex(digest, hex);
	ts.seconds = now / 1000;
	ts.nanos = (int32_t)(now % 1000) * 1000000;
	cl.created_at = &ts;
	row.digest = hex;
	row.created_at = now;
	row.type = svc_lp_sched_type(sched);
	row.state = REPO_LP_INACTIVE;
	row.workflow_id = wf.id;
	row.closure = svc_pack(c, &lp.base, &row.closure_len);
	if (row.closure == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	/* The existing one is compared without timestamps, as the digest. */
	cl.created_at = NULL;
	rc = svc_ver_store(c, &repo_kind_launch_plan, r->id, NULL, &row,
	                   svc_lp_exists, &lp);
	if (rc != 0)
		return rc;
	*resp = call_new(c, &flyteidl__admin__launch_plan_create_response__descriptor);
	return *resp ? 0
	             : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

/* A row as an admin.LaunchPlan with its state and update time, or NULL
 * with the call's error set. */
static Flyteidl__Admin__LaunchPlan *svc_lp_msg(struct call *c,
                                               const struct repo_ver *row)
{
	Flyteidl__Admin__LaunchPlan *lp = NULL;
	Google__Protobuf__Timestamp *ts =
	    call_new(c, &google__protobuf__timestamp__descriptor);

	if (ts == NULL) {
		call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	if (svc_ver_unpack(c, &repo_kind_launch_plan, row,
	                   &flyteidl__admin__launch_plan__descriptor,
	                   (ProtobufCMessage **)&lp) != 0)
		return NULL;
	if (lp->closure == NULL) {
		call_error(c, RPC_INTERNAL,
		           "stored launch plan [%s/%s/%s/%s] has no closure",
		           row->project, row->domain, row->name, row->version);
		return NULL;
	}
	ts->seconds = row->updated_at / 1000;
	ts->nanos = (int32_t)(row->updated_at % 1000) * 1000000;
	lp->closure->state = (Flyteidl__Admin__LaunchPlanState)row->state;
	lp->closure->updated_at = ts;
	return lp;
}

static int svc_lp_reply(struct call *c, const struct repo_ver *row,
                        ProtobufCMessage **resp)
{
	Flyteidl__Admin__LaunchPlan *lp = svc_lp_msg(c, row);

	if (lp == NULL)
		return -c->code;
	*resp = &lp->base;
	return 0;
}

static int svc_get_launch_plan(struct call *c, const ProtobufCMessage *req,
                               ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ObjectGetRequest *r =
	    (const Flyteidl__Admin__ObjectGetRequest *)req;
	struct repo_ver row;
	struct keel_err err = {0};
	int rc;

	rc = svc_check_get_identifier(c, r->id,
	                              FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN);
	if (rc != 0)
		return rc;
	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_launch_plan,
	                  r->id->project, r->id->domain, r->id->name,
	                  r->id->version, &row, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	return svc_lp_reply(c, &row, resp);
}

static int svc_update_launch_plan(struct call *c, const ProtobufCMessage *req,
                                  ProtobufCMessage **resp)
{
	const Flyteidl__Admin__LaunchPlanUpdateRequest *r =
	    (const Flyteidl__Admin__LaunchPlanUpdateRequest *)req;
	Flyteidl__Admin__LaunchPlan *lp;
	const Flyteidl__Admin__Schedule *s = NULL;
	struct repo_ver row;
	struct keel_err err = {0};
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	rc = svc_check_get_identifier(c, r->id,
	                              FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN);
	if (rc != 0)
		return rc;
	if (r->state != FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__ACTIVE &&
	    r->state != FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__INACTIVE)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "Unrecognized launch plan state %d for "
		                  "[%s/%s/%s/%s]",
		                  (int)r->state, r->id->project, r->id->domain,
		                  r->id->name, r->id->version);
	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_launch_plan,
	                  r->id->project, r->id->domain, r->id->name,
	                  r->id->version, &row, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	lp = svc_lp_msg(c, &row);
	if (lp == NULL)
		return -c->code;
	if (lp->spec != NULL && lp->spec->entity_metadata != NULL)
		s = lp->spec->entity_metadata->schedule;
	if (r->state == FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__ACTIVE &&
	    svc_lp_sched_nonempty(s)) {
		blob = svc_pack(c, &s->base, &len);
		if (blob == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	rc = repo_lp_set_state(c->svc->db, r->id->project, r->id->domain,
	                       r->id->name, r->id->version, (int)r->state, blob,
	                       len, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	*resp = call_new(c, &flyteidl__admin__launch_plan_update_response__descriptor);
	return *resp ? 0
	             : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

static int svc_get_active_launch_plan(struct call *c,
                                      const ProtobufCMessage *req,
                                      ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ActiveLaunchPlanRequest *r =
	    (const Flyteidl__Admin__ActiveLaunchPlanRequest *)req;
	struct svc_ver_list_req lr = {"GetActiveLaunchPlan"};
	struct svc_ver_page pg;
	int rc;

	if (r->id == NULL || svc_lp_empty(r->id->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_lp_empty(r->id->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	if (svc_lp_empty(r->id->name))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing name");
	lr.project = r->id->project;
	lr.domain = r->id->domain;
	lr.name = r->id->name;
	lr.active_only = 1;
	lr.limit = 1;
	rc = svc_ver_list(c, &repo_kind_launch_plan, &lr, &pg);
	if (rc != 0)
		return rc;
	if (pg.n == 0)
		return call_error(c, RPC_NOT_FOUND,
		                  "No active launch plan could be found: %s:%s:%s",
		                  r->id->project, r->id->domain, r->id->name);
	return svc_lp_reply(c, &pg.rows[0], resp);
}

static int svc_lp_list_reply(struct call *c, const struct svc_ver_page *pg,
                             ProtobufCMessage **resp)
{
	Flyteidl__Admin__LaunchPlanList *out =
	    call_new(c, &flyteidl__admin__launch_plan_list__descriptor);

	if (out == NULL || (pg->n > 0 && (out->launch_plans = arena_calloc(
	                                      c->arena, pg->n,
	                                      sizeof(*out->launch_plans))) ==
	                                     NULL))
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < pg->n; i++) {
		out->launch_plans[i] = svc_lp_msg(c, &pg->rows[i]);
		if (out->launch_plans[i] == NULL)
			return -c->code;
	}
	out->n_launch_plans = pg->n;
	out->token = pg->token;
	*resp = &out->base;
	return 0;
}

static int svc_list_launch_plans(struct call *c, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ResourceListRequest *r =
	    (const Flyteidl__Admin__ResourceListRequest *)req;
	struct svc_ver_page pg;
	int rc;

	rc = svc_ver_list_resources(c, &repo_kind_launch_plan,
	                            "ListLaunchPlans", r, &pg);
	if (rc != 0)
		return rc;
	return svc_lp_list_reply(c, &pg, resp);
}

static int svc_list_active_launch_plans(struct call *c,
                                        const ProtobufCMessage *req,
                                        ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ActiveLaunchPlanListRequest *r =
	    (const Flyteidl__Admin__ActiveLaunchPlanListRequest *)req;
	struct svc_ver_list_req lr = {"ListActiveLaunchPlans"};
	struct svc_ver_page pg;
	int rc;

	lr.project = r->project;
	lr.domain = r->domain;
	lr.active_only = 1;
	lr.limit = r->limit;
	lr.sort_by = r->sort_by;
	lr.token = r->token;
	rc = svc_ver_list(c, &repo_kind_launch_plan, &lr, &pg);
	if (rc != 0)
		return rc;
	return svc_lp_list_reply(c, &pg, resp);
}

static int svc_list_launch_plan_ids(struct call *c, const ProtobufCMessage *req,
                                    ProtobufCMessage **resp)
{
	return svc_ver_list_ids(c, &repo_kind_launch_plan, "ListLaunchPlanIds",
	                        req, resp);
}

#define SVC_ADMIN "/flyteidl.service.AdminService/"

const struct svc_route svc_launch_plan_routes[] = {
	{SVC_ADMIN "CreateLaunchPlan", svc_create_launch_plan},
	{SVC_ADMIN "UpdateLaunchPlan", svc_update_launch_plan},
	{SVC_ADMIN "GetLaunchPlan", svc_get_launch_plan},
	{SVC_ADMIN "GetActiveLaunchPlan", svc_get_active_launch_plan},
	{SVC_ADMIN "ListLaunchPlans", svc_list_launch_plans},
	{SVC_ADMIN "ListActiveLaunchPlans", svc_list_active_launch_plans},
	{SVC_ADMIN "ListLaunchPlanIds", svc_list_launch_plan_ids},
	{NULL, NULL},
};
