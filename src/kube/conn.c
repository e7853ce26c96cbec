/* conn.c - TCP/TLS byte streams with a read buffer and timeouts. */
#include "kube/conn.h"
#include "common/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void eb_conn_init(eb_conn_t *c, int fd)
{
    c->fd = fd;
    c->ssl = NULL;
    c->timeout_ms = c->applied_ms = -1;
    c->rpos = c->rlen = 0;
}

static void tls_error(eb_error_t *err, const char *what)
{
    char buf[256] = "";
    unsigned long e = ERR_get_error();

    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    eb_error_set(err, EPROTO, "%s: %s", what, buf[0] ? buf : "connection closed");
}

int eb_conn_dial(eb_conn_t *c, const char *host, const char *port, int timeout_ms, eb_error_t *err)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
    int rc, fd = -1, saved = ECONNREFUSED, one = 1;

    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return eb_error_set(err, ENOENT, "resolve %s:%s: %s", host, port, gai_strerror(rc));
    for (ai = res; ai; ai = ai->ai_next) {
        struct pollfd p;
        socklen_t len = sizeof(saved);

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno != EINPROGRESS) {
            saved = errno;
            close(fd), fd = -1;
            continue;
        }
        p = (struct pollfd) { fd, POLLOUT, 0 };
        rc = poll(&p, 1, timeout_ms);
        if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &saved, &len) == 0 && saved == 0)
            break;
        if (rc == 0)
            saved = ETIMEDOUT;
        close(fd), fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return eb_error_set(err, saved, "connect to %s:%s", host, port);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    eb_conn_init(c, fd);
    return 0;
}

/* Handshakes run on the blocking socket with a receive timeout, so a
 * silent peer can't hold a thread forever. */
static void set_io_timeout(int fd, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int eb_conn_tls_client(eb_conn_t *c, SSL_CTX *ctx, const char *servername, eb_error_t *err)
{
    X509_VERIFY_PARAM *param;
    struct in6_addr a6;
    struct in_addr a4;
    int is_ip = inet_pton(AF_INET, servername, &a4) == 1 || inet_pton(AF_INET6, servername, &a6) == 1;

    c->ssl = SSL_new(ctx);
    if (!c->ssl)
        return tls_error(err, "TLS session"), -1;
    SSL_set_fd(c->ssl, c->fd);
    if (!is_ip)
        SSL_set_tlsext_host_name(c->ssl, servername);
    param = SSL_get0_param(c->ssl);
    if (is_ip)
        X509_VERIFY_PARAM_set1_ip_asc(param, servername);
    else
        X509_VERIFY_PARAM_set1_host(param, servername, 0);
    set_io_timeout(c->fd, c->timeout_ms > 0 ? c->timeout_ms : 10000);
    if (SSL_connect(c->ssl) != 1) {
        long v = SSL_get_verify_result(c->ssl);
        if (v != X509_V_OK) {
            ERR_clear_error();
            return eb_error_set(err, EPROTO, "TLS handshake with %s: certificate verification failed: %s",
                                servername, X509_verify_cert_error_string(v));
        }
        return tls_error(err, "TLS handshake"), -1;
    }
    set_io_timeout(c->fd, 0);
    c->applied_ms = -1;
    return 0;
}

int eb_conn_tls_server(eb_conn_t *c, SSL_CTX *ctx, eb_error_t *err)
{
    c->ssl = SSL_new(ctx);
    if (!c->ssl)
        return tls_error(err, "TLS session"), -1;
    SSL_set_fd(c->ssl, c->fd);
    set_io_timeout(c->fd, 10000);
    if (SSL_accept(c->ssl) != 1)
        return tls_error(err, "TLS handshake"), -1;
    set_io_timeout(c->fd, 0);
    c->applied_ms = -1;
    return 0;
}

int eb_conn_pending(const eb_conn_t *c)
{
    /* SSL_has_pending: with read-ahead, records not yet decrypted count */
    return c->rpos < c->rlen || (c->ssl && SSL_has_pending(c->ssl));
}

/* The read timeout lives in the socket (SO_RCVTIMEO), set only when it
 * changes: one syscall per read instead of poll + read. */
static void apply_timeout(eb_conn_t *c)
{
    struct timeval tv = { 0, 0 };

    if (c->applied_ms == c->timeout_ms)
        return;
    if (c->timeout_ms > 0)
        tv = (struct timeval) { c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000 };
    else if (c->timeout_ms == 0)
        tv.tv_usec = 1;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    c->applied_ms = c->timeout_ms;
}

static ssize_t raw_read(eb_conn_t *c, void *buf, size_t n)
{
    apply_timeout(c);
    if (c->ssl) {
        int r = SSL_read(c->ssl, buf, n > 1 << 30 ? 1 << 30 : (int) n);
        if (r > 0)
            return r;
        switch (SSL_get_error(c->ssl, r)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            ERR_clear_error();
            errno = ETIMEDOUT;
            return -1;
        case SSL_ERROR_ZERO_RETURN:
            return 0;
        case SSL_ERROR_SYSCALL:
            ERR_clear_error();
            if (errno == 0)   /* EOF without close_notify: treat as EOF */
                return 0;
            return -1;
        default:
            ERR_clear_error();
            errno = EPROTO;
            return -1;
        }
    }
    for (;;) {
        ssize_t r = read(c->fd, buf, n);
        if (r >= 0 || errno != EINTR) {
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                errno = ETIMEDOUT;
            return r;
        }
    }
}

ssize_t eb_conn_read_more(eb_conn_t *c)
{
    ssize_t r;

    if (c->rpos > 0) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    if (c->rlen == sizeof(c->rbuf)) {
        errno = EMSGSIZE;
        return -1;
    }
    errno = 0;
    r = raw_read(c, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
    if (r > 0)
        c->rlen += (size_t) r;
    return r;
}

ssize_t eb_conn_read(eb_conn_t *c, void *buf, size_t n)
{
    if (c->rpos < c->rlen) {
        size_t k = c->rlen - c->rpos < n ? c->rlen - c->rpos : n;
        memcpy(buf, c->rbuf + c->rpos, k);
        c->rpos += k;
        return (ssize_t) k;
    }
    errno = 0;
    return raw_read(c, buf, n);
}

int eb_conn_write(eb_conn_t *c, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w;
        if (c->ssl) {
            int r = SSL_write(c->ssl, p, n > 1 << 30 ? 1 << 30 : (int) n);
            if (r <= 0) {
                ERR_clear_error();
                if (!errno)
                    errno = EPIPE;
                return -1;
            }
            w = r;
        } else {
            w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return -1;
            }
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

void eb_conn_close(eb_conn_t *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->rpos = c->rlen = 0;
}

int eb_conn_listen(const char *addr, eb_error_t *err)
{
    _cleanup_free_ char *host = NULL;
    const char *colon = strrchr(addr, ':');
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL;
    int fd, one = 1, rc;

    if (!colon || !colon[1])
        return eb_error_set(err, EINVAL, "address `%s` is not HOST:PORT", addr);
    host = strndup(addr, (size_t) (colon - addr));
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0)
        return eb_error_set(err, EINVAL, "address `%s`: %s", addr, gai_strerror(rc));
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return eb_error_set(err, errno, "socket for %s", addr);
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        freeaddrinfo(res);
        close(fd);
        return eb_error_set(err, e, "listen on %s", addr);
    }
    freeaddrinfo(res);
    return fd;
}
