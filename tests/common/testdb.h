/*
 * testdb.h -- bring up a db plugin, a pool and the schema for tests.
 *
 * The driver is KEEL_TEST_DB (default "sqlite"); extra INI keys for it come
 * from KEEL_TEST_DB_ARGS as "key=value;key=value" (so the same suites run
 * against PostgreSQL or MariaDB servers started by the test scripts).  For
 * sqlite a fresh temporary directory holds the database and is removed by
 * testdb_close(); on a server each testdb_open() creates a database of
 * its own (through the one the args name) and testdb_close() drops it.  Plugins load from KEEL_PLUGIN_DIR, default
 * $KEEL_BUILDDIR/.libs.
 */
#ifndef KEEL_TESTS_TESTDB_H
#define KEEL_TESTS_TESTDB_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct plugin;
struct plugin_instance;
struct db;

struct testdb {
	struct plugin *plugin;
	struct plugin_instance *inst;
	struct db *db;
	char dir[256];
	char driver[64];
	/* Server engines: the instance on KEEL_TEST_DB_ARGS' database that
	 * creates and drops this test's own database, dbname. */
	struct plugin_instance *admin;
	char dbname[64];
};

/* 0 on success; otherwise a KEEL_E* code with err set.  Returns
 * KEEL_ENOTFOUND when the driver's plugin is not built (tests skip). */
int testdb_open(struct testdb *t, unsigned nconns, char *err, size_t errlen);
void testdb_close(struct testdb *t);

/*
 * Call method through the method table (rpc_dispatch) the way a door
 * does, with msg packed (NULL: an empty request).  Returns the status
 * code; *message is the status message; on success and with out_desc the
 * response is unpacked into *out.  Everything lives in a.
 */
struct svc;
struct arena;
int testdb_call(struct svc *svc, struct arena *a, const char *method,
                const ProtobufCMessage *msg,
                const ProtobufCMessageDescriptor *out_desc, void **out,
                const char **message);

/* SQLite's EXPLAIN QUERY PLAN of sql (its ? bound to args) as one line
 * of "detail; " parts in out.  0, or the KEEL_E* of the query. */
struct keel_db_val;
struct keel_err;
int testdb_explain(struct db *db, const char *sql,
                   const struct keel_db_val *args, size_t nargs, char *out,
                   size_t outlen, struct keel_err *err);

#endif
