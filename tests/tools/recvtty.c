/* recvtty.c - a console socket for the tests, like runc's recvtty.
 *
 * `eb-recvtty SOCKET OUTFILE` accepts one connection, receives the pty
 * master (SCM_RIGHTS) and copies everything from it to OUTFILE until the
 * pty closes.  It prints "ready" when listening.  The message that carried
 * the fd is saved in OUTFILE.msg (a seccomp listener gets the container
 * state there), and the fd's /proc link target in OUTFILE.fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char data[4096] = "", cbuf[CMSG_SPACE(sizeof(int))], buf[4096];
    struct iovec iov = { data, sizeof(data) };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *c;
    int s, conn, master = -1, out;
    ssize_t n;

    if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: eb-recvtty SOCKET OUTFILE\n");
        return 2;
    }
    strcpy(sa.sun_path, argv[1]);
    unlink(argv[1]);
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || bind(s, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(s, 1) < 0) {
        perror("listen");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    conn = accept(s, NULL, NULL);
    if (conn < 0 || recvmsg(conn, &m, 0) < 0) {
        perror("recvmsg");
        return 1;
    }
    for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_type == SCM_RIGHTS)
            memcpy(&master, CMSG_DATA(c), sizeof(int));
    if (master < 0) {
        fprintf(stderr, "no fd received\n");
        return 1;
    }
    {
        char p[4096], link[64], target[256];
        ssize_t tl;
        int fd;
        size_t got = m.msg_iov[0].iov_len;
        (void) got;
        snprintf(p, sizeof(p), "%s.msg", argv[2]);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, data, strnlen(data, sizeof(data)));
            (void) w;
            close(fd);
        }
        snprintf(link, sizeof(link), "/proc/self/fd/%d", master);
        tl = readlink(link, target, sizeof(target) - 1);
        if (tl > 0) {
            target[tl] = 0;
            snprintf(p, sizeof(p), "%s.fd", argv[2]);
            fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                ssize_t w = write(fd, target, (size_t) tl);
                (void) w;
                close(fd);
            }
        }
    }
    out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    while ((n = read(master, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t) n) != n)
            return 1;
    return 0;
}
