/* attach.c - a guest process's stream pumped in the caller's poll loop.
 *
 * The relay (relay.c) is a host process per guest process: the shim gave
 * it containerd's FIFOs and waited for its pid.  A shim has a poll loop
 * of its own, so it holds the monitor connection that carries the stream
 * itself: guest output goes monitor -> shim -> FIFO, the same copies as
 * through a relay minus a process per container process (and the relay's
 * ~1 MiB of private memory each).  The alternative, handing the FIFOs to
 * the monitor over SCM_RIGHTS, would save the socket hop but put a slow
 * FIFO reader (containerd) inside the loop that serves the VM of every
 * container of the pod, and make the monitor learn the shim's protocol of
 * exits; here the monitor does not change at all.
 *
 * Nothing blocks: output the FIFO does not take is held, and the guest
 * gets credit back (a WINDOW frame) only for what was written, so what is
 * held never exceeds the stream's window; frames to the monitor are
 * queued and written as the socket takes them.  The exit is reported once
 * everything the process wrote before it is out (frames come in order). */
#include "runv/attach.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    eb_attached_t base;
    int conn;
    uint32_t stream, req_id, in_credit;
    bool tty;
    bool in_closing;           /* CloseIO came: stdin ends with what the FIFO holds */
    int in_fd, out_fd[2];      /* stdin; stdout, stderr (-1: none) */
    eb_buf_t held[2];          /* output its FIFO did not take yet */
    size_t owed[2];            /* of it, guest bytes whose credit is not back */
    eb_frame_reader_t rd;
    eb_outbuf_t out;           /* frames to the monitor */
    int status;                /* the wait status, once the exit came; -1 */
} pump_t;

static void pump_request(pump_t *p, json_object *q)
{
    eb_msg_queue(&p->out, EB_FRAME_REQUEST, ++p->req_id, q);
    json_object_put(q);
    if (eb_outbuf_flush(&p->out, p->conn) < 0) { }   /* a dead monitor shows up as its EOF */
}

/* Write what OUT_FD[I] holds; credit back for the guest bytes written. */
static void flush_held(pump_t *p, int i)
{
    eb_buf_t *b = &p->held[i];
    size_t done = 0, grant;

    while (done < b->len) {
        ssize_t n = write(p->out_fd[i], b->p + done, b->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            done = b->len;     /* a reader that went away must not stop the guest */
            break;
        }
        done += (size_t) n;
    }
    eb_buf_consume(b, done);
    grant = done < p->owed[i] ? done : p->owed[i];
    p->owed[i] -= grant;
    if (grant)
        eb_outbuf_window(&p->out, p->stream, (uint32_t) grant);
}

static void take_output(pump_t *p, int i, const uint8_t *data, size_t len)
{
    if (p->out_fd[i] < 0) {
        eb_outbuf_window(&p->out, p->stream, (uint32_t) len);
        return;
    }
    eb_buf_add(&p->held[i], data, len);
    p->owed[i] += len;
    flush_held(p, i);
}

static int on_event(pump_t *p, const eb_frame_t *f, eb_error_t *err)
{
    json_object *ev = eb_msg_parse(f->payload, f->len, err);
    const char *name = NULL, *reason = NULL;
    int64_t st = 0, stream = 0;

    if (ev == NULL)
        return -1;
    if (eb_msg_str(ev, "event", 32, false, &name, err) == 0 && strcmp(name, "oom") == 0) {
        int64_t n = 0;
        if (eb_msg_int(ev, "stream", 0, UINT32_MAX, false, &stream, err) == 0 && (uint32_t) stream == p->stream
            && eb_msg_int(ev, "count", 1, INT64_MAX, false, &n, err) == 0 && (uint64_t) n > p->base.oom_kills)
            p->base.oom_kills = (uint64_t) n;
        json_object_put(ev);
        return eb_error_is_set(err) ? -1 : 0;
    }
    if (eb_error_is_set(err) || strcmp(name, "exit") != 0
        || eb_msg_int(ev, "stream", 0, UINT32_MAX, false, &stream, err) < 0 || (uint32_t) stream != p->stream
        || eb_msg_int(ev, "status", 0, 0xffff, false, &st, err) < 0
        || eb_msg_str(ev, "reason", 1024, true, &reason, err) < 0) {
        json_object_put(ev);
        return eb_error_is_set(err) ? -1 : 0;
    }
    /* The sandbox failed: the process's stderr says why, as a relay's. */
    if (reason && p->out_fd[1] >= 0) {
        eb_buf_puts(&p->held[1], "edgebox: ");
        eb_buf_puts(&p->held[1], reason);
        eb_buf_puts(&p->held[1], "\n");
        flush_held(p, 1);
    }
    p->status = (int) st;
    json_object_put(ev);
    return 0;
}

static int pump_frame(pump_t *p, const eb_frame_t *f, eb_error_t *err)
{
    uint32_t g;

    switch (f->type) {
    case EB_FRAME_STDOUT:
    case EB_FRAME_STDERR:
        if (f->id == p->stream && f->len)
            take_output(p, f->type == EB_FRAME_STDERR && !p->tty, f->payload, f->len);
        return 0;
    case EB_FRAME_EVENT:
        return on_event(p, f, err);
    case EB_FRAME_WINDOW:
        if (f->id == p->stream) {
            g = eb_frame_window(f);
            p->in_credit = g > EB_STREAM_WINDOW - p->in_credit ? EB_STREAM_WINDOW : p->in_credit + g;
        }
        return 0;
    default:
        return 0;              /* answers to our signals and resizes */
    }
}

/* Frames of BYTES; none after the exit is read. */
static int pump_bytes(pump_t *p, const uint8_t *bytes, size_t n, eb_error_t *err)
{
    eb_frame_t f;
    int rc = 0;

    while (n > 0 && p->status < 0) {
        size_t room, take;
        uint8_t *buf = eb_frame_reader_space(&p->rd, &room);

        take = n < room ? n : room;
        memcpy(buf, bytes, take);
        eb_frame_reader_commit(&p->rd, take);
        bytes += take, n -= take;
        while (p->status < 0 && (rc = eb_frame_next(&p->rd, &f, err)) == 1)
            if (pump_frame(p, &f, err) < 0)
                return -1;
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void end_stdin(pump_t *p)
{
    close(p->in_fd);
    p->in_fd = -1;
    eb_outbuf_frame(&p->out, EB_FRAME_STDIN, p->stream, p->tty ? "\x04" : NULL, p->tty ? 1 : 0);
}

/* Stdin to the guest, never more in flight than the agent granted.  Its
 * end is the writer's close, or CloseIO once the FIFO is empty; a
 * terminal gets ^D (the agent keeps a pty's input open). */
static void pump_stdin(pump_t *p)
{
    uint8_t buf[EB_FRAME_MAX_DATA];
    size_t want = p->in_credit < sizeof(buf) ? p->in_credit : sizeof(buf);
    ssize_t n = read(p->in_fd, buf, want);

    if (n < 0 && errno == EINTR)
        return;
    if (n < 0 && errno == EAGAIN) {
        if (p->in_closing)
            end_stdin(p);
        return;
    }
    if (n > 0) {
        eb_outbuf_frame(&p->out, EB_FRAME_STDIN, p->stream, buf, (uint32_t) n);
        p->in_credit -= (uint32_t) n;
        return;
    }
    end_stdin(p);
}

/* What the FIFO holds goes in first, as far as the credit allows. */
static void drain_stdin(pump_t *p)
{
    while (p->in_fd >= 0 && p->in_credit && p->status < 0)
        pump_stdin(p);
}

static void a_close_stdin(eb_attached_t *a)
{
    pump_t *p = (pump_t *) a;

    p->in_closing = true;
    drain_stdin(p);
}

static size_t a_poll_fds(eb_attached_t *a, struct pollfd *pf, size_t room)
{
    pump_t *p = (pump_t *) a;
    size_t n = 0;

    /* Ended, and all it wrote is out: nothing to wait for. */
    if (room < EB_ATTACHED_FDS || (p->status >= 0 && !p->held[0].len && !p->held[1].len))
        return 0;
    pf[n++] = (struct pollfd) { p->conn, (short) ((p->status < 0 ? POLLIN : 0)
                                                  | (eb_outbuf_pending(&p->out) ? POLLOUT : 0)), 0 };
    if (p->in_fd >= 0 && p->in_credit && p->status < 0)
        pf[n++] = (struct pollfd) { p->in_fd, POLLIN, 0 };
    for (int i = 0; i < 2; i++)
        if (p->held[i].len)
            pf[n++] = (struct pollfd) { p->out_fd[i], POLLOUT, 0 };
    return n;
}

static int conn_input(pump_t *p, eb_error_t *err)
{
    uint8_t buf[65536];
    ssize_t n = read(p->conn, buf, sizeof(buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0)
        return eb_error_set(err, n < 0 ? errno : EPIPE, "the sandbox monitor went away");
    return pump_bytes(p, buf, (size_t) n, err);
}

static int a_io(eb_attached_t *a, const struct pollfd *pf, size_t n, int *status, eb_error_t *err)
{
    pump_t *p = (pump_t *) a;

    for (size_t i = 0; i < n; i++) {
        if (!pf[i].revents)
            continue;
        if (pf[i].fd == p->conn && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) && p->status < 0
            && conn_input(p, err) < 0)
            return -1;
        else if (pf[i].fd == p->in_fd && p->in_fd >= 0)
            pump_stdin(p);
        for (int k = 0; k < 2; k++)
            if (pf[i].fd == p->out_fd[k] && p->held[k].len)
                flush_held(p, k);
    }
    if (p->in_closing)
        drain_stdin(p);
    if (eb_outbuf_flush(&p->out, p->conn) < 0 && p->status < 0)
        return eb_error_set(err, errno, "the sandbox monitor went away");
    if (p->status >= 0 && !p->held[0].len && !p->held[1].len) {
        *status = p->status;
        return 1;
    }
    return 0;
}

static int a_signal(eb_attached_t *a, int sig, eb_error_t *err)
{
    pump_t *p = (pump_t *) a;
    json_object *q;

    if (p->status >= 0)
        return eb_error_set(err, ESRCH, "the process ended");
    q = eb_op_request(EB_OP_SIGNAL);
    json_object_object_add(q, "stream", json_object_new_int64(p->stream));
    json_object_object_add(q, "signal", json_object_new_int(sig));
    pump_request(p, q);
    return 0;
}

static int a_resize(eb_attached_t *a, unsigned rows, unsigned cols, eb_error_t *err)
{
    pump_t *p = (pump_t *) a;
    json_object *q;

    if (!p->tty)
        return eb_error_set(err, EINVAL, "the process has no terminal");
    q = eb_op_request(EB_OP_RESIZE);
    json_object_object_add(q, "stream", json_object_new_int64(p->stream));
    json_object_object_add(q, "rows", json_object_new_int((int) (rows > 65535 ? 65535 : rows)));
    json_object_object_add(q, "cols", json_object_new_int((int) (cols > 65535 ? 65535 : cols)));
    pump_request(p, q);
    return 0;
}

/* The connection's end is the process's, if it still runs (the monitor
 * kills what a closed connection streamed, as when a relay dies). */
static void a_free(eb_attached_t *a)
{
    pump_t *p = (pump_t *) a;

    if (p == NULL)
        return;
    close(p->conn);
    if (p->in_fd >= 0)
        close(p->in_fd);
    for (int i = 0; i < 2; i++) {
        if (p->out_fd[i] >= 0 && (i == 0 || p->out_fd[1] != p->out_fd[0]))
            close(p->out_fd[i]);
        eb_buf_free(&p->held[i]);
    }
    eb_frame_reader_free(&p->rd);
    eb_outbuf_free(&p->out);
    free(p);
}

static const eb_attached_ops_t pump_ops = {
    .poll_fds = a_poll_fds,
    .io = a_io,
    .signal = a_signal,
    .resize = a_resize,
    .close_stdin = a_close_stdin,
    .free = a_free,
};

eb_attached_t *eb_runv_attach_new(int conn, uint32_t stream, bool tty, const int stdio[3], const uint8_t *early,
                                  size_t early_len, pid_t shown, eb_error_t *err)
{
    pump_t *p = eb_xcalloc(1, sizeof(*p));

    p->base.ops = &pump_ops;
    p->base.pid = shown;
    p->conn = conn;
    p->stream = stream;
    p->tty = tty;
    p->in_fd = stdio[0];
    p->out_fd[0] = stdio[1];
    p->out_fd[1] = stdio[2];
    p->in_credit = EB_STREAM_WINDOW;
    p->req_id = 1000;
    p->status = -1;
    eb_frame_reader_init(&p->rd);
    fcntl(conn, F_SETFL, O_NONBLOCK);
    for (int i = 0; i < 3; i++)
        if (stdio[i] >= 0)
            fcntl(stdio[i], F_SETFL, O_NONBLOCK);
    if (early_len && pump_bytes(p, early, early_len, err) < 0) {
        a_free(&p->base);
        return NULL;
    }
    return &p->base;
}
