/*
 * agent.h -- keel-local-agent: runs Keel executions as local processes.
 *
 * The agent is a data plane.  keeld's executor_local plugin sends it
 * launches, aborts and status questions over nng (agent.c serves them);
 * for each launch a run (agent_run.c) walks the compiled workflow, runs
 * each container task as a process (lproc.h) and reports workflow, node
 * and task events back through keeld's public API (keel_client.h), as
 * flytepropeller does.
 *
 * On disk, under the state directory:
 *   agent.lock, agent.pid            one agent per state directory
 *   runs/<project>/<domain>/<name>/  one folder per execution:
 *     launch.pb                      the launch as accepted (written before
 *                                    the launch is acknowledged)
 *     done                           the terminal event was delivered
 *     nodes/<node>/<attempt>/        inputs.pb, interface.pb, out/ (the
 *                                    task's output prefix), raw/,
 *                                    stdout.log, stderr.log, proc (the
 *                                    process group and its start time)
 * A run without "done" and without a live thread belongs to an agent that
 * died: a new agent kills what is left of its processes and fails the
 * execution with a system error (agent_run_recover).
 *
 * Threads: the server thread, one thread per run, one per running node;
 * the shared state below is under mu.
 */
#ifndef KEEL_LOCAL_AGENT_H
#define KEEL_LOCAL_AGENT_H

#include <pthread.h>
#include <stdint.h>

#include <keel/keel_client.h>

#include "plugutil.h"

struct arun;

struct agent {
	const char *listen;    /* URL the agent serves */
	const char *keeld_url; /* keeld's internal API */
	const char *state_dir; /* absolute */
	const char *tool_dir;  /* prepended to the tasks' PATH */
	int64_t max_tasks;     /* task processes at once, all runs */
	int64_t kill_grace_ms;
	struct keel_client *keeld;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct arun *runs; /* live runs */
	int stopping;      /* SIGTERM: runs stop, nothing new starts */
	int64_t tasks;     /* task processes running */
};

/* Logging to stderr (the plugin points it at <state_dir>/agent.log). */
void agent_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Accept a serialized keel.local.v1.LaunchRequest: persist it, start its
 * run.  *existed when the execution was already accepted.  0, or -1 with
 * a gRPC code in *code and a message in err. */
int agent_run_launch(struct agent *ag, const uint8_t *req, size_t len,
                     int *existed, int *code, char *err, size_t errlen);
/* Stop a run: its tasks are killed and ABORTED is reported.  *known is 0
 * when there is no such run, live or finished. */
int agent_run_abort(struct agent *ag, const char *project, const char *domain,
                    const char *name, const char *cause, int *known);
/* What the agent knows of an execution. */
void agent_run_status(struct agent *ag, const char *project,
                      const char *domain, const char *name, int *known,
                      int *active, char *phase, size_t phaselen);
/* Runs live now. */
int agent_run_count(struct agent *ag);
/* At start: fail the executions a previous agent left unfinished. */
void agent_run_recover(struct agent *ag);
/* SIGTERM: stop every run (their tasks are killed; the executions are
 * failed by the next agent's recovery) and wait for the threads. */
void agent_run_stop_all(struct agent *ag);

#endif
