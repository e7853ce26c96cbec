/* options.c - the option parser of the CLI (see cli.h). */
#include "cli/cli.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>

static const eb_opt_t *find(const eb_opt_t *opts, const char *name, size_t len, char short_name)
{
    for (; opts->name; opts++) {
        if (short_name && opts->short_name == short_name && len == 1)
            return opts;
        if (!short_name && strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
            return opts;
    }
    return NULL;
}

int eb_cli_parse(int argc, char **argv, const eb_opt_t *opts, int *pos, eb_error_t *err)
{
    int i;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *name, *eq;
        const eb_opt_t *o = NULL;
        size_t len;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == 0)
            break;
        name = a + (a[1] == '-' ? 2 : 1);
        eq = strchr(name, '=');
        len = eq ? (size_t) (eq - name) : strlen(name);
        if (a[1] != '-' && len == 1)
            o = find(opts, name, 1, name[0]);
        if (o == NULL)
            o = find(opts, name, len, 0);
        if (o == NULL)
            return eb_error_set(err, EINVAL, "flag provided but not defined: %.*s", (int) (len + (name - a)), a);
        if (o->kind == OPT_FLAG) {
            bool v = true;
            if (eq)
                v = strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "1") == 0;
            *(bool *) o->target = v;
            continue;
        }
        {
            const char *val;
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return eb_error_set(err, EINVAL, "flag needs an argument: %s", a);
            if (o->kind == OPT_STRING) {
                *(const char **) o->target = val;
            } else {
                eb_strv_t *sv = o->target;
                sv->v = eb_xrealloc(sv->v, (sv->n + 2) * sizeof(char *));
                sv->v[sv->n++] = val;
                sv->v[sv->n] = NULL;
            }
        }
    }
    *pos = i;
    return 0;
}

int eb_cli_need_args(const char *verb, int have, int min, int max, const char *usage, eb_error_t *err)
{
    if (have < min)
        return eb_error_set(err, EINVAL, "%s: missing argument; usage: edgebox %s %s", verb, verb, usage);
    if (max >= 0 && have > max)
        return eb_error_set(err, EINVAL, "%s: too many arguments; usage: edgebox %s %s", verb, verb, usage);
    return 0;
}
