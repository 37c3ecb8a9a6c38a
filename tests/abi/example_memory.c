/*
 * example_memory.c -- the SDK example plugin (blob "memory"), driven
 * through its ops with a fake host table and plain dlopen.
 *
 * This is also how a plugin author can unit-test a plugin without keeld:
 * a struct keel_host of their own, a struct keel_config of their own
 * (opaque to the plugin, so the test may define it), and dlopen.
 *
 * Environment: KEEL_BUILDDIR (the plugin is
 * tests/abi/plugins/.libs/blob_memory.so).
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keel/keel_blob.h>
#include <keel/keel_plugin.h>

#include "tap.h"

/* Opaque to the plugin; ours to define. */
struct keel_config {
	int64_t max_bytes;
};

struct keel_thread {
	pthread_t t;
};

/* --- fake host ---------------------------------------------------------- */

static void fh_vlog(void *hctx, int level, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	tap_diag("plugin log %d: %s", level, line);
}

static void fh_log(void *hctx, int level, const char *fmt, ...)
    KEEL_PRINTF(3, 4);
static void fh_log(void *hctx, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fh_vlog(hctx, level, fmt, ap);
	va_end(ap);
}

static int fh_cfg_str(const struct keel_config *cfg, const char *key,
                      const char **out)
{
	return KEEL_EINVAL;
}

static int fh_cfg_int(const struct keel_config *cfg, const char *key,
                      int64_t *out)
{
	if (strcmp(key, "max_bytes") != 0)
		return KEEL_EINVAL;
	*out = cfg->max_bytes;
	return KEEL_OK;
}

static int fh_cfg_bool(const struct keel_config *cfg, const char *key,
                       int *out)
{
	return KEEL_EINVAL;
}

static int fh_secret_get(void *hctx, const char *key, char *buf,
                         size_t bufsz, size_t *len)
{
	return KEEL_ENOTFOUND;
}

static int fh_thread_spawn(void *hctx, const char *name, void *(*fn)(void *),
                           void *arg, struct keel_thread **out)
{
	struct keel_thread *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return KEEL_ENOMEM;
	if (pthread_create(&t->t, NULL, fn, arg) != 0) {
		free(t);
		return KEEL_EAGAIN;
	}
	*out = t;
	return KEEL_OK;
}

static int fh_thread_join(struct keel_thread *t, void **ret)
{
	int rc = pthread_join(t->t, ret);

	free(t);
	return rc == 0 ? KEEL_OK : KEEL_EINTERNAL;
}

static int64_t fh_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t fh_now_ms(void)
{
	return fh_clock(CLOCK_REALTIME);
}

static int64_t fh_mono_ms(void)
{
	return fh_clock(CLOCK_MONOTONIC);
}

static const char *fh_data_dir(void *hctx)
{
	return "/nonexistent";
}

static const struct keel_host fake_host = {
	.size = sizeof(struct keel_host),
	.abi_major = KEEL_ABI_MAJOR,
	.abi_minor = KEEL_ABI_MINOR,
	.log = fh_log,
	.vlog = fh_vlog,
	.cfg_str = fh_cfg_str,
	.cfg_int = fh_cfg_int,
	.cfg_bool = fh_cfg_bool,
	.secret_get = fh_secret_get,
	.thread_spawn = fh_thread_spawn,
	.thread_join = fh_thread_join,
	.now_ms = fh_now_ms,
	.mono_ms = fh_mono_ms,
	.data_dir = fh_data_dir,
};

/* --- sources and sinks -------------------------------------------------- */

struct buf_src {
	const unsigned char *p;
	size_t len, off, chunk; /* chunk: at most this much per read */
	int fail_with;          /* < 0: fail the second read with it */
	int reads;
};

static int buf_read(void *arg, void *buf, size_t cap, size_t *n)
{
	struct buf_src *s = arg;
	size_t k = s->len - s->off;

	if (s->fail_with < 0 && ++s->reads == 2)
		return s->fail_with;
	if (k > cap)
		k = cap;
	if (s->chunk && k > s->chunk)
		k = s->chunk;
	memcpy(buf, s->p + s->off, k);
	s->off += k;
	*n = k;
	return 0;
}

struct buf_sink {
	unsigned char data[4096];
	size_t len;
	int fail_with; /* < 0: fail the first write with it */
};

static int buf_write(void *arg, const void *buf, size_t n)
{
	struct buf_sink *s = arg;

	if (s->fail_with < 0)
		return s->fail_with;
	if (n > sizeof(s->data) - s->len)
		return KEEL_ERANGE;
	memcpy(s->data + s->len, buf, n);
	s->len += n;
	return 0;
}

struct listing {
	char keys[8][64];
	int n;
	int stop_after; /* > 0: return 1 after this many */
	int fail_with;  /* < 0: return it on the first key */
};

static int list_cb(void *arg, const char *key, const struct keel_blob_stat *st)
{
	struct listing *l = arg;

	if (l->fail_with < 0)
		return l->fail_with;
	if (l->n < 8)
		snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s", key);
	l->n++;
	return l->stop_after > 0 && l->n >= l->stop_after ? 1 : 0;
}

/* --- helpers ------------------------------------------------------------ */

static const struct keel_blob_ops *ops;
static void *self;

static int put(const char *key, const void *p, size_t len, int64_t size,
               size_t chunk, struct keel_err *err)
{
	struct buf_src s = {.p = p, .len = len, .chunk = chunk};
	struct keel_blob_src src = {.size = size, .read = buf_read, .arg = &s};

	memset(err, 0, sizeof(*err));
	return ops->put(self, key, &src, err);
}

static int put_n(const char *key, size_t len, struct keel_err *err)
{
	static unsigned char zeros[2048];

	return put(key, zeros, len, (int64_t)len, 0, err);
}

/* --- concurrency -------------------------------------------------------- */

#define NTHREADS 4
#define NITER    300

static void *worker(void *arg)
{
	long id = (long)arg;
	struct keel_err err;
	char key[32];
	int i;
	long failures = 0;

	for (i = 0; i < NITER; i++) {
		struct buf_sink sink = {.len = 0};
		struct keel_blob_sink ks = {.write = buf_write, .arg = &sink};
		struct listing l = {.n = 0};

		snprintf(key, sizeof(key), "t%ld/%d", id, i % 7);
		failures += put(key, key, strlen(key), -1, 2, &err) != 0;
		failures += ops->get(self, key, &ks, &err) != 0;
		failures += sink.len != strlen(key) ||
		            memcmp(sink.data, key, sink.len) != 0;
		failures += ops->list(self, "t", list_cb, &l, &err) != 0;
		if (i % 3 == 0)
			failures += ops->del(self, key, &err) != 0;
	}
	return (void *)failures;
}

int main(void)
{
	const char *b = getenv("KEEL_BUILDDIR");
	char path[PATH_MAX];
	const struct keel_plugin *d;
	const struct keel_config_key *k;
	struct keel_config cfg = {.max_bytes = 1000};
	struct keel_err err;
	struct keel_blob_stat st;
	struct buf_sink sink;
	struct keel_blob_sink ks = {.write = buf_write, .arg = &sink};
	struct listing l;
	pthread_t th[NTHREADS];
	char uri[64];
	size_t need;
	void *h, *sym, *ret;
	keel_plugin_entry_fn entry;
	long failures = 0;
	int rc, i;

	snprintf(path, sizeof(path), "%s/%s", b ? b : ".",
	         "tests/abi/plugins/.libs/blob_memory.so");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!TAP_OK(h != NULL, "dlopen blob_memory.so")) {
		tap_diag("%s", dlerror());
		return tap_done();
	}
	sym = dlsym(h, KEEL_PLUGIN_ENTRY_SYMBOL);
	if (!TAP_OK(sym != NULL, "keel_plugin_entry"))
		return tap_done();
	memcpy(&entry, &sym, sizeof(entry));
	d = entry();
	TAP_EQ_INT(d->magic, KEEL_PLUGIN_MAGIC, "magic");
	TAP_EQ_STR(d->name, "memory", "name");
	TAP_EQ_INT(d->kind, KEEL_KIND_BLOB, "kind blob");
	TAP_EQ_INT(d->ops_size, sizeof(struct keel_blob_ops), "ops_size");
	TAP_OK(d->flags & KEEL_PLUGIN_F_THREADSAFE, "declares THREADSAFE");
	k = d->config;
	TAP_OK(k != NULL && strcmp(k[0].name, "max_bytes") == 0 &&
	       k[0].type == KEEL_CFG_BYTES && k[0].def != NULL &&
	       strcmp(k[0].def, "64MiB") == 0 && k[1].name == NULL,
	       "schema: max_bytes, BYTES, default 64MiB");
	ops = d->ops;

	memset(&err, 0, sizeof(err));
	rc = d->create(&fake_host, NULL, &self, &err);
	if (!TAP_OK(rc == 0, "create"))
		return tap_done();
	rc = d->configure(self, &cfg, &err);
	TAP_OK(rc == 0, "configure max_bytes=1000");

	/* Basic round trips; sizes known, unknown, and zero. */
	TAP_EQ_INT(put("b/2", "hello", 5, 5, 0, &err), 0, "put b/2");
	TAP_EQ_INT(put("a/1", "0123456789", 10, -1, 3, &err), 0,
	           "put a/1, size unknown, 3-byte reads");
	TAP_EQ_INT(put("c", "", 0, 0, 0, &err), 0, "put empty c");
	memset(&sink, 0, sizeof(sink));
	rc = ops->get(self, "a/1", &ks, &err);
	TAP_OK(rc == 0 && sink.len == 10 &&
	       memcmp(sink.data, "0123456789", 10) == 0, "get a/1");
	memset(&sink, 0, sizeof(sink));
	rc = ops->get(self, "c", &ks, &err);
	TAP_OK(rc == 0 && sink.len == 0, "get empty c");
	memset(&st, 0, sizeof(st));
	rc = ops->head(self, "b/2", &st, &err);
	TAP_OK(rc == 0 && st.size == 5 && st.mtime_ms > 0 && st.etag[0],
	       "head b/2: size 5, mtime, etag %s", st.etag);

	memset(&l, 0, sizeof(l));
	rc = ops->list(self, "", list_cb, &l, &err);
	TAP_OK(rc == 0 && l.n == 3 && !strcmp(l.keys[0], "a/1") &&
	       !strcmp(l.keys[1], "b/2") && !strcmp(l.keys[2], "c"),
	       "list \"\": a/1 b/2 c in key order");
	memset(&l, 0, sizeof(l));
	rc = ops->list(self, "b/", list_cb, &l, &err);
	TAP_OK(rc == 0 && l.n == 1 && !strcmp(l.keys[0], "b/2"),
	       "list \"b/\"");
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	rc = ops->list(self, "", list_cb, &l, &err);
	TAP_OK(rc == 0 && l.n == 1, "list stops when fn returns > 0");
	memset(&l, 0, sizeof(l));
	l.fail_with = KEEL_EAGAIN;
	rc = ops->list(self, "", list_cb, &l, &err);
	TAP_EQ_INT(rc, KEEL_EAGAIN, "list returns fn's negative code");

	/* max_bytes: 15 bytes in use of 1000. */
	rc = put_n("big", 1001, &err);
	TAP_OK(rc == KEEL_ENOMEM && err.code == KEEL_ENOMEM &&
	       strstr(err.msg, "max_bytes") != NULL,
	       "an object over max_bytes: KEEL_ENOMEM (%s)", err.msg);
	{
		static unsigned char big[1500];

		rc = put("big", big, sizeof(big), -1, 100, &err);
		TAP_EQ_INT(rc, KEEL_ENOMEM, "same, size unknown up front");
	}
	TAP_EQ_INT(put_n("x", 900, &err), 0, "put x (900): 915 in use");
	rc = put_n("y", 100, &err);
	TAP_EQ_INT(rc, KEEL_ENOMEM, "put y (100) would make 1015: ENOMEM");
	TAP_EQ_INT(put_n("x", 950, &err), 0,
	           "replacing x with 950 counts the old size out");
	TAP_EQ_INT(ops->del(self, "x", &err), 0, "del x");
	TAP_EQ_INT(put_n("y", 100, &err), 0, "now put y (100) fits");
	TAP_EQ_INT(ops->head(self, "big", &st, &err), KEEL_ENOTFOUND,
	           "a refused put leaves nothing behind");

	/* Missing keys and failing callbacks. */
	TAP_EQ_INT(ops->del(self, "nope", &err), 0, "del missing key: OK");
	memset(&sink, 0, sizeof(sink));
	TAP_EQ_INT(ops->get(self, "nope", &ks, &err), KEEL_ENOTFOUND,
	           "get missing key");
	TAP_EQ_INT(ops->head(self, "nope", &st, &err), KEEL_ENOTFOUND,
	           "head missing key");
	{
		struct buf_src s = {.p = (const unsigned char *)"abcdef",
		                    .len = 6, .chunk = 2,
		                    .fail_with = KEEL_EAGAIN};
		struct keel_blob_src src = {.size = 6, .read = buf_read,
		                            .arg = &s};

		rc = ops->put(self, "d", &src, &err);
		TAP_EQ_INT(rc, KEEL_EAGAIN, "put returns the source's code");
		TAP_EQ_INT(ops->head(self, "d", &st, &err), KEEL_ENOTFOUND,
		           "... and stores nothing");
	}
	memset(&sink, 0, sizeof(sink));
	sink.fail_with = KEEL_ECANCELLED;
	TAP_EQ_INT(ops->get(self, "a/1", &ks, &err), KEEL_ECANCELLED,
	           "get returns the sink's code");

	/* uri: buffer protocol. */
	need = 0;
	rc = ops->uri(self, "a/1", uri, 4, &need, &err);
	TAP_OK(rc == KEEL_ERANGE && need == strlen("memory:///a/1") + 1,
	       "uri with a small buffer: ERANGE and need %zu", need);
	rc = ops->uri(self, "a/1", uri, sizeof(uri), &need, &err);
	TAP_OK(rc == 0 && strcmp(uri, "memory:///a/1") == 0, "uri: %s", uri);
	TAP_OK(ops->sign_url == NULL, "sign_url not provided");

	/* Several threads on one instance (THREADSAFE); 115 bytes in use,
	 * the workers' keys add a few dozen. */
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(long)i);
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], &ret);
		failures += (long)ret;
	}
	TAP_EQ_INT(failures, 0, "%d threads x %d put/get/list/del",
	           NTHREADS, NITER);

	TAP_EQ_INT(d->health(self, &err), 0, "health");
	d->destroy(self);
	dlclose(h);
	return tap_done();
}
