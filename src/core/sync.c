/* sync.c - the runtime <-> init channel. */
#include "core/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct hdr { uint32_t type; int32_t code; uint32_t len; };

int eb_sync_send(int sock, uint32_t type, int32_t code, const void *data, size_t len, int fd,
                 eb_error_t *err)
{
    struct hdr h = { type, code, (uint32_t) len };
    struct iovec iov[2] = { { &h, sizeof(h) }, { (void *) data, len } };
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
    ssize_t r;

    if (len > EB_SYNC_MAX_PAYLOAD)
        return eb_error_set(err, EMSGSIZE, "sync message of %zu bytes", len);
    if (fd >= 0) {
        struct cmsghdr *c;
        memset(cbuf, 0, sizeof(cbuf));
        m.msg_control = cbuf;
        m.msg_controllen = sizeof(cbuf);
        c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    do
        r = sendmsg(sock, &m, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return eb_error_set(err, errno, "send sync message %u", type);
    return 0;
}

int eb_sync_recv(int sock, eb_sync_msg_t *msg, eb_error_t *err)
{
    struct hdr h;
    struct iovec iov[2] = { { &h, sizeof(h) }, { msg->data, sizeof(msg->data) - 1 } };
    char cbuf[CMSG_SPACE(sizeof(int) * 4)];
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = cbuf,
                        .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *c;
    ssize_t r;

    msg->fd = -1;
    do
        r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return eb_error_set(err, errno, "receive sync message");
    for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int), i;
            int fds[4];
            memcpy(fds, CMSG_DATA(c), nfd * sizeof(int) > sizeof(fds) ? sizeof(fds) : nfd * sizeof(int));
            for (i = 0; i < nfd && i < 4; i++) {
                if (msg->fd < 0)
                    msg->fd = fds[i];
                else
                    close(fds[i]);
            }
        }
    if (r == 0)
        return 1;
    if ((size_t) r < sizeof(h) || h.len != (size_t) r - sizeof(h) || (m.msg_flags & MSG_TRUNC)) {
        if (msg->fd >= 0)
            close(msg->fd);
        return eb_error_set(err, EPROTO, "malformed sync message");
    }
    msg->type = h.type;
    msg->code = h.code;
    msg->len = h.len;
    msg->data[h.len] = 0;
    return 0;
}

int eb_sync_expect(int sock, uint32_t type, eb_sync_msg_t *msg, eb_error_t *err)
{
    int r = eb_sync_recv(sock, msg, err);
    if (r < 0)
        return -1;
    if (r == 1)
        return eb_error_set(err, EPIPE, "the container init process exited before it was ready");
    if (msg->type == EB_SYNC_ERROR) {
        eb_error_set(err, 0, "%s", msg->data);
        err->code = msg->code;
        return -1;
    }
    if (msg->type != type)
        return eb_error_set(err, EPROTO, "unexpected sync message %u (wanted %u)", msg->type, type);
    return 0;
}

void eb_sync_fail(int sock, const eb_error_t *err)
{
    eb_error_t ign;
    eb_sync_send(sock, EB_SYNC_ERROR, err->code, err->msg, strlen(err->msg), -1, &ign);
    _exit(1);
}
