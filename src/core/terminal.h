/* terminal.h - the container's pty and the console socket protocol. */
#ifndef EB_TERMINAL_H
#define EB_TERMINAL_H

#include <sys/types.h>

#include "common/error.h"
#include "spec/spec.h"

/* In the container (after pivot_root): open a pty from /dev/ptmx, make its
 * slave the controlling terminal and stdio, bind it over /dev/console when
 * BIND_CONSOLE.  Returns the master fd. */
int eb_terminal_setup(const eb_process_t *p, bool bind_console, eb_error_t *err);
/* Send MASTER to the console socket at PATH (SCM_RIGHTS), as runc does. */
int eb_terminal_send(const char *path, int master, eb_error_t *err);
/* Copy between our stdio and MASTER until the pty closes; resize on
 * SIGWINCH; forward other signals to PID.  Returns when PID has exited
 * with its wait status in *STATUS. */
int eb_terminal_proxy(int master, pid_t pid, int *status, eb_error_t *err);
/* Block the signals a foreground run/exec relays (pending ones are
 * delivered by the relay loop). */
void eb_block_signals(void);
/* Wait for PID, forwarding signals to it (no tty). */
int eb_wait_forward(pid_t pid, int *status, eb_error_t *err);

#endif
