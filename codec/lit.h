/*
 * lit.h -- Flyte literals as local tasks and people see them: LiteralMap
 * files (inputs.pb, outputs.pb), scalars rendered as text, and text parsed
 * as a literal of a declared type.
 *
 * Used by keel-local-agent (argument templating), keel-task (the helper a
 * shell task calls) and keelctl (--input name=value, printing outputs).
 *
 * Memory: every message these functions build is allocated through the
 * ProtobufCAllocator passed in (NULL: protobuf-c's default, malloc).
 * Messages built so are freed as a whole by dropping an arena allocator
 * (lit_arena_*); with the default allocator, free what lit_map_read()
 * returns with protobuf_c_message_free_unpacked(), and do not mix.
 *
 * Errors: 0 on success; -1 with a NUL-terminated message in err that names
 * the file, variable, type or text involved.
 */
#ifndef KEEL_CODEC_LIT_H
#define KEEL_CODEC_LIT_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "flyteidl/core/interface.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/types.pb-c.h"

/* A growing arena behind a ProtobufCAllocator: allocations (16-byte
 * aligned) live until lit_arena_free(); free() through the allocator is a
 * no-op.  lit_arena_new() gives NULL when out of memory.  An arena is
 * not thread-safe: one thread at a time. */
struct lit_arena;
struct lit_arena *lit_arena_new(void);
ProtobufCAllocator *lit_arena_allocator(struct lit_arena *a);
void lit_arena_free(struct lit_arena *a);

/* Read the serialized flyteidl.core.LiteralMap in path.  A missing file
 * is an error unless missing_ok, which gives an empty map; an empty file
 * is an empty map.  Bytes that do not decode: "PATH: not a serialized
 * flyteidl.core.LiteralMap".  Files over 1 GiB are refused. */
int lit_map_read(const char *path, int missing_ok, ProtobufCAllocator *alloc,
                 Flyteidl__Core__LiteralMap **out, char *err, size_t errlen);
/* Write m to path atomically: a temporary file PATH.tmp.XXXXXX in the
 * same directory (mode 0644), fsync, rename over path, fsync of the
 * directory.  Readers see the old file or the new one, never a part. */
int lit_map_write(const char *path, const Flyteidl__Core__LiteralMap *m,
                  char *err, size_t errlen);

/* The literal named name in m (the last, should the key repeat), or
 * NULL. */
const Flyteidl__Core__Literal *lit_map_get(const Flyteidl__Core__LiteralMap *m,
                                           const char *name);
/* Set name to l in m (replacing an entry of that name); the new entry
 * and its key are allocated through alloc (NULL: malloc), and the old
 * entry array is released through it.  m refers to l from then on, so l
 * must be allocated the same way as m: with an arena, l lives as long as
 * the arena; with the default allocator m owns l afterwards
 * (protobuf_c_message_free_unpacked(m) frees it) and a literal it
 * replaces is freed at once.  -1 only when out of memory. */
int lit_map_set(ProtobufCAllocator *alloc, Flyteidl__Core__LiteralMap *m,
                const char *name, Flyteidl__Core__Literal *l);

/*
 * Render l as text the way Flyte's container argument templating does
 * ({{.inputs.x}}; flyteplugins' template.serializeLiteral, which prints
 * with Go's fmt "%v"):
 *   integer   decimal ("-42")
 *   float     Go's %v: the shortest digits that read back the same, with
 *             an exponent when the decimal exponent is < -4 or >= 6
 *             ("0.1", "123456", "1e+06", "1e+21", "1e-05", "-0", "+Inf",
 *             "NaN")
 *   string    as it is
 *   boolean   "true" / "false"
 *   datetime  RFC 3339 in UTC with the fraction Go's RFC3339Nano keeps
 *             ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.5Z")
 *   duration  Go's time.Duration.String() ("1h2m3.5s", "1m0s", "0s",
 *             "1.5ms", "1.5µs", "12ns").  Flyte itself prints the
 *             protobuf message here (its text form "seconds:90"), which
 *             no task can rely on; Keel gives the Go duration instead.
 *   blob, schema, structured dataset: the URI
 *   collection "[a,b,c]" of the elements' texts (no quoting)
 * and, where Flyte fails: none as "", a union (an Optional) as the value
 * it holds, a map as "{k1:v1,k2:v2}" in key order.  Binary, error,
 * generic (struct) and offloaded literals are refused.
 *
 * Writes at most bufsz - 1 bytes and a NUL (buf may be NULL when bufsz
 * is 0); returns the length the whole text needs (as snprintf), or -1
 * for a literal it cannot render (with the reason in err).
 * Thread-safe (no state).
 */
int lit_text(const Flyteidl__Core__Literal *l, char *buf, size_t bufsz,
             char *err, size_t errlen);
/* lit_text into a malloc'd string (the caller frees it); NULL with the
 * reason in err. */
char *lit_text_dup(const Flyteidl__Core__Literal *l, char *err, size_t errlen);

/*
 * Parse text as a literal of type t.  Ignoring white space at either end
 * (but a string is taken as it is):
 *   integer   decimal, optional sign, 64 bits
 *   float     C's strtod (also "inf", "nan", exponents)
 *   string    the text as it is; an enum type: one of its values
 *   boolean   Go's strconv.ParseBool words: 1 t T true TRUE True and
 *             0 f F false FALSE False
 *   datetime  RFC 3339 ("2024-01-02T03:04:05Z", "...05.5+02:00"; 't' or
 *             ' ' for 'T'), or a date alone for its midnight UTC
 *   duration  Go's syntax ("1h30m", "1.5s", "300ms", "10us"/"10µs",
 *             "-2m") or a number of seconds ("90", "1.5")
 *   none      "", "none", "None" or "null"
 *   blob      the text is the URI (a local path for local tasks); the
 *             blob type (format, single/multipart) is copied along
 *   union     none for "", "none", "None" or "null" when a variant is
 *             none, else the first other variant that takes the text; the
 *             literal is a union scalar carrying the variant's type (as
 *             flytekit writes an Optional[T])
 * Collections, maps, schemas, structured datasets, binary and structs
 * are refused.  The message in err names the text and the type, not the
 * variable ("'abc' is not an integer"): callers prefix it ("input n: ").
 * *out is allocated through alloc.  Thread-safe.
 */
int lit_parse(ProtobufCAllocator *alloc, const Flyteidl__Core__LiteralType *t,
              const char *text, Flyteidl__Core__Literal **out, char *err,
              size_t errlen);

/* The type named by a word, for callers without an interface: integer
 * (int), float, string (str), boolean (bool), datetime, duration, none,
 * and file / directory (a single / multipart blob of no format); NULL for
 * another word.  Static storage. */
const Flyteidl__Core__LiteralType *lit_type_named(const char *word);

#endif
