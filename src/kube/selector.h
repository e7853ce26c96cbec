/* selector.h - Kubernetes label and field selectors, evaluated the way the
 * apiserver does on a cached object's labels and selectable fields. */
#ifndef EB_KUBE_SELECTOR_H
#define EB_KUBE_SELECTOR_H

#include "common/error.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

enum eb_sel_op { EB_SEL_EQ, EB_SEL_NE, EB_SEL_IN, EB_SEL_NOTIN, EB_SEL_EXISTS, EB_SEL_NOTEXISTS, EB_SEL_GT, EB_SEL_LT };

typedef struct eb_sel_req {
    char *key;
    enum eb_sel_op op;
    char **values;
    size_t nvalues;
} eb_sel_req_t;

typedef struct eb_selector {
    eb_sel_req_t *reqs;
    size_t n;
} eb_selector_t;

/* An empty or NULL text selects everything.  -1 with a message fit for a
 * 400 BadRequest on a syntax error. */
int eb_label_selector_parse(const char *text, eb_selector_t *s, eb_error_t *err);
/* Field selectors: =, ==, != only; each key must be one RESOURCE supports
 * (eb_field_supported), else "field label not supported". */
int eb_field_selector_parse(const char *text, const char *resource, eb_selector_t *s, eb_error_t *err);
/* LABELS and FIELDS: json objects of string values (may be NULL: empty). */
int eb_selector_match(const eb_selector_t *s, json_object *labels);
void eb_selector_free(eb_selector_t *s);

/* The selectable fields of RESOURCE (besides metadata.name and
 * metadata.namespace), with the value an absent one has, and where the
 * field sits in the protobuf message (from k8s.io/api's generated.proto):
 * field PB_OUTER of the object, field PB_INNER inside it (0: PB_OUTER
 * itself); PB_OUTER 0 when the hub doesn't read it from protobuf. */
typedef struct eb_field_def {
    const char *resource, *path, *absent;
    uint32_t pb_outer, pb_inner;
    int pb_bool;
} eb_field_def_t;
int eb_field_supported(const char *resource, const char *path);
const eb_field_def_t *eb_field_defs(size_t *n);

#endif
