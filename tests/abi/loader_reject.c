/*
 * loader_reject.c -- every loader rule, broken once, through plugin_open().
 *
 * The plugins live in tests/abi/plugins/.libs (see tests/abi/Makefile.inc);
 * each breaks one rule of the loader contract and must be refused with a
 * message that starts "plugin <path>: " and says what was wrong.  Then the
 * path rules (symlink, world-writable, outside the plugin directory) on
 * copies of a good plugin in temporary directories, and finally the golden
 * plugins built against the frozen 1.0 headers: they load, and every op
 * slot of the core's copy of their ops table is the plugin's pointer or
 * NULL, never bytes from beyond the plugin's ops_size.
 *
 * Environment: KEEL_BUILDDIR (abs_top_builddir).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keel/keel_blob.h>
#include <keel/keel_db.h>
#include <keel/keel_plugin.h>

#include "plugin.h"
#include "tap.h"

#define ERRLEN 1024

static char builddir[PATH_MAX];
static char plugdir[PATH_MAX]; /* tests/abi/plugins/.libs */

struct reject {
	const char *file;
	uint32_t want_kind;
	const char *want_name;
	const char *msg[2]; /* substrings the message must contain */
};

/* Message starts "plugin <...file>: ". */
static int has_prefix(const char *err, const char *file)
{
	char tail[PATH_MAX];

	if (strncmp(err, "plugin ", 7) != 0)
		return 0;
	snprintf(tail, sizeof(tail), "%s: ", file);
	return strstr(err, tail) != NULL;
}

/* plugin_open must fail; check rc, prefix and each substring. */
static void expect_reject(const char *dir, const char *path, uint32_t kind,
                          const char *name, const char *const *msgs,
                          size_t nmsgs, const char *what)
{
	struct plugin *p = NULL;
	char err[ERRLEN] = "";
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t i;
	int rc;

	rc = plugin_open(dir, path, kind, name, &p, err, sizeof(err));
	if (!TAP_OK(rc < 0, "%s: refused (rc %d)", what, rc))
		plugin_close(p);
	if (!TAP_OK(has_prefix(err, base), "%s: message starts \"plugin "
	            ".../%s: \"", what, base))
		tap_diag("message: %s", err);
	for (i = 0; i < nmsgs; i++)
		TAP_HAS_STR(err, msgs[i], "%s: says \"%s\"", what, msgs[i]);
}

/* snprintf that gives up on truncation: a cut path would test nothing. */
static void fmt(char *out, size_t len, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		printf("Bail out! path too long: %s\n", out);
		exit(99);
	}
}

static void join(char *out, size_t len, const char *a, const char *b)
{
	fmt(out, len, "%s/%s", a, b);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in, out, rc = -1;

	in = open(from, O_RDONLY);
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0)
		goto out_in;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto out_out;
	if (n == 0 && fchmod(out, mode) == 0)
		rc = 0;
out_out:
	if (close(out) != 0)
		rc = -1;
out_in:
	close(in);
	return rc;
}

static void rejection_plugins(void)
{
	char future[128], major[128], path[PATH_MAX];
	size_t i;
	struct reject cases[] = {
		{"db_undef.so", 0, NULL,
		 {"dlopen failed: ", " (check its dependencies with ldd)"}},
		{"db_noentry.so", 0, NULL,
		 {"has no keel_plugin_entry symbol; not a Keel plugin"}},
		{"db_badmagic.so", 0, NULL,
		 {"bad magic 0xdeadbeef, expected 0x4b45454c; not a Keel "
		  "plugin, or corrupted"}},
		{"db_major2.so", 0, NULL, {major}},
		{"db_future.so", 0, NULL, {future}},
		{"db_smalldesc.so", 0, NULL,
		 {"descriptor size 64 is smaller than 120, the minimum for "
		  "ABI 1.0"}},
		{"db_smallops.so", 0, NULL,
		 {"ops size 16 is smaller than 80, the minimum for kind db "
		  "in ABI 1.0"}},
		{"db_smallkey.so", 0, NULL,
		 {"config key size 8 is smaller than 48, the minimum for "
		  "ABI 1.0"}},
		{"db_reserved.so", 0, NULL,
		 {"reserved field is 7, expected 0"}},
		{"db_kind42.so", 0, NULL, {"unknown plugin kind 42"}},
		{"executor_old.so", 0, NULL,
		 {"is of kind executor, which ABI 1.1 added, but was built "
		  "against ABI 1.0"}},
		{"executor_smallops.so", 0, NULL,
		 {"ops size 16 is smaller than 32, the minimum for kind "
		  "executor in ABI 1.1"}},
		/* Kind and name from the file name ... */
		{"blob_x.so", 0, NULL,
		 {"is a db plugin, expected a blob plugin"}},
		{"db_foo.so", 0, NULL, {"is named \"bar\", expected \"foo\""}},
		/* ... and from the INI section. */
		{"db_good.so", KEEL_KIND_BLOB, "good",
		 {"is a db plugin, expected a blob plugin"}},
		{"db_good.so", KEEL_KIND_DB, "other",
		 {"is named \"good\", expected \"other\""}},
		{"db_nullop.so", 0, NULL,
		 {"required op conn_open is NULL"}},
		{"db_nocreate.so", 0, NULL,
		 {"required lifecycle function create is NULL"}},
	};

	snprintf(major, sizeof(major),
	         "built for plugin ABI 2.%d, this keeld speaks ABI 1.%d; "
	         "rebuild the plugin against keel-plugin 1.x",
	         KEEL_ABI_MINOR, KEEL_ABI_MINOR);
	snprintf(future, sizeof(future),
	         "needs plugin ABI 1.%d, this keeld has 1.%d; upgrade keeld",
	         KEEL_ABI_MINOR + 1, KEEL_ABI_MINOR);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct reject *c = &cases[i];
		char what[256];
		size_t n = c->msg[1] != NULL ? 2 : 1;

		join(path, sizeof(path), plugdir, c->file);
		snprintf(what, sizeof(what), "%s (kind %u, name %s)", c->file,
		         (unsigned)c->want_kind,
		         c->want_name ? c->want_name : "from file name");
		expect_reject(plugdir, path, c->want_kind, c->want_name,
		              c->msg, n, what);
	}
}

/* Symlinks, modes and directories, on copies of db_good.so. */
static void path_rules(void)
{
	const char *tmpdir = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	char good[PATH_MAX], dir[PATH_MAX], dir2[PATH_MAX], path[PATH_MAX];
	char evil[PATH_MAX];
	struct plugin *p = NULL;
	char err[ERRLEN];
	const char *msg[1];
	char *top;
	int rc;

	fmt(tmpl, sizeof(tmpl), "%s/keel-abi-XXXXXX",
	         tmpdir && *tmpdir ? tmpdir : "/tmp");
	top = mkdtemp(tmpl);
	if (!TAP_OK(top != NULL, "mkdtemp %s", tmpl)) {
		tap_diag("%s", strerror(errno));
		return;
	}
	join(good, sizeof(good), plugdir, "db_good.so");

	/* Control: a plain 0644 copy in a 0700 directory loads. */
	join(dir, sizeof(dir), top, "plug");
	join(path, sizeof(path), dir, "db_good.so");
	rc = mkdir(dir, 0700);
	rc = rc ? rc : copy_file(good, path, 0644);
	TAP_OK(rc == 0, "copy db_good.so into %s", dir);
	err[0] = '\0';
	rc = plugin_open(dir, path, KEEL_KIND_DB, "good", &p, err,
	                 sizeof(err));
	if (!TAP_OK(rc == 0, "a 0644 copy inside the plugin dir loads"))
		tap_diag("rc %d: %s", rc, err);
	plugin_close(p);
	p = NULL;

	/* A symlink inside the plugin dir, even to a good plugin there. */
	join(path, sizeof(path), dir, "db_alias.so");
	TAP_OK(symlink("db_good.so", path) == 0, "symlink db_alias.so");
	msg[0] = "is a symbolic link; refusing to load it";
	expect_reject(dir, path, KEEL_KIND_DB, "good", msg, 1, "symlink");

	/* Outside the plugin dir: the build tree's copy. */
	msg[0] = "is not inside the plugin directory";
	expect_reject(dir, good, KEEL_KIND_DB, "good", msg, 1,
	              "file outside plugin_dir");

	/* Outside, through "..": plug/../other/db_good.so. */
	join(dir2, sizeof(dir2), top, "other");
	join(path, sizeof(path), dir2, "db_good.so");
	rc = mkdir(dir2, 0700);
	rc = rc ? rc : copy_file(good, path, 0644);
	TAP_OK(rc == 0, "copy db_good.so into %s", dir2);
	fmt(path, sizeof(path), "%s/../other/db_good.so", dir);
	expect_reject(dir, path, KEEL_KIND_DB, "good", msg, 1,
	              "plug/../other escapes plugin_dir");

	/* A sibling whose name merely starts with the plugin dir's. */
	fmt(evil, sizeof(evil), "%s-evil", dir);
	join(path, sizeof(path), evil, "db_good.so");
	rc = mkdir(evil, 0700);
	rc = rc ? rc : copy_file(good, path, 0644);
	TAP_OK(rc == 0, "copy db_good.so into %s", evil);
	expect_reject(dir, path, KEEL_KIND_DB, "good", msg, 1,
	              "plug-evil is not inside plug");

	/* World-writable file. */
	join(path, sizeof(path), dir2, "db_good.so");
	TAP_OK(chmod(path, 0666) == 0, "chmod 0666 %s", path);
	msg[0] = "is world-writable (mode 0666); refusing to load it";
	expect_reject(dir2, path, KEEL_KIND_DB, "good", msg, 1,
	              "world-writable file");

	/* World-writable directory (the file itself is fine). */
	TAP_OK(chmod(path, 0644) == 0 && chmod(dir2, 0777) == 0,
	       "chmod 0777 %s", dir2);
	msg[0] = "world-writable";
	expect_reject(dir2, path, KEEL_KIND_DB, "good", msg, 1,
	              "file in a world-writable directory");
	chmod(dir2, 0700);

	/* Best-effort cleanup. */
	unlink(path);
	rmdir(dir2);
	join(path, sizeof(path), evil, "db_good.so");
	unlink(path);
	rmdir(evil);
	join(path, sizeof(path), dir, "db_alias.so");
	unlink(path);
	join(path, sizeof(path), dir, "db_good.so");
	unlink(path);
	rmdir(dir);
	rmdir(top);
}

/*
 * Slot by slot, the core's ops copy against the plugin's table: within
 * ops_size the same pointer, beyond it NULL (zero).
 */
struct slot {
	const char *name;
	size_t off;
};

static void check_slots(const char *what, const struct keel_plugin *d,
                        const void *copy, size_t host_size,
                        const struct slot *slots, size_t nslots)
{
	const unsigned char *c = copy;
	size_t i, j, bad = 0;

	for (i = 0; i < nslots; i++) {
		size_t off = slots[i].off;
		const unsigned char *want = (const unsigned char *)d->ops + off;
		int same;

		if (off + sizeof(void *) <= d->ops_size) {
			same = memcmp(c + off, want, sizeof(void *)) == 0;
			TAP_OK(same, "%s: %s is the plugin's pointer", what,
			       slots[i].name);
		} else {
			for (j = 0, same = 1; j < sizeof(void *); j++)
				same = same && c[off + j] == 0;
			TAP_OK(same, "%s: %s (past ops_size %u) reads NULL",
			       what, slots[i].name, (unsigned)d->ops_size);
		}
	}
	/* Every byte past ops_size, named slot or not, is zero. */
	for (i = d->ops_size; i < host_size; i++)
		bad += c[i] != 0;
	TAP_OK(bad == 0, "%s: %zu byte(s) past ops_size %u up to %zu are zero",
	       what, host_size > d->ops_size ? host_size - d->ops_size : 0,
	       (unsigned)d->ops_size, host_size);
}

#define SLOT(s, m)                                                            \
	{                                                                     \
		#m, offsetof(struct s, m)                                     \
	}

static const struct slot db_slots[] = {
	SLOT(keel_db_ops, dialect), SLOT(keel_db_ops, conn_open),
	SLOT(keel_db_ops, conn_close), SLOT(keel_db_ops, exec),
	SLOT(keel_db_ops, query), SLOT(keel_db_ops, begin),
	SLOT(keel_db_ops, commit), SLOT(keel_db_ops, rollback),
	SLOT(keel_db_ops, ping),
};

static const struct slot blob_slots[] = {
	SLOT(keel_blob_ops, scheme), SLOT(keel_blob_ops, put),
	SLOT(keel_blob_ops, get), SLOT(keel_blob_ops, head),
	SLOT(keel_blob_ops, del), SLOT(keel_blob_ops, list),
	SLOT(keel_blob_ops, uri), SLOT(keel_blob_ops, sign_url),
};

static int row_cb(void *arg, const struct keel_db_val *cols, size_t ncols)
{
	int *rows = arg;

	if (ncols == 2 && cols[0].type == KEEL_DB_INT && cols[0].i == 42 &&
	    cols[1].type == KEEL_DB_TEXT && cols[1].n == 6 &&
	    memcmp(cols[1].p, "golden", 6) == 0)
		(*rows)++;
	return 0;
}

static void golden_db(void)
{
	struct keel_err err;
	struct plugin *p = NULL;
	const struct keel_plugin *d;
	const struct keel_db_ops *ops;
	struct keel_db_conn *conn = NULL;
	struct keel_db_val arg = {.type = KEEL_DB_INT, .i = 1};
	char path[PATH_MAX], msg[ERRLEN] = "";
	void *self = NULL;
	int64_t changed = -1;
	int rc, rows = 0;

	join(path, sizeof(path), plugdir, "db_good.so");
	rc = plugin_open(plugdir, path, KEEL_KIND_DB, "good", &p, msg,
	                 sizeof(msg));
	if (!TAP_OK(rc == 0, "golden db_good.so (built against 1.0) loads")) {
		tap_diag("rc %d: %s", rc, msg);
		return;
	}
	d = plugin_desc(p);
	TAP_EQ_STR(d->name, "good", "golden db: name");
	TAP_EQ_INT(d->abi_major, 1, "golden db: ABI major");
	TAP_EQ_INT(d->abi_minor, 0, "golden db: ABI minor");
	TAP_EQ_INT(d->ops_size, KEEL_DB_OPS_SIZE_V1_0,
	           "golden db: ops_size is the frozen 1.0 size");
	ops = plugin_ops(p);
	TAP_OK(ops != NULL, "golden db: plugin_ops");
	if (ops == NULL)
		goto out;
	check_slots("golden db", d, ops, sizeof(struct keel_db_ops), db_slots,
	            sizeof(db_slots) / sizeof(db_slots[0]));

	/* Drive it through the core's copy with the core's host table. */
	memset(&err, 0, sizeof(err));
	rc = d->create(&plugin_host, NULL, &self, &err);
	if (!TAP_OK(rc == 0, "golden db: create with plugin_host")) {
		tap_diag("rc %d: %s", rc, err.msg);
		goto out;
	}
	rc = ops->conn_open(self, &conn, &err);
	TAP_OK(rc == 0 && conn != NULL, "golden db: conn_open");
	if (conn != NULL) {
		rc = ops->begin(conn, KEEL_DB_TX_WRITE, &err);
		TAP_OK(rc == 0, "golden db: begin");
		rc = ops->exec(conn, "UPDATE t SET a = ?", &arg, 1, &changed,
		               &err);
		TAP_OK(rc == 0 && changed == 1, "golden db: exec");
		rc = ops->query(conn, "SELECT 42, 'golden'", NULL, 0, row_cb,
		                &rows, &err);
		TAP_OK(rc == 0 && rows == 1, "golden db: query row");
		rc = ops->commit(conn, &err);
		TAP_OK(rc == 0, "golden db: commit");
		rc = ops->ping(conn, &err);
		TAP_OK(rc == 0, "golden db: ping");
		ops->conn_close(conn);
	}
	TAP_OK(d->health(self, &err) == 0, "golden db: health");
	d->destroy(self);
out:
	plugin_close(p);
}

static int src_read(void *arg, void *buf, size_t cap, size_t *n)
{
	int *left = arg;

	*n = *left > 0 && cap > 0 ? 1 : 0;
	if (*n)
		memset(buf, 'x', 1);
	*left -= (int)*n;
	return 0;
}

static void golden_blob(void)
{
	struct keel_err err;
	struct plugin *p = NULL;
	const struct keel_plugin *d;
	const struct keel_blob_ops *ops;
	char path[PATH_MAX], msg[ERRLEN] = "", uri[64];
	int left = 5;
	struct keel_blob_src src = {.size = 5, .read = src_read, .arg = &left};
	void *self = NULL;
	size_t need = 0;
	int rc;

	join(path, sizeof(path), plugdir, "blob_good.so");
	rc = plugin_open(plugdir, path, 0, NULL, &p, msg, sizeof(msg));
	if (!TAP_OK(rc == 0, "golden blob_good.so (built against 1.0) "
	            "loads")) {
		tap_diag("rc %d: %s", rc, msg);
		return;
	}
	d = plugin_desc(p);
	TAP_EQ_INT(d->kind, KEEL_KIND_BLOB, "golden blob: kind");
	TAP_EQ_INT(d->ops_size, KEEL_BLOB_OPS_SIZE_V1_0,
	           "golden blob: ops_size is the frozen 1.0 size");
	ops = plugin_ops(p);
	TAP_OK(ops != NULL, "golden blob: plugin_ops");
	if (ops == NULL)
		goto out;
	check_slots("golden blob", d, ops, sizeof(struct keel_blob_ops),
	            blob_slots, sizeof(blob_slots) / sizeof(blob_slots[0]));
	TAP_OK(ops->sign_url == NULL, "golden blob: optional sign_url is NULL");

	memset(&err, 0, sizeof(err));
	rc = d->create(&plugin_host, NULL, &self, &err);
	if (!TAP_OK(rc == 0, "golden blob: create with plugin_host")) {
		tap_diag("rc %d: %s", rc, err.msg);
		goto out;
	}
	rc = ops->put(self, "a/b", &src, &err);
	TAP_OK(rc == 0 && left == 0, "golden blob: put drains the source");
	rc = ops->head(self, "a/b", &(struct keel_blob_stat){0}, &err);
	TAP_EQ_INT(rc, KEEL_ENOTFOUND, "golden blob: head -> ENOTFOUND");
	rc = ops->uri(self, "a/b", uri, sizeof(uri), &need, &err);
	TAP_OK(rc == 0 && strcmp(uri, "golden://a/b") == 0 && need == 13,
	       "golden blob: uri");
	d->destroy(self);
out:
	plugin_close(p);
}

/* Every real plugin of the build loads under its own file name. */
static void real_plugins(void)
{
	char dir[PATH_MAX], path[PATH_MAX], msg[ERRLEN];
	struct dirent *e;
	DIR *dh;
	int n = 0;

	join(dir, sizeof(dir), builddir, ".libs");
	dh = opendir(dir);
	if (dh == NULL) {
		TAP_OK(0, "opendir %s: %s", dir, strerror(errno));
		return;
	}
	while ((e = readdir(dh)) != NULL) {
		size_t len = strlen(e->d_name);
		struct plugin *p = NULL;
		int rc;

		if ((strncmp(e->d_name, "db_", 3) != 0 &&
		     strncmp(e->d_name, "blob_", 5) != 0) ||
		    len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
			continue;
		join(path, sizeof(path), dir, e->d_name);
		msg[0] = '\0';
		rc = plugin_open(dir, path, 0, NULL, &p, msg, sizeof(msg));
		if (!TAP_OK(rc == 0, "real plugin %s loads", e->d_name))
			tap_diag("rc %d: %s", rc, msg);
		plugin_close(p);
		n++;
	}
	closedir(dh);
	TAP_OK(n > 0, "found %d real plugin(s) in %s", n, dir);
}

int main(void)
{
	const char *b = getenv("KEEL_BUILDDIR");

	fmt(builddir, sizeof(builddir), "%s", b ? b : ".");
	fmt(plugdir, sizeof(plugdir), "%s/tests/abi/plugins/.libs", builddir);

	TAP_EQ_STR(plugin_kind_name(KEEL_KIND_DB), "db", "kind 1 is db");
	TAP_EQ_STR(plugin_kind_name(KEEL_KIND_BLOB), "blob", "kind 2 is blob");
	TAP_EQ_INT(plugin_kind_from_name("blob"), KEEL_KIND_BLOB,
	           "\"blob\" is kind 2");
	TAP_EQ_INT(plugin_kind_from_name("nosuch"), 0, "unknown kind name");
	TAP_OK(plugin_host.size >= KEEL_HOST_SIZE_V1_0 &&
	       plugin_host.abi_major == KEEL_ABI_MAJOR &&
	       plugin_host.abi_minor == KEEL_ABI_MINOR,
	       "plugin_host announces its size and ABI %d.%d", KEEL_ABI_MAJOR,
	       KEEL_ABI_MINOR);

	rejection_plugins();
	path_rules();
	golden_db();
	golden_blob();
	real_plugins();
	return tap_done();
}
