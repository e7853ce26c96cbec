/* queue.c - the work queue between the informers and the worker: a key is
 * queued once however often it changes before the worker gets to it (the
 * worker reads the latest copy anyway), and failed keys come back later. */
#include "ecm/ecm.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void eb_queue_init(eb_queue_t *q)
{
    pthread_condattr_t a;

    memset(q, 0, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    /* waits measured on the monotonic clock, like due_ms */
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&q->more, &a);
    pthread_condattr_destroy(&a);
    q->queued = json_object_new_object();
}

static void free_list(eb_qitem_t *it)
{
    while (it) {
        eb_qitem_t *next = it->next;
        free(it->key);
        free(it);
        it = next;
    }
}

void eb_queue_free(eb_queue_t *q)
{
    free_list(q->head);
    free_list(q->later);
    json_object_put(q->queued);
    pthread_cond_destroy(&q->more);
    pthread_mutex_destroy(&q->lock);
}

void eb_queue_add(eb_queue_t *q, const char *key, int delay_ms)
{
    eb_qitem_t *it;

    pthread_mutex_lock(&q->lock);
    if (q->closed || json_object_object_get_ex(q->queued, key, NULL)) {
        pthread_mutex_unlock(&q->lock);
        return;
    }
    it = eb_xcalloc(1, sizeof(*it));
    it->key = eb_xstrdup(key);
    json_object_object_add(q->queued, key, json_object_new_boolean(1));
    q->len++;
    if (delay_ms > 0) {
        it->due_ms = eb_now_ms() + (uint64_t) delay_ms;
        it->next = q->later;
        q->later = it;
    } else {
        if (q->tail)
            q->tail->next = it;
        else
            q->head = it;
        q->tail = it;
    }
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->lock);
}

/* Move the delayed items that are due to the ready list; the earliest
 * still waiting into *NEXT (0: none). */
static void promote(eb_queue_t *q, uint64_t now, uint64_t *next)
{
    eb_qitem_t **pp = &q->later;

    *next = 0;
    while (*pp) {
        eb_qitem_t *it = *pp;
        if (it->due_ms <= now) {
            *pp = it->next;
            it->next = NULL;
            if (q->tail)
                q->tail->next = it;
            else
                q->head = it;
            q->tail = it;
        } else {
            if (!*next || it->due_ms < *next)
                *next = it->due_ms;
            pp = &it->next;
        }
    }
}

char *eb_queue_take(eb_queue_t *q, int timeout_ms)
{
    uint64_t deadline = eb_now_ms() + (uint64_t) timeout_ms;
    char *key = NULL;

    pthread_mutex_lock(&q->lock);
    while (!q->closed) {
        uint64_t now = eb_now_ms(), next, until;
        struct timespec ts;

        promote(q, now, &next);
        if (q->head) {
            eb_qitem_t *it = q->head;
            q->head = it->next;
            if (!q->head)
                q->tail = NULL;
            key = it->key;
            free(it);
            json_object_object_del(q->queued, key);
            q->len--;
            break;
        }
        if (now >= deadline)
            break;
        until = next && next < deadline ? next : deadline;
        ts = eb_deadline_in(CLOCK_MONOTONIC, until - now);
        pthread_cond_timedwait(&q->more, &q->lock, &ts);
    }
    pthread_mutex_unlock(&q->lock);
    return key;
}

void eb_queue_close(eb_queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->more);
    pthread_mutex_unlock(&q->lock);
}

size_t eb_queue_len(eb_queue_t *q)
{
    size_t n;

    pthread_mutex_lock(&q->lock);
    n = q->len;
    pthread_mutex_unlock(&q->lock);
    return n;
}
