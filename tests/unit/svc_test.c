/*
 * svc_test.c -- the project, domain and version RPCs through the method
 * table (rpc_dispatch), over the real SQLite plugin: Flyte Admin's
 * checklist rows 1-4 and the bad-input rules.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/version.pb-c.h"
#include "rpc.h"
#include "svc.h"
#include "tap.h"
#include "testdb.h"

#define ADMIN "/flyteidl.service.AdminService/"

static struct svc svc;
static struct arena *arena;

/* Dispatch msg to method; returns the status code, response in *out. */
static int call(const char *method, const ProtobufCMessage *msg,
                const ProtobufCMessageDescriptor *out_desc, void **out,
                const char **message)
{
	return testdb_call(&svc, arena, method, msg, out_desc, out, message);
}

static int reg(const char *id, const char *name, const char *desc,
               size_t nlabels, size_t ndomains, const char **message)
{
	Flyteidl__Admin__ProjectRegisterRequest r =
	    FLYTEIDL__ADMIN__PROJECT_REGISTER_REQUEST__INIT;
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
	Flyteidl__Admin__Labels l = FLYTEIDL__ADMIN__LABELS__INIT;
	Flyteidl__Admin__Labels__ValuesEntry e[20], *ev[20];
	Flyteidl__Admin__Domain d = FLYTEIDL__ADMIN__DOMAIN__INIT, *dv[1] = {&d};

	p.id = (char *)id;
	p.name = (char *)name;
	p.description = (char *)desc;
	for (size_t i = 0; i < nlabels; i++) {
		flyteidl__admin__labels__values_entry__init(&e[i]);
		e[i].key = arena_printf(arena, "k%zu", i);
		e[i].value = (char *)"v";
		ev[i] = &e[i];
	}
	if (nlabels) {
		l.n_values = nlabels;
		l.values = ev;
		p.labels = &l;
	}
	if (ndomains) {
		d.id = (char *)"development";
		d.name = (char *)"development";
		p.n_domains = 1;
		p.domains = dv;
	}
	r.project = &p;
	return call(ADMIN "RegisterProject", &r.base, NULL, NULL, message);
}

static int update(const char *id, int state, const char *name,
                  const char **message)
{
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;

	p.id = (char *)id;
	p.name = (char *)name;
	p.state = state;
	return call(ADMIN "UpdateProject", &p.base,
	            &flyteidl__admin__project_update_response__descriptor, NULL,
	            message);
}

static const char *list_filters;

static Flyteidl__Admin__Projects *list(uint32_t limit, const char *token,
                                       const char *sort, int asc, int *code,
                                       const char **message)
{
	Flyteidl__Admin__ProjectListRequest r =
	    FLYTEIDL__ADMIN__PROJECT_LIST_REQUEST__INIT;
	Flyteidl__Admin__Sort s = FLYTEIDL__ADMIN__SORT__INIT;
	void *out = NULL;

	r.limit = limit;
	r.token = (char *)(token ? token : "");
	r.filters = (char *)(list_filters ? list_filters : "");
	if (sort) {
		s.key = (char *)sort;
		s.direction = asc;
		r.sort_by = &s;
	}
	*code = call(ADMIN "ListProjects", &r.base,
	             &flyteidl__admin__projects__descriptor, &out, message);
	return out;
}

int main(void)
{
	struct testdb t;
	char err[1024], longs[400];
	const char *m;
	void *out;
	int code;

	if (testdb_open(&t, 4, err, sizeof(err)) != 0)
		return tap_skip_all(err);
	arena = arena_new(0);
	svc.db = t.db;
	svc.max_page_size = 1000;
	{
		static struct svc_domain doms[3] = {
		    {(char *)"development", (char *)"development"},
		    {(char *)"staging", (char *)"staging"},
		    {(char *)"production", (char *)"production"}};
		svc.domains = doms;
		svc.ndomains = 3;
	}
	TAP_EQ_INT(rpc_init(), 0, "method table built");
	TAP_OK(rpc_count() >= 56, "table has every AdminService method (%zu)",
	       rpc_count());

	/* Unknown, unimplemented, malformed. */
	code = call("/flyteidl.service.AdminService/Nope", NULL, NULL, NULL, &m);
	TAP_EQ_INT(code, RPC_UNIMPLEMENTED, "unknown method");
	TAP_HAS_STR(m, "unknown method /flyteidl.service.AdminService/Nope",
	            "names the method");
	code = call(ADMIN "GetProjectDomainAttributes", NULL, NULL, NULL, &m);
	TAP_EQ_INT(code, RPC_UNIMPLEMENTED, "not-yet-implemented method");
	TAP_HAS_STR(m, "GetProjectDomainAttributes is not implemented",
	            "names it too");
	{
		struct call c = {.arena = arena, .svc = &svc};
		uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff};
		uint8_t *resp;
		size_t rl;
		rpc_dispatch(&c, ADMIN "GetProject", junk, sizeof(junk), &resp,
		             &rl);
		TAP_EQ_INT(c.code, RPC_INVALID_ARGUMENT, "malformed payload");
		TAP_HAS_STR(c.message, "flyteidl.admin.ProjectGetRequest",
		            "names the expected type");
	}

	/* Version. */
	code = call(ADMIN "GetVersion", NULL,
	            &flyteidl__admin__get_version_response__descriptor, &out, &m);
	TAP_OK(code == 0 && out &&
	           strcmp(((Flyteidl__Admin__GetVersionResponse *)out)
	                      ->control_plane_version->version,
	                  PACKAGE_VERSION) == 0,
	       "GetVersion returns %s", PACKAGE_VERSION);

	/* Checklist 1: register. */
	TAP_EQ_INT(reg("flytesnacks", "Flyte Snacks", "demo", 2, 0, &m), 0,
	           "register valid project");
	TAP_EQ_INT(reg("flytesnacks", "again", "", 0, 0, &m),
	           RPC_ALREADY_EXISTS, "duplicate id");
	TAP_HAS_STR(m, "[flytesnacks] already exists", "duplicate message");
	TAP_EQ_INT(reg("Bad", "x", "", 0, 0, &m), RPC_INVALID_ARGUMENT,
	           "uppercase id");
	TAP_HAS_STR(m, "invalid project id [Bad]", "names the id");
	TAP_EQ_INT(reg("a_b", "x", "", 0, 0, &m), RPC_INVALID_ARGUMENT,
	           "underscore id");
	memset(longs, 'a', 64);
	longs[64] = '\0';
	TAP_EQ_INT(reg(longs, "x", "", 0, 0, &m), RPC_INVALID_ARGUMENT,
	           "64-char id");
	TAP_HAS_STR(m, "no more than 63 characters", "says why");
	memset(longs, 'n', 65);
	longs[65] = '\0';
	TAP_EQ_INT(reg("okid", longs, "", 0, 0, &m), RPC_INVALID_ARGUMENT,
	           "name of 65 chars");
	TAP_HAS_STR(m, "project_name cannot exceed 64 characters", "name rule");
	memset(longs, 'd', 301);
	longs[301] = '\0';
	TAP_EQ_INT(reg("okid", "x", longs, 0, 0, &m), RPC_INVALID_ARGUMENT,
	           "description of 301 chars");
	TAP_HAS_STR(m, "project_description cannot exceed 300 characters",
	            "description rule");
	TAP_EQ_INT(reg("okid", "x", "", 17, 0, &m), RPC_INVALID_ARGUMENT,
	           "17 labels");
	TAP_HAS_STR(m, "labels map cannot exceed 16 entries", "labels rule");
	TAP_EQ_INT(reg("okid", "x", "", 16, 0, &m), 0, "16 labels accepted");
	TAP_EQ_INT(reg("okid2", "x", "", 0, 1, &m), RPC_INVALID_ARGUMENT,
	           "domains in request");
	TAP_HAS_STR(m, "Domains are currently only set system wide",
	            "domains rule");
	TAP_EQ_INT(reg("okid2", "", "", 0, 0, &m), RPC_INVALID_ARGUMENT,
	           "missing name");
	TAP_HAS_STR(m, "missing project_name", "missing-name message");
	TAP_EQ_INT(reg("", "x", "", 0, 0, &m), RPC_INVALID_ARGUMENT,
	           "missing id");
	TAP_HAS_STR(m, "missing project_id", "missing-id message");
	{
		Flyteidl__Admin__ProjectRegisterRequest r =
		    FLYTEIDL__ADMIN__PROJECT_REGISTER_REQUEST__INIT;
		TAP_EQ_INT(call(ADMIN "RegisterProject", &r.base, NULL, NULL, &m),
		           RPC_INVALID_ARGUMENT, "missing project");
		TAP_HAS_STR(m, "missing project", "missing-project message");
	}

	/* Get: nothing failed above changed the stored project. */
	{
		Flyteidl__Admin__ProjectGetRequest g =
		    FLYTEIDL__ADMIN__PROJECT_GET_REQUEST__INIT;
		Flyteidl__Admin__Project *p;
		g.id = (char *)"flytesnacks";
		code = call(ADMIN "GetProject", &g.base,
		            &flyteidl__admin__project__descriptor, &out, &m);
		p = out;
		TAP_OK(code == 0 && p && strcmp(p->name, "Flyte Snacks") == 0 &&
		           p->labels && p->labels->n_values == 2,
		       "get returns the original project");
		TAP_OK(p && p->n_domains == 3 &&
		           strcmp(p->domains[1]->id, "staging") == 0,
		       "project carries the configured domains");
		g.id = (char *)"missing";
		TAP_EQ_INT(call(ADMIN "GetProject", &g.base, NULL, NULL, &m),
		           RPC_NOT_FOUND, "get missing project");
		TAP_HAS_STR(m, "project [missing] not found", "not-found text");
		g.id = (char *)"";
		TAP_EQ_INT(call(ADMIN "GetProject", &g.base, NULL, NULL, &m),
		           RPC_INVALID_ARGUMENT, "get without id");
	}

	/* Checklist 2/3: archive and the default list. */
	reg("zeta", "Zeta", "", 0, 0, &m);
	reg("beta", "Beta", "", 0, 0, &m);
	TAP_EQ_INT(update("beta", 1, "", &m), 0, "archive beta");
	TAP_EQ_INT(update("ghost", 1, "", &m), RPC_NOT_FOUND,
	           "update of a missing project");
	TAP_EQ_INT(update("Bad!", 0, "", &m), RPC_INVALID_ARGUMENT,
	           "update validates the id");
	TAP_EQ_INT(update("zeta", 7, "", &m), RPC_INVALID_ARGUMENT,
	           "update refuses an unknown state");
	{
		Flyteidl__Admin__Projects *ps = list(0, NULL, NULL, 0, &code, &m);
		TAP_OK(code == 0 && ps && ps->n_projects == 3,
		       "limit 0 lists all active projects (%zu)",
		       ps ? ps->n_projects : 0);
		TAP_OK(ps && ps->n_projects == 3 &&
		           strcmp(ps->projects[0]->id, "flytesnacks") == 0 &&
		           strcmp(ps->projects[1]->id, "okid") == 0 &&
		           strcmp(ps->projects[2]->id, "zeta") == 0,
		       "archived beta hidden; identifier ascending");
		TAP_EQ_STR(ps ? ps->token : NULL, "", "no token after the last page");
	}
	{
		/* flytectl's offset tokens */
		Flyteidl__Admin__Projects *ps = list(2, "", NULL, 0, &code, &m);
		TAP_OK(ps && ps->n_projects == 2 && strcmp(ps->token, "2") == 0,
		       "first page of 2, offset token \"2\" (%s)",
		       ps ? ps->token : "-");
		ps = list(2, "2", NULL, 0, &code, &m);
		TAP_OK(ps && ps->n_projects == 1 &&
		           strcmp(ps->projects[0]->id, "zeta") == 0 &&
		           strcmp(ps->token, "") == 0,
		       "offset 2 gives the last page");
	}
	{
		/* keyset tokens when sorted */
		Flyteidl__Admin__Projects *ps = list(2, "", "name", 0, &code, &m);
		TAP_OK(ps && ps->n_projects == 2 &&
		           strcmp(ps->projects[0]->id, "okid") == 0 &&
		           strncmp(ps->token, "2", 1) == 0,
		       "sorted by name descending");
		ps = list(1, "", "name", 1, &code, &m);
		TAP_OK(ps && strncmp(ps->token, "1", 1) == 0,
		       "first page token is an offset");
		ps = list(1, "k1.bm90LWEtdG9rZW4", "name", 1, &code, &m);
		TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "garbled keyset token");
	}
	list(2, "x", NULL, 0, &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "token 'x'");
	TAP_HAS_STR(m, "invalid pagination token x for ListProjects",
	            "token message");
	list(2, "-4", NULL, 0, &code, &m);
	TAP_HAS_STR(m, "Invalid token value: -4", "negative token");
	list(2, NULL, "nope", 0, &code, &m);
	TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "bad sort key");
	TAP_HAS_STR(m, "invalid sort key 'nope'", "sort key message");
	{
		Flyteidl__Admin__ProjectGetRequest g =
		    FLYTEIDL__ADMIN__PROJECT_GET_REQUEST__INIT;
		Flyteidl__Admin__Project *p;
		g.id = (char *)"beta";
		code = call(ADMIN "GetProject", &g.base,
		            &flyteidl__admin__project__descriptor, &out, &m);
		p = out;
		TAP_OK(code == 0 && p && p->state == 1 &&
		           strcmp(p->name, "Beta") == 0,
		       "archived project still readable, name kept");
	}
	/* Filters: any filter drops the implicit archived exclusion. */
	{
		Flyteidl__Admin__Projects *ps;
		list_filters = "eq(state,1)";
		ps = list(0, NULL, NULL, 0, &code, &m);
		TAP_OK(code == 0 && ps && ps->n_projects == 1 &&
		           strcmp(ps->projects[0]->id, "beta") == 0,
		       "eq(state,1) finds the archived project");
		list_filters = "contains(project.name,eta)";
		ps = list(0, NULL, NULL, 0, &code, &m);
		TAP_OK(code == 0 && ps && ps->n_projects == 2,
		       "contains(name) matches Beta and Zeta, archived or not");
		list_filters = "value_in(identifier,zeta;okid)+ne(state,1)";
		ps = list(0, NULL, NULL, 0, &code, &m);
		TAP_OK(code == 0 && ps && ps->n_projects == 2 &&
		           strcmp(ps->projects[0]->id, "okid") == 0,
		       "value_in and ne combined");
		list_filters = "eq(bogus,1)";
		ps = list(0, NULL, NULL, 0, &code, &m);
		TAP_EQ_INT(code, RPC_INVALID_ARGUMENT, "unknown filter field");
		TAP_HAS_STR(m, "'project.bogus' is invalid filter",
		            "filter field message");
		list_filters = "eq(workflow.name,x)";
		list(0, NULL, NULL, 0, &code, &m);
		TAP_HAS_STR(m, "'workflow' entity is not allowed in filters",
		            "foreign entity");
		list_filters = NULL;
	}
	TAP_EQ_INT(update("beta", 0, "", &m), 0, "unarchive beta");
	{
		Flyteidl__Admin__Projects *ps = list(0, NULL, NULL, 0, &code, &m);
		TAP_OK(ps && ps->n_projects == 4, "beta listed again");
	}
	/* max_page_size caps a page, and the token gives the rest. */
	svc.max_page_size = 3;
	{
		Flyteidl__Admin__Projects *ps = list(0, NULL, NULL, 0, &code, &m);
		TAP_OK(ps && ps->n_projects == 3 && strcmp(ps->token, "3") == 0,
		       "limit 0 capped at max_page_size with a token");
	}
	svc.max_page_size = 1000;

	/* Checklist 4: domains. */
	{
		Flyteidl__Admin__GetDomainRequest r =
		    FLYTEIDL__ADMIN__GET_DOMAIN_REQUEST__INIT;
		Flyteidl__Admin__GetDomainsResponse *d;
		code = call(ADMIN "GetDomains", &r.base,
		            &flyteidl__admin__get_domains_response__descriptor,
		            &out, &m);
		d = out;
		TAP_OK(code == 0 && d && d->n_domains == 3 &&
		           strcmp(d->domains[0]->id, "development") == 0 &&
		           strcmp(d->domains[2]->name, "production") == 0,
		       "GetDomains returns the configured domains");
		TAP_OK(svc_find_domain(&svc, "staging") != NULL &&
		           svc_find_domain(&svc, "qa") == NULL,
		       "domain lookup");
	}
	rpc_shutdown();
	arena_free(arena);
	testdb_close(&t);
	return tap_done();
}
