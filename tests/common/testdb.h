/*
 * testdb.h -- bring up a db plugin, a pool and the schema for tests.
 *
 * The driver is KEEL_TEST_DB (default "sqlite"); extra INI keys for it come
 * from KEEL_TEST_DB_ARGS as "key=value;key=value" (so the same suites run
 * against PostgreSQL or MariaDB servers started by the test scripts).  For
 * sqlite a fresh temporary directory holds the database and is removed by
 * testdb_close().  Plugins load from KEEL_PLUGIN_DIR, default
 * $KEEL_BUILDDIR/.libs.
 */
#ifndef KEEL_TESTS_TESTDB_H
#define KEEL_TESTS_TESTDB_H

#include <stddef.h>

struct plugin;
struct plugin_instance;
struct db;

struct testdb {
	struct plugin *plugin;
	struct plugin_instance *inst;
	struct db *db;
	char dir[256];
	char driver[64];
};

/* 0 on success; otherwise a KEEL_E* code with err set.  Returns
 * KEEL_ENOTFOUND when the driver's plugin is not built (tests skip). */
int testdb_open(struct testdb *t, unsigned nconns, char *err, size_t errlen);
void testdb_close(struct testdb *t);

#endif
