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

/* cli_filter.c: flytectl's --filter.fieldSelector to admin's filter
 * language ("a=b,c>1" -> "eq(a,b)+gt(c,1)"); a selector already in admin's
 * form ("eq(a,b)+ne(c,d)") passes unchanged.  *out is malloc'd. */
int cli_filter_rewrite(const char *sel, char **out, char *err, size_t errlen);

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

/* Call method with req; on success *resp is the decoded response (free
 * with protobuf_c_message_free_unpacked).  Prints the error and returns
 * the exit status otherwise. */
int cli_call(struct cli_ctx *c, const char *method, const ProtobufCMessage *req,
             const ProtobufCMessageDescriptor *resp_desc,
             ProtobufCMessage **resp);
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

#endif /* KEEL_CLI_H */
