/* capq.c - the cache writer: responses and watch events that fill the
 * cache are queued to one thread that decodes them and writes the store.
 *
 * Why a thread: the decode and the SQLite transaction took 20-30 us per
 * cached GET on the client's thread, between its answer and its next
 * request (bench/RESULTS.md).  Why one: the store then sees captures in
 * the order they arrived, so a GET answered before a watch event cannot
 * overwrite what the event wrote, nor bring back an object it deleted.
 * The queue is bounded in bytes: a producer waits for room rather than
 * dropping (a dropped capture would leave the cache silently stale).
 *
 * Waking the writer for every capture cost each forwarded GET a futex
 * call and a context switch: after emptying the queue the writer naps
 * (CAPQ_NAP_MS) and picks up whatever came meanwhile, and producers wake
 * it only when it sleeps for good.  Under steady traffic nobody wakes
 * anybody; a cache update waits at most one nap, and whoever needs it
 * now (an answer from the cache, SIGTERM) wakes the writer. */
#include "hub/hub.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <malloc.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#define CAPQ_NAP_MS 5

typedef struct capjob {
    struct capjob *next;
    int event;                    /* one watch event, else a whole body */
    const char *comp, *method, *target;   /* in str */
    enum eb_fmt fmt;
    int status;
    eb_buf_t data;
    char str[];
} capjob_t;

struct eb_capq {
    pthread_mutex_t lock;
    pthread_cond_t more, room, done;
    capjob_t *head, **tail;
    size_t bytes, limit;
    unsigned long long queued, applied;
    int stop, asleep;             /* asleep: until woken (not napping) */
    int syncing;                  /* threads in eb_capq_sync */
    pthread_t thread;
};

static void capture_body(eb_hub_t *hub, const char *comp, const eb_kreq_t *r, enum eb_fmt fmt, int status,
                         const eb_buf_t *body)
{
    eb_error_t err = { 0 };

    if (eb_capture_body(hub, comp, r, fmt, status, body->p, body->len, &err) < 0) {
        atomic_fetch_add(&hub->store_errors, 1);
        eb_warn("hub: caching %s for %s: %s", r->path, comp, err.msg);
    }
}

static void apply(eb_hub_t *hub, capjob_t *j)
{
    eb_error_t err = { 0 };
    eb_kreq_t r;

    /* the target was parsed once already: this cannot fail differently */
    if (eb_kreq_parse(j->method, j->target, &r, &err) < 0) {
        eb_kreq_free(&r);
        return;
    }
    if (j->event)
        eb_capture_event(hub, j->comp, &r, j->fmt, j->data.p, j->data.len);
    else
        capture_body(hub, j->comp, &r, j->fmt, j->status, &j->data);
    eb_kreq_free(&r);
}

/* The writer must run now: it may be napping.  (When it is not waiting
 * it is working, and finds the queue non-empty before it naps.) */
static void hurry(struct eb_capq *q)
{
    pthread_cond_signal(&q->more);
}

static void job_free(capjob_t *j)
{
    eb_buf_free(&j->data);
    free(j);
}

/* Wait for work: a nap after work done (captures arriving meanwhile need
 * no wake-up), asleep after an idle nap.  With the lock held. */
static void wait_for_work(struct eb_capq *q, int *worked)
{
    if (*worked) {
        struct timespec until = eb_deadline_in(CLOCK_REALTIME, CAPQ_NAP_MS);
        pthread_cond_timedwait(&q->more, &q->lock, &until);
        *worked = 0;
        return;
    }
    q->asleep = 1;
    while (!q->head && !q->stop)
        pthread_cond_wait(&q->more, &q->lock);
    q->asleep = 0;
}

static void *writer(void *arg)
{
    eb_hub_t *hub = arg;
    struct eb_capq *q = hub->capq;
    int worked = 0;

    pthread_mutex_lock(&q->lock);
    for (;;) {
        capjob_t *j;
        size_t len;

        if (!q->head && !q->stop) {
            wait_for_work(q, &worked);
            continue;
        }
        if (!q->head)
            break;
        j = q->head;
        q->head = j->next;
        if (!q->head)
            q->tail = &q->head;
        pthread_mutex_unlock(&q->lock);
        len = j->data.len;
        apply(hub, j);
        job_free(j);
        if (len > (1 << 20))
            malloc_trim(0);       /* a large list's memory back to the system */
        pthread_mutex_lock(&q->lock);
        worked = 1;
        q->bytes -= len;
        q->applied++;
        pthread_cond_broadcast(&q->room);
        if (q->syncing)
            pthread_cond_broadcast(&q->done);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

int eb_capq_start(eb_hub_t *hub, eb_error_t *err)
{
    struct eb_capq *q = calloc(1, sizeof(*q));
    int rc;

    if (!q)
        return eb_error_set(err, ENOMEM, "cache writer");
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->more, NULL);
    pthread_cond_init(&q->room, NULL);
    pthread_cond_init(&q->done, NULL);
    q->tail = &q->head;
    /* what a single response may hold, so one always fits */
    q->limit = (size_t) hub->cfg.max_body;
    hub->capq = q;
    rc = pthread_create(&q->thread, NULL, writer, hub);
    if (rc != 0) {
        hub->capq = NULL;
        free(q);
        return eb_error_set(err, rc, "start the cache writer");
    }
    return 0;
}

/* Everything queued is written before the writer ends. */
void eb_capq_stop(eb_hub_t *hub)
{
    struct eb_capq *q = hub->capq;

    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stop = 1;
    hurry(q);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
}

static void enqueue(struct eb_capq *q, capjob_t *j)
{
    pthread_mutex_lock(&q->lock);
    while (q->head && q->bytes + j->data.len > q->limit) {
        hurry(q);
        pthread_cond_wait(&q->room, &q->lock);
    }
    *q->tail = j;
    q->tail = &j->next;
    q->bytes += j->data.len;
    q->queued++;
    if (q->asleep)
        pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->lock);
}

/* One allocation: the job and its strings. */
static capjob_t *job_new(int event, const char *comp, const char *method, const char *target, enum eb_fmt fmt,
                         int status)
{
    size_t cl = strlen(comp) + 1, ml = strlen(method) + 1, tl = strlen(target) + 1;
    capjob_t *j = eb_xcalloc(1, sizeof(*j) + cl + ml + tl);
    char *p = j->str;

    j->comp = memcpy(p, comp, cl);
    j->method = memcpy(p += cl, method, ml);
    j->target = memcpy(p += ml, target, tl);
    j->event = event;
    j->fmt = fmt;
    j->status = status;
    return j;
}

void eb_capq_body(eb_hub_t *hub, const char *comp, const char *method, const char *target, const eb_kreq_t *r,
                  enum eb_fmt fmt, int status, eb_buf_t *body)
{
    capjob_t *j;

    if (!hub->capq) {
        capture_body(hub, comp, r, fmt, status, body);
        return;
    }
    j = job_new(0, comp, method, target, fmt, status);
    j->data = *body;              /* taken over: no copy of a large list */
    j->data.limit = 0;
    *body = (eb_buf_t) { .limit = body->limit };
    enqueue(hub->capq, j);
}

void eb_capq_event(eb_watch_capture_t *w, const void *data, size_t len)
{
    capjob_t *j;

    if (!w->hub->capq) {
        eb_capture_event(w->hub, w->comp, w->r, w->fmt, data, len);
        return;
    }
    j = job_new(1, w->comp, w->method, w->target, w->fmt, 200);
    eb_buf_add(&j->data, data, len);
    enqueue(w->hub->capq, j);
}

void eb_capq_sync(eb_hub_t *hub)
{
    struct eb_capq *q = hub->capq;
    unsigned long long upto;

    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    upto = q->queued;
    q->syncing++;
    if (q->applied < upto)
        hurry(q);
    while (q->applied < upto)
        pthread_cond_wait(&q->done, &q->lock);
    q->syncing--;
    pthread_mutex_unlock(&q->lock);
}
