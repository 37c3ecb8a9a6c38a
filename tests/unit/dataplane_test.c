/*
 * dataplane_test.c -- execution clusters ([cluster.*], [executor.*]):
 * configuration errors, and picking a cluster for an execution (labels,
 * weights, the default label, disabled clusters, stability per name).
 *
 * The executor instances are executor_local.so with spawn = false, so
 * loading them does no I/O and starts nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "dataplane.h"
#include "tap.h"
#include "util.h"

static char plugin_dir[512];

/* dp_load over an INI text; *out NULL and err set on failure. */
static int load(const char *ini, const char *def_cluster,
                const char *def_label, struct dp **out, char *err,
                size_t errlen)
{
	struct conf *c = NULL;
	int rc;

	*out = NULL;
	err[0] = '\0';
	rc = conf_load_string(ini, "test.ini", &c, err, errlen);
	if (rc == 0)
		rc = dp_load(c, plugin_dir, "/tmp", def_cluster, def_label, out,
		             err, errlen);
	conf_free(c);
	return rc;
}

#define TWO_EXECS                                                             \
	"[executor.a]\ndriver = local\nspawn = false\n"                       \
	"listen = ipc:///tmp/keel-dp-test-a.sock\n"                           \
	"[executor.b]\ndriver = local\nspawn = false\n"                       \
	"listen = ipc:///tmp/keel-dp-test-b.sock\n"

int main(void)
{
	const char *bdir = getenv("KEEL_BUILDDIR");
	char err[512], why[512], path[700];
	struct dp *dp;
	int rc;

	util_fmt(plugin_dir, sizeof(plugin_dir), "%s/.libs", bdir ? bdir : ".");
	util_fmt(path, sizeof(path), "%s/executor_local.so", plugin_dir);
	if (access(path, F_OK) != 0) {
		printf("1..0 # SKIP %s not built\n", path);
		return 0;
	}

	/* --- defaults: one instance "local", one cluster --------------- */
	rc = load("", NULL, NULL, &dp, err, sizeof(err));
	TAP_EQ_INT(rc, 0, "no sections: loads (%s)", err);
	if (dp != NULL) {
		TAP_OK(dp_has_cluster(dp, "local"), "the implicit cluster is local");
		TAP_EQ_STR(dp_pick(dp, NULL, "x1", why, sizeof(why)), "local",
		           "an execution without a label lands on it");
		TAP_OK(dp_pick(dp, "gpu", "x1", why, sizeof(why)) == NULL,
		       "a label nobody serves is refused");
		TAP_OK(strstr(why, "'gpu' is not served") != NULL,
		       "... naming the label: %s", why);
		dp_free(dp);
	}
	rc = load("", "edge-1", NULL, &dp, err, sizeof(err));
	TAP_OK(rc == 0 && dp_has_cluster(dp, "edge-1") &&
	           !dp_has_cluster(dp, "local"),
	       "[executions] cluster names the implicit cluster");
	dp_free(dp);

	/* --- configuration errors ---------------------------------------- */
	rc = load(TWO_EXECS "[cluster.c]\nlabels = x\n", NULL, NULL, &dp, err,
	          sizeof(err));
	TAP_EQ_INT(rc, KEEL_EINVAL, "two instances: a cluster must name one");
	TAP_OK(strstr(err, "[cluster.c] executor: required") != NULL, "%s",
	       err);
	rc = load("[cluster.c]\nexecutor = nope\n", NULL, NULL, &dp, err,
	          sizeof(err));
	TAP_OK(rc == KEEL_EINVAL && strstr(err, "no [executor.nope] section"),
	       "an unknown executor: %s", err);
	rc = load("[cluster.c]\nlabels = gpu:0\n", NULL, NULL, &dp, err,
	          sizeof(err));
	TAP_OK(rc == KEEL_EINVAL && strstr(err, "not a positive number"),
	       "a zero weight: %s", err);
	rc = load("[cluster.c]\nlabels = gpu:abc\n", NULL, NULL, &dp, err,
	          sizeof(err));
	TAP_OK(rc == KEEL_EINVAL && strstr(err, "'abc'"), "a bad weight: %s",
	       err);
	rc = load("[cluster.Bad]\n", NULL, NULL, &dp, err, sizeof(err));
	TAP_OK(rc == KEEL_EINVAL && strstr(err, "a cluster name is"),
	       "an upper-case cluster name: %s", err);
	rc = load("[cluster.c]\ncolour = red\n", NULL, NULL, &dp, err,
	          sizeof(err));
	TAP_OK(rc == KEEL_EINVAL && strstr(err, "colour"),
	       "an unknown key: %s", err);
	rc = load("[executor.a]\ndriver = nosuch\n", NULL, NULL, &dp, err,
	          sizeof(err));
	TAP_OK(rc != 0 && strstr(err, "executor_nosuch.so"),
	       "an unknown driver: %s", err);
	rc = load("[executor.a]\nspawn = perhaps\n", NULL, NULL, &dp, err,
	          sizeof(err));
	TAP_OK(rc == KEEL_EINVAL && strstr(err, "[executor.a]"),
	       "a bad plugin key names the instance: %s", err);
	rc = load("[cluster.c]\nlabels = gpu\n", NULL, "cpu", &dp, err,
	          sizeof(err));
	TAP_OK(rc == KEEL_EINVAL && strstr(err, "default_cluster_label"),
	       "a default label nobody serves: %s", err);

	/* --- weights and labels -------------------------------------------- */
	rc = load(TWO_EXECS
	          "[cluster.heavy]\nexecutor = a\nlabels = cpu:3, default\n"
	          "[cluster.light]\nexecutor = b\nlabels = cpu:1, gpu\n"
	          "[cluster.off]\nexecutor = b\nlabels = cpu:100\n"
	          "enabled = false\n",
	          NULL, "default", &dp, err, sizeof(err));
	TAP_EQ_INT(rc, 0, "three clusters on two instances (%s)", err);
	if (dp != NULL) {
		int heavy = 0, light = 0, other = 0, stable = 1;
		for (int i = 0; i < 4000; i++) {
			char name[32];
			const char *c1, *c2;
			snprintf(name, sizeof(name), "exec-%d", i);
			c1 = dp_pick(dp, "cpu", name, why, sizeof(why));
			c2 = dp_pick(dp, "cpu", name, why, sizeof(why));
			stable &= c1 != NULL && c2 != NULL && strcmp(c1, c2) == 0;
			if (c1 && strcmp(c1, "heavy") == 0)
				heavy++;
			else if (c1 && strcmp(c1, "light") == 0)
				light++;
			else
				other++;
		}
		TAP_OK(stable, "the same name always picks the same cluster");
		TAP_EQ_INT(other, 0, "a disabled cluster is never picked");
		/* 3:1 over 4000 names drawn by FNV-64a: expect 3000. */
		TAP_OK(heavy > 2800 && heavy < 3200,
		       "weights 3:1 split 4000 names %d:%d", heavy, light);
		TAP_EQ_STR(dp_pick(dp, "gpu", "exec-1", why, sizeof(why)),
		           "light", "a label one cluster serves goes there");
		TAP_EQ_STR(dp_pick(dp, NULL, "exec-1", why, sizeof(why)),
		           "heavy", "no label: the default label's cluster");
		TAP_EQ_STR(dp_pick(dp, "", "exec-2", why, sizeof(why)), "heavy",
		           "an empty label is no label");
		TAP_OK(dp_pick(dp, "tpu", "exec-1", why, sizeof(why)) == NULL &&
		           strstr(why, "labels served: cpu default cpu gpu"),
		       "an unknown label lists the served ones: %s", why);
		TAP_OK(dp_caps(dp, "heavy") != NULL &&
		           dp_caps(dp, "heavy")->flags == 0 &&
		           dp_caps(dp, "nope") == NULL,
		       "capabilities are read at start, not at load");
		TAP_OK(dp_has_cluster(dp, "off") && !dp_has_cluster(dp, "x"),
		       "dp_has_cluster");
		dp_free(dp);
	}
	/* No label and no default label: every enabled cluster, equally. */
	rc = load(TWO_EXECS "[cluster.p]\nexecutor = a\n"
	                    "[cluster.q]\nexecutor = b\n",
	          NULL, NULL, &dp, err, sizeof(err));
	if (dp != NULL) {
		int p = 0;
		for (int i = 0; i < 2000; i++) {
			char name[32];
			const char *c;
			snprintf(name, sizeof(name), "n%d", i);
			c = dp_pick(dp, NULL, name, why, sizeof(why));
			p += c && strcmp(c, "p") == 0;
		}
		TAP_OK(p > 850 && p < 1150,
		       "without labels both clusters share 2000 names (%d:%d)",
		       p, 2000 - p);
		dp_free(dp);
	} else {
		TAP_OK(0, "two clusters without labels load: %s", err);
	}
	TAP_OK(dp_is_section("executor.a") && dp_is_section("cluster.b") &&
	           !dp_is_section("executor.") && !dp_is_section("clusters"),
	       "dp_is_section");
	return tap_done();
}
