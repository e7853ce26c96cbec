/* stats.c - network counters of a container's namespace and the runc
 * `events` JSON encoding of eb_stats_t. */
#include "core/stats.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

int eb_stats_parse_netdev(const char *text, eb_stats_t *st)
{
    const char *line = text;
    int lineno = 0;
    st->n_net = 0;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        char buf[512];
        size_t len = nl ? (size_t) (nl - line) : strlen(line);
        lineno++;
        if (lineno > 2 && len < sizeof(buf)) {
            char *colon, *name;
            unsigned long long v[16];
            memcpy(buf, line, len);
            buf[len] = 0;
            colon = strchr(buf, ':');
            if (colon) {
                *colon = 0;
                name = buf + strspn(buf, " ");
                if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
                           &v[11], &v[12], &v[13], &v[14], &v[15]) == 16
                    && strcmp(name, "lo") != 0 && name[0] && strlen(name) < sizeof(st->net[0].name)
                    && st->n_net < sizeof(st->net) / sizeof(st->net[0])) {
                    eb_netif_stats_t *n = &st->net[st->n_net++];
                    snprintf(n->name, sizeof(n->name), "%s", name);
                    n->rx_bytes = v[0]; n->rx_packets = v[1]; n->rx_errors = v[2]; n->rx_dropped = v[3];
                    n->tx_bytes = v[8]; n->tx_packets = v[9]; n->tx_errors = v[10]; n->tx_dropped = v[11];
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

int eb_stats_read_netdev(pid_t pid, eb_stats_t *st, eb_error_t *err)
{
    _cleanup_free_ char *text = NULL;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/net/dev", (int) pid);
    if (eb_read_file(path, 1 << 20, &text, NULL, err) < 0)
        return -1;
    return eb_stats_parse_netdev(text, st);
}

static json_object *u64(uint64_t v) { return json_object_new_uint64(v); }

static json_object *mem_entry(const eb_mem_entry_t *e)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "limit", u64(e->limit));
    json_object_object_add(o, "usage", u64(e->usage));
    json_object_object_add(o, "max", u64(e->max));
    json_object_object_add(o, "failcnt", u64(e->failcnt));
    return o;
}

static json_object *blkio_list(const eb_blkio_entry_t *e, size_t n)
{
    json_object *a = json_object_new_array();
    size_t i;
    for (i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "major", u64(e[i].major));
        json_object_object_add(o, "minor", u64(e[i].minor));
        json_object_object_add(o, "op", json_object_new_string(e[i].op));
        json_object_object_add(o, "value", u64(e[i].value));
        json_object_array_add(a, o);
    }
    return a;
}

char *eb_stats_to_json(const eb_stats_t *st)
{
    json_object *d = json_object_new_object(), *cpu = json_object_new_object(), *usage = json_object_new_object();
    json_object *thr = json_object_new_object(), *mem = json_object_new_object(), *raw = json_object_new_object();
    json_object *pids = json_object_new_object(), *blk = json_object_new_object(), *pc = json_object_new_array();
    json_object *hug = json_object_new_object(), *net = json_object_new_array();
    size_t i;
    char *out;

    for (i = 0; i < st->cpu.n_percpu; i++)
        json_object_array_add(pc, u64(st->cpu.percpu[i]));
    json_object_object_add(usage, "total", u64(st->cpu.total));
    json_object_object_add(usage, "percpu", pc);
    json_object_object_add(usage, "kernel", u64(st->cpu.kernel));
    json_object_object_add(usage, "user", u64(st->cpu.user));
    json_object_object_add(cpu, "usage", usage);
    json_object_object_add(thr, "periods", u64(st->cpu.periods));
    json_object_object_add(thr, "throttledPeriods", u64(st->cpu.throttled_periods));
    json_object_object_add(thr, "throttledTime", u64(st->cpu.throttled_time));
    json_object_object_add(cpu, "throttling", thr);
    json_object_object_add(d, "cpu", cpu);

    json_object_object_add(mem, "cache", u64(st->memory.cache));
    json_object_object_add(mem, "usage", mem_entry(&st->memory.usage));
    json_object_object_add(mem, "swap", mem_entry(&st->memory.swap));
    json_object_object_add(mem, "kernel", mem_entry(&st->memory.kernel));
    json_object_object_add(mem, "kernelTCP", mem_entry(&st->memory.kernel_tcp));
    for (i = 0; i < st->memory.n_raw; i++)
        json_object_object_add(raw, st->memory.raw[i].key, u64(st->memory.raw[i].value));
    json_object_object_add(mem, "raw", raw);
    json_object_object_add(d, "memory", mem);

    json_object_object_add(pids, "current", u64(st->pids.current));
    json_object_object_add(pids, "limit", u64(st->pids.limit));
    json_object_object_add(d, "pids", pids);

    json_object_object_add(blk, "ioServiceBytesRecursive", blkio_list(st->blkio.service_bytes, st->blkio.n_service_bytes));
    json_object_object_add(blk, "ioServicedRecursive", blkio_list(st->blkio.serviced, st->blkio.n_serviced));
    json_object_object_add(d, "blkio", blk);

    for (i = 0; i < st->n_hugetlb; i++) {
        json_object *h = json_object_new_object();
        json_object_object_add(h, "usage", u64(st->hugetlb[i].usage));
        json_object_object_add(h, "max", u64(st->hugetlb[i].max));
        json_object_object_add(h, "failcnt", u64(st->hugetlb[i].failcnt));
        json_object_object_add(hug, st->hugetlb[i].page_size, h);
    }
    json_object_object_add(d, "hugetlb", hug);

    for (i = 0; i < st->n_net; i++) {
        const eb_netif_stats_t *n = &st->net[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(n->name));
        json_object_object_add(o, "rx_bytes", u64(n->rx_bytes));
        json_object_object_add(o, "rx_packets", u64(n->rx_packets));
        json_object_object_add(o, "rx_errors", u64(n->rx_errors));
        json_object_object_add(o, "rx_dropped", u64(n->rx_dropped));
        json_object_object_add(o, "tx_bytes", u64(n->tx_bytes));
        json_object_object_add(o, "tx_packets", u64(n->tx_packets));
        json_object_object_add(o, "tx_errors", u64(n->tx_errors));
        json_object_object_add(o, "tx_dropped", u64(n->tx_dropped));
        json_object_array_add(net, o);
    }
    json_object_object_add(d, "network_interfaces", net);
    out = eb_xstrdup(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
    json_object_put(d);
    return out;
}

/* ---- the other way: what a guest agent sends, validated ---- */

/* A counter: a non-negative JSON integer; absent reads as 0. */
static int num(json_object *o, const char *key, uint64_t *out, const char *where, eb_error_t *err)
{
    json_object *v = NULL;

    *out = 0;
    if (!o || !json_object_object_get_ex(o, key, &v) || !v)
        return 0;
    if (!json_object_is_type(v, json_type_int) || (json_object_get_int64(v) < 0 && json_object_get_uint64(v) == 0))
        return eb_error_set(err, EPROTO, "stats: %s.%s is not a non-negative integer", where, key);
    *out = json_object_get_uint64(v);
    return 0;
}

static json_object *member(json_object *o, const char *key, json_type type)
{
    json_object *v = NULL;

    if (!o || !json_object_object_get_ex(o, key, &v) || !v || !json_object_is_type(v, type))
        return NULL;
    return v;
}

static int mem_entry_from(json_object *mem, const char *key, eb_mem_entry_t *e, eb_error_t *err)
{
    json_object *o = member(mem, key, json_type_object);

    return num(o, "limit", &e->limit, key, err) < 0 || num(o, "usage", &e->usage, key, err) < 0
                   || num(o, "max", &e->max, key, err) < 0 || num(o, "failcnt", &e->failcnt, key, err) < 0
               ? -1
               : 0;
}

static int blkio_from(json_object *blk, const char *key, eb_blkio_entry_t *e, size_t *n, eb_error_t *err)
{
    json_object *a = member(blk, key, json_type_array);
    size_t i;

    *n = 0;
    for (i = 0; a && i < json_object_array_length(a) && *n < EB_STATS_MAX_ENTRIES; i++) {
        json_object *o = json_object_array_get_idx(a, i);
        const char *op = json_object_get_string(member(o, "op", json_type_string));
        if (!o || num(o, "major", &e[*n].major, key, err) < 0 || num(o, "minor", &e[*n].minor, key, err) < 0
            || num(o, "value", &e[*n].value, key, err) < 0)
            return -1;
        if (!op || strlen(op) >= sizeof(e[*n].op))
            return eb_error_set(err, EPROTO, "stats: %s[%zu].op missing or too long", key, i);
        strcpy(e[*n].op, op);
        (*n)++;
    }
    return 0;
}

int eb_stats_from_json(json_object *d, eb_stats_t *st, eb_error_t *err)
{
    json_object *cpu = member(d, "cpu", json_type_object), *usage = member(cpu, "usage", json_type_object);
    json_object *thr = member(cpu, "throttling", json_type_object), *mem = member(d, "memory", json_type_object);
    json_object *pc = member(usage, "percpu", json_type_array), *raw = member(mem, "raw", json_type_object);
    json_object *pids = member(d, "pids", json_type_object), *blk = member(d, "blkio", json_type_object);
    json_object *net = member(d, "network_interfaces", json_type_array);
    size_t i;

    memset(st, 0, sizeof(*st));
    if (!json_object_is_type(d, json_type_object))
        return eb_error_set(err, EPROTO, "stats: not an object");
    if (num(usage, "total", &st->cpu.total, "cpu.usage", err) < 0 || num(usage, "kernel", &st->cpu.kernel, "cpu.usage", err) < 0
        || num(usage, "user", &st->cpu.user, "cpu.usage", err) < 0
        || num(thr, "periods", &st->cpu.periods, "cpu.throttling", err) < 0
        || num(thr, "throttledPeriods", &st->cpu.throttled_periods, "cpu.throttling", err) < 0
        || num(thr, "throttledTime", &st->cpu.throttled_time, "cpu.throttling", err) < 0)
        return -1;
    for (i = 0; pc && i < json_object_array_length(pc) && i < EB_STATS_MAX_CPUS; i++) {
        json_object *v = json_object_array_get_idx(pc, i);
        if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
            return eb_error_set(err, EPROTO, "stats: cpu.usage.percpu[%zu] is not a non-negative integer", i);
        st->cpu.percpu[st->cpu.n_percpu++] = (uint64_t) json_object_get_int64(v);
    }
    if (num(mem, "cache", &st->memory.cache, "memory", err) < 0 || mem_entry_from(mem, "usage", &st->memory.usage, err) < 0
        || mem_entry_from(mem, "swap", &st->memory.swap, err) < 0 || mem_entry_from(mem, "kernel", &st->memory.kernel, err) < 0
        || mem_entry_from(mem, "kernelTCP", &st->memory.kernel_tcp, err) < 0)
        return -1;
    if (raw) {
        json_object_object_foreach(raw, k, v) {
            eb_stat_kv_t *kv = &st->memory.raw[st->memory.n_raw];
            if (st->memory.n_raw >= EB_STATS_MAX_ENTRIES)
                break;
            if (strlen(k) >= sizeof(kv->key))
                return eb_error_set(err, EPROTO, "stats: memory.raw key too long");
            (void) v;
            strcpy(kv->key, k);
            if (num(raw, k, &kv->value, "memory.raw", err) < 0)
                return -1;
            st->memory.n_raw++;
        }
    }
    if (num(pids, "current", &st->pids.current, "pids", err) < 0 || num(pids, "limit", &st->pids.limit, "pids", err) < 0)
        return -1;
    if (blkio_from(blk, "ioServiceBytesRecursive", st->blkio.service_bytes, &st->blkio.n_service_bytes, err) < 0
        || blkio_from(blk, "ioServicedRecursive", st->blkio.serviced, &st->blkio.n_serviced, err) < 0)
        return -1;
    for (i = 0; net && i < json_object_array_length(net) && st->n_net < sizeof(st->net) / sizeof(st->net[0]); i++) {
        json_object *o = json_object_array_get_idx(net, i);
        const char *name = json_object_get_string(member(o, "name", json_type_string));
        eb_netif_stats_t *n = &st->net[st->n_net];
        if (!name || !name[0] || strlen(name) >= sizeof(n->name))
            return eb_error_set(err, EPROTO, "stats: network_interfaces[%zu].name missing or too long", i);
        strcpy(n->name, name);
        if (num(o, "rx_bytes", &n->rx_bytes, name, err) < 0 || num(o, "rx_packets", &n->rx_packets, name, err) < 0
            || num(o, "rx_errors", &n->rx_errors, name, err) < 0 || num(o, "rx_dropped", &n->rx_dropped, name, err) < 0
            || num(o, "tx_bytes", &n->tx_bytes, name, err) < 0 || num(o, "tx_packets", &n->tx_packets, name, err) < 0
            || num(o, "tx_errors", &n->tx_errors, name, err) < 0 || num(o, "tx_dropped", &n->tx_dropped, name, err) < 0)
            return -1;
        st->n_net++;
    }
    return 0;
}

uint64_t eb_stats_raw(const eb_stats_t *st, const char *key)
{
    size_t i;

    for (i = 0; i < st->memory.n_raw; i++)
        if (strcmp(st->memory.raw[i].key, key) == 0)
            return st->memory.raw[i].value;
    return 0;
}

/* cgroup v1's memory.stat has "total_*" (hierarchical) keys; v2's has
 * none and names things differently: look for each in turn. */
static uint64_t raw2(const eb_stats_t *st, const char *v1, const char *v2, int *found)
{
    size_t i;

    for (i = 0; i < st->memory.n_raw; i++)
        if (strcmp(st->memory.raw[i].key, v1) == 0 || strcmp(st->memory.raw[i].key, v2) == 0) {
            *found = 1;
            return st->memory.raw[i].value;
        }
    *found = 0;
    return 0;
}

void eb_stats_memory(const eb_stats_t *st, eb_mem_view_t *m)
{
    int f;
    uint64_t inactive = raw2(st, "total_inactive_file", "inactive_file", &f);

    m->usage = st->memory.usage.usage;
    /* kubelet's (cAdvisor's) working set: usage minus inactive file pages */
    m->working_set = m->usage > inactive ? m->usage - inactive : 0;
    m->rss = raw2(st, "total_rss", "anon", &f);
    m->cache = raw2(st, "total_cache", "file", &f);
    if (!f)
        m->cache = st->memory.cache;
    m->pgfault = raw2(st, "total_pgfault", "pgfault", &f);
    m->pgmajfault = raw2(st, "total_pgmajfault", "pgmajfault", &f);
    m->swap = st->memory.swap.usage;
    /* no limit reads as the largest number the kernel has (v1: a page
     * multiple near 2^63, v2: "max"): report 0 = none, as cAdvisor */
    m->limit = st->memory.usage.limit >= (UINT64_C(1) << 62) ? 0 : st->memory.usage.limit;
    m->failcnt = st->memory.usage.failcnt;
}
