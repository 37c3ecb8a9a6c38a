/*
 * svc_entity.c -- AdminService: GetNamedEntity, UpdateNamedEntity,
 * ListNamedEntities, GetDescriptionEntity, ListDescriptionEntities
 * (reference/flyteadmin-behaviour.md §1.6, §1.7, §5.2).
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "conf.h"
#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/description_entity.pb-c.h"
#include "repo_description.h"
#include "repo_entity.h"
#include "svc.h"
#include "svc_list.h"

#define SVC_ENTITY_DESCRIPTION_MAX 300

static int svc_entity_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

static int svc_entity_id(struct call *c, int resource_type,
                         const Flyteidl__Admin__NamedEntityIdentifier *id)
{
	if (resource_type == FLYTEIDL__CORE__RESOURCE_TYPE__UNSPECIFIED)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing resource_type");
	if (id == NULL || svc_entity_empty(id->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_entity_empty(id->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	if (svc_entity_empty(id->name))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing name");
	return 0;
}

/* An admin.NamedEntity in the arena, or NULL. */
static Flyteidl__Admin__NamedEntity *
svc_entity_msg(struct call *c, int rt, const char *project,
               const char *domain, const char *org,
               const struct repo_entity *e)
{
	Flyteidl__Admin__NamedEntity *ne =
	    call_new(c, &flyteidl__admin__named_entity__descriptor);
	Flyteidl__Admin__NamedEntityIdentifier *id =
	    call_new(c, &flyteidl__admin__named_entity_identifier__descriptor);
	Flyteidl__Admin__NamedEntityMetadata *md =
	    call_new(c, &flyteidl__admin__named_entity_metadata__descriptor);

	if (ne == NULL || id == NULL || md == NULL)
		return NULL;
	id->project = (char *)project;
	id->domain = (char *)domain;
	id->name = (char *)e->name;
	id->org = (char *)(org ? org : "");
	md->description = (char *)e->description;
	md->state = (Flyteidl__Admin__NamedEntityState)e->state;
	ne->resource_type = (Flyteidl__Core__ResourceType)rt;
	ne->id = id;
	ne->metadata = md;
	return ne;
}

static int svc_get_named_entity(struct call *c, const ProtobufCMessage *req,
                                ProtobufCMessage **resp)
{
	const Flyteidl__Admin__NamedEntityGetRequest *r =
	    (const Flyteidl__Admin__NamedEntityGetRequest *)req;
	struct repo_entity e;
	struct keel_err err = {0};
	Flyteidl__Admin__NamedEntity *ne;
	int rc;

	rc = svc_entity_id(c, r->resource_type, r->id);
	if (rc != 0)
		return rc;
	rc = repo_entity_get(c->svc->db, c->arena, r->resource_type,
	                     r->id->project, r->id->domain, r->id->name, &e,
	                     &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	ne = svc_entity_msg(c, r->resource_type, r->id->project, r->id->domain,
	                    r->id->org, &e);
	if (ne == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	*resp = &ne->base;
	return 0;
}

static int svc_update_named_entity(struct call *c, const ProtobufCMessage *req,
                                   ProtobufCMessage **resp)
{
	const Flyteidl__Admin__NamedEntityUpdateRequest *r =
	    (const Flyteidl__Admin__NamedEntityUpdateRequest *)req;
	const Flyteidl__Admin__NamedEntityMetadata *md = r->metadata;
	struct keel_err err = {0};
	int rc;

	rc = svc_entity_id(c, r->resource_type, r->id);
	if (rc != 0)
		return rc;
	if (md == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing metadata");
	/* Keel additions: the column holds 300 characters, and an unknown
	 * state number would confuse every reader. */
	if (md->description != NULL &&
	    strlen(md->description) > SVC_ENTITY_DESCRIPTION_MAX)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "description cannot exceed %d characters "
		                  "(got %zu)",
		                  SVC_ENTITY_DESCRIPTION_MAX,
		                  strlen(md->description));
	if (md->state < FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__NAMED_ENTITY_ACTIVE ||
	    md->state > FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__SYSTEM_GENERATED)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid value for state: %d", (int)md->state);
	if (md->state != FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__NAMED_ENTITY_ACTIVE &&
	    r->resource_type != FLYTEIDL__CORE__RESOURCE_TYPE__TASK &&
	    r->resource_type != FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW &&
	    r->resource_type != FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "only tasks, workflows and launch plans can be "
		                  "archived");
	rc = repo_entity_update(c->svc->db, r->resource_type, r->id->project,
	                        r->id->domain, r->id->name, r->id->org,
	                        md->description, md->state, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	*resp = call_new(c, &flyteidl__admin__named_entity_update_response__descriptor);
	return *resp ? 0
	             : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

static int svc_list_named_entities(struct call *c, const ProtobufCMessage *req,
                                   ProtobufCMessage **resp)
{
	const Flyteidl__Admin__NamedEntityListRequest *r =
	    (const Flyteidl__Admin__NamedEntityListRequest *)req;
	static const char *const joined[] = {"named_entity_metadata", NULL};
	struct repo_entity_query q = {0};
	struct repo_entity *rows;
	struct svc_page page;
	struct filter f;
	struct keel_err err = {0};
	Flyteidl__Admin__NamedEntityList *out;
	size_t n;
	int more, rc;

	if (svc_entity_empty(r->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_entity_empty(r->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	if (r->resource_type == FLYTEIDL__CORE__RESOURCE_TYPE__UNSPECIFIED)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing resource_type");
	rc = svc_list_limit(c, r->limit, &q.limit);
	if (rc != 0)
		return rc;
	/* Keel pages names in name order only. */
	if (r->sort_by != NULL && !svc_entity_empty(r->sort_by->key) &&
	    (strcmp(r->sort_by->key, "name") != 0 ||
	     r->sort_by->direction != FLYTEIDL__ADMIN__SORT__DIRECTION__ASCENDING))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid sort key '%s' (named entities are "
		                  "listed by name, ascending)",
		                  r->sort_by->key);
	rc = svc_filters(c, r->filters, repo_entity_filter_cols,
	                 repo_entity_filter_ncols, "entities", joined, &f);
	if (rc != 0)
		return rc;
	q.resource_type = r->resource_type;
	q.project = r->project;
	q.domain = r->domain;
	q.filter_sql = f.sql;
	q.filter_args = f.args;
	q.filter_nargs = f.nargs;
	/* Flyte Admin hides the single-task wrappers unless filtered. */
	q.hide_flytegen = svc_entity_empty(r->filters);
	rc = svc_page_parse(c, "ListNamedEntities", r->token, "name", 1, 1,
	                    &page);
	if (rc != 0)
		return rc;
	if (page.offset > 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid pagination token %s for "
		                  "ListNamedEntities",
		                  r->token);
	if (page.have_after)
		q.after_name = (const char *)page.after_val.p;
	rc = repo_entity_list(c->svc->db, c->arena, &q, &rows, &n, &more, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	out = call_new(c, &flyteidl__admin__named_entity_list__descriptor);
	if (out == NULL || (n > 0 && (out->entities = arena_calloc(
	                                  c->arena, n,
	                                  sizeof(*out->entities))) == NULL))
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < n; i++) {
		out->entities[i] = svc_entity_msg(c, r->resource_type, r->project,
		                                  r->domain, r->org, &rows[i]);
		if (out->entities[i] == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	out->n_entities = n;
	out->token = (char *)"";
	if (more) {
		struct keel_db_val last = db_str(rows[n - 1].name);
		out->token = svc_page_next(c, &page, n, "name", 1, &last,
		                           rows[n - 1].name);
		if (out->token == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	*resp = &out->base;
	return 0;
}

/* A stored description as an admin.DescriptionEntity with its id, or
 * NULL. */
static Flyteidl__Admin__DescriptionEntity *
svc_description_msg(struct call *c, int rt,
                    const struct repo_description_row *row)
{
	Flyteidl__Admin__DescriptionEntity *d;
	Flyteidl__Core__Identifier *id =
	    call_new(c, &flyteidl__core__identifier__descriptor);

	d = flyteidl__admin__description_entity__unpack(
	    arena_pb_allocator(c->arena), row->entity_len, row->entity);
	if (d == NULL || id == NULL)
		return NULL;
	id->resource_type = (Flyteidl__Core__ResourceType)rt;
	id->project = (char *)row->project;
	id->domain = (char *)row->domain;
	id->name = (char *)row->name;
	id->version = (char *)row->version;
	id->org = (char *)row->org;
	d->id = id;
	return d;
}

static int svc_get_description_entity(struct call *c,
                                      const ProtobufCMessage *req,
                                      ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ObjectGetRequest *r =
	    (const Flyteidl__Admin__ObjectGetRequest *)req;
	const Flyteidl__Core__Identifier *id = r->id;
	struct repo_description_row row;
	struct keel_err err = {0};
	Flyteidl__Admin__DescriptionEntity *d;
	int rc;

	if (id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing id");
	if (id->resource_type == FLYTEIDL__CORE__RESOURCE_TYPE__UNSPECIFIED)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing resource_type");
	rc = svc_check_identifier(c, id, id->resource_type);
	if (rc != 0)
		return rc;
	rc = repo_description_get(c->svc->db, c->arena, id->resource_type,
	                          id->project, id->domain, id->name,
	                          id->version, &row, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	d = svc_description_msg(c, id->resource_type, &row);
	if (d == NULL)
		return call_error(c, RPC_INTERNAL,
		                  "stored description of [%s/%s/%s/%s] does not "
		                  "decode",
		                  id->project, id->domain, id->name, id->version);
	*resp = &d->base;
	return 0;
}

static int svc_list_description_entities(struct call *c,
                                         const ProtobufCMessage *req,
                                         ProtobufCMessage **resp)
{
	const Flyteidl__Admin__DescriptionEntityListRequest *r =
	    (const Flyteidl__Admin__DescriptionEntityListRequest *)req;
	struct repo_description_query q = {0};
	struct repo_description_row *rows;
	struct svc_page page;
	struct filter f;
	struct keel_err err = {0};
	Flyteidl__Admin__DescriptionEntityList *out;
	size_t n;
	int more, rc;

	if (r->resource_type == FLYTEIDL__CORE__RESOURCE_TYPE__UNSPECIFIED)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing resource_type");
	if (r->id == NULL || svc_entity_empty(r->id->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_entity_empty(r->id->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	rc = svc_list_limit(c, r->limit, &q.limit);
	if (rc != 0)
		return rc;
	if (r->sort_by != NULL && !svc_entity_empty(r->sort_by->key) &&
	    (strcmp(r->sort_by->key, "created_at") != 0 ||
	     r->sort_by->direction != FLYTEIDL__ADMIN__SORT__DIRECTION__DESCENDING))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid sort key '%s' (descriptions are "
		                  "listed newest first)",
		                  r->sort_by->key);
	rc = svc_filters(c, r->filters, repo_description_filter_cols,
	                 repo_description_filter_ncols, "description_entity",
	                 NULL, &f);
	if (rc != 0)
		return rc;
	q.resource_type = r->resource_type;
	q.project = r->id->project;
	q.domain = r->id->domain;
	/* Flyte Admin requires a name even on the route without one, so
	 * that route always fails there; Keel lists every name instead. */
	q.name = svc_entity_empty(r->id->name) ? NULL : r->id->name;
	q.filter_sql = f.sql;
	q.filter_args = f.args;
	q.filter_nargs = f.nargs;
	rc = svc_page_parse(c, "ListDescriptionEntities", r->token,
	                    "created_at", 0, 1, &page);
	if (rc != 0)
		return rc;
	if (page.offset > 0 ||
	    (page.have_after &&
	     (page.after_val.type != KEEL_DB_INT ||
	      conf_parse_int(page.after_id, &q.after_id) != 0)))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid pagination token %s for "
		                  "ListDescriptionEntities",
		                  r->token);
	q.have_after = page.have_after;
	q.after_created = page.after_val.i;
	rc = repo_description_list(c->svc->db, c->arena, &q, &rows, &n, &more,
	                           &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	out = call_new(c, &flyteidl__admin__description_entity_list__descriptor);
	if (out == NULL ||
	    (n > 0 && (out->descriptionentities = arena_calloc(
	                   c->arena, n, sizeof(*out->descriptionentities))) ==
	                  NULL))
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < n; i++) {
		out->descriptionentities[i] =
		    svc_description_msg(c, r->resource_type, &rows[i]);
		if (out->descriptionentities[i] == NULL)
			return call_error(c, RPC_INTERNAL,
			                  "stored description of %s does not "
			                  "decode",
			                  rows[i].name);
	}
	out->n_descriptionentities = n;
	out->token = (char *)"";
	if (more) {
		struct keel_db_val last = db_int(rows[n - 1].created_at);
		char *lid = arena_printf(c->arena, "%lld",
		                         (long long)rows[n - 1].id);
		out->token = lid ? svc_page_next(c, &page, n, "created_at", 0,
		                                 &last, lid)
		                 : NULL;
		if (out->token == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	*resp = &out->base;
	return 0;
}

#define SVC_ADMIN "/flyteidl.service.AdminService/"

const struct svc_route svc_entity_routes[] = {
	{SVC_ADMIN "GetNamedEntity", svc_get_named_entity},
	{SVC_ADMIN "UpdateNamedEntity", svc_update_named_entity},
	{SVC_ADMIN "ListNamedEntities", svc_list_named_entities},
	{SVC_ADMIN "GetDescriptionEntity", svc_get_description_entity},
	{SVC_ADMIN "ListDescriptionEntities", svc_list_description_entities},
	{NULL, NULL},
};
