/* agent.h - the edgebox guest agent's state: PID 1 of the runv guest.
 *
 * It boots the guest userspace (mounts, modules, the virtio-serial port,
 * the shared directory), then serves the host's requests over the port:
 * containers are created with the same container core as the runc class
 * (src/core), inside the guest kernel, with cgroups v2.  Each process it
 * starts is a stream: its stdio travels as STDIN/STDOUT/STDERR frames under
 * the stream id the host chose, with credit-based flow control.
 *
 * One header for the state rather than a struct per module: the agent is
 * one single-threaded loop over one channel, and every module works on
 * that channel's output buffer; the functions are in each module's own
 * header (boot.h, loop.h, ops.h, proc.h, event.h, logs.h, net.h). */
#ifndef EB_AGENT_H
#define EB_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/proc.h"
#include "proto/frame.h"

#define EB_AGENT_PORT_NAME "io.edgebox.agent"
#define EB_AGENT_SHARE_TAG "ebshared"
#define EB_AGENT_SHARED "/run/edgebox/shared"
#define EB_AGENT_STATE "/run/edgebox/state"
#define EB_AGENT_BUNDLES "/run/edgebox/bundles"

typedef struct eb_lfollow eb_lfollow_t;

typedef struct {
    int chan;                      /* the virtio-serial port */
    eb_frame_reader_t rd;
    eb_outbuf_t out;
    eb_aproc_table_t procs;
    /* in-guest log files (logs.c) */
    eb_lfollow_t *follows;
    uint32_t log_stream;           /* the host writer's stream; 0: none yet */
    uint32_t log_credit;
    uint64_t log_sent, log_acked;  /* LOG payload bytes sent, and granted back */
    uint64_t log_due_ms;           /* next scan of the patterns */
    uint32_t log_next_file;
    bool log_more;                 /* a file had more than the credit */
} eb_agent_t;

#endif
