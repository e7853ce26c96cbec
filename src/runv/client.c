/* client.c - the CLI's side of a monitor connection. */
#include "runv/client.h"
#include "runv/sandbox.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "proto/message.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int eb_monitor_connect_dir(const char *dir, const char *what, eb_error_t *err)
{
    _cleanup_free_ char *path = eb_strdup_printf("%s/monitor.sock", dir);
    struct sockaddr_un sa;
    _cleanup_close_ int dirfd = -1;
    int fd;

    if (eb_unix_addr(path, &sa, &dirfd, err) < 0) {
        /* No directory: no sandbox. */
        if (err->code == ENOENT)
            return eb_error_set(err, ENOENT, "%s is not running (no monitor socket)", what);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return eb_error_set(err, errno, "socket");
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return eb_error_set(err, e, "%s is not running (connect to its monitor)", what);
    }
    return fd;
}

int eb_monitor_connect(const char *root, const char *sid, eb_error_t *err)
{
    _cleanup_free_ char *dir = eb_sandbox_dir(root, sid);
    _cleanup_free_ char *what = eb_strdup_printf("sandbox `%s`", sid);

    return eb_monitor_connect_dir(dir, what, err);
}

int eb_monitor_call(int fd, json_object *req, json_object **resp, eb_error_t *err)
{
    return eb_monitor_call_keep(fd, req, resp, NULL, err);
}

/* Frame F, or the bytes read past the response, kept for the caller. */
static void keep_frame(eb_buf_t *kept, const eb_frame_t *f)
{
    uint8_t hdr[EB_FRAME_HDR];

    eb_frame_header(hdr, f->type, f->id, f->len);
    eb_buf_add(kept, hdr, sizeof(hdr));
    eb_buf_add(kept, f->payload, f->len);
}

int eb_monitor_call_keep(int fd, json_object *req, json_object **resp, eb_buf_t *kept, eb_error_t *err)
{
    eb_frame_reader_t rd;
    uint64_t deadline = eb_now_ms() + EB_RUNV_REQUEST_TIMEOUT_S * 1000ull;
    int ret = -1;

    *resp = NULL;
    if (eb_msg_write(fd, EB_FRAME_REQUEST, 1, req, err) < 0)
        return -1;
    eb_frame_reader_init(&rd);
    for (;;) {
        eb_frame_t f;
        int rc = eb_frame_next(&rd, &f, err), left;
        uint64_t now;
        struct pollfd p = { fd, POLLIN, 0 };
        size_t room;
        uint8_t *buf;
        ssize_t n;

        if (rc < 0)
            goto out;
        if (rc == 1) {
            if (f.type != EB_FRAME_RESPONSE || f.id != 1) {
                if (kept)
                    keep_frame(kept, &f);
                continue;
            }
            *resp = eb_msg_parse(f.payload, f.len, err);
            if (*resp == NULL)
                goto out;
            ret = eb_msg_response_status(*resp, err);
            if (kept && rd.have > rd.consumed)
                eb_buf_add(kept, rd.buf + rd.consumed, rd.have - rd.consumed);
            goto out;
        }
        now = eb_now_ms();
        if (now >= deadline) {
            eb_error_set(err, ETIMEDOUT, "the sandbox did not answer within %d s", EB_RUNV_REQUEST_TIMEOUT_S);
            goto out;
        }
        left = (int) (deadline - now);
        if (poll(&p, 1, left) <= 0)
            continue;
        buf = eb_frame_reader_space(&rd, &room);
        n = read(fd, buf, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            eb_error_set(err, n < 0 ? errno : EPIPE, "the sandbox monitor closed the connection");
            goto out;
        }
        eb_frame_reader_commit(&rd, (size_t) n);
    }
out:
    eb_frame_reader_free(&rd);
    return ret;
}

int eb_monitor_request(const char *root, const char *sid, json_object *req, json_object **resp, eb_error_t *err)
{
    int fd = eb_monitor_connect(root, sid, err), ret;
    json_object *r = NULL;

    if (resp)
        *resp = NULL;
    if (fd < 0)
        return -1;
    ret = eb_monitor_call(fd, req, &r, err);
    close(fd);
    if (resp)
        *resp = r;
    else
        json_object_put(r);
    return ret;
}
