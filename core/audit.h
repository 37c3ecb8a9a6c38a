/*
 * audit.h -- one record per mutating call, whichever door it came through.
 *
 * A record is a JSON line:
 *   {"ts":"2026-11-24T09:00:00.123Z","request_id":"a-...","principal":
 *    "anonymous","door":"http","method":"/flyteidl.service.AdminService/
 *    RegisterProject","code":"OK","message":"","ms":3}
 * written with one write(2) to [audit] file (O_APPEND, reopened on
 * SIGHUP like the log), or, without a file, to the log under "audit" at
 * info level.  Writes (methods whose action is RPC_ACTION_WRITE) are
 * recorded whether they succeed or are refused; reads are not.
 * Thread-safe.
 */
#ifndef KEEL_CORE_AUDIT_H
#define KEEL_CORE_AUDIT_H

#include <stdint.h>

struct call;

/* path NULL or "": records go to the log.  0 or -errno (then records go
 * to the log). */
int audit_setup(const char *path);
int audit_reopen(void);
void audit_shutdown(void);

/* Record a finished call that took ms milliseconds. */
void audit_call(const struct call *c, int64_t ms);

#endif
