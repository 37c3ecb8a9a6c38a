/*
 * pbjson_roundtrip_test.c -- every registered message type through the
 * encoder and back through the decoder.  TAP.
 *
 * For each type a populated instance is built from the descriptor alone:
 * every scalar non-default, enums at a non-zero value, two elements per
 * repeated field, two entries with distinct keys per map, one member per
 * oneof (each member in turn, over as many variants as the largest oneof
 * has members), sub-messages down to a depth cap, valid well-known values
 * (Timestamp with nanos, Duration, Struct/Value/ListValue nesting, Any
 * packing a Project, a Timestamp or another Any).  Each variant is encoded
 * in four flavours ({proto names, lowerCamelCase} x {emit_defaults on,
 * off}, two of them indented; sorted keys would reorder maps), decoded
 * with and without options, packed, and compared byte for byte with the
 * original; the decoded message must also encode to the same JSON again.
 *
 * The plan is printed first and is the registry size plus the fixed
 * checks, so a type that goes missing (or a crash) fails the run.
 * PBJSON_RT_QUICK=1 keeps only two flavours (for slow runs under
 * valgrind); every type is still covered.  PBJSON_RT_DUMP=<full name>
 * prints that type's JSON (diagnostics).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "pbjson.h"

#define DEPTH_CAP 4
#define N_CHECKS  4 /* the fixed checks besides one per type */

/* Non-ASCII text: 2-, 3- and 4-byte sequences, quotes, escapes. */
static const char text[] = "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e "
                           "\"q\" \\ \t/\x01";

static int quick;
static const char *dump;

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static void *at(ProtobufCMessage *m, unsigned off)
{
	return (char *)m + off;
}

static int is(const ProtobufCMessageDescriptor *d, const char *name)
{
	return strcmp(d->name, name) == 0;
}

static ProtobufCMessage *new_msg(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = xmalloc(d->sizeof_message);

	protobuf_c_message_init(d, m);
	return m;
}

static void fill(ProtobufCMessage *m, int depth, unsigned variant);

/* A scalar value of f's type, varied by i (element or key index). */
static void scalar(const ProtobufCFieldDescriptor *f, void *p, unsigned i)
{
	int32_t i32 = -123456 - (int32_t)i;
	uint32_t u32 = 4000000000u + i;
	int64_t i64 = INT64_C(-9007199254740993) - (int64_t)i;
	uint64_t u64 = UINT64_MAX - i;
	float fl = i ? 3.4e38f : 0.1f;
	double db = i ? -2.5e-300 : 0.1;
	protobuf_c_boolean b = 1;
	ProtobufCBinaryData *bd;
	unsigned k;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		memcpy(p, &i32, 4);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		memcpy(p, &u32, 4);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		memcpy(p, &i64, 8);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		memcpy(p, &u64, 8);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		memcpy(p, &fl, 4);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		memcpy(p, &db, 8);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		memcpy(p, &b, sizeof b);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *ed = f->descriptor;
		int32_t v = 0;

		/* a non-zero value, another one for the second element */
		for (k = ed->n_values; k-- > 0;)
			if (ed->values[k].value != 0) {
				v = ed->values[k].value;
				if (i-- == 0)
					break;
			}
		memcpy(p, &v, 4);
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		char buf[64];

		snprintf(buf, sizeof buf, "%s%u", text, i);
		*(char **)p = xstrdup(buf);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES:
		bd = p;
		bd->len = i ? 3 : 256;
		bd->data = xmalloc(bd->len);
		for (k = 0; k < bd->len; k++)
			bd->data[k] = (uint8_t)(k + i);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		break;
	}
}

/* A map key of f's type, distinct per i. */
static void map_key(const ProtobufCFieldDescriptor *kf, void *p, unsigned i)
{
	protobuf_c_boolean b = i == 0;
	char buf[16];

	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING:
		snprintf(buf, sizeof buf, i ? "k%u" : "k\xc3\xa9%u", i);
		*(char **)p = xstrdup(buf);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		memcpy(p, &b, sizeof b);
		break;
	default:
		scalar(kf, p, i);
	}
}

/* A sub-message for f, or NULL at the depth cap. */
static ProtobufCMessage *sub_msg(const ProtobufCFieldDescriptor *f, int depth,
                                 unsigned variant)
{
	ProtobufCMessage *s;

	if (depth >= DEPTH_CAP)
		return NULL;
	s = new_msg(f->descriptor);
	fill(s, depth + 1, variant);
	return s;
}

/* One value of f into p; 0 when nothing could be made (depth cap). */
static int value(const ProtobufCFieldDescriptor *f, void *p, int depth,
                 unsigned variant, unsigned i)
{
	if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
		scalar(f, p, i);
		return 1;
	}
	*(ProtobufCMessage **)p = sub_msg(f, depth, variant + i);
	return *(ProtobufCMessage **)p != NULL;
}

static void fill_repeated(ProtobufCMessage *m,
                          const ProtobufCFieldDescriptor *f, int depth,
                          unsigned variant)
{
	size_t *np = at(m, f->quantifier_offset), sz = pbjson_elem_size(f->type);
	char *arr = xmalloc(2 * sz);
	unsigned i;

	*(void **)at(m, f->offset) = arr;
	*np = 0;
	if (pbjson_is_map(f)) {
		const ProtobufCMessageDescriptor *ed = f->descriptor;

		if (depth >= DEPTH_CAP)
			return;
		for (i = 0; i < 2; i++) {
			ProtobufCMessage *e = new_msg(ed);

			((ProtobufCMessage **)arr)[(*np)++] = e;
			map_key(&ed->fields[0], at(e, ed->fields[0].offset), i);
			/* map values are always written: a message value
			 * must exist */
			if (!value(&ed->fields[1], at(e, ed->fields[1].offset),
			           depth + 1, variant, i)) {
				(*np)--;
				protobuf_c_message_free_unpacked(e, NULL);
				return;
			}
		}
		return;
	}
	for (i = 0; i < 2; i++) {
		if (!value(f, arr + *np * sz, depth, variant, i))
			return;
		(*np)++;
	}
}

/* Members of the oneof sharing f's case field. */
static unsigned oneof_size(const ProtobufCMessageDescriptor *d,
                           const ProtobufCFieldDescriptor *f, unsigned *index)
{
	unsigned i, n = 0;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *g = &d->fields[i];

		if ((g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    g->quantifier_offset == f->quantifier_offset) {
			if (g == f && index)
				*index = n;
			n++;
		}
	}
	return n;
}

static unsigned max_oneof(const ProtobufCMessageDescriptor *d)
{
	unsigned i, n, max = 1;

	for (i = 0; i < d->n_fields; i++)
		if (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			n = oneof_size(d, &d->fields[i], NULL);
			if (n > max)
				max = n;
		}
	return max;
}

/* A Timestamp, Duration or Any, valid for the JSON mapping. */
static int fill_wkt(ProtobufCMessage *m, int depth, unsigned variant)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	int64_t s;
	int32_t ns;

	if (is(d, "google.protobuf.Timestamp")) {
		s = INT64_C(1714564800) + variant;
		ns = 123456789;
		memcpy(at(m, d->fields[0].offset), &s, 8);
		memcpy(at(m, d->fields[1].offset), &ns, 4);
		return 1;
	}
	if (is(d, "google.protobuf.Duration")) {
		s = variant % 2 ? -3723 : 3723;
		ns = variant % 2 ? -500000000 : 1000;
		memcpy(at(m, d->fields[0].offset), &s, 8);
		memcpy(at(m, d->fields[1].offset), &ns, 4);
		return 1;
	}
	if (is(d, "google.protobuf.Any")) {
		/* a Project, a Timestamp (a "value" form), an Any in an Any */
		static const char *const types[] = {"flyteidl.admin.Project",
		                                    "google.protobuf.Timestamp",
		                                    "google.protobuf.Any"};
		const char *t = types[variant % 3];
		const ProtobufCMessageDescriptor *td = pbjson_find_type(t);
		ProtobufCBinaryData *v = at(m, d->fields[1].offset);
		ProtobufCMessage *in;
		char url[128];

		if (!td || (variant % 3 == 2 && depth >= DEPTH_CAP))
			td = pbjson_find_type(types[0]), t = types[0];
		in = new_msg(td);
		fill(in, depth + 1, variant % 3 == 2 ? 0 : variant);
		snprintf(url, sizeof url, "type.googleapis.com/%s", t);
		*(char **)at(m, d->fields[0].offset) = xstrdup(url);
		v->len = protobuf_c_message_get_packed_size(in);
		v->data = xmalloc(v->len);
		protobuf_c_message_pack(in, v->data);
		protobuf_c_message_free_unpacked(in, NULL);
		return 1;
	}
	return 0;
}

static void fill(ProtobufCMessage *m, int depth, unsigned variant)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned i;

	if (fill_wkt(m, depth, variant))
		return;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *p = at(m, f->offset);

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			fill_repeated(m, f, depth, variant);
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t *qc = at(m, f->quantifier_offset);
			unsigned idx = 0, n = oneof_size(d, f, &idx), k;

			if (*qc)
				continue;
			/* member variant % n; at the depth cap a
			 * non-message member instead of an empty message
			 * (which would read back as unset) */
			if (idx != variant % n)
				continue;
			if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    depth >= DEPTH_CAP) {
				for (k = 0; k < d->n_fields; k++) {
					const ProtobufCFieldDescriptor *g =
					    &d->fields[k];

					if ((g->flags &
					     PROTOBUF_C_FIELD_FLAG_ONEOF) &&
					    g->quantifier_offset ==
					        f->quantifier_offset &&
					    g->type != PROTOBUF_C_TYPE_MESSAGE)
						break;
				}
				if (k == d->n_fields)
					continue;
				f = &d->fields[k];
				p = at(m, f->offset);
			}
			if (value(f, p, depth, variant, 0))
				*qc = f->id;
			continue;
		}
		if (!value(f, p, depth, variant, 0))
			continue;
		if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		    f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			*(protobuf_c_boolean *)at(m, f->quantifier_offset) = 1;
	}
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *n)
{
	uint8_t *b;

	*n = protobuf_c_message_get_packed_size(m);
	b = xmalloc(*n);
	protobuf_c_message_pack(m, b);
	return b;
}

/* One type, one variant, every flavour: "" or what went wrong. */
static void roundtrip(const ProtobufCMessageDescriptor *d, unsigned variant,
                      char *why, size_t whylen)
{
	static const struct pbjson_opts flavours[4] = {
	    {PBJSON_JSON, 0, 0, 0, NULL},
	    {PBJSON_JSON, 1, 1, 0, "  "},
	    {PBJSON_JSON, 1, 0, 0, NULL},
	    {PBJSON_JSON, 0, 1, 0, "\t"},
	};
	static const struct pbjson_read_opts ropts = {1, 200};
	ProtobufCMessage *m = new_msg(d), *back = NULL;
	uint8_t *want, *got;
	size_t nwant, ngot, fl, len, len2, r;
	char *json = NULL, *json2, err[256];

	fill(m, 0, variant);
	want = pack(m, &nwant);
	for (fl = 0; fl < (quick ? 2u : 4u) && !*why; fl++) {
		json = pbjson_encode(m, &flavours[fl], &len);
		if (!json) {
			snprintf(why, whylen,
			         "variant %u flavour %zu: encode: %s", variant,
			         fl, strerror(errno));
			break;
		}
		if (dump && strcmp(dump, d->name) == 0)
			tap_diag("variant %u flavour %zu: %s", variant, fl,
			         json);
		for (r = 0; r < 2 && !*why; r++) {
			if (pbjson_decode(d, json, len, r ? &ropts : NULL, NULL,
			                  &back, err, sizeof err) < 0) {
				snprintf(why, whylen,
				         "variant %u flavour %zu: decode: %s",
				         variant, fl, err);
				tap_diag("%s", json);
				break;
			}
			got = pack(back, &ngot);
			if (ngot != nwant || memcmp(got, want, ngot) != 0) {
				snprintf(why, whylen,
				         "variant %u flavour %zu: %zu bytes "
				         "packed back, want %zu",
				         variant, fl, ngot, nwant);
				tap_diag("%s", json);
			}
			free(got);
			json2 = pbjson_encode(back, &flavours[fl], &len2);
			if (!*why && (!json2 || len2 != len ||
			              memcmp(json, json2, len) != 0)) {
				snprintf(why, whylen,
				         "variant %u flavour %zu: JSON differs "
				         "after the round trip",
				         variant, fl);
				tap_diag("%s", json);
				tap_diag("%s", json2 ? json2 : "(null)");
			}
			free(json2);
			protobuf_c_message_free_unpacked(back, NULL);
		}
		free(json);
	}
	free(want);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* Every message type a registered one refers to is registered too. */
static int closed_registry(char *why, size_t whylen)
{
	size_t i, n = pbjson_type_count();
	unsigned k;

	for (i = 0; i < n; i++) {
		const ProtobufCMessageDescriptor *d = pbjson_type_at(i);

		if (i && strcmp(pbjson_type_at(i - 1)->name, d->name) >= 0) {
			snprintf(why, whylen, "not sorted at %s", d->name);
			return 0;
		}
		if (pbjson_find_type(d->name) != d) {
			snprintf(why, whylen, "%s not found by name", d->name);
			return 0;
		}
		for (k = 0; k < d->n_fields; k++) {
			const ProtobufCMessageDescriptor *s =
			    d->fields[k].descriptor;

			if (d->fields[k].type == PROTOBUF_C_TYPE_MESSAGE &&
			    pbjson_find_type(s->name) != s) {
				snprintf(why, whylen, "%s (used by %s) missing",
				         s->name, d->name);
				return 0;
			}
		}
	}
	return 1;
}

int main(void)
{
	size_t n = pbjson_type_count(), i;
	char why[512];
	clock_t t0 = clock();
	const char *q = getenv("PBJSON_RT_QUICK");

	quick = q && *q && strcmp(q, "0") != 0;
	dump = getenv("PBJSON_RT_DUMP");
	printf("1..%zu\n", n + N_CHECKS);
	tap_diag("%zu registered types%s", n,
	         quick ? ", quick: two flavours" : "");

	why[0] = '\0';
	TAP_OK(closed_registry(why, sizeof why),
	       "registry sorted, found by name, closed under fields%s%s",
	       *why ? ": " : "", why);
	TAP_OK(pbjson_find_type("keel.internal.v1.Request") &&
	           pbjson_find_type("google.protobuf.Any") &&
	           pbjson_find_type("google.protobuf.FileDescriptorSet") &&
	           pbjson_find_type("flyteidl.service.OAuth2MetadataResponse"),
	       "registry has the envelope, Any, descriptor.proto, services");
	TAP_OK(pbjson_find_type("type.googleapis.com/flyteidl.admin.Project") ==
	               pbjson_find_type("flyteidl.admin.Project") &&
	           pbjson_find_type("flyteidl.admin.Project") != NULL,
	       "type URLs are looked up by what follows the last '/'");
	TAP_OK(!pbjson_find_type("flyteidl.admin.NoSuch") &&
	           !pbjson_find_type("x/") && !pbjson_find_type("") &&
	           !pbjson_type_at(n),
	       "unknown names, empty names and past the end give NULL");

	for (i = 0; i < n; i++) {
		const ProtobufCMessageDescriptor *d = pbjson_type_at(i);
		unsigned v, nv = max_oneof(d);

		if (is(d, "google.protobuf.Any") && nv < 3)
			nv = 3;
		if (is(d, "google.protobuf.Duration") && nv < 2)
			nv = 2;
		/* every kind of Value at the top of the tree */
		if ((is(d, "google.protobuf.Struct") ||
		     is(d, "google.protobuf.ListValue")) &&
		    nv < 6)
			nv = 6;
		why[0] = '\0';
		for (v = 0; v < nv && !why[0]; v++)
			roundtrip(d, v, why, sizeof why);
		TAP_OK(!why[0], "%s (%u variant%s)%s%s", d->name, nv,
		       nv == 1 ? "" : "s", why[0] ? ": " : "", why);
	}
	tap_diag("%.2f s CPU", (double)(clock() - t0) / CLOCKS_PER_SEC);
	return tap_failed ? 1 : 0;
}
