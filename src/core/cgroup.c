/* cgroup.c - the front of the cgroup module: host detection, path
 * resolution, and the operations common to both versions (members,
 * signalling, destruction). */
#include "core/cgroup_internal.h"
#include "core/stats.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

int eb_cgroup_host_version(void)
{
    struct statfs sf;
    if (statfs("/sys/fs/cgroup", &sf) < 0)
        return 0;
    if (sf.f_type == CGROUP2_SUPER_MAGIC)
        return 2;
    if (sf.f_type == TMPFS_MAGIC)
        return 1;
    return 0;
}

/* The caller's cgroup in the hierarchy holding CONTROLLER ("" for v2). */
static char *own_cgroup(const char *controller)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
    char line[4096];
    if (f == NULL)
        return eb_xstrdup("/");
    while (fgets(line, sizeof(line), f)) {
        char *ctrls = strchr(line, ':'), *path;
        if (ctrls == NULL)
            continue;
        ctrls++;
        path = strchr(ctrls, ':');
        if (path == NULL)
            continue;
        *path++ = 0;
        path[strcspn(path, "\n")] = 0;
        if (controller[0] == 0 ? ctrls[0] == 0 : strstr(ctrls, controller) != NULL)
            return eb_xstrdup(path);
    }
    return eb_xstrdup("/");
}

char *eb_cgroup_resolve_path(const char *spec_path, const char *id)
{
    _cleanup_free_ char *base = NULL;
    if (spec_path == NULL || spec_path[0] == 0)
        return eb_strdup_printf("/edgebox/%s", id);
    if (spec_path[0] == '/')
        return eb_xstrdup(spec_path);
    base = own_cgroup(eb_cgroup_host_version() == 2 ? "" : "memory");
    return eb_strdup_printf("%s/%s", strcmp(base, "/") == 0 ? "" : base, spec_path);
}

static int path_is_safe(const char *p)
{
    /* The path is joined under each mount point: ".." would climb out. */
    return p[0] == '/' && strstr(p, "/../") == NULL
        && (strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/..") != 0);
}

static eb_cgroup_t *cg_new(const char *path, int version)
{
    eb_cgroup_t *cg = eb_xcalloc(1, sizeof(*cg));
    cg->ops = version == 2 ? &eb_cgroup_v2_ops : &eb_cgroup_v1_ops;
    cg->path = eb_xstrdup(path);
    cg->oom_efd = -1;
    return cg;
}

int eb_cgroup_create(const char *path, eb_cgroup_t **out, eb_error_t *err)
{
    int version = eb_cgroup_host_version();
    eb_cgroup_t *cg;
    if (version == 0)
        return eb_error_set(err, ENOENT, "no cgroup filesystem mounted at /sys/fs/cgroup");
    if (!path_is_safe(path))
        return eb_error_set(err, EINVAL, "invalid cgroup path `%s`", path);
    cg = cg_new(path, version);
    if (cg->ops->init(cg, true, err) < 0) {
        eb_error_t ignored = { 0 };
        eb_cgroup_destroy(cg, &ignored);
        eb_cgroup_free(cg);
        return eb_error_wrap(err, "create cgroup `%s`", path);
    }
    *out = cg;
    return 0;
}

eb_cgroup_t *eb_cgroup_open(const char *path, int version)
{
    eb_cgroup_t *cg;
    eb_error_t err = { 0 };
    if (path == NULL || !path_is_safe(path))
        return NULL;
    cg = cg_new(path, version);
    if (cg->ops->init(cg, false, &err) < 0) {
        eb_cgroup_free(cg);
        return NULL;
    }
    return cg;
}

void eb_cgroup_free(eb_cgroup_t *cg)
{
    size_t i;
    if (cg == NULL)
        return;
    for (i = 0; i < cg->nh; i++) {
        free(cg->h[i].controllers);
        free(cg->h[i].dir);
    }
    if (cg->oom_efd >= 0)
        close(cg->oom_efd);
    free(cg->h);
    free(cg->unified_dir);
    free(cg->path);
    free(cg);
}

const char *eb_cgroup_path(const eb_cgroup_t *cg) { return cg->path; }
int eb_cgroup_version(const eb_cgroup_t *cg) { return cg->ops->version; }

int eb_cgroup_enter(eb_cgroup_t *cg, pid_t pid, eb_error_t *err)
{
    return cg->ops->enter(cg, pid, err);
}

int eb_cgroup_apply(eb_cgroup_t *cg, const eb_resources_t *res, const eb_spec_t *spec, bool update,
                    eb_error_t *err)
{
    return cg->ops->apply(cg, res, spec, update, err);
}

int eb_cgroup_freeze(eb_cgroup_t *cg, bool freeze, eb_error_t *err)
{
    return cg->ops->freeze(cg, freeze, err);
}

int eb_cgroup_is_frozen(eb_cgroup_t *cg) { return cg->ops->is_frozen(cg); }

int eb_cgroup_stats(eb_cgroup_t *cg, eb_stats_t *st, eb_error_t *err)
{
    return cg->ops->stats(cg, st, err);
}

int eb_cgroup_oom_watch(eb_cgroup_t *cg, eb_error_t *err) { return cg->ops->oom_watch(cg, err); }
uint64_t eb_cgroup_oom_count(eb_cgroup_t *cg) { return cg->ops->oom_count(cg); }

int eb_cgroup_pids(eb_cgroup_t *cg, pid_t **pids, size_t *n, eb_error_t *err)
{
    const char *dir = cg->ops->procs_dir(cg);
    _cleanup_free_ char *path = NULL;
    _cleanup_fclose_ FILE *f = NULL;
    size_t cap = 16;
    long v;

    *pids = NULL;
    *n = 0;
    if (dir == NULL)
        return eb_error_set(err, ENOENT, "cgroup `%s` has no process list", cg->path);
    path = eb_strdup_printf("%s/cgroup.procs", dir);
    f = fopen(path, "re");
    if (f == NULL)
        return eb_error_set(err, errno, "open `%s`", path);
    *pids = eb_xcalloc(cap, sizeof(pid_t));
    while (fscanf(f, "%ld", &v) == 1) {
        if (*n == cap) {
            cap *= 2;
            *pids = eb_xrealloc(*pids, cap * sizeof(pid_t));
        }
        (*pids)[(*n)++] = (pid_t) v;
    }
    return 0;
}

int eb_cgroup_signal_all(eb_cgroup_t *cg, int sig, eb_error_t *err)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n, i;
    if (eb_cgroup_pids(cg, &pids, &n, err) < 0)
        return -1;
    for (i = 0; i < n; i++)
        if (kill(pids[i], sig) < 0 && errno != ESRCH)
            return eb_error_set(err, errno, "kill %d", (int) pids[i]);
    return 0;
}

static int kill_all(eb_cgroup_t *cg)
{
    const char *dir = cg->ops->procs_dir(cg);
    int round;
    if (dir == NULL || access(dir, F_OK) < 0)
        return 0;
    if (cg->ops->version == 2) {
        _cleanup_free_ char *kp = eb_strdup_printf("%s/cgroup.kill", dir);
        eb_error_t e = { 0 };
        if (access(kp, F_OK) == 0)
            eb_write_file(kp, "1", 1, &e);
    }
    /* Freeze so a fork bomb can't outrun us, SIGKILL everything, thaw so the
     * kill is delivered; repeat until the cgroup is empty (bounded). */
    for (round = 0; round < 500; round++) {
        _cleanup_free_ pid_t *pids = NULL;
        eb_error_t e = { 0 };
        size_t n = 0, i;
        int frozen = eb_cgroup_freeze(cg, true, &e) == 0;
        if (eb_cgroup_pids(cg, &pids, &n, &e) < 0 || n == 0) {
            if (frozen)
                eb_cgroup_freeze(cg, false, &e);
            return 0;
        }
        for (i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        if (frozen)
            eb_cgroup_freeze(cg, false, &e);
        {
            struct timespec ts = { 0, round < 10 ? 1000000 : 10000000 };
            nanosleep(&ts, NULL);
        }
    }
    return -1;
}

static int rmdir_retry(const char *dir, eb_error_t *err)
{
    int i;
    for (i = 0; i < 200; i++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            return eb_error_set(err, errno, "remove cgroup `%s`", dir);
        struct timespec ts = { 0, 5000000 };
        nanosleep(&ts, NULL);
    }
    return eb_error_set(err, EBUSY, "remove cgroup `%s`", dir);
}

int eb_cgroup_destroy(eb_cgroup_t *cg, eb_error_t *err)
{
    size_t i;
    int ret = 0;
    if (kill_all(cg) < 0)
        ret = eb_error_set(err, EBUSY, "processes of cgroup `%s` survive SIGKILL", cg->path);
    for (i = 0; i < cg->nh; i++)
        if (rmdir_retry(cg->h[i].dir, err) < 0)
            ret = -1;
    if (cg->unified_dir && rmdir_retry(cg->unified_dir, err) < 0)
        ret = -1;
    return ret;
}

int eb_cg_write(const char *dir, const char *file, const char *value, eb_error_t *err)
{
    _cleanup_free_ char *p = eb_strdup_printf("%s/%s", dir, file);
    eb_debug("cgroup: %s <- %s", p, value);
    return eb_write_file(p, value, strlen(value), err);
}

int eb_cg_write_cpuset(const char *dir, const eb_resources_t *r, eb_error_t *err)
{
    if (r->cpu.cpus && r->cpu.cpus[0] && eb_cg_write(dir, "cpuset.cpus", r->cpu.cpus, err) < 0)
        return -1;
    if (r->cpu.mems && r->cpu.mems[0] && eb_cg_write(dir, "cpuset.mems", r->cpu.mems, err) < 0)
        return -1;
    return 0;
}

int eb_cg_writef(const char *dir, const char *file, eb_error_t *err, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return eb_cg_write(dir, file, buf, err);
}

bool eb_cg_exists(const char *dir, const char *file)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, file);
    return access(p, F_OK) == 0;
}

int eb_cg_read_u64(const char *dir, const char *file, uint64_t *out)
{
    char path[4096], buf[64];
    _cleanup_close_ int fd = -1;
    ssize_t n;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    buf[strcspn(buf, "\n ")] = 0;
    if (strcmp(buf, "max") == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    return eb_parse_u64(buf, out);
}

int eb_cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out)
{
    char path[4096], line[256];
    _cleanup_fclose_ FILE *f = NULL;
    size_t kl = strlen(key);
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            line[strcspn(line, "\n")] = 0;
            return eb_parse_u64(line + kl + 1, out);
        }
    return -1;
}

int eb_cg_mkdir(const char *base, const char *path, int (*on_level)(const char *, const char *, eb_error_t *),
                eb_error_t *err)
{
    _cleanup_free_ char *full = eb_strdup_printf("%s%s", base, path);
    size_t blen = strlen(base);
    char *s;
    for (s = full + blen + 1; ; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(full, 0755) == 0) {
                if (on_level) {
                    char *slash = strrchr(full, '/');
                    *slash = 0;
                    int r = on_level(full, slash + 1, err);
                    *slash = '/';
                    if (r < 0)
                        return -1;
                }
            } else if (errno != EEXIST) {
                return eb_error_set(err, errno, "mkdir `%s`", full);
            }
            *s = c;
            if (c == 0)
                break;
        }
    }
    return 0;
}

int eb_cgroup_mount(eb_cgroup_t *cg, const char *target, unsigned long flags, bool cgroupns,
                    eb_error_t *err)
{
    unsigned long mflags = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
    size_t i;

    if (cg->ops->version == 2) {
        if (cgroupns) {
            if (mount("cgroup2", target, "cgroup2", mflags, NULL) < 0)
                return eb_error_set(err, errno, "mount cgroup2 on `%s`", target);
            return 0;
        }
        if (mount(cg->h[0].dir, target, NULL, MS_BIND | MS_REC, NULL) < 0
            || mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | mflags, NULL) < 0)
            return eb_error_set(err, errno, "bind cgroup `%s` on `%s`", cg->h[0].dir, target);
        return 0;
    }
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
        return eb_error_set(err, errno, "mount tmpfs on `%s`", target);
    for (i = 0; i < cg->nh + (cg->unified_dir ? 1 : 0); i++) {
        const char *ctrls = i < cg->nh ? cg->h[i].controllers : NULL;
        const char *src = i < cg->nh ? cg->h[i].dir : cg->unified_dir;
        const char *name = ctrls == NULL ? "unified"
                           : strncmp(ctrls, "name=", 5) == 0 ? ctrls + 5 : ctrls;
        _cleanup_free_ char *sub = eb_strdup_printf("%s/%s", target, name);
        if (mkdir(sub, 0755) < 0 && errno != EEXIST)
            return eb_error_set(err, errno, "mkdir `%s`", sub);
        if (access(src, F_OK) < 0)
            continue;
        if (cgroupns) {
            int r = ctrls ? mount("cgroup", sub, "cgroup", mflags, ctrls)
                          : mount("cgroup2", sub, "cgroup2", mflags, NULL);
            if (r < 0)
                return eb_error_set(err, errno, "mount cgroup `%s` on `%s`", name, sub);
        } else if (mount(src, sub, NULL, MS_BIND | MS_REC, NULL) < 0
                   || mount(NULL, sub, NULL, MS_BIND | MS_REMOUNT | mflags, NULL) < 0) {
            return eb_error_set(err, errno, "bind cgroup `%s` on `%s`", src, sub);
        }
    }
    if ((flags & MS_RDONLY) && mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
        return eb_error_set(err, errno, "remount `%s` read-only", target);
    return 0;
}
