/*
 * golden_blob.c -- a blob plugin as a vendor built it against the 1.0 SDK.
 *
 * Like golden_db.c, compiled only against tests/abi/headers/1.0.  It keeps
 * no data: put drains the source, every key is missing, list is empty.
 * sign_url (optional) is left NULL, as many stores would.  Its ops table is
 * followed by a canary that must never show up in the core's copy.
 */
#include <stdlib.h>
#include <string.h>

#include <keel/keel_blob.h>

#define GB_CANARY 0x5a5a5a5a5a5a5a5au

struct gb {
	const struct keel_host *host;
};

static int gb_create(const struct keel_host *host, void *hctx, void **self,
                     struct keel_err *err)
{
	struct gb *gb;

	if (host == NULL || host->size < KEEL_HOST_SIZE_V1_0 ||
	    host->abi_major != KEEL_ABI_MAJOR)
		return keel_err_set(err, KEEL_EPRECOND,
		                    "host table too small or wrong major");
	gb = calloc(1, sizeof(*gb));
	if (gb == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	gb->host = host;
	*self = gb;
	return KEEL_OK;
}

static int gb_configure(void *self, const struct keel_config *cfg,
                        struct keel_err *err)
{
	return KEEL_OK;
}

static void gb_destroy(void *self)
{
	free(self);
}

static int gb_put(void *self, const char *key, const struct keel_blob_src *src,
                  struct keel_err *err)
{
	char buf[256];
	size_t n;
	int rc;

	do {
		rc = src->read(src->arg, buf, sizeof(buf), &n);
		if (rc < 0)
			return rc;
	} while (n > 0);
	return KEEL_OK;
}

static int gb_get(void *self, const char *key, struct keel_blob_sink *sink,
                  struct keel_err *err)
{
	return keel_err_set(err, KEEL_ENOTFOUND, "%s: no such object", key);
}

static int gb_head(void *self, const char *key, struct keel_blob_stat *st,
                   struct keel_err *err)
{
	return keel_err_set(err, KEEL_ENOTFOUND, "%s: no such object", key);
}

static int gb_del(void *self, const char *key, struct keel_err *err)
{
	return KEEL_OK;
}

static int gb_list(void *self, const char *prefix, keel_blob_list_fn fn,
                   void *arg, struct keel_err *err)
{
	return KEEL_OK;
}

static int gb_uri(void *self, const char *key, char *buf, size_t bufsz,
                  size_t *need, struct keel_err *err)
{
	static const char scheme[] = "golden://";

	*need = sizeof(scheme) + strlen(key);
	if (bufsz < *need)
		return keel_err_set(err, KEEL_ERANGE, "buffer too small");
	memcpy(buf, scheme, sizeof(scheme) - 1);
	memcpy(buf + sizeof(scheme) - 1, key, strlen(key) + 1);
	return KEEL_OK;
}

static const struct {
	struct keel_blob_ops ops;
	uint64_t canary[8];
} gb_ops = {
	.ops = {
		.scheme = "golden",
		.put = gb_put,
		.get = gb_get,
		.head = gb_head,
		.del = gb_del,
		.list = gb_list,
		.uri = gb_uri,
		.sign_url = NULL,
	},
	.canary = {GB_CANARY, GB_CANARY, GB_CANARY, GB_CANARY, GB_CANARY,
	           GB_CANARY, GB_CANARY, GB_CANARY},
};

_Static_assert(sizeof(struct keel_blob_ops) == KEEL_BLOB_OPS_SIZE_V1_0,
               "golden_blob must be built against the frozen 1.0 headers");

static const struct keel_config_key gb_config[] = {
	{
		.name = "container",
		.type = KEEL_CFG_STR,
		.flags = KEEL_CFG_F_REQUIRED,
		.help = "name of the (imaginary) container",
	},
	{
		.name = "max_object",
		.type = KEEL_CFG_BYTES,
		.def = "1MiB",
		.help = "largest object accepted (ignored)",
	},
	{.name = NULL},
};

static const struct keel_plugin gb_plugin = {
	.magic = KEEL_PLUGIN_MAGIC,
	.abi_major = KEEL_ABI_MAJOR,
	.abi_minor = KEEL_ABI_MINOR,
	.size = sizeof(struct keel_plugin),
	.kind = KEEL_KIND_BLOB,
	.flags = KEEL_PLUGIN_F_THREADSAFE,
	.ops_size = sizeof(struct keel_blob_ops),
	.config_key_size = sizeof(struct keel_config_key),
	.name = "good",
	.version = "1.0.0",
	.description = "golden ABI 1.0 blob plugin (tests/abi/plugins)",
	.config = gb_config,
	.create = gb_create,
	.configure = gb_configure,
	.destroy = gb_destroy,
	.ops = &gb_ops.ops,
};

KEEL_PLUGIN_DECLARE(gb_plugin)
