/*
 * cli_filter.c -- flytectl's --filter.fieldSelector, rewritten into
 * admin's filter language the way flytectl's pkg/filters does:
 *
 *   key=value      eq(key,value)        key!=value   ne(key,value)
 *   key>value      gt(key,value)        key>=value   gte(key,value)
 *   key<value      lt(key,value)        key<=value   lte(key,value)
 *   key contains v contains(key,v)      key in (a;b) value_in(key,a;b)
 *
 * Terms are separated by ',' and joined with '+'.  In values, "\,", "\="
 * and "\\" stand for ',', '=' and '\'.  Unlike flytectl, a term keelctl
 * cannot parse is an error instead of being dropped, and a selector that
 * is already in admin's syntax ("eq(project.name,x)+ne(state,1)") is
 * passed unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_sb {
	char *p;
	size_t len, cap;
	int oom;
};

static void cli_sb_put(struct cli_sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 64;
		char *p;

		while (nc < b->len + n + 1)
			nc *= 2;
		p = realloc(b->p, nc);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static int cli_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static void cli_trim(const char **s, size_t *n)
{
	while (*n && cli_is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && cli_is_space((*s)[*n - 1]))
		(*n)--;
}

/* Is every '+'-separated term of s of the form name(...)? */
static int cli_admin_form(const char *s)
{
	const char *p = s;

	while (*p) {
		const char *q = p;
		int depth = 0;

		while ((*q >= 'a' && *q <= 'z') || *q == '_')
			q++;
		if (q == p || *q != '(')
			return 0;
		for (; *q; q++) {
			if (*q == '(')
				depth++;
			else if (*q == ')' && --depth == 0)
				break;
		}
		if (*q != ')')
			return 0;
		q++;
		if (*q == '+')
			q++;
		else if (*q)
			return 0;
		p = q;
	}
	return 1;
}

/* Find needle (" contains ") in s[0..n). */
static const char *cli_memstr(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

/* One term to admin syntax, appended to b. */
static int cli_term(struct cli_sb *b, const char *t, size_t n, char *err,
                    size_t errlen)
{
	static const struct {
		const char *op, *fn;
	} ops[] = {
	    {"!=", "ne"}, {"=", "eq"},   {">=", "gte"},
	    {">", "gt"},  {"<=", "lte"}, {"<", "lt"},
	};
	const char *lhs = t, *rhs = NULL, *fn = NULL, *hit;
	size_t ln = 0, rn = 0, i, j;
	int in = 0;

	if ((hit = cli_memstr(t, n, " contains ")) != NULL) {
		fn = "contains";
		ln = (size_t)(hit - t);
		rhs = hit + 10;
		rn = n - ln - 10;
	} else if ((hit = cli_memstr(t, n, " in ")) != NULL) {
		fn = "value_in";
		in = 1;
		ln = (size_t)(hit - t);
		rhs = hit + 4;
		rn = n - ln - 4;
	} else {
		for (i = 0; i < n && !fn; i++)
			for (j = 0; j < sizeof ops / sizeof ops[0]; j++) {
				size_t k = strlen(ops[j].op);

				if (i + k <= n &&
				    memcmp(t + i, ops[j].op, k) == 0) {
					fn = ops[j].fn;
					ln = i;
					rhs = t + i + k;
					rn = n - i - k;
					break;
				}
			}
	}
	if (!fn) {
		cli_errf(
		    err, errlen,
		    "invalid field selector term \"%.*s\": want key=value, "
		    "key!=value, key>value, key>=value, key<value, "
		    "key<=value, key contains value or key in (a;b)",
		    (int)n, t);
		return -1;
	}
	cli_trim(&lhs, &ln);
	cli_trim(&rhs, &rn);
	if (in) {
		if (rn < 2 || rhs[0] != '(' || rhs[rn - 1] != ')') {
			cli_errf(err, errlen,
			         "invalid field selector term \"%.*s\": want "
			         "key in (a;b;c)",
			         (int)n, t);
			return -1;
		}
		rhs++;
		rn -= 2;
	}
	if (!ln || !rn) {
		cli_errf(err, errlen,
		         "invalid field selector term \"%.*s\": empty key or "
		         "value",
		         (int)n, t);
		return -1;
	}
	if (b->len)
		cli_sb_put(b, "+", 1);
	cli_sb_put(b, fn, strlen(fn));
	cli_sb_put(b, "(", 1);
	cli_sb_put(b, lhs, ln);
	cli_sb_put(b, ",", 1);
	for (i = 0; i < rn; i++) {
		char c = rhs[i];

		if (c == '\\') {
			if (i + 1 >= rn || !strchr("\\,=", rhs[i + 1])) {
				cli_errf(
				    err, errlen,
				    "invalid field selector: invalid escape "
				    "sequence in \"%.*s\"",
				    (int)n, t);
				return -1;
			}
			c = rhs[++i];
		} else if (c == '=') {
			cli_errf(
			    err, errlen,
			    "invalid field selector: unescaped '=' in value "
			    "of \"%.*s\"",
			    (int)n, t);
			return -1;
		}
		cli_sb_put(b, &c, 1);
	}
	cli_sb_put(b, ")", 1);
	return 0;
}

int cli_filter_rewrite(const char *sel, char **out, char *err, size_t errlen)
{
	struct cli_sb b = {NULL, 0, 0, 0};
	const char *p = sel ? sel : "";

	*out = NULL;
	if (cli_admin_form(p)) {
		cli_sb_put(&b, p, strlen(p));
	} else {
		while (*p) {
			const char *start = p;
			size_t n;

			/* a term ends at an unescaped ',' */
			while (*p && *p != ',') {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
			n = (size_t)(p - start);
			cli_trim(&start, &n);
			if (n && cli_term(&b, start, n, err, errlen) < 0) {
				free(b.p);
				return -1;
			}
			if (*p == ',')
				p++;
		}
	}
	if (!b.p)
		cli_sb_put(&b, "", 0);
	if (b.oom) {
		free(b.p);
		cli_errf(err, errlen, "out of memory");
		return -1;
	}
	*out = b.p;
	return 0;
}
