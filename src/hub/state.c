/* state.c - the hub's view of the apiserver, which the health checker
 * decides and every client thread reads: online or offline (with an
 * epoch and a condition to wait on), the verdict at start, and "suspect"
 * (a request went unanswered: reads go to the cache until a check
 * succeeds).  Apart from health.c so that the forwarding path can raise
 * suspicion without calling into the checker, nor the checker into it. */
#include "hub/hub.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <time.h>

void eb_hub_set_online(eb_hub_t *hub, int online)
{
    if (atomic_exchange(&hub->online, online) == online)
        return;
    pthread_mutex_lock(&hub->lock);
    atomic_fetch_add(&hub->epoch, 1);
    pthread_cond_broadcast(&hub->changed);
    pthread_mutex_unlock(&hub->lock);
    eb_info("hub: apiserver %s: %s", hub->kc.server, online ? "online, forwarding" : "offline, serving from the cache");
}

void eb_hub_suspect(eb_hub_t *hub)
{
    if (atomic_exchange(&hub->suspect, 1))
        return;
    eb_info("hub: apiserver %s stopped answering: reads served from the cache while checking", hub->kc.server);
    pthread_mutex_lock(&hub->lock);
    pthread_cond_broadcast(&hub->changed);
    pthread_mutex_unlock(&hub->lock);
}

void eb_hub_wait_decided(eb_hub_t *hub, int ms)
{
    struct timespec ts = eb_deadline_in(CLOCK_REALTIME, (uint64_t) ms);

    pthread_mutex_lock(&hub->lock);
    while (atomic_load(&hub->deciding) && !atomic_load(&hub->stopping))
        if (pthread_cond_timedwait(&hub->changed, &hub->lock, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&hub->lock);
}
