/* monitor_spawn.c - fork a sandbox's monitor and wait for its report (a
 * cold boot's, in create; a pooled VM's, in the pool's filler). */
#include "runv/monitor.h"
#include "runv/sandbox.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int eb_read_report(int fd, int timeout_s, char *buf, size_t size, eb_error_t *err)
{
    size_t have = 0;
    int waited = 0;

    while (have + 1 < size) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;
        int r = poll(&p, 1, 1000);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            if (++waited >= timeout_s)
                return eb_error_set(err, ETIMEDOUT, "no answer within %d s", timeout_s);
            continue;
        }
        n = read(fd, buf + have, size - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t) n;
    }
    buf[have] = 0;
    return 0;
}

static const char *own(const char *s)
{
    return s ? eb_xstrdup(s) : NULL;
}

static __attribute__((noreturn)) void monitor_child(eb_monitor_opts_t *mo, const char *log_path)
{
    /* The monitor outlives this command: it must not hold the caller's
     * stdio (the shim waits for EOF on those pipes). */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int keep[2] = { mo->ready_fd, eb_log_fd() };
    eb_error_t err = { 0 };

    dup2(null, 0), dup2(null, 1), dup2(null, 2);
    /* Forked from a front end (the CLI, a shim): ps tells what it is.
     * The title overwrites the arguments' memory, where the options may
     * point (--root, --log, the id): the monitor keeps copies. */
    mo->root = eb_xstrdup(mo->root), mo->sid = eb_xstrdup(mo->sid), mo->dir = eb_xstrdup(mo->dir);
    mo->netns = own(mo->netns), mo->hostname = own(mo->hostname), mo->log_path = own(mo->log_path);
    mo->cgroups_path = own(mo->cgroups_path), log_path = own(log_path);
    eb_set_proc_title("edgebox-monitor %s", mo->sid);
    /* Not the container's lock, not the shim's pipes. */
    eb_close_fds_except(keep, 2);
    if (log_path && eb_log_reopen(log_path, &err) < 0)
        eb_warn("%s", err.msg);
    eb_monitor_main(mo);
}

int eb_monitor_spawn(eb_monitor_opts_t *mo, const char *log_path, eb_error_t *err)
{
    char report[EB_ERROR_MSG_MAX];
    int pfd[2];
    pid_t pid;

    if (pipe2(pfd, O_CLOEXEC) < 0)
        return eb_error_set(err, errno, "pipe");
    mo->ready_fd = pfd[1];
    pid = fork();
    if (pid < 0) {
        close(pfd[0]), close(pfd[1]);
        return eb_error_set(err, errno, "fork the sandbox monitor");
    }
    if (pid == 0)
        monitor_child(mo, log_path);
    close(pfd[1]);
    mo->ready_fd = -1;
    if (eb_read_report(pfd[0], EB_RUNV_BOOT_TIMEOUT_S * EB_RUNV_BOOT_ATTEMPTS + 40, report, sizeof(report), err) < 0) {
        close(pfd[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        eb_sandbox_teardown(mo->dir);
        return eb_error_wrap(err, "sandbox `%s`", mo->sid);
    }
    close(pfd[0]);
    if (strcmp(report, "OK\n") != 0) {
        waitpid(pid, NULL, 0);
        eb_sandbox_teardown(mo->dir);
        return eb_error_set(err, EIO, "sandbox `%s`: %s", mo->sid, report[0] ? report : "the monitor died");
    }
    /* The monitor is not our child to wait for: it reparents to the
     * shim (a subreaper) or init when we exit. */
    return 0;
}
