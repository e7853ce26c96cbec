/* check.c - `edgebox check`: can this host run each class, in plain words
 * (as `kata-runtime check` does). */
#include "runv/runv.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "core/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool in_path(const char *bin, char *found, size_t size)
{
    const char *path = getenv("PATH");
    char buf[4096];
    char *dir, *save = NULL;

    if (strchr(bin, '/')) {
        snprintf(found, size, "%s", bin);
        return access(bin, X_OK) == 0;
    }
    snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        snprintf(found, size, "%s/%s", dir, bin);
        if (access(found, X_OK) == 0)
            return true;
    }
    return false;
}

static int line(bool ok, const char *what, const char *detail)
{
    printf("  [%s] %s%s%s\n", ok ? "ok" : "NO", what, detail ? ": " : "", detail ? detail : "");
    return ok ? 0 : 1;
}

int eb_runv_check(const char *root)
{
    char buf[4096], detail[4200];
    int bad_runc = 0, bad_runv = 0, v = eb_cgroup_host_version();
    eb_guest_image_t img = { 0 };
    eb_error_t err = { 0 };
    const char *accel = eb_vm_accel();
    const char *vfsd = getenv("EDGEBOX_VIRTIOFSD");

    printf("runc class (namespace container):\n");
    snprintf(detail, sizeof(detail), "%s", v == 2 ? "v2 (unified)" : access("/sys/fs/cgroup/unified", F_OK) == 0
                                                                          ? "v1 (hybrid: v2 holds only what v1 does not)"
                                                                          : "v1");
    bad_runc += line(true, "cgroups", detail);
    bad_runc += line(access("/proc/self/ns/user", F_OK) == 0, "user namespaces", NULL);
    bad_runc += line(access("/proc/sys/kernel/seccomp/actions_avail", F_OK) == 0, "seccomp filters", NULL);
    printf("  => %s\n", bad_runc ? "the runc class can NOT run here" : "the runc class can run here");

    printf("runv class (microVM sandbox):\n");
    if (in_path(eb_qemu_binary(), buf, sizeof(buf)))
        bad_runv += line(true, "QEMU", buf);
    else
        bad_runv += line(false, "QEMU", "qemu-system-x86_64 not found (apt-get install qemu-system-x86)");
    bad_runv += line(true, "accelerator",
                     strcmp(accel, "kvm") == 0 ? "KVM (/dev/kvm usable)"
                                               : "TCG: /dev/kvm is absent or not usable, guests are emulated (slower)");
    if (strcmp(accel, "kvm") == 0) {
        line(true, "guest clock", "kvm-clock gives the guest its TSC rate");
    } else {
        unsigned khz = eb_vm_host_tsc_khz();
        snprintf(detail, sizeof(detail),
                 khz ? "the guest reads the host's invariant TSC; told its rate, %u kHz (no calibration at boot)"
                     : "the host's TSC is not invariant (no constant_tsc/nonstop_tsc): the guest calibrates "
                       "against an emulated PIT, and boots may hang",
                 khz);
        line(true, "guest clock", detail);
    }
    {
        eb_bootstats_t st;
        if (eb_bootstats_read(root, &st, &err) == 0) {
            snprintf(detail, sizeof(detail), "%llu reached the agent (last in %llu ms), %llu retried, %llu failed (%s/.runv)%s%s",
                     (unsigned long long) st.boots, (unsigned long long) st.last_ms,
                     (unsigned long long) st.retried, (unsigned long long) st.failed, root,
                     st.last_retry[0] ? "; last retry: " : "", st.last_retry);
            line(st.retried == 0 && st.failed == 0, "boots on this node", detail);
        } else {
            line(false, "boots on this node", err.msg);
            err = (eb_error_t) { 0 };
        }
    }
    snprintf(buf, sizeof(buf), "%s", vfsd && vfsd[0] ? vfsd : "/usr/lib/qemu/virtiofsd");
    bad_runv += line(access(buf, X_OK) == 0, "virtiofsd (rootfs and volumes)", buf);
    if (eb_guest_image_find(&img, &err) == 0) {
        _cleanup_free_ char *dir = eb_xstrdup(img.kernel), *meta = NULL, *text = NULL;
        size_t len;
        eb_error_t ign = { 0 };
        struct stat k, i;
        *strrchr(dir, '/') = 0;
        meta = eb_strdup_printf("%s/image.json", dir);
        stat(img.kernel, &k);
        stat(img.initrd, &i);
        /* Read before the call: its arguments are evaluated in no set
         * order, and `text` was read while still NULL. */
        if (eb_read_file(meta, 65536, &text, &len, &ign) < 0)
            text = NULL;
        snprintf(detail, sizeof(detail), "%s (kernel %lld KiB, initramfs %lld KiB)%s%s", dir,
                 (long long) k.st_size / 1024, (long long) i.st_size / 1024, text ? " " : "", text ? text : "");
        if (detail[strlen(detail) - 1] == '\n')
            detail[strlen(detail) - 1] = 0;
        bad_runv += line(true, "guest image", detail);
        eb_guest_image_free(&img);
    } else {
        bad_runv += line(false, "guest image", err.msg);
    }
    {
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        bad_runv += line(fd >= 0, "tap devices (/dev/net/tun)", fd >= 0 ? NULL : strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    {
        bool tc = in_path("tc", buf, sizeof(buf));
        bad_runv += line(tc, "pod networks (tc from iproute2, act_mirred)",
                         tc ? buf : "tc not found (apt-get install iproute2)");
    }
    printf("  => %s\n", bad_runv ? "the runv class can NOT run here" : "the runv class can run here");
    return bad_runc || bad_runv ? 1 : 0;
}
