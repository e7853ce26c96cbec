/* streams.c - the process streams a sandbox carries (stdio of each
 * container process, and the in-guest log files' stream) and their credit:
 * the agent may send on a stream only as much as its reader granted, and
 * stdin goes to the guest only as far as the agent granted. */
#include "runv/monitor_internal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

mstream_t *mon_stream_find(monitor_t *m, uint32_t id)
{
    mstream_t *s;
    for (s = m->streams; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

void mon_stream_drop(monitor_t *m, mstream_t *s)
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
void mon_stream_flush_stdin(monitor_t *m, mstream_t *s)
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

/* Every process still relayed ends as if killed: with REASON when the
 * sandbox failed (the relay tells it), silently when it was deleted or
 * shut down - its relay must not find the monitor gone without a word. */
void mon_end_streams(monitor_t *m, const char *reason)
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

/* A new stream owned by OWNER, with a full window both ways. */
mstream_t *mon_stream_new(monitor_t *m, mconn_t *owner, bool log)
{
    mstream_t *s = eb_xcalloc(1, sizeof(*s));

    s->id = ++m->next_stream;
    s->owner = owner;
    s->out_credit = s->in_credit = EB_STREAM_WINDOW;
    s->log = log;
    s->next = m->streams;
    m->streams = s;
    return s;
}
