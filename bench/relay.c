/* relay.c - the floor of a forwarding hop on this machine, for
 * hub-bench.sh: plain TCP in, TLS (client certificate) out, bytes copied
 * both ways with no HTTP parsing, no cache, a thread per connection.
 * What the hub adds beyond this is the hub's own doing; what this adds
 * to going direct is what any local proxy costs here.
 *
 *   relay LISTEN_PORT UPSTREAM_PORT CA CERT KEY     (both on 127.0.0.1)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static SSL_CTX *ctx;
static int upstream_port;

static int tcp_to(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof(a)) < 0) {
        perror("relay: connect");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w, n -= (size_t) w;
    }
    return 0;
}

static void *serve(void *arg)
{
    int cfd = (int) (intptr_t) arg, ufd = tcp_to(upstream_port);
    SSL *ssl = NULL;
    char buf[65536];

    if (ufd < 0)
        goto out;
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, ufd);
    if (SSL_connect(ssl) != 1) {
        ERR_print_errors_fp(stderr);
        goto out;
    }
    for (;;) {
        struct pollfd p[2] = { { cfd, POLLIN, 0 }, { ufd, POLLIN, 0 } };
        int n;

        if (!SSL_has_pending(ssl) && poll(p, 2, -1) < 0)
            break;
        if (p[0].revents) {
            ssize_t r = read(cfd, buf, sizeof(buf));
            if (r <= 0 || SSL_write(ssl, buf, (int) r) <= 0)
                break;
        }
        if (SSL_has_pending(ssl) || p[1].revents) {
            n = SSL_read(ssl, buf, sizeof(buf));
            /* a record that is not data (TLS 1.3 session tickets) */
            if (n <= 0 && SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ)
                continue;
            if (n <= 0 || write_all(cfd, buf, (size_t) n) < 0)
                break;
        }
    }
out:
    if (ssl)
        SSL_free(ssl);
    if (ufd >= 0)
        close(ufd);
    close(cfd);
    return NULL;
}

int main(int argc, char **argv)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    int lfd, one = 1;

    if (argc != 6) {
        fprintf(stderr, "usage: relay LISTEN_PORT UPSTREAM_PORT CA CERT KEY\n");
        return 2;
    }
    upstream_port = atoi(argv[2]);
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_read_ahead(ctx, 1);
    /* return after a record that is not data instead of blocking for the
     * next one (the request that would bring it is not sent yet) */
    SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
    if (SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1 || SSL_CTX_use_certificate_file(ctx, argv[4], SSL_FILETYPE_PEM) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, argv[5], SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    a.sin_port = htons((uint16_t) atoi(argv[1]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (lfd < 0 || bind(lfd, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(lfd, 16) < 0) {
        perror("relay: listen");
        return 1;
    }
    for (;;) {
        int cfd = accept(lfd, NULL, NULL);
        pthread_t t;

        if (cfd < 0)
            continue;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (pthread_create(&t, NULL, serve, (void *) (intptr_t) cfd) != 0)
            close(cfd);
        else
            pthread_detach(t);
    }
}
