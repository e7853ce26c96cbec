/* hooks.h - running OCI hooks with the container state on stdin. */
#ifndef EB_HOOKS_H
#define EB_HOOKS_H

#include <stddef.h>

#include "common/error.h"
#include "spec/spec.h"

/* Run every hook of KIND in order.  A hook that fails, exits non-zero or
 * overruns its timeout stops the sequence with an error naming it. */
int eb_hooks_run(const eb_spec_t *spec, enum eb_hook_kind kind, const char *state_json,
                 eb_error_t *err);
/* Run every hook of KIND in order; one that fails is a warning (naming it)
 * and the others still run: the spec's rule for poststart and poststop.
 * Returns how many failed. */
size_t eb_hooks_run_every(const eb_spec_t *spec, enum eb_hook_kind kind, const char *state_json);

#endif
