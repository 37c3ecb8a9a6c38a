/*
 * cli_register.c -- keelctl register files: flytectl's `register files`
 * for the output of `pyflyte package` / `pyflyte serialize`.
 *
 * Inputs are .tar, .tgz/.tar.gz archives (cli_tar.c; gzip through
 * `gzip -dc`), single .pb files, or .json files holding the same message
 * in proto3 JSON.  A member named "<n>_<name>_1.pb" is an admin.TaskSpec,
 * "_2.pb" an admin.WorkflowSpec and "_3.pb" an admin.LaunchPlan; as in
 * flytectl, the suffix only picks the type tried first.  Identifiers and
 * the references inside workflows and launch plans are hydrated the way
 * flytectl's hydrateSpec does it, then everything is registered tasks
 * first, then workflows, then launch plans (each group in pyflyte's
 * numeric order), so that references resolve.  ALREADY_EXISTS counts as
 * success.  Every input is read and checked before anything is sent.
 */
#include <stdlib.h>
#include <string.h>

#include <keel/keel_client.h>

#include "cli.h"
#include "flyteidl/admin/launch_plan.pb-c.h"
#include "flyteidl/admin/task.pb-c.h"
#include "flyteidl/admin/workflow.pb-c.h"

#define CLI_INPUT_MAX           ((size_t)256 << 20) /* bytes of one input file */
#define CLI_CODE_ALREADY_EXISTS 6

static const struct {
	const char *method;
	const ProtobufCMessageDescriptor *resp;
	Flyteidl__Core__ResourceType rt;
} cli_kinds[CLI_NKINDS] = {
    {"/flyteidl.service.AdminService/CreateTask",
     &flyteidl__admin__task_create_response__descriptor,
     FLYTEIDL__CORE__RESOURCE_TYPE__TASK},
    {"/flyteidl.service.AdminService/CreateWorkflow",
     &flyteidl__admin__workflow_create_response__descriptor,
     FLYTEIDL__CORE__RESOURCE_TYPE__WORKFLOW},
    {"/flyteidl.service.AdminService/CreateLaunchPlan",
     &flyteidl__admin__launch_plan_create_response__descriptor,
     FLYTEIDL__CORE__RESOURCE_TYPE__LAUNCH_PLAN},
};

static int cli_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static const char *cli_basename(const char *s)
{
	const char *p = strrchr(s, '/');

	return p ? p + 1 : s;
}

/* ---- reading the inputs ---------------------------------------------- */

struct cli_reg {
	struct cli_entity *v;
	size_t n, cap;
	size_t bad; /* inputs that could not be read or decoded */
	const struct cli_args *a;
};

static void cli_reg_free(struct cli_reg *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].where);
		if (r->v[i].msg)
			protobuf_c_message_free_unpacked(r->v[i].msg, NULL);
	}
	free(r->v);
}

/* Decode and hydrate one serialized entity; its problems are printed
 * and counted. */
static void cli_reg_one(struct cli_reg *r, const char *where, const char *name,
                        const unsigned char *data, size_t len)
{
	struct cli_entity e;
	char err[1024];

	if (cli_entity_decode(name, data, len, &e, err, sizeof err) < 0) {
		cli_error("%s: %s", where, err);
		r->bad++;
		return;
	}
	if (cli_entity_hydrate(&e, r->a->o.project, r->a->o.domain,
	                       r->a->o.ent_version, err, sizeof err) < 0) {
		cli_error("%s: %s", where, err);
		protobuf_c_message_free_unpacked(e.msg, NULL);
		r->bad++;
		return;
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		struct cli_entity *nv = realloc(r->v, nc * sizeof *nv);

		if (!nv)
			goto nomem;
		r->v = nv;
		r->cap = nc;
	}
	e.where = strdup(where);
	if (!e.where)
		goto nomem;
	e.seq = r->n;
	r->v[r->n++] = e;
	return;
nomem:
	cli_error("%s: out of memory", where);
	protobuf_c_message_free_unpacked(e.msg, NULL);
	r->bad++;
}

static void cli_reg_archive(struct cli_reg *r, const char *path, int gz)
{
	struct cli_tar_member *m = NULL;
	char *buf = NULL, err[1024], *where = NULL;
	size_t len = 0, n = 0, i;

	if ((gz ? cli_read_gunzip(path, CLI_INPUT_MAX, &buf, &len, err,
	                          sizeof err)
	        : cli_read_file(path, CLI_INPUT_MAX, &buf, &len, err,
	                        sizeof err)) < 0) {
		cli_error("%s", err);
		r->bad++;
		return;
	}
	if (!gz && len >= 2 && (unsigned char)buf[0] == 0x1f &&
	    (unsigned char)buf[1] == 0x8b) {
		cli_error("%s: gzip-compressed: name it .tgz or .tar.gz", path);
		r->bad++;
		goto out;
	}
	if (cli_tar_parse((const unsigned char *)buf, len, &m, &n, err,
	                  sizeof err) < 0) {
		cli_error("%s: %s", path, err);
		r->bad++;
		goto out;
	}
	if (n == 0) {
		cli_error("%s: the archive holds no files", path);
		r->bad++;
	}
	for (i = 0; i < n; i++) {
		const char *base = cli_basename(m[i].name);
		size_t wl = strlen(path) + strlen(m[i].name) + 2;

		free(where);
		where = malloc(wl);
		if (!where) {
			cli_error("%s: out of memory", path);
			r->bad++;
			break;
		}
		snprintf(where, wl, "%s:%s", path, m[i].name);
		if (cli_ends_with(base, ".pb") ||
		    cli_ends_with(base, ".json")) {
			cli_reg_one(r, where, base, m[i].data, m[i].len);
		} else if (strncmp(base, "fast", 4) == 0 &&
		           cli_ends_with(base, ".tar.gz")) {
			cli_error("%s: fast registration (uploading source "
			          "code) is not supported: package without "
			          "--fast",
			          where);
			r->bad++;
		} else {
			cli_error("%s: not a serialized entity (want .pb or "
			          ".json files in the archive)",
			          where);
			r->bad++;
		}
	}
out:
	free(where);
	cli_tar_free(m, n);
	free(buf);
}

static void cli_reg_path(struct cli_reg *r, const char *path)
{
	char *buf = NULL, err[1024];
	size_t len = 0;
	int is_tar = cli_ends_with(path, ".tar");
	int is_tgz =
	    cli_ends_with(path, ".tgz") || cli_ends_with(path, ".tar.gz");

	if (r->a->o.archive && !is_tar && !is_tgz) {
		cli_error("%s: --archive wants .tar, .tgz or .tar.gz files",
		          path);
		r->bad++;
		return;
	}
	if (is_tar || is_tgz) {
		cli_reg_archive(r, path, is_tgz);
		return;
	}
	if (!cli_ends_with(path, ".pb") && !cli_ends_with(path, ".json")) {
		cli_error("%s: unknown file type: want .pb, .json, .tar, .tgz "
		          "or .tar.gz",
		          path);
		r->bad++;
		return;
	}
	if (cli_read_file(path, CLI_INPUT_MAX, &buf, &len, err, sizeof err) <
	    0) {
		cli_error("%s", err);
		r->bad++;
		return;
	}
	cli_reg_one(r, path, cli_basename(path), (const unsigned char *)buf,
	            len);
	free(buf);
}

/* pyflyte's "<n>_" prefix, for its order; none sorts last. */
static unsigned long cli_prefix(const char *where)
{
	const char *b = cli_basename(where);
	const char *colon = strrchr(b, ':');
	char *end;
	unsigned long v;

	if (colon)
		b = colon + 1;
	if (*b < '0' || *b > '9')
		return (unsigned long)-1;
	v = strtoul(b, &end, 10);
	return *end == '_' ? v : (unsigned long)-1;
}

static int cli_entity_cmp(const void *x, const void *y)
{
	const struct cli_entity *a = x, *b = y;
	unsigned long pa, pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	pa = cli_prefix(a->where);
	pb = cli_prefix(b->where);
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* ---- registering ------------------------------------------------------ */

/* Send one entity; its line is printed.  Returns the exit status. */
static int cli_reg_send(struct cli_ctx *c, const struct cli_args *a,
                        const struct cli_entity *e, int w1, int w2, int w3,
                        int *existed)
{
	Flyteidl__Core__Identifier id = FLYTEIDL__CORE__IDENTIFIER__INIT;
	Flyteidl__Admin__TaskCreateRequest tr =
	    FLYTEIDL__ADMIN__TASK_CREATE_REQUEST__INIT;
	Flyteidl__Admin__WorkflowCreateRequest wr =
	    FLYTEIDL__ADMIN__WORKFLOW_CREATE_REQUEST__INIT;
	Flyteidl__Admin__LaunchPlanCreateRequest lr =
	    FLYTEIDL__ADMIN__LAUNCH_PLAN_CREATE_REQUEST__INIT;
	const ProtobufCMessage *req = &tr.base;
	ProtobufCMessage *resp = NULL;
	struct cli_status st;
	const char *name, *version;
	int rc;

	*existed = 0;
	cli_entity_id(e, &name, &version);
	printf("%-*s  %-*s  %-*s  ", w1, cli_entity_what(e->kind), w2, name, w3,
	       version);
	if (a->o.dry_run) {
		printf("would register (dry run)\n");
		return CLI_EXIT_OK;
	}
	fflush(stdout);
	/* the request's id is -p/-d and the entity's own name and version,
	 * as flytectl sends it */
	id.resource_type = cli_kinds[e->kind].rt;
	id.project = (char *)a->o.project;
	id.domain = (char *)a->o.domain;
	id.name = (char *)name;
	id.version = (char *)version;
	switch (e->kind) {
	case CLI_KIND_TASK:
		tr.id = &id;
		tr.spec = (Flyteidl__Admin__TaskSpec *)e->msg;
		break;
	case CLI_KIND_WORKFLOW:
		wr.id = &id;
		wr.spec = (Flyteidl__Admin__WorkflowSpec *)e->msg;
		req = &wr.base;
		break;
	default:
		lr.id = &id;
		lr.spec = ((Flyteidl__Admin__LaunchPlan *)e->msg)->spec;
		req = &lr.base;
		break;
	}
	rc = cli_call_status(c, cli_kinds[e->kind].method, req,
	                     cli_kinds[e->kind].resp, &resp, &st);
	if (resp)
		protobuf_c_message_free_unpacked(resp, NULL);
	if (rc == CLI_EXIT_OK) {
		printf("registered\n");
	} else if (st.code == CLI_CODE_ALREADY_EXISTS) {
		printf("already exists\n");
		*existed = 1;
		rc = CLI_EXIT_OK;
	} else {
		printf("failed (%s)\n", keel_client_code_name(st.code));
		cli_error("%s: %s %s version %s: %s (%s)", e->where,
		          cli_entity_what(e->kind), name, version, st.message,
		          keel_client_code_name(st.code));
	}
	return rc;
}

int cli_register_files(struct cli_ctx *c, const struct cli_args *a)
{
	struct cli_reg r = {NULL, 0, 0, 0, a};
	size_t i, nok = 0, nexist = 0, nfail = 0, ntried = 0;
	int w1 = 4, w2 = 4, w3 = 7, rc = CLI_EXIT_OK, one, existed;

	if (!a->o.project || !*a->o.project)
		return cli_usage_error(a, "which project? give -p PROJECT");
	if (!a->o.domain || !*a->o.domain)
		return cli_usage_error(a, "which domain? give -d DOMAIN");
	if (a->o.ent_version && !*a->o.ent_version)
		return cli_usage_error(a, "--version cannot be empty");

	for (i = 0; i < a->npos; i++)
		cli_reg_path(&r, a->pos[i]);
	if (r.bad && !a->o.continue_on_error) {
		fprintf(stderr,
		        "Nothing was registered: %zu input%s could not be "
		        "used (--continue-on-error registers the rest).\n",
		        r.bad, r.bad == 1 ? "" : "s");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (r.n == 0) {
		cli_error("nothing to register in the files given");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	qsort(r.v, r.n, sizeof *r.v, cli_entity_cmp);
	for (i = 0; i < r.n; i++) {
		const char *name, *version;

		cli_entity_id(&r.v[i], &name, &version);
		if ((int)strlen(cli_entity_what(r.v[i].kind)) > w1)
			w1 = (int)strlen(cli_entity_what(r.v[i].kind));
		if ((int)strlen(name) > w2)
			w2 = (int)strlen(name);
		if ((int)strlen(version) > w3)
			w3 = (int)strlen(version);
	}
	for (i = 0; i < r.n; i++) {
		ntried++;
		one = cli_reg_send(c, a, &r.v[i], w1, w2, w3, &existed);
		if (one == CLI_EXIT_OK) {
			if (existed)
				nexist++;
			else
				nok++;
			continue;
		}
		nfail++;
		rc = one;
		/* keeld gone or the endpoint wrong: nothing else will do */
		if (one == CLI_EXIT_UNREACHABLE || one == CLI_EXIT_USAGE ||
		    !a->o.continue_on_error)
			break;
	}
	if (a->o.dry_run)
		printf("Dry run: %zu entit%s checked, nothing registered.\n",
		       r.n, r.n == 1 ? "y" : "ies");
	else
		printf("%zu registered, %zu already existed, %zu failed%s", nok,
		       nexist, nfail, ntried < r.n ? "" : ".\n");
	if (!a->o.dry_run && ntried < r.n)
		printf(", %zu not tried (--continue-on-error goes on after a "
		       "failure).\n",
		       r.n - ntried);
	if (r.bad) {
		fprintf(stderr, "%zu input%s could not be used.\n", r.bad,
		        r.bad == 1 ? "" : "s");
		if (rc == CLI_EXIT_OK || rc == CLI_EXIT_SERVER)
			rc = CLI_EXIT_USAGE;
	}
out:
	cli_reg_free(&r);
	return rc;
}
