/* message.c - bounded access to the JSON bodies of frames. */
#include "proto/message.h"
#include "common/json.h"

#include <errno.h>
#include <string.h>

json_object *eb_msg_parse(const uint8_t *payload, uint32_t len, eb_error_t *err)
{
    json_object *o = eb_json_parse((const char *) payload, len, EB_MSG_MAX_DEPTH, EB_JSON_PROTO, err);

    if (o == NULL) {
        eb_error_wrap(err, "message");
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        eb_error_set(err, EPROTO, "message: not a JSON object");
        return NULL;
    }
    return o;
}

int eb_msg_str(json_object *o, const char *key, size_t max, bool optional, const char **out, eb_error_t *err)
{
    json_object *v;
    size_t n;

    if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
        if (optional)
            return 0;
        return eb_error_set(err, EPROTO, "message: missing string `%s`", key);
    }
    if (!json_object_is_type(v, json_type_string))
        return eb_error_set(err, EPROTO, "message: `%s` is not a string", key);
    n = (size_t) json_object_get_string_len(v);
    if (n > max)
        return eb_error_set(err, EPROTO, "message: `%s` longer than %zu bytes", key, max);
    if (memchr(json_object_get_string(v), 0, n))
        return eb_error_set(err, EPROTO, "message: NUL in `%s`", key);
    *out = json_object_get_string(v);
    return 0;
}

int eb_msg_int(json_object *o, const char *key, int64_t min, int64_t max, bool optional, int64_t *out,
               eb_error_t *err)
{
    json_object *v;
    int64_t x;

    if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
        if (optional)
            return 0;
        return eb_error_set(err, EPROTO, "message: missing integer `%s`", key);
    }
    if (!json_object_is_type(v, json_type_int))
        return eb_error_set(err, EPROTO, "message: `%s` is not an integer", key);
    errno = 0;
    x = json_object_get_int64(v);
    if (errno != 0 || x < min || x > max)
        return eb_error_set(err, EPROTO, "message: `%s` out of range [%lld, %lld]", key, (long long) min,
                            (long long) max);
    *out = x;
    return 0;
}

int eb_msg_bool(json_object *o, const char *key, bool *out, eb_error_t *err)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return eb_error_set(err, EPROTO, "message: `%s` is not a boolean", key);
    *out = json_object_get_boolean(v);
    return 0;
}

json_object *eb_msg_obj(json_object *o, const char *key, json_type type, bool optional, eb_error_t *err)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
        if (!optional)
            eb_error_set(err, EPROTO, "message: missing `%s`", key);
        return NULL;
    }
    if (!json_object_is_type(v, type)) {
        eb_error_set(err, EPROTO, "message: `%s` has the wrong type", key);
        return NULL;
    }
    return v;
}

json_object *eb_msg_error(const eb_error_t *err)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "ok", json_object_new_boolean(0));
    json_object_object_add(o, "errno", json_object_new_int(err->code));
    json_object_object_add(o, "error", json_object_new_string(err->msg[0] ? err->msg : "unknown error"));
    return o;
}

int eb_msg_response_status(json_object *resp, eb_error_t *err)
{
    bool ok = false;
    int64_t code = EIO;
    const char *msg = "request failed";

    if (eb_msg_bool(resp, "ok", &ok, err) < 0)
        return -1;
    if (ok)
        return 0;
    if (eb_msg_int(resp, "errno", 0, 4095, true, &code, err) < 0
        || eb_msg_str(resp, "error", EB_ERROR_MSG_MAX - 1, true, &msg, err) < 0)
        return -1;
    /* The text is the peer's own message (already naming the object); a
     * zero errno keeps strerror out of it. */
    eb_error_set(err, 0, "%s", msg);
    err->code = (int) code;
    return -1;
}

void eb_msg_queue(eb_outbuf_t *out, uint8_t type, uint32_t id, json_object *o)
{
    size_t n;
    const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);

    eb_outbuf_frame(out, type, id, s, (uint32_t) n);
}

int eb_msg_write(int fd, uint8_t type, uint32_t id, json_object *o, eb_error_t *err)
{
    size_t n;
    const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n);

    if (n > EB_FRAME_MAX_JSON)
        return eb_error_set(err, EMSGSIZE, "message of %zu bytes exceeds %u", n, EB_FRAME_MAX_JSON);
    return eb_frame_write(fd, type, id, s, (uint32_t) n, err);
}
