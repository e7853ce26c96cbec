/* container.c - the runtime side of the lifecycle: state, cgroup, the
 * create handshake with init.c, start, kill, delete, pause, exec. */
#include "core/container.h"

#include <json-c/json.h>
#include "core/hooks.h"
#include "core/init.h"
#include "core/sync.h"
#include "core/terminal.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONFIG_NAME "config.json"

int eb_write_pid_file(const char *path, pid_t pid, eb_error_t *err)
{
    _cleanup_free_ char *copy = eb_xstrdup(path), *copy2 = eb_xstrdup(path);
    char *dir, *base, buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", (int) pid);
    char *slash = strrchr(copy, '/');
    if (slash == NULL) {
        dir = ".";
        base = copy2;
    } else {
        *slash = 0;
        dir = slash == copy ? "/" : copy;
        base = strrchr(copy2, '/') + 1;
    }
    return eb_write_file_atomic(dir, base, buf, (size_t) n, err);
}

int eb_container_load(const char *root, const char *id, int flags, eb_container_t **out, eb_error_t *err)
{
    eb_container_t *c = eb_xcalloc(1, sizeof(*c));
    if (eb_state_load(root, id, flags & EB_LOAD_LOCK, &c->state, err) < 0) {
        free(c);
        return -1;
    }
    if (c->state->cgroup_path)
        c->cgroup = eb_cgroup_open(c->state->cgroup_path, c->state->cgroup_version);
    if (flags & EB_LOAD_SPEC) {
        _cleanup_free_ char *cfg = eb_state_path(c->state, CONFIG_NAME);
        eb_error_t e = { 0 };
        if (access(cfg, F_OK) == 0 && eb_spec_load(cfg, &c->spec, &e) < 0)
            eb_warn("saved config of `%s` unreadable: %s", id, e.msg);
    }
    c->status = eb_state_status(c->state);
    if (c->status == EB_STATUS_RUNNING && c->cgroup && eb_cgroup_is_frozen(c->cgroup) == 1)
        c->status = EB_STATUS_PAUSED;
    *out = c;
    return 0;
}

void eb_container_free(eb_container_t *c)
{
    if (c == NULL)
        return;
    eb_cgroup_free(c->cgroup);
    eb_spec_free(c->spec);
    eb_state_free(c->state);
    free(c);
}

static int write_id_maps(pid_t pid, const eb_spec_t *spec, eb_error_t *err)
{
    const char *files[2] = { "uid_map", "gid_map" };
    const eb_idmap_t *maps[2] = { spec->uid_mappings, spec->gid_mappings };
    size_t n[2] = { spec->n_uid_mappings, spec->n_gid_mappings }, i;
    int k;
    for (k = 0; k < 2; k++) {
        char buf[340 * 40] = "", path[64];
        size_t len = 0;
        for (i = 0; i < n[k]; i++)
            len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", maps[k][i].container_id,
                                     maps[k][i].host_id, maps[k][i].size);
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, files[k]);
        if (eb_write_file(path, buf, len, err) < 0)
            return eb_error_wrap(err, "write %s", files[k]);
    }
    return 0;
}

static int open_join_fds(const eb_spec_t *spec, int fds[EB_NS_TYPES], int *new_flags, eb_error_t *err)
{
    int t;
    *new_flags = 0;
    for (t = 0; t < EB_NS_TYPES; t++) {
        fds[t] = -1;
        if (!spec->namespaces[t].present)
            continue;
        if (spec->namespaces[t].path == NULL) {
            *new_flags |= eb_ns_clone_flags[t];
            continue;
        }
        fds[t] = open(spec->namespaces[t].path, O_RDONLY | O_CLOEXEC);
        if (fds[t] < 0)
            return eb_error_set(err, errno, "open %s namespace `%s`", eb_ns_names[t], spec->namespaces[t].path);
    }
    return 0;
}

static void close_fds(int fds[EB_NS_TYPES])
{
    int t;
    for (t = 0; t < EB_NS_TYPES; t++)
        if (fds[t] >= 0) {
            close(fds[t]);
            fds[t] = -1;
        }
}

static char *bundle_rootfs(const char *bundle, const char *root_path, eb_error_t *err)
{
    _cleanup_free_ char *joined = root_path[0] == '/' ? eb_xstrdup(root_path)
                                                      : eb_strdup_printf("%s/%s", bundle, root_path);
    char real[PATH_MAX];
    struct stat sb;
    if (realpath(joined, real) == NULL) {
        eb_error_set(err, errno, "rootfs `%s`", joined);
        return NULL;
    }
    if (stat(real, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        eb_error_set(err, ENOTDIR, "rootfs `%s` is not a directory", real);
        return NULL;
    }
    return eb_xstrdup(real);
}

/* The linux.seccomp object's text: the key of the compiled-filter cache. */
static char *seccomp_key(const eb_spec_t *spec)
{
    json_object *lx = NULL, *sc = NULL;
    if (!json_object_object_get_ex(spec->json, "linux", &lx) || !json_object_object_get_ex(lx, "seccomp", &sc))
        return NULL;
    return eb_xstrdup(json_object_to_json_string_ext(sc, JSON_C_TO_STRING_PLAIN));
}

int eb_container_seccomp(const eb_spec_t *spec, const char *root, eb_seccomp_filter_t **out, eb_error_t *err)
{
    _cleanup_free_ char *key = seccomp_key(spec), *dir = eb_strdup_printf("%s/.seccomp-cache", root);
    if (eb_seccomp_prepare(&spec->seccomp, key, dir, out, err) < 0)
        return eb_error_wrap(err, "linux.seccomp");
    return 0;
}

static void reap(pid_t pid)
{
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) { }
}

int eb_container_create(const eb_create_opts_t *o, pid_t *pid_out, int *master_out, eb_error_t *err)
{
    _cleanup_free_ char *bundle = NULL, *rootfs = NULL, *config_text = NULL, *cfgpath = NULL;
    _cleanup_free_ char *fifo = NULL, *state_json = NULL;
    eb_spec_t *spec = NULL;
    eb_state_t *st = NULL;
    eb_cgroup_t *cg = NULL;
    eb_sync_msg_t *msg = NULL;
    eb_init_ctx_t ctx;
    int sv[2] = { -1, -1 }, fifo_fd = -1, master = -1, ret = -1;
    pid_t stage1 = -1, init_pid = -1;
    size_t cfglen;
    char real[PATH_MAX];

    memset(&ctx, 0, sizeof(ctx));
    for (int t = 0; t < EB_NS_TYPES; t++)
        ctx.join_fds[t] = -1;
    if (master_out)
        *master_out = -1;
    if (!eb_id_valid(o->id))
        return eb_error_set(err, EINVAL, "invalid container id `%s`", o->id);
    if (realpath(o->bundle ? o->bundle : ".", real) == NULL)
        return eb_error_set(err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
    bundle = eb_xstrdup(real);
    cfgpath = eb_strdup_printf("%s/" CONFIG_NAME, bundle);
    if (eb_read_file(cfgpath, EB_SPEC_MAX_SIZE, &config_text, &cfglen, err) < 0)
        return -1;
    if (eb_spec_parse(config_text, cfglen, &spec, err) < 0)
        return eb_error_wrap(err, "%s", cfgpath);
    if (!spec->has_process) {
        eb_spec_free(spec);
        return eb_error_set(err, EINVAL, "%s: process: required to create a container", cfgpath);
    }
    if ((rootfs = bundle_rootfs(bundle, spec->root_path, err)) == NULL) {
        eb_spec_free(spec);
        return -1;
    }
    if (spec->process.terminal && o->console_socket == NULL && !o->keep_console) {
        eb_spec_free(spec);
        return eb_error_set(err, EINVAL, "process.terminal is true: --console-socket is required");
    }
    if (eb_state_create(o->root, o->id, &st, err) < 0) {
        eb_spec_free(spec);
        return -1;
    }
    msg = eb_xcalloc(1, sizeof(*msg));
    st->bundle = eb_xstrdup(bundle);
    st->rootfs = eb_xstrdup(rootfs);
    st->cgroup_path = eb_cgroup_resolve_path(spec->cgroups_path, o->id);
    st->cgroup_version = eb_cgroup_host_version();
    {
        json_object *a = NULL;
        if (json_object_object_get_ex(spec->json, "annotations", &a) && a)
            st->annotations_json = eb_xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    }
    /* From here on, every side effect is recorded before it is made, so a
     * SIGKILL at any point leaves something `delete --force` can undo. */
    if (eb_state_save(st, err) < 0
        || eb_write_file_atomic(st->dir, CONFIG_NAME, config_text, cfglen, err) < 0)
        goto out;
    if (eb_cgroup_create(st->cgroup_path, &cg, err) < 0)
        goto out;
    /* Applied even without linux.resources: the device rules always are. */
    if (eb_cgroup_apply(cg, &spec->resources, spec, false, err) < 0)
        goto out;
    fifo = eb_state_path(st, "exec.fifo");
    if (mkfifo(fifo, 0622) < 0) {
        eb_error_set(err, errno, "mkfifo `%s`", fifo);
        goto out;
    }
    if (spec->namespaces[EB_NS_USER].present) {
        /* The init reopens the fifo as the container's root: make it its
         * owner, as runc does. */
        uid_t uid = 0;
        gid_t gid = 0;
        size_t i;
        for (i = 0; i < spec->n_uid_mappings; i++)
            if (spec->uid_mappings[i].container_id == 0)
                uid = spec->uid_mappings[i].host_id;
        for (i = 0; i < spec->n_gid_mappings; i++)
            if (spec->gid_mappings[i].container_id == 0)
                gid = spec->gid_mappings[i].host_id;
        if (chown(fifo, uid, gid) < 0) {
            eb_error_set(err, errno, "chown `%s`", fifo);
            goto out;
        }
    }
    fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
    if (fifo_fd < 0) {
        eb_error_set(err, errno, "open `%s`", fifo);
        goto out;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        eb_error_set(err, errno, "socketpair");
        goto out;
    }
    ctx.spec = spec;
    ctx.process = &spec->process;
    ctx.bundle = bundle;
    ctx.rootfs = rootfs;
    ctx.cg = cg;
    ctx.sync_fd = sv[1];
    ctx.lock_fd = st->lock_fd;
    ctx.fifo_fd = fifo_fd;
    ctx.preserve_fds = o->preserve_fds;
    ctx.stdio = o->stdio;
    ctx.no_pivot = o->no_pivot;
    ctx.parent = getpid();
    if (open_join_fds(spec, ctx.join_fds, &ctx.new_flags, err) < 0)
        goto out;
    if (eb_container_seccomp(spec, o->root, &ctx.filter, err) < 0)
        goto out;
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
    close_fds(ctx.join_fds);
    if (eb_cgroup_enter(cg, stage1, err) < 0
        || eb_sync_send(sv[0], EB_SYNC_GO, 0, NULL, 0, -1, err) < 0)
        goto out;
    for (;;) {
        int r = eb_sync_recv(sv[0], msg, err);
        if (r < 0)
            goto out;
        if (r == 1) {
            eb_error_set(err, EPIPE, "the container init exited during setup");
            goto out;
        }
        switch (msg->type) {
        case EB_SYNC_USERNS:
            if (write_id_maps(stage1, spec, err) < 0
                || eb_sync_send(sv[0], EB_SYNC_GO, 0, NULL, 0, -1, err) < 0)
                goto out;
            break;
        case EB_SYNC_PID:
            if (msg->len != sizeof(int32_t)) {
                eb_error_set(err, EPROTO, "bad pid message");
                goto out;
            }
            memcpy(&init_pid, msg->data, sizeof(int32_t));
            reap(stage1);
            stage1 = -1;
            st->pid = init_pid;
            st->starttime = eb_pid_starttime(init_pid);
            if (eb_state_save(st, err) < 0 || eb_sync_send(sv[0], EB_SYNC_GO, 0, NULL, 0, -1, err) < 0)
                goto out;
            break;
        case EB_SYNC_CONSOLE:
            if (msg->fd < 0) {
                eb_error_set(err, EPROTO, "console message without a pty");
                goto out;
            }
            if (o->console_socket) {
                int rr = eb_terminal_send(o->console_socket, msg->fd, err);
                close(msg->fd);
                if (rr < 0)
                    goto out;
            } else {
                if (master >= 0)
                    close(master);
                master = msg->fd;
            }
            break;
        case EB_SYNC_HOOKS:
            free(state_json);
            state_json = eb_state_to_json(st, EB_STATUS_CREATING, false);
            if (eb_hooks_run(spec, EB_HOOK_PRESTART, state_json, err) < 0
                || eb_hooks_run(spec, EB_HOOK_CREATE_RUNTIME, state_json, err) < 0)
                goto out;
            if (eb_sync_send(sv[0], EB_SYNC_STATE, 0, state_json, strlen(state_json), -1, err) < 0)
                goto out;
            break;
        case EB_SYNC_CREATED:
            if (o->pid_file && eb_write_pid_file(o->pid_file, init_pid, err) < 0)
                goto out;
            st->creating = false;
            st->creator = 0;
            st->creator_starttime = 0;
            if (eb_state_save(st, err) < 0 || eb_sync_send(sv[0], EB_SYNC_GO, 0, NULL, 0, -1, err) < 0)
                goto out;
            if (eb_sync_expect(sv[0], EB_SYNC_ACK, msg, err) < 0)
                goto out;
            ret = 0;
            goto out;
        case EB_SYNC_SECCOMP: {
            int rr;
            free(state_json);
            state_json = eb_state_to_json(st, EB_STATUS_CREATING, false);
            if (msg->fd < 0) {
                eb_error_set(err, EPROTO, "seccomp message without a notify fd");
                goto out;
            }
            rr = eb_seccomp_send_listener(&spec->seccomp, msg->fd, state_json, err);
            close(msg->fd);
            if (rr < 0)
                goto out;
            break;
        }
        case EB_SYNC_ERROR:
            eb_error_set(err, 0, "%s", msg->data);
            err->code = msg->code;
            goto out;
        default:
            eb_error_set(err, EPROTO, "unexpected message %u from init", msg->type);
            goto out;
        }
    }
out:
    if (sv[0] >= 0)
        close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    close_fds(ctx.join_fds);
    if (fifo_fd >= 0)
        close(fifo_fd);
    if (ret < 0) {
        eb_error_t ign = { 0 };
        if (stage1 > 0) {
            kill(stage1, SIGKILL);
            reap(stage1);
        }
        if (init_pid > 0) {
            kill(init_pid, SIGKILL);
            reap(init_pid);
        }
        if (cg)
            eb_cgroup_destroy(cg, &ign);
        if (master >= 0)
            close(master);
        eb_state_remove(st, &ign);
    } else {
        if (pid_out)
            *pid_out = init_pid;
        if (master_out)
            *master_out = master;
        else if (master >= 0)
            close(master);
    }
    free(msg);
    eb_seccomp_free(ctx.filter);
    eb_cgroup_free(cg);
    eb_state_free(st);
    eb_spec_free(spec);
    return ret;
}

static int pidfd_kill(pid_t pid, unsigned long long starttime, int sig, eb_error_t *err)
{
    int fd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return eb_error_set(err, errno == ESRCH ? ESRCH : errno, "container process %d", (int) pid);
    /* The pid is pinned by the pidfd: check it is still our process. */
    if (eb_pid_starttime(pid) != starttime) {
        close(fd);
        return eb_error_set(err, ESRCH, "container process %d is gone", (int) pid);
    }
    if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0) {
        int e = errno;
        close(fd);
        return eb_error_set(err, e, "send signal %d to %d", sig, (int) pid);
    }
    close(fd);
    return 0;
}

int eb_container_start(const char *root, const char *id, eb_error_t *err)
{
    eb_container_t *c = NULL;
    _cleanup_free_ char *fifo = NULL, *state_json = NULL;
    _cleanup_close_ int fd = -1;
    int ret = -1, waited = 0;
    char b;

    if (eb_container_load(root, id, EB_LOAD_LOCK | EB_LOAD_SPEC, &c, err) < 0)
        return -1;
    if (c->status != EB_STATUS_CREATED) {
        eb_error_set(err, EINVAL, "cannot start container `%s`: it is %s, not created", id,
                     eb_status_names[c->status]);
        goto out;
    }
    fifo = eb_state_path(c->state, "exec.fifo");
    fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        eb_error_set(err, errno, "open exec fifo of `%s`", id);
        goto out;
    }
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;
        if (poll(&p, 1, 100) > 0) {
            n = read(fd, &b, 1);
            if (n == 1)
                break;
        }
        if (eb_pid_starttime(c->state->pid) != c->state->starttime) {
            eb_error_set(err, ESRCH, "container `%s` init exited before start", id);
            goto out;
        }
        if (++waited > 600) {
            eb_error_set(err, ETIMEDOUT, "container `%s` init did not respond to start", id);
            goto out;
        }
    }
    unlink(fifo);
    ret = 0;
    if (c->spec) {
        eb_error_t herr = { 0 };
        state_json = eb_state_to_json(c->state, EB_STATUS_RUNNING, false);
        if (eb_hooks_run(c->spec, EB_HOOK_POSTSTART, state_json, &herr) < 0)
            eb_warn("poststart hook failed: %s", herr.msg);
    }
out:
    eb_container_free(c);
    return ret;
}

int eb_container_kill(const char *root, const char *id, int sig, bool all, eb_error_t *err)
{
    eb_container_t *c = NULL;
    int ret;
    if (eb_container_load(root, id, 0, &c, err) < 0)
        return -1;
    if (c->status == EB_STATUS_STOPPED || c->status == EB_STATUS_CREATING) {
        if (all && c->cgroup) {
            /* --all reaches leftovers of a stopped container (runc too). */
            ret = eb_cgroup_signal_all(c->cgroup, sig, err);
            eb_container_free(c);
            return ret;
        }
        eb_container_free(c);
        return eb_error_set(err, ESRCH, "container `%s` is not running", id);
    }
    if (all && c->cgroup) {
        ret = eb_cgroup_signal_all(c->cgroup, sig, err);
        /* A paused container must get SIGKILL delivered. */
        if (ret == 0 && c->status == EB_STATUS_PAUSED && sig == SIGKILL) {
            eb_error_t ign = { 0 };
            eb_cgroup_freeze(c->cgroup, false, &ign);
        }
    } else {
        ret = pidfd_kill(c->state->pid, c->state->starttime, sig, err);
    }
    eb_container_free(c);
    return ret;
}

/* delete --force of a container whose state can't be read: remove what
 * can be found by name (its directory, the default cgroup path). */
static int delete_unreadable(const char *root, const char *id, eb_error_t *err)
{
    _cleanup_free_ char *dir = eb_strdup_printf("%s/%s", root, id);
    _cleanup_free_ char *cgpath = eb_cgroup_resolve_path(NULL, id);
    eb_cgroup_t *cg = eb_cgroup_open(cgpath, eb_cgroup_host_version());
    eb_state_t st = { .dir = dir, .id = (char *) id, .lock_fd = -1 };
    int ret = 0;
    eb_warn("state of `%s` is unreadable (%s): removing it by name", id, err->msg);
    eb_error_clear(err);
    if (cg && eb_cgroup_destroy(cg, err) < 0)
        ret = -1;
    eb_cgroup_free(cg);
    if (eb_state_remove(&st, err) < 0)
        ret = -1;
    return ret;
}

int eb_container_delete(const char *root, const char *id, bool force, eb_error_t *err)
{
    eb_container_t *c = NULL;
    _cleanup_free_ char *state_json = NULL;
    int ret = 0;

    if (eb_container_load(root, id, EB_LOAD_LOCK | EB_LOAD_SPEC, &c, err) < 0) {
        if (force && err->code == EINVAL && eb_id_valid(id))
            return delete_unreadable(root, id, err);
        return -1;
    }
    if ((c->status == EB_STATUS_RUNNING || c->status == EB_STATUS_PAUSED || c->status == EB_STATUS_CREATING)
        && !force) {
        eb_error_set(err, EBUSY, "cannot delete container `%s` that is not stopped: %s", id,
                     eb_status_names[c->status]);
        eb_container_free(c);
        return -1;
    }
    if (c->status != EB_STATUS_STOPPED && c->state->pid > 0) {
        eb_error_t ign = { 0 };
        pidfd_kill(c->state->pid, c->state->starttime, SIGKILL, &ign);
    }
    if (c->status == EB_STATUS_CREATING && c->state->creator > 0
        && eb_pid_starttime(c->state->creator) == c->state->creator_starttime)
        kill(c->state->creator, SIGKILL);
    if (c->cgroup && eb_cgroup_destroy(c->cgroup, err) < 0)
        ret = -1;
    if (c->spec && c->state->bundle) {
        eb_error_t herr = { 0 };
        state_json = eb_state_to_json(c->state, EB_STATUS_STOPPED, false);
        if (eb_hooks_run(c->spec, EB_HOOK_POSTSTOP, state_json, &herr) < 0)
            eb_warn("poststop hook failed: %s", herr.msg);
    }
    if (ret == 0 && eb_state_remove(c->state, err) < 0)
        ret = -1;
    eb_container_free(c);
    return ret;
}

int eb_container_pause(const char *root, const char *id, bool pause, eb_error_t *err)
{
    eb_container_t *c = NULL;
    int ret;
    if (eb_container_load(root, id, EB_LOAD_LOCK, &c, err) < 0)
        return -1;
    if (pause && c->status != EB_STATUS_RUNNING) {
        eb_error_set(err, EINVAL, "cannot pause container `%s`: it is %s", id, eb_status_names[c->status]);
        eb_container_free(c);
        return -1;
    }
    if (!pause && c->status != EB_STATUS_PAUSED) {
        eb_error_set(err, EINVAL, "cannot resume container `%s`: it is not paused", id);
        eb_container_free(c);
        return -1;
    }
    if (c->cgroup == NULL) {
        eb_container_free(c);
        return eb_error_set(err, ENOENT, "container `%s` has no cgroup", id);
    }
    ret = eb_cgroup_freeze(c->cgroup, pause, err);
    eb_container_free(c);
    return ret;
}

static void merge_json(json_object *dst, json_object *src)
{
    json_object_object_foreach(src, key, val) {
        json_object *cur = NULL;
        if (json_object_is_type(val, json_type_object) && json_object_object_get_ex(dst, key, &cur)
            && json_object_is_type(cur, json_type_object))
            merge_json(cur, val);
        else
            json_object_object_add(dst, key, json_object_get(val));
    }
}

int eb_container_update(const char *root, const char *id, const eb_resources_t *res, const char *res_json,
                        eb_error_t *err)
{
    eb_container_t *c = NULL;
    _cleanup_free_ char *cfg = NULL, *text = NULL;
    json_object *conf = NULL, *lx, *rs, *upd;
    size_t len;
    int ret = -1;

    if (eb_container_load(root, id, EB_LOAD_LOCK | EB_LOAD_SPEC, &c, err) < 0)
        return -1;
    if (c->status == EB_STATUS_STOPPED || c->cgroup == NULL) {
        eb_error_set(err, EINVAL, "cannot update container `%s`: it is stopped", id);
        goto out;
    }
    if (eb_cgroup_apply(c->cgroup, res, c->spec, true, err) < 0)
        goto out;
    ret = 0;
    if (res_json == NULL)
        goto out;
    cfg = eb_state_path(c->state, CONFIG_NAME);
    if (eb_read_file(cfg, EB_SPEC_MAX_SIZE, &text, &len, err) < 0
        || (conf = json_tokener_parse(text)) == NULL || (upd = json_tokener_parse(res_json)) == NULL) {
        eb_warn("update `%s`: limits applied but the saved config was not updated", id);
        eb_error_clear(err);
        goto out;
    }
    if (!json_object_object_get_ex(conf, "linux", &lx)) {
        lx = json_object_new_object();
        json_object_object_add(conf, "linux", lx);
    }
    if (!json_object_object_get_ex(lx, "resources", &rs)) {
        rs = json_object_new_object();
        json_object_object_add(lx, "resources", rs);
    }
    merge_json(rs, upd);
    json_object_put(upd);
    {
        const char *out = json_object_to_json_string_ext(conf, JSON_C_TO_STRING_PLAIN);
        if (eb_write_file_atomic(c->state->dir, CONFIG_NAME, out, strlen(out), err) < 0)
            ret = -1;
    }
out:
    json_object_put(conf);
    eb_container_free(c);
    return ret;
}
