/* cmd_delete.c - `edgebox delete [--force] ID`. */
#include "cli/cli.h"
#include "class/class.h"
#include "core/container.h"
#include "common/util.h"

#include <errno.h>

int eb_cmd_delete(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    bool force = false;
    const eb_opt_t opts[] = { { "force", 'f', OPT_FLAG, &force }, { NULL, 0, 0, NULL } };
    int pos;
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("delete", argc - pos, 1, 1, "[--force] <container-id>", err) < 0)
        return -1;
    return eb_class_of_container(g->root, argv[pos])->delete(g->root, argv[pos], force, err);
}
