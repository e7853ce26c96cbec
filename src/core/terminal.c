/* terminal.c - ptys for containers with process.terminal, and the host
 * side of a foreground `run`/`exec` (signal forwarding, tty proxy). */
#include "core/terminal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int eb_terminal_setup(const eb_process_t *p, bool bind_console, eb_error_t *err)
{
    _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    _cleanup_close_ int slave = -1;
    char name[64];
    int unlock = 0;

    if (master < 0)
        return eb_error_set(err, errno, "open /dev/ptmx");
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return eb_error_set(err, errno, "unlock pty");
    if (ptsname_r(master, name, sizeof(name)) != 0)
        return eb_error_set(err, errno, "ptsname");
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return eb_error_set(err, errno, "open `%s`", name);
    if (p->console_height && p->console_width) {
        struct winsize ws = { .ws_row = (unsigned short) p->console_height,
                              .ws_col = (unsigned short) p->console_width };
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    if (bind_console) {
        /* /dev/console is the pty, as on a real machine booted on it. */
        int fd = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            close(fd);
        if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
            return eb_error_set(err, errno, "bind `%s` over /dev/console", name);
    }
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return eb_error_set(err, errno, "make `%s` the controlling terminal", name);
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
        return eb_error_set(err, errno, "dup pty onto stdio");
    return eb_steal_fd(master);
}

int eb_terminal_send(const char *path, int master, eb_error_t *err)
{
    static const char name[] = "/dev/ptmx";
    return eb_unix_send_fd(path, master, name, sizeof(name) - 1, "console socket", err);
}

/* Every signal but the synchronous faults, which must stay deliverable. */
static void relayed_signals(sigset_t *set)
{
    sigfillset(set);
    sigdelset(set, SIGSEGV);
    sigdelset(set, SIGBUS);
    sigdelset(set, SIGILL);
    sigdelset(set, SIGFPE);
}

void eb_block_signals(void)
{
    sigset_t all;
    relayed_signals(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
}

static int block_signals(sigset_t *old, eb_error_t *err)
{
    sigset_t all;
    int fd;
    relayed_signals(&all);
    sigprocmask(SIG_BLOCK, &all, old);
    fd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return eb_error_set(err, errno, "signalfd");
    return fd;
}

/* Handle pending signals: forward, resize, reap.  1 when PID has exited. */
static int handle_signals(int sfd, pid_t pid, int master, int *status)
{
    struct signalfd_siginfo si;
    int done = 0;
    while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD) {
            pid_t r;
            int st;
            while ((r = waitpid(-1, &st, WNOHANG)) > 0)
                if (r == pid) {
                    *status = st;
                    done = 1;
                }
        } else if (si.ssi_signo == SIGWINCH && master >= 0) {
            struct winsize ws;
            if (ioctl(0, TIOCGWINSZ, &ws) == 0)
                ioctl(master, TIOCSWINSZ, &ws);
        } else {
            kill(pid, (int) si.ssi_signo);
        }
    }
    if (!done) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            *status = st;
            done = 1;
        }
    }
    return done;
}

int eb_wait_forward(pid_t pid, int *status, eb_error_t *err)
{
    sigset_t old;
    int sfd = block_signals(&old, err);
    if (sfd < 0)
        return -1;
    for (;;) {
        struct pollfd p = { sfd, POLLIN, 0 };
        if (handle_signals(sfd, pid, -1, status))
            break;
        if (poll(&p, 1, 1000) < 0 && errno != EINTR)
            break;
    }
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}

int eb_terminal_proxy(int master, pid_t pid, int *status, eb_error_t *err)
{
    struct termios saved, raw;
    int is_tty = isatty(0) && tcgetattr(0, &saved) == 0, exited = 0, in_open = 1, out_open = 1;
    sigset_t old;
    int sfd = block_signals(&old, err);
    char buf[16384];

    if (sfd < 0)
        return -1;
    if (is_tty) {
        struct winsize ws;
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
        if (ioctl(0, TIOCGWINSZ, &ws) == 0)
            ioctl(master, TIOCSWINSZ, &ws);
    }
    while (out_open) {
        struct pollfd p[3] = { { sfd, POLLIN, 0 }, { master, POLLIN, 0 }, { in_open ? 0 : -1, POLLIN, 0 } };
        if (!exited)
            exited = handle_signals(sfd, pid, master, status);
        if (poll(p, 3, exited ? 100 : -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(master, buf, sizeof(buf));
            if (n <= 0)
                out_open = 0;
            else
                eb_write_all(1, buf, (size_t) n);
        } else if (exited && p[1].revents == 0) {
            /* Child gone and the pty drained. */
            break;
        }
        if (p[2].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(0, buf, sizeof(buf));
            if (n <= 0)
                in_open = 0;
            else
                eb_write_all(master, buf, (size_t) n);
        }
    }
    if (!exited)
        while (waitpid(pid, status, 0) < 0 && errno == EINTR) { }
    if (is_tty)
        tcsetattr(0, TCSANOW, &saved);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}
