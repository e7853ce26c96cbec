/* render.c - Summary API JSON, cAdvisor and resource metrics. */
#include "stats/render.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---------------------------------------------------------- helpers */

static void rfc3339(uint64_t ns, char *buf, size_t len)
{
    time_t t = (time_t) (ns / 1000000000ULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_object *jtime(uint64_t ns)
{
    char buf[64];

    rfc3339(ns, buf, sizeof(buf));
    return json_object_new_string(buf);
}

static json_object *ju(uint64_t v) { return json_object_new_uint64(v); }

/* The container name kubelet shows: CRI's name, "POD" for a sandbox. */
static const char *cname(const eb_sample_t *s)
{
    if (s->is_sandbox)
        return "POD";
    return s->container_name ? s->container_name : "";
}

static const char *or_empty(const char *s) { return s ? s : ""; }

/* Containers of one pod: the sandbox id groups them. */
static int same_pod(const eb_sample_t *a, const eb_sample_t *b)
{
    return a->sandbox_id && b->sandbox_id && strcmp(a->sandbox_id, b->sandbox_id) == 0;
}

static int in_pod(const eb_sample_t *s) { return s->sandbox_id && s->pod_name && s->pod_namespace; }

/* ------------------------------------------------------- /stats/summary */

static json_object *cpu_json(uint64_t t, double nanocores, uint64_t total)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "time", jtime(t));
    if (nanocores >= 0)
        json_object_object_add(o, "usageNanoCores", ju((uint64_t) nanocores));
    json_object_object_add(o, "usageCoreNanoSeconds", ju(total));
    return o;
}

static json_object *mem_json(uint64_t t, const eb_mem_view_t *m)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "time", jtime(t));
    if (m->limit)
        json_object_object_add(o, "availableBytes", ju(m->limit > m->working_set ? m->limit - m->working_set : 0));
    json_object_object_add(o, "usageBytes", ju(m->usage));
    json_object_object_add(o, "workingSetBytes", ju(m->working_set));
    json_object_object_add(o, "rssBytes", ju(m->rss));
    json_object_object_add(o, "pageFaults", ju(m->pgfault));
    json_object_object_add(o, "majorPageFaults", ju(m->pgmajfault));
    return o;
}

static json_object *net_json(uint64_t t, const eb_stats_t *st)
{
    json_object *o = json_object_new_object(), *ifs = json_object_new_array();
    size_t i, def = 0;

    json_object_object_add(o, "time", jtime(t));
    for (i = 0; i < st->n_net; i++) {
        const eb_netif_stats_t *n = &st->net[i];
        json_object *x = json_object_new_object();
        json_object_object_add(x, "name", json_object_new_string(n->name));
        json_object_object_add(x, "rxBytes", ju(n->rx_bytes));
        json_object_object_add(x, "rxErrors", ju(n->rx_errors));
        json_object_object_add(x, "txBytes", ju(n->tx_bytes));
        json_object_object_add(x, "txErrors", ju(n->tx_errors));
        json_object_array_add(ifs, x);
        if (strcmp(n->name, "eth0") == 0)
            def = i;
    }
    /* the top-level counters are the default interface's, as kubelet's */
    if (st->n_net) {
        const eb_netif_stats_t *n = &st->net[def];
        json_object_object_add(o, "name", json_object_new_string(n->name));
        json_object_object_add(o, "rxBytes", ju(n->rx_bytes));
        json_object_object_add(o, "rxErrors", ju(n->rx_errors));
        json_object_object_add(o, "txBytes", ju(n->tx_bytes));
        json_object_object_add(o, "txErrors", ju(n->tx_errors));
    }
    json_object_object_add(o, "interfaces", ifs);
    return o;
}

static json_object *fs_json(uint64_t t, const eb_node_sample_t *node, int used_known, uint64_t used, uint64_t inodes)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "time", jtime(t));
    json_object_object_add(o, "availableBytes", ju(node->fs_available));
    json_object_object_add(o, "capacityBytes", ju(node->fs_capacity));
    if (used_known) {
        json_object_object_add(o, "usedBytes", ju(used));
        json_object_object_add(o, "inodesUsed", ju(inodes));
    }
    json_object_object_add(o, "inodesFree", ju(node->fs_inodes_free));
    json_object_object_add(o, "inodes", ju(node->fs_inodes));
    return o;
}

static json_object *pod_json(const eb_snapshot_t *s, size_t first, const char *done)
{
    json_object *pod = json_object_new_object(), *ref = json_object_new_object(), *cs = json_object_new_array();
    const eb_sample_t *head = &s->c[first], *net = NULL;
    eb_mem_view_t sum = { 0 };
    uint64_t cpu = 0, t = head->time_ns, rootfs = 0, inodes = 0, procs = 0;
    double nanocores = 0, start = head->created;
    int rates = 1, all_rootfs = 1;
    size_t i;

    for (i = first; i < s->n; i++) {
        const eb_sample_t *c = &s->c[i];
        eb_mem_view_t m;

        if (done[i] || !same_pod(head, c))
            continue;
        eb_stats_memory(&c->st, &m);
        sum.usage += m.usage, sum.working_set += m.working_set, sum.rss += m.rss;
        sum.pgfault += m.pgfault, sum.pgmajfault += m.pgmajfault;
        cpu += c->st.cpu.total;
        procs += c->st.pids.current;
        if (s->nanocores[i] < 0)
            rates = 0;
        else
            nanocores += s->nanocores[i];
        if (c->created && c->created < start)
            start = c->created;
        if (c->is_sandbox || !net)
            net = c->is_sandbox || c->st.n_net ? c : net;
        if (c->have_rootfs)
            rootfs += c->rootfs_bytes, inodes += c->rootfs_inodes;
        else
            all_rootfs = 0;
        if (c->is_sandbox)
            continue;
        {
            json_object *co = json_object_new_object();
            json_object_object_add(co, "name", json_object_new_string(cname(c)));
            json_object_object_add(co, "startTime", jtime((uint64_t) (c->created * 1e9)));
            json_object_object_add(co, "cpu", cpu_json(c->time_ns, s->nanocores[i], c->st.cpu.total));
            json_object_object_add(co, "memory", mem_json(c->time_ns, &m));
            json_object_object_add(co, "rootfs", fs_json(c->time_ns, &s->node, c->have_rootfs, c->rootfs_bytes,
                                                         c->rootfs_inodes));
            json_object_array_add(cs, co);
        }
    }
    json_object_object_add(ref, "name", json_object_new_string(head->pod_name));
    json_object_object_add(ref, "namespace", json_object_new_string(head->pod_namespace));
    json_object_object_add(ref, "uid", json_object_new_string(or_empty(head->pod_uid)));
    json_object_object_add(pod, "podRef", ref);
    json_object_object_add(pod, "startTime", jtime((uint64_t) (start * 1e9)));
    json_object_object_add(pod, "containers", cs);
    json_object_object_add(pod, "cpu", cpu_json(t, rates ? nanocores : -1, cpu));
    json_object_object_add(pod, "memory", mem_json(t, &sum));
    if (net)
        json_object_object_add(pod, "network", net_json(net->time_ns, &net->st));
    json_object_object_add(pod, "volume", json_object_new_array());
    json_object_object_add(pod, "ephemeral-storage", fs_json(t, &s->node, all_rootfs, rootfs, inodes));
    {
        json_object *ps = json_object_new_object();
        json_object_object_add(ps, "process_count", ju(procs));
        json_object_object_add(pod, "process_stats", ps);
    }
    return pod;
}

char *eb_render_summary(const eb_snapshot_t *s)
{
    json_object *root = json_object_new_object(), *node = json_object_new_object(), *pods = json_object_new_array();
    json_object *mem = json_object_new_object(), *rl = json_object_new_object();
    char *done = eb_xcalloc(s->n + 1, 1), *out;
    uint64_t t = s->node.time_ns;
    size_t i, j;

    json_object_object_add(node, "nodeName", json_object_new_string(s->node_name));
    json_object_object_add(node, "systemContainers", json_object_new_array());
    json_object_object_add(node, "startTime", jtime((uint64_t) (s->node.boot_time * 1e9)));
    json_object_object_add(node, "cpu", cpu_json(t, s->node_nanocores, s->node.cpu_ns));
    json_object_object_add(mem, "time", jtime(t));
    json_object_object_add(mem, "availableBytes", ju(s->node.mem_available));
    json_object_object_add(mem, "usageBytes", ju(s->node.mem_usage));
    json_object_object_add(mem, "workingSetBytes", ju(s->node.mem_working_set));
    json_object_object_add(mem, "rssBytes", ju(s->node.mem_rss));
    json_object_object_add(mem, "pageFaults", ju(s->node.pgfault));
    json_object_object_add(mem, "majorPageFaults", ju(s->node.pgmajfault));
    json_object_object_add(node, "memory", mem);
    json_object_object_add(node, "network", net_json(t, &s->node.net));
    json_object_object_add(node, "fs", fs_json(t, &s->node, 1, s->node.fs_used, s->node.fs_inodes - s->node.fs_inodes_free));
    json_object_object_add(rl, "time", jtime(t));
    json_object_object_add(rl, "maxpid", ju(s->node.maxpid));
    json_object_object_add(rl, "curproc", ju(s->node.curproc));
    json_object_object_add(node, "rlimit", rl);
    json_object_object_add(root, "node", node);

    /* only CRI pods, as kubelet: a container outside a pod has no podRef */
    for (i = 0; i < s->n; i++) {
        if (done[i] || !in_pod(&s->c[i]))
            continue;
        json_object_array_add(pods, pod_json(s, i, done));
        for (j = i; j < s->n; j++)
            if (same_pod(&s->c[i], &s->c[j]))
                done[j] = 1;
    }
    json_object_object_add(root, "pods", pods);
    out = eb_xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    free(done);
    return out;
}

/* ------------------------------------------------------------ Prometheus */

static void label_value(eb_buf_t *b, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            eb_buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            eb_buf_puts(b, "\\n");
        else
            eb_buf_add(b, v, 1);
    }
}

static void labels(eb_buf_t *b, const eb_sample_t *s)
{
    eb_buf_puts(b, "container=\"");
    label_value(b, cname(s));
    eb_buf_puts(b, "\",id=\"");
    label_value(b, s->cgroup);
    eb_buf_puts(b, "\",image=\"");
    label_value(b, s->image);
    eb_buf_puts(b, "\",name=\"");
    label_value(b, s->id);
    eb_buf_puts(b, "\",namespace=\"");
    label_value(b, in_pod(s) ? s->pod_namespace : "");
    eb_buf_puts(b, "\",pod=\"");
    label_value(b, in_pod(s) ? s->pod_name : "");
    eb_buf_puts(b, "\"");
}

static void family(eb_buf_t *b, const char *name, const char *type, const char *help)
{
    eb_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{labels of S[,EXTRA]} VALUE TIMESTAMP_MS */
static void series(eb_buf_t *b, const char *name, const eb_sample_t *s, const char *extra, double v)
{
    eb_buf_printf(b, "%s{", name);
    labels(b, s);
    if (extra)
        eb_buf_printf(b, ",%s", extra);
    eb_buf_printf(b, "} %.17g %llu\n", v, (unsigned long long) (s->time_ns / 1000000));
}

/* "/dev/vda" for 254:0 on the host; a guest's numbers mean nothing here. */
static void device_name(const eb_sample_t *s, uint64_t major, uint64_t minor, char *out, size_t len)
{
    char path[96], *text = NULL, *p;
    eb_error_t err = { 0 };

    snprintf(out, len, "%llu:%llu", (unsigned long long) major, (unsigned long long) minor);
    if (!s->host_view)
        return;
    snprintf(path, sizeof(path), "/sys/dev/block/%llu:%llu/uevent", (unsigned long long) major,
             (unsigned long long) minor);
    if (eb_read_file(path, 4096, &text, NULL, &err) == 0 && (p = strstr(text, "DEVNAME="))) {
        p += 8;
        snprintf(out, len, "/dev/%.*s", (int) strcspn(p, "\n"), p);
    }
    free(text);
}

struct blk_sum { uint64_t major, minor, read, write; };

/* Per device: bytes or operations read and written (cgroup v1 ops
 * "Read"/"Write", v2 rbytes/wbytes become the same entries). */
static size_t blk_devices(const eb_blkio_entry_t *e, size_t n, struct blk_sum *out, size_t max)
{
    size_t i, j, k = 0;

    for (i = 0; i < n; i++) {
        int rd = strcasecmp(e[i].op, "Read") == 0, wr = strcasecmp(e[i].op, "Write") == 0;
        if (!rd && !wr)
            continue;
        for (j = 0; j < k && (out[j].major != e[i].major || out[j].minor != e[i].minor); j++)
            ;
        if (j == k) {
            if (k == max)
                continue;
            memset(&out[k], 0, sizeof(out[k]));
            out[k].major = e[i].major, out[k].minor = e[i].minor;
            k++;
        }
        if (rd)
            out[j].read += e[i].value;
        else
            out[j].write += e[i].value;
    }
    return k;
}

/* cAdvisor's families in its order; cadvisor_series knows each by its index. */
static const struct { const char *name, *type, *help; } cadvisor_fam[] = {
    { "container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds." },
    { "container_cpu_user_seconds_total", "counter", "Cumulative user cpu time consumed in seconds." },
    { "container_cpu_system_seconds_total", "counter", "Cumulative system cpu time consumed in seconds." },
    { "container_cpu_cfs_periods_total", "counter", "Number of elapsed enforcement period intervals." },
    { "container_cpu_cfs_throttled_periods_total", "counter", "Number of throttled period intervals." },
    { "container_cpu_cfs_throttled_seconds_total", "counter", "Total time duration the container has been throttled." },
    { "container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed" },
    { "container_memory_working_set_bytes", "gauge", "Current working set in bytes." },
    { "container_memory_rss", "gauge", "Size of RSS in bytes." },
    { "container_memory_cache", "gauge", "Number of bytes of page cache memory." },
    { "container_memory_swap", "gauge", "Container swap usage in bytes." },
    { "container_memory_failures_total", "counter", "Cumulative count of memory allocation failures." },
    { "container_spec_memory_limit_bytes", "gauge", "Memory limit for the container." },
    { "container_oom_events_total", "counter", "Count of out of memory events observed for the container" },
    { "container_threads", "gauge", "Number of threads running inside the container" },
    { "container_threads_max", "gauge", "Maximum number of threads allowed inside the container, infinity if value is zero" },
    { "container_network_receive_bytes_total", "counter", "Cumulative count of bytes received" },
    { "container_network_receive_packets_total", "counter", "Cumulative count of packets received" },
    { "container_network_receive_errors_total", "counter", "Cumulative count of errors encountered while receiving" },
    { "container_network_receive_packets_dropped_total", "counter", "Cumulative count of packets dropped while receiving" },
    { "container_network_transmit_bytes_total", "counter", "Cumulative count of bytes transmitted" },
    { "container_network_transmit_packets_total", "counter", "Cumulative count of packets transmitted" },
    { "container_network_transmit_errors_total", "counter", "Cumulative count of errors encountered while transmitting" },
    { "container_network_transmit_packets_dropped_total", "counter", "Cumulative count of packets dropped while transmitting" },
    { "container_fs_reads_bytes_total", "counter", "Cumulative count of bytes read" },
    { "container_fs_writes_bytes_total", "counter", "Cumulative count of bytes written" },
    { "container_fs_reads_total", "counter", "Cumulative count of reads completed" },
    { "container_fs_writes_total", "counter", "Cumulative count of writes completed" },
    { "container_blkio_device_usage_total", "counter", "Blkio Device bytes usage" },
    { "container_fs_usage_bytes", "gauge", "Number of bytes that are consumed by the container on this filesystem." },
    { "container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds." },
    { "container_last_seen", "gauge", "Last time a container was seen by the exporter" },
};

/* Per interface: bytes, packets, errors, drops received (I 0-3), sent (4-7). */
static void net_series(eb_buf_t *b, const char *m, const eb_sample_t *c, size_t idx)
{
    size_t k;

    for (k = 0; k < c->st.n_net; k++) {
        const eb_netif_stats_t *n = &c->st.net[k];
        const uint64_t v[8] = { n->rx_bytes, n->rx_packets, n->rx_errors, n->rx_dropped,
                                n->tx_bytes, n->tx_packets, n->tx_errors, n->tx_dropped };
        eb_buf_t e = { 0 };
        /* the name may come from a guest: escaped like any label */
        eb_buf_puts(&e, "interface=\"");
        label_value(&e, n->name);
        eb_buf_puts(&e, "\"");
        series(b, m, c, eb_buf_str(&e), (double) v[idx]);
        eb_buf_free(&e);
    }
}

/* Per device, from bytes (OPS 0) or operations (1): what was read
 * (WRITES 0) or written (1). */
static void blk_series(eb_buf_t *b, const char *m, const eb_sample_t *c, int ops, int writes)
{
    const eb_stats_t *st = &c->st;
    struct blk_sum d[32];
    size_t nd = ops ? blk_devices(st->blkio.serviced, st->blkio.n_serviced, d, 32)
                    : blk_devices(st->blkio.service_bytes, st->blkio.n_service_bytes, d, 32);
    size_t k;

    for (k = 0; k < nd; k++) {
        char dev[96], extra[256];
        device_name(c, d[k].major, d[k].minor, dev, sizeof(dev));
        snprintf(extra, sizeof(extra), "device=\"%s\"", dev);
        series(b, m, c, extra, (double) (writes ? d[k].write : d[k].read));
    }
}

/* container_blkio_device_usage_total: bytes per device and operation. */
static void blk_usage_series(eb_buf_t *b, const char *m, const eb_sample_t *c)
{
    const eb_stats_t *st = &c->st;
    struct blk_sum d[32];
    size_t nd = blk_devices(st->blkio.service_bytes, st->blkio.n_service_bytes, d, 32), k;

    for (k = 0; k < nd; k++) {
        char dev[96], extra[256];
        device_name(c, d[k].major, d[k].minor, dev, sizeof(dev));
        snprintf(extra, sizeof(extra), "device=\"%s\",major=\"%llu\",minor=\"%llu\",operation=\"Read\"", dev,
                 (unsigned long long) d[k].major, (unsigned long long) d[k].minor);
        series(b, m, c, extra, (double) d[k].read);
        snprintf(extra, sizeof(extra), "device=\"%s\",major=\"%llu\",minor=\"%llu\",operation=\"Write\"", dev,
                 (unsigned long long) d[k].major, (unsigned long long) d[k].minor);
        series(b, m, c, extra, (double) d[k].write);
    }
}

/* Family F's series of container C. */
static void cadvisor_series(eb_buf_t *b, size_t f, const eb_sample_t *c, int percpu)
{
    const char *m = cadvisor_fam[f].name;
    const eb_stats_t *st = &c->st;
    eb_mem_view_t mv;
    char extra[256];
    size_t k;

    eb_stats_memory(st, &mv);
    switch (f) {
    case 0:
        series(b, m, c, "cpu=\"total\"", (double) st->cpu.total / 1e9);
        for (k = 0; percpu && k < st->cpu.n_percpu; k++) {
            snprintf(extra, sizeof(extra), "cpu=\"cpu%02zu\"", k);
            series(b, m, c, extra, (double) st->cpu.percpu[k] / 1e9);
        }
        break;
    case 1: series(b, m, c, NULL, (double) st->cpu.user / 1e9); break;
    case 2: series(b, m, c, NULL, (double) st->cpu.kernel / 1e9); break;
    case 3: if (st->cpu.periods) series(b, m, c, NULL, (double) st->cpu.periods); break;
    case 4: if (st->cpu.periods) series(b, m, c, NULL, (double) st->cpu.throttled_periods); break;
    case 5: if (st->cpu.periods) series(b, m, c, NULL, (double) st->cpu.throttled_time / 1e9); break;
    case 6: series(b, m, c, NULL, (double) mv.usage); break;
    case 7: series(b, m, c, NULL, (double) mv.working_set); break;
    case 8: series(b, m, c, NULL, (double) mv.rss); break;
    case 9: series(b, m, c, NULL, (double) mv.cache); break;
    case 10: series(b, m, c, NULL, (double) mv.swap); break;
    case 11:
        /* v1/v2 count faults for the whole subtree: scope "hierarchy" */
        series(b, m, c, "failure_type=\"pgfault\",scope=\"container\"", (double) mv.pgfault);
        series(b, m, c, "failure_type=\"pgmajfault\",scope=\"container\"", (double) mv.pgmajfault);
        series(b, m, c, "failure_type=\"pgfault\",scope=\"hierarchy\"", (double) mv.pgfault);
        series(b, m, c, "failure_type=\"pgmajfault\",scope=\"hierarchy\"", (double) mv.pgmajfault);
        break;
    case 12: series(b, m, c, NULL, (double) mv.limit); break;
    case 13: series(b, m, c, NULL, (double) st->memory.oom_kill); break;
    case 14: series(b, m, c, NULL, (double) st->pids.current); break;
    case 15: series(b, m, c, NULL, (double) st->pids.limit); break;
    case 16: case 17: case 18: case 19: case 20: case 21: case 22: case 23: net_series(b, m, c, f - 16); break;
    case 24: case 25: case 26: case 27: blk_series(b, m, c, f >= 26, f == 25 || f == 27); break;
    case 28: blk_usage_series(b, m, c); break;
    case 29: if (c->have_rootfs) series(b, m, c, "device=\"rootfs\"", (double) c->rootfs_bytes); break;
    case 30: series(b, m, c, NULL, c->created); break;
    case 31: series(b, m, c, NULL, (double) (c->time_ns / 1000000000ULL)); break;
    }
}

void eb_render_cadvisor(const eb_snapshot_t *s, eb_buf_t *b)
{
    size_t f, i;

    for (f = 0; f < EB_ARRAY_SIZE(cadvisor_fam); f++) {
        family(b, cadvisor_fam[f].name, cadvisor_fam[f].type, cadvisor_fam[f].help);
        for (i = 0; i < s->n; i++)
            cadvisor_series(b, f, &s->c[i], s->percpu);
    }
}

/* ------------------------------------------------------ /metrics/resource */

static void pod_labels(eb_buf_t *b, const eb_sample_t *s, int with_container)
{
    eb_buf_puts(b, "{");
    if (with_container) {
        eb_buf_puts(b, "container=\"");
        label_value(b, cname(s));
        eb_buf_puts(b, "\",");
    }
    eb_buf_puts(b, "namespace=\"");
    label_value(b, s->pod_namespace);
    eb_buf_puts(b, "\",pod=\"");
    label_value(b, s->pod_name);
    eb_buf_puts(b, "\"}");
}

void eb_render_resource(const eb_snapshot_t *s, eb_buf_t *b)
{
    unsigned long long ms = (unsigned long long) (s->node.time_ns / 1000000);
    size_t i, j, f;
    char *done;

    /* kubelet's names and [STABLE] help texts; only containers of pods,
     * without the sandbox (kubelet leaves out the pause container) */
    for (f = 0; f < 3; f++) {
        static const char *const names[] = { "container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                                             "container_start_time_seconds" };
        static const char *const helps[] = {
            "[STABLE] Cumulative cpu time consumed by the container in core-seconds",
            "[STABLE] Current working set of the container in bytes",
            "[STABLE] Start time of the container since unix epoch in seconds" };
        family(b, names[f], f == 0 ? "counter" : "gauge", helps[f]);
        for (i = 0; i < s->n; i++) {
            const eb_sample_t *c = &s->c[i];
            eb_mem_view_t mv;
            double v;

            if (!in_pod(c) || c->is_sandbox)
                continue;
            eb_stats_memory(&c->st, &mv);
            v = f == 0 ? (double) c->st.cpu.total / 1e9 : f == 1 ? (double) mv.working_set : c->created;
            eb_buf_puts(b, names[f]);
            pod_labels(b, c, 1);
            eb_buf_printf(b, " %.17g %llu\n", v, (unsigned long long) (c->time_ns / 1000000));
        }
    }
    family(b, "node_cpu_usage_seconds_total", "counter", "[STABLE] Cumulative cpu time consumed by the node in core-seconds");
    eb_buf_printf(b, "node_cpu_usage_seconds_total %.17g %llu\n", (double) s->node.cpu_ns / 1e9, ms);
    family(b, "node_memory_working_set_bytes", "gauge", "[STABLE] Current working set of the node in bytes");
    eb_buf_printf(b, "node_memory_working_set_bytes %llu %llu\n", (unsigned long long) s->node.mem_working_set, ms);
    done = eb_xcalloc(s->n + 1, 1);
    for (f = 0; f < 2; f++) {
        family(b, f ? "pod_memory_working_set_bytes" : "pod_cpu_usage_seconds_total", f ? "gauge" : "counter",
               f ? "[STABLE] Current working set of the pod in bytes"
                 : "[STABLE] Cumulative cpu time consumed by the pod in core-seconds");
        memset(done, 0, s->n + 1);
        for (i = 0; i < s->n; i++) {
            double v = 0;
            if (done[i] || !in_pod(&s->c[i]))
                continue;
            for (j = i; j < s->n; j++) {
                eb_mem_view_t mv;
                if (!same_pod(&s->c[i], &s->c[j]))
                    continue;
                done[j] = 1;
                eb_stats_memory(&s->c[j].st, &mv);
                v += f ? (double) mv.working_set : (double) s->c[j].st.cpu.total / 1e9;
            }
            eb_buf_puts(b, f ? "pod_memory_working_set_bytes" : "pod_cpu_usage_seconds_total");
            pod_labels(b, &s->c[i], 0);
            eb_buf_printf(b, " %.17g %llu\n", v, (unsigned long long) (s->c[i].time_ns / 1000000));
        }
    }
    free(done);
    family(b, "resource_scrape_error", "gauge", "[STABLE] 1 if there was an error while getting container metrics, 0 otherwise");
    eb_buf_printf(b, "resource_scrape_error %d\n", s->errors ? 1 : 0);
}
