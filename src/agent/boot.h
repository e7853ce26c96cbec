/* boot.h - bring the guest up (boot.c). */
#ifndef EB_AGENT_BOOT_H
#define EB_AGENT_BOOT_H

#include "common/error.h"

/* Modules, the tmpfs root, the mounts, the shared directory. */
int eb_agent_boot(eb_error_t *err);
/* Open the host's virtio-serial port (EB_AGENT_PORT_NAME) into *FD. */
int eb_agent_open_port(int *fd, eb_error_t *err);
/* As PID 1 the agent cannot exit: the guest powers off instead. */
__attribute__((noreturn)) void eb_agent_poweroff(void);

#endif
