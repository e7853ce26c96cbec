/* sync.h - messages between the runtime and the container's init while it
 * is being built: typed, length-prefixed, at most one fd attached, over a
 * SOCK_SEQPACKET pair so message boundaries hold. */
#ifndef EB_SYNC_H
#define EB_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum eb_sync_type {
    EB_SYNC_GO = 1,            /* parent -> child: continue (after CREATED: payload = the
                                * state JSON for the startContainer hooks) */
    EB_SYNC_USERNS,            /* child: new user ns made, write the id maps */
    EB_SYNC_PID,               /* stage 1: payload = the init's pid (int32) */
    EB_SYNC_CONSOLE,           /* child: pty master attached */
    EB_SYNC_HOOKS,             /* child: run prestart/createRuntime hooks now */
    EB_SYNC_STATE,             /* parent: payload = state JSON for in-container hooks */
    EB_SYNC_CREATED,           /* child: ready, about to wait for start */
    EB_SYNC_ACK,               /* child: pdeath signal cleared, parent may leave */
    EB_SYNC_ERROR,             /* child: payload = message, errno in the header */
    EB_SYNC_SECCOMP,           /* child: seccomp notify fd attached */
};

#define EB_SYNC_MAX_PAYLOAD 65536

typedef struct {
    uint32_t type;
    int32_t code;
    uint32_t len;
    char data[EB_SYNC_MAX_PAYLOAD];
    int fd;                    /* -1 when none was attached */
} eb_sync_msg_t;

int eb_sync_send(int sock, uint32_t type, int32_t code, const void *data, size_t len, int fd,
                 eb_error_t *err);
/* 0 on a message, 1 on EOF (peer gone), -1 on error. */
int eb_sync_recv(int sock, eb_sync_msg_t *msg, eb_error_t *err);
/* Receive and require TYPE; an EB_SYNC_ERROR from the peer becomes ERR. */
int eb_sync_expect(int sock, uint32_t type, eb_sync_msg_t *msg, eb_error_t *err);
/* Child side: report ERR to the parent and _exit. */
__attribute__((noreturn)) void eb_sync_fail(int sock, const eb_error_t *err);

#endif
