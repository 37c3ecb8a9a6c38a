/*
 * repo_exec.c -- see repo_exec.h.
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "repo_exec.h"
#include "util.h"

/*
 * Flyte Admin's execution model columns (reference/flyteadmin-behaviour.md
 * §5.1).  Keel also accepts project, domain and name (Flyte Admin rejects
 * them although its docs list them: §17 quirk 6), and "user" is the
 * principal column.
 */
const struct filter_col repo_exec_cols[] = {
	{"execution", "execution_project", FILTER_TEXT, "e.project"},
	{"execution", "execution_domain", FILTER_TEXT, "e.domain"},
	{"execution", "execution_name", FILTER_TEXT, "e.name"},
	{"execution", "project", FILTER_TEXT, "e.project"},
	{"execution", "domain", FILTER_TEXT, "e.domain"},
	{"execution", "name", FILTER_TEXT, "e.name"},
	{"execution", "execution_org", FILTER_TEXT, "e.org"},
	{"execution", "phase", FILTER_TEXT, "e.phase"},
	{"execution", "mode", FILTER_INT, "e.mode"},
	{"execution", "state", FILTER_INT, "e.state"},
	{"execution", "user", FILTER_TEXT, "e.principal"},
	{"execution", "cluster", FILTER_TEXT, "e.cluster"},
	{"execution", "launch_entity", FILTER_TEXT, "e.launch_entity"},
	{"execution", "error_kind", FILTER_TEXT, "e.error_kind"},
	{"execution", "error_code", FILTER_TEXT, "e.error_code"},
	{"execution", "abort_cause", FILTER_TEXT, "e.abort_cause"},
	{"execution", "duration", FILTER_DURATION, "e.duration"},
	{"execution", "started_at", FILTER_TIME, "COALESCE(e.started_at, 0)"},
	{"execution", "execution_created_at", FILTER_TIME,
	 "e.execution_created_at"},
	{"execution", "execution_updated_at", FILTER_TIME,
	 "e.execution_updated_at"},
	{"execution", "created_at", FILTER_TIME, "e.created_at"},
	{"execution", "updated_at", FILTER_TIME, "e.updated_at"},
	{"execution", "launch_plan_id", FILTER_INT, "e.launch_plan_id"},
	{"execution", "workflow_id", FILTER_INT, "e.workflow_id"},
	{"execution", "task_id", FILTER_INT, "COALESCE(e.task_id, 0)"},
	{"execution", "source_execution_id", FILTER_INT,
	 "COALESCE(e.source_execution_id, 0)"},
	{"execution", "parent_node_execution_id", FILTER_INT,
	 "COALESCE(e.parent_node_execution_id, 0)"},
	{"launch_plan", "project", FILTER_TEXT, "l.project"},
	{"launch_plan", "domain", FILTER_TEXT, "l.domain"},
	{"launch_plan", "name", FILTER_TEXT, "l.name"},
	{"launch_plan", "version", FILTER_TEXT, "l.version"},
	{"launch_plan", "state", FILTER_INT, "l.state"},
	{"launch_plan", "schedule_type", FILTER_TEXT, "l.schedule_type"},
	{"launch_plan", "created_at", FILTER_TIME, "l.created_at"},
	{"workflow", "project", FILTER_TEXT, "w.project"},
	{"workflow", "domain", FILTER_TEXT, "w.domain"},
	{"workflow", "name", FILTER_TEXT, "w.name"},
	{"workflow", "version", FILTER_TEXT, "w.version"},
	{"workflow", "created_at", FILTER_TIME, "w.created_at"},
	{"task", "project", FILTER_TEXT, "tk.project"},
	{"task", "domain", FILTER_TEXT, "tk.domain"},
	{"task", "name", FILTER_TEXT, "tk.name"},
	{"task", "version", FILTER_TEXT, "tk.version"},
	{"task", "type", FILTER_TEXT, "tk.type"},
	{"execution_tag", "key", FILTER_TEXT, "t.tag_key"},
	{"execution_tag", "value", FILTER_TEXT, "t.tag_value"},
	/* Flyte Admin rewrites the legacy admin_tag.name to the tag key. */
	{"admin_tag", "name", FILTER_TEXT, "t.tag_key"},
};
const size_t repo_exec_ncols = UTIL_ARRAY_LEN(repo_exec_cols);
const char *const repo_exec_joined[] = {"launch_plan", "workflow", "task",
                                        "execution_tag", "admin_tag", NULL};

#define REPO_EXEC_NCOLS 32
const char repo_exec_select[] =
	"e.id, e.project, e.domain, e.name, e.org, e.launch_plan_id, "
	"e.launch_plan_name, e.workflow_id, e.task_id, e.launch_entity, "
	"e.phase, e.mode, e.state, e.principal, e.cluster, e.error_kind, "
	"e.error_code, e.abort_cause, e.inputs_uri, e.user_inputs_uri, "
	"e.spec, e.closure, e.started_at, e.duration, "
	"e.execution_created_at, e.execution_updated_at, "
	"e.source_execution_id, e.parent_node_execution_id, e.created_at, "
	"e.updated_at, e.inputs, e.user_inputs";

int repo_exec_decode(struct arena *a, const struct keel_db_val *cols,
                     size_t ncols, struct repo_exec *e)
{
	int nomem = 0;

	if (ncols < REPO_EXEC_NCOLS)
		return KEEL_EINTERNAL;
	memset(e, 0, sizeof(*e));
	e->id = cols[0].i;
	e->project = db_col_text(a, &cols[1], &nomem);
	e->domain = db_col_text(a, &cols[2], &nomem);
	e->name = db_col_text(a, &cols[3], &nomem);
	e->org = db_col_text(a, &cols[4], &nomem);
	e->launch_plan_id = cols[5].i;
	e->launch_plan_name = db_col_text(a, &cols[6], &nomem);
	e->workflow_id = cols[7].i;
	e->task_id = db_col_int0(&cols[8]);
	e->launch_entity = db_col_text(a, &cols[9], &nomem);
	e->phase = db_col_text(a, &cols[10], &nomem);
	e->mode = (int)cols[11].i;
	e->state = (int)cols[12].i;
	e->principal = db_col_text(a, &cols[13], &nomem);
	e->cluster = db_col_text(a, &cols[14], &nomem);
	e->error_kind = db_col_text(a, &cols[15], &nomem);
	e->error_code = db_col_text(a, &cols[16], &nomem);
	e->abort_cause = cols[17].type == KEEL_DB_NULL
	                     ? NULL
	                     : db_col_text(a, &cols[17], &nomem);
	e->inputs_uri = db_col_text(a, &cols[18], &nomem);
	e->user_inputs_uri = db_col_text(a, &cols[19], &nomem);
	e->spec = db_col_blob(a, &cols[20], &e->spec_len, &nomem);
	e->closure = db_col_blob(a, &cols[21], &e->closure_len, &nomem);
	e->started_at = db_col_int0(&cols[22]);
	e->duration = cols[23].i;
	e->execution_created_at = cols[24].i;
	e->execution_updated_at = cols[25].i;
	e->source_execution_id = db_col_int0(&cols[26]);
	e->parent_node_execution_id = db_col_int0(&cols[27]);
	e->created_at = cols[28].i;
	e->updated_at = cols[29].i;
	e->inputs = db_col_blob(a, &cols[30], &e->inputs_len, &nomem);
	e->user_inputs = db_col_blob(a, &cols[31], &e->user_inputs_len,
	                             &nomem);
	return nomem ? KEEL_ENOMEM : 0;
}

static int repo_exec_id_row(void *arg, const struct keel_db_val *cols,
                            size_t ncols)
{
	int64_t *id = arg;

	if (ncols > 0)
		*id = cols[0].i;
	return 1;
}

int repo_exec_insert(struct db_conn *c, struct repo_exec *e,
                     const struct repo_tag *tags, size_t ntags,
                     struct keel_err *err)
{
	struct keel_db_val a[31];
	size_t n = 0;
	int rc;

	a[n++] = db_str(e->project);
	a[n++] = db_str(e->domain);
	a[n++] = db_str(e->name);
	a[n++] = db_str(e->org ? e->org : "");
	a[n++] = db_int(e->launch_plan_id);
	a[n++] = db_str(e->launch_plan_name);
	a[n++] = db_int(e->workflow_id);
	a[n++] = db_int0(e->task_id);
	a[n++] = db_str(e->launch_entity);
	a[n++] = db_str(e->phase);
	a[n++] = db_int(e->mode);
	a[n++] = db_int(e->state);
	a[n++] = db_str(e->principal ? e->principal : "");
	a[n++] = db_str(e->cluster ? e->cluster : "");
	a[n++] = db_str(e->error_kind ? e->error_kind : "");
	a[n++] = db_str(e->error_code ? e->error_code : "");
	a[n++] = db_str(e->abort_cause);
	a[n++] = db_str(e->inputs_uri ? e->inputs_uri : "");
	a[n++] = db_str(e->user_inputs_uri ? e->user_inputs_uri : "");
	a[n++] = db_blob(e->spec, e->spec_len);
	a[n++] = db_blob(e->closure, e->closure_len);
	a[n++] = db_int0(e->started_at);
	a[n++] = db_int(e->duration);
	a[n++] = db_int(e->execution_created_at);
	a[n++] = db_int(e->execution_updated_at);
	a[n++] = db_int0(e->source_execution_id);
	a[n++] = db_int0(e->parent_node_execution_id);
	a[n++] = db_int(e->created_at);
	a[n++] = db_int(e->updated_at);
	a[n++] = e->inputs ? db_blob(e->inputs, e->inputs_len) : db_null();
	a[n++] = e->user_inputs ? db_blob(e->user_inputs, e->user_inputs_len)
	                        : db_null();
	rc = db_exec(c,
	             "INSERT INTO executions (project, domain, name, org, "
	             "launch_plan_id, launch_plan_name, workflow_id, task_id, "
	             "launch_entity, phase, mode, state, principal, cluster, "
	             "error_kind, error_code, abort_cause, inputs_uri, "
	             "user_inputs_uri, spec, closure, started_at, duration, "
	             "execution_created_at, execution_updated_at, "
	             "source_execution_id, parent_node_execution_id, "
	             "created_at, updated_at, inputs, user_inputs) VALUES (?, "
	             "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	             "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	             a, n, NULL, err);
	if (rc == KEEL_EEXIST)
		return keel_err_set(err, KEEL_EEXIST,
		                    "execution already exists: [%s/%s/%s]",
		                    e->project, e->domain, e->name);
	if (rc != 0)
		return rc;
	e->id = 0;
	rc = db_query(c,
	              "SELECT id FROM executions WHERE project = ? AND "
	              "domain = ? AND name = ?",
	              a, 3, repo_exec_id_row, &e->id, err);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < ntags; i++) {
		struct keel_db_val t[3] = {db_int(e->id), db_str(tags[i].key),
		                           db_str(tags[i].value ? tags[i].value
		                                                : "")};
		/* A label and a deprecated tag of the same name: the label
		 * (first) wins. */
		char sql[160];

		util_fmt(sql, sizeof(sql),
		         "INSERT INTO execution_tags (execution_id, tag_key, "
		         "tag_value) VALUES (?, ?, ?)%s",
		         db_ignore_dup(c));
		rc = db_exec(c, sql, t, 3, NULL, err);
		if (rc == KEEL_EEXIST)
			continue;
		if (rc != 0)
			return rc;
	}
	return 0;
}

struct repo_exec_one {
	struct arena *a;
	struct repo_exec *out;
	int found, rc;
};

static int repo_exec_one_row(void *arg, const struct keel_db_val *cols,
                             size_t ncols)
{
	struct repo_exec_one *x = arg;

	x->rc = repo_exec_decode(x->a, cols, ncols, x->out);
	x->found = 1;
	return x->rc != 0 ? x->rc : 1;
}

/* lock: take the row lock for a read-then-write (db_for_update). */
static int repo_exec_read_key(struct db_conn *c, struct arena *a,
                              const char *project, const char *domain,
                              const char *name, int lock,
                              struct repo_exec *out, struct keel_err *err)
{
	struct repo_exec_one x = {a, out, 0, 0};
	struct keel_db_val k[3] = {db_str(project), db_str(domain),
	                           db_str(name)};
	char sql[1024];
	int rc;

	util_fmt(sql, sizeof(sql),
	         "SELECT %s FROM executions e WHERE e.project = ? AND "
	         "e.domain = ? AND e.name = ?%s",
	         repo_exec_select, lock ? db_for_update(c) : "");
	rc = db_query(c, sql, k, 3, repo_exec_one_row, &x, err);
	if (rc != 0)
		return rc == KEEL_ENOMEM
		           ? keel_err_set(err, rc, "out of memory")
		           : rc;
	if (!x.found)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "execution not found: [%s/%s/%s]", project,
		                    domain, name);
	return 0;
}

static int repo_exec_read_byid(struct db_conn *c, struct arena *a,
                               int64_t id, int lock, struct repo_exec *out,
                               struct keel_err *err)
{
	struct repo_exec_one x = {a, out, 0, 0};
	struct keel_db_val k = db_int(id);
	char sql[1024];
	int rc;

	util_fmt(sql, sizeof(sql),
	         "SELECT %s FROM executions e WHERE e.id = ?%s",
	         repo_exec_select, lock ? db_for_update(c) : "");
	rc = db_query(c, sql, &k, 1, repo_exec_one_row, &x, err);
	if (rc != 0)
		return rc == KEEL_ENOMEM
		           ? keel_err_set(err, rc, "out of memory")
		           : rc;
	if (!x.found)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "execution %lld not found", (long long)id);
	return 0;
}

int repo_exec_read(struct db_conn *c, struct arena *a, const char *project,
                   const char *domain, const char *name,
                   struct repo_exec *out, struct keel_err *err)
{
	return repo_exec_read_key(c, a, project, domain, name, 0, out, err);
}

int repo_exec_lock(struct db_conn *c, struct arena *a, const char *project,
                   const char *domain, const char *name,
                   struct repo_exec *out, struct keel_err *err)
{
	return repo_exec_read_key(c, a, project, domain, name, 1, out, err);
}

int repo_exec_read_id(struct db_conn *c, struct arena *a, int64_t id,
                      struct repo_exec *out, struct keel_err *err)
{
	return repo_exec_read_byid(c, a, id, 0, out, err);
}

int repo_exec_lock_id(struct db_conn *c, struct arena *a, int64_t id,
                      struct repo_exec *out, struct keel_err *err)
{
	return repo_exec_read_byid(c, a, id, 1, out, err);
}

struct repo_exec_get_ctx {
	struct arena *a;
	const char *p, *d, *n;
	struct repo_exec *out;
};

static int repo_exec_get_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct repo_exec_get_ctx *x = arg;

	return repo_exec_read(c, x->a, x->p, x->d, x->n, x->out, err);
}

int repo_exec_get(struct db *db, struct arena *a, const char *project,
                  const char *domain, const char *name, struct repo_exec *out,
                  struct keel_err *err)
{
	struct repo_exec_get_ctx x = {a, project, domain, name, out};

	return db_tx(db, KEEL_DB_TX_READ, repo_exec_get_tx, &x, err);
}

int repo_exec_update(struct db_conn *c, const struct repo_exec *e,
                     struct keel_err *err)
{
	struct keel_db_val a[14];
	size_t n = 0;

	a[n++] = db_str(e->phase);
	a[n++] = db_int(e->state);
	a[n++] = db_str(e->cluster ? e->cluster : "");
	a[n++] = db_str(e->error_kind ? e->error_kind : "");
	a[n++] = db_str(e->error_code ? e->error_code : "");
	a[n++] = db_str(e->abort_cause);
	a[n++] = db_blob(e->spec, e->spec_len);
	a[n++] = db_blob(e->closure, e->closure_len);
	a[n++] = db_int0(e->started_at);
	a[n++] = db_int(e->duration);
	a[n++] = db_int(e->execution_updated_at);
	a[n++] = db_int(e->updated_at);
	a[n++] = db_int(e->id);
	return db_exec(c,
	               "UPDATE executions SET phase = ?, state = ?, cluster = ?, "
	               "error_kind = ?, error_code = ?, abort_cause = ?, "
	               "spec = ?, closure = ?, started_at = ?, duration = ?, "
	               "execution_updated_at = ?, updated_at = ? WHERE id = ?",
	               a, n, NULL, err);
}

int repo_exec_set_input_uris(struct db_conn *c, int64_t id,
                             const char *inputs_uri,
                             const char *user_inputs_uri,
                             struct keel_err *err)
{
	struct keel_db_val a[3] = {db_str(inputs_uri), db_str(user_inputs_uri),
	                           db_int(id)};

	return db_exec(c,
	               "UPDATE executions SET inputs_uri = ?, user_inputs_uri = "
	               "? WHERE id = ?",
	               a, 3, NULL, err);
}

static int repo_exec_count_row(void *arg, const struct keel_db_val *cols,
                               size_t ncols)
{
	int64_t *n = arg;

	if (ncols > 0)
		*n = cols[0].i;
	return 1;
}

int repo_exec_count_active(struct db_conn *c, const char *project,
                           const char *domain, const char *lp_name,
                           int64_t *n, struct keel_err *err)
{
	struct keel_db_val a[3] = {db_str(project), db_str(domain),
	                           db_str(lp_name)};

	*n = 0;
	return db_query(c,
	                "SELECT COUNT(*) FROM executions WHERE project = ? AND "
	                "domain = ? AND launch_plan_name = ? AND phase IN "
	                "('UNDEFINED', 'QUEUED', 'RUNNING', 'SUCCEEDING', "
	                "'FAILING', 'ABORTING')",
	                a, 3, repo_exec_count_row, n, err);
}

struct repo_exec_live_ctx {
	struct arena *a;
	struct repo_exec_live *out;
	size_t n, max;
	int nomem;
};

static int repo_exec_live_row(void *arg, const struct keel_db_val *cols,
                              size_t ncols)
{
	struct repo_exec_live_ctx *x = arg;
	struct repo_exec_live *e;

	if (ncols < 7 || x->n >= x->max)
		return 1;
	e = &x->out[x->n++];
	e->id = cols[0].i;
	e->project = db_col_text(x->a, &cols[1], &x->nomem);
	e->domain = db_col_text(x->a, &cols[2], &x->nomem);
	e->name = db_col_text(x->a, &cols[3], &x->nomem);
	e->cluster = db_col_text(x->a, &cols[4], &x->nomem);
	e->phase = db_col_text(x->a, &cols[5], &x->nomem);
	e->updated_at = db_col_int0(&cols[6]);
	return x->nomem ? -1 : 0;
}

int repo_exec_live(struct db_conn *c, struct arena *a, int64_t after,
                   size_t max, struct repo_exec_live *out, size_t *n,
                   struct keel_err *err)
{
	struct repo_exec_live_ctx x = {a, out, 0, max, 0};
	struct keel_db_val k[2] = {db_int(after), db_int((int64_t)max)};
	int rc;

	rc = db_query(c,
	              "SELECT id, project, domain, name, cluster, phase, "
	              "updated_at FROM executions WHERE phase IN ('QUEUED', "
	              "'RUNNING', 'SUCCEEDING', 'FAILING', 'ABORTING') AND id "
	              "> ? ORDER BY id LIMIT ?",
	              k, 2, repo_exec_live_row, &x, err);
	*n = x.n;
	if (x.nomem)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	return rc;
}
