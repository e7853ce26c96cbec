/* seccomp_filter.h - linux.seccomp compiled with libseccomp. */
#ifndef EB_SECCOMP_FILTER_H
#define EB_SECCOMP_FILTER_H

#include <stdbool.h>

#include "common/error.h"
#include "spec/spec.h"

typedef struct eb_seccomp_filter eb_seccomp_filter_t;

/* Compile the filter in the runtime, before the container process is
 * forked (a bad profile fails `create` cleanly).  Compiling a large
 * allowlist with libseccomp costs ~10 ms, so the BPF is cached in
 * CACHE_DIR (may be NULL) under a file keyed by KEY, the profile's exact
 * JSON text: a hit is used only when the stored key matches byte for byte. */
int eb_seccomp_prepare(const eb_seccomp_t *sc, const char *key, const char *cache_dir,
                       eb_seccomp_filter_t **out, eb_error_t *err);
/* The same filter (from CACHE_DIR, or compiled into it) as the cache
 * entry another runtime of this libseccomp and architecture looks up
 * under KEY (a runv guest's): its file *NAME and contents *DATA, *LEN
 * (NULL: no seccomp in the profile).  The caller frees both. */
int eb_seccomp_export(const eb_seccomp_t *sc, const char *key, const char *cache_dir, char **name, char **data,
                      size_t *len, eb_error_t *err);
/* Load it into the calling thread (raw seccomp(2): no allocation).  Returns the notify fd (>= 0) when the
 * profile uses SCMP_ACT_NOTIFY, -2 when it doesn't, -1 on error. */
int eb_seccomp_load(eb_seccomp_filter_t *f, eb_error_t *err);
/* Hand the notify fd to SC's listenerPath with the container state, the
 * way runc does (SCM_RIGHTS, state JSON as the payload); a profile with
 * SCMP_ACT_NOTIFY but no listenerPath is an error. */
int eb_seccomp_send_listener(const eb_seccomp_t *sc, int notify_fd, const char *state_json, eb_error_t *err);
/* True when the filter uses SCMP_ACT_NOTIFY (needs a listener). */
bool eb_seccomp_has_notify(const eb_seccomp_filter_t *f);
void eb_seccomp_free(eb_seccomp_filter_t *f);
static inline void eb_seccomp_freep(eb_seccomp_filter_t **f) { eb_seccomp_free(*f); }
#define _cleanup_seccomp_filter_ __attribute__((cleanup(eb_seccomp_freep)))

#endif
