/* ops.h - the requests of the host-agent protocol, each named once.
 *
 * A request is {"op": NAME, ...} (message.h).  This table is the one place
 * that spells the names: the sender builds a request from an eb_op_t, the
 * receiver turns the name back into one (bounded, unknown names refused)
 * and dispatches on the enum.  The flags say what each request carries and
 * who answers it, so that the monitor (which routes requests between the
 * host's clients and the agent) and the agent read the same facts.
 *
 * "info" is in the table although the agent never sees it: it travels on
 * the same monitor socket, in the same frames, from the same clients, and
 * the monitor must tell it from the agent's requests by the same lookup;
 * EB_OP_MONITOR marks the requests the monitor answers itself. */
#ifndef EB_PROTO_OPS_H
#define EB_PROTO_OPS_H

#include <json-c/json.h>

#include "common/error.h"

typedef enum {
    EB_OP_CREATE,
    EB_OP_EXEC,
    EB_OP_START,
    EB_OP_LOGS,
    EB_OP_KILL,
    EB_OP_PAUSE,
    EB_OP_RESUME,
    EB_OP_STATE,
    EB_OP_STATS,
    EB_OP_PS,
    EB_OP_UPDATE,
    EB_OP_SIGNAL,
    EB_OP_RESIZE,
    EB_OP_DELETE,
    EB_OP_SANDBOX,
    EB_OP_PING,
    EB_OP_USAGE,
    EB_OP_SHUTDOWN,
    EB_OP_INFO,
    EB_OP_CLAIM,
    EB_OP_COUNT,                   /* not an op: the size of tables indexed by eb_op_t */
} eb_op_t;

/* In the sandbox's share (the guest's /run/edgebox/shared): seccomp
 * filters the host compiled, which the guest's core reads as its own
 * cache (<agent state>/.seccomp-cache links there).  The '@' is in no
 * container id, so no container's share directory can be this. */
#define EB_SHARE_SECCOMP_CACHE "@seccomp-cache"

/* The longest name in the table, with room to spare; a longer name is
 * refused before it is compared with anything. */
#define EB_OP_NAME_MAX 16

enum {
    EB_OP_ID = 1 << 0,             /* carries the container id "id" */
    EB_OP_NEW_STREAM = 1 << 1,     /* opens a stream: the monitor assigns "stream" */
    EB_OP_STREAM = 1 << 2,         /* names an existing stream "stream" of the sender's */
    EB_OP_AGENT = 1 << 3,          /* the agent answers it */
    EB_OP_MONITOR = 1 << 4,        /* the monitor answers it itself, from a client */
};

/* The wire name of OP; NULL when OP is not an op. */
const char *eb_op_name(eb_op_t op);

/* The EB_OP_* flags of OP; 0 when OP is not an op. */
unsigned eb_op_flags(eb_op_t op);

/* NAME -> *OP.  -1 with EINVAL for NULL or a name longer than
 * EB_OP_NAME_MAX, EOPNOTSUPP for a name not in the table (the error names
 * it). */
int eb_op_lookup(const char *name, eb_op_t *op, eb_error_t *err);

/* The op of request REQ (its "op" string, looked up as above). */
int eb_op_of(json_object *req, eb_op_t *op, eb_error_t *err);

/* A new request {"op": NAME} to add fields to; the caller owns it. */
json_object *eb_op_request(eb_op_t op);

#endif
