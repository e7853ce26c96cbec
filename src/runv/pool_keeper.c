/* pool_keeper.c - `edgebox pool serve`: the one process per state root
 * that refills its pool (docs/pool.md, "Refill").
 *
 * Why a process of its own: a claim happens in a sandbox's create, and a
 * create runs under whatever started it.  Under a containerd shim (ours,
 * or the runc v2 shim running edgebox-runv) or conmon, that is a
 * subreaper: a filler forked there, and every VM it boots, is re-parented
 * to the claiming pod's shim, which then reaps, waits on and is charged
 * for processes that are not its pod's (a shim with a stray child, a
 * terminal or a signal going astray).  Kata's VM factory is a daemon for
 * the same reason.  So a claim only asks: one datagram to
 * <root>/.runv-pool-keeper/sock, and the keeper forks the filler in its
 * own tree; its VMs' monitors reparent to init once their filler exits.
 * Without a keeper the claim forks the filler itself, as before.
 *
 * The keeper outlives a drain (its directory is not the pool's) and
 * holds no state a restart loses: the pool is its directory.  After an
 * upgrade (this binary replaced on disk) its fillers exec the new binary's
 * `pool fill`, so the new runtime boots the VMs its claims accept. */
#include "runv/pool.h"
#include "runv/pool_internal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEPER_DIR ".runv-pool-keeper"
#define KEEPER_MSG_MAX 64
#define KEEPER_MAX_DELAY_MS 60000

/* Digits at *P, at most MAX; *P moves past them. */
static bool parse_uint(const char **p, uint64_t max, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;

    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (x > (max - (uint64_t) (*s - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t) (*s - '0');
    }
    *p = s, *v = x;
    return true;
}

int eb_pool_keeper_parse(const char *buf, size_t len, unsigned *delay_ms, uint64_t *ino, eb_error_t *err)
{
    char s[KEEPER_MSG_MAX + 1];
    const char *p = s + 7;
    uint64_t d, i;

    if (len == 0 || len > KEEPER_MSG_MAX || memchr(buf, 0, len) != NULL)
        return eb_error_set(err, EINVAL, "a refill request of %zu bytes (1 to %d, no NUL)", len, KEEPER_MSG_MAX);
    memcpy(s, buf, len);
    s[len] = 0;
    if (strncmp(s, "refill ", 7) != 0)
        return eb_error_set(err, EINVAL, "not a refill request: `%.20s`", s);
    if (!parse_uint(&p, KEEPER_MAX_DELAY_MS, &d) || *p++ != ' ')
        return eb_error_set(err, EINVAL, "a refill request's delay: `%.20s` (0 to %d ms)", s + 7, KEEPER_MAX_DELAY_MS);
    if (!parse_uint(&p, UINT64_MAX, &i) || (*p != 0 && strcmp(p, "\n") != 0))
        return eb_error_set(err, EINVAL, "a refill request's pool inode: `%.30s`", s + 7);
    *delay_ms = (unsigned) d;
    *ino = i;
    return 0;
}

static char *keeper_path(const char *root, const char *name)
{
    return eb_strdup_printf("%s/" KEEPER_DIR "%s%s", root, name ? "/" : "", name ? name : "");
}

int eb_pool_keeper_ask(const char *root, unsigned delay_ms, uint64_t ino, eb_error_t *err)
{
    _cleanup_free_ char *path = keeper_path(root, "sock");
    _cleanup_close_ int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    _cleanup_close_ int dirfd = -1;
    struct sockaddr_un sa;
    char msg[KEEPER_MSG_MAX];
    int n = snprintf(msg, sizeof(msg), "refill %u %" PRIu64 "\n", delay_ms, ino);

    if (s < 0)
        return eb_error_set(err, errno, "socket");
    if (eb_unix_addr(path, &sa, &dirfd, err) < 0)
        return -1;
    /* Nonblocking: a keeper that stopped reading (a full queue) must not
     * hold up a pod's create; the claim then refills by itself. */
    if (sendto(s, msg, (size_t) n, MSG_NOSIGNAL, (struct sockaddr *) &sa, sizeof(sa)) < 0)
        return eb_error_set(err, errno, "ask the pool keeper at %s", path);
    return 0;
}

pid_t eb_pool_keeper_pid(const char *root)
{
    _cleanup_free_ char *path = keeper_path(root, "pid");
    _cleanup_free_ char *text = NULL;
    eb_error_t ign = { 0 };
    unsigned long long st = 0;
    size_t len;
    int pid = 0;

    if (eb_read_file(path, 64, &text, &len, &ign) < 0 || sscanf(text, "%d %llu", &pid, &st) != 2 || pid <= 0)
        return 0;
    return eb_pid_starttime(pid) == st ? pid : 0;
}

void eb_pool_keeper_tidy(const char *root)
{
    _cleanup_free_ char *dir = keeper_path(root, NULL), *lockp = keeper_path(root, "lock");
    _cleanup_close_ int lock = open(lockp, O_RDWR | O_CLOEXEC);

    /* Only what no keeper holds: a running keeper outlives a drain. */
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0)
        return;
    unlink(lockp);
    rmdir(dir);
}

/* systemd's Type=notify: READY=1 once the first fill is done, so that
 * units ordered after this one find the pool filled. */
static void notify_ready(void)
{
    const char *p = getenv("NOTIFY_SOCKET");
    _cleanup_close_ int s = -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len;

    if (p == NULL || (p[0] != '/' && p[0] != '@') || (len = strlen(p)) >= sizeof(sa.sun_path))
        return;
    memcpy(sa.sun_path, p, len);
    if (p[0] == '@')
        sa.sun_path[0] = 0;
    s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0 && sendto(s, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *) &sa,
                         (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len)) < 0)
        eb_warn("pool keeper: notify systemd: %s", strerror(errno));
}

typedef struct {
    const char *root;
    char self[PATH_MAX];          /* this binary's path, for a replaced one */
    int fds[3];                   /* the socket, the signalfd, the lock: not a filler's */
    sigset_t old;
} keeper_t;

static pid_t start_filler(keeper_t *k, uint64_t expect)
{
    pid_t pid = fork();
    eb_error_t err = { 0 };

    if (pid != 0)
        return pid;
    for (size_t i = 0; i < EB_ARRAY_SIZE(k->fds); i++)
        close(k->fds[i]);
    sigprocmask(SIG_SETMASK, &k->old, NULL);
    eb_set_proc_title("edgebox-pool-filler %s", k->root);
    if (eb_pool_replaced_runtime() && k->self[0]) {
        /* The new binary at our path fills (its stamp is the one claims
         * accept); its `pool fill` prints the status, not wanted here. */
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0)
            dup2(null, 1);
        execl(k->self, "edgebox", "--root", k->root, "pool", "fill", (char *) NULL);
        eb_warn("pool keeper: exec %s: %s", k->self, strerror(errno));
        _exit(1);
    }
    if (eb_pool_fill_if(k->root, (ino_t) expect, &err) < 0)
        eb_warn("%s", err.msg);
    _exit(0);
}

int eb_pool_serve(const char *root, eb_error_t *err)
{
    _cleanup_free_ char *dir = keeper_path(root, NULL), *sockp = keeper_path(root, "sock");
    _cleanup_free_ char *lockp = keeper_path(root, "lock"), *pidp = keeper_path(root, "pid");
    _cleanup_close_ int lock = -1, sock = -1, sfd = -1, dirfd = -1;
    /* (ROOT may point into the arguments the titles overwrite) */
    _cleanup_free_ char *own_root = eb_xstrdup(root);
    keeper_t k = { .root = own_root };
    struct sockaddr_un sa;
    sigset_t mask;
    uint64_t due = 0, expect = 0;  /* due: when to start a filler (0: nothing asked) */
    pid_t filler = 0;
    bool again = false, first = true;
    char text[64];
    ssize_t n;
    int ret = 0;

    /* A daemon: nothing its starter had open (a lock, a pipe) stays held
     * for as long as it runs, nor goes on to its fillers and their VMs. */
    {
        int keep = eb_log_fd();
        eb_close_fds_except(&keep, 1);
    }
    if (eb_mkdir_p(dir, 0700, err) < 0)
        return -1;
    lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0)
        return eb_error_set(err, errno, "open %s", lockp);
    if (flock(lock, LOCK_EX | LOCK_NB) < 0)
        return errno == EWOULDBLOCK
                   ? eb_error_set(err, EBUSY, "a pool keeper (pid %d) already serves the pool of %s",
                                  (int) eb_pool_keeper_pid(root), root)
                   : eb_error_set(err, errno, "lock %s", lockp);
    {
        /* A drain's tidy-up may have removed the file we locked. */
        struct stat a, b;
        if (fstat(lock, &a) < 0 || stat(lockp, &b) < 0 || a.st_ino != b.st_ino)
            return eb_error_set(err, EAGAIN, "%s was removed meanwhile (a drain); start again", lockp);
    }
    n = readlink("/proc/self/exe", k.self, sizeof(k.self) - 1);
    k.self[n > 0 ? n : 0] = 0;
    sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sock < 0)
        return eb_error_set(err, errno, "socket");
    if (eb_unix_addr(sockp, &sa, &dirfd, err) < 0)
        return -1;
    unlink(sockp);                /* a keeper's that died: the lock is ours */
    if (bind(sock, (struct sockaddr *) &sa, sizeof(sa)) < 0)
        return eb_error_set(err, errno, "bind %s", sockp);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM), sigaddset(&mask, SIGINT), sigaddset(&mask, SIGHUP), sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, &k.old);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        ret = eb_error_set(err, errno, "signalfd");
        goto out;
    }
    snprintf(text, sizeof(text), "%d %llu\n", (int) getpid(), eb_pid_starttime(getpid()));
    if (eb_write_file_atomic(dir, "pid", text, strlen(text), err) < 0) {
        ret = -1;
        goto out;
    }
    k.fds[0] = sock, k.fds[1] = sfd, k.fds[2] = lock;
    eb_set_proc_title("edgebox-pool-keeper %s", k.root);
    eb_info("pool keeper: serving %s (pid %d)", k.root, (int) getpid());
    due = eb_now_ms();            /* the first fill: at once, the pool made */
    for (;;) {
        struct pollfd p[2] = { { sock, POLLIN, 0 }, { sfd, POLLIN, 0 } };
        uint64_t now = eb_now_ms();
        int timeout = due == 0 ? -1 : due <= now ? 0 : (int) (due - now);
        struct signalfd_siginfo si;
        bool stop = false;

        if (poll(p, 2, timeout) < 0 && errno != EINTR) {
            ret = eb_error_set(err, errno, "poll");
            break;
        }
        if (p[0].revents & POLLIN) {
            char buf[KEEPER_MSG_MAX + 1];
            unsigned delay;
            uint64_t ino;
            eb_error_t e = { 0 };
            /* Drain the queue: a burst of claims is one refill (the
             * filler recounts under the pool's lock anyway). */
            while ((n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
                if (eb_pool_keeper_parse(buf, (size_t) n, &delay, &ino, &e) < 0) {
                    eb_warn("pool keeper: %s", e.msg);
                    eb_error_clear(&e);
                    continue;
                }
                if (due == 0 || eb_now_ms() + delay < due)
                    due = eb_now_ms() + delay;
                expect = ino;     /* the latest request's view of the pool */
            }
        }
        while (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
            if (si.ssi_signo != SIGCHLD) {
                stop = true;
                continue;
            }
            for (pid_t w; (w = waitpid(-1, NULL, WNOHANG)) > 0;)
                if (w == filler) {
                    filler = 0;
                    if (first) {
                        first = false;
                        notify_ready();
                    }
                    if (again)
                        due = eb_now_ms(), again = false;
                }
        }
        if (stop)
            break;
        if (due != 0 && due <= eb_now_ms()) {
            due = 0;
            if (filler > 0) {
                again = true;     /* once the running one ends: it may have counted before this claim */
            } else if ((filler = start_filler(&k, expect)) < 0) {
                eb_warn("pool keeper: fork a filler: %s", strerror(errno));
                filler = 0;
            }
        }
    }
    eb_info("pool keeper: stopping (the pool stays; `edgebox pool drain` stops its VMs)");
out:
    /* A filler booting now finishes its round: it is the pool's lock that
     * orders it with a drain, not this process. */
    unlink(pidp);
    unlink(sockp);
    sigprocmask(SIG_SETMASK, &k.old, NULL);
    return ret;
}
