/* client.c - our own requests to the apiserver. */
#include "kube/client.h"
#include "common/util.h"
#include "eb_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int eb_kube_dial(const eb_kubeconfig_t *kc, eb_conn_t *c, int timeout_ms, eb_error_t *err)
{
    if (eb_conn_dial(c, kc->host, kc->port, timeout_ms, err) < 0)
        return -1;
    c->timeout_ms = timeout_ms;   /* the handshake's too: a black-holed peer accepts and says nothing */
    if (kc->tls && eb_conn_tls_client(c, kc->ctx, kc->server_name, err) < 0) {
        eb_conn_close(c);
        return -1;
    }
    return 0;
}

static int send_call(const eb_kubeconfig_t *kc, eb_conn_t *c, const char *ua, const eb_kube_call_t *call,
                     eb_error_t *err)
{
    eb_buf_t req = { 0 };
    int rc;

    eb_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\nAccept: %s\r\nUser-Agent: %s\r\n", call->method,
                  call->target, kc->host, kc->port, call->accept ? call->accept : "application/json",
                  ua ? ua : "edgebox/" EB_VERSION);
    if (kc->token)
        eb_buf_printf(&req, "Authorization: Bearer %s\r\n", kc->token);
    if (call->body || strcmp(call->method, "GET") != 0)
        eb_buf_printf(&req, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                      call->ctype ? call->ctype : "application/json", call->len);
    eb_buf_puts(&req, "\r\n");
    if (call->len && call->len <= 16384)
        eb_buf_add(&req, call->body, call->len);
    rc = eb_conn_write(c, req.p, req.len);
    if (rc == 0 && call->len > 16384)
        rc = eb_conn_write(c, call->body, call->len);
    eb_buf_free(&req);
    if (rc < 0)
        return eb_error_set(err, errno, "%s %s: send to the apiserver", call->method, call->target);
    return 0;
}

/* Send and read the head; on a reused connection the apiserver may have
 * closed it meanwhile (idle timeout): then once more on a fresh one.  A
 * request that was answered at all is never sent twice. */
static int exchange(const eb_kubeconfig_t *kc, eb_conn_t *c, const char *ua, const eb_kube_call_t *call,
                    eb_http_head_t *h, eb_error_t *err)
{
    int attempt, rc = -1;

    memset(h, 0, sizeof(*h));
    for (attempt = 0; attempt < 2; attempt++) {
        int reused = c->fd >= 0, timeout = c->timeout_ms > 0 ? c->timeout_ms : 10000;

        if (!reused && eb_kube_dial(kc, c, timeout, err) < 0)
            return -1;
        c->timeout_ms = timeout;
        eb_error_clear(err);
        if (send_call(kc, c, ua, call, err) == 0) {
            rc = eb_http_read_head(c, 0, h, err);
            if (rc == 0)
                return 0;
            eb_http_head_free(h);
            memset(h, 0, sizeof(*h));
            if (rc == 1)
                eb_error_set(err, ECONNRESET, "%s %s: the apiserver closed the connection", call->method,
                             call->target);
        }
        eb_conn_close(c);
        /* only a connection that died before answering (EOF, reset) is retried */
        if (!reused || (rc != 1 && err->code != EPIPE && err->code != ECONNRESET))
            break;
    }
    return -1;
}

int eb_kube_open(const eb_kubeconfig_t *kc, eb_conn_t *c, const char *user_agent, const eb_kube_call_t *call,
                 eb_http_head_t *h, eb_body_t *b, eb_error_t *err)
{
    if (exchange(kc, c, user_agent, call, h, err) < 0)
        return -1;
    if (eb_body_init_response(b, h, call->method) < 0) {
        eb_http_head_free(h);
        eb_conn_close(c);
        return eb_error_set(err, EPROTO, "%s %s: bad Content-Length from the apiserver", call->method,
                            call->target);
    }
    return 0;
}

int eb_kube_do(const eb_kubeconfig_t *kc, eb_conn_t *c, const char *user_agent, const eb_kube_call_t *call,
               int *status, eb_buf_t *out, char **ctype, eb_error_t *err)
{
    eb_http_head_t h;
    eb_body_t b;
    int rc;

    if (eb_kube_open(kc, c, user_agent, call, &h, &b, err) < 0)
        return -1;
    *status = h.status;
    if (ctype)
        *ctype = eb_xstrdup(eb_http_header(&h, "Content-Type") ? eb_http_header(&h, "Content-Type") : "");
    rc = eb_body_read_all(c, &b, out, err);
    if (rc < 0 || eb_http_header_has(&h, "Connection", "close") || b.mode == EB_BODY_CLOSE)
        eb_conn_close(c);
    eb_http_head_free(&h);
    if (rc < 0 && ctype) {
        free(*ctype);
        *ctype = NULL;
    }
    return rc;
}

char *eb_kube_resource_path(const char *res, const char *ns, const char *name)
{
    const char *s1 = strchr(res, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    eb_buf_t b = { 0 };

    if (!s1)
        return NULL;
    if (s2)
        eb_buf_printf(&b, "/apis/%.*s", (int) (s2 - res), res);
    else
        eb_buf_printf(&b, "/api/%.*s", (int) (s1 - res), res);
    if (ns && ns[0])
        eb_buf_printf(&b, "/namespaces/%s", ns);
    eb_buf_printf(&b, "/%s", s2 ? s2 + 1 : s1 + 1);
    if (name)
        eb_buf_printf(&b, "/%s", name);
    return b.p;
}

void eb_kube_query_escape(eb_buf_t *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char) *s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-_.~", ch))
            eb_buf_add(b, s, 1);
        else
            eb_buf_printf(b, "%%%02X", ch);
    }
}
