/* process.c - credentials, capabilities, rlimits and LSM labels of the
 * container process, applied in the order the kernel requires. */
#include "core/process.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

int eb_process_set_rlimits(const eb_process_t *p, eb_error_t *err)
{
    size_t i;
    for (i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            return eb_error_set(err, errno, "setrlimit %s (soft %llu, hard %llu)", p->rlimits[i].name,
                                (unsigned long long) p->rlimits[i].soft, (unsigned long long) p->rlimits[i].hard);
    }
    return 0;
}

int eb_process_set_oom_score_adj(const eb_process_t *p, eb_error_t *err)
{
    char buf[16];
    if (!p->oom_score_adj.set)
        return 0;
    snprintf(buf, sizeof(buf), "%lld", (long long) p->oom_score_adj.v);
    if (eb_write_file("/proc/self/oom_score_adj", buf, strlen(buf), err) < 0)
        return eb_error_wrap(err, "set oomScoreAdj %s", buf);
    return 0;
}

static int setgroups_allowed(void)
{
    char buf[16] = "";
    _cleanup_close_ int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    if (read(fd, buf, sizeof(buf) - 1) < 0)
        return 1;
    return strncmp(buf, "deny", 4) != 0;
}

/* The spec: a capability that "cannot be granted" MUST be an error.  One
 * the kernel does not know, or one the runtime's own bounding set lacks
 * (a host that dropped CAP_SYS_MODULE), could only fail later, at capset
 * in the init after start: refuse it now, by name, as runc and crun do. */
int eb_process_check_caps(const eb_process_t *p, eb_error_t *err)
{
    const struct { const char *name; uint64_t set; } sets[] = {
        { "bounding", p->cap_bounding }, { "effective", p->cap_effective },
        { "inheritable", p->cap_inheritable }, { "permitted", p->cap_permitted },
        { "ambient", p->cap_ambient },
    };
    int c, last = eb_cap_last();
    size_t i;

    if (!p->has_caps)
        return 0;
    for (i = 0; i < EB_ARRAY_SIZE(sets); i++)
        for (c = 0; c < 64; c++) {
            if (!(sets[i].set & (1ULL << c)))
                continue;
            if (c > last)
                return eb_error_set(err, EINVAL, "process.capabilities.%s: %s is not known to this kernel "
                                    "(its last capability is %s)", sets[i].name, eb_cap_name(c),
                                    eb_cap_name(last) ? eb_cap_name(last) : "?");
            if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
                return eb_error_set(err, EPERM, "process.capabilities.%s: %s is not in the runtime's bounding "
                                    "set, so it cannot be granted", sets[i].name, eb_cap_name(c));
        }
    return 0;
}

int eb_process_set_user(const eb_process_t *p, eb_error_t *err)
{
    int c, last = eb_cap_last();

    if (p->has_caps) {
        for (c = 0; c <= last; c++)
            if (!(p->cap_bounding & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                return eb_error_set(err, errno, "drop %s from the bounding set", eb_cap_name(c));
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
            return eb_error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
    }
    if (setgroups_allowed()) {
        if (setgroups(p->n_additional_gids, p->additional_gids) < 0)
            return eb_error_set(err, errno, "setgroups");
    } else if (p->n_additional_gids) {
        return eb_error_set(err, EPERM, "additionalGids given but setgroups is denied in this user namespace");
    }
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return eb_error_set(err, errno, "setgid %u", p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return eb_error_set(err, errno, "setuid %u", p->uid);
    if (p->has_caps) {
        struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2];
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
            return eb_error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
        data[0].effective = (uint32_t) p->cap_effective;
        data[1].effective = (uint32_t) (p->cap_effective >> 32);
        data[0].permitted = (uint32_t) p->cap_permitted;
        data[1].permitted = (uint32_t) (p->cap_permitted >> 32);
        data[0].inheritable = (uint32_t) p->cap_inheritable;
        data[1].inheritable = (uint32_t) (p->cap_inheritable >> 32);
        if (capset(&hdr, data) < 0)
            return eb_error_set(err, errno, "capset");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
            return eb_error_set(err, errno, "clear ambient capabilities");
        for (c = 0; c <= last; c++)
            if ((p->cap_ambient & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                /* Ambient needs the cap in permitted and inheritable; runc
                 * only warns, and so do we. */
                eb_debug("cannot raise ambient %s: %s", eb_cap_name(c), strerror(errno));
    }
    if (p->umask.set)
        umask((mode_t) p->umask.v);
    return 0;
}

bool eb_lsm_apparmor_enabled(void)
{
    char buf[4] = "";
    _cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, 1) != 1)
        return false;
    return buf[0] == 'Y' && access("/proc/self/attr/apparmor/exec", F_OK) == 0;
}

bool eb_lsm_selinux_enabled(void)
{
    return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int eb_process_set_lsm(const eb_process_t *p, eb_error_t *err)
{
    if (p->apparmor_profile && p->apparmor_profile[0]) {
        if (eb_lsm_apparmor_enabled()) {
            _cleanup_free_ char *v = eb_strdup_printf("exec %s", p->apparmor_profile);
            if (eb_write_file("/proc/self/attr/apparmor/exec", v, strlen(v), err) < 0)
                return eb_error_wrap(err, "apply AppArmor profile `%s`", p->apparmor_profile);
        } else {
            eb_debug("AppArmor is not enabled: profile `%s` not applied", p->apparmor_profile);
        }
    }
    if (p->selinux_label && p->selinux_label[0]) {
        if (eb_lsm_selinux_enabled()) {
            if (eb_write_file("/proc/self/attr/exec", p->selinux_label, strlen(p->selinux_label), err) < 0)
                return eb_error_wrap(err, "apply SELinux label `%s`", p->selinux_label);
        } else {
            eb_debug("SELinux is not enabled: label `%s` not applied", p->selinux_label);
        }
    }
    return 0;
}

static int is_executable(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0111);
}

char *eb_process_find_executable(const eb_process_t *p, eb_error_t *err)
{
    const char *name = p->args[0], *path = NULL;
    _cleanup_free_ char *copy = NULL;
    char *dir, *save = NULL;
    size_t i;

    if (strchr(name, '/')) {
        if (is_executable(name))
            return eb_xstrdup(name);
        eb_error_set(err, access(name, F_OK) == 0 ? EACCES : ENOENT, "exec: `%s`", name);
        return NULL;
    }
    for (i = 0; p->env && p->env[i]; i++)
        if (strncmp(p->env[i], "PATH=", 5) == 0)
            path = p->env[i] + 5;
    if (path == NULL)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    copy = eb_xstrdup(path);
    for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *full = eb_strdup_printf("%s/%s", dir[0] ? dir : ".", name);
        if (is_executable(full))
            return full;
        free(full);
    }
    eb_error_set(err, ENOENT, "exec: `%s`: executable file not found in $PATH", name);
    return NULL;
}
