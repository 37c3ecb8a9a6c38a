/*
 * dbprobe.h -- the database-server limit probes (bench/README.md,
 * "Database server cells"): a single-row INSERT per commit and a point
 * SELECT by primary key, written directly on libpq and libmariadb, not
 * through Keel's db plugins, so they are the server's own floor.
 *
 * One struct dbprobe is one server and one scratch table in it.  Its two
 * targets run with driver_db_insert and driver_db_select: each client
 * thread opens its own connection and prepares its statement once.
 * Without the client library (configure did not find it) every call says
 * so, and the cells are reported as skipped.
 */
#ifndef FABENCH_DBPROBE_H
#define FABENCH_DBPROBE_H

#include <stddef.h>
#include <stdint.h>

struct target;
struct driver;
struct dbprobe;

/* NULL when fabench can probe kind ("postgres" or "mysql"), else why
 * not (no such kind, or built without its library). */
const char *dbprobe_unavailable(const char *kind);
/* The kinds this fabench can probe, space-separated ("" for none). */
const char *dbprobe_kinds(void);

/*
 * Connect to the server that conn names ("host=H port=P user=U
 * password_file=F database=D", separated by blanks or ';'; the password
 * is read from the file) and read its version and settings.  With table
 * set, also create that scratch table: an execution row as sqlite-commit's
 * (integer key, project, domain, name, phase, created_at, a 1 KiB
 * closure, UNIQUE (project, domain, name)).  0, or -1 with err.
 */
int dbprobe_open(const char *kind, const char *conn, const char *table,
                 struct dbprobe **out, char *err, size_t errlen);
/* Drop the scratch table (when one was made), disconnect, free.  NULL is
 * fine. */
void dbprobe_close(struct dbprobe *p);

/* "pg-insert" / "mysql-insert", or the select probe's name. */
const char *dbprobe_name(const struct dbprobe *p, int select);
/* The server's version string and its durability settings as
 * "name=value ..." (with tls=on|off for the probe's connection). */
const char *dbprobe_server(const struct dbprobe *p);
const char *dbprobe_settings(const struct dbprobe *p);

/* The targets of the insert and select probes, for run_round. */
const struct target *dbprobe_target(struct dbprobe *p, int select);
/* Before a select round: read the range of keys the insert probe has
 * written (the select picks among them at random); the row count in
 * *rows.  Fails when there are none, or when they have gaps. */
int dbprobe_keys(struct dbprobe *p, uint64_t *rows, char *err, size_t errlen);

extern const struct driver driver_db_insert;
extern const struct driver driver_db_select;

#endif /* FABENCH_DBPROBE_H */
