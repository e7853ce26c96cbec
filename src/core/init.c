/* init.c - stage 1 and stage 2 of a container process (see init.h).
 * Everything here runs in a forked child: errors are sent to the runtime
 * over the sync socket and the child exits; nothing returns. */
#include "core/init.h"
#include "core/hooks.h"
#include "core/process.h"
#include "core/rootfs.h"
#include "core/seccomp_filter.h"
#include "core/sync.h"
#include "core/terminal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>

static __attribute__((noreturn)) void fail(eb_init_ctx_t *ctx, eb_error_t *err)
{
    eb_sync_fail(ctx->sync_fd, err);
}

static void die_with_parent(eb_init_ctx_t *ctx)
{
    /* A runtime killed half-way must not leave this process behind. */
    pid_t pp;
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    /* In a new pid namespace the parent is outside it and reads as 0; a
     * parent gone before the prctl shows as EOF on the sync socket. */
    pp = getppid();
    if (pp != ctx->parent && pp != 0)
        _exit(1);
}

static int set_sysctls(const eb_spec_t *spec, eb_error_t *err)
{
    size_t i;
    for (i = 0; i < spec->n_sysctl; i++) {
        _cleanup_free_ char *p = eb_strdup_printf("/proc/sys/%s", spec->sysctl[i].key);
        char *c;
        for (c = p + strlen("/proc/sys/"); *c; c++)
            if (*c == '.')
                *c = '/';
        if (eb_write_file(p, spec->sysctl[i].value, strlen(spec->sysctl[i].value), err) < 0)
            return eb_error_wrap(err, "sysctl %s", spec->sysctl[i].key);
    }
    return 0;
}

/* A filter with SCMP_ACT_NOTIFY is loaded while the runtime still waits,
 * so it can hand the notify fd to the listener from the host's side (the
 * listener's path is not visible in the container).  Returns the filter
 * still to load at exec: NULL once loaded here. */
static eb_seccomp_filter_t *load_notify_filter(eb_init_ctx_t *ctx, eb_seccomp_filter_t *filter)
{
    eb_error_t err = { 0 };
    int nfd;
    if (!eb_seccomp_has_notify(filter))
        return filter;
    if (ctx->process->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        eb_error_set(&err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
        fail(ctx, &err);
    }
    nfd = eb_seccomp_load(filter, &err);
    if (nfd < 0) {
        if (nfd == -2)
            eb_error_set(&err, EINVAL, "seccomp notify filter gave no listener fd");
        fail(ctx, &err);
    }
    if (eb_sync_send(ctx->sync_fd, EB_SYNC_SECCOMP, 0, NULL, 0, nfd, &err) < 0)
        fail(ctx, &err);
    close(nfd);
    return NULL;
}

/* The last steps, shared by create (after start) and exec: the user and
 * capabilities, no_new_privs, LSM, seccomp, then exec.  Returns only on
 * failure, with ERR filled: the caller reports it where its runtime waits. */
static void finish_exec(eb_init_ctx_t *ctx, const char *exe, eb_seccomp_filter_t *filter, eb_error_t *err)
{
    const eb_process_t *p = ctx->process;

    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
     * user switch may drop: load it first then (runc does the same). */
    if (filter && !p->no_new_privileges && eb_seccomp_load(filter, err) == -1)
        return;
    if (eb_process_set_user(p, err) < 0)
        return;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        eb_error_set(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
        return;
    }
    if (eb_process_set_lsm(p, err) < 0)
        return;
    if (chdir(p->cwd) < 0) {
        eb_error_set(err, errno, "chdir to cwd `%s`", p->cwd);
        return;
    }
    if (filter && p->no_new_privileges && eb_seccomp_load(filter, err) == -1)
        return;
    /* stdio and the preserved fds (3 .. 3+N-1) cross exec, nothing else. */
    syscall(SYS_close_range, 3 + ctx->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    if (ctx->preserve_fds > 0) {
        int i;
        for (i = 3; i < 3 + ctx->preserve_fds; i++)
            fcntl(i, F_SETFD, 0);
    }
    execve(exe, (char *const *) p->args, (char *const *) p->env);
    eb_error_set(err, errno, "exec `%s`", exe);
}

/* The last steps both stage 2s take in the container's root, in this
 * order: rlimits, cwd, then the executable looked up from there. */
static char *limits_cwd_exe(eb_init_ctx_t *ctx)
{
    eb_error_t err = { 0 };
    char *exe;
    if (eb_process_set_rlimits(ctx->process, &err) < 0)
        fail(ctx, &err);
    if (chdir(ctx->process->cwd) < 0) {
        eb_error_set(&err, errno, "chdir to cwd `%s`", ctx->process->cwd);
        fail(ctx, &err);
    }
    exe = eb_process_find_executable(ctx->process, &err);
    if (exe == NULL)
        fail(ctx, &err);
    return exe;
}

static __attribute__((noreturn)) void stage2_exec(eb_init_ctx_t *ctx)
{
    eb_error_t err = { 0 };
    _cleanup_free_ char *exe = NULL;
    eb_sync_msg_t *msg = eb_xcalloc(1, sizeof(*msg));

    if (eb_sync_expect(ctx->sync_fd, EB_SYNC_GO, msg, &err) < 0)
        _exit(1);
    /* The runtime has recorded us: from here a runtime that leaves (exec
     * --detach) must not take the process with it. */
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    if (ctx->process->terminal) {
        int master;
        setsid();
        master = eb_terminal_setup(ctx->process, false, &err);
        if (master < 0 || eb_sync_send(ctx->sync_fd, EB_SYNC_CONSOLE, 0, NULL, 0, master, &err) < 0)
            fail(ctx, &err);
        close(master);
    }
    exe = limits_cwd_exe(ctx);
    free(msg);
    finish_exec(ctx, exe, load_notify_filter(ctx, ctx->filter), &err);
    fail(ctx, &err);
}

/* The exec fifo is reached through a directory fd of /proc/self/fd opened
 * now, while / is still the runtime's (or the joined mount namespace's):
 * after the root changes there may be no /proc at all (no new mount
 * namespace, or a spec without a proc mount).  The init is the only
 * process that reads it, and it is closed before exec. */
static int open_self_fds(eb_init_ctx_t *ctx)
{
    eb_error_t err = { 0 };
    int fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        eb_error_set(&err, errno, "open /proc/self/fd (to reach the exec fifo once the root has changed)");
        fail(ctx, &err);
    }
    return fd;
}

/* Blocks until `start` opens the fifo for reading, then says so with one
 * byte.  The fd stays open, close-on-exec: `start` reads on to EOF, which
 * comes when the program is exec'd; a failure before that is written
 * there as text (see start_failed).  -1 when `start` is gone. */
static int wait_for_start(eb_init_ctx_t *ctx, int self_fds)
{
    char name[16], c = '0';
    int fd;

    snprintf(name, sizeof(name), "%d", ctx->fifo_fd);
    do
        fd = openat(self_fds, name, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    close(self_fds);
    close(ctx->fifo_fd);
    ctx->fifo_fd = -1;
    if (fd < 0 || write(fd, &c, 1) != 1)
        return -1;
    /* Above the preserved fds, whose close-on-exec flag exec clears. */
    if (fd < 3 + ctx->preserve_fds) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 3 + ctx->preserve_fds);
        close(fd);
        fd = high;
    }
    return fd;
}

/* After start: `start` waits on FD and reports ERR as its own error. */
static __attribute__((noreturn)) void start_failed(int fd, const eb_error_t *err)
{
    struct sigaction sa = { .sa_handler = SIG_IGN };
    sigaction(SIGPIPE, &sa, NULL);
    if (write(fd, err->msg, strnlen(err->msg, EB_ERROR_MSG_MAX)) < 0) { }
    _exit(127);
}

/* Up to the hooks: the process-wide settings (session, oomScoreAdj: it
 * needs /proc, which the new root may not have), the mounts of a new
 * mount namespace, hostname and domainname. */
static void stage2_prepare(eb_init_ctx_t *ctx)
{
    const eb_spec_t *spec = ctx->spec;
    eb_error_t err = { 0 };

    if (setsid() < 0) {
        eb_error_set(&err, errno, "setsid");
        fail(ctx, &err);
    }
    if (eb_process_set_oom_score_adj(ctx->process, &err) < 0)
        fail(ctx, &err);
    if (eb_init_new_mount_ns(spec)) {
        if (eb_rootfs_prepare(spec, ctx->rootfs, ctx->cg, spec->namespaces[EB_NS_USER].present, &err) < 0)
            fail(ctx, &err);
    }
    if (spec->namespaces[EB_NS_UTS].present) {
        if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
            eb_error_set(&err, errno, "sethostname `%s`", spec->hostname);
            fail(ctx, &err);
        }
        if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
            eb_error_set(&err, errno, "setdomainname `%s`", spec->domainname);
            fail(ctx, &err);
        }
    }
}

/* prestart and createRuntime run in the runtime, createContainer here, all
 * before the root changes; then into the new root (pivot_root, or chroot
 * without a new mount namespace: a joined one's rootfs path is looked up
 * in it). */
static void stage2_hooks_and_root(eb_init_ctx_t *ctx, eb_sync_msg_t *msg)
{
    const eb_spec_t *spec = ctx->spec;
    eb_error_t err = { 0 };

    if (eb_sync_send(ctx->sync_fd, EB_SYNC_HOOKS, 0, NULL, 0, -1, &err) < 0
        || eb_sync_expect(ctx->sync_fd, EB_SYNC_STATE, msg, &err) < 0)
        fail(ctx, &err);
    if (eb_hooks_run(spec, EB_HOOK_CREATE_CONTAINER, msg->data, &err) < 0)
        fail(ctx, &err);
    if (eb_init_new_mount_ns(spec)) {
        if (eb_rootfs_pivot(ctx->rootfs, ctx->no_pivot, &err) < 0)
            fail(ctx, &err);
    } else if (chroot(ctx->rootfs) < 0 || chdir("/") < 0) {
        eb_error_set(&err, errno, "chroot to `%s`", ctx->rootfs);
        fail(ctx, &err);
    }
}

static __attribute__((noreturn)) void stage2_create(eb_init_ctx_t *ctx)
{
    const eb_spec_t *spec = ctx->spec;
    eb_error_t err = { 0 };
    eb_seccomp_filter_t *filter;
    _cleanup_free_ char *exe = NULL, *state_json = NULL;
    eb_sync_msg_t *msg = eb_xcalloc(1, sizeof(*msg));
    int self_fds, start_fd;

    if (eb_sync_expect(ctx->sync_fd, EB_SYNC_GO, msg, &err) < 0)
        _exit(1);
    self_fds = open_self_fds(ctx);
    stage2_prepare(ctx);
    stage2_hooks_and_root(ctx, msg);
    if (set_sysctls(spec, &err) < 0)
        fail(ctx, &err);
    if (ctx->process->terminal) {
        int master = eb_terminal_setup(ctx->process, eb_init_new_mount_ns(spec), &err);
        if (master < 0 || eb_sync_send(ctx->sync_fd, EB_SYNC_CONSOLE, 0, NULL, 0, master, &err) < 0)
            fail(ctx, &err);
        close(master);
    }
    if (eb_init_new_mount_ns(spec) && eb_rootfs_finalize(spec, &err) < 0)
        fail(ctx, &err);
    exe = limits_cwd_exe(ctx);
    filter = load_notify_filter(ctx, ctx->filter);
    /* Created.  The runtime records us and hands over the state the
     * startContainer hooks get, then lets us drop the parent-death signal
     * before it exits. */
    if (eb_sync_send(ctx->sync_fd, EB_SYNC_CREATED, 0, NULL, 0, -1, &err) < 0
        || eb_sync_expect(ctx->sync_fd, EB_SYNC_GO, msg, &err) < 0)
        _exit(1);
    state_json = eb_xstrdup(msg->data);
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    if (eb_sync_send(ctx->sync_fd, EB_SYNC_ACK, 0, NULL, 0, -1, &err) < 0)
        _exit(1);
    close(ctx->sync_fd);
    ctx->sync_fd = -1;
    free(msg);
    if ((start_fd = wait_for_start(ctx, self_fds)) < 0)
        _exit(127);
    if (eb_hooks_run(spec, EB_HOOK_START_CONTAINER, state_json, &err) < 0)
        start_failed(start_fd, &err);
    finish_exec(ctx, exe, filter, &err);
    start_failed(start_fd, &err);
}

void eb_init_stage1(eb_init_ctx_t *ctx)
{
    eb_error_t err = { 0 };
    eb_sync_msg_t *msg = eb_xcalloc(1, sizeof(*msg));
    pid_t child;
    int t;
    static const int order[] = { EB_NS_IPC, EB_NS_UTS, EB_NS_NET, EB_NS_PID, EB_NS_CGROUP,
                                 EB_NS_TIME, EB_NS_MNT };
    size_t i;

    die_with_parent(ctx);
    if (ctx->stdio) {
        /* The guest agent's own stdio is the console: the process gets the
         * pipes it was handed (all above 2, so no dup2 clobbers another). */
        for (t = 0; t < 3; t++)
            if (dup2(ctx->stdio[t], t) < 0)
                _exit(1);
    }
    {
        /* The runtime may block signals to relay them, and ignore some
         * (the guest agent ignores SIGPIPE): ignored dispositions survive
         * exec, so reset them too.  The container starts as after a fresh
         * exec from a clean parent. */
        sigset_t none;
        int sig;
        for (sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }
    /* flock() locks follow the open file: a copy here would hold the
     * container's lock for as long as the init lives. */
    if (ctx->lock_fd >= 0)
        close(ctx->lock_fd);
    if (eb_sync_expect(ctx->sync_fd, EB_SYNC_GO, msg, &err) < 0)
        _exit(1);
    /* Relative bind sources are relative to the bundle; enter it while
     * still host root (a mapped root may not traverse to it). */
    if (!ctx->is_exec && chdir(ctx->bundle) < 0) {
        eb_error_set(&err, errno, "chdir to bundle `%s`", ctx->bundle);
        fail(ctx, &err);
    }
    /* The user namespace first: it decides what the others may do. */
    if (ctx->join_fds[EB_NS_USER] >= 0 && setns(ctx->join_fds[EB_NS_USER], CLONE_NEWUSER) < 0) {
        eb_error_set(&err, errno, "join the user namespace");
        fail(ctx, &err);
    }
    for (i = 0; i < EB_ARRAY_SIZE(order); i++) {
        t = order[i];
        if (ctx->join_fds[t] >= 0 && setns(ctx->join_fds[t], eb_ns_clone_flags[t]) < 0) {
            eb_error_set(&err, errno, "join the %s namespace", eb_ns_names[t]);
            fail(ctx, &err);
        }
    }
    for (t = 0; t < EB_NS_TYPES; t++)
        if (ctx->join_fds[t] >= 0)
            close(ctx->join_fds[t]);
    if (ctx->new_flags & CLONE_NEWUSER) {
        if (unshare(CLONE_NEWUSER) < 0) {
            eb_error_set(&err, errno, "create a user namespace");
            fail(ctx, &err);
        }
        if (eb_sync_send(ctx->sync_fd, EB_SYNC_USERNS, 0, NULL, 0, -1, &err) < 0
            || eb_sync_expect(ctx->sync_fd, EB_SYNC_GO, msg, &err) < 0)
            _exit(1);
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
            eb_error_set(&err, errno, "become root in the user namespace (is uid/gid 0 mapped?)");
            fail(ctx, &err);
        }
    }
    if ((ctx->new_flags & ~CLONE_NEWUSER) && unshare(ctx->new_flags & ~CLONE_NEWUSER) < 0) {
        eb_error_set(&err, errno, "create namespaces (flags 0x%x)", ctx->new_flags & ~CLONE_NEWUSER);
        fail(ctx, &err);
    }
    child = (pid_t) syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
    if (child < 0) {
        eb_error_set(&err, errno, "clone the container process");
        fail(ctx, &err);
    }
    if (child == 0) {
        free(msg);
        die_with_parent(ctx);
        if (ctx->is_exec)
            stage2_exec(ctx);
        stage2_create(ctx);
    }
    {
        int32_t p = child;
        if (eb_sync_send(ctx->sync_fd, EB_SYNC_PID, 0, &p, sizeof(p), -1, &err) < 0)
            _exit(1);
    }
    _exit(0);
}
