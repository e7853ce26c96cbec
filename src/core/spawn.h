/* spawn.h - the runtime's half of building a container process, shared by
 * create and exec: fork stage 1 (init.c), put it in the cgroup, let it go,
 * then answer its sync messages until the process is ready.
 *
 * The caller fills an eb_init_ctx_t (what the child is to become), calls
 * eb_spawn_start, then eb_spawn_handshake with what differs between create
 * and exec (eb_handshake_t), and finally eb_spawn_finish on success.  An
 * eb_spawn_t declared _cleanup_spawn_ kills and reaps whatever it still owns
 * when the scope is left without eb_spawn_finish. */
#ifndef EB_SPAWN_H
#define EB_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "core/cgroup.h"
#include "core/init.h"
#include "core/seccomp_filter.h"
#include "core/state.h"
#include "core/sync.h"

typedef struct eb_spawn {
    int sock;                  /* our end of the sync pair, -1 once closed */
    pid_t stage1;              /* stage 1 until it reported the pid and was reaped, else -1 */
    pid_t pid;                 /* stage 2 (the init or the exec'd process), -1 until known */
    int master;                /* pty master no console socket took, else -1 */
    eb_sync_msg_t *msg;        /* receive buffer (64 KiB: not on the stack) */
} eb_spawn_t;

#define EB_SPAWN_INIT { .sock = -1, .stage1 = -1, .pid = -1, .master = -1, .msg = NULL }

/* What eb_handshake_t.step returns for a message it does not know. */
#define EB_SPAWN_UNEXPECTED 2

/* What differs between create and exec while the child is set up.  The
 * messages both have (pid, console, seccomp listener, error) are answered
 * by eb_spawn_handshake itself. */
typedef struct eb_handshake {
    const char *who;             /* the child in "unexpected message N from WHO" */
    const char *died;            /* the error when the child exits during setup */
    bool eof_done;               /* EOF once the pid is known means success (exec:
                                  * the socket is close-on-exec) */
    const char *console_socket;  /* send the pty master there; NULL keeps it in master */
    const eb_seccomp_t *seccomp; /* for the notify listener */
    eb_state_t *state;           /* the state JSON the listener gets ... */
    eb_status_t status;          /* ... with this status */
    eb_state_t *record;          /* save the child's pid there (create), or NULL */
    /* Any other message: -1 error, 0 go on, 1 done, EB_SPAWN_UNEXPECTED.
     * NULL: every other message is unexpected. */
    int (*step)(void *arg, eb_spawn_t *sp, eb_error_t *err);
    void *arg;
} eb_handshake_t;

/* A context with no namespace fds and no filter (see eb_spawn_ctx_release). */
eb_init_ctx_t eb_spawn_ctx(void);
/* Close CTX's namespace fds and free its seccomp filter. */
void eb_spawn_ctx_release(eb_init_ctx_t *ctx);
#define _cleanup_init_ctx_ __attribute__((cleanup(eb_spawn_ctx_release)))

/* Make the sync pair, fork stage 1 with CTX (its sync_fd and parent are set
 * here), close the namespace fds it took, move it into CG (NULL: none)
 * and let it go. */
int eb_spawn_start(eb_init_ctx_t *ctx, eb_cgroup_t *cg, eb_spawn_t *sp, eb_error_t *err);
/* Answer the child until HS's step says done (or, with eof_done, the
 * socket closes after the pid). */
int eb_spawn_handshake(eb_spawn_t *sp, const eb_handshake_t *hs, eb_error_t *err);
/* Success: hand the pid and the master (closed when MASTER is NULL) to the
 * caller; sp then owns nothing but the socket. */
void eb_spawn_finish(eb_spawn_t *sp, pid_t *pid, int *master);
/* Close the socket; kill and reap the processes still owned; close the master. */
void eb_spawn_release(eb_spawn_t *sp);
#define _cleanup_spawn_ __attribute__((cleanup(eb_spawn_release)))

#endif
