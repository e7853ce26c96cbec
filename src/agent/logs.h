/* logs.h - follow the log files a container declared (io.edgebox.log-files),
 * sent on the host writer's log stream (logs.c). */
#ifndef EB_AGENT_LOGS_H
#define EB_AGENT_LOGS_H

#include <json-c/json.h>
#include <sys/types.h>

#include "agent/agent.h"
#include "common/error.h"

/* Follow CONTAINER's PATTERNS (a JSON array of strings). */
int eb_agent_logs_add(eb_agent_t *a, const char *container, json_object *patterns, eb_error_t *err);
/* CONTAINER's init is PID: its root is where the patterns resolve. */
void eb_agent_logs_started(eb_agent_t *a, const char *container, pid_t pid);
/* The container is deleted: send what is left, then "logend". */
void eb_agent_logs_forget(eb_agent_t *a, const char *container);
/* The "logs" request: the host's writer (re)subscribes. */
int eb_agent_logs_subscribe(eb_agent_t *a, json_object *req, eb_error_t *err);
/* A WINDOW frame on the log stream granted N bytes. */
void eb_agent_logs_window(eb_agent_t *a, uint32_t n);
/* Scan and send what is due; the poll timeout until the next work, -1: none. */
int eb_agent_logs_run(eb_agent_t *a);

#endif
