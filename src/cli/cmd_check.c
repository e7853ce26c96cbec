/* cmd_check.c - `edgebox check`: can this host run each class, in plain
 * words (as `kata-runtime check` does).  Each class checks itself; this
 * prints its lines and the verdict.  Exit status 1 when a class can not
 * run here. */
#include "cli/cli.h"

#include <stdio.h>

static void print_line(void *ctx, bool ok, bool counts, const char *what, const char *detail)
{
    (void) ctx, (void) counts;
    printf("  [%s] %s%s%s\n", ok ? "ok" : "NO", what, detail ? ": " : "", detail ? detail : "");
}

int eb_cmd_check(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const eb_opt_t opts[] = { { NULL, 0, 0, NULL } };
    int pos, bad_any = 0;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0 || eb_cli_need_args("check", argc - pos, 0, 0, "", err) < 0)
        return -1;
    for (size_t i = 0; eb_classes[i]; i++) {
        const eb_class_t *c = eb_classes[i];
        int bad;

        printf("%s class (%s):\n", c->name, c->description);
        bad = c->check(g->root, print_line, NULL);
        printf("  => the %s class can %srun here\n", c->name, bad ? "NOT " : "");
        bad_any |= bad;
    }
    return bad_any ? 1 : 0;
}
