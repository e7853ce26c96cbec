/* podcg.c - the sandbox's host cgroup (podcg.h), made and undone with
 * src/core's cgroup code. */
#include "runv/podcg.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int eb_podcg_create(const char *dir, const char *spec_path, const char *sid, unsigned guest_mib,
                    eb_cgroup_t **out, eb_error_t *err)
{
    _cleanup_free_ char *path = eb_cgroup_resolve_path(spec_path, sid);
    eb_resources_t res = { 0 };
    eb_cgroup_t *cg = NULL;

    if (eb_write_file_atomic(dir, "cgroup", path, strlen(path), err) < 0)
        return -1;
    if (eb_cgroup_create(path, &cg, err) < 0)
        return eb_error_wrap(err, "the sandbox's cgroup");
    res.memory.limit.set = true;
    res.memory.limit.v = ((int64_t) guest_mib + EB_RUNV_HOST_OVERHEAD_MIB) << 20;
    res.pids_limit.set = true;
    res.pids_limit.v = EB_RUNV_PIDS_MAX;
    /* update: only these values, no device rules (QEMU opens /dev/kvm). */
    if (eb_cgroup_apply(cg, &res, NULL, true, err) < 0) {
        eb_error_t ign = { 0 };
        eb_cgroup_destroy(cg, &ign);
        eb_cgroup_free(cg);
        return eb_error_wrap(err, "limit the sandbox's cgroup %s", path);
    }
    *out = cg;
    return 0;
}

void eb_podcg_destroy(const char *dir)
{
    _cleanup_free_ char *file = eb_strdup_printf("%s/cgroup", dir), *path = NULL;
    eb_error_t err = { 0 };
    eb_cgroup_t *cg;
    size_t len;

    if (eb_read_file(file, 4096, &path, &len, &err) < 0)
        return;
    cg = eb_cgroup_open(path, eb_cgroup_host_version());
    if (cg && eb_cgroup_destroy(cg, &err) < 0)
        eb_warn("sandbox %s: cgroup %s: %s", dir, path, err.msg);
    eb_cgroup_free(cg);
    unlink(file);
}
