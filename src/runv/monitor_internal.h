/* monitor_internal.h - what the monitor's files share: its state and each
 * part's entry points.
 *
 *   vmproc.c    the VM's processes: QEMU, virtiofsd, the log writer; the
 *               guest console's tail (jail.c confines the first two)
 *   streams.c   process streams and their credit (flow control)
 *   conns.c     client connections (the CLI, relays, the log writer) and
 *               their requests
 *   agent_in.c  everything the agent sends, checked: the guest is untrusted
 *   monitor.c   the main loop, deadlines and teardown
 *
 * Everything from the guest is untrusted.  A frame that breaks the protocol
 * (bad header, unknown request id, a stream it does not own, data beyond
 * the credit we granted, malformed JSON) ends the sandbox: the VM is
 * killed, every relay gets an exit with the reason, and nothing of the
 * sandbox stays on the host.  A guest can never make the monitor allocate
 * more than its credit per stream, nor block it: all guest-facing I/O is
 * non-blocking. */
#ifndef EB_RUNV_MONITOR_INTERNAL_H
#define EB_RUNV_MONITOR_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/cgroup.h"
#include "proto/frame.h"
#include "proto/ops.h"
#include "runv/monitor.h"
#include "runv/podnet.h"
#include "runv/vm.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONSOLE_TAIL 8192
#define PING_EVERY_MS 10000
#define PING_DEADLINE_MS 30000
#define MAX_CREDIT (16u << 20)
#define CONN_PENDING_MAX (2 * EB_STREAM_WINDOW)
#define MAX_CONNS 256

typedef struct mconn {
    int fd;
    eb_frame_reader_t rd;
    eb_outbuf_t out;
    bool dead;
    struct mconn *next;
} mconn_t;

typedef struct mstream {
    uint32_t id;
    mconn_t *owner;
    uint32_t out_credit, in_credit;
    uint8_t *pend;
    size_t plen;
    bool pend_eof, eof_sent;
    bool log;                  /* the in-guest log files' stream (one per sandbox) */
    struct mstream *next;
} mstream_t;

typedef struct mpending {
    uint32_t agent_id, client_id;
    mconn_t *conn;             /* NULL: the monitor's own request */
    eb_op_t op;
    char cid[256];
    uint32_t stream;
    uint64_t sent_ms;
    struct mpending *next;
} mpending_t;

enum phase { BOOTING, SETUP, READY, DYING };

typedef struct {
    eb_monitor_opts_t *o;      /* the monitor's copy: a claim renames the sandbox */
    eb_guest_image_t img;
    int chan, console, listen_fd, sfd, vfs_listen;
    int vfs_conn;              /* our end-to-be of virtiofsd's socket: QEMU's, by fd */
    eb_frame_reader_t rd;
    eb_outbuf_t out;
    char tail[CONSOLE_TAIL];
    size_t tail_len;
    pid_t qemu, vfsd;
    pid_t logger;              /* the host writer of in-guest log files */
    bool want_logger;          /* a container declared log files */
    uint64_t logger_due;       /* when to start it (again) */
    mconn_t *conns;
    mstream_t *streams;
    mpending_t *pending;
    uint32_t next_agent_id, next_stream;
    enum phase phase;
    uint64_t deadline, boot_start, last_ping;
    int attempt;
    eb_podnet_t net;
    char reason[EB_ERROR_MSG_MAX];
    bool exit_ok;
    uint64_t ping_every, ping_deadline;
    /* The confinement (jail.h, podcg.h); all unset with EDGEBOX_RUNV_CONFINE=0. */
    bool confined;
    uid_t uid;                 /* QEMU's, the sandbox's own */
    int uid_lock;              /* holds that uid while the monitor lives */
    eb_cgroup_t *cg;           /* the pod's cgroup: QEMU, virtiofsd, the log writer */
    /* A pooled VM (pool.h): waiting for its claim until `pooled` is false;
     * `claiming` while the agent applies the sandbox's identity. */
    bool pooled, claiming;
    char *claimed_dir, *claimed_sid;   /* m->o's strings once claimed */
} monitor_t;

/* vmproc.c */
int mon_start_vm(monitor_t *m, eb_error_t *err);
void mon_stop_vm(monitor_t *m);
void mon_start_logger(monitor_t *m);
void mon_stop_logger(monitor_t *m);
uint64_t mon_boot_timeout_ms(void);
/* The last lines of the guest console, for reasons and boot errors. */
const char *mon_console_tail(monitor_t *m, char *buf, size_t size);
ssize_t mon_read_console(monitor_t *m);

/* streams.c */
mstream_t *mon_stream_new(monitor_t *m, mconn_t *owner, bool log);
mstream_t *mon_stream_find(monitor_t *m, uint32_t id);
void mon_stream_drop(monitor_t *m, mstream_t *s);
void mon_stream_flush_stdin(monitor_t *m, mstream_t *s);
void mon_end_streams(monitor_t *m, const char *reason);

/* conns.c */
void mon_send_agent(monitor_t *m, mconn_t *c, uint32_t client_id, json_object *req, eb_op_t op,
                    const char *cid, uint32_t stream);
void mon_reply(mconn_t *c, uint32_t id, json_object *resp);
void mon_reply_error(mconn_t *c, uint32_t id, eb_error_t *err);
int mon_listen_socket(const char *path, eb_error_t *err);
void mon_accept_conns(monitor_t *m);
void mon_conn_input(monitor_t *m, mconn_t *c);
void mon_conn_close(monitor_t *m, mconn_t *c);
void mon_reap_conns(monitor_t *m);
size_t mon_conn_backlog(monitor_t *m, mconn_t *c);
void mon_flush_conns(monitor_t *m, int budget_ms);

/* pool_vm.c: the monitor of a pooled VM */
int mon_pool_prepare(monitor_t *m, eb_error_t *err);
void mon_pool_hello(monitor_t *m);
/* The agent answered P (the pool's health check, the claim's "sandbox"):
 * true when it was one of the pool's. */
bool mon_pool_response(monitor_t *m, const mpending_t *p, json_object *resp, bool ok);
void mon_pool_claim(monitor_t *m, mconn_t *c, uint32_t id, json_object *req);
void mon_pool_finish(monitor_t *m);

/* agent_in.c */
int mon_agent_input(monitor_t *m, eb_error_t *err);
int mon_agent_drain(monitor_t *m, eb_error_t *err);

#endif
