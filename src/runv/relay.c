/* relay.c - the host process that stands for a guest process.
 *
 * It holds the stdio the shim or conmon gave (pipes, or a pty slave),
 * moves it to and from the guest through the monitor, forwards every
 * signal it can catch, and exits the way the guest process did (same exit
 * code, or killed by the same signal), so the shim cannot tell it from a
 * runc container's init.  Output is written before the exit event is
 * handled: frames arrive in order, so nothing printed before the exit is
 * lost. */
#include "runv/relay.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"
#include "proto/ops.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

static void send_signal(eb_relay_t *r, int sig, uint32_t *req_id)
{
    json_object *q = eb_op_request(EB_OP_SIGNAL);
    eb_error_t ign = { 0 };

    json_object_object_add(q, "stream", json_object_new_int64(r->stream));
    json_object_object_add(q, "signal", json_object_new_int(sig));
    eb_msg_write(r->conn, EB_FRAME_REQUEST, ++*req_id, q, &ign);
    json_object_put(q);
}

static void send_resize(eb_relay_t *r, uint32_t *req_id)
{
    struct winsize ws;
    json_object *q;
    eb_error_t ign = { 0 };

    if (ioctl(r->in_fd, TIOCGWINSZ, &ws) < 0)
        return;
    q = eb_op_request(EB_OP_RESIZE);
    json_object_object_add(q, "stream", json_object_new_int64(r->stream));
    json_object_object_add(q, "rows", json_object_new_int(ws.ws_row));
    json_object_object_add(q, "cols", json_object_new_int(ws.ws_col));
    eb_msg_write(r->conn, EB_FRAME_REQUEST, ++*req_id, q, &ign);
    json_object_put(q);
}

static int on_event(eb_relay_t *r, const eb_frame_t *f, int *status, eb_error_t *err)
{
    json_object *ev = eb_msg_parse(f->payload, f->len, err);
    const char *name = NULL, *reason = NULL;
    int64_t st = 0, stream = 0;

    if (ev == NULL)
        return -1;
    if (eb_msg_str(ev, "event", 32, false, &name, err) < 0 || strcmp(name, "exit") != 0
        || eb_msg_int(ev, "stream", 0, UINT32_MAX, false, &stream, err) < 0 || (uint32_t) stream != r->stream
        || eb_msg_int(ev, "status", 0, 0xffff, false, &st, err) < 0
        || eb_msg_str(ev, "reason", 1024, true, &reason, err) < 0) {
        json_object_put(ev);
        return eb_error_is_set(err) ? -1 : 0;
    }
    if (reason)
        fprintf(stderr, "edgebox: %s\n", reason);
    *status = (int) st;
    json_object_put(ev);
    return 1;
}

/* The relay's loop state. */
typedef struct {
    eb_relay_t *r;
    eb_frame_reader_t rd;
    int sfd;
    uint32_t req_id, in_credit;
    bool in_open;
    int status;                /* the guest process's, once it exited */
} relay_loop_t;

/* Every signal we can catch goes to the guest process; SIGWINCH on a tty
 * is a resize. */
static void relay_signals(relay_loop_t *l)
{
    struct signalfd_siginfo si;

    while (read(l->sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGWINCH && l->r->tty)
            send_resize(l->r, &l->req_id);
        else if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGPIPE && si.ssi_signo != SIGWINCH)
            send_signal(l->r, (int) si.ssi_signo, &l->req_id);
    }
}

/* Stdin to the guest, never more in flight than the agent granted (the
 * credit comes back through the monitor), so a process that stops reading
 * stdin can't wedge its output. */
static int relay_stdin(relay_loop_t *l, eb_error_t *err)
{
    eb_relay_t *r = l->r;
    uint8_t buf[EB_FRAME_MAX_DATA];
    size_t want = l->in_credit < sizeof(buf) ? l->in_credit : sizeof(buf);
    ssize_t n = read(r->in_fd, buf, want);

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    /* A pty slave with no writer reads EIO: not an end for a tty. */
    if (n <= 0) {
        l->in_open = false;
        return r->tty ? 0 : eb_frame_write(r->conn, EB_FRAME_STDIN, r->stream, NULL, 0, err);
    }
    if (eb_frame_write(r->conn, EB_FRAME_STDIN, r->stream, buf, (uint32_t) n, err) < 0)
        return -1;
    l->in_credit -= (uint32_t) n;
    return 0;
}

static int relay_frame(relay_loop_t *l, const eb_frame_t *f, eb_error_t *err)
{
    eb_relay_t *r = l->r;
    int fd = f->type == EB_FRAME_STDERR ? r->err_fd : r->out_fd;
    uint32_t g;

    switch (f->type) {
    case EB_FRAME_STDOUT:
    case EB_FRAME_STDERR:
        if (f->id != r->stream || f->len == 0)
            return 0;
        /* A closed reader must not stall the guest: drop the bytes but
         * keep granting. */
        if (fd >= 0)
            eb_write_all(fd, f->payload, f->len);
        return eb_frame_write_window(r->conn, r->stream, f->len, err);
    case EB_FRAME_EVENT:
        return on_event(r, f, &l->status, err) < 0 ? -1 : 0;
    case EB_FRAME_WINDOW:
        if (f->id == r->stream) {
            g = eb_frame_window(f);
            l->in_credit = g > EB_STREAM_WINDOW - l->in_credit ? EB_STREAM_WINDOW : l->in_credit + g;
        }
        return 0;
    default:
        return 0;
    }
}

/* Frames of BYTES (from CONN, or kept from before the relay's loop); frames
 * after the exit event are not read. */
static int relay_bytes(relay_loop_t *l, const uint8_t *bytes, size_t n, eb_error_t *err)
{
    eb_frame_t f;
    int rc = 0;

    while (n > 0) {
        size_t room, take;
        uint8_t *buf = eb_frame_reader_space(&l->rd, &room);

        take = n < room ? n : room;
        memcpy(buf, bytes, take);
        eb_frame_reader_commit(&l->rd, take);
        bytes += take, n -= take;
        while (l->status < 0 && (rc = eb_frame_next(&l->rd, &f, err)) == 1)
            if (relay_frame(l, &f, err) < 0)
                return -1;
        if (l->status >= 0)
            return 0;
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* What the monitor sent. */
static int relay_conn(relay_loop_t *l, eb_error_t *err)
{
    uint8_t buf[65536];
    ssize_t n = read(l->r->conn, buf, sizeof(buf));

    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0)
        return eb_error_set(err, 0, "the sandbox monitor went away");
    return relay_bytes(l, buf, (size_t) n, err);
}

int eb_relay_run(eb_relay_t *r, eb_error_t *err)
{
    relay_loop_t l = { .r = r, .req_id = 1000, .in_credit = EB_STREAM_WINDOW, .in_open = r->in_fd >= 0,
                       .status = -1 };
    sigset_t all;
    int ret = -1;

    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGFPE);
    sigprocmask(SIG_BLOCK, &all, NULL);
    l.sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
    if (l.sfd < 0)
        return eb_error_set(err, errno, "signalfd");
    eb_frame_reader_init(&l.rd);
    if (r->tty)
        send_resize(r, &l.req_id);
    if (r->early_len && relay_bytes(&l, r->early, r->early_len, err) < 0)
        goto out;
    while (l.status < 0) {
        struct pollfd p[3] = {
            { r->conn, POLLIN, 0 }, { l.sfd, POLLIN, 0 }, { l.in_open && l.in_credit ? r->in_fd : -1, POLLIN, 0 },
        };

        if (poll(p, 3, -1) < 0 && errno != EINTR)
            goto out;
        if (p[1].revents)
            relay_signals(&l);
        if (p[2].revents && relay_stdin(&l, err) < 0)
            goto out;
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && relay_conn(&l, err) < 0)
            goto out;
    }
    ret = l.status;
out:
    close(l.sfd);
    eb_frame_reader_free(&l.rd);
    return ret;
}
