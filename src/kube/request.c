/* request.c - classify Kubernetes API requests. */
#include "kube/request.h"
#include "kube/http.h"
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

/* The query parameters read here, in one pass over the query; the first
 * occurrence of each counts (url.Values.Get). */
enum { Q_WATCH, Q_BOOKMARKS, Q_LIMIT, Q_TIMEOUT, Q_LSEL, Q_FSEL, Q_RV, Q_CONT, Q_INCLUDE, Q_N };
static const char *const qnames[Q_N] = {
    [Q_WATCH] = "watch", [Q_BOOKMARKS] = "allowWatchBookmarks", [Q_LIMIT] = "limit",
    [Q_TIMEOUT] = "timeoutSeconds", [Q_LSEL] = "labelSelector", [Q_FSEL] = "fieldSelector",
    [Q_RV] = "resourceVersion", [Q_CONT] = "continue", [Q_INCLUDE] = "includeObject",
};

/* V: a value, or NULL when absent or badly escaped (as if absent). */
static void scan_query(const char *q, char *v[Q_N])
{
    unsigned seen = 0;
    eb_qparam_t p;
    int k;

    while (eb_http_query_next(&q, &p))
        for (k = 0; k < Q_N; k++)
            if (!(seen & (1u << k)) && eb_http_qkey_is(&p, qnames[k])) {
                seen |= 1u << k;
                v[k] = eb_http_qval(&p);
                break;
            }
}

static int query_bool(const char *v, const char *name, int *out, eb_error_t *err)
{
    int b;

    *out = 0;
    if (!v)
        return 0;
    b = v[0] ? eb_http_parse_bool(v) : 1;
    if (b < 0)
        return eb_error_set(err, EINVAL, "query parameter %s is not a boolean", name);
    *out = b;
    return 0;
}

static int query_long(const char *v, const char *name, long *out, eb_error_t *err)
{
    int64_t n;

    *out = 0;
    if (!v || !v[0])
        return 0;
    if (eb_parse_i64(v, &n) < 0 || n < 0)
        return eb_error_set(err, EINVAL, "query parameter %s is not a non-negative integer", name);
    *out = (long) n;
    return 0;
}

static int parse_query(const char *target, eb_kreq_t *r, int *watch, eb_error_t *err)
{
    const char *q = strchr(target, '?');
    char *v[Q_N] = { 0 };
    int k, ret = 0;

    *watch = 0;
    if (!q)
        return 0;
    scan_query(q + 1, v);
    if (query_bool(v[Q_WATCH], qnames[Q_WATCH], watch, err) < 0
        || query_bool(v[Q_BOOKMARKS], qnames[Q_BOOKMARKS], &r->bookmarks, err) < 0
        || query_long(v[Q_LIMIT], qnames[Q_LIMIT], &r->limit, err) < 0
        || query_long(v[Q_TIMEOUT], qnames[Q_TIMEOUT], &r->timeout_s, err) < 0)
        ret = -1;
    r->include_object = v[Q_INCLUDE] && strcmp(v[Q_INCLUDE], "Object") == 0;
    r->label_selector = v[Q_LSEL];
    r->field_selector = v[Q_FSEL];
    r->resource_version = v[Q_RV];
    r->cont = v[Q_CONT];
    v[Q_LSEL] = v[Q_FSEL] = v[Q_RV] = v[Q_CONT] = NULL;
    for (k = 0; k < Q_N; k++)
        free(v[k]);
    return ret;
}

int eb_kreq_parse(const char *method, const char *target, eb_kreq_t *r, eb_error_t *err)
{
    size_t plen = strcspn(target, "?");
    char *segs[MAX_SEGS], *p, *save = NULL, *copy, *key, *empty, *proxy;
    size_t n = 0, i = 0;
    int watch = 0, watch_prefix = 0;

    memset(r, 0, sizeof(*r));
    /* One allocation holds the decoded path, its segments (what group,
     * version, resource, ns, name and sub point into), the resource key
     * (never longer than the path), "" and "proxy". */
    r->mem = eb_xrealloc(NULL, 3 * (plen + 1) + 1 + sizeof("proxy"));
    r->path = r->mem;
    copy = r->path + plen + 1;
    key = copy + plen + 1;
    empty = key + plen + 1;
    proxy = empty + 1;
    *empty = 0;
    memcpy(proxy, "proxy", sizeof("proxy"));
    if (eb_http_unescape_to(r->path, target, plen, 0) < 0 || r->path[0] != '/') {
        r->path = NULL;
        return eb_error_set(err, EINVAL, "bad request path");
    }
    strcpy(copy, r->path);
    for (p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGS)
            return 0;             /* not an API path we know: forwarded as is */
        if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0)
            return eb_error_set(err, EINVAL, "bad request path");
        segs[n++] = p;
    }
    if (parse_query(target, r, &watch, err) < 0)
        return -1;

    if (n >= 2 && strcmp(segs[0], "api") == 0) {
        r->group = empty;
        r->version = segs[1];
        i = 2;
    } else if (n >= 3 && strcmp(segs[0], "apis") == 0) {
        r->group = segs[1];
        r->version = segs[2];
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
        r->ns = segs[i + 1];
        i += 2;
    }
    r->resource = segs[i++];
    if (i < n)
        r->name = segs[i++];
    if (i < n)
        r->sub = segs[i++];
    if (i < n)                    /* deeper (proxy subpaths): not cacheable */
        r->sub = proxy;
    r->res_key = key;
    if (r->group[0])
        key = stpcpy(stpcpy(key, r->group), "/");
    stpcpy(stpcpy(stpcpy(key, r->version), "/"), r->resource);
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
    free(r->mem);
    free(r->label_selector);
    free(r->field_selector);
    free(r->resource_version);
    free(r->cont);
    memset(r, 0, sizeof(*r));
}
