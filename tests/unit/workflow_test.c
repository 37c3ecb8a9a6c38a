/*
 * workflow_test.c -- CreateWorkflow (the compiler), GetWorkflow,
 * ListWorkflows, ListWorkflowIds and the launch-plan calls through the
 * method table over the real SQLite plugin: references, types, cycles,
 * branches, subworkflows, node limits, idempotency, launch-plan input
 * and schedule rules, and activation with its schedule outbox.
 *
 * Requests are written as proto3 JSON and decoded with libkeeljson, so
 * the fixtures read like what flytekit sends.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "pbjson.h"
#include "repo_lp.h"
#include "repo_ver.h"
#include "rpc.h"
#include "sbuf.h"
#include "svc.h"
#include "tap.h"
#include "task_resources.h"
#include "testdb.h"

#define ADMIN "/flyteidl.service.AdminService/"
#define PD "\"project\":\"flytesnacks\",\"domain\":\"development\""
#define REF(rt, name, ver)                                                    \
	"{\"resourceType\":\"" rt "\"," PD ",\"name\":\"" name                 \
	"\",\"version\":\"" ver "\"}"
#define TASK(name) REF("TASK", name, "v1")
#define PROMISE(node, var)                                                    \
	"{\"promise\":{\"nodeId\":\"" node "\",\"var\":\"" var "\"}}"
#define INT(v) "{\"scalar\":{\"primitive\":{\"integer\":\"" v "\"}}}"
#define STR(v) "{\"scalar\":{\"primitive\":{\"stringValue\":\"" v "\"}}}"
#define T_INT "{\"simple\":\"INTEGER\"}"
#define T_STR "{\"simple\":\"STRING\"}"
#define T_DT "{\"simple\":\"DATETIME\"}"
#define VAR(name, t) "\"" name "\":{\"type\":" t "}"
#define BIND(var, data) "{\"var\":\"" var "\",\"binding\":" data "}"
#define TASKNODE(id, task, inputs)                                            \
	"{\"id\":\"" id "\",\"taskNode\":{\"referenceId\":" TASK(task)         \
	"},\"inputs\":[" inputs "]}"

static struct svc svc;
static struct arena *arena;

/* Decode json as a request of type in, call method; the response (if
 * out) in *resp. */
static int req(const char *method, const ProtobufCMessageDescriptor *in,
               const char *json, const ProtobufCMessageDescriptor *out,
               void **resp, const char **m)
{
	ProtobufCMessage *msg = NULL;
	char err[512];

	if (pbjson_decode(in, json, strlen(json), NULL,
	                  arena_pb_allocator(arena), &msg, err,
	                  sizeof(err)) != 0) {
		printf("Bail out! fixture for %s does not decode: %s\n%s\n",
		       method, err, json);
		exit(99);
	}
	return testdb_call(&svc, arena, method, msg, out, resp, m);
}

static int task(const char *name, const char *inputs, const char *outputs)
{
	const char *m;
	char *j = arena_printf(
	    arena,
	    "{\"id\":%s%s\"},\"spec\":{\"template\":{\"type\":\"python-task\","
	    "\"metadata\":{},\"interface\":{\"inputs\":{\"variables\":{%s}},"
	    "\"outputs\":{\"variables\":{%s}}},\"container\":{\"image\":"
	    "\"img:1\"}}}}",
	    "{\"resourceType\":\"TASK\"," PD ",\"version\":\"v1\",\"name\":\"",
	    name, inputs, outputs);
	return req(ADMIN "CreateTask", &flyteidl__admin__task_create_request__descriptor,
	           j, NULL, NULL, &m);
}

/* CreateWorkflow of name/version with the template's parts as JSON. */
static int wf(const char *name, const char *version, const char *iface,
              const char *nodes, const char *outputs, const char *extra,
              const char **m)
{
	char *j = arena_printf(
	    arena,
	    "{\"id\":{\"resourceType\":\"WORKFLOW\"," PD ",\"name\":\"%s\","
	    "\"version\":\"%s\"},\"spec\":{\"template\":{\"interface\":%s,"
	    "\"nodes\":[%s],\"outputs\":[%s]}%s}}",
	    name, version, iface, nodes, outputs, extra ? extra : "");
	return req(ADMIN "CreateWorkflow",
	           &flyteidl__admin__workflow_create_request__descriptor, j,
	           NULL, NULL, m);
}

static Flyteidl__Admin__Workflow *get_wf(const char *name, const char *ver,
                                         int *code, const char **m)
{
	void *out = NULL;
	char *j = arena_printf(arena,
	                       "{\"id\":{\"resourceType\":\"WORKFLOW\"," PD
	                       ",\"name\":\"%s\",\"version\":\"%s\"}}",
	                       name, ver);
	*code = req(ADMIN "GetWorkflow",
	            &flyteidl__admin__object_get_request__descriptor, j,
	            &flyteidl__admin__workflow__descriptor, &out, m);
	return out;
}

static const Flyteidl__Core__Node *
find_node(const Flyteidl__Core__WorkflowTemplate *t, const char *id)
{
	for (size_t i = 0; t != NULL && i < t->n_nodes; i++)
		if (strcmp(t->nodes[i]->id, id) == 0)
			return t->nodes[i];
	return NULL;
}

static const Flyteidl__Core__ConnectionSet__IdList *
downstream(const Flyteidl__Core__ConnectionSet *cs, const char *id)
{
	for (size_t i = 0; cs != NULL && i < cs->n_downstream; i++)
		if (strcmp(cs->downstream[i]->key, id) == 0)
			return cs->downstream[i]->value;
	return NULL;
}

static int lp(const char *name, const char *version, const char *wfname,
              const char *spec_extra, const char **m)
{
	char *j = arena_printf(
	    arena,
	    "{\"id\":{\"resourceType\":\"LAUNCH_PLAN\"," PD ",\"name\":\"%s\","
	    "\"version\":\"%s\"},\"spec\":{\"workflowId\":{\"resourceType\":"
	    "\"WORKFLOW\"," PD ",\"name\":\"%s\",\"version\":\"v1\"}%s%s}}",
	    name, version, wfname, spec_extra ? "," : "",
	    spec_extra ? spec_extra : "");
	return req(ADMIN "CreateLaunchPlan",
	           &flyteidl__admin__launch_plan_create_request__descriptor, j,
	           NULL, NULL, m);
}

static int lp_state(const char *name, const char *version, const char *state,
                    const char **m)
{
	char *j = arena_printf(arena,
	                       "{\"id\":{\"resourceType\":\"LAUNCH_PLAN\"," PD
	                       ",\"name\":\"%s\",\"version\":\"%s\"},"
	                       "\"state\":\"%s\"}",
	                       name, version, state);
	return req(ADMIN "UpdateLaunchPlan",
	           &flyteidl__admin__launch_plan_update_request__descriptor, j,
	           NULL, NULL, m);
}

static Flyteidl__Admin__LaunchPlan *active(const char *name, int *code,
                                           const char **m)
{
	void *out = NULL;
	char *j = arena_printf(arena, "{\"id\":{" PD ",\"name\":\"%s\"}}",
	                       name);
	*code = req(ADMIN "GetActiveLaunchPlan",
	            &flyteidl__admin__active_launch_plan_request__descriptor, j,
	            &flyteidl__admin__launch_plan__descriptor, &out, m);
	return out;
}

static void check_plan(struct db *db, const char *what, const char *sql,
                       const struct keel_db_val *a, size_t n);

#define WF_IFACE                                                              \
	"{\"inputs\":{\"variables\":{" VAR("x", T_INT) "}},\"outputs\":{"     \
	"\"variables\":{" VAR("o", T_INT) "}}}"
#define WF_NODES                                                              \
	TASKNODE("n0", "t.add",                                               \
	         BIND("a", PROMISE("start-node", "x")) "," BIND("b", INT("1"))) \
	"," TASKNODE("n1", "t.add",                                           \
	             BIND("a", PROMISE("n0", "o0")) "," BIND("b",             \
	                                                     PROMISE("n0", "o0")))
#define WF_OUT BIND("o", PROMISE("n1", "o0"))

/* A pod task: each container's resources against the platform limits. */
static int pod(const char *name, const char *pod_spec, const char **m)
{
	char *j = arena_printf(
	    arena,
	    "{\"id\":{\"resourceType\":\"TASK\"," PD ",\"version\":\"v1\","
	    "\"name\":\"%s\"},\"spec\":{\"template\":{\"type\":"
	    "\"sidecar\",\"metadata\":{},\"interface\":{},\"k8sPod\":{"
	    "\"podSpec\":%s}}}}",
	    name, pod_spec);
	return req(ADMIN "CreateTask",
	           &flyteidl__admin__task_create_request__descriptor, j, NULL,
	           NULL, m);
}

static void test_pod(void)
{
	const char *m;
	int code;

	code = pod("p.ok",
	           "{\"containers\":[{\"name\":\"main\",\"resources\":{"
	           "\"requests\":{\"cpu\":\"500m\",\"memory\":\"100Mi\"},"
	           "\"limits\":{\"cpu\":\"1\"}}},{\"name\":\"side\"}]}",
	           &m);
	TAP_EQ_INT(code, 0, "a pod task within the platform limits: %s", m);
	code = pod("p.big",
	           "{\"containers\":[{\"name\":\"main\"},{\"name\":\"b\","
	           "\"resources\":{\"requests\":{\"cpu\":\"4\"}}}]}",
	           &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "containers[1]") &&
	           strstr(m, "CPU"),
	       "a pod container over the CPU limit, named (%s)", m);
	code = pod("p.num",
	           "{\"containers\":[{\"resources\":{\"requests\":{"
	           "\"memory\":1024}}}]}",
	           &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "quantity string"),
	       "a resource that is not a quantity string (%s)", m);
	code = pod("p.none", "{\"hostNetwork\":true}", &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "containers"),
	       "a pod spec without containers (%s)", m);
}

static void test_compile(void)
{
	const char *m;
	int code;
	Flyteidl__Admin__Workflow *w;

	code = wf("wf.simple", "v1", WF_IFACE, WF_NODES, WF_OUT, NULL, &m);
	TAP_EQ_INT(code, 0, "CreateWorkflow compiles a two-node chain: %s", m);
	w = get_wf("wf.simple", "v1", &code, &m);
	TAP_EQ_INT(code, 0, "GetWorkflow: %s", m);
	if (w != NULL && w->closure && w->closure->compiled_workflow &&
	    w->closure->compiled_workflow->primary) {
		const Flyteidl__Core__CompiledWorkflowClosure *cc =
		    w->closure->compiled_workflow;
		const Flyteidl__Core__WorkflowTemplate *t = cc->primary->template_;
		const Flyteidl__Core__Node *n1 = find_node(t, "n1");
		const Flyteidl__Core__ConnectionSet__IdList *d;

		TAP_EQ_INT(t->n_nodes, 4, "start-node, n0, n1, end-node");
		TAP_OK(find_node(t, "start-node") && find_node(t, "end-node"),
		       "the compiled template has start-node and end-node");
		TAP_OK(n1 && n1->n_upstream_node_ids == 1 &&
		           strcmp(n1->upstream_node_ids[0], "n0") == 0,
		       "n1's upstream is derived from its bindings: n0");
		d = downstream(cc->primary->connections, "start-node");
		TAP_OK(d && d->n_ids == 1 && strcmp(d->ids[0], "n0") == 0,
		       "start-node feeds n0");
		d = downstream(cc->primary->connections, "n1");
		TAP_OK(d && d->n_ids == 1 && strcmp(d->ids[0], "end-node") == 0,
		       "n1 feeds end-node");
		TAP_EQ_INT(cc->n_tasks, 1, "the closure carries the one task");
		TAP_OK(t->id && strcmp(t->id->name, "wf.simple") == 0,
		       "the template carries the request's id");
		TAP_OK(w->closure->created_at != NULL, "created_at set");
	} else {
		TAP_OK(0, "GetWorkflow returns a compiled closure");
	}
	code = wf("wf.simple", "v1", WF_IFACE, WF_NODES, WF_OUT, NULL, &m);
	TAP_EQ_INT(code, RPC_ALREADY_EXISTS, "identical re-registration");
	code = wf("wf.simple", "v1", WF_IFACE,
	          TASKNODE("n0", "t.add",
	                   BIND("a", PROMISE("start-node", "x")) "," BIND(
	                       "b", INT("2"))) "," TASKNODE("n1", "t.add",
	                                                    BIND("a",
	                                                         PROMISE("n0",
	                                                                 "o0")) "," BIND("b", PROMISE("n0", "o0"))),
	          WF_OUT, NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "different content under the same version");
	TAP_OK(strstr(m, "different structure") != NULL, "says so (%s)", m);

	/* Problems, all in one message. */
	code = wf("wf.bad", "v1", WF_IFACE,
	          TASKNODE("n0", "t.str", BIND("s", PROMISE("start-node", "x")))
	          "," TASKNODE("n1", "t.missing", "") "," TASKNODE(
	              "n2", "t.add", BIND("a", PROMISE("n0", "o0"))),
	          BIND("o", PROMISE("n2", "o0")), NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "a workflow with problems");
	TAP_OK(strstr(m, "failed to compile workflow for "
	                 "[flytesnacks/development/wf.bad/v1]") != NULL,
	       "Flyte Admin's prefix (%s)", m);
	TAP_OK(strstr(m, "Collected Errors: 4") != NULL,
	       "all four problems collected");
	TAP_OK(strstr(m, "MismatchingTypes, Node Id: n0") != NULL,
	       "integer into string: MismatchingTypes on n0");
	TAP_OK(strstr(m, "TaskReferenceNotFound, Node Id: n1") != NULL,
	       "unknown task: TaskReferenceNotFound on n1");
	TAP_OK(strstr(m, "MismatchingTypes, Node Id: n2") != NULL,
	       "string output into integer input: MismatchingTypes on n2");
	TAP_OK(strstr(m, "ParameterNotBound, Node Id: n2") != NULL &&
	           strstr(m, "[b]") != NULL,
	       "n2's input b unbound: ParameterNotBound");

	code = wf("wf.cycle", "v1", WF_IFACE,
	          "{\"id\":\"n0\",\"upstreamNodeIds\":[\"n1\"],\"taskNode\":{"
	          "\"referenceId\":" TASK("t.add") "},\"inputs\":[" BIND(
	              "a", INT("1")) "," BIND("b", INT("1")) "]}," TASKNODE("n1", "t.add", BIND("a", PROMISE("n0", "o0")) "," BIND("b", INT("1"))),
	          BIND("o", PROMISE("n1", "o0")), NULL, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "a cycle");
	TAP_OK(strstr(m, "CycleDetected") && strstr(m, "[n0, n1]"),
	       "names the nodes on it (%s)", m);

	code = wf("wf.dup", "v1", WF_IFACE,
	          TASKNODE("n0", "t.add",
	                   BIND("a", INT("1")) "," BIND("b", INT("1"))) "," TASKNODE("n0", "t.add", BIND("a", INT("1")) "," BIND("b", INT("1"))),
	          BIND("o", PROMISE("n0", "o0")), NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "DuplicateNodeID"),
	       "duplicate node ids (%s)", m);
	code = wf("wf.reserved", "v1", WF_IFACE,
	          TASKNODE("end-node", "t.add",
	                   BIND("a", INT("1")) "," BIND("b", INT("1"))),
	          BIND("o", PROMISE("start-node", "x")), NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "reserved"),
	       "a reserved node id (%s)", m);
	code = wf("wf.nooutput", "v1", WF_IFACE, WF_NODES, "", NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT &&
	           strstr(m, "ParameterNotBound, Node Id: end-node"),
	       "a workflow output left unbound (%s)", m);
	code = wf("wf.ghost", "v1", WF_IFACE, WF_NODES,
	          BIND("o", PROMISE("n9", "o0")), NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT &&
	           strstr(m, "NodeReferenceNotFound") && strstr(m, "n9"),
	       "a promise from a node that does not exist (%s)", m);
	code = wf("wf.badvar", "v1", WF_IFACE, WF_NODES,
	          BIND("o", PROMISE("n1", "nope")), NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT &&
	           strstr(m, "VariableNameNotFound") && strstr(m, "nope"),
	       "a promise of an output the node lacks (%s)", m);
	code = wf("wf.coll", "v1",
	          "{\"inputs\":{\"variables\":{" VAR("x", T_INT) "}},\"outputs\":{"
	          "\"variables\":{" VAR("o", T_INT) "}}}",
	          TASKNODE("n0", "t.sum",
	                   BIND("xs", "{\"collection\":{\"bindings\":[" PROMISE(
	                                  "start-node", "x") "," INT("2") "]}}")),
	          BIND("o", PROMISE("n0", "o0")), NULL, &m);
	TAP_EQ_INT(code, 0, "a collection binding of a promise and a literal: %s",
	           m);
	code = wf("wf.collbad", "v1", WF_IFACE,
	          TASKNODE("n0", "t.sum",
	                   BIND("xs", "{\"collection\":{\"bindings\":[" STR(
	                                  "no") "]}}")),
	          BIND("o", PROMISE("n0", "o0")), NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "MismatchingTypes"),
	       "a string in a collection of integers (%s)", m);
}

#define BRANCH(id, then, els)                                                 \
	"{\"id\":\"" id "\",\"inputs\":[" BIND("x", PROMISE("start-node", "x")) \
	"],\"branchNode\":{\"ifElse\":{\"case\":{\"condition\":{\"comparison\":" \
	"{\"operator\":\"GT\",\"leftValue\":{\"var\":\"x\"},\"rightValue\":{" \
	"\"primitive\":{\"integer\":\"0\"}}}},\"thenNode\":" then "}" els "}}}"

static void test_branch_sub(void)
{
	const char *m;
	int code;
	Flyteidl__Admin__Workflow *w;

	code = wf("wf.branch", "v1", WF_IFACE,
	          BRANCH("b0",
	                 TASKNODE("b0-n0", "t.add",
	                          BIND("a", PROMISE("start-node", "x")) "," BIND(
	                              "b", INT("1"))),
	                 ",\"elseNode\":" TASKNODE(
	                     "b0-n1", "t.add",
	                     BIND("a", PROMISE("start-node", "x")) "," BIND(
	                         "b", INT("2")))),
	          BIND("o", PROMISE("b0", "o0")), NULL, &m);
	TAP_EQ_INT(code, 0, "a branch whose cases share output o0: %s", m);
	code = wf("wf.branch2", "v1", WF_IFACE,
	          BRANCH("b0",
	                 TASKNODE("b0-n0", "t.add",
	                          BIND("a", PROMISE("start-node", "x")) "," BIND(
	                              "b", INT("1"))),
	                 ""),
	          BIND("o", PROMISE("b0", "o0")), NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT &&
	           strstr(m, "else_node or an error"),
	       "a branch without else or error (%s)", m);
	code = wf("wf.branch3", "v1", WF_IFACE,
	          "{\"id\":\"b0\",\"branchNode\":{\"ifElse\":{\"case\":{"
	          "\"condition\":{\"comparison\":{\"leftValue\":{\"var\":\"y\"},"
	          "\"rightValue\":{\"var\":\"y\"}}},\"thenNode\":" TASKNODE(
	              "b0-n0", "t.add",
	              BIND("a", INT("1")) "," BIND("b", INT("1"))) "},"
	                                                          "\"error\":{"
	                                                          "\"message\":"
	                                                          "\"no\"}}}}",
	          BIND("o", PROMISE("b0", "o0")), NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "[y]"),
	       "a condition reading a variable the branch does not bind (%s)",
	       m);

	/* A subworkflow. */
#define SUB                                                                   \
	"{\"id\":" REF("WORKFLOW", "wf.sub", "v1") ",\"interface\":" WF_IFACE \
	",\"nodes\":[" TASKNODE("s0", "t.add",                                \
	                        BIND("a", PROMISE("start-node", "x")) "," BIND( \
	                            "b", INT("5"))) "],\"outputs\":[" BIND(    \
	    "o", PROMISE("s0", "o0")) "]}"
	code = wf("wf.parent", "v1", WF_IFACE,
	          "{\"id\":\"n0\",\"workflowNode\":{\"subWorkflowRef\":" REF(
	              "WORKFLOW", "wf.sub",
	              "v1") "},\"inputs\":[" BIND("x", PROMISE("start-node",
	                                                       "x")) "]}",
	          BIND("o", PROMISE("n0", "o")),
	          ",\"subWorkflows\":[" SUB "]", &m);
	TAP_EQ_INT(code, 0, "a workflow calling a subworkflow: %s", m);
	w = get_wf("wf.parent", "v1", &code, &m);
	TAP_OK(w && w->closure && w->closure->compiled_workflow &&
	           w->closure->compiled_workflow->n_sub_workflows == 1 &&
	           find_node(w->closure->compiled_workflow->sub_workflows[0]
	                         ->template_,
	                     "s0"),
	       "the closure carries the compiled subworkflow");
	code = wf("wf.orphan", "v1", WF_IFACE,
	          "{\"id\":\"n0\",\"workflowNode\":{\"subWorkflowRef\":" REF(
	              "WORKFLOW", "wf.nosuch",
	              "v1") "},\"inputs\":[" BIND("x", PROMISE("start-node",
	                                                       "x")) "]}",
	          BIND("o", PROMISE("n0", "o")), NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT &&
	           strstr(m, "WorkflowReferenceNotFound"),
	       "a subworkflow missing from sub_workflows (%s)", m);
}

/* 98 chained task nodes, a branch and a subworkflow node: 100 nodes. */
static void test_hundred(void)
{
	struct sbuf s = SBUF_INIT;
	char *nodes;
	const char *m;
	int code;
	Flyteidl__Admin__Workflow *w;

	sbuf_puts(&s, TASKNODE("c0", "t.add",
	                       BIND("a", PROMISE("start-node", "x")) "," BIND(
	                           "b", INT("1"))));
	for (int i = 1; i < 98; i++)
		sbuf_printf(&s,
		            ",{\"id\":\"c%d\",\"taskNode\":{\"referenceId\":" TASK(
		                "t.add") "},\"inputs\":[{\"var\":\"a\","
		                         "\"binding\":{\"promise\":{\"nodeId\":"
		                         "\"c%d\",\"var\":\"o0\"}}}," BIND("b",
		                                                           INT("1")) "]}",
		            i, i - 1);
	sbuf_puts(&s,
	          ",{\"id\":\"br\",\"inputs\":[" BIND("x", PROMISE("c97", "o0"))
	          "],\"branchNode\":{\"ifElse\":{\"case\":{\"condition\":{"
	          "\"comparison\":{\"operator\":\"GT\",\"leftValue\":{\"var\":"
	          "\"x\"},\"rightValue\":{\"var\":\"x\"}}},\"thenNode\":" TASKNODE(
	              "br-a", "t.add",
	              BIND("a", PROMISE("c97", "o0")) "," BIND(
	                  "b", INT("1"))) "},\"elseNode\":" TASKNODE("br-b",
	                                                             "t.add",
	                                                             BIND("a", PROMISE("c0", "o0")) "," BIND("b", INT("2"))) "}}}");
	sbuf_puts(&s, ",{\"id\":\"sub\",\"workflowNode\":{\"subWorkflowRef\":" REF(
	                  "WORKFLOW", "wf.sub",
	                  "v1") "},\"inputs\":[" BIND("x",
	                                              PROMISE("br", "o0")) "]}");
	nodes = sbuf_finish(&s, NULL);
	svc.max_workflow_nodes = 100;
	code = wf("wf.hundred", "v1", WF_IFACE, nodes,
	          BIND("o", PROMISE("sub", "o")), ",\"subWorkflows\":[" SUB "]",
	          &m);
	TAP_EQ_INT(code, 0,
	           "100 nodes with a branch and a subworkflow compile at the "
	           "default limit of 100: %s",
	           m);
	w = get_wf("wf.hundred", "v1", &code, &m);
	TAP_OK(w && w->closure && w->closure->compiled_workflow &&
	           w->closure->compiled_workflow->primary->template_->n_nodes ==
	               102,
	       "round-trips: 100 nodes plus start-node and end-node");
	if (w && w->closure && w->closure->compiled_workflow) {
		const Flyteidl__Core__Node *n =
		    find_node(w->closure->compiled_workflow->primary->template_,
		              "sub");
		TAP_OK(n && n->n_upstream_node_ids == 1 &&
		           strcmp(n->upstream_node_ids[0], "br") == 0,
		       "the subworkflow node waits for the branch");
		n = find_node(w->closure->compiled_workflow->primary->template_,
		              "br");
		TAP_OK(n && n->n_upstream_node_ids == 2,
		       "the branch waits for c97 and (through its else case) c0");
	}
	code = wf("wf.hundred", "v1", WF_IFACE, nodes,
	          BIND("o", PROMISE("sub", "o")), ",\"subWorkflows\":[" SUB "]",
	          &m);
	TAP_EQ_INT(code, RPC_ALREADY_EXISTS,
	           "re-registered: the same digest, ALREADY_EXISTS");
	svc.max_workflow_nodes = 99;
	code = wf("wf.hundred", "v2", WF_IFACE, nodes,
	          BIND("o", PROMISE("sub", "o")), ",\"subWorkflows\":[" SUB "]",
	          &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "100 > 99") &&
	           strstr(m, "max_workflow_nodes"),
	       "over a limit of 99: refused, naming the setting (%s)", m);
	svc.max_workflow_nodes = 100;
	free(nodes);
}

static void test_lists(void)
{
	void *out = NULL;
	const char *m;
	int code;
	Flyteidl__Admin__WorkflowList *wl;
	Flyteidl__Admin__NamedEntityIdentifierList *ids;

	code = req(ADMIN "ListWorkflows",
	           &flyteidl__admin__resource_list_request__descriptor,
	           "{\"id\":{" PD ",\"name\":\"wf.simple\"},\"limit\":10}",
	           &flyteidl__admin__workflow_list__descriptor, &out, &m);
	wl = out;
	TAP_OK(code == 0 && wl && wl->n_workflows == 1, "ListWorkflows by name");
	if (wl && wl->n_workflows == 1) {
		const Flyteidl__Core__WorkflowTemplate *t =
		    wl->workflows[0]->closure->compiled_workflow->primary->template_;
		TAP_OK(t->interface && t->interface->inputs &&
		           t->interface->inputs->n_variables == 1 &&
		           t->n_nodes == 0,
		       "a list entry carries the interface only, as Flyte Admin's");
	}
	code = req(ADMIN "ListWorkflows",
	           &flyteidl__admin__resource_list_request__descriptor,
	           "{\"id\":{" PD "},\"limit\":2,\"filters\":"
	           "\"contains(name,wf.)\"}",
	           &flyteidl__admin__workflow_list__descriptor, &out, &m);
	wl = out;
	TAP_OK(code == 0 && wl && wl->n_workflows == 2 && wl->token[0],
	       "a page of two with a token");
	code = req(ADMIN "ListWorkflows",
	           &flyteidl__admin__resource_list_request__descriptor,
	           "{\"id\":{" PD "},\"limit\":2,\"filters\":\"eq(type,x)\"}",
	           &flyteidl__admin__workflow_list__descriptor, &out, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "type"),
	       "workflows have no type column (%s)", m);
	code = req(ADMIN "ListWorkflowIds",
	           &flyteidl__admin__named_entity_identifier_list_request__descriptor,
	           "{" PD ",\"limit\":100}",
	           &flyteidl__admin__named_entity_identifier_list__descriptor,
	           &out, &m);
	ids = out;
	TAP_OK(code == 0 && ids && ids->n_entities == 5,
	       "ListWorkflowIds: the five names that compiled so far (%zu)",
	       ids ? ids->n_entities : 0);
	code = req(ADMIN "GetNamedEntity",
	           &flyteidl__admin__named_entity_get_request__descriptor,
	           "{\"resourceType\":\"WORKFLOW\",\"id\":{" PD
	           ",\"name\":\"wf.simple\"}}",
	           NULL, NULL, &m);
	TAP_EQ_INT(code, 0, "a workflow is a named entity: %s", m);
}

static void test_launch_plans(void)
{
	struct repo_lp_change ch[16];
	struct keel_err e = {0};
	size_t n = 0;
	void *out = NULL;
	const char *m;
	int code;
	Flyteidl__Admin__LaunchPlan *p;
	Flyteidl__Admin__LaunchPlanList *pl;

#define DEF_X                                                                 \
	"\"defaultInputs\":{\"parameters\":{\"x\":{\"var\":{\"type\":" T_INT  \
	"},\"default\":" INT("3") "}}}"
#define CRON(expr)                                                            \
	"\"entityMetadata\":{\"schedule\":{\"cronSchedule\":{\"schedule\":\"" \
	expr "\"}}}"
	code = lp("lp.simple", "v1", "wf.simple", DEF_X, &m);
	TAP_EQ_INT(code, 0, "CreateLaunchPlan with a default input: %s", m);
	out = NULL;
	code = req(ADMIN "GetLaunchPlan",
	           &flyteidl__admin__object_get_request__descriptor,
	           "{\"id\":" REF("LAUNCH_PLAN", "lp.simple", "v1") "}",
	           &flyteidl__admin__launch_plan__descriptor, &out, &m);
	p = out;
	TAP_OK(code == 0 && p && p->closure &&
	           p->closure->state ==
	               FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__INACTIVE &&
	           p->closure->expected_inputs &&
	           p->closure->expected_inputs->n_parameters == 1 &&
	           p->closure->expected_outputs &&
	           p->closure->expected_outputs->n_variables == 1,
	       "created INACTIVE with expected inputs and outputs");
	code = lp("lp.simple", "v1", "wf.simple", DEF_X, &m);
	TAP_EQ_INT(code, RPC_ALREADY_EXISTS, "identical re-registration");
	code = lp("lp.simple", "v1", "wf.simple", NULL, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "different structure"),
	       "different content under the same version (%s)", m);
	code = lp("lp.req", "v1", "wf.simple", NULL, &m);
	TAP_EQ_INT(code, 0, "no inputs given: x becomes a required input: %s",
	           m);
	code = lp("lp.nowf", "v1", "wf.nosuch", NULL, &m);
	TAP_EQ_INT(code, RPC_NOT_FOUND, "a launch plan of a missing workflow");
	code = lp("lp.bad", "v1", "wf.simple",
	          "\"fixedInputs\":{\"literals\":{\"y\":" INT("1") "}}", &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "unexpected fixed_input y"),
	       "a fixed input the workflow lacks (%s)", m);
	code = lp("lp.bad", "v1", "wf.simple",
	          "\"fixedInputs\":{\"literals\":{\"x\":" STR("three") "}}", &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "wrong type"),
	       "a fixed input of the wrong type (%s)", m);
	code = lp("lp.bad", "v1", "wf.simple",
	          "\"defaultInputs\":{\"parameters\":{\"x\":{\"var\":{\"type\":" T_STR
	          "},\"default\":" STR("a") "}}}",
	          &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "wrong type"),
	       "a default input of the wrong type (%s)", m);
	TAP_EQ_INT(task("t.when", VAR("t", T_DT), VAR("o0", T_DT)), 0,
	           "task t.when (datetime) -> datetime");
	code = wf("wf.when", "v1",
	          "{\"inputs\":{\"variables\":{" VAR("t", T_DT) "}},"
	          "\"outputs\":{\"variables\":{" VAR("o", T_DT) "}}}",
	          TASKNODE("n0", "t.when", BIND("t", PROMISE("start-node", "t"))),
	          BIND("o", PROMISE("n0", "o0")), NULL, &m);
	TAP_EQ_INT(code, 0, "a datetime workflow: %s", m);
	{
		/* protobuf-c packs what JSON could not say: a nanos of 2e9. */
		Flyteidl__Admin__LaunchPlanCreateRequest *r = NULL;
		const char *j =
		    "{\"id\":" REF("LAUNCH_PLAN", "lp.when", "v1")
		    ",\"spec\":{\"workflowId\":" REF("WORKFLOW", "wf.when", "v1")
		    ",\"fixedInputs\":{\"literals\":{\"t\":{\"scalar\":{"
		    "\"primitive\":{\"datetime\":\"2024-01-01T00:00:00Z\"}}}}}}}";
		char e2[256];
		pbjson_decode(&flyteidl__admin__launch_plan_create_request__descriptor,
		              j, strlen(j), NULL, arena_pb_allocator(arena),
		              (ProtobufCMessage **)&r, e2, sizeof(e2));
		TAP_EQ_INT(testdb_call(&svc, arena, ADMIN "CreateLaunchPlan",
		                       &r->base, NULL, NULL, &m),
		           0, "a valid fixed datetime: %s", m);
		r->id->version = (char *)"v2";
		r->spec->fixed_inputs->literals[0]->value->scalar->primitive
		    ->datetime->nanos = 2000000000;
		code = testdb_call(&svc, arena, ADMIN "CreateLaunchPlan", &r->base,
		                   NULL, NULL, &m);
		TAP_OK(code == RPC_INVALID_ARGUMENT &&
		           strstr(m, "not a valid timestamp"),
		       "a datetime with nanos of 2e9 (%s)", m);
	}
	code = lp("lp.bad", "v1", "wf.simple", DEF_X "," CRON("61 * * * *"),
	          &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT &&
	           strstr(m, "Invalid cron expression") && strstr(m, "minute"),
	       "a cron minute of 61 (%s)", m);
	code = lp("lp.bad", "v1", "wf.simple", CRON("*/5 * * * *"), &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "unbound required input"),
	       "a schedule with a required input unbound (%s)", m);
	code = lp("lp.bad", "v1", "wf.simple",
	          "\"entityMetadata\":{\"schedule\":{\"cronSchedule\":{"
	          "\"schedule\":\"@hourly\"},\"kickoffTimeInputArg\":\"x\"}}",
	          &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "datetime"),
	       "a kickoff argument that is not a datetime (%s)", m);
	code = lp("lp.bad", "v1", "wf.simple",
	          DEF_X ",\"entityMetadata\":{\"notifications\":[{\"phases\":["
	                "\"RUNNING\"],\"email\":{\"recipientsEmail\":[\"a@b.c\"]}}]}",
	          &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "phase"),
	       "a notification on a non-terminal phase (%s)", m);
	code = lp("lp.bad", "v1", "wf.simple",
	          DEF_X ",\"entityMetadata\":{\"notifications\":[{\"phases\":["
	                "\"FAILED\"],\"slack\":{}}]}",
	          &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "missing recipients"),
	       "a notification without recipients (%s)", m);
	code = lp("lp.bad", "v1", "wf.simple",
	          DEF_X ",\"labels\":{\"values\":{\"Bad Key\":\"v\"}}", &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "label key"),
	       "a label key that is not a qualified name (%s)", m);

	/* Activation: exactly one ACTIVE version per name. */
	TAP_EQ_INT(lp("lp.cron", "v1", "wf.simple", DEF_X "," CRON("0 * * * *"),
	              &m),
	           0, "scheduled v1: %s", m);
	TAP_EQ_INT(lp("lp.cron", "v2", "wf.simple",
	              DEF_X "," CRON("CRON_TZ=UTC 30 2 * * mon-fri"), &m),
	           0, "scheduled v2: %s", m);
	active("lp.cron", &code, &m);
	TAP_EQ_INT(code, RPC_NOT_FOUND, "nothing active yet");
	TAP_OK(strstr(m, "No active launch plan could be found: "
	                 "flytesnacks:development:lp.cron") != NULL,
	       "Flyte Admin's message (%s)", m);
	TAP_EQ_INT(lp_state("lp.cron", "v1", "ACTIVE", &m), 0, "activate v1");
	p = active("lp.cron", &code, &m);
	TAP_OK(code == 0 && p && strcmp(p->id->version, "v1") == 0 &&
	           p->closure->state == FLYTEIDL__ADMIN__LAUNCH_PLAN_STATE__ACTIVE,
	       "v1 is the active version");
	TAP_EQ_INT(lp_state("lp.cron", "v2", "ACTIVE", &m), 0, "activate v2");
	p = active("lp.cron", &code, &m);
	TAP_OK(code == 0 && p && strcmp(p->id->version, "v2") == 0,
	       "v2 is the active version now");
	out = NULL;
	code = req(ADMIN "ListActiveLaunchPlans",
	           &flyteidl__admin__active_launch_plan_list_request__descriptor,
	           "{" PD ",\"limit\":10}",
	           &flyteidl__admin__launch_plan_list__descriptor, &out, &m);
	pl = out;
	TAP_OK(code == 0 && pl && pl->n_launch_plans == 1 &&
	           strcmp(pl->launch_plans[0]->id->version, "v2") == 0,
	       "ListActiveLaunchPlans: v2 alone");
	repo_lp_pending_changes(svc.db, "flytesnacks", "development", "lp.cron",
	                        ch, 16, &n, &e);
	TAP_OK(n == 3 && strcmp(ch[0].action, "ADD") == 0 &&
	           strcmp(ch[0].version, "v1") == 0 &&
	           strcmp(ch[1].action, "REMOVE") == 0 &&
	           strcmp(ch[1].version, "v1") == 0 &&
	           strcmp(ch[2].action, "ADD") == 0 &&
	           strcmp(ch[2].version, "v2") == 0,
	       "the schedule outbox: ADD v1, REMOVE v1, ADD v2 (%zu rows)", n);
	TAP_EQ_INT(lp_state("lp.cron", "v2", "INACTIVE", &m), 0,
	           "deactivate v2");
	active("lp.cron", &code, &m);
	TAP_EQ_INT(code, RPC_NOT_FOUND, "nothing active again");
	repo_lp_pending_changes(svc.db, "flytesnacks", "development", "lp.cron",
	                        ch, 16, &n, &e);
	TAP_OK(n == 4 && strcmp(ch[3].action, "REMOVE") == 0,
	       "deactivation queued a REMOVE");
	TAP_EQ_INT(lp_state("lp.cron", "v9", "ACTIVE", &m), RPC_NOT_FOUND,
	           "activating a version that does not exist");
	{
		char *j = arena_printf(arena,
		                       "{\"id\":" REF("LAUNCH_PLAN", "lp.cron",
		                                      "v1") ",\"state\":7}");
		code = req(ADMIN "UpdateLaunchPlan",
		           &flyteidl__admin__launch_plan_update_request__descriptor,
		           j, NULL, NULL, &m);
		TAP_OK(code == RPC_INVALID_ARGUMENT &&
		           strstr(m, "Unrecognized launch plan state"),
		       "an unknown state (%s)", m);
	}
	out = NULL;
	code = req(ADMIN "ListLaunchPlans",
	           &flyteidl__admin__resource_list_request__descriptor,
	           "{\"id\":{" PD "},\"limit\":10,\"filters\":"
	           "\"eq(workflow.name,wf.simple)+eq(schedule_type,CRON)\"}",
	           &flyteidl__admin__launch_plan_list__descriptor, &out, &m);
	pl = out;
	TAP_OK(code == 0 && pl && pl->n_launch_plans == 2,
	       "ListLaunchPlans filters on the workflow's columns (%s)",
	       code ? m : "");
	code = req(ADMIN "ListLaunchPlans",
	           &flyteidl__admin__resource_list_request__descriptor,
	           "{\"id\":{" PD "},\"limit\":10,\"filters\":"
	           "\"eq(task.name,x)\"}",
	           &flyteidl__admin__launch_plan_list__descriptor, &out, &m);
	TAP_OK(code == RPC_INVALID_ARGUMENT && strstr(m, "task"),
	       "but not on a task's (%s)", m);
}

static void check_plan(struct db *db, const char *what, const char *sql,
                       const struct keel_db_val *a, size_t n)
{
	char plan[2048];
	struct keel_err err = {0};
	int rc = testdb_explain(db, sql, a, n, plan, sizeof(plan), &err);

	TAP_EQ_INT(rc, 0, "%s: EXPLAIN QUERY PLAN runs: %s", what, err.msg);
	TAP_OK(strstr(plan, "USING INDEX") || strstr(plan, "USING COVERING"),
	       "%s uses an index (%s)", what, plan);
	TAP_OK(!strstr(plan, "TEMP B-TREE"), "%s sorts nothing (%s)", what,
	       plan);
}

static void test_plans(void)
{
	struct repo_ver_query q = {.project = "p", .domain = "d", .limit = 100,
	                           .sort_col = "created_at", .offset = -1};
	struct keel_db_val a[4] = {db_str("p"), db_str("d"), db_int(101)};
	struct keel_err e = {0};
	char sql[4096];

	if (strcmp(db_dialect(svc.db), "sqlite") != 0)
		return;
	repo_ver_list_sql(&repo_kind_workflow, &q, sql, sizeof(sql), &e);
	check_plan(svc.db, "ListWorkflows", sql, a, 3);
	repo_ver_list_sql(&repo_kind_launch_plan, &q, sql, sizeof(sql), &e);
	check_plan(svc.db, "ListLaunchPlans", sql, a, 3);
	q.active_only = 1;
	repo_ver_list_sql(&repo_kind_launch_plan, &q, sql, sizeof(sql), &e);
	check_plan(svc.db, "ListActiveLaunchPlans", sql, a, 3);
	q.name = "n";
	a[2] = db_str("n");
	a[3] = db_int(2);
	repo_ver_list_sql(&repo_kind_launch_plan, &q, sql, sizeof(sql), &e);
	check_plan(svc.db, "GetActiveLaunchPlan", sql, a, 4);
}

int main(void)
{
	struct testdb t;
	struct task_resource_limits lim;
	char err[1024] = "";
	const char *m;
	Flyteidl__Admin__ProjectRegisterRequest r =
	    FLYTEIDL__ADMIN__PROJECT_REGISTER_REQUEST__INIT;
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
	static struct svc_domain doms[1] = {
	    {(char *)"development", (char *)"development"}};

	if (testdb_open(&t, 4, err, sizeof(err)) != 0)
		return tap_skip_all(err);
	arena = arena_new(0);
	svc.db = t.db;
	svc.max_page_size = 1000;
	svc.max_workflow_nodes = 100;
	task_resources_defaults(&lim);
	svc.task_limits = &lim;
	svc.domains = doms;
	svc.ndomains = 1;
	TAP_EQ_INT(rpc_init(), 0, "method table built");
	p.id = (char *)"flytesnacks";
	p.name = (char *)"flytesnacks";
	r.project = &p;
	TAP_EQ_INT(testdb_call(&svc, arena, ADMIN "RegisterProject", &r.base,
	                       NULL, NULL, &m),
	           0, "project flytesnacks");
	TAP_EQ_INT(task("t.add", VAR("a", T_INT) "," VAR("b", T_INT),
	                VAR("o0", T_INT)),
	           0, "task t.add (int, int) -> int");
	TAP_EQ_INT(task("t.str", VAR("s", T_STR), VAR("o0", T_STR)), 0,
	           "task t.str (string) -> string");
	TAP_EQ_INT(task("t.sum", VAR("xs", "{\"collectionType\":" T_INT "}"),
	                VAR("o0", T_INT)),
	           0, "task t.sum (list of int) -> int");
	(void)T_DT;
	test_pod();

	test_compile();
	test_branch_sub();
	test_hundred();
	test_lists();
	test_launch_plans();
	test_plans();

	arena_free(arena);
	rpc_shutdown();
	testdb_close(&t);
	return tap_done();
}
