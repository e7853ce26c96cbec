/* bundle.c - open an OCI bundle: real path, config.json text and spec. */
#include "spec/bundle.h"

#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int eb_bundle_dir(const char *bundle, char **dir, eb_error_t *err)
{
    const char *given = bundle ? bundle : ".";
    char real[PATH_MAX];
    if (realpath(given, real) == NULL)
        return eb_error_set(err, errno, "bundle `%s`", given);
    *dir = eb_xstrdup(real);
    return 0;
}

int eb_bundle_load(const char *bundle, int flags, eb_bundle_t *out, eb_error_t *err)
{
    memset(out, 0, sizeof(*out));
    if (eb_bundle_dir(bundle, &out->dir, err) < 0)
        return -1;
    out->config_path = eb_strdup_printf("%s/" EB_BUNDLE_CONFIG, out->dir);
    if (eb_read_file(out->config_path, EB_SPEC_MAX_SIZE, &out->text, &out->len, err) < 0)
        goto fail;
    if (eb_spec_parse(out->text, out->len, &out->spec, err) < 0) {
        eb_error_wrap(err, "%s", out->config_path);
        goto fail;
    }
    if ((flags & EB_BUNDLE_NEED_PROCESS) && !out->spec->has_process) {
        eb_error_set(err, EINVAL, "%s: process: required to create a container", out->config_path);
        goto fail;
    }
    return 0;
fail:
    eb_bundle_release(out);
    return -1;
}

void eb_bundle_release(eb_bundle_t *b)
{
    free(b->dir);
    free(b->config_path);
    free(b->text);
    eb_spec_free(b->spec);
    memset(b, 0, sizeof(*b));
}
