/* vm.c - where the guest image and QEMU are, and which accelerator. */
#include "runv/runv.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "eb_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* EDGEBOX_GUEST_DIR overrides the directory fixed at build time
 * (meson -Dguest_dir, where setup.sh puts the image it builds). */
int eb_guest_image_find(eb_guest_image_t *img, eb_error_t *err)
{
    const char *dir = getenv("EDGEBOX_GUEST_DIR");

    if (dir == NULL || dir[0] == 0)
        dir = EB_GUEST_DIR;
    img->kernel = eb_strdup_printf("%s/vmlinuz", dir);
    img->initrd = eb_strdup_printf("%s/initramfs.cpio", dir);
    if (access(img->kernel, R_OK) < 0 || access(img->initrd, R_OK) < 0) {
        eb_error_set(err, ENOENT, "runv guest image not found in %s (build it with guest/build-image.sh, "
                     "or set EDGEBOX_GUEST_DIR)", dir);
        eb_guest_image_free(img);
        return -1;
    }
    return 0;
}

void eb_guest_image_free(eb_guest_image_t *img)
{
    free(img->kernel);
    free(img->initrd);
    img->kernel = img->initrd = NULL;
}

const char *eb_qemu_binary(void)
{
    const char *q = getenv("EDGEBOX_QEMU");
    return q && q[0] ? q : "qemu-system-x86_64";
}

/* The CPU advertises hardware virtualization (vmx or svm). */
static bool cpu_virt(void)
{
    _cleanup_free_ char *info = NULL;
    eb_error_t ign = { 0 };
    size_t len;
    char *flags;

    if (eb_read_file("/proc/cpuinfo", 1 << 22, &info, &len, &ign) < 0 || (flags = strstr(info, "\nflags")) == NULL)
        return false;
    *strchrnul(flags + 1, '\n') = 0;
    return strstr(flags, " vmx") || strstr(flags, " svm");
}

/* A /dev/kvm node is not enough: sandboxed and nested hosts may have one
 * that creates VMs whose guests never get far (seen on this project's CI
 * machines: the kernel stops after its real-mode setup).  KVM needs the
 * node, a VM from it, and a CPU with vmx/svm; EDGEBOX_ACCEL=kvm|tcg
 * overrides the guess. */
const char *eb_vm_accel(void)
{
    static const char *cached;
    const char *env = getenv("EDGEBOX_ACCEL");
    int fd, vm;

    if (cached)
        return cached;
    if (env && (strcmp(env, "kvm") == 0 || strcmp(env, "tcg") == 0))
        return cached = env;
    cached = "tcg";
    if (!cpu_virt())
        return cached;
    fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return cached;
    if (ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION && (vm = ioctl(fd, KVM_CREATE_VM, 0)) >= 0) {
        close(vm);
        cached = "kvm";
    }
    close(fd);
    return cached;
}
