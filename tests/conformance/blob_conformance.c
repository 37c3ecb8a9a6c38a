/*
 * blob_conformance.c -- what every [blob] driver must do, whatever the
 * store.
 *
 *     blob_conformance [DRIVER [KEY=VALUE...]]
 *
 * (see conformance.h for the environment form).  The suite loads the
 * driver through the core's loader and drives its ops directly: round
 * trips from empty to 5 MiB streamed in odd-sized chunks, overwrite and
 * etags, head, missing keys, delete, list order and prefixes, uri shape,
 * source and sink failures (no partial object may appear), bad keys, and
 * concurrent callers on one instance.  Keys are relative to the store's
 * container, so the suite wants an empty container (a fresh directory,
 * bucket or prefix).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <keel/keel_blob.h>

#include "conformance.h"
#include "tap.h"

#define BIG      (5 * 1024 * 1024 + 3)
#define NTHREADS 4
#define NPER     25

static const struct keel_blob_ops *ops;
static void *self;

/* ---------------------------------------------------------------------
 * Sources and sinks
 * ------------------------------------------------------------------- */

static unsigned char pat(int64_t off, unsigned seed)
{
	return (unsigned char)(off * 31 + seed * 17 + (off >> 8));
}

/* A source of len pattern bytes, handed out in odd-sized pieces; with
 * fail_at >= 0 it fails with fail_code once that many bytes are out. */
struct psrc {
	int64_t len, off;
	unsigned seed;
	int64_t fail_at;
	int fail_code;
	unsigned calls;
};

static int psrc_read(void *arg, void *buf, size_t cap, size_t *n)
{
	static const size_t sizes[] = {1, 4099, 65537, 17, 8191, 100003};
	struct psrc *s = arg;
	size_t want = sizes[s->calls++ % (sizeof(sizes) / sizeof(sizes[0]))];
	size_t i;

	if (s->fail_at >= 0 && s->off >= s->fail_at)
		return s->fail_code;
	if (want > cap)
		want = cap;
	if ((int64_t)want > s->len - s->off)
		want = (size_t)(s->len - s->off);
	for (i = 0; i < want; i++)
		((unsigned char *)buf)[i] = pat(s->off + (int64_t)i, s->seed);
	s->off += (int64_t)want;
	*n = want;
	return 0;
}

/* A sink that checks the pattern; with fail_after > 0 it fails with
 * fail_code on that call. */
struct psink {
	int64_t off;
	unsigned seed;
	int bad;
	unsigned calls, fail_after;
	int fail_code;
};

static int psink_write(void *arg, const void *buf, size_t n)
{
	struct psink *k = arg;
	size_t i;

	if (k->fail_after > 0 && ++k->calls >= k->fail_after)
		return k->fail_code;
	for (i = 0; i < n; i++)
		if (((const unsigned char *)buf)[i] !=
		    pat(k->off + (int64_t)i, k->seed))
			k->bad++;
	k->off += (int64_t)n;
	return 0;
}

/* Memory source and sink for small objects. */
struct msrc {
	const char *p;
	size_t len, off;
};

static int msrc_read(void *arg, void *buf, size_t cap, size_t *n)
{
	struct msrc *s = arg;
	size_t want = s->len - s->off < cap ? s->len - s->off : cap;

	memcpy(buf, s->p + s->off, want);
	s->off += want;
	*n = want;
	return 0;
}

struct msink {
	char buf[256];
	size_t len;
	int overflow;
};

static int msink_write(void *arg, const void *p, size_t n)
{
	struct msink *k = arg;

	if (k->len + n >= sizeof(k->buf)) {
		k->overflow = 1;
		return KEEL_ENOMEM;
	}
	memcpy(k->buf + k->len, p, n);
	k->len += n;
	k->buf[k->len] = '\0';
	return 0;
}

static int put_str(const char *key, const char *s, struct keel_err *err)
{
	struct msrc m = {.p = s, .len = strlen(s)};
	struct keel_blob_src src = {
	    .size = (int64_t)strlen(s), .read = msrc_read, .arg = &m};
	int rc;

	memset(err, 0, sizeof(*err));
	rc = ops->put(self, key, &src, err);
	if (rc != KEEL_OK)
		tap_diag("put %s: %d %s", key, rc, err->msg);
	return rc;
}

static int get_str(const char *key, struct msink *k, struct keel_err *err)
{
	struct keel_blob_sink sink = {.write = msink_write, .arg = k};

	memset(k, 0, sizeof(*k));
	memset(err, 0, sizeof(*err));
	return ops->get(self, key, &sink, err);
}

static int put_pat(const char *key, int64_t len, unsigned seed, int known_size,
                   struct keel_err *err)
{
	struct psrc ps = {.len = len, .seed = seed, .fail_at = -1};
	struct keel_blob_src src = {
	    .size = known_size ? len : -1, .read = psrc_read, .arg = &ps};

	memset(err, 0, sizeof(*err));
	return ops->put(self, key, &src, err);
}

/* 0 when key holds the len pattern bytes of seed. */
static int check_pat(const char *key, int64_t len, unsigned seed,
                     struct keel_err *err)
{
	struct psink k = {.seed = seed};
	struct keel_blob_sink sink = {.write = psink_write, .arg = &k};
	int rc;

	memset(err, 0, sizeof(*err));
	rc = ops->get(self, key, &sink, err);
	if (rc != KEEL_OK)
		return rc;
	return k.off == len && k.bad == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------------
 * list capture
 * ------------------------------------------------------------------- */

struct lcap {
	char keys[64][64];
	int64_t sizes[64];
	size_t n;
	size_t stop_after;
	int abort_with;
	int sorted;
};

static int lcap_fn(void *arg, const char *key, const struct keel_blob_stat *st)
{
	struct lcap *l = arg;

	if (l->abort_with < 0)
		return l->abort_with;
	if (l->n > 0 && l->n <= 64 && strcmp(l->keys[l->n - 1], key) >= 0)
		l->sorted = 0;
	if (l->n < 64) {
		snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s", key);
		l->sizes[l->n] = st->size;
	}
	l->n++;
	return l->stop_after > 0 && l->n >= l->stop_after ? 1 : 0;
}

static int list(const char *prefix, struct lcap *l, struct keel_err *err)
{
	size_t stop = l->stop_after;
	int ab = l->abort_with;

	memset(l, 0, sizeof(*l));
	l->stop_after = stop;
	l->abort_with = ab;
	l->sorted = 1;
	memset(err, 0, sizeof(*err));
	return ops->list(self, prefix, lcap_fn, l, err);
}

/* The listed keys joined with spaces, for one comparison. */
static const char *lcap_join(const struct lcap *l, char *buf, size_t n)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n && i < 64 && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? " " : "",
		                      l->keys[i]);
	return buf;
}

/* ---------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------- */

static void t_descriptor(const struct cf_env *e)
{
	TAP_EQ_INT(e->desc->kind, KEEL_KIND_BLOB, "descriptor kind is blob");
	TAP_EQ_STR(e->desc->name, e->driver, "descriptor name is %s",
	           e->driver);
	TAP_OK(ops->scheme != NULL && ops->scheme[0] != '\0',
	       "scheme is set (%s)", ops->scheme ? ops->scheme : "null");
	TAP_OK(ops->put && ops->get && ops->head && ops->del && ops->list &&
	           ops->uri,
	       "required ops are present");
}

static void t_roundtrip(void)
{
	struct keel_blob_stat st;
	struct keel_err err;
	struct msink k;
	int rc;

	TAP_EQ_INT(put_str("rt/empty", "", &err), KEEL_OK, "put empty object");
	rc = get_str("rt/empty", &k, &err);
	TAP_OK(rc == KEEL_OK && k.len == 0, "get empty object");
	memset(&st, 0, sizeof(st));
	rc = ops->head(self, "rt/empty", &st, &err);
	TAP_OK(rc == KEEL_OK && st.size == 0, "head of empty object: size 0");

	TAP_EQ_INT(put_str("rt/one", "x", &err), KEEL_OK, "put 1 byte");
	rc = get_str("rt/one", &k, &err);
	TAP_OK(rc == KEEL_OK && k.len == 1 && k.buf[0] == 'x', "get 1 byte");

	rc = put_pat("rt/big", BIG, 1, 0, &err);
	TAP_EQ_INT(rc, KEEL_OK, "put 5 MiB in odd chunks, size unknown: %s",
	           err.msg);
	TAP_EQ_INT(check_pat("rt/big", BIG, 1, &err), 0,
	           "get 5 MiB back intact");
	rc = ops->head(self, "rt/big", &st, &err);
	TAP_OK(rc == KEEL_OK && st.size == BIG, "head size %lld",
	       (long long)st.size);
	TAP_OK(st.mtime_ms > 1000000000000LL || st.mtime_ms == 0,
	       "mtime is epoch milliseconds or 0 (%lld)",
	       (long long)st.mtime_ms);

	rc = put_pat("rt/sized", 70000, 2, 1, &err);
	TAP_EQ_INT(rc, KEEL_OK, "put with the size announced");
	TAP_EQ_INT(check_pat("rt/sized", 70000, 2, &err), 0, "get it back");
}

static void t_overwrite(void)
{
	struct keel_blob_stat s1, s2;
	struct keel_err err;
	struct msink k;
	int rc;

	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	put_str("ow/k", "first", &err);
	rc = ops->head(self, "ow/k", &s1, &err);
	TAP_OK(rc == KEEL_OK && s1.etag[0] != '\0', "etag is set (%s)",
	       s1.etag);
	/* Same length, so only the content tells the versions apart. */
	TAP_EQ_INT(put_str("ow/k", "secnd", &err), KEEL_OK, "overwrite");
	rc = get_str("ow/k", &k, &err);
	TAP_OK(rc == KEEL_OK && strcmp(k.buf, "secnd") == 0,
	       "get returns the new content");
	rc = ops->head(self, "ow/k", &s2, &err);
	TAP_OK(rc == KEEL_OK && s2.size == 5, "head after overwrite");
	TAP_OK(strcmp(s1.etag, s2.etag) != 0,
	       "etag changes on overwrite (%s -> %s)", s1.etag, s2.etag);
}

static void t_missing_and_del(void)
{
	struct keel_blob_stat st;
	struct keel_err err;
	struct msink k;
	struct lcap l = {0};
	int rc;

	rc = get_str("nope/missing", &k, &err);
	TAP_EQ_INT(rc, KEEL_ENOTFOUND, "get of a missing key");
	TAP_HAS_STR(err.msg, "nope/missing", "message names the key");
	TAP_EQ_INT(k.len, 0, "nothing written to the sink");
	rc = ops->head(self, "nope/missing", &st, &err);
	TAP_EQ_INT(rc, KEEL_ENOTFOUND, "head of a missing key");
	rc = get_str("rt", &k, &err);
	TAP_EQ_INT(rc, KEEL_ENOTFOUND, "a prefix of keys is not an object");

	put_str("d/a/b", "gone soon", &err);
	memset(&err, 0, sizeof(err));
	TAP_EQ_INT(ops->del(self, "d/a/b", &err), KEEL_OK, "del");
	rc = get_str("d/a/b", &k, &err);
	TAP_EQ_INT(rc, KEEL_ENOTFOUND, "get after del");
	memset(&err, 0, sizeof(err));
	TAP_EQ_INT(ops->del(self, "d/a/b", &err), KEEL_OK,
	           "del of a missing key is KEEL_OK");
	TAP_EQ_INT(ops->del(self, "d/never/was", &err), KEEL_OK,
	           "del under a missing prefix is KEEL_OK");
	rc = list("d/", &l, &err);
	TAP_OK(rc == KEEL_OK && l.n == 0, "nothing listed after del (%zu)",
	       l.n);
}

static void t_list(void)
{
	static const char *const keys[] = {"l/b/d/e", "l/ba",  "m/x", "l/a",
	                                   "l/b.txt", "l/b/c", "lz"};
	struct keel_err err;
	struct lcap l = {0};
	char joined[1024];
	size_t i;
	int rc, sizes_ok = 1;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put_str(keys[i], keys[i], &err);

	/* '.' < '/' < 'a': "l/b.txt" sorts before everything under
	 * "l/b/", which sorts before "l/ba". */
	rc = list("l/", &l, &err);
	TAP_EQ_INT(rc, KEEL_OK, "list l/");
	TAP_EQ_STR(lcap_join(&l, joined, sizeof(joined)),
	           "l/a l/b.txt l/b/c l/b/d/e l/ba",
	           "list l/: matching keys, nested too, in byte order");
	for (i = 0; i < l.n && i < 64; i++)
		if (l.sizes[i] != (int64_t)strlen(l.keys[i]))
			sizes_ok = 0;
	TAP_OK(sizes_ok, "list reports each object's size");

	rc = list("l/b", &l, &err);
	TAP_EQ_STR(lcap_join(&l, joined, sizeof(joined)),
	           "l/b.txt l/b/c l/b/d/e l/ba",
	           "list l/b: a prefix ending inside a segment");
	rc = list("l/b/", &l, &err);
	TAP_EQ_STR(lcap_join(&l, joined, sizeof(joined)), "l/b/c l/b/d/e",
	           "list l/b/");
	rc = list("l", &l, &err);
	TAP_EQ_STR(lcap_join(&l, joined, sizeof(joined)),
	           "l/a l/b.txt l/b/c l/b/d/e l/ba lz", "list l");
	rc = list("nope/", &l, &err);
	TAP_OK(rc == KEEL_OK && l.n == 0, "list of an unused prefix is empty");
	rc = list("l/a", &l, &err);
	TAP_EQ_STR(lcap_join(&l, joined, sizeof(joined)), "l/a",
	           "list with a whole key as prefix");

	rc = list("", &l, &err);
	TAP_OK(rc == KEEL_OK && l.sorted && l.n >= 7,
	       "list of everything is in strict key order (%zu keys)", l.n);

	l.stop_after = 2;
	rc = list("l/", &l, &err);
	TAP_OK(rc == KEEL_OK && l.n == 2, "callback >0 stops with KEEL_OK");
	l.stop_after = 0;
	l.abort_with = KEEL_ECANCELLED;
	rc = list("l/", &l, &err);
	TAP_EQ_INT(rc, KEEL_ECANCELLED, "callback <0 aborts with its code");
}

static void t_uri(void)
{
	const char *key = "u/vw";
	struct keel_err err = {0};
	char small[4], buf[4096];
	size_t need = 0, slen, klen = strlen(key);
	struct stat st;
	int rc;

	rc = ops->uri(self, key, small, sizeof(small), &need, &err);
	TAP_EQ_INT(rc, KEEL_ERANGE, "uri into a small buffer is KEEL_ERANGE");
	TAP_OK(need > sizeof(small), "and says how much it needs (%zu)", need);
	memset(&err, 0, sizeof(err));
	rc = ops->uri(self, key, buf, need, &need, &err);
	TAP_OK(rc == KEEL_OK && strlen(buf) + 1 == need,
	       "uri fits the size it asked for: %s", buf);
	slen = strlen(ops->scheme);
	TAP_OK(strncmp(buf, ops->scheme, slen) == 0 &&
	           strncmp(buf + slen, "://", 3) == 0,
	       "uri starts with %s://", ops->scheme);
	TAP_OK(strlen(buf) > klen + 1 &&
	           strcmp(buf + strlen(buf) - klen, key) == 0 &&
	           buf[strlen(buf) - klen - 1] == '/',
	       "uri ends with /%s", key);
	if (strcmp(ops->scheme, "file") != 0)
		return;
	/* A file URI must name the very file. */
	put_str(key, "uri", &err);
	TAP_OK(buf[7] == '/' && stat(buf + 7, &st) == 0 && st.st_size == 3,
	       "file uri names the object's file");
}

/* For file stores: no temporary file may be left next to key. */
static int no_litter(const char *key)
{
	char buf[4096], *slash;
	struct dirent *de;
	size_t need;
	struct keel_err err = {0};
	int bad = 0;
	DIR *d;

	if (strcmp(ops->scheme, "file") != 0)
		return 1;
	if (ops->uri(self, key, buf, sizeof(buf), &need, &err) != KEEL_OK)
		return 0;
	slash = strrchr(buf, '/');
	*slash = '\0';
	d = opendir(buf + 7);
	if (d == NULL)
		return 1; /* not even the directory is left */
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "old") != 0) {
			tap_diag("left behind: %s/%s", buf + 7, de->d_name);
			bad++;
		}
	closedir(d);
	return bad == 0;
}

static void t_failures(void)
{
	struct psrc ps = {
	    .len = 300000, .fail_at = 100000, .fail_code = KEEL_ECANCELLED};
	struct keel_blob_src src = {.size = -1, .read = psrc_read, .arg = &ps};
	struct psink pk = {
	    .seed = 1, .fail_after = 1, .fail_code = KEEL_EAGAIN};
	struct keel_blob_sink sink = {.write = psink_write, .arg = &pk};
	struct keel_blob_stat st;
	struct keel_err err = {0};
	struct lcap l = {0};
	struct msink k;
	int rc;

	rc = ops->put(self, "e/new", &src, &err);
	TAP_EQ_INT(rc, KEEL_ECANCELLED,
	           "source error aborts put with the source's code");
	rc = ops->head(self, "e/new", &st, &err);
	TAP_EQ_INT(rc, KEEL_ENOTFOUND, "no object after a failed put");
	rc = list("e/", &l, &err);
	TAP_OK(rc == KEEL_OK && l.n == 0,
	       "a failed put lists nothing, no temporary file (%zu)", l.n);
	TAP_OK(no_litter("e/new"), "nothing left on disk by a failed put");

	put_str("e/old", "keep", &err);
	ps.off = 0;
	ps.calls = 0;
	ps.fail_at = 0;
	rc = ops->put(self, "e/old", &src, &err);
	TAP_EQ_INT(rc, KEEL_ECANCELLED, "failed overwrite");
	rc = get_str("e/old", &k, &err);
	TAP_OK(rc == KEEL_OK && strcmp(k.buf, "keep") == 0,
	       "a failed overwrite keeps the old object");
	rc = list("e/", &l, &err);
	TAP_OK(rc == KEEL_OK && l.n == 1, "only the old object is listed");
	TAP_OK(no_litter("e/old"), "no temporary file left on disk");

	memset(&err, 0, sizeof(err));
	rc = ops->get(self, "rt/big", &sink, &err);
	TAP_EQ_INT(rc, KEEL_EAGAIN, "sink error aborts get with its code");
	TAP_EQ_INT(pk.calls, 1, "no write after the failing one");
}

static void t_bad_keys(void)
{
	static const char *const bad[] = {"../x",  "a/../b", "/abs", "a//b", "",
	                                  "a/./b", ".",      "a/",   ".."};
	struct keel_blob_stat st;
	struct keel_err err;
	struct msink k;
	size_t i;
	int ok_put = 1, ok_get = 1, ok_other = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (put_str(bad[i], "x", &err) != KEEL_EINVAL)
			ok_put = 0;
		if (get_str(bad[i], &k, &err) != KEEL_EINVAL)
			ok_get = 0;
		if (ops->head(self, bad[i], &st, &err) != KEEL_EINVAL ||
		    ops->del(self, bad[i], &err) != KEEL_EINVAL)
			ok_other = 0;
	}
	TAP_OK(ok_put, "put refuses bad keys with KEEL_EINVAL");
	TAP_OK(ok_get, "get refuses bad keys with KEEL_EINVAL");
	TAP_OK(ok_other, "head and del refuse bad keys with KEEL_EINVAL");
	put_str("../x", "x", &err);
	TAP_HAS_STR(err.msg, "../x", "the message names the key");
}

struct worker {
	pthread_t tid;
	unsigned n;
	int ok;
	char msg[400];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct keel_blob_stat st;
	struct keel_err err;
	char key[64];
	unsigned i, seed;
	int64_t len;
	int rc;

	w->ok = 1;
	for (i = 0; i < NPER && w->ok; i++) {
		snprintf(key, sizeof(key), "t/%u/%u", w->n, i);
		seed = w->n * 100 + i;
		len = 1000 + (int64_t)seed * 997 % 70000;
		rc = put_pat(key, len, seed, i % 2, &err);
		if (rc == KEEL_OK)
			rc = check_pat(key, len, seed, &err);
		if (rc == KEEL_OK) {
			memset(&st, 0, sizeof(st));
			rc = ops->head(self, key, &st, &err);
			if (rc == KEEL_OK && st.size != len)
				rc = -1000;
		}
		if (rc != KEEL_OK) {
			snprintf(w->msg, sizeof(w->msg), "%s: %d %s", key, rc,
			         err.msg);
			w->ok = 0;
		}
	}
	return NULL;
}

static void t_threads(void)
{
	struct worker w[NTHREADS];
	struct keel_err err;
	struct lcap l = {0};
	int i, ok = 1;

	memset(w, 0, sizeof(w));
	for (i = 0; i < NTHREADS; i++) {
		w[i].n = (unsigned)i;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
			abort();
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(w[i].tid, NULL);
		if (!w[i].ok) {
			ok = 0;
			tap_diag("worker %d: %s", i, w[i].msg);
		}
	}
	TAP_OK(ok, "%d threads put, get and head distinct keys", NTHREADS);
	l.stop_after = 0;
	list("t/", &l, &err);
	TAP_EQ_INT(l.n, NTHREADS * NPER, "all their objects are listed");
}

int main(int argc, char **argv)
{
	struct cf_env env;
	char why[1024];
	int rc;

	rc = cf_setup(&env, KEEL_KIND_BLOB, "local", argc, argv, why,
	              sizeof(why));
	if (rc == CF_SKIP) {
		cf_teardown(&env);
		return tap_skip_all(why);
	}
	TAP_OK(rc == CF_READY, "load, configure and start blob driver %s%s%s",
	       env.driver ? env.driver : "?", rc == CF_READY ? "" : ": ",
	       rc == CF_READY ? "" : why);
	if (rc != CF_READY) {
		cf_teardown(&env);
		return tap_done();
	}
	ops = env.ops;
	self = env.self;

	t_descriptor(&env);
	t_roundtrip();
	t_overwrite();
	t_missing_and_del();
	t_list();
	t_uri();
	t_failures();
	t_bad_keys();
	t_threads();

	cf_teardown(&env);
	return tap_done();
}
