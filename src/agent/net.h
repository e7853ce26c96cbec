/* net.h - the pod's network inside the guest (net.c). */
#ifndef EB_AGENT_NET_H
#define EB_AGENT_NET_H

#include <json-c/json.h>

#include "common/error.h"

/* Apply the pod's interfaces, routes and hostname (the "sandbox" request). */
int eb_agent_net_setup(json_object *req, eb_error_t *err);

#endif
