/* metrics.c - a container's numbers (its class's stats op: the host cgroup
 * for runc, the guest's for runv) as the cgroup Metrics containerd's CRI
 * plugin and `ctr task metrics` decode (io.containerd.cgroups.v1.Metrics).
 * The v1 message also carries a runv guest's cgroup v2 numbers: memory is
 * given so that usage - total_inactive_file is the working set edgebox
 * measures (eb_stats_memory), which is how the CRI plugin computes it. */
#include "shim/shim.h"
#include "shim/proto/metrics.pb-c.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdlib.h>

typedef Io__Containerd__Cgroups__V1__BlkIOEntry blk_t;
typedef Io__Containerd__Cgroups__V1__NetworkStat net_t;
typedef Io__Containerd__Cgroups__V1__HugetlbStat huge_t;

/* Everything a Metrics message points at, in one allocation's lifetime. */
typedef struct {
    Io__Containerd__Cgroups__V1__Metrics m;
    Io__Containerd__Cgroups__V1__PidsStat pids;
    Io__Containerd__Cgroups__V1__CPUStat cpu;
    Io__Containerd__Cgroups__V1__CPUUsage usage;
    Io__Containerd__Cgroups__V1__Throttle thr;
    Io__Containerd__Cgroups__V1__MemoryStat mem;
    Io__Containerd__Cgroups__V1__MemoryEntry mu, ms, mk, mkt;
    Io__Containerd__Cgroups__V1__MemoryOomControl oom;
    Io__Containerd__Cgroups__V1__BlkIOStat blkio;
    blk_t blk[2 * EB_STATS_MAX_ENTRIES], *blkp[2 * EB_STATS_MAX_ENTRIES];
    net_t net[64], *netp[64];
    huge_t huge[8], *hugep[8];
} holder_t;

static void mem_entry(Io__Containerd__Cgroups__V1__MemoryEntry *e, const eb_mem_entry_t *s)
{
    io__containerd__cgroups__v1__memory_entry__init(e);
    e->limit = s->limit, e->usage = s->usage, e->max = s->max, e->failcnt = s->failcnt;
}

static void fill_memory(holder_t *h, const eb_stats_t *st)
{
    eb_mem_view_t v;

    eb_stats_memory(st, &v);
    io__containerd__cgroups__v1__memory_stat__init(&h->mem);
    h->mem.cache = h->mem.total_cache = v.cache;
    h->mem.rss = h->mem.total_rss = v.rss;
    h->mem.pg_fault = h->mem.total_pg_fault = v.pgfault;
    h->mem.pg_maj_fault = h->mem.total_pg_maj_fault = v.pgmajfault;
    h->mem.inactive_file = h->mem.total_inactive_file = v.usage > v.working_set ? v.usage - v.working_set : 0;
    mem_entry(&h->mu, &st->memory.usage);
    h->mu.usage = v.usage;
    h->mu.limit = v.limit;
    mem_entry(&h->ms, &st->memory.swap);
    mem_entry(&h->mk, &st->memory.kernel);
    mem_entry(&h->mkt, &st->memory.kernel_tcp);
    h->mem.usage = &h->mu, h->mem.swap = &h->ms, h->mem.kernel = &h->mk, h->mem.kernel_tcp = &h->mkt;
    io__containerd__cgroups__v1__memory_oom_control__init(&h->oom);
    h->oom.oom_kill = st->memory.oom_kill;
    h->m.memory = &h->mem;
    h->m.memory_oom_control = &h->oom;
}

static void fill_cpu(holder_t *h, const eb_stats_t *st)
{
    io__containerd__cgroups__v1__cpustat__init(&h->cpu);
    io__containerd__cgroups__v1__cpuusage__init(&h->usage);
    io__containerd__cgroups__v1__throttle__init(&h->thr);
    h->usage.total = st->cpu.total, h->usage.kernel = st->cpu.kernel, h->usage.user = st->cpu.user;
    h->usage.n_per_cpu = st->cpu.n_percpu;
    h->usage.per_cpu = (uint64_t *) st->cpu.percpu;
    h->thr.periods = st->cpu.periods, h->thr.throttled_periods = st->cpu.throttled_periods;
    h->thr.throttled_time = st->cpu.throttled_time;
    h->cpu.usage = &h->usage, h->cpu.throttling = &h->thr;
    h->m.cpu = &h->cpu;
    io__containerd__cgroups__v1__pids_stat__init(&h->pids);
    h->pids.current = st->pids.current, h->pids.limit = st->pids.limit;
    h->m.pids = &h->pids;
}

static size_t fill_blk(holder_t *h, size_t at, const eb_blkio_entry_t *e, size_t n)
{
    for (size_t i = 0; i < n && at < EB_ARRAY_SIZE(h->blk); i++, at++) {
        blk_t *b = &h->blk[at];
        io__containerd__cgroups__v1__blk_ioentry__init(b);
        b->op = (char *) e[i].op, b->major = e[i].major, b->minor = e[i].minor, b->value = e[i].value;
        h->blkp[at] = b;
    }
    return at;
}

static void fill_lists(holder_t *h, const eb_stats_t *st)
{
    size_t i, n;

    io__containerd__cgroups__v1__blk_iostat__init(&h->blkio);
    n = fill_blk(h, 0, st->blkio.service_bytes, st->blkio.n_service_bytes);
    h->blkio.io_service_bytes_recursive = h->blkp, h->blkio.n_io_service_bytes_recursive = n;
    h->blkio.io_serviced_recursive = h->blkp + n;
    h->blkio.n_io_serviced_recursive = fill_blk(h, n, st->blkio.serviced, st->blkio.n_serviced) - n;
    h->m.blkio = &h->blkio;
    for (i = 0; i < st->n_net && i < EB_ARRAY_SIZE(h->net); i++) {
        net_t *t = &h->net[i];
        const eb_netif_stats_t *s = &st->net[i];
        io__containerd__cgroups__v1__network_stat__init(t);
        t->name = (char *) s->name;
        t->rx_bytes = s->rx_bytes, t->rx_packets = s->rx_packets, t->rx_errors = s->rx_errors;
        t->rx_dropped = s->rx_dropped, t->tx_bytes = s->tx_bytes, t->tx_packets = s->tx_packets;
        t->tx_errors = s->tx_errors, t->tx_dropped = s->tx_dropped;
        h->netp[i] = t;
    }
    h->m.network = h->netp, h->m.n_network = i;
    for (i = 0; i < st->n_hugetlb && i < EB_ARRAY_SIZE(h->huge); i++) {
        huge_t *t = &h->huge[i];
        io__containerd__cgroups__v1__hugetlb_stat__init(t);
        t->pagesize = (char *) st->hugetlb[i].page_size;
        t->usage = st->hugetlb[i].usage, t->max = st->hugetlb[i].max, t->failcnt = st->hugetlb[i].failcnt;
        h->hugep[i] = t;
    }
    h->m.hugetlb = h->hugep, h->m.n_hugetlb = i;
}

int eb_shim_metrics(const eb_stats_t *st, eb_buf_t *out, eb_error_t *err)
{
    holder_t *h = eb_xcalloc(1, sizeof(*h));
    int rc;

    io__containerd__cgroups__v1__metrics__init(&h->m);
    fill_cpu(h, st);
    fill_memory(h, st);
    fill_lists(h, st);
    rc = eb_pb_pack(&h->m.base, out, err);
    free(h);
    return rc;
}
