/*
 * cli_args.c -- keelctl's command line: flytectl-shaped
 * `keelctl [flags] <verb> <noun> [args] [flags]`, where global flags may
 * appear anywhere and a command's flags anywhere after its noun (as with
 * cobra), "--flag value", "--flag=value", "-o json", "-ojson", "-o=json".
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define CLI_OPT(f) offsetof(struct cli_opts, f)

const struct cli_flag cli_global_flags[] = {
    {"endpoint", 0, CLI_FLAG_STR, CLI_OPT(endpoint), "URL",
     "keeld's internal API address (env KEEL_ENDPOINT; default "
     "ipc://" KEEL_LOCALSTATEDIR "/lib/keel/keeld.sock)"},
    {"output", 'o', CLI_FLAG_STR, CLI_OPT(output), "FORMAT",
     "output format: TABLE, JSON or YAML (default TABLE)"},
    {"project", 'p', CLI_FLAG_STR, CLI_OPT(project), "PROJECT",
     "project the command works on"},
    {"domain", 'd', CLI_FLAG_STR, CLI_OPT(domain), "DOMAIN",
     "domain the command works on"},
    {"timeout", 0, CLI_FLAG_STR, CLI_OPT(timeout), "DURATION",
     "how long to wait for keeld, e.g. 30s, 1m30s, 500ms (default 30s)"},
    {"help", 'h', CLI_FLAG_BOOL, CLI_OPT(help), NULL, "help for keelctl"},
    {"version", 0, CLI_FLAG_BOOL, CLI_OPT(version), NULL,
     "print keelctl's version and exit"},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

void cli_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int cli_strlist_push(struct cli_strlist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 4;
		const char **v = realloc(l->v, ncap * sizeof *v);

		if (!v)
			return -1;
		l->v = v;
		l->cap = ncap;
	}
	l->v[l->n++] = s;
	return 0;
}

static int cli_noun_matches(const struct cli_cmd *c, const char *noun)
{
	const char *p = c->aliases;
	size_t n = strlen(noun);

	if (c->noun && strcmp(c->noun, noun) == 0)
		return 1;
	while (p && *p) {
		size_t k = strcspn(p, " ");

		if (k == n && strncmp(p, noun, n) == 0)
			return 1;
		p += k;
		p += strspn(p, " ");
	}
	return 0;
}

int cli_verb_known(const struct cli_cmd *cmds, size_t ncmds, const char *verb)
{
	size_t i;

	for (i = 0; i < ncmds; i++)
		if (strcmp(cmds[i].verb, verb) == 0)
			return 1;
	return 0;
}

static const struct cli_cmd *cli_find_cmd(const struct cli_cmd *cmds,
                                          size_t ncmds, const char *verb,
                                          const char *noun)
{
	size_t i;

	for (i = 0; i < ncmds; i++) {
		if (strcmp(cmds[i].verb, verb) != 0)
			continue;
		if (!noun ? !cmds[i].noun
		          : (cmds[i].noun && cli_noun_matches(&cmds[i], noun)))
			return &cmds[i];
	}
	return NULL;
}

static const struct cli_flag *cli_find_flag(const struct cli_flag *fl,
                                            const char *name, size_t n,
                                            char short_name)
{
	for (; fl && fl->name; fl++) {
		if (short_name ? fl->short_name == short_name
		               : (strlen(fl->name) == n &&
		                  strncmp(fl->name, name, n) == 0))
			return fl;
	}
	return NULL;
}

static int cli_parse_bool(const char *s, int *out)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
	    strcmp(s, "t") == 0 || strcmp(s, "TRUE") == 0 ||
	    strcmp(s, "True") == 0 || strcmp(s, "T") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 ||
	         strcmp(s, "f") == 0 || strcmp(s, "FALSE") == 0 ||
	         strcmp(s, "False") == 0 || strcmp(s, "F") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* Parse the flag at argv[*i]; may consume argv[*i + 1]. */
static int cli_take_flag(struct cli_args *a, int argc, char **argv, int *i,
                         char *err, size_t errlen)
{
	const char *t = argv[*i], *name, *val = NULL;
	const struct cli_flag *f;
	char shortn = 0;
	size_t n;
	void *slot;

	if (t[1] == '-') {
		name = t + 2;
		n = strcspn(name, "=");
		if (name[n] == '=')
			val = name + n + 1;
		if (n == 0) {
			cli_errf(err, errlen, "bad flag syntax: %s", t);
			return CLI_EXIT_USAGE;
		}
	} else {
		name = t + 1;
		shortn = t[1];
		n = 1;
		if (t[2] == '=')
			val = t + 3;
		else if (t[2])
			val = t + 2;
	}
	/* a command's own flag wins: `get task --version V` is not
	 * keelctl's --version */
	f = a->cmd ? cli_find_flag(a->cmd->flags, name, n, shortn) : NULL;
	if (!f)
		f = cli_find_flag(cli_global_flags, name, n, shortn);
	if (!f) {
		if (shortn)
			cli_errf(err, errlen,
			         "unknown shorthand flag: '%c' in %s", shortn,
			         t);
		else
			cli_errf(err, errlen, "unknown flag: --%.*s", (int)n,
			         name);
		return CLI_EXIT_USAGE;
	}
	slot = (char *)&a->o + f->off;
	if (f->kind == CLI_FLAG_BOOL) {
		if (!val) {
			*(int *)slot = 1;
		} else if (cli_parse_bool(val, slot) < 0) {
			cli_errf(err, errlen,
			         "invalid argument \"%s\" for \"--%s\" flag: "
			         "want true or false",
			         val, f->name);
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	if (!val) {
		if (*i + 1 >= argc) {
			cli_errf(err, errlen, "flag needs an argument: --%s",
			         f->name);
			return CLI_EXIT_USAGE;
		}
		val = argv[++*i];
	}
	if (f->kind == CLI_FLAG_STR) {
		*(const char **)slot = val;
	} else if (cli_strlist_push(slot, val) < 0) {
		cli_errf(err, errlen, "out of memory");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int cli_parse(int argc, char **argv, const struct cli_cmd *cmds, size_t ncmds,
              struct cli_args *a, char *err, size_t errlen)
{
	int i, only_pos = 0, rc;

	memset(a, 0, sizeof *a);
	a->pos = calloc(argc > 0 ? (size_t)argc : 1, sizeof *a->pos);
	if (!a->pos) {
		cli_errf(err, errlen, "out of memory");
		return CLI_EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		const char *t = argv[i];

		if (!only_pos && strcmp(t, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (!only_pos && t[0] == '-' && t[1] != '\0') {
			rc = cli_take_flag(a, argc, argv, &i, err, errlen);
			if (rc)
				return rc;
			continue;
		}
		if (!a->verb) {
			if (strcmp(t, "help") == 0 && !a->o.help) {
				a->o.help = 1;
				continue;
			}
			if (!cli_verb_known(cmds, ncmds, t)) {
				cli_errf(
				    err, errlen,
				    "unknown command \"%s\" for \"keelctl\"",
				    t);
				return CLI_EXIT_USAGE;
			}
			a->verb = t;
			a->cmd = cli_find_cmd(cmds, ncmds, t, NULL);
			continue;
		}
		if (!a->cmd) {
			a->cmd = cli_find_cmd(cmds, ncmds, a->verb, t);
			if (!a->cmd) {
				cli_errf(
				    err, errlen,
				    "unknown resource \"%s\" for \"keelctl "
				    "%s\"",
				    t, a->verb);
				return CLI_EXIT_USAGE;
			}
			a->noun = t;
			continue;
		}
		a->pos[a->npos++] = t;
	}
	return 0;
}

void cli_args_free(struct cli_args *a)
{
	if (!a)
		return;
	free(a->pos);
	free(a->o.labels.v);
	free(a->o.inputs.v);
	memset(a, 0, sizeof *a);
}

int cli_parse_output(const char *s, enum cli_output *out)
{
	if (!s || strcasecmp(s, "table") == 0)
		*out = CLI_OUT_TABLE;
	else if (strcasecmp(s, "json") == 0)
		*out = CLI_OUT_JSON;
	else if (strcasecmp(s, "yaml") == 0)
		*out = CLI_OUT_YAML;
	else
		return -1;
	return 0;
}

/* Go's time.ParseDuration units (plus a bare number of seconds). */
int cli_parse_duration_ms(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {
	    {"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ms", 1},
	    {"s", 1e3},   {"m", 6e4},   {"h", 3.6e6},
	};
	double total = 0;
	const char *p = s;
	size_t i;

	if (!s || !*s)
		return -1;
	while (*p) {
		char *end;
		double v;
		size_t best = 0, bestlen = 0;

		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -1;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno || !isfinite(v))
			return -1;
		p = end;
		if (!*p) {
			if (p == s + strlen(s) && total == 0 && v >= 0) {
				/* bare number: seconds */
				total = v * 1e3;
				break;
			}
			return -1;
		}
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t k = strlen(units[i].unit);

			if (strncmp(p, units[i].unit, k) == 0 && k > bestlen) {
				best = i;
				bestlen = k;
			}
		}
		if (!bestlen)
			return -1;
		total += v * units[best].ms;
		p += bestlen;
	}
	if (total > (double)INT64_MAX / 2)
		return -1;
	*ms = (int64_t)llround(total);
	return 0;
}

int cli_parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !(*s >= '0' && *s <= '9'))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

void cli_free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static char *cli_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

int cli_parse_labels(const struct cli_strlist *l, char ***keys, char ***vals,
                     size_t *n, char *err, size_t errlen)
{
	char **k = NULL, **v = NULL;
	size_t cnt = 0, cap = 0, i, j;

	*keys = *vals = NULL;
	*n = 0;
	for (i = 0; i < l->n; i++) {
		const char *p = l->v[i];

		while (*p) {
			size_t len = strcspn(p, ","), klen;
			const char *eq = memchr(p, '=', len);
			char *key, *val;

			if (len == 0) {
				p++;
				continue;
			}
			if (!eq || eq == p) {
				cli_errf(
				    err, errlen,
				    "invalid label \"%.*s\": want key=value",
				    (int)len, p);
				goto fail;
			}
			klen = (size_t)(eq - p);
			key = cli_strndup(p, klen);
			val = cli_strndup(eq + 1, len - klen - 1);
			if (!key || !val) {
				free(key);
				free(val);
				goto nomem;
			}
			for (j = 0; j < cnt; j++)
				if (strcmp(k[j], key) == 0)
					break;
			if (j < cnt) {
				free(key);
				free(v[j]);
				v[j] = val;
			} else {
				if (cnt == cap) {
					size_t nc = cap ? cap * 2 : 8;
					char **nk = realloc(k, nc * sizeof *nk);

					if (!nk) {
						free(key);
						free(val);
						goto nomem;
					}
					k = nk;
					nk = realloc(v, nc * sizeof *nk);
					if (!nk) {
						free(key);
						free(val);
						goto nomem;
					}
					v = nk;
					cap = nc;
				}
				k[cnt] = key;
				v[cnt] = val;
				cnt++;
			}
			p += len;
			if (*p == ',')
				p++;
		}
	}
	*keys = k;
	*vals = v;
	*n = cnt;
	return 0;
nomem:
	cli_errf(err, errlen, "out of memory");
fail:
	cli_free_strv(k, cnt);
	cli_free_strv(v, cnt);
	return -1;
}

/* ---- help ------------------------------------------------------------- */

/* The flags of f, less those that a flag of shadow hides. */
static void cli_print_flags(FILE *out, const struct cli_flag *f,
                            const struct cli_flag *shadow)
{
	char lhs[64];

	for (; f && f->name; f++) {
		if (cli_find_flag(shadow, f->name, strlen(f->name), 0))
			continue;
		if (f->short_name)
			snprintf(lhs, sizeof lhs, "-%c, --%s%s%s",
			         f->short_name, f->name, f->metavar ? " " : "",
			         f->metavar ? f->metavar : "");
		else
			snprintf(lhs, sizeof lhs, "    --%s%s%s", f->name,
			         f->metavar ? " " : "",
			         f->metavar ? f->metavar : "");
		if (strlen(lhs) > 30)
			fprintf(out, "  %s\n  %-30s  %s\n", lhs, "", f->help);
		else
			fprintf(out, "  %-30s  %s\n", lhs, f->help);
	}
}

static void cli_print_cmd_help(FILE *out, const struct cli_cmd *c)
{
	fprintf(out, "%s\n\nUsage:\n  keelctl %s%s%s%s%s [flags]\n", c->summary,
	        c->verb, c->noun ? " " : "", c->noun ? c->noun : "",
	        c->args ? " " : "", c->args ? c->args : "");
	if (c->aliases)
		fprintf(out, "\nAliases:\n  %s, %s\n", c->noun, c->aliases);
	if (c->help)
		fprintf(out, "\n%s", c->help);
	if (c->flags && c->flags->name) {
		fprintf(out, "\nFlags:\n");
		cli_print_flags(out, c->flags, NULL);
	}
	fprintf(out, "\nGlobal Flags:\n");
	cli_print_flags(out, cli_global_flags, c->flags);
}

void cli_print_help(FILE *out, const struct cli_cmd *cmds, size_t ncmds,
                    const char *verb, const struct cli_cmd *cmd)
{
	size_t i, j;

	if (cmd) {
		cli_print_cmd_help(out, cmd);
		return;
	}
	if (verb) {
		fprintf(out,
		        "Usage:\n  keelctl %s <resource> [flags]\n\n"
		        "Resources:\n",
		        verb);
		for (i = 0; i < ncmds; i++)
			if (strcmp(cmds[i].verb, verb) == 0 && cmds[i].noun)
				fprintf(out, "  %-12s  %s\n", cmds[i].noun,
				        cmds[i].summary);
		fprintf(out,
		        "\nUse \"keelctl %s <resource> --help\" for more "
		        "about a resource.\n",
		        verb);
		fprintf(out, "\nGlobal Flags:\n");
		cli_print_flags(out, cli_global_flags, NULL);
		return;
	}
	fprintf(out, "keelctl controls Keel, a Flyte Admin-compatible control "
	             "plane, the way\nflytectl controls Flyte Admin.\n\n"
	             "Usage:\n  keelctl [flags] <command> [resource] [args] "
	             "[flags]\n\nCommands:\n");
	for (i = 0; i < ncmds; i++) {
		int seen = 0;

		for (j = 0; j < i; j++)
			if (strcmp(cmds[j].verb, cmds[i].verb) == 0)
				seen = 1;
		if (seen)
			continue;
		if (!cmds[i].noun) {
			fprintf(out, "  %-8s  %s\n", cmds[i].verb,
			        cmds[i].summary);
			continue;
		}
		fprintf(out, "  %-8s  ", cmds[i].verb);
		for (j = i; j < ncmds; j++)
			if (strcmp(cmds[j].verb, cmds[i].verb) == 0)
				fprintf(out, "%s%s", j == i ? "" : ", ",
				        cmds[j].noun);
		fprintf(out, "\n");
	}
	fprintf(out, "\nGlobal Flags:\n");
	cli_print_flags(out, cli_global_flags, NULL);
	fprintf(
	    out,
	    "\nExit status: 0 success, 1 keeld returned an error, 2 usage "
	    "error,\n3 keeld cannot be reached.\n"
	    "\nUse \"keelctl <command> [resource] --help\" for more about a "
	    "command.\n");
}
