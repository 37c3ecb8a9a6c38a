/*
 * validate_test.c -- Kubernetes name rules and small utilities.
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "tap.h"
#include "util.h"
#include "validate.h"

int main(void)
{
	char why[512], out[256], dec[256];
	long n;

	TAP_OK(validate_dns1123_label("flytesnacks", why, sizeof(why)), "plain id");
	TAP_OK(validate_dns1123_label("a-1", why, sizeof(why)), "with dash");
	TAP_OK(!validate_dns1123_label("Flyte", why, sizeof(why)), "uppercase");
	TAP_HAS_STR(why, "lowercase RFC 1123 label", "reason given");
	TAP_OK(!validate_dns1123_label("a_b", why, sizeof(why)), "underscore");
	TAP_OK(!validate_dns1123_label("-a", why, sizeof(why)), "leading dash");
	TAP_OK(!validate_dns1123_label("a-", why, sizeof(why)), "trailing dash");
	TAP_OK(!validate_dns1123_label("", why, sizeof(why)), "empty");
	memset(out, 'a', 64);
	out[64] = '\0';
	TAP_OK(!validate_dns1123_label(out, why, sizeof(why)), "64 chars");
	TAP_HAS_STR(why, "no more than 63", "length reason");
	out[63] = '\0';
	TAP_OK(validate_dns1123_label(out, why, sizeof(why)), "63 chars ok");

	TAP_OK(validate_qualified_name("team", why, sizeof(why)), "label key");
	TAP_OK(validate_qualified_name("example.com/Team_1", why, sizeof(why)),
	       "prefixed key");
	TAP_OK(!validate_qualified_name("-bad", why, sizeof(why)), "bad key");
	TAP_OK(!validate_qualified_name("a/b/c", why, sizeof(why)),
	       "two slashes");
	TAP_OK(!validate_qualified_name("Ex.com/x", why, sizeof(why)),
	       "uppercase prefix");
	TAP_OK(validate_label_value("", why, sizeof(why)), "empty value ok");
	TAP_OK(validate_label_value("v1.2_beta-3", why, sizeof(why)), "value");
	TAP_OK(!validate_label_value("has space", why, sizeof(why)), "space");

	/* base64url round trip, including every tail length. */
	for (size_t len = 0; len < 8; len++) {
		const char *src = "abcdefgh";
		util_b64url_encode(src, len, out);
		n = util_b64url_decode(out, dec, sizeof(dec));
		TAP_OK(n == (long)len && memcmp(dec, src, len) == 0,
		       "base64url round trip of %zu bytes", len);
	}
	TAP_EQ_INT(util_b64url_decode("ab$c", dec, sizeof(dec)), -1,
	           "bad base64url refused");

	/* Placeholder rewriting leaves quoted '?' alone. */
	TAP_OK(db_rewrite_dollar("SELECT ? , '?', \"?\", ?", out, sizeof(out)) > 0 &&
	           strcmp(out, "SELECT $1 , '?', \"?\", $2") == 0,
	       "rewrite to $N: %s", out);
	TAP_EQ_INT(db_rewrite_dollar("? ? ?", out, 4), -1, "overflow detected");

	/* Arena: alignment, big blocks, reset, limit. */
	{
		struct arena *a = arena_new(128);
		char *p = arena_alloc(a, 3), *q = arena_alloc(a, 5);
		void *big = arena_alloc(a, 10000);
		TAP_OK(a && p && q && big, "arena allocations");
		TAP_OK(((uintptr_t)q & 15) == 0, "16-byte aligned");
		TAP_EQ_STR(arena_printf(a, "%s-%d", "x", 42), "x-42", "printf");
		arena_reset(a);
		TAP_EQ_INT(arena_used(a), 0, "reset");
		arena_set_limit(a, 256);
		TAP_OK(arena_alloc(a, 200) != NULL && arena_alloc(a, 100) == NULL,
		       "limit enforced");
		arena_free(a);
	}
	/* Extra chunks are kept across resets and reused, whole and
	 * writable, and the spare list never hands out a chunk too small. */
	{
		struct arena *a = arena_new(128);
		unsigned char *x, *y, *z;
		int same = 1;

		x = arena_alloc(a, 5000);
		memset(x, 0xab, 5000);
		arena_reset(a);
		y = arena_alloc(a, 5000);
		TAP_OK(y == x, "a 5000-byte chunk is reused after reset");
		memset(y, 0xcd, 5000);
		for (int i = 0; i < 5000; i++)
			same &= y[i] == 0xcd;
		TAP_OK(same, "and is writable whole");
		arena_reset(a);
		z = arena_alloc(a, 9000);
		TAP_OK(z != NULL && z != x, "a bigger request gets a new chunk");
		memset(z, 0, 9000);
		arena_reset(a);
		for (int round = 0; round < 50; round++) {
			for (int k = 0; k < 40; k++)
				if (arena_alloc(a, 60000) == NULL)
					same = 0;
			arena_reset(a);
		}
		TAP_OK(same, "50 rounds of 40 x 60 KB (over the 1 MiB kept)");
		arena_free(a);
	}
	{
		char ts[32];
		util_rfc3339_ms(1732426216123LL, ts);
		TAP_EQ_STR(ts, "2024-11-24T05:30:16.123Z", "RFC 3339 with ms");
	}
	return tap_done();
}
