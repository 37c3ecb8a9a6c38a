/*
 * testdb.c -- see testdb.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keel/keel_db.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "migrate.h"
#include "plugin.h"
#include "rpc.h"
#include "testdb.h"
#include "util.h"

/* Fill s from "key=value;..." args; database (when not NULL) replaces
 * the args' own database key. */
static int testdb_args(struct conf_section *s, const char *args,
                       const char *database)
{
	char *copy, *save = NULL, *kv;
	int rc = 0;

	if (database != NULL)
		rc = conf_section_set(s, "database", database);
	if (args == NULL || *args == '\0' || rc != 0)
		return rc;
	copy = util_strdup(args);
	if (copy == NULL)
		return KEEL_ENOMEM;
	for (kv = strtok_r(copy, ";", &save); kv && rc == 0;
	     kv = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(kv, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (database != NULL && strcmp(kv, "database") == 0)
			continue;
		rc = conf_section_set(s, kv, eq + 1);
	}
	free(copy);
	return rc;
}

/* A started instance of t->plugin configured from args (and database). */
static int testdb_instance(struct testdb *t, const char *database,
                           struct plugin_instance **out, char *err,
                           size_t errlen)
{
	struct conf_section *s = conf_section_new("db");
	int rc;

	*out = NULL;
	if (s == NULL ||
	    testdb_args(s, getenv("KEEL_TEST_DB_ARGS"), database) != 0) {
		conf_section_free(s);
		util_fmt(err, errlen, "out of memory");
		return KEEL_ENOMEM;
	}
	rc = plugin_instance_new(t->plugin, s, t->dir, out, err, errlen);
	if (rc == 0)
		rc = plugin_instance_start(*out, err, errlen);
	conf_section_free(s);
	if (rc != 0) {
		plugin_instance_free(*out);
		*out = NULL;
	}
	return rc;
}

/* One statement outside any transaction (CREATE DATABASE refuses to run
 * in one) on a connection of its own. */
static int testdb_admin_exec(struct plugin_instance *pi, const char *sql,
                             char *err, size_t errlen)
{
	const struct keel_db_ops *ops = plugin_instance_ops(pi);
	struct keel_db_conn *c = NULL;
	struct keel_err ke = {0};
	int rc;

	rc = ops->conn_open(plugin_instance_self(pi), &c, &ke);
	if (rc == 0)
		rc = ops->exec(c, sql, NULL, 0, NULL, &ke);
	ops->conn_close(c);
	if (rc != 0)
		util_fmt(err, errlen, "%s: %s", sql, ke.msg);
	return rc;
}

/*
 * Server engines: every testdb_open gets a database of its own, created
 * through the database KEEL_TEST_DB_ARGS names and dropped by
 * testdb_close, so suites start empty as they do on SQLite.
 */
static int testdb_server_db(struct testdb *t, char *err, size_t errlen)
{
	static unsigned seq;
	char sql[160];
	int rc;

	rc = testdb_instance(t, NULL, &t->admin, err, errlen);
	if (rc != 0)
		return rc;
	util_fmt(t->dbname, sizeof(t->dbname), "keel_t%ld_%u", (long)getpid(),
	         __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
	util_fmt(sql, sizeof(sql), "CREATE DATABASE %s%s", t->dbname,
	         strcmp(t->driver, "mysql") == 0
	             ? " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
	             : "");
	rc = testdb_admin_exec(t->admin, sql, err, errlen);
	if (rc != 0)
		t->dbname[0] = '\0';
	return rc;
}

int testdb_open(struct testdb *t, unsigned nconns, char *err, size_t errlen)
{
	const char *driver = getenv("KEEL_TEST_DB");
	const char *pdir = getenv("KEEL_PLUGIN_DIR");
	const char *bdir = getenv("KEEL_BUILDDIR");
	char plugin_dir[512], path[700];
	int rc;

	memset(t, 0, sizeof(*t));
	if (driver == NULL || *driver == '\0')
		driver = "sqlite";
	util_strlcpy(t->driver, driver, sizeof(t->driver));
	if (pdir != NULL)
		util_strlcpy(plugin_dir, pdir, sizeof(plugin_dir));
	else
		util_fmt(plugin_dir, sizeof(plugin_dir), "%s/.libs",
		         bdir ? bdir : ".");
	util_fmt(path, sizeof(path), "%s/db_%s.so", plugin_dir, driver);
	if (access(path, F_OK) != 0) {
		util_fmt(err, errlen, "%s is not built", path);
		return KEEL_ENOTFOUND;
	}
	util_fmt(t->dir, sizeof(t->dir), "%s/keel-testdb-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(t->dir) == NULL) {
		util_fmt(err, errlen, "mkdtemp failed");
		t->dir[0] = '\0';
		return KEEL_EINTERNAL;
	}
	rc = plugin_open(plugin_dir, path, KEEL_KIND_DB, driver, &t->plugin,
	                 err, errlen);
	if (rc != 0)
		goto fail;
	if (strcmp(driver, "sqlite") != 0) {
		rc = testdb_server_db(t, err, errlen);
		if (rc != 0)
			goto fail;
	}
	rc = testdb_instance(t, t->dbname[0] ? t->dbname : NULL, &t->inst, err,
	                     errlen);
	if (rc != 0)
		goto fail;
	rc = db_open(t->inst, nconns, &t->db, err, errlen);
	if (rc != 0)
		goto fail;
	rc = migrate_apply(t->db, NULL, err, errlen);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	testdb_close(t);
	return rc;
}

void testdb_close(struct testdb *t)
{
	char cmd[400];

	db_close(t->db);
	plugin_instance_free(t->inst);
	if (t->admin != NULL && t->dbname[0] != '\0') {
		char sql[160], err[512];

		util_fmt(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s%s",
		         t->dbname,
		         strcmp(t->driver, "postgres") == 0 ? " WITH (FORCE)"
		                                            : "");
		if (testdb_admin_exec(t->admin, sql, err, sizeof(err)) != 0)
			fprintf(stderr, "# %s\n", err);
	}
	plugin_instance_free(t->admin);
	plugin_close(t->plugin);
	if (t->dir[0] != '\0') {
		util_fmt(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", t->dir);
	}
	memset(t, 0, sizeof(*t));
}

int testdb_call(struct svc *svc, struct arena *a, const char *method,
                const ProtobufCMessage *msg,
                const ProtobufCMessageDescriptor *out_desc, void **out,
                const char **message)
{
	struct call c = {.arena = a, .svc = svc, .door = "test"};
	size_t n = msg ? protobuf_c_message_get_packed_size(msg) : 0;
	uint8_t *req = arena_alloc(a, n + 1), *resp;
	size_t resp_len;

	if (msg)
		protobuf_c_message_pack(msg, req);
	rpc_dispatch(&c, method, req, n, &resp, &resp_len);
	*message = c.message;
	if (out) {
		*out = NULL;
		if (c.code == 0 && out_desc)
			*out = protobuf_c_message_unpack(
			    out_desc, arena_pb_allocator(a), resp_len, resp);
	}
	return c.code;
}

struct testdb_plan {
	const char *sql;
	const struct keel_db_val *args;
	size_t nargs;
	char *out;
	size_t outlen;
};

static int testdb_plan_row(void *arg, const struct keel_db_val *cols,
                           size_t n)
{
	struct testdb_plan *p = arg;
	size_t len = strlen(p->out);

	if (n >= 4 && cols[3].type == KEEL_DB_TEXT)
		snprintf(p->out + len, p->outlen - len, "%.*s; ",
		         (int)cols[3].n, (const char *)cols[3].p);
	return 0;
}

static int testdb_plan_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct testdb_plan *p = arg;
	char q[8192];

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", p->sql);
	p->out[0] = '\0';
	return db_query(c, q, p->args, p->nargs, testdb_plan_row, p, err);
}

int testdb_explain(struct db *db, const char *sql,
                   const struct keel_db_val *args, size_t nargs, char *out,
                   size_t outlen, struct keel_err *err)
{
	struct testdb_plan p = {sql, args, nargs, out, outlen};

	out[0] = '\0';
	return db_tx(db, KEEL_DB_TX_READ, testdb_plan_tx, &p, err);
}
