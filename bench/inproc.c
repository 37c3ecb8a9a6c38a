/*
 * inproc.c -- keeld's core inside fabench; see inproc.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keel/keel_db.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "inproc.h"
#include "log.h"
#include "migrate.h"
#include "plugin.h"
#include "rpc.h"
#include "svc.h"
#include "task_resources.h"
#include "util.h"

struct inproc {
	struct plugin *plugin;
	struct plugin_instance *inst;
	struct db *db;
	struct arena *arena;
	struct svc svc;
	struct task_resource_limits limits;
	int rpc_up;
};

/* keeld's built-in [domains], so a request valid there is valid here. */
static struct svc_domain inproc_domains[] = {
	{(char *)"development", (char *)"development"},
	{(char *)"staging", (char *)"staging"},
	{(char *)"production", (char *)"production"},
};

int inproc_schema_version(void)
{
	return migrate_latest();
}

int inproc_open(const char *data_dir, const char *plugin_dir,
                const struct inproc_db_opts *dbo, struct inproc **out,
                char *err, size_t errlen)
{
	struct conf_section *s = NULL;
	struct inproc *ip;
	char path[1024];
	int rc = -1;

	*out = NULL;
	ip = calloc(1, sizeof(*ip));
	if (ip == NULL) {
		util_fmt(err, errlen, "out of memory");
		return -1;
	}
	/* keeld's run.sh level: the audit trail and per-call lines at info
	 * would cost more than the calls. */
	log_setup(LOG_FMT_TEXT, KEEL_LOG_WARN, NULL);
	util_fmt(path, sizeof(path), "%s/db_sqlite.so", plugin_dir);
	if (access(path, F_OK) != 0) {
		util_fmt(err, errlen, "%s is not built", path);
		goto out;
	}
	if (util_mkdirs(data_dir, 0750) != 0) {
		util_fmt(err, errlen, "cannot create %s", data_dir);
		goto out;
	}
	if (plugin_open(plugin_dir, path, KEEL_KIND_DB, "sqlite", &ip->plugin,
	                err, errlen) != 0)
		goto out;
	s = conf_section_new("db");
	if (s == NULL ||
	    (dbo->synchronous != NULL &&
	     conf_section_set(s, "synchronous", dbo->synchronous) != 0) ||
	    (dbo->cache_size != NULL &&
	     conf_section_set(s, "cache_size", dbo->cache_size) != 0)) {
		util_fmt(err, errlen, "out of memory");
		goto out;
	}
	if (plugin_instance_new(ip->plugin, s, data_dir, &ip->inst, err,
	                        errlen) != 0 ||
	    plugin_instance_start(ip->inst, err, errlen) != 0 ||
	    db_open(ip->inst, 1, &ip->db, err, errlen) != 0)
		goto out;
	if (dbo->migrate && migrate_apply(ip->db, NULL, err, errlen) != 0)
		goto out;
	if (rpc_init() != 0) {
		util_fmt(err, errlen, "out of memory");
		goto out;
	}
	ip->rpc_up = 1;
	ip->arena = arena_new(0);
	if (ip->arena == NULL) {
		util_fmt(err, errlen, "out of memory");
		goto out;
	}
	task_resources_defaults(&ip->limits);
	ip->svc.db = ip->db;
	ip->svc.domains = inproc_domains;
	ip->svc.ndomains = UTIL_ARRAY_LEN(inproc_domains);
	ip->svc.max_page_size = 1000; /* keeld's [api] max_page_size */
	ip->svc.task_limits = &ip->limits;
	*out = ip;
	ip = NULL;
	rc = 0;
out:
	conf_section_free(s);
	inproc_close(ip);
	return rc;
}

void inproc_close(struct inproc *ip)
{
	if (ip == NULL)
		return;
	arena_free(ip->arena);
	if (ip->rpc_up)
		rpc_shutdown();
	db_close(ip->db);
	plugin_instance_free(ip->inst);
	plugin_close(ip->plugin);
	free(ip);
}

int inproc_call(struct inproc *ip, const char *method,
                const ProtobufCMessage *msg,
                const ProtobufCMessageDescriptor *out_desc, void **out,
                const char **message)
{
	struct call c = {.arena = ip->arena, .svc = &ip->svc, .door = "fabench"};
	size_t n, resp_len;
	uint8_t *req, *resp;

	arena_reset(ip->arena);
	n = msg ? protobuf_c_message_get_packed_size(msg) : 0;
	req = arena_alloc(ip->arena, n + 1);
	if (req == NULL) {
		*message = "out of memory";
		return RPC_RESOURCE_EXHAUSTED;
	}
	if (msg)
		protobuf_c_message_pack(msg, req);
	rpc_dispatch(&c, method, req, n, &resp, &resp_len);
	*message = c.message ? c.message : "";
	if (out != NULL) {
		*out = NULL;
		if (c.code == RPC_OK && out_desc != NULL)
			*out = protobuf_c_message_unpack(
			    out_desc, arena_pb_allocator(ip->arena), resp_len,
			    resp);
	}
	return c.code;
}
