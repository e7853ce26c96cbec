/* pool_vm.c - the monitor of a pooled VM (pool.h): booted with no sandbox
 * (its tap in a network namespace of its own, its own cgroup), checked
 * with a ping, then waiting; at "claim" it becomes the sandbox's.
 *
 * A claim that fails after the directory was renamed cannot be undone
 * (the VM's host side is half the pod's): the VM ends, the claimer boots
 * cold.  A VM runs no one's container before its claim (conns.c refuses
 * every other request), so what a claimed VM ran before is its boot and
 * the agent's own warm-up container (src/agent/warm.c). */
#include "runv/monitor_internal.h"
#include "runv/bootstats.h"
#include "runv/podcg.h"
#include "runv/pool.h"
#include "runv/sandbox.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define CLAIM_ENTROPY 64          /* bytes of the host's getrandom() per claim */

/* Its own network namespace: its taps' names can't collide with another
 * pooled VM's, and the taps wait there, attached to nothing. */
int mon_pool_prepare(monitor_t *m, eb_error_t *err)
{
    m->pooled = true;
    if (unshare(CLONE_NEWNET) < 0)
        return eb_error_set(err, errno, "a network namespace for the pooled VM");
    return eb_podnet_pool_taps(&m->net, EB_POOL_NICS, err);
}

/* The health check: a VM whose agent does not answer is never pooled.
 * It warms the VM up as well: the agent creates and deletes a container
 * of its own, so that the pod's first create is not the first to run
 * that code under TCG (src/agent/warm.c). */
void mon_pool_hello(monitor_t *m)
{
    json_object *r = eb_op_request(EB_OP_PING);

    json_object_object_add(r, "warm", json_object_new_boolean(true));

    mon_send_agent(m, NULL, 0, r, EB_OP_PING, NULL, 0);
    json_object_put(r);
}

static void pooled_ready(monitor_t *m, json_object *resp)
{
    eb_error_t err = { 0 };
    int64_t warm = -1;

    m->phase = READY;
    m->last_ping = eb_now_ms();
    eb_msg_int(resp, "warm_ms", 0, INT32_MAX, true, &warm, &err);
    eb_error_clear(&err);
    eb_info("pool: VM %s ready %llu ms after QEMU started (attempt %d; its warm-up container took %lld ms)",
            m->o->sid, (unsigned long long) (eb_now_ms() - m->boot_start), m->attempt, (long long) warm);
    eb_bootstats_add(m->o->root, EB_BOOT_READY, eb_now_ms() - m->boot_start, NULL);
    if (eb_write_file_atomic(m->o->dir, "ready", "", 0, &err) < 0)
        eb_warn("pool: VM %s: %s", m->o->sid, err.msg);
    if (m->o->ready_fd >= 0) {
        if (write(m->o->ready_fd, "OK\n", 3) < 0) { }
        close(m->o->ready_fd);
        m->o->ready_fd = -1;
    }
}

bool mon_pool_response(monitor_t *m, const mpending_t *p, json_object *resp, bool ok)
{
    eb_error_t e = { 0 };
    int64_t bits = 0;

    if (p->op == EB_OP_PING && m->phase == SETUP) {
        if (ok)
            pooled_ready(m, resp);
        else {
            snprintf(m->reason, sizeof(m->reason), "the pooled VM's health check failed");
            m->phase = DYING;
        }
        return true;
    }
    if (p->op != EB_OP_SANDBOX || !m->claiming)
        return false;
    m->claiming = false;
    if (!ok) {
        eb_msg_response_status(resp, &e);
        snprintf(m->reason, sizeof(m->reason), "claim: set up the guest: %s", e.msg);
        m->phase = DYING;
    } else {
        m->pooled = false;
        eb_msg_int(resp, "entropy_bits", 0, INT32_MAX, true, &bits, &e);
        eb_info("sandbox %s: a pooled VM, booted %llu ms ago, claimed (guest clock set, %lld bits of entropy "
                "added)", m->o->sid, (unsigned long long) (eb_now_ms() - m->boot_start), (long long) bits);
    }
    if (p->conn && !p->conn->dead)
        mon_reply(p->conn, p->client_id, resp);
    return true;
}

/* The pod's network namespace: the taps move in, get the pod's MTU and tc
 * redirects; the monitor lives there from now on, as a cold one does. */
static int claim_net(monitor_t *m, const char *netns, eb_error_t *err)
{
    _cleanup_close_ int ns = -1;
    size_t ifs = 0;

    json_object_put(m->net.config);
    m->net.config = NULL;
    if (netns == NULL)
        return 0;
    ns = open(netns, O_RDONLY | O_CLOEXEC);
    if (ns < 0)
        return eb_error_set(err, errno, "open the pod network namespace %s", netns);
    /* A pod without interfaces (only lo) gets no tap, as a cold boot. */
    if (eb_write_file_atomic(m->o->dir, "netns", netns, strlen(netns), err) < 0
        || eb_podnet_count(netns, &ifs, err) < 0 || (ifs && eb_podnet_move_taps(&m->net, ns, err) < 0))
        return -1;
    if (setns(ns, CLONE_NEWNET) < 0)
        return eb_error_set(err, errno, "enter the pod network namespace %s", netns);
    if (ifs == 0)
        return 0;
    return eb_podnet_adopt(&m->net, err) < 0 ? eb_error_wrap(err, "pod network") : 0;
}

/* Every thread of PID back to the priority of any sandbox's: nice is per
 * thread on Linux, and QEMU's vCPU and I/O threads were made at the
 * filler's nice (pool.h). */
static void renice_threads(pid_t pid)
{
    _cleanup_free_ char *path = eb_strdup_printf("/proc/%d/task", pid);
    _cleanup_closedir_ DIR *d = opendir(path);
    struct dirent *e;
    uint64_t tid;

    while (d && (e = readdir(d)))
        if (eb_parse_u64(e->d_name, &tid) == 0 && tid > 0 && tid <= INT32_MAX)
            setpriority(PRIO_PROCESS, (id_t) tid, 0);
}

static void claim_priority(monitor_t *m, const pid_t *pids, size_t n)
{
    size_t i;

    setpriority(PRIO_PROCESS, 0, 0);
    if (pids == NULL) {
        renice_threads(m->qemu);
        renice_threads(m->vfsd);
    }
    for (i = 0; pids && i < n; i++)
        renice_threads(pids[i]);
}

/* QEMU, virtiofsd (and its worker) move to the pod's cgroup; the pool's
 * goes.  Memory they touched while pooled stays charged where it was
 * (docs/pool.md). */
static int claim_cgroup(monitor_t *m, const char *path, eb_error_t *err)
{
    eb_cgroup_t *cg = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    eb_error_t ign = { 0 };
    size_t n = 0, i;

    if (!m->confined || m->cg == NULL) {
        claim_priority(m, NULL, 0);
        return 0;
    }
    if (eb_podcg_create(m->o->dir, path, m->o->sid, m->o->mem_mib, &cg, err) < 0)
        return -1;
    if (eb_cgroup_pids(m->cg, &pids, &n, err) < 0)
        goto fail;
    claim_priority(m, pids, n);
    for (i = 0; i < n; i++)
        if (eb_cgroup_enter(cg, pids[i], err) < 0 && err->code != ESRCH)
            goto fail;
    eb_error_clear(err);
    if (eb_cgroup_destroy(m->cg, &ign) < 0)
        eb_warn("sandbox %s: the pooled VM's cgroup: %s", m->o->sid, ign.msg);
    eb_cgroup_free(m->cg);
    m->cg = cg;
    return 0;
fail:
    eb_cgroup_free(m->cg);
    m->cg = cg;
    return -1;
}

static void hex(char *out, const unsigned char *b, size_t n)
{
    static const char d[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++)
        out[2 * i] = d[b[i] >> 4], out[2 * i + 1] = d[b[i] & 15];
    out[2 * n] = 0;
}

/* The agent's "sandbox" request: the network and hostname a cold boot
 * gets, and the host's clock and fresh entropy. */
static json_object *claim_request(monitor_t *m, const char *hostname, eb_error_t *err)
{
    json_object *r = m->net.config ? json_object_get(m->net.config) : json_object_new_object(), *t;
    unsigned char rnd[CLAIM_ENTROPY];
    char rhex[2 * CLAIM_ENTROPY + 1];
    struct timespec now;

    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd)) {
        json_object_put(r);
        eb_error_set(err, errno, "getrandom");
        return NULL;
    }
    hex(rhex, rnd, sizeof(rnd));
    explicit_bzero(rnd, sizeof(rnd));
    clock_gettime(CLOCK_REALTIME, &now);
    json_object_object_add(r, "op", json_object_new_string(eb_op_name(EB_OP_SANDBOX)));
    if (hostname)
        json_object_object_add(r, "hostname", json_object_new_string(hostname));
    t = json_object_new_object();
    json_object_object_add(t, "sec", json_object_new_int64(now.tv_sec));
    json_object_object_add(t, "nsec", json_object_new_int64(now.tv_nsec));
    json_object_object_add(r, "time", t);
    json_object_object_add(r, "entropy", json_object_new_string(rhex));
    explicit_bzero(rhex, sizeof(rhex));
    return r;
}

/* Rename the VM's directory to the sandbox's: the one step that makes it
 * this claimer's (RENAME_NOREPLACE: never over another sandbox). */
static int claim_dir(monitor_t *m, const char *sid, eb_error_t *err)
{
    _cleanup_free_ char *parent = eb_strdup_printf("%s/.runv", m->o->root);
    char *dir = eb_sandbox_dir(m->o->root, sid);

    if (eb_mkdir_p(parent, 0700, err) < 0 || renameat2(AT_FDCWD, m->o->dir, AT_FDCWD, dir, RENAME_NOREPLACE) < 0) {
        if (!eb_error_is_set(err))
            eb_error_set(err, errno, "sandbox `%s`: rename %s to %s", sid, m->o->dir, dir);
        free(dir);
        return -1;
    }
    eb_info("pool: VM %s is sandbox %s", m->o->sid, sid);
    eb_set_proc_title("edgebox-monitor %s", sid);
    free(m->claimed_dir);
    free(m->claimed_sid);
    m->o->dir = m->claimed_dir = dir;
    m->o->sid = m->claimed_sid = eb_xstrdup(sid);
    {
        _cleanup_free_ char *ready = eb_strdup_printf("%s/ready", dir);
        _cleanup_free_ char *pj = eb_strdup_printf("%s/pool.json", dir);
        unlink(ready);
        unlink(pj);
    }
    return 0;
}

typedef struct {
    const char *sid, *netns, *hostname, *cgroups_path, *log;
} claim_args_t;

static int claim_parse(json_object *req, claim_args_t *a, eb_error_t *err)
{
    memset(a, 0, sizeof(*a));
    if (eb_msg_str(req, "sid", 1024, false, &a->sid, err) < 0 || eb_msg_str(req, "netns", PATH_MAX, true, &a->netns, err) < 0
        || eb_msg_str(req, "hostname", 64, true, &a->hostname, err) < 0
        || eb_msg_str(req, "cgroups_path", PATH_MAX, true, &a->cgroups_path, err) < 0
        || eb_msg_str(req, "log", PATH_MAX, true, &a->log, err) < 0)
        return -1;
    if (!eb_id_valid(a->sid))
        return eb_error_set(err, EINVAL, "claim: invalid sandbox id `%s`", a->sid);
    if (a->netns && a->netns[0] != '/')
        return eb_error_set(err, EINVAL, "claim: netns `%s` is not an absolute path", a->netns);
    return 0;
}

void mon_pool_claim(monitor_t *m, mconn_t *c, uint32_t id, json_object *req)
{
    eb_error_t err = { 0 };
    claim_args_t a;
    json_object *r;

    if (!m->pooled || m->claiming) {
        eb_error_set(&err, EBUSY, "%s is not a pooled VM waiting for a claim", m->o->sid);
        mon_reply_error(c, id, &err);
        return;
    }
    if (claim_parse(req, &a, &err) < 0 || claim_dir(m, a.sid, &err) < 0) {
        mon_reply_error(c, id, &err);
        return;
    }
    /* From here on a failure ends the VM: its host side is half the pod's. */
    if (a.log && eb_log_reopen(a.log, &err) < 0) {
        eb_warn("sandbox %s: %s", m->o->sid, err.msg);
        eb_error_clear(&err);
    }
    if (claim_net(m, a.netns, &err) < 0 || claim_cgroup(m, a.cgroups_path, &err) < 0
        || (r = claim_request(m, a.hostname, &err)) == NULL) {
        snprintf(m->reason, sizeof(m->reason), "claim: %s", err.msg);
        mon_reply_error(c, id, &err);
        m->phase = DYING;
        return;
    }
    mon_send_agent(m, c, id, r, EB_OP_SANDBOX, NULL, 0);
    json_object_put(r);
    m->claiming = true;
}

/* A pooled VM that ended unclaimed, other than by a drain or shutdown
 * (exit_ok), is counted and replaced. */
void mon_pool_finish(monitor_t *m)
{
    if (!m->o->pool || !m->pooled || m->exit_ok)
        return;
    eb_pool_count(m->o->root, "discarded");
    eb_pool_refill_async(m->o->root, 0);
}
