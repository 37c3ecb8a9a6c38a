/*
 * cli.h -- keelctl's internals: argument parsing, output, filters, project
 * files and the commands.
 */
#ifndef KEEL_CLI_H
#define KEEL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "flyteidl/admin/common.pb-c.h"

struct keel_client;

/* Exit statuses. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_SERVER = 1,      /* keeld answered with an error */
	CLI_EXIT_USAGE = 2,       /* bad command line or input file */
	CLI_EXIT_UNREACHABLE = 3, /* keeld cannot be reached */
};

enum cli_output {
	CLI_OUT_TABLE = 0,
	CLI_OUT_JSON,
	CLI_OUT_YAML,
};

struct cli_strlist {
	const char **v;
	size_t n, cap;
};

/* Every flag keelctl knows.  Strings point into argv; NULL = not given. */
struct cli_opts {
	/* global */
	const char *endpoint;
	const char *output;
	const char *project;
	const char *domain;
	const char *timeout;
	int help;
	int version;
	/* project */
	const char *id;
	const char *name;
	const char *description;
	const char *file;
	struct cli_strlist labels;
	int archive;
	int activate;
	/* lists */
	const char *limit;
	const char *page;
	const char *sort_by;
	const char *field_selector;
	int asc;
	int all;
	/* tasks, workflows, launch plans */
	const char *ent_version; /* --version of a command, not keelctl's */
	int latest;
	int deactivate;
	int continue_on_error;
	int dry_run;
	/* executions */
	const char *launchplan;
	const char *task;
	const char *cluster_label;
	const char *cause;
	struct cli_strlist inputs; /* --input NAME=VALUE, repeatable */
	int wait;
};

enum cli_flag_kind {
	CLI_FLAG_BOOL, /* int */
	CLI_FLAG_STR,  /* const char * */
	CLI_FLAG_LIST, /* struct cli_strlist, repeatable */
};

struct cli_flag {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	enum cli_flag_kind kind;
	size_t off; /* offsetof(struct cli_opts, ...) */
	const char *metavar;
	const char *help;
};

struct cli_ctx;
struct cli_args;

struct cli_cmd {
	const char *verb;
	const char *noun;    /* NULL: the verb alone is the command */
	const char *aliases; /* other names of the noun, space-separated */
	const char *args;    /* positional arguments, for the usage line */
	size_t min_args, max_args;
	const struct cli_flag *flags; /* terminated by a NULL name */
	int (*run)(struct cli_ctx *c, const struct cli_args *a);
	const char *summary;
	const char *help; /* longer text with examples; may be NULL */
};

struct cli_args {
	const struct cli_cmd *cmd; /* NULL: none found (help, bare verb) */
	const char *verb;          /* as typed; NULL when none */
	const char *noun;          /* as typed */
	const char **pos;          /* positional arguments after the noun */
	size_t npos;
	struct cli_opts o;
};

extern const struct cli_flag cli_global_flags[];

/* cli_args.c */
/* snprintf into err[0..errlen) (nothing when err is NULL or errlen 0). */
void cli_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cli_parse(int argc, char **argv, const struct cli_cmd *cmds, size_t ncmds,
              struct cli_args *a, char *err, size_t errlen);
void cli_args_free(struct cli_args *a);
int cli_verb_known(const struct cli_cmd *cmds, size_t ncmds, const char *verb);
int cli_parse_output(const char *s, enum cli_output *out);
int cli_parse_duration_ms(const char *s, int64_t *ms);
int cli_parse_u32(const char *s, uint32_t *out);
/* "k=v,k2=v2" from every --labels; later keys replace earlier ones.
 * *keys and *vals are malloc'd arrays of malloc'd strings. */
int cli_parse_labels(const struct cli_strlist *l, char ***keys, char ***vals,
                     size_t *n, char *err, size_t errlen);
void cli_free_strv(char **v, size_t n);
void cli_print_help(FILE *out, const struct cli_cmd *cmds, size_t ncmds,
                    const char *verb, const struct cli_cmd *cmd);

/* cli_output.c */
/* One message as an object, several (or none) as an array; JSON indented
 * with tabs, YAML with sorted keys, both lowerCamelCase, defaults
 * omitted (flytectl's printer). */
int cli_print_messages(FILE *out, enum cli_output fmt,
                       const ProtobufCMessage *const *msgs, size_t n,
                       int force_array);
/* A bordered table like flytectl's: cells is nrows * ncols, row-major;
 * NULL cells print empty; cells wider than 40 columns end in "...". */
int cli_print_table(FILE *out, const char *const *headers, size_t ncols,
                    const char *const *cells, size_t nrows);

/* cli_list.c: the --filter.* and --all flags of `get`, and fetching the
 * pages of a List* call. */
struct cli_list {
	uint32_t limit;
	char *token;   /* the request's token, malloc'd: NULL, then the
	                  page offset or keeld's next token */
	char *filters; /* admin syntax, malloc'd; NULL when none */
	Flyteidl__Admin__Sort sort;
	int sorted; /* sort is set */
	int all;    /* follow the tokens to the last page */
};
/* The list flags of a (limit 0 allowed with zero_ok: ListProjects'
 * "everything").  0, or the usage error's exit status (printed). */
int cli_list_init(struct cli_list *l, const struct cli_args *a, int zero_ok);
void cli_list_free(struct cli_list *l);
/* Point a list request's fields at l. */
void cli_list_apply(struct cli_list *l, uint32_t *limit, char **token,
                    char **filters, Flyteidl__Admin__Sort **sort_by);
/* What cli_list_fetch returns: the responses, and their items (pointers
 * into them) in order. */
struct cli_pages {
	ProtobufCMessage **pages;
	size_t npages;
	ProtobufCMessage **items;
	size_t nitems;
};
/* Call method with req (whose token field is *req_token, set from l)
 * once, or until the last page with l->all; items_field names the
 * response's repeated field ("projects").  The error is printed. */
int cli_list_fetch(struct cli_ctx *c, const char *method,
                   const ProtobufCMessage *req, char **req_token,
                   struct cli_list *l, const ProtobufCMessageDescriptor *desc,
                   const char *items_field, struct cli_pages *out);
void cli_pages_free(struct cli_pages *p);

/* Strings made while filling a table's cells, freed together. */
struct cli_strs {
	char **v;
	size_t n, cap;
	int oom; /* a string could not be kept: the table is not printed */
};
/* Keep p (malloc'd; NULL means out of memory) until cli_strs_free;
 * returns p, or "" when it could not be kept. */
const char *cli_strs_add(struct cli_strs *s, char *p);
void cli_strs_free(struct cli_strs *s);
/* A table of messages: its headers, and what fills one row's cells (they
 * point into m, at literals or at strings kept in s). */
struct cli_table {
	const char *const *hdr;
	size_t ncols;
	void (*row)(const ProtobufCMessage *m, const char **cells,
	            struct cli_strs *s);
};
/* ms as fmt says: t's table, or the messages (cli_print_messages).  0, or
 * -1 with errno. */
int cli_print_rows(FILE *out, enum cli_output fmt, const struct cli_table *t,
                   ProtobufCMessage *const *ms, size_t n);

/* cli_filter.c: flytectl's --filter.fieldSelector to admin's filter
 * language ("a=b,c>1" -> "eq(a,b)+gt(c,1)"); a selector already in admin's
 * form ("eq(a,b)+ne(c,d)") passes unchanged.  *out is malloc'd. */
int cli_filter_rewrite(const char *sel, char **out, char *err, size_t errlen);

/* cli_file.c: reading input files whole.  *buf is malloc'd and
 * NUL-terminated (not counted in *len); at most max bytes. */
int cli_read_stream(FILE *f, const char *name, size_t max, char **buf,
                    size_t *len, char *err, size_t errlen);
int cli_read_file(const char *path, size_t max, char **buf, size_t *len,
                  char *err, size_t errlen);
/* The output of `gzip -dc -- path` (posix_spawn: keelctl does not link
 * zlib). */
int cli_read_gunzip(const char *path, size_t max, char **buf, size_t *len,
                    char *err, size_t errlen);

/* cli_tar.c: a strict reader of tar images in memory (POSIX ustar, GNU
 * and pax): checksums verified, GNU 'L' long names and pax "path"/"size"
 * records honoured, the end-of-archive zero block required. */
struct cli_tar_member {
	char *name;                /* malloc'd; a leading "./" dropped */
	const unsigned char *data; /* points into the image */
	size_t len;
};
/* The regular files of buf[0..len), in archive order (directories, links
 * and global pax headers skipped).  *out is malloc'd: cli_tar_free.
 * -1 with a message naming the byte offset on a malformed image. */
int cli_tar_parse(const unsigned char *buf, size_t len,
                  struct cli_tar_member **out, size_t *n, char *err,
                  size_t errlen);
void cli_tar_free(struct cli_tar_member *m, size_t n);

/* cli_projfile.c: the project file of `create project --file`. */
struct cli_projfile {
	char *id;
	char *name;
	char *description;
	char **keys; /* labels */
	char **vals;
	size_t nlabels;
};
int cli_projfile_parse(const char *text, size_t len, const char *fname,
                       struct cli_projfile *pf, char *err, size_t errlen);
int cli_projfile_read(const char *path, struct cli_projfile *pf, char *err,
                      size_t errlen);
void cli_projfile_free(struct cli_projfile *pf);

/* keelctl.c: the context commands run in. */
struct cli_ctx {
	const char *endpoint;
	enum cli_output output;
	int64_t timeout_ms;
	struct keel_client *client; /* opened on the first call */
};

/* A failed call: the status keeld (or the client library) gave. */
struct cli_status {
	int code;          /* gRPC code, 0 = OK */
	char message[512]; /* without the code */
};

/* Call method with req; on success *resp is the decoded response (free
 * with protobuf_c_message_free_unpacked).  Prints the error and returns
 * the exit status otherwise. */
int cli_call(struct cli_ctx *c, const char *method, const ProtobufCMessage *req,
             const ProtobufCMessageDescriptor *resp_desc,
             ProtobufCMessage **resp);
/* cli_call that prints nothing: on failure *st says why (st may be
 * NULL), and the exit status is returned. */
int cli_call_status(struct cli_ctx *c, const char *method,
                    const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *resp_desc,
                    ProtobufCMessage **resp, struct cli_status *st);
/* ms as c->output says (cli_print_rows); the exit status, the error
 * printed. */
int cli_show(struct cli_ctx *c, const struct cli_table *t,
             ProtobufCMessage *const *ms, size_t n);
/* Print "Error: ..." to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the message, a hint, exit status 2. */
int cli_usage_error(const struct cli_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* cli_project.c */
int cli_get_project(struct cli_ctx *c, const struct cli_args *a);
int cli_create_project(struct cli_ctx *c, const struct cli_args *a);
int cli_update_project(struct cli_ctx *c, const struct cli_args *a);
int cli_get_domain(struct cli_ctx *c, const struct cli_args *a);

/* cli_entity.c: tasks, workflows and launch plans */
int cli_get_task(struct cli_ctx *c, const struct cli_args *a);
int cli_get_workflow(struct cli_ctx *c, const struct cli_args *a);
int cli_get_launchplan(struct cli_ctx *c, const struct cli_args *a);
int cli_update_launchplan(struct cli_ctx *c, const struct cli_args *a);
/* An RFC 3339 timestamp (pbjson's form) into buf; "" for NULL. */
const char *cli_time_str(const ProtobufCMessage *ts, char *buf, size_t cap);

/* cli_spec.c: serialized entities; cli_register.c: register files */
enum cli_kind {
	CLI_KIND_TASK = 0,
	CLI_KIND_WORKFLOW,
	CLI_KIND_LAUNCHPLAN,
	CLI_NKINDS
};
/* One serialized entity: admin.TaskSpec, admin.WorkflowSpec or
 * admin.LaunchPlan as pyflyte writes them. */
struct cli_entity {
	enum cli_kind kind;
	char *where;           /* "pkg.tgz:0_x_1.pb" or "x.json"; malloc'd */
	ProtobufCMessage *msg; /* owned (protobuf_c_message_free_unpacked) */
	size_t seq;            /* input order */
};
/* Decode a .pb or .json member named name (its "_1"/"_2"/"_3" suffix
 * picks the type to try first, as in flytectl).  0, or -1 with err. */
int cli_entity_decode(const char *name, const unsigned char *data, size_t len,
                      struct cli_entity *e, char *err, size_t errlen);
/* flytectl's hydration: ids and references whose project, domain or
 * version is empty or a "{{ registration.* }}" placeholder get
 * project, domain and version (version may be NULL: then a missing
 * version is an error).  0, or -1 with err. */
int cli_entity_hydrate(struct cli_entity *e, const char *project,
                       const char *domain, const char *version, char *err,
                       size_t errlen);
/* "task", "workflow", "launch plan" */
const char *cli_entity_what(enum cli_kind k);
/* The entity's name and version (after hydration). */
void cli_entity_id(const struct cli_entity *e, const char **name,
                   const char **version);
int cli_register_files(struct cli_ctx *c, const struct cli_args *a);

/* cli_exec.c: create, get, follow (--wait) and delete executions */
int cli_create_execution(struct cli_ctx *c, const struct cli_args *a);
int cli_get_execution(struct cli_ctx *c, const struct cli_args *a);
int cli_delete_execution(struct cli_ctx *c, const struct cli_args *a);
/* A duration as keelctl shows it: "450ms", "12.3s", "2m5s", "1h2m3s"
 * (negative counts as 0).  Returns buf. */
const char *cli_duration_str(int64_t ms, char *buf, size_t cap);

#endif /* KEEL_CLI_H */
