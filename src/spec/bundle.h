/* bundle.h - an OCI bundle as the runtimes open it: the directory's real
 * path and its config.json, read and parsed.  One prologue for the runc
 * create (src/core), runv's create and the CLI. */
#ifndef EB_BUNDLE_H
#define EB_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "spec/spec.h"

#define EB_BUNDLE_CONFIG "config.json"

typedef struct eb_bundle {
    char *dir;                 /* realpath of the bundle directory */
    char *config_path;         /* DIR/config.json, as messages name it */
    char *text;                /* the file's bytes (saved verbatim with a container) */
    size_t len;
    eb_spec_t *spec;           /* parsed; eb_steal_ptr() it to keep it past the bundle */
} eb_bundle_t;

/* What eb_bundle_load checks beyond the spec's own validation. */
enum {
    EB_BUNDLE_NEED_PROCESS = 1, /* `process` is required (create, run) */
};

/* The real path of BUNDLE (NULL: ".") in *DIR (heap). */
int eb_bundle_dir(const char *bundle, char **dir, eb_error_t *err);
/* Resolve BUNDLE (NULL: ".") and read and parse its config.json into *OUT
 * (zeroed first).  On failure *OUT holds nothing; on success release it
 * with eb_bundle_release (or declare it _cleanup_bundle_). */
int eb_bundle_load(const char *bundle, int flags, eb_bundle_t *out, eb_error_t *err);
void eb_bundle_release(eb_bundle_t *b);
#define _cleanup_bundle_ __attribute__((cleanup(eb_bundle_release)))

#endif
