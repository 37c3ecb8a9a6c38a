/*
 * svc_admin.c -- AdminService: version, projects and domains.
 *
 * Validation and messages follow Flyte Admin (flyteadmin's
 * project_validator.go and project_manager.go); where Keel differs on
 * purpose the comment says so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "filter.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/version.pb-c.h"
#include "repo_project.h"
#include "svc.h"
#include "svc_list.h"
#include "util.h"
#include "validate.h"

#define SVC_PROJECT_NAME_MAX 64
#define SVC_PROJECT_DESCRIPTION_MAX 300
#define SVC_LABELS_MAX 16

#ifndef KEEL_BUILD
#define KEEL_BUILD "unknown"
#endif
#ifndef KEEL_BUILD_TIME
#define KEEL_BUILD_TIME "unknown"
#endif

const struct svc_domain *svc_find_domain(const struct svc *s, const char *id)
{
	for (size_t i = 0; i < s->ndomains; i++)
		if (strcmp(s->domains[i].id, id) == 0)
			return &s->domains[i];
	return NULL;
}

/* Map a repository failure onto the call. */
static int svc_repo_fail(struct call *c, int rc, const struct keel_err *err)
{
	return call_fail(c, rc, err->msg);
}

/* ------------------------------------------------------------------ */
/* GetVersion                                                          */
/* ------------------------------------------------------------------ */

static int svc_get_version(struct call *c, const ProtobufCMessage *req,
                           ProtobufCMessage **resp)
{
	Flyteidl__Admin__GetVersionResponse *r;
	Flyteidl__Admin__Version *v;

	r = call_new(c, &flyteidl__admin__get_version_response__descriptor);
	v = call_new(c, &flyteidl__admin__version__descriptor);
	if (r == NULL || v == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	v->version = (char *)PACKAGE_VERSION;
	v->build = (char *)KEEL_BUILD;
	v->buildtime = (char *)KEEL_BUILD_TIME;
	r->control_plane_version = v;
	*resp = &r->base;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Projects                                                            */
/* ------------------------------------------------------------------ */

int svc_check_labels(struct call *c, const Flyteidl__Admin__Labels *l)
{
	char why[512];

	if (l == NULL || l->n_values == 0)
		return 0;
	if (l->n_values > SVC_LABELS_MAX)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "labels map cannot exceed %d entries "
		                  "(got %zu)",
		                  SVC_LABELS_MAX, l->n_values);
	for (size_t i = 0; i < l->n_values; i++) {
		const char *k = l->values[i]->key ? l->values[i]->key : "";
		const char *v = l->values[i]->value ? l->values[i]->value : "";
		if (!validate_qualified_name(k, why, sizeof(why)))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid label key [%s]: [%s]", k,
			                  why);
		if (!validate_label_value(v, why, sizeof(why)))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid label value [%s]: [%s]", v,
			                  why);
	}
	return 0;
}

/* flyteadmin's ValidateProject: everything but the name's presence. */
static int svc_check_project(struct call *c, const Flyteidl__Admin__Project *p)
{
	char why[512];
	int rc;

	if (p->id == NULL || p->id[0] == '\0')
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project_id");
	rc = svc_check_labels(c, p->labels);
	if (rc != 0)
		return rc;
	if (!validate_dns1123_label(p->id, why, sizeof(why)))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid project id [%s]: [%s]", p->id, why);
	if (p->name && strlen(p->name) > SVC_PROJECT_NAME_MAX)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "project_name cannot exceed %d characters "
		                  "(got %zu)",
		                  SVC_PROJECT_NAME_MAX, strlen(p->name));
	if (p->description &&
	    strlen(p->description) > SVC_PROJECT_DESCRIPTION_MAX)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "project_description cannot exceed %d "
		                  "characters (got %zu)",
		                  SVC_PROJECT_DESCRIPTION_MAX,
		                  strlen(p->description));
	if (p->n_domains > 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "Domains are currently only set system wide. "
		                  "Please retry without domains included in "
		                  "your request.");
	/* Keel addition: an unknown state number would be stored and then
	 * confuse every reader. */
	if (p->state < FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ACTIVE ||
	    p->state > FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__SYSTEM_ARCHIVED)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid value for state: %d", (int)p->state);
	return 0;
}

/* The configured domains as messages, in the call's arena; NULL when out
 * of memory. */
static Flyteidl__Admin__Domain **svc_domains(struct call *c)
{
	const struct svc *s = c->svc;
	Flyteidl__Admin__Domain **d;

	d = arena_calloc(c->arena, s->ndomains, sizeof(*d));
	for (size_t i = 0; d != NULL && i < s->ndomains; i++) {
		d[i] = call_new(c, &flyteidl__admin__domain__descriptor);
		if (d[i] == NULL)
			return NULL;
		d[i]->id = s->domains[i].id;
		d[i]->name = s->domains[i].name;
	}
	return d;
}

/* Every project carries every configured domain. */
static int svc_fill_domains(struct call *c, Flyteidl__Admin__Project *p)
{
	p->domains = svc_domains(c);
	if (p->domains == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	p->n_domains = c->svc->ndomains;
	return 0;
}

static int svc_register_project(struct call *c, const ProtobufCMessage *req,
                                ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ProjectRegisterRequest *r =
	    (const Flyteidl__Admin__ProjectRegisterRequest *)req;
	const Flyteidl__Admin__Project *p = r->project;
	Flyteidl__Admin__ProjectRegisterResponse *out;
	struct keel_err err = {0};
	int rc;

	if (p == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (p->name == NULL || p->name[0] == '\0')
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing project_name");
	rc = svc_check_project(c, p);
	if (rc != 0)
		return rc;
	rc = repo_project_create(c->svc->db, p, &err);
	if (rc != 0)
		return svc_repo_fail(c, rc, &err);
	out = call_new(c,
	               &flyteidl__admin__project_register_response__descriptor);
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	*resp = &out->base;
	return 0;
}

static int svc_update_project(struct call *c, const ProtobufCMessage *req,
                              ProtobufCMessage **resp)
{
	const Flyteidl__Admin__Project *p =
	    (const Flyteidl__Admin__Project *)req;
	Flyteidl__Admin__ProjectUpdateResponse *out;
	struct keel_err err = {0};
	int rc;

	rc = svc_check_project(c, p);
	if (rc != 0)
		return rc;
	rc = repo_project_update(c->svc->db, p, &err);
	if (rc != 0)
		return svc_repo_fail(c, rc, &err);
	out = call_new(c, &flyteidl__admin__project_update_response__descriptor);
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	*resp = &out->base;
	return 0;
}

static int svc_get_project(struct call *c, const ProtobufCMessage *req,
                           ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ProjectGetRequest *r =
	    (const Flyteidl__Admin__ProjectGetRequest *)req;
	Flyteidl__Admin__Project *p;
	struct keel_err err = {0};
	int rc;

	if (r->id == NULL || r->id[0] == '\0')
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project_id");
	rc = repo_project_get(c->svc->db, c->arena, r->id, &p, &err);
	if (rc != 0)
		return svc_repo_fail(c, rc, &err);
	rc = svc_fill_domains(c, p);
	if (rc != 0)
		return rc;
	*resp = &p->base;
	return 0;
}

static int svc_list_projects(struct call *c, const ProtobufCMessage *req,
                             ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ProjectListRequest *r =
	    (const Flyteidl__Admin__ProjectListRequest *)req;
	struct repo_project_query q = {.offset = 0};
	struct svc_page page;
	Flyteidl__Admin__Projects *out;
	Flyteidl__Admin__Project **rows;
	struct keel_db_val last_val = {0};
	const char *last_id = NULL;
	struct keel_err err = {0};
	size_t n;
	int more, rc;

	/* flyteadmin: limit 0 means all; Keel caps every page at
	 * max_page_size and hands out a token for the rest. */
	q.limit = r->limit;
	if (q.limit == 0 || q.limit > c->svc->max_page_size)
		q.limit = c->svc->max_page_size;
	if (r->filters != NULL && r->filters[0] != '\0') {
		struct filter f;
		rc = svc_filters(c, r->filters, repo_project_filter_cols,
		                 repo_project_filter_ncols, "project", NULL, &f);
		if (rc != 0)
			return rc;
		q.filter_sql = f.sql;
		q.filter_args = f.args;
		q.filter_nargs = f.nargs;
		/* flyteadmin: any filter drops the implicit archived
		 * exclusion (filter on state to get it back). */
		q.include_archived = 1;
	} else {
		/* No filters: archived projects are hidden (flyteadmin). */
		q.include_archived = 0;
	}
	if (r->sort_by != NULL && r->sort_by->key != NULL &&
	    r->sort_by->key[0] != '\0') {
		if (repo_project_sort_column(r->sort_by->key) < 0)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid sort key '%s'",
			                  r->sort_by->key);
		q.sort_col = r->sort_by->key;
		q.ascending = r->sort_by->direction ==
		              FLYTEIDL__ADMIN__SORT__DIRECTION__ASCENDING;
	} else {
		q.sort_col = "identifier";
		q.ascending = 1;
	}
	rc = svc_page_parse(c, "ListProjects", r->token, q.sort_col,
	                    q.ascending, 0, &page);
	if (rc != 0)
		return rc;
	q.offset = page.offset;
	q.have_after = page.have_after;
	q.after_val = page.after_val;
	q.after_id = page.after_id;
	rc = repo_project_list(c->svc->db, c->arena, &q, &rows, &n, &more,
	                       &last_val, &last_id, &err);
	if (rc != 0)
		return svc_repo_fail(c, rc, &err);
	out = call_new(c, &flyteidl__admin__projects__descriptor);
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < n; i++) {
		rc = svc_fill_domains(c, rows[i]);
		if (rc != 0)
			return rc;
	}
	out->projects = rows;
	out->n_projects = n;
	out->token = (char *)"";
	/* Unlike flyteadmin, no token after the last page: the token says
	 * that more rows exist. */
	if (more) {
		out->token = svc_page_next(c, &page, n, q.sort_col, q.ascending,
		                           &last_val, last_id);
		if (out->token == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	*resp = &out->base;
	return 0;
}

static int svc_get_domains(struct call *c, const ProtobufCMessage *req,
                           ProtobufCMessage **resp)
{
	Flyteidl__Admin__GetDomainsResponse *out;

	out = call_new(c, &flyteidl__admin__get_domains_response__descriptor);
	if (out == NULL || (out->domains = svc_domains(c)) == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	out->n_domains = c->svc->ndomains;
	*resp = &out->base;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Registry                                                            */
/* ------------------------------------------------------------------ */

#define SVC_ADMIN "/flyteidl.service.AdminService/"

static const struct svc_route svc_admin_routes[] = {
	{SVC_ADMIN "GetVersion", svc_get_version},
	{SVC_ADMIN "RegisterProject", svc_register_project},
	{SVC_ADMIN "UpdateProject", svc_update_project},
	{SVC_ADMIN "GetProject", svc_get_project},
	{SVC_ADMIN "ListProjects", svc_list_projects},
	{SVC_ADMIN "GetDomains", svc_get_domains},
	{NULL, NULL},
};

rpc_handler svc_handler(const char *path)
{
	static const struct svc_route *const tables[] = {
	    svc_admin_routes, svc_task_routes, svc_entity_routes,
	    svc_workflow_routes, svc_launch_plan_routes,
	    svc_execution_routes, svc_event_routes, svc_node_routes,
	    svc_signal_routes};

	for (size_t t = 0; t < UTIL_ARRAY_LEN(tables); t++)
		for (const struct svc_route *r = tables[t]; r->path; r++)
			if (strcmp(r->path, path) == 0)
				return r->fn;
	return NULL;
}
