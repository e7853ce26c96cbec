/* jail.c - the mount namespace, identity and system calls of a jailed
 * QEMU or virtiofsd (jail.h says what the jail holds; docs/runv.md why). */
#include "runv/jail.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define UID_LOCK_DIR "/run/edgebox/.runv-uids"

/* The empty file or directory a bind of HOST (a file or not) is mounted on. */
static int make_target(const char *target, bool file, eb_error_t *err)
{
    _cleanup_free_ char *parent = eb_xstrdup(target);
    int fd;

    *strrchr(parent, '/') = 0;
    if (parent[0] && eb_mkdir_p(parent, 0755, err) < 0)
        return -1;
    if (!file)
        return mkdir(target, 0755) < 0 && errno != EEXIST ? eb_error_set(err, errno, "mkdir %s", target) : 0;
    fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return eb_error_set(err, errno, "create %s", target);
    close(fd);
    return 0;
}

/* HOST seen at ROOT/HOST (the same path inside), read-only unless RW. */
static int bind_at(const char *root, const char *host, bool rw, eb_error_t *err)
{
    _cleanup_free_ char *target = eb_strdup_printf("%s%s", root, host);
    struct stat st;

    if (stat(host, &st) < 0)
        return eb_error_set(err, errno, "jail: stat %s", host);
    if (make_target(target, !S_ISDIR(st.st_mode), err) < 0)
        return -1;
    if (mount(host, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        return eb_error_set(err, errno, "jail: bind %s", host);
    /* The remount keeps nosuid/nodev (the kernel refuses to drop them). */
    if (!rw && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL) < 0)
        return eb_error_set(err, errno, "jail: make %s read-only", host);
    return 0;
}

/* A merged-/usr host's /bin, /lib... are symlinks into /usr: copied as
 * such; on a host where one is a directory it is bound read-only. */
static int root_links(const char *root, eb_error_t *err)
{
    static const char *const names[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
    char target[PATH_MAX];
    size_t i;

    for (i = 0; i < EB_ARRAY_SIZE(names); i++) {
        _cleanup_free_ char *link = eb_strdup_printf("%s%s", root, names[i]);
        struct stat st;
        ssize_t n;

        if (lstat(names[i], &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (bind_at(root, names[i], false, err) < 0)
                return -1;
            continue;
        }
        if (!S_ISLNK(st.st_mode) || (n = readlink(names[i], target, sizeof(target) - 1)) < 0)
            continue;
        target[n] = 0;
        if (symlink(target, link) < 0)
            return eb_error_set(err, errno, "jail: symlink %s", link);
    }
    return 0;
}

/* The new root: a small tmpfs with only what the process needs. */
static int build_root(const eb_jail_t *j, eb_error_t *err)
{
    static const char *const devs[] = { "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random" };
    size_t i;

    if (mount("tmpfs", j->root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
        return eb_error_set(err, errno, "jail: mount a tmpfs on %s", j->root);
    if (bind_at(j->root, "/usr", false, err) < 0 || root_links(j->root, err) < 0)
        return -1;
    for (i = 0; i < EB_ARRAY_SIZE(devs); i++)
        if (bind_at(j->root, devs[i], true, err) < 0)
            return -1;
    if (j->dev_kvm && bind_at(j->root, "/dev/kvm", true, err) < 0)
        return -1;
    /* The loader finds libraries without its cache too, but slower. */
    if (access("/etc/ld.so.cache", R_OK) == 0 && bind_at(j->root, "/etc/ld.so.cache", false, err) < 0)
        return -1;
    for (i = 0; i < j->nbind; i++)
        if (bind_at(j->root, j->bind[i], j->bind_rw[i], err) < 0)
            return -1;
    if (j->proc_dir) {
        _cleanup_free_ char *proc = eb_strdup_printf("%s/proc", j->root);
        if (make_target(proc, false, err) < 0)
            return -1;
    }
    return 0;
}

/* pivot_root(".", "."): the old root ends up stacked under the new one
 * and is detached, as Firecracker's jailer does. */
static int pivot(const char *root, eb_error_t *err)
{
    if (chdir(root) < 0)
        return eb_error_set(err, errno, "jail: chdir %s", root);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return eb_error_set(err, errno, "jail: pivot_root into %s", root);
    if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        return eb_error_set(err, errno, "jail: detach the host's root");
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        return eb_error_set(err, errno, "jail: make the new root read-only");
    return 0;
}

static int limits(const eb_jail_t *j, eb_error_t *err)
{
    struct rlimit zero = { 0, 0 };
    struct rlimit nofile = { j->nofile, j->nofile }, nproc = { j->nproc, j->nproc };

    /* No core dump: it would hold the guest's memory. */
    if (setrlimit(RLIMIT_CORE, &zero) < 0 || (j->nofile && setrlimit(RLIMIT_NOFILE, &nofile) < 0)
        || (j->nproc && setrlimit(RLIMIT_NPROC, &nproc) < 0))
        return eb_error_set(err, errno, "jail: setrlimit");
    return 0;
}

/* To J's uid and gid with no capability left, not even in the bounding
 * set; /dev/kvm's group kept as the one supplementary group. */
static int drop_identity(const eb_jail_t *j, eb_error_t *err)
{
    gid_t groups[1];
    size_t ngroups = 0;
    struct stat st;
    int cap;

    if (j->dev_kvm && stat("/dev/kvm", &st) == 0 && st.st_gid != 0)
        groups[ngroups++] = st.st_gid;
    for (cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return eb_error_set(err, errno, "jail: drop capability %d from the bounding set", cap);
    if (setgroups(ngroups, groups) < 0 || setresgid(j->gid, j->gid, j->gid) < 0
        || setresuid(j->uid, j->uid, j->uid) < 0)
        return eb_error_set(err, errno, "jail: become %u:%u", (unsigned) j->uid, (unsigned) j->gid);
    /* Leaving uid 0 cleared the permitted and effective sets; the ambient
     * set goes with them, checked rather than assumed. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return eb_error_set(err, errno, "jail: clear the ambient capabilities");
    return 0;
}

/* Denied to both processes, beyond QEMU's own -sandbox and virtiofsd's
 * allowlist: the kernel's attack surface neither uses, and the calls that
 * reach out of a jail (file handles, other namespaces, other processes). */
static int deny_filter(eb_error_t *err)
{
    static const char *const deny[] = {
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf",
        "perf_event_open", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "keyctl", "add_key",
        "request_key", "reboot", "swapon", "swapoff", "open_by_handle_at", "userfaultfd", "acct",
        "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm", "syslog", "quotactl",
        "lookup_dcookie", "setns", "chroot", "fsopen", "fsmount", "fspick", "open_tree", "move_mount",
        "mount_setattr", "name_to_handle_at", "pidfd_getfd", "io_uring_setup",
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    size_t i;
    int rc = 0;

    if (ctx == NULL)
        return eb_error_set(err, ENOMEM, "jail: seccomp_init");
    for (i = 0; i < EB_ARRAY_SIZE(deny) && rc == 0; i++) {
        int nr = seccomp_syscall_resolve_name(deny[i]);
        if (nr != __NR_SCMP_ERROR)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc < 0 ? eb_error_set(err, -rc, "jail: load the seccomp filter") : 0;
}

int eb_jail_enter(const eb_jail_t *j, eb_error_t *err)
{
    /* Slave, not private: the sandbox's shared directory keeps receiving
     * the rootfs and volumes the monitor binds under it later. */
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return eb_error_set(err, errno, "jail: a mount namespace of its own");
    if (build_root(j, err) < 0 || pivot(j->root, err) < 0 || limits(j, err) < 0)
        return -1;
    if (j->uid != 0 && drop_identity(j, err) < 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return eb_error_set(err, errno, "jail: no_new_privs");
    return deny_filter(err);
}

static uid_t uid_base(void)
{
    const char *b = getenv("EDGEBOX_RUNV_UID_BASE");
    uint64_t v;

    if (b && eb_parse_u64(b, &v) == 0 && v >= 1000 && v + EB_JAIL_UID_SLOTS < UINT32_MAX)
        return (uid_t) v;
    return EB_JAIL_UID_BASE;
}

int eb_jail_claim_uid(uid_t *uid, int *lock_fd, eb_error_t *err)
{
    unsigned slot;

    if (eb_mkdir_p(UID_LOCK_DIR, 0700, err) < 0)
        return -1;
    for (slot = 0; slot < EB_JAIL_UID_SLOTS; slot++) {
        char path[64];
        int fd;

        snprintf(path, sizeof(path), UID_LOCK_DIR "/%u", slot);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return eb_error_set(err, errno, "open %s", path);
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            *uid = uid_base() + slot;
            *lock_fd = fd;
            return 0;
        }
        close(fd);
    }
    return eb_error_set(err, EAGAIN, "every one of the %u sandbox uids is in use (" UID_LOCK_DIR ")",
                        EB_JAIL_UID_SLOTS);
}

bool eb_jail_disabled(void)
{
    const char *c = getenv("EDGEBOX_RUNV_CONFINE");
    return c && strcmp(c, "0") == 0;
}
