/* node.h - the node's own numbers for the Summary API and
 * /metrics/resource: CPU from /proc/stat, memory from /proc/meminfo,
 * network of the host namespace, the filesystem holding FS_PATH. */
#ifndef EB_STATS_NODE_H
#define EB_STATS_NODE_H

#include "core/stats.h"

#include <stdint.h>

typedef struct eb_node_sample {
    uint64_t time_ns;
    uint64_t cpu_ns;              /* busy CPU time of all CPUs */
    uint64_t mem_total, mem_available, mem_usage, mem_working_set, mem_rss, mem_cache;
    uint64_t pgfault, pgmajfault;
    uint64_t fs_capacity, fs_available, fs_used, fs_inodes, fs_inodes_free;
    uint64_t maxpid, curproc;
    double boot_time;             /* unix seconds */
    eb_stats_t net;               /* only .net used */
} eb_node_sample_t;

void eb_node_collect(const char *fs_path, eb_node_sample_t *n);

#endif
