/* capture.c - fill the cache from responses passing through: objects from
 * GETs, lists (replacing what the same query returned before) and watch
 * events, in JSON or in Kubernetes protobuf.  Objects are stored in the
 * form a list carries them (JSON without kind/apiVersion; protobuf without
 * the envelope), with kind and apiVersion beside them.  The cache writer
 * (capq.c) calls in here; watchcap.c cuts a stream into the events. */
#include "hub/hub.h"
#include "kube/pb.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum eb_fmt eb_ctype_fmt(const char *ctype, int *is_table, int *ok)
{
    *is_table = 0;
    *ok = 0;
    if (!ctype)
        return EB_FMT_JSON;
    if (strstr(ctype, "as=Table"))
        *is_table = 1;
    if (strstr(ctype, "as=PartialObjectMetadata"))
        return EB_FMT_JSON;
    if (strncmp(ctype, "application/json", 16) == 0) {
        *ok = 1;
        return EB_FMT_JSON;
    }
    if (strncmp(ctype, "application/vnd.kubernetes.protobuf", 35) == 0) {
        *ok = 1;
        return EB_FMT_PB;
    }
    return EB_FMT_JSON;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* A JSON object into a put: identity, kind, and the text without
 * kind/apiVersion.  The text is owned by OBJ. */
static int json_put(json_object *obj, const char *resource, const char *kind, const char *apiv,
                    eb_put_t *p, char **kind_out, char **apiv_out, eb_error_t *err)
{
    const char *k, *a;

    *kind_out = *apiv_out = NULL;
    if (!json_object_is_type(obj, json_type_object))
        return eb_error_set(err, EINVAL, "an object that is not a JSON object");
    k = jstr(obj, "kind");
    a = jstr(obj, "apiVersion");
    *kind_out = eb_xstrdup(k ? k : kind ? kind : "");
    *apiv_out = eb_xstrdup(a ? a : apiv ? apiv : "");
    json_object_object_del(obj, "kind");
    json_object_object_del(obj, "apiVersion");
    if (eb_kobj_from_json(obj, resource, &p->obj, err) < 0)
        return -1;
    p->kind = *kind_out;
    p->apiv = *apiv_out;
    p->data = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
    p->len = strlen(p->data);
    return 0;
}

static eb_list_query_t query_of(const eb_kreq_t *r)
{
    return (eb_list_query_t) { r->ns ? r->ns : (char *) "", r->label_selector ? r->label_selector : (char *) "",
                               r->field_selector ? r->field_selector : (char *) "" };
}

static char *item_kind(const char *list_kind)
{
    size_t n = strlen(list_kind);

    if (n > 4 && strcmp(list_kind + n - 4, "List") == 0)
        return strndup(list_kind, n - 4);
    return eb_xstrdup(list_kind);
}

static int store_list(eb_hub_t *hub, const eb_scope_t *sc, const eb_kreq_t *r, const char *rv, const char *cont,
                      eb_put_t *puts, size_t n, eb_error_t *err)
{
    eb_list_query_t q = query_of(r);

    /* Pages of a paginated list go in as they come; only a complete,
     * single-response list may say what no longer exists. */
    if ((cont && cont[0]) || (r->cont && r->cont[0])) {
        if (eb_store_put(hub->store, sc, puts, n, err) < 0)
            return -1;
        if (!(cont && cont[0]))
            return eb_store_record_list(hub->store, sc, &q, NULL, err);
        return 0;
    }
    return eb_store_replace(hub->store, sc, &q, rv, puts, n, err);
}

static int capture_json(eb_hub_t *hub, const eb_scope_t *sc, const eb_kreq_t *r, const void *body, size_t len,
                        eb_error_t *err)
{
    json_object *root = eb_json_parse(body, len, 64, 0, err);
    int ret = -1;

    if (!root)
        return eb_error_wrap(err, "response");
    if (r->verb == EB_KV_GET) {
        char *k = NULL, *a = NULL;
        eb_put_t p = { 0 };
        if (json_put(root, r->resource, NULL, NULL, &p, &k, &a, err) == 0)
            ret = eb_store_put(hub->store, sc, &p, 1, err);
        eb_kobj_free(&p.obj);
        free(k);
        free(a);
    } else {
        json_object *items, *md;
        const char *lk = jstr(root, "kind"), *la = jstr(root, "apiVersion");
        char *ik = item_kind(lk ? lk : "");
        char **kinds = NULL, **apivs = NULL;
        eb_put_t *puts = NULL;
        size_t n = 0, i;

        json_object_object_get_ex(root, "metadata", &md);
        if (!json_object_object_get_ex(root, "items", &items) || !json_object_is_type(items, json_type_array)) {
            if (json_object_is_type(items, json_type_null) || !items)
                items = NULL;
            else {
                eb_error_set(err, EINVAL, "list without items");
                goto list_out;
            }
        }
        n = items ? json_object_array_length(items) : 0;
        puts = eb_xcalloc(n ? n : 1, sizeof(*puts));
        kinds = eb_xcalloc(n ? n : 1, sizeof(char *));
        apivs = eb_xcalloc(n ? n : 1, sizeof(char *));
        for (i = 0; i < n; i++)
            if (json_put(json_object_array_get_idx(items, i), r->resource, ik, la, &puts[i], &kinds[i], &apivs[i], err) < 0)
                goto list_out;
        ret = store_list(hub, sc, r, jstr(md, "resourceVersion"), jstr(md, "continue"), puts, n, err);
        if (ret == 0 && ik[0])    /* the kind, for answering an empty list later */
            ret = eb_store_set_kind(hub->store, sc, ik, la ? la : "", err);
    list_out:
        for (i = 0; i < n; i++) {
            eb_kobj_free(&puts[i].obj);
            free(kinds[i]);
            free(apivs[i]);
        }
        free(puts);
        free(kinds);
        free(apivs);
        free(ik);
    }
    json_object_put(root);
    return ret;
}

static int capture_pb(eb_hub_t *hub, const eb_scope_t *sc, const eb_kreq_t *r, const void *body, size_t len,
                      eb_error_t *err)
{
    char *apiv = NULL, *kind = NULL;
    const uint8_t *raw;
    size_t rawlen;
    int ret = -1;

    if (eb_pb_unwrap(body, len, &apiv, &kind, &raw, &rawlen) < 0)
        return eb_error_set(err, EINVAL, "response is not a Kubernetes protobuf envelope");
    if (r->verb == EB_KV_GET) {
        eb_put_t p = { .kind = kind, .apiv = apiv, .data = raw, .len = rawlen };
        if (eb_kobj_from_pb(raw, rawlen, r->resource, &p.obj, err) == 0)
            ret = eb_store_put(hub->store, sc, &p, 1, err);
        eb_kobj_free(&p.obj);
    } else {
        char *ik = item_kind(kind), *rv = NULL, *cont = NULL;
        eb_put_t *puts = NULL;
        size_t n = 0, i;
        eb_pb_t rd;
        eb_pb_field_t f;
        int rc;

        eb_pb_init(&rd, raw, rawlen);
        while ((rc = eb_pb_next(&rd, &f)) == 1) {
            if (f.wire != 2)
                continue;
            if (f.num == 1) {          /* ListMeta */
                eb_pb_t m;
                eb_pb_field_t g;
                eb_pb_init(&m, f.data, f.len);
                while (eb_pb_next(&m, &g) == 1) {
                    if (g.wire == 2 && g.num == 2)
                        free(rv), rv = strndup((const char *) g.data, g.len);
                    else if (g.wire == 2 && g.num == 3)
                        free(cont), cont = strndup((const char *) g.data, g.len);
                }
            } else if (f.num == 2) {
                puts = eb_xrealloc(puts, (n + 1) * sizeof(*puts));
                memset(&puts[n], 0, sizeof(puts[n]));
                puts[n].kind = ik;
                puts[n].apiv = apiv;
                puts[n].data = f.data;
                puts[n].len = f.len;
                if (eb_kobj_from_pb(f.data, f.len, r->resource, &puts[n].obj, err) < 0) {
                    rc = -2;
                    break;
                }
                n++;
            }
        }
        if (rc == -1)
            eb_error_set(err, EINVAL, "malformed protobuf list");
        else if (rc == 0) {
            ret = store_list(hub, sc, r, rv, cont, puts, n, err);
            if (ret == 0 && ik[0])
                ret = eb_store_set_kind(hub->store, sc, ik, apiv, err);
        }
        for (i = 0; i < n; i++)
            eb_kobj_free(&puts[i].obj);
        free(puts);
        free(ik);
        free(rv);
        free(cont);
    }
    free(apiv);
    free(kind);
    return ret;
}

int eb_capture_body(eb_hub_t *hub, const char *comp, const eb_kreq_t *r, enum eb_fmt fmt, int status,
                    const void *body, size_t len, eb_error_t *err)
{
    eb_scope_t sc = { comp, r->res_key, fmt };

    if (r->verb == EB_KV_GET && status == 404)
        return eb_store_set_gone(hub->store, &sc, r->ns, r->name, 1, err);
    if (r->verb == EB_KV_GET && eb_store_set_gone(hub->store, &sc, r->ns, r->name, 0, err) < 0)
        return -1;
    if (!body || !len)
        return 0;
    return fmt == EB_FMT_PB ? capture_pb(hub, &sc, r, body, len, err) : capture_json(hub, &sc, r, body, len, err);
}

/* One watch event: TYPE and the object (JSON tree, or protobuf envelope). */
static void apply_event(eb_hub_t *hub, const char *comp, const eb_kreq_t *r, enum eb_fmt fmt, const char *type,
                        json_object *jobj, const uint8_t *pb, size_t pblen)
{
    eb_scope_t sc = { comp, r->res_key, fmt };
    eb_error_t err = { 0 };
    eb_put_t p = { 0 };
    char *kind = NULL, *apiv = NULL;
    const uint8_t *raw = NULL;
    size_t rawlen = 0;
    int rc = 0;

    if (strcmp(type, "ERROR") == 0)
        return;
    if (jobj) {
        if (strcmp(type, "BOOKMARK") == 0) {
            json_object *md;
            json_object_object_get_ex(jobj, "metadata", &md);
            eb_store_set_rv(hub->store, &sc, jstr(md, "resourceVersion"), &err);
            return;
        }
        rc = json_put(jobj, r->resource, NULL, NULL, &p, &kind, &apiv, &err);
    } else {
        if (eb_pb_unwrap(pb, pblen, &apiv, &kind, &raw, &rawlen) < 0)
            return;
        rc = eb_kobj_from_pb(raw, rawlen, r->resource, &p.obj, &err);
        if (rc == 0 && strcmp(type, "BOOKMARK") == 0) {
            eb_store_set_rv(hub->store, &sc, p.obj.rv, &err);
            goto out;
        }
        p.kind = kind, p.apiv = apiv, p.data = raw, p.len = rawlen;
    }
    if (rc < 0) {
        /* a protobuf bookmark has no name: only its resourceVersion */
        goto out;
    }
    if (strcmp(type, "DELETED") == 0) {
        rc = eb_store_delete(hub->store, &sc, p.obj.ns, p.obj.name, &err);
        if (rc == 0)
            eb_store_set_rv(hub->store, &sc, p.obj.rv, &err);
    } else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
        rc = eb_store_put(hub->store, &sc, &p, 1, &err);
    }
    if (rc < 0) {
        atomic_fetch_add(&hub->store_errors, 1);
        eb_warn("hub: caching a watch event of %s for %s: %s", r->res_key, comp, err.msg);
    }
out:
    eb_kobj_free(&p.obj);
    free(kind);
    free(apiv);
}

/* One event as the stream carried it: a JSON line, or a protobuf
 * WatchEvent frame without its length. */
void eb_capture_event(eb_hub_t *hub, const char *comp, const eb_kreq_t *r, enum eb_fmt fmt, const void *data, size_t len)
{
    if (fmt == EB_FMT_JSON) {
        eb_error_t ign = { 0 };
        json_object *ev = eb_json_parse(data, len, 64, 0, &ign), *obj;
        const char *type = jstr(ev, "type");

        if (type && json_object_object_get_ex(ev, "object", &obj) && json_object_is_type(obj, json_type_object))
            apply_event(hub, comp, r, fmt, type, obj, NULL, 0);
        json_object_put(ev);
    } else {
        eb_pb_t rd;
        eb_pb_field_t f;
        char *type = NULL;
        const uint8_t *obj = NULL;
        size_t objlen = 0;

        eb_pb_init(&rd, data, len);
        while (eb_pb_next(&rd, &f) == 1) {
            if (f.wire != 2)
                continue;
            if (f.num == 1)
                free(type), type = strndup((const char *) f.data, f.len);
            else if (f.num == 2)
                obj = eb_pb_find(f.data, f.len, 1, &objlen);   /* RawExtension.raw */
        }
        if (type && obj)
            apply_event(hub, comp, r, fmt, type, NULL, obj, objlen);
        free(type);
    }
}
