/* runv_check.c - can this host run the runv class, in plain words (as
 * `kata-runtime check` does): `edgebox check` prints the lines. */
#include "class/class_internal.h"
#include "runv/pool.h"
#include "runv/bootstats.h"
#include "runv/jail.h"
#include "runv/podcg.h"
#include "runv/vm.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* The node's record of boots: a retry or a failure is a defect to
 * report, and shows as a failed line (that does not make the class
 * unusable). */
static void check_boots(const char *root, eb_check_fn line, void *ctx)
{
    char detail[4200];
    eb_bootstats_t st;
    eb_error_t err = { 0 };

    if (eb_bootstats_read(root, &st, &err) < 0) {
        line(ctx, false, false, "boots on this node", err.msg);
        return;
    }
    snprintf(detail, sizeof(detail), "%llu reached the agent (last in %llu ms), %llu retried, %llu failed (%s/.runv)%s%s",
             (unsigned long long) st.boots, (unsigned long long) st.last_ms, (unsigned long long) st.retried,
             (unsigned long long) st.failed, root, st.last_retry[0] ? "; last retry: " : "", st.last_retry);
    line(ctx, st.retried == 0 && st.failed == 0, false, "boots on this node", detail);
}

static void check_clock(const char *accel, eb_check_fn line, void *ctx)
{
    char detail[256];
    unsigned khz;

    if (strcmp(accel, "kvm") == 0) {
        line(ctx, true, false, "guest clock", "kvm-clock gives the guest its TSC rate");
        return;
    }
    khz = eb_vm_host_tsc_khz();
    snprintf(detail, sizeof(detail),
             khz ? "the guest reads the host's invariant TSC; told its rate, %u kHz (no calibration at boot)"
                 : "the host's TSC is not invariant (no constant_tsc/nonstop_tsc): the guest calibrates "
                   "against an emulated PIT, and boots may hang",
             khz);
    line(ctx, true, false, "guest clock", detail);
}

static int check_image(eb_check_fn line, void *ctx)
{
    eb_guest_image_t img = { 0 };
    eb_error_t err = { 0 };
    _cleanup_free_ char *dir = NULL, *meta = NULL, *text = NULL;
    char detail[4200];
    struct stat k, i;
    size_t len;

    if (eb_guest_image_find(&img, &err) < 0) {
        line(ctx, false, true, "guest image", err.msg);
        return 1;
    }
    dir = eb_xstrdup(img.kernel);
    *strrchr(dir, '/') = 0;
    meta = eb_strdup_printf("%s/image.json", dir);
    stat(img.kernel, &k);
    stat(img.initrd, &i);
    /* Read before the call: its arguments are evaluated in no set order,
     * and `text` was once read while still NULL. */
    if (eb_read_file(meta, 65536, &text, &len, &err) < 0)
        text = NULL;
    snprintf(detail, sizeof(detail), "%s (kernel %lld KiB, initramfs %lld KiB)%s%s", dir,
             (long long) k.st_size / 1024, (long long) i.st_size / 1024, text ? " " : "", text ? text : "");
    if (detail[strlen(detail) - 1] == '\n')
        detail[strlen(detail) - 1] = 0;
    line(ctx, true, true, "guest image", detail);
    eb_guest_image_free(&img);
    return 0;
}

/* 0 when QEMU_BIN accepts the -sandbox we give it (built with seccomp)
 * and a child could enter a mount namespace of its own. */
static int probe(const char *qemu_bin, bool sandbox)
{
    pid_t pid = fork();
    int st;

    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 1), dup2(null, 2);
        if (!sandbox)
            _exit(unshare(CLONE_NEWNS) == 0 ? 0 : 1);
        execlp(qemu_bin, qemu_bin, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
               "-version", (char *) NULL);
        _exit(127);
    }
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* What the second wall can be on this host (docs/runv.md, Confinement). */
static void check_confinement(eb_check_fn line, void *ctx)
{
    char detail[512], uid[128];
    bool root = geteuid() == 0, seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
    bool sandbox = probe(eb_qemu_binary(), true) == 0, mntns = probe(NULL, false) == 0;
    int v = eb_cgroup_host_version();
    bool cg = v == 2 ? access("/sys/fs/cgroup/cgroup.controllers", R_OK) == 0
                     : access("/sys/fs/cgroup/memory", F_OK) == 0 && access("/sys/fs/cgroup/pids", F_OK) == 0;

    if (eb_jail_disabled()) {
        line(ctx, false, false, "QEMU confinement", "off (EDGEBOX_RUNV_CONFINE=0): QEMU runs as root, unconfined");
        return;
    }
    if (root)
        snprintf(uid, sizeof(uid), "a uid of its own per sandbox (from %u, %u of them)", EB_JAIL_UID_BASE,
                 EB_JAIL_UID_SLOTS);
    else
        snprintf(uid, sizeof(uid), "not root: no uid of its own, no");
    snprintf(detail, sizeof(detail), "%s; %s; %s; no capabilities, no_new_privs, rlimits, inherited fds closed", uid,
             mntns ? "a mount namespace with the guest image and /usr read-only (pivot_root)" : "no mount namespace",
             sandbox ? "-sandbox on with every deny" : "QEMU has no -sandbox (built without seccomp)");
    line(ctx, root && sandbox && mntns && seccomp, false, "QEMU confinement", detail);
    line(ctx, mntns && seccomp, false, "virtiofsd confinement",
         "root (it serves files of any owner), a mount namespace with its share only; its sandbox=namespace "
         "(pid, net, mount namespaces, pivot_root into the share), its seccomp allowlist under edgebox's denylist, "
         "no_new_privs");
    snprintf(detail, sizeof(detail), "the pod's cgroup (the sandbox's linux.cgroupsPath) holds the VM's processes, "
             "memory bound to the guest's RAM + %u MiB%s", EB_RUNV_HOST_OVERHEAD_MIB,
             cg ? "" : ": the memory or pids controller is not mounted");
    line(ctx, cg, false, "pod cgroup", detail);
}

/* The pool of pre-booted sandboxes: information, never a failed line
 * (a pool is an optimisation; a broken config makes every pod boot cold). */
static void check_pool(const char *root, eb_check_fn line, void *ctx)
{
    eb_error_t err = { 0 };
    json_object *st = eb_pool_status(root, &err), *classes, *counters, *c, *v;
    char detail[1024];
    size_t i, len = 0;

    if (st == NULL) {
        line(ctx, false, false, "pool of pre-booted sandboxes", err.msg);
        return;
    }
    json_object_object_get_ex(st, "classes", &classes);
    json_object_object_get_ex(st, "counters", &counters);
    if (json_object_array_length(classes) == 0)
        len += (size_t) snprintf(detail, sizeof(detail), "off (no class in %s; docs/pool.md)",
                                 json_object_get_string(json_object_object_get(st, "config")));
    for (i = 0; i < json_object_array_length(classes) && len < sizeof(detail); i++) {
        c = json_object_array_get_idx(classes, i);
#define F(k) json_object_get_int(json_object_object_get(c, k))
        len += (size_t) snprintf(detail + len, sizeof(detail) - len, "%s%d MiB x %d vCPU: %d of %d ready, %d booting",
                                 i ? "; " : "", F("memory_mib"), F("vcpus"), F("ready"), F("size"), F("booting"));
#undef F
    }
    json_object_object_foreach(counters, k, val) {
        if (len < sizeof(detail))
            len += (size_t) snprintf(detail + len, sizeof(detail) - len, ", %s %lld", k,
                                     (long long) json_object_get_int64(val));
    }
    if (json_object_object_get_ex(st, "stale", &v) && json_object_get_int(v) && len < sizeof(detail))
        len += (size_t) snprintf(detail + len, sizeof(detail) - len, ", %d stale (a fill stops them)",
                                 json_object_get_int(v));
    /* Without a keeper a claim's refill runs under the claiming create's
     * parent: a shim's or conmon's subreaper adopts it (docs/pool.md). */
    if (json_object_array_length(classes) > 0 && len < sizeof(detail)) {
        if (json_object_object_get_ex(st, "keeper", &v) && v != NULL)
            snprintf(detail + len, sizeof(detail) - len, "; refilled by its keeper (pid %d)", json_object_get_int(v));
        else
            snprintf(detail + len, sizeof(detail) - len, "; no keeper (`edgebox pool serve`): claims refill it");
    }
    line(ctx, true, false, "pool of pre-booted sandboxes", detail);
    json_object_put(st);
}

int eb_class_runv_check(const char *root, eb_check_fn line, void *ctx)
{
    char buf[4096];
    const char *accel = eb_vm_accel(), *vfsd = getenv("EDGEBOX_VIRTIOFSD");
    int bad = 0, fd;
    bool ok;

    ok = in_path(eb_qemu_binary(), buf, sizeof(buf));
    line(ctx, ok, true, "QEMU", ok ? buf : "qemu-system-x86_64 not found (apt-get install qemu-system-x86)");
    bad += !ok;
    line(ctx, true, true, "accelerator",
         strcmp(accel, "kvm") == 0 ? "KVM (/dev/kvm usable)"
                                   : "TCG: /dev/kvm is absent or not usable, guests are emulated (slower)");
    check_clock(accel, line, ctx);
    check_boots(root, line, ctx);
    check_confinement(line, ctx);
    check_pool(root, line, ctx);
    snprintf(buf, sizeof(buf), "%s", vfsd && vfsd[0] ? vfsd : "/usr/lib/qemu/virtiofsd");
    ok = access(buf, X_OK) == 0;
    line(ctx, ok, true, "virtiofsd (rootfs and volumes)", buf);
    bad += !ok;
    bad += check_image(line, ctx);
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    line(ctx, fd >= 0, true, "tap devices (/dev/net/tun)", fd >= 0 ? NULL : strerror(errno));
    bad += fd < 0;
    if (fd >= 0)
        close(fd);
    ok = in_path("tc", buf, sizeof(buf));
    line(ctx, ok, true, "pod networks (tc from iproute2, act_mirred)", ok ? buf : "tc not found (apt-get install iproute2)");
    bad += !ok;
    return bad;
}
