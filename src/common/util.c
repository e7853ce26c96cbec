/* util.c - file, string and process helpers. */
#include "common/util.h"
#include "common/cleanup.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int read_fd_all(int fd, const char *name, size_t max, char **out, size_t *len, eb_error_t *err)
{
    size_t cap = 4096, used = 0;
    char *buf = eb_xcalloc(1, cap + 1);

    for (;;) {
        ssize_t r;
        if (used == cap) {
            if (cap >= max + 1) {
                free(buf);
                return eb_error_set(err, EFBIG, "`%s` is larger than %zu bytes", name, max);
            }
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            buf = eb_xrealloc(buf, cap + 1);
        }
        r = read(fd, buf + used, cap - used);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            return eb_error_set(err, errno, "read `%s`", name);
        }
        if (r == 0)
            break;
        used += (size_t) r;
        if (used > max) {
            free(buf);
            return eb_error_set(err, EFBIG, "`%s` is larger than %zu bytes", name, max);
        }
    }
    buf[used] = 0;
    *out = buf;
    if (len)
        *len = used;
    return 0;
}

int eb_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len, eb_error_t *err)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return eb_error_set(err, errno, "open `%s`", name);
    return read_fd_all(fd, name, max, out, len, err);
}

int eb_read_file(const char *path, size_t max, char **out, size_t *len, eb_error_t *err)
{
    return eb_read_file_at(AT_FDCWD, path, max, out, len, err);
}

uint64_t eb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

struct timespec eb_deadline_in(clockid_t clock, uint64_t ms)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    ts.tv_sec += (time_t) (ms / 1000);
    ts.tv_nsec += (long) (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    return ts;
}

void eb_now_rfc3339(char out[EB_RFC3339_LEN])
{
    struct timespec now;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(out, EB_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec);
}

int eb_rfc3339_parse(const char *ts, double *secs)
{
    struct tm tm = { 0 };
    const char *p;
    double frac = 0;
    long off = 0;

    if (!ts || !(p = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm)))
        return -1;
    if (*p == '.') {
        char *end;
        frac = strtod(p, &end);
        if (end == p + 1)
            return -1;
        p = end;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && isdigit((unsigned char) p[1]) && isdigit((unsigned char) p[2])
               && p[3] == ':' && isdigit((unsigned char) p[4]) && isdigit((unsigned char) p[5])) {
        off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L + ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
        if (*p == '-')
            off = -off;
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    *secs = (double) (timegm(&tm) - off) + frac;
    return 0;
}

void eb_close_fds_except(const int *keep, size_t n)
{
    unsigned lo = 3;

    for (;;) {
        unsigned next = ~0U;
        size_t i;
        for (i = 0; i < n; i++)
            if (keep[i] >= (int) lo && (unsigned) keep[i] < next)
                next = (unsigned) keep[i];
        if (next == ~0U) {
            syscall(SYS_close_range, lo, ~0U, 0);
            return;
        }
        if (next > lo)
            syscall(SYS_close_range, lo, next - 1, 0);
        lo = next + 1;
    }
}

int eb_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t) w;
    }
    return 0;
}

int eb_unix_addr(const char *path, struct sockaddr_un *sa, int *dirfd, eb_error_t *err)
{
    const char *slash = strrchr(path, '/');
    _cleanup_free_ char *dir = NULL;
    int n;

    *dirfd = -1;
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) < sizeof(sa->sun_path)) {
        strcpy(sa->sun_path, path);
        return 0;
    }
    if (slash == NULL || slash == path || strlen(slash + 1) > 64)
        return eb_error_set(err, ENAMETOOLONG, "socket path %s", path);
    dir = eb_strdup_printf("%.*s", (int) (slash - path), path);
    if ((*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return eb_error_set(err, errno, "open %s (for the socket %s)", dir, slash + 1);
    n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd, slash + 1);
    if (n < 0 || (size_t) n >= sizeof(sa->sun_path)) {
        close(*dirfd), *dirfd = -1;
        return eb_error_set(err, ENAMETOOLONG, "socket path %s", path);
    }
    return 0;
}

int eb_unix_send_fd(const char *path, int fd, const void *payload, size_t len, const char *what,
                    eb_error_t *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct iovec iov = { (void *) payload, len };
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *c;

    if (s < 0)
        return eb_error_set(err, errno, "socket");
    if (strlen(path) >= sizeof(sa.sun_path))
        return eb_error_set(err, ENAMETOOLONG, "%s path `%s`", what, path);
    strcpy(sa.sun_path, path);
    if (connect(s, (struct sockaddr *) &sa, sizeof(sa)) < 0)
        return eb_error_set(err, errno, "connect to %s `%s`", what, path);
    memset(cbuf, 0, sizeof(cbuf));
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (sendmsg(s, &m, MSG_NOSIGNAL) < 0)
        return eb_error_set(err, errno, "send fd to %s `%s`", what, path);
    return 0;
}

int eb_write_file_at(int dirfd, const char *name, const char *data, size_t len, eb_error_t *err)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
    ssize_t w;

    if (fd < 0)
        return eb_error_set(err, errno, "open `%s`", name);
    /* Kernel knobs take one write(); a short write means a rejected value. */
    do
        w = write(fd, data, len);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return eb_error_set(err, errno, "write `%.*s` to `%s`", (int) (len > 64 ? 64 : len), data, name);
    return 0;
}

int eb_write_file(const char *path, const char *data, size_t len, eb_error_t *err)
{
    return eb_write_file_at(AT_FDCWD, path, data, len, err);
}

int eb_write_file_atomic(const char *dir, const char *name, const char *data, size_t len,
                         eb_error_t *err)
{
    _cleanup_free_ char *tmp = eb_strdup_printf("%s/.%s.tmp.%d", dir, name, (int) getpid());
    _cleanup_free_ char *dst = eb_strdup_printf("%s/%s", dir, name);
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0)
        return eb_error_set(err, errno, "create `%s`", tmp);
    if (eb_write_all(fd, data, len) < 0) {
        eb_error_set(err, errno, "write `%s`", tmp);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, dst) < 0) {
        eb_error_set(err, errno, "rename `%s` to `%s`", tmp, dst);
        unlink(tmp);
        return -1;
    }
    return 0;
}

int eb_mkdir_p(const char *path, mode_t mode, eb_error_t *err)
{
    _cleanup_free_ char *p = eb_xstrdup(path);
    char *s;

    for (s = p + 1; ; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, mode) < 0 && errno != EEXIST)
                return eb_error_set(err, errno, "mkdir `%s`", p);
            *s = c;
            if (c == 0)
                break;
        }
    }
    return 0;
}

static void oom(void)
{
    static const char m[] = "edgebox: out of memory\n";
    if (write(2, m, sizeof(m) - 1) < 0) { }
    _exit(EXIT_FAILURE);
}

char *eb_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int r;
    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        oom();
    return s;
}

char *eb_xstrdup(const char *s)
{
    char *r;
    if (s == NULL)
        return NULL;
    r = strdup(s);
    if (r == NULL)
        oom();
    return r;
}

void *eb_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom();
    return p;
}

void *eb_xrealloc(void *p, size_t size)
{
    void *r = realloc(p, size ? size : 1);
    if (r == NULL)
        oom();
    return r;
}

static const struct { const char *name; int sig; } signals[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
    { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
    { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
    { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
    { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
    { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
    { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
    { "SYS", SIGSYS },
};

int eb_signal_parse(const char *s)
{
    uint64_t n;
    size_t i;

    if (s == NULL || *s == 0)
        return -1;
    if (eb_parse_u64(s, &n) == 0)
        return (n >= 1 && n <= 64) ? (int) n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
        int base = strncasecmp(s, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
        int64_t off = 0;
        if (s[5] != 0 && eb_parse_i64(s + 5, &off) < 0)
            return -1;
        if (base + off < SIGRTMIN || base + off > SIGRTMAX)
            return -1;
        return base + (int) off;
    }
    for (i = 0; i < EB_ARRAY_SIZE(signals); i++)
        if (strcasecmp(s, signals[i].name) == 0)
            return signals[i].sig;
    return -1;
}

const char *eb_signal_name(int sig)
{
    size_t i;
    for (i = 0; i < EB_ARRAY_SIZE(signals); i++)
        if (signals[i].sig == sig)
            return signals[i].name;
    return NULL;
}

unsigned long long eb_pid_starttime(pid_t pid)
{
    char path[64], buf[1024];
    _cleanup_close_ int fd = -1;
    ssize_t n;
    char *p;
    int field;

    if (pid <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* comm may hold spaces and parentheses: fields start after the last ')'. */
    p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    p++;
    /* p now points at " S ppid ..." : field 3 onwards; starttime is field 22. */
    for (field = 2; field < 21 && p != NULL; field++) {
        p = strchr(p + 1, ' ');
    }
    if (p == NULL)
        return 0;
    /* A zombie has exited: for our purpose it no longer runs. */
    {
        char *state = strrchr(buf, ')') + 2;
        if (*state == 'Z' || *state == 'X')
            return 0;
    }
    return strtoull(p + 1, NULL, 10);
}

int eb_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (s == NULL || *s == 0 || !isdigit((unsigned char) *s))
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != 0)
        return -1;
    *out = v;
    return 0;
}

int eb_parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;
    if (s == NULL || *s == 0)
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != 0)
        return -1;
    *out = v;
    return 0;
}

int eb_id_valid(const char *s)
{
    size_t n = 0;
    if (s == NULL || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char) s[n];
        if (!(isalnum(c) || c == '_' || c == '.' || c == '-' || c == '+'))
            return 0;
    }
    return n > 0 && n <= 1024;
}
