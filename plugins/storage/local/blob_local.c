/*
 * blob_local.c -- objects as files under one directory ([blob] driver =
 * local), the embedded default.
 *
 * Key "a/b/c" is the file <root>/a/b/c.  put() writes a temporary file
 * ".tmp.XXXXXX" in the key's directory, fsyncs it and renames it over the
 * key, so readers see the old object or the new one, never a part.  Every
 * file system call is made relative to a descriptor of the root opened in
 * start(), so the ops share no mutable state and run concurrently.
 *
 * Ownership: the instance (struct lb_store) is created by create() and
 * freed by destroy(); it owns its copy of the root path and the root
 * descriptor (open from start() to stop()).  Keys, sources, sinks and
 * buffers are borrowed for the call.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <keel/keel_blob.h>

#define LB_VERSION "0.1.0"
#define LB_MAGIC   0x4c424c4fu /* "LBLO" */

#define LB_CHUNK    (64 * 1024) /* bytes per read/write/sink call */
#define LB_KEY_MAX  1024        /* keel_blob.h */
#define LB_KEY_SHOW 160         /* bytes of a key quoted in messages */

/* Temporary files: ".tmp." and six characters, like mkstemp(3). */
#define LB_TMP_PREFIX     ".tmp."
#define LB_TMP_PREFIX_LEN (sizeof(LB_TMP_PREFIX) - 1)
#define LB_TMP_RANDOM     6
#define LB_TMP_TRIES      64

/* A concurrent del() may remove the directory a put() just created,
 * before the put's temporary file lands in it: put() then tries again. */
#define LB_PUT_TRIES 8

struct lb_store {
	uint32_t magic;
	const struct keel_host *host; /* borrowed until destroy() */
	void *hctx;
	char *root;      /* owned: absolute, no trailing '/' (except "/") */
	int rootfd;      /* O_DIRECTORY of root from start() to stop(), or -1 */
	int fsync;       /* fsync file and directory on put */
	int create_root; /* mkdir -p the root in start() */
	mode_t dir_mode;
	mode_t file_mode;
	atomic_uint_fast64_t seq; /* temp names when getrandom() fails */
};

/* ---------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

/*
 * strerror() may use a shared buffer; strerror_r() is the XSI one (int)
 * or the GNU one (char *) depending on libc and feature macros.  Pick the
 * right reading of its result at compile time.
 */
static inline const char *lb_strerror_xsi(int rc, const char *buf)
{
	return rc == 0 ? buf : "unknown error";
}

static inline const char *lb_strerror_gnu(const char *s, const char *buf)
{
	(void)buf;
	return s;
}

#define lb_strerror(e, buf, n)                                                 \
	_Generic(strerror_r((e), (buf), (n)), int                              \
	         : lb_strerror_xsi, default                                    \
	         : lb_strerror_gnu)(strerror_r((e), (buf), (n)), (buf))

static int lb_errno_code(int e)
{
	switch (e) {
	case ENOENT:
		return KEEL_ENOTFOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return KEEL_EPERM;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
		return KEEL_ENOMEM;
	case ENAMETOOLONG:
		return KEEL_EINVAL;
	case ENOTDIR: /* a prefix of the key is an object */
	case EISDIR:  /* the key is a prefix of other keys */
	case EEXIST:
	case ENOTEMPTY:
	case ELOOP:
		return KEEL_EPRECOND;
	case EINTR:
	case EAGAIN:
	case EBUSY:
		return KEEL_EAGAIN;
	default:
		return KEEL_EINTERNAL;
	}
}

/* Fill err for errno e of step what in op on key; returns the code. */
static int lb_fail(struct keel_err *err, int e, const char *op, const char *key,
                   const char *what)
{
	char buf[128];
	int code = lb_errno_code(e);

	keel_err_set(err, code, "%s %.*s: %s: %s", op, LB_KEY_SHOW, key, what,
	             lb_strerror(e, buf, sizeof(buf)));
	if (err != NULL)
		err->sys = e;
	return code;
}

/* ---------------------------------------------------------------------
 * Keys and paths
 * ------------------------------------------------------------------- */

static int lb_key_bad(const char *op, const char *key, const char *why,
                      struct keel_err *err)
{
	return keel_err_set(err, KEEL_EINVAL, "%s \"%.*s\": bad key: %s", op,
	                    LB_KEY_SHOW, key, why);
}

/*
 * Keys as keel_blob.h defines them.  The core checks keys first, but a
 * path that escapes the root must never reach the file system, so check
 * again.  A last segment starting with ".tmp." is refused too: those names
 * are the driver's temporary files.  (A key cannot hold a NUL: it ends
 * there.)
 */
static int lb_key_check(const char *op, const char *key, struct keel_err *err)
{
	const char *seg, *slash;
	size_t len, n;

	if (key == NULL || key[0] == '\0')
		return keel_err_set(err, KEEL_EINVAL, "%s: empty key", op);
	len = strlen(key);
	if (len > LB_KEY_MAX)
		return keel_err_set(err, KEEL_EINVAL,
		                    "%s \"%.*s...\": key of %zu bytes, at most "
		                    "%d",
		                    op, LB_KEY_SHOW, key, len, LB_KEY_MAX);
	if (key[0] == '/')
		return lb_key_bad(op, key, "absolute", err);
	for (seg = key;; seg = slash + 1) {
		slash = strchr(seg, '/');
		n = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		if (n == 0)
			return lb_key_bad(op, key, "empty segment", err);
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return lb_key_bad(op, key, "\".\" or \"..\" segment",
			                  err);
		if (slash == NULL)
			break;
	}
	if (strncmp(seg, LB_TMP_PREFIX, LB_TMP_PREFIX_LEN) == 0)
		return lb_key_bad(
		    op, key, "names starting with .tmp. are reserved", err);
	return KEEL_OK;
}

/*
 * A list prefix may end anywhere, but every complete segment in it must
 * be one a key could have.
 */
static int lb_prefix_check(const char *prefix, struct keel_err *err)
{
	const char *seg, *slash;
	size_t n;

	if (strlen(prefix) > LB_KEY_MAX)
		return keel_err_set(err, KEEL_EINVAL,
		                    "list: prefix longer than %d bytes",
		                    LB_KEY_MAX);
	if (prefix[0] == '/')
		return lb_key_bad("list", prefix, "absolute prefix", err);
	for (seg = prefix; (slash = strchr(seg, '/')) != NULL;
	     seg = slash + 1) {
		n = (size_t)(slash - seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return lb_key_bad("list", prefix,
			                  "bad segment in prefix", err);
	}
	return KEEL_OK;
}

/* Split a checked key: dir gets "a/b" of "a/b/c" ("" at the top), *leaf
 * points into key.  dir has LB_KEY_MAX + 1 bytes. */
static void lb_split(const char *key, char *dir, const char **leaf)
{
	const char *slash = strrchr(key, '/');
	size_t n = slash != NULL ? (size_t)(slash - key) : 0;

	memcpy(dir, key, n);
	dir[n] = '\0';
	*leaf = slash != NULL ? slash + 1 : key;
}

/* Open a directory below the root ("" is the root itself). */
static int lb_open_dirfd(const struct lb_store *s, const char *dir)
{
	return openat(s->rootfd, dir[0] != '\0' ? dir : ".",
	              O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* fsync a directory below the root; returns 0 or an errno. */
static int lb_fsync_dir(const struct lb_store *s, const char *dir)
{
	int fd, e = 0;

	fd = lb_open_dirfd(s, dir);
	if (fd < 0)
		return errno;
	if (fsync(fd) != 0)
		e = errno;
	close(fd);
	return e;
}

/*
 * Create the directories of dir below the root ("a" then "a/b" for
 * "a/b"), with dir_mode exactly (not filtered by the umask).  With fsync
 * on, each new directory's parent is synced so the entry survives a crash.
 * dir is modified during the call and restored.  Returns 0 or an errno.
 */
static int lb_mkdirs(const struct lb_store *s, char *dir)
{
	char *p = dir, *up;
	int e = 0, last = 0;

	while (!last && e == 0) {
		p = strchr(p, '/');
		if (p == NULL) {
			p = dir + strlen(dir);
			last = 1;
		}
		*p = '\0';
		if (mkdirat(s->rootfd, dir, s->dir_mode) == 0) {
			if (fchmodat(s->rootfd, dir, s->dir_mode, 0) != 0)
				e = errno;
			if (e == 0 && s->fsync) {
				up = strrchr(dir, '/');
				if (up != NULL)
					*up = '\0';
				e = lb_fsync_dir(s, up != NULL ? dir : "");
				if (up != NULL)
					*up = '/';
			}
		} else if (errno != EEXIST) {
			e = errno;
		}
		if (!last)
			*p++ = '/';
	}
	return e;
}

/*
 * Remove the now-empty directories of key, deepest first, up to the root.
 * Best effort: the first directory that is not empty (or anything else
 * going wrong) ends it.
 */
static void lb_prune(const struct lb_store *s, const char *key)
{
	char dir[LB_KEY_MAX + 1];
	const char *leaf;
	char *slash;

	lb_split(key, dir, &leaf);
	while (dir[0] != '\0') {
		if (unlinkat(s->rootfd, dir, AT_REMOVEDIR) != 0)
			return;
		slash = strrchr(dir, '/');
		if (slash == NULL)
			return;
		*slash = '\0';
	}
}

/* ---------------------------------------------------------------------
 * Object metadata
 * ------------------------------------------------------------------- */

/*
 * etag: "<inode>-<size>-<mtime in ns>", each in lowercase hex (Apache's
 * INode MTime Size scheme).  Every put renames a new file over the key, so
 * the inode differs from the previous version's even when size and the
 * (coarse, a few ms) file system timestamp do not.
 */
static void lb_stat_fill(const struct stat *st, struct keel_blob_stat *out)
{
	int64_t mtime_ns =
	    (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;

	memset(out, 0, sizeof(*out));
	out->size = (int64_t)st->st_size;
	out->mtime_ms = mtime_ns / 1000000;
	snprintf(out->etag, sizeof(out->etag), "%llx-%llx-%llx",
	         (unsigned long long)st->st_ino,
	         (unsigned long long)st->st_size, (unsigned long long)mtime_ns);
}

/* ---------------------------------------------------------------------
 * put
 * ------------------------------------------------------------------- */

static void lb_tmp_name(struct lb_store *s, char *name)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[LB_TMP_RANDOM];
	uint64_t x;
	size_t i;

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(rnd)) {
		/* O_EXCL makes any collision harmless: just be varied. */
		x = atomic_fetch_add(&s->seq, 1) * 0x9e3779b97f4a7c15u ^
		    (uint64_t)s->host->mono_ms() ^ ((uint64_t)getpid() << 40);
		for (i = 0; i < sizeof(rnd); i++, x >>= 8)
			rnd[i] = (unsigned char)x;
	}
	memcpy(name, LB_TMP_PREFIX, LB_TMP_PREFIX_LEN);
	for (i = 0; i < LB_TMP_RANDOM; i++)
		name[LB_TMP_PREFIX_LEN + i] = set[rnd[i] % (sizeof(set) - 1)];
	name[LB_TMP_PREFIX_LEN + LB_TMP_RANDOM] = '\0';
}

/* Create a new temporary file in dfd; returns its fd or -1 with errno. */
static int lb_tmp_create(struct lb_store *s, int dfd, char *name)
{
	int fd, i;

	for (i = 0; i < LB_TMP_TRIES; i++) {
		lb_tmp_name(s, name);
		fd =
		    openat(dfd, name,
		           O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		           s->file_mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* Returns 0 or an errno. */
static int lb_write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Open key's directory, creating it when missing, and a temporary file in
 * it.  On success the caller owns *dfd and *fd.  ENOENT after the first
 * step means a concurrent del() pruned a directory on the way: go again.
 */
static int lb_put_open(struct lb_store *s, const char *key, char *dir,
                       char *tmp, int *dfd, int *fd, struct keel_err *err)
{
	const char *what;
	int attempt, e;

	for (attempt = 1;; attempt++) {
		what = "open directory";
		*dfd = lb_open_dirfd(s, dir);
		e = *dfd < 0 ? errno : 0;
		if (e == ENOENT) {
			what = "mkdir";
			e = lb_mkdirs(s, dir);
			if (e == 0) {
				what = "open directory";
				*dfd = lb_open_dirfd(s, dir);
				e = *dfd < 0 ? errno : 0;
			}
		}
		if (e == 0) {
			what = "create temporary file";
			*fd = lb_tmp_create(s, *dfd, tmp);
			if (*fd >= 0)
				return KEEL_OK;
			e = errno;
			close(*dfd);
			*dfd = -1;
		}
		if (e != ENOENT || attempt >= LB_PUT_TRIES)
			return lb_fail(err, e, "put", key, what);
	}
}

static int lb_put(void *self, const char *key, const struct keel_blob_src *src,
                  struct keel_err *err)
{
	struct lb_store *s = self;
	char dir[LB_KEY_MAX + 1], tmp[LB_TMP_PREFIX_LEN + LB_TMP_RANDOM + 1];
	unsigned char *buf;
	const char *leaf;
	int64_t total = 0;
	int dfd = -1, fd = -1, rc, e;
	size_t n;

	assert(s->magic == LB_MAGIC);
	rc = lb_key_check("put", key, err);
	if (rc != KEEL_OK)
		return rc;
	lb_split(key, dir, &leaf);
	buf = malloc(LB_CHUNK);
	if (buf == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	rc = lb_put_open(s, key, dir, tmp, &dfd, &fd, err);
	if (rc != KEEL_OK)
		goto out_prune;
	/* Modes are what the config says, whatever the umask. */
	if (fchmod(fd, s->file_mode) != 0) {
		rc = lb_fail(err, errno, "put", key, "chmod");
		goto out_unlink_tmp;
	}

	for (;;) {
		n = 0;
		rc = src->read(src->arg, buf, LB_CHUNK, &n);
		if (rc < 0) {
			keel_err_set(err, rc,
			             "put %.*s: source aborted with %d",
			             LB_KEY_SHOW, key, rc);
			goto out_unlink_tmp;
		}
		if (n == 0)
			break;
		if (n > LB_CHUNK) {
			rc = keel_err_set(err, KEEL_EINVAL,
			                  "put %.*s: source returned %zu bytes "
			                  "into a %d-byte buffer",
			                  LB_KEY_SHOW, key, n, LB_CHUNK);
			goto out_unlink_tmp;
		}
		e = lb_write_all(fd, buf, n);
		if (e != 0) {
			rc = lb_fail(err, e, "put", key, "write");
			goto out_unlink_tmp;
		}
		total += (int64_t)n;
	}
	rc = KEEL_OK; /* a positive read() return is not an error */
	if (src->size >= 0 && total != src->size) {
		rc = keel_err_set(err, KEEL_EINVAL,
		                  "put %.*s: source gave %lld bytes, announced "
		                  "%lld",
		                  LB_KEY_SHOW, key, (long long)total,
		                  (long long)src->size);
		goto out_unlink_tmp;
	}
	if (s->fsync && fsync(fd) != 0) {
		rc = lb_fail(err, errno, "put", key, "fsync");
		goto out_unlink_tmp;
	}
	e = close(fd) != 0 ? errno : 0;
	fd = -1;
	if (e != 0) {
		rc = lb_fail(err, e, "put", key, "close");
		goto out_unlink_tmp;
	}
	if (renameat(dfd, tmp, dfd, leaf) != 0) {
		rc = lb_fail(err, errno, "put", key, "rename");
		goto out_unlink_tmp;
	}
	/* The object is in place; make its directory entry durable. */
	if (s->fsync && fsync(dfd) != 0)
		rc = lb_fail(err, errno, "put", key, "fsync directory");
	goto out_close_dir;

out_unlink_tmp:
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
out_close_dir:
	close(dfd);
out_prune:
	/* A failed put may leave directories it created empty. */
	if (rc != KEEL_OK)
		lb_prune(s, key);
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------------
 * get, head, del
 * ------------------------------------------------------------------- */

static int lb_not_found(struct keel_err *err, const char *op, const char *key,
                        int e)
{
	keel_err_set(err, KEEL_ENOTFOUND, "%s %.*s: no such object", op,
	             LB_KEY_SHOW, key);
	if (err != NULL)
		err->sys = e;
	return KEEL_ENOTFOUND;
}

static int lb_get(void *self, const char *key, struct keel_blob_sink *sink,
                  struct keel_err *err)
{
	struct lb_store *s = self;
	unsigned char *buf = NULL;
	struct stat st;
	ssize_t n;
	int fd, rc;

	assert(s->magic == LB_MAGIC);
	rc = lb_key_check("get", key, err);
	if (rc != KEEL_OK)
		return rc;
	fd = openat(s->rootfd, key, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return lb_not_found(err, "get", key, errno);
		return lb_fail(err, errno, "get", key, "open");
	}
	if (fstat(fd, &st) != 0) {
		rc = lb_fail(err, errno, "get", key, "stat");
		goto out_close_file;
	}
	if (!S_ISREG(st.st_mode)) { /* a directory: a prefix, no object */
		rc = lb_not_found(err, "get", key, 0);
		goto out_close_file;
	}
	buf = malloc(LB_CHUNK);
	if (buf == NULL) {
		rc = keel_err_set(err, KEEL_ENOMEM, "out of memory");
		goto out_close_file;
	}
	for (;;) {
		n = read(fd, buf, LB_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = lb_fail(err, errno, "get", key, "read");
			break;
		}
		if (n == 0)
			break;
		rc = sink->write(sink->arg, buf, (size_t)n);
		if (rc < 0) {
			keel_err_set(err, rc, "get %.*s: sink aborted with %d",
			             LB_KEY_SHOW, key, rc);
			break;
		}
		rc = KEEL_OK;
	}
	free(buf);
out_close_file:
	close(fd);
	return rc;
}

static int lb_head(void *self, const char *key, struct keel_blob_stat *out,
                   struct keel_err *err)
{
	struct lb_store *s = self;
	struct stat st;
	int rc;

	assert(s->magic == LB_MAGIC);
	rc = lb_key_check("head", key, err);
	if (rc != KEEL_OK)
		return rc;
	if (fstatat(s->rootfd, key, &st, 0) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return lb_not_found(err, "head", key, errno);
		return lb_fail(err, errno, "head", key, "stat");
	}
	if (!S_ISREG(st.st_mode))
		return lb_not_found(err, "head", key, 0);
	lb_stat_fill(&st, out);
	return KEEL_OK;
}

static int lb_del(void *self, const char *key, struct keel_err *err)
{
	struct lb_store *s = self;
	int rc;

	assert(s->magic == LB_MAGIC);
	rc = lb_key_check("del", key, err);
	if (rc != KEEL_OK)
		return rc;
	if (unlinkat(s->rootfd, key, 0) != 0) {
		/* Missing, or a directory (a prefix, not an object). */
		if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR)
			return KEEL_OK;
		return lb_fail(err, errno, "del", key, "unlink");
	}
	lb_prune(s, key);
	return KEEL_OK;
}

/* ---------------------------------------------------------------------
 * list
 * ------------------------------------------------------------------- */

struct lb_ent {
	char *name; /* owned */
	int is_dir;
};

struct lb_walk {
	struct lb_store *s;
	const char *prefix;
	size_t plen;
	keel_blob_list_fn fn;
	void *arg;
	struct keel_err *err;
	char key[LB_KEY_MAX + 2]; /* the directory being walked, then keys */
};

/*
 * Order of a directory's entries such that walking them depth first gives
 * keys in byte order: a directory sorts as its name followed by '/', so
 * "a.txt" ('.' < '/') comes before the keys under "a/".
 */
static int lb_ent_cmp(const void *a, const void *b)
{
	const struct lb_ent *x = a, *y = b;
	const unsigned char *p = (const unsigned char *)x->name;
	const unsigned char *q = (const unsigned char *)y->name;
	int cp, cq;

	while (*p != '\0' && *p == *q) {
		p++;
		q++;
	}
	cp = *p != '\0' ? *p : x->is_dir ? '/' : 0;
	cq = *q != '\0' ? *q : y->is_dir ? '/' : 0;
	return cp - cq;
}

static void lb_ents_free(struct lb_ent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/*
 * Whether key (len bytes in w->key) can lead to a match: for an object,
 * it starts with the prefix; for a directory, key + "/" and the prefix
 * agree over the shorter of the two.
 */
static int lb_walk_wanted(const struct lb_walk *w, size_t len, int is_dir)
{
	size_t n;

	if (!is_dir)
		return len >= w->plen &&
		       memcmp(w->key, w->prefix, w->plen) == 0;
	n = len < w->plen ? len : w->plen;
	if (memcmp(w->key, w->prefix, n) != 0)
		return 0;
	return len >= w->plen || w->prefix[len] == '/';
}

/*
 * 1 for a directory to descend into, 0 for an object, -1 to skip.
 * Symbolic links to regular files are objects; symbolic links to
 * directories are not followed, so a link cannot make the walk loop.
 */
static int lb_ent_type(int dfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_DIR)
		return 1;
	if (de->d_type == DT_REG)
		return 0;
	if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	if (S_ISLNK(st.st_mode))
		return fstatat(dfd, de->d_name, &st, 0) == 0 &&
		               S_ISREG(st.st_mode)
		           ? 0
		           : -1;
	if (S_ISDIR(st.st_mode))
		return 1;
	return S_ISREG(st.st_mode) ? 0 : -1;
}

/*
 * Read directory w->key (dlen bytes; 0: the root) into a sorted array of
 * the entries that can match.  The directory is closed before returning,
 * so a deep tree costs memory, not descriptors.
 */
static int lb_walk_read(struct lb_walk *w, size_t dlen, struct lb_ent **out,
                        size_t *nout)
{
	struct lb_ent *v = NULL, *nv;
	size_t n = 0, cap = 0, nlen, klen;
	struct dirent *de;
	DIR *d;
	int fd, rc = KEEL_OK, is_dir;

	w->key[dlen] = '\0';
	fd = lb_open_dirfd(w->s, w->key);
	if (fd < 0) {
		/* Gone, or an object where the prefix wants a directory. */
		if (errno == ENOENT || errno == ENOTDIR)
			return KEEL_OK;
		return lb_fail(w->err, errno, "list", w->key, "open directory");
	}
	d = fdopendir(fd);
	if (d == NULL) {
		rc = lb_fail(w->err, errno, "list", w->key, "open directory");
		close(fd);
		return rc;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		nlen = strlen(de->d_name);
		klen = dlen + (dlen > 0) + nlen;
		if (klen > LB_KEY_MAX)
			continue; /* not a key this driver could have made */
		is_dir = lb_ent_type(fd, de);
		if (is_dir < 0)
			continue;
		if (!is_dir &&
		    strncmp(de->d_name, LB_TMP_PREFIX, LB_TMP_PREFIX_LEN) == 0)
			continue; /* a put in flight, or a crash's leftover */
		if (dlen > 0)
			w->key[dlen] = '/';
		memcpy(w->key + dlen + (dlen > 0), de->d_name, nlen + 1);
		if (!lb_walk_wanted(w, klen, is_dir))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL)
				goto out_nomem;
			v = nv;
		}
		v[n].name = strdup(de->d_name);
		if (v[n].name == NULL)
			goto out_nomem;
		v[n++].is_dir = is_dir;
	}
	if (errno != 0) {
		w->key[dlen] = '\0';
		rc = lb_fail(w->err, errno, "list", w->key, "read directory");
		goto out_free_ents;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), lb_ent_cmp);
	*out = v;
	*nout = n;
	return KEEL_OK;

out_nomem:
	rc = keel_err_set(w->err, KEEL_ENOMEM, "out of memory");
out_free_ents:
	closedir(d);
	lb_ents_free(v, n);
	return rc;
}

/* Walk directory w->key (dlen bytes).  Returns <0 on error, 0 to go on,
 * 1 when the callback asked to stop. */
static int lb_walk_dir(struct lb_walk *w, size_t dlen)
{
	struct keel_blob_stat bst;
	struct lb_ent *v = NULL;
	struct stat st;
	size_t n = 0, i, klen;
	int rc;

	rc = lb_walk_read(w, dlen, &v, &n);
	if (rc != KEEL_OK)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if (dlen > 0)
			w->key[dlen] = '/';
		klen = dlen + (dlen > 0) + strlen(v[i].name);
		memcpy(w->key + dlen + (dlen > 0), v[i].name,
		       strlen(v[i].name) + 1);
		if (v[i].is_dir) {
			rc = lb_walk_dir(w, klen);
			continue;
		}
		if (fstatat(w->s->rootfd, w->key, &st, 0) != 0 ||
		    !S_ISREG(st.st_mode))
			continue; /* deleted since the directory was read */
		lb_stat_fill(&st, &bst);
		rc = w->fn(w->arg, w->key, &bst);
		if (rc < 0)
			keel_err_set(w->err, rc,
			             "list: callback aborted with %d at %.*s",
			             rc, LB_KEY_SHOW, w->key);
		else if (rc > 0)
			rc = 1;
	}
	lb_ents_free(v, n);
	return rc;
}

static int lb_list(void *self, const char *prefix, keel_blob_list_fn fn,
                   void *arg, struct keel_err *err)
{
	struct lb_store *s = self;
	struct lb_walk *w;
	const char *slash;
	size_t dlen;
	int rc;

	assert(s->magic == LB_MAGIC);
	if (prefix == NULL)
		prefix = "";
	rc = lb_prefix_check(prefix, err);
	if (rc != KEEL_OK)
		return rc;
	/* ~1 KiB of key buffer: keep it off the caller's stack. */
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	w->s = s;
	w->prefix = prefix;
	w->plen = strlen(prefix);
	w->fn = fn;
	w->arg = arg;
	w->err = err;
	/* Start in the deepest directory the prefix names in full. */
	slash = strrchr(prefix, '/');
	dlen = slash != NULL ? (size_t)(slash - prefix) : 0;
	memcpy(w->key, prefix, dlen);
	rc = lb_walk_dir(w, dlen);
	free(w);
	return rc > 0 ? KEEL_OK : rc;
}

/* ---------------------------------------------------------------------
 * uri
 * ------------------------------------------------------------------- */

/* "file://" + root + "/" + key.  The key is not percent-encoded: Flyte's
 * own local store writes file URIs the same way. */
static int lb_uri(void *self, const char *key, char *buf, size_t bufsz,
                  size_t *need, struct keel_err *err)
{
	struct lb_store *s = self;
	const char *sep;
	size_t rlen;
	int rc;

	assert(s->magic == LB_MAGIC);
	rc = lb_key_check("uri", key, err);
	if (rc != KEEL_OK)
		return rc;
	rlen = strlen(s->root);
	sep = s->root[rlen - 1] == '/' ? "" : "/";
	*need = strlen("file://") + rlen + strlen(sep) + strlen(key) + 1;
	if (bufsz < *need)
		return keel_err_set(err, KEEL_ERANGE,
		                    "uri %.*s: needs %zu bytes, buffer has %zu",
		                    LB_KEY_SHOW, key, *need, bufsz);
	snprintf(buf, bufsz, "file://%s%s%s", s->root, sep, key);
	return KEEL_OK;
}

/* ---------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------- */

static const struct keel_config_key lb_config[] = {
    {
        .name = "root",
        .type = KEEL_CFG_PATH,
        .def = "blobs",
        .help = "directory holding the objects; relative: under the data "
                "directory",
    },
    {
        .name = "fsync",
        .type = KEEL_CFG_BOOL,
        .def = "true",
        .help = "fsync each object and its directory before put returns",
    },
    {
        .name = "create_root",
        .type = KEEL_CFG_BOOL,
        .def = "true",
        .help = "create the root directory at start when it is missing",
    },
    {
        .name = "dir_mode",
        .type = KEEL_CFG_STR,
        .def = "0750",
        .help = "octal mode of directories the store creates",
    },
    {
        .name = "file_mode",
        .type = KEEL_CFG_STR,
        .def = "0640",
        .help = "octal mode of object files",
    },
    {.name = NULL},
};

static int lb_create(const struct keel_host *host, void *hctx, void **self,
                     struct keel_err *err)
{
	struct lb_store *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	s->magic = LB_MAGIC;
	s->host = host;
	s->hctx = hctx;
	s->rootfd = -1;
	atomic_init(&s->seq, 0);
	*self = s;
	return KEEL_OK;
}

static int lb_cfg_mode(struct lb_store *s, const struct keel_config *cfg,
                       const char *key, mode_t *out, struct keel_err *err)
{
	const char *v;
	char *end;
	unsigned long m;
	int rc;

	rc = s->host->cfg_str(cfg, key, &v);
	if (rc != KEEL_OK)
		return keel_err_set(err, rc, "config key %s: cannot read (%d)",
		                    key, rc);
	errno = 0;
	m = strtoul(v, &end, 8);
	if (v[0] < '0' || v[0] > '7' || *end != '\0' || errno != 0 || m > 07777)
		return keel_err_set(err, KEEL_EINVAL,
		                    "%s = \"%s\": want an octal mode such as "
		                    "0750",
		                    key, v);
	*out = (mode_t)m;
	return KEEL_OK;
}

static int lb_cfg_bool(struct lb_store *s, const struct keel_config *cfg,
                       const char *key, int *out, struct keel_err *err)
{
	int rc = s->host->cfg_bool(cfg, key, out);

	if (rc != KEEL_OK)
		return keel_err_set(err, rc, "config key %s: cannot read (%d)",
		                    key, rc);
	return KEEL_OK;
}

static int lb_configure(void *self, const struct keel_config *cfg,
                        struct keel_err *err)
{
	struct lb_store *s = self;
	const char *root, *base = "";
	size_t len, blen = 0;
	int rc;

	assert(s->magic == LB_MAGIC);
	rc = s->host->cfg_str(cfg, "root", &root);
	if (rc == KEEL_OK && root[0] == '\0')
		rc = KEEL_EINVAL;
	if (rc != KEEL_OK)
		return keel_err_set(err, rc,
		                    "config key root: missing or empty");
	if ((rc = lb_cfg_bool(s, cfg, "fsync", &s->fsync, err)) != KEEL_OK ||
	    (rc = lb_cfg_bool(s, cfg, "create_root", &s->create_root, err)) !=
	        KEEL_OK ||
	    (rc = lb_cfg_mode(s, cfg, "dir_mode", &s->dir_mode, err)) !=
	        KEEL_OK ||
	    (rc = lb_cfg_mode(s, cfg, "file_mode", &s->file_mode, err)) !=
	        KEEL_OK)
		return rc;

	/* The core resolves relative paths; uri() needs an absolute one
	 * whatever happens, so resolve here too if it did not. */
	if (root[0] != '/') {
		base = s->host->data_dir(s->hctx);
		blen = strlen(base);
	}
	len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	free(s->root);
	s->root = malloc(blen + 1 + len + 1);
	if (s->root == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	snprintf(s->root, blen + 1 + len + 1, "%s%s%.*s", base,
	         blen > 0 ? "/" : "", (int)len, root);
	return KEEL_OK;
}

/* mkdir -p of the (absolute) root, new directories with dir_mode. */
static int lb_mkdir_root(struct lb_store *s, struct keel_err *err)
{
	char *path, *p, c;
	int rc = KEEL_OK;

	path = strdup(s->root);
	if (path == NULL)
		return keel_err_set(err, KEEL_ENOMEM, "out of memory");
	for (p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(path, s->dir_mode) == 0) {
			if (chmod(path, s->dir_mode) != 0) {
				rc = lb_fail(err, errno, "root", path, "chmod");
				break;
			}
		} else if (errno != EEXIST) {
			rc = lb_fail(err, errno, "root", path, "mkdir");
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(path);
	return rc;
}

/* Create the root if asked to, then check it is a directory we can write:
 * create and remove a temporary file, which no access() check equals on
 * read-only mounts or with ACLs. */
static int lb_start(void *self, struct keel_err *err)
{
	struct lb_store *s = self;
	char tmp[LB_TMP_PREFIX_LEN + LB_TMP_RANDOM + 1];
	int rc, fd;

	assert(s->magic == LB_MAGIC);
	if (s->create_root) {
		rc = lb_mkdir_root(s, err);
		if (rc != KEEL_OK)
			return rc;
	}
	s->rootfd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		if (errno == ENOENT)
			return keel_err_set(err, KEEL_EPRECOND,
			                    "root %s does not exist and "
			                    "create_root is off",
			                    s->root);
		return lb_fail(err, errno, "root", s->root, "open directory");
	}
	fd = lb_tmp_create(s, s->rootfd, tmp);
	if (fd < 0)
		return lb_fail(err, errno, "root", s->root, "not writable");
	close(fd);
	unlinkat(s->rootfd, tmp, 0);
	s->host->log(s->hctx, KEEL_LOG_INFO, "objects under %s (fsync %s)",
	             s->root, s->fsync ? "on" : "off");
	return KEEL_OK;
}

static void lb_stop(void *self)
{
	struct lb_store *s = self;

	if (s->rootfd >= 0)
		close(s->rootfd);
	s->rootfd = -1;
}

static void lb_destroy(void *self)
{
	struct lb_store *s = self;

	if (s == NULL)
		return;
	assert(s->magic == LB_MAGIC);
	lb_stop(s);
	free(s->root);
	s->magic = 0;
	free(s);
}

static const struct keel_blob_ops lb_ops = {
    .scheme = "file",
    .put = lb_put,
    .get = lb_get,
    .head = lb_head,
    .del = lb_del,
    .list = lb_list,
    .uri = lb_uri,
    .sign_url = NULL, /* a local path cannot be handed out as a URL */
};

static const struct keel_plugin lb_plugin = {
    .magic = KEEL_PLUGIN_MAGIC,
    .abi_major = KEEL_ABI_MAJOR,
    .abi_minor = KEEL_ABI_MINOR,
    .size = sizeof(struct keel_plugin),
    .kind = KEEL_KIND_BLOB,
    .flags = KEEL_PLUGIN_F_THREADSAFE,
    .ops_size = sizeof(struct keel_blob_ops),
    .config_key_size = sizeof(struct keel_config_key),
    .name = "local",
    .version = LB_VERSION,
    .description = "objects as files in a local directory, the embedded "
                   "default",
    .config = lb_config,
    .create = lb_create,
    .configure = lb_configure,
    .start = lb_start,
    .stop = lb_stop,
    .destroy = lb_destroy,
    .ops = &lb_ops,
};

KEEL_PLUGIN_DECLARE(lb_plugin)
