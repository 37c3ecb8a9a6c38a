/*
 * keel_executor.h -- Keel plugin ABI: the "executor" kind (a data plane).
 *
 * An executor runs executions somewhere: local processes, a Kubernetes
 * cluster, a batch service.  The core hands it a launch once the
 * execution's row and inputs are stored, and an abort when a user
 * terminates one.  The executor never writes Keel's database: it reports
 * progress the way a Flyte data plane does, through the public event API
 * (CreateWorkflowEvent, CreateNodeEvent, CreateTaskEvent) with its
 * cluster's name as producer_id.  So nothing in the core knows how or
 * where an execution runs.
 *
 * Delivery is at least once: the core calls launch() from its outbox and
 * calls it again when it cannot tell whether an earlier call took effect
 * (a crash between the call and recording it).  An executor must treat a
 * second launch of an execution it already has as success.
 *
 * Instances: an executor section is [executor.NAME] (KEEL_PLUGIN_F_MULTI);
 * execution clusters ([cluster.NAME], executor = NAME) are bound to
 * instances, and several clusters may share one instance.
 *
 * Threading: ops may be called concurrently unless the plugin leaves
 * KEEL_PLUGIN_F_THREADSAFE unset.  Ops may block (on the network) for as
 * long as the plugin's own timeouts allow; they run on outbox workers,
 * never on a request thread.
 *
 * ABI history: 1.1 initial (the kind number 6 was reserved in 1.0).
 */
#ifndef KEEL_EXECUTOR_H
#define KEEL_EXECUTOR_H

#include <keel/keel_plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed key/value pair (labels, annotations, environment). */
struct keel_kv {
	const char *key;
	const char *value;
};

/* Which execution: Flyte's WorkflowExecutionIdentifier. */
struct keel_exec_ref {
	const char *project;
	const char *domain;
	const char *name;
	const char *cluster; /* the execution cluster it was launched on */
};

/*
 * Everything a data plane needs to run one execution.  Built by the core,
 * borrowed for the duration of launch().  Serialized Flyte messages are
 * flyteidl 1.16 protobuf bytes; a plugin that needs them links its own
 * protobuf code.  size is the core's sizeof(struct keel_exec_launch):
 * fields appended in later minors are present only when size covers them.
 */
struct keel_exec_launch {
	uint32_t size;
	int32_t max_parallelism; /* nodes run at once; 0: no limit */
	struct keel_exec_ref id;
	/* flyteidl.core.CompiledWorkflowClosure: the primary workflow, its
	 * subworkflows and every task template. */
	const uint8_t *closure;
	size_t closure_len;
	/* The execution's inputs (flyteidl.core.LiteralMap) in the blob
	 * store, and, when the core has them at hand, the same map inline
	 * (NULL otherwise: read inputs_uri). */
	const char *inputs_uri;
	const uint8_t *inputs;
	size_t inputs_len;
	/* Where the data plane writes node outputs and metadata, and raw
	 * data (URIs of the blob store, or of the raw-output config). */
	const char *output_prefix;
	const char *raw_output_prefix;
	const struct keel_kv *labels;
	size_t nlabels;
	const struct keel_kv *annotations;
	size_t nannotations;
	const struct keel_kv *envs; /* environment for every task */
	size_t nenvs;
	/* flyteidl.core.SecurityContext (run_as, secrets, tokens); may be
	 * empty. */
	const uint8_t *security_context;
	size_t security_context_len;
	/* flyteidl.admin.ExecutionSpec as stored, for what this struct does
	 * not name (metadata, notifications, cluster assignment...). */
	const uint8_t *spec;
	size_t spec_len;
	const char *namespace_; /* the execution's namespace template result */
	const char *principal;  /* who launched it */
	int32_t interruptible;  /* -1 unset, 0 false, 1 true */
	int32_t overwrite_cache; /* 0 or 1 */
	int32_t nesting;        /* 0 for a top-level execution */
	int32_t reserved;       /* 0 */
	int64_t accepted_at_ms; /* when the core accepted the request */
};

/* What the data plane knows of one execution (status()). */
#define KEEL_EXEC_UNKNOWN  0u /* no record of it */
#define KEEL_EXEC_ACTIVE   1u /* running, or about to */
#define KEEL_EXEC_FINISHED 2u /* done; its terminal event was sent */

struct keel_exec_status {
	uint32_t state; /* KEEL_EXEC_* */
	uint32_t reserved;
	char detail[248]; /* a line for operators, "" if none */
};

/* Capability flags (caps()). */
#define KEEL_EXEC_CAP_ABORT    0x1u /* abort() stops running work */
#define KEEL_EXEC_CAP_STATUS   0x2u /* status() answers per execution */
#define KEEL_EXEC_CAP_BRANCH   0x4u /* branch nodes */
#define KEEL_EXEC_CAP_SUBWF    0x8u /* subworkflow nodes */
#define KEEL_EXEC_CAP_LPNODE   0x10u /* launch-plan nodes (child executions) */
#define KEEL_EXEC_CAP_GATE     0x20u /* gate nodes (signals, approve, sleep) */
#define KEEL_EXEC_CAP_ARRAY    0x40u /* array nodes (map tasks) */
#define KEEL_EXEC_CAP_DYNAMIC  0x80u /* dynamic workflows */
#define KEEL_EXEC_CAP_FAILNODE 0x100u /* the workflow's failure node */

struct keel_exec_caps {
	uint32_t flags; /* KEEL_EXEC_CAP_* */
	uint32_t reserved;
	/* Task types it runs, comma-separated ("container,raw-container"),
	 * or "*" for any.  Static storage or valid until destroy(). */
	const char *task_types;
};

struct keel_executor_ops {
	/*
	 * 1.1, required: take the execution.  Returns once the data plane has
	 * durably accepted it (it will report events from now on), not when
	 * it finishes.  A repeated launch of an execution the data plane
	 * already has is KEEL_OK.  KEEL_EAGAIN: unreachable, try again later;
	 * any other error is final and the core fails the execution with the
	 * message.
	 */
	int (*launch)(void *self, const struct keel_exec_launch *l,
	              struct keel_err *err);
	/*
	 * 1.1, required: stop the execution.  KEEL_OK: the data plane stops
	 * it and reports ABORTED itself.  KEEL_ENOTFOUND: it has no record of
	 * the execution (the core marks it ABORTED).  KEEL_EAGAIN: try again.
	 */
	int (*abort)(void *self, const struct keel_exec_ref *ref,
	             const char *cause, struct keel_err *err);
	/* 1.1, optional: what the data plane knows of the execution, so the
	 * core can fail executions a data plane lost. */
	int (*status)(void *self, const struct keel_exec_ref *ref,
	              struct keel_exec_status *st, struct keel_err *err);
	/* 1.1, required: what it can run; called after start(). */
	int (*caps)(void *self, struct keel_exec_caps *caps,
	            struct keel_err *err);

	/* since 1.2: append below this line only */
};

#define KEEL_EXECUTOR_OPS_SIZE_V1_1 32u
#define KEEL_EXEC_LAUNCH_SIZE_V1_1 216u
KEEL_STATIC_ASSERT(sizeof(struct keel_executor_ops) >=
                       KEEL_EXECUTOR_OPS_SIZE_V1_1,
                   "struct keel_executor_ops shrank: ABI break");
KEEL_STATIC_ASSERT(sizeof(struct keel_exec_launch) >=
                       KEEL_EXEC_LAUNCH_SIZE_V1_1,
                   "struct keel_exec_launch shrank: ABI break");
KEEL_STATIC_ASSERT(sizeof(struct keel_exec_status) == 256,
                   "struct keel_exec_status changed size");

#ifdef __cplusplus
}
#endif

#endif /* KEEL_EXECUTOR_H */
