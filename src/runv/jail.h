/* jail.h - the second wall: what QEMU and virtiofsd may see and do on the
 * host (docs/runv.md, "Confinement").
 *
 * A jailed process gets, in the forked child before exec, a mount
 * namespace whose root is a fresh tmpfs holding only /usr (read-only),
 * the host's /bin, /lib... symlinks, a few device nodes, the dynamic
 * loader's cache and the paths listed in the jail (bound at the same
 * path, so command lines keep the host's paths); pivot_root into it, the
 * host's tree detached.  Then rlimits, optionally a drop to an
 * unprivileged uid/gid with no capabilities at all, no_new_privs and a
 * seccomp filter denying what no device emulator or file server needs. */
#ifndef EB_RUNV_JAIL_H
#define EB_RUNV_JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

#define EB_JAIL_MAX_BINDS 8
#define EB_JAIL_UID_SLOTS 4096
/* The first uid of the sandboxes' range (EDGEBOX_RUNV_UID_BASE overrides):
 * far above login users and the ranges /etc/subuid usually hands out. */
#define EB_JAIL_UID_BASE 1879048192u

typedef struct {
    const char *root;                       /* an empty directory the new root is mounted on */
    const char *bind[EB_JAIL_MAX_BINDS];    /* host paths seen at the same path */
    bool bind_rw[EB_JAIL_MAX_BINDS];        /* default read-only */
    size_t nbind;
    bool proc_dir;                          /* an empty /proc (virtiofsd mounts its own there) */
    bool dev_kvm;                           /* /dev/kvm, and its group for a dropped uid */
    uid_t uid;                              /* 0: stay root (virtiofsd: it serves files of any owner) */
    gid_t gid;
    unsigned long nofile, nproc;            /* rlimits; 0 leaves one as it is */
} eb_jail_t;

/* Enter the jail: called in the forked child, before exec.  Fails with
 * ERR filled; the caller then exits without exec. */
int eb_jail_enter(const eb_jail_t *j, eb_error_t *err);

/* Claim a uid of its own for a sandbox: a slot of the range, held by an
 * flock on /run/edgebox/.runv-uids/<slot> (so a monitor that dies frees it
 * with no clean-up).  *LOCK_FD is the lock to keep open (O_CLOEXEC). */
int eb_jail_claim_uid(uid_t *uid, int *lock_fd, eb_error_t *err);

/* Whether confinement is off (EDGEBOX_RUNV_CONFINE=0: for the benchmark's
 * comparison only; `edgebox check` says so). */
bool eb_jail_disabled(void);

#endif
