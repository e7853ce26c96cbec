/* health.c - online/offline from periodic health checks of the apiserver
 * (never from one failed request), and the cache refresh after the link
 * comes back: every recorded list is read again (objects deleted meanwhile
 * drop out), every object fetched alone is read again (404 drops it). */
#include "hub/hub.h"
#include "kube/client.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* On a kept-alive connection: a TLS handshake per check costs the
 * apiserver (and a slow link two round trips) more than the check.  A
 * connection the apiserver closed meanwhile is dialled again at once
 * (eb_kube_do); a check that fails drops it, the next one dials. */
static int check_once(eb_hub_t *hub, eb_conn_t *up)
{
    eb_error_t err = { 0 };
    eb_buf_t body = { .limit = 4096 };
    int status = 0, ok;

    up->timeout_ms = hub->cfg.health_timeout_ms;
    ok = eb_hub_fetch(hub, up, "/readyz", "text/plain", &status, &body, NULL, &err) == 0 && status == 200;
    if (!ok) {
        eb_debug("hub: health: %s", err.msg[0] ? err.msg : "not ready");
        eb_conn_close(up);
    }
    eb_buf_free(&body);
    return ok;
}

static const char *accept_of(enum eb_fmt fmt)
{
    return fmt == EB_FMT_PB ? "application/vnd.kubernetes.protobuf" : "application/json";
}

static int refresh_one(eb_hub_t *hub, eb_conn_t *up, const char *comp, enum eb_fmt fmt, const char *target,
                       eb_error_t *err)
{
    eb_buf_t body = { .limit = (size_t) hub->cfg.max_body };
    _cleanup_free_ char *ctype = NULL;
    eb_kreq_t r;
    int status = 0, rc = -1;

    if (up->fd < 0 && eb_kube_dial(&hub->kc, up, hub->cfg.health_timeout_ms, err) < 0)
        return -1;
    up->timeout_ms = 60000;
    if (eb_kreq_parse("GET", target, &r, err) < 0)
        goto out;
    if (eb_hub_fetch(hub, up, target, accept_of(fmt), &status, &body, &ctype, err) < 0) {
        eb_conn_close(up);
        goto out;
    }
    if (status == 200 || (status == 404 && r.verb == EB_KV_GET)) {
        eb_capq_sync(hub);        /* older captures must not land on top of this */
        rc = eb_capture_body(hub, comp, &r, fmt, status, body.p, body.len, err);
    } else {
        rc = eb_error_set(err, EIO, "%s: HTTP %d", target, status);
    }
out:
    eb_kreq_free(&r);
    eb_buf_free(&body);
    return rc;
}

void eb_hub_refresh(eb_hub_t *hub)
{
    eb_list_rec_t *lists = NULL;
    eb_orphan_t *objs = NULL;
    size_t nl = 0, no = 0, i, ok = 0, failed = 0;
    eb_error_t err = { 0 };
    eb_conn_t up;

    eb_conn_init(&up, -1);
    if (eb_store_lists(hub->store, &lists, &nl, &err) < 0 || eb_store_orphans(hub->store, &objs, &no, &err) < 0) {
        eb_warn("hub: refresh: %s", err.msg);
        goto out;
    }
    for (i = 0; i < nl && atomic_load(&hub->online); i++) {
        _cleanup_free_ char *path = eb_kube_resource_path(lists[i].res, lists[i].q.ns, NULL);
        eb_buf_t t = { 0 };
        const char *sep = "?";

        if (!path)
            continue;
        eb_buf_puts(&t, path);
        if (lists[i].q.lsel[0]) {
            eb_buf_printf(&t, "%slabelSelector=", sep), sep = "&";
            eb_kube_query_escape(&t, lists[i].q.lsel);
        }
        if (lists[i].q.fsel[0]) {
            eb_buf_printf(&t, "%sfieldSelector=", sep);
            eb_kube_query_escape(&t, lists[i].q.fsel);
        }
        eb_error_clear(&err);
        if (refresh_one(hub, &up, lists[i].comp, lists[i].fmt, t.p, &err) < 0) {
            failed++;
            eb_warn("hub: refresh of %s for %s: %s", t.p, lists[i].comp, err.msg);
        } else {
            ok++;
        }
        eb_buf_free(&t);
    }
    for (i = 0; i < no && atomic_load(&hub->online); i++) {
        _cleanup_free_ char *path = eb_kube_resource_path(objs[i].res, objs[i].ns, objs[i].name);
        if (!path)
            continue;
        eb_error_clear(&err);
        if (refresh_one(hub, &up, objs[i].comp, objs[i].fmt, path, &err) < 0) {
            failed++;
            eb_warn("hub: refresh of %s for %s: %s", path, objs[i].comp, err.msg);
        } else {
            ok++;
        }
    }
    atomic_fetch_add(&hub->refreshes, 1);
    eb_info("hub: cache refreshed after reconnecting: %zu reads, %zu failed", ok, failed);
out:
    eb_conn_close(&up);
    eb_list_recs_free(lists, nl);
    eb_orphans_free(objs, no);
    malloc_trim(0);
}

/* The first check decides alone: a node rebooted without its link must
 * not wait for a threshold of failures (each one a health timeout against
 * a black-holed link) before the cache answers; the threshold is there
 * against flapping, which a start can't have yet. */
static void decide_at_start(eb_hub_t *hub, int ok)
{
    pthread_mutex_lock(&hub->lock);
    atomic_store(&hub->online, ok);
    atomic_fetch_add(&hub->epoch, 1);
    atomic_store(&hub->deciding, 0);
    pthread_cond_broadcast(&hub->changed);
    pthread_mutex_unlock(&hub->lock);
    if (ok)
        eb_info("hub: apiserver %s online at start, forwarding", hub->kc.server);
    else
        eb_info("hub: apiserver %s not answering at start: serving from the cache", hub->kc.server);
}

/* The pause before the next check: the interval, but a short one while a
 * failure or a stalled request is unconfirmed, so that a black-holed link
 * is decided in about threshold x timeout, not threshold x interval. */
static int next_check_ms(eb_hub_t *hub, int bad)
{
    int online = atomic_load(&hub->online);

    if (online && (bad || atomic_load(&hub->suspect)))
        return hub->cfg.health_interval_ms < 200 ? hub->cfg.health_interval_ms : 200;
    return hub->cfg.health_interval_ms;
}

void *eb_hub_health_thread(void *arg)
{
    eb_hub_t *hub = arg;
    int good = 0, bad = 0;
    eb_conn_t up;

    eb_conn_init(&up, -1);
    while (!atomic_load(&hub->stopping)) {
        struct timespec ts;
        int ok = check_once(hub, &up);

        atomic_fetch_add(ok ? &hub->health_ok : &hub->health_fail, 1);
        if (ok)
            good++, bad = 0, atomic_store(&hub->suspect, 0);
        else
            bad++, good = 0;
        if (atomic_load(&hub->deciding)) {
            decide_at_start(hub, ok);
        } else if (!atomic_load(&hub->online) && good >= hub->cfg.healthy_threshold) {
            eb_hub_set_online(hub, 1);
            eb_hub_refresh(hub);
        } else if (atomic_load(&hub->online) && bad >= hub->cfg.unhealthy_threshold) {
            eb_hub_set_online(hub, 0);
            atomic_store(&hub->suspect, 0);
        }
        ts = eb_deadline_in(CLOCK_REALTIME, (uint64_t) next_check_ms(hub, bad));
        pthread_mutex_lock(&hub->lock);
        /* woken early by a stalled request (eb_hub_suspect) or the stop */
        if (!atomic_load(&hub->stopping))
            pthread_cond_timedwait(&hub->changed, &hub->lock, &ts);
        pthread_mutex_unlock(&hub->lock);
    }
    eb_conn_close(&up);
    return NULL;
}
