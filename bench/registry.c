/*
 * registry.c -- the registry cells (issue 4's targets) and the database
 * they run on (bench/README.md, "Registry cells").
 *
 * `fabench populate` fills a keeld data directory with N tasks through
 * keeld's own core in this process (inproc.h): RegisterProject, then
 * CreateTask per row, so every row went through the handler, the digest,
 * the closure encoding and the repository exactly as a real registration
 * does.  It writes a marker line when it is done, so a half-populated
 * directory is never taken for a cached one.
 *
 * `fabench registry` measures ListTasks and GetTask (and the workflow
 * pair, once keeld implements it) at one client on two keelds at once: the
 * product on the big database and a baseline on a small one, round by
 * round in alternating order, plus the request's own SQL run directly on
 * the big database file (floor.h).  Each workload and door gives two
 * cells: "size" (big / small, the list target: <= 1.5) and "floor"
 * (server p50 - floor p50, the get target: <= 100 us).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <protobuf-c/protobuf-c.h>

#include <keel/keel_client.h>

#include "drivers.h"
#include "fabench.h"
#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "floor.h"
#include "inproc.h"

#define REG_ADMIN "/flyteidl.service.AdminService/"
/* Bump when the rows populate writes change: cached databases are keyed
 * by it (and by the schema version). */
#define REG_LAYOUT 2 /* 2: a one-node workflow per task */
/* Task names per project/domain; versions grow to fill the rows. */
#define REG_NAMES 40
#define REG_MARKER "fabench-populate.json"
#define REG_FLOOR_GOAL_US 100.0

/* Four projects over keeld's three default domains: twelve slices. */
static const char *const reg_projects[] = {"bench", "flytesnacks",
                                           "ml-pipelines", "data-eng"};
static const char *const reg_domains[] = {"development", "staging",
                                          "production"};
#define REG_NPROJ (sizeof(reg_projects) / sizeof(reg_projects[0]))
#define REG_NDOM  (sizeof(reg_domains) / sizeof(reg_domains[0]))

/* Row i's identity: rows are dealt round the slices, so every slice is
 * spread over the whole load and its newest rows are the table's. */
static void reg_row_id(uint64_t i, const char **project, const char **domain,
                       char *name, size_t nlen, char *version, size_t vlen)
{
	uint64_t slice = i % (REG_NPROJ * REG_NDOM);
	uint64_t j = i / (REG_NPROJ * REG_NDOM);

	*project = reg_projects[slice % REG_NPROJ];
	*domain = reg_domains[slice / REG_NPROJ];
	snprintf(name, nlen, "app.workflows.etl.task_%03u",
	         (unsigned)(j % REG_NAMES));
	snprintf(version, vlen, "v%08llu-5f3c9a1", (unsigned long long)(j / REG_NAMES));
}

int cmd_populate_key(void)
{
	printf("s%d-l%d\n", inproc_schema_version(), REG_LAYOUT);
	return 0;
}

/* ---- populate ------------------------------------------------------------- */

/* A CreateTask request as flytekit registers a Python task: a container
 * template with its resolver arguments, resources, runtime and a small
 * interface; the pieces are set up once and row ids swapped in. */
struct reg_task {
	Flyteidl__Admin__TaskCreateRequest req;
	Flyteidl__Core__Identifier id;
	Flyteidl__Admin__TaskSpec spec;
	Flyteidl__Core__TaskTemplate tmpl;
	Flyteidl__Core__TaskMetadata md;
	Flyteidl__Core__RuntimeMetadata rt;
	Flyteidl__Core__RetryStrategy retry;
	Flyteidl__Core__TypedInterface iface;
	Flyteidl__Core__VariableMap in, out;
	Flyteidl__Core__VariableMap__VariablesEntry in_e, out_e;
	Flyteidl__Core__VariableMap__VariablesEntry *in_v[1], *out_v[1];
	Flyteidl__Core__Variable in_var, out_var;
	Flyteidl__Core__LiteralType in_t, out_t;
	Flyteidl__Core__Container ct;
	Flyteidl__Core__Resources res;
	Flyteidl__Core__Resources__ResourceEntry rq[2], lim[2];
	Flyteidl__Core__Resources__ResourceEntry *rqv[2], *limv[2];
	char *args[18];
	char name[96], version[48], task_arg[48];
};

static void reg_task_init(struct reg_task *t)
{
	static const char *const args[] = {
	    "pyflyte-execute", "--inputs", "{{.input}}", "--output-prefix",
	    "{{.outputPrefix}}", "--raw-output-data-prefix",
	    "{{.rawOutputDataPrefix}}", "--checkpoint-path",
	    "{{.checkpointOutputPrefix}}", "--prev-checkpoint",
	    "{{.prevCheckpointPrefix}}", "--resolver",
	    "flytekit.core.python_auto_container.default_task_resolver", "--",
	    "task-module", "app.workflows.etl", "task-name", NULL};
	size_t i;

	flyteidl__admin__task_create_request__init(&t->req);
	flyteidl__core__identifier__init(&t->id);
	flyteidl__admin__task_spec__init(&t->spec);
	flyteidl__core__task_template__init(&t->tmpl);
	flyteidl__core__task_metadata__init(&t->md);
	flyteidl__core__runtime_metadata__init(&t->rt);
	flyteidl__core__retry_strategy__init(&t->retry);
	flyteidl__core__typed_interface__init(&t->iface);
	flyteidl__core__variable_map__init(&t->in);
	flyteidl__core__variable_map__init(&t->out);
	flyteidl__core__variable_map__variables_entry__init(&t->in_e);
	flyteidl__core__variable_map__variables_entry__init(&t->out_e);
	flyteidl__core__variable__init(&t->in_var);
	flyteidl__core__variable__init(&t->out_var);
	flyteidl__core__literal_type__init(&t->in_t);
	flyteidl__core__literal_type__init(&t->out_t);
	flyteidl__core__container__init(&t->ct);
	flyteidl__core__resources__init(&t->res);

	t->id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
	t->id.name = t->name;
	t->id.version = t->version;
	t->req.id = &t->id;
	t->req.spec = &t->spec;
	t->spec.template_ = &t->tmpl;
	t->tmpl.type = (char *)"python-task";
	t->tmpl.metadata = &t->md;
	t->md.runtime = &t->rt;
	t->rt.type = FLYTEIDL__CORE__RUNTIME_METADATA__RUNTIME_TYPE__FLYTE_SDK;
	t->rt.version = (char *)"1.10.3";
	t->rt.flavor = (char *)"python";
	t->md.retries = &t->retry;
	t->retry.retries = 3;
	t->tmpl.interface = &t->iface;
	t->iface.inputs = &t->in;
	t->iface.outputs = &t->out;
	t->in.n_variables = t->out.n_variables = 1;
	t->in.variables = t->in_v;
	t->out.variables = t->out_v;
	t->in_v[0] = &t->in_e;
	t->out_v[0] = &t->out_e;
	t->in_e.key = (char *)"batch_size";
	t->in_e.value = &t->in_var;
	t->out_e.key = (char *)"o0";
	t->out_e.value = &t->out_var;
	t->in_var.type = &t->in_t;
	t->in_var.description = (char *)"batch_size";
	t->out_var.type = &t->out_t;
	t->out_var.description = (char *)"o0";
	t->in_t.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	t->in_t.simple = FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER;
	t->out_t.type_case = FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE;
	t->out_t.simple = FLYTEIDL__CORE__SIMPLE_TYPE__STRING;
	t->tmpl.target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER;
	t->tmpl.container = &t->ct;
	t->ct.image = (char *)"ghcr.io/flyteorg/flytekit:py3.11-1.10.3";
	for (i = 0; args[i] != NULL; i++)
		t->args[i] = (char *)args[i];
	t->args[i++] = t->task_arg;
	t->ct.args = t->args;
	t->ct.n_args = i;
	t->ct.resources = &t->res;
	for (i = 0; i < 2; i++) {
		flyteidl__core__resources__resource_entry__init(&t->rq[i]);
		flyteidl__core__resources__resource_entry__init(&t->lim[i]);
		t->rqv[i] = &t->rq[i];
		t->limv[i] = &t->lim[i];
	}
	t->rq[0].name = t->lim[0].name =
	    FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU;
	t->rq[1].name = t->lim[1].name =
	    FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY;
	t->rq[0].value = (char *)"500m";
	t->rq[1].value = (char *)"512Mi";
	t->lim[0].value = (char *)"1";
	t->lim[1].value = (char *)"1Gi";
	t->res.requests = t->rqv;
	t->res.n_requests = 2;
	t->res.limits = t->limv;
	t->res.n_limits = 2;
}

/* A CreateWorkflow request: one task node calling the row's task, its
 * input from the workflow's, its output the workflow's; ids swapped in
 * per row like the task's. */
struct reg_wf {
	Flyteidl__Admin__WorkflowCreateRequest req;
	Flyteidl__Core__Identifier id, task_id;
	Flyteidl__Admin__WorkflowSpec spec;
	Flyteidl__Core__WorkflowTemplate tmpl;
	Flyteidl__Core__Node node, *nodes[1];
	Flyteidl__Core__TaskNode tn;
	Flyteidl__Core__Binding in_b, out_b, *in_bv[1], *out_bv[1];
	Flyteidl__Core__BindingData in_d, out_d;
	Flyteidl__Core__OutputReference in_p, out_p;
};

/* w borrows t's interface, name and version. */
static void reg_wf_init(struct reg_wf *w, struct reg_task *t)
{
	flyteidl__admin__workflow_create_request__init(&w->req);
	flyteidl__core__identifier__init(&w->id);
	flyteidl__core__identifier__init(&w->task_id);
	flyteidl__admin__workflow_spec__init(&w->spec);
	flyteidl__core__workflow_template__init(&w->tmpl);
	flyteidl__core__node__init(&w->node);
	flyteidl__core__task_node__init(&w->tn);
	flyteidl__core__binding__init(&w->in_b);
	flyteidl__core__binding__init(&w->out_b);
	flyteidl__core__binding_data__init(&w->in_d);
	flyteidl__core__binding_data__init(&w->out_d);
	flyteidl__core__output_reference__init(&w->in_p);
	flyteidl__core__output_reference__init(&w->out_p);
	w->id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW;
	w->id.name = t->name;
	w->id.version = t->version;
	w->task_id = t->id;
	w->req.id = &w->id;
	w->req.spec = &w->spec;
	w->spec.template_ = &w->tmpl;
	w->tmpl.interface = &t->iface;
	w->tmpl.n_nodes = 1;
	w->tmpl.nodes = w->nodes;
	w->nodes[0] = &w->node;
	w->node.id = (char *)"n0";
	w->node.target_case = FLYTEIDL__CORE__NODE__TARGET_TASK_NODE;
	w->node.task_node = &w->tn;
	w->tn.reference_case = FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID;
	w->tn.reference_id = &w->task_id;
	w->node.n_inputs = 1;
	w->node.inputs = w->in_bv;
	w->in_bv[0] = &w->in_b;
	w->in_b.var = (char *)"batch_size";
	w->in_b.binding = &w->in_d;
	w->in_d.value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE;
	w->in_d.promise = &w->in_p;
	w->in_p.node_id = (char *)"start-node";
	w->in_p.var = (char *)"batch_size";
	w->tmpl.n_outputs = 1;
	w->tmpl.outputs = w->out_bv;
	w->out_bv[0] = &w->out_b;
	w->out_b.var = (char *)"o0";
	w->out_b.binding = &w->out_d;
	w->out_d.value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE;
	w->out_d.promise = &w->out_p;
	w->out_p.node_id = (char *)"n0";
	w->out_p.var = (char *)"o0";
}

static int reg_register_projects(struct inproc *ip)
{
	Flyteidl__Admin__ProjectRegisterRequest r =
	    FLYTEIDL__ADMIN__PROJECT_REGISTER_REQUEST__INIT;
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
	const char *m;
	int code;

	r.project = &p;
	for (size_t i = 0; i < REG_NPROJ; i++) {
		p.id = p.name = (char *)reg_projects[i];
		p.description = (char *)"fabench populate";
		code = inproc_call(ip, REG_ADMIN "RegisterProject", &r.base,
		                   NULL, NULL, &m);
		if (code != 0 && code != 6 /* ALREADY_EXISTS */) {
			fprintf(stderr, "fabench: RegisterProject %s: %d: %s\n",
			        reg_projects[i], code, m);
			return -1;
		}
	}
	return 0;
}

/* Row 0's key: what GetTask asks for (it exists at every size). */
static void reg_get_id(Flyteidl__Core__Identifier *id, int resource_type,
                       char *name, size_t nlen, char *version, size_t vlen)
{
	const char *project, *domain;

	reg_row_id(0, &project, &domain, name, nlen, version, vlen);
	flyteidl__core__identifier__init(id);
	id->resource_type = resource_type;
	id->project = (char *)project;
	id->domain = (char *)domain;
	id->name = name;
	id->version = version;
}

/* The stored closure's size, read back as GetTask returns it. */
static size_t reg_closure_bytes(struct inproc *ip)
{
	Flyteidl__Admin__ObjectGetRequest g =
	    FLYTEIDL__ADMIN__OBJECT_GET_REQUEST__INIT;
	Flyteidl__Core__Identifier id;
	Flyteidl__Admin__Task *t = NULL;
	char name[96], version[48];
	const char *m;

	reg_get_id(&id, FLYTEIDL__CORE__RESOURCE_TYPE__TASK, name, sizeof(name),
	           version, sizeof(version));
	g.id = &id;
	if (inproc_call(ip, REG_ADMIN "GetTask", &g.base,
	                &flyteidl__admin__task__descriptor, (void **)&t,
	                &m) != 0 ||
	    t == NULL || t->closure == NULL)
		return 0;
	return protobuf_c_message_get_packed_size(&t->closure->base);
}

static long long reg_file_bytes(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int cmd_populate(const struct opts *o)
{
	struct inproc_db_opts dbo = {
	    /* A bulk load of a scratch database: no fsync, and a cache
	     * that holds the indexes' hot pages. */
	    .synchronous = "off", .cache_size = "256MiB", .migrate = 1};
	struct inproc *ip = NULL;
	struct reg_task *t = NULL;
	struct reg_wf *wf = NULL;
	char err[ERRLEN], path[1024], tmp[1100];
	uint64_t next_report, step;
	double t0, secs;
	size_t closure;
	const char *m;
	FILE *f;
	int code, rc = 1;

	if (o->data_dir == NULL || o->plugin_dir == NULL || o->rows == 0) {
		fprintf(stderr, "fabench: populate needs --data-dir, "
		                "--plugin-dir and --rows N (N > 0)\n");
		return 64;
	}
	snprintf(path, sizeof(path), "%s/keel.db", o->data_dir);
	if (access(path, F_OK) == 0) {
		fprintf(stderr,
		        "fabench: %s exists: populate writes only a new "
		        "database\n",
		        path);
		return 64;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (wf = calloc(1, sizeof(*wf))) == NULL)
		goto out;
	reg_task_init(t);
	reg_wf_init(wf, t);
	t0 = now_s();
	if (inproc_open(o->data_dir, o->plugin_dir, &dbo, &ip, err,
	                sizeof(err)) != 0) {
		fprintf(stderr, "fabench: populate: %s\n", err);
		rc = 69;
		goto out;
	}
	if (reg_register_projects(ip) != 0)
		goto out;
	step = o->rows / 20 ? o->rows / 20 : 1; /* every 5% */
	next_report = step;
	for (uint64_t i = 0; i < o->rows; i++) {
		const char *project, *domain;

		reg_row_id(i, &project, &domain, t->name, sizeof(t->name),
		           t->version, sizeof(t->version));
		t->id.project = (char *)project;
		t->id.domain = (char *)domain;
		snprintf(t->task_arg, sizeof(t->task_arg), "%s",
		         strrchr(t->name, '.') + 1);
		code = inproc_call(ip, REG_ADMIN "CreateTask", &t->req.base,
		                   NULL, NULL, &m);
		if (code != 0) {
			fprintf(stderr,
			        "fabench: populate: CreateTask %s/%s/%s/%s: "
			        "%d: %s\n",
			        project, domain, t->name, t->version, code, m);
			goto out;
		}
		/* The workflow of the same name and version. */
		wf->id.project = wf->task_id.project = (char *)project;
		wf->id.domain = wf->task_id.domain = (char *)domain;
		code = inproc_call(ip, REG_ADMIN "CreateWorkflow", &wf->req.base,
		                   NULL, NULL, &m);
		if (code != 0) {
			fprintf(stderr,
			        "fabench: populate: CreateWorkflow %s/%s/%s/%s: "
			        "%d: %s\n",
			        project, domain, t->name, t->version, code, m);
			goto out;
		}
		if (i + 1 == next_report && i + 1 < o->rows) {
			secs = now_s() - t0;
			fprintf(stderr,
			        "fabench: populate: %llu/%llu tasks and "
			        "workflows (%.0f%%), "
			        "%.0f rows/s, %.0f s to go\n",
			        (unsigned long long)(i + 1),
			        (unsigned long long)o->rows,
			        100.0 * (double)(i + 1) / (double)o->rows,
			        (double)(i + 1) / secs,
			        secs / (double)(i + 1) *
			            (double)(o->rows - i - 1));
			next_report += step;
		}
	}
	closure = reg_closure_bytes(ip);
	/* Closing checkpoints the WAL into the file: part of the cost. */
	inproc_close(ip);
	ip = NULL;
	secs = now_s() - t0;
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", o->data_dir, REG_MARKER);
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "fabench: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	for (int k = 0; k < 2; k++) {
		FILE *w = k ? stdout : f;
		fprintf(w,
		        "{\"record\":\"populate\",\"rows\":%llu,\"secs\":%.2f,"
		        "\"rows_per_s\":%.0f,\"schema\":%d,\"layout\":%d,"
		        "\"projects\":%zu,\"domains\":%zu,\"names\":%d,"
		        "\"closure_bytes\":%zu,\"db_bytes\":%lld}\n",
		        (unsigned long long)o->rows, secs,
		        (double)o->rows / secs, inproc_schema_version(),
		        REG_LAYOUT, REG_NPROJ, REG_NDOM, REG_NAMES, closure,
		        reg_file_bytes(path));
	}
	snprintf(path, sizeof(path), "%s/%s", o->data_dir, REG_MARKER);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "fabench: %s: %s\n", path, strerror(errno));
		goto out;
	}
	fprintf(stderr,
	        "fabench: populate: %llu tasks and as many workflows in "
	        "%.1f s (%.0f tasks/s), "
	        "closure %zu bytes\n",
	        (unsigned long long)o->rows, secs, (double)o->rows / secs,
	        closure);
	rc = 0;
out:
	inproc_close(ip);
	free(wf);
	free(t);
	return rc;
}

/* ---- registry cells --------------------------------------------------------- */

struct reg_workload {
	const char *name;   /* "ListTasks" */
	int list;           /* ResourceListRequest, else ObjectGetRequest */
	int resource_type;  /* flyteidl.core.ResourceType */
	/* lists: the response, and its repeated field (rows returned) */
	const ProtobufCMessageDescriptor *list_desc;
	const char *list_field;
};

static const struct reg_workload reg_workloads[] = {
    {"ListTasks", 1, FLYTEIDL__CORE__RESOURCE_TYPE__TASK,
     &flyteidl__admin__task_list__descriptor, "tasks"},
    {"GetTask", 0, FLYTEIDL__CORE__RESOURCE_TYPE__TASK, NULL, NULL},
    {"ListWorkflows", 1, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW,
     &flyteidl__admin__workflow_list__descriptor, "workflows"},
    {"GetWorkflow", 0, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW, NULL, NULL},
};
#define REG_NWORK (sizeof(reg_workloads) / sizeof(reg_workloads[0]))

/* One workload's request, in both forms. */
struct reg_req {
	char method[96];
	Flyteidl__Admin__ResourceListRequest list;
	Flyteidl__Admin__NamedEntityIdentifier nid;
	Flyteidl__Admin__ObjectGetRequest get;
	Flyteidl__Core__Identifier id;
	char name[96], version[48];
	const ProtobufCMessage *msg;
	uint8_t *buf;
	size_t len;
};

/* ListX: project "bench", domain "development", limit 100, no filter
 * string and no sort_by (keeld's default: newest first).  GetX: row 0. */
static int reg_req_build(const struct reg_workload *w, struct reg_req *r)
{
	snprintf(r->method, sizeof(r->method), REG_ADMIN "%s", w->name);
	if (w->list) {
		flyteidl__admin__resource_list_request__init(&r->list);
		flyteidl__admin__named_entity_identifier__init(&r->nid);
		r->nid.project = (char *)reg_projects[0];
		r->nid.domain = (char *)reg_domains[0];
		r->list.id = &r->nid;
		r->list.limit = 100;
		r->msg = &r->list.base;
	} else {
		flyteidl__admin__object_get_request__init(&r->get);
		reg_get_id(&r->id, w->resource_type, r->name, sizeof(r->name),
		           r->version, sizeof(r->version));
		r->get.id = &r->id;
		r->msg = &r->get.base;
	}
	r->len = protobuf_c_message_get_packed_size(r->msg);
	r->buf = malloc(r->len + 1);
	if (r->buf == NULL)
		return -1;
	protobuf_c_message_pack(r->msg, r->buf);
	return 0;
}

/*
 * Ask keeld (over nng) once: NULL when the workload can be measured, with
 * the rows a list returned in *page; else why not, in why: the server
 * does not implement it, or the populated database has nothing for it
 * (populate writes tasks only).  1 in *failed when the call failed
 * otherwise.
 */
static const char *reg_check(struct keel_client *kc,
                             const struct reg_workload *w,
                             const struct reg_req *r, size_t *page,
                             char *why, size_t whylen, int *failed)
{
	struct keel_client_call_opts co = {.timeout_ms = 10000};
	struct keel_client_reply rep = {0};
	ProtobufCMessage *m;
	int rc;

	*failed = 0;
	*page = 0;
	rc = keel_client_call(kc, r->method, r->buf, r->len, &co, &rep);
	if (rc == 12 /* UNIMPLEMENTED */ || rc == 5 /* NOT_FOUND */) {
		snprintf(why, whylen, "%s: %s", keel_client_code_name(rc),
		         rep.message);
		goto skip;
	}
	if (rc != 0) {
		snprintf(why, whylen, "%s: %s: %s", w->name,
		         keel_client_code_name(rc), rep.message);
		*failed = 1;
		goto skip;
	}
	if (w->list) {
		const ProtobufCFieldDescriptor *fd =
		    protobuf_c_message_descriptor_get_field_by_name(
		        w->list_desc, w->list_field);
		size_t n = 0;
		m = protobuf_c_message_unpack(w->list_desc, NULL,
		                              rep.payload_len, rep.payload);
		if (m != NULL && fd != NULL)
			memcpy(&n, (const char *)m + fd->quantifier_offset,
			       sizeof(n));
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
		*page = n;
		if (n == 0) {
			snprintf(why, whylen,
			         "the list is empty (populate writes tasks "
			         "only)");
			goto skip;
		}
	}
	keel_client_reply_free(&rep);
	return NULL;
skip:
	keel_client_reply_free(&rep);
	return why;
}

/* One side of a comparison: its target and its rounds' figures. */
struct reg_leg {
	const struct driver *d;
	struct target t;
	long pid;
	double p50[MAX_ROUNDS], ops[MAX_ROUNDS];
	struct hist all;
	uint64_t nops;
	double secs, cpu, cpu_ops;
	int cpu_ok;
};

static int reg_run_leg(struct reg_leg *l, unsigned r, const struct opts *o,
                       struct round_res *res)
{
	if (run_round(l->d, &l->t, 1, o, l->pid, res) != 0)
		return -1;
	l->p50[r] = res->p50_us;
	l->ops[r] = res->ops_per_s;
	hist_merge(&l->all, &res->h);
	l->nops += res->ops;
	l->secs += res->secs;
	if (res->cpu_us >= 0) {
		l->cpu += res->cpu_us;
		l->cpu_ops += (double)res->ops;
	} else {
		l->cpu_ok = 0;
	}
	return 0;
}

/* c's figures: the product p from n rounds against the limit l. */
static void reg_fill(struct cell *c, const struct reg_leg *p,
                     const struct reg_leg *l, unsigned n)
{
	c->rounds = n;
	if (n == 0)
		return;
	c->latency = 1;
	c->limit_metric = "p50_us";
	c->ops = p->nops;
	c->secs = p->secs;
	c->ops_per_s = median(p->ops, n);
	c->p50_us = median(p->p50, n);
	c->p90_us = (double)hist_quantile(&p->all, 0.90) / 1000.0;
	c->p99_us = (double)hist_quantile(&p->all, 0.99) / 1000.0;
	c->p999_us = (double)hist_quantile(&p->all, 0.999) / 1000.0;
	if (p->cpu_ok && p->cpu_ops > 0)
		c->cpu_us_per_op = p->cpu / p->cpu_ops;
	c->limit_p50_us = c->limit_value = median(l->p50, n);
	c->limit_ops_per_s = median(l->ops, n);
	c->ratio = c->limit_value > 0 ? c->p50_us / c->limit_value : NAN;
	/* A round in which either side completed no op (a starved 0.2 s
	 * smoke window on a busy machine) has no ratio: it is left out of
	 * the range, and a cell with no such round says so. */
	{
		int any = 0;
		for (unsigned r = 0; r < n; r++) {
			double x;
			if (!(l->p50[r] > 0) || !(p->p50[r] > 0))
				continue;
			x = p->p50[r] / l->p50[r];
			if (!any || x < c->ratio_min)
				c->ratio_min = x;
			if (!any || x > c->ratio_max)
				c->ratio_max = x;
			any = 1;
		}
		if (!any)
			snprintf(c->error, sizeof(c->error), "%s",
			         "no round measured both sides");
	}
}

/* A door's endpoint into t; NULL, or why the door cannot be measured. */
static const char *reg_door(const char *door, const char *addr,
                            struct keel_client *kc, struct target *t,
                            const struct driver **d, char *err,
                            size_t errlen)
{
	if (addr == NULL) {
		snprintf(err, errlen, "no --%s endpoint given", door);
		return err;
	}
	if (strcmp(door, "nng") == 0) {
		*d = &driver_nng;
		snprintf(t->url, sizeof(t->url), "%s", addr);
		t->shared = kc;
		return NULL;
	}
	*d = &driver_grpc;
	return split_hostport(addr, t, err, errlen) == 0 ? NULL : err;
}

struct reg_env {
	const struct opts *o;
	struct keel_client *kc, *base_kc;
};

/*
 * The two cells of workload w over door: R rounds, each running the
 * small keeld, the big one and the floor, in alternating order so drift
 * falls on both sides alike.
 */
static int reg_cells(struct reg_env *e, const struct reg_workload *w,
                     const struct reg_req *r, const char *door,
                     const struct floor *fl, const char *skip,
                     const size_t page[2])
{
	const struct opts *o = e->o;
	struct cell *sc = cell_new(w->name, door, 1);
	struct cell *fc = cell_new(w->name, door, 1);
	struct reg_leg *big = NULL, *base = NULL, *fleg = NULL, *dleg = NULL;
	static const uint8_t empty[1];
	struct round_res *res = NULL;
	const char *why;
	char err[CELL_ERRLEN];
	unsigned n = 0;

	if (sc == NULL || fc == NULL)
		return -1;
	sc->compare = "size";
	fc->compare = "floor";
	sc->rows = fc->rows = o->rows;
	sc->limit_rows = o->base_rows;
	sc->limit = "base-keeld";
	fc->limit = "sqlite-floor";
	if (w->list)
		sc->goal = "<=1.5", sc->goal_value = 1.5;
	else
		fc->goal = "<=100", fc->goal_value = REG_FLOOR_GOAL_US,
		fc->goal_on = "server_diff_us";
	if (skip != NULL) {
		sc->skipped = fc->skipped = skip;
		goto print;
	}
	big = calloc(1, sizeof(*big));
	base = calloc(1, sizeof(*base));
	fleg = calloc(1, sizeof(*fleg));
	dleg = calloc(1, sizeof(*dleg));
	res = malloc(sizeof(*res));
	if (big == NULL || base == NULL || fleg == NULL || dleg == NULL ||
	    res == NULL) {
		snprintf(sc->error, sizeof(sc->error), "out of memory");
		goto done;
	}
	why = reg_door(door, strcmp(door, "nng") == 0 ? o->nng_url
	                                               : o->grpc_addr,
	               e->kc, &big->t, &big->d, err, sizeof(err));
	if (why == NULL)
		why = reg_door(door,
		               strcmp(door, "nng") == 0 ? o->base_nng_url
		                                        : o->base_grpc_addr,
		               e->base_kc, &base->t, &base->d, err,
		               sizeof(err));
	if (why != NULL) {
		snprintf(sc->error, sizeof(sc->error), "%s", why);
		goto done;
	}
	/* A smaller page is a cheaper request, not a smaller table. */
	if (page[0] != page[1])
		snprintf(sc->error, sizeof(sc->error),
		         "the pages differ: %zu rows against %zu; the small "
		         "database needs %zu tasks per project/domain",
		         page[0], page[1], page[0]);
	big->t.method = base->t.method = r->method;
	big->t.req = base->t.req = r->buf;
	big->t.req_len = base->t.req_len = r->len;
	big->pid = o->server_pid;
	base->pid = o->base_pid;
	big->cpu_ok = o->server_pid > 0;
	base->cpu_ok = o->base_pid > 0;
	fleg->d = &driver_floor;
	fleg->t.floor = fl;
	/* For a Get, the door's bare round trip on the big keeld: what
	 * any call costs before keeld does the request's work. */
	*dleg = *big;
	dleg->t.method = "/flyteidl.service.AdminService/GetVersion";
	dleg->t.req = empty;
	dleg->t.req_len = 0;
	dleg->cpu_ok = 0;
	dleg->pid = 0;
	fprintf(stderr, "fabench: registry %s %s ...\n", door, w->name);
	for (n = 0; n < o->rounds; n++) {
		struct reg_leg *order[4] = {base, big, fleg, NULL};
		if (n % 2) {
			order[0] = fleg;
			order[2] = base;
		}
		for (int k = 0; k < 4; k++) {
			if (k == 3 && (w->list || fl == NULL))
				break;
			if (k == 3)
				order[k] = dleg;
			if (order[k] == fleg && fl == NULL)
				continue;
			if (reg_run_leg(order[k], n, o, res) != 0) {
				snprintf(sc->error, sizeof(sc->error),
				         "%s: %s",
				         order[k] == fleg   ? "sqlite-floor"
				         : order[k] == base ? "base keeld"
				         : order[k] == dleg ? "GetVersion baseline"
				                            : "keeld",
				         res->err);
				goto done;
			}
		}
	}
done:
	reg_fill(sc, big, base, n);
	if (fl != NULL) {
		fc->floor_sql = floor_sql(fl, 0);
		fc->floor_stmts = (unsigned)floor_nstmts(fl);
		reg_fill(fc, big, fleg, n);
		fc->floor_diff_us = fc->p50_us - fc->limit_p50_us;
		if (!w->list && n > 0) {
			fc->door_p50_us = median(dleg->p50, n);
			fc->server_diff_us = fc->floor_diff_us - fc->door_p50_us;
		}
	}
	if (strncmp(sc->error, "the pages differ", 16) != 0)
		memcpy(fc->error, sc->error, sizeof(fc->error));
	if (fl == NULL && fc->error[0] == '\0')
		snprintf(fc->error, sizeof(fc->error),
		         "no floor: its SQL was not captured");
	if (sc->goal != NULL && sc->error[0] == '\0' && n > 0)
		sc->pass = sc->ratio <= sc->goal_value;
	/* keeld's own part: the request's p50 less the door's round trip
	 * and less the floor of its SQL. */
	if (fc->goal != NULL && fc->error[0] == '\0' && n > 0)
		fc->pass = fc->server_diff_us <= fc->goal_value;
	free(big);
	free(base);
	free(fleg);
	free(dleg);
	free(res);
print:
	cell_print_json(stdout, sc);
	cell_print_json(stdout, fc);
	return sc->error[0] || fc->error[0] ? -1 : 0;
}

static void reg_print_table(FILE *f)
{
	struct cell_txt t;

	fprintf(f,
	        "\n%-5s %-13s %-5s %8s %9s %9s %9s  %-12s %8s %8s %-17s "
	        "%8s %-6s %s\n",
	        "door", "workload", "vs", "rows", "p50_us", "p99_us",
	        "srv_us/op", "limit", "limit_us", "ratio", "[min..max]",
	        "diff_us", "goal", "pass");
	for (unsigned i = 0; i < ncells; i++) {
		const struct cell *c = &cells[i];
		char what[48];
		if (c->compare == NULL)
			continue;
		if (c->skipped != NULL) {
			fprintf(f, "%-5s %-13s %-5s  skipped: %s\n",
			        c->transport, c->workload, c->compare,
			        c->skipped);
			continue;
		}
		cell_format(c, &t);
		if (c->limit_rows > 0)
			snprintf(what, sizeof(what), "%llu rows",
			         (unsigned long long)c->limit_rows);
		else
			snprintf(what, sizeof(what), "%s",
			         c->limit ? c->limit : "-");
		fprintf(f,
		        "%-5s %-13s %-5s %8llu %9s %9s %9s  %-12s %8s %8s "
		        "%-17s %8s %-6s %s\n",
		        c->transport, c->workload, c->compare,
		        (unsigned long long)c->rows, t.p50, t.p99, t.cpu, what,
		        t.limit, t.ratio, t.range, t.diff, t.goal, t.pass);
		if (c->error[0])
			fprintf(f, "      error: %s\n", c->error);
	}
	fputs("\nsize: p50 on the big database / p50 on the small one "
	      "(goal on ListX <= 1.5).\nfloor: the same request against its "
	      "own SQL run directly with SQLite in fabench;\ndiff_us = p50 - "
	      "floor p50, including the door's round trip (goal on GetX "
	      "<= 100).\n",
	      f);
}

int cmd_registry(const struct opts *o)
{
	static const char *const doors[] = {"grpc", "nng"};
	struct inproc_db_opts dbo = {0};
	struct reg_env e = {.o = o};
	struct reg_req *reqs = NULL;
	struct floor *floors[REG_NWORK] = {0};
	const char *skip[REG_NWORK] = {0};
	size_t page[REG_NWORK][2];
	char whys[REG_NWORK][RES_ERRLEN], err[ERRLEN], db[1024];
	struct inproc *ip = NULL;
	int bad = 0, failed;

	if (o->nng_url == NULL || o->base_nng_url == NULL ||
	    o->data_dir == NULL || o->plugin_dir == NULL) {
		fprintf(stderr, "fabench: registry needs --nng, --base-nng, "
		                "--data-dir and --plugin-dir\n");
		return 64;
	}
	reqs = calloc(REG_NWORK, sizeof(*reqs));
	if (reqs == NULL)
		return 70;
	if (keel_client_open(o->nng_url, &e.kc, err, sizeof(err)) != 0 ||
	    keel_client_open(o->base_nng_url, &e.base_kc, err, sizeof(err)) !=
	        0) {
		fprintf(stderr, "fabench: %s\n", err);
		bad = 69;
		goto out;
	}
	/* The trace goes on before the core opens its first connection. */
	snprintf(db, sizeof(db), "%s/keel.db", o->data_dir);
	if (floor_setup(err, sizeof(err)) != 0 ||
	    inproc_open(o->data_dir, o->plugin_dir, &dbo, &ip, err,
	                sizeof(err)) != 0)
		fprintf(stderr, "fabench: registry: no floor: %s\n", err);
	for (size_t i = 0; i < REG_NWORK; i++) {
		const struct reg_workload *w = &reg_workloads[i];
		if (reg_req_build(w, &reqs[i]) != 0) {
			bad = 70;
			goto out;
		}
		skip[i] = reg_check(e.kc, w, &reqs[i], &page[i][0], whys[i],
		                    sizeof(whys[i]), &failed);
		if (skip[i] == NULL)
			skip[i] = reg_check(e.base_kc, w, &reqs[i], &page[i][1],
			                    whys[i], sizeof(whys[i]), &failed);
		if (failed) {
			fprintf(stderr, "fabench: registry: %s\n", skip[i]);
			bad = 1;
		}
		if (skip[i] == NULL && ip != NULL &&
		    floor_capture(ip, db, reqs[i].method, reqs[i].msg,
		                  &floors[i], err, sizeof(err)) != 0)
			fprintf(stderr, "fabench: registry: %s\n", err);
	}
	/* The floor has what it needs: nothing of the core stays open. */
	inproc_close(ip);
	ip = NULL;
	for (size_t i = 0; i < REG_NWORK; i++) {
		for (size_t d = 0; d < 2; d++) {
			const char *ds = skip[i];
			if (ds == NULL && d == 0 &&
			    (o->grpc_addr == NULL || o->base_grpc_addr == NULL))
				ds = "no --grpc and --base-grpc endpoints given";
			if (reg_cells(&e, &reg_workloads[i], &reqs[i], doors[d],
			              floors[i], ds, page[i]) != 0)
				bad = 1;
		}
	}
	fflush(stdout);
	if (o->table)
		reg_print_table(o->table == 2 ? stdout : stderr);
out:
	inproc_close(ip);
	for (size_t i = 0; i < REG_NWORK; i++) {
		floor_free(floors[i]);
		if (reqs != NULL)
			free(reqs[i].buf);
	}
	free(reqs);
	keel_client_close(e.kc);
	keel_client_close(e.base_kc);
	return bad;
}
