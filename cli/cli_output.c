/*
 * cli_output.c -- keelctl's printers: JSON/YAML through pbjson, and
 * flytectl's bordered tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pbjson.h"

#define CLI_CELL_MAX 40 /* display columns before a cell is cut */

int cli_print_messages(FILE *out, enum cli_output fmt,
                       const ProtobufCMessage *const *msgs, size_t n,
                       int force_array)
{
	struct pbjson_opts o = {PBJSON_JSON, 0, 0, 0, NULL};
	struct pbjson_writer *w;
	char *text;
	size_t i;

	if (fmt == CLI_OUT_YAML) {
		/* flytectl's YAML is its JSON re-encoded by go-yaml, which
		 * sorts keys */
		o.format = PBJSON_YAML;
		o.sort_keys = 1;
	} else {
		o.indent = "\t";
	}
	w = pbjson_writer_new(&o);
	if (!w)
		return -1;
	if (n == 1 && !force_array) {
		pbjson_write_message(w, msgs[0]);
	} else {
		pbjson_begin_array(w);
		for (i = 0; i < n; i++)
			pbjson_write_message(w, msgs[i]);
		pbjson_end_array(w);
	}
	text = pbjson_writer_finish(w, NULL);
	if (!text)
		return -1;
	fputs(text, out);
	fputc('\n', out);
	free(text);
	return 0;
}

/* Display columns of UTF-8 text (one per code point). */
static size_t cli_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* A cell for display: one line, at most CLI_CELL_MAX columns. */
static char *cli_cell(const char *s)
{
	size_t len = strlen(s), i, o = 0, cols = 0;
	char *out = malloc(len + 4);

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) != 0x80) {
			if (cols == CLI_CELL_MAX - 1 && cli_width(s + i) > 1) {
				/* more than one column left: cut here */
				memcpy(out + o, "\xe2\x80\xa6", 3);
				o += 3;
				break;
			}
			cols++;
		}
		out[o++] =
		    (c == '\n' || c == '\r' || c == '\t') ? ' ' : (char)c;
	}
	out[o] = '\0';
	return out;
}

static void cli_border(FILE *out, const size_t *w, size_t ncols)
{
	size_t i, j;

	fputc(' ', out);
	for (i = 0; i < ncols; i++) {
		for (j = 0; j < w[i] + 2; j++)
			fputc('-', out);
		fputc(' ', out);
	}
	fputc('\n', out);
}

static void cli_row(FILE *out, const size_t *w, char *const *cells,
                    size_t ncols)
{
	size_t i, pad;

	for (i = 0; i < ncols; i++) {
		fprintf(out, "| %s", cells[i]);
		for (pad = cli_width(cells[i]); pad < w[i] + 1; pad++)
			fputc(' ', out);
	}
	fputs("|\n", out);
}

int cli_print_table(FILE *out, const char *const *headers, size_t ncols,
                    const char *const *cells, size_t nrows)
{
	size_t ncells = ncols * (nrows + 1), i, r;
	char **c = NULL;
	size_t *w = NULL;
	int rc = -1;

	if (ncols == 0)
		return 0;
	c = calloc(ncells, sizeof *c);
	w = calloc(ncols, sizeof *w);
	if (!c || !w)
		goto out;
	for (i = 0; i < ncells; i++) {
		const char *s = i < ncols ? headers[i] : cells[i - ncols];

		c[i] = cli_cell(s ? s : "");
		if (!c[i])
			goto out;
		if (cli_width(c[i]) > w[i % ncols])
			w[i % ncols] = cli_width(c[i]);
	}
	cli_border(out, w, ncols);
	cli_row(out, w, c, ncols);
	cli_border(out, w, ncols);
	for (r = 1; r <= nrows; r++) {
		cli_row(out, w, c + r * ncols, ncols);
		cli_border(out, w, ncols);
	}
	fprintf(out, "%zu rows\n", nrows);
	rc = 0;
out:
	for (i = 0; c && i < ncells; i++)
		free(c[i]);
	free(c);
	free(w);
	if (rc)
		errno = ENOMEM;
	return rc;
}

const char *cli_strs_add(struct cli_strs *s, char *p)
{
	if (!p) {
		s->oom = 1;
		return "";
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		char **nv = realloc(s->v, nc * sizeof *nv);

		if (!nv) {
			free(p);
			s->oom = 1;
			return "";
		}
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = p;
	return p;
}

void cli_strs_free(struct cli_strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

int cli_print_rows(FILE *out, enum cli_output fmt, const struct cli_table *t,
                   ProtobufCMessage *const *ms, size_t n)
{
	struct cli_strs s = {NULL, 0, 0, 0};
	const char **cells;
	size_t i;
	int rc;

	if (fmt != CLI_OUT_TABLE)
		return cli_print_messages(
		    out, fmt, (const ProtobufCMessage *const *)ms, n, 0);
	cells = calloc(n ? n * t->ncols : 1, sizeof *cells);
	if (!cells) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++)
		t->row(ms[i], cells + i * t->ncols, &s);
	rc = s.oom ? -1 : cli_print_table(out, t->hdr, t->ncols, cells, n);
	if (s.oom)
		errno = ENOMEM;
	free(cells);
	cli_strs_free(&s);
	return rc;
}
