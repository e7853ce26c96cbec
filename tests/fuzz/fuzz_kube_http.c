/* fuzz_kube_http.c - libFuzzer target for what a client or the apiserver
 * sends the hub: an HTTP head (request or response), its body framing
 * (chunked included), request classification and its query. */
#include "kube/http.h"
#include "kube/request.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static eb_conn_t c;
    eb_http_head_t h;
    eb_error_t err = { 0 };
    eb_buf_t body = { .limit = 1 << 16 };
    eb_body_t b;
    int request;

    if (size < 1)
        return 0;
    request = data[0] & 1;
    data++, size--;
    if (size > sizeof(c.rbuf))
        size = sizeof(c.rbuf);
    eb_conn_init(&c, -1);      /* no socket: the buffer is all the peer sent */
    memcpy(c.rbuf, data, size);
    c.rlen = size;
    if (eb_http_read_head(&c, request, &h, &err) == 0) {
        if ((request ? eb_body_init_request(&b, &h) : eb_body_init_response(&b, &h, "GET")) == 0)
            eb_body_read_all(&c, &b, &body, &err);
        if (request) {
            eb_kreq_t r;
            eb_kreq_parse(h.method, h.target, &r, &err);
            eb_kreq_free(&r);
        }
        eb_http_header_has(&h, "Connection", "upgrade");
    }
    eb_http_head_free(&h);
    eb_buf_free(&body);
    return 0;
}
