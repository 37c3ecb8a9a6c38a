/*
 * leval.h -- data flow of a Flyte workflow, evaluated locally: node input
 * bindings resolved into literals, promise attribute paths, branch
 * conditions, and the readiness of nodes in a compiled DAG.
 *
 * Pure functions over flyteidl messages: no I/O, no global state; used by
 * keel-local-agent to walk a CompiledWorkflowClosure.  The semantics are
 * flytepropeller's (flyteorg/flyte, flytepropeller/pkg/controller/nodes/:
 * resolve.go, attr_path_resolver.go, predicate.go, branch/evaluator.go,
 * branch/comparator.go); where this file departs from them, the comment
 * of the function says so.
 *
 * Memory: everything built here is allocated through the
 * ProtobufCAllocator passed in, which must not be NULL and is expected to
 * be an arena (lit_arena_allocator(), or the agent's own): results share
 * sub-messages with their inputs (a promise resolves to the upstream
 * node's literal itself, a scalar binding to the binding's Scalar, map
 * keys are the bindings' strings), so they can be neither freed with
 * protobuf_c_message_free_unpacked() nor outlive what they borrow from.
 * Treat every returned message as read-only.  Functions that fail may
 * leave allocations behind in the arena.
 *
 * Errors: 0 on success; -1 with a NUL-terminated message in err (err may
 * be NULL) naming the binding, node, variable and value involved.  The
 * caller prefixes the id of the node being evaluated where it matters.
 */
#ifndef KEEL_LOCAL_LEVAL_H
#define KEEL_LOCAL_LEVAL_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "flyteidl/core/compiler.pb-c.h"
#include "flyteidl/core/condition.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/types.pb-c.h"
#include "flyteidl/core/workflow.pb-c.h"

/* The sentinel nodes of every Flyte workflow: start-node's outputs are
 * the workflow's inputs; end-node's inputs are the workflow's outputs. */
#define LEVAL_START_NODE "start-node"
#define LEVAL_END_NODE   "end-node"

/* ---- bindings ---------------------------------------------------------- */

/*
 * Output var of upstream node node_id (LEVAL_START_NODE: the workflow's
 * input var), or NULL when there is none.  var is exactly as the binding
 * names it: resolving a node's output aliases (Node.output_aliases) and
 * array-node sub-task names ("[0].o0") is the callback's business.  The
 * literal returned must stay valid as long as the results that borrow it.
 */
typedef const Flyteidl__Core__Literal *(*leval_lookup_fn)(void *arg,
                                                          const char *node_id,
                                                          const char *var);

/*
 * A node's input bindings (Node.inputs, or a workflow's outputs) resolved
 * into *out, one entry per binding var; a var bound twice keeps the last
 * binding (as propeller's map does).  The map and its entries are
 * allocated through a; the keys and values borrow (see above).
 * Errors name the binding: "input [x]: output [n0].[o1] not found".
 */
int leval_bindings(ProtobufCAllocator *a,
                   Flyteidl__Core__Binding *const *bindings, size_t n,
                   leval_lookup_fn fn, void *arg,
                   Flyteidl__Core__LiteralMap **out, char *err, size_t errlen);

/*
 * One BindingData into a literal:
 *   scalar      a literal holding that Scalar (borrowed);
 *   collection  a collection literal, each element resolved recursively;
 *   map         a map literal, each entry resolved recursively (a key
 *               bound twice keeps the last);
 *   promise     fn(node_id, var), then the promise's attr_path followed
 *               through it (leval_attr_path); an empty node_id is an
 *               error, as in propeller ("No nodeId (missing) specified
 *               for binding in Workflow.");
 *   offloaded_metadata  an error: offloaded literals live in blob storage
 *               the local executor does not read.
 * When the binding carries UnionInfo the result is wrapped into a Union
 * scalar {value: result, type: UnionInfo.targetType}, unless it already is
 * a union scalar.  (The propeller ResolveBindingData read for this passes
 * the literal as it is; flytekit accepts both forms for a union-typed
 * input, and a union is what it writes itself.)
 */
int leval_binding_data(ProtobufCAllocator *a,
                       const Flyteidl__Core__BindingData *bd,
                       leval_lookup_fn fn, void *arg,
                       Flyteidl__Core__Literal **out, char *err, size_t errlen);

/*
 * Follow path[0..n) into in, as propeller's resolveAttrPathInPromise:
 *   - a map literal is indexed by the attribute's string_value (an int
 *     attribute looks up the key "", as Go's GetStringValue() does);
 *     a missing key is an error;
 *   - a collection literal by int_value (a string attribute reads index
 *     0); an index out of range (or negative) is an error;
 *   - a scalar ends the literal walk; when it is a generic
 *     (google.protobuf.Struct, a dataclass) or a msgpack Binary (a
 *     dataclass or pydantic model, flytekit >= 1.14) the rest of the path
 *     is followed inside it: objects by key, lists by index;
 *   - anything else (a primitive, a blob, an offloaded literal) silently
 *     ignores the rest of the path, as propeller does.
 * What a Struct walk ends on becomes a literal as propeller converts it:
 * an object a generic scalar, a list a collection (elements converted the
 * same way), a string/bool a primitive, and a number a *float* primitive
 * (Struct has no integers: propeller turns a dataclass int field into a
 * float).  null becomes a none (Void) scalar, where propeller would hand
 * on an empty Literal.  A msgpack walk ends on a Binary literal (tag
 * "msgpack") holding the bytes of the value reached, which borrows from
 * the input; any other Binary tag is an error, as in propeller.
 * *out may be in itself or a part of it (n == 0: in).
 */
int leval_attr_path(ProtobufCAllocator *a, const Flyteidl__Core__Literal *in,
                    Flyteidl__Core__PromiseAttribute *const *path, size_t n,
                    const Flyteidl__Core__Literal **out, char *err,
                    size_t errlen);

/* The outputs of workflow wf: leval_bindings() over wf->template_->outputs
 * (bound to upstream nodes, or to start-node for pass-through inputs);
 * errors read "workflow output [r]: output [n2].[o0] not found". */
int leval_outputs(ProtobufCAllocator *a,
                  const Flyteidl__Core__CompiledWorkflow *wf,
                  leval_lookup_fn fn, void *arg,
                  Flyteidl__Core__LiteralMap **out, char *err, size_t errlen);

/* ---- branches ---------------------------------------------------------- */

/*
 * Evaluate e over inputs, a branch node's resolved inputs (NULL: none).
 * As propeller's EvaluateBooleanExpression: an operand `var` names one of
 * inputs (missing: "Failed to find Value for Variable [x]"), `primitive`
 * and `scalar` operands are constants; both sides of AND/OR are always
 * evaluated (no short circuit), so an error on either side fails the
 * whole expression.  Comparisons, as branch/comparator.go:
 *   - only primitives of the *same* kind compare: integer vs float is an
 *     error ("Comparison between different primitives types.
 *     lVal[*core.Primitive_Integer]:rVal[*core.Primitive_FloatValue]");
 *   - integers, floats (IEEE: with a NaN, GT/GTE/EQ are false and LT/LTE
 *     derive from them, as Go computes !(gt || eq)), strings (byte
 *     order), datetimes and durations (whole seconds only: nanos are
 *     ignored) take all six operators; booleans only EQ/NEQ
 *     ("[GT] not defined for boolean operands.");
 *   - none: EQ is true when both sides are none, NEQ when exactly one is;
 *     any other operator involving none is an error ("Comparison between
 *     nil and non-nil values with operator [GT] is not supported. ...");
 *   - a var holding a union scalar is compared by the union's value (so
 *     Optional outputs compare, and `x.is_none()` works on them);
 *   - anything else (collections, maps, blobs, structs) is an error
 *     ("Only primitives can be compared. LHS Variable is non primitive.").
 * *result is 1 or 0.
 */
int leval_condition(const Flyteidl__Core__BooleanExpression *e,
                    const Flyteidl__Core__LiteralMap *inputs, int *result,
                    char *err, size_t errlen);

/* Why a branch node fails (leval_branch() returning -1). */
struct leval_failure {
	/* propeller's error code: "UserProvidedError" (the block's else
	 * error), "MalformedBranchUserError" (no case held and no else, a
	 * condition that cannot be evaluated), or "IllegalStateError" (the
	 * rest); static storage */
	const char *code;
	/* 1: ExecutionError kind USER (the two codes above), 0: SYSTEM */
	int user;
	/* the block's else Error when that is what failed, else NULL */
	const Flyteidl__Core__Error *error;
};

/*
 * Decide a branch as propeller's DecideBranch: evaluate b->case_, then
 * b->other[] in order, stopping at the first condition that holds (later
 * conditions are not evaluated, so their errors do not matter); none
 * holding, b's else_node is taken, or b's error fails the node.
 * On success *chosen is the then/else node to run (borrowed from b; the
 * branch node's outputs are then that node's outputs), and 0 is returned.
 * On failure -1, with *fail filled (when fail is not NULL) and err holding
 * the node's failure message as propeller reports it, "[code] message":
 *   "[UserProvidedError] <Error.message>"
 *   "[MalformedBranchUserError] No branch satisfied"
 *   "[MalformedBranchUserError] Comparison between different ..."
 */
int leval_branch(const Flyteidl__Core__IfElseBlock *b,
                 const Flyteidl__Core__LiteralMap *inputs,
                 const Flyteidl__Core__Node **chosen,
                 struct leval_failure *fail, char *err, size_t errlen);

/* ---- the DAG ----------------------------------------------------------- */

#define LEVAL_NONE ((size_t)-1)

struct leval_graph_node {
	const char *id;
	/* the template's node; NULL for start-node and end-node when the
	 * template does not list them (propeller's compiler does list
	 * them, first, with no target) */
	const Flyteidl__Core__Node *node;
	size_t *up, nup;     /* indexes of the nodes this one waits for */
	size_t *down, ndown; /* indexes of the nodes waiting for this one */
};

/*
 * One (sub)workflow's DAG: the template's top-level nodes, start-node and
 * end-node included, indexed 0..n-1 in template order (a missing
 * start-node or end-node is appended).  The nodes of a branch node's cases
 * are not part of it: they run in the place of their branch node, which
 * completes when the chosen node does (its outputs are the chosen node's).
 *
 * A node's upstream list is the union of
 *   - CompiledWorkflow.connections.upstream[id] (what propeller uses),
 *   - Node.upstream_node_ids,
 *   - every node its input bindings promise from (for a branch node, also
 *     those of the nodes of its cases, recursively; for end-node, the
 *     workflow's output bindings),
 * then, as propeller's compiler does, start-node is made upstream of every
 * node left without one, and every node left without a downstream is made
 * upstream of end-node.  For a compiled workflow that changes nothing; it
 * lets hand-built templates without connections run too.  Connection
 * entries of ids that are not top-level nodes (the nodes of branch cases)
 * are ignored; an upstream id that names no node is an error, as is a
 * cycle.
 */
struct leval_graph {
	const Flyteidl__Core__CompiledWorkflow *wf;
	size_t n;
	struct leval_graph_node *nodes;
	size_t start, end; /* indexes of start-node and end-node */
	size_t *sorted;    /* node indexes in id order, for lookups */
};

/* Build *out for wf (borrowed: it must outlive the graph), allocating
 * through a. */
int leval_graph_new(ProtobufCAllocator *a,
                    const Flyteidl__Core__CompiledWorkflow *wf,
                    struct leval_graph **out, char *err, size_t errlen);

/* The index of the node named id, or LEVAL_NONE. */
size_t leval_graph_find(const struct leval_graph *g, const char *id);

/* Where a node's execution stands, one int per node index; a plain
 * "done" array (0/1) reads as PENDING/SUCCEEDED. */
enum leval_state {
	LEVAL_PENDING = 0,
	LEVAL_SUCCEEDED = 1, /* also propeller's Recovered */
	LEVAL_SKIPPED = 2,
	LEVAL_FAILED = 3, /* also TimedOut */
	LEVAL_RUNNING = 4,
};

enum leval_readiness {
	LEVAL_NOT_READY = 0,
	LEVAL_READY = 1,
	LEVAL_SKIP = 2,
};

/*
 * Can node idx start, given state[0..g->n)?  As propeller's CanExecute:
 * start-node is always READY; any upstream neither succeeded, skipped nor
 * failed makes it NOT_READY; otherwise a skipped or failed upstream makes
 * it SKIP (the node is to be marked skipped in turn), else READY.
 * The walker marks start-node LEVAL_SUCCEEDED once the workflow's inputs
 * are in place (it has nothing to run), and runs end-node when READY by
 * resolving the outputs (leval_outputs()).
 */
enum leval_readiness leval_graph_ready(const struct leval_graph *g,
                                       const int *state, size_t idx);

#endif
