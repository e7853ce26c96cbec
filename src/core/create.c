/* create.c - `create` as one pipeline: prepare (state directory, cgroup,
 * exec fifo, namespaces to join, seccomp filter), spawn (spawn.c: stage 1
 * forked into the cgroup) and the handshake with the init (init.c) up to
 * the init blocked on the exec fifo.
 *
 * From the first state save on, every side effect is recorded before it is
 * made, so a SIGKILL at any point leaves something `delete --force` can
 * undo; an error undoes it here. */
#include "core/container.h"

#include <json-c/json.h>
#include "core/hooks.h"
#include "core/init.h"
#include "core/process.h"
#include "core/spawn.h"
#include "spec/bundle.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What create builds, owned until it succeeds or is undone. */
typedef struct {
    const eb_create_opts_t *o;
    const eb_spec_t *spec;
    const char *bundle;        /* real path */
    char *rootfs;
    eb_state_t *st;
    eb_cgroup_t *cg;
    int fifo_fd;               /* O_PATH fd of exec.fifo, for the init to reopen */
    char *state_json;          /* the last state handed to hooks */
} create_job_t;

static void job_release(create_job_t *j)
{
    free(j->rootfs);
    eb_cgroup_free(j->cg);
    eb_state_free(j->st);
    eb_closep(&j->fifo_fd);
    free(j->state_json);
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

/* The state directory with state.json and the config (TEXT, LEN bytes). */
static int prepare_state(create_job_t *j, const char *text, size_t len, eb_error_t *err)
{
    json_object *a = NULL;
    if (eb_state_create(j->o->root, j->o->id, &j->st, err) < 0)
        return -1;
    j->st->bundle = eb_xstrdup(j->bundle);
    j->st->rootfs = eb_xstrdup(j->rootfs);
    j->st->cgroup_path = eb_cgroup_resolve_path(j->spec->cgroups_path, j->o->id);
    j->st->cgroup_version = eb_cgroup_host_version();
    if (json_object_object_get_ex(j->spec->json, "annotations", &a) && a)
        j->st->annotations_json = eb_xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    if (eb_state_save(j->st, err) < 0)
        return -1;
    return eb_write_file_atomic(j->st->dir, EB_BUNDLE_CONFIG, text, len, err);
}

/* The fifo `start` opens: the init blocks writing to it until then. */
static int make_exec_fifo(create_job_t *j, eb_error_t *err)
{
    const eb_spec_t *spec = j->spec;
    _cleanup_free_ char *fifo = eb_state_path(j->st, "exec.fifo");
    if (mkfifo(fifo, 0622) < 0)
        return eb_error_set(err, errno, "mkfifo `%s`", fifo);
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
        if (chown(fifo, uid, gid) < 0)
            return eb_error_set(err, errno, "chown `%s`", fifo);
    }
    j->fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
    if (j->fifo_fd < 0)
        return eb_error_set(err, errno, "open `%s`", fifo);
    return 0;
}

/* Everything before the fork, in this order: rootfs and console checks,
 * state, cgroup (device rules apply even without linux.resources), fifo,
 * the init's context, namespaces to join, seccomp filter. */
static int prepare(create_job_t *j, eb_init_ctx_t *ctx, const char *text, size_t len, eb_error_t *err)
{
    const eb_create_opts_t *o = j->o;
    if ((j->rootfs = bundle_rootfs(j->bundle, j->spec->root_path, err)) == NULL)
        return -1;
    if (j->spec->process.terminal && o->console_socket == NULL && !o->keep_console)
        return eb_error_set(err, EINVAL, "process.terminal is true: --console-socket is required");
    if (eb_process_check_caps(&j->spec->process, err) < 0)
        return -1;
    if (!eb_init_new_mount_ns(j->spec) && (j->spec->n_mounts || j->spec->root_readonly
                                           || (j->spec->masked_paths && j->spec->masked_paths[0])
                                           || (j->spec->readonly_paths && j->spec->readonly_paths[0])))
        eb_warn("no mount namespace of the container's own: mounts, maskedPaths, readonlyPaths and "
                "root.readonly are not applied");
    if (prepare_state(j, text, len, err) < 0
        || eb_cgroup_create(j->st->cgroup_path, &j->cg, err) < 0
        || eb_cgroup_apply(j->cg, &j->spec->resources, j->spec, false, err) < 0
        || make_exec_fifo(j, err) < 0)
        return -1;
    ctx->spec = j->spec;
    ctx->process = &j->spec->process;
    ctx->bundle = j->bundle;
    ctx->rootfs = j->rootfs;
    ctx->cg = j->cg;
    ctx->lock_fd = j->st->lock_fd;
    ctx->fifo_fd = j->fifo_fd;
    ctx->preserve_fds = o->preserve_fds;
    ctx->stdio = o->stdio;
    ctx->no_pivot = o->no_pivot;
    if (open_join_fds(j->spec, ctx->join_fds, &ctx->new_flags, err) < 0)
        return -1;
    return eb_container_seccomp(j->spec, o->root, &ctx->filter, err);
}

/* The hooks the runtime runs while the init waits before pivot_root.
 * Their state says "creating", as runc's and as `state` says meanwhile:
 * the create operation has not returned (docs/oci-spec.md#hooks). */
static int run_create_hooks(create_job_t *j, int sock, eb_error_t *err)
{
    free(j->state_json);
    j->state_json = eb_state_to_json(j->st, EB_STATUS_CREATING, false);
    if (eb_hooks_run(j->spec, EB_HOOK_PRESTART, j->state_json, err) < 0
        || eb_hooks_run(j->spec, EB_HOOK_CREATE_RUNTIME, j->state_json, err) < 0)
        return -1;
    return eb_sync_send(sock, EB_SYNC_STATE, 0, j->state_json, strlen(j->state_json), -1, err);
}

/* The init is ready: record it as created, hand it the state its
 * startContainer hooks get ("created": create is over, the program not
 * yet run), then let it drop its parent-death signal and wait for its
 * acknowledgement before leaving. */
static int mark_created(create_job_t *j, eb_spawn_t *sp, eb_error_t *err)
{
    if (j->o->pid_file && eb_write_pid_file(j->o->pid_file, sp->pid, err) < 0)
        return -1;
    j->st->creating = false;
    j->st->creator = 0;
    j->st->creator_starttime = 0;
    if (eb_state_save(j->st, err) < 0)
        return -1;
    free(j->state_json);
    j->state_json = eb_state_to_json(j->st, EB_STATUS_CREATED, false);
    if (eb_sync_send(sp->sock, EB_SYNC_GO, 0, j->state_json, strlen(j->state_json), -1, err) < 0
        || eb_sync_expect(sp->sock, EB_SYNC_ACK, sp->msg, err) < 0)
        return -1;
    return 1;
}

/* The messages only create has (eb_handshake_t.step). */
static int create_step(void *arg, eb_spawn_t *sp, eb_error_t *err)
{
    create_job_t *j = arg;
    switch (sp->msg->type) {
    case EB_SYNC_USERNS:
        if (write_id_maps(sp->stage1, j->spec, err) < 0
            || eb_sync_send(sp->sock, EB_SYNC_GO, 0, NULL, 0, -1, err) < 0)
            return -1;
        return 0;
    case EB_SYNC_HOOKS:
        return run_create_hooks(j, sp->sock, err);
    case EB_SYNC_CREATED:
        return mark_created(j, sp, err);
    default:
        return EB_SPAWN_UNEXPECTED;
    }
}

/* The pipeline, for SPEC (borrowed) from BUNDLE (a real path) whose config
 * text TEXT (LEN bytes) is saved with the container. */
static int create_from(const eb_create_opts_t *o, const char *bundle, const eb_spec_t *spec, const char *text,
                       size_t len, pid_t *pid_out, int *master_out, eb_error_t *err)
{
    create_job_t j = { .o = o, .spec = spec, .bundle = bundle, .fifo_fd = -1 };
    _cleanup_init_ctx_ eb_init_ctx_t ctx = eb_spawn_ctx();
    eb_spawn_t sp = EB_SPAWN_INIT;
    eb_handshake_t hs = {
        .who = "init", .died = "the container init exited during setup",
        .console_socket = o->console_socket, .seccomp = &spec->seccomp,
        .status = EB_STATUS_CREATING, .step = create_step, .arg = &j,
    };
    int ret = -1;

    if (prepare(&j, &ctx, text, len, err) == 0) {
        hs.state = hs.record = j.st;
        if (eb_spawn_start(&ctx, j.cg, &sp, err) == 0 && eb_spawn_handshake(&sp, &hs, err) == 0) {
            eb_spawn_finish(&sp, pid_out, master_out);
            ret = 0;
        }
    }
    /* On failure this kills stage 1 and the init before their cgroup goes. */
    eb_spawn_release(&sp);
    if (ret < 0 && j.st) {
        eb_error_t ign = { 0 };
        if (j.cg)
            eb_cgroup_destroy(j.cg, &ign);
        eb_state_remove(j.st, &ign);
    }
    job_release(&j);
    return ret;
}

int eb_container_create(const eb_create_opts_t *o, pid_t *pid_out, int *master_out, eb_error_t *err)
{
    _cleanup_bundle_ eb_bundle_t b = { 0 };
    if (master_out)
        *master_out = -1;
    if (!eb_id_valid(o->id))
        return eb_error_set(err, EINVAL, "invalid container id `%s`", o->id);
    if (eb_bundle_load(o->bundle, EB_BUNDLE_NEED_PROCESS, &b, err) < 0)
        return -1;
    return create_from(o, b.dir, b.spec, b.text, b.len, pid_out, master_out, err);
}

int eb_container_create_spec(const eb_create_opts_t *o, const eb_spec_t *spec, pid_t *pid_out, int *master_out,
                             eb_error_t *err)
{
    _cleanup_free_ char *real = NULL;
    const char *text;
    if (master_out)
        *master_out = -1;
    if (!eb_id_valid(o->id))
        return eb_error_set(err, EINVAL, "invalid container id `%s`", o->id);
    if (eb_bundle_dir(o->bundle, &real, err) < 0)
        return -1;
    if (!spec->has_process)
        return eb_error_set(err, EINVAL, "process: required to create a container");
    text = json_object_to_json_string_ext(spec->json, JSON_C_TO_STRING_PLAIN);
    return create_from(o, real, spec, text, strlen(text), pid_out, master_out, err);
}
