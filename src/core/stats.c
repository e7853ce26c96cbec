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
