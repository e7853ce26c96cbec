/* cmd_checkpoint.c - `edgebox checkpoint`: refused clearly (no CRIU support). */
#include "cli/cli.h"

#include <errno.h>

int eb_cmd_checkpoint(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    (void) g; (void) argc; (void) argv;
    return eb_error_set(err, ENOTSUP, "checkpoint/restore is not supported by edgebox");
}
