/* cmd_run.c - `edgebox run`: create + start, then (unless --detach) relay
 * signals and the tty, wait, delete, and exit with the container's status. */
#include "cli/cli.h"
#include "runv/runv.h"
#include "core/container.h"
#include "core/terminal.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int eb_exit_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 255;
}

int eb_cmd_run(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const char *bundle = NULL, *pid_file = NULL, *console = NULL, *preserve = NULL, *notify = NULL;
    bool detach = false, no_pivot = false, no_keyring = false, keep = false, no_subreaper = false;
    const eb_opt_t opts[] = {
        { "bundle", 'b', OPT_STRING, &bundle },
        { "pid-file", 0, OPT_STRING, &pid_file },
        { "console-socket", 0, OPT_STRING, &console },
        { "detach", 'd', OPT_FLAG, &detach },
        { "keep", 0, OPT_FLAG, &keep },
        { "no-pivot", 0, OPT_FLAG, &no_pivot },
        { "no-new-keyring", 0, OPT_FLAG, &no_keyring },
        { "no-subreaper", 0, OPT_FLAG, &no_subreaper },
        { "preserve-fds", 0, OPT_STRING, &preserve },
        { "notify-socket", 0, OPT_STRING, &notify },
        { NULL, 0, 0, NULL },
    };
    eb_create_opts_t o = { 0 };
    uint64_t nfds = 0;
    pid_t pid = -1;
    int pos, master = -1, status = 0;
    eb_error_t derr = { 0 };
    eb_class_t class;
    bool runv;

    /* Signals that arrive while the container is set up are held and
     * relayed to it once it runs, so none is lost or kills us early. */
    eb_block_signals();
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("run", argc - pos, 1, 1, "[options] <container-id>", err) < 0)
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
    o.keep_console = !detach && console == NULL;
    if (eb_class_of_bundle(bundle, &class, err) < 0)
        return -1;
    runv = class == EB_CLASS_RUNV;
    if ((runv ? eb_runv_create(&o, g->log, &pid, &master, err) : eb_container_create(&o, &pid, &master, err)) < 0)
        return -1;
    if ((runv ? eb_runv_start(g->root, o.id, err) : eb_container_start(g->root, o.id, err)) < 0) {
        if (runv)
            eb_runv_delete(g->root, o.id, true, &derr);
        else
            eb_container_delete(g->root, o.id, true, &derr);
        if (master >= 0)
            close(master);
        return -1;
    }
    if (detach)
        return 0;
    if (master >= 0) {
        eb_terminal_proxy(master, pid, &status, err);
        close(master);
    } else {
        eb_wait_forward(pid, &status, err);
    }
    if (!keep && (runv ? eb_runv_delete(g->root, o.id, true, &derr)
                       : eb_container_delete(g->root, o.id, true, &derr)) < 0)
        eb_warn("delete `%s` after run: %s", o.id, derr.msg);
    return eb_exit_status(status);
}
