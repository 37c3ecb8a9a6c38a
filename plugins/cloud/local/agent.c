/*
 * agent.c -- keel-local-agent's process: options, the state directory
 * lock, signals, and the nng server for keeld's launches, aborts and
 * status questions (see agent.h).
 *
 *   keel-local-agent --listen URL --keeld URL --state-dir DIR
 *                    [--tool-dir DIR] [--max-tasks N] [--kill-grace MS]
 *
 * Requests and replies use the internal API's envelope
 * (keel.internal.v1.Request / Response) so keeld's client library speaks
 * to the agent as it speaks to keeld.
 *
 * Exit status: 0 after SIGTERM/SIGINT, 64 usage, 73 cannot listen or
 * create the state directory, 75 another agent holds the state directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "agent.h"
#include "keel/internal/v1/envelope.pb-c.h"
#include "keel/local/v1/agent.pb-c.h"

#define AGENT_VERSION "0.1.0"
#define AGENT_MAX_MSG (64u << 20) /* a launch carries a whole closure */

static pthread_mutex_t agent_log_mu = PTHREAD_MUTEX_INITIALIZER;

void agent_log(const char *level, const char *fmt, ...)
{
	char ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&agent_log_mu);
	fprintf(stderr, "%s.%03ldZ %s keel-local-agent[%d]: ", ts,
	        now.tv_nsec / 1000000, level, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&agent_log_mu);
}

static void agent_usage(FILE *out)
{
	fprintf(out,
	        "usage: keel-local-agent --listen URL --keeld URL --state-dir "
	        "DIR\n"
	        "                        [--tool-dir DIR] [--max-tasks N] "
	        "[--kill-grace MS]\n"
	        "Runs Keel executions as local processes; keeld's "
	        "[executor.NAME] driver = local\n"
	        "starts it (see plugins/cloud/local/README.md).\n");
}

/* ---------------------------------------------------------------------
 * The server
 * ------------------------------------------------------------------- */

/* Reply with status code and message, and payload on success. */
static int agent_reply(nng_socket s, const char *rid, int code,
                       const char *msg, const ProtobufCMessage *payload)
{
	Keel__Internal__V1__Response r = KEEL__INTERNAL__V1__RESPONSE__INIT;
	uint8_t *pbuf = NULL, *buf;
	size_t n;
	int rc;

	r.version = 1;
	r.code = code;
	r.message = (char *)(msg ? msg : "");
	r.request_id = (char *)(rid ? rid : "");
	if (payload != NULL) {
		n = protobuf_c_message_get_packed_size(payload);
		pbuf = malloc(n ? n : 1);
		if (pbuf == NULL)
			return -1;
		protobuf_c_message_pack(payload, pbuf);
		r.payload.data = pbuf;
		r.payload.len = n;
	}
	n = protobuf_c_message_get_packed_size(&r.base);
	buf = nng_alloc(n ? n : 1);
	if (buf == NULL) {
		free(pbuf);
		return -1;
	}
	protobuf_c_message_pack(&r.base, buf);
	free(pbuf);
	rc = nng_send(s, buf, n, NNG_FLAG_ALLOC);
	if (rc != 0)
		nng_free(buf, n);
	return rc;
}

static void agent_handle(struct agent *ag, nng_socket s, const uint8_t *msg,
                         size_t len)
{
	Keel__Internal__V1__Request *q =
	    keel__internal__v1__request__unpack(NULL, len, msg);
	char err[512];
	int code = 0;

	if (q == NULL) {
		agent_reply(s, "", 3, "the request envelope does not decode",
		            NULL);
		return;
	}
	if (strcmp(q->method, "/keel.local.v1.Agent/Launch") == 0) {
		Keel__Local__V1__LaunchResponse r =
		    KEEL__LOCAL__V1__LAUNCH_RESPONSE__INIT;
		int existed = 0;
		if (agent_run_launch(ag, q->payload.data, q->payload.len,
		                     &existed, &code, err, sizeof(err)) != 0) {
			agent_reply(s, q->request_id, code, err, NULL);
		} else {
			r.existed = existed;
			agent_reply(s, q->request_id, 0, NULL, &r.base);
		}
	} else if (strcmp(q->method, "/keel.local.v1.Agent/Abort") == 0) {
		Keel__Local__V1__AbortRequest *a =
		    keel__local__v1__abort_request__unpack(
		        NULL, q->payload.len, q->payload.data);
		Keel__Local__V1__AbortResponse r =
		    KEEL__LOCAL__V1__ABORT_RESPONSE__INIT;
		int known = 0;
		if (a == NULL) {
			agent_reply(s, q->request_id, 3,
			            "AbortRequest does not decode", NULL);
		} else {
			agent_run_abort(ag, a->project, a->domain, a->name,
			                a->cause, &known);
			r.known = known;
			agent_reply(s, q->request_id, 0, NULL, &r.base);
			keel__local__v1__abort_request__free_unpacked(a, NULL);
		}
	} else if (strcmp(q->method, "/keel.local.v1.Agent/Status") == 0) {
		Keel__Local__V1__StatusRequest *a =
		    keel__local__v1__status_request__unpack(
		        NULL, q->payload.len, q->payload.data);
		Keel__Local__V1__StatusResponse r =
		    KEEL__LOCAL__V1__STATUS_RESPONSE__INIT;
		char phase[32] = "";
		int known = 0, active = 0;
		if (a == NULL) {
			agent_reply(s, q->request_id, 3,
			            "StatusRequest does not decode", NULL);
		} else {
			if (a->name != NULL && a->name[0] != '\0')
				agent_run_status(ag, a->project, a->domain,
				                 a->name, &known, &active, phase,
				                 sizeof(phase));
			r.pid = getpid();
			r.version = (char *)AGENT_VERSION;
			r.running = agent_run_count(ag);
			r.known = known;
			r.active = active;
			r.phase = phase;
			agent_reply(s, q->request_id, 0, NULL, &r.base);
			keel__local__v1__status_request__free_unpacked(a, NULL);
		}
	} else {
		snprintf(err, sizeof(err), "method %s is not served here",
		         q->method);
		agent_reply(s, q->request_id, 12, err, NULL);
	}
	keel__internal__v1__request__free_unpacked(q, NULL);
}

/* ---------------------------------------------------------------------
 * Signals: a thread waits for them and closes the socket, which ends
 * the server loop.
 * ------------------------------------------------------------------- */

struct agent_sig {
	sigset_t set;
	nng_socket sock;
	struct agent *ag;
};

static void *agent_sig_thread(void *arg)
{
	struct agent_sig *as = arg;
	int sig = 0;

	sigwait(&as->set, &sig);
	agent_log("info", "%s: stopping", strsignal(sig));
	pthread_mutex_lock(&as->ag->mu);
	as->ag->stopping = 1;
	pthread_mutex_unlock(&as->ag->mu);
	nng_close(as->sock);
	return NULL;
}

/* ---------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------- */

/* Hold the state directory: one agent per directory. */
static int agent_lock(const char *dir)
{
	char path[PATH_MAX + 16], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/agent.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		agent_log("error", "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = (int)pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		agent_log("error",
		          "another keel-local-agent (pid %s) uses %s; one agent "
		          "per state directory",
		          pid[0] ? pid : "?", dir);
		close(fd);
		return -2;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		agent_log("warn", "cannot write %s: %s", path, strerror(errno));
	return fd; /* held until exit */
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"keeld", required_argument, NULL, 'k'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"tool-dir", required_argument, NULL, 't'},
	    {"max-tasks", required_argument, NULL, 'm'},
	    {"kill-grace", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct agent ag = {0};
	struct agent_sig as;
	char state[PATH_MAX], ebuf[256];
	nng_socket sock;
	pthread_t sig_tid;
	int c, rc, lockfd;

	ag.max_tasks = 0;
	ag.kill_grace_ms = 5000;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': ag.listen = optarg; break;
		case 'k': ag.keeld_url = optarg; break;
		case 's': ag.state_dir = optarg; break;
		case 't': ag.tool_dir = optarg; break;
		case 'm': ag.max_tasks = strtoll(optarg, NULL, 10); break;
		case 'g': ag.kill_grace_ms = strtoll(optarg, NULL, 10); break;
		case 'h': agent_usage(stdout); return 0;
		default: agent_usage(stderr); return 64;
		}
	}
	if (ag.listen == NULL || ag.keeld_url == NULL || ag.state_dir == NULL ||
	    optind != argc || ag.max_tasks < 0 || ag.kill_grace_ms < 0) {
		agent_usage(stderr);
		return 64;
	}
	if (ag.max_tasks == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		ag.max_tasks = n > 0 ? n : 2;
	}
	rc = pu_mkdirs(ag.state_dir, 0750);
	if (rc != 0 || realpath(ag.state_dir, state) == NULL) {
		agent_log("error", "cannot create the state directory %s: %s",
		          ag.state_dir, strerror(rc ? rc : errno));
		return 73;
	}
	ag.state_dir = state;
	lockfd = agent_lock(state);
	if (lockfd < 0)
		return lockfd == -2 ? 75 : 73;
	pthread_mutex_init(&ag.mu, NULL);
	pthread_cond_init(&ag.cv, NULL);

	/* Signals go to the signal thread only; tasks get a clean mask. */
	sigemptyset(&as.set);
	sigaddset(&as.set, SIGTERM);
	sigaddset(&as.set, SIGINT);
	sigaddset(&as.set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &as.set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = keel_client_open(ag.keeld_url, &ag.keeld, ebuf, sizeof(ebuf));
	if (rc != 0) {
		agent_log("error", "--keeld %s: %s", ag.keeld_url, ebuf);
		return 64;
	}
	if ((rc = nng_rep0_open(&sock)) != 0 ||
	    (rc = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ,
	                              AGENT_MAX_MSG)) != 0 ||
	    (rc = nng_listen(sock, ag.listen, NULL, 0)) != 0) {
		agent_log("error", "cannot listen on %s: %s", ag.listen,
		          nng_strerror(rc));
		keel_client_close(ag.keeld);
		return 73;
	}
	as.sock = sock;
	as.ag = &ag;
	if (pthread_create(&sig_tid, NULL, agent_sig_thread, &as) != 0) {
		agent_log("error", "cannot start the signal thread");
		return 70;
	}
	agent_log("info",
	          "keel-local-agent %s serving on %s for %s; state in %s; "
	          "%lld tasks at once",
	          AGENT_VERSION, ag.listen, ag.keeld_url, state,
	          (long long)ag.max_tasks);
	agent_run_recover(&ag);

	for (;;) {
		void *buf = NULL;
		size_t len = 0;
		rc = nng_recv(sock, &buf, &len, NNG_FLAG_ALLOC);
		if (rc == NNG_ECLOSED)
			break;
		if (rc != 0) {
			agent_log("warn", "receive: %s", nng_strerror(rc));
			continue;
		}
		agent_handle(&ag, sock, buf, len);
		nng_free(buf, len);
	}
	pthread_join(sig_tid, NULL);
	agent_run_stop_all(&ag);
	keel_client_close(ag.keeld);
	agent_log("info", "stopped");
	close(lockfd);
	return 0;
}
