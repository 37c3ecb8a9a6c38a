/*
 * hist.h -- a log-bucketed latency histogram (HDR-style).
 *
 * Values are nanoseconds.  Below 128 ns every value has its own bucket;
 * above, each power of two is cut into 64 buckets, so a reported
 * percentile is within 1/64 (~1.6%) of the true value.  Recording is a
 * shift and an increment: one histogram per client thread, merged after
 * the run, so the hot path has no atomics.
 */
#ifndef FABENCH_HIST_H
#define FABENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB      (1u << HIST_SUB_BITS)
/* Up to 2^40 ns (~18 minutes); anything longer lands in the last bucket. */
#define HIST_MAX_MSB 40
#define HIST_BUCKETS (HIST_SUB * (HIST_MAX_MSB - HIST_SUB_BITS) + 2 * HIST_SUB)

struct hist {
	uint64_t n;
	uint64_t max_ns;
	uint64_t counts[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
void hist_record(struct hist *h, uint64_t ns);
void hist_merge(struct hist *into, const struct hist *from);
/* The value at quantile q (0..1] in nanoseconds; 0 for an empty one. */
uint64_t hist_quantile(const struct hist *h, double q);

#endif /* FABENCH_HIST_H */
