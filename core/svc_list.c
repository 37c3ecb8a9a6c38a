/* svc_list.c -- see svc_list.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <keel/keel_plugin.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "flyteidl/admin/common.pb-c.h"
#include "repo_list.h"
#include "rpc.h"
#include "svc.h"
#include "svc_list.h"
#include "util.h"

static char *svc_token_keyset(struct call *c, const char *col, int asc,
                              const struct keel_db_val *v, const char *id)
{
	char *raw, *tok;

	if (v->type == KEEL_DB_INT)
		raw = arena_printf(c->arena, "%s\n%c\ni\n%lld\n%s", col,
		                   asc ? 'a' : 'd', (long long)v->i, id);
	else
		raw = arena_printf(c->arena, "%s\n%c\nt\n%.*s\n%s", col,
		                   asc ? 'a' : 'd', (int)v->n,
		                   v->p ? (const char *)v->p : "", id);
	if (raw == NULL)
		return NULL;
	tok = arena_alloc(c->arena, 3 + (strlen(raw) + 2) / 3 * 4 + 1);
	if (tok == NULL)
		return NULL;
	memcpy(tok, "k1.", 3);
	util_b64url_encode(raw, strlen(raw), tok + 3);
	return tok;
}

char *svc_page_next(struct call *c, const struct svc_page *p, size_t n,
                    const char *col, int asc, const struct keel_db_val *last,
                    const char *last_id)
{
	if (p->offset >= 0 && !p->have_after)
		return arena_printf(c->arena, "%lld",
		                    (long long)(p->offset + (int64_t)n));
	return svc_token_keyset(c, col, asc, last, last_id);
}

static int svc_token_decode(struct call *c, const char *what,
                            const char *tok, const char *col, int asc,
                            struct svc_page *p)
{
	size_t cap = strlen(tok);
	char *raw = arena_alloc(c->arena, cap + 1);
	char *f[5];
	long n;

	if (raw == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	n = util_b64url_decode(tok + 3, raw, cap);
	if (n < 0)
		goto bad;
	raw[n] = '\0';
	f[0] = raw;
	for (int i = 1; i < 5; i++) {
		f[i] = strchr(f[i - 1], '\n');
		if (f[i] == NULL)
			goto bad;
		*f[i]++ = '\0';
	}
	if (strcmp(f[0], col) != 0 || f[1][0] != (asc ? 'a' : 'd'))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "page token %s belongs to a listing sorted by "
		                  "%s %s, not %s %s; start again without a "
		                  "token",
		                  tok, f[0],
		                  f[1][0] == 'a' ? "ascending" : "descending",
		                  col, asc ? "ascending" : "descending");
	if (f[2][0] == 'i') {
		int64_t v;
		if (conf_parse_int(f[3], &v) != 0)
			goto bad;
		p->after_val = db_int(v);
	} else {
		p->after_val = db_text(f[3], strlen(f[3]));
	}
	p->after_id = f[4];
	p->have_after = 1;
	p->offset = -1;
	return 0;
bad:
	return call_error(c, RPC_INVALID_ARGUMENT,
	                  "invalid pagination token %s for %s", tok, what);
}

int svc_page_parse(struct call *c, const char *what, const char *tok,
                   const char *col, int asc, int keyset, struct svc_page *p)
{
	memset(p, 0, sizeof(*p));
	if (tok == NULL || tok[0] == '\0') {
		p->offset = keyset ? -1 : 0;
		return 0;
	}
	if (strncmp(tok, "k1.", 3) == 0)
		return svc_token_decode(c, what, tok, col, asc, p);
	if (conf_parse_int(tok, &p->offset) != 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid pagination token %s for %s", tok,
		                  what);
	if (p->offset < 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "Invalid token value: %s", tok);
	return 0;
}

int svc_filters(struct call *c, const char *filters,
                const struct filter_col *cols, size_t ncols,
                const char *primary, const char *const *joined,
                struct filter *f)
{
	const char *entities[8] = {primary};
	size_t n = 1;
	char ferr[512];
	int rc;

	for (; joined != NULL && *joined != NULL && n + 1 < 8; joined++)
		entities[n++] = *joined;
	entities[n] = NULL;

	memset(f, 0, sizeof(*f));
	f->sql = "";
	if (filters == NULL || filters[0] == '\0')
		return 0;
	rc = filter_parse(c->arena, filters, cols, ncols, primary, entities, f,
	                  ferr, sizeof(ferr));
	if (rc == KEEL_ENOMEM)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	if (rc != 0)
		return call_error(c, RPC_INVALID_ARGUMENT, "%s", ferr);
	return 0;
}

int svc_list_limit(struct call *c, uint32_t limit, uint32_t *out)
{
	if (limit == 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid value for limit");
	/* Flyte Admin has no maximum; Keel caps a page at max_page_size
	 * and the token brings the rest (the console asks for 10000). */
	*out = limit > c->svc->max_page_size ? c->svc->max_page_size : limit;
	return 0;
}

/* The sort key's column in r->cols (primary's own), or NULL. */
static const struct filter_col *svc_list_sort_col(const struct svc_list_req *r,
                                                  const char *key)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->cols[i].entity, r->primary) == 0 &&
		    strcmp(r->cols[i].name, key) == 0)
			return &r->cols[i];
	return NULL;
}

int svc_list_prepare(struct call *c, const struct svc_list_req *r,
                     struct repo_list *q, struct filter *f,
                     struct svc_page *page)
{
	const struct filter_col *sc;
	const char *key = r->default_sort;
	int asc = r->default_asc, rc;

	rc = svc_list_limit(c, r->limit, &q->limit);
	if (rc != 0)
		return rc;
	rc = svc_filters(c, r->filters, r->cols, r->ncols, r->primary,
	                 r->joined, f);
	if (rc != 0)
		return rc;
	q->filter_sql = f->sql;
	q->filter_args = f->args;
	q->filter_nargs = f->nargs;
	if (r->sort_by != NULL && r->sort_by->key != NULL &&
	    r->sort_by->key[0] != '\0') {
		key = r->sort_by->key;
		asc = r->sort_by->direction ==
		      FLYTEIDL__ADMIN__SORT__DIRECTION__ASCENDING;
	}
	sc = svc_list_sort_col(r, key);
	if (sc == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid sort key '%s'", key);
	q->sort_sql = sc->sql;
	q->ascending = asc;
	rc = svc_page_parse(c, r->what, r->token, sc->name, asc, 1, page);
	if (rc != 0)
		return rc;
	q->offset = page->offset;
	q->have_after = page->have_after;
	q->after_val = page->after_val;
	if (page->have_after &&
	    conf_parse_int(page->after_id, &q->after_id) != 0)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid pagination token %s for %s", r->token,
		                  r->what);
	return 0;
}

int svc_list_exec(struct call *c, const struct svc_list_req *r,
                  const struct repo_list *q, const struct svc_page *page,
                  keel_db_row_fn fn, void *arg, size_t *n, char **token)
{
	struct keel_db_val last = {0};
	struct keel_err err = {0};
	char buf[1024];
	int64_t last_id = 0;
	int more = 0, rc;

	rc = repo_list_run(c->svc->db, q, fn, arg, n, &more, &last, buf,
	                   sizeof(buf), &last_id, &err);
	if (rc == KEEL_ENOMEM)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	*token = (char *)"";
	if (more) {
		const struct filter_col *sc = svc_list_sort_col(
		    r, r->sort_by && r->sort_by->key && r->sort_by->key[0]
		           ? r->sort_by->key
		           : r->default_sort);
		char *id = arena_printf(c->arena, "%lld", (long long)last_id);
		*token = id && sc ? svc_page_next(c, page, *n, sc->name,
		                                  q->ascending, &last, id)
		                  : NULL;
		if (*token == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	return 0;
}
