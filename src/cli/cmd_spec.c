/* cmd_spec.c - `edgebox spec [--bundle DIR] [--rootless]`: write the
 * default (hardened) config.json, never over an existing one. */
#include "cli/cli.h"
#include "spec/spec.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int eb_cmd_spec(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const char *bundle = ".";
    bool rootless = false;
    const eb_opt_t opts[] = {
        { "bundle", 'b', OPT_STRING, &bundle }, { "rootless", 0, OPT_FLAG, &rootless }, { NULL, 0, 0, NULL },
    };
    _cleanup_free_ char *json = NULL, *path = NULL;
    _cleanup_close_ int fd = -1;
    int pos;
    (void) g;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("spec", argc - pos, 0, 0, "[--bundle DIR] [--rootless]", err) < 0)
        return -1;
    path = eb_strdup_printf("%s/config.json", bundle);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            return eb_error_set(err, EEXIST, "`%s` exists: remove it first", path);
        return eb_error_set(err, errno, "create `%s`", path);
    }
    json = eb_spec_default_json(rootless, getuid(), getgid());
    if (eb_write_all(fd, json, strlen(json)) < 0 || eb_write_all(fd, "\n", 1) < 0)
        return eb_error_set(err, errno, "write `%s`", path);
    return 0;
}
