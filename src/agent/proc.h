/* proc.h - the agent's process table: every process it started (a
 * container's init or an exec'd process), by the stream the host chose
 * for its stdio.
 *
 * A record lives from the start until its exit was reported (exec'd
 * processes) or its container is deleted (an init: "state" still answers
 * its exit status).  The table owns the agent's ends of the stdio. */
#ifndef EB_AGENT_PROC_H
#define EB_AGENT_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

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
    /* An init's container cgroup, watched for OOM kills (any of its
     * processes) while it runs: the host hears of each at once. */
    struct eb_cgroup *cg;
    int oom_fd;                    /* readable when memory.events changes; -1 */
    uint64_t ooms;                 /* the oom_kill count last reported */
    struct eb_aproc *next;
} eb_aproc_t;

typedef struct {
    eb_aproc_t *head;
} eb_aproc_table_t;

/* Record a started process; the table takes IN_FD, OUT_FD and ERR_FD (-1:
 * none).  Its output credit starts at the stream window. */
eb_aproc_t *eb_agent_proc_add(eb_aproc_table_t *t, uint32_t stream, const char *container, bool is_init, bool tty,
                              pid_t pid, int in_fd, int out_fd, int err_fd);
/* The process of STREAM, or NULL. */
eb_aproc_t *eb_agent_proc_find(const eb_aproc_table_t *t, uint32_t stream);
/* CONTAINER's init, or NULL. */
eb_aproc_t *eb_agent_proc_init(const eb_aproc_table_t *t, const char *container);
/* PID was reaped with STATUS: its record (if any) is marked exited now. */
void eb_agent_proc_exited(eb_aproc_table_t *t, pid_t pid, int status);
/* Drop the exec'd processes whose exit was reported. */
void eb_agent_proc_prune(eb_aproc_table_t *t);
/* The container is deleted: its processes' records go (those whose exit
 * is still to be reported stay until it is). */
void eb_agent_proc_forget(eb_aproc_table_t *t, const char *container);

#endif
