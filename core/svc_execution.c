/*
 * svc_execution.c -- executions: CreateExecution (launch plans and single
 * tasks), their lifecycle (get, list, update, terminate, relaunch,
 * recover, data), and the outbox handlers that hand them to the data
 * plane (reference/flyteadmin-behaviour.md §3).
 *
 * Flyte Admin launches inside CreateExecution; Keel writes the execution
 * and a launch row of the outbox in one transaction and returns, and an
 * outbox worker launches.  A launch that fails for good marks the
 * execution FAILED with a SYSTEM error, as Flyte Admin does when its
 * launch fails -- for the single-task path too, where Flyte Admin returns
 * the error instead (§17 quirk 1: Keel behaves the same on both paths).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/keel_blob.h>

#include "arena.h"
#include "dataplane.h"
#include "db.h"
#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/event.pb-c.h"
#include "flyteidl/admin/execution.pb-c.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"
#include "flyteidl/core/workflow.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/core/execution.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/security.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "littype.h"
#include "log.h"
#include "outbox.h"
#include "repo_list.h"
#include "repo_lp.h"
#include "repo_node.h"
#include "repo_ver.h"
#include "svc.h"
#include "svc_exec.h"
#include "svc_list.h"
#include "svc_ver.h"
#include "util.h"

/* Flyte Admin's execution behaviour is defined partly over deprecated
 * fields (spec.inputs, spec.tags, auth roles, closure outputs and
 * output_data), which clients still send and read. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define SVC_EXEC_NAME_MAX 63
/* Most bytes of stored inputs or outputs read back whole. */
#define SVC_EXEC_DATA_MAX (64 << 20)

typedef Flyteidl__Core__WorkflowExecutionIdentifier ExecId;

static int svc_exec_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* ------------------------------------------------------------------ */
/* Shared helpers (svc_exec.h)                                         */
/* ------------------------------------------------------------------ */

const char *svc_wf_phase_name(int phase)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &flyteidl__core__workflow_execution__phase__descriptor, phase);

	return v != NULL ? v->name : "UNDEFINED";
}

int svc_wf_phase_parse(const char *name)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value_by_name(
	        &flyteidl__core__workflow_execution__phase__descriptor, name);

	return v != NULL ? v->value : -1;
}

int svc_wf_phase_terminal(int p)
{
	return p == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__SUCCEEDED ||
	       p == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED ||
	       p == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__TIMED_OUT ||
	       p == FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED;
}

static Google__Protobuf__Timestamp *svc_exec_ts(struct arena *a, int64_t ms)
{
	Google__Protobuf__Timestamp *t = arena_alloc(a, sizeof(*t));

	if (t == NULL)
		return NULL;
	google__protobuf__timestamp__init(t);
	t->seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	t->nanos = (int32_t)((ms - t->seconds * 1000) * 1000000);
	return t;
}

Google__Protobuf__Timestamp *svc_ts(struct call *c, int64_t ms)
{
	return svc_exec_ts(c->arena, ms);
}

int64_t svc_ts_ms(const Google__Protobuf__Timestamp *t)
{
	if (t == NULL)
		return 0;
	return t->seconds * 1000 + t->nanos / 1000000;
}

int svc_exec_check_id(struct call *c, const ExecId *id)
{
	if (id == NULL || svc_exec_empty(id->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_exec_empty(id->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	if (svc_exec_empty(id->name))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing name");
	return 0;
}

int svc_exec_load(struct call *c, const ExecId *id, struct repo_exec *row)
{
	struct keel_err err = {0};
	int rc = svc_exec_check_id(c, id);

	if (rc != 0)
		return rc;
	rc = repo_exec_get(c->svc->db, c->arena, id->project, id->domain,
	                   id->name, row, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	return 0;
}

void *svc_unpack(struct call *c, const ProtobufCMessageDescriptor *desc,
                 const uint8_t *p, size_t len, const char *what)
{
	void *m = protobuf_c_message_unpack(desc, arena_pb_allocator(c->arena),
	                                    len, p ? p : (const uint8_t *)"");

	if (m == NULL)
		call_error(c, RPC_INTERNAL, "stored %s does not decode", what);
	return m;
}

static ExecId *svc_exec_id_msg(struct arena *a, const struct repo_exec *row)
{
	ExecId *id = arena_alloc(a, sizeof(*id));

	if (id == NULL)
		return NULL;
	flyteidl__core__workflow_execution_identifier__init(id);
	id->project = (char *)row->project;
	id->domain = (char *)row->domain;
	id->name = (char *)row->name;
	id->org = (char *)row->org;
	return id;
}

Flyteidl__Admin__Execution *svc_exec_msg(struct call *c,
                                         const struct repo_exec *row)
{
	Flyteidl__Admin__Execution *e =
	    call_new(c, &flyteidl__admin__execution__descriptor);

	if (e == NULL) {
		call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	e->id = svc_exec_id_msg(c->arena, row);
	e->spec = svc_unpack(c, &flyteidl__admin__execution_spec__descriptor,
	                     row->spec, row->spec_len, "execution spec");
	e->closure =
	    svc_unpack(c, &flyteidl__admin__execution_closure__descriptor,
	               row->closure, row->closure_len, "execution closure");
	if (e->id == NULL || e->spec == NULL || e->closure == NULL) {
		if (c->code == 0)
			call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	return e;
}

const char *svc_exec_key(struct call *c, const char *project,
                         const char *domain, const char *name,
                         const char *leaf)
{
	const char *p = svc_key_part(c->arena, project);
	const char *d = svc_key_part(c->arena, domain);
	const char *n = svc_key_part(c->arena, name);

	if (p == NULL || d == NULL || n == NULL)
		return NULL;
	return arena_printf(c->arena, "metadata/%s/%s/%s/%s", p, d, n, leaf);
}

/* The store's URI of key into the arena, or NULL. */
static char *svc_blob_uri(struct arena *a, const struct svc *s, const char *key,
                          struct keel_err *err)
{
	size_t need = 0;
	char *uri;

	/* Asks for the length only: KEEL_ERANGE is expected. */
	s->blob->uri(s->blob_self, key, NULL, 0, &need, err);
	uri = need > 0 ? arena_alloc(a, need) : NULL;
	if (uri == NULL ||
	    s->blob->uri(s->blob_self, key, uri, need, &need, err) != 0)
		return NULL;
	return uri;
}

int svc_blob_put_msg(struct call *c, const char *key, const ProtobufCMessage *m,
                     const char **uri)
{
	const struct svc *s = c->svc;
	struct svc_mem mem = {0};
	struct keel_blob_src src;
	struct keel_err err = {0};
	int rc;

	*uri = NULL;
	if (s->blob == NULL)
		return call_error(c, RPC_FAILED_PRECONDITION,
		                  "no blob store is configured to hold %s", key);
	if (key == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	mem.p = svc_pack(c, m, &mem.n);
	if (mem.p == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	src.size = (int64_t)mem.n;
	src.read = svc_mem_read;
	src.arg = &mem;
	rc = s->blob->put(s->blob_self, key, &src, &err);
	if (rc != 0)
		return call_error(c, RPC_UNAVAILABLE,
		                  "cannot write %s to the blob store: %s", key,
		                  err.msg);
	*uri = svc_blob_uri(c->arena, s, key, &err);
	if (*uri == NULL)
		return call_error(c, RPC_INTERNAL,
		                  "the blob store gave no URI for %s: %s", key,
		                  err.msg);
	return 0;
}

/* Remove an object written for a request that then failed (best
 * effort: an orphan is harmless). */
static void svc_exec_blob_del(struct call *c, const char *key)
{
	struct keel_err err = {0};

	if (key != NULL && c->svc->blob != NULL)
		c->svc->blob->del(c->svc->blob_self, key, &err);
}

/* The key of uri in this store, or NULL when uri is foreign. */
static const char *svc_blob_key_of(struct arena *a, const struct svc *s,
                                   const char *uri)
{
	struct keel_err err = {0};
	const char *probe;
	size_t plen;

	if (s->blob == NULL || svc_exec_empty(uri))
		return NULL;
	/* The store's URI of a known key gives its prefix. */
	probe = svc_blob_uri(a, s, "k", &err);
	if (probe == NULL)
		return NULL;
	plen = strlen(probe) - 1;
	if (strncmp(uri, probe, plen) != 0 || uri[plen] == '\0')
		return NULL;
	return uri + plen;
}

/* Read uri of this store as desc; *out NULL when uri is foreign. */
static int svc_blob_read(struct arena *a, const struct svc *s, const char *uri,
                         const ProtobufCMessageDescriptor *desc, int64_t max,
                         ProtobufCMessage **out, struct keel_err *err)
{
	struct svc_buf b = {a, NULL, 0, 0, (size_t)max};
	struct keel_blob_sink sink = {svc_buf_write, &b};
	const char *key = svc_blob_key_of(a, s, uri);
	int rc;

	*out = NULL;
	if (key == NULL)
		return 0;
	rc = s->blob->get(s->blob_self, key, &sink, err);
	if (rc != 0)
		return rc;
	*out = protobuf_c_message_unpack(desc, arena_pb_allocator(a), b.n,
	                                 b.p ? b.p : (const uint8_t *)"");
	if (*out == NULL)
		return keel_err_set(err, KEEL_EDATALOSS, "%s does not decode as "
		                    "%s", uri, desc->name);
	return 0;
}

int svc_blob_get_msg(struct call *c, const char *uri,
                     const ProtobufCMessageDescriptor *desc, int64_t max,
                     ProtobufCMessage **out)
{
	struct keel_err err = {0};
	int rc = svc_blob_read(c->arena, c->svc, uri, desc, max, out, &err);

	if (rc != 0)
		return call_error(c, rc == KEEL_ENOTFOUND ? RPC_NOT_FOUND
		                                          : RPC_UNAVAILABLE,
		                  "cannot read %s: %s", uri, err.msg);
	return 0;
}

int64_t svc_blob_size(struct call *c, const char *uri)
{
	const char *key = svc_blob_key_of(c->arena, c->svc, uri);
	struct keel_blob_stat st;
	struct keel_err err = {0};

	if (key == NULL ||
	    c->svc->blob->head(c->svc->blob_self, key, &st, &err) != 0)
		return -1;
	return st.size;
}

const char *svc_blob_sign(struct call *c, const char *uri, int64_t ttl_ms)
{
	const struct svc *s = c->svc;
	const char *key = svc_blob_key_of(c->arena, s, uri);
	struct keel_err err = {0};
	size_t need = 0;
	char *url;

	if (key == NULL || s->blob->sign_url == NULL)
		return NULL;
	s->blob->sign_url(s->blob_self, key, KEEL_BLOB_GET, ttl_ms, NULL, 0,
	                  &need, &err);
	url = need > 0 ? arena_alloc(c->arena, need) : NULL;
	if (url == NULL ||
	    s->blob->sign_url(s->blob_self, key, KEEL_BLOB_GET, ttl_ms, url,
	                      need, &need, &err) != 0)
		return NULL;
	return url;
}

/* ------------------------------------------------------------------ */
/* CreateExecution                                                     */
/* ------------------------------------------------------------------ */

/*
 * Flyte Admin checks the regex against the lower-cased name and stores
 * upper-case names as given, which the data plane then refuses (§17
 * quirk 2); Keel refuses them here, with the reason.
 */
static int svc_exec_check_name(struct call *c, const char *name)
{
	size_t n = strlen(name);

	if (n > SVC_EXEC_NAME_MAX)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "name [%s] exceeded allowed length %d", name,
		                  SVC_EXEC_NAME_MAX);
	if (!(name[0] >= 'a' && name[0] <= 'z'))
		goto bad;
	for (size_t i = 1; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			goto bad;
	return 0;
bad:
	return call_error(c, RPC_INVALID_ARGUMENT,
	                  "invalid name format: [%s]: an execution name starts "
	                  "with a lower-case letter and has only lower-case "
	                  "letters, digits and '-' (^[a-z][a-z\\-0-9]*$)",
	                  name);
}

/* Flyte Admin's generated name: 'a' and 19 characters of k8s rand. */
int svc_exec_gen_name(char out[21])
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char r[19];

	if (util_random(r, sizeof(r)) != 0)
		return -1;
	out[0] = 'a';
	for (size_t i = 0; i < sizeof(r); i++)
		out[i + 1] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[20] = '\0';
	return 0;
}

static const Flyteidl__Core__Literal *
svc_exec_lit(const Flyteidl__Core__LiteralMap *m, const char *name)
{
	for (size_t i = 0; m != NULL && i < m->n_literals; i++)
		if (strcmp(m->literals[i]->key, name) == 0)
			return m->literals[i]->value;
	return NULL;
}

static const Flyteidl__Core__Parameter *
svc_exec_param(const Flyteidl__Core__ParameterMap *m, const char *name)
{
	for (size_t i = 0; m != NULL && i < m->n_parameters; i++)
		if (strcmp(m->parameters[i]->key, name) == 0)
			return m->parameters[i]->value;
	return NULL;
}

/* Append (key, lit) to m (arena). */
static int svc_exec_map_add(struct arena *a, Flyteidl__Core__LiteralMap *m,
                            const char *key, const Flyteidl__Core__Literal *lit)
{
	Flyteidl__Core__LiteralMap__LiteralsEntry *e =
	    arena_alloc(a, sizeof(*e));
	Flyteidl__Core__LiteralMap__LiteralsEntry **v;

	if (e == NULL)
		return -1;
	flyteidl__core__literal_map__literals_entry__init(e);
	e->key = (char *)key;
	e->value = (Flyteidl__Core__Literal *)lit;
	v = arena_alloc(a, (m->n_literals + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	if (m->n_literals)
		memcpy(v, m->literals, m->n_literals * sizeof(*v));
	v[m->n_literals++] = e;
	m->literals = v;
	return 0;
}

/*
 * Flyte Admin's CheckAndFetchInputsForExecution (§3.2 step 2): every
 * supplied input must be expected and of a castable type, every required
 * one supplied; defaults fill the rest; fixed inputs are added last and
 * cannot be overridden.  *merged is what the execution runs with.
 */
static int svc_exec_inputs(struct call *c,
                           const Flyteidl__Core__LiteralMap *in,
                           const Flyteidl__Core__ParameterMap *expected,
                           const Flyteidl__Core__LiteralMap *fixed,
                           Flyteidl__Core__LiteralMap **merged)
{
	Flyteidl__Core__LiteralMap *m =
	    call_new(c, &flyteidl__core__literal_map__descriptor);
	char why[512];

	if (m == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; in != NULL && i < in->n_literals; i++) {
		const char *k = in->literals[i]->key;
		const Flyteidl__Core__Literal *l = in->literals[i]->value;
		const Flyteidl__Core__Parameter *p;

		if (svc_exec_empty(k))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "inputs: a key is empty");
		if (l == NULL ||
		    l->value_case == FLYTEIDL__CORE__LITERAL__VALUE__NOT_SET)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "inputs: %s has no value", k);
		if (!svc_literal_datetimes_ok(l, 0))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "inputs: %s holds an invalid datetime",
			                  k);
		if (svc_exec_lit(fixed, k) != NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "fixed_inputs %s cannot be overridden", k);
		p = svc_exec_param(expected, k);
		if (p == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid input %s: the launch plan "
			                  "expects no such input",
			                  k);
		if (p->var != NULL && p->var->type != NULL &&
		    !littype_instance_of(l, p->var->type, why, sizeof(why)))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid %s input wrong type: %s", k,
			                  why);
		if (svc_exec_map_add(c->arena, m, k, l) != 0)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	for (size_t i = 0; expected != NULL && i < expected->n_parameters; i++) {
		const char *k = expected->parameters[i]->key;
		const Flyteidl__Core__Parameter *p = expected->parameters[i]->value;

		if (svc_exec_lit(in, k) != NULL || p == NULL)
			continue;
		if (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_DEFAULT &&
		    p->default_ != NULL) {
			if (svc_exec_map_add(c->arena, m, k, p->default_) != 0)
				return call_error(c, RPC_RESOURCE_EXHAUSTED,
				                  "out of memory");
			continue;
		}
		if (p->behavior_case == FLYTEIDL__CORE__PARAMETER__BEHAVIOR_REQUIRED &&
		    p->required)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "invalid input %s: expected_inputs %s "
			                  "missing",
			                  k, k);
	}
	for (size_t i = 0; fixed != NULL && i < fixed->n_literals; i++)
		if (svc_exec_map_add(c->arena, m, fixed->literals[i]->key,
		                     fixed->literals[i]->value) != 0)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	*merged = m;
	return 0;
}

static int svc_exec_sc_set(const Flyteidl__Core__SecurityContext *sc)
{
	return sc != NULL && sc->run_as != NULL &&
	       (!svc_exec_empty(sc->run_as->k8s_service_account) ||
	        !svc_exec_empty(sc->run_as->iam_role) ||
	        !svc_exec_empty(sc->run_as->execution_identity));
}

static Flyteidl__Core__SecurityContext *
svc_exec_sc_from_role(struct call *c, const char *iam, const char *sa)
{
	Flyteidl__Core__SecurityContext *sc;
	Flyteidl__Core__Identity *id;

	if (svc_exec_empty(iam) && svc_exec_empty(sa))
		return NULL;
	sc = call_new(c, &flyteidl__core__security_context__descriptor);
	id = call_new(c, &flyteidl__core__identity__descriptor);
	if (sc == NULL || id == NULL)
		return NULL;
	id->iam_role = (char *)(iam ? iam : "");
	id->k8s_service_account = (char *)(sa ? sa : "");
	sc->run_as = id;
	return sc;
}

/*
 * The WorkflowExecutionConfig merge (§3.4): per field the request wins,
 * then the launch plan, then the configured default.  Flyte Admin also
 * consults WORKFLOW_EXECUTION_CONFIG matchable attributes between the
 * launch plan and the defaults; Keel has no matchable attributes yet, so
 * those levels are empty.  spec is the request's spec, modified in place.
 */
static int svc_exec_config(struct call *c, Flyteidl__Admin__ExecutionSpec *sp,
                           const Flyteidl__Admin__LaunchPlanSpec *lp)
{
	const struct svc_exec_cfg *cfg = &c->svc->exec;

	if (sp->max_parallelism <= 0)
		sp->max_parallelism = lp && lp->max_parallelism > 0
		                          ? lp->max_parallelism
		                          : cfg->max_parallelism;
	if (!svc_exec_sc_set(sp->security_context)) {
		Flyteidl__Core__SecurityContext *sc = NULL;
		if (lp != NULL && svc_exec_sc_set(lp->security_context))
			sc = lp->security_context;
		/* Deprecated auth fields, oldest last. */
		if (sc == NULL && sp->auth_role != NULL)
			sc = svc_exec_sc_from_role(
			    c, sp->auth_role->assumable_iam_role,
			    sp->auth_role->kubernetes_service_account);
		if (sc == NULL && lp != NULL && lp->auth_role != NULL)
			sc = svc_exec_sc_from_role(
			    c, lp->auth_role->assumable_iam_role,
			    lp->auth_role->kubernetes_service_account);
		if (sc == NULL && lp != NULL && lp->auth != NULL)
			sc = svc_exec_sc_from_role(
			    c, lp->auth->assumable_iam_role,
			    lp->auth->kubernetes_service_account);
		if (sc == NULL && lp != NULL && !svc_exec_empty(lp->role))
			sc = svc_exec_sc_from_role(c, lp->role, NULL);
		if (sc == NULL && sp->security_context != NULL)
			sc = sp->security_context; /* secrets, tokens only */
		sp->security_context = sc;
	}
	if (sp->security_context == NULL) {
		sp->security_context =
		    call_new(c, &flyteidl__core__security_context__descriptor);
		if (sp->security_context == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	if (sp->security_context->run_as == NULL) {
		sp->security_context->run_as =
		    call_new(c, &flyteidl__core__identity__descriptor);
		if (sp->security_context->run_as == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	if (svc_exec_empty(sp->security_context->run_as->execution_identity))
		sp->security_context->run_as->execution_identity =
		    (char *)c->principal;
	if (sp->raw_output_data_config == NULL ||
	    svc_exec_empty(sp->raw_output_data_config->output_location_prefix)) {
		if (lp != NULL && lp->raw_output_data_config != NULL &&
		    !svc_exec_empty(
		        lp->raw_output_data_config->output_location_prefix)) {
			sp->raw_output_data_config = lp->raw_output_data_config;
		} else if (!svc_exec_empty(cfg->output_location_prefix)) {
			Flyteidl__Admin__RawOutputDataConfig *r = call_new(
			    c, &flyteidl__admin__raw_output_data_config__descriptor);
			if (r == NULL)
				return call_error(c, RPC_RESOURCE_EXHAUSTED,
				                  "out of memory");
			r->output_location_prefix =
			    (char *)cfg->output_location_prefix;
			sp->raw_output_data_config = r;
		}
	}
	if ((sp->labels == NULL || sp->labels->n_values == 0) && lp != NULL &&
	    lp->labels != NULL && lp->labels->n_values > 0)
		sp->labels = lp->labels;
	if ((sp->annotations == NULL || sp->annotations->n_values == 0) &&
	    lp != NULL && lp->annotations != NULL &&
	    lp->annotations->n_values > 0)
		sp->annotations = lp->annotations;
	if ((sp->envs == NULL || sp->envs->n_values == 0) && lp != NULL &&
	    lp->envs != NULL && lp->envs->n_values > 0)
		sp->envs = lp->envs;
	if (sp->interruptible == NULL && lp != NULL)
		sp->interruptible = lp->interruptible;
	sp->overwrite_cache = sp->overwrite_cache || (lp && lp->overwrite_cache);
	return 0;
}

/* Project labels are added for keys the execution does not set. */
static int svc_exec_project_labels(struct call *c,
                                   Flyteidl__Admin__ExecutionSpec *sp,
                                   const Flyteidl__Admin__Project *proj)
{
	const Flyteidl__Admin__Labels *pl = proj ? proj->labels : NULL;
	Flyteidl__Admin__Labels *l;
	size_t n0 = sp->labels ? sp->labels->n_values : 0;

	if (pl == NULL || pl->n_values == 0)
		return 0;
	l = call_new(c, &flyteidl__admin__labels__descriptor);
	if (l == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	l->values = arena_alloc(c->arena,
	                        (n0 + pl->n_values) * sizeof(*l->values));
	if (l->values == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < n0; i++)
		l->values[l->n_values++] = sp->labels->values[i];
	for (size_t i = 0; i < pl->n_values; i++) {
		int have = 0;
		for (size_t k = 0; k < n0; k++)
			have |= strcmp(sp->labels->values[k]->key,
			               pl->values[i]->key) == 0;
		if (!have)
			l->values[l->n_values++] = pl->values[i];
	}
	sp->labels = l;
	return 0;
}

/* "{{ project }}-{{ domain }}" with both replaced (spaces inside the
 * braces optional, as in Flyte Admin's template). */
static char *svc_exec_namespace(struct call *c, const char *project,
                                const char *domain)
{
	const char *t = c->svc->exec.namespace_template;
	size_t cap = strlen(t ? t : "") + 4 * (strlen(project) + strlen(domain)) + 1;
	char *out = arena_alloc(c->arena, cap), *o = out;

	if (out == NULL)
		return NULL;
	if (t == NULL || *t == '\0')
		t = "{{ project }}-{{ domain }}";
	while (*t) {
		const char *val = NULL, *end = NULL;
		if (t[0] == '{' && t[1] == '{') {
			const char *p = t + 2;
			while (*p == ' ')
				p++;
			if (strncmp(p, "project", 7) == 0)
				val = project, p += 7;
			else if (strncmp(p, "domain", 6) == 0)
				val = domain, p += 6;
			while (val && *p == ' ')
				p++;
			if (val && p[0] == '}' && p[1] == '}')
				end = p + 2;
		}
		if (end != NULL && (size_t)(o - out) + strlen(val) < cap) {
			memcpy(o, val, strlen(val));
			o += strlen(val);
			t = end;
		} else if ((size_t)(o - out) + 1 < cap) {
			*o++ = *t++;
		} else {
			break;
		}
	}
	*o = '\0';
	return out;
}


/* ------------------------------------------------------------------ */
/* Single-task executions (§3.3)                                       */
/* ------------------------------------------------------------------ */

/* Flyte Admin's node id for a single task: the name's last 63
 * characters, letters, digits and '-' only. */
static char *svc_exec_task_node_id(struct call *c, const char *name)
{
	size_t n = strlen(name);
	const char *p = n > 63 ? name + n - 63 : name;
	char *out = arena_alloc(c->arena, strlen(p) + 2), *o = out;

	if (out == NULL)
		return NULL;
	for (; *p; p++)
		if (*p == '-' || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			*o++ = *p;
	if (o == out)
		*o++ = 'n'; /* a name of only punctuation */
	*o = '\0';
	return out;
}

/* Run another handler of the table as part of this call; its
 * ALREADY_EXISTS is fine (the generated entity is there). */
static int svc_exec_sub(struct call *c, const char *path,
                        const ProtobufCMessage *req)
{
	rpc_handler h = svc_handler(path);
	ProtobufCMessage *resp = NULL;
	int rc;

	if (h == NULL)
		return call_error(c, RPC_INTERNAL, "%s is not available", path);
	rc = h(c, req, &resp);
	if (rc == -RPC_ALREADY_EXISTS) {
		c->code = 0;
		c->message = NULL;
		c->detail = NULL;
		return 0;
	}
	return rc;
}

static int svc_exec_mark_generated(struct call *c, int rt,
                                   const Flyteidl__Core__Identifier *id)
{
	Flyteidl__Admin__NamedEntityUpdateRequest *u = call_new(
	    c, &flyteidl__admin__named_entity_update_request__descriptor);
	Flyteidl__Admin__NamedEntityIdentifier *nid = call_new(
	    c, &flyteidl__admin__named_entity_identifier__descriptor);
	Flyteidl__Admin__NamedEntityMetadata *md = call_new(
	    c, &flyteidl__admin__named_entity_metadata__descriptor);

	if (u == NULL || nid == NULL || md == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	nid->project = id->project;
	nid->domain = id->domain;
	nid->name = id->name;
	nid->org = id->org;
	md->state = FLYTEIDL__ADMIN__NAMED_ENTITY_STATE__SYSTEM_GENERATED;
	u->resource_type = (Flyteidl__Core__ResourceType)rt;
	u->id = nid;
	u->metadata = md;
	return svc_exec_sub(c, "/flyteidl.service.AdminService/UpdateNamedEntity",
	                    &u->base);
}

/*
 * Get or create the .flytegen.<task> workflow (one node running the
 * task, retries from the task or 3) and launch plan for a TASK id, both
 * marked SYSTEM_GENERATED, and point the spec at the launch plan.  Flyte
 * Admin's generated launch plan names the task as its workflow (§3.3
 * quirk); Keel's names the generated workflow.  *task_id is the task's
 * row id.
 */
static int svc_exec_single_task(struct call *c, Flyteidl__Admin__ExecutionSpec *sp,
                                int64_t *task_id)
{
	const Flyteidl__Core__Identifier *tid = sp->launch_plan;
	Flyteidl__Admin__TaskClosure *tc;
	const Flyteidl__Core__TaskTemplate *tt;
	const Flyteidl__Core__TypedInterface *ifc;
	Flyteidl__Admin__WorkflowCreateRequest *wr;
	Flyteidl__Admin__LaunchPlanCreateRequest *lr;
	Flyteidl__Core__WorkflowTemplate *wt;
	Flyteidl__Core__Node *node;
	Flyteidl__Core__Identifier *wid, *lid;
	struct repo_ver row;
	struct keel_err err = {0};
	size_t nin, nout;
	char *nid, *gname;
	int rc;

	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_task, tid->project,
	                  tid->domain, tid->name, tid->version, &row, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	*task_id = row.id;
	rc = svc_ver_unpack(c, &repo_kind_task, &row,
	                    &flyteidl__admin__task_closure__descriptor,
	                    (ProtobufCMessage **)&tc);
	if (rc != 0)
		return rc;
	if (tc->compiled_task == NULL || tc->compiled_task->template_ == NULL)
		return call_error(c, RPC_INTERNAL,
		                  "stored task [%s/%s/%s/%s] has no template",
		                  tid->project, tid->domain, tid->name,
		                  tid->version);
	tt = tc->compiled_task->template_;
	ifc = tt->interface;
	gname = arena_printf(c->arena, ".flytegen.%s", tid->name);
	nid = svc_exec_task_node_id(c, tid->name);
	wr = call_new(c, &flyteidl__admin__workflow_create_request__descriptor);
	lr = call_new(c, &flyteidl__admin__launch_plan_create_request__descriptor);
	wt = call_new(c, &flyteidl__core__workflow_template__descriptor);
	node = call_new(c, &flyteidl__core__node__descriptor);
	wid = call_new(c, &flyteidl__core__identifier__descriptor);
	lid = call_new(c, &flyteidl__core__identifier__descriptor);
	if (gname == NULL || nid == NULL || wr == NULL || lr == NULL ||
	    wt == NULL || node == NULL || wid == NULL || lid == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	*wid = *tid;
	wid->resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW;
	wid->name = gname;
	*lid = *wid;
	lid->resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN;

	/* The node: the task, every input bound from the workflow's. */
	node->id = nid;
	node->metadata = call_new(c, &flyteidl__core__node_metadata__descriptor);
	node->task_node = call_new(c, &flyteidl__core__task_node__descriptor);
	if (node->metadata == NULL || node->task_node == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	node->metadata->name = nid;
	node->metadata->retries =
	    call_new(c, &flyteidl__core__retry_strategy__descriptor);
	if (node->metadata->retries == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	node->metadata->retries->retries =
	    tt->metadata && tt->metadata->retries ? tt->metadata->retries->retries
	                                          : 3;
	node->target_case = FLYTEIDL__CORE__NODE__TARGET_TASK_NODE;
	node->task_node->reference_case =
	    FLYTEIDL__CORE__TASK_NODE__REFERENCE_REFERENCE_ID;
	node->task_node->reference_id = (Flyteidl__Core__Identifier *)tid;
	nin = ifc && ifc->inputs ? ifc->inputs->n_variables : 0;
	nout = ifc && ifc->outputs ? ifc->outputs->n_variables : 0;
	node->inputs = arena_calloc(c->arena, nin + 1, sizeof(*node->inputs));
	wt->outputs = arena_calloc(c->arena, nout + 1, sizeof(*wt->outputs));
	if (node->inputs == NULL || wt->outputs == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < nin + nout; i++) {
		int in = i < nin;
		const char *var = in ? ifc->inputs->variables[i]->key
		                     : ifc->outputs->variables[i - nin]->key;
		Flyteidl__Core__Binding *b =
		    call_new(c, &flyteidl__core__binding__descriptor);
		Flyteidl__Core__BindingData *d =
		    call_new(c, &flyteidl__core__binding_data__descriptor);
		Flyteidl__Core__OutputReference *o =
		    call_new(c, &flyteidl__core__output_reference__descriptor);
		if (b == NULL || d == NULL || o == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
		o->node_id = in ? (char *)"start-node" : nid;
		o->var = (char *)var;
		d->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE;
		d->promise = o;
		b->var = (char *)var;
		b->binding = d;
		if (in)
			node->inputs[node->n_inputs++] = b;
		else
			wt->outputs[wt->n_outputs++] = b;
	}
	wt->id = wid;
	wt->interface = (Flyteidl__Core__TypedInterface *)ifc;
	wt->metadata = call_new(c, &flyteidl__core__workflow_metadata__descriptor);
	wt->nodes = arena_alloc(c->arena, sizeof(*wt->nodes));
	if (wt->metadata == NULL || wt->nodes == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	wt->nodes[0] = node;
	wt->n_nodes = 1;
	wr->id = wid;
	wr->spec = call_new(c, &flyteidl__admin__workflow_spec__descriptor);
	if (wr->spec == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	wr->spec->template_ = wt;
	rc = svc_exec_sub(c, "/flyteidl.service.AdminService/CreateWorkflow",
	                  &wr->base);
	if (rc == 0)
		rc = svc_exec_mark_generated(
		    c, FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW, wid);
	if (rc != 0)
		return rc;

	lr->id = lid;
	lr->spec = call_new(c, &flyteidl__admin__launch_plan_spec__descriptor);
	if (lr->spec == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	lr->spec->workflow_id = wid;
	lr->spec->auth_role = sp->auth_role;
	lr->spec->security_context = sp->security_context;
	rc = svc_exec_sub(c, "/flyteidl.service.AdminService/CreateLaunchPlan",
	                  &lr->base);
	if (rc == 0)
		rc = svc_exec_mark_generated(
		    c, FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN, lid);
	if (rc != 0)
		return rc;
	sp->launch_plan = lid;
	return 0;
}

/* A child execution's parent (§3.2 step 7): the node execution that
 * launched it and its execution must exist. */
struct svc_exec_parent_rd {
	struct arena *a;
	const Flyteidl__Core__NodeExecutionIdentifier *id;
	struct repo_exec exec;
	struct repo_node node;
};

static int svc_exec_parent_tx(struct db_conn *dc, void *arg,
                              struct keel_err *err)
{
	struct svc_exec_parent_rd *x = arg;
	const Flyteidl__Core__WorkflowExecutionIdentifier *e =
	    x->id->execution_id;
	int rc = repo_exec_read(dc, x->a, e->project, e->domain, e->name,
	                        &x->exec, err);

	return rc ? rc
	          : repo_node_read(dc, x->a, x->exec.id, x->id->node_id,
	                           &x->node, err);
}

/*
 * When the spec names a parent node execution (a launch-plan node of a
 * running workflow), the child runs as its parent's user, one level
 * deeper, on the parent's cluster label; *node_id and *exec_id are the
 * parent rows.  0 or the call's error (NOT_FOUND naming the parent).
 */
static int svc_exec_parent(struct call *c, Flyteidl__Admin__ExecutionSpec *sp,
                           int64_t *node_id, int64_t *exec_id)
{
	const Flyteidl__Core__NodeExecutionIdentifier *p =
	    sp->metadata->parent_node_execution;
	struct svc_exec_parent_rd x = {.a = c->arena, .id = p};
	Flyteidl__Admin__ExecutionSpec *ps;
	struct keel_err err = {0};
	int rc;

	*node_id = *exec_id = 0;
	if (p == NULL)
		return 0;
	if (p->execution_id == NULL || svc_exec_empty(p->node_id))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "metadata.parent_node_execution needs a node_id "
		                  "and an execution_id");
	rc = svc_exec_check_id(c, p->execution_id);
	if (rc != 0)
		return rc;
	rc = db_tx(c->svc->db, KEEL_DB_TX_READ, svc_exec_parent_tx, &x, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	ps = svc_unpack(c, &flyteidl__admin__execution_spec__descriptor,
	                x.exec.spec, x.exec.spec_len, "execution spec");
	if (ps == NULL)
		return -c->code;
	*node_id = x.node.id;
	*exec_id = x.exec.id;
	sp->metadata->principal = (char *)x.exec.principal;
	sp->metadata->nesting =
	    ps->metadata != NULL ? ps->metadata->nesting + 1 : 1;
	if (ps->execution_cluster_label != NULL)
		sp->execution_cluster_label = ps->execution_cluster_label;
	return 0;
}

/*
 * The execution cluster (reference §7.5): the request's label (a child's
 * is its parent's), else the launch plan's cluster pool -- the one
 * cluster-routing field a flyteidl launch plan carries, which Keel reads
 * as a label -- else [executions] default_cluster_label, else any enabled
 * cluster; weighted, and stable for the name.  With target = none, the
 * configured cluster.
 */
static int svc_exec_cluster(struct call *c,
                            const Flyteidl__Admin__ExecutionSpec *sp,
                            const Flyteidl__Admin__LaunchPlanSpec *lps,
                            const char *name, char **out)
{
	const char *label = NULL, *picked;
	char why[512];

	if (c->svc->dp == NULL) {
		*out = (char *)(c->svc->exec.cluster ? c->svc->exec.cluster
		                                     : "");
		return 0;
	}
	if (sp->execution_cluster_label != NULL &&
	    !svc_exec_empty(sp->execution_cluster_label->value))
		label = sp->execution_cluster_label->value;
	else if (lps != NULL && lps->cluster_assignment != NULL &&
	         !svc_exec_empty(lps->cluster_assignment->cluster_pool_name))
		label = lps->cluster_assignment->cluster_pool_name;
	picked = dp_pick(c->svc->dp, label, name, why, sizeof(why));
	if (picked == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "%s", why);
	*out = (char *)picked;
	return 0;
}

/* What a create writes, in one transaction. */
struct svc_exec_write {
	struct repo_exec row;
	struct repo_tag *tags;
	size_t ntags;
	int32_t conc_max; /* > 0: at most this many active per LP name */
	int over_limit;
	int64_t active;
};

static int svc_exec_create_tx(struct db_conn *c, void *arg,
                              struct keel_err *err)
{
	struct svc_exec_write *w = arg;
	char purpose[64];
	int rc;

	w->over_limit = 0;
	if (w->conc_max > 0) {
		/* In the writing transaction, under the launch plan's lock,
		 * so two launches cannot both squeeze under the limit
		 * (Flyte Admin's check races). */
		rc = repo_lp_lock_name(c, w->row.project, w->row.domain,
		                       w->row.launch_plan_name, err);
		if (rc != 0)
			return rc;
		rc = repo_exec_count_active(c, w->row.project, w->row.domain,
		                            w->row.launch_plan_name, &w->active,
		                            err);
		if (rc != 0)
			return rc;
		if (w->active >= w->conc_max) {
			w->over_limit = 1;
			return KEEL_EABORTED;
		}
	}
	rc = repo_exec_insert(c, &w->row, w->tags, w->ntags, err);
	if (rc != 0)
		return rc;
	util_fmt(purpose, sizeof(purpose), "launch/%lld", (long long)w->row.id);
	return outbox_add(c, OUTBOX_LAUNCH, purpose, w->row.id, NULL, 0,
	                  w->row.created_at, err);
}

/* What a launch needs that the request does not carry. */
struct svc_exec_launch {
	const char *project, *domain, *name, *org;
	Flyteidl__Admin__ExecutionSpec *spec; /* modified */
	const Flyteidl__Core__LiteralMap *inputs; /* as supplied */
	int64_t source_execution_id;
	ExecId *out_id;
};

static int svc_exec_tags(struct call *c, const Flyteidl__Admin__ExecutionSpec *sp,
                         struct svc_exec_write *w)
{
	size_t nl = sp->labels ? sp->labels->n_values : 0;

	w->tags = arena_calloc(c->arena, nl + sp->n_tags + 1, sizeof(*w->tags));
	if (w->tags == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < nl; i++) {
		w->tags[w->ntags].key = sp->labels->values[i]->key;
		w->tags[w->ntags++].value = sp->labels->values[i]->value;
	}
	for (size_t i = 0; i < sp->n_tags; i++) {
		w->tags[w->ntags].key = sp->tags[i];
		w->tags[w->ntags++].value = "";
	}
	return 0;
}

/*
 * The launch-plan path (§3.2), shared by CreateExecution, Relaunch and
 * Recover.  l->spec is the execution spec as requested; inputs the user's.
 */
static int svc_exec_launch(struct call *c, struct svc_exec_launch *l)
{
	Flyteidl__Admin__ExecutionSpec *sp = l->spec;
	const Flyteidl__Core__Identifier *lpid = sp->launch_plan;
	Flyteidl__Admin__LaunchPlan *lp;
	Flyteidl__Admin__Project *proj = NULL;
	Flyteidl__Admin__ExecutionClosure *cl;
	Flyteidl__Core__LiteralMap *merged = NULL;
	Flyteidl__Core__LiteralMap empty = FLYTEIDL__CORE__LITERAL_MAP__INIT;
	struct svc_exec_write w = {0};
	struct repo_ver lprow;
	struct keel_err err = {0};
	char genname[21];
	const char *name = l->name;
	int64_t now = util_now_ms(), task_id = 0;
	const char *in_key = NULL, *user_key = NULL;
	int64_t parent_node_id = 0, source_id = 0, wf_id = 0;
	int rc;

	rc = svc_load_project_domain(c, l->project, l->domain, &proj);
	if (rc != 0)
		return rc;
	if (svc_exec_empty(name)) {
		if (svc_exec_gen_name(genname) != 0)
			return call_error(c, RPC_INTERNAL,
			                  "cannot generate an execution name");
		/* The reply names it after this frame is gone. */
		name = arena_strdup(c->arena, genname);
		if (name == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	} else {
		rc = svc_exec_check_name(c, name);
		if (rc != 0)
			return rc;
	}
	if (lpid->resource_type == FLYTEIDL__CORE__RESOURCE_TYPE__TASK) {
		rc = svc_exec_single_task(c, sp, &task_id);
		if (rc != 0)
			return rc;
		lpid = sp->launch_plan;
	}
	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_launch_plan,
	                  lpid->project, lpid->domain, lpid->name,
	                  lpid->version, &lprow, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	rc = svc_ver_unpack(c, &repo_kind_launch_plan, &lprow,
	                    &flyteidl__admin__launch_plan__descriptor,
	                    (ProtobufCMessage **)&lp);
	if (rc != 0)
		return rc;
	if (lp->spec == NULL || lp->spec->workflow_id == NULL)
		return call_error(c, RPC_INTERNAL,
		                  "stored launch plan [%s/%s/%s/%s] has no "
		                  "workflow",
		                  lpid->project, lpid->domain, lpid->name,
		                  lpid->version);
	rc = svc_exec_inputs(c, l->inputs,
	                     lp->closure ? lp->closure->expected_inputs : NULL,
	                     lp->spec->fixed_inputs, &merged);
	if (rc != 0)
		return rc;
	/* Only its row id: the closure is the launch's business. */
	rc = repo_ver_id(c->svc->db, &repo_kind_workflow,
	                 lp->spec->workflow_id->project,
	                 lp->spec->workflow_id->domain,
	                 lp->spec->workflow_id->name,
	                 lp->spec->workflow_id->version, &wf_id, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);

	/* The spec as stored: who asked, where it runs, merged config. */
	if (sp->metadata == NULL) {
		sp->metadata = call_new(c, &flyteidl__admin__execution_metadata__descriptor);
		if (sp->metadata == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	sp->metadata->principal = (char *)c->principal;
	sp->metadata->n_artifact_ids = 0;
	rc = svc_exec_parent(c, sp, &parent_node_id, &source_id);
	if (rc != 0)
		return rc;
	sp->metadata->system_metadata =
	    call_new(c, &flyteidl__admin__system_metadata__descriptor);
	if (sp->metadata->system_metadata == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_exec_cluster(c, sp, lp->spec, name,
	                      &sp->metadata->system_metadata->execution_cluster);
	if (rc != 0)
		return rc;
	sp->metadata->system_metadata->namespace_ =
	    svc_exec_namespace(c, l->project, l->domain);
	rc = svc_exec_config(c, sp, lp->spec);
	if (rc != 0)
		return rc;
	if (c->svc->exec.max_label_entries > 0 && sp->labels != NULL &&
	    sp->labels->n_values > c->svc->exec.max_label_entries)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "labels has too many entries [%zu > %u]",
		                  sp->labels->n_values,
		                  c->svc->exec.max_label_entries);
	if (c->svc->exec.max_annotation_entries > 0 &&
	    sp->annotations != NULL &&
	    sp->annotations->n_values > c->svc->exec.max_annotation_entries)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "annotations has too many entries [%zu > %u]",
		                  sp->annotations->n_values,
		                  c->svc->exec.max_annotation_entries);
	rc = svc_exec_project_labels(c, sp, proj);
	if (rc != 0)
		return rc;

	/*
	 * Inputs, merged and as the user gave them (relaunch reads the
	 * latter).  Up to [executions] inputs_inline_max they stay in the
	 * row and the launch writes them to the blob store (Flyte Admin's
	 * <name>/inputs and user_inputs), so a create costs one commit and
	 * no blob write.  Larger ones go to the store now, after a check
	 * that the name is free, under a key of this attempt (a nonce) so a
	 * create losing a race for the name never overwrites the winner's;
	 * the loser's objects are removed.
	 */
	w.row.inputs_uri = "";
	w.row.user_inputs_uri = "";
	{
		const ProtobufCMessage *um =
		    l->inputs ? &l->inputs->base : &empty.base;
		size_t nin = 0, nuser = 0;
		uint8_t *pin = svc_pack(c, &merged->base, &nin);
		uint8_t *puser = svc_pack(c, um, &nuser);
		if (pin == NULL || puser == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
		if (c->svc->blob == NULL ||
		    ((int64_t)nin <= c->svc->exec.inputs_inline_max &&
		     (int64_t)nuser <= c->svc->exec.inputs_inline_max)) {
			w.row.inputs = pin;
			w.row.inputs_len = nin;
			w.row.user_inputs = puser;
			w.row.user_inputs_len = nuser;
		} else {
			struct repo_exec old;
			char nonce[21];
			rc = repo_exec_get(c->svc->db, c->arena, l->project,
			                   l->domain, name, &old, &err);
			if (rc == 0)
				return call_error(
				    c, RPC_ALREADY_EXISTS,
				    "execution with name [%s] already exists "
				    "in project [%s] domain [%s]",
				    name, l->project, l->domain);
			if (rc != KEEL_ENOTFOUND)
				return call_fail(c, rc, err.msg);
			memset(&err, 0, sizeof(err));
			if (svc_exec_gen_name(nonce) != 0)
				return call_error(c, RPC_INTERNAL,
				                  "cannot generate a key");
			nonce[12] = '\0';
			in_key = svc_exec_key(
			    c, l->project, l->domain, name,
			    arena_printf(c->arena, "%s/inputs", nonce));
			user_key = svc_exec_key(
			    c, l->project, l->domain, name,
			    arena_printf(c->arena, "%s/user_inputs", nonce));
			rc = svc_blob_put_msg(c, in_key, &merged->base,
			                      &w.row.inputs_uri);
			if (rc == 0)
				rc = svc_blob_put_msg(c, user_key, um,
				                      &w.row.user_inputs_uri);
			if (rc != 0) {
				svc_exec_blob_del(c, in_key);
				return rc;
			}
		}
	}
	sp->inputs = NULL;

	cl = call_new(c, &flyteidl__admin__execution_closure__descriptor);
	if (cl == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	cl->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__UNDEFINED;
	cl->created_at = svc_ts(c, now);
	cl->updated_at = svc_ts(c, now);
	cl->workflow_id = lp->spec->workflow_id;
	if (sp->notification_overrides_case ==
	        FLYTEIDL__ADMIN__EXECUTION_SPEC__NOTIFICATION_OVERRIDES_NOTIFICATIONS &&
	    sp->notifications != NULL && sp->notifications->n_notifications > 0) {
		cl->notifications = sp->notifications->notifications;
		cl->n_notifications = sp->notifications->n_notifications;
	} else if (sp->notification_overrides_case !=
	               FLYTEIDL__ADMIN__EXECUTION_SPEC__NOTIFICATION_OVERRIDES_DISABLE_ALL &&
	           lp->spec->entity_metadata != NULL) {
		cl->notifications = lp->spec->entity_metadata->notifications;
		cl->n_notifications = lp->spec->entity_metadata->n_notifications;
	}
	cl->state_change_details =
	    call_new(c, &flyteidl__admin__execution_state_change_details__descriptor);
	if (cl->state_change_details == NULL || cl->created_at == NULL ||
	    cl->updated_at == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	cl->state_change_details->state =
	    FLYTEIDL__ADMIN__EXECUTION_STATE__EXECUTION_ACTIVE;
	cl->state_change_details->principal = (char *)c->principal;
	cl->state_change_details->occurred_at = cl->created_at;

	w.row.project = l->project;
	w.row.domain = l->domain;
	w.row.name = name;
	w.row.org = l->org ? l->org : "";
	w.row.launch_plan_id = lprow.id;
	w.row.launch_plan_name = lprow.name;
	w.row.workflow_id = wf_id;
	w.row.launch_entity = task_id ? "task" : "launch_plan";
	w.row.task_id = task_id;
	w.row.phase = "UNDEFINED";
	w.row.mode = (int)sp->metadata->mode;
	w.row.principal = sp->metadata->principal;
	w.row.cluster = sp->metadata->system_metadata->execution_cluster;
	w.row.execution_created_at = now;
	w.row.execution_updated_at = now;
	w.row.created_at = now;
	w.row.updated_at = now;
	w.row.source_execution_id =
	    source_id ? source_id : l->source_execution_id;
	w.row.parent_node_execution_id = parent_node_id;
	w.row.spec = svc_pack(c, &sp->base, &w.row.spec_len);
	w.row.closure = svc_pack(c, &cl->base, &w.row.closure_len);
	if (w.row.spec == NULL || w.row.closure == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_exec_tags(c, sp, &w);
	if (rc != 0)
		return rc;
	if (lp->spec->concurrency_policy != NULL &&
	    lp->spec->concurrency_policy->behavior ==
	        FLYTEIDL__ADMIN__CONCURRENCY_LIMIT_BEHAVIOR__CONCURRENCY_LIMIT_BEHAVIOR_SKIP)
		w.conc_max = lp->spec->concurrency_policy->max > 0
		                 ? lp->spec->concurrency_policy->max
		                 : 1;
	rc = db_tx(c->svc->db, KEEL_DB_TX_WRITE, svc_exec_create_tx, &w, &err);
	if (rc != 0) {
		svc_exec_blob_del(c, in_key);
		svc_exec_blob_del(c, user_key);
	}
	if (rc != 0 && w.over_limit)
		return call_error(c, RPC_ALREADY_EXISTS,
		                  "concurrency limit (%d) reached for launch "
		                  "plan %s; skipping execution",
		                  w.conc_max, lpid->name);
	if (rc == KEEL_EEXIST)
		return call_error(c, RPC_ALREADY_EXISTS,
		                  "execution with name [%s] already exists in "
		                  "project [%s] domain [%s]",
		                  name, l->project, l->domain);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	outbox_kick(c->svc->outbox);
	l->out_id = svc_exec_id_msg(c->arena, &w.row);
	if (l->out_id == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	return 0;
}

static int svc_exec_reply_id(struct call *c, ExecId *id,
                             ProtobufCMessage **resp)
{
	Flyteidl__Admin__ExecutionCreateResponse *r =
	    call_new(c, &flyteidl__admin__execution_create_response__descriptor);

	if (r == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	r->id = id;
	*resp = &r->base;
	return 0;
}

/* ValidateExecutionRequest (§3.1). */
static int svc_exec_check_request(struct call *c,
                                  const Flyteidl__Admin__ExecutionCreateRequest *r)
{
	const Flyteidl__Admin__ExecutionSpec *sp = r->spec;
	const Flyteidl__Core__Identifier *lp;

	if (svc_exec_empty(r->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_exec_empty(r->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	if (sp == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing spec");
	lp = sp->launch_plan;
	if (lp == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing launch_plan");
	if (lp->resource_type != FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN &&
	    lp->resource_type != FLYTEIDL__CORE__RESOURCE_TYPE__TASK)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "Invalid reference entity resource type %d: "
		                  "spec.launch_plan must be a LAUNCH_PLAN or a "
		                  "TASK",
		                  (int)lp->resource_type);
	if (svc_exec_empty(lp->project))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing project in spec.launch_plan");
	if (svc_exec_empty(lp->domain))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing domain in spec.launch_plan");
	if (svc_exec_empty(lp->name))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing name in spec.launch_plan");
	if (svc_exec_empty(lp->version))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing version in spec.launch_plan");
	if (sp->notification_overrides_case ==
	        FLYTEIDL__ADMIN__EXECUTION_SPEC__NOTIFICATION_OVERRIDES_NOTIFICATIONS &&
	    sp->notifications != NULL) {
		int rc = svc_check_notifications(
		    c, sp->notifications->notifications,
		    sp->notifications->n_notifications);
		if (rc != 0)
			return rc;
	}
	return svc_check_labels(c, sp->labels);
}

static int svc_create_execution(struct call *c, const ProtobufCMessage *req,
                                ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ExecutionCreateRequest *r =
	    (const Flyteidl__Admin__ExecutionCreateRequest *)req;
	struct svc_exec_launch l = {0};
	int rc;

	rc = svc_exec_check_request(c, r);
	if (rc != 0)
		return rc;
	l.project = r->project;
	l.domain = r->domain;
	l.name = r->name;
	l.org = r->org;
	l.spec = r->spec;
	/* Legacy clients put the inputs in the spec. */
	l.inputs = r->inputs != NULL && r->inputs->n_literals > 0
	               ? r->inputs
	               : r->spec->inputs;
	rc = svc_exec_launch(c, &l);
	if (rc != 0)
		return rc;
	return svc_exec_reply_id(c, l.out_id, resp);
}

/*
 * RelaunchExecution and RecoverExecution (§3.6, §3.7): the original's
 * stored spec and user inputs through the whole create path again, with
 * mode and reference_execution set; overwrite_cache (relaunch) replaces
 * the original's, parent (recover) is the node execution to recover
 * under.
 */
static int svc_exec_again(struct call *c, const ExecId *id, const char *name,
                          int mode, int overwrite_cache,
                          Flyteidl__Core__NodeExecutionIdentifier *parent,
                          ProtobufCMessage **resp)
{
	struct svc_exec_launch l = {0};
	struct repo_exec row;
	Flyteidl__Admin__ExecutionSpec *sp;
	ProtobufCMessage *in = NULL;
	int rc;

	rc = svc_exec_load(c, id, &row);
	if (rc != 0)
		return rc;
	sp = svc_unpack(c, &flyteidl__admin__execution_spec__descriptor,
	                row.spec, row.spec_len, "execution spec");
	if (sp == NULL)
		return -c->code;
	if (row.user_inputs != NULL) {
		in = svc_unpack(c, &flyteidl__core__literal_map__descriptor,
		                row.user_inputs, row.user_inputs_len,
		                "execution user inputs");
		if (in == NULL)
			return -c->code;
	} else if (!svc_exec_empty(row.user_inputs_uri)) {
		rc = svc_blob_get_msg(c, row.user_inputs_uri,
		                      &flyteidl__core__literal_map__descriptor,
		                      SVC_EXEC_DATA_MAX, &in);
		if (rc != 0)
			return rc;
	}
	l.inputs = in != NULL ? (const Flyteidl__Core__LiteralMap *)in
	                      : sp->inputs;
	if (sp->metadata == NULL) {
		sp->metadata = call_new(c, &flyteidl__admin__execution_metadata__descriptor);
		if (sp->metadata == NULL)
			return call_error(c, RPC_RESOURCE_EXHAUSTED,
			                  "out of memory");
	}
	sp->metadata->mode = (Flyteidl__Admin__ExecutionMetadata__ExecutionMode)mode;
	sp->metadata->reference_execution = (ExecId *)id;
	sp->metadata->parent_node_execution = parent;
	sp->metadata->system_metadata = NULL;
	sp->inputs = NULL;
	if (overwrite_cache >= 0)
		sp->overwrite_cache = overwrite_cache != 0;
	l.spec = sp;
	l.source_execution_id = row.id;
	l.project = id->project;
	l.domain = id->domain;
	l.org = id->org;
	l.name = name;
	rc = svc_exec_launch(c, &l);
	if (rc != 0)
		return rc;
	return svc_exec_reply_id(c, l.out_id, resp);
}

static int svc_relaunch_execution(struct call *c, const ProtobufCMessage *req,
                                  ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ExecutionRelaunchRequest *r =
	    (const Flyteidl__Admin__ExecutionRelaunchRequest *)req;

	return svc_exec_again(
	    c, r->id, r->name,
	    FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__RELAUNCH,
	    r->overwrite_cache, NULL, resp);
}

static int svc_recover_execution(struct call *c, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ExecutionRecoverRequest *r =
	    (const Flyteidl__Admin__ExecutionRecoverRequest *)req;

	return svc_exec_again(
	    c, r->id, r->name,
	    FLYTEIDL__ADMIN__EXECUTION_METADATA__EXECUTION_MODE__RECOVERED, -1,
	    r->metadata ? r->metadata->parent_node_execution : NULL, resp);
}

/* ------------------------------------------------------------------ */
/* Get, list, update, terminate                                        */
/* ------------------------------------------------------------------ */

static int svc_get_execution(struct call *c, const ProtobufCMessage *req,
                             ProtobufCMessage **resp)
{
	const Flyteidl__Admin__WorkflowExecutionGetRequest *r =
	    (const Flyteidl__Admin__WorkflowExecutionGetRequest *)req;
	Flyteidl__Admin__Execution *e;
	struct repo_exec row;
	int rc;

	rc = svc_exec_load(c, r->id, &row);
	if (rc != 0)
		return rc;
	e = svc_exec_msg(c, &row);
	if (e == NULL)
		return -c->code;
	*resp = &e->base;
	return 0;
}

/* Lists trim error messages to this many bytes (§5.5). */
#define SVC_EXEC_LIST_ERR_MAX 100

/* Cut s to at most max bytes without splitting a UTF-8 sequence. */
static char *svc_exec_trim(struct arena *a, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return (char *)s;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return arena_strndup(a, s, n);
}

struct svc_exec_list_ctx {
	struct call *c;
	Flyteidl__Admin__Execution **v;
	size_t n, cap;
	int failed;
};

static int svc_exec_list_row(void *arg, const struct keel_db_val *cols,
                             size_t ncols)
{
	struct svc_exec_list_ctx *x = arg;
	struct repo_exec row;
	Flyteidl__Admin__Execution *e;

	if (cols == NULL) {
		x->n = 0; /* the read starts over */
		return 0;
	}
	if (repo_exec_decode(x->c->arena, cols, ncols, &row) != 0)
		return KEEL_ENOMEM;
	e = svc_exec_msg(x->c, &row);
	if (e == NULL) {
		x->failed = 1;
		return KEEL_EINTERNAL;
	}
	/* Lists carry no inputs (§5.5). */
	e->spec->inputs = NULL;
	e->closure->computed_inputs = NULL;
	if (e->closure->output_result_case ==
	        FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR &&
	    e->closure->error != NULL && e->closure->error->message != NULL)
		e->closure->error->message = svc_exec_trim(
		    x->c->arena, e->closure->error->message,
		    SVC_EXEC_LIST_ERR_MAX);
	x->v = arena_grow(x->c->arena, x->v, x->n, &x->cap, sizeof(*x->v));
	if (x->v == NULL)
		return KEEL_ENOMEM;
	x->v[x->n++] = e;
	return 0;
}

static int svc_list_executions(struct call *c, const ProtobufCMessage *req,
                               ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ResourceListRequest *r =
	    (const Flyteidl__Admin__ResourceListRequest *)req;
	struct svc_list_req lr = {"ListExecutions"};
	struct repo_list q = {0};
	struct svc_exec_list_ctx x = {c};
	struct filter f;
	struct svc_page page;
	struct keel_db_val args[3];
	Flyteidl__Admin__ExecutionList *out;
	char *from, *where;
	size_t n = 0, nargs = 0;
	int rc;

	if (r->id == NULL || svc_exec_empty(r->id->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_exec_empty(r->id->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	lr.limit = r->limit;
	lr.filters = r->filters;
	lr.sort_by = r->sort_by;
	lr.token = r->token;
	lr.cols = repo_exec_cols;
	lr.ncols = repo_exec_ncols;
	lr.primary = "execution";
	lr.joined = repo_exec_joined;
	lr.default_sort = "created_at";
	lr.default_asc = 0;
	rc = svc_list_prepare(c, &lr, &q, &f, &page);
	if (rc != 0)
		return rc;
	args[nargs++] = db_str(r->id->project);
	args[nargs++] = db_str(r->id->domain);
	if (!svc_exec_empty(r->id->name))
		args[nargs++] = db_str(r->id->name);
	/* Archived executions are hidden unless a filter asks about state
	 * (§3.9). */
	where = arena_printf(c->arena, "e.project = ? AND e.domain = ?%s%s",
	                     nargs > 2 ? " AND e.name = ?" : "",
	                     filter_uses_col(&f, "state") ? ""
	                                                  : " AND e.state = 0");
	from = arena_printf(
	    c->arena, "executions e%s%s%s%s",
	    filter_uses(&f, "launch_plan")
	        ? " JOIN launch_plans l ON l.id = e.launch_plan_id"
	        : "",
	    filter_uses(&f, "workflow") ? " JOIN workflows w ON w.id = "
	                                  "e.workflow_id"
	                                : "",
	    filter_uses(&f, "task") ? " LEFT JOIN tasks tk ON tk.id = e.task_id"
	                            : "",
	    filter_uses(&f, "execution_tag") || filter_uses(&f, "admin_tag")
	        ? " JOIN execution_tags t ON t.execution_id = e.id"
	        : "");
	if (where == NULL || from == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	q.select = repo_exec_select;
	q.from = from;
	q.where = where;
	q.args = args;
	q.nargs = nargs;
	q.id_sql = "e.id";
	q.distinct = filter_uses(&f, "execution_tag") ||
	             filter_uses(&f, "admin_tag");
	out = call_new(c, &flyteidl__admin__execution_list__descriptor);
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_list_exec(c, &lr, &q, &page, svc_exec_list_row, &x, &n,
	                   &out->token);
	if (rc != 0)
		return x.failed ? -c->code : rc;
	out->executions = x.v;
	out->n_executions = x.n;
	*resp = &out->base;
	return 0;
}

/* Times an update or terminate reloads the execution when events keep
 * changing it under the request. */
#define SVC_EXEC_UPDATE_TRIES 4

struct svc_exec_update {
	struct arena *a;
	struct repo_exec *row;
	const char *abort_purpose; /* terminate: queue an abort */
	/* The closure the request's decision rests on, as loaded. */
	const uint8_t *seen;
	size_t seen_len;
	int stale; /* the row changed since: decide again */
};

/* Write back a row decided on outside the transaction, unless it changed
 * meanwhile (an event may land between the load and the write). */
static int svc_exec_update_tx(struct db_conn *c, void *arg,
                              struct keel_err *err)
{
	struct svc_exec_update *u = arg;
	struct repo_exec cur;
	int rc;

	u->stale = 0;
	rc = repo_exec_lock_id(c, u->a, u->row->id, &cur, err);
	if (rc != 0)
		return rc;
	if (cur.closure_len != u->seen_len ||
	    (u->seen_len > 0 && memcmp(cur.closure, u->seen, u->seen_len))) {
		u->stale = 1;
		return keel_err_set(err, KEEL_EABORTED,
		                    "execution changed concurrently");
	}
	rc = repo_exec_update(c, u->row, err);
	if (rc != 0 || u->abort_purpose == NULL)
		return rc;
	return outbox_add(c, OUTBOX_ABORT, u->abort_purpose, u->row->id, NULL,
	                  0, u->row->updated_at, err);
}

static int svc_update_execution(struct call *c, const ProtobufCMessage *req,
                                ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ExecutionUpdateRequest *r =
	    (const Flyteidl__Admin__ExecutionUpdateRequest *)req;
	Flyteidl__Admin__ExecutionClosure *cl;
	struct svc_exec_update u = {.a = c->arena};
	struct repo_exec row;
	struct keel_err err = {0};
	int64_t now = util_now_ms();
	int rc, tries = 0;

again:
	rc = svc_exec_load(c, r->id, &row);
	if (rc != 0)
		return rc;
	u.seen = row.closure;
	u.seen_len = row.closure_len;
	if (r->state != FLYTEIDL__ADMIN__EXECUTION_STATE__EXECUTION_ACTIVE &&
	    r->state != FLYTEIDL__ADMIN__EXECUTION_STATE__EXECUTION_ARCHIVED)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "invalid value for state: %d (want "
		                  "EXECUTION_ACTIVE or EXECUTION_ARCHIVED)",
		                  (int)r->state);
	cl = svc_unpack(c, &flyteidl__admin__execution_closure__descriptor,
	                row.closure, row.closure_len, "execution closure");
	if (cl == NULL)
		return -c->code;
	cl->state_change_details =
	    call_new(c, &flyteidl__admin__execution_state_change_details__descriptor);
	if (cl->state_change_details == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	cl->state_change_details->state = r->state;
	cl->state_change_details->principal = (char *)c->principal;
	cl->state_change_details->occurred_at = svc_ts(c, now);
	row.state = (int)r->state;
	row.closure = svc_pack(c, &cl->base, &row.closure_len);
	row.updated_at = now;
	if (row.closure == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	u.row = &row;
	rc = db_tx(c->svc->db, KEEL_DB_TX_WRITE, svc_exec_update_tx, &u, &err);
	if (u.stale && ++tries < SVC_EXEC_UPDATE_TRIES)
		goto again;
	if (rc != 0)
		return call_fail(c, u.stale ? KEEL_EAGAIN : rc, err.msg);
	*resp = call_new(c, &flyteidl__admin__execution_update_response__descriptor);
	return *resp ? 0 : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

void svc_detail_terminal(struct call *c, const char *phase)
{
	Flyteidl__Admin__EventFailureReason *fr =
	    call_new(c, &flyteidl__admin__event_failure_reason__descriptor);
	Flyteidl__Admin__EventErrorAlreadyInTerminalState *t = call_new(
	    c, &flyteidl__admin__event_error_already_in_terminal_state__descriptor);

	if (fr == NULL || t == NULL)
		return;
	t->current_phase = arena_strdup(c->arena, phase);
	fr->reason_case =
	    FLYTEIDL__ADMIN__EVENT_FAILURE_REASON__REASON_ALREADY_IN_TERMINAL_STATE;
	fr->already_in_terminal_state = t;
	c->detail = &fr->base;
}

static int svc_terminate_execution(struct call *c, const ProtobufCMessage *req,
                                   ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ExecutionTerminateRequest *r =
	    (const Flyteidl__Admin__ExecutionTerminateRequest *)req;
	Flyteidl__Admin__ExecutionClosure *cl;
	Flyteidl__Admin__AbortMetadata *am;
	struct svc_exec_update u = {.a = c->arena};
	struct repo_exec row;
	struct keel_err err = {0};
	int64_t now = util_now_ms();
	int rc, phase, tries = 0;

again:
	rc = svc_exec_load(c, r->id, &row);
	if (rc != 0)
		return rc;
	u.seen = row.closure;
	u.seen_len = row.closure_len;
	phase = svc_wf_phase_parse(row.phase);
	if (svc_wf_phase_terminal(phase)) {
		rc = call_error(c, RPC_FAILED_PRECONDITION,
		                "Cannot abort an already terminated workflow "
		                "execution: [%s/%s/%s] is %s",
		                row.project, row.domain, row.name, row.phase);
		svc_detail_terminal(c, row.phase);
		return rc;
	}
	cl = svc_unpack(c, &flyteidl__admin__execution_closure__descriptor,
	                row.closure, row.closure_len, "execution closure");
	am = call_new(c, &flyteidl__admin__abort_metadata__descriptor);
	if (cl == NULL)
		return -c->code;
	if (am == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	am->cause = r->cause ? r->cause : (char *)"";
	am->principal = (char *)c->principal;
	cl->output_result_case =
	    FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ABORT_METADATA;
	cl->abort_metadata = am;
	cl->phase = FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTING;
	cl->updated_at = svc_ts(c, now);
	row.phase = "ABORTING";
	row.abort_cause = am->cause;
	row.execution_updated_at = now;
	row.updated_at = now;
	row.closure = svc_pack(c, &cl->base, &row.closure_len);
	if (row.closure == NULL || cl->updated_at == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	u.row = &row;
	u.abort_purpose = arena_printf(c->arena, "abort/%lld",
	                               (long long)row.id);
	if (u.abort_purpose == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = db_tx(c->svc->db, KEEL_DB_TX_WRITE, svc_exec_update_tx, &u, &err);
	if (u.stale && ++tries < SVC_EXEC_UPDATE_TRIES)
		goto again; /* e.g. it has just finished: decide again */
	if (rc != 0)
		return call_fail(c, u.stale ? KEEL_EAGAIN : rc, err.msg);
	outbox_kick(c->svc->outbox);
	*resp = call_new(c,
	                 &flyteidl__admin__execution_terminate_response__descriptor);
	return *resp ? 0 : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

/* ------------------------------------------------------------------ */
/* GetExecutionData                                                    */
/* ------------------------------------------------------------------ */

/*
 * One side of a data response (§3.10): the UrlBlob (a signed URL when
 * configured, else the object's URI) and the literal map itself when it
 * is smaller than inline_data_max (0: always).
 */
int svc_exec_data_side(struct call *c, const char *uri,
                              Flyteidl__Admin__UrlBlob **blob,
                              Flyteidl__Core__LiteralMap **full)
{
	const struct svc_exec_cfg *cfg = &c->svc->exec;
	Flyteidl__Admin__UrlBlob *b;
	ProtobufCMessage *m = NULL;
	int64_t size;

	*blob = NULL;
	*full = NULL;
	if (svc_exec_empty(uri) || c->svc->blob == NULL)
		return 0;
	size = svc_blob_size(c, uri);
	b = call_new(c, &flyteidl__admin__url_blob__descriptor);
	if (b == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	b->url = (char *)uri;
	if (cfg->signed_urls) {
		const char *u = svc_blob_sign(c, uri, cfg->signed_url_ttl_ms);
		if (u != NULL)
			b->url = (char *)u;
	}
	b->bytes = size > 0 ? size : 0;
	*blob = b;
	if (size < 0 || (cfg->inline_data_max > 0 && size >= cfg->inline_data_max))
		return 0;
	/* A failed read leaves the map empty; the call still succeeds, as
	 * in Flyte Admin. */
	{
		struct keel_err err = {0};
		if (svc_blob_read(c->arena, c->svc, uri,
		                  &flyteidl__core__literal_map__descriptor,
		                  SVC_EXEC_DATA_MAX, &m, &err) != 0)
			LOG_WARN("svc", "cannot read %s: %s", uri, err.msg);
	}
	*full = (Flyteidl__Core__LiteralMap *)m;
	return 0;
}

static int svc_get_execution_data(struct call *c, const ProtobufCMessage *req,
                                  ProtobufCMessage **resp)
{
	const Flyteidl__Admin__WorkflowExecutionGetDataRequest *r =
	    (const Flyteidl__Admin__WorkflowExecutionGetDataRequest *)req;
	Flyteidl__Admin__WorkflowExecutionGetDataResponse *out;
	Flyteidl__Admin__ExecutionClosure *cl;
	Flyteidl__Admin__ExecutionSpec *sp;
	struct repo_exec row;
	int rc;

	rc = svc_exec_load(c, r->id, &row);
	if (rc != 0)
		return rc;
	out = call_new(c,
	               &flyteidl__admin__workflow_execution_get_data_response__descriptor);
	cl = svc_unpack(c, &flyteidl__admin__execution_closure__descriptor,
	                row.closure, row.closure_len, "execution closure");
	sp = svc_unpack(c, &flyteidl__admin__execution_spec__descriptor,
	                row.spec, row.spec_len, "execution spec");
	if (cl == NULL || sp == NULL)
		return -c->code;
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_exec_data_side(c, row.inputs_uri, &out->inputs,
	                        &out->full_inputs);
	if (rc != 0)
		return rc;
	/* Inputs still in the row (not launched yet, or no blob store). */
	if (row.inputs != NULL && out->full_inputs == NULL &&
	    (c->svc->exec.inline_data_max == 0 ||
	     (int64_t)row.inputs_len < c->svc->exec.inline_data_max)) {
		out->full_inputs =
		    svc_unpack(c, &flyteidl__core__literal_map__descriptor,
		               row.inputs, row.inputs_len, "execution inputs");
		if (out->full_inputs == NULL)
			return -c->code;
	}
	if (out->full_inputs == NULL && svc_exec_empty(row.inputs_uri))
		out->full_inputs = sp->inputs; /* legacy: in the spec */
	if (cl->output_result_case ==
	        FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUTS &&
	    cl->outputs != NULL &&
	    cl->outputs->data_case == FLYTEIDL__ADMIN__LITERAL_MAP_BLOB__DATA_URI) {
		rc = svc_exec_data_side(c, cl->outputs->uri, &out->outputs,
		                        &out->full_outputs);
		if (rc != 0)
			return rc;
	} else if (cl->output_result_case ==
	               FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_OUTPUT_DATA &&
	           cl->output_data != NULL) {
		size_t n = protobuf_c_message_get_packed_size(&cl->output_data->base);
		if (c->svc->exec.inline_data_max == 0 ||
		    (int64_t)n < c->svc->exec.inline_data_max)
			out->full_outputs = cl->output_data;
	}
	*resp = &out->base;
	return 0;
}

const struct svc_route svc_execution_routes[] = {
    {"/flyteidl.service.AdminService/CreateExecution", svc_create_execution},
    {"/flyteidl.service.AdminService/RelaunchExecution",
     svc_relaunch_execution},
    {"/flyteidl.service.AdminService/RecoverExecution",
     svc_recover_execution},
    {"/flyteidl.service.AdminService/GetExecution", svc_get_execution},
    {"/flyteidl.service.AdminService/ListExecutions", svc_list_executions},
    {"/flyteidl.service.AdminService/UpdateExecution", svc_update_execution},
    {"/flyteidl.service.AdminService/TerminateExecution",
     svc_terminate_execution},
    {"/flyteidl.service.AdminService/GetExecutionData",
     svc_get_execution_data},
    {NULL, NULL},
};

/* ------------------------------------------------------------------ */
/* The outbox handlers: launch and abort on the configured target      */
/* ------------------------------------------------------------------ */

/*
 * Apply a phase the data plane (or its absence) decided, to the row
 * read inside the transaction: phase column and closure, updated time,
 * and for FAILED a SYSTEM error.  Only from the expected current phase,
 * so a late launch never overwrites what events already recorded.
 */
static int svc_exec_worker_phase(struct db_conn *c, struct arena *a,
                                 int64_t exec_id, const char *from,
                                 int to, const char *err_code,
                                 const char *err_msg, struct keel_err *err)
{
	Flyteidl__Admin__ExecutionClosure *cl;
	struct repo_exec row;
	int64_t now = util_now_ms();
	int rc;

	rc = repo_exec_lock_id(c, a, exec_id, &row, err);
	if (rc == KEEL_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (strcmp(row.phase, from) != 0)
		return 0;
	cl = (Flyteidl__Admin__ExecutionClosure *)protobuf_c_message_unpack(
	    &flyteidl__admin__execution_closure__descriptor,
	    arena_pb_allocator(a), row.closure_len,
	    row.closure ? row.closure : (const uint8_t *)"");
	if (cl == NULL)
		return keel_err_set(err, KEEL_EDATALOSS,
		                    "execution %lld: closure does not decode",
		                    (long long)exec_id);
	cl->phase = (Flyteidl__Core__WorkflowExecution__Phase)to;
	cl->updated_at = svc_exec_ts(a, now);
	if (err_msg != NULL) {
		Flyteidl__Core__ExecutionError *e = arena_alloc(a, sizeof(*e));
		if (e == NULL)
			return KEEL_ENOMEM;
		flyteidl__core__execution_error__init(e);
		e->code = (char *)err_code;
		e->message = (char *)err_msg;
		e->kind = FLYTEIDL__CORE__EXECUTION_ERROR__ERROR_KIND__SYSTEM;
		cl->output_result_case =
		    FLYTEIDL__ADMIN__EXECUTION_CLOSURE__OUTPUT_RESULT_ERROR;
		cl->error = e;
		row.error_kind = "SYSTEM";
		row.error_code = err_code;
	}
	if (svc_wf_phase_terminal(to) && row.started_at > 0)
		row.duration = now - row.started_at;
	row.phase = svc_wf_phase_name(to);
	row.execution_updated_at = now;
	row.updated_at = now;
	{
		size_t n = protobuf_c_message_get_packed_size(&cl->base);
		uint8_t *b = arena_alloc(a, n ? n : 1);
		if (b == NULL || cl->updated_at == NULL)
			return KEEL_ENOMEM;
		row.closure_len = protobuf_c_message_pack(&cl->base, b);
		row.closure = b;
	}
	return repo_exec_update(c, &row, err);
}

/* The "none" target: nothing runs the execution.  A launch is accepted
 * (the execution waits in QUEUED for a data plane that reports through
 * the event API) and an abort completes at once. */
static int svc_exec_none_run(void *arg, const struct outbox_row *r,
                             struct keel_err *err)
{
	(void)arg;
	(void)r;
	(void)err;
	return 0;
}

struct svc_exec_rd {
	struct arena *a;
	int64_t id;
	struct repo_exec row;
};

static int svc_exec_rd_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct svc_exec_rd *x = arg;

	return repo_exec_read_id(c, x->a, x->id, &x->row, err);
}

/* Where the launch puts an execution's inputs (Flyte Admin's keys). */
static const char *svc_exec_input_key(struct arena *a,
                                      const struct repo_exec *e,
                                      const char *leaf)
{
	const char *p = svc_key_part(a, e->project);
	const char *d = svc_key_part(a, e->domain);
	const char *n = svc_key_part(a, e->name);

	if (p == NULL || d == NULL || n == NULL)
		return NULL;
	return arena_printf(a, "metadata/%s/%s/%s/%s", p, d, n, leaf);
}

static int svc_exec_put_bytes(const struct svc *s, const char *key,
                              const uint8_t *p, size_t n,
                              struct keel_err *err)
{
	struct svc_mem m = {p ? p : (const uint8_t *)"", n, 0};
	struct keel_blob_src src = {(int64_t)n, svc_mem_read, &m};

	if (key == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	return s->blob->put(s->blob_self, key, &src, err);
}

static int svc_exec_to_executor(const struct svc *s, const struct outbox_row *r,
                                const struct repo_exec *row,
                                struct keel_err *err);

/*
 * A launch: the inputs still kept in the row go to the blob store first
 * (a data plane reads them there; the keys are the execution's own, so
 * a rerun rewrites the same objects), then the target takes it.
 */
static int svc_exec_launch_run(void *arg, const struct outbox_row *r,
                               struct keel_err *err)
{
	const struct svc *s = arg;
	struct svc_exec_rd x = {r->arena, r->execution_id};
	int rc;

	if (s->blob == NULL)
		return svc_exec_none_run(arg, r, err);
	rc = db_tx(s->db, KEEL_DB_TX_READ, svc_exec_rd_tx, &x, err);
	if (rc == KEEL_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	/* Empty inputs are an empty object (NULL in the row). */
	if (svc_exec_empty(x.row.inputs_uri)) {
		rc = svc_exec_put_bytes(s, svc_exec_input_key(r->arena, &x.row,
		                                              "inputs"),
		                        x.row.inputs, x.row.inputs_len, err);
		if (rc == 0)
			rc = svc_exec_put_bytes(
			    s, svc_exec_input_key(r->arena, &x.row, "user_inputs"),
			    x.row.user_inputs, x.row.user_inputs_len, err);
		/* A store that refuses is worth retrying. */
		if (rc != 0 && rc != KEEL_EAGAIN && rc != KEEL_ETIMEDOUT &&
		    rc != KEEL_ENOMEM)
			return rc;
		if (rc != 0)
			return KEEL_EAGAIN;
	}
	if (s->dp == NULL)
		return svc_exec_none_run(arg, r, err);
	/* Terminated before it was launched: nothing to run. */
	if (strcmp(x.row.phase, "ABORTING") == 0 ||
	    svc_wf_phase_terminal(svc_wf_phase_parse(x.row.phase)))
		return 0;
	return svc_exec_to_executor(s, r, &x.row, err);
}

/* Labels, annotations or envs as borrowed pairs in the arena. */
static struct keel_kv *svc_exec_kvs(struct arena *a, size_t n,
                                    const char *(*key)(const void *, size_t),
                                    const char *(*val)(const void *, size_t),
                                    const void *src)
{
	struct keel_kv *kv = arena_alloc(a, (n ? n : 1) * sizeof(*kv));

	for (size_t i = 0; kv != NULL && i < n; i++) {
		kv[i].key = key(src, i);
		kv[i].value = val(src, i);
	}
	return kv;
}

static const char *svc_exec_label_k(const void *p, size_t i)
{
	return ((const Flyteidl__Admin__Labels *)p)->values[i]->key;
}

static const char *svc_exec_label_v(const void *p, size_t i)
{
	return ((const Flyteidl__Admin__Labels *)p)->values[i]->value;
}

static const char *svc_exec_annot_k(const void *p, size_t i)
{
	return ((const Flyteidl__Admin__Annotations *)p)->values[i]->key;
}

static const char *svc_exec_annot_v(const void *p, size_t i)
{
	return ((const Flyteidl__Admin__Annotations *)p)->values[i]->value;
}

static const char *svc_exec_env_k(const void *p, size_t i)
{
	return ((const Flyteidl__Admin__Envs *)p)->values[i]->key;
}

static const char *svc_exec_env_v(const void *p, size_t i)
{
	return ((const Flyteidl__Admin__Envs *)p)->values[i]->value;
}

/*
 * Hand the execution to its cluster's executor: the compiled workflow
 * (through the launch plan the spec names), the inputs and the merged
 * config.  A worker-made call carries the arena and the services, so the
 * registry's readers work here as in a request.
 */
static int svc_exec_to_executor(const struct svc *s, const struct outbox_row *r,
                                const struct repo_exec *row,
                                struct keel_err *err)
{
	struct call wc = {.arena = r->arena, .svc = (struct svc *)s,
	                  .request_id = "outbox", .principal = row->principal,
	                  .door = "outbox"};
	Flyteidl__Admin__ExecutionSpec *sp;
	Flyteidl__Admin__LaunchPlan *lp;
	Flyteidl__Admin__WorkflowClosure *wcl;
	const Flyteidl__Core__Identifier *id;
	struct repo_ver lprow, wfrow;
	struct keel_exec_launch l = {0};
	const char *key;
	int rc;

	sp = svc_unpack(&wc, &flyteidl__admin__execution_spec__descriptor,
	                row->spec, row->spec_len, "execution spec");
	if (sp == NULL || sp->launch_plan == NULL)
		return keel_err_set(err, KEEL_EDATALOSS,
		                    "execution %s: the stored spec %s", row->name,
		                    sp ? "names no launch plan"
		                       : "does not decode");
	id = sp->launch_plan;
	rc = repo_ver_get(s->db, r->arena, &repo_kind_launch_plan, id->project,
	                  id->domain, id->name, id->version, &lprow, err);
	if (rc != 0)
		return rc;
	if (svc_ver_unpack(&wc, &repo_kind_launch_plan, &lprow,
	                   &flyteidl__admin__launch_plan__descriptor,
	                   (ProtobufCMessage **)&lp) != 0)
		return keel_err_set(err, KEEL_EDATALOSS, "%s", wc.message);
	if (lp->spec == NULL || lp->spec->workflow_id == NULL)
		return keel_err_set(err, KEEL_EDATALOSS,
		                    "launch plan %s has no workflow", id->name);
	id = lp->spec->workflow_id;
	rc = repo_ver_get(s->db, r->arena, &repo_kind_workflow, id->project,
	                  id->domain, id->name, id->version, &wfrow, err);
	if (rc != 0)
		return rc;
	if (svc_ver_unpack(&wc, &repo_kind_workflow, &wfrow,
	                   &flyteidl__admin__workflow_closure__descriptor,
	                   (ProtobufCMessage **)&wcl) != 0)
		return keel_err_set(err, wc.code == RPC_UNAVAILABLE
		                             ? KEEL_EAGAIN
		                             : KEEL_EDATALOSS,
		                    "%s", wc.message);
	if (wcl->compiled_workflow == NULL)
		return keel_err_set(err, KEEL_EDATALOSS,
		                    "workflow %s has no compiled closure",
		                    id->name);
	l.size = sizeof(l);
	l.id.project = row->project;
	l.id.domain = row->domain;
	l.id.name = row->name;
	l.id.cluster = row->cluster;
	l.closure = svc_pack(&wc, &wcl->compiled_workflow->base,
	                     &l.closure_len);
	if (!svc_exec_empty(row->inputs_uri)) {
		l.inputs_uri = row->inputs_uri;
	} else {
		key = svc_exec_input_key(r->arena, row, "inputs");
		l.inputs_uri = key ? svc_blob_uri(r->arena, s, key, err) : NULL;
		l.inputs = row->inputs ? row->inputs : (const uint8_t *)"";
		l.inputs_len = row->inputs_len;
	}
	key = arena_printf(r->arena, "metadata/%s/%s/%s",
	                   svc_key_part(r->arena, row->project),
	                   svc_key_part(r->arena, row->domain),
	                   svc_key_part(r->arena, row->name));
	l.output_prefix = key ? svc_blob_uri(r->arena, s, key, err) : NULL;
	if (sp->raw_output_data_config != NULL &&
	    !svc_exec_empty(sp->raw_output_data_config->output_location_prefix)) {
		l.raw_output_prefix =
		    sp->raw_output_data_config->output_location_prefix;
	} else {
		key = arena_printf(r->arena, "raw/%s/%s/%s",
		                   svc_key_part(r->arena, row->project),
		                   svc_key_part(r->arena, row->domain),
		                   svc_key_part(r->arena, row->name));
		l.raw_output_prefix =
		    key ? svc_blob_uri(r->arena, s, key, err) : NULL;
	}
	if (l.closure == NULL || l.inputs_uri == NULL ||
	    l.output_prefix == NULL || l.raw_output_prefix == NULL)
		return keel_err_set(err, KEEL_ENOMEM,
		                    "out of memory preparing the launch");
	if (sp->labels != NULL) {
		l.nlabels = sp->labels->n_values;
		l.labels = svc_exec_kvs(r->arena, l.nlabels, svc_exec_label_k,
		                        svc_exec_label_v, sp->labels);
	}
	if (sp->annotations != NULL) {
		l.nannotations = sp->annotations->n_values;
		l.annotations = svc_exec_kvs(r->arena, l.nannotations,
		                             svc_exec_annot_k, svc_exec_annot_v,
		                             sp->annotations);
	}
	if (sp->envs != NULL) {
		l.nenvs = sp->envs->n_values;
		l.envs = svc_exec_kvs(r->arena, l.nenvs, svc_exec_env_k,
		                      svc_exec_env_v, sp->envs);
	}
	if (sp->security_context != NULL)
		l.security_context = svc_pack(&wc, &sp->security_context->base,
		                              &l.security_context_len);
	l.spec = row->spec;
	l.spec_len = row->spec_len;
	l.namespace_ = sp->metadata && sp->metadata->system_metadata
	                   ? sp->metadata->system_metadata->namespace_
	                   : "";
	l.principal = row->principal ? row->principal : "";
	l.max_parallelism = sp->max_parallelism;
	l.interruptible = sp->interruptible ? sp->interruptible->value : -1;
	l.overwrite_cache = sp->overwrite_cache;
	l.nesting = sp->metadata ? (int32_t)sp->metadata->nesting : 0;
	l.accepted_at_ms = row->execution_created_at;
	return dp_launch(s->dp, &l, err);
}

static int svc_exec_launch_done(void *arg, struct db_conn *c,
                                const struct outbox_row *r,
                                struct keel_err *err)
{
	const struct svc *s = arg;
	struct repo_exec row;
	int rc;

	rc = repo_exec_lock_id(c, r->arena, r->execution_id, &row, err);
	if (rc == KEEL_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (s->blob != NULL && svc_exec_empty(row.inputs_uri)) {
		const char *in = svc_exec_input_key(r->arena, &row, "inputs");
		const char *user =
		    svc_exec_input_key(r->arena, &row, "user_inputs");
		char *iu = in ? svc_blob_uri(r->arena, s, in, err) : NULL;
		char *uu = user ? svc_blob_uri(r->arena, s, user, err) : NULL;
		if (iu == NULL || uu == NULL)
			return keel_err_set(err, KEEL_EINTERNAL,
			                    "the blob store gave no URI for the "
			                    "inputs: %s",
			                    err->msg);
		rc = repo_exec_set_input_uris(c, row.id, iu, uu, err);
		if (rc != 0)
			return rc;
	}
	return svc_exec_worker_phase(c, r->arena, r->execution_id, "UNDEFINED",
	                             FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__QUEUED,
	                             NULL, NULL, err);
}

static int svc_exec_launch_dead(void *arg, struct db_conn *c,
                                const struct outbox_row *r, const char *why,
                                struct keel_err *err)
{
	const char *msg = arena_printf(r->arena,
	                               "failed to launch the execution on the "
	                               "data plane: %s",
	                               why);
	(void)arg;
	if (msg == NULL)
		return KEEL_ENOMEM;
	/* From UNDEFINED only: events may have moved it on meanwhile. */
	return svc_exec_worker_phase(c, r->arena, r->execution_id, "UNDEFINED",
	                             FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED,
	                             "LaunchFailed", msg, err);
}

static int svc_exec_abort_done(void *arg, struct db_conn *c,
                               const struct outbox_row *r,
                               struct keel_err *err)
{
	const struct svc *s = arg;

	/* An executor reports ABORTED itself (svc_exec_abort_run marked
	 * the ones it does not know). */
	if (s->dp != NULL)
		return 0;
	return svc_exec_worker_phase(c, r->arena, r->execution_id, "ABORTING",
	                             FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED,
	                             NULL, NULL, err);
}

struct svc_exec_aborted {
	struct arena *a;
	int64_t id;
};

static int svc_exec_aborted_tx(struct db_conn *c, void *arg,
                               struct keel_err *err)
{
	struct svc_exec_aborted *x = arg;

	return svc_exec_worker_phase(c, x->a, x->id, "ABORTING",
	                             FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED,
	                             NULL, NULL, err);
}

/* Ask the cluster's executor to stop it.  One it has no record of (never
 * launched, or lost) is ABORTED here and now. */
static int svc_exec_abort_run(void *arg, const struct outbox_row *r,
                              struct keel_err *err)
{
	const struct svc *s = arg;
	struct svc_exec_rd x = {r->arena, r->execution_id};
	struct keel_exec_ref ref;
	int rc;

	if (s->dp == NULL)
		return svc_exec_none_run(arg, r, err);
	rc = db_tx(s->db, KEEL_DB_TX_READ, svc_exec_rd_tx, &x, err);
	if (rc == KEEL_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (strcmp(x.row.phase, "ABORTING") != 0)
		return 0;
	ref.project = x.row.project;
	ref.domain = x.row.domain;
	ref.name = x.row.name;
	ref.cluster = x.row.cluster;
	rc = dp_abort(s->dp, &ref,
	              x.row.abort_cause ? x.row.abort_cause : "", err);
	if (rc == KEEL_ENOTFOUND) {
		struct svc_exec_aborted a = {r->arena, r->execution_id};
		memset(err, 0, sizeof(*err));
		return db_tx(s->db, KEEL_DB_TX_WRITE, svc_exec_aborted_tx, &a,
		             err);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* The reconciler: live executions a data plane lost                   */
/* ------------------------------------------------------------------ */

/*
 * Every [executions] reconcile_interval, each live execution that has
 * not changed for an interval is looked up on its cluster's executor
 * (when it can answer).  One the data plane has no record of, or
 * finished without its last event reaching keeld, cannot end by itself:
 * it is FAILED with a SYSTEM error (ABORTING ones end ABORTED).  An
 * executor that does not answer is asked again next round.
 */
struct svc_reconciler {
	struct svc *s;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

struct svc_rec_page {
	struct arena *a;
	int64_t after;
	struct repo_exec_live rows[100];
	size_t n;
};

static int svc_rec_page_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct svc_rec_page *p = arg;

	return repo_exec_live(c, p->a, p->after, UTIL_ARRAY_LEN(p->rows),
	                      p->rows, &p->n, err);
}

struct svc_rec_fail {
	struct arena *a;
	const struct repo_exec_live *e;
	const char *msg;
};

static int svc_rec_fail_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct svc_rec_fail *f = arg;

	if (strcmp(f->e->phase, "ABORTING") == 0)
		return svc_exec_worker_phase(
		    c, f->a, f->e->id, "ABORTING",
		    FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__ABORTED, NULL,
		    NULL, err);
	return svc_exec_worker_phase(c, f->a, f->e->id, f->e->phase,
	                             FLYTEIDL__CORE__WORKFLOW_EXECUTION__PHASE__FAILED,
	                             "LostByDataPlane", f->msg, err);
}

/* One round; returns the number of executions it ended. */
static int svc_rec_round(struct svc_reconciler *rc, struct arena *a)
{
	struct svc *s = rc->s;
	struct svc_rec_page p = {a, 0, {{0}}, 0};
	int64_t quiet = util_now_ms() - s->exec.reconcile_interval_ms;
	int ended = 0;

	for (;;) {
		struct keel_err err = {0};
		arena_reset(a);
		if (db_tx(s->db, KEEL_DB_TX_READ, svc_rec_page_tx, &p, &err) !=
		    0) {
			LOG_WARN("reconcile", "cannot list live executions: %s",
			         err.msg);
			return ended;
		}
		for (size_t i = 0; i < p.n; i++) {
			const struct repo_exec_live *e = &p.rows[i];
			const struct keel_exec_caps *caps =
			    dp_caps(s->dp, e->cluster);
			struct keel_exec_ref ref = {e->project, e->domain,
			                            e->name, e->cluster};
			struct keel_exec_status st = {0};
			struct svc_rec_fail f = {a, e, NULL};
			int r;

			p.after = e->id;
			if (e->updated_at > quiet || caps == NULL ||
			    !(caps->flags & KEEL_EXEC_CAP_STATUS))
				continue;
			memset(&err, 0, sizeof(err));
			r = dp_status(s->dp, &ref, &st, &err);
			if (r != 0) {
				LOG_DEBUG("reconcile", "%s/%s/%s: %s", e->project,
				          e->domain, e->name, err.msg);
				continue;
			}
			if (st.state == KEEL_EXEC_ACTIVE)
				continue;
			f.msg = st.state == KEEL_EXEC_UNKNOWN
			            ? arena_printf(a,
			                           "the data plane of cluster %s "
			                           "has no record of this "
			                           "execution (was its state "
			                           "lost?)",
			                           e->cluster)
			            : arena_printf(a,
			                           "the data plane of cluster %s "
			                           "finished this execution (%s) "
			                           "but its last event never "
			                           "reached keeld",
			                           e->cluster, st.detail);
			if (f.msg == NULL)
				continue;
			memset(&err, 0, sizeof(err));
			if (db_tx(s->db, KEEL_DB_TX_WRITE, svc_rec_fail_tx, &f,
			          &err) == 0) {
				LOG_WARN("reconcile", "%s/%s/%s (%s): %s",
				         e->project, e->domain, e->name,
				         e->phase, f.msg);
				ended++;
			}
		}
		if (p.n < UTIL_ARRAY_LEN(p.rows))
			return ended;
	}
}

static void *svc_rec_thread(void *arg)
{
	struct svc_reconciler *rc = arg;
	struct arena *a = arena_new(16384);

	pthread_mutex_lock(&rc->mu);
	while (!rc->stop) {
		struct timespec ts;
		int64_t at = util_now_ms() + rc->s->exec.reconcile_interval_ms;
		ts.tv_sec = at / 1000;
		ts.tv_nsec = (at % 1000) * 1000000L;
		while (!rc->stop &&
		       pthread_cond_timedwait(&rc->cv, &rc->mu, &ts) == 0)
			;
		if (rc->stop || a == NULL)
			break;
		pthread_mutex_unlock(&rc->mu);
		svc_rec_round(rc, a);
		pthread_mutex_lock(&rc->mu);
	}
	pthread_mutex_unlock(&rc->mu);
	arena_free(a);
	return NULL;
}

int svc_exec_reconcile_once(struct svc *s)
{
	struct svc_reconciler rc = {.s = s};
	struct arena *a = arena_new(16384);
	int n;

	if (a == NULL || s->dp == NULL) {
		arena_free(a);
		return 0;
	}
	n = svc_rec_round(&rc, a);
	arena_free(a);
	return n;
}

static struct outbox_handler svc_exec_hs[2];

const struct outbox_handler *svc_exec_handlers(size_t *n)
{
	*n = UTIL_ARRAY_LEN(svc_exec_hs);
	return svc_exec_hs;
}

int svc_exec_start(struct svc *s, char *errbuf, size_t errlen)
{
	struct outbox_cfg cfg = {0};
	struct keel_err err = {0};

	svc_exec_hs[0] = (struct outbox_handler){
	    OUTBOX_LAUNCH, svc_exec_launch_run, svc_exec_launch_done,
	    svc_exec_launch_dead, s};
	svc_exec_hs[1] = (struct outbox_handler){
	    OUTBOX_ABORT, svc_exec_abort_run, svc_exec_abort_done, NULL, s};
	if (s->exec.outbox_workers == 0)
		return 0;
	if (s->dp != NULL && s->exec.reconcile_interval_ms > 0) {
		struct svc_reconciler *rc = calloc(1, sizeof(*rc));
		if (rc == NULL) {
			util_fmt(errbuf, errlen, "out of memory");
			return KEEL_ENOMEM;
		}
		rc->s = s;
		pthread_mutex_init(&rc->mu, NULL);
		pthread_cond_init(&rc->cv, NULL);
		if (pthread_create(&rc->tid, NULL, svc_rec_thread, rc) != 0) {
			free(rc);
			util_fmt(errbuf, errlen,
			         "cannot start the reconciler thread");
			return KEEL_ENOMEM;
		}
		s->reconciler = rc;
	}
	cfg.workers = s->exec.outbox_workers;
	cfg.max_attempts = s->exec.outbox_attempts;
	cfg.backoff_ms = s->exec.outbox_backoff_ms;
	cfg.backoff_max_ms = s->exec.outbox_backoff_max_ms;
	cfg.lease_ms = s->exec.outbox_lease_ms;
	cfg.poll_ms = 1000;
	if (outbox_start(s->db, &cfg, svc_exec_hs, 2, &s->outbox,
	                 &err) != 0) {
		util_fmt(errbuf, errlen, "%s", err.msg);
		return KEEL_ENOMEM;
	}
	return 0;
}

void svc_exec_stop(struct svc *s)
{
	struct svc_reconciler *rc = s->reconciler;

	if (rc != NULL) {
		pthread_mutex_lock(&rc->mu);
		rc->stop = 1;
		pthread_cond_broadcast(&rc->cv);
		pthread_mutex_unlock(&rc->mu);
		pthread_join(rc->tid, NULL);
		pthread_mutex_destroy(&rc->mu);
		pthread_cond_destroy(&rc->cv);
		free(rc);
		s->reconciler = NULL;
	}
	outbox_stop(s->outbox);
	s->outbox = NULL;
}
