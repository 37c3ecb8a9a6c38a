/* repo_description.c -- see repo_description.h. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "repo_description.h"
#include "util.h"

#define DESC_FILTER_ARGS_MAX 256
#define DESC_COLS "project, domain, name, version, org, entity, created_at, id"

const struct filter_col repo_description_filter_cols[] = {
	{"description_entity", "name", FILTER_TEXT, "name"},
	{"description_entity", "version", FILTER_TEXT, "version"},
	{"description_entity", "short_description", FILTER_TEXT,
	 "short_description"},
	{"description_entity", "created_at", FILTER_INT, "created_at"},
};
const size_t repo_description_filter_ncols =
    UTIL_ARRAY_LEN(repo_description_filter_cols);

struct repo_description_read {
	struct arena *a;
	struct repo_description_row *rows;
	size_t n, cap;
	int nomem;
	const struct repo_description_query *q;
	const char *sql;
	struct keel_db_val key[5];
};

static int repo_description_row(void *arg, const struct keel_db_val *cols,
                                size_t ncols)
{
	struct repo_description_read *r = arg;
	struct repo_description_row *d;

	(void)ncols;
	r->rows = arena_grow(r->a, r->rows, r->n, &r->cap, sizeof(*r->rows));
	if (r->rows == NULL)
		goto nomem;
	d = &r->rows[r->n];
	memset(d, 0, sizeof(*d));
	d->project = db_col_text(r->a, &cols[0], &r->nomem);
	d->domain = db_col_text(r->a, &cols[1], &r->nomem);
	d->name = db_col_text(r->a, &cols[2], &r->nomem);
	d->version = db_col_text(r->a, &cols[3], &r->nomem);
	d->org = db_col_text(r->a, &cols[4], &r->nomem);
	if (cols[5].type == KEEL_DB_BLOB && cols[5].n > 0) {
		uint8_t *b = arena_alloc(r->a, cols[5].n);
		if (b == NULL)
			goto nomem;
		memcpy(b, cols[5].p, cols[5].n);
		d->entity = b;
		d->entity_len = cols[5].n;
	}
	d->created_at = cols[6].i;
	d->id = cols[7].i;
	if (r->nomem)
		goto nomem;
	r->n++;
	return 0;
nomem:
	r->nomem = 1;
	return KEEL_ENOMEM;
}

static int repo_description_get_tx(struct db_conn *c, void *arg,
                                   struct keel_err *err)
{
	struct repo_description_read *r = arg;

	r->n = 0;
	return db_query(c,
	                "SELECT " DESC_COLS " FROM description_entities WHERE "
	                "resource_type = ? AND project = ? AND domain = ? AND "
	                "name = ? AND version = ?",
	                r->key, 5, repo_description_row, r, err);
}

int repo_description_get(struct db *db, struct arena *a, int resource_type,
                         const char *project, const char *domain,
                         const char *name, const char *version,
                         struct repo_description_row *out,
                         struct keel_err *err)
{
	struct repo_description_read r = {
	    .a = a,
	    .key = {db_int(resource_type), db_str(project), db_str(domain),
	            db_str(name), db_str(version)}};
	int rc = db_tx(db, KEEL_DB_TX_READ, repo_description_get_tx, &r, err);

	if (rc != 0)
		return r.nomem ? keel_err_set(err, KEEL_ENOMEM, "out of memory")
		               : rc;
	if (r.n == 0)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "entry not found: description entity "
		                    "[%s/%s/%s/%s]",
		                    project, domain, name, version);
	*out = r.rows[0];
	return 0;
}

static int repo_description_list_tx(struct db_conn *c, void *arg,
                                    struct keel_err *err)
{
	struct repo_description_read *r = arg;
	const struct repo_description_query *q = r->q;
	struct keel_db_val a[DESC_FILTER_ARGS_MAX + 8];
	size_t n = 0;

	r->n = 0;
	a[n++] = db_int(q->resource_type);
	a[n++] = db_str(q->project);
	a[n++] = db_str(q->domain);
	if (q->name != NULL)
		a[n++] = db_str(q->name);
	for (size_t i = 0; i < q->filter_nargs; i++)
		a[n++] = q->filter_args[i];
	if (q->have_after) {
		a[n++] = db_int(q->after_created);
		a[n++] = db_int(q->after_created);
		a[n++] = db_int(q->after_id);
	}
	a[n++] = db_int((int64_t)q->limit + 1);
	return db_query(c, r->sql, a, n, repo_description_row, r, err);
}

int repo_description_list_sql(const struct repo_description_query *q,
                              char *sql, size_t n, struct keel_err *err)
{
	int w;

	if (q->filter_nargs > DESC_FILTER_ARGS_MAX)
		return keel_err_set(err, KEEL_EINVAL,
		                    "too many filter values (at most %d)",
		                    DESC_FILTER_ARGS_MAX);
	w = util_fmt(sql, n,
	             "SELECT " DESC_COLS " FROM description_entities WHERE "
	             "resource_type = ? AND project = ? AND domain = ?%s%s%s%s%s "
	             "ORDER BY created_at DESC, id DESC LIMIT ?",
	             q->name ? " AND name = ?" : "",
	             q->filter_sql && *q->filter_sql ? " AND (" : "",
	             q->filter_sql && *q->filter_sql ? q->filter_sql : "",
	             q->filter_sql && *q->filter_sql ? ")" : "",
	             q->have_after ? " AND (created_at < ? OR (created_at = ? "
	                             "AND id < ?))"
	                           : "");
	if (w <= 0 || (size_t)w >= n)
		return keel_err_set(err, KEEL_EINVAL, "filters are too long");
	return 0;
}

int repo_description_list(struct db *db, struct arena *a,
                          const struct repo_description_query *q,
                          struct repo_description_row **rows, size_t *n,
                          int *more, struct keel_err *err)
{
	struct repo_description_read r = {.a = a, .q = q};
	char sql[4096];
	int rc;

	rc = repo_description_list_sql(q, sql, sizeof(sql), err);
	if (rc != 0)
		return rc;
	r.sql = sql;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_description_list_tx, &r, err);
	if (rc != 0)
		return r.nomem ? keel_err_set(err, KEEL_ENOMEM, "out of memory")
		               : rc;
	*more = r.n > q->limit;
	*n = *more ? q->limit : r.n;
	*rows = r.rows;
	return 0;
}
