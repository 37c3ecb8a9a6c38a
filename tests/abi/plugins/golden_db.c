/*
 * golden_db.c -- a db plugin as a vendor built it against the 1.0 SDK.
 *
 * Compiled only against the frozen headers in tests/abi/headers/1.0 (see
 * tests/abi/Makefile.inc), it stands for an old binary that must keep
 * loading in every later 1.x keeld.  It is a toy driver: one result row
 * per query, counters instead of storage, so tests/abi/loader_reject can
 * call each op through the table the loader copied.
 *
 * Its ops table is followed in memory by a canary: a loader that copies
 * more than ops_size bytes (Fluent Bit's over-read) would hand the core
 * canary bytes where a newer op slot should read NULL.
 */
#include <stdlib.h>
#include <string.h>

#include <keel/keel_db.h>

#define GD_CANARY 0xa5a5a5a5a5a5a5a5u

struct gd {
	const struct keel_host *host;
	void *hctx;
};

struct keel_db_conn {
	struct gd *gd;
	int in_txn;
};

static int gd_create(const struct keel_host *host, void *hctx, void **self,
                     struct keel_err *err)
{
	struct gd *gd;

	/* An old plugin may rely on everything 1.0 promised. */
	if (host == NULL || host->size < KEEL_HOST_SIZE_V1_0 ||
	    host->abi_major != KEEL_ABI_MAJOR)
		return keel_err_set(err, KEEL_EPRECOND,
		                    "host table too small or wrong major");
	gd = calloc(1, sizeof(*gd));
	if (gd == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	gd->host = host;
	gd->hctx = hctx;
	*self = gd;
	return KEEL_OK;
}

static int gd_configure(void *self, const struct keel_config *cfg,
                        struct keel_err *err)
{
	return KEEL_OK;
}

static void gd_destroy(void *self)
{
	free(self);
}

static int gd_health(void *self, struct keel_err *err)
{
	return KEEL_OK;
}

static int gd_conn_open(void *self, struct keel_db_conn **out,
                        struct keel_err *err)
{
	struct keel_db_conn *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	c->gd = self;
	*out = c;
	return KEEL_OK;
}

static void gd_conn_close(struct keel_db_conn *c)
{
	free(c);
}

static int gd_exec(struct keel_db_conn *c, const char *sql,
                   const struct keel_db_val *args, size_t nargs,
                   int64_t *changed, struct keel_err *err)
{
	if (changed != NULL)
		*changed = (int64_t)nargs;
	return KEEL_OK;
}

/* One row: (42, 'golden'). */
static int gd_query(struct keel_db_conn *c, const char *sql,
                    const struct keel_db_val *args, size_t nargs,
                    keel_db_row_fn fn, void *arg, struct keel_err *err)
{
	struct keel_db_val row[2];
	int rc;

	memset(row, 0, sizeof(row));
	row[0].type = KEEL_DB_INT;
	row[0].i = 42;
	row[1].type = KEEL_DB_TEXT;
	row[1].p = "golden";
	row[1].n = strlen("golden");
	rc = fn(arg, row, 2);
	if (rc < 0)
		return keel_err_set(err, rc, "row callback aborted");
	return KEEL_OK;
}

static int gd_begin(struct keel_db_conn *c, uint32_t flags,
                    struct keel_err *err)
{
	if (c->in_txn)
		return keel_err_set(err, KEEL_EPRECOND, "already in a txn");
	c->in_txn = 1;
	return KEEL_OK;
}

static int gd_end(struct keel_db_conn *c, struct keel_err *err)
{
	if (!c->in_txn)
		return keel_err_set(err, KEEL_EPRECOND, "no transaction");
	c->in_txn = 0;
	return KEEL_OK;
}

static int gd_ping(struct keel_db_conn *c, struct keel_err *err)
{
	return KEEL_OK;
}

static const struct {
	struct keel_db_ops ops;
	uint64_t canary[8];
} gd_ops = {
	.ops = {
		.dialect = "sqlite",
		.caps = KEEL_DB_CAP_SINGLE_WRITER,
		.placeholder = KEEL_DB_PH_QMARK,
		.conn_open = gd_conn_open,
		.conn_close = gd_conn_close,
		.exec = gd_exec,
		.query = gd_query,
		.begin = gd_begin,
		.commit = gd_end,
		.rollback = gd_end,
		.ping = gd_ping,
	},
	.canary = {GD_CANARY, GD_CANARY, GD_CANARY, GD_CANARY, GD_CANARY,
	           GD_CANARY, GD_CANARY, GD_CANARY},
};

/* What "built against 1.0" means for the ops table. */
_Static_assert(sizeof(struct keel_db_ops) == KEEL_DB_OPS_SIZE_V1_0,
               "golden_db must be built against the frozen 1.0 headers");

static const struct keel_config_key gd_config[] = {
	{
		.name = "path",
		.type = KEEL_CFG_PATH,
		.def = "golden.db",
		.help = "database file (ignored)",
	},
	{
		.name = "busy_timeout",
		.type = KEEL_CFG_DURATION,
		.flags = KEEL_CFG_F_RANGE,
		.def = "5s",
		.help = "how long to wait for a lock (ignored)",
		.min = 0,
		.max = 60000,
	},
	{.name = NULL},
};

static const struct keel_plugin gd_plugin = {
	.magic = KEEL_PLUGIN_MAGIC,
	.abi_major = KEEL_ABI_MAJOR,
	.abi_minor = KEEL_ABI_MINOR,
	.size = sizeof(struct keel_plugin),
	.kind = KEEL_KIND_DB,
	.flags = KEEL_PLUGIN_F_THREADSAFE,
	.ops_size = sizeof(struct keel_db_ops),
	.config_key_size = sizeof(struct keel_config_key),
	.name = "good",
	.version = "1.0.0",
	.description = "golden ABI 1.0 db plugin (tests/abi/plugins)",
	.config = gd_config,
	.create = gd_create,
	.configure = gd_configure,
	.destroy = gd_destroy,
	.health = gd_health,
	.ops = &gd_ops.ops,
};

KEEL_PLUGIN_DECLARE(gd_plugin)
