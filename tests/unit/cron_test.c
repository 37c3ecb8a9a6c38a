/*
 * cron_test.c -- cron expressions as robfig/cron v3's ParseStandard reads
 * them (flyteadmin validates launch-plan schedules with it).  The cases
 * follow robfig v3.0.1's parser.go: which strings it takes, which it
 * refuses, and the bits it sets.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cron.h"
#include "tap.h"

/* Bits lo..hi, every step. */
static uint64_t bits(int lo, int hi, int step)
{
	uint64_t b = 0;
	for (int v = lo; v <= hi; v += step)
		b |= (uint64_t)1 << v;
	return b;
}

/* expr fit for a TAP description: control characters escaped, '#'
 * too (it would start a directive).  Four buffers in turn. */
static const char *shown(const char *expr)
{
	static char buf[4][128];
	static int turn;
	char *b = buf[turn++ % 4];
	size_t n = 0;

	for (; *expr != '\0' && n + 5 < sizeof(buf[0]); expr++) {
		unsigned char c = (unsigned char)*expr;
		if (c == '#')
			n += (size_t)snprintf(b + n, 4, "\\#");
		else if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(b + n, 5, "\\x%02x", c);
		else
			b[n++] = (char)c;
	}
	b[n] = '\0';
	return b;
}

/* Accepted (1) or refused (0) by ParseStandard. */
static const struct {
	const char *expr;
	int ok;
} cases[] = {
	/* descriptors: exact, case-sensitive, nothing around them */
	{"@yearly", 1},
	{"@annually", 1},
	{"@monthly", 1},
	{"@weekly", 1},
	{"@daily", 1},
	{"@midnight", 1},
	{"@hourly", 1},
	{"@DAILY", 0},
	{"@daily ", 0},   /* parseDescriptor switches on the whole string */
	{" @daily", 0},   /* no '@' first: one field */
	{"@daily x", 0},
	{"@unrecognized", 0},
	{"@", 0},
	{"@every", 0},
	{"@every ", 0},
	/* @every: time.ParseDuration of what follows "@every " */
	{"@every 1h30m", 1},
	{"@every 90s", 1},
	{"@every 1.5h", 1},
	{"@every .5h", 1},
	{"@every 1.h", 1},
	{"@every 300ms", 1},  /* Every() makes it 1s */
	{"@every 1\xc2\xb5s", 1},   /* micro sign */
	{"@every 1\xce\xbcs", 1},   /* Greek mu */
	{"@every 0", 1},
	{"@every -1h", 1},
	{"@every +1h", 1},
	{"@every 2562047h", 1},     /* just under 1<<63 ns */
	{"@every 2562048h", 0},     /* over */
	{"@every 5", 0},            /* missing unit */
	{"@every 00", 0},           /* only a bare "0" needs none */
	{"@every 1x", 0},
	{"@every 1H", 0},
	{"@every Xm", 0},
	{"@every .s", 0},
	{"@every 1e3s", 0},
	{"@every 0x10s", 0},
	{"@every 1h 30m", 0},
	{"@every  1h", 0},          /* the duration starts after one space */
	{"@every 1h ", 0},
	{"@every\t1h", 0},
	{"@every --1h", 0},
	/* bounds, at the edges and one past */
	{"0 0 1 1 0", 1},
	{"59 23 31 12 6", 1},
	{"60 * * * *", 0},
	{"* 24 * * *", 0},
	{"* * 0 * *", 0},
	{"* * 32 * *", 0},
	{"* * * 0 *", 0},
	{"* * * 13 *", 0},
	{"* * * * 7", 0},
	{"0-59 0-23 1-31 1-12 0-6", 1},
	{"0-60 * * * *", 0},
	{"* * 0-5 * *", 0},
	{"99999999999999999999 * * * *", 0},
	/* names: month and weekday only, case-insensitive, 3 letters */
	{"* * * JAN MON", 1},
	{"* * * jan-Jun sun,SAT", 1},
	{"* * * * mon-fri", 1},
	{"* * * * monday", 0},
	{"* * * january *", 0},
	{"* * jan * *", 0},
	{"mon * * * *", 0},
	{"* * * * fri-mon", 0},  /* reversed */
	/* ranges, steps, lists */
	{"*/15 * * * *", 1},
	{"1-30/5 * * * *", 1},
	{"5/10 * * * *", 1},
	{"*/60 * * * *", 1},     /* only minute 0 */
	{"*/99999999999 * * * *", 1},
	{"*/9223372036854775807 * * * *", 1},
	{"*/9223372036854775808 * * * *", 0},  /* not an int */
	{"*/+5 * * * *", 1},     /* strconv.Atoi takes a sign */
	{"+5 * * * *", 1},
	{"*/0 * * * *", 0},
	{"1-5/0 * * * *", 0},
	{"*/-1 * * * *", 0},
	{"*//2 * * * *", 0},
	{"1/2/3 * * * *", 0},
	{"5-1 * * * *", 0},
	{"1-2-3 * * * *", 0},
	{"1- * * * *", 0},
	{"-1 * * * *", 0},
	{"/5 * * * *", 0},
	{"5/ * * * *", 0},
	{"*-5 * * * *", 1},      /* robfig reads only the text before '-' */
	{"1,2,3 * * * *", 1},
	{"1,,2 * * * *", 1},     /* strings.FieldsFunc drops empty items */
	{",5 * * * *", 1},
	{"0,30 9-17 * * 1-5", 1},
	{"1,60 * * * *", 0},
	{"0 0 ? * mon", 1},
	{"0 0 1 * ?", 1},
	{"? ? ? ? ?", 1},
	/* field counts */
	{"* * * *", 0},
	{"* * * * * *", 0},
	{"", 0},
	{"   ", 0},
	/* garbage */
	{"a * * * *", 0},
	{"*x * * * *", 0},
	{"* * * * *x", 0},
	{"0 0 * * mon#2", 0},
	{"0 0 L * *", 0},
	{"0 0 * * 5L", 0},
	{"1.5 * * * *", 0},
	{"0 0 * * 1;2", 0},
	{"0x1 * * * *", 0},
	/* whitespace: strings.Fields splits on any of Go's spaces */
	{"  0  0\t* *  *  ", 1},
	{"0 0 * * *\n", 1},
	{"0\xc2\xa0" "0 * * *", 1},  /* U+00A0 */
	/* zones */
	{"CRON_TZ=UTC 0 0 * * *", 1},
	{"TZ=UTC 0 0 * * *", 1},
	{"TZ=UTC  @midnight", 1},
	{"TZ=UTC @daily  ", 1},   /* trimmed after a prefix */
	{"TZ=UTC   @every 5m  ", 1},
	{"TZ=Local 0 0 * * *", 1},
	{"TZ= 0 0 * * *", 1},     /* LoadLocation("") is UTC */
	{"TZ=Mars/Olympus 0 0 * * *", 0},
	{"TZ=../../etc/passwd 0 0 * * *", 0},
	{"TZ=Europe/../UTC 0 0 * * *", 0},
	{"TZ=/etc/localtime 0 0 * * *", 0},
	{"TZ=Europe 0 0 * * *", 0},    /* a directory */
	{"TZ=zone.tab 0 0 * * *", 0},  /* a file, not a zone */
	{"TZ=UTC", 0},
	{"TZ=UTC\t0 0 * * *", 0},      /* the zone runs to a ' ' */
	{" TZ=UTC 0 0 * * *", 0},      /* six fields */
	{"tz=UTC 0 0 * * *", 0},
	{"TZ=UTC 0 0 * *", 0},
};

/* A refusal's reason names what was wrong. */
static const struct {
	const char *expr, *want;
} reasons[] = {
	{"60 * * * *", "minute"},
	{"* 24 * * *", "hour"},
	{"* * 32 * *", "day of month"},
	{"* * 5-1 * *", "day of month"},
	{"* * * 13 *", "month"},
	{"* * * * 7", "day of week"},
	{"* * * * *x", "day of week"},
	{"*/0 * * * *", "minute"},
	{"* * * *", "5 fields"},
	{"TZ=Mars/Olympus 0 0 * * *", "Mars/Olympus"},
	{"@every 1x", "@every"},
	{"@fortnightly", "@fortnightly"},
};

static void check_spec(const char *expr, uint64_t minute, uint32_t hour,
                       uint32_t dom, uint16_t month, uint8_t dow,
                       int dom_star, int dow_star)
{
	struct cron_spec sp;
	char why[256] = "";
	int rc = cron_parse(expr, &sp, why, sizeof(why));

	if (!TAP_OK(rc == 0, "'%s' parses", shown(expr))) {
		tap_diag("%s", why);
		return;
	}
	TAP_OK(sp.minute == minute, "'%s' minute bits", shown(expr));
	TAP_OK(sp.hour == hour, "'%s' hour bits", shown(expr));
	TAP_OK(sp.dom == dom, "'%s' day-of-month bits", shown(expr));
	TAP_OK(sp.month == month, "'%s' month bits", shown(expr));
	TAP_OK(sp.dow == dow, "'%s' day-of-week bits", shown(expr));
	TAP_EQ_INT(sp.dom_star, dom_star, "'%s' dom_star", shown(expr));
	TAP_EQ_INT(sp.dow_star, dow_star, "'%s' dow_star", shown(expr));
}

static void check_every(const char *expr, int64_t ms)
{
	struct cron_spec sp;
	char why[256] = "";

	memset(&sp, 0, sizeof(sp));
	TAP_OK(cron_parse(expr, &sp, why, sizeof(why)) == 0, "'%s' parses",
	       shown(expr));
	TAP_EQ_INT(sp.every_ms, ms, "'%s' runs every %" PRId64 " ms",
	           shown(expr), ms);
}

int main(void)
{
	const uint32_t all_h = (uint32_t)bits(0, 23, 1);
	const uint32_t all_dom = (uint32_t)bits(1, 31, 1);
	const uint16_t all_mon = (uint16_t)bits(1, 12, 1);
	const uint8_t all_dow = (uint8_t)bits(0, 6, 1);
	const uint64_t all_min = bits(0, 59, 1);
	struct cron_spec sp;
	char why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;
		why[0] = '\0';
		rc = cron_parse(cases[i].expr, NULL, why, sizeof(why));
		if (!TAP_OK((rc == 0) == cases[i].ok, "'%s' is %s",
		            shown(cases[i].expr),
		            cases[i].ok ? "accepted" : "refused"))
			tap_diag("rc %d: %s", rc, why);
		else if (rc != 0)
			TAP_OK(why[0] != '\0', "'%s' says why",
			       shown(cases[i].expr));
	}
	TAP_OK(cron_parse(NULL, NULL, why, sizeof(why)) != 0, "NULL refused");

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		why[0] = '\0';
		TAP_OK(cron_parse(reasons[i].expr, NULL, why, sizeof(why)) != 0,
		       "'%s' refused", shown(reasons[i].expr));
		TAP_HAS_STR(why, reasons[i].want, "'%s': reason names '%s'",
		            shown(reasons[i].expr), reasons[i].want);
	}

	/* The brief's example, then the edges of every field. */
	check_spec("*/15 9-17 * * mon-fri",
	           bits(0, 45, 15), (uint32_t)bits(9, 17, 1), all_dom, all_mon,
	           (uint8_t)bits(1, 5, 1), 1, 0);
	check_spec("59 23 31 12 6", (uint64_t)1 << 59, 1u << 23, 1u << 31,
	           1u << 12, 1u << 6, 0, 0);
	check_spec("1-30/5 0,12 1,15 JAN-jun/2 Sun,sat", bits(1, 26, 5),
	           1u | 1u << 12, 1u << 1 | 1u << 15, (uint16_t)bits(1, 5, 2),
	           1u | 1u << 6, 0, 0);
	check_spec("5/10 * ? * ?", bits(5, 55, 10), all_h, all_dom, all_mon,
	           all_dow, 1, 1);
	/* A step of 1 keeps the star mark, a larger one drops it. */
	check_spec("0 0 */1 * */2", 1, 1, all_dom, all_mon,
	           (uint8_t)bits(0, 6, 2), 1, 0);
	check_spec("*-5 0 1,,15 * *", all_min, 1, 1u << 1 | 1u << 15, all_mon,
	           all_dow, 0, 1);
	check_spec("+7,*/+20 0 1 1 0", bits(0, 40, 20) | 1u << 7, 1,
	           1u << 1, 1u << 1, 1, 0, 0);
	check_spec("0 0 1 1 1/99999999999", 1, 1, 1u << 1, 1u << 1, 1u << 1,
	           0, 0);
	check_spec(", * * * *", 0, all_h, all_dom, all_mon, all_dow, 1, 1);

	/* Descriptors expand as robfig's parseDescriptor builds them. */
	check_spec("@yearly", 1, 1, 1u << 1, 1u << 1, all_dow, 0, 1);
	check_spec("@annually", 1, 1, 1u << 1, 1u << 1, all_dow, 0, 1);
	check_spec("@monthly", 1, 1, 1u << 1, all_mon, all_dow, 0, 1);
	check_spec("@weekly", 1, 1, all_dom, all_mon, 1, 1, 0);
	check_spec("@daily", 1, 1, all_dom, all_mon, all_dow, 1, 1);
	check_spec("@midnight", 1, 1, all_dom, all_mon, all_dow, 1, 1);
	check_spec("@hourly", 1, all_h, all_dom, all_mon, all_dow, 1, 1);

	/* @every: Every() runs at least each second, in whole seconds. */
	check_every("@every 1h30m", 5400000);
	check_every("@every 1.5h", 5400000);
	check_every("@every .5h", 1800000);
	check_every("@every 90s", 90000);
	check_every("@every 2h45m30.5s", 9930000);
	check_every("@every 1500ms", 1000);
	check_every("@every 1ms", 1000);
	check_every("@every 0", 1000);
	check_every("@every -5m", 1000);
	check_every("TZ=UTC @every 5m ", 300000);

	/* Zones. */
	memset(&sp, 0, sizeof(sp));
	TAP_OK(cron_parse("CRON_TZ=UTC 0 0 * * *", &sp, why, sizeof(why)) == 0,
	       "CRON_TZ=UTC parses");
	TAP_EQ_STR(sp.tz, "UTC", "CRON_TZ=UTC: zone UTC");
	TAP_OK(sp.minute == 1 && sp.hour == 1, "CRON_TZ=UTC: fields after it");
	TAP_OK(cron_parse("TZ=UTC @weekly", &sp, why, sizeof(why)) == 0,
	       "TZ=UTC @weekly parses");
	TAP_EQ_STR(sp.tz, "UTC", "TZ=UTC @weekly keeps the zone");
	TAP_OK(sp.dow == 1 && sp.dom_star && !sp.dow_star,
	       "TZ=UTC @weekly: Sundays");
	TAP_OK(cron_parse("TZ= 0 0 * * *", &sp, why, sizeof(why)) == 0 &&
	           strcmp(sp.tz, "UTC") == 0,
	       "TZ= (empty) is UTC");
	TAP_OK(cron_parse("0 0 * * *", &sp, why, sizeof(why)) == 0 &&
	           sp.tz[0] == '\0',
	       "no prefix: local time");
	if (access("/usr/share/zoneinfo/Europe/Paris", R_OK) == 0) {
		TAP_OK(cron_parse("TZ=Europe/Paris 30 8 * * mon-fri", &sp, why,
		                  sizeof(why)) == 0,
		       "TZ=Europe/Paris parses");
		TAP_EQ_STR(sp.tz, "Europe/Paris", "TZ=Europe/Paris: the zone");
	} else {
		TAP_OK(1, "TZ=Europe/Paris # SKIP no "
		          "/usr/share/zoneinfo/Europe/Paris");
		TAP_OK(1, "TZ=Europe/Paris zone # SKIP no "
		          "/usr/share/zoneinfo/Europe/Paris");
	}

	/* A refusal leaves *out alone. */
	memset(&sp, 0x5a, sizeof(sp));
	TAP_OK(cron_parse("61 * * * *", &sp, why, sizeof(why)) != 0 &&
	           sp.minute == UINT64_C(0x5a5a5a5a5a5a5a5a),
	       "a refusal does not write the spec");

	return tap_done();
}
