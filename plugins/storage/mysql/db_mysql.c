/*
 * db_mysql.c -- the MySQL / MariaDB driver ([db] driver = mysql).
 *
 * A thin driver over MariaDB Connector/C (libmariadb), which speaks to
 * MariaDB >= 10.6 and MySQL >= 8.0.1, the first releases with
 * SELECT ... FOR UPDATE SKIP LOCKED.  Statements run through the binary
 * protocol (mysql_stmt_*) and are cached per connection, keyed by SQL text,
 * with LRU eviction; the few statements the server cannot prepare run as
 * plain text when they take no parameters.
 *
 * Every connection gets the same session (see my_session()): utf8mb4 with
 * a binary collation, a strict ANSI-ish sql_mode, READ COMMITTED, UTC, and
 * the statement timeout.  Auto-reconnect stays off: a silent reconnect
 * would lose those settings and any open transaction, so a lost connection
 * is reported as KEEL_EAGAIN with err->sys set and the core reopens it.
 * The connection is opened with CLIENT_FOUND_ROWS so UPDATE counts the
 * rows it matched, as SQLite and PostgreSQL do, not only those it changed.
 *
 * Results are buffered on the client (mysql_stmt_store_result) before the
 * first row callback, so a callback may use the connection again and an
 * early stop needs no draining.  Column buffers grow to the largest value
 * seen and shrink again after the call when they passed MY_BUF_KEEP.
 *
 * Library state: the first live instance calls mysql_library_init() and
 * the last one mysql_library_end() (a counter under a mutex), never while
 * another instance may still open connections.  Nothing else in keeld may
 * use libmariadb on its own: it would share that state.
 *
 * Ownership: the instance (struct my_db) is created by create() and freed
 * by destroy(); config strings are the core's and stay valid until
 * destroy().  The password is never stored: each conn_open() reads it with
 * host->secret_get() into a stack buffer that is wiped afterwards, so a
 * rotated password file takes effect on the next connection.  A connection
 * (struct keel_db_conn) belongs to the core between conn_open() and
 * conn_close() and owns its MYSQL handle, its cached statements with their
 * result buffers, and its parameter bindings.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>

#include <keel/keel_db.h>

#include "plugutil.h"

#define DB_MYSQL_VERSION "0.1.0"

/* SKIP LOCKED, which the driver advertises, arrived in these releases. */
#define MY_MIN_MARIADB 100600ul /* 10.6.0 */
#define MY_MIN_MYSQL   80001ul  /* 8.0.1 */

#define MY_STMT_CACHE_MAX 4096
#define MY_SNIPPET        60          /* bytes of SQL quoted in messages */
#define MY_BUF_MIN        256         /* first buffer of a string column */
#define MY_BUF_KEEP       (64 * 1024) /* larger buffers are freed per call */
#define MY_PASSWORD_MAX   1024
#define MY_PACKET_SLACK   4096 /* room in a packet besides the values */
/* The client read timeout is kept this much above the statement timeout,
 * so the server's timeout error arrives before the client gives up. */
#define MY_TIMEOUT_SLACK_MS 5000

#define MY_BINARY_CHARSET 63 /* charsetnr of binary strings */

/* Internal result of my_stmt_get(): the server cannot prepare it. */
#define MY_UNPREPARABLE 1

#define DB_MYSQL_MAGIC      0x4d59534cu /* "MYSL" */
#define DB_MYSQL_CONN_MAGIC 0x4d595343u /* "MYSC" */

/* ssl_mode values, weakest first. */
enum {
	MY_SSL_DISABLED,
	MY_SSL_PREFERRED,
	MY_SSL_REQUIRED,
	MY_SSL_VERIFY_CA,
	MY_SSL_VERIFY_IDENTITY,
};

static const char *const my_ssl_modes[] = {
    "disabled", "preferred", "required", "verify_ca", "verify_identity",
};

struct my_db {
	uint32_t magic;
	const struct keel_host *host; /* borrowed until destroy() */
	void *hctx;
	/* Borrowed from the config until destroy(); optional ones NULL. */
	const char *hostname, *socket, *user, *database;
	const char *ssl_ca, *ssl_cert, *ssl_key;
	unsigned port;
	int ssl_mode;     /* MY_SSL_* */
	int has_password; /* password_file or password_env is set */
	unsigned connect_s, read_s, write_s; /* client timeouts, seconds */
	int64_t stmt_timeout_ms;             /* 0: none */
	size_t stmt_cache;                   /* cached statements per conn */
	char addr[320]; /* "host:port" or "unix:path", for messages */
};

/* How a result column is read (MY_K_*). */
enum {
	MY_K_NULL, /* always NULL (SELECT NULL) */
	MY_K_INT,
	MY_K_BIT, /* BIT(n): an unsigned integer */
	MY_K_REAL,
	MY_K_DEC, /* DECIMAL: INT when integral and in range, else REAL */
	MY_K_TEXT,
	MY_K_BLOB,
	MY_K_BAD, /* a type the driver does not read */
};

/* One result column of a statement, bound with mysql_stmt_bind_result. */
struct my_col {
	unsigned char *buf; /* owned, cap bytes; string-like kinds only */
	unsigned long cap;
	unsigned long len;
	my_bool is_null;
	my_bool error;
	int kind; /* MY_K_* */
	int64_t i;
	double r;
};

/* One prepared statement, cached or one-off, and its result buffers. */
struct my_slot {
	char *sql;         /* owned copy of the SQL text: the cache key; NULL
	                      for a one-off statement */
	uint64_t hash;     /* of sql, to skip most strcmp()s */
	uint64_t used;     /* LRU clock at the last use */
	MYSQL_STMT *st;    /* owned; NULL: the slot is free */
	unsigned long len; /* bytes of sql sent to the server */
	int dml;           /* INSERT/UPDATE/DELETE/REPLACE: *changed applies */
	int busy;          /* handed out and not yet released */
	/* Kept across statements: reused by whatever takes the slot. */
	MYSQL_BIND *rb;           /* owned, ncap result bindings */
	struct my_col *cols;      /* owned, ncap */
	struct keel_db_val *vals; /* owned, ncap: the row for the callback */
	size_t ncap;
};

struct keel_db_conn {
	uint32_t magic;
	struct my_db *db;      /* the instance, outlives the connection */
	MYSQL *h;              /* owned */
	struct my_slot *slots; /* owned, db->stmt_cache entries */
	uint64_t clock;        /* LRU clock */
	MYSQL_BIND *pb;        /* owned parameter bindings, reused */
	size_t pcap;
	struct keel_db_val *tv; /* owned row of the text protocol path */
	size_t tcap;
	unsigned gone;            /* errno that lost the connection, or 0 */
	int maria;                /* the server is MariaDB, not MySQL */
	unsigned long version;    /* server version, e.g. 101119 */
	unsigned long max_packet; /* the session's max_allowed_packet */
	char tls[32];             /* TLS protocol version, "" when plain */
};

/* ---------------------------------------------------------------------
 * Library
 * ------------------------------------------------------------------- */

/*
 * Process-wide on purpose, as libmariadb's own state is: the first
 * instance sets the library up and the last one tears it down, so none of
 * it is left behind when the core unloads the plugin (and libmariadb with
 * it).  mysql_init() would set it up on its own, but not thread-safely.
 */
static pthread_mutex_t my_lib_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned my_lib_users;

static int my_library_get(struct keel_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&my_lib_lock);
	if (my_lib_users == 0)
		rc = mysql_library_init(0, NULL, NULL);
	if (rc == 0)
		my_lib_users++;
	pthread_mutex_unlock(&my_lib_lock);
	if (rc != 0)
		return keel_err_set(err, KEEL_EINTERNAL,
		                    "mysql_library_init failed (%d)", rc);
	return KEEL_OK;
}

static void my_library_put(void)
{
	pthread_mutex_lock(&my_lib_lock);
	if (my_lib_users > 0 && --my_lib_users == 0)
		mysql_library_end();
	pthread_mutex_unlock(&my_lib_lock);
}

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

/*
 * Server (1xxx, 3xxx, 4xxx) and client (2xxx) error numbers the core
 * cares about; anything else is KEEL_EINTERNAL.  gone: the connection is
 * unusable afterwards, so a KEEL_EAGAIN carries err->sys and the core
 * reconnects.  A KEEL_EAGAIN without gone (deadlock, lock wait) is retried
 * on the same connection and must keep err->sys 0.
 */
static const struct my_errmap {
	unsigned no;
	int code;
	int gone;
} my_errmap[] = {
    /* unique and primary keys */
    {1022, KEEL_EEXIST, 0}, /* ER_DUP_KEY */
    {1062, KEEL_EEXIST, 0}, /* ER_DUP_ENTRY */
    {1169, KEEL_EEXIST, 0}, /* ER_DUP_UNIQUE */
    {1586, KEEL_EEXIST, 0}, /* ER_DUP_ENTRY_WITH_KEY_NAME */
    /* transaction conflicts: retry the transaction */
    {1020, KEEL_EAGAIN, 0}, /* ER_CHECKREAD, record changed */
    {1205, KEEL_EAGAIN, 0}, /* ER_LOCK_WAIT_TIMEOUT */
    {1213, KEEL_EAGAIN, 0}, /* ER_LOCK_DEADLOCK */
    {1637, KEEL_EAGAIN, 0}, /* ER_TOO_MANY_CONCURRENT_TRXS */
    {3572, KEEL_EAGAIN, 0}, /* ER_LOCK_NOWAIT (MySQL) */
    /* the connection is gone or cannot be had: reconnect */
    {1040, KEEL_EAGAIN, 1}, /* ER_CON_COUNT_ERROR, too many connections */
    {1043, KEEL_EAGAIN, 1}, /* ER_HANDSHAKE_ERROR */
    {1053, KEEL_EAGAIN, 1}, /* ER_SERVER_SHUTDOWN */
    {1152, KEEL_EAGAIN, 1}, /* ER_ABORTING_CONNECTION */
    {1158, KEEL_EAGAIN, 1}, /* ER_NET_READ_ERROR */
    {1159, KEEL_EAGAIN, 1}, /* ER_NET_READ_INTERRUPTED */
    {1160, KEEL_EAGAIN, 1}, /* ER_NET_ERROR_ON_WRITE */
    {1161, KEEL_EAGAIN, 1}, /* ER_NET_WRITE_INTERRUPTED */
    {1184, KEEL_EAGAIN, 1}, /* ER_NEW_ABORTING_CONNECTION */
    {1203, KEEL_EAGAIN, 1}, /* ER_TOO_MANY_USER_CONNECTIONS */
    /* A read-only server is usually a primary being failed over: a new
     * connection may reach the new one. */
    {1290, KEEL_EAGAIN, 1}, /* ER_OPTION_PREVENTS_STATEMENT */
    {1836, KEEL_EAGAIN, 1}, /* ER_READ_ONLY_MODE */
    {1927, KEEL_EAGAIN, 1}, /* ER_CONNECTION_KILLED */
    {4031, KEEL_EAGAIN, 1}, /* ER_CLIENT_INTERACTION_TIMEOUT (MySQL) */
    {2002, KEEL_EAGAIN, 1}, /* CR_CONNECTION_ERROR (socket) */
    {2003, KEEL_EAGAIN, 1}, /* CR_CONN_HOST_ERROR */
    {2005, KEEL_EAGAIN, 1}, /* CR_UNKNOWN_HOST: DNS may be down */
    {2006, KEEL_EAGAIN, 1}, /* CR_SERVER_GONE_ERROR */
    {2013, KEEL_EAGAIN, 1}, /* CR_SERVER_LOST */
    {2055, KEEL_EAGAIN, 1}, /* CR_SERVER_LOST_EXTENDED */
    /* timeouts and cancellation */
    {1969, KEEL_ETIMEDOUT, 0},  /* ER_STATEMENT_TIMEOUT (MariaDB) */
    {3024, KEEL_ETIMEDOUT, 0},  /* ER_QUERY_TIMEOUT (MySQL) */
    {1317, KEEL_ECANCELLED, 0}, /* ER_QUERY_INTERRUPTED (KILL QUERY) */
    /* constraints and the setup */
    {1048, KEEL_EPRECOND, 0}, /* ER_BAD_NULL_ERROR */
    {1049, KEEL_EPRECOND, 0}, /* ER_BAD_DB_ERROR, unknown database */
    {1216, KEEL_EPRECOND, 0}, /* ER_NO_REFERENCED_ROW */
    {1217, KEEL_EPRECOND, 0}, /* ER_ROW_IS_REFERENCED */
    {1251, KEEL_EPRECOND, 0}, /* ER_NOT_SUPPORTED_AUTH_MODE */
    {1263, KEEL_EPRECOND, 0}, /* ER_WARN_NULL_TO_NOTNULL */
    {1364, KEEL_EPRECOND, 0}, /* ER_NO_DEFAULT_FOR_FIELD */
    {1451, KEEL_EPRECOND, 0}, /* ER_ROW_IS_REFERENCED_2 */
    {1452, KEEL_EPRECOND, 0}, /* ER_NO_REFERENCED_ROW_2 */
    {3819, KEEL_EPRECOND, 0}, /* ER_CHECK_CONSTRAINT_VIOLATED (MySQL) */
    {4025, KEEL_EPRECOND, 0}, /* ER_CONSTRAINT_FAILED (MariaDB) */
    {2026, KEEL_EPRECOND, 0}, /* CR_SSL_CONNECTION_ERROR, when connecting */
    {2059, KEEL_EPRECOND, 0}, /* CR_AUTH_PLUGIN_CANNOT_LOAD */
    /* values the column does not take */
    {1065, KEEL_EINVAL, 0}, /* ER_EMPTY_QUERY */
    {1264, KEEL_EINVAL, 0}, /* ER_WARN_DATA_OUT_OF_RANGE */
    {1265, KEEL_EINVAL, 0}, /* WARN_DATA_TRUNCATED */
    {1292, KEEL_EINVAL, 0}, /* ER_TRUNCATED_WRONG_VALUE */
    {1365, KEEL_EINVAL, 0}, /* ER_DIVISION_BY_ZERO */
    {1366, KEEL_EINVAL, 0}, /* ER_TRUNCATED_WRONG_VALUE_FOR_FIELD */
    {1406, KEEL_EINVAL, 0}, /* ER_DATA_TOO_LONG */
    /* privileges */
    {1044, KEEL_EPERM, 0}, /* ER_DBACCESS_DENIED_ERROR */
    {1045, KEEL_EPERM, 0}, /* ER_ACCESS_DENIED_ERROR */
    {1129, KEEL_EPERM, 0}, /* ER_HOST_IS_BLOCKED */
    {1142, KEEL_EPERM, 0}, /* ER_TABLEACCESS_DENIED_ERROR */
    {1143, KEEL_EPERM, 0}, /* ER_COLUMNACCESS_DENIED_ERROR */
    {1227, KEEL_EPERM, 0}, /* ER_SPECIFIC_ACCESS_DENIED_ERROR */
    {1370, KEEL_EPERM, 0}, /* ER_PROCACCESS_DENIED_ERROR */
    {1698, KEEL_EPERM, 0}, /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
    /* resources; the server drops a connection that sent too much */
    {1021, KEEL_ENOMEM, 0}, /* ER_DISK_FULL */
    {1037, KEEL_ENOMEM, 0}, /* ER_OUTOFMEMORY */
    {1038, KEEL_ENOMEM, 0}, /* ER_OUT_OF_SORTMEMORY */
    {1041, KEEL_ENOMEM, 0}, /* ER_OUT_OF_RESOURCES */
    {1114, KEEL_ENOMEM, 0}, /* ER_RECORD_FILE_FULL */
    {1153, KEEL_ENOMEM, 1}, /* ER_NET_PACKET_TOO_LARGE */
    {1461, KEEL_ENOMEM, 0}, /* ER_MAX_PREPARED_STMT_COUNT_REACHED */
    {2008, KEEL_ENOMEM, 0}, /* CR_OUT_OF_MEMORY */
    {2020, KEEL_ENOMEM, 0}, /* CR_NET_PACKET_TOO_LARGE */
};

static const struct my_errmap *my_errmap_find(unsigned no)
{
	size_t i;

	for (i = 0; i < sizeof(my_errmap) / sizeof(my_errmap[0]); i++)
		if (my_errmap[i].no == no)
			return &my_errmap[i];
	return NULL;
}

static void my_set_sys(struct keel_err *err, unsigned sys)
{
	if (err != NULL)
		err->sys = (int32_t)sys;
}

/* The error of a connection that was lost earlier: no round trip. */
static int my_fail_gone(struct keel_db_conn *c, struct keel_err *err)
{
	keel_err_set(err, KEEL_EAGAIN,
	             "connection to %s was lost (error %u): reconnect",
	             c->db->addr, c->gone);
	my_set_sys(err, c->gone);
	return KEEL_EAGAIN;
}

/*
 * Fill err from a failed call on an open connection and return the mapped
 * code.  Besides the errors known to drop it, any failure after which the
 * client has closed the socket marks the connection lost, so later calls
 * fail fast and the core reconnects.
 */
static int my_fail(struct keel_db_conn *c, unsigned no, const char *msg,
                   const char *sqlstate, const char *what, const char *sql,
                   struct keel_err *err)
{
	const struct my_errmap *m = my_errmap_find(no);
	char snip[MY_SNIPPET + 4];
	int code = m != NULL ? m->code : KEEL_EINTERNAL;
	int gone = m != NULL && m->gone;

	/* After the handshake a TLS error is a broken transport (a server
	 * killed under a TLS connection reports 2026 "unexpected eof"). */
	if (no == 2026)
		gone = 1;
	if (!gone && mysql_get_socket(c->h) == MARIADB_INVALID_SOCKET)
		gone = 1;
	/* A client-side error that lost the connection means reconnect,
	 * whatever it says; server errors keep their meaning. */
	if (gone && (code == KEEL_EINTERNAL || (no >= 2000 && no < 3000)))
		code = KEEL_EAGAIN;
	if (no == 0)
		no = 2013; /* CR_SERVER_LOST: the client said nothing */
	if (gone && c->gone == 0)
		c->gone = no;
	pu_sql_snippet(snip, sizeof(snip), sql);
	keel_err_set(err, code, "%s: %s (error %u, SQLSTATE %s; sql: %s)", what,
	             msg, no, sqlstate, snip);
	/* sys on KEEL_EAGAIN means "reconnect" to the core. */
	my_set_sys(err, code == KEEL_EAGAIN && !gone ? 0 : no);
	return code;
}

static int my_fail_conn(struct keel_db_conn *c, const char *what,
                        const char *sql, struct keel_err *err)
{
	return my_fail(c, mysql_errno(c->h), mysql_error(c->h),
	               mysql_sqlstate(c->h), what, sql, err);
}

static int my_fail_stmt(struct keel_db_conn *c, MYSQL_STMT *st,
                        const char *what, const char *sql, struct keel_err *err)
{
	return my_fail(c, mysql_stmt_errno(st), mysql_stmt_error(st),
	               mysql_stmt_sqlstate(st), what, sql, err);
}

/* ---------------------------------------------------------------------
 * SQL text
 * ------------------------------------------------------------------- */

/* Skip a comment starting at s, or return s.  "-- " needs the blank,
 * as in MySQL. */
static const char *my_skip_comment(const char *s)
{
	if (s[0] == '#' || (s[0] == '-' && s[1] == '-' &&
	                    (s[2] == '\0' || (unsigned char)s[2] <= ' '))) {
		while (*s != '\0' && *s != '\n')
			s++;
		return s;
	}
	if (s[0] == '/' && s[1] == '*') {
		const char *end = strstr(s + 2, "*/");
		return end != NULL ? end + 2 : s + strlen(s);
	}
	return s;
}

static const char *my_skip_blank(const char *s)
{
	for (;;) {
		const char *t;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
		       *s == '\f' || *s == '\v')
			s++;
		t = my_skip_comment(s);
		if (t == s)
			return s;
		s = t;
	}
}

/*
 * The length of the single statement in sql, without a final ";" and
 * what follows it, or -1 when more than blanks and comments follow a ";"
 * (a second statement).  Quotes follow the session's sql_mode: '...' and
 * "..." (ANSI_QUOTES) and `...`, doubled to escape; a backslash is a
 * plain character (NO_BACKSLASH_ESCAPES).
 */
static long my_stmt_len(const char *sql)
{
	const char *s = sql, *t;

	while (*s != '\0') {
		if (*s == '\'' || *s == '"' || *s == '`') {
			const char *end = strchr(s + 1, *s);

			/* A doubled quote is just the next string. */
			s = end != NULL ? end + 1 : s + strlen(s);
			continue;
		}
		t = my_skip_comment(s);
		if (t != s) {
			s = t;
			continue;
		}
		if (*s == ';') {
			if (*my_skip_blank(s + 1) != '\0')
				return -1;
			break;
		}
		s++;
	}
	return (long)(s - sql);
}

/* Whether sql is INSERT, UPDATE, DELETE or REPLACE, whose row counts
 * *changed reports (ALTER TABLE, for one, reports copied rows). */
static int my_is_dml(const char *sql)
{
	static const char *const verbs[] = {"INSERT", "UPDATE", "DELETE",
	                                    "REPLACE"};
	const char *s = my_skip_blank(sql);
	size_t i, n;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		n = strlen(verbs[i]);
		if (strncasecmp(s, verbs[i], n) == 0 &&
		    !(s[n] == '_' || (s[n] >= '0' && s[n] <= '9') ||
		      (s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= 'A' && s[n] <= 'Z')))
			return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * Statement cache
 * ------------------------------------------------------------------- */

/* Drop the statement; the result buffers stay for the next one. */
static void my_slot_clear(struct my_slot *s)
{
	if (s->st != NULL)
		mysql_stmt_close(s->st);
	free(s->sql);
	s->st = NULL;
	s->sql = NULL;
	s->hash = 0;
	s->used = 0;
	s->busy = 0;
}

static void my_slot_free(struct my_slot *s)
{
	size_t i;

	my_slot_clear(s);
	for (i = 0; s->cols != NULL && i < s->ncap; i++)
		free(s->cols[i].buf);
	free(s->cols);
	free(s->rb);
	free(s->vals);
	memset(s, 0, sizeof(*s));
}

/* Prepare the first len bytes of sql on a new handle. */
static int my_prepare(struct keel_db_conn *c, const char *sql,
                      unsigned long len, MYSQL_STMT **out, struct keel_err *err)
{
	MYSQL_STMT *st;
	int code;

	st = mysql_stmt_init(c->h);
	if (st == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	if (mysql_stmt_prepare(st, sql, len) == 0) {
		*out = st;
		return KEEL_OK;
	}
	if (mysql_stmt_errno(st) == 1295) { /* ER_UNSUPPORTED_PS */
		mysql_stmt_close(st);
		return MY_UNPREPARABLE;
	}
	code = my_fail_stmt(c, st, "prepare", sql, err);
	mysql_stmt_close(st);
	return code;
}

/*
 * Get a prepared statement for sql: a cached one, or a newly prepared one
 * that then takes the least recently used free slot, or *one when there is
 * none (cache off, or every slot busy).  A statement still in use (a row
 * callback running the same SQL) is never handed out twice.  Give it back
 * with my_stmt_put().  MY_UNPREPARABLE: run it as text.
 */
static int my_stmt_get(struct keel_db_conn *c, const char *sql,
                       struct my_slot *one, struct my_slot **out,
                       struct keel_err *err)
{
	struct my_slot *victim = NULL;
	uint64_t h = pu_fnv1a64(sql);
	char snip[MY_SNIPPET + 4];
	MYSQL_STMT *st = NULL;
	char *key = NULL;
	long len;
	size_t i;
	int rc;

	for (i = 0; i < c->db->stmt_cache; i++) {
		struct my_slot *s = &c->slots[i];

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
			*out = s;
			return KEEL_OK;
		}
		if (victim == NULL ||
		    (victim->st != NULL && s->used < victim->used))
			victim = s;
	}

	len = my_stmt_len(sql);
	if (len < 0) {
		pu_sql_snippet(snip, sizeof(snip), sql);
		return keel_err_set(err, KEEL_EINVAL,
		                    "more than one statement (sql: %s)", snip);
	}
	if (victim != NULL) {
		key = strdup(sql);
		if (key == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	}
	rc = my_prepare(c, sql, (unsigned long)len, &st, err);
	if (rc != KEEL_OK) {
		free(key);
		return rc;
	}
	if (victim != NULL) {
		my_slot_clear(victim);
		victim->sql = key;
		victim->hash = h;
		victim->used = ++c->clock;
	} else {
		memset(one, 0, sizeof(*one));
		victim = one;
	}
	victim->st = st;
	victim->len = (unsigned long)len;
	victim->dml = my_is_dml(sql);
	victim->busy = 1;
	*out = victim;
	return KEEL_OK;
}

/* Give back a statement from my_stmt_get(): its result goes, and so do
 * big buffers and, for a one-off statement, everything. */
static void my_stmt_put(struct my_slot *s)
{
	size_t i;

	if (s->sql == NULL) {
		my_slot_free(s);
		return;
	}
	mysql_stmt_free_result(s->st);
	for (i = 0; i < s->ncap; i++) {
		if (s->cols[i].cap > MY_BUF_KEEP) {
			free(s->cols[i].buf);
			s->cols[i].buf = NULL;
			s->cols[i].cap = 0;
		}
	}
	s->busy = 0;
}

/* ---------------------------------------------------------------------
 * Parameters
 * ------------------------------------------------------------------- */

/* libmariadb never writes through parameter buffers; MYSQL_BIND just
 * lacks the const. */
static void *my_unconst(const void *p)
{
	return (void *)(uintptr_t)p;
}

static int my_bind_params(struct keel_db_conn *c, struct my_slot *s,
                          const char *sql, const struct keel_db_val *args,
                          size_t nargs, struct keel_err *err)
{
	unsigned long want = mysql_stmt_param_count(s->st);
	char snip[MY_SNIPPET + 4];
	size_t i, total = 0;

	if (want != nargs) {
		pu_sql_snippet(snip, sizeof(snip), sql);
		return keel_err_set(err, KEEL_EINVAL,
		                    "statement takes %lu parameters, %zu given "
		                    "(sql: %s)",
		                    want, nargs, snip);
	}
	if (nargs == 0)
		return KEEL_OK;
	if (nargs > c->pcap) {
		MYSQL_BIND *pb = realloc(c->pb, nargs * sizeof(*pb));

		if (pb == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		c->pb = pb;
		c->pcap = nargs;
	}
	memset(c->pb, 0, nargs * sizeof(*c->pb));
	for (i = 0; i < nargs; i++) {
		const struct keel_db_val *v = &args[i];
		MYSQL_BIND *b = &c->pb[i];

		switch (v->type) {
		case KEEL_DB_NULL:
			b->buffer_type = MYSQL_TYPE_NULL;
			break;
		case KEEL_DB_INT:
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = my_unconst(&v->i);
			break;
		case KEEL_DB_REAL:
			b->buffer_type = MYSQL_TYPE_DOUBLE;
			b->buffer = my_unconst(&v->r);
			break;
		case KEEL_DB_TEXT:
		case KEEL_DB_BLOB:
			if (v->p == NULL && v->n > 0)
				goto bad_arg;
#if SIZE_MAX > ULONG_MAX
			if (v->n > ULONG_MAX)
				goto bad_arg;
#endif
			b->buffer_type = v->type == KEEL_DB_TEXT
			                     ? MYSQL_TYPE_STRING
			                     : MYSQL_TYPE_BLOB;
			/* A NULL buffer would send SQL NULL, not "". */
			b->buffer = my_unconst(v->p != NULL ? v->p : "");
			b->buffer_length = (unsigned long)v->n;
			total +=
			    v->n < SIZE_MAX - total ? v->n : SIZE_MAX - total;
			break;
		default:
			goto bad_arg;
		}
	}
	/* The server drops a connection that sends a larger packet, and the
	 * core would retry it on a new one. */
	if (c->max_packet > 0 && total > c->max_packet - MY_PACKET_SLACK) {
		pu_sql_snippet(snip, sizeof(snip), sql);
		return keel_err_set(
		    err, KEEL_ENOMEM,
		    "parameters of %zu bytes do not fit the "
		    "server's max_allowed_packet (%lu) (sql: %s)",
		    total, c->max_packet, snip);
	}
	if (mysql_stmt_bind_param(s->st, c->pb) != 0)
		return my_fail_stmt(c, s->st, "bind", sql, err);
	return KEEL_OK;

bad_arg:
	pu_sql_snippet(snip, sizeof(snip), sql);
	return keel_err_set(err, KEEL_EINVAL,
	                    "parameter %zu: bad value (type %u, %zu bytes "
	                    "at %s) (sql: %s)",
	                    i + 1, (unsigned)args[i].type, args[i].n,
	                    args[i].p != NULL ? "non-NULL" : "NULL", snip);
}

/* ---------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------- */

/* How to read a column of field type f. */
static int my_kind(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_NULL:
		return MY_K_NULL;
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return MY_K_INT;
	case MYSQL_TYPE_BIT:
		return MY_K_BIT;
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return MY_K_REAL;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
		return MY_K_DEC; /* SUM() of integers, for one */
	/* Dates come as text; MySQL 8 sends JSON with the binary
	 * charset, but it is text. */
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_NEWDATE:
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_TIMESTAMP:
	case MYSQL_TYPE_JSON:
	case MYSQL_TYPE_ENUM:
	case MYSQL_TYPE_SET:
		return MY_K_TEXT;
	case MYSQL_TYPE_GEOMETRY:
		return MY_K_BLOB;
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
		return f->charsetnr == MY_BINARY_CHARSET ? MY_K_BLOB
		                                         : MY_K_TEXT;
	default:
		return MY_K_BAD;
	}
}

/* Make room for n result columns in s. */
static int my_cols_reserve(struct my_slot *s, size_t n)
{
	struct my_col *cols;
	MYSQL_BIND *rb;
	struct keel_db_val *vals;

	if (n <= s->ncap)
		return KEEL_OK;
	cols = realloc(s->cols, n * sizeof(*cols));
	if (cols == NULL)
		return KEEL_ENOMEM;
	memset(cols + s->ncap, 0, (n - s->ncap) * sizeof(*cols));
	s->cols = cols;
	rb = realloc(s->rb, n * sizeof(*rb));
	if (rb == NULL)
		return KEEL_ENOMEM;
	s->rb = rb;
	vals = realloc(s->vals, n * sizeof(*vals));
	if (vals == NULL)
		return KEEL_ENOMEM;
	s->vals = vals;
	s->ncap = n;
	return KEEL_OK;
}

/* Grow a column buffer to hold n bytes plus a NUL. */
static int my_col_grow(struct my_col *col, unsigned long n)
{
	unsigned long cap = col->cap > 0 ? col->cap : MY_BUF_MIN;
	unsigned char *buf;

	if (n >= ULONG_MAX / 2)
		return KEEL_ENOMEM;
	while (cap < n + 1)
		cap *= 2;
	if (cap == col->cap && col->buf != NULL)
		return KEEL_OK;
	buf = realloc(col->buf, cap);
	if (buf == NULL)
		return KEEL_ENOMEM;
	col->buf = buf;
	col->cap = cap;
	return KEEL_OK;
}

/* Bind column i of field f for the binary protocol. */
static int my_col_bind(struct my_slot *s, size_t i, const MYSQL_FIELD *f)
{
	struct my_col *col = &s->cols[i];
	MYSQL_BIND *b = &s->rb[i];

	memset(b, 0, sizeof(*b));
	col->kind = my_kind(f);
	col->len = 0;
	col->is_null = 0;
	col->error = 0;
	b->is_null = &col->is_null;
	b->length = &col->len;
	b->error = &col->error;
	switch (col->kind) {
	case MY_K_INT:
		b->buffer_type = MYSQL_TYPE_LONGLONG;
		b->buffer = &col->i;
		b->is_unsigned = (f->flags & UNSIGNED_FLAG) != 0;
		break;
	case MY_K_REAL:
		b->buffer_type = MYSQL_TYPE_DOUBLE;
		b->buffer = &col->r;
		break;
	case MY_K_BIT: /* the raw bytes, as in the text protocol */
	case MY_K_DEC:
	case MY_K_TEXT:
	case MY_K_BLOB:
		if (col->buf == NULL && my_col_grow(col, MY_BUF_MIN - 1) != 0)
			return KEEL_ENOMEM;
		b->buffer_type = col->kind == MY_K_TEXT || col->kind == MY_K_DEC
		                     ? MYSQL_TYPE_STRING
		                     : MYSQL_TYPE_BLOB;
		b->buffer = col->buf;
		b->buffer_length = col->cap - 1; /* room for a NUL */
		break;
	default: /* MY_K_NULL; MY_K_BAD fails before the first fetch */
		b->buffer_type = MYSQL_TYPE_NULL;
		break;
	}
	return KEEL_OK;
}

/* After MYSQL_DATA_TRUNCATED: grow the buffers that were too small and
 * fetch those columns again. */
static int my_refetch(struct keel_db_conn *c, struct my_slot *s, size_t n,
                      const char *sql, struct keel_err *err)
{
	int grew = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct my_col *col = &s->cols[i];
		MYSQL_BIND *b = &s->rb[i];

		if (col->is_null || b->buffer_type == MYSQL_TYPE_NULL ||
		    b->buffer_type == MYSQL_TYPE_LONGLONG ||
		    b->buffer_type == MYSQL_TYPE_DOUBLE ||
		    col->len <= b->buffer_length)
			continue;
		if (my_col_grow(col, col->len) != KEEL_OK)
			return keel_err_set(
			    err, KEEL_ENOMEM,
			    "out of memory for a %lu-byte value", col->len);
		b->buffer = col->buf;
		b->buffer_length = col->cap - 1;
		if (mysql_stmt_fetch_column(s->st, b, (unsigned)i, 0) != 0)
			return my_fail_stmt(c, s->st, "fetch", sql, err);
		grew = 1;
	}
	/* The statement keeps its own copy of the bindings. */
	if (grew && mysql_stmt_bind_result(s->st, s->rb) != 0)
		return my_fail_stmt(c, s->st, "bind result", sql, err);
	return KEEL_OK;
}

/*
 * Decode numeric text of kind (MY_K_INT, MY_K_REAL, MY_K_DEC) into v.  A
 * DECIMAL is an INT when it is integral and fits, otherwise a REAL.
 */
static int my_num(int kind, int uns, const char *p, size_t n, const char *name,
                  struct keel_db_val *v, struct keel_err *err)
{
	char tmp[128], *end;
	const char *dot;

	if (n >= sizeof(tmp))
		goto bad;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	errno = 0;
	if (kind == MY_K_INT && uns) {
		unsigned long long u = strtoull(tmp, &end, 10);

		if (errno != 0 || *end != '\0' || u > INT64_MAX)
			goto range;
		v->type = KEEL_DB_INT;
		v->i = (int64_t)u;
		return KEEL_OK;
	}
	if (kind == MY_K_INT) {
		long long i = strtoll(tmp, &end, 10);

		if (errno != 0 || *end != '\0')
			goto range;
		v->type = KEEL_DB_INT;
		v->i = i;
		return KEEL_OK;
	}
	dot = strchr(tmp, '.');
	if (kind == MY_K_DEC && strpbrk(tmp, "eE") == NULL &&
	    (dot == NULL || dot[1 + strspn(dot + 1, "0")] == '\0')) {
		long long i = strtoll(tmp, &end, 10);

		if (errno == 0 && (*end == '\0' || end == dot)) {
			v->type = KEEL_DB_INT;
			v->i = i;
			return KEEL_OK;
		}
		errno = 0; /* out of range: a REAL, like other decimals */
	}
	v->type = KEEL_DB_REAL;
	v->r = strtod(tmp, &end);
	if (*end != '\0')
		goto bad;
	return KEEL_OK;

range:
	return keel_err_set(err, KEEL_ERANGE,
	                    "column %s: %.40s does not fit a 64-bit integer",
	                    name, tmp);
bad:
	return keel_err_set(err, KEEL_EINTERNAL,
	                    "column %s: cannot read \"%.40s\" as a number",
	                    name, tmp);
}

/* A BIT value as both protocols send it: big-endian bytes. */
static int my_bits(const unsigned char *p, size_t n, const char *name,
                   struct keel_db_val *v, struct keel_err *err)
{
	uint64_t u = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (u >> 56 != 0)
			goto range;
		u = u << 8 | p[i];
	}
	if (u > INT64_MAX)
		goto range;
	v->type = KEEL_DB_INT;
	v->i = (int64_t)u;
	return KEEL_OK;

range:
	return keel_err_set(err, KEEL_ERANGE,
	                    "column %s: BIT value does not fit a 64-bit "
	                    "integer",
	                    name);
}

/* Fill s->vals from the fetched row (binary protocol). */
static int my_row_vals(struct my_slot *s, const MYSQL_FIELD *fields, size_t n,
                       struct keel_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct my_col *col = &s->cols[i];
		struct keel_db_val *v = &s->vals[i];

		memset(v, 0, sizeof(*v));
		if (col->is_null)
			continue; /* KEEL_DB_NULL */
		switch (col->kind) {
		case MY_K_INT:
			if (s->rb[i].is_unsigned &&
			    (uint64_t)col->i > INT64_MAX)
				return keel_err_set(
				    err, KEEL_ERANGE,
				    "column %s: %llu does not fit a 64-bit "
				    "integer",
				    fields[i].name, (unsigned long long)col->i);
			v->type = KEEL_DB_INT;
			v->i = col->i;
			break;
		case MY_K_REAL:
			v->type = KEEL_DB_REAL;
			v->r = col->r;
			break;
		case MY_K_BIT:
			rc =
			    my_bits(col->buf, col->len, fields[i].name, v, err);
			if (rc != KEEL_OK)
				return rc;
			break;
		case MY_K_DEC:
			rc = my_num(MY_K_DEC, 0, (const char *)col->buf,
			            col->len, fields[i].name, v, err);
			if (rc != KEEL_OK)
				return rc;
			break;
		case MY_K_TEXT:
		case MY_K_BLOB:
			v->type = col->kind == MY_K_TEXT ? KEEL_DB_TEXT
			                                 : KEEL_DB_BLOB;
			v->p = col->buf; /* never NULL: bound with a buffer */
			v->n = col->len;
			break;
		default:
			break; /* MY_K_NULL */
		}
	}
	return KEEL_OK;
}

static int my_check_kinds(const MYSQL_FIELD *fields, size_t n,
                          struct keel_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (my_kind(&fields[i]) == MY_K_BAD)
			return keel_err_set(err, KEEL_EINTERNAL,
			                    "column %s: field type %d is not "
			                    "supported",
			                    fields[i].name,
			                    (int)fields[i].type);
	return KEEL_OK;
}

/* Hand each row of an executed statement to fn (binary protocol). */
static int my_rows(struct keel_db_conn *c, struct my_slot *s, const char *sql,
                   keel_db_row_fn fn, void *arg, struct keel_err *err)
{
	char snip[MY_SNIPPET + 4];
	const MYSQL_FIELD *fields;
	MYSQL_RES *meta = NULL;
	size_t i, n;
	int rc = KEEL_OK, frc;

	/* Buffer the rows: the connection is then free for the callback,
	 * and an early stop leaves nothing unread. */
	if (mysql_stmt_store_result(s->st) != 0)
		return my_fail_stmt(c, s->st, "fetch", sql, err);
	if (fn == NULL)
		return KEEL_OK; /* exec, or a query nobody reads */
	meta = mysql_stmt_result_metadata(s->st);
	if (meta == NULL)
		return my_fail_stmt(c, s->st, "result metadata", sql, err);
	n = mysql_num_fields(meta);
	fields = mysql_fetch_fields(meta);
	rc = my_check_kinds(fields, n, err);
	if (rc != KEEL_OK)
		goto out_free_meta;
	if (my_cols_reserve(s, n) != KEEL_OK) {
		rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
		goto out_free_meta;
	}
	for (i = 0; i < n; i++) {
		if (my_col_bind(s, i, &fields[i]) != KEEL_OK) {
			rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
			goto out_free_meta;
		}
	}
	if (mysql_stmt_bind_result(s->st, s->rb) != 0) {
		rc = my_fail_stmt(c, s->st, "bind result", sql, err);
		goto out_free_meta;
	}
	while ((frc = mysql_stmt_fetch(s->st)) == 0 ||
	       frc == MYSQL_DATA_TRUNCATED) {
		if (frc == MYSQL_DATA_TRUNCATED) {
			rc = my_refetch(c, s, n, sql, err);
			if (rc != KEEL_OK)
				goto out_free_meta;
		}
		rc = my_row_vals(s, fields, n, err);
		if (rc != KEEL_OK)
			goto out_free_meta;
		rc = fn(arg, s->vals, n);
		if (rc > 0) {
			/* Early stop: my_stmt_put() drops the rest. */
			rc = KEEL_OK;
			goto out_free_meta;
		}
		if (rc < 0) {
			pu_sql_snippet(snip, sizeof(snip), sql);
			keel_err_set(err, rc,
			             "row callback aborted with %d (sql: %s)",
			             rc, snip);
			goto out_free_meta;
		}
	}
	if (frc != MYSQL_NO_DATA)
		rc = my_fail_stmt(c, s->st, "fetch", sql, err);

out_free_meta:
	mysql_free_result(meta);
	return rc;
}

/* Read and drop any further result sets (a CALL sends a status one). */
static int my_drain_stmt(struct keel_db_conn *c, MYSQL_STMT *st,
                         const char *sql, struct keel_err *err)
{
	int r;

	while (mysql_stmt_more_results(st)) {
		r = mysql_stmt_next_result(st);
		if (r > 0)
			return my_fail_stmt(c, st, "next result", sql, err);
		if (r < 0)
			break;
		if (mysql_stmt_field_count(st) > 0 &&
		    mysql_stmt_store_result(st) != 0)
			return my_fail_stmt(c, st, "fetch", sql, err);
		mysql_stmt_free_result(st);
	}
	return KEEL_OK;
}

/* ---------------------------------------------------------------------
 * Text protocol, for statements the server cannot prepare
 * ------------------------------------------------------------------- */

static int my_text_row(struct keel_db_conn *c, const MYSQL_FIELD *fields,
                       size_t n, MYSQL_ROW row, const unsigned long *lens,
                       struct keel_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct keel_db_val *v = &c->tv[i];
		int kind = my_kind(&fields[i]);

		memset(v, 0, sizeof(*v));
		if (row[i] == NULL || kind == MY_K_NULL)
			continue;
		switch (kind) {
		case MY_K_INT:
		case MY_K_REAL:
		case MY_K_DEC:
			rc =
			    my_num(kind, (fields[i].flags & UNSIGNED_FLAG) != 0,
			           row[i], lens[i], fields[i].name, v, err);
			if (rc != KEEL_OK)
				return rc;
			break;
		case MY_K_BIT:
			rc = my_bits((const unsigned char *)row[i], lens[i],
			             fields[i].name, v, err);
			if (rc != KEEL_OK)
				return rc;
			break;
		default: /* MY_K_TEXT, MY_K_BLOB */
			v->type =
			    kind == MY_K_TEXT ? KEEL_DB_TEXT : KEEL_DB_BLOB;
			v->p = row[i];
			v->n = lens[i];
			break;
		}
	}
	return KEEL_OK;
}

static int my_run_text(struct keel_db_conn *c, const char *sql, size_t nargs,
                       int64_t *changed, keel_db_row_fn fn, void *arg,
                       struct keel_err *err)
{
	char snip[MY_SNIPPET + 4];
	const MYSQL_FIELD *fields;
	MYSQL_RES *res;
	MYSQL_ROW row;
	size_t n;
	int rc = KEEL_OK;

	pu_sql_snippet(snip, sizeof(snip), sql);
	if (nargs > 0)
		return keel_err_set(err, KEEL_EINTERNAL,
		                    "the server cannot prepare this statement "
		                    "(error 1295), so it cannot take "
		                    "parameters (sql: %s)",
		                    snip);
	/* my_stmt_get() checked it holds one statement. */
	if (mysql_real_query(c->h, sql, (unsigned long)my_stmt_len(sql)) != 0)
		return my_fail_conn(c, "query", sql, err);
	res = mysql_store_result(c->h);
	if (res == NULL) {
		if (mysql_field_count(c->h) != 0)
			return my_fail_conn(c, "fetch", sql, err);
		if (changed != NULL && my_is_dml(sql))
			*changed = (int64_t)mysql_affected_rows(c->h);
		goto out_drain;
	}
	n = mysql_num_fields(res);
	fields = mysql_fetch_fields(res);
	rc = my_check_kinds(fields, n, err);
	if (rc == KEEL_OK && n > c->tcap) {
		struct keel_db_val *tv = realloc(c->tv, n * sizeof(*tv));

		if (tv == NULL)
			rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
		else {
			c->tv = tv;
			c->tcap = n;
		}
	}
	while (rc == KEEL_OK && fn != NULL &&
	       (row = mysql_fetch_row(res)) != NULL) {
		rc = my_text_row(c, fields, n, row, mysql_fetch_lengths(res),
		                 err);
		if (rc != KEEL_OK)
			break;
		rc = fn(arg, c->tv, n);
		if (rc > 0) {
			rc = KEEL_OK;
			break;
		}
		if (rc < 0)
			keel_err_set(err, rc,
			             "row callback aborted with %d (sql: %s)",
			             rc, snip);
	}
	mysql_free_result(res);
	if (rc != KEEL_OK)
		return rc;
out_drain:
	while (mysql_more_results(c->h)) {
		int r = mysql_next_result(c->h);

		if (r > 0)
			return my_fail_conn(c, "next result", sql, err);
		if (r < 0)
			break;
		mysql_free_result(mysql_store_result(c->h));
	}
	return KEEL_OK;
}

/* ---------------------------------------------------------------------
 * Connection ops
 * ------------------------------------------------------------------- */

/*
 * Execute s.  A statement the server invalidated (ER_NEED_REPREPARE,
 * ER_UNKNOWN_STMT_HANDLER), or whose result a schema change gave other
 * columns (CR_NEW_STMT_METADATA, "SELECT *" after ALTER TABLE), is
 * prepared again once and run with the same bindings.  In the last case
 * the statement has run already, so only one that changes no rows may run
 * again.
 */
static int my_execute(struct keel_db_conn *c, struct my_slot *s,
                      const char *sql, size_t nargs, struct keel_err *err)
{
	MYSQL_STMT *st = NULL;
	unsigned no;
	int rc;

	if (mysql_stmt_execute(s->st) == 0)
		return KEEL_OK;
	no = mysql_stmt_errno(s->st);
	if (no != 1615 && no != 1243 && (no != 2057 || s->dml))
		return my_fail_stmt(c, s->st, "execute", sql, err);
	mysql_stmt_reset(s->st); /* reads and drops an unread result */
	rc = my_prepare(c, sql, s->len, &st, err);
	if (rc == MY_UNPREPARABLE)
		rc = keel_err_set(err, KEEL_EINTERNAL,
		                  "the server cannot prepare again what it "
		                  "invalidated (error %u)",
		                  no);
	if (rc != KEEL_OK)
		return rc;
	mysql_stmt_close(s->st);
	s->st = st;
	if (nargs > 0 && mysql_stmt_bind_param(st, c->pb) != 0)
		return my_fail_stmt(c, st, "bind", sql, err);
	if (mysql_stmt_execute(st) != 0)
		return my_fail_stmt(c, st, "execute", sql, err);
	return KEEL_OK;
}

/* exec and query: run sql, hand rows to fn (if any), count changes. */
static int my_run(struct keel_db_conn *c, const char *sql,
                  const struct keel_db_val *args, size_t nargs,
                  int64_t *changed, keel_db_row_fn fn, void *arg,
                  struct keel_err *err)
{
	struct my_slot one, *s = NULL;
	int rc;

	assert(c->magic == DB_MYSQL_CONN_MAGIC);
	if (changed != NULL)
		*changed = 0;
	if (c->gone)
		return my_fail_gone(c, err);
	rc = my_stmt_get(c, sql, &one, &s, err);
	if (rc == MY_UNPREPARABLE)
		return my_run_text(c, sql, nargs, changed, fn, arg, err);
	if (rc != KEEL_OK)
		return rc;
	rc = my_bind_params(c, s, sql, args, nargs, err);
	if (rc == KEEL_OK)
		rc = my_execute(c, s, sql, nargs, err);
	if (rc == KEEL_OK) {
		if (mysql_stmt_field_count(s->st) > 0)
			rc = my_rows(c, s, sql, fn, arg, err);
		else if (changed != NULL && s->dml)
			/* Rows matched, thanks to CLIENT_FOUND_ROWS. */
			*changed = (int64_t)mysql_stmt_affected_rows(s->st);
	}
	if (rc == KEEL_OK)
		rc = my_drain_stmt(c, s->st, sql, err);
	my_stmt_put(s);
	return rc;
}

static int my_exec(struct keel_db_conn *c, const char *sql,
                   const struct keel_db_val *args, size_t nargs,
                   int64_t *changed, struct keel_err *err)
{
	return my_run(c, sql, args, nargs, changed, NULL, NULL, err);
}

static int my_query(struct keel_db_conn *c, const char *sql,
                    const struct keel_db_val *args, size_t nargs,
                    keel_db_row_fn fn, void *arg, struct keel_err *err)
{
	return my_run(c, sql, args, nargs, NULL, fn, arg, err);
}

/* A statement without parameters or rows, as plain text. */
static int my_simple(struct keel_db_conn *c, const char *sql,
                     struct keel_err *err)
{
	if (c->gone)
		return my_fail_gone(c, err);
	if (mysql_real_query(c->h, sql, (unsigned long)strlen(sql)) != 0)
		return my_fail_conn(c, "query", sql, err);
	return KEEL_OK;
}

static int my_begin(struct keel_db_conn *c, uint32_t flags,
                    struct keel_err *err)
{
	unsigned int status = 0;

	assert(c->magic == DB_MYSQL_CONN_MAGIC);
	(void)flags; /* InnoDB takes row locks as it goes either way */
	if (c->gone)
		return my_fail_gone(c, err);
	/* START TRANSACTION would commit the open one silently. */
	if (mariadb_get_infov(c->h, MARIADB_CONNECTION_SERVER_STATUS,
	                      &status) == 0 &&
	    (status & SERVER_STATUS_IN_TRANS))
		return keel_err_set(err, KEEL_EPRECOND,
		                    "begin: a transaction is already open");
	return my_simple(c, "START TRANSACTION", err);
}

/* No "no transaction" check: DDL inside a transaction commits it, and
 * the COMMIT that follows must still succeed. */
static int my_commit(struct keel_db_conn *c, struct keel_err *err)
{
	assert(c->magic == DB_MYSQL_CONN_MAGIC);
	return my_simple(c, "COMMIT", err);
}

/* ROLLBACK outside a transaction is a no-op in MySQL; on a lost
 * connection the server has rolled back already, and the error tells the
 * core to drop the connection. */
static int my_rollback(struct keel_db_conn *c, struct keel_err *err)
{
	assert(c->magic == DB_MYSQL_CONN_MAGIC);
	return my_simple(c, "ROLLBACK", err);
}

static int my_ping(struct keel_db_conn *c, struct keel_err *err)
{
	unsigned no;

	assert(c->magic == DB_MYSQL_CONN_MAGIC);
	if (c->gone)
		return my_fail_gone(c, err);
	if (mysql_ping(c->h) == 0)
		return KEEL_OK;
	/* Reconnect is off, so any failure means a new connection. */
	no = mysql_errno(c->h) != 0 ? mysql_errno(c->h) : 2006;
	c->gone = no;
	keel_err_set(err, KEEL_EAGAIN, "ping %s: %s (error %u)", c->db->addr,
	             mysql_error(c->h), no);
	my_set_sys(err, no);
	return KEEL_EAGAIN;
}

/* The server ends an open transaction when the connection closes.
 * Statements are freed after the handle, which then owes the server
 * nothing for them. */
static void my_conn_close(struct keel_db_conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	assert(c->magic == DB_MYSQL_CONN_MAGIC);
	if (c->h != NULL)
		mysql_close(c->h);
	for (i = 0; c->slots != NULL && i < c->db->stmt_cache; i++)
		my_slot_free(&c->slots[i]);
	free(c->slots);
	free(c->pb);
	free(c->tv);
	c->magic = 0;
	free(c);
}

/* Options of a new handle: TCP or socket, timeouts, charset, TLS. */
static int my_options(struct my_db *db, MYSQL *h, struct keel_err *err)
{
	unsigned int proto =
	    db->socket != NULL ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	unsigned int off = 0;
	my_bool no = 0, yes = 1;
	int bad = 0;

	bad |= mysql_options(h, MYSQL_OPT_PROTOCOL, &proto);
	bad |= mysql_options(h, MYSQL_OPT_CONNECT_TIMEOUT, &db->connect_s);
	bad |= mysql_options(h, MYSQL_OPT_READ_TIMEOUT, &db->read_s);
	bad |= mysql_options(h, MYSQL_OPT_WRITE_TIMEOUT, &db->write_s);
	bad |= mysql_options(h, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* A silent reconnect would lose the session and the transaction. */
	bad |= mysql_options(h, MYSQL_OPT_RECONNECT, &no);
	bad |= mysql_options(h, MYSQL_OPT_LOCAL_INFILE, &off);
	bad |= mysql_optionsv(h, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
	                      "keeld");
	if (db->ssl_mode == MY_SSL_DISABLED) {
		bad |= mysql_options(h, MYSQL_OPT_SSL_ENFORCE, &no);
		bad |= mysql_options(h, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
	} else {
		/* Connector/C 3.3 asks for TLS and falls back to plain text
		 * when the server has none unless it verifies; "required"
		 * is checked after connecting (my_session). */
		bad |= mysql_options(h, MYSQL_OPT_SSL_ENFORCE, &yes);
		bad |= mysql_options(h, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
		                     db->ssl_mode >= MY_SSL_VERIFY_CA ? &yes
		                                                      : &no);
		if (db->ssl_ca != NULL)
			bad |= mysql_options(h, MYSQL_OPT_SSL_CA, db->ssl_ca);
		if (db->ssl_cert != NULL)
			bad |=
			    mysql_options(h, MYSQL_OPT_SSL_CERT, db->ssl_cert);
		if (db->ssl_key != NULL)
			bad |= mysql_options(h, MYSQL_OPT_SSL_KEY, db->ssl_key);
	}
	if (bad)
		return keel_err_set(err, KEEL_EINTERNAL,
		                    "mysql_options failed: %s", mysql_error(h));
	return KEEL_OK;
}

/* Read the session's max_allowed_packet into c->max_packet. */
static int my_max_packet(struct keel_db_conn *c, struct keel_err *err)
{
	static const char sql[] = "SELECT @@max_allowed_packet";
	MYSQL_RES *res;
	MYSQL_ROW row;
	int rc;

	rc = my_simple(c, sql, err);
	if (rc != KEEL_OK)
		return rc;
	res = mysql_store_result(c->h);
	if (res == NULL)
		return my_fail_conn(c, "fetch", sql, err);
	row = mysql_fetch_row(res);
	if (row != NULL && row[0] != NULL)
		c->max_packet = strtoul(row[0], NULL, 10);
	mysql_free_result(res);
	if (c->max_packet <= MY_PACKET_SLACK)
		c->max_packet = 0; /* unknown: let the server judge */
	return KEEL_OK;
}

/*
 * Check the server and set up the session every connection shares:
 *   utf8mb4 / utf8mb4_bin: byte-wise comparisons, so unique keys are
 *     case-sensitive as in the other dialects;
 *   sql_mode: strict (errors, not truncation), standard quoting and no
 *     backslash escapes (the core writes LIKE ? ESCAPE '\');
 *   autocommit on, whatever the server default: statements outside a
 *     transaction must not hold locks;
 *   InnoDB: transactions and row locks;
 *   READ COMMITTED, as PostgreSQL; the core locks rows it reads to write;
 *   UTC and the statement timeout.
 */
static int my_session(struct keel_db_conn *c, struct keel_err *err)
{
	struct my_db *db = c->db;
	unsigned long min;
	const char *tls = NULL;
	char sql[512], tmo[64];
	int n, rc;

	c->maria = mariadb_connection(c->h) != 0;
	c->version = mysql_get_server_version(c->h);
	min = c->maria ? MY_MIN_MARIADB : MY_MIN_MYSQL;
	if (c->version < min)
		return keel_err_set(err, KEEL_EPRECOND,
		                    "%s is %s %lu.%lu.%lu: Keel needs %s or "
		                    "later (SKIP LOCKED)",
		                    db->addr, c->maria ? "MariaDB" : "MySQL",
		                    c->version / 10000, c->version / 100 % 100,
		                    c->version % 100,
		                    c->maria ? "MariaDB 10.6" : "MySQL 8.0.1");
	if (mysql_get_ssl_cipher(c->h) != NULL) {
		if (mariadb_get_infov(c->h, MARIADB_CONNECTION_TLS_VERSION,
		                      &tls) != 0 ||
		    tls == NULL)
			tls = "TLS";
		snprintf(c->tls, sizeof(c->tls), "%s", tls);
	} else if (db->ssl_mode >= MY_SSL_REQUIRED && db->socket == NULL) {
		/* (Not over a unix socket: it is local, TLS adds nothing.) */
		return keel_err_set(err, KEEL_EPRECOND,
		                    "ssl_mode = %s, but the server at %s does "
		                    "not offer TLS",
		                    my_ssl_modes[db->ssl_mode], db->addr);
	}

	/* max_execution_time covers only SELECT on MySQL. */
	if (c->maria)
		snprintf(tmo, sizeof(tmo), "max_statement_time=%lld.%03lld",
		         (long long)(db->stmt_timeout_ms / 1000),
		         (long long)(db->stmt_timeout_ms % 1000));
	else
		snprintf(tmo, sizeof(tmo), "max_execution_time=%lld",
		         (long long)db->stmt_timeout_ms);
	n = snprintf(sql, sizeof(sql),
	             "SET NAMES utf8mb4 COLLATE utf8mb4_bin, autocommit=1, "
	             "sql_mode='STRICT_ALL_TABLES,NO_ZERO_IN_DATE,"
	             "NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
	             "NO_ENGINE_SUBSTITUTION,NO_BACKSLASH_ESCAPES,"
	             "ANSI_QUOTES', "
	             "default_storage_engine=InnoDB, time_zone='+00:00', %s",
	             tmo);
	if (n < 0 || (size_t)n >= sizeof(sql))
		return keel_err_set(err, KEEL_EINTERNAL,
		                    "session buffer too small (%d bytes)", n);
	rc = my_simple(c, sql, err);
	if (rc == KEEL_OK)
		rc = my_simple(
		    c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
		    err);
	if (rc == KEEL_OK)
		rc = my_max_packet(c, err);
	return rc;
}

static int my_conn_open(void *self, struct keel_db_conn **out,
                        struct keel_err *err)
{
	struct my_db *db = self;
	const struct my_errmap *m;
	struct keel_db_conn *c;
	char pw[MY_PASSWORD_MAX];
	size_t pwlen = 0;
	unsigned no;
	int rc, code;

	assert(db->magic == DB_MYSQL_MAGIC);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	c->magic = DB_MYSQL_CONN_MAGIC;
	c->db = db;
	if (db->stmt_cache > 0) {
		c->slots = calloc(db->stmt_cache, sizeof(*c->slots));
		if (c->slots == NULL) {
			rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
			goto out_close_conn;
		}
	}
	c->h = mysql_init(NULL);
	if (c->h == NULL) {
		rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
		goto out_close_conn;
	}
	rc = my_options(db, c->h, err);
	if (rc != KEEL_OK)
		goto out_close_conn;

	if (db->has_password) {
		rc = db->host->secret_get(db->hctx, "password", pw, sizeof(pw),
		                          &pwlen);
		if (rc != KEEL_OK) {
			rc = keel_err_set(
			    err,
			    rc == KEEL_ERANGE ? KEEL_EINVAL : KEEL_EPRECOND,
			    "password: cannot read the secret "
			    "(%d%s)",
			    rc, rc == KEEL_ERANGE ? ", too long" : "");
			goto out_wipe;
		}
	}
	if (mysql_real_connect(
	        c->h, db->socket != NULL ? "localhost" : db->hostname, db->user,
	        db->has_password ? pw : NULL, db->database, db->port,
	        db->socket, CLIENT_FOUND_ROWS) == NULL) {
		no = mysql_errno(c->h);
		m = my_errmap_find(no);
		code = m != NULL ? m->code : KEEL_EINTERNAL;
		/* Other client-side failures are network trouble too. */
		if (m == NULL && no >= 2000 && no < 3000)
			code = KEEL_EAGAIN;
		rc = keel_err_set(err, code,
		                  "connect to %s as %s, database %s: %s "
		                  "(error %u)",
		                  db->addr, db->user, db->database,
		                  mysql_error(c->h), no);
		my_set_sys(err, no != 0 ? no : 2003);
		goto out_wipe;
	}
	rc = my_session(c, err);

out_wipe:
	/* volatile: the compiler may not skip a store to a dying buffer. */
	for (volatile char *p = pw; p < pw + sizeof(pw); p++)
		*p = 0;
	if (rc == KEEL_OK) {
		*out = c;
		return KEEL_OK;
	}
out_close_conn:
	my_conn_close(c);
	return rc;
}

/* ---------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------- */

static const struct keel_config_key my_config[] = {
    {
        .name = "host",
        .type = KEEL_CFG_STR,
        .def = "127.0.0.1",
        .help = "server host name or address (TCP)",
    },
    {
        .name = "port",
        .type = KEEL_CFG_INT,
        .flags = KEEL_CFG_F_RANGE,
        .def = "3306",
        .help = "server TCP port",
        .min = 1,
        .max = 65535,
    },
    {
        .name = "socket",
        .type = KEEL_CFG_PATH,
        .help = "unix socket to use instead of TCP; host and port are "
                "then ignored",
    },
    {
        .name = "user",
        .type = KEEL_CFG_STR,
        .def = "keel",
        .help = "user name",
    },
    {
        .name = "password",
        .type = KEEL_CFG_SECRET,
        .help = "password, from password_file or password_env; none if "
                "unset",
    },
    {
        .name = "database",
        .type = KEEL_CFG_STR,
        .def = "keel",
        .help = "database (schema); create it with CHARACTER SET utf8mb4",
    },
    {
        .name = "ssl_mode",
        .type = KEEL_CFG_STR,
        .def = "preferred",
        .help = "disabled, preferred, required, verify_ca or "
                "verify_identity",
    },
    {
        .name = "ssl_ca",
        .type = KEEL_CFG_PATH,
        .help = "CA certificates (PEM) to verify the server with",
    },
    {
        .name = "ssl_cert",
        .type = KEEL_CFG_PATH,
        .help = "client certificate (PEM), with ssl_key",
    },
    {
        .name = "ssl_key",
        .type = KEEL_CFG_PATH,
        .help = "client private key (PEM), with ssl_cert",
    },
    {
        .name = "connect_timeout",
        .type = KEEL_CFG_DURATION,
        .flags = KEEL_CFG_F_RANGE,
        .def = "5s",
        .help = "how long to wait for a connection",
        .min = 1000,
        .max = 3600000,
    },
    {
        .name = "read_timeout",
        .type = KEEL_CFG_DURATION,
        .flags = KEEL_CFG_F_RANGE,
        .def = "30s",
        .help = "how long to wait for the server; kept above "
                "statement_timeout; 0: forever",
        .min = 0,
        .max = 86400000,
    },
    {
        .name = "write_timeout",
        .type = KEEL_CFG_DURATION,
        .flags = KEEL_CFG_F_RANGE,
        .def = "30s",
        .help = "how long a write to the server may block; 0: forever",
        .min = 0,
        .max = 86400000,
    },
    {
        .name = "statement_timeout",
        .type = KEEL_CFG_DURATION,
        .flags = KEEL_CFG_F_RANGE,
        .def = "30s",
        .help = "server-side limit per statement (MySQL: SELECT only); "
                "0: none",
        .min = 0,
        .max = 86400000,
    },
    {
        .name = "statement_cache",
        .type = KEEL_CFG_INT,
        .flags = KEEL_CFG_F_RANGE,
        .def = "256",
        .help = "prepared statements cached per connection (LRU); 0: none",
        .min = 0,
        .max = MY_STMT_CACHE_MAX,
    },
    {.name = NULL},
};

static int my_create(const struct keel_host *host, void *hctx, void **self,
                     struct keel_err *err)
{
	struct my_db *db;
	int rc;

	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	rc = my_library_get(err);
	if (rc != KEEL_OK) {
		free(db);
		return rc;
	}
	db->magic = DB_MYSQL_MAGIC;
	db->host = host;
	db->hctx = hctx;
	*self = db;
	return KEEL_OK;
}

static int my_cfg_int(struct my_db *db, const struct keel_config *cfg,
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

/* A string key that must be set and not empty. */
static int my_cfg_str(struct my_db *db, const struct keel_config *cfg,
                      const char *key, size_t max, const char **out,
                      struct keel_err *err)
{
	int rc = db->host->cfg_str(cfg, key, out);

	if (rc == KEEL_OK && (*out)[0] == '\0')
		rc = KEEL_EINVAL;
	if (rc != KEEL_OK)
		return keel_err_set(err, rc, "config key %s: missing or empty",
		                    key);
	if (strlen(*out) > max)
		return keel_err_set(err, KEEL_EINVAL,
		                    "%s = \"%.40s...\": longer than %zu bytes",
		                    key, *out, max);
	return KEEL_OK;
}

/* An optional path key: NULL when unset or empty. */
static int my_cfg_opt(struct my_db *db, const struct keel_config *cfg,
                      const char *key, const char **out, struct keel_err *err)
{
	int rc = db->host->cfg_str(cfg, key, out);

	if (rc == KEEL_ENOTFOUND || (rc == KEEL_OK && (*out)[0] == '\0')) {
		*out = NULL;
		return KEEL_OK;
	}
	if (rc != KEEL_OK)
		return keel_err_set(err, rc, "config key %s: cannot read (%d)",
		                    key, rc);
	return KEEL_OK;
}

static unsigned my_ms_to_s(int64_t ms)
{
	return (unsigned)((ms + 999) / 1000);
}

static int my_configure(void *self, const struct keel_config *cfg,
                        struct keel_err *err)
{
	struct my_db *db = self;
	const struct keel_host *h = db->host;
	const char *mode = NULL;
	int64_t port, conn_ms, read_ms, write_ms, stmt_ms, stmts;
	char pw[MY_PASSWORD_MAX];
	size_t i, pwlen = 0;
	int rc;

	assert(db->magic == DB_MYSQL_MAGIC);
	/* Limits: host names 255, MySQL user names 80 (MariaDB) and
	 * database names 64. */
	if ((rc = my_cfg_str(db, cfg, "host", 255, &db->hostname, err)) !=
	        KEEL_OK ||
	    (rc = my_cfg_str(db, cfg, "user", 80, &db->user, err)) != KEEL_OK ||
	    (rc = my_cfg_str(db, cfg, "database", 64, &db->database, err)) !=
	        KEEL_OK ||
	    (rc = my_cfg_str(db, cfg, "ssl_mode", 32, &mode, err)) != KEEL_OK ||
	    (rc = my_cfg_opt(db, cfg, "socket", &db->socket, err)) != KEEL_OK ||
	    (rc = my_cfg_opt(db, cfg, "ssl_ca", &db->ssl_ca, err)) != KEEL_OK ||
	    (rc = my_cfg_opt(db, cfg, "ssl_cert", &db->ssl_cert, err)) !=
	        KEEL_OK ||
	    (rc = my_cfg_opt(db, cfg, "ssl_key", &db->ssl_key, err)) != KEEL_OK)
		return rc;

	db->ssl_mode = -1;
	for (i = 0; i < sizeof(my_ssl_modes) / sizeof(my_ssl_modes[0]); i++)
		if (strcasecmp(mode, my_ssl_modes[i]) == 0)
			db->ssl_mode = (int)i;
	if (db->ssl_mode < 0)
		return keel_err_set(err, KEEL_EINVAL,
		                    "ssl_mode = \"%s\": want disabled, "
		                    "preferred, required, verify_ca or "
		                    "verify_identity",
		                    mode);
	if ((db->ssl_cert == NULL) != (db->ssl_key == NULL))
		return keel_err_set(
		    err, KEEL_EINVAL,
		    "%s is set without %s: a client "
		    "certificate needs both",
		    db->ssl_cert != NULL ? "ssl_cert" : "ssl_key",
		    db->ssl_cert != NULL ? "ssl_key" : "ssl_cert");
	if (db->ssl_mode == MY_SSL_DISABLED &&
	    (db->ssl_ca != NULL || db->ssl_cert != NULL))
		return keel_err_set(err, KEEL_EINVAL,
		                    "%s is set, but ssl_mode = disabled",
		                    db->ssl_ca != NULL ? "ssl_ca" : "ssl_cert");

	if ((rc = my_cfg_int(db, cfg, "port", 1, 65535, &port, err)) !=
	        KEEL_OK ||
	    (rc = my_cfg_int(db, cfg, "connect_timeout", 1000, 3600000,
	                     &conn_ms, err)) != KEEL_OK ||
	    (rc = my_cfg_int(db, cfg, "read_timeout", 0, 86400000, &read_ms,
	                     err)) != KEEL_OK ||
	    (rc = my_cfg_int(db, cfg, "write_timeout", 0, 86400000, &write_ms,
	                     err)) != KEEL_OK ||
	    (rc = my_cfg_int(db, cfg, "statement_timeout", 0, 86400000,
	                     &stmt_ms, err)) != KEEL_OK ||
	    (rc = my_cfg_int(db, cfg, "statement_cache", 0, MY_STMT_CACHE_MAX,
	                     &stmts, err)) != KEEL_OK)
		return rc;
	/* A client timeout first would look like a lost connection, and the
	 * core would run the slow statement again. */
	if (read_ms != 0 && stmt_ms != 0 &&
	    read_ms < stmt_ms + MY_TIMEOUT_SLACK_MS)
		read_ms = stmt_ms + MY_TIMEOUT_SLACK_MS;
	db->port = (unsigned)port;
	db->connect_s = my_ms_to_s(conn_ms);
	db->read_s = my_ms_to_s(read_ms);
	db->write_s = my_ms_to_s(write_ms);
	db->stmt_timeout_ms = stmt_ms;
	db->stmt_cache = (size_t)stmts;

	/* Only whether it is there: conn_open reads it each time. */
	rc = h->secret_get(db->hctx, "password", pw, sizeof(pw), &pwlen);
	memset(pw, 0, sizeof(pw));
	if (rc == KEEL_OK)
		db->has_password = 1;
	else if (rc == KEEL_ERANGE)
		return keel_err_set(err, KEEL_EINVAL,
		                    "password: %zu bytes, longer than %d",
		                    pwlen, MY_PASSWORD_MAX - 1);
	else if (rc != KEEL_ENOTFOUND)
		return keel_err_set(err, rc, "password: cannot read (%d)", rc);

	if (db->socket != NULL)
		snprintf(db->addr, sizeof(db->addr), "unix:%s", db->socket);
	else if (strchr(db->hostname, ':') != NULL) /* IPv6 */
		snprintf(db->addr, sizeof(db->addr), "[%s]:%u", db->hostname,
		         db->port);
	else
		snprintf(db->addr, sizeof(db->addr), "%s:%u", db->hostname,
		         db->port);
	return KEEL_OK;
}

/* Row callback of the character set check: two TEXT columns. */
static int my_charset_row(void *arg, const struct keel_db_val *cols,
                          size_t ncols)
{
	char(*out)[64] = arg;
	size_t i;

	for (i = 0; i < ncols && i < 2; i++)
		if (cols[i].type == KEEL_DB_TEXT)
			snprintf(out[i], sizeof(out[i]), "%.*s",
			         (int)(cols[i].n < 63 ? cols[i].n : 63),
			         (const char *)cols[i].p);
	return 1;
}

/* Check the server and the database: open one connection, look, close. */
static int my_start(void *self, struct keel_err *err)
{
	struct my_db *db = self;
	struct keel_db_conn *c = NULL;
	char cs[2][64] = {"", ""};
	size_t n;
	int rc;

	assert(db->magic == DB_MYSQL_MAGIC);
	rc = my_conn_open(db, &c, err);
	if (rc != KEEL_OK)
		return rc;
	/* Tables take the database's character set: latin1 (MariaDB's
	 * default) cannot hold all of UTF-8. */
	rc =
	    my_query(c, "SELECT @@character_set_database, @@collation_database",
	             NULL, 0, my_charset_row, cs, err);
	if (rc == KEEL_OK && strcmp(cs[0], "utf8mb4") != 0)
		rc = keel_err_set(err, KEEL_EPRECOND,
		                  "database %s has character set %s: run "
		                  "ALTER DATABASE %s CHARACTER SET utf8mb4 "
		                  "COLLATE utf8mb4_bin before the first start",
		                  db->database, cs[0], db->database);
	if (rc != KEEL_OK) {
		my_conn_close(c);
		return rc;
	}
	n = strlen(cs[1]);
	if (n < 4 || strcmp(cs[1] + n - 4, "_bin") != 0)
		db->host->log(db->hctx, KEEL_LOG_WARN,
		              "database %s has collation %s, not utf8mb4_bin: "
		              "names that differ only in case or accents "
		              "collide",
		              db->database, cs[1]);
	db->host->log(
	    db->hctx, KEEL_LOG_INFO,
	    "database mysql://%s@%s/%s (%s %lu.%lu.%lu, TLS %s%s%s, "
	    "%zu cached statements per connection)",
	    db->user, db->addr, db->database, c->maria ? "MariaDB" : "MySQL",
	    c->version / 10000, c->version / 100 % 100, c->version % 100,
	    c->tls[0] != '\0' ? "on (" : "off", c->tls[0] != '\0' ? c->tls : "",
	    c->tls[0] != '\0' ? ")" : "", db->stmt_cache);
	my_conn_close(c);
	return KEEL_OK;
}

static void my_destroy(void *self)
{
	struct my_db *db = self;

	if (db == NULL)
		return;
	assert(db->magic == DB_MYSQL_MAGIC);
	db->magic = 0;
	free(db);
	my_library_put();
}

static const struct keel_db_ops my_ops = {
    .dialect = "mysql",
    .caps = KEEL_DB_CAP_UPSERT | KEEL_DB_CAP_SKIP_LOCKED,
    .placeholder = KEEL_DB_PH_QMARK,
    .conn_open = my_conn_open,
    .conn_close = my_conn_close,
    .exec = my_exec,
    .query = my_query,
    .begin = my_begin,
    .commit = my_commit,
    .rollback = my_rollback,
    .ping = my_ping,
};

static const struct keel_plugin my_plugin = {
    .magic = KEEL_PLUGIN_MAGIC,
    .abi_major = KEEL_ABI_MAJOR,
    .abi_minor = KEEL_ABI_MINOR,
    .size = sizeof(struct keel_plugin),
    .kind = KEEL_KIND_DB,
    .flags = KEEL_PLUGIN_F_THREADSAFE,
    .ops_size = sizeof(struct keel_db_ops),
    .config_key_size = sizeof(struct keel_config_key),
    .name = "mysql",
    .version = DB_MYSQL_VERSION,
    .description = "MySQL and MariaDB database driver (libmariadb)",
    .config = my_config,
    .create = my_create,
    .configure = my_configure,
    .start = my_start,
    .destroy = my_destroy,
    .ops = &my_ops,
};

KEEL_PLUGIN_DECLARE(my_plugin)
