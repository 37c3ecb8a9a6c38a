/*
 * dataplane.h -- execution clusters and the executor instances behind them.
 *
 * Configuration ([executions] target = clusters, the default):
 *
 *     [executor.NAME]        one executor plugin instance
 *     driver = local         plugin executor_<driver>.so; the other keys
 *                            are the plugin's own
 *
 *     [cluster.NAME]         an execution cluster: where executions run
 *     executor = NAME        the instance that runs them
 *     labels = gpu:3, default  execution cluster labels it serves, each
 *                            with a weight (1 when omitted)
 *     enabled = true
 *
 * Without [executor.*] sections there is one instance "local" (driver
 * local); without [cluster.*] sections there is one cluster, named by
 * [executions] cluster or "local", on the only instance.
 *
 * Picking a cluster follows Flyte Admin's random cluster selector: the
 * label's clusters (else those of [executions] default_cluster_label,
 * else every enabled cluster) by weight, with the draw seeded by FNV-64a
 * of the execution name, so an execution name always lands on the same
 * cluster.  Unlike Admin, a label no cluster serves is refused (Admin
 * quietly falls back to the default list).
 *
 * Thread-safety: after dp_start() everything is read-only; the executors'
 * ops are called from outbox workers (the plugins declare whether they
 * are thread-safe; dp serialises those that are not).
 */
#ifndef KEEL_CORE_DATAPLANE_H
#define KEEL_CORE_DATAPLANE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <keel/keel_executor.h>

struct conf;
struct dp;

/*
 * Read [executor.*] and [cluster.*] from conf (may be NULL), load and
 * configure the executor plugins from plugin_dir (no I/O).
 * default_cluster names the implicit cluster ("" or NULL: "local");
 * default_label is [executions] default_cluster_label.  0 or KEEL_E* with
 * a message naming the section and key in err.  Free with dp_free().
 */
int dp_load(const struct conf *conf, const char *plugin_dir,
            const char *data_dir, const char *default_cluster,
            const char *default_label, struct dp **out, char *err,
            size_t errlen);
/* Start every instance and read its capabilities. */
int dp_start(struct dp *dp, char *err, size_t errlen);
/* Stop and destroy every instance, then free; accepts NULL. */
void dp_free(struct dp *dp);

/* The documented [cluster.local] section, for keeld config-template. */
void dp_print_template(FILE *out);

/* 1 when name is a section dp_load() reads ("executor.x", "cluster.y"). */
int dp_is_section(const char *name);

/*
 * The cluster for execution exec_name given its cluster label ("" or
 * NULL: none).  Returns the cluster's name (valid until dp_free), or NULL
 * with the reason in why (a label no enabled cluster serves, naming the
 * labels that exist).
 */
const char *dp_pick(const struct dp *dp, const char *label,
                    const char *exec_name, char *why, size_t whylen);

/* Whether cluster is configured (an event producer may name it). */
int dp_has_cluster(const struct dp *dp, const char *cluster);

/* Launch, abort and status on the cluster's executor; KEEL_ENOTFOUND
 * (with a message) for a cluster no longer configured. */
int dp_launch(struct dp *dp, const struct keel_exec_launch *l,
              struct keel_err *err);
int dp_abort(struct dp *dp, const struct keel_exec_ref *ref,
             const char *cause, struct keel_err *err);
/* KEEL_ENOTSUP when the executor has no status op. */
int dp_status(struct dp *dp, const struct keel_exec_ref *ref,
              struct keel_exec_status *st, struct keel_err *err);
/* The capabilities of the cluster's executor; NULL for an unknown
 * cluster. */
const struct keel_exec_caps *dp_caps(const struct dp *dp,
                                     const char *cluster);

#endif
