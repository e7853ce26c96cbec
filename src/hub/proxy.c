/* proxy.c - one client connection: read requests, forward them to the
 * apiserver unchanged (watches streamed and flushed per piece, upgrades
 * spliced as raw streams), fill the cache from what passes, and answer
 * from the cache when the apiserver is offline or unreachable. */
#include "hub/hub.h"
#include "kube/client.h"
#include "eb_config.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IDLE_TIMEOUT_MS 120000
#define UPSTREAM_TIMEOUT_MS 60000
#define DIAL_TIMEOUT_MS 3000

enum fwd { FWD_OK, FWD_CLOSE, FWD_UNREACHABLE };

/* By length first: every header of every request and response is checked. */
static int is_hop(const char *name)
{
    static const struct { const char *name; size_t len; } hop[] = {
        { "Connection", 10 }, { "Keep-Alive", 10 }, { "Proxy-Connection", 16 }, { "Proxy-Authenticate", 18 },
        { "Proxy-Authorization", 19 }, { "TE", 2 }, { "Trailer", 7 }, { "Transfer-Encoding", 17 },
        { "Upgrade", 7 }, { "Host", 4 }, { "Content-Length", 14 },
    };
    size_t i, len = strlen(name);

    for (i = 0; i < EB_ARRAY_SIZE(hop); i++)
        if (len == hop[i].len && strcasecmp(name, hop[i].name) == 0)
            return 1;
    return 0;
}

static void add_header(eb_buf_t *b, const char *name, const char *value)
{
    eb_buf_cat(b, name, ": ", value, "\r\n", NULL);
}

/* The request head as it goes upstream: the client's headers without the
 * hop-by-hop ones, the apiserver's Host, the hub's credentials unless the
 * client brought its own. */
static void build_upstream_head(eb_hub_t *hub, const eb_http_head_t *h, size_t body_len, int upgrade, eb_buf_t *out)
{
    size_t i;

    eb_buf_reserve(out, h->len + 256);
    eb_buf_cat(out, h->method, " ", h->target, " HTTP/1.1\r\nHost: ", hub->kc.host, ":", hub->kc.port, "\r\n", NULL);
    for (i = 0; i < h->nhdr; i++)
        if (!is_hop(h->hdr[i].name))
            add_header(out, h->hdr[i].name, h->hdr[i].value);
    if (hub->kc.token && !eb_http_header(h, "Authorization"))
        eb_buf_cat(out, "Authorization: Bearer ", hub->kc.token, "\r\n", NULL);
    if (upgrade)
        eb_buf_cat(out, "Connection: Upgrade\r\nUpgrade: ", eb_http_header(h, "Upgrade"), "\r\n", NULL);
    if (body_len || !strcmp(h->method, "POST") || !strcmp(h->method, "PUT") || !strcmp(h->method, "PATCH"))
        eb_buf_printf(out, "Content-Length: %zu\r\n", body_len);
    eb_buf_puts(out, "\r\n");
}

int eb_hub_fetch(eb_hub_t *hub, eb_conn_t *up, const char *target, const char *accept,
                 int *status, eb_buf_t *out, char **ctype, eb_error_t *err)
{
    eb_kube_call_t call = { .method = "GET", .target = target, .accept = accept };

    return eb_kube_do(&hub->kc, up, "edgebox-hub/" EB_VERSION, &call, status, out, ctype, err);
}

/* Both directions until either side closes: exec, attach, port-forward. */
static void splice_streams(eb_conn_t *a, eb_conn_t *b)
{
    char buf[16384];

    a->timeout_ms = b->timeout_ms = -1;
    for (;;) {
        struct pollfd p[2] = { { a->fd, POLLIN, 0 }, { b->fd, POLLIN, 0 } };
        eb_conn_t *from, *to;
        ssize_t r;
        int i;

        if (!eb_conn_pending(a) && !eb_conn_pending(b) && poll(p, 2, -1) < 0 && errno != EINTR)
            return;
        for (i = 0; i < 2; i++) {
            from = i ? b : a;
            to = i ? a : b;
            if (!eb_conn_pending(from) && !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            r = eb_conn_read(from, buf, sizeof(buf));
            if (r <= 0 || eb_conn_write(to, buf, (size_t) r) < 0)
                return;
        }
    }
}

static int write_chunk(eb_conn_t *c, const void *data, size_t len)
{
    char hdr[32];
    int n = snprintf(hdr, sizeof(hdr), "%zx\r\n", len);

    if (eb_conn_write(c, hdr, (size_t) n) < 0 || eb_conn_write(c, data, len) < 0 || eb_conn_write(c, "\r\n", 2) < 0)
        return -1;
    return 0;
}

/* Forward one request; the response goes to the client as it arrives. */
static enum fwd forward(eb_client_t *cl, eb_conn_t *up, const eb_http_head_t *h, const eb_kreq_t *r,
                        const char *comp, const eb_buf_t *body, int keep)
{
    eb_hub_t *hub = cl->hub;
    int upgrade = eb_http_header_has(h, "Connection", "upgrade") && eb_http_header(h, "Upgrade");
    int attempt, is_table = 0, fmt_ok = 0, capture = 0, raw = 0;
    eb_buf_t head = { 0 }, out = { 0 }, full = { .limit = (size_t) hub->cfg.max_body };
    eb_watch_capture_t wc = { 0 };
    eb_http_head_t rh = { 0 };
    eb_error_t err = { 0 };
    enum eb_fmt fmt = EB_FMT_JSON;
    enum fwd ret = FWD_OK;
    eb_body_t rb;
    size_t i;

    build_upstream_head(hub, h, body->len, upgrade, &head);
    /* A kept-alive upstream connection may have been closed by the
     * apiserver meanwhile: one retry on a fresh one, before any byte of a
     * response arrived - for a write only if it could not even be sent
     * (it may have been applied otherwise). */
    for (attempt = 0;; attempt++) {
        int fresh = up->fd < 0, rc, sent = 0;
        int idempotent = !strcmp(h->method, "GET") || !strcmp(h->method, "HEAD");
        if (fresh && eb_kube_dial(&hub->kc, up, DIAL_TIMEOUT_MS, &err) < 0) {
            eb_debug("hub: %s", err.msg);
            ret = FWD_UNREACHABLE;
            goto out;
        }
        up->timeout_ms = UPSTREAM_TIMEOUT_MS;
        if (eb_conn_write(up, head.p, head.len) == 0 && (!body->len || eb_conn_write(up, body->p, body->len) == 0)) {
            sent = 1;
            rc = eb_http_read_head(up, 0, &rh, &err);
            if (rc == 0)
                break;
            eb_http_head_free(&rh);
        }
        eb_conn_close(up);
        if (fresh || attempt || (sent && !idempotent)) {
            ret = FWD_UNREACHABLE;
            goto out;
        }
    }
    eb_hub_count(hub, r, EB_RES_FORWARDED);

    if (upgrade && rh.status == 101) {
        eb_buf_printf(&out, "HTTP/1.1 101 %s\r\n", rh.reason);
        for (i = 0; i < rh.nhdr; i++)
            add_header(&out, rh.hdr[i].name, rh.hdr[i].value);
        eb_buf_puts(&out, "\r\n");
        if (eb_conn_write(&cl->c, out.p, out.len) == 0) {
            /* bytes either side already sent after its head */
            if (up->rpos < up->rlen && eb_conn_write(&cl->c, up->rbuf + up->rpos, up->rlen - up->rpos) == 0)
                up->rpos = up->rlen;
            splice_streams(&cl->c, up);
        }
        eb_conn_close(up);
        ret = FWD_CLOSE;
        goto out;
    }
    if (eb_body_init_response(&rb, &rh, h->method) < 0) {
        eb_conn_close(up);
        eb_serve_status(&cl->c, keep, 502, "InternalError", "the apiserver sent a bad Content-Length");
        goto out;
    }
    if (r->verb == EB_KV_WATCH)
        up->timeout_ms = -1;      /* events come when they come */
    if (eb_hub_cacheable(r, comp) && (rh.status == 200 || (r->verb == EB_KV_GET && rh.status == 404))) {
        fmt = eb_ctype_fmt(eb_http_header(&rh, "Content-Type"), &is_table, &fmt_ok);
        capture = fmt_ok && !is_table;
        if (capture && r->verb == EB_KV_WATCH) {
            wc = (eb_watch_capture_t) { .hub = hub, .comp = comp, .method = h->method, .target = h->target,
                                        .r = r, .fmt = fmt };
            wc.pending.limit = (size_t) hub->cfg.max_body;
        }
    }
    raw = rh.status == 200 && eb_hub_raw_cacheable(h, r, comp);

    /* room for the head and a small body sent with it */
    eb_buf_reserve(&out, rh.len + 64 + (rb.mode == EB_BODY_LENGTH && rb.left <= 65536 ? rb.left : 0));
    eb_buf_cat(&out, "HTTP/1.1 ", rh.code, " ", rh.reason, "\r\n", NULL);
    for (i = 0; i < rh.nhdr; i++)
        if (!is_hop(rh.hdr[i].name))
            add_header(&out, rh.hdr[i].name, rh.hdr[i].value);
    if (rb.mode == EB_BODY_LENGTH)
        add_header(&out, "Content-Length", eb_http_header(&rh, "Content-Length"));
    else if (rb.mode != EB_BODY_NONE)
        eb_buf_puts(&out, "Transfer-Encoding: chunked\r\n");
    else if (rh.status / 100 != 1 && rh.status != 204 && rh.status != 304)
        eb_buf_puts(&out, "Content-Length: 0\r\n");
    if (!keep)
        eb_buf_puts(&out, "Connection: close\r\n");
    eb_buf_puts(&out, "\r\n");
    /* A small body of known length goes out with the head in one write. */
    if (rb.mode == EB_BODY_LENGTH && rb.left <= 65536) {
        size_t head_len = out.len;
        while (!rb.done) {
            char buf[16384];
            ssize_t n = eb_body_read(up, &rb, buf, sizeof(buf));
            if (n <= 0) {
                eb_conn_close(up);
                ret = FWD_CLOSE;
                goto out;
            }
            eb_buf_add(&out, buf, (size_t) n);
        }
        if (eb_conn_write(&cl->c, out.p, out.len) < 0) {
            ret = FWD_CLOSE;
            goto out;
        }
        if ((capture || raw) && eb_buf_add(&full, out.p + head_len, out.len - head_len) < 0)
            capture = raw = 0;
    } else if (eb_conn_write(&cl->c, out.p, out.len) < 0) {
        eb_conn_close(up);
        ret = FWD_CLOSE;
        goto out;
    }
    for (;;) {
        char buf[32768];
        ssize_t n = eb_body_read(up, &rb, buf, sizeof(buf));
        int wr;

        if (n == 0)
            break;
        if (n < 0) {
            /* The apiserver went away mid-body: end what the client got as
             * cleanly as the framing allows (a watch just ends). */
            eb_conn_close(up);
            if (rb.mode == EB_BODY_LENGTH) {
                ret = FWD_CLOSE;
                goto out;
            }
            capture = 0;
            break;
        }
        wr = rb.mode == EB_BODY_LENGTH ? eb_conn_write(&cl->c, buf, (size_t) n) : write_chunk(&cl->c, buf, (size_t) n);
        if (wr < 0) {
            eb_conn_close(up);   /* the client left: stop the upstream too */
            ret = FWD_CLOSE;
            goto out;
        }
        if (capture && r->verb == EB_KV_WATCH)
            eb_watch_capture_feed(&wc, buf, (size_t) n);
        else if ((capture || raw) && eb_buf_add(&full, buf, (size_t) n) < 0)
            capture = raw = 0;    /* too large to cache: forwarded only */
    }
    if (rb.mode == EB_BODY_CHUNKED || rb.mode == EB_BODY_CLOSE) {
        if (eb_conn_write(&cl->c, "0\r\n\r\n", 5) < 0)
            ret = FWD_CLOSE;
    }
    if (rb.mode == EB_BODY_CLOSE || eb_http_header_has(&rh, "Connection", "close"))
        eb_conn_close(up);
    if (raw) {
        _cleanup_free_ char *key = eb_hub_raw_key(h);
        const char *ct = eb_http_header(&rh, "Content-Type");
        if (eb_store_raw_put(hub->store, comp, key, ct ? ct : "", full.p, full.len, &err) < 0) {
            atomic_fetch_add(&hub->store_errors, 1);
            eb_warn("hub: caching %s for %s: %s", r->path, comp, err.msg);
        }
    }
    if (capture && r->verb != EB_KV_WATCH)
        eb_capq_body(hub, comp, h->method, h->target, r, fmt, rh.status, &full);
    /* A table (kubectl get) can't fill a per-object cache: read the same
     * thing as JSON for it, after the client has its answer. */
    if (eb_hub_cacheable(r, comp) && is_table && r->verb != EB_KV_WATCH && rh.status == 200 && up->fd >= 0) {
        _cleanup_free_ char *ctype = NULL;
        eb_buf_t js = { .limit = (size_t) hub->cfg.max_body };
        int st = 0;
        up->timeout_ms = UPSTREAM_TIMEOUT_MS;
        if (eb_hub_fetch(hub, up, h->target, "application/json", &st, &js, &ctype, &err) == 0) {
            if (st == 200 || st == 404)
                eb_capq_body(hub, comp, h->method, h->target, r, EB_FMT_JSON, st, &js);
        } else {
            eb_conn_close(up);
        }
        eb_buf_free(&js);
    }
out:
    eb_watch_capture_free(&wc);
    eb_http_head_free(&rh);
    eb_buf_free(&head);
    eb_buf_free(&out);
    /* a large body kept here (a captured one went to the cache writer,
     * which trims after writing it) */
    if (full.cap > (1 << 20))
        malloc_trim(0);
    eb_buf_free(&full);
    return ret;
}

static int read_request_body(eb_client_t *cl, const eb_http_head_t *h, eb_buf_t *body)
{
    eb_error_t err = { 0 };
    eb_body_t b;

    if (eb_body_init_request(&b, h) < 0) {
        eb_serve_status(&cl->c, 0, 400, "BadRequest", "bad Content-Length");
        return -1;
    }
    body->limit = (size_t) cl->hub->cfg.max_body;
    if (eb_body_read_all(&cl->c, &b, body, &err) < 0) {
        if (err.code == EMSGSIZE)
            eb_serve_status(&cl->c, 0, 413, "RequestEntityTooLarge", "request body larger than %ld bytes",
                            cl->hub->cfg.max_body);
        return -1;
    }
    return 0;
}

void *eb_hub_client_thread(void *arg)
{
    eb_client_t *cl = arg;
    eb_hub_t *hub = cl->hub;
    eb_conn_t up;
    eb_error_t err = { 0 };

    eb_conn_init(&up, -1);
    if (cl->tls && eb_conn_tls_server(&cl->c, hub->server_ctx, &err) < 0) {
        eb_debug("hub: client: %s", err.msg);
        goto done;
    }
    for (;;) {
        eb_http_head_t h;
        eb_kreq_t r;
        eb_buf_t body = { 0 };
        _cleanup_free_ char *comp = NULL;
        int rc, keep;
        enum fwd f = FWD_OK;

        cl->c.timeout_ms = IDLE_TIMEOUT_MS;
        rc = eb_http_read_head(&cl->c, 1, &h, &err);
        if (rc != 0) {
            if (rc < 0 && (err.code == EMSGSIZE || err.code == EPROTO))
                eb_serve_status(&cl->c, 0, err.code == EMSGSIZE ? 431 : 400, "BadRequest", "%s", err.msg);
            eb_http_head_free(&h);
            break;
        }
        keep = h.minor >= 1 && !eb_http_header_has(&h, "Connection", "close");
        if (eb_kreq_parse(h.method, h.target, &r, &err) < 0) {
            eb_serve_status(&cl->c, keep, 400, "BadRequest", "%s", err.msg);
            eb_kreq_free(&r);
            eb_http_head_free(&h);
            eb_error_clear(&err);
            if (!keep)
                break;
            continue;
        }
        if (read_request_body(cl, &h, &body) < 0) {
            eb_kreq_free(&r);
            eb_http_head_free(&h);
            eb_buf_free(&body);
            break;
        }
        comp = eb_hub_component(hub, &h);
        if (atomic_load(&hub->online))
            f = forward(cl, &up, &h, &r, comp, &body, keep);
        if (!atomic_load(&hub->online) || f == FWD_UNREACHABLE) {
            if (eb_serve_from_cache(hub, &cl->c, keep, &h, &r, comp) < 0)
                f = FWD_CLOSE;
        }
        eb_kreq_free(&r);
        eb_http_head_free(&h);
        eb_buf_free(&body);
        if (f == FWD_CLOSE || !keep || atomic_load(&hub->stopping))
            break;
    }
done:
    eb_conn_close(&up);
    eb_conn_close(&cl->c);
    atomic_fetch_sub(&hub->conns, 1);
    free(cl);
    return NULL;
}
