/* cgroup_internal.h - the back-end interface behind cgroup.h. */
#ifndef EB_CGROUP_INTERNAL_H
#define EB_CGROUP_INTERNAL_H

#include "core/cgroup.h"

struct eb_cgroup_hier {
    char *controllers;   /* "cpu", "memory", "name=systemd" ... */
    char *dir;           /* mountpoint + path */
};

struct eb_cgroup_ops;

struct eb_cgroup {
    const struct eb_cgroup_ops *ops;
    char *path;
    /* v1: one entry per hierarchy; v2: one entry, the directory. */
    struct eb_cgroup_hier *h;
    size_t nh;
    /* v1 hybrid: the cgroup in the unified hierarchy, NULL when absent. */
    char *unified_dir;
    int oom_efd;
};

struct eb_cgroup_ops {
    int version;
    /* Fill the handle's directories; make them too when CREATE. */
    int (*init)(eb_cgroup_t *cg, bool create, eb_error_t *err);
    int (*enter)(eb_cgroup_t *cg, pid_t pid, eb_error_t *err);
    int (*apply)(eb_cgroup_t *cg, const eb_resources_t *res, const eb_spec_t *spec, bool update,
                 eb_error_t *err);
    int (*freeze)(eb_cgroup_t *cg, bool freeze, eb_error_t *err);
    int (*is_frozen)(eb_cgroup_t *cg);
    int (*stats)(eb_cgroup_t *cg, eb_stats_t *st, eb_error_t *err);
    int (*oom_watch)(eb_cgroup_t *cg, eb_error_t *err);
    uint64_t (*oom_count)(eb_cgroup_t *cg);
    /* the directory whose cgroup.procs lists the members */
    const char *(*procs_dir)(eb_cgroup_t *cg);
};

extern const struct eb_cgroup_ops eb_cgroup_v1_ops;
extern const struct eb_cgroup_ops eb_cgroup_v2_ops;

/* Shared helpers. */
int eb_cg_write(const char *dir, const char *file, const char *value, eb_error_t *err);
/* cpu.cpus and cpu.mems (when given) into DIR's cpuset files: the same files in v1 and v2. */
int eb_cg_write_cpuset(const char *dir, const eb_resources_t *r, eb_error_t *err);
int eb_cg_writef(const char *dir, const char *file, eb_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* True when DIR/FILE exists (knobs the kernel may not offer). */
bool eb_cg_exists(const char *dir, const char *file);
/* Read a single integer ("max" reads as UINT64_MAX). */
int eb_cg_read_u64(const char *dir, const char *file, uint64_t *out);
/* Read KEY VALUE lines (memory.stat, cpu.stat): value of KEY or -1. */
int eb_cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out);
/* Create DIR, creating parents; ON_LEVEL is called for each level made. */
int eb_cg_mkdir(const char *base, const char *path, int (*on_level)(const char *parent, const char *dir, eb_error_t *),
                eb_error_t *err);
/* v2 resource writer also used by v1 hybrid for hugetlb. */
int eb_cg_v2_hugetlb(const char *dir, const eb_resources_t *res, eb_error_t *err);
int eb_cg_v2_enable_controllers(const char *root, const char *path, eb_error_t *err);
/* v1 linux.resources.network into the net_cls (CLS) and net_prio (PRIO)
 * directories; NULL for a hierarchy that is not mounted. */
int eb_cg_v1_network(const char *cls, const char *prio, const eb_resources_t *r, eb_error_t *err);

#endif
