/* ttrpc.c - see ttrpc.h. */
#include "shim/ttrpc.h"
#include "shim/proto/ttrpc.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int eb_grpc_code(const eb_error_t *err)
{
    switch (err->code) {
    case 0:
        return EB_GRPC_UNKNOWN;
    case ENOENT:
    case ESRCH:
        return EB_GRPC_NOT_FOUND;
    case EEXIST:
        return EB_GRPC_ALREADY_EXISTS;
    case EINVAL:
        return EB_GRPC_INVALID_ARGUMENT;
    case EPERM:
    case EACCES:
        return EB_GRPC_PERMISSION_DENIED;
    case ENOTSUP:
        return EB_GRPC_UNIMPLEMENTED;
    case ETIMEDOUT:
        return EB_GRPC_DEADLINE_EXCEEDED;
    case EBUSY:
    case EAGAIN:
        return EB_GRPC_UNAVAILABLE;
    default:
        return EB_GRPC_INTERNAL;
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24), p[1] = (uint8_t) (v >> 16), p[2] = (uint8_t) (v >> 8), p[3] = (uint8_t) v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

void eb_ttrpc_header_put(const eb_ttrpc_header_t *h, uint8_t out[EB_TTRPC_HEADER])
{
    put32(out, h->len);
    put32(out + 4, h->stream);
    out[8] = h->type;
    out[9] = h->flags;
}

int eb_ttrpc_header_get(const uint8_t in[EB_TTRPC_HEADER], eb_ttrpc_header_t *h, eb_error_t *err)
{
    h->len = get32(in);
    h->stream = get32(in + 4);
    h->type = in[8];
    h->flags = in[9];
    if (h->len > EB_TTRPC_MAX_DATA)
        return eb_error_set(err, EMSGSIZE, "ttrpc: a %u-byte message is over the %u-byte maximum", h->len,
                            EB_TTRPC_MAX_DATA);
    if (h->type < EB_TTRPC_REQUEST || h->type > EB_TTRPC_DATA)
        return eb_error_set(err, EPROTO, "ttrpc: unknown message type %u", h->type);
    return 0;
}

int eb_ttrpc_feed(eb_ttrpc_reader_t *r, const void *bytes, size_t len)
{
    /* One frame at most plus a header of the next: a peer can make us
     * hold no more than that. */
    r->in.limit = EB_TTRPC_HEADER + EB_TTRPC_MAX_DATA + 65536;
    return eb_buf_add(&r->in, bytes, len);
}

int eb_ttrpc_next(eb_ttrpc_reader_t *r, eb_ttrpc_frame_t *f, eb_error_t *err)
{
    if (r->consumed) {
        eb_buf_consume(&r->in, r->consumed);
        r->consumed = 0;
    }
    if (r->in.len < EB_TTRPC_HEADER)
        return 0;
    if (eb_ttrpc_header_get((const uint8_t *) r->in.p, &f->h, err) < 0)
        return -1;
    if (r->in.len - EB_TTRPC_HEADER < f->h.len)
        return 0;
    f->data = (const uint8_t *) r->in.p + EB_TTRPC_HEADER;
    r->consumed = EB_TTRPC_HEADER + f->h.len;
    return 1;
}

void eb_ttrpc_reader_free(eb_ttrpc_reader_t *r)
{
    eb_buf_free(&r->in);
    r->consumed = 0;
}

int eb_pb_pack(const ProtobufCMessage *m, eb_buf_t *b, eb_error_t *err)
{
    size_t n = protobuf_c_message_get_packed_size(m);

    eb_buf_reset(b);
    if (n > EB_TTRPC_MAX_DATA)
        return eb_error_set(err, EMSGSIZE, "ttrpc: a %zu-byte message is over the maximum", n);
    if (eb_buf_reserve(b, n + 1) < 0)
        return eb_error_set(err, EMSGSIZE, "ttrpc: no room for a %zu-byte message", n);
    b->len = protobuf_c_message_pack(m, (uint8_t *) b->p);
    return 0;
}

int eb_ttrpc_frame_msg(eb_buf_t *out, uint8_t type, uint32_t stream, const ProtobufCMessage *m, eb_error_t *err)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    eb_ttrpc_header_t h = { .len = (uint32_t) n, .stream = stream, .type = type };
    uint8_t hdr[EB_TTRPC_HEADER];

    if (n > EB_TTRPC_MAX_DATA)
        return eb_error_set(err, EMSGSIZE, "ttrpc: a %zu-byte message is over the maximum", n);
    eb_ttrpc_header_put(&h, hdr);
    if (eb_buf_add(out, hdr, sizeof(hdr)) < 0 || eb_buf_reserve(out, n) < 0)
        return eb_error_set(err, EMSGSIZE, "ttrpc: no room for a %zu-byte message", n);
    out->len += protobuf_c_message_pack(m, (uint8_t *) out->p + out->len);
    return 0;
}

static const eb_ttrpc_method_t *find(const eb_ttrpc_method_t *methods, const char *service, const char *method)
{
    for (; methods->service; methods++)
        if (strcmp(methods->service, service) == 0 && strcmp(methods->method, method) == 0)
            return methods;
    return NULL;
}

int eb_ttrpc_respond(eb_buf_t *out, uint32_t stream, const eb_buf_t *payload, const eb_error_t *status,
                     eb_error_t *err)
{
    Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
    Ttrpc__Status st = TTRPC__STATUS__INIT;

    if (status) {
        st.code = eb_grpc_code(status);
        st.message = (char *) status->msg;
        resp.status = &st;
    } else if (payload) {
        resp.payload.data = (uint8_t *) payload->p;
        resp.payload.len = payload->len;
    }
    return eb_ttrpc_frame_msg(out, EB_TTRPC_RESPONSE, stream, &resp.base, err);
}

int eb_ttrpc_serve(const eb_ttrpc_method_t *methods, void *ctx, const eb_ttrpc_frame_t *f, eb_buf_t *out,
                   eb_error_t *err)
{
    Ttrpc__Request *req;
    const eb_ttrpc_method_t *m;
    eb_buf_t payload = { 0 };
    eb_error_t status = { 0 };
    int ret;

    if (f->h.type != EB_TTRPC_REQUEST)
        return eb_error_set(err, EPROTO, "ttrpc: a type %u message where a request was expected", f->h.type);
    /* Client streams are odd; 0 would be the server's. */
    if ((f->h.stream & 1) == 0)
        return eb_error_set(err, EPROTO, "ttrpc: request on even stream %u", f->h.stream);
    req = ttrpc__request__unpack(NULL, f->h.len, f->data);
    if (req == NULL) {
        eb_error_set(&status, EINVAL, "ttrpc: malformed request");
        return eb_ttrpc_respond(out, f->h.stream, NULL, &status, err);
    }
    m = find(methods, req->service, req->method);
    if (m == NULL) {
        eb_error_set(&status, ENOTSUP, "service %s: method %s: not implemented", req->service, req->method);
        ret = eb_ttrpc_respond(out, f->h.stream, NULL, &status, err);
    } else if ((ret = m->fn(ctx, f->h.stream, req->payload.data, req->payload.len, &payload, &status)) < 0) {
        if (!eb_error_is_set(&status))
            eb_error_set(&status, 0, "%s.%s failed", req->service, req->method);
        ret = eb_ttrpc_respond(out, f->h.stream, NULL, &status, err);
    } else if (ret == 0) {
        ret = eb_ttrpc_respond(out, f->h.stream, &payload, NULL, err);
    } else {
        ret = 0;   /* answered later */
    }
    eb_buf_free(&payload);
    ttrpc__request__free_unpacked(req, NULL);
    return ret;
}
