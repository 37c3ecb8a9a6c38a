/*
 * repo_task.h -- the tasks table (and the description rows written with
 * a task).
 *
 * A row is immutable once written: (project, domain, name, version) is
 * unique and re-registration is decided by the caller from the digest.
 * Rows are read into struct repo_task with every string and the closure
 * bytes in the caller's arena.  Every function runs its own transaction
 * and reports failures as KEEL_E* with a message in err.
 */
#ifndef KEEL_CORE_REPO_TASK_H
#define KEEL_CORE_REPO_TASK_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

#include "filter.h"

struct arena;
struct db;

struct repo_task {
	const char *project, *domain, *name, *version, *org;
	const char *type;
	const char *short_description;
	const char *digest;          /* 64 hex characters */
	const uint8_t *closure;      /* serialized flyteidl.admin.TaskClosure */
	size_t closure_len;
	int64_t created_at;          /* Unix ms */
	int64_t id;                  /* row id: the keyset tie-breaker */
};

/* The description entity written with a task (all borrowed). */
struct repo_description {
	const char *short_description;
	const uint8_t *entity; /* serialized admin.DescriptionEntity */
	size_t entity_len;
};

/* Insert t (and d when not NULL) in one transaction; KEEL_EEXIST when the
 * version exists (the description row is then not written either). */
int repo_task_create(struct db *db, const struct repo_task *t,
                     const struct repo_description *d, struct keel_err *err);

/* Read one version; KEEL_ENOTFOUND when absent. */
int repo_task_get(struct db *db, struct arena *a, const char *project,
                  const char *domain, const char *name, const char *version,
                  struct repo_task *out, struct keel_err *err);

/* Filterable and sortable columns of ListTasks (entity "task"). */
extern const struct filter_col repo_task_filter_cols[];
extern const size_t repo_task_filter_ncols;
/* >= 0 when key may be sorted on; 1 when its values are integers. */
int repo_task_sort_column(const char *key, int *integer);

struct repo_task_query {
	const char *project, *domain;
	const char *name;     /* NULL: every name */
	uint32_t limit;       /* > 0 */
	const char *sort_col; /* from repo_task_sort_column() */
	int ascending;
	const char *filter_sql; /* filter_parse() output, or NULL */
	const struct keel_db_val *filter_args;
	size_t filter_nargs;
	int64_t offset;       /* >= 0: offset pages; -1: keyset */
	int have_after;       /* keyset: after (after_val, after_id) */
	struct keel_db_val after_val;
	int64_t after_id;
};

/*
 * One page of tasks; *rows (n of them) in a.  *more when rows follow;
 * then *last_val and *last_id are the last row's sort key (for a token).
 */
int repo_task_list(struct db *db, struct arena *a,
                   const struct repo_task_query *q, struct repo_task **rows,
                   size_t *n, int *more, struct keel_db_val *last_val,
                   int64_t *last_id, struct keel_err *err);

/* The SQL repo_task_list runs for q (for EXPLAIN in tests); 0 or
 * KEEL_EINVAL. */
int repo_task_list_sql(const struct repo_task_query *q, char *sql, size_t n,
                       struct keel_err *err);
/* The SQL of repo_task_list_names, first and later pages. */
extern const char repo_task_names_sql[];
extern const char repo_task_names_after_sql[];

/* One page of distinct task names of project/domain in name order, after
 * after_name (NULL: from the start). */
int repo_task_list_names(struct db *db, struct arena *a, const char *project,
                         const char *domain, uint32_t limit,
                         const char *after_name, const char ***names,
                         size_t *n, int *more, struct keel_err *err);

#endif
