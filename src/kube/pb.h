/* pb.h - the protobuf wire format, as far as Kubernetes needs it: walk the
 * fields of a message (bounded, no schema), and write fields.  The
 * Kubernetes envelope is the magic "k8s\0" then a runtime.Unknown message
 * {1: TypeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding,
 * 4: contentType}. */
#ifndef EB_KUBE_PB_H
#define EB_KUBE_PB_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

#define EB_PB_MAGIC "k8s\0"
#define EB_PB_MAGIC_LEN 4

typedef struct eb_pb {
    const uint8_t *p, *end;
} eb_pb_t;

typedef struct eb_pb_field {
    uint32_t num;
    int wire;                     /* 0 varint, 1 fixed64, 2 bytes, 5 fixed32 */
    uint64_t v;                   /* varint / fixed value */
    const uint8_t *data;          /* wire 2 */
    size_t len;
} eb_pb_field_t;

static inline void eb_pb_init(eb_pb_t *r, const void *p, size_t len)
{
    r->p = p;
    r->end = r->p + len;
}
/* 1 and a field, 0 at the end, -1 on malformed input. */
int eb_pb_next(eb_pb_t *r, eb_pb_field_t *f);
/* The first length-delimited field NUM of a message, or NULL. */
const uint8_t *eb_pb_find(const void *msg, size_t len, uint32_t num, size_t *out_len);

int eb_pb_put_varint(eb_buf_t *b, uint64_t v);
int eb_pb_put_bytes(eb_buf_t *b, uint32_t num, const void *data, size_t len);
int eb_pb_put_string(eb_buf_t *b, uint32_t num, const char *s);

/* Unwrap an envelope: the Unknown's apiVersion, kind (copied, may be
 * empty) and raw.  -1 when it is not one. */
int eb_pb_unwrap(const void *data, size_t len, char **api_version, char **kind, const uint8_t **raw, size_t *raw_len);
/* Write an envelope around RAW. */
int eb_pb_wrap(eb_buf_t *b, const char *api_version, const char *kind, const void *raw, size_t raw_len);

#endif
