/* fuzz_ttrpc.c - libFuzzer target for what containerd (or anyone who can
 * reach the shim's socket) sends: frames cut from a byte stream, each
 * request's envelope decoded and dispatched to a method that decodes the
 * largest task message, CreateTaskRequest. */
#include "shim/ttrpc.h"
#include "shim/proto/task.pb-c.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int create_fn(void *ctx, uint32_t stream, const uint8_t *p, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    Containerd__Task__V2__CreateTaskRequest *req = containerd__task__v2__create_task_request__unpack(NULL, len, p);
    Containerd__Task__V2__CreateTaskResponse r = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
    (void) ctx, (void) stream;

    if (req == NULL)
        return eb_error_set(err, EINVAL, "malformed CreateTaskRequest");
    r.pid = (uint32_t) req->n_rootfs;
    containerd__task__v2__create_task_request__free_unpacked(req, NULL);
    return eb_pb_pack(&r.base, resp, err);
}

static const eb_ttrpc_method_t methods[] = {
    { "containerd.task.v2.Task", "Create", create_fn },
    { NULL, NULL, NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eb_ttrpc_reader_t rd = { 0 };
    eb_ttrpc_frame_t f;
    eb_buf_t out = { 0 };
    eb_error_t err = { 0 };

    if (eb_ttrpc_feed(&rd, data, size) == 0)
        while (eb_ttrpc_next(&rd, &f, &err) == 1 && eb_ttrpc_serve(methods, NULL, &f, &out, &err) == 0)
            eb_buf_reset(&out);
    eb_buf_free(&out);
    eb_ttrpc_reader_free(&rd);
    return 0;
}
