/* task.c - containerd's Task service on the isolation-class interface.
 *
 * Each method decodes its request (bounded by protobuf-c with the length
 * it was given), calls the class of the container -- chosen from the
 * bundle at Create, from the container's state afterwards -- and packs
 * its answer.  containerd's ids (64 hex characters for CRI) go to the
 * class as they are. */
#include "shim/shim.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNPACK(type, fn, p, len, err)                                                                  \
    ({                                                                                                 \
        type *r_ = fn##__unpack(NULL, len, p);                                                         \
        if (r_ == NULL)                                                                                \
            eb_error_set(err, EINVAL, "malformed " #type);                                             \
        r_;                                                                                            \
    })

typedef Containerd__Task__V2__Timestamp timestamp_t;

eb_sproc_t *eb_shim_proc(eb_shim_t *s, const char *id, const char *exec_id)
{
    eb_sproc_t *p;

    for (p = s->procs; p; p = p->next)
        if (strcmp(p->id, id) == 0 && strcmp(p->exec_id, exec_id ? exec_id : "") == 0)
            return p;
    return NULL;
}

static eb_sproc_t *proc_add(eb_shim_t *s, const char *id, const char *exec_id)
{
    eb_sproc_t *p = eb_xcalloc(1, sizeof(*p));

    p->id = eb_xstrdup(id);
    p->exec_id = eb_xstrdup(exec_id ? exec_id : "");
    p->master = p->tin = p->tout = -1;
    p->next = s->procs;
    s->procs = p;
    return p;
}

static void proc_free(eb_shim_t *s, eb_sproc_t *p)
{
    eb_shim_tty_close(p);
    if (p->att)
        p->att->ops->free(p->att);
    /* Its logger has had the EOF (the process's end closed the pipes'
     * write ends); Delete is where containerd ends it. */
    eb_logio_release(&s->loggers, p->logger);
    free(p->id), free(p->exec_id), free(p->stdin_path), free(p->stdout_path), free(p->stderr_path);
    free(p->process_json), free(p->bundle);
    free(p);
}

static void proc_drop(eb_shim_t *s, eb_sproc_t *p)
{
    eb_sproc_t **pp;
    eb_swaiter_t **wp, *w;

    for (wp = &s->waiters; (w = *wp);)
        if (w->proc == p) {
            *wp = w->next;
            free(w);
        } else {
            wp = &w->next;
        }
    for (pp = &s->procs; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            proc_free(s, p);
            return;
        }
}

uint32_t eb_shim_exit_code(const eb_sproc_t *p)
{
    if (!p->exited)
        return 0;
    if (WIFEXITED(p->status))
        return (uint32_t) WEXITSTATUS(p->status);
    return WIFSIGNALED(p->status) ? 128u + (uint32_t) WTERMSIG(p->status) : 255u;
}

static void stamp(const struct timespec *ts, timestamp_t *t)
{
    t->seconds = ts->tv_sec;
    t->nanos = (int32_t) ts->tv_nsec;
}

static int wait_answer(const eb_sproc_t *p, eb_buf_t *resp, eb_error_t *err)
{
    Containerd__Task__V2__WaitResponse r = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
    timestamp_t t = CONTAINERD__TASK__V2__TIMESTAMP__INIT;

    r.exit_status = eb_shim_exit_code(p);
    stamp(&p->exited_at, &t);
    r.exited_at = &t;
    return eb_pb_pack(&r.base, resp, err);
}

/* A rise of the container's OOM-kill counter (its class measures it: the
 * host cgroup, or the guest's) is a TaskOOM. */
static void check_oom(eb_shim_t *s, eb_sproc_t *p)
{
    eb_error_t ign = { 0 };
    uint64_t n = 0;

    if (eb_class_of_container(s->root, p->id)->oom_kills(s->root, p->id, &n, &ign) == 0 && n > p->oom_kills) {
        Containerd__Task__V2__TaskOOM ev = CONTAINERD__TASK__V2__TASK_OOM__INIT;
        p->oom_kills = n;
        ev.container_id = p->id;
        eb_shim_publish(s, "/tasks/oom", "TaskOOM", &ev.base);
    }
}

/* Only where the count is a host file: asking a guest every 2 s would
 * stall the shim's one thread behind a slow agent.  A runv container's
 * OOM kills are pushed by its guest's agent (server.c, attached
 * processes), and counted again at its exit. */
void eb_shim_check_oom(eb_shim_t *s)
{
    for (eb_sproc_t *p = s->procs; p; p = p->next)
        if (!p->exec_id[0] && p->started && !p->exited && eb_class_of_container(s->root, p->id)->host_view)
            check_oom(s, p);
}

/* A child reaped: the process it is (an attached one's pid is the pod's
 * monitor: its end comes from its stream). */
void eb_shim_exited(eb_shim_t *s, pid_t pid, int status)
{
    eb_sproc_t *p;

    if (eb_logio_reaped(&s->loggers, pid))
        return;
    for (p = s->procs; p && !(p->pid == pid && p->started && !p->exited && !p->att); p = p->next) { }
    if (p)
        eb_shim_proc_exited(s, p, status);
}

void eb_shim_proc_exited(eb_shim_t *s, eb_sproc_t *p, int status)
{
    Containerd__Task__V2__TaskExit ev = CONTAINERD__TASK__V2__TASK_EXIT__INIT;
    timestamp_t t = CONTAINERD__TASK__V2__TIMESTAMP__INIT;
    eb_swaiter_t **wp, *w;
    /* An init the OOM killer took: the TaskOOM goes first. */
    if (!p->exec_id[0])
        check_oom(s, p);
    /* All it wrote is out before anyone hears that it ended. */
    eb_shim_tty_close(p);
    if (p->att) {
        p->att->ops->free(p->att);
        p->att = NULL;
    }
    p->exited = true;
    p->status = status;
    clock_gettime(CLOCK_REALTIME, &p->exited_at);
    for (wp = &s->waiters; (w = *wp);) {
        if (w->proc != p) {
            wp = &w->next;
            continue;
        }
        if (!w->conn->dead) {
            eb_buf_t resp = { 0 };
            eb_error_t err = { 0 };
            if (wait_answer(p, &resp, &err) == 0)
                eb_ttrpc_respond(&w->conn->out, w->stream, &resp, NULL, &err);
            eb_buf_free(&resp);
        }
        *wp = w->next;
        free(w);
    }
    ev.container_id = p->id;
    ev.id = p->exec_id[0] ? p->exec_id : p->id;
    ev.pid = (uint32_t) p->pid;
    ev.exit_status = eb_shim_exit_code(p);
    stamp(&p->exited_at, &t);
    ev.exited_at = &t;
    eb_shim_publish(s, "/tasks/exit", "TaskExit", &ev.base);
}

/* The process's stdio: containerd's FIFOs (or nothing: /dev/null).  Opened
 * read-write where we write, so the open never waits for a reader.  A log
 * URI as the stdout (containerd reads the scheme there, and ignores the
 * stderr's) gives stdout and stderr (logio.c): a logger started for it is
 * *LOGGER, a log file sets *LOGFILE.  ID: the logger's CONTAINER_ID (an
 * exec's id for an exec, as containerd's shim gives it). */
static int open_stdio(eb_shim_t *s, const char *id, const char *in, const char *out, const char *errp, int fds[3],
                      eb_logger_t **logger, bool *logfile, eb_error_t *err)
{
    const char *paths[3] = { in, out, errp };
    eb_loguri_t u;
    int i, n;

    *logger = NULL;
    *logfile = false;
    if (eb_loguri_parse(out ? out : "", &u, err) < 0)
        return -1;
    n = u.kind == EB_LOGURI_NONE ? 3 : 1;
    for (i = 0; i < n; i++) {
        const char *p = paths[i] && paths[i][0] ? paths[i] : "/dev/null";
        eb_loguri_t other;
        if (i != 1 && eb_loguri_parse(p, &other, err) == 0 && other.kind != EB_LOGURI_NONE) {
            eb_loguri_free(&other);
            eb_error_set(err, ENOTSUP, "stdio `%s`: a log URI is the stdout's, not the %s's", p,
                         i == 0 ? "stdin" : "stderr");
        }
        if (eb_error_is_set(err))
            break;
        fds[i] = open(p, (i == 0 ? O_RDONLY | O_NONBLOCK : O_RDWR) | O_CLOEXEC);
        if (fds[i] < 0) {
            eb_error_set(err, errno, "open %s", p);
            break;
        }
        if (i == 0)
            fcntl(fds[i], F_SETFL, 0);
    }
    if (i == n && n == 1 && eb_logio_open(&u, id, s->ns, fds + 1, &s->loggers, logger, err) == 0)
        *logfile = u.kind == EB_LOGURI_FILE;
    eb_loguri_free(&u);
    if (i == n && !eb_error_is_set(err))
        return 0;
    for (i = 0; i < 3; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    return -1;
}

/* A log file stays O_APPEND: a class may have reset its flags (runv's
 * stream pump sets O_NONBLOCK with F_SETFL, on the open file the fds share). */
static void keep_append(const int fds[3], bool logfile)
{
    int fl;

    if (logfile && fds[1] >= 0 && (fl = fcntl(fds[1], F_GETFL)) >= 0 && !(fl & O_APPEND))
        fcntl(fds[1], F_SETFL, fl | O_APPEND);
}

static void close3(int fds[3])
{
    for (int i = 0; i < 3; i++)
        if (fds[i] > 2)
            close(fds[i]);
}

/* The core's stdio option takes fds above 2 (it moves them to 0-2). */
static void above2(int fds[3])
{
    for (int i = 0; i < 3; i++)
        if (fds[i] <= 2) {
            int n = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            close(fds[i]);
            fds[i] = n;
        }
}

static int m_create(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__CreateTaskRequest *r =
        UNPACK(Containerd__Task__V2__CreateTaskRequest, containerd__task__v2__create_task_request, d, len, err);
    Containerd__Task__V2__CreateTaskResponse out = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
    Containerd__Task__V2__TaskCreate ev = CONTAINERD__TASK__V2__TASK_CREATE__INIT;
    const eb_class_t *class;
    eb_create_opts_t o = { 0 };
    int fds[3] = { -1, -1, -1 }, ret = -1, master = -1;
    eb_attached_t *att = NULL;
    eb_logger_t *logger = NULL;
    bool logfile = false;
    pid_t pid = -1;
    eb_sproc_t *p;
    (void) stream;

    if (r == NULL)
        return -1;
    if (!eb_id_valid(r->id)) {
        eb_error_set(err, EINVAL, "invalid container id `%s`", r->id);
        goto out;
    }
    if (eb_shim_proc(s, r->id, NULL)) {
        eb_error_set(err, EEXIST, "container `%s` exists", r->id);
        goto out;
    }
    if (eb_class_of_bundle(r->bundle, &class, err) < 0
        || eb_shim_mount_rootfs(r->bundle, r->rootfs, r->n_rootfs, err) < 0)
        goto out;
    if (open_stdio(s, r->id, r->terminal && !r->stdin[0] ? NULL : r->stdin, r->stdout, r->stderr, fds, &logger,
                   &logfile, err) < 0) {
        eb_shim_unmount_rootfs(r->bundle);
        goto out;
    }
    above2(fds);
    o.root = s->root;
    o.id = r->id;
    o.bundle = r->bundle;
    /* Attached: the FIFOs go to the class, a terminal is the guest's.
     * Else a terminal: the class hands back the pty's master, copied here. */
    o.stdio = r->terminal && !class->create_attached ? NULL : fds;
    o.keep_console = r->terminal && !class->create_attached;
    if (class->create_attached ? class->create_attached(&o, NULL, &att, err) < 0
                               : class->create(&o, NULL, &pid, r->terminal ? &master : NULL, err) < 0) {
        eb_logio_release(&s->loggers, logger);
        eb_shim_unmount_rootfs(r->bundle);
        goto out;
    }
    keep_append(fds, logfile);
    p = proc_add(s, r->id, NULL);
    p->logger = logger;
    if (att) {
        p->att = att;
        pid = att->pid;
    } else if (r->terminal) {
        eb_shim_tty_open(p, master, r->stdin[0] ? eb_steal_fd(fds[0]) : -1, eb_steal_fd(fds[1]));
        p->terminal = true;
    }
    p->pid = pid;
    p->bundle = eb_xstrdup(r->bundle);
    p->stdin_path = eb_xstrdup(r->stdin), p->stdout_path = eb_xstrdup(r->stdout);
    p->stderr_path = eb_xstrdup(r->stderr);
    /* The init is blocked before exec: from here its exit is ours to see. */
    p->started = true;
    out.pid = (uint32_t) pid;
    ret = eb_pb_pack(&out.base, resp, err);
    ev.container_id = r->id;
    ev.bundle = r->bundle;
    ev.pid = (uint32_t) pid;
    eb_shim_publish(s, "/tasks/create", "TaskCreate", &ev.base);
out:
    close3(fds);
    containerd__task__v2__create_task_request__free_unpacked(r, NULL);
    return ret;
}

/* An exec registered by Exec runs at Start. */
static int start_exec(eb_shim_t *s, eb_sproc_t *p, eb_error_t *err)
{
    const eb_class_t *class = eb_class_of_container(s->root, p->id);
    eb_exec_opts_t o = { 0 };
    int fds[3] = { -1, -1, -1 }, rc, master = -1;
    bool tty = p->terminal && !class->exec_attached, logfile = false;
    eb_logger_t *logger = NULL;
    pid_t pid = -1;

    if (open_stdio(s, p->exec_id, p->terminal && !p->stdin_path[0] ? NULL : p->stdin_path, p->stdout_path,
                   p->stderr_path, fds, &logger, &logfile, err) < 0)
        return -1;
    above2(fds);
    o.root = s->root;
    o.id = p->id;
    o.process_json = p->process_json;
    o.stdio = tty ? NULL : fds;
    o.keep_console = tty;
    if (class->exec_attached) {
        rc = class->exec_attached(&o, &p->att, err);
        pid = rc == 0 ? p->att->pid : -1;
    } else {
        rc = class->exec(&o, &pid, tty ? &master : NULL, err);
    }
    if (rc == 0)
        keep_append(fds, logfile);
    if (rc == 0 && tty)
        eb_shim_tty_open(p, master, p->stdin_path[0] ? eb_steal_fd(fds[0]) : -1, eb_steal_fd(fds[1]));
    close3(fds);
    if (rc < 0) {
        eb_logio_release(&s->loggers, logger);
        return -1;
    }
    p->logger = logger;
    p->pid = pid;
    p->started = true;
    return 0;
}

static int m_start(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__StartRequest *r =
        UNPACK(Containerd__Task__V2__StartRequest, containerd__task__v2__start_request, d, len, err);
    Containerd__Task__V2__StartResponse out = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
    eb_sproc_t *p;
    int ret = -1;
    (void) stream;

    if (r == NULL)
        return -1;
    p = eb_shim_proc(s, r->id, r->exec_id);
    if (p == NULL)
        eb_error_set(err, ENOENT, "process `%s` of container `%s` does not exist", r->exec_id, r->id);
    else if (p->exec_id[0] ? start_exec(s, p, err) == 0
                           : eb_class_of_container(s->root, r->id)->start(s->root, r->id, err) == 0) {
        out.pid = (uint32_t) p->pid;
        ret = eb_pb_pack(&out.base, resp, err);
        if (p->exec_id[0]) {
            Containerd__Task__V2__TaskExecStarted ev = CONTAINERD__TASK__V2__TASK_EXEC_STARTED__INIT;
            ev.container_id = p->id, ev.exec_id = p->exec_id, ev.pid = (uint32_t) p->pid;
            eb_shim_publish(s, "/tasks/exec-started", "TaskExecStarted", &ev.base);
        } else {
            Containerd__Task__V2__TaskStart ev = CONTAINERD__TASK__V2__TASK_START__INIT;
            ev.container_id = p->id, ev.pid = (uint32_t) p->pid;
            eb_shim_publish(s, "/tasks/start", "TaskStart", &ev.base);
        }
    }
    containerd__task__v2__start_request__free_unpacked(r, NULL);
    return ret;
}

static Containerd__Task__V2__Status status_of(eb_shim_t *s, const eb_sproc_t *p)
{
    eb_state_t *st = NULL;
    eb_status_t status = EB_STATUS_STOPPED;
    eb_error_t ign = { 0 };

    if (p->exited)
        return CONTAINERD__TASK__V2__STATUS__STOPPED;
    if (p->exec_id[0])
        return p->pid > 0 ? CONTAINERD__TASK__V2__STATUS__RUNNING : CONTAINERD__TASK__V2__STATUS__CREATED;
    if (eb_class_of_container(s->root, p->id)->state(s->root, p->id, &st, &status, &ign) < 0)
        return CONTAINERD__TASK__V2__STATUS__UNKNOWN;
    eb_state_free(st);
    switch (status) {
    case EB_STATUS_CREATING:
    case EB_STATUS_CREATED:
        return CONTAINERD__TASK__V2__STATUS__CREATED;
    case EB_STATUS_RUNNING:
        return CONTAINERD__TASK__V2__STATUS__RUNNING;
    case EB_STATUS_PAUSED:
        return CONTAINERD__TASK__V2__STATUS__PAUSED;
    default:
        return CONTAINERD__TASK__V2__STATUS__STOPPED;
    }
}

static int m_state(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__StateRequest *r =
        UNPACK(Containerd__Task__V2__StateRequest, containerd__task__v2__state_request, d, len, err);
    Containerd__Task__V2__StateResponse out = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
    timestamp_t t = CONTAINERD__TASK__V2__TIMESTAMP__INIT;
    eb_sproc_t *p, *init;
    int ret = -1;
    (void) stream;

    if (r == NULL)
        return -1;
    p = eb_shim_proc(s, r->id, r->exec_id);
    init = eb_shim_proc(s, r->id, NULL);
    if (p == NULL) {
        eb_error_set(err, ENOENT, "process `%s` of container `%s` does not exist", r->exec_id, r->id);
    } else {
        out.id = p->exec_id[0] ? p->exec_id : p->id;
        out.exec_id = p->exec_id;
        out.bundle = init && init->bundle ? init->bundle : "";
        out.pid = (uint32_t) p->pid;
        out.status = status_of(s, p);
        out.stdin = p->stdin_path ? p->stdin_path : "";
        out.stdout = p->stdout_path ? p->stdout_path : "";
        out.stderr = p->stderr_path ? p->stderr_path : "";
        out.exit_status = eb_shim_exit_code(p);
        if (p->exited) {
            stamp(&p->exited_at, &t);
            out.exited_at = &t;
        }
        ret = eb_pb_pack(&out.base, resp, err);
    }
    containerd__task__v2__state_request__free_unpacked(r, NULL);
    return ret;
}

static int m_kill(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__KillRequest *r =
        UNPACK(Containerd__Task__V2__KillRequest, containerd__task__v2__kill_request, d, len, err);
    eb_sproc_t *p;
    int ret = -1;
    (void) stream;

    if (r == NULL)
        return -1;
    eb_buf_reset(resp);
    p = eb_shim_proc(s, r->id, r->exec_id);
    if (p == NULL || r->signal == 0 || r->signal > 64)
        eb_error_set(err, p ? EINVAL : ENOENT, "kill process `%s` of container `%s` with signal %u", r->exec_id,
                     r->id, r->signal);
    else if (p->exited)
        eb_error_set(err, ESRCH, "process `%s` of container `%s` is not running", r->exec_id, r->id);
    else if (p->exec_id[0] && p->att)
        ret = p->att->ops->signal(p->att, (int) r->signal, err);
    else if (p->exec_id[0])
        ret = kill(p->pid, (int) r->signal) == 0 ? 0 : eb_error_set(err, errno, "kill %d", (int) p->pid);
    else
        ret = eb_class_of_container(s->root, r->id)->kill(s->root, r->id, (int) r->signal, r->all, err);
    containerd__task__v2__kill_request__free_unpacked(r, NULL);
    return ret;
}

static int m_delete(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__DeleteRequest *r =
        UNPACK(Containerd__Task__V2__DeleteRequest, containerd__task__v2__delete_request, d, len, err);
    Containerd__Task__V2__DeleteResponse out = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
    Containerd__Task__V2__TaskDelete ev = CONTAINERD__TASK__V2__TASK_DELETE__INIT;
    timestamp_t t = CONTAINERD__TASK__V2__TIMESTAMP__INIT;
    eb_sproc_t *p;
    int ret = -1;
    (void) stream;

    if (r == NULL)
        return -1;
    p = eb_shim_proc(s, r->id, r->exec_id);
    if (p == NULL) {
        eb_error_set(err, ENOENT, "process `%s` of container `%s` does not exist", r->exec_id, r->id);
        goto out;
    }
    if (p->started && !p->exited && p->pid > 0) {
        eb_error_set(err, EINVAL, "process `%s` of container `%s` is running", r->exec_id, r->id);
        goto out;
    }
    if (!p->exec_id[0]) {
        if (eb_class_of_container(s->root, r->id)->delete(s->root, r->id, true, err) < 0)
            goto out;
        eb_shim_unmount_rootfs(p->bundle);
    }
    out.pid = (uint32_t) p->pid;
    out.exit_status = eb_shim_exit_code(p);
    stamp(&p->exited_at, &t);
    out.exited_at = &t;
    ret = eb_pb_pack(&out.base, resp, err);
    ev.container_id = p->id, ev.id = p->exec_id[0] ? p->exec_id : p->id, ev.pid = out.pid;
    ev.exit_status = out.exit_status, ev.exited_at = &t;
    eb_shim_publish(s, "/tasks/delete", "TaskDelete", &ev.base);
    proc_drop(s, p);
out:
    containerd__task__v2__delete_request__free_unpacked(r, NULL);
    return ret;
}

static int m_exec(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__ExecProcessRequest *r =
        UNPACK(Containerd__Task__V2__ExecProcessRequest, containerd__task__v2__exec_process_request, d, len, err);
    Containerd__Task__V2__TaskExecAdded ev = CONTAINERD__TASK__V2__TASK_EXEC_ADDED__INIT;
    eb_sproc_t *p;
    int ret = -1;
    (void) stream;

    if (r == NULL)
        return -1;
    eb_buf_reset(resp);
    if (eb_shim_proc(s, r->id, NULL) == NULL)
        eb_error_set(err, ENOENT, "container `%s` does not exist", r->id);
    else if (!r->exec_id[0] || eb_shim_proc(s, r->id, r->exec_id))
        eb_error_set(err, EEXIST, "exec `%s` of container `%s` exists", r->exec_id, r->id);
    else if (r->spec == NULL || r->spec->value.len == 0 || r->spec->value.len > (1u << 20))
        eb_error_set(err, EINVAL, "exec `%s`: no process spec", r->exec_id);
    else {
        p = proc_add(s, r->id, r->exec_id);
        p->process_json = strndup((const char *) r->spec->value.data, r->spec->value.len);
        p->terminal = r->terminal;
        p->stdin_path = eb_xstrdup(r->stdin), p->stdout_path = eb_xstrdup(r->stdout);
        p->stderr_path = eb_xstrdup(r->stderr);
        ev.container_id = r->id, ev.exec_id = r->exec_id;
        eb_shim_publish(s, "/tasks/exec-added", "TaskExecAdded", &ev.base);
        ret = 0;
    }
    containerd__task__v2__exec_process_request__free_unpacked(r, NULL);
    return ret;
}

static int m_wait(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__WaitRequest *r =
        UNPACK(Containerd__Task__V2__WaitRequest, containerd__task__v2__wait_request, d, len, err);
    eb_sproc_t *p;
    int ret = -1;

    if (r == NULL)
        return -1;
    p = eb_shim_proc(s, r->id, r->exec_id);
    if (p == NULL) {
        eb_error_set(err, ENOENT, "process `%s` of container `%s` does not exist", r->exec_id, r->id);
    } else if (p->exited) {
        ret = wait_answer(p, resp, err);
    } else {
        eb_swaiter_t *w = eb_xcalloc(1, sizeof(*w));
        w->conn = s->current;
        w->stream = stream;
        w->proc = p;
        w->next = s->waiters;
        s->waiters = w;
        ret = 1;
    }
    containerd__task__v2__wait_request__free_unpacked(r, NULL);
    return ret;
}

static int m_pids(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__PidsRequest *r =
        UNPACK(Containerd__Task__V2__PidsRequest, containerd__task__v2__pids_request, d, len, err);
    Containerd__Task__V2__PidsResponse out = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
    Containerd__Task__V2__ProcessInfo *infos = NULL, **ptrs = NULL;
    eb_procs_t procs = { 0 };
    int ret = -1;
    (void) stream;

    if (r == NULL)
        return -1;
    if (eb_class_of_container(s->root, r->id)->ps(s->root, r->id, &procs, err) == 0) {
        infos = eb_xcalloc(procs.n + 1, sizeof(*infos));
        ptrs = eb_xcalloc(procs.n + 1, sizeof(*ptrs));
        for (size_t i = 0; i < procs.n; i++) {
            containerd__task__v2__process_info__init(&infos[i]);
            infos[i].pid = (uint32_t) procs.v[i].pid;
            ptrs[i] = &infos[i];
        }
        out.n_processes = procs.n;
        out.processes = ptrs;
        ret = eb_pb_pack(&out.base, resp, err);
    }
    free(infos), free(ptrs);
    eb_procs_free(&procs);
    containerd__task__v2__pids_request__free_unpacked(r, NULL);
    return ret;
}

static int pause_resume(eb_shim_t *s, const char *id, bool pause, eb_buf_t *resp, eb_error_t *err)
{
    eb_buf_reset(resp);
    if (eb_class_of_container(s->root, id)->pause(s->root, id, pause, err) < 0)
        return -1;
    if (pause) {
        Containerd__Task__V2__TaskPaused ev = CONTAINERD__TASK__V2__TASK_PAUSED__INIT;
        ev.container_id = (char *) id;
        eb_shim_publish(s, "/tasks/paused", "TaskPaused", &ev.base);
    } else {
        Containerd__Task__V2__TaskResumed ev = CONTAINERD__TASK__V2__TASK_RESUMED__INIT;
        ev.container_id = (char *) id;
        eb_shim_publish(s, "/tasks/resumed", "TaskResumed", &ev.base);
    }
    return 0;
}

/* Pause and Resume: their requests have one shape (the container's id as
 * field 1), decoded as PauseRequest for both. */
static int pause_method(eb_shim_t *s, const uint8_t *d, size_t len, bool pause, eb_buf_t *resp, eb_error_t *err)
{
    Containerd__Task__V2__PauseRequest *r =
        UNPACK(Containerd__Task__V2__PauseRequest, containerd__task__v2__pause_request, d, len, err);
    int ret;

    if (r == NULL)
        return -1;
    ret = pause_resume(s, r->id, pause, resp, err);
    containerd__task__v2__pause_request__free_unpacked(r, NULL);
    return ret;
}

static int m_pause(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    (void) stream;
    return pause_method(ctx, d, len, true, resp, err);
}

static int m_resume(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    (void) stream;
    return pause_method(ctx, d, len, false, resp, err);
}

static int m_connect(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__ConnectRequest *r =
        UNPACK(Containerd__Task__V2__ConnectRequest, containerd__task__v2__connect_request, d, len, err);
    Containerd__Task__V2__ConnectResponse out = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
    eb_sproc_t *p;
    int ret;
    (void) stream;

    if (r == NULL)
        return -1;
    p = eb_shim_proc(s, r->id, NULL);
    out.shim_pid = (uint32_t) getpid();
    out.task_pid = p ? (uint32_t) p->pid : 0;
    out.version = "2";
    ret = eb_pb_pack(&out.base, resp, err);
    containerd__task__v2__connect_request__free_unpacked(r, NULL);
    return ret;
}

static int m_shutdown(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__ShutdownRequest *r =
        UNPACK(Containerd__Task__V2__ShutdownRequest, containerd__task__v2__shutdown_request, d, len, err);
    (void) stream;

    if (r == NULL)
        return -1;
    eb_buf_reset(resp);
    /* The pod's shim serves every container of it: it ends with the last. */
    if (r->now || s->procs == NULL)
        s->shutdown = true;
    containerd__task__v2__shutdown_request__free_unpacked(r, NULL);
    return 0;
}

static int m_resize(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__ResizePtyRequest *r =
        UNPACK(Containerd__Task__V2__ResizePtyRequest, containerd__task__v2__resize_pty_request, d, len, err);
    struct winsize ws = { 0 };
    eb_sproc_t *p;
    int ret = -1;
    (void) stream;

    if (r == NULL)
        return -1;
    eb_buf_reset(resp);
    p = eb_shim_proc(s, r->id, r->exec_id);
    ws.ws_col = (unsigned short) (r->width > 65535 ? 65535 : r->width);
    ws.ws_row = (unsigned short) (r->height > 65535 ? 65535 : r->height);
    if (p && p->att)
        ret = p->att->ops->resize(p->att, r->height, r->width, err);
    else if (p == NULL || p->master < 0)
        eb_error_set(err, p ? EINVAL : ENOENT, "process `%s` of container `%s` has no terminal", r->exec_id, r->id);
    else if (ioctl(p->master, TIOCSWINSZ, &ws) < 0)
        eb_error_set(err, errno, "resize the terminal of `%s`", r->id);
    else
        ret = 0;
    containerd__task__v2__resize_pty_request__free_unpacked(r, NULL);
    return ret;
}

#define LINUX_RESOURCES_URL "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"

/* Update: the container's new limits, a linux.resources JSON document
 * (how containerd's typeurl packs a type that is not protobuf), applied
 * by its class: the host cgroup (runc), the guest's (runv). */
static int m_update(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__UpdateTaskRequest *r =
        UNPACK(Containerd__Task__V2__UpdateTaskRequest, containerd__task__v2__update_task_request, d, len, err);
    _cleanup_free_ char *json = NULL;
    int ret = -1;
    (void) stream;

    if (r == NULL)
        return -1;
    eb_buf_reset(resp);
    if (eb_shim_proc(s, r->id, NULL) == NULL)
        eb_error_set(err, ENOENT, "container `%s` does not exist", r->id);
    else if (r->resources == NULL || strcmp(r->resources->type_url, LINUX_RESOURCES_URL) != 0)
        eb_error_set(err, EINVAL, "update `%s`: resources of type `%s`, not %s", r->id,
                     r->resources ? r->resources->type_url : "", LINUX_RESOURCES_URL);
    else if (r->resources->value.len == 0 || r->resources->value.len > (1u << 20)
             || memchr(r->resources->value.data, 0, r->resources->value.len))
        eb_error_set(err, EINVAL, "update `%s`: malformed resources", r->id);
    else if ((json = strndup((const char *) r->resources->value.data, r->resources->value.len)) == NULL)
        eb_error_set(err, ENOMEM, "update `%s`", r->id);
    else
        ret = eb_class_of_container(s->root, r->id)->update(s->root, r->id, json, err);
    containerd__task__v2__update_task_request__free_unpacked(r, NULL);
    return ret;
}

/* Stats: the class measures (runc: the host cgroup and the container's
 * network namespace; runv: the guest, validated); containerd gets them as
 * its cgroup Metrics. */
static int m_stats(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    eb_shim_t *s = ctx;
    Containerd__Task__V2__StatsRequest *r =
        UNPACK(Containerd__Task__V2__StatsRequest, containerd__task__v2__stats_request, d, len, err);
    Containerd__Task__V2__StatsResponse out = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
    Containerd__Task__V2__Any any = CONTAINERD__TASK__V2__ANY__INIT;
    eb_stats_t *st = eb_xcalloc(1, sizeof(*st));
    eb_buf_t m = { 0 };
    int ret = -1;
    (void) stream;

    if (r == NULL) {
        free(st);
        return -1;
    }
    if (eb_class_of_container(s->root, r->id)->stats(s->root, r->id, st, err) == 0
        && eb_shim_metrics(st, &m, err) == 0) {
        any.type_url = "io.containerd.cgroups.v1.Metrics";
        any.value.data = (uint8_t *) m.p;
        any.value.len = m.len;
        out.stats = &any;
        ret = eb_pb_pack(&out.base, resp, err);
    }
    eb_buf_free(&m);
    free(st);
    containerd__task__v2__stats_request__free_unpacked(r, NULL);
    return ret;
}

/* CloseIO: a host process holds containerd's stdin FIFO itself, so the
 * shim has nothing to close: the writer's end closing is the EOF.  An
 * attached process's stdin ends once what the FIFO holds went in. */
static int m_closeio(void *ctx, uint32_t stream, const uint8_t *d, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    Containerd__Task__V2__CloseIORequest *r =
        UNPACK(Containerd__Task__V2__CloseIORequest, containerd__task__v2__close_iorequest, d, len, err);
    eb_sproc_t *p;
    (void) stream;

    if (r == NULL)
        return -1;
    eb_buf_reset(resp);
    p = eb_shim_proc(ctx, r->id, r->exec_id);
    if (p && p->att && r->stdin)
        p->att->ops->close_stdin(p->att);
    containerd__task__v2__close_iorequest__free_unpacked(r, NULL);
    return 0;
}

const eb_ttrpc_method_t eb_shim_methods[] = {
    { EB_SHIM_SERVICE, "Create", m_create },   { EB_SHIM_SERVICE, "Start", m_start },
    { EB_SHIM_SERVICE, "State", m_state },     { EB_SHIM_SERVICE, "Kill", m_kill },
    { EB_SHIM_SERVICE, "Delete", m_delete },   { EB_SHIM_SERVICE, "Exec", m_exec },
    { EB_SHIM_SERVICE, "Wait", m_wait },       { EB_SHIM_SERVICE, "Pids", m_pids },
    { EB_SHIM_SERVICE, "Pause", m_pause },     { EB_SHIM_SERVICE, "Resume", m_resume },
    { EB_SHIM_SERVICE, "Connect", m_connect }, { EB_SHIM_SERVICE, "Shutdown", m_shutdown },
    { EB_SHIM_SERVICE, "CloseIO", m_closeio }, { EB_SHIM_SERVICE, "Stats", m_stats },
    { EB_SHIM_SERVICE, "ResizePty", m_resize }, { EB_SHIM_SERVICE, "Update", m_update },
    { NULL, NULL, NULL },
};
