/*
 * db.c -- connection pool and transactions over a db plugin.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "plugin.h"
#include "util.h"

#define DB_SQL_MAX 16384

struct db_conn {
	struct db *db;
	struct keel_db_conn *drv; /* NULL until opened (lazily) */
	int busy;
};

struct db {
	struct plugin_instance *pi;
	const struct keel_db_ops *ops;
	void *self;
	pthread_mutex_t lock;
	pthread_cond_t free_cv;
	pthread_mutex_t write_lock; /* single-writer drivers */
	unsigned n;
	struct db_conn conns[];
};

struct keel_db_val db_str(const char *s)
{
	return s ? db_text(s, strlen(s)) : db_null();
}

int db_open(struct plugin_instance *pi, unsigned nconns, struct db **out,
            char *err, size_t errlen)
{
	struct keel_err ke = {0};
	struct db *db;
	int rc;

	*out = NULL;
	if (nconns == 0)
		nconns = 1;
	db = calloc(1, sizeof(*db) + nconns * sizeof(db->conns[0]));
	if (db == NULL)
		return KEEL_ENOMEM;
	db->pi = pi;
	db->ops = plugin_instance_ops(pi);
	db->self = plugin_instance_self(pi);
	db->n = nconns;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->free_cv, NULL);
	pthread_mutex_init(&db->write_lock, NULL);
	for (unsigned i = 0; i < nconns; i++)
		db->conns[i].db = db;
	rc = db->ops->conn_open(db->self, &db->conns[0].drv, &ke);
	if (rc != 0) {
		util_fmt(err, errlen, "cannot connect to the %s database: %s",
		         db->ops->dialect, ke.msg);
		db_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (db == NULL)
		return;
	for (unsigned i = 0; i < db->n; i++)
		if (db->conns[i].drv != NULL)
			db->ops->conn_close(db->conns[i].drv);
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->free_cv);
	pthread_mutex_destroy(&db->write_lock);
	free(db);
}

const char *db_dialect(const struct db *db)
{
	return db->ops->dialect;
}

uint32_t db_caps(const struct db *db)
{
	return db->ops->caps;
}

struct db *db_conn_db(const struct db_conn *c)
{
	return c->db;
}

/* Check out a connection, opened ones first. */
static struct db_conn *db_acquire(struct db *db)
{
	struct db_conn *c = NULL;

	pthread_mutex_lock(&db->lock);
	for (;;) {
		for (unsigned i = 0; i < db->n && c == NULL; i++)
			if (!db->conns[i].busy && db->conns[i].drv != NULL)
				c = &db->conns[i];
		for (unsigned i = 0; i < db->n && c == NULL; i++)
			if (!db->conns[i].busy)
				c = &db->conns[i];
		if (c != NULL)
			break;
		pthread_cond_wait(&db->free_cv, &db->lock);
	}
	c->busy = 1;
	pthread_mutex_unlock(&db->lock);
	return c;
}

static void db_release(struct db_conn *c)
{
	struct db *db = c->db;

	pthread_mutex_lock(&db->lock);
	c->busy = 0;
	pthread_cond_signal(&db->free_cv);
	pthread_mutex_unlock(&db->lock);
}

/* Drop a connection the driver says is broken; reopened on next use. */
static void db_discard(struct db_conn *c)
{
	if (c->drv != NULL) {
		c->db->ops->conn_close(c->drv);
		c->drv = NULL;
	}
}

static void db_backoff(int attempt)
{
	/* 5, 10, 20, 40 ms ... plus jitter from the clock. */
	long ms = 5L << attempt;
	struct timespec ts;

	ms += util_mono_ms() % (ms + 1);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int db_tx(struct db *db, uint32_t flags, db_tx_fn fn, void *arg,
          struct keel_err *err)
{
	int single = (flags & KEEL_DB_TX_WRITE) &&
	             (db->ops->caps & KEEL_DB_CAP_SINGLE_WRITER);
	struct db_conn *c;
	int rc = 0;

	c = db_acquire(db);
	if (single)
		pthread_mutex_lock(&db->write_lock);
	for (int attempt = 0; attempt < DB_RETRIES; attempt++) {
		memset(err, 0, sizeof(*err));
		if (attempt > 0)
			db_backoff(attempt);
		if (c->drv == NULL) {
			rc = db->ops->conn_open(db->self, &c->drv, err);
			if (rc != 0) {
				c->drv = NULL;
				if (rc == KEEL_EAGAIN)
					continue;
				break;
			}
		}
		rc = db->ops->begin(c->drv, flags, err);
		if (rc == 0) {
			rc = fn(c, arg, err);
			if (rc == 0)
				rc = db->ops->commit(c->drv, err);
			if (rc != 0) {
				struct keel_err rerr = {0};
				/* The original error is what matters. */
				if (db->ops->rollback(c->drv, &rerr) != 0 &&
				    rc != KEEL_EAGAIN)
					db_discard(c);
			}
		}
		if (rc != KEEL_EAGAIN)
			break;
		if (err->sys != 0)
			db_discard(c); /* lost connection: reconnect */
		LOG_DEBUG("db", "transaction retry %d after: %s", attempt + 1,
		          err->msg);
	}
	if (single)
		pthread_mutex_unlock(&db->write_lock);
	db_release(c);
	if (rc != 0 && err->code == 0)
		err->code = rc;
	return rc;
}

int db_rewrite_dollar(const char *sql, char *out, size_t outlen)
{
	size_t o = 0;
	int n = 0;
	char quote = 0;

	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			int w = snprintf(out + o, outlen - o, "$%d", ++n);
			if (w < 0 || (size_t)w >= outlen - o)
				return -1;
			o += (size_t)w;
			continue;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = *p;
	}
	out[o] = '\0';
	return (int)o;
}

/* The SQL to hand the driver: sql itself, or its $N rewrite in buf. */
static const char *db_sql(const struct db *db, const char *sql, char *buf,
                          size_t buflen)
{
	if (db->ops->placeholder != KEEL_DB_PH_DOLLAR)
		return sql;
	if (db_rewrite_dollar(sql, buf, buflen) < 0)
		return NULL;
	return buf;
}

int db_exec(struct db_conn *c, const char *sql, const struct keel_db_val *args,
            size_t nargs, int64_t *changed, struct keel_err *err)
{
	char buf[DB_SQL_MAX];
	const char *s = db_sql(c->db, sql, buf, sizeof(buf));

	if (s == NULL)
		return keel_err_set(err, KEEL_EINTERNAL, "statement too long");
	return c->db->ops->exec(c->drv, s, args, nargs, changed, err);
}

int db_query(struct db_conn *c, const char *sql,
             const struct keel_db_val *args, size_t nargs, keel_db_row_fn fn,
             void *arg, struct keel_err *err)
{
	char buf[DB_SQL_MAX];
	const char *s = db_sql(c->db, sql, buf, sizeof(buf));

	if (s == NULL)
		return keel_err_set(err, KEEL_EINTERNAL, "statement too long");
	return c->db->ops->query(c->drv, s, args, nargs, fn, arg, err);
}

const char *db_col_text(struct arena *a, const struct keel_db_val *v,
                        int *nomem)
{
	char *s;

	if (v->type != KEEL_DB_TEXT && v->type != KEEL_DB_BLOB)
		return "";
	s = arena_strndup(a, v->p ? v->p : "", v->n);
	if (s == NULL)
		*nomem = 1;
	return s ? s : "";
}
