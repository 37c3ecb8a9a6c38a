/*
 * conformance.h -- what the per-kind driver suites share: choosing the
 * driver, loading it through the core's loader (core/plugin.h, the same
 * path keeld takes), a scratch data directory, and cleanup.
 *
 * A suite is run as
 *     <suite> [DRIVER [KEY=VALUE...]]
 * or, without arguments, from the environment
 *     KEEL_<KIND>_DRIVER=postgres KEEL_<KIND>_CONF="host=... port=..."
 * (KIND is DB or BLOB; CONF is space-separated KEY=VALUE pairs), falling
 * back to the embedded default driver with its default config.  Plugins
 * are loaded from $KEEL_PLUGIN_DIR, else $KEEL_BUILDDIR/.libs, else
 * ./.libs.  The data directory is a fresh mkdtemp() under $TMPDIR (or
 * /tmp), removed at the end unless KEEL_KEEP_TMP is set.
 */
#ifndef KEEL_TESTS_CONFORMANCE_H
#define KEEL_TESTS_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_plugin.h>

struct plugin;
struct plugin_instance;

struct cf_env {
	char *driver;   /* owned */
	char *data_dir; /* owned; the scratch directory, absolute */
	char *plugin_dir;
	struct plugin *p;
	struct plugin_instance *pi;
	const struct keel_plugin *desc; /* borrowed from p */
	const void *ops;                /* the kind's ops, host-sized copy */
	void *self;                     /* the instance */
};

/* What cf_setup() tells the suite. */
#define CF_READY 0
#define CF_SKIP  1 /* driver not built: print "1..0 # SKIP why" */
#define CF_FAIL  2 /* loading or starting failed: why says what */

/*
 * Pick the driver (argv, then environment, then def_driver), create the
 * data directory, load <plugin_dir>/<kind>_<driver>.so, create, configure
 * and start an instance.  On CF_SKIP and CF_FAIL why holds the reason and
 * cf_teardown() must still be called.
 */
int cf_setup(struct cf_env *e, uint32_t kind, const char *def_driver, int argc,
             char **argv, char *why, size_t whylen);

/* Stop and free the instance, close the plugin, remove the data directory
 * (unless KEEL_KEEP_TMP is set).  Safe after any cf_setup() result. */
void cf_teardown(struct cf_env *e);

/* rm -rf path; returns 0 or -1. */
int cf_rmtree(const char *path);

#endif
