/* cmd_events.c - `edgebox events`: runc's stats/oom event stream, with the
 * network interfaces of the container's namespace filled in. */
#include "cli/cli.h"
#include "runv/runv.h"
#include "core/container.h"
#include "core/stats.h"
#include "stats/sample.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Go-style durations: "5s", "500ms", "1m", "2" (seconds). */
static int parse_interval(const char *s, int *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v <= 0)
        return -1;
    if (*end == 0 || strcmp(end, "s") == 0) v *= 1000;
    else if (strcmp(end, "ms") == 0) { }
    else if (strcmp(end, "m") == 0) v *= 60000;
    else return -1;
    if (v < 1 || v > 86400000)
        return -1;
    *ms = (int) v;
    return 0;
}

static void print_stats(const char *id, const eb_sample_t *s)
{
    char *data = eb_stats_to_json(&s->st);

    printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", id, data);
    fflush(stdout);
    free(data);
}

/* One stats event, measured by the collector edgebox-stats uses too
 * (runc: the host cgroup and the container's network namespace; runv:
 * the guest, through the agent, validated). */
static int emit_stats(eb_global_t *g, const char *id, eb_error_t *err)
{
    eb_sample_t s;
    int rc = eb_sample_collect(g->root, id, &s, err);

    if (rc == 0)
        print_stats(id, &s);
    eb_sample_free(&s);
    return rc;
}

/* runv: one sample a second from the guest; an OOM kill is a rise of the
 * guest cgroup's oom_kill counter, stats go out every interval. */
static int runv_events(eb_global_t *g, const char *id, bool stats, int ms, eb_error_t *err)
{
    uint64_t ooms = UINT64_MAX;
    int waited = ms;

    if (stats)
        return emit_stats(g, id, err);
    for (;;) {
        eb_sample_t s;

        if (eb_sample_collect(g->root, id, &s, err) == 0) {
            if (ooms != UINT64_MAX && s.st.memory.oom_kill > ooms) {
                printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
                fflush(stdout);
            }
            ooms = s.st.memory.oom_kill;
            if (waited >= ms) {
                print_stats(id, &s);
                waited = 0;
            }
        } else {
            /* A stream ends with the container, not with one slow answer
             * from a guest under memory pressure. */
            if (eb_runv_status(g->root, id, NULL) == EB_STATUS_STOPPED)
                return 0;
            eb_error_clear(err);
        }
        eb_sample_free(&s);
        usleep(1000 * 1000);
        waited += 1000;
        if (eb_runv_status(g->root, id, NULL) == EB_STATUS_STOPPED)
            return 0;
    }
}

int eb_cmd_events(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    bool stats = false;
    const char *interval = "5s";
    const eb_opt_t opts[] = {
        { "stats", 0, OPT_FLAG, &stats }, { "interval", 0, OPT_STRING, &interval }, { NULL, 0, 0, NULL },
    };
    eb_container_t *c = NULL;
    int pos, ms, ret = -1, ofd;
    uint64_t ooms;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("events", argc - pos, 1, 1, "[--stats] [--interval D] <container-id>", err) < 0)
        return -1;
    if (parse_interval(interval, &ms) < 0)
        return eb_error_set(err, EINVAL, "--interval: invalid duration `%s`", interval);
    if (eb_class_is_runv(g->root, argv[pos])) {
        if (eb_runv_status(g->root, argv[pos], NULL) == EB_STATUS_STOPPED)
            return eb_error_set(err, EINVAL, "container `%s` is not running", argv[pos]);
        return runv_events(g, argv[pos], stats, ms, err);
    }
    if (eb_container_load(g->root, argv[pos], 0, &c, err) < 0)
        return -1;
    if (c->status == EB_STATUS_STOPPED || c->cgroup == NULL) {
        eb_error_set(err, EINVAL, "container `%s` is not running", argv[pos]);
        goto out;
    }
    if (stats) {
        ret = emit_stats(g, argv[pos], err);
        goto out;
    }
    ofd = eb_cgroup_oom_watch(c->cgroup, err);
    if (ofd < 0)
        goto out;
    ooms = eb_cgroup_oom_count(c->cgroup);
    for (;;) {
        struct pollfd p = { ofd, POLLIN, 0 };
        int r = poll(&p, 1, ms);
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
            if (eb_cgroup_version(c->cgroup) == 1 || now > ooms) {
                printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", c->state->id);
                fflush(stdout);
            }
            ooms = now;
            continue;
        }
        if (eb_state_status(c->state) == EB_STATUS_STOPPED) {
            ret = 0;
            goto out;
        }
        if (emit_stats(g, argv[pos], err) < 0)
            goto out;
    }
out:
    eb_container_free(c);
    return ret;
}
