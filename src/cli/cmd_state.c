/* cmd_state.c - `edgebox state ID`: the OCI state JSON. */
#include "cli/cli.h"
#include "class/class.h"
#include "core/container.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int eb_cmd_state(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const eb_opt_t opts[] = { { NULL, 0, 0, NULL } };
    eb_state_t *st;
    eb_status_t status;
    char *json;
    int pos;
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("state", argc - pos, 1, 1, "<container-id>", err) < 0)
        return -1;
    if (eb_class_of_container(g->root, argv[pos])->state(g->root, argv[pos], &st, &status, err) < 0)
        return -1;
    json = eb_state_to_json(st, status, true);
    printf("%s\n", json);
    free(json);
    eb_state_free(st);
    return 0;
}
