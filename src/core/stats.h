/* stats.h - one container's resource usage, as runc's `events --stats`
 * reports it (cpu, memory, pids, blkio, hugetlb) plus the network
 * interfaces of its network namespace, which runc leaves empty. */
#ifndef EB_STATS_H
#define EB_STATS_H

#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

#define EB_STATS_MAX_CPUS 1024
#define EB_STATS_MAX_ENTRIES 256

typedef struct { uint64_t major, minor; char op[8]; uint64_t value; } eb_blkio_entry_t;
typedef struct { char key[64]; uint64_t value; } eb_stat_kv_t;
typedef struct {
    char name[32];
    uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
    uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
} eb_netif_stats_t;
typedef struct { char page_size[16]; uint64_t usage, max, failcnt; } eb_hugetlb_stats_t;
typedef struct { uint64_t usage, max, failcnt, limit; } eb_mem_entry_t;

struct eb_stats {
    struct {
        uint64_t total, kernel, user;
        uint64_t percpu[EB_STATS_MAX_CPUS];
        size_t n_percpu;
        uint64_t periods, throttled_periods, throttled_time;
    } cpu;
    struct {
        uint64_t cache;
        eb_mem_entry_t usage, swap, kernel, kernel_tcp;
        eb_stat_kv_t raw[EB_STATS_MAX_ENTRIES];
        size_t n_raw;
        uint64_t oom_kill;
    } memory;
    struct { uint64_t current, limit; } pids;
    struct {
        eb_blkio_entry_t service_bytes[EB_STATS_MAX_ENTRIES];
        size_t n_service_bytes;
        eb_blkio_entry_t serviced[EB_STATS_MAX_ENTRIES];
        size_t n_serviced;
    } blkio;
    eb_hugetlb_stats_t hugetlb[8];
    size_t n_hugetlb;
    eb_netif_stats_t net[64];
    size_t n_net;
};
typedef struct eb_stats eb_stats_t;

/* Interfaces of PID's network namespace from /proc/PID/net/dev ("lo" left out). */
int eb_stats_read_netdev(pid_t pid, eb_stats_t *st, eb_error_t *err);
/* Parse /proc/net/dev text (exposed for the unit test and fuzzing). */
int eb_stats_parse_netdev(const char *text, eb_stats_t *st);
/* runc's events JSON "data" object for ST (heap string). */
char *eb_stats_to_json(const eb_stats_t *st);
/* The reverse, for what a runv guest agent sends: every number must be a
 * non-negative integer, names bounded, lists capped at the sizes above. */
struct json_object;
int eb_stats_from_json(struct json_object *data, eb_stats_t *st, eb_error_t *err);

/* A memory.stat value by key (0 when absent). */
uint64_t eb_stats_raw(const eb_stats_t *st, const char *key);
/* Memory as kubelet and cAdvisor report it, from v1 or v2 numbers. */
typedef struct {
    uint64_t usage, working_set, rss, cache, swap, pgfault, pgmajfault, limit, failcnt;
} eb_mem_view_t;
void eb_stats_memory(const eb_stats_t *st, eb_mem_view_t *m);

#endif
