/*
 * svc_list.h -- what every List* call shares: page tokens, limits,
 * filters and sort keys, with Flyte Admin's messages.
 *
 * Keel hands out opaque keyset tokens ("k1." + base64url of
 * "sortkey\ndir\ntype\nvalue\nid"), so a page costs the same at any depth
 * and rows inserted meanwhile neither repeat nor vanish; it also accepts a
 * plain decimal token as a row offset, because flytectl computes tokens
 * itself as (page-1)*limit.
 */
#ifndef KEEL_CORE_SVC_LIST_H
#define KEEL_CORE_SVC_LIST_H

#include <stdint.h>

#include <keel/keel_db.h>

#include "filter.h"

struct call;

struct svc_page {
	int64_t offset;   /* >= 0: offset pagination; -1: keyset */
	int have_after;   /* keyset: continue after (after_val, after_id) */
	struct keel_db_val after_val;
	const char *after_id;
};

/* Parse tok for a listing sorted by col in direction asc; what names the
 * call in messages ("ListTasks").  Without a token the first page starts
 * a keyset listing when keyset is 1, or an offset listing (next token
 * "2", as ListProjects' clients expect) when 0.  0, or the call's error. */
int svc_page_parse(struct call *c, const char *what, const char *tok,
                   const char *col, int asc, int keyset, struct svc_page *p);

/* The token for the page after one of n rows that started at p: an
 * offset when p was an offset page, else a keyset token from the last
 * row's sort value and id.  NULL when out of memory. */
char *svc_page_next(struct call *c, const struct svc_page *p, size_t n,
                    const char *col, int asc, const struct keel_db_val *last,
                    const char *last_id);

/* The limit rule of every list but ListProjects: 0 is "invalid value
 * for limit"; above [api] max_page_size it is capped (the token brings
 * the rest).  0, or the call's error. */
int svc_list_limit(struct call *c, uint32_t limit, uint32_t *out);

/* Compile filters over cols into *f: bare fields are primary's, and a
 * field may name primary or one of joined (NULL-terminated, or NULL for
 * none).  "" or NULL filters give an empty filter.  0, or the call's
 * error. */
int svc_filters(struct call *c, const char *filters,
                const struct filter_col *cols, size_t ncols,
                const char *primary, const char *const *joined,
                struct filter *f);

/*
 * A list over repo_list (executions, node and task executions, signals):
 * the request's parts, borrowed.  Sort keys are primary's own columns;
 * without one the list is sorted by default_sort.
 */
struct Flyteidl__Admin__Sort;
struct repo_list;
struct svc_list_req {
	const char *what; /* "ListExecutions": named in messages */
	uint32_t limit;
	const char *filters;
	const struct Flyteidl__Admin__Sort *sort_by;
	const char *token;
	const struct filter_col *cols;
	size_t ncols;
	const char *primary;
	const char *const *joined;
	const char *default_sort;
	int default_asc;
};

/* Check limit, filters and sort key, parse the token, and fill q's
 * limit, filter, sort and page fields (*f holds the compiled filters;
 * the caller then sets q's select, from and where, which may depend on
 * the entities f uses).  0, or the call's error. */
int svc_list_prepare(struct call *c, const struct svc_list_req *r,
                     struct repo_list *q, struct filter *f,
                     struct svc_page *page);

/* Run the page: fn sees each row (repo_list_run's columns); *n rows;
 * *token the next page's token ("" at the end).  0, or the call's
 * error. */
int svc_list_exec(struct call *c, const struct svc_list_req *r,
                  const struct repo_list *q, const struct svc_page *page,
                  keel_db_row_fn fn, void *arg, size_t *n, char **token);

#endif
