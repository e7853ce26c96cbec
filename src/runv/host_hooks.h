/* host_hooks.h - the OCI hooks the runv class runs on the host. */
#ifndef EB_RUNV_HOST_HOOKS_H
#define EB_RUNV_HOST_HOOKS_H

#include "common/error.h"
#include "core/state.h"
#include "spec/spec.h"

/* prestart then createRuntime, in the pod's network namespace when SPEC
 * names one, with ST's state ("creating") on stdin.  The first failure
 * (or overrun timeout) is the error. */
int eb_runv_hooks_create(const eb_spec_t *spec, eb_state_t *st, eb_error_t *err);

/* poststart (KIND EB_HOOK_POSTSTART, after the program started) or
 * poststop (after the container stopped, at delete) from the config saved
 * with ST at create: every hook runs, a failure is a warning. */
void eb_runv_hooks_after(eb_state_t *st, enum eb_hook_kind kind);

/* Save the config beside ST's state.json, for eb_runv_hooks_after. */
int eb_runv_hooks_save(eb_state_t *st, const char *text, size_t len, eb_error_t *err);

#endif
