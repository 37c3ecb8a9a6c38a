/*
 * filter.h -- Flyte Admin's list filter grammar, compiled to bound SQL.
 *
 *   filters := expr ('+' expr)*
 *   expr    := func '(' field ',' [' '] value ')'
 *   func    := eq | ne | gt | gte | lt | lte | contains | not_like
 *            | value_in | value_not_in
 *   field   := [entity '.'] column
 *   value   := text, or for value_in/value_not_in a ';'-separated list
 *
 * Fields are checked against a whitelist of columns per entity; values are
 * always bound parameters, never spliced into SQL.  Messages match Flyte
 * Admin's ("unrecognized filter function: X", "'e.f' is invalid filter",
 * "'e' entity is not allowed in filters").
 */
#ifndef KEEL_CORE_FILTER_H
#define KEEL_CORE_FILTER_H

#include <stddef.h>

#include <keel/keel_db.h>

struct arena;

#define FILTER_TEXT 1
#define FILTER_INT 2

struct filter_col {
	const char *entity; /* "project" */
	const char *name;   /* the column as users write it: "state" */
	int type;           /* FILTER_TEXT or FILTER_INT */
	const char *sql;    /* the SQL expression: "projects.state" */
};

struct filter {
	const char *sql; /* "(a = ?) AND (b IN (?, ?))", "" when empty */
	struct keel_db_val *args;
	size_t nargs;
	size_t nexprs;
};

/*
 * Parse text against cols (ncols entries).  primary is the entity a bare
 * field refers to; entities lists the entities this list may reference
 * (NULL-terminated).  Everything is allocated from a.  Returns 0, or
 * KEEL_EINVAL with the message in err.
 */
int filter_parse(struct arena *a, const char *text,
                 const struct filter_col *cols, size_t ncols,
                 const char *primary, const char *const *entities,
                 struct filter *out, char *err, size_t errlen);

#endif
