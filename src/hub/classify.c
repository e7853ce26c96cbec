/* classify.c - what the hub makes of a client's request: the component it
 * caches for (from the User-Agent), whether the answer fills the object
 * cache or the raw cache of discovery documents, and the raw cache's key.
 *
 * Both the forwarding path (proxy.c, which fills the cache) and the
 * offline path (serve.c, which answers from it) ask these questions; the
 * answers live here so that neither has to reach into the other. */
#include "hub/hub.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

char *eb_hub_component(const eb_hub_t *hub, const eb_http_head_t *h)
{
    const char *ua = eb_http_header(h, "User-Agent"), *p;
    size_t n;

    if (!ua || !ua[0])
        return NULL;
    n = strcspn(ua, "/ ");
    if (!n || n > 64)
        return NULL;
    if (strcmp(hub->cfg.agents, "*") == 0)
        return strndup(ua, n);
    for (p = hub->cfg.agents; *p;) {
        size_t m = strcspn(p, ",");
        if (m == n && strncmp(p, ua, n) == 0)
            return strndup(ua, n);
        p += m;
        if (*p == ',')
            p++;
    }
    return NULL;
}

int eb_hub_cacheable(const eb_kreq_t *r, const char *comp)
{
    return comp && eb_kverb_is_read(r->verb) && !r->sub && r->resource;
}

/* Discovery and version documents: kept per component and Accept. */
int eb_hub_raw_cacheable(const eb_http_head_t *h, const eb_kreq_t *r, const char *comp)
{
    const char *p = r->path;

    if (!comp || strcmp(h->method, "GET") != 0 || r->verb != EB_KV_OTHER || r->resource)
        return 0;
    return strcmp(p, "/api") == 0 || strcmp(p, "/apis") == 0 || strncmp(p, "/api/", 5) == 0
           || strncmp(p, "/apis/", 6) == 0 || strcmp(p, "/version") == 0 || strncmp(p, "/openapi/", 9) == 0;
}

/* Keyed by what changes the answer: the path, the query without the
 * client's own deadline (kubectl sends ?timeout=32s, or its
 * --request-timeout), and the Accept header. */
char *eb_hub_raw_key(const eb_http_head_t *h)
{
    const char *acc = eb_http_header(h, "Accept"), *q = strchr(h->target, '?');
    eb_buf_t key = { 0 };
    char sep = '?';

    eb_buf_add(&key, h->target, q ? (size_t) (q - h->target) : strlen(h->target));
    while (q && *q) {
        size_t n = strcspn(++q, "&");
        int deadline = n >= 7 && strncmp(q, "timeout", 7) == 0 && (n == 7 || q[7] == '=');
        if (n && !deadline) {
            eb_buf_printf(&key, "%c%.*s", sep, (int) n, q);
            sep = '&';
        }
        q += n;
    }
    eb_buf_cat(&key, "\n", acc ? acc : "", NULL);
    eb_buf_str(&key);
    return key.p;
}
