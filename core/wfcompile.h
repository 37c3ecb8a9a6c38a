/*
 * wfcompile.h -- the workflow compiler: a WorkflowTemplate, its
 * subworkflows and the tasks and launch plans it references become a
 * CompiledWorkflowClosure, or a list of every problem found.
 *
 * It follows flytepropeller's compiler (flytepropeller/pkg/compiler):
 * every reference resolves, node ids are unique and not reserved, every
 * binding type-checks against the producing and consuming interfaces
 * (littype.h), required inputs are bound, the graph is acyclic, upstream
 * dependencies are derived from bindings and upstream_node_ids, branch,
 * gate, array and failure nodes are checked, and the compiled templates
 * gain Flyte's "start-node" and "end-node" and their connections.
 *
 * Ownership: everything it returns lives in the caller's arena and may
 * point into the inputs, which must outlive the result.  No global state.
 */
#ifndef KEEL_CORE_WFCOMPILE_H
#define KEEL_CORE_WFCOMPILE_H

#include <stddef.h>

#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/interface.pb-c.h"

struct arena;
struct sbuf;

#define WFC_START_NODE "start-node"
#define WFC_END_NODE "end-node"
/* Problems reported in one message at most; the rest are counted. */
#define WFC_MAX_ERRORS 50

/* A launch plan a node may call: its id, its expected inputs (a default
 * makes an input optional) and its workflow's outputs; fixed inputs are
 * copied into the compiled launch-plan template. */
struct wfc_launch_plan {
	const Flyteidl__Core__Identifier *id;
	const Flyteidl__Core__ParameterMap *inputs;
	const Flyteidl__Core__VariableMap *outputs;
	const Flyteidl__Core__LiteralMap *fixed_inputs;
};

struct wfc_env {
	const Flyteidl__Core__TaskTemplate *const *tasks;
	size_t ntasks;
	const struct wfc_launch_plan *lps;
	size_t nlps;
	/* The spec's subworkflows (ids set). */
	Flyteidl__Core__WorkflowTemplate *const *subs;
	size_t nsubs;
	size_t max_nodes; /* per workflow template, branches included; 0: none */
};

/*
 * The task and launch-plan ids the workflow and its subworkflows refer
 * to, each once, in first-seen order (pointers into the templates).
 * Returns 0 or KEEL_ENOMEM.
 */
int wfc_requirements(struct arena *a,
                     const Flyteidl__Core__WorkflowTemplate *primary,
                     Flyteidl__Core__WorkflowTemplate *const *subs,
                     size_t nsubs, const Flyteidl__Core__Identifier ***tasks,
                     size_t *ntasks, const Flyteidl__Core__Identifier ***lps,
                     size_t *nlps);

/*
 * Compile primary (its id set) in env.  On success *out is the closure
 * and 0 is returned.  On failure returns the number of problems (> 0)
 * with their text appended to errs in Flyte's "Collected Errors: N"
 * form, or -1 when out of memory.
 */
int wfc_compile(struct arena *a, const Flyteidl__Core__WorkflowTemplate *primary,
                const struct wfc_env *env,
                Flyteidl__Core__CompiledWorkflowClosure **out,
                struct sbuf *errs);

/* Identifier equality on project, domain, name, version and org. */
int wfc_id_equal(const Flyteidl__Core__Identifier *a,
                 const Flyteidl__Core__Identifier *b);

#endif
