/* error.c - filling and wrapping eb_error_t. */
#include "common/error.h"

#include <stdio.h>
#include <string.h>

int eb_error_set(eb_error_t *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (err == NULL)
        return -1;
    err->code = errnum;
    va_start(ap, fmt);
    n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (errnum != 0 && (size_t) n < sizeof(err->msg))
        snprintf(err->msg + n, sizeof(err->msg) - (size_t) n, ": %s", strerror(errnum));
    return -1;
}

int eb_error_wrap(eb_error_t *err, const char *fmt, ...)
{
    char prefix[EB_ERROR_MSG_MAX];
    char old[EB_ERROR_MSG_MAX];
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char joined[2 * EB_ERROR_MSG_MAX + 4];

    memcpy(old, err->msg, sizeof(old));
    old[sizeof(old) - 1] = 0;
    snprintf(joined, sizeof(joined), "%s: %s", prefix, old);
    memcpy(err->msg, joined, sizeof(err->msg) - 1);
    err->msg[sizeof(err->msg) - 1] = 0;
    return -1;
}

void eb_error_clear(eb_error_t *err)
{
    if (err == NULL)
        return;
    err->code = 0;
    err->msg[0] = 0;
}
