/* cgroup.h - the container's cgroup, v1 or v2 behind one interface.
 *
 * A container's cgroup is named by one path ("/edgebox/ID"), which each
 * back-end maps onto its hierarchies: every mounted v1 hierarchy (plus the
 * unified one in hybrid mode, where hugetlb may live), or the single v2
 * tree.  The handle can be rebuilt from the path and version stored in the
 * container state, so every CLI command reopens it cheaply. */
#ifndef EB_CGROUP_H
#define EB_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "spec/spec.h"

typedef struct eb_cgroup eb_cgroup_t;
typedef struct eb_stats eb_stats_t;

/* Which layout the host has: 2 for a pure cgroup2 mount at /sys/fs/cgroup,
 * 1 for v1 (legacy or hybrid), 0 when no cgroup filesystem is mounted. */
int eb_cgroup_host_version(void);

/* Resolve SPEC_PATH (linux.cgroupsPath; NULL or "" picks /edgebox/ID) to an
 * absolute cgroup path.  A relative path is taken relative to the caller's
 * own cgroup, as runc does. */
char *eb_cgroup_resolve_path(const char *spec_path, const char *id);

/* Create the cgroup directories (and parents, with cpuset and controller
 * set-up) for PATH.  Fails with EEXIST semantics never: a leftover directory
 * of the same name is reused only when it holds no process. */
int eb_cgroup_create(const char *path, eb_cgroup_t **out, eb_error_t *err);
/* Rebuild a handle for an existing cgroup without creating anything. */
eb_cgroup_t *eb_cgroup_open(const char *path, int version);
void eb_cgroup_free(eb_cgroup_t *cg);
static inline void eb_cgroup_freep(eb_cgroup_t **cg) { eb_cgroup_free(*cg); }
#define _cleanup_cgroup_ __attribute__((cleanup(eb_cgroup_freep)))

const char *eb_cgroup_path(const eb_cgroup_t *cg);
int eb_cgroup_version(const eb_cgroup_t *cg);

int eb_cgroup_enter(eb_cgroup_t *cg, pid_t pid, eb_error_t *err);
/* Apply RES.  UPDATE is true for `edgebox update` (only given values change). */
int eb_cgroup_apply(eb_cgroup_t *cg, const eb_resources_t *res, const eb_spec_t *spec,
                    bool update, eb_error_t *err);
/* Pids of all processes in the cgroup (heap array). */
int eb_cgroup_pids(eb_cgroup_t *cg, pid_t **pids, size_t *n, eb_error_t *err);
int eb_cgroup_freeze(eb_cgroup_t *cg, bool freeze, eb_error_t *err);
/* 1 frozen, 0 thawed, -1 unknown (no freezer). */
int eb_cgroup_is_frozen(eb_cgroup_t *cg);
/* Signal every process in the cgroup. */
int eb_cgroup_signal_all(eb_cgroup_t *cg, int sig, eb_error_t *err);
/* Kill every process and remove the directories.  Missing directories are
 * not an error: destroy is idempotent so that delete --force can repeat it. */
int eb_cgroup_destroy(eb_cgroup_t *cg, eb_error_t *err);
int eb_cgroup_stats(eb_cgroup_t *cg, eb_stats_t *st, eb_error_t *err);
/* An fd that becomes readable on OOM (v1: eventfd via cgroup.event_control;
 * v2: inotify on memory.events).  eb_cgroup_oom_count reads the counter. */
int eb_cgroup_oom_watch(eb_cgroup_t *cg, eb_error_t *err);
uint64_t eb_cgroup_oom_count(eb_cgroup_t *cg);

/* Device access rules in force: the spec's, then the defaults every
 * container gets (null, zero, full, random, urandom, tty, ptmx, pts, and
 * mknod of anything).  Exported for the eBPF generator's unit test. */
size_t eb_cgroup_device_rules(const eb_resources_t *res, const eb_spec_t *spec,
                              eb_device_rule_t **out);

/* v2: build and attach the BPF_CGROUP_DEVICE program enforcing RULES on
 * the cgroup directory DIRFD. */
int eb_cgroup_bpf_devices(int dirfd, const eb_device_rule_t *rules, size_t n, eb_error_t *err);
/* Build the program only (for tests): returns instruction count or -1. */
int eb_cgroup_bpf_build(const eb_device_rule_t *rules, size_t n, void **insns, eb_error_t *err);



/* Mount the container's view of its cgroup at TARGET (an absolute path in
 * the caller's mount namespace): with a cgroup namespace the real cgroup
 * filesystems (rooted at the container's cgroup), without one read-only
 * binds of the container's directories. */
int eb_cgroup_mount(eb_cgroup_t *cg, const char *target, unsigned long flags, bool cgroupns,
                    eb_error_t *err);
#endif
