/*
 * cron.c -- cron expression parsing (see cron.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "util.h"

struct cron_field {
	const char *name;
	int lo, hi;
	const char *const *names; /* indexed from lo, or NULL */
};

static const char *const cron_months[] = {"jan", "feb", "mar", "apr",
                                          "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec"};
static const char *const cron_days[] = {"sun", "mon", "tue", "wed",
                                        "thu", "fri", "sat"};

static const struct cron_field cron_fields[5] = {
	{"minute", 0, 59, NULL},
	{"hour", 0, 23, NULL},
	{"day of month", 1, 31, NULL},
	{"month", 1, 12, cron_months},
	{"day of week", 0, 6, cron_days},
};

/* A number or (for month and weekday) a name; -1 when neither.  Numbers
 * are what Go's strconv.Atoi takes (robfig parses with it): an optional
 * '+', then digits of any length as long as the value fits an int64.
 * Values past CRON_BIG come back as CRON_BIG: still out of every field's
 * bounds, and as a step the same as robfig's (only the first value). */
#define CRON_BIG 1000000
static int cron_value(const struct cron_field *f, const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n == 0)
		return -1;
	if (f->names != NULL && n == 3)
		for (int k = 0; k <= f->hi - f->lo; k++)
			if (strncasecmp(s, f->names[k], 3) == 0)
				return f->lo + k;
	if (s[0] == '+')
		i = 1;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1; /* Atoi: value out of range */
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v > CRON_BIG ? CRON_BIG : (int)v;
}

/* One comma-separated part: * ? N N-M, each with an optional /step. */
static int cron_part(const struct cron_field *f, const char *s, size_t n,
                     uint64_t *bits, int *star, char *why, size_t whylen)
{
	const char *slash = memchr(s, '/', n);
	size_t rn = slash ? (size_t)(slash - s) : n;
	int lo, hi, step = 1;

	if (slash != NULL) {
		step = cron_value(&cron_fields[0], slash + 1, n - rn - 1);
		if (step <= 0) {
			util_fmt(why, whylen, "%s: invalid step in '%.*s'",
			         f->name, (int)n, s);
			return -1;
		}
	}
	/* robfig looks only at the text before the first '-': "*-5" and
	 * even "*-x" are a plain *.  A step above 1 drops the star mark
	 * (a step of 1 keeps it), which decides how dom and dow combine. */
	if (rn >= 1 && (s[0] == '*' || s[0] == '?') &&
	    (rn == 1 || s[1] == '-')) {
		lo = f->lo;
		hi = f->hi;
		if (step == 1)
			*star = 1;
	} else {
		const char *dash = memchr(s, '-', rn);
		lo = cron_value(f, s, dash ? (size_t)(dash - s) : rn);
		hi = dash ? cron_value(f, dash + 1, rn - (size_t)(dash - s) - 1)
		          : (slash ? f->hi : lo);
		if (lo < 0 || hi < 0) {
			util_fmt(why, whylen, "%s: '%.*s' is not a value",
			         f->name, (int)n, s);
			return -1;
		}
		if (lo < f->lo || hi > f->hi) {
			util_fmt(why, whylen,
			         "%s: '%.*s' is outside %d-%d", f->name, (int)n,
			         s, f->lo, f->hi);
			return -1;
		}
		if (lo > hi) {
			util_fmt(why, whylen,
			         "%s: range '%.*s' starts after it ends",
			         f->name, (int)n, s);
			return -1;
		}
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	return 0;
}

/* robfig splits the list with strings.FieldsFunc, which drops empty
 * elements: "1,,2" is 1,2 and "," alone is accepted with no values (a
 * schedule that never fires). */
static int cron_field_parse(const struct cron_field *f, const char *s,
                            size_t n, uint64_t *bits, int *star, char *why,
                            size_t whylen)
{
	*bits = 0;
	*star = 0;
	while (n > 0) {
		const char *comma = memchr(s, ',', n);
		size_t k = comma ? (size_t)(comma - s) : n;
		if (k > 0 && cron_part(f, s, k, bits, star, why, whylen) != 0)
			return -1;
		if (comma == NULL)
			break;
		s += k + 1;
		n -= k + 1;
	}
	return 0;
}

/* Go's unicode.IsSpace at s: the length of the space character there, 0
 * when there is none.  strings.Fields and strings.TrimSpace, which robfig
 * splits and trims with, take all of these. */
static size_t cron_space(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == ' ' || (u[0] >= '\t' && u[0] <= '\r'))
		return 1;
	if (u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
		return 2; /* U+0085 U+00A0 */
	if ((u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80) || /* U+1680 */
	    (u[0] == 0xe2 && u[1] == 0x80 &&
	     (u[2] <= 0x8a || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf) &&
	     u[2] >= 0x80) || /* U+2000-200A U+2028 U+2029 U+202F */
	    (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) || /* U+205F */
	    (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80))   /* U+3000 */
		return 3;
	return 0;
}

/* Go's time.ParseDuration, as @every takes it: [-+]?([0-9]*(\.[0-9]*)?unit)+
 * or a bare "0", units ns us µs μs ms s m h, and nothing else (no spaces,
 * exponents or hex), at most 1<<63-1 ns.  Then robfig's Every(): under a
 * second (zero and negative included) runs every second, and the period
 * is cut to whole seconds.  *ms is that period. */
static int cron_duration(const char *s, size_t n, int64_t *ms)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
	    {"ns", 1},           {"us", 1000},        {"\xc2\xb5s", 1000},
	    {"\xce\xbcs", 1000}, {"ms", 1000000},     {"s", 1000000000},
	    {"m", 60000000000},  {"h", 3600000000000},
	};
	const uint64_t lim = (uint64_t)1 << 63;
	const char *e = s + n;
	uint64_t d = 0;
	int neg = 0;

	if (s < e && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	if (e - s == 1 && *s == '0') {
		*ms = 1000;
		return 0;
	}
	if (s == e)
		return -1;
	while (s < e) {
		uint64_t v = 0, f = 0, unit = 0;
		double scale = 1;
		int pre = 0, post = 0, over = 0;
		size_t ul;
		if (*s != '.' && !isdigit((unsigned char)*s))
			return -1;
		for (; s < e && isdigit((unsigned char)*s); s++, pre = 1) {
			if (v > lim / 10)
				return -1;
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > lim)
				return -1;
		}
		if (s < e && *s == '.')
			for (s++; s < e && isdigit((unsigned char)*s); s++) {
				post = 1;
				if (over || f > (lim - 1) / 10 ||
				    f * 10 + (uint64_t)(*s - '0') > lim) {
					over = 1;
					continue;
				}
				f = f * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		if (!pre && !post)
			return -1;
		for (ul = 0; s + ul < e && s[ul] != '.' &&
		             !isdigit((unsigned char)s[ul]);
		     ul++)
			;
		for (size_t i = 0; i < UTIL_ARRAY_LEN(units); i++)
			if (strlen(units[i].name) == ul &&
			    memcmp(s, units[i].name, ul) == 0)
				unit = units[i].ns;
		if (unit == 0)
			return -1; /* missing or unknown unit */
		s += ul;
		if (v > lim / unit)
			return -1;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > lim)
				return -1;
		}
		d += v;
		if (d > lim)
			return -1;
	}
	if (!neg && d > lim - 1)
		return -1;
	if (neg || d < 1000000000)
		*ms = 1000;
	else
		*ms = (int64_t)(d / 1000000000) * 1000;
	return 0;
}

/* Go's time.LoadLocation: "" and "UTC" are UTC, "Local" local time, any
 * other name a TZif file under zoneinfo (not zone.tab and the like). */
static int cron_zone_ok(const char *z)
{
	char path[256], magic[4];
	FILE *fp;
	int ok;

	if (z[0] == '\0' || strcmp(z, "UTC") == 0 || strcmp(z, "Local") == 0)
		return 1;
	/* A zone names a file under zoneinfo: no way out of it. */
	if (z[0] == '/' || z[0] == '\\' || strstr(z, "..") != NULL)
		return 0;
	util_fmt(path, sizeof(path), "/usr/share/zoneinfo/%s", z);
	fp = fopen(path, "rb");
	if (fp == NULL)
		return 0; /* a directory opens but fails the read below */
	ok = fread(magic, 1, 4, fp) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(fp);
	return ok;
}

int cron_parse(const char *expr, struct cron_spec *out, char *why,
               size_t whylen)
{
	struct cron_spec sp;
	const char *s = expr, *end;
	const char *f[6];
	size_t fl[6];
	int nf = 0;

	memset(&sp, 0, sizeof(sp));
	if (s == NULL || *s == '\0') {
		util_fmt(why, whylen, "empty spec string");
		return -1;
	}
	end = s + strlen(s);
	/* robfig: the prefix only at the very start, the zone running to the
	 * first ' ' (a tab does not end it), the rest then trimmed. */
	if (strncmp(s, "CRON_TZ=", 8) == 0 || strncmp(s, "TZ=", 3) == 0) {
		const char *z = strchr(s, '=') + 1;
		const char *sp_end = strchr(z, ' ');
		size_t zl = sp_end != NULL ? (size_t)(sp_end - z) : 0;
		if (sp_end == NULL || zl >= sizeof(sp.tz)) {
			util_fmt(why, whylen, "invalid time zone prefix");
			return -1;
		}
		memcpy(sp.tz, z, zl);
		sp.tz[zl] = '\0';
		if (!cron_zone_ok(sp.tz)) {
			util_fmt(why, whylen, "unknown time zone '%s'", sp.tz);
			return -1;
		}
		if (zl == 0)
			memcpy(sp.tz, "UTC", 4); /* LoadLocation("") */
		s = sp_end;
		for (size_t k; (k = cron_space(s)) > 0;)
			s += k;
		while (end > s) {
			size_t k = 0, b;
			for (b = 1; b <= 3 && k == 0; b++)
				if (b <= (size_t)(end - s) &&
				    cron_space(end - b) == b)
					k = b;
			if (k == 0)
				break;
			end -= k;
		}
	}
	if (s[0] == '@') {
		static const struct {
			const char *name, *expand;
		} desc[] = {
		    {"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
		    {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
		    {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
		    {"@hourly", "0 * * * *"},
		};
		size_t n = (size_t)(end - s);
		/* Exactly "@every " and a duration: robfig matches the whole
		 * (trimmed only after a zone prefix) string. */
		if (n >= 7 && strncmp(s, "@every ", 7) == 0) {
			if (cron_duration(s + 7, n - 7, &sp.every_ms) != 0) {
				util_fmt(why, whylen,
				         "@every needs a Go duration such as "
				         "1h30m, not '%.*s'",
				         (int)(n - 7), s + 7);
				return -1;
			}
			goto done;
		}
		for (size_t i = 0; i < UTIL_ARRAY_LEN(desc); i++)
			if (strlen(desc[i].name) == n &&
			    strncmp(s, desc[i].name, n) == 0) {
				char tz[sizeof(sp.tz)];
				int rc;
				memcpy(tz, sp.tz, sizeof(tz));
				rc = cron_parse(desc[i].expand, &sp, why, whylen);
				memcpy(sp.tz, tz, sizeof(tz));
				if (rc != 0)
					return rc;
				goto done;
			}
		util_fmt(why, whylen, "unrecognized descriptor '%.*s'", (int)n,
		         s);
		return -1;
	}
	while (s < end && nf < 6) {
		size_t n = 0, k;
		while (s < end && (k = cron_space(s)) > 0)
			s += k;
		if (s == end)
			break;
		while (s + n < end && cron_space(s + n) == 0)
			n++;
		f[nf] = s;
		fl[nf++] = n;
		s += n;
	}
	if (nf != 5) {
		util_fmt(why, whylen,
		         "expected exactly 5 fields (minute hour day-of-month "
		         "month day-of-week), found %s%d",
		         nf == 6 ? "more than " : "", nf == 6 ? 5 : nf);
		return -1;
	}
	{
		uint64_t b[5];
		int star[5];
		for (int i = 0; i < 5; i++)
			if (cron_field_parse(&cron_fields[i], f[i], fl[i], &b[i],
			                     &star[i], why, whylen) != 0)
				return -1;
		sp.minute = b[0];
		sp.hour = (uint32_t)b[1];
		sp.dom = (uint32_t)b[2];
		sp.month = (uint16_t)b[3];
		sp.dow = (uint8_t)b[4];
		sp.dom_star = star[2];
		sp.dow_star = star[4];
	}
done:
	if (out != NULL)
		*out = sp;
	return 0;
}
