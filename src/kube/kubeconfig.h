/* kubeconfig.h - the apiserver endpoint and credentials of a kubeconfig
 * file (YAML or JSON), as kubectl reads them: the current context (or a
 * named one), its cluster's server and trust, its user's client
 * certificate/key or bearer token.  Relative file paths are relative to
 * the kubeconfig's directory. */
#ifndef EB_KUBE_KUBECONFIG_H
#define EB_KUBE_KUBECONFIG_H

#include "common/error.h"

#include <json-c/json.h>
#include <openssl/ssl.h>

typedef struct eb_kubeconfig {
    char *server;                 /* as written, e.g. https://10.0.0.1:6443 */
    char *host, *port;
    int tls;                      /* https */
    char *server_name;            /* what the certificate must name */
    char *token;                  /* bearer token, or NULL */
    SSL_CTX *ctx;                 /* trust + client certificate; NULL for http */
} eb_kubeconfig_t;

int eb_kubeconfig_load(const char *path, const char *context, eb_kubeconfig_t *kc, eb_error_t *err);
/* The pod's own service account, as client-go's InClusterConfig:
 * KUBERNETES_SERVICE_HOST/PORT, the token and CA under
 * /var/run/secrets/kubernetes.io/serviceaccount (or
 * $EDGEBOX_SERVICEACCOUNT_DIR). */
int eb_kubeconfig_in_cluster(eb_kubeconfig_t *kc, eb_error_t *err);
void eb_kubeconfig_free(eb_kubeconfig_t *kc);

/* YAML text into the json-c tree of the same shape (scalars as strings);
 * JSON is YAML, so this reads both.  Exposed for the fuzz target. */
int eb_yaml_to_json(const char *text, size_t len, json_object **out, eb_error_t *err);

#endif
