/* shim.h - containerd-shim-edgebox-v2: containerd's task service v2 over
 * ttrpc, a front end on the isolation-class interface (src/class), one
 * shim per pod.
 *
 *   main.c    the shim's commands: `start` (start the serving shim, or
 *             answer with the pod's, print its address), `delete` (clean
 *             up after a shim that died), and serving
 *   server.c  the serving loop: the ttrpc socket, SIGCHLD (the shim is a
 *             subreaper: every container process ends up its child), waits
 *   task.c    the Task methods on the class ops
 *   events.c  task events to containerd (its publish binary)
 *   metrics.c a container's numbers as containerd's cgroup Metrics
 *   mount.c   the rootfs mounts containerd hands over
 *   tty.c     a terminal's pty copied to and from containerd's FIFOs
 *   logio.c   file:// and binary:// stdio (`ctr run --log-uri`): a log
 *             file, or a logger process fed by pipes
 *
 * Stdio: a class whose processes are host processes (runc) gets
 * containerd's FIFOs as the process's own fds and the shim waits for its
 * pid; a class that offers attached processes (runv, class.h) gets them
 * too, and the shim serves the process's stream in its poll loop (no
 * relay process per container process, docs/runv.md).  A log URI in
 * place of the FIFOs gives either the same fds: a log file's, or the
 * write ends of a logger's pipes. */
#ifndef EB_SHIM_H
#define EB_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "class/class.h"
#include "common/buf.h"
#include "common/error.h"
#include "shim/logio.h"
#include "shim/ttrpc.h"
#include "shim/proto/task.pb-c.h"

#define EB_SHIM_SERVICE "containerd.task.v2.Task"

/* A process containerd knows: a container's init (exec_id "") or an exec. */
typedef struct eb_sproc {
    char *id, *exec_id;
    pid_t pid;
    bool started, exited;
    int status;                /* wait status, once exited */
    struct timespec exited_at;
    char *stdin_path, *stdout_path, *stderr_path;
    char *process_json;        /* an exec's OCI process, until it starts */
    char *bundle;
    uint64_t oom_kills;        /* the container's count last seen (init only) */
    bool terminal;
    int master, tin, tout;     /* a terminal's pty master and the FIFOs copied to and from it; -1 */
    /* A process of a class that serves it in our loop (runv: its stream
     * from the sandbox's monitor, no relay): its stdio and its end come
     * from here, not from SIGCHLD.  NULL for host processes (runc). */
    eb_attached_t *att;
    eb_logger_t *logger;       /* its binary:// logger (logio.c), in the shim's list; NULL */
    struct eb_sproc *next;
} eb_sproc_t;

typedef struct eb_sconn {
    int fd;
    eb_ttrpc_reader_t rd;
    eb_buf_t out;
    bool dead;
    struct eb_sconn *next;
} eb_sconn_t;

/* A Wait not yet answered: the process it waits for is running. */
typedef struct eb_swaiter {
    eb_sconn_t *conn;
    uint32_t stream;
    eb_sproc_t *proc;
    struct eb_swaiter *next;
} eb_swaiter_t;

typedef struct {
    const char *ns, *address, *publish, *id;
    char root[4096];           /* the class's state root for this namespace */
    eb_sproc_t *procs;
    eb_sconn_t *conns;
    eb_swaiter_t *waiters;
    eb_sconn_t *current;       /* the connection whose request is served */
    eb_logger_t *loggers;      /* binary:// loggers not yet reaped or released */
    bool shutdown;
} eb_shim_t;

/* server.c */
int eb_shim_serve(eb_shim_t *s, int listen_fd, eb_error_t *err);

/* task.c */
extern const eb_ttrpc_method_t eb_shim_methods[];
eb_sproc_t *eb_shim_proc(eb_shim_t *s, const char *id, const char *exec_id);
/* A process exited: record it, answer its waiters, publish TaskExit. */
void eb_shim_exited(eb_shim_t *s, pid_t pid, int status);
/* The same for P, found already (an attached process ended). */
void eb_shim_proc_exited(eb_shim_t *s, eb_sproc_t *p, int status);
/* OOM kills since the last look: TaskOOM for each container with new ones
 * (kubelet's OOMKilled comes from it, and must arrive before the exit). */
void eb_shim_check_oom(eb_shim_t *s);
/* tty.c: the copies between a terminal's pty and containerd's FIFOs. */
void eb_shim_tty_open(eb_sproc_t *p, int master, int in, int out);
/* Bytes are waiting on FD (the master or the stdin FIFO) of P. */
void eb_shim_tty_input(eb_sproc_t *p, int fd);
/* The process ended: what it wrote last goes out, then the FIFOs close. */
void eb_shim_tty_close(eb_sproc_t *p);
/* The wait status as containerd reports it (128 + signal). */
uint32_t eb_shim_exit_code(const eb_sproc_t *p);

/* events.c: publish EVENT (a containerd.events.NAME message) on TOPIC. */
void eb_shim_publish(const eb_shim_t *s, const char *topic, const char *name, const ProtobufCMessage *event);

/* metrics.c: ST as a packed io.containerd.cgroups.v1.Metrics in OUT. */
int eb_shim_metrics(const eb_stats_t *st, eb_buf_t *out, eb_error_t *err);

/* mount.c */
/* Mount what containerd hands over at BUNDLE/rootfs, in order. */
int eb_shim_mount_rootfs(const char *bundle, Containerd__Task__V2__Mount *const *mounts, size_t n, eb_error_t *err);
void eb_shim_unmount_rootfs(const char *bundle);

#endif
