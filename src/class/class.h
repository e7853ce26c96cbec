/* class.h - the isolation class as an interface.
 *
 * One binary serves both classes: `runc` (a namespace container, src/core)
 * and `runv` (a microVM per pod, src/runv).  A front end (the OCI CLI,
 * edgebox-stats, and any later one such as a containerd shim) picks the
 * class once -- from the bundle when it creates, from the saved state
 * afterwards -- and then calls its ops; it never names a class itself.
 * This is libcrun's trick for cgroup v1/v2, and src/core's cgroup ops do
 * the same one floor down. */
#ifndef EB_CLASS_H
#define EB_CLASS_H

#include <json-c/json.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "core/container.h"
#include "core/state.h"
#include "core/stats.h"
#include "spec/spec.h"

#define EB_CLASS_ANNOTATION "io.edgebox.class"

/* One process of a container as `ps` shows it.  runc: host pids (CMD is
 * NULL: ps(1) tells the rest); runv: the guest's pids and their command
 * lines, listed by the agent (the host cannot see them). */
typedef struct {
    pid_t pid;
    char *cmd;
} eb_proc_t;
typedef struct {
    eb_proc_t *v;
    size_t n;
    bool host_pids;
} eb_procs_t;
void eb_procs_free(eb_procs_t *p);

/* An event of `events`: TYPE "stats" with ST, or "oom" (ST NULL).  A
 * negative return ends the stream with that error. */
typedef int (*eb_event_fn)(void *ctx, const char *type, const eb_stats_t *st, eb_error_t *err);

/* One line of `edgebox check`: OK or not, what, and why.  A line that
 * does not COUNT is information: it never makes the class unusable. */
typedef void (*eb_check_fn)(void *ctx, bool ok, bool counts, const char *what, const char *detail);

/* A process served in its caller's own poll loop, with no host process
 * standing for it: the caller (a shim) gave it its stdio (containerd's
 * FIFOs, never a host pty: a terminal is the guest's) and learns of its
 * end from IO, not from SIGCHLD.  It is what a class whose processes are
 * not host processes (runv: they live in a VM) offers instead of a relay
 * per process; a class whose processes are host processes (runc) has
 * none, and its caller waits for pids.  The class owns the object;
 * nothing in it blocks for long (output that its reader does not take is
 * held, and the guest stopped through its flow control). */
typedef struct eb_attached eb_attached_t;
typedef struct {
    /* The fds to poll, at most ROOM of them (EB_ATTACHED_FDS suffice);
     * none when IO has an end to report without waiting. */
    size_t (*poll_fds)(eb_attached_t *a, struct pollfd *p, size_t room);
    /* After poll (P, N: what poll_fds filled): move what is ready.  1
     * when the process ended (*STATUS its wait status; its output is
     * written by then), 0 to go on, -1 when the process is lost (its
     * sandbox is gone: ERR says so; treat it as killed). */
    int (*io)(eb_attached_t *a, const struct pollfd *p, size_t n, int *status, eb_error_t *err);
    int (*signal)(eb_attached_t *a, int sig, eb_error_t *err);
    /* The terminal's size, when it has one. */
    int (*resize)(eb_attached_t *a, unsigned rows, unsigned cols, eb_error_t *err);
    /* Its stdin ends (as when the writer closed it). */
    void (*close_stdin)(eb_attached_t *a);
    void (*free)(eb_attached_t *a);
} eb_attached_ops_t;
struct eb_attached {
    const eb_attached_ops_t *ops;
    pid_t pid;                 /* what to show as its pid: a host process (runv: the pod's monitor) */
    /* A container's init: its OOM kills (any process of the container) as
     * the class last heard, pushed as they happen; IO raises it. */
    uint64_t oom_kills;
};
#define EB_ATTACHED_FDS 4

typedef struct eb_class {
    const char *name;          /* "runc", "runv": the OCI state's isolation */
    const char *description;
    /* Its stats are read on the host (runc: the host cgroup, so cheap to
     * poll, and its block devices are the host's), not asked of a guest
     * (runv: a round trip to the agent, and /dev/vda there is not
     * /dev/vda here). */
    bool host_view;
    /* Everything up to the process blocked before exec.  *PID is the pid a
     * caller waits for (runv: the relay), *MASTER the pty master when
     * o->keep_console.  LOG_PATH: the runtime's --log, NULL for stderr. */
    int (*create)(const eb_create_opts_t *o, const char *log_path, pid_t *pid, int *master, eb_error_t *err);
    int (*start)(const char *root, const char *id, eb_error_t *err);
    /* The saved state and the live status. */
    int (*state)(const char *root, const char *id, eb_state_t **st, eb_status_t *status, eb_error_t *err);
    int (*kill)(const char *root, const char *id, int sig, bool all, eb_error_t *err);
    int (*delete)(const char *root, const char *id, bool force, eb_error_t *err);
    /* A new process; *PID and *MASTER as for create. */
    int (*exec)(const eb_exec_opts_t *o, pid_t *pid, int *master, eb_error_t *err);
    /* create and exec with the process attached (above) instead of a
     * pid to wait for: O->stdio is required, O->console_socket and
     * O->pid_file are not used.  NULL where the class's processes are the
     * host's own (the caller uses create and exec). */
    int (*create_attached)(const eb_create_opts_t *o, const char *log_path, eb_attached_t **a, eb_error_t *err);
    int (*exec_attached)(const eb_exec_opts_t *o, eb_attached_t **a, eb_error_t *err);
    int (*ps)(const char *root, const char *id, eb_procs_t *out, eb_error_t *err);
    int (*pause)(const char *root, const char *id, bool pause, eb_error_t *err);
    /* New limits: RES_JSON, a linux.resources document, is parsed against
     * the container's config, applied and kept in it (as runc does). */
    int (*update)(const char *root, const char *id, const char *res_json, eb_error_t *err);
    /* One measurement of a running container: ESRCH when it is not. */
    int (*stats)(const char *root, const char *id, eb_stats_t *st, eb_error_t *err);
    /* How many of its processes the OOM killer took, also once it stopped
     * (until it is deleted): a shim learns so whether its exit was one. */
    int (*oom_kills)(const char *root, const char *id, uint64_t *n, eb_error_t *err);
    /* Stats every INTERVAL_MS and each OOM kill, until the container stops. */
    int (*events)(const char *root, const char *id, int interval_ms, eb_event_fn fn, void *ctx, eb_error_t *err);
    /* Can this host run the class?  Returns the number of failed lines. */
    int (*check)(const char *root, eb_check_fn line, void *ctx);
    /* Pre-booted sandboxes (NULL: the class has none): VERB "fill",
     * "drain" or "status"; returns the pool's status after it. */
    json_object *(*pool)(const char *root, const char *verb, eb_error_t *err);
} eb_class_t;

extern const eb_class_t eb_class_runc, eb_class_runv;
/* Every class, NULL-terminated (for `check` and `features`). */
extern const eb_class_t *const eb_classes[];

/* "runc" or "runv"; NULL when NAME is neither. */
const eb_class_t *eb_class_by_name(const char *name);
/* The class of this invocation when a bundle names none: --class, else
 * the program's name ("...-runv" is what containerd's BinaryName and
 * podman's --runtime point at), else runc. */
void eb_class_set_default(const eb_class_t *c);
const eb_class_t *eb_class_default(void);
/* The class the spec asks for (the io.edgebox.class annotation), else the
 * default. */
int eb_class_of_spec(const eb_spec_t *spec, const eb_class_t **out, eb_error_t *err);
/* The same for the bundle at BUNDLE (NULL: "."), read from its config. */
int eb_class_of_bundle(const char *bundle, const eb_class_t **out, eb_error_t *err);
/* The class that created container ROOT/ID (runc when nothing says runv,
 * so a missing container gets runc's "does not exist"). */
const eb_class_t *eb_class_of_container(const char *root, const char *id);

#endif
