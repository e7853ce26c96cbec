/* hub.h - edgebox-hub: the node's caching proxy in front of kube-apiserver.
 *
 * One thread per client connection (bounded); a health thread decides
 * online/offline and refreshes the cache on reconnect; an admin listener
 * serves the hub's own /healthz and /metrics. */
#ifndef EB_HUB_H
#define EB_HUB_H

#include "common/buf.h"
#include "hub/store.h"
#include "kube/client.h"
#include "kube/conn.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "kube/request.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct eb_hub_config {
    const char *listen, *secure_listen, *admin_listen;
    const char *tls_cert, *tls_key;
    const char *kubeconfig, *context;
    const char *cache_path;
    const char *agents;           /* comma-separated User-Agent products, or "*" */
    int health_interval_ms, health_timeout_ms, unhealthy_threshold, healthy_threshold;
    int read_timeout_ms;          /* a read the cache can answer waits this for the apiserver */
    int watch_hold_s;             /* offline watches end after this */
    int max_conns;
    long max_body;                /* request bodies; cached responses */
} eb_hub_config_t;

enum eb_result { EB_RES_FORWARDED, EB_RES_CACHE, EB_RES_REFUSED, EB_RES_ERROR, EB_RES_N };

struct eb_capq;

typedef struct eb_hub {
    eb_hub_config_t cfg;
    eb_kubeconfig_t kc;
    eb_store_t *store;
    struct eb_capq *capq;         /* the cache writer; NULL: callers write */
    SSL_CTX *server_ctx;
    atomic_int online;
    atomic_uint epoch;            /* bumped at every online/offline change */
    atomic_int deciding;          /* at start, until the first health check ends */
    atomic_int suspect;           /* online, but the apiserver stopped answering:
                                   * reads go to the cache until a check succeeds */
    pthread_mutex_t lock;
    pthread_cond_t changed;       /* signalled with epoch */
    atomic_int conns;
    atomic_int stopping;
    /* metrics */
    atomic_ulong requests[9][EB_RES_N];
    atomic_ulong cache_hits, cache_misses, store_errors, health_ok, health_fail, refreshes;
} eb_hub_t;

/* A client connection's thread. */
typedef struct eb_client {
    eb_hub_t *hub;
    eb_conn_t c;
    int tls;
} eb_client_t;
void *eb_hub_client_thread(void *arg);

/* What the hub makes of a request (classify.c).  The component it comes
 * from ("kubelet" of "kubelet/v1.32 ..."), or NULL when the hub does not
 * cache for it. */
char *eb_hub_component(const eb_hub_t *hub, const eb_http_head_t *h);
/* Whether its answer fills the object cache; the raw cache (discovery). */
int eb_hub_cacheable(const eb_kreq_t *r, const char *comp);
int eb_hub_raw_cacheable(const eb_http_head_t *h, const eb_kreq_t *r, const char *comp);
/* The raw-cache key of a non-resource GET (discovery): target and Accept. */
char *eb_hub_raw_key(const eb_http_head_t *h);

/* A request of the hub's own (health, refresh): the status, and the body
 * into OUT (bounded by OUT->limit), with CTYPE the response's. */
int eb_hub_fetch(eb_hub_t *hub, eb_conn_t *up, const char *target, const char *accept,
                 int *status, eb_buf_t *out, char **ctype, eb_error_t *err);

/* Responses that fill the cache (capture.c). */
enum eb_fmt eb_ctype_fmt(const char *ctype, int *is_table, int *ok);
int eb_capture_body(eb_hub_t *hub, const char *comp, const eb_kreq_t *r, enum eb_fmt fmt, int status,
                    const void *body, size_t len, eb_error_t *err);
/* One watch event as the stream carried it (a JSON line, a protobuf frame
 * without its length) into the cache. */
void eb_capture_event(eb_hub_t *hub, const char *comp, const eb_kreq_t *r, enum eb_fmt fmt, const void *data,
                      size_t len);

/* A watch stream cut into events for the cache writer (watchcap.c). */
typedef struct eb_watch_capture {
    eb_hub_t *hub;
    const char *comp;
    const char *method, *target;  /* the watch request, as the writer parses it again */
    const eb_kreq_t *r;
    enum eb_fmt fmt;
    eb_buf_t pending;
    int broken;
} eb_watch_capture_t;
void eb_watch_capture_feed(eb_watch_capture_t *w, const void *data, size_t len);
void eb_watch_capture_free(eb_watch_capture_t *w);

/* The cache writer (capq.c): one thread applies captured responses and
 * watch events in the order they arrived, off the request path.  Without
 * a started writer the callers apply them themselves. */
int eb_capq_start(eb_hub_t *hub, eb_error_t *err);
void eb_capq_stop(eb_hub_t *hub);
/* BODY is taken over (left empty). */
void eb_capq_body(eb_hub_t *hub, const char *comp, const char *method, const char *target, const eb_kreq_t *r,
                  enum eb_fmt fmt, int status, eb_buf_t *body);
void eb_capq_event(eb_watch_capture_t *w, const void *data, size_t len);
/* Wait until everything queued before the call is in the store. */
void eb_capq_sync(eb_hub_t *hub);

/* Answers from the cache and the hub's own errors. */
int eb_serve_status(eb_conn_t *c, int keep, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Whether the cache holds an answer to the request (an object, a list
 * covering it, a known 404, a discovery document, a held watch). */
int eb_cache_answers(eb_hub_t *hub, const eb_http_head_t *h, const eb_kreq_t *r, const char *comp);
/* 0 served, -1 connection broken. */
int eb_serve_from_cache(eb_hub_t *hub, eb_conn_t *c, int keep, const eb_http_head_t *h,
                        const eb_kreq_t *r, const char *comp);

/* Health and refresh. */
void *eb_hub_health_thread(void *arg);
void eb_hub_set_online(eb_hub_t *hub, int online);
/* A request's upstream did not answer in time: reads go to the cache and
 * the health checker checks at once. */
void eb_hub_suspect(eb_hub_t *hub);
/* At start: wait up to MS for the first health check's verdict. */
void eb_hub_wait_decided(eb_hub_t *hub, int ms);
void eb_hub_refresh(eb_hub_t *hub);

/* The admin listener's endpoints (kube/daemon.h): /healthz, /readyz, /livez, /metrics. */
struct eb_admin;
void eb_hub_admin(eb_hub_t *hub, struct eb_admin *a);

/* One request's outcome into the /metrics counters; inline beside the
 * counters it bumps, so that the forwarding and the offline answers can
 * both count without calling into each other. */
static inline void eb_hub_count(eb_hub_t *hub, const eb_kreq_t *r, enum eb_result res)
{
    atomic_fetch_add(&hub->requests[r->verb][res], 1);
}

#endif
