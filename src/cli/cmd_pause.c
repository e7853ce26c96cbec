/* cmd_pause.c - `edgebox pause` and `edgebox resume` (the cgroup freezer). */
#include "cli/cli.h"
#include "class/class.h"
#include "core/container.h"
#include "common/util.h"

#include <errno.h>

static int pause_resume(eb_global_t *g, int argc, char **argv, bool pause, eb_error_t *err)
{
    const eb_opt_t opts[] = { { NULL, 0, 0, NULL } };
    int pos;
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args(pause ? "pause" : "resume", argc - pos, 1, 1, "<container-id>", err) < 0)
        return -1;
    return eb_class_of_container(g->root, argv[pos])->pause(g->root, argv[pos], pause, err);
}

int eb_cmd_pause(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    return pause_resume(g, argc, argv, true, err);
}

int eb_cmd_resume(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    return pause_resume(g, argc, argv, false, err);
}
