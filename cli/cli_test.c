/*
 * cli_test.c -- keelctl's pieces without a server: argument parsing,
 * durations, labels, field selectors, project files, tables.  TAP.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "cli.h"

#define OPT(f) offsetof(struct cli_opts, f)

static int run_nop(struct cli_ctx *c, const struct cli_args *a)
{
	(void)c;
	(void)a;
	return 0;
}

static const struct cli_flag get_flags[] = {
    {"filter.limit", 0, CLI_FLAG_STR, OPT(limit), "N", ""},
    {"filter.asc", 0, CLI_FLAG_BOOL, OPT(asc), NULL, ""},
    {"labels", 0, CLI_FLAG_LIST, OPT(labels), "K=V", ""},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_cmd cmds[] = {
    {"get", "project", "projects", "[ID]", 0, 1, get_flags, run_nop, "", NULL},
    {"version", NULL, NULL, NULL, 0, 0, NULL, run_nop, "", NULL},
};

static int parse(struct cli_args *a, char *err, size_t errlen, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"keelctl";
	va_start(ap, errlen);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return cli_parse(argc, argv, cmds, 2, a, err, errlen);
}

static void test_parse(void)
{
	struct cli_args a;
	char err[256];
	int rc;

	rc = parse(&a, err, sizeof err, "-o", "json", "get", "projects", "p1",
	           "--filter.limit=5", "--filter.asc", "-p", "x", "--labels",
	           "a=1", "--labels=b=2", "--timeout", "5s", NULL);
	TAP_EQ_INT(rc, 0, "parse a full command line (%s)", err);
	TAP_OK(a.cmd == &cmds[0], "noun alias 'projects' finds get project");
	TAP_EQ_STR(a.o.output, "json", "-o json before the verb");
	TAP_EQ_INT(a.npos, 1, "one positional argument");
	TAP_EQ_STR(a.npos ? a.pos[0] : NULL, "p1", "the ID");
	TAP_EQ_STR(a.o.limit, "5", "--flag=value");
	TAP_EQ_INT(a.o.asc, 1, "bool flag");
	TAP_EQ_STR(a.o.project, "x", "-p value after the noun");
	TAP_EQ_INT(a.o.labels.n, 2, "repeatable flag");
	TAP_EQ_STR(a.o.timeout, "5s", "--timeout");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "get", "project", "-oyaml",
	           "--filter.asc=false", NULL);
	TAP_EQ_INT(rc, 0, "attached short value");
	TAP_EQ_STR(a.o.output, "yaml", "-oyaml");
	TAP_EQ_INT(a.o.asc, 0, "--bool=false");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "get", "project", "--nope", NULL);
	TAP_EQ_INT(rc, CLI_EXIT_USAGE, "unknown flag is a usage error");
	TAP_HAS_STR(err, "unknown flag: --nope", "names the flag");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "--filter.limit", "5", "get", "project",
	           NULL);
	TAP_EQ_INT(rc, CLI_EXIT_USAGE,
	           "command flag before its command is unknown");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "frobnicate", NULL);
	TAP_EQ_INT(rc, CLI_EXIT_USAGE, "unknown command");
	TAP_HAS_STR(err, "unknown command \"frobnicate\"", "names it");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "get", "widget", NULL);
	TAP_EQ_INT(rc, CLI_EXIT_USAGE, "unknown resource");
	TAP_HAS_STR(err, "unknown resource \"widget\"", "names it");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "get", "project", "--filter.limit",
	           NULL);
	TAP_EQ_INT(rc, CLI_EXIT_USAGE, "missing flag value");
	TAP_HAS_STR(err, "flag needs an argument", "says so");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "help", "get", "project", NULL);
	TAP_EQ_INT(rc, 0, "keelctl help get project");
	TAP_OK(a.o.help && a.cmd == &cmds[0], "help for get project");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "get", "project", "--", "-weird", NULL);
	TAP_EQ_INT(rc, 0, "-- ends flags");
	TAP_EQ_STR(a.npos ? a.pos[0] : NULL, "-weird", "positional after --");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "version", "--version", NULL);
	TAP_OK(rc == 0 && a.o.version && a.cmd == &cmds[1], "version");
	cli_args_free(&a);
}

static void test_values(void)
{
	enum cli_output o;
	int64_t ms = 0;
	uint32_t u = 0;

	TAP_OK(cli_parse_output("JSON", &o) == 0 && o == CLI_OUT_JSON,
	       "-o JSON is case-insensitive");
	TAP_OK(cli_parse_output("Yaml", &o) == 0 && o == CLI_OUT_YAML, "Yaml");
	TAP_OK(cli_parse_output(NULL, &o) == 0 && o == CLI_OUT_TABLE,
	       "default TABLE");
	TAP_OK(cli_parse_output("xml", &o) < 0, "xml refused");

	TAP_OK(cli_parse_duration_ms("30s", &ms) == 0 && ms == 30000, "30s");
	TAP_OK(cli_parse_duration_ms("1m30s", &ms) == 0 && ms == 90000,
	       "1m30s");
	TAP_OK(cli_parse_duration_ms("500ms", &ms) == 0 && ms == 500, "500ms");
	TAP_OK(cli_parse_duration_ms("1.5h", &ms) == 0 && ms == 5400000,
	       "1.5h");
	TAP_OK(cli_parse_duration_ms("2", &ms) == 0 && ms == 2000,
	       "bare number is seconds");
	TAP_OK(cli_parse_duration_ms("10x", &ms) < 0, "bad unit refused");
	TAP_OK(cli_parse_duration_ms("-1s", &ms) < 0, "negative refused");
	TAP_OK(cli_parse_duration_ms("1m30", &ms) < 0,
	       "trailing number without unit refused");

	TAP_OK(cli_parse_u32("100", &u) == 0 && u == 100, "u32");
	TAP_OK(cli_parse_u32("4294967296", &u) < 0, "u32 overflow refused");
	TAP_OK(cli_parse_u32("-1", &u) < 0, "u32 negative refused");
	TAP_OK(cli_parse_u32("1x", &u) < 0, "u32 junk refused");
}

static void test_labels(void)
{
	const char *v[] = {"a=1,b=2", "a=3", "c="};
	struct cli_strlist l = {v, 3, 3};
	char **k = NULL, **vals = NULL, err[128];
	size_t n = 0;
	const char *bad[] = {"novalue"};
	struct cli_strlist lb = {bad, 1, 1};

	TAP_OK(cli_parse_labels(&l, &k, &vals, &n, err, sizeof err) == 0,
	       "labels parse");
	TAP_EQ_INT(n, 3, "three distinct keys");
	if (n == 3) {
		TAP_OK(strcmp(k[0], "a") == 0 && strcmp(vals[0], "3") == 0,
		       "later value replaces an earlier one");
		TAP_OK(strcmp(k[2], "c") == 0 && strcmp(vals[2], "") == 0,
		       "empty value allowed");
	}
	cli_free_strv(k, n);
	cli_free_strv(vals, n);
	TAP_OK(cli_parse_labels(&lb, &k, &vals, &n, err, sizeof err) < 0,
	       "label without '=' refused");
	TAP_HAS_STR(err, "novalue", "error names it");
}

static void test_filter(void)
{
	static const struct {
		const char *in, *want;
	} ok[] = {
	    {"project.name=foo", "eq(project.name,foo)"},
	    {"a!=b,c>1", "ne(a,b)+gt(c,1)"},
	    {"a>=1, b<=2 ,c<3", "gte(a,1)+lte(b,2)+lt(c,3)"},
	    {"name contains snack", "contains(name,snack)"},
	    {"execution.phase in (FAILED;SUCCEEDED)",
	     "value_in(execution.phase,FAILED;SUCCEEDED)"},
	    {"a=x\\,y\\=z", "eq(a,x,y=z)"},
	    {"eq(project.name,foo)+ne(state,1)",
	     "eq(project.name,foo)+ne(state,1)"},
	    {"", ""},
	};
	static const char *const bad[] = {
	    "justtext", "=b", "a=", "a=b=c", "a in b", "a=b\\q"};
	char *out = NULL, err[256];
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		TAP_OK(cli_filter_rewrite(ok[i].in, &out, err, sizeof err) == 0,
		       "filter \"%s\" parses", ok[i].in);
		TAP_EQ_STR(out, ok[i].want, "filter \"%s\"", ok[i].in);
		free(out);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		TAP_OK(cli_filter_rewrite(bad[i], &out, err, sizeof err) < 0 &&
		           out == NULL && err[0],
		       "filter \"%s\" refused: %s", bad[i], err);
	}
}

static int pf_parse(const char *text, struct cli_projfile *pf, char *err,
                    size_t errlen)
{
	return cli_projfile_parse(text, strlen(text), "p.yaml", pf, err,
	                          errlen);
}

static void test_projfile(void)
{
	struct cli_projfile pf;
	char err[256];
	int rc;

	rc = pf_parse("# a project\n"
	              "---\n"
	              "id: \"flytesnacks\"\n"
	              "name: Flyte Snacks   # trailing comment\n"
	              "description: 'it''s #1: \"the\" snacks'\n"
	              "labels:\n"
	              "  values:\n"
	              "    team: ml\n"
	              "    \"env\": \"d\\u00e9v\"\n",
	              &pf, err, sizeof err);
	TAP_EQ_INT(rc, 0, "flytectl project file (%s)", rc ? err : "ok");
	TAP_EQ_STR(pf.id, "flytesnacks", "double-quoted id");
	TAP_EQ_STR(pf.name, "Flyte Snacks", "plain name, comment stripped");
	TAP_EQ_STR(pf.description, "it's #1: \"the\" snacks",
	           "single-quoted description");
	TAP_EQ_INT(pf.nlabels, 2, "labels under values:");
	if (pf.nlabels == 2) {
		TAP_OK(strcmp(pf.keys[0], "team") == 0 &&
		           strcmp(pf.vals[0], "ml") == 0,
		       "label team=ml");
		TAP_OK(strcmp(pf.keys[1], "env") == 0 &&
		           strcmp(pf.vals[1], "d\xc3\xa9v") == 0,
		       "quoted key, \\u escape");
	}
	cli_projfile_free(&pf);

	rc =
	    pf_parse("id: a\r\nlabels:\r\n   x: 1\r\n   y: true\r\nname: n\r\n",
	             &pf, err, sizeof err);
	TAP_EQ_INT(rc, 0, "direct labels, CRLF (%s)", rc ? err : "ok");
	TAP_OK(pf.nlabels == 2 && strcmp(pf.vals[0], "1") == 0 &&
	           strcmp(pf.vals[1], "true") == 0 && pf.name &&
	           strcmp(pf.name, "n") == 0,
	       "numbers and booleans read as strings");
	cli_projfile_free(&pf);

	rc = pf_parse("id: a\nlabels: {x: 1, 'y': \"two, three\"}\n", &pf, err,
	              sizeof err);
	TAP_EQ_INT(rc, 0, "flow labels (%s)", rc ? err : "ok");
	TAP_OK(pf.nlabels == 2 && strcmp(pf.vals[1], "two, three") == 0,
	       "flow map values");
	cli_projfile_free(&pf);

	rc = pf_parse("id: a\nlabels: {}\n", &pf, err, sizeof err);
	TAP_OK(rc == 0 && pf.nlabels == 0, "empty flow labels");
	cli_projfile_free(&pf);

	rc = pf_parse("id: a\nowner: me\n", &pf, err, sizeof err);
	TAP_OK(rc < 0, "unknown key refused");
	TAP_HAS_STR(err, "p.yaml:2: unknown key 'owner'", "file:line");

	rc = pf_parse("id: a\nid: b\n", &pf, err, sizeof err);
	TAP_HAS_STR(err, "p.yaml:2: duplicate key 'id'", "duplicate key");

	rc = pf_parse("id: a\n  name: b\n", &pf, err, sizeof err);
	TAP_HAS_STR(err, "p.yaml:2: unexpected indentation",
	            "stray indentation");

	rc = pf_parse("labels:\n\tx: 1\n", &pf, err, sizeof err);
	TAP_HAS_STR(err, "p.yaml:2: tabs are not allowed", "tabs");

	rc = pf_parse("description: |\n  text\n", &pf, err, sizeof err);
	TAP_HAS_STR(err, "p.yaml:1: block scalars", "block scalar");

	rc = pf_parse("name: \"open\n", &pf, err, sizeof err);
	TAP_HAS_STR(err, "p.yaml:1: unterminated", "unterminated string");

	rc = pf_parse("labels:\n  a: 1\n  a: 2\n", &pf, err, sizeof err);
	TAP_HAS_STR(err, "p.yaml:3: duplicate label 'a'", "duplicate label");

	rc = pf_parse("labels:\n  a: 1\n    b: 2\n", &pf, err, sizeof err);
	TAP_HAS_STR(err, "p.yaml:3: bad indentation", "nested map refused");

	rc = pf_parse("labels:\n  values:\n    a: 1\n  b: 2\n", &pf, err,
	              sizeof err);
	TAP_HAS_STR(err, "p.yaml:4: labels: give the pairs",
	            "values: and direct pairs mixed");

	rc = pf_parse("- id: a\n", &pf, err, sizeof err);
	TAP_HAS_STR(err, "p.yaml:1: lists are not supported", "list refused");

	rc = pf_parse("name: a\" b\n", &pf, err, sizeof err);
	TAP_OK(rc == 0 && strcmp(pf.name, "a\" b") == 0,
	       "quote inside a plain scalar is literal");
	cli_projfile_free(&pf);

	rc = pf_parse("name: \"x\" y\n", &pf, err, sizeof err);
	TAP_HAS_STR(err, "unexpected text after the value", "junk after quote");
}

static void test_table(void)
{
	static const char *const hdr[] = {"ID", "NAME"};
	static const char *const cells[] = {
	    "a",
	    "Alpha",
	    "bb",
	    "0123456789012345678901234567890123456789XYZ",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	TAP_OK(f != NULL, "memstream");
	if (!f)
		return;
	TAP_EQ_INT(cli_print_table(f, hdr, 2, cells, 2), 0, "table printed");
	fclose(f);
	TAP_EQ_STR(
	    buf,
	    " ---- ------------------------------------------ \n"
	    "| ID | NAME                                     |\n"
	    " ---- ------------------------------------------ \n"
	    "| a  | Alpha                                    |\n"
	    " ---- ------------------------------------------ \n"
	    "| bb | 012345678901234567890123456789012345678\xe2\x80\xa6 |\n"
	    " ---- ------------------------------------------ \n"
	    "2 rows\n",
	    "flytectl-style table, long cell cut at 40 columns");
	free(buf);
}

int main(void)
{
	test_parse();
	test_values();
	test_labels();
	test_filter();
	test_projfile();
	test_table();
	return tap_done();
}
