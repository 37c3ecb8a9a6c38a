/*
 * db_conformance.c -- what every [db] driver must do, whatever the engine.
 *
 *     db_conformance [DRIVER [KEY=VALUE...]]
 *
 * (see conformance.h for the environment form).  The suite loads the
 * driver through the core's loader and drives its ops directly: value
 * round trips for every type, change counts, the error mapping the core
 * relies on (unique -> KEEL_EEXIST, not-null -> KEEL_EPRECOND, bad SQL ->
 * negative code with a message), transactions and their visibility from
 * a second connection, row callback stop/abort, statement cache churn,
 * RETURNING/UPSERT when advertised, and concurrent writers on their own
 * connections (serialised by the suite, as the core does, when the driver
 * says KEEL_DB_CAP_SINGLE_WRITER).  SQL is written with "?" and rewritten
 * to "$n" for drivers that want that; column types are picked per dialect
 * where engines differ.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/keel_db.h>

#include "conformance.h"
#include "tap.h"

#define NTHREADS 4
#define NTX      50 /* write transactions per thread */
#define CAP_COLS 8
#define CAP_IDS  64
#define BIG_BLOB (1024 * 1024)

static const struct keel_db_ops *ops;
static void *self;

/* ---------------------------------------------------------------------
 * SQL helpers
 * ------------------------------------------------------------------- */

static int is_dialect(const char *d)
{
	return strcmp(ops->dialect, d) == 0;
}

static const char *type_blob(void)
{
	if (is_dialect("postgres"))
		return "BYTEA";
	if (is_dialect("mysql"))
		return "LONGBLOB";
	return "BLOB";
}

static const char *type_text(void)
{
	return is_dialect("mysql") ? "LONGTEXT" : "TEXT";
}

/* sql with "?" rewritten for the driver's placeholder style; owned. */
static char *sql_for(const char *sql)
{
	size_t n = strlen(sql), i, o = 0;
	unsigned k = 0;
	char *out;

	out = malloc(n * 4 + 1);
	if (out == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (sql[i] == '?' && ops->placeholder == KEEL_DB_PH_DOLLAR)
			o += (size_t)snprintf(out + o, 12, "$%u", ++k);
		else
			out[o++] = sql[i];
	}
	out[o] = '\0';
	return out;
}

static int x_exec(struct keel_db_conn *c, const char *sql,
                  const struct keel_db_val *args, size_t nargs,
                  int64_t *changed, struct keel_err *err)
{
	char *s = sql_for(sql);
	int rc;

	memset(err, 0, sizeof(*err));
	rc = ops->exec(c, s, args, nargs, changed, err);
	if (rc != KEEL_OK)
		tap_diag("exec \"%s\": %d %s", s, rc, err->msg);
	free(s);
	return rc;
}

static int x_query(struct keel_db_conn *c, const char *sql,
                   const struct keel_db_val *args, size_t nargs,
                   keel_db_row_fn fn, void *arg, struct keel_err *err)
{
	char *s = sql_for(sql);
	int rc;

	memset(err, 0, sizeof(*err));
	rc = ops->query(c, s, args, nargs, fn, arg, err);
	if (rc != KEEL_OK)
		tap_diag("query \"%s\": %d %s", s, rc, err->msg);
	free(s);
	return rc;
}

/* Simple exec that must work; returns rc. */
static int run(struct keel_db_conn *c, const char *sql)
{
	struct keel_err err;

	return x_exec(c, sql, NULL, 0, NULL, &err);
}

static struct keel_db_val v_null(void)
{
	struct keel_db_val v = {.type = KEEL_DB_NULL};
	return v;
}

static struct keel_db_val v_int(int64_t i)
{
	struct keel_db_val v = {.type = KEEL_DB_INT, .i = i};
	return v;
}

static struct keel_db_val v_real(double r)
{
	struct keel_db_val v = {.type = KEEL_DB_REAL, .r = r};
	return v;
}

static struct keel_db_val v_text(const char *p, size_t n)
{
	struct keel_db_val v = {.type = KEEL_DB_TEXT, .p = p, .n = n};
	return v;
}

static struct keel_db_val v_blob(const void *p, size_t n)
{
	struct keel_db_val v = {.type = KEEL_DB_BLOB, .p = p, .n = n};
	return v;
}

/* ---------------------------------------------------------------------
 * Row capture
 * ------------------------------------------------------------------- */

struct cap {
	size_t rows;
	size_t ncols;
	struct keel_db_val v[CAP_COLS]; /* first row, p deep-copied */
	int64_t ids[CAP_IDS];           /* column 0 of each row, when INT */
	size_t stop_after;              /* >0: return 1 after that many rows */
	int abort_with;                 /* <0: return it from the first row */
};

static void cap_reset(struct cap *k)
{
	size_t i;

	for (i = 0; i < CAP_COLS; i++)
		free((void *)k->v[i].p);
	memset(k, 0, sizeof(*k));
}

static int cap_row(void *arg, const struct keel_db_val *cols, size_t n)
{
	struct cap *k = arg;
	size_t i;
	void *copy;

	if (k->abort_with < 0)
		return k->abort_with;
	if (k->rows == 0) {
		k->ncols = n;
		for (i = 0; i < n && i < CAP_COLS; i++) {
			k->v[i] = cols[i];
			k->v[i].p = NULL;
			if (cols[i].type != KEEL_DB_TEXT &&
			    cols[i].type != KEEL_DB_BLOB)
				continue;
			/* Callers must copy: the driver's memory goes away
			 * after the callback. */
			copy = malloc(cols[i].n + 1);
			if (copy == NULL)
				return KEEL_ENOMEM;
			if (cols[i].n > 0)
				memcpy(copy, cols[i].p, cols[i].n);
			((char *)copy)[cols[i].n] = '\0';
			k->v[i].p = copy;
		}
	}
	if (k->rows < CAP_IDS && n > 0 && cols[0].type == KEEL_DB_INT)
		k->ids[k->rows] = cols[0].i;
	k->rows++;
	if (k->stop_after > 0 && k->rows >= k->stop_after)
		return 1;
	return 0;
}

/* The single integer a query returns (COUNT(*) and the like). */
static int64_t query_int(struct keel_db_conn *c, const char *sql,
                         const struct keel_db_val *args, size_t nargs)
{
	struct keel_err err;
	struct cap k = {0};
	int64_t v = -1;

	if (x_query(c, sql, args, nargs, cap_row, &k, &err) == KEEL_OK &&
	    k.rows == 1 && k.ncols == 1 && k.v[0].type == KEEL_DB_INT)
		v = k.v[0].i;
	cap_reset(&k);
	return v;
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

static void t_descriptor(const struct cf_env *e)
{
	TAP_EQ_INT(e->desc->kind, KEEL_KIND_DB, "descriptor kind is db");
	TAP_EQ_STR(e->desc->name, e->driver, "descriptor name is %s",
	           e->driver);
	TAP_OK(ops->dialect != NULL && ops->dialect[0] != '\0',
	       "dialect is set (%s)", ops->dialect ? ops->dialect : "null");
	TAP_OK(ops->placeholder == KEEL_DB_PH_QMARK ||
	           ops->placeholder == KEEL_DB_PH_DOLLAR,
	       "placeholder style is known (%u)", (unsigned)ops->placeholder);
	TAP_OK(ops->conn_open && ops->conn_close && ops->exec && ops->query &&
	           ops->begin && ops->commit && ops->rollback,
	       "required ops are present");
	tap_diag("caps 0x%x", (unsigned)ops->caps);
}

static void t_values(struct keel_db_conn *c, const unsigned char *big)
{
	static const char utf8[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 "
	                           "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80";
	static const char nulblob[] = {'a', '\0', 'b', '\0'};
	struct keel_db_val args[5], key;
	struct keel_err err;
	struct cap k = {0};
	char sql[256];
	int64_t changed;
	int rc;

	snprintf(sql, sizeof(sql),
	         "CREATE TABLE keel_conf_vals (id BIGINT PRIMARY KEY, "
	         "i BIGINT, r DOUBLE PRECISION, t %s, b %s)",
	         type_text(), type_blob());
	TAP_EQ_INT(run(c, sql), KEEL_OK, "create table");

	/* 1: all NULL; 2: INT64_MIN, empty text, embedded-NUL blob;
	 * 3: INT64_MAX, UTF-8, 1 MiB blob; 4: zero, empty blob. */
	args[0] = v_int(1);
	args[1] = v_null();
	args[2] = v_null();
	args[3] = v_null();
	args[4] = v_null();
	changed = -1;
	rc = x_exec(c, "INSERT INTO keel_conf_vals VALUES (?, ?, ?, ?, ?)",
	            args, 5, &changed, &err);
	TAP_EQ_INT(rc, KEEL_OK, "insert row of NULLs");
	TAP_EQ_INT(changed, 1, "insert reports 1 changed row");

	args[0] = v_int(2);
	args[1] = v_int(INT64_MIN);
	args[2] = v_real(0.1);
	args[3] = v_text("", 0);
	args[4] = v_blob(nulblob, sizeof(nulblob));
	rc = x_exec(c, "INSERT INTO keel_conf_vals VALUES (?, ?, ?, ?, ?)",
	            args, 5, &changed, &err);
	TAP_EQ_INT(rc, KEEL_OK, "insert INT64_MIN, empty text, NUL blob");

	args[0] = v_int(3);
	args[1] = v_int(INT64_MAX);
	args[2] = v_real(-1.25e300);
	args[3] = v_text(utf8, strlen(utf8));
	args[4] = v_blob(big, BIG_BLOB);
	rc = x_exec(c, "INSERT INTO keel_conf_vals VALUES (?, ?, ?, ?, ?)",
	            args, 5, &changed, &err);
	TAP_EQ_INT(rc, KEEL_OK, "insert INT64_MAX, UTF-8, 1 MiB blob");

	args[0] = v_int(4);
	args[1] = v_int(0);
	args[2] = v_real(0.0);
	args[3] = v_text("x", 1);
	args[4] = v_blob(NULL, 0);
	rc = x_exec(c, "INSERT INTO keel_conf_vals VALUES (?, ?, ?, ?, ?)",
	            args, 5, &changed, &err);
	TAP_EQ_INT(rc, KEEL_OK, "insert empty blob");

	/* Row 1: every column NULL. */
	key = v_int(1);
	rc = x_query(c, "SELECT i, r, t, b FROM keel_conf_vals WHERE id = ?",
	             &key, 1, cap_row, &k, &err);
	TAP_OK(rc == KEEL_OK && k.rows == 1 && k.ncols == 4,
	       "select row 1: one row of 4 columns");
	TAP_OK(k.v[0].type == KEEL_DB_NULL && k.v[1].type == KEEL_DB_NULL &&
	           k.v[2].type == KEEL_DB_NULL && k.v[3].type == KEEL_DB_NULL,
	       "NULL reads back as NULL in every type");
	cap_reset(&k);

	key = v_int(2);
	rc = x_query(c, "SELECT i, r, t, b FROM keel_conf_vals WHERE id = ?",
	             &key, 1, cap_row, &k, &err);
	TAP_OK(rc == KEEL_OK && k.rows == 1, "select row 2");
	TAP_OK(k.v[0].type == KEEL_DB_INT && k.v[0].i == INT64_MIN,
	       "INT64_MIN round trip");
	TAP_OK(k.v[1].type == KEEL_DB_REAL && k.v[1].r == 0.1,
	       "0.1 round trips exactly");
	TAP_OK(k.v[2].type == KEEL_DB_TEXT && k.v[2].n == 0,
	       "empty text stays empty text, not NULL");
	TAP_OK(k.v[3].type == KEEL_DB_BLOB && k.v[3].n == sizeof(nulblob) &&
	           memcmp(k.v[3].p, nulblob, sizeof(nulblob)) == 0,
	       "blob with embedded NULs round trip");
	cap_reset(&k);

	key = v_int(3);
	rc = x_query(c, "SELECT i, r, t, b FROM keel_conf_vals WHERE id = ?",
	             &key, 1, cap_row, &k, &err);
	TAP_OK(rc == KEEL_OK && k.rows == 1, "select row 3");
	TAP_OK(k.v[0].type == KEEL_DB_INT && k.v[0].i == INT64_MAX,
	       "INT64_MAX round trip");
	TAP_OK(k.v[1].type == KEEL_DB_REAL && k.v[1].r == -1.25e300,
	       "-1.25e300 round trip");
	TAP_OK(k.v[2].type == KEEL_DB_TEXT && k.v[2].n == strlen(utf8) &&
	           memcmp(k.v[2].p, utf8, strlen(utf8)) == 0,
	       "UTF-8 text round trip");
	TAP_OK(k.v[3].type == KEEL_DB_BLOB && k.v[3].n == BIG_BLOB &&
	           memcmp(k.v[3].p, big, BIG_BLOB) == 0,
	       "1 MiB blob round trip");
	cap_reset(&k);

	key = v_int(4);
	rc = x_query(c, "SELECT b FROM keel_conf_vals WHERE id = ?", &key, 1,
	             cap_row, &k, &err);
	TAP_OK(rc == KEEL_OK && k.rows == 1 && k.v[0].type == KEEL_DB_BLOB &&
	           k.v[0].n == 0,
	       "empty blob stays an empty blob, not NULL");
	cap_reset(&k);

	key = v_int(999);
	rc = x_query(c, "SELECT b FROM keel_conf_vals WHERE id = ?", &key, 1,
	             cap_row, &k, &err);
	TAP_OK(rc == KEEL_OK && k.rows == 0, "no rows: no callback, KEEL_OK");
	cap_reset(&k);
}

static void t_changed(struct keel_db_conn *c)
{
	struct keel_db_val args[2];
	struct keel_err err;
	int64_t changed;
	int rc;

	args[0] = v_text("u", 1);
	args[1] = v_int(3);
	changed = -1;
	rc = x_exec(c, "UPDATE keel_conf_vals SET t = ? WHERE id >= ?", args, 2,
	            &changed, &err);
	TAP_OK(rc == KEEL_OK && changed == 2,
	       "update of 2 rows reports 2 (got %lld)", (long long)changed);
	args[0] = v_int(999);
	changed = -1;
	rc = x_exec(c, "DELETE FROM keel_conf_vals WHERE id = ?", args, 1,
	            &changed, &err);
	TAP_OK(rc == KEEL_OK && changed == 0,
	       "delete of nothing reports 0 (got %lld)", (long long)changed);
	changed = -1;
	rc = x_exec(c,
	            "CREATE TABLE keel_conf_nn (id BIGINT PRIMARY KEY, "
	            "v BIGINT NOT NULL)",
	            NULL, 0, &changed, &err);
	TAP_OK(rc == KEEL_OK && changed == 0,
	       "DDL after DML reports 0 changed rows (got %lld)",
	       (long long)changed);
	rc = x_exec(c, "SELECT 1", NULL, 0, NULL, &err);
	TAP_EQ_INT(rc, KEEL_OK, "exec of a statement with rows discards them");
}

static void t_errors(struct keel_db_conn *c)
{
	struct keel_db_val args[2];
	struct keel_err err;
	int rc;

	args[0] = v_int(1);
	args[1] = v_null();
	rc = x_exec(c, "INSERT INTO keel_conf_vals (id, i) VALUES (?, ?)", args,
	            2, NULL, &err);
	TAP_EQ_INT(rc, KEEL_EEXIST, "duplicate primary key is KEEL_EEXIST");
	TAP_EQ_INT(err.code, rc, "err.code matches the return value");
	TAP_OK(err.msg[0] != '\0', "duplicate key has a message: %s", err.msg);
	TAP_EQ_INT(query_int(c, "SELECT COUNT(*) FROM keel_conf_vals", NULL, 0),
	           4, "connection still works after a constraint error");

	args[0] = v_int(1);
	args[1] = v_null();
	rc = x_exec(c, "INSERT INTO keel_conf_nn (id, v) VALUES (?, ?)", args,
	            2, NULL, &err);
	TAP_EQ_INT(rc, KEEL_EPRECOND, "NOT NULL violation is KEEL_EPRECOND");

	memset(&err, 0, sizeof(err));
	rc = ops->exec(c, "SELEKT nonsense FROM", NULL, 0, NULL, &err);
	TAP_OK(rc < 0, "bad SQL fails (%d)", rc);
	TAP_OK(err.msg[0] != '\0', "bad SQL has a message: %s", err.msg);
	memset(&err, 0, sizeof(err));
	rc = ops->query(c, "SELECT * FROM keel_conf_missing", NULL, 0, NULL,
	                NULL, &err);
	TAP_OK(rc < 0 && err.msg[0] != '\0',
	       "query of a missing table fails with a message: %s", err.msg);
	TAP_EQ_INT(query_int(c, "SELECT 1", NULL, 0), 1,
	           "connection still works after bad SQL");
}

static void t_transactions(struct keel_db_conn *c1, struct keel_db_conn *c2)
{
	struct keel_db_val args[2];
	struct keel_err err;
	int rc;

	rc = ops->begin(c1, KEEL_DB_TX_WRITE, &err);
	TAP_EQ_INT(rc, KEEL_OK, "begin write transaction");
	args[0] = v_int(10);
	args[1] = v_int(10);
	rc = x_exec(c1, "INSERT INTO keel_conf_vals (id, i) VALUES (?, ?)",
	            args, 2, NULL, &err);
	TAP_EQ_INT(rc, KEEL_OK, "insert inside the transaction");
	TAP_EQ_INT(query_int(c1,
	                     "SELECT COUNT(*) FROM keel_conf_vals WHERE id = ?",
	                     args, 1),
	           1, "the transaction sees its own insert");
	rc = ops->rollback(c1, &err);
	TAP_EQ_INT(rc, KEEL_OK, "rollback");
	TAP_EQ_INT(query_int(c1,
	                     "SELECT COUNT(*) FROM keel_conf_vals WHERE id = ?",
	                     args, 1),
	           0, "rollback discards the insert");

	rc = ops->begin(c1, KEEL_DB_TX_WRITE, &err);
	TAP_EQ_INT(rc, KEEL_OK, "begin again");
	args[0] = v_int(11);
	args[1] = v_int(11);
	rc = x_exec(c1, "INSERT INTO keel_conf_vals (id, i) VALUES (?, ?)",
	            args, 2, NULL, &err);
	TAP_EQ_INT(rc, KEEL_OK, "insert");
	TAP_EQ_INT(query_int(c2,
	                     "SELECT COUNT(*) FROM keel_conf_vals WHERE id = ?",
	                     args, 1),
	           0, "another connection does not see uncommitted rows");
	rc = ops->commit(c1, &err);
	TAP_EQ_INT(rc, KEEL_OK, "commit");
	TAP_EQ_INT(query_int(c2,
	                     "SELECT COUNT(*) FROM keel_conf_vals WHERE id = ?",
	                     args, 1),
	           1, "committed row is visible from a second connection");

	rc = ops->begin(c1, KEEL_DB_TX_READ, &err);
	TAP_EQ_INT(rc, KEEL_OK, "begin read transaction");
	TAP_EQ_INT(
	    query_int(c1, "SELECT COUNT(*) FROM keel_conf_vals", NULL, 0), 5,
	    "read inside a read transaction");
	rc = ops->commit(c1, &err);
	TAP_EQ_INT(rc, KEEL_OK, "commit read transaction");
}

static void t_callbacks(struct keel_db_conn *c)
{
	struct keel_err err;
	struct cap k = {0};
	int rc;

	k.stop_after = 2;
	rc = x_query(c, "SELECT id FROM keel_conf_vals ORDER BY id", NULL, 0,
	             cap_row, &k, &err);
	TAP_EQ_INT(rc, KEEL_OK, "row callback >0 stops with KEEL_OK");
	TAP_EQ_INT(k.rows, 2, "no rows after the stop");
	TAP_OK(k.ids[0] == 1 && k.ids[1] == 2, "rows come in ORDER BY order");
	cap_reset(&k);

	k.abort_with = KEEL_EABORTED;
	memset(&err, 0, sizeof(err));
	rc = ops->query(c, "SELECT id FROM keel_conf_vals ORDER BY id", NULL, 0,
	                cap_row, &k, &err);
	TAP_EQ_INT(rc, KEEL_EABORTED, "row callback <0 aborts with its code");
	cap_reset(&k);

	rc = x_query(c, "SELECT id FROM keel_conf_vals ORDER BY id", NULL, 0,
	             cap_row, &k, &err);
	TAP_OK(rc == KEEL_OK && k.rows == 5,
	       "the same statement runs in full after stop and abort (%zu)",
	       k.rows);
	cap_reset(&k);
}

/* Many distinct statements, then the first ones again: a statement cache
 * must evict and re-prepare without mixing them up. */
static void t_statement_churn(struct keel_db_conn *c)
{
	struct keel_db_val key = v_int(3);
	char sql[128];
	int i, bad = 0;

	for (i = 0; i < 300; i++) {
		snprintf(sql, sizeof(sql),
		         "SELECT id + %d FROM keel_conf_vals WHERE id = ?", i);
		if (query_int(c, sql, &key, 1) != 3 + i)
			bad++;
	}
	for (i = 0; i < 300; i += 7) {
		snprintf(sql, sizeof(sql),
		         "SELECT id + %d FROM keel_conf_vals WHERE id = ?", i);
		if (query_int(c, sql, &key, 1) != 3 + i)
			bad++;
	}
	TAP_EQ_INT(bad, 0,
	           "300 distinct statements and repeats give the right rows");
}

static void t_dialect_caps(struct keel_db_conn *c)
{
	struct keel_db_val args[2];
	struct keel_err err;
	struct cap k = {0};
	const char *upsert;
	int64_t changed;
	int rc;

	if (ops->caps & KEEL_DB_CAP_RETURNING) {
		args[0] = v_int(20);
		args[1] = v_int(7);
		rc = x_query(c,
		             "INSERT INTO keel_conf_vals (id, i) VALUES (?, ?) "
		             "RETURNING id, i",
		             args, 2, cap_row, &k, &err);
		TAP_OK(rc == KEEL_OK && k.rows == 1 && k.v[0].i == 20 &&
		           k.v[1].i == 7,
		       "INSERT ... RETURNING gives the row");
		cap_reset(&k);
	}
	if (!(ops->caps & KEEL_DB_CAP_UPSERT))
		return;
	upsert = is_dialect("mysql")
	             ? "INSERT INTO keel_conf_vals (id, i) VALUES (?, ?) "
	               "ON DUPLICATE KEY UPDATE i = VALUES(i)"
	             : "INSERT INTO keel_conf_vals (id, i) VALUES (?, ?) "
	               "ON CONFLICT (id) DO UPDATE SET i = excluded.i";
	args[0] = v_int(21);
	args[1] = v_int(1);
	rc = x_exec(c, upsert, args, 2, &changed, &err);
	TAP_EQ_INT(rc, KEEL_OK, "upsert inserts");
	args[1] = v_int(2);
	rc = x_exec(c, upsert, args, 2, &changed, &err);
	TAP_EQ_INT(rc, KEEL_OK, "upsert of an existing key is not an error");
	TAP_EQ_INT(
	    query_int(c, "SELECT i FROM keel_conf_vals WHERE id = ?", args, 1),
	    2, "upsert updated the row");
}

/* ---------------------------------------------------------------------
 * Concurrent writers
 * ------------------------------------------------------------------- */

struct writer {
	pthread_t tid;
	int n;                  /* thread number */
	pthread_mutex_t *wlock; /* NULL unless the driver is single-writer */
	int done;               /* committed transactions */
	int retries;
	char msg[400]; /* first failure */
};

static int writer_tx(struct keel_db_conn *c, struct writer *w, int i,
                     struct keel_err *err)
{
	struct keel_db_val args[2];
	int rc;

	args[0] = v_int(100000 + w->n * 1000 + i);
	args[1] = v_int(w->n);
	if (w->wlock != NULL)
		pthread_mutex_lock(w->wlock);
	rc = ops->begin(c, KEEL_DB_TX_WRITE, err);
	if (rc == KEEL_OK)
		rc = x_exec(
		    c, "INSERT INTO keel_conf_conc (id, who) VALUES (?, ?)",
		    args, 2, NULL, err);
	if (rc == KEEL_OK)
		rc = ops->commit(c, err);
	if (rc != KEEL_OK)
		ops->rollback(c, err);
	if (w->wlock != NULL)
		pthread_mutex_unlock(w->wlock);
	return rc;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct keel_db_conn *c = NULL;
	struct keel_err err = {0};
	int i, tries, rc;

	rc = ops->conn_open(self, &c, &err);
	if (rc != KEEL_OK) {
		snprintf(w->msg, sizeof(w->msg), "conn_open: %d %s", rc,
		         err.msg);
		return NULL;
	}
	for (i = 0; i < NTX; i++) {
		/* Only KEEL_EAGAIN is retried, as the core does. */
		for (tries = 0; tries < 20; tries++) {
			memset(&err, 0, sizeof(err));
			rc = writer_tx(c, w, i, &err);
			if (rc != KEEL_EAGAIN)
				break;
			w->retries++;
		}
		if (rc != KEEL_OK) {
			snprintf(w->msg, sizeof(w->msg), "tx %d: %d %s", i, rc,
			         err.msg);
			break;
		}
		w->done++;
		/* A reader on the same connection between writes. */
		if (query_int(c, "SELECT COUNT(*) FROM keel_conf_conc", NULL,
		              0) < 1) {
			snprintf(w->msg, sizeof(w->msg), "count after tx %d",
			         i);
			break;
		}
	}
	ops->conn_close(c);
	return NULL;
}

static void t_concurrency(struct keel_db_conn *c)
{
	pthread_mutex_t wlock = PTHREAD_MUTEX_INITIALIZER;
	struct writer w[NTHREADS];
	struct keel_db_val who;
	int i, ok = 1, retries = 0;
	int single = (ops->caps & KEEL_DB_CAP_SINGLE_WRITER) != 0;

	TAP_EQ_INT(run(c, "CREATE TABLE keel_conf_conc (id BIGINT PRIMARY "
	                  "KEY, who BIGINT NOT NULL)"),
	           KEEL_OK, "create table for concurrent writers");
	memset(w, 0, sizeof(w));
	for (i = 0; i < NTHREADS; i++) {
		w[i].n = i;
		w[i].wlock = single ? &wlock : NULL;
		if (pthread_create(&w[i].tid, NULL, writer_main, &w[i]) != 0)
			abort();
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].done != NTX) {
			ok = 0;
			tap_diag("writer %d: %d/%d done: %s", i, w[i].done, NTX,
			         w[i].msg);
		}
		retries += w[i].retries;
	}
	TAP_OK(ok,
	       "%d threads x %d write transactions on their own "
	       "connections%s (%d retries)",
	       NTHREADS, NTX, single ? ", serialised" : "", retries);
	TAP_EQ_INT(query_int(c, "SELECT COUNT(*) FROM keel_conf_conc", NULL, 0),
	           NTHREADS * NTX, "every committed row is there");
	who = v_int(NTHREADS - 1);
	TAP_EQ_INT(
	    query_int(c, "SELECT COUNT(*) FROM keel_conf_conc WHERE who = ?",
	              &who, 1),
	    NTX, "rows of the last writer are all there");
}

int main(int argc, char **argv)
{
	struct keel_db_conn *c1 = NULL, *c2 = NULL;
	struct keel_err err = {0};
	struct cf_env env;
	unsigned char *big;
	char why[1024];
	size_t i;
	int rc;

	rc = cf_setup(&env, KEEL_KIND_DB, "sqlite", argc, argv, why,
	              sizeof(why));
	if (rc == CF_SKIP) {
		cf_teardown(&env);
		return tap_skip_all(why);
	}
	TAP_OK(rc == CF_READY, "load, configure and start db driver %s%s%s",
	       env.driver ? env.driver : "?", rc == CF_READY ? "" : ": ",
	       rc == CF_READY ? "" : why);
	if (rc != CF_READY) {
		cf_teardown(&env);
		return tap_done();
	}
	ops = env.ops;
	self = env.self;
	t_descriptor(&env);

	rc = ops->conn_open(self, &c1, &err);
	TAP_OK(rc == KEEL_OK && c1 != NULL, "conn_open: %s", err.msg);
	rc = ops->conn_open(self, &c2, &err);
	TAP_OK(rc == KEEL_OK && c2 != NULL, "second conn_open: %s", err.msg);
	if (c1 == NULL || c2 == NULL)
		goto out;

	/* Leftovers of an earlier run on a shared server. */
	run(c1, "DROP TABLE IF EXISTS keel_conf_vals");
	run(c1, "DROP TABLE IF EXISTS keel_conf_nn");
	run(c1, "DROP TABLE IF EXISTS keel_conf_conc");

	big = malloc(BIG_BLOB);
	if (big == NULL)
		abort();
	for (i = 0; i < BIG_BLOB; i++)
		big[i] = (unsigned char)(i * 131 + (i >> 11));
	t_values(c1, big);
	free(big);
	t_changed(c1);
	t_errors(c1);
	t_transactions(c1, c2);
	t_callbacks(c1);
	t_statement_churn(c1);
	t_dialect_caps(c1);
	t_concurrency(c1);

	if (ops->ping != NULL) {
		rc = ops->ping(c2, &err);
		TAP_EQ_INT(rc, KEEL_OK, "ping");
	}

	run(c1, "DROP TABLE keel_conf_vals");
	run(c1, "DROP TABLE keel_conf_nn");
	run(c1, "DROP TABLE keel_conf_conc");
out:
	ops->conn_close(c2);
	ops->conn_close(c1);
	cf_teardown(&env);
	return tap_done();
}
