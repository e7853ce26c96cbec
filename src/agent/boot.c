/* boot.c - bring the guest from kernel hand-off to a served port.
 *
 * The initramfs holds only this binary and the modules the sandbox needs,
 * listed in load order in /lib/modules/order (the image builder resolves
 * their depends= strings).  No udev: devtmpfs names the port device, sysfs
 * tells which port is ours by name. */
#include "agent/boot.h"
#include "proto/ops.h"
#include "agent/agent.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data,
                    eb_error_t *err)
{
    if (eb_mkdir_p(dst, 0755, err) < 0)
        return -1;
    if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY)
        return eb_error_set(err, errno, "mount %s on %s", type, dst);
    return 0;
}

static int load_modules(eb_error_t *err)
{
    _cleanup_free_ char *order = NULL;
    char *line, *save = NULL;
    size_t len;

    if (eb_read_file("/lib/modules/order", 1 << 16, &order, &len, err) < 0)
        return -1;
    for (line = strtok_r(order, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        _cleanup_free_ char *path = eb_strdup_printf("/lib/modules/%s.ko", line);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return eb_error_set(err, errno, "open module %s", path);
        if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
            return eb_error_set(err, errno, "load module %s", line);
        /* Loaded: the file is only initramfs memory now. */
        unlink(path);
    }
    unlink("/lib/modules/order");
    return 0;
}

/* The initramfs root can't be pivot_root()ed away from, and containers
 * pivot.  Do what switch_root does: free the initramfs files (the modules
 * went as they were loaded, this binary stays mapped) and move a fresh
 * tmpfs over /. */
static int switch_root(eb_error_t *err)
{
    unlink("/init");
    if (do_mount("root", "/newroot", "tmpfs", 0, "mode=0755", err) < 0)
        return -1;
    if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
        return eb_error_set(err, errno, "switch the root to a tmpfs");
    return 0;
}

int eb_agent_boot(eb_error_t *err)
{
    int fd;

    if (load_modules(err) < 0 || switch_root(err) < 0)
        return -1;
    if (do_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", err) < 0)
        return -1;
    /* The kernel gave PID 1 no stdio when the initramfs has no
     * /dev/console: take the console now, for the log. */
    fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    if (do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0
        || do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0
        || do_mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate",
                    err) < 0
        || do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620",
                    err) < 0
        || do_mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err) < 0
        || do_mount("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", err) < 0
        || do_mount("tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err) < 0)
        return -1;
    if (symlink("pts/ptmx", "/dev/ptmx") < 0 && errno != EEXIST) {
        unlink("/dev/ptmx");
        if (symlink("pts/ptmx", "/dev/ptmx") < 0)
            return eb_error_set(err, errno, "link /dev/ptmx");
    }
    /* Controllers for the containers' cgroups (v2 needs them delegated). */
    if (eb_write_file("/sys/fs/cgroup/cgroup.subtree_control", "+cpu +cpuset +io +memory +pids", 30, err) < 0)
        eb_error_clear(err);
    /* Traversable, not listable: a container with a user namespace binds
     * its rootfs from under /run/edgebox/shared as its mapped root. */
    if ((mkdir("/run/edgebox", 0711) < 0 && errno != EEXIST) || chmod("/run/edgebox", 0711) < 0)
        return eb_error_set(err, errno, "mkdir /run/edgebox");
    if (eb_mkdir_p(EB_AGENT_STATE, 0700, err) < 0 || eb_mkdir_p(EB_AGENT_BUNDLES, 0700, err) < 0)
        return -1;
    if (do_mount(EB_AGENT_SHARE_TAG, EB_AGENT_SHARED, "virtiofs", MS_NOSUID | MS_NODEV, NULL, err) < 0)
        return -1;
    /* The host makes it so too (guest_spec.c); this is the guest's view,
     * whose attributes it may have cached since the mount. */
    if (chmod(EB_AGENT_SHARED, 0711) < 0)
        eb_debug("chmod %s: %s", EB_AGENT_SHARED, strerror(errno));
    /* The core's seccomp cache is the share's: the host puts the filters
     * it compiled there (libseccomp under an emulated CPU took 39 ms of a
     * create).  Without it the guest compiles, as before. */
    if ((mkdir(EB_AGENT_SHARED "/" EB_SHARE_SECCOMP_CACHE, 0700) < 0 && errno != EEXIST)
        || symlink(EB_AGENT_SHARED "/" EB_SHARE_SECCOMP_CACHE, EB_AGENT_STATE "/.seccomp-cache") < 0)
        eb_debug("the seccomp cache in the share: %s", strerror(errno));
    return 0;
}

/* The port appears once virtio_console probed; devtmpfs creates the node
 * asynchronously, so wait a bounded while for both. */
int eb_agent_open_port(int *out, eb_error_t *err)
{
    int tries;

    for (tries = 0; tries < 500; tries++) {
        _cleanup_closedir_ DIR *d = opendir("/sys/class/virtio-ports");
        struct dirent *e;

        while (d && (e = readdir(d))) {
            _cleanup_free_ char *namef = NULL, *name = NULL, *dev = NULL;
            size_t len;
            eb_error_t ign = { 0 };
            int fd;

            if (e->d_name[0] == '.')
                continue;
            namef = eb_strdup_printf("/sys/class/virtio-ports/%s/name", e->d_name);
            if (eb_read_file(namef, 256, &name, &len, &ign) < 0)
                continue;
            if (len && name[len - 1] == '\n')
                name[len - 1] = 0;
            if (strcmp(name, EB_AGENT_PORT_NAME) != 0)
                continue;
            dev = eb_strdup_printf("/dev/%s", e->d_name);
            fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
            if (fd >= 0) {
                *out = fd;
                return 0;
            }
        }
        usleep(10000);
    }
    return eb_error_set(err, ENODEV, "virtio-serial port `%s` not found", EB_AGENT_PORT_NAME);
}

void eb_agent_poweroff(void)
{
    sync();
    reboot(RB_POWER_OFF);
    _exit(1);
}
