/* request.h - what a Kubernetes API request is about, from its method and
 * target: verb, group/version/resource, namespace, name, subresource and
 * the list/watch query parameters. */
#ifndef EB_KUBE_REQUEST_H
#define EB_KUBE_REQUEST_H

#include "common/error.h"

enum eb_kverb {
    EB_KV_OTHER,                  /* not a resource request (discovery, /version, /healthz, ...) */
    EB_KV_GET, EB_KV_LIST, EB_KV_WATCH,
    EB_KV_CREATE, EB_KV_UPDATE, EB_KV_PATCH, EB_KV_DELETE, EB_KV_DELETECOLLECTION,
};

typedef struct eb_kreq {
    enum eb_kverb verb;
    char *mem;                    /* owns path, group ... res_key */
    char *path;                   /* target without the query, decoded */
    char *group, *version, *resource, *ns, *name, *sub;
    char *res_key;                /* "v1/pods", "apps/v1/deployments" */
    char *label_selector, *field_selector, *resource_version, *cont;
    long limit;                   /* 0 = none */
    int bookmarks, include_object;
    long timeout_s;               /* watch timeoutSeconds, 0 = none */
} eb_kreq_t;

/* -1 with ERR for targets that are not valid (bad escapes, bad booleans). */
int eb_kreq_parse(const char *method, const char *target, eb_kreq_t *r, eb_error_t *err);
void eb_kreq_free(eb_kreq_t *r);
const char *eb_kverb_name(enum eb_kverb v);
static inline int eb_kverb_is_read(enum eb_kverb v) { return v == EB_KV_GET || v == EB_KV_LIST || v == EB_KV_WATCH; }

#endif
