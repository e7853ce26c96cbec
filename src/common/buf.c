/* buf.c - growable byte buffer. */
#include "common/buf.h"
#include "common/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(eb_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1, cap;

    if (need < b->len || (b->limit && need - 1 > b->limit)) {
        errno = EMSGSIZE;
        return -1;
    }
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->p = eb_xrealloc(b->p, cap);
    b->cap = cap;
    return 0;
}

int eb_buf_add(eb_buf_t *b, const void *data, size_t len)
{
    if (reserve(b, len) < 0)
        return -1;
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = 0;
    return 0;
}

int eb_buf_printf(eb_buf_t *b, const char *fmt, ...)
{
    size_t room = b->cap - b->len;
    va_list ap;
    int n;

    /* Formatted straight into the room left when it fits (one pass; a
     * proxy writes many short header lines this way), else measured and
     * formatted again after growing. */
    va_start(ap, fmt);
    n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t) n) < 0) {
        if (b->p)
            b->p[b->len] = 0;
        return -1;
    }
    if ((size_t) n >= room) {
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t) n;
    return 0;
}

int eb_buf_cat(eb_buf_t *b, ...)
{
    const char *s;
    va_list ap;
    int ret = 0;

    va_start(ap, b);
    while (ret == 0 && (s = va_arg(ap, const char *)))
        ret = eb_buf_add(b, s, strlen(s));
    va_end(ap);
    return ret;
}

int eb_buf_reserve(eb_buf_t *b, size_t extra)
{
    return reserve(b, extra);
}

const char *eb_buf_str(eb_buf_t *b)
{
    if (!b->p && reserve(b, 0) == 0)
        b->p[0] = 0;
    return b->p ? b->p : "";
}

void eb_buf_reset(eb_buf_t *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = 0;
}

void eb_buf_consume(eb_buf_t *b, size_t n)
{
    if (n >= b->len) {
        eb_buf_reset(b);
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    b->p[b->len] = 0;
}

void eb_buf_free(eb_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
