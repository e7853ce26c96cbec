/* fuzz_hub_capture.c - libFuzzer target for the hub's decoders of
 * apiserver responses, run through the real capture into an in-memory
 * cache: GET and LIST bodies and watch streams, in JSON and in Kubernetes
 * protobuf (envelope, lists, length-prefixed WatchEvent frames); and the
 * label/field selector parsers on the same bytes. */
#include "hub/hub.h"
#include "kube/selector.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static eb_hub_t hub;
    static int init;
    eb_error_t err = { 0 };
    eb_kreq_t r;
    int mode;

    if (!init) {
        if (eb_store_open(":memory:", &hub.store, &err) < 0)
            abort();
        init = 1;
    }
    if (size < 1)
        return 0;
    mode = data[0] % 8;
    data++, size--;
    if (mode == 6 || mode == 7) {
        char *text = strndup((const char *) data, size);
        eb_selector_t s;
        if (mode == 6 ? eb_label_selector_parse(text, &s, &err) == 0 : eb_field_selector_parse(text, "pods", &s, &err) == 0) {
            json_object *set = json_tokener_parse("{\"app\":\"web\",\"spec.nodeName\":\"n\"}");
            eb_selector_match(&s, set);
            json_object_put(set);
            eb_selector_free(&s);
        }
        free(text);
        return 0;
    }
    eb_kreq_parse("GET", mode % 2 == 0 ? "/api/v1/namespaces/d/pods/p" : "/api/v1/pods?fieldSelector=spec.nodeName%3Dn",
                  &r, &err);
    if (mode < 4) {
        eb_capture_body(&hub, "kubelet", &r, mode < 2 ? EB_FMT_JSON : EB_FMT_PB, 200, data, size, &err);
    } else {
        eb_watch_capture_t w = { .hub = &hub, .comp = "kubelet", .r = &r, .fmt = mode == 4 ? EB_FMT_JSON : EB_FMT_PB };
        size_t half = size / 2;
        w.pending.limit = 1 << 20;
        eb_watch_capture_feed(&w, data, half);          /* in two pieces, as a stream arrives */
        eb_watch_capture_feed(&w, data + half, size - half);
        eb_watch_capture_free(&w);
    }
    eb_kreq_free(&r);
    return 0;
}
