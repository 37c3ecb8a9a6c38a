/*
 * outbox.h -- side effects, queued in the transaction that decides them
 * and run afterwards by workers.
 *
 * A request that must launch, abort or notify writes an outbox row in the
 * same transaction as its own rows, so a crash can neither lose an
 * acknowledged side effect nor run one whose request was rolled back.
 * Workers claim due rows with a lease (several processes may drain one
 * database), run the kind's handler outside any transaction, then record
 * the outcome -- together with the handler's own database effects -- in
 * one write transaction.  A transient failure is retried with exponential
 * backoff; a permanent one, or running out of attempts, moves the row to
 * the dead state, where operators see it (`keeld outbox`).
 *
 * Delivery to the outside world is at least once: a worker that dies
 * between running a handler and recording it leaves the row to be run
 * again when its lease expires, so handlers pass the row's purpose (unique
 * per effect) on as an idempotency key.  Database effects are exactly
 * once: they commit with the row's "done" mark, guarded by the lease.
 */
#ifndef KEEL_CORE_OUTBOX_H
#define KEEL_CORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_plugin.h>

struct db;
struct db_conn;
struct arena;

#define OUTBOX_LAUNCH "launch"
#define OUTBOX_ABORT "abort"
#define OUTBOX_NOTIFY "notify"
#define OUTBOX_CLOUD_EVENT "cloud_event"

#define OUTBOX_PENDING 0
#define OUTBOX_DONE 1
#define OUTBOX_DEAD 2

/* Queue a side effect inside the caller's write transaction.  A row with
 * the same purpose already queued is kept (0): retried requests never
 * queue an effect twice.  payload is borrowed. */
int outbox_add(struct db_conn *c, const char *kind, const char *purpose,
               int64_t execution_id, const void *payload, size_t len,
               int64_t now_ms, struct keel_err *err);

/* A claimed row, as handlers see it (borrowed for the call). */
struct outbox_row {
	int64_t id;
	const char *kind, *purpose;
	int64_t execution_id; /* 0: none */
	const uint8_t *payload;
	size_t len;
	int attempts; /* including this one */
	struct arena *arena; /* scratch for the handler, reset per row */
};

/*
 * How one kind is handled; arg is passed back.  run() performs the
 * effect: 0 done, KEEL_EAGAIN or KEEL_ETIMEDOUT retry
 * later, anything else fails for good.  done() (may be NULL) applies the
 * effect's database side in the transaction that marks the row done;
 * dead() (may be NULL) does the same when the row dies, with why.
 */
struct outbox_handler {
	const char *kind;
	int (*run)(void *arg, const struct outbox_row *r, struct keel_err *err);
	int (*done)(void *arg, struct db_conn *c, const struct outbox_row *r,
	            struct keel_err *err);
	int (*dead)(void *arg, struct db_conn *c, const struct outbox_row *r,
	            const char *why, struct keel_err *err);
	void *arg;
};

struct outbox_cfg {
	unsigned workers;       /* threads; 0: this process does not drain */
	unsigned max_attempts;  /* then the row is dead */
	int64_t backoff_ms;     /* first retry delay; doubles per attempt */
	int64_t backoff_max_ms;
	int64_t lease_ms;       /* how long a claim holds */
	int64_t poll_ms;        /* idle workers look again after this */
};

struct outbox;

/* Start workers over handlers (nh of them, borrowed until outbox_stop).
 * 0 or KEEL_E* with err set. */
int outbox_start(struct db *db, const struct outbox_cfg *cfg,
                 const struct outbox_handler *h, size_t nh,
                 struct outbox **out, struct keel_err *err);
/* Wake the workers: rows were just committed.  o may be NULL. */
void outbox_kick(struct outbox *o);
/* Stop and join the workers; rows in flight finish first. */
void outbox_stop(struct outbox *o);

/* Claim and process one due row on the calling thread (tests, and
 * workers); *did is 0 when no row was due, else 1 done, 2 retry
 * scheduled, 3 dead, 4 lease lost. */
int outbox_run_one(struct db *db, const struct outbox_cfg *cfg,
                   const struct outbox_handler *h, size_t nh,
                   const char *owner, int *did, struct keel_err *err);

/* Counters since start, for logs and benchmarks. */
struct outbox_stats {
	uint64_t done, retried, dead;
};
void outbox_get_stats(struct outbox *o, struct outbox_stats *s);

/* Rows by kind and state, and the dead rows' purposes and last errors,
 * printed for operators. */
#include <stdio.h>
int outbox_report(struct db *db, FILE *out, struct keel_err *err);
/* Make dead row id pending again (attempts reset).  KEEL_ENOTFOUND when
 * no dead row has that id. */
int outbox_retry(struct db *db, int64_t id, struct keel_err *err);

#endif
