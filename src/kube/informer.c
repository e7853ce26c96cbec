/* informer.c - LIST + WATCH with resume, relist on 410, a local copy. */
#include "kube/informer.h"
#include "common/json.h"
#include "kube/client.h"
#include "kube/object.h"
#include "common/buf.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A watch that fails this often in a row without an event relists. */
#define MAX_WATCH_FAILURES 5

char *eb_object_key(json_object *obj)
{
    const char *name = eb_json_str_at(obj, "metadata", "name", NULL);
    const char *ns = eb_json_str_at(obj, "metadata", "namespace", NULL);

    if (!name || !name[0])
        return NULL;
    return ns && ns[0] ? eb_strdup_printf("%s/%s", ns, name) : eb_xstrdup(name);
}

void eb_informer_init(eb_informer_t *inf)
{
    pthread_mutex_init(&inf->lock, NULL);
    inf->items = json_object_new_object();
    inf->rv[0] = 0;
    inf->active_fd = -1;
    if (!inf->page_size)
        inf->page_size = 500;
    if (!inf->watch_timeout_s)
        inf->watch_timeout_s = 300;
    if (!inf->max_event)
        inf->max_event = 4 << 20;
    if (!inf->max_list)
        inf->max_list = 64 << 20;
}

void eb_informer_free(eb_informer_t *inf)
{
    json_object_put(inf->items);
    inf->items = NULL;
    pthread_mutex_destroy(&inf->lock);
}

json_object *eb_informer_get(eb_informer_t *inf, const char *key)
{
    json_object *o = NULL, *copy = NULL;

    pthread_mutex_lock(&inf->lock);
    if (json_object_object_get_ex(inf->items, key, &o) && o)
        json_object_deep_copy(o, &copy, NULL);
    pthread_mutex_unlock(&inf->lock);
    return copy;
}

void eb_informer_foreach(eb_informer_t *inf, void (*fn)(void *ud, const char *key, json_object *obj), void *ud)
{
    pthread_mutex_lock(&inf->lock);
    json_object_object_foreach(inf->items, key, obj)
        fn(ud, key, obj);
    pthread_mutex_unlock(&inf->lock);
}

size_t eb_informer_count(eb_informer_t *inf)
{
    size_t n;

    pthread_mutex_lock(&inf->lock);
    n = (size_t) json_object_object_length(inf->items);
    pthread_mutex_unlock(&inf->lock);
    return n;
}

static const char *rv_of(json_object *obj)
{
    const char *rv = eb_json_str_at(obj, "metadata", "resourceVersion", NULL);
    return rv ? rv : "";
}

static void set_rv(eb_informer_t *inf, const char *rv)
{
    if (rv && strlen(rv) < sizeof(inf->rv)) {
        pthread_mutex_lock(&inf->lock);
        strcpy(inf->rv, rv);
        pthread_mutex_unlock(&inf->lock);
    }
}

static json_object *parse_bounded(const char *p, size_t len)
{
    eb_error_t ign = { 0 };

    return eb_json_parse(p, len, 64, 0, &ign);
}

int eb_informer_apply_line(eb_informer_t *inf, const char *line, size_t len, eb_error_t *err)
{
    _cleanup_json_ json_object *ev = parse_bounded(line, len);
    json_object *obj = eb_json_at(ev, "object", NULL), *old = NULL;
    const char *type = eb_json_str_at(ev, "type", NULL), *rv;
    _cleanup_free_ char *key = NULL;
    enum eb_inf_event kind;

    if (!ev || !type || !obj || !json_object_is_type(obj, json_type_object))
        return eb_error_set(err, EPROTO, "%s watch: malformed event", inf->res);
    if (strcmp(type, "ERROR") == 0) {
        json_object *code = eb_json_at(obj, "code", NULL);
        if (code && json_object_get_int(code) == 410)
            return 1;
        return eb_error_set(err, EPROTO, "%s watch: error event: %s", inf->res,
                            eb_json_str_at(obj, "message", NULL) ? eb_json_str_at(obj, "message", NULL) : "?");
    }
    rv = eb_json_str_at(obj, "metadata", "resourceVersion", NULL);
    if (strcmp(type, "BOOKMARK") == 0) {
        if (!rv)
            return eb_error_set(err, EPROTO, "%s watch: bookmark without a resourceVersion", inf->res);
        set_rv(inf, rv);
        return 0;
    }
    if (strcmp(type, "ADDED") == 0)
        kind = EB_INF_ADDED;
    else if (strcmp(type, "MODIFIED") == 0)
        kind = EB_INF_MODIFIED;
    else if (strcmp(type, "DELETED") == 0)
        kind = EB_INF_DELETED;
    else
        return eb_error_set(err, EPROTO, "%s watch: unknown event type `%.32s`", inf->res, type);
    key = eb_object_key(obj);
    if (!key || !rv || strlen(rv) >= sizeof(inf->rv))
        return eb_error_set(err, EPROTO, "%s watch: %s event without name or resourceVersion", inf->res, type);

    pthread_mutex_lock(&inf->lock);
    if (kind == EB_INF_DELETED) {
        json_object_object_del(inf->items, key);
    } else {
        /* an ADDED for an object we hold is a change; a MODIFIED for one we
         * don't (missed by a selector transition) is an addition */
        kind = json_object_object_get_ex(inf->items, key, &old) ? EB_INF_MODIFIED : EB_INF_ADDED;
        json_object_object_add(inf->items, key, json_object_get(obj));
    }
    strcpy(inf->rv, rv);
    pthread_mutex_unlock(&inf->lock);
    atomic_fetch_add(&inf->events, 1);
    if (inf->handler)
        inf->handler(inf->ud, kind, obj);
    return 0;
}

static void set_active(eb_informer_t *inf, int fd)
{
    pthread_mutex_lock(&inf->lock);
    inf->active_fd = fd;
    pthread_mutex_unlock(&inf->lock);
}

static void add_selectors(eb_informer_t *inf, eb_buf_t *t)
{
    if (inf->label_selector) {
        eb_buf_puts(t, "&labelSelector=");
        eb_kube_query_escape(t, inf->label_selector);
    }
    if (inf->field_selector) {
        eb_buf_puts(t, "&fieldSelector=");
        eb_kube_query_escape(t, inf->field_selector);
    }
}

/* The whole collection, page by page, then the copy replaced by it with
 * the differences passed to the handler: an object gone while we were not
 * watching is a DELETED, as client-go's Replace makes it. */
/* One page of the list: GET with the continue token CONT; *STATUS is the
 * HTTP status and, for a 200, *LIST the parsed answer (items an array,
 * a resourceVersion that fits). */
static int list_page(eb_informer_t *inf, eb_conn_t *c, const char *path, const char *cont, int *status,
                     json_object **list, eb_error_t *err)
{
    _cleanup_buf_ eb_buf_t t = { 0 };
    _cleanup_buf_ eb_buf_t body = { .limit = inf->max_list };
    eb_kube_call_t call = { .method = "GET" };
    json_object *items;
    const char *lrv;
    int rc;

    eb_buf_printf(&t, "%s?limit=%d", path, inf->page_size);
    if (cont) {
        eb_buf_puts(&t, "&continue=");
        eb_kube_query_escape(&t, cont);
    }
    add_selectors(inf, &t);
    call.target = t.p;
    c->timeout_ms = 60000;
    if (c->fd < 0 && eb_kube_dial(inf->kc, c, 10000, err) < 0)
        return -1;
    set_active(inf, c->fd);
    rc = eb_kube_do(inf->kc, c, inf->user_agent, &call, status, &body, NULL, err);
    set_active(inf, -1);
    if (rc < 0)
        return -1;
    if (*status == 410 && cont)
        return 0;
    if (*status != 200)
        return eb_error_set(err, EIO, "list %s: HTTP %d", t.p, *status);
    *list = parse_bounded(body.p ? body.p : "", body.len);
    items = eb_json_at(*list, "items", NULL);
    lrv = eb_json_str_at(*list, "metadata", "resourceVersion", NULL);
    if (!*list || !lrv || strlen(lrv) >= sizeof(inf->rv) || (items && !json_object_is_type(items, json_type_array))) {
        json_object_put(*list), *list = NULL;
        return eb_error_set(err, EPROTO, "list %s: malformed answer", t.p);
    }
    return 0;
}

/* Replace the cache with FRESH at version RV, then tell the handler what
 * changed: added, modified (another resourceVersion), deleted. */
static void swap_in(eb_informer_t *inf, json_object *fresh, const char *rv)
{
    json_object *gone;

    pthread_mutex_lock(&inf->lock);
    gone = inf->items;
    inf->items = json_object_get(fresh);
    strcpy(inf->rv, rv);
    pthread_mutex_unlock(&inf->lock);
    json_object_object_foreach(fresh, key, obj) {
        json_object *was = NULL;
        if (!json_object_object_get_ex(gone, key, &was)) {
            if (inf->handler)
                inf->handler(inf->ud, EB_INF_ADDED, obj);
            continue;
        }
        if (inf->handler && strcmp(rv_of(was), rv_of(obj)) != 0)
            inf->handler(inf->ud, EB_INF_MODIFIED, obj);
        json_object_object_del(gone, key);
    }
    json_object_object_foreach(gone, gkey, gobj) {
        (void) gkey;
        if (inf->handler)
            inf->handler(inf->ud, EB_INF_DELETED, gobj);
    }
    json_object_put(gone);
}

/* The whole list, page by page, then swapped in. */
static int list_all(eb_informer_t *inf, eb_conn_t *c, eb_error_t *err)
{
    _cleanup_free_ char *path = eb_kube_resource_path(inf->res, NULL, NULL);
    _cleanup_json_ json_object *fresh = json_object_new_object();
    _cleanup_free_ char *cont = NULL;
    char rv[sizeof(inf->rv)] = "";
    bool restarted = false;

    if (!path)
        return eb_error_set(err, EINVAL, "resource `%s` is not GROUP/VERSION/RESOURCE", inf->res);
    atomic_fetch_add(&inf->lists, 1);
    for (;;) {
        _cleanup_json_ json_object *list = NULL;
        json_object *items;
        const char *next;
        int status = 0;

        if (list_page(inf, c, path, cont, &status, &list, err) < 0)
            return -1;
        if (status == 410) {
            if (restarted)
                return eb_error_set(err, EIO, "list %s: HTTP 410 twice", path);
            /* the continue token expired mid-list: start over, once */
            eb_info("informer %s: the list's continue token expired after %zu objects, listing again from the start",
                    inf->res, (size_t) json_object_object_length(fresh));
            free(cont), cont = NULL;
            json_object_put(fresh);
            fresh = json_object_new_object();
            restarted = true;
            continue;
        }
        strcpy(rv, eb_json_str_at(list, "metadata", "resourceVersion", NULL));
        items = eb_json_at(list, "items", NULL);
        for (size_t i = 0; items && i < json_object_array_length(items); i++) {
            json_object *it = json_object_array_get_idx(items, i);
            _cleanup_free_ char *key = eb_object_key(it);
            if (key)
                json_object_object_add(fresh, key, json_object_get(it));
        }
        next = eb_json_str_at(list, "metadata", "continue", NULL);
        free(cont);
        cont = next && next[0] ? eb_xstrdup(next) : NULL;
        if (!cont)
            break;
    }
    swap_in(inf, fresh, rv);
    return 0;
}

enum watch_end { WATCH_ENDED, WATCH_BROKEN, WATCH_EXPIRED };

/* One watch from the current version until the server ends it (resume),
 * the connection breaks (resume after a pause), or the version is gone. */
static enum watch_end watch_once(eb_informer_t *inf, eb_conn_t *c, int *events, eb_error_t *err)
{
    _cleanup_free_ char *path = eb_kube_resource_path(inf->res, NULL, NULL);
    eb_buf_t t = { 0 }, pending = { .limit = inf->max_event };
    eb_kube_call_t call = { .method = "GET" };
    enum watch_end end = WATCH_BROKEN;
    char rv[sizeof(inf->rv)], chunk[16384];
    eb_http_head_t h;
    eb_body_t b;

    pthread_mutex_lock(&inf->lock);
    strcpy(rv, inf->rv);
    pthread_mutex_unlock(&inf->lock);
    eb_buf_printf(&t, "%s?watch=true&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=", path,
                  inf->watch_timeout_s);
    eb_kube_query_escape(&t, rv);
    add_selectors(inf, &t);
    call.target = t.p;
    atomic_fetch_add(&inf->watches, 1);
    c->timeout_ms = 10000;
    if (c->fd < 0 && eb_kube_dial(inf->kc, c, 10000, err) < 0)
        goto out;
    set_active(inf, c->fd);
    if (eb_kube_open(inf->kc, c, inf->user_agent, &call, &h, &b, err) < 0)
        goto out;
    if (h.status == 410) {
        end = WATCH_EXPIRED;
        eb_http_head_free(&h);
        set_active(inf, -1);
        eb_conn_close(c);
        goto out;
    }
    if (h.status != 200) {
        eb_error_set(err, EIO, "watch %s: HTTP %d", inf->res, h.status);
        eb_http_head_free(&h);
        set_active(inf, -1);
        eb_conn_close(c);
        goto out;
    }
    eb_http_head_free(&h);
    set_active(inf, c->fd);     /* a redial in eb_kube_open may have changed it */
    /* the server ends the watch after timeoutSeconds and sends bookmarks
     * meanwhile: silence well past that is a dead link */
    c->timeout_ms = (inf->watch_timeout_s + 30) * 1000;
    for (;;) {
        ssize_t r = eb_body_read(c, &b, chunk, sizeof(chunk));
        char *nl;

        if (r == 0) {
            end = WATCH_ENDED;
            break;
        }
        if (r < 0) {
            if (!atomic_load(&inf->stopping))
                eb_error_set(err, errno, "watch %s: read", inf->res);
            break;
        }
        if (eb_buf_add(&pending, chunk, (size_t) r) < 0) {
            eb_error_set(err, EMSGSIZE, "watch %s: event larger than %zu bytes", inf->res, inf->max_event);
            break;
        }
        while (pending.len && (nl = memchr(pending.p, '\n', pending.len))) {
            size_t n = (size_t) (nl - pending.p) + 1;
            int rc = n > 1 ? eb_informer_apply_line(inf, pending.p, n, err) : 0;

            eb_buf_consume(&pending, n);
            if (rc < 0)
                goto broken;
            if (rc == 1) {
                end = WATCH_EXPIRED;
                goto broken;
            }
            (*events)++;
        }
    }
    if (end == WATCH_ENDED && pending.len) {
        eb_error_set(err, EPROTO, "watch %s: stream ended inside an event", inf->res);
        end = WATCH_BROKEN;
    }
broken:
    set_active(inf, -1);
    if (end != WATCH_ENDED)
        eb_conn_close(c);
out:
    eb_buf_free(&pending);
    eb_buf_free(&t);
    return end;
}

static void pause_ms(eb_informer_t *inf, int ms)
{
    while (ms > 0 && !atomic_load(&inf->stopping)) {
        struct timespec ts = { 0, 100 * 1000000L };
        nanosleep(&ts, NULL);
        ms -= 100;
    }
}

static void *informer_thread(void *arg)
{
    eb_informer_t *inf = arg;
    eb_conn_t c;
    int backoff = 500, failures = 0, need_list = 1;

    eb_conn_init(&c, -1);
    while (!atomic_load(&inf->stopping)) {
        eb_error_t err = { 0 };
        int events = 0;

        if (need_list) {
            if (list_all(inf, &c, &err) < 0) {
                atomic_fetch_add(&inf->errors, 1);
                eb_conn_close(&c);
                if (!atomic_load(&inf->stopping))
                    eb_warn("informer %s: %s (retrying in %d ms)", inf->res, err.msg, backoff);
                pause_ms(inf, backoff);
                backoff = backoff < 16000 ? backoff * 2 : 30000;
                continue;
            }
            need_list = 0;
            failures = 0;
            backoff = 500;
            if (!atomic_exchange(&inf->synced, 1))
                eb_info("informer %s: synced, %zu objects at resourceVersion %s", inf->res,
                        eb_informer_count(inf), inf->rv);
        }
        switch (watch_once(inf, &c, &events, &err)) {
        case WATCH_ENDED:
            failures = 0;
            break;
        case WATCH_EXPIRED:
            atomic_fetch_add(&inf->expired, 1);
            eb_info("informer %s: resourceVersion %s expired, listing again", inf->res, inf->rv);
            need_list = 1;
            break;
        case WATCH_BROKEN:
            if (atomic_load(&inf->stopping))
                break;
            atomic_fetch_add(&inf->errors, 1);
            failures = events ? 1 : failures + 1;
            eb_warn("informer %s: %s (resuming from %s in %d ms)", inf->res, err.msg[0] ? err.msg : "watch broke",
                    inf->rv, backoff);
            pause_ms(inf, backoff);
            backoff = events ? 500 : (backoff < 16000 ? backoff * 2 : 30000);
            /* a watch that keeps failing before any event may be refused
             * for a reason a fresh list clears (a version from before an
             * apiserver restart) */
            if (failures >= MAX_WATCH_FAILURES)
                need_list = 1;
            break;
        }
    }
    eb_conn_close(&c);
    atomic_store(&inf->running, 0);
    return NULL;
}

int eb_informer_start(eb_informer_t *inf, eb_error_t *err)
{
    int rc;

    eb_informer_init(inf);
    atomic_store(&inf->running, 1);
    if ((rc = pthread_create(&inf->thread, NULL, informer_thread, inf)) != 0) {
        atomic_store(&inf->running, 0);
        eb_informer_free(inf);
        return eb_error_set(err, rc, "start the %s informer", inf->res);
    }
    return 0;
}

void eb_informer_stop(eb_informer_t *inf)
{
    atomic_store(&inf->stopping, 1);
    pthread_mutex_lock(&inf->lock);
    if (inf->active_fd >= 0)
        shutdown(inf->active_fd, SHUT_RDWR);
    pthread_mutex_unlock(&inf->lock);
    pthread_join(inf->thread, NULL);
    eb_informer_free(inf);
}
