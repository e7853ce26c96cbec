/* cmd_exec.c - `edgebox exec`. */
#include "cli/cli.h"
#include "class/class.h"
#include "core/container.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "core/terminal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int eb_cmd_exec(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const char *console = NULL, *cwd = NULL, *user = NULL, *process = NULL, *pid_file = NULL;
    const char *label = NULL, *apparmor = NULL, *preserve = NULL, *cgroup = NULL;
    bool tty = false, detach = false, nnp = false, ignore_paused = false;
    eb_strv_t env = { 0 }, caps = { 0 }, gids = { 0 };
    const eb_opt_t opts[] = {
        { "console-socket", 0, OPT_STRING, &console },
        { "cwd", 0, OPT_STRING, &cwd },
        { "env", 'e', OPT_MULTI, &env },
        { "tty", 't', OPT_FLAG, &tty },
        { "user", 'u', OPT_STRING, &user },
        { "additional-gids", 'g', OPT_MULTI, &gids },
        { "process", 'p', OPT_STRING, &process },
        { "detach", 'd', OPT_FLAG, &detach },
        { "pid-file", 0, OPT_STRING, &pid_file },
        { "process-label", 0, OPT_STRING, &label },
        { "apparmor", 0, OPT_STRING, &apparmor },
        { "no-new-privs", 0, OPT_FLAG, &nnp },
        { "cap", 'c', OPT_MULTI, &caps },
        { "preserve-fds", 0, OPT_STRING, &preserve },
        { "cgroup", 0, OPT_STRING, &cgroup },
        { "ignore-paused", 0, OPT_FLAG, &ignore_paused },
        { NULL, 0, 0, NULL },
    };
    _cleanup_free_ char *process_json = NULL;
    eb_exec_opts_t o = { 0 };
    pid_t pid;
    int pos, master = -1, status = 0, ret = -1;

    /* Signals that arrive while the process is set up are held and
     * relayed to it once it runs, so none is lost or kills us early. */
    eb_block_signals();
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("exec", argc - pos, process ? 1 : 2, process ? 1 : -1,
                            "[options] <container-id> <command> [args...]", err) < 0)
        goto out;
    if (gids.n) {
        eb_error_set(err, ENOTSUP, "exec --additional-gids: use --process to set additionalGids");
        goto out;
    }
    if (eb_cli_parse_fds(preserve, &o.preserve_fds, err) < 0)
        goto out;
    if (process && eb_read_file(process, 1 << 20, &process_json, NULL, err) < 0)
        goto out;
    for (size_t i = 0; i < env.n; i++)
        if (strchr(env.v[i], '=') == NULL) {
            eb_error_set(err, EINVAL, "--env `%s`: expected KEY=VALUE", env.v[i]);
            goto out;
        }
    o.root = g->root;
    o.id = argv[pos];
    o.process_json = process_json;
    o.args = (const char *const *) argv + pos + 1;
    o.env = env.v;
    o.cwd = cwd;
    o.user = user;
    o.caps = caps.v;
    o.tty = tty;
    o.no_new_privs_set = nnp;
    o.no_new_privs = nnp;
    o.apparmor = apparmor;
    o.selinux = label;
    o.console_socket = console;
    o.keep_console = !detach && console == NULL;
    o.pid_file = pid_file;
    if (eb_class_of_container(g->root, o.id)->exec(&o, &pid, &master, err) < 0)
        goto out;
    if (detach) {
        ret = 0;
        goto out;
    }
    eb_cli_wait(pid, master, &status, err);
    ret = eb_exit_status(status);
out:
    free(env.v);
    free(caps.v);
    free(gids.v);
    return ret;
}
