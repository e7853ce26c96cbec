/* sandbox.c - the sandbox directory: pid records, the virtio-fs shared
 * tree and teardown.
 *
 * <dir>/shared is bound onto itself and made a shared mount in a peer
 * group of its own before virtiofsd starts: virtiofsd's mount namespace is
 * a slave of ours, so every rootfs or volume bound under it later appears
 * in the guest without restarting anything (microvm has no hotplug). */
#include "runv/sandbox.h"
#include "runv/podcg.h"
#include "runv/podnet.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *eb_sandbox_dir(const char *root, const char *sid)
{
    return eb_strdup_printf("%s/.runv/%s", root, sid);
}

int eb_sandbox_write_pid(const char *dir, const char *name, pid_t pid, eb_error_t *err)
{
    char buf[64], file[64];
    int n = snprintf(buf, sizeof(buf), "%d %llu\n", pid, eb_pid_starttime(pid));

    snprintf(file, sizeof(file), "%s.pid", name);
    return eb_write_file_atomic(dir, file, buf, (size_t) n, err);
}

/* The pid only if it still names the process recorded (start time). */
pid_t eb_sandbox_read_pid(const char *dir, const char *name)
{
    _cleanup_free_ char *path = eb_strdup_printf("%s/%s.pid", dir, name), *text = NULL;
    eb_error_t ign = { 0 };
    unsigned long long start;
    size_t len;
    int pid;

    if (eb_read_file(path, 128, &text, &len, &ign) < 0 || sscanf(text, "%d %llu", &pid, &start) != 2
        || pid <= 0)
        return 0;
    return eb_pid_starttime(pid) == start ? pid : 0;
}

static void kill_recorded(const char *dir, const char *name)
{
    pid_t pid = eb_sandbox_read_pid(dir, name);
    int i;

    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    /* Ours to reap when we are its parent; otherwise wait for it to go so
     * its mounts and fds are released before we unmount. */
    for (i = 0; i < 200 && eb_pid_starttime(pid) != 0; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            break;
        usleep(10000);
    }
}

/* Two known levels (shared/<cid>/<entry>), no recursion: an entry still
 * mounted makes rmdir/unlink fail with EBUSY instead of deleting through
 * it into a user's rootfs or volume.  Everything below shared/ is the
 * guest's to rename, replace or link (it is its virtio-fs share), so each
 * step goes by descriptor and follows no symlink: a <cid> replaced by a
 * link to /etc must lose the link, not /etc's files, and an entry linked
 * to / must not detach the host's mounts. */
static void remove_share_dir(int sfd, const char *cid)
{
    int cfd = openat(sfd, cid, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_closedir_ DIR *d = NULL;
    struct dirent *e;

    if (cfd < 0) {
        if (errno == ENOTDIR || errno == ELOOP)
            unlinkat(sfd, cid, 0);   /* a file or a link in its place */
        return;
    }
    d = fdopendir(cfd);
    if (d == NULL) {
        close(cfd);
        return;
    }
    while ((e = readdir(d))) {
        char p[64 + sizeof(e->d_name)];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        /* (the fd's magic link resolves to the directory itself; the
         * entry, the last component, is not followed) */
        snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dirfd(d), e->d_name);
        while (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0) { }
        if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0 && errno == ENOTDIR)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    unlinkat(sfd, cid, AT_REMOVEDIR);
}

void eb_sandbox_unshare(const char *dir, const char *cid)
{
    _cleanup_free_ char *shared = eb_strdup_printf("%s/shared", dir);
    _cleanup_close_ int sfd = open(shared, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (sfd >= 0 && eb_id_valid(cid))
        remove_share_dir(sfd, cid);
}

void eb_sandbox_teardown(const char *dir)
{
    _cleanup_free_ char *shared = eb_strdup_printf("%s/shared", dir), *netns = NULL;
    _cleanup_free_ char *nsfile = eb_strdup_printf("%s/netns", dir);
    static const char *const files[] = { "monitor.sock", "vfs.sock", "qemu.pid", "virtiofsd.pid",
                                         "logger.pid", "monitor.pid", "netns", "console.log", "reason",
                                         "pool.json", "ready" };
    _cleanup_free_ char *logs = eb_strdup_printf("%s/logs", dir);
    eb_error_t ign = { 0 };
    size_t len, i;

    kill_recorded(dir, "qemu");
    kill_recorded(dir, "virtiofsd");
    kill_recorded(dir, "logger");
    /* Whatever of the sandbox survived its recorded pids (a virtiofsd
     * worker, a QEMU the monitor lost) is in the pod's cgroup. */
    eb_podcg_destroy(dir);
    if (eb_read_file(nsfile, 4096, &netns, &len, &ign) == 0 && len > 0)
        eb_podnet_teardown(netns);
    {
        _cleanup_closedir_ DIR *d = opendir(shared);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            /* (a container id may start with a dot) */
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            remove_share_dir(dirfd(d), e->d_name);
        }
    }
    while (umount2(shared, MNT_DETACH) == 0) { }
    rmdir(shared);
    {
        /* The jails' mount point: their tmpfs lived in their own namespaces. */
        _cleanup_free_ char *jail = eb_strdup_printf("%s/jail", dir);
        rmdir(jail);
    }
    {
        /* The log writer's records: <id>.json, <id>.offsets, temporaries. */
        _cleanup_closedir_ DIR *d = opendir(logs);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        rmdir(logs);
    }
    for (i = 0; i < EB_ARRAY_SIZE(files); i++) {
        _cleanup_free_ char *p = eb_strdup_printf("%s/%s", dir, files[i]);
        unlink(p);
    }
    if (rmdir(dir) < 0 && errno != ENOENT)
        eb_warn("sandbox %s: not removed: %s", dir, strerror(errno));
}

int eb_sandbox_put_file(const char *dir, const char *sub, const char *name, const void *data, size_t len,
                        eb_error_t *err)
{
    _cleanup_free_ char *shared = eb_strdup_printf("%s/shared", dir);
    _cleanup_free_ char *tmp = eb_strdup_printf(".%s.tmp.%d", name, (int) getpid());
    _cleanup_close_ int sfd = open(shared, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), dfd = -1, fd = -1;

    /* shared/ itself is the host's (the guest sees it as its mount's root);
     * below it, each step by descriptor, none through a symlink. */
    if (sfd < 0)
        return eb_error_set(err, errno, "open %s", shared);
    if (mkdirat(sfd, sub, 0700) < 0 && errno != EEXIST)
        return eb_error_set(err, errno, "mkdir %s/%s", shared, sub);
    if ((dfd = openat(sfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return eb_error_set(err, errno, "open %s/%s", shared, sub);
    unlinkat(dfd, tmp, 0);
    if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        return eb_error_set(err, errno, "create %s/%s/%s", shared, sub, tmp);
    if (eb_write_all(fd, data, len) < 0 || renameat(dfd, tmp, dfd, name) < 0) {
        int e = errno;
        unlinkat(dfd, tmp, 0);
        return eb_error_set(err, e, "write %s/%s/%s", shared, sub, name);
    }
    return 0;
}

int eb_sandbox_share(const char *dir, const char *cid, const char *name, const char *src, bool file,
                     bool readonly, char **guest_path, eb_error_t *err)
{
    _cleanup_free_ char *shared = eb_strdup_printf("%s/shared", dir);
    _cleanup_close_ int sfd = open(shared, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), cfd = -1, tfd = -1;
    char fdp[64];

    /* By descriptor, no symlink followed (remove_share_dir): a guest that
     * put a link where <cid> or NAME will be must not have the host mount
     * the container's rootfs over a host directory of its choosing. */
    if (sfd < 0)
        return eb_error_set(err, errno, "open %s", shared);
    if (!eb_id_valid(cid) || strchr(name, '/') || name[0] == '.')
        return eb_error_set(err, EINVAL, "share entry `%s/%s`", cid, name);
    if (mkdirat(sfd, cid, 0700) < 0 && errno != EEXIST)
        return eb_error_set(err, errno, "mkdir %s/%s", shared, cid);
    if ((cfd = openat(sfd, cid, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return eb_error_set(err, errno, "open %s/%s", shared, cid);
    if (file) {
        int fd = openat(cfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return eb_error_set(err, errno, "create %s/%s/%s", shared, cid, name);
        close(fd);
    } else if (mkdirat(cfd, name, 0755) < 0 && errno != EEXIST) {
        return eb_error_set(err, errno, "mkdir %s/%s/%s", shared, cid, name);
    }
    if ((tfd = openat(cfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | (file ? 0 : O_DIRECTORY))) < 0)
        return eb_error_set(err, errno, "open %s/%s/%s", shared, cid, name);
    snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", tfd);
    if (mount(src, fdp, NULL, MS_BIND | MS_REC, NULL) < 0)
        return eb_error_set(err, errno, "share %s with the guest (bind to %s/%s/%s)", src, shared, cid, name);
    if (readonly) {
        /* the bind's root now: TFD is still the directory under it */
        close(tfd);
        if ((tfd = openat(cfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
            return eb_error_set(err, errno, "open %s/%s/%s", shared, cid, name);
        snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", tfd);
        if (mount(NULL, fdp, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
            return eb_error_set(err, errno, "make the share of %s read-only", src);
    }
    *guest_path = eb_strdup_printf("/run/edgebox/shared/%s/%s", cid, name);
    return 0;
}
