/* fuzz_ecm_watch.c - libFuzzer target for what the apiserver (or anyone
 * between) sends edgebox-ecm: watch-stream lines applied to an informer's
 * copy, then every object left in it planned as a pod on an autonomous
 * and on a plain node (the saved-tolerations annotation is parsed back). */
#include "ecm/autonomy.h"
#include "kube/informer.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void plan_each(void *ud, const char *key, json_object *obj)
{
    eb_error_t err = { 0 };
    json_object *patch = NULL;
    int aut;

    (void) ud, (void) key;
    eb_pod_ignored(obj);
    eb_node_autonomous(obj);
    for (aut = 0; aut < 2; aut++) {
        if (eb_autonomy_plan(obj, aut, &patch, &err) > 0 && patch)
            json_object_to_json_string(patch);
        json_object_put(patch);
        patch = NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eb_informer_t inf = { .res = "v1/pods" };
    const char *p = (const char *) data, *end = p + size;

    eb_informer_init(&inf);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        size_t n = nl ? (size_t) (nl - p) + 1 : (size_t) (end - p);
        eb_error_t err = { 0 };

        eb_informer_apply_line(&inf, p, n, &err);
        p += n;
    }
    eb_informer_foreach(&inf, plan_each, NULL);
    eb_informer_free(&inf);
    return 0;
}
