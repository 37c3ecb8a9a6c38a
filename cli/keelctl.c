/*
 * keelctl.c -- Keel's command line client, shaped like flytectl:
 * `keelctl [flags] <verb> <noun> [args] [flags]`.
 *
 * It talks to keeld's internal API (nng REQ/REP, libkeelclient) with
 * flyteidl's own request and response messages.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/keel_client.h>

#include "cli.h"
#include "flyteidl/admin/version.pb-c.h"

#define CLI_DEFAULT_ENDPOINT "ipc://" KEEL_LOCALSTATEDIR "/lib/keel/keeld.sock"
#define CLI_OPT(f) offsetof(struct cli_opts, f)

static int cli_version(struct cli_ctx *c, const struct cli_args *a);

static const struct cli_flag cli_no_flags[] = {
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

/* The --filter.* and --all flags of every `get` that lists (cli_list.c). */
/* clang-format off */
#define CLI_LIST_FLAGS(limit_help)                                      \
	{"filter.limit", 0, CLI_FLAG_STR, CLI_OPT(limit), "N", limit_help}, \
	{"filter.page", 0, CLI_FLAG_STR, CLI_OPT(page), "N",                \
	 "page number, from 1 (default 1)"},                                \
	{"filter.sortBy", 0, CLI_FLAG_STR, CLI_OPT(sort_by), "KEY",         \
	 "sort by this column (default: keeld's order)"},                   \
	{"filter.asc", 0, CLI_FLAG_BOOL, CLI_OPT(asc), NULL,                \
	 "sort ascending (with --filter.sortBy; default descending)"},      \
	{"filter.fieldSelector", 0, CLI_FLAG_STR, CLI_OPT(field_selector),  \
	 "SEL",                                                             \
	 "filter, e.g. \"name=foo\" or admin syntax \"eq(name,foo)\""},     \
	{"all", 0, CLI_FLAG_BOOL, CLI_OPT(all), NULL,                       \
	 "fetch every page, not just one"}
/* clang-format on */

static const struct cli_flag cli_get_project_flags[] = {
    CLI_LIST_FLAGS("page size (default 100; 0: everything)"),
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_flag cli_get_entity_flags[] = {
    CLI_LIST_FLAGS("page size (default 100)"),
    {"version", 0, CLI_FLAG_STR, CLI_OPT(ent_version), "V",
     "this version of NAME (GetTask, GetWorkflow, GetLaunchPlan)"},
    {"latest", 0, CLI_FLAG_BOOL, CLI_OPT(latest), NULL,
     "the newest version of NAME"},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_flag cli_register_files_flags[] = {
    {"version", 0, CLI_FLAG_STR, CLI_OPT(ent_version), "V",
     "version for ids whose version is empty or {{ registration.version }}"},
    {"continue-on-error", 0, CLI_FLAG_BOOL, CLI_OPT(continue_on_error), NULL,
     "go on after a file or entity fails"},
    {"continueOnError", 0, CLI_FLAG_BOOL, CLI_OPT(continue_on_error), NULL,
     "flytectl's name of --continue-on-error"},
    {"dry-run", 0, CLI_FLAG_BOOL, CLI_OPT(dry_run), NULL,
     "read, check and list everything, register nothing"},
    {"dryRun", 0, CLI_FLAG_BOOL, CLI_OPT(dry_run), NULL,
     "flytectl's name of --dry-run"},
    {"archive", 0, CLI_FLAG_BOOL, CLI_OPT(archive), NULL,
     "every FILE is an archive (keelctl tells by the name anyway)"},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_flag cli_update_launchplan_flags[] = {
    {"version", 0, CLI_FLAG_STR, CLI_OPT(ent_version), "V",
     "the launch plan's version (required)"},
    {"activate", 0, CLI_FLAG_BOOL, CLI_OPT(activate), NULL,
     "make this version the active one (its schedule runs)"},
    {"deactivate", 0, CLI_FLAG_BOOL, CLI_OPT(deactivate), NULL,
     "deactivate this version"},
    {"archive", 0, CLI_FLAG_BOOL, CLI_OPT(archive), NULL,
     "older flytectl's name of --deactivate"},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_flag cli_create_project_flags[] = {
    {"id", 0, CLI_FLAG_STR, CLI_OPT(id), "ID",
     "project ID: lowercase letters, digits and '-'"},
    {"name", 0, CLI_FLAG_STR, CLI_OPT(name), "NAME", "display name"},
    {"description", 0, CLI_FLAG_STR, CLI_OPT(description), "TEXT",
     "description"},
    {"labels", 0, CLI_FLAG_LIST, CLI_OPT(labels), "K=V,...",
     "labels (repeatable)"},
    {"file", 0, CLI_FLAG_STR, CLI_OPT(file), "FILE",
     "YAML file with id, name, description, labels ('-': stdin)"},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_flag cli_update_project_flags[] = {
    {"archive", 0, CLI_FLAG_BOOL, CLI_OPT(archive), NULL,
     "archive the project"},
    {"activate", 0, CLI_FLAG_BOOL, CLI_OPT(activate), NULL,
     "activate an archived project"},
    {"id", 0, CLI_FLAG_STR, CLI_OPT(id), "ID",
     "project ID (instead of the argument)"},
    {"name", 0, CLI_FLAG_STR, CLI_OPT(name), "NAME", "new display name"},
    {"description", 0, CLI_FLAG_STR, CLI_OPT(description), "TEXT",
     "new description"},
    {"labels", 0, CLI_FLAG_LIST, CLI_OPT(labels), "K=V,...",
     "new labels (repeatable)"},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_flag cli_create_execution_flags[] = {
    {"launchplan", 0, CLI_FLAG_STR, CLI_OPT(launchplan), "NAME",
     "launch this launch plan (its active version unless --version)"},
    {"task", 0, CLI_FLAG_STR, CLI_OPT(task), "NAME",
     "launch this task alone (its newest version unless --version)"},
    {"version", 0, CLI_FLAG_STR, CLI_OPT(ent_version), "V",
     "the launch plan's or task's version"},
    {"name", 0, CLI_FLAG_STR, CLI_OPT(name), "NAME",
     "the execution's name (default: keeld picks one)"},
    {"input", 0, CLI_FLAG_LIST, CLI_OPT(inputs), "NAME=VALUE",
     "an input, read as its declared type (repeatable)"},
    {"cluster-label", 0, CLI_FLAG_STR, CLI_OPT(cluster_label), "LABEL",
     "the execution cluster label (where it runs)"},
    {"wait", 0, CLI_FLAG_BOOL, CLI_OPT(wait), NULL,
     "follow the execution until it ends (exit 0 only if SUCCEEDED)"},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_flag cli_get_execution_flags[] = {
    CLI_LIST_FLAGS("page size (default 100)"),
    {"wait", 0, CLI_FLAG_BOOL, CLI_OPT(wait), NULL,
     "follow NAME until it ends (exit 0 only if SUCCEEDED)"},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_flag cli_delete_execution_flags[] = {
    {"cause", 0, CLI_FLAG_STR, CLI_OPT(cause), "TEXT",
     "why it is terminated (kept with the execution)"},
    {NULL, 0, CLI_FLAG_BOOL, 0, NULL, NULL},
};

static const struct cli_cmd cli_cmds[] = {
    {"get", "project", "projects", "[ID]", 0, 1, cli_get_project_flags,
     cli_get_project, "Show one project, or list them",
     "Without ID, lists the projects that are not archived, sorted by id\n"
     "(archived ones too when a --filter.fieldSelector is given).\n\n"
     "Examples:\n"
     "  keelctl get project\n"
     "  keelctl get project flytesnacks -o yaml\n"
     "  keelctl get project --filter.limit 10 --filter.page 2\n"
     "  keelctl get project --filter.fieldSelector \"project.name=foo\"\n"
     "  keelctl get project --all -o json\n"},
    {"get", "domain", "domains", NULL, 0, 0, cli_no_flags, cli_get_domain,
     "List the domains every project has", NULL},
    {"get", "task", "tasks", "[NAME]", 0, 1, cli_get_entity_flags, cli_get_task,
     "List task names, or show a task's versions",
     "Without NAME, lists the task names of the project and domain\n"
     "(ListNamedEntities); with NAME, its versions, newest first (ListTasks);\n"
     "with --version, that one (GetTask); with --latest, the newest.\n\n"
     "Examples:\n"
     "  keelctl get task -p flytesnacks -d development\n"
     "  keelctl get task -p flytesnacks -d development core.basic.hello\n"
     "  keelctl get task -p flytesnacks -d development core.basic.hello \\\n"
     "      --version v2 -o yaml\n"
     "  keelctl get task -p flytesnacks -d development core.basic.hello "
     "--latest\n"
     "  keelctl get task -p flytesnacks -d development core.basic.hello \\\n"
     "      --filter.fieldSelector \"task.version=v1\" --filter.limit 5\n"},
    {"get", "workflow", "workflows", "[NAME]", 0, 1, cli_get_entity_flags,
     cli_get_workflow, "List workflow names, or show a workflow's versions",
     "Without NAME, lists the workflow names (ListNamedEntities); with "
     "NAME,\nits versions, newest first (ListWorkflows); with --version, "
     "that one\n(GetWorkflow); with --latest, the newest.\n\n"
     "Examples:\n"
     "  keelctl get workflow -p flytesnacks -d development\n"
     "  keelctl get workflow -p flytesnacks -d development core.basic.wf "
     "--latest\n"},
    {"get", "launchplan", "launchplans", "[NAME]", 0, 1, cli_get_entity_flags,
     cli_get_launchplan,
     "List launch plan names, or show a launch plan's versions",
     "Without NAME, lists the launch plan names (ListNamedEntities); with\n"
     "NAME, its versions, newest first (ListLaunchPlans); with --version,\n"
     "that one (GetLaunchPlan); with --latest, the newest.\n\n"
     "Examples:\n"
     "  keelctl get launchplan -p flytesnacks -d development\n"
     "  keelctl get launchplan -p flytesnacks -d development core.basic.wf "
     "\\\n      --version v1 -o json\n"},
    {"get", "execution", "executions", "[NAME]", 0, 1, cli_get_execution_flags,
     cli_get_execution, "List executions, or show one with its nodes",
     "Without NAME, lists the executions of the project and domain, newest\n"
     "first (ListExecutions).  With NAME, the execution, the tree of its\n"
     "node executions (children of subworkflow and dynamic nodes indented\n"
     "under their parent, by their node ids, e.g. n1-0-n0) with phase,\n"
     "duration, task attempts and the last attempt's error, then its\n"
     "outputs or error.  -o json|yaml print the execution message.\n"
     "--wait follows NAME as `create execution --wait` does.\n\n"
     "Examples:\n"
     "  keelctl get execution -p flytesnacks -d development\n"
     "  keelctl get execution -p flytesnacks -d development f3a9c2e1b\n"
     "  keelctl get execution -p flytesnacks -d development f3a9c2e1b "
     "--wait\n"
     "  keelctl get execution -p flytesnacks -d development \\\n"
     "      --filter.fieldSelector \"phase=FAILED\" -o yaml\n"},
    {"create", "project", "projects", NULL, 0, 0, cli_create_project_flags,
     cli_create_project, "Register a project",
     "Examples:\n"
     "  keelctl create project --id flytesnacks --name \"Flyte Snacks\" \\\n"
     "      --description \"the snacks\" --labels team=ml,env=dev\n"
     "  keelctl create project --file project.yaml\n\n"
     "project.yaml (flytectl's format; flags override its values):\n"
     "  id: flytesnacks\n"
     "  name: Flyte Snacks\n"
     "  description: the snacks\n"
     "  labels:\n"
     "    values:\n"
     "      team: ml\n"},
    {"create", "execution", "executions", NULL, 0, 0,
     cli_create_execution_flags, cli_create_execution,
     "Launch a launch plan or a task",
     "Launches --launchplan NAME (its active version, or --version) or\n"
     "--task NAME (its newest version, or --version) and prints the\n"
     "execution's name (-o json|yaml: its id).  Each --input NAME=VALUE is\n"
     "read as the type the launch plan or task declares: integers, floats,\n"
     "strings, booleans (true/false), datetimes (RFC 3339), durations\n"
     "(1m30s), blobs (a URI); inputs not given take their defaults, and\n"
     "keeld names a required one that is missing.\n\n"
     "--wait follows the execution until it ends: a line each time a node\n"
     "changes phase (time since the execution was created, node id and\n"
     "name, phase, and its duration once done), then the execution's\n"
     "phase and duration and its outputs or error.  The exit status is 0\n"
     "when it SUCCEEDED and 1 otherwise.  -o json|yaml print only the\n"
     "final execution.\n\n"
     "Examples:\n"
     "  keelctl create execution -p flytesnacks -d development \\\n"
     "      --launchplan core.basic.wf --input n=3 --input name=world\n"
     "  keelctl create execution -p flytesnacks -d development \\\n"
     "      --task core.basic.square --version v2 --input x=4 --wait\n"},
    {"update", "project", "projects", "ID", 0, 1, cli_update_project_flags,
     cli_update_project, "Archive, activate or change a project",
     "Examples:\n"
     "  keelctl update project flytesnacks --archive\n"
     "  keelctl update project flytesnacks --activate\n"
     "  keelctl update project flytesnacks --description \"new text\"\n"},
    {"update", "launchplan", "launchplans", "NAME", 1, 1,
     cli_update_launchplan_flags, cli_update_launchplan,
     "Activate or deactivate a launch plan version",
     "Examples:\n"
     "  keelctl update launchplan -p flytesnacks -d development "
     "core.basic.wf \\\n      --version v1 --activate\n"
     "  keelctl update launchplan -p flytesnacks -d development "
     "core.basic.wf \\\n      --version v1 --deactivate\n"},
    {"register", "files", "file", "FILE...", 1, (size_t)-1,
     cli_register_files_flags, cli_register_files,
     "Register tasks, workflows and launch plans from serialized files",
     "Each FILE is an archive written by `pyflyte package` (.tgz, .tar.gz or\n"
     ".tar), a serialized entity (.pb) or the same message in proto3 JSON\n"
     "(.json).  Archive members and files named *_1 are admin.TaskSpec, *_2\n"
     "admin.WorkflowSpec and *_3 admin.LaunchPlan; other names are tried in\n"
     "that order.  Ids and the references in workflows and launch plans\n"
     "whose project or domain is empty or {{ registration.project }} /\n"
     "{{ registration.domain }} get -p and -d, and those whose version is\n"
     "empty or {{ registration.version }} get --version, as with flytectl.\n"
     "Tasks are registered first, then workflows, then launch plans, one\n"
     "line each; an entity that already exists with the same content counts\n"
     "as registered (\"already exists\").  Every file is read and checked\n"
     "before anything is sent; the first failure stops the rest unless\n"
     "--continue-on-error.  .tgz and .tar.gz are read through `gzip -dc`,\n"
     "so gzip must be on PATH.\n\n"
     "Exit status: 0 all registered or already there, 1 keeld refused one,\n"
     "2 a file could not be used, 3 keeld cannot be reached.\n\n"
     "Examples:\n"
     "  keelctl register files flyte-package.tgz -p flytesnacks "
     "-d development \\\n      --version v1\n"
     "  keelctl register files _pb_output/* -p flytesnacks -d development "
     "\\\n      --version v2 --continue-on-error\n"
     "  keelctl register files task.json -p flytesnacks -d development "
     "\\\n      --version v1 --dry-run\n"},
    {"delete", "execution", "executions", "NAME...", 1, (size_t)-1,
     cli_delete_execution_flags, cli_delete_execution, "Terminate executions",
     "Asks keeld to terminate each NAME (TerminateExecution), as flytectl's\n"
     "`delete execution` does: it becomes ABORTING until its data plane\n"
     "stops it, then ABORTED.\n\n"
     "Examples:\n"
     "  keelctl delete execution -p flytesnacks -d development f3a9c2e1b\n"
     "  keelctl delete execution -p flytesnacks -d development f3a9c2e1b "
     "\\\n      --cause \"wrong inputs\"\n"},
    {"version", NULL, NULL, NULL, 0, 0, cli_no_flags, cli_version,
     "Print keelctl's and keeld's versions", NULL},
};

#define CLI_NCMDS (sizeof cli_cmds / sizeof cli_cmds[0])

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const struct cli_args *a, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (a && a->cmd)
		fprintf(stderr, "\nRun 'keelctl %s%s%s --help' for usage.\n",
		        a->cmd->verb, a->cmd->noun ? " " : "",
		        a->cmd->noun ? a->cmd->noun : "");
	else if (a && a->verb)
		fprintf(stderr, "\nRun 'keelctl %s --help' for usage.\n",
		        a->verb);
	else
		fputs("\nRun 'keelctl --help' for usage.\n", stderr);
	return CLI_EXIT_USAGE;
}

int cli_call_status(struct cli_ctx *c, const char *method,
                    const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *resp_desc,
                    ProtobufCMessage **resp, struct cli_status *st)
{
	static const uint8_t none[1];
	struct keel_client_call_opts co = {0};
	struct keel_client_reply r;
	struct cli_status dummy;
	uint8_t *buf;
	size_t len;
	int rc;

	if (!st)
		st = &dummy;
	st->code = 0;
	st->message[0] = '\0';
	*resp = NULL;
	if (!c->client) {
		rc = keel_client_open(c->endpoint, &c->client, st->message,
		                      sizeof st->message);
		if (rc) {
			st->code = rc;
			return rc == 3 ? CLI_EXIT_USAGE : CLI_EXIT_SERVER;
		}
	}
	len = protobuf_c_message_get_packed_size(req);
	buf = malloc(len ? len : 1);
	if (!buf) {
		st->code = 8; /* RESOURCE_EXHAUSTED */
		snprintf(st->message, sizeof st->message, "out of memory");
		return CLI_EXIT_SERVER;
	}
	protobuf_c_message_pack(req, buf);
	co.timeout_ms = c->timeout_ms;
	keel_client_call(c->client, method, buf, len, &co, &r);
	free(buf);
	if (r.code != 0) {
		st->code = r.code;
		snprintf(st->message, sizeof st->message, "%s",
		         *r.message ? r.message : "request failed");
		/* UNAVAILABLE from the client library itself: keeld was
		 * not reached (keeld's own UNAVAILABLE is a server error). */
		rc = r.local && r.code == 14 ? CLI_EXIT_UNREACHABLE
		                             : CLI_EXIT_SERVER;
		keel_client_reply_free(&r);
		return rc;
	}
	*resp = protobuf_c_message_unpack(resp_desc, NULL, r.payload_len,
	                                  r.payload ? r.payload : none);
	keel_client_reply_free(&r);
	if (!*resp) {
		st->code = 13; /* INTERNAL */
		snprintf(st->message, sizeof st->message,
		         "cannot decode the %s keeld sent", resp_desc->name);
		return CLI_EXIT_SERVER;
	}
	return CLI_EXIT_OK;
}

int cli_call(struct cli_ctx *c, const char *method, const ProtobufCMessage *req,
             const ProtobufCMessageDescriptor *resp_desc,
             ProtobufCMessage **resp)
{
	struct cli_status st;
	int rc = cli_call_status(c, method, req, resp_desc, resp, &st);

	if (rc)
		cli_error("%s (%s)", st.message,
		          keel_client_code_name(st.code));
	return rc;
}

int cli_show(struct cli_ctx *c, const struct cli_table *t,
             ProtobufCMessage *const *ms, size_t n)
{
	if (cli_print_rows(stdout, c->output, t, ms, n) < 0) {
		cli_error("cannot print the result: %s", strerror(errno));
		return CLI_EXIT_SERVER;
	}
	return CLI_EXIT_OK;
}

static int cli_version(struct cli_ctx *c, const struct cli_args *a)
{
	Flyteidl__Admin__GetVersionRequest req =
	    FLYTEIDL__ADMIN__GET_VERSION_REQUEST__INIT;
	Flyteidl__Admin__GetVersionResponse *v;
	ProtobufCMessage *resp = NULL;
	const ProtobufCMessage *const *one;
	int rc;

	(void)a;
	if (c->output == CLI_OUT_TABLE) {
		printf("keelctl: %s\n", PACKAGE_VERSION);
		fflush(stdout);
	}
	rc =
	    cli_call(c, "/flyteidl.service.AdminService/GetVersion", &req.base,
	             &flyteidl__admin__get_version_response__descriptor, &resp);
	if (rc)
		return rc;
	v = (Flyteidl__Admin__GetVersionResponse *)resp;
	if (c->output == CLI_OUT_TABLE) {
		const Flyteidl__Admin__Version *cp = v->control_plane_version;

		printf("Version: %s\nBuild: %s\nBuildTime: %s\n",
		       cp && cp->version ? cp->version : "",
		       cp && cp->build ? cp->build : "",
		       cp && cp->buildtime ? cp->buildtime : "");
	} else {
		one = (const ProtobufCMessage *const *)&resp;
		if (cli_print_messages(stdout, c->output, one, 1, 0) < 0) {
			cli_error("cannot print the result");
			rc = CLI_EXIT_SERVER;
		}
	}
	protobuf_c_message_free_unpacked(resp, NULL);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli_args a;
	struct cli_ctx ctx = {0};
	const char *env;
	char err[512];
	size_t n;
	int rc;

	rc = cli_parse(argc, argv, cli_cmds, CLI_NCMDS, &a, err, sizeof err);
	if (rc) {
		cli_usage_error(&a, "%s", err);
		goto out;
	}
	if (a.o.version) {
		printf("keelctl %s\n", PACKAGE_VERSION);
		goto out;
	}
	if (a.o.help) {
		cli_print_help(stdout, cli_cmds, CLI_NCMDS, a.verb, a.cmd);
		goto out;
	}
	if (!a.verb) {
		cli_print_help(stderr, cli_cmds, CLI_NCMDS, NULL, NULL);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!a.cmd) {
		cli_print_help(stderr, cli_cmds, CLI_NCMDS, a.verb, NULL);
		rc = cli_usage_error(&a, "\"keelctl %s\" needs a resource",
		                     a.verb);
		goto out;
	}
	n = a.npos;
	if (n < a.cmd->min_args || n > a.cmd->max_args) {
		if (n < a.cmd->min_args)
			rc = cli_usage_error(&a, "missing argument: %s",
			                     a.cmd->args ? a.cmd->args : "");
		else if (a.cmd->max_args == 0)
			rc = cli_usage_error(&a, "unexpected argument \"%s\"",
			                     a.pos[0]);
		else
			rc = cli_usage_error(&a, "too many arguments: \"%s\"",
			                     a.pos[a.cmd->max_args]);
		goto out;
	}
	if (cli_parse_output(a.o.output, &ctx.output) < 0) {
		rc = cli_usage_error(&a,
		                     "invalid argument \"%s\" for \"-o, "
		                     "--output\" flag: valid values are TABLE, "
		                     "JSON, YAML",
		                     a.o.output);
		goto out;
	}
	ctx.timeout_ms = KEEL_CLIENT_DEFAULT_TIMEOUT_MS;
	if (a.o.timeout &&
	    (cli_parse_duration_ms(a.o.timeout, &ctx.timeout_ms) < 0 ||
	     ctx.timeout_ms <= 0)) {
		rc =
		    cli_usage_error(&a,
		                    "invalid argument \"%s\" for \"--timeout\" "
		                    "flag: want a positive duration such as "
		                    "30s, 1m30s or 500ms",
		                    a.o.timeout);
		goto out;
	}
	env = getenv("KEEL_ENDPOINT");
	ctx.endpoint = a.o.endpoint  ? a.o.endpoint
	               : env && *env ? env
	                             : CLI_DEFAULT_ENDPOINT;

	rc = a.cmd->run(&ctx, &a);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "Error: cannot write the output\n");
		if (!rc)
			rc = CLI_EXIT_SERVER;
	}
out:
	keel_client_close(ctx.client);
	cli_args_free(&a);
	return rc;
}
