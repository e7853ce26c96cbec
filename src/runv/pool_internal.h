/* pool_internal.h - what the pool's files share (pool.c, pool_config.c,
 * pool_dir.c); not for other parts of runv. */
#ifndef EB_RUNV_POOL_INTERNAL_H
#define EB_RUNV_POOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
