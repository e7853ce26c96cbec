/* autonomy.c - the protect and restore plans for one pod. */
#include "ecm/autonomy.h"
#include "common/json.h"
#include "kube/http.h"
#include "kube/object.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* Larger than any annotation we write: a bound on what we parse back. */
#define MAX_SAVED_LEN 1024

static const char *const taint_keys[] = { EB_TAINT_UNREACHABLE, EB_TAINT_NOT_READY };

int eb_node_autonomous(json_object *node)
{
    const char *v = eb_json_str_at(node, "metadata", "annotations", EB_AUTONOMY_ANNOTATION, NULL);

    return v && eb_http_parse_bool(v) == 1;
}

int eb_pod_ignored(json_object *pod)
{
    const char *node = eb_json_str_at(pod, "spec", "nodeName", NULL);
    const char *phase = eb_json_str_at(pod, "status", "phase", NULL);

    if (!node || !node[0] || eb_json_at(pod, "metadata", "deletionTimestamp", NULL))
        return 1;
    if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
        return 1;
    /* a mirror pod only reflects a static pod kubelet runs from a file:
     * evicting it deletes nothing on the node, and kubelet recreates it */
    return eb_json_at(pod, "metadata", "annotations", "kubernetes.io/config.mirror", NULL) != NULL;
}

/* v1helper's ToleratesTaint for a NoExecute taint KEY without a value, as
 * the node lifecycle controller sets them. */
static int tolerates(json_object *t, const char *key)
{
    const char *effect = eb_json_str_at(t, "effect", NULL), *tkey = eb_json_str_at(t, "key", NULL);
    const char *op = eb_json_str_at(t, "operator", NULL), *value = eb_json_str_at(t, "value", NULL);

    if (effect && effect[0] && strcmp(effect, "NoExecute") != 0)
        return 0;
    if (tkey && tkey[0] && strcmp(tkey, key) != 0)
        return 0;
    if (op && strcmp(op, "Exists") == 0)
        return 1;
    if (!op || !op[0] || strcmp(op, "Equal") == 0)
        return !value || !value[0];
    return 0;
}

/* The taint manager uses the first toleration that matches a taint. */
static int first_match(json_object *tols, const char *key)
{
    size_t i;

    for (i = 0; tols && i < json_object_array_length(tols); i++)
        if (tolerates(json_object_array_get_idx(tols, i), key))
            return (int) i;
    return -1;
}

static json_object *seconds_of(json_object *t)
{
    json_object *s = NULL;

    return json_object_object_get_ex(t, "tolerationSeconds", &s) ? s : NULL;
}

static json_object *forever(const char *key)
{
    json_object *t = json_object_new_object();

    json_object_object_add(t, "key", json_object_new_string(key));
    json_object_object_add(t, "operator", json_object_new_string("Exists"));
    json_object_object_add(t, "effect", json_object_new_string("NoExecute"));
    return t;
}

/* A deep copy of the pod's tolerations with NEW_T inserted at AT (0..length; or none). */
static json_object *copy_with(json_object *tols, int at, json_object *new_t)
{
    json_object *out = json_object_new_array();
    size_t i, n = tols ? json_object_array_length(tols) : 0;

    for (i = 0; i <= n; i++) {
        json_object *c = NULL;
        if (new_t && (int) i == at)
            json_object_array_add(out, new_t);
        if (i < n) {
            json_object_deep_copy(json_object_array_get_idx(tols, i), &c, NULL);
            json_object_array_add(out, c);
        }
    }
    return out;
}

static json_object *make_patch(json_object *pod, json_object *tols, json_object *saved)
{
    json_object *patch = json_object_new_object(), *md = json_object_new_object();
    json_object *ann = json_object_new_object(), *spec = json_object_new_object();
    const char *rv = eb_json_str_at(pod, "metadata", "resourceVersion", NULL);

    /* the resourceVersion makes the patch fail with 409 if the pod changed
     * since we decided: we decide again from the newer version */
    if (rv)
        json_object_object_add(md, "resourceVersion", json_object_new_string(rv));
    json_object_object_add(ann, EB_SAVED_ANNOTATION,
                           saved ? json_object_new_string(json_object_to_json_string_ext(
                                     saved, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
                                 : NULL);
    json_object_object_add(md, "annotations", ann);
    json_object_object_add(patch, "metadata", md);
    json_object_object_add(spec, "tolerations", tols);
    json_object_object_add(patch, "spec", spec);
    return patch;
}

/* The saved annotation, validated: an object whose keys are the two taint
 * keys and whose values are non-negative integers or null. */
static int parse_saved(const char *text, json_object **out, eb_error_t *err)
{
    eb_error_t ign = { 0 };
    json_object *o;
    size_t len = strlen(text);

    *out = NULL;
    if (len > MAX_SAVED_LEN)
        return eb_error_set(err, EINVAL, "annotation %s: longer than %d bytes", EB_SAVED_ANNOTATION, MAX_SAVED_LEN);
    o = eb_json_parse(text, len, 4, 0, &ign);
    if (!o || !json_object_is_type(o, json_type_object))
        goto bad;
    json_object_object_foreach(o, k, v) {
        if (strcmp(k, EB_TAINT_UNREACHABLE) != 0 && strcmp(k, EB_TAINT_NOT_READY) != 0)
            goto bad;
        if (v && (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0))
            goto bad;
    }
    *out = o;
    return 0;
bad:
    json_object_put(o);
    return eb_error_set(err, EINVAL, "annotation %s: `%.100s` is not a map of taint keys to seconds",
                        EB_SAVED_ANNOTATION, text);
}

static int protect(json_object *pod, json_object **patch, eb_error_t *err)
{
    json_object *tols = eb_json_at(pod, "spec", "tolerations", NULL), *saved = NULL;
    const char *was = eb_json_str_at(pod, "metadata", "annotations", EB_SAVED_ANNOTATION, NULL);
    int changed = 0;
    size_t k;

    if (tols && !json_object_is_type(tols, json_type_array))
        return eb_error_set(err, EINVAL, "spec.tolerations is not a list");
    if (was && parse_saved(was, &saved, err) < 0)
        return -1;
    if (!saved)
        saved = json_object_new_object();
    tols = copy_with(tols, -1, NULL);
    for (k = 0; k < sizeof(taint_keys) / sizeof(taint_keys[0]); k++) {
        const char *key = taint_keys[k];
        int i = first_match(tols, key);
        json_object *t = i >= 0 ? json_object_array_get_idx(tols, (size_t) i) : NULL, *secs;
        const char *tkey;

        if (!t) {
            /* no toleration: the taint evicts at once; an unlimited one now,
             * restored as 0 s (evict at once) */
            json_object *n = copy_with(tols, (int) json_object_array_length(tols), forever(key));
            json_object_put(tols);
            tols = n;
            json_object_object_add(saved, key, NULL);
            changed = 1;
            continue;
        }
        secs = seconds_of(t);
        if (!secs)
            continue;                     /* already unlimited */
        json_object_object_add(saved, key, json_object_new_int64(json_object_get_int64(secs)));
        tkey = eb_json_str_at(t, "key", NULL);
        if (tkey && strcmp(tkey, key) == 0) {
            json_object_object_del(t, "tolerationSeconds");
        } else {
            /* a wildcard toleration (no key) also covers other taints: it
             * keeps its limit, and a specific unlimited one goes before it */
            json_object *n = copy_with(tols, i, forever(key));
            json_object_put(tols);
            tols = n;
        }
        changed = 1;
    }
    if (!changed) {
        json_object_put(tols);
        json_object_put(saved);
        return EB_PLAN_NONE;
    }
    *patch = make_patch(pod, tols, saved);
    json_object_put(saved);
    return EB_PLAN_PROTECT;
}

static int restore(json_object *pod, json_object **patch, eb_error_t *err)
{
    json_object *tols = eb_json_at(pod, "spec", "tolerations", NULL), *saved = NULL;
    const char *was = eb_json_str_at(pod, "metadata", "annotations", EB_SAVED_ANNOTATION, NULL);

    if (!was)
        return EB_PLAN_NONE;
    if (tols && !json_object_is_type(tols, json_type_array))
        return eb_error_set(err, EINVAL, "spec.tolerations is not a list");
    if (parse_saved(was, &saved, err) < 0)
        return -1;
    tols = copy_with(tols, -1, NULL);
    json_object_object_foreach(saved, key, v) {
        int i = first_match(tols, key);
        json_object *t = i >= 0 ? json_object_array_get_idx(tols, (size_t) i) : NULL;
        const char *effect = eb_json_str_at(t, "effect", NULL);

        /* only the unlimited toleration we left; tolerationSeconds is valid
         * only with the NoExecute effect */
        if (t && !seconds_of(t) && effect && strcmp(effect, "NoExecute") == 0)
            json_object_object_add(t, "tolerationSeconds", json_object_new_int64(v ? json_object_get_int64(v) : 0));
    }
    json_object_put(saved);
    *patch = make_patch(pod, tols, NULL);
    return EB_PLAN_RESTORE;
}

int eb_autonomy_plan(json_object *pod, int autonomous, json_object **patch, eb_error_t *err)
{
    *patch = NULL;
    return autonomous ? protect(pod, patch, err) : restore(pod, patch, err);
}
