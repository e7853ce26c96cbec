/* monitor.c - the per-sandbox monitor: owns QEMU, virtiofsd and the agent
 * channel, and multiplexes the CLI's requests and the relays' streams onto
 * that one channel.
 *
 * Everything from the guest is untrusted.  A frame that breaks the protocol
 * (bad header, unknown request id, a stream it does not own, data beyond
 * the credit we granted, malformed JSON) ends the sandbox: the VM is
 * killed, every relay gets an exit with the reason, and nothing of the
 * sandbox stays on the host.  A guest can never make the monitor allocate
 * more than its credit per stream, nor block it: all guest-facing I/O is
 * non-blocking. */
#include "runv/runv.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONSOLE_TAIL 8192
#define PING_EVERY_MS 10000
#define PING_DEADLINE_MS 30000
#define MAX_CREDIT (16u << 20)
#define CONN_PENDING_MAX (2 * EB_STREAM_WINDOW)
#define MAX_CONNS 256

typedef struct mconn {
    int fd;
    eb_frame_reader_t rd;
    eb_outbuf_t out;
    bool dead;
    struct mconn *next;
} mconn_t;

typedef struct mstream {
    uint32_t id;
    mconn_t *owner;
    uint32_t out_credit, in_credit;
    uint8_t *pend;
    size_t plen;
    bool pend_eof, eof_sent;
    bool log;                  /* the in-guest log files' stream (one per sandbox) */
    struct mstream *next;
} mstream_t;

typedef struct mpending {
    uint32_t agent_id, client_id;
    mconn_t *conn;             /* NULL: the monitor's own request */
    char op[16];
    char cid[256];
    uint32_t stream;
    uint64_t sent_ms;
    struct mpending *next;
} mpending_t;

enum phase { BOOTING, SETUP, READY, DYING };

typedef struct {
    const eb_monitor_opts_t *o;
    eb_guest_image_t img;
    int chan, console, listen_fd, sfd, vfs_listen;
    eb_frame_reader_t rd;
    eb_outbuf_t out;
    char tail[CONSOLE_TAIL];
    size_t tail_len;
    pid_t qemu, vfsd;
    pid_t logger;              /* the host writer of in-guest log files */
    bool want_logger;          /* a container declared log files */
    uint64_t logger_due;       /* when to start it (again) */
    mconn_t *conns;
    mstream_t *streams;
    mpending_t *pending;
    uint32_t next_agent_id, next_stream;
    enum phase phase;
    uint64_t deadline, boot_start, last_ping;
    int attempt;
    eb_podnet_t net;
    char reason[EB_ERROR_MSG_MAX];
    bool exit_ok;
} monitor_t;

/* The last lines of the guest console, for reasons and boot errors. */
static const char *console_tail(monitor_t *m, char *buf, size_t size)
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

static ssize_t read_console(monitor_t *m)
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

/* ---------------------------------------------------------------- VM --- */

static pid_t spawn(const char *const argv[], const int *keep, size_t nkeep)
{
    pid_t pid = fork();
    size_t i;

    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    {
        int null = open("/dev/null", O_RDWR);
        sigset_t none;
        /* Their complaints go to our log file, or nowhere. */
        dup2(null, 0), dup2(null, 1);
        dup2(eb_log_is_file() ? eb_log_fd() : null, 2);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }
    for (i = 0; i < nkeep; i++)
        fcntl(keep[i], F_SETFD, 0);
    execvp(argv[0], (char *const *) argv);
    fprintf(stderr, "edgebox monitor: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int start_virtiofsd(monitor_t *m, eb_error_t *err)
{
    _cleanup_free_ char *sock = eb_strdup_printf("%s/vfs.sock", m->o->dir);
    _cleanup_free_ char *src = eb_strdup_printf("source=%s/shared", m->o->dir);
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
    m->vfsd = spawn(argv, &m->vfs_listen, 1);
    close(m->vfs_listen);
    m->vfs_listen = -1;
    if (m->vfsd < 0)
        return eb_error_set(err, errno, "fork virtiofsd");
    return eb_sandbox_write_pid(m->o->dir, "virtiofsd", m->vfsd, err);
}

static int start_qemu(monitor_t *m, eb_error_t *err)
{
    int agent[2], con[2];
    const char *argv[96];
    char *own[48];
    int keep[16];
    size_t n = 0, no = 0, nk = 0, i;
    const char *accel = eb_vm_accel();
    int vfs_dirfd = -1;
    unsigned tsc_khz = strcmp(accel, "kvm") == 0 ? 0 : eb_vm_host_tsc_khz();
    char clock[64] = "";
    int ret = -1;

    /* The guest's clock, so that no boot depends on a calibration:
     * - KVM: kvm-clock tells the guest its TSC rate (pvclock), nothing to add.
     * - TCG: the guest's rdtsc reads the host's invariant TSC, so its rate
     *   is the host's (eb_vm_host_tsc_khz says why calibrating it fails
     *   under TCG, and how the boot then hangs).  tsc_early_khz gives the
     *   rate, and without a PIT (pit=off above) the guest has nothing to
     *   calibrate against either: every boot takes the same path.  The
     *   local APIC timer is then timed with the TSC.  tsc=reliable: the
     *   same counter on every vCPU, invariant on the host; without it the
     *   kernel marks the TSC of an "AMD" qemu64 CPU without constant_tsc
     *   unsynchronized as soon as there are two vCPUs, and falls back to
     *   jiffies.
     * - TCG on a host without an invariant TSC: the guest calibrates
     *   against the PIT (given above), which can hang; `edgebox check`
     *   says so. */
    if (tsc_khz)
        snprintf(clock, sizeof(clock), " tsc_early_khz=%u tsc=reliable", tsc_khz);

#define OWN(...) (own[no++] = eb_strdup_printf(__VA_ARGS__))
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, agent) < 0)
        return eb_error_set(err, errno, "socketpair");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, con) < 0) {
        close(agent[0]), close(agent[1]);
        return eb_error_set(err, errno, "socketpair");
    }
    argv[n++] = eb_qemu_binary();
    argv[n++] = "-name";
    argv[n++] = OWN("edgebox-%s", m->o->sid);
    argv[n++] = "-M";
    /* pcie=on only for the agent's virtio-serial (below).  rtc=on: the
     * guest's wall clock is set at boot from QEMU's CMOS clock (the host's
     * UTC); without one the kernel waits 1 s for an absent RTC twice (in
     * timekeeping and in the rtc_cmos probe: 2 of 3.8 s of a boot) and the
     * guest's time starts at 1970.  The PIT: see the clock below. */
    argv[n++] = OWN("microvm,x-option-roms=off,rtc=on,memory-backend=mem,pcie=on%s",
                    tsc_khz ? ",pit=off" : strcmp(accel, "kvm") == 0 ? "" : ",pit=on");
    argv[n++] = "-accel";
    /* TCG's translation cache defaults to 1 GiB, touched as code runs.
     * 32 MiB kept runv-bench's time within run-to-run noise of 64 MiB
     * (bench/RESULTS.md) and the sandbox's memory near the bare VM's. */
    argv[n++] = strcmp(accel, "kvm") == 0 ? "kvm" : "tcg,tb-size=32";
    /* The guest's CRNG must be ready before anything reads randomness
     * (json-c seeds its hash from /dev/urandom, containers call getrandom):
     * without a trusted source the 6.1 kernel generates jitter entropy for
     * about a second of emulated time.  RDRAND is that source: the host's
     * own under KVM, the host's getrandom() under TCG. */
    argv[n++] = "-cpu";
    argv[n++] = strcmp(accel, "kvm") == 0 ? "host" : "qemu64,+rdrand";
    argv[n++] = "-smp";
    argv[n++] = OWN("%u", m->o->vcpus);
    argv[n++] = "-m";
    argv[n++] = OWN("%uM", m->o->mem_mib);
    /* virtiofsd maps guest memory: it must be a shareable memfd. */
    argv[n++] = "-object";
    argv[n++] = OWN("memory-backend-memfd,id=mem,size=%uM,share=on", m->o->mem_mib);
    argv[n++] = "-nodefaults";
    argv[n++] = "-no-user-config";
    argv[n++] = "-nographic";
    argv[n++] = "-no-reboot";
    argv[n++] = "-kernel";
    argv[n++] = m->img.kernel;
    argv[n++] = "-initrd";
    argv[n++] = m->img.initrd;
    argv[n++] = "-append";
    /* panic=-1 + reboot=t: a panicking guest resets at once by triple
     * fault (microvm has no other reset path), and -no-reboot turns the
     * reset into QEMU exiting. */
    argv[n++] = OWN("console=ttyS0 panic=-1 reboot=t random.trust_cpu=on quiet%s", clock);
    argv[n++] = "-chardev";
    argv[n++] = OWN("socket,id=con,fd=%d", con[1]);
    keep[nk++] = con[1];
    argv[n++] = "-serial";
    argv[n++] = "chardev:con";
    argv[n++] = "-global";
    argv[n++] = "virtio-mmio.force-legacy=false";
    argv[n++] = "-device";
    /* On PCI, not virtio-mmio: the guest driver fills every receive queue
     * with 4 KiB buffers, and virtio-mmio offers 1024-entry queues where
     * PCI offers the 32 (control) and 128 (port) QEMU asks for — 8 MiB of
     * guest memory against under 1 (bench/RESULTS.md).  Port 0 is the
     * reserved console slot, 1 the agent's: the default 31 ports cost the
     * guest a couple of MiB of per-port state. */
    argv[n++] = "virtio-serial-pci,max_ports=2";
    argv[n++] = "-chardev";
    argv[n++] = OWN("socket,id=agent,fd=%d", agent[1]);
    keep[nk++] = agent[1];
    argv[n++] = "-device";
    argv[n++] = "virtserialport,chardev=agent,name=" "io.edgebox.agent";
    argv[n++] = "-chardev";
    /* A long sandbox dir (64-character ids under containerd's roots) is
     * reached through a descriptor QEMU inherits (eb_unix_addr). */
    {
        _cleanup_free_ char *vsock = eb_strdup_printf("%s/vfs.sock", m->o->dir);
        struct sockaddr_un sa;
        if (eb_unix_addr(vsock, &sa, &vfs_dirfd, err) < 0) {
            close(agent[0]), close(agent[1]), close(con[0]), close(con[1]);
            goto out;
        }
        if (vfs_dirfd >= 0)
            keep[nk++] = vfs_dirfd;
        argv[n++] = OWN("socket,id=vfs,path=%s", sa.sun_path);
    }
    argv[n++] = "-device";
    argv[n++] = "vhost-user-fs-device,chardev=vfs,tag=ebshared";
    for (i = 0; i < m->net.n; i++) {
        argv[n++] = "-netdev";
        argv[n++] = OWN("tap,id=net%zu,fd=%d", i, m->net.tap_fds[i]);
        keep[nk++] = m->net.tap_fds[i];
        argv[n++] = "-device";
        argv[n++] = OWN("virtio-net-device,netdev=net%zu,mac=%s", i, m->net.mac[i]);
    }
    argv[n] = NULL;
#undef OWN
    m->qemu = spawn(argv, keep, nk);
    close(agent[1]);
    close(con[1]);
    if (m->qemu < 0) {
        close(agent[0]), close(con[0]);
        eb_error_set(err, errno, "fork %s", argv[0]);
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
    if (vfs_dirfd >= 0)
        close(vfs_dirfd);
    for (i = 0; i < no; i++)
        free(own[i]);
    return ret;
}

/* The log writer: a process of its own (a slow disk must not stall the
 * channel), restarted a second after it ends while the sandbox lives. */
static void start_logger(monitor_t *m)
{
    pid_t pid = fork();
    eb_error_t err = { 0 };

    if (pid == 0) {
        int keep = eb_log_fd();
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

static void stop_logger(monitor_t *m)
{
    if (m->logger > 0) {
        kill(m->logger, SIGKILL);
        waitpid(m->logger, NULL, 0);
        m->logger = 0;
    }
}

static void stop_vm(monitor_t *m)
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
    if (m->chan >= 0)
        close(m->chan), m->chan = -1;
    if (m->console >= 0)
        close(m->console), m->console = -1;
}

/* EDGEBOX_RUNV_BOOT_TIMEOUT_S: seconds a boot attempt is given (tests of
 * the retry shorten it; TCG boots reach the agent in under 2 s here). */
static uint64_t boot_timeout_ms(void)
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

static int start_vm(monitor_t *m, eb_error_t *err)
{
    m->attempt++;
    if (start_virtiofsd(m, err) < 0 || start_qemu(m, err) < 0)
        return -1;
    m->phase = BOOTING;
    m->boot_start = eb_now_ms();
    m->deadline = m->boot_start + boot_timeout_ms();
    eb_info("sandbox %s: boot attempt %d of %d (%s, %u MiB, %u vCPU)", m->o->sid, m->attempt,
            eb_runv_boot_attempts(), eb_vm_accel(), m->o->mem_mib, m->o->vcpus);
    return 0;
}

/* ----------------------------------------------------------- streams --- */

static mstream_t *stream_find(monitor_t *m, uint32_t id)
{
    mstream_t *s;
    for (s = m->streams; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

static void stream_drop(monitor_t *m, mstream_t *s)
{
    mstream_t **pp;
    for (pp = &m->streams; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            free(s->pend);
            free(s);
            return;
        }
}

/* Stdin goes to the guest only as far as the agent granted. */
static void stream_flush_stdin(monitor_t *m, mstream_t *s)
{
    while (s->plen > 0 && s->in_credit > 0 && m->chan >= 0) {
        size_t n = s->plen;
        if (n > s->in_credit) n = s->in_credit;
        if (n > EB_FRAME_MAX_DATA) n = EB_FRAME_MAX_DATA;
        eb_outbuf_frame(&m->out, EB_FRAME_STDIN, s->id, s->pend, (uint32_t) n);
        memmove(s->pend, s->pend + n, s->plen - n);
        s->plen -= n;
        s->in_credit -= (uint32_t) n;
    }
    if (s->plen == 0 && s->pend_eof && !s->eof_sent && m->chan >= 0) {
        eb_outbuf_frame(&m->out, EB_FRAME_STDIN, s->id, NULL, 0);
        s->eof_sent = true;
    }
}

/* ---------------------------------------------------------- requests --- */

static void send_agent(monitor_t *m, mconn_t *c, uint32_t client_id, json_object *req, const char *op,
                       const char *cid, uint32_t stream)
{
    mpending_t *p = eb_xcalloc(1, sizeof(*p));

    p->agent_id = ++m->next_agent_id;
    p->client_id = client_id;
    p->conn = c;
    p->stream = stream;
    p->sent_ms = eb_now_ms();
    snprintf(p->op, sizeof(p->op), "%s", op);
    snprintf(p->cid, sizeof(p->cid), "%s", cid ? cid : "");
    p->next = m->pending;
    m->pending = p;
    eb_msg_queue(&m->out, EB_FRAME_REQUEST, p->agent_id, req);
}

static void internal_signal(monitor_t *m, uint32_t stream, int sig)
{
    json_object *r = json_object_new_object();
    json_object_object_add(r, "op", json_object_new_string("signal"));
    json_object_object_add(r, "stream", json_object_new_int64(stream));
    json_object_object_add(r, "signal", json_object_new_int(sig));
    send_agent(m, NULL, 0, r, "signal", NULL, 0);
    json_object_put(r);
}

static void reply(mconn_t *c, uint32_t id, json_object *resp)
{
    eb_msg_queue(&c->out, EB_FRAME_RESPONSE, id, resp);
}

static void reply_error(mconn_t *c, uint32_t id, eb_error_t *err)
{
    json_object *e = eb_msg_error(err);
    reply(c, id, e);
    json_object_put(e);
}

static void conn_request(monitor_t *m, mconn_t *c, const eb_frame_t *f)
{
    eb_error_t err = { 0 };
    json_object *req = eb_msg_parse(f->payload, f->len, &err), *resp;
    const char *op = NULL, *cid = NULL;
    uint32_t stream = 0;

    if (req == NULL || eb_msg_str(req, "op", 32, false, &op, &err) < 0
        || eb_msg_str(req, "id", 1024, true, &cid, &err) < 0)
        goto fail;
    if (m->phase != READY && strcmp(op, "shutdown") != 0) {
        eb_error_set(&err, EAGAIN, "sandbox %s is not ready", m->o->sid);
        goto fail;
    }
    if (strcmp(op, "shutdown") == 0) {
        resp = json_object_new_object();
        json_object_object_add(resp, "ok", json_object_new_boolean(1));
        reply(c, f->id, resp);
        json_object_put(resp);
        m->phase = DYING;
        m->exit_ok = true;
        json_object_put(req);
        return;
    }
    if (strcmp(op, "info") == 0) {
        resp = json_object_new_object();
        json_object_object_add(resp, "ok", json_object_new_boolean(1));
        json_object_object_add(resp, "qemu_pid", json_object_new_int(m->qemu));
        json_object_object_add(resp, "virtiofsd_pid", json_object_new_int(m->vfsd));
        json_object_object_add(resp, "accel", json_object_new_string(eb_vm_accel()));
        json_object_object_add(resp, "mem_mib", json_object_new_int((int) m->o->mem_mib));
        json_object_object_add(resp, "vcpus", json_object_new_int((int) m->o->vcpus));
        reply(c, f->id, resp);
        json_object_put(resp);
        json_object_put(req);
        return;
    }
    if (strcmp(op, "create") == 0 || strcmp(op, "exec") == 0 || strcmp(op, "logs") == 0) {
        /* The requesting connection (a relay, the log writer) owns the new
         * stream.  One log stream at a time: a writer that (re)subscribes
         * takes the place of one that is gone. */
        bool logs = strcmp(op, "logs") == 0;
        mstream_t *s, *old = NULL;
        if (logs)
            for (old = m->streams; old && !old->log; old = old->next) { }
        if (old && old->owner && !old->owner->dead) {
            eb_error_set(&err, EBUSY, "sandbox %s: the log files have a writer already", m->o->sid);
            goto fail;
        }
        if (old)
            stream_drop(m, old);
        if (strcmp(op, "create") == 0 && json_object_object_get_ex(req, "log_files", NULL) && !m->want_logger) {
            m->want_logger = true;
            m->logger_due = eb_now_ms();
        }
        s = eb_xcalloc(1, sizeof(*s));
        s->id = ++m->next_stream;
        s->owner = c;
        s->out_credit = s->in_credit = EB_STREAM_WINDOW;
        s->log = logs;
        s->next = m->streams;
        m->streams = s;
        stream = s->id;
        json_object_object_add(req, "stream", json_object_new_int64(stream));
    } else if (strcmp(op, "signal") == 0 || strcmp(op, "resize") == 0) {
        int64_t sid;
        mstream_t *s;
        if (eb_msg_int(req, "stream", 1, UINT32_MAX, false, &sid, &err) < 0)
            goto fail;
        s = stream_find(m, (uint32_t) sid);
        if (s == NULL || s->owner != c) {
            eb_error_set(&err, EPERM, "stream %lld is not this connection's", (long long) sid);
            goto fail;
        }
    }
    send_agent(m, c, f->id, req, op, cid, stream);
    json_object_put(req);
    return;
fail:
    json_object_put(req);
    reply_error(c, f->id, &err);
}

static void conn_close(monitor_t *m, mconn_t *c)
{
    mstream_t *s;
    mpending_t *p;

    for (s = m->streams; s; s = s->next)
        if (s->owner == c) {
            /* The relay is gone (the shim killed it?): so is the process
             * it stood for, as a runc container's init would be.  The log
             * writer's stream waits for the next writer. */
            s->owner = NULL;
            if (m->phase == READY && !s->log)
                internal_signal(m, s->id, SIGKILL);
        }
    for (p = m->pending; p; p = p->next)
        if (p->conn == c)
            p->conn = NULL;
    c->dead = true;
}

static void conn_frame(monitor_t *m, mconn_t *c, const eb_frame_t *f)
{
    mstream_t *s;

    switch (f->type) {
    case EB_FRAME_REQUEST:
        conn_request(m, c, f);
        return;
    case EB_FRAME_STDIN:
        s = stream_find(m, f->id);
        if (s == NULL || s->owner != c)
            return;
        if (f->len == 0) {
            s->pend_eof = true;
        } else {
            s->pend = eb_xrealloc(s->pend, s->plen + f->len);
            memcpy(s->pend + s->plen, f->payload, f->len);
            s->plen += f->len;
        }
        stream_flush_stdin(m, s);
        return;
    case EB_FRAME_WINDOW:
        s = stream_find(m, f->id);
        if (s == NULL || s->owner != c)
            return;
        {
            uint32_t n = eb_frame_window(f);
            if (n > MAX_CREDIT - s->out_credit)
                n = MAX_CREDIT - s->out_credit;
            s->out_credit += n;
            if (n && m->chan >= 0)
                eb_outbuf_window(&m->out, s->id, n);
        }
        return;
    default:
        conn_close(m, c);
    }
}

/* ------------------------------------------------------- agent input --- */

static int violation(monitor_t *m, eb_error_t *err)
{
    snprintf(m->reason, sizeof(m->reason), "agent protocol violation: %s", err->msg);
    return -1;
}

static void finish_pending(monitor_t *m, mpending_t *p, json_object *resp, bool ok)
{
    if (strcmp(p->op, "sandbox") == 0 && m->phase == SETUP) {
        eb_error_t e = { 0 };
        if (!ok) {
            eb_msg_response_status(resp, &e);
            snprintf(m->reason, sizeof(m->reason), "set up the guest: %s", e.msg);
            m->phase = DYING;
            return;
        }
        m->phase = READY;
        m->last_ping = eb_now_ms();
        eb_info("sandbox %s: ready %llu ms after QEMU started (attempt %d)", m->o->sid,
                (unsigned long long) (eb_now_ms() - m->boot_start), m->attempt);
        eb_bootstats_add(m->o->root, EB_BOOT_READY, eb_now_ms() - m->boot_start, NULL);
        if (m->o->ready_fd >= 0) {
            if (write(m->o->ready_fd, "OK\n", 3) < 0) { }
            close(m->o->ready_fd);
        }
        return;
    }
    if ((strcmp(p->op, "create") == 0 || strcmp(p->op, "exec") == 0 || strcmp(p->op, "logs") == 0) && p->stream) {
        mstream_t *s = stream_find(m, p->stream);
        if (!ok && s)
            stream_drop(m, s);
        else if (ok)
            json_object_object_add(resp, "stream", json_object_new_int64(p->stream));
    }
    if (strcmp(p->op, "delete") == 0 && ok && strcmp(p->cid, m->o->sid) == 0) {
        /* The sandbox's own container is gone: so is the sandbox. */
        m->phase = DYING;
        m->exit_ok = true;
    }
    if (p->conn && !p->conn->dead)
        reply(p->conn, p->client_id, resp);
}

static int agent_response(monitor_t *m, const eb_frame_t *f, eb_error_t *err)
{
    mpending_t **pp, *p;
    json_object *resp;
    bool ok = false;

    for (pp = &m->pending; *pp; pp = &(*pp)->next)
        if ((*pp)->agent_id == f->id)
            break;
    if (*pp == NULL) {
        eb_error_set(err, EPROTO, "response to unknown request %u", f->id);
        return -1;
    }
    p = *pp;
    resp = eb_msg_parse(f->payload, f->len, err);
    if (resp == NULL || eb_msg_bool(resp, "ok", &ok, err) < 0) {
        json_object_put(resp);
        return -1;
    }
    *pp = p->next;
    finish_pending(m, p, resp, ok);
    json_object_put(resp);
    free(p);
    return 0;
}

static int agent_event(monitor_t *m, const eb_frame_t *f, eb_error_t *err)
{
    json_object *ev = eb_msg_parse(f->payload, f->len, err);
    const char *name;
    int64_t stream, status;
    mstream_t *s;

    if (ev == NULL)
        return -1;
    if (eb_msg_str(ev, "event", 32, false, &name, err) < 0)
        goto bad;
    if (strcmp(name, "exit") == 0) {
        if (eb_msg_int(ev, "stream", 1, UINT32_MAX, false, &stream, err) < 0
            || eb_msg_int(ev, "status", 0, 0xffff, false, &status, err) < 0)
            goto bad;
        s = stream_find(m, (uint32_t) stream);
        if (s == NULL) {
            eb_error_set(err, EPROTO, "exit of unknown stream %lld", (long long) stream);
            goto bad;
        }
        if (s->log) {
            eb_error_set(err, EPROTO, "exit on the log stream %lld", (long long) stream);
            goto bad;
        }
        if (s->owner && !s->owner->dead)
            eb_msg_queue(&s->owner->out, EB_FRAME_EVENT, 0, ev);
        stream_drop(m, s);
    } else if (strcmp(name, "logfile") == 0 || strcmp(name, "logclosed") == 0 || strcmp(name, "logend") == 0) {
        /* For the writer, which checks the rest of it. */
        if (eb_msg_int(ev, "stream", 1, UINT32_MAX, false, &stream, err) < 0)
            goto bad;
        s = stream_find(m, (uint32_t) stream);
        if (s && !s->log) {
            eb_error_set(err, EPROTO, "%s event on stream %lld, not the log stream", name, (long long) stream);
            goto bad;
        }
        /* A stream replaced meanwhile: the new writer hears it again. */
        if (s && s->owner && !s->owner->dead)
            eb_msg_queue(&s->owner->out, EB_FRAME_EVENT, 0, ev);
    }
    /* Other events are informational; they are not forwarded. */
    json_object_put(ev);
    return 0;
bad:
    json_object_put(ev);
    return -1;
}

static int agent_frame(monitor_t *m, const eb_frame_t *f, eb_error_t *err)
{
    mstream_t *s;

    switch (f->type) {
    case EB_FRAME_HELLO: {
        json_object *h = eb_msg_parse(f->payload, f->len, err);
        int64_t proto;
        if (h == NULL || m->phase != BOOTING || eb_msg_int(h, "protocol", 1, 1, false, &proto, err) < 0) {
            if (!eb_error_is_set(err))
                eb_error_set(err, EPROTO, "unexpected hello");
            json_object_put(h);
            return -1;
        }
        json_object_put(h);
        eb_info("sandbox %s: agent up %llu ms after QEMU started", m->o->sid,
                (unsigned long long) (eb_now_ms() - m->boot_start));
        m->phase = SETUP;
        m->deadline = eb_now_ms() + 30000;
        {
            json_object *r = m->net.config ? json_object_get(m->net.config) : json_object_new_object();
            json_object_object_add(r, "op", json_object_new_string("sandbox"));
            if (m->o->hostname)
                json_object_object_add(r, "hostname", json_object_new_string(m->o->hostname));
            send_agent(m, NULL, 0, r, "sandbox", NULL, 0);
            json_object_put(r);
        }
        return 0;
    }
    case EB_FRAME_RESPONSE:
        return agent_response(m, f, err);
    case EB_FRAME_EVENT:
        return agent_event(m, f, err);
    case EB_FRAME_STDOUT:
    case EB_FRAME_STDERR:
    case EB_FRAME_LOG:
        s = stream_find(m, f->id);
        if (s == NULL) {
            /* The log stream may have been replaced by a new writer's:
             * what was in flight for the old one is dropped (the new
             * writer resumes from its checkpoint).  Only on an id we
             * handed out. */
            if (f->type == EB_FRAME_LOG && f->id <= m->next_stream)
                return 0;
            return eb_error_set(err, EPROTO, "%s on unknown stream %u", eb_frame_type_name(f->type), f->id);
        }
        if (s->log != (f->type == EB_FRAME_LOG))
            return eb_error_set(err, EPROTO, "%s frame on %s stream %u", eb_frame_type_name(f->type),
                                s->log ? "the log" : "a process", f->id);
        if (f->len > s->out_credit)
            return eb_error_set(err, EPROTO, "stream %u: %u bytes beyond the %u granted", f->id, f->len,
                                s->out_credit);
        s->out_credit -= f->len;
        if (s->owner && !s->owner->dead) {
            eb_outbuf_frame(&s->owner->out, f->type, f->id, f->payload, f->len);
        } else if (s->log) {
            /* No writer: the bytes stay in the guest's file; no credit
             * back, so the agent waits for the next writer. */
        } else if (f->len) {
            /* Nobody listens: discard, but keep the guest process moving. */
            s->out_credit += f->len;
            eb_outbuf_window(&m->out, f->id, f->len);
        }
        return 0;
    case EB_FRAME_WINDOW:
        s = stream_find(m, f->id);
        if (s == NULL)
            return 0;      /* the stream ended meanwhile */
        if (eb_frame_window(f) > MAX_CREDIT - s->in_credit)
            return eb_error_set(err, EPROTO, "stream %u: window overflow", f->id);
        s->in_credit += eb_frame_window(f);
        if (s->owner && !s->owner->dead)
            eb_outbuf_window(&s->owner->out, s->id, eb_frame_window(f));
        stream_flush_stdin(m, s);
        return 0;
    default:
        return eb_error_set(err, EPROTO, "unexpected %s frame from the guest", eb_frame_type_name(f->type));
    }
}

/* Handle every complete frame the reader holds. */
static int agent_drain(monitor_t *m, eb_error_t *err)
{
    eb_frame_t f;
    int rc;

    while ((rc = eb_frame_next(&m->rd, &f, err)) == 1)
        if (agent_frame(m, &f, err) < 0)
            return violation(m, err);
    return rc < 0 ? violation(m, err) : 0;
}

static int agent_input(monitor_t *m, eb_error_t *err)
{
    for (;;) {
        size_t room;
        uint8_t *buf = eb_frame_reader_space(&m->rd, &room);
        ssize_t n = read(m->chan, buf, room);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (n <= 0) {
            snprintf(m->reason, sizeof(m->reason), "the agent channel closed");
            return -1;
        }
        eb_frame_reader_commit(&m->rd, (size_t) n);
        if (agent_drain(m, err) < 0)
            return -1;
    }
}

/* The guest-facing decoder without a guest: a monitor in the READY phase
 * with one relay connection owning streams 1 and 2, the log stream 3 and
 * requests 1-4 in flight, fed DATA as if the agent had written it.  For the libFuzzer
 * target and the unit test; returns -1 where the monitor would end the
 * sandbox. */
int eb_monitor_feed(const uint8_t *data, size_t len, eb_error_t *err)
{
    static const char *const ops[] = { "create", "state", "delete", "ping" };
    monitor_t m = { .chan = -1, .console = -1, .listen_fd = -1, .vfs_listen = -1, .phase = READY };
    eb_monitor_opts_t o = { .sid = "fuzz", .ready_fd = -1 };
    mconn_t *c = eb_xcalloc(1, sizeof(*c));
    int ret = 0, i;

    m.o = &o;
    c->fd = -1;
    m.conns = c;
    for (i = 1; i <= 3; i++) {
        mstream_t *s = eb_xcalloc(1, sizeof(*s));
        s->id = (uint32_t) i;
        s->log = i == 3;
        s->owner = c;
        s->out_credit = s->in_credit = EB_STREAM_WINDOW;
        s->next = m.streams;
        m.streams = s;
    }
    for (i = 0; i < 4; i++) {
        json_object *r = json_object_new_object();
        send_agent(&m, c, (uint32_t) i + 100, r, ops[i], "fuzz", i == 0 ? 1 : 0);
        json_object_put(r);
    }
    while (len > 0 && ret == 0 && m.phase == READY) {
        size_t room, n;
        uint8_t *buf = eb_frame_reader_space(&m.rd, &room);

        n = len < room ? len : room;
        memcpy(buf, data, n);
        eb_frame_reader_commit(&m.rd, n);
        data += n, len -= n;
        ret = agent_drain(&m, err);
    }
    while (m.streams)
        stream_drop(&m, m.streams);
    while (m.pending) {
        mpending_t *p = m.pending;
        m.pending = p->next;
        free(p);
    }
    eb_frame_reader_free(&m.rd);
    eb_outbuf_free(&m.out);
    eb_frame_reader_free(&c->rd);
    eb_outbuf_free(&c->out);
    free(c);
    return ret;
}

/* ------------------------------------------------------------ ending --- */

/* Every process still relayed ends as if killed: with REASON when the
 * sandbox failed (the relay tells it), silently when it was deleted or
 * shut down - its relay must not find the monitor gone without a word. */
static void end_streams(monitor_t *m, const char *reason)
{
    mstream_t *s;

    for (s = m->streams; s; s = s->next)
        if (s->owner && !s->owner->dead && (reason || !s->log)) {
            json_object *ev = json_object_new_object();
            json_object_object_add(ev, "event", json_object_new_string("exit"));
            json_object_object_add(ev, "stream", json_object_new_int64(s->id));
            json_object_object_add(ev, "status", json_object_new_int(SIGKILL));
            if (reason)
                json_object_object_add(ev, "reason", json_object_new_string(reason));
            eb_msg_queue(&s->owner->out, EB_FRAME_EVENT, 0, ev);
            json_object_put(ev);
        }
}

/* Every stream ends with the reason; every waiting client gets it. */
static void fail_all(monitor_t *m, const char *reason)
{
    mpending_t *p;
    eb_error_t e = { 0 };

    eb_error_set(&e, EIO, "sandbox %s: %s", m->o->sid, reason);
    end_streams(m, e.msg);
    for (p = m->pending; p; p = p->next)
        if (p->conn && !p->conn->dead)
            reply_error(p->conn, p->client_id, &e);
}

static void flush_conns(monitor_t *m, int budget_ms)
{
    uint64_t end = eb_now_ms() + (uint64_t) budget_ms;
    mconn_t *c;
    bool more = true;

    while (more && eb_now_ms() < end) {
        more = false;
        for (c = m->conns; c; c = c->next) {
            if (c->dead || !eb_outbuf_pending(&c->out))
                continue;
            if (eb_outbuf_flush(&c->out, c->fd) < 0)
                c->dead = true;
            else if (eb_outbuf_pending(&c->out))
                more = true;
        }
        if (more)
            usleep(5000);
    }
}

static __attribute__((noreturn)) void finish(monitor_t *m)
{
    char tail[1024];

    if (!m->exit_ok) {
        /* Whatever noticed first (channel EOF, QEMU's exit), a panic on
         * the console is the reason worth telling. */
        while (m->console >= 0 && read_console(m) > 0) { }
        if (memmem(m->tail, m->tail_len, "Kernel panic", 12))
            snprintf(m->reason, sizeof(m->reason), "the guest kernel panicked");
        else if (m->reason[0] == 0)
            snprintf(m->reason, sizeof(m->reason), "the VM stopped");
        eb_err("sandbox %s: %s; console: %s", m->o->sid, m->reason, console_tail(m, tail, sizeof(tail)));
        fail_all(m, m->reason);
    } else {
        end_streams(m, NULL);
    }
    /* No guest shutdown on a clean end either: the guest keeps nothing of
     * its own (tmpfs root; container files are written through virtio-fs
     * without a writeback cache), so killing QEMU loses nothing and saves
     * an emulated power-off. */
    flush_conns(m, 2000);
    stop_logger(m);
    stop_vm(m);
    eb_podnet_free(&m->net);
    eb_sandbox_teardown(m->o->dir);
    _exit(m->exit_ok ? 0 : 1);
}

static __attribute__((noreturn)) void boot_failed(monitor_t *m, const char *what)
{
    char tail[1024], msg[EB_ERROR_MSG_MAX];
    int n = snprintf(msg, sizeof(msg), "%s; guest console: %s", what, console_tail(m, tail, sizeof(tail)));

    if (m->o->ready_fd >= 0 && write(m->o->ready_fd, msg, (size_t) n) < 0) { }
    eb_bootstats_add(m->o->root, EB_BOOT_FAILED, 0, NULL);
    snprintf(m->reason, sizeof(m->reason), "%s", what);
    finish(m);
}

/* --------------------------------------------------------------- main --- */

static int listen_socket(const char *path, eb_error_t *err)
{
    struct sockaddr_un sa;
    _cleanup_close_ int dirfd = -1;
    int fd;

    if (eb_unix_addr(path, &sa, &dirfd, err) < 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0
        || listen(fd, 64) < 0) {
        eb_error_set(err, errno, "listen on %s", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int prepare(monitor_t *m, eb_error_t *err)
{
    _cleanup_free_ char *shared = eb_strdup_printf("%s/shared", m->o->dir);
    _cleanup_free_ char *sock = eb_strdup_printf("%s/monitor.sock", m->o->dir);

    if (eb_sandbox_write_pid(m->o->dir, "monitor", getpid(), err) < 0)
        return -1;
    if (mkdir(shared, 0700) < 0 && errno != EEXIST)
        return eb_error_set(err, errno, "mkdir %s", shared);
    if (mount(shared, shared, NULL, MS_BIND, NULL) < 0 || mount(NULL, shared, NULL, MS_PRIVATE, NULL) < 0
        || mount(NULL, shared, NULL, MS_SHARED, NULL) < 0)
        return eb_error_set(err, errno, "make %s a shared mount", shared);
    if (m->o->netns) {
        _cleanup_close_ int ns = open(m->o->netns, O_RDONLY | O_CLOEXEC);
        if (eb_write_file_atomic(m->o->dir, "netns", m->o->netns, strlen(m->o->netns), err) < 0)
            return -1;
        if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
            return eb_error_set(err, errno, "enter the pod network namespace %s", m->o->netns);
        if (eb_podnet_setup(&m->net, err) < 0)
            return eb_error_wrap(err, "pod network");
    }
    if (eb_guest_image_find(&m->img, err) < 0)
        return -1;
    m->listen_fd = listen_socket(sock, err);
    return m->listen_fd < 0 ? -1 : 0;
}

static void accept_conns(monitor_t *m)
{
    int fd, n = 0;
    mconn_t *c;

    for (c = m->conns; c; c = c->next)
        n++;
    while ((fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
        struct ucred cr;
        socklen_t len = sizeof(cr);
        /* Only root (the CLI and its relays) may drive the sandbox. */
        if (n >= MAX_CONNS || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != 0) {
            close(fd);
            continue;
        }
        c = eb_xcalloc(1, sizeof(*c));
        c->fd = fd;
        c->next = m->conns;
        m->conns = c;
        n++;
    }
}

static void conn_input(monitor_t *m, mconn_t *c)
{
    eb_error_t err = { 0 };
    size_t room;
    uint8_t *buf = eb_frame_reader_space(&c->rd, &room);
    ssize_t n = read(c->fd, buf, room);
    eb_frame_t f;
    int rc;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(m, c);
        return;
    }
    eb_frame_reader_commit(&c->rd, (size_t) n);
    while (!c->dead && (rc = eb_frame_next(&c->rd, &f, &err)) == 1)
        conn_frame(m, c, &f);
    if (!c->dead && rc < 0)
        conn_close(m, c);
}

static void reap_conns(monitor_t *m)
{
    mconn_t **pp = &m->conns, *c;
    while ((c = *pp)) {
        if (c->dead) {
            *pp = c->next;
            close(c->fd);
            eb_frame_reader_free(&c->rd);
            eb_outbuf_free(&c->out);
            free(c);
            continue;
        }
        pp = &c->next;
    }
}

static size_t conn_backlog(monitor_t *m, mconn_t *c)
{
    mstream_t *s;
    size_t n = eb_outbuf_pending(&m->out) > (4u << 20) ? CONN_PENDING_MAX : 0;
    for (s = m->streams; s; s = s->next)
        if (s->owner == c)
            n += s->plen;
    return n;
}

static void on_child(monitor_t *m)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == m->qemu) {
            m->qemu = 0;
            /* The console's last words (a panic) may still be queued. */
            while (m->console >= 0 && read_console(m) > 0) { }
            if (m->phase == BOOTING || m->phase == SETUP) {
                char what[256];
                snprintf(what, sizeof(what), "QEMU exited during boot (%s %d)",
                         WIFEXITED(status) ? "status" : "signal",
                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                boot_failed(m, what);
            }
            if (m->phase != DYING) {
                snprintf(m->reason, sizeof(m->reason), "the VM stopped");
                m->phase = DYING;
            }
        } else if (pid == m->logger) {
            m->logger = 0;
            m->logger_due = eb_now_ms() + 1000;
            eb_warn("sandbox %s: the log writer ended (%s %d); starting another in a second", m->o->sid,
                    WIFEXITED(status) ? "status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        } else if (pid == m->vfsd) {
            m->vfsd = 0;
            if (m->phase == BOOTING || m->phase == SETUP)
                boot_failed(m, "virtiofsd exited during boot");
            if (m->phase != DYING) {
                snprintf(m->reason, sizeof(m->reason), "virtiofsd exited");
                m->phase = DYING;
            }
        }
    }
}

void eb_monitor_main(const eb_monitor_opts_t *o)
{
    monitor_t m = { .o = o, .chan = -1, .console = -1, .listen_fd = -1, .vfs_listen = -1 };
    eb_error_t err = { 0 };
    sigset_t mask;
    static struct pollfd pfd[MAX_CONNS + 8];
    /* EDGEBOX_AGENT_TIMEOUT_S: how long a silent agent is given (tests
     * shorten it; a loaded TCG host needs the default). */
    const char *t = getenv("EDGEBOX_AGENT_TIMEOUT_S");
    uint64_t ping_deadline = PING_DEADLINE_MS, v;
    uint64_t ping_every = PING_EVERY_MS;
    static mconn_t *who[MAX_CONNS + 8];

    if (t && eb_parse_u64(t, &v) == 0 && v >= 1 && v <= 3600) {
        ping_deadline = v * 1000;
        if (ping_every > ping_deadline / 2)
            ping_every = ping_deadline / 2;
    }
    setsid();
    sigfillset(&mask);
    sigdelset(&mask, SIGSEGV);
    sigdelset(&mask, SIGBUS);
    sigprocmask(SIG_SETMASK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    m.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m.sfd < 0 || prepare(&m, &err) < 0 || start_vm(&m, &err) < 0)
        boot_failed(&m, err.msg);

    for (;;) {
        nfds_t n = 0, i;
        mconn_t *c;
        uint64_t now;
        int timeout;

        if (m.phase == DYING)
            finish(&m);
        if (m.chan >= 0)
            pfd[n++] = (struct pollfd) { m.chan, POLLIN | (eb_outbuf_pending(&m.out) ? POLLOUT : 0), 0 };
        else
            pfd[n++] = (struct pollfd) { -1, 0, 0 };
        pfd[n++] = (struct pollfd) { m.console, POLLIN, 0 };
        pfd[n++] = (struct pollfd) { m.sfd, POLLIN, 0 };
        pfd[n++] = (struct pollfd) { m.listen_fd, POLLIN, 0 };
        for (c = m.conns; c && n < EB_ARRAY_SIZE(pfd); c = c->next) {
            short ev = eb_outbuf_pending(&c->out) ? POLLOUT : 0;
            if (conn_backlog(&m, c) < CONN_PENDING_MAX)
                ev |= POLLIN;
            who[n] = c;
            pfd[n++] = (struct pollfd) { c->fd, ev, 0 };
        }
        now = eb_now_ms();
        if (m.phase == READY && m.want_logger && m.logger == 0 && now >= m.logger_due)
            start_logger(&m);
        timeout = m.phase == READY ? (int) ping_every : (int) (m.deadline > now ? m.deadline - now : 0);
        if (m.phase == READY && m.want_logger && m.logger == 0 && (uint64_t) timeout > m.logger_due - now)
            timeout = (int) (m.logger_due - now);
        if (poll(pfd, n, timeout) < 0 && errno != EINTR)
            continue;
        now = eb_now_ms();
        if (pfd[2].revents) {
            struct signalfd_siginfo si;
            while (read(m.sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD) {
                    on_child(&m);
                } else {
                    snprintf(m.reason, sizeof(m.reason), "the monitor got signal %u", si.ssi_signo);
                    m.phase = DYING;
                }
            }
        }
        if (pfd[1].revents && m.console >= 0)
            read_console(&m);
        if (m.chan >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) && agent_input(&m, &err) < 0) {
            if (m.phase == BOOTING || m.phase == SETUP) {
                /* Most often QEMU itself gave up (a bad option, a device
                 * it can't open): say so, its message is in the log. */
                int st, i;
                for (i = 0; i < 100 && m.qemu > 0; i++) {
                    if (waitpid(m.qemu, &st, WNOHANG) == m.qemu) {
                        snprintf(m.reason, sizeof(m.reason), "QEMU exited during boot (%s %d; its message is in the log)",
                                 WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
                        m.qemu = 0;
                    }
                    usleep(10000);
                }
                boot_failed(&m, m.reason);
            }
            m.phase = DYING;
            continue;
        }
        if (pfd[3].revents)
            accept_conns(&m);
        for (i = 4; i < n; i++) {
            c = who[i];
            if (c->dead)
                continue;
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
                conn_input(&m, c);
            if (!c->dead && eb_outbuf_pending(&c->out) && eb_outbuf_flush(&c->out, c->fd) < 0)
                conn_close(&m, c);
        }
        reap_conns(&m);
        if (m.chan >= 0 && eb_outbuf_pending(&m.out) && eb_outbuf_flush(&m.out, m.chan) < 0) {
            snprintf(m.reason, sizeof(m.reason), "write to the agent: %s", strerror(errno));
            m.phase = DYING;
        }
        /* Deadlines.  The guest's clock no longer depends on a calibration, so
         * a boot that does not reach the agent is a defect: one retry as a
         * safety net, said loudly and counted (`edgebox check`). */
        if ((m.phase == BOOTING || m.phase == SETUP) && now >= m.deadline) {
            if (m.phase == BOOTING && m.attempt < eb_runv_boot_attempts()) {
                char tail[1024], what[1200];
                console_tail(&m, tail, sizeof(tail));
                snprintf(what, sizeof(what), "sandbox %s: attempt %d: %s", o->sid, m.attempt, tail);
                eb_err("sandbox %s: RETRY: boot attempt %d of %d did not reach the agent in %llu s (a defect: "
                       "report it); guest console: %s", o->sid, m.attempt, eb_runv_boot_attempts(),
                       (unsigned long long) boot_timeout_ms() / 1000, tail);
                eb_bootstats_add(o->root, EB_BOOT_RETRY, 0, what);
                stop_vm(&m);
                if (start_vm(&m, &err) < 0)
                    boot_failed(&m, err.msg);
                continue;
            }
            boot_failed(&m, m.phase == BOOTING ? "the guest did not boot in time" : "guest setup timed out");
        }
        if (m.phase == READY) {
            mpending_t *p;
            /* Requests sent above are younger than the poll's `now`. */
            now = eb_now_ms();
            for (p = m.pending; p; p = p->next)
                if (now - p->sent_ms > ping_deadline && strcmp(p->op, "ping") == 0) {
                    snprintf(m.reason, sizeof(m.reason), "the agent stopped answering (no reply in %llu s)",
                             (unsigned long long) ping_deadline / 1000);
                    m.phase = DYING;
                }
            if (m.phase == READY && now - m.last_ping >= ping_every) {
                json_object *r = json_object_new_object();
                json_object_object_add(r, "op", json_object_new_string("ping"));
                send_agent(&m, NULL, 0, r, "ping", NULL, 0);
                json_object_put(r);
                m.last_ping = now;
                eb_outbuf_flush(&m.out, m.chan);
            }
        }
    }
}
