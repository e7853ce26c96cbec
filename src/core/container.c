/* container.c - the runtime side of the lifecycle after create (create.c)
 * and besides exec (exec.c): load, start, kill, delete, pause, update. */
#include "core/container.h"

#include <json-c/json.h>
#include "core/hooks.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* The linux.seccomp object's text: the key of the compiled-filter cache. */
static char *seccomp_key(const eb_spec_t *spec)
{
    json_object *lx = NULL, *sc = NULL;
    if (!json_object_object_get_ex(spec->json, "linux", &lx) || !json_object_object_get_ex(lx, "seccomp", &sc))
        return NULL;
    return eb_xstrdup(json_object_to_json_string_ext(sc, JSON_C_TO_STRING_PLAIN));
}

int eb_container_seccomp_export(const eb_spec_t *spec, const char *root, const char *key, char **name, char **data,
                                size_t *len, eb_error_t *err)
{
    _cleanup_free_ char *own = seccomp_key(spec), *dir = eb_strdup_printf("%s/.seccomp-cache", root);

    *name = *data = NULL, *len = 0;
    /* Only for the very profile the other side will look up. */
    if (own == NULL || key == NULL || strcmp(own, key) != 0)
        return 0;
    if (eb_seccomp_export(&spec->seccomp, key, dir, name, data, len, err) < 0)
        return eb_error_wrap(err, "linux.seccomp");
    return 0;
}

int eb_container_seccomp(const eb_spec_t *spec, const char *root, eb_seccomp_filter_t **out, eb_error_t *err)
{
    _cleanup_free_ char *key = seccomp_key(spec), *dir = eb_strdup_printf("%s/.seccomp-cache", root);
    if (eb_seccomp_prepare(&spec->seccomp, key, dir, out, err) < 0)
        return eb_error_wrap(err, "linux.seccomp");
    return 0;
}

static int pidfd_kill(pid_t pid, unsigned long long starttime, int sig, eb_error_t *err)
{
    _cleanup_close_ int fd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return eb_error_set(err, errno == ESRCH ? ESRCH : errno, "container process %d", (int) pid);
    /* The pid is pinned by the pidfd: check it is still our process. */
    if (eb_pid_starttime(pid) != starttime)
        return eb_error_set(err, ESRCH, "container process %d is gone", (int) pid);
    if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
        return eb_error_set(err, errno, "send signal %d to %d", sig, (int) pid);
    return 0;
}

/* Wait for the init's byte on the exec fifo FD: it has left its wait. */
static int wait_for_init(const eb_container_t *c, const char *id, int fd, eb_error_t *err)
{
    int waited = 0;
    char b;
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 100) > 0 && read(fd, &b, 1) == 1)
            return 0;
        if (eb_pid_starttime(c->state->pid) != c->state->starttime)
            return eb_error_set(err, ESRCH, "container `%s` init exited before start", id);
        if (++waited > 600)
            return eb_error_set(err, ETIMEDOUT, "container `%s` init did not respond to start", id);
    }
}

/* How long start waits for the exec once the init has left its wait: the
 * startContainer hooks run meanwhile.  Bounded, so that a hook without a
 * timeout cannot hold a caller that serves others (the runv guest agent,
 * whose host gives up on a request after 60 s) for ever. */
#define START_EXEC_WAIT_S 45

/* Then read FD to EOF: the init's end closes when the program is exec'd
 * (close-on-exec) or the init exits.  Text before EOF is the init's
 * failure (a startContainer hook, capabilities, exec itself): start's
 * error. */
static int wait_for_exec(const eb_container_t *c, const char *id, int fd, eb_error_t *err)
{
    char msg[EB_ERROR_MSG_MAX];
    size_t len = 0;
    int waited = 0;
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;
        if (poll(&p, 1, 100) < 0 && errno != EINTR)
            return eb_error_set(err, errno, "poll the exec fifo of `%s`", id);
        n = read(fd, msg + len, sizeof(msg) - 1 - len);
        if (n > 0) {
            len += (size_t) n;
            if (len < sizeof(msg) - 1)
                continue;
        }
        if (n >= 0)
            break;     /* EOF, or as much as an error message may hold */
        if (errno != EAGAIN && errno != EINTR)
            return eb_error_set(err, errno, "read the exec fifo of `%s`", id);
        if (eb_pid_starttime(c->state->pid) != c->state->starttime)
            break;     /* gone, yet the fifo still has a writer: say what we have */
        if (++waited > START_EXEC_WAIT_S * 10)
            return eb_error_set(err, ETIMEDOUT, "container `%s`: its program was not exec'd within %d s "
                                "(startContainer hooks?)", id, START_EXEC_WAIT_S);
    }
    msg[len] = 0;
    if (len > 0)
        return eb_error_set(err, 0, "container `%s` did not start: %s", id, msg);
    return 0;
}

int eb_container_start(const char *root, const char *id, eb_error_t *err)
{
    _cleanup_container_ eb_container_t *c = NULL;
    _cleanup_free_ char *fifo = NULL, *state_json = NULL;
    _cleanup_close_ int fd = -1;

    if (eb_container_load(root, id, EB_LOAD_LOCK | EB_LOAD_SPEC, &c, err) < 0)
        return -1;
    if (c->status != EB_STATUS_CREATED)
        return eb_error_set(err, EINVAL, "cannot start container `%s`: it is %s, not created", id,
                            eb_status_names[c->status]);
    fifo = eb_state_path(c->state, "exec.fifo");
    fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return eb_error_set(err, errno, "open exec fifo of `%s`", id);
    if (wait_for_init(c, id, fd, err) < 0)
        return -1;
    unlink(fifo);
    /* As runc: start returns once the program runs, so that a signal sent
     * next reaches it and poststart sees it (the spec's order). */
    if (wait_for_exec(c, id, fd, err) < 0)
        return -1;
    if (c->spec) {
        state_json = eb_state_to_json(c->state, EB_STATUS_RUNNING, false);
        eb_hooks_run_every(c->spec, EB_HOOK_POSTSTART, state_json);
    }
    return 0;
}

int eb_container_kill(const char *root, const char *id, int sig, bool all, eb_error_t *err)
{
    _cleanup_container_ eb_container_t *c = NULL;
    int ret;
    if (eb_container_load(root, id, 0, &c, err) < 0)
        return -1;
    if (c->status == EB_STATUS_STOPPED || c->status == EB_STATUS_CREATING) {
        /* --all reaches leftovers of a stopped container (runc too). */
        if (all && c->cgroup)
            return eb_cgroup_signal_all(c->cgroup, sig, err);
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
    return ret;
}

/* delete --force of a container whose state can't be read: remove what
 * can be found by name (its directory, the default cgroup path). */
static int delete_unreadable(const char *root, const char *id, eb_error_t *err)
{
    _cleanup_free_ char *dir = eb_strdup_printf("%s/%s", root, id);
    _cleanup_free_ char *cgpath = eb_cgroup_resolve_path(NULL, id);
    _cleanup_cgroup_ eb_cgroup_t *cg = eb_cgroup_open(cgpath, eb_cgroup_host_version());
    eb_state_t st = { .dir = dir, .id = (char *) id, .lock_fd = -1 };
    int ret = 0;
    eb_warn("state of `%s` is unreadable (%s): removing it by name", id, err->msg);
    eb_error_clear(err);
    if (cg && eb_cgroup_destroy(cg, err) < 0)
        ret = -1;
    if (eb_state_remove(&st, err) < 0)
        ret = -1;
    return ret;
}

int eb_container_delete(const char *root, const char *id, bool force, eb_error_t *err)
{
    _cleanup_container_ eb_container_t *c = NULL;
    _cleanup_free_ char *state_json = NULL;
    int ret = 0;

    if (eb_container_load(root, id, EB_LOAD_LOCK | EB_LOAD_SPEC, &c, err) < 0) {
        if (force && err->code == EINVAL && eb_id_valid(id))
            return delete_unreadable(root, id, err);
        return -1;
    }
    if ((c->status == EB_STATUS_RUNNING || c->status == EB_STATUS_PAUSED || c->status == EB_STATUS_CREATING)
        && !force)
        return eb_error_set(err, EBUSY, "cannot delete container `%s` that is not stopped: %s", id,
                            eb_status_names[c->status]);
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
        state_json = eb_state_to_json(c->state, EB_STATUS_STOPPED, false);
        eb_hooks_run_every(c->spec, EB_HOOK_POSTSTOP, state_json);
    }
    if (ret == 0 && eb_state_remove(c->state, err) < 0)
        ret = -1;
    return ret;
}

int eb_container_pause(const char *root, const char *id, bool pause, eb_error_t *err)
{
    _cleanup_container_ eb_container_t *c = NULL;
    if (eb_container_load(root, id, EB_LOAD_LOCK, &c, err) < 0)
        return -1;
    if (pause && c->status != EB_STATUS_RUNNING)
        return eb_error_set(err, EINVAL, "cannot pause container `%s`: it is %s", id, eb_status_names[c->status]);
    if (!pause && c->status != EB_STATUS_PAUSED)
        return eb_error_set(err, EINVAL, "cannot resume container `%s`: it is not paused", id);
    if (c->cgroup == NULL)
        return eb_error_set(err, ENOENT, "container `%s` has no cgroup", id);
    return eb_cgroup_freeze(c->cgroup, pause, err);
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
    _cleanup_container_ eb_container_t *c = NULL;
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
    return ret;
}
