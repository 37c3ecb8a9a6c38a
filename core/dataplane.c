/*
 * dataplane.c -- execution clusters and their executor instances; see
 * dataplane.h.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dataplane.h"
#include "log.h"
#include "plugin.h"
#include "util.h"

#define DP_MAX_LABELS 64

struct dp_exec {
	char name[64];
	struct plugin *plugin;
	struct plugin_instance *inst;
	const struct keel_executor_ops *ops;
	void *self;
	struct keel_exec_caps caps;
	int serial; /* not thread-safe: calls hold mu */
	pthread_mutex_t mu;
};

struct dp_label {
	char name[64];
	double weight;
};

struct dp_cluster {
	char name[64];
	struct dp_exec *ex;
	int enabled;
	struct dp_label labels[DP_MAX_LABELS];
	size_t nlabels;
};

struct dp {
	struct dp_exec *ex;
	size_t nex;
	struct dp_cluster *cl;
	size_t ncl;
	char default_label[64];
};

static const struct keel_config_key dp_cluster_schema[] = {
	{"executor", KEEL_CFG_STR, 0, NULL,
	 "the [executor.NAME] instance that runs this cluster's executions "
	 "(default: the only one)",
	 0, 0},
	{"labels", KEEL_CFG_STR, 0, "",
	 "execution cluster labels this cluster serves, comma-separated, "
	 "each with an optional :weight (gpu:3, default)",
	 0, 0},
	{"enabled", KEEL_CFG_BOOL, 0, "true",
	 "whether new executions may be placed here", 0, 0},
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

void dp_print_template(FILE *out)
{
	fprintf(out, "[cluster.local]\n");
	conf_print_schema(out, dp_cluster_schema, sizeof(dp_cluster_schema[0]));
}

int dp_is_section(const char *name)
{
	return (strncmp(name, "executor.", 9) == 0 && name[9] != '\0') ||
	       (strncmp(name, "cluster.", 8) == 0 && name[8] != '\0');
}

/* Cluster and instance names: what a producer id and a section suffix
 * can carry without quoting. */
static int dp_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static struct dp_exec *dp_find_exec(const struct dp *dp, const char *name)
{
	for (size_t i = 0; i < dp->nex; i++)
		if (strcmp(dp->ex[i].name, name) == 0)
			return &dp->ex[i];
	return NULL;
}

static struct dp_cluster *dp_find_cluster(const struct dp *dp,
                                          const char *name)
{
	for (size_t i = 0; dp != NULL && i < dp->ncl; i++)
		if (strcmp(dp->cl[i].name, name) == 0)
			return &dp->cl[i];
	return NULL;
}

/* Load one executor instance from its section (NULL: all defaults). */
static int dp_load_exec(struct dp *dp, const char *name,
                        const struct conf_section *sec,
                        const char *plugin_dir, const char *data_dir,
                        char *err, size_t errlen)
{
	struct dp_exec *x = &dp->ex[dp->nex];
	const char *driver = sec ? conf_get(sec, "driver") : NULL;
	char path[PATH_MAX];
	int rc;

	if (driver == NULL)
		driver = "local";
	if (!dp_name_ok(name)) {
		util_fmt(err, errlen,
		         "[executor.%s]: an instance name is 1-63 of a-z, "
		         "0-9, '-' and '_'",
		         name);
		return KEEL_EINVAL;
	}
	if (strchr(driver, '/') != NULL || driver[0] == '.') {
		util_fmt(err, errlen,
		         "[executor.%s] driver = '%s' must be a plugin name, "
		         "not a path; plugins load only from %s",
		         name, driver, plugin_dir);
		return KEEL_EINVAL;
	}
	util_strlcpy(x->name, name, sizeof(x->name));
	pthread_mutex_init(&x->mu, NULL);
	dp->nex++;
	util_fmt(path, sizeof(path), "%s/executor_%s.so", plugin_dir, driver);
	rc = plugin_open(plugin_dir, path, KEEL_KIND_EXECUTOR, driver,
	                 &x->plugin, err, errlen);
	if (rc == KEEL_ENOTFOUND) {
		util_fmt(err, errlen,
		         "[executor.%s] driver = '%s': no plugin %s (is it "
		         "built and installed? see keeld --plugin-info)",
		         name, driver, path);
		return rc;
	}
	if (rc != 0)
		return rc;
	{
		/* The instance reads its own keys; the section header names
		 * the instance, so give the plugin a copy without it. */
		struct conf_section *own = conf_section_new("executor");
		if (own == NULL)
			return KEEL_ENOMEM;
		if (sec != NULL) {
			free(own->origin);
			own->origin = sec->origin ? util_strdup(sec->origin)
			                          : NULL;
			own->line = sec->line;
			for (size_t i = 0; i < sec->n; i++) {
				if (conf_section_set(own, sec->entries[i].key,
				                     sec->entries[i].value)) {
					conf_section_free(own);
					return KEEL_ENOMEM;
				}
				own->entries[own->n - 1].line =
				    sec->entries[i].line;
			}
		}
		rc = plugin_instance_new(x->plugin, own, data_dir, &x->inst,
		                         err, errlen);
		conf_section_free(own);
	}
	if (rc != 0) {
		char tmp[512];
		util_fmt(tmp, sizeof(tmp), "[executor.%s] %s", name, err);
		util_strlcpy(err, tmp, errlen);
		return rc;
	}
	x->ops = plugin_instance_ops(x->inst);
	x->self = plugin_instance_self(x->inst);
	x->serial = !(plugin_desc(x->plugin)->flags & KEEL_PLUGIN_F_THREADSAFE);
	return 0;
}

/* "gpu:3, default" -> labels. */
static int dp_parse_labels(struct dp_cluster *c, const char *text,
                           char *err, size_t errlen)
{
	const char *p = text;

	while (*p) {
		char item[128], *colon;
		size_t n;
		double w = 1.0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= sizeof(item)) {
			util_fmt(err, errlen,
			         "[cluster.%s] labels: '%.*s' is too long",
			         c->name, (int)n, p);
			return KEEL_EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		p += strcspn(p, ",");
		colon = strchr(item, ':');
		if (colon != NULL) {
			char *end;
			*colon = '\0';
			errno = 0;
			w = strtod(colon + 1, &end);
			if (errno != 0 || end == colon + 1 || *end != '\0' ||
			    !(w > 0) || w > 1e9) {
				util_fmt(err, errlen,
				         "[cluster.%s] labels: weight '%s' of "
				         "label '%s' is not a positive number",
				         c->name, colon + 1, item);
				return KEEL_EINVAL;
			}
		}
		if (item[0] == '\0' || strlen(item) >= sizeof(c->labels[0].name)) {
			util_fmt(err, errlen,
			         "[cluster.%s] labels: '%s' is not a label",
			         c->name, item);
			return KEEL_EINVAL;
		}
		if (c->nlabels == DP_MAX_LABELS) {
			util_fmt(err, errlen,
			         "[cluster.%s] labels: more than %d labels",
			         c->name, DP_MAX_LABELS);
			return KEEL_EINVAL;
		}
		util_strlcpy(c->labels[c->nlabels].name, item,
		             sizeof(c->labels[0].name));
		c->labels[c->nlabels].weight = w;
		c->nlabels++;
	}
	return 0;
}

static int dp_load_cluster(struct dp *dp, const char *name,
                           const struct conf_section *sec, char *err,
                           size_t errlen)
{
	struct dp_cluster *c = &dp->cl[dp->ncl];
	struct keel_config *cfg = NULL;
	const char *ex = NULL, *labels = "";
	int enabled = 1, rc;

	if (!dp_name_ok(name)) {
		util_fmt(err, errlen,
		         "[cluster.%s]: a cluster name is 1-63 of a-z, 0-9, '-' "
		         "and '_' (events carry it as their producer id)",
		         name);
		return KEEL_EINVAL;
	}
	if (dp_find_cluster(dp, name) != NULL) {
		util_fmt(err, errlen, "[cluster.%s] is configured twice", name);
		return KEEL_EINVAL;
	}
	util_strlcpy(c->name, name, sizeof(c->name));
	if (sec != NULL) {
		rc = conf_bind(sec, sec->origin, dp_cluster_schema,
		               sizeof(dp_cluster_schema[0]), NULL, ".", &cfg, err,
		               errlen);
		if (rc != 0)
			return rc;
		if (conf_str(cfg, "executor", &ex) != 0)
			ex = NULL;
		conf_str(cfg, "labels", &labels);
		conf_bool(cfg, "enabled", &enabled);
	}
	if (ex == NULL) {
		if (dp->nex != 1) {
			util_fmt(err, errlen,
			         "[cluster.%s] executor: required when there "
			         "are %zu [executor.*] sections",
			         name, dp->nex);
			rc = KEEL_EINVAL;
			goto out;
		}
		c->ex = &dp->ex[0];
	} else if ((c->ex = dp_find_exec(dp, ex)) == NULL) {
		util_fmt(err, errlen,
		         "[cluster.%s] executor = '%s': there is no "
		         "[executor.%s] section",
		         name, ex, ex);
		rc = KEEL_EINVAL;
		goto out;
	}
	c->enabled = enabled;
	rc = dp_parse_labels(c, labels, err, errlen);
	if (rc == 0)
		dp->ncl++;
out:
	conf_bound_free(cfg);
	return rc;
}

int dp_load(const struct conf *conf, const char *plugin_dir,
            const char *data_dir, const char *default_cluster,
            const char *default_label, struct dp **out, char *err,
            size_t errlen)
{
	struct dp *dp;
	size_t nsec = conf ? conf->n : 0, nex = 0, ncl = 0;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < nsec; i++) {
		const char *n = conf->sections[i]->name;
		nex += strncmp(n, "executor.", 9) == 0;
		ncl += strncmp(n, "cluster.", 8) == 0;
	}
	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return KEEL_ENOMEM;
	dp->ex = calloc(nex ? nex : 1, sizeof(*dp->ex));
	dp->cl = calloc(ncl ? ncl : 1, sizeof(*dp->cl));
	if (dp->ex == NULL || dp->cl == NULL) {
		rc = KEEL_ENOMEM;
		goto fail;
	}
	util_strlcpy(dp->default_label, default_label ? default_label : "",
	             sizeof(dp->default_label));
	for (size_t i = 0; i < nsec && rc == 0; i++) {
		const struct conf_section *s = conf->sections[i];
		if (strncmp(s->name, "executor.", 9) == 0) {
			if (dp_find_exec(dp, s->name + 9) != NULL) {
				util_fmt(err, errlen,
				         "[%s] is configured twice", s->name);
				rc = KEEL_EINVAL;
				break;
			}
			rc = dp_load_exec(dp, s->name + 9, s, plugin_dir,
			                  data_dir, err, errlen);
		}
	}
	if (rc == 0 && nex == 0)
		rc = dp_load_exec(dp, "local", NULL, plugin_dir, data_dir, err,
		                  errlen);
	if (rc != 0)
		goto fail;
	/* Several instances of one plugin need a plugin that allows it. */
	for (size_t i = 0; i < dp->nex; i++)
		for (size_t j = i + 1; j < dp->nex; j++)
			if (plugin_desc(dp->ex[i].plugin) ==
			        plugin_desc(dp->ex[j].plugin) &&
			    !(plugin_desc(dp->ex[i].plugin)->flags &
			      KEEL_PLUGIN_F_MULTI)) {
				util_fmt(err, errlen,
				         "[executor.%s] and [executor.%s]: "
				         "driver %s allows one instance only",
				         dp->ex[i].name, dp->ex[j].name,
				         plugin_desc(dp->ex[i].plugin)->name);
				rc = KEEL_EINVAL;
				goto fail;
			}
	for (size_t i = 0; i < nsec && rc == 0; i++) {
		const struct conf_section *s = conf->sections[i];
		if (strncmp(s->name, "cluster.", 8) == 0)
			rc = dp_load_cluster(dp, s->name + 8, s, err, errlen);
	}
	if (rc == 0 && ncl == 0)
		rc = dp_load_cluster(dp,
		                     default_cluster && default_cluster[0]
		                         ? default_cluster
		                         : "local",
		                     NULL, err, errlen);
	if (rc != 0)
		goto fail;
	if (dp->default_label[0] != '\0') {
		char why[256];
		if (dp_pick(dp, dp->default_label, "x", why, sizeof(why)) ==
		    NULL) {
			util_fmt(err, errlen,
			         "[executions] default_cluster_label = '%s': %s",
			         dp->default_label, why);
			rc = KEEL_EINVAL;
			goto fail;
		}
	}
	*out = dp;
	return 0;
fail:
	dp_free(dp);
	return rc;
}

int dp_start(struct dp *dp, char *err, size_t errlen)
{
	for (size_t i = 0; i < dp->nex; i++) {
		struct dp_exec *x = &dp->ex[i];
		struct keel_err ke = {0};
		int rc = plugin_instance_start(x->inst, err, errlen);

		if (rc != 0)
			return rc;
		rc = x->ops->caps(x->self, &x->caps, &ke);
		if (rc != 0) {
			util_fmt(err, errlen,
			         "[executor.%s]: cannot read its capabilities: "
			         "%s",
			         x->name, ke.msg);
			return rc;
		}
		if (x->caps.task_types == NULL)
			x->caps.task_types = "*";
		LOG_INFO("keeld", "executor %s (%s %s) started; runs task types %s",
		         x->name, plugin_desc(x->plugin)->name,
		         plugin_desc(x->plugin)->version, x->caps.task_types);
	}
	return 0;
}

void dp_free(struct dp *dp)
{
	if (dp == NULL)
		return;
	for (size_t i = dp->nex; i-- > 0;) {
		plugin_instance_free(dp->ex[i].inst);
		plugin_close(dp->ex[i].plugin);
		pthread_mutex_destroy(&dp->ex[i].mu);
	}
	free(dp->ex);
	free(dp->cl);
	free(dp);
}

/* FNV-1a, 64 bits: Admin seeds its cluster draw with it. */
static uint64_t dp_fnv64a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t dp_mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Weight of cluster c for label (0: does not serve it); label NULL: any
 * enabled cluster, weight 1. */
static double dp_weight(const struct dp_cluster *c, const char *label)
{
	if (!c->enabled)
		return 0;
	if (label == NULL)
		return 1;
	for (size_t i = 0; i < c->nlabels; i++)
		if (strcmp(c->labels[i].name, label) == 0)
			return c->labels[i].weight;
	return 0;
}

static const char *dp_draw(const struct dp *dp, const char *label,
                           const char *exec_name)
{
	double total = 0, u, at = 0;
	const struct dp_cluster *last = NULL;

	for (size_t i = 0; i < dp->ncl; i++)
		total += dp_weight(&dp->cl[i], label);
	if (total <= 0)
		return NULL;
	/* The hash seeds the draw, as in Admin (a PRNG seeded with it):
	 * FNV's high bits barely move between similar names, so mix them
	 * first (splitmix64's finaliser), then take 53 bits as a fraction
	 * in [0, 1). */
	u = (double)(dp_mix(dp_fnv64a(exec_name)) >> 11) *
	    (1.0 / 9007199254740992.0);
	u *= total;
	for (size_t i = 0; i < dp->ncl; i++) {
		double w = dp_weight(&dp->cl[i], label);
		if (w <= 0)
			continue;
		last = &dp->cl[i];
		at += w;
		if (u < at)
			return dp->cl[i].name;
	}
	return last ? last->name : NULL;
}

const char *dp_pick(const struct dp *dp, const char *label,
                    const char *exec_name, char *why, size_t whylen)
{
	const char *c;

	if (label != NULL && label[0] != '\0') {
		c = dp_draw(dp, label, exec_name);
		if (c == NULL) {
			size_t off = 0;
			why[0] = '\0';
			off += (size_t)snprintf(why, whylen,
			                        "execution cluster label '%s' is "
			                        "not served by any enabled "
			                        "cluster; labels served:",
			                        label);
			for (size_t i = 0; i < dp->ncl && off < whylen; i++)
				for (size_t j = 0; j < dp->cl[i].nlabels &&
				                   off < whylen;
				     j++)
					off += (size_t)snprintf(
					    why + off, whylen - off, " %s",
					    dp->cl[i].labels[j].name);
			return NULL;
		}
		return c;
	}
	if (dp->default_label[0] != '\0' &&
	    (c = dp_draw(dp, dp->default_label, exec_name)) != NULL)
		return c;
	c = dp_draw(dp, NULL, exec_name);
	if (c == NULL)
		util_fmt(why, whylen, "no execution cluster is enabled");
	return c;
}

int dp_has_cluster(const struct dp *dp, const char *cluster)
{
	return dp_find_cluster(dp, cluster) != NULL;
}

static struct dp_exec *dp_exec_of(struct dp *dp, const char *cluster,
                                  struct keel_err *err)
{
	struct dp_cluster *c = dp_find_cluster(dp, cluster ? cluster : "");

	if (c == NULL) {
		keel_err_set(err, KEEL_ENOTFOUND,
		             "execution cluster '%s' is not configured "
		             "(no [cluster.%s] section)",
		             cluster ? cluster : "", cluster ? cluster : "");
		return NULL;
	}
	return c->ex;
}

int dp_launch(struct dp *dp, const struct keel_exec_launch *l,
              struct keel_err *err)
{
	struct dp_exec *x = dp_exec_of(dp, l->id.cluster, err);
	int rc;

	if (x == NULL)
		return KEEL_ENOTFOUND;
	if (x->serial)
		pthread_mutex_lock(&x->mu);
	rc = x->ops->launch(x->self, l, err);
	if (x->serial)
		pthread_mutex_unlock(&x->mu);
	return rc;
}

int dp_abort(struct dp *dp, const struct keel_exec_ref *ref,
             const char *cause, struct keel_err *err)
{
	struct dp_exec *x = dp_exec_of(dp, ref->cluster, err);
	int rc;

	if (x == NULL)
		return KEEL_ENOTFOUND;
	if (x->serial)
		pthread_mutex_lock(&x->mu);
	rc = x->ops->abort(x->self, ref, cause, err);
	if (x->serial)
		pthread_mutex_unlock(&x->mu);
	return rc;
}

int dp_status(struct dp *dp, const struct keel_exec_ref *ref,
              struct keel_exec_status *st, struct keel_err *err)
{
	struct dp_exec *x = dp_exec_of(dp, ref->cluster, err);
	int rc;

	if (x == NULL)
		return KEEL_ENOTFOUND;
	if (x->ops->status == NULL)
		return keel_err_set(err, KEEL_ENOTSUP,
		                    "executor %s cannot report status", x->name);
	if (x->serial)
		pthread_mutex_lock(&x->mu);
	rc = x->ops->status(x->self, ref, st, err);
	if (x->serial)
		pthread_mutex_unlock(&x->mu);
	return rc;
}

const struct keel_exec_caps *dp_caps(const struct dp *dp, const char *cluster)
{
	const struct dp_cluster *c = dp_find_cluster(dp, cluster);

	return c ? &c->ex->caps : NULL;
}
