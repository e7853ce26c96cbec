/* hooks.h - running OCI hooks with the container state on stdin. */
#ifndef EB_HOOKS_H
#define EB_HOOKS_H

#include "common/error.h"
#include "spec/spec.h"

/* Run every hook of KIND in order.  A hook that fails, exits non-zero or
 * overruns its timeout stops the sequence with an error naming it. */
int eb_hooks_run(const eb_spec_t *spec, enum eb_hook_kind kind, const char *state_json,
                 eb_error_t *err);

#endif
