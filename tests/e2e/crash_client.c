/*
 * crash_client.c -- the client side of exec_crash.sh: streams
 * CreateExecution and CreateWorkflowEvent calls at keeld over its
 * internal API from many threads and writes down every acknowledged
 * write, so the script can SIGKILL keeld mid-stream, restart it and
 * check that nothing acknowledged was lost.
 *
 *   crash_client setup URL
 *       register project "crash", task, workflow and launch plan
 *   crash_client load URL LOG THREADS SECONDS
 *       each thread: CreateExecution c<t>-<i>, then RUNNING for it; an
 *       OK appends "E name" or "R name" to LOG (flushed per line); stops
 *       after SECONDS or once keeld has been unreachable for 3 s
 *   crash_client verify URL LOG
 *       every "E" execution exists; every "R" one is RUNNING; prints
 *       "acked E R missing M wrong W" and exits 1 when M or W > 0
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keel/keel_client.h>

#include "flyteidl/admin/execution.pb-c.h"
#include "flyteidl/admin/event.pb-c.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "pbjson.h"

#define ADMIN "/flyteidl.service.AdminService/"
#define PD "\"project\":\"crash\",\"domain\":\"development\""

static struct keel_client *cl;
/* Calls to a killed keeld give up quickly. */
static const struct keel_client_call_opts opts = {.timeout_ms = 2000};

/* Call method with the request written as JSON; the status code. */
static int call_json(const char *method, const ProtobufCMessageDescriptor *d,
                     const char *json, char *msg, size_t msglen)
{
	ProtobufCMessage *m = NULL;
	struct keel_client_reply r;
	uint8_t *buf;
	size_t n;
	char err[256];
	int code;

	if (pbjson_decode(d, json, strlen(json), NULL, NULL, &m, err,
	                  sizeof(err)) != 0) {
		fprintf(stderr, "crash_client: bad fixture for %s: %s\n",
		        method, err);
		exit(2);
	}
	n = protobuf_c_message_get_packed_size(m);
	buf = malloc(n ? n : 1);
	if (buf == NULL)
		exit(2);
	protobuf_c_message_pack(m, buf);
	protobuf_c_message_free_unpacked(m, NULL);
	code = keel_client_call(cl, method, buf, n, &opts, &r);
	if (msg != NULL)
		snprintf(msg, msglen, "%s", r.message);
	keel_client_reply_free(&r);
	free(buf);
	return code;
}

static int setup(void)
{
	char m[512];
	int rc;

	rc = call_json(ADMIN "RegisterProject",
	               &flyteidl__admin__project_register_request__descriptor,
	               "{\"project\":{\"id\":\"crash\",\"name\":\"crash\"}}", m,
	               sizeof(m));
	if (rc != 0 && rc != 6)
		goto fail;
	rc = call_json(ADMIN "CreateTask",
	               &flyteidl__admin__task_create_request__descriptor,
	               "{\"id\":{\"resourceType\":\"TASK\"," PD ",\"name\":\"t\","
	               "\"version\":\"v1\"},\"spec\":{\"template\":{\"type\":"
	               "\"python-task\",\"metadata\":{},\"interface\":{},"
	               "\"container\":{\"image\":\"img:1\"}}}}",
	               m, sizeof(m));
	if (rc != 0 && rc != 6)
		goto fail;
	rc = call_json(ADMIN "CreateWorkflow",
	               &flyteidl__admin__workflow_create_request__descriptor,
	               "{\"id\":{\"resourceType\":\"WORKFLOW\"," PD ",\"name\":"
	               "\"wf\",\"version\":\"v1\"},\"spec\":{\"template\":{"
	               "\"interface\":{},\"nodes\":[{\"id\":\"n0\",\"taskNode\":{"
	               "\"referenceId\":{\"resourceType\":\"TASK\"," PD ",\"name\":"
	               "\"t\",\"version\":\"v1\"}}}]}}}",
	               m, sizeof(m));
	if (rc != 0 && rc != 6)
		goto fail;
	rc = call_json(ADMIN "CreateLaunchPlan",
	               &flyteidl__admin__launch_plan_create_request__descriptor,
	               "{\"id\":{\"resourceType\":\"LAUNCH_PLAN\"," PD ",\"name\":"
	               "\"lp\",\"version\":\"v1\"},\"spec\":{\"workflowId\":{"
	               "\"resourceType\":\"WORKFLOW\"," PD ",\"name\":\"wf\","
	               "\"version\":\"v1\"}}}",
	               m, sizeof(m));
	if (rc != 0 && rc != 6)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "crash_client: setup failed: %s (%s)\n", m,
	        keel_client_code_name(rc));
	return 1;
}

static FILE *logf_;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static double deadline;
static long attempts, acked_e, acked_r;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void log_line(char kind, const char *name)
{
	pthread_mutex_lock(&log_lock);
	fprintf(logf_, "%c %s\n", kind, name);
	fflush(logf_);
	if (kind == 'E')
		acked_e++;
	else
		acked_r++;
	pthread_mutex_unlock(&log_lock);
}

static void *loader(void *arg)
{
	int t = (int)(intptr_t)arg;
	double down_since = 0;

	for (int i = 0; now_s() < deadline; i++) {
		char name[64], json[1024], m[256];
		int rc;

		snprintf(name, sizeof(name), "c%d-%d", t, i);
		snprintf(json, sizeof(json),
		         "{" PD ",\"name\":\"%s\",\"spec\":{\"launchPlan\":{"
		         "\"resourceType\":\"LAUNCH_PLAN\"," PD ",\"name\":"
		         "\"lp\",\"version\":\"v1\"}}}",
		         name);
		__atomic_add_fetch(&attempts, 1, __ATOMIC_RELAXED);
		rc = call_json(ADMIN "CreateExecution",
		               &flyteidl__admin__execution_create_request__descriptor,
		               json, m, sizeof(m));
		if (rc != 0) {
			/* Unreachable (or a reply lost with keeld): the
			 * outcome is unknown, so nothing is recorded. */
			if (down_since == 0)
				down_since = now_s();
			else if (now_s() - down_since > 3)
				break;
			continue;
		}
		down_since = 0;
		log_line('E', name);
		snprintf(json, sizeof(json),
		         "{\"event\":{\"executionId\":{" PD ",\"name\":\"%s\"},"
		         "\"phase\":\"RUNNING\",\"occurredAt\":"
		         "\"2026-01-01T00:00:00Z\"}}",
		         name);
		rc = call_json(ADMIN "CreateWorkflowEvent",
		               &flyteidl__admin__workflow_execution_event_request__descriptor,
		               json, m, sizeof(m));
		if (rc == 0)
			log_line('R', name);
	}
	return NULL;
}

static int load(const char *log, int threads, double seconds)
{
	pthread_t th[256];

	logf_ = fopen(log, "a");
	if (logf_ == NULL || threads < 1 || threads > 256) {
		fprintf(stderr, "crash_client: cannot open %s\n", log);
		return 2;
	}
	deadline = now_s() + seconds;
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, loader, (void *)(intptr_t)i);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	fclose(logf_);
	printf("attempts %ld acked E %ld R %ld\n", attempts, acked_e, acked_r);
	return 0;
}

static int verify(const char *log)
{
	FILE *f = fopen(log, "r");
	char line[256];
	long e = 0, r = 0, missing = 0, wrong = 0;

	if (f == NULL) {
		fprintf(stderr, "crash_client: cannot read %s\n", log);
		return 2;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char kind = line[0], *name = line + 2, json[512];
		struct keel_client_reply rep;
		Flyteidl__Admin__Execution *x;
		ProtobufCMessage *req = NULL;
		uint8_t buf[512];
		size_t n;
		int rc;

		name[strcspn(name, "\n")] = '\0';
		snprintf(json, sizeof(json),
		         "{\"id\":{" PD ",\"name\":\"%s\"}}", name);
		if (pbjson_decode(&flyteidl__admin__workflow_execution_get_request__descriptor,
		                  json, strlen(json), NULL, NULL, &req, NULL,
		                  0) != 0)
			return 2;
		n = protobuf_c_message_pack(req, buf);
		protobuf_c_message_free_unpacked(req, NULL);
		rc = keel_client_call(cl, ADMIN "GetExecution", buf, n, &opts,
		                      &rep);
		if (rc != 0) {
			missing++;
			fprintf(stderr, "acknowledged %s: GetExecution %s: %s\n",
			        name, keel_client_code_name(rc), rep.message);
			keel_client_reply_free(&rep);
			continue;
		}
		x = flyteidl__admin__execution__unpack(NULL, rep.payload_len,
		                                       rep.payload);
		if (kind == 'E')
			e++;
		if (kind == 'R') {
			r++;
			if (x == NULL || x->closure == NULL ||
			    x->closure->phase !=
			        FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING) {
				wrong++;
				fprintf(stderr, "acknowledged RUNNING of %s: "
				                "phase is %d\n",
				        name, x && x->closure ? (int)x->closure->phase
				                              : -1);
			}
		}
		if (x != NULL)
			flyteidl__admin__execution__free_unpacked(x, NULL);
		keel_client_reply_free(&rep);
	}
	fclose(f);
	printf("acked %ld %ld missing %ld wrong %ld\n", e, r, missing, wrong);
	return missing || wrong ? 1 : 0;
}

int main(int argc, char **argv)
{
	char err[256];
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: crash_client setup|load|verify URL ...\n");
		return 2;
	}
	if (keel_client_open(argv[2], &cl, err, sizeof(err)) != 0) {
		fprintf(stderr, "crash_client: %s\n", err);
		return 2;
	}
	if (strcmp(argv[1], "setup") == 0)
		rc = setup();
	else if (strcmp(argv[1], "load") == 0 && argc == 6)
		rc = load(argv[3], atoi(argv[4]), atof(argv[5]));
	else if (strcmp(argv[1], "verify") == 0 && argc == 4)
		rc = verify(argv[3]);
	else
		rc = 2;
	keel_client_close(cl);
	return rc;
}
