/*
 * floor.h -- the database floor of a request: the SQL statements keeld's
 * repository runs for it, run directly with SQLite in fabench's own
 * process on the same database file.
 *
 * The statements are not copied from the repository's source: they are
 * captured.  floor_capture() runs the request once through the core in
 * this process (inproc.h) with an SQLite trace on every connection the db
 * plugin opens, and keeps each statement's text and bound values (BEGIN,
 * COMMIT and the like are left out: they are the transaction, not the
 * query).  driver_floor then prepares them once per client on its own
 * read-only connection and, per op, steps each to the end, reading every
 * column as the driver does, and resets it: what no server can go below.
 *
 * Ownership: a struct floor owns its statements' texts and values; free
 * it with floor_free().  Capture is not thread-safe (one at a time).
 */
#ifndef FABENCH_FLOOR_H
#define FABENCH_FLOOR_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct inproc;
struct floor;

/*
 * Run method(msg) through ip and capture the statements it ran against
 * the database file db_path.  Returns the call's gRPC status code (0 when
 * it succeeded), or -1 with err set when it succeeded but nothing usable
 * was captured.  *out is set only on success.
 */
int floor_capture(struct inproc *ip, const char *db_path, const char *method,
                  const ProtobufCMessage *msg, struct floor **out, char *err,
                  size_t errlen);
void floor_free(struct floor *f);

/* How many statements, and the text of the first (for the JSON). */
size_t floor_nstmts(const struct floor *f);
const char *floor_sql(const struct floor *f, size_t i);

/* Called once before the core opens any connection; 0, or -1 when this
 * fabench was built without SQLite. */
int floor_setup(char *err, size_t errlen);

#endif /* FABENCH_FLOOR_H */
