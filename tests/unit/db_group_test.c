/*
 * db_group_test.c -- group commit of write transactions on single-writer
 * drivers (core/db.c): grouping under contention, a failing function only
 * undoes its own writes, serial order inside a batch, EAGAIN reruns, the
 * nested-write guard, reads beside a slow batch, and shutdown.
 *
 * "Gated" cases make a batch deterministically: a gate job holds the
 * writer thread while the callers queue one after the other, then lets
 * go, so the callers run as one batch in the order they queued.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "tap.h"
#include "testdb.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* ------------------------------------------------------------------ */
/* Transaction functions                                               */

static int val_row(void *arg, const struct keel_db_val *cols, size_t n)
{
	int64_t *out = arg;

	*out = n > 0 ? cols[0].i : -2;
	return 0;
}

/* One insert, with knobs. */
struct ins {
	char key[64];
	int64_t v;
	int sleep_ms; /* after the insert */
	int fail;     /* then return KEEL_EINVAL */
	int again;    /* then return KEEL_EAGAIN this many times */
	const char *read_key; /* read first into seen (-1: absent) */
	int64_t seen;
	atomic_int calls;
};

static int ins_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct ins *x = arg;
	struct keel_db_val args[2] = {db_str(x->key), db_int(x->v)};
	int rc;

	atomic_fetch_add(&x->calls, 1);
	if (x->read_key != NULL) {
		struct keel_db_val k = db_str(x->read_key);

		x->seen = -1;
		rc = db_query(c, "SELECT v FROM gc_t WHERE k = ?", &k, 1,
		              val_row, &x->seen, err);
		if (rc != 0)
			return rc;
	}
	rc = db_exec(c, "INSERT INTO gc_t (k, v) VALUES (?, ?)", args, 2,
	             NULL, err);
	if (rc != 0)
		return rc;
	if (x->sleep_ms > 0)
		sleep_ms(x->sleep_ms);
	if (x->again > 0) {
		x->again--;
		return keel_err_set(err, KEEL_EAGAIN, "%s: busy, try again",
		                    x->key);
	}
	if (x->fail)
		return keel_err_set(err, KEEL_EINVAL, "%s: refused", x->key);
	return 0;
}

static int ddl_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	return db_exec(c, arg, NULL, 0, NULL, err);
}

struct lookup {
	const char *sql;
	const char *key;
	int64_t out;
};

static int lookup_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct lookup *l = arg;
	struct keel_db_val k = db_str(l->key);

	l->out = -1;
	return db_query(c, l->sql, &k, 1, val_row, &l->out, err);
}

/* v of key, -1 when absent, -3 when the read failed. */
static int64_t get_v(struct db *db, const char *key)
{
	struct lookup l = {"SELECT v FROM gc_t WHERE k = ?", key, -1};
	struct keel_err err;

	if (db_tx(db, KEEL_DB_TX_READ, lookup_tx, &l, &err) != 0)
		return -3;
	return l.out;
}

/* Rows whose key is LIKE pattern. */
static int64_t count_like(struct db *db, const char *pattern)
{
	struct lookup l = {"SELECT COUNT(*) FROM gc_t WHERE k LIKE ?", pattern,
	                   -1};
	struct keel_err err;

	if (db_tx(db, KEEL_DB_TX_READ, lookup_tx, &l, &err) != 0)
		return -3;
	return l.out;
}

static int put(struct db *db, const char *key, int64_t v)
{
	struct ins x = {.v = v};
	struct keel_err err;

	snprintf(x.key, sizeof(x.key), "%s", key);
	return db_tx(db, KEEL_DB_TX_WRITE, ins_tx, &x, &err);
}

/* ------------------------------------------------------------------ */
/* Free-running writers                                                */

struct worker {
	pthread_t th;
	struct db *db;
	const char *prefix;
	int id, n, sleep_ms;
	int fail_every; /* every fail_every-th job refuses (0: none) */
	int wrong;      /* results that were not what the job asked for */
	char first_wrong[400];
};

static void *worker_main(void *p)
{
	struct worker *w = p;

	for (int i = 0; i < w->n; i++) {
		struct ins x = {.v = w->id * 100000 + i,
		                .sleep_ms = w->sleep_ms};
		struct keel_err err;
		int rc, want;

		snprintf(x.key, sizeof(x.key), "%s-%d-%d", w->prefix, w->id,
		         i);
		x.fail = w->fail_every > 0 && i % w->fail_every == 0;
		want = x.fail ? KEEL_EINVAL : 0;
		rc = db_tx(w->db, KEEL_DB_TX_WRITE, ins_tx, &x, &err);
		/* A refusal must carry this job's own message. */
		if (rc != want || (x.fail && (strstr(err.msg, x.key) == NULL ||
		                              err.code != KEEL_EINVAL))) {
			if (w->wrong++ == 0)
				snprintf(w->first_wrong,
				         sizeof(w->first_wrong),
				         "%s: rc %d (want %d): %s", x.key, rc,
				         want, err.msg);
		}
	}
	return NULL;
}

/* Run nthreads workers; returns the wrong results, diagnosing the first. */
static int run_workers(struct db *db, const char *prefix, int nthreads,
                       int n, int sleep_each, int fail_every)
{
	struct worker w[16];
	int wrong = 0;

	for (int i = 0; i < nthreads; i++) {
		w[i] = (struct worker){.db = db, .prefix = prefix, .id = i,
		                       .n = n, .sleep_ms = sleep_each,
		                       .fail_every = fail_every};
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(w[i].th, NULL);
		if (w[i].wrong > 0 && wrong == 0)
			tap_diag("%s", w[i].first_wrong);
		wrong += w[i].wrong;
	}
	return wrong;
}

/* ------------------------------------------------------------------ */
/* Gated batches                                                       */

struct call {
	pthread_t th;
	struct db *db;
	db_tx_fn fn;
	void *arg;
	atomic_int calling;
	int rc;
	struct keel_err err;
};

static void *call_main(void *p)
{
	struct call *k = p;

	atomic_store(&k->calling, 1);
	k->rc = db_tx(k->db, KEEL_DB_TX_WRITE, k->fn, k->arg, &k->err);
	return NULL;
}

struct gate {
	atomic_int running, open;
};

static int gate_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct gate *g = arg;

	atomic_store(&g->running, 1);
	while (!atomic_load(&g->open))
		sleep_ms(1);
	return 0;
}

/*
 * Queue calls[0..n) one after the other behind a gate job, then open the
 * gate.  *batches and *jobs are the group stats' growth: 2 batches when
 * the calls shared one.
 */
static void run_gated(struct db *db, struct ins *ins, struct call *calls,
                      int n, uint64_t *batches, uint64_t *jobs)
{
	struct gate g = {0};
	struct call gc = {.db = db, .fn = gate_tx, .arg = &g};
	uint64_t b0, j0, b1, j1;

	db_group_stats(db, &b0, &j0, NULL);
	pthread_create(&gc.th, NULL, call_main, &gc);
	while (!atomic_load(&g.running))
		sleep_ms(1);
	for (int i = 0; i < n; i++) {
		calls[i].db = db;
		calls[i].fn = ins_tx;
		calls[i].arg = &ins[i];
		pthread_create(&calls[i].th, NULL, call_main, &calls[i]);
		while (!atomic_load(&calls[i].calling))
			sleep_ms(1);
		sleep_ms(50); /* let it reach the queue before the next */
	}
	sleep_ms(100);
	atomic_store(&g.open, 1);
	pthread_join(gc.th, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(calls[i].th, NULL);
	db_group_stats(db, &b1, &j1, NULL);
	*batches = b1 - b0;
	*jobs = j1 - j0;
}

/* ------------------------------------------------------------------ */
/* Nested writes and reads beside a slow batch                         */

struct nest {
	struct db *db;
	int inner_rc;
	struct keel_err inner_err;
};

static int nest_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct nest *x = arg;
	struct ins in = {.key = "nested", .v = 1};

	x->inner_rc =
	    db_tx(x->db, KEEL_DB_TX_WRITE, ins_tx, &in, &x->inner_err);
	return 0;
}

struct slow {
	atomic_int in_fn, finished;
};

static int slow_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct slow *s = arg;
	struct keel_db_val args[2] = {db_str("slow"), db_int(1)};
	int rc;

	rc = db_exec(c, "INSERT INTO gc_t (k, v) VALUES (?, ?)", args, 2,
	             NULL, err);
	atomic_store(&s->in_fn, 1);
	sleep_ms(200);
	atomic_store(&s->finished, 1);
	return rc;
}

int main(void)
{
	struct testdb t;
	struct keel_err err;
	static char ddl[] = "CREATE TABLE gc_t (k TEXT PRIMARY KEY, v INTEGER)";
	struct db *db;
	char msg[1024];
	uint64_t b0, j0, b1, j1, nb, nj;
	unsigned max;
	int rc, wrong;

	rc = testdb_open(&t, 4, msg, sizeof(msg));
	if (rc == KEEL_ENOTFOUND)
		return tap_skip_all(msg);
	if (!TAP_OK(rc == 0, "open %s database (%s)", t.driver,
	            rc ? msg : "ok"))
		return tap_done();
	db = t.db;
	if (!(db_caps(db) & KEEL_DB_CAP_SINGLE_WRITER)) {
		testdb_close(&t);
		return tap_skip_all("driver is not single-writer");
	}
	rc = db_tx(db, KEEL_DB_TX_WRITE, ddl_tx, ddl, &err);
	TAP_EQ_INT(rc, 0, "create gc_t (%s)", rc ? err.msg : "ok");

	/* 1. Grouping: slow functions pile the queue up first (the largest
	 * batch so far is 1: migrations run one at a time). */
	db_group_stats(db, &b0, &j0, &max);
	TAP_OK(max <= 1, "before contention no batch held more than one "
	                 "(max %u)", max);
	wrong = run_workers(db, "s", 8, 10, 1, 0);
	TAP_EQ_INT(wrong, 0, "8 x 10 slow inserts succeed");
	db_group_stats(db, &b1, &j1, &max);
	TAP_EQ_INT(j1 - j0, 80, "80 slow jobs committed");
	TAP_OK(max > 1, "slow jobs were grouped: largest batch %u", max);
	tap_diag("slow: %llu jobs in %llu batches (%.1f per commit)",
	         (unsigned long long)(j1 - j0),
	         (unsigned long long)(b1 - b0),
	         (double)(j1 - j0) / (double)(b1 - b0));
	TAP_EQ_INT(count_like(db, "s-%"), 80, "80 slow rows");

	db_group_stats(db, &b0, &j0, NULL);
	wrong = run_workers(db, "a", 16, 200, 0, 0);
	TAP_EQ_INT(wrong, 0, "16 x 200 inserts succeed");
	db_group_stats(db, &b1, &j1, &max);
	TAP_EQ_INT(j1 - j0, 3200, "3200 jobs committed");
	TAP_OK(b1 - b0 >= 1 && b1 - b0 <= j1 - j0,
	       "batches (%llu) <= jobs (%llu)",
	       (unsigned long long)(b1 - b0), (unsigned long long)(j1 - j0));
	tap_diag("16 x 200: %llu jobs in %llu batches (%.2f per commit), "
	         "largest batch so far %u",
	         (unsigned long long)(j1 - j0), (unsigned long long)(b1 - b0),
	         (double)(j1 - j0) / (double)(b1 - b0), max);
	TAP_EQ_INT(count_like(db, "a-%"), 3200, "3200 rows present");

	/* 2. A refusing function undoes only its own insert, and its
	 * caller alone gets its code and message. */
	wrong = run_workers(db, "f", 8, 30, 0, 3);
	TAP_EQ_INT(wrong, 0, "each caller got its own rc and message");
	TAP_EQ_INT(count_like(db, "f-%"), 8 * 20, "refused rows absent, "
	                                          "others present");
	{
		struct ins in[6] = {{.v = 0}};
		struct call k[6] = {{0}};
		int ok = 1;

		for (int i = 0; i < 6; i++) {
			snprintf(in[i].key, sizeof(in[i].key), "g2-%d", i);
			in[i].v = i;
			in[i].fail = i % 3 == 0;
		}
		run_gated(db, in, k, 6, &nb, &nj);
		TAP_EQ_INT(nb, 2, "gated: the 6 jobs shared one batch");
		TAP_EQ_INT(nj, 1 + 4, "gated: 4 jobs (and the gate) "
		                      "committed");
		for (int i = 0; i < 6; i++) {
			int want = in[i].fail ? KEEL_EINVAL : 0;

			if (k[i].rc != want || get_v(db, in[i].key) !=
			                           (in[i].fail ? -1 : i)) {
				tap_diag("g2-%d: rc %d: %s", i, k[i].rc,
				         k[i].err.msg);
				ok = 0;
			}
			if (in[i].fail &&
			    strstr(k[i].err.msg, in[i].key) == NULL) {
				tap_diag("g2-%d: message \"%s\"", i,
				         k[i].err.msg);
				ok = 0;
			}
		}
		TAP_OK(ok, "gated: refused jobs alone failed, each with its "
		           "own message");
	}

	/* 3. A unique violation fails its job alone. */
	TAP_EQ_INT(put(db, "dup", 1), 0, "insert dup");
	{
		struct ins in[3] = {{.key = "u3-b", .v = 2},
		                    {.key = "dup", .v = 99},
		                    {.key = "u3-d", .v = 4}};
		struct call k[3] = {{0}};

		run_gated(db, in, k, 3, &nb, &nj);
		TAP_EQ_INT(nb, 2, "unique: one batch");
		TAP_EQ_INT(k[0].rc, 0, "unique: job before succeeds");
		TAP_EQ_INT(k[1].rc, KEEL_EEXIST, "unique: duplicate gets "
		                                 "KEEL_EEXIST (%s)",
		           k[1].err.msg);
		TAP_EQ_INT(k[2].rc, 0, "unique: job after succeeds");
		TAP_EQ_INT(get_v(db, "u3-b"), 2, "unique: row before kept");
		TAP_EQ_INT(get_v(db, "u3-d"), 4, "unique: row after kept");
		TAP_EQ_INT(get_v(db, "dup"), 1, "unique: dup unchanged");
	}

	/* 4. Serial order inside a batch: a later job sees an earlier
	 * one's write. */
	{
		struct ins in[2] = {{.key = "r4-b", .v = 42},
		                    {.key = "r4-c", .v = 43,
		                     .read_key = "r4-b"}};
		struct call k[2] = {{0}};

		run_gated(db, in, k, 2, &nb, &nj);
		TAP_EQ_INT(nb, 2, "read-own-batch: one batch");
		TAP_OK(k[0].rc == 0 && k[1].rc == 0, "read-own-batch: both "
		                                     "succeed");
		TAP_EQ_INT(in[1].seen, 42, "the later job saw the earlier "
		                           "job's row");
	}

	/* 5. A nested write is refused, not a deadlock. */
	{
		struct nest x = {.db = db};

		rc = db_tx(db, KEEL_DB_TX_WRITE, nest_tx, &x, &err);
		TAP_EQ_INT(rc, 0, "outer write transaction");
		TAP_EQ_INT(x.inner_rc, KEEL_EINTERNAL, "nested write db_tx "
		                                       "is KEEL_EINTERNAL");
		TAP_HAS_STR(x.inner_err.msg, "inside a write transaction",
		            "nested write: message says why");
		TAP_EQ_INT(get_v(db, "nested"), -1, "nested write: no row");
	}

	/* 6. KEEL_EAGAIN from a function reruns it. */
	{
		struct ins x = {.key = "again", .v = 6, .again = 2};

		rc = db_tx(db, KEEL_DB_TX_WRITE, ins_tx, &x, &err);
		TAP_EQ_INT(rc, 0, "EAGAIN twice then success (%s)",
		           rc ? err.msg : "ok");
		TAP_EQ_INT(atomic_load(&x.calls), 3, "function ran 3 times");
		TAP_EQ_INT(count_like(db, "again"), 1, "exactly one row");
	}
	{
		/* In a batch, the whole batch reruns: the job before the
		 * EAGAIN runs again, and its row is there once. */
		struct ins in[2] = {{.key = "e6-c", .v = 1},
		                    {.key = "e6-b", .v = 2, .again = 1}};
		struct call k[2] = {{0}};

		run_gated(db, in, k, 2, &nb, &nj);
		TAP_OK(k[0].rc == 0 && k[1].rc == 0,
		       "batch with an EAGAIN succeeds (%d %d)", k[0].rc,
		       k[1].rc);
		TAP_EQ_INT(atomic_load(&in[0].calls), 2, "the job before the "
		                                        "EAGAIN reran");
		TAP_EQ_INT(count_like(db, "e6-_"), 2, "one row each");
	}
	{
		struct ins x = {.key = "never", .v = 1, .again = 1000};

		rc = db_tx(db, KEEL_DB_TX_WRITE, ins_tx, &x, &err);
		TAP_EQ_INT(rc, KEEL_EAGAIN, "endless EAGAIN gives up");
		TAP_EQ_INT(atomic_load(&x.calls), DB_RETRIES,
		           "after DB_RETRIES runs");
		TAP_EQ_INT(get_v(db, "never"), -1, "and leaves no row");
	}

	/* 7. A batch limit of 1: one commit per job. */
	db_set_group_commit(db, 1);
	db_group_stats(db, &b0, &j0, NULL);
	wrong = run_workers(db, "o", 8, 10, 1, 0);
	db_group_stats(db, &b1, &j1, NULL);
	TAP_EQ_INT(wrong, 0, "limit 1: inserts succeed");
	TAP_EQ_INT(j1 - j0, 80, "limit 1: 80 jobs");
	TAP_EQ_INT(b1 - b0, 80, "limit 1: 80 batches");
	db_set_group_commit(db, 64);

	/* 9. Pool readers run while the writer sleeps inside a batch. */
	{
		struct slow s = {0};
		struct call k = {.db = db, .fn = slow_tx, .arg = &s};
		int64_t n;

		pthread_create(&k.th, NULL, call_main, &k);
		while (!atomic_load(&s.in_fn))
			sleep_ms(1);
		n = count_like(db, "a-%");
		TAP_EQ_INT(n, 3200, "read during a slow batch");
		TAP_OK(!atomic_load(&s.finished),
		       "the read finished before the writer did");
		pthread_join(k.th, NULL);
		TAP_EQ_INT(k.rc, 0, "slow write committed");
		TAP_EQ_INT(get_v(db, "slow"), 1, "slow row present");
	}

	/* 8. Close with the writer idle. */
	testdb_close(&t);
	TAP_OK(1, "db_close with the writer idle");

	/* And close right after a write that failed (no gc_t here). */
	rc = testdb_open(&t, 2, msg, sizeof(msg));
	TAP_EQ_INT(rc, 0, "reopen (%s)", rc ? msg : "ok");
	if (rc == 0) {
		db_set_group_commit(t.db, 0);
		TAP_EQ_INT(put(t.db, "x", 1), KEEL_EINTERNAL,
		           "no gc_t in a fresh database");
		testdb_close(&t);
		TAP_OK(1, "db_close after a failed write");
	}
	return tap_done();
}
