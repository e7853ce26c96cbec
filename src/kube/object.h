/* object.h - what the cache needs to know about a Kubernetes object,
 * read from its JSON or protobuf form: identity, resourceVersion, labels
 * and the fields a field selector may name. */
#ifndef EB_KUBE_OBJECT_H
#define EB_KUBE_OBJECT_H

#include "common/error.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

typedef struct eb_kobj {
    char *name, *ns, *rv, *uid;
    char *created;                /* creationTimestamp, RFC 3339 */
    json_object *labels;          /* {k: v} */
    json_object *fields;          /* {"metadata.name": .., "spec.nodeName": ..} */
} eb_kobj_t;

int eb_kobj_from_json(json_object *obj, const char *resource, eb_kobj_t *o, eb_error_t *err);
/* RAW is the object's message without envelope (a list item, or the raw
 * of an Unknown). */
int eb_kobj_from_pb(const uint8_t *raw, size_t len, const char *resource, eb_kobj_t *o, eb_error_t *err);
void eb_kobj_free(eb_kobj_t *o);

/* resourceVersions are opaque strings, but etcd's are integers and a list
 * must carry the newest: compare numerically when both are numbers. */
int eb_rv_newer(const char *a, const char *b);

/* A json-c reference dropped when the variable goes out of scope. */
static inline void eb_json_putp(json_object **o) { json_object_put(*o); }
#define _cleanup_json_ __attribute__((cleanup(eb_json_putp)))

/* The member reached by the NULL-terminated keys ("metadata",
 * "annotations", "node.edgebox.io/autonomy", NULL) - keys, not a dotted
 * path, since annotation keys hold dots - or NULL.  _str: only when it is
 * a string. */
json_object *eb_json_at(json_object *obj, ...) __attribute__((sentinel));
const char *eb_json_str_at(json_object *obj, ...) __attribute__((sentinel));

#endif
