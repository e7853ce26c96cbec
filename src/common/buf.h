/* buf.h - a growable byte buffer for building messages and bodies.
 *
 * Appends abort only on allocation failure (like eb_xrealloc); a LIMIT set
 * with eb_buf_limit() turns growth past it into a -1 return instead, which
 * is how callers bound what a peer can make them hold. */
#ifndef EB_BUF_H
#define EB_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct eb_buf {
    char *p;
    size_t len, cap;
    size_t limit;                 /* 0 = unbounded */
} eb_buf_t;

/* Both return 0, or -1 (errno EMSGSIZE) when LIMIT would be passed. */
int eb_buf_add(eb_buf_t *b, const void *data, size_t len);
int eb_buf_printf(eb_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Strings appended in turn, up to a NULL: no format to interpret. */
int eb_buf_cat(eb_buf_t *b, ...) __attribute__((sentinel));
/* Room for EXTRA more bytes now, so appends that follow don't regrow. */
int eb_buf_reserve(eb_buf_t *b, size_t extra);
/* The content as a NUL-terminated string (the NUL is not counted). */
const char *eb_buf_str(eb_buf_t *b);
void eb_buf_reset(eb_buf_t *b);
void eb_buf_free(eb_buf_t *b);
/* Drop the first N bytes. */
void eb_buf_consume(eb_buf_t *b, size_t n);

#include <string.h>
static inline int eb_buf_puts(eb_buf_t *b, const char *s) { return eb_buf_add(b, s, strlen(s)); }

/* Scope-bound release, as cleanup.h does for the plain types. */
#define _cleanup_buf_ __attribute__((cleanup(eb_buf_free)))

#endif
