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
#include <stdint.h>

#include <keel/keel_db.h>

struct arena;

#define FILTER_TEXT 1
#define FILTER_INT 2
/* Unix ms; values are RFC 3339 times ("2024-01-01T00:00:00Z") or ms. */
#define FILTER_TIME 3
/* ms; values are seconds ("60", "1.5") or Go durations ("1h30m"), as
 * Flyte Admin reads duration filters. */
#define FILTER_DURATION 4

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
	/* Entities other than the primary one that the filters name, so a
	 * list joins only the tables it needs (pointers into entities). */
	const char *used[8];
	size_t nused;
	/* The columns named, in order (one per expression). */
	const struct filter_col *cols[32];
	size_t ncols;
};

/* 1 when f names entity e; 1 when it names primary's column name. */
int filter_uses(const struct filter *f, const char *e);
int filter_uses_col(const struct filter *f, const char *name);

/* Parse an RFC 3339 time (with 'Z' or a +hh:mm offset, optional
 * fraction) into Unix ms; 0 or -1. */
int filter_parse_time(const char *s, int64_t *ms);
/* Seconds or a Go duration into ms; 0 or -1. */
int filter_parse_duration(const char *s, int64_t *ms);

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
