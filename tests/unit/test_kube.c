/* test_kube.c - the Kubernetes pieces the hub stands on: HTTP heads and
 * bodies (what a client or the apiserver may send, bounded), query and
 * request classification, selectors as the apiserver evaluates them, the
 * protobuf wire reader and envelope, object identity from JSON and
 * protobuf, kubeconfig YAML, the cache store's list replacement, and the
 * cache writer's order. */
#include "unit.h"
#include "hub/hub.h"
#include "hub/store.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "kube/object.h"
#include "kube/pb.h"
#include "kube/request.h"
#include "kube/selector.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* A conn whose buffer holds TEXT and whose socket is gone: parsing can't
 * read past what the peer sent. */
static void conn_with(eb_conn_t *c, const char *text, size_t len)
{
    eb_conn_init(c, -1);
    memcpy(c->rbuf, text, len);
    c->rlen = len;
}

static int head_of(const char *text, int request, eb_http_head_t *h)
{
    eb_conn_t c;
    eb_error_t err = { 0 };
    int rc;

    conn_with(&c, text, strlen(text));
    rc = eb_http_read_head(&c, request, h, &err);
    return rc;
}

/* The first parameter NAME of the query in TARGET, decoded. */
static char *query_val(const char *target, const char *name)
{
    const char *q = strchr(target, '?') + 1;
    eb_qparam_t p;

    while (eb_http_query_next(&q, &p))
        if (eb_http_qkey_is(&p, name))
            return eb_http_qval(&p);
    return NULL;
}

static json_object *labels(const char *json)
{
    return json_tokener_parse(json);
}

static int lmatch(const char *sel, const char *set)
{
    eb_selector_t s;
    eb_error_t err = { 0 };
    json_object *o = labels(set);
    int m;

    if (eb_label_selector_parse(sel, &s, &err) < 0) {
        json_object_put(o);
        return -1;
    }
    m = eb_selector_match(&s, o);
    eb_selector_free(&s);
    json_object_put(o);
    return m;
}

static void test_http(void)
{
    eb_http_head_t h;
    eb_conn_t c;
    eb_body_t b;
    eb_buf_t out = { .limit = 100 };
    eb_error_t err = { 0 };
    char *v;
    const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n";

    CHECK(head_of("GET /api/v1/pods?watch=1 HTTP/1.1\r\nHost: x\r\nUser-Agent:  kubelet/v1.32 \r\n\r\n", 1, &h) == 0
          && strcmp(h.method, "GET") == 0 && strcmp(h.target, "/api/v1/pods?watch=1") == 0 && h.minor == 1
          && strcmp(eb_http_header(&h, "user-agent"), "kubelet/v1.32") == 0,
          "http: a request head parses (method, target, trimmed header value, case-insensitive lookup)");
    eb_http_head_free(&h);
    CHECK(head_of("HTTP/1.1 101 Switching Protocols\r\nConnection: keep-alive, Upgrade\r\n\r\n", 0, &h) == 0
          && h.status == 101 && eb_http_header_has(&h, "Connection", "upgrade"),
          "http: a response head parses; header tokens are found case-insensitively");
    eb_http_head_free(&h);
    CHECK(head_of("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 1, &h) < 0, "http: a space in a header name is refused");
    eb_http_head_free(&h);
    CHECK(head_of("GET / HTTP/2.0\r\n\r\n", 1, &h) < 0, "http: only HTTP/1.x");
    eb_http_head_free(&h);
    CHECK(head_of("HTTP/1.1 2x0 OK\r\n\r\n", 0, &h) < 0, "http: a bad status code is refused");
    eb_http_head_free(&h);
    CHECK(head_of("GET / HTTP/1.1\r\nHost: x\r\n", 1, &h) < 0, "http: a head cut short is an error, not a hang");
    eb_http_head_free(&h);
    {
        char big[20000];
        memset(big, 'a', sizeof(big));
        memcpy(big, "GET /", 5);
        big[sizeof(big) - 1] = 0;
        eb_conn_init(&c, -1);
        memcpy(c.rbuf, big, sizeof(c.rbuf));
        c.rlen = sizeof(c.rbuf);
        CHECK(eb_http_read_head(&c, 1, &h, &err) < 0 && err.code == EMSGSIZE, "http: a head larger than 16 KiB is refused");
        eb_http_head_free(&h);
    }
    {
        char many[8192] = "GET / HTTP/1.1\r\n";
        int i;
        for (i = 0; i < 70; i++)
            strcat(many, "A: b\r\n");
        strcat(many, "\r\n");
        CHECK(head_of(many, 1, &h) < 0, "http: more than %d headers are refused", EB_HTTP_MAX_HEADERS);
        eb_http_head_free(&h);
    }
    conn_with(&c, chunked, strlen(chunked));
    eb_error_clear(&err);
    CHECK(eb_http_read_head(&c, 0, &h, &err) == 0 && eb_body_init_response(&b, &h, "GET") == 0
          && eb_body_read_all(&c, &b, &out, &err) == 0 && strcmp(eb_buf_str(&out), "hello world") == 0,
          "http: a chunked body with extensions and trailers decodes");
    eb_http_head_free(&h);
    eb_buf_reset(&out);
    conn_with(&c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 51);
    CHECK(eb_http_read_head(&c, 0, &h, &err) == 0 && eb_body_init_response(&b, &h, "GET") == 0
          && eb_body_read_all(&c, &b, &out, &err) < 0, "http: a bad chunk size is an error");
    eb_http_head_free(&h);
    eb_buf_reset(&out);
    conn_with(&c, "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n", 41);
    CHECK(eb_http_read_head(&c, 0, &h, &err) == 0 && eb_body_init_response(&b, &h, "GET") == 0
          && eb_body_read_all(&c, &b, &out, &err) < 0, "http: a body shorter than its Content-Length is an error");
    eb_http_head_free(&h);
    conn_with(&c, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 61);
    CHECK(eb_http_read_head(&c, 0, &h, &err) == 0 && eb_body_init_response(&b, &h, "GET") < 0,
          "http: an overflowing Content-Length is refused");
    eb_http_head_free(&h);
    eb_buf_free(&out);
    out = (eb_buf_t) { .limit = 4 };
    conn_with(&c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 43);
    CHECK(eb_http_read_head(&c, 0, &h, &err) == 0 && eb_body_init_response(&b, &h, "GET") == 0
          && eb_body_read_all(&c, &b, &out, &err) < 0 && err.code == EMSGSIZE, "http: bodies are bounded");
    eb_http_head_free(&h);
    eb_buf_free(&out);

    v = query_val("/p?a=1&labelSelector=app%3Dweb%2Ctier+in+(x)&b", "labelSelector");
    CHECK(v && strcmp(v, "app=web,tier in (x)") == 0, "http: query values are percent- and plus-decoded");
    free(v);
    v = query_val("/p?x=%zz", "x");
    CHECK(!v, "http: a bad escape yields nothing");
    free(v);
    v = query_val("/p?x=%00", "x");
    CHECK(!v, "http: an escaped NUL is refused");
    free(v);
    {
        eb_buf_t pb = { 0 };
        char big[600];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        CHECK(eb_buf_printf(&pb, "%s=%d", "a", 1) == 0 && eb_buf_printf(&pb, ",%s", big) == 0
              && pb.len == 3 + 1 + sizeof(big) - 1 && strncmp(pb.p, "a=1,xxx", 7) == 0 && pb.p[pb.len] == 0,
              "buf: printf appends within the room and past it");
        pb.limit = pb.len + 2;
        CHECK(eb_buf_printf(&pb, "%s", "abc") < 0 && pb.len == 3 + sizeof(big) && pb.p[pb.len] == 0
              && eb_buf_printf(&pb, "%s", "ab") == 0 && pb.len == pb.limit,
              "buf: printf past the limit fails and leaves the content as it was");
        eb_buf_free(&pb);
    }
    CHECK(eb_http_parse_bool("True") == 1 && eb_http_parse_bool("1") == 1 && eb_http_parse_bool("f") == 0
          && eb_http_parse_bool("yes") == -1, "http: booleans parse as Go's strconv.ParseBool");
}

static void test_request(void)
{
    eb_kreq_t r;
    eb_error_t err = { 0 };

    CHECK(eb_kreq_parse("GET", "/api/v1/namespaces/demo/pods?labelSelector=app%3Dweb&limit=500", &r, &err) == 0
          && r.verb == EB_KV_LIST && strcmp(r.res_key, "v1/pods") == 0 && strcmp(r.ns, "demo") == 0
          && strcmp(r.label_selector, "app=web") == 0 && r.limit == 500, "request: namespaced list");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/ecm", &r, &err) == 0
          && r.verb == EB_KV_GET && strcmp(r.res_key, "coordination.k8s.io/v1/leases") == 0
          && strcmp(r.name, "ecm") == 0, "request: get of a grouped resource");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/v1/namespaces/demo/pods/web?watch=True", &r, &err) == 0
          && r.verb == EB_KV_WATCH && !r.name && strcmp(r.field_selector, "metadata.name=web") == 0,
          "request: a watch of one object is a watch with a name selector");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/v1/watch/namespaces/demo/configmaps", &r, &err) == 0 && r.verb == EB_KV_WATCH,
          "request: the /watch/ prefix");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/v1/namespaces/demo", &r, &err) == 0 && r.verb == EB_KV_GET
          && strcmp(r.resource, "namespaces") == 0 && strcmp(r.name, "demo") == 0 && !r.ns,
          "request: a namespace object is not a namespace scope");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/v1/namespaces/demo/pods/web/log?follow=true", &r, &err) == 0
          && strcmp(r.sub, "log") == 0, "request: subresources are told apart");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("POST", "/api/v1/namespaces/demo/configmaps", &r, &err) == 0 && r.verb == EB_KV_CREATE,
          "request: POST is create");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("DELETE", "/api/v1/namespaces/demo/configmaps", &r, &err) == 0
          && r.verb == EB_KV_DELETECOLLECTION, "request: DELETE without a name is deletecollection");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/apis", &r, &err) == 0 && r.verb == EB_KV_OTHER && !r.resource,
          "request: discovery is not a resource request");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/v1/pods?watch=maybe", &r, &err) < 0, "request: a bad boolean is refused");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/v1/namespaces/../pods", &r, &err) < 0, "request: dot segments are refused");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/v1/pods?label%53elector=a%3Db&labelSelector=c&watch&limit=7&limit=9", &r, &err) == 0
          && strcmp(r.label_selector, "a=b") == 0 && r.verb == EB_KV_WATCH && r.limit == 7,
          "request: escaped keys match, the first of a repeated parameter counts, a bare key is true");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/v1/pods?fieldSelector=%zz&fieldSelector=spec.nodeName%3Dn", &r, &err) == 0
          && !r.field_selector, "request: a badly escaped value is absent, not replaced by a later one");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/apis/g.io/v1beta1/namespaces/a%2Bb/things/x+y/sub/deeper", &r, &err) == 0
          && strcmp(r.ns, "a+b") == 0 && strcmp(r.name, "x+y") == 0 && strcmp(r.sub, "proxy") == 0
          && strcmp(r.res_key, "g.io/v1beta1/things") == 0, "request: '+' in a path is a plus; deeper paths are proxy");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/v1/pods?%77%61%74%63%68%3D=1", &r, &err) == 0 && r.verb == EB_KV_LIST,
          "request: an escaped '=' belongs to the key");
    eb_kreq_free(&r);
    CHECK(eb_kreq_parse("GET", "/api/%00/pods", &r, &err) < 0, "request: an escaped NUL in the path is refused");
    eb_kreq_free(&r);
}

static void test_selectors(void)
{
    eb_selector_t s;
    eb_error_t err = { 0 };
    json_object *f;
    const char *set = "{\"app\":\"web\",\"tier\":\"front\",\"n\":\"5\"}";

    CHECK(lmatch("app=web", set) == 1 && lmatch("app==web", set) == 1 && lmatch("app=db", set) == 0,
          "selector: equality");
    CHECK(lmatch("app!=db", set) == 1 && lmatch("missing!=x", set) == 1 && lmatch("app!=web", set) == 0,
          "selector: inequality (absent keys match !=)");
    CHECK(lmatch("tier in (front, back)", set) == 1 && lmatch("tier notin (front)", set) == 0
          && lmatch("missing notin (x)", set) == 1 && lmatch("missing in (x)", set) == 0, "selector: set-based");
    CHECK(lmatch("app", set) == 1 && lmatch("!app", set) == 0 && lmatch("!missing", set) == 1, "selector: existence");
    CHECK(lmatch("n>3", set) == 1 && lmatch("n<3", set) == 0, "selector: gt/lt");
    CHECK(lmatch("app=web,tier in (front),!missing", set) == 1, "selector: requirements are ANDed");
    CHECK(lmatch("", set) == 1, "selector: empty selects everything");
    CHECK(lmatch("app=", "{\"app\":\"\"}") == 1, "selector: an empty value");
    CHECK(lmatch("app in (a", set) < 0 && lmatch("app=web,", set) < 0 && lmatch("=x", set) < 0
          && lmatch("app == web x", set) < 0, "selector: syntax errors are refused");
    CHECK(eb_field_selector_parse("spec.nodeName=edge1,status.phase!=Failed", "pods", &s, &err) == 0 && s.n == 2,
          "selector: field selectors for pods");
    f = json_tokener_parse("{\"spec.nodeName\":\"edge1\",\"status.phase\":\"Running\"}");
    CHECK(eb_selector_match(&s, f) == 1, "selector: field selector matches");
    json_object_put(f);
    eb_selector_free(&s);
    CHECK(eb_field_selector_parse("spec.bogus=1", "pods", &s, &err) < 0 && strstr(err.msg, "field label not supported"),
          "selector: an unsupported field is refused like the apiserver");
    eb_error_clear(&err);
    CHECK(eb_field_selector_parse("type=kubernetes.io/tls", "secrets", &s, &err) == 0, "selector: secrets by type");
    eb_selector_free(&s);
    CHECK(eb_field_selector_parse("metadata.name=a\\,b", "configmaps", &s, &err) == 0
          && strcmp(s.reqs[0].values[0], "a,b") == 0, "selector: escaped commas in field values");
    eb_selector_free(&s);
}

static void test_pb(void)
{
    eb_buf_t b = { 0 }, inner = { 0 }, md = { 0 };
    char *apiv, *kind;
    const uint8_t *raw;
    size_t rawlen;
    eb_kobj_t o;
    eb_error_t err = { 0 };
    eb_pb_t r;
    eb_pb_field_t f;
    const uint8_t trunc[] = { 0x0a, 0x05, 'a' };
    const uint8_t huge[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f };
    const uint8_t longvarint[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };

    /* Pod{metadata{name, namespace, resourceVersion, labels{app:web}}, spec{nodeName=10, hostNetwork=11}} */
    eb_pb_put_string(&md, 1, "web-1");
    eb_pb_put_string(&md, 3, "demo");
    eb_pb_put_string(&md, 6, "42");
    {
        eb_buf_t e = { 0 };
        eb_pb_put_string(&e, 1, "app");
        eb_pb_put_string(&e, 2, "web");
        eb_pb_put_bytes(&md, 11, e.p, e.len);
        eb_buf_free(&e);
    }
    eb_pb_put_bytes(&inner, 1, md.p, md.len);
    {
        eb_buf_t spec = { 0 };
        eb_pb_put_string(&spec, 10, "edge1");
        eb_pb_put_varint(&spec, 11 << 3 | 0);
        eb_pb_put_varint(&spec, 1);
        eb_pb_put_bytes(&inner, 2, spec.p, spec.len);
        eb_buf_free(&spec);
    }
    eb_pb_wrap(&b, "v1", "Pod", inner.p, inner.len);
    CHECK(eb_pb_unwrap(b.p, b.len, &apiv, &kind, &raw, &rawlen) == 0 && strcmp(apiv, "v1") == 0
          && strcmp(kind, "Pod") == 0 && rawlen == inner.len, "pb: envelope round trip");
    CHECK(eb_kobj_from_pb(raw, rawlen, "pods", &o, &err) == 0 && strcmp(o.name, "web-1") == 0 && strcmp(o.ns, "demo") == 0
          && strcmp(o.rv, "42") == 0
          && strcmp(json_object_get_string(json_object_object_get(o.labels, "app")), "web") == 0
          && strcmp(json_object_get_string(json_object_object_get(o.fields, "spec.nodeName")), "edge1") == 0
          && strcmp(json_object_get_string(json_object_object_get(o.fields, "spec.hostNetwork")), "true") == 0,
          "pb: identity, labels and selectable fields of a protobuf pod");
    eb_kobj_free(&o);
    free(apiv);
    free(kind);
    CHECK(eb_pb_unwrap("k8s", 3, &apiv, &kind, &raw, &rawlen) < 0 && eb_pb_unwrap("abcd\x0a\x00", 6, &apiv, &kind, &raw, &rawlen) < 0,
          "pb: no magic, no envelope");
    eb_pb_init(&r, trunc, sizeof(trunc));
    CHECK(eb_pb_next(&r, &f) < 0, "pb: a length past the end is refused");
    eb_pb_init(&r, huge, sizeof(huge));
    CHECK(eb_pb_next(&r, &f) < 0, "pb: a 4 GiB length is refused");
    eb_pb_init(&r, longvarint, sizeof(longvarint));
    CHECK(eb_pb_next(&r, &f) < 0, "pb: an 11-byte varint is refused");
    CHECK(eb_kobj_from_pb(trunc, sizeof(trunc), "pods", &o, &err) < 0, "pb: a malformed object is an error");
    eb_buf_free(&b);
    eb_buf_free(&inner);
    eb_buf_free(&md);
}

static void test_object(void)
{
    json_object *pod = json_tokener_parse("{\"metadata\":{\"name\":\"p\",\"namespace\":\"d\",\"resourceVersion\":\"7\","
                                          "\"labels\":{\"a\":\"b\"}},\"spec\":{\"nodeName\":\"n1\"},"
                                          "\"status\":{\"phase\":\"Running\"}}");
    eb_kobj_t o;
    eb_error_t err = { 0 };

    CHECK(eb_kobj_from_json(pod, "pods", &o, &err) == 0
          && strcmp(json_object_get_string(json_object_object_get(o.fields, "status.phase")), "Running") == 0
          && strcmp(json_object_get_string(json_object_object_get(o.fields, "spec.hostNetwork")), "false") == 0,
          "object: JSON fields, absent booleans as the apiserver formats them");
    eb_kobj_free(&o);
    json_object_put(pod);
    pod = json_tokener_parse("{\"metadata\":{\"namespace\":\"d\"}}");
    CHECK(eb_kobj_from_json(pod, "pods", &o, &err) < 0, "object: no name, no object");
    json_object_put(pod);
    CHECK(eb_rv_newer("10", "9") && !eb_rv_newer("9", "10") && eb_rv_newer("5", NULL) && !eb_rv_newer(NULL, "1"),
          "object: resourceVersions compare numerically");
}

static void test_kubeconfig(void)
{
    char dir[] = "/tmp/eb-kc.XXXXXX", path[64];
    eb_kubeconfig_t kc;
    eb_error_t err = { 0 };
    json_object *j;
    FILE *f;
    char deep[400];
    int i;

    mkdtemp(dir);
    snprintf(path, sizeof(path), "%s/kc", dir);
    f = fopen(path, "w");
    fputs("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://[::1]:8080\n"
          "users:\n- name: u\n  user:\n    token: \"abc\"\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
          "- name: y\n  context: {cluster: missing}\ncurrent-context: x\n", f);
    fclose(f);
    CHECK(eb_kubeconfig_load(path, NULL, &kc, &err) == 0 && strcmp(kc.host, "::1") == 0 && strcmp(kc.port, "8080") == 0
          && !kc.tls && strcmp(kc.token, "abc") == 0, "kubeconfig: current context, IPv6 server, token");
    eb_kubeconfig_free(&kc);
    CHECK(eb_kubeconfig_load(path, "y", &kc, &err) < 0 && strstr(err.msg, "missing"),
          "kubeconfig: a context naming a missing cluster is a clear error");
    eb_error_clear(&err);
    CHECK(eb_yaml_to_json("a: &x 1\nb: *x\n", 15, &j, &err) < 0, "kubeconfig: YAML aliases are refused");
    eb_error_clear(&err);
    for (i = 0; i < 100; i++)
        deep[i] = '[';
    deep[100] = 0;
    CHECK(eb_yaml_to_json(deep, 100, &j, &err) < 0, "kubeconfig: nesting is bounded");
    eb_error_clear(&err);
    CHECK(eb_yaml_to_json("{\"a\": [1, \"x\"]}", 15, &j, &err) == 0 && json_object_is_type(j, json_type_object),
          "kubeconfig: JSON is read as YAML");
    json_object_put(j);
    unlink(path);
    rmdir(dir);
}

static int count_cb(const eb_row_t *row, void *arg)
{
    (void) row;
    (*(int *) arg)++;
    return 0;
}

static void put_cm(eb_put_t *p, const char *ns, const char *name, const char *rv, const char *lbl)
{
    json_object *o = json_object_new_object(), *md = json_object_new_object(), *l = json_object_new_object();
    eb_error_t err = { 0 };

    json_object_object_add(md, "name", json_object_new_string(name));
    json_object_object_add(md, "namespace", json_object_new_string(ns));
    json_object_object_add(md, "resourceVersion", json_object_new_string(rv));
    json_object_object_add(l, "tier", json_object_new_string(lbl));
    json_object_object_add(md, "labels", l);
    json_object_object_add(o, "metadata", md);
    memset(p, 0, sizeof(*p));
    eb_kobj_from_json(o, "configmaps", &p->obj, &err);
    p->kind = "ConfigMap";
    p->apiv = "v1";
    p->data = "{}";
    p->len = 2;
    json_object_put(o);
}

static void test_store(void)
{
    eb_store_t *s;
    eb_error_t err = { 0 };
    eb_scope_t sc = { "kubelet", "v1/configmaps", EB_FMT_JSON };
    eb_list_query_t all = { "d", "", "" }, back = { "d", "tier=back", "" };
    eb_put_t p[3];
    char *rv, *kind = NULL;
    int n = 0, i;

    CHECK(eb_store_open(":memory:", &s, &err) == 0, "store: opens");
    put_cm(&p[0], "d", "a", "5", "front");
    put_cm(&p[1], "d", "b", "6", "back");
    put_cm(&p[2], "d", "c", "7", "back");
    CHECK(eb_store_replace(s, &sc, &all, "7", p, 3, &err) == 0, "store: a list is stored");
    eb_store_scan(s, &sc, "d", NULL, count_cb, &n, &err);
    CHECK(n == 3, "store: three objects");
    /* the query tier=back now returns only b: c is gone, a (not selected) stays */
    CHECK(eb_store_replace(s, &sc, &back, "9", &p[1], 1, &err) == 0, "store: a selected list replaces");
    n = 0;
    eb_store_scan(s, &sc, "d", NULL, count_cb, &n, &err);
    CHECK(n == 2, "store: only what the query selects and no longer lists is dropped (%d left)", n);
    rv = eb_store_rv(s, &sc, &kind, NULL);
    CHECK(rv && strcmp(rv, "9") == 0 && kind && strcmp(kind, "ConfigMap") == 0, "store: newest resourceVersion and kind");
    free(rv);
    free(kind);
    CHECK(eb_store_list_covers(s, &sc, &all) && eb_store_list_covers(s, &sc, &back), "store: recorded lists cover");
    {
        eb_list_query_t other = { "e", "", "" }, sel = { "d", "tier=front", "" };
        CHECK(!eb_store_list_covers(s, &sc, &other) && eb_store_list_covers(s, &sc, &sel),
              "store: another namespace is not covered; a new selector is, by the unselected list");
    }
    CHECK(eb_store_delete(s, &sc, "d", "a", &err) == 0, "store: delete");
    n = 0;
    eb_store_get(s, &sc, "d", "a", count_cb, &n, &err);
    CHECK(n == 0, "store: deleted is gone");
    for (i = 0; i < 3; i++)
        eb_kobj_free(&p[i].obj);
    eb_store_close(s);
}

static int rv_cb(const eb_row_t *row, void *arg)
{
    snprintf(arg, 16, "%s", row->rv ? row->rv : "");
    return 0;
}

static void cm_body(eb_buf_t *b, const char *rv)
{
    eb_buf_printf(b, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\","
                     "\"namespace\":\"d\",\"resourceVersion\":\"%s\"},\"data\":{\"k\":\"v\"}}", rv);
}

/* The writer applies captures in the order they arrived: a GET answered
 * before a watch event must not undo what the event did. */
static void test_writer(void)
{
    static eb_hub_t hub;
    eb_error_t err = { 0 };
    eb_scope_t sc = { "kubelet", "v1/configmaps", EB_FMT_JSON };
    const char *get = "/api/v1/namespaces/d/configmaps/a", *watch = "/api/v1/namespaces/d/configmaps?watch=1";
    eb_kreq_t rg, rw;
    eb_watch_capture_t w = { .hub = &hub, .comp = "kubelet", .method = "GET", .target = watch, .r = &rw,
                             .fmt = EB_FMT_JSON };
    eb_buf_t b = { 0 }, ev = { 0 };
    char rv[16] = "";
    int i, n, bad = 0, taken = 0;

    hub.cfg.max_body = 1 << 20;
    CHECK(eb_store_open(":memory:", &hub.store, &err) == 0 && eb_capq_start(&hub, &err) == 0, "writer: starts");
    eb_kreq_parse("GET", get, &rg, &err);
    eb_kreq_parse("GET", watch, &rw, &err);
    w.pending.limit = 1 << 20;
    for (i = 0; i < 50; i++) {
        /* GET (rv 5), then the watch says MODIFIED (rv 6), then DELETED */
        cm_body(&b, "5");
        eb_capq_body(&hub, "kubelet", "GET", get, &rg, EB_FMT_JSON, 200, &b);
        taken += b.len == 0;
        eb_buf_puts(&ev, "{\"type\":\"MODIFIED\",\"object\":");
        cm_body(&ev, "6");
        eb_buf_puts(&ev, "}\n{\"type\":\"DELETED\",\"object\":");
        cm_body(&ev, "7");
        eb_buf_puts(&ev, "}\n");
        eb_watch_capture_feed(&w, ev.p, ev.len);
        eb_buf_reset(&ev);
        if (i % 2 == 0) {
            /* and again a GET (rv 8): the object is back */
            cm_body(&b, "8");
            eb_capq_body(&hub, "kubelet", "GET", get, &rg, EB_FMT_JSON, 200, &b);
        }
        eb_capq_sync(&hub);
        rv[0] = 0;
        n = 0;
        eb_store_get(hub.store, &sc, "d", "a", count_cb, &n, &err);
        eb_store_get(hub.store, &sc, "d", "a", rv_cb, rv, &err);
        if (i % 2 == 0 ? n != 1 || strcmp(rv, "8") != 0 : n != 0) {
            if (!bad++)
                printf("# round %d: %d objects, rv '%s'\n", i, n, rv);
        }
    }
    CHECK(taken == 50, "writer: a queued body is taken over, not copied");
    CHECK(bad == 0, "writer: 50 rounds of GET, MODIFIED, DELETED (and every other round a GET) land in arrival "
                    "order (%d wrong)", bad);
    /* Without a sync: the writer, asleep, is woken by the capture; the
     * second one comes while it naps and needs no wake-up. */
    usleep(50000);                /* past the nap after the last sync */
    for (i = 0; i < 2; i++) {
        char want[8];
        snprintf(want, sizeof(want), "%d", 20 + i);
        cm_body(&b, want);
        eb_capq_body(&hub, "kubelet", "GET", get, &rg, EB_FMT_JSON, 200, &b);
        for (n = 0; n < 200; n++) {
            rv[0] = 0;
            eb_store_get(hub.store, &sc, "d", "a", rv_cb, rv, &err);
            if (strcmp(rv, want) == 0)
                break;
            usleep(5000);
        }
        CHECK(n < 200, "writer: a capture %s is applied without anyone waiting for it (rv '%s')",
              i ? "queued while the writer naps" : "that finds the writer asleep", rv);
        usleep(1000);
    }
    cm_body(&b, "30");
    eb_capq_body(&hub, "kubelet", "GET", get, &rg, EB_FMT_JSON, 200, &b);
    eb_capq_stop(&hub);
    rv[0] = 0;
    eb_store_get(hub.store, &sc, "d", "a", rv_cb, rv, &err);
    CHECK(strcmp(rv, "30") == 0, "writer: stopping applies what is queued (rv '%s')", rv);
    eb_watch_capture_free(&w);
    eb_buf_free(&b);
    eb_buf_free(&ev);
    eb_kreq_free(&rg);
    eb_kreq_free(&rw);
    eb_store_close(hub.store);
}

int main(void)
{
    unit_name = "kube";
    test_http();
    test_request();
    test_selectors();
    test_pb();
    test_object();
    test_kubeconfig();
    test_store();
    test_writer();
    return unit_failed;
}
