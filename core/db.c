/*
 * db.c -- connection pool and transactions over a db plugin.
 *
 * Reads run on pooled connections.  On single-writer drivers (SQLite)
 * write transactions go to one writer thread with a connection of its own:
 * it takes every queued write (up to a batch limit) and runs them in one
 * transaction, each inside SAVEPOINT keel_gc, so one fsync-ish commit pays
 * for the whole batch while a failing function still only undoes its own
 * writes.  Callers wait on their job; their stack stays valid meanwhile.
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

#define DB_SQL_MAX   16384
#define DB_GROUP_MAX 64 /* default jobs per batch */

struct db_conn {
	struct db *db;
	struct keel_db_conn *drv; /* NULL until opened (lazily) */
	int busy;
	int writing; /* in a KEEL_DB_TX_WRITE transaction */
};

/* A write transaction queued for the writer.  Lives on the caller's
 * stack: the caller waits until done is set. */
struct db_job {
	db_tx_fn fn;
	void *arg;
	struct keel_err *err; /* the caller's */
	int rc;
	int done;
	pthread_cond_t done_cv; /* with db->wq_lock */
	struct db_job *next;
};

/* Writer thread states (wq_state). */
enum { DB_WQ_NONE, DB_WQ_RUNNING, DB_WQ_FAILED };

struct db {
	struct plugin_instance *pi;
	const struct keel_db_ops *ops;
	void *self;
	pthread_mutex_t lock;
	pthread_cond_t free_cv;
	/* Serialises writes when the writer thread could not start. */
	pthread_mutex_t write_lock;

	/* Group commit, single-writer drivers; all under wq_lock. */
	pthread_mutex_t wq_lock;
	pthread_cond_t wq_cv; /* jobs queued, or stopping */
	struct db_job *wq_head, *wq_tail;
	unsigned wq_max; /* jobs per batch */
	int wq_state;    /* DB_WQ_* */
	int wq_stop;
	pthread_t writer;
	uint64_t st_batches, st_jobs;
	unsigned st_max;
	struct db_conn wconn; /* the writer thread's own */

	unsigned n;
	struct db_conn conns[];
};

/* The db whose writer thread this is: a write db_tx from inside a write
 * function would wait for itself. */
static _Thread_local const struct db *db_writer_of;

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
	pthread_mutex_init(&db->wq_lock, NULL);
	pthread_cond_init(&db->wq_cv, NULL);
	db->wq_max = DB_GROUP_MAX;
	db->wconn.db = db;
	db->wconn.writing = 1; /* it runs write transactions only */
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
	int running;

	if (db == NULL)
		return;
	/* The writer finishes what is queued, then exits. */
	pthread_mutex_lock(&db->wq_lock);
	db->wq_stop = 1;
	running = db->wq_state == DB_WQ_RUNNING;
	pthread_cond_signal(&db->wq_cv);
	pthread_mutex_unlock(&db->wq_lock);
	if (running)
		pthread_join(db->writer, NULL);
	if (db->wconn.drv != NULL)
		db->ops->conn_close(db->wconn.drv);
	for (unsigned i = 0; i < db->n; i++)
		if (db->conns[i].drv != NULL)
			db->ops->conn_close(db->conns[i].drv);
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->free_cv);
	pthread_mutex_destroy(&db->write_lock);
	pthread_mutex_destroy(&db->wq_lock);
	pthread_cond_destroy(&db->wq_cv);
	free(db);
}

void db_set_group_commit(struct db *db, unsigned max_batch)
{
	pthread_mutex_lock(&db->wq_lock);
	db->wq_max = max_batch > 0 ? max_batch : 1;
	pthread_mutex_unlock(&db->wq_lock);
}

void db_group_stats(struct db *db, uint64_t *batches, uint64_t *jobs,
                    unsigned *max_batch)
{
	pthread_mutex_lock(&db->wq_lock);
	if (batches != NULL)
		*batches = db->st_batches;
	if (jobs != NULL)
		*jobs = db->st_jobs;
	if (max_batch != NULL)
		*max_batch = db->st_max;
	pthread_mutex_unlock(&db->wq_lock);
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

const char *db_for_update(const struct db_conn *c)
{
	/* A single-writer engine has locked the whole database already. */
	if (!c->writing || (c->db->ops->caps & KEEL_DB_CAP_SINGLE_WRITER))
		return "";
	return " FOR UPDATE";
}

const char *db_ignore_dup(const struct db_conn *c)
{
	/* MySQL rolls back only the failed statement: the caller's
	 * KEEL_EEXIST check is enough there. */
	if (strcmp(c->db->ops->dialect, "mysql") == 0)
		return "";
	return " ON CONFLICT DO NOTHING";
}

const char *db_skip_locked(const struct db_conn *c)
{
	if (!c->writing || !(c->db->ops->caps & KEEL_DB_CAP_SKIP_LOCKED))
		return "";
	return " FOR UPDATE SKIP LOCKED";
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

/* One transaction on a pooled connection, retried on KEEL_EAGAIN; single
 * holds write_lock around it. */
static int db_tx_pool(struct db *db, uint32_t flags, int single, db_tx_fn fn,
                      void *arg, struct keel_err *err)
{
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
			c->writing = (flags & KEEL_DB_TX_WRITE) != 0;
			rc = fn(c, arg, err);
			c->writing = 0;
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
	return rc;
}

/* Roll the writer's transaction back; a connection that cannot is
 * dropped (reopened by the next attempt). */
static void db_writer_rollback(struct db *db, int rc)
{
	struct keel_err rerr = {0};

	if (db->wconn.drv != NULL &&
	    db->ops->rollback(db->wconn.drv, &rerr) != 0 && rc != KEEL_EAGAIN)
		db_discard(&db->wconn);
}

/* Run a job's function inside its own savepoint; a failure other than
 * KEEL_EAGAIN is the job's result and undoes only its writes.  Returns
 * 0 or the code that fails the whole transaction. */
static int db_job_savepoint(struct db_conn *c, struct db_job *j,
                            struct keel_err *err)
{
	int rc;

	rc = db_exec(c, "SAVEPOINT keel_gc", NULL, 0, NULL, err);
	if (rc != 0)
		return rc;
	memset(j->err, 0, sizeof(*j->err));
	j->rc = j->fn(c, j->arg, j->err);
	if (j->rc == KEEL_EAGAIN) {
		*err = *j->err;
		return j->rc;
	}
	if (j->rc != 0) {
		struct keel_err rerr = {0};

		rc = db_exec(c, "ROLLBACK TO keel_gc", NULL, 0, NULL, &rerr);
		/* The engine may have rolled the whole transaction back
		 * itself (disk full, I/O error): name the cause too. */
		if (rc != 0) {
			keel_err_set(err, rc, "%s (after: %s)", rerr.msg,
			             j->err->msg);
			err->sys = rerr.sys;
			return rc;
		}
	}
	return db_exec(c, "RELEASE keel_gc", NULL, 0, NULL, err);
}

/*
 * One attempt at a batch of n jobs in one transaction.  Returns 0 when
 * every job has its result (*committed tells whether the transaction
 * committed), or the batch's failure in err with *retry set when it is
 * worth running the whole batch again.  A lone job needs no savepoint:
 * its failure rolls back the transaction, as a pooled db_tx would.
 */
static int db_batch_once(struct db *db, struct db_job *batch, unsigned n,
                         int *committed, int *retry, struct keel_err *err)
{
	struct db_conn *c = &db->wconn;
	int rc;

	*committed = 0;
	*retry = 0;
	if (c->drv == NULL) {
		rc = db->ops->conn_open(db->self, &c->drv, err);
		if (rc != 0) {
			c->drv = NULL;
			*retry = rc == KEEL_EAGAIN;
			return rc;
		}
	}
	rc = db->ops->begin(c->drv, KEEL_DB_TX_WRITE, err);
	if (rc != 0) {
		*retry = rc == KEEL_EAGAIN;
		return rc;
	}
	if (n == 1) {
		memset(batch->err, 0, sizeof(*batch->err));
		batch->rc = batch->fn(c, batch->arg, batch->err);
		if (batch->rc == KEEL_EAGAIN) {
			rc = KEEL_EAGAIN;
			*err = *batch->err;
			*retry = 1;
			goto fail;
		}
		if (batch->rc != 0) {
			db_writer_rollback(db, batch->rc);
			return 0;
		}
	} else {
		for (struct db_job *j = batch; j != NULL; j = j->next) {
			rc = db_job_savepoint(c, j, err);
			if (rc != 0) {
				/* Savepoint trouble leaves the transaction in
				 * an unknown state: start over. */
				*retry = 1;
				goto fail;
			}
		}
	}
	rc = db->ops->commit(c->drv, err);
	if (rc != 0) {
		*retry = rc == KEEL_EAGAIN;
		goto fail;
	}
	*committed = 1;
	return 0;

fail:
	db_writer_rollback(db, rc);
	return rc;
}

/* Run a batch until it commits or fails for good, with backoff; a batch
 * failure becomes every job's result.  Returns whether it committed. */
static int db_batch_run(struct db *db, struct db_job *batch, unsigned n)
{
	struct keel_err err;
	int rc = 0, committed = 0, retry = 0;

	for (int attempt = 0; attempt < DB_RETRIES; attempt++) {
		memset(&err, 0, sizeof(err));
		if (attempt > 0)
			db_backoff(attempt);
		rc = db_batch_once(db, batch, n, &committed, &retry, &err);
		if (rc == 0 || !retry)
			break;
		if (rc == KEEL_EAGAIN && err.sys != 0)
			db_discard(&db->wconn); /* lost connection */
		LOG_DEBUG("db", "batch of %u: retry %d after: %s", n,
		          attempt + 1, err.msg);
	}
	if (rc != 0) {
		if (err.code == 0)
			err.code = rc;
		for (struct db_job *j = batch; j != NULL; j = j->next) {
			j->rc = rc;
			*j->err = err;
		}
	}
	return committed;
}

static void *db_writer_main(void *p)
{
	struct db *db = p;
	struct db_job *batch, *last, *next;
	unsigned n, ok;
	int committed;

	db_writer_of = db;
	pthread_mutex_lock(&db->wq_lock);
	for (;;) {
		while (db->wq_head == NULL && !db->wq_stop)
			pthread_cond_wait(&db->wq_cv, &db->wq_lock);
		if (db->wq_head == NULL)
			break; /* stopping, and nothing left to do */
		/* Take the oldest jobs, in order: serial order is queue
		 * order. */
		batch = last = db->wq_head;
		for (n = 1; n < db->wq_max && last->next != NULL; n++)
			last = last->next;
		db->wq_head = last->next;
		if (db->wq_head == NULL)
			db->wq_tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&db->wq_lock);

		committed = db_batch_run(db, batch, n);
		ok = 0;
		for (struct db_job *j = batch; j != NULL; j = j->next)
			ok += j->rc == 0;

		pthread_mutex_lock(&db->wq_lock);
		if (committed) {
			db->st_batches++;
			db->st_jobs += ok;
			if (n > db->st_max)
				db->st_max = n;
		}
		/* The caller may return as soon as we unlock. */
		for (struct db_job *j = batch; j != NULL; j = next) {
			next = j->next;
			j->done = 1;
			pthread_cond_signal(&j->done_cv);
		}
	}
	pthread_mutex_unlock(&db->wq_lock);
	return NULL;
}

/* Start the writer thread on first use; wq_lock held.  Without it writes
 * fall back to write_lock and pooled connections. */
static void db_writer_start(struct db *db)
{
	int rc;

	rc = pthread_create(&db->writer, NULL, db_writer_main, db);
	if (rc != 0) {
		LOG_WARN("db", "cannot start the writer thread (%s): write "
		         "transactions run one at a time",
		         strerror(rc));
		db->wq_state = DB_WQ_FAILED;
		return;
	}
	pthread_setname_np(db->writer, "keel-dbwriter");
	db->wq_state = DB_WQ_RUNNING;
}

/* Hand a write transaction to the writer thread and wait for it.
 * *fallback is set when there is no writer thread to hand it to. */
static int db_tx_group(struct db *db, db_tx_fn fn, void *arg,
                       struct keel_err *err, int *fallback)
{
	struct db_job job = {.fn = fn, .arg = arg, .err = err};

	*fallback = 0;
	memset(err, 0, sizeof(*err));
	if (db_writer_of == db)
		return keel_err_set(err, KEEL_EINTERNAL,
		                    "write transaction started from inside a "
		                    "write transaction: it would wait for "
		                    "itself");
	if (pthread_cond_init(&job.done_cv, NULL) != 0)
		return keel_err_set(err, KEEL_ENOMEM,
		                    "cannot wait for the writer");
	pthread_mutex_lock(&db->wq_lock);
	if (db->wq_state == DB_WQ_NONE && !db->wq_stop)
		db_writer_start(db);
	if (db->wq_stop) {
		job.rc = keel_err_set(err, KEEL_EAGAIN,
		                      "the database is closing");
		goto out_unlock;
	}
	if (db->wq_state != DB_WQ_RUNNING) {
		*fallback = 1;
		goto out_unlock;
	}
	if (db->wq_tail != NULL)
		db->wq_tail->next = &job;
	else
		db->wq_head = &job;
	db->wq_tail = &job;
	pthread_cond_signal(&db->wq_cv);
	while (!job.done)
		pthread_cond_wait(&job.done_cv, &db->wq_lock);
out_unlock:
	pthread_mutex_unlock(&db->wq_lock);
	pthread_cond_destroy(&job.done_cv);
	return job.rc;
}

int db_tx(struct db *db, uint32_t flags, db_tx_fn fn, void *arg,
          struct keel_err *err)
{
	int single = (flags & KEEL_DB_TX_WRITE) &&
	             (db->ops->caps & KEEL_DB_CAP_SINGLE_WRITER);
	int fallback = 1, rc = 0;

	if (single)
		rc = db_tx_group(db, fn, arg, err, &fallback);
	if (fallback)
		rc = db_tx_pool(db, flags, single, fn, arg, err);
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

const uint8_t *db_col_blob(struct arena *a, const struct keel_db_val *v,
                           size_t *n, int *nomem)
{
	uint8_t *b;

	*n = 0;
	if ((v->type != KEEL_DB_BLOB && v->type != KEEL_DB_TEXT) || v->n == 0)
		return NULL;
	b = arena_alloc(a, v->n);
	if (b == NULL) {
		*nomem = 1;
		return NULL;
	}
	memcpy(b, v->p, v->n);
	*n = v->n;
	return b;
}
