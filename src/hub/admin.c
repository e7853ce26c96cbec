/* admin.c - the hub's own endpoints, on their own listener so they never
 * shadow the apiserver's paths of the same names: /healthz, /readyz
 * (always the hub's health; whether the apiserver is reachable is in the
 * body and in /metrics), /metrics in the Prometheus text format. */
#include "hub/hub.h"
#include "common/util.h"

#include <string.h>

static void metrics(eb_hub_t *hub, eb_buf_t *b)
{
    static const char *const results[EB_RES_N] = { "forwarded", "cache", "refused", "error" };
    int v, r;

    eb_buf_puts(b, "# HELP edgebox_hub_requests_total Requests by verb and how they were answered.\n"
                   "# TYPE edgebox_hub_requests_total counter\n");
    for (v = 0; v < 9; v++)
        for (r = 0; r < EB_RES_N; r++) {
            unsigned long n = atomic_load(&hub->requests[v][r]);
            if (n)
                eb_buf_printf(b, "edgebox_hub_requests_total{verb=\"%s\",result=\"%s\"} %lu\n",
                              eb_kverb_name((enum eb_kverb) v), results[r], n);
        }
    eb_buf_printf(b, "# HELP edgebox_hub_cache_hits_total Reads answered from the cache.\n"
                     "# TYPE edgebox_hub_cache_hits_total counter\nedgebox_hub_cache_hits_total %lu\n"
                     "# HELP edgebox_hub_cache_misses_total Reads the cache could not answer while offline.\n"
                     "# TYPE edgebox_hub_cache_misses_total counter\nedgebox_hub_cache_misses_total %lu\n"
                     "# HELP edgebox_hub_cache_objects Objects in the cache (all components and formats).\n"
                     "# TYPE edgebox_hub_cache_objects gauge\nedgebox_hub_cache_objects %ld\n"
                     "# HELP edgebox_hub_cache_store_errors_total Writes to the cache that failed (e.g. disk full).\n"
                     "# TYPE edgebox_hub_cache_store_errors_total counter\nedgebox_hub_cache_store_errors_total %lu\n"
                     "# HELP edgebox_hub_online Whether the apiserver is considered reachable.\n"
                     "# TYPE edgebox_hub_online gauge\nedgebox_hub_online %d\n"
                     "# HELP edgebox_hub_health_checks_total Health checks of the apiserver by result.\n"
                     "# TYPE edgebox_hub_health_checks_total counter\n"
                     "edgebox_hub_health_checks_total{result=\"ok\"} %lu\n"
                     "edgebox_hub_health_checks_total{result=\"failed\"} %lu\n"
                     "# HELP edgebox_hub_cache_refreshes_total Cache refreshes after reconnecting.\n"
                     "# TYPE edgebox_hub_cache_refreshes_total counter\nedgebox_hub_cache_refreshes_total %lu\n"
                     "# HELP edgebox_hub_connections Open client connections.\n"
                     "# TYPE edgebox_hub_connections gauge\nedgebox_hub_connections %d\n",
                  atomic_load(&hub->cache_hits), atomic_load(&hub->cache_misses), eb_store_count(hub->store),
                  atomic_load(&hub->store_errors), atomic_load(&hub->online), atomic_load(&hub->health_ok),
                  atomic_load(&hub->health_fail), atomic_load(&hub->refreshes), atomic_load(&hub->conns));
}

void eb_hub_admin_serve(eb_hub_t *hub, eb_conn_t *c)
{
    eb_error_t err = { 0 };
    eb_http_head_t h;
    eb_buf_t b = { 0 };

    c->timeout_ms = 10000;
    if (eb_http_read_head(c, 1, &h, &err) != 0) {
        eb_http_head_free(&h);
        return;
    }
    if (strcmp(h.target, "/metrics") == 0) {
        metrics(hub, &b);
        eb_http_respond(c, 0, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
    } else if (strcmp(h.target, "/healthz") == 0 || strcmp(h.target, "/readyz") == 0
               || strcmp(h.target, "/livez") == 0) {
        eb_buf_printf(&b, "ok\napiserver: %s\n", atomic_load(&hub->online) ? "online" : "offline");
        eb_http_respond(c, 0, 200, "text/plain; charset=utf-8", b.p, b.len);
    } else {
        eb_http_respond(c, 0, 404, "text/plain; charset=utf-8", "not found\n", 10);
    }
    eb_buf_free(&b);
    eb_http_head_free(&h);
}
