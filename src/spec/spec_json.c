/* spec_json.c - bounded, typed access to a json-c tree, with errors that
 * name the JSON path; and the arena that owns parsed arrays. */
#include "spec/spec_internal.h"
#include "common/json.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep nesting is never legitimate in a config and json-c recurses. */
#define JS_MAX_DEPTH 64

void *eb_arena_alloc(eb_arena_t *a, size_t n, size_t size)
{
    void *p;
    if (n != 0 && size > SIZE_MAX / n)
        return NULL;
    p = eb_xcalloc(n ? n : 1, size);
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->ptrs = eb_xrealloc(a->ptrs, a->cap * sizeof(void *));
    }
    a->ptrs[a->n++] = p;
    return p;
}

void eb_arena_free(eb_arena_t *a)
{
    size_t i;
    if (a == NULL)
        return;
    for (i = 0; i < a->n; i++)
        free(a->ptrs[i]);
    free(a->ptrs);
    a->ptrs = NULL;
    a->n = a->cap = 0;
}

static const char *type_name(json_type t)
{
    switch (t) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a number";
    case json_type_int: return "an integer";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "?";
}

struct json_object *js_get(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;
    if (obj == NULL || !json_object_is_type(obj, json_type_object))
        return NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return NULL;
    /* An explicit null means "absent" in every OCI field. */
    if (v != NULL && json_object_is_type(v, json_type_null))
        return NULL;
    return v;
}

int js_expect(struct json_object *v, json_type t, const char *path, eb_error_t *err)
{
    if (!json_object_is_type(v, t))
        return eb_error_set(err, EINVAL, "%s: expected %s, got %s", path, type_name(t),
                            type_name(json_object_get_type(v)));
    return 0;
}

int js_string(struct json_object *obj, const char *key, const char *path, bool required,
              const char **out, eb_error_t *err)
{
    struct json_object *v = js_get(obj, key);
    const char *s;
    if (v == NULL) {
        if (required)
            return eb_error_set(err, EINVAL, "%s%s%s: required", path, *path ? "." : "", key);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return eb_error_set(err, EINVAL, "%s%s%s: expected a string, got %s", path,
                            *path ? "." : "", key, type_name(json_object_get_type(v)));
    s = json_object_get_string(v);
    /* Strings go to C APIs: an embedded NUL would silently truncate. */
    if (strlen(s) != (size_t) json_object_get_string_len(v))
        return eb_error_set(err, EINVAL, "%s%s%s: contains a NUL byte", path, *path ? "." : "", key);
    *out = s;
    return 0;
}

int js_bool(struct json_object *obj, const char *key, const char *path, bool *out, eb_error_t *err)
{
    struct json_object *v = js_get(obj, key);
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return eb_error_set(err, EINVAL, "%s.%s: expected a boolean, got %s", path, key,
                            type_name(json_object_get_type(v)));
    *out = json_object_get_boolean(v);
    return 0;
}

int js_u64(struct json_object *v, const char *path, uint64_t max, uint64_t *out, eb_error_t *err)
{
    if (!json_object_is_type(v, json_type_int))
        return eb_error_set(err, EINVAL, "%s: expected an integer, got %s", path,
                            type_name(json_object_get_type(v)));
    errno = 0;
    if (json_object_get_int64(v) < 0)
        return eb_error_set(err, ERANGE, "%s: must not be negative", path);
    *out = json_object_get_uint64(v);
    if (*out > max)
        return eb_error_set(err, ERANGE, "%s: %llu is larger than %llu", path,
                            (unsigned long long) *out, (unsigned long long) max);
    return 0;
}

int js_i64(struct json_object *v, const char *path, int64_t min, int64_t max, int64_t *out,
           eb_error_t *err)
{
    if (!json_object_is_type(v, json_type_int))
        return eb_error_set(err, EINVAL, "%s: expected an integer, got %s", path,
                            type_name(json_object_get_type(v)));
    if (json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) > (uint64_t) INT64_MAX)
        return eb_error_set(err, ERANGE, "%s: out of range", path);
    *out = json_object_get_int64(v);
    if (*out < min || *out > max)
        return eb_error_set(err, ERANGE, "%s: %lld is out of range [%lld, %lld]", path,
                            (long long) *out, (long long) min, (long long) max);
    return 0;
}

int js_opt_u64(struct json_object *obj, const char *key, const char *path, uint64_t max,
               eb_opt_u64_t *out, eb_error_t *err)
{
    struct json_object *v = js_get(obj, key);
    char p[256];
    if (v == NULL)
        return 0;
    snprintf(p, sizeof(p), "%s.%s", path, key);
    if (js_u64(v, p, max, &out->v, err) < 0)
        return -1;
    out->set = true;
    return 0;
}

int js_opt_i64(struct json_object *obj, const char *key, const char *path, int64_t min, int64_t max,
               eb_opt_i64_t *out, eb_error_t *err)
{
    struct json_object *v = js_get(obj, key);
    char p[256];
    if (v == NULL)
        return 0;
    snprintf(p, sizeof(p), "%s.%s", path, key);
    if (js_i64(v, p, min, max, &out->v, err) < 0)
        return -1;
    out->set = true;
    return 0;
}

int js_u32(struct json_object *obj, const char *key, const char *path, bool required, uint32_t *out,
           eb_error_t *err)
{
    struct json_object *v = js_get(obj, key);
    char p[256];
    uint64_t x;
    snprintf(p, sizeof(p), "%s.%s", path, key);
    if (v == NULL) {
        if (required)
            return eb_error_set(err, EINVAL, "%s: required", p);
        return 0;
    }
    if (js_u64(v, p, UINT32_MAX, &x, err) < 0)
        return -1;
    *out = (uint32_t) x;
    return 0;
}

int js_strv(eb_arena_t *a, struct json_object *obj, const char *key, const char *path,
            const char ***out, size_t *n, eb_error_t *err)
{
    struct json_object *v = js_get(obj, key);
    size_t i, len;
    const char **vec;
    char p[256];

    *out = NULL;
    if (n)
        *n = 0;
    if (v == NULL)
        return 0;
    snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
    if (js_expect(v, json_type_array, p, err) < 0)
        return -1;
    len = json_object_array_length(v);
    vec = eb_arena_alloc(a, len + 1, sizeof(char *));
    for (i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);
        if (e == NULL || !json_object_is_type(e, json_type_string))
            return eb_error_set(err, EINVAL, "%s[%zu]: expected a string", p, i);
        vec[i] = json_object_get_string(e);
        if (strlen(vec[i]) != (size_t) json_object_get_string_len(e))
            return eb_error_set(err, EINVAL, "%s[%zu]: contains a NUL byte", p, i);
    }
    vec[len] = NULL;
    *out = vec;
    if (n)
        *n = len;
    return 0;
}

int js_kv(eb_arena_t *a, struct json_object *obj, const char *key, const char *path,
          eb_kv_t **out, size_t *n, eb_error_t *err)
{
    struct json_object *v = js_get(obj, key);
    struct json_object_iterator it, end;
    size_t i = 0, len;
    char p[256];

    *out = NULL;
    *n = 0;
    if (v == NULL)
        return 0;
    snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
    if (js_expect(v, json_type_object, p, err) < 0)
        return -1;
    len = (size_t) json_object_object_length(v);
    *out = eb_arena_alloc(a, len, sizeof(eb_kv_t));
    it = json_object_iter_begin(v);
    end = json_object_iter_end(v);
    for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
        struct json_object *e = json_object_iter_peek_value(&it);
        const char *k = json_object_iter_peek_name(&it);
        if (e == NULL || !json_object_is_type(e, json_type_string))
            return eb_error_set(err, EINVAL, "%s.%s: expected a string", p, k);
        (*out)[i].key = k;
        (*out)[i].value = json_object_get_string(e);
        i++;
    }
    *n = i;
    return 0;
}

int js_parse_text(const char *data, size_t len, struct json_object **out, eb_error_t *err)
{
    struct json_object *obj;

    if (len > EB_SPEC_MAX_SIZE)
        return eb_error_set(err, EFBIG, "JSON document larger than %u bytes", EB_SPEC_MAX_SIZE);
    obj = eb_json_parse(data, len, JS_MAX_DEPTH, EB_JSON_STRICT, err);
    if (obj == NULL)
        return -1;
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return eb_error_set(err, EINVAL, "invalid JSON: the document is not an object");
    }
    *out = obj;
    return 0;
}
