/* sample.h - one measurement of one container of either class: who it is
 * (pod identity from the CRI annotations of its config.json) and its
 * resource usage.  runc: the host cgroup (v1 or v2) and the container's
 * network namespace; runv: the same numbers measured inside the guest by
 * the agent, validated on the way in.  `edgebox events --stats` and
 * edgebox-stats both measure through here. */
#ifndef EB_STATS_SAMPLE_H
#define EB_STATS_SAMPLE_H

#include "common/error.h"
#include "core/stats.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct eb_sample {
    char *id;
    const char *klass;            /* the isolation class: "runc" or "runv" */
    bool host_view;               /* measured on the host: its block devices are the host's */
    /* from the CRI annotations (containerd's or CRI-O's); NULL without */
    char *sandbox_id, *pod_name, *pod_namespace, *pod_uid, *container_name, *image;
    int is_sandbox;               /* the pod's sandbox (pause) container */
    char *cgroup;                 /* the cgroup path, cAdvisor's "id" label */
    char *rootfs;                 /* on the host (runv: shared with the guest) */
    pid_t pid;
    double created;               /* unix seconds */
    uint64_t time_ns;             /* wall clock of the measurement */
    eb_stats_t st;
    uint64_t rootfs_bytes, rootfs_inodes;  /* writable layer, when measured */
    int have_rootfs;
} eb_sample_t;

/* Measure container ID under ROOT.  -1 when it is not running (ENOENT,
 * ESRCH) or can't be measured; the identity is filled either way. */
int eb_sample_collect(const char *root, const char *id, eb_sample_t *s, eb_error_t *err);
/* The writable layer's size: the upper dir of an overlay rootfs, or the
 * rootfs directory itself; at most MAX_ENTRIES entries are walked. */
int eb_sample_rootfs_usage(eb_sample_t *s, size_t max_entries);
void eb_sample_free(eb_sample_t *s);

#endif
