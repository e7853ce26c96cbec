/* store.h - the hub's on-disk cache: one row per object per component and
 * format, the list queries each component made (what an offline list may
 * be answered from, and what to refresh on reconnect), the newest
 * resourceVersion seen per resource, and raw responses (discovery).
 *
 * SQLite in WAL mode with synchronous=NORMAL: every change is one
 * transaction, so a SIGKILL leaves the last committed state; a full disk
 * fails the write with a clear error and nothing else. */
#ifndef EB_HUB_STORE_H
#define EB_HUB_STORE_H

#include "common/error.h"
#include "kube/object.h"

#include <stddef.h>

enum eb_fmt { EB_FMT_JSON = 0, EB_FMT_PB = 1 };

typedef struct eb_store eb_store_t;

/* Where one resource of one component lives. */
typedef struct eb_scope {
    const char *comp, *res;
    enum eb_fmt fmt;
} eb_scope_t;

/* One cached object as a list/get answer needs it. */
typedef struct eb_row {
    const char *ns, *name, *rv, *kind, *apiv, *created;
    const char *labels, *fields;  /* JSON text */
    const void *data;
    size_t len;
} eb_row_t;

typedef struct eb_list_query {
    char *ns, *lsel, *fsel;       /* "" when absent */
} eb_list_query_t;

int eb_store_open(const char *path, eb_store_t **out, eb_error_t *err);
void eb_store_close(eb_store_t *s);

/* Objects to write in one transaction (a list page, or one watch event). */
typedef struct eb_put {
    eb_kobj_t obj;
    const char *kind, *apiv;
    const void *data;
    size_t len;
} eb_put_t;

int eb_store_put(eb_store_t *s, const eb_scope_t *sc, const eb_put_t *objs, size_t n, eb_error_t *err);
int eb_store_delete(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *name, eb_error_t *err);
/* GONE: the apiserver answered 404 for the object: drop it and remember
 * that it is gone (offline GETs of it are a 404); 0: forget that. */
int eb_store_set_gone(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *name, int gone,
                      eb_error_t *err);
int eb_store_is_gone(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *name);
/* A complete list answer: store OBJS, drop every object in the query's
 * namespace that matches its selectors but is not among them, record the
 * query and its resourceVersion. */
int eb_store_replace(eb_store_t *s, const eb_scope_t *sc, const eb_list_query_t *q, const char *rv,
                     const eb_put_t *objs, size_t n, eb_error_t *err);
/* Record a list query only (a paginated list: objects went in per page). */
int eb_store_record_list(eb_store_t *s, const eb_scope_t *sc, const eb_list_query_t *q, const char *rv, eb_error_t *err);
/* The newest resourceVersion known for the scope (NULL when none), and
 * the kind/apiVersion of its objects (KIND, APIV may be NULL). */
char *eb_store_rv(eb_store_t *s, const eb_scope_t *sc, char **kind, char **apiv);
int eb_store_set_rv(eb_store_t *s, const eb_scope_t *sc, const char *rv, eb_error_t *err);
int eb_store_set_kind(eb_store_t *s, const eb_scope_t *sc, const char *kind, const char *apiv, eb_error_t *err);

/* 1 and the row to CB (valid during the call), 0 when absent, -1 error. */
int eb_store_get(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *name,
                 int (*cb)(const eb_row_t *, void *), void *arg, eb_error_t *err);
/* Every object of the scope in NS ("" = all), optionally only those on
 * NODE (pods' spec.nodeName), in (namespace, name) order. */
int eb_store_scan(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *node,
                  int (*cb)(const eb_row_t *, void *), void *arg, eb_error_t *err);
/* Was a list made that answers Q (same selectors, or none, over a
 * namespace that contains Q's)? */
int eb_store_list_covers(eb_store_t *s, const eb_scope_t *sc, const eb_list_query_t *q);

/* Every recorded list, for the refresh after reconnecting. */
typedef struct eb_list_rec {
    char *comp, *res;
    enum eb_fmt fmt;
    eb_list_query_t q;
} eb_list_rec_t;
int eb_store_lists(eb_store_t *s, eb_list_rec_t **out, size_t *n, eb_error_t *err);
void eb_list_recs_free(eb_list_rec_t *r, size_t n);

int eb_store_raw_put(eb_store_t *s, const char *comp, const char *key, const char *ctype,
                     const void *body, size_t len, eb_error_t *err);
/* 1 and malloc'd CTYPE/BODY, 0 when absent. */
int eb_store_raw_get(eb_store_t *s, const char *comp, const char *key, char **ctype, void **body, size_t *len);

long eb_store_count(eb_store_t *s);

/* Cached objects no recorded list covers (fetched one by one: GETs), and
 * those known gone, to re-read after reconnecting. */
typedef struct eb_orphan {
    char *comp, *res, *ns, *name;
    enum eb_fmt fmt;
} eb_orphan_t;
int eb_store_orphans(eb_store_t *s, eb_orphan_t **out, size_t *n, eb_error_t *err);
void eb_orphans_free(eb_orphan_t *o, size_t n);

#endif
