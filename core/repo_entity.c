/*
 * repo_entity.c -- named entities over the versioned tables.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "repo_entity.h"
#include "util.h"

#define ENTITY_FILTER_ARGS_MAX 256

/* The versioned table behind a resource type, or NULL. */
static const char *repo_entity_table(int resource_type)
{
	switch (resource_type) {
	case FLYTEIDL__CORE__RESOURCE_TYPE__TASK:
		return "tasks";
	case FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW:
		return "workflows";
	case FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN:
		return "launch_plans";
	default:
		return NULL;
	}
}

const struct filter_col repo_entity_filter_cols[] = {
	{"entities", "name", FILTER_TEXT, "t.name"},
	{"entities", "description", FILTER_TEXT, "COALESCE(m.description, '')"},
	{"entities", "state", FILTER_INT, "COALESCE(m.state, 0)"},
	{"named_entity_metadata", "name", FILTER_TEXT, "t.name"},
	{"named_entity_metadata", "description", FILTER_TEXT,
	 "COALESCE(m.description, '')"},
	/* Flyte Admin rewrites a state filter to COALESCE(state, 0) so that
	 * entities without metadata count as ACTIVE. */
	{"named_entity_metadata", "state", FILTER_INT, "COALESCE(m.state, 0)"},
};
const size_t repo_entity_filter_ncols = UTIL_ARRAY_LEN(repo_entity_filter_cols);

struct repo_entity_read {
	struct arena *a;
	struct repo_entity *rows;
	size_t n, cap;
	int nomem;
};

static int repo_entity_row(void *arg, const struct keel_db_val *cols,
                           size_t ncols)
{
	struct repo_entity_read *r = arg;
	struct repo_entity *e;

	(void)ncols;
	r->rows = arena_grow(r->a, r->rows, r->n, &r->cap, sizeof(*r->rows));
	if (r->rows == NULL)
		goto nomem;
	e = &r->rows[r->n];
	e->name = db_col_text(r->a, &cols[0], &r->nomem);
	e->description = db_col_text(r->a, &cols[1], &r->nomem);
	e->state = (int)cols[2].i;
	if (r->nomem)
		goto nomem;
	r->n++;
	return 0;
nomem:
	r->nomem = 1;
	return KEEL_ENOMEM;
}

struct repo_entity_op {
	struct repo_entity_read r;
	const char *table;
	int rt;
	const char *project, *domain, *name, *org, *description;
	int state;
	int64_t now;
	const struct repo_entity_query *q;
	const char *sql;
};

/* Does a version of the name exist?  The table name is from
 * repo_entity_table() only. */
static int repo_entity_exists(struct db_conn *c, struct repo_entity_op *o,
                              struct keel_err *err)
{
	char sql[256];
	struct keel_db_val a[3] = {db_str(o->project), db_str(o->domain),
	                           db_str(o->name)};

	util_fmt(sql, sizeof(sql),
	         "SELECT name, NULL, 0 FROM %s WHERE project = ? AND "
	         "domain = ? AND name = ? LIMIT 1",
	         o->table);
	o->r.n = 0;
	return db_query(c, sql, a, 3, repo_entity_row, &o->r, err);
}

static int repo_entity_get_tx(struct db_conn *c, void *arg,
                              struct keel_err *err)
{
	struct repo_entity_op *o = arg;
	struct keel_db_val a[4] = {db_int(o->rt), db_str(o->project),
	                           db_str(o->domain), db_str(o->name)};
	int rc = repo_entity_exists(c, o, err);

	if (rc != 0 || o->r.n == 0)
		return rc;
	o->r.n = 0;
	rc = db_query(c,
	              "SELECT name, description, state FROM "
	              "named_entity_metadata WHERE resource_type = ? AND "
	              "project = ? AND domain = ? AND name = ?",
	              a, 4, repo_entity_row, &o->r, err);
	if (rc == 0 && o->r.n == 0) {
		/* No metadata row: ACTIVE, no description. */
		struct keel_db_val row[3] = {db_str(o->name), db_null(),
		                             db_int(0)};
		rc = repo_entity_row(&o->r, row, 3);
	}
	return rc;
}

int repo_entity_get(struct db *db, struct arena *a, int resource_type,
                    const char *project, const char *domain, const char *name,
                    struct repo_entity *out, struct keel_err *err)
{
	struct repo_entity_op o = {.r = {.a = a},
	                           .table = repo_entity_table(resource_type),
	                           .rt = resource_type,
	                           .project = project,
	                           .domain = domain,
	                           .name = name};
	int rc = 0;

	if (o.table != NULL)
		rc = db_tx(db, KEEL_DB_TX_READ, repo_entity_get_tx, &o, err);
	if (rc != 0)
		return o.r.nomem ? keel_err_set(err, KEEL_ENOMEM,
		                                "out of memory")
		                 : rc;
	if (o.r.n == 0)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "entry not found: named entity [%s/%s/%s]",
		                    project, domain, name);
	*out = o.r.rows[0];
	return 0;
}

/* a: description, state, updated_at, then the key (4 values). */
static int repo_entity_update_row(struct db_conn *c,
                                  const struct keel_db_val *a,
                                  int64_t *changed, struct keel_err *err)
{
	return db_exec(c,
	               "UPDATE named_entity_metadata SET description = ?, "
	               "state = ?, updated_at = ? WHERE resource_type = ? AND "
	               "project = ? AND domain = ? AND name = ?",
	               a, 7, changed, err);
}

static int repo_entity_update_tx(struct db_conn *c, void *arg,
                                 struct keel_err *err)
{
	struct repo_entity_op *o = arg;
	struct keel_db_val a[9];
	char sql[256];
	int64_t changed = 0;
	int rc = repo_entity_exists(c, o, err);

	if (rc != 0)
		return rc;
	if (o->r.n == 0)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "entry not found: named entity [%s/%s/%s]",
		                    o->project, o->domain, o->name);
	a[0] = db_str(o->description);
	a[1] = db_int(o->state);
	a[2] = db_int(o->now);
	a[3] = db_int(o->rt);
	a[4] = db_str(o->project);
	a[5] = db_str(o->domain);
	a[6] = db_str(o->name);
	rc = repo_entity_update_row(c, a, &changed, err);
	if (rc != 0 || changed > 0)
		return rc;
	a[0] = db_int(o->rt);
	a[1] = db_str(o->project);
	a[2] = db_str(o->domain);
	a[3] = db_str(o->name);
	a[4] = db_str(o->org);
	a[5] = db_str(o->description);
	a[6] = db_int(o->state);
	a[7] = db_int(o->now);
	a[8] = db_int(o->now);
	util_fmt(sql, sizeof(sql),
	         "INSERT INTO named_entity_metadata (resource_type, project, "
	         "domain, name, org, description, state, created_at, "
	         "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)%s",
	         db_ignore_dup(c));
	rc = db_exec(c, sql, a, 9, &changed, err);
	if (rc == KEEL_EEXIST)
		changed = 0;
	else if (rc != 0)
		return rc;
	if (changed > 0)
		return 0;
	/* Another writer inserted the row since the UPDATE found none:
	 * this request is the later one, so its values win. */
	a[0] = db_str(o->description);
	a[1] = db_int(o->state);
	a[2] = db_int(o->now);
	a[3] = db_int(o->rt);
	a[4] = db_str(o->project);
	a[5] = db_str(o->domain);
	a[6] = db_str(o->name);
	return repo_entity_update_row(c, a, &changed, err);
}

int repo_entity_update(struct db *db, int resource_type, const char *project,
                       const char *domain, const char *name, const char *org,
                       const char *description, int state,
                       struct keel_err *err)
{
	struct repo_entity_op o = {.table = repo_entity_table(resource_type),
	                           .rt = resource_type,
	                           .project = project,
	                           .domain = domain,
	                           .name = name,
	                           .org = org ? org : "",
	                           .description = description ? description : "",
	                           .state = state,
	                           .now = util_now_ms()};
	struct arena *a = arena_new(0);
	int rc;

	if (o.table == NULL) {
		arena_free(a);
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "entry not found: named entity [%s/%s/%s]",
		                    project, domain, name);
	}
	if (a == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	o.r.a = a;
	rc = db_tx(db, KEEL_DB_TX_WRITE, repo_entity_update_tx, &o, err);
	arena_free(a);
	return rc;
}

static int repo_entity_list_tx(struct db_conn *c, void *arg,
                               struct keel_err *err)
{
	struct repo_entity_op *o = arg;
	const struct repo_entity_query *q = o->q;
	struct keel_db_val a[ENTITY_FILTER_ARGS_MAX + 8];
	size_t n = 0;

	o->r.n = 0;
	a[n++] = db_int(q->resource_type);
	a[n++] = db_str(q->project);
	a[n++] = db_str(q->domain);
	for (size_t i = 0; i < q->filter_nargs; i++)
		a[n++] = q->filter_args[i];
	if (q->after_name != NULL)
		a[n++] = db_str(q->after_name);
	a[n++] = db_int((int64_t)q->limit + 1);
	return db_query(c, o->sql, a, n, repo_entity_row, &o->r, err);
}

int repo_entity_list_sql(const struct repo_entity_query *q, char *sql,
                         size_t n, struct keel_err *err)
{
	const char *table = repo_entity_table(q->resource_type);
	int w;

	if (table == NULL)
		return keel_err_set(err, KEEL_ENOTFOUND, "no such entities");
	if (q->filter_nargs > ENTITY_FILTER_ARGS_MAX)
		return keel_err_set(err, KEEL_EINVAL,
		                    "too many filter values (at most %d)",
		                    ENTITY_FILTER_ARGS_MAX);
	/* Grouping the versions by name walks the table's (project,
	 * domain, name, ...) index in name order, so neither the grouping
	 * nor the order needs a sort; the metadata is one row per name, so
	 * MAX() only satisfies SQL's grouping rules. */
	w = util_fmt(sql, n,
	             "SELECT t.name, MAX(m.description), "
	             "COALESCE(MAX(m.state), 0) FROM %s t LEFT JOIN "
	             "named_entity_metadata m ON m.resource_type = ? AND "
	             "m.project = t.project AND m.domain = t.domain AND "
	             "m.name = t.name WHERE t.project = ? AND t.domain = ?"
	             "%s%s%s%s%s GROUP BY t.name ORDER BY t.name LIMIT ?",
	             table,
	             q->hide_flytegen ? " AND t.name NOT LIKE '.flytegen%'" : "",
	             q->filter_sql && *q->filter_sql ? " AND (" : "",
	             q->filter_sql && *q->filter_sql ? q->filter_sql : "",
	             q->filter_sql && *q->filter_sql ? ")" : "",
	             q->after_name ? " AND t.name > ?" : "");
	if (w <= 0 || (size_t)w >= n)
		return keel_err_set(err, KEEL_EINVAL, "filters are too long");
	return 0;
}

int repo_entity_list(struct db *db, struct arena *a,
                     const struct repo_entity_query *q,
                     struct repo_entity **rows, size_t *n, int *more,
                     struct keel_err *err)
{
	struct repo_entity_op o = {.r = {.a = a},
	                           .table = repo_entity_table(q->resource_type),
	                           .q = q};
	char sql[4096];
	int rc;

	*n = 0;
	*more = 0;
	*rows = NULL;
	if (o.table == NULL)
		return 0;
	rc = repo_entity_list_sql(q, sql, sizeof(sql), err);
	if (rc != 0)
		return rc;
	o.sql = sql;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_entity_list_tx, &o, err);
	if (rc != 0)
		return o.r.nomem ? keel_err_set(err, KEEL_ENOMEM,
		                                "out of memory")
		                 : rc;
	*more = o.r.n > q->limit;
	*n = *more ? q->limit : o.r.n;
	*rows = o.r.rows;
	return 0;
}
