/*
 * repo_project.h -- the projects table.
 *
 * Rows are read into flyteidl.admin.Project messages allocated from the
 * caller's arena.  Labels are stored as a serialized flyteidl.admin.Labels.
 * Every function runs its own transaction (retried on KEEL_EAGAIN by the
 * db layer) and reports failures as KEEL_E* with a message in err.
 */
#ifndef KEEL_CORE_REPO_PROJECT_H
#define KEEL_CORE_REPO_PROJECT_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

#include "filter.h"
#include "flyteidl/admin/project.pb-c.h"

struct arena;
struct db;

/* Insert; KEEL_EEXIST when the id is taken. */
int repo_project_create(struct db *db, const Flyteidl__Admin__Project *p,
                        struct keel_err *err);

/* Read one; KEEL_ENOTFOUND when absent.  *out lives in a. */
int repo_project_get(struct db *db, struct arena *a, const char *id,
                     Flyteidl__Admin__Project **out, struct keel_err *err);

/*
 * Update project p->id the way Flyte Admin does: state is always written;
 * name, description and labels only when non-empty in p (so a request that
 * just archives keeps everything else).  KEEL_ENOTFOUND when absent.
 */
int repo_project_update(struct db *db, const Flyteidl__Admin__Project *p,
                        struct keel_err *err);

/* Sortable columns (the model's columns, as Flyte Admin whitelists). */
int repo_project_sort_column(const char *key);

/* Columns a ListProjects filter may name (entity "project"). */
extern const struct filter_col repo_project_filter_cols[];
extern const size_t repo_project_filter_ncols;

struct repo_project_query {
	uint32_t limit;       /* rows per page, > 0 */
	const char *sort_col; /* a repo_project_sort_column() name */
	int ascending;
	int include_archived; /* 0: hide ARCHIVED projects */
	/* extra predicate from filter_parse() over repo_project_filter_cols,
	 * or NULL */
	const char *filter_sql;
	const struct keel_db_val *filter_args;
	size_t filter_nargs;
	int64_t offset;       /* offset pagination (>= 0), or -1: keyset */
	/* keyset: start after the row whose sort value is after_val and
	 * identifier after_id */
	int have_after;
	struct keel_db_val after_val;
	const char *after_id;
};

/*
 * One page.  *rows and *n live in a; *more says whether rows follow; when
 * *more, *last_val and *last_id give the last row's sort key (for a keyset
 * token), also in a.
 */
int repo_project_list(struct db *db, struct arena *a,
                      const struct repo_project_query *q,
                      Flyteidl__Admin__Project ***rows, size_t *n, int *more,
                      struct keel_db_val *last_val, const char **last_id,
                      struct keel_err *err);

#endif
