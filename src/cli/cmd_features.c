/* cmd_features.c - `edgebox features`: the OCI runtime features document. */
#include "cli/cli.h"
#include "core/cgroup.h"
#include "core/process.h"
#include "spec/spec.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "eb_config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static json_object *strv(const char *const *v)
{
    json_object *a = json_object_new_array();
    for (; *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

int eb_cmd_features(eb_global_t *g, int argc, char **argv, eb_error_t *err)
{
    static const char *const hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                                         "poststart", "poststop", NULL };
    static const char *const mount_opts[] = {
        "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "loud", "mand",
        "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime", "nostrictatime", "nosuid",
        "nosymfollow", "private", "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave",
        "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "sync", "tmpcopyup",
        "unbindable", NULL };
    static const char *const ns[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };
    static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
                                       "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };
    static const char *const archs[] = {
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
        "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", NULL };
    static const char *const flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                         "SECCOMP_FILTER_FLAG_TSYNC", NULL };
    const eb_opt_t opts[] = { { NULL, 0, 0, NULL } };
    json_object *o = json_object_new_object(), *lx = json_object_new_object(), *caps = json_object_new_array();
    json_object *cg = json_object_new_object(), *sc = json_object_new_object(), *acts = json_object_new_array();
    json_object *ann = json_object_new_object(), *aa = json_object_new_object(), *se = json_object_new_object();
    json_object *rdt = json_object_new_object();
    int pos, i, v = eb_cgroup_host_version();
    (void) g;

    if (eb_cli_parse(argc, argv, opts, &pos, err) < 0
        || eb_cli_need_args("features", argc - pos, 0, 0, "", err) < 0) {
        json_object_put(o);
        json_object_put(lx); json_object_put(caps); json_object_put(cg); json_object_put(sc);
        json_object_put(acts); json_object_put(ann); json_object_put(aa); json_object_put(se);
        json_object_put(rdt);
        return -1;
    }
    json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
    json_object_object_add(o, "ociVersionMax", json_object_new_string(EB_OCI_VERSION));
    json_object_object_add(o, "hooks", strv(hooks));
    json_object_object_add(o, "mountOptions", strv(mount_opts));
    json_object_object_add(lx, "namespaces", strv(ns));
    for (i = 0; i <= eb_cap_last(); i++)
        if (eb_cap_name(i))
            json_object_array_add(caps, json_object_new_string(eb_cap_name(i)));
    json_object_object_add(lx, "capabilities", caps);
    json_object_object_add(cg, "v1", json_object_new_boolean(1));
    json_object_object_add(cg, "v2", json_object_new_boolean(1));
    json_object_object_add(cg, "systemd", json_object_new_boolean(0));
    json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
    json_object_object_add(cg, "rdma", json_object_new_boolean(0));
    json_object_object_add(lx, "cgroup", cg);
    json_object_object_add(sc, "enabled", json_object_new_boolean(1));
    for (i = 0; i < EB_SCMP_ACTIONS; i++)
        json_object_array_add(acts, json_object_new_string(eb_scmp_action_names[i]));
    json_object_array_add(acts, json_object_new_string("SCMP_ACT_KILL_THREAD"));
    json_object_object_add(sc, "actions", acts);
    json_object_object_add(sc, "operators", strv(ops));
    json_object_object_add(sc, "archs", strv(archs));
    json_object_object_add(sc, "knownFlags", strv(flags));
    json_object_object_add(sc, "supportedFlags", strv(flags));
    json_object_object_add(lx, "seccomp", sc);
    json_object_object_add(aa, "enabled", json_object_new_boolean(eb_lsm_apparmor_enabled()));
    json_object_object_add(lx, "apparmor", aa);
    json_object_object_add(se, "enabled", json_object_new_boolean(eb_lsm_selinux_enabled()));
    json_object_object_add(lx, "selinux", se);
    json_object_object_add(rdt, "enabled", json_object_new_boolean(0));
    json_object_object_add(lx, "intelRdt", rdt);
    json_object_object_add(o, "linux", lx);
    json_object_object_add(ann, "io.github.edgebox.version", json_object_new_string(EB_VERSION));
    json_object_object_add(ann, "io.github.edgebox.cgroup.host", json_object_new_string(v == 2 ? "v2" : v == 1 ? "v1" : "none"));
    {
        char buf[32];
        const struct scmp_version *sv = seccomp_version();
        snprintf(buf, sizeof(buf), "%u.%u.%u", sv->major, sv->minor, sv->micro);
        json_object_object_add(ann, "io.github.seccomp.libseccomp.version", json_object_new_string(buf));
    }
    json_object_object_add(ann, "io.github.edgebox.isolation", json_object_new_string("runc"));
    json_object_object_add(o, "annotations", ann);
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return 0;
}
