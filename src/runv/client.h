/* client.h - talking to a sandbox's monitor over monitor.sock. */
#ifndef EB_RUNV_CLIENT_H
#define EB_RUNV_CLIENT_H

#include <json-c/json.h>

#include "common/error.h"

#define EB_RUNV_REQUEST_TIMEOUT_S 60

int eb_monitor_connect(const char *root, const char *sid, eb_error_t *err);
/* One request/response on FD; *RESP is the response object (caller puts). */
int eb_monitor_call(int fd, json_object *req, json_object **resp, eb_error_t *err);
/* Connect, call, close.  RESP may be NULL. */
int eb_monitor_request(const char *root, const char *sid, json_object *req, json_object **resp, eb_error_t *err);

#endif
