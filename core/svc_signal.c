/*
 * svc_signal.c -- the SignalService: GetOrCreateSignal, ListSignals and
 * SetSignal, the values gate nodes wait for (reference/flyteadmin-
 * behaviour.md §3.13; Flyte Admin's signal_manager.go, validation/
 * signal_validator.go and gormimpl/signal_repo.go).
 *
 * A signal row belongs to an execution and keeps its core.LiteralType
 * and, once set, its core.Literal, both serialized.  Flyte Admin's
 * checks and messages are kept ("missing signal_id", "failed to validate
 * that signal [x] exists ...", NotFound when SetSignal's update touches
 * no row); SetSignal overwrites any earlier value, as there.  Keel
 * differs where Flyte Admin fails obscurely:
 *   - GetOrCreateSignal of an unknown execution is NOT_FOUND naming it
 *     (Flyte Admin does not look; Keel's rows reference the execution);
 *   - GetOrCreateSignal of an existing signal with another type is
 *     INVALID_ARGUMENT naming both types.  Flyte Admin's FirstOrCreate
 *     matches on the type's bytes too and then fails on the key; Keel
 *     compares types by meaning (each castable to the other), because a
 *     Go client writes the Struct metadata of a dataclass type in any
 *     map order, and answers with the stored type when they agree.
 * ListSignals of an unknown execution is an empty list, as in Flyte
 * Admin (it filters on the execution's key).
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "flyteidl/admin/common.pb-c.h"
#include "flyteidl/admin/signal.pb-c.h"
#include "flyteidl/core/identifier.pb-c.h"
#include "littype.h"
#include "repo_list.h"
#include "svc.h"
#include "svc_exec.h"
#include "svc_list.h"
#include "svc_ver.h"
#include "util.h"

/* The column is VARCHAR(255); PostgreSQL would refuse longer ids. */
#define SVC_SIG_ID_MAX 255

typedef Flyteidl__Core__SignalIdentifier SigId;
typedef Flyteidl__Core__WorkflowExecutionIdentifier ExecId;

/* Filter and sort columns: Flyte Admin's signal model columns but the
 * type and value blobs.  The execution's key is constant over one
 * listing; it is whitelisted there, so it is here. */
#define SVC_SIG_EXEC_COL(c)                                                    \
	"(SELECT x." c " FROM executions x WHERE x.id = s.execution_id)"
static const struct filter_col svc_sig_cols[] = {
    {"signal", "signal_id", FILTER_TEXT, "s.signal_id"},
    {"signal", "created_at", FILTER_TIME, "s.created_at"},
    {"signal", "updated_at", FILTER_TIME, "s.updated_at"},
    {"signal", "execution_project", FILTER_TEXT, SVC_SIG_EXEC_COL("project")},
    {"signal", "execution_domain", FILTER_TEXT, SVC_SIG_EXEC_COL("domain")},
    {"signal", "execution_name", FILTER_TEXT, SVC_SIG_EXEC_COL("name")},
};

static int svc_sig_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* ValidateSignalIdentifier: execution_id, signal_id, then the
 * execution's parts.  0 or the call's error. */
static int svc_sig_check_id(struct call *c, const SigId *id)
{
	if (id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing id");
	if (id->execution_id == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing execution_id");
	if (svc_sig_empty(id->signal_id))
		return call_error(c, RPC_INVALID_ARGUMENT, "missing signal_id");
	if (strlen(id->signal_id) > SVC_SIG_ID_MAX)
		return call_error(
		    c, RPC_INVALID_ARGUMENT,
		    "signal_id is too long: %zu bytes (at most %d)",
		    strlen(id->signal_id), SVC_SIG_ID_MAX);
	return svc_exec_check_id(c, id->execution_id);
}

/* ------------------------------------------------------------------ */
/* One signal by key, and creating it                                  */
/* ------------------------------------------------------------------ */

struct svc_sig_key {
	struct arena *a;
	const ExecId *exec;
	const char *signal_id;
	const uint8_t *type; /* creating: the requested type */
	size_t type_len;
	int64_t now;
	/* What the lookup found. */
	int exec_found, found, nomem;
	int64_t exec_id, id;
	const uint8_t *stored_type, *value; /* value NULL: not set */
	size_t stored_type_len, value_len;
};

/* A copy of a blob column in a; NULL for SQL NULL. */
static const uint8_t *svc_sig_blob(struct arena *a, const struct keel_db_val *v,
                                   size_t *len, int *nomem)
{
	uint8_t *p;

	*len = 0;
	if (v->type != KEEL_DB_BLOB && v->type != KEEL_DB_TEXT)
		return NULL;
	p = arena_alloc(a, v->n ? v->n : 1);
	if (p == NULL) {
		*nomem = 1;
		return NULL;
	}
	if (v->n)
		memcpy(p, v->p, v->n);
	*len = v->n;
	return p;
}

static int svc_sig_key_row(void *arg, const struct keel_db_val *cols,
                           size_t ncols)
{
	struct svc_sig_key *x = arg;

	if (ncols < 4)
		return KEEL_EINTERNAL;
	x->exec_found = 1;
	x->exec_id = cols[0].i;
	if (cols[1].type == KEEL_DB_NULL)
		return 0;
	x->found = 1;
	x->id = cols[1].i;
	x->stored_type =
	    svc_sig_blob(x->a, &cols[2], &x->stored_type_len, &x->nomem);
	x->value = svc_sig_blob(x->a, &cols[3], &x->value_len, &x->nomem);
	return x->nomem ? KEEL_ENOMEM : 0;
}

/* The execution and, when it exists, the signal: one query, so an
 * unknown execution costs no second round trip. */
static int svc_sig_lookup(struct db_conn *dc, struct svc_sig_key *x,
                          struct keel_err *err)
{
	struct keel_db_val a[4] = {
	    db_str(x->signal_id),
	    db_str(x->exec->project),
	    db_str(x->exec->domain),
	    db_str(x->exec->name),
	};
	int rc;

	x->exec_found = x->found = x->nomem = 0;
	x->stored_type = x->value = NULL;
	rc = db_query(dc,
	              "SELECT e.id, s.id, s.type, s.value FROM executions e "
	              "LEFT JOIN signals s ON s.execution_id = e.id AND "
	              "s.signal_id = ? WHERE e.project = ? AND e.domain = ? "
	              "AND e.name = ?",
	              a, 4, svc_sig_key_row, x, err);
	if (rc == KEEL_ENOMEM)
		return keel_err_set(err, rc, "out of memory");
	return rc;
}

static int svc_sig_read_tx(struct db_conn *dc, void *arg, struct keel_err *err)
{
	return svc_sig_lookup(dc, arg, err);
}

static int svc_sig_create_tx(struct db_conn *dc, void *arg,
                             struct keel_err *err)
{
	struct svc_sig_key *x = arg;
	struct keel_db_val a[5];
	int rc;

	rc = svc_sig_lookup(dc, x, err);
	if (rc != 0 || !x->exec_found || x->found)
		return rc;
	a[0] = db_int(x->exec_id);
	a[1] = db_str(x->signal_id);
	a[2] = db_blob(x->type, x->type_len);
	a[3] = db_int(x->now);
	a[4] = db_int(x->now);
	rc = db_exec(dc,
	             "INSERT INTO signals (execution_id, signal_id, type, "
	             "value, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, "
	             "?)",
	             a, 5, NULL, err);
	/* Another writer created it since the lookup.  PostgreSQL has
	 * aborted this transaction, so rather than read on, run it again:
	 * the rerun's lookup finds the winner's row. */
	if (rc == KEEL_EEXIST)
		return keel_err_set(err, KEEL_EAGAIN,
		                    "signal [%s] was created concurrently",
		                    x->signal_id);
	if (rc != 0)
		return rc;
	x->found = 1;
	x->stored_type = x->type;
	x->stored_type_len = x->type_len;
	return 0;
}

/* The row as an admin.Signal; NULL with the call's error. */
static Flyteidl__Admin__Signal *
svc_sig_msg(struct call *c, const ExecId *exec, const char *signal_id,
            const uint8_t *type, size_t type_len, const uint8_t *value,
            size_t value_len)
{
	Flyteidl__Admin__Signal *s =
	    call_new(c, &flyteidl__admin__signal__descriptor);
	SigId *id = call_new(c, &flyteidl__core__signal_identifier__descriptor);
	char *sid = arena_strdup(c->arena, signal_id);

	if (s == NULL || id == NULL || sid == NULL) {
		call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	id->signal_id = sid;
	id->execution_id = (ExecId *)exec;
	s->id = id;
	s->type = svc_unpack(c, &flyteidl__core__literal_type__descriptor, type,
	                     type_len, "signal type");
	if (s->type == NULL)
		return NULL;
	if (value != NULL) {
		s->value = svc_unpack(c, &flyteidl__core__literal__descriptor,
		                      value, value_len, "signal value");
		if (s->value == NULL)
			return NULL;
	}
	return s;
}

/* 1 when the stored type is the requested one: the same bytes, or each
 * castable to the other (serializing a type is not canonical). */
static int svc_sig_same_type(const Flyteidl__Core__LiteralType *stored,
                             const uint8_t *sp, size_t sn,
                             const Flyteidl__Core__LiteralType *req,
                             const uint8_t *rp, size_t rn)
{
	if (sn == rn && (sn == 0 || memcmp(sp, rp, sn) == 0))
		return 1;
	return littype_castable(stored, req, NULL, 0) &&
	       littype_castable(req, stored, NULL, 0);
}

static int svc_signal_get_or_create(struct call *c, const ProtobufCMessage *req,
                                    ProtobufCMessage **resp)
{
	const Flyteidl__Admin__SignalGetOrCreateRequest *r =
	    (const Flyteidl__Admin__SignalGetOrCreateRequest *)req;
	struct svc_sig_key x = {c->arena};
	struct keel_err err = {0};
	Flyteidl__Admin__Signal *s;
	const ExecId *e;
	int rc;

	rc = svc_sig_check_id(c, r->id);
	if (rc != 0)
		return rc;
	if (r->type == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing type");
	e = r->id->execution_id;
	x.exec = e;
	x.signal_id = r->id->signal_id;
	x.type = svc_pack(c, &r->type->base, &x.type_len);
	x.now = util_now_ms();
	if (x.type == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	/* Propeller asks again on every round of a waiting gate node: an
	 * existing signal is read without taking the write path. */
	rc = db_tx(c->svc->db, KEEL_DB_TX_READ, svc_sig_read_tx, &x, &err);
	if (rc == 0 && x.exec_found && !x.found)
		rc = db_tx(c->svc->db, KEEL_DB_TX_WRITE, svc_sig_create_tx, &x,
		           &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	if (!x.exec_found)
		return call_error(c, RPC_NOT_FOUND,
		                  "execution not found: [%s/%s/%s]", e->project,
		                  e->domain, e->name);
	s = svc_sig_msg(c, e, x.signal_id, x.stored_type, x.stored_type_len,
	                x.value, x.value_len);
	if (s == NULL)
		return -c->code;
	if (!svc_sig_same_type(s->type, x.stored_type, x.stored_type_len,
	                       r->type, x.type, x.type_len)) {
		char have[256], want[256];

		littype_describe(s->type, have, sizeof(have));
		littype_describe(r->type, want, sizeof(want));
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "signal [%s] of execution [%s/%s/%s] exists "
		                  "with type [%s], not the requested type [%s]",
		                  x.signal_id, e->project, e->domain, e->name,
		                  have, want);
	}
	*resp = &s->base;
	return 0;
}

/* ------------------------------------------------------------------ */
/* SetSignal                                                           */
/* ------------------------------------------------------------------ */

struct svc_sig_set {
	int64_t id, now;
	const uint8_t *value;
	size_t value_len;
};

static int svc_sig_set_tx(struct db_conn *dc, void *arg, struct keel_err *err)
{
	struct svc_sig_set *u = arg;
	struct keel_db_val a[3] = {
	    db_blob(u->value, u->value_len),
	    db_int(u->now),
	    db_int(u->id),
	};
	int64_t changed = 0;
	int rc;

	rc = db_exec(dc,
	             "UPDATE signals SET value = ?, updated_at = ? WHERE "
	             "id = ?",
	             a, 3, &changed, err);
	if (rc != 0)
		return rc;
	if (changed == 0)
		return keel_err_set(err, KEEL_ENOTFOUND,
		                    "signal does not exist");
	return 0;
}

static int svc_signal_set(struct call *c, const ProtobufCMessage *req,
                          ProtobufCMessage **resp)
{
	const Flyteidl__Admin__SignalSetRequest *r =
	    (const Flyteidl__Admin__SignalSetRequest *)req;
	struct svc_sig_key x = {c->arena};
	struct svc_sig_set u = {0};
	struct keel_err err = {0};
	Flyteidl__Core__LiteralType *type;
	const ExecId *e;
	char why[512];
	int rc;

	rc = svc_sig_check_id(c, r->id);
	if (rc != 0)
		return rc;
	if (r->value == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT, "missing value");
	e = r->id->execution_id;
	x.exec = e;
	x.signal_id = r->id->signal_id;
	rc = db_tx(c->svc->db, KEEL_DB_TX_READ, svc_sig_read_tx, &x, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	if (!x.found)
		return call_error(
		    c, RPC_INVALID_ARGUMENT,
		    "failed to validate that signal [%s] exists for "
		    "execution [%s/%s/%s]",
		    x.signal_id, e->project, e->domain, e->name);
	type = svc_unpack(c, &flyteidl__core__literal_type__descriptor,
	                  x.stored_type, x.stored_type_len, "signal type");
	if (type == NULL)
		return -c->code;
	if (!littype_instance_of(r->value, type, why, sizeof(why))) {
		char t[256];

		littype_describe(type, t, sizeof(t));
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "requested signal value is not castable to "
		                  "existing signal type [%s]: %s",
		                  t, why);
	}
	u.id = x.id;
	u.now = util_now_ms();
	u.value = svc_pack(c, &r->value->base, &u.value_len);
	if (u.value == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	/* A signal's type never changes, so the value checked above still
	 * fits when the update runs; a later value simply wins. */
	rc = db_tx(c->svc->db, KEEL_DB_TX_WRITE, svc_sig_set_tx, &u, &err);
	if (rc != 0)
		return call_fail(c, rc, err.msg);
	*resp = call_new(c, &flyteidl__admin__signal_set_response__descriptor);
	return *resp ? 0
	             : call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
}

/* ------------------------------------------------------------------ */
/* ListSignals                                                         */
/* ------------------------------------------------------------------ */

struct svc_sig_list_ctx {
	struct call *c;
	const ExecId *exec;
	Flyteidl__Admin__Signal **v;
	size_t n, cap;
	int failed;
};

static int svc_sig_list_row(void *arg, const struct keel_db_val *cols,
                            size_t ncols)
{
	struct svc_sig_list_ctx *x = arg;
	const char *sid;
	const uint8_t *type, *value;
	size_t type_len, value_len;
	int nomem = 0;
	Flyteidl__Admin__Signal *s;

	if (cols == NULL) {
		x->n = 0; /* the read starts over */
		return 0;
	}
	if (ncols < 3)
		return KEEL_EINTERNAL;
	sid = db_col_text(x->c->arena, &cols[0], &nomem);
	type = svc_sig_blob(x->c->arena, &cols[1], &type_len, &nomem);
	value = svc_sig_blob(x->c->arena, &cols[2], &value_len, &nomem);
	if (nomem)
		return KEEL_ENOMEM;
	s = svc_sig_msg(x->c, x->exec, sid, type, type_len, value, value_len);
	if (s == NULL) {
		x->failed = 1;
		return KEEL_EINTERNAL;
	}
	x->v = arena_grow(x->c->arena, x->v, x->n, &x->cap, sizeof(*x->v));
	if (x->v == NULL)
		return KEEL_ENOMEM;
	x->v[x->n++] = s;
	return 0;
}

static int svc_signal_list(struct call *c, const ProtobufCMessage *req,
                           ProtobufCMessage **resp)
{
	const Flyteidl__Admin__SignalListRequest *r =
	    (const Flyteidl__Admin__SignalListRequest *)req;
	struct svc_list_req lr = {"ListSignals"};
	struct repo_list q = {0};
	struct svc_sig_list_ctx x = {c};
	struct filter f;
	struct svc_page page;
	struct keel_db_val args[3];
	Flyteidl__Admin__SignalList *out;
	const ExecId *e = r->workflow_execution_id;
	size_t n = 0;
	int rc;

	if (e == NULL)
		return call_error(c, RPC_INVALID_ARGUMENT,
		                  "missing execution_id");
	rc = svc_exec_check_id(c, e);
	if (rc != 0)
		return rc;
	lr.limit = r->limit;
	lr.filters = r->filters;
	lr.sort_by = r->sort_by;
	lr.token = r->token;
	lr.cols = svc_sig_cols;
	lr.ncols = UTIL_ARRAY_LEN(svc_sig_cols);
	lr.primary = "signal";
	lr.joined = NULL;
	lr.default_sort = "created_at";
	lr.default_asc = 0;
	rc = svc_list_prepare(c, &lr, &q, &f, &page);
	if (rc != 0)
		return rc;
	args[0] = db_str(e->project);
	args[1] = db_str(e->domain);
	args[2] = db_str(e->name);
	q.select = "s.signal_id, s.type, s.value";
	q.from = "signals s";
	/* An unknown execution lists nothing, as in Flyte Admin. */
	q.where = "s.execution_id = (SELECT e.id FROM executions e WHERE "
	          "e.project = ? AND e.domain = ? AND e.name = ?)";
	q.args = args;
	q.nargs = 3;
	q.id_sql = "s.id";
	x.exec = e;
	out = call_new(c, &flyteidl__admin__signal_list__descriptor);
	if (out == NULL)
		return call_error(c, RPC_RESOURCE_EXHAUSTED, "out of memory");
	rc = svc_list_exec(c, &lr, &q, &page, svc_sig_list_row, &x, &n,
	                   &out->token);
	if (rc != 0)
		return x.failed ? call_error(c, RPC_INTERNAL,
		                             "stored signal does not decode")
		                : rc;
	out->signals = x.v;
	out->n_signals = x.n;
	*resp = &out->base;
	return 0;
}

const struct svc_route svc_signal_routes[] = {
    {"/flyteidl.service.SignalService/GetOrCreateSignal",
     svc_signal_get_or_create},
    {"/flyteidl.service.SignalService/ListSignals", svc_signal_list},
    {"/flyteidl.service.SignalService/SetSignal", svc_signal_set},
    {NULL, NULL},
};
