/* json.h - parsing a whole JSON text that came from outside (a config
 * file, the guest, the network): nesting bounded, one value and nothing
 * after it but blanks, no NUL bytes; the error says what was wrong and
 * where. */
#ifndef EB_JSON_H
#define EB_JSON_H

#include "common/error.h"

#include <json-c/json.h>
#include <stddef.h>

#define EB_JSON_STRICT 1          /* json-c's strict mode (RFC 8259 only) */
#define EB_JSON_PROTO 2           /* from a peer of our protocol: errors are EPROTO */

/* The value (any type but null), or NULL with ERR (EINVAL, or EPROTO). */
json_object *eb_json_parse(const char *text, size_t len, int max_depth, int flags, eb_error_t *err);

#endif
