/* cmd_run.c - `edgebox run`: create + start, then (unless --detach) relay
 * signals and the tty, wait, delete, and exit with the container's status. */
#include "cli/cli.h"
#include "common/log.h"
#include "common/util.h"
#include "core/terminal.h"

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
    eb_create_flags_t f = { 0 };
    bool detach = false, keep = false, no_subreaper = false;
    eb_opt_t opts[EB_CREATE_FLAGS + 4] = { { 0 } };
    size_t n = eb_cli_create_flags(opts, &f);
    eb_create_opts_t o;
    const eb_class_t *class;
    pid_t pid = -1;
    int pos, master = -1, status = 0;
    eb_error_t derr = { 0 };

    opts[n++] = (eb_opt_t) { "detach", 'd', OPT_FLAG, &detach };
    opts[n++] = (eb_opt_t) { "keep", 0, OPT_FLAG, &keep };
    /* Accepted for runc's callers: run waits for its own child. */
    opts[n++] = (eb_opt_t) { "no-subreaper", 0, OPT_FLAG, &no_subreaper };
    /* Signals that arrive while the container is set up are held and
     * relayed to it once it runs, so none is lost or kills us early. */
    eb_block_signals();
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("run", argc - pos, 1, 1, "[options] <container-id>", err) < 0
        || eb_cli_create_opts(g, &f, argv[pos], &o, &class, err) < 0)
        return -1;
    o.keep_console = !detach && f.console == NULL;
    if (class->create(&o, g->log, &pid, &master, err) < 0)
        return -1;
    if (class->start(g->root, o.id, err) < 0) {
        class->delete(g->root, o.id, true, &derr);
        if (master >= 0)
            close(master);
        return -1;
    }
    if (detach)
        return 0;
    eb_cli_wait(pid, master, &status, err);
    if (!keep && class->delete(g->root, o.id, true, &derr) < 0)
        eb_warn("delete `%s` after run: %s", o.id, derr.msg);
    return eb_exit_status(status);
}
