/* ops.c - the request table: name and flags of every eb_op_t.
 *
 * Indexed by the enum (designated initializers), so a name sits next to
 * its constant; the lookup compares at most EB_OP_COUNT names of at most
 * EB_OP_NAME_MAX bytes, which is all the cost a peer can cause with it. */
#include "proto/ops.h"
#include "proto/message.h"

#include <errno.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned flags;
} ops[EB_OP_COUNT] = {
    [EB_OP_CREATE] = { "create", EB_OP_ID | EB_OP_NEW_STREAM | EB_OP_AGENT },
    [EB_OP_EXEC] = { "exec", EB_OP_ID | EB_OP_NEW_STREAM | EB_OP_AGENT },
    [EB_OP_START] = { "start", EB_OP_ID | EB_OP_AGENT },
    [EB_OP_LOGS] = { "logs", EB_OP_NEW_STREAM | EB_OP_AGENT },
    [EB_OP_KILL] = { "kill", EB_OP_ID | EB_OP_AGENT },
    [EB_OP_PAUSE] = { "pause", EB_OP_ID | EB_OP_AGENT },
    [EB_OP_RESUME] = { "resume", EB_OP_ID | EB_OP_AGENT },
    [EB_OP_STATE] = { "state", EB_OP_ID | EB_OP_AGENT },
    [EB_OP_STATS] = { "stats", EB_OP_ID | EB_OP_AGENT },
    [EB_OP_PS] = { "ps", EB_OP_ID | EB_OP_AGENT },
    /* New limits ("resources", a linux.resources object) of a container. */
    [EB_OP_UPDATE] = { "update", EB_OP_ID | EB_OP_AGENT },
    [EB_OP_SIGNAL] = { "signal", EB_OP_STREAM | EB_OP_AGENT },
    [EB_OP_RESIZE] = { "resize", EB_OP_STREAM | EB_OP_AGENT },
    [EB_OP_DELETE] = { "delete", EB_OP_ID | EB_OP_AGENT },
    /* Sent by the monitor itself once the agent said hello. */
    [EB_OP_SANDBOX] = { "sandbox", EB_OP_AGENT },
    [EB_OP_PING] = { "ping", EB_OP_AGENT },
    [EB_OP_USAGE] = { "usage", EB_OP_AGENT },
    /* From a client the monitor answers it (and ends the sandbox); the
     * agent powers the guest off if it is ever sent one. */
    [EB_OP_SHUTDOWN] = { "shutdown", EB_OP_AGENT | EB_OP_MONITOR },
    /* What the monitor knows of the VM (QEMU's pid, accelerator, size). */
    [EB_OP_INFO] = { "info", EB_OP_MONITOR },
    /* A pooled VM handed to a sandbox (src/runv/pool.h): the monitor
     * makes the host side the sandbox's, then sends the agent "sandbox". */
    [EB_OP_CLAIM] = { "claim", EB_OP_MONITOR },
};

const char *eb_op_name(eb_op_t op)
{
    return (unsigned) op < EB_OP_COUNT ? ops[op].name : NULL;
}

unsigned eb_op_flags(eb_op_t op)
{
    return (unsigned) op < EB_OP_COUNT ? ops[op].flags : 0;
}

int eb_op_lookup(const char *name, eb_op_t *op, eb_error_t *err)
{
    size_t i;

    if (name == NULL)
        return eb_error_set(err, EINVAL, "request without an op");
    if (strnlen(name, EB_OP_NAME_MAX + 1) > EB_OP_NAME_MAX)
        return eb_error_set(err, EINVAL, "unknown request `%.*s...`: longer than %d bytes", EB_OP_NAME_MAX, name,
                            EB_OP_NAME_MAX);
    for (i = 0; i < EB_OP_COUNT; i++)
        if (strcmp(name, ops[i].name) == 0) {
            *op = (eb_op_t) i;
            return 0;
        }
    return eb_error_set(err, EOPNOTSUPP, "unknown request `%s`", name);
}

int eb_op_of(json_object *req, eb_op_t *op, eb_error_t *err)
{
    const char *name = NULL;

    /* Read with a generous bound, so that a long name gets the lookup's
     * error, which names it, rather than a field-length one. */
    if (eb_msg_str(req, "op", EB_MSG_MAX_STR, false, &name, err) < 0)
        return -1;
    return eb_op_lookup(name, op, err);
}

json_object *eb_op_request(eb_op_t op)
{
    json_object *r;

    if (eb_op_name(op) == NULL)
        return NULL;
    r = json_object_new_object();
    json_object_object_add(r, "op", json_object_new_string(eb_op_name(op)));
    return r;
}
