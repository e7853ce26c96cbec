/* proc.c - the agent's process table (a list: a guest runs a handful of
 * processes, and each lookup is by a request or a frame, not per byte). */
#include "agent/proc.h"
#include "common/util.h"
#include "core/cgroup.h"
#include "proto/frame.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

eb_aproc_t *eb_agent_proc_add(eb_aproc_table_t *t, uint32_t stream, const char *container, bool is_init, bool tty,
                              pid_t pid, int in_fd, int out_fd, int err_fd)
{
    eb_aproc_t *p = eb_xcalloc(1, sizeof(*p));

    p->stream = stream;
    p->container = eb_xstrdup(container);
    p->is_init = is_init;
    p->tty = tty;
    p->pid = pid;
    p->in_fd = in_fd;
    p->out_fd = out_fd;
    p->err_fd = err_fd;
    p->credit = EB_STREAM_WINDOW;
    p->oom_fd = -1;
    p->next = t->head;
    t->head = p;
    return p;
}

eb_aproc_t *eb_agent_proc_find(const eb_aproc_table_t *t, uint32_t stream)
{
    eb_aproc_t *p;
    for (p = t->head; p; p = p->next)
        if (p->stream == stream)
            return p;
    return NULL;
}

eb_aproc_t *eb_agent_proc_init(const eb_aproc_table_t *t, const char *container)
{
    eb_aproc_t *p;
    for (p = t->head; p; p = p->next)
        if (p->is_init && strcmp(p->container, container) == 0)
            return p;
    return NULL;
}

void eb_agent_proc_exited(eb_aproc_table_t *t, pid_t pid, int status)
{
    eb_aproc_t *p;
    for (p = t->head; p; p = p->next)
        if (p->pid == pid && !p->exited) {
            p->exited = true;
            p->status = status;
            p->exit_ms = eb_now_ms();
        }
}

static void proc_free(eb_aproc_t *p)
{
    if (p->in_fd >= 0) close(p->in_fd);
    if (p->out_fd >= 0) close(p->out_fd);
    if (p->err_fd >= 0) close(p->err_fd);
    if (p->oom_fd >= 0) close(p->oom_fd);
    eb_cgroup_free(p->cg);
    free(p->inbuf);
    free(p->container);
    free(p);
}

/* Unlink and free every record GONE says goes. */
static void remove_if(eb_aproc_table_t *t, bool (*gone)(const eb_aproc_t *p, const char *container),
                      const char *container)
{
    eb_aproc_t **pp = &t->head, *p;

    while ((p = *pp)) {
        if (gone(p, container)) {
            *pp = p->next;
            proc_free(p);
            continue;
        }
        pp = &p->next;
    }
}

/* An exec'd process is forgotten once reported; a container's init stays
 * until the container is deleted (state, delete). */
static bool reported_exec(const eb_aproc_t *p, const char *container)
{
    (void) container;
    return p->reported && !p->is_init;
}

static bool of_container(const eb_aproc_t *p, const char *container)
{
    return strcmp(p->container, container) == 0 && (p->reported || !p->exited);
}

void eb_agent_proc_prune(eb_aproc_table_t *t)
{
    remove_if(t, reported_exec, NULL);
}

void eb_agent_proc_forget(eb_aproc_table_t *t, const char *container)
{
    remove_if(t, of_container, container);
}
