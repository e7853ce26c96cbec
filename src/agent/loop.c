/* loop.c - the agent's single-threaded event loop: the host channel, the
 * stdio of every process it started, and SIGCHLD.
 *
 * Ordering guarantee the host relies on: all of a process's output frames,
 * then its end-of-stream frames, then its exit event.  The exit event waits
 * for EOF on the process's pipes (a background child may keep them open:
 * then for EB_EXIT_GRACE_MS after the exit at most, draining what is
 * readable). */
#include "agent/loop.h"
#include "agent/event.h"
#include "agent/logs.h"
#include "agent/ops.h"
#include "agent/proc.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define EB_EXIT_GRACE_MS 2000
#define EB_MAX_POLL 1024

/* Read one chunk of FD into an output frame; EOF (or EIO of a pty whose
 * slave closed) closes it and sends the end-of-stream frame. */
static void pump_out(eb_agent_t *a, eb_aproc_t *p, int *fd, uint8_t type)
{
    uint8_t buf[EB_FRAME_MAX_DATA];
    size_t want = p->credit < sizeof(buf) ? p->credit : sizeof(buf);
    ssize_t n;

    if (want == 0)
        return;
    n = read(*fd, buf, want);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close(*fd);
        *fd = -1;
        eb_outbuf_frame(&a->out, type, p->stream, NULL, 0);
        return;
    }
    p->credit -= (uint32_t) n;
    eb_outbuf_frame(&a->out, type, p->stream, buf, (uint32_t) n);
}

static void pump_in(eb_agent_t *a, eb_aproc_t *p)
{
    ssize_t n;

    if (p->inlen > 0) {
        n = write(p->in_fd, p->inbuf, p->inlen);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n < 0) {
            /* The reader is gone: drop what is left, as a pipe would. */
            n = (ssize_t) p->inlen;
        }
        memmove(p->inbuf, p->inbuf + n, p->inlen - (size_t) n);
        p->inlen -= (size_t) n;
        eb_outbuf_window(&a->out, p->stream, (uint32_t) n);
    }
    if (p->inlen == 0 && p->in_close && !p->tty) {
        close(p->in_fd);
        p->in_fd = -1;
    }
}

static void report_exits(eb_agent_t *a)
{
    eb_aproc_t *p;
    uint64_t now = eb_now_ms();

    for (p = a->procs.head; p; p = p->next)
        if (p->exited && !p->reported
            && ((p->out_fd < 0 && p->err_fd < 0) || now - p->exit_ms > EB_EXIT_GRACE_MS)) {
            eb_agent_event_exit(a, p);
            p->reported = true;
        }
    eb_agent_proc_prune(&a->procs);
}

static void reap(eb_agent_t *a)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        eb_agent_proc_exited(&a->procs, pid, status);
}

static int handle_frame(eb_agent_t *a, const eb_frame_t *f, eb_error_t *err)
{
    eb_aproc_t *p;
    json_object *req, *resp;

    switch (f->type) {
    case EB_FRAME_REQUEST:
        req = eb_msg_parse(f->payload, f->len, err);
        if (req == NULL) {
            resp = eb_msg_error(err);
            eb_error_clear(err);
        } else {
            resp = eb_agent_handle(a, req);
            json_object_put(req);
        }
        eb_msg_queue(&a->out, EB_FRAME_RESPONSE, f->id, resp);
        json_object_put(resp);
        return 0;
    case EB_FRAME_STDIN:
        p = eb_agent_proc_find(&a->procs, f->id);
        if (p == NULL || p->in_fd < 0)
            return 0;
        if (f->len == 0) {
            p->in_close = true;
            return 0;
        }
        if (p->inlen + f->len > EB_STREAM_WINDOW)
            return eb_error_set(err, EPROTO, "stream %u: stdin beyond the granted window", f->id);
        p->inbuf = eb_xrealloc(p->inbuf, p->inlen + f->len);
        memcpy(p->inbuf + p->inlen, f->payload, f->len);
        p->inlen += f->len;
        return 0;
    case EB_FRAME_WINDOW:
        if (f->id != 0 && f->id == a->log_stream) {
            eb_agent_logs_window(a, eb_frame_window(f));
            return 0;
        }
        p = eb_agent_proc_find(&a->procs, f->id);
        if (p) {
            uint32_t n = eb_frame_window(f);
            p->credit = p->credit + n > (4u << 20) ? (4u << 20) : p->credit + n;
        }
        return 0;
    default:
        return eb_error_set(err, EPROTO, "unexpected %s frame from the host", eb_frame_type_name(f->type));
    }
}

int eb_agent_loop(eb_agent_t *a, eb_error_t *err)
{
    sigset_t mask;
    _cleanup_close_ int sfd = -1;
    static struct pollfd pfd[EB_MAX_POLL];
    static struct { eb_aproc_t *p; int which; } who[EB_MAX_POLL];

    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return eb_error_set(err, errno, "signalfd");

    for (;;) {
        nfds_t n = 0, i;
        eb_aproc_t *p;
        int timeout;

        pfd[n++] = (struct pollfd) { a->chan, POLLIN | (eb_outbuf_pending(&a->out) ? POLLOUT : 0), 0 };
        pfd[n++] = (struct pollfd) { sfd, POLLIN, 0 };
        timeout = eb_agent_logs_run(a);
        for (p = a->procs.head; p && n + 4 <= EB_MAX_POLL; p = p->next) {
            if (p->exited && !p->reported && (timeout < 0 || timeout > 200))
                timeout = 200;
            /* Output waits for credit: the pipe fills and the process
             * blocks, which is the back-pressure the host asked for. */
            if (p->out_fd >= 0 && p->credit > 0) {
                who[n].p = p, who[n].which = 1;
                pfd[n++] = (struct pollfd) { p->out_fd, POLLIN, 0 };
            }
            if (p->err_fd >= 0 && p->credit > 0) {
                who[n].p = p, who[n].which = 2;
                pfd[n++] = (struct pollfd) { p->err_fd, POLLIN, 0 };
            }
            if (p->in_fd >= 0 && (p->inlen > 0 || p->in_close)) {
                who[n].p = p, who[n].which = 0;
                pfd[n++] = (struct pollfd) { p->in_fd, POLLOUT, 0 };
            }
            if (p->oom_fd >= 0 && !p->reported) {
                who[n].p = p, who[n].which = 3;
                pfd[n++] = (struct pollfd) { p->oom_fd, POLLIN, 0 };
            }
        }
        if (poll(pfd, n, timeout) < 0 && errno != EINTR)
            return eb_error_set(err, errno, "poll");
        if (pfd[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) > 0) { }
            reap(a);
        }
        for (i = 2; i < n; i++) {
            if (!pfd[i].revents)
                continue;
            p = who[i].p;
            if (who[i].which == 1 && p->out_fd >= 0)
                pump_out(a, p, &p->out_fd, EB_FRAME_STDOUT);
            else if (who[i].which == 2 && p->err_fd >= 0)
                pump_out(a, p, &p->err_fd, EB_FRAME_STDERR);
            else if (who[i].which == 0 && p->in_fd >= 0)
                pump_in(a, p);
            else if (who[i].which == 3)
                eb_agent_event_oom(a, p);
        }
        if (pfd[0].revents & (POLLIN | POLLHUP)) {
            for (;;) {
                size_t room;
                uint8_t *buf = eb_frame_reader_space(&a->rd, &room);
                ssize_t r = read(a->chan, buf, room);
                eb_frame_t f;
                int rc;

                if (r <= 0)
                    break;
                eb_frame_reader_commit(&a->rd, (size_t) r);
                while ((rc = eb_frame_next(&a->rd, &f, err)) == 1)
                    if (handle_frame(a, &f, err) < 0)
                        return -1;
                if (rc < 0)
                    return -1;
            }
        }
        report_exits(a);
        if (eb_outbuf_flush(&a->out, a->chan) < 0 && errno != EAGAIN)
            return eb_error_set(err, errno, "write to the host");
    }
}
