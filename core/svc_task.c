/*
 * svc_task.c -- AdminService: CreateTask, GetTask, ListTasks, ListTaskIds.
 *
 * Validation, idempotency and messages follow Flyte Admin
 * (task_validator.go, task_manager.go; reference/flyteadmin-behaviour.md
 * §1.1, §1.2, §1.5, §5).  Where Keel differs on purpose the comment says
 * so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "flyteidl/admin/task.pb-c.h"
#include "pbdiff.h"
#include "repo_project.h"
#include "repo_ver.h"
#include "svc.h"
#include "svc_list.h"
#include "svc_ver.h"
#include "task_resources.h"
#include "util.h"

static const char *svc_rt_name(int rt)
{
	switch (rt) {
	case FLYTEIDL__CORE__RESOURCE_TYPE__TASK:
		return "TASK";
	case FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW:
		return "WORKFLOW";
	case FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN:
		return "LAUNCH_PLAN";
	case FLYTEIDL__CORE__RESOURCE_TYPE__DATASET:
		return "DATASET";
	default:
		return "UNSPECIFIED";
	}
}

static int svc_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

int svc_check_get_identifier(struct call *c,
                             const Flyteidl__Core__Identifier *id,
                             int resource_type)
{
	/* A REST path carries no resource type; Flyte Admin's Get and Update
	 * handlers take the one their URL implies. */
	if (id != NULL &&
	    id->resource_type == FLYTEIDL__CORE__RESOURCE_TYPE__UNSPECIFIED) {
		Flyteidl__Core__Identifier copy = *id;
		copy.resource_type = (Flyteidl__Core__ResourceType)resource_type;
		return svc_check_identifier(c, &copy, resource_type);
	}
	return svc_check_identifier(c, id, resource_type);
}

int svc_check_identifier(struct call *c, const Flyteidl__Core__Identifier *id,
                         int resource_type)
{
	if (id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing id");
	if ((int)id->resource_type != resource_type)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "unexpected resource type %s for identifier "
		                  "[%s/%s/%s/%s], expected %s instead",
		                  svc_rt_name(id->resource_type),
		                  id->project ? id->project : "",
		                  id->domain ? id->domain : "",
		                  id->name ? id->name : "",
		                  id->version ? id->version : "",
		                  svc_rt_name(resource_type));
	if (svc_empty(id->project))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing project");
	if (svc_empty(id->domain))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing domain");
	if (svc_empty(id->name))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing name");
	if (svc_empty(id->version))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing version");
	return 0;
}

int svc_check_project_domain(struct call *c, const char *project,
                             const char *domain)
{
	Flyteidl__Admin__Project *p = NULL;

	return svc_load_project_domain(c, project, domain, &p);
}

int svc_load_project_domain(struct call *c, const char *project,
                            const char *domain, Flyteidl__Admin__Project **out)
{
	Flyteidl__Admin__Project *p = NULL;
	struct keel_err err = {0};
	int rc;

	rc = repo_project_get(c->svc->db, c->arena, project, &p, &err);
	if (rc == KEEL_ENOTFOUND || (rc == 0 && !svc_find_domain(c->svc, domain)))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "failed to validate that project [%s] and "
		                  "domain [%s] are registered",
		                  project, domain);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	/* ARCHIVED and SYSTEM_GENERATED both count as inactive (Flyte
	 * Admin's project_validator). */
	if (p->state != FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ACTIVE)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "project [%s] is not active", project);
	*out = p;
	return 0;
}

/* Is type in the comma/space separated allow-list (NULL/"": any)? */
static int svc_type_allowed(const char *list, const char *type)
{
	size_t n = strlen(type);

	if (list == NULL || list[0] == '\0')
		return 1;
	while (*list != '\0') {
		size_t k;
		while (*list == ',' || *list == ' ')
			list++;
		k = strcspn(list, ", ");
		if (k == n && strncmp(list, type, n) == 0)
			return 1;
		list += k;
	}
	return 0;
}

/*
 * [registry] task_type_scopes, Flyte Admin's task_type_whitelist:
 * "type=scope;scope, type=scope", a scope "project" or "project/domain".
 * A listed type may be registered only in its scopes; unlisted types
 * anywhere.  With check_only, only the syntax is checked (why says what
 * is wrong).  Returns 1 allowed (or valid), 0 refused, -1 bad syntax.
 */
int svc_type_scope_allowed(const char *list, const char *type,
                           const char *project, const char *domain,
                           char *why, size_t whylen)
{
	int listed = 0;

	while (list != NULL && *list != '\0') {
		const char *e, *eq;
		size_t k, tn;

		while (*list == ',' || *list == ' ')
			list++;
		if (*list == '\0')
			break;
		k = strcspn(list, ",");
		e = list + k;
		eq = memchr(list, '=', k);
		if (eq == NULL || eq == list) {
			util_fmt(why, whylen,
			         "'%.*s' is not type=project[/domain][;...]",
			         (int)k, list);
			return -1;
		}
		tn = (size_t)(eq - list);
		while (tn > 0 && list[tn - 1] == ' ')
			tn--;
		if (type == NULL ||
		    (strlen(type) == tn && strncmp(list, type, tn) == 0)) {
			const char *sc = eq + 1;
			listed = 1;
			while (sc < e) {
				size_t sn = strcspn(sc, ";,"), pn;
				const char *slash;
				while (sn > 0 && *sc == ' ')
					sc++, sn--;
				pn = sn;
				while (pn > 0 && sc[pn - 1] == ' ')
					pn--;
				if (pn == 0) {
					util_fmt(why, whylen,
					         "an empty scope in '%.*s'", (int)k,
					         list);
					return -1;
				}
				slash = memchr(sc, '/', pn);
				if (type != NULL) {
					size_t pl = slash ? (size_t)(slash - sc) : pn;
					int pok = strlen(project) == pl &&
					          strncmp(sc, project, pl) == 0;
					int dok = slash == NULL ||
					          (strlen(domain) == pn - pl - 1 &&
					           strncmp(slash + 1, domain,
					                   pn - pl - 1) == 0);
					if (pok && dok)
						return 1;
				}
				sc += sn;
				if (sc < e && *sc == ';' && ++sc == e) {
					util_fmt(why, whylen,
					         "an empty scope in '%.*s'", (int)k,
					         list);
					return -1;
				}
			}
		}
		list = e;
	}
	return type == NULL || !listed ? 1 : 0;
}

/* The value of key in a Struct, or NULL. */
static const Google__Protobuf__Value *svc_field(const Google__Protobuf__Struct *st,
                                                const char *key)
{
	for (size_t i = 0; st != NULL && i < st->n_fields; i++)
		if (strcmp(st->fields[i]->key, key) == 0)
			return st->fields[i]->value;
	return NULL;
}

static const Google__Protobuf__Struct *svc_struct(const Google__Protobuf__Value *v)
{
	return v != NULL &&
	               v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE
	           ? v->struct_value
	           : NULL;
}

/* One side (requests or limits) of a pod container's resources, as
 * core.Resources entries in e (at most 4); the count, or -1 with why. */
static int svc_pod_side(const Google__Protobuf__Struct *m,
                        Flyteidl__Core__Resources__ResourceEntry *e,
                        char *why, size_t whylen)
{
	static const struct {
		const char *k8s;
		int name;
	} names[] = {
		{"cpu", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU},
		{"memory", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY},
		{"nvidia.com/gpu", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__GPU},
		{"ephemeral-storage",
		 FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__EPHEMERAL_STORAGE},
	};
	int n = 0;

	for (size_t i = 0; i < UTIL_ARRAY_LEN(names); i++) {
		const Google__Protobuf__Value *v = svc_field(m, names[i].k8s);
		if (v == NULL)
			continue;
		flyteidl__core__resources__resource_entry__init(&e[n]);
		e[n].name = names[i].name;
		if (v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE) {
			e[n].value = v->string_value;
		} else {
			util_fmt(why, whylen,
			         "pod spec: resource %s must be a quantity "
			         "string",
			         names[i].k8s);
			return -1;
		}
		n++;
	}
	return n;
}

/* Flyte Admin checks each container of a pod task like a container
 * task's resources. */
static int svc_check_pod(struct call *c, const Google__Protobuf__Struct *pod)
{
	const Google__Protobuf__Value *cs = svc_field(pod, "containers");
	char why[512];

	if (cs == NULL ||
	    cs->kind_case != GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "pod spec: containers must be a list");
	for (size_t i = 0; i < cs->list_value->n_values; i++) {
		const Google__Protobuf__Struct *ct =
		    svc_struct(cs->list_value->values[i]);
		const Google__Protobuf__Struct *res =
		    svc_struct(svc_field(ct, "resources"));
		Flyteidl__Core__Resources r = FLYTEIDL__CORE__RESOURCES__INIT;
		Flyteidl__Core__Resources__ResourceEntry req[4], lim[4];
		Flyteidl__Core__Resources__ResourceEntry *reqp[4], *limp[4];
		int nr, nl;

		if (ct == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "pod spec: containers[%zu] is not an "
			                  "object",
			                  i);
		if (res == NULL)
			continue;
		nr = svc_pod_side(svc_struct(svc_field(res, "requests")), req,
		                  why, sizeof(why));
		nl = nr < 0 ? -1
		            : svc_pod_side(svc_struct(svc_field(res, "limits")),
		                           lim, why, sizeof(why));
		if (nr < 0 || nl < 0)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "containers[%zu]: %s", i, why);
		for (int k = 0; k < 4; k++) {
			reqp[k] = &req[k];
			limp[k] = &lim[k];
		}
		r.n_requests = (size_t)nr;
		r.requests = reqp;
		r.n_limits = (size_t)nl;
		r.limits = limp;
		if (task_resources_check(&r, c->svc->task_limits, why,
		                         sizeof(why)) != 0)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "pod spec containers[%zu]: %s", i, why);
	}
	return 0;
}

static int svc_check_template(struct call *c,
                              const Flyteidl__Core__Identifier *id,
                              const Flyteidl__Core__TaskTemplate *t)
{
	char why[512];

	if (svc_empty(t->type))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing type");
	if (!svc_type_allowed(c->svc->task_types, t->type))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "task type [%s] must be whitelisted before use "
		                  "([registry] task_types)",
		                  t->type);
	if (svc_type_scope_allowed(c->svc->task_type_scopes, t->type,
	                           id->project, id->domain, why,
	                           sizeof(why)) != 1)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "task type [%s] must be whitelisted before use "
		                  "in project [%s] domain [%s] ([registry] "
		                  "task_type_scopes)",
		                  t->type, id->project, id->domain);
	if (t->metadata == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing metadata");
	if (t->metadata->runtime != NULL &&
	    svc_empty(t->metadata->runtime->version))
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing runtime version");
	if (t->interface == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing typed interface");
	switch (t->target_case) {
	case FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER:
		if (svc_empty(t->container->image))
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "missing image");
		if (t->container->resources != NULL &&
		    task_resources_check(t->container->resources,
		                         c->svc->task_limits, why,
		                         sizeof(why)) != 0)
			return call_error(c, RPC_INVALID_ARGUMENT, "%s", why);
		break;
	case FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_K8S_POD:
		if (t->k8s_pod->pod_spec == NULL)
			return call_error(c, RPC_INVALID_ARGUMENT,
			                  "missing pod spec");
		return svc_check_pod(c, t->k8s_pod->pod_spec);
	default:
		break;
	}
	return 0;
}

/* Existing version at the same key: identical or not (§1.5). */
static int svc_task_exists(struct call *c, const Flyteidl__Core__Identifier *id,
                           const char *digest, const void *arg)
{
	const Flyteidl__Core__CompiledTask *mine = arg;
	Flyteidl__Admin__TaskClosure *old;
	struct repo_ver row;
	struct keel_err err = {0};
	char diff[512] = "";
	int rc;

	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_task, id->project,
	                  id->domain, id->name, id->version, &row, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	if (strcmp(row.digest, digest) == 0)
		return call_error(c, RPC_ALREADY_EXISTS,
		                  "task with identical structure already exists");
	/* Without the old closure the message just names no field. */
	if (svc_ver_unpack(c, &repo_kind_task, &row,
	                   &flyteidl__admin__task_closure__descriptor,
	                   (ProtobufCMessage **)&old) != 0)
		old = NULL;
	if (old != NULL && old->compiled_task != NULL)
		pbdiff_first(&old->compiled_task->base, &mine->base, diff,
		             sizeof(diff));
	return call_error(c, RPC_INVALID_ARGUMENT,
	                  "%s task with different structure already exists. "
	                  "(Please register a new version of the task):%s%s",
	                  id->name, diff[0] ? " " : "",
	                  diff[0] ? diff : "");
}

static int svc_create_task(struct call *c, const ProtobufCMessage *req,
                           ProtobufCMessage **resp)
{
	const Flyteidl__Admin__TaskCreateRequest *r =
	    (const Flyteidl__Admin__TaskCreateRequest *)req;
	Flyteidl__Core__CompiledTask ct = FLYTEIDL__CORE__COMPILED_TASK__INIT;
	Flyteidl__Admin__TaskClosure cl = FLYTEIDL__ADMIN__TASK_CLOSURE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Flyteidl__Core__TaskTemplate tmpl;
	struct repo_ver row = {0};
	uint8_t digest[32];
	char hex[65];
	int64_t now = util_now_ms();
	int rc;

	rc = svc_check_identifier(c, r->id, FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
	if (rc != 0)
		return rc;
	rc = svc_check_project_domain(c, r->id->project, r->id->domain);
	if (rc != 0)
		return rc;
	if (r->spec == NULL || r->spec->template_ == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing task template");
	rc = svc_check_template(c, r->id, r->spec->template_);
	if (rc != 0)
		return rc;
	/* The template's id is the request's (Flyte Admin overwrites it),
	 * on a copy: the request is the caller's. */
	tmpl = *r->spec->template_;
	tmpl.id = r->id;
	ct.template_ = &tmpl;
	if (pbdiff_digest(&ct.base, digest) != 0)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	pbdiff_hex(digest, hex);
	ts.seconds = now / 1000;
	ts.nanos = (int32_t)(now % 1000) * 1000000;
	cl.compiled_task = &ct;
	cl.created_at = &ts;
	row.type = tmpl.type;
	row.digest = hex;
	row.created_at = now;
	row.closure = svc_pack(c, &cl.base, &row.closure_len);
	if (row.closure == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_ver_store(c, &repo_kind_task, r->id, r->spec->description,
	                   &row, svc_task_exists, &ct);
	if (rc != 0)
		return rc;
	*resp = call_new(c, &flyteidl__admin__task_create_response__descriptor);
	return *resp ? 0
	             : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

/* A row as an admin.Task in the arena in *out; 0, or the call's error. */
static int svc_task_msg(struct call *c, const struct repo_ver *row,
                        Flyteidl__Admin__Task **out)
{
	Flyteidl__Admin__Task *t = call_new(c, &flyteidl__admin__task__descriptor);
	Flyteidl__Core__Identifier *id =
	    call_new(c, &flyteidl__core__identifier__descriptor);

	if (t == NULL || id == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	id->resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
	id->project = (char *)row->project;
	id->domain = (char *)row->domain;
	id->name = (char *)row->name;
	id->version = (char *)row->version;
	id->org = (char *)row->org;
	t->id = id;
	t->short_description = (char *)row->short_description;
	*out = t;
	return svc_ver_unpack(c, &repo_kind_task, row,
	                      &flyteidl__admin__task_closure__descriptor,
	                      (ProtobufCMessage **)&t->closure);
}

static int svc_get_task(struct call *c, const ProtobufCMessage *req,
                        ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ObjectGetRequest *r =
	    (const Flyteidl__Admin__ObjectGetRequest *)req;
	struct repo_ver row;
	struct keel_err err = {0};
	Flyteidl__Admin__Task *t;
	int rc;

	rc = svc_check_get_identifier(c, r->id,
	                              FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
	if (rc != 0)
		return rc;
	rc = repo_ver_get(c->svc->db, c->arena, &repo_kind_task, r->id->project,
	                  r->id->domain, r->id->name, r->id->version, &row,
	                  &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	rc = svc_task_msg(c, &row, &t);
	if (rc != 0)
		return rc;
	*resp = &t->base;
	return 0;
}

static int svc_list_tasks(struct call *c, const ProtobufCMessage *req,
                          ProtobufCMessage **resp)
{
	const Flyteidl__Admin__ResourceListRequest *r =
	    (const Flyteidl__Admin__ResourceListRequest *)req;
	struct svc_ver_page pg;
	Flyteidl__Admin__TaskList *out;
	int rc;

	rc = svc_ver_list_resources(c, &repo_kind_task, "ListTasks", r, &pg);
	if (rc != 0)
		return rc;
	out = call_new(c, &flyteidl__admin__task_list__descriptor);
	if (out == NULL || (pg.n > 0 && (out->tasks = arena_calloc(
	                                     c->arena, pg.n,
	                                     sizeof(*out->tasks))) == NULL))
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < pg.n; i++) {
		rc = svc_task_msg(c, &pg.rows[i], &out->tasks[i]);
		if (rc != 0)
			return rc;
	}
	out->n_tasks = pg.n;
	out->token = pg.token;
	*resp = &out->base;
	return 0;
}

static int svc_list_task_ids(struct call *c, const ProtobufCMessage *req,
                             ProtobufCMessage **resp)
{
	return svc_ver_list_ids(c, &repo_kind_task, "ListTaskIds", req, resp);
}

#define SVC_ADMIN "/flyteidl.service.AdminService/"

const struct svc_route svc_task_routes[] = {
	{SVC_ADMIN "CreateTask", svc_create_task},
	{SVC_ADMIN "GetTask", svc_get_task},
	{SVC_ADMIN "ListTasks", svc_list_tasks},
	{SVC_ADMIN "ListTaskIds", svc_list_task_ids},
	{NULL, NULL},
};
