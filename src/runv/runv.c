/* runv.c - the OCI verbs for runv containers.
 *
 * The CLI verbs call these when the class is runv (class.c); each one is a
 * request to the sandbox's monitor, which passes it to the agent.  The host
 * keeps the same <root>/<id>/state.json as the runc class (so `list` and
 * the lock work alike) plus runv.json: the sandbox id, the guest pid of the
 * container's init and whether this container booted the sandbox. */
#include "runv/runv.h"
#include "core/container.h"
#include "runv/vm.h"
#include "runv/sandbox.h"
#include "runv/monitor.h"
#include "runv/pool.h"
#include "runv/client.h"
#include "runv/relay.h"
#include "runv/attach.h"
#include "runv/guest_spec.h"
#include "runv/host_hooks.h"
#include "runv/logger.h"
#include "spec/bundle.h"
#include "spec/cri.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"
#include "proto/ops.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>


typedef struct {
    char *sandbox;
    pid_t guest_pid;
    bool owner;
    unsigned vcpus;        /* the VM's, in its owner's record; 0: unknown */
    bool attached;         /* no relay: state.pid is the monitor (attach.c) */
} runv_info_t;

static void info_free(runv_info_t *i)
{
    free(i->sandbox);
    i->sandbox = NULL;
}

static int info_load(const char *root, const char *id, runv_info_t *info, eb_error_t *err)
{
    _cleanup_free_ char *path = eb_strdup_printf("%s/%s/runv.json", root, id), *text = NULL;
    json_object *o, *v;
    size_t len;

    memset(info, 0, sizeof(*info));
    if (eb_read_file(path, 65536, &text, &len, err) < 0)
        return -1;
    o = json_tokener_parse(text);
    if (o == NULL || !json_object_object_get_ex(o, "sandbox", &v) || !eb_id_valid(json_object_get_string(v))) {
        json_object_put(o);
        return eb_error_set(err, EINVAL, "%s: corrupt", path);
    }
    info->sandbox = eb_xstrdup(json_object_get_string(v));
    if (json_object_object_get_ex(o, "guest_pid", &v))
        info->guest_pid = json_object_get_int(v);
    if (json_object_object_get_ex(o, "owner", &v))
        info->owner = json_object_get_boolean(v);
    if (json_object_object_get_ex(o, "vcpus", &v))
        info->vcpus = (unsigned) json_object_get_int(v);
    if (json_object_object_get_ex(o, "attached", &v))
        info->attached = json_object_get_boolean(v);
    json_object_put(o);
    return 0;
}

static int info_save(const char *dir, const runv_info_t *info, eb_error_t *err)
{
    json_object *o = json_object_new_object();
    const char *s;
    int ret;

    json_object_object_add(o, "sandbox", json_object_new_string(info->sandbox));
    json_object_object_add(o, "guest_pid", json_object_new_int(info->guest_pid));
    json_object_object_add(o, "owner", json_object_new_boolean(info->owner));
    if (info->vcpus)
        json_object_object_add(o, "vcpus", json_object_new_int((int) info->vcpus));
    if (info->attached)
        json_object_object_add(o, "attached", json_object_new_boolean(1));
    s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    ret = eb_write_file_atomic(dir, "runv.json", s, strlen(s), err);
    json_object_put(o);
    return ret;
}

static json_object *req_new(eb_op_t op, const char *id)
{
    json_object *r = eb_op_request(op);
    if (id)
        json_object_object_add(r, "id", json_object_new_string(id));
    return r;
}

/* One request about container ID to its sandbox. */
static int call(const char *root, const char *id, json_object *req, json_object **resp, eb_error_t *err)
{
    runv_info_t info;
    json_object *r = NULL;
    int ret;

    if (info_load(root, id, &info, err) < 0) {
        json_object_put(req);
        return -1;
    }
    ret = eb_monitor_request(root, info.sandbox, req, &r, err);
    json_object_put(req);
    info_free(&info);
    if (resp)
        *resp = r;
    else
        json_object_put(r);
    return ret;
}

/* ------------------------------------------------------------ create --- */

/* A positive number in annotation KEY, at most MAX. */
static bool annotation_u64(const eb_spec_t *spec, const char *key, uint64_t max, uint64_t *v)
{
    const char *a = eb_spec_annotation(spec, key);

    return a && eb_parse_u64(a, v) == 0 && *v > 0 && *v <= max;
}

/* The VM's memory, the overhead on top of: the pod's total (the CRI
 * plugin's sandbox annotation: kubelet sums the containers' limits), else
 * io.edgebox.vm.memory-mib, else the container's own limit, else the
 * default. */
static unsigned vm_memory(const eb_spec_t *spec)
{
    const char *a = eb_spec_annotation(spec, EB_RUNV_MEM_ANNOTATION);
    uint64_t mib = EB_RUNV_DEFAULT_MIB, v;

    if (annotation_u64(spec, EB_CRI_SANDBOX_MEMORY, 65536ull << 20, &v))
        mib = (v + (1 << 20) - 1) >> 20;
    else if (a && eb_parse_u64(a, &v) == 0 && v >= 64 && v <= 65536)
        mib = v;
    else if (spec->resources.memory.limit.set && spec->resources.memory.limit.v > 0)
        mib = ((uint64_t) spec->resources.memory.limit.v + (1 << 20) - 1) >> 20;
    if (mib < 64)
        mib = 64;
    return (unsigned) mib + EB_RUNV_OVERHEAD_MIB;
}

/* How many CPUs a cpuset list ("0-1,3") needs to exist: its highest
 * index plus one; 0 for none or a list the guest's cgroup will refuse. */
static unsigned cpuset_span(const char *cpus)
{
    unsigned long top = 0, v;
    char *end;
    const char *c = cpus;

    while (c && *c) {
        if (!isdigit((unsigned char) *c))
            return 0;
        v = strtoul(c, &end, 10);
        if (v >= 4096)
            return 0;
        if (v + 1 > top)
            top = v + 1;
        c = end;
        if (*c == '-' || *c == ',')
            c++;
    }
    return (unsigned) top;
}

/* From the pod's CPU quota / period (the sandbox annotations), else the
 * container's own, and enough vCPUs for every CPU the cpuset names (the
 * guest's cpuset.cpus refuses a CPU it does not have: ERANGE). */
static unsigned vm_cpus(const eb_spec_t *spec)
{
    long host = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t n = 1, quota, period;

    if (annotation_u64(spec, EB_CRI_SANDBOX_CPU_QUOTA, 1ull << 40, &quota)
        && annotation_u64(spec, EB_CRI_SANDBOX_CPU_PERIOD, 1000000, &period))
        n = (quota + period - 1) / period;
    else if (spec->resources.cpu.quota.set && spec->resources.cpu.quota.v > 0 && spec->resources.cpu.period.set
        && spec->resources.cpu.period.v > 0)
        n = ((uint64_t) spec->resources.cpu.quota.v + spec->resources.cpu.period.v - 1)
            / spec->resources.cpu.period.v;
    if (cpuset_span(spec->resources.cpu.cpus) > n)
        n = cpuset_span(spec->resources.cpu.cpus);
    if (host > 0 && n > (uint64_t) host)
        n = (uint64_t) host;
    return n ? (unsigned) n : 1;
}

static int boot_sandbox(const eb_create_opts_t *o, const eb_spec_t *spec, const char *sid, const char *log_path,
                        eb_error_t *err)
{
    _cleanup_free_ char *parent = eb_strdup_printf("%s/.runv", o->root), *dir = eb_sandbox_dir(o->root, sid);
    eb_monitor_opts_t mo = { 0 };

    if (eb_mkdir_p(parent, 0700, err) < 0)
        return -1;
    mo.root = o->root;
    mo.sid = sid;
    mo.dir = dir;
    mo.netns = spec->namespaces[EB_NS_NET].present ? spec->namespaces[EB_NS_NET].path : NULL;
    mo.hostname = spec->hostname;
    mo.mem_mib = vm_memory(spec);
    mo.vcpus = vm_cpus(spec);
    mo.log_path = log_path;
    mo.cgroups_path = spec->cgroups_path;
    /* A pre-booted VM of this size, made this sandbox's (pool.h); else
     * the sandbox boots its own. */
    if (eb_pool_claim(&mo) == 1)
        return 0;
    if (mkdir(dir, 0700) < 0)
        return eb_error_set(err, errno, "sandbox `%s`: mkdir %s", sid, dir);
    /* The notice goes to the runtime's log file only: without --log our
     * stderr is the container's (conmon, the shim) and would put the
     * notice into every pod's log.  `edgebox check` says it too. */
    if (strcmp(eb_vm_accel(), "tcg") == 0)
        eb_log(eb_log_is_file() ? EB_LOG_INFO : EB_LOG_DEBUG,
               "runv: /dev/kvm is not usable, the sandbox runs under TCG emulation (slower)");
    return eb_monitor_spawn(&mo, NULL, err);
}

/* The process REQ asks for, on a monitor connection of its own (*CONN),
 * which then carries its stream: *STREAM, its guest pid, and what the
 * process wrote before the answer (a createContainer hook's output) in
 * EARLY, to be written first. */
static int open_process(const char *root, const char *sid, json_object *req, int *conn, uint32_t *stream,
                        pid_t *gpid, eb_buf_t *early, eb_error_t *err)
{
    json_object *resp = NULL;
    int64_t s = 0, g = 0;
    int fd = eb_monitor_connect(root, sid, err);

    if (fd < 0 || eb_monitor_call_keep(fd, req, &resp, early, err) < 0
        || eb_msg_int(resp, "stream", 1, UINT32_MAX, false, &s, err) < 0
        || eb_msg_int(resp, "pid", 1, INT32_MAX, false, &g, err) < 0) {
        json_object_put(resp);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    json_object_put(resp);
    *conn = fd;
    *stream = (uint32_t) s;
    *gpid = (pid_t) g;
    return 0;
}

/* The process REQ asks for, attached (attach.c) instead of relayed: no
 * host process stands for it; SHOWN is what its caller shows as its pid. */
static int attach_process(const char *root, const char *sid, json_object *req, bool tty, const int stdio[3],
                          pid_t shown, eb_attached_t **out, pid_t *gpid, eb_error_t *err)
{
    eb_buf_t early = { 0 };
    uint32_t stream;
    int conn, mine[3];

    for (int i = 0; i < 3; i++)
        mine[i] = stdio[i] >= 0 ? fcntl(stdio[i], F_DUPFD_CLOEXEC, 3) : -1;
    if (open_process(root, sid, req, &conn, &stream, gpid, &early, err) < 0) {
        for (int i = 0; i < 3; i++)
            if (mine[i] >= 0)
                close(mine[i]);
        eb_buf_free(&early);
        return -1;
    }
    *out = eb_runv_attach_new(conn, stream, tty, mine, (const uint8_t *) early.p, early.len, shown, err);
    eb_buf_free(&early);
    return *out ? 0 : -1;
}

/* The relay's first job: ask for the container, report, then relay. */
static __attribute__((noreturn)) void relay_main(const char *root, const char *sid, json_object *req, bool tty,
                                                 int stdio[3], int report_fd)
{
    eb_error_t err = { 0 };
    uint32_t stream = 0;
    pid_t gpid = 0;
    eb_relay_t r = { .tty = tty, .in_fd = stdio[0], .out_fd = stdio[1], .err_fd = stdio[2] };
    char buf[EB_ERROR_MSG_MAX + 64];
    eb_buf_t early = { 0 };
    int n, status;

    if (open_process(root, sid, req, &r.conn, &stream, &gpid, &early, &err) < 0) {
        n = snprintf(buf, sizeof(buf), "ERR %s", err.msg);
        if (write(report_fd, buf, (size_t) n) < 0) { }
        _exit(1);
    }
    n = snprintf(buf, sizeof(buf), "OK %lld\n", (long long) gpid);
    if (write(report_fd, buf, (size_t) n) < 0) { }
    close(report_fd);
    json_object_put(req);
    r.stream = stream;
    r.early = (const uint8_t *) early.p;
    r.early_len = early.len;
    status = eb_relay_run(&r, &err);
    if (status < 0) {
        fprintf(stderr, "edgebox: %s\n", err.msg);
        /* As if killed: the guest side is gone with the sandbox. */
        status = SIGKILL;
    }
    if (WIFSIGNALED(status)) {
        sigset_t s;
        signal(WTERMSIG(status), SIG_DFL);
        sigemptyset(&s);
        sigaddset(&s, WTERMSIG(status));
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        kill(getpid(), WTERMSIG(status));
        _exit(128 + WTERMSIG(status));
    }
    _exit(WEXITSTATUS(status));
}

/* Host stdio of the process: ours, or a pty whose master goes to the
 * console socket (or back to `run`). */
static int host_stdio(bool tty, const char *console_socket, bool keep, const int *given, int stdio[3], int *master,
                      eb_error_t *err)
{
    int m, s;
    struct termios t;
    char name[64];

    *master = -1;
    if (!tty) {
        /* The caller's (a shim hands containerd's FIFOs over), else ours. */
        for (int i = 0; i < 3; i++)
            stdio[i] = given ? given[i] : i;
        return 0;
    }
    if (console_socket == NULL && !keep)
        return eb_error_set(err, EINVAL, "process.terminal is true: --console-socket is required");
    if (openpty(&m, &s, name, NULL, NULL) < 0)
        return eb_error_set(err, errno, "openpty");
    /* The guest's pty does the line discipline; this one passes bytes. */
    if (tcgetattr(s, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(s, TCSANOW, &t);
    }
    fcntl(m, F_SETFD, FD_CLOEXEC);
    fcntl(s, F_SETFD, FD_CLOEXEC);
    /* The pty's name rides along as the payload, as runc sends it (a
     * stream socket carries no fd without at least one byte). */
    if (console_socket && eb_unix_send_fd(console_socket, m, name, strlen(name), "console socket", err) < 0) {
        close(m), close(s);
        return -1;
    }
    if (console_socket)
        close(m);
    else
        *master = m;
    stdio[0] = stdio[1] = stdio[2] = s;
    return 0;
}

/* The relay of a container's init lives in the pod's network namespace
 * (NETNS, when given): it is the container's pid on the host, what hooks
 * and tools look up by state.pid. */
static int enter_netns(const char *netns, eb_error_t *err)
{
    _cleanup_close_ int fd = netns ? open(netns, O_RDONLY | O_CLOEXEC) : -1;

    if (netns == NULL)
        return 0;
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
        return eb_error_set(err, errno, "enter the pod's network namespace `%s`", netns);
    return 0;
}

/* Fork the relay for REQ; on success *RELAY and *GUEST_PID are set. */
static int spawn_relay(const char *root, const char *sid, json_object *req, bool tty, int stdio[3],
                       const char *netns, pid_t *relay, pid_t *guest_pid, eb_error_t *err)
{
    char report[EB_ERROR_MSG_MAX + 64];
    int pfd[2];
    pid_t pid;

    if (pipe2(pfd, O_CLOEXEC) < 0)
        return eb_error_set(err, errno, "pipe");
    pid = fork();
    if (pid < 0) {
        close(pfd[0]), close(pfd[1]);
        return eb_error_set(err, errno, "fork the relay");
    }
    if (pid == 0) {
        int keep[5] = { pfd[1], eb_log_fd(), stdio[0], stdio[1], stdio[2] };
        eb_error_t cerr = { 0 };
        if (tty) {
            /* Its own session with the pty as controlling terminal, so
             * the shim's resizes arrive as SIGWINCH; and the pty as its
             * stdio, so the caller's pipes are not held open. */
            setsid();
            ioctl(stdio[0], TIOCSCTTY, 0);
            dup2(stdio[0], 0), dup2(stdio[0], 1), dup2(stdio[0], 2);
        }
        eb_close_fds_except(keep, 5);
        if (enter_netns(netns, &cerr) < 0) {
            if (dprintf(pfd[1], "ERR %s", cerr.msg) < 0) { }
            _exit(1);
        }
        relay_main(root, sid, req, tty, stdio, pfd[1]);
    }
    close(pfd[1]);
    if (eb_read_report(pfd[0], EB_RUNV_REQUEST_TIMEOUT_S + 10, report, sizeof(report), err) < 0) {
        close(pfd[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    close(pfd[0]);
    if (strncmp(report, "OK ", 3) != 0) {
        waitpid(pid, NULL, 0);
        return eb_error_set(err, 0, "%s", strncmp(report, "ERR ", 4) == 0 ? report + 4 : "the relay died");
    }
    *relay = pid;
    *guest_pid = atoi(report + 3);
    return 0;
}

/* Which sandbox: the pod's (CRI annotations) or a VM of its own. */
static int sandbox_of(const eb_spec_t *spec, const char *id, const char **sid, eb_error_t *err)
{
    const char *type = eb_spec_annotation_either(spec, EB_CRI_TYPE, EB_CRIO_TYPE);

    *sid = eb_spec_annotation_either(spec, EB_CRI_SANDBOX_ID, EB_CRIO_SANDBOX_ID);
    if (type == NULL || strcmp(type, "sandbox") == 0 || *sid == NULL)
        *sid = id;
    if (!eb_id_valid(*sid))
        return eb_error_set(err, EINVAL, "invalid sandbox id `%s`", *sid);
    return 0;
}

/* The host's state of a runv container: the same state.json as the runc
 * class (isolation "runv"), and runv.json first, so that from here
 * `delete --force` knows the sandbox. */
static int save_new_state(const eb_create_opts_t *o, const char *bundle, const eb_spec_t *spec,
                          const runv_info_t *info, eb_state_t **out, eb_error_t *err)
{
    json_object *a = NULL;
    eb_state_t *st;

    if (eb_state_create(o->root, o->id, out, err) < 0)
        return -1;
    st = *out;
    free(st->isolation);
    st->isolation = eb_xstrdup("runv");
    st->bundle = eb_xstrdup(bundle);
    st->rootfs = spec->root_path[0] == '/' ? eb_xstrdup(spec->root_path)
                                           : eb_strdup_printf("%s/%s", bundle, spec->root_path);
    if (json_object_object_get_ex(spec->json, "annotations", &a) && a)
        st->annotations_json = eb_xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    if (eb_state_save(st, err) < 0 || info_save(st->dir, info, err) < 0)
        return -1;
    return 0;
}

/* The container's own sandbox is booted (namespace paths checked first,
 * so no VM boots for a config that cannot run); one joining a pod gets
 * the guest pid of the pod's sandbox container, whose namespaces it
 * shares, once its cpuset fits the pod's VM (vCPUs are not hot-plugged). */
static int boot_or_join(const eb_create_opts_t *o, const eb_spec_t *spec, runv_info_t *info,
                        const char *log_path, pid_t *sandbox_gpid, eb_error_t *err)
{
    unsigned need = cpuset_span(spec->resources.cpu.cpus);
    runv_info_t sb;
    int ret = 0;

    *sandbox_gpid = 0;
    if (eb_guest_ns_check(spec, !info->owner, err) < 0)
        return -1;
    if (info->owner) {
        info->vcpus = vm_cpus(spec);
        return boot_sandbox(o, spec, info->sandbox, log_path, err);
    }
    if (info_load(o->root, info->sandbox, &sb, err) < 0)
        return eb_error_wrap(err, "sandbox `%s` of container `%s`", info->sandbox, o->id);
    if (sb.vcpus && need > sb.vcpus)
        ret = eb_error_set(err, ERANGE,
                           "linux.resources.cpu.cpus `%s` needs %u vCPUs; the VM of pod sandbox `%s` has %u "
                           "(sized from the sandbox container's cpuset and quota)",
                           spec->resources.cpu.cpus, need, info->sandbox, sb.vcpus);
    *sandbox_gpid = sb.guest_pid;
    info_free(&sb);
    return ret;
}

/* The guest's seccomp filter compiled here, natively (and cached in the
 * host's <root>/.seccomp-cache), and left in the share where the guest's
 * core looks first: libseccomp in the emulated guest took 39 ms of a warm
 * create (bench/RESULTS.md).  Keyed by the text the guest will look up;
 * a miss (another libseccomp, a profile that fails here) costs the guest
 * its compile and nothing else, so failures are only logged. */
static void guest_seccomp(const char *root, const eb_spec_t *spec, json_object *gspec, const char *sbdir)
{
    json_object *lx = NULL, *sc = NULL;
    _cleanup_free_ char *name = NULL, *data = NULL;
    eb_error_t e = { 0 };
    size_t len;

    if (!spec->seccomp.present || !json_object_object_get_ex(gspec, "linux", &lx)
        || !json_object_object_get_ex(lx, "seccomp", &sc))
        return;
    if (eb_container_seccomp_export(spec, root, json_object_to_json_string_ext(sc, JSON_C_TO_STRING_PLAIN), &name,
                                    &data, &len, &e) < 0
        || (name && eb_sandbox_put_file(sbdir, EB_SHARE_SECCOMP_CACHE, name, data, len, &e) < 0))
        eb_debug("the guest's seccomp filter, compiled on the host: %s", e.msg);
}

/* The agent's create request: the guest's config (shares made), the log
 * files it writes, the terminal. */
static json_object *create_request(const eb_create_opts_t *o, const eb_spec_t *spec, const char *bundle,
                                   const char *sbdir, pid_t sandbox_gpid, eb_error_t *err)
{
    json_object *gspec = eb_guest_spec(spec, bundle, sbdir, o->id, sandbox_gpid, err), *req;

    if (gspec == NULL)
        return NULL;
    guest_seccomp(o->root, spec, gspec, sbdir);
    req = req_new(EB_OP_CREATE, o->id);
    json_object_object_add(req, "spec", gspec);
    if (eb_logger_prepare(sbdir, o->id, spec, req, err) < 0) {
        json_object_put(req);
        return NULL;
    }
    json_object_object_add(req, "terminal", json_object_new_boolean(spec->process.terminal));
    return req;
}

/* Undo a create that failed at any step after the state was made. */
static void undo_create(const eb_create_opts_t *o, const char *sid, const char *sbdir, pid_t relay,
                        eb_attached_t *att, bool booted, eb_state_t *st)
{
    eb_error_t ign = { 0 };
    json_object *r;

    if (relay > 0 || att) {
        r = req_new(EB_OP_DELETE, o->id);
        json_object_object_add(r, "force", json_object_new_boolean(1));
        eb_monitor_request(o->root, sid, r, NULL, &ign);
        json_object_put(r);
    }
    if (att)
        att->ops->free(att);
    if (relay > 0) {
        kill(relay, SIGKILL);
        waitpid(relay, NULL, 0);
    }
    eb_sandbox_unshare(sbdir, o->id);
    eb_logger_forget(sbdir, o->id);
    if (booted) {
        r = req_new(EB_OP_SHUTDOWN, NULL);
        eb_monitor_request(o->root, sid, r, NULL, &ign);
        json_object_put(r);
        eb_sandbox_teardown(sbdir);
    }
    if (st)
        eb_state_remove(st, &ign);
}

/* The container's process in the guest: relayed (the OCI CLI: *RELAY is
 * the pid its caller waits for) or, with ATT, attached (the shim: no host
 * process; state.pid is then the sandbox's monitor, a host process in the
 * pod's network namespace as the relay was). */
static int guest_process(const eb_create_opts_t *o, const eb_spec_t *spec, const char *sid, json_object *req,
                         int stdio[3], int *master, pid_t *relay, eb_attached_t **att, pid_t *gpid, eb_error_t *err)
{
    _cleanup_free_ char *sbdir = eb_sandbox_dir(o->root, sid);
    bool tty = spec->process.terminal;

    if (att) {
        pid_t mon = eb_sandbox_read_pid(sbdir, "monitor");
        if (o->stdio == NULL)
            return eb_error_set(err, EINVAL, "an attached process needs its stdio");
        if (attach_process(o->root, sid, req, tty, o->stdio, mon, att, gpid, err) < 0)
            return -1;
        *relay = mon;
        return 0;
    }
    if (host_stdio(tty, o->console_socket, o->keep_console, o->stdio, stdio, master, err) < 0
        || spawn_relay(o->root, sid, req, tty, stdio,
                       spec->namespaces[EB_NS_NET].present ? spec->namespaces[EB_NS_NET].path : NULL, relay, gpid,
                       err) < 0)
        return -1;
    if (tty && stdio[0] > 2)
        close(stdio[0]);
    return 0;
}

static int create_common(const eb_create_opts_t *o, const char *log_path, pid_t *relay_out, int *master_out,
                         eb_attached_t **att_out, eb_error_t *err)
{
    _cleanup_bundle_ eb_bundle_t b = { 0 };
    _cleanup_free_ char *sbdir = NULL;
    const eb_spec_t *spec;
    const char *bundle;
    eb_state_t *st = NULL;
    runv_info_t info = { 0 };
    const char *sid;
    json_object *req = NULL;
    int stdio[3], master = -1, ret = -1;
    bool booted = false;
    pid_t relay = -1, gpid = 0;
    eb_attached_t *att = NULL;

    if (master_out)
        *master_out = -1;
    if (!eb_id_valid(o->id))
        return eb_error_set(err, EINVAL, "invalid container id `%s`", o->id);
    if (eb_bundle_load(o->bundle, EB_BUNDLE_NEED_PROCESS, &b, err) < 0)
        return -1;
    spec = b.spec;
    bundle = b.dir;
    if (sandbox_of(spec, o->id, &sid, err) < 0)
        goto out;
    info.sandbox = eb_xstrdup(sid);
    info.owner = strcmp(sid, o->id) == 0;
    sbdir = eb_sandbox_dir(o->root, sid);
    if (save_new_state(o, bundle, spec, &info, &st, err) < 0 || eb_runv_hooks_save(st, b.text, b.len, err) < 0)
        goto out;
    if (boot_or_join(o, spec, &info, log_path, &gpid, err) < 0)
        goto out;
    booted = info.owner;
    if ((req = create_request(o, spec, bundle, sbdir, gpid, err)) == NULL
        || guest_process(o, spec, sid, req, stdio, &master, &relay, att_out ? &att : NULL, &gpid, err) < 0)
        goto out;
    info.guest_pid = gpid;
    info.attached = att != NULL;
    st->pid = relay;
    st->starttime = eb_pid_starttime(relay);
    st->creating = false;
    /* The container exists (the guest's init waits for start): the host's
     * creation hooks see its state, pid included. */
    if (eb_state_save(st, err) < 0 || info_save(st->dir, &info, err) < 0 || eb_runv_hooks_create(spec, st, err) < 0)
        goto out;
    if (o->pid_file && eb_write_pid_file(o->pid_file, relay, err) < 0)
        goto out;
    if (relay_out)
        *relay_out = relay;
    if (master_out)
        *master_out = eb_steal_fd(master);
    if (att_out)
        *att_out = att;
    ret = 0;
out:
    if (ret < 0 && st)
        undo_create(o, sid, sbdir, att ? -1 : relay, att, booted, st);
    if (master >= 0)
        close(master);
    json_object_put(req);
    eb_state_free(st);
    info_free(&info);
    return ret;
}

int eb_runv_create(const eb_create_opts_t *o, const char *log_path, pid_t *relay_out, int *master_out,
                   eb_error_t *err)
{
    return create_common(o, log_path, relay_out, master_out, NULL, err);
}

int eb_runv_create_attached(const eb_create_opts_t *o, const char *log_path, eb_attached_t **att, eb_error_t *err)
{
    return create_common(o, log_path, NULL, NULL, att, err);
}

/* ------------------------------------------------------ other verbs --- */

eb_status_t eb_runv_status(const char *root, const char *id, pid_t *pid)
{
    eb_error_t err = { 0 };
    eb_state_t *st = NULL;
    json_object *resp = NULL;
    const char *s = NULL;
    eb_status_t status;
    size_t i;

    if (pid)
        *pid = 0;
    if (eb_state_load(root, id, false, &st, &err) < 0)
        return EB_STATUS_STOPPED;
    /* Creating, or the relay gone: the host state says all.  Otherwise
     * (no exec fifo on the host: "running") the guest knows. */
    status = eb_state_status(st);
    if (status != EB_STATUS_RUNNING) {
        eb_state_free(st);
        return status;
    }
    status = EB_STATUS_STOPPED;
    if (call(root, id, req_new(EB_OP_STATE, id), &resp, &err) == 0 && eb_msg_str(resp, "status", 16, false, &s, &err) == 0) {
        for (i = 0; i <= EB_STATUS_STOPPED; i++)
            if (strcmp(eb_status_names[i], s) == 0)
                status = (eb_status_t) i;
        if (pid && status != EB_STATUS_STOPPED)
            *pid = st->pid;
    }
    json_object_put(resp);
    eb_state_free(st);
    return status;
}

int eb_runv_state(const char *root, const char *id, eb_state_t **st, eb_status_t *status, eb_error_t *err)
{
    if (eb_state_load(root, id, false, st, err) < 0)
        return -1;
    *status = eb_runv_status(root, id, NULL);
    return 0;
}

/* The agent answers once the program runs: poststart follows it. */
int eb_runv_start(const char *root, const char *id, eb_error_t *err)
{
    eb_status_t s = eb_runv_status(root, id, NULL);
    _cleanup_state_ eb_state_t *st = NULL;

    if (s != EB_STATUS_CREATED)
        return eb_error_set(err, EINVAL, "cannot start a container in the %s state", eb_status_names[s]);
    if (call(root, id, req_new(EB_OP_START, id), NULL, err) < 0)
        return -1;
    if (eb_state_load(root, id, false, &st, err) < 0)
        return -1;
    eb_runv_hooks_after(st, EB_HOOK_POSTSTART);
    return 0;
}

int eb_runv_kill(const char *root, const char *id, int sig, bool all, eb_error_t *err)
{
    json_object *r = req_new(EB_OP_KILL, id);
    eb_status_t s = eb_runv_status(root, id, NULL);

    if (s == EB_STATUS_STOPPED) {
        json_object_put(r);
        return eb_error_set(err, ESRCH, "container `%s` is not running", id);
    }
    json_object_object_add(r, "signal", json_object_new_int(sig));
    json_object_object_add(r, "all", json_object_new_boolean(all));
    return call(root, id, r, NULL, err);
}

int eb_runv_pause(const char *root, const char *id, bool pause, eb_error_t *err)
{
    return call(root, id, req_new(pause ? EB_OP_PAUSE : EB_OP_RESUME, id), NULL, err);
}

int eb_runv_delete(const char *root, const char *id, bool force, eb_error_t *err)
{
    eb_state_t *st = NULL;
    runv_info_t info;
    _cleanup_free_ char *sbdir = NULL;
    eb_status_t s;
    eb_error_t ign = { 0 };
    json_object *r;
    int i;

    if (eb_state_load(root, id, true, &st, err) < 0)
        return -1;
    if (info_load(root, id, &info, err) < 0) {
        /* Killed before runv.json was written: nothing was started. */
        eb_error_clear(err);
        i = eb_state_remove(st, err);
        eb_state_free(st);
        return i;
    }
    s = eb_runv_status(root, id, NULL);
    if (s != EB_STATUS_STOPPED && s != EB_STATUS_CREATED && !force) {
        info_free(&info);
        eb_state_free(st);
        return eb_error_set(err, EINVAL, "cannot delete container `%s` that is not stopped: %s", id,
                            eb_status_names[s]);
    }
    sbdir = eb_sandbox_dir(root, info.sandbox);
    r = req_new(EB_OP_DELETE, id);
    json_object_object_add(r, "force", json_object_new_boolean(1));
    eb_monitor_request(root, info.sandbox, r, NULL, &ign);
    json_object_put(r);
    /* The relay ends with the exit event; one whose monitor is gone ends
     * now.  An attached process has none (state.pid is the monitor). */
    if (!info.attached && st->pid > 0 && eb_pid_starttime(st->pid) == st->starttime) {
        for (i = 0; i < 100 && eb_pid_starttime(st->pid) == st->starttime; i++)
            usleep(10000);
        if (eb_pid_starttime(st->pid) == st->starttime)
            kill(st->pid, SIGKILL);
    }
    eb_sandbox_unshare(sbdir, id);
    eb_logger_forget(sbdir, id);
    /* Stopped in the guest and its shares gone; the sandbox's network
     * namespace is still there for a network plugin to undo its work. */
    eb_runv_hooks_after(st, EB_HOOK_POSTSTOP);
    if (info.owner) {
        pid_t mon = eb_sandbox_read_pid(sbdir, "monitor");
        r = req_new(EB_OP_SHUTDOWN, NULL);
        eb_monitor_request(root, info.sandbox, r, NULL, &ign);
        json_object_put(r);
        for (i = 0; i < 500 && mon > 0 && eb_sandbox_read_pid(sbdir, "monitor") == mon; i++)
            usleep(10000);
        mon = eb_sandbox_read_pid(sbdir, "monitor");
        if (mon > 0)
            kill(mon, SIGKILL);
        eb_sandbox_teardown(sbdir);
    }
    info_free(&info);
    i = eb_state_remove(st, err);
    eb_state_free(st);
    return i;
}

int eb_runv_stats(const char *root, const char *id, json_object **data, uint64_t *oom_kills, eb_error_t *err)
{
    json_object *resp = NULL, *d;
    int64_t ooms = 0;

    if (call(root, id, req_new(EB_OP_STATS, id), &resp, err) < 0)
        return -1;
    if (eb_msg_int(resp, "oom_kill", 0, INT64_MAX, true, &ooms, err) < 0) {
        json_object_put(resp);
        return -1;
    }
    if (oom_kills)
        *oom_kills = (uint64_t) ooms;
    d = eb_msg_obj(resp, "data", json_type_object, false, err);
    if (d == NULL) {
        json_object_put(resp);
        return -1;
    }
    *data = json_object_get(d);
    json_object_put(resp);
    return 0;
}

int eb_runv_update(const char *root, const char *id, const char *res_json, eb_error_t *err)
{
    json_object *r = req_new(EB_OP_UPDATE, id), *res = json_tokener_parse(res_json);

    if (res == NULL || !json_object_is_type(res, json_type_object)) {
        json_object_put(res);
        json_object_put(r);
        return eb_error_set(err, EINVAL, "update `%s`: the resources are not a JSON object", id);
    }
    if (eb_runv_status(root, id, NULL) == EB_STATUS_STOPPED) {
        json_object_put(res);
        json_object_put(r);
        return eb_error_set(err, EINVAL, "cannot update container `%s`: it is stopped", id);
    }
    json_object_object_add(r, "resources", res);
    return call(root, id, r, NULL, err);
}

int eb_runv_ps(const char *root, const char *id, json_object **procs, eb_error_t *err)
{
    json_object *resp = NULL, *p;

    if (call(root, id, req_new(EB_OP_PS, id), &resp, err) < 0)
        return -1;
    p = eb_msg_obj(resp, "processes", json_type_array, false, err);
    if (p == NULL) {
        json_object_put(resp);
        return -1;
    }
    *procs = json_object_get(p);
    json_object_put(resp);
    return 0;
}

static json_object *strv_json(const char *const *v)
{
    json_object *a = json_object_new_array();
    for (; v && *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

/* The agent's exec request: --process's JSON as it is, or the flags. */
static json_object *exec_request(const eb_exec_opts_t *o, bool *tty, eb_error_t *err)
{
    json_object *req = req_new(EB_OP_EXEC, o->id);

    if (o->process_json) {
        json_object *p = json_tokener_parse(o->process_json), *t;
        if (p == NULL || !json_object_is_type(p, json_type_object)) {
            json_object_put(p);
            json_object_put(req);
            eb_error_set(err, EINVAL, "--process: invalid JSON");
            return NULL;
        }
        if (json_object_object_get_ex(p, "terminal", &t))
            *tty = json_object_get_boolean(t);
        json_object_object_add(req, "process", p);
        return req;
    }
    json_object_object_add(req, "args", strv_json(o->args));
    json_object_object_add(req, "env", strv_json(o->env));
    json_object_object_add(req, "caps", strv_json(o->caps));
    if (o->cwd)
        json_object_object_add(req, "cwd", json_object_new_string(o->cwd));
    if (o->user)
        json_object_object_add(req, "user", json_object_new_string(o->user));
    json_object_object_add(req, "tty", json_object_new_boolean(o->tty));
    if (o->no_new_privs_set)
        json_object_object_add(req, "no_new_privs", json_object_new_boolean(o->no_new_privs));
    return req;
}

/* An exec attached (attach.c): no relay; shown as the sandbox's monitor. */
int eb_runv_exec_attached(const eb_exec_opts_t *o, eb_attached_t **att, eb_error_t *err)
{
    _cleanup_free_ char *sbdir = NULL;
    runv_info_t info;
    json_object *req;
    eb_status_t status = eb_runv_status(o->root, o->id, NULL);
    pid_t gpid = 0;
    bool tty = o->tty;
    int ret = -1;

    *att = NULL;
    if (status != EB_STATUS_RUNNING)
        return eb_error_set(err, EINVAL, "cannot exec in container `%s`: it is %s", o->id, eb_status_names[status]);
    if (o->stdio == NULL)
        return eb_error_set(err, EINVAL, "an attached process needs its stdio");
    if (info_load(o->root, o->id, &info, err) < 0)
        return -1;
    sbdir = eb_sandbox_dir(o->root, info.sandbox);
    req = exec_request(o, &tty, err);
    if (req)
        ret = attach_process(o->root, info.sandbox, req, tty, o->stdio, eb_sandbox_read_pid(sbdir, "monitor"), att,
                             &gpid, err);
    json_object_put(req);
    info_free(&info);
    return ret;
}

int eb_runv_exec(const eb_exec_opts_t *o, pid_t *relay_out, int *master_out, eb_error_t *err)
{
    runv_info_t info;
    json_object *req;
    int stdio[3], master = -1, status;
    pid_t relay = -1, gpid = 0;
    bool tty = o->tty;

    if (master_out)
        *master_out = -1;
    status = eb_runv_status(o->root, o->id, NULL);
    if (status != EB_STATUS_RUNNING)
        return eb_error_set(err, EINVAL, "cannot exec in container `%s`: it is %s", o->id, eb_status_names[status]);
    if (info_load(o->root, o->id, &info, err) < 0)
        return -1;
    req = exec_request(o, &tty, err);
    if (req == NULL)
        goto fail;
    if (host_stdio(tty, o->console_socket, o->keep_console, o->stdio, stdio, &master, err) < 0)
        goto fail;
    if (spawn_relay(o->root, info.sandbox, req, tty, stdio, NULL, &relay, &gpid, err) < 0)
        goto fail;
    json_object_put(req);
    info_free(&info);
    if (tty && stdio[0] > 2)
        close(stdio[0]);
    if (o->pid_file && eb_write_pid_file(o->pid_file, relay, err) < 0) {
        if (master >= 0)
            close(master);
        return -1;
    }
    *relay_out = relay;
    if (master_out)
        *master_out = master;
    else if (master >= 0)
        close(master);
    return 0;
fail:
    json_object_put(req);
    info_free(&info);
    if (master >= 0)
        close(master);
    return -1;
}
