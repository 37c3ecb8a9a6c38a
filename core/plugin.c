/*
 * plugin.c -- the plugin loader, the host services table, and instances.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keel/keel_blob.h>
#include <keel/keel_db.h>
#include <keel/keel_executor.h>

#include "conf.h"
#include "log.h"
#include "plugin.h"
#include "util.h"

struct plugin {
	void *handle;
	char *path;
	const struct keel_plugin *desc;
	void *ops; /* host-sized, zero-filled copy of the plugin's ops */
};

struct plugin_instance {
	struct plugin *plugin;
	void *self;
	struct keel_config *cfg;
	char *data_dir;
	char src[96]; /* "kind:name", the log prefix */
	int started;
};

struct keel_thread {
	pthread_t tid;
};

/* ------------------------------------------------------------------ */
/* Kinds                                                               */
/* ------------------------------------------------------------------ */

struct plugin_op {
	const char *name;
	size_t off;
};

static const struct plugin_op plugin_db_required[] = {
	{"conn_open", offsetof(struct keel_db_ops, conn_open)},
	{"conn_close", offsetof(struct keel_db_ops, conn_close)},
	{"exec", offsetof(struct keel_db_ops, exec)},
	{"query", offsetof(struct keel_db_ops, query)},
	{"begin", offsetof(struct keel_db_ops, begin)},
	{"commit", offsetof(struct keel_db_ops, commit)},
	{"rollback", offsetof(struct keel_db_ops, rollback)},
	{"dialect", offsetof(struct keel_db_ops, dialect)},
};

static const struct plugin_op plugin_blob_required[] = {
	{"put", offsetof(struct keel_blob_ops, put)},
	{"get", offsetof(struct keel_blob_ops, get)},
	{"head", offsetof(struct keel_blob_ops, head)},
	{"del", offsetof(struct keel_blob_ops, del)},
	{"list", offsetof(struct keel_blob_ops, list)},
	{"uri", offsetof(struct keel_blob_ops, uri)},
	{"scheme", offsetof(struct keel_blob_ops, scheme)},
};

static const struct plugin_op plugin_executor_required[] = {
	{"launch", offsetof(struct keel_executor_ops, launch)},
	{"abort", offsetof(struct keel_executor_ops, abort)},
	{"caps", offsetof(struct keel_executor_ops, caps)},
};

struct plugin_kind {
	uint32_t kind;
	const char *name;
	uint32_t ops_min;   /* frozen size for the minor that added it */
	size_t ops_size;    /* this core's sizeof(ops) */
	uint16_t since;     /* the ABI minor that added the kind */
	const struct plugin_op *required;
	size_t nrequired;
};

static const struct plugin_kind plugin_kinds[] = {
	{KEEL_KIND_DB, "db", KEEL_DB_OPS_SIZE_V1_0, sizeof(struct keel_db_ops), 0,
	 plugin_db_required, UTIL_ARRAY_LEN(plugin_db_required)},
	{KEEL_KIND_BLOB, "blob", KEEL_BLOB_OPS_SIZE_V1_0,
	 sizeof(struct keel_blob_ops), 0, plugin_blob_required,
	 UTIL_ARRAY_LEN(plugin_blob_required)},
	/* Executors arrived in 1.1: a plugin built against 1.0 headers had
	 * no executor header, so claiming the kind is refused. */
	{KEEL_KIND_EXECUTOR, "executor", KEEL_EXECUTOR_OPS_SIZE_V1_1,
	 sizeof(struct keel_executor_ops), 1, plugin_executor_required,
	 UTIL_ARRAY_LEN(plugin_executor_required)},
};

static const struct plugin_kind *plugin_kind_info(uint32_t kind)
{
	for (size_t i = 0; i < UTIL_ARRAY_LEN(plugin_kinds); i++)
		if (plugin_kinds[i].kind == kind)
			return &plugin_kinds[i];
	return NULL;
}

const char *plugin_kind_name(uint32_t kind)
{
	const struct plugin_kind *k = plugin_kind_info(kind);

	return k ? k->name : NULL;
}

uint32_t plugin_kind_from_name(const char *name)
{
	for (size_t i = 0; i < UTIL_ARRAY_LEN(plugin_kinds); i++)
		if (strcmp(plugin_kinds[i].name, name) == 0)
			return plugin_kinds[i].kind;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

static int plugin_fail(char *err, size_t errlen, int code, const char *path,
                       const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int plugin_fail(char *err, size_t errlen, int code, const char *path,
                       const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "plugin %s: ", path);

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Step 1: where the file is, what it is, who can write it. */
static int plugin_check_path(const char *plugin_dir, const char *path,
                             char *err, size_t errlen)
{
	char dir_real[PATH_MAX], file_dir[PATH_MAX], file_dir_real[PATH_MAX];
	struct stat st, dst;
	const char *slash;

	if (lstat(path, &st) < 0)
		return plugin_fail(err, errlen, KEEL_ENOTFOUND, path,
		                   "cannot stat: %s", strerror(errno));
	if (S_ISLNK(st.st_mode))
		return plugin_fail(err, errlen, KEEL_EPERM, path,
		                   "is a symbolic link; refusing to load it");
	if (!S_ISREG(st.st_mode))
		return plugin_fail(err, errlen, KEEL_EPERM, path,
		                   "is not a regular file");
	if (realpath(plugin_dir, dir_real) == NULL)
		return plugin_fail(err, errlen, KEEL_ENOTFOUND, path,
		                   "plugin directory %s: %s", plugin_dir,
		                   strerror(errno));
	slash = strrchr(path, '/');
	if (slash == NULL)
		util_strlcpy(file_dir, ".", sizeof(file_dir));
	else if (slash == path)
		util_strlcpy(file_dir, "/", sizeof(file_dir));
	else if ((size_t)(slash - path) < sizeof(file_dir))
		util_strlcpy(file_dir, path, (size_t)(slash - path) + 1);
	else
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "path too long");
	if (realpath(file_dir, file_dir_real) == NULL ||
	    strcmp(file_dir_real, dir_real) != 0)
		return plugin_fail(err, errlen, KEEL_EPERM, path,
		                   "is not inside the plugin directory %s",
		                   dir_real);
	if (st.st_mode & S_IWOTH)
		return plugin_fail(err, errlen, KEEL_EPERM, path,
		                   "is world-writable (mode %04o); refusing "
		                   "to load it",
		                   (unsigned)(st.st_mode & 07777));
	if (stat(dir_real, &dst) < 0)
		return plugin_fail(err, errlen, KEEL_ENOTFOUND, path,
		                   "cannot stat %s: %s", dir_real,
		                   strerror(errno));
	if (dst.st_mode & S_IWOTH)
		return plugin_fail(err, errlen, KEEL_EPERM, path,
		                   "directory %s is world-writable (mode "
		                   "%04o); refusing to load from it",
		                   dir_real, (unsigned)(dst.st_mode & 07777));
	return 0;
}

/* "<kind>_<name>.so" -> kind and name, when the file is named so. */
static void plugin_name_from_file(const char *path, uint32_t *kind,
                                  char *name, size_t namelen)
{
	const char *base = strrchr(path, '/');
	const char *us, *dot;
	char kname[32];

	*kind = 0;
	name[0] = '\0';
	base = base ? base + 1 : path;
	us = strchr(base, '_');
	dot = strrchr(base, '.');
	if (us == NULL || dot == NULL || dot < us || strcmp(dot, ".so") != 0)
		return;
	if ((size_t)(us - base) >= sizeof(kname))
		return;
	memcpy(kname, base, (size_t)(us - base));
	kname[us - base] = '\0';
	*kind = plugin_kind_from_name(kname);
	if (*kind == 0 || (size_t)(dot - us - 1) >= namelen)
		return;
	memcpy(name, us + 1, (size_t)(dot - us - 1));
	name[dot - us - 1] = '\0';
}

static int plugin_check_desc(const char *path, const struct keel_plugin *d,
                             uint32_t want_kind, const char *want_name,
                             char *err, size_t errlen)
{
	const struct plugin_kind *k;

	if (d->magic != KEEL_PLUGIN_MAGIC)
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "bad magic 0x%08x, expected 0x%08x; not a "
		                   "Keel plugin, or corrupted",
		                   d->magic, KEEL_PLUGIN_MAGIC);
	if (d->abi_major != KEEL_ABI_MAJOR)
		return plugin_fail(err, errlen, KEEL_EPRECOND, path,
		                   "built for plugin ABI %u.%u, this keeld "
		                   "speaks ABI %u.%u; rebuild the plugin "
		                   "against keel-plugin %u.x",
		                   d->abi_major, d->abi_minor, KEEL_ABI_MAJOR,
		                   KEEL_ABI_MINOR, KEEL_ABI_MAJOR);
	if (d->abi_minor > KEEL_ABI_MINOR)
		return plugin_fail(err, errlen, KEEL_EPRECOND, path,
		                   "needs plugin ABI %u.%u, this keeld has "
		                   "%u.%u; upgrade keeld",
		                   d->abi_major, d->abi_minor, KEEL_ABI_MAJOR,
		                   KEEL_ABI_MINOR);
	if (d->size < KEEL_PLUGIN_SIZE_V1_0)
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "descriptor size %u is smaller than %u, "
		                   "the minimum for ABI %u.0",
		                   d->size, KEEL_PLUGIN_SIZE_V1_0,
		                   KEEL_ABI_MAJOR);
	k = plugin_kind_info(d->kind);
	if (k == NULL)
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "unknown plugin kind %u", d->kind);
	if (d->abi_minor < k->since)
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "is of kind %s, which ABI %u.%u added, but "
		                   "was built against ABI %u.%u",
		                   k->name, KEEL_ABI_MAJOR, k->since,
		                   d->abi_major, d->abi_minor);
	if (d->ops_size < k->ops_min)
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "ops size %u is smaller than %u, the "
		                   "minimum for kind %s in ABI %u.%u",
		                   d->ops_size, k->ops_min, k->name,
		                   KEEL_ABI_MAJOR, k->since);
	if (d->config != NULL && d->config_key_size < KEEL_CONFIG_KEY_SIZE_V1_0)
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "config key size %u is smaller than %u, "
		                   "the minimum for ABI %u.0",
		                   d->config_key_size,
		                   KEEL_CONFIG_KEY_SIZE_V1_0, KEEL_ABI_MAJOR);
	if (d->reserved != 0)
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "reserved field is %u, expected 0",
		                   d->reserved);
	if (d->name == NULL || d->name[0] == '\0')
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "descriptor has no name");
	if (want_kind != 0 && d->kind != want_kind)
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "is a %s plugin, expected a %s plugin",
		                   k->name, plugin_kind_name(want_kind));
	if (want_name != NULL && strcmp(d->name, want_name) != 0)
		return plugin_fail(err, errlen, KEEL_EINVAL, path,
		                   "is named \"%s\", expected \"%s\"", d->name,
		                   want_name);
	return 0;
}

static int plugin_check_ops(struct plugin *p, char *err, size_t errlen)
{
	const struct keel_plugin *d = p->desc;
	const struct plugin_kind *k = plugin_kind_info(d->kind);
	static const struct plugin_op lifecycle[] = {
		{"create", offsetof(struct keel_plugin, create)},
		{"configure", offsetof(struct keel_plugin, configure)},
		{"destroy", offsetof(struct keel_plugin, destroy)},
	};
	size_t n;

	for (size_t i = 0; i < UTIL_ARRAY_LEN(lifecycle); i++) {
		void *fn;
		memcpy(&fn, (const char *)d + lifecycle[i].off, sizeof(fn));
		if (fn == NULL)
			return plugin_fail(err, errlen, KEEL_EINVAL, p->path,
			                   "required lifecycle function %s is "
			                   "NULL",
			                   lifecycle[i].name);
	}
	if (d->ops == NULL)
		return plugin_fail(err, errlen, KEEL_EINVAL, p->path,
		                   "has no ops table");
	/* Copy what the plugin has; what it does not know stays NULL. */
	p->ops = calloc(1, k->ops_size);
	if (p->ops == NULL)
		return plugin_fail(err, errlen, KEEL_ENOMEM, p->path,
		                   "out of memory");
	n = d->ops_size < k->ops_size ? d->ops_size : k->ops_size;
	memcpy(p->ops, d->ops, n);
	for (size_t i = 0; i < k->nrequired; i++) {
		void *fn;
		memcpy(&fn, (const char *)p->ops + k->required[i].off,
		       sizeof(fn));
		if (fn == NULL)
			return plugin_fail(err, errlen, KEEL_EINVAL, p->path,
			                   "required op %s is NULL",
			                   k->required[i].name);
	}
	return 0;
}

int plugin_open(const char *plugin_dir, const char *path, uint32_t want_kind,
                const char *want_name, struct plugin **out, char *err,
                size_t errlen)
{
	char file_name[64];
	uint32_t file_kind;
	keel_plugin_entry_fn entry;
	struct plugin *p;
	int rc;

	*out = NULL;
	rc = plugin_check_path(plugin_dir, path, err, errlen);
	if (rc != 0)
		return rc;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return plugin_fail(err, errlen, KEEL_ENOMEM, path,
		                   "out of memory");
	p->path = util_strdup(path);
	if (p->path == NULL) {
		rc = plugin_fail(err, errlen, KEEL_ENOMEM, path,
		                 "out of memory");
		goto out_free;
	}
	p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (p->handle == NULL) {
		rc = plugin_fail(err, errlen, KEEL_EINVAL, path,
		                 "dlopen failed: %s (check its dependencies "
		                 "with ldd)",
		                 dlerror());
		goto out_free;
	}
	/* POSIX blesses this cast from void * to a function pointer. */
	*(void **)(&entry) = dlsym(p->handle, KEEL_PLUGIN_ENTRY_SYMBOL);
	if (entry == NULL) {
		rc = plugin_fail(err, errlen, KEEL_EINVAL, path,
		                 "has no %s symbol; not a Keel plugin",
		                 KEEL_PLUGIN_ENTRY_SYMBOL);
		goto out_free;
	}
	p->desc = entry();
	if (p->desc == NULL) {
		rc = plugin_fail(err, errlen, KEEL_EINVAL, path,
		                 "%s returned NULL", KEEL_PLUGIN_ENTRY_SYMBOL);
		goto out_free;
	}
	/* With nothing asked for, the file name says what it should be,
	 * which catches renamed files. */
	plugin_name_from_file(path, &file_kind, file_name, sizeof(file_name));
	if (want_kind == 0)
		want_kind = file_kind;
	if (want_name == NULL && file_name[0] != '\0')
		want_name = file_name;
	rc = plugin_check_desc(path, p->desc, want_kind, want_name, err,
	                       errlen);
	if (rc != 0)
		goto out_free;
	rc = plugin_check_ops(p, err, errlen);
	if (rc != 0)
		goto out_free;
	*out = p;
	return 0;

out_free:
	plugin_close(p);
	return rc;
}

void plugin_close(struct plugin *p)
{
	if (p == NULL)
		return;
	free(p->ops);
	if (p->handle != NULL)
		dlclose(p->handle);
	free(p->path);
	free(p);
}

const struct keel_plugin *plugin_desc(const struct plugin *p)
{
	return p->desc;
}

const void *plugin_ops(const struct plugin *p)
{
	return p->ops;
}

const char *plugin_path(const struct plugin *p)
{
	return p->path;
}

/* ------------------------------------------------------------------ */
/* --plugin-info                                                       */
/* ------------------------------------------------------------------ */

static void plugin_print_db(FILE *out, const struct keel_db_ops *ops)
{
	fprintf(out, "dialect:     %s\n", ops->dialect);
	fprintf(out, "caps:       %s%s%s%s%s\n",
	        (ops->caps & KEEL_DB_CAP_RETURNING) ? " returning" : "",
	        (ops->caps & KEEL_DB_CAP_UPSERT) ? " upsert" : "",
	        (ops->caps & KEEL_DB_CAP_SKIP_LOCKED) ? " skip-locked" : "",
	        (ops->caps & KEEL_DB_CAP_SINGLE_WRITER) ? " single-writer" : "",
	        ops->caps ? "" : " none");
	fprintf(out, "placeholder: %s\n",
	        ops->placeholder == KEEL_DB_PH_DOLLAR ? "$N" : "?");
	fprintf(out, "optional:    ping %s\n", ops->ping ? "yes" : "no");
}

static void plugin_print_blob(FILE *out, const struct keel_blob_ops *ops)
{
	fprintf(out, "scheme:      %s\n", ops->scheme);
	fprintf(out, "optional:    sign_url %s\n", ops->sign_url ? "yes" : "no");
}

static void plugin_print_executor(FILE *out,
                                  const struct keel_executor_ops *ops)
{
	fprintf(out, "optional:    status %s\n", ops->status ? "yes" : "no");
}

int plugin_print_info(FILE *out, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const struct keel_plugin *d;
	struct plugin *p;
	int rc;

	/* An operator may inspect a file anywhere: its own directory is the
	 * plugin directory for this purpose; every other check applies. */
	if (slash == NULL)
		util_strlcpy(dir, ".", sizeof(dir));
	else if (slash == path)
		util_strlcpy(dir, "/", sizeof(dir));
	else
		util_strlcpy(dir, path,
		             (size_t)(slash - path) + 1 < sizeof(dir)
		                 ? (size_t)(slash - path) + 1
		                 : sizeof(dir));
	rc = plugin_open(dir, path, 0, NULL, &p, err, errlen);
	if (rc != 0)
		return rc;
	d = plugin_desc(p);
	fprintf(out, "file:        %s\n", path);
	fprintf(out, "name:        %s\n", d->name);
	fprintf(out, "kind:        %s\n", plugin_kind_name(d->kind));
	fprintf(out, "version:     %s\n", d->version ? d->version : "");
	fprintf(out, "description: %s\n",
	        d->description ? d->description : "");
	fprintf(out, "abi:         %u.%u (this keeld: %u.%u)\n",
	        d->abi_major, d->abi_minor, KEEL_ABI_MAJOR, KEEL_ABI_MINOR);
	fprintf(out, "flags:      %s%s%s\n",
	        (d->flags & KEEL_PLUGIN_F_THREADSAFE) ? " threadsafe" : "",
	        (d->flags & KEEL_PLUGIN_F_MULTI) ? " multi-instance" : "",
	        d->flags ? "" : " none");
	fprintf(out, "sizes:       descriptor %u, ops %u, config key %u\n",
	        d->size, d->ops_size, d->config_key_size);
	fprintf(out, "lifecycle:   start %s, stop %s, health %s\n",
	        d->start ? "yes" : "no", d->stop ? "yes" : "no",
	        d->health ? "yes" : "no");
	if (d->kind == KEEL_KIND_DB)
		plugin_print_db(out, plugin_ops(p));
	else if (d->kind == KEEL_KIND_BLOB)
		plugin_print_blob(out, plugin_ops(p));
	else if (d->kind == KEEL_KIND_EXECUTOR)
		plugin_print_executor(out, plugin_ops(p));
	fprintf(out, "\nconfiguration:\n[%s%s]\ndriver = %s\n",
	        plugin_kind_name(d->kind),
	        (d->flags & KEEL_PLUGIN_F_MULTI) ? ".NAME" : "", d->name);
	conf_print_schema(out, d->config, d->config_key_size);
	plugin_close(p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Host services                                                       */
/* ------------------------------------------------------------------ */

static void host_vlog(void *hctx, int level, const char *fmt, va_list ap)
{
	struct plugin_instance *pi = hctx;

	log_vwrite(level, pi ? pi->src : "plugin", fmt, ap);
}

static void host_log(void *hctx, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_vlog(hctx, level, fmt, ap);
	va_end(ap);
}

static int host_secret_get(void *hctx, const char *key, char *buf,
                           size_t bufsz, size_t *len)
{
	struct plugin_instance *pi = hctx;

	return conf_secret(pi->cfg, key, buf, bufsz, len);
}

static int host_thread_spawn(void *hctx, const char *name,
                             void *(*fn)(void *), void *arg,
                             struct keel_thread **out)
{
	struct keel_thread *t = calloc(1, sizeof(*t));
	char tname[16];
	int rc;

	if (t == NULL)
		return KEEL_ENOMEM;
	rc = pthread_create(&t->tid, NULL, fn, arg);
	if (rc != 0) {
		free(t);
		return rc == EAGAIN ? KEEL_EAGAIN : KEEL_EINTERNAL;
	}
	/* Thread names are at most 15 bytes. */
	util_strlcpy(tname, name ? name : "plugin", sizeof(tname));
	pthread_setname_np(t->tid, tname);
	*out = t;
	return 0;
}

static int host_thread_join(struct keel_thread *t, void **ret)
{
	int rc;

	if (t == NULL)
		return KEEL_EINVAL;
	rc = pthread_join(t->tid, ret);
	free(t);
	return rc == 0 ? 0 : KEEL_EINTERNAL;
}

static const char *host_data_dir(void *hctx)
{
	struct plugin_instance *pi = hctx;

	return pi->data_dir;
}

/* Set once by main before any plugin starts; read-only afterwards. */
static char plugin_api_url_buf[512];

void plugin_set_api_url(const char *url)
{
	util_strlcpy(plugin_api_url_buf, url ? url : "",
	             sizeof(plugin_api_url_buf));
}

static const char *host_api_url(void *hctx)
{
	(void)hctx;
	return plugin_api_url_buf;
}

const struct keel_host plugin_host = {
	.size = sizeof(struct keel_host),
	.abi_major = KEEL_ABI_MAJOR,
	.abi_minor = KEEL_ABI_MINOR,
	.log = host_log,
	.vlog = host_vlog,
	.cfg_str = conf_str,
	.cfg_int = conf_int,
	.cfg_bool = conf_bool,
	.secret_get = host_secret_get,
	.thread_spawn = host_thread_spawn,
	.thread_join = host_thread_join,
	.now_ms = util_now_ms,
	.mono_ms = util_mono_ms,
	.data_dir = host_data_dir,
	.api_url = host_api_url,
};

/* ------------------------------------------------------------------ */
/* Instances                                                           */
/* ------------------------------------------------------------------ */

static int plugin_err_msg(char *err, size_t errlen,
                          const struct plugin_instance *pi, const char *step,
                          int rc, const struct keel_err *ke)
{
	util_fmt(err, errlen, "[%s] %s failed: %s", pi->src, step,
	         ke->msg[0] ? ke->msg : "no message from the plugin");
	return rc < 0 ? rc : KEEL_EINTERNAL;
}

int plugin_instance_new(struct plugin *p, const struct conf_section *sec,
                        const char *data_dir, struct plugin_instance **out,
                        char *err, size_t errlen)
{
	static const char *const skip[] = {"driver", NULL};
	const struct keel_plugin *d = p->desc;
	struct plugin_instance *pi;
	struct keel_err ke;
	int rc;

	*out = NULL;
	pi = calloc(1, sizeof(*pi));
	if (pi == NULL)
		return KEEL_ENOMEM;
	pi->plugin = p;
	util_fmt(pi->src, sizeof(pi->src), "%s:%s", plugin_kind_name(d->kind),
	         d->name);
	pi->data_dir = util_strdup(data_dir ? data_dir : ".");
	if (pi->data_dir == NULL) {
		rc = KEEL_ENOMEM;
		goto out_free;
	}
	rc = conf_bind(sec, sec && sec->origin ? sec->origin : "(built-in)",
	               d->config, d->config_key_size, skip, pi->data_dir,
	               &pi->cfg, err, errlen);
	if (rc != 0)
		goto out_free;
	memset(&ke, 0, sizeof(ke));
	rc = d->create(&plugin_host, pi, &pi->self, &ke);
	if (rc != 0) {
		rc = plugin_err_msg(err, errlen, pi, "create", rc, &ke);
		goto out_free;
	}
	memset(&ke, 0, sizeof(ke));
	rc = d->configure(pi->self, pi->cfg, &ke);
	if (rc != 0) {
		rc = plugin_err_msg(err, errlen, pi, "configure", rc, &ke);
		goto out_destroy;
	}
	*out = pi;
	return 0;

out_destroy:
	d->destroy(pi->self);
out_free:
	conf_bound_free(pi->cfg);
	free(pi->data_dir);
	free(pi);
	return rc;
}

int plugin_instance_start(struct plugin_instance *pi, char *err,
                          size_t errlen)
{
	const struct keel_plugin *d = pi->plugin->desc;
	struct keel_err ke;
	int rc;

	pi->started = 1; /* stop() runs even after a failed start */
	if (d->start == NULL)
		return 0;
	memset(&ke, 0, sizeof(ke));
	rc = d->start(pi->self, &ke);
	if (rc != 0)
		return plugin_err_msg(err, errlen, pi, "start", rc, &ke);
	return 0;
}

void plugin_instance_free(struct plugin_instance *pi)
{
	const struct keel_plugin *d;

	if (pi == NULL)
		return;
	d = pi->plugin->desc;
	if (pi->started && d->stop != NULL)
		d->stop(pi->self);
	d->destroy(pi->self);
	conf_bound_free(pi->cfg);
	free(pi->data_dir);
	free(pi);
}

void *plugin_instance_self(const struct plugin_instance *pi)
{
	return pi->self;
}

const void *plugin_instance_ops(const struct plugin_instance *pi)
{
	return pi->plugin->ops;
}

const struct keel_plugin *plugin_instance_desc(const struct plugin_instance *pi)
{
	return pi->plugin->desc;
}
