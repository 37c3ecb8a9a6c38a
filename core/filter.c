/*
 * filter.c -- Flyte Admin's filter grammar.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "filter.h"
#include "util.h"

#define FILTER_MAX_EXPRS 32
#define FILTER_MAX_VALUES 256

enum { F_SINGLE, F_LIST };

static const struct {
	const char *name;
	const char *op; /* "%s = ?" style: column then value(s) */
	int arity;
	int like; /* 1: contains (escaped %v%), 2: not_like (verbatim) */
} filter_funcs[] = {
	{"eq", "=", F_SINGLE, 0},
	{"ne", "<>", F_SINGLE, 0},
	{"gt", ">", F_SINGLE, 0},
	{"gte", ">=", F_SINGLE, 0},
	{"lt", "<", F_SINGLE, 0},
	{"lte", "<=", F_SINGLE, 0},
	{"contains", "LIKE", F_SINGLE, 1},
	{"not_like", "NOT LIKE", F_SINGLE, 2},
	{"value_in", "IN", F_LIST, 0},
	{"value_not_in", "NOT IN", F_LIST, 0},
};

struct filter_buf {
	struct arena *a;
	char *s;
	size_t n, cap;
	int nomem;
};

static void filter_cat(struct filter_buf *b, const char *s)
{
	size_t l = strlen(s);

	if (b->nomem)
		return;
	if (b->n + l + 1 > b->cap) {
		size_t cap = (b->cap + l + 1) * 2;
		char *p = arena_alloc(b->a, cap);
		if (p == NULL) {
			b->nomem = 1;
			return;
		}
		if (b->n)
			memcpy(p, b->s, b->n);
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, l + 1);
	b->n += l;
}

static int filter_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int filter_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return KEEL_EINVAL;
}

int filter_uses(const struct filter *f, const char *e)
{
	for (size_t i = 0; i < f->nused; i++)
		if (strcmp(f->used[i], e) == 0)
			return 1;
	return 0;
}

int filter_uses_col(const struct filter *f, const char *name)
{
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i] && strcmp(f->cols[i]->name, name) == 0 &&
		    !filter_uses(f, f->cols[i]->entity))
			return 1;
	return 0;
}

static int filter_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int filter_parse_time(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, fdig = 0, oh = 0, om = 0, sign = 0;
	int64_t days;

	if (filter_digits(&s, 4, &y) || *s++ != '-' ||
	    filter_digits(&s, 2, &mo) || *s++ != '-' ||
	    filter_digits(&s, 2, &d) || (*s != 'T' && *s != 't' && *s != ' '))
		return -1;
	s++;
	if (filter_digits(&s, 2, &h) || *s++ != ':' ||
	    filter_digits(&s, 2, &mi) || *s++ != ':' ||
	    filter_digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fdig++)
			if (fdig < 3)
				frac = frac * 10 + (*s - '0');
		if (fdig == 0)
			return -1;
		for (int i = fdig; i < 3; i++)
			frac *= 10;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (filter_digits(&s, 2, &oh) || *s++ != ':' ||
		    filter_digits(&s, 2, &om))
			return -1;
	} else {
		return -1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	/* Days from the civil date (Howard Hinnant's algorithm). */
	{
		int yy = y - (mo <= 2);
		int era = (yy >= 0 ? yy : yy - 399) / 400;
		int yoe = yy - era * 400;
		int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		days = (int64_t)era * 146097 + doe - 719468;
	}
	*ms = ((days * 86400 + h * 3600 + mi * 60 + sec) -
	       sign * (oh * 3600 + om * 60)) * 1000 + frac;
	return 0;
}

int filter_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *u;
		double ms;
	} units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3},
	             {"ms", 1},    {"s", 1e3},   {"m", 6e4}, {"h", 3.6e6}};
	double total = 0;
	char *end;

	if (*s == '\0')
		return -1;
	total = strtod(s, &end);
	if (end != s && *end == '\0') {
		/* A bare number is seconds. */
		if (total < 0 || total > 9e12)
			return -1;
		*ms = (int64_t)(total * 1000);
		return 0;
	}
	total = 0;
	while (*s) {
		double v = strtod(s, &end);
		size_t i;
		if (end == s || v < 0)
			return -1;
		s = end;
		for (i = UTIL_ARRAY_LEN(units); i-- > 0;)
			if (strncmp(s, units[i].u, strlen(units[i].u)) == 0 &&
			    /* "m" must not swallow "ms". */
			    !(strcmp(units[i].u, "m") == 0 && s[1] == 's'))
				break;
		if (i == (size_t)-1)
			return -1;
		total += v * units[i].ms;
		s += strlen(units[i].u);
	}
	if (total > 9e15)
		return -1;
	*ms = (int64_t)total;
	return 0;
}

/* One value, typed for its column. */
static int filter_value(struct arena *a, const struct filter_col *col,
                        const char *v, size_t n, int like,
                        struct keel_db_val *out, char *err, size_t errlen)
{
	char *s = arena_strndup(a, v, n);

	if (s == NULL)
		return KEEL_ENOMEM;
	if (like == 1) {
		/* contains(): a substring, so the user's % and _ are
		 * literal. */
		char *e = arena_alloc(a, 2 * n + 3);
		size_t o = 0;
		if (e == NULL)
			return KEEL_ENOMEM;
		e[o++] = '%';
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
				e[o++] = '\\';
			e[o++] = s[i];
		}
		e[o++] = '%';
		e[o] = '\0';
		*out = db_text(e, o);
		return 0;
	}
	if (col->type == FILTER_TIME && !like) {
		int64_t ms;
		if (filter_parse_time(s, &ms) != 0 &&
		    conf_parse_int(s, &ms) != 0)
			return filter_fail(err, errlen,
			                   "invalid value '%s' for filter field "
			                   "%s.%s: expected an RFC 3339 time such "
			                   "as 2024-01-01T00:00:00Z",
			                   s, col->entity, col->name);
		*out = db_int(ms);
		return 0;
	}
	if (col->type == FILTER_DURATION && !like) {
		int64_t ms;
		if (filter_parse_duration(s, &ms) != 0)
			return filter_fail(err, errlen,
			                   "Failed to parse duration '%s' for "
			                   "filter field %s.%s: expected seconds "
			                   "or a duration such as 1h30m",
			                   s, col->entity, col->name);
		*out = db_int(ms);
		return 0;
	}
	if (col->type == FILTER_INT && !like) {
		int64_t i;
		if (conf_parse_int(s, &i) != 0)
			return filter_fail(err, errlen,
			                   "invalid value '%s' for filter field "
			                   "%s.%s: expected an integer",
			                   s, col->entity, col->name);
		*out = db_int(i);
		return 0;
	}
	*out = db_text(s, n);
	return 0;
}

static const struct filter_col *
filter_find_col(const struct filter_col *cols, size_t ncols, const char *entity,
                const char *name)
{
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(cols[i].entity, entity) == 0 &&
		    strcmp(cols[i].name, name) == 0)
			return &cols[i];
	return NULL;
}

static int filter_entity_allowed(const char *const *entities, const char *e)
{
	for (size_t i = 0; entities && entities[i]; i++)
		if (strcmp(entities[i], e) == 0)
			return 1;
	return 0;
}

int filter_parse(struct arena *a, const char *text,
                 const struct filter_col *cols, size_t ncols,
                 const char *primary, const char *const *entities,
                 struct filter *out, char *err, size_t errlen)
{
	struct filter_buf sql = {.a = a};
	struct keel_db_val *args;
	size_t nargs = 0, nexprs = 0;
	const char *p = text;
	int rc;

	memset(out, 0, sizeof(*out));
	out->sql = "";
	if (text == NULL || *text == '\0')
		return 0;
	args = arena_calloc(a, FILTER_MAX_VALUES, sizeof(*args));
	if (args == NULL)
		return KEEL_ENOMEM;
	while (*p) {
		const char *end = strchr(p, '+');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *expr = arena_strndup(a, p, len);
		char *open, *comma, *close, *field, *dot, entity[64];
		const char *value, *fname, *col_name;
		const struct filter_col *col;
		size_t fi, vlen;

		if (expr == NULL)
			return KEEL_ENOMEM;
		if (++nexprs > FILTER_MAX_EXPRS)
			return filter_fail(err, errlen,
			                   "too many filter expressions (at most "
			                   "%d)",
			                   FILTER_MAX_EXPRS);
		/* func(field,value) -- the value runs to the last ')'. */
		open = strchr(expr, '(');
		close = strrchr(expr, ')');
		comma = open ? strchr(open, ',') : NULL;
		if (open == NULL || close == NULL || comma == NULL ||
		    close[1] != '\0' || comma > close || open == expr ||
		    comma == open + 1)
			return filter_fail(err, errlen,
			                   "invalid value for filters: '%s' is "
			                   "not func(field,value)",
			                   expr);
		*open = '\0';
		*comma = '\0';
		*close = '\0';
		fname = expr;
		field = open + 1;
		value = comma + 1;
		if (*value == ' ')
			value++;
		for (fi = 0; fi < UTIL_ARRAY_LEN(filter_funcs); fi++)
			if (strcmp(filter_funcs[fi].name, fname) == 0)
				break;
		if (fi == UTIL_ARRAY_LEN(filter_funcs))
			return filter_fail(err, errlen,
			                   "unrecognized filter function: %s",
			                   fname);
		dot = strchr(field, '.');
		if (dot != NULL) {
			if ((size_t)(dot - field) >= sizeof(entity))
				return filter_fail(err, errlen,
				                   "'%s' is invalid filter", field);
			memcpy(entity, field, (size_t)(dot - field));
			entity[dot - field] = '\0';
			col_name = dot + 1;
			if (!filter_entity_allowed(entities, entity))
				return filter_fail(err, errlen,
				                   "'%s' entity is not allowed in "
				                   "filters",
				                   entity);
		} else {
			util_strlcpy(entity, primary, sizeof(entity));
			col_name = field;
		}
		col = filter_find_col(cols, ncols, entity, col_name);
		if (col == NULL)
			return filter_fail(err, errlen,
			                   "'%s.%s' is invalid filter", entity,
			                   col_name);
		if (out->ncols < UTIL_ARRAY_LEN(out->cols))
			out->cols[out->ncols++] = col;
		if (strcmp(col->entity, primary) != 0 &&
		    !filter_uses(out, col->entity) &&
		    out->nused < UTIL_ARRAY_LEN(out->used))
			out->used[out->nused++] = col->entity;
		if (nexprs > 1)
			filter_cat(&sql, " AND ");
		filter_cat(&sql, "(");
		filter_cat(&sql, col->sql);
		filter_cat(&sql, " ");
		filter_cat(&sql, filter_funcs[fi].op);
		if (filter_funcs[fi].arity == F_SINGLE) {
			if (nargs >= FILTER_MAX_VALUES)
				return filter_fail(err, errlen,
				                   "too many filter values");
			vlen = strlen(value);
			rc = filter_value(a, col, value, vlen,
			                  filter_funcs[fi].like, &args[nargs++],
			                  err, errlen);
			if (rc != 0)
				return rc;
			filter_cat(&sql, filter_funcs[fi].like == 1
			                     ? " ? ESCAPE '\\')"
			                     : " ?)");
		} else {
			const char *v = value;
			filter_cat(&sql, " (");
			for (int first = 1;; first = 0) {
				const char *semi = strchr(v, ';');
				vlen = semi ? (size_t)(semi - v) : strlen(v);
				if (nargs >= FILTER_MAX_VALUES)
					return filter_fail(
					    err, errlen,
					    "too many filter values (at most "
					    "%d)",
					    FILTER_MAX_VALUES);
				rc = filter_value(a, col, v, vlen, 0,
				                  &args[nargs++], err, errlen);
				if (rc != 0)
					return rc;
				filter_cat(&sql, first ? "?" : ", ?");
				if (semi == NULL)
					break;
				v = semi + 1;
			}
			filter_cat(&sql, "))");
		}
		if (end == NULL)
			break;
		p = end + 1;
		if (*p == '\0')
			return filter_fail(err, errlen,
			                   "invalid value for filters: empty "
			                   "expression after '+'");
	}
	if (sql.nomem)
		return KEEL_ENOMEM;
	out->sql = sql.s;
	out->args = args;
	out->nargs = nargs;
	out->nexprs = nexprs;
	return 0;
}
