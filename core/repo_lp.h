/*
 * repo_lp.h -- launch-plan activation: the one mutable column of a
 * launch plan, and the schedule outbox written with it.
 *
 * Activating a version makes it the only ACTIVE one of its name, in one
 * write transaction: every other ACTIVE version of (project, domain,
 * name) becomes INACTIVE, and the schedule changes that implies (REMOVE
 * for each version losing a schedule, ADD for the one gaining it) are
 * written to schedule_changes in the same transaction, for the scheduler
 * to consume.  Failures are KEEL_E* with a message in err.
 */
#ifndef KEEL_CORE_REPO_LP_H
#define KEEL_CORE_REPO_LP_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

struct db;

#define REPO_LP_INACTIVE 0
#define REPO_LP_ACTIVE 1

/*
 * Set the state of launch plan (project, domain, name, version).
 * schedule (len bytes, a serialized admin.Schedule; NULL when the
 * version has no schedule worth running) is what an ADD row carries.
 * KEEL_ENOTFOUND when the version does not exist.
 */
int repo_lp_set_state(struct db *db, const char *project, const char *domain,
                      const char *name, const char *version, int state,
                      const uint8_t *schedule, size_t len,
                      struct keel_err *err);

/* In a write transaction on a multi-writer engine, lock every version of
 * the launch plan name (db_for_update); a no-op elsewhere.  Serialises
 * activations, and launches under a concurrency limit. */
struct db_conn;
int repo_lp_lock_name(struct db_conn *c, const char *project,
                      const char *domain, const char *name,
                      struct keel_err *err);

/* One pending schedule change, for the scheduler and for tests. */
struct repo_lp_change {
	int64_t id, launch_plan_id;
	char action[8]; /* "ADD" or "REMOVE" */
	char version[256];
};

/* Up to max pending (unconsumed) changes of project/domain/name in id
 * order into out; the count in *n. */
int repo_lp_pending_changes(struct db *db, const char *project,
                            const char *domain, const char *name,
                            struct repo_lp_change *out, size_t max, size_t *n,
                            struct keel_err *err);

#endif
