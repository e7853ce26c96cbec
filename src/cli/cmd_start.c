/* cmd_start.c - `edgebox start`: release a created container. */
#include "cli/cli.h"
#include "runv/runv.h"
#include "core/container.h"
#include "common/util.h"

#include <errno.h>

int eb_cmd_start(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const eb_opt_t opts[] = { { NULL, 0, 0, NULL } };
    int pos;
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("start", argc - pos, 1, 1, "<container-id>", err) < 0)
        return -1;
    if (eb_class_is_runv(g->root, argv[pos]))
        return eb_runv_start(g->root, argv[pos], err);
    return eb_container_start(g->root, argv[pos], err);
}
