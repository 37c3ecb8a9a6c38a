/*
 * filter.c -- Flyte Admin's filter grammar.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
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
