/* mount.c - the rootfs mounts containerd hands over with Create (an
 * image's overlay or bind snapshot), at <bundle>/rootfs where the spec's
 * root.path points. */
#include "shim/shim.h"
#include "common/buf.h"
#include "common/cleanup.h"
#include "common/util.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

static const struct {
    const char *name;
    unsigned long set, clear;
} flags[] = {
    { "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY }, { "bind", MS_BIND, 0 }, { "rbind", MS_BIND | MS_REC, 0 },
    { "nosuid", MS_NOSUID, 0 }, { "nodev", MS_NODEV, 0 }, { "noexec", MS_NOEXEC, 0 },
    { "suid", 0, MS_NOSUID }, { "dev", 0, MS_NODEV }, { "exec", 0, MS_NOEXEC },
    { "noatime", MS_NOATIME, 0 }, { "relatime", MS_RELATIME, 0 }, { "sync", MS_SYNCHRONOUS, 0 },
    { "defaults", 0, 0 },
};

/* Mount options: the flags mount(2) knows, the rest as its data (an
 * overlay's lowerdir=, upperdir=, workdir=). */
static int options(Containerd__Task__V2__Mount *m, unsigned long *fl, eb_buf_t *data)
{
    size_t i, k;

    *fl = 0;
    for (i = 0; i < m->n_options; i++) {
        for (k = 0; k < EB_ARRAY_SIZE(flags); k++)
            if (strcmp(m->options[i], flags[k].name) == 0)
                break;
        if (k < EB_ARRAY_SIZE(flags)) {
            *fl = (*fl | flags[k].set) & ~flags[k].clear;
            continue;
        }
        if ((data->len && eb_buf_add(data, ",", 1) < 0) || eb_buf_puts(data, m->options[i]) < 0)
            return -1;
    }
    return 0;
}

int eb_shim_mount_rootfs(const char *bundle, Containerd__Task__V2__Mount *const *mounts, size_t n, eb_error_t *err)
{
    _cleanup_free_ char *target = eb_strdup_printf("%s/rootfs", bundle);
    size_t i;

    if (n && mkdir(target, 0711) < 0 && errno != EEXIST)
        return eb_error_set(err, errno, "mkdir %s", target);
    for (i = 0; i < n; i++) {
        Containerd__Task__V2__Mount *m = mounts[i];
        eb_buf_t data = { .limit = 65536 };
        unsigned long fl;
        int rc;

        if (options(m, &fl, &data) < 0) {
            eb_buf_free(&data);
            return eb_error_set(err, E2BIG, "rootfs mount %zu: options too long", i);
        }
        rc = mount(m->source, target, m->type, fl, data.len ? eb_buf_str(&data) : NULL);
        if (rc == 0 && (fl & MS_BIND) && (fl & MS_RDONLY))
            rc = mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
        eb_buf_free(&data);
        if (rc < 0) {
            eb_error_set(err, errno, "mount rootfs %zu (%s %s) on %s", i, m->type, m->source, target);
            eb_shim_unmount_rootfs(bundle);
            return -1;
        }
    }
    return 0;
}

void eb_shim_unmount_rootfs(const char *bundle)
{
    _cleanup_free_ char *target = eb_strdup_printf("%s/rootfs", bundle);

    /* Every layer mounted there (lazily: a process may still hold it). */
    while (umount2(target, MNT_DETACH) == 0) { }
}
