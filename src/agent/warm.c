/* warm.c - a pooled VM's warm-up: one container of the agent's own,
 * created and deleted before the VM is reported ready (warm.h).
 *
 * Under an emulated CPU code is slow the first time it runs: QEMU's TCG
 * translates each block of guest code once and reuses the translation.
 * The first container a VM creates pays for translating the whole create
 * path — the core's (the spec's parse, state, cgroup and its device
 * program, the init's clones, mounts, pivot_root) and the kernel's under
 * it — and in a claimed VM that first container is the pod's.  A pooled
 * VM has time to spare before its claim, so it runs that path once here.
 *
 * The container is nobody's: the agent's default spec, a rootfs that is
 * an empty tmpfs with one empty "executable", never started; deleted
 * with everything it made (state, cgroup, bundle directory, the tmpfs).
 * What a claimed VM ran before its claim stays its boot and this. */
#include "agent/warm.h"
#include "agent/agent.h"
#include "agent/guestfix.h"
#include "core/container.h"
#include "spec/spec.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define WARM_ID "edgebox-warm-up"
#define WARM_DIR "/run/edgebox/warm"

static json_object *warm_spec(eb_error_t *err)
{
    _cleanup_free_ char *text = eb_spec_default_json(false, 0, 0);
    json_object *s = text ? json_tokener_parse(text) : NULL, *root = NULL, *proc = NULL, *lx = NULL;

    if (s == NULL || !json_object_object_get_ex(s, "root", &root) || !json_object_object_get_ex(s, "process", &proc)
        || !json_object_object_get_ex(s, "linux", &lx)) {
        json_object_put(s);
        eb_error_set(err, EINVAL, "the default spec");
        return NULL;
    }
    json_object_object_add(root, "path", json_object_new_string(WARM_DIR "/rootfs"));
    {
        json_object *args = json_object_new_array();
        json_object_array_add(args, json_object_new_string("/w"));
        json_object_object_add(proc, "args", args);
    }
    json_object_object_add(proc, "terminal", json_object_new_boolean(false));
    json_object_object_add(lx, "cgroupsPath", json_object_new_string("/" WARM_ID));
    /* as a pod's container: the VM's network namespace */
    eb_agent_fix_namespaces(s);
    return s;
}

int eb_agent_warm_up(eb_error_t *err)
{
    _cleanup_spec_ eb_spec_t *parsed = NULL;
    eb_create_opts_t o = { 0 };
    eb_error_t ign = { 0 };
    json_object *spec = NULL;
    int null = -1, fd, stdio[3], ret = -1;
    pid_t pid = -1;
    uint64_t t0 = eb_now_ms();

    if (eb_mkdir_p(WARM_DIR "/rootfs", 0755, err) < 0 || eb_mkdir_p(EB_AGENT_BUNDLES "/" WARM_ID, 0700, err) < 0)
        return -1;
    if (mount("warm", WARM_DIR "/rootfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0) {
        eb_error_set(err, errno, "mount a tmpfs on %s/rootfs", WARM_DIR);
        goto out;
    }
    fd = open(WARM_DIR "/rootfs/w", O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
    if (fd < 0) {
        eb_error_set(err, errno, "create %s/rootfs/w", WARM_DIR);
        goto out;
    }
    close(fd);
    if ((spec = warm_spec(err)) == NULL || eb_spec_from_json(spec, &parsed, err) < 0)
        goto out;
    if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
        eb_error_set(err, errno, "open /dev/null");
        goto out;
    }
    stdio[0] = stdio[1] = stdio[2] = null;
    o.root = EB_AGENT_STATE;
    o.id = WARM_ID;
    o.bundle = EB_AGENT_BUNDLES "/" WARM_ID;
    o.stdio = stdio;
    if (eb_container_create_spec(&o, parsed, &pid, NULL, err) < 0)
        goto out;
    ret = 0;
    eb_debug("warm-up: a container created in %llu ms", (unsigned long long) (eb_now_ms() - t0));
out:
    /* whatever the create got to: its state, cgroup, init (the agent,
     * PID 1, reaps it) */
    if (eb_container_delete(EB_AGENT_STATE, WARM_ID, true, &ign) < 0 && ret == 0) {
        *err = ign;
        ret = -1;
    }
    if (null >= 0)
        close(null);
    json_object_put(spec);
    umount2(WARM_DIR "/rootfs", MNT_DETACH);
    rmdir(WARM_DIR "/rootfs");
    rmdir(WARM_DIR);
    rmdir(EB_AGENT_BUNDLES "/" WARM_ID);
    return ret;
}
