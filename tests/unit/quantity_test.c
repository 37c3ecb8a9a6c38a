/*
 * quantity_test.c -- Kubernetes quantities and Flyte Admin's task resource
 * checks.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "quantity.h"
#include "tap.h"
#include "task_resources.h"
#include "util.h"

/* a <op> b, op being the sign of quantity_cmp(a, b). */
static const struct {
	const char *a;
	int cmp;
	const char *b;
} cmps[] = {
	{"1Gi", 1, "1G"},
	{"500m", -1, "1"},
	{"0.5", 0, "500m"},
	{"1e3", 0, "1k"},
	{"1.5Gi", 0, "1536Mi"},
	{"1.5Gi", 0, "1610612736"},
	{"8Ei", 0, "9223372036854775808"},
	{"8Ei", 1, "9223372036854775807"},
	{"15Ei", 1, "8Ei"},
	{"18446744073709551615", 1, "15Ei"},
	{"100n", 0, "0.0000001"},
	{"100n", -1, "1u"},
	{"1n", 1, "0"},
	{"0.1n", 0, "1n"},  /* rounded up to 1n, as Kubernetes does */
	{"0.5n", 0, "1n"},
	{"1e-10", 0, "1n"},
	{"1.5n", 0, "2n"},
	{"1e-1000000000", 0, "1n"},
	{"-0.1n", 0, "-1n"},
	{"1E", 0, "1e18"},
	{"1Ei", 1, "1E"},
	{"1P", 0, "1000T"},
	{"1Pi", 0, "1024Ti"},
	{"1M", -1, "1Mi"},
	{"-1", -1, "0"},
	{"-2", -1, "-1"},
	{"-1", -1, "1n"},
	{"-0", 0, "0"},
	{"0Ki", 0, "0"},
	{"0e999999", 0, "0"},
	{"+5", 0, "5"},
	{"1.", 0, "1"},
	{".5", 0, "500m"},
	{"1e+3", 0, "1k"},
	{"1E3", 0, "1000"},
	{"1000e-3", 0, "1"},
	{"2Ki", 0, "2048"},
	{"0.5Ki", 0, "512"},
	{"0001", 0, "1"},
	{"1.000", 0, "1"},
	{"250m", 0, "0.25"},
	{"1001m", 1, "1"},
	{"999999999n", -1, "1"},
	{"1.000000001", 1, "1"},
	{"1e19", 1, "8Ei"},
	{"0.000000000000000000000000000001e30", 0, "1"},
	/* 64 significant digits, the most taken. */
	{"1.00000000000000000000000000000000000000"
	 "0000000000000000000000001", 0, "1.000000001"},
};

/* Exact values. */
static const struct {
	const char *s;
	uint64_t units;
	uint32_t nanos;
	int neg;
	const char *text; /* quantity_format */
} vals[] = {
	{"0", 0, 0, 0, "0"},
	{"2", 2, 0, 0, "2"},
	{"1Gi", 1073741824, 0, 0, "1Gi"},
	{"1.5Gi", 1610612736, 0, 0, "1536Mi"},
	{"1536Mi", 1610612736, 0, 0, "1536Mi"},
	{"512Ki", 524288, 0, 0, "512Ki"},
	{"0.5Ki", 512, 0, 0, "512"},
	{"1.5Ki", 1536, 0, 0, "1536"},
	{"0.1Ki", 102, 400000000, 0, "102400m"},
	{"1.1Mi", 1153433, 600000000, 0, "1153433600m"},
	{"8Ei", UINT64_C(9223372036854775808), 0, 0, "8Ei"},
	{"15Ei", UINT64_C(17293822569102704640), 0, 0, "15Ei"},
	{"1.5Ei", UINT64_C(1729382256910270464), 0, 0, "1536Pi"},
	{"500m", 0, 500000000, 0, "500m"},
	{"0.5", 0, 500000000, 0, "500m"},
	{"1500m", 1, 500000000, 0, "1500m"},
	{"-1.5", 1, 500000000, 1, "-1500m"},
	{"100n", 0, 100, 0, "100n"},
	{"1.5u", 0, 1500, 0, "1500n"},
	{"25u", 0, 25000, 0, "25u"},
	{"1000", 1000, 0, 0, "1k"},
	{"1500000", 1500000, 0, 0, "1500k"},
	{"1e3", 1000, 0, 0, "1e3"},
	{"1.5e3", 1500, 0, 0, "1500"},
	{"5e-3", 0, 5000000, 0, "5e-3"},
	{"4G", 4000000000, 0, 0, "4G"},
	{"1e18", UINT64_C(1000000000000000000), 0, 0, "1e18"},
	{"2E", UINT64_C(2000000000000000000), 0, 0, "2E"},
	{"18446744073709551615", UINT64_MAX, 0, 0, "18446744073709551615"},
	{"18446744073709551615.999999999", UINT64_MAX, 999999999, 0,
	 "18446744073709551615.999999999"},
	{"18446744073709551615.5", UINT64_MAX, 500000000, 0,
	 "18446744073709551615.5"},
	/* Digits far below 1n only round the last nano up. */
	{"12345678901234567890123456789012345678901234567890e-40", 1234567890,
	 123456790, 0, "1234567890123456790e-9"},
	{"1234567890.123456789000000000000000000000", 1234567890, 123456789, 0,
	 "1234567890123456789n"},
	{"0.1n", 0, 1, 0, "1n"},
};

/* Refused, with a piece of the reason. */
static const struct {
	const char *s;
	const char *why;
} bads[] = {
	{"", "empty quantity"},
	{" 1", "whitespace"},
	{"1 ", "whitespace"},
	{"1 Gi", "whitespace"},
	{"1\t", "whitespace"},
	{"1.5.3", "quantity \"1.5.3\": unknown suffix \".3\""},
	{"--1", "expected a number"},
	{"+-1", "expected a number"},
	{"-", "expected a number"},
	{"+", "expected a number"},
	{".", "expected a number"},
	{"abc", "quantity \"abc\": expected a number"},
	{"Ki", "expected a number"},
	{"1ki", "unknown suffix \"ki\""},
	{"1K", "unknown suffix"},
	{"1Gb", "unknown suffix"},
	{"1i", "unknown suffix"},
	{"1e", "unknown suffix"},
	{"1e+", "unknown suffix"},
	{"1e3.5", "unknown suffix"},
	{"1mi", "unknown suffix"},
	{"1Mi5", "unknown suffix"},
	{"1Mi ", "whitespace"},
	{"1Gi1Gi", "unknown suffix"},
	{"1x", "unknown suffix \"x\""},
	{"0x10", "unknown suffix"},
	{"16Ei", "out of range"},
	{"18446744073709551616", "out of range"},
	{"18446744073709551615.9999999991", "out of range"},
	{"1e20", "out of range"},
	{"2e19", "out of range"},
	{"1e1000000", "out of range"},
	{"100000000000000000000000000000", "out of range"},
	{"-16Ei", "out of range"},
	{"1e99999999999999999999", "exponent out of range"},
	{"1e-99999999999999999999", "exponent out of range"},
	{"1.00000000000000000000000000000000000000000000000000000000000000001",
	 "more than 64 significant digits"},
};

static void test_quantities(void)
{
	struct quantity a, b;
	char err[256], text[QUANTITY_FMT_MAX];

	for (size_t i = 0; i < UTIL_ARRAY_LEN(cmps); i++) {
		int ra = quantity_parse(cmps[i].a, &a, err, sizeof(err));
		int rb = quantity_parse(cmps[i].b, &b, err, sizeof(err));
		int c = quantity_cmp(&a, &b), r = quantity_cmp(&b, &a);

		c = (c > 0) - (c < 0);
		r = (r > 0) - (r < 0);
		TAP_OK(ra == 0 && rb == 0 && c == cmps[i].cmp && r == -c,
		       "%s %s %s", cmps[i].a,
		       cmps[i].cmp < 0 ? "<" : cmps[i].cmp > 0 ? ">" : "==",
		       cmps[i].b);
	}

	for (size_t i = 0; i < UTIL_ARRAY_LEN(vals); i++) {
		int rc = quantity_parse(vals[i].s, &a, err, sizeof(err));

		TAP_OK(rc == 0 && a.units == vals[i].units &&
		           a.nanos == vals[i].nanos && a.neg == vals[i].neg,
		       "%s is %s%" PRIu64 " + %" PRIu32 "n", vals[i].s,
		       vals[i].neg ? "-" : "", vals[i].units, vals[i].nanos);
		if (rc == 0 && a.units != vals[i].units)
			tap_diag("got %s%" PRIu64 " + %" PRIu32 "n",
			         a.neg ? "-" : "", a.units, a.nanos);
		quantity_format(&a, text, sizeof(text));
		TAP_EQ_STR(text, vals[i].text, "%s prints canonically",
		           vals[i].s);
		/* What we print parses back to the same value. */
		TAP_OK(quantity_parse(text, &b, err, sizeof(err)) == 0 &&
		           quantity_cmp(&a, &b) == 0,
		       "%s round-trips", text);
	}

	for (size_t i = 0; i < UTIL_ARRAY_LEN(bads); i++) {
		err[0] = '\0';
		a.units = 7;
		TAP_OK(quantity_parse(bads[i].s, &a, err, sizeof(err)) == -1 &&
		           quantity_is_zero(&a) && !a.neg,
		       "\"%s\" refused, leaving zero", bads[i].s);
		TAP_HAS_STR(err, bads[i].why, "\"%s\": reason", bads[i].s);
	}

	/* A long input is cut short in the message; a NULL err is fine. */
	{
		char longs[200];

		memset(longs, '1', sizeof(longs) - 2);
		longs[sizeof(longs) - 2] = 'x';
		longs[sizeof(longs) - 1] = '\0';
		TAP_OK(quantity_parse(longs, &a, err, sizeof(err)) == -1,
		       "long junk refused");
		TAP_HAS_STR(err, "...\": ", "long input elided");
		TAP_OK(quantity_parse("1.5.3", &a, NULL, 0) == -1,
		       "NULL err buffer");
		TAP_OK(quantity_parse(NULL, &a, err, sizeof(err)) == -1,
		       "NULL string refused");
		quantity_format(&(struct quantity){.units = 1}, text, 1);
		TAP_EQ_STR(text, "", "format into a 1-byte buffer");
	}

	/* Whole numbers, and Quantity.Value()-style comparison. */
	{
		static const struct {
			const char *a;
			int cmp;
			const char *b;
		} vcmps[] = {
			{"1500m", 0, "1200m"}, {"2", 0, "1100m"},
			{"2100m", 1, "2"},     {"1", -1, "1001m"},
			{"1n", 0, "1"},        {"0", -1, "1n"},
			{"-1.5", 0, "-2"},     {"-1.5", -1, "-1"},
			{"-1n", 1, "-2"},      {"-1n", -1, "0"},
			{"18446744073709551615.5", 1, "18446744073709551615"},
			{"18446744073709551614.5", 0, "18446744073709551615"},
			{"8Ei", 0, "9223372036854775807.1"},
		};

		for (size_t i = 0; i < UTIL_ARRAY_LEN(vcmps); i++) {
			int c;

			quantity_parse(vcmps[i].a, &a, err, sizeof(err));
			quantity_parse(vcmps[i].b, &b, err, sizeof(err));
			c = quantity_cmp_value(&a, &b);
			c = (c > 0) - (c < 0);
			TAP_OK(c == vcmps[i].cmp &&
			           -quantity_cmp_value(&b, &a) == c,
			       "value(%s) %s value(%s)", vcmps[i].a,
			       vcmps[i].cmp < 0   ? "<"
			       : vcmps[i].cmp > 0 ? ">"
			                          : "==",
			       vcmps[i].b);
		}
		quantity_parse("2000m", &a, err, sizeof(err));
		TAP_OK(quantity_is_integer(&a), "2000m is whole");
		quantity_parse("1.5", &a, err, sizeof(err));
		TAP_OK(!quantity_is_integer(&a), "1.5 is not whole");
		quantity_parse("1e-9", &a, err, sizeof(err));
		TAP_OK(!quantity_is_integer(&a) && !quantity_is_zero(&a),
		       "1n is neither whole nor zero");
		quantity_parse("-0.0e5", &a, err, sizeof(err));
		TAP_OK(quantity_is_zero(&a) && quantity_is_integer(&a) &&
		           !a.neg,
		       "-0.0e5 is a plain zero");
	}
}

/* Resources from "cpu=1 mem=2Gi ..." specs. */
#define TR_MAX 8

struct tr_fixture {
	Flyteidl__Core__Resources r;
	Flyteidl__Core__Resources__ResourceEntry ent[2][TR_MAX];
	Flyteidl__Core__Resources__ResourceEntry *ptr[2][TR_MAX];
	char buf[2][256];
};

static size_t tr_fill(const char *spec, char *buf, size_t buflen,
                      Flyteidl__Core__Resources__ResourceEntry *ent,
                      Flyteidl__Core__Resources__ResourceEntry **ptr)
{
	static const struct {
		const char *key;
		Flyteidl__Core__Resources__ResourceName name;
	} keys[] = {
		{"cpu", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__CPU},
		{"gpu", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__GPU},
		{"mem", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__MEMORY},
		{"storage", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__STORAGE},
		{"eph",
		 FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__EPHEMERAL_STORAGE},
		{"unknown", FLYTEIDL__CORE__RESOURCES__RESOURCE_NAME__UNKNOWN},
	};
	size_t n = 0;
	char *tok = buf;

	util_strlcpy(buf, spec ? spec : "", buflen);
	while (*tok != '\0' && n < TR_MAX) {
		char *end = strchr(tok, ' '), *eq;
		Flyteidl__Core__Resources__ResourceEntry init =
			FLYTEIDL__CORE__RESOURCES__RESOURCE_ENTRY__INIT;

		if (end != NULL)
			*end = '\0';
		eq = strchr(tok, '=');
		ent[n] = init;
		*eq = '\0';
		for (size_t k = 0; k < UTIL_ARRAY_LEN(keys); k++)
			if (strcmp(tok, keys[k].key) == 0)
				ent[n].name = keys[k].name;
		ent[n].value = eq + 1;
		ptr[n] = &ent[n];
		n++;
		tok = end ? end + 1 : eq + 1 + strlen(eq + 1);
	}
	return n;
}

static int tr_check(struct tr_fixture *f, const char *req, const char *lim,
                    const struct task_resource_limits *pl, char *err,
                    size_t errlen)
{
	Flyteidl__Core__Resources init = FLYTEIDL__CORE__RESOURCES__INIT;

	f->r = init;
	f->r.n_requests = tr_fill(req, f->buf[0], sizeof(f->buf[0]),
	                          f->ent[0], f->ptr[0]);
	f->r.requests = f->ptr[0];
	f->r.n_limits = tr_fill(lim, f->buf[1], sizeof(f->buf[1]), f->ent[1],
	                        f->ptr[1]);
	f->r.limits = f->ptr[1];
	err[0] = '\0';
	return task_resources_check(&f->r, pl, err, errlen);
}

static int tr_same(const struct task_resource_limits *a,
                   const struct task_resource_limits *b)
{
	return a->has_cpu == b->has_cpu && a->has_memory == b->has_memory &&
	       a->has_gpu == b->has_gpu &&
	       a->has_ephemeral_storage == b->has_ephemeral_storage &&
	       quantity_cmp(&a->cpu, &b->cpu) == 0 &&
	       quantity_cmp(&a->memory, &b->memory) == 0 &&
	       quantity_cmp(&a->gpu, &b->gpu) == 0 &&
	       quantity_cmp(&a->ephemeral_storage, &b->ephemeral_storage) == 0;
}

/* Accepted under pl. */
#define TR_OK(req, lim, pl)                                                   \
	do {                                                                  \
		int rc_ = tr_check(&f, req, lim, pl, err, sizeof(err));       \
		TAP_OK(rc_ == 0, "ok: requests [%s] limits [%s]", req, lim);  \
		if (rc_ != 0)                                                 \
			tap_diag("%s", err);                                  \
	} while (0)

/* Refused under pl, the message containing want. */
#define TR_BAD(req, lim, pl, want)                                            \
	do {                                                                  \
		TAP_OK(tr_check(&f, req, lim, pl, err, sizeof(err)) == -1,    \
		       "refused: requests [%s] limits [%s]", req, lim);       \
		TAP_HAS_STR(err, want, "reason for [%s] [%s]", req, lim);     \
	} while (0)

static void test_task_resources(void)
{
	struct task_resource_limits def, cfg, none, zero;
	struct tr_fixture f;
	struct quantity q;
	char err[1024], text[QUANTITY_FMT_MAX];

	task_resources_defaults(&def);
	TAP_OK(def.has_cpu && def.has_memory && def.has_gpu &&
	           !def.has_ephemeral_storage,
	       "stock limits: cpu, memory, gpu; no ephemeral storage");
	quantity_parse("2", &q, err, sizeof(err));
	TAP_OK(quantity_cmp(&def.cpu, &q) == 0, "stock cpu limit 2");
	quantity_parse("1Gi", &q, err, sizeof(err));
	TAP_OK(quantity_cmp(&def.memory, &q) == 0, "stock memory limit 1Gi");
	quantity_format(&def.memory, text, sizeof(text));
	TAP_EQ_STR(text, "1Gi", "stock memory limit prints as 1Gi");
	quantity_parse("1", &q, err, sizeof(err));
	TAP_OK(quantity_cmp(&def.gpu, &q) == 0, "stock gpu limit 1");

	/* The behaviour doc's example and the everyday cases. */
	TR_BAD("cpu=4", "", &def,
	       "Requested CPU default [4] is greater than current limit set "
	       "in the platform configuration [2]. Please contact Flyte "
	       "Admins");
	TR_OK("cpu=1", "cpu=2", &def);
	TR_OK("cpu=500m mem=200Mi", "cpu=2 mem=1Gi", &def);
	TR_OK("cpu=2 mem=1Gi gpu=1", "cpu=2 mem=1Gi gpu=1", &def);
	TR_OK("", "", &def);
	TAP_OK(task_resources_check(NULL, &def, err, sizeof(err)) == 0,
	       "no resources: nothing to check");

	/* Each name once per list. */
	TR_BAD("", "mem=1Gi mem=2Gi", &def,
	       "can't specify MEMORY limit for task multiple times");
	TR_BAD("cpu=1 cpu=1", "", &def,
	       "can't specify CPU limit for task multiple times");
	TR_BAD("mem=1 cpu=1 eph=1 eph=1", "", &def,
	       "can't specify EPHEMERAL_STORAGE limit");
	TR_OK("cpu=1", "cpu=1", &def); /* once in each list is fine */

	/* Values must parse, and name themselves when they don't. */
	TR_BAD("cpu=abc", "", &def,
	       "Parsing of CPU request failed for value abc - reason "
	       "quantity \"abc\": expected a number");
	TR_BAD("", "mem=1.5.3", &def,
	       "Parsing of MEMORY request failed for value 1.5.3");
	TR_BAD("", "mem=1.5.3", &def, "https://kubernetes.io/docs/");
	TR_BAD("eph=", "", &def, "empty quantity");
	/* Requests are read before limits. */
	TR_BAD("cpu=1 cpu=2", "mem=junk", &def, "can't specify CPU");

	/* GPUs come whole, and request == limit. */
	TR_BAD("gpu=0.5", "", &def,
	       "gpu must be a whole number, got: 0.5 instead");
	TR_BAD("", "gpu=500m", &def, "gpu must be a whole number");
	TR_BAD("gpu=1", "gpu=2", &def,
	       "For extended resource 'gpu' the default value must equal "
	       "the limit value for task (default [1], limit [2])");
	TR_OK("gpu=1", "gpu=1", &def);
	TR_OK("gpu=1000m", "gpu=1", &def);
	TR_BAD("gpu=2", "", &def,
	       "Requested GPU default [2] is greater than current limit set "
	       "in the platform configuration [1]");
	TR_BAD("gpu=2", "gpu=2", &def, "Requested GPU default [2]");
	TR_OK("gpu=0", "", &def);

	/* request <= limit, limit <= platform, request <= platform. */
	TR_BAD("cpu=2", "cpu=1", &def,
	       "Requested CPU default [2] is greater than the limit [1]. "
	       "Please fix your configuration");
	TR_BAD("mem=2Gi", "mem=1Gi", &def,
	       "Requested MEMORY default [2Gi] is greater than the limit "
	       "[1Gi]");
	TR_BAD("cpu=1", "cpu=4", &def,
	       "Requested CPU limit [4] is greater than current limit set in "
	       "the platform configuration [2]");
	TR_BAD("mem=500Mi", "mem=2Gi", &def,
	       "Requested MEMORY limit [2Gi] is greater than current limit "
	       "set in the platform configuration [1Gi]");
	TR_BAD("mem=1500Mi", "", &def,
	       "Requested MEMORY default [1500Mi] is greater than current "
	       "limit set in the platform configuration [1Gi]");
	TR_OK("mem=1Gi", "", &def);
	TR_BAD("mem=1073741825", "", &def, "Requested MEMORY default");
	TR_OK("mem=1000Mi", "mem=1024Mi", &def);

	/* Compared exactly: Flyte Admin rounds both sides to whole units
	 * (Quantity.Value()) and lets a 1500m request under a 1200m limit
	 * through; Keel does not. */
	TR_BAD("cpu=1500m", "cpu=1200m", &def, "[1500m]");
	TR_OK("cpu=1.9", "", &def);
	TR_BAD("cpu=2100m", "", &def, "Requested CPU default [2100m]");

	/* A limit without its request is not held against the platform. */
	TR_OK("", "cpu=100 mem=1Ti gpu=8", &def);
	TR_OK("mem=1Gi", "cpu=100", &def);

	/* STORAGE and UNKNOWN entries are not looked at. */
	TR_OK("storage=abc storage=1", "unknown=x", &def);

	/* Ephemeral storage: unlimited by default, checked when set. */
	TR_OK("eph=100Gi", "", &def);
	TAP_OK(task_resource_limits_parse(&cfg, "4", "8Gi", "", "10Gi", err,
	                                  sizeof(err)) == 0,
	       "limits parse");
	TAP_OK(cfg.has_cpu && cfg.has_memory && !cfg.has_gpu &&
	           cfg.has_ephemeral_storage,
	       "empty gpu limit left unset");
	TR_BAD("eph=20Gi", "", &cfg,
	       "Requested EPHEMERAL_STORAGE default [20Gi] is greater than "
	       "current limit set in the platform configuration [10Gi]");
	TR_BAD("eph=1Gi", "eph=500Mi", &cfg,
	       "Requested EPHEMERAL_STORAGE default [1Gi] is greater than "
	       "the limit [500Mi]");
	TR_BAD("eph=1Gi", "eph=11Gi", &cfg,
	       "Requested EPHEMERAL_STORAGE limit [11Gi]");
	TR_OK("cpu=4 mem=8Gi eph=10Gi gpu=16", "cpu=4 mem=8Gi gpu=16", &cfg);
	TR_BAD("cpu=4500m", "", &cfg, "Requested CPU default [4500m]");

	/* No platform limits, and zero meaning unlimited. */
	TR_OK("cpu=1000 mem=1Ei gpu=64", "", NULL);
	TAP_OK(task_resource_limits_parse(&none, NULL, "", NULL, NULL, err,
	                                  sizeof(err)) == 0 &&
	           !none.has_cpu && !none.has_memory && !none.has_gpu &&
	           !none.has_ephemeral_storage,
	       "all-empty limits parse to nothing");
	TR_OK("cpu=1000 mem=1Ei gpu=64", "", &none);
	TAP_OK(task_resource_limits_parse(&zero, "0", "0Gi", "0", "0", err,
	                                  sizeof(err)) == 0,
	       "zero limits parse");
	TR_OK("cpu=64 mem=1Ti gpu=8 eph=1Ti", "", &zero);

	/* Config errors name the key and leave the limits alone. */
	cfg = def;
	TAP_OK(task_resource_limits_parse(&cfg, "4", "1Q", "1", NULL, err,
	                                  sizeof(err)) == -1,
	       "bad memory limit refused");
	TAP_HAS_STR(err, "memory: quantity \"1Q\": unknown suffix",
	            "memory limit reason");
	TAP_OK(tr_same(&cfg, &def), "limits untouched on error");
	TAP_OK(task_resource_limits_parse(&cfg, "-1", NULL, NULL, NULL, err,
	                                  sizeof(err)) == -1,
	       "negative cpu limit refused");
	TAP_HAS_STR(err, "cpu: quantity \"-1\": must not be negative",
	            "negative limit reason");
	TAP_OK(task_resource_limits_parse(&cfg, NULL, NULL, NULL, "1 Gi", err,
	                                  sizeof(err)) == -1,
	       "bad ephemeral_storage limit refused");
	TAP_HAS_STR(err, "ephemeral_storage: quantity \"1 Gi\"",
	            "ephemeral_storage limit reason");
}

int main(void)
{
	test_quantities();
	test_task_resources();
	return tap_done();
}
