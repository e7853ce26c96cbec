/* cmd_start.c - `edgebox start`: release a created container. */
#include "cli/cli.h"
#include "class/class.h"
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
    return eb_class_of_container(g->root, argv[pos])->start(g->root, argv[pos], err);
}
