/* fuzz_guest_stats.c - libFuzzer target for the stats a runv guest sends:
 * the JSON decoded and validated into eb_stats_t, then rendered in every
 * format edgebox-stats serves (labels from guest-chosen interface names). */
#include "core/stats.h"
#include "stats/render.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static eb_sample_t s;
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *o = tok ? json_tokener_parse_ex(tok, (const char *) data, (int) size) : NULL;
    eb_error_t err = { 0 };
    double rate = -1;
    eb_snapshot_t snap = { .node_name = "n", .node_nanocores = -1, .c = &s, .nanocores = &rate, .n = 1, .percpu = 1 };
    eb_buf_t b = { 0 };
    char *text;

    json_tokener_free(tok);
    memset(&s, 0, sizeof(s));
    s.id = "c1", s.klass = "runv", s.sandbox_id = "s", s.pod_name = "p", s.pod_namespace = "ns";
    s.container_name = "c\"x\\";
    if (o && eb_stats_from_json(o, &s.st, &err) == 0) {
        text = eb_render_summary(&snap);
        free(text);
        eb_render_cadvisor(&snap, &b);
        eb_render_resource(&snap, &b);
        eb_buf_free(&b);
        text = eb_stats_to_json(&s.st);
        free(text);
    }
    json_object_put(o);
    return 0;
}
