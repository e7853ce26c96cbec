/* http.c - HTTP/1.1 heads and bodies. */
#include "kube/http.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *find_head_end(char *p, size_t n)
{
    size_t i;

    for (i = 3; i < n; i++)
        if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
            return p + i + 1;
    return NULL;
}

static int bad(eb_error_t *err, const char *what)
{
    errno = EPROTO;
    return eb_error_set(err, EPROTO, "malformed HTTP message: %s", what);
}

static int parse_head(eb_http_head_t *h, int request, eb_error_t *err)
{
    char *line = h->raw, *eol, *sp;

    eol = strstr(line, "\r\n");
    *eol = 0;
    if (request) {
        h->method = line;
        sp = strchr(line, ' ');
        if (!sp || sp == line)
            return bad(err, "request line");
        *sp++ = 0;
        h->target = sp;
        sp = strchr(sp, ' ');
        if (!sp || sp == h->target)
            return bad(err, "request line");
        *sp++ = 0;
        if (strncmp(sp, "HTTP/1.", 7) != 0 || !isdigit((unsigned char) sp[7]) || sp[8])
            return bad(err, "version");
        h->minor = sp[7] - '0';
    } else {
        if (strncmp(line, "HTTP/1.", 7) != 0 || !isdigit((unsigned char) line[7]) || line[8] != ' ')
            return bad(err, "status line");
        h->minor = line[7] - '0';
        if (!isdigit((unsigned char) line[9]) || !isdigit((unsigned char) line[10])
            || !isdigit((unsigned char) line[11]) || (line[12] && line[12] != ' '))
            return bad(err, "status code");
        h->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        memcpy(h->code, line + 9, 3);
        h->reason = line[12] ? line + 13 : line + 12;
    }
    for (line = eol + 2; *line && !(line[0] == '\r' && line[1] == '\n'); line = eol + 2) {
        char *colon, *v, *end;

        eol = strstr(line, "\r\n");
        *eol = 0;
        colon = strchr(line, ':');
        if (!colon || colon == line)
            return bad(err, "header line");
        for (v = line; v < colon; v++)
            if (*v == ' ' || *v == '\t')
                return bad(err, "space in a header name");
        if (h->nhdr == EB_HTTP_MAX_HEADERS)
            return bad(err, "too many headers");
        *colon = 0;
        v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        end = v + strlen(v);
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = 0;
        h->hdr[h->nhdr].name = line;
        h->hdr[h->nhdr].value = v;
        h->nhdr++;
    }
    return 0;
}

int eb_http_read_head(eb_conn_t *c, int request, eb_http_head_t *h, eb_error_t *err)
{
    char *end;
    size_t n;

    memset(h, 0, sizeof(*h));
    for (;;) {
        ssize_t r;

        /* Tolerate the empty lines RFC 9112 allows before a request. */
        while (request && c->rlen - c->rpos >= 2 && c->rbuf[c->rpos] == '\r' && c->rbuf[c->rpos + 1] == '\n')
            c->rpos += 2;
        end = find_head_end(c->rbuf + c->rpos, c->rlen - c->rpos);
        if (end)
            break;
        r = eb_conn_read_more(c);
        if (r == 0 && c->rlen == c->rpos)
            return 1;
        if (r == 0)
            return bad(err, "connection closed inside the head");
        if (r < 0) {
            if (errno == EMSGSIZE)
                return eb_error_set(err, EMSGSIZE, "HTTP head larger than %zu bytes", sizeof(c->rbuf));
            return eb_error_set(err, errno, "read HTTP head");
        }
    }
    n = (size_t) (end - (c->rbuf + c->rpos));
    h->raw = eb_xrealloc(NULL, n + 1);
    memcpy(h->raw, c->rbuf + c->rpos, n);
    h->raw[n] = 0;
    h->len = n;
    c->rpos += n;
    if (memchr(h->raw, 0, n))
        return bad(err, "NUL byte in the head");
    return parse_head(h, request, err);
}

void eb_http_head_free(eb_http_head_t *h)
{
    free(h->raw);
    memset(h, 0, sizeof(*h));
}

const char *eb_http_header(const eb_http_head_t *h, const char *name)
{
    size_t i;

    for (i = 0; i < h->nhdr; i++)
        if (strcasecmp(h->hdr[i].name, name) == 0)
            return h->hdr[i].value;
    return NULL;
}

int eb_http_header_has(const eb_http_head_t *h, const char *name, const char *token)
{
    size_t i, tl = strlen(token);

    for (i = 0; i < h->nhdr; i++) {
        const char *p;
        if (strcasecmp(h->hdr[i].name, name) != 0)
            continue;
        for (p = h->hdr[i].value; *p;) {
            size_t n;
            while (*p == ' ' || *p == ',' || *p == '\t')
                p++;
            n = strcspn(p, ",");
            while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                n--;
            if (n == tl && strncasecmp(p, token, tl) == 0)
                return 1;
            p += strcspn(p, ",");
        }
    }
    return 0;
}

static int parse_length(const char *s, uint64_t *out)
{
    if (!*s)
        return -1;
    for (*out = 0; *s; s++) {
        if (!isdigit((unsigned char) *s) || *out > (UINT64_MAX - 9) / 10)
            return -1;
        *out = *out * 10 + (uint64_t) (*s - '0');
    }
    return 0;
}

static int init_common(eb_body_t *b, const eb_http_head_t *h, enum eb_body_mode fallback)
{
    const char *cl = eb_http_header(h, "Content-Length");

    memset(b, 0, sizeof(*b));
    if (eb_http_header_has(h, "Transfer-Encoding", "chunked")) {
        b->mode = EB_BODY_CHUNKED;
        return 0;
    }
    if (cl) {
        b->mode = EB_BODY_LENGTH;
        if (parse_length(cl, &b->left) < 0)
            return -1;
        b->done = b->left == 0;
        return 0;
    }
    b->mode = fallback;
    b->done = fallback == EB_BODY_NONE;
    return 0;
}

int eb_body_init_request(eb_body_t *b, const eb_http_head_t *h)
{
    return init_common(b, h, EB_BODY_NONE);
}

int eb_body_init_response(eb_body_t *b, const eb_http_head_t *h, const char *method)
{
    if ((method && strcmp(method, "HEAD") == 0) || h->status / 100 == 1 || h->status == 204 || h->status == 304) {
        memset(b, 0, sizeof(*b));
        b->mode = EB_BODY_NONE;
        b->done = 1;
        return 0;
    }
    return init_common(b, h, EB_BODY_CLOSE);
}

/* A CRLF-terminated line from the connection (chunk sizes, trailers). */
static int read_line(eb_conn_t *c, char *line, size_t max)
{
    size_t n = 0;

    for (;;) {
        char ch;
        if (c->rpos == c->rlen) {
            ssize_t r = eb_conn_read_more(c);
            if (r <= 0)
                return -1;
        }
        ch = c->rbuf[c->rpos++];
        if (ch == '\n') {
            if (n && line[n - 1] == '\r')
                n--;
            line[n] = 0;
            return 0;
        }
        if (n + 1 >= max)
            return -1;
        line[n++] = ch;
    }
}

ssize_t eb_body_read(eb_conn_t *c, eb_body_t *b, void *buf, size_t n)
{
    ssize_t r;

    if (b->done)
        return 0;
    switch (b->mode) {
    case EB_BODY_NONE:
        return 0;
    case EB_BODY_CLOSE:
        r = eb_conn_read(c, buf, n);
        if (r == 0)
            b->done = 1;
        return r;
    case EB_BODY_LENGTH:
        r = eb_conn_read(c, buf, b->left < n ? b->left : n);
        if (r == 0) {
            errno = EPIPE;
            return -1;
        }
        if (r > 0 && (b->left -= (uint64_t) r) == 0)
            b->done = 1;
        return r;
    case EB_BODY_CHUNKED:
        if (b->left == 0) {
            char line[128], *end;
            unsigned long long size;

            if (read_line(c, line, sizeof(line)) < 0)
                goto broken;
            errno = 0;
            size = strtoull(line, &end, 16);
            if (end == line || errno || (*end && *end != ';' && *end != ' '))
                goto broken;
            if (size == 0) {
                do     /* trailers, then the empty line */
                    if (read_line(c, line, sizeof(line)) < 0)
                        goto broken;
                while (line[0]);
                b->done = 1;
                return 0;
            }
            b->left = size;
        }
        r = eb_conn_read(c, buf, b->left < n ? b->left : n);
        if (r <= 0)
            goto broken;
        b->left -= (uint64_t) r;
        if (b->left == 0) {
            char line[8];
            if (read_line(c, line, sizeof(line)) < 0 || line[0])
                goto broken;
        }
        return r;
    }
broken:
    errno = EPROTO;
    return -1;
}

int eb_body_read_all(eb_conn_t *c, eb_body_t *b, eb_buf_t *out, eb_error_t *err)
{
    char tmp[16384];

    for (;;) {
        ssize_t r = eb_body_read(c, b, tmp, sizeof(tmp));
        if (r == 0)
            return 0;
        if (r < 0)
            return eb_error_set(err, errno, "read HTTP body");
        if (eb_buf_add(out, tmp, (size_t) r) < 0)
            return eb_error_set(err, EMSGSIZE, "HTTP body larger than %zu bytes", out->limit);
    }
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = tolower(ch);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

int eb_http_unescape_to(char *dst, const char *src, size_t len, int plus_is_space)
{
    char *o = dst;
    size_t i;

    for (i = 0; i < len; i++) {
        if (src[i] == '%') {
            int hi, lo;
            if (i + 2 >= len)
                return -1;
            hi = hexval((unsigned char) src[i + 1]);
            lo = hexval((unsigned char) src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            *o++ = (char) (hi * 16 + lo);
            i += 2;
        } else if (src[i] == '+' && plus_is_space) {
            *o++ = ' ';
        } else {
            *o++ = src[i];
        }
    }
    *o = 0;
    return (int) (o - dst);
}

char *eb_http_unescape(const char *src, size_t len)
{
    char *out = eb_xrealloc(NULL, len + 1);

    if (eb_http_unescape_to(out, src, len, 1) < 0) {
        free(out);
        return NULL;
    }
    return out;
}

int eb_http_query_next(const char **q, eb_qparam_t *p)
{
    const char *s = *q, *eq;
    size_t n;

    while (*s == '&')
        s++;
    if (!*s) {
        *q = s;
        return 0;
    }
    n = strcspn(s, "&");
    eq = memchr(s, '=', n);
    p->key = s;
    p->klen = eq ? (size_t) (eq - s) : n;
    p->val = eq ? eq + 1 : s + n;
    p->vlen = eq ? n - p->klen - 1 : 0;
    *q = s + n;
    return 1;
}

int eb_http_qkey_is(const eb_qparam_t *p, const char *name)
{
    size_t nl = strlen(name);
    char key[64];

    /* most keys carry no escapes: compared as they are */
    if (!memchr(p->key, '%', p->klen) && !memchr(p->key, '+', p->klen))
        return p->klen == nl && memcmp(p->key, name, nl) == 0;
    /* an escape turns 3 bytes into 1: a longer key cannot be NAME */
    if (p->klen > 3 * nl)
        return 0;
    if (p->klen < sizeof(key)) {
        int kl = eb_http_unescape_to(key, p->key, p->klen, 1);
        return kl >= 0 && (size_t) kl == nl && memcmp(key, name, nl) == 0;
    } else {
        _cleanup_free_ char *k = eb_http_unescape(p->key, p->klen);
        return k && strcmp(k, name) == 0;
    }
}

char *eb_http_qval(const eb_qparam_t *p)
{
    return eb_http_unescape(p->val, p->vlen);
}

int eb_http_parse_bool(const char *s)
{
    static const char *const t[] = { "1", "t", "T", "true", "TRUE", "True" };
    static const char *const f[] = { "0", "f", "F", "false", "FALSE", "False" };
    size_t i;

    for (i = 0; i < 6; i++) {
        if (strcmp(s, t[i]) == 0)
            return 1;
        if (strcmp(s, f[i]) == 0)
            return 0;
    }
    return -1;
}

static const char *reason_phrase(int code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 409: return "Conflict";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 413: return "Request Entity Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

int eb_http_respond(eb_conn_t *c, int keep, int code, const char *ctype, const void *body, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-cache, private\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     code, reason_phrase(code), ctype, len, keep ? "" : "Connection: close\r\n");

    /* one write for small answers: one segment, one TLS record */
    if (len && len <= 16384) {
        char buf[sizeof(head) + 16384];
        memcpy(buf, head, (size_t) n);
        memcpy(buf + n, body, len);
        return eb_conn_write(c, buf, (size_t) n + len);
    }
    if (eb_conn_write(c, head, (size_t) n) < 0 || (len && eb_conn_write(c, body, len) < 0))
        return -1;
    return 0;
}
