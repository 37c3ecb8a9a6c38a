/*
 * repo_node.c -- see repo_node.h.
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "repo_node.h"
#include "util.h"

const struct filter_col repo_node_cols[] = {
	{"node_execution", "node_id", FILTER_TEXT, "n.node_id"},
	{"node_execution", "phase", FILTER_TEXT, "n.phase"},
	{"node_execution", "cache_status", FILTER_TEXT, "n.cache_status"},
	{"node_execution", "error_kind", FILTER_TEXT, "n.error_kind"},
	{"node_execution", "error_code", FILTER_TEXT, "n.error_code"},
	{"node_execution", "duration", FILTER_DURATION, "n.duration"},
	{"node_execution", "started_at", FILTER_TIME,
	 "COALESCE(n.started_at, 0)"},
	{"node_execution", "node_execution_created_at", FILTER_TIME,
	 "n.node_execution_created_at"},
	{"node_execution", "node_execution_updated_at", FILTER_TIME,
	 "n.node_execution_updated_at"},
	{"node_execution", "created_at", FILTER_TIME, "n.created_at"},
	{"node_execution", "updated_at", FILTER_TIME, "n.updated_at"},
	{"execution", "phase", FILTER_TEXT, "e.phase"},
	{"execution", "execution_name", FILTER_TEXT, "e.name"},
	{"execution", "user", FILTER_TEXT, "e.principal"},
};
const size_t repo_node_ncols = UTIL_ARRAY_LEN(repo_node_cols);

const struct filter_col repo_task_cols[] = {
	{"task_execution", "project", FILTER_TEXT, "te.project"},
	{"task_execution", "domain", FILTER_TEXT, "te.domain"},
	{"task_execution", "name", FILTER_TEXT, "te.name"},
	{"task_execution", "version", FILTER_TEXT, "te.version"},
	{"task_execution", "retry_attempt", FILTER_INT, "te.retry_attempt"},
	{"task_execution", "phase", FILTER_TEXT, "te.phase"},
	{"task_execution", "phase_version", FILTER_INT, "te.phase_version"},
	{"task_execution", "node_id", FILTER_TEXT, "te.node_id"},
	{"task_execution", "duration", FILTER_DURATION, "te.duration"},
	{"task_execution", "started_at", FILTER_TIME,
	 "COALESCE(te.started_at, 0)"},
	{"task_execution", "task_execution_created_at", FILTER_TIME,
	 "te.task_execution_created_at"},
	{"task_execution", "task_execution_updated_at", FILTER_TIME,
	 "te.task_execution_updated_at"},
	{"task_execution", "created_at", FILTER_TIME, "te.created_at"},
	{"task_execution", "updated_at", FILTER_TIME, "te.updated_at"},
	{"node_execution", "phase", FILTER_TEXT, "n.phase"},
	{"node_execution", "node_id", FILTER_TEXT, "n.node_id"},
	{"execution", "phase", FILTER_TEXT, "e.phase"},
	{"task", "type", FILTER_TEXT, "tk.type"},
};
const size_t repo_task_ncols = UTIL_ARRAY_LEN(repo_task_cols);

#define REPO_NODE_NCOLS 20
const char repo_node_select[] =
	"n.id, n.execution_id, n.node_id, n.phase, n.cache_status, "
	"n.error_kind, n.error_code, n.parent_id, n.parent_task_execution_id, "
	"n.event_version, n.input_uri, n.dynamic_workflow_uri, n.closure, "
	"n.metadata, n.started_at, n.duration, n.node_execution_created_at, "
	"n.node_execution_updated_at, n.created_at, n.updated_at";

#define REPO_TASK_NCOLS 20
const char repo_task_select[] =
	"te.id, te.node_execution_id, te.execution_id, te.node_id, "
	"te.project, te.domain, te.name, te.version, te.retry_attempt, "
	"te.phase, te.phase_version, te.is_parent, te.input_uri, te.closure, "
	"te.started_at, te.duration, te.task_execution_created_at, "
	"te.task_execution_updated_at, te.created_at, te.updated_at";

int repo_node_decode(struct arena *a, const struct keel_db_val *c,
                     size_t ncols, struct repo_node *n)
{
	int nomem = 0;

	if (ncols < REPO_NODE_NCOLS)
		return KEEL_EINTERNAL;
	memset(n, 0, sizeof(*n));
	n->id = c[0].i;
	n->execution_id = c[1].i;
	n->node_id = db_col_text(a, &c[2], &nomem);
	n->phase = db_col_text(a, &c[3], &nomem);
	n->cache_status = db_col_text(a, &c[4], &nomem);
	n->error_kind = db_col_text(a, &c[5], &nomem);
	n->error_code = db_col_text(a, &c[6], &nomem);
	n->parent_id = db_col_int0(&c[7]);
	n->parent_task_execution_id = db_col_int0(&c[8]);
	n->event_version = (int)c[9].i;
	n->input_uri = db_col_text(a, &c[10], &nomem);
	n->dynamic_workflow_uri = db_col_text(a, &c[11], &nomem);
	n->closure = db_col_blob(a, &c[12], &n->closure_len, &nomem);
	n->metadata = db_col_blob(a, &c[13], &n->metadata_len, &nomem);
	n->started_at = db_col_int0(&c[14]);
	n->duration = c[15].i;
	n->created_at = c[16].i;
	n->updated_at = c[17].i;
	return nomem ? KEEL_ENOMEM : 0;
}

int repo_task_decode(struct arena *a, const struct keel_db_val *c,
                     size_t ncols, struct repo_task *t)
{
	int nomem = 0;

	if (ncols < REPO_TASK_NCOLS)
		return KEEL_EINTERNAL;
	memset(t, 0, sizeof(*t));
	t->id = c[0].i;
	t->node_execution_id = c[1].i;
	t->execution_id = c[2].i;
	t->node_id = db_col_text(a, &c[3], &nomem);
	t->project = db_col_text(a, &c[4], &nomem);
	t->domain = db_col_text(a, &c[5], &nomem);
	t->name = db_col_text(a, &c[6], &nomem);
	t->version = db_col_text(a, &c[7], &nomem);
	t->retry_attempt = (int)c[8].i;
	t->phase = db_col_text(a, &c[9], &nomem);
	t->phase_version = (int)c[10].i;
	t->is_parent = (int)c[11].i;
	t->input_uri = db_col_text(a, &c[12], &nomem);
	t->closure = db_col_blob(a, &c[13], &t->closure_len, &nomem);
	t->started_at = db_col_int0(&c[14]);
	t->duration = c[15].i;
	t->created_at = c[16].i;
	t->updated_at = c[17].i;
	return nomem ? KEEL_ENOMEM : 0;
}

struct repo_node_one {
	struct arena *a;
	void *out;
	int task, found, rc;
};

static int repo_node_one_row(void *arg, const struct keel_db_val *cols,
                             size_t ncols)
{
	struct repo_node_one *x = arg;

	x->rc = x->task ? repo_task_decode(x->a, cols, ncols, x->out)
	                : repo_node_decode(x->a, cols, ncols, x->out);
	x->found = 1;
	return x->rc != 0 ? x->rc : 1;
}

int repo_node_read(struct db_conn *c, struct arena *a, int64_t execution_id,
                   const char *node_id, struct repo_node *out,
                   struct keel_err *err)
{
	struct repo_node_one x = {a, out, 0, 0, 0};
	struct keel_db_val k[2] = {db_int(execution_id), db_str(node_id)};
	char sql[1024];
	int rc;

	util_fmt(sql, sizeof(sql),
	         "SELECT %s FROM node_executions n WHERE n.execution_id = ? "
	         "AND n.node_id = ?",
	         repo_node_select);
	rc = db_query(c, sql, k, 2, repo_node_one_row, &x, err);
	if (rc != 0)
		return rc;
	if (!x.found)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "node execution %s not found", node_id);
	return 0;
}

static int repo_node_id_row(void *arg, const struct keel_db_val *cols,
                            size_t ncols)
{
	int64_t *id = arg;

	if (ncols > 0)
		*id = cols[0].i;
	return 1;
}

int repo_node_insert(struct db_conn *c, struct repo_node *n,
                     struct keel_err *err)
{
	struct keel_db_val a[20];
	size_t k = 0;
	int rc;

	a[k++] = db_int(n->execution_id);
	a[k++] = db_str(n->node_id);
	a[k++] = db_str(n->phase);
	a[k++] = db_str(n->cache_status ? n->cache_status : "");
	a[k++] = db_str(n->error_kind ? n->error_kind : "");
	a[k++] = db_str(n->error_code ? n->error_code : "");
	a[k++] = db_int0(n->parent_id);
	a[k++] = db_int0(n->parent_task_execution_id);
	a[k++] = db_int(n->event_version);
	a[k++] = db_str(n->input_uri ? n->input_uri : "");
	a[k++] = db_str(n->dynamic_workflow_uri ? n->dynamic_workflow_uri : "");
	a[k++] = db_blob(n->closure, n->closure_len);
	a[k++] = n->metadata ? db_blob(n->metadata, n->metadata_len) : db_null();
	a[k++] = db_int0(n->started_at);
	a[k++] = db_int(n->duration);
	a[k++] = db_int(n->created_at);
	a[k++] = db_int(n->updated_at);
	a[k++] = db_int(util_now_ms());
	a[k++] = db_int(util_now_ms());
	rc = db_exec(c,
	             "INSERT INTO node_executions (execution_id, node_id, phase, "
	             "cache_status, error_kind, error_code, parent_id, "
	             "parent_task_execution_id, event_version, input_uri, "
	             "dynamic_workflow_uri, closure, metadata, started_at, "
	             "duration, node_execution_created_at, "
	             "node_execution_updated_at, created_at, updated_at) VALUES "
	             "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	             a, k, NULL, err);
	if (rc != 0)
		return rc;
	return db_query(c,
	                "SELECT id FROM node_executions WHERE execution_id = ? "
	                "AND node_id = ?",
	                a, 2, repo_node_id_row, &n->id, err);
}

int repo_node_update(struct db_conn *c, const struct repo_node *n,
                     struct keel_err *err)
{
	struct keel_db_val a[14];
	size_t k = 0;

	a[k++] = db_str(n->phase);
	a[k++] = db_str(n->cache_status ? n->cache_status : "");
	a[k++] = db_str(n->error_kind ? n->error_kind : "");
	a[k++] = db_str(n->error_code ? n->error_code : "");
	a[k++] = db_int(n->event_version);
	a[k++] = db_str(n->input_uri ? n->input_uri : "");
	a[k++] = db_str(n->dynamic_workflow_uri ? n->dynamic_workflow_uri : "");
	a[k++] = db_blob(n->closure, n->closure_len);
	a[k++] = n->metadata ? db_blob(n->metadata, n->metadata_len) : db_null();
	a[k++] = db_int0(n->started_at);
	a[k++] = db_int(n->duration);
	a[k++] = db_int(n->updated_at);
	a[k++] = db_int(util_now_ms());
	a[k++] = db_int(n->id);
	return db_exec(c,
	               "UPDATE node_executions SET phase = ?, cache_status = ?, "
	               "error_kind = ?, error_code = ?, event_version = ?, "
	               "input_uri = ?, dynamic_workflow_uri = ?, closure = ?, "
	               "metadata = ?, started_at = ?, duration = ?, "
	               "node_execution_updated_at = ?, updated_at = ? WHERE "
	               "id = ?",
	               a, k, NULL, err);
}

int repo_task_read(struct db_conn *c, struct arena *a,
                   int64_t node_execution_id, const char *project,
                   const char *domain, const char *name, const char *version,
                   int retry_attempt, struct repo_task *out,
                   struct keel_err *err)
{
	struct repo_node_one x = {a, out, 1, 0, 0};
	struct keel_db_val k[6] = {db_int(node_execution_id),
	                           db_int(retry_attempt), db_str(project),
	                           db_str(domain), db_str(name),
	                           db_str(version)};
	char sql[1024];
	int rc;

	util_fmt(sql, sizeof(sql),
	         "SELECT %s FROM task_executions te WHERE "
	         "te.node_execution_id = ? AND te.retry_attempt = ? AND "
	         "te.project = ? AND te.domain = ? AND te.name = ? AND "
	         "te.version = ?",
	         repo_task_select);
	rc = db_query(c, sql, k, 6, repo_node_one_row, &x, err);
	if (rc != 0)
		return rc;
	if (!x.found)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "task execution of %s/%s/%s/%s attempt %d not "
		                    "found",
		                    project, domain, name, version, retry_attempt);
	return 0;
}

int repo_task_insert(struct db_conn *c, struct repo_task *t,
                     struct keel_err *err)
{
	struct keel_db_val a[19];
	size_t k = 0;
	int64_t now = util_now_ms();
	int rc;

	a[k++] = db_int(t->node_execution_id);
	a[k++] = db_int(t->retry_attempt);
	a[k++] = db_str(t->project);
	a[k++] = db_str(t->domain);
	a[k++] = db_str(t->name);
	a[k++] = db_str(t->version);
	a[k++] = db_int(t->execution_id);
	a[k++] = db_str(t->node_id);
	a[k++] = db_str(t->phase);
	a[k++] = db_int(t->phase_version);
	a[k++] = db_int(t->is_parent);
	a[k++] = db_str(t->input_uri ? t->input_uri : "");
	a[k++] = db_blob(t->closure, t->closure_len);
	a[k++] = db_int0(t->started_at);
	a[k++] = db_int(t->duration);
	a[k++] = db_int(t->created_at);
	a[k++] = db_int(t->updated_at);
	a[k++] = db_int(now);
	a[k++] = db_int(now);
	rc = db_exec(c,
	             "INSERT INTO task_executions (node_execution_id, "
	             "retry_attempt, project, domain, name, version, "
	             "execution_id, node_id, phase, phase_version, is_parent, "
	             "input_uri, closure, started_at, duration, "
	             "task_execution_created_at, task_execution_updated_at, "
	             "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
	             "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	             a, k, NULL, err);
	if (rc != 0)
		return rc;
	return db_query(c,
	                "SELECT id FROM task_executions WHERE node_execution_id "
	                "= ? AND retry_attempt = ? AND project = ? AND domain = "
	                "? AND name = ? AND version = ?",
	                a, 6, repo_node_id_row, &t->id, err);
}

int repo_task_update(struct db_conn *c, const struct repo_task *t,
                     struct keel_err *err)
{
	struct keel_db_val a[10];
	size_t k = 0;

	a[k++] = db_str(t->phase);
	a[k++] = db_int(t->phase_version);
	a[k++] = db_int(t->is_parent);
	a[k++] = db_str(t->input_uri ? t->input_uri : "");
	a[k++] = db_blob(t->closure, t->closure_len);
	a[k++] = db_int0(t->started_at);
	a[k++] = db_int(t->duration);
	a[k++] = db_int(t->updated_at);
	a[k++] = db_int(util_now_ms());
	a[k++] = db_int(t->id);
	return db_exec(c,
	               "UPDATE task_executions SET phase = ?, phase_version = ?, "
	               "is_parent = ?, input_uri = ?, closure = ?, started_at = "
	               "?, duration = ?, task_execution_updated_at = ?, "
	               "updated_at = ? WHERE id = ?",
	               a, k, NULL, err);
}
