/* spec_resources.c - linux.resources and linux.seccomp. */
#include "spec/spec_internal.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const eb_scmp_action_names[EB_SCMP_ACTIONS] = {
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
};
const char *const eb_scmp_op_names[8] = {
    NULL, "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
    "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};
static const char *const scmp_archs[] = {
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC",
    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", NULL,
};
static const char *const scmp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL,
};

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

/* Device major/minor: absent or null means "any" (-1). */
static int dev_num(struct json_object *o, const char *key, const char *path, int64_t *out,
                   eb_error_t *err)
{
    eb_opt_i64_t v = { 0 };
    if (js_opt_i64(o, key, path, -1, 0xfffff, &v, err) < 0)
        return -1;
    *out = v.set ? v.v : -1;
    return 0;
}

static int parse_dev_rules(eb_arena_t *a, struct json_object *obj, const char *path,
                           eb_resources_t *r, eb_error_t *err)
{
    struct json_object *v = js_get(obj, "devices");
    size_t i;
    if (v == NULL)
        return 0;
    if (js_expect(v, json_type_array, path, err) < 0)
        return -1;
    r->n_devices = json_object_array_length(v);
    r->devices = eb_arena_alloc(a, r->n_devices, sizeof(eb_device_rule_t));
    for (i = 0; i < r->n_devices; i++) {
        struct json_object *d = json_object_array_get_idx(v, i);
        eb_device_rule_t *dr = &r->devices[i];
        const char *type = NULL, *access = NULL;
        char e[96];
        size_t k;
        snprintf(e, sizeof(e), "%s.devices[%zu]", path, i);
        if (js_expect(d, json_type_object, e, err) < 0
            || js_bool(d, "allow", e, &dr->allow, err) < 0
            || js_string(d, "type", e, false, &type, err) < 0
            || js_string(d, "access", e, false, &access, err) < 0
            || dev_num(d, "major", e, &dr->major, err) < 0
            || dev_num(d, "minor", e, &dr->minor, err) < 0)
            return -1;
        if (js_get(d, "allow") == NULL)
            return eb_error_set(err, EINVAL, "%s.allow: required", e);
        dr->type = (type == NULL || type[0] == 0) ? 'a' : type[0];
        if ((type && strlen(type) > 1) || strchr("acb", dr->type) == NULL)
            return eb_error_set(err, EINVAL, "%s.type: `%s` is not one of a, c, b", e, type);
        if (access == NULL || access[0] == 0)
            access = "rwm";
        if (strlen(access) > 3)
            return eb_error_set(err, EINVAL, "%s.access: `%s` is not a subset of rwm", e, access);
        for (k = 0; access[k]; k++)
            if (strchr("rwm", access[k]) == NULL || strchr(access + k + 1, access[k]) != NULL)
                return eb_error_set(err, EINVAL, "%s.access: `%s` is not a subset of rwm", e, access);
        strcpy(dr->access, access);
    }
    return 0;
}

static int parse_blkio(eb_arena_t *a, struct json_object *b, eb_resources_t *r, eb_error_t *err)
{
    static const char *const tnames[4] = { "throttleReadBpsDevice", "throttleWriteBpsDevice",
                                           "throttleReadIOPSDevice", "throttleWriteIOPSDevice" };
    const char *path = "linux.resources.blockIO";
    struct json_object *v;
    size_t i;
    int t;

    if (js_expect(b, json_type_object, path, err) < 0
        || js_opt_u64(b, "weight", path, 1000, &r->blkio.weight, err) < 0
        || js_opt_u64(b, "leafWeight", path, 1000, &r->blkio.leaf_weight, err) < 0)
        return -1;
    if ((v = js_get(b, "weightDevice")) != NULL) {
        if (js_expect(v, json_type_array, "linux.resources.blockIO.weightDevice", err) < 0)
            return -1;
        r->blkio.n_weight_device = json_object_array_length(v);
        r->blkio.weight_device = eb_arena_alloc(a, r->blkio.n_weight_device, sizeof(eb_blkio_weight_dev_t));
        for (i = 0; i < r->blkio.n_weight_device; i++) {
            struct json_object *d = json_object_array_get_idx(v, i);
            eb_blkio_weight_dev_t *w = &r->blkio.weight_device[i];
            char e[96];
            snprintf(e, sizeof(e), "%s.weightDevice[%zu]", path, i);
            if (js_expect(d, json_type_object, e, err) < 0
                || js_opt_u64(d, "weight", e, 1000, &w->weight, err) < 0
                || js_opt_u64(d, "leafWeight", e, 1000, &w->leaf_weight, err) < 0
                || dev_num(d, "major", e, &w->major, err) < 0 || dev_num(d, "minor", e, &w->minor, err) < 0)
                return -1;
            if (w->major < 0 || w->minor < 0)
                return eb_error_set(err, EINVAL, "%s: major and minor are required", e);
        }
    }
    for (t = 0; t < 4; t++) {
        if ((v = js_get(b, tnames[t])) == NULL)
            continue;
        {
            char p[96];
            snprintf(p, sizeof(p), "%s.%s", path, tnames[t]);
            if (js_expect(v, json_type_array, p, err) < 0)
                return -1;
            r->blkio.n_throttle[t] = json_object_array_length(v);
            r->blkio.throttle[t] = eb_arena_alloc(a, r->blkio.n_throttle[t], sizeof(eb_blkio_throttle_t));
            for (i = 0; i < r->blkio.n_throttle[t]; i++) {
                struct json_object *d = json_object_array_get_idx(v, i);
                eb_blkio_throttle_t *th = &r->blkio.throttle[t][i];
                eb_opt_u64_t rate = { 0 };
                char e[128];
                snprintf(e, sizeof(e), "%s[%zu]", p, i);
                if (js_expect(d, json_type_object, e, err) < 0
                    || dev_num(d, "major", e, &th->major, err) < 0 || dev_num(d, "minor", e, &th->minor, err) < 0
                    || js_opt_u64(d, "rate", e, UINT64_MAX, &rate, err) < 0)
                    return -1;
                if (th->major < 0 || th->minor < 0 || !rate.set)
                    return eb_error_set(err, EINVAL, "%s: major, minor and rate are required", e);
                th->rate = rate.v;
            }
        }
    }
    return 0;
}

/* linux.resources.hugepageLimits at V (its path P). */
static int parse_hugepages(eb_arena_t *a, struct json_object *v, const char *p, eb_resources_t *r, eb_error_t *err)
{
    if (js_expect(v, json_type_array, p, err) < 0)
        return -1;
    r->n_hugepage_limits = json_object_array_length(v);
    r->hugepage_limits = eb_arena_alloc(a, r->n_hugepage_limits, sizeof(eb_hugepage_limit_t));
    for (size_t i = 0; i < r->n_hugepage_limits; i++) {
        struct json_object *h = json_object_array_get_idx(v, i);
        eb_opt_u64_t lim = { 0 };
        char e[160];
        const char *ps;
        snprintf(e, sizeof(e), "%s[%zu]", p, i);
        if (js_expect(h, json_type_object, e, err) < 0
            || js_string(h, "pageSize", e, true, &r->hugepage_limits[i].page_size, err) < 0
            || js_opt_u64(h, "limit", e, UINT64_MAX, &lim, err) < 0)
            return -1;
        ps = r->hugepage_limits[i].page_size;
        /* The page size becomes part of a cgroup file name. */
        if (strlen(ps) > 8 || strspn(ps, "0123456789KMGB") != strlen(ps) || ps[0] == 0)
            return eb_error_set(err, EINVAL, "%s.pageSize: invalid page size `%s`", e, ps);
        if (!lim.set)
            return eb_error_set(err, EINVAL, "%s.limit: required", e);
        r->hugepage_limits[i].limit = lim.v;
    }
    return 0;
}

/* linux.resources.network at V (its path P). */
static int parse_network(eb_arena_t *a, struct json_object *v, const char *p, eb_resources_t *r, eb_error_t *err)
{
    struct json_object *pr;
    if (js_expect(v, json_type_object, p, err) < 0
        || js_opt_u64(v, "classID", p, UINT32_MAX, &r->network.class_id, err) < 0)
        return -1;
    if ((pr = js_get(v, "priorities")) == NULL)
        return 0;
    if (js_expect(pr, json_type_array, p, err) < 0)
        return -1;
    r->network.n_priorities = json_object_array_length(pr);
    r->network.priorities = eb_arena_alloc(a, r->network.n_priorities, sizeof(eb_net_prio_t));
    for (size_t i = 0; i < r->network.n_priorities; i++) {
        struct json_object *e = json_object_array_get_idx(pr, i);
        char q[160];
        snprintf(q, sizeof(q), "%s.priorities[%zu]", p, i);
        if (js_expect(e, json_type_object, q, err) < 0
            || js_string(e, "name", q, true, &r->network.priorities[i].name, err) < 0
            || js_u32(e, "priority", q, true, &r->network.priorities[i].priority, err) < 0)
            return -1;
        if (strchr(r->network.priorities[i].name, ' ') || strchr(r->network.priorities[i].name, '\n'))
            return eb_error_set(err, EINVAL, "%s.name: invalid interface name", q);
    }
    return 0;
}

int eb_spec_parse_resources_obj(eb_arena_t *a, struct json_object *obj, const char *path,
                                eb_resources_t *r, eb_error_t *err)
{
    struct json_object *v;
    char p[128];
    size_t i;

    if (js_expect(obj, json_type_object, path, err) < 0)
        return -1;
    if (parse_dev_rules(a, obj, path, r, err) < 0)
        return -1;
    if ((v = js_get(obj, "memory")) != NULL) {
        snprintf(p, sizeof(p), "%s.memory", path);
        if (js_expect(v, json_type_object, p, err) < 0
            || js_opt_i64(v, "limit", p, -1, INT64_MAX, &r->memory.limit, err) < 0
            || js_opt_i64(v, "reservation", p, -1, INT64_MAX, &r->memory.reservation, err) < 0
            || js_opt_i64(v, "swap", p, -1, INT64_MAX, &r->memory.swap, err) < 0
            || js_opt_i64(v, "kernel", p, -1, INT64_MAX, &r->memory.kernel, err) < 0
            || js_opt_i64(v, "kernelTCP", p, -1, INT64_MAX, &r->memory.kernel_tcp, err) < 0
            || js_opt_u64(v, "swappiness", p, 100, &r->memory.swappiness, err) < 0
            || js_bool(v, "disableOOMKiller", p, &r->memory.disable_oom_killer, err) < 0)
            return -1;
        if (js_get(v, "useHierarchy") != NULL) {
            r->memory.use_hierarchy_set = true;
            if (js_bool(v, "useHierarchy", p, &r->memory.use_hierarchy, err) < 0)
                return -1;
        }
    }
    if ((v = js_get(obj, "cpu")) != NULL) {
        snprintf(p, sizeof(p), "%s.cpu", path);
        if (js_expect(v, json_type_object, p, err) < 0
            || js_opt_u64(v, "shares", p, 262144, &r->cpu.shares, err) < 0
            || js_opt_i64(v, "quota", p, -1, INT64_MAX, &r->cpu.quota, err) < 0
            || js_opt_u64(v, "burst", p, UINT64_MAX, &r->cpu.burst, err) < 0
            || js_opt_u64(v, "period", p, 1000000, &r->cpu.period, err) < 0
            || js_opt_i64(v, "realtimeRuntime", p, -1, INT64_MAX, &r->cpu.realtime_runtime, err) < 0
            || js_opt_u64(v, "realtimePeriod", p, UINT64_MAX, &r->cpu.realtime_period, err) < 0
            || js_opt_i64(v, "idle", p, 0, 1, &r->cpu.idle, err) < 0
            || js_string(v, "cpus", p, false, &r->cpu.cpus, err) < 0
            || js_string(v, "mems", p, false, &r->cpu.mems, err) < 0)
            return -1;
        if (r->cpu.period.set && r->cpu.period.v != 0 && r->cpu.period.v < 1000)
            return eb_error_set(err, EINVAL, "%s.period: %llu is below the kernel's 1000 us minimum", p,
                                (unsigned long long) r->cpu.period.v);
        if (r->cpu.quota.set && r->cpu.quota.v > 0 && r->cpu.quota.v < 1000)
            return eb_error_set(err, EINVAL, "%s.quota: %lld is below the kernel's 1000 us minimum", p,
                                (long long) r->cpu.quota.v);
    }
    if ((v = js_get(obj, "pids")) != NULL) {
        snprintf(p, sizeof(p), "%s.pids", path);
        if (js_expect(v, json_type_object, p, err) < 0
            || js_opt_i64(v, "limit", p, INT64_MIN, INT64_MAX, &r->pids_limit, err) < 0)
            return -1;
    }
    if ((v = js_get(obj, "blockIO")) != NULL && parse_blkio(a, v, r, err) < 0)
        return -1;
    if ((v = js_get(obj, "hugepageLimits")) != NULL) {
        snprintf(p, sizeof(p), "%s.hugepageLimits", path);
        if (parse_hugepages(a, v, p, r, err) < 0)
            return -1;
    }
    if ((v = js_get(obj, "network")) != NULL) {
        snprintf(p, sizeof(p), "%s.network", path);
        if (parse_network(a, v, p, r, err) < 0)
            return -1;
    }
    if (js_kv(a, obj, "unified", path, &r->unified, &r->n_unified, err) < 0)
        return -1;
    for (i = 0; i < r->n_unified; i++)
        if (strchr(r->unified[i].key, '/') || r->unified[i].key[0] == '.' || r->unified[i].key[0] == 0
            || strchr(r->unified[i].key, '.') == NULL)
            return eb_error_set(err, EINVAL, "%s.unified: invalid key `%s`", path, r->unified[i].key);
    if (js_get(obj, "rdma") != NULL)
        return eb_error_set(err, ENOTSUP, "%s.rdma: the rdma controller is not supported", path);
    return 0;
}

static int parse_action(const char *s, const char *path, int *out, eb_error_t *err)
{
    int i;
    for (i = 0; i < EB_SCMP_ACTIONS; i++)
        if (strcmp(s, eb_scmp_action_names[i]) == 0) {
            *out = i;
            return 0;
        }
    if (strcmp(s, "SCMP_ACT_KILL_THREAD") == 0) {
        *out = EB_SCMP_KILL_THREAD;
        return 0;
    }
    return eb_error_set(err, EINVAL, "%s: unknown seccomp action `%s`", path, s);
}

int eb_spec_parse_seccomp_obj(eb_arena_t *a, struct json_object *obj, const char *path,
                              eb_seccomp_t *s, eb_error_t *err)
{
    struct json_object *v;
    const char *act = NULL;
    char p[128];
    size_t i, j;

    if (js_expect(obj, json_type_object, path, err) < 0
        || js_string(obj, "defaultAction", path, true, &act, err) < 0)
        return -1;
    snprintf(p, sizeof(p), "%s.defaultAction", path);
    if (parse_action(act, p, &s->default_action, err) < 0)
        return -1;
    if (js_opt_u64(obj, "defaultErrnoRet", path, 4095, &s->default_errno_ret, err) < 0
        || js_strv(a, obj, "architectures", path, &s->architectures, NULL, err) < 0
        || js_strv(a, obj, "flags", path, &s->flags, NULL, err) < 0
        || js_string(obj, "listenerPath", path, false, &s->listener_path, err) < 0
        || js_string(obj, "listenerMetadata", path, false, &s->listener_metadata, err) < 0)
        return -1;
    for (i = 0; s->architectures && s->architectures[i]; i++)
        if (!in_list(scmp_archs, s->architectures[i]))
            return eb_error_set(err, EINVAL, "%s.architectures[%zu]: unknown architecture `%s`", path, i,
                                s->architectures[i]);
    for (i = 0; s->flags && s->flags[i]; i++)
        if (!in_list(scmp_flags, s->flags[i]))
            return eb_error_set(err, EINVAL, "%s.flags[%zu]: unknown flag `%s`", path, i, s->flags[i]);
    if ((v = js_get(obj, "syscalls")) != NULL) {
        snprintf(p, sizeof(p), "%s.syscalls", path);
        if (js_expect(v, json_type_array, p, err) < 0)
            return -1;
        s->n_syscalls = json_object_array_length(v);
        s->syscalls = eb_arena_alloc(a, s->n_syscalls, sizeof(eb_seccomp_rule_t));
        for (i = 0; i < s->n_syscalls; i++) {
            struct json_object *r = json_object_array_get_idx(v, i), *args;
            eb_seccomp_rule_t *rule = &s->syscalls[i];
            char e[160], q[192];
            size_t nnames;
            snprintf(e, sizeof(e), "%s[%zu]", p, i);
            if (js_expect(r, json_type_object, e, err) < 0
                || js_strv(a, r, "names", e, &rule->names, &nnames, err) < 0
                || js_string(r, "action", e, true, &act, err) < 0)
                return -1;
            if (nnames == 0)
                return eb_error_set(err, EINVAL, "%s.names: at least one syscall name is required", e);
            snprintf(q, sizeof(q), "%s.action", e);
            if (parse_action(act, q, &rule->action, err) < 0
                || js_opt_u64(r, "errnoRet", e, 4095, &rule->errno_ret, err) < 0)
                return -1;
            if ((args = js_get(r, "args")) == NULL)
                continue;
            snprintf(q, sizeof(q), "%s.args", e);
            if (js_expect(args, json_type_array, q, err) < 0)
                return -1;
            rule->n_args = json_object_array_length(args);
            if (rule->n_args > 6)
                return eb_error_set(err, EINVAL, "%s: a syscall has at most 6 arguments", q);
            rule->args = eb_arena_alloc(a, rule->n_args, sizeof(eb_seccomp_arg_t));
            for (j = 0; j < rule->n_args; j++) {
                struct json_object *ar = json_object_array_get_idx(args, j);
                eb_seccomp_arg_t *sa = &rule->args[j];
                eb_opt_u64_t idx = { 0 }, val = { 0 }, val2 = { 0 };
                const char *op = NULL;
                char w[224];
                int k;
                snprintf(w, sizeof(w), "%s[%zu]", q, j);
                if (js_expect(ar, json_type_object, w, err) < 0
                    || js_opt_u64(ar, "index", w, 5, &idx, err) < 0
                    || js_opt_u64(ar, "value", w, UINT64_MAX, &val, err) < 0
                    || js_opt_u64(ar, "valueTwo", w, UINT64_MAX, &val2, err) < 0
                    || js_string(ar, "op", w, true, &op, err) < 0)
                    return -1;
                if (!idx.set)
                    return eb_error_set(err, EINVAL, "%s.index: required", w);
                sa->index = (unsigned) idx.v;
                sa->value = val.v;
                sa->value_two = val2.v;
                sa->op = 0;
                for (k = 1; k < 8; k++)
                    if (strcmp(op, eb_scmp_op_names[k]) == 0)
                        sa->op = k;
                if (sa->op == 0)
                    return eb_error_set(err, EINVAL, "%s.op: unknown operator `%s`", w, op);
            }
        }
    }
    s->present = true;
    return 0;
}
