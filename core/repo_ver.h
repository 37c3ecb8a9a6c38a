/*
 * repo_ver.h -- the versioned registry tables: tasks, workflows and launch
 * plans (and the description rows written with tasks and workflows).
 *
 * The three share one shape -- (project, domain, name, version) unique, a
 * digest that decides "identical" on re-registration, a serialized closure
 * -- so they share one implementation, told apart by a struct repo_kind.
 * A task or workflow row is immutable once written; a launch plan's only
 * mutable column is its state (repo_lp.h).
 *
 * Rows are read into struct repo_ver with every string and blob in the
 * caller's arena.  Every function runs its own transaction and reports
 * failures as KEEL_E* with a message in err.
 */
#ifndef KEEL_CORE_REPO_VER_H
#define KEEL_CORE_REPO_VER_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

#include "filter.h"

struct arena;
struct db;

struct repo_kind {
	const char *table;  /* "tasks" */
	const char *what;   /* "task": filter entity and messages */
	int resource_type;  /* flyteidl.core.ResourceType */
	const struct filter_col *cols;
	size_t ncols;
	const char *const *joined; /* entities filters may name, or NULL */
	/* Private to repo_ver.c: the FROM clause (the row is "e"), the blob
	 * a list reads, and the type/state/workflow_id expressions. */
	const char *from, *list_blob, *extra;
};

extern const struct repo_kind repo_kind_task, repo_kind_workflow,
    repo_kind_launch_plan;

struct repo_ver {
	const char *project, *domain, *name, *version, *org;
	const char *short_description;
	const char *digest;     /* 64 hex characters */
	/* Task: admin.TaskClosure; workflow: admin.WorkflowClosure (on a
	 * list, the serialized core.TypedInterface instead); launch plan:
	 * admin.LaunchPlan without its state. */
	const uint8_t *closure;
	size_t closure_len;
	/* Where the closure is when it was offloaded to the blob store (then
	 * closure_len is 0); "" or NULL otherwise. */
	const char *closure_uri;
	/* Written for workflows: the serialized core.TypedInterface that
	 * lists return instead of the whole closure. */
	const uint8_t *iface;
	size_t iface_len;
	const char *type;       /* tasks: the task type; launch plans: the
	                           schedule type (NONE, CRON, RATE) */
	int state;              /* launch plans: admin.LaunchPlanState */
	int64_t workflow_id;    /* launch plans: the workflow's row id */
	int64_t created_at;     /* Unix ms */
	int64_t updated_at;
	int64_t id;             /* row id: the keyset tie-breaker */
};

/* The description entity written with a task or workflow (borrowed). */
struct repo_description {
	const char *short_description;
	const uint8_t *entity; /* serialized admin.DescriptionEntity */
	size_t entity_len;
};

/* Insert v (and d when not NULL) in one transaction; KEEL_EEXIST when the
 * version exists (the description row is then not written either). */
int repo_ver_create(struct db *db, const struct repo_kind *k,
                    const struct repo_ver *v,
                    const struct repo_description *d, struct keel_err *err);

/* Read one version with its whole closure; KEEL_ENOTFOUND when absent. */
int repo_ver_get(struct db *db, struct arena *a, const struct repo_kind *k,
                 const char *project, const char *domain, const char *name,
                 const char *version, struct repo_ver *out,
                 struct keel_err *err);

/* Only the row id of one version (no closure is read); KEEL_ENOTFOUND
 * when absent. */
int repo_ver_id(struct db *db, const struct repo_kind *k, const char *project,
                const char *domain, const char *name, const char *version,
                int64_t *id, struct keel_err *err);

/* >= 0 when key may be sorted on; 1 in *integer when its values are
 * integers. */
int repo_ver_sort_column(const struct repo_kind *k, const char *key,
                         int *integer);

struct repo_ver_query {
	const char *project, *domain;
	const char *name;     /* NULL: every name */
	int active_only;      /* launch plans: state = ACTIVE */
	uint32_t limit;       /* > 0 */
	const char *sort_col; /* from repo_ver_sort_column() */
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
 * One page; *rows (n of them) in a.  *more when rows follow; then
 * *last_val and *last_id are the last row's sort key (for a token).
 * Workflow rows carry the interface in closure (what lists return).
 */
int repo_ver_list(struct db *db, struct arena *a, const struct repo_kind *k,
                  const struct repo_ver_query *q, struct repo_ver **rows,
                  size_t *n, int *more, struct keel_db_val *last_val,
                  int64_t *last_id, struct keel_err *err);

/* The SQL repo_ver_list runs for q (for EXPLAIN in tests); 0 or
 * KEEL_EINVAL. */
int repo_ver_list_sql(const struct repo_kind *k,
                      const struct repo_ver_query *q, char *sql, size_t n,
                      struct keel_err *err);

/* The SQL of repo_ver_list_names, first and later pages (n >= 256). */
void repo_ver_names_sql(const struct repo_kind *k, int after, char *sql,
                        size_t n);

/* One page of distinct names of project/domain in name order, after
 * after_name (NULL: from the start). */
int repo_ver_list_names(struct db *db, struct arena *a,
                        const struct repo_kind *k, const char *project,
                        const char *domain, uint32_t limit,
                        const char *after_name, const char ***names,
                        size_t *n, int *more, struct keel_err *err);

#endif
