/*
 * repo_entity.h -- named entities: the distinct (resource type, project,
 * domain, name) that have at least one version, with their optional
 * metadata row (named_entity_metadata; no row means ACTIVE, no
 * description).
 *
 * Names come from the versioned table of their resource type; a type
 * without one (nothing of it can be registered yet) has no entities.
 * Strings returned live in the caller's arena.
 */
#ifndef KEEL_CORE_REPO_ENTITY_H
#define KEEL_CORE_REPO_ENTITY_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

#include "filter.h"

struct arena;
struct db;

struct repo_entity {
	const char *name;
	const char *description;
	int state; /* admin.NamedEntityState */
};

/* KEEL_ENOTFOUND when no version of the name exists. */
int repo_entity_get(struct db *db, struct arena *a, int resource_type,
                    const char *project, const char *domain, const char *name,
                    struct repo_entity *out, struct keel_err *err);

/* Create or replace the metadata of an existing entity; KEEL_ENOTFOUND
 * when no version of the name exists. */
int repo_entity_update(struct db *db, int resource_type, const char *project,
                       const char *domain, const char *name, const char *org,
                       const char *description, int state,
                       struct keel_err *err);

/* Filterable fields of ListNamedEntities (entities "entities" and
 * "named_entity_metadata"). */
extern const struct filter_col repo_entity_filter_cols[];
extern const size_t repo_entity_filter_ncols;

struct repo_entity_query {
	int resource_type;
	const char *project, *domain;
	uint32_t limit;       /* > 0 */
	int hide_flytegen;    /* leave out ".flytegen..." names */
	const char *filter_sql; /* or NULL */
	const struct keel_db_val *filter_args;
	size_t filter_nargs;
	const char *after_name; /* keyset: names after this one, or NULL */
};

/* The SQL repo_entity_list runs (for EXPLAIN in tests); 0 or KEEL_E*. */
int repo_entity_list_sql(const struct repo_entity_query *q, char *sql,
                         size_t n, struct keel_err *err);

/* One page in name order; *rows (n) in a; *more when names follow. */
int repo_entity_list(struct db *db, struct arena *a,
                     const struct repo_entity_query *q,
                     struct repo_entity **rows, size_t *n, int *more,
                     struct keel_err *err);

#endif
