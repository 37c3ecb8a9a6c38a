/*
 * repo_list.h -- one page of any list query, keyset- or offset-paged.
 *
 * The tables added with executions (executions, node and task executions,
 * signals) list the same way: fixed predicates, optional filters, one
 * whitelisted sort expression with the row id breaking ties, LIMIT n+1 to
 * learn whether more rows follow.  This builds and runs that query; the
 * caller supplies the select list, the FROM clause and a row callback.
 */
#ifndef KEEL_CORE_REPO_LIST_H
#define KEEL_CORE_REPO_LIST_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

struct db;

#define REPO_LIST_ARGS_MAX 300

/* Everything is borrowed for the call. */
struct repo_list {
	const char *select;  /* "e.id, e.name": the row callback's columns */
	const char *from;    /* "executions e" plus any joins */
	const char *where;   /* fixed predicates with ? ("" for none) */
	const struct keel_db_val *args;
	size_t nargs;
	const char *filter_sql; /* filter_parse() output, or NULL */
	const struct keel_db_val *filter_args;
	size_t filter_nargs;
	int distinct;        /* joins that may repeat a row */
	const char *sort_sql; /* whitelisted expression; never user text */
	int ascending;
	const char *id_sql;  /* "e.id" */
	uint32_t limit;      /* > 0 */
	int64_t offset;      /* >= 0: offset pages; -1: keyset */
	int have_after;      /* keyset: continue after (after_val, after_id) */
	struct keel_db_val after_val;
	int64_t after_id;
};

/*
 * Run one page: fn sees each of at most q->limit rows, with the select
 * list's columns followed by the sort value and the row id (ncols of the
 * select list + 2).  *n counts the rows passed to fn; *more is 1 when
 * rows follow, and then *last_val (text copied into buf of buflen, or an
 * integer) and *last_id are the last row's sort key, for the next token.
 * A read that is retried (KEEL_EAGAIN) starts over: before the first
 * row of every attempt fn is called with cols NULL and ncols 0, and must
 * forget the rows it kept.  0, or KEEL_E* with err set.
 */
int repo_list_run(struct db *db, const struct repo_list *q, keel_db_row_fn fn,
                  void *arg, size_t *n, int *more, struct keel_db_val *last_val,
                  char *buf, size_t buflen, int64_t *last_id,
                  struct keel_err *err);

/* The SQL repo_list_run runs (for EXPLAIN in tests); 0 or KEEL_EINVAL. */
int repo_list_sql(const struct repo_list *q, char *sql, size_t n,
                  struct keel_err *err);

#endif
