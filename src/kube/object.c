/* object.c - object identity, labels and selectable fields. */
#include "kube/object.h"
#include "kube/pb.h"
#include "kube/selector.h"
#include "common/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dup_str(json_object *o, const char *key)
{
    json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return eb_xstrdup(json_object_get_string(v));
}

/* Value at a dotted PATH as the apiserver formats field values. */
static const char *path_value(json_object *obj, const char *path, char *tmp, size_t tmplen)
{
    char part[128];
    const char *p = path;
    json_object *cur = obj;

    while (*p) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, p, n);
        part[n] = 0;
        if (!json_object_is_type(cur, json_type_object) || !json_object_object_get_ex(cur, part, &cur) || !cur)
            return NULL;
        p += n;
        if (*p == '.')
            p++;
    }
    switch (json_object_get_type(cur)) {
    case json_type_string:
        return json_object_get_string(cur);
    case json_type_boolean:
        return json_object_get_boolean(cur) ? "true" : "false";
    case json_type_int:
        snprintf(tmp, tmplen, "%lld", (long long) json_object_get_int64(cur));
        return tmp;
    default:
        return NULL;
    }
}

static void add_fields(eb_kobj_t *o, const char *resource, json_object *obj)
{
    size_t i, n;
    const eb_field_def_t *d = eb_field_defs(&n);

    o->fields = json_object_new_object();
    json_object_object_add(o->fields, "metadata.name", json_object_new_string(o->name ? o->name : ""));
    json_object_object_add(o->fields, "metadata.namespace", json_object_new_string(o->ns ? o->ns : ""));
    for (i = 0; i < n; i++) {
        char tmp[32];
        const char *v;
        if (strcmp(d[i].resource, resource) != 0)
            continue;
        v = obj ? path_value(obj, d[i].path, tmp, sizeof(tmp)) : NULL;
        json_object_object_add(o->fields, d[i].path, json_object_new_string(v ? v : d[i].absent));
    }
}

int eb_kobj_from_json(json_object *obj, const char *resource, eb_kobj_t *o, eb_error_t *err)
{
    json_object *md, *labels;

    memset(o, 0, sizeof(*o));
    if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, "metadata", &md)
        || !json_object_is_type(md, json_type_object))
        return eb_error_set(err, EINVAL, "object without metadata");
    o->name = dup_str(md, "name");
    if (!o->name || !o->name[0]) {
        eb_kobj_free(o);
        return eb_error_set(err, EINVAL, "object without metadata.name");
    }
    o->ns = dup_str(md, "namespace");
    o->rv = dup_str(md, "resourceVersion");
    o->uid = dup_str(md, "uid");
    o->created = dup_str(md, "creationTimestamp");
    o->labels = json_object_new_object();
    if (json_object_object_get_ex(md, "labels", &labels) && json_object_is_type(labels, json_type_object)) {
        json_object_object_foreach(labels, k, v)
            if (json_object_is_type(v, json_type_string))
                json_object_object_add(o->labels, k, json_object_get(v));
    }
    add_fields(o, resource, obj);
    return 0;
}

/* Protobuf: field numbers from k8s.io/api's generated.proto. */
static char *pb_str(const eb_pb_field_t *f)
{
    return strndup((const char *) f->data, f->len);
}

static int pb_meta(const uint8_t *p, size_t len, eb_kobj_t *o)
{
    eb_pb_t r;
    eb_pb_field_t f;
    int rc;

    eb_pb_init(&r, p, len);
    while ((rc = eb_pb_next(&r, &f)) == 1) {
        if (f.wire != 2)
            continue;
        switch (f.num) {
        case 1: free(o->name); o->name = pb_str(&f); break;
        case 3: free(o->ns); o->ns = pb_str(&f); break;
        case 5: free(o->uid); o->uid = pb_str(&f); break;
        case 6: free(o->rv); o->rv = pb_str(&f); break;
        case 8: {                 /* Time{1: seconds, 2: nanos} */
            eb_pb_t t;
            eb_pb_field_t g;
            int64_t secs = 0;
            eb_pb_init(&t, f.data, f.len);
            while (eb_pb_next(&t, &g) == 1)
                if (g.num == 1 && g.wire == 0)
                    secs = (int64_t) g.v;
            {
                time_t tt = (time_t) secs;
                struct tm tm;
                char buf[32];
                gmtime_r(&tt, &tm);
                strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
                free(o->created);
                o->created = eb_xstrdup(buf);
            }
            break;
        }
        case 11: {                /* labels map entry {1: key, 2: value} */
            eb_pb_t t;
            eb_pb_field_t g;
            char *k = NULL, *v = NULL;
            eb_pb_init(&t, f.data, f.len);
            while (eb_pb_next(&t, &g) == 1) {
                if (g.wire != 2)
                    continue;
                if (g.num == 1)
                    free(k), k = pb_str(&g);
                else if (g.num == 2)
                    free(v), v = pb_str(&g);
            }
            if (k)
                json_object_object_add(o->labels, k, json_object_new_string(v ? v : ""));
            free(k);
            free(v);
            break;
        }
        }
    }
    return rc;
}

int eb_kobj_from_pb(const uint8_t *raw, size_t len, const char *resource, eb_kobj_t *o, eb_error_t *err)
{
    const eb_field_def_t *defs;
    eb_pb_t r;
    eb_pb_field_t f;
    size_t i, ndefs;
    int rc;

    memset(o, 0, sizeof(*o));
    o->labels = json_object_new_object();
    eb_pb_init(&r, raw, len);
    while ((rc = eb_pb_next(&r, &f)) == 1)
        if (f.num == 1 && f.wire == 2 && pb_meta(f.data, f.len, o) < 0)
            rc = -1;
    if (rc < 0 || !o->name || !o->name[0]) {
        eb_kobj_free(o);
        return eb_error_set(err, EINVAL, rc < 0 ? "malformed protobuf object" : "object without metadata.name");
    }
    add_fields(o, resource, NULL);
    defs = eb_field_defs(&ndefs);
    for (i = 0; i < ndefs; i++) {
        const eb_field_def_t *d = &defs[i];
        eb_pb_t t;
        char *val = NULL;

        if (!d->pb_outer || strcmp(d->resource, resource) != 0)
            continue;
        eb_pb_init(&t, raw, len);
        while (eb_pb_next(&t, &f) == 1) {
            if (f.num != d->pb_outer)
                continue;
            if (d->pb_inner == 0) {      /* a top-level field */
                if (f.wire == 2)
                    free(val), val = pb_str(&f);
                continue;
            }
            if (f.wire == 2) {
                eb_pb_t u;
                eb_pb_field_t g;
                eb_pb_init(&u, f.data, f.len);
                while (eb_pb_next(&u, &g) == 1) {
                    if (g.num != d->pb_inner)
                        continue;
                    free(val);
                    val = d->pb_bool ? eb_xstrdup(g.v ? "true" : "false") : g.wire == 2 ? pb_str(&g) : NULL;
                }
            }
        }
        if (val)
            json_object_object_add(o->fields, d->path, json_object_new_string(val));
        free(val);
    }
    return 0;
}

void eb_kobj_free(eb_kobj_t *o)
{
    free(o->name);
    free(o->ns);
    free(o->rv);
    free(o->uid);
    free(o->created);
    json_object_put(o->labels);
    json_object_put(o->fields);
    memset(o, 0, sizeof(*o));
}

int eb_rv_newer(const char *a, const char *b)
{
    uint64_t x, y;

    if (!a)
        return 0;
    if (!b)
        return 1;
    if (eb_parse_u64(a, &x) == 0 && eb_parse_u64(b, &y) == 0)
        return x > y;
    return strcmp(a, b) != 0;
}

static json_object *json_walk(json_object *obj, va_list ap)
{
    const char *key;

    while (obj && (key = va_arg(ap, const char *)))
        if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &obj))
            obj = NULL;
    return obj;
}

json_object *eb_json_at(json_object *obj, ...)
{
    va_list ap;

    va_start(ap, obj);
    obj = json_walk(obj, ap);
    va_end(ap);
    return obj;
}

const char *eb_json_str_at(json_object *obj, ...)
{
    va_list ap;

    va_start(ap, obj);
    obj = json_walk(obj, ap);
    va_end(ap);
    return obj && json_object_is_type(obj, json_type_string) ? json_object_get_string(obj) : NULL;
}
