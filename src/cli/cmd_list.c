/* cmd_list.c - `edgebox list [--format table|json] [-q]`. */
#include "cli/cli.h"
#include "class/class.h"
#include "core/container.h"
#include "common/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int eb_cmd_list(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    const char *format = "table";
    bool quiet = false;
    const eb_opt_t opts[] = {
        { "format", 'f', OPT_STRING, &format }, { "quiet", 'q', OPT_FLAG, &quiet }, { NULL, 0, 0, NULL },
    };
    char **ids = NULL;
    size_t n = 0, i;
    int pos;
    json_object *arr = NULL;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("list", argc - pos, 0, 0, "[--format table|json] [--quiet]", err) < 0)
        return -1;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return eb_error_set(err, EINVAL, "invalid format `%s` (table or json)", format);
    if (eb_state_list(g->root, &ids, &n, err) < 0)
        return -1;
    if (strcmp(format, "json") == 0)
        arr = json_object_new_array();
    else if (!quiet)
        printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (i = 0; i < n; i++) {
        eb_state_t *st = NULL;
        eb_status_t status = EB_STATUS_STOPPED;
        eb_error_t e = { 0 };
        /* A container removed meanwhile is left out. */
        if (eb_class_of_container(g->root, ids[i])->state(g->root, ids[i], &st, &status, &e) < 0) {
            free(ids[i]);
            continue;
        }
        if (quiet)
            printf("%s\n", ids[i]);
        else if (arr) {
            char *s = eb_state_to_json(st, status, false);
            json_object_array_add(arr, json_tokener_parse(s));
            free(s);
        } else {
            printf("%-20s %-8d %-10s %-40s %-32s %s\n", ids[i], status == EB_STATUS_STOPPED ? 0 : (int) st->pid,
                   eb_status_names[status], st->bundle ? st->bundle : "", st->created ? st->created : "",
                   st->owner ? st->owner : "");
        }
        eb_state_free(st);
        free(ids[i]);
    }
    free(ids);
    if (arr) {
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
    }
    return 0;
}
