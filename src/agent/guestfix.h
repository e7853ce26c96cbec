/* guestfix.h - the host's config as the guest honours it, and the wait for
 * a started process to have exec'd. */
#ifndef EB_AGENT_GUESTFIX_H
#define EB_AGENT_GUESTFIX_H

#include <json-c/json.h>
#include <sys/types.h>

#include "common/error.h"

/* Under the host's request timeout (client.h), with room for the rest. */
#define EB_AGENT_EXEC_WAIT_S 45

/* Drop process.apparmorProfile from PROCESS (an OCI process object) when
 * the guest has no AppArmor policy, with a notice naming CID. */
void eb_agent_fix_apparmor(json_object *process, const char *cid);

/* Drop from SPEC's linux.namespaces each entry whose path is a namespace
 * the agent is itself in: staying in it is joining it. */
void eb_agent_fix_namespaces(json_object *spec);

/* Return once PID runs another program than the agent's (it exec'd) or is
 * gone; ETIMEDOUT after EB_AGENT_EXEC_WAIT_S. */
int eb_agent_wait_exec(pid_t pid, const char *cid, eb_error_t *err);

#endif
