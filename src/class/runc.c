/* runc.c - the runc class: the container core (src/core) on the host.
 *
 * Most ops are the core's own verbs; what is here is what the core keeps
 * as parts: the live view of a container (state, ps, stats) and the
 * event stream, which waits on the cgroup's OOM notification. */
#include "class/class.h"
#include "core/cgroup.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int runc_create(const eb_create_opts_t *o, const char *log_path, pid_t *pid, int *master, eb_error_t *err)
{
    (void) log_path; /* the core logs where eb_log_init put the log */
    return eb_container_create(o, pid, master, err);
}

static int runc_state(const char *root, const char *id, eb_state_t **st, eb_status_t *status, eb_error_t *err)
{
    eb_container_t *c;

    if (eb_container_load(root, id, 0, &c, err) < 0)
        return -1;
    *st = c->state;
    *status = c->status;
    c->state = NULL;
    eb_container_free(c);
    return 0;
}

static int runc_update(const char *root, const char *id, const char *res_json, eb_error_t *err)
{
    eb_container_t *c = NULL;
    eb_resources_t res;
    int ret = -1;

    if (eb_container_load(root, id, EB_LOAD_SPEC, &c, err) < 0)
        return -1;
    if (c->spec == NULL)
        eb_error_set(err, ENOENT, "container `%s` has no saved config", id);
    else if (eb_spec_parse_resources(c->spec, res_json, strlen(res_json), &res, err) == 0)
        ret = eb_container_update(root, id, &res, res_json, err);
    eb_container_free(c);
    return ret;
}

/* The container, with a cgroup to read: ESRCH when it is not running. */
static int load_running(const char *root, const char *id, eb_container_t **c, eb_error_t *err)
{
    if (eb_container_load(root, id, 0, c, err) < 0)
        return -1;
    if ((*c)->status != EB_STATUS_STOPPED && (*c)->cgroup)
        return 0;
    eb_container_free(*c);
    *c = NULL;
    return eb_error_set(err, ESRCH, "container `%s` is not running", id);
}

static int runc_ps(const char *root, const char *id, eb_procs_t *out, eb_error_t *err)
{
    eb_container_t *c = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    int ret = -1;

    memset(out, 0, sizeof(*out));
    if (eb_container_load(root, id, 0, &c, err) < 0)
        return -1;
    if (c->cgroup == NULL)
        eb_error_set(err, ENOENT, "container `%s` has no cgroup", id);
    else if (eb_cgroup_pids(c->cgroup, &pids, &n, err) == 0) {
        out->v = eb_xcalloc(n ? n : 1, sizeof(*out->v));
        for (out->n = 0; out->n < n; out->n++)
            out->v[out->n].pid = pids[out->n];
        out->host_pids = true;
        ret = 0;
    }
    eb_container_free(c);
    return ret;
}

static int runc_stats(const char *root, const char *id, eb_stats_t *st, eb_error_t *err)
{
    eb_container_t *c = NULL;
    eb_error_t nerr = { 0 };
    int ret;

    if (load_running(root, id, &c, err) < 0)
        return -1;
    ret = eb_cgroup_stats(c->cgroup, st, err);
    /* A container without a network namespace of its own has no
     * interfaces to show: not an error. */
    if (ret == 0 && c->state->pid > 0)
        eb_stats_read_netdev(c->state->pid, st, &nerr);
    eb_container_free(c);
    return ret;
}

static int runc_oom_kills(const char *root, const char *id, uint64_t *n, eb_error_t *err)
{
    eb_container_t *c = NULL;

    if (eb_container_load(root, id, 0, &c, err) < 0)
        return -1;
    *n = c->cgroup ? eb_cgroup_oom_count(c->cgroup) : 0;
    eb_container_free(c);
    return 0;
}

/* Wait on the cgroup's OOM notification; stats when it times out. */
static int runc_events(const char *root, const char *id, int ms, eb_event_fn fn, void *ctx, eb_error_t *err)
{
    eb_container_t *c = NULL;
    _cleanup_close_ int ofd = -1;
    uint64_t ooms;
    int ret = -1;

    if (load_running(root, id, &c, err) < 0)
        return -1;
    if ((ofd = eb_cgroup_oom_watch(c->cgroup, err)) < 0)
        goto out;
    ooms = eb_cgroup_oom_count(c->cgroup);
    for (;;) {
        struct pollfd p = { ofd, POLLIN, 0 };
        eb_stats_t *st;
        int r = poll(&p, 1, ms), rc;

        if (r < 0 && errno != EINTR) {
            eb_error_set(err, errno, "poll");
            goto out;
        }
        if (r > 0) {
            char buf[4096];
            uint64_t now;
            if (read(ofd, buf, sizeof(buf)) < 0) { }
            now = eb_cgroup_oom_count(c->cgroup);
            /* v1's eventfd fires per OOM; v2's inotify on any change. */
            if ((eb_cgroup_version(c->cgroup) == 1 || now > ooms) && fn(ctx, "oom", NULL, err) < 0)
                goto out;
            ooms = now;
            continue;
        }
        if (eb_state_status(c->state) == EB_STATUS_STOPPED) {
            ret = 0;
            goto out;
        }
        /* eb_stats_t is large (per-cpu and memory.stat tables). */
        st = eb_xcalloc(1, sizeof(*st));
        rc = runc_stats(root, id, st, err);
        if (rc == 0)
            rc = fn(ctx, "stats", st, err);
        free(st);
        if (rc < 0)
            goto out;
    }
out:
    eb_container_free(c);
    return ret;
}

static int runc_check(const char *root, eb_check_fn line, void *ctx)
{
    int v = eb_cgroup_host_version(), bad = 0;
    bool userns = access("/proc/self/ns/user", F_OK) == 0;
    bool seccomp = access("/proc/sys/kernel/seccomp/actions_avail", F_OK) == 0;
    (void) root;

    line(ctx, true, true, "cgroups",
         v == 2 ? "v2 (unified)"
         : access("/sys/fs/cgroup/unified", F_OK) == 0 ? "v1 (hybrid: v2 holds only what v1 does not)" : "v1");
    line(ctx, userns, true, "user namespaces", NULL);
    line(ctx, seccomp, true, "seccomp filters", NULL);
    bad += !userns + !seccomp;
    return bad;
}

const eb_class_t eb_class_runc = {
    .name = "runc",
    .description = "namespace container",
    .host_view = true,
    .create = runc_create,
    .start = eb_container_start,
    .state = runc_state,
    .kill = eb_container_kill,
    .delete = eb_container_delete,
    .exec = eb_container_exec,
    .ps = runc_ps,
    .pause = eb_container_pause,
    .update = runc_update,
    .stats = runc_stats,
    .oom_kills = runc_oom_kills,
    .events = runc_events,
    .check = runc_check,
};
