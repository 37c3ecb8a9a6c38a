/*
 * svc_ver.c -- list pages and *Ids listings shared by the task, workflow
 * and launch-plan services (reference/flyteadmin-behaviour.md §5).
 */
#include "config.h"

#include <string.h>

#include <keel/keel_blob.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/description_entity.pb-c.h"
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

char *svc_key_part(struct arena *a, const char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *p = s; *p; p++)
		n += (*p == '/' || *p == '%') ? 3 : 1;
	out = o = arena_alloc(a, n + 1);
	if (out == NULL)
		return NULL;
	for (const char *p = s; *p; p++) {
		if (*p == '/' || *p == '%') {
			snprintf(o, 4, "%%%02X", (unsigned char)*p);
			o += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static const char *svc_ver_key(struct call *c, const struct repo_kind *k,
                               const struct repo_ver *row)
{
	const char *p = svc_key_part(c->arena, row->project);
	const char *d = svc_key_part(c->arena, row->domain);
	const char *n = svc_key_part(c->arena, row->name);
	const char *v = svc_key_part(c->arena, row->version);

	if (p == NULL || d == NULL || n == NULL || v == NULL)
		return NULL;
	return arena_printf(c->arena, "metadata/admin/%s/%s/%s/%s/%s/%s",
	                    k->table, p, d, n, v, row->digest);
}

int svc_mem_read(void *arg, void *buf, size_t cap, size_t *n)
{
	struct svc_mem *m = arg;
	size_t k = m->n - m->off < cap ? m->n - m->off : cap;

	memcpy(buf, m->p + m->off, k);
	m->off += k;
	*n = k;
	return 0;
}

int svc_ver_offload(struct call *c, const struct repo_kind *k,
                    struct repo_ver *row, const char **key)
{
	const struct keel_blob_ops *ops = c->svc->blob;
	struct svc_mem m = {row->closure, row->closure_len, 0};
	struct keel_blob_src src = {(int64_t)row->closure_len, svc_mem_read, &m};
	struct keel_err err = {0};
	size_t need = 0;
	char *uri;
	int rc;

	*key = NULL;
	if (ops == NULL || (int64_t)row->closure_len <= c->svc->closure_inline_max)
		return 0;
	*key = svc_ver_key(c, k, row);
	if (*key == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = ops->put(c->svc->blob_self, *key, &src, &err);
	if (rc != 0) {
		*key = NULL;
		return call_error(c, RPC_UNAVAILABLE,
		                  "cannot store the closure of %s [%s/%s/%s/%s] "
		                  "in the blob store: %s",
		                  k->what, row->project, row->domain, row->name,
		                  row->version, err.msg);
	}
	/* Asks for the length only: KEEL_ERANGE is expected. */
	ops->uri(c->svc->blob_self, *key, NULL, 0, &need, &err);
	uri = need > 0 ? arena_alloc(c->arena, need) : NULL;
	if (uri == NULL ||
	    ops->uri(c->svc->blob_self, *key, uri, need, &need, &err) != 0) {
		svc_ver_discard(c, *key);
		*key = NULL;
		return call_error(c, RPC_INTERNAL,
		                  "the blob store gave no URI for %s: %s",
		                  k->what, err.msg);
	}
	row->closure_uri = uri;
	row->closure = NULL;
	row->closure_len = 0;
	return 0;
}

void svc_ver_discard(struct call *c, const char *key)
{
	struct keel_err err = {0};

	if (key != NULL && c->svc->blob != NULL)
		c->svc->blob->del(c->svc->blob_self, key, &err);
}

int svc_ver_store(struct call *c, const struct repo_kind *k,
                  const Flyteidl__Core__Identifier *id,
                  const Flyteidl__Admin__DescriptionEntity *d,
                  struct repo_ver *row, svc_ver_exists_fn exists,
                  const void *mine)
{
	struct repo_description desc = {0};
	struct keel_err err = {0};
	const char *key;
	int rc;

	row->project = id->project;
	row->domain = id->domain;
	row->name = id->name;
	row->version = id->version;
	row->org = id->org;
	if (d != NULL) {
		Flyteidl__Admin__DescriptionEntity copy = *d;

		/* Stored without an id: the row's key is the id. */
		copy.id = NULL;
		desc.short_description = d->short_description;
		row->short_description = d->short_description;
		desc.entity = svc_pack(c, &copy.base, &desc.entity_len);
		if (desc.entity == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	rc = svc_ver_offload(c, k, row, &key);
	if (rc != 0)
		return rc;
	rc = repo_ver_create(c->svc->db, k, row, d != NULL ? &desc : NULL,
	                     &err);
	if (rc == KEEL_EEXIST) {
		/* An identical version's row points at the object just
		 * written; a refused one's object is removed. */
		rc = exists(c, id, row->digest, mine);
		if (rc == -RPC_INVALID_ARGUMENT)
			svc_ver_discard(c, key);
		return rc;
	}
	if (rc != 0) {
		svc_ver_discard(c, key);
		return call_fail(c, rc, err.msg);
	}
	return 0;
}

int svc_buf_write(void *arg, const void *buf, size_t n)
{
	struct svc_buf *b = arg;

	if (b->n + n > b->max)
		return KEEL_ERANGE;
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64 * 1024;
		uint8_t *p;
		while (cap < b->n + n)
			cap *= 2;
		p = arena_alloc(b->a, cap);
		if (p == NULL)
			return KEEL_ENOMEM;
		if (b->n)
			memcpy(p, b->p, b->n);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, buf, n);
	b->n += n;
	return 0;
}

int svc_ver_unpack(struct call *c, const struct repo_kind *k,
                   const struct repo_ver *row,
                   const ProtobufCMessageDescriptor *desc,
                   ProtobufCMessage **out)
{
	const uint8_t *p = row->closure;
	size_t n = row->closure_len;

	if (n == 0 && row->closure_uri != NULL && row->closure_uri[0] != '\0') {
		/* Offloaded objects are bounded like any message. */
		struct svc_buf b = {c->arena, NULL, 0, 0, 64u << 20};
		struct keel_blob_sink sink = {svc_buf_write, &b};
		struct keel_err err = {0};
		const char *key = svc_ver_key(c, k, row);
		int rc;

		if (key == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
		if (c->svc->blob == NULL)
			return call_error(c, RPC_INTERNAL,
			                  "the closure of %s [%s/%s/%s/%s] is in a "
			                  "blob store (%s) but none is configured",
			                  k->what, row->project, row->domain,
			                  row->name, row->version, row->closure_uri);
		rc = c->svc->blob->get(c->svc->blob_self, key, &sink, &err);
		if (rc != 0)
			return call_error(c, RPC_UNAVAILABLE,
			                  "cannot read the closure of %s "
			                  "[%s/%s/%s/%s] from %s: %s",
			                  k->what, row->project, row->domain,
			                  row->name, row->version, row->closure_uri,
			                  err.msg[0] ? err.msg : "read failed");
		p = b.p;
		n = b.n;
	}
	*out = protobuf_c_message_unpack(desc, arena_pb_allocator(c->arena), n,
	                                 p);
	if (*out == NULL)
		return call_error(c, RPC_INTERNAL,
		                  "stored closure of %s [%s/%s/%s/%s] does not "
		                  "decode",
		                  k->what, row->project, row->domain, row->name,
		                  row->version);
	return 0;
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

int svc_ver_list_resources(struct call *c, const struct repo_kind *k,
                           const char *what,
                           const Flyteidl__Admin__ResourceListRequest *r,
                           struct svc_ver_page *out)
{
	struct svc_ver_list_req lr = {what};

	if (r->id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	lr.project = r->id->project;
	lr.domain = r->id->domain;
	lr.name = r->id->name;
	lr.limit = r->limit;
	lr.filters = r->filters;
	lr.sort_by = r->sort_by;
	lr.token = r->token;
	return svc_ver_list(c, k, &lr, out);
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
