/* frame.h - the host-agent wire format: versioned, length-prefixed frames.
 *
 * One byte stream (the virtio-serial port, or a monitor's unix socket)
 * carries every conversation, multiplexed by the frame header:
 *
 *   offset size  field
 *        0    4  magic   "EBX1" (0x31584245 little-endian)
 *        4    1  version EB_PROTO_VERSION
 *        5    1  type    enum eb_frame_type
 *        6    2  flags   0 (reserved; anything else is refused)
 *        8    4  id      request id (REQUEST/RESPONSE), stream id
 *                        (STDIN/STDOUT/STDERR/WINDOW/LOG), 0 otherwise
 *       12    4  length  payload bytes, bounded per type (below)
 *       16  ...  payload JSON text for HELLO/REQUEST/RESPONSE/EVENT,
 *                raw bytes for the stdio types (length 0 = end of stream),
 *                a little-endian u32 credit for WINDOW, for LOG a u32
 *                file id and a u64 offset in that file, then its bytes
 *
 * All integers are little-endian.  The reader never trusts the peer: a bad
 * magic, version, type, flag or length is a protocol error that ends the
 * channel (for the host: the sandbox), never a crash or an unbounded
 * allocation.  Stream data is credit-based (WINDOW frames grant bytes), so
 * a slow consumer throttles one stream, not the channel. */
#ifndef EB_PROTO_FRAME_H
#define EB_PROTO_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define EB_PROTO_MAGIC 0x31584245u
#define EB_PROTO_VERSION 1
#define EB_FRAME_HDR 16
#define EB_FRAME_MAX_JSON (1u << 20)      /* a config.json with room to spare */
#define EB_FRAME_MAX_DATA (64u << 10)     /* one stdio chunk */
#define EB_STREAM_WINDOW (256u << 10)     /* initial credit per stream and direction */
#define EB_FRAME_LOG_HDR 12               /* LOG payload: u32 file id, u64 offset */

enum eb_frame_type {
    EB_FRAME_HELLO = 1,
    EB_FRAME_REQUEST,
    EB_FRAME_RESPONSE,
    EB_FRAME_EVENT,
    EB_FRAME_STDIN,
    EB_FRAME_STDOUT,
    EB_FRAME_STDERR,
    EB_FRAME_WINDOW,
    EB_FRAME_LOG,                  /* bytes of a followed in-guest log file */
    EB_FRAME_TYPE_MAX = EB_FRAME_LOG,
};

typedef struct {
    uint8_t type;
    uint32_t id;
    uint32_t len;
    const uint8_t *payload;    /* points into the reader's buffer until the next call */
} eb_frame_t;

/* Incremental decoder over a fixed buffer (header + the largest payload). */
typedef struct {
    uint8_t *buf;
    size_t cap, have, consumed;
} eb_frame_reader_t;

void eb_frame_reader_init(eb_frame_reader_t *r);
void eb_frame_reader_free(eb_frame_reader_t *r);
/* Where to read(2) into, and how much room is left (never 0 while a frame
 * is incomplete). */
uint8_t *eb_frame_reader_space(eb_frame_reader_t *r, size_t *room);
void eb_frame_reader_commit(eb_frame_reader_t *r, size_t n);
/* 1: a frame is in *F; 0: need more bytes; -1: protocol error in ERR. */
int eb_frame_next(eb_frame_reader_t *r, eb_frame_t *f, eb_error_t *err);

/* Validate a header alone (exposed for the fuzz target and tests). */
int eb_frame_check_header(const uint8_t *hdr, eb_frame_t *f, eb_error_t *err);

/* Encode a header for TYPE/ID/LEN into OUT[EB_FRAME_HDR]. */
void eb_frame_header(uint8_t *out, uint8_t type, uint32_t id, uint32_t len);

/* Growable output buffer for non-blocking writers. */
typedef struct {
    uint8_t *buf;
    size_t len, off, cap;
} eb_outbuf_t;

void eb_outbuf_frame(eb_outbuf_t *o, uint8_t type, uint32_t id, const void *payload, uint32_t len);
/* Write what the fd takes; 0 when drained or would block, -1 on error. */
int eb_outbuf_flush(eb_outbuf_t *o, int fd);
static inline size_t eb_outbuf_pending(const eb_outbuf_t *o) { return o->len - o->off; }
void eb_outbuf_free(eb_outbuf_t *o);

/* Blocking helpers for simple peers (the CLI, the relay). */
int eb_frame_write(int fd, uint8_t type, uint32_t id, const void *payload, uint32_t len, eb_error_t *err);
/* Read one frame into R (blocking).  0 on EOF before a header. */
int eb_frame_read(int fd, eb_frame_reader_t *r, eb_frame_t *f, eb_error_t *err);

const char *eb_frame_type_name(uint8_t type);

/* WINDOW frames: the credit they grant, and queueing one. */
uint32_t eb_frame_window(const eb_frame_t *f);
void eb_outbuf_window(eb_outbuf_t *o, uint32_t stream, uint32_t credit);
int eb_frame_write_window(int fd, uint32_t stream, uint32_t credit, eb_error_t *err);

/* LOG frames: the file, the offset of the first byte, the bytes. */
typedef struct {
    uint32_t file;
    uint64_t offset;
    const uint8_t *data;
    uint32_t len;
} eb_log_chunk_t;

void eb_outbuf_log(eb_outbuf_t *o, uint32_t stream, uint32_t file, uint64_t offset, const void *data, uint32_t len);
/* Split a LOG frame; -1 when the offset and length overflow. */
int eb_frame_log(const eb_frame_t *f, eb_log_chunk_t *c, eb_error_t *err);

#endif
