/* conn.h - one byte stream to a peer: a TCP socket, plain or TLS, with a
 * read buffer and per-read timeouts.  The hub's client side and server
 * side both use it, so the HTTP code above never knows which it has. */
#ifndef EB_KUBE_CONN_H
#define EB_KUBE_CONN_H

#include "common/error.h"

#include <openssl/ssl.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct eb_conn {
    int fd;
    SSL *ssl;
    int timeout_ms;               /* for each read; -1 = none */
    int applied_ms;               /* what the socket's SO_RCVTIMEO holds */
    char rbuf[16384];
    size_t rpos, rlen;
} eb_conn_t;

void eb_conn_init(eb_conn_t *c, int fd);
/* Connect to HOST:PORT (name or address) within TIMEOUT_MS. */
int eb_conn_dial(eb_conn_t *c, const char *host, const char *port, int timeout_ms, eb_error_t *err);
/* Client TLS on a connected conn, the handshake bounded by C->timeout_ms
 * (10 s when none): verify against CTX's trust, and
 * SERVERNAME (the host name or IP the certificate must carry). */
int eb_conn_tls_client(eb_conn_t *c, SSL_CTX *ctx, const char *servername, eb_error_t *err);
int eb_conn_tls_server(eb_conn_t *c, SSL_CTX *ctx, eb_error_t *err);
/* >0 bytes, 0 at EOF, -1 with errno (ETIMEDOUT after timeout_ms). */
ssize_t eb_conn_read(eb_conn_t *c, void *buf, size_t n);
/* Read more into the buffer, keeping what is unread: >0, 0 at EOF, -1
 * with errno (EMSGSIZE when the buffer is full). */
ssize_t eb_conn_read_more(eb_conn_t *c);
/* Bytes already buffered (by us or by TLS): a read won't block. */
int eb_conn_pending(const eb_conn_t *c);
int eb_conn_write(eb_conn_t *c, const void *buf, size_t n);
void eb_conn_close(eb_conn_t *c);
/* A listening TCP socket on HOST:PORT ("[::1]:80", ":8080"): the fd, or -1. */
int eb_conn_listen(const char *addr, eb_error_t *err);

#endif
