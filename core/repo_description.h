/*
 * repo_description.h -- description entities: the descriptions written
 * with tasks (and later workflows), read by resource type and identifier.
 * Rows read live in the caller's arena.
 */
#ifndef KEEL_CORE_REPO_DESCRIPTION_H
#define KEEL_CORE_REPO_DESCRIPTION_H

#include <stddef.h>
#include <stdint.h>

#include <keel/keel_db.h>

#include "filter.h"

struct arena;
struct db;

struct repo_description_row {
	const char *project, *domain, *name, *version, *org;
	const uint8_t *entity; /* serialized admin.DescriptionEntity */
	size_t entity_len;
	int64_t created_at, id;
};

/* KEEL_ENOTFOUND when absent. */
int repo_description_get(struct db *db, struct arena *a, int resource_type,
                         const char *project, const char *domain,
                         const char *name, const char *version,
                         struct repo_description_row *out,
                         struct keel_err *err);

extern const struct filter_col repo_description_filter_cols[];
extern const size_t repo_description_filter_ncols;

struct repo_description_query {
	int resource_type;
	const char *project, *domain;
	const char *name;       /* NULL: every name */
	uint32_t limit;         /* > 0 */
	const char *filter_sql; /* or NULL */
	const struct keel_db_val *filter_args;
	size_t filter_nargs;
	/* Newest first; keyset: rows after (after_created, after_id). */
	int have_after;
	int64_t after_created, after_id;
};

/* The SQL repo_description_list runs (for EXPLAIN in tests). */
int repo_description_list_sql(const struct repo_description_query *q,
                              char *sql, size_t n, struct keel_err *err);

int repo_description_list(struct db *db, struct arena *a,
                          const struct repo_description_query *q,
                          struct repo_description_row **rows, size_t *n,
                          int *more, struct keel_err *err);

#endif
