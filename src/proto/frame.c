/* frame.c - decoding and encoding of host-agent frames (see frame.h). */
#include "proto/frame.h"
#include "common/util.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = (v >> 24) & 0xff;
}

static const char *const type_names[] = {
    [EB_FRAME_HELLO] = "hello", [EB_FRAME_REQUEST] = "request", [EB_FRAME_RESPONSE] = "response",
    [EB_FRAME_EVENT] = "event", [EB_FRAME_STDIN] = "stdin", [EB_FRAME_STDOUT] = "stdout",
    [EB_FRAME_STDERR] = "stderr", [EB_FRAME_WINDOW] = "window", [EB_FRAME_LOG] = "log",
};

const char *eb_frame_type_name(uint8_t type)
{
    return type >= 1 && type <= EB_FRAME_TYPE_MAX ? type_names[type] : "unknown";
}

static uint32_t max_payload(uint8_t type)
{
    switch (type) {
    case EB_FRAME_STDIN: case EB_FRAME_STDOUT: case EB_FRAME_STDERR:
        return EB_FRAME_MAX_DATA;
    case EB_FRAME_WINDOW:
        return 4;
    case EB_FRAME_LOG:
        return EB_FRAME_LOG_HDR + EB_FRAME_MAX_DATA;
    default:
        return EB_FRAME_MAX_JSON;
    }
}

int eb_frame_check_header(const uint8_t *h, eb_frame_t *f, eb_error_t *err)
{
    uint32_t magic = get_le32(h), len = get_le32(h + 12);
    uint16_t flags = (uint16_t) (h[6] | h[7] << 8);

    if (magic != EB_PROTO_MAGIC)
        return eb_error_set(err, EPROTO, "frame: bad magic 0x%08x", magic);
    if (h[4] != EB_PROTO_VERSION)
        return eb_error_set(err, EPROTO, "frame: unsupported protocol version %u (want %u)", h[4],
                            EB_PROTO_VERSION);
    if (h[5] < 1 || h[5] > EB_FRAME_TYPE_MAX)
        return eb_error_set(err, EPROTO, "frame: unknown type %u", h[5]);
    if (flags != 0)
        return eb_error_set(err, EPROTO, "frame: reserved flags 0x%x set", flags);
    if (len > max_payload(h[5]))
        return eb_error_set(err, EMSGSIZE, "frame: %s payload of %u bytes exceeds %u", type_names[h[5]],
                            len, max_payload(h[5]));
    if (h[5] == EB_FRAME_WINDOW && len != 4)
        return eb_error_set(err, EPROTO, "frame: window payload of %u bytes (want 4)", len);
    if (h[5] == EB_FRAME_LOG && len < EB_FRAME_LOG_HDR)
        return eb_error_set(err, EPROTO, "frame: log payload of %u bytes (want at least %u)", len,
                            EB_FRAME_LOG_HDR);
    f->type = h[5];
    f->id = get_le32(h + 8);
    f->len = len;
    f->payload = NULL;
    return 0;
}

void eb_frame_header(uint8_t *out, uint8_t type, uint32_t id, uint32_t len)
{
    put_le32(out, EB_PROTO_MAGIC);
    out[4] = EB_PROTO_VERSION;
    out[5] = type;
    out[6] = out[7] = 0;
    put_le32(out + 8, id);
    put_le32(out + 12, len);
}

uint32_t eb_frame_window(const eb_frame_t *f)
{
    return get_le32(f->payload);
}

void eb_outbuf_window(eb_outbuf_t *o, uint32_t stream, uint32_t credit)
{
    uint8_t b[4];
    put_le32(b, credit);
    eb_outbuf_frame(o, EB_FRAME_WINDOW, stream, b, 4);
}

int eb_frame_write_window(int fd, uint32_t stream, uint32_t credit, eb_error_t *err)
{
    uint8_t b[4];
    put_le32(b, credit);
    return eb_frame_write(fd, EB_FRAME_WINDOW, stream, b, 4, err);
}

void eb_frame_reader_init(eb_frame_reader_t *r)
{
    memset(r, 0, sizeof(*r));
}

void eb_frame_reader_free(eb_frame_reader_t *r)
{
    free(r->buf);
    memset(r, 0, sizeof(*r));
}

/* Start small; grow to the largest frame only when a header asks for it,
 * so a thousand idle streams cost little. */
static void reserve(eb_frame_reader_t *r, size_t need)
{
    if (r->consumed > 0) {
        memmove(r->buf, r->buf + r->consumed, r->have - r->consumed);
        r->have -= r->consumed;
        r->consumed = 0;
    }
    if (need > r->cap) {
        r->buf = eb_xrealloc(r->buf, need);
        r->cap = need;
    }
}

uint8_t *eb_frame_reader_space(eb_frame_reader_t *r, size_t *room)
{
    size_t want = EB_FRAME_HDR + EB_FRAME_MAX_DATA;

    if (r->have - r->consumed >= EB_FRAME_HDR) {
        eb_frame_t f;
        eb_error_t e;
        if (eb_frame_check_header(r->buf + r->consumed, &f, &e) == 0 && EB_FRAME_HDR + f.len > want)
            want = EB_FRAME_HDR + f.len;
    }
    reserve(r, want > r->cap ? want : r->cap);
    *room = r->cap - r->have;
    return r->buf + r->have;
}

void eb_frame_reader_commit(eb_frame_reader_t *r, size_t n)
{
    r->have += n;
}

int eb_frame_next(eb_frame_reader_t *r, eb_frame_t *f, eb_error_t *err)
{
    size_t avail = r->have - r->consumed;

    if (avail < EB_FRAME_HDR)
        return 0;
    if (eb_frame_check_header(r->buf + r->consumed, f, err) < 0)
        return -1;
    if (avail < EB_FRAME_HDR + (size_t) f->len)
        return 0;
    f->payload = r->buf + r->consumed + EB_FRAME_HDR;
    r->consumed += EB_FRAME_HDR + f->len;
    return 1;
}

/* A frame whose payload is HEAD then BODY, copied once into the buffer. */
static void outbuf_frame2(eb_outbuf_t *o, uint8_t type, uint32_t id, const void *head, uint32_t hlen,
                          const void *body, uint32_t blen)
{
    size_t need = EB_FRAME_HDR + (size_t) hlen + blen;

    if (o->off > 0 && o->off == o->len)
        o->off = o->len = 0;
    if (o->len + need > o->cap) {
        if (o->off > 0) {
            memmove(o->buf, o->buf + o->off, o->len - o->off);
            o->len -= o->off;
            o->off = 0;
        }
        if (o->len + need > o->cap) {
            o->cap = (o->len + need) * 2;
            o->buf = eb_xrealloc(o->buf, o->cap);
        }
    }
    eb_frame_header(o->buf + o->len, type, id, hlen + blen);
    if (hlen)
        memcpy(o->buf + o->len + EB_FRAME_HDR, head, hlen);
    if (blen)
        memcpy(o->buf + o->len + EB_FRAME_HDR + hlen, body, blen);
    o->len += need;
}

void eb_outbuf_frame(eb_outbuf_t *o, uint8_t type, uint32_t id, const void *payload, uint32_t len)
{
    outbuf_frame2(o, type, id, payload, len, NULL, 0);
}

void eb_outbuf_log(eb_outbuf_t *o, uint32_t stream, uint32_t file, uint64_t offset, const void *data, uint32_t len)
{
    uint8_t h[EB_FRAME_LOG_HDR];

    put_le32(h, file);
    put_le32(h + 4, (uint32_t) offset);
    put_le32(h + 8, (uint32_t) (offset >> 32));
    outbuf_frame2(o, EB_FRAME_LOG, stream, h, sizeof(h), data, len > EB_FRAME_MAX_DATA ? EB_FRAME_MAX_DATA : len);
}

int eb_frame_log(const eb_frame_t *f, eb_log_chunk_t *c, eb_error_t *err)
{
    c->file = get_le32(f->payload);
    c->offset = (uint64_t) get_le32(f->payload + 4) | (uint64_t) get_le32(f->payload + 8) << 32;
    c->data = f->payload + EB_FRAME_LOG_HDR;
    c->len = f->len - EB_FRAME_LOG_HDR;
    /* Offsets beyond 2^62 are no file a guest could have written. */
    if (c->offset > (UINT64_C(1) << 62))
        return eb_error_set(err, EPROTO, "log frame: offset %llu out of range", (unsigned long long) c->offset);
    return 0;
}

int eb_outbuf_flush(eb_outbuf_t *o, int fd)
{
    while (o->off < o->len) {
        ssize_t n = write(fd, o->buf + o->off, o->len - o->off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return -1;
        }
        o->off += (size_t) n;
    }
    o->off = o->len = 0;
    return 0;
}

void eb_outbuf_free(eb_outbuf_t *o)
{
    free(o->buf);
    memset(o, 0, sizeof(*o));
}

int eb_frame_write(int fd, uint8_t type, uint32_t id, const void *payload, uint32_t len, eb_error_t *err)
{
    uint8_t hdr[EB_FRAME_HDR];

    eb_frame_header(hdr, type, id, len);
    if (eb_write_all(fd, hdr, sizeof(hdr)) < 0 || (len && eb_write_all(fd, payload, len) < 0))
        return eb_error_set(err, errno, "write %s frame", eb_frame_type_name(type));
    return 0;
}

int eb_frame_read(int fd, eb_frame_reader_t *r, eb_frame_t *f, eb_error_t *err)
{
    for (;;) {
        int rc = eb_frame_next(r, f, err);
        size_t room;
        uint8_t *p;
        ssize_t n;

        if (rc != 0)
            return rc;
        p = eb_frame_reader_space(r, &room);
        n = read(fd, p, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return eb_error_set(err, errno, "read frame");
        if (n == 0) {
            if (r->have != r->consumed)
                return eb_error_set(err, EPROTO, "frame: connection closed inside a frame");
            return 0;
        }
        eb_frame_reader_commit(r, (size_t) n);
    }
}
