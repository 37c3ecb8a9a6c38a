/*
 * cli_exec.c -- keelctl's executions, as flytectl has them:
 *
 *   create execution -p P -d D --launchplan NAME | --task NAME
 *       [--version V] [--name N] [--input k=v ...] [--cluster-label L]
 *       [--wait]                              CreateExecution
 *   get execution -p P -d D                   ListExecutions, newest first
 *   get execution NAME -p P -d D              GetExecution, the node tree
 *                                             (ListNodeExecutions,
 *                                             ListTaskExecutions), outputs
 *                                             (GetExecutionData) or error
 *   get execution NAME --wait                 follow it to its end
 *   delete execution NAME... [--cause TEXT]   TerminateExecution
 *
 * --input values are parsed (lit_parse) as the type the launch plan or
 * task declares.  Following polls GetExecution and the node executions
 * every 250 ms and prints a line whenever a node changes phase; the exit
 * status is 0 only when the execution SUCCEEDED.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keel/keel_client.h>

#include "cli.h"
#include "flyteidl/admin/execution.pb-c.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/node_execution.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/task_execution.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "lit.h"

#define CLI_ADMIN      "/flyteidl.service.AdminService/"
#define CLI_POLL_MS    250
#define CLI_NODE_PAGE  500 /* node executions asked for per call */
#define CLI_TREE_DEPTH 16  /* nesting followed (subworkflows, dynamic) */
#define CLI_ERR_COLS   60  /* an error cell in the node tree */
#define CLI_LABEL_COLS 24  /* the node column of progress lines */

/* ---- small helpers ------------------------------------------------------ */

static int cli_empty(const char *s)
{
	return !s || !*s;
}

static const char *cli_enum_str(const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *ev =
	    protobuf_c_enum_descriptor_get_value(d, v);

	return ev ? ev->name : "UNKNOWN";
}

static const char *cli_wf_phase(int p)
{
	return cli_enum_str(
	    &flyteidl__core__workflow_execution__phase__descriptor, p);
}

static const char *cli_node_phase(int p)
{
	return cli_enum_str(&flyteidl__core__node_execution__phase__descriptor,
	                    p);
}

static int cli_wf_terminal(int p)
{
	return p == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED ||
	       p == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED ||
	       p == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED ||
	       p == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT;
}

static int cli_node_terminal(int p)
{
	return p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SKIPPED ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__TIMED_OUT ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RECOVERED;
}

static int64_t cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0 for NULL */
static int64_t cli_ts_ms(const Google__Protobuf__Timestamp *ts)
{
	return ts ? ts->seconds * 1000 + ts->nanos / 1000000 : 0;
}

static int64_t cli_dur_ms(const Google__Protobuf__Duration *d)
{
	return d ? d->seconds * 1000 + d->nanos / 1000000 : 0;
}

const char *cli_duration_str(int64_t ms, char *buf, size_t cap)
{
	int64_t t;

	if (ms < 0)
		ms = 0;
	if (ms < 1000) {
		snprintf(buf, cap, "%lldms", (long long)ms);
		return buf;
	}
	t = (ms + 50) / 100; /* tenths of a second */
	if (t < 600) {
		snprintf(buf, cap, "%lld.%llds", (long long)(t / 10),
		         (long long)(t % 10));
		return buf;
	}
	t = (ms + 500) / 1000; /* seconds */
	if (t < 3600)
		snprintf(buf, cap, "%lldm%llds", (long long)(t / 60),
		         (long long)(t % 60));
	else
		snprintf(buf, cap, "%lldh%lldm%llds", (long long)(t / 3600),
		         (long long)(t % 3600 / 60), (long long)(t % 60));
	return buf;
}

/* How long something has run: its duration once known, else the time
 * since it started ("" when it has not). */
static const char *cli_run_time(const Google__Protobuf__Timestamp *started,
                                const Google__Protobuf__Duration *dur, int done,
                                char *buf, size_t cap)
{
	buf[0] = '\0';
	if (dur && (dur->seconds || dur->nanos))
		return cli_duration_str(cli_dur_ms(dur), buf, cap);
	if (started && !done)
		return cli_duration_str(cli_now_ms() - cli_ts_ms(started), buf,
		                        cap);
	if (dur && done)
		return cli_duration_str(0, buf, cap);
	return buf;
}

/* -p and -d, which every command here needs. */
static int cli_exec_scope(const struct cli_args *a)
{
	if (cli_empty(a->o.project))
		return cli_usage_error(a, "which project? give -p PROJECT");
	if (cli_empty(a->o.domain))
		return cli_usage_error(a, "which domain? give -d DOMAIN");
	return CLI_EXIT_OK;
}

static void cli_exec_wid(const struct cli_args *a, const char *name,
                         Flyteidl__Core__WorkflowExecutionIdentifier *id)
{
	flyteidl__core__workflow_execution_identifier__init(id);
	id->project = (char *)a->o.project;
	id->domain = (char *)a->o.domain;
	id->name = (char *)name;
}

/* One line of s for a cell: control characters as spaces, at most max
 * code points (then "..."). malloc'd. */
static char *cli_one_line(const char *s, size_t max)
{
	size_t len = strlen(s ? s : ""), i, o = 0, cols = 0;
	char *out = malloc(len + 4);

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch & 0xc0) != 0x80 && cols++ == max) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		out[o++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	out[o] = '\0';
	return out;
}

/* Display columns of UTF-8 text (one per code point). */
static size_t cli_cols(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void cli_pad(FILE *out, const char *s, size_t width)
{
	size_t n;

	fputs(s, out);
	for (n = cli_cols(s); n < width; n++)
		fputc(' ', out);
}

/* ---- the execution list ---------------------------------------------- */

static const char *const cli_exec_hdr[] = {"NAME",  "LAUNCH PLAN", "VERSION",
                                           "PHASE", "STARTED",     "DURATION"};

static void cli_exec_row(const ProtobufCMessage *m, const char **cells,
                         struct cli_strs *s)
{
	const Flyteidl__Admin__Execution *e =
	    (const Flyteidl__Admin__Execution *)m;
	const Flyteidl__Admin__ExecutionClosure *cl = e->closure;
	const Flyteidl__Core__Identifier *lp =
	    e->spec ? e->spec->launch_plan : NULL;
	char buf[64];

	cells[0] = e->id ? e->id->name : "";
	cells[1] = lp ? lp->name : "";
	cells[2] = lp ? lp->version : "";
	cells[3] = cl ? cli_wf_phase((int)cl->phase) : "";
	cells[4] = "";
	cells[5] = "";
	if (!cl)
		return;
	if (cl->started_at)
		cells[4] =
		    cli_strs_add(s, strdup(cli_time_str(&cl->started_at->base,
		                                        buf, sizeof buf)));
	cli_run_time(cl->started_at, cl->duration,
	             cli_wf_terminal((int)cl->phase), buf, sizeof buf);
	if (*buf)
		cells[5] = cli_strs_add(s, strdup(buf));
}

static const struct cli_table cli_exec_table = {cli_exec_hdr, 6, cli_exec_row};

static int cli_exec_list(struct cli_ctx *c, const struct cli_args *a)
{
	Flyteidl__Admin__ResourceListRequest req =
	    FLYTEIDL__ADMIN__RESOURCE_LIST_REQUEST__INIT;
	Flyteidl__Admin__NamedEntityIdentifier nid =
	    FLYTEIDL__ADMIN__NAMED_ENTITY_IDENTIFIER__INIT;
	struct cli_pages pg = {0};
	struct cli_list l;
	int rc;

	rc = cli_list_init(&l, a, 0);
	if (rc)
		goto out;
	nid.project = (char *)a->o.project;
	nid.domain = (char *)a->o.domain;
	req.id = &nid;
	cli_list_apply(&l, &req.limit, &req.token, &req.filters, &req.sort_by);
	if (!l.sorted) {
		/* newest first */
		l.sort.key = (char *)"created_at";
		l.sort.direction = FLYTEIDL__ADMIN__SORT__DIRECTION__DESCENDING;
		req.sort_by = &l.sort;
	}
	rc = cli_list_fetch(
	    c, CLI_ADMIN "ListExecutions", &req.base, &req.token, &l,
	    &flyteidl__admin__execution_list__descriptor, "executions", &pg);
	if (rc == CLI_EXIT_OK)
		rc = cli_show(c, &cli_exec_table, pg.items, pg.nitems);
out:
	cli_pages_free(&pg);
	cli_list_free(&l);
	return rc;
}

/* ---- the workflow behind an execution: node names ------------------- */

struct cli_wf {
	ProtobufCMessage *msg; /* the Workflow, or NULL */
	const Flyteidl__Core__CompiledWorkflowClosure *cw;
};

/* GetWorkflow of the execution's workflow; without it nodes go unnamed,
 * which is no reason to fail. */
static void cli_wf_load(struct cli_ctx *c, const Flyteidl__Admin__Execution *e,
                        struct cli_wf *wf)
{
	Flyteidl__Admin__ObjectGetRequest req =
	    FLYTEIDL__ADMIN__OBJECT_GET_REQUEST__INIT;
	const Flyteidl__Admin__Workflow *w;

	memset(wf, 0, sizeof *wf);
	if (!e->closure || !e->closure->workflow_id)
		return;
	req.id = e->closure->workflow_id;
	if (cli_call_status(c, CLI_ADMIN "GetWorkflow", &req.base,
	                    &flyteidl__admin__workflow__descriptor, &wf->msg,
	                    NULL) != CLI_EXIT_OK)
		return;
	w = (const Flyteidl__Admin__Workflow *)wf->msg;
	wf->cw = w->closure ? w->closure->compiled_workflow : NULL;
}

static void cli_wf_free(struct cli_wf *wf)
{
	if (wf->msg)
		protobuf_c_message_free_unpacked(wf->msg, NULL);
	memset(wf, 0, sizeof *wf);
}

static int cli_id_eq(const Flyteidl__Core__Identifier *x,
                     const Flyteidl__Core__Identifier *y)
{
	return x && y && !strcmp(x->project, y->project) &&
	       !strcmp(x->domain, y->domain) && !strcmp(x->name, y->name) &&
	       !strcmp(x->version, y->version);
}

static const Flyteidl__Core__Node *
cli_tmpl_node(const Flyteidl__Core__WorkflowTemplate *t, const char *id)
{
	size_t i;

	if (!t || cli_empty(id))
		return NULL;
	for (i = 0; i < t->n_nodes; i++)
		if (t->nodes[i]->id && !strcmp(t->nodes[i]->id, id))
			return t->nodes[i];
	if (t->failure_node && t->failure_node->id &&
	    !strcmp(t->failure_node->id, id))
		return t->failure_node;
	return NULL;
}

/* The template node a child of parent (a template node, or NULL for the
 * top level) with spec id id runs: the node of a subworkflow, or a
 * branch's case. */
static const Flyteidl__Core__Node *
cli_child_node(const struct cli_wf *wf, const Flyteidl__Core__Node *parent,
               const char *id)
{
	const Flyteidl__Core__CompiledWorkflowClosure *cw = wf->cw;
	size_t i;

	if (!cw || cli_empty(id))
		return NULL;
	if (!parent)
		return cw->primary ? cli_tmpl_node(cw->primary->template_, id)
		                   : NULL;
	if (parent->target_case == FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE &&
	    parent->workflow_node &&
	    parent->workflow_node->reference_case ==
	        FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF) {
		for (i = 0; i < cw->n_sub_workflows; i++) {
			const Flyteidl__Core__WorkflowTemplate *t =
			    cw->sub_workflows[i]->template_;

			if (t &&
			    cli_id_eq(t->id,
			              parent->workflow_node->sub_workflow_ref))
				return cli_tmpl_node(t, id);
		}
		return NULL;
	}
	if (parent->target_case == FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE &&
	    parent->branch_node && parent->branch_node->if_else) {
		const Flyteidl__Core__IfElseBlock *ie =
		    parent->branch_node->if_else;
		const Flyteidl__Core__Node *n;

		n = ie->case_ ? ie->case_->then_node : NULL;
		if (n && n->id && !strcmp(n->id, id))
			return n;
		for (i = 0; i < ie->n_other; i++) {
			n = ie->other[i]->then_node;
			if (n && n->id && !strcmp(n->id, id))
				return n;
		}
		if (ie->default_case ==
		        FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE &&
		    ie->else_node && ie->else_node->id &&
		    !strcmp(ie->else_node->id, id))
			return ie->else_node;
	}
	return NULL;
}

/* What the console calls a node: its metadata name (flytekit: the
 * function's name), else the name of what it runs. */
static const char *cli_tnode_name(const Flyteidl__Core__Node *n)
{
	if (!n)
		return "";
	if (n->metadata && !cli_empty(n->metadata->name))
		return n->metadata->name;
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_TASK_NODE &&
	    n->task_node &&
	    n->task_node->reference_case ==
	        FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID &&
	    n->task_node->reference_id)
		return n->task_node->reference_id->name;
	if (n->target_case == FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE &&
	    n->workflow_node) {
		if (n->workflow_node->reference_case ==
		        FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF &&
		    n->workflow_node->launchplan_ref)
			return n->workflow_node->launchplan_ref->name;
		if (n->workflow_node->reference_case ==
		        FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF &&
		    n->workflow_node->sub_workflow_ref)
			return n->workflow_node->sub_workflow_ref->name;
	}
	return "";
}

/* ---- the node tree ------------------------------------------------------ */

struct cli_xnode {
	const Flyteidl__Admin__NodeExecution *ne;
	const Flyteidl__Core__Node *tn; /* its template node, or NULL */
	const char *name;               /* "" when unknown */
	int depth;
};

struct cli_tree {
	struct cli_xnode *v;
	size_t n, cap;
	ProtobufCMessage **resps; /* the lists the nodes point into */
	size_t nresps, capresps;
};

static void cli_tree_free(struct cli_tree *t)
{
	size_t i;

	for (i = 0; i < t->nresps; i++)
		protobuf_c_message_free_unpacked(t->resps[i], NULL);
	free(t->resps);
	free(t->v);
	memset(t, 0, sizeof *t);
}

static int cli_is_start_end(const char *id)
{
	size_t n = strlen(id);

	return !strcmp(id, "start-node") || !strcmp(id, "end-node") ||
	       (n > 11 && !strcmp(id + n - 11, "-start-node")) ||
	       (n > 9 && !strcmp(id + n - 9, "-end-node"));
}

/* Flyte's start and end nodes are bookkeeping, not work. */
static int cli_node_hidden(const Flyteidl__Admin__NodeExecution *ne)
{
	const char *id = ne->id && ne->id->node_id ? ne->id->node_id : "";

	if (cli_is_start_end(id))
		return 1;
	return ne->metadata && !cli_empty(ne->metadata->spec_node_id) &&
	       cli_is_start_end(ne->metadata->spec_node_id);
}

static int cli_tree_keep(struct cli_tree *t, ProtobufCMessage *m)
{
	if (t->nresps == t->capresps) {
		size_t nc = t->capresps ? t->capresps * 2 : 8;
		ProtobufCMessage **nv = realloc(t->resps, nc * sizeof *nv);

		if (!nv)
			return -1;
		t->resps = nv;
		t->capresps = nc;
	}
	t->resps[t->nresps++] = m;
	return 0;
}

static int cli_tree_add(struct cli_tree *t, const struct cli_xnode *x)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		struct cli_xnode *nv = realloc(t->v, nc * sizeof *nv);

		if (!nv)
			return -1;
		t->v = nv;
		t->cap = nc;
	}
	t->v[t->n++] = *x;
	return 0;
}

/* The node executions under parent (NULL: the top level), depth first,
 * children right after their parent. */
static int cli_tree_fetch(struct cli_ctx *c, struct cli_tree *t,
                          const struct cli_wf *wf,
                          Flyteidl__Core__WorkflowExecutionIdentifier *wid,
                          const char *parent, const Flyteidl__Core__Node *ptn,
                          int depth)
{
	Flyteidl__Admin__NodeExecutionListRequest req =
	    FLYTEIDL__ADMIN__NODE_EXECUTION_LIST_REQUEST__INIT;
	int rc;

	req.workflow_execution_id = wid;
	req.limit = CLI_NODE_PAGE;
	req.token = (char *)"";
	req.unique_parent_id = (char *)(parent ? parent : "");
	for (;;) {
		const Flyteidl__Admin__NodeExecutionList *list;
		ProtobufCMessage *resp = NULL;
		size_t i;

		rc = cli_call(c, CLI_ADMIN "ListNodeExecutions", &req.base,
		              &flyteidl__admin__node_execution_list__descriptor,
		              &resp);
		if (rc)
			return rc;
		if (cli_tree_keep(t, resp) < 0) {
			protobuf_c_message_free_unpacked(resp, NULL);
			goto nomem;
		}
		list = (const Flyteidl__Admin__NodeExecutionList *)resp;
		for (i = 0; i < list->n_node_executions; i++) {
			const Flyteidl__Admin__NodeExecution *ne =
			    list->node_executions[i];
			struct cli_xnode x = {ne, NULL, "", depth};
			const char *spec;

			if (!ne->id || cli_empty(ne->id->node_id) ||
			    cli_node_hidden(ne))
				continue;
			spec = ne->metadata &&
			               !cli_empty(ne->metadata->spec_node_id)
			           ? ne->metadata->spec_node_id
			           : ne->id->node_id;
			/* a child's template node only where the parent's
			 * template says what runs under it */
			if (!parent || ptn)
				x.tn = cli_child_node(wf, ptn, spec);
			x.name = cli_tnode_name(x.tn);
			if (cli_tree_add(t, &x) < 0)
				goto nomem;
			if (ne->metadata && ne->metadata->is_parent_node &&
			    depth + 1 < CLI_TREE_DEPTH) {
				rc = cli_tree_fetch(c, t, wf, wid,
				                    ne->id->node_id, x.tn,
				                    depth + 1);
				if (rc)
					return rc;
			}
		}
		if (cli_empty(list->token) || list->n_node_executions == 0)
			break;
		req.token = list->token;
	}
	return CLI_EXIT_OK;
nomem:
	cli_error("out of memory");
	return CLI_EXIT_SERVER;
}

/* ---- outputs and errors ------------------------------------------------- */

static int cli_entry_cmp(const void *x, const void *y)
{
	const Flyteidl__Core__LiteralMap__LiteralsEntry *const *a = x,
	                                                       *const *b = y;

	return strcmp((*a)->key ? (*a)->key : "", (*b)->key ? (*b)->key : "");
}

/* "  name = value" for each output, sorted by name. */
static void cli_print_literals(FILE *out, const Flyteidl__Core__LiteralMap *m)
{
	Flyteidl__Core__LiteralMap__LiteralsEntry **v;
	size_t i;

	v = malloc((m->n_literals ? m->n_literals : 1) * sizeof *v);
	if (!v) {
		fputs("  (out of memory)\n", out);
		return;
	}
	memcpy(v, m->literals, m->n_literals * sizeof *v);
	qsort(v, m->n_literals, sizeof *v, cli_entry_cmp);
	for (i = 0; i < m->n_literals; i++) {
		char buf[512], err[256], *big = NULL;
		const char *text = buf;
		int n = lit_text(v[i]->value, buf, sizeof buf, err, sizeof err);

		if (n < 0) {
			snprintf(buf, sizeof buf, "(cannot show: %s)", err);
		} else if ((size_t)n >= sizeof buf) {
			big = malloc((size_t)n + 1);
			if (big && lit_text(v[i]->value, big, (size_t)n + 1,
			                    err, sizeof err) >= 0)
				text = big;
		}
		fprintf(out, "  %s = %s\n", v[i]->key ? v[i]->key : "", text);
		free(big);
	}
	free(v);
}

/* GetExecutionData's outputs, under "Outputs:". */
static int cli_exec_outputs(struct cli_ctx *c,
                            Flyteidl__Core__WorkflowExecutionIdentifier *wid)
{
	Flyteidl__Admin__WorkflowExecutionGetDataRequest req =
	    FLYTEIDL__ADMIN__WORKFLOW_EXECUTION_GET_DATA_REQUEST__INIT;
	const Flyteidl__Admin__WorkflowExecutionGetDataResponse *d;
	ProtobufCMessage *resp = NULL;
	int rc;

	req.id = wid;
	rc = cli_call(
	    c, CLI_ADMIN "GetExecutionData", &req.base,
	    &flyteidl__admin__workflow_execution_get_data_response__descriptor,
	    &resp);
	if (rc)
		return rc;
	d = (const Flyteidl__Admin__WorkflowExecutionGetDataResponse *)resp;
	if (d->full_outputs && d->full_outputs->n_literals) {
		printf("Outputs:\n");
		cli_print_literals(stdout, d->full_outputs);
	} else {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		const Flyteidl__Admin__UrlBlob *u = d->outputs;
#pragma GCC diagnostic pop

		if (u && !cli_empty(u->url))
			printf("Outputs: %s (%lld bytes, too large to show)\n",
			       u->url, (long long)u->bytes);
		else
			printf("Outputs: none\n");
	}
	protobuf_c_message_free_unpacked(resp, NULL);
	return CLI_EXIT_OK;
}

/* The message lines of an execution error, indented. */
static void cli_print_indented(FILE *out, const char *s)
{
	while (s && *s) {
		size_t n = strcspn(s, "\n");

		fprintf(out, "  %.*s\n", (int)n, s);
		s += n;
		if (*s)
			s++;
	}
}

/* The end of an execution: its outputs, error or abort cause. */
static int cli_exec_result(struct cli_ctx *c,
                           const Flyteidl__Admin__Execution *e,
                           Flyteidl__Core__WorkflowExecutionIdentifier *wid)
{
	const Flyteidl__Admin__ExecutionClosure *cl = e->closure;

	if (!cl)
		return CLI_EXIT_OK;
	switch (cl->output_result_case) {
	case FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR: {
		const Flyteidl__Core__ExecutionError *er = cl->error;

		printf("Error");
		if (er && (!cli_empty(er->code) || er->kind))
			printf(
			    " (%s%s%s)",
			    cli_enum_str(
			        &flyteidl__core__execution_error__error_kind__descriptor,
			        (int)er->kind),
			    cli_empty(er->code) ? "" : ", ",
			    er && er->code ? er->code : "");
		printf(":\n");
		cli_print_indented(stdout, er && !cli_empty(er->message)
		                               ? er->message
		                               : "(no message)");
		return CLI_EXIT_OK;
	}
	case FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ABORT_METADATA:
		printf("Aborted%s%s: %s\n",
		       cl->abort_metadata &&
		               !cli_empty(cl->abort_metadata->principal)
		           ? " by "
		           : "",
		       cl->abort_metadata && cl->abort_metadata->principal
		           ? cl->abort_metadata->principal
		           : "",
		       cl->abort_metadata &&
		               !cli_empty(cl->abort_metadata->cause)
		           ? cl->abort_metadata->cause
		           : "(no cause given)");
		return CLI_EXIT_OK;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	case FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ABORT_CAUSE:
		printf("Aborted: %s\n", cli_empty(cl->abort_cause)
		                            ? "(no cause given)"
		                            : cl->abort_cause);
		return CLI_EXIT_OK;
#pragma GCC diagnostic pop
	default:
		if (cl->phase ==
		    FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED)
			return cli_exec_outputs(c, wid);
		return CLI_EXIT_OK;
	}
}

/* ---- get execution NAME ------------------------------------------------- */

/* Attempts of a task node and the last one's error (ListTaskExecutions);
 * the task's name when the template did not give one. */
static void cli_node_attempts(struct cli_ctx *c,
                              const Flyteidl__Admin__NodeExecution *ne,
                              struct cli_strs *s, const char **attempts,
                              const char **error, const char **name)
{
	Flyteidl__Admin__TaskExecutionListRequest req =
	    FLYTEIDL__ADMIN__TASK_EXECUTION_LIST_REQUEST__INIT;
	const Flyteidl__Admin__TaskExecutionList *l;
	const Flyteidl__Admin__TaskExecution *last = NULL;
	ProtobufCMessage *resp = NULL;
	char buf[32];
	size_t i;

	*attempts = "";
	req.node_execution_id = ne->id;
	req.limit = 100;
	req.token = (char *)"";
	if (cli_call_status(c, CLI_ADMIN "ListTaskExecutions", &req.base,
	                    &flyteidl__admin__task_execution_list__descriptor,
	                    &resp, NULL) != CLI_EXIT_OK)
		return;
	l = (const Flyteidl__Admin__TaskExecutionList *)resp;
	for (i = 0; i < l->n_task_executions; i++) {
		const Flyteidl__Admin__TaskExecution *te =
		    l->task_executions[i];

		if (!last || (te->id && last->id &&
		              te->id->retry_attempt >= last->id->retry_attempt))
			last = te;
	}
	if (last) {
		snprintf(buf, sizeof buf, "%zu", l->n_task_executions);
		*attempts = cli_strs_add(s, strdup(buf));
		if (last->closure &&
		    last->closure->output_result_case ==
		        FLYTEIDL__ADMIN__TASK_EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR &&
		    last->closure->error &&
		    !cli_empty(last->closure->error->message))
			*error = cli_strs_add(
			    s, cli_one_line(last->closure->error->message,
			                    CLI_ERR_COLS));
		if (cli_empty(*name) && last->id && last->id->task_id)
			*name =
			    cli_strs_add(s, strdup(last->id->task_id->name));
	}
	protobuf_c_message_free_unpacked(resp, NULL);
}

#define CLI_TREE_COLS 6

/* The node tree: NODE (indented by depth), NAME, PHASE, DURATION,
 * ATTEMPTS, ERROR. */
static int cli_print_tree(struct cli_ctx *c, const struct cli_tree *t)
{
	static const char *const hdr[CLI_TREE_COLS] = {
	    "NODE", "NAME", "PHASE", "DURATION", "ATTEMPTS", "ERROR"};
	struct cli_strs s = {NULL, 0, 0, 0};
	size_t w[CLI_TREE_COLS], i, j;
	const char **cells;

	if (t->n == 0) {
		printf("Nodes: none\n");
		return CLI_EXIT_OK;
	}
	cells = calloc(t->n * CLI_TREE_COLS, sizeof *cells);
	if (!cells) {
		cli_error("out of memory");
		return CLI_EXIT_SERVER;
	}
	for (i = 0; i < t->n; i++) {
		const struct cli_xnode *x = &t->v[i];
		const Flyteidl__Admin__NodeExecutionClosure *cl =
		    x->ne->closure;
		const char **row = cells + i * CLI_TREE_COLS;
		char buf[64], *node;
		size_t ind = (size_t)x->depth * 2;
		const char *id = x->ne->id->node_id;

		node = malloc(ind + strlen(id) + 1);
		if (node) {
			memset(node, ' ', ind);
			strcpy(node + ind, id);
		}
		row[0] = cli_strs_add(&s, node);
		row[1] = x->name;
		row[2] = cl ? cli_node_phase((int)cl->phase) : "";
		row[3] =
		    cl ? cli_strs_add(&s, strdup(cli_run_time(
		                              cl->started_at, cl->duration,
		                              cli_node_terminal((int)cl->phase),
		                              buf, sizeof buf)))
		       : "";
		row[4] = "";
		row[5] = "";
		if (cl &&
		    cl->output_result_case ==
		        FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR &&
		    cl->error && !cli_empty(cl->error->message))
			row[5] = cli_strs_add(
			    &s, cli_one_line(cl->error->message, CLI_ERR_COLS));
		/* nodes that run tasks have attempts; subworkflows do not */
		if (!(x->tn &&
		      x->tn->target_case !=
		          FLYTEIDL__CORE__NODE__TARGET_TASK_NODE &&
		      x->tn->target_case !=
		          FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE))
			cli_node_attempts(c, x->ne, &s, &row[4], &row[5],
			                  &row[1]);
	}
	if (s.oom) {
		free(cells);
		cli_strs_free(&s);
		cli_error("out of memory");
		return CLI_EXIT_SERVER;
	}
	for (j = 0; j < CLI_TREE_COLS; j++)
		w[j] = cli_cols(hdr[j]);
	for (i = 0; i < t->n; i++)
		for (j = 0; j < CLI_TREE_COLS; j++) {
			const char *cell = cells[i * CLI_TREE_COLS + j];

			if (cell && cli_cols(cell) > w[j])
				w[j] = cli_cols(cell);
		}
	for (i = 0; i <= t->n; i++) {
		const char *const *row =
		    i == 0 ? hdr : cells + (i - 1) * CLI_TREE_COLS;
		size_t last = CLI_TREE_COLS - 1;

		/* no trailing blanks */
		while (last > 0 && cli_empty(row[last]))
			last--;
		for (j = 0; j <= last; j++) {
			if (j)
				fputs("  ", stdout);
			if (j == last)
				fputs(row[j] ? row[j] : "", stdout);
			else
				cli_pad(stdout, row[j] ? row[j] : "", w[j]);
		}
		fputc('\n', stdout);
	}
	free(cells);
	cli_strs_free(&s);
	return CLI_EXIT_OK;
}

/* The summary of one execution, the node tree, then the result. */
static int cli_exec_show(struct cli_ctx *c, const Flyteidl__Admin__Execution *e,
                         Flyteidl__Core__WorkflowExecutionIdentifier *wid)
{
	const Flyteidl__Admin__ExecutionClosure *cl = e->closure;
	const Flyteidl__Core__Identifier *lp =
	    e->spec ? e->spec->launch_plan : NULL;
	struct cli_tree t = {0};
	struct cli_wf wf;
	char buf[64];
	int rc, phase = cl ? (int)cl->phase : 0;

	printf("Execution:   %s\n", e->id ? e->id->name : wid->name);
	if (lp)
		printf("Launch plan: %s (version %s)\n", lp->name, lp->version);
	if (cl && cl->workflow_id)
		printf("Workflow:    %s (version %s)\n", cl->workflow_id->name,
		       cl->workflow_id->version);
	printf("Phase:       %s\n", cli_wf_phase(phase));
	if (cl && cl->created_at)
		printf("Created:     %s\n",
		       cli_time_str(&cl->created_at->base, buf, sizeof buf));
	if (cl && cl->started_at)
		printf("Started:     %s\n",
		       cli_time_str(&cl->started_at->base, buf, sizeof buf));
	if (cl && *cli_run_time(cl->started_at, cl->duration,
	                        cli_wf_terminal(phase), buf, sizeof buf))
		printf("Duration:    %s\n", buf);
	printf("\n");
	cli_wf_load(c, e, &wf);
	rc = cli_tree_fetch(c, &t, &wf, wid, NULL, NULL, 0);
	if (rc == CLI_EXIT_OK)
		rc = cli_print_tree(c, &t);
	cli_tree_free(&t);
	cli_wf_free(&wf);
	if (rc)
		return rc;
	if (cli_wf_terminal(phase) ||
	    (cl &&
	     cl->output_result_case !=
	         FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT__NOT_SET)) {
		printf("\n");
		rc = cli_exec_result(c, e, wid);
	}
	return rc;
}

/* ---- following an execution ------------------------------------------- */

struct cli_seen {
	char *id;
	int phase;
};

struct cli_follow {
	struct cli_seen *v;
	size_t n, cap;
	int64_t t0;     /* ms: when the execution was created */
	int exec_phase; /* last printed; -1 before the first */
};

static void cli_follow_free(struct cli_follow *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].id);
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* "  12.3s  n0 square                 RUNNING" */
static void cli_progress(const struct cli_follow *f, const char *label,
                         size_t depth, const char *phase, const char *dur)
{
	char el[32], lab[256];

	cli_duration_str(cli_now_ms() - f->t0, el, sizeof el);
	snprintf(lab, sizeof lab, "%*s%s", (int)(depth * 2), "", label);
	printf("  %7s  ", el);
	cli_pad(stdout, lab, CLI_LABEL_COLS);
	printf(" %s%s%s\n", phase, *dur ? "  " : "", dur);
}

/* Print the nodes of t whose phase changed since the last poll. */
static int cli_follow_nodes(struct cli_follow *f, const struct cli_tree *t)
{
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		const struct cli_xnode *x = &t->v[i];
		const Flyteidl__Admin__NodeExecutionClosure *cl =
		    x->ne->closure;
		const char *id = x->ne->id->node_id;
		int phase = cl ? (int)cl->phase : 0;
		char label[256], dur[32];

		for (j = 0; j < f->n; j++)
			if (!strcmp(f->v[j].id, id))
				break;
		if (j < f->n && f->v[j].phase == phase)
			continue;
		if (j == f->n) {
			if (f->n == f->cap) {
				size_t nc = f->cap ? f->cap * 2 : 16;
				struct cli_seen *nv =
				    realloc(f->v, nc * sizeof *nv);

				if (!nv)
					return -1;
				f->v = nv;
				f->cap = nc;
			}
			f->v[j].id = strdup(id);
			if (!f->v[j].id)
				return -1;
			f->n++;
		}
		f->v[j].phase = phase;
		snprintf(label, sizeof label, "%s%s%s", id, *x->name ? " " : "",
		         x->name);
		dur[0] = '\0';
		if (cl && cli_node_terminal(phase))
			cli_run_time(cl->started_at, cl->duration, 1, dur,
			             sizeof dur);
		cli_progress(f, label, (size_t)x->depth, cli_node_phase(phase),
		             dur);
	}
	return 0;
}

static void cli_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Follow wid until it ends; table output shows progress, then the
 * result.  0 when it SUCCEEDED, 1 when it ended otherwise. */
static int cli_exec_follow(struct cli_ctx *c,
                           Flyteidl__Core__WorkflowExecutionIdentifier *wid)
{
	Flyteidl__Admin__WorkflowExecutionGetRequest req =
	    FLYTEIDL__ADMIN__WORKFLOW_EXECUTION_GET_REQUEST__INIT;
	struct cli_follow f = {0};
	struct cli_wf wf = {0};
	ProtobufCMessage *resp = NULL;
	const Flyteidl__Admin__Execution *e = NULL;
	int table = c->output == CLI_OUT_TABLE, rc, phase = 0, wf_tried = 0;
	char buf[64];

	f.exec_phase = -1;
	f.t0 = cli_now_ms();
	req.id = wid;
	for (;;) {
		if (resp)
			protobuf_c_message_free_unpacked(resp, NULL);
		resp = NULL;
		rc = cli_call(c, CLI_ADMIN "GetExecution", &req.base,
		              &flyteidl__admin__execution__descriptor, &resp);
		if (rc)
			goto out;
		e = (const Flyteidl__Admin__Execution *)resp;
		phase = e->closure ? (int)e->closure->phase : 0;
		if (table) {
			struct cli_tree t = {0};

			if (!wf_tried && e->closure && e->closure->created_at)
				f.t0 = cli_ts_ms(e->closure->created_at);
			if (!wf_tried) {
				cli_wf_load(c, e, &wf);
				wf_tried = 1;
			}
			rc = cli_tree_fetch(c, &t, &wf, wid, NULL, NULL, 0);
			if (rc == CLI_EXIT_OK && cli_follow_nodes(&f, &t) < 0) {
				cli_error("out of memory");
				rc = CLI_EXIT_SERVER;
			}
			cli_tree_free(&t);
			if (rc)
				goto out;
			/* the execution's own phase, after its nodes' (not
			 * UNDEFINED: keeld has not launched it yet) */
			if (phase != f.exec_phase &&
			    phase !=
			        FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__UNDEFINED) {
				cli_progress(&f, wid->name, 0,
				             cli_wf_phase(phase), "");
				f.exec_phase = phase;
			}
			fflush(stdout);
		}
		if (cli_wf_terminal(phase))
			break;
		cli_sleep_ms(CLI_POLL_MS);
	}
	if (table) {
		const Flyteidl__Admin__ExecutionClosure *cl = e->closure;

		cli_run_time(cl ? cl->started_at : NULL,
		             cl ? cl->duration : NULL, 1, buf, sizeof buf);
		printf("\nExecution %s %s%s%s\n", wid->name,
		       cli_wf_phase(phase), *buf ? " in " : "", buf);
		rc = cli_exec_result(c, e, wid);
		if (rc)
			goto out;
	} else if (cli_print_messages(stdout, c->output,
	                              (const ProtobufCMessage *const *)&resp, 1,
	                              0) < 0) {
		cli_error("cannot print the result: %s", strerror(errno));
		rc = CLI_EXIT_SERVER;
		goto out;
	}
	if (phase != FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED) {
		cli_error("execution %s ended %s", wid->name,
		          cli_wf_phase(phase));
		rc = CLI_EXIT_SERVER;
	}
out:
	if (resp)
		protobuf_c_message_free_unpacked(resp, NULL);
	cli_wf_free(&wf);
	cli_follow_free(&f);
	return rc;
}

int cli_get_execution(struct cli_ctx *c, const struct cli_args *a)
{
	Flyteidl__Admin__WorkflowExecutionGetRequest req =
	    FLYTEIDL__ADMIN__WORKFLOW_EXECUTION_GET_REQUEST__INIT;
	Flyteidl__Core__WorkflowExecutionIdentifier wid;
	ProtobufCMessage *resp = NULL;
	int rc;

	rc = cli_exec_scope(a);
	if (rc)
		return rc;
	if (!a->npos) {
		if (a->o.wait)
			return cli_usage_error(a, "--wait needs an execution "
			                          "name");
		return cli_exec_list(c, a);
	}
	cli_exec_wid(a, a->pos[0], &wid);
	if (a->o.wait)
		return cli_exec_follow(c, &wid);
	req.id = &wid;
	rc = cli_call(c, CLI_ADMIN "GetExecution", &req.base,
	              &flyteidl__admin__execution__descriptor, &resp);
	if (rc)
		return rc;
	if (c->output == CLI_OUT_TABLE)
		rc = cli_exec_show(c, (const Flyteidl__Admin__Execution *)resp,
		                   &wid);
	else
		rc = cli_show(c, &cli_exec_table, &resp, 1);
	protobuf_c_message_free_unpacked(resp, NULL);
	return rc;
}

/* ---- create execution -----------------------------------------------------
 */

/* What is launched: the launch plan or task message and its inputs. */
struct cli_target {
	ProtobufCMessage *msg;  /* LaunchPlan or Task (owned) */
	ProtobufCMessage *list; /* the TaskList it came in, or NULL */
	const Flyteidl__Core__Identifier *id;
	const Flyteidl__Core__ParameterMap *params; /* launch plan */
	const Flyteidl__Core__VariableMap *vars;    /* task */
	const char *what;                           /* "launch plan", "task" */
};

static void cli_target_free(struct cli_target *t)
{
	if (t->list)
		protobuf_c_message_free_unpacked(t->list, NULL);
	else if (t->msg)
		protobuf_c_message_free_unpacked(t->msg, NULL);
	memset(t, 0, sizeof *t);
}

static int cli_target_lp(struct cli_ctx *c, const struct cli_args *a,
                         struct cli_target *t)
{
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	Flyteidl__Admin__NamedEntityIdentifier nid =
	    FLYTEIDL__ADMIN__NAMED_ENTITY_IDENTIFIER__INIT;
	const Flyteidl__Admin__LaunchPlan *lp;
	struct cli_status st;
	int rc;

	t->what = "launch plan";
	if (a->o.ent_version) {
		Flyteidl__Admin__ObjectGetRequest req =
		    FLYTEIDL__ADMIN__OBJECT_GET_REQUEST__INIT;

		id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN;
		id.project = (char *)a->o.project;
		id.domain = (char *)a->o.domain;
		id.name = (char *)a->o.launchplan;
		id.version = (char *)a->o.ent_version;
		req.id = &id;
		rc = cli_call(c, CLI_ADMIN "GetLaunchPlan", &req.base,
		              &flyteidl__admin__launch_plan__descriptor,
		              &t->msg);
		if (rc)
			return rc;
	} else {
		Flyteidl__Admin__ActiveLaunchPlanRequest req =
		    FLYTEIDL__ADMIN__ACTIVE_LAUNCH_PLAN_REQUEST__INIT;

		nid.project = (char *)a->o.project;
		nid.domain = (char *)a->o.domain;
		nid.name = (char *)a->o.launchplan;
		req.id = &nid;
		rc = cli_call_status(
		    c, CLI_ADMIN "GetActiveLaunchPlan", &req.base,
		    &flyteidl__admin__launch_plan__descriptor, &t->msg, &st);
		if (rc) {
			cli_error("%s (%s)", st.message,
			          keel_client_code_name(st.code));
			if (st.code == 5) /* NOT_FOUND */
				fprintf(stderr,
				        "Give --version V, or activate a "
				        "version first: keelctl update "
				        "launchplan %s -p %s -d %s --version V "
				        "--activate\n",
				        a->o.launchplan, a->o.project,
				        a->o.domain);
			return rc;
		}
	}
	lp = (const Flyteidl__Admin__LaunchPlan *)t->msg;
	t->id = lp->id;
	t->params = lp->closure ? lp->closure->expected_inputs : NULL;
	if (!t->id) {
		cli_error("keeld sent a launch plan without an id");
		return CLI_EXIT_SERVER;
	}
	return CLI_EXIT_OK;
}

static int cli_target_task(struct cli_ctx *c, const struct cli_args *a,
                           struct cli_target *t)
{
	const Flyteidl__Admin__Task *task;
	const Flyteidl__Core__TaskTemplate *tt;
	int rc;

	t->what = "task";
	if (a->o.ent_version) {
		Flyteidl__Admin__ObjectGetRequest req =
		    FLYTEIDL__ADMIN__OBJECT_GET_REQUEST__INIT;
		Flyteidl__Core__Identifier id =
		    FLYTEIDL__CORE__IDENTIFIER__INIT;

		id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
		id.project = (char *)a->o.project;
		id.domain = (char *)a->o.domain;
		id.name = (char *)a->o.task;
		id.version = (char *)a->o.ent_version;
		req.id = &id;
		rc = cli_call(c, CLI_ADMIN "GetTask", &req.base,
		              &flyteidl__admin__task__descriptor, &t->msg);
		if (rc)
			return rc;
	} else {
		/* the newest version */
		Flyteidl__Admin__ResourceListRequest req =
		    FLYTEIDL__ADMIN__RESOURCE_LIST_REQUEST__INIT;
		Flyteidl__Admin__NamedEntityIdentifier nid =
		    FLYTEIDL__ADMIN__NAMED_ENTITY_IDENTIFIER__INIT;
		Flyteidl__Admin__Sort sort = FLYTEIDL__ADMIN__SORT__INIT;
		const Flyteidl__Admin__TaskList *l;

		nid.project = (char *)a->o.project;
		nid.domain = (char *)a->o.domain;
		nid.name = (char *)a->o.task;
		sort.key = (char *)"created_at";
		sort.direction = FLYTEIDL__ADMIN__SORT__DIRECTION__DESCENDING;
		req.id = &nid;
		req.limit = 1;
		req.token = (char *)"";
		req.sort_by = &sort;
		rc =
		    cli_call(c, CLI_ADMIN "ListTasks", &req.base,
		             &flyteidl__admin__task_list__descriptor, &t->list);
		if (rc)
			return rc;
		l = (const Flyteidl__Admin__TaskList *)t->list;
		if (l->n_tasks == 0) {
			cli_error("no task named %s in project %s, domain %s "
			          "(NOT_FOUND)",
			          a->o.task, a->o.project, a->o.domain);
			return CLI_EXIT_SERVER;
		}
		t->msg = &l->tasks[0]->base;
	}
	task = (const Flyteidl__Admin__Task *)t->msg;
	tt = task->closure && task->closure->compiled_task
	         ? task->closure->compiled_task->template_
	         : NULL;
	t->id = task->id;
	t->vars = tt && tt->interface ? tt->interface->inputs : NULL;
	if (!t->id) {
		cli_error("keeld sent a task without an id");
		return CLI_EXIT_SERVER;
	}
	return CLI_EXIT_OK;
}

/* The declared type of input name, or NULL. */
static const Flyteidl__Core__LiteralType *
cli_target_type(const struct cli_target *t, const char *name, size_t n)
{
	size_t i;

	if (t->params)
		for (i = 0; i < t->params->n_parameters; i++) {
			const Flyteidl__Core__ParameterMap__ParametersEntry *p =
			    t->params->parameters[i];

			if (p->key && strlen(p->key) == n &&
			    !strncmp(p->key, name, n))
				return p->value && p->value->var
				           ? p->value->var->type
				           : NULL;
		}
	if (t->vars)
		for (i = 0; i < t->vars->n_variables; i++) {
			const Flyteidl__Core__VariableMap__VariablesEntry *v =
			    t->vars->variables[i];

			if (v->key && strlen(v->key) == n &&
			    !strncmp(v->key, name, n))
				return v->value ? v->value->type : NULL;
		}
	return NULL;
}

/* "a, b, c" (the declared inputs, sorted), malloc'd. */
static char *cli_target_inputs(const struct cli_target *t)
{
	const char **keys;
	size_t n = 0, i, len = 1;
	char *out;

	n = (t->params ? t->params->n_parameters : 0) +
	    (t->vars ? t->vars->n_variables : 0);
	keys = calloc(n ? n : 1, sizeof *keys);
	if (!keys)
		return NULL;
	n = 0;
	for (i = 0; t->params && i < t->params->n_parameters; i++)
		keys[n++] = t->params->parameters[i]->key;
	for (i = 0; t->vars && i < t->vars->n_variables; i++)
		keys[n++] = t->vars->variables[i]->key;
	for (i = 0; i < n; i++)
		len += strlen(keys[i] ? keys[i] : "") + 2;
	out = malloc(len);
	if (out) {
		size_t j;

		/* insertion sort: a handful of names */
		for (i = 1; i < n; i++)
			for (j = i;
			     j > 0 && strcmp(keys[j - 1] ? keys[j - 1] : "",
			                     keys[j] ? keys[j] : "") > 0;
			     j--) {
				const char *tmp = keys[j];

				keys[j] = keys[j - 1];
				keys[j - 1] = tmp;
			}
		out[0] = '\0';
		for (i = 0; i < n; i++) {
			if (i)
				strcat(out, ", ");
			strcat(out, keys[i] ? keys[i] : "");
		}
	}
	free(keys);
	return out;
}

/* Every --input NAME=VALUE into m, parsed as its declared type. */
static int cli_parse_inputs(const struct cli_args *a,
                            const struct cli_target *t,
                            ProtobufCAllocator *alloc,
                            Flyteidl__Core__LiteralMap *m)
{
	size_t i;

	for (i = 0; i < a->o.inputs.n; i++) {
		const char *arg = a->o.inputs.v[i], *eq = strchr(arg, '=');
		const Flyteidl__Core__LiteralType *type;
		Flyteidl__Core__Literal *lit = NULL;
		char err[512], *name;
		size_t n;
		int rc;

		if (!eq || eq == arg)
			return cli_usage_error(a,
			                       "invalid --input \"%s\": want "
			                       "NAME=VALUE",
			                       arg);
		n = (size_t)(eq - arg);
		type = cli_target_type(t, arg, n);
		if (!type) {
			char *list = cli_target_inputs(t);

			rc = cli_usage_error(
			    a, "%s %s has no input named \"%.*s\"; %s%s",
			    t->what, t->id->name, (int)n, arg,
			    list && *list ? "its inputs are: "
			                  : "it takes no inputs",
			    list && *list ? list : "");
			free(list);
			return rc;
		}
		name = alloc->alloc(alloc->allocator_data, n + 1);
		if (!name) {
			cli_error("out of memory");
			return CLI_EXIT_SERVER;
		}
		memcpy(name, arg, n);
		name[n] = '\0';
		if (lit_parse(alloc, type, eq + 1, &lit, err, sizeof err) < 0)
			return cli_usage_error(a, "invalid --input %s: %s",
			                       name, err);
		if (lit_map_set(alloc, m, name, lit) < 0) {
			cli_error("out of memory");
			return CLI_EXIT_SERVER;
		}
	}
	return CLI_EXIT_OK;
}

int cli_create_execution(struct cli_ctx *c, const struct cli_args *a)
{
	Flyteidl__Admin__ExecutionCreateRequest req =
	    FLYTEIDL__ADMIN__EXECUTION_CREATE_REQUEST__INIT;
	Flyteidl__Admin__ExecutionSpec spec =
	    FLYTEIDL__ADMIN__EXECUTION_SPEC__INIT;
	Flyteidl__Admin__ExecutionMetadata md =
	    FLYTEIDL__ADMIN__EXECUTION_METADATA__INIT;
	Flyteidl__Admin__ExecutionClusterLabel cluster =
	    FLYTEIDL__ADMIN__EXECUTION_CLUSTER_LABEL__INIT;
	Flyteidl__Core__LiteralMap inputs = FLYTEIDL__CORE__LITERAL_MAP__INIT;
	Flyteidl__Core__WorkflowExecutionIdentifier wid;
	const Flyteidl__Admin__ExecutionCreateResponse *cr;
	struct cli_target t = {0};
	struct lit_arena *arena = NULL;
	ProtobufCMessage *resp = NULL;
	int rc;

	rc = cli_exec_scope(a);
	if (rc)
		return rc;
	if (!cli_empty(a->o.launchplan) == !cli_empty(a->o.task))
		return cli_usage_error(a, "give one of --launchplan NAME and "
		                          "--task NAME");
	if (a->o.ent_version && !*a->o.ent_version)
		return cli_usage_error(a, "--version is empty");
	arena = lit_arena_new();
	if (!arena) {
		cli_error("out of memory");
		return CLI_EXIT_SERVER;
	}
	rc = a->o.launchplan ? cli_target_lp(c, a, &t)
	                     : cli_target_task(c, a, &t);
	if (rc)
		goto out;
	rc = cli_parse_inputs(a, &t, lit_arena_allocator(arena), &inputs);
	if (rc)
		goto out;

	req.project = (char *)a->o.project;
	req.domain = (char *)a->o.domain;
	req.name = (char *)(a->o.name ? a->o.name : "");
	md.mode = FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__MANUAL;
	spec.launch_plan = (Flyteidl__Core__Identifier *)t.id;
	spec.metadata = &md;
	if (!cli_empty(a->o.cluster_label)) {
		cluster.value = (char *)a->o.cluster_label;
		spec.execution_cluster_label = &cluster;
	}
	req.spec = &spec;
	req.inputs = &inputs;
	rc = cli_call(c, CLI_ADMIN "CreateExecution", &req.base,
	              &flyteidl__admin__execution_create_response__descriptor,
	              &resp);
	if (rc)
		goto out;
	cr = (const Flyteidl__Admin__ExecutionCreateResponse *)resp;
	if (!cr->id || cli_empty(cr->id->name)) {
		cli_error("keeld did not say which execution it created");
		rc = CLI_EXIT_SERVER;
		goto out;
	}
	if (c->output == CLI_OUT_TABLE) {
		printf("%s\n", cr->id->name);
		fflush(stdout);
	} else if (!a->o.wait &&
	           cli_print_messages(stdout, c->output,
	                              (const ProtobufCMessage *const *)&cr->id,
	                              1, 0) < 0) {
		cli_error("cannot print the result: %s", strerror(errno));
		rc = CLI_EXIT_SERVER;
		goto out;
	}
	if (a->o.wait) {
		cli_exec_wid(a, cr->id->name, &wid);
		rc = cli_exec_follow(c, &wid);
	}
out:
	if (resp)
		protobuf_c_message_free_unpacked(resp, NULL);
	cli_target_free(&t);
	lit_arena_free(arena);
	return rc;
}

/* ---- delete execution -----------------------------------------------------
 */

int cli_delete_execution(struct cli_ctx *c, const struct cli_args *a)
{
	int rc, worst = CLI_EXIT_OK;
	size_t i;

	rc = cli_exec_scope(a);
	if (rc)
		return rc;
	for (i = 0; i < a->npos; i++) {
		Flyteidl__Admin__ExecutionTerminateRequest req =
		    FLYTEIDL__ADMIN__EXECUTION_TERMINATE_REQUEST__INIT;
		Flyteidl__Core__WorkflowExecutionIdentifier wid;
		ProtobufCMessage *resp = NULL;

		cli_exec_wid(a, a->pos[i], &wid);
		req.id = &wid;
		req.cause = (char *)(a->o.cause ? a->o.cause : "");
		rc = cli_call(
		    c, CLI_ADMIN "TerminateExecution", &req.base,
		    &flyteidl__admin__execution_terminate_response__descriptor,
		    &resp);
		if (rc) {
			/* unreachable stops; a refusal goes on to the next */
			if (rc == CLI_EXIT_UNREACHABLE)
				return rc;
			if (!worst)
				worst = rc;
			continue;
		}
		printf("execution %s: termination requested (ABORTING)\n",
		       a->pos[i]);
		protobuf_c_message_free_unpacked(resp, NULL);
	}
	return worst;
}
