/*
 * cli_tar.c -- a strict reader of tar images held in memory, for the
 * archives `pyflyte package` writes (Python's tarfile: GNU format before
 * 3.8, pax since).  Keel does not link libarchive.
 *
 * Accepted: 512-byte headers with the "ustar" magic (POSIX "ustar\0" +
 * "00", or GNU "ustar  \0"), a checksum that matches (unsigned, or the
 * historic signed sum), octal numbers or GNU base-256 sizes, POSIX
 * name prefixes, GNU 'L' long names ('K' long link names are read and
 * dropped), pax 'x' headers' "path" and "size" records ('g' global
 * headers are checked and ignored).  Regular files ('0', '\0', '7') are
 * returned; directories, links, devices and FIFOs are skipped.  The
 * archive must end with a zero block, and nothing but zeros may follow
 * it.  Anything else is an error naming the byte offset: a v7 header
 * without magic, a bad checksum, a truncated header or member, a GNU
 * sparse or multi-volume entry, a long name with no entry after it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_TAR_BLOCK    512
#define CLI_TAR_NAME_MAX 65536 /* bytes of a long name or pax header */

struct cli_tar_pending {
	char *name;    /* from 'L' or pax "path"; malloc'd */
	int have_size; /* pax "size" given */
	uint64_t size;
};

static int cli_tar_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* An octal field: optional leading spaces, digits, then NULs or spaces
 * only; or GNU base-256 (high bit of the first byte set, positive). */
static int cli_tar_num(const unsigned char *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	int digits = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1; /* negative, or too large for us */
		for (i = 1; i < n; i++) {
			if (v >> 56)
				return -1;
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v >> 60)
			return -1;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return -1;
	if (!digits)
		return -1;
	*out = v;
	return 0;
}

static int cli_tar_checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned long usum = 0;
	long ssum = 0;
	size_t i;

	if (cli_tar_num(h + 148, 8, &want) < 0)
		return 0;
	for (i = 0; i < CLI_TAR_BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];

		usum += c;
		ssum += (signed char)c;
	}
	return want == usum || (int64_t)want == ssum;
}

/* A NUL-padded field as a string. */
static size_t cli_tar_fieldlen(const unsigned char *f, size_t n)
{
	const unsigned char *z = memchr(f, '\0', n);

	return z ? (size_t)(z - f) : n;
}

/* The pax records of data[0..n): "LEN key=value\n", LEN counting the
 * whole record.  Keeps "path" and "size" in *pd when pd is set. */
static int cli_tar_pax(const unsigned char *data, size_t n,
                       struct cli_tar_pending *pd, size_t off, char *err,
                       size_t errlen)
{
	size_t i = 0;

	while (i < n) {
		size_t rec = 0, j = i, klen;
		const unsigned char *key, *eq, *val;

		while (j < n && data[j] >= '0' && data[j] <= '9' &&
		       rec < CLI_TAR_NAME_MAX)
			rec = rec * 10 + (size_t)(data[j++] - '0');
		if (j == i || j >= n || data[j] != ' ' || rec > n - i ||
		    rec < (j - i) + 4 || data[i + rec - 1] != '\n') {
			cli_errf(err, errlen,
			         "bad pax extended header record at offset "
			         "%zu",
			         off + i);
			return -1;
		}
		key = data + j + 1;
		eq = memchr(key, '=', (size_t)(data + i + rec - 1 - key));
		if (!eq || eq == key) {
			cli_errf(err, errlen,
			         "bad pax extended header record at offset "
			         "%zu: no key=value",
			         off + i);
			return -1;
		}
		klen = (size_t)(eq - key);
		val = eq + 1;
		if (pd && klen == 4 && memcmp(key, "path", 4) == 0) {
			size_t vlen = (size_t)(data + i + rec - 1 - val);

			if (vlen == 0 || memchr(val, '\0', vlen)) {
				cli_errf(err, errlen,
				         "bad pax path at offset %zu", off + i);
				return -1;
			}
			free(pd->name);
			pd->name = strndup((const char *)val, vlen);
			if (!pd->name) {
				cli_errf(err, errlen, "out of memory");
				return -1;
			}
		} else if (pd && klen == 4 && memcmp(key, "size", 4) == 0) {
			const unsigned char *q = val;
			uint64_t v = 0;

			for (; *q >= '0' && *q <= '9' && !(v >> 59); q++)
				v = v * 10 + (uint64_t)(*q - '0');
			if (q == val || *q != '\n') {
				cli_errf(err, errlen,
				         "bad pax size at offset %zu", off + i);
				return -1;
			}
			pd->have_size = 1;
			pd->size = v;
		}
		i += rec;
	}
	return 0;
}

/* "./a/b" -> "a/b" */
static const char *cli_tar_clean(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2 + strspn(s + 2, "/");
	return s;
}

static int cli_tar_push(struct cli_tar_member **v, size_t *n, size_t *cap,
                        char *name, const unsigned char *data, size_t len)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct cli_tar_member *nv = realloc(*v, nc * sizeof *nv);

		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n].name = name;
	(*v)[*n].data = data;
	(*v)[*n].len = len;
	(*n)++;
	return 0;
}

int cli_tar_parse(const unsigned char *buf, size_t len,
                  struct cli_tar_member **out, size_t *n, char *err,
                  size_t errlen)
{
	struct cli_tar_pending pd = {NULL, 0, 0};
	struct cli_tar_member *v = NULL;
	size_t nv = 0, cap = 0, off = 0;
	int ended = 0;

	*out = NULL;
	*n = 0;
	while (off < len) {
		const unsigned char *h = buf + off, *data;
		char type, *name = NULL;
		uint64_t size;
		size_t padded, hoff = off;

		if (len - off < CLI_TAR_BLOCK) {
			cli_errf(err, errlen,
			         "truncated tar header at offset %zu (%zu "
			         "bytes of 512)",
			         off, len - off);
			goto fail;
		}
		if (cli_tar_zero(h, CLI_TAR_BLOCK)) {
			if (!cli_tar_zero(h, len - off)) {
				cli_errf(err, errlen,
				         "data after the end-of-archive "
				         "block at offset %zu",
				         off);
				goto fail;
			}
			ended = 1;
			break;
		}
		if (memcmp(h + 257, "ustar", 5) != 0 ||
		    (h[262] != '\0' && h[262] != ' ')) {
			cli_errf(err, errlen,
			         "not a ustar/GNU/pax tar header at offset "
			         "%zu",
			         off);
			goto fail;
		}
		if (!cli_tar_checksum_ok(h)) {
			cli_errf(err, errlen,
			         "bad tar header checksum at offset %zu", off);
			goto fail;
		}
		if (cli_tar_num(h + 124, 12, &size) < 0) {
			cli_errf(err, errlen,
			         "bad size field in the tar header at offset "
			         "%zu",
			         off);
			goto fail;
		}
		type = (char)h[156];
		if (pd.have_size &&
		    (type == '0' || type == '\0' || type == '7'))
			size = pd.size;
		off += CLI_TAR_BLOCK;
		if (size > len - off) {
			cli_errf(err, errlen,
			         "truncated tar member at offset %zu: %llu "
			         "bytes of data, %zu left",
			         hoff, (unsigned long long)size, len - off);
			goto fail;
		}
		padded = ((size_t)size + CLI_TAR_BLOCK - 1) / CLI_TAR_BLOCK *
		         CLI_TAR_BLOCK;
		if (padded > len - off) {
			cli_errf(err, errlen,
			         "truncated tar member at offset %zu: its "
			         "last block is cut short",
			         hoff);
			goto fail;
		}
		data = buf + off;
		off += padded;

		switch (type) {
		case 'L': /* GNU long name of the next entry */
		case 'K': /* GNU long link name: not needed */
			if (size == 0 || size > CLI_TAR_NAME_MAX) {
				cli_errf(err, errlen,
				         "bad GNU long name at offset %zu",
				         hoff);
				goto fail;
			}
			if (type == 'K')
				continue;
			free(pd.name);
			pd.name = strndup((const char *)data,
			                  cli_tar_fieldlen(data, (size_t)size));
			if (!pd.name)
				goto nomem;
			if (!*pd.name) {
				cli_errf(err, errlen,
				         "empty GNU long name at offset %zu",
				         hoff);
				goto fail;
			}
			continue;
		case 'x':
		case 'g':
			if (size > CLI_TAR_NAME_MAX) {
				cli_errf(err, errlen,
				         "pax header at offset %zu is too "
				         "large",
				         hoff);
				goto fail;
			}
			if (cli_tar_pax(data, (size_t)size,
			                type == 'x' ? &pd : NULL,
			                hoff + CLI_TAR_BLOCK, err, errlen) < 0)
				goto fail;
			continue;
		case '0':
		case '\0':
		case '7':
			break;
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
			/* directories, links, devices, FIFOs: nothing to
			 * register */
			free(pd.name);
			pd.name = NULL;
			pd.have_size = 0;
			continue;
		default:
			cli_errf(err, errlen,
			         "unsupported tar entry type '%c' at offset "
			         "%zu",
			         type >= ' ' && type < 127 ? type : '?', hoff);
			goto fail;
		}

		if (pd.name) {
			name = pd.name;
			pd.name = NULL;
		} else {
			size_t nl = cli_tar_fieldlen(h, 100);
			size_t pl = h[262] == '\0'
			                ? cli_tar_fieldlen(h + 345, 155)
			                : 0; /* GNU keeps other things there */

			name = malloc(pl + 1 + nl + 1);
			if (!name)
				goto nomem;
			memcpy(name, h + 345, pl);
			if (pl)
				name[pl++] = '/';
			memcpy(name + pl, h, nl);
			name[pl + nl] = '\0';
		}
		pd.have_size = 0;
		if (!*cli_tar_clean(name)) {
			cli_errf(err, errlen,
			         "tar member without a name at offset %zu",
			         hoff);
			free(name);
			goto fail;
		}
		memmove(name, cli_tar_clean(name),
		        strlen(cli_tar_clean(name)) + 1);
		if (cli_tar_push(&v, &nv, &cap, name, data, (size_t)size) < 0) {
			free(name);
			goto nomem;
		}
	}
	if (!ended) {
		cli_errf(err, errlen,
		         "truncated tar archive: no end-of-archive block "
		         "after offset %zu",
		         off);
		goto fail;
	}
	if (pd.name || pd.have_size) {
		cli_errf(err, errlen,
		         "a long name or pax header at the end of the "
		         "archive has no entry");
		goto fail;
	}
	*out = v;
	*n = nv;
	return 0;
nomem:
	cli_errf(err, errlen, "out of memory");
fail:
	free(pd.name);
	cli_tar_free(v, nv);
	return -1;
}

void cli_tar_free(struct cli_tar_member *m, size_t n)
{
	size_t i;

	for (i = 0; m && i < n; i++)
		free(m[i].name);
	free(m);
}
