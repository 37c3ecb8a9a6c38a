/*
 * repo_ver.c -- the versioned registry tables (tasks, workflows, launch
 * plans) behind one implementation.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "repo_ver.h"
#include "util.h"

#define VER_FILTER_ARGS_MAX 256

/* The models' columns, which Flyte Admin whitelists for sorting and
 * filtering alike (reference/flyteadmin-behaviour.md §5.1). */
static const struct filter_col repo_ver_task_cols[] = {
	{"task", "project", FILTER_TEXT, "e.project"},
	{"task", "domain", FILTER_TEXT, "e.domain"},
	{"task", "name", FILTER_TEXT, "e.name"},
	{"task", "version", FILTER_TEXT, "e.version"},
	{"task", "type", FILTER_TEXT, "e.type"},
	{"task", "digest", FILTER_TEXT, "e.digest"},
	{"task", "org", FILTER_TEXT, "e.org"},
	{"task", "short_description", FILTER_TEXT, "e.short_description"},
	{"task", "created_at", FILTER_INT, "e.created_at"},
	{"task", "updated_at", FILTER_INT, "e.updated_at"},
};

static const struct filter_col repo_ver_workflow_cols[] = {
	{"workflow", "project", FILTER_TEXT, "e.project"},
	{"workflow", "domain", FILTER_TEXT, "e.domain"},
	{"workflow", "name", FILTER_TEXT, "e.name"},
	{"workflow", "version", FILTER_TEXT, "e.version"},
	{"workflow", "digest", FILTER_TEXT, "e.digest"},
	{"workflow", "org", FILTER_TEXT, "e.org"},
	{"workflow", "short_description", FILTER_TEXT, "e.short_description"},
	{"workflow", "created_at", FILTER_INT, "e.created_at"},
	{"workflow", "updated_at", FILTER_INT, "e.updated_at"},
};

/* Launch plans may also filter on their workflow's columns, which Flyte
 * Admin reaches through a join it always makes. */
static const struct filter_col repo_ver_lp_cols[] = {
	{"launch_plan", "project", FILTER_TEXT, "e.project"},
	{"launch_plan", "domain", FILTER_TEXT, "e.domain"},
	{"launch_plan", "name", FILTER_TEXT, "e.name"},
	{"launch_plan", "version", FILTER_TEXT, "e.version"},
	{"launch_plan", "digest", FILTER_TEXT, "e.digest"},
	{"launch_plan", "org", FILTER_TEXT, "e.org"},
	{"launch_plan", "state", FILTER_INT, "e.state"},
	{"launch_plan", "schedule_type", FILTER_TEXT, "e.schedule_type"},
	{"launch_plan", "launch_condition_type", FILTER_TEXT,
	 "e.launch_condition_type"},
	{"launch_plan", "workflow_id", FILTER_INT, "e.workflow_id"},
	{"launch_plan", "created_at", FILTER_INT, "e.created_at"},
	{"launch_plan", "updated_at", FILTER_INT, "e.updated_at"},
	{"workflow", "project", FILTER_TEXT, "w.project"},
	{"workflow", "domain", FILTER_TEXT, "w.domain"},
	{"workflow", "name", FILTER_TEXT, "w.name"},
	{"workflow", "version", FILTER_TEXT, "w.version"},
	{"workflow", "digest", FILTER_TEXT, "w.digest"},
	{"workflow", "short_description", FILTER_TEXT, "w.short_description"},
	{"workflow", "created_at", FILTER_INT, "w.created_at"},
	{"workflow", "updated_at", FILTER_INT, "w.updated_at"},
};

static const char *const repo_ver_lp_joined[] = {"workflow", NULL};

const struct repo_kind repo_kind_task = {
    "tasks", "task", FLYTEIDL__CORE__RESOURCE_TYPE__TASK, repo_ver_task_cols,
    UTIL_ARRAY_LEN(repo_ver_task_cols), NULL, "tasks e", "e.closure",
    "e.type, 0, 0"};
const struct repo_kind repo_kind_workflow = {
    "workflows", "workflow", FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW,
    repo_ver_workflow_cols, UTIL_ARRAY_LEN(repo_ver_workflow_cols), NULL,
    "workflows e", "e.interface", "'', 0, 0"};
const struct repo_kind repo_kind_launch_plan = {
    "launch_plans", "launch plan", FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN,
    repo_ver_lp_cols, UTIL_ARRAY_LEN(repo_ver_lp_cols), repo_ver_lp_joined,
    "launch_plans e JOIN workflows w ON w.id = e.workflow_id", "e.closure",
    "e.schedule_type, e.state, e.workflow_id"};

int repo_ver_sort_column(const struct repo_kind *k, const char *key,
                         int *integer)
{
	/* Sort keys are the primary entity's own columns only. */
	for (size_t i = 0; i < k->ncols; i++)
		if (strcmp(k->cols[i].entity, k->cols[0].entity) == 0 &&
		    strcmp(k->cols[i].name, key) == 0) {
			if (integer != NULL)
				*integer = k->cols[i].type == FILTER_INT;
			return (int)i;
		}
	return -1;
}

/* ---- writing ---------------------------------------------------------- */

struct repo_ver_write {
	const struct repo_kind *k;
	const struct repo_ver *v;
	const struct repo_description *d;
	int64_t now;
};

static int repo_ver_create_tx(struct db_conn *c, void *arg,
                              struct keel_err *err)
{
	struct repo_ver_write *w = arg;
	const struct repo_ver *v = w->v;
	const struct repo_kind *k = w->k;
	struct keel_db_val a[16];
	const char *tail;
	char sql[768];
	size_t n = 0;
	int rc;

	a[n++] = db_str(v->project);
	a[n++] = db_str(v->domain);
	a[n++] = db_str(v->name);
	a[n++] = db_str(v->version);
	a[n++] = db_str(v->org ? v->org : "");
	a[n++] = db_str(v->short_description ? v->short_description : "");
	a[n++] = db_str(v->digest);
	a[n++] = v->closure_len > 0 ? db_blob(v->closure, v->closure_len)
	                            : db_null();
	a[n++] = db_str(v->closure_uri ? v->closure_uri : "");
	a[n++] = db_int(v->created_at);
	a[n++] = db_int(w->now);
	if (k == &repo_kind_task) {
		a[n++] = db_str(v->type ? v->type : "");
		tail = ", type) VALUES (?, ?, ?, ?, "
		         "?, ?, ?, ?, ?, ?, ?, ?)";
	} else if (k == &repo_kind_workflow) {
		a[n++] = db_blob(v->iface, v->iface_len);
		tail = ", interface) VALUES (?, ?, ?, "
		         "?, ?, ?, ?, ?, ?, ?, ?, ?)";
	} else {
		int sched = v->type != NULL && strcmp(v->type, "NONE") != 0;
		a[n++] = db_str(v->type ? v->type : "NONE");
		a[n++] = db_int(v->state);
		a[n++] = db_int(v->workflow_id);
		a[n++] = db_str(sched ? "SCHED" : "");
		tail = ", schedule_type, state, "
		         "workflow_id, launch_condition_type) VALUES (?, ?, ?, ?, "
		         "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	}
	util_fmt(sql, sizeof(sql),
	         "INSERT INTO %s (project, domain, name, version, org, "
	         "short_description, digest, closure, closure_uri, created_at, "
	         "updated_at%s",
	         k->table, tail);
	rc = db_exec(c, sql, a, n, NULL, err);
	if (rc == KEEL_EEXIST)
		return keel_err_set(err, KEEL_EEXIST,
		                    "%s [%s/%s/%s/%s] already exists", k->what,
		                    v->project, v->domain, v->name, v->version);
	if (rc != 0 || w->d == NULL)
		return rc;
	a[0] = db_int(k->resource_type);
	a[1] = db_str(v->project);
	a[2] = db_str(v->domain);
	a[3] = db_str(v->name);
	a[4] = db_str(v->version);
	a[5] = db_str(v->org ? v->org : "");
	a[6] = db_str(w->d->short_description ? w->d->short_description : "");
	a[7] = db_blob(w->d->entity, w->d->entity_len);
	a[8] = db_int(v->created_at);
	a[9] = db_int(w->now);
	rc = db_exec(c,
	             "INSERT INTO description_entities (resource_type, "
	             "project, domain, name, version, org, short_description, "
	             "entity, created_at, updated_at) "
	             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	             a, 10, NULL, err);
	if (rc == KEEL_EEXIST)
		/* Flyte Admin fails the whole create the same way. */
		return keel_err_set(err, KEEL_EEXIST,
		                    "description entity for %s "
		                    "[%s/%s/%s/%s] already exists",
		                    k->what, v->project, v->domain, v->name,
		                    v->version);
	return rc;
}

int repo_ver_create(struct db *db, const struct repo_kind *k,
                    const struct repo_ver *v,
                    const struct repo_description *d, struct keel_err *err)
{
	struct repo_ver_write w = {.k = k, .v = v, .d = d,
	                           .now = util_now_ms()};

	return db_tx(db, KEEL_DB_TX_WRITE, repo_ver_create_tx, &w, err);
}

/* ---- reading ---------------------------------------------------------- */

/* Column order of every read: these, the blob, the kind's extra three
 * (type, state, workflow_id), closure_uri, then the sort value on lists. */
#define REPO_VER_HEAD                                                         \
	"e.project, e.domain, e.name, e.version, e.org, "                     \
	"e.short_description, e.digest, e.created_at, e.updated_at, e.id"
#define REPO_VER_TAIL ", e.closure_uri"
#define REPO_VER_NCOLS 15

struct repo_ver_read {
	struct arena *a;
	struct repo_ver *rows;
	struct keel_db_val *vals; /* each row's sort value, when selected */
	size_t n, cap, vcap;
	int nomem;
};

static int repo_ver_row(void *arg, const struct keel_db_val *cols,
                        size_t ncols)
{
	struct repo_ver_read *r = arg;
	struct repo_ver *v;

	r->rows = arena_grow(r->a, r->rows, r->n, &r->cap, sizeof(*r->rows));
	if (r->rows == NULL)
		goto nomem;
	v = &r->rows[r->n];
	memset(v, 0, sizeof(*v));
	v->project = db_col_text(r->a, &cols[0], &r->nomem);
	v->domain = db_col_text(r->a, &cols[1], &r->nomem);
	v->name = db_col_text(r->a, &cols[2], &r->nomem);
	v->version = db_col_text(r->a, &cols[3], &r->nomem);
	v->org = db_col_text(r->a, &cols[4], &r->nomem);
	v->short_description = db_col_text(r->a, &cols[5], &r->nomem);
	v->digest = db_col_text(r->a, &cols[6], &r->nomem);
	v->created_at = cols[7].i;
	v->updated_at = cols[8].i;
	v->id = cols[9].i;
	if (cols[10].type == KEEL_DB_BLOB && cols[10].n > 0) {
		uint8_t *b = arena_alloc(r->a, cols[10].n);
		if (b == NULL)
			goto nomem;
		memcpy(b, cols[10].p, cols[10].n);
		v->closure = b;
		v->closure_len = cols[10].n;
	}
	v->type = db_col_text(r->a, &cols[11], &r->nomem);
	v->state = (int)cols[12].i;
	v->workflow_id = cols[13].i;
	v->closure_uri = db_col_text(r->a, &cols[14], &r->nomem);
	if (ncols > REPO_VER_NCOLS) {
		struct keel_db_val *sv;
		r->vals = arena_grow(r->a, r->vals, r->n, &r->vcap,
		                     sizeof(*r->vals));
		if (r->vals == NULL)
			goto nomem;
		sv = &r->vals[r->n];
		*sv = cols[REPO_VER_NCOLS];
		if (sv->type == KEEL_DB_TEXT || sv->type == KEEL_DB_BLOB) {
			sv->p = arena_strndup(r->a, sv->p, sv->n);
			if (sv->p == NULL)
				goto nomem;
		}
	}
	if (r->nomem)
		goto nomem;
	r->n++;
	return 0;
nomem:
	r->nomem = 1;
	return KEEL_ENOMEM;
}

struct repo_ver_get {
	struct repo_ver_read r;
	const char *sql;
	const char *key[4];
};

static int repo_ver_get_tx(struct db_conn *c, void *arg,
                           struct keel_err *err)
{
	struct repo_ver_get *g = arg;
	struct keel_db_val a[4];

	for (int i = 0; i < 4; i++)
		a[i] = db_str(g->key[i]);
	g->r.n = 0;
	return db_query(c, g->sql, a, 4, repo_ver_row, &g->r, err);
}

int repo_ver_get(struct db *db, struct arena *a, const struct repo_kind *k,
                 const char *project, const char *domain, const char *name,
                 const char *version, struct repo_ver *out,
                 struct keel_err *err)
{
	struct repo_ver_get g = {.r = {.a = a},
	                         .key = {project, domain, name, version}};
	char sql[512];
	int rc;

	util_fmt(sql, sizeof(sql),
	         "SELECT " REPO_VER_HEAD ", e.closure, %s" REPO_VER_TAIL
	         " FROM %s WHERE "
	         "e.project = ? AND e.domain = ? AND e.name = ? AND "
	         "e.version = ?",
	         k->extra, k->from);
	g.sql = sql;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_ver_get_tx, &g, err);
	if (rc != 0)
		return g.r.nomem ? keel_err_set(err, KEEL_ENOMEM,
		                                "out of memory")
		                 : rc;
	if (g.r.n == 0)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "entry not found: %s [%s/%s/%s/%s]", k->what,
		                    project, domain, name, version);
	*out = g.r.rows[0];
	return 0;
}

struct repo_ver_idq {
	const char *sql;
	const char *key[4];
	int64_t id;
	int found;
};

static int repo_ver_id_row(void *arg, const struct keel_db_val *cols,
                           size_t ncols)
{
	struct repo_ver_idq *q = arg;

	if (ncols > 0) {
		q->id = cols[0].i;
		q->found = 1;
	}
	return 1;
}

static int repo_ver_id_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct repo_ver_idq *q = arg;
	struct keel_db_val a[4];

	for (int i = 0; i < 4; i++)
		a[i] = db_str(q->key[i]);
	q->found = 0;
	return db_query(c, q->sql, a, 4, repo_ver_id_row, q, err);
}

int repo_ver_id(struct db *db, const struct repo_kind *k, const char *project,
                const char *domain, const char *name, const char *version,
                int64_t *id, struct keel_err *err)
{
	struct repo_ver_idq q = {.key = {project, domain, name, version}};
	char sql[256];
	int rc;

	util_fmt(sql, sizeof(sql),
	         "SELECT id FROM %s WHERE project = ? AND domain = ? AND "
	         "name = ? AND version = ?",
	         k->table);
	q.sql = sql;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_ver_id_tx, &q, err);
	if (rc != 0)
		return rc;
	if (!q.found)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "entry not found: %s [%s/%s/%s/%s]", k->what,
		                    project, domain, name, version);
	*id = q.id;
	return 0;
}

struct repo_ver_list {
	struct repo_ver_read r;
	const struct repo_ver_query *q;
	const char *sql;
};

static int repo_ver_list_tx(struct db_conn *c, void *arg,
                            struct keel_err *err)
{
	struct repo_ver_list *l = arg;
	const struct repo_ver_query *q = l->q;
	struct keel_db_val a[VER_FILTER_ARGS_MAX + 8];
	size_t n = 0;

	l->r.n = 0;
	a[n++] = db_str(q->project);
	a[n++] = db_str(q->domain);
	if (q->name != NULL)
		a[n++] = db_str(q->name);
	for (size_t i = 0; i < q->filter_nargs; i++)
		a[n++] = q->filter_args[i];
	if (q->have_after) {
		a[n++] = q->after_val;
		a[n++] = q->after_val;
		a[n++] = db_int(q->after_id);
	}
	a[n++] = db_int((int64_t)q->limit + 1);
	if (q->offset >= 0)
		a[n++] = db_int(q->offset);
	return db_query(c, l->sql, a, n, repo_ver_row, &l->r, err);
}

int repo_ver_list_sql(const struct repo_kind *k,
                      const struct repo_ver_query *q, char *sql, size_t n,
                      struct keel_err *err)
{
	const char *dir = q->ascending ? "ASC" : "DESC";
	const char *cmp = q->ascending ? ">" : "<";
	const char *fs = q->filter_sql && *q->filter_sql ? q->filter_sql : NULL;
	int i, w;

	/* The column is spliced: it must come from the whitelist. */
	i = repo_ver_sort_column(k, q->sort_col, NULL);
	if (i < 0)
		return keel_err_set(err, KEEL_EINVAL, "invalid sort key '%s'",
		                    q->sort_col);
	if (q->filter_nargs > VER_FILTER_ARGS_MAX)
		return keel_err_set(err, KEEL_EINVAL,
		                    "too many filter values (at most %d)",
		                    VER_FILTER_ARGS_MAX);
	{
		const char *col = k->cols[i].sql;
		w = util_fmt(sql, n,
		             "SELECT " REPO_VER_HEAD ", %s, %s" REPO_VER_TAIL
		             ", %s FROM %s WHERE "
		             "e.project = ? AND e.domain = ?%s%s%s%s%s",
		             k->list_blob, k->extra, col, k->from,
		             q->name ? " AND e.name = ?" : "",
		             q->active_only ? " AND e.state = 1" : "",
		             fs ? " AND (" : "", fs ? fs : "", fs ? ")" : "");
		if (q->have_after && w > 0 && (size_t)w < n)
			w += util_fmt(sql + w, n - (size_t)w,
			              " AND (%s %s ? OR (%s = ? AND e.id %s ?))",
			              col, cmp, col, cmp);
		if (w > 0 && (size_t)w < n)
			w += util_fmt(sql + w, n - (size_t)w,
			              " ORDER BY %s %s, e.id %s LIMIT ?%s", col,
			              dir, dir, q->offset >= 0 ? " OFFSET ?" : "");
	}
	if (w <= 0 || (size_t)w >= n)
		return keel_err_set(err, KEEL_EINVAL, "filters are too long");
	return 0;
}

int repo_ver_list(struct db *db, struct arena *a, const struct repo_kind *k,
                  const struct repo_ver_query *q, struct repo_ver **rows,
                  size_t *n, int *more, struct keel_db_val *last_val,
                  int64_t *last_id, struct keel_err *err)
{
	struct repo_ver_list l = {.r = {.a = a}, .q = q};
	char sql[4096];
	int rc;

	rc = repo_ver_list_sql(k, q, sql, sizeof(sql), err);
	if (rc != 0)
		return rc;
	l.sql = sql;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_ver_list_tx, &l, err);
	if (rc != 0)
		return l.r.nomem ? keel_err_set(err, KEEL_ENOMEM,
		                                "out of memory")
		                 : rc;
	*more = l.r.n > q->limit;
	if (*more)
		l.r.n = q->limit;
	*rows = l.r.rows;
	*n = l.r.n;
	if (*more && l.r.n > 0) {
		*last_val = l.r.vals[l.r.n - 1];
		*last_id = l.r.rows[l.r.n - 1].id;
	}
	return 0;
}

/* ---- names ------------------------------------------------------------ */

void repo_ver_names_sql(const struct repo_kind *k, int after, char *sql,
                        size_t n)
{
	/* The unique key's prefix (project, domain, name) serves the
	 * DISTINCT in order, no temporary sort. */
	util_fmt(sql, n,
	         "SELECT DISTINCT name FROM %s WHERE project = ? AND domain = ?"
	         "%s ORDER BY name LIMIT ?",
	         k->table, after ? " AND name > ?" : "");
}

struct repo_ver_names {
	struct arena *a;
	const char *sql;
	const char *key[2];
	const char *after;
	uint32_t limit;
	const char **names;
	size_t n, cap;
	int nomem;
};

static int repo_ver_name_row(void *arg, const struct keel_db_val *cols,
                             size_t ncols)
{
	struct repo_ver_names *r = arg;

	(void)ncols;
	r->names = arena_grow(r->a, r->names, r->n, &r->cap, sizeof(*r->names));
	if (r->names == NULL)
		goto nomem;
	r->names[r->n] = db_col_text(r->a, &cols[0], &r->nomem);
	if (r->nomem)
		goto nomem;
	r->n++;
	return 0;
nomem:
	r->nomem = 1;
	return KEEL_ENOMEM;
}

static int repo_ver_names_tx(struct db_conn *c, void *arg,
                             struct keel_err *err)
{
	struct repo_ver_names *r = arg;
	struct keel_db_val a[4];
	size_t n = 0;

	r->n = 0;
	a[n++] = db_str(r->key[0]);
	a[n++] = db_str(r->key[1]);
	if (r->after != NULL)
		a[n++] = db_str(r->after);
	a[n++] = db_int((int64_t)r->limit + 1);
	return db_query(c, r->sql, a, n, repo_ver_name_row, r, err);
}

int repo_ver_list_names(struct db *db, struct arena *a,
                        const struct repo_kind *k, const char *project,
                        const char *domain, uint32_t limit,
                        const char *after_name, const char ***names,
                        size_t *n, int *more, struct keel_err *err)
{
	struct repo_ver_names r = {.a = a,
	                           .key = {project, domain},
	                           .after = after_name,
	                           .limit = limit};
	char sql[256];
	int rc;

	repo_ver_names_sql(k, after_name != NULL, sql, sizeof(sql));
	r.sql = sql;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_ver_names_tx, &r, err);
	if (rc != 0)
		return r.nomem ? keel_err_set(err, KEEL_ENOMEM, "out of memory")
		               : rc;
	*more = r.n > limit;
	if (*more)
		r.n = limit;
	*names = r.names;
	*n = r.n;
	return 0;
}
