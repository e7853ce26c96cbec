/* test_proto.c - the host-agent frames and the monitor's guest-facing
 * decoder: what a well-behaved agent sends passes, what breaks the
 * protocol ends the sandbox (-1), never more. */
#include "unit.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/ops.h"
#include "runv/monitor.h"
#include "runv/logger.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static size_t put(uint8_t *buf, uint8_t type, uint32_t id, const char *payload, uint32_t len)
{
    eb_frame_header(buf, type, id, len);
    memcpy(buf + EB_FRAME_HDR, payload, len);
    return EB_FRAME_HDR + len;
}

static void queue_event(eb_outbuf_t *o, const char *text)
{
    json_object *ev = json_tokener_parse(text);
    eb_msg_queue(o, EB_FRAME_EVENT, 0, ev);
    json_object_put(ev);
}

static int feed(const uint8_t *b, size_t n)
{
    eb_error_t err = { 0 };
    return eb_monitor_feed(b, n, &err);
}

/* The request table: every op named, names and flags consistent, and the
 * lookup bounded. */
static void test_ops(void)
{
    eb_op_t op, back;
    eb_error_t err = { 0 };
    bool named = true, round = true, flagged = true;
    char longname[EB_OP_NAME_MAX + 2];
    json_object *req;

    for (op = 0; op < EB_OP_COUNT; op++) {
        const char *name = eb_op_name(op);
        if (name == NULL || name[0] == 0 || strlen(name) > EB_OP_NAME_MAX) {
            named = false;
            continue;
        }
        if (eb_op_lookup(name, &back, &err) < 0 || back != op)
            round = false;
        /* Someone answers each; the stream flags exclude each other. */
        if (!(eb_op_flags(op) & (EB_OP_AGENT | EB_OP_MONITOR))
            || (eb_op_flags(op) & (EB_OP_NEW_STREAM | EB_OP_STREAM)) == (EB_OP_NEW_STREAM | EB_OP_STREAM))
            flagged = false;
        eb_error_clear(&err);
    }
    CHECK(named, "ops: every op has a name of at most %d bytes", EB_OP_NAME_MAX);
    CHECK(round, "ops: name -> op gives back every op");
    CHECK(flagged, "ops: every op is answered by someone, and opens or names a stream, not both");
    CHECK(eb_op_name(EB_OP_COUNT) == NULL && eb_op_name((eb_op_t) -1) == NULL && eb_op_flags(EB_OP_COUNT) == 0,
          "ops: no name or flags beyond the table");
    CHECK(strcmp(eb_op_name(EB_OP_KILL), "kill") == 0 && strcmp(eb_op_name(EB_OP_SHUTDOWN), "shutdown") == 0
              && (eb_op_flags(EB_OP_KILL) & EB_OP_ID) && (eb_op_flags(EB_OP_EXEC) & EB_OP_NEW_STREAM)
              && (eb_op_flags(EB_OP_RESIZE) & EB_OP_STREAM) && eb_op_flags(EB_OP_INFO) == EB_OP_MONITOR,
          "ops: the wire names and flags the host sends today");
    CHECK(strcmp(eb_op_name(EB_OP_CLAIM), "claim") == 0 && eb_op_flags(EB_OP_CLAIM) == EB_OP_MONITOR,
          "ops: a pooled VM's claim is the monitor's, never the agent's");
    CHECK(eb_op_lookup("bogus", &back, &err) < 0 && err.code == EOPNOTSUPP && strstr(err.msg, "`bogus`"),
          "ops: an unknown name is refused, named: %s", err.msg);
    eb_error_clear(&err);
    CHECK(eb_op_lookup("Kill", &back, &err) < 0 && eb_op_lookup("", &back, &err) < 0
              && eb_op_lookup(NULL, &back, &err) < 0,
          "ops: names match exactly (case, empty, none)");
    eb_error_clear(&err);
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    memcpy(longname, "shutdown", 8);
    CHECK(eb_op_lookup(longname, &back, &err) < 0 && err.code == EINVAL && strstr(err.msg, "longer than"),
          "ops: a name over %d bytes is refused: %s", EB_OP_NAME_MAX, err.msg);
    eb_error_clear(&err);
    req = eb_op_request(EB_OP_PS);
    CHECK(req && eb_op_of(req, &back, &err) == 0 && back == EB_OP_PS, "ops: a built request reads back as its op");
    json_object_put(req);
    req = json_object_new_object();
    json_object_object_add(req, "op", json_object_new_int(3));
    CHECK(eb_op_of(req, &back, &err) < 0 && eb_op_request(EB_OP_COUNT) == NULL,
          "ops: a request whose op is not a string is refused: %s", err.msg);
    eb_error_clear(&err);
    json_object_put(req);
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
    test_ops();
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
        eb_error_clear(&err);
        o = eb_msg_parse((const uint8_t *) "null ", 5, &err);
        CHECK(o == NULL && err.code == EPROTO && strstr(err.msg, "message: "), "a null message refused, with a reason (%s)",
              err.msg);
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
    /* OOM kills, for whoever holds the init's stream (the shim's TaskOOM). */
    {
        static const char *const bad[] = {
            "{\"event\":\"oom\",\"id\":\"c\",\"stream\":3,\"count\":1}",  /* the log stream */
            "{\"event\":\"oom\",\"id\":\"c\",\"stream\":99,\"count\":1}", /* never handed out */
            "{\"event\":\"oom\",\"id\":\"c\",\"stream\":1,\"count\":0}",  /* no kill */
            "{\"event\":\"oom\",\"id\":\"c\",\"stream\":1}",
        };
        const char *ok = "{\"event\":\"oom\",\"id\":\"c\",\"stream\":1,\"count\":2}";
        n = put(buf, EB_FRAME_EVENT, 0, ok, (uint32_t) strlen(ok));
        CHECK(feed(buf, n) == 0, "an OOM event on a process stream is accepted");
        for (i = 0; i < 4; i++) {
            n = put(buf, EB_FRAME_EVENT, 0, bad[i], (uint32_t) strlen(bad[i]));
            CHECK(feed(buf, n) < 0, "an OOM event off a process stream, or without a kill, ends the sandbox");
        }
    }

    /* In-guest log files: LOG frames and their events on the log stream 3 only. */
    {
        eb_outbuf_t o = { 0 };
        eb_log_chunk_t ch;
        eb_outbuf_log(&o, 3, 5, (1ull << 33) + 7, "line\n", 5);
        CHECK(o.len == EB_FRAME_HDR + EB_FRAME_LOG_HDR + 5, "a log frame is header, file id, offset and bytes");
        eb_frame_reader_init(&r);
        space = eb_frame_reader_space(&r, &room);
        memcpy(space, o.buf, o.len);
        eb_frame_reader_commit(&r, o.len);
        CHECK(eb_frame_next(&r, &f, &err) == 1 && eb_frame_log(&f, &ch, &err) == 0 && ch.file == 5
                  && ch.offset == (1ull << 33) + 7 && ch.len == 5 && memcmp(ch.data, "line\n", 5) == 0,
              "a log frame decodes to its file, 64-bit offset and bytes");
        eb_frame_reader_free(&r);
        CHECK(feed(o.buf, o.len) == 0, "log bytes on the log stream are accepted");
        memcpy(buf, o.buf, o.len);
        buf[8] = 1;
        CHECK(feed(buf, o.len) < 0, "log bytes on a process's stream end the sandbox");
        buf[8] = 99;
        CHECK(feed(buf, o.len) < 0, "log bytes on a stream the host never opened end the sandbox");
        eb_outbuf_free(&o);
        {
            uint8_t h[EB_FRAME_HDR];
            eb_frame_header(h, EB_FRAME_LOG, 3, EB_FRAME_LOG_HDR - 1);
            CHECK(eb_frame_check_header(h, &f, &err) < 0, "a log frame shorter than its header is refused");
            eb_frame_header(h, EB_FRAME_LOG, 3, EB_FRAME_LOG_HDR + EB_FRAME_MAX_DATA + 1);
            CHECK(eb_frame_check_header(h, &f, &err) < 0, "a log frame beyond one chunk is refused");
        }
        n = put(buf, EB_FRAME_STDOUT, 3, "x", 1);
        CHECK(feed(buf, n) < 0, "stdout on the log stream ends the sandbox");
        n = 0;
        for (i = 0; i < 5; i++) {
            eb_outbuf_t big = { 0 };
            eb_outbuf_log(&big, 3, 1, i * EB_FRAME_MAX_DATA, buf + (1 << 19), EB_FRAME_MAX_DATA);
            memcpy(buf + n, big.buf, big.len);
            n += big.len;
            eb_outbuf_free(&big);
        }
        CHECK(feed(buf, n) < 0, "log bytes beyond the granted credit end the sandbox");
        n = put(buf, EB_FRAME_EVENT, 0, "{\"event\":\"logfile\",\"stream\":1}", 30);
        CHECK(feed(buf, n) < 0, "a log event on a process's stream ends the sandbox");
        n = put(buf, EB_FRAME_EVENT, 0, "{\"event\":\"exit\",\"stream\":3,\"status\":0}", 38);
        CHECK(feed(buf, n) < 0, "an exit on the log stream ends the sandbox");
    }

    /* The host writer of in-guest log files, fed what the monitor forwards. */
    {
        char sb[] = "/tmp/eb-unit-logs.XXXXXX", path[256], *text = NULL;
        size_t len = 0;
        FILE *fp;
        eb_outbuf_t o = { 0 };
        static char x[20000];
        const char *ev1 = "{\"event\":\"logfile\",\"stream\":3,\"id\":\"c1\",\"file\":1,\"path\":\"/var/log/a.log\",\"dev\":37,\"ino\":100,\"offset\":0}";
        const char *ev2 = "{\"event\":\"logfile\",\"stream\":3,\"id\":\"c1\",\"file\":2,\"path\":\"/var/log/a.log\",\"dev\":37,\"ino\":101,\"offset\":0}";
        const char *evc = "{\"event\":\"logclosed\",\"stream\":3,\"id\":\"c1\",\"file\":1}";
        const char *evx = "{\"event\":\"logfile\",\"stream\":3,\"id\":\"c2\",\"file\":3,\"path\":\"/x.log\",\"dev\":1,\"ino\":1,\"offset\":0}";

        CHECK(mkdtemp(sb) != NULL, "temporary sandbox dir");
        snprintf(path, sizeof(path), "%s/logs", sb);
        mkdir(path, 0700);
        snprintf(path, sizeof(path), "%s/logs/c1.json", sb);
        fp = fopen(path, "w");
        fprintf(fp, "{\"dir\":\"%s/out\"}", sb);
        fclose(fp);
        memset(x, 'x', sizeof(x));
        queue_event(&o, ev1);
        eb_outbuf_log(&o, 3, 1, 0, "0 first line\n1 second", 21);
        eb_outbuf_log(&o, 3, 1, 21, " half\n2 third\n", 14);
        queue_event(&o, ev2);
        eb_outbuf_log(&o, 3, 1, 35, "late, no newline", 16);
        eb_outbuf_log(&o, 3, 2, 0, "new file line\n", 14);
        eb_outbuf_log(&o, 3, 2, 14, x, sizeof(x));
        eb_outbuf_log(&o, 3, 2, 14 + sizeof(x), "\n", 1);
        queue_event(&o, evc);
        eb_outbuf_log(&o, 3, 2, 0, "truncated, again\n", 17);
        queue_event(&o, evx);
        eb_outbuf_log(&o, 3, 3, 0, "not declared\n", 13);
        CHECK(eb_logger_feed(sb, o.buf, o.len, &err) == 0, "log writer: a session is accepted (%s)", err.msg);
        eb_outbuf_free(&o);
        snprintf(path, sizeof(path), "%s/out/var_log_a.log", sb);
        fp = fopen(path, "r");
        {
            char line[32768], got[512] = "";
            while (fp && fgets(line, sizeof(line), fp)) {
                char *tag = strchr(strchr(line, ' ') + 1, ' ') + 1, *t = tag + 2;
                size_t gl = strlen(got);
                t[strcspn(t, "\n")] = 0;
                snprintf(got + gl, sizeof(got) - gl, "%c:%s|", *tag, t[0] == 'x' ? "xs" : t);
            }
            if (fp)
                fclose(fp);
            CHECK(strcmp(got, "F:0 first line|F:1 second half|F:2 third|F:late, no newline|F:new file line|P:xs|F:xs|"
                              "F:truncated, again|") == 0,
                  "log writer: lines joined across frames, an old file's unended line closed when the new file "
                  "speaks, a long line in P pieces, a truncation restarts: %s", got);
        }
        snprintf(path, sizeof(path), "%s/logs/c1.offsets", sb);
        CHECK(eb_read_file(path, 65536, &text, &len, &err) == 0 && strstr(text, "\"ino\":101,\"offset\":17")
                  && !strstr(text, "\"ino\":100"),
              "log writer: the checkpoint holds the open file's offset, not the closed one's: %s", text ? text : err.msg);
        free(text);
        snprintf(path, sizeof(path), "%s/out/x.log", sb);
        CHECK(access(path, F_OK) != 0, "log writer: nothing written for a container without a record");
        /* A writer that died after writing past its last record: the next
         * one cuts the host file back to the record before writing. */
        {
            char out[256];
            const char *again = "{\"event\":\"logfile\",\"stream\":3,\"id\":\"c1\",\"file\":7,\"path\":\"/var/log/a.log\",\"dev\":37,\"ino\":101,\"offset\":17}";
            struct stat st = { 0 };
            snprintf(path, sizeof(path), "%s/logs/c1.json", sb);
            fp = fopen(path, "w");
            fprintf(fp, "{\"dir\":\"%s/out\"}", sb);
            fclose(fp);
            snprintf(path, sizeof(path), "%s/logs/c1.offsets", sb);
            fp = fopen(path, "w");
            fprintf(fp, "{\"outputs\":[{\"path\":\"/var/log/a.log\",\"size\":100}],\"inputs\":[]}");
            fclose(fp);
            snprintf(out, sizeof(out), "%s/out/var_log_a.log", sb);
            o = (eb_outbuf_t) { 0 };
            queue_event(&o, again);
            CHECK(eb_logger_feed(sb, o.buf, o.len, &err) == 0 && stat(out, &st) == 0 && st.st_size == 100,
                  "log writer: a host file longer than its record is cut back to it (%lld bytes)",
                  (long long) st.st_size);
            eb_outbuf_free(&o);
        }
        snprintf(path, sizeof(path), "rm -rf %s", sb);
        CHECK(system(path) == 0, "cleanup");
    }
    return unit_failed;
}
