/*
 * arena.h -- per-request memory.
 *
 * Everything a request allocates (decoded messages, strings, the response)
 * comes from one arena that is freed at once when the request ends, so a
 * handler never frees anything and an error path leaks nothing.  An arena is
 * used by one thread at a time.
 */
#ifndef KEEL_CORE_ARENA_H
#define KEEL_CORE_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct arena;

/* New arena whose first chunk holds chunk bytes (0: 8 KiB).  NULL when out
 * of memory. */
struct arena *arena_new(size_t chunk);
/* Free every chunk and the arena; accepts NULL. */
void arena_free(struct arena *a);
/* Forget all allocations but keep the first chunk for reuse. */
void arena_reset(struct arena *a);

/* 16-byte aligned allocation; NULL when out of memory or over the arena's
 * limit.  calloc zeroes. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Room for element n of an array of elements of size bytes: old (n
 * elements) when *cap > n, else a copy in a doubled block with *cap
 * updated.  NULL when out of memory.  For row arrays built while a
 * query streams. */
void *arena_grow(struct arena *a, void *old, size_t n, size_t *cap,
                 size_t size);

/* Cap on the total bytes an arena may hand out (0: none). */
void arena_set_limit(struct arena *a, size_t limit);
size_t arena_used(const struct arena *a);

/* A protobuf-c allocator drawing from the arena (free is a no-op), so
 * unpacked messages die with the arena.  Valid while a lives. */
ProtobufCAllocator *arena_pb_allocator(struct arena *a);

#endif
