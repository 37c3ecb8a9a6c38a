/*
 * outbox.c -- see outbox.h.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "outbox.h"
#include "util.h"

int outbox_add(struct db_conn *c, const char *kind, const char *purpose,
               int64_t execution_id, const void *payload, size_t len,
               int64_t now_ms, struct keel_err *err)
{
	struct keel_db_val a[7] = {
	    db_str(kind),
	    db_str(purpose),
	    execution_id ? db_int(execution_id) : db_null(),
	    payload ? db_blob(payload, len) : db_null(),
	    db_int(now_ms),
	    db_int(now_ms),
	    db_int(now_ms),
	};
	char sql[256];
	int rc;

	util_fmt(sql, sizeof(sql),
	         "INSERT INTO outbox (kind, purpose, execution_id, payload, "
	         "next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, "
	         "?, ?, ?, ?)%s",
	         db_ignore_dup(c));
	rc = db_exec(c, sql, a, 7, NULL, err);
	if (rc == KEEL_EEXIST) {
		memset(err, 0, sizeof(*err));
		return 0;
	}
	return rc;
}

/* ---- claiming and recording ------------------------------------------ */

struct outbox_claim {
	const struct outbox_handler *h;
	size_t nh;
	const char *owner;
	int64_t now, lease_ms;
	struct arena *a;
	int found;
	struct outbox_row row;
	const struct outbox_handler *hit;
};

static int outbox_claim_row(void *arg, const struct keel_db_val *cols,
                            size_t ncols)
{
	struct outbox_claim *x = arg;
	int nomem = 0;

	if (ncols < 6)
		return KEEL_EINTERNAL;
	x->row.id = cols[0].i;
	x->row.kind = db_col_text(x->a, &cols[1], &nomem);
	x->row.purpose = db_col_text(x->a, &cols[2], &nomem);
	x->row.execution_id = cols[3].type == KEEL_DB_INT ? cols[3].i : 0;
	x->row.payload = NULL;
	x->row.len = 0;
	if (cols[4].type == KEEL_DB_BLOB && cols[4].n > 0) {
		uint8_t *b = arena_alloc(x->a, cols[4].n);
		if (b == NULL)
			return KEEL_ENOMEM;
		memcpy(b, cols[4].p, cols[4].n);
		x->row.payload = b;
		x->row.len = cols[4].n;
	}
	x->row.attempts = (int)cols[5].i + 1;
	if (nomem)
		return KEEL_ENOMEM;
	x->found = 1;
	return 1;
}

static int outbox_claim_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct outbox_claim *x = arg;
	struct keel_db_val a[5];
	char sql[320];
	int64_t changed = 0;
	int rc;

	x->found = 0;
	/* One kind at a time, in the handlers' order: each query walks the
	 * outbox_due index in order (a kind IN list would sort). */
	for (size_t i = 0; i < x->nh && !x->found; i++) {
		a[0] = db_str(x->h[i].kind);
		a[1] = db_int(x->now);
		a[2] = db_int(x->now);
		/* Replicas skip rows another one is claiming rather
		 * than queue behind its lock. */
		util_fmt(sql, sizeof(sql),
		         "SELECT id, kind, purpose, execution_id, payload, "
		         "attempts FROM outbox WHERE state = 0 AND kind = ? AND "
		         "next_attempt_at <= ? AND lease_until <= ? ORDER BY "
		         "next_attempt_at, id LIMIT 1%s",
		         db_skip_locked(c));
		rc = db_query(c, sql, a, 3, outbox_claim_row, x, err);
		if (rc != 0)
			return rc;
	}
	if (!x->found)
		return 0;
	a[0] = db_str(x->owner);
	a[1] = db_int(x->now + x->lease_ms);
	a[2] = db_int(x->now);
	a[3] = db_int(x->row.id);
	a[4] = db_int(x->now);
	rc = db_exec(c,
	             "UPDATE outbox SET lease_owner = ?, lease_until = ?, "
	             "attempts = attempts + 1, updated_at = ? WHERE id = ? AND "
	             "state = 0 AND lease_until <= ?",
	             a, 5, &changed, err);
	if (rc == 0 && changed != 1)
		x->found = 0; /* another worker got it */
	return rc;
}

struct outbox_finish {
	const struct outbox_handler *h;
	const struct outbox_row *row;
	const char *owner;
	int outcome; /* OUTBOX_DONE, OUTBOX_DEAD, or OUTBOX_PENDING (retry) */
	int64_t next_at, now;
	const char *why;
	int lost;   /* the lease was lost: someone else owns the row now */
};

static int outbox_finish_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct outbox_finish *f = arg;
	struct keel_db_val a[6];
	int64_t changed = 0;
	int rc;

	f->lost = 0;
	/* The guard first: effects commit only while the lease holds. */
	a[0] = db_int(f->outcome);
	a[1] = db_int(f->next_at);
	a[2] = db_str(f->why);
	a[3] = db_int(f->now);
	a[4] = db_int(f->row->id);
	a[5] = db_str(f->owner);
	rc = db_exec(c,
	             "UPDATE outbox SET state = ?, next_attempt_at = ?, "
	             "last_error = ?, lease_owner = '', lease_until = 0, "
	             "updated_at = ? WHERE id = ? AND state = 0 AND "
	             "lease_owner = ?",
	             a, 6, &changed, err);
	if (rc != 0)
		return rc;
	if (changed != 1) {
		f->lost = 1;
		return 0;
	}
	if (f->outcome == OUTBOX_DONE && f->h->done != NULL)
		return f->h->done(f->h->arg, c, f->row, err);
	if (f->outcome == OUTBOX_DEAD && f->h->dead != NULL)
		return f->h->dead(f->h->arg, c, f->row, f->why, err);
	return 0;
}

static int64_t outbox_backoff(const struct outbox_cfg *cfg, int attempts)
{
	int64_t d = cfg->backoff_ms > 0 ? cfg->backoff_ms : 1000;

	for (int i = 1; i < attempts && d < cfg->backoff_max_ms; i++)
		d *= 2;
	if (cfg->backoff_max_ms > 0 && d > cfg->backoff_max_ms)
		d = cfg->backoff_max_ms;
	/* Up to 25% jitter, so rows failed together spread out. */
	return d + (int64_t)(util_mono_ms() % (d / 4 + 1));
}

static int outbox_transient(int rc)
{
	return rc == KEEL_EAGAIN || rc == KEEL_ETIMEDOUT;
}

int outbox_run_one(struct db *db, const struct outbox_cfg *cfg,
                   const struct outbox_handler *h, size_t nh,
                   const char *owner, int *did, struct keel_err *err)
{
	struct arena *a = arena_new(0);
	struct outbox_claim x = {.h = h, .nh = nh, .owner = owner};
	struct outbox_finish f = {0};
	struct keel_err herr = {0};
	char why[sizeof(herr.msg) + 64];
	int rc;

	*did = 0;
	if (a == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	x.a = a;
	x.now = util_now_ms();
	x.lease_ms = cfg->lease_ms > 0 ? cfg->lease_ms : 60000;
	rc = db_tx(db, KEEL_DB_TX_WRITE, outbox_claim_tx, &x, err);
	if (rc != 0 || !x.found)
		goto out;
	for (size_t i = 0; i < nh; i++)
		if (strcmp(h[i].kind, x.row.kind) == 0)
			x.hit = &h[i];
	x.row.arena = a;
	rc = x.hit->run(x.hit->arg, &x.row, &herr);
	f.h = x.hit;
	f.row = &x.row;
	f.owner = owner;
	f.now = util_now_ms();
	f.next_at = f.now;
	if (rc == 0) {
		f.outcome = OUTBOX_DONE;
	} else if (outbox_transient(rc) &&
	           (unsigned)x.row.attempts < cfg->max_attempts) {
		f.outcome = OUTBOX_PENDING;
		f.next_at = f.now + outbox_backoff(cfg, x.row.attempts);
		f.why = herr.msg;
	} else {
		f.outcome = OUTBOX_DEAD;
		util_fmt(why, sizeof(why), "%s%s",
		         outbox_transient(rc) ? "gave up after retries: " : "",
		         herr.msg[0] ? herr.msg : "failed");
		f.why = why;
	}
	rc = db_tx(db, KEEL_DB_TX_WRITE, outbox_finish_tx, &f, err);
	if (rc != 0) {
		/* The lease runs out and the row is run again. */
		LOG_ERROR("outbox", "cannot record %s row %lld (%s): %s",
		          x.row.kind, (long long)x.row.id, x.row.purpose,
		          err->msg);
		goto out;
	}
	*did = f.lost ? 4 : f.outcome == OUTBOX_DONE ? 1
	                   : f.outcome == OUTBOX_PENDING ? 2 : 3;
	if (f.lost)
		LOG_WARN("outbox", "%s row %lld (%s): lease lost before the "
		         "outcome was recorded", x.row.kind,
		         (long long)x.row.id, x.row.purpose);
	else if (f.outcome == OUTBOX_PENDING)
		LOG_INFO("outbox", "%s %s: attempt %d failed, retrying in "
		         "%lld ms: %s", x.row.kind, x.row.purpose,
		         x.row.attempts, (long long)(f.next_at - f.now),
		         herr.msg);
	else if (f.outcome == OUTBOX_DEAD)
		LOG_ERROR("outbox", "%s %s is dead after %d attempt(s): %s",
		          x.row.kind, x.row.purpose, x.row.attempts, f.why);
	else
		LOG_DEBUG("outbox", "%s %s done by %s (attempt %d)",
		          x.row.kind, x.row.purpose, owner, x.row.attempts);
out:
	arena_free(a);
	return rc < 0 ? rc : 0;
}

/* ---- workers ----------------------------------------------------------- */

struct outbox {
	struct db *db;
	struct outbox_cfg cfg;
	const struct outbox_handler *h;
	size_t nh;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int stop;
	uint64_t kicks;
	struct outbox_stats stats;
	char owner[64];
	size_t nthreads;
	pthread_t threads[];
};

static void *outbox_worker(void *arg)
{
	struct outbox *o = arg;

	for (;;) {
		struct keel_err err = {0};
		uint64_t seen;
		int did = 0, rc;

		pthread_mutex_lock(&o->lock);
		seen = o->kicks;
		if (o->stop) {
			pthread_mutex_unlock(&o->lock);
			break;
		}
		pthread_mutex_unlock(&o->lock);
		rc = outbox_run_one(o->db, &o->cfg, o->h, o->nh, o->owner, &did,
		                    &err);
		if (rc != 0)
			LOG_WARN("outbox", "cannot claim a row: %s", err.msg);
		if (did) {
			pthread_mutex_lock(&o->lock);
			if (did == 1)
				o->stats.done++;
			else if (did == 2)
				o->stats.retried++;
			else if (did == 3)
				o->stats.dead++;
			pthread_mutex_unlock(&o->lock);
			continue;
		}
		pthread_mutex_lock(&o->lock);
		if (!o->stop && o->kicks == seen) {
			struct timespec ts;
			util_deadline_ts(o->cfg.poll_ms > 0 ? o->cfg.poll_ms : 1000,
			                 &ts);
			pthread_cond_timedwait(&o->cv, &o->lock, &ts);
		}
		pthread_mutex_unlock(&o->lock);
	}
	return NULL;
}

int outbox_start(struct db *db, const struct outbox_cfg *cfg,
                 const struct outbox_handler *h, size_t nh,
                 struct outbox **out, struct keel_err *err)
{
	struct outbox *o;
	char rnd[12];

	*out = NULL;
	o = calloc(1, sizeof(*o) + cfg->workers * sizeof(o->threads[0]));
	if (o == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	o->db = db;
	o->cfg = *cfg;
	o->h = h;
	o->nh = nh;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->cv, NULL);
	/* Leases name the process, so a restarted keeld never mistakes an
	 * old claim for its own. */
	util_random_id(rnd, sizeof(rnd) - 1);
	util_fmt(o->owner, sizeof(o->owner), "%ld-%s", (long)getpid(), rnd);
	for (unsigned i = 0; i < cfg->workers; i++) {
		if (pthread_create(&o->threads[i], NULL, outbox_worker, o) != 0) {
			outbox_stop(o);
			return keel_err_set(err, KEEL_ENOMEM,
			                    "cannot start outbox worker %u", i);
		}
		o->nthreads++;
	}
	*out = o;
	return 0;
}

void outbox_kick(struct outbox *o)
{
	if (o == NULL)
		return;
	pthread_mutex_lock(&o->lock);
	o->kicks++;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->lock);
}

void outbox_stop(struct outbox *o)
{
	if (o == NULL)
		return;
	pthread_mutex_lock(&o->lock);
	o->stop = 1;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->lock);
	for (size_t i = 0; i < o->nthreads; i++)
		pthread_join(o->threads[i], NULL);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->cv);
	free(o);
}

void outbox_get_stats(struct outbox *o, struct outbox_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (o == NULL)
		return;
	pthread_mutex_lock(&o->lock);
	*s = o->stats;
	pthread_mutex_unlock(&o->lock);
}

/* ---- operators ----------------------------------------------------------- */

struct outbox_report_ctx {
	FILE *out;
	int dead;
};

static int outbox_count_row(void *arg, const struct keel_db_val *cols,
                            size_t ncols)
{
	struct outbox_report_ctx *x = arg;
	static const char *const states[] = {"pending", "done", "dead"};
	int64_t st = ncols > 1 ? cols[1].i : 0;

	fprintf(x->out, "%-12.*s %-8s %lld\n", (int)cols[0].n,
	        (const char *)cols[0].p,
	        st >= 0 && st <= 2 ? states[st] : "?",
	        (long long)cols[2].i);
	return 0;
}

static int outbox_dead_row(void *arg, const struct keel_db_val *cols,
                           size_t ncols)
{
	struct outbox_report_ctx *x = arg;
	char ts[32];

	(void)ncols;
	if (!x->dead++)
		fprintf(x->out, "\ndead rows (keeld outbox retry ID):\n");
	util_rfc3339_ms(cols[4].i, ts);
	fprintf(x->out, "%lld  %.*s  %.*s  attempts=%lld  %s  %.*s\n",
	        (long long)cols[0].i, (int)cols[1].n, (const char *)cols[1].p,
	        (int)cols[2].n, (const char *)cols[2].p, (long long)cols[3].i,
	        ts, cols[5].type == KEEL_DB_NULL ? 0 : (int)cols[5].n,
	        cols[5].type == KEEL_DB_NULL ? "" : (const char *)cols[5].p);
	return 0;
}

static int outbox_report_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct outbox_report_ctx *x = arg;
	int rc;

	x->dead = 0;
	fprintf(x->out, "%-12s %-8s %s\n", "kind", "state", "rows");
	rc = db_query(c,
	              "SELECT kind, state, COUNT(*) FROM outbox GROUP BY kind, "
	              "state ORDER BY kind, state",
	              NULL, 0, outbox_count_row, x, err);
	if (rc != 0)
		return rc;
	return db_query(c,
	                "SELECT id, kind, purpose, attempts, updated_at, "
	                "last_error FROM outbox WHERE state = 2 ORDER BY id "
	                "LIMIT 1000",
	                NULL, 0, outbox_dead_row, x, err);
}

int outbox_report(struct db *db, FILE *out, struct keel_err *err)
{
	struct outbox_report_ctx x = {out, 0};

	return db_tx(db, KEEL_DB_TX_READ, outbox_report_tx, &x, err);
}

struct outbox_retry_ctx {
	int64_t id;
	int64_t changed;
};

static int outbox_retry_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct outbox_retry_ctx *x = arg;
	int64_t now = util_now_ms();
	struct keel_db_val a[3] = {db_int(now), db_int(now), db_int(x->id)};

	return db_exec(c,
	               "UPDATE outbox SET state = 0, attempts = 0, "
	               "next_attempt_at = ?, updated_at = ? WHERE id = ? AND "
	               "state = 2",
	               a, 3, &x->changed, err);
}

int outbox_retry(struct db *db, int64_t id, struct keel_err *err)
{
	struct outbox_retry_ctx x = {id, 0};
	int rc = db_tx(db, KEEL_DB_TX_WRITE, outbox_retry_tx, &x, err);

	if (rc == 0 && x.changed == 0)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "no dead outbox row with id %lld",
		                    (long long)id);
	return rc;
}
