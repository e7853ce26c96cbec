/* monitor.h - the per-sandbox monitor: a long-lived process that owns
 * QEMU, virtiofsd and the agent channel, and serves the CLI and the
 * relays on <sandbox dir>/monitor.sock.  QEMU and virtiofsd are its
 * children and die with it (PDEATHSIG). */
#ifndef EB_RUNV_MONITOR_H
#define EB_RUNV_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define EB_RUNV_BOOT_TIMEOUT_S 20         /* per attempt; TCG boots reach the agent in under 2 s here */
#define EB_RUNV_BOOT_ATTEMPTS 2           /* one retry, a safety net: every retry is logged and counted */

typedef struct {
    const char *root, *sid, *dir;
    const char *netns;         /* pod netns path or NULL */
    const char *hostname;
    unsigned mem_mib, vcpus;
    int ready_fd;              /* write "OK" or the error text, then close */
    const char *log_path;
    const char *cgroups_path;  /* the sandbox container's linux.cgroupsPath (NULL: /edgebox/<sid>) */
    /* A pooled VM (pool.h): booted with a tap of its own in a network
     * namespace of its own and no sandbox; "claim" makes it one. */
    bool pool;
} eb_monitor_opts_t;
__attribute__((noreturn)) void eb_monitor_main(const eb_monitor_opts_t *o);
/* Feed bytes as the agent would send them to a monitor without a VM (fuzz
 * target, tests): -1 where the real one would end the sandbox. */
/* Fork the monitor of MO and wait for its report: 0 once the VM is ready
 * (the monitor lives on, reparented), -1 with ERR and nothing left of the
 * sandbox directory MO->dir otherwise.  MO->ready_fd is set here.
 * LOG_PATH: where the monitor logs (NULL: where we do). */
int eb_monitor_spawn(eb_monitor_opts_t *mo, const char *log_path, eb_error_t *err);
/* Read a child's one-line report (the monitor's, a relay's) from FD
 * within TIMEOUT_S into BUF. */
int eb_read_report(int fd, int timeout_s, char *buf, size_t size, eb_error_t *err);
int eb_monitor_feed(const uint8_t *data, size_t len, eb_error_t *err);
/* Boot attempts of a sandbox: EB_RUNV_BOOT_ATTEMPTS, or 1 with
 * EDGEBOX_RUNV_BOOT_RETRIES=0 (tests that require every boot to work). */
int eb_runv_boot_attempts(void);

#endif
