/* cmd_create.c - `edgebox create`. */
#include "cli/cli.h"

int eb_cmd_create(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    eb_create_flags_t f = { 0 };
    eb_opt_t opts[EB_CREATE_FLAGS + 1] = { { 0 } };
    eb_create_opts_t o;
    const eb_class_t *class;
    int pos;

    eb_cli_create_flags(opts, &f);
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("create", argc - pos, 1, 1, "[options] <container-id>", err) < 0
        || eb_cli_create_opts(g, &f, argv[pos], &o, &class, err) < 0)
        return -1;
    return class->create(&o, g->log, NULL, NULL, err);
}
