/*
 * svc.h -- services: the handlers of the method table and what they share.
 */
#ifndef KEEL_CORE_SVC_H
#define KEEL_CORE_SVC_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"

struct db;
struct task_resource_limits;
struct keel_blob_ops;

struct svc_domain {
	char *id;
	char *name;
};

/* [executions]: how executions are launched and what their data looks
 * like (reference/flyteadmin-behaviour.md §3, §4.4). */
struct svc_exec_cfg {
	const char *target;             /* "clusters" or "none" */
	const char *cluster;            /* target none: recorded as the
	                                   execution's cluster */
	const char *default_cluster_label;
	const char *namespace_template; /* "{{ project }}-{{ domain }}" */
	int32_t max_parallelism;        /* default when no level sets one */
	const char *output_location_prefix; /* raw data default; "" none */
	uint32_t max_label_entries;     /* 0: no limit */
	uint32_t max_annotation_entries;
	int64_t inline_data_max;        /* remoteData.maxSizeInBytes */
	int64_t inputs_inline_max;      /* inputs kept in the row up to */
	int event_data_inline;          /* 1: keep event outputs in rows */
	int signed_urls;                /* Get*Data: signed URLs */
	int cloud_events;               /* queue cloud-event rows */
	int64_t signed_url_ttl_ms;
	/* The outbox ([executions] outbox_*). */
	unsigned outbox_workers, outbox_attempts;
	int64_t outbox_backoff_ms, outbox_backoff_max_ms, outbox_lease_ms;
	/* How often live executions are checked against their data plane
	 * (0: never). */
	int64_t reconcile_interval_ms;
};

struct outbox;
struct dp;
struct svc_reconciler;

/* Shared, read-only after start-up. */
struct svc {
	struct db *db;
	struct svc_domain *domains; /* from [domains]; never empty */
	size_t ndomains;
	uint32_t max_page_size; /* cap on list limits ([api] max_page_size) */
	/* Registry policy ([registry]): platform limits task resources are
	 * checked against, and the task types allowed (comma/space
	 * separated; NULL or "": any). */
	const struct task_resource_limits *task_limits;
	const char *task_types;
	const char *task_type_scopes; /* "type=proj[/dom][;...], ..." or NULL */
	size_t max_workflow_nodes; /* per template; 0: no limit */
	/* Closures above closure_inline_max bytes go to this blob store
	 * (NULL: every closure stays in its row). */
	const struct keel_blob_ops *blob;
	void *blob_self;
	int64_t closure_inline_max;
	struct svc_exec_cfg exec;
	struct outbox *outbox; /* NULL: nothing drains here (tests, roles) */
	/* Execution clusters and their executors; NULL: target none (or a
	 * process that does not launch). */
	struct dp *dp;
	struct svc_reconciler *reconciler; /* svc_exec_start's thread */
};

struct svc_route {
	const char *path;
	rpc_handler fn;
};

/* Each service file's handlers, NULL-terminated. */
extern const struct svc_route svc_task_routes[];
extern const struct svc_route svc_entity_routes[];
extern const struct svc_route svc_workflow_routes[];
extern const struct svc_route svc_launch_plan_routes[];
extern const struct svc_route svc_execution_routes[];
extern const struct svc_route svc_event_routes[];
extern const struct svc_route svc_node_routes[];
extern const struct svc_route svc_signal_routes[];

/* Handler for a method path, or NULL when not implemented. */
rpc_handler svc_handler(const char *path);

/* The domain with this id, or NULL. */
const struct svc_domain *svc_find_domain(const struct svc *s, const char *id);

/* Shared registration checks, with Flyte Admin's messages; 0 or the
 * call's error.  An identifier needs every part and the expected
 * resource type; a project must exist and be ACTIVE, the domain must be
 * configured. */
struct Flyteidl__Core__Identifier;
int svc_check_identifier(struct call *c,
                         const struct Flyteidl__Core__Identifier *id,
                         int resource_type);
/* [registry] task_type_scopes (Flyte Admin's task_type_whitelist): 1 when
 * type may be registered in project/domain (type NULL: the syntax is
 * valid), 0 when not, -1 with why when the text is malformed. */
int svc_type_scope_allowed(const char *list, const char *type,
                           const char *project, const char *domain,
                           char *why, size_t whylen);

/* The same for Get and Update calls, which also accept an UNSPECIFIED
 * resource type (a REST path has none). */
int svc_check_get_identifier(struct call *c,
                             const struct Flyteidl__Core__Identifier *id,
                             int resource_type);
int svc_check_project_domain(struct call *c, const char *project,
                             const char *domain);
/* The same, handing back the project (labels are merged into
 * executions). */
struct Flyteidl__Admin__Project;
int svc_load_project_domain(struct call *c, const char *project,
                            const char *domain,
                            struct Flyteidl__Admin__Project **out);

/* Shared with executions: label rules (count, keys, values), the
 * notification rules, and valid datetimes inside a literal. */
struct Flyteidl__Admin__Labels;
struct Flyteidl__Admin__Notification;
struct Flyteidl__Core__Literal;
int svc_check_labels(struct call *c, const struct Flyteidl__Admin__Labels *l);
int svc_check_notifications(struct call *c,
                            struct Flyteidl__Admin__Notification *const *n,
                            size_t count);
int svc_literal_datetimes_ok(const struct Flyteidl__Core__Literal *l,
                             int depth);

#endif
