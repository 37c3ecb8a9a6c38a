/*
 * svc_event.c -- what the data plane reports: workflow execution events
 * (reference/flyteadmin-behaviour.md §4.1), with Flyte Admin's ordering
 * rules and error details, applied in one write transaction that reads
 * the current row, decides, and writes the new state with the outbox
 * rows a terminal phase implies (notifications, cloud events).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/keel_blob.h>

#include "arena.h"
#include "db.h"
#include "flyteidl/admin/event.pb-c.h"
#include "flyteidl/admin/execution.pb-c.h"
#include "flyteidl/admin/node_execution.pb-c.h"
#include "flyteidl/admin/task_execution.pb-c.h"
#include "flyteidl/core/catalog.pb-c.h"
#include "flyteidl/core/execution.pb-c.h"
#include "flyteidl/event/event.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "outbox.h"
#include "repo_exec.h"
#include "repo_node.h"
#include "svc.h"
#include "svc_exec.h"
#include "svc_ver.h"
#include "util.h"

/* Outputs in the closure use the deprecated fields Flyte clients read. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static int svc_ev_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* "propeller" is the data plane's default id: no cluster check. */
static int svc_ev_real_producer(const char *p)
{
	return !svc_ev_empty(p) && strcmp(p, "propeller") != 0;
}

/* The rejections the transaction can decide, turned into the call's
 * status afterwards (the detail messages live in the call's arena). */
enum {
	SVC_EV_OK,
	SVC_EV_DUP,       /* ALREADY_EXISTS */
	SVC_EV_CLUSTER,   /* FAILED_PRECONDITION + IncompatibleCluster */
	SVC_EV_TERMINAL,  /* FAILED_PRECONDITION + AlreadyInTerminalState */
	SVC_EV_BACKWARDS, /* FAILED_PRECONDITION */
	SVC_EV_ABORTING,  /* FAILED_PRECONDITION */
};

/* A nonce for event object keys: 12 characters of the execution-name
 * alphabet. */
static int svc_ev_nonce(char out[13])
{
	char name[21];

	if (svc_exec_gen_name(name) != 0)
		return -1;
	memcpy(out, name + 1, 12);
	out[12] = '\0';
	return 0;
}

/*
 * Inline input or output data of an event, written to the blob store
 * before the transaction.  The key carries a nonce, so an event the
 * transaction then refuses (a duplicate, a late one) never overwrites
 * the object of the event that was accepted; *key is for
 * svc_ev_discard().  Above inline_data_max: RESOURCE_EXHAUSTED.
 */
static int svc_ev_offload(struct call *c, const Flyteidl__Core__LiteralMap *m,
                          const char *project, const char *domain,
                          const char *exec, const char *dir,
                          const char *leaf, const char **uri,
                          const char **key)
{
	char nonce[13];
	size_t n;

	*uri = NULL;
	*key = NULL;
	if (m == NULL)
		return 0;
	n = protobuf_c_message_get_packed_size(&m->base);
	if (c->svc->exec.inline_data_max > 0 &&
	    (int64_t)n > c->svc->exec.inline_data_max)
		return call_error(c, RPC_RESOURCE_EXHAUSTED,
		                  "Output data size exceeds platform configured "
		                  "threshold (%zu > %lld bytes)",
		                  n, (long long)c->svc->exec.inline_data_max);
	if (c->svc->exec.event_data_inline || c->svc->blob == NULL)
		return 0;
	if (svc_ev_nonce(nonce) != 0)
		return call_error(c, RPC_INTERNAL, "cannot generate a key");
	*key = svc_exec_key(c, project, domain, exec,
	                    arena_printf(c->arena, "%s%s%s/%s", dir,
	                                 dir[0] ? "/" : "", nonce, leaf));
	if (svc_blob_put_msg(c, *key, &m->base, uri) != 0) {
		*key = NULL;
		return -c->code;
	}
	return 0;
}

/* Remove objects written for an event that was not recorded. */
static void svc_ev_discard(struct call *c, const char *a, const char *b)
{
	struct keel_err err = {0};

	if (c->svc->blob == NULL)
		return;
	if (a != NULL)
		c->svc->blob->del(c->svc->blob_self, a, &err);
	if (b != NULL)
		c->svc->blob->del(c->svc->blob_self, b, &err);
}

struct svc_ev_wf {
	struct call *c;
	const Flyteidl__Event__WorkflowExecutionEvent *ev;
	const char *outputs_uri; /* offloaded output_data, or NULL */
	int verdict;
	char cur[32];
	struct repo_exec row;
};

static void svc_ev_detail_cluster(struct call *c, const char *cluster)
{
	Flyteidl__Admin__EventFailureReason *fr =
	    call_new(c, &flyteidl__admin__event_failure_reason__descriptor);
	Flyteidl__Admin__EventErrorIncompatibleCluster *ic = call_new(
	    c, &flyteidl__admin__event_error_incompatible_cluster__descriptor);

	if (fr == NULL || ic == NULL)
		return;
	ic->cluster = arena_strdup(c->arena, cluster);
	fr->reason_case =
	    FLYTEIDL__ADMIN__EVENT_FAILURE_REASON__REASON_INCOMPATIBLE_CLUSTER;
	fr->incompatible_cluster = ic;
	c->detail = &fr->base;
}

/* Outbox rows of a terminal phase: one per matching notification, and
 * the event itself for a cloud-event sink when configured. */
static int svc_ev_terminal_rows(struct db_conn *dc, struct call *c,
                                const struct repo_exec *row,
                                const Flyteidl__Admin__ExecutionClosure *cl,
                                const ProtobufCMessage *ev, int phase,
                                int64_t now, struct keel_err *err)
{
	if (c->svc->exec.cloud_events) {
		size_t len = 0;
		uint8_t *p = svc_pack(c, ev, &len);
		char *purpose = arena_printf(c->arena, "cloud_event/%lld/%s",
		                             (long long)row->id,
		                             svc_wf_phase_name(phase));
		int rc;
		if (p == NULL || purpose == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		rc = outbox_add(dc, OUTBOX_CLOUD_EVENT, purpose, row->id, p, len,
		                now, err);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < cl->n_notifications; i++) {
		const Flyteidl__Admin__Notification *n = cl->notifications[i];
		int match = 0;
		for (size_t k = 0; k < n->n_phases; k++)
			match |= (int)n->phases[k] == phase;
		if (match) {
			size_t len = 0;
			uint8_t *p = svc_pack(c, &n->base, &len);
			char *purpose = arena_printf(c->arena, "notify/%lld/%s/%zu",
			                             (long long)row->id,
			                             svc_wf_phase_name(phase), i);
			int rc;
			if (p == NULL || purpose == NULL)
				return keel_err_set(err, KEEL_ENOMEM,
				                    "out of memory");
			rc = outbox_add(dc, OUTBOX_NOTIFY, purpose, row->id, p,
			                len, now, err);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

static int svc_ev_wf_tx(struct db_conn *dc, void *arg, struct keel_err *err)
{
	struct svc_ev_wf *x = arg;
	struct call *c = x->c;
	const Flyteidl__Event__WorkflowExecutionEvent *ev = x->ev;
	Flyteidl__Admin__ExecutionClosure *cl;
	Flyteidl__Admin__ExecutionSpec *sp = NULL;
	struct repo_exec *row = &x->row;
	int64_t at = svc_ts_ms(ev->occurred_at), now = util_now_ms();
	int cur, nw = (int)ev->phase, rc;
	int queued = nw == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__QUEUED;
	int undefined = nw == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__UNDEFINED;

	x->verdict = SVC_EV_OK;
	rc = repo_exec_lock(dc, c->arena, ev->execution_id->project,
	                    ev->execution_id->domain, ev->execution_id->name,
	                    row, err);
	if (rc != 0)
		return rc;
	util_strlcpy(x->cur, row->phase, sizeof(x->cur));
	cur = svc_wf_phase_parse(row->phase);
	if (!queued && nw == cur) {
		x->verdict = SVC_EV_DUP;
		return KEEL_EABORTED;
	}
	/* Keel records no cluster with the "none" target ("" disables the
	 * check, as an empty producer does). */
	if (!queued && !undefined && svc_ev_real_producer(ev->producer_id) &&
	    !svc_ev_empty(row->cluster) &&
	    strcmp(ev->producer_id, row->cluster) != 0) {
		x->verdict = SVC_EV_CLUSTER;
		return KEEL_EABORTED;
	}
	if (svc_wf_phase_terminal(cur)) {
		x->verdict = SVC_EV_TERMINAL;
		return KEEL_EABORTED;
	}
	if (cur == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING && queued) {
		x->verdict = SVC_EV_BACKWARDS;
		return KEEL_EABORTED;
	}
	if (cur == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING &&
	    !svc_wf_phase_terminal(nw)) {
		x->verdict = SVC_EV_ABORTING;
		return KEEL_EABORTED;
	}

	cl = (Flyteidl__Admin__ExecutionClosure *)protobuf_c_message_unpack(
	    &flyteidl__admin__execution_closure__descriptor,
	    arena_pb_allocator(c->arena), row->closure_len,
	    row->closure ? row->closure : (const uint8_t *)"");
	if (cl == NULL)
		return keel_err_set(err, KEEL_EDATALOSS,
		                    "stored closure of execution [%s/%s/%s] does "
		                    "not decode",
		                    row->project, row->domain, row->name);
	cl->phase = (Flyteidl__Core__WorkflowExecution__Phase)nw;
	cl->updated_at = ev->occurred_at;
	row->phase = svc_wf_phase_name(nw);
	row->execution_updated_at = at;
	row->updated_at = now;
	if (nw == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__RUNNING) {
		cl->started_at = ev->occurred_at;
		row->started_at = at;
	}
	if (svc_wf_phase_terminal(nw) && cl->started_at != NULL) {
		Google__Protobuf__Duration *d = call_new(
		    c, &google__protobuf__duration__descriptor);
		int64_t s0 = cl->started_at->seconds, n0 = cl->started_at->nanos;
		int64_t dn = (ev->occurred_at->seconds - s0) * 1000000000LL +
		             (ev->occurred_at->nanos - n0);
		if (d == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		d->seconds = dn / 1000000000LL;
		d->nanos = (int32_t)(dn % 1000000000LL);
		cl->duration = d;
		row->duration = dn / 1000000;
	}
	/* A real producer reporting QUEUED (or UNDEFINED) takes the
	 * execution over: Flyte's cluster re-assignment. */
	if ((queued || undefined) && svc_ev_real_producer(ev->producer_id) &&
	    strcmp(ev->producer_id, row->cluster) != 0) {
		sp = (Flyteidl__Admin__ExecutionSpec *)protobuf_c_message_unpack(
		    &flyteidl__admin__execution_spec__descriptor,
		    arena_pb_allocator(c->arena), row->spec_len,
		    row->spec ? row->spec : (const uint8_t *)"");
		if (sp == NULL)
			return keel_err_set(err, KEEL_EDATALOSS,
			                    "stored spec does not decode");
		row->cluster = ev->producer_id;
		if (sp->metadata != NULL && sp->metadata->system_metadata != NULL)
			sp->metadata->system_metadata->execution_cluster =
			    ev->producer_id;
		row->spec = svc_pack(c, &sp->base, &row->spec_len);
		if (row->spec == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	}
	switch (ev->output_result_case) {
	case FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI: {
		Flyteidl__Admin__LiteralMapBlob *b =
		    call_new(c, &flyteidl__admin__literal_map_blob__descriptor);
		if (b == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		b->data_case = FLYTEIDL__ADMIN__LITERAL_MAP_BLOB__DATA_URI;
		b->uri = ev->output_uri;
		cl->output_result_case =
		    FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUTS;
		cl->outputs = b;
		break;
	}
	case FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA:
		if (x->outputs_uri != NULL) {
			Flyteidl__Admin__LiteralMapBlob *b = call_new(
			    c, &flyteidl__admin__literal_map_blob__descriptor);
			if (b == NULL)
				return keel_err_set(err, KEEL_ENOMEM,
				                    "out of memory");
			b->data_case = FLYTEIDL__ADMIN__LITERAL_MAP_BLOB__DATA_URI;
			b->uri = (char *)x->outputs_uri;
			cl->output_result_case =
			    FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUTS;
			cl->outputs = b;
		} else {
			cl->output_result_case =
			    FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_DATA;
			cl->output_data = ev->output_data;
		}
		break;
	case FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_ERROR:
		cl->output_result_case =
		    FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR;
		cl->error = ev->error;
		row->error_kind =
		    ev->error->kind ==
		            FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__USER
		        ? "USER"
		    : ev->error->kind ==
		            FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__SYSTEM
		        ? "SYSTEM"
		        : "UNKNOWN";
		row->error_code = ev->error->code ? ev->error->code : "";
		break;
	default:
		break;
	}
	row->closure = svc_pack(c, &cl->base, &row->closure_len);
	if (row->closure == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	rc = repo_exec_update(dc, row, err);
	if (rc != 0 || !svc_wf_phase_terminal(nw))
		return rc;
	return svc_ev_terminal_rows(dc, c, row, cl, &ev->base, nw, now, err);
}

static int svc_create_workflow_event(struct call *c, const ProtobufCMessage *req,
                                     ProtobufCMessage **resp)
{
	const Flyteidl__Admin__WorkflowExecutionEventRequest *r =
	    (const Flyteidl__Admin__WorkflowExecutionEventRequest *)req;
	const Flyteidl__Event__WorkflowExecutionEvent *ev = r->event;
	struct svc_ev_wf x = {.c = c, .ev = ev};
	struct keel_err err = {0};
	const char *nw, *key = NULL;
	int rc;

	if (ev == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing event");
	if (ev->execution_id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing execution_id");
	rc = svc_exec_check_id(c, ev->execution_id);
	if (rc != 0)
		return rc;
	if (ev->occurred_at == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing occurred_at");
	if (ev->output_result_case ==
	        FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_ERROR &&
	    ev->error == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing error");
	if (ev->output_result_case ==
	    FLYTEIDL__EVENT__WORKFLOW_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA) {
		rc = svc_ev_offload(c, ev->output_data, ev->execution_id->project,
		                    ev->execution_id->domain,
		                    ev->execution_id->name, "",
		                    "offloaded_outputs", &x.outputs_uri, &key);
		if (rc != 0)
			return rc;
	}
	rc = db_tx(c->svc->db, KEEL_DB_TX_WRITE, svc_ev_wf_tx, &x, &err);
	if (rc != 0)
		svc_ev_discard(c, key, NULL);
	nw = protobuf_c_enum_descriptor_get_value(
	         &flyteidl__core__workflow_execution__phase__descriptor,
	         (int)ev->phase)
	         ? svc_wf_phase_name((int)ev->phase)
	         : "UNKNOWN";
	switch (x.verdict) {
	case SVC_EV_DUP:
		return call_error(c, RPC_ALREADY_EXISTS,
		                  "This phase %s was already recorded for "
		                  "workflow execution [%s/%s/%s]",
		                  nw, ev->execution_id->project,
		                  ev->execution_id->domain, ev->execution_id->name);
	case SVC_EV_CLUSTER:
		rc = call_error(c, RPC_FAILED_PRECONDITION,
		                "Cannot accept events for running/terminated "
		                "execution [%s/%s/%s] from cluster %s, expected "
		                "events to originate from %s",
		                ev->execution_id->project,
		                ev->execution_id->domain, ev->execution_id->name,
		                ev->producer_id, x.row.cluster);
		svc_ev_detail_cluster(c, ev->producer_id);
		return rc;
	case SVC_EV_TERMINAL:
		rc = call_error(c, RPC_FAILED_PRECONDITION,
		                "Invalid phase change from %s to %s for workflow "
		                "execution [%s/%s/%s]",
		                x.cur, nw, ev->execution_id->project,
		                ev->execution_id->domain, ev->execution_id->name);
		svc_detail_terminal(c, x.cur);
		return rc;
	case SVC_EV_BACKWARDS:
		return call_error(c, RPC_FAILED_PRECONDITION,
		                  "Cannot go from %s to %s for workflow "
		                  "execution [%s/%s/%s]",
		                  x.cur, nw, ev->execution_id->project,
		                  ev->execution_id->domain, ev->execution_id->name);
	case SVC_EV_ABORTING:
		return call_error(c, RPC_FAILED_PRECONDITION,
		                  "Invalid phase change from aborting to %s for "
		                  "workflow execution [%s/%s/%s]",
		                  nw, ev->execution_id->project,
		                  ev->execution_id->domain, ev->execution_id->name);
	default:
		break;
	}
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	outbox_kick(c->svc->outbox);
	*resp = call_new(c,
	                 &flyteidl__admin__workflow_execution_event_response__descriptor);
	return *resp ? 0 : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}


/* What an event reports as its result, whatever its message type: an
 * output URI (given, or where inline data was offloaded), inline data
 * kept in the row, or an error; all NULL when it reports none. */
struct svc_ev_out {
	const char *uri;
	Flyteidl__Core__LiteralMap *data;
	Flyteidl__Core__ExecutionError *error;
};

/* uri: the event's output URI or the offloaded data's (NULL: none);
 * data: its inline output data (kept only when not offloaded). */
static void svc_ev_outcome(const char *uri, Flyteidl__Core__LiteralMap *data,
                           Flyteidl__Core__ExecutionError *error,
                           struct svc_ev_out *o)
{
	o->uri = uri;
	o->data = uri == NULL ? data : NULL;
	o->error = uri == NULL && data == NULL ? error : NULL;
}

/* ------------------------------------------------------------------ */
/* Node execution events (§4.2)                                        */
/* ------------------------------------------------------------------ */

static const char *svc_ev_node_phase(int p)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &flyteidl__core__node_execution__phase__descriptor, p);

	return v != NULL ? v->name : "UNDEFINED";
}

static int svc_ev_node_terminal(int p)
{
	return p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SUCCEEDED ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__FAILED ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__TIMED_OUT ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__ABORTED ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__SKIPPED ||
	       p == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RECOVERED;
}

static const char *svc_ev_error_kind(const Flyteidl__Core__ExecutionError *e)
{
	return e->kind == FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__USER
	           ? "USER"
	       : e->kind == FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__SYSTEM
	           ? "SYSTEM"
	           : "UNKNOWN";
}

/* occurred_at - started (full precision) as a Duration; *ms for the
 * column. */
static Google__Protobuf__Duration *
svc_ev_duration(struct call *c, const Google__Protobuf__Timestamp *from,
                const Google__Protobuf__Timestamp *to, int64_t *ms)
{
	Google__Protobuf__Duration *d =
	    call_new(c, &google__protobuf__duration__descriptor);
	int64_t dn;

	if (d == NULL)
		return NULL;
	dn = (to->seconds - from->seconds) * 1000000000LL +
	     (to->nanos - from->nanos);
	d->seconds = dn / 1000000000LL;
	d->nanos = (int32_t)(dn % 1000000000LL);
	*ms = dn / 1000000;
	return d;
}

struct svc_ev_node {
	struct call *c;
	const Flyteidl__Event__NodeExecutionEvent *ev;
	const char *in_uri, *out_uri, *dyn_uri;
	int verdict;
	const char *missing; /* NOT_FOUND: what */
	char cur[32];
	char cluster[256];
	struct repo_exec exec;
};

static int svc_ev_node_tx(struct db_conn *dc, void *arg, struct keel_err *err)
{
	struct svc_ev_node *x = arg;
	struct call *c = x->c;
	const Flyteidl__Event__NodeExecutionEvent *ev = x->ev;
	const Flyteidl__Core__WorkflowExecutionIdentifier *eid =
	    ev->id->execution_id;
	Flyteidl__Admin__NodeExecutionClosure *cl;
	Flyteidl__Admin__NodeExecutionMetaData *md;
	struct repo_node n;
	struct svc_ev_out o;
	int nw = (int)ev->phase, create, rc;
	const Google__Protobuf__Timestamp *upd =
	    ev->reported_at ? ev->reported_at : ev->occurred_at;

	x->verdict = SVC_EV_OK;
	x->missing = NULL;
	rc = repo_exec_lock(dc, c->arena, eid->project, eid->domain, eid->name,
	                    &x->exec, err);
	if (rc != 0)
		return rc;
	if (svc_ev_real_producer(ev->producer_id) &&
	    !svc_ev_empty(x->exec.cluster) &&
	    strcmp(ev->producer_id, x->exec.cluster) != 0) {
		util_strlcpy(x->cluster, x->exec.cluster, sizeof(x->cluster));
		x->verdict = SVC_EV_CLUSTER;
		return KEEL_EABORTED;
	}
	rc = repo_node_read(dc, c->arena, x->exec.id, ev->id->node_id, &n, err);
	if (rc != 0 && rc != KEEL_ENOTFOUND)
		return rc;
	create = rc == KEEL_ENOTFOUND;
	if (create) {
		memset(&n, 0, sizeof(n));
		memset(err, 0, sizeof(*err));
		n.execution_id = x->exec.id;
		n.node_id = ev->id->node_id;
		cl = call_new(c, &flyteidl__admin__node_execution_closure__descriptor);
		md = call_new(c, &flyteidl__admin__node_execution_meta_data__descriptor);
		if (cl == NULL || md == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		cl->created_at = ev->occurred_at;
		n.created_at = svc_ts_ms(ev->occurred_at);
		if (ev->parent_task_metadata != NULL &&
		    ev->parent_task_metadata->id != NULL) {
			const Flyteidl__Core__TaskExecutionIdentifier *pt =
			    ev->parent_task_metadata->id;
			struct repo_node pn;
			struct repo_task t;
			if (pt->node_execution_id == NULL || pt->task_id == NULL)
				return keel_err_set(err, KEEL_EINVAL,
				                    "parent_task_metadata.id is "
				                    "incomplete");
			rc = repo_node_read(dc, c->arena, x->exec.id,
			                    pt->node_execution_id->node_id, &pn,
			                    err);
			if (rc == 0)
				rc = repo_task_read(dc, c->arena, pn.id,
				                    pt->task_id->project,
				                    pt->task_id->domain,
				                    pt->task_id->name,
				                    pt->task_id->version,
				                    (int)pt->retry_attempt, &t, err);
			if (rc == KEEL_ENOTFOUND)
				x->missing = "parent task execution";
			if (rc != 0)
				return rc;
			n.parent_task_execution_id = t.id;
		}
		if (ev->parent_node_metadata != NULL &&
		    !svc_ev_empty(ev->parent_node_metadata->node_id)) {
			struct repo_node pn;
			rc = repo_node_read(dc, c->arena, x->exec.id,
			                    ev->parent_node_metadata->node_id, &pn,
			                    err);
			if (rc == KEEL_ENOTFOUND)
				x->missing = "parent node execution";
			if (rc != 0)
				return rc;
			n.parent_id = pn.id;
		}
	} else {
		int cur = -1;
		const ProtobufCEnumValue *v =
		    protobuf_c_enum_descriptor_get_value_by_name(
		        &flyteidl__core__node_execution__phase__descriptor,
		        n.phase);
		if (v != NULL)
			cur = v->value;
		util_strlcpy(x->cur, n.phase, sizeof(x->cur));
		if (cur == nw) {
			x->verdict = SVC_EV_DUP;
			return KEEL_EABORTED;
		}
		if (svc_ev_node_terminal(cur)) {
			x->verdict = SVC_EV_TERMINAL;
			return KEEL_EABORTED;
		}
		cl = (Flyteidl__Admin__NodeExecutionClosure *)
		    protobuf_c_message_unpack(
		        &flyteidl__admin__node_execution_closure__descriptor,
		        arena_pb_allocator(c->arena), n.closure_len,
		        n.closure ? n.closure : (const uint8_t *)"");
		md = (Flyteidl__Admin__NodeExecutionMetaData *)
		    protobuf_c_message_unpack(
		        &flyteidl__admin__node_execution_meta_data__descriptor,
		        arena_pb_allocator(c->arena), n.metadata_len,
		        n.metadata ? n.metadata : (const uint8_t *)"");
		if (cl == NULL || md == NULL)
			return keel_err_set(err, KEEL_EDATALOSS,
			                    "stored node execution %s does not "
			                    "decode",
			                    n.node_id);
	}
	if (ev->target_metadata_case ==
	        FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__TARGET_METADATA_WORKFLOW_NODE_METADATA &&
	    ev->workflow_node_metadata != NULL &&
	    ev->workflow_node_metadata->execution_id != NULL) {
		const Flyteidl__Core__WorkflowExecutionIdentifier *ch =
		    ev->workflow_node_metadata->execution_id;
		struct repo_exec child;
		rc = repo_exec_read(dc, c->arena, ch->project, ch->domain,
		                    ch->name, &child, err);
		if (rc == KEEL_ENOTFOUND)
			x->missing = "child execution";
		if (rc != 0)
			return rc;
		if (cl->target_metadata_case !=
		    FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__TARGET_METADATA_WORKFLOW_NODE_METADATA) {
			Flyteidl__Admin__WorkflowNodeMetadata *w = call_new(
			    c, &flyteidl__admin__workflow_node_metadata__descriptor);
			if (w == NULL)
				return keel_err_set(err, KEEL_ENOMEM,
				                    "out of memory");
			w->executionid = (Flyteidl__Core__WorkflowExecutionIdentifier *)ch;
			cl->target_metadata_case =
			    FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__TARGET_METADATA_WORKFLOW_NODE_METADATA;
			cl->workflow_node_metadata = w;
		}
	}
	if (ev->target_metadata_case ==
	        FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__TARGET_METADATA_TASK_NODE_METADATA &&
	    ev->task_node_metadata != NULL) {
		const Flyteidl__Event__TaskNodeMetadata *tm = ev->task_node_metadata;
		Flyteidl__Admin__TaskNodeMetadata *a = call_new(
		    c, &flyteidl__admin__task_node_metadata__descriptor);
		if (a == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		a->checkpoint_uri = tm->checkpoint_uri;
		if (tm->catalog_key != NULL) {
			const ProtobufCEnumValue *v =
			    protobuf_c_enum_descriptor_get_value(
			        &flyteidl__core__catalog_cache_status__descriptor,
			        (int)tm->cache_status);
			a->cache_status = tm->cache_status;
			a->catalog_key = tm->catalog_key;
			n.cache_status = v ? v->name : "";
		}
		cl->target_metadata_case =
		    FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__TARGET_METADATA_TASK_NODE_METADATA;
		cl->task_node_metadata = a;
		if (tm->dynamic_workflow != NULL) {
			if (!svc_ev_empty(tm->dynamic_workflow->dynamic_job_spec_uri))
				cl->dynamic_job_spec_uri =
				    tm->dynamic_workflow->dynamic_job_spec_uri;
			if (x->dyn_uri != NULL)
				n.dynamic_workflow_uri = x->dyn_uri;
		}
	}
	/* Inputs are set once. */
	if (svc_ev_empty(n.input_uri)) {
		if (ev->input_value_case ==
		    FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__INPUT_VALUE_INPUT_URI)
			n.input_uri = ev->input_uri;
		else if (x->in_uri != NULL)
			n.input_uri = x->in_uri;
	}
	md->retry_group = ev->retry_group;
	md->spec_node_id = ev->spec_node_id;
	/* Flags only ever turn on. */
	md->is_parent_node = md->is_parent_node || ev->is_parent;
	md->is_dynamic = md->is_dynamic || ev->is_dynamic;
	md->is_array = md->is_array || ev->is_array;
	md->is_eager = md->is_eager || ev->is_eager;
	if (ev->event_version > n.event_version)
		n.event_version = ev->event_version;
	cl->phase = (Flyteidl__Core__NodeExecution__Phase)nw;
	cl->updated_at = (Google__Protobuf__Timestamp *)upd;
	n.updated_at = svc_ts_ms(upd);
	n.phase = svc_ev_node_phase(nw);
	if (!svc_ev_empty(ev->deck_uri))
		cl->deck_uri = ev->deck_uri;
	if (nw == FLYTEIDL__CORE__NODE_EXECUTION__PHASE__RUNNING) {
		cl->started_at = ev->occurred_at;
		n.started_at = svc_ts_ms(ev->occurred_at);
	}
	if (svc_ev_node_terminal(nw) && cl->started_at != NULL) {
		cl->duration = svc_ev_duration(c, cl->started_at, ev->occurred_at,
		                               &n.duration);
		if (cl->duration == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	}
	svc_ev_outcome(
	    ev->output_result_case ==
	            FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI
	        ? ev->output_uri
	        : x->out_uri,
	    ev->output_result_case ==
	            FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA
	        ? ev->output_data
	        : NULL,
	    ev->output_result_case ==
	            FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_ERROR
	        ? ev->error
	        : NULL,
	    &o);
	if (o.uri != NULL) {
		cl->output_result_case =
		    FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_URI;
		cl->output_uri = (char *)o.uri;
	} else if (o.data != NULL) {
		cl->output_result_case =
		    FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_DATA;
		cl->output_data = o.data;
	} else if (o.error != NULL) {
		cl->output_result_case =
		    FLYTEIDL__ADMIN__NODE_EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR;
		cl->error = o.error;
		n.error_kind = svc_ev_error_kind(o.error);
		n.error_code = o.error->code;
	}
	n.closure = svc_pack(c, &cl->base, &n.closure_len);
	n.metadata = svc_pack(c, &md->base, &n.metadata_len);
	if (n.closure == NULL || n.metadata == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	return create ? repo_node_insert(dc, &n, err)
	              : repo_node_update(dc, &n, err);
}

/* ValidateNodeExecutionEventRequest.  Flyte Admin only logs its errors
 * and then fails later in odd ways (§17 quirk 3); Keel returns them. */
static int svc_ev_node_check(struct call *c,
                             const Flyteidl__Event__NodeExecutionEvent *ev)
{
	if (ev == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing event");
	if (ev->id == NULL || ev->id->execution_id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing id");
	if (svc_ev_empty(ev->id->node_id))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing node_id");
	if (ev->occurred_at == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing occurred_at");
	if (ev->target_metadata_case ==
	        FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__TARGET_METADATA_TASK_NODE_METADATA &&
	    ev->task_node_metadata != NULL &&
	    ev->task_node_metadata->dynamic_workflow != NULL) {
		const Flyteidl__Event__DynamicWorkflowNodeMetadata *d =
		    ev->task_node_metadata->dynamic_workflow;
		if (d->id == NULL ||
		    d->id->resource_type != FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "dynamic workflow metadata needs a "
			                  "WORKFLOW id");
		if (d->compiled_workflow == NULL ||
		    d->compiled_workflow->primary == NULL ||
		    d->compiled_workflow->primary->template_ == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "dynamic workflow metadata needs a "
			                  "compiled workflow with a primary "
			                  "template");
	}
	return svc_exec_check_id(c, ev->id->execution_id);
}

static int svc_create_node_event(struct call *c, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp)
{
	const Flyteidl__Admin__NodeExecutionEventRequest *r =
	    (const Flyteidl__Admin__NodeExecutionEventRequest *)req;
	const Flyteidl__Event__NodeExecutionEvent *ev = r->event;
	struct svc_ev_node x = {.c = c, .ev = ev};
	const Flyteidl__Core__WorkflowExecutionIdentifier *eid;
	struct keel_err err = {0};
	const char *nw, *sub, *in_key = NULL, *out_key = NULL;
	int rc;

	rc = svc_ev_node_check(c, ev);
	if (rc != 0)
		return rc;
	eid = ev->id->execution_id;
	nw = svc_ev_node_phase((int)ev->phase);
	rc = ev->input_value_case ==
	             FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__INPUT_VALUE_INPUT_DATA
	         ? svc_ev_offload(c, ev->input_data, eid->project, eid->domain,
	                          eid->name, ev->id->node_id,
	                          "offloaded_inputs", &x.in_uri, &in_key)
	         : 0;
	if (rc != 0)
		return rc;
	rc = ev->output_result_case ==
	             FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA
	         ? svc_ev_offload(c, ev->output_data, eid->project, eid->domain,
	                          eid->name, ev->id->node_id,
	                          "offloaded_outputs", &x.out_uri, &out_key)
	         : 0;
	if (rc != 0) {
		svc_ev_discard(c, in_key, NULL);
		return rc;
	}
	if (ev->target_metadata_case ==
	        FLYTEIDL__EVENT__NODE_EXECUTION_EVENT__TARGET_METADATA_TASK_NODE_METADATA &&
	    ev->task_node_metadata != NULL &&
	    ev->task_node_metadata->dynamic_workflow != NULL) {
		const Flyteidl__Event__DynamicWorkflowNodeMetadata *d =
		    ev->task_node_metadata->dynamic_workflow;
		if (c->svc->blob == NULL)
			return call_error(c, RPC_FAILED_PRECONDITION,
			                  "no blob store is configured to hold "
			                  "the dynamic workflow of node %s",
			                  ev->id->node_id);
		sub = arena_printf(c->arena, "%s/%s_%s_%s_%s", ev->id->node_id,
		                   d->id->project, d->id->domain, d->id->name,
		                   d->id->version);
		rc = svc_blob_put_msg(
		    c, svc_exec_key(c, eid->project, eid->domain, eid->name, sub),
		    &d->compiled_workflow->base, &x.dyn_uri);
		if (rc != 0) {
			svc_ev_discard(c, in_key, out_key);
			return rc;
		}
	}
	rc = db_tx(c->svc->db, KEEL_DB_TX_WRITE, svc_ev_node_tx, &x, &err);
	if (rc != 0)
		svc_ev_discard(c, in_key, out_key);
	switch (x.verdict) {
	case SVC_EV_DUP:
		return call_error(c, RPC_ALREADY_EXISTS,
		                  "This phase %s was already recorded for node "
		                  "execution %s of [%s/%s/%s]",
		                  nw, ev->id->node_id, eid->project, eid->domain,
		                  eid->name);
	case SVC_EV_CLUSTER:
		rc = call_error(c, RPC_FAILED_PRECONDITION,
		                "Cannot accept events for running/terminated "
		                "execution [%s/%s/%s] from cluster %s, expected "
		                "events to originate from %s",
		                eid->project, eid->domain, eid->name,
		                ev->producer_id, x.cluster);
		svc_ev_detail_cluster(c, ev->producer_id);
		return rc;
	case SVC_EV_TERMINAL:
		/* Keel's detail carries the stored phase, as for workflow
		 * events (Flyte Admin sends the incoming one: §17 quirk 4). */
		rc = call_error(c, RPC_FAILED_PRECONDITION,
		                "Invalid phase change from %s to %s for node "
		                "execution %s of [%s/%s/%s]",
		                x.cur, nw, ev->id->node_id, eid->project,
		                eid->domain, eid->name);
		svc_detail_terminal(c, x.cur);
		return rc;
	default:
		break;
	}
	if (rc == KEEL_ENOTFOUND && x.missing != NULL)
		return call_error(c, RPC_NOT_FOUND, "%s not found: %s", x.missing,
		                  err.msg);
	if (rc == KEEL_ENOTFOUND)
		return call_error(c, RPC_NOT_FOUND,
		                  "Failed to get existing execution id: %s",
		                  err.msg);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	*resp = call_new(c,
	                 &flyteidl__admin__node_execution_event_response__descriptor);
	return *resp ? 0 : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Task execution events (§4.3)                                        */
/* ------------------------------------------------------------------ */

static const char *svc_ev_task_phase(int p)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &flyteidl__core__task_execution__phase__descriptor, p);

	return v != NULL ? v->name : "UNDEFINED";
}

static int svc_ev_task_terminal(int p)
{
	return p == FLYTEIDL__CORE__TASK_EXECUTION__PHASE__SUCCEEDED ||
	       p == FLYTEIDL__CORE__TASK_EXECUTION__PHASE__FAILED ||
	       p == FLYTEIDL__CORE__TASK_EXECUTION__PHASE__ABORTED;
}

/*
 * Logs: the new list wins; an old log stays only if neither its URI nor
 * its name is in the new list.  Then by phase: terminal phases drop logs
 * marked hide_once_finished; QUEUED and INITIALIZING show only logs
 * marked show_while_pending.
 */
static int svc_ev_logs(struct call *c, Flyteidl__Core__TaskLog **old,
                       size_t nold, Flyteidl__Core__TaskLog **nw, size_t nnew,
                       int phase, Flyteidl__Core__TaskLog ***out, size_t *nout)
{
	Flyteidl__Core__TaskLog **v =
	    arena_alloc(c->arena, (nold + nnew + 1) * sizeof(*v));
	size_t n = 0;
	int pending = phase == FLYTEIDL__CORE__TASK_EXECUTION__PHASE__QUEUED ||
	              phase == FLYTEIDL__CORE__TASK_EXECUTION__PHASE__INITIALIZING;
	int done = svc_ev_task_terminal(phase);

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < nnew; i++)
		v[n++] = nw[i];
	for (size_t i = 0; i < nold; i++) {
		int dup = 0;
		for (size_t k = 0; k < nnew && !dup; k++)
			dup = (!svc_ev_empty(old[i]->uri) &&
			       strcmp(old[i]->uri, nw[k]->uri ? nw[k]->uri : "") ==
			           0) ||
			      (!svc_ev_empty(old[i]->name) &&
			       strcmp(old[i]->name,
			              nw[k]->name ? nw[k]->name : "") == 0);
		if (!dup)
			v[n++] = old[i];
	}
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		if (done && v[i]->hideoncefinished)
			continue;
		if (pending && !v[i]->showwhilepending)
			continue;
		v[(*nout)++] = v[i];
	}
	*out = v;
	return 0;
}


/*
 * custom_info is merged as a JSON merge patch (RFC 7396) of the new
 * value over the old: a null removes a key, objects merge key by key,
 * anything else replaces.  Depth-capped like every hostile input.
 */
static Google__Protobuf__Struct *svc_ev_merge(struct call *c,
                                              const Google__Protobuf__Struct *old,
                                              const Google__Protobuf__Struct *nw,
                                              int depth)
{
	Google__Protobuf__Struct *out;
	size_t cap;

	if (old == NULL || depth > 32)
		return (Google__Protobuf__Struct *)nw;
	cap = old->n_fields + nw->n_fields;
	out = call_new(c, &google__protobuf__struct__descriptor);
	if (out == NULL)
		return NULL;
	out->fields = arena_alloc(c->arena, (cap ? cap : 1) * sizeof(*out->fields));
	if (out->fields == NULL)
		return NULL;
	for (size_t i = 0; i < old->n_fields; i++)
		out->fields[out->n_fields++] = old->fields[i];
	for (size_t i = 0; i < nw->n_fields; i++) {
		Google__Protobuf__Struct__FieldsEntry *e = nw->fields[i];
		const Google__Protobuf__Value *v = e->value;
		size_t k;
		for (k = 0; k < out->n_fields; k++)
			if (strcmp(out->fields[k]->key, e->key) == 0)
				break;
		if (v == NULL ||
		    v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE) {
			if (k < out->n_fields)
				out->fields[k] = out->fields[--out->n_fields];
			continue;
		}
		if (k < out->n_fields &&
		    v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE &&
		    out->fields[k]->value != NULL &&
		    out->fields[k]->value->kind_case ==
		        GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE) {
			Google__Protobuf__Struct__FieldsEntry *m = call_new(
			    c, &google__protobuf__struct__fields_entry__descriptor);
			Google__Protobuf__Value *mv =
			    call_new(c, &google__protobuf__value__descriptor);
			if (m == NULL || mv == NULL)
				return NULL;
			mv->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
			mv->struct_value = svc_ev_merge(
			    c, out->fields[k]->value->struct_value,
			    v->struct_value, depth + 1);
			if (mv->struct_value == NULL)
				return NULL;
			m->key = e->key;
			m->value = mv;
			out->fields[k] = m;
			continue;
		}
		if (k < out->n_fields)
			out->fields[k] = e;
		else
			out->fields[out->n_fields++] = e;
	}
	return out;
}

static int svc_ev_res_cmp(const void *a, const void *b)
{
	const Flyteidl__Event__ExternalResourceInfo *x =
	    *(Flyteidl__Event__ExternalResourceInfo *const *)a;
	const Flyteidl__Event__ExternalResourceInfo *y =
	    *(Flyteidl__Event__ExternalResourceInfo *const *)b;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if (x->retry_attempt != y->retry_attempt)
		return x->retry_attempt < y->retry_attempt ? -1 : 1;
	return 0;
}

/*
 * Task metadata of an array or map task: external resources are merged
 * by (index, retry_attempt) -- phase overwritten, external id and cache
 * status updated when set, logs merged and filtered by their phase,
 * custom_info replaced -- and kept sorted; other fields come from the
 * new event when it sets them.
 */
static Flyteidl__Event__TaskExecutionMetadata *
svc_ev_task_md(struct call *c, Flyteidl__Event__TaskExecutionMetadata *old,
               Flyteidl__Event__TaskExecutionMetadata *nw)
{
	Flyteidl__Event__TaskExecutionMetadata *out;
	Flyteidl__Event__ExternalResourceInfo **v;
	size_t n = 0;

	if (old == NULL || nw == NULL)
		return nw ? nw : old;
	out = call_new(c, &flyteidl__event__task_execution_metadata__descriptor);
	v = arena_alloc(c->arena, (old->n_external_resources +
	                           nw->n_external_resources + 1) *
	                              sizeof(*v));
	if (out == NULL || v == NULL)
		return NULL;
	*out = *old;
	if (!svc_ev_empty(nw->generated_name))
		out->generated_name = nw->generated_name;
	if (!svc_ev_empty(nw->plugin_identifier))
		out->plugin_identifier = nw->plugin_identifier;
	if (nw->n_resource_pool_info > 0) {
		out->resource_pool_info = nw->resource_pool_info;
		out->n_resource_pool_info = nw->n_resource_pool_info;
	}
	out->instance_class = nw->instance_class;
	for (size_t i = 0; i < old->n_external_resources; i++)
		v[n++] = old->external_resources[i];
	for (size_t i = 0; i < nw->n_external_resources; i++) {
		Flyteidl__Event__ExternalResourceInfo *r = nw->external_resources[i];
		Flyteidl__Event__ExternalResourceInfo *m;
		size_t k;
		for (k = 0; k < n; k++)
			if (svc_ev_res_cmp(&v[k], &r) == 0)
				break;
		if (k == n) {
			v[n++] = r;
			continue;
		}
		m = call_new(c, &flyteidl__event__external_resource_info__descriptor);
		if (m == NULL)
			return NULL;
		*m = *v[k];
		m->phase = r->phase;
		if (!svc_ev_empty(r->external_id))
			m->external_id = r->external_id;
		if (r->cache_status != 0)
			m->cache_status = r->cache_status;
		if (r->custom_info != NULL)
			m->custom_info = r->custom_info;
		if (svc_ev_logs(c, v[k]->logs, v[k]->n_logs, r->logs, r->n_logs,
		                (int)r->phase, &m->logs, &m->n_logs) != 0)
			return NULL;
		v[k] = m;
	}
	qsort(v, n, sizeof(*v), svc_ev_res_cmp);
	out->external_resources = v;
	out->n_external_resources = n;
	return out;
}

struct svc_ev_task {
	struct call *c;
	const Flyteidl__Event__TaskExecutionEvent *ev;
	const char *in_uri, *out_uri;
	int verdict;
	const char *missing;
	char cur[32];
	char cluster[256];
};

static int svc_ev_task_tx(struct db_conn *dc, void *arg, struct keel_err *err)
{
	struct svc_ev_task *x = arg;
	struct call *c = x->c;
	const Flyteidl__Event__TaskExecutionEvent *ev = x->ev;
	const Flyteidl__Core__NodeExecutionIdentifier *nid =
	    ev->parent_node_execution_id;
	const Flyteidl__Core__WorkflowExecutionIdentifier *eid =
	    nid->execution_id;
	const Flyteidl__Core__Identifier *tid = ev->task_id;
	Flyteidl__Admin__TaskExecutionClosure *cl;
	Flyteidl__Core__TaskLog **logs;
	struct repo_exec exec;
	struct repo_node node;
	struct repo_task t;
	struct svc_ev_out o;
	const Google__Protobuf__Timestamp *upd =
	    ev->reported_at ? ev->reported_at : ev->occurred_at;
	int nw = (int)ev->phase, create, cur = -1, rc;
	size_t nlogs = 0;

	x->verdict = SVC_EV_OK;
	x->missing = NULL;
	rc = repo_exec_lock(dc, c->arena, eid->project, eid->domain, eid->name,
	                    &exec, err);
	if (rc == KEEL_ENOTFOUND)
		x->missing = "execution";
	if (rc != 0)
		return rc;
	if (svc_ev_real_producer(ev->producer_id) &&
	    !svc_ev_empty(exec.cluster) &&
	    strcmp(ev->producer_id, exec.cluster) != 0) {
		util_strlcpy(x->cluster, exec.cluster, sizeof(x->cluster));
		x->verdict = SVC_EV_CLUSTER;
		return KEEL_EABORTED;
	}
	rc = repo_node_read(dc, c->arena, exec.id, nid->node_id, &node, err);
	if (rc == KEEL_ENOTFOUND)
		x->missing = "parent node execution";
	if (rc != 0)
		return rc;
	rc = repo_task_read(dc, c->arena, node.id, tid->project, tid->domain,
	                    tid->name, tid->version, (int)ev->retry_attempt, &t,
	                    err);
	if (rc != 0 && rc != KEEL_ENOTFOUND)
		return rc;
	create = rc == KEEL_ENOTFOUND;
	if (create) {
		memset(&t, 0, sizeof(t));
		memset(err, 0, sizeof(*err));
		t.node_execution_id = node.id;
		t.execution_id = exec.id;
		t.node_id = nid->node_id;
		t.project = tid->project;
		t.domain = tid->domain;
		t.name = tid->name;
		t.version = tid->version;
		t.retry_attempt = (int)ev->retry_attempt;
		t.created_at = svc_ts_ms(ev->occurred_at);
		cl = call_new(c, &flyteidl__admin__task_execution_closure__descriptor);
		if (cl == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		cl->created_at = ev->occurred_at;
	} else {
		const ProtobufCEnumValue *v =
		    protobuf_c_enum_descriptor_get_value_by_name(
		        &flyteidl__core__task_execution__phase__descriptor,
		        t.phase);
		cur = v != NULL ? v->value : -1;
		util_strlcpy(x->cur, t.phase, sizeof(x->cur));
		if (cur == nw && t.phase_version >= (int)ev->phase_version) {
			x->verdict = SVC_EV_DUP;
			return KEEL_EABORTED;
		}
		if (svc_ev_task_terminal(cur)) {
			x->verdict = SVC_EV_TERMINAL;
			return KEEL_EABORTED;
		}
		cl = (Flyteidl__Admin__TaskExecutionClosure *)
		    protobuf_c_message_unpack(
		        &flyteidl__admin__task_execution_closure__descriptor,
		        arena_pb_allocator(c->arena), t.closure_len,
		        t.closure ? t.closure : (const uint8_t *)"");
		if (cl == NULL)
			return keel_err_set(err, KEEL_EDATALOSS,
			                    "stored task execution does not "
			                    "decode");
	}
	cl->phase = (Flyteidl__Core__TaskExecution__Phase)nw;
	cl->updated_at = (Google__Protobuf__Timestamp *)upd;
	t.updated_at = svc_ts_ms(upd);
	t.phase = svc_ev_task_phase(nw);
	t.phase_version = (int)ev->phase_version;
	/* started_at on the first move into RUNNING, never again. */
	if (nw == FLYTEIDL__CORE__TASK_EXECUTION__PHASE__RUNNING &&
	    cl->started_at == NULL) {
		cl->started_at = ev->occurred_at;
		t.started_at = svc_ts_ms(ev->occurred_at);
	}
	if (svc_ev_task_terminal(nw) && cl->started_at != NULL) {
		cl->duration = svc_ev_duration(c, cl->started_at, ev->occurred_at,
		                               &t.duration);
		if (cl->duration == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	}
	if (svc_ev_logs(c, cl->logs, cl->n_logs, ev->logs, ev->n_logs, nw,
	                &logs, &nlogs) != 0)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	cl->logs = logs;
	cl->n_logs = nlogs;
	if (!svc_ev_empty(ev->task_type))
		cl->task_type = ev->task_type;
	if (ev->metadata != NULL) {
		cl->metadata = svc_ev_task_md(c, cl->metadata, ev->metadata);
		if (cl->metadata == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	}
	if (ev->custom_info != NULL) {
		cl->custom_info = svc_ev_merge(c, cl->custom_info,
		                               ev->custom_info, 0);
		if (cl->custom_info == NULL)
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	}
	if (ev->log_context != NULL)
		cl->log_context = ev->log_context;
	if (ev->event_version > cl->event_version)
		cl->event_version = ev->event_version;
	/* Reasons accumulate; reason is the latest. */
	{
		size_t add = ev->n_reasons +
		             (!svc_ev_empty(ev->reason) &&
		              (cl->reason == NULL ||
		               strcmp(cl->reason, ev->reason) != 0));
		if (add > 0) {
			Flyteidl__Admin__Reason **v = arena_alloc(
			    c->arena, (cl->n_reasons + add) * sizeof(*v));
			size_t n = cl->n_reasons;
			if (v == NULL)
				return keel_err_set(err, KEEL_ENOMEM,
				                    "out of memory");
			if (n)
				memcpy(v, cl->reasons, n * sizeof(*v));
			for (size_t i = 0; i < ev->n_reasons; i++) {
				Flyteidl__Admin__Reason *r = call_new(
				    c, &flyteidl__admin__reason__descriptor);
				if (r == NULL)
					return keel_err_set(err, KEEL_ENOMEM,
					                    "out of memory");
				r->message = ev->reasons[i]->reason;
				r->occurred_at = ev->reasons[i]->occurred_at
				                     ? ev->reasons[i]->occurred_at
				                     : ev->occurred_at;
				v[n++] = r;
				cl->reason = ev->reasons[i]->reason;
			}
			if (n < cl->n_reasons + add) {
				Flyteidl__Admin__Reason *r = call_new(
				    c, &flyteidl__admin__reason__descriptor);
				if (r == NULL)
					return keel_err_set(err, KEEL_ENOMEM,
					                    "out of memory");
				r->message = ev->reason;
				r->occurred_at = ev->occurred_at;
				v[n++] = r;
				cl->reason = ev->reason;
			}
			cl->reasons = v;
			cl->n_reasons = n;
		}
	}
	if (svc_ev_empty(t.input_uri)) {
		if (ev->input_value_case ==
		    FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__INPUT_VALUE_INPUT_URI)
			t.input_uri = ev->input_uri;
		else if (x->in_uri != NULL)
			t.input_uri = x->in_uri;
	}
	svc_ev_outcome(
	    ev->output_result_case ==
	            FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_URI
	        ? ev->output_uri
	        : x->out_uri,
	    ev->output_result_case ==
	            FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA
	        ? ev->output_data
	        : NULL,
	    ev->output_result_case ==
	            FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_ERROR
	        ? ev->error
	        : NULL,
	    &o);
	if (o.uri != NULL) {
		cl->output_result_case =
		    FLYTEIDL__ADMIN__TASK_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_URI;
		cl->output_uri = (char *)o.uri;
	} else if (o.data != NULL) {
		cl->output_result_case =
		    FLYTEIDL__ADMIN__TASK_EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_DATA;
		cl->output_data = o.data;
	} else if (o.error != NULL) {
		cl->output_result_case =
		    FLYTEIDL__ADMIN__TASK_EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR;
		cl->error = o.error;
	}
	t.closure = svc_pack(c, &cl->base, &t.closure_len);
	if (t.closure == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	return create ? repo_task_insert(dc, &t, err)
	              : repo_task_update(dc, &t, err);
}

static int svc_create_task_event(struct call *c, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp)
{
	const Flyteidl__Admin__TaskExecutionEventRequest *r =
	    (const Flyteidl__Admin__TaskExecutionEventRequest *)req;
	const Flyteidl__Event__TaskExecutionEvent *ev = r->event;
	struct svc_ev_task x = {.c = c, .ev = ev};
	const Flyteidl__Core__WorkflowExecutionIdentifier *eid;
	struct keel_err err = {0};
	const char *nw, *sub, *in_key = NULL, *out_key = NULL;
	int rc;

	if (ev == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing event");
	if (ev->occurred_at == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing occurred_at");
	if (ev->parent_node_execution_id == NULL ||
	    ev->parent_node_execution_id->execution_id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing parent_node_execution_id");
	if (svc_ev_empty(ev->parent_node_execution_id->node_id))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing node_id");
	rc = svc_exec_check_id(c, ev->parent_node_execution_id->execution_id);
	if (rc != 0)
		return rc;
	if (ev->task_id == NULL || svc_ev_empty(ev->task_id->project) ||
	    svc_ev_empty(ev->task_id->domain) ||
	    svc_ev_empty(ev->task_id->name) ||
	    svc_ev_empty(ev->task_id->version))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing task_id (project, domain, name and "
		                  "version are required)");
	if (ev->task_id->resource_type != FLYTEIDL__CORE__RESOURCE_TYPE__TASK)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "task_id must be a TASK identifier");
	eid = ev->parent_node_execution_id->execution_id;
	nw = svc_ev_task_phase((int)ev->phase);
	sub = arena_printf(c->arena, "%s/%s/%s/%s/%s/%u",
	                   ev->parent_node_execution_id->node_id,
	                   ev->task_id->project, ev->task_id->domain,
	                   ev->task_id->name, ev->task_id->version,
	                   ev->retry_attempt);
	if (sub == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	if (ev->input_value_case ==
	    FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__INPUT_VALUE_INPUT_DATA) {
		rc = svc_ev_offload(c, ev->input_data, eid->project, eid->domain,
		                    eid->name, sub, "offloaded_inputs", &x.in_uri,
		                    &in_key);
		if (rc != 0)
			return rc;
	}
	if (ev->output_result_case ==
	    FLYTEIDL__EVENT__TASK_EXECUTION_EVENT__OUTPUT_RESULT_OUTPUT_DATA) {
		rc = svc_ev_offload(c, ev->output_data, eid->project, eid->domain,
		                    eid->name, sub, "offloaded_outputs", &x.out_uri,
		                    &out_key);
		if (rc != 0) {
			svc_ev_discard(c, in_key, NULL);
			return rc;
		}
	}
	rc = db_tx(c->svc->db, KEEL_DB_TX_WRITE, svc_ev_task_tx, &x, &err);
	if (rc != 0)
		svc_ev_discard(c, in_key, out_key);
	switch (x.verdict) {
	case SVC_EV_DUP:
		return call_error(c, RPC_ALREADY_EXISTS,
		                  "This phase %s (version %u) was already "
		                  "recorded for task execution %s attempt %u of "
		                  "node %s",
		                  nw, ev->phase_version, ev->task_id->name,
		                  ev->retry_attempt,
		                  ev->parent_node_execution_id->node_id);
	case SVC_EV_CLUSTER:
		rc = call_error(c, RPC_FAILED_PRECONDITION,
		                "Cannot accept events for running/terminated "
		                "execution [%s/%s/%s] from cluster %s, expected "
		                "events to originate from %s",
		                eid->project, eid->domain, eid->name,
		                ev->producer_id, x.cluster);
		svc_ev_detail_cluster(c, ev->producer_id);
		return rc;
	case SVC_EV_TERMINAL:
		rc = call_error(c, RPC_FAILED_PRECONDITION,
		                "Invalid phase change from %s to %s for task "
		                "execution %s attempt %u of node %s",
		                x.cur, nw, ev->task_id->name, ev->retry_attempt,
		                ev->parent_node_execution_id->node_id);
		svc_detail_terminal(c, x.cur);
		return rc;
	default:
		break;
	}
	if (rc == KEEL_ENOTFOUND && x.missing != NULL)
		return call_error(c, RPC_NOT_FOUND, "%s not found: %s", x.missing,
		                  err.msg);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	*resp = call_new(c,
	                 &flyteidl__admin__task_execution_event_response__descriptor);
	return *resp ? 0 : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

const struct svc_route svc_event_routes[] = {
    {"/flyteidl.service.AdminService/CreateWorkflowEvent",
     svc_create_workflow_event},
    {"/flyteidl.service.AdminService/CreateNodeEvent", svc_create_node_event},
    {"/flyteidl.service.AdminService/CreateTaskEvent", svc_create_task_event},
    {NULL, NULL},
};
