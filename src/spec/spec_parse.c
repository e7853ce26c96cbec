/* spec_parse.c - config.json top level, process, mounts, hooks, namespaces,
 * id mappings and devices.  Resources and seccomp are in spec_resources.c. */
#include "spec/spec_internal.h"
#include "common/util.h"
#include "common/cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sched.h>

const char *const eb_hook_kind_names[EB_HOOK_KINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};
const char *const eb_ns_names[EB_NS_TYPES] = {
    "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time",
};
const char *const eb_ns_proc_names[EB_NS_TYPES] = {
    "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time",
};
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
const int eb_ns_clone_flags[EB_NS_TYPES] = {
    CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWUSER,
    CLONE_NEWCGROUP, CLONE_NEWTIME,
};

static const struct { const char *name; int res; } rlimit_names[] = {
    { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_DATA", RLIMIT_DATA }, { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_RSS", RLIMIT_RSS }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_caps(eb_arena_t *a, struct json_object *caps, const char *key, const char *path,
                      uint64_t *mask, eb_error_t *err)
{
    const char **names;
    size_t n, i;
    if (js_strv(a, caps, key, path, &names, &n, err) < 0)
        return -1;
    *mask = 0;
    for (i = 0; i < n; i++) {
        int c = eb_cap_from_name(names[i]);
        if (c < 0)
            return eb_error_set(err, EINVAL, "%s.%s[%zu]: unknown capability `%s`", path, key, i,
                                names[i]);
        /* Capabilities the running kernel lacks are ignored, as runc does. */
        if (c <= eb_cap_last())
            *mask |= 1ULL << c;
    }
    return 0;
}

/* process.user at OBJ (its path SUB). */
static int parse_user(eb_arena_t *a, struct json_object *user, const char *sub, eb_process_t *p, eb_error_t *err)
{
    struct json_object *v;
    char q[160];
    size_t i;
    if (js_expect(user, json_type_object, sub, err) < 0
        || js_u32(user, "uid", sub, true, &p->uid, err) < 0
        || js_u32(user, "gid", sub, true, &p->gid, err) < 0
        || js_opt_u64(user, "umask", sub, 07777, &p->umask, err) < 0)
        return -1;
    if ((v = js_get(user, "additionalGids")) == NULL)
        return 0;
    snprintf(q, sizeof(q), "%s.additionalGids", sub);
    if (js_expect(v, json_type_array, q, err) < 0)
        return -1;
    p->n_additional_gids = json_object_array_length(v);
    if (p->n_additional_gids > 65536)
        return eb_error_set(err, E2BIG, "%s: more than 65536 groups", q);
    p->additional_gids = eb_arena_alloc(a, p->n_additional_gids, sizeof(gid_t));
    for (i = 0; i < p->n_additional_gids; i++) {
        uint64_t g;
        char e[192];
        snprintf(e, sizeof(e), "%s[%zu]", q, i);
        if (js_u64(json_object_array_get_idx(v, i), e, UINT32_MAX, &g, err) < 0)
            return -1;
        p->additional_gids[i] = (gid_t) g;
    }
    return 0;
}

/* process.rlimits[I] at R (its path E); the earlier ones are in P. */
static int parse_rlimit(struct json_object *r, const char *e, eb_process_t *p, size_t i, eb_error_t *err)
{
    eb_rlimit_t *rl = &p->rlimits[i];
    char f[192];
    size_t k, j;
    if (js_expect(r, json_type_object, e, err) < 0 || js_string(r, "type", e, true, &rl->name, err) < 0)
        return -1;
    rl->resource = -1;
    for (k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
        if (strcmp(rl->name, rlimit_names[k].name) == 0)
            rl->resource = rlimit_names[k].res;
    if (rl->resource < 0)
        return eb_error_set(err, EINVAL, "%s.type: unknown rlimit `%s`", e, rl->name);
    for (j = 0; j < i; j++)
        if (p->rlimits[j].resource == rl->resource)
            return eb_error_set(err, EINVAL, "%s.type: `%s` given twice", e, rl->name);
    if (js_get(r, "soft") == NULL || js_get(r, "hard") == NULL)
        return eb_error_set(err, EINVAL, "%s: soft and hard are required", e);
    snprintf(f, sizeof(f), "%s.soft", e);
    if (js_u64(js_get(r, "soft"), f, UINT64_MAX, &rl->soft, err) < 0)
        return -1;
    snprintf(f, sizeof(f), "%s.hard", e);
    if (js_u64(js_get(r, "hard"), f, UINT64_MAX, &rl->hard, err) < 0)
        return -1;
    if (rl->soft > rl->hard)
        return eb_error_set(err, EINVAL, "%s: soft limit %llu above hard limit %llu", e,
                            (unsigned long long) rl->soft, (unsigned long long) rl->hard);
    return 0;
}

static int parse_rlimits(eb_arena_t *a, struct json_object *v, const char *sub, eb_process_t *p, eb_error_t *err)
{
    if (js_expect(v, json_type_array, sub, err) < 0)
        return -1;
    p->n_rlimits = json_object_array_length(v);
    p->rlimits = eb_arena_alloc(a, p->n_rlimits, sizeof(eb_rlimit_t));
    for (size_t i = 0; i < p->n_rlimits; i++) {
        char e[160];
        snprintf(e, sizeof(e), "%s[%zu]", sub, i);
        if (parse_rlimit(json_object_array_get_idx(v, i), e, p, i, err) < 0)
            return -1;
    }
    return 0;
}

int eb_spec_parse_process_obj(eb_arena_t *a, struct json_object *obj, const char *path,
                              eb_process_t *p, eb_error_t *err)
{
    struct json_object *v, *user;
    char sub[128];
    size_t nargs, i;

    memset(p, 0, sizeof(*p));
    if (js_expect(obj, json_type_object, path, err) < 0)
        return -1;
    if (js_bool(obj, "terminal", path, &p->terminal, err) < 0)
        return -1;
    if ((v = js_get(obj, "consoleSize")) != NULL) {
        snprintf(sub, sizeof(sub), "%s.consoleSize", path);
        if (js_u32(v, "height", sub, true, &p->console_height, err) < 0
            || js_u32(v, "width", sub, true, &p->console_width, err) < 0)
            return -1;
    }
    user = js_get(obj, "user");
    if (user == NULL)
        return eb_error_set(err, EINVAL, "%s.user: required", path);
    snprintf(sub, sizeof(sub), "%s.user", path);
    if (parse_user(a, user, sub, p, err) < 0)
        return -1;
    if (js_strv(a, obj, "args", path, &p->args, &nargs, err) < 0)
        return -1;
    if (nargs == 0)
        return eb_error_set(err, EINVAL, "%s.args: must name at least the program to run", path);
    if (p->args[0][0] == 0)
        return eb_error_set(err, EINVAL, "%s.args[0]: empty program name", path);
    if (js_strv(a, obj, "env", path, &p->env, NULL, err) < 0)
        return -1;
    if (p->env == NULL) {
        p->env = eb_arena_alloc(a, 1, sizeof(char *));
    }
    for (i = 0; p->env[i]; i++)
        if (strchr(p->env[i], '=') == NULL)
            return eb_error_set(err, EINVAL, "%s.env[%zu]: `%s` is not KEY=VALUE", path, i, p->env[i]);
    if (js_string(obj, "cwd", path, true, &p->cwd, err) < 0)
        return -1;
    if (p->cwd[0] != '/')
        return eb_error_set(err, EINVAL, "%s.cwd: `%s` is not an absolute path", path, p->cwd);
    if ((v = js_get(obj, "capabilities")) != NULL) {
        snprintf(sub, sizeof(sub), "%s.capabilities", path);
        if (js_expect(v, json_type_object, sub, err) < 0
            || parse_caps(a, v, "bounding", sub, &p->cap_bounding, err) < 0
            || parse_caps(a, v, "effective", sub, &p->cap_effective, err) < 0
            || parse_caps(a, v, "inheritable", sub, &p->cap_inheritable, err) < 0
            || parse_caps(a, v, "permitted", sub, &p->cap_permitted, err) < 0
            || parse_caps(a, v, "ambient", sub, &p->cap_ambient, err) < 0)
            return -1;
        p->has_caps = true;
    }
    if ((v = js_get(obj, "rlimits")) != NULL) {
        snprintf(sub, sizeof(sub), "%s.rlimits", path);
        if (parse_rlimits(a, v, sub, p, err) < 0)
            return -1;
    }
    if (js_bool(obj, "noNewPrivileges", path, &p->no_new_privileges, err) < 0
        || js_string(obj, "apparmorProfile", path, false, &p->apparmor_profile, err) < 0
        || js_string(obj, "selinuxLabel", path, false, &p->selinux_label, err) < 0
        || js_opt_i64(obj, "oomScoreAdj", path, -1000, 1000, &p->oom_score_adj, err) < 0)
        return -1;
    return 0;
}

static int parse_idmaps(eb_arena_t *a, struct json_object *obj, const char *key,
                        eb_idmap_t **out, size_t *n, eb_error_t *err)
{
    struct json_object *v = js_get(obj, key);
    char path[64];
    size_t i;
    *out = NULL;
    *n = 0;
    if (v == NULL)
        return 0;
    snprintf(path, sizeof(path), "linux.%s", key);
    if (js_expect(v, json_type_array, path, err) < 0)
        return -1;
    *n = json_object_array_length(v);
    /* The kernel accepts at most 340 lines in uid_map. */
    if (*n > 340)
        return eb_error_set(err, E2BIG, "%s: more than 340 mappings", path);
    *out = eb_arena_alloc(a, *n, sizeof(eb_idmap_t));
    for (i = 0; i < *n; i++) {
        struct json_object *m = json_object_array_get_idx(v, i);
        char e[96];
        snprintf(e, sizeof(e), "%s[%zu]", path, i);
        if (js_expect(m, json_type_object, e, err) < 0
            || js_u32(m, "containerID", e, true, &(*out)[i].container_id, err) < 0
            || js_u32(m, "hostID", e, true, &(*out)[i].host_id, err) < 0
            || js_u32(m, "size", e, true, &(*out)[i].size, err) < 0)
            return -1;
        if ((*out)[i].size == 0)
            return eb_error_set(err, EINVAL, "%s.size: must be positive", e);
    }
    return 0;
}

static int parse_mounts(eb_spec_t *s, eb_arena_t *a, eb_error_t *err)
{
    struct json_object *v = js_get(s->json, "mounts");
    size_t i;
    if (v == NULL)
        return 0;
    if (js_expect(v, json_type_array, "mounts", err) < 0)
        return -1;
    s->n_mounts = json_object_array_length(v);
    s->mounts = eb_arena_alloc(a, s->n_mounts, sizeof(eb_mount_t));
    for (i = 0; i < s->n_mounts; i++) {
        struct json_object *m = json_object_array_get_idx(v, i);
        eb_mount_t *mt = &s->mounts[i];
        char e[64];
        snprintf(e, sizeof(e), "mounts[%zu]", i);
        if (js_expect(m, json_type_object, e, err) < 0
            || js_string(m, "destination", e, true, &mt->destination, err) < 0
            || js_string(m, "source", e, false, &mt->source, err) < 0
            || js_string(m, "type", e, false, &mt->type, err) < 0
            || js_strv(a, m, "options", e, &mt->options, &mt->noptions, err) < 0)
            return -1;
        if (mt->destination[0] == 0)
            return eb_error_set(err, EINVAL, "%s.destination: empty", e);
        /* uidMappings on mounts (idmapped mounts) are not supported yet: refuse
         * rather than mount with the wrong owners. */
        if (js_get(m, "uidMappings") != NULL || js_get(m, "gidMappings") != NULL)
            return eb_error_set(err, ENOTSUP, "%s: idmapped mounts are not supported", e);
    }
    return 0;
}

static int parse_hooks(eb_spec_t *s, eb_arena_t *a, eb_error_t *err)
{
    struct json_object *hooks = js_get(s->json, "hooks");
    int k;
    if (hooks == NULL)
        return 0;
    if (js_expect(hooks, json_type_object, "hooks", err) < 0)
        return -1;
    for (k = 0; k < EB_HOOK_KINDS; k++) {
        struct json_object *v = js_get(hooks, eb_hook_kind_names[k]);
        char path[64];
        size_t i, n;
        if (v == NULL)
            continue;
        snprintf(path, sizeof(path), "hooks.%s", eb_hook_kind_names[k]);
        if (js_expect(v, json_type_array, path, err) < 0)
            return -1;
        n = json_object_array_length(v);
        s->hooks[k] = eb_arena_alloc(a, n, sizeof(eb_hook_t));
        s->n_hooks[k] = n;
        for (i = 0; i < n; i++) {
            struct json_object *h = json_object_array_get_idx(v, i);
            eb_hook_t *hk = &s->hooks[k][i];
            char e[96];
            snprintf(e, sizeof(e), "%s[%zu]", path, i);
            if (js_expect(h, json_type_object, e, err) < 0
                || js_string(h, "path", e, true, &hk->path, err) < 0
                || js_strv(a, h, "args", e, &hk->args, NULL, err) < 0
                || js_strv(a, h, "env", e, &hk->env, NULL, err) < 0
                || js_opt_i64(h, "timeout", e, 1, INT32_MAX, &hk->timeout, err) < 0)
                return -1;
            if (hk->path[0] != '/')
                return eb_error_set(err, EINVAL, "%s.path: `%s` is not an absolute path", e, hk->path);
        }
    }
    return 0;
}

static int parse_propagation(const char *s, unsigned long *out)
{
    static const struct { const char *n; unsigned long f; } t[] = {
        { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
        { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
        { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
        { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
    };
    size_t i;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(s, t[i].n) == 0) {
            *out = t[i].f;
            return 0;
        }
    return -1;
}

static int parse_devices(eb_spec_t *s, eb_arena_t *a, struct json_object *lx, eb_error_t *err)
{
    struct json_object *v = js_get(lx, "devices");
    size_t i;
    if (v == NULL)
        return 0;
    if (js_expect(v, json_type_array, "linux.devices", err) < 0)
        return -1;
    s->n_devices = json_object_array_length(v);
    s->devices = eb_arena_alloc(a, s->n_devices, sizeof(eb_linux_device_t));
    for (i = 0; i < s->n_devices; i++) {
        struct json_object *d = json_object_array_get_idx(v, i);
        eb_linux_device_t *dev = &s->devices[i];
        const char *type = NULL;
        eb_opt_i64_t maj = { 0 }, min = { 0 };
        char e[64];
        snprintf(e, sizeof(e), "linux.devices[%zu]", i);
        if (js_expect(d, json_type_object, e, err) < 0
            || js_string(d, "path", e, true, &dev->path, err) < 0
            || js_string(d, "type", e, true, &type, err) < 0
            || js_opt_i64(d, "major", e, 0, 0xfffff, &maj, err) < 0
            || js_opt_i64(d, "minor", e, 0, 0xfffff, &min, err) < 0
            || js_opt_u64(d, "fileMode", e, 07777, &dev->file_mode, err) < 0
            || js_opt_u64(d, "uid", e, UINT32_MAX, &dev->uid, err) < 0
            || js_opt_u64(d, "gid", e, UINT32_MAX, &dev->gid, err) < 0)
            return -1;
        if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
            return eb_error_set(err, EINVAL, "%s.type: `%s` is not one of c, b, u, p", e, type);
        if (dev->path[0] != '/')
            return eb_error_set(err, EINVAL, "%s.path: `%s` is not an absolute path", e, dev->path);
        dev->type = type[0];
        if (dev->type != 'p' && (!maj.set || !min.set))
            return eb_error_set(err, EINVAL, "%s: major and minor are required for type %c", e, dev->type);
        dev->major = maj.v;
        dev->minor = min.v;
    }
    return 0;
}

static int parse_linux(eb_spec_t *s, eb_arena_t *a, eb_error_t *err)
{
    struct json_object *lx = js_get(s->json, "linux"), *v;
    const char *prop = NULL;
    size_t i;

    if (lx == NULL)
        return 0;
    if (js_expect(lx, json_type_object, "linux", err) < 0)
        return -1;
    if ((v = js_get(lx, "namespaces")) != NULL) {
        if (js_expect(v, json_type_array, "linux.namespaces", err) < 0)
            return -1;
        for (i = 0; i < json_object_array_length(v); i++) {
            struct json_object *ns = json_object_array_get_idx(v, i);
            const char *type = NULL, *path = NULL;
            char e[64];
            int t;
            snprintf(e, sizeof(e), "linux.namespaces[%zu]", i);
            if (js_expect(ns, json_type_object, e, err) < 0
                || js_string(ns, "type", e, true, &type, err) < 0
                || js_string(ns, "path", e, false, &path, err) < 0)
                return -1;
            for (t = 0; t < EB_NS_TYPES; t++)
                if (strcmp(type, eb_ns_names[t]) == 0)
                    break;
            if (t == EB_NS_TYPES)
                return eb_error_set(err, EINVAL, "%s.type: unknown namespace type `%s`", e, type);
            if (s->namespaces[t].present)
                return eb_error_set(err, EINVAL, "%s.type: namespace `%s` given twice", e, type);
            if (path != NULL && path[0] == 0)
                path = NULL;
            if (path != NULL && path[0] != '/')
                return eb_error_set(err, EINVAL, "%s.path: `%s` is not an absolute path", e, path);
            s->namespaces[t].present = true;
            s->namespaces[t].path = path;
        }
    }
    if (parse_idmaps(a, lx, "uidMappings", &s->uid_mappings, &s->n_uid_mappings, err) < 0
        || parse_idmaps(a, lx, "gidMappings", &s->gid_mappings, &s->n_gid_mappings, err) < 0)
        return -1;
    if ((s->n_uid_mappings || s->n_gid_mappings) && !s->namespaces[EB_NS_USER].present)
        return eb_error_set(err, EINVAL, "linux.uidMappings: id mappings need a user namespace");
    if (s->namespaces[EB_NS_USER].present && s->namespaces[EB_NS_USER].path == NULL
        && (s->n_uid_mappings == 0 || s->n_gid_mappings == 0))
        return eb_error_set(err, EINVAL, "linux.uidMappings: a new user namespace needs uid and gid mappings");
    if (js_kv(a, lx, "sysctl", "linux", &s->sysctl, &s->n_sysctl, err) < 0)
        return -1;
    for (i = 0; i < s->n_sysctl; i++)
        if (s->sysctl[i].key[0] == 0 || strstr(s->sysctl[i].key, "..") || s->sysctl[i].key[0] == '/'
            || s->sysctl[i].key[0] == '.')
            return eb_error_set(err, EINVAL, "linux.sysctl: invalid key `%s`", s->sysctl[i].key);
    if ((v = js_get(lx, "resources")) != NULL
        && eb_spec_parse_resources_obj(a, v, "linux.resources", &s->resources, err) < 0)
        return -1;
    if (js_string(lx, "cgroupsPath", "linux", false, &s->cgroups_path, err) < 0
        || js_string(lx, "rootfsPropagation", "linux", false, &prop, err) < 0
        || js_string(lx, "mountLabel", "linux", false, &s->mount_label, err) < 0)
        return -1;
    if (prop != NULL && prop[0] && parse_propagation(prop, &s->rootfs_propagation) < 0)
        return eb_error_set(err, EINVAL, "linux.rootfsPropagation: unknown propagation `%s`", prop);
    if ((v = js_get(lx, "seccomp")) != NULL
        && eb_spec_parse_seccomp_obj(a, v, "linux.seccomp", &s->seccomp, err) < 0)
        return -1;
    if (js_strv(a, lx, "maskedPaths", "linux", &s->masked_paths, NULL, err) < 0
        || js_strv(a, lx, "readonlyPaths", "linux", &s->readonly_paths, NULL, err) < 0)
        return -1;
    if (parse_devices(s, a, lx, err) < 0)
        return -1;
    if (js_get(lx, "intelRdt") != NULL)
        return eb_error_set(err, ENOTSUP, "linux.intelRdt: Intel RDT is not supported");
    return 0;
}

static int spec_parse_tree(eb_spec_t *s, eb_error_t *err)
{
    eb_arena_t *a = s->arena;
    struct json_object *root, *proc;

    if (js_string(s->json, "ociVersion", "", true, &s->oci_version, err) < 0)
        return -1;
    if (strncmp(s->oci_version, "1.", 2) != 0)
        return eb_error_set(err, EINVAL, "ociVersion: unsupported version `%s` (edgebox runs 1.x)",
                            s->oci_version);
    root = js_get(s->json, "root");
    if (root == NULL)
        return eb_error_set(err, EINVAL, "root: required");
    if (js_expect(root, json_type_object, "root", err) < 0
        || js_string(root, "path", "root", true, &s->root_path, err) < 0
        || js_bool(root, "readonly", "root", &s->root_readonly, err) < 0)
        return -1;
    if (s->root_path[0] == 0)
        return eb_error_set(err, EINVAL, "root.path: empty");
    if (js_string(s->json, "hostname", "", false, &s->hostname, err) < 0
        || js_string(s->json, "domainname", "", false, &s->domainname, err) < 0)
        return -1;
    if (parse_mounts(s, a, err) < 0)
        return -1;
    if ((proc = js_get(s->json, "process")) != NULL) {
        if (eb_spec_parse_process_obj(a, proc, "process", &s->process, err) < 0)
            return -1;
        s->has_process = true;
    }
    if (parse_hooks(s, a, err) < 0)
        return -1;
    if (js_kv(a, s->json, "annotations", "", &s->annotations, &s->n_annotations, err) < 0)
        return -1;
    if (parse_linux(s, a, err) < 0)
        return -1;
    if (s->hostname && s->hostname[0] && !s->namespaces[EB_NS_UTS].present)
        return eb_error_set(err, EINVAL, "hostname: setting a hostname needs a uts namespace");
    return 0;
}

int eb_spec_parse(const char *data, size_t len, eb_spec_t **out, eb_error_t *err)
{
    eb_spec_t *s = eb_xcalloc(1, sizeof(*s));
    s->arena = eb_xcalloc(1, sizeof(eb_arena_t));
    if (js_parse_text(data, len, &s->json, err) < 0 || spec_parse_tree(s, err) < 0) {
        eb_spec_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int eb_spec_from_json(struct json_object *obj, eb_spec_t **out, eb_error_t *err)
{
    eb_spec_t *s = eb_xcalloc(1, sizeof(*s));

    s->arena = eb_xcalloc(1, sizeof(eb_arena_t));
    s->json = json_object_get(obj);
    if (!json_object_is_type(obj, json_type_object)) {
        eb_spec_free(s);
        return eb_error_set(err, EINVAL, "invalid JSON: the document is not an object");
    }
    if (spec_parse_tree(s, err) < 0) {
        eb_spec_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int eb_spec_load(const char *path, eb_spec_t **out, eb_error_t *err)
{
    _cleanup_free_ char *data = NULL;
    size_t len;
    if (eb_read_file(path, EB_SPEC_MAX_SIZE, &data, &len, err) < 0)
        return -1;
    if (eb_spec_parse(data, len, out, err) < 0)
        return eb_error_wrap(err, "%s", path);
    return 0;
}

void eb_spec_free(eb_spec_t *s)
{
    if (s == NULL)
        return;
    eb_arena_free(s->arena);
    free(s->arena);
    json_object_put(s->json);
    free(s);
}

int eb_spec_parse_process(eb_spec_t *spec, const char *data, size_t len, eb_process_t *out,
                          eb_error_t *err)
{
    struct json_object *obj;
    if (js_parse_text(data, len, &obj, err) < 0)
        return eb_error_wrap(err, "process");
    /* Keep the tree alive with the spec: the process strings point into it. */
    json_object_object_add(spec->json, "edgebox.exec.process", obj);
    return eb_spec_parse_process_obj(spec->arena, obj, "process", out, err);
}

int eb_spec_parse_resources(eb_spec_t *spec, const char *data, size_t len, eb_resources_t *out,
                            eb_error_t *err)
{
    struct json_object *obj;
    if (js_parse_text(data, len, &obj, err) < 0)
        return eb_error_wrap(err, "resources");
    json_object_object_add(spec->json, "edgebox.update.resources", obj);
    memset(out, 0, sizeof(*out));
    return eb_spec_parse_resources_obj(spec->arena, obj, "resources", out, err);
}

const char *eb_spec_annotation(const eb_spec_t *spec, const char *key)
{
    size_t i;
    for (i = 0; i < spec->n_annotations; i++)
        if (strcmp(spec->annotations[i].key, key) == 0)
            return spec->annotations[i].value;
    return NULL;
}

const char *eb_spec_annotation_either(const eb_spec_t *spec, const char *key, const char *alt)
{
    const char *v = eb_spec_annotation(spec, key);
    return v ? v : eb_spec_annotation(spec, alt);
}
