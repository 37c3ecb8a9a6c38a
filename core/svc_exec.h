/*
 * svc_exec.h -- what the execution, event and signal services share:
 * phases, timestamps, blobs of literal maps, and loading an execution.
 */
#ifndef KEEL_CORE_SVC_EXEC_H
#define KEEL_CORE_SVC_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "repo_exec.h"

struct call;
struct Flyteidl__Core__WorkflowExecutionIdentifier;
struct Google__Protobuf__Timestamp;
struct Flyteidl__Admin__Execution;

/* core.WorkflowExecution.Phase by number and name ("RUNNING"); -1 for
 * an unknown name. */
const char *svc_wf_phase_name(int phase);
int svc_wf_phase_parse(const char *name);
/* SUCCEEDED, FAILED, TIMED_OUT, ABORTED. */
int svc_wf_phase_terminal(int phase);

/* Set the call's detail to the EventFailureReason Flyte clients look
 * for: AlreadyInTerminalState{current_phase = phase}. */
void svc_detail_terminal(struct call *c, const char *phase);

/* Flyte Admin's generated execution name: 'a' and 19 characters of
 * k8s rand's alphabet, NUL-terminated.  0, or -1 without randomness. */
int svc_exec_gen_name(char out[21]);

/* A Timestamp in the call's arena (NULL: out of memory), and back. */
struct Google__Protobuf__Timestamp *svc_ts(struct call *c, int64_t ms);
int64_t svc_ts_ms(const struct Google__Protobuf__Timestamp *t);

/* project, domain and name all set ("missing project" ...); 0 or the
 * call's error. */
int svc_exec_check_id(struct call *c,
                      const struct Flyteidl__Core__WorkflowExecutionIdentifier *id);

/* Load an execution by id; NOT_FOUND when absent.  0 or the call's
 * error. */
int svc_exec_load(struct call *c,
                  const struct Flyteidl__Core__WorkflowExecutionIdentifier *id,
                  struct repo_exec *row);

/* Decode m (len bytes) as desc into the call's arena; NULL with the
 * call's error (INTERNAL, naming what) when it does not decode. */
void *svc_unpack(struct call *c, const ProtobufCMessageDescriptor *desc,
                 const uint8_t *p, size_t len, const char *what);

/* The row as an admin.Execution; NULL with the call's error. */
struct Flyteidl__Admin__Execution *svc_exec_msg(struct call *c,
                                                const struct repo_exec *row);

/* Write m under key in the blob store; *uri is its URI (arena).  0 or
 * the call's error (UNAVAILABLE when the store fails, FAILED_PRECONDITION
 * when none is configured). */
int svc_blob_put_msg(struct call *c, const char *key, const ProtobufCMessage *m,
                     const char **uri);
/* Read the object at uri (one of this store's URIs) as desc, at most max
 * bytes.  0; KEEL_ENOTFOUND-ish failures are the call's error. *out is
 * NULL and 0 returned when uri is not this store's (a foreign URI). */
int svc_blob_get_msg(struct call *c, const char *uri,
                     const ProtobufCMessageDescriptor *desc, int64_t max,
                     ProtobufCMessage **out);
/* The object's size, or -1 when it cannot be read. */
int64_t svc_blob_size(struct call *c, const char *uri);
/* A signed GET URL for uri valid ttl_ms; NULL when not possible. */
const char *svc_blob_sign(struct call *c, const char *uri, int64_t ttl_ms);

/* One side of a Get*Data response: the UrlBlob of uri (signed when
 * configured) and, below [executions] inline_data_max, the literal map
 * itself.  Unreadable data leaves *full NULL (the call still succeeds).
 * 0 or the call's error. */
struct Flyteidl__Admin__UrlBlob;
struct Flyteidl__Core__LiteralMap;
int svc_exec_data_side(struct call *c, const char *uri,
                       struct Flyteidl__Admin__UrlBlob **blob,
                       struct Flyteidl__Core__LiteralMap **full);

/* "metadata/<p>/<d>/<name>/<leaf>", each part escaped; NULL on ENOMEM. */
const char *svc_exec_key(struct call *c, const char *project,
                         const char *domain, const char *name,
                         const char *leaf);

/* Start the outbox workers as configured: the launch and abort handlers
 * for [executions] target.  Called once by main; svc->outbox set. */
struct svc;
int svc_exec_start(struct svc *s, char *err, size_t errlen);
void svc_exec_stop(struct svc *s);
/* One reconciler round now (tests; keeld runs them every
 * [executions] reconcile_interval): returns the executions it ended. */
int svc_exec_reconcile_once(struct svc *s);

/* The outbox handlers svc_exec_start set up (launch, abort), for tests
 * and `keeld outbox`; *n receives their count. */
struct outbox_handler;
const struct outbox_handler *svc_exec_handlers(size_t *n);

#endif
