/* cmd_create.c - `edgebox create`. */
#include "cli/cli.h"
#include "runv/runv.h"
#include "core/container.h"
#include "common/util.h"

#include <errno.h>

int eb_cmd_create(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const char *bundle = NULL, *pid_file = NULL, *console = NULL, *preserve = NULL, *notify = NULL;
    bool no_pivot = false, no_keyring = false;
    const eb_opt_t opts[] = {
        { "bundle", 'b', OPT_STRING, &bundle },
        { "pid-file", 0, OPT_STRING, &pid_file },
        { "console-socket", 0, OPT_STRING, &console },
        { "no-pivot", 0, OPT_FLAG, &no_pivot },
        { "no-new-keyring", 0, OPT_FLAG, &no_keyring },
        { "preserve-fds", 0, OPT_STRING, &preserve },
        { "notify-socket", 0, OPT_STRING, &notify },
        { NULL, 0, 0, NULL },
    };
    eb_create_opts_t o = { 0 };
    uint64_t nfds = 0;
    eb_class_t class;
    int pos;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("create", argc - pos, 1, 1, "[options] <container-id>", err) < 0)
        return -1;
    if (preserve && (eb_parse_u64(preserve, &nfds) < 0 || nfds > 65536))
        return eb_error_set(err, EINVAL, "--preserve-fds: invalid number `%s`", preserve);
    o.root = g->root;
    o.id = argv[pos];
    o.bundle = bundle;
    o.pid_file = pid_file;
    o.console_socket = console;
    o.preserve_fds = (int) nfds;
    o.no_pivot = no_pivot;
    if (eb_class_of_bundle(bundle, &class, err) < 0)
        return -1;
    if (class == EB_CLASS_RUNV)
        return eb_runv_create(&o, g->log, NULL, NULL, err);
    return eb_container_create(&o, NULL, NULL, err);
}
