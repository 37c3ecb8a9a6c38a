/*
 * lproc.h -- one task attempt as a local process (keel-local-agent), and
 * Flyte's container argument templating.
 *
 * A task runs as the leader of a process group of its own, so that a
 * timeout or an abort ends everything it started: SIGTERM to the group,
 * SIGKILL kill_grace_ms later.  When the leader exits by itself, whatever
 * is left in its group (background processes, grandchildren) is killed
 * with SIGKILL before the attempt counts as ended: a task must not leave
 * processes behind, as when Kubernetes ends a pod.  Processes that leave
 * the group (setsid, setpgid) are out of reach.
 *
 * The child also gets PR_SET_PDEATHSIG = SIGKILL, so a task dies with
 * the agent.  Linux ties that to the *thread* that forked: call
 * lproc_start() from a thread that lives as long as the agent (or as
 * long as the task should), never from a short-lived worker.
 *
 * The agent must leave SIGCHLD at its default and not reap children it
 * did not start (no waitpid(-1)): a task reaped elsewhere ends with
 * neither exited nor signal set.
 *
 * Thread-safety: lproc_start() may run in several threads at once (only
 * async-signal-safe calls happen between fork and exec).  One thread
 * waits on a struct lproc (lproc_wait); lproc_kill() may be called from
 * any thread, any number of times, until lproc_free().
 */
#ifndef KEEL_LOCAL_LPROC_H
#define KEEL_LOCAL_LPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flyteidl/core/literals.pb-c.h"

struct lproc_spec {
	const char *const *argv;  /* NULL-terminated; argv[0] without a '/'
	                             is searched in PATH (env's PATH when env
	                             sets one, else the agent's, else
	                             /usr/local/bin:/usr/bin:/bin) */
	const char *const *env;   /* NULL-terminated KEY=VALUE list added to
	                             / overriding the agent's environment;
	                             NULL: none */
	const char *cwd;          /* working directory; must exist (NULL:
	                             the agent's) */
	const char *stdout_path;  /* created/truncated, mode 0640 (NULL:
	                             /dev/null) */
	const char *stderr_path;  /* likewise; may equal stdout_path, then
	                             both go to one file */
	int64_t timeout_ms;       /* 0: none */
	int64_t kill_grace_ms;    /* SIGTERM to the group, SIGKILL after this
	                             (0: 5000) */
};

struct lproc_result {
	int started;       /* 0: it never ran (exec failed: missing command,
	                      not executable, cwd gone...) */
	int exec_errno;    /* errno of the failed exec (or chdir) */
	int exited;        /* exited normally, with exit_code */
	int exit_code;
	int signal;        /* killed by this signal */
	int timed_out;     /* we killed it because timeout_ms elapsed */
	int aborted;       /* lproc_kill() was called before the process
	                      ended (exited / signal tell how it ended) */
	int64_t start_ms, end_ms; /* wall clock, epoch ms */
};

struct lproc;

/* Start the process.  -1 with a message naming the file or command
 * (output files that cannot be created, a cwd that is not a directory,
 * out of memory, fork failure); 0 with *out set otherwise, also when the
 * exec itself failed (lproc_wait() then reports started = 0). */
int lproc_start(const struct lproc_spec *s, struct lproc **out, char *err,
                size_t errlen);
/* The leader's pid, also the process group id. */
pid_t lproc_pid(const struct lproc *p);
/* Block until the leader has exited and its group is gone, enforcing the
 * timeout; fills r.  0, or -1 if called twice (errno EINVAL). */
int lproc_wait(struct lproc *p, struct lproc_result *r);
/* Terminate the whole group (SIGTERM now, SIGKILL after the grace),
 * and have lproc_wait() report aborted.  Thread-safe, idempotent, a
 * no-op once the process has been waited for. */
void lproc_kill(struct lproc *p);
/* Release p (after lproc_wait(); a process not waited for is killed
 * with SIGKILL and reaped first). */
void lproc_free(struct lproc *p);

/* The start time of pid (field 22 of /proc/PID/stat, clock ticks since
 * boot): 0, or -1 with errno (ENOENT: no such process). */
int lproc_start_ticks(pid_t pid, unsigned long long *ticks);
/* Kill (SIGKILL) a process group left by an earlier agent (restart),
 * only if it is still that group: when the leader pgid still runs, its
 * start time must equal start_ticks (else the pid is someone else's now
 * and nothing is done); when the leader is gone, what remains of its
 * group is killed (Linux does not reuse a pid still in use as a group
 * id).  1 when a group was signalled, 0 when there was nothing to kill,
 * -1 with errno on error. */
int lproc_kill_stale(pid_t pgid, unsigned long long start_ticks);

/*
 * Container argument templating, as flyteplugins' template.Render does
 * it for a container task's command and args.
 *
 * A template is "{{", optional white space (space, tab, newline, CR,
 * FF), '.' or '$', a name, optional white space, "}}"; the names are
 * matched without regard to case ({{.input}}, {{ .Input }}, {{$INPUT}}
 * are the same):
 *   Input                   input              path of inputs.pb
 *   InputPrefix             input_prefix
 *   OutputPrefix            output_prefix
 *   RawOutputDataPrefix     raw_output_prefix
 *   CheckpointOutputPrefix  checkpoint_prefix
 *   PrevCheckpointPrefix    prev_checkpoint; when NULL or "" the two
 *                           characters "" (a literal pair of double
 *                           quotes), as Flyte writes it and flytekit
 *                           reads it
 *   PerRetryUniqueKey       unique_key, made safe as Flyte does: a
 *                           leading run of characters other than
 *                           [A-Za-z_] becomes "a", every other run of
 *                           characters other than [A-Za-z0-9_] one "_"
 *   TaskTemplatePath        task_template_path
 *   Inputs.NAME             the input NAME (matched with case, and made
 *                           of characters other than '}' and white
 *                           space) rendered by lit_text()
 * Other fields that are NULL render as "".
 *
 * Anything else in braces ({{.foo}}, {{ .Inputs }}, {{input}}) is left
 * as it is, as in Flyte.  {{.Inputs.NAME}} for a NAME not in inputs is an
 * error ("input template {{.inputs.x}}: no input named x (inputs: a,
 * b)"), as is a literal lit_text() cannot render -- except that, as in
 * Flyte, when inputs is NULL or has no entries at all the Inputs
 * templates are left as they are.  One pass from left to right: text a
 * template is replaced with is not looked at again (Flyte runs one
 * regular expression after another over the whole string, which differs
 * only when a path or value itself holds a template).
 *
 * *out is malloc'd (the caller frees it).  Thread-safe.
 */
struct lproc_tmpl {
	const char *input;               /* {{.input}} / {{.Input}} */
	const char *input_prefix;        /* {{.inputPrefix}} */
	const char *output_prefix;       /* {{.outputPrefix}} */
	const char *raw_output_prefix;   /* {{.rawOutputDataPrefix}} */
	const char *checkpoint_prefix;   /* {{.checkpointOutputPrefix}} */
	const char *prev_checkpoint;     /* {{.prevCheckpointPrefix}} */
	const char *unique_key;          /* {{.perRetryUniqueKey}} */
	const char *task_template_path;  /* {{.taskTemplatePath}} */
	const Flyteidl__Core__LiteralMap *inputs; /* {{.inputs.NAME}} */
};

int lproc_render(const struct lproc_tmpl *t, const char *in, char **out,
                 char *err, size_t errlen);

#endif
