/*
 * inproc.h -- keeld's core inside fabench: the db plugin, the schema and
 * the method table over a keeld data directory, with no door in front.
 *
 * `fabench populate` registers projects and tasks through it (the same
 * handlers, validation and repository code keeld runs), and the registry
 * cells run one request through it to learn the SQL it issues (floor.h).
 * Requests go through rpc_dispatch() exactly as a door hands them over.
 *
 * Ownership: struct inproc owns the plugin, its instance, the pool, the
 * service table and one arena, which inproc_call() resets per call; a
 * response lives until the next call.  One thread at a time.
 */
#ifndef FABENCH_INPROC_H
#define FABENCH_INPROC_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct inproc;

/* Settings of the [db] section that matter here: NULL keeps the plugin's
 * default. */
struct inproc_db_opts {
	const char *synchronous; /* "off" for a bulk load */
	const char *cache_size;  /* "256MiB" */
	int migrate;             /* apply pending migrations (populate) */
};

/* Open data_dir's database with the sqlite plugin from plugin_dir (as
 * keeld does with its built-in defaults, and its default domains).
 * 0, or -1 with err set. */
int inproc_open(const char *data_dir, const char *plugin_dir,
                const struct inproc_db_opts *dbo, struct inproc **out,
                char *err, size_t errlen);
void inproc_close(struct inproc *ip);

/*
 * Call method (a full path) with msg (NULL: an empty request).  Returns
 * the gRPC status code; *message is the status message.  With out_desc
 * and out, the response is decoded into *out.  Both live until the next
 * call.
 */
int inproc_call(struct inproc *ip, const char *method,
                const ProtobufCMessage *msg,
                const ProtobufCMessageDescriptor *out_desc, void **out,
                const char **message);

/* The schema version this build migrates to. */
int inproc_schema_version(void);

#endif /* FABENCH_INPROC_H */
