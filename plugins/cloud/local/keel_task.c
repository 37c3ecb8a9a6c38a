/*
 * keel_task.c -- keel-task, what a shell task run by keel-local-agent
 * calls to read its inputs and write its outputs (see README.md,
 * "Writing a local task").
 *
 *   keel-task input NAME             print one input as text
 *   keel-task inputs                 print NAME=VALUE lines, by name
 *   keel-task output NAME VALUE      set an output in outputs.pb
 *   keel-task fail MESSAGE           write error.pb
 *   keel-task dump FILE              print a LiteralMap file
 *   keel-task dump-error FILE        print an ErrorDocument file
 *
 * Files come from the agent's environment (KEEL_INPUTS,
 * KEEL_OUTPUT_PREFIX, KEEL_TASK_INTERFACE) or options.  Exit 0; 1 with
 * "keel-task: ..." on stderr when something fails; 2 on bad usage.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flyteidl/core/errors.pb-c.h"
#include "flyteidl/core/interface.pb-c.h"
#include "lit.h"

#define KT_MAX_FILE (64 << 20) /* an interface file larger is refused */

struct kt_opts {
	const char *inputs;        /* --inputs, $KEEL_INPUTS */
	const char *output_prefix; /* --output-prefix, $KEEL_OUTPUT_PREFIX */
	const char *interface;     /* --interface, $KEEL_TASK_INTERFACE */
	const char *type;          /* --type (output) */
	const char *code;          /* --code (fail) */
	int recoverable;           /* --recoverable (fail) */
	const char *args[3];       /* positional: the command and its words */
	int nargs;
};

static char kt_err[8192];

static void kt_usage(FILE *f)
{
	fputs("usage: keel-task [OPTIONS] COMMAND ARGS\n"
	      "  input NAME                  print the input NAME\n"
	      "  inputs                      print all inputs, NAME=VALUE, by name\n"
	      "  output [--type WORD] NAME VALUE\n"
	      "                              set output NAME in outputs.pb\n"
	      "  fail [--recoverable] [--code CODE] MESSAGE\n"
	      "                              write error.pb (then exit non-zero)\n"
	      "  dump FILE                   print a LiteralMap file\n"
	      "  dump-error FILE             print an ErrorDocument file\n"
	      "options:\n"
	      "  --inputs FILE               instead of $KEEL_INPUTS\n"
	      "  --output-prefix DIR         instead of $KEEL_OUTPUT_PREFIX\n"
	      "  --interface FILE            instead of $KEEL_TASK_INTERFACE\n"
	      "  --type WORD                 the output's type without an interface:\n"
	      "                              integer float string boolean datetime\n"
	      "                              duration none file directory\n",
	      f);
}

static int kt_bad_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int kt_bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "keel-task: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	kt_usage(stderr);
	return 2;
}

static int kt_fail(const char *msg)
{
	fprintf(stderr, "keel-task: %s\n", msg);
	return 1;
}

static const char *kt_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * Options are recognised anywhere, so that "fail MESSAGE --recoverable"
 * reads naturally; words with a single dash are values ("output n -5").
 * "--" ends the options.
 */
static int kt_parse_args(int argc, char **argv, struct kt_opts *o)
{
	static const struct {
		const char *name;
		int has_arg;
	} opts[] = {
		{ "inputs", 1 }, { "output-prefix", 1 }, { "interface", 1 },
		{ "type", 1 },   { "code", 1 },          { "recoverable", 0 },
		{ "help", 0 },
	};
	const char *a, *val, *eq;
	size_t i, nl;
	int k, dashdash = 0;

	memset(o, 0, sizeof *o);
	o->inputs = kt_env("KEEL_INPUTS");
	o->output_prefix = kt_env("KEEL_OUTPUT_PREFIX");
	o->interface = kt_env("KEEL_TASK_INTERFACE");
	for (k = 1; k < argc; k++) {
		a = argv[k];
		if (dashdash || a[0] != '-' || a[1] != '-') {
			if (o->nargs == 3)
				return kt_bad_usage("too many arguments (at %s)",
				                    a);
			o->args[o->nargs++] = a;
			continue;
		}
		if (!a[2]) {
			dashdash = 1;
			continue;
		}
		eq = strchr(a, '=');
		nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (i = 0; i < sizeof opts / sizeof opts[0]; i++)
			if (strlen(opts[i].name) == nl &&
			    strncmp(a + 2, opts[i].name, nl) == 0)
				break;
		if (i == sizeof opts / sizeof opts[0])
			return kt_bad_usage("unknown option %s", a);
		val = NULL;
		if (opts[i].has_arg) {
			if (eq)
				val = eq + 1;
			else if (k + 1 < argc)
				val = argv[++k];
			else
				return kt_bad_usage("%s needs a value", a);
		} else if (eq) {
			return kt_bad_usage("%s takes no value", a);
		}
		switch (i) {
		case 0: o->inputs = val; break;
		case 1: o->output_prefix = val; break;
		case 2: o->interface = val; break;
		case 3: o->type = val; break;
		case 4: o->code = val; break;
		case 5: o->recoverable = 1; break;
		default:
			kt_usage(stdout);
			exit(0);
		}
	}
	if (o->nargs == 0)
		return kt_bad_usage("%s", "no command");
	return 0;
}

/* ---- files ---------------------------------------------------------- */

static int kt_read_file(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t have = 0;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(kt_err, sizeof kt_err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(kt_err, sizeof kt_err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KT_MAX_FILE) {
		snprintf(kt_err, sizeof kt_err,
		         "%s: not a regular file of at most 64 MiB", path);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(kt_err, sizeof kt_err, "%s: out of memory", path);
		goto out;
	}
	while (have < (size_t)st.st_size) {
		n = read(fd, buf + have, (size_t)st.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(kt_err, sizeof kt_err, "%s: %s", path,
			         strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	*out = buf;
	*len = have;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Write bytes to path through a temporary file and a rename. */
static int kt_write_atomic(const char *path, const uint8_t *data, size_t len)
{
	char tmp[4096];
	ssize_t w;
	size_t done = 0;
	int fd;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp) {
		snprintf(kt_err, sizeof kt_err, "%s: path too long", path);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(kt_err, sizeof kt_err,
		         "%s: cannot create a temporary file: %s", path,
		         strerror(errno));
		return -1;
	}
	while (done < len) {
		w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		done += (size_t)w;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	snprintf(kt_err, sizeof kt_err, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

static int kt_need(const char *what, const char *var, const char *opt)
{
	snprintf(kt_err, sizeof kt_err, "no %s: set %s or give %s", what, var,
	         opt);
	return -1;
}

static int kt_read_inputs(const struct kt_opts *o, ProtobufCAllocator *a,
                          Flyteidl__Core__LiteralMap **m)
{
	if (!o->inputs)
		return kt_need("inputs file", "KEEL_INPUTS", "--inputs FILE");
	return lit_map_read(o->inputs, 0, a, m, kt_err, sizeof kt_err);
}

static int kt_entry_cmp(const void *x, const void *y)
{
	const Flyteidl__Core__LiteralMap__LiteralsEntry *a =
	    *(const Flyteidl__Core__LiteralMap__LiteralsEntry *const *)x;
	const Flyteidl__Core__LiteralMap__LiteralsEntry *b =
	    *(const Flyteidl__Core__LiteralMap__LiteralsEntry *const *)y;

	return strcmp(a->key, b->key);
}

/* NAME=VALUE lines of m, by name.  A value that cannot be shown is
 * reported on stderr, and the result is then 1. */
static int kt_print_map(const Flyteidl__Core__LiteralMap *m)
{
	Flyteidl__Core__LiteralMap__LiteralsEntry **v;
	char e[256], *t;
	size_t i;
	int rc = 0;

	v = malloc((m->n_literals ? m->n_literals : 1) * sizeof *v);
	if (!v)
		return kt_fail("out of memory");
	memcpy(v, m->literals, m->n_literals * sizeof *v);
	qsort(v, m->n_literals, sizeof *v, kt_entry_cmp);
	for (i = 0; i < m->n_literals; i++) {
		t = lit_text_dup(v[i]->value, e, sizeof e);
		if (!t) {
			fprintf(stderr, "keel-task: %s: %s\n", v[i]->key, e);
			rc = 1;
			continue;
		}
		printf("%s=%s\n", v[i]->key, t);
		free(t);
	}
	free(v);
	if (fflush(stdout) != 0)
		return kt_fail("cannot write to stdout");
	return rc;
}

/* "a, b, c" of the keys of m (sorted), or "none". */
static void kt_names(char *buf, size_t cap, const char *const *keys, size_t n)
{
	size_t i, w = 0;

	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, cap, "none");
		return;
	}
	for (i = 0; i < n && w < cap; i++)
		w += (size_t)snprintf(buf + w, cap - w, "%s%s", i ? ", " : "",
		                      keys[i]);
}

static int kt_str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* ---- commands ------------------------------------------------------- */

static int kt_cmd_input(const struct kt_opts *o, ProtobufCAllocator *a)
{
	Flyteidl__Core__LiteralMap *m;
	const Flyteidl__Core__Literal *l;
	const char **keys;
	char names[768], *t;
	size_t i;

	if (o->nargs != 2)
		return kt_bad_usage("%s", "input takes one NAME");
	if (kt_read_inputs(o, a, &m) < 0)
		return kt_fail(kt_err);
	l = lit_map_get(m, o->args[1]);
	if (!l) {
		keys = malloc((m->n_literals + 1) * sizeof *keys);
		if (!keys)
			return kt_fail("out of memory");
		for (i = 0; i < m->n_literals; i++)
			keys[i] = m->literals[i]->key;
		qsort(keys, m->n_literals, sizeof *keys, kt_str_cmp);
		kt_names(names, sizeof names, keys, m->n_literals);
		free(keys);
		snprintf(kt_err, sizeof kt_err, "no input named %s in %s (inputs: %s)",
		         o->args[1], o->inputs, names);
		return kt_fail(kt_err);
	}
	t = lit_text_dup(l, names, sizeof names);
	if (!t) {
		snprintf(kt_err, sizeof kt_err, "input %s: %s", o->args[1], names);
		return kt_fail(kt_err);
	}
	printf("%s\n", t);
	free(t);
	if (fflush(stdout) != 0)
		return kt_fail("cannot write to stdout");
	return 0;
}

static int kt_cmd_inputs(const struct kt_opts *o, ProtobufCAllocator *a)
{
	Flyteidl__Core__LiteralMap *m;

	if (o->nargs != 1)
		return kt_bad_usage("%s", "inputs takes no arguments");
	if (kt_read_inputs(o, a, &m) < 0)
		return kt_fail(kt_err);
	return kt_print_map(m);
}

/* The declared type of output name, from the interface file. */
static int kt_output_type(const struct kt_opts *o, ProtobufCAllocator *a,
                          const char *name,
                          const Flyteidl__Core__LiteralType **t)
{
	Flyteidl__Core__TypedInterface *ti;
	const Flyteidl__Core__VariableMap *vm;
	const char **keys = NULL;
	char names[768];
	uint8_t *buf = NULL;
	size_t len = 0, i, n;

	if (kt_read_file(o->interface, &buf, &len) < 0)
		return -1;
	ti = flyteidl__core__typed_interface__unpack(a, len, buf);
	free(buf);
	if (!ti) {
		snprintf(kt_err, sizeof kt_err,
		         "%s: not a serialized flyteidl.core.TypedInterface",
		         o->interface);
		return -1;
	}
	vm = ti->outputs;
	n = vm ? vm->n_variables : 0;
	for (i = 0; i < n; i++)
		if (strcmp(vm->variables[i]->key, name) == 0 &&
		    vm->variables[i]->value) {
			*t = vm->variables[i]->value->type;
			if (!*t) {
				snprintf(kt_err, sizeof kt_err,
				         "output %s has no type in %s", name,
				         o->interface);
				return -1;
			}
			return 0;
		}
	keys = malloc((n + 1) * sizeof *keys);
	if (!keys) {
		snprintf(kt_err, sizeof kt_err, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		keys[i] = vm->variables[i]->key;
	qsort(keys, n, sizeof *keys, kt_str_cmp);
	kt_names(names, sizeof names, keys, n);
	free(keys);
	snprintf(kt_err, sizeof kt_err,
	         "the task declares no output named %s in %s (outputs: %s)",
	         name, o->interface, names);
	return -1;
}

static int kt_cmd_output(const struct kt_opts *o, ProtobufCAllocator *a)
{
	const Flyteidl__Core__LiteralType *t = NULL;
	Flyteidl__Core__LiteralMap *m;
	Flyteidl__Core__Literal *l;
	const char *name, *value;
	char path[4096], perr[512];
	int dfd, rc = 1;

	if (o->nargs != 3)
		return kt_bad_usage("%s", "output takes NAME and VALUE");
	name = o->args[1];
	value = o->args[2];
	if (!*name)
		return kt_bad_usage("%s", "an output NAME may not be empty");
	if (!o->output_prefix) {
		kt_need("output directory", "KEEL_OUTPUT_PREFIX",
		        "--output-prefix DIR");
		return kt_fail(kt_err);
	}
	if (o->interface) {
		if (o->type) {
			snprintf(kt_err, sizeof kt_err,
			         "--type %s for output %s, but the interface %s "
			         "declares the outputs' types",
			         o->type, name, o->interface);
			return kt_fail(kt_err);
		}
		if (kt_output_type(o, a, name, &t) < 0)
			return kt_fail(kt_err);
	} else if (o->type) {
		t = lit_type_named(o->type);
		if (!t)
			return kt_bad_usage("unknown --type %s (integer, float, "
			                    "string, boolean, datetime, duration, "
			                    "none, file, directory)",
			                    o->type);
	} else {
		snprintf(kt_err, sizeof kt_err,
		         "no interface to type output %s: set "
		         "KEEL_TASK_INTERFACE, or give --interface FILE or "
		         "--type WORD", name);
		return kt_fail(kt_err);
	}
	if (lit_parse(a, t, value, &l, perr, sizeof perr) < 0) {
		snprintf(kt_err, sizeof kt_err, "output %s: %s", name, perr);
		return kt_fail(kt_err);
	}
	if (snprintf(path, sizeof path, "%s/outputs.pb", o->output_prefix) >=
	    (int)sizeof path)
		return kt_fail("output directory path too long");
	/* Read, set, write under a lock on the directory, so that outputs
	 * written at the same time (background jobs) all stay. */
	dfd = open(o->output_prefix, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(kt_err, sizeof kt_err, "output directory %s: %s",
		         o->output_prefix, strerror(errno));
		return kt_fail(kt_err);
	}
	while (flock(dfd, LOCK_EX) < 0 && errno == EINTR)
		;
	if (lit_map_read(path, 1, a, &m, kt_err, sizeof kt_err) < 0 ||
	    lit_map_set(a, m, name, l) < 0 ||
	    lit_map_write(path, m, kt_err, sizeof kt_err) < 0) {
		if (!kt_err[0])
			snprintf(kt_err, sizeof kt_err, "out of memory");
		kt_fail(kt_err);
		goto out;
	}
	rc = 0;
out:
	close(dfd); /* releases the lock */
	return rc;
}

static int kt_cmd_fail(const struct kt_opts *o)
{
	Flyteidl__Core__ErrorDocument doc = FLYTEIDL__CORE__ERROR_DOCUMENT__INIT;
	Flyteidl__Core__ContainerError ce = FLYTEIDL__CORE__CONTAINER_ERROR__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	struct timespec now;
	char path[4096];
	uint8_t *buf;
	size_t n;
	int rc;

	if (o->nargs != 2)
		return kt_bad_usage("%s", "fail takes one MESSAGE");
	if (!o->output_prefix) {
		kt_need("output directory", "KEEL_OUTPUT_PREFIX",
		        "--output-prefix DIR");
		return kt_fail(kt_err);
	}
	if (snprintf(path, sizeof path, "%s/error.pb", o->output_prefix) >=
	    (int)sizeof path)
		return kt_fail("output directory path too long");
	clock_gettime(CLOCK_REALTIME, &now);
	ts.seconds = now.tv_sec;
	ts.nanos = (int32_t)now.tv_nsec;
	ce.code = (char *)(o->code ? o->code : "USER:TaskFailed");
	ce.message = (char *)o->args[1];
	ce.kind = o->recoverable ?
	              FLYTEIDL__CORE__CONTAINER_ERROR__KIND__RECOVERABLE :
	              FLYTEIDL__CORE__CONTAINER_ERROR__KIND__NON_RECOVERABLE;
	ce.origin = FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__USER;
	ce.timestamp = &ts;
	doc.error = &ce;
	n = flyteidl__core__error_document__get_packed_size(&doc);
	buf = malloc(n ? n : 1);
	if (!buf)
		return kt_fail("out of memory");
	flyteidl__core__error_document__pack(&doc, buf);
	rc = kt_write_atomic(path, buf, n);
	free(buf);
	return rc < 0 ? kt_fail(kt_err) : 0;
}

static int kt_cmd_dump(const struct kt_opts *o, ProtobufCAllocator *a)
{
	Flyteidl__Core__LiteralMap *m;

	if (o->nargs != 2)
		return kt_bad_usage("%s", "dump takes one FILE");
	if (lit_map_read(o->args[1], 0, a, &m, kt_err, sizeof kt_err) < 0)
		return kt_fail(kt_err);
	return kt_print_map(m);
}

static int kt_cmd_dump_error(const struct kt_opts *o, ProtobufCAllocator *a)
{
	Flyteidl__Core__ErrorDocument *doc;
	const Flyteidl__Core__ContainerError *ce;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (o->nargs != 2)
		return kt_bad_usage("%s", "dump-error takes one FILE");
	if (kt_read_file(o->args[1], &buf, &len) < 0)
		return kt_fail(kt_err);
	doc = flyteidl__core__error_document__unpack(a, len, buf);
	free(buf);
	if (!doc || !doc->error) {
		snprintf(kt_err, sizeof kt_err,
		         "%s: not a serialized flyteidl.core.ErrorDocument",
		         o->args[1]);
		return kt_fail(kt_err);
	}
	ce = doc->error;
	printf("code=%s\nmessage=%s\nkind=%s\norigin=%s\n", ce->code,
	       ce->message,
	       ce->kind == FLYTEIDL__CORE__CONTAINER_ERROR__KIND__RECOVERABLE ?
	           "RECOVERABLE" : "NON_RECOVERABLE",
	       ce->origin == FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__USER ?
	           "USER" :
	       ce->origin == FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__SYSTEM ?
	           "SYSTEM" : "UNKNOWN");
	return fflush(stdout) != 0 ? kt_fail("cannot write to stdout") : 0;
}

int main(int argc, char **argv)
{
	struct kt_opts o;
	struct lit_arena *arena;
	ProtobufCAllocator *a;
	const char *cmd;
	int rc;

	rc = kt_parse_args(argc, argv, &o);
	if (rc)
		return rc;
	cmd = o.args[0];
	arena = lit_arena_new();
	if (!arena)
		return kt_fail("out of memory");
	a = lit_arena_allocator(arena);
	if (strcmp(cmd, "input") == 0)
		rc = kt_cmd_input(&o, a);
	else if (strcmp(cmd, "inputs") == 0)
		rc = kt_cmd_inputs(&o, a);
	else if (strcmp(cmd, "output") == 0)
		rc = kt_cmd_output(&o, a);
	else if (strcmp(cmd, "fail") == 0)
		rc = kt_cmd_fail(&o);
	else if (strcmp(cmd, "dump") == 0)
		rc = kt_cmd_dump(&o, a);
	else if (strcmp(cmd, "dump-error") == 0)
		rc = kt_cmd_dump_error(&o, a);
	else
		rc = kt_bad_usage("unknown command %s", cmd);
	lit_arena_free(arena);
	return rc;
}
