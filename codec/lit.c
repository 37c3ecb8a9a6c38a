/*
 * lit.c -- Flyte literals as text and as LiteralMap files (see lit.h).
 *
 * The text forms follow flyteplugins' container argument templating
 * (pluginmachinery/core/template: serializeLiteral and friends), which
 * formats with Go's fmt "%v"; the comments below say where Keel departs
 * from it and why.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lit.h"

#define LIT_CHUNK     (64 * 1024)
#define LIT_ALIGN     16
#define LIT_MAX_FILE  ((off_t)1 << 30) /* a LiteralMap file larger is refused */
#define LIT_MAX_DEPTH 64               /* nesting rendered by lit_text */
#define LIT_MAX_DUR_S INT64_C(315576000000) /* google.protobuf.Duration's range */

/* ---- arena ---------------------------------------------------------- */

struct lit_chunk {
	struct lit_chunk *next;
	size_t cap, used;
	unsigned char data[];
};

struct lit_arena {
	ProtobufCAllocator alloc; /* allocator_data points back here */
	struct lit_chunk *head;   /* the chunk being filled, then older ones */
};

static struct lit_chunk *lit_chunk_new(size_t cap)
{
	struct lit_chunk *c;

	if (cap > SIZE_MAX - sizeof *c)
		return NULL;
	c = malloc(sizeof *c + cap);
	if (!c)
		return NULL;
	c->next = NULL;
	c->cap = cap;
	c->used = 0;
	return c;
}

/* Room for n bytes at a 16-byte boundary in c, or NULL. */
static void *lit_chunk_take(struct lit_chunk *c, size_t n)
{
	uintptr_t base = (uintptr_t)c->data, at = base + c->used;
	size_t off;

	at = (at + LIT_ALIGN - 1) & ~(uintptr_t)(LIT_ALIGN - 1);
	off = (size_t)(at - base);
	if (off > c->cap || c->cap - off < n)
		return NULL;
	c->used = off + n;
	return c->data + off;
}

static void *lit_arena_alloc(void *data, size_t n)
{
	struct lit_arena *a = data;
	struct lit_chunk *c;
	void *p;

	if (n == 0)
		n = 1;
	if (a->head && (p = lit_chunk_take(a->head, n)))
		return p;
	if (n > SIZE_MAX - LIT_ALIGN)
		return NULL;
	if (n + LIT_ALIGN > LIT_CHUNK / 4) {
		/* A big block gets a chunk of its own, behind the current one,
		 * so that the free room there is not given up. */
		c = lit_chunk_new(n + LIT_ALIGN);
		if (!c)
			return NULL;
		if (a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			a->head = c;
		}
		return lit_chunk_take(c, n);
	}
	c = lit_chunk_new(LIT_CHUNK);
	if (!c)
		return NULL;
	c->next = a->head;
	a->head = c;
	return lit_chunk_take(c, n);
}

static void lit_arena_nofree(void *data, void *p)
{
	(void)data;
	(void)p;
}

struct lit_arena *lit_arena_new(void)
{
	struct lit_arena *a = calloc(1, sizeof *a);

	if (!a)
		return NULL;
	a->alloc.alloc = lit_arena_alloc;
	a->alloc.free = lit_arena_nofree;
	a->alloc.allocator_data = a;
	return a;
}

ProtobufCAllocator *lit_arena_allocator(struct lit_arena *a)
{
	return &a->alloc;
}

void lit_arena_free(struct lit_arena *a)
{
	struct lit_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/* malloc/free, or the allocator's. */
static void *lit_alloc(ProtobufCAllocator *alloc, size_t n)
{
	if (!alloc)
		return malloc(n ? n : 1);
	return alloc->alloc(alloc->allocator_data, n ? n : 1);
}

static void lit_free(ProtobufCAllocator *alloc, void *p)
{
	if (!p)
		return;
	if (!alloc)
		free(p);
	else
		alloc->free(alloc->allocator_data, p);
}

static char *lit_strdup(ProtobufCAllocator *alloc, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = lit_alloc(alloc, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---- files ---------------------------------------------------------- */

static int lit_read_file(const char *path, int missing_ok, uint8_t **out,
                         size_t *len, int *missing, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t have = 0;
	ssize_t n;
	int fd, rc = -1;

	*out = NULL;
	*len = 0;
	*missing = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && missing_ok) {
			*missing = 1;
			return 0;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > LIT_MAX_FILE) {
		snprintf(err, errlen, "%s: too large (%lld bytes, at most %lld)",
		         path, (long long)st.st_size, (long long)LIT_MAX_FILE);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	/* Read what fstat promised; a file that grows meanwhile is cut. */
	while (have < (size_t)st.st_size) {
		n = read(fd, buf + have, (size_t)st.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	*out = buf;
	*len = have;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

int lit_map_read(const char *path, int missing_ok, ProtobufCAllocator *alloc,
                 Flyteidl__Core__LiteralMap **out, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int missing = 0;
	Flyteidl__Core__LiteralMap *m;

	*out = NULL;
	if (lit_read_file(path, missing_ok, &buf, &len, &missing, err,
	                  errlen) < 0)
		return -1;
	if (missing) {
		m = lit_alloc(alloc, sizeof *m);
		if (!m) {
			snprintf(err, errlen, "%s: out of memory", path);
			return -1;
		}
		flyteidl__core__literal_map__init(m);
		*out = m;
		return 0;
	}
	m = flyteidl__core__literal_map__unpack(alloc, len, buf);
	free(buf);
	if (!m) {
		snprintf(err, errlen,
		         "%s: not a serialized flyteidl.core.LiteralMap", path);
		return -1;
	}
	*out = m;
	return 0;
}

static int lit_write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int lit_map_write(const char *path, const Flyteidl__Core__LiteralMap *m,
                  char *err, size_t errlen)
{
	char *tmp = NULL, *dir = NULL, *slash;
	uint8_t *buf = NULL;
	size_t n, plen = strlen(path);
	int fd = -1, dfd, rc = -1;

	n = flyteidl__core__literal_map__get_packed_size(m);
	buf = malloc(n ? n : 1);
	tmp = malloc(plen + sizeof ".tmp.XXXXXX");
	dir = malloc(plen + 2);
	if (!buf || !tmp || !dir) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	flyteidl__core__literal_map__pack(m, buf);
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
	/* The directory, to make the rename durable. */
	memcpy(dir, path, plen + 1);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file: %s",
		         path, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || lit_write_all(fd, buf, n) < 0 ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: cannot rename %s: %s", path, tmp,
		         strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		/* Some file systems refuse fsync on a directory (EINVAL):
		 * the data is written, so only a real I/O error counts. */
		if (fsync(dfd) < 0 && errno == EIO) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			close(dfd);
			goto out;
		}
		close(dfd);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp && tmp[0])
		unlink(tmp);
	free(tmp);
	free(dir);
	free(buf);
	return rc;
}

/* ---- map access ----------------------------------------------------- */

const Flyteidl__Core__Literal *lit_map_get(const Flyteidl__Core__LiteralMap *m,
                                           const char *name)
{
	const Flyteidl__Core__Literal *found = NULL;
	size_t i;

	if (!m)
		return NULL;
	/* The last of equal keys wins, as when protobuf decodes a map. */
	for (i = 0; i < m->n_literals; i++)
		if (m->literals[i] && m->literals[i]->key &&
		    strcmp(m->literals[i]->key, name) == 0)
			found = m->literals[i]->value;
	return found;
}

int lit_map_set(ProtobufCAllocator *alloc, Flyteidl__Core__LiteralMap *m,
                const char *name, Flyteidl__Core__Literal *l)
{
	Flyteidl__Core__LiteralMap__LiteralsEntry *e, **arr;
	Flyteidl__Core__Literal *old;
	size_t i, hits = 0;

	for (i = 0; i < m->n_literals; i++) {
		e = m->literals[i];
		if (!e || !e->key || strcmp(e->key, name) != 0)
			continue;
		old = e->value;
		e->value = l;
		if (!alloc && old && old != l)
			protobuf_c_message_free_unpacked(&old->base, NULL);
		hits++;
	}
	if (hits)
		return 0;
	if (m->n_literals >= SIZE_MAX / sizeof *arr - 1)
		return -1;
	e = lit_alloc(alloc, sizeof *e);
	arr = lit_alloc(alloc, (m->n_literals + 1) * sizeof *arr);
	if (!e || !arr)
		goto fail;
	flyteidl__core__literal_map__literals_entry__init(e);
	e->key = lit_strdup(alloc, name);
	if (!e->key)
		goto fail;
	e->value = l;
	if (m->n_literals)
		memcpy(arr, m->literals, m->n_literals * sizeof *arr);
	arr[m->n_literals] = e;
	lit_free(alloc, m->literals);
	m->literals = arr;
	m->n_literals++;
	return 0;
fail:
	if (e && e->key != protobuf_c_empty_string)
		lit_free(alloc, e->key);
	lit_free(alloc, e);
	lit_free(alloc, arr);
	return -1;
}

/* ---- text out ------------------------------------------------------- */

/* Text written into a caller's buffer, counting what did not fit. */
struct lit_out {
	char *buf;
	size_t cap;
	size_t len;
};

static void lo_put(struct lit_out *o, const char *s, size_t n)
{
	if (o->cap && o->len < o->cap - 1) {
		size_t room = o->cap - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void lo_str(struct lit_out *o, const char *s)
{
	lo_put(o, s, strlen(s));
}

static void lo_fmt(struct lit_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void lo_fmt(struct lit_out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		lo_put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/*
 * A float64 as Go's fmt "%v" prints it (strconv 'g' with the shortest
 * precision): the fewest significant digits that read back the same,
 * in exponent form ("1e+06", "1e-05", two exponent digits at least) when
 * the decimal exponent is below -4 or 6 and above, else plain ("0.1",
 * "123456"); "+Inf", "-Inf", "NaN"; negative zero as "-0".
 */
static void lit_float_go(double v, char *out, size_t cap)
{
	char e[40], digits[24];
	int prec, exp10, nd = 0, i, neg;
	char *p, *q;
	size_t w = 0;

	if (isnan(v)) {
		snprintf(out, cap, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, cap, "%sInf", v < 0 ? "-" : "+");
		return;
	}
	/* Shortest round trip: the first precision that reads back equal. */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof e, "%.*e", prec - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	/* e is [-]d[.ddd]e(+|-)xx */
	p = e;
	neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < (int)sizeof digits - 1)
			digits[nd++] = *p;
	exp10 = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';

	q = out;
#define LIT_PUTC(c)                                                           \
	do {                                                                  \
		if (w + 1 < cap)                                              \
			q[w++] = (c);                                         \
	} while (0)
	if (neg)
		LIT_PUTC('-');
	if (exp10 < -4 || exp10 >= 6) {
		LIT_PUTC(digits[0]);
		if (nd > 1) {
			LIT_PUTC('.');
			for (i = 1; i < nd; i++)
				LIT_PUTC(digits[i]);
		}
		LIT_PUTC('e');
		LIT_PUTC(exp10 < 0 ? '-' : '+');
		if (exp10 < 0)
			exp10 = -exp10;
		if (exp10 < 10)
			LIT_PUTC('0');
		snprintf(e, sizeof e, "%d", exp10);
		for (i = 0; e[i]; i++)
			LIT_PUTC(e[i]);
	} else if (exp10 < 0) {
		LIT_PUTC('0');
		LIT_PUTC('.');
		for (i = -1; i > exp10; i--)
			LIT_PUTC('0');
		for (i = 0; i < nd; i++)
			LIT_PUTC(digits[i]);
	} else {
		for (i = 0; i <= exp10; i++)
			LIT_PUTC(i < nd ? digits[i] : '0');
		if (nd > exp10 + 1) {
			LIT_PUTC('.');
			for (i = exp10 + 1; i < nd; i++)
				LIT_PUTC(digits[i]);
		}
	}
#undef LIT_PUTC
	if (cap)
		q[w < cap ? w : cap - 1] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (the usual era-of-400-years arithmetic). */
static int64_t lit_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void lit_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, as protobuf requires. */
#define LIT_TS_MIN INT64_C(-62135596800)
#define LIT_TS_MAX INT64_C(253402300799)

/* Go's time.RFC3339Nano of the UTC time (what ptypes.TimestampString
 * gives): the fraction without trailing zeros, none when whole. */
static int lit_ts_text(const Google__Protobuf__Timestamp *ts,
                       struct lit_out *o, char *err, size_t errlen)
{
	int64_t s = ts->seconds, days, y;
	int mo, d, sod, n;
	char frac[16];

	if (s < LIT_TS_MIN || s > LIT_TS_MAX || ts->nanos < 0 ||
	    ts->nanos > 999999999) {
		snprintf(err, errlen,
		         "datetime out of range (seconds %" PRId64 ", nanos %d)",
		         s, (int)ts->nanos);
		return -1;
	}
	days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	sod = (int)(s - days * 86400);
	lit_civil_from_days(days, &y, &mo, &d);
	lo_fmt(o, "%04d-%02d-%02dT%02d:%02d:%02d", (int)y, mo, d, sod / 3600,
	       sod / 60 % 60, sod % 60);
	if (ts->nanos) {
		snprintf(frac, sizeof frac, "%09d", (int)ts->nanos);
		for (n = 9; frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
		lo_put(o, ".", 1);
		lo_str(o, frac);
	}
	lo_put(o, "Z", 1);
	return 0;
}

/* The fraction digits of v / unit without trailing zeros ("5" for 1500 /
 * 1000), after a '.', or nothing. */
static void lit_dur_frac(struct lit_out *o, uint64_t v, int width)
{
	char frac[24];
	int n;

	if (!v)
		return;
	snprintf(frac, sizeof frac, "%0*" PRIu64, width, v);
	for (n = width; n > 0 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	lo_put(o, ".", 1);
	lo_str(o, frac);
}

/*
 * A duration as Go's time.Duration.String() writes it: "1h2m3.5s",
 * "1m0s", "0s", and below a second "1.5ms", "1.5µs", "12ns".  Go's
 * Duration stops at about 292 years; the same form is kept here up to
 * protobuf's 10000 years.
 */
static int lit_dur_text(const Google__Protobuf__Duration *du,
                        struct lit_out *o, char *err, size_t errlen)
{
	int64_t s = du->seconds;
	int32_t ns = du->nanos;
	uint64_t us, uns, h, m, sec;

	if (s < -LIT_MAX_DUR_S || s > LIT_MAX_DUR_S || ns <= -1000000000 ||
	    ns >= 1000000000 || (s > 0 && ns < 0) || (s < 0 && ns > 0)) {
		snprintf(err, errlen,
		         "invalid duration (seconds %" PRId64 ", nanos %d)", s,
		         (int)ns);
		return -1;
	}
	if (s < 0 || ns < 0)
		lo_put(o, "-", 1);
	us = (uint64_t)(s < 0 ? -s : s);
	uns = (uint64_t)(ns < 0 ? -(int64_t)ns : ns);
	if (us == 0) {
		if (uns == 0)
			lo_str(o, "0s");
		else if (uns < 1000)
			lo_fmt(o, "%" PRIu64 "ns", uns);
		else if (uns < 1000000) {
			lo_fmt(o, "%" PRIu64, uns / 1000);
			lit_dur_frac(o, uns % 1000, 3);
			lo_str(o, "\xc2\xb5s"); /* U+00B5, as Go */
		} else {
			lo_fmt(o, "%" PRIu64, uns / 1000000);
			lit_dur_frac(o, uns % 1000000, 6);
			lo_str(o, "ms");
		}
		return 0;
	}
	h = us / 3600;
	m = us / 60 % 60;
	sec = us % 60;
	if (h)
		lo_fmt(o, "%" PRIu64 "h", h);
	if (h || m)
		lo_fmt(o, "%" PRIu64 "m", m);
	lo_fmt(o, "%" PRIu64, sec);
	lit_dur_frac(o, uns, 9);
	lo_put(o, "s", 1);
	return 0;
}

static int lit_text_at(const Flyteidl__Core__Literal *l, struct lit_out *o,
                       int depth, char *err, size_t errlen);

static int lit_primitive_text(const Flyteidl__Core__Primitive *p,
                              struct lit_out *o, char *err, size_t errlen)
{
	char num[48];

	switch (p->value_case) {
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER:
		lo_fmt(o, "%" PRId64, p->integer);
		return 0;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE:
		lit_float_go(p->float_value, num, sizeof num);
		lo_str(o, num);
		return 0;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE:
		lo_str(o, p->string_value ? p->string_value : "");
		return 0;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN:
		lo_str(o, p->boolean ? "true" : "false");
		return 0;
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME:
		if (!p->datetime) {
			snprintf(err, errlen, "datetime without a value");
			return -1;
		}
		return lit_ts_text(p->datetime, o, err, errlen);
	case FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION:
		if (!p->duration) {
			snprintf(err, errlen, "duration without a value");
			return -1;
		}
		return lit_dur_text(p->duration, o, err, errlen);
	default:
		snprintf(err, errlen, "a primitive without a value (case %d)",
		         (int)p->value_case);
		return -1;
	}
}

static const char *lit_scalar_kind(Flyteidl__Core__Scalar__ValueCase c)
{
	switch (c) {
	case FLYTEIDL__CORE__SCALAR__VALUE_BINARY:
		return "binary";
	case FLYTEIDL__CORE__SCALAR__VALUE_ERROR:
		return "error";
	case FLYTEIDL__CORE__SCALAR__VALUE_GENERIC:
		return "generic (struct)";
	default:
		return "empty";
	}
}

static int lit_scalar_text(const Flyteidl__Core__Scalar *s, struct lit_out *o,
                           int depth, char *err, size_t errlen)
{
	switch (s->value_case) {
	case FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE:
		if (!s->primitive)
			break;
		return lit_primitive_text(s->primitive, o, err, errlen);
	case FLYTEIDL__CORE__SCALAR__VALUE_BLOB:
		if (!s->blob)
			break;
		lo_str(o, s->blob->uri ? s->blob->uri : "");
		return 0;
	case FLYTEIDL__CORE__SCALAR__VALUE_SCHEMA:
		if (!s->schema)
			break;
		lo_str(o, s->schema->uri ? s->schema->uri : "");
		return 0;
	/* Flyte refuses the next three; Keel renders them: a structured
	 * dataset is a URI like a schema, none is nothing, and a union (an
	 * Optional input) is the value it holds. */
	case FLYTEIDL__CORE__SCALAR__VALUE_STRUCTURED_DATASET:
		if (!s->structured_dataset)
			break;
		lo_str(o, s->structured_dataset->uri ?
		          s->structured_dataset->uri : "");
		return 0;
	case FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE:
		return 0;
	case FLYTEIDL__CORE__SCALAR__VALUE_UNION:
		if (!s->union_ || !s->union_->value)
			break;
		return lit_text_at(s->union_->value, o, depth + 1, err, errlen);
	default:
		break;
	}
	snprintf(err, errlen, "cannot render a %s scalar as text",
	         lit_scalar_kind(s->value_case));
	return -1;
}

static int lit_entry_cmp(const void *a, const void *b)
{
	const Flyteidl__Core__LiteralMap__LiteralsEntry *x =
	    *(const Flyteidl__Core__LiteralMap__LiteralsEntry *const *)a;
	const Flyteidl__Core__LiteralMap__LiteralsEntry *y =
	    *(const Flyteidl__Core__LiteralMap__LiteralsEntry *const *)b;

	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

static int lit_text_at(const Flyteidl__Core__Literal *l, struct lit_out *o,
                       int depth, char *err, size_t errlen)
{
	const Flyteidl__Core__LiteralMap__LiteralsEntry **sorted;
	size_t i, n;
	int rc = 0;

	if (depth > LIT_MAX_DEPTH) {
		snprintf(err, errlen, "literal nested deeper than %d levels",
		         LIT_MAX_DEPTH);
		return -1;
	}
	switch (l->value_case) {
	case FLYTEIDL__CORE__LITERAL__VALUE_SCALAR:
		if (!l->scalar)
			break;
		return lit_scalar_text(l->scalar, o, depth, err, errlen);
	case FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION:
		if (!l->collection)
			break;
		lo_put(o, "[", 1);
		for (i = 0; i < l->collection->n_literals; i++) {
			if (i)
				lo_put(o, ",", 1);
			if (lit_text_at(l->collection->literals[i], o,
			                depth + 1, err, errlen) < 0)
				return -1;
		}
		lo_put(o, "]", 1);
		return 0;
	case FLYTEIDL__CORE__LITERAL__VALUE_MAP:
		/* Flyte refuses maps; Keel writes {key:value,...} in key
		 * order, so that the text does not depend on the file. */
		if (!l->map)
			break;
		n = l->map->n_literals;
		sorted = malloc((n ? n : 1) * sizeof *sorted);
		if (!sorted) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (i = 0; i < n; i++)
			sorted[i] = l->map->literals[i];
		qsort(sorted, n, sizeof *sorted, lit_entry_cmp);
		lo_put(o, "{", 1);
		for (i = 0; i < n && rc == 0; i++) {
			if (i)
				lo_put(o, ",", 1);
			lo_str(o, sorted[i]->key ? sorted[i]->key : "");
			lo_put(o, ":", 1);
			if (!sorted[i]->value) {
				snprintf(err, errlen, "map entry %s without a value",
				         sorted[i]->key ? sorted[i]->key : "");
				rc = -1;
				break;
			}
			rc = lit_text_at(sorted[i]->value, o, depth + 1, err,
			                 errlen);
		}
		free(sorted);
		if (rc < 0)
			return -1;
		lo_put(o, "}", 1);
		return 0;
	case FLYTEIDL__CORE__LITERAL__VALUE_OFFLOADED_METADATA:
		snprintf(err, errlen,
		         "cannot render an offloaded literal (%s) as text",
		         l->offloaded_metadata && l->offloaded_metadata->uri ?
		             l->offloaded_metadata->uri : "no uri");
		return -1;
	default:
		break;
	}
	snprintf(err, errlen, "cannot render an empty literal as text");
	return -1;
}

int lit_text(const Flyteidl__Core__Literal *l, char *buf, size_t bufsz,
             char *err, size_t errlen)
{
	struct lit_out o = { buf, bufsz, 0 };

	if (bufsz)
		buf[0] = '\0';
	if (!l) {
		snprintf(err, errlen, "no literal");
		return -1;
	}
	if (lit_text_at(l, &o, 0, err, errlen) < 0) {
		if (bufsz)
			buf[0] = '\0';
		return -1;
	}
	if (bufsz)
		buf[o.len < bufsz ? o.len : bufsz - 1] = '\0';
	if (o.len > INT_MAX) {
		snprintf(err, errlen, "literal text too long (%zu bytes)",
		         o.len);
		return -1;
	}
	return (int)o.len;
}

char *lit_text_dup(const Flyteidl__Core__Literal *l, char *err, size_t errlen)
{
	char *buf;
	int n = lit_text(l, NULL, 0, err, errlen);

	if (n < 0)
		return NULL;
	buf = malloc((size_t)n + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (lit_text(l, buf, (size_t)n + 1, err, errlen) != n) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- text in -------------------------------------------------------- */

/* Text as it is shown in messages: quoted, cut when long. */
static const char *lit_show(const char *text, char *buf, size_t cap)
{
	size_t n = strlen(text);

	if (n + 3 <= cap)
		snprintf(buf, cap, "'%s'", text);
	else
		snprintf(buf, cap, "'%.*s...'", (int)(cap > 8 ? cap - 8 : 0),
		         text);
	return buf;
}

/* A copy of text without ASCII white space at either end (a value
 * from $(...) or a file keeps its newline), in buf or malloc'd. */
static char *lit_trim(const char *text)
{
	const char *b = text, *e = text + strlen(text);
	char *d;

	while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	                 e[-1] == '\r'))
		e--;
	d = malloc((size_t)(e - b) + 1);
	if (d) {
		memcpy(d, b, (size_t)(e - b));
		d[e - b] = '\0';
	}
	return d;
}

static int lit_parse_int(const char *t, int64_t *v)
{
	const char *p = t;
	char *end;
	long long x;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	x = strtoll(t, &end, 10);
	if (*end)
		return -1;
	if (errno == ERANGE)
		return -2;
	*v = x;
	return 0;
}

static int lit_parse_float(const char *t, double *v)
{
	char *end;
	double x;

	if (!*t || *t == ' ')
		return -1;
	errno = 0;
	x = strtod(t, &end);
	if (*end)
		return -1;
	if (errno == ERANGE && isinf(x))
		return -2;
	*v = x;
	return 0;
}

/* strconv.ParseBool's words. */
static int lit_parse_bool(const char *t, int *v)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE",
		                           "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE",
		                          "False" };
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcmp(t, yes[i]) == 0) {
			*v = 1;
			return 0;
		}
		if (strcmp(t, no[i]) == 0) {
			*v = 0;
			return 0;
		}
	}
	return -1;
}

static int lit_digits(const char **pp, int n, int *v)
{
	const char *p = *pp;
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*v = x;
	return 0;
}

/* RFC 3339 ("2024-01-02T03:04:05Z", "...05.25+02:00", 't' or ' ' for
 * 'T', 'z' for 'Z'), or a bare date for its midnight UTC. */
static int lit_parse_time(const char *t, int64_t *secs, int32_t *nanos)
{
	const char *p = t;
	int y, mo, d, h = 0, mi = 0, s = 0, oh, om, sign, n, mdays;
	int32_t ns = 0;
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		                   31 };

	if (lit_digits(&p, 4, &y) < 0 || *p++ != '-' ||
	    lit_digits(&p, 2, &mo) < 0 || *p++ != '-' ||
	    lit_digits(&p, 2, &d) < 0)
		return -1;
	if (mo < 1 || mo > 12 || y < 1)
		return -1;
	mdays = dim[mo - 1] + (mo == 2 && y % 4 == 0 &&
	                       (y % 100 != 0 || y % 400 == 0));
	if (d < 1 || d > mdays)
		return -1;
	if (*p == '\0') {
		*secs = lit_days_from_civil(y, mo, d) * 86400;
		*nanos = 0;
		return 0;
	}
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (lit_digits(&p, 2, &h) < 0 || *p++ != ':' ||
	    lit_digits(&p, 2, &mi) < 0 || *p++ != ':' ||
	    lit_digits(&p, 2, &s) < 0)
		return -1;
	if (h > 23 || mi > 59 || s > 59)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		/* Nanosecond resolution: digits beyond the ninth are cut. */
		for (n = 0; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 9)
				ns = ns * 10 + (*p - '0');
		for (; n < 9; n++)
			ns *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
		oh = om = 0;
		sign = 1;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (lit_digits(&p, 2, &oh) < 0 || *p++ != ':' ||
		    lit_digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	*secs = lit_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	        s - sign * (oh * 3600 + om * 60);
	*nanos = ns;
	if (*secs < LIT_TS_MIN || *secs > LIT_TS_MAX)
		return -2;
	return 0;
}

/*
 * Go's time.ParseDuration syntax ("1h30m", "1.5s", "-2m3.25s", "300ms",
 * "10us", "10µs"; "0" alone), or a number without a unit, in seconds
 * ("90", "1.5").  Nanosecond resolution: finer fractions are cut.
 */
static int lit_parse_dur(const char *t, int64_t *secs, int32_t *nanos)
{
	static const struct {
		const char *name;
		uint64_t ns;  /* below a second: nanoseconds */
		uint64_t sec; /* from a second on: seconds */
	} units[] = {
		{ "ns", 1, 0 },        { "us", 1000, 0 },
		{ "\xc2\xb5s", 1000, 0 }, { "\xce\xbcs", 1000, 0 },
		{ "ms", 1000000, 0 },  { "s", 0, 1 },
		{ "m", 0, 60 },        { "h", 0, 3600 },
	};
	const char *p = t;
	uint64_t s = 0, ns = 0, v, f, scale, p10;
	int neg = 0, any, fd, k, ncomp = 0;
	size_t i, ulen, best;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return -1;
	while (*p) {
		v = 0;
		f = 0;
		scale = 1;
		any = 0;
		fd = 0;
		for (; *p >= '0' && *p <= '9'; p++, any = 1) {
			if (v > (UINT64_MAX - 9) / 10)
				return -2;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		if (*p == '.') {
			p++;
			for (; *p >= '0' && *p <= '9'; p++, any = 1) {
				if (fd < 9) {
					f = f * 10 + (uint64_t)(*p - '0');
					scale *= 10;
					fd++;
				}
			}
		}
		if (!any)
			return -1;
		ncomp++;
		/* The longest unit name that matches ("ms" before "m"). */
		best = sizeof units / sizeof units[0];
		ulen = 0;
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t l = strlen(units[i].name);

			if (strncmp(p, units[i].name, l) == 0 && l > ulen) {
				best = i;
				ulen = l;
			}
		}
		if (best == sizeof units / sizeof units[0]) {
			/* No unit: seconds, when the number is all there is. */
			if (*p || ncomp > 1)
				return -1;
			best = 5; /* "s" */
		}
		p += ulen;
		if (units[best].sec) {
			if (v > (uint64_t)LIT_MAX_DUR_S * 2 / units[best].sec)
				return -2;
			s += v * units[best].sec;
			/* f / scale of the unit, in nanoseconds: scale
			 * divides 10^9, so f * 10^9 / scale is exact. */
			for (p10 = 1, k = fd; k < 9; k++)
				p10 *= 10;
			ns += f * p10 * units[best].sec;
		} else {
			if (v > UINT64_MAX / units[best].ns / 2)
				return -2;
			ns += v * units[best].ns + f * units[best].ns / scale;
		}
		s += ns / 1000000000;
		ns %= 1000000000;
		if (s > (uint64_t)LIT_MAX_DUR_S)
			return -2;
	}
	*secs = neg ? -(int64_t)s : (int64_t)s;
	*nanos = neg ? -(int32_t)ns : (int32_t)ns;
	return 0;
}

static const char *lit_simple_name(Flyteidl__Core__SimpleType s)
{
	switch (s) {
	case FLYTEIDL__CORE__SIMPLE_TYPE__NONE:
		return "none";
	case FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER:
		return "integer";
	case FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT:
		return "float";
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRING:
		return "string";
	case FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN:
		return "boolean";
	case FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME:
		return "datetime";
	case FLYTEIDL__CORE__SIMPLE_TYPE__DURATION:
		return "duration";
	case FLYTEIDL__CORE__SIMPLE_TYPE__BINARY:
		return "binary";
	case FLYTEIDL__CORE__SIMPLE_TYPE__ERROR:
		return "error";
	case FLYTEIDL__CORE__SIMPLE_TYPE__STRUCT:
		return "struct";
	default:
		return "unknown simple type";
	}
}

static const char *lit_type_kind(const Flyteidl__Core__LiteralType *t)
{
	switch (t->type_case) {
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE:
		return lit_simple_name(t->simple);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SCHEMA:
		return "schema";
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_COLLECTION_TYPE:
		return "collection";
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_MAP_VALUE_TYPE:
		return "map";
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB:
		return "blob";
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE:
		return "enum";
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_STRUCTURED_DATASET_TYPE:
		return "structured dataset";
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE:
		return "union";
	default:
		return "untyped";
	}
}

/* A deep copy of a message through alloc (pack, then unpack). */
static ProtobufCMessage *lit_copy_msg(ProtobufCAllocator *alloc,
                                      const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	ProtobufCMessage *c;

	if (!buf)
		return NULL;
	protobuf_c_message_pack(m, buf);
	c = protobuf_c_message_unpack(m->descriptor, alloc, n, buf);
	free(buf);
	return c;
}

/* A literal holding a scalar, the scalar zeroed; NULL without memory. */
static Flyteidl__Core__Literal *lit_new_scalar(ProtobufCAllocator *alloc,
                                               Flyteidl__Core__Scalar **sp)
{
	Flyteidl__Core__Literal *l = lit_alloc(alloc, sizeof *l);
	Flyteidl__Core__Scalar *s = lit_alloc(alloc, sizeof *s);

	if (!l || !s) {
		lit_free(alloc, l);
		lit_free(alloc, s);
		return NULL;
	}
	flyteidl__core__literal__init(l);
	flyteidl__core__scalar__init(s);
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	l->scalar = s;
	*sp = s;
	return l;
}

static Flyteidl__Core__Literal *lit_new_prim(ProtobufCAllocator *alloc,
                                             Flyteidl__Core__Primitive **pp)
{
	Flyteidl__Core__Scalar *s;
	Flyteidl__Core__Literal *l = lit_new_scalar(alloc, &s);
	Flyteidl__Core__Primitive *p;

	if (!l)
		return NULL;
	p = lit_alloc(alloc, sizeof *p);
	if (!p) {
		protobuf_c_message_free_unpacked(&l->base, alloc);
		return NULL;
	}
	flyteidl__core__primitive__init(p);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	s->primitive = p;
	*pp = p;
	return l;
}

static Flyteidl__Core__Literal *lit_new_none(ProtobufCAllocator *alloc)
{
	Flyteidl__Core__Scalar *s;
	Flyteidl__Core__Literal *l = lit_new_scalar(alloc, &s);
	Flyteidl__Core__Void *v;

	if (!l)
		return NULL;
	v = lit_alloc(alloc, sizeof *v);
	if (!v) {
		protobuf_c_message_free_unpacked(&l->base, alloc);
		return NULL;
	}
	flyteidl__core__void__init(v);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
	s->none_type = v;
	return l;
}

static int lit_is_none_word(const char *t)
{
	return !*t || strcmp(t, "none") == 0 || strcmp(t, "None") == 0 ||
	       strcmp(t, "null") == 0;
}

static int lit_is_none_type(const Flyteidl__Core__LiteralType *t)
{
	return t && t->type_case == FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE &&
	       t->simple == FLYTEIDL__CORE__SIMPLE_TYPE__NONE;
}

#define LIT_OOM(err, errlen) (snprintf((err), (errlen), "out of memory"), -1)

static int lit_parse_simple(ProtobufCAllocator *alloc,
                            Flyteidl__Core__SimpleType st, const char *text,
                            Flyteidl__Core__Literal **out, char *err,
                            size_t errlen)
{
	Flyteidl__Core__Literal *l = NULL;
	Flyteidl__Core__Primitive *p = NULL;
	char *t = NULL, show[96];
	int rc = -1, r, b;
	int64_t secs = 0, i64 = 0;
	int32_t nanos = 0;
	double f = 0;

	if (st == FLYTEIDL__CORE__SIMPLE_TYPE__STRING) {
		l = lit_new_prim(alloc, &p);
		if (!l || !(p->string_value = lit_strdup(alloc, text)))
			goto oom;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
		*out = l;
		return 0;
	}
	t = lit_trim(text);
	if (!t)
		goto oom;
	lit_show(t, show, sizeof show);
	switch (st) {
	case FLYTEIDL__CORE__SIMPLE_TYPE__NONE:
		if (!lit_is_none_word(t)) {
			snprintf(err, errlen,
			         "%s is not none (give '', none or null)",
			         show);
			goto out;
		}
		if (!(l = lit_new_none(alloc)))
			goto oom;
		break;
	case FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER:
		r = lit_parse_int(t, &i64);
		if (r < 0) {
			snprintf(err, errlen, r == -2 ?
			         "%s is out of the range of a 64-bit integer" :
			         "%s is not an integer", show);
			goto out;
		}
		if (!(l = lit_new_prim(alloc, &p)))
			goto oom;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
		p->integer = i64;
		break;
	case FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT:
		r = lit_parse_float(t, &f);
		if (r < 0) {
			snprintf(err, errlen, r == -2 ?
			         "%s is out of the range of a float" :
			         "%s is not a float", show);
			goto out;
		}
		if (!(l = lit_new_prim(alloc, &p)))
			goto oom;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
		p->float_value = f;
		break;
	case FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN:
		if (lit_parse_bool(t, &b) < 0) {
			snprintf(err, errlen,
			         "%s is not a boolean (true or false)", show);
			goto out;
		}
		if (!(l = lit_new_prim(alloc, &p)))
			goto oom;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
		p->boolean = b;
		break;
	case FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME:
		r = lit_parse_time(t, &secs, &nanos);
		if (r < 0) {
			snprintf(err, errlen, r == -2 ?
			         "%s is out of the range of a datetime "
			         "(years 0001 to 9999)" :
			         "%s is not a datetime (RFC 3339, as "
			         "2024-01-02T03:04:05Z)", show);
			goto out;
		}
		if (!(l = lit_new_prim(alloc, &p)))
			goto oom;
		p->datetime = lit_alloc(alloc, sizeof *p->datetime);
		if (!p->datetime)
			goto oom;
		google__protobuf__timestamp__init(p->datetime);
		p->datetime->seconds = secs;
		p->datetime->nanos = nanos;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
		break;
	case FLYTEIDL__CORE__SIMPLE_TYPE__DURATION:
		r = lit_parse_dur(t, &secs, &nanos);
		if (r < 0) {
			snprintf(err, errlen, r == -2 ?
			         "%s is out of the range of a duration "
			         "(10000 years)" :
			         "%s is not a duration (as 1h30m, 1.5s, 300ms "
			         "or a number of seconds)", show);
			goto out;
		}
		if (!(l = lit_new_prim(alloc, &p)))
			goto oom;
		p->duration = lit_alloc(alloc, sizeof *p->duration);
		if (!p->duration)
			goto oom;
		google__protobuf__duration__init(p->duration);
		p->duration->seconds = secs;
		p->duration->nanos = nanos;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION;
		break;
	default:
		snprintf(err, errlen, "cannot parse text as a %s",
		         lit_simple_name(st));
		goto out;
	}
	*out = l;
	l = NULL;
	rc = 0;
	goto out;
oom:
	rc = LIT_OOM(err, errlen);
out:
	if (l)
		protobuf_c_message_free_unpacked(&l->base, alloc);
	free(t);
	return rc;
}

static int lit_parse_at(ProtobufCAllocator *alloc,
                        const Flyteidl__Core__LiteralType *t, const char *text,
                        int depth, Flyteidl__Core__Literal **out, char *err,
                        size_t errlen);

static int lit_parse_union(ProtobufCAllocator *alloc,
                           const Flyteidl__Core__LiteralType *t,
                           const char *text, int depth,
                           Flyteidl__Core__Literal **out, char *err,
                           size_t errlen)
{
	const Flyteidl__Core__UnionType *u = t->union_type;
	const Flyteidl__Core__LiteralType *vt = NULL;
	Flyteidl__Core__Literal *v = NULL, *l = NULL;
	Flyteidl__Core__Scalar *s;
	Flyteidl__Core__Union *un;
	char *trimmed = NULL, first[256] = "";
	size_t i;
	int rc = -1;

	if (!u || u->n_variants == 0) {
		snprintf(err, errlen, "a union type without variants");
		return -1;
	}
	trimmed = lit_trim(text);
	if (!trimmed)
		return LIT_OOM(err, errlen);
	/* An optional value: none for the empty text, "none" or "null". */
	if (lit_is_none_word(trimmed)) {
		for (i = 0; i < u->n_variants; i++)
			if (lit_is_none_type(u->variants[i]))
				break;
		if (i < u->n_variants) {
			vt = u->variants[i];
			if (!(v = lit_new_none(alloc)))
				goto oom;
		}
	}
	/* Else the first other variant that takes the text. */
	for (i = 0; !v && i < u->n_variants; i++) {
		if (!u->variants[i] || lit_is_none_type(u->variants[i]))
			continue;
		if (lit_parse_at(alloc, u->variants[i], text, depth + 1, &v,
		                 first[0] ? err : first,
		                 first[0] ? errlen : sizeof first) == 0)
			vt = u->variants[i];
		else
			v = NULL;
	}
	if (!v) {
		snprintf(err, errlen, "%s", first[0] ? first :
		         "no variant of the union takes the text");
		goto out;
	}
	l = lit_new_scalar(alloc, &s);
	un = l ? lit_alloc(alloc, sizeof *un) : NULL;
	if (!un)
		goto oom;
	flyteidl__core__union__init(un);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
	s->union_ = un;
	un->value = v;
	v = NULL;
	/* The variant's type (its structure tag included) goes with the
	 * value, as flytekit writes an Optional. */
	un->type = (Flyteidl__Core__LiteralType *)lit_copy_msg(alloc,
	                                                       &vt->base);
	if (!un->type)
		goto oom;
	*out = l;
	l = NULL;
	rc = 0;
	goto out;
oom:
	rc = LIT_OOM(err, errlen);
out:
	if (v)
		protobuf_c_message_free_unpacked(&v->base, alloc);
	if (l)
		protobuf_c_message_free_unpacked(&l->base, alloc);
	free(trimmed);
	return rc;
}

static int lit_parse_at(ProtobufCAllocator *alloc,
                        const Flyteidl__Core__LiteralType *t, const char *text,
                        int depth, Flyteidl__Core__Literal **out, char *err,
                        size_t errlen)
{
	Flyteidl__Core__Literal *l = NULL;
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Scalar *s;
	Flyteidl__Core__Blob *b;
	char show[96];
	size_t i;

	*out = NULL;
	if (!t) {
		snprintf(err, errlen, "no type to parse %s as",
		         lit_show(text, show, sizeof show));
		return -1;
	}
	if (depth > LIT_MAX_DEPTH) {
		snprintf(err, errlen, "type nested deeper than %d levels",
		         LIT_MAX_DEPTH);
		return -1;
	}
	switch (t->type_case) {
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE:
		return lit_parse_simple(alloc, t->simple, text, out, err,
		                        errlen);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_UNION_TYPE:
		return lit_parse_union(alloc, t, text, depth, out, err, errlen);
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_ENUM_TYPE:
		if (!t->enum_type)
			break;
		for (i = 0; i < t->enum_type->n_values; i++)
			if (strcmp(t->enum_type->values[i], text) == 0)
				break;
		if (i == t->enum_type->n_values) {
			size_t k, w;

			w = (size_t)snprintf(err, errlen,
			                     "%s is not one of the enum's values:",
			                     lit_show(text, show, sizeof show));
			for (k = 0; k < t->enum_type->n_values && w < errlen;
			     k++)
				w += (size_t)snprintf(err + w, errlen - w, "%s %s",
				                      k ? "," : "",
				                      t->enum_type->values[k]);
			return -1;
		}
		l = lit_new_prim(alloc, &p);
		if (!l || !(p->string_value = lit_strdup(alloc, text)))
			goto oom;
		p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
		*out = l;
		return 0;
	case FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB:
		if (!*text) {
			snprintf(err, errlen, "a blob needs a URI or path, not ''");
			return -1;
		}
		l = lit_new_scalar(alloc, &s);
		b = l ? lit_alloc(alloc, sizeof *b) : NULL;
		if (!b)
			goto oom;
		flyteidl__core__blob__init(b);
		s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BLOB;
		s->blob = b;
		if (!(b->uri = lit_strdup(alloc, text)))
			goto oom;
		b->metadata = lit_alloc(alloc, sizeof *b->metadata);
		if (!b->metadata)
			goto oom;
		flyteidl__core__blob_metadata__init(b->metadata);
		if (t->blob) {
			b->metadata->type = (Flyteidl__Core__BlobType *)
			    lit_copy_msg(alloc, &t->blob->base);
			if (!b->metadata->type)
				goto oom;
		}
		*out = l;
		return 0;
	default:
		break;
	}
	snprintf(err, errlen, "cannot parse text as a %s", lit_type_kind(t));
	return -1;
oom:
	if (l)
		protobuf_c_message_free_unpacked(&l->base, alloc);
	return LIT_OOM(err, errlen);
}

int lit_parse(ProtobufCAllocator *alloc, const Flyteidl__Core__LiteralType *t,
              const char *text, Flyteidl__Core__Literal **out, char *err,
              size_t errlen)
{
	return lit_parse_at(alloc, t, text ? text : "", 0, out, err, errlen);
}

/* ---- named types ---------------------------------------------------- */

#define LIT_SIMPLE(name, st)                                                  \
	static const Flyteidl__Core__LiteralType name = {                     \
		PROTOBUF_C_MESSAGE_INIT(&flyteidl__core__literal_type__descriptor), \
		NULL, NULL, NULL, FLYTEIDL__CORE__LITERAL_TYPE__TYPE_SIMPLE,  \
		{ .simple = (st) }                                            \
	}
LIT_SIMPLE(lit_t_none, FLYTEIDL__CORE__SIMPLE_TYPE__NONE);
LIT_SIMPLE(lit_t_integer, FLYTEIDL__CORE__SIMPLE_TYPE__INTEGER);
LIT_SIMPLE(lit_t_float, FLYTEIDL__CORE__SIMPLE_TYPE__FLOAT);
LIT_SIMPLE(lit_t_string, FLYTEIDL__CORE__SIMPLE_TYPE__STRING);
LIT_SIMPLE(lit_t_boolean, FLYTEIDL__CORE__SIMPLE_TYPE__BOOLEAN);
LIT_SIMPLE(lit_t_datetime, FLYTEIDL__CORE__SIMPLE_TYPE__DATETIME);
LIT_SIMPLE(lit_t_duration, FLYTEIDL__CORE__SIMPLE_TYPE__DURATION);
#undef LIT_SIMPLE

static const Flyteidl__Core__BlobType lit_bt_single = {
	PROTOBUF_C_MESSAGE_INIT(&flyteidl__core__blob_type__descriptor),
	(char *)"", FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__SINGLE
};
static const Flyteidl__Core__BlobType lit_bt_multi = {
	PROTOBUF_C_MESSAGE_INIT(&flyteidl__core__blob_type__descriptor),
	(char *)"", FLYTEIDL__CORE__BLOB_TYPE__BLOB_DIMENSIONALITY__MULTIPART
};
static const Flyteidl__Core__LiteralType lit_t_file = {
	PROTOBUF_C_MESSAGE_INIT(&flyteidl__core__literal_type__descriptor),
	NULL, NULL, NULL, FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB,
	{ .blob = (Flyteidl__Core__BlobType *)&lit_bt_single }
};
static const Flyteidl__Core__LiteralType lit_t_directory = {
	PROTOBUF_C_MESSAGE_INIT(&flyteidl__core__literal_type__descriptor),
	NULL, NULL, NULL, FLYTEIDL__CORE__LITERAL_TYPE__TYPE_BLOB,
	{ .blob = (Flyteidl__Core__BlobType *)&lit_bt_multi }
};

const Flyteidl__Core__LiteralType *lit_type_named(const char *word)
{
	static const struct {
		const char *word;
		const Flyteidl__Core__LiteralType *t;
	} names[] = {
		{ "integer", &lit_t_integer },   { "int", &lit_t_integer },
		{ "float", &lit_t_float },       { "string", &lit_t_string },
		{ "str", &lit_t_string },        { "boolean", &lit_t_boolean },
		{ "bool", &lit_t_boolean },      { "datetime", &lit_t_datetime },
		{ "duration", &lit_t_duration }, { "none", &lit_t_none },
		{ "file", &lit_t_file },         { "directory", &lit_t_directory },
	};
	size_t i;

	if (!word)
		return NULL;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(word, names[i].word) == 0)
			return names[i].t;
	return NULL;
}
