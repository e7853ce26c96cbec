/* pool.c - the pool's host side (pool.h): the claim a sandbox's create
 * makes, the filler, drain and status.  The configuration is read in
 * pool_config.c, the pool's directory (stamp, counters, its VMs) in
 * pool_dir.c; what a pooled VM's monitor does is in pool_vm.c. */
#include "runv/pool.h"
#include "runv/pool_internal.h"
#include "eb_config.h"
#include "runv/client.h"
#include "runv/podnet.h"
#include "runv/sandbox.h"
#include "runv/vm.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"
#include "proto/ops.h"
#include "proto/frame.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


/* ------------------------------------------------------------- claim --- */

/* After a claim that failed: the VM ends (its monitor tears it down); the
 * sandbox's directory must be gone before the cold boot makes it. */
static void claim_undo(const char *dir)
{
    pid_t mon = eb_sandbox_read_pid(dir, "monitor");
    int i;

    for (i = 0; i < 500 && mon > 0 && eb_pid_starttime(mon) != 0; i++)
        usleep(10000);
    if (mon > 0 && eb_pid_starttime(mon) != 0)
        kill(mon, SIGKILL);
    eb_sandbox_teardown(dir);
}

static int claim_one(const eb_monitor_opts_t *mo, const char *vmdir, eb_error_t *err)
{
    json_object *req = eb_op_request(EB_OP_CLAIM), *resp = NULL;
    pid_t mon = eb_sandbox_read_pid(vmdir, "monitor");
    int fd = eb_monitor_connect_dir(vmdir, "the pooled VM", err), ret;

    if (fd < 0) {
        json_object_put(req);
        return -1;
    }
    json_object_object_add(req, "sid", json_object_new_string(mo->sid));
    if (mo->netns)
        json_object_object_add(req, "netns", json_object_new_string(mo->netns));
    if (mo->hostname)
        json_object_object_add(req, "hostname", json_object_new_string(mo->hostname));
    if (mo->cgroups_path)
        json_object_object_add(req, "cgroups_path", json_object_new_string(mo->cgroups_path));
    if (mo->log_path)
        json_object_object_add(req, "log", json_object_new_string(mo->log_path));
    ret = eb_monitor_call(fd, req, &resp, err);
    close(fd);
    json_object_put(req);
    json_object_put(resp);
    /* Renamed, then failed: not ours to use, ours to clear (only when the
     * directory is that VM's: never another sandbox's of the same id). */
    if (ret < 0 && mon > 0 && eb_sandbox_read_pid(mo->dir, "monitor") == mon)
        claim_undo(mo->dir);
    return ret;
}

/* Why MO boots cold though the pool is on; NULL: it may claim. */
static const char *cold_reason(const eb_pool_config_t *cfg, const eb_monitor_opts_t *mo, char *buf, size_t size)
{
    eb_error_t err = { 0 };
    size_t nics = 0;

    if (eb_pool_class_of(cfg, mo->mem_mib, mo->vcpus) == NULL) {
        snprintf(buf, size, "no pool class of %u MiB, %u vCPUs", mo->mem_mib, mo->vcpus);
        return buf;
    }
    if (mo->netns && eb_podnet_count(mo->netns, &nics, &err) < 0) {
        snprintf(buf, size, "%s", err.msg);
        return buf;
    }
    if (nics > EB_POOL_NICS) {
        snprintf(buf, size, "the pod has %zu interfaces, a pooled VM %d", nics, EB_POOL_NICS);
        return buf;
    }
    return NULL;
}

/* What a create says about the pool goes to the runtime's log file only:
 * without --log its stderr is the container's (conmon's, a shim's) and
 * every pod's log would hold the note (as boot_sandbox's TCG notice). */
#define create_note(level, ...) eb_log(eb_log_is_file() ? (level) : EB_LOG_DEBUG, __VA_ARGS__)

int eb_pool_claim(const eb_monitor_opts_t *mo)
{
    eb_pool_config_t cfg;
    eb_error_t err = { 0 };
    _cleanup_free_ char *pdir = eb_strdup_printf("%s/" EB_POOL_DIR, mo->root);
    static eb_pool_vm_t vms[EB_POOL_MAX_VMS];
    char why[256];
    const char *cold;
    size_t n, i;

    if (eb_pool_config(&cfg, &err) < 0) {
        create_note(EB_LOG_WARNING, "pool: %s; booting cold", err.msg);
        return 0;
    }
    if (cfg.n == 0)
        return 0;
    /* The cold path says what is wrong with a sandbox that exists. */
    if (access(mo->dir, F_OK) == 0)
        return 0;
    if ((cold = cold_reason(&cfg, mo, why, sizeof(why)))) {
        create_note(EB_LOG_INFO, "sandbox %s: boots cold: %s", mo->sid, cold);
        eb_pool_count(mo->root, "cold");
        return 0;
    }
    n = eb_pool_list_vms(pdir, vms, EB_POOL_MAX_VMS);
    for (i = 0; i < n; i++) {
        _cleanup_free_ char *vmdir = eb_strdup_printf("%s/%s", pdir, vms[i].name);
        if (!vms[i].alive || !vms[i].ready || vms[i].stale || vms[i].mem_mib != mo->mem_mib
            || vms[i].vcpus != mo->vcpus)
            continue;
        if (claim_one(mo, vmdir, &err) == 0) {
            create_note(EB_LOG_INFO, "sandbox %s: claimed pooled VM %s", mo->sid, vms[i].name);
            eb_pool_count(mo->root, "claimed");
            eb_pool_refill_async(mo->root, EB_POOL_REFILL_DELAY_MS);
            return 1;
        }
        create_note(EB_LOG_INFO, "sandbox %s: pooled VM %s: %s", mo->sid, vms[i].name, err.msg);
        eb_error_clear(&err);
    }
    create_note(EB_LOG_INFO, "sandbox %s: boots cold: no pooled VM of %u MiB, %u vCPUs is ready", mo->sid, mo->mem_mib, mo->vcpus);
    eb_pool_count(mo->root, "cold");
    eb_pool_refill_async(mo->root, EB_POOL_REFILL_DELAY_MS);
    return 0;
}

/* -------------------------------------------------------------- fill --- */

static int boot_one(const char *root, const char *pdir, const eb_pool_class_t *c, const char *stamp,
                    eb_error_t *err)
{
    unsigned char r[4];
    char name[64], *dir;
    eb_monitor_opts_t mo = { 0 };
    json_object *o;
    const char *s;
    _cleanup_free_ char *log = eb_strdup_printf("%s/pool.log", pdir);
    int ret;

    if (getrandom(r, sizeof(r), 0) != (ssize_t) sizeof(r))
        return eb_error_set(err, errno, "getrandom");
    snprintf(name, sizeof(name), "p%ux%u-%02x%02x%02x%02x", c->mem_mib, c->vcpus, r[0], r[1], r[2], r[3]);
    dir = eb_strdup_printf("%s/%s", pdir, name);
    if (mkdir(dir, 0700) < 0) {
        ret = eb_error_set(err, errno, "mkdir %s", dir);
        free(dir);
        return ret;
    }
    o = json_object_new_object();
    json_object_object_add(o, "memory_mib", json_object_new_int((int) c->mem_mib));
    json_object_object_add(o, "vcpus", json_object_new_int((int) c->vcpus));
    json_object_object_add(o, "stamp", json_object_new_string(stamp));
    s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    ret = eb_write_file_atomic(dir, "pool.json", s, strlen(s), err);
    json_object_put(o);
    mo = (eb_monitor_opts_t) { .root = root, .sid = name, .dir = dir, .mem_mib = c->mem_mib, .vcpus = c->vcpus,
                               .pool = true };
    if (ret == 0)
        ret = eb_monitor_spawn(&mo, log, err);
    else
        eb_sandbox_teardown(dir);
    free(dir);
    return ret;
}

/* One round: stop what must go, count what lives; *MISSING gets the
 * first class short of its size (NULL: none). */
static void fill_round(const char *pdir, const eb_pool_config_t *cfg, const eb_pool_class_t **missing)
{
    static eb_pool_vm_t vms[EB_POOL_MAX_VMS];
    unsigned have[EB_POOL_MAX_CLASSES] = { 0 };
    size_t n = eb_pool_list_vms(pdir, vms, EB_POOL_MAX_VMS), i, k;

    *missing = NULL;
    for (i = 0; i < n; i++) {
        const eb_pool_class_t *c = eb_pool_class_of(cfg, vms[i].mem_mib, vms[i].vcpus);
        k = c ? (size_t) (c - cfg->c) : 0;
        if (!vms[i].alive || vms[i].stale || c == NULL || have[k] >= c->size) {
            eb_info("pool: stopping VM %s (%s)", vms[i].name,
                    !vms[i].alive ? "its monitor is gone" : vms[i].stale ? "booted by another runtime or image"
                                                           : c == NULL ? "no such class" : "beyond the class's size");
            eb_pool_stop_vm(pdir, vms[i].name);
            continue;
        }
        have[k]++;
    }
    for (k = 0; k < cfg->n && *missing == NULL; k++)
        if (have[k] < cfg->c[k].size)
            *missing = &cfg->c[k];
}

/* A filler forked by a monitor runs the code of the runtime that booted
 * it: once an upgrade replaced that binary, its stamp is the old one and
 * it would stop the new runtime's VMs to boot old ones. */
bool eb_pool_replaced_runtime(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    const char *del = " (deleted)";

    if (n <= 0)
        return false;
    exe[n] = 0;
    return (size_t) n > strlen(del) && strcmp(exe + n - strlen(del), del) == 0;
}

/* The pool directory's inode, 0 when there is none. */
static ino_t pool_ino(const char *pdir)
{
    struct stat st;

    return stat(pdir, &st) == 0 ? st.st_ino : 0;
}

int eb_pool_fill_if(const char *root, ino_t expect, eb_error_t *err)
{
    _cleanup_free_ char *pdir = eb_strdup_printf("%s/" EB_POOL_DIR, root);
    _cleanup_free_ char *lockp = eb_strdup_printf("%s/fill.lock", pdir);
    _cleanup_close_ int lock = -1;
    const eb_pool_class_t *c;
    eb_pool_config_t cfg;
    char stamp[1024];

    if (eb_pool_replaced_runtime()) {
        eb_info("pool: this runtime's binary was replaced; the new one fills the pool");
        return 0;
    }
    if (eb_pool_config(&cfg, err) < 0 || (!expect && eb_mkdir_p(pdir, 0700, err) < 0))
        return -1;
    lock = open(lockp, O_RDWR | (expect ? 0 : O_CREAT) | O_CLOEXEC, 0600);
    if (lock < 0 && expect && errno == ENOENT)
        return 0;
    /* One filler at a time; the next one waits and recounts. */
    if (lock < 0 || flock(lock, LOCK_EX) < 0)
        return eb_error_set(err, errno, "lock %s", lockp);
    if (expect && pool_ino(pdir) != expect)
        return 0;
    eb_pool_stamp(stamp, sizeof(stamp));
    /* Booting a VM is seconds of CPU under TCG: the pod being started, or
     * any other work on a 2-core node, goes first.  A claim gives the VM
     * the normal priority back. */
    if (setpriority(PRIO_PROCESS, 0, EB_POOL_NICE) < 0)
        eb_warn("pool: nice %d: %s", EB_POOL_NICE, strerror(errno));
    for (;;) {
        fill_round(pdir, &cfg, &c);
        if (c == NULL)
            return 0;
        if (boot_one(root, pdir, c, stamp, err) < 0) {
            eb_pool_count(root, "boot_failures");
            return eb_error_wrap(err, "pool: boot a VM of %u MiB, %u vCPUs", c->mem_mib, c->vcpus);
        }
    }
}

int eb_pool_fill(const char *root, eb_error_t *err)
{
    return eb_pool_fill_if(root, 0, err);
}

void eb_pool_refill_async(const char *root, unsigned delay_ms)
{
    _cleanup_free_ char *pdir = eb_strdup_printf("%s/" EB_POOL_DIR, root);
    ino_t expect = pool_ino(pdir);
    eb_error_t err = { 0 };
    pid_t pid;

    /* The keeper's tree, not ours: ours may be a shim's (pool_keeper.c). */
    if (eb_pool_keeper_ask(root, delay_ms, (uint64_t) expect, &err) == 0)
        return;
    create_note(EB_LOG_DEBUG, "pool: %s (no `edgebox pool serve`): the refill starts here", err.msg);
    pid = fork();
    if (pid < 0)
        return;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC), keep = eb_log_fd();
        /* Detached: the caller (a create, a monitor) does not wait for the
         * boot, nor hold the caller's pipes open meanwhile. */
        setsid();
        if (fork() != 0)
            _exit(0);
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        eb_close_fds_except(&keep, 1);
        /* (ROOT may point into the arguments the title overwrites) */
        root = eb_xstrdup(root);
        eb_set_proc_title("edgebox-pool-filler %s", root);
        signal(SIGPIPE, SIG_IGN);
        if (delay_ms)
            usleep(delay_ms * 1000);
        eb_error_clear(&err);
        if (eb_pool_fill_if(root, expect, &err) < 0)
            eb_warn("%s", err.msg);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

/* ------------------------------------------------------- drain, status --- */

int eb_pool_drain(const char *root, eb_error_t *err)
{
    _cleanup_free_ char *pdir = eb_strdup_printf("%s/" EB_POOL_DIR, root);
    _cleanup_free_ char *lockp = eb_strdup_printf("%s/fill.lock", pdir);
    static const char *const files[] = { "fill.lock", "stats.json", "pool.log" };
    static eb_pool_vm_t vms[EB_POOL_MAX_VMS];
    _cleanup_close_ int lock = open(lockp, O_RDWR | O_CLOEXEC);
    size_t n, i;

    eb_pool_keeper_tidy(root);
    if (lock < 0 && errno == ENOENT && access(pdir, F_OK) < 0)
        return 0;
    /* A filler booting now finishes its boot first, then finds nothing
     * to fill into: the directory is gone. */
    if (lock >= 0 && flock(lock, LOCK_EX) < 0)
        return eb_error_set(err, errno, "lock %s", lockp);
    n = eb_pool_list_vms(pdir, vms, EB_POOL_MAX_VMS);
    for (i = 0; i < n; i++)
        eb_pool_stop_vm(pdir, vms[i].name);
    for (i = 0; i < EB_ARRAY_SIZE(files); i++) {
        _cleanup_free_ char *p = eb_strdup_printf("%s/%s", pdir, files[i]);
        unlink(p);
    }
    if (rmdir(pdir) < 0 && errno != ENOENT)
        return eb_error_set(err, errno, "remove %s", pdir);
    return 0;
}

json_object *eb_pool_status(const char *root, eb_error_t *err)
{
    _cleanup_free_ char *pdir = eb_strdup_printf("%s/" EB_POOL_DIR, root);
    _cleanup_free_ char *sp = eb_strdup_printf("%s/stats.json", pdir), *text = NULL;
    static eb_pool_vm_t vms[EB_POOL_MAX_VMS];
    json_object *o = json_object_new_object(), *classes = json_object_new_array(), *counters = NULL;
    eb_pool_config_t cfg;
    eb_error_t ign = { 0 };
    size_t n, i, k, len;
    int stale = 0;

    if (eb_pool_config(&cfg, err) < 0) {
        json_object_put(o);
        json_object_put(classes);
        return NULL;
    }
    n = eb_pool_list_vms(pdir, vms, EB_POOL_MAX_VMS);
    json_object_object_add(o, "config", json_object_new_string(cfg.source));
    {
        pid_t keeper = eb_pool_keeper_pid(root);
        json_object_object_add(o, "keeper", keeper > 0 ? json_object_new_int((int) keeper) : NULL);
    }
    for (k = 0; k < cfg.n; k++) {
        json_object *c = json_object_new_object();
        int ready = 0, booting = 0;
        for (i = 0; i < n; i++)
            if (vms[i].alive && !vms[i].stale && vms[i].mem_mib == cfg.c[k].mem_mib && vms[i].vcpus == cfg.c[k].vcpus)
                vms[i].ready ? ready++ : booting++;
        json_object_object_add(c, "memory_mib", json_object_new_int((int) cfg.c[k].mem_mib));
        json_object_object_add(c, "vcpus", json_object_new_int((int) cfg.c[k].vcpus));
        json_object_object_add(c, "size", json_object_new_int((int) cfg.c[k].size));
        json_object_object_add(c, "ready", json_object_new_int(ready));
        json_object_object_add(c, "booting", json_object_new_int(booting));
        json_object_array_add(classes, c);
    }
    for (i = 0; i < n; i++)
        stale += !vms[i].alive || vms[i].stale;
    json_object_object_add(o, "classes", classes);
    json_object_object_add(o, "vms", json_object_new_int((int) n));
    json_object_object_add(o, "stale", json_object_new_int(stale));
    if (eb_read_file(sp, 4096, &text, &len, &ign) == 0)
        counters = json_tokener_parse(text);
    json_object_object_add(o, "counters", json_object_is_type(counters, json_type_object) ? counters
                                                                                         : json_object_new_object());
    return o;
}
