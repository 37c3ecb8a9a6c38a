/*
 * repo_task.c -- the tasks table.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "repo_task.h"
#include "util.h"

#define TASK_FILTER_ARGS_MAX 256

/* The model's columns, which Flyte Admin whitelists for sorting and
 * filtering alike. */
static const struct {
	const char *name;
	int integer;
} repo_task_cols[] = {
	{"project", 0}, {"domain", 0},     {"name", 0},
	{"version", 0}, {"type", 0},       {"digest", 0},
	{"org", 0},     {"short_description", 0},
	{"created_at", 1}, {"updated_at", 1},
};

const struct filter_col repo_task_filter_cols[] = {
	{"task", "project", FILTER_TEXT, "project"},
	{"task", "domain", FILTER_TEXT, "domain"},
	{"task", "name", FILTER_TEXT, "name"},
	{"task", "version", FILTER_TEXT, "version"},
	{"task", "type", FILTER_TEXT, "type"},
	{"task", "digest", FILTER_TEXT, "digest"},
	{"task", "org", FILTER_TEXT, "org"},
	{"task", "short_description", FILTER_TEXT, "short_description"},
	{"task", "created_at", FILTER_INT, "created_at"},
	{"task", "updated_at", FILTER_INT, "updated_at"},
};
const size_t repo_task_filter_ncols = UTIL_ARRAY_LEN(repo_task_filter_cols);

int repo_task_sort_column(const char *key, int *integer)
{
	for (size_t i = 0; i < UTIL_ARRAY_LEN(repo_task_cols); i++)
		if (strcmp(repo_task_cols[i].name, key) == 0) {
			if (integer != NULL)
				*integer = repo_task_cols[i].integer;
			return (int)i;
		}
	return -1;
}

/* ---- writing ---------------------------------------------------------- */

struct repo_task_write {
	const struct repo_task *t;
	const struct repo_description *d;
	int64_t now;
};

static int repo_task_create_tx(struct db_conn *c, void *arg,
                               struct keel_err *err)
{
	struct repo_task_write *w = arg;
	const struct repo_task *t = w->t;
	struct keel_db_val a[12];
	int rc;

	a[0] = db_str(t->project);
	a[1] = db_str(t->domain);
	a[2] = db_str(t->name);
	a[3] = db_str(t->version);
	a[4] = db_str(t->org ? t->org : "");
	a[5] = db_str(t->type ? t->type : "");
	a[6] = db_str(t->short_description ? t->short_description : "");
	a[7] = db_str(t->digest);
	a[8] = db_blob(t->closure, t->closure_len);
	a[9] = db_int(t->created_at);
	a[10] = db_int(w->now);
	rc = db_exec(c,
	             "INSERT INTO tasks (project, domain, name, version, org, "
	             "type, short_description, digest, closure, created_at, "
	             "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	             a, 11, NULL, err);
	if (rc == KEEL_EEXIST)
		return keel_err_set(err, KEEL_EEXIST,
		                    "task [%s/%s/%s/%s] already exists",
		                    t->project, t->domain, t->name, t->version);
	if (rc != 0 || w->d == NULL)
		return rc;
	a[0] = db_int(FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
	a[1] = db_str(t->project);
	a[2] = db_str(t->domain);
	a[3] = db_str(t->name);
	a[4] = db_str(t->version);
	a[5] = db_str(t->org ? t->org : "");
	a[6] = db_str(w->d->short_description ? w->d->short_description : "");
	a[7] = db_blob(w->d->entity, w->d->entity_len);
	a[8] = db_int(t->created_at);
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
		                    "description entity for task "
		                    "[%s/%s/%s/%s] already exists",
		                    t->project, t->domain, t->name, t->version);
	return rc;
}

int repo_task_create(struct db *db, const struct repo_task *t,
                     const struct repo_description *d, struct keel_err *err)
{
	struct repo_task_write w = {.t = t, .d = d, .now = util_now_ms()};

	return db_tx(db, KEEL_DB_TX_WRITE, repo_task_create_tx, &w, err);
}

/* ---- reading ---------------------------------------------------------- */

#define REPO_TASK_COLS                                                        \
	"project, domain, name, version, org, type, short_description, "      \
	"digest, closure, created_at, id"
#define REPO_TASK_NCOLS 11

struct repo_task_read {
	struct arena *a;
	struct repo_task *rows;
	struct keel_db_val *vals; /* each row's sort value, when selected */
	size_t n, cap;
	int nomem;
};

static int repo_task_row(void *arg, const struct keel_db_val *cols,
                         size_t ncols)
{
	struct repo_task_read *r = arg;
	struct repo_task *t;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct repo_task *v = arena_alloc(r->a, cap * sizeof(*v));
		struct keel_db_val *sv = arena_alloc(r->a, cap * sizeof(*sv));
		if (v == NULL || sv == NULL)
			goto nomem;
		if (r->n) {
			memcpy(v, r->rows, r->n * sizeof(*v));
			memcpy(sv, r->vals, r->n * sizeof(*sv));
		}
		r->rows = v;
		r->vals = sv;
		r->cap = cap;
	}
	t = &r->rows[r->n];
	memset(t, 0, sizeof(*t));
	t->project = db_col_text(r->a, &cols[0], &r->nomem);
	t->domain = db_col_text(r->a, &cols[1], &r->nomem);
	t->name = db_col_text(r->a, &cols[2], &r->nomem);
	t->version = db_col_text(r->a, &cols[3], &r->nomem);
	t->org = db_col_text(r->a, &cols[4], &r->nomem);
	t->type = db_col_text(r->a, &cols[5], &r->nomem);
	t->short_description = db_col_text(r->a, &cols[6], &r->nomem);
	t->digest = db_col_text(r->a, &cols[7], &r->nomem);
	if (cols[8].type == KEEL_DB_BLOB && cols[8].n > 0) {
		uint8_t *b = arena_alloc(r->a, cols[8].n);
		if (b == NULL)
			goto nomem;
		memcpy(b, cols[8].p, cols[8].n);
		t->closure = b;
		t->closure_len = cols[8].n;
	}
	t->created_at = cols[9].i;
	t->id = cols[10].i;
	if (ncols > REPO_TASK_NCOLS) {
		struct keel_db_val *sv = &r->vals[r->n];
		*sv = cols[REPO_TASK_NCOLS];
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

struct repo_task_get {
	struct repo_task_read r;
	const char *key[4];
};

static int repo_task_get_tx(struct db_conn *c, void *arg,
                            struct keel_err *err)
{
	struct repo_task_get *g = arg;
	struct keel_db_val a[4];

	for (int i = 0; i < 4; i++)
		a[i] = db_str(g->key[i]);
	g->r.n = 0;
	return db_query(c,
	                "SELECT " REPO_TASK_COLS " FROM tasks WHERE project = ? "
	                "AND domain = ? AND name = ? AND version = ?",
	                a, 4, repo_task_row, &g->r, err);
}

int repo_task_get(struct db *db, struct arena *a, const char *project,
                  const char *domain, const char *name, const char *version,
                  struct repo_task *out, struct keel_err *err)
{
	struct repo_task_get g = {.r = {.a = a},
	                          .key = {project, domain, name, version}};
	int rc;

	rc = db_tx(db, KEEL_DB_TX_READ, repo_task_get_tx, &g, err);
	if (rc != 0)
		return g.r.nomem ? keel_err_set(err, KEEL_ENOMEM,
		                                "out of memory")
		                 : rc;
	if (g.r.n == 0)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "entry not found: task [%s/%s/%s/%s]",
		                    project, domain, name, version);
	*out = g.r.rows[0];
	return 0;
}

struct repo_task_list {
	struct repo_task_read r;
	const struct repo_task_query *q;
	const char *sql;
};

static int repo_task_list_tx(struct db_conn *c, void *arg,
                             struct keel_err *err)
{
	struct repo_task_list *l = arg;
	const struct repo_task_query *q = l->q;
	struct keel_db_val a[TASK_FILTER_ARGS_MAX + 8];
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
	return db_query(c, l->sql, a, n, repo_task_row, &l->r, err);
}

int repo_task_list_sql(const struct repo_task_query *q, char *sql, size_t n,
                       struct keel_err *err)
{
	const char *dir = q->ascending ? "ASC" : "DESC";
	const char *cmp = q->ascending ? ">" : "<";
	const char *col = q->sort_col;
	int w;

	/* col is spliced: it must come from the whitelist. */
	if (repo_task_sort_column(col, NULL) < 0)
		return keel_err_set(err, KEEL_EINVAL, "invalid sort key '%s'",
		                    col);
	if (q->filter_nargs > TASK_FILTER_ARGS_MAX)
		return keel_err_set(err, KEEL_EINVAL,
		                    "too many filter values (at most %d)",
		                    TASK_FILTER_ARGS_MAX);
	w = util_fmt(sql, n,
	             "SELECT " REPO_TASK_COLS ", %s FROM tasks WHERE project = ? "
	             "AND domain = ?%s%s%s%s",
	             col, q->name ? " AND name = ?" : "",
	             q->filter_sql && *q->filter_sql ? " AND (" : "",
	             q->filter_sql && *q->filter_sql ? q->filter_sql : "",
	             q->filter_sql && *q->filter_sql ? ")" : "");
	if (q->have_after && w > 0 && (size_t)w < n)
		w += util_fmt(sql + w, n - (size_t)w,
		              " AND (%s %s ? OR (%s = ? AND id %s ?))", col, cmp,
		              col, cmp);
	if (w > 0 && (size_t)w < n)
		w += util_fmt(sql + w, n - (size_t)w,
		              " ORDER BY %s %s, id %s LIMIT ?%s", col, dir, dir,
		              q->offset >= 0 ? " OFFSET ?" : "");
	if (w <= 0 || (size_t)w >= n)
		return keel_err_set(err, KEEL_EINVAL, "filters are too long");
	return 0;
}

int repo_task_list(struct db *db, struct arena *a,
                   const struct repo_task_query *q, struct repo_task **rows,
                   size_t *n, int *more, struct keel_db_val *last_val,
                   int64_t *last_id, struct keel_err *err)
{
	struct repo_task_list l = {.r = {.a = a}, .q = q};
	char sql[4096];
	int rc;

	rc = repo_task_list_sql(q, sql, sizeof(sql), err);
	if (rc != 0)
		return rc;
	l.sql = sql;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_task_list_tx, &l, err);
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

const char repo_task_names_sql[] =
	"SELECT DISTINCT name FROM tasks WHERE project = ? AND domain = ? "
	"ORDER BY name LIMIT ?";
const char repo_task_names_after_sql[] =
	"SELECT DISTINCT name FROM tasks WHERE project = ? AND domain = ? "
	"AND name > ? ORDER BY name LIMIT ?";

struct repo_task_names {
	struct arena *a;
	const char *key[2];
	const char *after;
	uint32_t limit;
	const char **names;
	size_t n, cap;
	int nomem;
};

static int repo_task_name_row(void *arg, const struct keel_db_val *cols,
                              size_t ncols)
{
	struct repo_task_names *r = arg;

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

static int repo_task_names_tx(struct db_conn *c, void *arg,
                              struct keel_err *err)
{
	struct repo_task_names *r = arg;
	struct keel_db_val a[4];
	size_t n = 0;

	r->n = 0;
	a[n++] = db_str(r->key[0]);
	a[n++] = db_str(r->key[1]);
	if (r->after != NULL)
		a[n++] = db_str(r->after);
	a[n++] = db_int((int64_t)r->limit + 1);
	/* tasks_key's prefix (project, domain, name) serves the DISTINCT in
	 * order, no temporary sort. */
	return db_query(c,
	                r->after != NULL ? repo_task_names_after_sql
	                                 : repo_task_names_sql,
	                a, n, repo_task_name_row, r, err);
}

int repo_task_list_names(struct db *db, struct arena *a, const char *project,
                         const char *domain, uint32_t limit,
                         const char *after_name, const char ***names,
                         size_t *n, int *more, struct keel_err *err)
{
	struct repo_task_names r = {.a = a,
	                            .key = {project, domain},
	                            .after = after_name,
	                            .limit = limit};
	int rc;

	rc = db_tx(db, KEEL_DB_TX_READ, repo_task_names_tx, &r, err);
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
