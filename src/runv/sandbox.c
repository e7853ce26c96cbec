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
 * it into a user's rootfs or volume. */
static void remove_share_dir(const char *cdir)
{
    _cleanup_closedir_ DIR *d = opendir(cdir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        _cleanup_free_ char *p = NULL;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        p = eb_strdup_printf("%s/%s", cdir, e->d_name);
        while (umount2(p, MNT_DETACH) == 0) { }
        if (rmdir(p) < 0 && errno == ENOTDIR)
            unlink(p);
    }
    rmdir(cdir);
}

void eb_sandbox_unshare(const char *dir, const char *cid)
{
    _cleanup_free_ char *cdir = eb_strdup_printf("%s/shared/%s", dir, cid);
    remove_share_dir(cdir);
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
            _cleanup_free_ char *c = NULL;
            if (e->d_name[0] == '.')
                continue;
            c = eb_strdup_printf("%s/%s", shared, e->d_name);
            remove_share_dir(c);
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

int eb_sandbox_share(const char *dir, const char *cid, const char *name, const char *src, bool file,
                     bool readonly, char **guest_path, eb_error_t *err)
{
    _cleanup_free_ char *cdir = eb_strdup_printf("%s/shared/%s", dir, cid);
    _cleanup_free_ char *target = eb_strdup_printf("%s/%s", cdir, name);

    if (mkdir(cdir, 0700) < 0 && errno != EEXIST)
        return eb_error_set(err, errno, "mkdir %s", cdir);
    if (file) {
        int fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return eb_error_set(err, errno, "create %s", target);
        close(fd);
    } else if (mkdir(target, 0755) < 0 && errno != EEXIST) {
        return eb_error_set(err, errno, "mkdir %s", target);
    }
    if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        return eb_error_set(err, errno, "share %s with the guest (bind to %s)", src, target);
    if (readonly && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        return eb_error_set(err, errno, "make the share of %s read-only", src);
    *guest_path = eb_strdup_printf("/run/edgebox/shared/%s/%s", cid, name);
    return 0;
}
