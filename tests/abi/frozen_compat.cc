/*
 * frozen_compat.cc -- the current ABI headers extend the frozen 1.0 ones.
 *
 * Compiled (never run) by tests/abi/headers.sh.  The frozen 1.0 headers
 * (tests/abi/headers/1.0) and the current ones (sdk/include) are included
 * side by side in two C++ namespaces; static assertions then check that
 * every 1.0 struct member still exists with the same name, the same type
 * and the same offset, that no struct shrank, that the 1.0 typedefs are
 * unchanged and that no 1.0 constant changed value.  The layout baseline
 * cannot see a retyped op of the same size (say, int64_t * becoming
 * uint64_t *); this can.
 *
 * Types from the two namespaces are compared through M<>, which rewrites
 * a v10:: type into its cur:: twin (through pointers, const, arrays and
 * function signatures).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <type_traits>

/* The format attribute on keel_host.log, and va_list's, are not part of
 * the type and get dropped in template arguments: fine here. */
#pragma GCC diagnostic ignored "-Wignored-attributes"
#pragma GCC diagnostic ignored "-Wattributes"

/* C-linkage functions of the same name in two namespaces would clash. */
#define keel_err_set keel_v10_err_set
namespace v10 {
#include "headers/1.0/keel/keel_plugin.h"
/* Their own #include <keel/keel_plugin.h> is skipped by its guard. */
#include "headers/1.0/keel/keel_db.h"
#include "headers/1.0/keel/keel_blob.h"
} // namespace v10
#undef keel_err_set

/* Every 1.0 constant, by value (KEEL_ABI_MINOR may grow: checked apart). */
#define V10_CONSTANTS(X)                                                      \
	X(KEEL_ABI_MAJOR)                                                     \
	X(KEEL_PLUGIN_MAGIC)                                                  \
	X(KEEL_KIND_DB) X(KEEL_KIND_BLOB) X(KEEL_KIND_SCHEDULER)              \
	X(KEEL_KIND_NOTIFY) X(KEEL_KIND_AUTH) X(KEEL_KIND_EXECUTOR)           \
	X(KEEL_OK) X(KEEL_ECANCELLED) X(KEEL_EUNKNOWN) X(KEEL_EINVAL)         \
	X(KEEL_ETIMEDOUT) X(KEEL_ENOTFOUND) X(KEEL_EEXIST) X(KEEL_EPERM)      \
	X(KEEL_ENOMEM) X(KEEL_EPRECOND) X(KEEL_EABORTED) X(KEEL_ERANGE)       \
	X(KEEL_ENOTSUP) X(KEEL_EINTERNAL) X(KEEL_EAGAIN) X(KEEL_EDATALOSS)    \
	X(KEEL_EUNAUTH)                                                       \
	X(KEEL_LOG_ERROR) X(KEEL_LOG_WARN) X(KEEL_LOG_INFO) X(KEEL_LOG_DEBUG) \
	X(KEEL_CFG_STR) X(KEEL_CFG_INT) X(KEEL_CFG_BOOL)                      \
	X(KEEL_CFG_DURATION) X(KEEL_CFG_BYTES) X(KEEL_CFG_SECRET)             \
	X(KEEL_CFG_PATH) X(KEEL_CFG_F_REQUIRED) X(KEEL_CFG_F_RANGE)           \
	X(KEEL_PLUGIN_F_THREADSAFE) X(KEEL_PLUGIN_F_MULTI)                    \
	X(KEEL_PLUGIN_SIZE_V1_0) X(KEEL_HOST_SIZE_V1_0)                       \
	X(KEEL_CONFIG_KEY_SIZE_V1_0) X(KEEL_ERR_SIZE_V1_0)                    \
	X(KEEL_DB_NULL) X(KEEL_DB_INT) X(KEEL_DB_REAL) X(KEEL_DB_TEXT)        \
	X(KEEL_DB_BLOB) X(KEEL_DB_CAP_RETURNING) X(KEEL_DB_CAP_UPSERT)        \
	X(KEEL_DB_CAP_SKIP_LOCKED) X(KEEL_DB_CAP_SINGLE_WRITER)               \
	X(KEEL_DB_PH_QMARK) X(KEEL_DB_PH_DOLLAR) X(KEEL_DB_TX_READ)           \
	X(KEEL_DB_TX_WRITE) X(KEEL_DB_OPS_SIZE_V1_0) X(KEEL_DB_VAL_SIZE_V1_0) \
	X(KEEL_BLOB_GET) X(KEEL_BLOB_PUT) X(KEEL_BLOB_OPS_SIZE_V1_0)          \
	X(KEEL_BLOB_STAT_SIZE_V1_0)

namespace v10k {
#define X(c) constexpr long long c##_ = (long long)(c);
V10_CONSTANTS(X)
#undef X
constexpr int minor_ = KEEL_ABI_MINOR;
} // namespace v10k

/* Forget the 1.0 macros so the current headers define their own. */
#undef KEEL_PLUGIN_H
#undef KEEL_DB_H
#undef KEEL_BLOB_H
#undef KEEL_ABI_MAJOR
#undef KEEL_ABI_MINOR
#undef KEEL_PLUGIN_MAGIC
#undef KEEL_EXPORT
#undef KEEL_PRINTF
#undef KEEL_STATIC_ASSERT
#undef KEEL_HOST_HAS
#undef KEEL_PLUGIN_DECLARE
#undef KEEL_PLUGIN_ENTRY_SYMBOL
#undef KEEL_KIND_DB
#undef KEEL_KIND_BLOB
#undef KEEL_KIND_SCHEDULER
#undef KEEL_KIND_NOTIFY
#undef KEEL_KIND_AUTH
#undef KEEL_KIND_EXECUTOR
#undef KEEL_OK
#undef KEEL_ECANCELLED
#undef KEEL_EUNKNOWN
#undef KEEL_EINVAL
#undef KEEL_ETIMEDOUT
#undef KEEL_ENOTFOUND
#undef KEEL_EEXIST
#undef KEEL_EPERM
#undef KEEL_ENOMEM
#undef KEEL_EPRECOND
#undef KEEL_EABORTED
#undef KEEL_ERANGE
#undef KEEL_ENOTSUP
#undef KEEL_EINTERNAL
#undef KEEL_EAGAIN
#undef KEEL_EDATALOSS
#undef KEEL_EUNAUTH
#undef KEEL_LOG_ERROR
#undef KEEL_LOG_WARN
#undef KEEL_LOG_INFO
#undef KEEL_LOG_DEBUG
#undef KEEL_CFG_STR
#undef KEEL_CFG_INT
#undef KEEL_CFG_BOOL
#undef KEEL_CFG_DURATION
#undef KEEL_CFG_BYTES
#undef KEEL_CFG_SECRET
#undef KEEL_CFG_PATH
#undef KEEL_CFG_F_REQUIRED
#undef KEEL_CFG_F_RANGE
#undef KEEL_PLUGIN_F_THREADSAFE
#undef KEEL_PLUGIN_F_MULTI
#undef KEEL_PLUGIN_SIZE_V1_0
#undef KEEL_HOST_SIZE_V1_0
#undef KEEL_CONFIG_KEY_SIZE_V1_0
#undef KEEL_ERR_SIZE_V1_0
#undef KEEL_DB_NULL
#undef KEEL_DB_INT
#undef KEEL_DB_REAL
#undef KEEL_DB_TEXT
#undef KEEL_DB_BLOB
#undef KEEL_DB_CAP_RETURNING
#undef KEEL_DB_CAP_UPSERT
#undef KEEL_DB_CAP_SKIP_LOCKED
#undef KEEL_DB_CAP_SINGLE_WRITER
#undef KEEL_DB_PH_QMARK
#undef KEEL_DB_PH_DOLLAR
#undef KEEL_DB_TX_READ
#undef KEEL_DB_TX_WRITE
#undef KEEL_DB_OPS_SIZE_V1_0
#undef KEEL_DB_VAL_SIZE_V1_0
#undef KEEL_BLOB_GET
#undef KEEL_BLOB_PUT
#undef KEEL_BLOB_OPS_SIZE_V1_0
#undef KEEL_BLOB_STAT_SIZE_V1_0

namespace cur {
#include <keel/keel_plugin.h>
#include <keel/keel_db.h>
#include <keel/keel_blob.h>
} // namespace cur

#define X(c)                                                                  \
	static_assert(v10k::c##_ == (long long)(c),                           \
	              #c " changed value since ABI 1.0");
V10_CONSTANTS(X)
#undef X
static_assert(KEEL_ABI_MINOR >= v10k::minor_, "KEEL_ABI_MINOR went down");

/* M<v10 type>::type is the same type spelled with cur:: structs. */
template <class T> struct M {
	typedef T type;
};
template <class T> struct M<T *> {
	typedef typename M<T>::type *type;
};
template <class T> struct M<const T> {
	typedef const typename M<T>::type type;
};
template <class T, size_t N> struct M<T[N]> {
	typedef typename M<T>::type type[N];
};
template <class R, class... A> struct M<R(A...)> {
	typedef typename M<R>::type type(typename M<A>::type...);
};
template <class R, class... A> struct M<R(A..., ...)> {
	typedef typename M<R>::type type(typename M<A>::type..., ...);
};
#define TWIN(s)                                                               \
	template <> struct M<v10::s> {                                        \
		typedef cur::s type;                                          \
	}
TWIN(keel_err);
TWIN(keel_config);
TWIN(keel_thread);
TWIN(keel_host);
TWIN(keel_config_key);
TWIN(keel_plugin);
TWIN(keel_db_conn);
TWIN(keel_db_val);
TWIN(keel_db_ops);
TWIN(keel_blob_stat);
TWIN(keel_blob_sink);
TWIN(keel_blob_src);
TWIN(keel_blob_ops);

#define SAME_TYPE(a, b) std::is_same<typename M<a>::type, b>::value

#define KEEP(s, m)                                                            \
	static_assert(SAME_TYPE(decltype(v10::s::m), decltype(cur::s::m)),    \
	              #s "." #m ": type changed since ABI 1.0");              \
	static_assert(offsetof(v10::s, m) == offsetof(cur::s, m),             \
	              #s "." #m ": moved since ABI 1.0")

#define NO_SHRINK(s)                                                          \
	static_assert(sizeof(v10::s) <= sizeof(cur::s),                       \
	              #s " is smaller than in ABI 1.0")

#define SAME_TYPEDEF(t)                                                       \
	static_assert(SAME_TYPE(v10::t, cur::t), #t " changed since ABI 1.0")

NO_SHRINK(keel_err);
KEEP(keel_err, code);
KEEP(keel_err, sys);
KEEP(keel_err, msg);

NO_SHRINK(keel_host);
KEEP(keel_host, size);
KEEP(keel_host, abi_major);
KEEP(keel_host, abi_minor);
KEEP(keel_host, log);
KEEP(keel_host, vlog);
KEEP(keel_host, cfg_str);
KEEP(keel_host, cfg_int);
KEEP(keel_host, cfg_bool);
KEEP(keel_host, secret_get);
KEEP(keel_host, thread_spawn);
KEEP(keel_host, thread_join);
KEEP(keel_host, now_ms);
KEEP(keel_host, mono_ms);
KEEP(keel_host, data_dir);

NO_SHRINK(keel_config_key);
KEEP(keel_config_key, name);
KEEP(keel_config_key, type);
KEEP(keel_config_key, flags);
KEEP(keel_config_key, def);
KEEP(keel_config_key, help);
KEEP(keel_config_key, min);
KEEP(keel_config_key, max);

NO_SHRINK(keel_plugin);
KEEP(keel_plugin, magic);
KEEP(keel_plugin, abi_major);
KEEP(keel_plugin, abi_minor);
KEEP(keel_plugin, size);
KEEP(keel_plugin, kind);
KEEP(keel_plugin, flags);
KEEP(keel_plugin, ops_size);
KEEP(keel_plugin, config_key_size);
KEEP(keel_plugin, reserved);
KEEP(keel_plugin, name);
KEEP(keel_plugin, version);
KEEP(keel_plugin, description);
KEEP(keel_plugin, config);
KEEP(keel_plugin, create);
KEEP(keel_plugin, configure);
KEEP(keel_plugin, start);
KEEP(keel_plugin, stop);
KEEP(keel_plugin, destroy);
KEEP(keel_plugin, health);
KEEP(keel_plugin, ops);

NO_SHRINK(keel_db_val);
KEEP(keel_db_val, type);
KEEP(keel_db_val, reserved);
KEEP(keel_db_val, i);
KEEP(keel_db_val, r);
KEEP(keel_db_val, p);
KEEP(keel_db_val, n);

NO_SHRINK(keel_db_ops);
KEEP(keel_db_ops, dialect);
KEEP(keel_db_ops, caps);
KEEP(keel_db_ops, placeholder);
KEEP(keel_db_ops, conn_open);
KEEP(keel_db_ops, conn_close);
KEEP(keel_db_ops, exec);
KEEP(keel_db_ops, query);
KEEP(keel_db_ops, begin);
KEEP(keel_db_ops, commit);
KEEP(keel_db_ops, rollback);
KEEP(keel_db_ops, ping);

NO_SHRINK(keel_blob_stat);
KEEP(keel_blob_stat, size);
KEEP(keel_blob_stat, mtime_ms);
KEEP(keel_blob_stat, etag);

NO_SHRINK(keel_blob_src);
KEEP(keel_blob_src, size);
KEEP(keel_blob_src, read);
KEEP(keel_blob_src, arg);

NO_SHRINK(keel_blob_sink);
KEEP(keel_blob_sink, write);
KEEP(keel_blob_sink, arg);

NO_SHRINK(keel_blob_ops);
KEEP(keel_blob_ops, scheme);
KEEP(keel_blob_ops, put);
KEEP(keel_blob_ops, get);
KEEP(keel_blob_ops, head);
KEEP(keel_blob_ops, del);
KEEP(keel_blob_ops, list);
KEEP(keel_blob_ops, uri);
KEEP(keel_blob_ops, sign_url);

SAME_TYPEDEF(keel_plugin_entry_fn);
SAME_TYPEDEF(keel_db_row_fn);
SAME_TYPEDEF(keel_blob_list_fn);

/* The one exported symbol keeps its name. */
constexpr bool str_eq(const char *a, const char *b)
{
	return *a == *b && (*a == '\0' || str_eq(a + 1, b + 1));
}
static_assert(str_eq(KEEL_PLUGIN_ENTRY_SYMBOL, "keel_plugin_entry"),
              "KEEL_PLUGIN_ENTRY_SYMBOL changed since ABI 1.0");
