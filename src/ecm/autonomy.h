/* autonomy.h - what edgebox-ecm changes on a pod, decided from the pod
 * and whether its node is autonomous, with no I/O (unit-tested alone).
 *
 * The node lifecycle controller taints an unreachable or NotReady node
 * with node.kubernetes.io/unreachable or not-ready (NoExecute); the taint
 * manager then evicts every pod whose first matching toleration has a
 * tolerationSeconds, when it runs out (300 s as DefaultTolerationSeconds
 * admission adds it).  Protecting a pod makes that first matching
 * toleration unlimited - Kubernetes lets a pod update change
 * tolerationSeconds and add tolerations, nothing else - and records the
 * old limits in an annotation so that restoring them is exact. */
#ifndef EB_ECM_AUTONOMY_H
#define EB_ECM_AUTONOMY_H

#include "common/error.h"

#include <json-c/json.h>

#define EB_AUTONOMY_ANNOTATION "node.edgebox.io/autonomy"
/* On a pod: {"node.kubernetes.io/unreachable": 300, ...}; null = the pod
 * had no matching toleration. */
#define EB_SAVED_ANNOTATION "node.edgebox.io/saved-toleration-seconds"
#define EB_TAINT_UNREACHABLE "node.kubernetes.io/unreachable"
#define EB_TAINT_NOT_READY "node.kubernetes.io/not-ready"

enum eb_plan { EB_PLAN_NONE, EB_PLAN_PROTECT, EB_PLAN_RESTORE };

/* Whether NODE opted in: its annotation parses as a true boolean (Go's
 * ParseBool: "true", "1", "t", ...). */
int eb_node_autonomous(json_object *node);

/* Whether the ECM leaves POD alone whatever its node: terminating,
 * finished, unscheduled, or a static pod's mirror. */
int eb_pod_ignored(json_object *pod);

/* The change POD needs with its node AUTONOMOUS or not: EB_PLAN_NONE, or
 * a plan with *PATCH the JSON merge patch to send (with the pod's
 * resourceVersion as precondition).  -1 when the pod's own data is
 * malformed (the saved annotation): ERR says what. */
int eb_autonomy_plan(json_object *pod, int autonomous, json_object **patch, eb_error_t *err);

#endif
