/*
 * plugin_dump.c -- print what a plugin's descriptor says, without keeld.
 *
 *   plugin_dump FILE.so
 *   name sqlite
 *   kind db
 *   abi 1.0
 *   key path
 *   key busy_timeout
 *
 * tests/abi/plugin_info.sh checks that `keeld --plugin-info` shows each of
 * these.  It uses plain dlopen and trusts the descriptor only as far as
 * reading it safely needs (magic, sizes), so it is an oracle independent
 * of the core's loader.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <keel/keel_plugin.h>

static const char *kind_name(uint32_t kind)
{
	/* Kind numbers are never reused (keel_plugin.h). */
	switch (kind) {
	case KEEL_KIND_DB:
		return "db";
	case KEEL_KIND_BLOB:
		return "blob";
	case KEEL_KIND_SCHEDULER:
		return "scheduler";
	case KEEL_KIND_NOTIFY:
		return "notify";
	case KEEL_KIND_AUTH:
		return "auth";
	case KEEL_KIND_EXECUTOR:
		return "executor";
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const struct keel_plugin *d;
	const struct keel_config_key *k;
	keel_plugin_entry_fn entry;
	const char *kind;
	void *h, *sym;

	if (argc != 2) {
		fprintf(stderr, "usage: plugin_dump FILE.so\n");
		return 2;
	}
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "plugin_dump: %s\n", dlerror());
		return 1;
	}
	sym = dlsym(h, KEEL_PLUGIN_ENTRY_SYMBOL);
	if (sym == NULL) {
		fprintf(stderr, "plugin_dump: %s: no entry symbol\n", argv[1]);
		return 1;
	}
	/* POSIX guarantees this conversion for dlsym results. */
	memcpy(&entry, &sym, sizeof(entry));
	d = entry();
	if (d == NULL || d->magic != KEEL_PLUGIN_MAGIC ||
	    d->size < KEEL_PLUGIN_SIZE_V1_0 ||
	    d->config_key_size < KEEL_CONFIG_KEY_SIZE_V1_0) {
		fprintf(stderr, "plugin_dump: %s: not a usable descriptor\n",
		        argv[1]);
		return 1;
	}
	kind = kind_name(d->kind);
	printf("name %s\n", d->name);
	if (kind != NULL)
		printf("kind %s\n", kind);
	else
		printf("kind %u\n", (unsigned)d->kind);
	printf("abi %u.%u\n", (unsigned)d->abi_major, (unsigned)d->abi_minor);
	/* Walk the schema with the plugin's own element size. */
	for (k = d->config; k != NULL && k->name != NULL;
	     k = (const void *)((const char *)k + d->config_key_size))
		printf("key %s\n", k->name);
	/* Leave the handle open: nothing else runs before exit. */
	return 0;
}
