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

/* "a%2Fb": s as one part of a blob key, so that it cannot split or
 * escape the path ('/' and '%' escaped); in a, NULL on ENOMEM. */
struct arena;
char *svc_key_part(struct arena *a, const char *s);

/* A keel_blob_sink collecting an object in arena memory, at most max
 * bytes (KEEL_ERANGE beyond).  Zero-initialise all but a and max. */
struct svc_buf {
	struct arena *a;
	uint8_t *p;
	size_t n, cap, max;
};
int svc_buf_write(void *arg, const void *buf, size_t n);

/* A keel_blob_src reading p[0..n): {p, n, 0}. */
struct svc_mem {
	const uint8_t *p;
	size_t n, off;
};
int svc_mem_read(void *arg, void *buf, size_t cap, size_t *n);

/* Serialized m in the call's arena; NULL when out of memory. */
uint8_t *svc_pack(struct call *c, const ProtobufCMessage *m, size_t *len);

/*
 * Before inserting row: when its closure is larger than [registry]
 * closure_inline_max and a blob store is configured, write the closure
 * to the store under metadata/admin/<table>/<project>/<domain>/<name>/
 * <version>/<digest> (each part escaped) and leave its URI in the row
 * instead.  The digest in the key means a rejected registration never
 * overwrites the object of the version already stored.  *key (NULL when
 * nothing was written) is for svc_ver_discard().  0, or the call's error.
 */
int svc_ver_offload(struct call *c, const struct repo_kind *k,
                    struct repo_ver *row, const char **key);
/* Remove what svc_ver_offload wrote, after the insert failed (best
 * effort: an orphan object is harmless). */
void svc_ver_discard(struct call *c, const char *key);

/*
 * What a Create does once its closure is built: row takes id's parts
 * (digest, created_at, closure and the kind's columns already set), the
 * description d (NULL: none) is stored with it, the closure is offloaded
 * when large, and the row inserted.  When the version exists, exists
 * (given mine) decides between ALREADY_EXISTS and INVALID_ARGUMENT; an
 * object written for a refused registration is removed again.  0, or the
 * call's error.
 */
struct Flyteidl__Core__Identifier;
struct Flyteidl__Admin__DescriptionEntity;
typedef int (*svc_ver_exists_fn)(struct call *c,
                                 const struct Flyteidl__Core__Identifier *id,
                                 const char *digest, const void *mine);
int svc_ver_store(struct call *c, const struct repo_kind *k,
                  const struct Flyteidl__Core__Identifier *id,
                  const struct Flyteidl__Admin__DescriptionEntity *d,
                  struct repo_ver *row, svc_ver_exists_fn exists,
                  const void *mine);

/* Decode row's closure as desc into *out (the call's arena), reading it
 * from the blob store when it was offloaded.  0, or the call's error
 * naming the entity. */
int svc_ver_unpack(struct call *c, const struct repo_kind *k,
                   const struct repo_ver *row,
                   const ProtobufCMessageDescriptor *desc,
                   ProtobufCMessage **out);

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

/* svc_ver_list for a ResourceListRequest (ListTasks, ListWorkflows,
 * ListLaunchPlans): its id gives project, domain and optionally name. */
struct Flyteidl__Admin__ResourceListRequest;
int svc_ver_list_resources(struct call *c, const struct repo_kind *k,
                           const char *what,
                           const struct Flyteidl__Admin__ResourceListRequest *r,
                           struct svc_ver_page *out);

/* List*Ids: distinct names of kind k in project/domain as a
 * NamedEntityIdentifierList, in name order, keyset-paged.  Flyte Admin
 * ignores filters here.  0, or the call's error. */
int svc_ver_list_ids(struct call *c, const struct repo_kind *k,
                     const char *what, const ProtobufCMessage *req,
                     ProtobufCMessage **resp);

#endif
