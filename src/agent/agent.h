/* agent.h - the edgebox guest agent: PID 1 of the runv guest.
 *
 * It boots the guest userspace (mounts, modules, the virtio-serial port,
 * the shared directory), then serves the host's requests over the port:
 * containers are created with the same container core as the runc class
 * (src/core), inside the guest kernel, with cgroups v2.  Each process it
 * starts is a stream: its stdio travels as STDIN/STDOUT/STDERR frames under
 * the stream id the host chose, with credit-based flow control. */
#ifndef EB_AGENT_H
#define EB_AGENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "proto/frame.h"

#define EB_AGENT_PORT_NAME "io.edgebox.agent"
#define EB_AGENT_SHARE_TAG "ebshared"
#define EB_AGENT_SHARED "/run/edgebox/shared"
#define EB_AGENT_STATE "/run/edgebox/state"
#define EB_AGENT_BUNDLES "/run/edgebox/bundles"

typedef struct eb_aproc {
    uint32_t stream;
    char *container;
    bool is_init, tty;
    pid_t pid;
    int in_fd, out_fd, err_fd;     /* agent ends; with a tty out_fd is the master */
    uint32_t credit;               /* bytes the host lets us send */
    uint8_t *inbuf;                /* stdin not yet written */
    size_t inlen;
    bool in_close;                 /* the host closed stdin: close after draining */
    bool exited, reported;
    int status;
    uint64_t exit_ms;
    struct eb_aproc *next;
} eb_aproc_t;

typedef struct eb_lfollow eb_lfollow_t;

typedef struct {
    int chan;                      /* the virtio-serial port */
    eb_frame_reader_t rd;
    eb_outbuf_t out;
    eb_aproc_t *procs;
    /* in-guest log files (logs.c) */
    eb_lfollow_t *follows;
    uint32_t log_stream;           /* the host writer's stream; 0: none yet */
    uint32_t log_credit;
    uint64_t log_sent, log_acked;  /* LOG payload bytes sent, and granted back */
    uint64_t log_due_ms;           /* next scan of the patterns */
    uint32_t log_next_file;
    bool log_more;                 /* a file had more than the credit */
} eb_agent_t;

/* boot.c */
int eb_agent_boot(eb_error_t *err);
int eb_agent_open_port(int *fd, eb_error_t *err);
__attribute__((noreturn)) void eb_agent_poweroff(void);

/* ops.c: handle one request; returns the response object. */
json_object *eb_agent_handle(eb_agent_t *a, json_object *req);

/* loop.c */
eb_aproc_t *eb_agent_proc_add(eb_agent_t *a, uint32_t stream, const char *container, bool is_init, bool tty,
                              pid_t pid, int in_fd, int out_fd, int err_fd);
eb_aproc_t *eb_agent_proc_find(eb_agent_t *a, uint32_t stream);
eb_aproc_t *eb_agent_proc_init(eb_agent_t *a, const char *container);
void eb_agent_event(eb_agent_t *a, json_object *ev);

void eb_agent_forget_container(eb_agent_t *a, const char *id);
int eb_agent_loop(eb_agent_t *a, eb_error_t *err);

/* logs.c: follow the log files a container declared (io.edgebox.log-files). */
int eb_agent_logs_add(eb_agent_t *a, const char *container, json_object *patterns, eb_error_t *err);
void eb_agent_logs_started(eb_agent_t *a, const char *container, pid_t pid);
void eb_agent_logs_forget(eb_agent_t *a, const char *container);
int eb_agent_logs_subscribe(eb_agent_t *a, json_object *req, eb_error_t *err);
void eb_agent_logs_window(eb_agent_t *a, uint32_t n);
/* Scan and send what is due; the poll timeout until the next work, -1: none. */
int eb_agent_logs_run(eb_agent_t *a);

/* net.c: apply the pod's interfaces and routes (the "sandbox" request). */
int eb_agent_net_setup(json_object *req, eb_error_t *err);

#endif
