/* server.c - the serving shim's loop: one thread, poll over the ttrpc
 * socket, its connections and a signalfd.  Methods are quick (the class
 * verbs return once the process is created, started or signalled); the
 * one that is not, Wait, is parked and answered from SIGCHLD.  The shim is
 * a child subreaper, so every container process (a runc container's init,
 * its execs, a sandbox's monitor) is reaped here.  An attached process
 * (runv's: no host process stands for it) is served in the same poll: its
 * fds come from its class, and its end from them. */
#include "shim/shim.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CONNS 64
#define OOM_POLL_MS 2000
#define MAX_TTYS 32
#define MAX_ATTACHED 64

/* The attached processes' fds, after the others in one poll. */
typedef struct {
    eb_sproc_t *who[MAX_ATTACHED];
    size_t at[MAX_ATTACHED], len[MAX_ATTACHED], n;
    bool ready;                /* one has nothing to wait for: poll must not block */
} attached_slots_t;

static nfds_t add_attached(eb_shim_t *s, struct pollfd *pfd, nfds_t n, nfds_t size, attached_slots_t *a)
{
    a->n = 0;
    a->ready = false;
    for (eb_sproc_t *p = s->procs; p && a->n < MAX_ATTACHED; p = p->next) {
        if (!p->att || n + EB_ATTACHED_FDS > size)
            continue;
        a->who[a->n] = p;
        a->at[a->n] = n;
        a->len[a->n] = p->att->ops->poll_fds(p->att, pfd + n, EB_ATTACHED_FDS);
        a->ready |= a->len[a->n] == 0;
        n += a->len[a->n++];
    }
    return n;
}

static bool still_there(const eb_shim_t *s, const eb_sproc_t *p)
{
    for (const eb_sproc_t *q = s->procs; q; q = q->next)
        if (q == p)
            return true;
    return false;
}

/* Move what is ready; a process that ended (or whose sandbox went away:
 * as if SIGKILLed) is reported, and its object goes with the report.  A
 * request served since the poll may have deleted a process. */
static void serve_attached(eb_shim_t *s, const struct pollfd *pfd, const attached_slots_t *a)
{
    for (size_t i = 0; i < a->n; i++) {
        eb_sproc_t *p = a->who[i];
        eb_error_t err = { 0 };
        int status = 0, rc;

        if (!still_there(s, p) || p->att == NULL)
            continue;
        rc = p->att->ops->io(p->att, pfd + a->at[i], a->len[i], &status, &err);
        /* OOM kills in the guest as they happen (kubelet's OOMKilled):
         * before the exit they may cause. */
        if (!p->exec_id[0] && p->att->oom_kills > p->oom_kills) {
            Containerd__Task__V2__TaskOOM ev = CONTAINERD__TASK__V2__TASK_OOM__INIT;
            p->oom_kills = p->att->oom_kills;
            ev.container_id = p->id;
            eb_shim_publish(s, "/tasks/oom", "TaskOOM", &ev.base);
        }
        if (rc < 0)
            eb_warn("shim: process `%s` of container `%s`: %s", p->exec_id, p->id, err.msg);
        if (rc != 0)
            eb_shim_proc_exited(s, p, rc < 0 ? SIGKILL : status);
    }
}

static void conn_free(eb_sconn_t *c)
{
    close(c->fd);
    eb_ttrpc_reader_free(&c->rd);
    eb_buf_free(&c->out);
    free(c);
}

static void accept_conn(eb_shim_t *s, int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), n = 0;
    struct ucred cr;
    socklen_t len = sizeof(cr);
    eb_sconn_t *c;

    if (fd < 0)
        return;
    for (c = s->conns; c; c = c->next)
        n++;
    /* containerd runs as root; nobody else may drive the pod. */
    if (n >= MAX_CONNS || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != 0) {
        close(fd);
        return;
    }
    c = eb_xcalloc(1, sizeof(*c));
    c->fd = fd;
    c->next = s->conns;
    s->conns = c;
}

/* Read what the connection sent and answer every whole request. */
static void conn_input(eb_shim_t *s, eb_sconn_t *c)
{
    char buf[65536];
    ssize_t n = read(c->fd, buf, sizeof(buf));
    eb_ttrpc_frame_t f;
    eb_error_t err = { 0 };
    int rc;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0 || eb_ttrpc_feed(&c->rd, buf, (size_t) n) < 0) {
        c->dead = true;
        return;
    }
    s->current = c;
    while ((rc = eb_ttrpc_next(&c->rd, &f, &err)) == 1)
        if (eb_ttrpc_serve(eb_shim_methods, s, &f, &c->out, &err) < 0) {
            rc = -1;
            break;
        }
    s->current = NULL;
    if (rc < 0) {
        eb_warn("shim: %s: closing the connection", err.msg);
        c->dead = true;
    }
}

static void flush_conn(eb_sconn_t *c)
{
    while (c->out.len) {
        ssize_t n = write(c->fd, c->out.p, c->out.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            c->dead = true;
            return;
        }
        eb_buf_consume(&c->out, (size_t) n);
    }
}

static void reap_conns(eb_shim_t *s)
{
    eb_sconn_t **pp = &s->conns, *c;
    eb_swaiter_t **wp, *w;

    while ((c = *pp)) {
        if (!c->dead) {
            pp = &c->next;
            continue;
        }
        for (wp = &s->waiters; (w = *wp);)
            if (w->conn == c) {
                *wp = w->next;
                free(w);
            } else {
                wp = &w->next;
            }
        *pp = c->next;
        conn_free(c);
    }
}

static void on_signals(eb_shim_t *s, int sfd)
{
    struct signalfd_siginfo si;
    int status;
    pid_t pid;

    while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo != SIGCHLD) {
            s->shutdown = true;
            continue;
        }
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            eb_shim_exited(s, pid, status);
    }
}

int eb_shim_serve(eb_shim_t *s, int lfd, eb_error_t *err)
{
    struct pollfd pfd[MAX_CONNS + 2 + 2 * MAX_TTYS + EB_ATTACHED_FDS * MAX_ATTACHED];
    eb_sconn_t *who[MAX_CONNS + 2];
    eb_sproc_t *tty[2 * MAX_TTYS];
    attached_slots_t att;
    sigset_t mask;
    uint64_t next_oom = 0;
    int sfd;

    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return eb_error_set(err, errno, "signalfd");
    while (!s->shutdown) {
        nfds_t n = 0, nc, nt, i;
        int timeout, lt;
        eb_sconn_t *c;
        uint64_t now;

        pfd[n++] = (struct pollfd) { sfd, POLLIN, 0 };
        pfd[n++] = (struct pollfd) { lfd, POLLIN, 0 };
        for (c = s->conns; c && n < MAX_CONNS + 2; c = c->next) {
            who[n] = c;
            pfd[n++] = (struct pollfd) { c->fd, POLLIN | (c->out.len ? POLLOUT : 0), 0 };
        }
        nc = n;
        for (eb_sproc_t *p = s->procs; p && n + 2 <= nc + 2 * MAX_TTYS; p = p->next) {
            if (p->master >= 0) {
                tty[n - nc] = p;
                pfd[n++] = (struct pollfd) { p->master, POLLIN, 0 };
            }
            if (p->tin >= 0) {
                tty[n - nc] = p;
                pfd[n++] = (struct pollfd) { p->tin, POLLIN, 0 };
            }
        }
        nt = n;
        n = add_attached(s, pfd, n, EB_ARRAY_SIZE(pfd), &att);
        /* OOM kills that end no container (a child of its init) are seen
         * within OOM_POLL_MS (a host cgroup) or as the guest reports them
         * (an attached process); one that ends it, at its exit too. */
        now = eb_now_ms();
        timeout = att.ready ? 0 : !s->procs ? -1 : next_oom > now ? (int) (next_oom - now) : 0;
        /* A logger given SIGTERM at Delete gets SIGKILL at its deadline. */
        lt = eb_logio_tick(&s->loggers);
        if (lt >= 0 && (timeout < 0 || lt < timeout))
            timeout = lt;
        if (poll(pfd, n, timeout) < 0 && errno != EINTR)
            return eb_error_set(err, errno, "poll");
        if (s->procs && eb_now_ms() >= next_oom) {
            eb_shim_check_oom(s);
            next_oom = eb_now_ms() + OOM_POLL_MS;
        }
        if (pfd[0].revents)
            on_signals(s, sfd);
        if (pfd[1].revents)
            accept_conn(s, lfd);
        for (i = 2; i < nc; i++)
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
                conn_input(s, who[i]);
        /* A process reaped above has its copies closed: skip its slots. */
        for (i = nc; i < nt; i++)
            if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) && (tty[i - nc]->master == pfd[i].fd
                                                                     || tty[i - nc]->tin == pfd[i].fd))
                eb_shim_tty_input(tty[i - nc], pfd[i].fd);
        serve_attached(s, pfd, &att);
        /* A Wait answered from SIGCHLD may be on any connection. */
        for (c = s->conns; c; c = c->next)
            if (!c->dead && c->out.len)
                flush_conn(c);
        reap_conns(s);
    }
    /* The answer to Shutdown goes out before the shim ends. */
    for (eb_sconn_t *c = s->conns; c; c = c->next) {
        fcntl(c->fd, F_SETFL, 0);
        flush_conn(c);
    }
    close(sfd);
    return 0;
}
