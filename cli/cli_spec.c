/*
 * cli_spec.c -- the entities `pyflyte package` serializes, for keelctl
 * register files: decoding a member (admin.TaskSpec, admin.WorkflowSpec or
 * admin.LaunchPlan, binary or proto3 JSON) and flytectl's hydration of
 * its ids and references.  No client here: cli_test links this alone.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "pbjson.h"

static const char cli_ph_project[] = "{{ registration.project }}";
static const char cli_ph_domain[] = "{{ registration.domain }}";
static const char cli_ph_version[] = "{{ registration.version }}";

static const struct {
	const ProtobufCMessageDescriptor *desc;
	const char *what;
} cli_kinds[CLI_NKINDS] = {
    {&flyteidl__admin__task_spec__descriptor, "task"},
    {&flyteidl__admin__workflow_spec__descriptor, "workflow"},
    {&flyteidl__admin__launch_plan__descriptor, "launch plan"},
};

const char *cli_entity_what(enum cli_kind k)
{
	return k < CLI_NKINDS ? cli_kinds[k].what : "entity";
}

/* ---- decoding -------------------------------------------------------- */

/* The identifier that names a decoded entity; NULL when it has none. */
static Flyteidl__Core__Identifier *cli_entity_ident(enum cli_kind k,
                                                    ProtobufCMessage *m)
{
	switch (k) {
	case CLI_KIND_TASK: {
		Flyteidl__Admin__TaskSpec *t = (Flyteidl__Admin__TaskSpec *)m;

		return t->template_ ? t->template_->id : NULL;
	}
	case CLI_KIND_WORKFLOW: {
		Flyteidl__Admin__WorkflowSpec *w =
		    (Flyteidl__Admin__WorkflowSpec *)m;

		return w->template_ ? w->template_->id : NULL;
	}
	case CLI_KIND_LAUNCHPLAN: {
		Flyteidl__Admin__LaunchPlan *lp =
		    (Flyteidl__Admin__LaunchPlan *)m;

		return lp->spec ? lp->id : NULL;
	}
	default:
		return NULL;
	}
}

void cli_entity_id(const struct cli_entity *e, const char **name,
                   const char **version)
{
	const Flyteidl__Core__Identifier *id =
	    cli_entity_ident(e->kind, e->msg);

	*name = id && id->name ? id->name : "";
	*version = id && id->version ? id->version : "";
}

/* Does m look like what kind k needs?  protobuf decodes almost any bytes
 * as almost any message, so a named id is the test, as in flytectl. */
static const char *cli_entity_lacks(enum cli_kind k, ProtobufCMessage *m)
{
	const Flyteidl__Core__Identifier *id = cli_entity_ident(k, m);

	if (k == CLI_KIND_LAUNCHPLAN &&
	    !((Flyteidl__Admin__LaunchPlan *)m)->spec)
		return "no spec";
	if (!id)
		return k == CLI_KIND_LAUNCHPLAN ? "no id" : "no template id";
	if (!id->name || !*id->name)
		return "no name in its id";
	return NULL;
}

int cli_entity_decode(const char *name, const unsigned char *data, size_t len,
                      struct cli_entity *e, char *err, size_t errlen)
{
	static const unsigned char none[1];
	size_t n = strlen(name), k;
	int json = n >= 5 && strcmp(name + n - 5, ".json") == 0;
	int order[CLI_NKINDS], i, no = 0;
	const char *ext = json ? ".json" : ".pb";
	char first[512] = "";
	int pick = -1;

	memset(e, 0, sizeof *e);
	k = strlen(ext);
	/* "_1.pb": a task first, then the others (flytectl's order) */
	if (n > k + 2 && name[n - k - 2] == '_' && name[n - k - 1] >= '1' &&
	    name[n - k - 1] <= '3')
		pick = name[n - k - 1] - '1';
	if (pick >= 0)
		order[no++] = pick;
	for (i = 0; i < CLI_NKINDS; i++)
		if (i != pick)
			order[no++] = i;
	for (i = 0; i < no; i++) {
		enum cli_kind kd = (enum cli_kind)order[i];
		ProtobufCMessage *m = NULL;
		const char *lack;
		char why[400];

		if (json) {
			if (pbjson_decode(cli_kinds[kd].desc,
			                  (const char *)data, len, NULL, NULL,
			                  &m, why, sizeof why) < 0)
				m = NULL;
		} else {
			m = protobuf_c_message_unpack(cli_kinds[kd].desc, NULL,
			                              len, len ? data : none);
			if (!m)
				snprintf(why, sizeof why, "not a serialized %s",
				         cli_kinds[kd].desc->name);
		}
		if (m && (lack = cli_entity_lacks(kd, m)) != NULL) {
			snprintf(why, sizeof why, "%s", lack);
			protobuf_c_message_free_unpacked(m, NULL);
			m = NULL;
		}
		if (m) {
			e->kind = kd;
			e->msg = m;
			return 0;
		}
		if (!first[0])
			snprintf(first, sizeof first, "as a %s (%s): %s",
			         cli_kinds[kd].what, cli_kinds[kd].desc->name,
			         why);
	}
	snprintf(err, errlen,
	         "not a task, workflow or launch plan (admin.TaskSpec, "
	         "admin.WorkflowSpec or admin.LaunchPlan); %s",
	         first);
	return -1;
}

/* ---- hydration (flytectl's hydrateSpec) -------------------------------- */

struct cli_hydrate {
	const char *project, *domain, *version;
	const char *what;                      /* for messages: "workflow x" */
	const Flyteidl__Core__Identifier *own; /* the entity's id */
	char *err;
	size_t errlen;
};

/* Replace a string field of a decoded message; the old value is freed
 * unless it is protobuf-c's shared empty default. */
static int cli_set_str(char **slot, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -1;
	if (*slot && *slot != protobuf_c_empty_string)
		free(*slot);
	*slot = d;
	return 0;
}

static int cli_unset(const char *s, const char *placeholder)
{
	return !s || !*s || strcmp(s, placeholder) == 0;
}

static int cli_hydrate_id(struct cli_hydrate *h, Flyteidl__Core__Identifier *id)
{
	if (!id)
		return 0;
	if (cli_unset(id->project, cli_ph_project) &&
	    cli_set_str(&id->project, h->project) < 0)
		goto nomem;
	if (cli_unset(id->domain, cli_ph_domain) &&
	    cli_set_str(&id->domain, h->domain) < 0)
		goto nomem;
	if (cli_unset(id->version, cli_ph_version)) {
		if (!h->version && id == h->own) {
			snprintf(h->err, h->errlen,
			         "%s has no version: give --version", h->what);
			return -1;
		}
		if (!h->version) {
			snprintf(h->err, h->errlen,
			         "%s: its reference to %s has no version: give "
			         "--version",
			         h->what,
			         id->name && *id->name ? id->name : "?");
			return -1;
		}
		if (cli_set_str(&id->version, h->version) < 0)
			goto nomem;
	}
	return 0;
nomem:
	snprintf(h->err, h->errlen, "out of memory");
	return -1;
}

static int cli_hydrate_node(struct cli_hydrate *h, Flyteidl__Core__Node *nd,
                            int depth)
{
	Flyteidl__Core__IfElseBlock *ie;
	size_t i;

	if (!nd)
		return 0;
	if (depth > 64) {
		snprintf(h->err, h->errlen, "%s: nodes nested too deeply",
		         h->what);
		return -1;
	}
	switch (nd->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		if (nd->task_node->reference_case ==
		    FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID)
			return cli_hydrate_id(h, nd->task_node->reference_id);
		return 0;
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		switch (nd->workflow_node->reference_case) {
		case FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF:
			return cli_hydrate_id(
			    h, nd->workflow_node->launchplan_ref);
		case FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF:
			return cli_hydrate_id(
			    h, nd->workflow_node->sub_workflow_ref);
		default:
			snprintf(h->err, h->errlen,
			         "%s: node %s: a workflow node without a "
			         "reference",
			         h->what, nd->id);
			return -1;
		}
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		ie = nd->branch_node->if_else;
		if (!ie)
			return 0;
		if (ie->case_ &&
		    cli_hydrate_node(h, ie->case_->then_node, depth + 1) < 0)
			return -1;
		for (i = 0; i < ie->n_other; i++)
			if (cli_hydrate_node(h, ie->other[i]->then_node,
			                     depth + 1) < 0)
				return -1;
		if (ie->default_case ==
		    FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE)
			return cli_hydrate_node(h, ie->else_node, depth + 1);
		return 0;
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE:
		return 0;
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		return cli_hydrate_node(h, nd->array_node->node, depth + 1);
	default:
		snprintf(h->err, h->errlen, "%s: node %s has no target",
		         h->what, nd->id);
		return -1;
	}
}

static int cli_hydrate_wf(struct cli_hydrate *h,
                          Flyteidl__Core__WorkflowTemplate *t)
{
	size_t i;

	if (!t)
		return 0;
	for (i = 0; i < t->n_nodes; i++)
		if (cli_hydrate_node(h, t->nodes[i], 0) < 0)
			return -1;
	if (cli_hydrate_node(h, t->failure_node, 0) < 0)
		return -1;
	return cli_hydrate_id(h, t->id);
}

int cli_entity_hydrate(struct cli_entity *e, const char *project,
                       const char *domain, const char *version, char *err,
                       size_t errlen)
{
	struct cli_hydrate h = {project, domain, version, NULL,
	                        NULL,    err,    errlen};
	char what[300];
	const char *name, *ver;
	size_t i;

	cli_entity_id(e, &name, &ver);
	snprintf(what, sizeof what, "%s %s", cli_kinds[e->kind].what, name);
	h.what = what;
	h.own = cli_entity_ident(e->kind, e->msg);
	switch (e->kind) {
	case CLI_KIND_TASK:
		return cli_hydrate_id(
		    &h, ((Flyteidl__Admin__TaskSpec *)e->msg)->template_->id);
	case CLI_KIND_WORKFLOW: {
		Flyteidl__Admin__WorkflowSpec *w =
		    (Flyteidl__Admin__WorkflowSpec *)e->msg;

		if (cli_hydrate_wf(&h, w->template_) < 0)
			return -1;
		for (i = 0; i < w->n_sub_workflows; i++)
			if (cli_hydrate_wf(&h, w->sub_workflows[i]) < 0)
				return -1;
		return 0;
	}
	case CLI_KIND_LAUNCHPLAN: {
		Flyteidl__Admin__LaunchPlan *lp =
		    (Flyteidl__Admin__LaunchPlan *)e->msg;

		if (cli_hydrate_id(&h, lp->id) < 0)
			return -1;
		return cli_hydrate_id(&h, lp->spec->workflow_id);
	}
	default:
		snprintf(err, errlen, "unknown entity kind");
		return -1;
	}
}
