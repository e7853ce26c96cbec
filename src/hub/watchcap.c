/* watchcap.c - a watch stream that passes through, cut into its events
 * (JSON lines, or length-prefixed protobuf WatchEvent frames) as the
 * pieces arrive, each event handed to the cache writer.
 *
 * Apart from capture.c because it sits above the writer: capture.c is
 * what the writer calls to decode and store, this is what feeds the
 * writer; with both in one file the two called each other. */
#include "hub/hub.h"
#include "common/log.h"

#include <stdint.h>
#include <string.h>

static void feed_json(eb_watch_capture_t *w)
{
    char *nl;

    while ((nl = memchr(w->pending.p, '\n', w->pending.len))) {
        size_t n = (size_t) (nl - w->pending.p);
        eb_capq_event(w, w->pending.p, n);
        eb_buf_consume(&w->pending, n + 1);
    }
}

static void feed_pb(eb_watch_capture_t *w)
{
    while (w->pending.len >= 4) {
        const uint8_t *p = (const uint8_t *) w->pending.p;
        uint32_t flen = (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];

        if (w->pending.limit && flen > w->pending.limit) {
            w->broken = 1;
            return;
        }
        if (w->pending.len - 4 < flen)
            return;
        eb_capq_event(w, p + 4, flen);
        eb_buf_consume(&w->pending, 4 + (size_t) flen);
    }
}

void eb_watch_capture_feed(eb_watch_capture_t *w, const void *data, size_t len)
{
    if (w->broken || !w->hub)
        return;
    if (eb_buf_add(&w->pending, data, len) < 0) {
        w->broken = 1;     /* an event larger than we keep: stop caching this stream */
        eb_warn("hub: a watch event of %s for %s exceeds the size limit; stream not cached", w->r->res_key, w->comp);
        return;
    }
    if (w->fmt == EB_FMT_PB)
        feed_pb(w);
    else
        feed_json(w);
}

void eb_watch_capture_free(eb_watch_capture_t *w)
{
    eb_buf_free(&w->pending);
}
