/*
 * cli_project.c -- keelctl get|create|update project, get domain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <keel/keel_client.h>

#include "cli.h"
#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/project.pb-c.h"

#define CLI_M_REGISTER "/flyteidl.service.AdminService/RegisterProject"
#define CLI_M_UPDATE   "/flyteidl.service.AdminService/UpdateProject"
#define CLI_M_GET      "/flyteidl.service.AdminService/GetProject"
#define CLI_M_LIST     "/flyteidl.service.AdminService/ListProjects"
#define CLI_M_DOMAINS  "/flyteidl.service.AdminService/GetDomains"

static char cli_empty[] = "";

static const char *cli_state_name(Flyteidl__Admin__Project__ProjectState s)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &flyteidl__admin__project__project_state__descriptor, (int)s);

	return v ? v->name : "UNKNOWN";
}

static const char *const cli_project_hdr[] = {"ID", "NAME", "DESCRIPTION",
                                              "STATE"};

static void cli_project_row(const ProtobufCMessage *m, const char **cells,
                            struct cli_strs *s)
{
	const Flyteidl__Admin__Project *p = (const Flyteidl__Admin__Project *)m;

	(void)s;
	cells[0] = p->id;
	cells[1] = p->name;
	cells[2] = p->description;
	cells[3] = cli_state_name(p->state);
}

static const struct cli_table cli_project_table = {cli_project_hdr, 4,
                                                   cli_project_row};

static const char *const cli_domain_hdr[] = {"ID", "NAME"};

static void cli_domain_row(const ProtobufCMessage *m, const char **cells,
                           struct cli_strs *s)
{
	const Flyteidl__Admin__Domain *d = (const Flyteidl__Admin__Domain *)m;

	(void)s;
	cells[0] = d->id;
	cells[1] = d->name;
}

static const struct cli_table cli_domain_table = {cli_domain_hdr, 2,
                                                  cli_domain_row};

static int cli_get_one_project(struct cli_ctx *c, const char *id)
{
	Flyteidl__Admin__ProjectGetRequest req =
	    FLYTEIDL__ADMIN__PROJECT_GET_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	int rc;

	req.id = (char *)id;
	rc = cli_call(c, CLI_M_GET, &req.base,
	              &flyteidl__admin__project__descriptor, &resp);
	if (rc)
		return rc;
	rc = cli_show(c, &cli_project_table, &resp, 1);
	protobuf_c_message_free_unpacked(resp, NULL);
	return rc;
}

int cli_get_project(struct cli_ctx *c, const struct cli_args *a)
{
	Flyteidl__Admin__ProjectListRequest req =
	    FLYTEIDL__ADMIN__PROJECT_LIST_REQUEST__INIT;
	struct cli_list l;
	struct cli_pages pg = {0};
	const char *id = a->npos ? a->pos[0] : NULL;
	int rc;

	if (id)
		return cli_get_one_project(c, id);
	rc = cli_list_init(&l, a, 1);
	if (rc)
		goto out;
	cli_list_apply(&l, &req.limit, &req.token, &req.filters, &req.sort_by);
	rc = cli_list_fetch(c, CLI_M_LIST, &req.base, &req.token, &l,
	                    &flyteidl__admin__projects__descriptor, "projects",
	                    &pg);
	if (rc == CLI_EXIT_OK)
		rc = cli_show(c, &cli_project_table, pg.items, pg.nitems);
out:
	cli_pages_free(&pg);
	cli_list_free(&l);
	return rc;
}

/* Labels from parallel key/value arrays; entries borrow the strings. */
struct cli_labels {
	Flyteidl__Admin__Labels msg;
	Flyteidl__Admin__Labels__ValuesEntry *e;
	Flyteidl__Admin__Labels__ValuesEntry **ep;
};

static int cli_labels_build(struct cli_labels *l, char **keys, char **vals,
                            size_t n)
{
	size_t i;

	flyteidl__admin__labels__init(&l->msg);
	l->e = calloc(n ? n : 1, sizeof *l->e);
	l->ep = calloc(n ? n : 1, sizeof *l->ep);
	if (!l->e || !l->ep)
		return -1;
	for (i = 0; i < n; i++) {
		flyteidl__admin__labels__values_entry__init(&l->e[i]);
		l->e[i].key = keys[i];
		l->e[i].value = vals[i];
		l->ep[i] = &l->e[i];
	}
	l->msg.n_values = n;
	l->msg.values = l->ep;
	return 0;
}

static void cli_labels_free(struct cli_labels *l)
{
	free(l->e);
	free(l->ep);
}

int cli_create_project(struct cli_ctx *c, const struct cli_args *a)
{
	Flyteidl__Admin__ProjectRegisterRequest req =
	    FLYTEIDL__ADMIN__PROJECT_REGISTER_REQUEST__INIT;
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
	struct cli_projfile pf;
	struct cli_labels labels = {0};
	ProtobufCMessage *resp = NULL;
	char **fk = NULL, **fv = NULL, **keys = NULL, **vals = NULL;
	size_t fn = 0, nl = 0, n, i, j;
	char err[512];
	int rc;

	memset(&pf, 0, sizeof pf);
	if (a->o.file && cli_projfile_read(a->o.file, &pf, err, sizeof err) < 0)
		return cli_usage_error(a, "%s", err);
	if (cli_parse_labels(&a->o.labels, &fk, &fv, &fn, err, sizeof err) <
	    0) {
		rc = cli_usage_error(a, "%s", err);
		goto out;
	}
	/* flags override the file */
	p.id = a->o.id ? (char *)a->o.id : pf.id;
	p.name = a->o.name ? (char *)a->o.name : pf.name;
	p.description =
	    a->o.description ? (char *)a->o.description : pf.description;
	if (!p.id || !*p.id) {
		rc = cli_usage_error(a, "project ID is required: give --id or "
		                        "id: in --file");
		goto out;
	}
	if (!p.name || !*p.name) {
		rc = cli_usage_error(a, "project name is required: give --name "
		                        "or name: in --file");
		goto out;
	}
	if (!p.description)
		p.description = cli_empty;

	/* labels: the file's, then --labels replacing equal keys */
	n = pf.nlabels + fn;
	if (n) {
		keys = calloc(n, sizeof *keys);
		vals = calloc(n, sizeof *vals);
		if (!keys || !vals)
			goto nomem;
		for (i = 0; i < pf.nlabels; i++) {
			keys[nl] = pf.keys[i];
			vals[nl++] = pf.vals[i];
		}
		for (i = 0; i < fn; i++) {
			for (j = 0; j < nl && strcmp(keys[j], fk[i]); j++)
				;
			keys[j] = fk[i];
			vals[j] = fv[i];
			if (j == nl)
				nl++;
		}
		if (cli_labels_build(&labels, keys, vals, nl) < 0)
			goto nomem;
		p.labels = &labels.msg;
	}
	req.project = &p;
	rc = cli_call(c, CLI_M_REGISTER, &req.base,
	              &flyteidl__admin__project_register_response__descriptor,
	              &resp);
	if (rc)
		goto out;
	printf("project %s registered\n", p.id);
	goto out;
nomem:
	cli_error("out of memory");
	rc = CLI_EXIT_SERVER;
out:
	if (resp)
		protobuf_c_message_free_unpacked(resp, NULL);
	cli_labels_free(&labels);
	free(keys);
	free(vals);
	cli_free_strv(fk, fn);
	cli_free_strv(fv, fn);
	cli_projfile_free(&pf);
	return rc;
}

int cli_update_project(struct cli_ctx *c, const struct cli_args *a)
{
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
	Flyteidl__Admin__ProjectGetRequest greq =
	    FLYTEIDL__ADMIN__PROJECT_GET_REQUEST__INIT;
	struct cli_labels labels = {0};
	ProtobufCMessage *resp = NULL, *cur = NULL;
	char **keys = NULL, **vals = NULL, err[512];
	const char *id = a->npos ? a->pos[0] : a->o.id ? a->o.id : a->o.project;
	const char *what;
	size_t nl = 0;
	int rc;

	if (!id || !*id)
		return cli_usage_error(a, "which project? give its ID "
		                          "(keelctl update project ID ...)");
	if (a->npos && a->o.id && strcmp(a->o.id, a->pos[0]) != 0)
		return cli_usage_error(a,
		                       "two different project IDs given: "
		                       "\"%s\" and --id \"%s\"",
		                       a->pos[0], a->o.id);
	if (a->o.archive && a->o.activate)
		return cli_usage_error(a, "--archive and --activate cannot be "
		                          "used together");
	if (!a->o.archive && !a->o.activate && !a->o.name &&
	    !a->o.description && a->o.labels.n == 0)
		return cli_usage_error(a, "nothing to update: give --archive, "
		                          "--activate, --name, --description "
		                          "or --labels");
	if (cli_parse_labels(&a->o.labels, &keys, &vals, &nl, err, sizeof err) <
	    0)
		return cli_usage_error(a, "%s", err);

	p.id = (char *)id;
	if (a->o.archive) {
		p.state = FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ARCHIVED;
		what = "archived";
	} else if (a->o.activate) {
		p.state = FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ACTIVE;
		what = "activated";
	} else {
		/* UpdateProject always writes the state: keep the current */
		greq.id = (char *)id;
		rc = cli_call(c, CLI_M_GET, &greq.base,
		              &flyteidl__admin__project__descriptor, &cur);
		if (rc)
			goto out;
		p.state = ((Flyteidl__Admin__Project *)cur)->state;
		what = "updated";
	}
	if (a->o.name)
		p.name = (char *)a->o.name;
	if (a->o.description)
		p.description = (char *)a->o.description;
	if (nl) {
		if (cli_labels_build(&labels, keys, vals, nl) < 0) {
			cli_error("out of memory");
			rc = CLI_EXIT_SERVER;
			goto out;
		}
		p.labels = &labels.msg;
	}
	rc = cli_call(c, CLI_M_UPDATE, &p.base,
	              &flyteidl__admin__project_update_response__descriptor,
	              &resp);
	if (rc)
		goto out;
	printf("project %s %s\n", id, what);
out:
	if (resp)
		protobuf_c_message_free_unpacked(resp, NULL);
	if (cur)
		protobuf_c_message_free_unpacked(cur, NULL);
	cli_labels_free(&labels);
	cli_free_strv(keys, nl);
	cli_free_strv(vals, nl);
	return rc;
}

int cli_get_domain(struct cli_ctx *c, const struct cli_args *a)
{
	Flyteidl__Admin__GetDomainRequest req =
	    FLYTEIDL__ADMIN__GET_DOMAIN_REQUEST__INIT;
	Flyteidl__Admin__GetDomainsResponse *r;
	ProtobufCMessage *resp = NULL;
	int rc;

	(void)a;
	rc =
	    cli_call(c, CLI_M_DOMAINS, &req.base,
	             &flyteidl__admin__get_domains_response__descriptor, &resp);
	if (rc)
		return rc;
	r = (Flyteidl__Admin__GetDomainsResponse *)resp;
	rc = cli_show(c, &cli_domain_table,
	              (ProtobufCMessage *const *)r->domains, r->n_domains);
	protobuf_c_message_free_unpacked(resp, NULL);
	return rc;
}
