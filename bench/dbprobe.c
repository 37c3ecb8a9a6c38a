/*
 * dbprobe.c -- the database-server limit probes; see dbprobe.h.
 *
 * The insert probe is sqlite-commit's op on a server: one prepared
 * INSERT of an execution-shaped row in autocommit mode, so every row is
 * one commit (durable as the server is configured: run.sh starts it with
 * synchronous commits).  N client threads, a connection each, closed
 * loop.  The select probe reads one of those rows back by primary key
 * (every column, the closure included), keys drawn at random.
 *
 * The connections are made as Keel's drivers make theirs (TCP, the
 * library's default TLS preference, utf8mb4 for MariaDB) but carry only
 * the two statements: no pool, no transaction control, no statement
 * cache lookup.  That is the point: the figure is the server's.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbprobe.h"
#include "drivers.h"

#ifdef FABENCH_HAVE_LIBPQ
#include <libpq-fe.h>
#endif
#ifdef FABENCH_HAVE_MARIADB
#include <mysql.h>
#endif

#define DBP_BLOB    1024 /* the row's closure, as sqlite-commit's */
#define DBP_PROJECT "bench-exec"
#define DBP_DOMAIN  "development"
#define DBP_PHASE   "UNDEFINED"

enum dbp_kind { DBP_POSTGRES, DBP_MYSQL };

struct dbprobe {
	/* The probes' targets: the drivers find the probe from them. */
	struct target t_ins, t_sel;
	enum dbp_kind kind;
	char host[256], user[128], database[128], password[256];
	int port;
	char table[64]; /* empty: none made */
	char server[256], settings[640];
	void *admin; /* the set-up connection: keys, the final DROP */
	atomic_ullong seq; /* row names */
	atomic_llong key_lo, key_hi;
	uint8_t blob[DBP_BLOB];
};

#define DBP_FROM(t, member)                                                    \
	((struct dbprobe *)(void *)((char *)(t) -                              \
	                            offsetof(struct dbprobe, member)))

const char *dbprobe_kinds(void)
{
#if defined(FABENCH_HAVE_LIBPQ) && defined(FABENCH_HAVE_MARIADB)
	return "postgres mysql";
#elif defined(FABENCH_HAVE_LIBPQ)
	return "postgres";
#elif defined(FABENCH_HAVE_MARIADB)
	return "mysql";
#else
	return "";
#endif
}

const char *dbprobe_unavailable(const char *kind)
{
	if (strcmp(kind, "postgres") == 0) {
#ifdef FABENCH_HAVE_LIBPQ
		return NULL;
#else
		return "fabench was built without libpq (configure did not "
		       "find it)";
#endif
	}
	if (strcmp(kind, "mysql") == 0) {
#ifdef FABENCH_HAVE_MARIADB
		return NULL;
#else
		return "fabench was built without libmariadb (configure did "
		       "not find it)";
#endif
	}
	return "unknown database kind (want postgres or mysql)";
}

const char *dbprobe_name(const struct dbprobe *p, int select)
{
	if (p->kind == DBP_POSTGRES)
		return select ? "pg-select" : "pg-insert";
	return select ? "mysql-select" : "mysql-insert";
}

const char *dbprobe_server(const struct dbprobe *p)
{
	return p->server;
}

const char *dbprobe_settings(const struct dbprobe *p)
{
	return p->settings;
}

const struct target *dbprobe_target(struct dbprobe *p, int select)
{
	return select ? &p->t_sel : &p->t_ins;
}

#if defined(FABENCH_HAVE_LIBPQ) || defined(FABENCH_HAVE_MARIADB)
#define DBP_ANY 1
#endif

#ifdef DBP_ANY
/* Milliseconds since the epoch, as the row's created_at. */
static long long dbp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A random key in [lo, hi] (xorshift; per-thread state). */
static long long dbp_key(struct dbprobe *p, uint64_t *rng)
{
	long long lo = atomic_load(&p->key_lo), hi = atomic_load(&p->key_hi);
	uint64_t x = *rng;

	x ^= x << 13, x ^= x >> 7, x ^= x << 17;
	*rng = x;
	return lo + (long long)(x % (uint64_t)(hi - lo + 1));
}

static uint64_t dbp_seed(const void *where)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)where) | 1;
}

#endif /* DBP_ANY */

/* "k=v k=v" or "k=v;k=v" into p; the password from password_file. */
static int dbp_parse(struct dbprobe *p, const char *conn, char *err,
                     size_t errlen)
{
	char pwfile[512] = "";
	const char *s = conn;

	snprintf(p->host, sizeof(p->host), "127.0.0.1");
	snprintf(p->user, sizeof(p->user), "keel");
	snprintf(p->database, sizeof(p->database), "keel");
	p->port = p->kind == DBP_POSTGRES ? 5432 : 3306;
	while (*s) {
		const char *k, *eq, *v, *end;
		size_t kl, vl;
		char *dst = NULL;
		size_t dstlen = 0;

		while (*s == ' ' || *s == '\t' || *s == ';' || *s == '\n')
			s++;
		if (*s == '\0')
			break;
		k = s;
		end = s + strcspn(s, " \t;\n");
		eq = memchr(k, '=', (size_t)(end - k));
		if (eq == NULL) {
			snprintf(err, errlen, "--probe-conn: want KEY=VALUE, "
			                      "got '%.*s'",
			         (int)(end - k), k);
			return -1;
		}
		kl = (size_t)(eq - k);
		v = eq + 1;
		vl = (size_t)(end - v);
		s = end;
		if (kl == 4 && strncmp(k, "host", 4) == 0)
			dst = p->host, dstlen = sizeof(p->host);
		else if (kl == 4 && strncmp(k, "user", 4) == 0)
			dst = p->user, dstlen = sizeof(p->user);
		else if (kl == 8 && strncmp(k, "database", 8) == 0)
			dst = p->database, dstlen = sizeof(p->database);
		else if (kl == 13 && strncmp(k, "password_file", 13) == 0)
			dst = pwfile, dstlen = sizeof(pwfile);
		if (dst != NULL) {
			if (vl >= dstlen) {
				snprintf(err, errlen,
				         "--probe-conn: %.*s is too long",
				         (int)kl, k);
				return -1;
			}
			memcpy(dst, v, vl);
			dst[vl] = '\0';
		} else if (kl == 4 && strncmp(k, "port", 4) == 0) {
			char num[16];
			snprintf(num, sizeof(num), "%.*s", (int)vl, v);
			p->port = atoi(num);
			if (p->port < 1 || p->port > 65535) {
				snprintf(err, errlen,
				         "--probe-conn: bad port '%s'", num);
				return -1;
			}
		} else {
			snprintf(err, errlen,
			         "--probe-conn: unknown key '%.*s' (want host, "
			         "port, user, password_file, database)",
			         (int)kl, k);
			return -1;
		}
	}
	if (pwfile[0]) {
		FILE *f = fopen(pwfile, "r");
		size_t n;

		if (f == NULL) {
			snprintf(err, errlen, "password_file %.200s: %s",
			         pwfile, strerror(errno));
			return -1;
		}
		n = fread(p->password, 1, sizeof(p->password) - 1, f);
		fclose(f);
		p->password[n] = '\0';
		/* One trailing newline is the file's, not the password's. */
		if (n > 0 && p->password[n - 1] == '\n')
			p->password[--n] = '\0';
		if (n > 0 && p->password[n - 1] == '\r')
			p->password[--n] = '\0';
	}
	return 0;
}

#ifdef DBP_ANY
/* Append "name=value" to the settings line. */
static void dbp_setting(struct dbprobe *p, const char *name, const char *v)
{
	size_t n = strlen(p->settings);

	snprintf(p->settings + n, sizeof(p->settings) - n, "%s%s=%s",
	         n ? " " : "", name, v ? v : "?");
}

#endif /* DBP_ANY */

/* ---- PostgreSQL --------------------------------------------------------- */

#ifdef FABENCH_HAVE_LIBPQ

/* The settings that decide what a commit costs, and the pool's room. */
static const char *const pg_settings[] = {
    "fsync",        "synchronous_commit", "full_page_writes",
    "wal_sync_method", "commit_delay",    "shared_buffers",
    "max_wal_size", "max_connections",    NULL,
};

static PGconn *pg_connect(const struct dbprobe *p, char *err, size_t errlen)
{
	char port[16];
	const char *kw[] = {"host",     "port",   "user",
	                    "password", "dbname", "application_name",
	                    NULL};
	const char *val[] = {p->host,     port,      p->user,
	                     p->password, p->database, "fabench",
	                     NULL};
	PGconn *c;

	snprintf(port, sizeof(port), "%d", p->port);
	c = PQconnectdbParams(kw, val, 0);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "postgres://%s@%s:%d/%s: %s", p->user,
		         p->host, p->port, p->database,
		         c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Run sql (no result rows wanted); 0, or -1 with err. */
static int pg_exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	         PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(err, errlen, "%.60s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

static int pg_admin_open(struct dbprobe *p, const char *table, char *err,
                         size_t errlen)
{
	PGconn *c = pg_connect(p, err, errlen);
	char sql[512];
	PGresult *r;

	if (c == NULL)
		return -1;
	p->admin = c;
	r = PQexec(c, "SELECT current_setting('server_version')");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		snprintf(p->server, sizeof(p->server), "PostgreSQL %s",
		         PQgetvalue(r, 0, 0));
	PQclear(r);
	for (size_t i = 0; pg_settings[i] != NULL; i++) {
		snprintf(sql, sizeof(sql), "SHOW %s", pg_settings[i]);
		r = PQexec(c, sql);
		dbp_setting(p, pg_settings[i],
		            PQresultStatus(r) == PGRES_TUPLES_OK &&
		                    PQntuples(r) == 1
		                ? PQgetvalue(r, 0, 0)
		                : NULL);
		PQclear(r);
	}
	dbp_setting(p, "tls", PQsslInUse(c) ? "on" : "off");
	if (table == NULL)
		return 0;
	/* The column types of Keel's own migrations (core/migrate.c). */
	snprintf(sql, sizeof(sql),
	         "CREATE TABLE %s ("
	         "id BIGSERIAL PRIMARY KEY, "
	         "project VARCHAR(63) NOT NULL, domain VARCHAR(63) NOT NULL, "
	         "name VARCHAR(63) NOT NULL, phase VARCHAR(16) NOT NULL, "
	         "created_at BIGINT NOT NULL, closure BYTEA, "
	         "UNIQUE (project, domain, name))",
	         table);
	if (pg_exec(c, sql, err, errlen) != 0)
		return -1;
	snprintf(p->table, sizeof(p->table), "%s", table);
	return 0;
}

static int pg_keys(struct dbprobe *p, long long *lo, long long *hi,
                   long long *n, char *err, size_t errlen)
{
	char sql[256];
	PGresult *r;
	int rc = -1;

	snprintf(sql, sizeof(sql),
	         "SELECT coalesce(min(id), 0), coalesce(max(id), 0), "
	         "count(*) FROM %s",
	         p->table);
	r = PQexec(p->admin, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*lo = atoll(PQgetvalue(r, 0, 0));
		*hi = atoll(PQgetvalue(r, 0, 1));
		*n = atoll(PQgetvalue(r, 0, 2));
		rc = 0;
	} else {
		snprintf(err, errlen, "%s: %s", p->table,
		         PQerrorMessage(p->admin));
	}
	PQclear(r);
	return rc;
}

struct pg_st {
	struct dbprobe *p;
	PGconn *c;
	uint64_t rng;
	char name[32], created[24], key[24];
};

static void pg_close_st(void *arg)
{
	struct pg_st *s = arg;

	if (s == NULL)
		return;
	PQfinish(s->c);
	free(s);
}

static void *pg_open_st(struct dbprobe *p, int select, char *err,
                        size_t errlen)
{
	/* text, int8, bytea: the types Keel's driver declares too. */
	static const Oid ins_types[] = {25, 25, 25, 25, 20, 17};
	static const Oid sel_types[] = {20};
	struct pg_st *s = calloc(1, sizeof(*s));
	char sql[512];
	PGresult *r;
	int ok;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->p = p;
	s->rng = dbp_seed(s);
	if ((s->c = pg_connect(p, err, errlen)) == NULL)
		goto fail;
	if (select)
		snprintf(sql, sizeof(sql),
		         "SELECT id, project, domain, name, phase, created_at, "
		         "closure FROM %s WHERE id = $1",
		         p->table);
	else
		snprintf(sql, sizeof(sql),
		         "INSERT INTO %s (project, domain, name, phase, "
		         "created_at, closure) VALUES ($1, $2, $3, $4, $5, $6)",
		         p->table);
	r = PQprepare(s->c, "fabench", sql, select ? 1 : 6,
	              select ? sel_types : ins_types);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (ok)
		return s;
	snprintf(err, errlen, "prepare: %s", PQerrorMessage(s->c));
fail:
	pg_close_st(s);
	return NULL;
}

/* One row, one commit (autocommit). */
static int pg_insert_op(struct pg_st *s, char *err, size_t errlen)
{
	struct dbprobe *p = s->p;
	const char *v[6];
	int len[6], fmt[6] = {1, 1, 1, 1, 0, 1};
	PGresult *r;
	int ok;

	len[2] = snprintf(s->name, sizeof(s->name), "p%llu",
	                  (unsigned long long)atomic_fetch_add(&p->seq, 1));
	snprintf(s->created, sizeof(s->created), "%lld", dbp_now_ms());
	v[0] = DBP_PROJECT, len[0] = (int)strlen(DBP_PROJECT);
	v[1] = DBP_DOMAIN, len[1] = (int)strlen(DBP_DOMAIN);
	v[2] = s->name;
	v[3] = DBP_PHASE, len[3] = (int)strlen(DBP_PHASE);
	v[4] = s->created, len[4] = 0;
	v[5] = (const char *)p->blob, len[5] = DBP_BLOB;
	r = PQexecPrepared(s->c, "fabench", 6, v, len, fmt, 1);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK &&
	     strcmp(PQcmdTuples(r), "1") == 0;
	if (!ok)
		snprintf(err, errlen, "%s: %s", dbprobe_name(p, 0),
		         PQerrorMessage(s->c));
	PQclear(r);
	return ok ? 0 : -1;
}

/* One row by key, every column in binary, as Keel's driver reads. */
static int pg_select_op(struct pg_st *s, char *err, size_t errlen)
{
	const char *v[1] = {s->key};
	long long k = dbp_key(s->p, &s->rng);
	PGresult *r;
	int rc = -1;

	snprintf(s->key, sizeof(s->key), "%lld", k);
	r = PQexecPrepared(s->c, "fabench", 1, v, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		snprintf(err, errlen, "%s: %s", dbprobe_name(s->p, 1),
		         PQerrorMessage(s->c));
	else if (PQntuples(r) != 1 || PQgetlength(r, 0, 6) != DBP_BLOB)
		snprintf(err, errlen, "%s: key %lld: %d rows",
		         dbprobe_name(s->p, 1), k, PQntuples(r));
	else
		rc = 0;
	PQclear(r);
	return rc;
}

#endif /* FABENCH_HAVE_LIBPQ */

/* ---- MariaDB / MySQL ---------------------------------------------------- */

#ifdef FABENCH_HAVE_MARIADB

static const char *const my_settings[] = {
    "innodb_flush_log_at_trx_commit",
    "sync_binlog",
    "log_bin",
    "innodb_flush_method",
    "innodb_doublewrite",
    "innodb_buffer_pool_size",
    "innodb_log_file_size",
    "innodb_autoinc_lock_mode",
    "max_connections",
    NULL,
};

/* As Keel's driver connects: TCP, utf8mb4, no silent reconnect,
 * CLIENT_FOUND_ROWS; autocommit on, so each INSERT is its commit. */
static MYSQL *my_connect(const struct dbprobe *p, char *err, size_t errlen)
{
	unsigned int proto = MYSQL_PROTOCOL_TCP;
	my_bool no = 0;
	MYSQL *h = mysql_init(NULL);

	if (h == NULL) {
		snprintf(err, errlen, "mysql_init: out of memory");
		return NULL;
	}
	mysql_options(h, MYSQL_OPT_PROTOCOL, &proto);
	mysql_options(h, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(h, MYSQL_OPT_RECONNECT, &no);
	if (mysql_real_connect(h, p->host, p->user,
	                       p->password[0] ? p->password : NULL,
	                       p->database, (unsigned)p->port, NULL,
	                       CLIENT_FOUND_ROWS) == NULL ||
	    mysql_autocommit(h, 1) != 0) {
		snprintf(err, errlen, "mysql://%s@%s:%d/%s: %s", p->user,
		         p->host, p->port, p->database, mysql_error(h));
		mysql_close(h);
		return NULL;
	}
	return h;
}

/* The first column of the one-row result of sql into buf ("" if none). */
static int my_value(MYSQL *h, const char *sql, char *buf, size_t len)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	buf[0] = '\0';
	if (mysql_query(h, sql) != 0 || (res = mysql_store_result(h)) == NULL)
		return -1;
	row = mysql_fetch_row(res);
	if (row != NULL && row[0] != NULL)
		snprintf(buf, len, "%s", row[0]);
	mysql_free_result(res);
	return row != NULL ? 0 : -1;
}

static int my_admin_open(struct dbprobe *p, const char *table, char *err,
                         size_t errlen)
{
	static int inited;
	char sql[512], v[128];
	MYSQL *h;

	/* Not thread-safe: once, before any client thread. */
	if (!inited) {
		if (mysql_library_init(0, NULL, NULL) != 0) {
			snprintf(err, errlen, "mysql_library_init failed");
			return -1;
		}
		inited = 1;
	}
	if ((h = my_connect(p, err, errlen)) == NULL)
		return -1;
	p->admin = h;
	if (my_value(h, "SELECT VERSION()", v, sizeof(v)) == 0)
		snprintf(p->server, sizeof(p->server), "%s %s",
		         strstr(v, "MariaDB") ? "MariaDB" : "MySQL", v);
	for (size_t i = 0; my_settings[i] != NULL; i++) {
		snprintf(sql, sizeof(sql), "SELECT @@%s", my_settings[i]);
		dbp_setting(p, my_settings[i],
		            my_value(h, sql, v, sizeof(v)) == 0 ? v : NULL);
	}
	dbp_setting(p, "tls", mysql_get_ssl_cipher(h) ? "on" : "off");
	if (table == NULL)
		return 0;
	snprintf(sql, sizeof(sql),
	         "CREATE TABLE %s ("
	         "id BIGINT AUTO_INCREMENT PRIMARY KEY, "
	         "project VARCHAR(63) NOT NULL, domain VARCHAR(63) NOT NULL, "
	         "name VARCHAR(63) NOT NULL, phase VARCHAR(16) NOT NULL, "
	         "created_at BIGINT NOT NULL, closure LONGBLOB, "
	         "UNIQUE (project, domain, name)) "
	         "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
	         table);
	if (mysql_query(h, sql) != 0) {
		snprintf(err, errlen, "CREATE TABLE %s: %s", table,
		         mysql_error(h));
		return -1;
	}
	snprintf(p->table, sizeof(p->table), "%s", table);
	return 0;
}

static int my_keys(struct dbprobe *p, long long *lo, long long *hi,
                   long long *n, char *err, size_t errlen)
{
	char sql[256];
	MYSQL_RES *res;
	MYSQL_ROW row;
	int rc = -1;

	snprintf(sql, sizeof(sql),
	         "SELECT coalesce(min(id), 0), coalesce(max(id), 0), "
	         "count(*) FROM %s",
	         p->table);
	if (mysql_query(p->admin, sql) != 0 ||
	    (res = mysql_store_result(p->admin)) == NULL) {
		snprintf(err, errlen, "%s: %s", p->table,
		         mysql_error(p->admin));
		return -1;
	}
	row = mysql_fetch_row(res);
	if (row != NULL && row[0] && row[1] && row[2]) {
		*lo = atoll(row[0]);
		*hi = atoll(row[1]);
		*n = atoll(row[2]);
		rc = 0;
	} else {
		snprintf(err, errlen, "%s: no row", p->table);
	}
	mysql_free_result(res);
	return rc;
}

#define MY_TXT 64 /* the text columns are VARCHAR(63) */

struct my_st {
	struct dbprobe *p;
	MYSQL *h;
	MYSQL_STMT *st;
	uint64_t rng;
	MYSQL_BIND in[6], out[7];
	/* insert's parameters */
	char name[32];
	unsigned long lens[6];
	long long created;
	/* select's parameter and result */
	long long key, r_id, r_created;
	char r_txt[4][MY_TXT];
	unsigned char r_blob[DBP_BLOB * 2];
	unsigned long r_len[7];
	my_bool r_null[7], r_err[7];
};

static void my_close_st(void *arg)
{
	struct my_st *s = arg;

	if (s == NULL)
		return;
	if (s->st != NULL)
		mysql_stmt_close(s->st);
	mysql_close(s->h);
	mysql_thread_end();
	free(s);
}

static void my_bind_str(MYSQL_BIND *b, const void *buf, unsigned long *len)
{
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)buf;
	b->buffer_length = *len;
	b->length = len;
}

static void *my_open_st(struct dbprobe *p, int select, char *err,
                        size_t errlen)
{
	struct my_st *s = calloc(1, sizeof(*s));
	char sql[512];

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mysql_thread_init();
	s->p = p;
	s->rng = dbp_seed(s);
	if ((s->h = my_connect(p, err, errlen)) == NULL)
		goto fail;
	if (select)
		snprintf(sql, sizeof(sql),
		         "SELECT id, project, domain, name, phase, created_at, "
		         "closure FROM %s WHERE id = ?",
		         p->table);
	else
		snprintf(sql, sizeof(sql),
		         "INSERT INTO %s (project, domain, name, phase, "
		         "created_at, closure) VALUES (?, ?, ?, ?, ?, ?)",
		         p->table);
	if ((s->st = mysql_stmt_init(s->h)) == NULL ||
	    mysql_stmt_prepare(s->st, sql, strlen(sql)) != 0)
		goto stmt_fail;
	if (!select) {
		s->lens[0] = strlen(DBP_PROJECT);
		s->lens[1] = strlen(DBP_DOMAIN);
		s->lens[2] = sizeof(s->name);
		s->lens[3] = strlen(DBP_PHASE);
		s->lens[5] = DBP_BLOB;
		my_bind_str(&s->in[0], DBP_PROJECT, &s->lens[0]);
		my_bind_str(&s->in[1], DBP_DOMAIN, &s->lens[1]);
		my_bind_str(&s->in[2], s->name, &s->lens[2]);
		my_bind_str(&s->in[3], DBP_PHASE, &s->lens[3]);
		s->in[4].buffer_type = MYSQL_TYPE_LONGLONG;
		s->in[4].buffer = &s->created;
		my_bind_str(&s->in[5], p->blob, &s->lens[5]);
		s->in[5].buffer_type = MYSQL_TYPE_BLOB;
		if (mysql_stmt_bind_param(s->st, s->in) != 0)
			goto stmt_fail;
		return s;
	}
	s->in[0].buffer_type = MYSQL_TYPE_LONGLONG;
	s->in[0].buffer = &s->key;
	for (int i = 0; i < 7; i++) {
		MYSQL_BIND *b = &s->out[i];
		b->length = &s->r_len[i];
		b->is_null = &s->r_null[i];
		b->error = &s->r_err[i];
		if (i == 0 || i == 5) {
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = i == 0 ? &s->r_id : &s->r_created;
		} else if (i == 6) {
			b->buffer_type = MYSQL_TYPE_BLOB;
			b->buffer = s->r_blob;
			b->buffer_length = sizeof(s->r_blob);
		} else {
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = s->r_txt[i - 1];
			b->buffer_length = MY_TXT;
		}
	}
	if (mysql_stmt_bind_param(s->st, s->in) != 0 ||
	    mysql_stmt_bind_result(s->st, s->out) != 0)
		goto stmt_fail;
	return s;
stmt_fail:
	snprintf(err, errlen, "prepare: %s",
	         s->st ? mysql_stmt_error(s->st) : mysql_error(s->h));
fail:
	my_close_st(s);
	return NULL;
}

static int my_insert_op(struct my_st *s, char *err, size_t errlen)
{
	struct dbprobe *p = s->p;

	s->lens[2] = (unsigned long)snprintf(
	    s->name, sizeof(s->name), "p%llu",
	    (unsigned long long)atomic_fetch_add(&p->seq, 1));
	s->created = dbp_now_ms();
	if (mysql_stmt_execute(s->st) != 0) {
		snprintf(err, errlen, "%s: %s", dbprobe_name(p, 0),
		         mysql_stmt_error(s->st));
		return -1;
	}
	if (mysql_stmt_affected_rows(s->st) != 1) {
		snprintf(err, errlen, "%s: %llu rows inserted",
		         dbprobe_name(p, 0),
		         (unsigned long long)mysql_stmt_affected_rows(s->st));
		return -1;
	}
	return 0;
}

/* The result buffered on the client first, as Keel's driver does. */
static int my_select_op(struct my_st *s, char *err, size_t errlen)
{
	int rows = 0, rc;

	s->key = dbp_key(s->p, &s->rng);
	if (mysql_stmt_execute(s->st) != 0 ||
	    mysql_stmt_store_result(s->st) != 0) {
		snprintf(err, errlen, "%s: %s", dbprobe_name(s->p, 1),
		         mysql_stmt_error(s->st));
		return -1;
	}
	while ((rc = mysql_stmt_fetch(s->st)) == 0)
		rows++;
	mysql_stmt_free_result(s->st);
	if (rc != MYSQL_NO_DATA) {
		snprintf(err, errlen, "%s: fetch: %s", dbprobe_name(s->p, 1),
		         rc == MYSQL_DATA_TRUNCATED ? "truncated"
		                                    : mysql_stmt_error(s->st));
		return -1;
	}
	if (rows != 1 || s->r_len[6] != DBP_BLOB) {
		snprintf(err, errlen, "%s: key %lld: %d rows",
		         dbprobe_name(s->p, 1), s->key, rows);
		return -1;
	}
	return 0;
}

#endif /* FABENCH_HAVE_MARIADB */

/* ---- the probe and its drivers ------------------------------------------ */

int dbprobe_open(const char *kind, const char *conn, const char *table,
                 struct dbprobe **out, char *err, size_t errlen)
{
	const char *why = dbprobe_unavailable(kind);
	struct dbprobe *p;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int rc = -1;

	*out = NULL;
	if (why != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->kind = strcmp(kind, "postgres") == 0 ? DBP_POSTGRES : DBP_MYSQL;
	/* Incompressible bytes, like a packed closure (sqlite-commit's). */
	for (size_t i = 0; i < sizeof(p->blob); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p->blob[i] = (uint8_t)x;
	}
	atomic_init(&p->seq, 0);
	atomic_init(&p->key_lo, 1);
	atomic_init(&p->key_hi, 1);
	if (table != NULL) {
		for (const char *c = table; *c; c++)
			if (!islower((unsigned char)*c) &&
			    !isdigit((unsigned char)*c) && *c != '_') {
				snprintf(err, errlen, "bad table name %s",
				         table);
				goto out;
			}
	}
	if (dbp_parse(p, conn ? conn : "", err, errlen) != 0)
		goto out;
#ifdef FABENCH_HAVE_LIBPQ
	if (p->kind == DBP_POSTGRES)
		rc = pg_admin_open(p, table, err, errlen);
#endif
#ifdef FABENCH_HAVE_MARIADB
	if (p->kind == DBP_MYSQL)
		rc = my_admin_open(p, table, err, errlen);
#endif
out:
	if (rc != 0) {
		dbprobe_close(p);
		return -1;
	}
	*out = p;
	return 0;
}

void dbprobe_close(struct dbprobe *p)
{
	char sql[128];

	if (p == NULL)
		return;
	snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", p->table);
#ifdef FABENCH_HAVE_LIBPQ
	if (p->kind == DBP_POSTGRES && p->admin != NULL) {
		char err[256];
		if (p->table[0] && pg_exec(p->admin, sql, err, sizeof(err)))
			fprintf(stderr, "fabench: %s\n", err);
		PQfinish(p->admin);
	}
#endif
#ifdef FABENCH_HAVE_MARIADB
	if (p->kind == DBP_MYSQL && p->admin != NULL) {
		if (p->table[0] && mysql_query(p->admin, sql) != 0)
			fprintf(stderr, "fabench: %s: %s\n", sql,
			        mysql_error(p->admin));
		mysql_close(p->admin);
	}
#endif
	(void)sql;
	memset(p->password, 0, sizeof(p->password));
	free(p);
}

int dbprobe_keys(struct dbprobe *p, uint64_t *rows, char *err, size_t errlen)
{
	long long lo = 0, hi = 0, n = 0;
	int rc = -1;

	*rows = 0;
	if (!p->table[0]) {
		snprintf(err, errlen, "no scratch table");
		return -1;
	}
#ifdef FABENCH_HAVE_LIBPQ
	if (p->kind == DBP_POSTGRES)
		rc = pg_keys(p, &lo, &hi, &n, err, errlen);
#endif
#ifdef FABENCH_HAVE_MARIADB
	if (p->kind == DBP_MYSQL)
		rc = my_keys(p, &lo, &hi, &n, err, errlen);
#endif
	if (rc != 0)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "%s: the insert probe wrote no rows yet",
		         dbprobe_name(p, 1));
		return -1;
	}
	/* Every key must hit, or a miss would be a cheaper op. */
	if (hi - lo + 1 != n) {
		snprintf(err, errlen, "%s: keys %lld..%lld hold %lld rows",
		         dbprobe_name(p, 1), lo, hi, n);
		return -1;
	}
	atomic_store(&p->key_lo, lo);
	atomic_store(&p->key_hi, hi);
	*rows = (uint64_t)n;
	return 0;
}

static void *dbp_open(struct dbprobe *p, int select, char *err, size_t errlen)
{
#ifdef FABENCH_HAVE_LIBPQ
	if (p->kind == DBP_POSTGRES)
		return pg_open_st(p, select, err, errlen);
#endif
#ifdef FABENCH_HAVE_MARIADB
	if (p->kind == DBP_MYSQL)
		return my_open_st(p, select, err, errlen);
#endif
	(void)p, (void)select;
	snprintf(err, errlen, "fabench was built without this client library");
	return NULL;
}

static void *dbp_ins_open(const struct target *t, char *err, size_t errlen)
{
	return dbp_open(DBP_FROM(t, t_ins), 0, err, errlen);
}

static void *dbp_sel_open(const struct target *t, char *err, size_t errlen)
{
	return dbp_open(DBP_FROM(t, t_sel), 1, err, errlen);
}

#ifdef DBP_ANY
/* The state's first member is its probe, for both libraries. */
static int dbp_kind_of(void *st)
{
	return (int)(*(struct dbprobe **)st)->kind;
}
#endif

static int dbp_ins_op(void *st, const struct target *t, char *err,
                      size_t errlen)
{
	(void)t;
#ifdef FABENCH_HAVE_LIBPQ
	if (dbp_kind_of(st) == DBP_POSTGRES)
		return pg_insert_op(st, err, errlen);
#endif
#ifdef FABENCH_HAVE_MARIADB
	if (dbp_kind_of(st) == DBP_MYSQL)
		return my_insert_op(st, err, errlen);
#endif
	(void)st;
	snprintf(err, errlen, "no client library");
	return -1;
}

static int dbp_sel_op(void *st, const struct target *t, char *err,
                      size_t errlen)
{
	(void)t;
#ifdef FABENCH_HAVE_LIBPQ
	if (dbp_kind_of(st) == DBP_POSTGRES)
		return pg_select_op(st, err, errlen);
#endif
#ifdef FABENCH_HAVE_MARIADB
	if (dbp_kind_of(st) == DBP_MYSQL)
		return my_select_op(st, err, errlen);
#endif
	(void)st;
	snprintf(err, errlen, "no client library");
	return -1;
}

static void dbp_close(void *st)
{
	if (st == NULL)
		return;
#ifdef FABENCH_HAVE_LIBPQ
	if (dbp_kind_of(st) == DBP_POSTGRES) {
		pg_close_st(st);
		return;
	}
#endif
#ifdef FABENCH_HAVE_MARIADB
	if (dbp_kind_of(st) == DBP_MYSQL) {
		my_close_st(st);
		return;
	}
#endif
}

const struct driver driver_db_insert = {"db-insert", dbp_ins_open, dbp_ins_op,
                                        dbp_close};
const struct driver driver_db_select = {"db-select", dbp_sel_open, dbp_sel_op,
                                        dbp_close};
