/*
 * repo_project.c -- the projects table.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "filter.h"
#include "repo_project.h"
#include "util.h"

#define FILTER_ARGS_MAX 256

static const struct {
	const char *name;
	int integer; /* sort value type */
} repo_project_cols[] = {
	{"identifier", 0}, {"name", 0},       {"description", 0},
	{"state", 1},      {"created_at", 1}, {"updated_at", 1},
};

const struct filter_col repo_project_filter_cols[] = {
	{"project", "identifier", FILTER_TEXT, "identifier"},
	{"project", "name", FILTER_TEXT, "name"},
	{"project", "description", FILTER_TEXT, "description"},
	{"project", "state", FILTER_INT, "state"},
	{"project", "org", FILTER_TEXT, "org"},
};
const size_t repo_project_filter_ncols = UTIL_ARRAY_LEN(repo_project_filter_cols);

int repo_project_sort_column(const char *key)
{
	for (size_t i = 0; i < UTIL_ARRAY_LEN(repo_project_cols); i++)
		if (strcmp(repo_project_cols[i].name, key) == 0)
			return (int)i;
	return -1;
}

/* Serialized labels (NULL when none). */
static uint8_t *repo_labels_pack(const Flyteidl__Admin__Labels *l, size_t *n)
{
	uint8_t *buf;

	*n = 0;
	if (l == NULL || l->n_values == 0)
		return NULL;
	*n = protobuf_c_message_get_packed_size(&l->base);
	buf = malloc(*n ? *n : 1);
	if (buf != NULL)
		protobuf_c_message_pack(&l->base, buf);
	return buf;
}

struct repo_write {
	const Flyteidl__Admin__Project *p;
	const uint8_t *labels;
	size_t nlabels;
	int64_t now;
};

static int repo_create_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct repo_write *w = arg;
	const Flyteidl__Admin__Project *p = w->p;
	struct keel_db_val a[8];
	int rc;

	a[0] = db_str(p->id);
	a[1] = db_str(p->name ? p->name : "");
	a[2] = db_str(p->description ? p->description : "");
	a[3] = w->labels ? db_blob(w->labels, w->nlabels) : db_null();
	a[4] = db_int(p->state);
	a[5] = db_str(p->org ? p->org : "");
	a[6] = db_int(w->now);
	a[7] = db_int(w->now);
	rc = db_exec(c,
	             "INSERT INTO projects (identifier, name, description, "
	             "labels, state, org, created_at, updated_at) "
	             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	             a, 8, NULL, err);
	if (rc == KEEL_EEXIST)
		keel_err_set(err, KEEL_EEXIST,
		             "project with id [%s] already exists", p->id);
	return rc;
}

/* Run fn in a write transaction with p's labels serialized. */
static int repo_project_write(struct db *db, const Flyteidl__Admin__Project *p,
                              db_tx_fn fn, struct keel_err *err)
{
	struct repo_write w = {.p = p, .now = util_now_ms()};
	uint8_t *labels;
	int rc;

	labels = repo_labels_pack(p->labels, &w.nlabels);
	if (p->labels != NULL && p->labels->n_values > 0 && labels == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	w.labels = labels;
	rc = db_tx(db, KEEL_DB_TX_WRITE, fn, &w, err);
	free(labels);
	return rc;
}

int repo_project_create(struct db *db, const Flyteidl__Admin__Project *p,
                        struct keel_err *err)
{
	return repo_project_write(db, p, repo_create_tx, err);
}

static int repo_update_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct repo_write *w = arg;
	const Flyteidl__Admin__Project *p = w->p;
	int set_name = p->name && *p->name;
	int set_desc = p->description && *p->description;
	char sql[512];
	struct keel_db_val a[6];
	size_t n = 0;
	int64_t changed = 0;
	int rc;

	util_fmt(sql, sizeof(sql),
	         "UPDATE projects SET state = ?, updated_at = ?%s%s%s "
	         "WHERE identifier = ?",
	         set_name ? ", name = ?" : "",
	         set_desc ? ", description = ?" : "",
	         w->labels ? ", labels = ?" : "");
	a[n++] = db_int(p->state);
	a[n++] = db_int(w->now);
	if (set_name)
		a[n++] = db_str(p->name);
	if (set_desc)
		a[n++] = db_str(p->description);
	if (w->labels)
		a[n++] = db_blob(w->labels, w->nlabels);
	a[n++] = db_str(p->id);
	rc = db_exec(c, sql, a, n, &changed, err);
	if (rc == 0 && changed == 0)
		rc = keel_err_set(err, KEEL_ENOTFOUND,
		                  "project [%s] not found", p->id);
	return rc;
}

int repo_project_update(struct db *db, const Flyteidl__Admin__Project *p,
                        struct keel_err *err)
{
	return repo_project_write(db, p, repo_update_tx, err);
}

/* Reading rows into messages. */
struct repo_read {
	struct arena *a;
	Flyteidl__Admin__Project **rows;
	size_t n, cap;
	int nomem;
	struct keel_db_val *vals; /* each row's sort value, when selected */
};

static char *repo_col_str(struct arena *a, const struct keel_db_val *v)
{
	if (v->type != KEEL_DB_TEXT && v->type != KEEL_DB_BLOB)
		return arena_strdup(a, "");
	return arena_strndup(a, v->p, v->n);
}

/* Columns: identifier, name, description, labels, state, org[, sortval] */
static int repo_project_row(void *arg, const struct keel_db_val *cols,
                            size_t ncols)
{
	struct repo_read *r = arg;
	Flyteidl__Admin__Project *p;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		Flyteidl__Admin__Project **v =
		    arena_alloc(r->a, cap * sizeof(*v));
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
	p = arena_alloc(r->a, sizeof(*p));
	if (p == NULL)
		goto nomem;
	flyteidl__admin__project__init(p);
	p->id = repo_col_str(r->a, &cols[0]);
	p->name = repo_col_str(r->a, &cols[1]);
	p->description = repo_col_str(r->a, &cols[2]);
	if (cols[3].type == KEEL_DB_BLOB && cols[3].n > 0) {
		p->labels = flyteidl__admin__labels__unpack(
		    arena_pb_allocator(r->a), cols[3].n, cols[3].p);
		if (p->labels == NULL)
			goto nomem;
	}
	p->state = (Flyteidl__Admin__Project__ProjectState)cols[4].i;
	p->org = repo_col_str(r->a, &cols[5]);
	if (p->id == NULL || p->name == NULL || p->description == NULL ||
	    p->org == NULL)
		goto nomem;
	if (ncols > 6) {
		struct keel_db_val *sv = &r->vals[r->n];
		*sv = cols[6];
		if (cols[6].type == KEEL_DB_TEXT || cols[6].type == KEEL_DB_BLOB) {
			sv->p = arena_strndup(r->a, cols[6].p, cols[6].n);
			if (sv->p == NULL)
				goto nomem;
		}
	}
	r->rows[r->n++] = p;
	return 0;
nomem:
	r->nomem = 1;
	return KEEL_ENOMEM;
}

struct repo_get {
	struct repo_read r;
	const char *id;
};

static int repo_get_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct repo_get *g = arg;
	struct keel_db_val a[1] = {db_str(g->id)};

	g->r.n = 0;
	return db_query(c,
	                "SELECT identifier, name, description, labels, state, "
	                "org FROM projects WHERE identifier = ?",
	                a, 1, repo_project_row, &g->r, err);
}

int repo_project_get(struct db *db, struct arena *a, const char *id,
                     Flyteidl__Admin__Project **out, struct keel_err *err)
{
	struct repo_get g = {.r = {.a = a}, .id = id};
	int rc;

	*out = NULL;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_get_tx, &g, err);
	if (rc != 0)
		return g.r.nomem ? keel_err_set(err, KEEL_ENOMEM,
		                                "out of memory")
		                 : rc;
	if (g.r.n == 0)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "project [%s] not found", id);
	*out = g.r.rows[0];
	return 0;
}

struct repo_list {
	struct repo_read r;
	const struct repo_project_query *q;
	const char *sql;
};

static int repo_list_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct repo_list *l = arg;
	const struct repo_project_query *q = l->q;
	struct keel_db_val a[FILTER_ARGS_MAX + 5];
	size_t n = 0;

	l->r.n = 0;
	for (size_t i = 0; i < q->filter_nargs; i++)
		a[n++] = q->filter_args[i];
	if (q->have_after) {
		a[n++] = q->after_val;
		a[n++] = q->after_val;
		a[n++] = db_str(q->after_id);
	}
	a[n++] = db_int((int64_t)q->limit + 1);
	if (q->offset >= 0)
		a[n++] = db_int(q->offset);
	return db_query(c, l->sql, a, n, repo_project_row, &l->r, err);
}

int repo_project_list(struct db *db, struct arena *a,
                      const struct repo_project_query *q,
                      Flyteidl__Admin__Project ***rows, size_t *n, int *more,
                      struct keel_db_val *last_val, const char **last_id,
                      struct keel_err *err)
{
	struct repo_list l = {.r = {.a = a}, .q = q};
	const char *dir = q->ascending ? "ASC" : "DESC";
	const char *cmp = q->ascending ? ">" : "<";
	char sql[4096], where[3072] = "";
	const char *col = q->sort_col;
	int rc;

	/* col comes from repo_project_cols only: safe to splice. */
	if (repo_project_sort_column(col) < 0)
		return keel_err_set(err, KEEL_EINVAL, "invalid sort key '%s'",
		                    col);
	if (q->filter_nargs > FILTER_ARGS_MAX)
		return keel_err_set(err, KEEL_EINVAL,
		                    "too many filter values (at most %d)",
		                    FILTER_ARGS_MAX);
	if (!q->include_archived)
		util_fmt(where, sizeof(where), "state <> %d",
		         FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ARCHIVED);
	if (q->filter_sql != NULL && q->filter_sql[0] != '\0') {
		size_t w = strlen(where);
		if (util_fmt(where + w, sizeof(where) - w, "%s%s",
		             w ? " AND " : "", q->filter_sql) >=
		    (int)(sizeof(where) - w))
			return keel_err_set(err, KEEL_EINVAL,
			                    "filters are too long");
	}
	if (q->have_after) {
		size_t w = strlen(where);
		util_fmt(where + w, sizeof(where) - w,
		         "%s(%s %s ? OR (%s = ? AND identifier %s ?))",
		         w ? " AND " : "", col, cmp, col, cmp);
	}
	util_fmt(sql, sizeof(sql),
	         "SELECT identifier, name, description, labels, state, org, "
	         "%s FROM projects%s%s ORDER BY %s %s%s%s LIMIT ?%s",
	         col, where[0] ? " WHERE " : "", where, col, dir,
	         strcmp(col, "identifier") == 0 ? "" : ", identifier ",
	         strcmp(col, "identifier") == 0 ? "" : dir,
	         q->offset >= 0 ? " OFFSET ?" : "");
	l.sql = sql;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_list_tx, &l, err);
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
		*last_id = l.r.rows[l.r.n - 1]->id;
		*last_val = l.r.vals[l.r.n - 1];
	}
	return 0;
}
