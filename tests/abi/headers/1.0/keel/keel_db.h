/*
 * keel_db.h -- Keel plugin ABI: the "db" kind (relational driver).
 *
 * A db plugin is a thin SQL driver: connections, parameterised statements,
 * rows, transactions.  The core owns the schema, the migrations, the SQL
 * text, the connection pool and the retry policy, so drivers stay small and
 * behave alike.  SQL from the core uses "?" placeholders when the driver
 * declares KEEL_DB_PH_QMARK and "$1, $2..." when it declares
 * KEEL_DB_PH_DOLLAR.
 *
 * Threading: conn_open and conn_close may be called from any thread at any
 * time (the instance ops are thread-safe whatever the descriptor flags say).
 * A connection is used by one thread at a time; the core's pool guarantees
 * it, so connection ops need no locking of their own.
 *
 * Error mapping every driver follows (the core depends on it):
 *   unique / primary-key violation          -> KEEL_EEXIST
 *   serialization failure, deadlock, busy   -> KEEL_EAGAIN
 *   connection lost or refused              -> KEEL_EAGAIN, err->sys set
 *   statement timeout                       -> KEEL_ETIMEDOUT
 *   foreign key / check / not-null violation-> KEEL_EPRECOND
 *   SQL the driver cannot prepare           -> KEEL_EINTERNAL
 * err->msg carries the driver's native message; err->sys its native code.
 *
 * Statement rules every driver follows:
 *   - one statement per exec/query call; SQL holding more than one, or
 *     args whose count differs from the statement's placeholders, is
 *     KEEL_EINVAL;
 *   - TEXT and BLOB result values always have a non-NULL p, also when n
 *     is 0 (SQL NULL is KEEL_DB_NULL, never an empty pointer);
 *   - *changed counts rows of INSERT/UPDATE/DELETE only; it is 0 after
 *     DDL and other statements;
 *   - rollback() without an open transaction is KEEL_OK (engines roll
 *     back on their own after some errors).
 *
 * ABI history: 1.0 initial.
 */
#ifndef KEEL_DB_H
#define KEEL_DB_H

#include <keel/keel_plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct keel_db_conn; /* driver-defined */

/* Value types.  Never renumbered. */
#define KEEL_DB_NULL 0u
#define KEEL_DB_INT  1u /* i */
#define KEEL_DB_REAL 2u /* r */
#define KEEL_DB_TEXT 3u /* p, n: UTF-8, not necessarily NUL-terminated */
#define KEEL_DB_BLOB 4u /* p, n */

/* One parameter or one result column.  In parameters the memory p points
 * to is the caller's, borrowed for the call.  In result rows it is the
 * driver's, valid only during the row callback. */
struct keel_db_val {
	uint32_t type; /* KEEL_DB_* */
	uint32_t reserved; /* 0 */
	int64_t i;
	double r;
	const void *p;
	size_t n;
};

/*
 * Called once per result row, in order.  cols[0..ncols) are valid only
 * during the call: copy what you keep.  Return 0 to continue, a positive
 * value to stop early (the query then returns KEEL_OK), or a negative
 * KEEL_E* to abort (the query returns that code).
 */
typedef int (*keel_db_row_fn)(void *arg, const struct keel_db_val *cols,
                              size_t ncols);

/* Dialect capabilities (caps). */
#define KEEL_DB_CAP_RETURNING     0x1u /* INSERT ... RETURNING */
#define KEEL_DB_CAP_UPSERT        0x2u /* ON CONFLICT / ON DUPLICATE KEY */
#define KEEL_DB_CAP_SKIP_LOCKED   0x4u /* SELECT ... FOR UPDATE SKIP LOCKED */
#define KEEL_DB_CAP_SINGLE_WRITER 0x8u /* one writer at a time (SQLite): the
                                          core serialises write transactions
                                          instead of letting them collide */

/* Placeholder styles (placeholder). */
#define KEEL_DB_PH_QMARK  1u /* ? */
#define KEEL_DB_PH_DOLLAR 2u /* $1, $2, ... */

/* begin() flags. */
#define KEEL_DB_TX_READ  0x0u
#define KEEL_DB_TX_WRITE 0x1u /* the transaction will write: take the
                                 write lock up front where that matters
                                 (SQLite BEGIN IMMEDIATE) */

struct keel_db_ops {
	const char *dialect;  /* "sqlite", "postgres", "mysql" */
	uint32_t caps;        /* KEEL_DB_CAP_* */
	uint32_t placeholder; /* KEEL_DB_PH_* */

	/* 1.0, required: open a connection.  Thread-safe.  On success *out
	 * belongs to the core until it passes it to conn_close. */
	int (*conn_open)(void *self, struct keel_db_conn **out,
	                 struct keel_err *err);
	/* 1.0, required: close and free a connection; accepts NULL.  An open
	 * transaction is rolled back. */
	void (*conn_close)(struct keel_db_conn *c);

	/* 1.0, required: run one statement that returns no rows.  sql is
	 * borrowed; drivers may cache its prepared form per connection,
	 * keyed by its text.  *changed (when not NULL) receives the number of
	 * rows inserted, updated or deleted. */
	int (*exec)(struct keel_db_conn *c, const char *sql,
	            const struct keel_db_val *args, size_t nargs,
	            int64_t *changed, struct keel_err *err);
	/* 1.0, required: run one statement and call fn for each row. */
	int (*query)(struct keel_db_conn *c, const char *sql,
	             const struct keel_db_val *args, size_t nargs,
	             keel_db_row_fn fn, void *arg, struct keel_err *err);

	/* 1.0, required: transactions.  No nesting; the core uses
	 * SAVEPOINT statements through exec when it needs them. */
	int (*begin)(struct keel_db_conn *c, uint32_t flags,
	             struct keel_err *err);
	int (*commit)(struct keel_db_conn *c, struct keel_err *err);
	int (*rollback)(struct keel_db_conn *c, struct keel_err *err);

	/* 1.0, optional: check that a pooled connection still works (the core
	 * calls it after an idle period).  KEEL_EAGAIN: reconnect. */
	int (*ping)(struct keel_db_conn *c, struct keel_err *err);

	/* since 1.1: append below this line only */
};

#define KEEL_DB_OPS_SIZE_V1_0 80u
#define KEEL_DB_VAL_SIZE_V1_0 40u
KEEL_STATIC_ASSERT(sizeof(struct keel_db_ops) >= KEEL_DB_OPS_SIZE_V1_0,
                   "struct keel_db_ops shrank: ABI break");
KEEL_STATIC_ASSERT(sizeof(struct keel_db_val) == KEEL_DB_VAL_SIZE_V1_0,
                   "struct keel_db_val changed size");

#ifdef __cplusplus
}
#endif

#endif /* KEEL_DB_H */
