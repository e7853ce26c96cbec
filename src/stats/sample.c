/* sample.c - the one collector of both classes. */
#include "stats/sample.h"
#include "class/class.h"
#include "spec/cri.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *ann(json_object *a, const char *k1, const char *k2)
{
    json_object *v = NULL;

    if ((json_object_object_get_ex(a, k1, &v) || (k2 && json_object_object_get_ex(a, k2, &v)))
        && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? eb_xstrdup(s) : NULL;
}

/* containerd's keys first, then CRI-O's. */
static void identity(eb_sample_t *s, const char *annotations_json)
{
    json_object *a = annotations_json ? json_tokener_parse(annotations_json) : NULL;
    const char *type;

    if (!a || !json_object_is_type(a, json_type_object)) {
        json_object_put(a);
        return;
    }
    type = ann(a, EB_CRI_TYPE, EB_CRIO_TYPE);
    s->is_sandbox = type && strcmp(type, "sandbox") == 0;
    s->sandbox_id = dup_or_null(ann(a, EB_CRI_SANDBOX_ID, EB_CRIO_SANDBOX_ID));
    s->pod_name = dup_or_null(ann(a, EB_CRI_POD_NAME, EB_CRIO_POD_NAME));
    s->pod_namespace = dup_or_null(ann(a, EB_CRI_POD_NAMESPACE, EB_CRIO_POD_NAMESPACE));
    s->pod_uid = dup_or_null(ann(a, EB_CRI_POD_UID, EB_CRIO_POD_UID));
    s->container_name = dup_or_null(ann(a, EB_CRI_CONTAINER_NAME, EB_CRIO_CONTAINER_NAME));
    s->image = dup_or_null(ann(a, EB_CRI_IMAGE, EB_CRIO_IMAGE));
    /* a sandbox without the sandbox-id annotation is its own sandbox */
    if (s->is_sandbox && !s->sandbox_id)
        s->sandbox_id = eb_xstrdup(s->id);
    json_object_put(a);
}

static double rfc3339_seconds(const char *ts)
{
    double secs;

    return eb_rfc3339_parse(ts, &secs) == 0 ? secs : 0;
}

static uint64_t wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

int eb_sample_collect(const char *root, const char *id, eb_sample_t *s, eb_error_t *err)
{
    const eb_class_t *class = eb_class_of_container(root, id);
    eb_state_t *state = NULL;
    int rc;

    memset(s, 0, sizeof(*s));
    s->id = eb_xstrdup(id);
    s->klass = class->name;
    s->host_view = class->host_view;
    if (eb_state_load(root, id, false, &state, err) < 0)
        return -1;
    identity(s, state->annotations_json);
    s->created = rfc3339_seconds(state->created);
    s->rootfs = dup_or_null(state->rootfs);
    s->pid = state->pid;
    s->cgroup = dup_or_null(state->cgroup_path);
    eb_state_free(state);
    rc = class->stats(root, id, &s->st, err);
    s->time_ns = wall_ns();
    return rc;
}

/* The upper dir of the overlay mounted at PATH, from mountinfo. */
static char *overlay_upper(const char *path)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL, *found = NULL;
    size_t cap = 0;

    while (f && getline(&line, &cap, f) > 0) {
        char mnt[4096], fstype[64];
        const char *sep = strstr(line, " - "), *up;
        if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 || strcmp(mnt, path) != 0)
            continue;
        if (sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "overlay") != 0)
            continue;
        up = strstr(sep, "upperdir=");
        free(found);
        found = up ? strndup(up + 9, strcspn(up + 9, ", \n")) : NULL;
    }
    free(line);
    return found;
}

static void walk(int dfd, uint64_t *bytes, uint64_t *inodes, size_t *left, int depth)
{
    DIR *d = fdopendir(dfd);
    struct dirent *e;

    if (!d) {
        close(dfd);
        return;
    }
    while (*left && (e = readdir(d))) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        (*left)--;
        (*inodes)++;
        *bytes += (uint64_t) st.st_blocks * 512;
        if (S_ISDIR(st.st_mode) && depth < 64) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                walk(sub, bytes, inodes, left, depth + 1);
        }
    }
    closedir(d);
}

int eb_sample_rootfs_usage(eb_sample_t *s, size_t max_entries)
{
    _cleanup_free_ char *upper = s->rootfs ? overlay_upper(s->rootfs) : NULL;
    const char *dir = upper ? upper : s->rootfs;
    size_t left = max_entries;
    int fd;

    if (!dir || (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    s->rootfs_bytes = s->rootfs_inodes = 0;
    walk(fd, &s->rootfs_bytes, &s->rootfs_inodes, &left, 0);
    s->have_rootfs = left > 0;    /* a cut-short walk is not a measurement */
    return s->have_rootfs ? 0 : -1;
}

void eb_sample_free(eb_sample_t *s)
{
    free(s->id);
    free(s->sandbox_id);
    free(s->pod_name);
    free(s->pod_namespace);
    free(s->pod_uid);
    free(s->container_name);
    free(s->image);
    free(s->cgroup);
    free(s->rootfs);
    memset(s, 0, sizeof(*s));
}
