/* bootstats.h - the node's record of runv boots (`edgebox check`). */
#ifndef EB_RUNV_BOOTSTATS_H
#define EB_RUNV_BOOTSTATS_H

#include <stdint.h>

#include "common/error.h"

typedef struct {
    uint64_t boots, retried, failed; /* reached the agent; needed the retry; never did */
    uint64_t last_ms;                /* the last boot, QEMU start to agent ready */
    char last_retry[1024];           /* when, which sandbox, its console tail */
} eb_bootstats_t;
typedef enum { EB_BOOT_READY, EB_BOOT_RETRY, EB_BOOT_FAILED } eb_boot_event_t;
/* ROOT/.runv/boot-stats.json; all zero when there is none yet. */
int eb_bootstats_read(const char *root, eb_bootstats_t *st, eb_error_t *err);
void eb_bootstats_add(const char *root, eb_boot_event_t ev, uint64_t ms, const char *what);

#endif
