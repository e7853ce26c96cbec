/* event.c - the agent's event emitter (see event.h). */
#include "agent/event.h"
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
