/* cgroup_v1.c - the legacy (and hybrid) cgroup back-end: one directory per
 * mounted hierarchy.  In hybrid mode the unified hierarchy is joined as well
 * and serves the controllers only it holds (hugetlb on this kind of host). */
#include "core/cgroup_internal.h"
#include "core/stats.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static const char *const known_ctrls[] = {
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb",
    "net_cls", "net_prio", "perf_event", "rdma", "misc", NULL,
};

static int is_ctrl_token(const char *t)
{
    const char *const *k;
    if (strncmp(t, "name=", 5) == 0)
        return 1;
    for (k = known_ctrls; *k; k++)
        if (strcmp(*k, t) == 0)
            return 1;
    return 0;
}

static const char *hier_dir(eb_cgroup_t *cg, const char *ctrl)
{
    size_t i, l = strlen(ctrl);
    for (i = 0; i < cg->nh; i++) {
        const char *c = cg->h[i].controllers;
        while ((c = strstr(c, ctrl)) != NULL) {
            if ((c == cg->h[i].controllers || c[-1] == ',') && (c[l] == 0 || c[l] == ','))
                return cg->h[i].dir;
            c += l;
        }
    }
    return NULL;
}

static int copy_cpuset_parent(const char *parent, const char *name, eb_error_t *err)
{
    static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
    _cleanup_free_ char *dir = eb_strdup_printf("%s/%s", parent, name);
    size_t i;
    /* A new cpuset cgroup starts empty and refuses tasks until filled. */
    for (i = 0; i < 2; i++) {
        _cleanup_free_ char *val = NULL;
        _cleanup_free_ char *p = eb_strdup_printf("%s/%s", parent, files[i]);
        if (eb_read_file(p, 65536, &val, NULL, err) < 0)
            return -1;
        val[strcspn(val, "\n")] = 0;
        if (val[0] && eb_cg_write(dir, files[i], val, err) < 0)
            return -1;
    }
    return 0;
}

static int v1_init(eb_cgroup_t *cg, bool create, eb_error_t *err)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL;
    size_t cap = 0, hcap = 0;
    int found = 0;

    if (f == NULL)
        return eb_error_set(err, errno, "open /proc/self/mountinfo");
    while (getline(&line, &cap, f) > 0) {
        char *sep = strstr(line, " - "), *fields[6] = { 0 }, *save = NULL, *fstype, *opts, *tok;
        char ctrls[256] = "";
        int i;
        if (sep == NULL)
            continue;
        *sep = 0;
        fields[0] = strtok_r(line, " ", &save);
        for (i = 1; i < 6 && fields[i - 1]; i++)
            fields[i] = strtok_r(NULL, " ", &save);
        if (fields[4] == NULL)
            continue;
        save = NULL;
        fstype = strtok_r(sep + 3, " ", &save);
        strtok_r(NULL, " ", &save); /* source */
        opts = strtok_r(NULL, " \n", &save);
        if (fstype == NULL || opts == NULL)
            continue;
        if (strcmp(fstype, "cgroup2") == 0) {
            if (cg->unified_dir == NULL)
                cg->unified_dir = eb_strdup_printf("%s%s", fields[4], cg->path);
            continue;
        }
        if (strcmp(fstype, "cgroup") != 0)
            continue;
        save = NULL;
        for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (is_ctrl_token(tok) && strlen(ctrls) + strlen(tok) + 2 < sizeof(ctrls)) {
                if (ctrls[0])
                    strcat(ctrls, ",");
                strcat(ctrls, tok);
            }
        if (ctrls[0] == 0)
            continue;
        /* The same hierarchy can be mounted twice: keep the first. */
        for (i = 0; (size_t) i < cg->nh; i++)
            if (strcmp(cg->h[i].controllers, ctrls) == 0)
                break;
        if ((size_t) i < cg->nh)
            continue;
        if (cg->nh == hcap) {
            hcap = hcap ? hcap * 2 : 16;
            cg->h = eb_xrealloc(cg->h, hcap * sizeof(*cg->h));
        }
        cg->h[cg->nh].controllers = eb_xstrdup(ctrls);
        cg->h[cg->nh].dir = eb_strdup_printf("%s%s", fields[4], cg->path);
        cg->nh++;
    }
    free(line);
    if (cg->nh == 0)
        return eb_error_set(err, ENOENT, "no cgroup v1 hierarchy is mounted");
    if (!create) {
        size_t i;
        for (i = 0; i < cg->nh; i++)
            if (access(cg->h[i].dir, F_OK) == 0)
                found = 1;
        return found ? 0 : eb_error_set(err, ENOENT, "cgroup `%s` does not exist", cg->path);
    }
    {
        size_t i;
        for (i = 0; i < cg->nh; i++) {
            size_t base = strlen(cg->h[i].dir) - strlen(cg->path);
            _cleanup_free_ char *mnt = eb_strdup_printf("%.*s", (int) base, cg->h[i].dir);
            int is_cpuset = strstr(cg->h[i].controllers, "cpuset") != NULL;
            if (eb_cg_mkdir(mnt, cg->path, is_cpuset ? copy_cpuset_parent : NULL, err) < 0)
                return -1;
        }
        if (cg->unified_dir) {
            size_t base = strlen(cg->unified_dir) - strlen(cg->path);
            _cleanup_free_ char *mnt = eb_strdup_printf("%.*s", (int) base, cg->unified_dir);
            if (eb_cg_mkdir(mnt, cg->path, NULL, err) < 0)
                return -1;
        }
    }
    return 0;
}

static int v1_enter(eb_cgroup_t *cg, pid_t pid, eb_error_t *err)
{
    size_t i;
    for (i = 0; i < cg->nh; i++)
        if (eb_cg_writef(cg->h[i].dir, "cgroup.procs", err, "%d", (int) pid) < 0)
            return -1;
    if (cg->unified_dir && eb_cg_writef(cg->unified_dir, "cgroup.procs", err, "%d", (int) pid) < 0)
        return -1;
    return 0;
}

static int v1_memory(const char *d, const eb_resources_t *r, eb_error_t *err)
{
    if (d == NULL) {
        if (r->memory.limit.set || r->memory.swap.set || r->memory.reservation.set)
            return eb_error_set(err, ENOTSUP, "memory limits requested but the memory cgroup is not mounted");
        return 0;
    }
    if (r->memory.swap.set && !eb_cg_exists(d, "memory.memsw.limit_in_bytes")) {
        if (r->memory.limit.set && r->memory.swap.v > 0 && r->memory.swap.v != r->memory.limit.v)
            eb_warn("swap limit ignored: the kernel has no swap accounting (memory.memsw)");
    } else if (r->memory.swap.set) {
        /* memsw must stay >= limit: raising needs memsw first, lowering
         * needs limit first.  Try one order and fall back to the other. */
        eb_error_t tmp = { 0 };
        if (eb_cg_writef(d, "memory.memsw.limit_in_bytes", &tmp, "%lld", (long long) r->memory.swap.v) < 0) {
            if (r->memory.limit.set
                && eb_cg_writef(d, "memory.limit_in_bytes", err, "%lld", (long long) r->memory.limit.v) < 0)
                return -1;
            if (eb_cg_writef(d, "memory.memsw.limit_in_bytes", err, "%lld", (long long) r->memory.swap.v) < 0)
                return -1;
        }
    }
    if (r->memory.limit.set
        && eb_cg_writef(d, "memory.limit_in_bytes", err, "%lld", (long long) r->memory.limit.v) < 0)
        return -1;
    if (r->memory.reservation.set
        && eb_cg_writef(d, "memory.soft_limit_in_bytes", err, "%lld", (long long) r->memory.reservation.v) < 0)
        return -1;
    if (r->memory.kernel_tcp.set
        && eb_cg_writef(d, "memory.kmem.tcp.limit_in_bytes", err, "%lld", (long long) r->memory.kernel_tcp.v) < 0)
        return -1;
    if (r->memory.kernel.set)
        eb_warn("linux.resources.memory.kernel is deprecated and ignored");
    if (r->memory.swappiness.set
        && eb_cg_writef(d, "memory.swappiness", err, "%llu", (unsigned long long) r->memory.swappiness.v) < 0)
        return -1;
    if (r->memory.disable_oom_killer && eb_cg_write(d, "memory.oom_control", "1", err) < 0)
        return -1;
    if (r->memory.use_hierarchy_set && eb_cg_exists(d, "memory.use_hierarchy")
        && eb_cg_write(d, "memory.use_hierarchy", r->memory.use_hierarchy ? "1" : "0", err) < 0)
        return -1;
    return 0;
}

static int v1_cpu(eb_cgroup_t *cg, const eb_resources_t *r, eb_error_t *err)
{
    const char *d = hier_dir(cg, "cpu"), *cs = hier_dir(cg, "cpuset");
    if (d) {
        if (r->cpu.shares.set && r->cpu.shares.v != 0
            && eb_cg_writef(d, "cpu.shares", err, "%llu", (unsigned long long) r->cpu.shares.v) < 0)
            return -1;
        if (r->cpu.period.set && r->cpu.period.v != 0
            && eb_cg_writef(d, "cpu.cfs_period_us", err, "%llu", (unsigned long long) r->cpu.period.v) < 0)
            return -1;
        if (r->cpu.quota.set && r->cpu.quota.v != 0
            && eb_cg_writef(d, "cpu.cfs_quota_us", err, "%lld", (long long) r->cpu.quota.v) < 0)
            return -1;
        if (r->cpu.burst.set && eb_cg_writef(d, "cpu.cfs_burst_us", err, "%llu",
                                             (unsigned long long) r->cpu.burst.v) < 0)
            return -1;
        if (r->cpu.realtime_period.set && r->cpu.realtime_period.v != 0
            && eb_cg_writef(d, "cpu.rt_period_us", err, "%llu", (unsigned long long) r->cpu.realtime_period.v) < 0)
            return -1;
        if (r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.v != 0
            && eb_cg_writef(d, "cpu.rt_runtime_us", err, "%lld", (long long) r->cpu.realtime_runtime.v) < 0)
            return -1;
        if (r->cpu.idle.set && eb_cg_exists(d, "cpu.idle")
            && eb_cg_writef(d, "cpu.idle", err, "%lld", (long long) r->cpu.idle.v) < 0)
            return -1;
    }
    return cs ? eb_cg_write_cpuset(cs, r, err) : 0;
}

static int v1_blkio(const char *d, const eb_resources_t *r, eb_error_t *err)
{
    static const char *const tfiles[4] = {
        "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };
    size_t i;
    int t;
    if (d == NULL)
        return 0;
    if (r->blkio.weight.set && r->blkio.weight.v) {
        const char *wf = eb_cg_exists(d, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
        if (eb_cg_writef(d, wf, err, "%llu", (unsigned long long) r->blkio.weight.v) < 0)
            return -1;
    }
    if (r->blkio.leaf_weight.set && r->blkio.leaf_weight.v
        && eb_cg_writef(d, "blkio.leaf_weight", err, "%llu", (unsigned long long) r->blkio.leaf_weight.v) < 0)
        return -1;
    for (i = 0; i < r->blkio.n_weight_device; i++) {
        const eb_blkio_weight_dev_t *w = &r->blkio.weight_device[i];
        if (w->weight.set && eb_cg_writef(d, "blkio.weight_device", err, "%lld:%lld %llu", (long long) w->major,
                                          (long long) w->minor, (unsigned long long) w->weight.v) < 0)
            return -1;
        if (w->leaf_weight.set && eb_cg_writef(d, "blkio.leaf_weight_device", err, "%lld:%lld %llu",
                                               (long long) w->major, (long long) w->minor,
                                               (unsigned long long) w->leaf_weight.v) < 0)
            return -1;
    }
    for (t = 0; t < 4; t++)
        for (i = 0; i < r->blkio.n_throttle[t]; i++) {
            const eb_blkio_throttle_t *th = &r->blkio.throttle[t][i];
            if (eb_cg_writef(d, tfiles[t], err, "%lld:%lld %llu", (long long) th->major,
                             (long long) th->minor, (unsigned long long) th->rate) < 0)
                return -1;
        }
    return 0;
}

/* linux.resources.network: a limit asked for and not applicable is an
 * error, as for memory and pids, never silence (the kernel may have the
 * controllers without a hierarchy mounted for them, as this host). */
int eb_cg_v1_network(const char *cls, const char *prio, const eb_resources_t *r, eb_error_t *err)
{
    size_t i;
    if (r->network.class_id.set) {
        if (cls == NULL)
            return eb_error_set(err, ENOTSUP, "linux.resources.network.classID requested but no net_cls cgroup "
                                "hierarchy is mounted");
        if (eb_cg_writef(cls, "net_cls.classid", err, "%llu", (unsigned long long) r->network.class_id.v) < 0)
            return -1;
    }
    if (r->network.n_priorities && prio == NULL)
        return eb_error_set(err, ENOTSUP, "linux.resources.network.priorities requested but no net_prio cgroup "
                            "hierarchy is mounted");
    for (i = 0; i < r->network.n_priorities; i++)
        if (eb_cg_writef(prio, "net_prio.ifpriomap", err, "%s %u", r->network.priorities[i].name,
                         r->network.priorities[i].priority) < 0)
            return -1;
    return 0;
}

static void dev_rule_str(const eb_device_rule_t *r, char *buf, size_t len)
{
    char maj[24], min[24];
    if (r->major < 0) strcpy(maj, "*"); else snprintf(maj, sizeof(maj), "%lld", (long long) r->major);
    if (r->minor < 0) strcpy(min, "*"); else snprintf(min, sizeof(min), "%lld", (long long) r->minor);
    if (r->type == 'a')
        snprintf(buf, len, "a");
    else
        snprintf(buf, len, "%c %s:%s %s", r->type, maj, min, r->access);
}

static int v1_devices(const char *d, const eb_resources_t *r, const eb_spec_t *spec, eb_error_t *err)
{
    _cleanup_free_ eb_device_rule_t *rules = NULL;
    size_t n, i;
    if (d == NULL)
        return 0;
    n = eb_cgroup_device_rules(r, spec, &rules);
    if (eb_cg_write(d, "devices.deny", "a", err) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        char buf[96];
        if (rules[i].type == 'a' && rules[i].allow && strcmp(rules[i].access, "rwm") != 0) {
            /* "a" takes no access list in v1: expand to both types. */
            snprintf(buf, sizeof(buf), "c *:* %s", rules[i].access);
            if (eb_cg_write(d, "devices.allow", buf, err) < 0)
                return -1;
            snprintf(buf, sizeof(buf), "b *:* %s", rules[i].access);
        } else {
            dev_rule_str(&rules[i], buf, sizeof(buf));
        }
        if (eb_cg_write(d, rules[i].allow ? "devices.allow" : "devices.deny", buf, err) < 0)
            return -1;
    }
    return 0;
}

static int v1_apply(eb_cgroup_t *cg, const eb_resources_t *r, const eb_spec_t *spec, bool update,
                    eb_error_t *err)
{
    const char *d;
    size_t i;
    if (v1_memory(hier_dir(cg, "memory"), r, err) < 0 || v1_cpu(cg, r, err) < 0)
        return -1;
    if (r->pids_limit.set) {
        if ((d = hier_dir(cg, "pids")) == NULL)
            return eb_error_set(err, ENOTSUP, "pids limit requested but the pids cgroup is not mounted");
        if (r->pids_limit.v > 0 ? eb_cg_writef(d, "pids.max", err, "%lld", (long long) r->pids_limit.v) < 0
                                : eb_cg_write(d, "pids.max", "max", err) < 0)
            return -1;
    }
    if (v1_blkio(hier_dir(cg, "blkio"), r, err) < 0)
        return -1;
    if (r->n_hugepage_limits) {
        if ((d = hier_dir(cg, "hugetlb")) != NULL) {
            for (i = 0; i < r->n_hugepage_limits; i++) {
                char f[64];
                snprintf(f, sizeof(f), "hugetlb.%s.limit_in_bytes", r->hugepage_limits[i].page_size);
                if (eb_cg_writef(d, f, err, "%llu", (unsigned long long) r->hugepage_limits[i].limit) < 0)
                    return -1;
            }
        } else if (cg->unified_dir) {
            /* Hybrid: hugetlb is bound to the unified hierarchy. */
            if (eb_cg_v2_enable_controllers(cg->unified_dir, cg->path, err) < 0
                || eb_cg_v2_hugetlb(cg->unified_dir, r, err) < 0)
                return -1;
        } else {
            return eb_error_set(err, ENOTSUP, "hugepage limits requested but no hugetlb cgroup is mounted");
        }
    }
    if (eb_cg_v1_network(hier_dir(cg, "net_cls"), hier_dir(cg, "net_prio"), r, err) < 0)
        return -1;
    if (r->n_unified)
        return eb_error_set(err, ENOTSUP, "linux.resources.unified needs cgroup v2 (this host runs v1)");
    if (!update || r->n_devices)
        if (v1_devices(hier_dir(cg, "devices"), r, spec, err) < 0)
            return -1;
    return 0;
}

static int v1_freeze(eb_cgroup_t *cg, bool freeze, eb_error_t *err)
{
    const char *d = hier_dir(cg, "freezer");
    int i;
    if (d == NULL)
        return eb_error_set(err, ENOTSUP, "the freezer cgroup is not mounted");
    if (eb_cg_write(d, "freezer.state", freeze ? "FROZEN" : "THAWED", err) < 0)
        return -1;
    /* FREEZING is transient: wait until the kernel reports the end state. */
    for (i = 0; i < 1000 && freeze; i++) {
        char p[4096], *s = NULL;
        eb_error_t e = { 0 };
        snprintf(p, sizeof(p), "%s/freezer.state", d);
        if (eb_read_file(p, 64, &s, NULL, &e) < 0)
            return eb_error_set(err, e.code, "%s", e.msg);
        if (strncmp(s, "FROZEN", 6) == 0) {
            free(s);
            return 0;
        }
        free(s);
        if (i % 50 == 49 && eb_cg_write(d, "freezer.state", "FROZEN", err) < 0)
            return -1;
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    return freeze ? eb_error_set(err, EBUSY, "cgroup `%s` did not freeze", cg->path) : 0;
}

static int v1_is_frozen(eb_cgroup_t *cg)
{
    const char *d = hier_dir(cg, "freezer");
    char p[4096], *s = NULL;
    eb_error_t e = { 0 };
    int r;
    if (d == NULL)
        return -1;
    snprintf(p, sizeof(p), "%s/freezer.state", d);
    if (eb_read_file(p, 64, &s, NULL, &e) < 0)
        return -1;
    r = strncmp(s, "THAWED", 6) != 0;
    free(s);
    return r;
}

static void read_blkio(const char *d, const char *file, eb_blkio_entry_t *out, size_t *n)
{
    char p[4096], line[256];
    _cleanup_fclose_ FILE *f = NULL;
    snprintf(p, sizeof(p), "%s/%s_recursive", d, file);
    f = fopen(p, "re");
    if (f == NULL) {
        snprintf(p, sizeof(p), "%s/%s", d, file);
        f = fopen(p, "re");
    }
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) && *n < EB_STATS_MAX_ENTRIES) {
        unsigned long long maj, min, v;
        char op[16];
        if (sscanf(line, "%llu:%llu %15s %llu", &maj, &min, op, &v) == 4) {
            out[*n].major = maj;
            out[*n].minor = min;
            snprintf(out[*n].op, sizeof(out[*n].op), "%s", op);
            out[*n].value = v;
            (*n)++;
        }
    }
}

static void read_mem_entry(const char *d, const char *prefix, eb_mem_entry_t *e)
{
    char f[128];
    snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
    eb_cg_read_u64(d, f, &e->usage);
    snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
    eb_cg_read_u64(d, f, &e->max);
    snprintf(f, sizeof(f), "%s.failcnt", prefix);
    eb_cg_read_u64(d, f, &e->failcnt);
    snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
    eb_cg_read_u64(d, f, &e->limit);
}

static int v1_stats(eb_cgroup_t *cg, eb_stats_t *st, eb_error_t *err)
{
    const char *d;
    (void) err;
    if ((d = hier_dir(cg, "cpuacct")) != NULL) {
        char p[4096];
        _cleanup_fclose_ FILE *f = NULL;
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t v;
        eb_cg_read_u64(d, "cpuacct.usage", &st->cpu.total);
        snprintf(p, sizeof(p), "%s/cpuacct.usage_percpu", d);
        if ((f = fopen(p, "re")) != NULL) {
            unsigned long long x;
            while (st->cpu.n_percpu < EB_STATS_MAX_CPUS && fscanf(f, "%llu", &x) == 1)
                st->cpu.percpu[st->cpu.n_percpu++] = x;
        }
        if (hz <= 0)
            hz = 100;
        if (eb_cg_read_keyed(d, "cpuacct.stat", "user", &v) == 0)
            st->cpu.user = v * (1000000000ULL / (uint64_t) hz);
        if (eb_cg_read_keyed(d, "cpuacct.stat", "system", &v) == 0)
            st->cpu.kernel = v * (1000000000ULL / (uint64_t) hz);
    }
    if ((d = hier_dir(cg, "cpu")) != NULL) {
        eb_cg_read_keyed(d, "cpu.stat", "nr_periods", &st->cpu.periods);
        eb_cg_read_keyed(d, "cpu.stat", "nr_throttled", &st->cpu.throttled_periods);
        eb_cg_read_keyed(d, "cpu.stat", "throttled_time", &st->cpu.throttled_time);
    }
    if ((d = hier_dir(cg, "memory")) != NULL) {
        char p[4096], line[256];
        _cleanup_fclose_ FILE *f = NULL;
        read_mem_entry(d, "memory", &st->memory.usage);
        read_mem_entry(d, "memory.memsw", &st->memory.swap);
        read_mem_entry(d, "memory.kmem", &st->memory.kernel);
        read_mem_entry(d, "memory.kmem.tcp", &st->memory.kernel_tcp);
        snprintf(p, sizeof(p), "%s/memory.stat", d);
        if ((f = fopen(p, "re")) != NULL)
            while (fgets(line, sizeof(line), f) && st->memory.n_raw < EB_STATS_MAX_ENTRIES) {
                eb_stat_kv_t *kv = &st->memory.raw[st->memory.n_raw];
                unsigned long long v;
                if (sscanf(line, "%63s %llu", kv->key, &v) == 2) {
                    kv->value = v;
                    st->memory.n_raw++;
                    if (strcmp(kv->key, "cache") == 0)
                        st->memory.cache = v;
                }
            }
        eb_cg_read_keyed(d, "memory.oom_control", "oom_kill", &st->memory.oom_kill);
    }
    if ((d = hier_dir(cg, "pids")) != NULL) {
        eb_cg_read_u64(d, "pids.current", &st->pids.current);
        if (eb_cg_read_u64(d, "pids.max", &st->pids.limit) == 0 && st->pids.limit == UINT64_MAX)
            st->pids.limit = 0;
    }
    if ((d = hier_dir(cg, "blkio")) != NULL) {
        read_blkio(d, "blkio.throttle.io_service_bytes", st->blkio.service_bytes, &st->blkio.n_service_bytes);
        read_blkio(d, "blkio.throttle.io_serviced", st->blkio.serviced, &st->blkio.n_serviced);
    }
    return 0;
}

static int v1_oom_watch(eb_cgroup_t *cg, eb_error_t *err)
{
    const char *d = hier_dir(cg, "memory");
    _cleanup_free_ char *p = NULL;
    _cleanup_close_ int ocfd = -1;
    int efd;
    if (d == NULL)
        return eb_error_set(err, ENOTSUP, "the memory cgroup is not mounted");
    if (cg->oom_efd >= 0)
        return cg->oom_efd;
    p = eb_strdup_printf("%s/memory.oom_control", d);
    ocfd = open(p, O_RDONLY | O_CLOEXEC);
    if (ocfd < 0)
        return eb_error_set(err, errno, "open `%s`", p);
    efd = eventfd(0, EFD_CLOEXEC);
    if (efd < 0)
        return eb_error_set(err, errno, "eventfd");
    if (eb_cg_writef(d, "cgroup.event_control", err, "%d %d", efd, ocfd) < 0) {
        close(efd);
        return -1;
    }
    cg->oom_efd = efd;
    return efd;
}

static uint64_t v1_oom_count(eb_cgroup_t *cg)
{
    const char *d = hier_dir(cg, "memory");
    uint64_t v = 0;
    if (d)
        eb_cg_read_keyed(d, "memory.oom_control", "oom_kill", &v);
    return v;
}

static const char *v1_procs_dir(eb_cgroup_t *cg)
{
    const char *d = hier_dir(cg, "pids");
    if (d == NULL)
        d = hier_dir(cg, "memory");
    if (d == NULL && cg->nh)
        d = cg->h[0].dir;
    return d;
}

const struct eb_cgroup_ops eb_cgroup_v1_ops = {
    .version = 1,
    .init = v1_init,
    .enter = v1_enter,
    .apply = v1_apply,
    .freeze = v1_freeze,
    .is_frozen = v1_is_frozen,
    .stats = v1_stats,
    .oom_watch = v1_oom_watch,
    .oom_count = v1_oom_count,
    .procs_dir = v1_procs_dir,
};
