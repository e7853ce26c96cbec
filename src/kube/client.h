/* client.h - requests of a Kubernetes client of our own (the hub's health
 * checks and refreshes, the ECM's reads, writes and watches): one
 * keep-alive connection to the apiserver of a kubeconfig, redialled when
 * the apiserver closed it. */
#ifndef EB_KUBE_CLIENT_H
#define EB_KUBE_CLIENT_H

#include "common/buf.h"
#include "common/error.h"
#include "kube/conn.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"

typedef struct eb_kube_call {
    const char *method, *target;
    const char *accept;           /* default application/json */
    const char *ctype;            /* of BODY */
    const void *body;
    size_t len;
} eb_kube_call_t;

/* A connection to KC's apiserver with its trust (TLS when https). */
int eb_kube_dial(const eb_kubeconfig_t *kc, eb_conn_t *c, int timeout_ms, eb_error_t *err);

/* Send CALL on C (dialled first when closed; a request that could not be
 * sent on a reused connection is sent once more on a fresh one) and read
 * the whole answer: its status, its body into OUT (bounded by OUT->limit),
 * its Content-Type into *CTYPE when CTYPE is not NULL. */
int eb_kube_do(const eb_kubeconfig_t *kc, eb_conn_t *c, const char *user_agent, const eb_kube_call_t *call,
               int *status, eb_buf_t *out, char **ctype, eb_error_t *err);

/* Send CALL and read only the answer's head, leaving the body (a watch
 * stream) to be read with eb_body_read(B).  The caller frees H. */
int eb_kube_open(const eb_kubeconfig_t *kc, eb_conn_t *c, const char *user_agent, const eb_kube_call_t *call,
                 eb_http_head_t *h, eb_body_t *b, eb_error_t *err);

/* "v1/pods" -> /api/v1[/namespaces/NS]/pods[/NAME],
 * "apps/v1/deployments" -> /apis/apps/v1/...; NULL when RES has no '/'. */
char *eb_kube_resource_path(const char *res, const char *ns, const char *name);
/* Append S to B escaped for a query value. */
void eb_kube_query_escape(eb_buf_t *b, const char *s);

#endif
