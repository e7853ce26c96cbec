/* loop.h - the agent's event loop (loop.c). */
#ifndef EB_AGENT_LOOP_H
#define EB_AGENT_LOOP_H

#include "agent/agent.h"
#include "common/error.h"

/* Serve the host on A->chan until a fatal error (returned in ERR). */
int eb_agent_loop(eb_agent_t *a, eb_error_t *err);

#endif
