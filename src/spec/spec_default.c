/* spec_default.c - the configuration `edgebox spec` writes.
 *
 * Hardened by default, unlike runc's and crun's: a seccomp allowlist
 * (anything not listed fails with EPERM; namespace creation, the mount API,
 * module and kexec calls, keyrings, bpf, perf, ptrace, io_uring and
 * userfaultfd are not listed), runc's minimal capability set,
 * noNewPrivileges, and the usual masked/read-only /proc and /sys paths. */
#include "spec/spec.h"
#include "common/util.h"

#include <json-c/json.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

/* Ordinary process work: files, memory, signals, time, sockets, scheduling
 * of oneself, and the id/capability calls needed after exec (their power is
 * limited by the capability sets, not by seccomp). */
static const char *const allowed_syscalls[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk",
    "capget", "capset", "chdir", "chmod", "chown", "chown32", "chroot", "clock_adjtime",
    "clock_getres", "clock_gettime", "clock_nanosleep", "close", "close_range", "connect",
    "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
    "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait", "eventfd", "eventfd2", "execve",
    "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fallocate",
    "fchdir", "fchmod", "fchmodat", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr",
    "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync",
    "ftruncate", "futex", "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents",
    "getdents64", "getegid", "geteuid", "getgid", "getgroups", "getitimer", "getpeername",
    "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresuid", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
    "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getxattr",
    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
    "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "ioprio_get", "ioprio_set",
    "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lgetxattr", "link", "linkat", "listen", "listxattr",
    "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
    "mlock2", "mlockall", "mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv",
    "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
    "newfstatat", "open", "openat", "openat2", "pause", "pidfd_getfd", "pidfd_open",
    "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
    "ppoll", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
    "pselect6", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
    "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages",
    "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
    "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_getaffinity",
    "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
    "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
    "semget", "semop", "semtimedop", "send", "sendfile", "sendmmsg", "sendmsg", "sendto",
    "setfsgid", "setfsuid", "setgid", "setgroups", "setitimer", "setpgid", "setpriority",
    "setregid", "setresgid", "setresuid", "setreuid", "setrlimit", "set_robust_list",
    "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setxattr",
    "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
    "socketpair", "splice", "stat", "statfs", "statx", "symlink", "symlinkat",
    "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create",
    "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask", "uname",
    "unlink", "unlinkat", "utime", "utimensat", "utimes", "vfork", "vmsplice", "wait4",
    "waitid", "write", "writev", NULL,
};

static json_object *strv(const char *const *v)
{
    json_object *a = json_object_new_array();
    for (; *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

/* An object of KEY, VALUE pairs (keys in this order), ending at a NULL key. */
static json_object *obj(const char *key, ...)
{
    json_object *o = json_object_new_object();
    va_list ap;
    va_start(ap, key);
    for (; key; key = va_arg(ap, const char *))
        json_object_object_add(o, key, va_arg(ap, json_object *));
    va_end(ap);
    return o;
}

static json_object *str(const char *s) { return json_object_new_string(s); }

static json_object *mount_obj(const char *dst, const char *type, const char *src,
                              const char *const *opts)
{
    return obj("destination", str(dst), "type", str(type), "source", str(src), "options", strv(opts), NULL);
}

static json_object *rule(const char *const *names, const char *action)
{
    return obj("names", strv(names), "action", str(action), NULL);
}

static json_object *arg(unsigned index, uint64_t value, uint64_t value_two, const char *op)
{
    return obj("index", json_object_new_int((int32_t) index), "value", json_object_new_uint64(value),
               "valueTwo", json_object_new_uint64(value_two), "op", str(op), NULL);
}

static json_object *default_seccomp(void)
{
    static const char *const clone_n[] = { "clone", NULL };
    static const char *const clone3_n[] = { "clone3", NULL };
    static const char *const pers_n[] = { "personality", NULL };
    static const char *const sock_n[] = { "socket", NULL };
    /* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME */
    const uint64_t ns_mask = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
                           | 0x20000000 | 0x40000000 | 0x00000080;
    static const uint64_t personas[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
    json_object *s = json_object_new_object(), *sys = json_object_new_array(), *r, *args;
    size_t i;

    json_object_object_add(s, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO"));
    json_object_object_add(s, "defaultErrnoRet", json_object_new_int(EPERM));
    {
        static const char *const archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
        json_object_object_add(s, "architectures", strv(archs));
    }
    json_object_array_add(sys, rule(allowed_syscalls, "SCMP_ACT_ALLOW"));
    /* clone without any namespace flag: threads and fork work, unshare by
     * clone does not. */
    r = rule(clone_n, "SCMP_ACT_ALLOW");
    args = json_object_new_array();
    json_object_array_add(args, arg(0, ns_mask, 0, "SCMP_CMP_MASKED_EQ"));
    json_object_object_add(r, "args", args);
    json_object_array_add(sys, r);
    /* clone3 passes flags in memory seccomp can't read: ENOSYS makes libc
     * fall back to clone, which is filtered above. */
    r = rule(clone3_n, "SCMP_ACT_ERRNO");
    json_object_object_add(r, "errnoRet", json_object_new_int(ENOSYS));
    json_object_array_add(sys, r);
    for (i = 0; i < sizeof(personas) / sizeof(personas[0]); i++) {
        r = rule(pers_n, "SCMP_ACT_ALLOW");
        args = json_object_new_array();
        json_object_array_add(args, arg(0, personas[i], 0, "SCMP_CMP_EQ"));
        json_object_object_add(r, "args", args);
        json_object_array_add(sys, r);
    }
    /* Any socket family but AF_VSOCK (40), the way out of a guest to its
     * host: the microVM class runs this profile inside the guest too. */
    r = rule(sock_n, "SCMP_ACT_ALLOW");
    args = json_object_new_array();
    json_object_array_add(args, arg(0, 40, 0, "SCMP_CMP_NE"));
    json_object_object_add(r, "args", args);
    json_object_array_add(sys, r);
    json_object_object_add(s, "syscalls", sys);
    return s;
}

static json_object *default_process(void)
{
    static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
    static const char *const args[] = { "sh", NULL };
    static const char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
    json_object *rl = json_object_new_array();
    json_object_array_add(rl, obj("type", str("RLIMIT_NOFILE"), "hard", json_object_new_int(1024),
                                  "soft", json_object_new_int(1024), NULL));
    return obj("terminal", json_object_new_boolean(1),
               "user", obj("uid", json_object_new_int(0), "gid", json_object_new_int(0), NULL),
               "args", strv(args), "env", strv(env), "cwd", str("/"),
               "capabilities", obj("bounding", strv(caps), "effective", strv(caps), "permitted", strv(caps),
                                   "ambient", strv(caps), NULL),
               "rlimits", rl, "noNewPrivileges", json_object_new_boolean(1), NULL);
}

static json_object *default_mounts(bool rootless)
{
    static const char *const o_proc[] = { "nosuid", "noexec", "nodev", NULL };
    static const char *const o_dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
    static const char *const o_pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                         "mode=0620", "gid=5", NULL };
    static const char *const o_pts_rl[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                            "mode=0620", NULL };
    static const char *const o_shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
    static const char *const o_mq[] = { "nosuid", "noexec", "nodev", NULL };
    static const char *const o_sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
    static const char *const o_sys_rl[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
    static const char *const o_cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
    json_object *m = json_object_new_array();
    json_object_array_add(m, mount_obj("/proc", "proc", "proc", o_proc));
    json_object_array_add(m, mount_obj("/dev", "tmpfs", "tmpfs", o_dev));
    json_object_array_add(m, mount_obj("/dev/pts", "devpts", "devpts", rootless ? o_pts_rl : o_pts));
    json_object_array_add(m, mount_obj("/dev/shm", "tmpfs", "shm", o_shm));
    json_object_array_add(m, mount_obj("/dev/mqueue", "mqueue", "mqueue", o_mq));
    if (rootless)
        json_object_array_add(m, mount_obj("/sys", "none", "/sys", o_sys_rl));
    else {
        json_object_array_add(m, mount_obj("/sys", "sysfs", "sysfs", o_sys));
        json_object_array_add(m, mount_obj("/sys/fs/cgroup", "cgroup", "cgroup", o_cg));
    }
    return m;
}

/* A single mapping of the caller's ID to root. */
static json_object *idmap(unsigned id)
{
    json_object *a = json_object_new_array();
    json_object_array_add(a, obj("containerID", json_object_new_int(0), "hostID", json_object_new_int64(id),
                                 "size", json_object_new_int(1), NULL));
    return a;
}

static json_object *default_linux(bool rootless, uid_t uid, gid_t gid)
{
    static const char *const masked[] = {
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap", NULL };
    static const char *const ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger", NULL };
    static const char *const ns_full[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
    static const char *const ns_rl[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };
    json_object *lx = json_object_new_object(), *a;
    const char *const *ns;

    if (rootless) {
        json_object_object_add(lx, "uidMappings", idmap(uid));
        json_object_object_add(lx, "gidMappings", idmap(gid));
    } else {
        json_object *devs = json_object_new_array();
        json_object_array_add(devs, obj("allow", json_object_new_boolean(0), "access", str("rwm"), NULL));
        json_object_object_add(lx, "resources", obj("devices", devs, NULL));
    }
    a = json_object_new_array();
    for (ns = rootless ? ns_rl : ns_full; *ns; ns++)
        json_object_array_add(a, obj("type", str(*ns), NULL));
    json_object_object_add(lx, "namespaces", a);
    json_object_object_add(lx, "seccomp", default_seccomp());
    json_object_object_add(lx, "maskedPaths", strv(masked));
    json_object_object_add(lx, "readonlyPaths", strv(ro));
    return lx;
}

char *eb_spec_default_json(bool rootless, uid_t uid, gid_t gid)
{
    json_object *root = obj("ociVersion", str(EB_SPEC_OCI_VERSION), "process", default_process(),
                            "root", obj("path", str("rootfs"), "readonly", json_object_new_boolean(1), NULL),
                            "hostname", str("edgebox"), "mounts", default_mounts(rootless),
                            "linux", default_linux(rootless, uid, gid), NULL);
    char *out = eb_xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY
                                                                | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}
