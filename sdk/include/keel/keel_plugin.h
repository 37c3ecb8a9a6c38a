/*
 * keel_plugin.h -- Keel plugin ABI: the common part.
 *
 * A Keel plugin is a shared object that exports exactly one symbol,
 * keel_plugin_entry(), returning a constant descriptor (struct keel_plugin).
 * The core loads it with dlopen(RTLD_NOW | RTLD_LOCAL), checks the
 * descriptor, validates the plugin's INI section against its declared config
 * schema and drives it through its lifecycle.  Plugins include only the
 * headers under <keel/> and link nothing of the core: every service the core
 * offers comes through struct keel_host.
 *
 * CHANGELOG (newest first; every change bumps a version here, updates the
 * layout baseline sdk/abi/keel-abi-1.layout and says what was appended)
 *   1.1  Kind executor (keel_executor.h); host api_url().
 *   1.0  Initial ABI: descriptor, host table, config schema, error codes;
 *        kinds db and blob (keel_db.h, keel_blob.h).
 *
 * Versioning rules
 *   - KEEL_ABI_MINOR grows when something is appended: a field at the end of
 *     a struct, an op at the end of an ops table, an error code, a kind, a
 *     flag or a config type.  Numbers are never reused.
 *   - KEEL_ABI_MAJOR grows when anything is removed, reordered, retyped or
 *     changes meaning.  The *_SIZE_V1_0 constants below are frozen for the
 *     whole of major 1.
 *   - A plugin loads when its major equals the core's and its minor is not
 *     greater than the core's.  Ops a plugin does not know (appended after
 *     its minor) read as NULL in the core, and NULL means "not supported".
 *   - Fields tagged "since 1.N" may only be used after checking the
 *     struct's size (see KEEL_HOST_HAS).
 *
 * Conventions for every ABI struct: fixed-width integers, no enums, no
 * bitfields, no bool, no long, no padding holes (checked by the layout test).
 * Sizes are size_t, times are int64_t milliseconds, strings are UTF-8 and
 * NUL-terminated.
 *
 * Ownership: every pointer the core passes to a plugin is borrowed for the
 * duration of that call unless the op's comment says otherwise.  No heap
 * memory crosses the boundary in either direction: plugins return data
 * through core-owned callbacks or caller buffers, and error text through
 * struct keel_err.
 */
#ifndef KEEL_PLUGIN_H
#define KEEL_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* vsnprintf, for keel_err_set(); no other use */

#ifdef __cplusplus
extern "C" {
#endif

#define KEEL_ABI_MAJOR 1
#define KEEL_ABI_MINOR 1

/* "KEEL" in ASCII, first word of every descriptor. */
#define KEEL_PLUGIN_MAGIC 0x4b45454cu

#if defined(__GNUC__) || defined(__clang__)
#define KEEL_EXPORT __attribute__((visibility("default")))
#define KEEL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KEEL_EXPORT
#define KEEL_PRINTF(fmt, args)
#endif

#ifdef __cplusplus
#define KEEL_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define KEEL_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

/* ------------------------------------------------------------------------
 * Plugin kinds.  The INI section name selects the kind ([db], [blob], ...).
 * A kind's ops struct is declared in its own header.  Never renumbered.
 * ---------------------------------------------------------------------- */
#define KEEL_KIND_DB        1u /* keel_db.h        relational driver      */
#define KEEL_KIND_BLOB      2u /* keel_blob.h      object store           */
#define KEEL_KIND_SCHEDULER 3u /* reserved: header added with the kind    */
#define KEEL_KIND_NOTIFY    4u /* reserved: header added with the kind    */
#define KEEL_KIND_AUTH      5u /* reserved: header added with the kind    */
#define KEEL_KIND_EXECUTOR  6u /* keel_executor.h  data plane (since 1.1) */

/* ------------------------------------------------------------------------
 * Error codes.  0 is success; failures are negative and map 1:1 onto gRPC
 * status codes: grpc_code == -KEEL_E*.  The core maps any other negative
 * value to KEEL_EINTERNAL.  KEEL_EAGAIN (UNAVAILABLE) is the one transient
 * code: the core owns retry policy and retries only that.
 * ---------------------------------------------------------------------- */
#define KEEL_OK             0
#define KEEL_ECANCELLED   (-1)  /* CANCELLED                               */
#define KEEL_EUNKNOWN     (-2)  /* UNKNOWN                                 */
#define KEEL_EINVAL       (-3)  /* INVALID_ARGUMENT: bad argument/config   */
#define KEEL_ETIMEDOUT    (-4)  /* DEADLINE_EXCEEDED                       */
#define KEEL_ENOTFOUND    (-5)  /* NOT_FOUND                               */
#define KEEL_EEXIST       (-6)  /* ALREADY_EXISTS: e.g. unique violation   */
#define KEEL_EPERM        (-7)  /* PERMISSION_DENIED                       */
#define KEEL_ENOMEM       (-8)  /* RESOURCE_EXHAUSTED: memory, quota, size */
#define KEEL_EPRECOND     (-9)  /* FAILED_PRECONDITION                     */
#define KEEL_EABORTED     (-10) /* ABORTED: conflict, lost a race          */
#define KEEL_ERANGE       (-11) /* OUT_OF_RANGE                            */
#define KEEL_ENOTSUP      (-12) /* UNIMPLEMENTED: op absent or NULL        */
#define KEEL_EINTERNAL    (-13) /* INTERNAL                                */
#define KEEL_EAGAIN       (-14) /* UNAVAILABLE: transient, safe to retry   */
#define KEEL_EDATALOSS    (-15) /* DATA_LOSS                               */
#define KEEL_EUNAUTH      (-16) /* UNAUTHENTICATED                         */

/*
 * Error detail, filled by the plugin when an op fails.  Caller-owned (the
 * core passes a zeroed one); the plugin writes code, the native error (errno,
 * SQLSTATE number, HTTP status...) in sys when there is one, and a
 * NUL-terminated message that names the object and value involved and never
 * contains a secret.  The core logs it once, prefixed with the plugin's name.
 */
struct keel_err {
	int32_t code; /* KEEL_E*, same as the op's return value */
	int32_t sys;  /* native error code, 0 if none */
	char msg[256];
};

/* Log levels: syslog(3) priorities. */
#define KEEL_LOG_ERROR 3
#define KEEL_LOG_WARN  4
#define KEEL_LOG_INFO  6
#define KEEL_LOG_DEBUG 7

struct keel_config; /* opaque, owned by the core */
struct keel_thread; /* opaque, owned by the core */

/*
 * Services the core provides.  The table is owned by the core, stays valid
 * until after the plugin's destroy() returns, and begins with its own size
 * and version.  Everything is thread-safe unless noted.  hctx is the
 * instance's host context passed to create(); pass it back unchanged.
 */
struct keel_host {
	uint32_t size;      /* sizeof(struct keel_host) in the running core */
	uint16_t abi_major; /* the core's KEEL_ABI_MAJOR */
	uint16_t abi_minor; /* the core's KEEL_ABI_MINOR */

	/* 1.0: log a line prefixed with "[kind:driver]".  Never pass secrets. */
	void (*log)(void *hctx, int level, const char *fmt, ...) KEEL_PRINTF(3, 4);
	/* 1.0: va_list form of log. */
	void (*vlog)(void *hctx, int level, const char *fmt, va_list ap);

	/*
	 * 1.0: config values of the instance's INI section, already validated
	 * against the plugin's schema, with defaults applied.  Only callable
	 * from configure().  A key the schema does not declare gives
	 * KEEL_EINVAL; a declared key without value or default gives
	 * KEEL_ENOTFOUND.
	 *   cfg_str:  *out is borrowed and stays valid until destroy().
	 *   cfg_int:  KEEL_CFG_INT; KEEL_CFG_DURATION in milliseconds;
	 *             KEEL_CFG_BYTES in bytes.
	 *   cfg_bool: *out is 0 or 1.
	 */
	int (*cfg_str)(const struct keel_config *cfg, const char *key,
	               const char **out);
	int (*cfg_int)(const struct keel_config *cfg, const char *key,
	               int64_t *out);
	int (*cfg_bool)(const struct keel_config *cfg, const char *key,
	                int *out);

	/*
	 * 1.0: the value of a KEEL_CFG_SECRET key, read from the file named by
	 * "<key>_file" or the environment variable named by "<key>_env".
	 * Copies at most bufsz-1 bytes plus a NUL into buf and stores the full
	 * length in *len.  KEEL_ERANGE when buf is too small (*len tells the
	 * size needed), KEEL_ENOTFOUND when the secret is not configured.  A
	 * trailing newline of a secret file is dropped.  Callable from
	 * configure() and later.  Wipe buf after use.
	 */
	int (*secret_get)(void *hctx, const char *key, char *buf, size_t bufsz,
	                  size_t *len);

	/*
	 * 1.0: start a named thread (the name shows in logs and in
	 * /proc/PID/task).  Plugins start threads only through this, and join
	 * every thread they started in stop().  *out is owned by the core and
	 * freed by thread_join.
	 */
	int (*thread_spawn)(void *hctx, const char *name, void *(*fn)(void *),
	                    void *arg, struct keel_thread **out);
	/* 1.0: wait for a thread from thread_spawn; stores its return value in
	 * *ret unless ret is NULL.  */
	int (*thread_join)(struct keel_thread *t, void **ret);

	/* 1.0: wall clock, Unix epoch milliseconds. */
	int64_t (*now_ms)(void);
	/* 1.0: monotonic clock in milliseconds, for timeouts and backoff. */
	int64_t (*mono_ms)(void);

	/* 1.0: the daemon's data directory (absolute, no trailing slash),
	 * where embedded plugins keep their files by default.  Borrowed;
	 * valid until destroy(). */
	const char *(*data_dir)(void *hctx);

	/*
	 * since 1.1: the URL of keeld's internal API (nng), for a process the
	 * plugin starts that reports back through the public API
	 * ("ipc:///var/lib/keel/keeld.sock").  Borrowed; valid until
	 * destroy().  Check with KEEL_HOST_HAS(host, api_url).
	 */
	const char *(*api_url)(void *hctx);

	/* since 1.2: append below this line only */
};

/* True when the running core's host table has member m (and it is set). */
#define KEEL_HOST_HAS(h, m)                                                   \
	((h)->size >= offsetof(struct keel_host, m) + sizeof((h)->m) &&       \
	 (h)->m != NULL)

/* ------------------------------------------------------------------------
 * Declarative config schema.  The core parses, type-checks and defaults
 * every key, rejects keys the schema does not declare (listing the valid
 * ones), prints the schema in `keeld --plugin-info`, and generates the
 * documented example configuration from it.
 * ---------------------------------------------------------------------- */
#define KEEL_CFG_STR      1u
#define KEEL_CFG_INT      2u /* decimal integer, checked against min/max */
#define KEEL_CFG_BOOL     3u /* true/false, yes/no, on/off, 1/0 */
#define KEEL_CFG_DURATION 4u /* "250ms", "30s", "5m", "1h" -> milliseconds */
#define KEEL_CFG_BYTES    5u /* "512", "64KiB", "4MiB", "1GiB" -> bytes */
#define KEEL_CFG_SECRET   6u /* only via <key>_file or <key>_env; never
                                logged; read with host->secret_get */
#define KEEL_CFG_PATH     7u /* a file system path; relative paths are
                                resolved against the data directory */

#define KEEL_CFG_F_REQUIRED 0x1u /* the key must be set */
#define KEEL_CFG_F_RANGE    0x2u /* min/max apply (INT, DURATION, BYTES) */

struct keel_config_key {
	const char *name; /* [a-z0-9_]+; NULL terminates the array */
	uint32_t type;    /* KEEL_CFG_* */
	uint32_t flags;   /* KEEL_CFG_F_* */
	const char *def;  /* default as text, or NULL for none */
	const char *help; /* one line for --plugin-info and keel.ini */
	int64_t min;      /* with KEEL_CFG_F_RANGE, in converted units */
	int64_t max;
};

/* Descriptor flags. */
#define KEEL_PLUGIN_F_THREADSAFE 0x1u /* instance ops may run concurrently;
                                         otherwise the core serialises them */
#define KEEL_PLUGIN_F_MULTI      0x2u /* several instances are allowed
                                         ([kind.name] sections) */

/*
 * The descriptor.  static const in the plugin; the core never writes to it
 * and keeps the shared object loaded until after the last destroy().
 *
 * Lifecycle, in this order, each at most once per instance:
 *   create -> configure -> start -> stop -> destroy
 * create and configure do no I/O (the core validates every section before
 * touching the network); start connects and spawns threads; stop quiesces
 * and joins them.  The core calls destroy after any successful create, even
 * when a later step failed, and calls stop before destroy whenever start was
 * called; stop must be idempotent and safe after a failed start.
 * One exception to "at most once": a start that returns KEEL_EAGAIN (its
 * backend is not reachable yet) may be called again, after a delay, so it
 * must leave the instance as it found it.
 */
struct keel_plugin {
	uint32_t magic;           /* KEEL_PLUGIN_MAGIC */
	uint16_t abi_major;       /* KEEL_ABI_MAJOR when the plugin was built */
	uint16_t abi_minor;       /* KEEL_ABI_MINOR when the plugin was built */
	uint32_t size;            /* sizeof(struct keel_plugin) at build time */
	uint32_t kind;            /* KEEL_KIND_* */
	uint32_t flags;           /* KEEL_PLUGIN_F_* */
	uint32_t ops_size;        /* sizeof(the kind's ops struct) at build time */
	uint32_t config_key_size; /* sizeof(struct keel_config_key) at build */
	uint32_t reserved;        /* must be 0 */
	const char *name;         /* driver name: must equal the INI "driver" */
	const char *version;      /* the plugin's own version, informational */
	const char *description;  /* one line */
	const struct keel_config_key *config; /* NULL-name terminated, or NULL */

	/* 1.0, required: allocate the instance (no I/O).  host and hctx stay
	 * valid until destroy().  On success *self is the plugin's state and
	 * is passed to every later call. */
	int (*create)(const struct keel_host *host, void *hctx, void **self,
	              struct keel_err *err);
	/* 1.0, required: read config through host->cfg_* (no I/O). */
	int (*configure)(void *self, const struct keel_config *cfg,
	                 struct keel_err *err);
	/* 1.0, optional: open connections, spawn threads. */
	int (*start)(void *self, struct keel_err *err);
	/* 1.0, optional: stop work and join threads; idempotent. */
	void (*stop)(void *self);
	/* 1.0, required: free everything; self is invalid afterwards. */
	void (*destroy)(void *self);
	/* 1.0, optional: cheap liveness check for readiness probes. */
	int (*health)(void *self, struct keel_err *err);

	const void *ops; /* the kind's ops struct, e.g. struct keel_db_ops */
};

/* Sizes frozen for ABI major 1: the loader refuses anything smaller. */
#define KEEL_PLUGIN_SIZE_V1_0     120u
#define KEEL_HOST_SIZE_V1_0       96u
#define KEEL_CONFIG_KEY_SIZE_V1_0 48u
#define KEEL_ERR_SIZE_V1_0        264u

KEEL_STATIC_ASSERT(sizeof(struct keel_plugin) >= KEEL_PLUGIN_SIZE_V1_0,
                   "struct keel_plugin shrank: ABI break");
KEEL_STATIC_ASSERT(sizeof(struct keel_host) >= KEEL_HOST_SIZE_V1_0,
                   "struct keel_host shrank: ABI break");
/* keel_config_key may grow (descriptors carry config_key_size so the core
 * can walk arrays of a larger element), but never shrink. */
KEEL_STATIC_ASSERT(sizeof(struct keel_config_key) >= KEEL_CONFIG_KEY_SIZE_V1_0,
                   "struct keel_config_key shrank: ABI break");
KEEL_STATIC_ASSERT(sizeof(struct keel_err) == KEEL_ERR_SIZE_V1_0,
                   "struct keel_err changed size");

/* Name of the one exported symbol. */
#define KEEL_PLUGIN_ENTRY_SYMBOL "keel_plugin_entry"

/* The entry point is a function, not data: dlsym is only guaranteed for
 * functions (PostgreSQL's reasoning for Pg_magic_func). */
typedef const struct keel_plugin *(*keel_plugin_entry_fn)(void);

/*
 * Use once per plugin, at file scope, naming the static const descriptor:
 *     KEEL_PLUGIN_DECLARE(my_plugin)
 * Build with -fvisibility=hidden so this is the only exported symbol.  In
 * C++ the entry point gets C linkage, so its name is not mangled.
 */
#ifdef __cplusplus
#define KEEL_PLUGIN_LINKAGE extern "C"
#else
#define KEEL_PLUGIN_LINKAGE
#endif
#define KEEL_PLUGIN_DECLARE(desc)                                             \
	KEEL_PLUGIN_LINKAGE KEEL_EXPORT const struct keel_plugin *            \
	keel_plugin_entry(void);                                              \
	KEEL_PLUGIN_LINKAGE KEEL_EXPORT const struct keel_plugin *            \
	keel_plugin_entry(void)                                               \
	{                                                                     \
		return &(desc);                                               \
	}

/* Fill *err and return code; for one-line error returns in plugins.  The
 * message is cut at 255 bytes. */
static inline int keel_err_set(struct keel_err *err, int code,
                               const char *fmt, ...) KEEL_PRINTF(3, 4);
static inline int keel_err_set(struct keel_err *err, int code,
                               const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

#ifdef __cplusplus
}
#endif

#endif /* KEEL_PLUGIN_H */
