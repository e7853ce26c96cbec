/* guest_spec.h - the config.json the agent gets for a container. */
#ifndef EB_RUNV_GUEST_SPEC_H
#define EB_RUNV_GUEST_SPEC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "spec/spec.h"

/* Every namespace path in SPEC names a namespace of its type; one other
 * than the network's only when the container JOINS_POD (in the guest it
 * becomes the pod sandbox container's).  Checked before any VM boots. */
int eb_guest_ns_check(const eb_spec_t *spec, bool joins_pod, eb_error_t *err);

/* Rootfs and bind sources shared through virtio-fs, the pod's namespaces
 * mapped to the sandbox's in the guest, no network namespace (the guest's
 * is the pod's), only the hooks the guest runs (createContainer, its
 * binary shared; startContainer). */
json_object *eb_guest_spec(const eb_spec_t *spec, const char *bundle, const char *sbdir, const char *cid,
                           pid_t sandbox_guest_pid, eb_error_t *err);

#endif
