/* spec.h - the OCI runtime configuration (config.json) as validated C data.
 *
 * eb_spec_parse() turns JSON text into an eb_spec_t and checks everything a
 * runtime must refuse before touching the system (types, ranges, absolute
 * paths, known names).  Errors name the JSON path: "linux.resources.memory.
 * limit: expected an integer".  Strings point into the retained json-c tree
 * and arrays live in the spec's arena: eb_spec_free() releases everything.
 * Nothing here has side effects, which is why the fuzz target drives it. */
#ifndef EB_SPEC_H
#define EB_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct json_object;

#define EB_SPEC_OCI_VERSION "1.1.0"
#define EB_SPEC_MAX_SIZE (16u * 1024 * 1024)

typedef struct { bool set; int64_t v; } eb_opt_i64_t;
typedef struct { bool set; uint64_t v; } eb_opt_u64_t;

typedef struct { uint32_t container_id, host_id, size; } eb_idmap_t;

typedef struct {
    const char *path;
    const char **args;      /* NULL-terminated */
    const char **env;       /* NULL-terminated */
    eb_opt_i64_t timeout;
} eb_hook_t;

enum eb_hook_kind {
    EB_HOOK_PRESTART, EB_HOOK_CREATE_RUNTIME, EB_HOOK_CREATE_CONTAINER,
    EB_HOOK_START_CONTAINER, EB_HOOK_POSTSTART, EB_HOOK_POSTSTOP, EB_HOOK_KINDS
};
extern const char *const eb_hook_kind_names[EB_HOOK_KINDS];

typedef struct {
    const char *destination, *source, *type;
    const char **options;   /* NULL-terminated, as written */
    size_t noptions;
} eb_mount_t;

typedef struct {
    int resource;           /* RLIMIT_* */
    const char *name;
    uint64_t soft, hard;
} eb_rlimit_t;

typedef struct {
    bool terminal;
    uint32_t console_height, console_width;
    uint32_t uid, gid;
    eb_opt_u64_t umask;
    gid_t *additional_gids;
    size_t n_additional_gids;
    const char **args;      /* NULL-terminated, at least one */
    const char **env;       /* NULL-terminated */
    const char *cwd;
    bool has_caps;
    uint64_t cap_bounding, cap_effective, cap_inheritable, cap_permitted, cap_ambient;
    eb_rlimit_t *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    const char *apparmor_profile;
    const char *selinux_label;
    eb_opt_i64_t oom_score_adj;
} eb_process_t;

enum eb_ns_type { EB_NS_PID, EB_NS_NET, EB_NS_MNT, EB_NS_IPC, EB_NS_UTS, EB_NS_USER,
                  EB_NS_CGROUP, EB_NS_TIME, EB_NS_TYPES };
extern const char *const eb_ns_names[EB_NS_TYPES];      /* OCI names: "pid", "network", ... */
extern const char *const eb_ns_proc_names[EB_NS_TYPES]; /* /proc/PID/ns names: "pid", "net", ... */
extern const int eb_ns_clone_flags[EB_NS_TYPES];

typedef struct {
    bool present;
    const char *path;       /* NULL: create a new one */
} eb_namespace_t;

typedef struct {
    bool allow;
    char type;              /* 'a', 'c', 'b' */
    int64_t major, minor;   /* -1 = any */
    char access[4];         /* subset of "rwm" */
} eb_device_rule_t;

typedef struct { int64_t major, minor; eb_opt_u64_t weight, leaf_weight; } eb_blkio_weight_dev_t;
typedef struct { int64_t major, minor; uint64_t rate; } eb_blkio_throttle_t;
typedef struct { const char *page_size; uint64_t limit; } eb_hugepage_limit_t;
typedef struct { const char *name; uint32_t priority; } eb_net_prio_t;
typedef struct { const char *key, *value; } eb_kv_t;

typedef struct {
    eb_device_rule_t *devices;
    size_t n_devices;
    struct {
        eb_opt_i64_t limit, reservation, swap, kernel, kernel_tcp;
        eb_opt_u64_t swappiness;
        bool disable_oom_killer;
        bool use_hierarchy_set, use_hierarchy;
    } memory;
    struct {
        eb_opt_u64_t shares, period, realtime_period, burst;
        eb_opt_i64_t quota, realtime_runtime, idle;
        const char *cpus, *mems;
    } cpu;
    eb_opt_i64_t pids_limit;
    struct {
        eb_opt_u64_t weight, leaf_weight;
        eb_blkio_weight_dev_t *weight_device; size_t n_weight_device;
        eb_blkio_throttle_t *throttle[4]; size_t n_throttle[4]; /* read bps, write bps, read iops, write iops */
    } blkio;
    eb_hugepage_limit_t *hugepage_limits;
    size_t n_hugepage_limits;
    struct {
        eb_opt_u64_t class_id;
        eb_net_prio_t *priorities; size_t n_priorities;
    } network;
    eb_kv_t *unified;
    size_t n_unified;
} eb_resources_t;

enum eb_blkio_throttle_kind { EB_THROTTLE_READ_BPS, EB_THROTTLE_WRITE_BPS,
                              EB_THROTTLE_READ_IOPS, EB_THROTTLE_WRITE_IOPS };

typedef struct {
    uint64_t value, value_two;
    unsigned index;
    int op;                 /* enum scmp_compare */
} eb_seccomp_arg_t;

/* Seccomp actions as named in the spec; the core maps them to libseccomp so
 * that parsing needs no libseccomp. */
enum eb_scmp_action { EB_SCMP_KILL_THREAD, EB_SCMP_KILL_PROCESS, EB_SCMP_TRAP, EB_SCMP_ERRNO,
                      EB_SCMP_TRACE, EB_SCMP_ALLOW, EB_SCMP_LOG, EB_SCMP_NOTIFY, EB_SCMP_ACTIONS };
extern const char *const eb_scmp_action_names[EB_SCMP_ACTIONS];
/* Comparison operators, numbered as libseccomp's enum scmp_compare (1..7). */
extern const char *const eb_scmp_op_names[8];

typedef struct {
    const char **names;     /* NULL-terminated */
    int action;             /* enum eb_scmp_action */
    eb_opt_u64_t errno_ret;
    eb_seccomp_arg_t *args;
    size_t n_args;
} eb_seccomp_rule_t;

typedef struct {
    bool present;
    int default_action;     /* enum eb_scmp_action */
    eb_opt_u64_t default_errno_ret;
    const char **architectures;  /* NULL-terminated SCMP_ARCH_* names */
    const char **flags;          /* NULL-terminated SECCOMP_FILTER_FLAG_* names */
    const char *listener_path, *listener_metadata;
    eb_seccomp_rule_t *syscalls;
    size_t n_syscalls;
} eb_seccomp_t;

typedef struct {
    const char *path;
    char type;              /* 'c', 'b', 'u', 'p' */
    int64_t major, minor;
    eb_opt_u64_t file_mode;
    eb_opt_u64_t uid, gid;
} eb_linux_device_t;

typedef struct eb_spec {
    struct json_object *json;   /* the parsed document, owner of all strings */
    void *arena;

    const char *oci_version;
    const char *root_path;
    bool root_readonly;
    const char *hostname, *domainname;
    eb_mount_t *mounts;
    size_t n_mounts;
    bool has_process;
    eb_process_t process;
    eb_hook_t *hooks[EB_HOOK_KINDS];
    size_t n_hooks[EB_HOOK_KINDS];
    eb_kv_t *annotations;
    size_t n_annotations;

    /* linux */
    eb_namespace_t namespaces[EB_NS_TYPES];
    eb_idmap_t *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    eb_kv_t *sysctl;
    size_t n_sysctl;
    eb_resources_t resources;
    const char *cgroups_path;
    unsigned long rootfs_propagation;   /* MS_* or 0 */
    eb_seccomp_t seccomp;
    const char **masked_paths, **readonly_paths;
    const char *mount_label;
    eb_linux_device_t *devices;
    size_t n_devices;
} eb_spec_t;

/* Parse and validate DATA (LEN bytes).  On success *OUT owns everything. */
int eb_spec_parse(const char *data, size_t len, eb_spec_t **out, eb_error_t *err);
/* Validate OBJ, a JSON tree already parsed within bounds (the guest agent's
 * request from the host); *OUT holds a reference to it. */
int eb_spec_from_json(struct json_object *obj, eb_spec_t **out, eb_error_t *err);
/* Read BUNDLE/config.json and parse it. */
int eb_spec_load(const char *path, eb_spec_t **out, eb_error_t *err);
void eb_spec_free(eb_spec_t *spec);
static inline void eb_spec_freep(eb_spec_t **spec) { eb_spec_free(*spec); }
#define _cleanup_spec_ __attribute__((cleanup(eb_spec_freep)))

/* Parse a standalone "process" object (exec --process) into SPEC's arena. */
int eb_spec_parse_process(eb_spec_t *spec, const char *data, size_t len, eb_process_t *out,
                          eb_error_t *err);
/* Parse a "linux.resources" object (update -r) into SPEC's arena. */
int eb_spec_parse_resources(eb_spec_t *spec, const char *data, size_t len, eb_resources_t *out,
                            eb_error_t *err);

const char *eb_spec_annotation(const eb_spec_t *spec, const char *key);
/* KEY's value, else ALT's: one fact under containerd's and CRI-O's names (spec/cri.h). */
const char *eb_spec_annotation_either(const eb_spec_t *spec, const char *key, const char *alt);

/* Default configuration as `spec` writes it (hardened).  Returns JSON text. */
char *eb_spec_default_json(bool rootless, uid_t uid, gid_t gid);

/* Capability name ("CAP_SYS_ADMIN") to number, -1 when unknown. */
int eb_cap_from_name(const char *name);
const char *eb_cap_name(int cap);
int eb_cap_last(void);

#endif
