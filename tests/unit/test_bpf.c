/* test_bpf.c - the cgroup v2 device filter: the generated program passes
 * the kernel verifier and, attached to a cgroup of the unified hierarchy
 * (which this host has even in hybrid mode), enforces the rules. */
#include "unit.h"
#include "core/cgroup.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

static const char *unified_root(void)
{
    static const char *cands[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
    size_t i;
    for (i = 0; i < 2; i++) {
        struct statfs sf;
        if (statfs(cands[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
            return cands[i];
    }
    return NULL;
}

/* In a child moved into DIR: can it open PATH for reading? */
static int can_open(const char *dir, const char *path)
{
    pid_t p = fork();
    int st;
    if (p == 0) {
        char buf[32];
        int fd;
        snprintf(buf, sizeof(buf), "%d", getpid());
        {
            char f[512];
            snprintf(f, sizeof(f), "%s/cgroup.procs", dir);
            fd = open(f, O_WRONLY);
            if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
                _exit(2);
            close(fd);
        }
        fd = open(path, O_RDONLY);
        _exit(fd >= 0 ? 0 : 1);
    }
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 3;
}

int main(void)
{
    eb_device_rule_t *rules = NULL;
    void *insns = NULL;
    eb_error_t err = { 0 };
    eb_resources_t res;
    eb_device_rule_t deny_all = { false, 'a', -1, -1, "rwm" };
    size_t n;
    int cnt;
    const char *root = unified_root();

    unit_name = "bpf";
    memset(&res, 0, sizeof(res));
    res.devices = &deny_all;
    res.n_devices = 1;
    n = eb_cgroup_device_rules(&res, NULL, &rules);
    CHECK(n == 11 && !rules[0].allow && rules[n - 1].major == 136, "spec rules first, then the defaults");
    cnt = eb_cgroup_bpf_build(rules, n, &insns, &err);
    CHECK(cnt > 10, "program built (%d instructions)", cnt);
    free(insns);
    if (root == NULL || geteuid() != 0) {
        SKIP("attach a device program: no cgroup2 hierarchy mounted or not root");
        free(rules);
        return unit_failed;
    }
    {
        char dir[256];
        int dfd, r;
        snprintf(dir, sizeof(dir), "%s/eb-unit-bpf-%d", root, (int) getpid());
        if (mkdir(dir, 0755) < 0) {
            SKIP("attach a device program: cannot create a cgroup under %s (%s)", root, strerror(errno));
            free(rules);
            return unit_failed;
        }
        dfd = open(dir, O_RDONLY | O_DIRECTORY);
        r = eb_cgroup_bpf_devices(dfd, rules, n, &err);
        CHECK(r == 0, "the kernel verifier accepts and attaches the program (%s)", err.msg);
        CHECK(can_open(dir, "/dev/null") == 0, "default rule: /dev/null allowed");
        CHECK(can_open(dir, "/dev/urandom") == 0, "default rule: /dev/urandom allowed");
        if (access("/dev/kmsg", F_OK) == 0)
            CHECK(can_open(dir, "/dev/kmsg") == 1, "denied by the spec's deny-all: /dev/kmsg");
        /* Replace: a second program with /dev/kmsg allowed takes over. */
        {
            eb_device_rule_t extra[2] = { { false, 'a', -1, -1, "rwm" }, { true, 'c', 1, 11, "r" } };
            free(rules);
            res.devices = extra;
            res.n_devices = 2;
            n = eb_cgroup_device_rules(&res, NULL, &rules);
            r = eb_cgroup_bpf_devices(dfd, rules, n, &err);
            CHECK(r == 0, "program replaced (%s)", err.msg);
            if (access("/dev/kmsg", F_OK) == 0)
                CHECK(can_open(dir, "/dev/kmsg") == 0, "the new rule allows /dev/kmsg read");
        }
        close(dfd);
        rmdir(dir);
    }
    free(rules);
    return unit_failed;
}
