/*
 * svc_ver.h -- what the task, workflow and launch-plan services share:
 * packing into the call's arena, one page of versions, and the *Ids
 * listings of names.
 */
#ifndef KEEL_CORE_SVC_VER_H
#define KEEL_CORE_SVC_VER_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "repo_ver.h"

struct call;
struct Flyteidl__Admin__Sort;

/* Serialized m in the call's arena; NULL when out of memory. */
uint8_t *svc_pack(struct call *c, const ProtobufCMessage *m, size_t *len);

/* A list request's parts, borrowed from the request. */
struct svc_ver_list_req {
	const char *what;     /* "ListTasks": named in token errors */
	const char *project, *domain;
	const char *name;     /* NULL or "": every name */
	int active_only;      /* launch plans: ACTIVE only */
	uint32_t limit;
	const char *filters;
	const struct Flyteidl__Admin__Sort *sort_by;
	const char *token;
};

/* One page: rows in the call's arena, and the next token ("" at the
 * end). */
struct svc_ver_page {
	struct repo_ver *rows;
	size_t n;
	char *token;
};

/* Validate and run one List* page of kind k with Flyte Admin's checks
 * and messages (§5).  0, or the call's error. */
int svc_ver_list(struct call *c, const struct repo_kind *k,
                 const struct svc_ver_list_req *r, struct svc_ver_page *out);

/* List*Ids: distinct names of kind k in project/domain as a
 * NamedEntityIdentifierList, in name order, keyset-paged.  Flyte Admin
 * ignores filters here.  0, or the call's error. */
int svc_ver_list_ids(struct call *c, const struct repo_kind *k,
                     const char *what, const ProtobufCMessage *req,
                     ProtobufCMessage **resp);

#endif
