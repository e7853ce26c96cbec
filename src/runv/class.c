/* class.c - which isolation class a container gets.
 *
 * One binary serves both: the class comes from the container's
 * `io.edgebox.class` annotation when present, else from how the runtime
 * was invoked (`--class`, or a program name ending in "-runv", which is
 * what containerd's BinaryName and podman's --runtime point at). */
#include "runv/runv.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static eb_class_t default_class = EB_CLASS_RUNC;

void eb_class_set_default(eb_class_t c)
{
    default_class = c;
}

eb_class_t eb_class_default(void)
{
    return default_class;
}

int eb_class_of_spec(const eb_spec_t *spec, eb_class_t *out, eb_error_t *err)
{
    const char *a = eb_spec_annotation(spec, EB_RUNV_CLASS_ANNOTATION);

    *out = default_class;
    if (a == NULL)
        return 0;
    if (strcmp(a, "runv") == 0)
        *out = EB_CLASS_RUNV;
    else if (strcmp(a, "runc") == 0)
        *out = EB_CLASS_RUNC;
    else
        return eb_error_set(err, EINVAL, "annotation %s: unknown class `%s` (runc or runv)",
                            EB_RUNV_CLASS_ANNOTATION, a);
    return 0;
}

int eb_class_of_bundle(const char *bundle, eb_class_t *out, eb_error_t *err)
{
    _cleanup_free_ char *path = eb_strdup_printf("%s/config.json", bundle ? bundle : "."), *text = NULL;
    eb_spec_t *spec = NULL;
    size_t len;
    int ret;

    *out = default_class;
    /* The common case (runc by default, no annotation) skips a second
     * parse of the config: create parses it anyway. */
    /* Unreadable: the class's own create reports it, naming the bundle. */
    if (eb_read_file(path, EB_SPEC_MAX_SIZE, &text, &len, err) < 0) {
        eb_error_clear(err);
        return 0;
    }
    if (default_class == EB_CLASS_RUNC && strstr(text, EB_RUNV_CLASS_ANNOTATION) == NULL)
        return 0;
    if (eb_spec_parse(text, len, &spec, err) < 0)
        return eb_error_wrap(err, "%s", path);
    ret = eb_class_of_spec(spec, out, err);
    eb_spec_free(spec);
    return ret;
}

bool eb_class_is_runv(const char *root, const char *id)
{
    _cleanup_free_ char *p = NULL;

    if (strchr(id, '/') || id[0] == '.')
        return false;
    p = eb_strdup_printf("%s/%s/runv.json", root, id);
    return access(p, F_OK) == 0;
}
