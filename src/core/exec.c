/* exec.c - `exec`: a new process inside a running container, joining the
 * init's namespaces and cgroup, with the process settings of the config
 * (or of --process) and the container's seccomp profile. */
#include "core/container.h"
#include "core/init.h"
#include "core/sync.h"
#include "core/terminal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Only in this file's arena: vectors built for exec. */
static const char **vec_concat(const char **a, const char *const *b)
{
    size_t na = 0, nb = 0, i;
    const char **r;
    while (a && a[na]) na++;
    while (b && b[nb]) nb++;
    r = eb_xcalloc(na + nb + 1, sizeof(char *));
    for (i = 0; i < na; i++) r[i] = a[i];
    for (i = 0; i < nb; i++) r[na + i] = b[i];
    return r;
}

static int build_process(eb_container_t *c, const eb_exec_opts_t *o, eb_process_t *p, void **owned,
                         eb_error_t *err)
{
    size_t i;
    if (o->process_json) {
        if (eb_spec_parse_process(c->spec, o->process_json, strlen(o->process_json), p, err) < 0)
            return -1;
        if (o->tty)
            p->terminal = true;
        return 0;
    }
    if (o->args == NULL || o->args[0] == NULL)
        return eb_error_set(err, EINVAL, "exec: no command given (args or --process)");
    *p = c->spec->process;
    p->terminal = o->tty;
    p->args = vec_concat(NULL, o->args);
    owned[0] = (void *) p->args;
    p->env = vec_concat(c->spec->process.env, o->env);
    owned[1] = (void *) p->env;
    if (o->cwd)
        p->cwd = o->cwd;
    if (o->user) {
        unsigned uid, gid;
        char extra;
        int n = sscanf(o->user, "%u:%u%c", &uid, &gid, &extra);
        if (n == 1 && strchr(o->user, ':') == NULL) {
            p->uid = uid;
            p->gid = 0;
        } else if (n == 2) {
            p->uid = uid;
            p->gid = gid;
        } else {
            return eb_error_set(err, EINVAL, "--user `%s`: expected uid[:gid]", o->user);
        }
    }
    for (i = 0; o->caps && o->caps[i]; i++) {
        int cap = eb_cap_from_name(o->caps[i]);
        if (cap < 0)
            return eb_error_set(err, EINVAL, "--cap: unknown capability `%s`", o->caps[i]);
        p->has_caps = true;
        p->cap_bounding |= 1ULL << cap;
        p->cap_effective |= 1ULL << cap;
        p->cap_permitted |= 1ULL << cap;
    }
    if (o->no_new_privs_set)
        p->no_new_privileges = o->no_new_privs;
    if (o->apparmor)
        p->apparmor_profile = o->apparmor;
    if (o->selinux)
        p->selinux_label = o->selinux;
    return 0;
}

static int same_ns(pid_t pid, const char *name)
{
    char a[64], b[64];
    struct stat sa, sb;
    snprintf(a, sizeof(a), "/proc/self/ns/%s", name);
    snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int) pid, name);
    if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return 1;
    return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

int eb_container_exec(const eb_exec_opts_t *o, pid_t *pid_out, int *master_out, eb_error_t *err)
{
    eb_container_t *c = NULL;
    eb_process_t proc;
    eb_init_ctx_t ctx;
    eb_sync_msg_t *msg = NULL;
    void *owned[2] = { NULL, NULL };
    int sv[2] = { -1, -1 }, master = -1, ret = -1, t;
    pid_t stage1 = -1, child = -1;

    memset(&ctx, 0, sizeof(ctx));
    for (t = 0; t < EB_NS_TYPES; t++)
        ctx.join_fds[t] = -1;
    if (master_out)
        *master_out = -1;
    if (eb_container_load(o->root, o->id, EB_LOAD_SPEC, &c, err) < 0)
        return -1;
    if (c->status != EB_STATUS_RUNNING && c->status != EB_STATUS_CREATED) {
        eb_error_set(err, EINVAL, "cannot exec in container `%s`: it is %s", o->id, eb_status_names[c->status]);
        goto out;
    }
    if (c->spec == NULL) {
        eb_error_set(err, ENOENT, "container `%s` has no saved config", o->id);
        goto out;
    }
    if (build_process(c, o, &proc, owned, err) < 0)
        goto out;
    if (proc.terminal && o->console_socket == NULL && !o->keep_console) {
        eb_error_set(err, EINVAL, "exec with a terminal needs --console-socket when detached");
        goto out;
    }
    for (t = 0; t < EB_NS_TYPES; t++) {
        char path[64];
        if (same_ns(c->state->pid, eb_ns_proc_names[t]))
            continue;
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) c->state->pid, eb_ns_proc_names[t]);
        ctx.join_fds[t] = open(path, O_RDONLY | O_CLOEXEC);
        if (ctx.join_fds[t] < 0 && errno != ENOENT) {
            eb_error_set(err, errno, "open `%s`", path);
            goto out;
        }
    }
    /* The fds above must belong to our container, not a recycled pid. */
    if (eb_pid_starttime(c->state->pid) != c->state->starttime) {
        eb_error_set(err, ESRCH, "container `%s` stopped", o->id);
        goto out;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        eb_error_set(err, errno, "socketpair");
        goto out;
    }
    ctx.spec = c->spec;
    ctx.process = &proc;
    ctx.bundle = c->state->bundle;
    ctx.rootfs = c->state->rootfs;
    ctx.sync_fd = sv[1];
    ctx.lock_fd = -1;
    ctx.fifo_fd = -1;
    ctx.stdio = o->stdio;
    ctx.preserve_fds = o->preserve_fds;
    ctx.is_exec = true;
    ctx.parent = getpid();
    if (eb_container_seccomp(c->spec, o->root, &ctx.filter, err) < 0)
        goto out;
    msg = eb_xcalloc(1, sizeof(*msg));
    stage1 = fork();
    if (stage1 < 0) {
        eb_error_set(err, errno, "fork");
        goto out;
    }
    if (stage1 == 0) {
        close(sv[0]);
        eb_init_stage1(&ctx);
    }
    close(sv[1]);
    sv[1] = -1;
    if (c->cgroup && eb_cgroup_enter(c->cgroup, stage1, err) < 0)
        goto out;
    if (eb_sync_send(sv[0], EB_SYNC_GO, 0, NULL, 0, -1, err) < 0)
        goto out;
    for (;;) {
        int r = eb_sync_recv(sv[0], msg, err);
        if (r < 0)
            goto out;
        if (r == 1) {
            /* The socket is close-on-exec: EOF after the pid means exec ran. */
            if (child > 0) {
                ret = 0;
                break;
            }
            eb_error_set(err, EPIPE, "exec: the process exited during setup");
            goto out;
        }
        if (msg->type == EB_SYNC_PID && msg->len == sizeof(int32_t)) {
            int32_t p;
            memcpy(&p, msg->data, sizeof(p));
            child = p;
            while (waitpid(stage1, NULL, 0) < 0 && errno == EINTR) { }
            stage1 = -1;
            if (eb_sync_send(sv[0], EB_SYNC_GO, 0, NULL, 0, -1, err) < 0)
                goto out;
        } else if (msg->type == EB_SYNC_CONSOLE && msg->fd >= 0) {
            if (o->console_socket) {
                int rr = eb_terminal_send(o->console_socket, msg->fd, err);
                close(msg->fd);
                if (rr < 0)
                    goto out;
            } else {
                master = msg->fd;
            }
        } else if (msg->type == EB_SYNC_SECCOMP && msg->fd >= 0) {
            char *sj = eb_state_to_json(c->state, c->status, false);
            int rr = eb_seccomp_send_listener(&c->spec->seccomp, msg->fd, sj, err);
            free(sj);
            close(msg->fd);
            if (rr < 0)
                goto out;
        } else if (msg->type == EB_SYNC_ERROR) {
            eb_error_set(err, 0, "%s", msg->data);
            err->code = msg->code;
            goto out;
        } else {
            eb_error_set(err, EPROTO, "unexpected message %u from exec", msg->type);
            goto out;
        }
    }
    if (o->pid_file && eb_write_pid_file(o->pid_file, child, err) < 0) {
        ret = -1;
        goto out;
    }
out:
    for (t = 0; t < EB_NS_TYPES; t++)
        if (ctx.join_fds[t] >= 0)
            close(ctx.join_fds[t]);
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    if (ret < 0) {
        if (stage1 > 0) {
            kill(stage1, SIGKILL);
            waitpid(stage1, NULL, 0);
        }
        if (child > 0) {
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
        }
        if (master >= 0)
            close(master);
    } else {
        *pid_out = child;
        if (master_out)
            *master_out = master;
        else if (master >= 0)
            close(master);
    }
    free(msg);
    eb_seccomp_free(ctx.filter);
    free(owned[0]);
    free(owned[1]);
    eb_container_free(c);
    return ret;
}
