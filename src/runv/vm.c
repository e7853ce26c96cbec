/* vm.c - where the guest image and QEMU are, and which accelerator. */
#include "runv/vm.h"
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
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

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

/* The first CPU's "flags" line of /proc/cpuinfo (NULL if unreadable),
 * for strstr(flags, " name"). */
static char *cpu_flags(void)
{
    char *info = NULL, *flags;
    eb_error_t ign = { 0 };
    size_t len;

    if (eb_read_file("/proc/cpuinfo", 1 << 22, &info, &len, &ign) < 0)
        return NULL;
    if ((flags = strstr(info, "\nflags")) == NULL) {
        free(info);
        return NULL;
    }
    *strchrnul(flags + 1, '\n') = 0;
    memmove(info, flags, strlen(flags) + 1);
    return info;
}

/* The CPU advertises hardware virtualization (vmx or svm). */
static bool cpu_virt(void)
{
    _cleanup_free_ char *flags = cpu_flags();
    return flags && (strstr(flags, " vmx") || strstr(flags, " svm"));
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

/* The host's TSC frequency in kHz, measured against CLOCK_MONOTONIC_RAW;
 * 0 when the TSC is not invariant (no constant_tsc + nonstop_tsc) or
 * this is not x86-64.
 *
 * Why the guest needs it: a Linux guest calibrates its TSC at boot against
 * the PIT, the HPET or the ACPI PM timer.  microvm has no HPET and no PM
 * timer, and under TCG a PIT read costs a trip through QEMU's device
 * emulation, so the PIT windows the kernel times are too irregular and
 * the calibration fails.  The kernel then has no TSC frequency, marks the
 * TSC unstable, and calibrates its local APIC timer by waiting for
 * jiffies to advance, which nothing advances without a working global
 * timer: the boot spins for ever.  Under TCG the guest's rdtsc returns
 * the host's TSC itself (QEMU's cpu_get_host_ticks), so the guest's TSC
 * runs at exactly the host's rate: telling the guest that rate
 * (tsc_early_khz) replaces a timing-sensitive measurement by a fact.
 *
 * The two clock reads around each rdtsc take tens of ns; over a 20 ms
 * window the tightest of three samples is within a ppm of the host
 * kernel's own figure (bench/RESULTS.md). */
unsigned eb_vm_host_tsc_khz(void)
{
#if defined(__x86_64__)
    static unsigned cached;
    _cleanup_free_ char *flags = NULL;
    int round;
    double best = 0, best_width = 1e18;

    if (cached)
        return cached;
    flags = cpu_flags();
    if (!flags || !strstr(flags, " constant_tsc") || !strstr(flags, " nonstop_tsc"))
        return 0;
    for (round = 0; round < 3; round++) {
        struct timespec a0, a1, b0, b1, pause = { 0, 20 * 1000 * 1000 };
        uint64_t c0, c1;
        double ta, tb, width;

        clock_gettime(CLOCK_MONOTONIC_RAW, &a0);
        c0 = __rdtsc();
        clock_gettime(CLOCK_MONOTONIC_RAW, &a1);
        nanosleep(&pause, NULL);
        clock_gettime(CLOCK_MONOTONIC_RAW, &b0);
        c1 = __rdtsc();
        clock_gettime(CLOCK_MONOTONIC_RAW, &b1);
#define NS(t) ((double) (t).tv_sec * 1e9 + (double) (t).tv_nsec)
        ta = (NS(a0) + NS(a1)) / 2;
        tb = (NS(b0) + NS(b1)) / 2;
        width = (NS(a1) - NS(a0)) + (NS(b1) - NS(b0));
#undef NS
        if (tb > ta && width < best_width) {
            best_width = width;
            best = (double) (c1 - c0) / (tb - ta) * 1e6;
        }
    }
    /* A TSC below 100 MHz or above 20 GHz is a measurement gone wrong. */
    if (best < 1e5 || best > 2e7)
        return 0;
    return cached = (unsigned) (best + 0.5);
#else
    return 0;
#endif
}
