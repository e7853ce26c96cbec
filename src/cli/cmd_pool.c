/* cmd_pool.c - `edgebox pool fill|serve|drain|status`: the pre-booted
 * sandboxes of every class that has them (docs/pool.md); prints each
 * pool's status as JSON after the command (serve: once it stops). */
#include "cli/cli.h"
#include "class/class.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

int eb_cmd_pool(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const eb_opt_t opts[] = { { NULL, 0, 0, NULL } };
    json_object *all = json_object_new_object();
    const char *verb;
    int pos, ret = 0;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("pool", argc - pos, 1, 1, "fill|serve|drain|status", err) < 0) {
        json_object_put(all);
        return -1;
    }
    verb = argv[pos];
    if (strcmp(verb, "fill") != 0 && strcmp(verb, "serve") != 0 && strcmp(verb, "drain") != 0
        && strcmp(verb, "status") != 0) {
        json_object_put(all);
        return eb_error_set(err, EINVAL, "unknown pool command `%s` (fill, serve, drain, status)", verb);
    }
    for (size_t i = 0; eb_classes[i] && ret == 0; i++) {
        json_object *st;
        if (eb_classes[i]->pool == NULL)
            continue;
        st = eb_classes[i]->pool(g->root, verb, err);
        if (st == NULL)
            ret = -1;
        else
            json_object_object_add(all, eb_classes[i]->name, st);
    }
    if (ret == 0)
        printf("%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(all);
    return ret;
}
