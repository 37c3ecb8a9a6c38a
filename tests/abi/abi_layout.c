/*
 * abi_layout.c -- print the plugin ABI's layout, one fact per line.
 *
 *   abi 1.0                          KEEL_ABI_MAJOR.KEEL_ABI_MINOR
 *   model lp64                       data model the offsets were taken on
 *   const NAME VALUE                 every constant of the ABI headers
 *   STRUCT.MEMBER OFFSET SIZE        every member, in declaration order
 *   STRUCT sizeof N
 *
 * sdk/abi/keel-abi-1.layout is this program's output, checked in;
 * tests/abi/layout.sh compares the two (`make abi-layout-update`
 * regenerates it).
 *
 * Members are listed by hand, so the program also checks that the listed
 * members tile each struct exactly: a gap means padding (forbidden in ABI
 * structs) or a member missing from this file, and either fails the run.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <keel/keel_blob.h>
#include <keel/keel_db.h>
#include <keel/keel_executor.h>
#include <keel/keel_plugin.h>

static int layout_errors;
static const char *cur_struct;
static size_t cur_next;

static void struct_begin(const char *name)
{
	cur_struct = name;
	cur_next = 0;
}

static void member(const char *name, size_t off, size_t size)
{
	if (off != cur_next) {
		fprintf(stderr,
		        "abi_layout: %s.%s at offset %zu, expected %zu: "
		        "padding hole, or a member missing from "
		        "tests/abi/abi_layout.c\n",
		        cur_struct, name, off, cur_next);
		layout_errors++;
	}
	printf("%s.%s %zu %zu\n", cur_struct, name, off, size);
	cur_next = off + size;
}

static void struct_end(size_t size)
{
	if (cur_next != size) {
		fprintf(stderr,
		        "abi_layout: %s: members end at %zu but sizeof is %zu: "
		        "tail padding, or a member missing from "
		        "tests/abi/abi_layout.c\n",
		        cur_struct, cur_next, size);
		layout_errors++;
	}
	printf("%s sizeof %zu\n", cur_struct, size);
}

#define M(s, m) member(#m, offsetof(struct s, m), sizeof(((struct s *)0)->m))
#define BEGIN(s) struct_begin(#s)
#define END(s) struct_end(sizeof(struct s))

/* Integer constants print in decimal, except bit masks and the magic,
 * which read better in hex. */
#define CDEC(c) printf("const %s %" PRId64 "\n", #c, (int64_t)(c))
#define CHEX(c) printf("const %s 0x%" PRIx64 "\n", #c, (uint64_t)(c))
#define CSTR(c) printf("const %s %s\n", #c, c)

static void constants(void)
{
	/* KEEL_ABI_MINOR is carried by the "abi" line: it is the one
	 * constant allowed to change within a major version. */
	CHEX(KEEL_PLUGIN_MAGIC);
	CDEC(KEEL_ABI_MAJOR);
	CSTR(KEEL_PLUGIN_ENTRY_SYMBOL);

	CDEC(KEEL_KIND_DB);
	CDEC(KEEL_KIND_BLOB);
	CDEC(KEEL_KIND_SCHEDULER);
	CDEC(KEEL_KIND_NOTIFY);
	CDEC(KEEL_KIND_AUTH);
	CDEC(KEEL_KIND_EXECUTOR);

	CDEC(KEEL_OK);
	CDEC(KEEL_ECANCELLED);
	CDEC(KEEL_EUNKNOWN);
	CDEC(KEEL_EINVAL);
	CDEC(KEEL_ETIMEDOUT);
	CDEC(KEEL_ENOTFOUND);
	CDEC(KEEL_EEXIST);
	CDEC(KEEL_EPERM);
	CDEC(KEEL_ENOMEM);
	CDEC(KEEL_EPRECOND);
	CDEC(KEEL_EABORTED);
	CDEC(KEEL_ERANGE);
	CDEC(KEEL_ENOTSUP);
	CDEC(KEEL_EINTERNAL);
	CDEC(KEEL_EAGAIN);
	CDEC(KEEL_EDATALOSS);
	CDEC(KEEL_EUNAUTH);

	CDEC(KEEL_LOG_ERROR);
	CDEC(KEEL_LOG_WARN);
	CDEC(KEEL_LOG_INFO);
	CDEC(KEEL_LOG_DEBUG);

	CDEC(KEEL_CFG_STR);
	CDEC(KEEL_CFG_INT);
	CDEC(KEEL_CFG_BOOL);
	CDEC(KEEL_CFG_DURATION);
	CDEC(KEEL_CFG_BYTES);
	CDEC(KEEL_CFG_SECRET);
	CDEC(KEEL_CFG_PATH);
	CHEX(KEEL_CFG_F_REQUIRED);
	CHEX(KEEL_CFG_F_RANGE);

	CHEX(KEEL_PLUGIN_F_THREADSAFE);
	CHEX(KEEL_PLUGIN_F_MULTI);

	CDEC(KEEL_PLUGIN_SIZE_V1_0);
	CDEC(KEEL_HOST_SIZE_V1_0);
	CDEC(KEEL_CONFIG_KEY_SIZE_V1_0);
	CDEC(KEEL_ERR_SIZE_V1_0);

	CDEC(KEEL_DB_NULL);
	CDEC(KEEL_DB_INT);
	CDEC(KEEL_DB_REAL);
	CDEC(KEEL_DB_TEXT);
	CDEC(KEEL_DB_BLOB);
	CHEX(KEEL_DB_CAP_RETURNING);
	CHEX(KEEL_DB_CAP_UPSERT);
	CHEX(KEEL_DB_CAP_SKIP_LOCKED);
	CHEX(KEEL_DB_CAP_SINGLE_WRITER);
	CDEC(KEEL_DB_PH_QMARK);
	CDEC(KEEL_DB_PH_DOLLAR);
	CHEX(KEEL_DB_TX_READ);
	CHEX(KEEL_DB_TX_WRITE);
	CDEC(KEEL_DB_OPS_SIZE_V1_0);
	CDEC(KEEL_DB_VAL_SIZE_V1_0);

	CDEC(KEEL_BLOB_GET);
	CDEC(KEEL_BLOB_PUT);
	CDEC(KEEL_BLOB_OPS_SIZE_V1_0);
	CDEC(KEEL_BLOB_STAT_SIZE_V1_0);

	CDEC(KEEL_EXEC_UNKNOWN);
	CDEC(KEEL_EXEC_ACTIVE);
	CDEC(KEEL_EXEC_FINISHED);
	CHEX(KEEL_EXEC_CAP_ABORT);
	CHEX(KEEL_EXEC_CAP_STATUS);
	CHEX(KEEL_EXEC_CAP_BRANCH);
	CHEX(KEEL_EXEC_CAP_SUBWF);
	CHEX(KEEL_EXEC_CAP_LPNODE);
	CHEX(KEEL_EXEC_CAP_GATE);
	CHEX(KEEL_EXEC_CAP_ARRAY);
	CHEX(KEEL_EXEC_CAP_DYNAMIC);
	CHEX(KEEL_EXEC_CAP_FAILNODE);
	CDEC(KEEL_EXECUTOR_OPS_SIZE_V1_1);
	CDEC(KEEL_EXEC_LAUNCH_SIZE_V1_1);
}

static void structs(void)
{
	BEGIN(keel_err);
	M(keel_err, code);
	M(keel_err, sys);
	M(keel_err, msg);
	END(keel_err);

	BEGIN(keel_host);
	M(keel_host, size);
	M(keel_host, abi_major);
	M(keel_host, abi_minor);
	M(keel_host, log);
	M(keel_host, vlog);
	M(keel_host, cfg_str);
	M(keel_host, cfg_int);
	M(keel_host, cfg_bool);
	M(keel_host, secret_get);
	M(keel_host, thread_spawn);
	M(keel_host, thread_join);
	M(keel_host, now_ms);
	M(keel_host, mono_ms);
	M(keel_host, data_dir);
	M(keel_host, api_url);
	END(keel_host);

	BEGIN(keel_config_key);
	M(keel_config_key, name);
	M(keel_config_key, type);
	M(keel_config_key, flags);
	M(keel_config_key, def);
	M(keel_config_key, help);
	M(keel_config_key, min);
	M(keel_config_key, max);
	END(keel_config_key);

	BEGIN(keel_plugin);
	M(keel_plugin, magic);
	M(keel_plugin, abi_major);
	M(keel_plugin, abi_minor);
	M(keel_plugin, size);
	M(keel_plugin, kind);
	M(keel_plugin, flags);
	M(keel_plugin, ops_size);
	M(keel_plugin, config_key_size);
	M(keel_plugin, reserved);
	M(keel_plugin, name);
	M(keel_plugin, version);
	M(keel_plugin, description);
	M(keel_plugin, config);
	M(keel_plugin, create);
	M(keel_plugin, configure);
	M(keel_plugin, start);
	M(keel_plugin, stop);
	M(keel_plugin, destroy);
	M(keel_plugin, health);
	M(keel_plugin, ops);
	END(keel_plugin);

	BEGIN(keel_db_val);
	M(keel_db_val, type);
	M(keel_db_val, reserved);
	M(keel_db_val, i);
	M(keel_db_val, r);
	M(keel_db_val, p);
	M(keel_db_val, n);
	END(keel_db_val);

	BEGIN(keel_db_ops);
	M(keel_db_ops, dialect);
	M(keel_db_ops, caps);
	M(keel_db_ops, placeholder);
	M(keel_db_ops, conn_open);
	M(keel_db_ops, conn_close);
	M(keel_db_ops, exec);
	M(keel_db_ops, query);
	M(keel_db_ops, begin);
	M(keel_db_ops, commit);
	M(keel_db_ops, rollback);
	M(keel_db_ops, ping);
	END(keel_db_ops);

	BEGIN(keel_blob_stat);
	M(keel_blob_stat, size);
	M(keel_blob_stat, mtime_ms);
	M(keel_blob_stat, etag);
	END(keel_blob_stat);

	BEGIN(keel_blob_src);
	M(keel_blob_src, size);
	M(keel_blob_src, read);
	M(keel_blob_src, arg);
	END(keel_blob_src);

	BEGIN(keel_blob_sink);
	M(keel_blob_sink, write);
	M(keel_blob_sink, arg);
	END(keel_blob_sink);

	BEGIN(keel_blob_ops);
	M(keel_blob_ops, scheme);
	M(keel_blob_ops, put);
	M(keel_blob_ops, get);
	M(keel_blob_ops, head);
	M(keel_blob_ops, del);
	M(keel_blob_ops, list);
	M(keel_blob_ops, uri);
	M(keel_blob_ops, sign_url);
	END(keel_blob_ops);

	BEGIN(keel_kv);
	M(keel_kv, key);
	M(keel_kv, value);
	END(keel_kv);

	BEGIN(keel_exec_ref);
	M(keel_exec_ref, project);
	M(keel_exec_ref, domain);
	M(keel_exec_ref, name);
	M(keel_exec_ref, cluster);
	END(keel_exec_ref);

	BEGIN(keel_exec_launch);
	M(keel_exec_launch, size);
	M(keel_exec_launch, max_parallelism);
	M(keel_exec_launch, id);
	M(keel_exec_launch, closure);
	M(keel_exec_launch, closure_len);
	M(keel_exec_launch, inputs_uri);
	M(keel_exec_launch, inputs);
	M(keel_exec_launch, inputs_len);
	M(keel_exec_launch, output_prefix);
	M(keel_exec_launch, raw_output_prefix);
	M(keel_exec_launch, labels);
	M(keel_exec_launch, nlabels);
	M(keel_exec_launch, annotations);
	M(keel_exec_launch, nannotations);
	M(keel_exec_launch, envs);
	M(keel_exec_launch, nenvs);
	M(keel_exec_launch, security_context);
	M(keel_exec_launch, security_context_len);
	M(keel_exec_launch, spec);
	M(keel_exec_launch, spec_len);
	M(keel_exec_launch, namespace_);
	M(keel_exec_launch, principal);
	M(keel_exec_launch, interruptible);
	M(keel_exec_launch, overwrite_cache);
	M(keel_exec_launch, nesting);
	M(keel_exec_launch, reserved);
	M(keel_exec_launch, accepted_at_ms);
	END(keel_exec_launch);

	BEGIN(keel_exec_status);
	M(keel_exec_status, state);
	M(keel_exec_status, reserved);
	M(keel_exec_status, detail);
	END(keel_exec_status);

	BEGIN(keel_exec_caps);
	M(keel_exec_caps, flags);
	M(keel_exec_caps, reserved);
	M(keel_exec_caps, task_types);
	END(keel_exec_caps);

	BEGIN(keel_executor_ops);
	M(keel_executor_ops, launch);
	M(keel_executor_ops, abort);
	M(keel_executor_ops, status);
	M(keel_executor_ops, caps);
	END(keel_executor_ops);
}

int main(void)
{
	const char *model = "other";

	if (sizeof(void *) == 8 && sizeof(long) == 8 && sizeof(int) == 4)
		model = "lp64";
	else if (sizeof(void *) == 4 && sizeof(long) == 4)
		model = "ilp32";

	printf("abi %d.%d\n", KEEL_ABI_MAJOR, KEEL_ABI_MINOR);
	printf("model %s\n", model);
	constants();
	structs();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("abi_layout: stdout");
		return 1;
	}
	return layout_errors ? 1 : 0;
}
