/*
 * leval_test.c -- bindings, attribute paths, branch conditions and DAG
 * readiness of the local executor's evaluator (leval.c).
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leval.h"
#include "pbjson.h"
#include "tap.h"

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

/* ---- a tiny arena: every block on a list, freed at the end ------------- */

union blk {
	union blk *next;
	max_align_t align;
};

static union blk *arena_head;

static void *ar_alloc(void *data, size_t n)
{
	union blk *b = malloc(sizeof *b + n);

	(void)data;
	if (!b)
		return NULL;
	b->next = arena_head;
	arena_head = b;
	return b + 1;
}

static void ar_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

static void arena_drop(void)
{
	while (arena_head) {
		union blk *n = arena_head->next;

		free(arena_head);
		arena_head = n;
	}
}

static ProtobufCAllocator A = {ar_alloc, ar_free, NULL};

static void *z(size_t n)
{
	void *p = ar_alloc(NULL, n);

	if (!p)
		abort();
	memset(p, 0, n);
	return p;
}

/* ---- literal builders -------------------------------------------------- */

static Flyteidl__Core__Scalar *sc_prim(Flyteidl__Core__Primitive **pp)
{
	Flyteidl__Core__Scalar *s = z(sizeof *s);
	Flyteidl__Core__Primitive *p = z(sizeof *p);

	flyteidl__core__scalar__init(s);
	flyteidl__core__primitive__init(p);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	s->primitive = p;
	*pp = p;
	return s;
}

static Flyteidl__Core__Literal *lit_of(Flyteidl__Core__Scalar *s)
{
	Flyteidl__Core__Literal *l = z(sizeof *l);

	flyteidl__core__literal__init(l);
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	l->scalar = s;
	return l;
}

static Flyteidl__Core__Scalar *sc_int(int64_t v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Scalar *s = sc_prim(&p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
	p->integer = v;
	return s;
}

static Flyteidl__Core__Scalar *sc_float(double v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Scalar *s = sc_prim(&p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
	p->float_value = v;
	return s;
}

static Flyteidl__Core__Scalar *sc_str(const char *v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Scalar *s = sc_prim(&p);
	char *c = z(strlen(v) + 1);

	memcpy(c, v, strlen(v) + 1);
	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
	p->string_value = c;
	return s;
}

static Flyteidl__Core__Scalar *sc_bool(int v)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Scalar *s = sc_prim(&p);

	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
	p->boolean = v;
	return s;
}

static Flyteidl__Core__Scalar *sc_datetime(int64_t sec, int32_t nanos)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Scalar *s = sc_prim(&p);
	Google__Protobuf__Timestamp *t = z(sizeof *t);

	google__protobuf__timestamp__init(t);
	t->seconds = sec;
	t->nanos = nanos;
	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
	p->datetime = t;
	return s;
}

static Flyteidl__Core__Scalar *sc_duration(int64_t sec, int32_t nanos)
{
	Flyteidl__Core__Primitive *p;
	Flyteidl__Core__Scalar *s = sc_prim(&p);
	Google__Protobuf__Duration *d = z(sizeof *d);

	google__protobuf__duration__init(d);
	d->seconds = sec;
	d->nanos = nanos;
	p->value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION;
	p->duration = d;
	return s;
}

static Flyteidl__Core__Scalar *sc_none(void)
{
	Flyteidl__Core__Scalar *s = z(sizeof *s);
	Flyteidl__Core__Void *v = z(sizeof *v);

	flyteidl__core__scalar__init(s);
	flyteidl__core__void__init(v);
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE;
	s->none_type = v;
	return s;
}

static Flyteidl__Core__Scalar *sc_union(Flyteidl__Core__Literal *inner)
{
	Flyteidl__Core__Scalar *s = z(sizeof *s);
	Flyteidl__Core__Union *u = z(sizeof *u);

	flyteidl__core__scalar__init(s);
	flyteidl__core__union__init(u);
	u->value = inner;
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_UNION;
	s->union_ = u;
	return s;
}

static Flyteidl__Core__Scalar *sc_binary(const void *data, size_t len,
                                         const char *tag)
{
	Flyteidl__Core__Scalar *s = z(sizeof *s);
	Flyteidl__Core__Binary *b = z(sizeof *b);

	flyteidl__core__scalar__init(s);
	flyteidl__core__binary__init(b);
	b->value.data = (uint8_t *)data;
	b->value.len = len;
	b->tag = (char *)tag;
	s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_BINARY;
	s->binary = b;
	return s;
}

static Flyteidl__Core__Literal *l_int(int64_t v)
{
	return lit_of(sc_int(v));
}
static Flyteidl__Core__Literal *l_str(const char *v)
{
	return lit_of(sc_str(v));
}

static Flyteidl__Core__Literal *l_coll(size_t n, Flyteidl__Core__Literal **ls)
{
	Flyteidl__Core__Literal *l = z(sizeof *l);
	Flyteidl__Core__LiteralCollection *c = z(sizeof *c);

	flyteidl__core__literal__init(l);
	flyteidl__core__literal_collection__init(c);
	c->n_literals = n;
	c->literals = z(n * sizeof *c->literals);
	memcpy(c->literals, ls, n * sizeof *ls);
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION;
	l->collection = c;
	return l;
}

static Flyteidl__Core__Literal *l_map(size_t n, const char **keys,
                                      Flyteidl__Core__Literal **ls)
{
	Flyteidl__Core__Literal *l = z(sizeof *l);
	Flyteidl__Core__LiteralMap *m = z(sizeof *m);
	size_t i;

	flyteidl__core__literal__init(l);
	flyteidl__core__literal_map__init(m);
	m->n_literals = n;
	m->literals = z(n * sizeof *m->literals);
	for (i = 0; i < n; i++) {
		m->literals[i] = z(sizeof *m->literals[i]);
		flyteidl__core__literal_map__literals_entry__init(
		    m->literals[i]);
		m->literals[i]->key = (char *)keys[i];
		m->literals[i]->value = ls[i];
	}
	l->value_case = FLYTEIDL__CORE__LITERAL__VALUE_MAP;
	l->map = m;
	return l;
}

static const Flyteidl__Core__Literal *
map_val(const Flyteidl__Core__LiteralMap *m, const char *key)
{
	size_t i;

	for (i = 0; m && i < m->n_literals; i++)
		if (strcmp(m->literals[i]->key, key) == 0)
			return m->literals[i]->value;
	return NULL;
}

static int64_t int_of(const Flyteidl__Core__Literal *l)
{
	if (!l || l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_SCALAR ||
	    l->scalar->value_case != FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE ||
	    l->scalar->primitive->value_case !=
	        FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER)
		return -999999;
	return l->scalar->primitive->integer;
}

static const Flyteidl__Core__Primitive *
prim_of(const Flyteidl__Core__Literal *l)
{
	if (!l || l->value_case != FLYTEIDL__CORE__LITERAL__VALUE_SCALAR ||
	    l->scalar->value_case != FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE)
		return NULL;
	return l->scalar->primitive;
}

/* ---- binding builders -------------------------------------------------- */

static Flyteidl__Core__BindingData *bd_scalar(Flyteidl__Core__Scalar *s)
{
	Flyteidl__Core__BindingData *bd = z(sizeof *bd);

	flyteidl__core__binding_data__init(bd);
	bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_SCALAR;
	bd->scalar = s;
	return bd;
}

static Flyteidl__Core__BindingData *
bd_promise(const char *node, const char *var, size_t npath,
           Flyteidl__Core__PromiseAttribute **path)
{
	Flyteidl__Core__BindingData *bd = z(sizeof *bd);
	Flyteidl__Core__OutputReference *r = z(sizeof *r);

	flyteidl__core__binding_data__init(bd);
	flyteidl__core__output_reference__init(r);
	r->node_id = (char *)node;
	r->var = (char *)var;
	r->n_attr_path = npath;
	r->attr_path = path;
	bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_PROMISE;
	bd->promise = r;
	return bd;
}

static Flyteidl__Core__BindingData *bd_coll(size_t n,
                                            Flyteidl__Core__BindingData **v)
{
	Flyteidl__Core__BindingData *bd = z(sizeof *bd);
	Flyteidl__Core__BindingDataCollection *c = z(sizeof *c);

	flyteidl__core__binding_data__init(bd);
	flyteidl__core__binding_data_collection__init(c);
	c->n_bindings = n;
	c->bindings = z(n * sizeof *v);
	memcpy(c->bindings, v, n * sizeof *v);
	bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_COLLECTION;
	bd->collection = c;
	return bd;
}

static Flyteidl__Core__BindingData *bd_map(size_t n, const char **keys,
                                           Flyteidl__Core__BindingData **v)
{
	Flyteidl__Core__BindingData *bd = z(sizeof *bd);
	Flyteidl__Core__BindingDataMap *m = z(sizeof *m);
	size_t i;

	flyteidl__core__binding_data__init(bd);
	flyteidl__core__binding_data_map__init(m);
	m->n_bindings = n;
	m->bindings = z(n * sizeof *m->bindings);
	for (i = 0; i < n; i++) {
		m->bindings[i] = z(sizeof *m->bindings[i]);
		flyteidl__core__binding_data_map__bindings_entry__init(
		    m->bindings[i]);
		m->bindings[i]->key = (char *)keys[i];
		m->bindings[i]->value = v[i];
	}
	bd->value_case = FLYTEIDL__CORE__BINDING_DATA__VALUE_MAP;
	bd->map = m;
	return bd;
}

static Flyteidl__Core__Binding *binding(const char *var,
                                        Flyteidl__Core__BindingData *bd)
{
	Flyteidl__Core__Binding *b = z(sizeof *b);

	flyteidl__core__binding__init(b);
	b->var = (char *)var;
	b->binding = bd;
	return b;
}

static Flyteidl__Core__PromiseAttribute *pa_str(const char *s)
{
	Flyteidl__Core__PromiseAttribute *a = z(sizeof *a);

	flyteidl__core__promise_attribute__init(a);
	a->value_case = FLYTEIDL__CORE__PROMISE_ATTRIBUTE__VALUE_STRING_VALUE;
	a->string_value = (char *)s;
	return a;
}

static Flyteidl__Core__PromiseAttribute *pa_int(int32_t i)
{
	Flyteidl__Core__PromiseAttribute *a = z(sizeof *a);

	flyteidl__core__promise_attribute__init(a);
	a->value_case = FLYTEIDL__CORE__PROMISE_ATTRIBUTE__VALUE_INT_VALUE;
	a->int_value = i;
	return a;
}

/* ---- the upstream outputs the lookups see ------------------------------ */

struct out {
	const char *node, *var;
	const Flyteidl__Core__Literal *l;
};

static struct out outs[16];
static size_t nouts;

static void put_out(const char *node, const char *var,
                    const Flyteidl__Core__Literal *l)
{
	outs[nouts].node = node;
	outs[nouts].var = var;
	outs[nouts].l = l;
	nouts++;
}

static const Flyteidl__Core__Literal *lookup(void *arg, const char *node,
                                             const char *var)
{
	size_t i;

	(void)arg;
	for (i = 0; i < nouts; i++)
		if (strcmp(outs[i].node, node) == 0 &&
		    strcmp(outs[i].var, var) == 0)
			return outs[i].l;
	return NULL;
}

/* ---- bindings ---------------------------------------------------------- */

static Flyteidl__Core__Literal *up_x, *up_o0, *up_list, *up_map;

static void setup_outputs(void)
{
	Flyteidl__Core__Literal *items[3];
	const char *keys[2] = {"a", "b"};
	Flyteidl__Core__Literal *vals[2];

	nouts = 0;
	up_x = l_int(7);
	up_o0 = l_str("hello");
	items[0] = l_int(10);
	items[1] = l_int(11);
	items[2] = l_int(12);
	up_list = l_coll(3, items);
	vals[0] = l_int(1);
	vals[1] = up_list;
	up_map = l_map(2, keys, vals);
	put_out(LEVAL_START_NODE, "x", up_x);
	put_out("n0", "o0", up_o0);
	put_out("n0", "list", up_list);
	put_out("n1", "m", up_map);
}

static void test_bindings(void)
{
	Flyteidl__Core__LiteralMap *m = NULL;
	Flyteidl__Core__Literal *l = NULL;
	Flyteidl__Core__Binding *bs[8];
	Flyteidl__Core__BindingData *inner[4], *deep[2];
	Flyteidl__Core__Scalar *s5 = sc_int(5);
	const char *mk[2] = {"k1", "k2"};
	char err[512];
	int rc;

	setup_outputs();

	/* scalar: the binding's Scalar itself */
	rc = leval_binding_data(&A, bd_scalar(s5), lookup, NULL, &l, err,
	                        sizeof err);
	TAP_EQ_INT(rc, 0, "scalar binding resolves");
	TAP_OK(l && l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_SCALAR &&
	           l->scalar == s5,
	       "scalar binding borrows the binding's Scalar");

	/* promise: the upstream literal itself */
	rc = leval_binding_data(&A, bd_promise("n0", "o0", 0, NULL), lookup,
	                        NULL, &l, err, sizeof err);
	TAP_EQ_INT(rc, 0, "promise binding resolves");
	TAP_OK(l == up_o0, "promise binding borrows the upstream literal");
	rc = leval_binding_data(&A, bd_promise(LEVAL_START_NODE, "x", 0, NULL),
	                        lookup, NULL, &l, err, sizeof err);
	TAP_OK(rc == 0 && l == up_x,
	       "promise on start-node reads a workflow input");

	/* nested collection: [5, n0.o0, [start-node.x, 5]] */
	deep[0] = bd_promise(LEVAL_START_NODE, "x", 0, NULL);
	deep[1] = bd_scalar(s5);
	inner[0] = bd_scalar(s5);
	inner[1] = bd_promise("n0", "o0", 0, NULL);
	inner[2] = bd_coll(2, deep);
	rc = leval_binding_data(&A, bd_coll(3, inner), lookup, NULL, &l, err,
	                        sizeof err);
	TAP_EQ_INT(rc, 0, "nested collection resolves");
	TAP_OK(l &&
	           l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION &&
	           l->collection->n_literals == 3,
	       "collection of 3");
	TAP_OK(l && l->collection->literals[1] == up_o0,
	       "collection[1] is n0.o0");
	TAP_OK(l &&
	           l->collection->literals[2]->value_case ==
	               FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION &&
	           l->collection->literals[2]->collection->n_literals == 2 &&
	           l->collection->literals[2]->collection->literals[0] == up_x,
	       "collection[2][0] is start-node.x");

	/* nested map: {k1: 5, k2: {k1: n0.o0}} */
	deep[0] = bd_promise("n0", "o0", 0, NULL);
	inner[0] = bd_scalar(s5);
	inner[1] = bd_map(1, mk, deep);
	rc = leval_binding_data(&A, bd_map(2, mk, inner), lookup, NULL, &l, err,
	                        sizeof err);
	TAP_EQ_INT(rc, 0, "nested map resolves");
	TAP_OK(l && l->value_case == FLYTEIDL__CORE__LITERAL__VALUE_MAP &&
	           l->map->n_literals == 2 &&
	           int_of(map_val(l->map, "k1")) == 5,
	       "map k1 = 5");
	TAP_OK(l && map_val(l->map, "k2") &&
	           map_val(map_val(l->map, "k2")->map, "k1") == up_o0,
	       "map k2.k1 is n0.o0");

	/* a map binding naming a key twice keeps the last */
	{
		const char *dup[2] = {"k", "k"};

		inner[0] = bd_scalar(sc_int(1));
		inner[1] = bd_scalar(sc_int(2));
		rc = leval_binding_data(&A, bd_map(2, dup, inner), lookup, NULL,
		                        &l, err, sizeof err);
		TAP_OK(rc == 0 && l->map->n_literals == 1 &&
		           int_of(map_val(l->map, "k")) == 2,
		       "map binding key twice: last wins");
	}

	/* union: wrapped with the stated type; a union stays as it is */
	{
		Flyteidl__Core__BindingData *bd = bd_scalar(s5);
		Flyteidl__Core__UnionInfo *ui = z(sizeof *ui);
		Flyteidl__Core__LiteralType *lt = z(sizeof *lt);

		flyteidl__core__union_info__init(ui);
		flyteidl__core__literal_type__init(lt);
		ui->targettype = lt;
		bd->union_ = ui;
		rc = leval_binding_data(&A, bd, lookup, NULL, &l, err,
		                        sizeof err);
		TAP_EQ_INT(rc, 0, "union binding resolves");
		TAP_OK(l &&
		           l->value_case ==
		               FLYTEIDL__CORE__LITERAL__VALUE_SCALAR &&
		           l->scalar->value_case ==
		               FLYTEIDL__CORE__SCALAR__VALUE_UNION &&
		           l->scalar->union_->type == lt &&
		           int_of(l->scalar->union_->value) == 5,
		       "union binding wraps {value: 5, type: targetType}");

		bd = bd_scalar(sc_union(l_int(3)));
		bd->union_ = ui;
		rc = leval_binding_data(&A, bd, lookup, NULL, &l, err,
		                        sizeof err);
		TAP_OK(rc == 0 && l->scalar == bd->scalar,
		       "union binding of a union scalar is not wrapped twice");
	}

	/* offloaded: not supported locally */
	{
		Flyteidl__Core__BindingData *bd = z(sizeof *bd);
		Flyteidl__Core__LiteralOffloadedMetadata *om = z(sizeof *om);

		flyteidl__core__binding_data__init(bd);
		flyteidl__core__literal_offloaded_metadata__init(om);
		om->uri = (char *)"s3://bucket/lit.pb";
		bd->value_case =
		    FLYTEIDL__CORE__BINDING_DATA__VALUE_OFFLOADED_METADATA;
		bd->offloaded_metadata = om;
		rc = leval_binding_data(&A, bd, lookup, NULL, &l, err,
		                        sizeof err);
		TAP_EQ_INT(rc, -1, "offloaded binding is an error");
		TAP_HAS_STR(err, "s3://bucket/lit.pb",
		            "offloaded error names the uri");
		TAP_HAS_STR(err, "not supported", "offloaded error says why");
	}

	/* errors name the binding, node and var */
	bs[0] = binding("a", bd_scalar(s5));
	bs[1] = binding("b", bd_promise("n9", "o0", 0, NULL));
	rc = leval_bindings(&A, bs, 2, lookup, NULL, &m, err, sizeof err);
	TAP_EQ_INT(rc, -1, "missing upstream node fails");
	TAP_EQ_STR(err, "input [b]: output [n9].[o0] not found",
	           "missing node error names input, node and var");
	bs[1] = binding("b", bd_promise("n0", "nope", 0, NULL));
	rc = leval_bindings(&A, bs, 2, lookup, NULL, &m, err, sizeof err);
	TAP_EQ_STR(err, "input [b]: output [n0].[nope] not found",
	           "missing var error names input, node and var");
	bs[1] = binding("b", bd_promise("", "o0", 0, NULL));
	rc = leval_bindings(&A, bs, 2, lookup, NULL, &m, err, sizeof err);
	TAP_EQ_STR(err,
	           "input [b]: No nodeId (missing) specified for binding in "
	           "Workflow.",
	           "promise without node id: propeller's message");
	deep[0] = bd_scalar(s5);
	deep[1] = bd_promise("n0", "zz", 0, NULL);
	inner[0] = bd_scalar(s5);
	inner[1] = bd_map(2, mk, deep);
	bs[1] = binding("c", bd_coll(2, inner));
	rc = leval_bindings(&A, bs, 2, lookup, NULL, &m, err, sizeof err);
	TAP_EQ_STR(err, "input [c]: [1]: [k2]: output [n0].[zz] not found",
	           "nested error carries the path into the binding");

	/* a small err buffer truncates, never overflows */
	{
		char small[12];

		memset(small, 'x', sizeof small);
		rc = leval_bindings(&A, bs, 2, lookup, NULL, &m, small, 8);
		TAP_OK(rc == -1 && strlen(small) == 7 && small[8] == 'x' &&
		           strncmp(small, "input [", 7) == 0,
		       "error truncated to the buffer: \"%s\"", small);
		rc = leval_bindings(&A, bs, 2, lookup, NULL, &m, NULL, 0);
		TAP_EQ_INT(rc, -1, "NULL err buffer is fine");
	}

	/* a LiteralMap, last binding of a var wins */
	bs[0] = binding("a", bd_scalar(s5));
	bs[1] = binding("b", bd_promise("n0", "o0", 0, NULL));
	bs[2] = binding("a", bd_promise(LEVAL_START_NODE, "x", 0, NULL));
	rc = leval_bindings(&A, bs, 3, lookup, NULL, &m, err, sizeof err);
	TAP_EQ_INT(rc, 0, "leval_bindings resolves");
	TAP_OK(m && m->n_literals == 2, "two vars");
	TAP_OK(m && map_val(m, "a") == up_x && map_val(m, "b") == up_o0,
	       "a var bound twice keeps the last binding");
	rc = leval_bindings(&A, NULL, 0, lookup, NULL, &m, err, sizeof err);
	TAP_OK(rc == 0 && m && m->n_literals == 0, "no bindings: empty map");

	/* through an attr path */
	{
		Flyteidl__Core__PromiseAttribute *p[2] = {pa_str("b"),
		                                          pa_int(2)};

		rc = leval_binding_data(&A, bd_promise("n1", "m", 2, p), lookup,
		                        NULL, &l, err, sizeof err);
		TAP_OK(rc == 0 && int_of(l) == 12,
		       "promise n1.m[\"b\"][2] is 12");
		p[1] = pa_int(5);
		rc = leval_binding_data(&A, bd_promise("n1", "m", 2, p), lookup,
		                        NULL, &l, err, sizeof err);
		TAP_EQ_INT(rc, -1, "promise attr path out of range fails");
		TAP_EQ_STR(err,
		           "output [n1].[m]: index [5] is out of range of (a "
		           "collection of 3 literals)",
		           "attr path error names node, var, index and value");
	}
}

/* ---- attribute paths --------------------------------------------------- */

static Google__Protobuf__Value *sv(int kind)
{
	Google__Protobuf__Value *v = z(sizeof *v);

	google__protobuf__value__init(v);
	v->kind_case = kind;
	return v;
}

static Google__Protobuf__Struct *st_new(size_t n, const char **keys,
                                        Google__Protobuf__Value **vals)
{
	Google__Protobuf__Struct *st = z(sizeof *st);
	size_t i;

	google__protobuf__struct__init(st);
	st->n_fields = n;
	st->fields = z(n * sizeof *st->fields);
	for (i = 0; i < n; i++) {
		st->fields[i] = z(sizeof *st->fields[i]);
		google__protobuf__struct__fields_entry__init(st->fields[i]);
		st->fields[i]->key = (char *)keys[i];
		st->fields[i]->value = vals[i];
	}
	return st;
}

static void test_attr_path(void)
{
	Flyteidl__Core__PromiseAttribute *p[4];
	const Flyteidl__Core__Literal *o = NULL;
	const Flyteidl__Core__Primitive *pr;
	char err[512];
	int rc;

	setup_outputs();

	rc = leval_attr_path(&A, up_map, NULL, 0, &o, err, sizeof err);
	TAP_OK(rc == 0 && o == up_map, "empty path: the literal itself");
	p[0] = pa_str("a");
	rc = leval_attr_path(&A, up_map, p, 1, &o, err, sizeof err);
	TAP_OK(rc == 0 && int_of(o) == 1, "map[\"a\"]");
	p[0] = pa_str("b");
	p[1] = pa_int(0);
	rc = leval_attr_path(&A, up_map, p, 2, &o, err, sizeof err);
	TAP_OK(rc == 0 && o == up_list->collection->literals[0],
	       "map[\"b\"][0] borrows the element");
	p[0] = pa_str("zz");
	rc = leval_attr_path(&A, up_map, p, 1, &o, err, sizeof err);
	TAP_EQ_INT(rc, -1, "missing key fails");
	TAP_EQ_STR(err,
	           "key [zz] does not exist in literal (a map with keys {a, "
	           "b})",
	           "missing key error names key and keys");
	p[0] = pa_int(3);
	rc = leval_attr_path(&A, up_list, p, 1, &o, err, sizeof err);
	TAP_EQ_STR(err,
	           "index [3] is out of range of (a collection of 3 "
	           "literals)",
	           "index out of range error");
	p[0] = pa_int(-1);
	rc = leval_attr_path(&A, up_list, p, 1, &o, err, sizeof err);
	TAP_EQ_INT(rc, -1, "negative index fails");
	p[0] = pa_int(0);
	rc = leval_attr_path(&A, up_map, p, 1, &o, err, sizeof err);
	TAP_EQ_STR(err,
	           "key [] does not exist in literal (a map with keys {a, "
	           "b})",
	           "int attribute on a map looks up key \"\" (Go's "
	           "GetStringValue)");
	p[0] = pa_str("x");
	rc = leval_attr_path(&A, up_list, p, 1, &o, err, sizeof err);
	TAP_OK(rc == 0 && int_of(o) == 10,
	       "string attribute on a collection reads index 0 (GetIntValue)");
	p[0] = pa_str("b");
	p[1] = pa_int(1);
	p[2] = pa_str("deeper");
	rc = leval_attr_path(&A, up_map, p, 3, &o, err, sizeof err);
	TAP_OK(rc == 0 && int_of(o) == 11,
	       "path past a primitive is ignored, as in propeller");

	/* into a Struct: {"a": {"b": [1, "x", true, null, {"c": 2}]}} */
	{
		const char *kc[1] = {"c"}, *kb[1] = {"b"}, *ka[2] = {"a", "n"};
		Google__Protobuf__Value *c2 =
		    sv(GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE);
		Google__Protobuf__Value *items[5], *vb, *va[2];
		Google__Protobuf__ListValue *lv = z(sizeof *lv);
		Google__Protobuf__Struct *inner, *top;
		Flyteidl__Core__Scalar *s = z(sizeof *s);
		Flyteidl__Core__Literal *gl;

		c2->number_value = 2;
		items[0] = sv(GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE);
		items[0]->number_value = 1;
		items[1] = sv(GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE);
		items[1]->string_value = (char *)"x";
		items[2] = sv(GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE);
		items[2]->bool_value = 1;
		items[3] = sv(GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
		items[4] = sv(GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE);
		items[4]->struct_value = st_new(1, kc, &c2);
		google__protobuf__list_value__init(lv);
		lv->n_values = 5;
		lv->values = items;
		vb = sv(GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE);
		vb->list_value = lv;
		inner = st_new(1, kb, &vb);
		va[0] = sv(GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE);
		va[0]->struct_value = inner;
		va[1] = sv(GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE);
		va[1]->number_value = 42;
		top = st_new(2, ka, va);
		flyteidl__core__scalar__init(s);
		s->value_case = FLYTEIDL__CORE__SCALAR__VALUE_GENERIC;
		s->generic = top;
		gl = lit_of(s);

		p[0] = pa_str("a");
		p[1] = pa_str("b");
		p[2] = pa_int(0);
		rc = leval_attr_path(&A, gl, p, 3, &o, err, sizeof err);
		pr = prim_of(o);
		TAP_OK(rc == 0 && pr &&
		           pr->value_case ==
		               FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE &&
		           pr->float_value == 1.0,
		       "struct number becomes a float primitive");
		p[2] = pa_int(1);
		rc = leval_attr_path(&A, gl, p, 3, &o, err, sizeof err);
		pr = prim_of(o);
		TAP_OK(rc == 0 && pr &&
		           pr->value_case ==
		               FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE &&
		           strcmp(pr->string_value, "x") == 0,
		       "struct string becomes a string primitive");
		p[2] = pa_int(2);
		rc = leval_attr_path(&A, gl, p, 3, &o, err, sizeof err);
		pr = prim_of(o);
		TAP_OK(rc == 0 && pr &&
		           pr->value_case ==
		               FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN &&
		           pr->boolean,
		       "struct bool becomes a boolean primitive");
		p[2] = pa_int(3);
		rc = leval_attr_path(&A, gl, p, 3, &o, err, sizeof err);
		TAP_OK(rc == 0 &&
		           o->value_case ==
		               FLYTEIDL__CORE__LITERAL__VALUE_SCALAR &&
		           o->scalar->value_case ==
		               FLYTEIDL__CORE__SCALAR__VALUE_NONE_TYPE,
		       "struct null becomes none");
		p[2] = pa_int(4);
		rc = leval_attr_path(&A, gl, p, 3, &o, err, sizeof err);
		TAP_OK(rc == 0 &&
		           o->value_case ==
		               FLYTEIDL__CORE__LITERAL__VALUE_SCALAR &&
		           o->scalar->value_case ==
		               FLYTEIDL__CORE__SCALAR__VALUE_GENERIC &&
		           o->scalar->generic == items[4]->struct_value,
		       "struct object becomes a generic scalar");
		p[3] = pa_str("c");
		rc = leval_attr_path(&A, gl, p, 4, &o, err, sizeof err);
		pr = prim_of(o);
		TAP_OK(rc == 0 && pr && pr->float_value == 2.0,
		       "struct a.b[4].c is 2.0");
		rc = leval_attr_path(&A, gl, p, 2, &o, err, sizeof err);
		TAP_OK(rc == 0 &&
		           o->value_case ==
		               FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION &&
		           o->collection->n_literals == 5 &&
		           o->collection->literals[4]->scalar->value_case ==
		               FLYTEIDL__CORE__SCALAR__VALUE_GENERIC,
		       "struct list becomes a collection");
		p[2] = pa_int(5);
		rc = leval_attr_path(&A, gl, p, 3, &o, err, sizeof err);
		TAP_EQ_STR(err,
		           "index [5] is out of range of (a struct list of 5 "
		           "values)",
		           "struct index out of range");
		p[1] = pa_str("q");
		rc = leval_attr_path(&A, gl, p, 2, &o, err, sizeof err);
		TAP_EQ_STR(err,
		           "key [q] does not exist in literal (a struct with "
		           "keys {b})",
		           "struct missing key");
		p[0] = pa_str("n");
		p[1] = pa_str("ignored");
		rc = leval_attr_path(&A, gl, p, 2, &o, err, sizeof err);
		pr = prim_of(o);
		TAP_OK(rc == 0 && pr && pr->float_value == 42.0,
		       "struct path past a number is ignored");

		/* a struct reached through a collection and a map literal */
		{
			const char *k1[1] = {"dc"};
			Flyteidl__Core__Literal *wrap[1] = {gl}, *ml;

			ml = l_map(1, k1, wrap);
			p[0] = pa_str("dc");
			p[1] = pa_str("a");
			p[2] = pa_str("b");
			p[3] = pa_int(1);
			rc = leval_attr_path(
			    &A, l_coll(1, &ml),
			    (Flyteidl__Core__PromiseAttribute *[]){
			        pa_int(0), p[0], p[1], p[2], p[3]},
			    5, &o, err, sizeof err);
			pr = prim_of(o);
			TAP_OK(rc == 0 && pr &&
			           strcmp(pr->string_value, "x") == 0,
			       "[0][\"dc\"] literal walk, then .a.b[1] in the "
			       "struct");
		}
	}

	/* into msgpack: {"a": {"b": [1, 2, 300]}, "s": "hi", 7: "int key",
	 * "a2": [[1],[2]]} */
	{
		static const uint8_t mp[] = {
		    0x84, 0xa1, 'a',  0x81, 0xa1, 'b',  0x93, 0x01, 0x02,
		    0xcd, 0x01, 0x2c, 0xa1, 's',  0xa2, 'h',  'i',  0x07,
		    0xa7, 'i',  'n',  't',  ' ',  'k',  'e',  'y',  0xa2,
		    'a',  '2',  0x92, 0x91, 0x01, 0x91, 0x02,
		};
		static const uint8_t bad[] = {0x82, 0xa1, 'a'};
		/* {[1, 2]: "arr key", "k": {"z": nil}} */
		static const uint8_t ck[] = {
		    0x82, 0x92, 0x01, 0x02, 0xa7, 'a',  'r',  'r', ' ',
		    'k',  'e',  'y',  0xa1, 'k',  0x81, 0xa1, 'z', 0xc0,
		};
		Flyteidl__Core__Literal *bl =
		    lit_of(sc_binary(mp, sizeof mp, "msgpack"));
		const Flyteidl__Core__Binary *b;

		p[0] = pa_str("a");
		p[1] = pa_str("b");
		p[2] = pa_int(2);
		rc = leval_attr_path(&A, bl, p, 3, &o, err, sizeof err);
		b = rc == 0 && o->scalar->value_case ==
		                   FLYTEIDL__CORE__SCALAR__VALUE_BINARY
		        ? o->scalar->binary
		        : NULL;
		TAP_OK(b && b->value.len == 3 &&
		           memcmp(b->value.data, "\xcd\x01\x2c", 3) == 0 &&
		           strcmp(b->tag, "msgpack") == 0,
		       "msgpack a.b[2] is the bytes of 300, tagged msgpack");
		p[1] = pa_str("b");
		rc = leval_attr_path(&A, bl, p, 2, &o, err, sizeof err);
		b = rc == 0 ? o->scalar->binary : NULL;
		TAP_OK(b && b->value.len == 6 && b->value.data[0] == 0x93,
		       "msgpack a.b is the whole array");
		p[0] = pa_str("s");
		rc = leval_attr_path(&A, bl, p, 1, &o, err, sizeof err);
		b = rc == 0 ? o->scalar->binary : NULL;
		TAP_OK(b && b->value.len == 3 &&
		           memcmp(b->value.data, "\xa2hi", 3) == 0,
		       "msgpack s is \"hi\"");
		p[0] = pa_str("a2");
		p[1] = pa_int(1);
		p[2] = pa_int(0);
		rc = leval_attr_path(&A, bl, p, 3, &o, err, sizeof err);
		b = rc == 0 ? o->scalar->binary : NULL;
		TAP_OK(b && b->value.len == 1 && b->value.data[0] == 0x02,
		       "msgpack a2[1][0] is 2 (skipping nested arrays)");
		p[0] = pa_str("nope");
		rc = leval_attr_path(&A, bl, p, 1, &o, err, sizeof err);
		TAP_EQ_STR(
		    err,
		    "key [nope] does not exist in literal (a msgpack map "
		    "of 4 entries)",
		    "msgpack missing key");
		p[0] = pa_str("a");
		p[1] = pa_str("b");
		p[2] = pa_int(3);
		rc = leval_attr_path(&A, bl, p, 3, &o, err, sizeof err);
		TAP_EQ_STR(err,
		           "index [3] is out of range of (a msgpack array of 3 "
		           "values)",
		           "msgpack index out of range");
		rc = leval_attr_path(
		    &A, lit_of(sc_binary(bad, sizeof bad, "msgpack")), p, 1, &o,
		    err, sizeof err);
		TAP_OK(rc == -1 && strstr(err, "malformed msgpack"),
		       "truncated msgpack is an error");
		p[0] = pa_str("k");
		p[1] = pa_str("z");
		rc = leval_attr_path(
		    &A, lit_of(sc_binary(ck, sizeof ck, "msgpack")), p, 2, &o,
		    err, sizeof err);
		b = rc == 0 ? o->scalar->binary : NULL;
		TAP_OK(b && b->value.len == 1 && b->value.data[0] == 0xc0,
		       "msgpack map with an array key: k.z is nil");
		{
			/* every fixed-size and sized kind is stepped over:
			 * {"f": 1.5 (float64), "e": fixext 4, "b": bin8 of 2,
			 *  "t": str8 "xy", "i": -2 (int32), "x": ext8 of 1,
			 *  "z": 5} */
			static const uint8_t kinds[] = {
			    0x87, 0xa1, 'f',  0xcb, 0x3f, 0xf8, 0,    0,
			    0,    0,    0,    0,    0xa1, 'e',  0xd6, 0x01,
			    1,    2,    3,    4,    0xa1, 'b',  0xc4, 0x02,
			    0xff, 0xfe, 0xa1, 't',  0xd9, 0x02, 'x',  'y',
			    0xa1, 'i',  0xd2, 0xff, 0xff, 0xff, 0xfe, 0xa1,
			    'x',  0xc7, 0x01, 0x05, 0xaa, 0xa1, 'z',  0x05,
			};
			Flyteidl__Core__Literal *kl =
			    lit_of(sc_binary(kinds, sizeof kinds, "msgpack"));

			p[0] = pa_str("z");
			rc = leval_attr_path(&A, kl, p, 1, &o, err, sizeof err);
			b = rc == 0 ? o->scalar->binary : NULL;
			TAP_OK(
			    b && b->value.len == 1 && b->value.data[0] == 0x05,
			    "msgpack: float64, fixext, bin8, str8, int32, ext8 "
			    "skipped");
			p[0] = pa_str("e");
			rc = leval_attr_path(&A, kl, p, 1, &o, err, sizeof err);
			b = rc == 0 ? o->scalar->binary : NULL;
			TAP_OK(b && b->value.len == 6 &&
			           b->value.data[0] == 0xd6,
			       "msgpack: a fixext value is returned whole");
		}
		rc = leval_attr_path(&A,
		                     lit_of(sc_binary(mp, sizeof mp, "json")),
		                     p, 1, &o, err, sizeof err);
		TAP_HAS_STR(err, "Unsupported format 'json'",
		            "binary of another tag is an error");
	}
}

/* ---- conditions -------------------------------------------------------- */

static Flyteidl__Core__Operand *op_var(const char *v)
{
	Flyteidl__Core__Operand *o = z(sizeof *o);

	flyteidl__core__operand__init(o);
	o->val_case = FLYTEIDL__CORE__OPERAND__VAL_VAR;
	o->var = (char *)v;
	return o;
}

static Flyteidl__Core__Operand *op_scalar(Flyteidl__Core__Scalar *s)
{
	Flyteidl__Core__Operand *o = z(sizeof *o);

	flyteidl__core__operand__init(o);
	o->val_case = FLYTEIDL__CORE__OPERAND__VAL_SCALAR;
	o->scalar = s;
	return o;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static Flyteidl__Core__Operand *op_prim(Flyteidl__Core__Scalar *s)
{
	Flyteidl__Core__Operand *o = z(sizeof *o);

	flyteidl__core__operand__init(o);
	o->val_case = FLYTEIDL__CORE__OPERAND__VAL_PRIMITIVE;
	o->primitive = s->primitive;
	return o;
}
#pragma GCC diagnostic pop

static Flyteidl__Core__BooleanExpression *
cmp(Flyteidl__Core__Operand *l, int op, Flyteidl__Core__Operand *r)
{
	Flyteidl__Core__BooleanExpression *e = z(sizeof *e);
	Flyteidl__Core__ComparisonExpression *c = z(sizeof *c);

	flyteidl__core__boolean_expression__init(e);
	flyteidl__core__comparison_expression__init(c);
	c->left_value = l;
	c->right_value = r;
	c->operator_ = op;
	e->expr_case = FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_COMPARISON;
	e->comparison = c;
	return e;
}

static Flyteidl__Core__BooleanExpression *
junction(Flyteidl__Core__BooleanExpression *l, int op,
         Flyteidl__Core__BooleanExpression *r)
{
	Flyteidl__Core__BooleanExpression *e = z(sizeof *e);
	Flyteidl__Core__ConjunctionExpression *c = z(sizeof *c);

	flyteidl__core__boolean_expression__init(e);
	flyteidl__core__conjunction_expression__init(c);
	c->left_expression = l;
	c->right_expression = r;
	c->operator_ = op;
	e->expr_case = FLYTEIDL__CORE__BOOLEAN_EXPRESSION__EXPR_CONJUNCTION;
	e->conjunction = c;
	return e;
}

#define EQ  FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__EQ
#define NEQ FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__NEQ
#define GT  FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GT
#define GTE FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__GTE
#define LT  FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LT
#define LTE FLYTEIDL__CORE__COMPARISON_EXPRESSION__OPERATOR__LTE
#define AND FLYTEIDL__CORE__CONJUNCTION_EXPRESSION__LOGICAL_OPERATOR__AND
#define OR  FLYTEIDL__CORE__CONJUNCTION_EXPRESSION__LOGICAL_OPERATOR__OR

static const char *const opnames[] = {"EQ", "NEQ", "GT", "GTE", "LT", "LTE"};

/* Evaluate `x <op> y` with x and y as inputs. */
static int eval2(Flyteidl__Core__Scalar *x, int op, Flyteidl__Core__Scalar *y,
                 int *res, char *err, size_t errlen)
{
	const char *k[2] = {"x", "y"};
	Flyteidl__Core__Literal *v[2];
	Flyteidl__Core__Literal *m;

	v[0] = lit_of(x);
	v[1] = lit_of(y);
	m = l_map(2, k, v);
	*res = -1;
	return leval_condition(cmp(op_var("x"), op, op_var("y")), m->map, res,
	                       err, errlen);
}

/* All six operators on (lo, hi), (hi, lo) and (lo, lo'), lo' equal to lo. */
static void ordered(const char *what, Flyteidl__Core__Scalar *(*mk)(int))
{
	/* expected[op][pair]: pairs (1,2), (2,1), (1,1) */
	static const int expect[6][3] = {
	    {0, 0, 1}, {1, 1, 0}, {0, 1, 0}, {0, 1, 1}, {1, 0, 0}, {1, 0, 1},
	};
	static const int pairs[3][2] = {{1, 2}, {2, 1}, {1, 1}};
	char err[256];
	int op, p, res, rc, bad = 0;

	for (op = 0; op < 6; op++)
		for (p = 0; p < 3; p++) {
			rc = eval2(mk(pairs[p][0]), op, mk(pairs[p][1]), &res,
			           err, sizeof err);
			if (rc != 0 || res != expect[op][p]) {
				bad++;
				tap_diag("%s %d %s %d: rc %d res %d (%s)", what,
				         pairs[p][0], opnames[op], pairs[p][1],
				         rc, res, rc ? err : "");
			}
		}
	TAP_EQ_INT(bad, 0, "%s: all six operators on lower/higher/equal", what);
}

static Flyteidl__Core__Scalar *mk_int(int v)
{
	return sc_int(v);
}
static Flyteidl__Core__Scalar *mk_float(int v)
{
	return sc_float(v / 4.0);
}
static Flyteidl__Core__Scalar *mk_str(int v)
{
	return sc_str(v == 1 ? "apple" : "banana");
}
static Flyteidl__Core__Scalar *mk_dt(int v)
{
	return sc_datetime(1530705600 + v, 0);
}
static Flyteidl__Core__Scalar *mk_dur(int v)
{
	return sc_duration(v * 10, 0);
}

static void test_conditions(void)
{
	const char *k[5] = {"x", "y", "list", "opt", "nil"};
	Flyteidl__Core__Literal *v[5], *items[1], *in;
	char err[512];
	int res, rc, op;

	ordered("integer", mk_int);
	ordered("float", mk_float);
	ordered("string", mk_str);
	ordered("datetime", mk_dt);
	ordered("duration", mk_dur);

	/* booleans: EQ/NEQ only */
	rc = eval2(sc_bool(1), EQ, sc_bool(1), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1, "true EQ true");
	rc = eval2(sc_bool(1), NEQ, sc_bool(0), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1, "true NEQ false");
	rc = eval2(sc_bool(0), EQ, sc_bool(1), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 0, "false EQ true is false");
	for (op = GT; op <= LTE; op++) {
		char want[64];

		rc = eval2(sc_bool(1), op, sc_bool(0), &res, err, sizeof err);
		snprintf(want, sizeof want,
		         "[%s] not defined for boolean operands.", opnames[op]);
		TAP_OK(rc == -1 && strcmp(err, want) == 0, "boolean %s: %s",
		       opnames[op], err);
	}

	/* mismatched kinds: no int/float promotion */
	rc = eval2(sc_int(1), LT, sc_float(2.5), &res, err, sizeof err);
	TAP_EQ_INT(rc, -1, "integer vs float is an error");
	TAP_EQ_STR(err,
	           "Comparison between different primitives types. "
	           "lVal[*core.Primitive_Integer]:rVal[*core.Primitive_"
	           "FloatValue] (1 vs 2.5)",
	           "mismatched types: propeller's text and the values");
	rc = eval2(sc_str("1"), EQ, sc_int(1), &res, err, sizeof err);
	TAP_HAS_STR(err,
	            "lVal[*core.Primitive_StringValue]:rVal[*core.Primitive_"
	            "Integer]",
	            "string vs integer is an error");

	/* Go's float semantics with NaN: LT is !(GT || EQ) */
	rc = eval2(sc_float(NAN), LT, sc_float(1), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1,
	       "NaN LT 1 is true, as propeller computes it");
	rc = eval2(sc_float(NAN), EQ, sc_float(NAN), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 0, "NaN EQ NaN is false");
	rc = eval2(sc_float(NAN), GTE, sc_float(1), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 0, "NaN GTE 1 is false");

	/* datetimes and durations compare whole seconds */
	rc = eval2(sc_datetime(100, 5), EQ, sc_datetime(100, 999), &res, err,
	           sizeof err);
	TAP_OK(rc == 0 && res == 1, "datetimes differing in nanos are EQ");
	rc = eval2(sc_duration(3, 1), GT, sc_duration(3, 0), &res, err,
	           sizeof err);
	TAP_OK(rc == 0 && res == 0, "durations differing in nanos are not GT");

	/* none */
	rc = eval2(sc_none(), EQ, sc_none(), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1, "none EQ none");
	rc = eval2(sc_none(), NEQ, sc_none(), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 0, "none NEQ none is false");
	rc = eval2(sc_int(3), EQ, sc_none(), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 0, "3 EQ none is false");
	rc = eval2(sc_none(), NEQ, sc_int(3), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1, "none NEQ 3");
	rc = eval2(sc_int(3), GT, sc_none(), &res, err, sizeof err);
	TAP_EQ_INT(rc, -1, "3 GT none is an error");
	TAP_EQ_STR(err,
	           "Comparison between nil and non-nil values with operator "
	           "[GT] is not supported. lVal[3]:rVal[<nil>]",
	           "none with GT: propeller's text");
	rc = eval2(sc_none(), LTE, sc_none(), &res, err, sizeof err);
	TAP_EQ_INT(rc, -1, "none LTE none is an error");

	/* unions compare by their value (Optional outputs, is_none()) */
	rc = eval2(sc_union(lit_of(sc_none())), EQ, sc_none(), &res, err,
	           sizeof err);
	TAP_OK(rc == 0 && res == 1,
	       "union(none) EQ none (is_none on Optional)");
	rc = eval2(sc_union(l_int(4)), GTE, sc_int(4), &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1, "union(4) GTE 4");

	/* constant operands: the deprecated primitive and scalar */
	v[0] = l_int(5);
	v[1] = l_int(6);
	items[0] = l_int(1);
	v[2] = l_coll(1, items);
	v[3] = lit_of(sc_union(l_int(9)));
	v[4] = lit_of(sc_none());
	in = l_map(5, k, v);
	rc = leval_condition(cmp(op_var("x"), LT, op_prim(sc_int(6))), in->map,
	                     &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1, "var LT primitive constant");
	rc = leval_condition(cmp(op_scalar(sc_int(5)), EQ, op_var("x")),
	                     in->map, &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1, "scalar constant EQ var");
	rc = leval_condition(cmp(op_prim(sc_int(1)), GT, op_prim(sc_int(2))),
	                     NULL, &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 0, "two constants, no inputs");
	rc = leval_condition(cmp(op_var("nil"), EQ, op_scalar(sc_none())),
	                     in->map, &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1, "none var EQ none scalar constant");
	rc = leval_condition(cmp(op_var("opt"), EQ, op_scalar(sc_int(9))),
	                     in->map, &res, err, sizeof err);
	TAP_OK(rc == 0 && res == 1, "union var EQ 9");

	/* errors */
	rc = leval_condition(cmp(op_var("x"), EQ, op_var("zz")), in->map, &res,
	                     err, sizeof err);
	TAP_EQ_STR(err, "Failed to find Value for Variable [zz]",
	           "missing var");
	rc = leval_condition(cmp(op_var("x"), EQ, op_scalar(sc_int(1))), NULL,
	                     &res, err, sizeof err);
	TAP_EQ_STR(err, "Failed to find Value for Variable [x]",
	           "no inputs at all");
	rc = leval_condition(cmp(op_var("list"), EQ, op_scalar(sc_int(1))),
	                     in->map, &res, err, sizeof err);
	TAP_EQ_STR(err,
	           "Only primitives can be compared. LHS Variable is non "
	           "primitive. (variable [list] holds a collection of 1 "
	           "literals)",
	           "collection operand is an error");
	rc = leval_condition(cmp(op_scalar(sc_int(1)), EQ,
	                         op_scalar(sc_binary("x", 1, "msgpack"))),
	                     in->map, &res, err, sizeof err);
	TAP_HAS_STR(err, "RHS Variable is non primitive",
	            "binary constant is an "
	            "error");
	{
		Flyteidl__Core__BooleanExpression *e = z(sizeof *e);

		flyteidl__core__boolean_expression__init(e);
		rc = leval_condition(e, in->map, &res, err, sizeof err);
		TAP_EQ_STR(err,
		           "No Comparison or Conjunction found in Branch node "
		           "expression.",
		           "empty expression");
	}

	/* AND / OR, nested: (x < y AND y == 6) OR x > 100 */
	{
		Flyteidl__Core__BooleanExpression *a =
		    cmp(op_var("x"), LT, op_var("y"));
		Flyteidl__Core__BooleanExpression *b =
		    cmp(op_var("y"), EQ, op_scalar(sc_int(6)));
		Flyteidl__Core__BooleanExpression *c =
		    cmp(op_var("x"), GT, op_scalar(sc_int(100)));
		Flyteidl__Core__BooleanExpression *f =
		    cmp(op_var("x"), GT, op_var("y"));
		Flyteidl__Core__BooleanExpression *bad =
		    cmp(op_var("x"), EQ, op_var("zz"));

		rc = leval_condition(junction(junction(a, AND, b), OR, c),
		                     in->map, &res, err, sizeof err);
		TAP_OK(rc == 0 && res == 1, "(true AND true) OR false");
		rc = leval_condition(junction(junction(a, AND, f), OR, c),
		                     in->map, &res, err, sizeof err);
		TAP_OK(rc == 0 && res == 0, "(true AND false) OR false");
		rc = leval_condition(junction(f, OR, junction(c, OR, a)),
		                     in->map, &res, err, sizeof err);
		TAP_OK(rc == 0 && res == 1, "false OR (false OR true)");
		rc = leval_condition(junction(f, AND, bad), in->map, &res, err,
		                     sizeof err);
		TAP_EQ_INT(rc, -1,
		           "false AND <error> still fails: no short circuit");
		rc = leval_condition(junction(a, OR, bad), in->map, &res, err,
		                     sizeof err);
		TAP_EQ_INT(rc, -1,
		           "true OR <error> still fails: no short circuit");
	}
}

/* ---- branches ---------------------------------------------------------- */

static Flyteidl__Core__Node *node(const char *id)
{
	Flyteidl__Core__Node *n = z(sizeof *n);

	flyteidl__core__node__init(n);
	n->id = (char *)id;
	return n;
}

static Flyteidl__Core__IfBlock *ifblock(Flyteidl__Core__BooleanExpression *c,
                                        Flyteidl__Core__Node *then)
{
	Flyteidl__Core__IfBlock *b = z(sizeof *b);

	flyteidl__core__if_block__init(b);
	b->condition = c;
	b->then_node = then;
	return b;
}

static void test_branch(void)
{
	const char *k[1] = {"x"};
	Flyteidl__Core__Literal *v[1] = {l_int(5)};
	Flyteidl__Core__LiteralMap *in = l_map(1, k, v)->map;
	Flyteidl__Core__Node *n1 = node("n1"), *n2 = node("n2"),
	                     *n3 = node("n3"), *ne = node("n-else");
	Flyteidl__Core__IfElseBlock ie = FLYTEIDL__CORE__IF_ELSE_BLOCK__INIT;
	Flyteidl__Core__IfBlock *others[2];
	Flyteidl__Core__Error uerr = FLYTEIDL__CORE__ERROR__INIT;
	const Flyteidl__Core__Node *chosen;
	struct leval_failure f;
	char err[512];
	int rc;

#define XCMP(op, n) cmp(op_var("x"), op, op_scalar(sc_int(n)))
	/* the first case holds; a broken later condition is never evaluated */
	ie.case_ = ifblock(XCMP(EQ, 5), n1);
	others[0] = ifblock(cmp(op_var("zz"), EQ, op_var("x")), n2);
	ie.n_other = 1;
	ie.other = others;
	rc = leval_branch(&ie, in, &chosen, &f, err, sizeof err);
	TAP_OK(rc == 0 && chosen == n1, "first case taken");

	/* the second of the others */
	ie.case_ = ifblock(XCMP(LT, 5), n1);
	others[0] = ifblock(XCMP(GT, 5), n2);
	others[1] = ifblock(XCMP(GTE, 5), n3);
	ie.n_other = 2;
	rc = leval_branch(&ie, in, &chosen, &f, err, sizeof err);
	TAP_OK(rc == 0 && chosen == n3, "other[1] taken when case and other[0] "
	                                "fail");

	/* else */
	others[1] = ifblock(XCMP(NEQ, 5), n3);
	ie.default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE;
	ie.else_node = ne;
	rc = leval_branch(&ie, in, &chosen, &f, err, sizeof err);
	TAP_OK(rc == 0 && chosen == ne, "else taken when no case holds");

	/* the block's error */
	uerr.failed_node_id = (char *)"n-branch";
	uerr.message = (char *)"x must be small";
	ie.default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ERROR;
	ie.error = &uerr;
	memset(&f, 0, sizeof f);
	rc = leval_branch(&ie, in, &chosen, &f, err, sizeof err);
	TAP_EQ_INT(rc, -1, "else error fails the branch");
	TAP_OK(chosen == NULL, "nothing chosen");
	TAP_EQ_STR(f.code, "UserProvidedError", "code UserProvidedError");
	TAP_EQ_INT(f.user, 1, "a user error");
	TAP_OK(f.error == &uerr, "the block's Error is handed back");
	TAP_EQ_STR(err, "[UserProvidedError] x must be small",
	           "message as propeller reports it");

	/* no else at all */
	ie.default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT__NOT_SET;
	ie.error = NULL;
	rc = leval_branch(&ie, in, &chosen, &f, err, sizeof err);
	TAP_EQ_INT(rc, -1, "no case, no else: fails");
	TAP_EQ_STR(f.code, "MalformedBranchUserError",
	           "code MalformedBranchUserError");
	TAP_EQ_STR(err, "[MalformedBranchUserError] No branch satisfied",
	           "No branch satisfied");
	TAP_OK(f.error == NULL, "no Error without an else error");

	/* a condition that cannot be evaluated */
	ie.case_ = ifblock(cmp(op_var("x"), LT, op_scalar(sc_float(1.5))), n1);
	rc = leval_branch(&ie, in, &chosen, &f, err, sizeof err);
	TAP_EQ_INT(rc, -1, "mismatched condition fails the branch");
	TAP_EQ_STR(f.code, "MalformedBranchUserError",
	           "with MalformedBranchUserError");
	TAP_HAS_STR(err,
	            "[MalformedBranchUserError] Comparison between different "
	            "primitives types.",
	            "and propeller's message");

	/* unset primitives: propeller has no comparator -> a system error */
	{
		Flyteidl__Core__Primitive *p1, *p2;
		Flyteidl__Core__Scalar *s1 = sc_prim(&p1), *s2 = sc_prim(&p2);

		ie.case_ = ifblock(cmp(op_scalar(s1), EQ, op_scalar(s2)), n1);
		rc = leval_branch(&ie, in, &chosen, &f, err, sizeof err);
		TAP_OK(rc == -1 && f.user == 0 &&
		           strcmp(f.code, "IllegalStateError") == 0,
		       "unset primitives: IllegalStateError, a system error");
		TAP_EQ_STR(
		    err,
		    "Branch evaluation failed. Error [[IllegalStateError] "
		    "Comparator not defined for type: [<nil>]]",
		    "system failure message");
	}

	/* a case holding with no then node: not taken */
	ie.case_ = ifblock(XCMP(EQ, 5), NULL);
	ie.n_other = 0;
	ie.default_case = FLYTEIDL__CORE__IF_ELSE_BLOCK__DEFAULT_ELSE_NODE;
	ie.else_node = ne;
	rc = leval_branch(&ie, in, &chosen, &f, err, sizeof err);
	TAP_OK(rc == 0 && chosen == ne, "a holding case without then_node is "
	                                "passed over");
#undef XCMP
}

/* ---- the DAG ----------------------------------------------------------- */

/* start -> a, b -> c -> end, as propeller's compiler writes it: start-node
 * and end-node first in the template, connections both ways. */
static const char diamond_json[] =
    "{\"template\": {"
    " \"id\": {\"resourceType\": \"WORKFLOW\", \"project\": \"p\","
    "        \"domain\": \"d\", \"name\": \"wf.diamond\", \"version\": \"v1\"},"
    " \"nodes\": ["
    "  {\"id\": \"start-node\"},"
    "  {\"id\": \"end-node\", \"inputs\": [{\"var\": \"r\", \"binding\":"
    "     {\"promise\": {\"nodeId\": \"c\", \"var\": \"o0\"}}}]},"
    "  {\"id\": \"a\", \"inputs\": [{\"var\": \"x\", \"binding\":"
    "     {\"promise\": {\"nodeId\": \"start-node\", \"var\": \"x\"}}}],"
    "   \"taskNode\": {\"referenceId\": {\"resourceType\": \"TASK\","
    "     \"project\": \"p\", \"domain\": \"d\", \"name\": \"t\","
    "     \"version\": \"v1\"}}},"
    "  {\"id\": \"b\", \"inputs\": [{\"var\": \"x\", \"binding\":"
    "     {\"promise\": {\"nodeId\": \"start-node\", \"var\": \"x\"}}}],"
    "   \"taskNode\": {\"referenceId\": {\"resourceType\": \"TASK\","
    "     \"project\": \"p\", \"domain\": \"d\", \"name\": \"t\","
    "     \"version\": \"v1\"}}},"
    "  {\"id\": \"c\", \"inputs\": ["
    "     {\"var\": \"u\", \"binding\": {\"promise\": {\"nodeId\": \"a\", "
    "\"var\": \"o0\"}}},"
    "     {\"var\": \"v\", \"binding\": {\"promise\": {\"nodeId\": \"b\", "
    "\"var\": \"o0\"}}}],"
    "   \"taskNode\": {\"referenceId\": {\"resourceType\": \"TASK\","
    "     \"project\": \"p\", \"domain\": \"d\", \"name\": \"t2\","
    "     \"version\": \"v1\"}}}"
    " ],"
    " \"outputs\": [{\"var\": \"r\", \"binding\":"
    "     {\"promise\": {\"nodeId\": \"c\", \"var\": \"o0\"}}}]"
    "},"
    "\"connections\": {"
    " \"downstream\": {\"start-node\": {\"ids\": [\"a\", \"b\"]},"
    "   \"a\": {\"ids\": [\"c\"]}, \"b\": {\"ids\": [\"c\"]},"
    "   \"c\": {\"ids\": [\"end-node\"]}},"
    " \"upstream\": {\"a\": {\"ids\": [\"start-node\"]},"
    "   \"b\": {\"ids\": [\"start-node\"]}, \"c\": {\"ids\": [\"a\", \"b\"]},"
    "   \"end-node\": {\"ids\": [\"c\"]}}"
    "}}";

static int has_up(const struct leval_graph *g, const char *id, const char *up)
{
	size_t i = leval_graph_find(g, id), u = leval_graph_find(g, up), k;

	if (i == LEVAL_NONE || u == LEVAL_NONE)
		return 0;
	for (k = 0; k < g->nodes[i].nup; k++)
		if (g->nodes[i].up[k] == u)
			return 1;
	return 0;
}

static Flyteidl__Core__CompiledWorkflow *decode_wf(const char *json)
{
	ProtobufCMessage *m = NULL;
	char err[256];

	if (pbjson_decode(&flyteidl__core__compiled_workflow__descriptor, json,
	                  strlen(json), NULL, &A, &m, err, sizeof err) < 0) {
		tap_diag("decode: %s", err);
		return NULL;
	}
	return (Flyteidl__Core__CompiledWorkflow *)m;
}

static void check_diamond(const struct leval_graph *g, const char *how)
{
	size_t s, a, b, c, e;
	int st[8] = {0};

	s = leval_graph_find(g, "start-node");
	a = leval_graph_find(g, "a");
	b = leval_graph_find(g, "b");
	c = leval_graph_find(g, "c");
	e = leval_graph_find(g, "end-node");
	TAP_OK(g->n == 5 && s == g->start && e == g->end && a != LEVAL_NONE &&
	           b != LEVAL_NONE && c != LEVAL_NONE,
	       "%s: 5 nodes, start and end found", how);
	TAP_EQ_INT(leval_graph_find(g, "zz"), LEVAL_NONE, "%s: unknown id",
	           how);
	TAP_OK(g->nodes[c].nup == 2 && has_up(g, "c", "a") &&
	           has_up(g, "c", "b"),
	       "%s: c waits for a and b", how);
	TAP_OK(g->nodes[a].nup == 1 && has_up(g, "a", "start-node") &&
	           g->nodes[b].nup == 1 && has_up(g, "b", "start-node"),
	       "%s: a and b wait for start-node", how);
	TAP_OK(g->nodes[e].nup == 1 && has_up(g, "end-node", "c"),
	       "%s: end-node waits for c", how);
	TAP_OK(g->nodes[s].ndown == 2 && g->nodes[c].ndown == 1 &&
	           g->nodes[g->nodes[c].down[0]].id == g->nodes[e].id &&
	           g->nodes[e].ndown == 0 && g->nodes[s].nup == 0,
	       "%s: downstream lists", how);

	TAP_EQ_INT(leval_graph_ready(g, st, s), LEVAL_READY,
	           "%s: start-node is ready", how);
	TAP_EQ_INT(leval_graph_ready(g, st, a), LEVAL_NOT_READY,
	           "%s: a waits for start-node", how);
	st[s] = LEVAL_SUCCEEDED;
	TAP_OK(leval_graph_ready(g, st, a) == LEVAL_READY &&
	           leval_graph_ready(g, st, b) == LEVAL_READY,
	       "%s: a and b ready once start-node is done", how);
	TAP_EQ_INT(leval_graph_ready(g, st, c), LEVAL_NOT_READY,
	           "%s: c not ready", how);
	st[a] = LEVAL_SUCCEEDED;
	st[b] = LEVAL_RUNNING;
	TAP_EQ_INT(leval_graph_ready(g, st, c), LEVAL_NOT_READY,
	           "%s: c not ready while b runs", how);
	st[b] = LEVAL_SUCCEEDED;
	TAP_EQ_INT(leval_graph_ready(g, st, c), LEVAL_READY,
	           "%s: c ready once a and b succeeded", how);
	st[b] = LEVAL_SKIPPED;
	TAP_EQ_INT(leval_graph_ready(g, st, c), LEVAL_SKIP,
	           "%s: c skipped when b was", how);
	st[a] = LEVAL_PENDING;
	TAP_EQ_INT(leval_graph_ready(g, st, c), LEVAL_NOT_READY,
	           "%s: a pending beats b skipped", how);
	st[a] = LEVAL_FAILED;
	st[b] = LEVAL_SUCCEEDED;
	TAP_EQ_INT(leval_graph_ready(g, st, c), LEVAL_SKIP,
	           "%s: failed upstream skips too", how);
	st[c] = LEVAL_SUCCEEDED;
	TAP_EQ_INT(leval_graph_ready(g, st, e), LEVAL_READY,
	           "%s: end-node ready after c", how);
}

static void test_graph(void)
{
	Flyteidl__Core__CompiledWorkflow *wf = decode_wf(diamond_json), bare;
	Flyteidl__Core__WorkflowTemplate tmpl;
	Flyteidl__Core__LiteralMap *outm = NULL;
	struct leval_graph *g = NULL;
	char err[512];
	size_t i;
	int rc;

	TAP_OK(wf != NULL, "diamond decodes from JSON");
	if (!wf)
		return;
	rc = leval_graph_new(&A, wf, &g, err, sizeof err);
	TAP_EQ_INT(rc, 0, "graph of the compiled diamond");
	if (rc == 0)
		check_diamond(g, "compiled");

	/* the template alone: no connections, no sentinel nodes */
	tmpl = *wf->template_;
	tmpl.n_nodes = 0;
	tmpl.nodes = z(3 * sizeof *tmpl.nodes);
	for (i = 0; i < wf->template_->n_nodes; i++) {
		Flyteidl__Core__Node *nd = wf->template_->nodes[i];

		if (strcmp(nd->id, "start-node") && strcmp(nd->id, "end-node"))
			tmpl.nodes[tmpl.n_nodes++] = nd;
	}
	bare = *wf;
	bare.template_ = &tmpl;
	bare.connections = NULL;
	rc = leval_graph_new(&A, &bare, &g, err, sizeof err);
	TAP_EQ_INT(rc, 0, "graph of the bare template");
	if (rc == 0) {
		TAP_OK(g->nodes[g->start].node == NULL &&
		           g->nodes[g->end].node == NULL,
		       "bare: start-node and end-node are synthetic");
		check_diamond(g, "bare");
	}

	/* workflow outputs */
	setup_outputs();
	put_out("c", "o0", up_o0);
	rc = leval_outputs(&A, wf, lookup, NULL, &outm, err, sizeof err);
	TAP_OK(rc == 0 && outm->n_literals == 1 && map_val(outm, "r") == up_o0,
	       "workflow outputs resolve from c.o0");
	nouts = 0;
	rc = leval_outputs(&A, wf, lookup, NULL, &outm, err, sizeof err);
	TAP_EQ_STR(err, "workflow output [r]: output [c].[o0] not found",
	           "missing workflow output");

	/* a branch node: its cases' bindings make edges to the branch */
	{
		static const char json[] =
		    "{\"template\": {\"nodes\": ["
		    " {\"id\": \"n0\"},"
		    " {\"id\": \"n1\", \"inputs\": [{\"var\": \".x\", "
		    "\"binding\":"
		    "   {\"promise\": {\"nodeId\": \"start-node\", \"var\": "
		    "\"x\"}}}],"
		    "  \"branchNode\": {\"ifElse\": {"
		    "   \"case\": {\"condition\": {\"comparison\": "
		    "{\"operator\": \"GT\","
		    "      \"leftValue\": {\"var\": \".x\"},"
		    "      \"rightValue\": {\"primitive\": {\"integer\": "
		    "\"3\"}}}},"
		    "    \"thenNode\": {\"id\": \"n1-n0\", \"inputs\": "
		    "[{\"var\": \"a\","
		    "      \"binding\": {\"promise\": {\"nodeId\": \"n0\", "
		    "\"var\": \"o0\"}}}]}},"
		    "   \"elseNode\": {\"id\": \"n1-n1\", \"inputs\": "
		    "[{\"var\": \"a\","
		    "      \"binding\": {\"promise\": {\"nodeId\": \"n2\", "
		    "\"var\": \"o0\"}}}]}"
		    " }}},"
		    " {\"id\": \"n2\"}"
		    "]},"
		    "\"connections\": {\"upstream\": {"
		    "  \"n1-n0\": {\"ids\": [\"n1\", \"n0\"]}}}}";
		Flyteidl__Core__CompiledWorkflow *bw = decode_wf(json);
		const Flyteidl__Core__Node *chosen = NULL;
		const char *k[1] = {".x"};
		Flyteidl__Core__Literal *v[1] = {l_int(5)};
		size_t n1;
		int st[8] = {0};

		rc = bw ? leval_graph_new(&A, bw, &g, err, sizeof err) : -1;
		TAP_EQ_INT(rc, 0, "graph with a branch node");
		if (rc == 0) {
			n1 = leval_graph_find(g, "n1");
			TAP_EQ_INT(g->n, 5,
			           "branch: inner nodes are not graph nodes");
			TAP_EQ_INT(leval_graph_find(g, "n1-n0"), LEVAL_NONE,
			           "branch: n1-n0 not indexed");
			TAP_OK(
			    has_up(g, "n1", "start-node") &&
			        has_up(g, "n1", "n0") &&
			        has_up(g, "n1", "n2") && g->nodes[n1].nup == 3,
			    "branch: n1 waits for start-node, n0 (then) and n2 "
			    "(else)");
			TAP_OK(has_up(g, "n0", "start-node") &&
			           has_up(g, "n2", "start-node"),
			       "orphans hang from start-node");
			TAP_OK(has_up(g, "end-node", "n1") &&
			           g->nodes[g->end].nup == 1,
			       "the leaf feeds end-node");
			st[g->start] = LEVAL_SUCCEEDED;
			st[leval_graph_find(g, "n0")] = LEVAL_SUCCEEDED;
			TAP_EQ_INT(leval_graph_ready(g, st, n1),
			           LEVAL_NOT_READY,
			           "branch not ready until n2 done");
			st[leval_graph_find(g, "n2")] = LEVAL_SUCCEEDED;
			TAP_EQ_INT(leval_graph_ready(g, st, n1), LEVAL_READY,
			           "branch ready");
			rc = leval_branch(
			    g->nodes[n1].node->branch_node->if_else,
			    l_map(1, k, v)->map, &chosen, NULL, err,
			    sizeof err);
			TAP_OK(rc == 0 && chosen &&
			           strcmp(chosen->id, "n1-n0") == 0,
			       "decoded branch: .x = 5 > 3 takes n1-n0");
		}
	}

	/* errors */
	{
		Flyteidl__Core__CompiledWorkflow *ew;

		ew = decode_wf(
		    "{\"template\": {\"nodes\": [{\"id\": \"a\"}]},"
		    " \"connections\": {\"upstream\": {\"a\": {\"ids\":"
		    " [\"ghost\"]}}}}");
		rc = ew ? leval_graph_new(&A, ew, &g, err, sizeof err) : 0;
		TAP_EQ_INT(rc, -1, "unknown upstream fails");
		TAP_EQ_STR(err,
		           "Upstream node [ghost] of node [a] not defined "
		           "(connections)",
		           "unknown upstream error names both nodes");
		ew = decode_wf("{\"template\": {\"nodes\": [{\"id\": \"a\"},"
		               " {\"id\": \"b\", \"inputs\": [{\"var\": \"x\", "
		               "\"binding\": {\"promise\": {\"nodeId\": \"c\", "
		               "\"var\": \"o\"}}}]}]}}");
		rc = ew ? leval_graph_new(&A, ew, &g, err, sizeof err) : 0;
		TAP_EQ_STR(err,
		           "Upstream node [c] of node [b] not defined (input "
		           "binding)",
		           "binding to an unknown node fails");
		ew = decode_wf("{\"template\": {\"nodes\": [{\"id\": \"a\"},"
		               " {\"id\": \"a\"}]}}");
		rc = ew ? leval_graph_new(&A, ew, &g, err, sizeof err) : 0;
		TAP_EQ_STR(err, "node id [a] appears twice in the workflow",
		           "duplicate id fails");
		ew = decode_wf("{\"template\": {\"nodes\": [{\"id\": \"a\","
		               " \"upstreamNodeIds\": [\"b\"]}, {\"id\": \"b\","
		               " \"upstreamNodeIds\": [\"a\"]}]}}");
		rc = ew ? leval_graph_new(&A, ew, &g, err, sizeof err) : 0;
		TAP_OK(rc == -1 && strstr(err, "cycle detected"),
		       "cycle fails: %s", err);
	}
}

int main(void)
{
	test_bindings();
	test_attr_path();
	test_conditions();
	test_branch();
	test_graph();
	arena_drop();
	return tap_done();
}
