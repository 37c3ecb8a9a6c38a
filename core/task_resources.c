/*
 * task_resources.c -- Flyte Admin's registration-time resource checks.
 *
 * The messages are Flyte Admin's (users and their tooling know them),
 * minus the task identifier the caller already has.
 */
#include "config.h"

#include <string.h>

#include "task_resources.h"
#include "util.h"

/* The resources Flyte Admin checks, in the order we report them (its
 * own order is a Go map's, i.e. random). */
enum tr_slot { TR_CPU, TR_GPU, TR_MEMORY, TR_EPHEMERAL, TR_NSLOTS };

/* Spelled as Go prints the enum, which is what Flyte Admin's messages
 * show. */
static const char *const tr_names[TR_NSLOTS] = {"CPU", "GPU", "MEMORY",
                                                "EPHEMERAL_STORAGE"};

/* Flyte Admin's messages (macros: formats must be literals).  Its
 * duplicate message says "limit" for requests too; the GPU one gains the
 * two values. */
#define TR_MSG_TWICE "can't specify %s limit for task multiple times"
#define TR_MSG_PARSE                                                         \
	"Parsing of %s request failed for value %s - reason %s. Please "     \
	"follow K8s conventions for resources https://kubernetes.io/docs/"   \
	"concepts/configuration/manage-resources-containers/"
#define TR_MSG_WHOLE "gpu must be a whole number, got: %s instead"
#define TR_MSG_GPU_EQ                                                        \
	"For extended resource 'gpu' the default value must equal the "      \
	"limit value for task (default [%s], limit [%s])"
#define TR_MSG_REQ_LIM                                                       \
	"Requested %s default [%s] is greater than the limit [%s]. Please "  \
	"fix your configuration"
#define TR_CONTACT                                                           \
	"Please contact Flyte Admins to change these limits or consult the " \
	"configuration"
#define TR_MSG_LIM_PLAT                                                      \
	"Requested %s limit [%s] is greater than current limit set in the "  \
	"platform configuration [%s]. " TR_CONTACT
#define TR_MSG_REQ_PLAT                                                      \
	"Requested %s default [%s] is greater than current limit set in the " \
	"platform configuration [%s]. " TR_CONTACT

struct tr_set {
	struct quantity q[TR_NSLOTS];
	int has[TR_NSLOTS];
};

static int tr_slot_of(Flyteidl__Core__Resources__ResourceName name)
{
	switch (name) {
	case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU:
		return TR_CPU;
	case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__GPU:
		return TR_GPU;
	case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY:
		return TR_MEMORY;
	case FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__EPHEMERAL_STORAGE:
		return TR_EPHEMERAL;
	default:
		return -1; /* STORAGE, UNKNOWN: not checked */
	}
}

/* One list (requests or limits) into *set. */
static int tr_collect(Flyteidl__Core__Resources__ResourceEntry *const *list,
                      size_t n, struct tr_set *set, char *err, size_t errlen)
{
	char why[256];

	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < n; i++) {
		const Flyteidl__Core__Resources__ResourceEntry *e = list[i];
		const char *value;
		int s;

		if (e == NULL || (s = tr_slot_of(e->name)) < 0)
			continue;
		value = e->value ? e->value : "";
		if (set->has[s]) {
			util_fmt(err, errlen, TR_MSG_TWICE, tr_names[s]);
			return -1;
		}
		if (quantity_parse(value, &set->q[s], why, sizeof(why)) < 0) {
			util_fmt(err, errlen, TR_MSG_PARSE, tr_names[s], value,
			         why);
			return -1;
		}
		set->has[s] = 1;
		if (s == TR_GPU && !quantity_is_integer(&set->q[s])) {
			util_fmt(err, errlen, TR_MSG_WHOLE, value);
			return -1;
		}
	}
	return 0;
}

int task_resources_check(const Flyteidl__Core__Resources *r,
                         const struct task_resource_limits *platform,
                         char *err, size_t errlen)
{
	struct tr_set req, lim, plat;
	char a[QUANTITY_FMT_MAX], b[QUANTITY_FMT_MAX];

	if (r == NULL)
		return 0;
	if (tr_collect(r->requests, r->n_requests, &req, err, errlen) < 0 ||
	    tr_collect(r->limits, r->n_limits, &lim, err, errlen) < 0)
		return -1;

	memset(&plat, 0, sizeof(plat));
	if (platform != NULL) {
		plat.q[TR_CPU] = platform->cpu;
		plat.has[TR_CPU] = platform->has_cpu;
		plat.q[TR_GPU] = platform->gpu;
		plat.has[TR_GPU] = platform->has_gpu;
		plat.q[TR_MEMORY] = platform->memory;
		plat.has[TR_MEMORY] = platform->has_memory;
		plat.q[TR_EPHEMERAL] = platform->ephemeral_storage;
		plat.has[TR_EPHEMERAL] = platform->has_ephemeral_storage;
	}
	for (int s = 0; s < TR_NSLOTS; s++)
		if (plat.has[s] && quantity_is_zero(&plat.q[s]))
			plat.has[s] = 0;

	/* Only requested resources are checked, as in Flyte Admin. */
	for (int s = 0; s < TR_NSLOTS; s++) {
		const struct quantity *rq = &req.q[s], *lq = &lim.q[s];
		const struct quantity *pq = &plat.q[s];

		if (!req.has[s])
			continue;
		quantity_format(rq, a, sizeof(a));
		if (s == TR_GPU) {
			if (lim.has[s] && quantity_cmp(rq, lq) != 0) {
				quantity_format(lq, b, sizeof(b));
				util_fmt(err, errlen, TR_MSG_GPU_EQ, a, b);
				return -1;
			}
		} else if (lim.has[s]) {
			quantity_format(lq, b, sizeof(b));
			if (quantity_cmp(lq, rq) < 0) {
				util_fmt(err, errlen, TR_MSG_REQ_LIM,
				         tr_names[s], a, b);
				return -1;
			}
			if (plat.has[s] && quantity_cmp(lq, pq) > 0) {
				char p[QUANTITY_FMT_MAX];

				quantity_format(pq, p, sizeof(p));
				util_fmt(err, errlen, TR_MSG_LIM_PLAT,
				         tr_names[s], b, p);
				return -1;
			}
		}
		if (plat.has[s] && quantity_cmp(rq, pq) > 0) {
			quantity_format(pq, b, sizeof(b));
			util_fmt(err, errlen, TR_MSG_REQ_PLAT, tr_names[s], a,
			         b);
			return -1;
		}
	}
	return 0;
}

void task_resources_defaults(struct task_resource_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->cpu.units = 2;
	l->has_cpu = 1;
	l->memory.units = (uint64_t)1 << 30;
	l->memory.format = QUANTITY_BINARY_SI;
	l->has_memory = 1;
	l->gpu.units = 1;
	l->has_gpu = 1;
}

/* One config value: NULL or "" leaves it unset. */
static int tr_limit_parse(const char *key, const char *s, struct quantity *q,
                          int *has, char *err, size_t errlen)
{
	char why[256];

	if (s == NULL || *s == '\0')
		return 0;
	if (quantity_parse(s, q, why, sizeof(why)) < 0) {
		util_fmt(err, errlen, "%s: %s", key, why);
		return -1;
	}
	if (q->neg) {
		util_fmt(err, errlen,
		         "%s: quantity \"%s\": must not be negative", key, s);
		return -1;
	}
	*has = 1;
	return 0;
}

int task_resource_limits_parse(struct task_resource_limits *l,
                               const char *cpu, const char *memory,
                               const char *gpu, const char *ephemeral_storage,
                               char *err, size_t errlen)
{
	struct task_resource_limits t;

	memset(&t, 0, sizeof(t));
	if (tr_limit_parse("cpu", cpu, &t.cpu, &t.has_cpu, err, errlen) < 0 ||
	    tr_limit_parse("memory", memory, &t.memory, &t.has_memory, err,
	                   errlen) < 0 ||
	    tr_limit_parse("gpu", gpu, &t.gpu, &t.has_gpu, err, errlen) < 0 ||
	    tr_limit_parse("ephemeral_storage", ephemeral_storage,
	                   &t.ephemeral_storage, &t.has_ephemeral_storage, err,
	                   errlen) < 0)
		return -1;
	*l = t;
	return 0;
}
