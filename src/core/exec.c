/* exec.c - `exec`: a new process inside a running container, joining the
 * init's namespaces and cgroup, with the process settings of the config
 * (or of --process) and the container's seccomp profile. */
#include "core/container.h"
#include "core/process.h"
#include "core/init.h"
#include "core/spawn.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* The init's namespaces (those that differ from ours), checked to still be
 * our container's: a recycled pid must not give another process's. */
static int open_init_ns(const eb_container_t *c, int fds[EB_NS_TYPES], eb_error_t *err)
{
    pid_t pid = c->state->pid;
    for (int t = 0; t < EB_NS_TYPES; t++) {
        char path[64];
        if (same_ns(pid, eb_ns_proc_names[t]))
            continue;
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int) pid, eb_ns_proc_names[t]);
        fds[t] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[t] < 0 && errno != ENOENT)
            return eb_error_set(err, errno, "open `%s`", path);
    }
    if (eb_pid_starttime(pid) != c->state->starttime)
        return eb_error_set(err, ESRCH, "container `%s` stopped", c->state->id);
    return 0;
}

/* The container, PROC to run in it, and the init's namespaces in CTX. */
static int exec_prepare(const eb_exec_opts_t *o, eb_container_t **cp, eb_process_t *proc, void **owned,
                        eb_init_ctx_t *ctx, eb_error_t *err)
{
    eb_container_t *c;
    if (eb_container_load(o->root, o->id, EB_LOAD_SPEC, cp, err) < 0)
        return -1;
    c = *cp;
    if (c->status != EB_STATUS_RUNNING && c->status != EB_STATUS_CREATED)
        return eb_error_set(err, EINVAL, "cannot exec in container `%s`: it is %s", o->id,
                            eb_status_names[c->status]);
    if (c->spec == NULL)
        return eb_error_set(err, ENOENT, "container `%s` has no saved config", o->id);
    if (build_process(c, o, proc, owned, err) < 0 || eb_process_check_caps(proc, err) < 0)
        return -1;
    if (proc->terminal && o->console_socket == NULL && !o->keep_console)
        return eb_error_set(err, EINVAL, "exec with a terminal needs --console-socket when detached");
    if (open_init_ns(c, ctx->join_fds, err) < 0)
        return -1;
    ctx->spec = c->spec;
    ctx->process = proc;
    ctx->bundle = c->state->bundle;
    ctx->rootfs = c->state->rootfs;
    ctx->stdio = o->stdio;
    ctx->preserve_fds = o->preserve_fds;
    ctx->is_exec = true;
    return eb_container_seccomp(c->spec, o->root, &ctx->filter, err);
}

int eb_container_exec(const eb_exec_opts_t *o, pid_t *pid_out, int *master_out, eb_error_t *err)
{
    _cleanup_container_ eb_container_t *c = NULL;
    _cleanup_init_ctx_ eb_init_ctx_t ctx = eb_spawn_ctx();
    _cleanup_spawn_ eb_spawn_t sp = EB_SPAWN_INIT;
    _cleanup_free_ void *args = NULL, *env = NULL;
    void *owned[2] = { NULL, NULL };
    eb_process_t proc;
    eb_handshake_t hs = {
        .who = "exec", .died = "exec: the process exited during setup", .eof_done = true,
        .console_socket = o->console_socket,
    };
    int ret;

    if (master_out)
        *master_out = -1;
    ret = exec_prepare(o, &c, &proc, owned, &ctx, err);
    args = owned[0];
    env = owned[1];
    if (ret < 0)
        return -1;
    hs.seccomp = &c->spec->seccomp;
    hs.state = c->state;
    hs.status = c->status;
    if (eb_spawn_start(&ctx, c->cgroup, &sp, err) < 0 || eb_spawn_handshake(&sp, &hs, err) < 0)
        return -1;
    if (o->pid_file && eb_write_pid_file(o->pid_file, sp.pid, err) < 0)
        return -1;
    eb_spawn_finish(&sp, pid_out, master_out);
    return 0;
}
