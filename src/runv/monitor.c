/* monitor.c - the per-sandbox monitor's main loop, its deadlines (boot,
 * set-up, the agent's pings) and its end: whatever ends a sandbox, every
 * client is told why and nothing of it stays on the host.  The parts it
 * drives are listed in monitor_internal.h. */
#include "runv/monitor_internal.h"
#include "runv/bootstats.h"
#include "runv/jail.h"
#include "runv/podcg.h"
#include "runv/sandbox.h"
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
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every stream ends with the reason; every waiting client gets it. */
static void fail_all(monitor_t *m, const char *reason)
{
    mpending_t *p;
    eb_error_t e = { 0 };

    eb_error_set(&e, EIO, "sandbox %s: %s", m->o->sid, reason);
    mon_end_streams(m, e.msg);
    for (p = m->pending; p; p = p->next)
        if (p->conn && !p->conn->dead)
            mon_reply_error(p->conn, p->client_id, &e);
}

static __attribute__((noreturn)) void finish(monitor_t *m)
{
    char tail[1024];

    if (!m->exit_ok) {
        /* Whatever noticed first (channel EOF, QEMU's exit), a panic on
         * the console is the reason worth telling. */
        while (m->console >= 0 && mon_read_console(m) > 0) { }
        if (memmem(m->tail, m->tail_len, "Kernel panic", 12))
            snprintf(m->reason, sizeof(m->reason), "the guest kernel panicked");
        else if (m->reason[0] == 0)
            snprintf(m->reason, sizeof(m->reason), "the VM stopped");
        eb_err("sandbox %s: %s; console: %s", m->o->sid, m->reason, mon_console_tail(m, tail, sizeof(tail)));
        fail_all(m, m->reason);
    } else {
        mon_end_streams(m, NULL);
    }
    /* No guest shutdown on a clean end either: the guest keeps nothing of
     * its own (tmpfs root; container files are written through virtio-fs
     * without a writeback cache), so killing QEMU loses nothing and saves
     * an emulated power-off. */
    mon_flush_conns(m, 2000);
    mon_stop_logger(m);
    mon_stop_vm(m);
    eb_podnet_free(&m->net);
    eb_sandbox_teardown(m->o->dir);
    mon_pool_finish(m);
    _exit(m->exit_ok ? 0 : 1);
}

static __attribute__((noreturn)) void boot_failed(monitor_t *m, const char *what)
{
    char tail[1024], msg[EB_ERROR_MSG_MAX];
    int n = snprintf(msg, sizeof(msg), "%s; guest console: %s", what, mon_console_tail(m, tail, sizeof(tail)));

    if (m->o->ready_fd >= 0 && write(m->o->ready_fd, msg, (size_t) n) < 0) { }
    eb_bootstats_add(m->o->root, EB_BOOT_FAILED, 0, NULL);
    snprintf(m->reason, sizeof(m->reason), "%s", what);
    finish(m);
}

/* The second wall, set up before any VM process starts: QEMU's uid, the
 * pod's cgroup, the empty directory each jail's root is mounted on. */
static int prepare_confinement(monitor_t *m, eb_error_t *err)
{
    _cleanup_free_ char *jail = eb_strdup_printf("%s/jail", m->o->dir);

    m->confined = !eb_jail_disabled();
    if (!m->confined)
        return 0;
    if (eb_jail_claim_uid(&m->uid, &m->uid_lock, err) < 0)
        return eb_error_wrap(err, "sandbox uid");
    if (mkdir(jail, 0755) < 0 && errno != EEXIST)
        return eb_error_set(err, errno, "mkdir %s", jail);
    return eb_podcg_create(m->o->dir, m->o->cgroups_path, m->o->sid, m->o->mem_mib, &m->cg, err);
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
    if (prepare_confinement(m, err) < 0)
        return -1;
    if (m->o->pool && mon_pool_prepare(m, err) < 0)
        return -1;
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
    m->listen_fd = mon_listen_socket(sock, err);
    return m->listen_fd < 0 ? -1 : 0;
}

static void on_child(monitor_t *m)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == m->qemu) {
            m->qemu = 0;
            /* The console's last words (a panic) may still be queued. */
            while (m->console >= 0 && mon_read_console(m) > 0) { }
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

/* Signals are read from a signalfd in the loop; none may kill us before
 * the sandbox is torn down. */
static int loop_signals(void)
{
    sigset_t mask;

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
    return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* EDGEBOX_AGENT_TIMEOUT_S: how long a silent agent is given (tests
 * shorten it; a loaded TCG host needs the default). */
static void ping_times(monitor_t *m)
{
    const char *t = getenv("EDGEBOX_AGENT_TIMEOUT_S");
    uint64_t v;

    m->ping_deadline = PING_DEADLINE_MS;
    m->ping_every = PING_EVERY_MS;
    if (t && eb_parse_u64(t, &v) == 0 && v >= 1 && v <= 3600) {
        m->ping_deadline = v * 1000;
        if (m->ping_every > m->ping_deadline / 2)
            m->ping_every = m->ping_deadline / 2;
    }
}

/* The poll set: the agent channel, the console, signals, the listener
 * (slots 0-3), then the clients (WHO[i] for slot i), each read only while
 * its streams' stdin backlog is under the bound. */
static nfds_t poll_set(monitor_t *m, struct pollfd *pfd, mconn_t **who, nfds_t max)
{
    nfds_t n = 0;
    mconn_t *c;

    if (m->chan >= 0)
        pfd[n++] = (struct pollfd) { m->chan, POLLIN | (eb_outbuf_pending(&m->out) ? POLLOUT : 0), 0 };
    else
        pfd[n++] = (struct pollfd) { -1, 0, 0 };
    pfd[n++] = (struct pollfd) { m->console, POLLIN, 0 };
    pfd[n++] = (struct pollfd) { m->sfd, POLLIN, 0 };
    pfd[n++] = (struct pollfd) { m->listen_fd, POLLIN, 0 };
    for (c = m->conns; c && n < max; c = c->next) {
        short ev = eb_outbuf_pending(&c->out) ? POLLOUT : 0;
        if (mon_conn_backlog(m, c) < CONN_PENDING_MAX)
            ev |= POLLIN;
        who[n] = c;
        pfd[n++] = (struct pollfd) { c->fd, ev, 0 };
    }
    return n;
}

/* Until the next ping, deadline or log writer (re)start. */
static int poll_timeout(monitor_t *m, uint64_t now)
{
    int timeout = m->phase == READY ? (int) m->ping_every : (int) (m->deadline > now ? m->deadline - now : 0);

    if (m->phase == READY && m->want_logger && m->logger == 0 && (uint64_t) timeout > m->logger_due - now)
        timeout = (int) (m->logger_due - now);
    return timeout;
}

static void on_signals(monitor_t *m)
{
    struct signalfd_siginfo si;

    while (read(m->sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD) {
            on_child(m);
        } else {
            snprintf(m->reason, sizeof(m->reason), "the monitor got signal %u", si.ssi_signo);
            m->phase = DYING;
        }
    }
}

/* The agent channel failed.  During boot most often QEMU itself gave up
 * (a bad option, a device it can't open): say so, its message is in the
 * log. */
static void agent_failed(monitor_t *m)
{
    int st, i;

    if (m->phase != BOOTING && m->phase != SETUP) {
        m->phase = DYING;
        return;
    }
    for (i = 0; i < 100 && m->qemu > 0; i++) {
        if (waitpid(m->qemu, &st, WNOHANG) == m->qemu) {
            snprintf(m->reason, sizeof(m->reason), "QEMU exited during boot (%s %d; its message is in the log)",
                     WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            m->qemu = 0;
        }
        usleep(10000);
    }
    boot_failed(m, m->reason);
}

static void serve_conns(monitor_t *m, const struct pollfd *pfd, mconn_t *const *who, nfds_t n)
{
    nfds_t i;

    if (pfd[3].revents)
        mon_accept_conns(m);
    for (i = 4; i < n; i++) {
        mconn_t *c = who[i];
        if (c->dead)
            continue;
        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
            mon_conn_input(m, c);
        if (!c->dead && eb_outbuf_pending(&c->out) && eb_outbuf_flush(&c->out, c->fd) < 0)
            mon_conn_close(m, c);
    }
    mon_reap_conns(m);
}

/* The guest's clock no longer depends on a calibration, so a boot that
 * does not reach the agent is a defect: one retry as a safety net, said
 * loudly and counted (`edgebox check`). */
static void boot_deadline(monitor_t *m)
{
    char tail[1024], what[1200];
    eb_error_t err = { 0 };

    if (m->phase != BOOTING || m->attempt >= eb_runv_boot_attempts())
        boot_failed(m, m->phase == BOOTING ? "the guest did not boot in time" : "guest setup timed out");
    mon_console_tail(m, tail, sizeof(tail));
    snprintf(what, sizeof(what), "sandbox %s: attempt %d: %s", m->o->sid, m->attempt, tail);
    eb_err("sandbox %s: RETRY: boot attempt %d of %d did not reach the agent in %llu s (a defect: "
           "report it); guest console: %s", m->o->sid, m->attempt, eb_runv_boot_attempts(),
           (unsigned long long) mon_boot_timeout_ms() / 1000, tail);
    eb_bootstats_add(m->o->root, EB_BOOT_RETRY, 0, what);
    mon_stop_vm(m);
    if (mon_start_vm(m, &err) < 0)
        boot_failed(m, err.msg);
}

/* A ready sandbox pings its agent; one that stops answering is ended. */
static void keep_alive(monitor_t *m)
{
    /* Requests sent in this round are younger than the poll's `now`. */
    uint64_t now = eb_now_ms();
    mpending_t *p;

    for (p = m->pending; p; p = p->next)
        if (now - p->sent_ms > m->ping_deadline && p->op == EB_OP_PING) {
            snprintf(m->reason, sizeof(m->reason), "the agent stopped answering (no reply in %llu s)",
                     (unsigned long long) m->ping_deadline / 1000);
            m->phase = DYING;
            return;
        }
    if (now - m->last_ping >= m->ping_every) {
        json_object *r = eb_op_request(EB_OP_PING);
        mon_send_agent(m, NULL, 0, r, EB_OP_PING, NULL, 0);
        json_object_put(r);
        m->last_ping = now;
        eb_outbuf_flush(&m->out, m->chan);
    }
}

void eb_monitor_main(const eb_monitor_opts_t *o)
{
    eb_monitor_opts_t opts = *o;
    monitor_t m = { .o = &opts, .chan = -1, .console = -1, .listen_fd = -1, .vfs_listen = -1, .vfs_conn = -1,
                    .uid_lock = -1 };
    eb_error_t err = { 0 };
    static struct pollfd pfd[MAX_CONNS + 8];
    static mconn_t *who[MAX_CONNS + 8];

    ping_times(&m);
    m.sfd = loop_signals();
    if (m.sfd < 0 || prepare(&m, &err) < 0 || mon_start_vm(&m, &err) < 0)
        boot_failed(&m, err.msg);
    for (;;) {
        nfds_t n;
        uint64_t now;

        if (m.phase == DYING)
            finish(&m);
        n = poll_set(&m, pfd, who, EB_ARRAY_SIZE(pfd));
        now = eb_now_ms();
        if (m.phase == READY && m.want_logger && m.logger == 0 && now >= m.logger_due)
            mon_start_logger(&m);
        if (poll(pfd, n, poll_timeout(&m, now)) < 0 && errno != EINTR)
            continue;
        now = eb_now_ms();
        if (pfd[2].revents)
            on_signals(&m);
        if (pfd[1].revents && m.console >= 0)
            mon_read_console(&m);
        if (m.chan >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) && mon_agent_input(&m, &err) < 0) {
            agent_failed(&m);
            continue;
        }
        serve_conns(&m, pfd, who, n);
        if (m.chan >= 0 && eb_outbuf_pending(&m.out) && eb_outbuf_flush(&m.out, m.chan) < 0) {
            snprintf(m.reason, sizeof(m.reason), "write to the agent: %s", strerror(errno));
            m.phase = DYING;
        }
        if ((m.phase == BOOTING || m.phase == SETUP) && now >= m.deadline) {
            boot_deadline(&m);
            continue;
        }
        if (m.phase == READY)
            keep_alive(&m);
    }
}
