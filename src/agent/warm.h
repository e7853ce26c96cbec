/* warm.h - a pooled VM's warm-up before its first claim (warm.c). */
#ifndef EB_AGENT_WARM_H
#define EB_AGENT_WARM_H

#include "common/error.h"

/* Create and delete one container of the agent's own, so that the
 * container core's create path (and the kernel's under it) has run once
 * in this VM before a pod's container does.  Leaves nothing behind;
 * -1 with what failed. */
int eb_agent_warm_up(eb_error_t *err);

#endif
