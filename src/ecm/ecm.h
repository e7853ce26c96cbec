/* ecm.h - edgebox-ecm: keeps pods on autonomous edge nodes from being
 * evicted while their node is unreachable.
 *
 * Two informers (nodes, pods) keep local copies on every replica; the
 * replica holding the Lease runs one worker that takes node and pod keys
 * from a queue and patches pods (autonomy.h decides how).  An admin
 * listener serves /healthz, /readyz and /metrics. */
#ifndef EB_ECM_H
#define EB_ECM_H

#include "kube/daemon.h"
#include "kube/informer.h"
#include "kube/kubeconfig.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct eb_ecm_config {
    const char *kubeconfig, *context;
    const char *admin_listen;
    const char *lease_namespace, *lease_name, *identity;
    int lease_duration_s, renew_deadline_s, retry_period_s;
    int resync_s;                 /* every pod looked at again this often */
} eb_ecm_config_t;

/* A key waiting in the queue: "node:NAME" or "pod:NS/NAME". */
typedef struct eb_qitem {
    char *key;
    uint64_t due_ms;              /* not before (retries), eb_now_ms */
    struct eb_qitem *next;
} eb_qitem_t;

typedef struct eb_queue {
    pthread_mutex_t lock;
    pthread_cond_t more;
    eb_qitem_t *head, *tail;      /* ready, FIFO */
    eb_qitem_t *later;            /* waiting for due_ms */
    json_object *queued;          /* keys in either list: each once */
    size_t len;
    int closed;
} eb_queue_t;

void eb_queue_init(eb_queue_t *q);
void eb_queue_free(eb_queue_t *q);
/* Add KEY unless it is already waiting; DELAY_MS > 0 holds it back. */
void eb_queue_add(eb_queue_t *q, const char *key, int delay_ms);
/* The next key due (the caller frees it), waiting up to TIMEOUT_MS; NULL
 * on timeout or when closed. */
char *eb_queue_take(eb_queue_t *q, int timeout_ms);
void eb_queue_close(eb_queue_t *q);
size_t eb_queue_len(eb_queue_t *q);

typedef struct eb_ecm {
    eb_ecm_config_t cfg;
    eb_kubeconfig_t kc;
    eb_informer_t nodes, pods;
    eb_queue_t queue;
    atomic_int leader, stopping;
    atomic_int lease_running, worker_running;
    pthread_mutex_t lock;         /* seen, attempts */
    json_object *seen;            /* node name -> {"autonomous": b, "outage": b} as last seen */
    json_object *attempts;        /* key -> failures in a row, for the backoff */
    /* metrics */
    atomic_ulong protected_total, restored_total, patch_errors, conflicts, leader_gained, leader_lost;
    atomic_ulong lease_errors;
} eb_ecm_t;

/* Informer handlers: enqueue what changed. */
void eb_ecm_on_node(void *ud, enum eb_inf_event ev, json_object *node);
void eb_ecm_on_pod(void *ud, enum eb_inf_event ev, json_object *pod);
/* Every node (and so every pod) queued: on gaining the lease, on resync. */
void eb_ecm_enqueue_all(eb_ecm_t *ecm);
void *eb_ecm_worker(void *arg);
void *eb_ecm_lease_thread(void *arg);
/* Give the lease up (holder emptied) if we hold it: on SIGTERM. */
void eb_ecm_release(eb_ecm_t *ecm);

/* The admin listener's endpoints (/healthz, /livez, /readyz, /metrics). */
void eb_ecm_admin(eb_ecm_t *ecm, eb_admin_t *a);


#endif
