/* pool_internal.h - what the pool's files share (pool.c, pool_config.c,
 * pool_dir.c); not for other parts of runv. */
#ifndef EB_RUNV_POOL_INTERNAL_H
#define EB_RUNV_POOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runv/pool.h"

#define EB_POOL_MAX_VMS (EB_POOL_MAX_CLASSES * EB_POOL_MAX_SIZE * 2)

/* A pooled VM as its directory says. */
typedef struct {
    char name[64];
    unsigned mem_mib, vcpus;
    bool alive, ready, stale;   /* monitor running; agent answered; another stamp */
} eb_pool_vm_t;

/* The class of a VM of MEM MiB and CPUS vCPUs, NULL when none is. */
const eb_pool_class_t *eb_pool_class_of(const eb_pool_config_t *cfg, unsigned mem, unsigned cpus);
/* What boots a pooled VM (runtime version, protocol, guest image). */
void eb_pool_stamp(char *buf, size_t size);
/* The VMs under PDIR, at most MAX (EB_POOL_MAX_VMS). */
size_t eb_pool_list_vms(const char *pdir, eb_pool_vm_t *v, size_t max);
/* Stop the pooled VM NAME: its monitor, then whatever it recorded. */
void eb_pool_stop_vm(const char *pdir, const char *name);
/* eb_pool_fill, unless EXPECT (the pool directory's inode when the refill
 * was asked for; 0: a fill by hand, or a pool to make) no longer names
 * it: a drain since then leaves the pool drained. */
int eb_pool_fill_if(const char *root, ino_t expect, eb_error_t *err);
/* This process's binary was replaced on disk (an upgrade): the new one
 * fills, with its own stamp. */
bool eb_pool_replaced_runtime(void);

/* The keeper (pool_keeper.c): ask it to refill ROOT's pool in DELAY_MS
 * (-1 with the reason when no keeper listens: the caller refills). */
int eb_pool_keeper_ask(const char *root, unsigned delay_ms, uint64_t ino, eb_error_t *err);
/* At a drain: the keeper's directory removed unless a keeper runs. */
void eb_pool_keeper_tidy(const char *root);

#endif
