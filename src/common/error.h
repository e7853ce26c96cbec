/* error.h - the one error value of edgebox.
 *
 * Every fallible function returns an int (0 or a non-negative result on
 * success, -1 on failure) and takes an `eb_error_t *err` as its last
 * argument.  The failing function fills it with errno and a message naming
 * the object; callers return -1 unchanged or add context with
 * eb_error_wrap().  Only main() prints it.  The buffer is fixed-size so an
 * error can be created in a forked child or when memory is exhausted. */
#ifndef EB_ERROR_H
#define EB_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define EB_ERROR_MSG_MAX 1024

typedef struct eb_error {
    int code;                     /* errno, or 0 when not a system error */
    char msg[EB_ERROR_MSG_MAX];   /* empty when no error is set */
} eb_error_t;

/* Fill ERR with ERRNUM and a printf-style message.  When ERRNUM is not 0,
 * strerror(ERRNUM) is appended.  Returns -1 so callers can write
 * `return eb_error_set(err, errno, "open %s", path);`. */
int eb_error_set(eb_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message already in ERR with context ("what we were doing: ").
 * Keeps the errno.  Returns -1. */
int eb_error_wrap(eb_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget a recovered error. */
void eb_error_clear(eb_error_t *err);

static inline int eb_error_is_set(const eb_error_t *err) { return err->msg[0] != 0; }

#endif
