/*
 * keel_blob.h -- Keel plugin ABI: the "blob" kind (object store).
 *
 * A blob plugin stores opaque objects under keys in one container (a
 * directory, bucket or storage container chosen in its config).  Keys are
 * relative, '/'-separated, UTF-8, at most 1024 bytes, never start or end
 * with '/', and contain no empty, "." or ".." segment; the core checks this
 * before calling the plugin, and a plugin may refuse others with
 * KEEL_EINVAL.  "Key order" below means byte order (strcmp).  Objects are streamed through core-owned sources and sinks, so
 * no object is ever held whole in memory by the ABI.
 *
 * Threading: every op may be called concurrently from several threads on
 * one instance; a plugin that cannot do that leaves KEEL_PLUGIN_F_THREADSAFE
 * unset and the core serialises its calls.
 *
 * Errors: a missing key is KEEL_ENOTFOUND; a store that refused the
 * credentials KEEL_EPERM; network trouble and throttling (HTTP 429/5xx)
 * KEEL_EAGAIN; a source or sink callback's negative return is passed back
 * unchanged.
 *
 * ABI history: 1.0 initial.
 */
#ifndef KEEL_BLOB_H
#define KEEL_BLOB_H

#include <keel/keel_plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct keel_blob_stat {
	int64_t size;     /* bytes */
	int64_t mtime_ms; /* last modification, Unix epoch ms; 0 if unknown */
	char etag[128];   /* store's version tag, NUL-terminated; "" if none */
};

/*
 * Where get() writes an object: the plugin calls write() with consecutive
 * chunks.  A negative return aborts the transfer and is returned by get().
 * Owned by the core; buf is the plugin's, borrowed for the call.
 */
struct keel_blob_sink {
	int (*write)(void *arg, const void *buf, size_t n);
	void *arg;
};

/*
 * Where put() reads an object from: the plugin calls read() until *n is 0
 * (end of data).  size is the total length when known, else -1.  A
 * negative return aborts the transfer and is returned by put().  Owned by
 * the core.
 */
struct keel_blob_src {
	int64_t size;
	int (*read)(void *arg, void *buf, size_t cap, size_t *n);
	void *arg;
};

/* Called per object by list(), in key order when the store provides one.
 * key and st are valid only during the call.  Return 0 to continue, >0 to
 * stop (list returns KEEL_OK), <0 to abort with that code. */
typedef int (*keel_blob_list_fn)(void *arg, const char *key,
                                 const struct keel_blob_stat *st);

/* sign_url() methods. */
#define KEEL_BLOB_GET 1u
#define KEEL_BLOB_PUT 2u

struct keel_blob_ops {
	/* URI scheme of the store: "file", "s3", "gs", "abfs"... */
	const char *scheme;

	/* 1.0, required: create or replace key with the source's bytes.  The
	 * object appears whole or not at all (no reader sees a partial
	 * object).  A source that delivers a different number of bytes than
	 * its announced size is KEEL_EINVAL and stores nothing. */
	int (*put)(void *self, const char *key, const struct keel_blob_src *src,
	           struct keel_err *err);
	/* 1.0, required: stream the object to the sink. */
	int (*get)(void *self, const char *key, struct keel_blob_sink *sink,
	           struct keel_err *err);
	/* 1.0, required: size, mtime and etag without the content. */
	int (*head)(void *self, const char *key, struct keel_blob_stat *st,
	            struct keel_err *err);
	/* 1.0, required: delete key; deleting a missing key is KEEL_OK. */
	int (*del)(void *self, const char *key, struct keel_err *err);
	/* 1.0, required: every object whose key starts with prefix ("" for
	 * all). */
	int (*list)(void *self, const char *prefix, keel_blob_list_fn fn,
	            void *arg, struct keel_err *err);

	/*
	 * 1.0, required: the object's URI as the rest of Flyte sees it
	 * ("s3://bucket/key", "file:///var/lib/keel/blobs/key"), with the
	 * key as is (not percent-encoded), as Flyte writes them.  Writes a
	 * NUL-terminated string into buf; *need receives the length including
	 * the NUL.  KEEL_ERANGE when bufsz < *need (retry with a larger
	 * buffer).
	 */
	int (*uri)(void *self, const char *key, char *buf, size_t bufsz,
	           size_t *need, struct keel_err *err);

	/*
	 * 1.0, optional (NULL: KEEL_ENOTSUP): a URL that lets a client GET or
	 * PUT key directly for ttl_ms milliseconds.  Same buffer protocol as
	 * uri().
	 */
	int (*sign_url)(void *self, const char *key, uint32_t method,
	                int64_t ttl_ms, char *buf, size_t bufsz, size_t *need,
	                struct keel_err *err);

	/* since 1.1: append below this line only */
};

#define KEEL_BLOB_OPS_SIZE_V1_0 64u
#define KEEL_BLOB_STAT_SIZE_V1_0 144u
KEEL_STATIC_ASSERT(sizeof(struct keel_blob_ops) >= KEEL_BLOB_OPS_SIZE_V1_0,
                   "struct keel_blob_ops shrank: ABI break");
KEEL_STATIC_ASSERT(sizeof(struct keel_blob_stat) == KEEL_BLOB_STAT_SIZE_V1_0,
                   "struct keel_blob_stat changed size");

#ifdef __cplusplus
}
#endif

#endif /* KEEL_BLOB_H */
