/*
 * plugin.h -- loading plugins and driving their lifecycle.
 *
 * plugin_open() applies the loader checks in a fixed order and stops at the
 * first failure, writing a message that names the file and gives expected
 * and actual values:
 *   1. the path is inside the plugin directory, a regular file (not a
 *      symlink), not world-writable, in a directory that is not
 *      world-writable;
 *   2. dlopen(RTLD_NOW | RTLD_LOCAL);
 *   3. the keel_plugin_entry symbol exists;
 *   4. magic;  5. ABI major;  6. ABI minor <= ours;
 *   7. sizes (descriptor, ops, config key) >= the frozen 1.0 minimums,
 *      reserved == 0;
 *   8. kind and name match what the INI section asked for;
 *   9. lifecycle and required ops are non-NULL (after copying the
 *      plugin's ops into a zeroed host-sized struct, so ops the plugin
 *      does not know read as NULL).
 */
#ifndef KEEL_CORE_PLUGIN_H
#define KEEL_CORE_PLUGIN_H

#include <stdint.h>
#include <stdio.h>

#include <keel/keel_plugin.h>

struct conf_section;
struct plugin;          /* a loaded shared object */
struct plugin_instance; /* one configured instance of a plugin */

/* Kind number <-> INI section name ("db", "blob", ...); NULL/0 if unknown. */
const char *plugin_kind_name(uint32_t kind);
uint32_t plugin_kind_from_name(const char *name);

/*
 * Load and check the plugin file at path.  plugin_dir is the only
 * directory plugins may be loaded from.  want_kind (0: any) and want_name
 * (NULL: any) are what the INI section asked for; when either is 0/NULL
 * and the file is named <kind>_<name>.so, the file name is checked against
 * the descriptor instead.  Returns 0 and *out, or a KEEL_E* code with the
 * message in err.  *out is released with plugin_close().
 */
int plugin_open(const char *plugin_dir, const char *path, uint32_t want_kind,
                const char *want_name, struct plugin **out, char *err,
                size_t errlen);
void plugin_close(struct plugin *p);

/* The checked descriptor, and the host-sized copy of its ops table
 * (struct keel_db_ops / keel_blob_ops ...), both valid until close. */
const struct keel_plugin *plugin_desc(const struct plugin *p);
const void *plugin_ops(const struct plugin *p);
const char *plugin_path(const struct plugin *p);

/* `keeld --plugin-info FILE`: load FILE (from its own directory), print
 * descriptor and config schema to out.  Returns 0 or KEEL_E*, with the
 * loader's message in err. */
int plugin_print_info(FILE *out, const char *path, char *err, size_t errlen);

/*
 * Create and configure an instance from an INI section: validates the
 * section's keys against the plugin's schema (unknown key, missing
 * required key, bad value: error naming the key and listing valid ones),
 * then calls create() and configure().  On failure the instance is already
 * destroyed.
 */
int plugin_instance_new(struct plugin *p, const struct conf_section *sec,
                        const char *data_dir, struct plugin_instance **out,
                        char *err, size_t errlen);
/* Call start() (when the plugin has one). */
int plugin_instance_start(struct plugin_instance *pi, char *err,
                          size_t errlen);
/* stop() (when started) then destroy(); accepts NULL. */
void plugin_instance_free(struct plugin_instance *pi);

void *plugin_instance_self(const struct plugin_instance *pi);
const void *plugin_instance_ops(const struct plugin_instance *pi);
const struct keel_plugin *plugin_instance_desc(const struct plugin_instance *pi);

/* What host->api_url() answers: keeld's internal API URL, for agents a
 * plugin starts.  Called by main before plugins start. */
void plugin_set_api_url(const char *url);

/* The host table keeld hands to plugins. */
extern const struct keel_host plugin_host;

#endif
