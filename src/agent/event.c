/* event.c - the agent's event emitter (see event.h). */
#include "agent/event.h"
#include "core/cgroup.h"
#include "proto/message.h"

#include <unistd.h>

void eb_agent_event(eb_agent_t *a, json_object *ev)
{
    eb_msg_queue(&a->out, EB_FRAME_EVENT, 0, ev);
    json_object_put(ev);
}

/* An output pipe still open at the exit (a background child holds it):
 * the host gets its end before the exit, as the ordering promises. */
static void end_stream(eb_agent_t *a, eb_aproc_t *p, int *fd, uint8_t type)
{
    if (*fd < 0)
        return;
    close(*fd);
    *fd = -1;
    eb_outbuf_frame(&a->out, type, p->stream, NULL, 0);
}

void eb_agent_event_exit(eb_agent_t *a, eb_aproc_t *p)
{
    json_object *ev = json_object_new_object();

    end_stream(a, p, &p->out_fd, EB_FRAME_STDOUT);
    end_stream(a, p, &p->err_fd, EB_FRAME_STDERR);
    json_object_object_add(ev, "event", json_object_new_string("exit"));
    json_object_object_add(ev, "id", json_object_new_string(p->container));
    json_object_object_add(ev, "stream", json_object_new_int64(p->stream));
    json_object_object_add(ev, "status", json_object_new_int(p->status));
    eb_agent_event(a, ev);
}

void eb_agent_event_oom(eb_agent_t *a, eb_aproc_t *p)
{
    char buf[256];
    uint64_t n;
    json_object *ev;

    if (read(p->oom_fd, buf, sizeof(buf)) < 0) { }   /* the wakeup; the count is the file's */
    n = eb_cgroup_oom_count(p->cg);
    if (n <= p->ooms)
        return;
    p->ooms = n;
    ev = json_object_new_object();
    json_object_object_add(ev, "event", json_object_new_string("oom"));
    json_object_object_add(ev, "id", json_object_new_string(p->container));
    json_object_object_add(ev, "stream", json_object_new_int64(p->stream));
    json_object_object_add(ev, "count", json_object_new_uint64(n));
    eb_agent_event(a, ev);
}
