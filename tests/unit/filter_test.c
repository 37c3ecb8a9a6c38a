/*
 * filter_test.c -- the filter grammar compiled to bound SQL.
 */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "filter.h"
#include "tap.h"
#include "util.h"

static const struct filter_col cols[] = {
	{"execution", "phase", FILTER_TEXT, "e.phase"},
	{"execution", "state", FILTER_INT, "e.state"},
	{"launch_plan", "name", FILTER_TEXT, "lp.name"},
	{"task", "name", FILTER_TEXT, "t.name"},
};
static const char *const entities[] = {"execution", "launch_plan", NULL};

static int parse(struct arena *a, const char *text, struct filter *f,
                 char *err, size_t errlen)
{
	return filter_parse(a, text, cols, UTIL_ARRAY_LEN(cols), "execution",
	                    entities, f, err, errlen);
}

int main(void)
{
	struct arena *a = arena_new(0);
	struct filter f;
	char err[512];
	int rc;

	rc = parse(a, "", &f, err, sizeof(err));
	TAP_OK(rc == 0 && strcmp(f.sql, "") == 0 && f.nargs == 0, "empty");
	rc = parse(a, "eq(phase,SUCCEEDED)", &f, err, sizeof(err));
	TAP_OK(rc == 0 && strcmp(f.sql, "(e.phase = ?)") == 0 && f.nargs == 1 &&
	           f.args[0].type == KEEL_DB_TEXT && f.args[0].n == 9,
	       "eq: %s", f.sql);
	rc = parse(a, "eq(execution.phase, RUNNING)+gte(state,1)", &f, err,
	           sizeof(err));
	TAP_OK(rc == 0 &&
	           strcmp(f.sql, "(e.phase = ?) AND (e.state >= ?)") == 0 &&
	           f.nargs == 2 && f.args[1].type == KEEL_DB_INT &&
	           f.args[1].i == 1,
	       "two expressions, optional space, typed int: %s", f.sql);
	rc = parse(a, "value_in(phase,RUNNING;FAILED;SUCCEEDED)", &f, err,
	           sizeof(err));
	TAP_OK(rc == 0 && strcmp(f.sql, "(e.phase IN (?, ?, ?))") == 0 &&
	           f.nargs == 3,
	       "value_in list: %s", f.sql);
	rc = parse(a, "value_not_in(launch_plan.name,a)", &f, err, sizeof(err));
	TAP_OK(rc == 0 && strcmp(f.sql, "(lp.name NOT IN (?))") == 0,
	       "joined entity, one-element list");
	rc = parse(a, "contains(phase,50%_x)", &f, err, sizeof(err));
	TAP_OK(rc == 0 && strcmp(f.sql, "(e.phase LIKE ? ESCAPE '\\')") == 0 &&
	           f.args[0].n == 9 &&
	           memcmp(f.args[0].p, "%50\\%\\_x%", 9) == 0,
	       "contains escapes wildcards");
	rc = parse(a, "not_like(phase,RUN%)", &f, err, sizeof(err));
	TAP_OK(rc == 0 && memcmp(f.args[0].p, "RUN%", 4) == 0,
	       "not_like keeps the pattern verbatim");
	rc = parse(a, "eq(phase,a,b)", &f, err, sizeof(err));
	TAP_OK(rc == 0 && f.args[0].n == 3, "value runs to the last ')'");

	rc = parse(a, "foo(phase,x)", &f, err, sizeof(err));
	TAP_EQ_INT(rc, KEEL_EINVAL, "unknown function");
	TAP_HAS_STR(err, "unrecognized filter function: foo", "message");
	rc = parse(a, "eq(nope,1)", &f, err, sizeof(err));
	TAP_HAS_STR(err, "'execution.nope' is invalid filter", "unknown field");
	rc = parse(a, "eq(task.name,x)", &f, err, sizeof(err));
	TAP_HAS_STR(err, "'task' entity is not allowed in filters",
	            "entity not joinable here");
	rc = parse(a, "eq(state,one)", &f, err, sizeof(err));
	TAP_HAS_STR(err, "invalid value 'one' for filter field execution.state",
	            "integer column needs an integer");
	rc = parse(a, "phase=RUNNING", &f, err, sizeof(err));
	TAP_HAS_STR(err, "invalid value for filters", "not func(field,value)");
	rc = parse(a, "eq(phase,x)+", &f, err, sizeof(err));
	TAP_HAS_STR(err, "empty expression", "dangling '+'");
	rc = parse(a, "eq(phase,x)y", &f, err, sizeof(err));
	TAP_EQ_INT(rc, KEEL_EINVAL, "text after ')'");
	rc = parse(a, "eq(,x)", &f, err, sizeof(err));
	TAP_EQ_INT(rc, KEEL_EINVAL, "empty field");
	arena_free(a);
	return tap_done();
}
