/*
 * quantity.c -- Kubernetes resource quantities.
 *
 * The digits are read into a small fixed-size big integer, scaled to
 * billionths (times 2^10k for a binary suffix, times or divided by a power
 * of ten for the rest) and only then split into units and nanos, so no
 * step rounds except the final, deliberate one up to 1n.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "quantity.h"
#include "util.h"

/* More significant digits than any resource needs: the value has to fit
 * in 20 digits of units and 9 of nanos anyway. */
#define QTY_MAX_DIGITS 64
/* 384 bits: 64 digits (213 bits) times 2^60, with room to spare. */
#define QTY_LIMBS 12
/* Longest piece of the input echoed back in an error. */
#define QTY_ECHO_MAX 64
#define QTY_NANO 1000000000u

struct qty_big {
	uint32_t l[QTY_LIMBS]; /* little-endian */
};

/* b = b * m + a; -1 when the result no longer fits. */
static int qty_big_muladd(struct qty_big *b, uint32_t m, uint32_t a)
{
	uint64_t carry = a;

	for (int i = 0; i < QTY_LIMBS; i++) {
		uint64_t t = (uint64_t)b->l[i] * m + carry;
		b->l[i] = (uint32_t)t;
		carry = t >> 32;
	}
	return carry ? -1 : 0;
}

/* b = b / d, returning the remainder. */
static uint32_t qty_big_divmod(struct qty_big *b, uint32_t d)
{
	uint64_t rem = 0;

	for (int i = QTY_LIMBS - 1; i >= 0; i--) {
		uint64_t cur = rem << 32 | b->l[i];
		b->l[i] = (uint32_t)(cur / d);
		rem = cur % d;
	}
	return (uint32_t)rem;
}

static int qty_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int qty_fail(const char *s, char *err, size_t errlen, const char *why)
{
	size_t len = 0;

	while (len <= QTY_ECHO_MAX && s[len] != '\0')
		len++;
	util_fmt(err, errlen, "quantity \"%.*s%s\": %s",
	         (int)(len > QTY_ECHO_MAX ? QTY_ECHO_MAX : len), s,
	         len > QTY_ECHO_MAX ? "..." : "", why);
	return -1;
}

static const struct {
	const char *name;
	int exp10, exp2;
	enum quantity_format format;
} qty_suffixes[] = {
	{"", 0, 0, QUANTITY_DECIMAL_SI},    {"n", -9, 0, QUANTITY_DECIMAL_SI},
	{"u", -6, 0, QUANTITY_DECIMAL_SI},  {"m", -3, 0, QUANTITY_DECIMAL_SI},
	{"k", 3, 0, QUANTITY_DECIMAL_SI},   {"M", 6, 0, QUANTITY_DECIMAL_SI},
	{"G", 9, 0, QUANTITY_DECIMAL_SI},   {"T", 12, 0, QUANTITY_DECIMAL_SI},
	{"P", 15, 0, QUANTITY_DECIMAL_SI},  {"E", 18, 0, QUANTITY_DECIMAL_SI},
	{"Ki", 0, 10, QUANTITY_BINARY_SI},  {"Mi", 0, 20, QUANTITY_BINARY_SI},
	{"Gi", 0, 30, QUANTITY_BINARY_SI},  {"Ti", 0, 40, QUANTITY_BINARY_SI},
	{"Pi", 0, 50, QUANTITY_BINARY_SI},  {"Ei", 0, 60, QUANTITY_BINARY_SI},
};

/* An exponent beyond this is out of range (or below 1n) whatever the
 * digits; clamping keeps the exponent arithmetic from overflowing. */
#define QTY_EXP_CLAMP ((long long)1 << 61)

/* The suffix: a table entry or e<int>.  0; -1 for anything else; -2 for
 * an exponent beyond int64, which Kubernetes refuses too. */
static int qty_suffix(const char *sfx, long long *exp10, int *exp2,
                      enum quantity_format *format)
{
	const char *p;
	long long e = 0;
	int neg = 0, big = 0;

	for (size_t i = 0; i < UTIL_ARRAY_LEN(qty_suffixes); i++) {
		if (strcmp(sfx, qty_suffixes[i].name) == 0) {
			*exp10 = qty_suffixes[i].exp10;
			*exp2 = qty_suffixes[i].exp2;
			*format = qty_suffixes[i].format;
			return 0;
		}
	}
	/* "E" alone is exa, caught above; an exponent needs digits. */
	if (sfx[0] != 'e' && sfx[0] != 'E')
		return -1;
	p = sfx + 1;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!qty_is_digit(*p))
		return -1;
	for (; qty_is_digit(*p); p++) {
		if (e > (INT64_MAX - (*p - '0')) / 10)
			big = 1;
		else
			e = e * 10 + (*p - '0');
	}
	if (*p != '\0')
		return -1;
	if (big)
		return -2;
	if (e > QTY_EXP_CLAMP)
		e = QTY_EXP_CLAMP;
	*exp10 = neg ? -e : e;
	*exp2 = 0;
	*format = QUANTITY_DECIMAL_EXP;
	return 0;
}

int quantity_parse(const char *s, struct quantity *q, char *err, size_t errlen)
{
	const char *p = s, *digits, *frac = NULL;
	size_t nint = 0, nfrac = 0, lead = 0, trail = 0, nd, i;
	long long exp10, k;
	int neg = 0, exp2, rc;
	enum quantity_format format;
	struct qty_big b;
	char why[160];

	memset(q, 0, sizeof(*q));
	if (s == NULL || *s == '\0')
		return qty_fail("", err, errlen, "empty quantity");
	if (strpbrk(s, " \t\n\v\f\r") != NULL)
		return qty_fail(s, err, errlen, "must not contain whitespace");
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	digits = p;
	while (qty_is_digit(*p))
		p++, nint++;
	if (*p == '.') {
		frac = ++p;
		while (qty_is_digit(*p))
			p++, nfrac++;
	}
	if (nint + nfrac == 0)
		return qty_fail(s, err, errlen,
		                "expected a number: [+-]digits[.digits] then "
		                "an optional suffix");
	rc = qty_suffix(p, &exp10, &exp2, &format);
	if (rc == -2)
		return qty_fail(s, err, errlen, "exponent out of range");
	if (rc < 0) {
		util_fmt(why, sizeof(why),
		         "unknown suffix \"%.16s%s\" (want one of n u m k M G "
		         "T P E, Ki Mi Gi Ti Pi Ei, or e<exponent>)",
		         p, strlen(p) > 16 ? "..." : "");
		return qty_fail(s, err, errlen, why);
	}

/* The i-th digit of the integer and fraction digits read as one. */
#define QTY_DIGIT(i) ((i) < nint ? digits[(i)] : frac[(i) - nint])
	nd = nint + nfrac;
	while (lead < nd && QTY_DIGIT(lead) == '0')
		lead++;
	while (trail < nd - lead && QTY_DIGIT(nd - 1 - trail) == '0')
		trail++;
	if (lead == nd) {
		q->format = format; /* zero, whatever its sign and suffix */
		return 0;
	}
	if (nd - lead - trail > QTY_MAX_DIGITS)
		return qty_fail(s, err, errlen,
		                "more than 64 significant digits");

	/* value = D * 2^exp2 * 10^(exp10 - nfrac + trail), D the
	 * significant digits; k is the power of ten that makes it nanos.
	 * The input is far shorter than 2^61, so none of this overflows. */
	memset(&b, 0, sizeof(b));
	for (i = lead; i < nd - trail; i++)
		(void)qty_big_muladd(&b, 10, (uint32_t)(QTY_DIGIT(i) - '0'));
#undef QTY_DIGIT
	nd -= lead + trail;
	for (int e = 0; e < exp2; e += 10)
		(void)qty_big_muladd(&b, 1024, 0);
	k = exp10 - (long long)nfrac + (long long)trail + 9;
	if (k > 0) {
		/* D*10^k >= 10^(nd-1+k), and 10^29 nanos is past 16Ei. */
		if ((long long)nd - 1 + k >= 29)
			goto range;
		while (k-- > 0)
			(void)qty_big_muladd(&b, 10, 0);
	} else if (k < 0) {
		/* D*2^exp2 < 10^(nd+19): dividing by at least that much
		 * leaves less than 1n, which rounds up to 1n. */
		if (-k >= (long long)nd + 19) {
			memset(&b, 0, sizeof(b));
			b.l[0] = 1;
		} else {
			int sticky = 0;
			while (k++ < 0)
				sticky |= qty_big_divmod(&b, 10) != 0;
			/* Kubernetes rounds away from zero to the next 1n. */
			if (sticky)
				(void)qty_big_muladd(&b, 1, 1);
		}
	}
	q->nanos = qty_big_divmod(&b, QTY_NANO);
	for (i = 2; i < QTY_LIMBS; i++)
		if (b.l[i] != 0)
			goto range;
	q->units = (uint64_t)b.l[1] << 32 | b.l[0];
	q->neg = neg;
	q->format = format;
	return 0;

range:
	memset(q, 0, sizeof(*q));
	return qty_fail(s, err, errlen,
	                "out of range: the magnitude must be below 16Ei "
	                "(2^64 units)");
}

static int qty_cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

int quantity_cmp(const struct quantity *a, const struct quantity *b)
{
	int c;

	/* Zero is never negative, so differing signs settle it. */
	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	c = qty_cmp_u64(a->units, b->units);
	if (c == 0)
		c = qty_cmp_u64(a->nanos, b->nanos);
	return a->neg ? -c : c;
}

int quantity_cmp_value(const struct quantity *a, const struct quantity *b)
{
	/* The rounded magnitudes are units + (nanos != 0); compare them
	 * without the sum, which overflows for 2^64-1 units and change. */
	uint64_t ua = a->units, ub = b->units;
	int fa = a->nanos != 0, fb = b->nanos != 0, c;

	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	if (ua == ub)
		c = fa - fb;
	else if (ua < ub)
		c = ua + 1 == ub && fa && !fb ? 0 : -1;
	else
		c = ub + 1 == ua && fb && !fa ? 0 : 1;
	return a->neg ? -c : c;
}

int quantity_is_zero(const struct quantity *q)
{
	return q->units == 0 && q->nanos == 0;
}

int quantity_is_integer(const struct quantity *q)
{
	return q->nanos == 0;
}

/* m times 1000^j, written with the suffix for format. */
static void qty_put(char *buf, size_t n, const char *sign, uint64_t m, int j,
                    enum quantity_format format)
{
	static const char *const si[] = {"n", "u", "m", "",  "k",
	                                 "M", "G", "T", "P", "E"};

	if (format == QUANTITY_DECIMAL_EXP && j != 0)
		util_fmt(buf, n, "%s%" PRIu64 "e%d", sign, m, 3 * j);
	else
		util_fmt(buf, n, "%s%" PRIu64 "%s", sign, m, si[j + 3]);
}

void quantity_format(const struct quantity *q, char *buf, size_t n)
{
	static const char *const bin[] = {"", "Ki", "Mi", "Gi",
	                                  "Ti", "Pi", "Ei"};
	const char *sign = q->neg ? "-" : "";
	uint64_t u = q->units;
	uint32_t f = q->nanos, div;
	int j;

	if (u == 0 && f == 0) {
		util_fmt(buf, n, "0");
		return;
	}
	/* Like Kubernetes: binary only for whole values of 1Ki or more,
	 * with the largest suffix that divides exactly ("1536" stays). */
	if (q->format == QUANTITY_BINARY_SI && f == 0 && u >= 1024) {
		for (j = 0; j < 6 && u % 1024 == 0; j++)
			u /= 1024;
		util_fmt(buf, n, "%s%" PRIu64 "%s", sign, u, bin[j]);
		return;
	}
	if (f == 0) {
		for (j = 0; j < 6 && u % 1000 == 0; j++)
			u /= 1000;
		qty_put(buf, n, sign, u, j, q->format);
		return;
	}
	/* A fraction: the coarsest of m, u, n that is exact. */
	for (j = -1, div = 1000000; f % div != 0; j--)
		div /= 1000;
	if (u <= (UINT64_MAX - f / div) / (QTY_NANO / div)) {
		qty_put(buf, n, sign, u * (QTY_NANO / div) + f / div, j,
		        q->format);
	} else {
		/* Too big for one integer of milli/micro/nano units. */
		char digits[10];
		int len = 9;

		util_fmt(digits, sizeof(digits), "%09" PRIu32, f);
		while (digits[len - 1] == '0')
			len--;
		util_fmt(buf, n, "%s%" PRIu64 ".%.*s", sign, u, len, digits);
	}
}
