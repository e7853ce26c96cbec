/* spec_internal.h - JSON accessors and the arena shared by the spec parser
 * files.  Every accessor takes the JSON path of the value for its error. */
#ifndef EB_SPEC_INTERNAL_H
#define EB_SPEC_INTERNAL_H

#include <json-c/json.h>

#include "spec/spec.h"

typedef struct eb_arena {
    void **ptrs;
    size_t n, cap;
} eb_arena_t;

void *eb_arena_alloc(eb_arena_t *a, size_t n, size_t size);
void eb_arena_free(eb_arena_t *a);

/* OBJ may be NULL (absent key): *_opt accessors then leave OUT untouched. */
struct json_object *js_get(struct json_object *obj, const char *key);
int js_expect(struct json_object *v, json_type t, const char *path, eb_error_t *err);
int js_string(struct json_object *obj, const char *key, const char *path, bool required,
              const char **out, eb_error_t *err);
int js_bool(struct json_object *obj, const char *key, const char *path, bool *out, eb_error_t *err);
int js_u64(struct json_object *v, const char *path, uint64_t max, uint64_t *out, eb_error_t *err);
int js_i64(struct json_object *v, const char *path, int64_t min, int64_t max, int64_t *out,
           eb_error_t *err);
int js_opt_u64(struct json_object *obj, const char *key, const char *path, uint64_t max,
               eb_opt_u64_t *out, eb_error_t *err);
int js_opt_i64(struct json_object *obj, const char *key, const char *path, int64_t min, int64_t max,
               eb_opt_i64_t *out, eb_error_t *err);
int js_u32(struct json_object *obj, const char *key, const char *path, bool required, uint32_t *out,
           eb_error_t *err);
/* Array of strings into a NULL-terminated arena vector; absent gives NULL. */
int js_strv(eb_arena_t *a, struct json_object *obj, const char *key, const char *path,
            const char ***out, size_t *n, eb_error_t *err);
/* Object of string values. */
int js_kv(eb_arena_t *a, struct json_object *obj, const char *key, const char *path,
          eb_kv_t **out, size_t *n, eb_error_t *err);
int js_parse_text(const char *data, size_t len, struct json_object **out, eb_error_t *err);

int eb_spec_parse_process_obj(eb_arena_t *a, struct json_object *obj, const char *path,
                              eb_process_t *p, eb_error_t *err);
int eb_spec_parse_resources_obj(eb_arena_t *a, struct json_object *obj, const char *path,
                                eb_resources_t *r, eb_error_t *err);
int eb_spec_parse_seccomp_obj(eb_arena_t *a, struct json_object *obj, const char *path,
                              eb_seccomp_t *s, eb_error_t *err);

#endif
