/* node.c - the node's numbers, the way kubelet's cAdvisor reads them. */
#include "stats/node.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static uint64_t meminfo(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    unsigned long long v = 0;

    if (p && sscanf(p + strlen(key), ": %llu kB", &v) == 1)
        return v * 1024;
    return 0;
}

static uint64_t vmstat(const char *text, const char *key)
{
    char pat[64];
    const char *p;
    unsigned long long v = 0;

    snprintf(pat, sizeof(pat), "\n%s ", key);
    if ((p = strstr(text, pat)) && sscanf(p + strlen(pat), "%llu", &v) == 1)
        return v;
    return 0;
}

void eb_node_collect(const char *fs_path, eb_node_sample_t *n)
{
    _cleanup_free_ char *stat = NULL, *mem = NULL, *vm = NULL, *pidmax = NULL;
    eb_error_t err = { 0 };
    struct timespec ts;
    struct statvfs vfs;
    long hz = sysconf(_SC_CLK_TCK);
    const char *line;

    memset(n, 0, sizeof(*n));
    clock_gettime(CLOCK_REALTIME, &ts);
    n->time_ns = (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
    if (hz <= 0)
        hz = 100;
    if (eb_read_file("/proc/stat", 1 << 20, &stat, NULL, &err) == 0) {
        unsigned long long u, ni, sy, id, io, irq, sirq, st;
        if (sscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &ni, &sy, &id, &io, &irq, &sirq, &st) == 8)
            n->cpu_ns = (u + ni + sy + irq + sirq + st) * (1000000000ULL / (uint64_t) hz);
        if ((line = strstr(stat, "\nbtime ")))
            n->boot_time = strtod(line + 7, NULL);
    }
    if (eb_read_file("/proc/meminfo", 1 << 20, &mem, NULL, &err) == 0) {
        uint64_t inactive_file = meminfo(mem, "Inactive(file)");
        n->mem_total = meminfo(mem, "MemTotal");
        n->mem_available = meminfo(mem, "MemAvailable");
        /* the root cgroup's usage is total - free; working set drops inactive file pages */
        {
            uint64_t used = n->mem_total - meminfo(mem, "MemFree");
            n->mem_usage = used;
            n->mem_working_set = used > inactive_file ? used - inactive_file : 0;
        }
        n->mem_rss = meminfo(mem, "AnonPages");
        n->mem_cache = meminfo(mem, "Cached");
    }
    if (eb_read_file("/proc/vmstat", 1 << 20, &vm, NULL, &err) == 0) {
        n->pgfault = vmstat(vm, "pgfault");
        n->pgmajfault = vmstat(vm, "pgmajfault");
    }
    if (statvfs(fs_path, &vfs) == 0) {
        n->fs_capacity = (uint64_t) vfs.f_blocks * vfs.f_frsize;
        n->fs_available = (uint64_t) vfs.f_bavail * vfs.f_frsize;
        n->fs_used = ((uint64_t) vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
        n->fs_inodes = vfs.f_files;
        n->fs_inodes_free = vfs.f_ffree;
    }
    if (eb_read_file("/proc/sys/kernel/pid_max", 64, &pidmax, NULL, &err) == 0)
        n->maxpid = strtoull(pidmax, NULL, 10);
    {
        _cleanup_free_ char *la = NULL;
        const char *slash;
        /* "0.00 0.01 0.05 1/123 4567": running/total tasks */
        if (eb_read_file("/proc/loadavg", 256, &la, NULL, &err) == 0 && (slash = strchr(la, '/')))
            n->curproc = strtoull(slash + 1, NULL, 10);
    }
    eb_stats_read_netdev(1, &n->net, &err);
}
