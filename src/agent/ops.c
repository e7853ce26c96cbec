/* ops.c - the agent's requests.  Each handler validates its fields, calls
 * the container core, and answers {"ok": true, ...} or an error.  The
 * names are proto/ops.h's; here each eb_op_t the agent answers
 * (EB_OP_AGENT) has its handler in one table. */
#include "agent/ops.h"
#include "agent/warm.h"
#include "agent/boot.h"
#include "agent/guestfix.h"
#include "agent/logs.h"
#include "agent/net.h"
#include "agent/identity.h"
#include "agent/proc.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "core/cgroup.h"
#include "core/container.h"
#include "core/stats.h"
#include "proto/message.h"
#include "proto/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static json_object *ok(void)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    return o;
}

static int get_id(json_object *req, const char **id, eb_error_t *err)
{
    if (eb_msg_str(req, "id", 1024, false, id, err) < 0)
        return -1;
    if (!eb_id_valid(*id))
        return eb_error_set(err, EINVAL, "invalid container id `%s`", *id);
    return 0;
}

static int get_stream(json_object *req, uint32_t *stream, eb_error_t *err)
{
    int64_t s;
    if (eb_msg_int(req, "stream", 1, UINT32_MAX, false, &s, err) < 0)
        return -1;
    *stream = (uint32_t) s;
    return 0;
}

/* Pipes for a process's stdio (our ends non-blocking, its ends above 2). */
static int make_stdio(int theirs[3], int ours[3], eb_error_t *err)
{
    int p[3][2], i;

    for (i = 0; i < 3; i++) {
        if (pipe2(p[i], O_CLOEXEC) < 0) {
            while (i-- > 0)
                close(p[i][0]), close(p[i][1]);
            return eb_error_set(err, errno, "pipe");
        }
    }
    theirs[0] = p[0][0], ours[0] = p[0][1];
    theirs[1] = p[1][1], ours[1] = p[1][0];
    theirs[2] = p[2][1], ours[2] = p[2][0];
    for (i = 0; i < 3; i++)
        fcntl(ours[i], F_SETFL, O_NONBLOCK);
    return 0;
}

static void close3(int fds[3])
{
    int i;
    for (i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]), fds[i] = -1;
}

/* A stream the host opens with this request: a number not in use. */
static int get_new_stream(eb_agent_t *a, json_object *req, uint32_t *stream, eb_error_t *err)
{
    if (get_stream(req, stream, err) < 0)
        return -1;
    if (eb_agent_proc_find(&a->procs, *stream))
        return eb_error_set(err, EEXIST, "stream %u is in use", *stream);
    return 0;
}

/* The core's call that starts the process (create or exec), with OPTS
 * and the STDIO to give it (NULL: its terminal). */
typedef int (*start_fn)(void *opts, const int *stdio, pid_t *pid, int *master, eb_error_t *err);

typedef struct {
    const char *id;
    uint32_t stream;
    bool is_init, tty;
} launch_t;

/* An init's container cgroup, watched for OOM kills (loop.c reports
 * them); a container without one is not watched. */
static void watch_oom(eb_aproc_t *p)
{
    eb_container_t *c = NULL;
    eb_error_t ign = { 0 };

    if (eb_container_load(EB_AGENT_STATE, p->container, 0, &c, &ign) < 0)
        return;
    if (c->cgroup) {
        p->cg = c->cgroup;
        c->cgroup = NULL;
        p->oom_fd = eb_cgroup_oom_watch(p->cg, &ign);
        p->ooms = eb_cgroup_oom_count(p->cg);
    }
    eb_container_free(c);
}

/* Start a process as stream L->stream: with pipes for its stdio unless it
 * has a terminal.  Once started it is tracked: its pty master (read and
 * written through two fds, so each direction closes on its own) or our
 * pipe ends. */
static int launch(eb_agent_t *a, const launch_t *l, start_fn start, void *opts, json_object *resp, eb_error_t *err)
{
    int theirs[3] = { -1, -1, -1 }, ours[3] = { -1, -1, -1 }, master = -1;
    pid_t pid = -1;
    eb_aproc_t *p;

    if (!l->tty && make_stdio(theirs, ours, err) < 0)
        return -1;
    if (start(opts, l->tty ? NULL : theirs, &pid, &master, err) < 0) {
        close3(theirs), close3(ours);
        return -1;
    }
    close3(theirs);
    if (l->tty) {
        fcntl(master, F_SETFL, O_NONBLOCK);
        p = eb_agent_proc_add(&a->procs, l->stream, l->id, l->is_init, true, pid, dup(master), master, -1);
    } else {
        p = eb_agent_proc_add(&a->procs, l->stream, l->id, l->is_init, false, pid, ours[0], ours[1], ours[2]);
    }
    if (l->is_init)
        watch_oom(p);
    json_object_object_add(resp, "pid", json_object_new_int(pid));
    return 0;
}

typedef struct {
    eb_create_opts_t o;
    const eb_spec_t *spec;
} init_opts_t;

static int start_init(void *opts, const int *stdio, pid_t *pid, int *master, eb_error_t *err)
{
    init_opts_t *i = opts;
    i->o.stdio = stdio;
    return eb_container_create_spec(&i->o, i->spec, pid, master, err);
}

/* The host's spec is parsed once, here, and handed to the core as it is:
 * no config.json in the guest. */
static int op_create(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    launch_t l = { .is_init = true };
    json_object *spec = eb_msg_obj(req, "spec", json_type_object, false, err);
    _cleanup_spec_ eb_spec_t *parsed = NULL;
    _cleanup_free_ char *bundle = NULL;
    init_opts_t init = { 0 };
    json_object *logs;

    json_object *process = NULL;

    if (spec == NULL || get_id(req, &l.id, err) < 0 || get_new_stream(a, req, &l.stream, err) < 0
        || eb_msg_bool(req, "terminal", &l.tty, err) < 0)
        return -1;
    /* Before the parse: the core saves this JSON, and exec merges its
     * process from it. */
    eb_agent_fix_namespaces(spec);
    if (json_object_object_get_ex(spec, "process", &process))
        eb_agent_fix_apparmor(process, l.id);
    if (eb_spec_from_json(spec, &parsed, err) < 0)
        return eb_error_wrap(err, "container %s: spec", l.id);
    /* The directory relative paths start from (the host sends absolute
     * ones); the container's own, removed with it. */
    bundle = eb_strdup_printf(EB_AGENT_BUNDLES "/%s", l.id);
    if (mkdir(bundle, 0700) < 0 && errno != EEXIST)
        return eb_error_set(err, errno, "mkdir %s", bundle);
    init.o.root = EB_AGENT_STATE;
    init.o.id = l.id;
    init.o.bundle = bundle;
    init.o.keep_console = l.tty;
    init.spec = parsed;
    if (launch(a, &l, start_init, &init, resp, err) < 0)
        return -1;
    /* The host checked the patterns: a log problem must not fail the
     * container once it exists. */
    logs = eb_msg_obj(req, "log_files", json_type_array, true, err);
    if (logs)
        eb_agent_logs_add(a, l.id, logs, err);
    if (eb_error_is_set(err))
        eb_warn("container %s: its log files are not followed: %s", l.id, err->msg);
    eb_error_clear(err);
    return 0;
}

/* A NULL-terminated vector of the strings in array KEY (borrowed). */
static const char **strv(json_object *req, const char *key, eb_error_t *err)
{
    json_object *a = eb_msg_obj(req, key, json_type_array, true, err);
    size_t n = a ? json_object_array_length(a) : 0, i;
    const char **v;

    if (eb_error_is_set(err) || n > 4096)
        return NULL;
    v = eb_xcalloc(n + 1, sizeof(*v));
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(a, i);
        if (!json_object_is_type(e, json_type_string)) {
            free(v);
            eb_error_set(err, EINVAL, "%s[%zu] is not a string", key, i);
            return NULL;
        }
        v[i] = json_object_get_string(e);
    }
    return v;
}

static int start_exec(void *opts, const int *stdio, pid_t *pid, int *master, eb_error_t *err)
{
    eb_exec_opts_t *o = opts;
    o->stdio = stdio;
    return eb_container_exec(o, pid, master, err);
}

/* The CLI's options (args, env, caps, cwd, user, tty, no_new_privs) into
 * O; the vectors are the caller's to free. */
static int exec_options(json_object *req, eb_exec_opts_t *o, const char ***args, const char ***env,
                        const char ***caps, eb_error_t *err)
{
    bool nnp = false;

    if ((*args = strv(req, "args", err)) == NULL || (*env = strv(req, "env", err)) == NULL
        || (*caps = strv(req, "caps", err)) == NULL || eb_msg_str(req, "cwd", 4096, true, &o->cwd, err) < 0
        || eb_msg_str(req, "user", 64, true, &o->user, err) < 0 || eb_msg_bool(req, "tty", &o->tty, err) < 0)
        return -1;
    if ((*args)[0] == NULL)
        return eb_error_set(err, EINVAL, "exec: no command");
    if (json_object_object_get_ex(req, "no_new_privs", NULL)) {
        if (eb_msg_bool(req, "no_new_privs", &nnp, err) < 0)
            return -1;
        o->no_new_privs_set = true;
        o->no_new_privs = nnp;
    }
    o->args = *args;
    o->env = *env;
    o->caps = *caps;
    return 0;
}

/* Either a whole OCI process object (exec --process) or the CLI's
 * options, which the core merges with the container's process as for the
 * runc class. */
static int op_exec(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    launch_t l = { .is_init = false };
    json_object *proc = eb_msg_obj(req, "process", json_type_object, true, err);
    eb_exec_opts_t o = { 0 };
    json_object *t;
    _cleanup_free_ const char **args = NULL, **env = NULL, **caps = NULL;

    if (eb_error_is_set(err) || get_id(req, &l.id, err) < 0 || get_new_stream(a, req, &l.stream, err) < 0)
        return -1;
    o.root = EB_AGENT_STATE;
    o.id = l.id;
    if (proc) {
        if (json_object_object_get_ex(proc, "terminal", &t))
            l.tty = json_object_get_boolean(t);
        eb_agent_fix_apparmor(proc, l.id);
        o.process_json = json_object_to_json_string_ext(proc, JSON_C_TO_STRING_PLAIN);
    } else {
        if (exec_options(req, &o, &args, &env, &caps, err) < 0)
            return -1;
        l.tty = o.tty;
    }
    o.keep_console = l.tty;
    return launch(a, &l, start_exec, &o, resp, err);
}

static int op_state(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    const char *id;
    eb_container_t *c = NULL;
    eb_aproc_t *p;

    if (get_id(req, &id, err) < 0 || eb_container_load(EB_AGENT_STATE, id, 0, &c, err) < 0)
        return -1;
    json_object_object_add(resp, "status", json_object_new_string(eb_status_names[c->status]));
    json_object_object_add(resp, "pid", json_object_new_int(c->state->pid));
    p = eb_agent_proc_init(&a->procs, id);
    if (p && p->exited)
        json_object_object_add(resp, "exit_status", json_object_new_int(p->status));
    eb_container_free(c);
    return 0;
}

static int op_stats(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) a;
    const char *id;
    eb_container_t *c = NULL;
    eb_stats_t *st;
    eb_error_t nerr = { 0 };
    char *data;
    int ret = -1;

    if (get_id(req, &id, err) < 0 || eb_container_load(EB_AGENT_STATE, id, 0, &c, err) < 0)
        return -1;
    if (c->cgroup == NULL) {
        eb_container_free(c);
        return eb_error_set(err, ENOENT, "container `%s` has no cgroup", id);
    }
    st = eb_xcalloc(1, sizeof(*st));
    if (eb_cgroup_stats(c->cgroup, st, err) == 0) {
        if (c->state->pid > 0 && c->status != EB_STATUS_STOPPED)
            eb_stats_read_netdev(c->state->pid, st, &nerr);
        data = eb_stats_to_json(st);
        json_object_object_add(resp, "data", json_tokener_parse(data));
        json_object_object_add(resp, "oom_kill", json_object_new_uint64(st->memory.oom_kill));
        free(data);
        ret = 0;
    }
    free(st);
    eb_container_free(c);
    return ret;
}

/* update: the guest's cgroup of the container gets the new limits, and
 * its saved config keeps them (as the runc class does on the host). */
static int op_update(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) a, (void) resp;
    const char *id, *text;
    eb_container_t *c = NULL;
    eb_resources_t res;
    json_object *r;
    int ret = -1;

    if (get_id(req, &id, err) < 0 || (r = eb_msg_obj(req, "resources", json_type_object, false, err)) == NULL)
        return -1;
    text = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
    if (eb_container_load(EB_AGENT_STATE, id, EB_LOAD_SPEC, &c, err) < 0)
        return -1;
    if (c->spec == NULL)
        eb_error_set(err, ENOENT, "container `%s` has no saved config", id);
    else if (eb_spec_parse_resources(c->spec, text, strlen(text), &res, err) == 0)
        ret = eb_container_update(EB_AGENT_STATE, id, &res, text, err);
    eb_container_free(c);
    return ret;
}

static int op_ps(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) a;
    const char *id;
    eb_container_t *c = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0, i;
    json_object *arr;

    if (get_id(req, &id, err) < 0 || eb_container_load(EB_AGENT_STATE, id, 0, &c, err) < 0)
        return -1;
    if (c->cgroup && eb_cgroup_pids(c->cgroup, &pids, &n, err) < 0) {
        eb_container_free(c);
        return -1;
    }
    arr = json_object_new_array();
    for (i = 0; i < n; i++) {
        _cleanup_free_ char *path = eb_strdup_printf("/proc/%d/cmdline", pids[i]), *cmd = NULL;
        eb_error_t ign = { 0 };
        size_t len = 0, j;
        json_object *e = json_object_new_object();

        if (eb_read_file(path, 4096, &cmd, &len, &ign) == 0)
            for (j = 0; j + 1 < len; j++)
                if (cmd[j] == 0)
                    cmd[j] = ' ';
        json_object_object_add(e, "pid", json_object_new_int(pids[i]));
        json_object_object_add(e, "cmd", json_object_new_string(cmd ? cmd : ""));
        json_object_array_add(arr, e);
    }
    json_object_object_add(resp, "processes", arr);
    eb_container_free(c);
    return 0;
}

static int op_signal(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) resp;
    uint32_t stream;
    int64_t sig;
    eb_aproc_t *p;

    if (get_stream(req, &stream, err) < 0 || eb_msg_int(req, "signal", 1, 64, false, &sig, err) < 0)
        return -1;
    p = eb_agent_proc_find(&a->procs, stream);
    if (p == NULL || p->exited)
        return eb_error_set(err, ESRCH, "stream %u: process not running", stream);
    if (kill(p->pid, (int) sig) < 0)
        return eb_error_set(err, errno, "signal %d to pid %d", (int) sig, p->pid);
    return 0;
}

static int op_resize(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) resp;
    uint32_t stream;
    int64_t rows, cols;
    eb_aproc_t *p;
    struct winsize ws = { 0 };

    if (get_stream(req, &stream, err) < 0 || eb_msg_int(req, "rows", 0, 65535, false, &rows, err) < 0
        || eb_msg_int(req, "cols", 0, 65535, false, &cols, err) < 0)
        return -1;
    p = eb_agent_proc_find(&a->procs, stream);
    if (p == NULL || !p->tty || p->out_fd < 0)
        return eb_error_set(err, ENOTTY, "stream %u has no terminal", stream);
    ws.ws_row = (unsigned short) rows;
    ws.ws_col = (unsigned short) cols;
    if (ioctl(p->out_fd, TIOCSWINSZ, &ws) < 0)
        return eb_error_set(err, errno, "resize the terminal of stream %u", stream);
    return 0;
}

static int op_delete(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) resp;
    const char *id;
    bool force = false;
    _cleanup_free_ char *bundle = NULL;

    if (get_id(req, &id, err) < 0 || eb_msg_bool(req, "force", &force, err) < 0)
        return -1;
    if (eb_container_delete(EB_AGENT_STATE, id, force, err) < 0)
        return -1;
    bundle = eb_strdup_printf(EB_AGENT_BUNDLES "/%s", id);
    rmdir(bundle);
    eb_agent_logs_forget(a, id);
    eb_agent_proc_forget(&a->procs, id);
    return 0;
}

/* The agent's own CPU time and peak memory (its children, the containers,
 * not included): what serving the host costs the guest (bench/). */
static int op_usage(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) a;
    (void) req;
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return eb_error_set(err, errno, "getrusage");
    json_object_object_add(resp, "user_us",
                           json_object_new_int64((int64_t) ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec));
    json_object_object_add(resp, "system_us",
                           json_object_new_int64((int64_t) ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec));
    json_object_object_add(resp, "maxrss_kib", json_object_new_int64(ru.ru_maxrss));
    return 0;
}

/* Answered once the program runs, as runc's start returns after the
 * exec: the fifo is read before the startContainer hooks and the last
 * set-up, and a signal sent in between would reach the init instead. */
static int op_start(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    const char *id;
    eb_aproc_t *init;

    (void) resp;
    if (get_id(req, &id, err) < 0 || eb_container_start(EB_AGENT_STATE, id, err) < 0)
        return -1;
    init = eb_agent_proc_init(&a->procs, id);
    if (init == NULL)
        return 0;
    if (eb_agent_wait_exec(init->pid, id, err) < 0)
        return -1;
    eb_agent_logs_started(a, id, init->pid);
    return 0;
}

static int op_logs(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) resp;
    return eb_agent_logs_subscribe(a, req, err);
}

static int op_kill(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    const char *id;
    int64_t sig = 0;
    bool all = false;

    (void) a, (void) resp;
    if (get_id(req, &id, err) < 0 || eb_msg_int(req, "signal", 1, 64, false, &sig, err) < 0
        || eb_msg_bool(req, "all", &all, err) < 0)
        return -1;
    return eb_container_kill(EB_AGENT_STATE, id, (int) sig, all, err);
}

static int pause_or_resume(json_object *req, bool pause, eb_error_t *err)
{
    const char *id;

    if (get_id(req, &id, err) < 0)
        return -1;
    return eb_container_pause(EB_AGENT_STATE, id, pause, err);
}

static int op_pause(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) a, (void) resp;
    return pause_or_resume(req, true, err);
}

static int op_resume(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) a, (void) resp;
    return pause_or_resume(req, false, err);
}

/* The sandbox's identity: at boot its network and hostname; a pooled
 * guest, claimed, gets the clock and fresh entropy too. */
static int op_sandbox(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) a;
    if (eb_agent_identity(req, resp, err) < 0)
        return -1;
    return eb_agent_net_setup(req, err);
}

/* The monitor's liveness check: answering is all it asks.  A pooled VM's
 * first one asks for the warm-up too (warm.c): a VM that cannot create a
 * container fails its health check. */
static int op_ping(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    bool warm = false;
    uint64_t t0 = eb_now_ms();

    (void) a;
    if (eb_msg_bool(req, "warm", &warm, err) < 0)
        return -1;
    if (!warm)
        return 0;
    if (eb_agent_warm_up(err) < 0)
        return eb_error_wrap(err, "warm-up");
    json_object_object_add(resp, "warm_ms", json_object_new_int64((int64_t) (eb_now_ms() - t0)));
    return 0;
}

static int op_shutdown(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err)
{
    (void) a, (void) req, (void) resp, (void) err;
    eb_agent_poweroff();
}

typedef int (*op_handler_t)(eb_agent_t *a, json_object *req, json_object *resp, eb_error_t *err);

/* Every op flagged EB_OP_AGENT in proto/ops.c, and only those. */
static const op_handler_t handlers[EB_OP_COUNT] = {
    [EB_OP_CREATE] = op_create,
    [EB_OP_EXEC] = op_exec,
    [EB_OP_START] = op_start,
    [EB_OP_LOGS] = op_logs,
    [EB_OP_KILL] = op_kill,
    [EB_OP_PAUSE] = op_pause,
    [EB_OP_RESUME] = op_resume,
    [EB_OP_STATE] = op_state,
    [EB_OP_STATS] = op_stats,
    [EB_OP_PS] = op_ps,
    [EB_OP_UPDATE] = op_update,
    [EB_OP_SIGNAL] = op_signal,
    [EB_OP_RESIZE] = op_resize,
    [EB_OP_DELETE] = op_delete,
    [EB_OP_SANDBOX] = op_sandbox,
    [EB_OP_PING] = op_ping,
    [EB_OP_USAGE] = op_usage,
    [EB_OP_SHUTDOWN] = op_shutdown,
};

bool eb_agent_serves(eb_op_t op)
{
    return (unsigned) op < EB_OP_COUNT && handlers[op] != NULL;
}

json_object *eb_agent_handle(eb_agent_t *a, json_object *req)
{
    eb_error_t err = { 0 };
    json_object *resp;
    eb_op_t op;

    if (eb_op_of(req, &op, &err) < 0)
        return eb_msg_error(&err);
    if (!eb_agent_serves(op)) {
        /* In the table for the monitor ("info"): the agent never answers it. */
        eb_error_set(&err, EOPNOTSUPP, "request `%s` is the monitor's, not the agent's", eb_op_name(op));
        return eb_msg_error(&err);
    }
    resp = ok();
    if (handlers[op](a, req, resp, &err) == 0)
        return resp;
    json_object_put(resp);
    return eb_msg_error(&err);
}
