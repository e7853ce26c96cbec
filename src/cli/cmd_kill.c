/* cmd_kill.c - `edgebox kill [--all] ID [SIGNAL]`. */
#include "cli/cli.h"
#include "class/class.h"
#include "core/container.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>

int eb_cmd_kill(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    bool all = false;
    const eb_opt_t opts[] = { { "all", 'a', OPT_FLAG, &all }, { NULL, 0, 0, NULL } };
    int pos, sig = SIGTERM;
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("kill", argc - pos, 1, 2, "[--all] <container-id> [signal]", err) < 0)
        return -1;
    if (argc - pos == 2 && (sig = eb_signal_parse(argv[pos + 1])) < 0)
        return eb_error_set(err, EINVAL, "invalid signal `%s`", argv[pos + 1]);
    return eb_class_of_container(g->root, argv[pos])->kill(g->root, argv[pos], sig, all, err);
}
