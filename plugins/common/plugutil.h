/*
 * plugutil.h -- small helpers the first-party plugins share.
 *
 * Compiled into each plugin (and the local executor's agent) as a
 * convenience library with hidden visibility, so a plugin still exports
 * its entry symbol alone and links nothing of the core.  Prefix pu_.
 * Nothing here allocates or keeps state.
 */
#ifndef KEEL_PLUGUTIL_H
#define KEEL_PLUGUTIL_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64 bit, of a NUL-terminated string: the statement caches' key
 * hash (a filter before strcmp, not a security boundary). */
uint64_t pu_fnv1a64(const char *s);

/*
 * The start of sql for an error message, into buf (bufsz >= 8): leading
 * whitespace dropped, inner runs folded to one space, and a cut marked
 * "..." that never splits a UTF-8 sequence.  SQL text carries no
 * secrets: values are always bound.  sql may be NULL ("").
 */
void pu_sql_snippet(char *buf, size_t bufsz, const char *sql);

/* mkdir -p with mode for what it creates.  0 or an errno value. */
int pu_mkdirs(const char *path, unsigned mode);

#endif
