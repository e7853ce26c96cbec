/* test_proto.c - the host-agent frames and the monitor's guest-facing
 * decoder: what a well-behaved agent sends passes, what breaks the
 * protocol ends the sandbox (-1), never more. */
#include "unit.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "runv/runv.h"

#include <stdlib.h>

static size_t put(uint8_t *buf, uint8_t type, uint32_t id, const char *payload, uint32_t len)
{
    eb_frame_header(buf, type, id, len);
    memcpy(buf + EB_FRAME_HDR, payload, len);
    return EB_FRAME_HDR + len;
}

static int feed(const uint8_t *b, size_t n)
{
    eb_error_t err = { 0 };
    return eb_monitor_feed(b, n, &err);
}

int main(void)
{
    static uint8_t buf[1 << 20];
    eb_frame_reader_t r;
    eb_frame_t f;
    eb_error_t err = { 0 };
    size_t n = 0, room, i;
    uint8_t *space;
    int rc = 0;

    unit_name = "proto";
    n = put(buf, EB_FRAME_STDOUT, 7, "hello", 5);
    n += put(buf + n, EB_FRAME_REQUEST, 9, "{\"op\":\"ping\"}", 13);
    eb_frame_reader_init(&r);
    /* one byte at a time: frames complete only when all their bytes are in */
    for (i = 0; i < n; i++) {
        space = eb_frame_reader_space(&r, &room);
        space[0] = buf[i];
        eb_frame_reader_commit(&r, 1);
        rc = eb_frame_next(&r, &f, &err);
        if (rc != 0)
            break;
    }
    CHECK(rc == 1 && i == EB_FRAME_HDR + 4 && f.type == EB_FRAME_STDOUT && f.id == 7 && f.len == 5
              && memcmp(f.payload, "hello", 5) == 0, "a frame fed byte by byte decodes when complete");
    eb_frame_reader_free(&r);

    {
        uint8_t h[EB_FRAME_HDR];
        eb_frame_header(h, EB_FRAME_STDOUT, 1, 1);
        h[0] ^= 1;
        CHECK(eb_frame_check_header(h, &f, &err) < 0 && strstr(err.msg, "magic"), "bad magic refused: %s", err.msg);
        eb_frame_header(h, EB_FRAME_STDOUT, 1, 1);
        h[4] = 2;
        CHECK(eb_frame_check_header(h, &f, &err) < 0 && strstr(err.msg, "version"), "other version refused");
        eb_frame_header(h, 99, 1, 1);
        CHECK(eb_frame_check_header(h, &f, &err) < 0 && strstr(err.msg, "type"), "unknown type refused");
        eb_frame_header(h, EB_FRAME_STDOUT, 1, 1);
        h[6] = 1;
        CHECK(eb_frame_check_header(h, &f, &err) < 0 && strstr(err.msg, "flags"), "reserved flags refused");
        eb_frame_header(h, EB_FRAME_STDOUT, 1, EB_FRAME_MAX_DATA + 1);
        CHECK(eb_frame_check_header(h, &f, &err) < 0 && strstr(err.msg, "exceeds"), "oversized data refused");
        eb_frame_header(h, EB_FRAME_EVENT, 0, 0xffffffffu);
        CHECK(eb_frame_check_header(h, &f, &err) < 0, "a 4 GiB length is refused before any allocation");
        eb_frame_header(h, EB_FRAME_WINDOW, 1, 3);
        CHECK(eb_frame_check_header(h, &f, &err) < 0, "a window frame must carry 4 bytes");
    }

    {
        json_object *o = eb_msg_parse((const uint8_t *) "{\"a\":1} x", 9, &err);
        CHECK(o == NULL, "trailing bytes after the JSON object refused");
        o = eb_msg_parse((const uint8_t *) "[1]", 3, &err);
        CHECK(o == NULL, "a non-object message refused");
        o = eb_msg_parse((const uint8_t *) "{\"s\":\"x\",\"i\":70000}", 19, &err);
        {
            int64_t v = 0;
            const char *s = NULL;
            CHECK(o && eb_msg_int(o, "i", 0, 65535, false, &v, &err) < 0, "integers are range-checked");
            CHECK(o && eb_msg_str(o, "s", 0, false, &s, &err) < 0, "strings are length-checked");
        }
        json_object_put(o);
    }

    /* The monitor's decoder, requests 1-4 in flight (create, state,
     * delete, ping) and streams 1, 2 owned by a relay. */
    n = put(buf, EB_FRAME_RESPONSE, 1, "{\"ok\":true,\"pid\":7}", 19);
    n += put(buf + n, EB_FRAME_STDOUT, 1, "out", 3);
    n += put(buf + n, EB_FRAME_STDOUT, 1, "", 0);
    n += put(buf + n, EB_FRAME_EVENT, 0, "{\"event\":\"exit\",\"stream\":1,\"status\":0}", 38);
    n += put(buf + n, EB_FRAME_RESPONSE, 4, "{\"ok\":true}", 11);
    CHECK(feed(buf, n) == 0, "a well-behaved agent's frames are accepted");
    n = put(buf, EB_FRAME_RESPONSE, 42, "{\"ok\":true}", 11);
    CHECK(feed(buf, n) < 0, "a response to no request ends the sandbox");
    n = put(buf, EB_FRAME_RESPONSE, 2, "{\"ok\":", 6);
    CHECK(feed(buf, n) < 0, "malformed JSON ends the sandbox");
    n = 0;
    for (i = 0; i < 5; i++)
        n += put(buf + n, EB_FRAME_STDERR, 2, (const char *) buf + (1 << 19), EB_FRAME_MAX_DATA);
    CHECK(feed(buf, n) < 0, "output beyond the granted credit ends the sandbox");
    n = put(buf, EB_FRAME_STDOUT, 77, "x", 1);
    CHECK(feed(buf, n) < 0, "output on a stream the host never opened ends the sandbox");
    n = put(buf, EB_FRAME_EVENT, 0, "{\"event\":\"exit\",\"stream\":1,\"status\":99999}", 42);
    CHECK(feed(buf, n) < 0, "an exit status out of range ends the sandbox");
    n = put(buf, EB_FRAME_REQUEST, 1, "{\"op\":\"kill\"}", 13);
    CHECK(feed(buf, n) < 0, "the guest may not send requests to the host");
    n = put(buf, EB_FRAME_HELLO, 0, "{\"protocol\":1}", 14);
    CHECK(feed(buf, n) < 0, "a second hello ends the sandbox");
    return unit_failed;
}
