/*
 * main.c -- keeld: command line, start-up, serving, shutdown.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keel/keel_blob.h>
#include <keel/keel_db.h>

#include "api_grpc.h"
#include "api_http.h"
#include "api_nng.h"
#include "audit.h"
#include "conf.h"
#include "daemon.h"
#include "dataplane.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "plugin.h"
#include "rest.h"
#include "rpc.h"
#include "svc.h"
#include "outbox.h"
#include "svc_exec.h"
#include "task_resources.h"
#include "util.h"
#include "validate.h"

#define MAIN_ERR 1024
/* Not an exit status: SIGTERM or SIGINT came while start-up waited for
 * the database; main() exits 0. */
#define MAIN_STOPPED (-1)

/* ------------------------------------------------------------------ */
/* Core configuration: declared like a plugin's, validated the same way */
/* ------------------------------------------------------------------ */

#define MAIN_KEY(n, t, f, d, h) {n, t, f, d, h, 0, 0}
#define MAIN_RANGE(n, t, d, lo, hi, h) {n, t, KEEL_CFG_F_RANGE, d, h, lo, hi}

static const struct keel_config_key main_keeld_schema[] = {
	MAIN_KEY("data_dir", KEEL_CFG_STR, 0, KEEL_LOCALSTATEDIR "/lib/keel",
	         "directory for the embedded database, local blobs and the API "
	         "socket"),
	MAIN_KEY("plugin_dir", KEEL_CFG_STR, 0, KEEL_PLUGINDIR,
	         "the only directory plugins are loaded from"),
	MAIN_RANGE("workers", KEEL_CFG_INT, "0", 0, 1024,
	           "request worker threads; 0 = 2 per CPU, at least 4"),
	MAIN_KEY("pid_file", KEEL_CFG_PATH, 0, NULL,
	         "write the process id here (relative: under data_dir)"),
	MAIN_RANGE("shutdown_timeout", KEEL_CFG_DURATION, "10s", 0,
	           3600000, "how long SIGTERM waits for requests in flight"),
	MAIN_RANGE("group_commit_max", KEEL_CFG_INT, "64", 1, 4096,
	           "most write transactions one commit of the embedded "
	           "database (SQLite) groups, each in its own savepoint; 1: "
	           "one commit per write"),
	MAIN_KEY("auto_migrate", KEEL_CFG_BOOL, 0, "true",
	         "apply pending schema migrations at start (else run "
	         "`keeld migrate`)"),
	MAIN_RANGE("db_pool", KEEL_CFG_INT, "0", 0, 4096,
	           "database connections; 0 = workers + 1"),
	MAIN_RANGE("db_start_wait", KEEL_CFG_DURATION, "2m", 0, 86400000,
	           "how long start-up retries an unreachable database; 0: "
	           "fail at once"),
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

static const struct keel_config_key main_log_schema[] = {
	MAIN_KEY("level", KEEL_CFG_STR, 0, "info", "error, warn, info or debug"),
	MAIN_KEY("format", KEEL_CFG_STR, 0, "text",
	         "text or json (one JSON object per line)"),
	MAIN_KEY("file", KEEL_CFG_STR, 0, "stderr",
	         "log file (reopened on SIGHUP), or stderr"),
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

static const struct keel_config_key main_api_schema[] = {
	MAIN_KEY("listen", KEEL_CFG_STR, 0, NULL,
	         "nng URL of the internal API; default ipc://DATA_DIR/keeld.sock"),
	MAIN_RANGE("max_message_size", KEEL_CFG_BYTES, "4MiB", 1024,
	           1024LL * 1024 * 1024,
	           "largest request or response payload (gRPC's default is "
	           "4MiB)"),
	MAIN_RANGE("request_memory", KEEL_CFG_BYTES, "64MiB", 1024 * 1024,
	           16LL * 1024 * 1024 * 1024,
	           "memory one request may use while it runs"),
	MAIN_RANGE("max_page_size", KEEL_CFG_INT, "1000", 1, 1000000,
	           "most rows one list call returns (a page token gives the "
	           "rest)"),
	MAIN_RANGE("listener_check_interval", KEEL_CFG_DURATION, "5s", 0,
	           3600000,
	           "how often an ipc listener is probed and replaced when "
	           "wedged (nng 1.5 bug); 0: never"),
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

static const struct keel_config_key main_grpc_schema[] = {
	MAIN_KEY("listen", KEEL_CFG_STR, 0, "127.0.0.1:8089",
	         "HOST:PORT for gRPC ([::]:8089 for every address), or off"),
	MAIN_RANGE("max_message_size", KEEL_CFG_BYTES, "4MiB", 1024,
	           1024LL * 1024 * 1024,
	           "largest request or response message; larger requests get "
	           "RESOURCE_EXHAUSTED"),
	MAIN_RANGE("max_metadata_size", KEEL_CFG_BYTES, "64KiB", 8192,
	           16 * 1024 * 1024,
	           "largest request metadata (headers), e.g. bearer tokens"),
	MAIN_KEY("tls_cert_file", KEEL_CFG_PATH, 0, NULL,
	         "PEM certificate chain; with tls_key_file, gRPC speaks TLS"),
	MAIN_KEY("tls_key_file", KEEL_CFG_PATH, 0, NULL,
	         "PEM private key for tls_cert_file"),
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

static const struct keel_config_key main_http_schema[] = {
	MAIN_KEY("listen", KEEL_CFG_STR, 0, "127.0.0.1:8088",
	         "HOST:PORT for the REST API and /healthcheck ([::]:8088 for "
	         "every address), or off"),
	MAIN_RANGE("max_body_size", KEEL_CFG_BYTES, "4MiB", 1024,
	           1024LL * 1024 * 1024,
	           "largest request body; larger ones get 413 before being "
	           "read"),
	MAIN_RANGE("body_timeout", KEEL_CFG_DURATION, "30s", 100, 3600000,
	           "time allowed to receive a request body (408 after)"),
	MAIN_RANGE("queue_size", KEEL_CFG_INT, "1024", 1, 1000000,
	           "requests waiting for a worker; beyond it new ones get 503"),
	MAIN_KEY("allow_cors", KEEL_CFG_BOOL, 0, "false",
	         "answer CORS requests from allowed_origins (browsers on "
	         "another origin, e.g. a separately served console)"),
	MAIN_KEY("allowed_origins", KEEL_CFG_STR, 0, "*",
	         "origins allowed with allow_cors, separated by commas or "
	         "spaces; * for any"),
	MAIN_KEY("allowed_headers", KEEL_CFG_STR, 0,
	         "Content-Type, flyte-authorization, authorization, "
	         "x-request-id",
	         "request headers a browser may send with allow_cors"),
	MAIN_RANGE("cors_max_age", KEEL_CFG_DURATION, "10m", 0, 86400000,
	           "how long a browser may cache a CORS preflight answer"),
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

static const struct keel_config_key main_registry_schema[] = {
	MAIN_KEY("task_cpu_limit", KEEL_CFG_STR, 0, "2",
	         "most CPU a task may request or limit (a Kubernetes "
	         "quantity); empty: no limit"),
	MAIN_KEY("task_memory_limit", KEEL_CFG_STR, 0, "1Gi",
	         "most memory a task may request or limit"),
	MAIN_KEY("task_gpu_limit", KEEL_CFG_STR, 0, "1",
	         "most GPUs a task may request"),
	MAIN_KEY("task_ephemeral_storage_limit", KEEL_CFG_STR, 0, "",
	         "most ephemeral storage a task may request or limit"),
	MAIN_KEY("task_types", KEEL_CFG_STR, 0, "",
	         "task types that may be registered, separated by commas or "
	         "spaces; empty: any"),
	MAIN_KEY("task_type_scopes", KEEL_CFG_STR, 0, "",
	         "task types limited to some projects, as Flyte Admin's "
	         "task_type_whitelist: type=project[/domain][;...], separated "
	         "by commas; types not listed may be used anywhere"),
	MAIN_RANGE("closure_inline_max", KEEL_CFG_BYTES, "256KiB", 0,
	           64LL * 1024 * 1024,
	           "closures (compiled tasks, workflows, launch plans) larger "
	           "than this are written to the blob store, their URI kept in "
	           "the database; 0 offloads every one"),
	MAIN_RANGE("max_workflow_nodes", KEEL_CFG_INT, "100", 1, 100000,
	           "most nodes a workflow (or subworkflow) template may have, "
	           "not counting those nested in branches"),
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

static const struct keel_config_key main_executions_schema[] = {
	MAIN_KEY("target", KEEL_CFG_STR, 0, "clusters",
	         "clusters: launch on [cluster.*] and their [executor.*] "
	         "(none configured: one local cluster); none: executions wait "
	         "in QUEUED for an outside data plane"),
	MAIN_KEY("cluster", KEEL_CFG_STR, 0, "",
	         "target = clusters: name of the implicit cluster when there "
	         "is no [cluster.*] section (empty: local); target = none: the "
	         "cluster recorded on new executions (empty: no check)"),
	MAIN_KEY("default_cluster_label", KEEL_CFG_STR, 0, "",
	         "execution cluster label used when neither the request nor "
	         "its launch plan names one (empty: every enabled cluster)"),
	MAIN_KEY("namespace_template", KEEL_CFG_STR, 0,
	         "{{ project }}-{{ domain }}",
	         "namespace an execution runs in"),
	MAIN_RANGE("max_parallelism", KEEL_CFG_INT, "25", 0, 1000000,
	           "nodes an execution runs at once when neither the request "
	           "nor its launch plan says"),
	MAIN_KEY("output_location_prefix", KEEL_CFG_STR, 0, "",
	         "raw output data prefix when neither the request nor its "
	         "launch plan sets one"),
	MAIN_RANGE("max_label_entries", KEEL_CFG_INT, "0", 0, 1000000,
	           "most labels an execution may carry; 0: no limit"),
	MAIN_RANGE("max_annotation_entries", KEEL_CFG_INT, "0", 0, 1000000,
	           "most annotations an execution may carry; 0: no limit"),
	MAIN_RANGE("inline_data_max", KEEL_CFG_BYTES, "2MiB", 0,
	           1024LL * 1024 * 1024,
	           "largest output an event may carry inline, and largest "
	           "inputs or outputs Get*Data returns whole; 0: no limit"),
	MAIN_RANGE("inputs_inline_max", KEEL_CFG_BYTES, "256KiB", 0,
	           64LL * 1024 * 1024,
	           "inputs up to this size are kept in the execution's row and "
	           "written to the blob store by the launch; larger ones are "
	           "written during CreateExecution"),
	MAIN_KEY("event_data", KEEL_CFG_STR, 0, "offload",
	         "inline outputs in events: offload (to the blob store) or "
	         "inline (kept in the row)"),
	MAIN_KEY("cloud_events", KEEL_CFG_BOOL, 0, "false",
	         "queue a cloud-event row of the outbox for every terminal "
	         "workflow event (for an event sink to publish)"),
	MAIN_KEY("signed_urls", KEEL_CFG_BOOL, 0, "false",
	         "Get*Data returns signed URLs to inputs and outputs (else the "
	         "objects' URIs)"),
	MAIN_RANGE("signed_url_ttl", KEEL_CFG_DURATION, "1h", 1000, 604800000,
	           "how long a signed URL stays valid"),
	MAIN_RANGE("outbox_workers", KEEL_CFG_INT, "2", 0, 256,
	           "threads that run launches, aborts and notifications; 0: "
	           "another keeld sharing the database does"),
	MAIN_RANGE("outbox_attempts", KEEL_CFG_INT, "8", 1, 1000,
	           "attempts before a side effect is dead (keeld outbox lists "
	           "them)"),
	MAIN_RANGE("outbox_backoff", KEEL_CFG_DURATION, "1s", 1, 3600000,
	           "delay before the first retry; doubles per attempt"),
	MAIN_RANGE("outbox_backoff_max", KEEL_CFG_DURATION, "5m", 1,
	           86400000, "longest delay between retries"),
	MAIN_RANGE("reconcile_interval", KEEL_CFG_DURATION, "1m", 0,
	           86400000,
	           "how often live executions are checked with their data "
	           "plane; one it has no record of is FAILED (0: never)"),
	MAIN_RANGE("outbox_lease", KEEL_CFG_DURATION, "1m", 1000, 86400000,
	           "how long a worker holds a side effect before another may "
	           "run it again"),
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

static const struct keel_config_key main_audit_schema[] = {
	MAIN_KEY("file", KEEL_CFG_PATH, 0, NULL,
	         "JSON-lines file for one record per mutating call (reopened "
	         "on SIGHUP); unset: records go to the log"),
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

static const struct {
	const char *name;
	const struct keel_config_key *schema;
	const char *about;
} main_sections[] = {
	{"keeld", main_keeld_schema, "the daemon"},
	{"log", main_log_schema, "logging"},
	{"api", main_api_schema, "the internal API (nng)"},
	{"grpc", main_grpc_schema, "the gRPC API (Flyte clients)"},
	{"http", main_http_schema,
	 "the REST API (grpc-gateway's URL map, console and curl)"},
	{"registry", main_registry_schema,
	 "the registry: policy for tasks, workflows and launch plans"},
	{"audit", main_audit_schema, "the audit trail"},
	{"executions", main_executions_schema,
	 "executions: launching, data and the side-effect outbox"},
};

/* Kinds with a plugin section, and the embedded default driver. */
static const struct {
	const char *section;
	uint32_t kind;
	const char *def_driver;
} main_kinds[] = {
	{"db", KEEL_KIND_DB, "sqlite"},
	{"blob", KEEL_KIND_BLOB, "local"},
};

static const char *const main_default_domains[] = {"development", "staging",
                                                   "production"};

/* ------------------------------------------------------------------ */

struct main_opts {
	const char *config;
	const char *data_dir;
	const char *plugin_dir;
	const char *listen;
	const char *grpc_listen;
	const char *http_listen;
	const char *log_level;
	const char *log_format;
	const char *pid_file;
	const char *plugin_info;
	const char *command; /* serve, migrate, check-config, ... */
	const char *subcommand;
	const char *arg; /* outbox retry ID */
};

struct main_state {
	struct conf *conf;
	struct keel_config *keeld, *log, *api, *grpc, *http, *audit, *registry;
	struct keel_config *executions;
	struct task_resource_limits task_limits;
	char data_dir[PATH_MAX];
	char plugin_dir[PATH_MAX];
	struct plugin *plugins[UTIL_ARRAY_LEN(main_kinds)];
	struct plugin_instance *inst[UTIL_ARRAY_LEN(main_kinds)];
	struct dp *dp; /* executors and clusters; NULL for target = none */
	struct db *db;
	struct svc svc;
	char err[MAIN_ERR];
};

static void main_usage(FILE *out)
{
	fprintf(out,
	        "Usage: keeld [OPTIONS] [COMMAND]\n"
	        "\n"
	        "Keel: a Flyte Admin-compatible control plane.\n"
	        "\n"
	        "Commands:\n"
	        "  serve              run the daemon (default)\n"
	        "  migrate [status]   apply pending schema migrations, or list them\n"
	        "  outbox [retry ID]  list queued side effects by kind and state and\n"
	        "                     the dead ones, or make dead row ID pending again\n"
	        "  check-config       validate the configuration and plugins, then exit\n"
	        "  config-template    print a documented keel.ini for the core and every\n"
	        "                     plugin in the plugin directory\n"
	        "  methods            list the API methods and whether they are implemented\n"
	        "\n"
	        "Options:\n"
	        "  -c, --config FILE       INI configuration (default: %s/keel/keel.ini\n"
	        "                          when it exists; otherwise built-in defaults)\n"
	        "  -D, --data-dir DIR      data directory ([keeld] data_dir)\n"
	        "      --plugin-dir DIR    plugin directory ([keeld] plugin_dir)\n"
	        "      --listen URL        internal API URL ([api] listen)\n"
	        "      --grpc-listen ADDR  gRPC HOST:PORT, or off ([grpc] listen)\n"
	        "      --http-listen ADDR  REST HOST:PORT, or off ([http] listen)\n"
	        "      --log-level LEVEL   error, warn, info, debug ([log] level)\n"
	        "      --log-format FMT    text or json ([log] format)\n"
	        "      --pid-file FILE     write the process id ([keeld] pid_file)\n"
	        "      --plugin-info FILE  print a plugin's descriptor and config schema\n"
	        "  -V, --version           print the version and plugin ABI\n"
	        "  -h, --help              this help\n"
	        "\n"
	        "Exit status: 0 ok, 64 usage, 69 backend unavailable, 70 internal error,\n"
	        "73 cannot create files, 78 configuration or plugin error.\n",
	        KEEL_SYSCONFDIR);
}

static int main_parse_args(int argc, char **argv, struct main_opts *o)
{
	enum {
		OPT_PLUGIN_DIR = 256,
		OPT_LISTEN,
		OPT_GRPC_LISTEN,
		OPT_HTTP_LISTEN,
		OPT_LOG_LEVEL,
		OPT_LOG_FORMAT,
		OPT_PID_FILE,
		OPT_PLUGIN_INFO,
	};
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"data-dir", required_argument, NULL, 'D'},
		{"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"grpc-listen", required_argument, NULL, OPT_GRPC_LISTEN},
		{"http-listen", required_argument, NULL, OPT_HTTP_LISTEN},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"plugin-info", required_argument, NULL, OPT_PLUGIN_INFO},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:D:Vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'D':
			o->data_dir = optarg;
			break;
		case OPT_PLUGIN_DIR:
			o->plugin_dir = optarg;
			break;
		case OPT_LISTEN:
			o->listen = optarg;
			break;
		case OPT_GRPC_LISTEN:
			o->grpc_listen = optarg;
			break;
		case OPT_HTTP_LISTEN:
			o->http_listen = optarg;
			break;
		case OPT_LOG_LEVEL:
			o->log_level = optarg;
			break;
		case OPT_LOG_FORMAT:
			o->log_format = optarg;
			break;
		case OPT_PID_FILE:
			o->pid_file = optarg;
			break;
		case OPT_PLUGIN_INFO:
			o->plugin_info = optarg;
			break;
		case 'V':
			printf("keeld %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
			       KEEL_ABI_MAJOR, KEEL_ABI_MINOR);
			exit(DAEMON_EXIT_OK);
		case 'h':
			main_usage(stdout);
			exit(DAEMON_EXIT_OK);
		default:
			fprintf(stderr, "Run 'keeld --help' for usage.\n");
			return -1;
		}
	}
	o->command = optind < argc ? argv[optind++] : "serve";
	o->subcommand = optind < argc ? argv[optind++] : NULL;
	if (o->subcommand != NULL && strcmp(o->command, "outbox") == 0)
		o->arg = optind < argc ? argv[optind++] : NULL;
	if (optind < argc) {
		fprintf(stderr, "keeld: unexpected argument '%s'\n",
		        argv[optind]);
		return -1;
	}
	return 0;
}

/* Section names the core knows: its own, the plugin kinds, [domains]. */
static int main_check_sections(const struct conf *c, char *err, size_t len)
{
	for (size_t i = 0; c && i < c->n; i++) {
		const char *name = c->sections[i]->name;
		int known = strcmp(name, "domains") == 0;
		for (size_t k = 0; k < UTIL_ARRAY_LEN(main_sections); k++)
			known |= strcmp(name, main_sections[k].name) == 0;
		for (size_t k = 0; k < UTIL_ARRAY_LEN(main_kinds); k++)
			known |= strcmp(name, main_kinds[k].section) == 0;
		known |= dp_is_section(name);
		if (!known) {
			util_fmt(err, len,
			         "%s:%d: unknown section [%s]; known sections: "
			         "keeld, log, api, grpc, http, registry, audit, "
			         "executions, domains, db, blob, executor.NAME, "
			         "cluster.NAME",
			         c->origin, c->sections[i]->line, name);
			return KEEL_EINVAL;
		}
	}
	return 0;
}

/* A section with command-line overrides applied on top of the file's. */
static struct conf_section *main_section(const struct conf *c,
                                         const char *name)
{
	const struct conf_section *src = conf_find(c, name);
	struct conf_section *s = conf_section_new(name);

	if (s == NULL)
		return NULL;
	if (src != NULL) {
		free(s->origin);
		s->origin = util_strdup(src->origin);
		s->line = src->line;
		for (size_t i = 0; i < src->n; i++) {
			if (conf_section_set(s, src->entries[i].key,
			                     src->entries[i].value) != 0) {
				conf_section_free(s);
				return NULL;
			}
			s->entries[s->n - 1].line = src->entries[i].line;
		}
	}
	return s;
}

/* Replace (or add) key in s: command-line options win over the file. */
static int main_override(struct conf_section *s, const char *key,
                         const char *value)
{
	if (value == NULL)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->entries[i].key, key) == 0) {
			char *v = util_strdup(value);
			if (v == NULL)
				return KEEL_ENOMEM;
			free(s->entries[i].value);
			s->entries[i].value = v;
			return 0;
		}
	}
	return conf_section_set(s, key, value);
}

static int main_bind(struct main_state *st, const char *name,
                     const struct keel_config_key *schema,
                     const char *const *ov_keys, const char *const *ov_vals,
                     size_t nov, struct keel_config **out)
{
	struct conf_section *s = main_section(st->conf, name);
	int rc;

	if (s == NULL)
		return KEEL_ENOMEM;
	for (size_t i = 0; i < nov; i++) {
		rc = main_override(s, ov_keys[i], ov_vals[i]);
		if (rc != 0) {
			conf_section_free(s);
			return rc;
		}
	}
	rc = conf_bind(s, st->conf ? st->conf->origin : "(command line)",
	               schema, sizeof(*schema), NULL, st->data_dir, out,
	               st->err, sizeof(st->err));
	conf_section_free(s);
	return rc;
}

static int main_domains(struct main_state *st)
{
	const struct conf_section *s = conf_find(st->conf, "domains");
	size_t n = s && s->n ? s->n : UTIL_ARRAY_LEN(main_default_domains);
	char why[256];

	st->svc.domains = calloc(n, sizeof(*st->svc.domains));
	if (st->svc.domains == NULL)
		return KEEL_ENOMEM;
	st->svc.ndomains = n;
	for (size_t i = 0; i < n; i++) {
		const char *id = s && s->n ? s->entries[i].key
		                           : main_default_domains[i];
		const char *name = s && s->n ? s->entries[i].value : id;
		if (!validate_dns1123_label(id, why, sizeof(why))) {
			util_fmt(st->err, sizeof(st->err),
			         "%s:%d: [domains] '%s' is not a valid domain id: "
			         "%s",
			         st->conf->origin, s->entries[i].line, id, why);
			return KEEL_EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(st->svc.domains[j].id, id) == 0) {
				util_fmt(st->err, sizeof(st->err),
				         "%s:%d: [domains] '%s' is listed twice",
				         st->conf->origin, s->entries[i].line,
				         id);
				return KEEL_EINVAL;
			}
		st->svc.domains[i].id = util_strdup(id);
		st->svc.domains[i].name = util_strdup(*name ? name : id);
		if (!st->svc.domains[i].id || !st->svc.domains[i].name)
			return KEEL_ENOMEM;
	}
	return 0;
}

/* Load the configuration and the core sections. */
/* [executions] into svc.exec. */
static int main_exec_config(struct main_state *st)
{
	struct svc_exec_cfg *x = &st->svc.exec;
	const char *ev = "offload";
	int64_t v;
	int b = 0;

	conf_str(st->executions, "target", &x->target);
	conf_str(st->executions, "cluster", &x->cluster);
	conf_str(st->executions, "namespace_template", &x->namespace_template);
	conf_str(st->executions, "output_location_prefix",
	         &x->output_location_prefix);
	conf_int(st->executions, "max_parallelism", &v);
	x->max_parallelism = (int32_t)v;
	conf_int(st->executions, "max_label_entries", &v);
	x->max_label_entries = (uint32_t)v;
	conf_int(st->executions, "max_annotation_entries", &v);
	x->max_annotation_entries = (uint32_t)v;
	conf_int(st->executions, "inline_data_max", &x->inline_data_max);
	conf_int(st->executions, "inputs_inline_max", &x->inputs_inline_max);
	conf_str(st->executions, "event_data", &ev);
	if (strcmp(ev, "offload") != 0 && strcmp(ev, "inline") != 0) {
		util_fmt(st->err, sizeof(st->err),
		         "[executions] event_data = '%s' is not one of offload, "
		         "inline",
		         ev);
		return KEEL_EINVAL;
	}
	x->event_data_inline = strcmp(ev, "inline") == 0;
	conf_bool(st->executions, "signed_urls", &b);
	x->signed_urls = b;
	b = 0;
	conf_bool(st->executions, "cloud_events", &b);
	x->cloud_events = b;
	conf_int(st->executions, "signed_url_ttl", &x->signed_url_ttl_ms);
	conf_int(st->executions, "outbox_workers", &v);
	x->outbox_workers = (unsigned)v;
	conf_int(st->executions, "outbox_attempts", &v);
	x->outbox_attempts = (unsigned)v;
	conf_int(st->executions, "outbox_backoff", &x->outbox_backoff_ms);
	conf_int(st->executions, "outbox_backoff_max",
	         &x->outbox_backoff_max_ms);
	conf_int(st->executions, "outbox_lease", &x->outbox_lease_ms);
	conf_int(st->executions, "reconcile_interval",
	         &x->reconcile_interval_ms);
	conf_str(st->executions, "default_cluster_label",
	         &x->default_cluster_label);
	if (x->target == NULL || (strcmp(x->target, "none") != 0 &&
	                          strcmp(x->target, "clusters") != 0)) {
		util_fmt(st->err, sizeof(st->err),
		         "[executions] target = '%s' is not one of clusters, none",
		         x->target ? x->target : "");
		return KEEL_EINVAL;
	}
	return 0;
}

static int main_configure(struct main_state *st, const struct main_opts *o)
{
	char def[PATH_MAX];
	const char *path = o->config, *v;
	int rc;

	util_fmt(def, sizeof(def), "%s/keel/keel.ini", KEEL_SYSCONFDIR);
	if (path == NULL && access(def, F_OK) == 0)
		path = def;
	if (path != NULL) {
		rc = conf_load_file(path, &st->conf, st->err, sizeof(st->err));
		if (rc != 0)
			return rc;
		rc = main_check_sections(st->conf, st->err, sizeof(st->err));
		if (rc != 0)
			return rc;
	}
	{
		static const char *const k[] = {"data_dir", "plugin_dir",
		                                "pid_file"};
		const char *vals[] = {o->data_dir, o->plugin_dir, o->pid_file};
		/* data_dir first: PATH keys resolve against it. */
		rc = main_bind(st, "keeld", main_keeld_schema, k, vals, 3,
		               &st->keeld);
		if (rc != 0)
			return rc;
	}
	conf_str(st->keeld, "data_dir", &v);
	if (v[0] != '/') {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return KEEL_EINTERNAL;
		util_fmt(st->data_dir, sizeof(st->data_dir), "%s/%s", cwd, v);
	} else {
		util_strlcpy(st->data_dir, v, sizeof(st->data_dir));
	}
	/* Re-bind so that PATH keys see the final data directory. */
	conf_bound_free(st->keeld);
	{
		static const char *const k[] = {"data_dir", "plugin_dir",
		                                "pid_file"};
		const char *vals[] = {st->data_dir, o->plugin_dir, o->pid_file};
		rc = main_bind(st, "keeld", main_keeld_schema, k, vals, 3,
		               &st->keeld);
		if (rc != 0)
			return rc;
	}
	conf_str(st->keeld, "plugin_dir", &v);
	util_strlcpy(st->plugin_dir, v, sizeof(st->plugin_dir));
	{
		static const char *const k[] = {"level", "format"};
		const char *vals[] = {o->log_level, o->log_format};
		rc = main_bind(st, "log", main_log_schema, k, vals, 2, &st->log);
		if (rc != 0)
			return rc;
	}
	{
		static const char *const k[] = {"listen"};
		const char *vals[] = {o->listen};
		rc = main_bind(st, "api", main_api_schema, k, vals, 1, &st->api);
		if (rc != 0)
			return rc;
	}
	{
		static const char *const k[] = {"listen"};
		const char *vals[] = {o->grpc_listen};
		rc = main_bind(st, "grpc", main_grpc_schema, k, vals, 1,
		               &st->grpc);
		if (rc != 0)
			return rc;
	}
	{
		static const char *const k[] = {"listen"};
		const char *vals[] = {o->http_listen};
		rc = main_bind(st, "http", main_http_schema, k, vals, 1,
		               &st->http);
		if (rc != 0)
			return rc;
	}
	rc = main_bind(st, "audit", main_audit_schema, NULL, NULL, 0,
	               &st->audit);
	if (rc != 0)
		return rc;
	rc = main_bind(st, "registry", main_registry_schema, NULL, NULL, 0,
	               &st->registry);
	if (rc != 0)
		return rc;
	{
		const char *cpu = "", *mem = "", *gpu = "", *eph = "";
		char why[256];
		conf_str(st->registry, "task_cpu_limit", &cpu);
		conf_str(st->registry, "task_memory_limit", &mem);
		conf_str(st->registry, "task_gpu_limit", &gpu);
		conf_str(st->registry, "task_ephemeral_storage_limit", &eph);
		if (task_resource_limits_parse(&st->task_limits, cpu, mem, gpu,
		                               eph, why, sizeof(why)) != 0) {
			util_fmt(st->err, sizeof(st->err), "[registry] %s",
			         why);
			return KEEL_EINVAL;
		}
		st->svc.task_limits = &st->task_limits;
		if (conf_str(st->registry, "task_types", &st->svc.task_types) !=
		    0)
			st->svc.task_types = NULL;
		if (conf_str(st->registry, "task_type_scopes",
		             &st->svc.task_type_scopes) != 0 ||
		    st->svc.task_type_scopes[0] == '\0')
			st->svc.task_type_scopes = NULL;
		if (svc_type_scope_allowed(st->svc.task_type_scopes, NULL, NULL,
		                           NULL, why, sizeof(why)) < 0) {
			util_fmt(st->err, sizeof(st->err),
			         "[registry] task_type_scopes: %s", why);
			return KEEL_EINVAL;
		}
		{
			int64_t nodes = 100;
			conf_int(st->registry, "max_workflow_nodes", &nodes);
			st->svc.max_workflow_nodes = (size_t)nodes;
		}
		{
			int64_t inl = 256 * 1024;
			conf_int(st->registry, "closure_inline_max", &inl);
			st->svc.closure_inline_max = inl;
		}
	}
	rc = main_bind(st, "executions", main_executions_schema, NULL, NULL, 0,
	               &st->executions);
	if (rc != 0)
		return rc;
	rc = main_exec_config(st);
	if (rc != 0)
		return rc;
	return main_domains(st);
}

static int main_setup_log(struct main_state *st)
{
	const char *level, *format, *file;
	int lv, fm, rc;

	conf_str(st->log, "level", &level);
	conf_str(st->log, "format", &format);
	conf_str(st->log, "file", &file);
	lv = log_level_parse(level);
	fm = log_format_parse(format);
	if (lv < 0 || fm < 0) {
		util_fmt(st->err, sizeof(st->err),
		         "[log] %s = '%s' is not one of %s",
		         lv < 0 ? "level" : "format", lv < 0 ? level : format,
		         lv < 0 ? "error, warn, info, debug" : "text, json");
		return KEEL_EINVAL;
	}
	rc = log_setup(fm, lv, file);
	if (rc != 0) {
		util_fmt(st->err, sizeof(st->err),
		         "[log] file = '%s': cannot open: %s", file,
		         strerror(-rc));
		return KEEL_EINVAL;
	}
	return 0;
}

/* Load, validate and configure every plugin (no I/O yet). */
static int main_load_plugins(struct main_state *st)
{
	for (size_t k = 0; k < UTIL_ARRAY_LEN(main_kinds); k++) {
		const struct conf_section *sec =
		    conf_find(st->conf, main_kinds[k].section);
		const char *driver = conf_get(sec, "driver");
		char path[PATH_MAX];
		int rc;

		if (driver == NULL)
			driver = main_kinds[k].def_driver;
		if (strchr(driver, '/') != NULL || driver[0] == '.') {
			util_fmt(st->err, sizeof(st->err),
			         "[%s] driver = '%s' must be a plugin name, not "
			         "a path; plugins load only from %s",
			         main_kinds[k].section, driver, st->plugin_dir);
			return KEEL_EINVAL;
		}
		util_fmt(path, sizeof(path), "%s/%s_%s.so", st->plugin_dir,
		         main_kinds[k].section, driver);
		rc = plugin_open(st->plugin_dir, path, main_kinds[k].kind,
		                 driver, &st->plugins[k], st->err,
		                 sizeof(st->err));
		if (rc == KEEL_ENOTFOUND) {
			util_fmt(st->err, sizeof(st->err),
			         "[%s] driver = '%s': no plugin %s (is it "
			         "built and installed? see keeld --plugin-info)",
			         main_kinds[k].section, driver, path);
			return rc;
		}
		if (rc != 0)
			return rc;
		rc = plugin_instance_new(st->plugins[k], sec, st->data_dir,
		                         &st->inst[k], st->err,
		                         sizeof(st->err));
		if (rc != 0)
			return rc;
	}
	if (strcmp(st->svc.exec.target, "clusters") == 0)
		return dp_load(st->conf, st->plugin_dir, st->data_dir,
		               st->svc.exec.cluster,
		               st->svc.exec.default_cluster_label, &st->dp,
		               st->err, sizeof(st->err));
	return 0;
}

/* Start every plugin but the database's (main_start_db). */
static int main_start_plugins(struct main_state *st)
{
	for (size_t k = 1; k < UTIL_ARRAY_LEN(main_kinds); k++) {
		int rc = plugin_instance_start(st->inst[k], st->err,
		                               sizeof(st->err));
		if (rc != 0)
			return rc;
		LOG_INFO("keeld", "%s plugin %s %s started",
		         main_kinds[k].section,
		         plugin_instance_desc(st->inst[k])->name,
		         plugin_instance_desc(st->inst[k])->version);
	}
	return 0;
}

static unsigned main_workers(const struct main_state *st)
{
	int64_t w = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	conf_int(st->keeld, "workers", &w);
	if (w > 0)
		return (unsigned)w;
	w = cpus > 0 ? 2 * cpus : 4;
	return w < 4 ? 4 : (unsigned)w;
}

static void main_cleanup(struct main_state *st)
{
	dp_free(st->dp);
	db_close(st->db);
	for (size_t k = UTIL_ARRAY_LEN(main_kinds); k-- > 0;) {
		plugin_instance_free(st->inst[k]);
		plugin_close(st->plugins[k]);
	}
	for (size_t i = 0; i < st->svc.ndomains; i++) {
		free(st->svc.domains[i].id);
		free(st->svc.domains[i].name);
	}
	free(st->svc.domains);
	conf_bound_free(st->keeld);
	conf_bound_free(st->log);
	conf_bound_free(st->api);
	conf_bound_free(st->grpc);
	conf_bound_free(st->http);
	conf_bound_free(st->audit);
	conf_bound_free(st->registry);
	conf_bound_free(st->executions);
	conf_free(st->conf);
	rpc_shutdown();
}

/*
 * Start the db plugin and open the pool.  A database server that is not
 * up yet (KEEL_EAGAIN: refused, starting, too many connections) is
 * retried with backoff for [keeld] db_start_wait, saying so each time:
 * keeld and its database are often started together.  SIGTERM or SIGINT
 * ends the wait (KEEL_ECANCELLED).  Returns 0 or KEEL_E* with st->err
 * set.
 */
static int main_start_db(struct main_state *st, unsigned nconns)
{
	const struct keel_plugin *d = plugin_instance_desc(st->inst[0]);
	int64_t wait_ms = 120000, waited = 0, delay = 250;
	int rc, sig;

	conf_int(st->keeld, "db_start_wait", &wait_ms);
	for (int attempt = 1;; attempt++) {
		rc = plugin_instance_start(st->inst[0], st->err,
		                           sizeof(st->err));
		if (rc == 0)
			rc = db_open(st->inst[0], nconns, &st->db, st->err,
			             sizeof(st->err));
		if (rc == 0)
			break;
		if (rc != KEEL_EAGAIN || waited >= wait_ms)
			return rc;
		if (delay > wait_ms - waited)
			delay = wait_ms - waited;
		LOG_WARN("keeld",
		         "database not reachable (attempt %d): %s; retrying in "
		         "%lld ms, for up to [keeld] db_start_wait = %lld s",
		         attempt, st->err, (long long)delay,
		         (long long)(wait_ms / 1000));
		sig = daemon_sleep(delay);
		if (sig != 0) {
			util_fmt(st->err, sizeof(st->err),
			         "stopped by signal %d while waiting for the "
			         "database",
			         sig);
			return KEEL_ECANCELLED;
		}
		waited += delay;
		delay = delay * 2 > 8000 ? 8000 : delay * 2;
	}
	LOG_INFO("keeld", "db plugin %s %s started (%u connections)", d->name,
	         d->version, nconns);
	return 0;
}

/* Load and start the plugins and open a pool of nconns connections
 * ([keeld] db_pool when set).  Returns 0 or a DAEMON_EXIT_* code with
 * st->err set. */
static int main_open_db(struct main_state *st, unsigned nconns)
{
	int64_t pool = 0;
	int rc;

	if (main_load_plugins(st) != 0)
		return DAEMON_EXIT_CONFIG;
	rc = util_mkdirs(st->data_dir, 0750);
	if (rc != 0) {
		util_fmt(st->err, sizeof(st->err),
		         "cannot create the data directory %s: %s",
		         st->data_dir, strerror(-rc));
		return DAEMON_EXIT_CANTCREAT;
	}
	conf_int(st->keeld, "db_pool", &pool);
	if (pool > 0 && nconns > 1)
		nconns = (unsigned)pool;
	rc = main_start_db(st, nconns);
	if (rc == KEEL_ECANCELLED)
		return MAIN_STOPPED;
	if (rc == 0)
		rc = main_start_plugins(st);
	if (rc != 0)
		return rc == KEEL_EINVAL ? DAEMON_EXIT_CONFIG
		                         : DAEMON_EXIT_UNAVAILABLE;
	{
		int64_t g = 64;
		conf_int(st->keeld, "group_commit_max", &g);
		db_set_group_commit(st->db, (unsigned)g);
	}
	return 0;
}

/* Apply pending migrations; *applied (may be NULL) counts them. */
static int main_migrate_db(struct main_state *st, int *applied)
{
	int rc = migrate_apply(st->db, applied, st->err, sizeof(st->err));

	if (rc == 0)
		return 0;
	return rc == KEEL_EPRECOND ? DAEMON_EXIT_CONFIG
	                           : DAEMON_EXIT_UNAVAILABLE;
}

/* Everything up to an open, migrated database. */
static int main_bring_up(struct main_state *st)
{
	int rc, cur, auto_migrate = 1;

	rc = main_open_db(st, main_workers(st) + 1);
	if (rc != 0)
		return rc;
	conf_bool(st->keeld, "auto_migrate", &auto_migrate);
	if (auto_migrate)
		return main_migrate_db(st, NULL);
	cur = migrate_current(st->db, st->err, sizeof(st->err));
	if (cur < 0)
		return DAEMON_EXIT_UNAVAILABLE;
	if (cur != migrate_latest()) {
		util_fmt(st->err, sizeof(st->err),
		         "the database schema is at version %d, this keeld "
		         "needs %d; run `keeld migrate` (auto_migrate is off)",
		         cur, migrate_latest());
		return DAEMON_EXIT_CONFIG;
	}
	return 0;
}

/* Start the gRPC door unless [grpc] listen = off.  Returns 0 or a
 * DAEMON_EXIT_* code with st->err set. */
static int main_start_grpc(struct main_state *st, unsigned workers,
                           size_t req_mem, struct api_grpc **out)
{
	struct api_grpc_opts go = {0};
	int64_t max_msg = 0, max_md = 0;
	int port = 0, rc;

	*out = NULL;
	conf_str(st->grpc, "listen", &go.listen);
	if (strcmp(go.listen, "off") == 0 || go.listen[0] == '\0')
		return 0;
	conf_int(st->grpc, "max_message_size", &max_msg);
	conf_int(st->grpc, "max_metadata_size", &max_md);
	go.max_metadata = (size_t)max_md;
	if (conf_str(st->grpc, "tls_cert_file", &go.tls_cert) != 0)
		go.tls_cert = NULL;
	if (conf_str(st->grpc, "tls_key_file", &go.tls_key) != 0)
		go.tls_key = NULL;
	if ((go.tls_cert == NULL) != (go.tls_key == NULL)) {
		util_fmt(st->err, sizeof(st->err),
		         "[grpc] set both tls_cert_file and tls_key_file, or "
		         "neither");
		return DAEMON_EXIT_CONFIG;
	}
	go.workers = workers;
	go.max_message = (size_t)max_msg;
	go.request_memory = req_mem;
	rc = api_grpc_start(&go, &st->svc, out, &port, st->err,
	                    sizeof(st->err));
	if (rc != 0)
		return rc == KEEL_EINVAL ? DAEMON_EXIT_CONFIG
		                         : DAEMON_EXIT_CANTCREAT;
	LOG_INFO("keeld", "gRPC serving on %s (port %d%s)", go.listen, port,
	         go.tls_cert ? ", TLS" : "");
	return 0;
}

/* Start the REST door unless [http] listen = off. */
static int main_start_http(struct main_state *st, unsigned workers,
                           size_t req_mem, struct api_http **out)
{
	struct api_http_opts ho = {0};
	int64_t v = 0;
	int port = 0, rc;

	*out = NULL;
	conf_str(st->http, "listen", &ho.listen);
	if (strcmp(ho.listen, "off") == 0 || ho.listen[0] == '\0')
		return 0;
	rc = rest_init(st->err, sizeof(st->err));
	if (rc != 0)
		return DAEMON_EXIT_SOFTWARE;
	conf_int(st->http, "max_body_size", &v);
	ho.max_body = (size_t)v;
	conf_int(st->http, "body_timeout", &ho.body_timeout_ms);
	conf_int(st->http, "queue_size", &v);
	ho.queue = (unsigned)v;
	conf_bool(st->http, "allow_cors", &ho.cors);
	conf_str(st->http, "allowed_origins", &ho.cors_origins);
	conf_str(st->http, "allowed_headers", &ho.cors_headers);
	conf_int(st->http, "cors_max_age", &v);
	ho.cors_max_age_s = v / 1000;
	ho.workers = workers;
	ho.request_memory = req_mem;
	rc = api_http_start(&ho, &st->svc, out, &port, st->err,
	                    sizeof(st->err));
	if (rc != 0) {
		rest_shutdown();
		return rc == KEEL_EINVAL ? DAEMON_EXIT_CONFIG
		                         : DAEMON_EXIT_CANTCREAT;
	}
	LOG_INFO("keeld", "REST serving on %s (port %d, %zu routes%s)",
	         ho.listen, port, rest_route_count(),
	         ho.cors ? ", CORS on" : "");
	return 0;
}

/* The URL an agent dials for the listen address: a wildcard TCP
 * address becomes loopback.  Uses buf when it rewrites. */
static const char *main_api_url(const char *listen, char *buf, size_t len)
{
	if (strncmp(listen, "tcp://0.0.0.0:", 14) == 0) {
		util_fmt(buf, len, "tcp://127.0.0.1:%s", listen + 14);
		return buf;
	}
	if (strncmp(listen, "tcp://*:", 8) == 0) {
		util_fmt(buf, len, "tcp://127.0.0.1:%s", listen + 8);
		return buf;
	}
	return listen;
}

static int main_serve(struct main_state *st, const struct main_opts *o)
{
	struct api_nng_opts ao = {0};
	struct api_nng *api = NULL;
	struct api_grpc *grpc = NULL;
	struct api_http *http = NULL;
	char url[PATH_MAX + 16];
	const char *listen = NULL, *pid_file = NULL, *audit_file = NULL;
	int64_t max_msg = 0, req_mem = 0, page = 0, shutdown_ms = 0, check = 0;
	int rc, sig, lock_fd = -1;

	/* One keeld per data directory: a second one must not touch the
	 * database, nor probe the first one's socket. */
	rc = util_mkdirs(st->data_dir, 0750);
	if (rc == 0)
		rc = daemon_lock_dir(st->data_dir, &lock_fd, st->err,
		                     sizeof(st->err));
	if (rc != 0) {
		if (st->err[0] == '\0')
			util_fmt(st->err, sizeof(st->err),
			         "cannot create the data directory %s: %s",
			         st->data_dir, strerror(-rc));
		return DAEMON_EXIT_CANTCREAT;
	}
	rc = main_bring_up(st);
	if (rc != 0)
		goto out_unlock;
	if (rpc_init() != 0) {
		util_fmt(st->err, sizeof(st->err), "out of memory");
		rc = DAEMON_EXIT_SOFTWARE;
		goto out_unlock;
	}
	if (conf_str(st->audit, "file", &audit_file) == 0) {
		rc = audit_setup(audit_file);
		if (rc != 0) {
			util_fmt(st->err, sizeof(st->err),
			         "[audit] file %s: %s", audit_file,
			         strerror(-rc));
			rc = DAEMON_EXIT_CANTCREAT;
			goto out_unlock;
		}
	}
	st->svc.db = st->db;
	/* The blob store: main_kinds[1]. */
	st->svc.blob = plugin_instance_ops(st->inst[1]);
	st->svc.blob_self = plugin_instance_self(st->inst[1]);
	conf_int(st->api, "max_page_size", &page);
	st->svc.max_page_size = (uint32_t)page;
	if (conf_str(st->api, "listen", &listen) != 0) {
		util_fmt(url, sizeof(url), "ipc://%s/keeld.sock", st->data_dir);
		listen = url;
	}
	/* Executors start before the outbox workers that call them; their
	 * agents report back through the API, which they retry until it
	 * listens. */
	if (st->dp != NULL) {
		plugin_set_api_url(main_api_url(listen, url, sizeof(url)));
		rc = dp_start(st->dp, st->err, sizeof(st->err));
		if (rc != 0) {
			rc = rc == KEEL_EINVAL ? DAEMON_EXIT_CONFIG
			                       : DAEMON_EXIT_UNAVAILABLE;
			goto out_unlock;
		}
		st->svc.dp = st->dp;
	}
	if (svc_exec_start(&st->svc, st->err, sizeof(st->err)) != 0) {
		rc = DAEMON_EXIT_SOFTWARE;
		goto out_unlock;
	}

	/* Unix socket paths are limited to 107 bytes. */
	if (strncmp(listen, "ipc://", 6) == 0 && strlen(listen + 6) > 107) {
		util_fmt(st->err, sizeof(st->err),
		         "[api] listen = %s: the socket path is longer than the "
		         "107 bytes Unix sockets allow; set a shorter [api] "
		         "listen or data_dir",
		         listen);
		rc = DAEMON_EXIT_CONFIG;
		goto out_unlock;
	}
	conf_int(st->api, "max_message_size", &max_msg);
	conf_int(st->api, "request_memory", &req_mem);
	conf_int(st->api, "listener_check_interval", &check);
	ao.listener_check_ms = check;
	ao.url = listen;
	ao.workers = main_workers(st);
	ao.max_message = (size_t)max_msg;
	ao.request_memory = (size_t)req_mem;
	rc = api_nng_start(&ao, &st->svc, &api, st->err, sizeof(st->err));
	if (rc != 0) {
		rc = DAEMON_EXIT_CANTCREAT;
		goto out_unlock;
	}
	rc = main_start_grpc(st, ao.workers, (size_t)req_mem, &grpc);
	if (rc != 0) {
		api_nng_drain(api, 0);
		goto out_unlock;
	}
	rc = main_start_http(st, ao.workers, (size_t)req_mem, &http);
	if (rc != 0) {
		if (grpc != NULL)
			api_grpc_drain(grpc, 0);
		api_nng_drain(api, 0);
		goto out_unlock;
	}
	if (conf_str(st->keeld, "pid_file", &pid_file) == 0) {
		rc = daemon_pidfile_write(pid_file);
		if (rc != 0) {
			api_http_drain(http, 0);
			if (grpc != NULL)
				api_grpc_drain(grpc, 0);
			api_nng_drain(api, 0);
			util_fmt(st->err, sizeof(st->err),
			         "cannot write pid file %s: %s", pid_file,
			         strerror(-rc));
			rc = DAEMON_EXIT_CANTCREAT;
			goto out_unlock;
		}
	}
	LOG_INFO("keeld",
	         "keel %s serving on %s (%u workers, data in %s, domains %zu)",
	         PACKAGE_VERSION, listen, ao.workers, st->data_dir,
	         st->svc.ndomains);
	daemon_notify("READY=1\nSTATUS=serving");

	conf_int(st->keeld, "shutdown_timeout", &shutdown_ms);
	for (;;) {
		sig = daemon_wait_signal();
		if (sig != SIGHUP)
			break;
		rc = log_reopen();
		if (rc != 0)
			LOG_ERROR("keeld", "cannot reopen the log file: %s",
			          strerror(-rc));
		else
			LOG_INFO("keeld", "SIGHUP: log reopened");
		rc = audit_reopen();
		if (rc != 0)
			LOG_ERROR("keeld", "cannot reopen the audit file: %s",
			          strerror(-rc));
	}
	daemon_notify("STOPPING=1\nSTATUS=draining");
	LOG_INFO("keeld", "%s: draining requests (up to %lldms)",
	         strsignal(sig), (long long)shutdown_ms);
	{
		/* REST, gRPC, then the internal API, within one budget. */
		int64_t t0 = util_mono_ms(), left;
		rc = api_http_drain(http, shutdown_ms);
		left = shutdown_ms - (util_mono_ms() - t0);
		rc += grpc != NULL ? api_grpc_drain(grpc, left > 0 ? left : 0)
		                   : 0;
		left = shutdown_ms - (util_mono_ms() - t0);
		rc += api_nng_drain(api, left > 0 ? left : 0);
	}
	/* Side effects in flight finish; queued ones wait in the outbox. */
	svc_exec_stop(&st->svc);
	rest_shutdown();
	audit_shutdown();
	if (pid_file != NULL)
		daemon_pidfile_remove(pid_file);
	LOG_INFO("keeld", "stopped%s", rc ? " (requests were cut off)" : "");
	rc = DAEMON_EXIT_OK;
out_unlock:
	svc_exec_stop(&st->svc);
	daemon_unlock_dir(lock_fd);
	return rc;
}

static int main_migrate(struct main_state *st, const struct main_opts *o)
{
	int status, rc, applied = 0;

	status = o->subcommand != NULL && strcmp(o->subcommand, "status") == 0;
	if (o->subcommand != NULL && !status) {
		fprintf(stderr, "keeld: unknown migrate subcommand '%s' (use "
		                "'keeld migrate' or 'keeld migrate status')\n",
		        o->subcommand);
		return DAEMON_EXIT_USAGE;
	}
	rc = main_open_db(st, 1);
	if (rc != 0)
		return rc;
	if (status) {
		/* Lists only: applies nothing. */
		rc = migrate_status(st->db, stdout, st->err, sizeof(st->err));
		return rc ? DAEMON_EXIT_UNAVAILABLE : DAEMON_EXIT_OK;
	}
	rc = main_migrate_db(st, &applied);
	if (rc != 0)
		return rc;
	printf("applied %d migration%s; schema at version %d\n", applied,
	       applied == 1 ? "" : "s", migrate_latest());
	return DAEMON_EXIT_OK;
}

/* `keeld outbox [retry ID]`: what operators see of the outbox. */
static int main_outbox(struct main_state *st, const struct main_opts *o)
{
	struct keel_err err = {0};
	int64_t id = 0;
	int rc;

	if (o->subcommand != NULL && strcmp(o->subcommand, "retry") != 0) {
		fprintf(stderr, "keeld: unknown outbox subcommand '%s' (use "
		                "'keeld outbox' or 'keeld outbox retry ID')\n",
		        o->subcommand);
		return DAEMON_EXIT_USAGE;
	}
	if (o->subcommand != NULL &&
	    (o->arg == NULL || conf_parse_int(o->arg, &id) != 0 || id <= 0)) {
		fprintf(stderr, "keeld: outbox retry needs a row id (a positive "
		                "integer), got '%s'\n",
		        o->arg ? o->arg : "");
		return DAEMON_EXIT_USAGE;
	}
	rc = main_open_db(st, 1);
	if (rc == 0)
		rc = main_migrate_db(st, NULL);
	if (rc != 0)
		return rc;
	if (o->subcommand == NULL) {
		rc = outbox_report(st->db, stdout, &err);
	} else {
		rc = outbox_retry(st->db, id, &err);
		if (rc == 0)
			printf("outbox row %lld is pending again\n",
			       (long long)id);
	}
	if (rc != 0) {
		util_fmt(st->err, sizeof(st->err), "%s", err.msg);
		return rc == KEEL_ENOTFOUND ? DAEMON_EXIT_USAGE
		                            : DAEMON_EXIT_UNAVAILABLE;
	}
	return DAEMON_EXIT_OK;
}

static int main_config_template(struct main_state *st)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	printf("; keel.ini -- Keel's configuration, every key with its "
	       "default.\n"
	       "; Generated by `keeld config-template`; lines starting "
	       "with ';' are comments.\n"
	       "; Secrets never go in this file: use KEY_file = PATH or "
	       "KEY_env = VARIABLE.\n"
	       "; Lines are limited to %d bytes; long values belong in "
	       "files.\n",
	       CONF_MAX_LINE);
	for (size_t i = 0; i < UTIL_ARRAY_LEN(main_sections); i++) {
		printf("\n; --- %s\n[%s]\n", main_sections[i].about,
		       main_sections[i].name);
		conf_print_schema(stdout, main_sections[i].schema,
		                  sizeof(struct keel_config_key));
	}
	printf("\n; --- domains: id = display name, one per line; default:\n"
	       "[domains]\n");
	for (size_t i = 0; i < UTIL_ARRAY_LEN(main_default_domains); i++)
		printf("%s = %s\n", main_default_domains[i],
		       main_default_domains[i]);
	/* Plugins, in name order so the output is stable. */
	d = opendir(st->plugin_dir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 3, ".so") != 0)
			continue;
		char **v = realloc(names, (n + 1) * sizeof(*v));
		if (v == NULL)
			break;
		names = v;
		names[n] = util_strdup(e->d_name);
		if (names[n] != NULL)
			n++;
	}
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct plugin *p;
		util_fmt(path, sizeof(path), "%s/%s", st->plugin_dir,
		         names[i]);
		if (plugin_open(st->plugin_dir, path, 0, NULL, &p, st->err,
		                sizeof(st->err)) == 0) {
			const struct keel_plugin *pd = plugin_desc(p);
			int def = 0;
			for (size_t k = 0; k < UTIL_ARRAY_LEN(main_kinds); k++)
				def |= main_kinds[k].kind == pd->kind &&
				       strcmp(main_kinds[k].def_driver,
				              pd->name) == 0;
			printf("\n; --- %s plugin '%s': %s\n",
			       plugin_kind_name(pd->kind), pd->name,
			       pd->description ? pd->description : "");
			if (pd->kind == KEEL_KIND_EXECUTOR) {
				/* Instances are named sections; the default
				 * is one instance "local". */
				def = strcmp(pd->name, "local") == 0;
				printf("%s[executor.%s]\n%sdriver = %s\n",
				       def ? "" : ";", pd->name,
				       def ? "" : ";", pd->name);
			} else {
				printf("%s[%s]\n%sdriver = %s\n",
				       def ? "" : ";",
				       plugin_kind_name(pd->kind),
				       def ? "" : ";", pd->name);
			}
			conf_print_schema(stdout, pd->config,
			                  pd->config_key_size);
			plugin_close(p);
		}
		free(names[i]);
	}
	free(names);
	printf("\n; --- an execution cluster: where executions run "
	       "([executions] target = clusters)\n");
	dp_print_template(stdout);
	return DAEMON_EXIT_OK;
}

static int main_methods(void)
{
	if (rpc_init() != 0)
		return DAEMON_EXIT_SOFTWARE;
	for (size_t i = 0; i < rpc_count(); i++) {
		const struct method *m = rpc_at(i);
		printf("%-5s %-13s %s\n", m->handler ? "yes" : "no", m->action,
		       m->path);
	}
	rpc_shutdown();
	return DAEMON_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct main_opts o = {0};
	struct main_state *st;
	int rc;

	if (main_parse_args(argc, argv, &o) != 0)
		return DAEMON_EXIT_USAGE;
	if (o.plugin_info != NULL) {
		char err[MAIN_ERR];
		rc = plugin_print_info(stdout, o.plugin_info, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "keeld: %s\n", err);
			return DAEMON_EXIT_CONFIG;
		}
		return DAEMON_EXIT_OK;
	}
	if (strcmp(o.command, "methods") == 0)
		return main_methods();
	if (strcmp(o.command, "serve") != 0 &&
	    strcmp(o.command, "migrate") != 0 &&
	    strcmp(o.command, "outbox") != 0 &&
	    strcmp(o.command, "check-config") != 0 &&
	    strcmp(o.command, "config-template") != 0) {
		fprintf(stderr,
		        "keeld: unknown command '%s'; run 'keeld --help'\n",
		        o.command);
		return DAEMON_EXIT_USAGE;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return DAEMON_EXIT_SOFTWARE;
	daemon_block_signals();
	rc = main_configure(st, &o);
	if (rc != 0) {
		fprintf(stderr, "keeld: %s\n", st->err);
		rc = DAEMON_EXIT_CONFIG;
		goto out;
	}
	rc = main_setup_log(st);
	if (rc != 0) {
		fprintf(stderr, "keeld: %s\n", st->err);
		rc = DAEMON_EXIT_CONFIG;
		goto out;
	}
	if (strcmp(o.command, "config-template") == 0) {
		rc = main_config_template(st);
	} else if (strcmp(o.command, "check-config") == 0) {
		rc = main_load_plugins(st);
		if (rc == 0)
			printf("configuration OK (%s)\n",
			       st->conf ? st->conf->origin : "built-in defaults");
		rc = rc ? DAEMON_EXIT_CONFIG : DAEMON_EXIT_OK;
	} else if (strcmp(o.command, "migrate") == 0) {
		rc = main_migrate(st, &o);
	} else if (strcmp(o.command, "outbox") == 0) {
		rc = main_outbox(st, &o);
	} else {
		rc = main_serve(st, &o);
	}
	if (rc == MAIN_STOPPED) {
		/* Asked to stop before it was up: a clean stop. */
		LOG_INFO("keeld", "%s", st->err);
		rc = DAEMON_EXIT_OK;
	}
	if (rc != DAEMON_EXIT_OK && rc != DAEMON_EXIT_USAGE) {
		LOG_ERROR("keeld", "%s", st->err[0] ? st->err : "failed");
		if (log_level() < KEEL_LOG_ERROR)
			fprintf(stderr, "keeld: %s\n", st->err);
	}
out:
	main_cleanup(st);
	free(st);
	log_shutdown();
	return rc;
}
