/*
 * quantity.h -- Kubernetes resource quantities ("500m", "1.5Gi", "1e3").
 *
 * The syntax is k8s.io/apimachinery's resource.Quantity:
 *
 *     [+-] digits [. digits] [suffix]
 *
 * with suffix one of the binary SI "Ki Mi Gi Ti Pi Ei", the decimal SI
 * "n u m k M G T P E" (or none), or a decimal exponent "e<int>"/"E<int>".
 * Either the integer or the fraction digits may be empty, not both.
 *
 * A parsed quantity is exact: a magnitude of whole units plus billionths,
 * which is the precision Kubernetes keeps.  Like Kubernetes, a non-zero
 * value finer than 1n is rounded away from zero to the next 1n, so "0.1n"
 * is 1n.  Unlike Kubernetes, which silently caps huge values, magnitudes
 * of 2^64 units (16Ei) and beyond are refused.
 *
 * Everything here is pure: no allocation, no global state.
 */
#ifndef KEEL_CORE_QUANTITY_H
#define KEEL_CORE_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

/* How the value was written; only quantity_format() looks at it. */
enum quantity_format {
	QUANTITY_DECIMAL_SI = 0, /* "1500m", "2k", "4" */
	QUANTITY_BINARY_SI,      /* "1Gi" */
	QUANTITY_DECIMAL_EXP,    /* "1e3" */
};

struct quantity {
	uint64_t units; /* whole units of the magnitude */
	uint32_t nanos; /* billionths of a unit, 0..999999999 */
	int neg;        /* 1 for a negative value; never set for zero */
	enum quantity_format format;
};

/* Longest text quantity_format() writes, with the NUL: sign, 20 digits,
 * '.', 9 digits and a suffix. */
#define QUANTITY_FMT_MAX 40

/* Parse s into *q.  0, or -1 with *q zero and err set to something like
 * `quantity "1.5.3": unknown suffix ".3" ...` (err may be NULL). */
int quantity_parse(const char *s, struct quantity *q, char *err,
                   size_t errlen);

/* <0, 0, >0 as a is less than, equal to or greater than b; exact, and
 * regardless of how either was written ("0.5" == "500m"). */
int quantity_cmp(const struct quantity *a, const struct quantity *b);

/* Compare the way Kubernetes' Quantity.Value() sees them: each side first
 * rounded away from zero to whole units, so 1200m and 1500m are equal
 * (both 2).  Flyte Admin's registration checks compare like this. */
int quantity_cmp_value(const struct quantity *a, const struct quantity *b);

int quantity_is_zero(const struct quantity *q);
/* No fractional part: whole GPUs. */
int quantity_is_integer(const struct quantity *q);

/* Canonical text, as Kubernetes prints it for the usual values: "2",
 * "500m", "1Gi", "1536", "1k", "1e3".  buf gets at most n bytes, always
 * NUL-terminated; QUANTITY_FMT_MAX is always enough. */
void quantity_format(const struct quantity *q, char *buf, size_t n);

#endif
