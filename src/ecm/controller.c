/* controller.c - from informer events to pod patches.
 *
 * Level-triggered: a queued key only says "look again"; the worker reads
 * the latest copies of the pod and its node and decides from them alone,
 * so a missed, repeated or reordered event, a restart or a change of
 * leader all converge to the same pods. */
#include "ecm/autonomy.h"
#include "ecm/ecm.h"
#include "kube/client.h"
#include "kube/object.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "eb_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_AGENT "edgebox-ecm/" EB_VERSION

/* Does NODE carry the NoExecute taint of an outage? */
static const char *outage_of(json_object *node)
{
    json_object *taints = eb_json_at(node, "spec", "taints", NULL);
    size_t i;

    for (i = 0; taints && json_object_is_type(taints, json_type_array) && i < json_object_array_length(taints); i++) {
        json_object *t = json_object_array_get_idx(taints, i);
        const char *key = eb_json_str_at(t, "key", NULL), *effect = eb_json_str_at(t, "effect", NULL);
        if (key && effect && strcmp(effect, "NoExecute") == 0
            && (strcmp(key, EB_TAINT_UNREACHABLE) == 0 || strcmp(key, EB_TAINT_NOT_READY) == 0))
            return key;
    }
    return NULL;
}

void eb_ecm_on_node(void *ud, enum eb_inf_event ev, json_object *node)
{
    eb_ecm_t *ecm = ud;
    const char *name = eb_json_str_at(node, "metadata", "name", NULL), *outage;
    int aut = ev != EB_INF_DELETED && eb_node_autonomous(node), was_aut = 0, was_out = 0, known;
    json_object *seen = NULL;

    if (!name)
        return;
    outage = ev != EB_INF_DELETED ? outage_of(node) : NULL;
    pthread_mutex_lock(&ecm->lock);
    known = json_object_object_get_ex(ecm->seen, name, &seen);
    if (known) {
        was_aut = json_object_get_boolean(eb_json_at(seen, "autonomous", NULL));
        was_out = json_object_get_boolean(eb_json_at(seen, "outage", NULL));
    }
    if (ev == EB_INF_DELETED) {
        json_object_object_del(ecm->seen, name);
    } else {
        seen = json_object_new_object();
        json_object_object_add(seen, "autonomous", json_object_new_boolean(aut));
        json_object_object_add(seen, "outage", json_object_new_boolean(outage != NULL));
        json_object_object_add(ecm->seen, name, seen);
    }
    pthread_mutex_unlock(&ecm->lock);

    if (aut != was_aut && (known || aut))
        eb_log_fields(EB_LOG_INFO, aut ? "node opted into autonomy" : "node left autonomy", "node", name, NULL);
    if (aut && !was_out && outage)
        eb_log_fields(EB_LOG_INFO, "autonomous node tainted for an outage: its pods stay", "node", name, "taint", outage,
                   NULL);
    else if (aut && was_out && !outage)
        eb_log_fields(EB_LOG_INFO, "autonomous node back", "node", name, NULL);
    /* pods follow the node's autonomy; a new node may have pods already */
    if ((aut != was_aut || !known) && atomic_load(&ecm->leader)) {
        char key[300];
        snprintf(key, sizeof(key), "node:%s", name);
        eb_queue_add(&ecm->queue, key, 0);
    }
}

void eb_ecm_on_pod(void *ud, enum eb_inf_event ev, json_object *pod)
{
    eb_ecm_t *ecm = ud;
    const char *node = eb_json_str_at(pod, "spec", "nodeName", NULL);
    _cleanup_free_ char *key = NULL, *qkey = NULL;

    if (ev == EB_INF_DELETED || !node || !node[0] || !atomic_load(&ecm->leader))
        return;
    key = eb_object_key(pod);
    if (!key)
        return;
    qkey = eb_strdup_printf("pod:%s", key);
    eb_queue_add(&ecm->queue, qkey, 0);
}

static void queue_node(void *ud, const char *key, json_object *obj)
{
    char qkey[300];

    (void) obj;
    snprintf(qkey, sizeof(qkey), "node:%s", key);
    eb_queue_add(ud, qkey, 0);
}

void eb_ecm_enqueue_all(eb_ecm_t *ecm)
{
    eb_informer_foreach(&ecm->nodes, queue_node, &ecm->queue);
}

struct on_node { const char *node; eb_queue_t *q; };

static void queue_pod_on(void *ud, const char *key, json_object *pod)
{
    struct on_node *w = ud;
    const char *node = eb_json_str_at(pod, "spec", "nodeName", NULL);
    char qkey[600];

    if (node && strcmp(node, w->node) == 0 && strlen(key) < sizeof(qkey) - 5) {
        snprintf(qkey, sizeof(qkey), "pod:%s", key);
        eb_queue_add(w->q, qkey, 0);
    }
}

/* Failures of one key in a row: 0.5 s, 1 s, 2 s ... 60 s. */
static int backoff_ms(eb_ecm_t *ecm, const char *key, int failed)
{
    json_object *n = NULL;
    int tries = 0, ms;

    pthread_mutex_lock(&ecm->lock);
    if (!failed) {
        json_object_object_del(ecm->attempts, key);
        pthread_mutex_unlock(&ecm->lock);
        return 0;
    }
    if (json_object_object_get_ex(ecm->attempts, key, &n))
        tries = json_object_get_int(n);
    json_object_object_add(ecm->attempts, key, json_object_new_int(tries + 1));
    pthread_mutex_unlock(&ecm->lock);
    ms = 500 << (tries < 7 ? tries : 7);
    return ms < 60000 ? ms : 60000;
}

/* 0 done, 1 to be retried. */
static int reconcile_pod(eb_ecm_t *ecm, eb_conn_t *c, const char *key)
{
    _cleanup_json_ json_object *pod = eb_informer_get(&ecm->pods, key), *node = NULL, *patch = NULL;
    const char *node_name, *ns, *name;
    _cleanup_free_ char *path = NULL;
    eb_error_t err = { 0 };
    eb_buf_t body = { .limit = 1 << 20 };
    eb_kube_call_t call = { .method = "PATCH", .ctype = "application/merge-patch+json" };
    const char *action;
    int plan, status = 0, rc = 0;

    if (!pod || eb_pod_ignored(pod))
        return 0;
    node_name = eb_json_str_at(pod, "spec", "nodeName", NULL);
    ns = eb_json_str_at(pod, "metadata", "namespace", NULL);
    name = eb_json_str_at(pod, "metadata", "name", NULL);
    node = eb_informer_get(&ecm->nodes, node_name);
    plan = eb_autonomy_plan(pod, node && eb_node_autonomous(node), &patch, &err);
    if (plan < 0) {
        atomic_fetch_add(&ecm->patch_errors, 1);
        eb_log_fields(EB_LOG_ERROR, "pod left unchanged", "pod", key, "node", node_name, "error", err.msg, NULL);
        return 0;
    }
    if (plan == EB_PLAN_NONE)
        return 0;
    action = plan == EB_PLAN_PROTECT ? "protect" : "restore";
    /* the lease may have been lost while this key waited */
    if (!atomic_load(&ecm->leader))
        return 0;
    path = eb_kube_resource_path("v1/pods", ns, name);
    call.target = path;
    call.body = json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN);
    call.len = strlen(call.body);
    if (eb_kube_do(&ecm->kc, c, USER_AGENT, &call, &status, &body, NULL, &err) < 0) {
        atomic_fetch_add(&ecm->patch_errors, 1);
        eb_log_fields(EB_LOG_WARNING, "pod update failed, will retry", "pod", key, "node", node_name, "action", action,
                   "error", err.msg, NULL);
        rc = 1;
    } else if (status == 200) {
        json_object *saved = eb_json_at(patch, "metadata", "annotations", EB_SAVED_ANNOTATION, NULL);
        atomic_fetch_add(plan == EB_PLAN_PROTECT ? &ecm->protected_total : &ecm->restored_total, 1);
        eb_log_fields(EB_LOG_INFO, plan == EB_PLAN_PROTECT ? "pod protected from eviction: unlimited node outage tolerations"
                                                   : "pod eviction tolerations restored",
                   "action", action, "pod", key, "node", node_name, "savedTolerationSeconds",
                   saved ? json_object_get_string(saved) : NULL, NULL);
    } else if (status == 409) {
        /* changed meanwhile: decide again from the version the informer brings */
        atomic_fetch_add(&ecm->conflicts, 1);
        rc = 1;
    } else if (status == 404) {
        rc = 0;
    } else {
        char code[16];
        snprintf(code, sizeof(code), "%d", status);
        atomic_fetch_add(&ecm->patch_errors, 1);
        eb_log_fields(EB_LOG_WARNING, "pod update refused", "pod", key, "node", node_name, "action", action, "status", code,
                   "answer", body.p ? eb_buf_str(&body) : "", NULL);
        /* 4xx other than a conflict won't change by retrying soon; the
         * backoff keeps trying (an admission webhook may come back) */
        rc = 1;
    }
    eb_buf_free(&body);
    return rc;
}

void *eb_ecm_worker(void *arg)
{
    eb_ecm_t *ecm = arg;
    uint64_t next_resync = eb_now_ms() + (uint64_t) ecm->cfg.resync_s * 1000;
    eb_conn_t c;

    eb_conn_init(&c, -1);
    while (!atomic_load(&ecm->stopping)) {
        _cleanup_free_ char *key = eb_queue_take(&ecm->queue, 1000);
        int retry = 0;

        if (eb_now_ms() >= next_resync) {
            next_resync = eb_now_ms() + (uint64_t) ecm->cfg.resync_s * 1000;
            if (atomic_load(&ecm->leader))
                eb_ecm_enqueue_all(ecm);
        }
        if (!key || !atomic_load(&ecm->leader))
            continue;
        /* decisions need both copies complete */
        if (!atomic_load(&ecm->nodes.synced) || !atomic_load(&ecm->pods.synced)) {
            eb_queue_add(&ecm->queue, key, 500);
            continue;
        }
        if (strncmp(key, "node:", 5) == 0) {
            struct on_node w = { key + 5, &ecm->queue };
            eb_informer_foreach(&ecm->pods, queue_pod_on, &w);
        } else if (strncmp(key, "pod:", 4) == 0) {
            retry = reconcile_pod(ecm, &c, key + 4);
            if (retry)
                eb_queue_add(&ecm->queue, key, backoff_ms(ecm, key, 1));
            else
                backoff_ms(ecm, key, 0);
        }
    }
    eb_conn_close(&c);
    atomic_store(&ecm->worker_running, 0);
    return NULL;
}
