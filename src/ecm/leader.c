/* leader.c - leader election through a coordination.k8s.io/v1 Lease, with
 * client-go's rules so edgebox-ecm can share a lease protocol that
 * operators know: a holder keeps the lease by renewing it every retry
 * period; a candidate takes it only when the holder is empty or the
 * record has not changed for leaseDurationSeconds *as measured by the
 * candidate's own clock since it last saw it change* (so clock skew
 * between replicas doesn't matter); every write carries the
 * resourceVersion it read, so two candidates can't both win.  A leader
 * that cannot renew within the renew deadline stops acting before its
 * lease can expire for the others. */
#include "ecm/ecm.h"
#include "kube/client.h"
#include "kube/object.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "eb_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define USER_AGENT "edgebox-ecm/" EB_VERSION " leader-election"

typedef struct lease_state {
    eb_conn_t c;
    char *observed;               /* the spec as last read, to see it change */
    uint64_t observed_ms;         /* when it last changed, monotonic */
} lease_state_t;

/* metav1.MicroTime: RFC 3339 with microseconds, UTC. */
static void micro_time(char *buf, size_t len)
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (long) tv.tv_usec);
}

static int call(eb_ecm_t *ecm, lease_state_t *ls, const char *method, const char *target, json_object *body,
                int *status, json_object **out, eb_error_t *err)
{
    eb_kube_call_t kc = { .method = method, .target = target };
    eb_buf_t b = { .limit = 1 << 20 };
    int rc;

    if (body) {
        kc.body = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
        kc.len = strlen(kc.body);
    }
    ls->c.timeout_ms = ecm->cfg.renew_deadline_s * 1000 / 2;
    rc = eb_kube_do(&ecm->kc, &ls->c, USER_AGENT, &kc, status, &b, NULL, err);
    if (rc == 0 && out) {
        *out = json_tokener_parse(eb_buf_str(&b));      /* b.limit bounds it */
        if (*status == 200 || *status == 201) {
            if (!*out || !json_object_is_type(*out, json_type_object)) {
                json_object_put(*out);
                *out = NULL;
                rc = eb_error_set(err, EPROTO, "%s %s: malformed Lease", method, target);
            }
        }
    }
    eb_buf_free(&b);
    return rc;
}

static json_object *new_spec(const char *holder, int duration, const char *acquire, int64_t transitions)
{
    json_object *spec = json_object_new_object();
    char now[64];

    micro_time(now, sizeof(now));
    json_object_object_add(spec, "holderIdentity", json_object_new_string(holder));
    json_object_object_add(spec, "leaseDurationSeconds", json_object_new_int(duration));
    json_object_object_add(spec, "acquireTime", json_object_new_string(acquire ? acquire : now));
    json_object_object_add(spec, "renewTime", json_object_new_string(now));
    json_object_object_add(spec, "leaseTransitions", json_object_new_int64(transitions));
    return spec;
}

static void observe(lease_state_t *ls, json_object *spec)
{
    const char *s = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN);

    if (!ls->observed || strcmp(ls->observed, s) != 0) {
        free(ls->observed);
        ls->observed = eb_xstrdup(s);
        ls->observed_ms = eb_now_ms();
    }
}

/* 1 when we hold the lease after this round, 0 when another does, -1 on
 * an error (we don't know). */
static int try_acquire_or_renew(eb_ecm_t *ecm, lease_state_t *ls, eb_error_t *err)
{
    _cleanup_free_ char *coll = eb_kube_resource_path("coordination.k8s.io/v1/leases", ecm->cfg.lease_namespace,
                                                      NULL);
    _cleanup_free_ char *path = eb_kube_resource_path("coordination.k8s.io/v1/leases", ecm->cfg.lease_namespace,
                                                      ecm->cfg.lease_name);
    json_object *lease = NULL, *spec, *md, *dur;
    const char *holder;
    int status = 0, duration, mine, rc;

    if (call(ecm, ls, "GET", path, NULL, &status, &lease, err) < 0)
        return -1;
    if (status == 404) {
        json_object *obj = json_object_new_object(), *meta = json_object_new_object();
        json_object_put(lease);
        json_object_object_add(obj, "apiVersion", json_object_new_string("coordination.k8s.io/v1"));
        json_object_object_add(obj, "kind", json_object_new_string("Lease"));
        json_object_object_add(meta, "name", json_object_new_string(ecm->cfg.lease_name));
        json_object_object_add(meta, "namespace", json_object_new_string(ecm->cfg.lease_namespace));
        json_object_object_add(obj, "metadata", meta);
        spec = new_spec(ecm->cfg.identity, ecm->cfg.lease_duration_s, NULL, 0);
        json_object_object_add(obj, "spec", spec);
        lease = NULL;
        rc = call(ecm, ls, "POST", coll, obj, &status, &lease, err);
        if (rc == 0 && status == 201)
            observe(ls, spec);
        json_object_put(obj);
        json_object_put(lease);
        if (rc < 0)
            return -1;
        if (status == 409)
            return 0;             /* another candidate created it first */
        return status == 201 ? 1 : eb_error_set(err, EIO, "create Lease %s/%s: HTTP %d", ecm->cfg.lease_namespace,
                                                ecm->cfg.lease_name, status);
    }
    if (status != 200) {
        json_object_put(lease);
        return eb_error_set(err, EIO, "get Lease %s/%s: HTTP %d", ecm->cfg.lease_namespace, ecm->cfg.lease_name,
                            status);
    }
    spec = eb_json_at(lease, "spec", NULL);
    md = eb_json_at(lease, "metadata", NULL);
    if (!md || (spec && !json_object_is_type(spec, json_type_object))) {
        json_object_put(lease);
        return eb_error_set(err, EPROTO, "Lease %s/%s: malformed", ecm->cfg.lease_namespace, ecm->cfg.lease_name);
    }
    if (!spec) {
        spec = json_object_new_object();
        json_object_object_add(lease, "spec", spec);
    }
    observe(ls, spec);
    holder = eb_json_str_at(spec, "holderIdentity", NULL);
    dur = eb_json_at(spec, "leaseDurationSeconds", NULL);
    duration = dur ? json_object_get_int(dur) : ecm->cfg.lease_duration_s;
    if (duration < 1)
        duration = 1;
    mine = holder && strcmp(holder, ecm->cfg.identity) == 0;
    if (holder && holder[0] && !mine && ls->observed_ms + (uint64_t) duration * 1000 > eb_now_ms()) {
        json_object_put(lease);
        return 0;
    }
    {
        json_object *tr = eb_json_at(spec, "leaseTransitions", NULL);
        int64_t transitions = tr ? json_object_get_int64(tr) : 0;
        const char *acq = eb_json_str_at(spec, "acquireTime", NULL);
        json_object *next = new_spec(ecm->cfg.identity, ecm->cfg.lease_duration_s, mine ? acq : NULL,
                                     mine ? transitions : transitions + 1);
        json_object *answer = NULL;

        json_object_object_add(lease, "spec", next);     /* lease keeps metadata.resourceVersion */
        rc = call(ecm, ls, "PUT", path, lease, &status, &answer, err);
        if (rc == 0 && status == 200)
            observe(ls, eb_json_at(answer, "spec", NULL) ? eb_json_at(answer, "spec", NULL) : next);
        json_object_put(answer);
        json_object_put(lease);
        if (rc < 0)
            return -1;
        if (status == 409)
            return 0;             /* someone wrote it after our read */
        return status == 200 ? 1 : eb_error_set(err, EIO, "update Lease %s/%s: HTTP %d", ecm->cfg.lease_namespace,
                                                ecm->cfg.lease_name, status);
    }
}

void *eb_ecm_lease_thread(void *arg)
{
    eb_ecm_t *ecm = arg;
    lease_state_t ls = { 0 };
    uint64_t last_renew = 0;
    int logged_holder = 0;

    eb_conn_init(&ls.c, -1);
    while (!atomic_load(&ecm->stopping)) {
        eb_error_t err = { 0 };
        int r = try_acquire_or_renew(ecm, &ls, &err);
        uint64_t now = eb_now_ms();

        if (r < 0) {
            atomic_fetch_add(&ecm->lease_errors, 1);
            eb_log_fields(EB_LOG_WARNING, "lease: cannot read or write", "lease", ecm->cfg.lease_name, "error", err.msg, NULL);
        }
        if (atomic_load(&ecm->leader)) {
            if (r == 1) {
                last_renew = now;
            } else if (r == 0 || now - last_renew > (uint64_t) ecm->cfg.renew_deadline_s * 1000) {
                /* taken over, or not renewed in time: stop before the others may start */
                atomic_store(&ecm->leader, 0);
                atomic_fetch_add(&ecm->leader_lost, 1);
                eb_log_fields(EB_LOG_WARNING, "lost leadership: stopped acting", "identity", ecm->cfg.identity, "lease",
                           ecm->cfg.lease_name, NULL);
            }
        } else if (r == 1) {
            last_renew = now;
            atomic_store(&ecm->leader, 1);
            atomic_fetch_add(&ecm->leader_gained, 1);
            logged_holder = 0;
            eb_log_fields(EB_LOG_INFO, "became leader: acting on pods", "identity", ecm->cfg.identity, "lease",
                       ecm->cfg.lease_name, NULL);
            eb_ecm_enqueue_all(ecm);
        } else if (r == 0 && !logged_holder) {
            logged_holder = 1;
            eb_log_fields(EB_LOG_INFO, "another replica leads: standing by", "identity", ecm->cfg.identity, "lease",
                       ecm->cfg.lease_name, NULL);
        }
        {
            int ms = ecm->cfg.retry_period_s * 1000;
            while (ms > 0 && !atomic_load(&ecm->stopping)) {
                struct timespec ts = { 0, 100 * 1000000L };
                nanosleep(&ts, NULL);
                ms -= 100;
            }
        }
    }
    eb_conn_close(&ls.c);
    free(ls.observed);
    atomic_store(&ecm->lease_running, 0);
    return NULL;
}

void eb_ecm_release(eb_ecm_t *ecm)
{
    _cleanup_free_ char *path = eb_kube_resource_path("coordination.k8s.io/v1/leases", ecm->cfg.lease_namespace,
                                                      ecm->cfg.lease_name);
    json_object *lease = NULL, *answer = NULL, *spec, *tr;
    lease_state_t ls = { 0 };
    eb_error_t err = { 0 };
    const char *holder;
    int status = 0;

    if (!atomic_exchange(&ecm->leader, 0))
        return;
    eb_conn_init(&ls.c, -1);
    if (call(ecm, &ls, "GET", path, NULL, &status, &lease, &err) < 0 || status != 200)
        goto out;
    spec = eb_json_at(lease, "spec", NULL);
    holder = eb_json_str_at(spec, "holderIdentity", NULL);
    if (!holder || strcmp(holder, ecm->cfg.identity) != 0)
        goto out;
    tr = eb_json_at(spec, "leaseTransitions", NULL);
    /* as client-go's ReleaseOnCancel: no holder, a one-second lease */
    json_object_object_add(lease, "spec", new_spec("", 1, NULL, tr ? json_object_get_int64(tr) : 0));
    if (call(ecm, &ls, "PUT", path, lease, &status, &answer, &err) == 0 && status == 200)
        eb_log_fields(EB_LOG_INFO, "released the lease", "identity", ecm->cfg.identity, "lease", ecm->cfg.lease_name, NULL);
out:
    if (err.msg[0])
        eb_log_fields(EB_LOG_WARNING, "lease: release failed", "error", err.msg, NULL);
    json_object_put(lease);
    json_object_put(answer);
    eb_conn_close(&ls.c);
    free(ls.observed);
}
