/* logio.c - file:// and binary:// stdio, as containerd 1.6's runc shim
 * serves them (pkg/process/io.go: createIO, NewBinaryIO, binaryIO.cancel;
 * pkg/process/io_util.go: NewBinaryCmd).
 *
 * A log file is opened once and given to the process as its stdout and
 * stderr (containerd copies through pipes into it: the bytes are the
 * same).  A logger gets the read ends of two pipes whose write ends are
 * the process's stdout and stderr; the shim keeps no write end, so the
 * logger sees EOF when the process (and whatever inherited them) ends.
 * At Delete it gets SIGTERM and EB_LOGGER_TERM_MS to exit, then SIGKILL
 * (its process group: it is the leader of its own), as in containerd;
 * the shim, a subreaper, reaps it from its SIGCHLD like any child. */
#include "shim/logio.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Go's url unescape of S[0..N): %XX decoded (an invalid escape: -1), '+'
 * a space where PLUS (a query component).  A decoded NUL is -2: no path
 * or argument can hold it (Go's open and exec fail on it: EINVAL). */
static int unescape(const char *s, size_t n, bool plus, char **out)
{
    char *d = eb_xcalloc(1, n + 1), *o = d;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= n || (hi = hexval((unsigned char) s[i + 1])) < 0
                || (lo = hexval((unsigned char) s[i + 2])) < 0) {
                free(d);
                return -1;
            }
            *o = (char) (hi << 4 | lo);
            if (*o == 0) {
                free(d);
                return -2;
            }
            o++;
            i += 2;
        } else {
            *o++ = plus && s[i] == '+' ? ' ' : s[i];
        }
    }
    *o = 0;
    *out = d;
    return 0;
}

/* The scheme as Go's getScheme finds it: letters, then letters, digits,
 * '+', '-', '.', up to ':'.  0: none (a path); its length; -1: ":..." */
static long scheme_len(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            continue;
        if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
            if (i == 0)
                return 0;
            continue;
        }
        if (c == ':')
            return i == 0 ? -1 : (long) i;
        return 0;
    }
    return 0;
}

void eb_loguri_free(eb_loguri_t *u)
{
    free(u->path);
    for (size_t i = 0; i < u->n_args; i++)
        free(u->args[i]);
    free(u->args);
    memset(u, 0, sizeof(*u));
}

/* The query as url.Values, then as NewBinaryCmd makes arguments of it:
 * pairs split at '&' (one holding ';' is dropped, as is an empty one or
 * one that does not unescape), key and value unescaped ('+' a space);
 * each key once, with its first value, in the order the URI gives them
 * (containerd's order is a Go map's: any). */
static int parse_query(const char *uri, const char *q, size_t n, eb_loguri_t *u, eb_error_t *err)
{
    const char *end = q + n;

    u->args = eb_xcalloc(1, sizeof(char *));
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t) (end - q)), *pe = amp ? amp : end, *eq;
        char *k = NULL, *v = NULL;
        bool dup = false;
        int rk, rv = -1;

        if (pe > q && !memchr(q, ';', (size_t) (pe - q))) {
            eq = memchr(q, '=', (size_t) (pe - q));
            rk = unescape(q, (size_t) ((eq ? eq : pe) - q), true, &k);
            if (rk == 0)
                rv = eq ? unescape(eq + 1, (size_t) (pe - eq - 1), true, &v) : unescape("", 0, true, &v);
            if (rk == -2 || rv == -2) {
                free(k), free(v);
                return eb_error_set(err, EINVAL, "stdio `%s`: a NUL byte in the logger's arguments", uri);
            }
            for (size_t i = 0; rk == 0 && rv == 0 && i < u->n_args; i += 2)
                dup |= strcmp(u->args[i], k) == 0;
            if (rk == 0 && rv == 0 && !dup) {
                if (u->n_args / 2 >= EB_LOGURI_MAX_ARGS) {
                    free(k), free(v);
                    return eb_error_set(err, E2BIG, "stdio `%s`: more than %d query arguments", uri,
                                        EB_LOGURI_MAX_ARGS);
                }
                u->args = eb_xrealloc(u->args, (u->n_args + 3) * sizeof(char *));
                u->args[u->n_args++] = eb_steal_ptr(k);
                u->args[u->n_args++] = eb_steal_ptr(v);
                u->args[u->n_args] = NULL;
            }
            free(k), free(v);
        }
        q = amp ? amp + 1 : end;
    }
    return 0;
}

int eb_loguri_parse(const char *s, eb_loguri_t *u, eb_error_t *err)
{
    size_t len = strnlen(s, EB_LOGURI_MAX + 1);
    const char *rest, *end, *hash, *q;
    _cleanup_free_ char *frag = NULL;
    long sl = scheme_len(s, len);
    int rc;

    memset(u, 0, sizeof(*u));
    if (sl == 0)
        return 0;      /* a FIFO's path, or /dev/null */
    if (len > EB_LOGURI_MAX)
        return eb_error_set(err, E2BIG, "stdio URI of more than %d bytes", EB_LOGURI_MAX);
    if (sl < 0)
        return eb_error_set(err, EINVAL, "stdio `%s`: missing protocol scheme", s);
    if (sl == 4 && strncasecmp(s, "file", 4) == 0)
        u->kind = EB_LOGURI_FILE;
    else if (sl == 6 && strncasecmp(s, "binary", 6) == 0)
        u->kind = EB_LOGURI_BINARY;
    else
        return eb_error_set(err, ENOTSUP, "stdio `%s`: unknown scheme `%.*s` (file://, binary:// or a FIFO's path)",
                            s, (int) sl, s);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
            return eb_error_set(err, EINVAL, "stdio URI: invalid control character at byte %zu", i);
    /* The fragment is not the path, but must unescape (url.Parse). */
    hash = memchr(s, '#', len);
    end = hash ? hash : s + len;
    if (hash && unescape(hash + 1, (size_t) (s + len - hash - 1), false, &frag) == -1)
        return eb_error_set(err, EINVAL, "stdio `%s`: invalid URL escape in the fragment", s);
    rest = s + sl + 1;
    q = memchr(rest, '?', (size_t) (end - rest));
    if (q == NULL)
        q = end;
    if (rest == q || *rest != '/')
        return eb_error_set(err, EINVAL, "stdio `%s`: not an absolute path (%.*s:///abs/path)", s, (int) sl, s);
    if (q - rest >= 2 && rest[1] == '/') {
        const char *a = rest + 2, *slash = memchr(a, '/', (size_t) (q - a));
        rest = slash ? slash : q;
        /* containerd would use the path and drop the host: file://log/x
         * is /x there, and almost surely a relative path meant. */
        if (rest > a)
            return eb_error_set(err, EINVAL,
                                "stdio `%s`: a host (`%.*s`) where the path should start: "
                                "not an absolute path (%.*s:///abs/path)",
                                s, (int) (rest - a), a, (int) sl, s);
        if (rest == q)
            return eb_error_set(err, EINVAL, "stdio `%s`: no path (%.*s:///abs/path)", s, (int) sl, s);
    }
    rc = unescape(rest, (size_t) (q - rest), false, &u->path);
    if (rc < 0) {
        eb_error_set(err, EINVAL, "stdio `%s`: %s in the path", s, rc == -1 ? "invalid URL escape" : "a NUL byte");
        eb_loguri_free(u);
        return -1;
    }
    if (strlen(u->path) >= PATH_MAX) {
        eb_error_set(err, ENAMETOOLONG, "stdio `%s`: the path", s);
        eb_loguri_free(u);
        return -1;
    }
    if (u->kind == EB_LOGURI_BINARY && q < end && parse_query(s, q + 1, (size_t) (end - q - 1), u, err) < 0) {
        eb_loguri_free(u);
        return -1;
    }
    if (u->args == NULL)
        u->args = eb_xcalloc(1, sizeof(char *));
    return 0;
}

/* file://: the directory made (0755, MkdirAll), the file opened for
 * appending (0644), once, for both streams.  Positioned at its end too:
 * a class that sets O_NONBLOCK with F_SETFL clears O_APPEND on the open
 * file (the shim sets it again after the class call). */
static int open_file(const char *path, int out[2], eb_error_t *err)
{
    _cleanup_free_ char *dir = eb_xstrdup(path);
    char *slash = strrchr(dir, '/');
    int fd;

    slash[slash == dir ? 1 : 0] = 0;
    if (eb_mkdir_p(dir, 0755, err) < 0)
        return eb_error_wrap(err, "the log file `%s`'s directory", path);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return eb_error_set(err, errno, "open the log file `%s`", path);
    if (lseek(fd, 0, SEEK_END) < 0 && errno != ESPIPE) { }
    out[0] = fd;
    out[1] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (out[1] < 0) {
        eb_error_set(err, errno, "dup the log file `%s`", path);
        close(fd);
        out[0] = -1;
        return -1;
    }
    return 0;
}

/* The logger's side of fork: what Go's exec.Cmd gives it (stdio
 * /dev/null, ExtraFiles from fd 3, only the environment given, default
 * signals: the shim blocks and ignores some), in a process group of its
 * own.  An exec failure goes back on fd 6 (close-on-exec). */
static __attribute__((noreturn)) void logger_child(const int src[4], int null, char *const argv[], char *const envp[])
{
    static const int keep[] = { 3, 4, 5, 6 };
    sigset_t none;
    int hi[4], e;

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < 65; sig++)
        signal(sig, SIG_DFL);
    setpgid(0, 0);
    for (int i = 0; i < 4; i++)
        if ((hi[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10)) < 0)
            _exit(127);
    if (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 || dup2(hi[0], 3) < 0 || dup2(hi[1], 4) < 0
        || dup2(hi[2], 5) < 0 || dup3(hi[3], 6, O_CLOEXEC) < 0)
        _exit(127);
    eb_close_fds_except(keep, EB_ARRAY_SIZE(keep));
    execve(argv[0], argv, envp);
    e = errno;
    if (write(6, &e, sizeof(e)) < 0) { }
    _exit(127);
}

/* Whether PID is exiting or gone: its state (Z, X) or PF_EXITING in its
 * flags (/proc/PID/stat, field 9).  The kernel sets the flag before it
 * closes the files of an exiting process, whose last fput may run
 * before the others (fd 5's EOF before the pipes lose their reader), and
 * makes it a zombie only after. */
#define PF_EXITING_FLAG 0x4u
static bool exiting(pid_t pid)
{
    char path[64], buf[1024], state = 0, *p;
    unsigned long flags = 0;
    _cleanup_close_ int fd = -1;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
        return true;
    buf[n] = 0;
    /* comm may hold spaces and parentheses: the fields follow the last ')' */
    if ((p = strrchr(buf, ')')) == NULL
        || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
        return true;
    return state == 'Z' || state == 'X' || (flags & PF_EXITING_FLAG);
}

static int ms_left(uint64_t deadline)
{
    uint64_t now = eb_now_ms();
    return now >= deadline ? 0 : (int) (deadline - now);
}

/* Wait for FD to be readable until DEADLINE; read up to LEN bytes of it.
 * -1 with errno ETIMEDOUT when the time is up. */
static ssize_t read_by(int fd, void *buf, size_t len, uint64_t deadline)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };

    for (;;) {
        int n = poll(&pfd, 1, ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        ssize_t r = read(fd, buf, len);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* binary://: NewBinaryIO.  The logger is ready when it wrote a byte to fd
 * 5 or closed it (containerd 1.6 takes either); one that exited by then,
 * or closed its end of the stdout or stderr pipe, is not, nor one that
 * does neither within EB_LOGGER_READY_MS. */
static int start_logger(const eb_loguri_t *u, const char *id, const char *ns, int out[2], eb_logger_t **list,
                        eb_logger_t **logger, eb_error_t *err)
{
    int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, pr[2] = { -1, -1 }, px[2] = { -1, -1 }, null = -1, status = 0;
    _cleanup_free_ char *env_id = eb_strdup_printf("CONTAINER_ID=%s", id);
    _cleanup_free_ char *env_ns = eb_strdup_printf("CONTAINER_NAMESPACE=%s", ns);
    char *envp[] = { env_id, env_ns, NULL };
    char **argv = eb_xcalloc(u->n_args + 2, sizeof(char *));
    uint64_t deadline;
    bool reaped = false;
    pid_t pid = -1;
    char b;
    int e;
    ssize_t n;

    argv[0] = u->path;
    for (size_t i = 0; i < u->n_args; i++)
        argv[i + 1] = u->args[i];
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(pr, O_CLOEXEC) < 0
        || pipe2(px, O_CLOEXEC) < 0) {
        eb_error_set(err, errno, "the pipes of the logger `%s`", u->path);
        goto fail;
    }
    if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
        eb_error_set(err, errno, "open /dev/null");
        goto fail;
    }
    pid = fork();
    if (pid < 0) {
        eb_error_set(err, errno, "fork the logger `%s`", u->path);
        goto fail;
    }
    if (pid == 0) {
        const int src[4] = { po[0], pe[0], pr[1], px[1] };
        logger_child(src, null, argv, envp);
    }
    setpgid(pid, pid);
    close_fd(&po[0]), close_fd(&pe[0]), close_fd(&pr[1]), close_fd(&px[1]), close_fd(&null);
    deadline = eb_now_ms() + EB_LOGGER_READY_MS;
    n = read_by(px[0], &e, sizeof(e), deadline);
    if (n == (ssize_t) sizeof(e)) {
        eb_error_set(err, e, "start the logger `%s`", u->path);
        goto fail;
    }
    if (n > 0)
        errno = EIO;   /* a part of an errno: not from the child we made */
    if (n != 0 || (n = read_by(pr[0], &b, 1, deadline)) < 0) {
        if (errno == ETIMEDOUT)
            eb_error_set(err, ETIMEDOUT, "the logger `%s` did not signal ready (a byte to fd 5, or its close) in %d s",
                         u->path, EB_LOGGER_READY_MS / 1000);
        else
            eb_error_set(err, errno, "wait for the logger `%s` to be ready", u->path);
        goto fail;
    }
    if (waitpid(pid, &status, WNOHANG) == pid) {
        reaped = true;
        if (WIFEXITED(status))
            eb_error_set(err, 0, "the logger `%s` exited (status %d) instead of signalling ready", u->path,
                         WEXITSTATUS(status));
        else
            eb_error_set(err, 0, "the logger `%s` was killed by signal %d before it was ready", u->path,
                         WTERMSIG(status));
        goto fail;
    }
    if (exiting(pid)) {
        eb_error_set(err, 0, "the logger `%s` exited instead of signalling ready", u->path);
        goto fail;
    }
    /* A pipe whose reader is gone polls POLLERR on its write end: the
     * logger closed fd 3 or 4. */
    for (int i = 0; i < 2; i++) {
        struct pollfd pfd = { .fd = i == 0 ? po[1] : pe[1], .events = 0 };
        if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR)) {
            eb_error_set(err, 0, "the logger `%s` closed its %s (fd %d) or exited before it was ready", u->path,
                         i == 0 ? "stdout" : "stderr", 3 + i);
            goto fail;
        }
    }
    close_fd(&pr[0]), close_fd(&px[0]);
    *logger = eb_xcalloc(1, sizeof(**logger));
    (*logger)->pid = pid;
    (*logger)->next = *list;
    *list = *logger;
    out[0] = po[1];
    out[1] = pe[1];
    free(argv);
    return 0;
fail:
    if (pid > 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        if (!reaped)
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) { }
    }
    for (int i = 0; i < 2; i++) {
        close_fd(&po[i]), close_fd(&pe[i]), close_fd(&pr[i]), close_fd(&px[i]);
    }
    close_fd(&null);
    free(argv);
    return -1;
}

int eb_logio_open(const eb_loguri_t *u, const char *id, const char *ns, int out[2], eb_logger_t **list,
                  eb_logger_t **logger, eb_error_t *err)
{
    *logger = NULL;
    out[0] = out[1] = -1;
    switch (u->kind) {
    case EB_LOGURI_FILE:
        return open_file(u->path, out, err);
    case EB_LOGURI_BINARY:
        return start_logger(u, id, ns, out, list, logger, err);
    default:
        return eb_error_set(err, EINVAL, "not a log URI");
    }
}

static void unlink_logger(eb_logger_t **list, eb_logger_t *lg)
{
    for (eb_logger_t **pp = list; *pp; pp = &(*pp)->next)
        if (*pp == lg) {
            *pp = lg->next;
            free(lg);
            return;
        }
}

void eb_logio_release(eb_logger_t **list, eb_logger_t *lg)
{
    if (lg == NULL || lg->released)
        return;
    lg->released = true;
    if (lg->reaped) {
        unlink_logger(list, lg);
        return;
    }
    kill(lg->pid, SIGTERM);
    lg->kill_at = eb_now_ms() + EB_LOGGER_TERM_MS;
}

bool eb_logio_reaped(eb_logger_t **list, pid_t pid)
{
    for (eb_logger_t *lg = *list; lg; lg = lg->next)
        if (lg->pid == pid && !lg->reaped) {
            lg->reaped = true;
            if (lg->released)
                unlink_logger(list, lg);
            return true;
        }
    return false;
}

int eb_logio_tick(eb_logger_t **list)
{
    uint64_t now = eb_now_ms();
    int next = -1;

    for (eb_logger_t *lg = *list; lg; lg = lg->next) {
        if (!lg->released || lg->reaped || lg->kill_at == 0)
            continue;
        if (now >= lg->kill_at) {
            /* Not reaped: the group is still its own. */
            kill(-lg->pid, SIGKILL);
            kill(lg->pid, SIGKILL);
            lg->kill_at = 0;
        } else if (next < 0 || lg->kill_at - now < (uint64_t) next) {
            next = (int) (lg->kill_at - now);
        }
    }
    return next;
}

void eb_logio_shutdown(eb_logger_t **list)
{
    struct timespec ts = { 0, 20 * 1000 * 1000 };

    for (eb_logger_t *lg = *list, *next; lg; lg = next) {
        next = lg->next;
        eb_logio_release(list, lg);
    }
    while (*list) {
        for (eb_logger_t *lg = *list, *next; lg; lg = next) {
            int status;
            pid_t r;
            next = lg->next;
            if (lg->reaped)
                continue;
            r = waitpid(lg->pid, &status, WNOHANG);
            if (r == lg->pid || (r < 0 && errno == ECHILD))
                eb_logio_reaped(list, lg->pid);
        }
        eb_logio_tick(list);
        if (*list)
            nanosleep(&ts, NULL);
    }
}
