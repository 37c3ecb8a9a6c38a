/*
 * repo_suite.c -- the repository suite: the core's project repository over
 * a real db driver.  Every db driver must pass it (KEEL_TEST_DB selects the
 * driver; see tests/common/testdb.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "filter.h"
#include "repo_project.h"
#include "tap.h"
#include "testdb.h"

static Flyteidl__Admin__Project *mkproj(struct arena *a, const char *id,
                                        const char *name, const char *desc)
{
	Flyteidl__Admin__Project *p = arena_alloc(a, sizeof(*p));

	flyteidl__admin__project__init(p);
	p->id = (char *)id;
	p->name = (char *)name;
	p->description = (char *)desc;
	return p;
}

struct thread_arg {
	struct db *db;
	int t;
	int failures;
};

static void *creator(void *arg)
{
	struct thread_arg *x = arg;
	struct arena *a = arena_new(0);

	for (int i = 0; i < 25; i++) {
		char id[32];
		struct keel_err err = {0};
		snprintf(id, sizeof(id), "conc-%d-%02d", x->t, i);
		if (repo_project_create(x->db, mkproj(a, id, "c", ""), &err) != 0)
			x->failures++;
	}
	arena_free(a);
	return NULL;
}

/* Walk every page of a listing, checking order and uniqueness. */
static int walk(struct db *db, struct arena *a, const char *col, int asc,
                uint32_t limit, int keyset, char ids[][32], size_t max)
{
	struct repo_project_query q = {.limit = limit, .sort_col = col,
	                               .ascending = asc, .offset = 0};
	size_t total = 0;

	for (int guard = 0; guard < 1000; guard++) {
		Flyteidl__Admin__Project **rows;
		struct keel_db_val lv;
		const char *lid;
		struct keel_err err = {0};
		size_t n;
		int more;
		if (repo_project_list(db, a, &q, &rows, &n, &more, &lv, &lid,
		                      &err) != 0)
			return -1;
		for (size_t i = 0; i < n && total < max; i++)
			snprintf(ids[total++], 32, "%s", rows[i]->id);
		if (!more)
			return (int)total;
		if (keyset) {
			q.have_after = 1;
			q.after_val = lv;
			q.after_id = lid;
			q.offset = -1;
		} else {
			q.offset += (int64_t)n;
		}
	}
	return -1;
}

/* Rows a filter over projects selects (archived ones included). */
static int count_filtered(struct db *db, struct arena *a, const char *text)
{
	static const char *const entities[] = {"project", NULL};
	struct repo_project_query q = {.limit = 1000, .sort_col = "identifier",
	                               .ascending = 1, .include_archived = 1,
	                               .offset = 0};
	Flyteidl__Admin__Project **rows;
	struct keel_db_val lv;
	struct filter f;
	struct keel_err err = {0};
	const char *lid;
	char msg[256];
	size_t n;
	int more;

	if (filter_parse(a, text, repo_project_filter_cols,
	                 repo_project_filter_ncols, "project", entities, &f, msg,
	                 sizeof(msg)) != 0)
		return -1;
	q.filter_sql = f.sql;
	q.filter_args = f.args;
	q.filter_nargs = f.nargs;
	if (repo_project_list(db, a, &q, &rows, &n, &more, &lv, &lid, &err))
		return -1;
	return (int)n;
}

/* What must not depend on the engine: text is compared byte for byte
 * (PostgreSQL's and MySQL's utf8mb4_bin behaviour, and Flyte Admin's on
 * PostgreSQL), and any UTF-8 round-trips, four-byte sequences too. */
static void engine_semantics(struct testdb *t, struct arena *a)
{
	static const char uni[] = "na\xc3\xafve \xe2\x80\x94 \xe6\x9d\xb1"
	                          "\xe4\xba\xac \xf0\x9f\x9a\x80";
	char desc[301 * 3];
	struct keel_err err = {0};
	Flyteidl__Admin__Project *got;
	int rc;

	TAP_EQ_INT(count_filtered(t->db, a, "contains(name,Alpha)"), 1,
	           "%s: contains(name,Alpha) finds 'Alpha 2'", t->driver);
	TAP_EQ_INT(count_filtered(t->db, a, "contains(name,alpha)"), 0,
	           "%s: contains is case-sensitive, as on Flyte Admin",
	           t->driver);
	TAP_EQ_INT(count_filtered(t->db, a, "eq(name,ALPHA 2)"), 0,
	           "%s: so is eq", t->driver);
	TAP_EQ_INT(count_filtered(t->db, a, "contains(name,%)"), 0,
	           "%s: a %% in a contains value is a literal", t->driver);

	rc = repo_project_create(t->db, mkproj(a, "uni", "Uni", uni), &err);
	TAP_EQ_INT(rc, 0, "%s: UTF-8 with a 4-byte character stored (%s)",
	           t->driver, err.msg);
	rc = repo_project_get(t->db, a, "uni", &got, &err);
	TAP_OK(rc == 0 && strcmp(got->description, uni) == 0,
	       "%s: and read back byte for byte", t->driver);
	/* 300 characters of two bytes each: the limit counts characters on
	 * every engine. */
	for (int i = 0; i < 300; i++)
		memcpy(desc + 2 * i, "\xc3\xa9", 2);
	desc[600] = '\0';
	rc = repo_project_create(t->db, mkproj(a, "wide", "Wide", desc), &err);
	TAP_EQ_INT(rc, 0, "%s: a 300-character description of 600 bytes fits "
	                  "(%s)",
	           t->driver, err.msg);
	rc = repo_project_get(t->db, a, "wide", &got, &err);
	TAP_OK(rc == 0 && strcmp(got->description, desc) == 0,
	       "%s: and comes back whole", t->driver);
}

int main(void)
{
	struct testdb t;
	struct keel_err err = {0};
	char msg[1024];
	struct arena *a;
	Flyteidl__Admin__Project *p, *got;
	int rc;

	rc = testdb_open(&t, 4, msg, sizeof(msg));
	if (rc == KEEL_ENOTFOUND)
		return tap_skip_all(msg);
	if (!TAP_OK(rc == 0, "open %s database (%s)", t.driver,
	            rc ? msg : "ok"))
		return tap_done();
	a = arena_new(0);

	/* Create / get round trip with labels. */
	p = mkproj(a, "alpha", "Alpha", "the first");
	{
		static Flyteidl__Admin__Labels labels =
		    FLYTEIDL__ADMIN__LABELS__INIT;
		static Flyteidl__Admin__Labels__ValuesEntry e1 =
		    FLYTEIDL__ADMIN__LABELS__VALUES_ENTRY__INIT;
		static Flyteidl__Admin__Labels__ValuesEntry *ev[1] = {&e1};
		e1.key = (char *)"team";
		e1.value = (char *)"ml";
		labels.n_values = 1;
		labels.values = ev;
		p->labels = &labels;
	}
	rc = repo_project_create(t.db, p, &err);
	TAP_EQ_INT(rc, 0, "create alpha (%s)", err.msg);
	rc = repo_project_get(t.db, a, "alpha", &got, &err);
	TAP_OK(rc == 0 && strcmp(got->name, "Alpha") == 0 &&
	           strcmp(got->description, "the first") == 0 &&
	           got->state == 0,
	       "get alpha back");
	TAP_OK(rc == 0 && got->labels && got->labels->n_values == 1 &&
	           strcmp(got->labels->values[0]->key, "team") == 0 &&
	           strcmp(got->labels->values[0]->value, "ml") == 0,
	       "labels round trip");

	memset(&err, 0, sizeof(err));
	rc = repo_project_create(t.db, mkproj(a, "alpha", "Other", ""), &err);
	TAP_EQ_INT(rc, KEEL_EEXIST, "duplicate id is EEXIST");
	TAP_HAS_STR(err.msg, "project with id [alpha] already exists",
	            "duplicate message");
	rc = repo_project_get(t.db, a, "alpha", &got, &err);
	TAP_OK(rc == 0 && strcmp(got->name, "Alpha") == 0,
	       "failed duplicate changed nothing");

	memset(&err, 0, sizeof(err));
	rc = repo_project_get(t.db, a, "nope", &got, &err);
	TAP_EQ_INT(rc, KEEL_ENOTFOUND, "missing is ENOTFOUND");
	TAP_HAS_STR(err.msg, "project [nope] not found", "not-found message");

	/* Update semantics: state always, other fields when non-empty. */
	p = mkproj(a, "alpha", "", "");
	p->state = FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ARCHIVED;
	rc = repo_project_update(t.db, p, &err);
	TAP_EQ_INT(rc, 0, "archive alpha");
	rc = repo_project_get(t.db, a, "alpha", &got, &err);
	TAP_OK(rc == 0 && got->state == 1 && strcmp(got->name, "Alpha") == 0 &&
	           strcmp(got->description, "the first") == 0 && got->labels,
	       "archiving kept name, description and labels");
	p = mkproj(a, "alpha", "Alpha 2", "");
	rc = repo_project_update(t.db, p, &err);
	rc = repo_project_get(t.db, a, "alpha", &got, &err);
	TAP_OK(rc == 0 && got->state == 0 && strcmp(got->name, "Alpha 2") == 0,
	       "rename and activate");
	memset(&err, 0, sizeof(err));
	rc = repo_project_update(t.db, mkproj(a, "ghost", "g", ""), &err);
	TAP_EQ_INT(rc, KEEL_ENOTFOUND, "update of a missing project");

	/* Listing. */
	{
		static const char *ids[] = {"p03", "p01", "p05", "p02", "p04"};
		for (size_t i = 0; i < 5; i++) {
			char name[16];
			snprintf(name, sizeof(name), "N%zu", 5 - i);
			rc = repo_project_create(
			    t.db, mkproj(a, ids[i], arena_strdup(a, name), ""),
			    &err);
		}
		p = mkproj(a, "p02", "", "");
		p->state = FLYTEIDL__ADMIN__PROJECT__PROJECT_STATE__ARCHIVED;
		repo_project_update(t.db, p, &err);
	}
	{
		char got_ids[64][32];
		int n = walk(t.db, a, "identifier", 1, 100, 1, got_ids, 64);
		TAP_EQ_INT(n, 5, "default view hides the archived project");
		TAP_OK(n == 5 && strcmp(got_ids[0], "alpha") == 0 &&
		           strcmp(got_ids[1], "p01") == 0 &&
		           strcmp(got_ids[4], "p05") == 0,
		       "sorted by identifier ascending");
		n = walk(t.db, a, "name", 0, 2, 1, got_ids, 64);
		TAP_EQ_INT(n, 5, "keyset pages by name descending cover all");
		TAP_OK(n == 5 && strcmp(got_ids[0], "p03") == 0 &&
		           strcmp(got_ids[4], "alpha") == 0,
		       "name descending order (N5..N1, then 'Alpha 2')");
	}
	/* Many rows, every page size, keyset and offset agree. */
	{
		struct thread_arg ta[4];
		pthread_t th[4];
		char k1[256][32], k2[256][32];
		int fails = 0, n1, n2, same = 1;
		for (int i = 0; i < 4; i++) {
			ta[i] = (struct thread_arg){.db = t.db, .t = i};
			pthread_create(&th[i], NULL, creator, &ta[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			fails += ta[i].failures;
		}
		TAP_EQ_INT(fails, 0, "4 threads x 25 concurrent creates succeed");
		for (uint32_t ps = 1; ps <= 13; ps += 4) {
			n1 = walk(t.db, a, "identifier", 1, ps, 1, k1, 256);
			n2 = walk(t.db, a, "identifier", 1, ps, 0, k2, 256);
			same = n1 == 105 && n2 == 105;
			for (int i = 0; same && i < n1; i++)
				same = strcmp(k1[i], k2[i]) == 0 &&
				       (i == 0 || strcmp(k1[i - 1], k1[i]) < 0);
			TAP_OK(same, "page size %u: keyset and offset walks "
			             "return the same 105 rows in order (%d, %d)",
			       ps, n1, n2);
		}
		n1 = walk(t.db, a, "created_at", 0, 7, 1, k1, 256);
		TAP_EQ_INT(n1, 105, "keyset over an integer column");
	}
	{
		struct repo_project_query q = {.limit = 5, .sort_col = "bogus"};
		Flyteidl__Admin__Project **rows;
		struct keel_db_val lv;
		const char *lid;
		size_t n;
		int more;
		rc = repo_project_list(t.db, a, &q, &rows, &n, &more, &lv, &lid,
		                       &err);
		TAP_EQ_INT(rc, KEEL_EINVAL, "unknown sort column refused");
	}
	engine_semantics(&t, a);
	arena_free(a);
	testdb_close(&t);
	return tap_done();
}
