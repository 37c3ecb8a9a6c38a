/*
 * wfcompile.c -- the workflow compiler (see wfcompile.h).
 *
 * One template (the primary, then each subworkflow) is compiled at a
 * time: resolve every node's interface, check its bindings, derive the
 * graph's edges, check that the graph is acyclic, then build the compiled
 * template with start-node and end-node and its connection set.  Problems
 * are collected, not returned at the first one, so a user fixes them in
 * one round.  Graphs are small (max_nodes), so lookups are linear.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "littype.h"
#include "sbuf.h"
#include "wfcompile.h"

/* Nesting of branch and array nodes inside one another. */
#define WFC_MAX_DEPTH 16
/* Cases of one branch node, else included. */
#define WFC_MAX_CASES 64

struct wfc_var {
	const char *name;
	const Flyteidl__Core__LiteralType *type;
	int required;
};

struct wfc_iface {
	struct wfc_var *in, *out;
	size_t nin, nout;
};

struct wfc_node {
	const char *id;
	const Flyteidl__Core__Node *src; /* NULL for start-node, end-node */
	struct wfc_iface iface;
	int resolved;
	size_t *up; /* indices of upstream nodes */
	size_t nup, upcap;
	size_t ndown;
};

struct wfc {
	struct arena *a;
	const struct wfc_env *env;
	struct sbuf *errs;
	int nerrs;
	int oom;
	/* The template being compiled. */
	const Flyteidl__Core__WorkflowTemplate *t;
	struct wfc_node *nodes; /* [0] start-node, [1..n] nodes, [n+1] end */
	size_t n;               /* all, start and end included */
	const char **ids;       /* every node id seen, inner ones too */
	size_t nids, idcap;
};

static const char *wfc_str(const char *s)
{
	return s != NULL ? s : "";
}

static void wfc_error(struct wfc *w, const char *code, const char *node,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void wfc_error(struct wfc *w, const char *code, const char *node,
                      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (w->nerrs++ >= WFC_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sbuf_printf(w->errs, "\n\tError %d: Code: %s, Node Id: %s, "
	                     "Description: %s",
	            w->nerrs - 1, code, node != NULL ? node : "", msg);
}

int wfc_id_equal(const Flyteidl__Core__Identifier *a,
                 const Flyteidl__Core__Identifier *b)
{
	return a != NULL && b != NULL &&
	       strcmp(wfc_str(a->project), wfc_str(b->project)) == 0 &&
	       strcmp(wfc_str(a->domain), wfc_str(b->domain)) == 0 &&
	       strcmp(wfc_str(a->name), wfc_str(b->name)) == 0 &&
	       strcmp(wfc_str(a->version), wfc_str(b->version)) == 0 &&
	       strcmp(wfc_str(a->org), wfc_str(b->org)) == 0;
}

static const char *wfc_id_text(struct arena *a,
                               const Flyteidl__Core__Identifier *id)
{
	const char *s;

	if (id == NULL)
		return "(none)";
	s = arena_printf(a, "%s/%s/%s/%s", wfc_str(id->project),
	                 wfc_str(id->domain), wfc_str(id->name),
	                 wfc_str(id->version));
	return s != NULL ? s : "?";
}

/* ---- requirements ----------------------------------------------------- */

struct wfc_reqs {
	struct arena *a;
	const Flyteidl__Core__Identifier **tasks, **lps;
	size_t ntasks, nlps, tcap, lcap;
	int oom;
};

static void wfc_req_add(struct wfc_reqs *r, const Flyteidl__Core__Identifier *id,
                        int lp)
{
	const Flyteidl__Core__Identifier ***v = lp ? &r->lps : &r->tasks;
	size_t *n = lp ? &r->nlps : &r->ntasks;
	size_t *cap = lp ? &r->lcap : &r->tcap;

	if (id == NULL)
		return;
	for (size_t i = 0; i < *n; i++)
		if (wfc_id_equal((*v)[i], id))
			return;
	*v = arena_grow(r->a, *v, *n, cap, sizeof(**v));
	if (*v == NULL) {
		r->oom = 1;
		return;
	}
	(*v)[(*n)++] = id;
}

static void wfc_req_node(struct wfc_reqs *r, const Flyteidl__Core__Node *n,
                         int depth)
{
	if (n == NULL || depth > WFC_MAX_DEPTH)
		return;
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE:
		if (n->task_node->reference_case ==
		    FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID)
			wfc_req_add(r, n->task_node->reference_id, 0);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		if (n->workflow_node->reference_case ==
		    FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF)
			wfc_req_add(r, n->workflow_node->launchplan_ref, 1);
		break;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE: {
		const Flyteidl__Core__IfElseBlock *ie = n->branch_node->if_else;
		if (ie == NULL)
			break;
		if (ie->case_ != NULL)
			wfc_req_node(r, ie->case_->then_node, depth + 1);
		for (size_t i = 0; i < ie->n_other; i++)
			if (ie->other[i] != NULL)
				wfc_req_node(r, ie->other[i]->then_node,
				             depth + 1);
		if (ie->default_case ==
		    FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE)
			wfc_req_node(r, ie->else_node, depth + 1);
		break;
	}
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE:
		wfc_req_node(r, n->array_node->node, depth + 1);
		break;
	default:
		break;
	}
}

static void wfc_req_template(struct wfc_reqs *r,
                             const Flyteidl__Core__WorkflowTemplate *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_nodes; i++)
		wfc_req_node(r, t->nodes[i], 0);
	wfc_req_node(r, t->failure_node, 0);
}

int wfc_requirements(struct arena *a,
                     const Flyteidl__Core__WorkflowTemplate *primary,
                     Flyteidl__Core__WorkflowTemplate *const *subs,
                     size_t nsubs, const Flyteidl__Core__Identifier ***tasks,
                     size_t *ntasks, const Flyteidl__Core__Identifier ***lps,
                     size_t *nlps)
{
	struct wfc_reqs r = {.a = a};

	wfc_req_template(&r, primary);
	for (size_t i = 0; i < nsubs; i++)
		wfc_req_template(&r, subs[i]);
	if (r.oom)
		return -1;
	*tasks = r.tasks;
	*ntasks = r.ntasks;
	*lps = r.lps;
	*nlps = r.nlps;
	return 0;
}

/* ---- interfaces ------------------------------------------------------- */

static int wfc_vars_from_map(struct wfc *w, const Flyteidl__Core__VariableMap *m,
                             struct wfc_var **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (m == NULL || m->n_variables == 0)
		return 0;
	*out = arena_calloc(w->a, m->n_variables, sizeof(**out));
	if (*out == NULL)
		return w->oom = 1, -1;
	for (size_t i = 0; i < m->n_variables; i++) {
		const Flyteidl__Core__VariableMap__VariablesEntry *e =
		    m->variables[i];
		(*out)[*n].name = wfc_str(e->key);
		(*out)[*n].type = e->value != NULL ? e->value->type : NULL;
		(*out)[*n].required = 1;
		(*n)++;
	}
	return 0;
}

static int wfc_iface_from_typed(struct wfc *w,
                                const Flyteidl__Core__TypedInterface *t,
                                struct wfc_iface *f)
{
	memset(f, 0, sizeof(*f));
	if (t == NULL)
		return 0;
	if (wfc_vars_from_map(w, t->inputs, &f->in, &f->nin) != 0)
		return -1;
	return wfc_vars_from_map(w, t->outputs, &f->out, &f->nout);
}

static const struct wfc_var *wfc_find_var(const struct wfc_var *v, size_t n,
                                          const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static const Flyteidl__Core__TaskTemplate *
wfc_find_task(const struct wfc_env *env, const Flyteidl__Core__Identifier *id)
{
	for (size_t i = 0; i < env->ntasks; i++)
		if (wfc_id_equal(env->tasks[i]->id, id))
			return env->tasks[i];
	return NULL;
}

static const struct wfc_launch_plan *
wfc_find_lp(const struct wfc_env *env, const Flyteidl__Core__Identifier *id)
{
	for (size_t i = 0; i < env->nlps; i++)
		if (wfc_id_equal(env->lps[i].id, id))
			return &env->lps[i];
	return NULL;
}

static const Flyteidl__Core__WorkflowTemplate *
wfc_find_sub(const struct wfc_env *env, const Flyteidl__Core__Identifier *id)
{
	for (size_t i = 0; i < env->nsubs; i++)
		if (wfc_id_equal(env->subs[i]->id, id))
			return env->subs[i];
	return NULL;
}

static Flyteidl__Core__LiteralType *
wfc_collection_of(struct wfc *w, const Flyteidl__Core__LiteralType *t)
{
	Flyteidl__Core__LiteralType *c = arena_calloc(w->a, 1, sizeof(*c));

	if (c == NULL) {
		w->oom = 1;
		return NULL;
	}
	flyteidl__core__literal_type__init(c);
	c->type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE;
	c->collection_type = (Flyteidl__Core__LiteralType *)t;
	return c;
}

static const Flyteidl__Core__LiteralType *
wfc_output_type(struct wfc *w, const char *node_id, const char *var,
                int *found_node);
static void wfc_check_bindings(struct wfc *w, size_t owner,
                               const Flyteidl__Core__Node *n,
                               const struct wfc_var *in, size_t nin,
                               int derive, struct wfc_var **derived,
                               size_t *nderived);
static int wfc_node_iface(struct wfc *w, size_t owner,
                          const Flyteidl__Core__Node *n, int depth,
                          struct wfc_iface *f);

/* Remember an id; 0 when it is new. */
static int wfc_note_id(struct wfc *w, const char *id)
{
	for (size_t i = 0; i < w->nids; i++)
		if (strcmp(w->ids[i], id) == 0)
			return 1;
	w->ids = arena_grow(w->a, w->ids, w->nids, &w->idcap, sizeof(*w->ids));
	if (w->ids == NULL) {
		w->oom = 1;
		return 0;
	}
	w->ids[w->nids++] = id;
	return 0;
}

/* Check a node nested in a branch or array node: its own id, its
 * interface, its bindings (whose producers become owner's upstream). */
static int wfc_inner_node(struct wfc *w, size_t owner,
                          const Flyteidl__Core__Node *n, int depth,
                          struct wfc_iface *f)
{
	const char *pid = w->nodes[owner].id;

	if (n->id == NULL || n->id[0] == '\0') {
		wfc_error(w, "ValueRequired", pid, "a node inside [%s] has no id",
		          pid);
		return -1;
	}
	if (wfc_note_id(w, n->id))
		wfc_error(w, "DuplicateNodeID", n->id,
		          "node id [%s] is used more than once", n->id);
	if (wfc_node_iface(w, owner, n, depth, f) != 0)
		return -1;
	wfc_check_bindings(w, owner, n, f->in, f->nin, 0, NULL, NULL);
	return 0;
}

static void wfc_check_operand(struct wfc *w, const char *node,
                              const Flyteidl__Core__Operand *o,
                              const struct wfc_var *in, size_t nin)
{
	if (o == NULL) {
		wfc_error(w, "ValueRequired", node,
		          "a comparison is missing an operand");
		return;
	}
	if (o->val_case == FLYTEIDL__CORE__OPERAND__VAL_VAR &&
	    wfc_find_var(in, nin, wfc_str(o->var)) == NULL)
		wfc_error(w, "VariableNameNotFound", node,
		          "the condition uses [%s], which is not one of the "
		          "branch node's input bindings",
		          wfc_str(o->var));
	else if (o->val_case == FLYTEIDL__CORE__OPERAND__VAL__NOT_SET)
		wfc_error(w, "ValueRequired", node,
		          "a comparison operand has no value");
}

static void wfc_check_condition(struct wfc *w, const char *node,
                                const Flyteidl__Core__BooleanExpression *e,
                                const struct wfc_var *in, size_t nin,
                                int depth)
{
	if (e == NULL) {
		wfc_error(w, "ValueRequired", node, "a branch has no condition");
		return;
	}
	if (depth > WFC_MAX_DEPTH) {
		wfc_error(w, "InvalidValue", node,
		          "the condition nests deeper than %d", WFC_MAX_DEPTH);
		return;
	}
	switch (e->expr_case) {
	case FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_CONJUNCTION:
		wfc_check_condition(w, node, e->conjunction->left_expression, in,
		                    nin, depth + 1);
		wfc_check_condition(w, node, e->conjunction->right_expression,
		                    in, nin, depth + 1);
		break;
	case FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_COMPARISON:
		wfc_check_operand(w, node, e->comparison->left_value, in, nin);
		wfc_check_operand(w, node, e->comparison->right_value, in, nin);
		break;
	default:
		wfc_error(w, "ValueRequired", node,
		          "a condition has no expression");
	}
}

/*
 * A branch node's interface, as flytepropeller derives it: inputs are its
 * own bindings (the variables its conditions read), outputs the ones every
 * case produces with types castable both ways.
 */
static int wfc_branch_iface(struct wfc *w, size_t owner,
                            const Flyteidl__Core__Node *n, int depth,
                            struct wfc_iface *f)
{
	const Flyteidl__Core__IfElseBlock *ie = n->branch_node->if_else;
	const Flyteidl__Core__Node *cases[WFC_MAX_CASES];
	const Flyteidl__Core__BooleanExpression *conds[WFC_MAX_CASES];
	size_t ncases = 0, nconds;
	int first = 1;

	memset(f, 0, sizeof(*f));
	if (ie == NULL || ie->case_ == NULL || ie->case_->then_node == NULL) {
		wfc_error(w, "ValueRequired", n->id,
		          "a branch node needs if_else.case with a then_node");
		return -1;
	}
	if (ie->n_other + 2 > WFC_MAX_CASES) {
		wfc_error(w, "InvalidValue", n->id,
		          "a branch node may have at most %d cases",
		          WFC_MAX_CASES - 2);
		return -1;
	}
	conds[ncases] = ie->case_->condition;
	cases[ncases++] = ie->case_->then_node;
	for (size_t i = 0; i < ie->n_other; i++) {
		if (ie->other[i] == NULL || ie->other[i]->then_node == NULL) {
			wfc_error(w, "ValueRequired", n->id,
			          "if_else.other[%zu] has no then_node", i);
			continue;
		}
		conds[ncases] = ie->other[i]->condition;
		cases[ncases++] = ie->other[i]->then_node;
	}
	nconds = ncases;
	if (ie->default_case == FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE) {
		conds[ncases] = NULL;
		cases[ncases++] = ie->else_node;
	} else if (ie->default_case !=
	           FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR) {
		wfc_error(w, "ValueRequired", n->id,
		          "a branch node needs an else_node or an error");
	}
	/* Inputs: what the bindings bring, typed by their producers. */
	wfc_check_bindings(w, owner, n, NULL, 0, 1, &f->in, &f->nin);
	for (size_t i = 0; i < ncases; i++) {
		struct wfc_iface c;

		if (i < nconds)
			wfc_check_condition(w, n->id, conds[i], f->in, f->nin,
			                    0);
		if (cases[i] == NULL ||
		    wfc_inner_node(w, owner, cases[i], depth + 1, &c) != 0)
			continue;
		if (first) {
			f->out = c.out;
			f->nout = c.nout;
			first = 0;
			continue;
		}
		/* Keep the outputs this case shares, type-compatible. */
		for (size_t k = 0; k < f->nout;) {
			const struct wfc_var *o =
			    wfc_find_var(c.out, c.nout, f->out[k].name);
			char why[256];
			if (o == NULL) {
				f->out[k] = f->out[--f->nout];
				continue;
			}
			if (!littype_castable(o->type, f->out[k].type, why,
			                      sizeof(why)) ||
			    !littype_castable(f->out[k].type, o->type, why,
			                      sizeof(why)))
				wfc_error(w, "MismatchingTypes", cases[i]->id,
				          "output [%s] of this case does not "
				          "match the other cases: %s",
				          f->out[k].name, why);
			k++;
		}
	}
	return 0;
}

/* Resolve n's interface (n at top level has index owner; nested nodes
 * pass their top-level owner). 0, or -1 after reporting why. */
static int wfc_node_iface(struct wfc *w, size_t owner,
                          const Flyteidl__Core__Node *n, int depth,
                          struct wfc_iface *f)
{
	const char *id = n->id;

	memset(f, 0, sizeof(*f));
	if (depth > WFC_MAX_DEPTH) {
		wfc_error(w, "InvalidValue", id,
		          "branch and array nodes nest deeper than %d",
		          WFC_MAX_DEPTH);
		return -1;
	}
	switch (n->target_case) {
	case FLYTEIDL__CORE__NODE__TARGET_TASK_NODE: {
		const Flyteidl__Core__TaskTemplate *t;
		if (n->task_node->reference_case !=
		    FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID) {
			wfc_error(w, "ValueRequired", id,
			          "a task node needs reference_id");
			return -1;
		}
		t = wfc_find_task(w->env, n->task_node->reference_id);
		if (t == NULL) {
			wfc_error(w, "TaskReferenceNotFound", id,
			          "referenced task [%s] is not registered",
			          wfc_id_text(w->a, n->task_node->reference_id));
			return -1;
		}
		return wfc_iface_from_typed(w, t->interface, f);
	}
	case FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE:
		if (n->workflow_node->reference_case ==
		    FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_LAUNCHPLAN_REF) {
			const struct wfc_launch_plan *lp =
			    wfc_find_lp(w->env, n->workflow_node->launchplan_ref);
			const Flyteidl__Core__ParameterMap *pm;
			if (lp == NULL) {
				wfc_error(w, "LaunchPlanReferenceNotFound", id,
				          "referenced launch plan [%s] is not "
				          "registered",
				          wfc_id_text(w->a, n->workflow_node
				                                ->launchplan_ref));
				return -1;
			}
			pm = lp->inputs;
			if (pm != NULL && pm->n_parameters > 0) {
				f->in = arena_calloc(w->a, pm->n_parameters,
				                     sizeof(*f->in));
				if (f->in == NULL)
					return w->oom = 1, -1;
				for (size_t i = 0; i < pm->n_parameters; i++) {
					const Flyteidl__Core__Parameter *p =
					    pm->parameters[i]->value;
					struct wfc_var *v = &f->in[f->nin++];
					v->name = wfc_str(pm->parameters[i]->key);
					v->type = p && p->var ? p->var->type : NULL;
					/* A default makes it optional. */
					v->required =
					    p == NULL ||
					    p->behavior_case !=
					        FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT;
				}
			}
			return wfc_vars_from_map(w, lp->outputs, &f->out,
			                         &f->nout);
		}
		if (n->workflow_node->reference_case ==
		    FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF) {
			const Flyteidl__Core__WorkflowTemplate *s = wfc_find_sub(
			    w->env, n->workflow_node->sub_workflow_ref);
			if (s == NULL) {
				wfc_error(w, "WorkflowReferenceNotFound", id,
				          "referenced subworkflow [%s] is not "
				          "among the spec's sub_workflows",
				          wfc_id_text(w->a, n->workflow_node
				                                ->sub_workflow_ref));
				return -1;
			}
			return wfc_iface_from_typed(w, s->interface, f);
		}
		wfc_error(w, "ValueRequired", id,
		          "a workflow node needs launchplan_ref or "
		          "sub_workflow_ref");
		return -1;
	case FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE:
		return wfc_branch_iface(w, owner, n, depth, f);
	case FLYTEIDL__CORE__NODE__TARGET_GATE_NODE:
		switch (n->gate_node->condition_case) {
		case FLYTEIDL__CORE__GATE_NODE__CONDITION_SIGNAL: {
			const Flyteidl__Core__SignalCondition *s =
			    n->gate_node->signal;
			if (s->signal_id == NULL || s->signal_id[0] == '\0' ||
			    s->type == NULL) {
				wfc_error(w, "ValueRequired", id,
				          "a signal gate needs signal_id and "
				          "type");
				return -1;
			}
			if (s->output_variable_name != NULL &&
			    s->output_variable_name[0] != '\0') {
				f->out = arena_calloc(w->a, 1, sizeof(*f->out));
				if (f->out == NULL)
					return w->oom = 1, -1;
				f->out[0].name = s->output_variable_name;
				f->out[0].type = s->type;
				f->nout = 1;
			}
			return 0;
		}
		case FLYTEIDL__CORE__GATE_NODE__CONDITION_APPROVE:
			if (n->gate_node->approve->signal_id == NULL ||
			    n->gate_node->approve->signal_id[0] == '\0') {
				wfc_error(w, "ValueRequired", id,
				          "an approve gate needs signal_id");
				return -1;
			}
			/* The gated values pass through, as with sleep. */
			__attribute__((fallthrough));
		case FLYTEIDL__CORE__GATE_NODE__CONDITION_SLEEP:
			wfc_check_bindings(w, owner, n, NULL, 0, 1, &f->in,
			                   &f->nin);
			f->out = f->in;
			f->nout = f->nin;
			return 0;
		default:
			wfc_error(w, "ValueRequired", id,
			          "a gate node needs approve, signal or sleep");
			return -1;
		}
	case FLYTEIDL__CORE__NODE__TARGET_ARRAY_NODE: {
		const Flyteidl__Core__ArrayNode *an = n->array_node;
		struct wfc_iface c;
		if (an->node == NULL) {
			wfc_error(w, "ValueRequired", id,
			          "an array node needs a node");
			return -1;
		}
		/* The inner node's own bindings are not checked: the array
		 * node's bindings feed it, element by element. */
		if (an->node->id != NULL && an->node->id[0] != '\0' &&
		    wfc_note_id(w, an->node->id))
			wfc_error(w, "DuplicateNodeID", an->node->id,
			          "node id [%s] is used more than once",
			          an->node->id);
		if (wfc_node_iface(w, owner, an->node, depth + 1, &c) != 0)
			return -1;
		f->nin = c.nin;
		f->nout = c.nout;
		f->in = c.nin ? arena_calloc(w->a, c.nin, sizeof(*f->in)) : NULL;
		f->out = c.nout ? arena_calloc(w->a, c.nout, sizeof(*f->out))
		                : NULL;
		if ((c.nin && f->in == NULL) || (c.nout && f->out == NULL))
			return w->oom = 1, -1;
		for (size_t i = 0; i < c.nin; i++) {
			int bound = 0;
			for (size_t k = 0; k < an->n_bound_inputs; k++)
				if (strcmp(an->bound_inputs[k], c.in[i].name) == 0)
					bound = 1;
			f->in[i] = c.in[i];
			if (!bound)
				f->in[i].type = wfc_collection_of(w, c.in[i].type);
		}
		for (size_t i = 0; i < c.nout; i++) {
			f->out[i] = c.out[i];
			f->out[i].type = wfc_collection_of(w, c.out[i].type);
		}
		return w->oom ? -1 : 0;
	}
	default:
		wfc_error(w, "ValueRequired", id,
		          "the node has no target (task_node, workflow_node, "
		          "branch_node, gate_node or array_node)");
		return -1;
	}
}

/* ---- bindings --------------------------------------------------------- */

static size_t wfc_index(const struct wfc *w, const char *id)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->nodes[i].id, id) == 0)
			return i;
	return (size_t)-1;
}

static void wfc_add_edge(struct wfc *w, size_t from, size_t to)
{
	struct wfc_node *t = &w->nodes[to];

	if (from == to)
		return;
	for (size_t i = 0; i < t->nup; i++)
		if (t->up[i] == from)
			return;
	t->up = arena_grow(w->a, t->up, t->nup, &t->upcap, sizeof(*t->up));
	if (t->up == NULL) {
		w->oom = 1;
		return;
	}
	t->up[t->nup++] = from;
	w->nodes[from].ndown++;
}

static const Flyteidl__Core__LiteralType *
wfc_output_type(struct wfc *w, const char *node_id, const char *var,
                int *found_node)
{
	size_t i = wfc_index(w, node_id);
	const struct wfc_var *v;

	*found_node = i != (size_t)-1 && i + 1 != w->n;
	if (!*found_node || !w->nodes[i].resolved)
		return NULL;
	v = wfc_find_var(w->nodes[i].iface.out, w->nodes[i].iface.nout, var);
	return v != NULL ? v->type : NULL;
}

/*
 * Check one BindingData against the expected type `want` (NULL: only
 * resolve promises and report their type in *got).  Promise producers
 * become upstream of owner.
 */
static void wfc_check_data(struct wfc *w, size_t owner, const char *node,
                           const char *var,
                           const Flyteidl__Core__BindingData *b,
                           const Flyteidl__Core__LiteralType *want,
                           const Flyteidl__Core__LiteralType **got,
                           int depth)
{
	char why[512];

	if (got != NULL)
		*got = NULL;
	if (b == NULL) {
		wfc_error(w, "ValueRequired", node, "input [%s] has no binding",
		          var);
		return;
	}
	if (depth > WFC_MAX_DEPTH * 4) {
		wfc_error(w, "InvalidValue", node,
		          "input [%s]: binding nests too deep", var);
		return;
	}
	switch (b->value_case) {
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE: {
		const Flyteidl__Core__OutputReference *p = b->promise;
		const Flyteidl__Core__LiteralType *t;
		size_t from;
		int found;

		if (p->node_id == NULL || p->node_id[0] == '\0') {
			wfc_error(w, "ValueRequired", node,
			          "input [%s]: the promise names no node", var);
			return;
		}
		t = wfc_output_type(w, p->node_id, wfc_str(p->var), &found);
		if (!found) {
			wfc_error(w, "NodeReferenceNotFound", node,
			          "input [%s] refers to node [%s], which is not "
			          "in the workflow",
			          var, p->node_id);
			return;
		}
		from = wfc_index(w, p->node_id);
		wfc_add_edge(w, from, owner);
		if (!w->nodes[from].resolved)
			return; /* already reported */
		if (t == NULL) {
			wfc_error(w, "VariableNameNotFound", node,
			          "input [%s] refers to output [%s] of node "
			          "[%s], which has no such output",
			          var, wfc_str(p->var), p->node_id);
			return;
		}
		/* An attribute path reads into a dataclass or dict whose
		 * member types the interface does not carry. */
		if (p->n_attr_path > 0)
			return;
		if (got != NULL)
			*got = t;
		if (want != NULL && !littype_castable(t, want, why, sizeof(why))) {
			char ts[256], ws[256];
			littype_describe(t, ts, sizeof(ts));
			littype_describe(want, ws, sizeof(ws));
			wfc_error(w, "MismatchingTypes", node,
			          "input [%s] of type [%s] cannot take output "
			          "[%s] of node [%s] of type [%s]: %s",
			          var, ws, wfc_str(p->var), p->node_id, ts, why);
		}
		return;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR: {
		Flyteidl__Core__Literal lit = FLYTEIDL__CORE__LITERAL__INIT;
		if (want == NULL)
			return;
		lit.value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		lit.scalar = b->scalar;
		if (!littype_instance_of(&lit, want, why, sizeof(why))) {
			char ws[256];
			littype_describe(want, ws, sizeof(ws));
			wfc_error(w, "MismatchingTypes", node,
			          "input [%s] of type [%s]: the bound value does "
			          "not fit: %s",
			          var, ws, why);
		}
		return;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION: {
		const Flyteidl__Core__LiteralType *el = NULL;
		if (want != NULL) {
			if (want->type_case ==
			    FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE)
				el = want->collection_type;
			else if (want->type_case !=
			         FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE) {
				char ws[256];
				littype_describe(want, ws, sizeof(ws));
				wfc_error(w, "MismatchingTypes", node,
				          "input [%s] of type [%s] is bound to a "
				          "collection",
				          var, ws);
			}
		}
		for (size_t i = 0; i < b->collection->n_bindings; i++) {
			const char *sub =
			    arena_printf(w->a, "%s[%zu]", var, i);
			wfc_check_data(w, owner, node, sub ? sub : var,
			               b->collection->bindings[i], el, NULL,
			               depth + 1);
		}
		return;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP: {
		const Flyteidl__Core__LiteralType *el = NULL;
		if (want != NULL) {
			if (want->type_case ==
			    FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE)
				el = want->map_value_type;
			else if (want->type_case ==
			             FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE &&
			         want->simple ==
			             FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT)
				el = NULL; /* a generic dict takes anything */
			else if (want->type_case !=
			         FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE) {
				char ws[256];
				littype_describe(want, ws, sizeof(ws));
				wfc_error(w, "MismatchingTypes", node,
				          "input [%s] of type [%s] is bound to a "
				          "map",
				          var, ws);
			}
		}
		for (size_t i = 0; i < b->map->n_bindings; i++) {
			const char *sub = arena_printf(
			    w->a, "%s[%s]", var, wfc_str(b->map->bindings[i]->key));
			wfc_check_data(w, owner, node, sub ? sub : var,
			               b->map->bindings[i]->value, el, NULL,
			               depth + 1);
		}
		return;
	}
	case FLYTEIDL__CORE__BINDING_DATA__VALUE_OFFLOADED_METADATA:
		/* A reference to a value stored elsewhere: checked when it
		 * is read, as Flyte does. */
		return;
	default:
		wfc_error(w, "ValueRequired", node,
		          "input [%s]: the binding has no value", var);
	}
}

/*
 * Check n's bindings against inputs in (nin).  With derive, there is no
 * declared interface: each binding becomes an input typed by what it
 * brings, returned in *derived.  Producers become upstream of owner.
 */
static void wfc_check_bindings(struct wfc *w, size_t owner,
                               const Flyteidl__Core__Node *n,
                               const struct wfc_var *in, size_t nin,
                               int derive, struct wfc_var **derived,
                               size_t *nderived)
{
	const char *id = wfc_str(n->id);

	if (derive) {
		*derived = n->n_inputs ? arena_calloc(w->a, n->n_inputs,
		                                      sizeof(**derived))
		                       : NULL;
		*nderived = 0;
		if (n->n_inputs && *derived == NULL) {
			w->oom = 1;
			return;
		}
	}
	for (size_t i = 0; i < n->n_inputs; i++) {
		const Flyteidl__Core__Binding *b = n->inputs[i];
		const char *var = wfc_str(b->var);
		const struct wfc_var *v = NULL;

		for (size_t k = 0; k < i; k++)
			if (strcmp(wfc_str(n->inputs[k]->var), var) == 0) {
				wfc_error(w, "DuplicateInput", id,
				          "input [%s] is bound twice", var);
				break;
			}
		if (derive) {
			const Flyteidl__Core__LiteralType *t = NULL;
			wfc_check_data(w, owner, id, var, b->binding, NULL, &t,
			               0);
			(*derived)[*nderived].name = var;
			(*derived)[*nderived].type = t;
			(*nderived)++;
			continue;
		}
		v = wfc_find_var(in, nin, var);
		if (v == NULL) {
			wfc_error(w, "VariableNameNotFound", id,
			          "input [%s] is not in the node's interface",
			          var);
			continue;
		}
		if (v->type == NULL) {
			wfc_error(w, "ValueRequired", id,
			          "input [%s] has no type in the interface", var);
			continue;
		}
		wfc_check_data(w, owner, id, var, b->binding, v->type, NULL, 0);
	}
	if (derive)
		return;
	for (size_t k = 0; k < nin; k++) {
		int bound = 0;
		if (!in[k].required)
			continue;
		for (size_t i = 0; i < n->n_inputs && !bound; i++)
			bound = strcmp(wfc_str(n->inputs[i]->var), in[k].name) == 0;
		if (!bound)
			wfc_error(w, "ParameterNotBound", id,
			          "required input [%s] is not bound", in[k].name);
	}
}

/* ---- graph ------------------------------------------------------------ */

/* Kahn's algorithm; reports the nodes left on cycles. */
static void wfc_check_acyclic(struct wfc *w)
{
	size_t *indeg = arena_calloc(w->a, w->n, sizeof(*indeg));
	size_t *queue = arena_calloc(w->a, w->n, sizeof(*queue));
	size_t head = 0, tail = 0, seen = 0;

	if (indeg == NULL || queue == NULL) {
		w->oom = 1;
		return;
	}
	for (size_t i = 0; i < w->n; i++) {
		indeg[i] = w->nodes[i].nup;
		if (indeg[i] == 0)
			queue[tail++] = i;
	}
	while (head < tail) {
		size_t u = queue[head++];
		seen++;
		for (size_t v = 0; v < w->n; v++)
			for (size_t k = 0; k < w->nodes[v].nup; k++)
				if (w->nodes[v].up[k] == u && --indeg[v] == 0)
					queue[tail++] = v;
	}
	if (seen == w->n)
		return;
	/* What is left is on a cycle or downstream of one: peel off, from
	 * the end, nodes with nothing left downstream, to name the cycle. */
	for (int again = 1; again;) {
		again = 0;
		for (size_t u = 0; u < w->n; u++) {
			int down = 0;
			if (indeg[u] == 0)
				continue;
			for (size_t v = 0; v < w->n && !down; v++)
				for (size_t k = 0; k < w->nodes[v].nup; k++)
					if (indeg[v] > 0 &&
					    w->nodes[v].up[k] == u)
						down = 1;
			if (!down) {
				indeg[u] = 0;
				again = 1;
			}
		}
	}
	{
		struct sbuf s = SBUF_INIT;
		char *txt;
		for (size_t i = 0; i < w->n; i++)
			if (indeg[i] > 0)
				sbuf_printf(&s, "%s%s", s.len ? ", " : "",
				            w->nodes[i].id);
		txt = sbuf_finish(&s, NULL);
		wfc_error(w, "CycleDetected", "",
		          "the workflow's graph has a cycle through [%s]",
		          txt != NULL ? txt : "?");
		free(txt);
	}
}

static int wfc_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted ids of the nodes in idx (n of them), in the arena. */
static char **wfc_id_list(struct wfc *w, const size_t *idx, size_t n)
{
	char **v = arena_calloc(w->a, n ? n : 1, sizeof(*v));

	if (v == NULL) {
		w->oom = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (char *)w->nodes[idx[i]].id;
	qsort(v, n, sizeof(*v), wfc_cmp_str);
	return v;
}

/* The compiled template: start-node, the nodes with their derived
 * upstream ids, end-node; and the connection set. */
static Flyteidl__Core__CompiledWorkflow *wfc_emit(struct wfc *w)
{
	Flyteidl__Core__CompiledWorkflow *cw = arena_calloc(w->a, 1, sizeof(*cw));
	Flyteidl__Core__WorkflowTemplate *t = arena_calloc(w->a, 1, sizeof(*t));
	Flyteidl__Core__ConnectionSet *cs = arena_calloc(w->a, 1, sizeof(*cs));
	Flyteidl__Core__Node **nodes = arena_calloc(w->a, w->n, sizeof(*nodes));
	Flyteidl__Core__ConnectionSet__DownstreamEntry **down =
	    arena_calloc(w->a, w->n, sizeof(*down));
	Flyteidl__Core__ConnectionSet__UpstreamEntry **up =
	    arena_calloc(w->a, w->n, sizeof(*up));
	size_t *tmp = arena_calloc(w->a, w->n, sizeof(*tmp));

	if (cw == NULL || t == NULL || cs == NULL || nodes == NULL ||
	    down == NULL || up == NULL || tmp == NULL)
		goto nomem;
	flyteidl__core__compiled_workflow__init(cw);
	flyteidl__core__connection_set__init(cs);
	*t = *w->t;
	for (size_t i = 0; i < w->n; i++) {
		Flyteidl__Core__Node *nd = arena_calloc(w->a, 1, sizeof(*nd));
		size_t nup = 0;
		if (nd == NULL)
			goto nomem;
		if (w->nodes[i].src != NULL)
			*nd = *w->nodes[i].src;
		else
			flyteidl__core__node__init(nd);
		nd->id = (char *)w->nodes[i].id;
		if (i + 1 == w->n) {
			nd->n_inputs = w->t->n_outputs;
			nd->inputs = w->t->outputs;
		}
		for (size_t k = 0; k < w->nodes[i].nup; k++)
			if (w->nodes[i].up[k] != 0)
				tmp[nup++] = w->nodes[i].up[k];
		nd->n_upstream_node_ids = nup;
		nd->upstream_node_ids = nup ? wfc_id_list(w, tmp, nup) : NULL;
		if (nup && nd->upstream_node_ids == NULL)
			goto nomem;
		nodes[i] = nd;
	}
	t->n_nodes = w->n;
	t->nodes = nodes;
	/* Connections, with start-node; ids sorted for a stable digest. */
	for (size_t i = 0; i < w->n; i++) {
		size_t nd = 0;
		for (size_t v = 0; v < w->n; v++)
			for (size_t k = 0; k < w->nodes[v].nup; k++)
				if (w->nodes[v].up[k] == i)
					tmp[nd++] = v;
		if (nd > 0) {
			Flyteidl__Core__ConnectionSet__DownstreamEntry *e =
			    arena_calloc(w->a, 1, sizeof(*e));
			Flyteidl__Core__ConnectionSet__IdList *l =
			    arena_calloc(w->a, 1, sizeof(*l));
			if (e == NULL || l == NULL)
				goto nomem;
			flyteidl__core__connection_set__downstream_entry__init(e);
			flyteidl__core__connection_set__id_list__init(l);
			l->n_ids = nd;
			l->ids = wfc_id_list(w, tmp, nd);
			e->key = (char *)w->nodes[i].id;
			e->value = l;
			down[cs->n_downstream++] = e;
		}
		if (w->nodes[i].nup > 0) {
			Flyteidl__Core__ConnectionSet__UpstreamEntry *e =
			    arena_calloc(w->a, 1, sizeof(*e));
			Flyteidl__Core__ConnectionSet__IdList *l =
			    arena_calloc(w->a, 1, sizeof(*l));
			if (e == NULL || l == NULL)
				goto nomem;
			flyteidl__core__connection_set__upstream_entry__init(e);
			flyteidl__core__connection_set__id_list__init(l);
			l->n_ids = w->nodes[i].nup;
			l->ids = wfc_id_list(w, w->nodes[i].up, w->nodes[i].nup);
			e->key = (char *)w->nodes[i].id;
			e->value = l;
			up[cs->n_upstream++] = e;
		}
	}
	if (w->oom)
		goto nomem;
	cs->downstream = down;
	cs->upstream = up;
	cw->template_ = t;
	cw->connections = cs;
	return cw;
nomem:
	w->oom = 1;
	return NULL;
}

/* Compile one template; NULL with errors collected (or w->oom). */
static Flyteidl__Core__CompiledWorkflow *
wfc_template(struct wfc *w, const Flyteidl__Core__WorkflowTemplate *t)
{
	const char *wid = wfc_id_text(w->a, t->id);
	struct wfc_iface wf;
	int before = w->nerrs;
	size_t end;

	/* Flyte Admin counts a template's own nodes, not those nested in
	 * branches.  Checked first: everything below is quadratic. */
	if (w->env->max_nodes > 0 && t->n_nodes > w->env->max_nodes) {
		wfc_error(w, "WorkflowTooLarge", "",
		          "number of nodes in workflow [%s] exceeds the limit "
		          "(%zu > %zu; [registry] max_workflow_nodes)",
		          wid, t->n_nodes, w->env->max_nodes);
		return NULL;
	}
	w->t = t;
	w->n = t->n_nodes + 2;
	w->nids = 0;
	w->nodes = arena_calloc(w->a, w->n, sizeof(*w->nodes));
	if (w->nodes == NULL)
		return w->oom = 1, NULL;
	end = w->n - 1;
	if (t->id == NULL)
		wfc_error(w, "ValueRequired", "", "workflow [%s] has no id", wid);
	if (wfc_iface_from_typed(w, t->interface, &wf) != 0)
		return NULL;
	/* start-node produces the workflow's inputs; end-node takes its
	 * outputs. */
	w->nodes[0].id = WFC_START_NODE;
	w->nodes[0].iface.out = wf.in;
	w->nodes[0].iface.nout = wf.nin;
	w->nodes[0].resolved = 1;
	w->nodes[end].id = WFC_END_NODE;
	w->nodes[end].iface.in = wf.out;
	w->nodes[end].iface.nin = wf.nout;
	w->nodes[end].resolved = 1;
	for (size_t i = 0; i < t->n_nodes; i++) {
		const Flyteidl__Core__Node *n = t->nodes[i];
		struct wfc_node *wn = &w->nodes[i + 1];

		wn->src = n;
		wn->id = wfc_str(n->id);
		if (wn->id[0] == '\0')
			wfc_error(w, "ValueRequired", "",
			          "node %zu of workflow [%s] has no id", i, wid);
		else if (strcmp(wn->id, WFC_START_NODE) == 0 ||
		         strcmp(wn->id, WFC_END_NODE) == 0)
			wfc_error(w, "SyntaxError", wn->id,
			          "node id [%s] is reserved", wn->id);
		else if (wfc_note_id(w, wn->id))
			wfc_error(w, "DuplicateNodeID", wn->id,
			          "node id [%s] is used more than once", wn->id);
	}
	/* Interfaces first, so a binding to any node resolves.  Branch and
	 * gate nodes derive theirs from their bindings, so they come after
	 * the others (and read earlier branch or gate nodes only). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 1; i < end; i++) {
			struct wfc_node *wn = &w->nodes[i];
			int derived =
			    wn->src->target_case ==
			        FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE ||
			    wn->src->target_case ==
			        FLYTEIDL__CORE__NODE__TARGET_GATE_NODE;
			if (derived != pass)
				continue;
			if (wfc_node_iface(w, i, wn->src, 0, &wn->iface) == 0)
				wn->resolved = 1;
		}
	for (size_t i = 1; i < end; i++) {
		struct wfc_node *wn = &w->nodes[i];
		const Flyteidl__Core__Node *n = wn->src;
		if (wn->resolved &&
		    n->target_case != FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE &&
		    n->target_case != FLYTEIDL__CORE__NODE__TARGET_GATE_NODE)
			wfc_check_bindings(w, i, n, wn->iface.in, wn->iface.nin,
			                   0, NULL, NULL);
		for (size_t k = 0; k < n->n_upstream_node_ids; k++) {
			const char *u = n->upstream_node_ids[k];
			size_t j = wfc_index(w, wfc_str(u));
			if (j == (size_t)-1 || j == end)
				wfc_error(w, "NodeReferenceNotFound", wn->id,
				          "upstream node [%s] is not in the "
				          "workflow",
				          wfc_str(u));
			else
				wfc_add_edge(w, j, i);
		}
	}
	/* Outputs: end-node's bindings. */
	{
		Flyteidl__Core__Node endn = FLYTEIDL__CORE__NODE__INIT;
		endn.id = (char *)WFC_END_NODE;
		endn.n_inputs = t->n_outputs;
		endn.inputs = t->outputs;
		wfc_check_bindings(w, end, &endn, wf.out, wf.nout, 0, NULL, NULL);
	}
	/* Roots hang from start-node, leaves feed end-node. */
	for (size_t i = 1; i < end; i++)
		if (w->nodes[i].nup == 0)
			wfc_add_edge(w, 0, i);
	for (size_t i = 1; i < end; i++)
		if (w->nodes[i].ndown == 0)
			wfc_add_edge(w, i, end);
	if (w->nodes[end].nup == 0)
		wfc_add_edge(w, 0, end);
	if (w->oom)
		return NULL;
	wfc_check_acyclic(w);
	/* The failure node runs when the graph fails: its own checks, no
	 * place in the graph.  Bindings may read any node's outputs. */
	if (t->failure_node != NULL) {
		const Flyteidl__Core__Node *fn = t->failure_node;
		struct wfc_iface fi;
		size_t save = w->n;
		struct wfc_node *saved = w->nodes;
		struct wfc_node *grown =
		    arena_calloc(w->a, w->n + 1, sizeof(*grown));
		if (grown == NULL)
			return w->oom = 1, NULL;
		memcpy(grown, w->nodes, w->n * sizeof(*grown));
		/* Temporarily one more node, so its edges have a place. */
		grown[w->n].id = wfc_str(fn->id);
		w->nodes = grown;
		w->n++;
		if (fn->id == NULL || fn->id[0] == '\0')
			wfc_error(w, "ValueRequired", "",
			          "the failure node has no id");
		else if (wfc_note_id(w, fn->id))
			wfc_error(w, "DuplicateNodeID", fn->id,
			          "node id [%s] is used more than once", fn->id);
		if (wfc_node_iface(w, save, fn, 0, &fi) == 0 &&
		    fn->target_case != FLYTEIDL__CORE__NODE__TARGET_BRANCH_NODE &&
		    fn->target_case != FLYTEIDL__CORE__NODE__TARGET_GATE_NODE)
			wfc_check_bindings(w, save, fn, fi.in, fi.nin, 0, NULL,
			                   NULL);
		w->nodes = saved;
		w->n = save;
		/* Edges into the failure node were recorded on grown only;
		 * the ndown counts they bumped are not used after emit. */
	}
	if (w->oom || w->nerrs > before)
		return NULL;
	return wfc_emit(w);
}

/* Subworkflows calling one another in a loop would never finish. */
static int wfc_sub_cycle(const struct wfc_env *env,
                         const Flyteidl__Core__WorkflowTemplate *t,
                         const Flyteidl__Core__Identifier *target, int depth)
{
	if (depth > (int)env->nsubs + 1)
		return 1;
	for (size_t i = 0; i < t->n_nodes; i++) {
		const Flyteidl__Core__Node *n = t->nodes[i];
		const Flyteidl__Core__WorkflowTemplate *s;
		if (n->target_case != FLYTEIDL__CORE__NODE__TARGET_WORKFLOW_NODE ||
		    n->workflow_node->reference_case !=
		        FLYTEIDL__CORE__WORKFLOW_NODE__REFERENCE_SUB_WORKFLOW_REF)
			continue;
		if (wfc_id_equal(n->workflow_node->sub_workflow_ref, target))
			return 1;
		s = wfc_find_sub(env, n->workflow_node->sub_workflow_ref);
		if (s != NULL && wfc_sub_cycle(env, s, target, depth + 1))
			return 1;
	}
	return 0;
}

int wfc_compile(struct arena *a, const Flyteidl__Core__WorkflowTemplate *primary,
                const struct wfc_env *env,
                Flyteidl__Core__CompiledWorkflowClosure **out,
                struct sbuf *errs)
{
	struct wfc w = {.a = a, .env = env};
	struct sbuf body = SBUF_INIT;
	Flyteidl__Core__CompiledWorkflowClosure *cl;
	Flyteidl__Core__CompiledWorkflow *pw, **subs = NULL;
	Flyteidl__Core__CompiledTask **tasks = NULL;
	Flyteidl__Core__CompiledLaunchPlan **lps = NULL;
	char *txt;
	int rc = -1;

	w.errs = &body;
	*out = NULL;
	cl = arena_calloc(a, 1, sizeof(*cl));
	if (cl == NULL)
		goto done;
	flyteidl__core__compiled_workflow_closure__init(cl);
	pw = wfc_template(&w, primary);
	if (env->nsubs > 0) {
		subs = arena_calloc(a, env->nsubs, sizeof(*subs));
		if (subs == NULL)
			goto done;
	}
	for (size_t i = 0; i < env->nsubs && !w.oom; i++) {
		const Flyteidl__Core__WorkflowTemplate *s = env->subs[i];
		if (s->id == NULL) {
			wfc_error(&w, "ValueRequired", "",
			          "sub_workflows[%zu] has no id", i);
			continue;
		}
		for (size_t k = 0; k < i; k++)
			if (wfc_id_equal(env->subs[k]->id, s->id))
				wfc_error(&w, "DuplicateWorkflow", "",
				          "subworkflow [%s] is listed twice",
				          wfc_id_text(a, s->id));
		if (wfc_sub_cycle(env, s, s->id, 0)) {
			wfc_error(&w, "CycleDetected", "",
			          "subworkflow [%s] calls itself",
			          wfc_id_text(a, s->id));
			continue;
		}
		subs[i] = wfc_template(&w, s);
	}
	if (w.oom)
		goto done;
	if (w.nerrs > 0) {
		sbuf_printf(errs, "Collected Errors: %d", w.nerrs);
		txt = sbuf_finish(&body, NULL);
		if (txt == NULL)
			goto done;
		sbuf_puts(errs, txt);
		free(txt);
		if (w.nerrs > WFC_MAX_ERRORS)
			sbuf_printf(errs, "\n\t... and %d more",
			            w.nerrs - WFC_MAX_ERRORS);
		rc = w.nerrs;
		goto done;
	}
	if (env->ntasks > 0) {
		tasks = arena_calloc(a, env->ntasks, sizeof(*tasks));
		if (tasks == NULL)
			goto done;
	}
	for (size_t i = 0; i < env->ntasks; i++) {
		tasks[i] = arena_calloc(a, 1, sizeof(**tasks));
		if (tasks[i] == NULL)
			goto done;
		flyteidl__core__compiled_task__init(tasks[i]);
		tasks[i]->template_ = (Flyteidl__Core__TaskTemplate *)env->tasks[i];
	}
	if (env->nlps > 0) {
		lps = arena_calloc(a, env->nlps, sizeof(*lps));
		if (lps == NULL)
			goto done;
	}
	for (size_t i = 0; i < env->nlps; i++) {
		const struct wfc_launch_plan *lp = &env->lps[i];
		Flyteidl__Core__LaunchPlanTemplate *lt =
		    arena_calloc(a, 1, sizeof(*lt));
		Flyteidl__Core__TypedInterface *ti =
		    arena_calloc(a, 1, sizeof(*ti));
		Flyteidl__Core__VariableMap *in = arena_calloc(a, 1, sizeof(*in));
		lps[i] = arena_calloc(a, 1, sizeof(**lps));
		if (lt == NULL || ti == NULL || in == NULL || lps[i] == NULL)
			goto done;
		flyteidl__core__compiled_launch_plan__init(lps[i]);
		flyteidl__core__launch_plan_template__init(lt);
		flyteidl__core__typed_interface__init(ti);
		flyteidl__core__variable_map__init(in);
		if (lp->inputs != NULL && lp->inputs->n_parameters > 0) {
			in->variables = arena_calloc(a, lp->inputs->n_parameters,
			                             sizeof(*in->variables));
			if (in->variables == NULL)
				goto done;
			for (size_t k = 0; k < lp->inputs->n_parameters; k++) {
				Flyteidl__Core__VariableMap__VariablesEntry *e =
				    arena_calloc(a, 1, sizeof(*e));
				const Flyteidl__Core__Parameter *p =
				    lp->inputs->parameters[k]->value;
				if (e == NULL)
					goto done;
				flyteidl__core__variable_map__variables_entry__init(e);
				e->key = lp->inputs->parameters[k]->key;
				e->value = p != NULL ? p->var : NULL;
				in->variables[in->n_variables++] = e;
			}
		}
		ti->inputs = in;
		ti->outputs = (Flyteidl__Core__VariableMap *)lp->outputs;
		lt->id = (Flyteidl__Core__Identifier *)lp->id;
		lt->interface = ti;
		lt->fixed_inputs = (Flyteidl__Core__LiteralMap *)lp->fixed_inputs;
		lps[i]->template_ = lt;
	}
	cl->primary = pw;
	cl->n_sub_workflows = env->nsubs;
	cl->sub_workflows = subs;
	cl->n_tasks = env->ntasks;
	cl->tasks = tasks;
	cl->n_launch_plans = env->nlps;
	cl->launch_plans = lps;
	*out = cl;
	rc = 0;
done:
	sbuf_free(&body);
	return rc;
}
