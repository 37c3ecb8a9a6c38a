/*
 * repo_list.c -- see repo_list.h.
 */
#include "config.h"

#include <string.h>

#include "db.h"
#include "repo_list.h"
#include "util.h"

int repo_list_sql(const struct repo_list *q, char *sql, size_t n,
                  struct keel_err *err)
{
	const char *dir = q->ascending ? "ASC" : "DESC";
	const char *cmp = q->ascending ? ">" : "<";
	const char *fs = q->filter_sql && *q->filter_sql ? q->filter_sql : NULL;
	const char *w = q->where && *q->where ? q->where : NULL;
	int o;

	if (q->nargs + q->filter_nargs + 4 > REPO_LIST_ARGS_MAX)
		return keel_err_set(err, KEEL_EINVAL,
		                    "too many filter values (at most %d)",
		                    REPO_LIST_ARGS_MAX - 4 - (int)q->nargs);
	o = util_fmt(sql, n, "SELECT %s%s, %s, %s FROM %s WHERE %s%s%s%s%s",
	             q->distinct ? "DISTINCT " : "", q->select, q->sort_sql,
	             q->id_sql, q->from, w ? w : "1 = 1", fs ? " AND (" : "",
	             fs ? fs : "", fs ? ")" : "", "");
	if (q->have_after && o > 0 && (size_t)o < n)
		o += util_fmt(sql + o, n - (size_t)o,
		              " AND (%s %s ? OR (%s = ? AND %s %s ?))",
		              q->sort_sql, cmp, q->sort_sql, q->id_sql, cmp);
	if (o > 0 && (size_t)o < n)
		o += util_fmt(sql + o, n - (size_t)o,
		              " ORDER BY %s %s, %s %s LIMIT ?%s", q->sort_sql,
		              dir, q->id_sql, dir,
		              q->offset >= 0 ? " OFFSET ?" : "");
	if (o <= 0 || (size_t)o >= n)
		return keel_err_set(err, KEEL_EINVAL, "filters are too long");
	return 0;
}

struct repo_list_ctx {
	const struct repo_list *q;
	const char *sql;
	keel_db_row_fn fn;
	void *arg;
	size_t n;
	int more;
	struct keel_db_val last;
	char *buf;
	size_t buflen;
	int64_t last_id;
};

static int repo_list_row(void *arg, const struct keel_db_val *cols,
                         size_t ncols)
{
	struct repo_list_ctx *x = arg;
	const struct keel_db_val *sv = &cols[ncols - 2];
	int rc;

	if (x->n == x->q->limit) {
		x->more = 1;
		return 1;
	}
	rc = x->fn(x->arg, cols, ncols);
	if (rc != 0)
		return rc;
	x->n++;
	x->last = *sv;
	if (sv->type == KEEL_DB_TEXT || sv->type == KEEL_DB_BLOB) {
		size_t k = sv->n < x->buflen - 1 ? sv->n : x->buflen - 1;
		memcpy(x->buf, sv->p, k);
		x->buf[k] = '\0';
		x->last = db_text(x->buf, k);
	}
	x->last_id = cols[ncols - 1].i;
	return 0;
}

static int repo_list_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct repo_list_ctx *x = arg;
	const struct repo_list *q = x->q;
	struct keel_db_val a[REPO_LIST_ARGS_MAX];
	size_t n = 0;
	int rc;

	x->n = 0;
	x->more = 0;
	rc = x->fn(x->arg, NULL, 0); /* start over */
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < q->nargs; i++)
		a[n++] = q->args[i];
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
	return db_query(c, x->sql, a, n, repo_list_row, x, err);
}

int repo_list_run(struct db *db, const struct repo_list *q, keel_db_row_fn fn,
                  void *arg, size_t *n, int *more, struct keel_db_val *last_val,
                  char *buf, size_t buflen, int64_t *last_id,
                  struct keel_err *err)
{
	struct repo_list_ctx x = {.q = q, .fn = fn, .arg = arg, .buf = buf,
	                          .buflen = buflen};
	char sql[8192];
	int rc;

	rc = repo_list_sql(q, sql, sizeof(sql), err);
	if (rc != 0)
		return rc;
	x.sql = sql;
	rc = db_tx(db, KEEL_DB_TX_READ, repo_list_tx, &x, err);
	if (rc != 0)
		return rc;
	*n = x.n;
	*more = x.more;
	*last_val = x.last;
	*last_id = x.last_id;
	return 0;
}
