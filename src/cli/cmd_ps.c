/* cmd_ps.c - `edgebox ps` (runs ps(1) and keeps the container's lines, as
 * runc does; --format json lists the pids). */
#include "cli/cli.h"
#include "class/class.h"
#include "core/container.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int ps_table(pid_t *pids, size_t n, char **ps_args, int nargs, eb_error_t *err)
{
    int p[2], status, pid_col = -1;
    pid_t child;
    FILE *f;
    char *line = NULL;
    size_t cap = 0, lineno = 0;

    if (pipe2(p, O_CLOEXEC) < 0)
        return eb_error_set(err, errno, "pipe");
    child = fork();
    if (child < 0)
        return eb_error_set(err, errno, "fork");
    if (child == 0) {
        char **argv = eb_xcalloc((size_t) nargs + 3, sizeof(char *));
        int i;
        argv[0] = "ps";
        if (nargs == 0)
            argv[1] = "-ef";
        for (i = 0; i < nargs; i++)
            argv[1 + i] = ps_args[i];
        dup2(p[1], 1);
        execvp("ps", argv);
        _exit(127);
    }
    close(p[1]);
    f = fdopen(p[0], "r");
    while (getline(&line, &cap, f) > 0) {
        if (lineno++ == 0) {
            char *copy = eb_xstrdup(line), *tok, *save = NULL;
            int col = 0;
            for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), col++)
                if (strcmp(tok, "PID") == 0)
                    pid_col = col;
            free(copy);
            fputs(line, stdout);
            if (pid_col < 0) {
                free(line);
                fclose(f);
                waitpid(child, &status, 0);
                return eb_error_set(err, EINVAL, "ps output has no PID column");
            }
            continue;
        }
        {
            char *copy = eb_xstrdup(line), *tok, *save = NULL;
            int col = 0;
            long pid = -1;
            size_t i;
            for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), col++)
                if (col == pid_col) {
                    pid = strtol(tok, NULL, 10);
                    break;
                }
            free(copy);
            for (i = 0; i < n; i++)
                if (pids[i] == pid) {
                    fputs(line, stdout);
                    break;
                }
        }
    }
    free(line);
    fclose(f);
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return eb_error_set(err, 0, "ps exited with status %d", WEXITSTATUS(status));
    return 0;
}

int eb_cmd_ps(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const char *format = "table";
    const eb_opt_t opts[] = { { "format", 'f', OPT_STRING, &format }, { NULL, 0, 0, NULL } };
    eb_procs_t procs;
    _cleanup_free_ pid_t *pids = NULL;
    bool json;
    size_t i;
    int pos, ret = 0;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("ps", argc - pos, 1, -1, "[--format table|json] <container-id> [ps options]", err) < 0)
        return -1;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return eb_error_set(err, EINVAL, "invalid format `%s` (table or json)", format);
    json = strcmp(format, "json") == 0;
    if (eb_class_of_container(g->root, argv[pos])->ps(g->root, argv[pos], &procs, err) < 0)
        return -1;
    if (json) {
        printf("[");
        for (i = 0; i < procs.n; i++)
            printf("%s%d", i ? "," : "", (int) procs.v[i].pid);
        printf("]\n");
    } else if (procs.host_pids) {
        /* Host processes: ps(1) shows them, filtered to the container's. */
        pids = eb_xcalloc(procs.n ? procs.n : 1, sizeof(*pids));
        for (i = 0; i < procs.n; i++)
            pids[i] = procs.v[i].pid;
        fflush(stdout);
        ret = ps_table(pids, procs.n, argv + pos + 1, argc - pos - 1, err);
    } else {
        /* Guest processes: their pids are the guest's, listed by the agent. */
        printf("%-8s %s\n", "PID", "CMD");
        for (i = 0; i < procs.n; i++)
            printf("%-8d %s\n", (int) procs.v[i].pid, procs.v[i].cmd ? procs.v[i].cmd : "");
    }
    eb_procs_free(&procs);
    return ret;
}
