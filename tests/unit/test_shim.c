/* test_shim.c - the shim's ttrpc layer: frames, the reader's bounds, and
 * the request/response envelope as containerd's ttrpc writes it. */
#include "unit.h"
#include "shim/ttrpc.h"
#include "shim/proto/task.pb-c.h"
#include "shim/proto/ttrpc.pb-c.h"

#include <errno.h>
#include <stdlib.h>

/* Connect: the shim's answer names its pid. */
static int connect_fn(void *ctx, uint32_t stream, const uint8_t *p, size_t len, eb_buf_t *resp, eb_error_t *err)
{
    Containerd__Task__V2__ConnectRequest *req = containerd__task__v2__connect_request__unpack(NULL, len, p);
    Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
    int ret;
    (void) ctx, (void) stream;

    if (req == NULL)
        return eb_error_set(err, EINVAL, "malformed ConnectRequest");
    if (strcmp(req->id, "missing") == 0) {
        containerd__task__v2__connect_request__free_unpacked(req, NULL);
        return eb_error_set(err, ENOENT, "container `missing` does not exist");
    }
    r.shim_pid = 4242;
    r.version = "2";
    ret = eb_pb_pack(&r.base, resp, err);
    containerd__task__v2__connect_request__free_unpacked(req, NULL);
    return ret;
}

static const eb_ttrpc_method_t methods[] = {
    { "containerd.task.v2.Task", "Connect", connect_fn },
    { NULL, NULL, NULL },
};

/* One request through eb_ttrpc_serve; the decoded Response (caller frees). */
static Ttrpc__Response *call(const char *service, const char *method, const ProtobufCMessage *payload,
                             uint32_t stream, int *rc)
{
    Ttrpc__Request req = TTRPC__REQUEST__INIT;
    eb_buf_t wire = { 0 }, body = { 0 }, out = { 0 };
    eb_ttrpc_reader_t rd = { 0 };
    eb_ttrpc_frame_t f;
    eb_error_t err = { 0 };
    Ttrpc__Response *resp = NULL;

    req.service = (char *) service;
    req.method = (char *) method;
    if (payload) {
        eb_pb_pack(payload, &body, &err);
        req.payload.data = (uint8_t *) body.p;
        req.payload.len = body.len;
    }
    eb_ttrpc_frame_msg(&wire, EB_TTRPC_REQUEST, stream, &req.base, &err);
    eb_ttrpc_feed(&rd, wire.p, wire.len);
    *rc = eb_ttrpc_next(&rd, &f, &err) == 1 ? eb_ttrpc_serve(methods, NULL, &f, &out, &err) : -2;
    if (*rc == 0 && out.len >= EB_TTRPC_HEADER) {
        eb_ttrpc_header_t h;
        if (eb_ttrpc_header_get((uint8_t *) out.p, &h, &err) == 0 && h.type == EB_TTRPC_RESPONSE && h.stream == stream
            && h.len == out.len - EB_TTRPC_HEADER)
            resp = ttrpc__response__unpack(NULL, h.len, (uint8_t *) out.p + EB_TTRPC_HEADER);
    }
    eb_buf_free(&wire), eb_buf_free(&body), eb_buf_free(&out);
    eb_ttrpc_reader_free(&rd);
    return resp;
}

static void test_headers(void)
{
    uint8_t b[EB_TTRPC_HEADER];
    eb_ttrpc_header_t h = { .len = 0x010203, .stream = 7, .type = EB_TTRPC_REQUEST, .flags = 0 }, g;
    eb_error_t err = { 0 };
    static const uint8_t want[] = { 0, 1, 2, 3, 0, 0, 0, 7, 1, 0 };

    eb_ttrpc_header_put(&h, b);
    CHECK(memcmp(b, want, sizeof(want)) == 0, "header: big-endian length and stream, then type and flags");
    CHECK(eb_ttrpc_header_get(b, &g, &err) == 0 && g.len == h.len && g.stream == 7 && g.type == 1,
          "header: decoded back");
    b[0] = 1; /* 16 MiB + ...: over the 4 MiB maximum */
    CHECK(eb_ttrpc_header_get(b, &g, &err) < 0 && err.code == EMSGSIZE, "header: over 4 MiB refused (%s)", err.msg);
    b[0] = 0, b[8] = 9;
    eb_error_clear(&err);
    CHECK(eb_ttrpc_header_get(b, &g, &err) < 0 && err.code == EPROTO, "header: unknown type refused (%s)", err.msg);
}

static void test_reader(void)
{
    /* Request{service:"a", method:"b"} as Go's ttrpc encodes it. */
    static const uint8_t frame[] = { 0, 0, 0, 6, 0, 0, 0, 1, 1, 0, 0x0a, 1, 'a', 0x12, 1, 'b' };
    eb_ttrpc_reader_t rd = { 0 };
    eb_ttrpc_frame_t f;
    eb_error_t err = { 0 };
    size_t i;
    int partial = 0, rc;
    Ttrpc__Request *req;

    for (i = 0; i + 1 < sizeof(frame); i++) {
        eb_ttrpc_feed(&rd, frame + i, 1);
        partial |= eb_ttrpc_next(&rd, &f, &err) != 0;
    }
    eb_ttrpc_feed(&rd, frame + i, 1);
    rc = eb_ttrpc_next(&rd, &f, &err);
    CHECK(!partial && rc == 1 && f.h.len == 6 && f.h.stream == 1, "reader: a frame fed byte by byte appears once whole");
    req = rc == 1 ? ttrpc__request__unpack(NULL, f.h.len, f.data) : NULL;
    CHECK(req && strcmp(req->service, "a") == 0 && strcmp(req->method, "b") == 0,
          "reader: Go ttrpc's Request bytes decode (service, method)");
    if (req)
        ttrpc__request__free_unpacked(req, NULL);
    eb_ttrpc_feed(&rd, frame, sizeof(frame));
    eb_ttrpc_feed(&rd, frame, sizeof(frame));
    CHECK(eb_ttrpc_next(&rd, &f, &err) == 1 && eb_ttrpc_next(&rd, &f, &err) == 1 && eb_ttrpc_next(&rd, &f, &err) == 0,
          "reader: two frames back to back, then nothing");
    eb_ttrpc_reader_free(&rd);
    {
        static const uint8_t big[] = { 0, 0x40, 0, 1, 0, 0, 0, 1, 1, 0 };
        eb_ttrpc_feed(&rd, big, sizeof(big));
        CHECK(eb_ttrpc_next(&rd, &f, &err) < 0 && err.code == EMSGSIZE,
              "reader: a frame announcing 4 MiB + 1 is refused before its data");
        eb_ttrpc_reader_free(&rd);
    }
}

static void test_serve(void)
{
    Containerd__Task__V2__ConnectRequest cr = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
    Containerd__Task__V2__ConnectResponse *r;
    Ttrpc__Response *resp;
    int rc;

    cr.id = "c1";
    resp = call("containerd.task.v2.Task", "Connect", &cr.base, 1, &rc);
    r = resp && !resp->status ? containerd__task__v2__connect_response__unpack(NULL, resp->payload.len, resp->payload.data)
                              : NULL;
    CHECK(rc == 0 && r && r->shim_pid == 4242 && strcmp(r->version, "2") == 0, "serve: Connect answered on its stream");
    if (r)
        containerd__task__v2__connect_response__free_unpacked(r, NULL);
    ttrpc__response__free_unpacked(resp, NULL);

    cr.id = "missing";
    resp = call("containerd.task.v2.Task", "Connect", &cr.base, 3, &rc);
    CHECK(rc == 0 && resp && resp->status && resp->status->code == EB_GRPC_NOT_FOUND
              && strstr(resp->status->message, "does not exist"),
          "serve: ENOENT is gRPC NotFound with the message (%s)", resp && resp->status ? resp->status->message : "");
    ttrpc__response__free_unpacked(resp, NULL);

    resp = call("containerd.task.v2.Task", "Checkpoint", NULL, 5, &rc);
    CHECK(rc == 0 && resp && resp->status && resp->status->code == EB_GRPC_UNIMPLEMENTED,
          "serve: a method not in the table is Unimplemented");
    ttrpc__response__free_unpacked(resp, NULL);

    resp = call("containerd.task.v2.Task", "Connect", NULL, 2, &rc);
    CHECK(rc < 0 && resp == NULL, "serve: a request on an even (server) stream ends the connection");
}

int main(void)
{
    unit_name = "shim";
    test_headers();
    test_reader();
    test_serve();
    return unit_failed;
}
