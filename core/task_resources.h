/*
 * task_resources.h -- a task's resource requests and limits against the
 * platform limits, as Flyte Admin checks them at CreateTask
 * (validateTaskResources).
 *
 * The rules, Flyte Admin's to the letter:
 *   - only CPU, GPU, MEMORY and EPHEMERAL_STORAGE entries are looked at;
 *     STORAGE and UNKNOWN ones are ignored, unparsed;
 *   - each of those at most once per list, with a value that parses as a
 *     Kubernetes quantity; GPU a whole number;
 *   - for each *requested* CPU, MEMORY, EPHEMERAL_STORAGE: request <= limit
 *     (when a limit is given), limit <= platform limit, request <= platform
 *     limit;
 *   - for a requested GPU: request == limit (when a limit is given),
 *     request <= platform limit.
 * So a limit with no matching request is not held against the platform
 * limit (execution clamps it later, see the behaviour doc section 7.4).
 * Comparisons are exact.  Flyte Admin rounds each side up to whole units
 * first (Kubernetes' Quantity.Value()), so it lets a 1500m request under
 * a 1200m limit through; Keel refuses it, as a user would expect.
 *
 * Everything here is pure; the Resources message is only read.
 */
#ifndef KEEL_CORE_TASK_RESOURCES_H
#define KEEL_CORE_TASK_RESOURCES_H

#include <stddef.h>

#include "flyteidl/core/tasks.pb-c.h"
#include "quantity.h"

/* Platform limits: a resource with has_X 0, or a zero limit, is not
 * limited (Flyte Admin drops zero limits too). */
struct task_resource_limits {
	struct quantity cpu, memory, gpu, ephemeral_storage;
	int has_cpu, has_memory, has_gpu, has_ephemeral_storage;
};

/* Flyte Admin's stock limits: cpu=2, memory=1Gi, gpu=1. */
void task_resources_defaults(struct task_resource_limits *l);

/* Fill *l from config strings; NULL or "" leaves that resource unset.
 * 0, or -1 with err naming the key (e.g. `memory: quantity "1Q": ...`),
 * in which case *l is untouched.  Negative limits are refused. */
int task_resource_limits_parse(struct task_resource_limits *l,
                               const char *cpu, const char *memory,
                               const char *gpu, const char *ephemeral_storage,
                               char *err, size_t errlen);

/* Check r (NULL: nothing to check) against platform (NULL: no limits).
 * 0, or -1 with err set to Flyte Admin's message for the first problem,
 * e.g. "Requested CPU default [4] is greater than current limit set in
 * the platform configuration [2]. ...", without the task identifier
 * Flyte Admin puts in some of them. */
int task_resources_check(const Flyteidl__Core__Resources *r,
                         const struct task_resource_limits *platform,
                         char *err, size_t errlen);

#endif
