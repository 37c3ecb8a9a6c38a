/*
 * cli_projfile.c -- the project file of `keelctl create project --file`,
 * the same file flytectl takes:
 *
 *     id: flytesnacks
 *     name: "Flyte Snacks"
 *     description: 'the snacks'
 *     labels:
 *       values:          # flytectl's form (admin.Labels); or the pairs
 *         team: ml       # directly under labels:
 *
 * Only this tiny YAML subset is read (no libyaml): top-level id, name,
 * description and labels; labels as a block map (directly or under
 * "values:") or a one-line flow map {k: v, ...}; scalars plain, 'single'
 * or "double" quoted (with \" \\ \/ \n \t \r \b \f \0 \xXX \uXXXX);
 * comments.  Anything else is an error naming the file and line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_PROJFILE_MAX (1u << 20)

struct pf {
	const char *fname;
	int line;
	char *err;
	size_t errlen;
	struct cli_projfile *out;
	size_t cap; /* of out->keys/vals */
};

static int pf_err(struct pf *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int pf_err(struct pf *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -1;
	n = snprintf(p->err, p->errlen, "%s:%d: ", p->fname, p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int pf_nomem(struct pf *p)
{
	return pf_err(p, "out of memory");
}

/* A growable string. */
struct pf_str {
	char *s;
	size_t len, cap;
};

static int pf_str_put(struct pf_str *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 32;
		char *q;

		while (nc < b->len + n + 1)
			nc *= 2;
		q = realloc(b->s, nc);
		if (!q)
			return -1;
		b->s = q;
		b->cap = nc;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int pf_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int pf_put_utf8(struct pf_str *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return pf_str_put(b, u, n);
}

/*
 * Parse a scalar at s[0..n); stop (for flow maps) at any char of stops
 * outside quotes.  *used gets the bytes consumed; *out a malloc'd string.
 */
static int pf_scalar(struct pf *p, const char *s, size_t n, const char *stops,
                     size_t *used, char **out)
{
	struct pf_str b = {NULL, 0, 0};
	size_t i = 0;

	*out = NULL;
	if (n && s[0] == '"') {
		for (i = 1; i < n && s[i] != '"'; i++) {
			char c = s[i];
			int h, k, cnt;
			uint32_t cp = 0;

			if (c != '\\') {
				if (pf_str_put(&b, &c, 1) < 0)
					goto nomem;
				continue;
			}
			if (++i >= n)
				break;
			switch (s[i]) {
			case '"':
				c = '"';
				break;
			case '\\':
				c = '\\';
				break;
			case '/':
				c = '/';
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case '0':
				c = '\0';
				break;
			case 'x':
			case 'u':
				cnt = s[i] == 'x' ? 2 : 4;
				for (k = 0; k < cnt; k++) {
					h = i + 1 + (size_t)k < n
					        ? pf_hex(s[i + 1 + (size_t)k])
					        : -1;
					if (h < 0) {
						free(b.s);
						return pf_err(
						    p, "bad \\%c escape", s[i]);
					}
					cp = cp * 16 + (uint32_t)h;
				}
				i += (size_t)cnt;
				if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
					free(b.s);
					return pf_err(p, "unsupported escape "
					                 "(NUL or surrogate)");
				}
				if (pf_put_utf8(&b, cp) < 0)
					goto nomem;
				continue;
			default:
				free(b.s);
				return pf_err(p, "unknown escape \\%c", s[i]);
			}
			if (c == '\0') {
				free(b.s);
				return pf_err(p,
				              "NUL characters are not allowed");
			}
			if (pf_str_put(&b, &c, 1) < 0)
				goto nomem;
		}
		if (i >= n) {
			free(b.s);
			return pf_err(p, "unterminated double-quoted string");
		}
		i++;
	} else if (n && s[0] == '\'') {
		for (i = 1; i < n; i++) {
			if (s[i] == '\'') {
				if (i + 1 < n && s[i + 1] == '\'') {
					i++;
				} else {
					break;
				}
			}
			if (pf_str_put(&b, s + i, 1) < 0)
				goto nomem;
		}
		if (i >= n) {
			free(b.s);
			return pf_err(p, "unterminated single-quoted string");
		}
		i++;
	} else {
		size_t end;

		if (n && strchr("|>", s[0]))
			return pf_err(p, "block scalars (| and >) are not "
			                 "supported; use a quoted string");
		if (n && strchr("[{", s[0]))
			return pf_err(p, "a list or map is not allowed here");
		if (n && strchr("&*!", s[0]))
			return pf_err(p, "anchors, aliases and tags are not "
			                 "supported");
		if (n && strchr("@`", s[0]))
			return pf_err(p, "a plain value cannot start with '%c'",
			              s[0]);
		for (i = 0; i < n && !(stops && strchr(stops, s[i])); i++)
			;
		end = i;
		while (end && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		if (!((end == 1 && s[0] == '~') ||
		      (end == 4 && memcmp(s, "null", 4) == 0)) &&
		    pf_str_put(&b, s, end) < 0)
			goto nomem;
	}
	if (!b.s && pf_str_put(&b, "", 0) < 0)
		goto nomem;
	*used = i;
	*out = b.s;
	return 0;
nomem:
	free(b.s);
	return pf_nomem(p);
}

/* A whole value: the scalar and nothing after it but blanks. */
static int pf_value(struct pf *p, const char *s, size_t n, char **out)
{
	size_t used;

	if (pf_scalar(p, s, n, NULL, &used, out) < 0)
		return -1;
	while (used < n && (s[used] == ' ' || s[used] == '\t'))
		used++;
	if (used < n) {
		free(*out);
		*out = NULL;
		return pf_err(p, "unexpected text after the value: \"%.*s\"",
		              (int)(n - used), s + used);
	}
	return 0;
}

static int pf_add_label(struct pf *p, char *k, char *v)
{
	struct cli_projfile *o = p->out;
	size_t i;

	for (i = 0; i < o->nlabels; i++) {
		if (strcmp(o->keys[i], k) == 0) {
			pf_err(p, "duplicate label '%s'", k);
			free(k);
			free(v);
			return -1;
		}
	}
	if (o->nlabels == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 8;
		char **nk = realloc(o->keys, nc * sizeof *nk), **nv;

		if (!nk)
			goto nomem;
		o->keys = nk;
		nv = realloc(o->vals, nc * sizeof *nv);
		if (!nv)
			goto nomem;
		o->vals = nv;
		p->cap = nc;
	}
	o->keys[o->nlabels] = k;
	o->vals[o->nlabels] = v;
	o->nlabels++;
	return 0;
nomem:
	free(k);
	free(v);
	return pf_nomem(p);
}

/* "{k: v, k2: 'v 2'}" */
static int pf_flow_map(struct pf *p, const char *s, size_t n)
{
	size_t i = 1, used;
	char *k = NULL, *v = NULL;

	for (;;) {
		while (i < n && s[i] == ' ')
			i++;
		if (i < n && s[i] == '}' && p->out->nlabels == 0)
			break;
		if (pf_scalar(p, s + i, n - i, ":,}", &used, &k) < 0)
			return -1;
		i += used;
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n || s[i] != ':') {
			free(k);
			return pf_err(p, "expected ':' in the labels map");
		}
		i++;
		while (i < n && s[i] == ' ')
			i++;
		if (pf_scalar(p, s + i, n - i, ",}", &used, &v) < 0) {
			free(k);
			return -1;
		}
		i += used;
		if (pf_add_label(p, k, v) < 0)
			return -1;
		while (i < n && s[i] == ' ')
			i++;
		if (i < n && s[i] == ',') {
			i++;
			continue;
		}
		if (i < n && s[i] == '}')
			break;
		return pf_err(p, "expected ',' or '}' in the labels map");
	}
	i++;
	while (i < n && s[i] == ' ')
		i++;
	if (i < n)
		return pf_err(p, "unexpected text after the labels map");
	return 0;
}

/* Length of s[0..n) without a trailing comment and blanks. */
static size_t pf_strip(const char *s, size_t n)
{
	size_t i;
	char q = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (q) {
			if (q == '"' && c == '\\')
				i++;
			else if (q == '\'' && c == '\'' && i + 1 < n &&
			         s[i + 1] == '\'')
				i++; /* '' inside '...' */
			else if (c == q)
				q = 0;
		} else if (c == '"' || c == '\'') {
			if (i == 0 || strchr(" \t:{,[", s[i - 1]))
				q = c;
		} else if (c == '#' &&
		           (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
			break;
		}
	}
	if (i > n)
		i = n;
	while (i && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	return i;
}

/* Split "key: rest"; *key malloc'd; rest points into s. */
static int pf_key(struct pf *p, const char *s, size_t n, char **key,
                  const char **rest, size_t *restn)
{
	size_t i, used;

	*key = NULL;
	if (n && (s[0] == '"' || s[0] == '\'')) {
		if (pf_scalar(p, s, n, NULL, &used, key) < 0)
			return -1;
		i = used;
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n || s[i] != ':') {
			free(*key);
			*key = NULL;
			return pf_err(p, "expected \"key: value\"");
		}
	} else {
		for (i = 0; i < n; i++)
			if (s[i] == ':' &&
			    (i + 1 == n || s[i + 1] == ' ' || s[i + 1] == '\t'))
				break;
		if (i >= n || i == 0)
			return pf_err(p, "expected \"key: value\"");
		used = i;
		while (used && s[used - 1] == ' ')
			used--;
		*key = malloc(used + 1);
		if (!*key)
			return pf_nomem(p);
		memcpy(*key, s, used);
		(*key)[used] = '\0';
	}
	i++;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	*rest = s + i;
	*restn = n - i;
	return 0;
}

int cli_projfile_parse(const char *text, size_t len, const char *fname,
                       struct cli_projfile *pf, char *err, size_t errlen)
{
	struct pf p = {fname ? fname : "<input>", 0, err, errlen, pf, 0};
	/* 0: top level; 1: in labels; 2: in labels.values */
	int level = 0, lab_indent = -1, val_indent = -1, lab_direct = 0;
	int lab_values = 0, seen_labels = 0, seen_content = 0;
	const char *s = text, *end = text + len;
	char *key = NULL, *val = NULL;

	memset(pf, 0, sizeof *pf);
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *line = s, *rest = NULL;
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s), restn = 0;
		int indent = 0;

		s = nl ? nl + 1 : end;
		p.line++;
		if (n && line[n - 1] == '\r')
			n--;
		if (memchr(line, '\0', n)) {
			pf_err(&p, "NUL byte in file");
			goto fail;
		}
		while ((size_t)indent < n && line[indent] == ' ')
			indent++;
		if ((size_t)indent < n && line[indent] == '\t') {
			pf_err(&p, "tabs are not allowed for indentation");
			goto fail;
		}
		line += indent;
		n = pf_strip(line, n - (size_t)indent);
		if (n == 0)
			continue;
		if (indent == 0 && n == 3 && memcmp(line, "---", 3) == 0) {
			if (!seen_content) {
				seen_content = 1;
				continue;
			}
			pf_err(&p, "only one YAML document is allowed");
			goto fail;
		}
		if (indent == 0 && n == 3 && memcmp(line, "...", 3) == 0)
			break;
		seen_content = 1;
		if (line[0] == '-' && (n == 1 || line[1] == ' ')) {
			pf_err(&p, "lists are not supported here");
			goto fail;
		}
		if (pf_key(&p, line, n, &key, &rest, &restn) < 0)
			goto fail;

		if (indent == 0) {
			level = 0;
			if (strcmp(key, "labels") == 0) {
				if (seen_labels) {
					pf_err(&p, "duplicate key 'labels'");
					goto fail;
				}
				seen_labels = 1;
				if (restn && rest[0] == '{') {
					if (pf_flow_map(&p, rest, restn) < 0)
						goto fail;
				} else if (restn) {
					pf_err(&p, "labels must be a map of "
					           "key: value pairs");
					goto fail;
				} else {
					level = 1;
					lab_indent = -1;
				}
			} else {
				char **dst = strcmp(key, "id") == 0 ? &pf->id
				             : strcmp(key, "name") == 0
				                 ? &pf->name
				             : strcmp(key, "description") == 0
				                 ? &pf->description
				                 : NULL;

				if (!dst) {
					pf_err(
					    &p,
					    "unknown key '%s' (want id, name, "
					    "description or labels)",
					    key);
					goto fail;
				}
				if (*dst) {
					pf_err(&p, "duplicate key '%s'", key);
					goto fail;
				}
				if (pf_value(&p, rest, restn, dst) < 0)
					goto fail;
			}
		} else if (level == 2 && indent > lab_indent &&
		           (val_indent < 0 || indent == val_indent)) {
			val_indent = indent;
			if (pf_value(&p, rest, restn, &val) < 0)
				goto fail;
			if (pf_add_label(&p, key, val) < 0) {
				key = val = NULL;
				goto fail;
			}
			key = val = NULL;
		} else if (level >= 1 &&
		           (lab_indent < 0 || indent == lab_indent)) {
			lab_indent = indent;
			level = 1;
			if (strcmp(key, "values") == 0 && !lab_direct &&
			    !lab_values && (restn == 0 || rest[0] == '{')) {
				lab_values = 1;
				if (restn) {
					if (pf_flow_map(&p, rest, restn) < 0)
						goto fail;
				} else {
					level = 2;
					val_indent = -1;
				}
			} else {
				if (lab_values) {
					pf_err(&p,
					       "labels: give the pairs "
					       "under 'values:' or directly, "
					       "not both");
					goto fail;
				}
				lab_direct = 1;
				if (pf_value(&p, rest, restn, &val) < 0)
					goto fail;
				if (pf_add_label(&p, key, val) < 0) {
					key = val = NULL;
					goto fail;
				}
				key = val = NULL;
			}
		} else {
			pf_err(&p, level ? "bad indentation in labels"
			                 : "unexpected indentation (only "
			                   "labels may hold a map)");
			goto fail;
		}
		free(key);
		key = NULL;
	}
	return 0;
fail:
	free(key);
	free(val);
	cli_projfile_free(pf);
	return -1;
}

int cli_projfile_read(const char *path, struct cli_projfile *pf, char *err,
                      size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int rc, is_stdin = strcmp(path, "-") == 0;

	memset(pf, 0, sizeof *pf);
	if (is_stdin)
		rc = cli_read_stream(stdin, "<stdin>", CLI_PROJFILE_MAX, &buf,
		                     &len, err, errlen);
	else
		rc = cli_read_file(path, CLI_PROJFILE_MAX, &buf, &len, err,
		                   errlen);
	if (rc == 0)
		rc = cli_projfile_parse(buf, len, is_stdin ? "<stdin>" : path,
		                        pf, err, errlen);
	free(buf);
	return rc;
}

void cli_projfile_free(struct cli_projfile *pf)
{
	if (!pf)
		return;
	free(pf->id);
	free(pf->name);
	free(pf->description);
	cli_free_strv(pf->keys, pf->nlabels);
	cli_free_strv(pf->vals, pf->nlabels);
	memset(pf, 0, sizeof *pf);
}
