/*
 * repo_lp.c -- launch-plan activation and the schedule outbox.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "repo_lp.h"
#include "util.h"

/* Versions of one name that a change touches; more than one ACTIVE can
 * only come from outside writes, and is repaired here. */
#define REPO_LP_MAX_ACTIVE 16

struct repo_lp_row {
	int64_t id;
	char version[256];
	int scheduled;
};

struct repo_lp_set {
	const char *key[4];
	int state;
	const uint8_t *schedule;
	size_t len;
	int64_t now;
	struct repo_lp_row target;
	int found;
	struct repo_lp_row active[REPO_LP_MAX_ACTIVE];
	size_t nactive;
};

static int repo_lp_target_row(void *arg, const struct keel_db_val *cols,
                              size_t ncols)
{
	struct repo_lp_set *s = arg;

	(void)ncols;
	s->target.id = cols[0].i;
	s->target.scheduled = cols[1].n > 0 &&
	                      strncmp(cols[1].p, "NONE", cols[1].n) != 0;
	s->found = 1;
	return 0;
}

static int repo_lp_active_row(void *arg, const struct keel_db_val *cols,
                              size_t ncols)
{
	struct repo_lp_set *s = arg;
	struct repo_lp_row *r;

	(void)ncols;
	if (s->nactive == REPO_LP_MAX_ACTIVE)
		return 0;
	r = &s->active[s->nactive++];
	r->id = cols[0].i;
	util_fmt(r->version, sizeof(r->version), "%.*s", (int)cols[1].n,
	         (const char *)cols[1].p);
	r->scheduled = cols[2].n > 0 &&
	               strncmp(cols[2].p, "NONE", cols[2].n) != 0;
	return 0;
}

static int repo_lp_change(struct db_conn *c, const struct repo_lp_set *s,
                          int64_t lp_id, const char *version,
                          const char *action, const uint8_t *blob,
                          size_t len, struct keel_err *err)
{
	struct keel_db_val a[8];

	a[0] = db_int(lp_id);
	a[1] = db_str(s->key[0]);
	a[2] = db_str(s->key[1]);
	a[3] = db_str(s->key[2]);
	a[4] = db_str(version);
	a[5] = db_str(action);
	a[6] = blob != NULL ? db_blob(blob, len) : db_null();
	a[7] = db_int(s->now);
	return db_exec(c,
	               "INSERT INTO schedule_changes (launch_plan_id, project, "
	               "domain, name, version, action, schedule, created_at) "
	               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	               a, 8, NULL, err);
}

static int repo_lp_ignore_row(void *arg, const struct keel_db_val *cols,
                              size_t ncols)
{
	(void)arg;
	(void)cols;
	(void)ncols;
	return 0;
}

int repo_lp_lock_name(struct db_conn *c, const char *project,
                      const char *domain, const char *name,
                      struct keel_err *err)
{
	struct keel_db_val a[3] = {db_str(project), db_str(domain),
	                           db_str(name)};
	char sql[160];

	if (db_for_update(c)[0] == '\0')
		return 0;
	util_fmt(sql, sizeof(sql),
	         "SELECT id FROM launch_plans WHERE project = ? AND domain = ? "
	         "AND name = ?%s",
	         db_for_update(c));
	return db_query(c, sql, a, 3, repo_lp_ignore_row, NULL, err);
}

static int repo_lp_set_tx(struct db_conn *c, void *arg, struct keel_err *err)
{
	struct repo_lp_set *s = arg;
	struct keel_db_val a[4];
	int rc;

	s->found = 0;
	s->nactive = 0;
	for (int i = 0; i < 4; i++)
		a[i] = db_str(s->key[i]);
	/* Two activations of one name run one after the other, and the
	 * second sees which version the first left active. */
	rc = repo_lp_lock_name(c, s->key[0], s->key[1], s->key[2], err);
	if (rc != 0)
		return rc;
	rc = db_query(c,
	              "SELECT id, schedule_type FROM launch_plans WHERE "
	              "project = ? AND domain = ? AND name = ? AND version = ?",
	              a, 4, repo_lp_target_row, s, err);
	if (rc != 0)
		return rc;
	if (!s->found)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "entry not found: launch plan [%s/%s/%s/%s]",
		                    s->key[0], s->key[1], s->key[2], s->key[3]);
	util_fmt(s->target.version, sizeof(s->target.version), "%s",
	         s->key[3]);
	if (s->state == REPO_LP_ACTIVE) {
		rc = db_query(c,
		              "SELECT id, version, schedule_type FROM "
		              "launch_plans WHERE project = ? AND domain = ? "
		              "AND name = ? AND state = 1",
		              a, 3, repo_lp_active_row, s, err);
		if (rc != 0)
			return rc;
	} else {
		/* Deactivating removes the version's schedule whatever its
		 * state, as Flyte Admin does. */
		s->active[0] = s->target;
		s->nactive = 1;
	}
	/* The formerly active versions (the target too, when it was):
	 * schedules removed, state INACTIVE. */
	for (size_t i = 0; i < s->nactive; i++) {
		const struct repo_lp_row *o = &s->active[i];
		if (o->scheduled) {
			rc = repo_lp_change(c, s, o->id, o->version, "REMOVE",
			                    NULL, 0, err);
			if (rc != 0)
				return rc;
		}
		a[0] = db_int(s->now);
		a[1] = db_int(o->id);
		rc = db_exec(c,
		             "UPDATE launch_plans SET state = 0, updated_at = ? "
		             "WHERE id = ?",
		             a, 2, NULL, err);
		if (rc != 0)
			return rc;
	}
	if (s->state != REPO_LP_ACTIVE)
		return 0;
	if (s->schedule != NULL) {
		rc = repo_lp_change(c, s, s->target.id, s->key[3], "ADD",
		                    s->schedule, s->len, err);
		if (rc != 0)
			return rc;
	}
	a[0] = db_int(s->now);
	a[1] = db_int(s->target.id);
	return db_exec(c,
	               "UPDATE launch_plans SET state = 1, updated_at = ? "
	               "WHERE id = ?",
	               a, 2, NULL, err);
}

int repo_lp_set_state(struct db *db, const char *project, const char *domain,
                      const char *name, const char *version, int state,
                      const uint8_t *schedule, size_t len,
                      struct keel_err *err)
{
	struct repo_lp_set s = {.key = {project, domain, name, version},
	                        .state = state,
	                        .schedule = schedule,
	                        .len = len,
	                        .now = util_now_ms()};

	return db_tx(db, KEEL_DB_TX_WRITE, repo_lp_set_tx, &s, err);
}

struct repo_lp_pending {
	const char *key[3];
	struct repo_lp_change *out;
	size_t max, n;
};

static int repo_lp_pending_row(void *arg, const struct keel_db_val *cols,
                               size_t ncols)
{
	struct repo_lp_pending *p = arg;
	struct repo_lp_change *ch;

	(void)ncols;
	if (p->n == p->max)
		return 0;
	ch = &p->out[p->n++];
	ch->id = cols[0].i;
	ch->launch_plan_id = cols[1].i;
	util_fmt(ch->action, sizeof(ch->action), "%.*s", (int)cols[2].n,
	         (const char *)cols[2].p);
	util_fmt(ch->version, sizeof(ch->version), "%.*s", (int)cols[3].n,
	         (const char *)cols[3].p);
	return 0;
}

static int repo_lp_pending_tx(struct db_conn *c, void *arg,
                              struct keel_err *err)
{
	struct repo_lp_pending *p = arg;
	struct keel_db_val a[3];

	p->n = 0;
	for (int i = 0; i < 3; i++)
		a[i] = db_str(p->key[i]);
	return db_query(c,
	                "SELECT id, launch_plan_id, action, version FROM "
	                "schedule_changes WHERE consumed_at IS NULL AND "
	                "project = ? AND domain = ? AND name = ? ORDER BY id",
	                a, 3, repo_lp_pending_row, p, err);
}

int repo_lp_pending_changes(struct db *db, const char *project,
                            const char *domain, const char *name,
                            struct repo_lp_change *out, size_t max, size_t *n,
                            struct keel_err *err)
{
	struct repo_lp_pending p = {.key = {project, domain, name},
	                            .out = out,
	                            .max = max};
	int rc;

	rc = db_tx(db, KEEL_DB_TX_READ, repo_lp_pending_tx, &p, err);
	*n = p.n;
	return rc;
}
