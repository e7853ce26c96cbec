/* vmproc.c - the sandbox's processes: virtiofsd, QEMU (its command line
 * is where the guest's machine, clock and devices are chosen) and the
 * host writer of in-guest log files; and the guest console's tail, kept
 * for the reason a boot or a sandbox failed. */
#include "runv/monitor_internal.h"
#include "runv/jail.h"
#include "runv/logger.h"
#include "runv/sandbox.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The last lines of the guest console, for reasons and boot errors. */
const char *mon_console_tail(monitor_t *m, char *buf, size_t size)
{
    size_t i, n = 0;
    const char *start = m->tail;
    int lines = 0;

    for (i = m->tail_len; i > 0; i--)
        if (m->tail[i - 1] == '\n' && ++lines > 4) {
            start = m->tail + i;
            break;
        }
    for (; start < m->tail + m->tail_len && n + 1 < size; start++)
        buf[n++] = (*start == '\n' || *start == '\r') ? ' ' : (*start >= 32 && *start < 127 ? *start : '?');
    buf[n] = 0;
    return n ? buf : "(no console output)";
}

ssize_t mon_read_console(monitor_t *m)
{
    char buf[4096];
    ssize_t n = read(m->console, buf, sizeof(buf));

    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            close(m->console);
            m->console = -1;
        }
        return 0;
    }
    /* buf is never larger than the tail, so the tail keeps its newest end. */
    _Static_assert(sizeof(buf) <= CONSOLE_TAIL, "console read larger than the tail");
    if (m->tail_len + (size_t) n > CONSOLE_TAIL) {
        size_t drop = m->tail_len + (size_t) n - CONSOLE_TAIL;
        memmove(m->tail, m->tail + drop, m->tail_len - drop);
        m->tail_len -= drop;
    }
    memcpy(m->tail + m->tail_len, buf, (size_t) n);
    m->tail_len += (size_t) n;
    return n;
}

/* A VM process: in the pod's cgroup before it runs a single instruction
 * of its own (what it allocates is charged there), in jail J when the
 * sandbox is confined, with only the descriptors in KEEP. */
static pid_t spawn(monitor_t *m, const char *const argv[], const int *keep, size_t nkeep, const eb_jail_t *j)
{
    pid_t parent = getpid(), pid = fork();
    eb_error_t err = { 0 };
    size_t i;

    if (pid != 0)
        return pid;
    {
        int null = open("/dev/null", O_RDWR);
        sigset_t none;
        /* Their complaints go to our log file, or nowhere. */
        dup2(null, 0), dup2(null, 1);
        dup2(eb_log_is_file() ? eb_log_fd() : null, 2);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }
    if ((m->cg && eb_cgroup_enter(m->cg, getpid(), &err) < 0) || (j && eb_jail_enter(j, &err) < 0)) {
        fprintf(stderr, "edgebox monitor: %s: %s\n", argv[0], err.msg);
        _exit(127);
    }
    /* Set after the jail: a change of uid clears it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    eb_close_fds_except(keep, nkeep);
    for (i = 0; i < nkeep; i++)
        fcntl(keep[i], F_SETFD, 0);
    execvp(argv[0], (char *const *) argv);
    fprintf(stderr, "edgebox monitor: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* virtiofsd stays root: it serves a rootfs whose files have any owner,
 * and Debian 12's C virtiofsd cannot map uids.  It sees the shared
 * directory only (then pivots into it in its own sandbox=namespace mode,
 * with its own seccomp allowlist under ours). */
static void vfsd_jail(eb_jail_t *j, const char *root, const char *shared)
{
    *j = (eb_jail_t) { .root = root, .proc_dir = true };
    j->bind[j->nbind] = shared;
    j->bind_rw[j->nbind++] = true;
    /* Read at start-up (its open-file limit), before it mounts a /proc of
     * its own: this one file, not the host's /proc. */
    j->bind[j->nbind++] = "/proc/sys/fs/file-max";
}

/* Connect to virtiofsd's socket now (it accepts once it runs): QEMU gets
 * the connected socket, so its jail holds no path to it. */
static int vfs_connect(monitor_t *m, const char *sock, eb_error_t *err)
{
    struct sockaddr_un sa;
    _cleanup_close_ int dirfd = -1;

    if (eb_unix_addr(sock, &sa, &dirfd, err) < 0)
        return -1;
    m->vfs_conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m->vfs_conn < 0 || connect(m->vfs_conn, (struct sockaddr *) &sa, sizeof(sa)) < 0)
        return eb_error_set(err, errno, "connect to %s", sock);
    return 0;
}

static int start_virtiofsd(monitor_t *m, eb_error_t *err)
{
    _cleanup_free_ char *sock = eb_strdup_printf("%s/vfs.sock", m->o->dir);
    _cleanup_free_ char *src = eb_strdup_printf("source=%s/shared", m->o->dir);
    _cleanup_free_ char *root = eb_strdup_printf("%s/jail", m->o->dir);
    eb_jail_t jail;
    char fdarg[32];
    struct sockaddr_un sa;
    _cleanup_close_ int dirfd = -1;
    const char *argv[] = { "/usr/lib/qemu/virtiofsd", fdarg, "-o", src, "-o", "cache=auto", "-o",
                           "announce_submounts", "-o", "log_level=warn", "--rlimit-nofile=0", NULL };
    const char *bin = getenv("EDGEBOX_VIRTIOFSD");

    if (bin && bin[0])
        argv[0] = bin;
    if (eb_unix_addr(sock, &sa, &dirfd, err) < 0)
        return -1;
    unlink(sock);
    m->vfs_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m->vfs_listen < 0 || bind(m->vfs_listen, (struct sockaddr *) &sa, sizeof(sa)) < 0
        || listen(m->vfs_listen, 1) < 0)
        return eb_error_set(err, errno, "listen on %s", sock);
    /* --fd: virtiofsd accepts on our socket, so QEMU can connect at once. */
    snprintf(fdarg, sizeof(fdarg), "--fd=%d", m->vfs_listen);
    vfsd_jail(&jail, root, src + strlen("source="));
    m->vfsd = spawn(m, argv, &m->vfs_listen, 1, m->confined ? &jail : NULL);
    if (m->vfsd < 0) {
        close(m->vfs_listen), m->vfs_listen = -1;
        return eb_error_set(err, errno, "fork virtiofsd");
    }
    if (vfs_connect(m, sock, err) < 0) {
        close(m->vfs_listen), m->vfs_listen = -1;
        return -1;
    }
    close(m->vfs_listen);
    m->vfs_listen = -1;
    return eb_sandbox_write_pid(m->o->dir, "virtiofsd", m->vfsd, err);
}

/* QEMU's command line, and the descriptors it inherits. */
typedef struct {
    const char *argv[96];
    size_t n;
    char *own[48];
    size_t no;
    int keep[16];
    size_t nk;
} qemu_args_t;

static void arg(qemu_args_t *q, const char *s)
{
    q->argv[q->n++] = s;
}

/* An argument made here: freed once QEMU is started. */
static void arg_own(qemu_args_t *q, char *s)
{
    q->own[q->no++] = s;
    arg(q, s);
}
#define argf(q, ...) arg_own((q), eb_strdup_printf(__VA_ARGS__))

/* The machine: microvm, the accelerator, CPU, memory, the guest's clock. */
static void qemu_machine(qemu_args_t *q, monitor_t *m, const char *accel)
{
    bool kvm = strcmp(accel, "kvm") == 0;
    unsigned tsc_khz = kvm ? 0 : eb_vm_host_tsc_khz();
    char clock[64] = "";

    /* The guest's clock, so that no boot depends on a calibration:
     * - KVM: kvm-clock tells the guest its TSC rate (pvclock), nothing to add.
     * - TCG: the guest's rdtsc reads the host's invariant TSC, so its rate
     *   is the host's (eb_vm_host_tsc_khz says why calibrating it fails
     *   under TCG, and how the boot then hangs).  tsc_early_khz gives the
     *   rate, and without a PIT (pit=off below) the guest has nothing to
     *   calibrate against either: every boot takes the same path.  The
     *   local APIC timer is then timed with the TSC.  tsc=reliable: the
     *   same counter on every vCPU, invariant on the host; without it the
     *   kernel marks the TSC of an "AMD" qemu64 CPU without constant_tsc
     *   unsynchronized as soon as there are two vCPUs, and falls back to
     *   jiffies.
     * - TCG on a host without an invariant TSC: the guest calibrates
     *   against the PIT (pit=on), which can hang; `edgebox check` says so. */
    if (tsc_khz)
        snprintf(clock, sizeof(clock), " tsc_early_khz=%u tsc=reliable", tsc_khz);
    arg(q, eb_qemu_binary());
    arg(q, "-name");
    argf(q, "edgebox-%s", m->o->sid);
    arg(q, "-M");
    /* pcie=on only for the agent's virtio-serial (below).  rtc=on: the
     * guest's wall clock is set at boot from QEMU's CMOS clock (the host's
     * UTC); without one the kernel waits 1 s for an absent RTC twice (in
     * timekeeping and in the rtc_cmos probe: 2 of 3.8 s of a boot) and the
     * guest's time starts at 1970. */
    argf(q, "microvm,x-option-roms=off,rtc=on,memory-backend=mem,pcie=on%s",
         tsc_khz ? ",pit=off" : kvm ? "" : ",pit=on");
    arg(q, "-accel");
    /* TCG's translation cache defaults to 1 GiB, touched as code runs.
     * 32 MiB kept runv-bench's time within run-to-run noise of 64 MiB
     * (bench/RESULTS.md) and the sandbox's memory near the bare VM's.  A
     * pooled VM gets 64: its warm-up (src/agent/warm.c) and then a pod's
     * start overflowed 32 and 48, and a full cache is flushed whole, so
     * the pod started slower than without the warm-up (0.56 s against
     * 0.36 s through the CRI); the pool pays the memory (≈ 25 MiB more
     * PSS per VM), a cold sandbox does not. */
    arg(q, kvm ? "kvm" : m->o->pool ? "tcg,tb-size=64" : "tcg,tb-size=32");
    /* The guest's CRNG must be ready before anything reads randomness
     * (json-c seeds its hash from /dev/urandom, containers call getrandom):
     * without a trusted source the 6.1 kernel generates jitter entropy for
     * about a second of emulated time.  RDRAND is that source: the host's
     * own under KVM, the host's getrandom() under TCG. */
    arg(q, "-cpu");
    arg(q, kvm ? "host" : "qemu64,+rdrand");
    arg(q, "-smp");
    argf(q, "%u", m->o->vcpus);
    arg(q, "-m");
    argf(q, "%uM", m->o->mem_mib);
    /* virtiofsd maps guest memory: it must be a shareable memfd. */
    arg(q, "-object");
    argf(q, "memory-backend-memfd,id=mem,size=%uM,share=on", m->o->mem_mib);
    arg(q, "-nodefaults");
    arg(q, "-no-user-config");
    arg(q, "-nographic");
    arg(q, "-no-reboot");
    arg(q, "-kernel");
    arg(q, m->img.kernel);
    arg(q, "-initrd");
    arg(q, m->img.initrd);
    arg(q, "-append");
    /* panic=-1 + reboot=t: a panicking guest resets at once by triple
     * fault (microvm has no other reset path), and -no-reboot turns the
     * reset into QEMU exiting. */
    argf(q, "console=ttyS0 panic=-1 reboot=t random.trust_cpu=on quiet%s", clock);
}

/* A character device on a connected socket QEMU inherits. */
static void chardev(qemu_args_t *q, const char *id, int fd)
{
    arg(q, "-chardev");
    argf(q, "socket,id=%s,fd=%d", id, fd);
    q->keep[q->nk++] = fd;
}

/* The devices: the console, the agent's port, the shared directory and
 * the pod's NICs, every one a descriptor QEMU inherits. */
static void qemu_devices(qemu_args_t *q, monitor_t *m, int agent_fd, int con_fd)
{
    size_t i;

    chardev(q, "con", con_fd);
    arg(q, "-serial");
    arg(q, "chardev:con");
    arg(q, "-global");
    arg(q, "virtio-mmio.force-legacy=false");
    arg(q, "-device");
    /* On PCI, not virtio-mmio: the guest driver fills every receive queue
     * with 4 KiB buffers, and virtio-mmio offers 1024-entry queues where
     * PCI offers the 32 (control) and 128 (port) QEMU asks for — 8 MiB of
     * guest memory against under 1 (bench/RESULTS.md).  Port 0 is the
     * reserved console slot, 1 the agent's: the default 31 ports cost the
     * guest a couple of MiB of per-port state. */
    arg(q, "virtio-serial-pci,max_ports=2");
    chardev(q, "agent", agent_fd);
    arg(q, "-device");
    arg(q, "virtserialport,chardev=agent,name=io.edgebox.agent");
    chardev(q, "vfs", m->vfs_conn);
    arg(q, "-device");
    arg(q, "vhost-user-fs-device,chardev=vfs,tag=ebshared");
    for (i = 0; i < m->net.n; i++) {
        arg(q, "-netdev");
        argf(q, "tap,id=net%zu,fd=%d", i, m->net.tap_fds[i]);
        q->keep[q->nk++] = m->net.tap_fds[i];
        arg(q, "-device");
        argf(q, "virtio-net-device,netdev=net%zu,mac=%s", i, m->net.mac[i]);
    }
    if (m->confined) {
        /* Every deny QEMU 7.2 offers: TCG and these devices need none of
         * the calls (obsolete ones, set*id, fork/exec, scheduling). */
        arg(q, "-sandbox");
        arg(q, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    }
    q->argv[q->n] = NULL;
}

/* QEMU's jail: the guest image, read-only, and nothing of the sandbox
 * directory (its sockets are descriptors); its own uid. */
static void qemu_jail(const monitor_t *m, eb_jail_t *j, const char *root, bool kvm)
{
    *j = (eb_jail_t) { .root = root, .dev_kvm = kvm, .uid = m->uid, .gid = (gid_t) m->uid,
                       .nofile = 1024, .nproc = 512 };
    j->bind[j->nbind++] = m->img.kernel;
    j->bind[j->nbind++] = m->img.initrd;
}

static int start_qemu(monitor_t *m, eb_error_t *err)
{
    _cleanup_free_ char *root = eb_strdup_printf("%s/jail", m->o->dir);
    int agent[2], con[2], ret = -1;
    qemu_args_t *q = eb_xcalloc(1, sizeof(*q));
    const char *accel = eb_vm_accel();
    eb_jail_t jail;
    size_t i;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, agent) < 0) {
        free(q);
        return eb_error_set(err, errno, "socketpair");
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con) < 0) {
        close(agent[0]), close(agent[1]);
        free(q);
        return eb_error_set(err, errno, "socketpair");
    }
    qemu_machine(q, m, accel);
    qemu_devices(q, m, agent[1], con[1]);
    qemu_jail(m, &jail, root, strcmp(accel, "kvm") == 0);
    m->qemu = spawn(m, q->argv, q->keep, q->nk, m->confined ? &jail : NULL);
    close(agent[1]);
    close(con[1]);
    close(m->vfs_conn), m->vfs_conn = -1;
    if (m->qemu < 0) {
        close(agent[0]), close(con[0]);
        eb_error_set(err, errno, "fork %s", q->argv[0]);
        goto out;
    }
    m->chan = agent[0];
    m->console = con[0];
    fcntl(m->chan, F_SETFL, O_NONBLOCK);
    fcntl(m->console, F_SETFL, O_NONBLOCK);
    eb_frame_reader_free(&m->rd);
    eb_outbuf_free(&m->out);
    m->tail_len = 0;
    ret = eb_sandbox_write_pid(m->o->dir, "qemu", m->qemu, err);
out:
    for (i = 0; i < q->no; i++)
        free(q->own[i]);
    free(q);
    return ret;
}

/* The log writer: a process of its own (a slow disk must not stall the
 * channel), restarted a second after it ends while the sandbox lives. */
void mon_start_logger(monitor_t *m)
{
    pid_t pid = fork();
    eb_error_t err = { 0 };

    if (pid == 0) {
        int keep = eb_log_fd();
        if (m->cg && eb_cgroup_enter(m->cg, getpid(), &err) < 0)
            eb_warn("sandbox %s: the log writer stays out of the pod's cgroup: %s", m->o->sid, err.msg);
        eb_close_fds_except(&keep, 1);
        eb_logger_main(m->o->root, m->o->sid, m->o->dir);
    }
    if (pid < 0) {
        m->logger_due = eb_now_ms() + 1000;
        return;
    }
    m->logger = pid;
    if (eb_sandbox_write_pid(m->o->dir, "logger", pid, &err) < 0)
        eb_warn("sandbox %s: %s", m->o->sid, err.msg);
}

void mon_stop_logger(monitor_t *m)
{
    if (m->logger > 0) {
        kill(m->logger, SIGKILL);
        waitpid(m->logger, NULL, 0);
        m->logger = 0;
    }
}

void mon_stop_vm(monitor_t *m)
{
    if (m->qemu > 0) {
        kill(m->qemu, SIGKILL);
        waitpid(m->qemu, NULL, 0);
        m->qemu = 0;
    }
    if (m->vfsd > 0) {
        kill(m->vfsd, SIGKILL);
        waitpid(m->vfsd, NULL, 0);
        m->vfsd = 0;
    }
    if (m->vfs_conn >= 0)
        close(m->vfs_conn), m->vfs_conn = -1;
    if (m->chan >= 0)
        close(m->chan), m->chan = -1;
    if (m->console >= 0)
        close(m->console), m->console = -1;
}

/* EDGEBOX_RUNV_BOOT_TIMEOUT_S: seconds a boot attempt is given (tests of
 * the retry shorten it; TCG boots reach the agent in under 2 s here). */
uint64_t mon_boot_timeout_ms(void)
{
    const char *t = getenv("EDGEBOX_RUNV_BOOT_TIMEOUT_S");
    uint64_t v;
    return t && eb_parse_u64(t, &v) == 0 && v >= 1 && v <= EB_RUNV_BOOT_TIMEOUT_S ? v * 1000 : EB_RUNV_BOOT_TIMEOUT_S * 1000ull;
}

int eb_runv_boot_attempts(void)
{
    const char *r = getenv("EDGEBOX_RUNV_BOOT_RETRIES");
    return r && strcmp(r, "0") == 0 ? 1 : EB_RUNV_BOOT_ATTEMPTS;
}

int mon_start_vm(monitor_t *m, eb_error_t *err)
{
    m->attempt++;
    if (start_virtiofsd(m, err) < 0 || start_qemu(m, err) < 0)
        return -1;
    m->phase = BOOTING;
    m->boot_start = eb_now_ms();
    m->deadline = m->boot_start + mon_boot_timeout_ms();
    eb_info("sandbox %s: boot attempt %d of %d (%s, %u MiB, %u vCPU)", m->o->sid, m->attempt,
            eb_runv_boot_attempts(), eb_vm_accel(), m->o->mem_mib, m->o->vcpus);
    return 0;
}
