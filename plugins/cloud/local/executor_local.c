/*
 * executor_local.c -- [executor.NAME] driver = local: executions run as
 * local processes by keel-local-agent, the embedded default data plane.
 *
 * This plugin is the keeld side.  It hands launches, aborts and status
 * questions to the agent over nng (the internal API's envelope, methods
 * /keel.local.v1.Agent/...), and by default starts the agent itself and
 * restarts it when it dies.  The agent reports progress the way any Flyte
 * data plane does, through keeld's public event API, so nothing here
 * knows how an execution is going.
 *
 * An agent found already answering on the configured URL (one a previous
 * keeld started and that outlived it, or one an operator runs on another
 * host) is adopted instead of started; executions it runs keep reporting.
 *
 * Ownership: the instance (struct lx) is created by create() and freed by
 * destroy(); it owns its strings, its client and the supervisor thread
 * (start() to stop()).  Everything the core passes is borrowed per call.
 * Thread-safety: the ops may run concurrently (keel_client is); the
 * supervisor's state is under mu.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <keel/keel_client.h>
#include <keel/keel_executor.h>

#include "keel/local/v1/agent.pb-c.h"
#include "plugutil.h"

#define LX_VERSION "0.1.0"
#define LX_MAGIC   0x4c584543u /* "LXEC" */

#define LX_LAUNCH  "/keel.local.v1.Agent/Launch"
#define LX_ABORT   "/keel.local.v1.Agent/Abort"
#define LX_STATUS  "/keel.local.v1.Agent/Status"

struct lx {
	uint32_t magic;
	const struct keel_host *host;
	void *hctx;
	/* Configuration (owned copies). */
	char *listen;     /* the agent's URL */
	char *state_dir;  /* the agent's working directory */
	char *agent_path; /* the agent program */
	char *tool_dir;   /* where keel-task is, for the tasks' PATH */
	char *log_file;   /* the agent's log */
	int spawn;
	int64_t max_tasks;
	int64_t call_timeout_ms;
	int64_t kill_grace_ms;
	int64_t restart_max_ms;
	struct keel_client *client;
	/* Supervision. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct keel_thread *sup;
	int stopping;
	pid_t child;   /* the agent we started, 0 when none */
	pid_t adopted; /* the agent we found answering, 0 when none */
	int restarts;
};

static const struct keel_config_key lx_config[] = {
	{"listen", KEEL_CFG_STR, 0, "",
	 "URL the agent serves (ipc:// or tcp://); empty: "
	 "ipc://<data_dir>/local-agent.sock",
	 0, 0},
	{"spawn", KEEL_CFG_BOOL, 0, "true",
	 "start the agent and restart it when it dies (false: connect to "
	 "an agent run elsewhere)",
	 0, 0},
	{"state_dir", KEEL_CFG_PATH, 0, "local-agent",
	 "the agent's directory: one folder per execution with every task's "
	 "inputs, outputs and captured stdout/stderr",
	 0, 0},
	{"agent", KEEL_CFG_PATH, 0, NULL,
	 "the keel-local-agent program (default: the one installed beside "
	 "the plugins)",
	 0, 0},
	{"max_tasks", KEEL_CFG_INT, KEEL_CFG_F_RANGE, "0",
	 "task processes running at once across all executions; 0: the "
	 "number of CPUs",
	 0, 100000},
	{"call_timeout", KEEL_CFG_DURATION, KEEL_CFG_F_RANGE, "10s",
	 "how long a launch or abort waits for the agent", 100, 600000},
	{"kill_grace", KEEL_CFG_DURATION, KEEL_CFG_F_RANGE, "5s",
	 "between SIGTERM and SIGKILL when a task is aborted or times out",
	 0, 600000},
	{"restart_backoff_max", KEEL_CFG_DURATION, KEEL_CFG_F_RANGE, "30s",
	 "longest wait before starting a crashed agent again", 100, 3600000},
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

/* ---------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------- */

static char *lx_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

static int lx_create(const struct keel_host *host, void *hctx, void **self,
                     struct keel_err *err)
{
	struct lx *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	x->magic = LX_MAGIC;
	x->host = host;
	x->hctx = hctx;
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	*self = x;
	return 0;
}

/* Where this plugin's file is: the agent and keel-task sit beside the
 * plugin directory, in an install as in the build tree. */
static int lx_here(char *dir, size_t len)
{
	Dl_info info;
	char *slash;

	if (dladdr((void *)lx_here, &info) == 0 || info.dli_fname == NULL ||
	    len < PATH_MAX)
		return -1;
	/* Absolute: the agent and its tasks run in other directories. */
	if (realpath(info.dli_fname, dir) == NULL)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	return 0;
}

static int lx_configure(void *self, const struct keel_config *cfg,
                        struct keel_err *err)
{
	struct lx *x = self;
	const struct keel_host *h = x->host;
	const char *s = NULL;
	char buf[PATH_MAX + 32], here[PATH_MAX];
	int have_here = lx_here(here, sizeof(here)) == 0;

	h->cfg_str(cfg, "listen", &s);
	if (s[0] == '\0') {
		snprintf(buf, sizeof(buf), "ipc://%s/local-agent.sock",
		         h->data_dir(x->hctx));
		s = buf;
	}
	if (strncmp(s, "ipc://", 6) != 0 && strncmp(s, "tcp://", 6) != 0)
		return keel_err_set(err, KEEL_EINVAL,
		                    "listen = '%s': expected ipc://PATH or "
		                    "tcp://HOST:PORT",
		                    s);
	if (strncmp(s, "ipc://", 6) == 0 && strlen(s + 6) > 107)
		return keel_err_set(err, KEEL_EINVAL,
		                    "listen = '%.200s': the socket path is "
		                    "longer than the 107 bytes Unix sockets "
		                    "allow",
		                    s);
	x->listen = lx_strdup(s);
	h->cfg_bool(cfg, "spawn", &x->spawn);
	h->cfg_str(cfg, "state_dir", &s);
	x->state_dir = lx_strdup(s);
	if (h->cfg_str(cfg, "agent", &s) == 0 && s[0] != '\0') {
		x->agent_path = lx_strdup(s);
	} else {
		if (have_here &&
		    snprintf(buf, sizeof(buf), "%s/../keel-local-agent", here) <
		        (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			x->agent_path = lx_strdup(buf);
		else
			x->agent_path =
			    lx_strdup(KEEL_AGENTDIR "/keel-local-agent");
	}
	if (have_here &&
	    snprintf(buf, sizeof(buf), "%s/../keel-task", here) <
	        (int)sizeof(buf) &&
	    access(buf, X_OK) == 0) {
		buf[strlen(buf) - strlen("/keel-task")] = '\0';
		x->tool_dir = lx_strdup(buf);
	} else {
		x->tool_dir = lx_strdup(KEEL_BINDIR);
	}
	snprintf(buf, sizeof(buf), "%s/agent.log", x->state_dir);
	x->log_file = lx_strdup(buf);
	h->cfg_int(cfg, "max_tasks", &x->max_tasks);
	if (x->max_tasks == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		x->max_tasks = n > 0 ? n : 2;
	}
	h->cfg_int(cfg, "call_timeout", &x->call_timeout_ms);
	h->cfg_int(cfg, "kill_grace", &x->kill_grace_ms);
	h->cfg_int(cfg, "restart_backoff_max", &x->restart_max_ms);
	if (x->listen == NULL || x->state_dir == NULL ||
	    x->agent_path == NULL || x->tool_dir == NULL ||
	    x->log_file == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	return 0;
}

/* ---------------------------------------------------------------------
 * Calls to the agent
 * ------------------------------------------------------------------- */

/* gRPC code of a reply -> KEEL_E*, with the message in err.  Unreachable
 * and timed out are transient: the core's outbox retries them. */
static int lx_reply_rc(const struct keel_client_reply *r, const char *what,
                       struct keel_err *err)
{
	if (r->code == 0)
		return 0;
	if (r->local || r->code == 14 || r->code == 4)
		return keel_err_set(err, KEEL_EAGAIN,
		                    "%s: the local agent did not answer: %s",
		                    what, r->message);
	return keel_err_set(err, -r->code, "%s: %s", what, r->message);
}

static int lx_call(struct lx *x, const char *method,
                   const ProtobufCMessage *req, struct keel_client_reply *r,
                   const char *what, struct keel_err *err)
{
	struct keel_client_call_opts o = {x->call_timeout_ms, NULL, NULL};
	size_t n = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = malloc(n ? n : 1);
	int rc;

	if (buf == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	protobuf_c_message_pack(req, buf);
	keel_client_call(x->client, method, buf, n, &o, r);
	free(buf);
	rc = lx_reply_rc(r, what, err);
	return rc;
}

/* Borrowed pairs as the protocol's KeyValue array (caller frees the
 * arrays, not the strings). */
static Keel__Local__V1__KeyValue **lx_kvs(const struct keel_kv *kv, size_t n,
                                          Keel__Local__V1__KeyValue **store)
{
	Keel__Local__V1__KeyValue **v = calloc(n ? n : 1, sizeof(*v));
	Keel__Local__V1__KeyValue *e = calloc(n ? n : 1, sizeof(*e));

	if (v == NULL || e == NULL) {
		free(v);
		free(e);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		keel__local__v1__key_value__init(&e[i]);
		e[i].key = (char *)kv[i].key;
		e[i].value = (char *)kv[i].value;
		v[i] = &e[i];
	}
	*store = e;
	return v;
}

static int lx_launch(void *self, const struct keel_exec_launch *l,
                     struct keel_err *err)
{
	struct lx *x = self;
	Keel__Local__V1__LaunchRequest q = KEEL__LOCAL__V1__LAUNCH_REQUEST__INIT;
	Keel__Local__V1__KeyValue *e[3] = {NULL, NULL, NULL};
	struct keel_client_reply r = {0};
	char what[400];
	int rc;

	q.project = (char *)l->id.project;
	q.domain = (char *)l->id.domain;
	q.name = (char *)l->id.name;
	q.cluster = (char *)l->id.cluster;
	q.closure.data = (uint8_t *)l->closure;
	q.closure.len = l->closure_len;
	q.inputs_uri = (char *)(l->inputs_uri ? l->inputs_uri : "");
	q.has_inputs = l->inputs != NULL;
	q.inputs.data = (uint8_t *)l->inputs;
	q.inputs.len = l->inputs ? l->inputs_len : 0;
	q.output_prefix = (char *)(l->output_prefix ? l->output_prefix : "");
	q.raw_output_prefix =
	    (char *)(l->raw_output_prefix ? l->raw_output_prefix : "");
	q.labels = lx_kvs(l->labels, l->nlabels, &e[0]);
	q.n_labels = l->nlabels;
	q.annotations = lx_kvs(l->annotations, l->nannotations, &e[1]);
	q.n_annotations = l->nannotations;
	q.envs = lx_kvs(l->envs, l->nenvs, &e[2]);
	q.n_envs = l->nenvs;
	q.security_context.data = (uint8_t *)l->security_context;
	q.security_context.len = l->security_context_len;
	q.max_parallelism = l->max_parallelism;
	q.interruptible = l->interruptible;
	q.overwrite_cache = l->overwrite_cache != 0;
	q.namespace_ = (char *)(l->namespace_ ? l->namespace_ : "");
	q.principal = (char *)(l->principal ? l->principal : "");
	q.nesting = l->nesting;
	q.spec.data = (uint8_t *)l->spec;
	q.spec.len = l->spec_len;
	q.accepted_at_ms = l->accepted_at_ms;
	if (q.labels == NULL || q.annotations == NULL || q.envs == NULL) {
		rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(what, sizeof(what), "launch of %s/%s/%s", l->id.project,
	         l->id.domain, l->id.name);
	rc = lx_call(x, LX_LAUNCH, &q.base, &r, what, err);
out:
	keel_client_reply_free(&r);
	for (int i = 0; i < 3; i++)
		free(e[i]);
	free(q.labels);
	free(q.annotations);
	free(q.envs);
	return rc;
}

static int lx_abort(void *self, const struct keel_exec_ref *ref,
                    const char *cause, struct keel_err *err)
{
	struct lx *x = self;
	Keel__Local__V1__AbortRequest q = KEEL__LOCAL__V1__ABORT_REQUEST__INIT;
	Keel__Local__V1__AbortResponse *a;
	struct keel_client_reply r = {0};
	char what[400];
	int rc;

	q.project = (char *)ref->project;
	q.domain = (char *)ref->domain;
	q.name = (char *)ref->name;
	q.cause = (char *)(cause ? cause : "");
	snprintf(what, sizeof(what), "abort of %s/%s/%s", ref->project,
	         ref->domain, ref->name);
	rc = lx_call(x, LX_ABORT, &q.base, &r, what, err);
	if (rc == 0) {
		a = keel__local__v1__abort_response__unpack(NULL, r.payload_len,
		                                            r.payload);
		if (a == NULL)
			rc = keel_err_set(err, KEEL_EINTERNAL,
			                  "%s: the agent's reply does not decode",
			                  what);
		else if (!a->known)
			rc = keel_err_set(err, KEEL_ENOTFOUND,
			                  "%s: the agent has no record of it", what);
		if (a != NULL)
			keel__local__v1__abort_response__free_unpacked(a, NULL);
	}
	keel_client_reply_free(&r);
	return rc;
}

/* Ask the agent about one execution, or (ref NULL) only whether it
 * answers; *resp is the decoded reply (free it). */
static int lx_status_call(struct lx *x, const struct keel_exec_ref *ref,
                          int64_t timeout_ms,
                          Keel__Local__V1__StatusResponse **resp,
                          struct keel_err *err)
{
	Keel__Local__V1__StatusRequest q = KEEL__LOCAL__V1__STATUS_REQUEST__INIT;
	struct keel_client_call_opts o = {timeout_ms, NULL, NULL};
	struct keel_client_reply r = {0};
	uint8_t buf[1024];
	size_t n;
	int rc;

	*resp = NULL;
	if (ref != NULL) {
		q.project = (char *)ref->project;
		q.domain = (char *)ref->domain;
		q.name = (char *)ref->name;
	}
	n = protobuf_c_message_get_packed_size(&q.base);
	if (n > sizeof(buf))
		return keel_err_set(err, KEEL_EINVAL, "execution id too long");
	protobuf_c_message_pack(&q.base, buf);
	keel_client_call(x->client, LX_STATUS, buf, n, &o, &r);
	rc = lx_reply_rc(&r, "status", err);
	if (rc == 0) {
		*resp = keel__local__v1__status_response__unpack(
		    NULL, r.payload_len, r.payload);
		if (*resp == NULL)
			rc = keel_err_set(err, KEEL_EINTERNAL,
			                  "status: the agent's reply does not "
			                  "decode");
	}
	keel_client_reply_free(&r);
	return rc;
}

static int lx_status(void *self, const struct keel_exec_ref *ref,
                     struct keel_exec_status *st, struct keel_err *err)
{
	struct lx *x = self;
	Keel__Local__V1__StatusResponse *s;
	int rc = lx_status_call(x, ref, x->call_timeout_ms, &s, err);

	if (rc != 0)
		return rc;
	st->state = !s->known ? KEEL_EXEC_UNKNOWN
	            : s->active ? KEEL_EXEC_ACTIVE
	                        : KEEL_EXEC_FINISHED;
	snprintf(st->detail, sizeof(st->detail), "%s",
	         s->phase ? s->phase : "");
	keel__local__v1__status_response__free_unpacked(s, NULL);
	return 0;
}

static int lx_caps(void *self, struct keel_exec_caps *caps,
                   struct keel_err *err)
{
	(void)self;
	(void)err;
	caps->flags = KEEL_EXEC_CAP_ABORT | KEEL_EXEC_CAP_STATUS |
	              KEEL_EXEC_CAP_BRANCH | KEEL_EXEC_CAP_SUBWF |
	              KEEL_EXEC_CAP_LPNODE | KEEL_EXEC_CAP_GATE |
	              KEEL_EXEC_CAP_FAILNODE;
	/* Whatever has a container: the agent runs its command locally. */
	caps->task_types = "*";
	return 0;
}

/* fork + exec the agent; its output goes to its log file.  The agent
 * daemonises nothing: it is our child and we reap it. */
static pid_t lx_spawn(struct lx *x, struct keel_err *err)
{
	char maxt[32], grace[32];
	const char *api = KEEL_HOST_HAS(x->host, api_url)
	                      ? x->host->api_url(x->hctx)
	                      : "";
	const char *argv[] = {x->agent_path, "--listen", x->listen,
	                      "--keeld", api, "--state-dir", x->state_dir,
	                      "--tool-dir", x->tool_dir, "--max-tasks", maxt,
	                      "--kill-grace", grace, NULL};
	int fd;
	pid_t pid;

	snprintf(maxt, sizeof(maxt), "%lld", (long long)x->max_tasks);
	snprintf(grace, sizeof(grace), "%lld", (long long)x->kill_grace_ms);
	fd = open(x->log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		keel_err_set(err, KEEL_EINTERNAL, "cannot open %s: %s",
		             x->log_file, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(fd);
		keel_err_set(err, KEEL_EAGAIN, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		sigset_t none;
		/* Its own process group: a terminal's ^C to keeld does not
		 * reach it; keeld stops it on the way out instead. */
		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		/* Only async-signal-safe calls after fork: the log has the
		 * path from the parent's message. */
		{
			static const char m[] =
			    "executor_local: cannot run keel-local-agent\n";
			ssize_t w = write(2, m, sizeof(m) - 1);
			(void)w;
		}
		_exit(127);
	}
	close(fd);
	return pid;
}

/* Wait until the agent answers, or it exits, or timeout_ms pass;
 * *answered (may be NULL) is the pid the agent gives. */
static int lx_wait_ready(struct lx *x, pid_t pid, int64_t timeout_ms,
                         pid_t *answered)
{
	int64_t until = x->host->mono_ms() + timeout_ms;

	while (x->host->mono_ms() < until) {
		Keel__Local__V1__StatusResponse *s = NULL;
		struct keel_err e = {0};
		int st;

		if (lx_status_call(x, NULL, 500, &s, &e) == 0) {
			if (answered != NULL)
				*answered = (pid_t)s->pid;
			keel__local__v1__status_response__free_unpacked(s, NULL);
			return 0;
		}
		if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		usleep(50 * 1000);
	}
	return -1;
}

static void *lx_supervise(void *arg)
{
	struct lx *x = arg;
	int64_t backoff = 500;
	int misses = 0;

	pthread_mutex_lock(&x->mu);
	while (!x->stopping) {
		struct timespec ts;
		int st;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&x->cv, &x->mu, &ts);
		if (x->stopping)
			continue;
		if (x->child <= 0) {
			/* An adopted agent is not our child: we learn of its
			 * death only by asking. */
			Keel__Local__V1__StatusResponse *sr = NULL;
			struct keel_err e = {0};
			int rc;
			pthread_mutex_unlock(&x->mu);
			rc = lx_status_call(x, NULL, 1000, &sr, &e);
			pthread_mutex_lock(&x->mu);
			if (sr != NULL)
				keel__local__v1__status_response__free_unpacked(
				    sr, NULL);
			misses = rc == 0 ? 0 : misses + 1;
			if (misses < 3 || x->stopping)
				continue;
			misses = 0;
			x->host->log(x->hctx, KEEL_LOG_ERROR,
			             "keel-local-agent on %s stopped answering "
			             "(%s); starting one in %lldms",
			             x->listen, e.msg, (long long)backoff);
		} else {
			if (waitpid(x->child, &st, WNOHANG) != x->child)
				continue;
			x->host->log(x->hctx, KEEL_LOG_ERROR,
			             "keel-local-agent (pid %d) %s %d; starting "
			             "it again in %lldms (its log: %s)",
			             (int)x->child,
			             WIFSIGNALED(st) ? "was killed by signal"
			                             : "exited with status",
			             WIFSIGNALED(st) ? WTERMSIG(st)
			                             : WEXITSTATUS(st),
			             (long long)backoff, x->log_file);
		}
		x->child = 0;
		x->adopted = 0;
		{
			struct timespec bt;
			clock_gettime(CLOCK_REALTIME, &bt);
			bt.tv_sec += backoff / 1000;
			bt.tv_nsec += (backoff % 1000) * 1000000L;
			if (bt.tv_nsec >= 1000000000L) {
				bt.tv_sec++;
				bt.tv_nsec -= 1000000000L;
			}
			while (!x->stopping &&
			       pthread_cond_timedwait(&x->cv, &x->mu, &bt) == 0)
				;
		}
		if (x->stopping)
			break;
		{
			struct keel_err e = {0};
			pid_t pid = lx_spawn(x, &e);
			if (pid < 0) {
				x->host->log(x->hctx, KEEL_LOG_ERROR,
				             "cannot start keel-local-agent: %s",
				             e.msg);
			} else {
				x->child = pid;
				x->restarts++;
				x->host->log(x->hctx, KEEL_LOG_INFO,
				             "keel-local-agent started again (pid "
				             "%d, restart %d)",
				             (int)pid, x->restarts);
			}
		}
		backoff = backoff * 2 > x->restart_max_ms ? x->restart_max_ms
		                                          : backoff * 2;
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

static int lx_start(void *self, struct keel_err *err)
{
	struct lx *x = self;
	char ebuf[256];
	int rc;

	rc = keel_client_open(x->listen, &x->client, ebuf, sizeof(ebuf));
	if (rc != 0)
		return keel_err_set(err, KEEL_EINVAL, "listen = %s: %s",
		                    x->listen, ebuf);
	if (!x->spawn)
		return 0; /* an agent elsewhere: calls retry until it answers */
	rc = pu_mkdirs(x->state_dir, 0750);
	if (rc != 0)
		return keel_err_set(err, KEEL_EINTERNAL,
		                    "state_dir = %s: cannot create it: %s",
		                    x->state_dir, strerror(rc));
	/* One still answering (a previous keeld's) is adopted. */
	if (lx_wait_ready(x, 0, 300, &x->adopted) == 0) {
		x->host->log(x->hctx, KEEL_LOG_INFO,
		             "keel-local-agent already answers on %s: using "
		             "it",
		             x->listen);
	} else {
		pid_t pid = lx_spawn(x, err);
		if (pid < 0)
			return err->code;
		if (lx_wait_ready(x, pid, 10000, NULL) != 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return keel_err_set(err, KEEL_EAGAIN,
			                    "keel-local-agent (%s) did not come "
			                    "up on %s within 10s; see %s",
			                    x->agent_path, x->listen,
			                    x->log_file);
		}
		x->child = pid;
		x->host->log(x->hctx, KEEL_LOG_INFO,
		             "keel-local-agent started (pid %d) on %s, state in "
		             "%s",
		             (int)pid, x->listen, x->state_dir);
	}
	rc = x->host->thread_spawn(x->hctx, "local-agent-sup", lx_supervise, x,
	                           &x->sup);
	if (rc != 0)
		return keel_err_set(err, KEEL_EINTERNAL,
		                    "cannot start the supervisor thread");
	return 0;
}

/* Stop the agent we started: SIGTERM (it stops its tasks and records
 * which executions it leaves unfinished), SIGKILL after the grace. */
static void lx_stop(void *self)
{
	struct lx *x = self;
	pid_t pid;

	pthread_mutex_lock(&x->mu);
	x->stopping = 1;
	pthread_cond_broadcast(&x->cv);
	pid = x->child;
	x->child = 0;
	pthread_mutex_unlock(&x->mu);
	if (x->sup != NULL) {
		x->host->thread_join(x->sup, NULL);
		x->sup = NULL;
	}
	/* An agent we adopted is ours too: stop it like our own, once it
	 * confirms its pid (never signal a pid that was reused). */
	if (pid <= 0 && x->adopted > 0 && x->client != NULL) {
		pid_t now = 0;
		if (lx_wait_ready(x, 0, 500, &now) == 0 && now == x->adopted) {
			int64_t until = x->host->mono_ms() + x->kill_grace_ms +
			                2000;
			kill(now, SIGTERM);
			while (kill(now, 0) == 0 && x->host->mono_ms() < until)
				usleep(20 * 1000);
			if (kill(now, 0) == 0)
				kill(now, SIGKILL);
		}
		x->adopted = 0;
	}
	if (pid > 0) {
		int64_t until = x->host->mono_ms() + x->kill_grace_ms + 2000;
		int st;
		kill(pid, SIGTERM);
		while (waitpid(pid, &st, WNOHANG) == 0) {
			if (x->host->mono_ms() > until) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				break;
			}
			usleep(20 * 1000);
		}
	}
	keel_client_close(x->client);
	x->client = NULL;
}

static void lx_destroy(void *self)
{
	struct lx *x = self;

	if (x == NULL)
		return;
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->cv);
	free(x->listen);
	free(x->state_dir);
	free(x->agent_path);
	free(x->tool_dir);
	free(x->log_file);
	free(x);
}

static int lx_health(void *self, struct keel_err *err)
{
	struct lx *x = self;
	Keel__Local__V1__StatusResponse *s;
	int rc = lx_status_call(x, NULL, 1000, &s, err);

	if (rc == 0)
		keel__local__v1__status_response__free_unpacked(s, NULL);
	return rc;
}

static const struct keel_executor_ops lx_ops = {
    .launch = lx_launch,
    .abort = lx_abort,
    .status = lx_status,
    .caps = lx_caps,
};

static const struct keel_plugin lx_plugin = {
    .magic = KEEL_PLUGIN_MAGIC,
    .abi_major = KEEL_ABI_MAJOR,
    .abi_minor = KEEL_ABI_MINOR,
    .size = sizeof(struct keel_plugin),
    .kind = KEEL_KIND_EXECUTOR,
    .flags = KEEL_PLUGIN_F_THREADSAFE | KEEL_PLUGIN_F_MULTI,
    .ops_size = sizeof(struct keel_executor_ops),
    .config_key_size = sizeof(struct keel_config_key),
    .name = "local",
    .version = LX_VERSION,
    .description = "runs executions as local processes through "
                   "keel-local-agent, the embedded default",
    .config = lx_config,
    .create = lx_create,
    .configure = lx_configure,
    .start = lx_start,
    .stop = lx_stop,
    .destroy = lx_destroy,
    .health = lx_health,
    .ops = &lx_ops,
};

KEEL_PLUGIN_DECLARE(lx_plugin)
