/*
 * svc.h -- services: the handlers of the method table and what they share.
 */
#ifndef KEEL_CORE_SVC_H
#define KEEL_CORE_SVC_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"

struct db;

struct svc_domain {
	char *id;
	char *name;
};

/* Shared, read-only after start-up. */
struct svc {
	struct db *db;
	struct svc_domain *domains; /* from [domains]; never empty */
	size_t ndomains;
	uint32_t max_page_size; /* cap on list limits ([api] max_page_size) */
};

/* Handler for a method path, or NULL when not implemented. */
rpc_handler svc_handler(const char *path);

/* The domain with this id, or NULL. */
const struct svc_domain *svc_find_domain(const struct svc *s, const char *id);

#endif
