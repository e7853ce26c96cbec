/* rootfs.h - the container's mount namespace: rootfs, mounts, devices,
 * pivot_root, masked and read-only paths. */
#ifndef EB_ROOTFS_H
#define EB_ROOTFS_H

#include <stdbool.h>

#include "common/error.h"
#include "core/cgroup.h"
#include "spec/spec.h"

/* Mount everything under ROOTFS (before pivot_root). */
int eb_rootfs_prepare(const eb_spec_t *spec, const char *rootfs, eb_cgroup_t *cg, bool in_userns,
                      eb_error_t *err);
int eb_rootfs_pivot(const char *rootfs, bool no_pivot, eb_error_t *err);
/* After pivot_root: masked and read-only paths, read-only root, propagation. */
int eb_rootfs_finalize(const eb_spec_t *spec, eb_error_t *err);

/* Parse mount options (exposed for the unit test). */
int eb_mount_parse_options(const char *const *opts, unsigned long *flags, unsigned long *clear,
                           unsigned long *propagation, char **data, eb_error_t *err);

#endif
