/* conns.c - the monitor's clients on monitor.sock (the CLI, the relays,
 * the log writer): who may connect, their requests to the agent, and the
 * frames of the streams they own. */
#include "runv/monitor_internal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

void mon_send_agent(monitor_t *m, mconn_t *c, uint32_t client_id, json_object *req, eb_op_t op,
                    const char *cid, uint32_t stream)
{
    mpending_t *p = eb_xcalloc(1, sizeof(*p));

    p->agent_id = ++m->next_agent_id;
    p->client_id = client_id;
    p->conn = c;
    p->stream = stream;
    p->sent_ms = eb_now_ms();
    p->op = op;
    snprintf(p->cid, sizeof(p->cid), "%s", cid ? cid : "");
    p->next = m->pending;
    m->pending = p;
    eb_msg_queue(&m->out, EB_FRAME_REQUEST, p->agent_id, req);
}

static void internal_signal(monitor_t *m, uint32_t stream, int sig)
{
    json_object *r = eb_op_request(EB_OP_SIGNAL);
    json_object_object_add(r, "stream", json_object_new_int64(stream));
    json_object_object_add(r, "signal", json_object_new_int(sig));
    mon_send_agent(m, NULL, 0, r, EB_OP_SIGNAL, NULL, 0);
    json_object_put(r);
}

void mon_reply(mconn_t *c, uint32_t id, json_object *resp)
{
    eb_msg_queue(&c->out, EB_FRAME_RESPONSE, id, resp);
}

void mon_reply_error(mconn_t *c, uint32_t id, eb_error_t *err)
{
    json_object *e = eb_msg_error(err);
    mon_reply(c, id, e);
    json_object_put(e);
}

/* shutdown: the reply goes out before the sandbox ends. */
static void op_shutdown(monitor_t *m, mconn_t *c, uint32_t id)
{
    json_object *resp = json_object_new_object();

    json_object_object_add(resp, "ok", json_object_new_boolean(1));
    mon_reply(c, id, resp);
    json_object_put(resp);
    m->phase = DYING;
    m->exit_ok = true;
}

/* info: the host's view of the VM, answered here (the guest can't know). */
static void op_info(monitor_t *m, mconn_t *c, uint32_t id)
{
    json_object *resp = json_object_new_object();

    json_object_object_add(resp, "ok", json_object_new_boolean(1));
    json_object_object_add(resp, "qemu_pid", json_object_new_int(m->qemu));
    json_object_object_add(resp, "virtiofsd_pid", json_object_new_int(m->vfsd));
    json_object_object_add(resp, "accel", json_object_new_string(eb_vm_accel()));
    json_object_object_add(resp, "mem_mib", json_object_new_int((int) m->o->mem_mib));
    json_object_object_add(resp, "vcpus", json_object_new_int((int) m->o->vcpus));
    mon_reply(c, id, resp);
    json_object_put(resp);
}

/* create, exec, logs: the requesting connection (a relay, the log writer)
 * owns the new stream, whose id goes into REQ.  One log stream at a time:
 * a writer that (re)subscribes takes the place of one that is gone. */
static int open_stream(monitor_t *m, mconn_t *c, eb_op_t op, json_object *req, uint32_t *stream,
                       eb_error_t *err)
{
    bool logs = op == EB_OP_LOGS;
    mstream_t *old = NULL;

    if (logs)
        for (old = m->streams; old && !old->log; old = old->next) { }
    if (old && old->owner && !old->owner->dead)
        return eb_error_set(err, EBUSY, "sandbox %s: the log files have a writer already", m->o->sid);
    if (old)
        mon_stream_drop(m, old);
    if (op == EB_OP_CREATE && json_object_object_get_ex(req, "log_files", NULL) && !m->want_logger) {
        m->want_logger = true;
        m->logger_due = eb_now_ms();
    }
    *stream = mon_stream_new(m, c, logs)->id;
    json_object_object_add(req, "stream", json_object_new_int64(*stream));
    return 0;
}

/* signal, resize: only for a stream this connection owns. */
static int check_stream_owner(monitor_t *m, mconn_t *c, json_object *req, eb_error_t *err)
{
    int64_t sid;
    mstream_t *s;

    if (eb_msg_int(req, "stream", 1, UINT32_MAX, false, &sid, err) < 0)
        return -1;
    s = mon_stream_find(m, (uint32_t) sid);
    if (s == NULL || s->owner != c)
        return eb_error_set(err, EPERM, "stream %lld is not this connection's", (long long) sid);
    return 0;
}

static void conn_request(monitor_t *m, mconn_t *c, const eb_frame_t *f)
{
    eb_error_t err = { 0 };
    json_object *req = eb_msg_parse(f->payload, f->len, &err);
    const char *cid = NULL;
    uint32_t stream = 0;
    unsigned flags;
    eb_op_t op;

    if (req == NULL || eb_op_of(req, &op, &err) < 0 || eb_msg_str(req, "id", 1024, true, &cid, &err) < 0)
        goto fail;
    flags = eb_op_flags(op);
    /* A sandbox can be shut down while it boots; nothing else waits. */
    if (op == EB_OP_SHUTDOWN) {
        op_shutdown(m, c, f->id);
        json_object_put(req);
        return;
    }
    if (m->phase != READY) {
        eb_error_set(&err, EAGAIN, "sandbox %s is not ready", m->o->sid);
        goto fail;
    }
    if (op == EB_OP_INFO) {
        op_info(m, c, f->id);
        json_object_put(req);
        return;
    }
    if (op == EB_OP_CLAIM) {
        mon_pool_claim(m, c, f->id, req);
        json_object_put(req);
        return;
    }
    /* A pooled VM runs nothing before it is a sandbox's. */
    if (m->pooled) {
        eb_error_set(&err, EPERM, "%s is a pooled VM, not claimed", m->o->sid);
        goto fail;
    }
    if ((flags & EB_OP_NEW_STREAM) && open_stream(m, c, op, req, &stream, &err) < 0)
        goto fail;
    if ((flags & EB_OP_STREAM) && check_stream_owner(m, c, req, &err) < 0)
        goto fail;
    mon_send_agent(m, c, f->id, req, op, cid, stream);
    json_object_put(req);
    return;
fail:
    json_object_put(req);
    mon_reply_error(c, f->id, &err);
}

void mon_conn_close(monitor_t *m, mconn_t *c)
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
        s = mon_stream_find(m, f->id);
        if (s == NULL || s->owner != c)
            return;
        if (f->len == 0) {
            s->pend_eof = true;
        } else {
            s->pend = eb_xrealloc(s->pend, s->plen + f->len);
            memcpy(s->pend + s->plen, f->payload, f->len);
            s->plen += f->len;
        }
        mon_stream_flush_stdin(m, s);
        return;
    case EB_FRAME_WINDOW:
        s = mon_stream_find(m, f->id);
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
        mon_conn_close(m, c);
    }
}

int mon_listen_socket(const char *path, eb_error_t *err)
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

void mon_accept_conns(monitor_t *m)
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

void mon_conn_input(monitor_t *m, mconn_t *c)
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
        mon_conn_close(m, c);
        return;
    }
    eb_frame_reader_commit(&c->rd, (size_t) n);
    while (!c->dead && (rc = eb_frame_next(&c->rd, &f, &err)) == 1)
        conn_frame(m, c, &f);
    if (!c->dead && rc < 0)
        mon_conn_close(m, c);
}

void mon_reap_conns(monitor_t *m)
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

size_t mon_conn_backlog(monitor_t *m, mconn_t *c)
{
    mstream_t *s;
    size_t n = eb_outbuf_pending(&m->out) > (4u << 20) ? CONN_PENDING_MAX : 0;
    for (s = m->streams; s; s = s->next)
        if (s->owner == c)
            n += s->plen;
    return n;
}

void mon_flush_conns(monitor_t *m, int budget_ms)
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
