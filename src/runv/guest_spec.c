/* guest_spec.c - turn the bundle's config.json into the guest's.
 *
 * Host paths mean nothing in the guest: the rootfs and every bind source
 * are bound into the sandbox's virtio-fs tree (sandbox.c) and the config
 * points at their guest paths.  Namespaces given by path (the pod's
 * sandbox process on the host) become the sandbox container's namespaces
 * in the guest; the network namespace goes, the guest's own is the pod's.
 * /dev/shm bound from the host becomes a guest tmpfs (shared memory can't
 * cross virtio-fs).  Hooks: the guest gets createContainer (its binary
 * shared read-only, the path rewritten: it must resolve in the runtime's
 * namespace, which there is the agent's) and startContainer (a path in
 * the container); the host runs the others (hooks.c). */
#include "runv/guest_spec.h"
#include "runv/sandbox.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The OCI name of the namespace type FLAG (CLONE_NEW*), or NULL. */
static const char *ns_name_of(int flag)
{
    int k;
    for (k = 0; k < EB_NS_TYPES; k++)
        if (eb_ns_clone_flags[k] == flag)
            return eb_ns_names[k];
    return NULL;
}

static int check_ns_type(int t, const char *path, eb_error_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), type;
    const char *name;

    if (fd < 0)
        return eb_error_set(err, errno, "linux.namespaces: the %s namespace `%s`", eb_ns_names[t], path);
    type = ioctl(fd, NS_GET_NSTYPE);
    close(fd);
    if (type < 0)
        return eb_error_set(err, errno == ENOTTY ? EINVAL : errno,
                            "linux.namespaces: `%s` (type %s) is not a namespace file", path, eb_ns_names[t]);
    if (type != eb_ns_clone_flags[t]) {
        name = ns_name_of(type);
        return eb_error_set(err, EINVAL, "linux.namespaces: `%s` is a namespace of type %s, not %s", path,
                            name ? name : "unknown", eb_ns_names[t]);
    }
    return 0;
}

int eb_guest_ns_check(const eb_spec_t *spec, bool joins_pod, eb_error_t *err)
{
    int t;

    for (t = 0; t < EB_NS_TYPES; t++) {
        const char *path = spec->namespaces[t].path;
        if (!spec->namespaces[t].present || path == NULL)
            continue;
        if (check_ns_type(t, path, err) < 0)
            return -1;
        /* The network namespace is where the VM runs.  The others are the
         * host's: only a pod's containers have a guest counterpart, the
         * pod sandbox container's namespace of that type. */
        if (t != EB_NS_NET && !joins_pod)
            return eb_error_set(err, EINVAL,
                                "linux.namespaces: the %s namespace `%s` is on the host; a runv container in a VM "
                                "of its own cannot join it (only a pod's containers share the sandbox's, in the "
                                "guest)",
                                eb_ns_names[t], path);
    }
    return 0;
}

/* createContainer hooks with their binaries shared into the guest. */
static int guest_create_hooks(json_object *cc, const char *sbdir, const char *cid, json_object **out,
                              eb_error_t *err)
{
    size_t i;

    *out = json_object_new_array();
    for (i = 0; i < json_object_array_length(cc); i++) {
        json_object *h = NULL, *p;
        _cleanup_free_ char *guest = NULL;
        char name[32];

        if (json_object_deep_copy(json_object_array_get_idx(cc, i), &h, NULL) < 0
            || !json_object_object_get_ex(h, "path", &p)) {
            json_object_put(h);
            return eb_error_set(err, EINVAL, "hooks.createContainer[%zu]: no path", i);
        }
        json_object_array_add(*out, h);
        snprintf(name, sizeof(name), "hook%zu", i);
        if (eb_sandbox_share(sbdir, cid, name, json_object_get_string(p), true, true, &guest, err) < 0)
            return eb_error_wrap(err, "hooks.createContainer[%zu]", i);
        json_object_object_add(h, "path", json_object_new_string(guest));
    }
    return 0;
}

/* The guest's hooks: createContainer and startContainer, nothing else
 * (the guest core would run the rest in the guest). */
static int guest_hooks(json_object *g, const char *sbdir, const char *cid, eb_error_t *err)
{
    json_object *hooks, *h, *out, *cc = NULL;

    if (!json_object_object_get_ex(g, "hooks", &hooks) || !json_object_is_type(hooks, json_type_object)) {
        json_object_object_del(g, "hooks");
        return 0;
    }
    out = json_object_new_object();
    if (json_object_object_get_ex(hooks, "startContainer", &h))
        json_object_object_add(out, "startContainer", json_object_get(h));
    if (json_object_object_get_ex(hooks, "createContainer", &h) && json_object_is_type(h, json_type_array)) {
        int r = guest_create_hooks(h, sbdir, cid, &cc, err);
        json_object_object_add(out, "createContainer", cc);
        if (r < 0) {
            json_object_put(out);
            return -1;
        }
    }
    json_object_object_add(g, "hooks", out);
    return 0;
}

/* A mapped root binds its rootfs from /run/edgebox/shared/<cid>/rootfs:
 * both levels must be traversable by it (the sandbox dir above them
 * keeps host users out). */
static int userns_traverse(const eb_spec_t *spec, const char *sbdir, const char *cid, eb_error_t *err)
{
    _cleanup_free_ char *shared = eb_strdup_printf("%s/shared", sbdir);
    _cleanup_close_ int sfd = -1, cfd = -1;

    if (!spec->namespaces[EB_NS_USER].present)
        return 0;
    /* By descriptor: <cid> is the guest's to replace by a link meanwhile
     * (eb_sandbox_share), and a chmod through it would open a host
     * directory of its choosing. */
    sfd = open(shared, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cfd = sfd < 0 ? -1 : openat(sfd, cid, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cfd < 0 || fchmod(sfd, 0711) < 0 || fchmod(cfd, 0711) < 0)
        return eb_error_set(err, errno, "make %s/%s traversable for the container's user namespace", shared, cid);
    return 0;
}

json_object *eb_guest_spec(const eb_spec_t *spec, const char *bundle, const char *sbdir, const char *cid,
                           pid_t sandbox_guest_pid, eb_error_t *err)
{
    json_object *g = NULL, *root;
    _cleanup_free_ char *rootfs = NULL, *guest = NULL;

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
    if (userns_traverse(spec, sbdir, cid, err) < 0 || share_mounts(g, bundle, sbdir, cid, err) < 0
        || guest_hooks(g, sbdir, cid, err) < 0)
        goto fail;
    map_namespaces(g, sandbox_guest_pid);
    return g;
fail:
    json_object_put(g);
    eb_sandbox_unshare(sbdir, cid);
    return NULL;
}
