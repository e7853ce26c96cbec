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
#define START_WAIT_MS 1000        /* at start, for the first health check's verdict */
#define WATCH_POLL_MS 500         /* a relayed watch looks at the hub's state this often */

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

/* One forwarded request, carried from step to step of forward(). */
typedef struct fwd_ctx {
    eb_hub_t *hub;
    eb_conn_t *c, *up;            /* the client's connection, the apiserver's */
    const eb_http_head_t *h;
    const eb_kreq_t *r;
    const char *comp;
    int keep;
    eb_http_head_t rh;            /* the apiserver's response head */
    eb_body_t rb;                 /* and its body's framing */
    enum eb_fmt fmt;
    int is_table, capture, raw;   /* what the body fills, see plan_capture */
    eb_buf_t full;                /* the whole body, for capture or raw */
    eb_watch_capture_t wc;        /* a watch stream's events, for capture */
} fwd_ctx_t;

static void fwd_ctx_free(fwd_ctx_t *f)
{
    eb_watch_capture_free(&f->wc);
    eb_http_head_free(&f->rh);
    /* a large body kept here (a captured one went to the cache writer,
     * which trims after writing it) */
    if (f->full.cap > (1 << 20))
        malloc_trim(0);
    eb_buf_free(&f->full);
}

/* A kept-alive upstream connection may have been closed by the apiserver
 * meanwhile: one retry on a fresh one, before any byte of a response
 * arrived - for a write only if it could not even be sent (it may have
 * been applied otherwise).  0: F->rh holds the response head; -1: the
 * apiserver is unreachable (the caller answers from the cache). */
/* Whether the apiserver starts answering within MS (an error counts: the
 * read that follows reports it). */
static int answer_within(eb_conn_t *up, int ms)
{
    struct pollfd p = { up->fd, POLLIN, 0 };
    int n;

    if (eb_conn_pending(up))
        return 1;
    do
        n = poll(&p, 1, ms);
    while (n < 0 && errno == EINTR);
    return n != 0;
}

/* A read the cache could answer does not wait out a black-holed link (a
 * connection accepted, the request never answered): past --read-timeout
 * without a byte it is answered from the cache, as kubelet's own 10 s
 * deadline would otherwise pass first. */
static int stalled(fwd_ctx_t *f)
{
    const eb_kreq_t *r = f->r;

    if (!f->comp || strcmp(f->h->method, "GET") != 0
        || !(eb_hub_cacheable(r, f->comp) || eb_hub_raw_cacheable(f->h, r, f->comp)))
        return 0;
    if (answer_within(f->up, f->hub->cfg.read_timeout_ms) || !eb_cache_answers(f->hub, f->h, r, f->comp))
        return 0;
    eb_debug("hub: %s %s: no answer from the apiserver in %d ms: answered from the cache", f->h->method,
             f->h->target, f->hub->cfg.read_timeout_ms);
    return 1;
}

static int send_request(fwd_ctx_t *f, const eb_buf_t *body, int upgrade)
{
    int idempotent = !strcmp(f->h->method, "GET") || !strcmp(f->h->method, "HEAD");
    eb_buf_t head = { 0 };
    eb_error_t err = { 0 };
    int attempt, rc = -1;

    build_upstream_head(f->hub, f->h, body->len, upgrade, &head);
    for (attempt = 0;; attempt++) {
        int fresh = f->up->fd < 0, sent = 0;
        if (fresh && eb_kube_dial(&f->hub->kc, f->up, DIAL_TIMEOUT_MS, &err) < 0) {
            eb_debug("hub: %s", err.msg);
            break;
        }
        f->up->timeout_ms = UPSTREAM_TIMEOUT_MS;
        if (eb_conn_write(f->up, head.p, head.len) == 0
            && (!body->len || eb_conn_write(f->up, body->p, body->len) == 0)) {
            sent = 1;
            if (stalled(f)) {
                eb_conn_close(f->up);
                break;
            }
            if (eb_http_read_head(f->up, 0, &f->rh, &err) == 0) {
                rc = 0;
                break;
            }
            eb_http_head_free(&f->rh);
        }
        eb_conn_close(f->up);
        if (fresh || attempt || (sent && !idempotent))
            break;
    }
    eb_buf_free(&head);
    if (rc < 0)
        eb_hub_suspect(f->hub);
    return rc;
}

/* An upgrade the apiserver accepted (exec, attach, port-forward): its 101
 * to the client, then both streams spliced until either side closes.  The
 * connection is not reused after. */
static enum fwd splice_upgrade(fwd_ctx_t *f)
{
    eb_buf_t out = { 0 };
    size_t i;

    eb_buf_printf(&out, "HTTP/1.1 101 %s\r\n", f->rh.reason);
    for (i = 0; i < f->rh.nhdr; i++)
        add_header(&out, f->rh.hdr[i].name, f->rh.hdr[i].value);
    eb_buf_puts(&out, "\r\n");
    if (eb_conn_write(f->c, out.p, out.len) == 0) {
        /* bytes either side already sent after its head */
        if (f->up->rpos < f->up->rlen && eb_conn_write(f->c, f->up->rbuf + f->up->rpos, f->up->rlen - f->up->rpos) == 0)
            f->up->rpos = f->up->rlen;
        splice_streams(f->c, f->up);
    }
    eb_buf_free(&out);
    eb_conn_close(f->up);
    return FWD_CLOSE;
}

/* Whether the body fills the cache: a read answer in a format the store
 * keeps (a Table can't fill a per-object cache: see refetch_table), or a
 * discovery document kept raw. */
static void plan_capture(fwd_ctx_t *f)
{
    const eb_kreq_t *r = f->r;
    int fmt_ok = 0;

    if (eb_hub_cacheable(r, f->comp) && (f->rh.status == 200 || (r->verb == EB_KV_GET && f->rh.status == 404))) {
        f->fmt = eb_ctype_fmt(eb_http_header(&f->rh, "Content-Type"), &f->is_table, &fmt_ok);
        f->capture = fmt_ok && !f->is_table;
        if (f->capture && r->verb == EB_KV_WATCH) {
            f->wc = (eb_watch_capture_t) { .hub = f->hub, .comp = f->comp, .method = f->h->method,
                                           .target = f->h->target, .r = r, .fmt = f->fmt };
            f->wc.pending.limit = (size_t) f->hub->cfg.max_body;
        }
    }
    f->raw = f->rh.status == 200 && eb_hub_raw_cacheable(f->h, r, f->comp);
}

/* The response head as it goes to the client: the apiserver's headers
 * without the hop-by-hop ones, the body framed by the hub (re-chunked
 * unless its length is known), Connection: close when this is the last. */
static void build_response_head(const fwd_ctx_t *f, size_t body_room, eb_buf_t *out)
{
    const eb_http_head_t *rh = &f->rh;
    size_t i;

    eb_buf_reserve(out, rh->len + 64 + body_room);
    eb_buf_cat(out, "HTTP/1.1 ", rh->code, " ", rh->reason, "\r\n", NULL);
    for (i = 0; i < rh->nhdr; i++)
        if (!is_hop(rh->hdr[i].name))
            add_header(out, rh->hdr[i].name, rh->hdr[i].value);
    if (f->rb.mode == EB_BODY_LENGTH)
        add_header(out, "Content-Length", eb_http_header(rh, "Content-Length"));
    else if (f->rb.mode != EB_BODY_NONE)
        eb_buf_puts(out, "Transfer-Encoding: chunked\r\n");
    else if (rh->status / 100 != 1 && rh->status != 204 && rh->status != 304)
        eb_buf_puts(out, "Content-Length: 0\r\n");
    if (!f->keep)
        eb_buf_puts(out, "Connection: close\r\n");
    eb_buf_puts(out, "\r\n");
}

/* Body bytes kept whole for the cache, while they fit. */
static void keep_body(fwd_ctx_t *f, const void *data, size_t len)
{
    if ((f->capture || f->raw) && eb_buf_add(&f->full, data, len) < 0)
        f->capture = f->raw = 0;  /* too large to cache: forwarded only */
}

/* A small body of known length, whole, behind the head in OUT.
 * -1: the apiserver went away (the connection is done). */
static int read_small_body(fwd_ctx_t *f, eb_buf_t *out)
{
    while (!f->rb.done) {
        char buf[16384];
        ssize_t n = eb_body_read(f->up, &f->rb, buf, sizeof(buf));
        if (n <= 0) {
            eb_conn_close(f->up);
            return -1;
        }
        eb_buf_add(out, buf, (size_t) n);
    }
    return 0;
}

/* The head to the client.  A small body of known length is read first and
 * goes out with the head in one write (one packet for most GETs).
 * -1: the connection is done. */
static int send_head(fwd_ctx_t *f)
{
    int small = f->rb.mode == EB_BODY_LENGTH && f->rb.left <= 65536;
    eb_buf_t out = { 0 };
    size_t head_len;
    int rc;

    build_response_head(f, small ? f->rb.left : 0, &out);
    head_len = out.len;
    rc = small ? read_small_body(f, &out) : 0;
    if (rc == 0 && eb_conn_write(f->c, out.p, out.len) < 0) {
        eb_conn_close(f->up);     /* the client left: the connection ends */
        rc = -1;
    } else if (rc == 0 && small) {
        keep_body(f, out.p + head_len, out.len - head_len);
    }
    eb_buf_free(&out);
    return rc;
}

/* The rest of the body to the client as it arrives, each piece also to
 * the cache.  -1: the connection is done. */
/* A relayed watch whose link went quiet: 1 when the hub went offline
 * meanwhile (a stalled stream would otherwise hold the client until TCP
 * gives up, never relisting from the cache), 0 when bytes arrived. */
static int watch_cut(fwd_ctx_t *f)
{
    eb_hub_t *hub = f->hub;

    while (!answer_within(f->up, WATCH_POLL_MS))
        if (!atomic_load(&hub->online) || atomic_load(&hub->stopping))
            return 1;
    return 0;
}

static int relay_body(fwd_ctx_t *f)
{
    for (;;) {
        char buf[32768];
        ssize_t n;
        int wr;

        if (f->r->verb == EB_KV_WATCH && watch_cut(f)) {
            eb_conn_close(f->up);   /* ended cleanly below: the client relists */
            return 0;
        }
        n = eb_body_read(f->up, &f->rb, buf, sizeof(buf));

        if (n == 0)
            return 0;
        if (n < 0) {
            /* The apiserver went away mid-body: end what the client got as
             * cleanly as the framing allows (a watch just ends). */
            eb_conn_close(f->up);
            if (f->rb.mode == EB_BODY_LENGTH)
                return -1;
            f->capture = 0;
            return 0;
        }
        wr = f->rb.mode == EB_BODY_LENGTH ? eb_conn_write(f->c, buf, (size_t) n) : write_chunk(f->c, buf, (size_t) n);
        if (wr < 0) {
            eb_conn_close(f->up);   /* the client left: stop the upstream too */
            return -1;
        }
        if (f->capture && f->r->verb == EB_KV_WATCH)
            eb_watch_capture_feed(&f->wc, buf, (size_t) n);
        else
            keep_body(f, buf, (size_t) n);
    }
}

/* The last chunk of a re-chunked body; the upstream connection closed when
 * its framing or its Connection header says it can't be reused. */
static enum fwd end_body(fwd_ctx_t *f)
{
    enum fwd ret = FWD_OK;

    if ((f->rb.mode == EB_BODY_CHUNKED || f->rb.mode == EB_BODY_CLOSE) && eb_conn_write(f->c, "0\r\n\r\n", 5) < 0)
        ret = FWD_CLOSE;
    if (f->rb.mode == EB_BODY_CLOSE || eb_http_header_has(&f->rh, "Connection", "close"))
        eb_conn_close(f->up);
    return ret;
}

/* A discovery document into the raw cache, to be answered offline as it
 * was (written here: it is small and one row, no decoding to queue). */
static void keep_raw(fwd_ctx_t *f)
{
    _cleanup_free_ char *key = NULL;
    const char *ct = eb_http_header(&f->rh, "Content-Type");
    eb_error_t err = { 0 };

    if (!f->raw)
        return;
    key = eb_hub_raw_key(f->h);
    if (eb_store_raw_put(f->hub->store, f->comp, key, ct ? ct : "", f->full.p, f->full.len, &err) < 0) {
        atomic_fetch_add(&f->hub->store_errors, 1);
        eb_warn("hub: caching %s for %s: %s", f->r->path, f->comp, err.msg);
    }
}

/* A table (kubectl get) can't fill a per-object cache: read the same
 * thing as JSON for it, after the client has its answer. */
static void refetch_table(fwd_ctx_t *f)
{
    _cleanup_free_ char *ctype = NULL;
    eb_buf_t js = { .limit = (size_t) f->hub->cfg.max_body };
    eb_error_t err = { 0 };
    int st = 0;

    if (!eb_hub_cacheable(f->r, f->comp) || !f->is_table || f->r->verb == EB_KV_WATCH || f->rh.status != 200
        || f->up->fd < 0)
        return;
    f->up->timeout_ms = UPSTREAM_TIMEOUT_MS;
    if (eb_hub_fetch(f->hub, f->up, f->h->target, "application/json", &st, &js, &ctype, &err) == 0) {
        if (st == 200 || st == 404)
            eb_capq_body(f->hub, f->comp, f->h->method, f->h->target, f->r, EB_FMT_JSON, st, &js);
    } else {
        eb_conn_close(f->up);
    }
    eb_buf_free(&js);
}

/* Forward one request; the response goes to the client as it arrives,
 * and what it carries into the cache. */
static enum fwd forward(eb_client_t *cl, eb_conn_t *up, const eb_http_head_t *h, const eb_kreq_t *r,
                        const char *comp, const eb_buf_t *body, int keep)
{
    int upgrade = eb_http_header_has(h, "Connection", "upgrade") && eb_http_header(h, "Upgrade");
    fwd_ctx_t f __attribute__((cleanup(fwd_ctx_free))) = {
        .hub = cl->hub, .c = &cl->c, .up = up, .h = h, .r = r, .comp = comp, .keep = keep, .fmt = EB_FMT_JSON,
        .full = { .limit = (size_t) cl->hub->cfg.max_body },
    };
    enum fwd ret;

    if (send_request(&f, body, upgrade) < 0)
        return FWD_UNREACHABLE;
    eb_hub_count(f.hub, r, EB_RES_FORWARDED);
    if (upgrade && f.rh.status == 101)
        return splice_upgrade(&f);
    if (eb_body_init_response(&f.rb, &f.rh, h->method) < 0) {
        eb_conn_close(up);
        eb_serve_status(f.c, keep, 502, "InternalError", "the apiserver sent a bad Content-Length");
        return FWD_OK;
    }
    if (r->verb == EB_KV_WATCH)
        up->timeout_ms = -1;      /* events come when they come */
    plan_capture(&f);
    if (send_head(&f) < 0 || relay_body(&f) < 0)
        return FWD_CLOSE;
    ret = end_body(&f);
    keep_raw(&f);
    if (f.capture && r->verb != EB_KV_WATCH)  /* the writer takes the body over */
        eb_capq_body(f.hub, comp, h->method, h->target, r, f.fmt, f.rh.status, &f.full);
    refetch_table(&f);
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

/* Before the first health check's verdict (a start): a request the cache
 * answers waits at most START_WAIT_MS, then is served from disk while the
 * check goes on against a link that may be black-holed; any other waits
 * for the verdict. */
static void await_start(eb_hub_t *hub, const eb_http_head_t *h, const eb_kreq_t *r, const char *comp)
{
    eb_hub_wait_decided(hub, START_WAIT_MS);
    if (atomic_load(&hub->deciding) && !eb_cache_answers(hub, h, r, comp))
        eb_hub_wait_decided(hub, 2 * hub->cfg.health_timeout_ms);
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
        int rc, keep, cache;
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
        if (atomic_load(&hub->deciding))
            await_start(hub, &h, &r, comp);
        cache = !atomic_load(&hub->online) || (atomic_load(&hub->suspect) && eb_cache_answers(hub, &h, &r, comp));
        if (!cache) {
            f = forward(cl, &up, &h, &r, comp, &body, keep);
            cache = f == FWD_UNREACHABLE;
        }
        if (cache && eb_serve_from_cache(hub, &cl->c, keep, &h, &r, comp) < 0)
            f = FWD_CLOSE;
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
