/*
 * blob_memory.c -- an in-memory blob store: the Keel SDK's example plugin.
 *
 * [blob]
 * driver = memory
 * max_bytes = 64MiB        ; total size of all objects; KEEL_ENOMEM beyond
 *
 * Objects live in a sorted array (binary search for lookups, key order for
 * list) guarded by one mutex, so the plugin declares itself thread-safe.
 * An object's bytes are immutable once stored and reference-counted: get
 * streams them to the core's sink without holding the lock, and a put or
 * del racing with it only drops the index's reference.
 *
 * Everything lives in the instance (no globals), so several instances may
 * run side by side.  The plugin includes only <keel/keel_blob.h> and
 * exports only keel_plugin_entry.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/keel_blob.h>

#define MEM_VERSION "1.0.0"
#define MEM_CHUNK   65536 /* bytes per sink write */
#define MEM_SCHEME  "memory"

/* An object's bytes, shared by the index and by gets in flight. */
struct mem_data {
	size_t refs; /* under mem.lock */
	size_t len;
	unsigned char bytes[];
};

struct mem_obj {
	char *key;
	struct mem_data *data;
	int64_t mtime_ms;
	uint64_t gen; /* etag */
};

struct mem {
	const struct keel_host *host;
	void *hctx;
	int64_t max_bytes;

	pthread_mutex_t lock; /* guards everything below */
	struct mem_obj *objs; /* sorted by key (strcmp) */
	size_t nobjs;
	size_t cap;
	int64_t used; /* sum of the stored objects' sizes */
	uint64_t gen; /* last generation handed out */
};

/* One object as list() saw it, copied so fn runs without the lock. */
struct mem_item {
	char *key;
	struct keel_blob_stat st;
};

/* Index of key, or of where it would go; *found says which.  Lock held. */
static size_t mem_find(const struct mem *m, const char *key, int *found)
{
	size_t lo = 0, hi = m->nobjs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->objs[mid].key, key);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

/* Drop a reference; the last one frees.  Lock held; accepts NULL. */
static void mem_data_unref(struct mem_data *d)
{
	if (d != NULL && --d->refs == 0)
		free(d);
}

static void mem_stat(const struct mem_obj *o, struct keel_blob_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->size = (int64_t)o->data->len;
	st->mtime_ms = o->mtime_ms;
	snprintf(st->etag, sizeof(st->etag), "\"%" PRIx64 "\"", o->gen);
}

static int mem_create(const struct keel_host *host, void *hctx, void **self,
                      struct keel_err *err)
{
	struct mem *m;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return keel_err_set(err, KEEL_EINTERNAL, "pthread_mutex_init");
	}
	m->host = host;
	m->hctx = hctx;
	*self = m;
	return KEEL_OK;
}

static int mem_configure(void *self, const struct keel_config *cfg,
                         struct keel_err *err)
{
	struct mem *m = self;
	int rc;

	/* The core already parsed "64MiB", applied the default and checked
	 * the range declared in the schema below. */
	rc = m->host->cfg_int(cfg, "max_bytes", &m->max_bytes);
	if (rc < 0)
		return keel_err_set(err, rc, "max_bytes: cannot read it");
	m->host->log(m->hctx, KEEL_LOG_INFO, "holding at most %" PRId64
	             " bytes", m->max_bytes);
	return KEEL_OK;
}

static void mem_destroy(void *self)
{
	struct mem *m = self;
	size_t i;

	/* The core calls no op during or after destroy, so no get is in
	 * flight and every object has only the index's reference. */
	for (i = 0; i < m->nobjs; i++) {
		free(m->objs[i].key);
		mem_data_unref(m->objs[i].data);
	}
	free(m->objs);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static int mem_health(void *self, struct keel_err *err)
{
	return KEEL_OK;
}

/* Read the whole source into a new mem_data, never more than max_bytes. */
static int mem_slurp(struct mem *m, const char *key,
                     const struct keel_blob_src *src, struct mem_data **out,
                     struct keel_err *err)
{
	size_t limit, cap, len = 0, n;
	struct mem_data *d, *bigger;
	int rc;

	if (src->size > m->max_bytes)
		return keel_err_set(err, KEEL_ENOMEM,
		                    "%s: %" PRId64 " bytes exceed max_bytes %"
		                    PRId64, key, src->size, m->max_bytes);
	limit = m->max_bytes > (int64_t)(SIZE_MAX / 2) ? SIZE_MAX / 2
	                                                : (size_t)m->max_bytes;
	/* Room for the announced size plus the read that reports the end. */
	cap = src->size >= 0 ? (size_t)src->size + 1 : 4096;
	if (cap > limit + 1)
		cap = limit + 1;
	d = malloc(sizeof(*d) + cap);
	if (d == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	for (;;) {
		if (len == cap) {
			cap = cap > (limit + 1) / 2 ? limit + 1 : cap * 2;
			bigger = realloc(d, sizeof(*d) + cap);
			if (bigger == NULL) {
				rc = keel_err_set(err, KEEL_ENOMEM,
				                  "out of memory");
				goto out_free;
			}
			d = bigger;
		}
		n = 0;
		rc = src->read(src->arg, d->bytes + len, cap - len, &n);
		if (rc < 0) {
			keel_err_set(err, rc, "%s: source failed", key);
			goto out_free;
		}
		if (n == 0)
			break;
		len += n;
		if (len > limit) {
			rc = keel_err_set(err, KEEL_ENOMEM, "%s: object "
			                  "exceeds max_bytes %" PRId64, key,
			                  m->max_bytes);
			goto out_free;
		}
	}
	d->refs = 1;
	d->len = len;
	*out = d;
	return KEEL_OK;

out_free:
	free(d);
	return rc;
}

static int mem_put(void *self, const char *key,
                   const struct keel_blob_src *src, struct keel_err *err)
{
	struct mem *m = self;
	struct mem_data *d = NULL;
	struct mem_obj *o, *grown;
	char *kcopy = NULL;
	size_t i, oldlen = 0;
	int found, rc;

	/* Read outside the lock: the source may be slow. */
	rc = mem_slurp(m, key, src, &d, err);
	if (rc < 0)
		return rc;
	kcopy = strdup(key);
	if (kcopy == NULL) {
		rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
		goto out_free;
	}

	pthread_mutex_lock(&m->lock);
	i = mem_find(m, key, &found);
	if (found)
		oldlen = m->objs[i].data->len;
	if (m->used - (int64_t)oldlen + (int64_t)d->len > m->max_bytes) {
		rc = keel_err_set(err, KEEL_ENOMEM,
		                  "%s: %zu more bytes would exceed max_bytes %"
		                  PRId64 " (%" PRId64 " in use)",
		                  key, d->len, m->max_bytes, m->used);
		goto out_unlock;
	}
	if (!found) {
		if (m->nobjs == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 16;

			grown = realloc(m->objs, cap * sizeof(*grown));
			if (grown == NULL) {
				rc = keel_err_set(err, KEEL_ENOMEM,
				                  "out of memory");
				goto out_unlock;
			}
			m->objs = grown;
			m->cap = cap;
		}
		memmove(&m->objs[i + 1], &m->objs[i],
		        (m->nobjs - i) * sizeof(*m->objs));
		m->nobjs++;
		o = &m->objs[i];
		o->key = kcopy;
		kcopy = NULL;
	} else {
		o = &m->objs[i];
		mem_data_unref(o->data);
	}
	o->data = d;
	d = NULL;
	o->mtime_ms = m->host->now_ms();
	o->gen = ++m->gen;
	m->used += (int64_t)o->data->len - (int64_t)oldlen;
	rc = KEEL_OK;

out_unlock:
	pthread_mutex_unlock(&m->lock);
out_free:
	free(kcopy);
	free(d); /* not yet shared when still ours */
	return rc;
}

static int mem_get(void *self, const char *key, struct keel_blob_sink *sink,
                   struct keel_err *err)
{
	struct mem *m = self;
	struct mem_data *d;
	size_t i, off, n;
	int found, rc = KEEL_OK;

	pthread_mutex_lock(&m->lock);
	i = mem_find(m, key, &found);
	if (!found) {
		pthread_mutex_unlock(&m->lock);
		return keel_err_set(err, KEEL_ENOTFOUND, "%s: no such object",
		                    key);
	}
	d = m->objs[i].data;
	d->refs++;
	pthread_mutex_unlock(&m->lock);

	/* The sink may block on a slow client: never hold the lock here. */
	for (off = 0; off < d->len; off += n) {
		n = d->len - off < MEM_CHUNK ? d->len - off : MEM_CHUNK;
		rc = sink->write(sink->arg, d->bytes + off, n);
		if (rc < 0) {
			keel_err_set(err, rc, "%s: sink failed", key);
			break;
		}
	}

	pthread_mutex_lock(&m->lock);
	mem_data_unref(d);
	pthread_mutex_unlock(&m->lock);
	return rc < 0 ? rc : KEEL_OK;
}

static int mem_head(void *self, const char *key, struct keel_blob_stat *st,
                    struct keel_err *err)
{
	struct mem *m = self;
	size_t i;
	int found;

	pthread_mutex_lock(&m->lock);
	i = mem_find(m, key, &found);
	if (found)
		mem_stat(&m->objs[i], st);
	pthread_mutex_unlock(&m->lock);
	if (!found)
		return keel_err_set(err, KEEL_ENOTFOUND, "%s: no such object",
		                    key);
	return KEEL_OK;
}

static int mem_del(void *self, const char *key, struct keel_err *err)
{
	struct mem *m = self;
	size_t i;
	int found;

	pthread_mutex_lock(&m->lock);
	i = mem_find(m, key, &found);
	if (found) {
		m->used -= (int64_t)m->objs[i].data->len;
		free(m->objs[i].key);
		mem_data_unref(m->objs[i].data);
		memmove(&m->objs[i], &m->objs[i + 1],
		        (m->nobjs - i - 1) * sizeof(*m->objs));
		m->nobjs--;
	}
	pthread_mutex_unlock(&m->lock);
	return KEEL_OK; /* deleting a missing key is not an error */
}

static int mem_list(void *self, const char *prefix, keel_blob_list_fn fn,
                    void *arg, struct keel_err *err)
{
	struct mem *m = self;
	struct mem_item *items = NULL;
	size_t plen = strlen(prefix);
	size_t first, i, n = 0, k;
	int found, rc = KEEL_OK;

	/* Snapshot under the lock, call fn without it: fn may well call
	 * back into this instance (list, then del each key). */
	pthread_mutex_lock(&m->lock);
	first = mem_find(m, prefix, &found);
	for (i = first; i < m->nobjs; i++)
		if (strncmp(m->objs[i].key, prefix, plen) != 0)
			break;
	n = i - first;
	if (n > 0) {
		items = calloc(n, sizeof(*items));
		if (items == NULL) {
			pthread_mutex_unlock(&m->lock);
			return keel_err_set(err, KEEL_ENOMEM, "out of memory");
		}
	}
	for (k = 0; k < n; k++) {
		items[k].key = strdup(m->objs[first + k].key);
		if (items[k].key == NULL) {
			rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
			break;
		}
		mem_stat(&m->objs[first + k], &items[k].st);
	}
	pthread_mutex_unlock(&m->lock);

	for (k = 0; rc == KEEL_OK && k < n; k++) {
		int r = fn(arg, items[k].key, &items[k].st);

		if (r > 0)
			break;
		if (r < 0)
			rc = keel_err_set(err, r, "list callback failed");
	}
	for (k = 0; k < n; k++)
		free(items[k].key);
	free(items);
	return rc;
}

static int mem_uri(void *self, const char *key, char *buf, size_t bufsz,
                   size_t *need, struct keel_err *err)
{
	/* memory:///a/b: the store has no container name of its own. */
	*need = strlen(MEM_SCHEME ":///") + strlen(key) + 1;
	if (bufsz < *need)
		return keel_err_set(err, KEEL_ERANGE,
		                    "%s: uri needs %zu bytes, have %zu", key,
		                    *need, bufsz);
	snprintf(buf, bufsz, MEM_SCHEME ":///%s", key);
	return KEEL_OK;
}

static const struct keel_blob_ops mem_ops = {
	.scheme = MEM_SCHEME,
	.put = mem_put,
	.get = mem_get,
	.head = mem_head,
	.del = mem_del,
	.list = mem_list,
	.uri = mem_uri,
	.sign_url = NULL, /* optional: the core answers KEEL_ENOTSUP */
};

static const struct keel_config_key mem_config[] = {
	{
		.name = "max_bytes",
		.type = KEEL_CFG_BYTES,
		.flags = KEEL_CFG_F_RANGE,
		.def = "64MiB",
		.help = "total size of all objects; puts beyond it fail",
		.min = 1,
		.max = INT64_MAX,
	},
	{.name = NULL},
};

static const struct keel_plugin mem_plugin = {
	.magic = KEEL_PLUGIN_MAGIC,
	.abi_major = KEEL_ABI_MAJOR,
	.abi_minor = KEEL_ABI_MINOR,
	.size = sizeof(struct keel_plugin),
	.kind = KEEL_KIND_BLOB,
	.flags = KEEL_PLUGIN_F_THREADSAFE | KEEL_PLUGIN_F_MULTI,
	.ops_size = sizeof(struct keel_blob_ops),
	.config_key_size = sizeof(struct keel_config_key),
	.reserved = 0,
	.name = "memory",
	.version = MEM_VERSION,
	.description = "in-memory object store (SDK example; data is lost "
	               "at exit)",
	.config = mem_config,
	.create = mem_create,
	.configure = mem_configure,
	.start = NULL, /* nothing to connect to */
	.stop = NULL,
	.destroy = mem_destroy,
	.health = mem_health,
	.ops = &mem_ops,
};

KEEL_PLUGIN_DECLARE(mem_plugin)
