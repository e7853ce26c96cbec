/* podcg.h - the sandbox's host cgroup: the pod's (the sandbox container's
 * linux.cgroupsPath), holding QEMU, virtiofsd and the log writer, so the
 * pod overhead is accounted where Kubernetes puts it and a runaway QEMU
 * hits the sandbox's own memory limit. */
#ifndef EB_RUNV_PODCG_H
#define EB_RUNV_PODCG_H

#include "common/error.h"
#include "core/cgroup.h"

/* Host memory a sandbox may use beyond its guest's RAM: QEMU itself (under
 * TCG mostly the 32 MiB translation cache), virtiofsd, the log writer and
 * the page cache of the files they write (bench/RESULTS.md). */
#define EB_RUNV_HOST_OVERHEAD_MIB 192
#define EB_RUNV_PIDS_MAX 1024

/* Create the cgroup SPEC_PATH names (NULL: /edgebox/SID), bound to
 * GUEST_MIB + EB_RUNV_HOST_OVERHEAD_MIB of memory and EB_RUNV_PIDS_MAX
 * tasks; its path is recorded in DIR/cgroup for the teardown. */
int eb_podcg_create(const char *dir, const char *spec_path, const char *sid, unsigned guest_mib,
                    eb_cgroup_t **out, eb_error_t *err);
/* Kill whatever is left in the cgroup DIR records, remove it. */
void eb_podcg_destroy(const char *dir);

#endif
