/*
 * task_test.c -- CreateTask, GetTask, ListTasks and ListTaskIds through
 * the method table over the real SQLite plugin: Flyte Admin's rules for
 * identifiers, projects, templates and resources, the idempotency of
 * re-registration, and paging that stays correct while rows arrive.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/description_entity.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "db.h"
#include "repo_description.h"
#include "repo_entity.h"
#include "repo_ver.h"
#include "rpc.h"
#include "svc.h"
#include "tap.h"
#include "task_resources.h"
#include "testdb.h"

#define ADMIN "/flyteidl.service.AdminService/"

static struct svc svc;
static struct arena *arena;

static int call(const char *method, const ProtobufCMessage *msg,
                const ProtobufCMessageDescriptor *out_desc, void **out,
                const char **message)
{
	return testdb_call(&svc, arena, method, msg, out_desc, out, message);
}

static int project(const char *id, int archived)
{
	Flyteidl__Admin__ProjectRegisterRequest r =
	    FLYTEIDL__ADMIN__PROJECT_REGISTER_REQUEST__INIT;
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
	Flyteidl__Admin__ProjectUpdateResponse *u;
	const char *m;
	int code;

	p.id = (char *)id;
	p.name = (char *)id;
	r.project = &p;
	code = call(ADMIN "RegisterProject", &r.base, NULL, NULL, &m);
	if (code == 0 && archived) {
		p.state = FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ARCHIVED;
		code = call(ADMIN "UpdateProject", &p.base, NULL, (void **)&u,
		            &m);
	}
	return code;
}

struct spec {
	const char *project, *domain, *name, *version;
	int resource_type;
	const char *type, *image;
	const char *cpu_req, *cpu_lim;
	int no_interface, no_metadata;
	const char *short_desc;
};

static int create(const struct spec *s, const char **m)
{
	Flyteidl__Admin__TaskCreateRequest r =
	    FLYTEIDL__ADMIN__TASK_CREATE_REQUEST__INIT;
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	Flyteidl__Admin__TaskSpec spec = FLYTEIDL__ADMIN__TASK_SPEC__INIT;
	Flyteidl__Core__TaskTemplate t = FLYTEIDL__CORE__TASK_TEMPLATE__INIT;
	Flyteidl__Core__TaskMetadata md = FLYTEIDL__CORE__TASK_METADATA__INIT;
	Flyteidl__Core__TypedInterface ti =
	    FLYTEIDL__CORE__TYPED_INTERFACE__INIT;
	Flyteidl__Core__Container ct = FLYTEIDL__CORE__CONTAINER__INIT;
	Flyteidl__Core__Resources res = FLYTEIDL__CORE__RESOURCES__INIT;
	Flyteidl__Core__Resources__ResourceEntry req =
	    FLYTEIDL__CORE__RESOURCES__RESOURCE_ENTRY__INIT;
	Flyteidl__Core__Resources__ResourceEntry lim =
	    FLYTEIDL__CORE__RESOURCES__RESOURCE_ENTRY__INIT;
	Flyteidl__Core__Resources__ResourceEntry *reqv[1] = {&req};
	Flyteidl__Core__Resources__ResourceEntry *limv[1] = {&lim};
	Flyteidl__Admin__DescriptionEntity de =
	    FLYTEIDL__ADMIN__DESCRIPTION_ENTITY__INIT;
	char *args[2] = {(char *)"pyflyte-execute", (char *)"--inputs"};

	id.resource_type = s->resource_type ? s->resource_type
	                                    : FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
	id.project = (char *)(s->project ? s->project : "flytesnacks");
	id.domain = (char *)(s->domain ? s->domain : "development");
	id.name = (char *)s->name;
	id.version = (char *)s->version;
	r.id = &id;
	t.type = (char *)(s->type ? s->type : "python-task");
	if (!s->no_metadata)
		t.metadata = &md;
	if (!s->no_interface)
		t.interface = &ti;
	ct.image = (char *)(s->image ? s->image : "ghcr.io/flyteorg/demo:1");
	ct.args = args;
	ct.n_args = 2;
	if (s->cpu_req || s->cpu_lim) {
		req.name = FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU;
		req.value = (char *)(s->cpu_req ? s->cpu_req : "");
		lim.name = FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU;
		lim.value = (char *)(s->cpu_lim ? s->cpu_lim : "");
		if (s->cpu_req) {
			res.requests = reqv;
			res.n_requests = 1;
		}
		if (s->cpu_lim) {
			res.limits = limv;
			res.n_limits = 1;
		}
		ct.resources = &res;
	}
	t.target_case = FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER;
	t.container = &ct;
	spec.template_ = &t;
	if (s->short_desc) {
		de.short_description = (char *)s->short_desc;
		spec.description = &de;
	}
	r.spec = &spec;
	return call(ADMIN "CreateTask", &r.base, NULL, NULL, m);
}

static Flyteidl__Admin__Task *get(const char *name, const char *version,
                                  int *code, const char **m)
{
	Flyteidl__Admin__ObjectGetRequest r =
	    FLYTEIDL__ADMIN__OBJECT_GET_REQUEST__INIT;
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	Flyteidl__Admin__Task *t = NULL;

	id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
	id.project = (char *)"flytesnacks";
	id.domain = (char *)"development";
	id.name = (char *)name;
	id.version = (char *)version;
	r.id = &id;
	*code = call(ADMIN "GetTask", &r.base, &flyteidl__admin__task__descriptor,
	             (void **)&t, m);
	return t;
}

static Flyteidl__Admin__TaskList *list(const char *name, uint32_t limit,
                                       const char *token, const char *filters,
                                       const char *sort, int asc, int *code,
                                       const char **m)
{
	Flyteidl__Admin__ResourceListRequest r =
	    FLYTEIDL__ADMIN__RESOURCE_LIST_REQUEST__INIT;
	Flyteidl__Admin__NamedEntityIdentifier id =
	    FLYTEIDL__ADMIN__NAMED_ENTITY_IDENTIFIER__INIT;
	Flyteidl__Admin__Sort s = FLYTEIDL__ADMIN__SORT__INIT;
	Flyteidl__Admin__TaskList *out = NULL;

	id.project = (char *)"flytesnacks";
	id.domain = (char *)"development";
	id.name = (char *)(name ? name : "");
	r.id = &id;
	r.limit = limit;
	r.token = (char *)(token ? token : "");
	r.filters = (char *)(filters ? filters : "");
	if (sort) {
		s.key = (char *)sort;
		s.direction = asc ? FLYTEIDL__ADMIN__SORT__DIRECTION__ASCENDING
		                  : FLYTEIDL__ADMIN__SORT__DIRECTION__DESCENDING;
		r.sort_by = &s;
	}
	*code = call(ADMIN "ListTasks", &r.base,
	             &flyteidl__admin__task_list__descriptor, (void **)&out, m);
	return out;
}

/* The query uses an index and sorts nothing in a temporary b-tree. */
static void check_plan(struct db *db, const char *what, const char *sql,
                       const struct keel_db_val *args, size_t nargs)
{
	char plan[2048];
	struct keel_err err = {0};
	int rc = testdb_explain(db, sql, args, nargs, plan, sizeof(plan), &err);

	TAP_EQ_INT(rc, 0, "%s: EXPLAIN QUERY PLAN runs: %s", what, err.msg);
	TAP_OK(strstr(plan, "USING INDEX") || strstr(plan, "USING COVERING"),
	       "%s uses an index (%s)", what, plan);
	TAP_OK(!strstr(plan, "TEMP B-TREE"), "%s sorts nothing (%s)", what,
	       plan);
}

int main(void)
{
	struct testdb t;
	struct task_resource_limits lim;
	char err[1024] = "";
	const char *m;
	int code;

	if (testdb_open(&t, 4, err, sizeof(err)) != 0)
		return tap_skip_all(err);
	arena = arena_new(0);
	svc.db = t.db;
	svc.max_page_size = 1000;
	task_resources_defaults(&lim);
	svc.task_limits = &lim;
	{
		static struct svc_domain doms[2] = {
		    {(char *)"development", (char *)"development"},
		    {(char *)"production", (char *)"production"}};
		svc.domains = doms;
		svc.ndomains = 2;
	}
	TAP_EQ_INT(rpc_init(), 0, "method table built");
	TAP_EQ_INT(project("flytesnacks", 0), 0, "project flytesnacks");
	TAP_EQ_INT(project("attic", 1), 0, "archived project attic");

	/* --- registration ---------------------------------------------- */
	code = create(&(struct spec){.name = "wf.hello", .version = "v1",
	                             .short_desc = "says hello"},
	              &m);
	TAP_EQ_INT(code, 0, "CreateTask: %s", m);
	code = create(&(struct spec){.name = "wf.hello", .version = "v1",
	                             .short_desc = "says hello"},
	              &m);
	TAP_EQ_INT(code, RPC_ALREADY_EXISTS, "identical re-registration");
	TAP_HAS_STR(m, "task with identical structure already exists",
	            "Flyte Admin's message");
	code = create(&(struct spec){.name = "wf.hello", .version = "v1",
	                             .image = "ghcr.io/flyteorg/demo:2"},
	              &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "different content under the same version");
	TAP_HAS_STR(m, "wf.hello task with different structure already exists",
	            "says so");
	TAP_HAS_STR(m, "image", "and names the first differing field");

	code = create(&(struct spec){.name = "x", .version = "v1",
	                             .resource_type =
	                                 FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW},
	              &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "wrong resource type");
	TAP_HAS_STR(m, "unexpected resource type WORKFLOW", "named");
	code = create(&(struct spec){.name = "x", .version = ""}, &m);
	TAP_HAS_STR(m, "missing version", "missing version");
	code = create(&(struct spec){.name = "", .version = "v1"}, &m);
	TAP_HAS_STR(m, "missing name", "missing name");
	code = create(&(struct spec){.project = "nope", .name = "x",
	                             .version = "v1"},
	              &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "unknown project");
	TAP_HAS_STR(m, "failed to validate that project [nope] and domain "
	               "[development] are registered",
	            "Flyte Admin's message");
	code = create(&(struct spec){.domain = "staging", .name = "x",
	                             .version = "v1"},
	              &m);
	TAP_HAS_STR(m, "domain [staging]", "unconfigured domain");
	code = create(&(struct spec){.project = "attic", .name = "x",
	                             .version = "v1"},
	              &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "archived project");
	TAP_HAS_STR(m, "project [attic] is not active", "says so");
	code = create(&(struct spec){.name = "x", .version = "v1",
	                             .no_interface = 1},
	              &m);
	TAP_HAS_STR(m, "missing typed interface", "interface required");
	code = create(&(struct spec){.name = "x", .version = "v1",
	                             .no_metadata = 1},
	              &m);
	TAP_HAS_STR(m, "missing metadata", "metadata required");
	code = create(&(struct spec){.name = "x", .version = "v1", .image = ""},
	              &m);
	TAP_HAS_STR(m, "missing image", "image required");
	code = create(&(struct spec){.name = "x", .version = "v1",
	                             .cpu_req = "4"},
	              &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "cpu=4 over the stock platform limit of 2");
	TAP_HAS_STR(m, "CPU", "names the resource");
	code = create(&(struct spec){.name = "x", .version = "v1",
	                             .cpu_req = "1", .cpu_lim = "500m"},
	              &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "request above limit (%s)", m);
	code = create(&(struct spec){.name = "x", .version = "v1",
	                             .cpu_req = "500m", .cpu_lim = "2"},
	              &m);
	TAP_EQ_INT(code, 0, "request 500m, limit 2: %s", m);
	svc.task_types = "python-task, sql-task";
	code = create(&(struct spec){.name = "y", .version = "v1",
	                             .type = "spark"},
	              &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "task type not allowed");
	TAP_HAS_STR(m, "[spark]", "names the type");
	svc.task_types = NULL;
	/* Flyte Admin's task_type_whitelist: spark only in flytesnacks'
	 * production and anywhere in project ml; other types anywhere. */
	svc.task_type_scopes = "spark = flytesnacks/production; ml, sql=x";
	code = create(&(struct spec){.name = "sp", .version = "v1",
	                             .type = "spark"},
	              &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT,
	           "a scoped type outside its scopes");
	TAP_HAS_STR(m, "must be whitelisted", "Flyte Admin's words");
	code = create(&(struct spec){.name = "sp", .version = "v1",
	                             .type = "spark", .domain = "production"},
	              &m);
	TAP_EQ_INT(code, 0, "the scoped type in its project/domain: %s", m);
	code = create(&(struct spec){.name = "sp2", .version = "v1",
	                             .domain = "production"},
	              &m);
	TAP_EQ_INT(code, 0, "an unlisted type anywhere: %s", m);
	TAP_EQ_INT(svc_type_scope_allowed("spark=ml", "spark", "ml", "any",
	                                  err, sizeof(err)),
	           1, "a project scope covers every domain");
	TAP_EQ_INT(svc_type_scope_allowed("spark", NULL, NULL, NULL, err,
	                                  sizeof(err)),
	           -1, "a malformed list is refused");
	TAP_HAS_STR(err, "type=project", "saying what is expected");
	TAP_EQ_INT(svc_type_scope_allowed("spark=ml;", NULL, NULL, NULL, err,
	                                  sizeof(err)),
	           -1, "an empty scope is refused");
	svc.task_type_scopes = NULL;

	/* --- GetTask ------------------------------------------------------ */
	{
		Flyteidl__Admin__Task *tk = get("wf.hello", "v1", &code, &m);
		TAP_EQ_INT(code, 0, "GetTask: %s", m);
		TAP_OK(tk && tk->closure && tk->closure->compiled_task &&
		           tk->closure->compiled_task->template_ &&
		           tk->closure->compiled_task->template_->id &&
		           strcmp(tk->closure->compiled_task->template_->id
		                      ->version,
		                  "v1") == 0,
		       "the compiled template carries the request's id");
		TAP_OK(tk && tk->closure && tk->closure->created_at &&
		           tk->closure->created_at->seconds > 1700000000,
		       "created_at is set");
		TAP_EQ_STR(tk && tk->short_description ? tk->short_description
		                                       : "",
		           "says hello", "short description from the spec");
		get("wf.hello", "v9", &code, &m);
		TAP_EQ_INT(code, RPC_NOT_FOUND, "unknown version: NOT_FOUND");
	}

	/* --- ListTasks ---------------------------------------------------- */
	for (int i = 2; i <= 5; i++) {
		char v[8];
		snprintf(v, sizeof(v), "v%d", i);
		create(&(struct spec){.name = "wf.hello", .version = v}, &m);
	}
	create(&(struct spec){.name = "wf.bye", .version = "v1"}, &m);
	{
		Flyteidl__Admin__TaskList *l;
		const char *tok = NULL;
		int seen = 0, pages = 0, dup = 0;
		char names[16][32];

		l = list(NULL, 0, NULL, NULL, NULL, 0, &code, &m);
		TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "limit 0");
		TAP_HAS_STR(m, "invalid value for limit", "Flyte's message");
		do {
			l = list(NULL, 2, tok, NULL, NULL, 0, &code, &m);
			if (code != 0 || l == NULL)
				break;
			for (size_t i = 0; i < l->n_tasks && seen < 16; i++) {
				snprintf(names[seen], sizeof(names[seen]),
				         "%s/%s", l->tasks[i]->id->name,
				         l->tasks[i]->id->version);
				for (int k = 0; k < seen; k++)
					dup += strcmp(names[k], names[seen]) == 0;
				seen++;
			}
			tok = l->token && l->token[0] ? l->token : NULL;
			/* A row arriving mid-listing must not shift pages. */
			if (pages++ == 0)
				create(&(struct spec){.name = "wf.late",
				                      .version = "v1"},
				       &m);
		} while (tok != NULL && pages < 10);
		TAP_EQ_INT(code, 0, "paged listing: %s", m);
		TAP_EQ_INT(seen, 7, "every task version once over %d pages",
		           pages);
		TAP_EQ_INT(dup, 0, "no duplicates");
		TAP_EQ_STR(seen > 0 ? names[0] : "", "wf.bye/v1",
		           "newest first by default");
		l = list("wf.hello", 100, NULL, NULL, "version", 1, &code, &m);
		TAP_OK(code == 0 && l && l->n_tasks == 5 &&
		           strcmp(l->tasks[0]->id->version, "v1") == 0,
		       "one name, sorted by version ascending");
		l = list(NULL, 100, NULL, "eq(version,v3)", NULL, 0, &code, &m);
		TAP_OK(code == 0 && l && l->n_tasks == 1, "filter eq(version,v3)");
		list(NULL, 100, NULL, "eq(image,x)", NULL, 0, &code, &m);
		TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "unknown filter field");
		TAP_HAS_STR(m, "image", "names it");
		list(NULL, 100, NULL, NULL, "closure", 0, &code, &m);
		TAP_HAS_STR(m, "invalid sort key 'closure'", "bad sort key");
		list(NULL, 2, "nonsense", NULL, NULL, 0, &code, &m);
		TAP_HAS_STR(m, "invalid pagination token nonsense for ListTasks",
		            "bad token");
	}

	/* --- ListTaskIds ---------------------------------------------------- */
	{
		Flyteidl__Admin__NamedEntityIdentifierListRequest r =
		    FLYTEIDL__ADMIN__NAMED_ENTITY_IDENTIFIER_LIST_REQUEST__INIT;
		Flyteidl__Admin__NamedEntityIdentifierList *l = NULL;
		r.project = (char *)"flytesnacks";
		r.domain = (char *)"development";
		r.limit = 2;
		code = call(ADMIN "ListTaskIds", &r.base,
		            &flyteidl__admin__named_entity_identifier_list__descriptor,
		            (void **)&l, &m);
		TAP_OK(code == 0 && l && l->n_entities == 2 &&
		           strcmp(l->entities[0]->name, "wf.bye") == 0 &&
		           strcmp(l->entities[1]->name, "wf.hello") == 0 &&
		           l->token[0] != '\0',
		       "first page of names, in name order, with a token");
		r.token = l ? l->token : (char *)"";
		code = call(ADMIN "ListTaskIds", &r.base,
		            &flyteidl__admin__named_entity_identifier_list__descriptor,
		            (void **)&l, &m);
		TAP_OK(code == 0 && l && l->n_entities == 2 &&
		           strcmp(l->entities[0]->name, "wf.late") == 0 &&
		           strcmp(l->entities[1]->name, "x") == 0 &&
		           l->token[0] == '\0',
		       "second page: the rest, no token");
	}

	/* --- named entities -------------------------------------------------- */
	create(&(struct spec){.name = ".flytegen.wf.hello", .version = "v1"}, &m);
	{
		Flyteidl__Admin__NamedEntityGetRequest g =
		    FLYTEIDL__ADMIN__NAMED_ENTITY_GET_REQUEST__INIT;
		Flyteidl__Admin__NamedEntityUpdateRequest u =
		    FLYTEIDL__ADMIN__NAMED_ENTITY_UPDATE_REQUEST__INIT;
		Flyteidl__Admin__NamedEntityListRequest l =
		    FLYTEIDL__ADMIN__NAMED_ENTITY_LIST_REQUEST__INIT;
		Flyteidl__Admin__NamedEntityIdentifier id =
		    FLYTEIDL__ADMIN__NAMED_ENTITY_IDENTIFIER__INIT;
		Flyteidl__Admin__NamedEntityMetadata md =
		    FLYTEIDL__ADMIN__NAMED_ENTITY_METADATA__INIT;
		Flyteidl__Admin__NamedEntity *ne = NULL;
		Flyteidl__Admin__NamedEntityList *nl = NULL;
		void *ur;

		id.project = (char *)"flytesnacks";
		id.domain = (char *)"development";
		id.name = (char *)"wf.hello";
		g.id = &id;
		code = call(ADMIN "GetNamedEntity", &g.base,
		            &flyteidl__admin__named_entity__descriptor,
		            (void **)&ne, &m);
		TAP_HAS_STR(m, "missing resource_type", "resource type required");
		g.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
		code = call(ADMIN "GetNamedEntity", &g.base,
		            &flyteidl__admin__named_entity__descriptor,
		            (void **)&ne, &m);
		TAP_OK(code == 0 && ne && ne->metadata &&
		           ne->metadata->state ==
		               FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__NAMED_ENTITY_ACTIVE,
		       "GetNamedEntity: a task without metadata is ACTIVE (%s)",
		       m);
		id.name = (char *)"nope";
		code = call(ADMIN "GetNamedEntity", &g.base, NULL, NULL, &m);
		TAP_EQ_INT(code, RPC_NOT_FOUND, "a name without versions");
		u.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
		u.id = &id;
		u.metadata = &md;
		md.description = (char *)"archived for good";
		md.state = FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__NAMED_ENTITY_ARCHIVED;
		code = call(ADMIN "UpdateNamedEntity", &u.base, NULL, NULL, &m);
		TAP_EQ_INT(code, RPC_NOT_FOUND, "update of a name without "
		                                "versions: NOT_FOUND");
		id.name = (char *)"x";
		code = call(ADMIN "UpdateNamedEntity", &u.base,
		            &flyteidl__admin__named_entity_update_response__descriptor,
		            &ur, &m);
		TAP_EQ_INT(code, 0, "archive task x: %s", m);
		code = call(ADMIN "UpdateNamedEntity", &u.base, NULL, NULL, &m);
		TAP_EQ_INT(code, 0, "the same update again: %s", m);
		code = call(ADMIN "GetNamedEntity", &g.base,
		            &flyteidl__admin__named_entity__descriptor,
		            (void **)&ne, &m);
		TAP_OK(code == 0 && ne && ne->metadata &&
		           ne->metadata->state ==
		               FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__NAMED_ENTITY_ARCHIVED &&
		           strcmp(ne->metadata->description,
		                  "archived for good") == 0,
		       "the metadata is stored");

		l.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
		l.project = (char *)"flytesnacks";
		l.domain = (char *)"development";
		l.limit = 100;
		code = call(ADMIN "ListNamedEntities", &l.base,
		            &flyteidl__admin__named_entity_list__descriptor,
		            (void **)&nl, &m);
		TAP_OK(code == 0 && nl && nl->n_entities == 4 &&
		           strcmp(nl->entities[0]->id->name, "wf.bye") == 0,
		       "ListNamedEntities: four names, .flytegen hidden (%s)",
		       m);
		l.filters = (char *)"eq(state,0)";
		code = call(ADMIN "ListNamedEntities", &l.base,
		            &flyteidl__admin__named_entity_list__descriptor,
		            (void **)&nl, &m);
		TAP_OK(code == 0 && nl && nl->n_entities == 4,
		       "state filter: active ones, .flytegen shown (%s, %zu)", m,
		       nl ? nl->n_entities : 0);
		l.filters = (char *)"eq(named_entity_metadata.state,1)";
		code = call(ADMIN "ListNamedEntities", &l.base,
		            &flyteidl__admin__named_entity_list__descriptor,
		            (void **)&nl, &m);
		TAP_OK(code == 0 && nl && nl->n_entities == 1 &&
		           strcmp(nl->entities[0]->id->name, "x") == 0,
		       "archived ones by metadata state (%s)", m);
		l.filters = (char *)"eq(version,v1)";
		code = call(ADMIN "ListNamedEntities", &l.base, NULL, NULL, &m);
		TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "unknown filter field");
		l.filters = (char *)"";
		l.limit = 3;
		code = call(ADMIN "ListNamedEntities", &l.base,
		            &flyteidl__admin__named_entity_list__descriptor,
		            (void **)&nl, &m);
		TAP_OK(code == 0 && nl && nl->n_entities == 3 &&
		           nl->token[0] != '\0',
		       "a page of three with a token");
		l.token = nl ? nl->token : (char *)"";
		code = call(ADMIN "ListNamedEntities", &l.base,
		            &flyteidl__admin__named_entity_list__descriptor,
		            (void **)&nl, &m);
		TAP_OK(code == 0 && nl && nl->n_entities == 1 &&
		           strcmp(nl->entities[0]->id->name, "x") == 0 &&
		           nl->token[0] == '\0',
		       "and the last one");
		l.token = (char *)"";
		l.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW;
		code = call(ADMIN "ListNamedEntities", &l.base,
		            &flyteidl__admin__named_entity_list__descriptor,
		            (void **)&nl, &m);
		TAP_OK(code == 0 && nl && nl->n_entities == 0,
		       "no workflows can exist yet: empty list");
	}

	/* --- description entities ------------------------------------------- */
	{
		Flyteidl__Admin__ObjectGetRequest g =
		    FLYTEIDL__ADMIN__OBJECT_GET_REQUEST__INIT;
		Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
		Flyteidl__Admin__DescriptionEntityListRequest l =
		    FLYTEIDL__ADMIN__DESCRIPTION_ENTITY_LIST_REQUEST__INIT;
		Flyteidl__Admin__NamedEntityIdentifier nid =
		    FLYTEIDL__ADMIN__NAMED_ENTITY_IDENTIFIER__INIT;
		Flyteidl__Admin__DescriptionEntity *d = NULL;
		Flyteidl__Admin__DescriptionEntityList *dl = NULL;

		id.project = (char *)"flytesnacks";
		id.domain = (char *)"development";
		id.name = (char *)"wf.hello";
		id.version = (char *)"v1";
		g.id = &id;
		code = call(ADMIN "GetDescriptionEntity", &g.base, NULL, NULL, &m);
		TAP_HAS_STR(m, "missing resource_type", "resource type required");
		id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
		code = call(ADMIN "GetDescriptionEntity", &g.base,
		            &flyteidl__admin__description_entity__descriptor,
		            (void **)&d, &m);
		TAP_OK(code == 0 && d && d->id &&
		           strcmp(d->short_description, "says hello") == 0 &&
		           strcmp(d->id->version, "v1") == 0,
		       "GetDescriptionEntity: the description registered with "
		       "the task (%s)",
		       m);
		id.version = (char *)"v2";
		code = call(ADMIN "GetDescriptionEntity", &g.base, NULL, NULL, &m);
		TAP_EQ_INT(code, RPC_NOT_FOUND, "a version without a description");
		l.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
		nid.project = (char *)"flytesnacks";
		nid.domain = (char *)"development";
		l.id = &nid;
		l.limit = 10;
		code = call(ADMIN "ListDescriptionEntities", &l.base,
		            &flyteidl__admin__description_entity_list__descriptor,
		            (void **)&dl, &m);
		TAP_OK(code == 0 && dl && dl->n_descriptionentities == 1 &&
		           strcmp(dl->descriptionentities[0]->id->name,
		                  "wf.hello") == 0,
		       "ListDescriptionEntities without a name lists the "
		       "project/domain (%s)",
		       m);
		l.filters = (char *)"eq(image,x)";
		code = call(ADMIN "ListDescriptionEntities", &l.base, NULL, NULL,
		            &m);
		TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "unknown filter field");
	}

	/* --- query plans (SQLite) ---------------------------------------- */
	if (strcmp(db_dialect(t.db), "sqlite") == 0) {
		struct repo_ver_query q = {.project = "p", .domain = "d",
		                            .limit = 100, .sort_col = "created_at",
		                            .offset = -1};
		struct keel_db_val a[8];
		struct keel_err e = {0};
		char sql[4096];

		a[0] = db_str("p");
		a[1] = db_str("d");
		a[2] = db_int(101);
		repo_ver_list_sql(&repo_kind_task, &q, sql, sizeof(sql), &e);
		check_plan(t.db, "ListTasks (project, domain)", sql, a, 3);
		q.name = "n";
		a[2] = db_str("n");
		a[3] = db_int(101);
		repo_ver_list_sql(&repo_kind_task, &q, sql, sizeof(sql), &e);
		check_plan(t.db, "ListTasks (name)", sql, a, 4);
		q.have_after = 1;
		q.after_val = db_int(5);
		q.after_id = 9;
		a[3] = db_int(5);
		a[4] = db_int(5);
		a[5] = db_int(9);
		a[6] = db_int(101);
		repo_ver_list_sql(&repo_kind_task, &q, sql, sizeof(sql), &e);
		check_plan(t.db, "ListTasks (name, later page)", sql, a, 7);
		a[2] = db_int(101);
		repo_ver_names_sql(&repo_kind_task, 0, sql, sizeof(sql));
		check_plan(t.db, "ListTaskIds", sql, a, 3);
		a[2] = db_str("m");
		a[3] = db_int(101);
		repo_ver_names_sql(&repo_kind_task, 1, sql, sizeof(sql));
		check_plan(t.db, "ListTaskIds (later page)", sql, a, 4);
		{
			struct repo_entity_query eq = {
			    .resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK,
			    .project = "p", .domain = "d", .limit = 100,
			    .hide_flytegen = 1, .after_name = "m"};
			a[0] = db_int(FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
			a[1] = db_str("p");
			a[2] = db_str("d");
			a[3] = db_str("m");
			a[4] = db_int(101);
			repo_entity_list_sql(&eq, sql, sizeof(sql), &e);
			check_plan(t.db, "ListNamedEntities", sql, a, 5);
		}
		{
			struct repo_description_query dq = {
			    .resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK,
			    .project = "p", .domain = "d", .limit = 100};
			a[3] = db_int(101);
			repo_description_list_sql(&dq, sql, sizeof(sql), &e);
			check_plan(t.db, "ListDescriptionEntities", sql, a, 4);
			dq.name = "n";
			a[3] = db_str("n");
			a[4] = db_int(101);
			repo_description_list_sql(&dq, sql, sizeof(sql), &e);
			check_plan(t.db, "ListDescriptionEntities (name)", sql, a,
			           5);
		}
	} else {
		tap_diag("query plans are checked on SQLite only");
	}

	rpc_shutdown();
	arena_free(arena);
	testdb_close(&t);
	return tap_done();
}
