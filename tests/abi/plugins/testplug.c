/*
 * testplug.c -- the loader's rejection cases, one source for all of them.
 *
 * Each .so in tests/abi/Makefile.inc compiles this file with one -D that
 * breaks exactly one rule of the loader contract; everything else is a
 * valid db plugin (kind and name agree with its <kind>_<name>.so file
 * name, so only the intended check can fire).
 *
 *   TP_NAME              descriptor name (required)
 *   TP_KIND              descriptor kind (KEEL_KIND_DB)
 *   TP_MAGIC, TP_ABI_MAJOR, TP_ABI_MINOR, TP_SIZE, TP_OPS_SIZE,
 *   TP_CONFIG_KEY_SIZE, TP_RESERVED        override that descriptor field
 *   TP_NO_CREATE         create is NULL
 *   TP_NO_CONN_OPEN      the required db op conn_open is NULL
 *   TP_NO_ENTRY          export keel_plugin_init, not keel_plugin_entry
 *   TP_UNDEFINED         reference a symbol nothing defines (dlopen fails)
 */
#include <stdlib.h>

#include <keel/keel_db.h>

#ifndef TP_NAME
#error "TP_NAME must be defined"
#endif
#ifndef TP_KIND
#define TP_KIND KEEL_KIND_DB
#endif
#ifndef TP_MAGIC
#define TP_MAGIC KEEL_PLUGIN_MAGIC
#endif
#ifndef TP_ABI_MAJOR
#define TP_ABI_MAJOR KEEL_ABI_MAJOR
#endif
#ifndef TP_ABI_MINOR
#define TP_ABI_MINOR KEEL_ABI_MINOR
#endif
#ifndef TP_SIZE
#define TP_SIZE sizeof(struct keel_plugin)
#endif
#ifndef TP_OPS_SIZE
#define TP_OPS_SIZE sizeof(struct keel_db_ops)
#endif
#ifndef TP_CONFIG_KEY_SIZE
#define TP_CONFIG_KEY_SIZE sizeof(struct keel_config_key)
#endif
#ifndef TP_RESERVED
#define TP_RESERVED 0
#endif

struct tp {
	int unused;
};

#ifdef TP_UNDEFINED
/* Defined nowhere: dlopen(RTLD_NOW) must fail on it. */
int keel_test_no_such_function(void);
#endif

#ifndef TP_NO_CREATE
static int tp_create(const struct keel_host *host, void *hctx, void **self,
                     struct keel_err *err)
{
	struct tp *tp;

#ifdef TP_UNDEFINED
	if (keel_test_no_such_function() != 0)
		return keel_err_set(err, KEEL_EINTERNAL, "unreachable");
#endif
	tp = calloc(1, sizeof(*tp));
	if (tp == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	*self = tp;
	return KEEL_OK;
}
#endif

static int tp_configure(void *self, const struct keel_config *cfg,
                        struct keel_err *err)
{
	return KEEL_OK;
}

static void tp_destroy(void *self)
{
	free(self);
}

#ifndef TP_NO_CONN_OPEN
static int tp_conn_open(void *self, struct keel_db_conn **out,
                        struct keel_err *err)
{
	return keel_err_set(err, KEEL_ENOTSUP, "test plugin");
}
#endif

static void tp_conn_close(struct keel_db_conn *c)
{
}

static int tp_exec(struct keel_db_conn *c, const char *sql,
                   const struct keel_db_val *args, size_t nargs,
                   int64_t *changed, struct keel_err *err)
{
	return keel_err_set(err, KEEL_ENOTSUP, "test plugin");
}

static int tp_query(struct keel_db_conn *c, const char *sql,
                    const struct keel_db_val *args, size_t nargs,
                    keel_db_row_fn fn, void *arg, struct keel_err *err)
{
	return keel_err_set(err, KEEL_ENOTSUP, "test plugin");
}

static int tp_begin(struct keel_db_conn *c, uint32_t flags,
                    struct keel_err *err)
{
	return keel_err_set(err, KEEL_ENOTSUP, "test plugin");
}

static int tp_txn(struct keel_db_conn *c, struct keel_err *err)
{
	return keel_err_set(err, KEEL_ENOTSUP, "test plugin");
}

static const struct keel_db_ops tp_ops = {
	.dialect = "sqlite",
	.caps = 0,
	.placeholder = KEEL_DB_PH_QMARK,
#ifdef TP_NO_CONN_OPEN
	.conn_open = NULL,
#else
	.conn_open = tp_conn_open,
#endif
	.conn_close = tp_conn_close,
	.exec = tp_exec,
	.query = tp_query,
	.begin = tp_begin,
	.commit = tp_txn,
	.rollback = tp_txn,
};

static const struct keel_config_key tp_config[] = {
	{.name = "path", .type = KEEL_CFG_STR, .help = "unused"},
	{.name = NULL},
};

static const struct keel_plugin tp_plugin = {
	.magic = TP_MAGIC,
	.abi_major = TP_ABI_MAJOR,
	.abi_minor = TP_ABI_MINOR,
	.size = TP_SIZE,
	.kind = TP_KIND,
	.flags = 0,
	.ops_size = TP_OPS_SIZE,
	.config_key_size = TP_CONFIG_KEY_SIZE,
	.reserved = TP_RESERVED,
	.name = TP_NAME,
	.version = "0",
	.description = "ABI test plugin (tests/abi/plugins/testplug.c)",
	.config = tp_config,
#ifdef TP_NO_CREATE
	.create = NULL,
#else
	.create = tp_create,
#endif
	.configure = tp_configure,
	.destroy = tp_destroy,
	.ops = &tp_ops,
};

#ifdef TP_NO_ENTRY
/* Looks like a plugin, but under the wrong name. */
KEEL_EXPORT const struct keel_plugin *keel_plugin_init(void);
KEEL_EXPORT const struct keel_plugin *keel_plugin_init(void)
{
	return &tp_plugin;
}
#else
KEEL_PLUGIN_DECLARE(tp_plugin)
#endif
