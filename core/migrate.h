/*
 * migrate.h -- versioned schema migrations.
 *
 * The schema lives once, here in the core, written in portable SQL with a
 * few dialect tokens ({{BLOB}}, {{BIGINT}}) replaced per driver.  Each
 * migration has a version number and a name; applied ones are recorded in
 * the keel_migrations table, each in the same transaction as its
 * statements, so applying is idempotent and a crash half-way leaves no
 * half-applied migration (on engines with transactional DDL).
 */
#ifndef KEEL_CORE_MIGRATE_H
#define KEEL_CORE_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

struct db;

/* Highest migration version this keeld knows. */
int migrate_latest(void);

/* Current schema version of the database (0 for an empty one), or a
 * negative KEEL_E* with err set. */
int migrate_current(struct db *db, char *err, size_t errlen);

/* Apply every pending migration.  *applied (may be NULL) receives how
 * many ran.  Refuses a database whose schema is newer than this keeld.
 * Returns 0 or KEEL_E* with err set. */
int migrate_apply(struct db *db, int *applied, char *err, size_t errlen);

/* Print "version name applied_at|pending" lines. */
int migrate_status(struct db *db, FILE *out, char *err, size_t errlen);

#endif
