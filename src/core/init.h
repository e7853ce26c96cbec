/* init.h - the child side of create and exec.
 *
 * Stage 1 (forked by the runtime) joins the namespaces given by path,
 * creates the user namespace (the runtime writes the id maps) and the
 * other new namespaces, then clones stage 2 as a sibling (CLONE_PARENT) so
 * the runtime is its parent, reports its pid, and exits.  Stage 2 is the
 * container's init (create) or the exec'd process (exec). */
#ifndef EB_INIT_H
#define EB_INIT_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/cgroup.h"
#include "core/seccomp_filter.h"
#include "spec/spec.h"

typedef struct eb_init_ctx {
    const eb_spec_t *spec;
    const eb_process_t *process;
    const char *bundle, *rootfs;
    eb_cgroup_t *cg;
    eb_seccomp_filter_t *filter; /* compiled by the runtime, NULL for none */
    int sync_fd;
    int lock_fd;               /* the runtime's state lock: closed at once */
    int fifo_fd;               /* create: O_PATH fd of exec.fifo; exec: -1 */
    int preserve_fds;
    const int *stdio;          /* fds for 0, 1, 2; NULL keeps the runtime's */
    bool no_pivot;
    bool is_exec;
    bool want_console;         /* send the pty master to the runtime */
    pid_t parent;
    int join_fds[EB_NS_TYPES]; /* namespaces to setns() into, -1 when none */
    int new_flags;             /* CLONE_NEW* to create */
} eb_init_ctx_t;

__attribute__((noreturn)) void eb_init_stage1(eb_init_ctx_t *ctx);

/* Mounts are made only in a mount namespace of the container's own.  One
 * joined by path is another's (a pod's): nothing is mounted there and the
 * rootfs is entered by chroot; without any, the same (docs/oci-spec.md). */
static inline bool eb_init_new_mount_ns(const eb_spec_t *spec)
{
    return spec->namespaces[EB_NS_MNT].present && spec->namespaces[EB_NS_MNT].path == NULL;
}

#endif
