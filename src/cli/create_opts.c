/* create_opts.c - what `create` and `run` share: their runc flags, the
 * create options made from them, and the class the bundle asks for; and
 * what `run` and `exec` share: waiting for the process in the foreground. */
#include "cli/cli.h"
#include "core/terminal.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <unistd.h>

size_t eb_cli_create_flags(eb_opt_t *opts, eb_create_flags_t *f)
{
    const eb_opt_t own[] = {
        { "bundle", 'b', OPT_STRING, &f->bundle },
        { "pid-file", 0, OPT_STRING, &f->pid_file },
        { "console-socket", 0, OPT_STRING, &f->console },
        { "no-pivot", 0, OPT_FLAG, &f->no_pivot },
        /* Accepted for runc's callers and ignored: edgebox makes no
         * session keyring, and does not relay sd_notify. */
        { "no-new-keyring", 0, OPT_FLAG, &f->no_keyring },
        { "preserve-fds", 0, OPT_STRING, &f->preserve },
        { "notify-socket", 0, OPT_STRING, &f->notify },
    };
    size_t i;

    for (i = 0; i < EB_ARRAY_SIZE(own); i++)
        opts[i] = own[i];
    return i;
}

int eb_cli_parse_fds(const char *preserve, int *n, eb_error_t *err)
{
    uint64_t v = 0;

    if (preserve && (eb_parse_u64(preserve, &v) < 0 || v > 65536))
        return eb_error_set(err, EINVAL, "--preserve-fds: invalid number `%s`", preserve);
    *n = (int) v;
    return 0;
}

int eb_cli_create_opts(const eb_global_t *g, const eb_create_flags_t *f, const char *id, eb_create_opts_t *o,
                       const eb_class_t **class, eb_error_t *err)
{
    *o = (eb_create_opts_t) {
        .root = g->root, .id = id, .bundle = f->bundle, .pid_file = f->pid_file,
        .console_socket = f->console, .no_pivot = f->no_pivot,
    };
    if (eb_cli_parse_fds(f->preserve, &o->preserve_fds, err) < 0)
        return -1;
    return eb_class_of_bundle(f->bundle, class, err);
}

int eb_cli_wait(pid_t pid, int master, int *status, eb_error_t *err)
{
    int rc;

    *status = 0;
    if (master < 0)
        return eb_wait_forward(pid, status, err);
    rc = eb_terminal_proxy(master, pid, status, err);
    close(master);
    return rc;
}
