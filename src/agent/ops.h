/* ops.h - the agent's answers to the host's requests (ops.c). */
#ifndef EB_AGENT_OPS_H
#define EB_AGENT_OPS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "agent/agent.h"
#include "proto/ops.h"

/* Handle one request; returns the response object (the caller owns it). */
json_object *eb_agent_handle(eb_agent_t *a, json_object *req);

/* Whether the agent answers OP (false for the monitor's own, "info"). */
bool eb_agent_serves(eb_op_t op);

#endif
