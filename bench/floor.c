/*
 * floor.c -- the database floor of a request; see floor.h.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drivers.h"
#include "floor.h"
#include "inproc.h"

#define FLOOR_MAX_STMTS 8
#define FLOOR_MAX_ARGS  300

struct floor_val {
	int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL */
	long long i;
	double r;
	char *p; /* text, owned */
	size_t n;
};

struct floor_stmt {
	char *sql; /* owned */
	struct floor_val *args; /* owned, nargs of them */
	int nargs;
	long long rows; /* what the server's run of it returned */
};

struct floor {
	char *path; /* owned */
	size_t n;
	struct floor_stmt st[FLOOR_MAX_STMTS];
};

static void floor_stmt_clear(struct floor_stmt *s)
{
	for (int i = 0; i < s->nargs; i++)
		free(s->args[i].p);
	free(s->args);
	free(s->sql);
	memset(s, 0, sizeof(*s));
}

void floor_free(struct floor *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		floor_stmt_clear(&f->st[i]);
	free(f->path);
	free(f);
}

size_t floor_nstmts(const struct floor *f)
{
	return f->n;
}

const char *floor_sql(const struct floor *f, size_t i)
{
	return i < f->n ? f->st[i].sql : NULL;
}

#ifdef FABENCH_SQLITE
#include <sqlite3.h>

/* ---- capture ------------------------------------------------------------ */

static struct {
	pthread_mutex_t mu;
	int on;
	char path[PATH_MAX]; /* only statements on this file count */
	struct floor *f;
	int bad; /* a statement that could not be kept: the capture fails */
	char err[200];
	/* The statement kept last, whose SQLITE_TRACE_ROW rows count. */
	struct floor_stmt *last;
	const sqlite3_stmt *last_st;
} floor_cap = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Transaction control and settings: the db layer's, not the query's. */
static int floor_is_tx(const char *sql)
{
	static const char *const words[] = {"BEGIN", "COMMIT", "ROLLBACK",
	                                    "END", "SAVEPOINT", "RELEASE",
	                                    "PRAGMA"};

	while (isspace((unsigned char)*sql))
		sql++;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);
		if (strncasecmp(sql, words[i], n) == 0 &&
		    !isalnum((unsigned char)sql[n]))
			return 1;
	}
	return 0;
}

/* One literal of sqlite3_expanded_sql() at *xp into v; 0 or -1. */
static int floor_literal(const char **xp, struct floor_val *v)
{
	const char *x = *xp;
	char *end;

	memset(v, 0, sizeof(*v));
	if (strncmp(x, "NULL", 4) == 0) {
		v->type = SQLITE_NULL;
		*xp = x + 4;
		return 0;
	}
	if (*x == '\'') {
		/* SQLite doubles the quotes inside. */
		size_t cap = strlen(x), n = 0;
		v->p = malloc(cap + 1);
		if (v->p == NULL)
			return -1;
		for (x++;; x++) {
			if (*x == '\0')
				return -1;
			if (*x == '\'') {
				if (x[1] != '\'')
					break;
				x++;
			}
			v->p[n++] = *x;
		}
		v->p[n] = '\0';
		v->n = n;
		v->type = SQLITE_TEXT;
		*xp = x + 1;
		return 0;
	}
	if (*x == '-' || isdigit((unsigned char)*x)) {
		size_t k = strspn(x + 1, "0123456789");
		if (strchr(".eE", x[1 + k]) != NULL && x[1 + k] != '\0') {
			v->type = SQLITE_FLOAT;
			v->r = strtod(x, &end);
		} else {
			v->type = SQLITE_INTEGER;
			v->i = strtoll(x, &end, 10);
		}
		if (end == x)
			return -1;
		*xp = end;
		return 0;
	}
	return -1; /* blobs: no query of the registry binds one */
}

/*
 * The values bound to sql's parameters, read back from expanded (the same
 * text with each parameter replaced by its value as a literal): walk both
 * side by side, copying quoted text through.  0, or -1.
 */
static int floor_args(const char *sql, const char *expanded,
                      struct floor_stmt *s)
{
	const char *t = sql, *x = expanded;
	char quote = 0;

	s->args = calloc(FLOOR_MAX_ARGS, sizeof(*s->args));
	if (s->args == NULL)
		return -1;
	while (*t != '\0') {
		if (quote == 0 && *t == '?') {
			if (s->nargs == FLOOR_MAX_ARGS ||
			    floor_literal(&x, &s->args[s->nargs]) != 0)
				return -1;
			s->nargs++;
			t += 1 + strspn(t + 1, "0123456789");
			continue;
		}
		if (*t != *x)
			return -1;
		if (quote != 0 && *t == quote)
			quote = 0;
		else if (quote == 0 && (*t == '\'' || *t == '"'))
			quote = *t;
		t++;
		x++;
	}
	return *x == '\0' ? 0 : -1;
}

static void floor_keep(sqlite3_stmt *st)
{
	struct floor *f = floor_cap.f;
	struct floor_stmt *s;
	const char *sql = sqlite3_sql(st);
	const char *file = sqlite3_db_filename(sqlite3_db_handle(st), "main");
	char *exp;

	floor_cap.last = NULL;
	if (sql == NULL || floor_is_tx(sql) || file == NULL ||
	    strcmp(file, floor_cap.path) != 0)
		return;
	if (f->n == FLOOR_MAX_STMTS) {
		floor_cap.bad = 1;
		snprintf(floor_cap.err, sizeof(floor_cap.err),
		         "more than %d statements", FLOOR_MAX_STMTS);
		return;
	}
	s = &f->st[f->n];
	exp = sqlite3_expanded_sql(st);
	s->sql = strdup(sql);
	if (exp == NULL || s->sql == NULL || floor_args(sql, exp, s) != 0 ||
	    s->nargs != sqlite3_bind_parameter_count(st)) {
		floor_cap.bad = 1;
		snprintf(floor_cap.err, sizeof(floor_cap.err),
		         "cannot read the values bound to: %.120s", sql);
		floor_stmt_clear(s);
	} else {
		f->n++;
		floor_cap.last = s;
		floor_cap.last_st = st;
	}
	sqlite3_free(exp);
}

static int floor_trace(unsigned type, void *ctx, void *p, void *x)
{
	(void)ctx;
	if (!floor_cap.on || floor_cap.bad)
		return 0;
	if (type == SQLITE_TRACE_ROW) {
		if (floor_cap.last != NULL && p == floor_cap.last_st)
			floor_cap.last->rows++;
		return 0;
	}
	/* A trigger's sub-program reports "-- ..." in x: not a statement. */
	if (x != NULL && strncmp(x, "--", 2) == 0)
		return 0;
	floor_keep(p);
	return 0;
}

/* Runs for every connection opened in this process from now on. */
static int floor_autoext(sqlite3 *db, char **errmsg,
                         const sqlite3_api_routines *api)
{
	(void)errmsg;
	(void)api;
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT | SQLITE_TRACE_ROW, floor_trace,
	                 NULL);
	return SQLITE_OK;
}

int floor_setup(char *err, size_t errlen)
{
	/* SQLite's documented way to register an entry point: cast to
	 * void (*)(void). */
	if (sqlite3_auto_extension((void (*)(void))floor_autoext) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "sqlite3_auto_extension failed");
		return -1;
	}
	return 0;
}

int floor_capture(struct inproc *ip, const char *db_path, const char *method,
                  const ProtobufCMessage *msg, struct floor **out, char *err,
                  size_t errlen)
{
	struct floor *f;
	const char *message;
	int code;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL || realpath(db_path, floor_cap.path) == NULL ||
	    (f->path = strdup(floor_cap.path)) == NULL) {
		snprintf(err, errlen, "floor: cannot resolve %s", db_path);
		floor_free(f);
		return -1;
	}
	pthread_mutex_lock(&floor_cap.mu);
	floor_cap.f = f;
	floor_cap.bad = 0;
	floor_cap.last = NULL;
	floor_cap.on = 1;
	code = inproc_call(ip, method, msg, NULL, NULL, &message);
	floor_cap.on = 0;
	floor_cap.f = NULL;
	pthread_mutex_unlock(&floor_cap.mu);
	if (code != 0) {
		snprintf(err, errlen, "%s in process: status %d: %s", method,
		         code, message);
		floor_free(f);
		return code;
	}
	if (floor_cap.bad || f->n == 0) {
		snprintf(err, errlen, "floor: %s",
		         f->n == 0 ? "the request ran no SQL" : floor_cap.err);
		floor_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

/* ---- the driver ------------------------------------------------------------ */

struct floor_st {
	sqlite3 *h;
	size_t n;
	sqlite3_stmt *st[FLOOR_MAX_STMTS];
};

static void floor_close(void *arg)
{
	struct floor_st *s = arg;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close_v2(s->h);
	free(s);
}

static int floor_bind(sqlite3_stmt *st, const struct floor_stmt *fs)
{
	int rc = SQLITE_OK;

	for (int i = 0; i < fs->nargs && rc == SQLITE_OK; i++) {
		const struct floor_val *v = &fs->args[i];
		switch (v->type) {
		case SQLITE_INTEGER:
			rc = sqlite3_bind_int64(st, i + 1, v->i);
			break;
		case SQLITE_FLOAT:
			rc = sqlite3_bind_double(st, i + 1, v->r);
			break;
		case SQLITE_TEXT:
			rc = sqlite3_bind_text64(st, i + 1, v->p, v->n,
			                         SQLITE_TRANSIENT, SQLITE_UTF8);
			break;
		default:
			rc = sqlite3_bind_null(st, i + 1);
			break;
		}
	}
	return rc;
}

static void *floor_open(const struct target *t, char *err, size_t errlen)
{
	const struct floor *f = t->floor;
	struct floor_st *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = sqlite3_open_v2(f->path, &s->h,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	/* No capture trace here, the driver's page cache (db_sqlite's
	 * default cache_size), and no writes by mistake. */
	sqlite3_trace_v2(s->h, 0, NULL, NULL);
	rc = sqlite3_exec(s->h, "PRAGMA cache_size=-8192; PRAGMA query_only=1",
	                  NULL, NULL, NULL);
	for (size_t i = 0; i < f->n && rc == SQLITE_OK; i++) {
		rc = sqlite3_prepare_v3(s->h, f->st[i].sql, -1,
		                        SQLITE_PREPARE_PERSISTENT, &s->st[i],
		                        NULL);
		if (rc == SQLITE_OK) {
			s->n++;
			rc = floor_bind(s->st[i], &f->st[i]);
		}
	}
	if (rc == SQLITE_OK)
		return s;
fail:
	snprintf(err, errlen, "floor %s: %s", f->path,
	         s->h ? sqlite3_errmsg(s->h) : sqlite3_errstr(rc));
	floor_close(s);
	return NULL;
}

/* Read every column of the current row, as db_sqlite's row does. */
static size_t floor_row(sqlite3_stmt *st)
{
	int n = sqlite3_column_count(st);
	size_t bytes = 0;

	for (int i = 0; i < n; i++) {
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			bytes += (size_t)sqlite3_column_int64(st, i) & 1;
			break;
		case SQLITE_FLOAT:
			bytes += sqlite3_column_double(st, i) > 0;
			break;
		case SQLITE_TEXT:
			bytes += sqlite3_column_text(st, i) != NULL;
			bytes += (size_t)sqlite3_column_bytes(st, i);
			break;
		case SQLITE_BLOB:
			bytes += sqlite3_column_blob(st, i) != NULL;
			bytes += (size_t)sqlite3_column_bytes(st, i);
			break;
		default:
			break;
		}
	}
	return bytes;
}

static int floor_op(void *arg, const struct target *t, char *err,
                    size_t errlen)
{
	struct floor_st *s = arg;
	const struct floor *f = t->floor;
	static volatile size_t sink;

	for (size_t i = 0; i < s->n; i++) {
		long long rows = 0;
		int rc;
		while ((rc = sqlite3_step(s->st[i])) == SQLITE_ROW) {
			sink += floor_row(s->st[i]);
			rows++;
		}
		sqlite3_reset(s->st[i]);
		if (rc != SQLITE_DONE) {
			snprintf(err, errlen, "floor: step: %s",
			         sqlite3_errmsg(s->h));
			return -1;
		}
		/* The same rows as the server's run, or it is not the same
		 * query any more. */
		if (rows != f->st[i].rows) {
			snprintf(err, errlen,
			         "floor: %lld rows where keel's run had %lld: "
			         "%.80s",
			         rows, f->st[i].rows, f->st[i].sql);
			return -1;
		}
	}
	return 0;
}

#else /* !FABENCH_SQLITE */

int floor_setup(char *err, size_t errlen)
{
	snprintf(err, errlen, "fabench was built without SQLite");
	return -1;
}

int floor_capture(struct inproc *ip, const char *db_path, const char *method,
                  const ProtobufCMessage *msg, struct floor **out, char *err,
                  size_t errlen)
{
	(void)ip, (void)db_path, (void)method, (void)msg;
	*out = NULL;
	return floor_setup(err, errlen);
}

static void *floor_open(const struct target *t, char *err, size_t errlen)
{
	(void)t;
	floor_setup(err, errlen);
	return NULL;
}

static int floor_op(void *arg, const struct target *t, char *err,
                    size_t errlen)
{
	(void)arg, (void)t;
	return floor_setup(err, errlen);
}

static void floor_close(void *arg)
{
	(void)arg;
}

#endif /* FABENCH_SQLITE */

const struct driver driver_floor = {"sqlite-floor", floor_open, floor_op,
                                    floor_close};
