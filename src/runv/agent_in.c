/* agent_in.c - what the agent sends, checked before anything acts on it:
 * its hello, its responses (matched to a request in flight), its events
 * and the data of its streams within their credit.  Any violation ends
 * the sandbox (monitor_internal.h). */
#include "runv/monitor_internal.h"
#include "runv/bootstats.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int violation(monitor_t *m, eb_error_t *err)
{
    snprintf(m->reason, sizeof(m->reason), "agent protocol violation: %s", err->msg);
    return -1;
}

static void finish_pending(monitor_t *m, mpending_t *p, json_object *resp, bool ok)
{
    if (m->o->pool && mon_pool_response(m, p, resp, ok))
        return;
    if (p->op == EB_OP_SANDBOX && m->phase == SETUP) {
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
    if ((eb_op_flags(p->op) & EB_OP_NEW_STREAM) && p->stream) {
        mstream_t *s = mon_stream_find(m, p->stream);
        if (!ok && s)
            mon_stream_drop(m, s);
        else if (ok)
            json_object_object_add(resp, "stream", json_object_new_int64(p->stream));
    }
    if (p->op == EB_OP_DELETE && ok && strcmp(p->cid, m->o->sid) == 0) {
        /* The sandbox's own container is gone: so is the sandbox. */
        m->phase = DYING;
        m->exit_ok = true;
    }
    if (p->conn && !p->conn->dead)
        mon_reply(p->conn, p->client_id, resp);
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
        s = mon_stream_find(m, (uint32_t) stream);
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
        mon_stream_drop(m, s);
    } else if (strcmp(name, "oom") == 0) {
        /* OOM kills in a container: for whoever holds its init's stream
         * (the shim's TaskOOM).  Its exit may have dropped the stream
         * meanwhile: only an id we handed out. */
        int64_t count;
        if (eb_msg_int(ev, "stream", 1, m->next_stream, false, &stream, err) < 0
            || eb_msg_int(ev, "count", 1, INT64_MAX, false, &count, err) < 0)
            goto bad;
        s = mon_stream_find(m, (uint32_t) stream);
        if (s && s->log) {
            eb_error_set(err, EPROTO, "oom event on the log stream %lld", (long long) stream);
            goto bad;
        }
        if (s && s->owner && !s->owner->dead)
            eb_msg_queue(&s->owner->out, EB_FRAME_EVENT, 0, ev);
    } else if (strcmp(name, "logfile") == 0 || strcmp(name, "logclosed") == 0 || strcmp(name, "logend") == 0) {
        /* For the writer, which checks the rest of it. */
        if (eb_msg_int(ev, "stream", 1, UINT32_MAX, false, &stream, err) < 0)
            goto bad;
        s = mon_stream_find(m, (uint32_t) stream);
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
        if (m->o->pool)
            mon_pool_hello(m);
        else {
            json_object *r = m->net.config ? json_object_get(m->net.config) : json_object_new_object();
            json_object_object_add(r, "op", json_object_new_string(eb_op_name(EB_OP_SANDBOX)));
            if (m->o->hostname)
                json_object_object_add(r, "hostname", json_object_new_string(m->o->hostname));
            mon_send_agent(m, NULL, 0, r, EB_OP_SANDBOX, NULL, 0);
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
        s = mon_stream_find(m, f->id);
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
        s = mon_stream_find(m, f->id);
        if (s == NULL)
            return 0;      /* the stream ended meanwhile */
        if (eb_frame_window(f) > MAX_CREDIT - s->in_credit)
            return eb_error_set(err, EPROTO, "stream %u: window overflow", f->id);
        s->in_credit += eb_frame_window(f);
        if (s->owner && !s->owner->dead)
            eb_outbuf_window(&s->owner->out, s->id, eb_frame_window(f));
        mon_stream_flush_stdin(m, s);
        return 0;
    default:
        return eb_error_set(err, EPROTO, "unexpected %s frame from the guest", eb_frame_type_name(f->type));
    }
}

/* Handle every complete frame the reader holds. */
int mon_agent_drain(monitor_t *m, eb_error_t *err)
{
    eb_frame_t f;
    int rc;

    while ((rc = eb_frame_next(&m->rd, &f, err)) == 1)
        if (agent_frame(m, &f, err) < 0)
            return violation(m, err);
    return rc < 0 ? violation(m, err) : 0;
}

int mon_agent_input(monitor_t *m, eb_error_t *err)
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
        if (mon_agent_drain(m, err) < 0)
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
    static const eb_op_t ops[] = { EB_OP_CREATE, EB_OP_STATE, EB_OP_DELETE, EB_OP_PING };
    monitor_t m = { .chan = -1, .console = -1, .listen_fd = -1, .vfs_listen = -1, .phase = READY };
    eb_monitor_opts_t o = { .sid = "fuzz", .ready_fd = -1 };
    mconn_t *c = eb_xcalloc(1, sizeof(*c));
    int ret = 0, i;

    m.o = &o;
    m.next_stream = 3;
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
        mon_send_agent(&m, c, (uint32_t) i + 100, r, ops[i], "fuzz", i == 0 ? 1 : 0);
        json_object_put(r);
    }
    while (len > 0 && ret == 0 && m.phase == READY) {
        size_t room, n;
        uint8_t *buf = eb_frame_reader_space(&m.rd, &room);

        n = len < room ? len : room;
        memcpy(buf, data, n);
        eb_frame_reader_commit(&m.rd, n);
        data += n, len -= n;
        ret = mon_agent_drain(&m, err);
    }
    while (m.streams)
        mon_stream_drop(&m, m.streams);
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
