/* kubeconfig.c - read a kubeconfig into an endpoint and a TLS context. */
#include "kube/kubeconfig.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <libgen.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define KUBECONFIG_MAX (4 << 20)
#define YAML_MAX_DEPTH 64

/* Build the tree from parser events; one container level per call. */
static json_object *yaml_node(yaml_parser_t *p, yaml_event_t *ev, int depth, eb_error_t *err);

static json_object *yaml_container(yaml_parser_t *p, int mapping, int depth, eb_error_t *err)
{
    json_object *o = mapping ? json_object_new_object() : json_object_new_array();

    for (;;) {
        yaml_event_t ev;
        json_object *key = NULL, *val;

        if (!yaml_parser_parse(p, &ev)) {
            eb_error_set(err, EINVAL, "YAML line %zu: %s", p->problem_mark.line + 1,
                         p->problem ? p->problem : "parse error");
            goto fail;
        }
        if (ev.type == (mapping ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT)) {
            yaml_event_delete(&ev);
            return o;
        }
        if (mapping) {
            if (ev.type != YAML_SCALAR_EVENT) {
                yaml_event_delete(&ev);
                eb_error_set(err, EINVAL, "YAML line %zu: mapping keys must be scalars", p->mark.line + 1);
                goto fail;
            }
            key = json_object_new_string_len((const char *) ev.data.scalar.value, (int) ev.data.scalar.length);
            yaml_event_delete(&ev);
            if (!yaml_parser_parse(p, &ev)) {
                json_object_put(key);
                eb_error_set(err, EINVAL, "YAML line %zu: %s", p->problem_mark.line + 1,
                             p->problem ? p->problem : "parse error");
                goto fail;
            }
        }
        val = yaml_node(p, &ev, depth + 1, err);
        yaml_event_delete(&ev);
        if (!val && eb_error_is_set(err)) {
            json_object_put(key);
            goto fail;
        }
        if (mapping) {
            json_object_object_add(o, json_object_get_string(key), val);
            json_object_put(key);
        } else {
            json_object_array_add(o, val);
        }
    }
fail:
    json_object_put(o);
    return NULL;
}

static json_object *yaml_node(yaml_parser_t *p, yaml_event_t *ev, int depth, eb_error_t *err)
{
    if (depth > YAML_MAX_DEPTH) {
        eb_error_set(err, EINVAL, "YAML nested deeper than %d levels", YAML_MAX_DEPTH);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        const char *v = (const char *) ev->data.scalar.value;
        /* A plain `~`, `null` or empty value is null, as in YAML 1.1. */
        if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
            && (!ev->data.scalar.length || strcmp(v, "~") == 0 || strcmp(v, "null") == 0))
            return NULL;
        return json_object_new_string_len(v, (int) ev->data.scalar.length);
    }
    case YAML_MAPPING_START_EVENT:
        return yaml_container(p, 1, depth, err);
    case YAML_SEQUENCE_START_EVENT:
        return yaml_container(p, 0, depth, err);
    case YAML_ALIAS_EVENT:
        eb_error_set(err, EINVAL, "YAML aliases are not supported");
        return NULL;
    default:
        eb_error_set(err, EINVAL, "unexpected YAML event %d", ev->type);
        return NULL;
    }
}

int eb_yaml_to_json(const char *text, size_t len, json_object **out, eb_error_t *err)
{
    yaml_parser_t p;
    yaml_event_t ev;
    json_object *root = NULL;
    int ret = -1, started = 0;

    *out = NULL;
    if (!yaml_parser_initialize(&p))
        return eb_error_set(err, ENOMEM, "YAML parser");
    yaml_parser_set_input_string(&p, (const unsigned char *) text, len);
    for (;;) {
        if (!yaml_parser_parse(&p, &ev)) {
            eb_error_set(err, EINVAL, "YAML line %zu: %s", p.problem_mark.line + 1, p.problem ? p.problem : "parse error");
            goto out;
        }
        if (ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (started) {
            yaml_event_delete(&ev);
            eb_error_set(err, EINVAL, "YAML: more than one top-level node");
            goto out;
        }
        started = 1;
        root = yaml_node(&p, &ev, 0, err);
        yaml_event_delete(&ev);
        if (!root && eb_error_is_set(err))
            goto out;
    }
    *out = root;
    root = NULL;
    ret = 0;
out:
    json_object_put(root);
    yaml_parser_delete(&p);
    return ret;
}

static const char *str(json_object *o, const char *key)
{
    json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* The entry of list KEY named NAME, its KIND member (cluster, user, context). */
static json_object *named(json_object *root, const char *key, const char *name, const char *kind)
{
    json_object *arr;
    size_t i;

    if (!json_object_object_get_ex(root, key, &arr) || !json_object_is_type(arr, json_type_array))
        return NULL;
    for (i = 0; i < json_object_array_length(arr); i++) {
        json_object *e = json_object_array_get_idx(arr, i), *v;
        const char *n = str(e, "name");
        if (n && strcmp(n, name) == 0 && json_object_object_get_ex(e, kind, &v))
            return v;
    }
    return NULL;
}

/* PEM bytes from NAME-data (base64) or the file NAME, NULL when neither. */
static char *pem_of(json_object *o, const char *file_key, const char *data_key, const char *dir,
                    size_t *len, eb_error_t *err)
{
    const char *data = str(o, data_key), *file = str(o, file_key);
    char *out = NULL;

    if (data) {
        size_t n = strlen(data);
        out = eb_xcalloc(1, n + 1);
        EVP_ENCODE_CTX *e = EVP_ENCODE_CTX_new();
        int a = 0, b = 0;
        EVP_DecodeInit(e);
        if (EVP_DecodeUpdate(e, (unsigned char *) out, &a, (const unsigned char *) data, (int) n) < 0
            || EVP_DecodeFinal(e, (unsigned char *) out + a, &b) != 1) {
            EVP_ENCODE_CTX_free(e);
            free(out);
            eb_error_set(err, EINVAL, "kubeconfig: %s is not valid base64", data_key);
            return NULL;
        }
        EVP_ENCODE_CTX_free(e);
        *len = (size_t) (a + b);
        return out;
    }
    if (file) {
        _cleanup_free_ char *path = file[0] == '/' ? eb_xstrdup(file) : eb_strdup_printf("%s/%s", dir, file);
        if (eb_read_file(path, KUBECONFIG_MAX, &out, len, err) < 0) {
            eb_error_wrap(err, "kubeconfig %s", file_key);
            return NULL;
        }
        return out;
    }
    *len = 0;
    return NULL;
}

static int tls_fail(eb_error_t *err, const char *what)
{
    char buf[256] = "";
    unsigned long e = ERR_get_error();

    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return eb_error_set(err, EINVAL, "kubeconfig: %s: %s", what, buf);
}

static int setup_tls(eb_kubeconfig_t *kc, json_object *cluster, json_object *user, const char *dir, eb_error_t *err)
{
    _cleanup_free_ char *ca = NULL, *cert = NULL, *key = NULL;
    size_t calen, certlen, keylen;
    const char *skip = str(cluster, "insecure-skip-tls-verify");

    kc->ctx = SSL_CTX_new(TLS_client_method());
    if (!kc->ctx)
        return tls_fail(err, "TLS context");
    SSL_CTX_set_min_proto_version(kc->ctx, TLS1_2_VERSION);
    /* Read what the socket holds, not a record header and then its body:
     * two read(2)s per record otherwise. */
    SSL_CTX_set_read_ahead(kc->ctx, 1);
    if (skip && strcmp(skip, "true") == 0) {
        SSL_CTX_set_verify(kc->ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(kc->ctx, SSL_VERIFY_PEER, NULL);
        ca = pem_of(cluster, "certificate-authority", "certificate-authority-data", dir, &calen, err);
        if (!ca && eb_error_is_set(err))
            return -1;
        if (ca) {
            BIO *bio = BIO_new_mem_buf(ca, (int) calen);
            X509_STORE *store = SSL_CTX_get_cert_store(kc->ctx);
            X509 *x;
            int n = 0;
            while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
                X509_STORE_add_cert(store, x);
                X509_free(x);
                n++;
            }
            BIO_free(bio);
            ERR_clear_error();
            if (!n)
                return eb_error_set(err, EINVAL, "kubeconfig: no certificate in the cluster's certificate authority");
        } else if (SSL_CTX_set_default_verify_paths(kc->ctx) != 1) {
            return tls_fail(err, "system trust store");
        }
    }
    cert = pem_of(user, "client-certificate", "client-certificate-data", dir, &certlen, err);
    if (!cert && eb_error_is_set(err))
        return -1;
    key = pem_of(user, "client-key", "client-key-data", dir, &keylen, err);
    if (!key && eb_error_is_set(err))
        return -1;
    if (!cert != !key)
        return eb_error_set(err, EINVAL, "kubeconfig: a client certificate needs its key and the key its certificate");
    if (cert) {
        BIO *bio = BIO_new_mem_buf(cert, (int) certlen);
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        EVP_PKEY *pk;
        if (!x || SSL_CTX_use_certificate(kc->ctx, x) != 1) {
            X509_free(x);
            BIO_free(bio);
            return tls_fail(err, "client certificate");
        }
        X509_free(x);
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))   /* intermediates */
            if (SSL_CTX_add_extra_chain_cert(kc->ctx, x) != 1)
                X509_free(x);
        ERR_clear_error();
        BIO_free(bio);
        bio = BIO_new_mem_buf(key, (int) keylen);
        pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!pk || SSL_CTX_use_PrivateKey(kc->ctx, pk) != 1) {
            EVP_PKEY_free(pk);
            return tls_fail(err, "client key");
        }
        EVP_PKEY_free(pk);
        if (SSL_CTX_check_private_key(kc->ctx) != 1)
            return tls_fail(err, "client key does not match the certificate");
    }
    return 0;
}

static int parse_server(eb_kubeconfig_t *kc, eb_error_t *err)
{
    const char *s = kc->server, *hp, *end;
    size_t hl;

    if (strncmp(s, "https://", 8) == 0)
        kc->tls = 1, hp = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        kc->tls = 0, hp = s + 7;
    else
        return eb_error_set(err, EINVAL, "kubeconfig: server `%s` is not an http(s) URL", s);
    end = hp + strcspn(hp, "/");
    if (*end && strcmp(end, "/") != 0)
        return eb_error_set(err, EINVAL, "kubeconfig: server `%s`: a path prefix is not supported", s);
    if (*hp == '[') {      /* [v6]:port */
        const char *rb = memchr(hp, ']', (size_t) (end - hp));
        if (!rb)
            return eb_error_set(err, EINVAL, "kubeconfig: server `%s`: bad IPv6 address", s);
        kc->host = strndup(hp + 1, (size_t) (rb - hp - 1));
        kc->port = rb[1] == ':' ? strndup(rb + 2, (size_t) (end - rb - 2)) : eb_xstrdup(kc->tls ? "443" : "80");
    } else {
        const char *colon = memchr(hp, ':', (size_t) (end - hp));
        hl = colon ? (size_t) (colon - hp) : (size_t) (end - hp);
        kc->host = strndup(hp, hl);
        kc->port = colon ? strndup(colon + 1, (size_t) (end - colon - 1)) : eb_xstrdup(kc->tls ? "443" : "80");
    }
    if (!kc->host[0] || !kc->port[0])
        return eb_error_set(err, EINVAL, "kubeconfig: server `%s` has no host or port", s);
    return 0;
}

/* ROOT (consumed) as a kubeconfig read from PATH, relative files in DIR. */
static int from_tree(json_object *root, const char *path, const char *dir, const char *context, eb_kubeconfig_t *kc,
                     eb_error_t *err)
{
    json_object *ctx, *cluster, *user;
    const char *cname, *clname, *uname, *v;
    size_t len;
    int ret = -1;

    if (!json_object_is_type(root, json_type_object)) {
        eb_error_set(err, EINVAL, "kubeconfig %s: not a mapping", path);
        goto out;
    }
    cname = context ? context : str(root, "current-context");
    if (!cname) {
        eb_error_set(err, EINVAL, "kubeconfig %s: no current-context and no context given", path);
        goto out;
    }
    ctx = named(root, "contexts", cname, "context");
    if (!ctx || !(clname = str(ctx, "cluster"))) {
        eb_error_set(err, ENOENT, "kubeconfig %s: context `%s` not found", path, cname);
        goto out;
    }
    cluster = named(root, "clusters", clname, "cluster");
    if (!cluster || !str(cluster, "server")) {
        eb_error_set(err, ENOENT, "kubeconfig %s: cluster `%s` not found or has no server", path, clname);
        goto out;
    }
    uname = str(ctx, "user");
    user = uname ? named(root, "users", uname, "user") : NULL;
    if (uname && !user) {
        eb_error_set(err, ENOENT, "kubeconfig %s: user `%s` not found", path, uname);
        goto out;
    }
    kc->server = eb_xstrdup(str(cluster, "server"));
    if (parse_server(kc, err) < 0)
        goto out;
    v = str(cluster, "tls-server-name");
    kc->server_name = eb_xstrdup(v ? v : kc->host);
    if ((v = str(user, "token"))) {
        kc->token = eb_xstrdup(v);
    } else if ((v = str(user, "tokenFile"))) {
        _cleanup_free_ char *tp = v[0] == '/' ? eb_xstrdup(v) : eb_strdup_printf("%s/%s", dir, v);
        if (eb_read_file(tp, 64 << 10, &kc->token, &len, err) < 0)
            goto out;
        while (len && (kc->token[len - 1] == '\n' || kc->token[len - 1] == '\r'))
            kc->token[--len] = 0;
    }
    if (kc->tls && setup_tls(kc, cluster, user, dir, err) < 0)
        goto out;
    ret = 0;
out:
    json_object_put(root);
    if (ret < 0)
        eb_kubeconfig_free(kc);
    return ret;
}

int eb_kubeconfig_load(const char *path, const char *context, eb_kubeconfig_t *kc, eb_error_t *err)
{
    _cleanup_free_ char *text = NULL, *pathcopy = eb_xstrdup(path);
    json_object *root = NULL;
    size_t len;

    memset(kc, 0, sizeof(*kc));
    if (eb_read_file(path, KUBECONFIG_MAX, &text, &len, err) < 0)
        return -1;
    if (eb_yaml_to_json(text, len, &root, err) < 0)
        return eb_error_wrap(err, "kubeconfig %s", path);
    return from_tree(root, path, dirname(pathcopy), context, kc, err);
}

int eb_kubeconfig_in_cluster(eb_kubeconfig_t *kc, eb_error_t *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    const char *sa = getenv("EDGEBOX_SERVICEACCOUNT_DIR");
    _cleanup_free_ char *server = NULL, *ca = NULL, *token = NULL;
    json_object *root, *cl, *cluster, *us, *user, *cx, *context;

    memset(kc, 0, sizeof(*kc));
    if (!host || !host[0] || !port || !port[0])
        return eb_error_set(err, 0, "not in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set (use --kubeconfig)");
    if (!sa || !sa[0])
        sa = "/var/run/secrets/kubernetes.io/serviceaccount";
    server = strchr(host, ':') ? eb_strdup_printf("https://[%s]:%s", host, port)
                               : eb_strdup_printf("https://%s:%s", host, port);
    ca = eb_strdup_printf("%s/ca.crt", sa);
    token = eb_strdup_printf("%s/token", sa);
    /* the kubeconfig client-go's rest.InClusterConfig amounts to */
    root = json_object_new_object();
    cl = json_object_new_object(), cluster = json_object_new_object();
    json_object_object_add(cluster, "server", json_object_new_string(server));
    json_object_object_add(cluster, "certificate-authority", json_object_new_string(ca));
    json_object_object_add(cl, "name", json_object_new_string("in-cluster"));
    json_object_object_add(cl, "cluster", cluster);
    us = json_object_new_object(), user = json_object_new_object();
    json_object_object_add(user, "tokenFile", json_object_new_string(token));
    json_object_object_add(us, "name", json_object_new_string("serviceaccount"));
    json_object_object_add(us, "user", user);
    cx = json_object_new_object(), context = json_object_new_object();
    json_object_object_add(context, "cluster", json_object_new_string("in-cluster"));
    json_object_object_add(context, "user", json_object_new_string("serviceaccount"));
    json_object_object_add(cx, "name", json_object_new_string("in-cluster"));
    json_object_object_add(cx, "context", context);
    json_object_object_add(root, "clusters", json_object_new_array());
    json_object_array_add(json_object_object_get(root, "clusters"), cl);
    json_object_object_add(root, "users", json_object_new_array());
    json_object_array_add(json_object_object_get(root, "users"), us);
    json_object_object_add(root, "contexts", json_object_new_array());
    json_object_array_add(json_object_object_get(root, "contexts"), cx);
    json_object_object_add(root, "current-context", json_object_new_string("in-cluster"));
    return from_tree(root, "(in-cluster service account)", sa, NULL, kc, err);
}

void eb_kubeconfig_free(eb_kubeconfig_t *kc)
{
    free(kc->server);
    free(kc->host);
    free(kc->port);
    free(kc->server_name);
    if (kc->token)
        explicit_bzero(kc->token, strlen(kc->token));
    free(kc->token);
    if (kc->ctx)
        SSL_CTX_free(kc->ctx);
    memset(kc, 0, sizeof(*kc));
}
