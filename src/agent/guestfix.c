/* guestfix.c - what the guest honours differently from the host's config,
 * applied to the spec the host sent before the core parses it; and the
 * wait for a started init to have exec'd its program.
 *
 * The host maps a namespace path to the pod sandbox container's namespace
 * in the guest (/proc/<its guest pid>/ns/<type>).  When that container
 * did not get a namespace of that type of its own, the path names the
 * agent's: setns() into the namespace one is already in fails (EINVAL for
 * a user namespace), yet staying there is exactly what joining means, so
 * the entry goes.
 *
 * The agent never loads AppArmor policy, so the guest is a host without
 * AppArmor even though its kernel has the module: a profile is not
 * applied (with a notice), as the runc class does on such a host. */
#include "agent/guestfix.h"
#include "common/log.h"
#include "spec/spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The policy the guest has loaded: none unless securityfs shows it. */
static bool guest_has_apparmor_policy(void)
{
    return access("/sys/kernel/security/apparmor/profiles", R_OK) == 0;
}

void eb_agent_fix_apparmor(json_object *process, const char *cid)
{
    json_object *p;

    if (process == NULL || !json_object_object_get_ex(process, "apparmorProfile", &p))
        return;
    if (guest_has_apparmor_policy())
        return;
    eb_info("container %s: AppArmor profile `%s` not applied: the guest has no AppArmor policy", cid,
            json_object_get_string(p));
    json_object_object_del(process, "apparmorProfile");
}

static bool same_ns(const char *path, const char *proc_name)
{
    char self[64];
    struct stat a, b;

    snprintf(self, sizeof(self), "/proc/self/ns/%s", proc_name);
    return stat(path, &a) == 0 && stat(self, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void eb_agent_fix_namespaces(json_object *spec)
{
    json_object *lx, *nss, *kept;
    size_t i;
    int k;

    if (!json_object_object_get_ex(spec, "linux", &lx) || !json_object_object_get_ex(lx, "namespaces", &nss)
        || !json_object_is_type(nss, json_type_array))
        return;
    kept = json_object_new_array();
    for (i = 0; i < json_object_array_length(nss); i++) {
        json_object *ns = json_object_array_get_idx(nss, i), *t, *p;
        bool drop = false;

        if (json_object_object_get_ex(ns, "type", &t) && json_object_object_get_ex(ns, "path", &p))
            for (k = 0; k < EB_NS_TYPES; k++)
                if (strcmp(eb_ns_names[k], json_object_get_string(t)) == 0)
                    drop = same_ns(json_object_get_string(p), eb_ns_proc_names[k]);
        if (!drop)
            json_object_array_add(kept, json_object_get(ns));
    }
    json_object_object_add(lx, "namespaces", kept);
}

/* The file /proc/PID/exe names, or false once the process is gone. */
static bool exe_of(pid_t pid, struct stat *st)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
    return stat(path, st) == 0;
}

int eb_agent_wait_exec(pid_t pid, const char *cid, eb_error_t *err)
{
    struct stat self, cur;
    struct timespec pause = { 0, 2 * 1000 * 1000 };
    int i;

    if (stat("/proc/self/exe", &self) < 0)
        return 0;
    /* Until exec the init is a fork of this binary; startContainer hooks
     * run before it, so the bound is theirs plus set-up. */
    for (i = 0; i < EB_AGENT_EXEC_WAIT_S * 500; i++) {
        if (!exe_of(pid, &cur))
            return 0;      /* exited: `state` and the exit event say so */
        if (cur.st_dev != self.st_dev || cur.st_ino != self.st_ino)
            return 0;
        nanosleep(&pause, NULL);
    }
    return eb_error_set(err, ETIMEDOUT, "container %s: its process did not exec within %d s", cid,
                        EB_AGENT_EXEC_WAIT_S);
}
