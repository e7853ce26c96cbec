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
/* Remove our ingress qdiscs (the taps vanish with QEMU). */
void eb_podnet_teardown(const char *netns_path);
void eb_podnet_free(eb_podnet_t *net);

#endif
