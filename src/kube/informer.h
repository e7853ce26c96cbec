/* informer.h - a local copy of one resource kept current the way
 * client-go's reflector does: a paged LIST, then a WATCH from the list's
 * resourceVersion that is resumed from the last version seen when it ends
 * or breaks, and a fresh LIST when the apiserver says that version is gone
 * (410 Expired, as a status or as an ERROR event).  Every change is passed
 * to a handler; objects are read back as deep copies. */
#ifndef EB_KUBE_INFORMER_H
#define EB_KUBE_INFORMER_H

#include "common/error.h"
#include "kube/conn.h"
#include "kube/kubeconfig.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>

enum eb_inf_event { EB_INF_ADDED, EB_INF_MODIFIED, EB_INF_DELETED };

/* Called on the informer's thread without its lock held; OBJ is borrowed. */
typedef void (*eb_inf_handler_t)(void *ud, enum eb_inf_event ev, json_object *obj);

typedef struct eb_informer {
    /* set by the caller before eb_informer_start */
    const eb_kubeconfig_t *kc;
    const char *user_agent;
    const char *res;              /* "v1/pods", "coordination.k8s.io/v1/leases" */
    const char *label_selector, *field_selector;   /* or NULL */
    int page_size;                /* LIST limit (default 500) */
    int watch_timeout_s;          /* the server ends each watch after this (default 300) */
    size_t max_event;             /* bytes of one watch event (default 4 MiB) */
    size_t max_list;              /* bytes of one list page (default 64 MiB) */
    eb_inf_handler_t handler;
    void *ud;

    /* state */
    pthread_mutex_t lock;
    json_object *items;           /* "namespace/name" or "name" -> object */
    char rv[64];
    int active_fd;                /* the connection in use, for eb_informer_stop */
    pthread_t thread;
    atomic_int stopping, synced, running;
    atomic_ulong lists, watches, expired, errors, events;
} eb_informer_t;

int eb_informer_start(eb_informer_t *inf, eb_error_t *err);
/* Ends the thread (its connection is shut down) and frees the copy. */
void eb_informer_stop(eb_informer_t *inf);

/* A deep copy of the object under KEY, or NULL. */
json_object *eb_informer_get(eb_informer_t *inf, const char *key);
/* FN for every object, under the lock: FN must not call back. */
void eb_informer_foreach(eb_informer_t *inf, void (*fn)(void *ud, const char *key, json_object *obj), void *ud);
size_t eb_informer_count(eb_informer_t *inf);

/* "namespace/name" or "name" of OBJ; NULL without metadata.name. */
char *eb_object_key(json_object *obj);

/* One line of a watch stream ({"type":..,"object":..}) applied to the
 * copy and passed to the handler: 0, 1 when the version is gone and a
 * LIST must follow, -1 on a malformed event.  Exposed for the fuzz target. */
int eb_informer_apply_line(eb_informer_t *inf, const char *line, size_t len, eb_error_t *err);
/* Set up the state without a thread (the fuzz target, tests). */
void eb_informer_init(eb_informer_t *inf);
void eb_informer_free(eb_informer_t *inf);

#endif
