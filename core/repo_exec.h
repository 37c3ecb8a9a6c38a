/*
 * repo_exec.h -- the executions table and its tags.
 *
 * An execution row carries its spec and closure (serialized admin.
 * ExecutionSpec and admin.ExecutionClosure, always inline: inputs and
 * outputs live in the blob store and the row keeps their URIs) plus
 * copies of the fields filters, sorting and the event rules read.
 *
 * The functions taking a struct db_conn run inside the caller's
 * transaction (so a service can write an execution, its tags and its
 * outbox rows together); the others run their own.  Rows are read with
 * every string and blob in the caller's arena.  Failures are KEEL_E*
 * with a message in err.
 */
#ifndef KEEL_CORE_REPO_EXEC_H
#define KEEL_CORE_REPO_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

#include "filter.h"

struct arena;
struct db;
struct db_conn;

struct repo_exec {
	int64_t id; /* set by insert */
	const char *project, *domain, *name, *org;
	int64_t launch_plan_id;
	const char *launch_plan_name;
	int64_t workflow_id;
	int64_t task_id;          /* 0: none (SQL NULL) */
	const char *launch_entity; /* "launch_plan" or "task" */
	const char *phase;        /* core.WorkflowExecution.Phase name */
	int mode;                 /* admin.ExecutionMetadata.ExecutionMode */
	int state;                /* admin.ExecutionState */
	const char *principal;
	const char *cluster;
	const char *error_kind, *error_code;
	const char *abort_cause;  /* NULL: none */
	const char *inputs_uri, *user_inputs_uri;
	/* Serialized core.LiteralMap, kept in the row until the launch
	 * offloads them (NULL: none, or offloaded at create). */
	const uint8_t *inputs, *user_inputs;
	size_t inputs_len, user_inputs_len;
	const uint8_t *spec;
	size_t spec_len;
	const uint8_t *closure;
	size_t closure_len;
	int64_t started_at;       /* Unix ms; 0: not started (NULL) */
	int64_t duration;         /* ms */
	int64_t execution_created_at, execution_updated_at;
	int64_t source_execution_id;      /* 0: none */
	int64_t parent_node_execution_id; /* 0: none */
	int64_t created_at, updated_at;
};

struct repo_tag {
	const char *key, *value;
};

/* The select list and FROM alias every execution read uses ("e"), and
 * the row decoder for it (fills *out in a; 0 or KEEL_ENOMEM). */
extern const char repo_exec_select[];
int repo_exec_decode(struct arena *a, const struct keel_db_val *cols,
                     size_t ncols, struct repo_exec *out);

/* Filter and sort columns of ListExecutions and the entities filters
 * may join (launch_plan, workflow, task, execution_tag, admin_tag). */
extern const struct filter_col repo_exec_cols[];
extern const size_t repo_exec_ncols;
extern const char *const repo_exec_joined[];

/* Insert e (e->id is set) and its tags.  KEEL_EEXIST when the name is
 * taken in the project and domain. */
int repo_exec_insert(struct db_conn *c, struct repo_exec *e,
                     const struct repo_tag *tags, size_t ntags,
                     struct keel_err *err);

/* Read one execution; KEEL_ENOTFOUND when absent. */
int repo_exec_read(struct db_conn *c, struct arena *a, const char *project,
                   const char *domain, const char *name,
                   struct repo_exec *out, struct keel_err *err);
int repo_exec_read_id(struct db_conn *c, struct arena *a, int64_t id,
                      struct repo_exec *out, struct keel_err *err);
/* The same, locking the row until the write transaction ends (a no-op on
 * single-writer engines): for reads whose row the transaction rewrites.
 * Every event of an execution locks its row first, so events of one
 * execution (and the node and task rows under it) apply one at a time on
 * every engine. */
int repo_exec_lock(struct db_conn *c, struct arena *a, const char *project,
                   const char *domain, const char *name,
                   struct repo_exec *out, struct keel_err *err);
int repo_exec_lock_id(struct db_conn *c, struct arena *a, int64_t id,
                      struct repo_exec *out, struct keel_err *err);

/* The same in a read transaction of its own. */
int repo_exec_get(struct db *db, struct arena *a, const char *project,
                  const char *domain, const char *name, struct repo_exec *out,
                  struct keel_err *err);

/* Write back e's mutable columns: phase, state, cluster, error kind and
 * code, abort cause, spec, closure, started_at, duration,
 * execution_updated_at and updated_at (by e->id). */
int repo_exec_update(struct db_conn *c, const struct repo_exec *e,
                     struct keel_err *err);

/* Record where the launch wrote the inputs (by e->id). */
int repo_exec_set_input_uris(struct db_conn *c, int64_t id,
                             const char *inputs_uri,
                             const char *user_inputs_uri,
                             struct keel_err *err);

/* Non-terminal executions of a launch-plan name, any version. */
int repo_exec_count_active(struct db_conn *c, const char *project,
                           const char *domain, const char *lp_name,
                           int64_t *n, struct keel_err *err);

/* A live execution as the reconciler sees it. */
struct repo_exec_live {
	int64_t id;
	const char *project, *domain, *name, *cluster, *phase;
	int64_t updated_at;
};

/* Up to max executions in QUEUED, RUNNING, SUCCEEDING, FAILING or
 * ABORTING with an id above after, by id, into out[0..*n) (strings in
 * a). */
int repo_exec_live(struct db_conn *c, struct arena *a, int64_t after,
                   size_t max, struct repo_exec_live *out, size_t *n,
                   struct keel_err *err);

#endif
