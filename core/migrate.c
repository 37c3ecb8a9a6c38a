/*
 * migrate.c -- the schema and its migrations.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "migrate.h"
#include "util.h"

struct migration {
	int version;
	const char *name;
	const char *const *sql; /* NULL-terminated */
};

/*
 * Append new migrations at the end; never edit one that has shipped.
 * Tokens: {{BLOB}} binary column, {{BIGINT}} 64-bit integer, {{ID}} a
 * 64-bit auto-increment primary key (the tie-breaker of keyset pages).
 */
static const char *const m1_projects[] = {
	"CREATE TABLE projects ("
	" identifier VARCHAR(63) NOT NULL PRIMARY KEY,"
	" name VARCHAR(64) NOT NULL,"
	" description VARCHAR(300) NOT NULL DEFAULT '',"
	" labels {{BLOB}},"
	" state INTEGER NOT NULL DEFAULT 0,"
	" org VARCHAR(63) NOT NULL DEFAULT '',"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	/* ListProjects' default view: active projects by identifier. */
	"CREATE INDEX projects_state_identifier ON projects (state, identifier)",
	NULL,
};

/*
 * The task registry.  A task version is immutable: its closure (the
 * compiled task and its creation time, a serialized admin.TaskClosure) is
 * kept inline or, above [registry] inline_max, in the blob store with the
 * URI in closure_uri.  digest is the SHA-256 of the compiled task, which
 * is what decides "identical" on re-registration.
 */
static const char *const m2_tasks[] = {
	"CREATE TABLE tasks ("
	" id {{ID}},"
	" project VARCHAR(63) NOT NULL,"
	" domain VARCHAR(63) NOT NULL,"
	" name VARCHAR(255) NOT NULL,"
	" version VARCHAR(255) NOT NULL,"
	" org VARCHAR(63) NOT NULL DEFAULT '',"
	" type VARCHAR(255) NOT NULL DEFAULT '',"
	" short_description VARCHAR(255) NOT NULL DEFAULT '',"
	" digest VARCHAR(64) NOT NULL,"
	" closure {{BLOB}},"
	" closure_uri VARCHAR(1024) NOT NULL DEFAULT '',"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	"CREATE UNIQUE INDEX tasks_key ON tasks (project, domain, name, "
	"version)",
	/* ListTasks' default order within a project/domain (and a name):
	 * newest first, id breaking ties. */
	"CREATE INDEX tasks_pd_created ON tasks (project, domain, created_at, "
	"id)",
	"CREATE INDEX tasks_pdn_created ON tasks (project, domain, name, "
	"created_at, id)",
	/* Lazily created by UpdateNamedEntity; absent means ACTIVE. */
	"CREATE TABLE named_entity_metadata ("
	" resource_type INTEGER NOT NULL,"
	" project VARCHAR(63) NOT NULL,"
	" domain VARCHAR(63) NOT NULL,"
	" name VARCHAR(255) NOT NULL,"
	" org VARCHAR(63) NOT NULL DEFAULT '',"
	" description VARCHAR(300) NOT NULL DEFAULT '',"
	" state INTEGER NOT NULL DEFAULT 0,"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL,"
	" PRIMARY KEY (resource_type, project, domain, name))",
	/* Written with a task or workflow that carries a description; entity
	 * is the serialized admin.DescriptionEntity as registered (tags,
	 * long description and source link), short_description a copy for
	 * filters. */
	"CREATE TABLE description_entities ("
	" id {{ID}},"
	" resource_type INTEGER NOT NULL,"
	" project VARCHAR(63) NOT NULL,"
	" domain VARCHAR(63) NOT NULL,"
	" name VARCHAR(255) NOT NULL,"
	" version VARCHAR(255) NOT NULL,"
	" org VARCHAR(63) NOT NULL DEFAULT '',"
	" short_description VARCHAR(255) NOT NULL DEFAULT '',"
	" entity {{BLOB}},"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	"CREATE UNIQUE INDEX description_entities_key ON description_entities "
	"(resource_type, project, domain, name, version)",
	/* ListDescriptionEntities: newest first, with or without a name. */
	"CREATE INDEX description_entities_pd_created ON description_entities "
	"(resource_type, project, domain, created_at, id)",
	"CREATE INDEX description_entities_pdn_created ON "
	"description_entities (resource_type, project, domain, name, "
	"created_at, id)",
	NULL,
};

/*
 * Workflows and launch plans.  A workflow's closure is the serialized
 * admin.WorkflowClosure (the compiled workflow with every task and
 * subworkflow it uses); interface is its core.TypedInterface, which is all
 * ListWorkflows returns.  A launch plan's closure is the serialized
 * admin.LaunchPlan as registered, without its state, which lives in state
 * alone so that activation rewrites one integer.
 */
static const char *const m3_workflows[] = {
	"CREATE TABLE workflows ("
	" id {{ID}},"
	" project VARCHAR(63) NOT NULL,"
	" domain VARCHAR(63) NOT NULL,"
	" name VARCHAR(255) NOT NULL,"
	" version VARCHAR(255) NOT NULL,"
	" org VARCHAR(63) NOT NULL DEFAULT '',"
	" short_description VARCHAR(255) NOT NULL DEFAULT '',"
	" digest VARCHAR(64) NOT NULL,"
	" interface {{BLOB}},"
	" closure {{BLOB}},"
	" closure_uri VARCHAR(1024) NOT NULL DEFAULT '',"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	"CREATE UNIQUE INDEX workflows_key ON workflows (project, domain, "
	"name, version)",
	"CREATE INDEX workflows_pd_created ON workflows (project, domain, "
	"created_at, id)",
	"CREATE INDEX workflows_pdn_created ON workflows (project, domain, "
	"name, created_at, id)",
	"CREATE TABLE launch_plans ("
	" id {{ID}},"
	" project VARCHAR(63) NOT NULL,"
	" domain VARCHAR(63) NOT NULL,"
	" name VARCHAR(255) NOT NULL,"
	" version VARCHAR(255) NOT NULL,"
	" org VARCHAR(63) NOT NULL DEFAULT '',"
	" short_description VARCHAR(255) NOT NULL DEFAULT '',"
	" workflow_id {{BIGINT}} NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" schedule_type VARCHAR(16) NOT NULL DEFAULT 'NONE',"
	" launch_condition_type VARCHAR(16) NOT NULL DEFAULT '',"
	" digest VARCHAR(64) NOT NULL,"
	" closure {{BLOB}},"
	" closure_uri VARCHAR(1024) NOT NULL DEFAULT '',"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	"CREATE UNIQUE INDEX launch_plans_key ON launch_plans (project, "
	"domain, name, version)",
	"CREATE INDEX launch_plans_pd_created ON launch_plans (project, "
	"domain, created_at, id)",
	"CREATE INDEX launch_plans_pdn_created ON launch_plans (project, "
	"domain, name, created_at, id)",
	/* ListActiveLaunchPlans, and finding the active version of a name. */
	"CREATE INDEX launch_plans_pd_state ON launch_plans (project, domain, "
	"state, created_at, id)",
	"CREATE INDEX launch_plans_pdn_state ON launch_plans (project, domain, "
	"name, state)",
	/* The schedule outbox: every (de)activation that adds or removes a
	 * schedule writes a row here in the same transaction; the scheduler
	 * consumes rows in id order and stamps consumed_at. */
	"CREATE TABLE schedule_changes ("
	" id {{ID}},"
	" launch_plan_id {{BIGINT}} NOT NULL,"
	" project VARCHAR(63) NOT NULL,"
	" domain VARCHAR(63) NOT NULL,"
	" name VARCHAR(255) NOT NULL,"
	" version VARCHAR(255) NOT NULL,"
	" action VARCHAR(8) NOT NULL,"
	" schedule {{BLOB}},"
	" created_at {{BIGINT}} NOT NULL,"
	" consumed_at {{BIGINT}})",
	"CREATE INDEX schedule_changes_pending ON schedule_changes "
	"(consumed_at, id)",
	NULL,
};

/*
 * Executions and what the data plane reports about them.  Times are Unix
 * ms (the closures keep full precision); duration columns are ms too.
 * Phases are stored by name (filters compare them as Flyte users write
 * them: eq(phase,RUNNING)).  spec and closure are the serialized
 * admin.ExecutionSpec and admin.ExecutionClosure; the columns beside them
 * are copies for filters, sorting and the event rules.  inputs and
 * user_inputs (core.LiteralMap) hold small inputs from the create until
 * the launch writes them to the blob store (inputs_uri,
 * user_inputs_uri); large ones go there at once.
 */
static const char *const m4_executions[] = {
	"CREATE TABLE executions ("
	" id {{ID}},"
	" project VARCHAR(63) NOT NULL,"
	" domain VARCHAR(63) NOT NULL,"
	" name VARCHAR(63) NOT NULL,"
	" org VARCHAR(63) NOT NULL DEFAULT '',"
	" launch_plan_id {{BIGINT}} NOT NULL,"
	" launch_plan_name VARCHAR(255) NOT NULL,"
	" workflow_id {{BIGINT}} NOT NULL,"
	" task_id {{BIGINT}},"
	" launch_entity VARCHAR(16) NOT NULL,"
	" phase VARCHAR(16) NOT NULL,"
	" mode INTEGER NOT NULL DEFAULT 0,"
	" state INTEGER NOT NULL DEFAULT 0,"
	" principal VARCHAR(255) NOT NULL DEFAULT '',"
	" cluster VARCHAR(255) NOT NULL DEFAULT '',"
	" error_kind VARCHAR(16) NOT NULL DEFAULT '',"
	" error_code VARCHAR(255) NOT NULL DEFAULT '',"
	" abort_cause TEXT,"
	" inputs_uri VARCHAR(1024) NOT NULL DEFAULT '',"
	" user_inputs_uri VARCHAR(1024) NOT NULL DEFAULT '',"
	" inputs {{BLOB}},"
	" user_inputs {{BLOB}},"
	" spec {{BLOB}} NOT NULL,"
	" closure {{BLOB}} NOT NULL,"
	" started_at {{BIGINT}},"
	" duration {{BIGINT}} NOT NULL DEFAULT 0,"
	" execution_created_at {{BIGINT}} NOT NULL,"
	" execution_updated_at {{BIGINT}} NOT NULL,"
	" source_execution_id {{BIGINT}},"
	" parent_node_execution_id {{BIGINT}},"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	"CREATE UNIQUE INDEX executions_key ON executions (project, domain, "
	"name)",
	/* ListExecutions' default view (state = ACTIVE, newest first) and
	 * the view with a state filter. */
	"CREATE INDEX executions_pd_state ON executions (project, domain, "
	"state, created_at, id)",
	"CREATE INDEX executions_pd_created ON executions (project, domain, "
	"created_at, id)",
	"CREATE INDEX executions_pd_phase ON executions (project, domain, "
	"phase, created_at, id)",
	/* The launch-plan concurrency policy counts QUEUED and RUNNING
	 * executions of a launch-plan name, any version. */
	"CREATE INDEX executions_lp_phase ON executions (project, domain, "
	"launch_plan_name, phase)",
	/* Labels (and deprecated tags, with an empty value) for
	 * execution_tag.* filters. */
	"CREATE TABLE execution_tags ("
	" execution_id {{BIGINT}} NOT NULL REFERENCES executions (id),"
	" tag_key VARCHAR(255) NOT NULL,"
	" tag_value VARCHAR(255) NOT NULL DEFAULT '',"
	" PRIMARY KEY (execution_id, tag_key))",
	"CREATE INDEX execution_tags_kv ON execution_tags (tag_key, "
	"tag_value, execution_id)",
	/* A node execution is created by its first event.  closure is the
	 * admin.NodeExecutionClosure, metadata the admin.
	 * NodeExecutionMetaData; dynamic_workflow_uri the blob holding the
	 * compiled closure of a dynamic node. */
	"CREATE TABLE node_executions ("
	" id {{ID}},"
	" execution_id {{BIGINT}} NOT NULL REFERENCES executions (id),"
	" node_id VARCHAR(255) NOT NULL,"
	" phase VARCHAR(16) NOT NULL,"
	" cache_status VARCHAR(32) NOT NULL DEFAULT '',"
	" error_kind VARCHAR(16) NOT NULL DEFAULT '',"
	" error_code VARCHAR(255) NOT NULL DEFAULT '',"
	" parent_id {{BIGINT}},"
	" parent_task_execution_id {{BIGINT}},"
	" event_version INTEGER NOT NULL DEFAULT 0,"
	" input_uri VARCHAR(1024) NOT NULL DEFAULT '',"
	" dynamic_workflow_uri VARCHAR(1024) NOT NULL DEFAULT '',"
	" closure {{BLOB}} NOT NULL,"
	" metadata {{BLOB}},"
	" started_at {{BIGINT}},"
	" duration {{BIGINT}} NOT NULL DEFAULT 0,"
	" node_execution_created_at {{BIGINT}} NOT NULL,"
	" node_execution_updated_at {{BIGINT}} NOT NULL,"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	"CREATE UNIQUE INDEX node_executions_key ON node_executions "
	"(execution_id, node_id)",
	"CREATE INDEX node_executions_exec ON node_executions (execution_id, "
	"created_at, id)",
	"CREATE INDEX node_executions_parent ON node_executions (parent_id, "
	"created_at, id)",
	"CREATE INDEX node_executions_ptask ON node_executions "
	"(parent_task_execution_id, created_at, id)",
	/* One row per attempt (retry_attempt) of a task in a node
	 * execution; closure is the admin.TaskExecutionClosure. */
	"CREATE TABLE task_executions ("
	" id {{ID}},"
	" node_execution_id {{BIGINT}} NOT NULL REFERENCES node_executions "
	"(id),"
	" execution_id {{BIGINT}} NOT NULL,"
	" node_id VARCHAR(255) NOT NULL,"
	" project VARCHAR(63) NOT NULL,"
	" domain VARCHAR(63) NOT NULL,"
	" name VARCHAR(255) NOT NULL,"
	" version VARCHAR(255) NOT NULL,"
	" retry_attempt INTEGER NOT NULL,"
	" phase VARCHAR(32) NOT NULL,"
	" phase_version INTEGER NOT NULL DEFAULT 0,"
	" is_parent INTEGER NOT NULL DEFAULT 0,"
	" input_uri VARCHAR(1024) NOT NULL DEFAULT '',"
	" closure {{BLOB}} NOT NULL,"
	" started_at {{BIGINT}},"
	" duration {{BIGINT}} NOT NULL DEFAULT 0,"
	" task_execution_created_at {{BIGINT}} NOT NULL,"
	" task_execution_updated_at {{BIGINT}} NOT NULL,"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	"CREATE UNIQUE INDEX task_executions_key ON task_executions "
	"(node_execution_id, retry_attempt, project, domain, name, version)",
	"CREATE INDEX task_executions_exec ON task_executions (execution_id, "
	"created_at, id)",
	/* Gate-node signals: type is the core.LiteralType, value the
	 * core.Literal once set. */
	"CREATE TABLE signals ("
	" id {{ID}},"
	" execution_id {{BIGINT}} NOT NULL REFERENCES executions (id),"
	" signal_id VARCHAR(255) NOT NULL,"
	" type {{BLOB}} NOT NULL,"
	" value {{BLOB}},"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	"CREATE UNIQUE INDEX signals_key ON signals (execution_id, "
	"signal_id)",
	"CREATE INDEX signals_exec_created ON signals (execution_id, "
	"created_at, id)",
	/* The side-effect outbox: written in the transaction that decides
	 * the side effect, drained by workers.  purpose is unique, so a
	 * retried request never queues the same effect twice; state 0
	 * pending, 1 done, 2 dead (retries exhausted).  A worker claims a
	 * row by setting lease_owner and lease_until. */
	"CREATE TABLE outbox ("
	" id {{ID}},"
	" kind VARCHAR(16) NOT NULL,"
	" purpose VARCHAR(255) NOT NULL,"
	" execution_id {{BIGINT}},"
	" payload {{BLOB}},"
	" state INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt_at {{BIGINT}} NOT NULL,"
	" lease_owner VARCHAR(64) NOT NULL DEFAULT '',"
	" lease_until {{BIGINT}} NOT NULL DEFAULT 0,"
	" last_error TEXT,"
	" created_at {{BIGINT}} NOT NULL,"
	" updated_at {{BIGINT}} NOT NULL)",
	"CREATE UNIQUE INDEX outbox_purpose ON outbox (purpose)",
	"CREATE INDEX outbox_due ON outbox (state, kind, next_attempt_at, id)",
	NULL,
};

/* The reconciler walks the live executions of every project: it needs
 * them by phase, not by project. */
static const char *const m5_execution_phase[] = {
	"CREATE INDEX executions_phase ON executions (phase, id)",
	NULL,
};

static const struct migration migrations[] = {
	{1, "projects", m1_projects},
	{2, "tasks", m2_tasks},
	{3, "workflows", m3_workflows},
	{4, "executions", m4_executions},
	{5, "execution_phase", m5_execution_phase},
};

static const char migrate_table[] =
	"CREATE TABLE IF NOT EXISTS keel_migrations ("
	" version INTEGER NOT NULL PRIMARY KEY,"
	" name VARCHAR(128) NOT NULL,"
	" applied_at {{BIGINT}} NOT NULL)";

int migrate_latest(void)
{
	return migrations[UTIL_ARRAY_LEN(migrations) - 1].version;
}

/* Replace dialect tokens; out must be large enough (checked). */
static int migrate_render(const char *dialect, const char *sql, char *out,
                          size_t outlen)
{
	static const struct {
		const char *token, *sqlite, *postgres, *mysql;
	} tokens[] = {
		{"{{BLOB}}", "BLOB", "BYTEA", "LONGBLOB"},
		{"{{BIGINT}}", "INTEGER", "BIGINT", "BIGINT"},
		{"{{ID}}", "INTEGER PRIMARY KEY AUTOINCREMENT",
		 "BIGSERIAL PRIMARY KEY", "BIGINT AUTO_INCREMENT PRIMARY KEY"},
	};
	size_t o = 0;

	while (*sql) {
		size_t i;
		for (i = 0; i < UTIL_ARRAY_LEN(tokens); i++)
			if (strncmp(sql, tokens[i].token,
			            strlen(tokens[i].token)) == 0)
				break;
		if (i < UTIL_ARRAY_LEN(tokens)) {
			const char *r = strcmp(dialect, "postgres") == 0
			                    ? tokens[i].postgres
			                : strcmp(dialect, "mysql") == 0
			                    ? tokens[i].mysql
			                    : tokens[i].sqlite;
			size_t n = strlen(r);
			if (o + n >= outlen)
				return -1;
			memcpy(out + o, r, n);
			o += n;
			sql += strlen(tokens[i].token);
			continue;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = *sql++;
	}
	out[o] = '\0';
	return 0;
}

/* MySQL tables: InnoDB (transactions, row locks) and byte-wise
 * comparison, so keys are case-sensitive as on the other engines. */
#define MIGRATE_MYSQL_TABLE \
	" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

static int migrate_exec(struct db_conn *c, const char *sql,
                        struct keel_err *err)
{
	const char *dialect = db_dialect(db_conn_db(c));
	char buf[8192];
	size_t n;

	if (migrate_render(dialect, sql, buf,
	                   sizeof(buf) - sizeof(MIGRATE_MYSQL_TABLE)))
		return keel_err_set(err, KEEL_EINTERNAL,
		                    "migration statement too long");
	n = strlen(buf);
	if (strcmp(dialect, "mysql") == 0 &&
	    strncmp(buf, "CREATE TABLE", 12) == 0)
		memcpy(buf + n, MIGRATE_MYSQL_TABLE, sizeof(MIGRATE_MYSQL_TABLE));
	return db_exec(c, buf, NULL, 0, NULL, err);
}

/*
 * Replicas started together must migrate once.  SQLite's write
 * transaction (BEGIN IMMEDIATE) already excludes other processes.
 * PostgreSQL takes a transaction-scoped advisory lock: its DDL is
 * transactional, so lock, re-check, migrate and record commit together.
 * MySQL commits each DDL statement by itself, so a session lock is held
 * around the whole step instead and released by migrate_unlock (or by the
 * server, should the connection die).
 */
#define MIGRATE_LOCK_KEY  "keel.migrate"
#define MIGRATE_LOCK_WAIT 600 /* seconds: a long migration of a peer */

/* The first column of a one-row result into *(int64_t *)arg; an SQL NULL
 * (MAX over no rows) leaves the caller's initial value. */
static int migrate_int_row(void *arg, const struct keel_db_val *cols,
                           size_t ncols)
{
	int64_t *v = arg;

	if (ncols > 0 && cols[0].type == KEEL_DB_INT)
		*v = cols[0].i;
	return 1;
}

static int migrate_lock(struct db_conn *c, struct keel_err *err)
{
	const char *dialect = db_dialect(db_conn_db(c));
	struct keel_db_val a[2];
	int64_t got = -1;
	int rc;

	if (strcmp(dialect, "postgres") == 0) {
		/* Any constant key; this one spells "keel" in ASCII.  The
		 * function returns void, which no driver decodes: ask for a
		 * boolean instead. */
		a[0] = db_int(0x6b65656c);
		return db_query(c, "SELECT pg_advisory_xact_lock(?) IS NULL", a,
		                1, migrate_int_row, &got, err);
	}
	if (strcmp(dialect, "mysql") != 0)
		return 0;
	a[0] = db_str(MIGRATE_LOCK_KEY);
	a[1] = db_int(MIGRATE_LOCK_WAIT);
	rc = db_query(c, "SELECT GET_LOCK(?, ?)", a, 2, migrate_int_row, &got,
	              err);
	if (rc == 0 && got != 1)
		rc = keel_err_set(err, KEEL_ETIMEDOUT,
		                  "waited %d s for another keeld's migration "
		                  "(lock %s)",
		                  MIGRATE_LOCK_WAIT, MIGRATE_LOCK_KEY);
	return rc;
}

static void migrate_unlock(struct db_conn *c)
{
	struct keel_db_val a = db_str(MIGRATE_LOCK_KEY);
	struct keel_err ignore = {0};
	int64_t got = -1;

	if (strcmp(db_dialect(db_conn_db(c)), "mysql") == 0)
		db_query(c, "SELECT RELEASE_LOCK(?)", &a, 1, migrate_int_row,
		         &got, &ignore);
}

struct migrate_ctx {
	const struct migration *m;
	int64_t current;
	int skipped; /* another process applied it first */
};

static int migrate_version_tx(struct db_conn *c, void *arg,
                              struct keel_err *err)
{
	struct migrate_ctx *x = arg;
	int rc;

	/* Two replicas creating the table at once collide in PostgreSQL's
	 * catalog even with IF NOT EXISTS. */
	rc = migrate_lock(c, err);
	if (rc == 0)
		rc = migrate_exec(c, migrate_table, err);
	x->current = 0;
	if (rc == 0)
		rc = db_query(c, "SELECT MAX(version) FROM keel_migrations",
		              NULL, 0, migrate_int_row, &x->current, err);
	migrate_unlock(c);
	return rc;
}

int migrate_current(struct db *db, char *err, size_t errlen)
{
	struct migrate_ctx x = {0};
	struct keel_err ke;
	int rc;

	rc = db_tx(db, KEEL_DB_TX_WRITE, migrate_version_tx, &x, &ke);
	if (rc != 0) {
		util_fmt(err, errlen, "cannot read the schema version: %s",
		         ke.msg);
		return rc;
	}
	return (int)x.current;
}

static int migrate_one_locked(struct db_conn *c, struct migrate_ctx *x,
                              struct keel_err *err)
{
	struct keel_db_val args[3];
	int64_t current = 0;
	int rc;

	/* Re-check under the lock: another process may have applied it
	 * meanwhile. */
	rc = db_query(c, "SELECT MAX(version) FROM keel_migrations", NULL, 0,
	              migrate_int_row, &current, err);
	if (rc != 0)
		return rc;
	if (current >= x->m->version) {
		x->skipped = 1;
		return 0;
	}
	for (const char *const *s = x->m->sql; *s != NULL; s++) {
		rc = migrate_exec(c, *s, err);
		if (rc != 0)
			return rc;
	}
	args[0] = db_int(x->m->version);
	args[1] = db_str(x->m->name);
	args[2] = db_int(util_now_ms());
	return db_exec(c,
	               "INSERT INTO keel_migrations (version, name, "
	               "applied_at) VALUES (?, ?, ?)",
	               args, 3, NULL, err);
}

static int migrate_one_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct migrate_ctx *x = arg;
	int rc;

	x->skipped = 0;
	rc = migrate_lock(c, err);
	if (rc == 0)
		rc = migrate_one_locked(c, x, err);
	migrate_unlock(c);
	return rc;
}

int migrate_apply(struct db *db, int *applied, char *err, size_t errlen)
{
	int current, n = 0;

	if (applied)
		*applied = 0;
	current = migrate_current(db, err, errlen);
	if (current < 0)
		return current;
	if (current > migrate_latest()) {
		util_fmt(err, errlen,
		         "the database schema is at version %d, newer than "
		         "this keeld knows (%d); upgrade keeld",
		         current, migrate_latest());
		return KEEL_EPRECOND;
	}
	for (size_t i = 0; i < UTIL_ARRAY_LEN(migrations); i++) {
		struct migrate_ctx x = {.m = &migrations[i]};
		struct keel_err ke;
		int rc;

		if (migrations[i].version <= current)
			continue;
		rc = db_tx(db, KEEL_DB_TX_WRITE, migrate_one_tx, &x, &ke);
		if (rc != 0) {
			util_fmt(err, errlen, "migration %d (%s) failed: %s",
			         migrations[i].version, migrations[i].name,
			         ke.msg);
			return rc;
		}
		if (x.skipped)
			continue;
		LOG_INFO("migrate", "applied migration %d (%s)",
		         migrations[i].version, migrations[i].name);
		n++;
	}
	if (applied)
		*applied = n;
	return 0;
}

struct migrate_status_ctx {
	FILE *out;
	int64_t applied_at[64];
	int versions[64];
	size_t n;
};

static int migrate_status_row(void *arg, const struct keel_db_val *cols,
                              size_t ncols)
{
	struct migrate_status_ctx *x = arg;

	if (ncols < 2 || x->n >= UTIL_ARRAY_LEN(x->versions))
		return 0;
	x->versions[x->n] = (int)cols[0].i;
	x->applied_at[x->n] = cols[1].i;
	x->n++;
	return 0;
}

static int migrate_status_tx(struct db_conn *c, void *arg,
                             struct keel_err *err)
{
	struct migrate_status_ctx *x = arg;
	int rc;

	x->n = 0;
	rc = migrate_exec(c, migrate_table, err);
	if (rc != 0)
		return rc;
	return db_query(c,
	                "SELECT version, applied_at FROM keel_migrations "
	                "ORDER BY version",
	                NULL, 0, migrate_status_row, x, err);
}

int migrate_status(struct db *db, FILE *out, char *err, size_t errlen)
{
	struct migrate_status_ctx x = {.out = out};
	struct keel_err ke;
	int rc;

	rc = db_tx(db, KEEL_DB_TX_WRITE, migrate_status_tx, &x, &ke);
	if (rc != 0) {
		util_fmt(err, errlen, "cannot read migrations: %s", ke.msg);
		return rc;
	}
	for (size_t i = 0; i < UTIL_ARRAY_LEN(migrations); i++) {
		const struct migration *m = &migrations[i];
		char ts[32] = "pending";
		for (size_t j = 0; j < x.n; j++)
			if (x.versions[j] == m->version)
				util_rfc3339_ms(x.applied_at[j], ts);
		fprintf(out, "%4d  %-24s %s\n", m->version, m->name, ts);
	}
	return 0;
}
