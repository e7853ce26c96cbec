/* cgroup_v2.c - the unified-hierarchy back-end (the guest kernel and modern
 * hosts).  Devices are enforced by an eBPF program (cgroup_bpf.c). */
#include "core/cgroup_internal.h"
#include "core/stats.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#define V2_ROOT "/sys/fs/cgroup"

static const char *v2_dir(eb_cgroup_t *cg) { return cg->nh ? cg->h[0].dir : NULL; }

/* Delegate every controller LEVEL has to its children.  A controller the
 * kernel refuses (e.g. busy) is left out, not an error: the write of a
 * limit for it reports that precisely later. */
static void delegate_all(const char *level)
{
    _cleanup_free_ char *ctrls = NULL;
    _cleanup_free_ char *cf = eb_strdup_printf("%s/cgroup.controllers", level);
    eb_error_t e = { 0 };
    char *tok, *save = NULL;
    if (eb_read_file(cf, 4096, &ctrls, NULL, &e) < 0)
        return;
    for (tok = strtok_r(ctrls, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
        eb_cg_writef(level, "cgroup.subtree_control", &e, "+%s", tok);
}

int eb_cg_v2_enable_controllers(const char *dir, const char *path, eb_error_t *err)
{
    _cleanup_free_ char *level = eb_xstrdup(dir);
    char *slash;
    /* Each '/' of PATH inside DIR ends one level, from the mount itself
     * down to the container cgroup's parent. */
    for (slash = level + strlen(dir) - strlen(path); slash; slash = strchr(slash + 1, '/')) {
        *slash = 0;
        /* Parents are made here, before their children: a controller
         * must be on in a parent's subtree_control when the child is
         * created for the child to get its files. */
        if (mkdir(level, 0755) < 0 && errno != EEXIST) {
            int e = errno;
            *slash = '/';
            return eb_error_set(err, e, "mkdir cgroup `%s`", level);
        }
        delegate_all(level);
        *slash = '/';
    }
    return 0;
}

static int v2_init(eb_cgroup_t *cg, bool create, eb_error_t *err)
{
    cg->h = eb_xcalloc(1, sizeof(*cg->h));
    cg->h[0].controllers = eb_xstrdup("");
    cg->h[0].dir = eb_strdup_printf(V2_ROOT "%s", cg->path);
    cg->nh = 1;
    if (!create)
        return access(cg->h[0].dir, F_OK) == 0 ? 0
               : eb_error_set(err, ENOENT, "cgroup `%s` does not exist", cg->path);
    if (eb_cg_v2_enable_controllers(cg->h[0].dir, cg->path, err) < 0)
        return -1;
    return eb_cg_mkdir(V2_ROOT, cg->path, NULL, err);
}

static int v2_enter(eb_cgroup_t *cg, pid_t pid, eb_error_t *err)
{
    return eb_cg_writef(v2_dir(cg), "cgroup.procs", err, "%d", (int) pid);
}

int eb_cg_v2_hugetlb(const char *dir, const eb_resources_t *r, eb_error_t *err)
{
    size_t i;
    for (i = 0; i < r->n_hugepage_limits; i++) {
        char f[64];
        snprintf(f, sizeof(f), "hugetlb.%s.max", r->hugepage_limits[i].page_size);
        if (eb_cg_writef(dir, f, err, "%llu", (unsigned long long) r->hugepage_limits[i].limit) < 0)
            return -1;
    }
    return 0;
}

static int v2_cpu(const char *d, const eb_resources_t *r, eb_error_t *err)
{
    if (r->cpu.shares.set && r->cpu.shares.v) {
        /* runc's mapping of [2, 262144] shares onto [1, 10000] weight. */
        uint64_t w = 1 + ((r->cpu.shares.v - 2) * 9999) / 262142;
        if (r->cpu.shares.v < 2)
            w = 1;
        if (eb_cg_writef(d, "cpu.weight", err, "%llu", (unsigned long long) w) < 0)
            return -1;
    }
    if (r->cpu.quota.set || (r->cpu.period.set && r->cpu.period.v)) {
        char quota[32] = "max";
        uint64_t period = r->cpu.period.set && r->cpu.period.v ? r->cpu.period.v : 0;
        if (r->cpu.quota.set && r->cpu.quota.v > 0)
            snprintf(quota, sizeof(quota), "%lld", (long long) r->cpu.quota.v);
        else if (!r->cpu.quota.set) {
            /* Only the period changes: keep the quota in force. */
            char p[4096], *cur = NULL;
            eb_error_t e = { 0 };
            snprintf(p, sizeof(p), "%s/cpu.max", d);
            if (eb_read_file(p, 128, &cur, NULL, &e) == 0) {
                sscanf(cur, "%31s", quota);
                free(cur);
            }
        }
        if (period == 0)
            period = 100000;
        if (eb_cg_writef(d, "cpu.max", err, "%s %llu", quota, (unsigned long long) period) < 0)
            return -1;
    }
    if (r->cpu.burst.set && eb_cg_writef(d, "cpu.max.burst", err, "%llu", (unsigned long long) r->cpu.burst.v) < 0)
        return -1;
    if (r->cpu.idle.set && eb_cg_writef(d, "cpu.idle", err, "%lld", (long long) r->cpu.idle.v) < 0)
        return -1;
    if (r->cpu.realtime_runtime.set || r->cpu.realtime_period.set)
        return eb_error_set(err, ENOTSUP, "realtime CPU limits are not supported by cgroup v2");
    return eb_cg_write_cpuset(d, r, err);
}

static int v2_memory(const char *d, const eb_resources_t *r, eb_error_t *err)
{
    char buf[32];
    if (r->memory.limit.set) {
        if (r->memory.limit.v < 0) strcpy(buf, "max");
        else snprintf(buf, sizeof(buf), "%lld", (long long) r->memory.limit.v);
        if (eb_cg_write(d, "memory.max", buf, err) < 0)
            return -1;
    }
    if (r->memory.swap.set) {
        /* OCI's swap is memory+swap; v2 limits swap alone. */
        if (r->memory.swap.v < 0) strcpy(buf, "max");
        else if (r->memory.limit.set && r->memory.limit.v >= 0) {
            if (r->memory.swap.v < r->memory.limit.v)
                return eb_error_set(err, EINVAL, "memory+swap limit %lld is below the memory limit %lld",
                                    (long long) r->memory.swap.v, (long long) r->memory.limit.v);
            snprintf(buf, sizeof(buf), "%lld", (long long) (r->memory.swap.v - r->memory.limit.v));
        } else
            return eb_error_set(err, EINVAL, "a swap limit needs a memory limit on cgroup v2");
        if (eb_cg_exists(d, "memory.swap.max") && eb_cg_write(d, "memory.swap.max", buf, err) < 0)
            return -1;
    }
    if (r->memory.reservation.set) {
        if (r->memory.reservation.v < 0) strcpy(buf, "max");
        else snprintf(buf, sizeof(buf), "%lld", (long long) r->memory.reservation.v);
        if (eb_cg_write(d, "memory.low", buf, err) < 0)
            return -1;
    }
    if (r->memory.kernel.set || r->memory.kernel_tcp.set)
        eb_warn("kernel memory limits do not exist in cgroup v2: ignored");
    if (r->memory.disable_oom_killer)
        eb_warn("disableOOMKiller has no cgroup v2 equivalent: ignored");
    return 0;
}

static int v2_io(const char *d, const eb_resources_t *r, eb_error_t *err)
{
    static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
    size_t i;
    int t;
    if (r->blkio.weight.set && r->blkio.weight.v) {
        /* blkio weight [10,1000] to io weight [1,10000]. */
        uint64_t w = 1 + (r->blkio.weight.v - 10) * 9999 / 990;
        if (eb_cg_exists(d, "io.bfq.weight")) {
            if (eb_cg_writef(d, "io.bfq.weight", err, "%llu", (unsigned long long) r->blkio.weight.v) < 0)
                return -1;
        } else if (eb_cg_writef(d, "io.weight", err, "default %llu", (unsigned long long) w) < 0)
            return -1;
    }
    for (t = 0; t < 4; t++)
        for (i = 0; i < r->blkio.n_throttle[t]; i++) {
            const eb_blkio_throttle_t *th = &r->blkio.throttle[t][i];
            if (eb_cg_writef(d, "io.max", err, "%lld:%lld %s=%llu", (long long) th->major,
                             (long long) th->minor, keys[t], (unsigned long long) th->rate) < 0)
                return -1;
        }
    return 0;
}

static int v2_apply(eb_cgroup_t *cg, const eb_resources_t *r, const eb_spec_t *spec, bool update,
                    eb_error_t *err)
{
    const char *d = v2_dir(cg);
    size_t i;
    if (v2_cpu(d, r, err) < 0 || v2_memory(d, r, err) < 0 || v2_io(d, r, err) < 0)
        return -1;
    if (r->pids_limit.set) {
        if (r->pids_limit.v > 0 ? eb_cg_writef(d, "pids.max", err, "%lld", (long long) r->pids_limit.v) < 0
                                : eb_cg_write(d, "pids.max", "max", err) < 0)
            return -1;
    }
    if (eb_cg_v2_hugetlb(d, r, err) < 0)
        return -1;
    if (r->network.class_id.set || r->network.n_priorities)
        eb_warn("net_cls/net_prio do not exist in cgroup v2: ignored");
    for (i = 0; i < r->n_unified; i++)
        if (eb_cg_write(d, r->unified[i].key, r->unified[i].value, err) < 0)
            return eb_error_wrap(err, "linux.resources.unified");
    if (!update || r->n_devices) {
        _cleanup_free_ eb_device_rule_t *rules = NULL;
        _cleanup_close_ int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        size_t n = eb_cgroup_device_rules(r, spec, &rules);
        if (dfd < 0)
            return eb_error_set(err, errno, "open cgroup `%s`", d);
        if (eb_cgroup_bpf_devices(dfd, rules, n, err) < 0)
            return -1;
    }
    return 0;
}

static int v2_freeze(eb_cgroup_t *cg, bool freeze, eb_error_t *err)
{
    const char *d = v2_dir(cg);
    int i;
    if (eb_cg_write(d, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
        return -1;
    for (i = 0; i < 2000; i++) {
        uint64_t v = 0;
        if (eb_cg_read_keyed(d, "cgroup.events", "frozen", &v) == 0 && v == (freeze ? 1u : 0u))
            return 0;
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    return eb_error_set(err, EBUSY, "cgroup `%s` did not %s", cg->path, freeze ? "freeze" : "thaw");
}

static int v2_is_frozen(eb_cgroup_t *cg)
{
    uint64_t v;
    if (eb_cg_read_u64(v2_dir(cg), "cgroup.freeze", &v) < 0)
        return -1;
    return v != 0;
}

static int v2_stats(eb_cgroup_t *cg, eb_stats_t *st, eb_error_t *err)
{
    const char *d = v2_dir(cg);
    char p[4096], line[256];
    uint64_t v;
    FILE *f;
    (void) err;
    if (eb_cg_read_keyed(d, "cpu.stat", "usage_usec", &v) == 0) st->cpu.total = v * 1000;
    if (eb_cg_read_keyed(d, "cpu.stat", "user_usec", &v) == 0) st->cpu.user = v * 1000;
    if (eb_cg_read_keyed(d, "cpu.stat", "system_usec", &v) == 0) st->cpu.kernel = v * 1000;
    eb_cg_read_keyed(d, "cpu.stat", "nr_periods", &st->cpu.periods);
    eb_cg_read_keyed(d, "cpu.stat", "nr_throttled", &st->cpu.throttled_periods);
    if (eb_cg_read_keyed(d, "cpu.stat", "throttled_usec", &v) == 0) st->cpu.throttled_time = v * 1000;
    eb_cg_read_u64(d, "memory.current", &st->memory.usage.usage);
    eb_cg_read_u64(d, "memory.peak", &st->memory.usage.max);
    eb_cg_read_u64(d, "memory.max", &st->memory.usage.limit);
    eb_cg_read_u64(d, "memory.swap.current", &st->memory.swap.usage);
    eb_cg_read_u64(d, "memory.swap.max", &st->memory.swap.limit);
    eb_cg_read_keyed(d, "memory.events", "max", &st->memory.usage.failcnt);
    eb_cg_read_keyed(d, "memory.events", "oom_kill", &st->memory.oom_kill);
    snprintf(p, sizeof(p), "%s/memory.stat", d);
    if ((f = fopen(p, "re")) != NULL) {
        while (fgets(line, sizeof(line), f) && st->memory.n_raw < EB_STATS_MAX_ENTRIES) {
            eb_stat_kv_t *kv = &st->memory.raw[st->memory.n_raw];
            unsigned long long x;
            if (sscanf(line, "%63s %llu", kv->key, &x) == 2) {
                kv->value = x;
                st->memory.n_raw++;
                if (strcmp(kv->key, "file") == 0)
                    st->memory.cache = x;
            }
        }
        fclose(f);
    }
    eb_cg_read_u64(d, "pids.current", &st->pids.current);
    if (eb_cg_read_u64(d, "pids.max", &st->pids.limit) == 0 && st->pids.limit == UINT64_MAX)
        st->pids.limit = 0;
    snprintf(p, sizeof(p), "%s/io.stat", d);
    if ((f = fopen(p, "re")) != NULL) {
        while (fgets(line, sizeof(line), f)) {
            unsigned long long maj, min, rb = 0, wb = 0, ri = 0, wi = 0;
            char *tok, *save = NULL;
            if (sscanf(line, "%llu:%llu", &maj, &min) != 2)
                continue;
            for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
                sscanf(tok, "rbytes=%llu", &rb);
                sscanf(tok, "wbytes=%llu", &wb);
                sscanf(tok, "rios=%llu", &ri);
                sscanf(tok, "wios=%llu", &wi);
            }
            if (st->blkio.n_service_bytes + 2 <= EB_STATS_MAX_ENTRIES) {
                eb_blkio_entry_t *e = &st->blkio.service_bytes[st->blkio.n_service_bytes];
                e[0] = (eb_blkio_entry_t) { maj, min, "Read", rb };
                e[1] = (eb_blkio_entry_t) { maj, min, "Write", wb };
                st->blkio.n_service_bytes += 2;
                e = &st->blkio.serviced[st->blkio.n_serviced];
                e[0] = (eb_blkio_entry_t) { maj, min, "Read", ri };
                e[1] = (eb_blkio_entry_t) { maj, min, "Write", wi };
                st->blkio.n_serviced += 2;
            }
        }
        fclose(f);
    }
    return 0;
}

static int v2_oom_watch(eb_cgroup_t *cg, eb_error_t *err)
{
    _cleanup_free_ char *p = eb_strdup_printf("%s/memory.events", v2_dir(cg));
    int fd;
    if (cg->oom_efd >= 0)
        return cg->oom_efd;
    fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0)
        return eb_error_set(err, errno, "inotify_init1");
    if (inotify_add_watch(fd, p, IN_MODIFY) < 0) {
        eb_error_set(err, errno, "watch `%s`", p);
        close(fd);
        return -1;
    }
    cg->oom_efd = fd;
    return fd;
}

static uint64_t v2_oom_count(eb_cgroup_t *cg)
{
    uint64_t v = 0;
    eb_cg_read_keyed(v2_dir(cg), "memory.events", "oom_kill", &v);
    return v;
}

static const char *v2_procs_dir(eb_cgroup_t *cg) { return v2_dir(cg); }

const struct eb_cgroup_ops eb_cgroup_v2_ops = {
    .version = 2,
    .init = v2_init,
    .enter = v2_enter,
    .apply = v2_apply,
    .freeze = v2_freeze,
    .is_frozen = v2_is_frozen,
    .stats = v2_stats,
    .oom_watch = v2_oom_watch,
    .oom_count = v2_oom_count,
    .procs_dir = v2_procs_dir,
};
