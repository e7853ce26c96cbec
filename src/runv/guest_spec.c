/* guest_spec.c - turn the bundle's config.json into the guest's.
 *
 * Host paths mean nothing in the guest: the rootfs and every bind source
 * are bound into the sandbox's virtio-fs tree (sandbox.c) and the config
 * points at their guest paths.  Namespaces given by path (the pod's
 * sandbox process on the host) become the sandbox container's namespaces
 * in the guest; the network namespace goes, the guest's own is the pod's.
 * /dev/shm bound from the host becomes a guest tmpfs (shared memory can't
 * cross virtio-fs).  Hooks run on neither side yet: they are refused. */
#include "runv/guest_spec.h"
#include "runv/sandbox.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static bool is_bind(json_object *m)
{
    json_object *t, *opts;
    size_t i;

    if (json_object_object_get_ex(m, "type", &t) && strcmp(json_object_get_string(t), "bind") == 0)
        return true;
    if (json_object_object_get_ex(m, "options", &opts) && json_object_is_type(opts, json_type_array))
        for (i = 0; i < json_object_array_length(opts); i++) {
            const char *o = json_object_get_string(json_object_array_get_idx(opts, i));
            if (o && (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0))
                return true;
        }
    return false;
}

static void shm_tmpfs(json_object *m)
{
    json_object *opts = json_object_new_array();
    json_object_array_add(opts, json_object_new_string("nosuid"));
    json_object_array_add(opts, json_object_new_string("noexec"));
    json_object_array_add(opts, json_object_new_string("nodev"));
    json_object_array_add(opts, json_object_new_string("mode=1777"));
    json_object_array_add(opts, json_object_new_string("size=65536k"));
    json_object_object_add(m, "type", json_object_new_string("tmpfs"));
    json_object_object_add(m, "source", json_object_new_string("shm"));
    json_object_object_add(m, "options", opts);
}

static int share_mounts(json_object *g, const char *bundle, const char *sbdir, const char *cid, eb_error_t *err)
{
    json_object *mounts;
    size_t i;

    if (!json_object_object_get_ex(g, "mounts", &mounts) || !json_object_is_type(mounts, json_type_array))
        return 0;
    for (i = 0; i < json_object_array_length(mounts); i++) {
        json_object *m = json_object_array_get_idx(mounts, i), *src, *dst;
        _cleanup_free_ char *host = NULL, *guest = NULL;
        char name[32];
        struct stat st;

        if (!is_bind(m) || !json_object_object_get_ex(m, "source", &src)
            || !json_object_object_get_ex(m, "destination", &dst))
            continue;
        if (strcmp(json_object_get_string(dst), "/dev/shm") == 0) {
            shm_tmpfs(m);
            continue;
        }
        host = json_object_get_string(src)[0] == '/'
                   ? eb_xstrdup(json_object_get_string(src))
                   : eb_strdup_printf("%s/%s", bundle, json_object_get_string(src));
        if (stat(host, &st) < 0)
            return eb_error_set(err, errno, "mount source %s", host);
        snprintf(name, sizeof(name), "m%zu", i);
        if (eb_sandbox_share(sbdir, cid, name, host, !S_ISDIR(st.st_mode), false, &guest, err) < 0)
            return -1;
        json_object_object_add(m, "source", json_object_new_string(guest));
    }
    return 0;
}

static void map_namespaces(json_object *g, pid_t sandbox_pid)
{
    json_object *linux_, *nss, *kept;
    size_t i;

    if (!json_object_object_get_ex(g, "linux", &linux_) || !json_object_object_get_ex(linux_, "namespaces", &nss)
        || !json_object_is_type(nss, json_type_array))
        return;
    kept = json_object_new_array();
    for (i = 0; i < json_object_array_length(nss); i++) {
        json_object *ns = json_object_array_get_idx(nss, i), *t, *copy;
        const char *type;
        int k;

        if (!json_object_object_get_ex(ns, "type", &t))
            continue;
        type = json_object_get_string(t);
        if (strcmp(type, "network") == 0)
            continue;
        copy = json_object_new_object();
        json_object_object_add(copy, "type", json_object_new_string(type));
        if (json_object_object_get_ex(ns, "path", NULL) && sandbox_pid > 0) {
            for (k = 0; k < EB_NS_TYPES; k++)
                if (strcmp(eb_ns_names[k], type) == 0) {
                    char p[64];
                    snprintf(p, sizeof(p), "/proc/%d/ns/%s", sandbox_pid, eb_ns_proc_names[k]);
                    json_object_object_add(copy, "path", json_object_new_string(p));
                }
        }
        json_object_array_add(kept, copy);
    }
    json_object_object_add(linux_, "namespaces", kept);
}

json_object *eb_guest_spec(const eb_spec_t *spec, const char *bundle, const char *sbdir, const char *cid,
                           pid_t sandbox_guest_pid, eb_error_t *err)
{
    json_object *g = NULL, *root;
    _cleanup_free_ char *rootfs = NULL, *guest = NULL;
    size_t k;

    for (k = 0; k < EB_HOOK_KINDS; k++)
        if (spec->n_hooks[k] > 0) {
            eb_error_set(err, EOPNOTSUPP, "OCI hooks are not supported by the runv class yet");
            return NULL;
        }
    if (json_object_deep_copy(spec->json, &g, NULL) < 0) {
        eb_error_set(err, ENOMEM, "copy the config");
        return NULL;
    }
    rootfs = spec->root_path[0] == '/' ? eb_xstrdup(spec->root_path)
                                       : eb_strdup_printf("%s/%s", bundle, spec->root_path);
    if (eb_sandbox_share(sbdir, cid, "rootfs", rootfs, false, false, &guest, err) < 0)
        goto fail;
    if (!json_object_object_get_ex(g, "root", &root)) {
        eb_error_set(err, EINVAL, "config has no root");
        goto fail;
    }
    json_object_object_add(root, "path", json_object_new_string(guest));
    if (share_mounts(g, bundle, sbdir, cid, err) < 0)
        goto fail;
    map_namespaces(g, sandbox_guest_pid);
    json_object_object_del(g, "hooks");
    return g;
fail:
    json_object_put(g);
    eb_sandbox_unshare(sbdir, cid);
    return NULL;
}
