/* spawn.c - stage 1's fork and the sync protocol's common messages, for
 * create and exec alike (see spawn.h).  The child's side is init.c. */
#include "core/spawn.h"

#include "core/terminal.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

eb_init_ctx_t eb_spawn_ctx(void)
{
    eb_init_ctx_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    for (int t = 0; t < EB_NS_TYPES; t++)
        ctx.join_fds[t] = -1;
    ctx.sync_fd = ctx.lock_fd = ctx.fifo_fd = -1;
    return ctx;
}

static void close_ns_fds(eb_init_ctx_t *ctx)
{
    for (int t = 0; t < EB_NS_TYPES; t++)
        eb_closep(&ctx->join_fds[t]), ctx->join_fds[t] = -1;
}

void eb_spawn_ctx_release(eb_init_ctx_t *ctx)
{
    close_ns_fds(ctx);
    eb_seccomp_free(ctx->filter);
    ctx->filter = NULL;
}

static void reap(pid_t pid)
{
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) { }
}

static void kill_reap(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGKILL);
        reap(*pid);
    }
    *pid = -1;
}

int eb_spawn_start(eb_init_ctx_t *ctx, eb_cgroup_t *cg, eb_spawn_t *sp, eb_error_t *err)
{
    int sv[2];
    if (sp->msg == NULL)
        sp->msg = eb_xcalloc(1, sizeof(*sp->msg));
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return eb_error_set(err, errno, "socketpair");
    sp->sock = sv[0];
    ctx->sync_fd = sv[1];
    ctx->parent = getpid();
    sp->stage1 = fork();
    if (sp->stage1 < 0) {
        close(sv[1]);
        return eb_error_set(err, errno, "fork");
    }
    if (sp->stage1 == 0) {
        close(sv[0]);
        eb_init_stage1(ctx);
    }
    close(sv[1]);
    ctx->sync_fd = -1;
    /* Stage 1 has its copies: ours would only keep the namespaces alive. */
    close_ns_fds(ctx);
    if (cg && eb_cgroup_enter(cg, sp->stage1, err) < 0)
        return -1;
    return eb_sync_send(sp->sock, EB_SYNC_GO, 0, NULL, 0, -1, err);
}

/* Stage 1 reports stage 2's pid and exits: reap it, record the pid, and
 * let stage 2 go on. */
static int on_pid(eb_spawn_t *sp, const eb_handshake_t *hs, eb_error_t *err)
{
    int32_t p;
    if (sp->msg->len != sizeof(int32_t))
        return eb_error_set(err, EPROTO, "bad pid message");
    memcpy(&p, sp->msg->data, sizeof(p));
    sp->pid = p;
    reap(sp->stage1);
    sp->stage1 = -1;
    if (hs->record) {
        hs->record->pid = sp->pid;
        hs->record->starttime = eb_pid_starttime(sp->pid);
        if (eb_state_save(hs->record, err) < 0)
            return -1;
    }
    return eb_sync_send(sp->sock, EB_SYNC_GO, 0, NULL, 0, -1, err);
}

static int on_console(eb_spawn_t *sp, const eb_handshake_t *hs, eb_error_t *err)
{
    _cleanup_close_ int fd = sp->msg->fd;
    if (fd < 0)
        return eb_error_set(err, EPROTO, "console message without a pty");
    if (hs->console_socket)
        return eb_terminal_send(hs->console_socket, fd, err);
    eb_closep(&sp->master);
    sp->master = eb_steal_fd(fd);
    return 0;
}

static int on_seccomp(eb_spawn_t *sp, const eb_handshake_t *hs, eb_error_t *err)
{
    _cleanup_close_ int fd = sp->msg->fd;
    _cleanup_free_ char *state_json = NULL;
    if (fd < 0)
        return eb_error_set(err, EPROTO, "seccomp message without a notify fd");
    state_json = eb_state_to_json(hs->state, hs->status, false);
    return eb_seccomp_send_listener(hs->seccomp, fd, state_json, err);
}

/* One message: -1 error, 0 go on, 1 done. */
static int dispatch(eb_spawn_t *sp, const eb_handshake_t *hs, eb_error_t *err)
{
    int r;
    switch (sp->msg->type) {
    case EB_SYNC_PID:
        return on_pid(sp, hs, err);
    case EB_SYNC_CONSOLE:
        return on_console(sp, hs, err);
    case EB_SYNC_SECCOMP:
        return on_seccomp(sp, hs, err);
    case EB_SYNC_ERROR:
        eb_error_set(err, 0, "%s", sp->msg->data);
        err->code = sp->msg->code;
        return -1;
    default:
        r = hs->step ? hs->step(hs->arg, sp, err) : EB_SPAWN_UNEXPECTED;
        if (r == EB_SPAWN_UNEXPECTED)
            return eb_error_set(err, EPROTO, "unexpected message %u from %s", sp->msg->type, hs->who);
        return r;
    }
}

int eb_spawn_handshake(eb_spawn_t *sp, const eb_handshake_t *hs, eb_error_t *err)
{
    for (;;) {
        int r = eb_sync_recv(sp->sock, sp->msg, err);
        if (r < 0)
            return -1;
        if (r == 1) {
            if (hs->eof_done && sp->pid > 0)
                return 0;
            return eb_error_set(err, EPIPE, "%s", hs->died);
        }
        r = dispatch(sp, hs, err);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
}

void eb_spawn_finish(eb_spawn_t *sp, pid_t *pid, int *master)
{
    if (pid)
        *pid = sp->pid;
    sp->pid = -1;
    if (master)
        *master = eb_steal_fd(sp->master);
}

void eb_spawn_release(eb_spawn_t *sp)
{
    int saved = errno;
    eb_closep(&sp->sock);
    sp->sock = -1;
    kill_reap(&sp->stage1);
    kill_reap(&sp->pid);
    eb_closep(&sp->master);
    sp->master = -1;
    free(sp->msg);
    sp->msg = NULL;
    errno = saved;
}
