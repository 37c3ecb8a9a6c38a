/*
 * littype.h -- Flyte type questions: may this output feed that input, is
 * this value an instance of that type, and how to print a type.
 *
 * The rules are flytepropeller's compiler type checkers as of flyteidl
 * v1.16.5 (pkg/compiler/validators/typing.go and utils.go): exact match
 * for simple types, enum <-> string, none only into none, structured
 * datasets and unions, element-wise collections and maps, blob formats,
 * schema/structured-dataset column subsets, structure tags and the
 * dataclass (STRUCT) JSON-schema rule.  Flyte's surprises are kept on
 * purpose because clients depend on them; littype.c says where.
 *
 * Everything here is pure: no allocation, no global state, safe from any
 * thread.  Arguments are borrowed and only read; any may be NULL.  Reasons
 * go to a caller-supplied buffer (why, may be NULL), always
 * NUL-terminated when whylen > 0, silently truncated, and set to "" on
 * success.
 *
 * Hostile input is bounded: nesting deeper than LITTYPE_MAX_DEPTH and
 * checks costing more than LITTYPE_MAX_STEPS steps (unions of unions
 * multiply) are refused with a reason saying so.
 */
#ifndef KEEL_CORE_LITTYPE_H
#define KEEL_CORE_LITTYPE_H

#include <stddef.h>

#include "flyteidl/core/literals.pb-c.h"
#include "flyteidl/core/types.pb-c.h"

/* Deepest nesting of types (and of values) looked at. */
#define LITTYPE_MAX_DEPTH 64
/* Most checker steps one call may take. */
#define LITTYPE_MAX_STEPS (1L << 22)

/* 1 if a value of type `from` (an upstream output) may bind to `to` (a
 * downstream input), else 0 with a one-line reason such as "expected
 * integer, got string" or "collection element: missing type".  A NULL
 * type (a Variable without one) is never castable: "missing type". */
int littype_castable(const Flyteidl__Core__LiteralType *from,
                     const Flyteidl__Core__LiteralType *to, char *why,
                     size_t whylen);

/* 1 if `lit` is a valid instance of `t` (launch-plan default and fixed
 * inputs, execution inputs), else 0 with a reason naming the place in the
 * value: "element 3: expected integer, got string", `key "b": ...`. */
int littype_instance_of(const Flyteidl__Core__Literal *lit,
                        const Flyteidl__Core__LiteralType *t, char *why,
                        size_t whylen);

/* Type text for messages: "integer", "collection<string>",
 * "map<string, float>", "blob(csv, single)", "union{integer | none}",
 * "enum{red, green}", "schema", "structured_dataset(parquet)".  Like
 * snprintf: buf gets at most len bytes, NUL-terminated when len > 0, and
 * the return value is the length it wanted (without the NUL). */
size_t littype_describe(const Flyteidl__Core__LiteralType *t, char *buf,
                        size_t len);

#endif
