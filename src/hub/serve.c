/* serve.c - the hub acting as the apiserver from its cache: GET, LIST
 * (selectors re-applied on every answer), WATCH held open then ended
 * cleanly, discovery from stored responses, and a Status 503 for every
 * write (never queued, never faked). */
#include "hub/hub.h"
#include "kube/pb.h"
#include "kube/selector.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int eb_serve_status(eb_conn_t *c, int keep, int code, const char *reason, const char *fmt, ...)
{
    json_object *st = json_object_new_object();
    char msg[1024];
    va_list ap;
    const char *text;
    int rc;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_object_object_add(st, "kind", json_object_new_string("Status"));
    json_object_object_add(st, "apiVersion", json_object_new_string("v1"));
    json_object_object_add(st, "metadata", json_object_new_object());
    json_object_object_add(st, "status", json_object_new_string("Failure"));
    json_object_object_add(st, "message", json_object_new_string(msg));
    json_object_object_add(st, "reason", json_object_new_string(reason));
    json_object_object_add(st, "code", json_object_new_int(code));
    text = json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN);
    rc = eb_http_respond(c, keep, code, "application/json", text, strlen(text));
    json_object_put(st);
    return rc;
}

/* What the client accepts, in its order of preference. */
enum want { W_JSON, W_PB, W_TABLE };

static size_t parse_accept(const char *accept, enum want *out, size_t max)
{
    const char *p = accept;
    size_t n = 0;

    if (!p || !*p) {
        out[0] = W_JSON;
        return 1;
    }
    while (*p && n < max) {
        size_t len = strcspn(p, ",");
        char range[256];
        snprintf(range, sizeof(range), "%.*s", (int) (len < 255 ? len : 255), p);
        char *r = range;
        while (*r == ' ')
            r++;
        if (strstr(r, "as=Table")) {
            if (strncmp(r, "application/json", 16) == 0)
                out[n++] = W_TABLE;
        } else if (strstr(r, "as=")) {
            /* PartialObjectMetadata(List): not served from the cache */
        } else if (strncmp(r, "application/vnd.kubernetes.protobuf", 35) == 0) {
            out[n++] = W_PB;
        } else if (strncmp(r, "application/json", 16) == 0 || strncmp(r, "*/*", 3) == 0
                   || strncmp(r, "application/*", 13) == 0) {
            out[n++] = W_JSON;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return n;
}

static void age_of(const char *created, char *out, size_t size)
{
    double at;
    long d;

    if (eb_rfc3339_parse(created, &at) < 0) {
        snprintf(out, size, "<unknown>");
        return;
    }
    d = (long) ((double) time(NULL) - at);
    if (d < 0)
        d = 0;
    if (d < 120)
        snprintf(out, size, "%lds", d);
    else if (d < 600)
        snprintf(out, size, "%ldm%lds", d / 60, d % 60);
    else if (d < 3 * 3600)
        snprintf(out, size, "%ldm", d / 60);
    else if (d < 8 * 3600)
        snprintf(out, size, "%ldh%ldm", d / 3600, d % 3600 / 60);
    else if (d < 48 * 3600)
        snprintf(out, size, "%ldh", d / 3600);
    else if (d < 8 * 86400)
        snprintf(out, size, "%ldd%ldh", d / 86400, d % 86400 / 3600);
    else if (d < 730 * 86400)
        snprintf(out, size, "%ldd", d / 86400);
    else
        snprintf(out, size, "%ldy%ldd", d / (365 * 86400), d % (365 * 86400) / 86400);
}

/* The stored JSON text with kind and apiVersion put back in front. */
static void json_with_kind(eb_buf_t *b, const eb_row_t *row)
{
    const char *d = row->data;

    eb_buf_printf(b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\"", row->kind, row->apiv);
    if (row->len > 2)
        eb_buf_puts(b, ",");
    eb_buf_add(b, d + 1, row->len - 1);
}

static void table_row(eb_buf_t *b, const eb_row_t *row, int include_object, int first)
{
    json_object *md = json_object_new_object(), *pom, *labels;
    char age[32];

    age_of(row->created, age, sizeof(age));
    json_object_object_add(md, "name", json_object_new_string(row->name));
    if (row->ns[0])
        json_object_object_add(md, "namespace", json_object_new_string(row->ns));
    json_object_object_add(md, "resourceVersion", json_object_new_string(row->rv));
    if (row->created[0])
        json_object_object_add(md, "creationTimestamp", json_object_new_string(row->created));
    labels = json_tokener_parse(row->labels);
    if (labels && json_object_object_length(labels))
        json_object_object_add(md, "labels", labels);
    else
        json_object_put(labels);
    pom = json_object_new_object();
    json_object_object_add(pom, "kind", json_object_new_string("PartialObjectMetadata"));
    json_object_object_add(pom, "apiVersion", json_object_new_string("meta.k8s.io/v1"));
    json_object_object_add(pom, "metadata", md);
    if (!first)
        eb_buf_puts(b, ",");
    {
        json_object *nm = json_object_new_string(row->name);
        eb_buf_printf(b, "{\"cells\":[%s,\"%s\"],\"object\":", json_object_to_json_string_ext(nm, JSON_C_TO_STRING_PLAIN), age);
        json_object_put(nm);
    }
    if (include_object)
        json_with_kind(b, row);
    else
        eb_buf_puts(b, json_object_to_json_string_ext(pom, JSON_C_TO_STRING_PLAIN));
    eb_buf_puts(b, "}");
    json_object_put(pom);
}

static void table_open(eb_buf_t *b, const char *rv)
{
    eb_buf_printf(b, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"%s\"},"
                     "\"columnDefinitions\":["
                     "{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"Name must be unique "
                     "within a namespace.\",\"priority\":0},"
                     "{\"name\":\"Age\",\"type\":\"string\",\"format\":\"\",\"description\":\"CreationTimestamp is a "
                     "timestamp representing the server time when this object was created.\",\"priority\":0}],"
                     "\"rows\":[", rv ? rv : "");
}

#define CT_JSON "application/json"
#define CT_PB "application/vnd.kubernetes.protobuf"
#define CT_TABLE "application/json;as=Table;v=v1;g=meta.k8s.io"

/* ---- GET ---- */

struct get_ctx {
    enum want want;
    int include_object;
    eb_buf_t body;
};

static int get_cb(const eb_row_t *row, void *arg)
{
    struct get_ctx *g = arg;

    if (g->want == W_PB)
        return eb_pb_wrap(&g->body, row->apiv, row->kind, row->data, row->len);
    if (g->want == W_TABLE) {
        table_open(&g->body, row->rv);
        table_row(&g->body, row, g->include_object, 1);
        return eb_buf_puts(&g->body, "]}");
    }
    json_with_kind(&g->body, row);
    return 0;
}

static int served(eb_hub_t *hub, const eb_kreq_t *r, int rc)
{
    eb_hub_count(hub, r, EB_RES_CACHE);
    atomic_fetch_add(&hub->cache_hits, 1);
    return rc;
}

/* Absent from a list that covers it (kubelet lists and watches a
 * configmap by metadata.name), or answered 404 when last asked. */
static int known_absent(eb_hub_t *hub, const eb_scope_t *sc, const eb_kreq_t *r)
{
    _cleanup_free_ char *by_name = eb_strdup_printf("metadata.name=%s", r->name);
    eb_list_query_t q = { r->ns ? r->ns : "", "", "" }, qn = { q.ns, "", by_name };

    return eb_store_list_covers(hub->store, sc, &q) || eb_store_list_covers(hub->store, sc, &qn)
           || eb_store_is_gone(hub->store, sc, r->ns, r->name);
}

static int serve_get(eb_hub_t *hub, eb_conn_t *c, int keep, const eb_kreq_t *r, const char *comp,
                     const enum want *wants, size_t nw)
{
    eb_error_t err = { 0 };
    size_t i;

    for (i = 0; i < nw; i++) {
        struct get_ctx g = { .want = wants[i], .include_object = r->include_object };
        eb_scope_t sc = { comp, r->res_key, wants[i] == W_PB ? EB_FMT_PB : EB_FMT_JSON };
        int rc = eb_store_get(hub->store, &sc, r->ns, r->name, get_cb, &g, &err);

        if (rc == 1) {
            const char *ct = wants[i] == W_PB ? CT_PB : wants[i] == W_TABLE ? CT_TABLE : CT_JSON;
            rc = eb_http_respond(c, keep, 200, ct, g.body.p, g.body.len);
            eb_buf_free(&g.body);
            return served(hub, r, rc);
        }
        eb_buf_free(&g.body);
        if (rc < 0) {
            eb_hub_count(hub, r, EB_RES_ERROR);
            return eb_serve_status(c, keep, 500, "InternalError", "edgebox-hub cache: %s", err.msg);
        }
    }
    for (i = 0; i < nw; i++) {
        eb_scope_t sc = { comp, r->res_key, wants[i] == W_PB ? EB_FMT_PB : EB_FMT_JSON };
        if (known_absent(hub, &sc, r)) {
            eb_hub_count(hub, r, EB_RES_CACHE);
            return eb_serve_status(c, keep, 404, "NotFound", "%s \"%s\" not found", r->resource, r->name);
        }
    }
    atomic_fetch_add(&hub->cache_misses, 1);
    eb_hub_count(hub, r, EB_RES_REFUSED);
    return eb_serve_status(c, keep, 503, "ServiceUnavailable",
                           "edgebox-hub: the apiserver is unreachable and %s \"%s\" is not in the cache of %s",
                           r->resource, r->name, comp);
}

/* ---- LIST ---- */

struct list_ctx {
    enum want want;
    int include_object, n;
    eb_selector_t ls, fs;
    eb_buf_t items;               /* JSON items / table rows / protobuf items */
};

static int list_cb(const eb_row_t *row, void *arg)
{
    struct list_ctx *l = arg;
    json_object *labels, *fields;
    int match;

    if (l->ls.n) {
        labels = json_tokener_parse(row->labels);
        match = eb_selector_match(&l->ls, labels);
        json_object_put(labels);
        if (!match)
            return 0;
    }
    if (l->fs.n) {
        fields = json_tokener_parse(row->fields);
        match = eb_selector_match(&l->fs, fields);
        json_object_put(fields);
        if (!match)
            return 0;
    }
    if (l->want == W_PB)
        eb_pb_put_bytes(&l->items, 2, row->data, row->len);
    else if (l->want == W_TABLE)
        table_row(&l->items, row, l->include_object, l->n == 0);
    else {
        if (l->n)
            eb_buf_puts(&l->items, ",");
        eb_buf_add(&l->items, row->data, row->len);
    }
    l->n++;
    return 0;
}

/* spec.nodeName=X narrows the scan to the index (kubelet's pod list). */
static const char *node_of(const eb_selector_t *fs)
{
    size_t i;

    for (i = 0; i < fs->n; i++)
        if (fs->reqs[i].op == EB_SEL_EQ && strcmp(fs->reqs[i].key, "spec.nodeName") == 0)
            return fs->reqs[i].values[0];
    return NULL;
}

static int serve_list(eb_hub_t *hub, eb_conn_t *c, int keep, const eb_kreq_t *r, const char *comp,
                      const enum want *wants, size_t nw)
{
    eb_list_query_t q = { r->ns ? r->ns : "", r->label_selector ? r->label_selector : "",
                          r->field_selector ? r->field_selector : "" };
    eb_error_t err = { 0 };
    size_t i;

    for (i = 0; i < nw; i++) {
        eb_scope_t sc = { comp, r->res_key, wants[i] == W_PB ? EB_FMT_PB : EB_FMT_JSON };
        struct list_ctx l = { .want = wants[i], .include_object = r->include_object };
        _cleanup_free_ char *rv = NULL, *kind = NULL, *apiv = NULL;
        eb_buf_t body = { 0 };
        int rc;

        if (!eb_store_list_covers(hub->store, &sc, &q))
            continue;
        if (eb_label_selector_parse(r->label_selector, &l.ls, &err) < 0) {
            eb_hub_count(hub, r, EB_RES_ERROR);
            return eb_serve_status(c, keep, 400, "BadRequest", "%s", err.msg);
        }
        if (eb_field_selector_parse(r->field_selector, r->resource, &l.fs, &err) < 0) {
            eb_selector_free(&l.ls);
            eb_hub_count(hub, r, EB_RES_ERROR);
            return eb_serve_status(c, keep, 400, "BadRequest", "%s", err.msg);
        }
        rv = eb_store_rv(hub->store, &sc, &kind, &apiv);
        rc = eb_store_scan(hub->store, &sc, r->ns, strcmp(r->resource, "pods") == 0 ? node_of(&l.fs) : NULL,
                           list_cb, &l, &err);
        eb_selector_free(&l.ls);
        eb_selector_free(&l.fs);
        if (rc < 0) {
            eb_buf_free(&l.items);
            eb_hub_count(hub, r, EB_RES_ERROR);
            return eb_serve_status(c, keep, 500, "InternalError", "edgebox-hub cache: %s", err.msg);
        }
        if (wants[i] == W_PB) {
            eb_buf_t list = { 0 }, meta = { 0 };
            _cleanup_free_ char *lk = eb_strdup_printf("%sList", kind ? kind : "");
            eb_pb_put_string(&meta, 2, rv ? rv : "");
            eb_pb_put_bytes(&list, 1, meta.p ? meta.p : "", meta.len);
            eb_buf_add(&list, l.items.p ? l.items.p : "", l.items.len);
            eb_pb_wrap(&body, apiv ? apiv : "", lk, list.p, list.len);
            eb_buf_free(&list);
            eb_buf_free(&meta);
        } else if (wants[i] == W_TABLE) {
            table_open(&body, rv);
            eb_buf_add(&body, l.items.p ? l.items.p : "", l.items.len);
            eb_buf_puts(&body, "]}");
        } else {
            eb_buf_printf(&body, "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%s\"},"
                                 "\"items\":[", kind ? kind : "", apiv ? apiv : "", rv ? rv : "");
            eb_buf_add(&body, l.items.p ? l.items.p : "", l.items.len);
            eb_buf_puts(&body, "]}");
        }
        eb_buf_free(&l.items);
        rc = eb_http_respond(c, keep, 200, wants[i] == W_PB ? CT_PB : wants[i] == W_TABLE ? CT_TABLE : CT_JSON,
                               body.p, body.len);
        eb_buf_free(&body);
        return served(hub, r, rc);
    }
    atomic_fetch_add(&hub->cache_misses, 1);
    eb_hub_count(hub, r, EB_RES_REFUSED);
    return eb_serve_status(c, keep, 503, "ServiceUnavailable",
                           "edgebox-hub: the apiserver is unreachable and this list of %s was never cached for %s",
                           r->resource, comp);
}

/* ---- WATCH ---- */

/* Held open (the client sees a quiet stream), ended cleanly when the link
 * is back or after the hold time, so the client relists. */
static int serve_watch(eb_hub_t *hub, eb_conn_t *c, int keep, const eb_kreq_t *r, const enum want *wants, size_t nw)
{
    const char *ct = nw && wants[0] == W_PB ? CT_PB ";stream=watch" : nw && wants[0] == W_TABLE ? CT_TABLE : CT_JSON;
    unsigned epoch = atomic_load(&hub->epoch);
    uint64_t end = eb_now_ms() + (uint64_t) hub->cfg.watch_hold_s * 1000;
    long limit_s = r->timeout_s;
    char head[256];
    int n;

    if (limit_s > 0 && (uint64_t) limit_s * 1000 < (uint64_t) hub->cfg.watch_hold_s * 1000)
        end = eb_now_ms() + (uint64_t) limit_s * 1000;
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nCache-Control: no-cache, private\r\n"
                 "Transfer-Encoding: chunked\r\n%s\r\n", ct, keep ? "" : "Connection: close\r\n");
    if (eb_conn_write(c, head, (size_t) n) < 0)
        return -1;
    eb_hub_count(hub, r, EB_RES_CACHE);
    while (eb_now_ms() < end && atomic_load(&hub->epoch) == epoch && !atomic_load(&hub->stopping)) {
        struct pollfd p = { c->fd, POLLIN, 0 };
        if (poll(&p, 1, 500) > 0) {
            char tmp[256];
            /* a client that closed (or sent garbage mid-watch) is done */
            if (eb_conn_read(c, tmp, sizeof(tmp)) <= 0)
                return -1;
        }
    }
    return eb_conn_write(c, "0\r\n\r\n", 5);
}

static int noop_cb(const eb_row_t *row, void *arg)
{
    (void) row, (void) arg;
    return 0;
}

/* Whether one representation of the request is in the cache. */
static int answers_in(eb_hub_t *hub, const eb_kreq_t *r, const eb_scope_t *sc)
{
    eb_list_query_t q = { r->ns ? r->ns : "", r->label_selector ? r->label_selector : "",
                          r->field_selector ? r->field_selector : "" };
    eb_error_t err = { 0 };

    if (r->verb == EB_KV_LIST)
        return eb_store_list_covers(hub->store, sc, &q);
    return eb_store_get(hub->store, sc, r->ns, r->name, noop_cb, NULL, &err) == 1 || known_absent(hub, sc, r);
}

int eb_cache_answers(eb_hub_t *hub, const eb_http_head_t *h, const eb_kreq_t *r, const char *comp)
{
    enum want wants[8];
    size_t nw, i;

    if (!comp || r->sub || strcmp(h->method, "GET") != 0)
        return 0;
    if (r->verb == EB_KV_OTHER) {
        _cleanup_free_ char *key = eb_hub_raw_key(h), *ctype = NULL;
        _cleanup_free_ void *body = NULL;
        size_t len;
        return eb_hub_raw_cacheable(h, r, comp) && eb_store_raw_get(hub->store, comp, key, &ctype, &body, &len) == 1;
    }
    if (r->verb == EB_KV_WATCH)
        return 1;                 /* held, then ended: the client relists */
    eb_capq_sync(hub);
    nw = parse_accept(eb_http_header(h, "Accept"), wants, EB_ARRAY_SIZE(wants));
    for (i = 0; i < nw; i++) {
        eb_scope_t sc = { comp, r->res_key, wants[i] == W_PB ? EB_FMT_PB : EB_FMT_JSON };
        if (answers_in(hub, r, &sc))
            return 1;
    }
    return 0;
}

int eb_serve_from_cache(eb_hub_t *hub, eb_conn_t *c, int keep, const eb_http_head_t *h,
                        const eb_kreq_t *r, const char *comp)
{
    enum want wants[8];
    size_t nw;

    switch (r->verb) {
    case EB_KV_CREATE:
    case EB_KV_UPDATE:
    case EB_KV_PATCH:
    case EB_KV_DELETE:
    case EB_KV_DELETECOLLECTION:
        eb_hub_count(hub, r, EB_RES_REFUSED);
        return eb_serve_status(c, keep, 503, "ServiceUnavailable",
                               "edgebox-hub: the apiserver is unreachable; %s of %s refused (writes are never "
                               "queued while offline)", eb_kverb_name(r->verb), r->resource);
    case EB_KV_OTHER:
        if (comp && strcmp(h->method, "GET") == 0) {
            _cleanup_free_ char *key = eb_hub_raw_key(h), *ctype = NULL;
            _cleanup_free_ void *body = NULL;
            size_t len;
            if (eb_store_raw_get(hub->store, comp, key, &ctype, &body, &len) == 1) {
                atomic_fetch_add(&hub->cache_hits, 1);
                eb_hub_count(hub, r, EB_RES_CACHE);
                return eb_http_respond(c, keep, 200, ctype, body, len);
            }
            atomic_fetch_add(&hub->cache_misses, 1);
        }
        eb_hub_count(hub, r, EB_RES_REFUSED);
        return eb_serve_status(c, keep, 503, "ServiceUnavailable",
                               "edgebox-hub: the apiserver is unreachable and %s is not cached", r->path);
    default:
        break;
    }
    if (!comp || r->sub) {
        eb_hub_count(hub, r, EB_RES_REFUSED);
        return eb_serve_status(c, keep, 503, "ServiceUnavailable", "edgebox-hub: the apiserver is unreachable%s",
                               r->sub ? " (subresources are not cached)" : " (the hub caches nothing for this client)");
    }
    /* what was forwarded before is answered from the cache as it was */
    eb_capq_sync(hub);
    nw = parse_accept(eb_http_header(h, "Accept"), wants, EB_ARRAY_SIZE(wants));
    if (!nw) {
        eb_hub_count(hub, r, EB_RES_REFUSED);
        return eb_serve_status(c, keep, 406, "NotAcceptable", "edgebox-hub serves JSON, protobuf and tables from its cache");
    }
    if (r->verb == EB_KV_GET)
        return serve_get(hub, c, keep, r, comp, wants, nw);
    if (r->verb == EB_KV_LIST)
        return serve_list(hub, c, keep, r, comp, wants, nw);
    return serve_watch(hub, c, keep, r, wants, nw);
}
