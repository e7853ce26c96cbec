/* message.h - the JSON bodies of HELLO/REQUEST/RESPONSE/EVENT frames.
 *
 * A request is {"op": NAME, ...}; a response is {"ok": true, ...} or
 * {"ok": false, "errno": N, "error": TEXT}; an event is {"event": NAME, ...}.
 * The getters bound every field they return (length, range, type), so
 * callers on the host side can take the result as validated. */
#ifndef EB_PROTO_MESSAGE_H
#define EB_PROTO_MESSAGE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "proto/frame.h"

#define EB_MSG_MAX_DEPTH 64
#define EB_MSG_MAX_STR 4096

/* Parse a frame payload: must be one JSON object and nothing else. */
json_object *eb_msg_parse(const uint8_t *payload, uint32_t len, eb_error_t *err);

/* Bounded getters; OPTIONAL fields absent leave *OUT untouched and return 0. */
int eb_msg_str(json_object *o, const char *key, size_t max, bool optional, const char **out, eb_error_t *err);
int eb_msg_int(json_object *o, const char *key, int64_t min, int64_t max, bool optional, int64_t *out,
               eb_error_t *err);
int eb_msg_bool(json_object *o, const char *key, bool *out, eb_error_t *err);
json_object *eb_msg_obj(json_object *o, const char *key, json_type type, bool optional, eb_error_t *err);

/* Build {"ok": false, ...} from ERR / read it back into ERR. */
json_object *eb_msg_error(const eb_error_t *err);
int eb_msg_response_status(json_object *resp, eb_error_t *err);

/* Queue O (not consumed) as a frame. */
void eb_msg_queue(eb_outbuf_t *out, uint8_t type, uint32_t id, json_object *o);
int eb_msg_write(int fd, uint8_t type, uint32_t id, json_object *o, eb_error_t *err);

#endif
