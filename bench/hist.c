/*
 * hist.c -- log-bucketed latency histogram; see hist.h.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "hist.h"

static unsigned hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < 2 * HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	if (msb > HIST_MAX_MSB)
		return HIST_BUCKETS - 1;
	shift = msb - HIST_SUB_BITS;
	/* v >> shift is in [64, 128): the top seven bits of v. */
	return HIST_SUB * shift + (unsigned)(v >> shift);
}

/* The middle of bucket i, the value reported for it. */
static uint64_t hist_value(unsigned i)
{
	unsigned shift;
	uint64_t top;

	if (i < 2 * HIST_SUB)
		return i;
	shift = i / HIST_SUB - 1;
	top = i % HIST_SUB + HIST_SUB;
	return (top << shift) + ((1ull << shift) >> 1);
}

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_record(struct hist *h, uint64_t ns)
{
	h->counts[hist_index(ns)]++;
	h->n++;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->counts[i] += from->counts[i];
	into->n += from->n;
	if (from->max_ns > into->max_ns)
		into->max_ns = from->max_ns;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t want, seen = 0, v;

	if (h->n == 0)
		return 0;
	want = (uint64_t)ceil(q * (double)h->n);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= want) {
			/* Never report more than was seen. */
			v = hist_value(i);
			return v < h->max_ns ? v : h->max_ns;
		}
	}
	return h->max_ns;
}
