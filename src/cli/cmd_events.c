/* cmd_events.c - `edgebox events`: runc's stats/oom event stream, with the
 * network interfaces of the container's namespace filled in; the class
 * measures (runc: the host cgroup; runv: the guest, through the agent). */
#include "cli/cli.h"
#include "class/class.h"
#include "core/stats.h"
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

/* One line of runc's event stream. */
static int print_event(void *ctx, const char *type, const eb_stats_t *st, eb_error_t *err)
{
    const char *id = ctx;
    char *data = st ? eb_stats_to_json(st) : NULL;
    (void) err;

    if (data)
        printf("{\"type\":\"%s\",\"id\":\"%s\",\"data\":%s}\n", type, id, data);
    else
        printf("{\"type\":\"%s\",\"id\":\"%s\"}\n", type, id);
    fflush(stdout);
    free(data);
    return 0;
}

int eb_cmd_events(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    bool stats = false;
    const char *interval = "5s";
    const eb_opt_t opts[] = {
        { "stats", 0, OPT_FLAG, &stats }, { "interval", 0, OPT_STRING, &interval }, { NULL, 0, 0, NULL },
    };
    const eb_class_t *class;
    eb_stats_t *st;
    int pos, ms, ret;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("events", argc - pos, 1, 1, "[--stats] [--interval D] <container-id>", err) < 0)
        return -1;
    if (parse_interval(interval, &ms) < 0)
        return eb_error_set(err, EINVAL, "--interval: invalid duration `%s`", interval);
    class = eb_class_of_container(g->root, argv[pos]);
    if (!stats)
        return class->events(g->root, argv[pos], ms, print_event, argv[pos], err);
    /* eb_stats_t is large (per-cpu and memory.stat tables). */
    st = eb_xcalloc(1, sizeof(*st));
    ret = class->stats(g->root, argv[pos], st, err);
    if (ret == 0)
        print_event(argv[pos], "stats", st, err);
    free(st);
    return ret;
}
