/* http.h - HTTP/1.1 message heads and bodies over an eb_conn.
 *
 * Only what a proxy needs: parse a request or response head (bounded by
 * the connection buffer, 16 KiB), find headers, read a body by its framing
 * (Content-Length, chunked, or until close) one piece at a time so streams
 * can be relayed as they arrive. */
#ifndef EB_KUBE_HTTP_H
#define EB_KUBE_HTTP_H

#include "common/buf.h"
#include "common/error.h"
#include "kube/conn.h"

#include <stdint.h>

#define EB_HTTP_MAX_HEADERS 64

typedef struct eb_http_head {
    char *raw;                    /* owns every string below */
    char *method, *target;        /* request */
    int status;                   /* response */
    char code[4];                 /* the status, as it came */
    char *reason;
    size_t len;                   /* of the head as it came */
    int minor;                    /* HTTP/1.<minor> */
    struct { char *name, *value; } hdr[EB_HTTP_MAX_HEADERS];
    size_t nhdr;
} eb_http_head_t;

/* Returns 0, 1 when the peer closed before sending anything, -1 on error
 * (errno EMSGSIZE: head too large; EPROTO: malformed). */
int eb_http_read_head(eb_conn_t *c, int request, eb_http_head_t *h, eb_error_t *err);
void eb_http_head_free(eb_http_head_t *h);
const char *eb_http_header(const eb_http_head_t *h, const char *name);
/* Does a comma-separated header NAME contain TOKEN (case-insensitive)? */
int eb_http_header_has(const eb_http_head_t *h, const char *name, const char *token);

enum eb_body_mode { EB_BODY_NONE, EB_BODY_LENGTH, EB_BODY_CHUNKED, EB_BODY_CLOSE };

typedef struct eb_body {
    enum eb_body_mode mode;
    uint64_t left;                /* LENGTH: bytes left; CHUNKED: left in this chunk */
    int done;
} eb_body_t;

/* Framing of a request's body, or of a response's (METHOD is the
 * request's: a HEAD response has none). -1 on a malformed length. */
int eb_body_init_request(eb_body_t *b, const eb_http_head_t *h);
int eb_body_init_response(eb_body_t *b, const eb_http_head_t *h, const char *method);
/* Next piece of the body: >0 bytes, 0 at its end, -1 on error/EOF mid-body. */
ssize_t eb_body_read(eb_conn_t *c, eb_body_t *b, void *buf, size_t n);
/* The whole body into OUT (bounded by OUT->limit). */
int eb_body_read_all(eb_conn_t *c, eb_body_t *b, eb_buf_t *out, eb_error_t *err);

/* Percent-decode LEN bytes of SRC into DST (room for LEN + 1, NUL-ended);
 * '+' is a space in a query, not in a path.  The length, or -1 on a bad
 * escape or an escaped NUL. */
int eb_http_unescape_to(char *dst, const char *src, size_t len, int plus_is_space);
/* The same for a query part, into a new string; NULL on bad escapes. */
char *eb_http_unescape(const char *src, size_t len);

/* One parameter of a query, as it stands in the target (still escaped). */
typedef struct eb_qparam {
    const char *key, *val;
    size_t klen, vlen;
} eb_qparam_t;
/* The next parameter of the query at *Q ("a=b&c"), advancing *Q; 0 at
 * the end.  A key without '=' has an empty value. */
int eb_http_query_next(const char **q, eb_qparam_t *p);
/* Is P's key, decoded, NAME? */
int eb_http_qkey_is(const eb_qparam_t *p, const char *name);
/* P's value, decoded, in a new string; NULL on bad escapes. */
char *eb_http_qval(const eb_qparam_t *p);
/* Go's strconv.ParseBool; -1 when not a boolean. */
int eb_http_parse_bool(const char *s);

/* A whole response: head and body (KEEP: the connection stays open). */
int eb_http_respond(eb_conn_t *c, int keep, int code, const char *ctype, const void *body, size_t len);

#endif
