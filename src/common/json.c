/* json.c - bounded parsing of whole JSON texts. */
#include "common/json.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

json_object *eb_json_parse(const char *text, size_t len, int max_depth, int flags, eb_error_t *err)
{
    json_tokener *tok;
    json_object *o;
    enum json_tokener_error jerr;
    int code = flags & EB_JSON_PROTO ? EPROTO : EINVAL;
    const char *nul;
    size_t end;

    if (len > INT_MAX) {
        eb_error_set(err, EFBIG, "JSON text larger than %d bytes", INT_MAX);
        return NULL;
    }
    /* json-c would stop at a NUL and call what came before the text */
    if ((nul = memchr(text, 0, len)) != NULL) {
        eb_error_set(err, code, "invalid JSON: NUL byte at offset %zu", (size_t) (nul - text));
        return NULL;
    }
    tok = json_tokener_new_ex(max_depth);
    if (!tok) {
        eb_error_set(err, ENOMEM, "allocate a JSON parser");
        return NULL;
    }
    if (flags & EB_JSON_STRICT)
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, text, (int) len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr == json_tokener_continue) {
        json_object_put(o);
        eb_error_set(err, code, "invalid JSON: unexpected end of input");
        return NULL;
    }
    if (jerr != json_tokener_success) {
        json_object_put(o);
        eb_error_set(err, code, "invalid JSON at offset %zu: %s", end, json_tokener_error_desc(jerr));
        return NULL;
    }
    for (; end < len; end++)
        if (!strchr(" \t\r\n", text[end])) {
            json_object_put(o);
            eb_error_set(err, code, "invalid JSON: trailing data at offset %zu", end);
            return NULL;
        }
    /* json-c's value for the text "null": no value a caller could use */
    if (!o)
        eb_error_set(err, code, "invalid JSON: the text is null");
    return o;
}
