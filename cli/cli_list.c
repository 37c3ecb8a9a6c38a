/*
 * cli_list.c -- what every `keelctl get` that lists shares: the
 * --filter.limit/page/sortBy/asc/fieldSelector and --all flags turned into
 * a List* request's fields, and the loop that fetches its pages.
 *
 * flytectl computes the page token itself as (page-1)*limit; keeld takes
 * such offsets and hands out its own tokens after them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static char cli_list_empty[] = "";

int cli_list_init(struct cli_list *l, const struct cli_args *a, int zero_ok)
{
	uint32_t page = 1;
	char err[512];

	memset(l, 0, sizeof *l);
	flyteidl__admin__sort__init(&l->sort);
	l->limit = 100;
	l->all = a->o.all;
	if (a->o.limit && (cli_parse_u32(a->o.limit, &l->limit) < 0 ||
	                   (!zero_ok && l->limit == 0)))
		return cli_usage_error(a,
		                       "invalid --filter.limit \"%s\": want "
		                       "a number%s",
		                       a->o.limit, zero_ok ? "" : " from 1");
	if (a->o.page && (cli_parse_u32(a->o.page, &page) < 0 || page == 0))
		return cli_usage_error(a,
		                       "invalid --filter.page \"%s\": want "
		                       "a number from 1",
		                       a->o.page);
	if (a->o.field_selector &&
	    cli_filter_rewrite(a->o.field_selector, &l->filters, err,
	                       sizeof err) < 0)
		return cli_usage_error(a, "%s", err);
	if (l->filters && !*l->filters) {
		free(l->filters);
		l->filters = NULL;
	}
	if (page > 1) {
		char off[32];

		snprintf(off, sizeof off, "%" PRIu64,
		         (uint64_t)(page - 1) * (uint64_t)l->limit);
		l->token = strdup(off);
		if (!l->token) {
			cli_error("out of memory");
			return CLI_EXIT_SERVER;
		}
	}
	if (a->o.sort_by && *a->o.sort_by) {
		l->sort.key = (char *)a->o.sort_by;
		l->sort.direction =
		    a->o.asc ? FLYTEIDL__ADMIN__SORT__DIRECTION__ASCENDING
		             : FLYTEIDL__ADMIN__SORT__DIRECTION__DESCENDING;
		l->sorted = 1;
	}
	return CLI_EXIT_OK;
}

void cli_list_free(struct cli_list *l)
{
	free(l->filters);
	free(l->token);
	l->filters = l->token = NULL;
}

void cli_list_apply(struct cli_list *l, uint32_t *limit, char **token,
                    char **filters, Flyteidl__Admin__Sort **sort_by)
{
	*limit = l->limit;
	*token = l->token ? l->token : cli_list_empty;
	if (l->filters)
		*filters = l->filters;
	if (l->sorted)
		*sort_by = &l->sort;
}

/* Append the items of one response to out. */
static int cli_pages_add(struct cli_pages *out, ProtobufCMessage *resp,
                         const ProtobufCFieldDescriptor *f)
{
	size_t n = *(const size_t *)((const char *)resp + f->quantifier_offset);
	ProtobufCMessage **v =
	    *(ProtobufCMessage ***)((char *)resp + f->offset);
	ProtobufCMessage **np, **ni;

	np = realloc(out->pages, (out->npages + 1) * sizeof *np);
	if (!np)
		return -1;
	out->pages = np;
	out->pages[out->npages++] = resp;
	if (!n)
		return 0;
	ni = realloc(out->items, (out->nitems + n) * sizeof *ni);
	if (!ni)
		return -1;
	out->items = ni;
	memcpy(out->items + out->nitems, v, n * sizeof *v);
	out->nitems += n;
	return 0;
}

int cli_list_fetch(struct cli_ctx *c, const char *method,
                   const ProtobufCMessage *req, char **req_token,
                   struct cli_list *l, const ProtobufCMessageDescriptor *desc,
                   const char *items_field, struct cli_pages *out)
{
	const ProtobufCFieldDescriptor *items =
	    protobuf_c_message_descriptor_get_field_by_name(desc, items_field);
	const ProtobufCFieldDescriptor *tokf =
	    protobuf_c_message_descriptor_get_field_by_name(desc, "token");
	int rc;

	memset(out, 0, sizeof *out);
	/* a programming error, not the user's */
	if (!items || items->label != PROTOBUF_C_LABEL_REPEATED || !tokf) {
		cli_error("%s has no repeated field %s", desc->name,
		          items_field);
		return CLI_EXIT_SERVER;
	}
	for (;;) {
		ProtobufCMessage *resp = NULL;
		const char *next;
		size_t before = out->nitems;

		rc = cli_call(c, method, req, desc, &resp);
		if (rc)
			return rc;
		if (cli_pages_add(out, resp, items) < 0) {
			if (out->npages == 0 ||
			    out->pages[out->npages - 1] != resp)
				protobuf_c_message_free_unpacked(resp, NULL);
			cli_error("out of memory");
			return CLI_EXIT_SERVER;
		}
		next = *(const char **)((const char *)resp + tokf->offset);
		if (!l->all || !next || !*next || out->nitems == before)
			break;
		free(l->token);
		l->token = strdup(next);
		if (!l->token) {
			cli_error("out of memory");
			return CLI_EXIT_SERVER;
		}
		*req_token = l->token;
	}
	return CLI_EXIT_OK;
}

void cli_pages_free(struct cli_pages *p)
{
	size_t i;

	for (i = 0; i < p->npages; i++)
		protobuf_c_message_free_unpacked(p->pages[i], NULL);
	free(p->pages);
	free(p->items);
	memset(p, 0, sizeof *p);
}
