/*
 * cron.h -- cron expressions as Flyte's scheduler reads them: the
 * standard five fields (minute hour day-of-month month day-of-week) with
 * lists, ranges, steps, `*` and `?`, month and weekday names, the
 * descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly
 * and @every <duration>, and an optional CRON_TZ=<zone> or TZ=<zone>
 * prefix (robfig/cron's ParseStandard, which flyteadmin validates with).
 *
 * Pure: no allocation, no global state; the zone is checked against the
 * system's zoneinfo files.
 */
#ifndef KEEL_CORE_CRON_H
#define KEEL_CORE_CRON_H

#include <stddef.h>
#include <stdint.h>

struct cron_spec {
	uint64_t minute;  /* bit n: minute n (0-59) */
	uint32_t hour;    /* 0-23 */
	uint32_t dom;     /* 1-31 */
	uint16_t month;   /* 1-12 */
	uint8_t dow;      /* 0-6, Sunday 0 */
	int dom_star, dow_star; /* the field was * or ?: robfig's rule for
	                           combining day-of-month and day-of-week */
	int64_t every_ms; /* @every: the period; then the fields are unused */
	char tz[64];      /* the zone of the prefix, "" for local time */
};

/* Parse expr into *out (may be NULL to only check).  0, or -1 with a
 * one-line reason in why naming the field and value. */
int cron_parse(const char *expr, struct cron_spec *out, char *why,
               size_t whylen);

#endif
