/*
 * svc_ver.c -- list pages and *Ids listings shared by the task, workflow
 * and launch-plan services (reference/flyteadmin-behaviour.md §5).
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "flyteidl/admin/common.pb-c.h"
#include "svc.h"
#include "svc_list.h"
#include "svc_ver.h"

static int svc_ver_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

uint8_t *svc_pack(struct call *c, const ProtobufCMessage *m, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *b = arena_alloc(c->arena, n ? n : 1);

	if (b != NULL)
		*len = protobuf_c_message_pack(m, b);
	return b;
}

int svc_ver_list(struct call *c, const struct repo_kind *k,
                 const struct svc_ver_list_req *r, struct svc_ver_page *out)
{
	struct repo_ver_query q = {.offset = 0};
	struct svc_page page;
	struct filter f;
	struct keel_db_val last_val = {0};
	int64_t last_id = 0;
	struct keel_err err = {0};
	int more, rc;

	if (svc_ver_empty(r->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_ver_empty(r->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	rc = svc_list_limit(c, r->limit, &q.limit);
	if (rc != 0)
		return rc;
	q.project = r->project;
	q.domain = r->domain;
	q.name = svc_ver_empty(r->name) ? NULL : r->name;
	q.active_only = r->active_only;
	rc = svc_filters(c, r->filters, k->cols, k->ncols, k->cols[0].entity,
	                 k->joined, &f);
	if (rc != 0)
		return rc;
	q.filter_sql = f.sql;
	q.filter_args = f.args;
	q.filter_nargs = f.nargs;
	if (r->sort_by != NULL && !svc_ver_empty(r->sort_by->key)) {
		if (repo_ver_sort_column(k, r->sort_by->key, NULL) < 0)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid sort key '%s'",
			                  r->sort_by->key);
		q.sort_col = r->sort_by->key;
		q.ascending = r->sort_by->direction ==
		              FLYTEIDL__ADMIN__SORT__DIRECTION__ASCENDING;
	} else {
		/* Flyte Admin leaves the order to the database; Keel
		 * lists newest first, the order the console shows. */
		q.sort_col = "created_at";
		q.ascending = 0;
	}
	rc = svc_page_parse(c, r->what, r->token, q.sort_col, q.ascending, 1,
	                    &page);
	if (rc != 0)
		return rc;
	q.offset = page.offset;
	q.have_after = page.have_after;
	q.after_val = page.after_val;
	if (page.have_after &&
	    conf_parse_int(page.after_id, &q.after_id) != 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid pagination token %s for %s", r->token,
		                  r->what);
	rc = repo_ver_list(c->svc->db, c->arena, k, &q, &out->rows, &out->n,
	                   &more, &last_val, &last_id, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	out->token = (char *)"";
	if (more) {
		char *id = arena_printf(c->arena, "%lld", (long long)last_id);
		out->token = id ? svc_page_next(c, &page, out->n, q.sort_col,
		                                q.ascending, &last_val, id)
		                : NULL;
		if (out->token == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	return 0;
}

int svc_ver_list_ids(struct call *c, const struct repo_kind *k,
                     const char *what, const ProtobufCMessage *req,
                     ProtobufCMessage **resp)
{
	const Flyteidl__Admin__NamedEntityIdentifierListRequest *r =
	    (const Flyteidl__Admin__NamedEntityIdentifierListRequest *)req;
	Flyteidl__Admin__NamedEntityIdentifierList *out;
	struct keel_db_val last = {0};
	struct svc_page page;
	struct keel_err err = {0};
	const char **names;
	uint32_t limit = 0;
	size_t n;
	int more, rc;

	if (svc_ver_empty(r->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_ver_empty(r->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	rc = svc_list_limit(c, r->limit, &limit);
	if (rc != 0)
		return rc;
	/* Flyte Admin ignores filters here; the ids come in name order. */
	if (r->sort_by != NULL && !svc_ver_empty(r->sort_by->key) &&
	    strcmp(r->sort_by->key, "name") != 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid sort key '%s'", r->sort_by->key);
	rc = svc_page_parse(c, what, r->token, "name", 1, 1, &page);
	if (rc != 0)
		return rc;
	if (page.offset > 0)
		/* Offsets over distinct names would need a second scan;
		 * flytectl pages these with our tokens. */
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid pagination token %s for %s", r->token,
		                  what);
	rc = repo_ver_list_names(
	    c->svc->db, c->arena, k, r->project, r->domain, limit,
	    page.have_after ? (const char *)page.after_val.p : NULL, &names, &n,
	    &more, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	out = call_new(c, &flyteidl__admin__named_entity_identifier_list__descriptor);
	if (out == NULL || (n > 0 && (out->entities = arena_calloc(
	                                  c->arena, n,
	                                  sizeof(*out->entities))) == NULL))
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < n; i++) {
		Flyteidl__Admin__NamedEntityIdentifier *e = call_new(
		    c, &flyteidl__admin__named_entity_identifier__descriptor);
		if (e == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
		e->project = r->project;
		e->domain = r->domain;
		e->name = (char *)names[i];
		e->org = r->org;
		out->entities[i] = e;
	}
	out->n_entities = n;
	out->token = (char *)"";
	if (more) {
		last = db_str(names[n - 1]);
		page.offset = -1;
		out->token = svc_page_next(c, &page, n, "name", 1, &last,
		                           names[n - 1]);
		if (out->token == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	*resp = &out->base;
	return 0;
}
