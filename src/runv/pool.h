/* pool.h - pre-booted sandboxes: VMs booted ahead of need, each on its
 * own, and handed to a pod at its sandbox's create (docs/pool.md).
 *
 * A pooled VM is an ordinary monitor (monitor.h, `pool` set) under
 * <root>/.runv-pool/<vm>/, stamped with the runtime and guest image that
 * booted it; its agent answered a ping and waits.  Claiming one renames
 * its directory to the sandbox's (<root>/.runv/<sid>) and has its monitor
 * make the host side the sandbox's (network, cgroup, log) and the agent
 * the guest side (hostname, interfaces, routes, clock, entropy).  The
 * claiming create has the replacement booted in the background, by the
 * root's keeper (`edgebox pool serve`) or by a filler of its own;
 * `edgebox pool fill|drain|status` do the same by hand, `serve` is the
 * keeper. */
#ifndef EB_RUNV_POOL_H
#define EB_RUNV_POOL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "runv/monitor.h"

#define EB_POOL_DIR ".runv-pool"
#define EB_POOL_CONFIG "/etc/edgebox/pool.json"
#define EB_POOL_MAX_CLASSES 8
#define EB_POOL_MAX_SIZE 16      /* VMs per class */
#define EB_POOL_NICE 19          /* a filler's, so its boots' (pool.c) */
#define EB_POOL_REFILL_DELAY_MS 1000
#define EB_POOL_NICS 1           /* NICs of a pooled VM: a pod with more boots cold */

/* A size class: VMs of this memory (guest RAM, the overhead included, as
 * the monitor boots it) and vCPU count, SIZE of them kept booted. */
typedef struct {
    unsigned mem_mib, vcpus, size;
} eb_pool_class_t;

typedef struct {
    eb_pool_class_t c[EB_POOL_MAX_CLASSES];
    size_t n;
    char source[256];            /* where it came from, for `check` and errors */
} eb_pool_config_t;

/* EDGEBOX_POOL ("MEM:VCPUS:SIZE[,...]", "0" or "off"), else the JSON file
 * EDGEBOX_POOL_CONFIG or EB_POOL_CONFIG ({"classes": [{"memory_mib",
 * "vcpus", "size"}]}); none of them: no pool.  Every value bounded. */
int eb_pool_config(eb_pool_config_t *cfg, eb_error_t *err);

/* In a sandbox's create, before it would boot: 1 when a pooled VM of
 * MO's size is now sandbox MO->sid (its monitor serves MO->dir), 0 when
 * the sandbox must boot cold (no pool, no class of its size, more NICs
 * than a pooled VM, no ready VM, a claim that failed: logged).  Starts a
 * filler in the background whenever the pool has a class of this size. */
int eb_pool_claim(const eb_monitor_opts_t *mo);

/* Boot pooled VMs until every class has its size (under a lock; one boot
 * at a time), stopping those of another runtime or image, or of a class
 * no longer configured.  A boot that fails ends the round (counted). */
int eb_pool_fill(const char *root, eb_error_t *err);
/* The same, by the keeper when one serves ROOT (eb_pool_serve), else in a
 * process of its own, detached (then re-parented to the caller's
 * subreaper: a shim's, conmon's), after DELAY_MS, unless the
 * pool was drained meanwhile (a pool that did not exist is made: a cold
 * create's refill after a drain fills it again).  A claiming create waits
 * EB_POOL_REFILL_DELAY_MS: the pod's own start goes first (a boot beside
 * it, even at nice 19, slowed a warm `run /bin/true` by a fifth here:
 * bench/RESULTS.md). */
void eb_pool_refill_async(const char *root, unsigned delay_ms);
/* The keeper, `edgebox pool serve`: fills ROOT's pool, then refills it
 * whenever a claim (or a pooled VM that died) asks, in its own process
 * tree, until SIGTERM/SIGINT/SIGHUP (pool_keeper.c).  One per root. */
int eb_pool_serve(const char *root, eb_error_t *err);
/* The running keeper's pid, 0 when none serves ROOT. */
pid_t eb_pool_keeper_pid(const char *root);
/* A refill request as the keeper reads it ("refill DELAY_MS INODE"),
 * bounded; -1 with what was wrong. */
int eb_pool_keeper_parse(const char *buf, size_t len, unsigned *delay_ms, uint64_t *ino, eb_error_t *err);
/* Stop and remove every pooled VM and the pool's directory. */
int eb_pool_drain(const char *root, eb_error_t *err);
/* {"config", "classes": [{memory_mib, vcpus, size, ready, booting}],
 *  "stale", "counters": {claimed, cold, boot_failures, discarded}}. */
json_object *eb_pool_status(const char *root, eb_error_t *err);

/* Counters in <root>/.runv-pool/stats.json ("claimed", "cold", ...). */
void eb_pool_count(const char *root, const char *what);

#endif
