/* cmd_state.c - `edgebox state`, `edgebox kill`, `edgebox delete`,
 * `edgebox pause`, `edgebox resume`: the small verbs on one container. */
#include "cli/cli.h"
#include "core/container.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int eb_cmd_state(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const eb_opt_t opts[] = { { NULL, 0, 0, NULL } };
    eb_container_t *c;
    char *json;
    int pos;
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("state", argc - pos, 1, 1, "<container-id>", err) < 0)
        return -1;
    if (eb_container_load(g->root, argv[pos], false, &c, err) < 0)
        return -1;
    json = eb_state_to_json(c->state, c->status, true);
    printf("%s\n", json);
    free(json);
    eb_container_free(c);
    return 0;
}

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
    return eb_container_kill(g->root, argv[pos], sig, all, err);
}

int eb_cmd_delete(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    bool force = false;
    const eb_opt_t opts[] = { { "force", 'f', OPT_FLAG, &force }, { NULL, 0, 0, NULL } };
    int pos;
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("delete", argc - pos, 1, 1, "[--force] <container-id>", err) < 0)
        return -1;
    return eb_container_delete(g->root, argv[pos], force, err);
}

static int pause_resume(eb_global_t *g, int argc, char **argv, bool pause, eb_error_t *err)
{
    const eb_opt_t opts[] = { { NULL, 0, 0, NULL } };
    int pos;
    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args(pause ? "pause" : "resume", argc - pos, 1, 1, "<container-id>", err) < 0)
        return -1;
    return eb_container_pause(g->root, argv[pos], pause, err);
}

int eb_cmd_pause(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    return pause_resume(g, argc, argv, true, err);
}

int eb_cmd_resume(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    return pause_resume(g, argc, argv, false, err);
}

int eb_cmd_checkpoint(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    (void) g; (void) argc; (void) argv;
    return eb_error_set(err, ENOTSUP, "checkpoint/restore is not supported by edgebox");
}
