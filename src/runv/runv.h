/* runv.h - the runv class: each pod in a QEMU microVM, containers created
 * in it by the guest agent over virtio-serial.
 *
 * Processes on the host, per sandbox:
 *   monitor  - long-lived, owns QEMU, virtiofsd and the agent channel; serves
 *              the CLI and the relays on <sandbox dir>/monitor.sock
 *   qemu, virtiofsd - children of the monitor (die with it: PDEATHSIG)
 * and per container process (init or exec):
 *   relay    - the pid the shim/conmon sees (--pid-file): holds the
 *              process's host stdio, exchanges it with the guest through
 *              the monitor, forwards signals, exits with the guest
 *              process's status.
 *
 * Files: <root>/<id>/ holds the OCI state (isolation "runv", pid = the
 * relay) and runv.json; <root>/.runv/<sandbox-id>/ holds the sandbox's
 * sockets, pid files and the virtio-fs shared directory. */
#ifndef EB_RUNV_H
#define EB_RUNV_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "core/container.h"
#include "proto/frame.h"
#include "spec/spec.h"

#define EB_RUNV_CLASS_ANNOTATION "io.edgebox.class"
#define EB_RUNV_MEM_ANNOTATION "io.edgebox.vm.memory-mib"
#define EB_RUNV_OVERHEAD_MIB 64           /* guest kernel + agent, on top of the container's limit */
#define EB_RUNV_DEFAULT_MIB 256           /* containers without a memory limit */
#define EB_RUNV_BOOT_TIMEOUT_S 20         /* per attempt; TCG boots reach the agent in under 2 s here */
#define EB_RUNV_BOOT_ATTEMPTS 2           /* one retry, a safety net: every retry is logged and counted */
#define EB_RUNV_REQUEST_TIMEOUT_S 60

/* ---- class selection (class.c) ---- */
typedef enum { EB_CLASS_RUNC, EB_CLASS_RUNV } eb_class_t;
/* The default class of this invocation: --class, else argv[0] ("...-runv"). */
void eb_class_set_default(eb_class_t c);
eb_class_t eb_class_default(void);
/* The class a bundle asks for (annotation), else the default. */
int eb_class_of_spec(const eb_spec_t *spec, eb_class_t *out, eb_error_t *err);
/* The class for the bundle at BUNDLE (NULL: "."), from its config.json. */
int eb_class_of_bundle(const char *bundle, eb_class_t *out, eb_error_t *err);
/* True when the container ROOT/ID was created by the runv class. */
bool eb_class_is_runv(const char *root, const char *id);

/* ---- the guest image and QEMU (vm.c) ---- */
typedef struct {
    char *kernel, *initrd;
} eb_guest_image_t;
int eb_guest_image_find(eb_guest_image_t *img, eb_error_t *err);
void eb_guest_image_free(eb_guest_image_t *img);
const char *eb_qemu_binary(void);
/* "kvm" when /dev/kvm can be opened, else "tcg". */
const char *eb_vm_accel(void);
/* The host's invariant TSC frequency (kHz), 0 if it has none: under TCG
 * the guest's TSC is the host's, and the guest is told its rate. */
unsigned eb_vm_host_tsc_khz(void);

/* ---- the node's record of boots (bootstats.c) ---- */
typedef struct {
    uint64_t boots, retried, failed; /* reached the agent; needed the retry; never did */
    uint64_t last_ms;                /* the last boot, QEMU start to agent ready */
    char last_retry[1024];           /* when, which sandbox, its console tail */
} eb_bootstats_t;
typedef enum { EB_BOOT_READY, EB_BOOT_RETRY, EB_BOOT_FAILED } eb_boot_event_t;
/* ROOT/.runv/boot-stats.json; all zero when there is none yet. */
int eb_bootstats_read(const char *root, eb_bootstats_t *st, eb_error_t *err);
void eb_bootstats_add(const char *root, eb_boot_event_t ev, uint64_t ms, const char *what);
/* Boot attempts of a sandbox: EB_RUNV_BOOT_ATTEMPTS, or 1 with
 * EDGEBOX_RUNV_BOOT_RETRIES=0 (tests that require every boot to work). */
int eb_runv_boot_attempts(void);

/* ---- sandbox directory (sandbox.c) ---- */
char *eb_sandbox_dir(const char *root, const char *sid);
/* Record PID (with its start time) as DIR/NAME.pid; read it back (0 if gone). */
int eb_sandbox_write_pid(const char *dir, const char *name, pid_t pid, eb_error_t *err);
pid_t eb_sandbox_read_pid(const char *dir, const char *name);
/* Kill what DIR records, undo the pod network, unmount and remove DIR.
 * Safe on a half-built or already removed sandbox. */
void eb_sandbox_teardown(const char *dir);
/* Expose host path SRC in the shared dir as <cid>/<name>; returns the guest path. */
int eb_sandbox_share(const char *dir, const char *cid, const char *name, const char *src, bool file,
                     bool readonly, char **guest_path, eb_error_t *err);
void eb_sandbox_unshare(const char *dir, const char *cid);

/* ---- pod network (podnet.c) ---- */
typedef struct {
    int tap_fds[8];
    char mac[8][18];
    size_t n;
    json_object *config;       /* interfaces + routes for the agent */
} eb_podnet_t;
/* In the current netns: one tap per pod interface, tc redirects both ways. */
int eb_podnet_setup(eb_podnet_t *net, eb_error_t *err);
/* Remove our ingress qdiscs (the taps vanish with QEMU). */
void eb_podnet_teardown(const char *netns_path);
void eb_podnet_free(eb_podnet_t *net);

/* ---- the monitor (monitor.c) ---- */
typedef struct {
    const char *root, *sid, *dir;
    const char *netns;         /* pod netns path or NULL */
    const char *hostname;
    unsigned mem_mib, vcpus;
    int ready_fd;              /* write "OK" or the error text, then close */
    const char *log_path;
} eb_monitor_opts_t;
__attribute__((noreturn)) void eb_monitor_main(const eb_monitor_opts_t *o);
/* Feed bytes as the agent would send them to a monitor without a VM (fuzz
 * target, tests): -1 where the real one would end the sandbox. */
int eb_monitor_feed(const uint8_t *data, size_t len, eb_error_t *err);

/* ---- talking to a monitor (client.c) ---- */
int eb_monitor_connect(const char *root, const char *sid, eb_error_t *err);
/* One request/response on FD; *RESP is the response object (caller puts). */
int eb_monitor_call(int fd, json_object *req, json_object **resp, eb_error_t *err);
/* Connect, call, close.  RESP may be NULL. */
int eb_monitor_request(const char *root, const char *sid, json_object *req, json_object **resp, eb_error_t *err);

/* ---- relay (relay.c) ---- */
typedef struct {
    int conn;                  /* connection to the monitor (owns the stream) */
    uint32_t stream;
    bool tty;
    int in_fd, out_fd, err_fd; /* host side stdio */
} eb_relay_t;
/* Relay until the guest process exits; returns its wait status. */
int eb_relay_run(eb_relay_t *r, eb_error_t *err);

/* ---- guest config (guest_spec.c) ---- */
/* The config.json the agent gets: rootfs and bind sources shared through
 * virtio-fs, the pod's namespaces mapped to the sandbox's in the guest,
 * no network namespace (the guest's is the pod's), no hooks. */
json_object *eb_guest_spec(const eb_spec_t *spec, const char *bundle, const char *sbdir, const char *cid,
                           pid_t sandbox_guest_pid, eb_error_t *err);

/* ---- in-guest log files on the host (logger.c) ---- */
#define EB_POD_LOG_DIR "/var/log/edgebox/pods"    /* $EDGEBOX_POD_LOG_DIR overrides */
/* At create: check the io.edgebox.log-files annotation, record where the
 * container's files go and add "log_files" to the agent's request REQ. */
int eb_logger_prepare(const char *sbdir, const char *cid, const eb_spec_t *spec, json_object *req, eb_error_t *err);
void eb_logger_forget(const char *sbdir, const char *cid);
/* The writer's guest-facing half fed DATA as the monitor would forward it
 * (fuzz target): -1 where the writer would end and be restarted. */
int eb_logger_feed(const char *sbdir, const uint8_t *data, size_t len, eb_error_t *err);
/* The writer process (forked by the monitor). */
__attribute__((noreturn)) void eb_logger_main(const char *root, const char *sid, const char *sbdir);

/* ---- the verbs (runv.c) ---- */
int eb_runv_create(const eb_create_opts_t *o, const char *log_path, pid_t *relay, int *master, eb_error_t *err);
int eb_runv_start(const char *root, const char *id, eb_error_t *err);
int eb_runv_kill(const char *root, const char *id, int sig, bool all, eb_error_t *err);
int eb_runv_delete(const char *root, const char *id, bool force, eb_error_t *err);
int eb_runv_pause(const char *root, const char *id, bool pause, eb_error_t *err);
int eb_runv_state(const char *root, const char *id, char **json, eb_error_t *err);
/* Status of a runv container (for list). */
eb_status_t eb_runv_status(const char *root, const char *id, pid_t *pid);
int eb_runv_exec(const eb_exec_opts_t *o, bool detach, int *exit_code, eb_error_t *err);
/* The runc events "data" object of the container, measured in the guest. */
int eb_runv_stats(const char *root, const char *id, json_object **data, uint64_t *oom_kills, eb_error_t *err);
int eb_runv_ps(const char *root, const char *id, json_object **procs, eb_error_t *err);

/* `edgebox check` */
/* ROOT: whose boot record to show. */
int eb_runv_check(const char *root);

#endif
