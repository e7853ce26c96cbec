/* runv.h - the runv class's verbs: each pod in a QEMU microVM, containers
 * created in it by the guest agent over virtio-serial.  src/class puts
 * them behind the isolation-class interface; nothing else calls them.
 *
 * Processes on the host, per sandbox: the monitor (monitor.h) with QEMU
 * and virtiofsd as its children; per container process (init or exec) a
 * relay (relay.h), unless it was created or exec'd attached (attach.h:
 * the shim serves its stream, no host process stands for it).
 *
 * Files: <root>/<id>/ holds the OCI state (isolation "runv", pid = the
 * relay, or the monitor when attached) and runv.json; <root>/.runv/<sandbox-id>/ holds the sandbox's
 * sockets, pid files and the virtio-fs shared directory (sandbox.h). */
#ifndef EB_RUNV_H
#define EB_RUNV_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "class/class.h"
#include "common/error.h"
#include "core/container.h"
#include "core/state.h"

#define EB_RUNV_MEM_ANNOTATION "io.edgebox.vm.memory-mib"
#define EB_RUNV_OVERHEAD_MIB 64           /* guest kernel + agent, on top of the container's limit */
#define EB_RUNV_DEFAULT_MIB 256           /* containers without a memory limit */

/* create boots the sandbox (or joins the pod's) and creates the container
 * in the guest; *RELAY is the relay's pid, *MASTER as for the core. */
int eb_runv_create(const eb_create_opts_t *o, const char *log_path, pid_t *relay, int *master, eb_error_t *err);
/* The same with the process attached (class.h's eb_attached_t): no relay. */
int eb_runv_create_attached(const eb_create_opts_t *o, const char *log_path, eb_attached_t **att, eb_error_t *err);
int eb_runv_start(const char *root, const char *id, eb_error_t *err);
int eb_runv_kill(const char *root, const char *id, int sig, bool all, eb_error_t *err);
int eb_runv_delete(const char *root, const char *id, bool force, eb_error_t *err);
int eb_runv_pause(const char *root, const char *id, bool pause, eb_error_t *err);
/* The host's state and the status the guest reports. */
int eb_runv_state(const char *root, const char *id, eb_state_t **st, eb_status_t *status, eb_error_t *err);
/* Status of a runv container (for list). */
eb_status_t eb_runv_status(const char *root, const char *id, pid_t *pid);
/* A process in the guest; *RELAY is its relay (wait for it), *MASTER as
 * for create. */
int eb_runv_exec(const eb_exec_opts_t *o, pid_t *relay, int *master, eb_error_t *err);
int eb_runv_exec_attached(const eb_exec_opts_t *o, eb_attached_t **att, eb_error_t *err);
/* The runc events "data" object of the container, measured in the guest. */
int eb_runv_stats(const char *root, const char *id, json_object **data, uint64_t *oom_kills, eb_error_t *err);
/* New limits (RES_JSON, a linux.resources document), applied by the
 * agent to the container's cgroup in the guest.  The VM keeps its size:
 * a limit above it binds nothing. */
int eb_runv_update(const char *root, const char *id, const char *res_json, eb_error_t *err);
int eb_runv_ps(const char *root, const char *id, json_object **procs, eb_error_t *err);

#endif
