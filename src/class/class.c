/* class.c - the classes, and which one a container gets.
 *
 * At create, from the container's `io.edgebox.class` annotation when
 * present, else from how the runtime was invoked; afterwards from what
 * create left in the container's state directory. */
#include "class/class.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const eb_class_t *const eb_classes[] = { &eb_class_runc, &eb_class_runv, NULL };

static const eb_class_t *default_class = &eb_class_runc;

const eb_class_t *eb_class_by_name(const char *name)
{
    for (size_t i = 0; eb_classes[i]; i++)
        if (strcmp(eb_classes[i]->name, name) == 0)
            return eb_classes[i];
    return NULL;
}

void eb_class_set_default(const eb_class_t *c)
{
    default_class = c;
}

const eb_class_t *eb_class_default(void)
{
    return default_class;
}

int eb_class_of_spec(const eb_spec_t *spec, const eb_class_t **out, eb_error_t *err)
{
    const char *a = eb_spec_annotation(spec, EB_CLASS_ANNOTATION);

    *out = default_class;
    if (a == NULL)
        return 0;
    if ((*out = eb_class_by_name(a)) == NULL)
        return eb_error_set(err, EINVAL, "annotation %s: unknown class `%s` (runc or runv)", EB_CLASS_ANNOTATION, a);
    return 0;
}

int eb_class_of_bundle(const char *bundle, const eb_class_t **out, eb_error_t *err)
{
    _cleanup_free_ char *path = eb_strdup_printf("%s/config.json", bundle ? bundle : "."), *text = NULL;
    eb_spec_t *spec = NULL;
    size_t len;
    int ret;

    *out = default_class;
    /* Unreadable: the class's own create reports it, naming the bundle. */
    if (eb_read_file(path, EB_SPEC_MAX_SIZE, &text, &len, err) < 0) {
        eb_error_clear(err);
        return 0;
    }
    /* The common case (runc by default, no annotation) skips a second
     * parse of the config: create parses it anyway. */
    if (default_class == &eb_class_runc && strstr(text, EB_CLASS_ANNOTATION) == NULL)
        return 0;
    if (eb_spec_parse(text, len, &spec, err) < 0)
        return eb_error_wrap(err, "%s", path);
    ret = eb_class_of_spec(spec, out, err);
    eb_spec_free(spec);
    return ret;
}

const eb_class_t *eb_class_of_container(const char *root, const char *id)
{
    _cleanup_free_ char *p = NULL;

    /* An id that is not a plain name is refused by the class's own verb. */
    if (strchr(id, '/') || id[0] == '.')
        return &eb_class_runc;
    /* runv's create writes runv.json beside the state before anything
     * else can see the container. */
    p = eb_strdup_printf("%s/%s/runv.json", root, id);
    return access(p, F_OK) == 0 ? &eb_class_runv : &eb_class_runc;
}

void eb_procs_free(eb_procs_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].cmd);
    free(p->v);
    memset(p, 0, sizeof(*p));
}
