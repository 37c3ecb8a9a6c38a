/*
 * repo_node.h -- node and task executions, the rows data-plane events
 * create and update.
 *
 * Both are read and written inside the caller's transaction (the event
 * handlers read, decide and write in one), with strings and blobs in the
 * caller's arena.  Columns beside closure are copies for filters, lists
 * and the event rules.  Failures are KEEL_E* with a message in err.
 */
#ifndef KEEL_CORE_REPO_NODE_H
#define KEEL_CORE_REPO_NODE_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

#include "filter.h"

struct arena;
struct db_conn;

struct repo_node {
	int64_t id; /* set by insert */
	int64_t execution_id;
	const char *node_id;
	const char *phase;        /* core.NodeExecution.Phase name */
	const char *cache_status; /* core.CatalogCacheStatus name or "" */
	const char *error_kind, *error_code;
	int64_t parent_id;                /* 0: none */
	int64_t parent_task_execution_id; /* 0: none */
	int event_version;
	const char *input_uri;
	const char *dynamic_workflow_uri;
	const uint8_t *closure; /* admin.NodeExecutionClosure */
	size_t closure_len;
	const uint8_t *metadata; /* admin.NodeExecutionMetaData */
	size_t metadata_len;
	int64_t started_at; /* ms; 0: not started */
	int64_t duration;   /* ms */
	int64_t created_at, updated_at; /* node_execution_*_at, ms */
};

struct repo_task {
	int64_t id;
	int64_t node_execution_id, execution_id;
	const char *node_id;
	const char *project, *domain, *name, *version; /* the task */
	int retry_attempt;
	const char *phase; /* core.TaskExecution.Phase name */
	int phase_version;
	int is_parent;
	const char *input_uri;
	const uint8_t *closure; /* admin.TaskExecutionClosure */
	size_t closure_len;
	int64_t started_at, duration;
	int64_t created_at, updated_at; /* task_execution_*_at, ms */
};

extern const char repo_node_select[]; /* alias n */
extern const char repo_task_select[]; /* alias te */
int repo_node_decode(struct arena *a, const struct keel_db_val *cols,
                     size_t ncols, struct repo_node *out);
int repo_task_decode(struct arena *a, const struct keel_db_val *cols,
                     size_t ncols, struct repo_task *out);

/* Filter and sort columns: node executions may also name execution.*,
 * task executions node_execution.*, task.* and execution.*. */
extern const struct filter_col repo_node_cols[];
extern const size_t repo_node_ncols;
extern const struct filter_col repo_task_cols[];
extern const size_t repo_task_ncols;

/* KEEL_ENOTFOUND when absent. */
int repo_node_read(struct db_conn *c, struct arena *a, int64_t execution_id,
                   const char *node_id, struct repo_node *out,
                   struct keel_err *err);
int repo_node_insert(struct db_conn *c, struct repo_node *n,
                     struct keel_err *err);
int repo_node_update(struct db_conn *c, const struct repo_node *n,
                     struct keel_err *err);

int repo_task_read(struct db_conn *c, struct arena *a,
                   int64_t node_execution_id, const char *project,
                   const char *domain, const char *name, const char *version,
                   int retry_attempt, struct repo_task *out,
                   struct keel_err *err);
int repo_task_insert(struct db_conn *c, struct repo_task *t,
                     struct keel_err *err);
int repo_task_update(struct db_conn *c, const struct repo_task *t,
                     struct keel_err *err);

#endif
