/*
 * cli_test.c -- keelctl's pieces without a server: argument parsing,
 * durations, labels, field selectors, project files, tables, the tar
 * reader, decoding and hydrating serialized entities.  TAP.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "cli.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "pbjson.h"

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
    {"version", 0, CLI_FLAG_STR, OPT(ent_version), "V", ""},
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

	rc = parse(&a, err, sizeof err, "get", "project", "p1", "--version",
	           "v2", NULL);
	TAP_OK(rc == 0 && !a.o.version && a.o.ent_version &&
	           strcmp(a.o.ent_version, "v2") == 0 && a.npos == 1,
	       "a command's --version V hides keelctl's --version");
	cli_args_free(&a);

	rc = parse(&a, err, sizeof err, "--version", "get", "project", NULL);
	TAP_OK(rc == 0 && a.o.version && !a.o.ent_version,
	       "--version before the command is keelctl's");
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

/* ---- tar ------------------------------------------------------------- */

struct tarbuf {
	unsigned char b[64 * 512];
	size_t n;
};

/* Append a header (and data, padded) to t; gnu picks GNU's magic. */
static unsigned char *tar_add(struct tarbuf *t, const char *name, char type,
                              const void *data, size_t len, int gnu)
{
	unsigned char *h = t->b + t->n;
	unsigned sum = 0;
	size_t i;

	memset(h, 0, 512);
	memcpy(h, name, strnlen(name, 100));
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011o", (unsigned)len);
	memcpy(h + 136, "14751234567", 12);
	h[156] = (unsigned char)type;
	if (gnu) {
		memcpy(h + 257, "ustar  ", 8);
	} else {
		memcpy(h + 257, "ustar", 6);
		memcpy(h + 263, "00", 2);
	}
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	t->n += 512;
	if (len) {
		memset(t->b + t->n, 0, (len + 511) / 512 * 512);
		memcpy(t->b + t->n, data, len);
		t->n += (len + 511) / 512 * 512;
	}
	return h;
}

static void tar_end(struct tarbuf *t, size_t zero_blocks)
{
	memset(t->b + t->n, 0, zero_blocks * 512);
	t->n += zero_blocks * 512;
}

/* Recompute a header's checksum after changing it. */
static void tar_resum(unsigned char *h)
{
	unsigned sum = 0;
	size_t i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static int tar_try(const struct tarbuf *t, size_t len, char *err, size_t errlen,
                   size_t *n)
{
	struct cli_tar_member *m = NULL;
	int rc;

	err[0] = '\0';
	rc = cli_tar_parse(t->b, len, &m, n, err, errlen);
	cli_tar_free(m, *n);
	return rc;
}

static void test_tar(void)
{
	static struct tarbuf t;
	struct cli_tar_member *m = NULL;
	char longname[200], pax[300], err[256];
	unsigned char *h;
	size_t n = 0, len;
	int rc;

	/* ustar: a directory, two files, one through ./ and a prefix */
	t.n = 0;
	tar_add(&t, "./pkg/", '5', NULL, 0, 0);
	tar_add(&t, "./pkg/0_a_1.pb", '0', "hello", 5, 0);
	h = tar_add(&t, "1_b_2.pb", '0', "world!", 6, 0);
	memcpy(h + 345, "deep/dir", 8);
	tar_resum(h);
	tar_end(&t, 2);
	rc = cli_tar_parse(t.b, t.n, &m, &n, err, sizeof err);
	TAP_EQ_INT(rc, 0, "ustar archive parses (%s)", rc ? err : "ok");
	TAP_EQ_INT(n, 2, "two regular files, the directory skipped");
	if (rc == 0 && n == 2) {
		TAP_EQ_STR(m[0].name, "pkg/0_a_1.pb", "leading ./ dropped");
		TAP_OK(m[0].len == 5 && memcmp(m[0].data, "hello", 5) == 0,
		       "first member's data");
		TAP_EQ_STR(m[1].name, "deep/dir/1_b_2.pb",
		           "POSIX prefix joined to the name");
		TAP_OK(m[1].len == 6 && memcmp(m[1].data, "world!", 6) == 0,
		       "second member's data");
	}
	cli_tar_free(m, n);

	/* GNU 'L' long name */
	memset(longname, 'x', 150);
	strcpy(longname + 150, "_1.pb");
	t.n = 0;
	tar_add(&t, "././@LongLink", 'L', longname, strlen(longname) + 1, 1);
	tar_add(&t, "xxxxxxxxxxxxxxxx", '0', "abc", 3, 1);
	tar_end(&t, 2);
	rc = cli_tar_parse(t.b, t.n, &m, &n, err, sizeof err);
	TAP_OK(rc == 0 && n == 1 && strcmp(m[0].name, longname) == 0 &&
	           m[0].len == 3,
	       "GNU 'L' long name (%s)", rc ? err : "ok");
	cli_tar_free(m, n);

	/* pax 'x' path (and a 'g' global header, ignored) */
	len = strlen(longname) + strlen(" path=\n");
	len += len >= 100 - 3 ? 3 : 2; /* the length counts its own digits */
	snprintf(pax, sizeof pax, "%zu path=%s\n", len, longname);
	t.n = 0;
	tar_add(&t, "pax_global_header", 'g', "19 comment=globals\n", 19, 0);
	tar_add(&t, "PaxHeaders/x", 'x', pax, strlen(pax), 0);
	tar_add(&t, "short", '0', "abcd", 4, 0);
	tar_end(&t, 2);
	rc = cli_tar_parse(t.b, t.n, &m, &n, err, sizeof err);
	TAP_OK(rc == 0 && n == 1 && strcmp(m[0].name, longname) == 0 &&
	           m[0].len == 4,
	       "pax path record (%s)", rc ? err : "ok");
	cli_tar_free(m, n);

	t.n = 0;
	tar_add(&t, "PaxHeaders/x", 'x', "8 path=x\n", 9, 0);
	tar_add(&t, "short", '0', "abcd", 4, 0);
	tar_end(&t, 2);
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) < 0 &&
	           strstr(err, "bad pax extended header record"),
	       "pax record with a wrong length refused: %s", err);

	/* a single zero block ends the archive; zeros may pad it */
	t.n = 0;
	tar_add(&t, "a_1.pb", '0', "x", 1, 0);
	tar_end(&t, 1);
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) == 0 && n == 1,
	       "one zero block ends the archive (%s)", err);
	tar_end(&t, 17);
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) == 0 && n == 1,
	       "zero padding to the record size (%s)", err);
	t.n -= 17 * 512 + 512;
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) < 0 &&
	           strstr(err, "no end-of-archive block"),
	       "no end-of-archive block refused: %s", err);
	TAP_OK(tar_try(&t, 0, err, sizeof err, &n) < 0,
	       "an empty file is not an archive: %s", err);
	tar_end(&t, 1);
	tar_add(&t, "b_1.pb", '0', "y", 1, 0);
	tar_end(&t, 2);
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) < 0 &&
	           strstr(err, "data after the end-of-archive block at "
	                       "offset 1024"),
	       "a header after the end block refused: %s", err);

	/* truncated header, truncated member */
	t.n = 0;
	tar_add(&t, "a_1.pb", '0', "x", 1, 0);
	tar_end(&t, 2);
	TAP_OK(tar_try(&t, 1024 + 100, err, sizeof err, &n) < 0 &&
	           strstr(err, "truncated tar header at offset 1024"),
	       "truncated header: %s", err);
	t.n = 0;
	tar_add(&t, "big_1.pb", '0', longname, 155, 0);
	TAP_OK(tar_try(&t, 512 + 100, err, sizeof err, &n) < 0 &&
	           strstr(err, "truncated tar member at offset 0"),
	       "truncated member data: %s", err);
	TAP_OK(tar_try(&t, 300, err, sizeof err, &n) < 0 &&
	           strstr(err, "truncated tar header at offset 0"),
	       "header cut short: %s", err);

	/* bad checksum, bad magic, bad numbers, odd types */
	t.n = 0;
	h = tar_add(&t, "a_1.pb", '0', "x", 1, 0);
	tar_end(&t, 2);
	h[0] = 'b';
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) < 0 &&
	           strstr(err, "bad tar header checksum at offset 0"),
	       "bad checksum: %s", err);
	h[0] = 'a';
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) == 0,
	       "restored header parses again");
	memcpy(h + 257, "xxxxx", 5);
	tar_resum(h);
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) < 0 &&
	           strstr(err, "not a ustar/GNU/pax tar header"),
	       "v7 / foreign header refused: %s", err);
	memcpy(h + 257, "ustar", 5);
	memcpy(h + 124, "0000000001x", 11);
	tar_resum(h);
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) < 0 &&
	           strstr(err, "bad size field"),
	       "non-octal size refused: %s", err);

	t.n = 0;
	tar_add(&t, "sparse", 'S', NULL, 0, 1);
	tar_end(&t, 2);
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) < 0 &&
	           strstr(err, "unsupported tar entry type 'S'"),
	       "GNU sparse refused: %s", err);

	t.n = 0;
	tar_add(&t, "a_1.pb", '0', "x", 1, 0);
	tar_add(&t, "link", '2', NULL, 0, 0);
	tar_add(&t, "././@LongLink", 'L', "dangling", 9, 1);
	tar_end(&t, 2);
	TAP_OK(tar_try(&t, t.n, err, sizeof err, &n) < 0 &&
	           strstr(err, "has no entry"),
	       "long name with no entry after it refused: %s", err);

	/* GNU base-256 size */
	t.n = 0;
	h = tar_add(&t, "a_1.pb", '0', "xyz", 3, 1);
	memset(h + 124, 0, 12);
	h[124] = 0x80;
	h[135] = 3;
	tar_resum(h);
	tar_end(&t, 2);
	rc = cli_tar_parse(t.b, t.n, &m, &n, err, sizeof err);
	TAP_OK(rc == 0 && n == 1 && m[0].len == 3, "base-256 size (%s)",
	       rc ? err : "ok");
	cli_tar_free(m, n);
}

/* ---- serialized entities ---------------------------------------------- */

static int decode_json(const char *name, const char *json, struct cli_entity *e,
                       char *err, size_t errlen)
{
	err[0] = '\0';
	return cli_entity_decode(name, (const unsigned char *)json,
	                         strlen(json), e, err, errlen);
}

#define PH_ID(rt, nm)                                                          \
	"{\"resourceType\": \"" rt                                             \
	"\", \"project\": \"{{ registration.project "                          \
	"}}\", \"domain\": \"{{ registration.domain }}\", \"name\": \"" nm     \
	"\", \"version\": \"{{ registration.version }}\"}"

static void test_entities(void)
{
	struct cli_entity e;
	const char *name, *ver;
	char err[1024];
	uint8_t *pb;
	size_t n;
	int rc;

	rc = decode_json("0_t_1.json",
	                 "{\"template\": {\"id\": " PH_ID(
	                     "TASK", "t") ", "
	                                  "\"type\": \"python-task\"}}",
	                 &e, err, sizeof err);
	TAP_OK(rc == 0 && e.kind == CLI_KIND_TASK, "JSON task decodes (%s)",
	       err);
	if (rc == 0) {
		rc = cli_entity_hydrate(&e, "p", "d", "v7", err, sizeof err);
		cli_entity_id(&e, &name, &ver);
		TAP_OK(rc == 0 && strcmp(name, "t") == 0 &&
		           strcmp(ver, "v7") == 0,
		       "task version hydrated (%s)", err);
		{
			Flyteidl__Core__Identifier *id =
			    ((Flyteidl__Admin__TaskSpec *)e.msg)->template_->id;

			TAP_OK(strcmp(id->project, "p") == 0 &&
			           strcmp(id->domain, "d") == 0,
			       "task project and domain hydrated");
		}
		/* as pyflyte writes it: binary, "_1.pb" */
		n = protobuf_c_message_get_packed_size(e.msg);
		pb = malloc(n);
		protobuf_c_message_pack(e.msg, pb);
		protobuf_c_message_free_unpacked(e.msg, NULL);
		rc = cli_entity_decode("dir/5_t_1.pb", pb, n, &e, err,
		                       sizeof err);
		TAP_OK(rc == 0 && e.kind == CLI_KIND_TASK,
		       "binary task decodes (%s)", err);
		if (rc == 0)
			protobuf_c_message_free_unpacked(e.msg, NULL);
		free(pb);
	}

	rc = decode_json("t.json",
	                 "{\"template\": {\"id\": {\"name\": \"t\", "
	                 "\"version\": \"mine\"}}}",
	                 &e, err, sizeof err);
	TAP_OK(rc == 0 && e.kind == CLI_KIND_TASK,
	       "no suffix: tried as a task first");
	if (rc == 0) {
		TAP_OK(cli_entity_hydrate(&e, "p", "d", "v1", err,
		                          sizeof err) == 0,
		       "hydrate");
		cli_entity_id(&e, &name, &ver);
		TAP_EQ_STR(ver, "mine", "an explicit version is kept");
		protobuf_c_message_free_unpacked(e.msg, NULL);
	}

	rc = decode_json("t_1.json",
	                 "{\"template\": {\"id\": {\"name\": \"t\"}}}", &e, err,
	                 sizeof err);
	if (rc == 0) {
		TAP_OK(cli_entity_hydrate(&e, "p", "d", NULL, err, sizeof err) <
		               0 &&
		           strstr(err, "task t has no version: give --version"),
		       "missing version without --version: %s", err);
		protobuf_c_message_free_unpacked(e.msg, NULL);
	} else {
		TAP_OK(0, "task without version decodes: %s", err);
	}

	rc = decode_json("x_1.json", "{\"nonsense\": 1}", &e, err, sizeof err);
	TAP_OK(rc < 0 && strstr(err, "not a task, workflow or launch plan") &&
	           strstr(err, "as a task"),
	       "unknown JSON refused, naming the type tried first: %s", err);
	rc = cli_entity_decode("x_2.pb", (const unsigned char *)"\xff\xff\xff",
	                       3, &e, err, sizeof err);
	TAP_OK(rc < 0 && strstr(err, "as a workflow"),
	       "garbage .pb refused: %s", err);
	rc = cli_entity_decode("x_1.pb", (const unsigned char *)"", 0, &e, err,
	                       sizeof err);
	TAP_OK(rc < 0, "empty .pb refused: %s", err);

	/* a workflow: every reference flytectl hydrates */
	rc = decode_json(
	    "1_w_2.json",
	    "{\"template\": {\"id\": {\"resourceType\": \"WORKFLOW\", "
	    "\"name\": \"w\"}, \"nodes\": ["
	    "{\"id\": \"n0\", \"taskNode\": {\"referenceId\": " PH_ID(
	        "TASK",
	        "t") "}},"
	             "{\"id\": \"n1\", \"workflowNode\": "
	             "{\"subWorkflowRef\": " PH_ID(
	                 "WORKFLOW",
	                 "sub") "}},"
	                        "{\"id\": \"n2\", \"workflowNode\": "
	                        "{\"launchplanRef\": "
	                        "{\"name\": \"lp\", \"project\": \"other\", "
	                        "\"version\": "
	                        "\"v0\"}}},"
	                        "{\"id\": \"n3\", \"branchNode\": {\"ifElse\": "
	                        "{"
	                        "\"case\": {\"thenNode\": {\"id\": \"a\", "
	                        "\"taskNode\": "
	                        "{\"referenceId\": {\"name\": \"t2\"}}}},"
	                        "\"other\": [{\"thenNode\": {\"id\": \"b\", "
	                        "\"taskNode\": "
	                        "{\"referenceId\": {\"name\": \"t3\"}}}}],"
	                        "\"elseNode\": {\"id\": \"c\", \"taskNode\": "
	                        "{\"referenceId\": "
	                        "{\"name\": \"t4\"}}}}}},"
	                        "{\"id\": \"n4\", \"arrayNode\": {\"node\": "
	                        "{\"id\": \"d\", "
	                        "\"taskNode\": {\"referenceId\": {\"name\": "
	                        "\"t5\"}}}}},"
	                        "{\"id\": \"n5\", \"gateNode\": {\"sleep\": "
	                        "{\"duration\": "
	                        "\"1s\"}}}],"
	                        "\"failureNode\": {\"id\": \"f\", "
	                        "\"taskNode\": {\"referenceId\": "
	                        "{\"name\": \"t6\"}}}},"
	                        "\"subWorkflows\": [{\"id\": " PH_ID(
	                            "WORKFLOW",
	                            "sub") ", "
	                                   "\"nodes\": [{\"id\": \"s0\", "
	                                   "\"taskNode\": {\"referenceId\": "
	                                   "{\"name\": \"t7\"}}}]}]}",
	    &e, err, sizeof err);
	TAP_OK(rc == 0 && e.kind == CLI_KIND_WORKFLOW,
	       "JSON workflow decodes (%s)", err);
	if (rc == 0) {
		Flyteidl__Admin__WorkflowSpec *w =
		    (Flyteidl__Admin__WorkflowSpec *)e.msg;
		Flyteidl__Core__Node **nd = w->template_->nodes;
		Flyteidl__Core__IfElseBlock *ie;
		const Flyteidl__Core__Identifier *ids[11];
		size_t i, good = 0;

		rc = cli_entity_hydrate(&e, "p", "d", "v9", err, sizeof err);
		TAP_EQ_INT(rc, 0, "workflow hydrates (%s)", err);
		ie = nd[3]->branch_node->if_else;
		ids[0] = w->template_->id;
		ids[1] = nd[0]->task_node->reference_id;
		ids[2] = nd[1]->workflow_node->sub_workflow_ref;
		ids[3] = ie->case_->then_node->task_node->reference_id;
		ids[4] = ie->other[0]->then_node->task_node->reference_id;
		ids[5] = ie->else_node->task_node->reference_id;
		ids[6] = nd[4]->array_node->node->task_node->reference_id;
		ids[7] = w->template_->failure_node->task_node->reference_id;
		ids[8] = w->sub_workflows[0]->id;
		ids[9] = w->sub_workflows[0]->nodes[0]->task_node->reference_id;
		for (i = 0; i < 10; i++)
			good += strcmp(ids[i]->project, "p") == 0 &&
			        strcmp(ids[i]->domain, "d") == 0 &&
			        strcmp(ids[i]->version, "v9") == 0;
		TAP_EQ_INT(good, 10,
		           "template id, task, sub-workflow, branch, array, "
		           "failure-node and sub-workflow references hydrated");
		ids[10] = nd[2]->workflow_node->launchplan_ref;
		TAP_OK(strcmp(ids[10]->project, "other") == 0 &&
		           strcmp(ids[10]->domain, "d") == 0 &&
		           strcmp(ids[10]->version, "v0") == 0,
		       "set fields are kept, empty ones filled");
		protobuf_c_message_free_unpacked(e.msg, NULL);
	}

	rc = decode_json("2_w_3.json",
	                 "{\"id\": {\"resourceType\": \"LAUNCH_PLAN\", "
	                 "\"name\": \"w\"}, \"spec\": {\"workflowId\": " PH_ID(
	                     "WORKFLOW", "w") "}}",
	                 &e, err, sizeof err);
	TAP_OK(rc == 0 && e.kind == CLI_KIND_LAUNCHPLAN,
	       "JSON launch plan decodes (%s)", err);
	if (rc == 0) {
		Flyteidl__Admin__LaunchPlan *lp =
		    (Flyteidl__Admin__LaunchPlan *)e.msg;

		rc = cli_entity_hydrate(&e, "p", "d", "v3", err, sizeof err);
		TAP_OK(rc == 0 && strcmp(lp->id->project, "p") == 0 &&
		           strcmp(lp->id->version, "v3") == 0 &&
		           strcmp(lp->spec->workflow_id->domain, "d") == 0 &&
		           strcmp(lp->spec->workflow_id->version, "v3") == 0,
		       "launch plan id and workflow id hydrated (%s)", err);
		protobuf_c_message_free_unpacked(e.msg, NULL);
	}

	rc = decode_json("w_2.json",
	                 "{\"template\": {\"id\": {\"name\": \"w\"}, "
	                 "\"nodes\": [{\"id\": \"bare\"}]}}",
	                 &e, err, sizeof err);
	if (rc == 0) {
		TAP_OK(cli_entity_hydrate(&e, "p", "d", "v", err, sizeof err) <
		               0 &&
		           strstr(err, "node bare has no target"),
		       "node without a target refused: %s", err);
		protobuf_c_message_free_unpacked(e.msg, NULL);
	} else {
		TAP_OK(0, "workflow with a bare node decodes: %s", err);
	}
}

int main(void)
{
	test_parse();
	test_values();
	test_labels();
	test_filter();
	test_projfile();
	test_table();
	test_tar();
	test_entities();
	return tap_done();
}
