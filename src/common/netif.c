/* netif.c - see netif.h. */
#include "common/netif.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/ioctl.h>

int eb_netif_up(int s, const char *name, eb_error_t *err)
{
    struct ifreq ifr = { 0 };

    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return eb_error_set(err, errno, "get flags of %s", name);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        return eb_error_set(err, errno, "bring %s up", name);
    return 0;
}
