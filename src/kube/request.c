/* request.c - classify Kubernetes API requests. */
#include "kube/request.h"
#include "kube/http.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGS 12

const char *eb_kverb_name(enum eb_kverb v)
{
    static const char *const names[] = { "other", "get", "list", "watch", "create", "update", "patch",
                                         "delete", "deletecollection" };
    return names[v];
}

static int query_bool(const char *target, const char *name, int *out, eb_error_t *err)
{
    char *v = eb_http_query(target, name);
    int b;

    *out = 0;
    if (!v)
        return 0;
    b = v[0] ? eb_http_parse_bool(v) : 1;
    free(v);
    if (b < 0)
        return eb_error_set(err, EINVAL, "query parameter %s is not a boolean", name);
    *out = b;
    return 0;
}

static int query_long(const char *target, const char *name, long *out, eb_error_t *err)
{
    char *v = eb_http_query(target, name);
    int64_t n;

    *out = 0;
    if (!v || !v[0]) {
        free(v);
        return 0;
    }
    if (eb_parse_i64(v, &n) < 0 || n < 0) {
        free(v);
        return eb_error_set(err, EINVAL, "query parameter %s is not a non-negative integer", name);
    }
    free(v);
    *out = (long) n;
    return 0;
}

int eb_kreq_parse(const char *method, const char *target, eb_kreq_t *r, eb_error_t *err)
{
    size_t plen = strcspn(target, "?");
    char *segs[MAX_SEGS], *p, *save = NULL;
    size_t n = 0, i = 0;
    int watch = 0, watch_prefix = 0, include;
    _cleanup_free_ char *copy = NULL, *inc = NULL;

    memset(r, 0, sizeof(*r));
    r->path = eb_http_unescape(target, plen);
    if (!r->path || r->path[0] != '/')
        return eb_error_set(err, EINVAL, "bad request path");
    copy = eb_xstrdup(r->path);
    for (p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGS)
            return 0;             /* not an API path we know: forwarded as is */
        if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
            return eb_error_set(err, EINVAL, "bad request path");
        segs[n++] = p;
    }
    if (query_bool(target, "watch", &watch, err) < 0 || query_bool(target, "allowWatchBookmarks", &r->bookmarks, err) < 0
        || query_long(target, "limit", &r->limit, err) < 0 || query_long(target, "timeoutSeconds", &r->timeout_s, err) < 0)
        return -1;
    r->label_selector = eb_http_query(target, "labelSelector");
    r->field_selector = eb_http_query(target, "fieldSelector");
    r->resource_version = eb_http_query(target, "resourceVersion");
    r->cont = eb_http_query(target, "continue");
    inc = eb_http_query(target, "includeObject");
    include = inc && strcmp(inc, "Object") == 0;
    r->include_object = include;

    if (n >= 2 && strcmp(segs[0], "api") == 0) {
        r->group = eb_xstrdup("");
        r->version = eb_xstrdup(segs[1]);
        i = 2;
    } else if (n >= 3 && strcmp(segs[0], "apis") == 0) {
        r->group = eb_xstrdup(segs[1]);
        r->version = eb_xstrdup(segs[2]);
        i = 3;
    } else {
        return 0;                 /* discovery, /version, /healthz, /openapi ... */
    }
    if (i < n && strcmp(segs[i], "watch") == 0)
        watch_prefix = 1, i++;
    if (i == n)
        return 0;                 /* /api/v1, /apis/g/v: discovery */
    if (strcmp(segs[i], "namespaces") == 0 && n - i >= 3
        && !(n - i == 3 && (strcmp(segs[i + 2], "status") == 0 || strcmp(segs[i + 2], "finalize") == 0))) {
        r->ns = eb_xstrdup(segs[i + 1]);
        i += 2;
    }
    r->resource = eb_xstrdup(segs[i++]);
    if (i < n)
        r->name = eb_xstrdup(segs[i++]);
    if (i < n)
        r->sub = eb_xstrdup(segs[i++]);
    if (i < n) {                  /* deeper (proxy subpaths): not cacheable */
        free(r->sub);
        r->sub = eb_xstrdup("proxy");
    }
    r->res_key = r->group[0] ? eb_strdup_printf("%s/%s/%s", r->group, r->version, r->resource)
                             : eb_strdup_printf("%s/%s", r->version, r->resource);
    if (strcmp(method, "GET") == 0) {
        if (watch || watch_prefix)
            r->verb = EB_KV_WATCH;
        else
            r->verb = r->name ? EB_KV_GET : EB_KV_LIST;
        if (r->verb == EB_KV_WATCH && r->name && !r->sub) {
            /* a watch of one object is a watch with a name field selector */
            char *fs = r->field_selector && r->field_selector[0]
                           ? eb_strdup_printf("%s,metadata.name=%s", r->field_selector, r->name)
                           : eb_strdup_printf("metadata.name=%s", r->name);
            free(r->field_selector);
            r->field_selector = fs;
            free(r->name);
            r->name = NULL;
        }
    } else if (strcmp(method, "POST") == 0) {
        r->verb = EB_KV_CREATE;
    } else if (strcmp(method, "PUT") == 0) {
        r->verb = EB_KV_UPDATE;
    } else if (strcmp(method, "PATCH") == 0) {
        r->verb = EB_KV_PATCH;
    } else if (strcmp(method, "DELETE") == 0) {
        r->verb = r->name ? EB_KV_DELETE : EB_KV_DELETECOLLECTION;
    } else {
        r->verb = EB_KV_OTHER;
    }
    return 0;
}

void eb_kreq_free(eb_kreq_t *r)
{
    free(r->path);
    free(r->group);
    free(r->version);
    free(r->resource);
    free(r->ns);
    free(r->name);
    free(r->sub);
    free(r->res_key);
    free(r->label_selector);
    free(r->field_selector);
    free(r->resource_version);
    free(r->cont);
    memset(r, 0, sizeof(*r));
}
