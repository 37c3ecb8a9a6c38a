/*
 * arena.c -- per-request bump allocator over a list of chunks.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_ALIGN 16u
#define ARENA_DEFAULT_CHUNK 8192u
/* Bytes of extra chunks an arena keeps across resets.  Freeing them every
 * request made glibc hand the pages back (madvise) and fault them in
 * again on the next one: a list of 100 tasks spent a third of its CPU
 * in the kernel. */
#define ARENA_RETAIN (1u << 20)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* usable bytes in data */
	size_t used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct arena_chunk *head;  /* current chunk; older ones follow */
	struct arena_chunk *first; /* the chunk kept by arena_reset */
	struct arena_chunk *spare; /* extra chunks kept for reuse */
	size_t spare_bytes;
	size_t chunk;
	size_t total;
	size_t limit;
	ProtobufCAllocator pb;
};

static void *arena_pb_alloc(void *data, size_t size)
{
	return arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *ptr)
{
	/* Freed with the arena. */
}

static struct arena_chunk *arena_chunk_new(size_t size)
{
	struct arena_chunk *c = malloc(sizeof(*c) + size);

	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct arena *arena_new(size_t chunk)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->chunk = chunk ? chunk : ARENA_DEFAULT_CHUNK;
	a->first = arena_chunk_new(a->chunk);
	if (a->first == NULL) {
		free(a);
		return NULL;
	}
	a->head = a->first;
	a->pb.alloc = arena_pb_alloc;
	a->pb.free = arena_pb_free;
	a->pb.allocator_data = a;
	return a;
}

static void arena_free_chunks(struct arena_chunk *c, struct arena_chunk *stop)
{
	while (c != NULL && c != stop) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
}

void arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	arena_free_chunks(a->head, NULL);
	arena_free_chunks(a->spare, NULL);
	free(a);
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c != NULL && c != a->first) {
		struct arena_chunk *next = c->next;
		if (a->spare_bytes + c->size <= ARENA_RETAIN) {
			c->next = a->spare;
			a->spare = c;
			a->spare_bytes += c->size;
		} else {
			free(c);
		}
		c = next;
	}
	a->head = a->first;
	a->first->used = 0;
	a->first->next = NULL;
	a->total = 0;
}

void *arena_grow(struct arena *a, void *old, size_t n, size_t *cap,
                 size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return old;
	ncap = *cap ? *cap * 2 : 16;
	p = arena_alloc(a, ncap * size);
	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, old, n * size);
	*cap = ncap;
	return p;
}

void arena_set_limit(struct arena *a, size_t limit)
{
	a->limit = limit;
}

size_t arena_used(const struct arena *a)
{
	return a->total;
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < n)
		return NULL; /* overflow */
	if (a->limit && a->total + need > a->limit)
		return NULL;
	if (c->size - c->used < need) {
		/* Big requests get a chunk of their own. */
		size_t size = need > a->chunk ? need : a->chunk;
		struct arena_chunk **sp = &a->spare;
		while (*sp != NULL && (*sp)->size < size)
			sp = &(*sp)->next;
		if (*sp != NULL) {
			c = *sp;
			*sp = c->next;
			a->spare_bytes -= c->size;
			c->used = 0;
		} else {
			c = arena_chunk_new(size);
			if (c == NULL)
				return NULL;
		}
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	a->total += need;
	return p;
}

void *arena_calloc(struct arena *a, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	p = arena_alloc(a, n * size);
	if (p != NULL)
		memset(p, 0, n * size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	if ((size_t)n < sizeof(small)) {
		memcpy(p, small, (size_t)n + 1);
		return p;
	}
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

ProtobufCAllocator *arena_pb_allocator(struct arena *a)
{
	return &a->pb;
}
