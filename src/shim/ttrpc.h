/* ttrpc.h - containerd's ttrpc, the protocol between containerd and a
 * shim: 10-byte frames (length, stream id, type, flags; big-endian) whose
 * data is a protobuf Request or Response (proto/ttrpc.proto) wrapping the
 * method's own message.  Only unary requests: that is all the task
 * service uses.
 *
 * Everything read from the socket is bounded before it is trusted: a
 * frame's length at 4 MiB (the protocol's maximum; larger is a protocol
 * error, as ttrpc's own reader rejects it), the reserved first byte zero,
 * client streams odd, the protobuf decoded by protobuf-c with the length
 * it was given. */
#ifndef EB_SHIM_TTRPC_H
#define EB_SHIM_TTRPC_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define EB_TTRPC_HEADER 10
#define EB_TTRPC_MAX_DATA (4u << 20)

enum { EB_TTRPC_REQUEST = 1, EB_TTRPC_RESPONSE = 2, EB_TTRPC_DATA = 3 };

/* gRPC's status codes, which ttrpc's Status carries and containerd turns
 * back into its errdefs (NotFound, AlreadyExists, ...). */
enum {
    EB_GRPC_OK = 0, EB_GRPC_CANCELLED = 1, EB_GRPC_UNKNOWN = 2, EB_GRPC_INVALID_ARGUMENT = 3,
    EB_GRPC_DEADLINE_EXCEEDED = 4, EB_GRPC_NOT_FOUND = 5, EB_GRPC_ALREADY_EXISTS = 6,
    EB_GRPC_PERMISSION_DENIED = 7, EB_GRPC_RESOURCE_EXHAUSTED = 8, EB_GRPC_FAILED_PRECONDITION = 9,
    EB_GRPC_ABORTED = 10, EB_GRPC_OUT_OF_RANGE = 11, EB_GRPC_UNIMPLEMENTED = 12, EB_GRPC_INTERNAL = 13,
    EB_GRPC_UNAVAILABLE = 14,
};
/* The code containerd maps back to the right errdefs error for ERR. */
int eb_grpc_code(const eb_error_t *err);

typedef struct {
    uint32_t len, stream;
    uint8_t type, flags;
} eb_ttrpc_header_t;

void eb_ttrpc_header_put(const eb_ttrpc_header_t *h, uint8_t out[EB_TTRPC_HEADER]);
/* Decode and check a header: length, the reserved byte, a known type. */
int eb_ttrpc_header_get(const uint8_t in[EB_TTRPC_HEADER], eb_ttrpc_header_t *h, eb_error_t *err);

/* Whole frames out of a byte stream.  eb_ttrpc_next returns 1 with a frame
 * whose DATA points into the reader (valid until the next call), 0 when
 * more bytes are needed, -1 on a protocol error. */
typedef struct {
    eb_buf_t in;
    size_t consumed;           /* the last frame returned, dropped at the next call */
} eb_ttrpc_reader_t;
typedef struct {
    eb_ttrpc_header_t h;
    const uint8_t *data;
} eb_ttrpc_frame_t;
int eb_ttrpc_feed(eb_ttrpc_reader_t *r, const void *bytes, size_t len);
int eb_ttrpc_next(eb_ttrpc_reader_t *r, eb_ttrpc_frame_t *f, eb_error_t *err);
void eb_ttrpc_reader_free(eb_ttrpc_reader_t *r);

/* Append a frame carrying message M (packed) to OUT. */
int eb_ttrpc_frame_msg(eb_buf_t *out, uint8_t type, uint32_t stream, const ProtobufCMessage *m, eb_error_t *err);

/* A method of a service: decodes its request from PAYLOAD, does its work,
 * and packs its response into RESP.  A negative return answers with ERR
 * as the status (eb_grpc_code); 1 answers later (a Wait for a process
 * still running): the method keeps STREAM and calls eb_ttrpc_respond. */
typedef int (*eb_ttrpc_fn)(void *ctx, uint32_t stream, const uint8_t *payload, size_t len, eb_buf_t *resp,
                           eb_error_t *err);
typedef struct {
    const char *service, *method;
    eb_ttrpc_fn fn;
} eb_ttrpc_method_t;

/* Answer the request frame F from the NULL-terminated table METHODS:
 * append the response frame to OUT.  -1 only for a frame that is not a
 * request at all (the connection is then closed, as ttrpc does); a method
 * that fails, or one not in the table, is answered with its status. */
int eb_ttrpc_serve(const eb_ttrpc_method_t *methods, void *ctx, const eb_ttrpc_frame_t *f, eb_buf_t *out,
                   eb_error_t *err);

/* Append to OUT the response frame for STREAM: PAYLOAD (may be NULL: an
 * empty message), or STATUS when it is not NULL. */
int eb_ttrpc_respond(eb_buf_t *out, uint32_t stream, const eb_buf_t *payload, const eb_error_t *status,
                     eb_error_t *err);

/* Pack M into B (replacing its content). */
int eb_pb_pack(const ProtobufCMessage *m, eb_buf_t *b, eb_error_t *err);

#endif
