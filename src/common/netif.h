/* netif.h - a network interface's flags, the one step the guest agent
 * (its NICs) and the host's pod network (its taps) both take. */
#ifndef EB_NETIF_H
#define EB_NETIF_H

#include "common/error.h"

/* Bring interface NAME up, through socket S (any AF_INET datagram one). */
int eb_netif_up(int s, const char *name, eb_error_t *err);

#endif
