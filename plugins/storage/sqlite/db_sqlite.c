/*
 * db_sqlite.c -- the embedded SQLite driver ([db] driver = sqlite).
 *
 * A thin driver over the SQLite C API.  Each connection is its own sqlite3
 * handle opened in multi-thread mode (SQLITE_OPEN_NOMUTEX): the core's pool
 * hands a connection to one thread at a time, so SQLite's per-handle mutex
 * would only cost.  The database runs in WAL mode, where readers never
 * block the writer, and SQLite allows one writer at a time: the driver
 * declares KEEL_DB_CAP_SINGLE_WRITER so the core serialises write
 * transactions, and write transactions start with BEGIN IMMEDIATE so they
 * take the lock up front instead of failing half-way on an upgrade.
 *
 * Prepared statements are cached per connection, keyed by SQL text, with
 * LRU eviction (statement_cache entries).
 *
 * Ownership: the instance (struct sqlite_db) is created by create() and
 * freed by destroy(); config strings are the core's and stay valid until
 * destroy().  A connection (struct keel_db_conn) belongs to the core
 * between conn_open() and conn_close() and owns its sqlite3 handle, its
 * cached statements and its row buffer.
 */
#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include <keel/keel_db.h>

#include "plugutil.h"

#define DB_SQLITE_VERSION "0.1.0"

/* RETURNING, which the driver advertises, arrived in SQLite 3.35.0. */
#define DB_SQLITE_MIN_LIBVERSION     3035000
#define DB_SQLITE_MIN_LIBVERSION_STR "3.35.0"

#define DB_SQLITE_STMT_CACHE_MAX 1024
#define DB_SQLITE_SNIPPET        60 /* bytes of SQL quoted in error messages */

/* The 64-bit change counters arrived in 3.37; configure accepts older
 * headers. */
#if SQLITE_VERSION_NUMBER >= 3037000
#define sqlite_changes(h)       sqlite3_changes64(h)
#define sqlite_total_changes(h) sqlite3_total_changes64(h)
#else
#define sqlite_changes(h)       ((int64_t)sqlite3_changes(h))
#define sqlite_total_changes(h) ((int64_t)sqlite3_total_changes(h))
#endif

#define DB_SQLITE_MAGIC      0x53514c44u /* "SQLD" */
#define DB_SQLITE_CONN_MAGIC 0x53514c43u /* "SQLC" */

struct sqlite_db {
	uint32_t magic;
	const struct keel_host *host; /* borrowed until destroy() */
	void *hctx;
	const char *path;  /* borrowed from the config until destroy() */
	int busy_ms;       /* sqlite3_busy_timeout() */
	size_t stmt_cache; /* cached statements per connection */
	char pragmas[256]; /* run on every new connection */
};

/* One cached prepared statement. */
struct sqlite_slot {
	char *sql;        /* owned copy of the SQL text: the cache key */
	uint64_t hash;    /* of sql, to skip most strcmp()s */
	uint64_t used;    /* LRU clock at the last use */
	sqlite3_stmt *st; /* owned; NULL: the slot is free */
	int busy;         /* handed out and not yet released */
};

struct keel_db_conn {
	uint32_t magic;
	struct sqlite_db *db;      /* the instance, outlives the connection */
	sqlite3 *h;                /* owned */
	struct sqlite_slot *slots; /* owned, db->stmt_cache entries */
	uint64_t clock;            /* LRU clock */
	struct keel_db_val *cols;  /* owned row buffer, reused for each row */
	size_t ncols_cap;
};

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

/* Map an extended SQLite result code onto KEEL_E* (keel_db.h's table). */
static int sqlite_map(int src)
{
	switch (src) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return KEEL_EEXIST;
	default:
		break;
	}
	switch (src & 0xff) {
	case SQLITE_OK:
		return KEEL_OK;
	case SQLITE_CONSTRAINT: /* foreign key, check, not null, trigger */
		return KEEL_EPRECOND;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return KEEL_EAGAIN;
	case SQLITE_NOMEM:
	case SQLITE_FULL:
	case SQLITE_TOOBIG:
		return KEEL_ENOMEM;
	case SQLITE_INTERRUPT:
		return KEEL_ECANCELLED;
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_READONLY:
		return KEEL_EPERM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return KEEL_EDATALOSS;
	case SQLITE_CANTOPEN:
		return KEEL_EPRECOND;
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return KEEL_EINVAL;
	default:
		return KEEL_EINTERNAL;
	}
}

/* Fill err from the handle's last error and return the mapped code. */
static int sqlite_fail(struct keel_db_conn *c, int src, int code,
                       const char *what, const char *sql, struct keel_err *err)
{
	char snip[DB_SQLITE_SNIPPET + 4];

	pu_sql_snippet(snip, sizeof(snip), sql);
	keel_err_set(err, code, "%s: %s (sql: %s)", what, sqlite3_errmsg(c->h),
	             snip);
	if (err != NULL)
		err->sys = src;
	return code;
}

static int sqlite_fail_step(struct keel_db_conn *c, int src, const char *sql,
                            struct keel_err *err)
{
	return sqlite_fail(c, src, sqlite_map(src), "step", sql, err);
}

/* ---------------------------------------------------------------------
 * Statement cache
 * ------------------------------------------------------------------- */

static void sqlite_slot_clear(struct sqlite_slot *s)
{
	sqlite3_finalize(s->st);
	free(s->sql);
	memset(s, 0, sizeof(*s));
}

/*
 * Prepare exactly one statement.  Trailing text that holds another
 * statement is refused rather than silently ignored.
 */
static int sqlite_prepare(struct keel_db_conn *c, const char *sql,
                          int persistent, sqlite3_stmt **out,
                          struct keel_err *err)
{
	sqlite3_stmt *st = NULL, *extra = NULL;
	const char *tail = NULL;
	char snip[DB_SQLITE_SNIPPET + 4];
	int src, code;

	src = sqlite3_prepare_v3(c->h, sql, -1,
	                         persistent ? SQLITE_PREPARE_PERSISTENT : 0,
	                         &st, &tail);
	if (src != SQLITE_OK) {
		code = sqlite_map(src);
		/* Only resource trouble is worth a retry; bad SQL is ours. */
		if (code != KEEL_EAGAIN && code != KEEL_ENOMEM)
			code = KEEL_EINTERNAL;
		return sqlite_fail(c, src, code, "prepare", sql, err);
	}
	pu_sql_snippet(snip, sizeof(snip), sql);
	if (st == NULL)
		return keel_err_set(err, KEEL_EINVAL,
		                    "empty statement (sql: %s)", snip);
	if (tail != NULL && *tail != '\0') {
		src = sqlite3_prepare_v2(c->h, tail, -1, &extra, NULL);
		sqlite3_finalize(extra);
		if (src != SQLITE_OK || extra != NULL) {
			sqlite3_finalize(st);
			return keel_err_set(err, KEEL_EINVAL,
			                    "more than one statement (sql: %s)",
			                    snip);
		}
	}
	*out = st;
	return KEEL_OK;
}

/*
 * Get a reset statement for sql: a cached one, or a newly prepared one
 * that then takes the least recently used free slot.  A statement still in
 * use (a query running a nested query with the same text from its row
 * callback) is never handed out twice.  *slot is NULL when the statement is
 * not cached; either way give it back with sqlite_stmt_put().
 */
static int sqlite_stmt_get(struct keel_db_conn *c, const char *sql,
                           sqlite3_stmt **st, struct sqlite_slot **slot,
                           struct keel_err *err)
{
	struct sqlite_slot *victim = NULL;
	uint64_t h = pu_fnv1a64(sql);
	sqlite3_stmt *fresh = NULL;
	char *key;
	size_t i;
	int rc;

	for (i = 0; i < c->db->stmt_cache; i++) {
		struct sqlite_slot *s = &c->slots[i];

		if (s->st == NULL) {
			if (victim == NULL || victim->st != NULL)
				victim = s;
			continue;
		}
		if (s->busy)
			continue;
		if (s->hash == h && strcmp(s->sql, sql) == 0) {
			s->busy = 1;
			s->used = ++c->clock;
			*st = s->st;
			*slot = s;
			return KEEL_OK;
		}
		if (victim == NULL ||
		    (victim->st != NULL && s->used < victim->used))
			victim = s;
	}

	rc = sqlite_prepare(c, sql, victim != NULL, &fresh, err);
	if (rc != KEEL_OK)
		return rc;
	*slot = NULL;
	if (victim != NULL) {
		key = strdup(sql);
		if (key == NULL) {
			sqlite3_finalize(fresh);
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		}
		sqlite_slot_clear(victim);
		victim->sql = key;
		victim->hash = h;
		victim->st = fresh;
		victim->busy = 1;
		victim->used = ++c->clock;
		*slot = victim;
	}
	*st = fresh;
	return KEEL_OK;
}

/* Give back a statement from sqlite_stmt_get(); args were borrowed for
 * the call, so the bindings go too. */
static void sqlite_stmt_put(sqlite3_stmt *st, struct sqlite_slot *slot)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (slot != NULL)
		slot->busy = 0;
	else
		sqlite3_finalize(st);
}

/* ---------------------------------------------------------------------
 * Binding and rows
 * ------------------------------------------------------------------- */

static int sqlite_bind(struct keel_db_conn *c, sqlite3_stmt *st,
                       const char *sql, const struct keel_db_val *args,
                       size_t nargs, struct keel_err *err)
{
	char snip[DB_SQLITE_SNIPPET + 4];
	int want = sqlite3_bind_parameter_count(st);
	size_t i;
	int src;

	if (want < 0 || (size_t)want != nargs) {
		pu_sql_snippet(snip, sizeof(snip), sql);
		return keel_err_set(err, KEEL_EINVAL,
		                    "statement takes %d parameters, %zu given "
		                    "(sql: %s)",
		                    want, nargs, snip);
	}
	for (i = 0; i < nargs; i++) {
		const struct keel_db_val *v = &args[i];
		int idx = (int)i + 1;

		switch (v->type) {
		case KEEL_DB_NULL:
			src = sqlite3_bind_null(st, idx);
			break;
		case KEEL_DB_INT:
			src = sqlite3_bind_int64(st, idx, v->i);
			break;
		case KEEL_DB_REAL:
			src = sqlite3_bind_double(st, idx, v->r);
			break;
		case KEEL_DB_TEXT:
			if (v->p == NULL && v->n > 0)
				goto bad_arg;
			/* A NULL pointer would bind SQL NULL, not "". */
			src = sqlite3_bind_text64(
			    st, idx, v->p != NULL ? v->p : "", v->n,
			    SQLITE_STATIC, SQLITE_UTF8);
			break;
		case KEEL_DB_BLOB:
			if (v->p == NULL && v->n > 0)
				goto bad_arg;
			if (v->n == 0)
				src = sqlite3_bind_zeroblob(st, idx, 0);
			else
				src = sqlite3_bind_blob64(st, idx, v->p, v->n,
				                          SQLITE_STATIC);
			break;
		default:
			goto bad_arg;
		}
		if (src != SQLITE_OK)
			return sqlite_fail(c, src, sqlite_map(src), "bind", sql,
			                   err);
	}
	return KEEL_OK;

bad_arg:
	pu_sql_snippet(snip, sizeof(snip), sql);
	return keel_err_set(err, KEEL_EINVAL,
	                    "parameter %zu: bad value (type %u, %zu bytes "
	                    "at %s) (sql: %s)",
	                    i + 1, (unsigned)args[i].type, args[i].n,
	                    args[i].p != NULL ? "non-NULL" : "NULL", snip);
}

static int sqlite_cols_reserve(struct keel_db_conn *c, size_t n)
{
	struct keel_db_val *cols;

	if (n <= c->ncols_cap)
		return KEEL_OK;
	cols = realloc(c->cols, n * sizeof(*cols));
	if (cols == NULL)
		return KEEL_ENOMEM;
	c->cols = cols;
	c->ncols_cap = n;
	return KEEL_OK;
}

/* Fill c->cols from the current row.  Pointers stay valid until the next
 * step or reset of st, which is longer than the row callback needs. */
static int sqlite_row(struct keel_db_conn *c, sqlite3_stmt *st, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct keel_db_val *v = &c->cols[i];
		int col = (int)i;

		memset(v, 0, sizeof(*v));
		switch (sqlite3_column_type(st, col)) {
		case SQLITE_INTEGER:
			v->type = KEEL_DB_INT;
			v->i = sqlite3_column_int64(st, col);
			break;
		case SQLITE_FLOAT:
			v->type = KEEL_DB_REAL;
			v->r = sqlite3_column_double(st, col);
			break;
		case SQLITE_TEXT:
			v->type = KEEL_DB_TEXT;
			v->p = sqlite3_column_text(st, col);
			v->n = (size_t)sqlite3_column_bytes(st, col);
			if (v->p == NULL) /* only on allocation failure */
				return KEEL_ENOMEM;
			break;
		case SQLITE_BLOB:
			v->type = KEEL_DB_BLOB;
			v->p = sqlite3_column_blob(st, col);
			v->n = (size_t)sqlite3_column_bytes(st, col);
			if (v->p == NULL && v->n > 0)
				return KEEL_ENOMEM;
			if (v->p == NULL) /* SQLite gives NULL for x'' */
				v->p = "";
			break;
		default:
			v->type = KEEL_DB_NULL;
			break;
		}
	}
	return KEEL_OK;
}

/* ---------------------------------------------------------------------
 * Connection ops
 * ------------------------------------------------------------------- */

static int sqlite_exec(struct keel_db_conn *c, const char *sql,
                       const struct keel_db_val *args, size_t nargs,
                       int64_t *changed, struct keel_err *err)
{
	struct sqlite_slot *slot;
	sqlite3_stmt *st;
	int64_t before;
	int rc, src;

	assert(c->magic == DB_SQLITE_CONN_MAGIC);
	rc = sqlite_stmt_get(c, sql, &st, &slot, err);
	if (rc != KEEL_OK)
		return rc;
	rc = sqlite_bind(c, st, sql, args, nargs, err);
	if (rc != KEEL_OK)
		goto out_put_stmt;

	before = sqlite_total_changes(c->h);
	while ((src = sqlite3_step(st)) == SQLITE_ROW)
		; /* exec discards rows (PRAGMA, RETURNING nobody reads) */
	if (src != SQLITE_DONE) {
		rc = sqlite_fail_step(c, src, sql, err);
		goto out_put_stmt;
	}
	/*
	 * sqlite3_changes() keeps the count of the last INSERT, UPDATE or
	 * DELETE, so after DDL it would report a stale number: only trust
	 * it when this statement changed something.
	 */
	if (changed != NULL)
		*changed = sqlite_total_changes(c->h) != before
		               ? sqlite_changes(c->h)
		               : 0;

out_put_stmt:
	sqlite_stmt_put(st, slot);
	return rc;
}

static int sqlite_query(struct keel_db_conn *c, const char *sql,
                        const struct keel_db_val *args, size_t nargs,
                        keel_db_row_fn fn, void *arg, struct keel_err *err)
{
	char snip[DB_SQLITE_SNIPPET + 4];
	struct sqlite_slot *slot;
	sqlite3_stmt *st;
	size_t ncols;
	int rc, src;

	assert(c->magic == DB_SQLITE_CONN_MAGIC);
	rc = sqlite_stmt_get(c, sql, &st, &slot, err);
	if (rc != KEEL_OK)
		return rc;
	rc = sqlite_bind(c, st, sql, args, nargs, err);
	if (rc != KEEL_OK)
		goto out_put_stmt;
	ncols = (size_t)sqlite3_column_count(st);
	if (sqlite_cols_reserve(c, ncols) != KEEL_OK) {
		rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
		goto out_put_stmt;
	}

	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn == NULL)
			continue;
		if (sqlite_row(c, st, ncols) != KEEL_OK) {
			rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
			goto out_put_stmt;
		}
		rc = fn(arg, c->cols, ncols);
		if (rc > 0) {
			rc = KEEL_OK; /* early stop: reset drops the rest */
			goto out_put_stmt;
		}
		if (rc < 0) {
			pu_sql_snippet(snip, sizeof(snip), sql);
			keel_err_set(err, rc,
			             "row callback aborted with %d (sql: %s)",
			             rc, snip);
			goto out_put_stmt;
		}
	}
	if (src != SQLITE_DONE)
		rc = sqlite_fail_step(c, src, sql, err);

out_put_stmt:
	sqlite_stmt_put(st, slot);
	return rc;
}

static int sqlite_begin(struct keel_db_conn *c, uint32_t flags,
                        struct keel_err *err)
{
	if (!sqlite3_get_autocommit(c->h))
		return keel_err_set(err, KEEL_EPRECOND,
		                    "begin: a transaction is already open");
	return sqlite_exec(
	    c, (flags & KEEL_DB_TX_WRITE) ? "BEGIN IMMEDIATE" : "BEGIN", NULL,
	    0, NULL, err);
}

static int sqlite_commit(struct keel_db_conn *c, struct keel_err *err)
{
	if (sqlite3_get_autocommit(c->h))
		return keel_err_set(err, KEEL_EPRECOND,
		                    "commit: no transaction is open");
	return sqlite_exec(c, "COMMIT", NULL, 0, NULL, err);
}

static int sqlite_rollback(struct keel_db_conn *c, struct keel_err *err)
{
	/* SQLite rolls back by itself after some errors (SQLITE_FULL,
	 * SQLITE_IOERR...); the core's rollback then has nothing to do. */
	if (sqlite3_get_autocommit(c->h))
		return KEEL_OK;
	return sqlite_exec(c, "ROLLBACK", NULL, 0, NULL, err);
}

static int sqlite_ping(struct keel_db_conn *c, struct keel_err *err)
{
	return sqlite_query(c, "SELECT 1", NULL, 0, NULL, NULL, err);
}

/* Closing the handle rolls back an open transaction. */
static void sqlite_conn_close(struct keel_db_conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	assert(c->magic == DB_SQLITE_CONN_MAGIC);
	for (i = 0; c->slots != NULL && i < c->db->stmt_cache; i++)
		sqlite_slot_clear(&c->slots[i]);
	free(c->slots);
	free(c->cols);
	sqlite3_close_v2(c->h);
	c->magic = 0;
	free(c);
}

static int sqlite_conn_open(void *self, struct keel_db_conn **out,
                            struct keel_err *err)
{
	struct sqlite_db *db = self;
	struct keel_db_conn *c;
	int rc, src;

	assert(db->magic == DB_SQLITE_MAGIC);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	c->magic = DB_SQLITE_CONN_MAGIC;
	c->db = db;
	if (db->stmt_cache > 0) {
		c->slots = calloc(db->stmt_cache, sizeof(*c->slots));
		if (c->slots == NULL) {
			rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
			goto out_free_conn;
		}
	}

	src = sqlite3_open_v2(db->path, &c->h,
	                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                          SQLITE_OPEN_NOMUTEX,
	                      NULL);
	if (src != SQLITE_OK) {
		/* c->h is NULL only when SQLite could not allocate it. */
		rc = keel_err_set(err, sqlite_map(src), "open %s: %s", db->path,
		                  c->h != NULL ? sqlite3_errmsg(c->h)
		                               : sqlite3_errstr(src));
		if (err != NULL)
			err->sys = src;
		goto out_close_handle;
	}
	sqlite3_extended_result_codes(c->h, 1);
	sqlite3_busy_timeout(c->h, db->busy_ms);
	src = sqlite3_exec(c->h, db->pragmas, NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		rc = sqlite_fail(c, src, sqlite_map(src), db->path, db->pragmas,
		                 err);
		goto out_close_handle;
	}
	*out = c;
	return KEEL_OK;

out_close_handle:
	sqlite3_close_v2(c->h);
	free(c->slots);
out_free_conn:
	free(c);
	return rc;
}

/* ---------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------- */

static const struct keel_config_key sqlite_config[] = {
    {
        .name = "path",
        .type = KEEL_CFG_PATH,
        .def = "keel.db",
        .help = "database file; a relative path is under the data directory",
    },
    {
        .name = "busy_timeout",
        .type = KEEL_CFG_DURATION,
        .flags = KEEL_CFG_F_RANGE,
        .def = "5s",
        .help = "how long to wait for a lock before a retryable error",
        .min = 0,
        .max = INT_MAX,
    },
    {
        .name = "synchronous",
        .type = KEEL_CFG_STR,
        .def = "normal",
        .help = "when to fsync: off, normal (durable with WAL) or full",
    },
    {
        .name = "cache_size",
        .type = KEEL_CFG_BYTES,
        .def = "8MiB",
        .help = "page cache per connection",
    },
    {
        .name = "mmap_size",
        .type = KEEL_CFG_BYTES,
        .def = "0",
        .help = "bytes of the file memory-mapped per connection; 0: none",
    },
    {
        .name = "statement_cache",
        .type = KEEL_CFG_INT,
        .flags = KEEL_CFG_F_RANGE,
        .def = "64",
        .help = "prepared statements cached per connection (LRU); 0: none",
        .min = 0,
        .max = DB_SQLITE_STMT_CACHE_MAX,
    },
    {
        .name = "foreign_keys",
        .type = KEEL_CFG_BOOL,
        .def = "true",
        .help = "enforce FOREIGN KEY constraints",
    },
    {.name = NULL},
};

static int sqlite_create(const struct keel_host *host, void *hctx, void **self,
                         struct keel_err *err)
{
	struct sqlite_db *db;

	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	db->magic = DB_SQLITE_MAGIC;
	db->host = host;
	db->hctx = hctx;
	*self = db;
	return KEEL_OK;
}

static int sqlite_cfg_int(struct sqlite_db *db, const struct keel_config *cfg,
                          const char *key, int64_t min, int64_t max,
                          int64_t *out, struct keel_err *err)
{
	int rc = db->host->cfg_int(cfg, key, out);

	if (rc != KEEL_OK)
		return keel_err_set(err, rc, "config key %s: cannot read (%d)",
		                    key, rc);
	if (*out < min || *out > max)
		return keel_err_set(
		    err, KEEL_EINVAL, "%s = %lld: out of range %lld..%lld", key,
		    (long long)*out, (long long)min, (long long)max);
	return KEEL_OK;
}

static int sqlite_configure(void *self, const struct keel_config *cfg,
                            struct keel_err *err)
{
	static const char *const sync_modes[] = {"off", "normal", "full"};
	struct sqlite_db *db = self;
	const struct keel_host *h = db->host;
	const char *sync = NULL, *sync_mode = NULL;
	int64_t busy, cache, mmap, stmts;
	int fk, rc, n;
	size_t i;

	assert(db->magic == DB_SQLITE_MAGIC);
	rc = h->cfg_str(cfg, "path", &db->path);
	if (rc == KEEL_OK && db->path[0] == '\0')
		rc = KEEL_EINVAL;
	if (rc != KEEL_OK)
		return keel_err_set(err, rc,
		                    "config key path: missing or empty");
	rc = h->cfg_str(cfg, "synchronous", &sync);
	if (rc != KEEL_OK)
		return keel_err_set(
		    err, rc, "config key synchronous: cannot read (%d)", rc);
	for (i = 0; i < sizeof(sync_modes) / sizeof(sync_modes[0]); i++)
		if (strcasecmp(sync, sync_modes[i]) == 0)
			sync_mode = sync_modes[i];
	if (sync_mode == NULL)
		return keel_err_set(err, KEEL_EINVAL,
		                    "synchronous = \"%s\": want off, normal or "
		                    "full",
		                    sync);
	rc = h->cfg_bool(cfg, "foreign_keys", &fk);
	if (rc != KEEL_OK)
		return keel_err_set(
		    err, rc, "config key foreign_keys: cannot read (%d)", rc);

	if ((rc = sqlite_cfg_int(db, cfg, "busy_timeout", 0, INT_MAX, &busy,
	                         err)) != KEEL_OK ||
	    (rc = sqlite_cfg_int(db, cfg, "cache_size", 0, INT64_MAX, &cache,
	                         err)) != KEEL_OK ||
	    (rc = sqlite_cfg_int(db, cfg, "mmap_size", 0, INT64_MAX, &mmap,
	                         err)) != KEEL_OK ||
	    (rc = sqlite_cfg_int(db, cfg, "statement_cache", 0,
	                         DB_SQLITE_STMT_CACHE_MAX, &stmts, err)) !=
	        KEEL_OK)
		return rc;
	db->busy_ms = (int)busy;
	db->stmt_cache = (size_t)stmts;

	/* A negative cache_size is in KiB rather than pages.  LIKE compares
	 * case-sensitively, as on PostgreSQL (Flyte Admin's engine) and on
	 * MySQL with utf8mb4_bin: a filter means the same on every engine. */
	n = snprintf(db->pragmas, sizeof(db->pragmas),
	             "PRAGMA journal_mode=WAL;"
	             "PRAGMA synchronous=%s;"
	             "PRAGMA foreign_keys=%s;"
	             "PRAGMA cache_size=-%lld;"
	             "PRAGMA mmap_size=%lld;"
	             "PRAGMA case_sensitive_like=ON;",
	             sync_mode, fk ? "on" : "off", (long long)(cache / 1024),
	             (long long)mmap);
	if (n < 0 || (size_t)n >= sizeof(db->pragmas))
		return keel_err_set(err, KEEL_EINTERNAL,
		                    "pragma buffer too small (%d bytes)", n);
	return KEEL_OK;
}

/* Check the library and the file: open one connection (which switches
 * the file to WAL) and close it again. */
static int sqlite_start(void *self, struct keel_err *err)
{
	struct sqlite_db *db = self;
	struct keel_db_conn *c = NULL;
	char mode[16] = "";
	int rc, src;
	sqlite3_stmt *st = NULL;

	assert(db->magic == DB_SQLITE_MAGIC);
	if (!sqlite3_threadsafe())
		return keel_err_set(err, KEEL_EPRECOND,
		                    "libsqlite3 %s is built without thread "
		                    "support (SQLITE_THREADSAFE=0)",
		                    sqlite3_libversion());
	if (sqlite3_libversion_number() < DB_SQLITE_MIN_LIBVERSION)
		return keel_err_set(err, KEEL_EPRECOND,
		                    "libsqlite3 %s is older than %s, which "
		                    "RETURNING needs",
		                    sqlite3_libversion(),
		                    DB_SQLITE_MIN_LIBVERSION_STR);

	rc = sqlite_conn_open(db, &c, err);
	if (rc != KEEL_OK)
		return rc;
	/* A file system without shared memory support keeps the old mode
	 * silently; say so, since readers then block the writer. */
	src = sqlite3_prepare_v2(c->h, "PRAGMA journal_mode", -1, &st, NULL);
	if (src == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		snprintf(mode, sizeof(mode), "%s",
		         (const char *)sqlite3_column_text(st, 0));
	if (src != SQLITE_OK)
		rc = sqlite_fail(c, src, sqlite_map(src), db->path,
		                 "PRAGMA journal_mode", err);
	sqlite3_finalize(st);
	sqlite_conn_close(c);
	if (rc != KEEL_OK)
		return rc;

	if (strcasecmp(mode, "wal") != 0)
		db->host->log(db->hctx, KEEL_LOG_WARN,
		              "%s: journal mode is \"%s\", not wal: readers "
		              "will block the writer",
		              db->path, mode);
	db->host->log(db->hctx, KEEL_LOG_INFO,
	              "database %s (sqlite %s, journal %s, %zu cached "
	              "statements per connection)",
	              db->path, sqlite3_libversion(), mode, db->stmt_cache);
	return KEEL_OK;
}

static void sqlite_destroy(void *self)
{
	struct sqlite_db *db = self;

	if (db == NULL)
		return;
	assert(db->magic == DB_SQLITE_MAGIC);
	db->magic = 0;
	free(db);
}

static const struct keel_db_ops sqlite_ops = {
    .dialect = "sqlite",
    .caps =
        KEEL_DB_CAP_UPSERT | KEEL_DB_CAP_RETURNING | KEEL_DB_CAP_SINGLE_WRITER,
    .placeholder = KEEL_DB_PH_QMARK,
    .conn_open = sqlite_conn_open,
    .conn_close = sqlite_conn_close,
    .exec = sqlite_exec,
    .query = sqlite_query,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .ping = sqlite_ping,
};

static const struct keel_plugin sqlite_plugin = {
    .magic = KEEL_PLUGIN_MAGIC,
    .abi_major = KEEL_ABI_MAJOR,
    .abi_minor = KEEL_ABI_MINOR,
    .size = sizeof(struct keel_plugin),
    .kind = KEEL_KIND_DB,
    .flags = KEEL_PLUGIN_F_THREADSAFE,
    .ops_size = sizeof(struct keel_db_ops),
    .config_key_size = sizeof(struct keel_config_key),
    .name = "sqlite",
    .version = DB_SQLITE_VERSION,
    .description = "SQLite database driver, the embedded default (WAL, "
                   "one writer)",
    .config = sqlite_config,
    .create = sqlite_create,
    .configure = sqlite_configure,
    .start = sqlite_start,
    .destroy = sqlite_destroy,
    .ops = &sqlite_ops,
};

KEEL_PLUGIN_DECLARE(sqlite_plugin)
