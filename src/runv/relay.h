/* relay.h - the relay: the pid the shim or conmon sees for a container
 * process (--pid-file).  It holds the process's host stdio, exchanges it
 * with the guest through the monitor, forwards signals, and exits with
 * the guest process's status. */
#ifndef EB_RUNV_RELAY_H
#define EB_RUNV_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct {
    int conn;                  /* connection to the monitor (owns the stream) */
    uint32_t stream;
    bool tty;
    int in_fd, out_fd, err_fd; /* host side stdio */
    const uint8_t *early;      /* what came on CONN with the stream's opening response */
    size_t early_len;
} eb_relay_t;
/* Relay until the guest process exits; returns its wait status. */
int eb_relay_run(eb_relay_t *r, eb_error_t *err);

#endif
