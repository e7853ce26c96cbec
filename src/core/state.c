/* state.c - container state files under --root. */
#include "core/state.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spec/spec.h"

const char *const eb_status_names[] = { "creating", "created", "running", "paused", "stopped" };

#define STATE_MAX (1u << 20)

static eb_state_t *state_new(const char *root, const char *id)
{
    eb_state_t *st = eb_xcalloc(1, sizeof(*st));
    st->root = eb_xstrdup(root);
    st->id = eb_xstrdup(id);
    st->dir = eb_strdup_printf("%s/%s", root, id);
    st->lock_fd = -1;
    return st;
}

char *eb_state_path(const eb_state_t *st, const char *name)
{
    return eb_strdup_printf("%s/%s", st->dir, name);
}

static int take_lock(eb_state_t *st, eb_error_t *err)
{
    _cleanup_free_ char *p = eb_state_path(st, "lock");
    st->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (st->lock_fd < 0) {
        if (errno == ENOENT)
            return eb_error_set(err, ENOENT, "container `%s` does not exist", st->id);
        return eb_error_set(err, errno, "open lock `%s`", p);
    }
    while (flock(st->lock_fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return eb_error_set(err, errno, "lock container `%s`", st->id);
    return 0;
}

int eb_state_create(const char *root, const char *id, eb_state_t **out, eb_error_t *err)
{
    _cleanup_state_ eb_state_t *st = NULL;
    char ts[EB_RFC3339_LEN];

    if (!eb_id_valid(id))
        return eb_error_set(err, EINVAL, "invalid container id `%s`", id);
    if (eb_mkdir_p(root, 0700, err) < 0)
        return -1;
    st = state_new(root, id);
    if (mkdir(st->dir, 0700) < 0) {
        if (errno == EEXIST)
            return eb_error_set(err, EEXIST, "container with id `%s` already exists", id);
        return eb_error_set(err, errno, "create state directory for `%s`", id);
    }
    if (take_lock(st, err) < 0) {
        rmdir(st->dir);
        return -1;
    }
    eb_now_rfc3339(ts);
    st->created = eb_xstrdup(ts);
    {
        struct passwd *pw = getpwuid(geteuid());
        st->owner = eb_xstrdup(pw ? pw->pw_name : "");
    }
    st->creating = true;
    st->creator = getpid();
    st->creator_starttime = eb_pid_starttime(st->creator);
    st->isolation = eb_xstrdup("runc");
    *out = eb_steal_ptr(st);
    return 0;
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static int64_t jint(json_object *o, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v))
        return 0;
    return json_object_get_int64(v);
}

int eb_state_load(const char *root, const char *id, bool lock, eb_state_t **out, eb_error_t *err)
{
    _cleanup_state_ eb_state_t *st = NULL;
    _cleanup_free_ char *path = NULL, *data = NULL;
    json_object *o, *v;
    struct stat sb;

    if (!eb_id_valid(id))
        return eb_error_set(err, EINVAL, "invalid container id `%s`", id);
    st = state_new(root, id);
    if (stat(st->dir, &sb) < 0)
        return eb_error_set(err, ENOENT, "container `%s` does not exist", id);
    if (lock && take_lock(st, err) < 0)
        return -1;
    path = eb_state_path(st, "state.json");
    if (eb_read_file(path, STATE_MAX, &data, NULL, err) < 0) {
        int e = err->code;
        if (e == ENOENT && stat(st->dir, &sb) == 0) {
            /* Created by a runtime that died before the first save: all
             * there is to clean is the directory. */
            eb_error_clear(err);
            st->creating = true;
            *out = eb_steal_ptr(st);
            return 0;
        }
        if (e == ENOENT)
            return eb_error_set(err, ENOENT, "container `%s` does not exist", id);
        return eb_error_wrap(err, "load state of `%s`", id);
    }
    o = json_tokener_parse(data);
    if (o == NULL || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return eb_error_set(err, EINVAL, "state of container `%s` is corrupt", id);
    }
    st->bundle = eb_xstrdup(jstr(o, "bundle"));
    st->rootfs = eb_xstrdup(jstr(o, "rootfs"));
    st->created = eb_xstrdup(jstr(o, "created"));
    st->owner = eb_xstrdup(jstr(o, "owner"));
    st->cgroup_path = eb_xstrdup(jstr(o, "cgroupPath"));
    st->isolation = eb_xstrdup(jstr(o, "isolation") ? jstr(o, "isolation") : "runc");
    st->cgroup_version = (int) jint(o, "cgroupVersion");
    st->pid = (pid_t) jint(o, "pid");
    st->starttime = (unsigned long long) jint(o, "startTime");
    st->creator = (pid_t) jint(o, "creator");
    st->creator_starttime = (unsigned long long) jint(o, "creatorStartTime");
    st->creating = json_object_object_get_ex(o, "creating", &v) && json_object_get_boolean(v);
    if (json_object_object_get_ex(o, "annotations", &v))
        st->annotations_json = eb_xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    *out = eb_steal_ptr(st);
    return 0;
}

int eb_state_save(eb_state_t *st, eb_error_t *err)
{
    json_object *o = json_object_new_object();
    int r;
#define PUT_S(k, v) if (v) json_object_object_add(o, k, json_object_new_string(v))
    PUT_S("id", st->id);
    PUT_S("bundle", st->bundle);
    PUT_S("rootfs", st->rootfs);
    PUT_S("created", st->created);
    PUT_S("owner", st->owner);
    PUT_S("cgroupPath", st->cgroup_path);
    PUT_S("isolation", st->isolation);
#undef PUT_S
    json_object_object_add(o, "cgroupVersion", json_object_new_int(st->cgroup_version));
    json_object_object_add(o, "pid", json_object_new_int(st->pid));
    json_object_object_add(o, "startTime", json_object_new_uint64(st->starttime));
    json_object_object_add(o, "creating", json_object_new_boolean(st->creating));
    json_object_object_add(o, "creator", json_object_new_int(st->creator));
    json_object_object_add(o, "creatorStartTime", json_object_new_uint64(st->creator_starttime));
    if (st->annotations_json) {
        json_object *a = json_tokener_parse(st->annotations_json);
        if (a)
            json_object_object_add(o, "annotations", a);
    }
    {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        r = eb_write_file_atomic(st->dir, "state.json", s, strlen(s), err);
    }
    json_object_put(o);
    return r;
}

static int rm_rf_at(int dfd, const char *name)
{
    _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    if (fd < 0)
        return unlinkat(dfd, name, 0);
    d = fdopendir(fd);
    if (d == NULL)
        return -1;
    fd = -1;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) < 0 && (errno == EISDIR || errno == EPERM))
            rm_rf_at(dirfd(d), de->d_name);
    }
    closedir(d);
    return unlinkat(dfd, name, AT_REMOVEDIR);
}

int eb_state_remove(eb_state_t *st, eb_error_t *err)
{
    if (rm_rf_at(AT_FDCWD, st->dir) < 0 && errno != ENOENT)
        return eb_error_set(err, errno, "remove state directory `%s`", st->dir);
    return 0;
}

void eb_state_free(eb_state_t *st)
{
    if (st == NULL)
        return;
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    free(st->root);
    free(st->dir);
    free(st->id);
    free(st->bundle);
    free(st->rootfs);
    free(st->created);
    free(st->owner);
    free(st->cgroup_path);
    free(st->isolation);
    free(st->annotations_json);
    free(st);
}

eb_status_t eb_state_status(eb_state_t *st)
{
    _cleanup_free_ char *fifo = NULL;
    if (st->creating) {
        if (st->creator && eb_pid_starttime(st->creator) == st->creator_starttime && st->creator_starttime)
            return EB_STATUS_CREATING;
        return EB_STATUS_STOPPED;
    }
    if (st->pid <= 0 || eb_pid_starttime(st->pid) != st->starttime)
        return EB_STATUS_STOPPED;
    fifo = eb_state_path(st, "exec.fifo");
    if (access(fifo, F_OK) == 0)
        return EB_STATUS_CREATED;
    /* The freezer is consulted by the caller that has the cgroup open;
     * here: a stopped (T) init with a frozen cgroup file says paused. */
    return EB_STATUS_RUNNING;
}

char *eb_state_to_json(eb_state_t *st, eb_status_t status, bool pretty)
{
    json_object *o = json_object_new_object();
    char *out;
    json_object_object_add(o, "ociVersion", json_object_new_string(EB_SPEC_OCI_VERSION));
    json_object_object_add(o, "id", json_object_new_string(st->id));
    json_object_object_add(o, "pid", json_object_new_int(status == EB_STATUS_STOPPED ? 0 : st->pid));
    json_object_object_add(o, "status", json_object_new_string(eb_status_names[status]));
    json_object_object_add(o, "bundle", json_object_new_string(st->bundle ? st->bundle : ""));
    json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs ? st->rootfs : ""));
    json_object_object_add(o, "created", json_object_new_string(st->created ? st->created : ""));
    json_object_object_add(o, "owner", json_object_new_string(st->owner ? st->owner : ""));
    if (st->annotations_json) {
        json_object *a = json_tokener_parse(st->annotations_json);
        if (a)
            json_object_object_add(o, "annotations", a);
    }
    out = eb_xstrdup(json_object_to_json_string_ext(o, (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN)
                                                          | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

int eb_state_list(const char *root, char ***ids, size_t *n, eb_error_t *err)
{
    _cleanup_closedir_ DIR *d = opendir(root);
    struct dirent *de;
    size_t cap = 16;
    *ids = NULL;
    *n = 0;
    if (d == NULL) {
        if (errno == ENOENT)
            return 0;
        return eb_error_set(err, errno, "open `%s`", root);
    }
    *ids = eb_xcalloc(cap, sizeof(char *));
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !eb_id_valid(de->d_name))
            continue;
        if (*n == cap) {
            cap *= 2;
            *ids = eb_xrealloc(*ids, cap * sizeof(char *));
        }
        (*ids)[(*n)++] = eb_xstrdup(de->d_name);
    }
    qsort(*ids, *n, sizeof(char *), cmp_str);
    return 0;
}
