/* event.h - the agent's events to the host: EVENT frames on stream 0,
 * {"event": NAME, ...} (proto/message.h), queued behind every frame
 * queued before them. */
#ifndef EB_AGENT_EVENT_H
#define EB_AGENT_EVENT_H

#include <json-c/json.h>

#include "agent/agent.h"
#include "agent/proc.h"

/* Queue EV; takes the reference. */
void eb_agent_event(eb_agent_t *a, json_object *ev);

/* P's end: the end-of-stream frames of its output still open (closing
 * it), then its "exit" event.  The caller decides when (loop.c: after the
 * output, or after a grace period). */
void eb_agent_event_exit(eb_agent_t *a, eb_aproc_t *p);
/* The init P's container had OOM kills since the last look: "oom" on its
 * stream with the count (sent before the exit it may cause). */
void eb_agent_event_oom(eb_agent_t *a, eb_aproc_t *p);

#endif
