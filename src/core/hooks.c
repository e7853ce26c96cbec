/* hooks.c - fork/exec one hook at a time, feed it the state, bound its run.
 * Which hooks stop the lifecycle and which only warn is the spec's: the
 * ones before the program runs fail their operation (eb_hooks_run),
 * poststart and poststop warn and the rest still run (eb_hooks_run_every). */
#include "core/hooks.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int run_one(const eb_hook_t *h, const char *kind, size_t idx, const char *state, eb_error_t *err)
{
    int in[2];
    pid_t pid;
    int status = 0, pidfd;
    static const char *const empty_env[] = { NULL };

    if (pipe2(in, O_CLOEXEC) < 0)
        return eb_error_set(err, errno, "pipe for hook");
    pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        return eb_error_set(err, errno, "fork hook %s[%zu]", kind, idx);
    }
    if (pid == 0) {
        const char *argv0[2] = { h->path, NULL };
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        /* Its own process group: a timeout kills what it started too. */
        setpgid(0, 0);
        if (dup2(in[0], 0) < 0)
            _exit(127);
        execve(h->path, (char *const *) (h->args && h->args[0] ? h->args : argv0),
               (char *const *) (h->env ? h->env : empty_env));
        _exit(127);
    }
    close(in[0]);
    /* A hook may not read its stdin: EPIPE is not an error. */
    {
        struct sigaction sa = { .sa_handler = SIG_IGN }, old;
        sigaction(SIGPIPE, &sa, &old);
        eb_write_all(in[1], state, strlen(state));
        sigaction(SIGPIPE, &old, NULL);
    }
    close(in[1]);
    pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (h->timeout.set && pidfd >= 0) {
        struct pollfd p = { pidfd, POLLIN, 0 };
        int r;
        do
            r = poll(&p, 1, (int) (h->timeout.v * 1000));
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            close(pidfd);
            return eb_error_set(err, ETIMEDOUT, "hook %s[%zu] `%s` timed out after %lld s", kind, idx,
                                h->path, (long long) h->timeout.v);
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return eb_error_set(err, errno, "wait for hook %s[%zu]", kind, idx);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        return eb_error_set(err, 0, "hook %s[%zu] `%s` exited with status %d", kind, idx, h->path,
                            WEXITSTATUS(status));
    return eb_error_set(err, 0, "hook %s[%zu] `%s` killed by signal %d", kind, idx, h->path,
                        WTERMSIG(status));
}

int eb_hooks_run(const eb_spec_t *spec, enum eb_hook_kind kind, const char *state_json, eb_error_t *err)
{
    size_t i;
    for (i = 0; i < spec->n_hooks[kind]; i++) {
        eb_debug("running hook %s[%zu] %s", eb_hook_kind_names[kind], i, spec->hooks[kind][i].path);
        if (run_one(&spec->hooks[kind][i], eb_hook_kind_names[kind], i, state_json, err) < 0)
            return -1;
    }
    return 0;
}

size_t eb_hooks_run_every(const eb_spec_t *spec, enum eb_hook_kind kind, const char *state_json)
{
    size_t i, failed = 0;
    for (i = 0; i < spec->n_hooks[kind]; i++) {
        eb_error_t err = { 0 };
        eb_debug("running hook %s[%zu] %s", eb_hook_kind_names[kind], i, spec->hooks[kind][i].path);
        if (run_one(&spec->hooks[kind][i], eb_hook_kind_names[kind], i, state_json, &err) < 0) {
            eb_warn("%s", err.msg);
            failed++;
        }
    }
    return failed;
}
