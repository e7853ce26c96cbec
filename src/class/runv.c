/* runv.c - the runv class: each pod in a microVM (src/runv).
 *
 * The verbs are src/runv's; what is here turns the guest's answers into
 * the interface's types: its process list, its measurements (validated:
 * the guest is not trusted) and an event stream made by polling them,
 * since no host cgroup sees an OOM inside the guest. */
#include "class/class_internal.h"
#include "runv/runv.h"
#include "runv/pool.h"
#include "common/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int runv_ps(const char *root, const char *id, eb_procs_t *out, eb_error_t *err)
{
    json_object *procs = NULL;
    size_t i, n;

    memset(out, 0, sizeof(*out));
    if (eb_runv_ps(root, id, &procs, err) < 0)
        return -1;
    n = json_object_array_length(procs);
    out->v = eb_xcalloc(n ? n : 1, sizeof(*out->v));
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(procs, i), *p = NULL, *cmd = NULL;
        json_object_object_get_ex(e, "pid", &p);
        json_object_object_get_ex(e, "cmd", &cmd);
        out->v[out->n].pid = json_object_get_int(p);
        out->v[out->n++].cmd = eb_xstrdup(cmd ? json_object_get_string(cmd) : "");
    }
    json_object_put(procs);
    return 0;
}


static int runv_stats(const char *root, const char *id, eb_stats_t *st, eb_error_t *err)
{
    json_object *data = NULL;
    uint64_t ooms = 0;
    int rc;

    if (eb_runv_status(root, id, NULL) == EB_STATUS_STOPPED)
        return eb_error_set(err, ESRCH, "container `%s` is not running", id);
    if (eb_runv_stats(root, id, &data, &ooms, err) < 0)
        return -1;
    rc = eb_stats_from_json(data, st, err);
    json_object_put(data);
    if (rc < 0)
        return eb_error_wrap(err, "container `%s`: from the guest", id);
    st->memory.oom_kill = ooms;
    return 0;
}

/* The guest's count: its cgroup of the container lives until delete. */
static int runv_oom_kills(const char *root, const char *id, uint64_t *n, eb_error_t *err)
{
    json_object *data = NULL;
    int rc = eb_runv_stats(root, id, &data, n, err);

    json_object_put(data);
    return rc;
}

/* One sample a second from the guest; an OOM kill is a rise of the guest
 * cgroup's oom_kill counter; stats go out every interval. */
static int runv_events(const char *root, const char *id, int ms, eb_event_fn fn, void *ctx, eb_error_t *err)
{
    eb_stats_t *st = eb_xcalloc(1, sizeof(*st));
    uint64_t ooms = UINT64_MAX;
    int waited = ms, ret = -1;

    if (eb_runv_status(root, id, NULL) == EB_STATUS_STOPPED) {
        free(st);
        return eb_error_set(err, EINVAL, "container `%s` is not running", id);
    }
    for (;;) {
        memset(st, 0, sizeof(*st));
        if (runv_stats(root, id, st, err) == 0) {
            if (ooms != UINT64_MAX && st->memory.oom_kill > ooms && fn(ctx, "oom", NULL, err) < 0)
                break;
            ooms = st->memory.oom_kill;
            if (waited >= ms) {
                if (fn(ctx, "stats", st, err) < 0)
                    break;
                waited = 0;
            }
        } else {
            /* A stream ends with the container, not with one slow answer
             * from a guest under memory pressure. */
            if (eb_runv_status(root, id, NULL) == EB_STATUS_STOPPED) {
                ret = 0;
                break;
            }
            eb_error_clear(err);
        }
        usleep(1000 * 1000);
        waited += 1000;
        if (eb_runv_status(root, id, NULL) == EB_STATUS_STOPPED) {
            ret = 0;
            break;
        }
    }
    free(st);
    return ret;
}

static json_object *runv_pool(const char *root, const char *verb, eb_error_t *err)
{
    int ret = 0;

    if (strcmp(verb, "fill") == 0)
        ret = eb_pool_fill(root, err);
    else if (strcmp(verb, "drain") == 0)
        ret = eb_pool_drain(root, err);
    else if (strcmp(verb, "serve") == 0)
        ret = eb_pool_serve(root, err);
    else if (strcmp(verb, "status") != 0)
        ret = eb_error_set(err, EINVAL, "unknown pool command `%s` (fill, serve, drain, status)", verb);
    return ret < 0 ? NULL : eb_pool_status(root, err);
}

const eb_class_t eb_class_runv = {
    .name = "runv",
    .description = "microVM sandbox",
    .create = eb_runv_create,
    .start = eb_runv_start,
    .state = eb_runv_state,
    .kill = eb_runv_kill,
    .delete = eb_runv_delete,
    .exec = eb_runv_exec,
    .create_attached = eb_runv_create_attached,
    .exec_attached = eb_runv_exec_attached,
    .ps = runv_ps,
    .pause = eb_runv_pause,
    .update = eb_runv_update,
    .stats = runv_stats,
    .oom_kills = runv_oom_kills,
    .events = runv_events,
    .check = eb_class_runv_check,
    .pool = runv_pool,
};
