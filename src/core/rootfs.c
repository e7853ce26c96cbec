/* rootfs.c - building the container's filesystem view.
 *
 * Mount destinations come from the (untrusted) image: they are resolved
 * with openat2(RESOLVE_IN_ROOT) so a symlink in the rootfs can never point
 * a mount outside it, and missing components are created beneath the
 * resolved parent. */
#include "core/rootfs.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static const struct { const char *name; bool clear; unsigned long flag; } mflags[] = {
    { "ro", false, MS_RDONLY }, { "rw", true, MS_RDONLY }, { "nosuid", false, MS_NOSUID },
    { "suid", true, MS_NOSUID }, { "nodev", false, MS_NODEV }, { "dev", true, MS_NODEV },
    { "noexec", false, MS_NOEXEC }, { "exec", true, MS_NOEXEC }, { "sync", false, MS_SYNCHRONOUS },
    { "async", true, MS_SYNCHRONOUS }, { "dirsync", false, MS_DIRSYNC }, { "remount", false, MS_REMOUNT },
    { "mand", false, MS_MANDLOCK }, { "nomand", true, MS_MANDLOCK }, { "atime", true, MS_NOATIME },
    { "noatime", false, MS_NOATIME }, { "diratime", true, MS_NODIRATIME },
    { "nodiratime", false, MS_NODIRATIME }, { "relatime", false, MS_RELATIME },
    { "norelatime", true, MS_RELATIME }, { "strictatime", false, MS_STRICTATIME },
    { "nostrictatime", true, MS_STRICTATIME }, { "bind", false, MS_BIND },
    { "rbind", false, MS_BIND | MS_REC }, { "silent", false, MS_SILENT }, { "loud", true, MS_SILENT },
    { "nosymfollow", false, MS_NOSYMFOLLOW },
};
static const struct { const char *name; unsigned long flag; } pflags[] = {
    { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC }, { "shared", MS_SHARED },
    { "rshared", MS_SHARED | MS_REC }, { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

int eb_mount_parse_options(const char *const *opts, unsigned long *flags, unsigned long *clear,
                           unsigned long *propagation, char **data, eb_error_t *err)
{
    size_t i, k, dlen = 0;
    *flags = *clear = *propagation = 0;
    *data = eb_xcalloc(1, 1);
    for (i = 0; opts && opts[i]; i++) {
        const char *o = opts[i];
        int done = 0;
        for (k = 0; k < EB_ARRAY_SIZE(mflags) && !done; k++)
            if (strcmp(o, mflags[k].name) == 0) {
                if (mflags[k].clear) {
                    *flags &= ~mflags[k].flag;
                    *clear |= mflags[k].flag;
                } else {
                    *flags |= mflags[k].flag;
                }
                done = 1;
            }
        for (k = 0; k < EB_ARRAY_SIZE(pflags) && !done; k++)
            if (strcmp(o, pflags[k].name) == 0) {
                *propagation = pflags[k].flag;
                done = 1;
            }
        if (done)
            continue;
        if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
            free(*data);
            *data = NULL;
            return eb_error_set(err, ENOTSUP, "mount option `%s` (idmapped mounts) is not supported", o);
        }
        if (strcmp(o, "tmpcopyup") == 0 || strcmp(o, "defaults") == 0 || o[0] == 0)
            continue;
        if (o[0] == 'r' && (strcmp(o, "rro") == 0 || strcmp(o, "rrw") == 0 || strcmp(o, "rnosuid") == 0
                            || strcmp(o, "rnodev") == 0 || strcmp(o, "rnoexec") == 0)) {
            /* Recursive attributes: apply the flag to the top mount. */
            for (k = 0; k < EB_ARRAY_SIZE(mflags); k++)
                if (strcmp(o + 1, mflags[k].name) == 0 && !mflags[k].clear)
                    *flags |= mflags[k].flag;
            continue;
        }
        if (strlen(o) > 4096) {
            free(*data);
            *data = NULL;
            return eb_error_set(err, EINVAL, "mount option too long");
        }
        *data = eb_xrealloc(*data, dlen + strlen(o) + 2);
        if (dlen)
            (*data)[dlen++] = ',';
        strcpy(*data + dlen, o);
        dlen += strlen(o);
    }
    return 0;
}

/* The real path of FD (closed here), from its /proc link. */
static char *fd_path(int fd, eb_error_t *err)
{
    char link[64], real[PATH_MAX];
    ssize_t n;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, real, sizeof(real) - 1);
    close(fd);
    if (n < 0) {
        eb_error_set(err, errno, "readlink `%s`", link);
        return NULL;
    }
    real[n] = 0;
    return eb_xstrdup(real);
}

static int open_in_root(int rootfd, const char *path)
{
    struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
    /* "" (the root itself, e.g. cwd "/") is "." to openat2. */
    return (int) syscall(SYS_openat2, rootfd, path[0] ? path : ".", &how, sizeof(how));
}

/* Resolve DEST beneath ROOTFD (the rootfs at ROOTFS) and return its real
 * path, creating what is missing: directories, and for the last component
 * a file when FILE (a file bind mount needs a file to land on). */
static char *mount_target(int rootfd, const char *rootfs, const char *dest, bool file, eb_error_t *err)
{
    _cleanup_free_ char *parent = eb_xstrdup(dest), *rparent = NULL;
    _cleanup_close_ int pfd = -1;
    const char *last = strrchr(dest, '/') ? strrchr(dest, '/') + 1 : dest;
    char *slash;
    int fd = open_in_root(rootfd, dest[0] == '/' ? dest + 1 : dest);

    if (fd >= 0)
        return fd_path(fd, err);
    if (errno != ENOENT) {
        eb_error_set(err, errno, "resolve `%s` in the rootfs", dest);
        return NULL;
    }
    /* Create the parent chain inside the root, then the last component. */
    slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = 0;
        rparent = mount_target(rootfd, rootfs, parent, false, err);
        if (rparent == NULL)
            return NULL;
    } else {
        rparent = eb_xstrdup(rootfs);
    }
    if (strncmp(rparent, rootfs, strlen(rootfs)) != 0) {
        eb_error_set(err, EXDEV, "`%s` resolves outside the rootfs", dest);
        return NULL;
    }
    if (last[0] == 0) /* DEST ends in '/': the parent is the target */
        return eb_steal_ptr(rparent);
    pfd = open(rparent, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (pfd < 0) {
        eb_error_set(err, errno, "open `%s`", rparent);
        return NULL;
    }
    if (file) {
        int f = openat(pfd, last, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) {
            eb_error_set(err, errno, "create mount point `%s`", dest);
            return NULL;
        }
        if (f >= 0)
            close(f);
    } else if (mkdirat(pfd, last, 0755) < 0 && errno != EEXIST) {
        eb_error_set(err, errno, "mkdir `%s` in the rootfs (for `%s`)", last, dest);
        return NULL;
    }
    /* The parent is the root of this lookup: a symlink planted as the last
     * component can't lead out of it. */
    fd = open_in_root(pfd, last);
    if (fd < 0) {
        eb_error_set(err, errno, "resolve `%s` in the rootfs", dest);
        return NULL;
    }
    return fd_path(fd, err);
}

static unsigned long locked_flags(const char *path)
{
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(path, &sv) < 0)
        return 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
    return f;
}

static int mount_one(const eb_spec_t *spec, const eb_mount_t *m, int rootfd, const char *rootfs,
                     eb_cgroup_t *cg, bool in_userns, eb_error_t *err)
{
    unsigned long flags, clear, prop;
    _cleanup_free_ char *data = NULL, *target = NULL;
    const char *type = m->type ? m->type : "";
    bool is_bind;
    struct stat sb;

    if (eb_mount_parse_options(m->options, &flags, &clear, &prop, &data, err) < 0)
        return eb_error_wrap(err, "mount `%s`", m->destination);
    is_bind = (flags & MS_BIND) || strcmp(type, "bind") == 0;
    if (is_bind) {
        if (m->source == NULL)
            return eb_error_set(err, EINVAL, "bind mount on `%s` has no source", m->destination);
        if (stat(m->source, &sb) < 0)
            return eb_error_set(err, errno, "bind mount source `%s`", m->source);
        flags |= MS_BIND;
    }
    target = mount_target(rootfd, rootfs, m->destination, is_bind && !S_ISDIR(sb.st_mode), err);
    if (target == NULL)
        return -1;
    if (strncmp(target, rootfs, strlen(rootfs)) != 0)
        return eb_error_set(err, EXDEV, "mount destination `%s` resolves outside the rootfs", m->destination);
    eb_debug("mount %s (%s) on %s", m->source ? m->source : "", type, target);
    if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
        if (cg == NULL)
            return 0;
        return eb_cgroup_mount(cg, target, flags, spec->namespaces[EB_NS_CGROUP].present, err);
    }
    if (is_bind) {
        if (mount(m->source, target, NULL, flags & (MS_BIND | MS_REC), NULL) < 0)
            return eb_error_set(err, errno, "bind mount `%s` on `%s`", m->source, m->destination);
        if (flags & ~(MS_BIND | MS_REC | MS_REMOUNT | MS_SILENT)) {
            unsigned long f = (flags & ~MS_REC) | MS_REMOUNT | MS_BIND;
            if (in_userns)
                f |= locked_flags(target) & ~MS_RDONLY;
            if (mount(NULL, target, NULL, f, NULL) < 0) {
                /* Flags locked by the user namespace: retry keeping them. */
                f |= locked_flags(target);
                if (mount(NULL, target, NULL, f, NULL) < 0)
                    return eb_error_set(err, errno, "remount bind `%s` with its options", m->destination);
            }
        }
    } else {
        int r = mount(m->source ? m->source : type, target, type, flags & ~MS_REMOUNT, data[0] ? data : NULL);
        if (r < 0 && (errno == EPERM || errno == EBUSY || errno == EINVAL)
            && (strcmp(type, "sysfs") == 0 || strcmp(type, "mqueue") == 0) && in_userns) {
            /* Not allowed without owning the net/ipc namespace: bind the
             * host's instead, read-only, as runc does rootless. */
            const char *src = strcmp(type, "sysfs") == 0 ? "/sys" : "/dev/mqueue";
            r = mount(src, target, NULL, MS_BIND | MS_REC, NULL);
            if (r == 0)
                r = mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(target), NULL);
        }
        if (r < 0)
            return eb_error_set(err, errno, "mount %s on `%s`", type[0] ? type : "(none)", m->destination);
    }
    if (prop && mount(NULL, target, NULL, prop, NULL) < 0)
        return eb_error_set(err, errno, "set propagation of `%s`", m->destination);
    return 0;
}

static int make_device(int rootfd, const char *rootfs, const char *path, char type, int64_t major,
                       int64_t minor, mode_t perm, uid_t uid, gid_t gid, bool in_userns, eb_error_t *err)
{
    _cleanup_free_ char *target = NULL, *parent = eb_xstrdup(path);
    char *slash = strrchr(parent, '/');
    mode_t mode = perm | (type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR);

    if (slash && slash != parent) {
        *slash = 0;
        _cleanup_free_ char *rp = mount_target(rootfd, rootfs, parent, false, err);
        if (rp == NULL)
            return -1;
        target = eb_strdup_printf("%s/%s", rp, slash + 1);
    } else {
        target = eb_strdup_printf("%s%s", rootfs, path);
    }
    if (unlink(target) < 0 && errno != ENOENT)
        return eb_error_set(err, errno, "remove existing `%s`", path);
    if (!in_userns || type == 'p') {
        if (mknod(target, mode, makedev((unsigned) major, (unsigned) minor)) < 0)
            return eb_error_set(err, errno, "mknod `%s`", path);
        if (chmod(target, perm) < 0 || chown(target, uid, gid) < 0)
            return eb_error_set(err, errno, "set owner and mode of `%s`", path);
        return 0;
    }
    /* A user namespace can't mknod: bind the host's node instead, found at
     * the same path or through /dev/{char,block}. */
    {
        char alt[64];
        const char *src = NULL;
        struct stat sb;
        dev_t want = makedev((unsigned) major, (unsigned) minor);
        int fd;
        if (stat(path, &sb) == 0 && sb.st_rdev == want && (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)))
            src = path;
        snprintf(alt, sizeof(alt), "/dev/%s/%lld:%lld", type == 'b' ? "block" : "char", (long long) major,
                 (long long) minor);
        if (src == NULL && stat(alt, &sb) == 0)
            src = alt;
        if (src == NULL)
            return eb_error_set(err, ENOENT, "device %c %lld:%lld for `%s`: no host node to bind in a user namespace",
                                type, (long long) major, (long long) minor, path);
        fd = open(target, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return eb_error_set(err, errno, "create `%s`", path);
        close(fd);
        if (mount(src, target, NULL, MS_BIND, NULL) < 0)
            return eb_error_set(err, errno, "bind host device `%s` on `%s`", src, path);
    }
    return 0;
}

static int setup_dev(const eb_spec_t *spec, int rootfd, const char *rootfs, bool in_userns, eb_error_t *err)
{
    static const struct { const char *path; int64_t major, minor; } defaults[] = {
        { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
        { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
    };
    static const struct { const char *link, *target; } links[] = {
        { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
        { "stderr", "/proc/self/fd/2" },
    };
    _cleanup_free_ char *dev = NULL;
    size_t i, j;
    bool dev_mounted = false, pts = false;

    for (i = 0; i < spec->n_mounts; i++) {
        if (strcmp(spec->mounts[i].destination, "/dev") == 0)
            dev_mounted = true;
        if (strcmp(spec->mounts[i].destination, "/dev/pts") == 0)
            pts = true;
    }
    dev = mount_target(rootfd, rootfs, "/dev", false, err);
    if (dev == NULL)
        return -1;
    for (i = 0; i < EB_ARRAY_SIZE(defaults); i++) {
        bool overridden = false;
        for (j = 0; j < spec->n_devices; j++)
            if (strcmp(spec->devices[j].path, defaults[i].path) == 0)
                overridden = true;
        if (overridden)
            continue;
        if (!dev_mounted) {
            _cleanup_free_ char *p = eb_strdup_printf("%s%s", rootfs, defaults[i].path);
            struct stat sb;
            if (lstat(p, &sb) == 0 && S_ISCHR(sb.st_mode))
                continue;
        }
        if (make_device(rootfd, rootfs, defaults[i].path, 'c', defaults[i].major, defaults[i].minor, 0666, 0, 0,
                        in_userns, err) < 0)
            return -1;
    }
    for (i = 0; i < EB_ARRAY_SIZE(links); i++) {
        _cleanup_free_ char *p = eb_strdup_printf("%s/%s", dev, links[i].link);
        if (symlink(links[i].target, p) < 0 && errno != EEXIST)
            return eb_error_set(err, errno, "symlink /dev/%s", links[i].link);
    }
    if (pts) {
        _cleanup_free_ char *p = eb_strdup_printf("%s/ptmx", dev);
        unlink(p);
        if (symlink("pts/ptmx", p) < 0)
            return eb_error_set(err, errno, "symlink /dev/ptmx");
    }
    for (i = 0; i < spec->n_devices; i++) {
        const eb_linux_device_t *d = &spec->devices[i];
        if (strncmp(d->path, "/dev/", 5) != 0 || strstr(d->path, "/../"))
            return eb_error_set(err, EINVAL, "linux.devices: `%s` is not under /dev", d->path);
        if (make_device(rootfd, rootfs, d->path, d->type == 'u' ? 'c' : d->type, d->major, d->minor,
                        d->file_mode.set ? (mode_t) d->file_mode.v : 0666,
                        d->uid.set ? (uid_t) d->uid.v : 0, d->gid.set ? (gid_t) d->gid.v : 0, in_userns, err) < 0)
            return -1;
    }
    return 0;
}

int eb_rootfs_prepare(const eb_spec_t *spec, const char *rootfs, eb_cgroup_t *cg, bool in_userns,
                      eb_error_t *err)
{
    _cleanup_close_ int rootfd = -1;
    size_t i;

    /* rslave whatever rootfsPropagation says: no mount made here reaches
     * the host, and pivot_root refuses a shared parent (EINVAL).  The
     * propagation asked for is the new root's, set once it is the root
     * (eb_rootfs_finalize), as crun does. */
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return eb_error_set(err, errno, "make / rslave");
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return eb_error_set(err, errno, "bind rootfs `%s`", rootfs);
    rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return eb_error_set(err, errno, "open rootfs `%s`", rootfs);
    for (i = 0; i < spec->n_mounts; i++)
        if (mount_one(spec, &spec->mounts[i], rootfd, rootfs, cg, in_userns, err) < 0)
            return -1;
    if (setup_dev(spec, rootfd, rootfs, in_userns, err) < 0)
        return -1;
    if (spec->has_process) {
        _cleanup_free_ char *cwd = mount_target(rootfd, rootfs, spec->process.cwd, false, err);
        if (cwd == NULL)
            return eb_error_wrap(err, "process.cwd");
    }
    return 0;
}

int eb_rootfs_pivot(const char *rootfs, bool no_pivot, eb_error_t *err)
{
    _cleanup_close_ int oldroot = -1, newroot = -1;
    if (no_pivot) {
        if (chdir(rootfs) < 0)
            return eb_error_set(err, errno, "chdir `%s`", rootfs);
        if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
            return eb_error_set(err, errno, "move rootfs to /");
        if (chroot(".") < 0)
            return eb_error_set(err, errno, "chroot");
        if (chdir("/") < 0)
            return eb_error_set(err, errno, "chdir /");
        return 0;
    }
    oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || newroot < 0)
        return eb_error_set(err, errno, "open roots for pivot_root");
    if (fchdir(newroot) < 0)
        return eb_error_set(err, errno, "chdir rootfs");
    /* pivot_root(".", "."): the old root ends up stacked on the new one
     * and is detached below, with no temporary directory in the image. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return eb_error_set(err, errno, "pivot_root to `%s`", rootfs);
    if (fchdir(oldroot) < 0)
        return eb_error_set(err, errno, "chdir old root");
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return eb_error_set(err, errno, "make old root rslave");
    if (umount2(".", MNT_DETACH) < 0)
        return eb_error_set(err, errno, "detach old root");
    if (chdir("/") < 0)
        return eb_error_set(err, errno, "chdir /");
    return 0;
}

int eb_rootfs_finalize(const eb_spec_t *spec, eb_error_t *err)
{
    size_t i;
    for (i = 0; spec->masked_paths && spec->masked_paths[i]; i++) {
        const char *p = spec->masked_paths[i];
        struct stat sb;
        if (lstat(p, &sb) < 0) {
            if (errno == ENOENT)
                continue;
            return eb_error_set(err, errno, "masked path `%s`", p);
        }
        if (S_ISDIR(sb.st_mode)) {
            if (mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k") < 0)
                return eb_error_set(err, errno, "mask `%s`", p);
        } else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
            return eb_error_set(err, errno, "mask `%s`", p);
        }
    }
    for (i = 0; spec->readonly_paths && spec->readonly_paths[i]; i++) {
        const char *p = spec->readonly_paths[i];
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT)
                continue;
            return eb_error_set(err, errno, "bind read-only path `%s`", p);
        }
        if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | (locked_flags(p) & ~MS_RDONLY), NULL) < 0)
            return eb_error_set(err, errno, "make `%s` read-only", p);
    }
    if (spec->root_readonly
        && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | (locked_flags("/") & ~MS_RDONLY), NULL) < 0)
        return eb_error_set(err, errno, "remount the root read-only");
    if (spec->rootfs_propagation && mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
        return eb_error_set(err, errno, "set rootfsPropagation of the new root");
    return 0;
}
