/* client.h - talking to a sandbox's monitor over monitor.sock. */
#ifndef EB_RUNV_CLIENT_H
#define EB_RUNV_CLIENT_H

#include <json-c/json.h>

#include "common/buf.h"
#include "common/error.h"

#define EB_RUNV_REQUEST_TIMEOUT_S 60

int eb_monitor_connect(const char *root, const char *sid, eb_error_t *err);
/* The monitor serving directory DIR (a pooled VM's); WHAT names it in errors. */
int eb_monitor_connect_dir(const char *dir, const char *what, eb_error_t *err);
/* One request/response on FD; *RESP is the response object (caller puts). */
int eb_monitor_call(int fd, json_object *req, json_object **resp, eb_error_t *err);
/* The same on a connection that carries a stream too (a relay's): frames
 * that come before the response (a process's first output: a
 * createContainer hook's) and bytes read past it are appended to KEPT,
 * in order, for the caller's own loop; nothing is lost. */
int eb_monitor_call_keep(int fd, json_object *req, json_object **resp, eb_buf_t *kept, eb_error_t *err);
/* Connect, call, close.  RESP may be NULL. */
int eb_monitor_request(const char *root, const char *sid, json_object *req, json_object **resp, eb_error_t *err);

#endif
