/*
 * lproc_test.c -- running task attempts as local processes, and the
 * container argument templating.  Short timeouts: the whole runs in
 * about a second.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lit.h"
#include "lproc.h"
#include "tap.h"

static char dir[64];
static char outp[128], errp[128];
static char err[512];

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (!f)
		return;
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void spit(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* Run argv to the end; the result, or started = -1 when lproc_start
 * failed (message in err). */
static struct lproc_result run(const char *const *argv, const char *const *env,
                               const char *cwd, int64_t timeout_ms,
                               int64_t grace_ms)
{
	struct lproc_spec s = { argv, env, cwd, outp, errp, timeout_ms,
		                grace_ms };
	struct lproc_result r;
	struct lproc *p;

	memset(&r, 0, sizeof r);
	if (lproc_start(&s, &p, err, sizeof err) < 0) {
		r.started = -1;
		return r;
	}
	lproc_wait(p, &r);
	lproc_free(p);
	return r;
}

/* A process is gone: no /proc entry, or a zombie. */
static int gone(pid_t pid)
{
	char path[64], buf[512], *p;
	int i;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	for (i = 0; i < 200; i++) { /* up to 2 s for init to reap it */
		slurp(path, buf, sizeof buf);
		p = strrchr(buf, ')');
		if (!buf[0] || (p && p[1] == ' ' && p[2] == 'Z'))
			return 1;
		usleep(10000);
	}
	return 0;
}

static pid_t read_pid(const char *path)
{
	char buf[32];

	slurp(path, buf, sizeof buf);
	return (pid_t)atol(buf);
}

static void test_exit(void)
{
	const char *a1[] = { "sh", "-c", "exit 3", NULL };
	const char *a2[] = { "true", NULL };
	const char *a3[] = { "keel-no-such-command-x", NULL };
	const char *a4[] = { "/nonexistent/dir/tool", NULL };
	char notexec[128], buf[256];
	struct lproc_result r;

	r = run(a1, NULL, NULL, 0, 0);
	TAP_OK(r.started == 1 && r.exited && r.exit_code == 3 && !r.signal,
	       "exit 3 is reported");
	TAP_OK(r.start_ms > 1600000000000LL && r.end_ms >= r.start_ms,
	       "wall clock start and end");
	r = run(a2, NULL, NULL, 0, 0);
	TAP_OK(r.started == 1 && r.exited && r.exit_code == 0,
	       "true found in PATH, exit 0");
	r = run(a3, NULL, NULL, 0, 0);
	TAP_OK(r.started == 0 && r.exec_errno == ENOENT && !r.exited,
	       "a missing command: started 0, ENOENT");
	r = run(a4, NULL, NULL, 0, 0);
	TAP_OK(r.started == 0 && r.exec_errno == ENOENT,
	       "a missing path: started 0, ENOENT");

	snprintf(notexec, sizeof notexec, "%s/notexec", dir);
	spit(notexec, "#!/bin/sh\necho no\n", 0644);
	{
		const char *a5[] = { notexec, NULL };

		r = run(a5, NULL, NULL, 0, 0);
		TAP_OK(r.started == 0 && r.exec_errno == EACCES,
		       "a file that is not executable: EACCES");
	}
	{
		/* Found in PATH but not executable, in the only directory. */
		char pathenv[128];
		const char *env[] = { pathenv, NULL };
		const char *a6[] = { "notexec", NULL };

		snprintf(pathenv, sizeof pathenv, "PATH=%s", dir);
		r = run(a6, env, NULL, 0, 0);
		TAP_OK(r.started == 0 && r.exec_errno == EACCES,
		       "PATH search reports EACCES for a non-executable file");
	}
	{
		const char *a7[] = { "cat", NULL };

		r = run(a7, NULL, NULL, 0, 0);
		slurp(outp, buf, sizeof buf);
		TAP_OK(r.exited && r.exit_code == 0 && buf[0] == '\0',
		       "stdin is /dev/null");
	}
}

static void test_output(void)
{
	const char *a1[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	const char *a2[] = { "sh", "-c", "echo one; echo two >&2", NULL };
	struct lproc_spec s = { a2, NULL, NULL, outp, outp, 0, 0 };
	struct lproc_result r;
	struct lproc *p;
	struct stat st;
	char buf[256];

	r = run(a1, NULL, NULL, 0, 0);
	slurp(outp, buf, sizeof buf);
	TAP_EQ_STR(buf, "out\n", "stdout captured");
	slurp(errp, buf, sizeof buf);
	TAP_EQ_STR(buf, "err\n", "stderr captured");
	TAP_OK(stat(outp, &st) == 0 && (st.st_mode & 0777) == (0640 & ~022),
	       "output file mode 0640");
	TAP_OK(lproc_start(&s, &p, err, sizeof err) == 0, "start, one file");
	lproc_wait(p, &r);
	lproc_free(p);
	slurp(outp, buf, sizeof buf);
	TAP_EQ_STR(buf, "one\ntwo\n", "stdout and stderr into one file");
	r = run(a1, NULL, NULL, 0, 0);
	slurp(outp, buf, sizeof buf);
	TAP_EQ_STR(buf, "out\n", "output file truncated on the next run");
	{
		char bad[160];
		struct lproc_spec s2 = { a1, NULL, NULL, bad, errp, 0, 0 };

		snprintf(bad, sizeof bad, "%s/no/such/out.txt", dir);
		TAP_EQ_INT(lproc_start(&s2, &p, err, sizeof err), -1,
		           "an output file that cannot be created");
		TAP_HAS_STR(err, "no/such/out.txt: No such file or directory",
		            "the message names the file");
	}
	{
		/* An fd of the agent without close-on-exec is not inherited. */
		const char *a3[] = { "sh", "-c",
			             "[ -e /proc/$$/fd/47 ] && echo open || "
			             "echo closed", NULL };
		int fd = dup2(1, 47);

		r = run(a3, NULL, NULL, 0, 0);
		close(fd);
		slurp(outp, buf, sizeof buf);
		TAP_EQ_STR(buf, "closed\n", "the agent's other fds are closed");
	}
}

static void test_env_cwd(void)
{
	const char *a1[] = { "sh", "-c", "echo \"$KEEL_X|$HOME|${LPROC_T-unset}\"",
		             NULL };
	const char *env[] = { "KEEL_X=1", "HOME=/nowhere", "KEEL_X=2", NULL };
	char tool[128], pathenv[160], buf[PATH_MAX + 8], real[PATH_MAX];
	struct lproc_result r;

	setenv("LPROC_T", "from-agent", 1);
	r = run(a1, env, NULL, 0, 0);
	slurp(outp, buf, sizeof buf);
	TAP_EQ_STR(buf, "2|/nowhere|from-agent\n",
	           "env adds and overrides; the agent's environment is kept");
	unsetenv("LPROC_T");

	snprintf(tool, sizeof tool, "%s/mytool", dir);
	spit(tool, "#!/bin/sh\necho \"mytool $1\"\n", 0755);
	snprintf(pathenv, sizeof pathenv, "PATH=/nonexistent:%s:/usr/bin:/bin",
	         dir);
	{
		const char *a2[] = { "mytool", "arg", NULL };
		const char *env2[] = { pathenv, NULL };

		r = run(a2, env2, NULL, 0, 0);
		slurp(outp, buf, sizeof buf);
		TAP_OK(r.exited && r.exit_code == 0 &&
		           strcmp(buf, "mytool arg\n") == 0,
		       "argv[0] looked up in env's PATH");
		r = run(a2, NULL, NULL, 0, 0);
		TAP_OK(r.started == 0 && r.exec_errno == ENOENT,
		       "not found in the agent's PATH");
	}
	{
		const char *a3[] = { "pwd", "-P", NULL };

		r = run(a3, NULL, dir, 0, 0);
		slurp(outp, buf, sizeof buf);
		if (!realpath(dir, real))
			real[0] = '\0';
		strcat(real, "\n");
		TAP_EQ_STR(buf, real, "cwd");
	}
	{
		const char *a4[] = { "true", NULL };
		char missing[128];

		snprintf(missing, sizeof missing, "%s/missing", dir);
		r = run(a4, NULL, missing, 0, 0);
		TAP_EQ_INT(r.started, -1, "a missing cwd is refused");
		TAP_HAS_STR(err, "missing: No such file or directory",
		            "cwd message");
		r = run(a4, NULL, tool, 0, 0);
		TAP_HAS_STR(err, "mytool: not a directory",
		            "a cwd that is a file is refused");
	}
	{
		const char *env3[] = { "NOEQUALS", NULL };
		const char *a5[] = { "true", NULL };

		r = run(a5, env3, NULL, 0, 0);
		TAP_EQ_INT(r.started, -1, "an env entry without '='");
		TAP_HAS_STR(err, "'NOEQUALS' is not KEY=VALUE", "env message");
	}
	{
		/* The agent blocks SIGUSR2 (main): the task's mask is empty. */
		const char *a6[] = { "sh", "-c", "kill -USR2 $$; echo survived",
			             NULL };

		r = run(a6, NULL, NULL, 0, 0);
		TAP_OK(r.signal == SIGUSR2, "the signal mask is reset (got %d)",
		       r.signal);
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_timeout(void)
{
	char gcfile[128], script[256];
	const char *a1[] = { "sh", "-c", script, NULL };
	struct lproc_result r;
	int64_t t0;
	pid_t gc;

	snprintf(gcfile, sizeof gcfile, "%s/gc.pid", dir);
	snprintf(script, sizeof script, "sleep 30 & echo $! >%s; wait", gcfile);
	t0 = now_ms();
	r = run(a1, NULL, NULL, 150, 2000);
	TAP_OK(r.started && r.timed_out && !r.aborted && r.signal == SIGTERM,
	       "timeout: SIGTERM to the group (signal %d; the agent's "
	       "SIG_IGN is not inherited)", r.signal);
	TAP_OK(now_ms() - t0 < 1500, "timeout: ended quickly (%lld ms)",
	       (long long)(now_ms() - t0));
	gc = read_pid(gcfile);
	TAP_OK(gc > 0 && gone(gc), "timeout: the grandchild %ld is gone",
	       (long)gc);

	/* A task that ignores SIGTERM gets SIGKILL after the grace. */
	snprintf(script, sizeof script, "trap '' TERM; sleep 30");
	t0 = now_ms();
	r = run(a1, NULL, NULL, 100, 200);
	TAP_OK(r.timed_out && r.signal == SIGKILL,
	       "grace: SIGKILL when SIGTERM is ignored (signal %d)", r.signal);
	TAP_OK(now_ms() - t0 >= 290 && now_ms() - t0 < 1500,
	       "grace: after timeout + grace (%lld ms)",
	       (long long)(now_ms() - t0));

	/* Background processes left after a normal exit are killed. */
	unlink(gcfile);
	snprintf(script, sizeof script, "sleep 30 & echo $! >%s; exit 0",
	         gcfile);
	r = run(a1, NULL, NULL, 0, 0);
	TAP_OK(r.exited && r.exit_code == 0 && !r.timed_out,
	       "normal exit with a background process: exit 0");
	gc = read_pid(gcfile);
	TAP_OK(gc > 0 && gone(gc), "the background process %ld is killed",
	       (long)gc);
}

static void *killer(void *arg)
{
	usleep(100000);
	lproc_kill(arg);
	lproc_kill(arg);
	return NULL;
}

static void test_kill(void)
{
	const char *a1[] = { "sleep", "30", NULL };
	struct lproc_spec s = { a1, NULL, NULL, outp, errp, 10000, 1000 };
	struct lproc_result r;
	struct lproc *p;
	pthread_t th;
	int64_t t0 = now_ms();

	TAP_OK(lproc_start(&s, &p, err, sizeof err) == 0, "start sleep 30");
	TAP_OK(lproc_pid(p) > 0 && getpgid(lproc_pid(p)) == lproc_pid(p),
	       "the task leads its own process group");
	pthread_create(&th, NULL, killer, p);
	lproc_wait(p, &r);
	pthread_join(th, NULL);
	TAP_OK(r.aborted && !r.timed_out && r.signal == SIGTERM,
	       "lproc_kill from another thread: aborted, SIGTERM");
	TAP_OK(now_ms() - t0 < 1000, "lproc_kill: quick (%lld ms)",
	       (long long)(now_ms() - t0));
	lproc_kill(p); /* after the wait: a no-op */
	TAP_EQ_INT(lproc_wait(p, &r), -1, "a second lproc_wait is refused");
	lproc_free(p);

	/* Killed before anyone waits. */
	TAP_OK(lproc_start(&s, &p, err, sizeof err) == 0, "start again");
	lproc_kill(p);
	lproc_wait(p, &r);
	TAP_OK(r.aborted && r.signal == SIGTERM, "lproc_kill before lproc_wait");
	lproc_free(p);

	/* Freed without a wait: killed and reaped. */
	TAP_OK(lproc_start(&s, &p, err, sizeof err) == 0, "start a third");
	{
		pid_t pid = lproc_pid(p);

		lproc_free(p);
		TAP_OK(gone(pid), "lproc_free without a wait ends the task");
	}
}

static void test_stale(void)
{
	const char *a1[] = { "sleep", "30", NULL };
	struct lproc_spec s = { a1, NULL, NULL, outp, errp, 0, 0 };
	unsigned long long ticks = 0;
	struct lproc_result r;
	struct lproc *p;
	pid_t pid;

	TAP_OK(lproc_start(&s, &p, err, sizeof err) == 0, "start sleep 30");
	pid = lproc_pid(p);
	TAP_EQ_INT(lproc_start_ticks(pid, &ticks), 0, "start ticks read");
	TAP_OK(ticks > 0, "start ticks %llu", ticks);
	TAP_EQ_INT(lproc_kill_stale(pid, ticks + 1), 0,
	           "kill_stale with other ticks: nothing done");
	usleep(20000);
	TAP_OK(kill(pid, 0) == 0, "the process still runs");
	TAP_EQ_INT(lproc_kill_stale(pid, ticks), 1,
	           "kill_stale with its ticks: killed");
	lproc_wait(p, &r);
	TAP_OK(r.signal == SIGKILL, "it died of SIGKILL");
	lproc_free(p);
	errno = 0;
	TAP_OK(lproc_start_ticks(pid, &ticks) == -1 && errno == ENOENT,
	       "start ticks of a reaped process: ENOENT");
	TAP_EQ_INT(lproc_kill_stale(pid, ticks), 0,
	           "kill_stale of a group that is gone: 0");
}

static void test_render(void)
{
	struct lit_arena *arena = lit_arena_new();
	ProtobufCAllocator *A = lit_arena_allocator(arena);
	Flyteidl__Core__LiteralMap *m = A->alloc(A->allocator_data, sizeof *m);
	Flyteidl__Core__LiteralMap empty = FLYTEIDL__CORE__LITERAL_MAP__INIT;
	struct lproc_tmpl t = {
		"/w/in/inputs.pb", "/w/in", "/w/out", "/w/raw", "/w/ckpt", "",
		"0abc-1.2#x", "/w/task.pb", NULL
	};
	Flyteidl__Core__Literal *l;
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "{{.input}}", "/w/in/inputs.pb" },
		{ "{{.Input}}", "/w/in/inputs.pb" },
		{ "{{ .INPUT }}", "/w/in/inputs.pb" },
		{ "{{$input}}", "/w/in/inputs.pb" },
		{ "{{\t.input\n}}", "/w/in/inputs.pb" },
		{ "{{.inputPrefix}}", "/w/in" },
		{ "{{.outputPrefix}}", "/w/out" },
		{ "{{ .OutputPrefix }}/x", "/w/out/x" },
		{ "{{.rawOutputDataPrefix}}", "/w/raw" },
		{ "{{.checkpointOutputPrefix}}", "/w/ckpt" },
		{ "{{.prevCheckpointPrefix}}", "\"\"" },
		{ "{{.perRetryUniqueKey}}", "aabc_1_2_x" },
		{ "{{.taskTemplatePath}}", "/w/task.pb" },
		{ "--in={{.input}} --out={{.outputPrefix}}",
		  "--in=/w/in/inputs.pb --out=/w/out" },
		{ "{{{.input}}}", "{/w/in/inputs.pb}" },
		{ "{{.foo}}", "{{.foo}}" },
		{ "{{ .Inputs }}", "{{ .Inputs }}" },
		{ "{{input}}", "{{input}}" },
		{ "{{.input}", "{{.input}" },
		{ "{{.input x}}", "{{.input x}}" },
		{ "plain", "plain" },
		{ "", "" },
		{ "{{.inputs.n}}", "{{.inputs.n}}" }, /* no inputs: left */
	};
	char *out;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		out = NULL;
		/* (descriptions without the case's tabs and newlines) */
		TAP_OK(lproc_render(&t, cases[i].in, &out, err, sizeof err) == 0,
		       "render case %zu", i);
		TAP_EQ_STR(out, cases[i].want, "render '%.*s'",
		           (int)strcspn(cases[i].in, "\t\n"), cases[i].in);
		free(out);
	}
	t.prev_checkpoint = "/w/prev";
	lproc_render(&t, "{{.PrevCheckpointPrefix}}", &out, err, sizeof err);
	TAP_EQ_STR(out, "/w/prev", "prevCheckpointPrefix when there is one");
	free(out);
	t.inputs = &empty;
	lproc_render(&t, "{{.inputs.n}}", &out, err, sizeof err);
	TAP_EQ_STR(out, "{{.inputs.n}}", "empty inputs: Inputs templates left");
	free(out);

	flyteidl__core__literal_map__init(m);
	lit_parse(A, lit_type_named("integer"), "42", &l, err, sizeof err);
	lit_map_set(A, m, "n", l);
	lit_parse(A, lit_type_named("float"), "0.5", &l, err, sizeof err);
	lit_map_set(A, m, "f", l);
	lit_parse(A, lit_type_named("string"), "a b", &l, err, sizeof err);
	lit_map_set(A, m, "s", l);
	lit_parse(A, lit_type_named("boolean"), "true", &l, err, sizeof err);
	lit_map_set(A, m, "b", l);
	lit_parse(A, lit_type_named("datetime"), "2024-01-02T03:04:05Z", &l,
	          err, sizeof err);
	lit_map_set(A, m, "dt", l);
	lit_parse(A, lit_type_named("duration"), "90", &l, err, sizeof err);
	lit_map_set(A, m, "du", l);
	lit_parse(A, lit_type_named("file"), "/data/f.csv", &l, err, sizeof err);
	lit_map_set(A, m, "file", l);
	lit_parse(A, lit_type_named("string"), "Case", &l, err, sizeof err);
	lit_map_set(A, m, "MixedName", l);
	t.inputs = m;
	out = NULL;
	TAP_OK(lproc_render(&t,
	                    "{{.inputs.n}} {{ .Inputs.f }} [{{$INPUTS.s}}] "
	                    "{{.inputs.b}} {{.inputs.dt}} {{.inputs.du}} "
	                    "{{.inputs.file}} {{.inputs.MixedName}}",
	                    &out, err, sizeof err) == 0,
	       "render inputs of several types");
	TAP_EQ_STR(out, "42 0.5 [a b] true 2024-01-02T03:04:05Z 1m30s "
	                "/data/f.csv Case", "inputs rendered by lit_text");
	free(out);
	out = (char *)"x";
	TAP_EQ_INT(lproc_render(&t, "a {{.inputs.missing}} b", &out, err,
	                        sizeof err), -1, "a missing input is an error");
	TAP_OK(out == NULL, "no output on error");
	TAP_EQ_STR(err, "input template {{.inputs.missing}}: no input named "
	                "missing (inputs: n, f, s, b, dt, du, file, MixedName)",
	           "missing input message");
	TAP_EQ_INT(lproc_render(&t, "{{.inputs.mixedname}}", &out, err,
	                        sizeof err), -1,
	           "input names are matched with case");
	{
		Flyteidl__Core__Literal *bin = A->alloc(A->allocator_data,
		                                        sizeof *bin);
		Flyteidl__Core__Scalar *sc = A->alloc(A->allocator_data,
		                                      sizeof *sc);
		Flyteidl__Core__Binary *bv = A->alloc(A->allocator_data,
		                                      sizeof *bv);

		flyteidl__core__literal__init(bin);
		flyteidl__core__scalar__init(sc);
		flyteidl__core__binary__init(bv);
		sc->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BINARY;
		sc->binary = bv;
		bin->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
		bin->scalar = sc;
		lit_map_set(A, m, "bin", bin);
		TAP_EQ_INT(lproc_render(&t, "{{.inputs.bin}}", &out, err,
		                        sizeof err), -1,
		           "an input that cannot be rendered");
		TAP_EQ_STR(err, "input template {{.inputs.bin}}: input bin: "
		                "cannot render a binary scalar as text",
		           "unrenderable input message");
	}
	lit_arena_free(arena);
}

int main(void)
{
	sigset_t usr2;

	snprintf(dir, sizeof dir, "/tmp/lproc_test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(outp, sizeof outp, "%s/out.txt", dir);
	snprintf(errp, sizeof errp, "%s/err.txt", dir);
	/* An agent's own signal set-up, which tasks must not inherit. */
	signal(SIGTERM, SIG_IGN);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL);
	umask(022);

	test_exit();
	test_output();
	test_env_cwd();
	test_timeout();
	test_kill();
	test_stale();
	test_render();

	{
		char cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
