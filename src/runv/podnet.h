/* podnet.h - the pod's network, carried into the VM: one tap per pod
 * interface, joined to it by tc redirects. */
#ifndef EB_RUNV_PODNET_H
#define EB_RUNV_PODNET_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/error.h"

typedef struct {
    int tap_fds[8];
    char mac[8][18];
    size_t n;
    json_object *config;       /* interfaces + routes for the agent */
} eb_podnet_t;
/* In the current netns: one tap per pod interface, tc redirects both ways. */
int eb_podnet_setup(eb_podnet_t *net, eb_error_t *err);
/* A pooled VM's taps, N of them, in the current (its own) namespace, with
 * random locally administered MACs for its guest NICs; no pod yet. */
int eb_podnet_pool_taps(eb_podnet_t *net, size_t n, eb_error_t *err);
/* Move those taps into the network namespace NSFD (rtnetlink). */
int eb_podnet_move_taps(const eb_podnet_t *net, int nsfd, eb_error_t *err);
/* In the pod's namespace, with the taps moved in: wire them to the pod's
 * interfaces as eb_podnet_setup does; the config tells the guest each
 * NIC's pooled MAC ("guest_mac") and the pod's. */
int eb_podnet_adopt(eb_podnet_t *net, eb_error_t *err);
/* How many interfaces of NETNS_PATH a sandbox would get a NIC for. */
int eb_podnet_count(const char *netns_path, size_t *n, eb_error_t *err);
/* Remove our ingress qdiscs (the taps vanish with QEMU). */
void eb_podnet_teardown(const char *netns_path);
void eb_podnet_free(eb_podnet_t *net);

#endif
