/*
 * conf.h -- the INI configuration: parsing, and validation against schemas.
 *
 * One INI file (inih).  Each section is either a core section ([keeld],
 * [api], [log], [domains]) or selects a plugin kind ([db], [blob]) whose
 * "driver =" key names the plugin.  Keys are validated against a declared
 * schema (struct keel_config_key): an unknown key, a missing required key or
 * a malformed value stops start-up with a message naming the file, line,
 * section and key, and listing the valid keys.
 *
 * Debian's inih reads lines into a 200-byte buffer and would cut longer
 * ones silently; conf_load_file() refuses any line longer than
 * CONF_MAX_LINE bytes instead.  Long values come from files (*_file keys).
 */
#ifndef KEEL_CORE_CONF_H
#define KEEL_CORE_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <keel/keel_plugin.h>

#define CONF_MAX_LINE 198 /* bytes, excluding the newline */

struct conf_entry {
	char *key;
	char *value;
	int line;
};

struct conf_section {
	char *name;
	char *origin; /* file it came from; NULL for sections built in code */
	int line; /* line of the [header]; 0 for sections built in code */
	struct conf_entry *entries;
	size_t n, cap;
};

struct conf {
	char *origin; /* file path, or a description */
	struct conf_section **sections;
	size_t n, cap;
};

/* Parse an INI file / string.  Returns 0 or KEEL_EINVAL/KEEL_ENOMEM with a
 * message "FILE:LINE: ..." in err.  Duplicate sections are an error;
 * repeated keys are kept in order (lists).  Free with conf_free(). */
int conf_load_file(const char *path, struct conf **out, char *err,
                   size_t errlen);
int conf_load_string(const char *text, const char *origin, struct conf **out,
                     char *err, size_t errlen);
void conf_free(struct conf *c);

/* Section by name, or NULL. */
const struct conf_section *conf_find(const struct conf *c, const char *name);
/* Last value of key in s, or NULL.  s may be NULL. */
const char *conf_get(const struct conf_section *s, const char *key);

/* Sections built in code (tests, defaults).  set appends an entry. */
struct conf_section *conf_section_new(const char *name);
int conf_section_set(struct conf_section *s, const char *key,
                     const char *value);
void conf_section_free(struct conf_section *s);

/*
 * Validate section s against schema (an array of key_size-byte entries
 * ending with a NULL name) and build the typed view plugins read through
 * host->cfg_*.  Keys in skip (NULL-terminated, may be NULL) are allowed and
 * ignored ("driver").  Relative KEEL_CFG_PATH values are resolved against
 * data_dir.  s may be NULL (all defaults).  origin names the file in
 * messages.  Returns 0 or KEEL_EINVAL/KEEL_ENOMEM with a message in err.
 */
int conf_bind(const struct conf_section *s, const char *origin,
              const struct keel_config_key *schema, size_t key_size,
              const char *const *skip, const char *data_dir,
              struct keel_config **out, char *err, size_t errlen);
void conf_bound_free(struct keel_config *cfg);

/* Typed access (the host table's cfg_* ops use these).  Return 0,
 * KEEL_EINVAL for a key the schema does not declare or of another type,
 * KEEL_ENOTFOUND for a key with neither value nor default. */
int conf_str(const struct keel_config *cfg, const char *key, const char **out);
int conf_int(const struct keel_config *cfg, const char *key, int64_t *out);
int conf_bool(const struct keel_config *cfg, const char *key, int *out);
/* Secret: from <key>_file or <key>_env; see keel_host.secret_get. */
int conf_secret(const struct keel_config *cfg, const char *key, char *buf,
                size_t bufsz, size_t *len);

/* Value parsers shared with the rest of the core.  Return 0 or
 * KEEL_EINVAL. */
int conf_parse_bool(const char *s, int *out);
int conf_parse_int(const char *s, int64_t *out);
int conf_parse_duration(const char *s, int64_t *ms);
int conf_parse_bytes(const char *s, int64_t *bytes);

/* Print a schema as documented INI ("; help" lines, "key = default"),
 * commented out where there is no default. */
void conf_print_schema(FILE *out, const struct keel_config_key *schema,
                       size_t key_size);
/* Type name for messages and --plugin-info ("string", "duration"...). */
const char *conf_type_name(uint32_t type);

#endif
