/*
 * db.h -- the core's side of the db plugin: a connection pool,
 * transactions with retry, and portable SQL.
 *
 * SQL in the core is written once with "?" placeholders; for drivers that
 * declare KEEL_DB_PH_DOLLAR it is rewritten to $1, $2... here.  The pool
 * hands each connection to one thread at a time (the ABI's promise to
 * drivers).  With KEEL_DB_CAP_SINGLE_WRITER (SQLite) write transactions are
 * serialised here rather than left to collide on the file lock: one writer
 * thread, started on the first write, owns a connection of its own and
 * group-commits what is queued (each function in its own savepoint, one
 * COMMIT for the batch); reads keep to the pool.  A transaction that fails
 * with KEEL_EAGAIN (busy, serialization failure, deadlock, lost
 * connection) is rolled back and run again with backoff.
 */
#ifndef KEEL_CORE_DB_H
#define KEEL_CORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

struct plugin_instance;
struct db;
struct db_conn;

#define DB_RETRIES 5

/* Open a pool of up to nconns connections over the db plugin instance pi
 * (already started); one connection is opened now to prove the database
 * is reachable.  Returns 0 or KEEL_E* with a message in err. */
int db_open(struct plugin_instance *pi, unsigned nconns, struct db **out,
            char *err, size_t errlen);
/* Stop the writer thread once it has run the write transactions already
 * queued, then close every connection; no connection may be checked out
 * and no db_tx may start. */
void db_close(struct db *db);

/* Group commit on single-writer drivers: at most max_batch write
 * transactions per COMMIT (default 64; 1: one COMMIT each, no grouping). */
void db_set_group_commit(struct db *db, unsigned max_batch);
/* Since db_open: COMMITs of the writer thread, write transactions they
 * committed, and the most transactions one COMMIT carried. */
void db_group_stats(struct db *db, uint64_t *batches, uint64_t *jobs,
                    unsigned *max_batch);

const char *db_dialect(const struct db *db);

/* A text column copied into a (NUL-terminated); "" for NULL or non-text
 * values.  Sets *nomem (and returns "") when out of memory, so a row
 * callback checks once after all its columns. */
struct arena;
const char *db_col_text(struct arena *a, const struct keel_db_val *v,
                        int *nomem);
/* A BLOB (or TEXT) column copied into a; NULL with *n 0 for SQL NULL or
 * an empty value.  Sets *nomem like db_col_text. */
const uint8_t *db_col_blob(struct arena *a, const struct keel_db_val *v,
                           size_t *n, int *nomem);
/* An optional integer column: 0 for SQL NULL. */
static inline int64_t db_col_int0(const struct keel_db_val *v)
{
	return v->type == KEEL_DB_INT ? v->i : 0;
}
uint32_t db_caps(const struct db *db);

/*
 * Run fn(conn, arg, err) in a transaction: KEEL_DB_TX_WRITE for writers.
 * Commits when fn returns 0, rolls back otherwise.  fn may run several
 * times (KEEL_EAGAIN retries), so it must not have side effects outside
 * the database, or must reset them itself.  Returns fn's or the commit's
 * code; err describes the failure.
 *
 * On single-writer drivers a write fn runs on the writer thread, not the
 * caller's (the caller waits, so arg and err may live on its stack): it
 * must not use thread-local state of the caller, and must not start
 * another write db_tx (KEEL_EINTERNAL).  It shares the COMMIT with other
 * callers' functions that run before and after it in queue order; when
 * it fails only its own writes are undone, but a KEEL_EAGAIN from it, or
 * a failed COMMIT, fails or reruns the whole batch.
 */
typedef int (*db_tx_fn)(struct db_conn *c, void *arg, struct keel_err *err);
int db_tx(struct db *db, uint32_t flags, db_tx_fn fn, void *arg,
          struct keel_err *err);

/* Statements; valid inside a db_tx function.  sql uses "?" placeholders. */
int db_exec(struct db_conn *c, const char *sql, const struct keel_db_val *args,
            size_t nargs, int64_t *changed, struct keel_err *err);
int db_query(struct db_conn *c, const char *sql,
             const struct keel_db_val *args, size_t nargs, keel_db_row_fn fn,
             void *arg, struct keel_err *err);
/* The pool the connection came from. */
struct db *db_conn_db(const struct db_conn *c);

/*
 * Row locks for read-then-write inside a write transaction, appended to a
 * SELECT.  Server engines run at READ COMMITTED, where two transactions
 * may read the same row and both write it; locking the row the decision
 * rests on serialises them as SQLite's single writer does.  After waiting
 * for a lock, later statements see the other transaction's commit.
 *   db_for_update:  " FOR UPDATE" in a write transaction on a
 *                   multi-writer engine, else "".
 *   db_skip_locked: " FOR UPDATE SKIP LOCKED" where the engine has it
 *                   (queue claims: take the next free row instead of
 *                   waiting for a taken one), else "".
 */
const char *db_for_update(const struct db_conn *c);
const char *db_skip_locked(const struct db_conn *c);

/* Appended to an INSERT whose duplicate-key failure the caller ignores.
 * On PostgreSQL a failed statement aborts the whole transaction, so the
 * duplicate must not fail: " ON CONFLICT DO NOTHING" (also SQLite's).
 * MySQL undoes only the statement: "" there, and the caller still treats
 * KEEL_EEXIST as "already there". */
const char *db_ignore_dup(const struct db_conn *c);

/* Parameter constructors. */
static inline struct keel_db_val db_int(int64_t i)
{
	struct keel_db_val v = {.type = KEEL_DB_INT, .i = i};
	return v;
}
static inline struct keel_db_val db_text(const char *s, size_t n)
{
	struct keel_db_val v = {.type = KEEL_DB_TEXT, .p = s, .n = n};
	return v;
}
struct keel_db_val db_str(const char *s); /* NULL -> SQL NULL */
static inline struct keel_db_val db_blob(const void *p, size_t n)
{
	struct keel_db_val v = {.type = KEEL_DB_BLOB, .p = p, .n = n};
	return v;
}
static inline struct keel_db_val db_null(void)
{
	struct keel_db_val v = {.type = KEEL_DB_NULL};
	return v;
}
/* An optional integer (ids, times): 0 is SQL NULL. */
static inline struct keel_db_val db_int0(int64_t i)
{
	return i != 0 ? db_int(i) : db_null();
}

/* Rewrite "?" placeholders (outside quotes) to "$1".. into out.  Returns
 * the length, or -1 when out is too small. */
int db_rewrite_dollar(const char *sql, char *out, size_t outlen);

#endif
