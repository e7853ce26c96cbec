/* admin.c - /healthz (the threads are alive), /readyz (both copies are
 * complete: a replica that could lead now), /metrics (Prometheus text). */
#include "ecm/autonomy.h"
#include "ecm/ecm.h"
#include "kube/object.h"

#include <string.h>

static void count_protected(void *ud, const char *key, json_object *pod)
{
    (void) key;
    if (eb_json_at(pod, "metadata", "annotations", EB_SAVED_ANNOTATION, NULL))
        ++*(unsigned long *) ud;
}

/* One family at a time, both resources in each. */
static void informer_metrics(eb_ecm_t *ecm, eb_buf_t *b)
{
    static const struct { const char *name, *type, *help; } fam[] = {
        { "synced", "gauge", "Whether the local copy is complete." },
        { "objects", "gauge", "Objects in the local copy." },
        { "lists_total", "counter", "Full lists made." },
        { "watches_total", "counter", "Watches started (resumed from the last version)." },
        { "expired_total", "counter", "Watches whose version was gone (410), followed by a list." },
        { "errors_total", "counter", "Lists and watches that failed." },
        { "events_total", "counter", "Watch events applied." },
    };
    eb_informer_t *infs[2] = { &ecm->nodes, &ecm->pods };
    const char *names[2] = { "nodes", "pods" };
    size_t f, i;

    for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        eb_buf_printf(b, "# HELP edgebox_ecm_informer_%s %s\n# TYPE edgebox_ecm_informer_%s %s\n", fam[f].name,
                      fam[f].help, fam[f].name, fam[f].type);
        for (i = 0; i < 2; i++) {
            eb_informer_t *inf = infs[i];
            unsigned long v = f == 0 ? (unsigned long) atomic_load(&inf->synced)
                              : f == 1 ? (unsigned long) eb_informer_count(inf)
                              : f == 2 ? atomic_load(&inf->lists)
                              : f == 3 ? atomic_load(&inf->watches)
                              : f == 4 ? atomic_load(&inf->expired)
                              : f == 5 ? atomic_load(&inf->errors) : atomic_load(&inf->events);
            eb_buf_printf(b, "edgebox_ecm_informer_%s{resource=\"%s\"} %lu\n", fam[f].name, names[i], v);
        }
    }
}

static void metrics(void *ud, eb_buf_t *b)
{
    eb_ecm_t *ecm = ud;
    unsigned long protected_pods = 0, autonomous = 0;

    eb_informer_foreach(&ecm->pods, count_protected, &protected_pods);
    pthread_mutex_lock(&ecm->lock);
    json_object_object_foreach(ecm->seen, node, st) {
        (void) node;
        autonomous += json_object_get_boolean(eb_json_at(st, "autonomous", NULL)) ? 1 : 0;
    }
    pthread_mutex_unlock(&ecm->lock);
    eb_buf_printf(b,
                  "# HELP edgebox_ecm_leader Whether this replica holds the lease and acts.\n"
                  "# TYPE edgebox_ecm_leader gauge\nedgebox_ecm_leader %d\n"
                  "# HELP edgebox_ecm_leader_acquired_total Times this replica became leader.\n"
                  "# TYPE edgebox_ecm_leader_acquired_total counter\nedgebox_ecm_leader_acquired_total %lu\n"
                  "# HELP edgebox_ecm_leader_lost_total Times this replica stopped leading.\n"
                  "# TYPE edgebox_ecm_leader_lost_total counter\nedgebox_ecm_leader_lost_total %lu\n"
                  "# HELP edgebox_ecm_lease_errors_total Lease reads or writes that failed.\n"
                  "# TYPE edgebox_ecm_lease_errors_total counter\nedgebox_ecm_lease_errors_total %lu\n"
                  "# HELP edgebox_ecm_autonomous_nodes Nodes with autonomy on.\n"
                  "# TYPE edgebox_ecm_autonomous_nodes gauge\nedgebox_ecm_autonomous_nodes %lu\n"
                  "# HELP edgebox_ecm_protected_pods Pods whose outage tolerations are unlimited by edgebox-ecm.\n"
                  "# TYPE edgebox_ecm_protected_pods gauge\nedgebox_ecm_protected_pods %lu\n"
                  "# HELP edgebox_ecm_pod_updates_total Pod updates made, by action.\n"
                  "# TYPE edgebox_ecm_pod_updates_total counter\n"
                  "edgebox_ecm_pod_updates_total{action=\"protect\"} %lu\n"
                  "edgebox_ecm_pod_updates_total{action=\"restore\"} %lu\n"
                  "# HELP edgebox_ecm_pod_update_errors_total Pod updates that failed or were refused.\n"
                  "# TYPE edgebox_ecm_pod_update_errors_total counter\nedgebox_ecm_pod_update_errors_total %lu\n"
                  "# HELP edgebox_ecm_pod_update_conflicts_total Pod updates refused because the pod changed first.\n"
                  "# TYPE edgebox_ecm_pod_update_conflicts_total counter\n"
                  "edgebox_ecm_pod_update_conflicts_total %lu\n"
                  "# HELP edgebox_ecm_queue_depth Keys waiting for the worker.\n"
                  "# TYPE edgebox_ecm_queue_depth gauge\nedgebox_ecm_queue_depth %zu\n",
                  atomic_load(&ecm->leader), atomic_load(&ecm->leader_gained), atomic_load(&ecm->leader_lost),
                  atomic_load(&ecm->lease_errors), autonomous, protected_pods, atomic_load(&ecm->protected_total),
                  atomic_load(&ecm->restored_total), atomic_load(&ecm->patch_errors), atomic_load(&ecm->conflicts),
                  eb_queue_len(&ecm->queue));
    informer_metrics(ecm, b);
}

/* Alive: every thread still runs (500 otherwise). */
static int healthz(void *ud, const char *path, eb_buf_t *b, const char **ctype)
{
    eb_ecm_t *ecm = ud;
    int ok = atomic_load(&ecm->lease_running) && atomic_load(&ecm->worker_running)
             && atomic_load(&ecm->nodes.running) && atomic_load(&ecm->pods.running);

    (void) path, (void) ctype;
    eb_buf_printf(b, "%s\nleader: %s\n", ok ? "ok" : "a thread stopped", atomic_load(&ecm->leader) ? "yes" : "no");
    return ok ? 200 : 500;
}

/* Ready: both copies are complete (503 otherwise). */
static int readyz(void *ud, const char *path, eb_buf_t *b, const char **ctype)
{
    eb_ecm_t *ecm = ud;
    int ok = atomic_load(&ecm->nodes.synced) && atomic_load(&ecm->pods.synced);

    (void) path, (void) ctype;
    eb_buf_printf(b, "%s\n", ok ? "ok" : "informers not synced");
    return ok ? 200 : 503;
}

static const eb_admin_route_t routes[] = {
    { "/healthz", healthz, NULL },
    { "/livez", healthz, NULL },
    { "/readyz", readyz, NULL },
    { NULL, NULL, NULL },
};

void eb_ecm_admin(eb_ecm_t *ecm, eb_admin_t *a)
{
    *a = (eb_admin_t) { .routes = routes, .metrics = metrics, .ud = ecm,
                        .timeout_ms = 5000, .text_ctype = "text/plain; charset=utf-8" };
}
