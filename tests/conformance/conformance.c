/*
 * conformance.c -- driver selection and loading for the conformance
 * suites; see conformance.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* nftw() */
#endif

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "plugin.h"

#include "conformance.h"

static int cf_rm_one(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int cf_rmtree(const char *path)
{
	return nftw(path, cf_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The plugin directory, absolute (the loader insists on one place). */
static char *cf_plugin_dir(void)
{
	const char *env = getenv("KEEL_PLUGIN_DIR");
	const char *build = getenv("KEEL_BUILDDIR");
	char buf[PATH_MAX];

	if (env == NULL || env[0] == '\0') {
		snprintf(buf, sizeof(buf), "%s/.libs",
		         build != NULL && build[0] != '\0' ? build : ".");
		env = buf;
	}
	return realpath(env, NULL);
}

/* Add "key=value" to sec. */
static int cf_set_pair(struct conf_section *sec, const char *pair, char *why,
                       size_t whylen)
{
	const char *eq = strchr(pair, '=');
	char *key;
	int rc;

	if (eq == NULL || eq == pair) {
		snprintf(why, whylen,
		         "bad config argument \"%s\": want KEY=VALUE", pair);
		return -1;
	}
	key = strndup(pair, (size_t)(eq - pair));
	if (key == NULL)
		return -1;
	rc = conf_section_set(sec, key, eq + 1);
	free(key);
	if (rc != 0)
		snprintf(why, whylen, "conf_section_set %s failed", pair);
	return rc != 0 ? -1 : 0;
}

/* Space-separated KEY=VALUE pairs from the environment. */
static int cf_set_env(struct conf_section *sec, const char *conf, char *why,
                      size_t whylen)
{
	char *copy, *p, *end;
	int rc = 0;

	copy = strdup(conf);
	if (copy == NULL)
		return -1;
	for (p = copy; rc == 0 && *p != '\0'; p = end) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ' ');
		if (end != NULL)
			*end++ = '\0';
		else
			end = p + strlen(p);
		rc = cf_set_pair(sec, p, why, whylen);
	}
	free(copy);
	return rc;
}

int cf_setup(struct cf_env *e, uint32_t kind, const char *def_driver, int argc,
             char **argv, char *why, size_t whylen)
{
	const char *kname = plugin_kind_name(kind);
	const char *tmp = getenv("TMPDIR");
	char env_name[64], path[PATH_MAX], tmpl[PATH_MAX];
	const char *driver = def_driver, *conf = NULL;
	struct conf_section *sec = NULL;
	char err[512] = "";
	int i, rc = CF_FAIL;

	memset(e, 0, sizeof(*e));
	if (kname == NULL) {
		snprintf(why, whylen, "kind %u has no name", (unsigned)kind);
		return CF_FAIL;
	}
	if (argc > 1) {
		driver = argv[1];
	} else {
		char up[16];

		for (i = 0; kname[i] != '\0' && i < 15; i++)
			up[i] = (char)(kname[i] - 'a' + 'A');
		up[i] = '\0';
		snprintf(env_name, sizeof(env_name), "KEEL_%s_DRIVER", up);
		if (getenv(env_name) != NULL && getenv(env_name)[0] != '\0')
			driver = getenv(env_name);
		snprintf(env_name, sizeof(env_name), "KEEL_%s_CONF", up);
		conf = getenv(env_name);
	}
	e->driver = strdup(driver);
	if (e->driver == NULL)
		goto out_nomem;

	e->plugin_dir = cf_plugin_dir();
	snprintf(path, sizeof(path), "%s/%s_%s.so",
	         e->plugin_dir != NULL ? e->plugin_dir : ".", kname, driver);
	if (e->plugin_dir == NULL || access(path, F_OK) != 0) {
		snprintf(why, whylen, "%s driver %s not built (no %s)", kname,
		         driver, path);
		return CF_SKIP;
	}

	snprintf(tmpl, sizeof(tmpl), "%s/keel-%s-conformance.XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", kname);
	if (mkdtemp(tmpl) == NULL) {
		snprintf(why, whylen, "mkdtemp %s: %s", tmpl, strerror(errno));
		return CF_FAIL;
	}
	e->data_dir = realpath(tmpl, NULL);
	if (e->data_dir == NULL)
		goto out_nomem;

	sec = conf_section_new(kname);
	if (sec == NULL || conf_section_set(sec, "driver", driver) != 0)
		goto out_nomem;
	for (i = 2; i < argc; i++)
		if (cf_set_pair(sec, argv[i], why, whylen) != 0)
			goto out_free_sec;
	if (conf != NULL && cf_set_env(sec, conf, why, whylen) != 0)
		goto out_free_sec;

	if (plugin_open(e->plugin_dir, path, kind, driver, &e->p, err,
	                sizeof(err)) != 0) {
		snprintf(why, whylen, "plugin_open %s: %s", path, err);
		goto out_free_sec;
	}
	e->desc = plugin_desc(e->p);
	if (plugin_instance_new(e->p, sec, e->data_dir, &e->pi, err,
	                        sizeof(err)) != 0) {
		snprintf(why, whylen, "plugin_instance_new %s: %s", driver,
		         err);
		goto out_free_sec;
	}
	if (plugin_instance_start(e->pi, err, sizeof(err)) != 0) {
		snprintf(why, whylen, "plugin_instance_start %s: %s", driver,
		         err);
		goto out_free_sec;
	}
	e->ops = plugin_instance_ops(e->pi);
	e->self = plugin_instance_self(e->pi);
	rc = CF_READY;
	goto out_free_sec;

out_nomem:
	snprintf(why, whylen, "out of memory");
out_free_sec:
	conf_section_free(sec);
	return rc;
}

void cf_teardown(struct cf_env *e)
{
	const char *keep = getenv("KEEL_KEEP_TMP");

	plugin_instance_free(e->pi);
	if (e->p != NULL)
		plugin_close(e->p);
	if (e->data_dir != NULL) {
		if (keep != NULL && keep[0] != '\0')
			printf("# kept %s\n", e->data_dir);
		else
			cf_rmtree(e->data_dir);
	}
	free(e->data_dir);
	free(e->plugin_dir);
	free(e->driver);
	memset(e, 0, sizeof(*e));
}
