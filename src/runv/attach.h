/* attach.h - a guest process served in its caller's poll loop (the
 * class's eb_attached_t): what a relay does, without the relay process.
 * The shim uses it; the OCI CLI's callers (conmon, CRI-O, the runc v2
 * shim) need a pid to wait for and keep the relay (relay.h). */
#ifndef EB_RUNV_ATTACH_H
#define EB_RUNV_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "class/class.h"

/* A process whose stream STREAM is carried by CONN (a monitor connection
 * that asked for it; taken), its host stdio STDIO (taken; -1: none), what
 * came on CONN with the opening answer (EARLY, copied), shown as SHOWN. */
eb_attached_t *eb_runv_attach_new(int conn, uint32_t stream, bool tty, const int stdio[3], const uint8_t *early,
                                  size_t early_len, pid_t shown, eb_error_t *err);

#endif
