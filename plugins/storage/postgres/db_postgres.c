/*
 * db_postgres.c -- the PostgreSQL driver ([db] driver = postgres).
 *
 * A thin driver over libpq.  Each connection is one PGconn used
 * synchronously by one thread at a time (the core's pool guarantees it).
 * Statements go through the extended protocol: arguments are sent apart
 * from the SQL text, results come back in binary format and are decoded
 * by column type.  PostgreSQL lets writers run concurrently, so the
 * driver does not declare KEEL_DB_CAP_SINGLE_WRITER: conflicts surface as
 * serialization failures or deadlocks, mapped to KEEL_EAGAIN (sys 0) for
 * the core to retry the transaction on the same connection.  A lost
 * connection is KEEL_EAGAIN with err->sys set, so the core reopens it.
 *
 * Prepared statements are cached per connection, keyed by SQL text, with
 * LRU eviction (statement_cache entries), as named server-side
 * statements.  The parameter types are declared at prepare time from the
 * arguments; a later call whose non-NULL arguments have other types
 * prepares the text again.  With statement_cache = 0 every call is one
 * unnamed Parse/Bind/Execute round trip, which also suits poolers in
 * transaction mode.
 *
 * A query's whole result is held in memory (one PGresult) before the row
 * callback sees the first row, so a callback may run statements on the
 * same connection.
 *
 * Ownership: the instance (struct pg_db) is created by create() and freed
 * by destroy(); config strings are the core's and stay valid until
 * destroy(); the parsed conninfo is the instance's.  A connection (struct
 * keel_db_conn) belongs to the core between conn_open() and conn_close()
 * and owns its PGconn, its cached statements and its parameter and row
 * buffers.  The password is read through host->secret_get for each new
 * connection into a stack buffer that is wiped right after use.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* dladdr() */
#endif

#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <keel/keel_db.h>

#include "plugutil.h"

#define DB_PG_VERSION "0.1.0"

/* The oldest server release the driver accepts.  What it uses (ON
 * CONFLICT, SKIP LOCKED) dates from 9.5, but releases before 12 are long
 * out of support and untested here. */
#define DB_PG_MIN_SERVER     120000
#define DB_PG_MIN_SERVER_STR "12"

#define DB_PG_STMT_CACHE_MAX 4096
#define DB_PG_SNIPPET        60    /* bytes of SQL quoted in error messages */
#define DB_PG_MAX_PARAMS     65535 /* the protocol's limit */
#define DB_PG_PASSWORD_MAX   1024
#define DB_PG_EXTRA_MAX      32 /* conninfo keywords */

#define DB_PG_MAGIC      0x50475344u /* "PGSD" */
#define DB_PG_CONN_MAGIC 0x50475343u /* "PGSC" */

/* Type OIDs from the server's catalog (pg_type.dat); they never change. */
#define PG_BOOLOID    16
#define PG_BYTEAOID   17
#define PG_CHAROID    18
#define PG_NAMEOID    19
#define PG_INT8OID    20
#define PG_INT2OID    21
#define PG_INT4OID    23
#define PG_TEXTOID    25
#define PG_OIDOID     26
#define PG_JSONOID    114
#define PG_FLOAT4OID  700
#define PG_FLOAT8OID  701
#define PG_UNKNOWNOID 705
#define PG_BPCHAROID  1042
#define PG_VARCHAROID 1043
#define PG_NUMERICOID 1700
#define PG_JSONBOID   3802

struct pg_db {
	uint32_t magic;
	const struct keel_host *host; /* borrowed until destroy() */
	void *hctx;
	/* Borrowed from the config until destroy(); NULL when unset. */
	const char *host_name;
	const char *user;
	const char *database;
	const char *sslmode;
	const char *sslrootcert;
	const char *sslcert;
	const char *sslkey;
	const char *app_name;
	char port[8];
	int64_t connect_timeout_ms; /* 0: no limit */
	int has_password;
	size_t stmt_cache; /* cached statements per connection */
	char options[512]; /* libpq "options": GUCs for every session */
	char url[256];     /* postgres://user@host:port/db, for messages */
	/* conninfo: parsed (owned) and its keywords that carry a value. */
	PQconninfoOption *extra;
	const char *extra_kw[DB_PG_EXTRA_MAX];
	const char *extra_val[DB_PG_EXTRA_MAX];
	size_t nextra;
};

/* One cached prepared statement. */
struct pg_slot {
	char *sql;     /* owned copy of the SQL text: the cache key; NULL:
	                  the slot is free */
	uint64_t hash; /* of sql, to skip most strcmp()s */
	uint64_t used; /* LRU clock at the last use */
	uint64_t id;   /* server-side name is "keel_<id>" */
	Oid *types;    /* owned, nparams declared types (0: inferred) */
	size_t nparams;
	int stale; /* the server dropped its plan: prepare again */
};

struct keel_db_conn {
	uint32_t magic;
	struct pg_db *db;      /* the instance, outlives the connection */
	PGconn *conn;          /* owned */
	struct pg_slot *slots; /* owned, db->stmt_cache entries */
	uint64_t clock;        /* LRU clock */
	uint64_t next_id;      /* for statement names */
	/* Parameter buffers, reused for each call (owned). */
	const char **pvals;
	int *plens;
	int *pfmts;
	Oid *ptypes;
	char (*pnum)[32]; /* text of INT and REAL arguments */
	size_t pcap;
	struct keel_db_val *cols; /* owned row buffer, reused for each row */
	size_t ncols_cap;
	/* The first error that aborted the open transaction: a later COMMIT
	 * only answers "ROLLBACK", and later statements only "aborted". */
	int abort_code;
	char abort_msg[160];
};

/* ---------------------------------------------------------------------
 * Text helpers
 * ------------------------------------------------------------------- */

static int pg_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\f' || ch == '\v';
}

/*
 * Copy the start of s into buf, whitespace runs as one space, cut at
 * max bytes (never inside a UTF-8 sequence) and marked with "..." when
 * cut.  bufsz must be at least max + 4.
 */
static void pg_squeeze(char *buf, size_t bufsz, const char *s, size_t max)
{
	size_t n = 0;
	int space = 0;

	if (max > bufsz - 4)
		max = bufsz - 4;
	if (s == NULL)
		s = "";
	while (pg_is_space(*s))
		s++;
	for (; *s != '\0' && n < max; s++) {
		if (pg_is_space(*s)) {
			space = 1;
			continue;
		}
		if (space && n + 1 < max)
			buf[n++] = ' ';
		space = 0;
		buf[n++] = *s;
	}
	while (pg_is_space(*s))
		s++;
	if (*s != '\0') {
		while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) == 0xc0)
			n--;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

/* The server's own encoding of a SQLSTATE (MAKE_SQLSTATE): a stable,
 * nonzero native code for err->sys. */
static int32_t pg_sqlstate_code(const char *st)
{
	int32_t v = 0;
	int i;

	if (st == NULL || strlen(st) != 5)
		return 0;
	for (i = 4; i >= 0; i--)
		v = (v << 6) | ((st[i] - '0') & 0x3f);
	return v;
}

static int pg_class_is(const char *st, const char *cls)
{
	return st != NULL && st[0] == cls[0] && st[0] != '\0' &&
	       st[1] == cls[1];
}

static int pg_state_is(const char *st, const char *want)
{
	return st != NULL && strcmp(st, want) == 0;
}

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

/*
 * Map a SQLSTATE onto KEEL_E* (keel_db.h's table).  *lost is set for
 * states after which the connection is unusable or should be replaced
 * (the core then reopens it).
 */
static int pg_map_state(const char *st, int *lost)
{
	*lost = 0;
	if (st == NULL)
		return KEEL_EINTERNAL;
	if (pg_state_is(st, "23505"))
		return KEEL_EEXIST;
	if (pg_state_is(st, "40001") || pg_state_is(st, "40P01") ||
	    pg_state_is(st, "55P03"))
		return KEEL_EAGAIN;
	if (pg_state_is(st, "57014"))
		return KEEL_ETIMEDOUT;
	/* Shutdown, crash recovery, startup, too many connections; and a
	 * read-only transaction, which after a failover means a standby: a
	 * new connection may reach the new primary. */
	if (pg_class_is(st, "08") || pg_state_is(st, "57P01") ||
	    pg_state_is(st, "57P02") || pg_state_is(st, "57P03") ||
	    pg_state_is(st, "53300") || pg_state_is(st, "25006")) {
		*lost = 1;
		return KEEL_EAGAIN;
	}
	if (pg_class_is(st, "23") || pg_state_is(st, "3D000"))
		return KEEL_EPRECOND;
	if (pg_class_is(st, "22") || pg_class_is(st, "54"))
		return KEEL_EINVAL;
	if (pg_class_is(st, "28") || pg_state_is(st, "42501"))
		return KEEL_EPERM;
	if (pg_class_is(st, "53"))
		return KEEL_ENOMEM;
	if (pg_state_is(st, "XX001") || pg_state_is(st, "XX002"))
		return KEEL_EDATALOSS;
	return KEEL_EINTERNAL;
}

/* Remember what aborted the open transaction, once. */
static void pg_note_abort(struct keel_db_conn *c, int code, const char *msg)
{
	if (c->abort_code != 0 ||
	    PQtransactionStatus(c->conn) != PQTRANS_INERROR)
		return;
	c->abort_code = code;
	pg_squeeze(c->abort_msg, sizeof(c->abort_msg), msg,
	           sizeof(c->abort_msg) - 4);
}

/* After a successful statement: a transaction that is not in error has
 * nothing to remember (ROLLBACK TO a savepoint clears it too). */
static void pg_note_ok(struct keel_db_conn *c)
{
	if (PQtransactionStatus(c->conn) != PQTRANS_INERROR) {
		c->abort_code = 0;
		c->abort_msg[0] = '\0';
	}
}

/* The open transaction was aborted earlier: retryable if its cause was. */
static int pg_fail_aborted(struct keel_db_conn *c, const char *what,
                           struct keel_err *err)
{
	int code = c->abort_code == KEEL_EAGAIN ? KEEL_EAGAIN : KEEL_EINTERNAL;

	keel_err_set(err, code,
	             "%s: the transaction was rolled back after an earlier "
	             "error: %s",
	             what, c->abort_msg[0] != '\0' ? c->abort_msg : "unknown");
	if (err != NULL)
		err->sys = 0; /* same connection, retry the transaction */
	return code;
}

/* The connection is gone (or going): KEEL_EAGAIN with sys set, so the
 * core discards it and opens another. */
static int pg_fail_lost(struct keel_db_conn *c, const char *what,
                        const char *st, const char *msg, struct keel_err *err)
{
	char m[200];

	if (msg == NULL || msg[0] == '\0')
		msg = PQerrorMessage(c->conn);
	pg_squeeze(m, sizeof(m), msg, 150);
	keel_err_set(err, KEEL_EAGAIN,
	             "%s: %s%s%s%s (connection to %s lost or unusable)", what,
	             m, st != NULL ? " [" : "", st != NULL ? st : "",
	             st != NULL ? "]" : "", c->db->url);
	if (err != NULL)
		err->sys = pg_sqlstate_code(st != NULL ? st : "08006");
	return KEEL_EAGAIN;
}

/*
 * Fill err for a failed call; res is its result (NULL when libpq gave
 * none).  Returns the mapped code.  sys is the SQLSTATE's code, except
 * for a retryable error on a healthy connection, where it must be 0 (the
 * core would drop the connection).
 */
static int pg_fail(struct keel_db_conn *c, const PGresult *res,
                   const char *what, const char *sql, struct keel_err *err)
{
	const char *st = NULL, *primary = NULL, *detail = NULL;
	char snip[DB_PG_SNIPPET + 4], m[160], d[80];
	int code, lost;

	if (res != NULL) {
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		if (primary == NULL)
			primary = PQresultErrorMessage(res);
	}
	if (primary == NULL || primary[0] == '\0')
		primary = PQerrorMessage(c->conn);
	if (PQstatus(c->conn) == CONNECTION_BAD)
		return pg_fail_lost(c, what, st, primary, err);
	if (pg_state_is(st, "25P02"))
		return pg_fail_aborted(c, what, err);

	code = pg_map_state(st, &lost);
	if (st == NULL && res == NULL)
		code = KEEL_ENOMEM; /* libpq could not allocate a result */
	if (lost)
		return pg_fail_lost(c, what, st, primary, err);

	pg_squeeze(m, sizeof(m), primary, 150);
	pg_squeeze(d, sizeof(d), detail, 70);
	pu_sql_snippet(snip, sizeof(snip), sql);
	keel_err_set(err, code, "%s: %s%s%s [%s] (sql: %s)", what, m,
	             d[0] != '\0' ? ": " : "", d, st != NULL ? st : "no state",
	             snip);
	if (err != NULL)
		err->sys = code == KEEL_EAGAIN ? 0 : pg_sqlstate_code(st);
	pg_note_abort(c, code, m);
	return code;
}

/* Before any call: a connection libpq knows to be dead is not worth a
 * round trip. */
static int pg_check_conn(struct keel_db_conn *c, const char *what,
                         struct keel_err *err)
{
	if (PQstatus(c->conn) != CONNECTION_OK)
		return pg_fail_lost(c, what, NULL, NULL, err);
	return KEEL_OK;
}

/* ---------------------------------------------------------------------
 * Scanning SQL text: parameters and statements
 * ------------------------------------------------------------------- */

struct pg_scan {
	size_t nparams; /* highest $N */
	size_t nstmts;  /* statements with any content */
};

static int pg_ident_start(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_' || ch >= 0x80;
}

static int pg_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static int pg_ident_char(unsigned char ch)
{
	return pg_ident_start(ch) || pg_digit(ch) || ch == '$';
}

/* Skip a quoted string or identifier whose opening quote is before p. */
static const char *pg_skip_quoted(const char *p, char quote, int backslash)
{
	while (*p != '\0') {
		if (backslash && *p == '\\' && p[1] != '\0') {
			p += 2;
		} else if (*p == quote) {
			if (p[1] != quote)
				return p + 1;
			p += 2; /* doubled quote */
		} else {
			p++;
		}
	}
	return p;
}

/* p is at '$': a dollar quote ($$...$$, $tag$...$tag$) returns its end,
 * anything else returns NULL. */
static const char *pg_skip_dollar(const char *p)
{
	const char *q = p + 1, *end;
	size_t taglen;

	if (pg_ident_start((unsigned char)*q))
		while (pg_ident_char((unsigned char)*q) && *q != '$')
			q++;
	if (*q != '$')
		return NULL;
	taglen = (size_t)(q - p) + 1;
	for (end = q + 1; *end != '\0'; end++)
		if (*end == '$' && strncmp(end, p, taglen) == 0)
			return end + taglen;
	return end;
}

/*
 * Count the parameters ($N, the highest N) and statements of sql the way
 * the server's lexer sees them: quoted strings and identifiers, dollar
 * quotes and comments hide both.  The server would answer the same
 * questions only after the statement failed and aborted the transaction,
 * and a prepare that declares argument types reports at least that many
 * parameters whatever the text holds.
 */
static void pg_scan_sql(const char *sql, int std_strings, struct pg_scan *s)
{
	const char *p = sql, *start, *end;
	int content = 0, depth;
	unsigned long n;

	s->nparams = 0;
	s->nstmts = 0;
	while (*p != '\0') {
		unsigned char ch = (unsigned char)*p;

		if (pg_is_space(*p)) {
			p++;
			continue;
		}
		if (ch == '-' && p[1] == '-') {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (ch == '/' && p[1] == '*') {
			for (depth = 1, p += 2; *p != '\0' && depth > 0;) {
				if (*p == '/' && p[1] == '*') {
					depth++;
					p += 2;
				} else if (*p == '*' && p[1] == '/') {
					depth--;
					p += 2;
				} else {
					p++;
				}
			}
			continue;
		}
		if (ch == ';') {
			if (content)
				s->nstmts++;
			content = 0;
			p++;
			continue;
		}
		content = 1;
		if (ch == '\'') {
			p = pg_skip_quoted(p + 1, '\'', !std_strings);
		} else if (ch == '"') {
			p = pg_skip_quoted(p + 1, '"', 0);
		} else if (ch == '$' && pg_digit((unsigned char)p[1])) {
			for (n = 0, p++; pg_digit((unsigned char)*p); p++)
				if (n <= DB_PG_MAX_PARAMS)
					n = n * 10 + (unsigned long)(*p - '0');
			if (n > s->nparams)
				s->nparams = n;
		} else if (ch == '$' && (end = pg_skip_dollar(p)) != NULL) {
			p = end;
		} else if (pg_ident_char(ch)) {
			/* Identifiers and keywords may hold '$'; E'...'
			 * strings take backslash escapes. */
			for (start = p; pg_ident_char((unsigned char)*p); p++)
				;
			if (p - start == 1 &&
			    (*start == 'E' || *start == 'e') && *p == '\'')
				p = pg_skip_quoted(p + 1, '\'', 1);
		} else {
			p++;
		}
	}
	if (content)
		s->nstmts++;
}

/* ---------------------------------------------------------------------
 * Parameters
 * ------------------------------------------------------------------- */

static int pg_params_reserve(struct keel_db_conn *c, size_t n)
{
	const char **vals;
	int *lens, *fmts;
	Oid *types;
	char(*num)[32];

	if (n <= c->pcap)
		return KEEL_OK;
	/* Each realloc keeps the old block on failure, so a partial
	 * failure leaves every array at least pcap long. */
	vals = realloc(c->pvals, n * sizeof(*vals));
	if (vals == NULL)
		return KEEL_ENOMEM;
	c->pvals = vals;
	lens = realloc(c->plens, n * sizeof(*lens));
	if (lens == NULL)
		return KEEL_ENOMEM;
	c->plens = lens;
	fmts = realloc(c->pfmts, n * sizeof(*fmts));
	if (fmts == NULL)
		return KEEL_ENOMEM;
	c->pfmts = fmts;
	types = realloc(c->ptypes, n * sizeof(*types));
	if (types == NULL)
		return KEEL_ENOMEM;
	c->ptypes = types;
	num = realloc(c->pnum, n * sizeof(*num));
	if (num == NULL)
		return KEEL_ENOMEM;
	c->pnum = num;
	c->pcap = n;
	return KEEL_OK;
}

/*
 * Lay the arguments out for libpq.  INT and REAL go as text (exact:
 * %.17g round-trips a double), TEXT and BLOB as binary, which needs
 * neither a copy nor a terminating NUL.  c->ptypes gets the type each
 * argument declares, 0 for NULL (the server infers it).
 */
static int pg_params(struct keel_db_conn *c, const char *sql,
                     const struct keel_db_val *args, size_t nargs,
                     struct keel_err *err)
{
	char snip[DB_PG_SNIPPET + 4];
	size_t i;

	if (nargs > DB_PG_MAX_PARAMS) {
		pu_sql_snippet(snip, sizeof(snip), sql);
		return keel_err_set(err, KEEL_EINVAL,
		                    "%zu parameters: more than PostgreSQL "
		                    "allows (%d) (sql: %s)",
		                    nargs, DB_PG_MAX_PARAMS, snip);
	}
	if (pg_params_reserve(c, nargs) != KEEL_OK)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	for (i = 0; i < nargs; i++) {
		const struct keel_db_val *v = &args[i];

		c->pfmts[i] = 0;
		c->plens[i] = 0;
		switch (v->type) {
		case KEEL_DB_NULL:
			c->pvals[i] = NULL;
			c->ptypes[i] = 0;
			break;
		case KEEL_DB_INT:
			snprintf(c->pnum[i], sizeof(c->pnum[i]), "%lld",
			         (long long)v->i);
			c->pvals[i] = c->pnum[i];
			c->ptypes[i] = PG_INT8OID;
			break;
		case KEEL_DB_REAL:
			if (isnan(v->r))
				c->pvals[i] = "NaN";
			else if (isinf(v->r))
				c->pvals[i] =
				    v->r > 0 ? "Infinity" : "-Infinity";
			else {
				snprintf(c->pnum[i], sizeof(c->pnum[i]),
				         "%.17g", v->r);
				c->pvals[i] = c->pnum[i];
			}
			c->ptypes[i] = PG_FLOAT8OID;
			break;
		case KEEL_DB_TEXT:
		case KEEL_DB_BLOB:
			if ((v->p == NULL && v->n > 0) || v->n > INT_MAX)
				goto bad_arg;
			/* A NULL pointer would send SQL NULL, not "". */
			c->pvals[i] = v->p != NULL ? v->p : "";
			c->plens[i] = (int)v->n;
			c->pfmts[i] = 1;
			c->ptypes[i] =
			    v->type == KEEL_DB_TEXT ? PG_TEXTOID : PG_BYTEAOID;
			break;
		default:
			goto bad_arg;
		}
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

/* Check the text against the arguments before the server sees it: one
 * statement, as many parameters as arguments. */
static int pg_check_sql(struct keel_db_conn *c, const char *sql, size_t nargs,
                        struct keel_err *err)
{
	const char *scs =
	    PQparameterStatus(c->conn, "standard_conforming_strings");
	char snip[DB_PG_SNIPPET + 4];
	struct pg_scan s;

	pg_scan_sql(sql, scs == NULL || strcmp(scs, "on") == 0, &s);
	if (s.nstmts == 1 && s.nparams == nargs)
		return KEEL_OK;
	pu_sql_snippet(snip, sizeof(snip), sql);
	if (s.nstmts == 0)
		return keel_err_set(err, KEEL_EINVAL,
		                    "empty statement (sql: %s)", snip);
	if (s.nstmts > 1)
		return keel_err_set(err, KEEL_EINVAL,
		                    "more than one statement (sql: %s)", snip);
	return keel_err_set(err, KEEL_EINVAL,
	                    "statement takes %zu parameters, %zu given "
	                    "(sql: %s)",
	                    s.nparams, nargs, snip);
}

/* ---------------------------------------------------------------------
 * Statement cache
 * ------------------------------------------------------------------- */

static void pg_slot_clear(struct pg_slot *s)
{
	free(s->sql);
	free(s->types);
	memset(s, 0, sizeof(*s));
}

/* A cached statement serves a call when every non-NULL argument has the
 * type the statement declared for it. */
static int pg_slot_fits(const struct pg_slot *s, const Oid *types, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (types[i] != 0 && types[i] != s->types[i])
			return 0;
	return 1;
}

/* Was this result a failed Parse because a NULL argument's type could not
 * be inferred (SELECT $1 IS NULL)? */
static int pg_untyped(const PGresult *res, const Oid *types, size_t n)
{
	size_t i;

	if (!pg_state_is(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42P18"))
		return 0;
	for (i = 0; i < n; i++)
		if (types[i] == 0)
			return 1;
	return 0;
}

/* A NULL that the server cannot type is sent as text, the type it gives
 * untyped literals. */
static void pg_untyped_as_text(Oid *types, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (types[i] == 0)
			types[i] = PG_TEXTOID;
}

/*
 * Prepare sql as the named statement name with c->ptypes.  A 42P18 on a
 * NULL argument is retried with text outside a transaction block; inside
 * one the failed Parse has already aborted it.
 */
static int pg_prepare(struct keel_db_conn *c, const char *name, const char *sql,
                      size_t nargs, struct keel_err *err)
{
	int idle = PQtransactionStatus(c->conn) == PQTRANS_IDLE;
	PGresult *res;
	int rc = KEEL_OK;

	res = PQprepare(c->conn, name, sql, (int)nargs, c->ptypes);
	if (res != NULL && PQresultStatus(res) != PGRES_COMMAND_OK && idle &&
	    pg_untyped(res, c->ptypes, nargs)) {
		PQclear(res);
		pg_untyped_as_text(c->ptypes, nargs);
		res = PQprepare(c->conn, name, sql, (int)nargs, c->ptypes);
	}
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_fail(c, res, "prepare", sql, err);
		/* Bad SQL is ours; only connection and resource trouble is
		 * worth a retry. */
		if (rc != KEEL_EAGAIN && rc != KEEL_ENOMEM &&
		    rc != KEEL_EPERM && rc != KEEL_ETIMEDOUT) {
			rc = KEEL_EINTERNAL;
			if (err != NULL)
				err->code = rc;
		}
	} else {
		pg_note_ok(c);
	}
	PQclear(res);
	return rc;
}

/* Drop a server-side statement the cache no longer holds.  Only called
 * when the transaction is not in error, so it cannot fail on its own
 * account; a lost connection shows at the next call. */
static void pg_deallocate(struct keel_db_conn *c, uint64_t id)
{
	char sql[48];

	snprintf(sql, sizeof(sql), "DEALLOCATE keel_%llu",
	         (unsigned long long)id);
	PQclear(PQexec(c->conn, sql));
}

/*
 * Find or prepare the statement for sql with the argument types in
 * c->ptypes.  *slot is NULL when the call must run uncached: no cache, or
 * an eviction is due while the transaction is in error (DEALLOCATE would
 * fail there, only transaction exits run).  *hit tells whether the
 * statement was prepared by an earlier call.
 */
static int pg_stmt_get(struct keel_db_conn *c, const char *sql, size_t nargs,
                       struct pg_slot **slot, int *hit, struct keel_err *err)
{
	struct pg_slot *victim = NULL, *found = NULL;
	uint64_t h = pu_fnv1a64(sql);
	char name[32], *key = NULL;
	Oid *types = NULL;
	size_t i;
	int rc;

	*slot = NULL;
	*hit = 0;
	for (i = 0; i < c->db->stmt_cache && found == NULL; i++) {
		struct pg_slot *s = &c->slots[i];

		if (s->sql == NULL) {
			if (victim == NULL || victim->sql != NULL)
				victim = s;
		} else if (s->hash == h && strcmp(s->sql, sql) == 0) {
			found = s;
		} else if (victim == NULL ||
		           (victim->sql != NULL && s->used < victim->used)) {
			victim = s;
		}
	}

	if (found != NULL) {
		if (found->nparams != nargs)
			return pg_check_sql(c, sql, nargs, err);
		if (!found->stale && pg_slot_fits(found, c->ptypes, nargs)) {
			found->used = ++c->clock;
			*slot = found;
			*hit = 1;
			return KEEL_OK;
		}
		/* Keep what earlier calls declared for the NULLs of this
		 * one, so that alternating calls settle on one statement. */
		for (i = 0; i < nargs; i++)
			if (c->ptypes[i] == 0)
				c->ptypes[i] = found->types[i];
		victim = found;
	} else {
		rc = pg_check_sql(c, sql, nargs, err);
		if (rc != KEEL_OK)
			return rc;
	}
	if (victim == NULL)
		return KEEL_OK; /* no cache */
	if (victim->sql != NULL &&
	    PQtransactionStatus(c->conn) == PQTRANS_INERROR)
		return KEEL_OK;

	if (victim != found) {
		key = strdup(sql);
		if (key == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	}
	if (nargs > 0) {
		types = malloc(nargs * sizeof(*types));
		if (types == NULL) {
			free(key);
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		}
	}
	snprintf(name, sizeof(name), "keel_%llu",
	         (unsigned long long)(c->next_id + 1));
	rc = pg_prepare(c, name, sql, nargs, err);
	if (rc != KEEL_OK) {
		free(key);
		free(types);
		return rc;
	}
	c->next_id++;
	if (victim->sql != NULL)
		pg_deallocate(c, victim->id);
	if (victim != found) {
		pg_slot_clear(victim);
		victim->sql = key;
		victim->hash = h;
		victim->nparams = nargs;
	}
	free(victim->types);
	victim->types = types;
	if (nargs > 0)
		memcpy(victim->types, c->ptypes, nargs * sizeof(*types));
	victim->id = c->next_id;
	victim->stale = 0;
	victim->used = ++c->clock;
	*slot = victim;
	return KEEL_OK;
}

/* ---------------------------------------------------------------------
 * Running a statement
 * ------------------------------------------------------------------- */

/* Leave a COPY the statement started: the driver has no data for it. */
static void pg_end_copy(struct keel_db_conn *c, ExecStatusType st)
{
	PGresult *res;
	char *buf;

	if (st == PGRES_COPY_IN)
		PQputCopyEnd(c->conn, "COPY is not supported by keel");
	else if (st == PGRES_COPY_OUT)
		while (PQgetCopyData(c->conn, &buf, 0) > 0)
			PQfreemem(buf);
	while ((res = PQgetResult(c->conn)) != NULL)
		PQclear(res);
}

/*
 * Run one statement; on success *out is its result (the caller clears
 * it).  Results are in binary format.
 */
static int pg_run(struct keel_db_conn *c, const char *sql,
                  const struct keel_db_val *args, size_t nargs, PGresult **out,
                  struct keel_err *err)
{
	char name[32], snip[DB_PG_SNIPPET + 4];
	struct pg_slot *slot = NULL;
	PGresult *res;
	ExecStatusType st;
	int rc, hit = 0;

	*out = NULL;
	rc = pg_check_conn(c, "execute", err);
	if (rc == KEEL_OK)
		rc = pg_params(c, sql, args, nargs, err);
	if (rc == KEEL_OK)
		rc = pg_stmt_get(c, sql, nargs, &slot, &hit, err);
	if (rc != KEEL_OK)
		return rc;

	if (slot != NULL) {
		snprintf(name, sizeof(name), "keel_%llu",
		         (unsigned long long)slot->id);
		res = PQexecPrepared(c->conn, name, (int)nargs, c->pvals,
		                     c->plens, c->pfmts, 1);
	} else {
		/* Uncached (pg_stmt_get checked the text): Parse, Bind and
		 * Execute in one round trip. */
		int idle = PQtransactionStatus(c->conn) == PQTRANS_IDLE;

		res = PQexecParams(c->conn, sql, (int)nargs, c->ptypes,
		                   c->pvals, c->plens, c->pfmts, 1);
		if (res != NULL && idle &&
		    PQresultStatus(res) == PGRES_FATAL_ERROR &&
		    pg_untyped(res, c->ptypes, nargs)) {
			PQclear(res);
			pg_untyped_as_text(c->ptypes, nargs);
			res = PQexecParams(c->conn, sql, (int)nargs, c->ptypes,
			                   c->pvals, c->plens, c->pfmts, 1);
		}
	}

	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	switch (st) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		pg_note_ok(c);
		*out = res;
		return KEEL_OK;
	case PGRES_EMPTY_QUERY:
		rc = keel_err_set(err, KEEL_EINVAL, "empty statement");
		break;
	case PGRES_COPY_IN:
	case PGRES_COPY_OUT:
	case PGRES_COPY_BOTH:
		pg_end_copy(c, st);
		pu_sql_snippet(snip, sizeof(snip), sql);
		rc = keel_err_set(err, KEEL_EINVAL,
		                  "COPY is not supported (sql: %s)", snip);
		break;
	default:
		/*
		 * "cached plan must not change result type" (DDL changed a
		 * table under a cached statement) or the statement is gone
		 * (DISCARD ALL): prepare it again next time, and let the
		 * core rerun the transaction.
		 */
		if (hit &&
		    (pg_state_is(PQresultErrorField(res, PG_DIAG_SQLSTATE),
		                 "0A000") ||
		     pg_state_is(PQresultErrorField(res, PG_DIAG_SQLSTATE),
		                 "26000"))) {
			slot->stale = 1;
			rc = pg_fail(c, res, "execute", sql, err);
			if (rc == KEEL_EINTERNAL) {
				rc = KEEL_EAGAIN;
				if (err != NULL) {
					err->code = rc;
					err->sys = 0;
				}
				if (c->abort_code != 0)
					c->abort_code = rc;
			}
			break;
		}
		rc = pg_fail(c, res, "execute", sql, err);
		break;
	}
	PQclear(res);
	return rc;
}

/* *changed is for INSERT, UPDATE, DELETE (and MERGE): PQcmdTuples also
 * counts the rows of SELECT, CREATE TABLE AS, FETCH... */
static int64_t pg_changed(PGresult *res)
{
	static const char *const dml[] = {"INSERT ", "UPDATE ", "DELETE ",
	                                  "MERGE "};
	const char *tag = PQcmdStatus(res);
	size_t i;

	for (i = 0; i < sizeof(dml) / sizeof(dml[0]); i++)
		if (tag != NULL && strncmp(tag, dml[i], strlen(dml[i])) == 0)
			return strtoll(PQcmdTuples(res), NULL, 10);
	return 0;
}

/* ---------------------------------------------------------------------
 * Decoding rows (binary format)
 * ------------------------------------------------------------------- */

static uint64_t pg_be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * numeric's binary form: int16 ndigits, int16 weight, uint16 sign,
 * int16 dscale, then ndigits base-10000 digits, the first one worth
 * 10000^weight.  Integral values that fit are INT (SUM(bigint) is
 * numeric), everything else REAL.  Returns 0, or -1 when malformed.
 */
static int pg_numeric(const unsigned char *p, size_t n, struct keel_db_val *v)
{
	char buf[300], *o = buf;
	int ndigits, weight, i, used, integral = 1;
	unsigned sign;
	uint64_t mag = 0;

	if (n < 8)
		return -1;
	ndigits = (int16_t)pg_be(p, 2);
	weight = (int16_t)pg_be(p + 2, 2);
	sign = (unsigned)pg_be(p + 4, 2);
	if (ndigits < 0 || n != 8 + 2 * (size_t)ndigits)
		return -1;
	p += 8;
	switch (sign) {
	case 0xc000: /* NaN */
		v->type = KEEL_DB_REAL;
		v->r = NAN;
		return 0;
	case 0xd000: /* Infinity, since 14 */
	case 0xf000:
		v->type = KEEL_DB_REAL;
		v->r = sign == 0xd000 ? INFINITY : -INFINITY;
		return 0;
	case 0x0000:
	case 0x4000:
		break;
	default:
		return -1;
	}
	for (i = 0; i < ndigits; i++)
		if (pg_be(p + 2 * i, 2) > 9999)
			return -1;

	/* Integral when no nonzero digit lies right of the point. */
	for (i = 0; i < ndigits; i++)
		if (weight - i < 0 && pg_be(p + 2 * i, 2) != 0)
			integral = 0;
	if (integral && weight < 5) {
		for (i = 0; i <= weight; i++) {
			uint64_t d = i < ndigits ? pg_be(p + 2 * i, 2) : 0;

			if (mag > (UINT64_MAX - d) / 10000) {
				integral = 0;
				break;
			}
			mag = mag * 10000 + d;
		}
		if (integral && sign == 0x0000 && mag <= INT64_MAX) {
			v->type = KEEL_DB_INT;
			v->i = (int64_t)mag;
			return 0;
		}
		if (integral && sign == 0x4000 &&
		    mag <= (uint64_t)INT64_MAX + 1) {
			v->type = KEEL_DB_INT;
			v->i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
			                                      : -(int64_t)mag;
			return 0;
		}
	}

	/* The digits as a decimal mantissa and exponent: strtod rounds
	 * correctly.  60 base-10000 digits are far more than a double
	 * holds. */
	used = ndigits < 60 ? ndigits : 60;
	if (sign == 0x4000)
		*o++ = '-';
	*o++ = '0';
	for (i = 0; i < used; i++)
		o += snprintf(o, 5, "%04u", (unsigned)pg_be(p + 2 * i, 2));
	snprintf(o, sizeof(buf) - (size_t)(o - buf), "e%d",
	         4 * (weight - used + 1));
	v->type = KEEL_DB_REAL;
	v->r = strtod(buf, NULL);
	return 0;
}

static int pg_cols_reserve(struct keel_db_conn *c, size_t n)
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

/* Decode row r of res into c->cols.  Pointers point into res, valid
 * until it is cleared, which is after the row callback. */
static int pg_row(struct keel_db_conn *c, const PGresult *res, int r,
                  size_t ncols, const char *sql, struct keel_err *err)
{
	char snip[DB_PG_SNIPPET + 4];
	size_t i;

	for (i = 0; i < ncols; i++) {
		struct keel_db_val *v = &c->cols[i];
		int col = (int)i;
		const unsigned char *p;
		size_t n;
		Oid type = PQftype(res, col);

		memset(v, 0, sizeof(*v));
		if (PQgetisnull(res, r, col)) {
			v->type = KEEL_DB_NULL;
			continue;
		}
		p = (const unsigned char *)PQgetvalue(res, r, col);
		n = (size_t)PQgetlength(res, r, col);
		if (p == NULL)
			p = (const unsigned char *)"";
		switch (type) {
		case PG_BOOLOID:
			if (n != 1)
				goto bad_value;
			v->type = KEEL_DB_INT;
			v->i = p[0] != 0;
			break;
		case PG_INT2OID:
			if (n != 2)
				goto bad_value;
			v->type = KEEL_DB_INT;
			v->i = (int16_t)pg_be(p, 2);
			break;
		case PG_INT4OID:
			if (n != 4)
				goto bad_value;
			v->type = KEEL_DB_INT;
			v->i = (int32_t)pg_be(p, 4);
			break;
		case PG_INT8OID:
			if (n != 8)
				goto bad_value;
			v->type = KEEL_DB_INT;
			v->i = (int64_t)pg_be(p, 8);
			break;
		case PG_OIDOID:
			if (n != 4)
				goto bad_value;
			v->type = KEEL_DB_INT;
			v->i = (int64_t)pg_be(p, 4);
			break;
		case PG_FLOAT4OID: {
			uint32_t u;
			float f;

			if (n != 4)
				goto bad_value;
			u = (uint32_t)pg_be(p, 4);
			memcpy(&f, &u, sizeof(f));
			v->type = KEEL_DB_REAL;
			v->r = f;
			break;
		}
		case PG_FLOAT8OID: {
			uint64_t u;

			if (n != 8)
				goto bad_value;
			u = pg_be(p, 8);
			memcpy(&v->r, &u, sizeof(v->r));
			v->type = KEEL_DB_REAL;
			break;
		}
		case PG_NUMERICOID:
			if (pg_numeric(p, n, v) != 0)
				goto bad_value;
			break;
		case PG_JSONBOID:
			/* A format version byte, then the text. */
			if (n < 1 || p[0] != 1)
				goto bad_value;
			v->type = KEEL_DB_TEXT;
			v->p = p + 1;
			v->n = n - 1;
			break;
		case PG_TEXTOID:
		case PG_VARCHAROID:
		case PG_BPCHAROID:
		case PG_NAMEOID:
		case PG_CHAROID:
		case PG_JSONOID:
		case PG_UNKNOWNOID:
			v->type = KEEL_DB_TEXT;
			v->p = p;
			v->n = n;
			break;
		case PG_BYTEAOID:
			v->type = KEEL_DB_BLOB;
			v->p = p;
			v->n = n;
			break;
		default:
			pu_sql_snippet(snip, sizeof(snip), sql);
			return keel_err_set(err, KEEL_EINTERNAL,
			                    "column \"%s\" has type OID %u, "
			                    "which the driver does not decode; "
			                    "cast it (sql: %s)",
			                    PQfname(res, col), (unsigned)type,
			                    snip);
		}
	}
	return KEEL_OK;

bad_value:
	pu_sql_snippet(snip, sizeof(snip), sql);
	return keel_err_set(err, KEEL_EINTERNAL,
	                    "column \"%s\": malformed binary value of type "
	                    "OID %u (%d bytes) (sql: %s)",
	                    PQfname(res, (int)i),
	                    (unsigned)PQftype(res, (int)i),
	                    PQgetlength(res, r, (int)i), snip);
}

/* ---------------------------------------------------------------------
 * Connection ops
 * ------------------------------------------------------------------- */

static int pg_exec(struct keel_db_conn *c, const char *sql,
                   const struct keel_db_val *args, size_t nargs,
                   int64_t *changed, struct keel_err *err)
{
	PGresult *res;
	int rc;

	assert(c->magic == DB_PG_CONN_MAGIC);
	rc = pg_run(c, sql, args, nargs, &res, err);
	if (rc != KEEL_OK)
		return rc;
	if (changed != NULL)
		*changed = pg_changed(res);
	PQclear(res);
	return KEEL_OK;
}

static int pg_query(struct keel_db_conn *c, const char *sql,
                    const struct keel_db_val *args, size_t nargs,
                    keel_db_row_fn fn, void *arg, struct keel_err *err)
{
	char snip[DB_PG_SNIPPET + 4];
	PGresult *res;
	size_t ncols;
	int rc, r, nrows;

	assert(c->magic == DB_PG_CONN_MAGIC);
	rc = pg_run(c, sql, args, nargs, &res, err);
	if (rc != KEEL_OK || fn == NULL)
		goto out_clear;
	ncols = (size_t)PQnfields(res);
	nrows = PQntuples(res);
	for (r = 0; r < nrows; r++) {
		/* A callback's own query on this connection may have
		 * replaced c->cols: reserve and decode each row afresh. */
		if (pg_cols_reserve(c, ncols) != KEEL_OK) {
			rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
			goto out_clear;
		}
		rc = pg_row(c, res, r, ncols, sql, err);
		if (rc != KEEL_OK)
			goto out_clear;
		rc = fn(arg, c->cols, ncols);
		if (rc > 0) {
			rc = KEEL_OK;
			goto out_clear;
		}
		if (rc < 0) {
			pu_sql_snippet(snip, sizeof(snip), sql);
			keel_err_set(err, rc,
			             "row callback aborted with %d (sql: %s)",
			             rc, snip);
			goto out_clear;
		}
	}

out_clear:
	PQclear(res);
	return rc;
}

/* Transaction control goes as simple queries: no parameters, and no
 * statement to prepare. */
static int pg_simple(struct keel_db_conn *c, const char *sql, const char *what,
                     PGresult **out, struct keel_err *err)
{
	PGresult *res = PQexec(c->conn, sql);

	*out = NULL;
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		int rc = pg_fail(c, res, what, sql, err);

		PQclear(res);
		return rc;
	}
	pg_note_ok(c);
	*out = res;
	return KEEL_OK;
}

static int pg_begin(struct keel_db_conn *c, uint32_t flags,
                    struct keel_err *err)
{
	PGresult *res;
	int rc;

	(void)flags; /* rows the core writes are locked FOR UPDATE */
	assert(c->magic == DB_PG_CONN_MAGIC);
	rc = pg_check_conn(c, "begin", err);
	if (rc != KEEL_OK)
		return rc;
	if (PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		return keel_err_set(err, KEEL_EPRECOND,
		                    "begin: a transaction is already open");
	c->abort_code = 0;
	c->abort_msg[0] = '\0';
	/* Explicit, so a server default of serializable changes nothing. */
	rc = pg_simple(c, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin", &res,
	               err);
	PQclear(res);
	return rc;
}

/*
 * COMMIT of a transaction that an error aborted does not fail: it rolls
 * back and answers "ROLLBACK".  That must not pass for a commit.
 */
static int pg_commit(struct keel_db_conn *c, struct keel_err *err)
{
	int abort_code = c->abort_code;
	char abort_msg[sizeof(c->abort_msg)];
	PGresult *res;
	int rc;

	assert(c->magic == DB_PG_CONN_MAGIC);
	rc = pg_check_conn(c, "commit", err);
	if (rc != KEEL_OK)
		return rc;
	if (PQtransactionStatus(c->conn) == PQTRANS_IDLE)
		return keel_err_set(err, KEEL_EPRECOND,
		                    "commit: no transaction is open");
	memcpy(abort_msg, c->abort_msg, sizeof(abort_msg));
	rc = pg_simple(c, "COMMIT", "commit", &res, err);
	if (rc == KEEL_OK && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		/* The transaction has ended: the cause is the saved one. */
		c->abort_code = abort_code;
		memcpy(c->abort_msg, abort_msg, sizeof(abort_msg));
		rc = pg_fail_aborted(c, "commit", err);
	}
	PQclear(res);
	c->abort_code = 0;
	c->abort_msg[0] = '\0';
	return rc;
}

static int pg_rollback(struct keel_db_conn *c, struct keel_err *err)
{
	PGresult *res;
	int rc;

	assert(c->magic == DB_PG_CONN_MAGIC);
	if (PQstatus(c->conn) == CONNECTION_OK &&
	    PQtransactionStatus(c->conn) == PQTRANS_IDLE)
		return KEEL_OK;
	rc = pg_check_conn(c, "rollback", err);
	if (rc != KEEL_OK)
		return rc;
	rc = pg_simple(c, "ROLLBACK", "rollback", &res, err);
	PQclear(res);
	c->abort_code = 0;
	c->abort_msg[0] = '\0';
	return rc;
}

/* An empty query is the cheapest round trip, and works in any
 * transaction state. */
static int pg_ping(struct keel_db_conn *c, struct keel_err *err)
{
	PGresult *res;
	int rc;

	assert(c->magic == DB_PG_CONN_MAGIC);
	rc = pg_check_conn(c, "ping", err);
	if (rc != KEEL_OK)
		return rc;
	res = PQexec(c->conn, "");
	if (res == NULL || PQresultStatus(res) != PGRES_EMPTY_QUERY) {
		rc = pg_fail(c, res, "ping", "", err);
		/* Whatever went wrong, this connection is not to be
		 * trusted: have the core open another. */
		if (rc != KEEL_EAGAIN && err != NULL && err->sys == 0)
			err->sys = pg_sqlstate_code("08006");
		rc = KEEL_EAGAIN;
		if (err != NULL)
			err->code = rc;
	}
	PQclear(res);
	return rc;
}

/* Closing the connection makes the server roll back an open transaction
 * and drop the prepared statements. */
static void pg_conn_close(struct keel_db_conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	assert(c->magic == DB_PG_CONN_MAGIC);
	for (i = 0; c->slots != NULL && i < c->db->stmt_cache; i++)
		pg_slot_clear(&c->slots[i]);
	free(c->slots);
	free(c->pvals);
	free(c->plens);
	free(c->pfmts);
	free(c->ptypes);
	free(c->pnum);
	free(c->cols);
	PQfinish(c->conn);
	c->magic = 0;
	free(c);
}

/*
 * Why a connection attempt failed.  libpq keeps no SQLSTATE for it, but
 * in verbose mode it writes the server's into the message ("FATAL:
 * 28P01: password authentication..."): take the last one.  No state
 * means the server was never heard from: refused, unreachable, timed
 * out, or TLS trouble.
 */
static int pg_connect_code(PGconn *conn, const char *msg, int32_t *sys)
{
	const char *p, *st = NULL;
	char state[6];
	int code, lost;

	for (p = strstr(msg, ":  "); p != NULL; p = strstr(p + 1, ":  ")) {
		const char *s = p + 3;
		int i;

		for (i = 0; i < 5; i++)
			if (!pg_digit((unsigned char)s[i]) &&
			    !(s[i] >= 'A' && s[i] <= 'Z'))
				break;
		if (i == 5 && s[5] == ':')
			st = s;
	}
	if (st == NULL) {
		*sys = pg_sqlstate_code("08001");
		/* The server asked for a password and none is set. */
		return PQconnectionNeedsPassword(conn) ? KEEL_EPERM
		                                       : KEEL_EAGAIN;
	}
	memcpy(state, st, 5);
	state[5] = '\0';
	*sys = pg_sqlstate_code(state);
	code = pg_map_state(state, &lost);
	if (pg_class_is(state, "53"))
		code = KEEL_EAGAIN; /* the server is short of something */
	return code;
}

/* Server notices (NOTICE, WARNING...) go to the host's log, not to
 * stderr where libpq's default would print them. */
static void pg_notice(void *arg, const PGresult *res)
{
	struct pg_db *db = arg;
	const char *sev, *msg;
	char m[200];

	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	pg_squeeze(m, sizeof(m), msg, 190);
	db->host->log(db->hctx,
	              pg_state_is(sev, "WARNING") ? KEEL_LOG_WARN
	                                          : KEEL_LOG_DEBUG,
	              "server %s: %s", sev != NULL ? sev : "NOTICE", m);
}

/* Wait for libpq's socket as PQconnectPoll asks, up to deadline (a
 * mono_ms value, or 0 for none).  Returns 0, or -1 on timeout. */
static int pg_wait(struct pg_db *db, PGconn *conn,
                   PostgresPollingStatusType want, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	pfd.fd = PQsocket(conn);
	pfd.events = want == PGRES_POLLING_READING ? POLLIN : POLLOUT;
	for (;;) {
		left = -1;
		if (deadline > 0) {
			left = deadline - db->host->mono_ms();
			if (left <= 0)
				return -1;
		}
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n == 0 && deadline > 0)
			return -1;
		if (n < 0 && errno != EINTR)
			return 0; /* PQconnectPoll will see the error */
	}
}

/*
 * Open and authenticate one connection, with the keyword arrays built
 * by the caller.  The asynchronous API is used so the message carries
 * the server's SQLSTATE and connect_timeout bounds the whole attempt.
 */
static int pg_connect(struct pg_db *db, const char *const *kw,
                      const char *const *val, PGconn **out,
                      struct keel_err *err)
{
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	int64_t deadline = 0;
	char msg[200], buf[512], *loc;
	const char *raw;
	int32_t sys = 0;
	PGconn *conn;
	int code, timed_out = 0;

	*out = NULL;
	conn = PQconnectStartParams(kw, val, 0);
	if (conn == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
	PQsetNoticeReceiver(conn, pg_notice, db);
	if (db->connect_timeout_ms > 0)
		deadline = db->host->mono_ms() + db->connect_timeout_ms;
	if (PQstatus(conn) == CONNECTION_BAD)
		ps = PGRES_POLLING_FAILED;
	while (ps != PGRES_POLLING_OK && ps != PGRES_POLLING_FAILED) {
		if ((ps == PGRES_POLLING_READING ||
		     ps == PGRES_POLLING_WRITING) &&
		    pg_wait(db, conn, ps, deadline) != 0) {
			timed_out = 1;
			break;
		}
		ps = PQconnectPoll(conn);
	}
	if (ps == PGRES_POLLING_OK) {
		PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
		*out = conn;
		return KEEL_OK;
	}

	if (timed_out) {
		snprintf(msg, sizeof(msg), "no answer within %lld ms",
		         (long long)db->connect_timeout_ms);
		code = KEEL_EAGAIN;
		sys = pg_sqlstate_code("08001");
	} else {
		/* Verbose mode adds "LOCATION: function, file:line". */
		raw = PQerrorMessage(conn);
		code = pg_connect_code(conn, raw, &sys);
		snprintf(buf, sizeof(buf), "%s", raw);
		loc = strstr(buf, "\nLOCATION:");
		if (loc != NULL)
			*loc = '\0';
		pg_squeeze(msg, sizeof(msg), buf, 180);
	}
	PQfinish(conn);
	if (code != KEEL_EAGAIN && code != KEEL_EPERM && code != KEEL_ENOMEM)
		code = KEEL_EPRECOND; /* the server refused us for good */
	keel_err_set(err, code, "connect to %s: %s", db->url, msg);
	if (err != NULL)
		err->sys = code == KEEL_EAGAIN && sys == 0
		               ? pg_sqlstate_code("08001")
		               : sys;
	return code;
}

static int pg_conn_open(void *self, struct keel_db_conn **out,
                        struct keel_err *err)
{
	struct pg_db *db = self;
	const char *kw[24 + DB_PG_EXTRA_MAX], *val[24 + DB_PG_EXTRA_MAX];
	char pw[DB_PG_PASSWORD_MAX];
	struct keel_db_conn *c;
	size_t n = 0, i, pwlen = 0;
	const char *ver;
	int rc;

	assert(db->magic == DB_PG_MAGIC);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	c->magic = DB_PG_CONN_MAGIC;
	c->db = db;
	if (db->stmt_cache > 0) {
		c->slots = calloc(db->stmt_cache, sizeof(*c->slots));
		if (c->slots == NULL) {
			rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
			goto out_free_conn;
		}
	}

	/* Defaults conninfo may override, then conninfo, then the keys the
	 * driver owns (configure() keeps those out of conninfo).  Later
	 * keywords win. */
#define PG_KW(k, v)                                                            \
	do {                                                                   \
		kw[n] = (k);                                                   \
		val[n] = (v);                                                  \
		n++;                                                           \
	} while (0)
	PG_KW("keepalives", "1");
	PG_KW("keepalives_idle", "30");
	PG_KW("keepalives_interval", "10");
	PG_KW("keepalives_count", "3");
	for (i = 0; i < db->nextra; i++)
		PG_KW(db->extra_kw[i], db->extra_val[i]);
	PG_KW("host", db->host_name);
	PG_KW("port", db->port);
	PG_KW("user", db->user);
	PG_KW("dbname", db->database);
	PG_KW("sslmode", db->sslmode);
	if (db->sslrootcert != NULL)
		PG_KW("sslrootcert", db->sslrootcert);
	if (db->sslcert != NULL)
		PG_KW("sslcert", db->sslcert);
	if (db->sslkey != NULL)
		PG_KW("sslkey", db->sslkey);
	PG_KW("application_name", db->app_name);
	PG_KW("client_encoding", "UTF8");
	PG_KW("options", db->options);
	if (db->has_password) {
		rc = db->host->secret_get(db->hctx, "password", pw, sizeof(pw),
		                          &pwlen);
		if (rc != KEEL_OK) {
			explicit_bzero(pw, sizeof(pw));
			rc = keel_err_set(err, KEEL_EPERM,
			                  "connect to %s: cannot read the "
			                  "password (%d)",
			                  db->url, rc);
			goto out_free_slots;
		}
		PG_KW("password", pw);
	}
	PG_KW(NULL, NULL);
#undef PG_KW

	rc = pg_connect(db, kw, val, &c->conn, err);
	explicit_bzero(pw, sizeof(pw));
	if (rc != KEEL_OK)
		goto out_free_slots;

	if (PQserverVersion(c->conn) < DB_PG_MIN_SERVER) {
		ver = PQparameterStatus(c->conn, "server_version");
		rc = keel_err_set(err, KEEL_EPRECOND,
		                  "connect to %s: server version %s is older "
		                  "than %s",
		                  db->url, ver != NULL ? ver : "unknown",
		                  DB_PG_MIN_SERVER_STR);
		goto out_finish;
	}
	*out = c;
	return KEEL_OK;

out_finish:
	PQfinish(c->conn);
out_free_slots:
	free(c->slots);
out_free_conn:
	free(c);
	return rc;
}

/* ---------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------- */

static const struct keel_config_key pg_config[] = {
    {
        .name = "host",
        .type = KEEL_CFG_STR,
        .def = "127.0.0.1",
        .help = "server host name or address, or a Unix socket directory",
    },
    {
        .name = "port",
        .type = KEEL_CFG_INT,
        .flags = KEEL_CFG_F_RANGE,
        .def = "5432",
        .help = "server TCP port",
        .min = 1,
        .max = 65535,
    },
    {
        .name = "user",
        .type = KEEL_CFG_STR,
        .def = "keel",
        .help = "database role to log in as",
    },
    {
        .name = "password",
        .type = KEEL_CFG_SECRET,
        .help = "the role's password (password_file or password_env); "
                "unset: none",
    },
    {
        .name = "database",
        .type = KEEL_CFG_STR,
        .def = "keel",
        .help = "database name",
    },
    {
        .name = "sslmode",
        .type = KEEL_CFG_STR,
        .def = "prefer",
        .help = "TLS: disable, allow, prefer, require, verify-ca or "
                "verify-full",
    },
    {
        .name = "sslrootcert",
        .type = KEEL_CFG_PATH,
        .help = "CA certificates to verify the server with (verify-ca, "
                "verify-full)",
    },
    {
        .name = "sslcert",
        .type = KEEL_CFG_PATH,
        .help = "client certificate, for certificate authentication",
    },
    {
        .name = "sslkey",
        .type = KEEL_CFG_PATH,
        .help = "private key of sslcert",
    },
    {
        .name = "connect_timeout",
        .type = KEEL_CFG_DURATION,
        .flags = KEEL_CFG_F_RANGE,
        .def = "5s",
        .help = "how long opening a connection may take; 0: no limit",
        .min = 0,
        .max = INT_MAX,
    },
    {
        .name = "statement_timeout",
        .type = KEEL_CFG_DURATION,
        .flags = KEEL_CFG_F_RANGE,
        .def = "30s",
        .help = "longest a statement may run; 0: no limit",
        .min = 0,
        .max = INT_MAX,
    },
    {
        .name = "application_name",
        .type = KEEL_CFG_STR,
        .def = "keeld",
        .help = "name shown in pg_stat_activity and server logs",
    },
    {
        .name = "conninfo",
        .type = KEEL_CFG_STR,
        .help = "more libpq settings as \"key=value ...\" (e.g. "
                "target_session_attrs)",
    },
    {
        .name = "statement_cache",
        .type = KEEL_CFG_INT,
        .flags = KEEL_CFG_F_RANGE,
        .def = "256",
        .help = "prepared statements cached per connection (LRU); 0: none",
        .min = 0,
        .max = DB_PG_STMT_CACHE_MAX,
    },
    {.name = NULL},
};

/*
 * libpq keeps one-time allocations in statics (its OpenSSL BIO method,
 * whose callbacks point into libpq).  Unloaded with the plugin, that is a
 * leak and OpenSSL would hold pointers into unmapped code: keep libpq for
 * the life of the process, as libcrypto keeps itself.
 */
static void pg_pin_libpq(void)
{
	Dl_info info;

	if (dladdr((void *)PQconnectStartParams, &info) != 0 &&
	    info.dli_fname != NULL)
		(void)dlopen(info.dli_fname,
		             RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

static int pg_create(const struct keel_host *host, void *hctx, void **self,
                     struct keel_err *err)
{
	struct pg_db *db;

	pg_pin_libpq();
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	db->magic = DB_PG_MAGIC;
	db->host = host;
	db->hctx = hctx;
	*self = db;
	return KEEL_OK;
}

/* A string key: *out is NULL when it is unset and optional. */
static int pg_cfg_str(struct pg_db *db, const struct keel_config *cfg,
                      const char *key, int required, const char **out,
                      struct keel_err *err)
{
	int rc = db->host->cfg_str(cfg, key, out);

	if (rc == KEEL_ENOTFOUND && !required) {
		*out = NULL;
		return KEEL_OK;
	}
	if (rc == KEEL_OK && required && (*out)[0] == '\0')
		rc = KEEL_EINVAL;
	if (rc != KEEL_OK)
		return keel_err_set(err, rc == KEEL_ENOMEM ? rc : KEEL_EINVAL,
		                    "config key %s: missing or empty", key);
	return KEEL_OK;
}

static int pg_cfg_int(struct pg_db *db, const struct keel_config *cfg,
                      const char *key, int64_t min, int64_t max, int64_t *out,
                      struct keel_err *err)
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

/*
 * Parse conninfo (no I/O).  Keys the driver sets from its own config
 * keys are refused rather than silently overridden; "options" is added
 * to the driver's own.
 */
static int pg_cfg_conninfo(struct pg_db *db, const char *conninfo,
                           const char **options, struct keel_err *err)
{
	static const char *const owned[] = {
	    "host",
	    "port",
	    "user",
	    "dbname",
	    "sslmode",
	    "sslrootcert",
	    "sslcert",
	    "sslkey",
	    "connect_timeout",
	    "application_name",
	    "client_encoding",
	};
	PQconninfoOption *o;
	char *msg = NULL;
	size_t i;

	*options = NULL;
	db->extra = PQconninfoParse(conninfo, &msg);
	if (db->extra == NULL) {
		char m[160];

		pg_squeeze(m, sizeof(m), msg != NULL ? msg : "out of memory",
		           150);
		PQfreemem(msg);
		return keel_err_set(err, KEEL_EINVAL, "conninfo: %s", m);
	}
	for (o = db->extra; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "password") == 0)
			return keel_err_set(err, KEEL_EINVAL,
			                    "conninfo: no password here: use "
			                    "password_file or password_env");
		for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
			if (strcmp(o->keyword, owned[i]) == 0)
				return keel_err_set(
				    err, KEEL_EINVAL,
				    "conninfo: %s has a config key of its own "
				    "(or is set by the driver); set it there",
				    o->keyword);
		if (strcmp(o->keyword, "options") == 0) {
			*options = o->val;
			continue;
		}
		if (db->nextra == DB_PG_EXTRA_MAX)
			return keel_err_set(err, KEEL_EINVAL,
			                    "conninfo: more than %d settings",
			                    DB_PG_EXTRA_MAX);
		db->extra_kw[db->nextra] = o->keyword;
		db->extra_val[db->nextra] = o->val;
		db->nextra++;
	}
	return KEEL_OK;
}

static int pg_configure(void *self, const struct keel_config *cfg,
                        struct keel_err *err)
{
	static const char *const sslmodes[] = {
	    "disable", "allow", "prefer", "require", "verify-ca", "verify-full",
	};
	struct pg_db *db = self;
	const char *conninfo = NULL, *extra_options = NULL;
	char pw[DB_PG_PASSWORD_MAX];
	int64_t port, ctimeout, stimeout, stmts;
	size_t i, pwlen = 0;
	int rc, n, ok = 0;

	assert(db->magic == DB_PG_MAGIC);
	if ((rc = pg_cfg_str(db, cfg, "host", 1, &db->host_name, err)) != 0 ||
	    (rc = pg_cfg_str(db, cfg, "user", 1, &db->user, err)) != 0 ||
	    (rc = pg_cfg_str(db, cfg, "database", 1, &db->database, err)) !=
	        0 ||
	    (rc = pg_cfg_str(db, cfg, "sslmode", 1, &db->sslmode, err)) != 0 ||
	    (rc = pg_cfg_str(db, cfg, "sslrootcert", 0, &db->sslrootcert,
	                     err)) != 0 ||
	    (rc = pg_cfg_str(db, cfg, "sslcert", 0, &db->sslcert, err)) != 0 ||
	    (rc = pg_cfg_str(db, cfg, "sslkey", 0, &db->sslkey, err)) != 0 ||
	    (rc = pg_cfg_str(db, cfg, "application_name", 1, &db->app_name,
	                     err)) != 0 ||
	    (rc = pg_cfg_str(db, cfg, "conninfo", 0, &conninfo, err)) != 0)
		return rc;
	for (i = 0; i < sizeof(sslmodes) / sizeof(sslmodes[0]); i++)
		if (strcmp(db->sslmode, sslmodes[i]) == 0)
			ok = 1;
	if (!ok)
		return keel_err_set(err, KEEL_EINVAL,
		                    "sslmode = \"%s\": want disable, allow, "
		                    "prefer, require, verify-ca or verify-full",
		                    db->sslmode);

	if ((rc = pg_cfg_int(db, cfg, "port", 1, 65535, &port, err)) != 0 ||
	    (rc = pg_cfg_int(db, cfg, "connect_timeout", 0, INT_MAX, &ctimeout,
	                     err)) != 0 ||
	    (rc = pg_cfg_int(db, cfg, "statement_timeout", 0, INT_MAX,
	                     &stimeout, err)) != 0 ||
	    (rc = pg_cfg_int(db, cfg, "statement_cache", 0,
	                     DB_PG_STMT_CACHE_MAX, &stmts, err)) != 0)
		return rc;
	snprintf(db->port, sizeof(db->port), "%d", (int)port);
	db->connect_timeout_ms = ctimeout;
	db->stmt_cache = (size_t)stmts;

	/* Whether a password is set, and readable now rather than at the
	 * first connection. */
	rc = db->host->secret_get(db->hctx, "password", pw, sizeof(pw), &pwlen);
	explicit_bzero(pw, sizeof(pw));
	if (rc == KEEL_ERANGE)
		return keel_err_set(err, KEEL_EINVAL,
		                    "password: %zu bytes, more than %d", pwlen,
		                    DB_PG_PASSWORD_MAX - 1);
	if (rc != KEEL_OK && rc != KEEL_ENOTFOUND)
		return keel_err_set(err, KEEL_EINVAL,
		                    "password: cannot read the secret (%d)",
		                    rc);
	db->has_password = rc == KEEL_OK;

	if (conninfo != NULL && conninfo[0] != '\0') {
		rc = pg_cfg_conninfo(db, conninfo, &extra_options, err);
		if (rc != KEEL_OK)
			return rc;
	}
	/* Every session: the timeout, and UTC so that time functions on the
	 * server agree whatever its default. */
	n = snprintf(db->options, sizeof(db->options),
	             "-c statement_timeout=%lld -c TimeZone=UTC%s%s",
	             (long long)stimeout, extra_options != NULL ? " " : "",
	             extra_options != NULL ? extra_options : "");
	if (n < 0 || (size_t)n >= sizeof(db->options))
		return keel_err_set(err, KEEL_EINVAL,
		                    "conninfo: options longer than %zu bytes",
		                    sizeof(db->options) - 64);
	snprintf(db->url, sizeof(db->url), "postgres://%s@%s:%s/%s", db->user,
	         db->host_name, db->port, db->database);
	return KEEL_OK;
}

/* Check the library and the server: open one connection, say what it
 * reached, close it. */
static int pg_start(void *self, struct keel_err *err)
{
	struct pg_db *db = self;
	static const char *const keys[] = {"sslrootcert", "sslcert", "sslkey"};
	const char *files[] = {db->sslrootcert, db->sslcert, db->sslkey};
	struct keel_db_conn *c = NULL;
	char ver[32];
	const char *v;
	size_t i;
	int rc;

	assert(db->magic == DB_PG_MAGIC);
	if (!PQisthreadsafe())
		return keel_err_set(err, KEEL_EPRECOND,
		                    "libpq is built without thread support");
	/* libpq's own complaint would come as a connection failure, which
	 * the core retries. */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i] != NULL && access(files[i], R_OK) != 0)
			return keel_err_set(err, KEEL_EPRECOND, "%s = %s: %s",
			                    keys[i], files[i], strerror(errno));
	rc = pg_conn_open(db, &c, err);
	if (rc != KEEL_OK)
		return rc;
	/* "15.4 (Debian 15.4-1)": the number is enough. */
	v = PQparameterStatus(c->conn, "server_version");
	snprintf(ver, sizeof(ver), "%s", v != NULL ? v : "unknown");
	ver[strcspn(ver, " ")] = '\0';
	db->host->log(db->hctx, KEEL_LOG_INFO,
	              "database %s (server %s, TLS %s, %zu cached statements "
	              "per connection)",
	              db->url, ver, PQsslInUse(c->conn) ? "on" : "off",
	              db->stmt_cache);
	pg_conn_close(c);
	return KEEL_OK;
}

static void pg_destroy(void *self)
{
	struct pg_db *db = self;

	if (db == NULL)
		return;
	assert(db->magic == DB_PG_MAGIC);
	if (db->extra != NULL)
		PQconninfoFree(db->extra);
	db->magic = 0;
	free(db);
}

static const struct keel_db_ops pg_ops = {
    .dialect = "postgres",
    .caps =
        KEEL_DB_CAP_RETURNING | KEEL_DB_CAP_UPSERT | KEEL_DB_CAP_SKIP_LOCKED,
    .placeholder = KEEL_DB_PH_DOLLAR,
    .conn_open = pg_conn_open,
    .conn_close = pg_conn_close,
    .exec = pg_exec,
    .query = pg_query,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .ping = pg_ping,
};

static const struct keel_plugin pg_plugin = {
    .magic = KEEL_PLUGIN_MAGIC,
    .abi_major = KEEL_ABI_MAJOR,
    .abi_minor = KEEL_ABI_MINOR,
    .size = sizeof(struct keel_plugin),
    .kind = KEEL_KIND_DB,
    .flags = KEEL_PLUGIN_F_THREADSAFE,
    .ops_size = sizeof(struct keel_db_ops),
    .config_key_size = sizeof(struct keel_config_key),
    .name = "postgres",
    .version = DB_PG_VERSION,
    .description = "PostgreSQL database driver (libpq), for servers 12 "
                   "and newer",
    .config = pg_config,
    .create = pg_create,
    .configure = pg_configure,
    .start = pg_start,
    .destroy = pg_destroy,
    .ops = &pg_ops,
};

KEEL_PLUGIN_DECLARE(pg_plugin)
