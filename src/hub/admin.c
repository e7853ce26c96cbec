/* admin.c - the hub's own endpoints, on their own listener so they never
 * shadow the apiserver's paths of the same names: /healthz, /readyz
 * (always the hub's health; whether the apiserver is reachable is in the
 * body and in /metrics), /metrics in the Prometheus text format. */
#include "hub/hub.h"
#include "kube/daemon.h"
#include "common/util.h"

static void metrics(void *ud, eb_buf_t *b)
{
    static const char *const results[EB_RES_N] = { "forwarded", "cache", "refused", "error" };
    eb_hub_t *hub = ud;
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

/* The hub's own health, always ok while it answers. */
static int healthz(void *ud, const char *path, eb_buf_t *b, const char **ctype)
{
    eb_hub_t *hub = ud;

    (void) path, (void) ctype;
    eb_buf_printf(b, "ok\napiserver: %s\n", atomic_load(&hub->online) ? "online" : "offline");
    return 200;
}

static const eb_admin_route_t routes[] = {
    { "/healthz", healthz, NULL },
    { "/readyz", healthz, NULL },
    { "/livez", healthz, NULL },
    { NULL, NULL, NULL },
};

void eb_hub_admin(eb_hub_t *hub, eb_admin_t *a)
{
    *a = (eb_admin_t) { .routes = routes, .metrics = metrics, .ud = hub,
                        .timeout_ms = 10000, .text_ctype = "text/plain; charset=utf-8" };
}
