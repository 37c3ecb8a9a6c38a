/*
 * cli_entity.c -- keelctl get task|workflow|launchplan and update
 * launchplan, as flytectl has them:
 *
 *   get KIND -p P -d D                  the names (ListNamedEntities)
 *   get KIND NAME -p P -d D             its versions (List*, newest first)
 *   get KIND NAME --version V           one version (Get*)
 *   get KIND NAME --latest              the newest version (List*, 1)
 *
 * Tables have flytectl's columns; -o json|yaml print the messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <keel/keel_client.h>

#include "cli.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "pbjson.h"

#define CLI_ADMIN "/flyteidl.service.AdminService/"

const char *cli_time_str(const ProtobufCMessage *ts, char *buf, size_t cap)
{
	char *j;
	size_t n;

	buf[0] = '\0';
	if (!ts)
		return buf;
	j = pbjson_encode(ts, NULL, &n);
	/* a JSON string: drop the quotes */
	if (j && n >= 2 && j[0] == '"')
		snprintf(buf, cap, "%.*s", (int)(n - 2), j + 1);
	free(j);
	return buf;
}

/* The keys of a map field as "a, b" (flytectl lists the variables). */
static const char *cli_keys(struct cli_strs *s, const ProtobufCMessage *m,
                            const char *field)
{
	const ProtobufCFieldDescriptor *f;
	const ProtobufCMessage *const *ents;
	size_t n, i, len = 0;
	char *out;

	if (!m)
		return "";
	f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
	                                                    field);
	if (!f || !pbjson_is_map(f))
		return "";
	n = *(const size_t *)((const char *)m + f->quantifier_offset);
	ents = *(const ProtobufCMessage *const *const *)((const char *)m +
	                                                 f->offset);
	for (i = 0; i < n; i++) {
		/* map entries: key is field 1, a string here */
		const char *k = *(
		    const char *const *)((const char *)ents[i] +
		                         ents[i]->descriptor->fields[0].offset);

		len += strlen(k ? k : "") + 2;
	}
	out = malloc(len + 1);
	if (!out)
		return cli_strs_add(s, NULL);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *k = *(
		    const char *const *)((const char *)ents[i] +
		                         ents[i]->descriptor->fields[0].offset);

		if (i)
			strcat(out, ", ");
		strcat(out, k ? k : "");
	}
	return cli_strs_add(s, out);
}

static const char *cli_time_cell(struct cli_strs *s,
                                 const Google__Protobuf__Timestamp *ts)
{
	char buf[64];

	if (!ts)
		return "";
	return cli_strs_add(s,
	                    strdup(cli_time_str(&ts->base, buf, sizeof buf)));
}

static const char *cli_enum_name(const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *ev =
	    protobuf_c_enum_descriptor_get_value(d, v);

	return ev ? ev->name : "UNKNOWN";
}

/* ---- rows --------------------------------------------------------------- */

static const char *const cli_task_hdr[] = {"VERSION",
                                           "NAME",
                                           "TYPE",
                                           "INPUTS",
                                           "OUTPUTS",
                                           "DISCOVERABLE",
                                           "DISCOVERY VERSION",
                                           "CREATED AT"};

static void cli_task_row(const ProtobufCMessage *m, const char **cells,
                         struct cli_strs *s)
{
	const Flyteidl__Admin__Task *t = (const Flyteidl__Admin__Task *)m;
	const Flyteidl__Core__TaskTemplate *tt =
	    t->closure && t->closure->compiled_task
	        ? t->closure->compiled_task->template_
	        : NULL;
	const Flyteidl__Core__TypedInterface *ti = tt ? tt->interface : NULL;

	cells[0] = t->id ? t->id->version : "";
	cells[1] = t->id ? t->id->name : "";
	cells[2] = tt ? tt->type : "";
	cells[3] = cli_keys(s, ti && ti->inputs ? &ti->inputs->base : NULL,
	                    "variables");
	cells[4] = cli_keys(s, ti && ti->outputs ? &ti->outputs->base : NULL,
	                    "variables");
	cells[5] = tt && tt->metadata
	               ? (tt->metadata->discoverable ? "true" : "false")
	               : "";
	cells[6] = tt && tt->metadata ? tt->metadata->discovery_version : "";
	cells[7] = t->closure ? cli_time_cell(s, t->closure->created_at) : "";
}

static const char *const cli_wf_hdr[] = {"VERSION", "NAME", "INPUTS", "OUTPUTS",
                                         "CREATED AT"};

static void cli_wf_row(const ProtobufCMessage *m, const char **cells,
                       struct cli_strs *s)
{
	const Flyteidl__Admin__Workflow *w =
	    (const Flyteidl__Admin__Workflow *)m;
	const Flyteidl__Core__CompiledWorkflowClosure *cw =
	    w->closure ? w->closure->compiled_workflow : NULL;
	const Flyteidl__Core__WorkflowTemplate *wt =
	    cw && cw->primary ? cw->primary->template_ : NULL;
	const Flyteidl__Core__TypedInterface *ti = wt ? wt->interface : NULL;

	cells[0] = w->id ? w->id->version : "";
	cells[1] = w->id ? w->id->name : "";
	cells[2] = cli_keys(s, ti && ti->inputs ? &ti->inputs->base : NULL,
	                    "variables");
	cells[3] = cli_keys(s, ti && ti->outputs ? &ti->outputs->base : NULL,
	                    "variables");
	cells[4] = w->closure ? cli_time_cell(s, w->closure->created_at) : "";
}

static const char *cli_schedule(struct cli_strs *s,
                                const Flyteidl__Admin__Schedule *sc)
{
	char buf[512];

	if (!sc)
		return "";
	switch (sc->schedule_expression_case) {
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_EXPRESSION:
		/* deprecated in flyteidl, but older launch plans have it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		return sc->cron_expression;
#pragma GCC diagnostic pop
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_CRON_SCHEDULE:
		if (!sc->cron_schedule)
			return "";
		if (!sc->cron_schedule->offset || !*sc->cron_schedule->offset)
			return sc->cron_schedule->schedule;
		snprintf(buf, sizeof buf, "%s (offset %s)",
		         sc->cron_schedule->schedule,
		         sc->cron_schedule->offset);
		return cli_strs_add(s, strdup(buf));
	case FLYTEIDL__ADMIN__SCHEDULE__SCHEDULE_EXPRESSION_RATE:
		if (!sc->rate)
			return "";
		snprintf(
		    buf, sizeof buf, "every %u %s", sc->rate->value,
		    cli_enum_name(&flyteidl__admin__fixed_rate_unit__descriptor,
		                  (int)sc->rate->unit));
		return cli_strs_add(s, strdup(buf));
	default:
		return "";
	}
}

static const char *const cli_lp_hdr[] = {
    "VERSION", "NAME", "STATE", "SCHEDULE", "INPUTS", "OUTPUTS", "CREATED AT"};

static void cli_lp_row(const ProtobufCMessage *m, const char **cells,
                       struct cli_strs *s)
{
	const Flyteidl__Admin__LaunchPlan *lp =
	    (const Flyteidl__Admin__LaunchPlan *)m;
	const Flyteidl__Admin__LaunchPlanClosure *cl = lp->closure;

	cells[0] = lp->id ? lp->id->version : "";
	cells[1] = lp->id ? lp->id->name : "";
	cells[2] =
	    cl ? cli_enum_name(&flyteidl__admin__launch_plan_state__descriptor,
	                       (int)cl->state)
	       : "";
	cells[3] = lp->spec && lp->spec->entity_metadata
	               ? cli_schedule(s, lp->spec->entity_metadata->schedule)
	               : "";
	cells[4] = cli_keys(
	    s, cl && cl->expected_inputs ? &cl->expected_inputs->base : NULL,
	    "parameters");
	cells[5] = cli_keys(
	    s, cl && cl->expected_outputs ? &cl->expected_outputs->base : NULL,
	    "variables");
	cells[6] = cl ? cli_time_cell(s, cl->created_at) : "";
}

/* flytectl's columns for names */
static const char *const cli_ne_hdr[] = {"DOMAIN", "NAME", "PROJECT"};

static void cli_ne_row(const ProtobufCMessage *m, const char **cells,
                       struct cli_strs *s)
{
	const Flyteidl__Admin__NamedEntity *e =
	    (const Flyteidl__Admin__NamedEntity *)m;

	(void)s;
	cells[0] = e->id ? e->id->domain : "";
	cells[1] = e->id ? e->id->name : "";
	cells[2] = e->id ? e->id->project : "";
}

/* ---- the kinds ----------------------------------------------------------- */

struct cli_ent_kind {
	const char *what; /* in messages */
	Flyteidl__Core__ResourceType rt;
	const char *get_method, *list_method;
	const ProtobufCMessageDescriptor *one, *list;
	const char *items; /* the list's repeated field */
	struct cli_table table;
};

static const struct cli_ent_kind cli_ent_task = {
    "task",
    FLYTEIDL__CORE__RESOURCE_TYPE__TASK,
    CLI_ADMIN "GetTask",
    CLI_ADMIN "ListTasks",
    &flyteidl__admin__task__descriptor,
    &flyteidl__admin__task_list__descriptor,
    "tasks",
    {cli_task_hdr, 8, cli_task_row},
};

static const struct cli_ent_kind cli_ent_workflow = {
    "workflow",
    FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW,
    CLI_ADMIN "GetWorkflow",
    CLI_ADMIN "ListWorkflows",
    &flyteidl__admin__workflow__descriptor,
    &flyteidl__admin__workflow_list__descriptor,
    "workflows",
    {cli_wf_hdr, 5, cli_wf_row},
};

static const struct cli_ent_kind cli_ent_launchplan = {
    "launch plan",
    FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN,
    CLI_ADMIN "GetLaunchPlan",
    CLI_ADMIN "ListLaunchPlans",
    &flyteidl__admin__launch_plan__descriptor,
    &flyteidl__admin__launch_plan_list__descriptor,
    "launch_plans",
    {cli_lp_hdr, 7, cli_lp_row},
};

static const struct cli_table cli_ne_table = {cli_ne_hdr, 3, cli_ne_row};

/* -p and -d, which every command here needs. */
static int cli_need_scope(const struct cli_args *a)
{
	if (!a->o.project || !*a->o.project)
		return cli_usage_error(a, "which project? give -p PROJECT");
	if (!a->o.domain || !*a->o.domain)
		return cli_usage_error(a, "which domain? give -d DOMAIN");
	return CLI_EXIT_OK;
}

static int cli_list_names(struct cli_ctx *c, const struct cli_args *a,
                          const struct cli_ent_kind *k)
{
	Flyteidl__Admin__NamedEntityListRequest req =
	    FLYTEIDL__ADMIN__NAMED_ENTITY_LIST_REQUEST__INIT;
	struct cli_pages pg = {0};
	struct cli_list l;
	int rc;

	rc = cli_list_init(&l, a, 0);
	if (rc)
		goto out;
	req.resource_type = k->rt;
	req.project = (char *)a->o.project;
	req.domain = (char *)a->o.domain;
	cli_list_apply(&l, &req.limit, &req.token, &req.filters, &req.sort_by);
	rc = cli_list_fetch(
	    c, CLI_ADMIN "ListNamedEntities", &req.base, &req.token, &l,
	    &flyteidl__admin__named_entity_list__descriptor, "entities", &pg);
	if (rc == CLI_EXIT_OK)
		rc = cli_show(c, &cli_ne_table, pg.items, pg.nitems);
out:
	cli_pages_free(&pg);
	cli_list_free(&l);
	return rc;
}

static int cli_get_version(struct cli_ctx *c, const struct cli_args *a,
                           const struct cli_ent_kind *k, const char *name)
{
	Flyteidl__Admin__ObjectGetRequest req =
	    FLYTEIDL__ADMIN__OBJECT_GET_REQUEST__INIT;
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	ProtobufCMessage *resp = NULL;
	int rc;

	id.resource_type = k->rt;
	id.project = (char *)a->o.project;
	id.domain = (char *)a->o.domain;
	id.name = (char *)name;
	id.version = (char *)a->o.ent_version;
	req.id = &id;
	rc = cli_call(c, k->get_method, &req.base, k->one, &resp);
	if (rc)
		return rc;
	rc = cli_show(c, &k->table, &resp, 1);
	protobuf_c_message_free_unpacked(resp, NULL);
	return rc;
}

static int cli_get_entity(struct cli_ctx *c, const struct cli_args *a,
                          const struct cli_ent_kind *k)
{
	Flyteidl__Admin__ResourceListRequest req =
	    FLYTEIDL__ADMIN__RESOURCE_LIST_REQUEST__INIT;
	Flyteidl__Admin__NamedEntityIdentifier nid =
	    FLYTEIDL__ADMIN__NAMED_ENTITY_IDENTIFIER__INIT;
	struct cli_pages pg = {0};
	struct cli_list l;
	const char *name = a->npos ? a->pos[0] : NULL;
	int rc;

	rc = cli_need_scope(a);
	if (rc)
		return rc;
	if (a->o.ent_version && a->o.latest)
		return cli_usage_error(a, "--version and --latest cannot be "
		                          "used together");
	if (!name) {
		if (a->o.ent_version || a->o.latest)
			return cli_usage_error(
			    a, "--version and --latest need a %s name",
			    k->what);
		return cli_list_names(c, a, k);
	}
	if (a->o.ent_version)
		return cli_get_version(c, a, k, name);

	rc = cli_list_init(&l, a, 0);
	if (rc)
		goto out;
	nid.project = (char *)a->o.project;
	nid.domain = (char *)a->o.domain;
	nid.name = (char *)name;
	req.id = &nid;
	cli_list_apply(&l, &req.limit, &req.token, &req.filters, &req.sort_by);
	if (a->o.latest) {
		/* the newest version that passes the filters */
		l.all = 0;
		l.sort.key = (char *)"created_at";
		l.sort.direction = FLYTEIDL__ADMIN__SORT__DIRECTION__DESCENDING;
		req.sort_by = &l.sort;
		req.limit = 1;
	}
	rc = cli_list_fetch(c, k->list_method, &req.base, &req.token, &l,
	                    k->list, k->items, &pg);
	if (rc)
		goto out;
	if (a->o.latest && pg.nitems == 0) {
		cli_error("no %s named %s in project %s, domain %s "
		          "(NOT_FOUND)",
		          k->what, name, a->o.project, a->o.domain);
		rc = CLI_EXIT_SERVER;
		goto out;
	}
	rc = cli_show(c, &k->table, pg.items, pg.nitems);
out:
	cli_pages_free(&pg);
	cli_list_free(&l);
	return rc;
}

int cli_get_task(struct cli_ctx *c, const struct cli_args *a)
{
	return cli_get_entity(c, a, &cli_ent_task);
}

int cli_get_workflow(struct cli_ctx *c, const struct cli_args *a)
{
	return cli_get_entity(c, a, &cli_ent_workflow);
}

int cli_get_launchplan(struct cli_ctx *c, const struct cli_args *a)
{
	return cli_get_entity(c, a, &cli_ent_launchplan);
}

int cli_update_launchplan(struct cli_ctx *c, const struct cli_args *a)
{
	Flyteidl__Admin__LaunchPlanUpdateRequest req =
	    FLYTEIDL__ADMIN__LAUNCH_PLAN_UPDATE_REQUEST__INIT;
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	ProtobufCMessage *resp = NULL;
	int rc, deactivate = a->o.deactivate || a->o.archive;

	rc = cli_need_scope(a);
	if (rc)
		return rc;
	if (!a->o.ent_version || !*a->o.ent_version)
		return cli_usage_error(a, "which version? give --version V");
	if (a->o.activate == deactivate)
		return cli_usage_error(a, "give one of --activate and "
		                          "--deactivate");
	id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN;
	id.project = (char *)a->o.project;
	id.domain = (char *)a->o.domain;
	id.name = (char *)a->pos[0];
	id.version = (char *)a->o.ent_version;
	req.id = &id;
	req.state = a->o.activate
	                ? FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__ACTIVE
	                : FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__INACTIVE;
	rc = cli_call(c, CLI_ADMIN "UpdateLaunchPlan", &req.base,
	              &flyteidl__admin__launch_plan_update_response__descriptor,
	              &resp);
	if (rc)
		return rc;
	printf("launch plan %s version %s %s\n", id.name, id.version,
	       a->o.activate ? "activated" : "deactivated");
	protobuf_c_message_free_unpacked(resp, NULL);
	return CLI_EXIT_OK;
}
