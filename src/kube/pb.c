/* pb.c - protobuf wire format. */
#include "kube/pb.h"

#include <stdlib.h>
#include <string.h>

static int varint(eb_pb_t *r, uint64_t *out)
{
    uint64_t v = 0;
    int shift;

    for (shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (r->p >= r->end)
            return -1;
        b = *r->p++;
        v |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

int eb_pb_next(eb_pb_t *r, eb_pb_field_t *f)
{
    uint64_t key, len;

    if (r->p == r->end)
        return 0;
    if (varint(r, &key) < 0 || key >> 3 == 0 || key >> 3 > 0x1fffffff)
        return -1;
    memset(f, 0, sizeof(*f));
    f->num = (uint32_t) (key >> 3);
    f->wire = (int) (key & 7);
    switch (f->wire) {
    case 0:
        return varint(r, &f->v) < 0 ? -1 : 1;
    case 1:
        if (r->end - r->p < 8)
            return -1;
        memcpy(&f->v, r->p, 8);
        r->p += 8;
        return 1;
    case 5:
        if (r->end - r->p < 4)
            return -1;
        {
            uint32_t v;
            memcpy(&v, r->p, 4);
            f->v = v;
        }
        r->p += 4;
        return 1;
    case 2:
        if (varint(r, &len) < 0 || len > (uint64_t) (r->end - r->p))
            return -1;
        f->data = r->p;
        f->len = (size_t) len;
        r->p += len;
        return 1;
    default:
        return -1;
    }
}

const uint8_t *eb_pb_find(const void *msg, size_t len, uint32_t num, size_t *out_len)
{
    eb_pb_t r;
    eb_pb_field_t f;

    eb_pb_init(&r, msg, len);
    while (eb_pb_next(&r, &f) == 1)
        if (f.num == num && f.wire == 2) {
            *out_len = f.len;
            return f.data;
        }
    return NULL;
}

int eb_pb_put_varint(eb_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;

    do {
        tmp[n] = (uint8_t) (v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    return eb_buf_add(b, tmp, n);
}

int eb_pb_put_bytes(eb_buf_t *b, uint32_t num, const void *data, size_t len)
{
    if (eb_pb_put_varint(b, (uint64_t) num << 3 | 2) < 0 || eb_pb_put_varint(b, len) < 0)
        return -1;
    return eb_buf_add(b, data, len);
}

int eb_pb_put_string(eb_buf_t *b, uint32_t num, const char *s)
{
    return eb_pb_put_bytes(b, num, s, strlen(s));
}

int eb_pb_unwrap(const void *data, size_t len, char **api_version, char **kind, const uint8_t **raw, size_t *raw_len)
{
    eb_pb_t r;
    eb_pb_field_t f;

    *api_version = *kind = NULL;
    *raw = NULL;
    *raw_len = 0;
    if (len < EB_PB_MAGIC_LEN || memcmp(data, EB_PB_MAGIC, EB_PB_MAGIC_LEN) != 0)
        return -1;
    eb_pb_init(&r, (const uint8_t *) data + EB_PB_MAGIC_LEN, len - EB_PB_MAGIC_LEN);
    for (;;) {
        int rc = eb_pb_next(&r, &f);
        if (rc == 0)
            break;
        if (rc < 0)
            goto bad;
        if (f.num == 1 && f.wire == 2) {
            eb_pb_t t;
            eb_pb_field_t g;
            eb_pb_init(&t, f.data, f.len);
            while ((rc = eb_pb_next(&t, &g)) == 1) {
                if (g.wire != 2)
                    continue;
                if (g.num == 1 && !*api_version)
                    *api_version = strndup((const char *) g.data, g.len);
                else if (g.num == 2 && !*kind)
                    *kind = strndup((const char *) g.data, g.len);
            }
            if (rc < 0)
                goto bad;
        } else if (f.num == 2 && f.wire == 2) {
            *raw = f.data;
            *raw_len = f.len;
        }
    }
    if (!*api_version)
        *api_version = strdup("");
    if (!*kind)
        *kind = strdup("");
    return 0;
bad:
    free(*api_version);
    free(*kind);
    *api_version = *kind = NULL;
    return -1;
}

int eb_pb_wrap(eb_buf_t *b, const char *api_version, const char *kind, const void *raw, size_t raw_len)
{
    eb_buf_t tm = { 0 };
    int rc;

    eb_pb_put_string(&tm, 1, api_version);
    eb_pb_put_string(&tm, 2, kind);
    rc = eb_buf_add(b, EB_PB_MAGIC, EB_PB_MAGIC_LEN) < 0 || eb_pb_put_bytes(b, 1, tm.p, tm.len) < 0
         || eb_pb_put_bytes(b, 2, raw, raw_len) < 0 || eb_pb_put_string(b, 3, "") < 0 || eb_pb_put_string(b, 4, "") < 0
             ? -1 : 0;
    eb_buf_free(&tm);
    return rc;
}
