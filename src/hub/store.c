/* store.c - the SQLite cache. */
#include "hub/store.h"
#include "kube/selector.h"
#include "common/util.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum {
    ST_PUT, ST_DEL, ST_GET, ST_SCAN_ALL, ST_SCAN_NS, ST_SCAN_NODE, ST_SCAN_NS_NODE,
    ST_GET_RV, ST_LIST_REC, ST_RV_GET, ST_RV_SET, ST_KIND_SET, ST_ORPHANS, ST_LISTS, ST_RAW_PUT, ST_RAW_GET, ST_COUNT,
    ST_GONE_SET, ST_GONE_DEL, ST_GONE_GET,
    ST_N
};

static const char *const sql[ST_N] = {
    [ST_PUT] = "INSERT OR REPLACE INTO objects(comp,res,fmt,ns,name,rv,kind,apiv,created,labels,fields,node,data)"
               " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
    [ST_DEL] = "DELETE FROM objects WHERE comp=?1 AND res=?2 AND fmt=?3 AND ns=?4 AND name=?5",
    [ST_GET] = "SELECT ns,name,rv,kind,apiv,created,labels,fields,data FROM objects"
               " WHERE comp=?1 AND res=?2 AND fmt=?3 AND ns=?4 AND name=?5",
    [ST_SCAN_ALL] = "SELECT ns,name,rv,kind,apiv,created,labels,fields,data FROM objects"
                    " WHERE comp=?1 AND res=?2 AND fmt=?3 ORDER BY ns,name",
    [ST_SCAN_NS] = "SELECT ns,name,rv,kind,apiv,created,labels,fields,data FROM objects"
                   " WHERE comp=?1 AND res=?2 AND fmt=?3 AND ns=?4 ORDER BY ns,name",
    [ST_SCAN_NODE] = "SELECT ns,name,rv,kind,apiv,created,labels,fields,data FROM objects INDEXED BY objects_node"
                     " WHERE comp=?1 AND res=?2 AND fmt=?3 AND node=?5 ORDER BY ns,name",
    [ST_SCAN_NS_NODE] = "SELECT ns,name,rv,kind,apiv,created,labels,fields,data FROM objects"
                        " WHERE comp=?1 AND res=?2 AND fmt=?3 AND ns=?4 AND node=?5 ORDER BY ns,name",
    [ST_GET_RV] = "SELECT rv FROM objects WHERE comp=?1 AND res=?2 AND fmt=?3 AND ns=?4 AND name=?5",
    [ST_LIST_REC] = "INSERT OR REPLACE INTO lists(comp,res,fmt,ns,lsel,fsel,rv) VALUES(?1,?2,?3,?4,?5,?6,?7)",
    [ST_RV_GET] = "SELECT rv, kind, apiv FROM res_meta WHERE comp=?1 AND res=?2 AND fmt=?3",
    [ST_RV_SET] = "INSERT INTO res_meta(comp,res,fmt,rv) VALUES(?1,?2,?3,?4)"
                  " ON CONFLICT(comp,res,fmt) DO UPDATE SET rv=excluded.rv",
    [ST_KIND_SET] = "INSERT INTO res_meta(comp,res,fmt,kind,apiv) VALUES(?1,?2,?3,?4,?5)"
                    " ON CONFLICT(comp,res,fmt) DO UPDATE SET kind=excluded.kind, apiv=excluded.apiv",
    [ST_ORPHANS] = "SELECT comp,res,fmt,ns,name FROM objects o WHERE NOT EXISTS"
                   " (SELECT 1 FROM lists l WHERE l.comp=o.comp AND l.res=o.res AND l.fmt=o.fmt)"
                   " UNION SELECT comp,res,fmt,ns,name FROM gone",
    [ST_LISTS] = "SELECT comp,res,fmt,ns,lsel,fsel FROM lists ORDER BY comp,res",
    [ST_RAW_PUT] = "INSERT OR REPLACE INTO raw(comp,key,ctype,body) VALUES(?1,?2,?3,?4)",
    [ST_RAW_GET] = "SELECT ctype,body FROM raw WHERE comp=?1 AND key=?2",
    [ST_COUNT] = "SELECT count(*) FROM objects",
    [ST_GONE_SET] = "INSERT OR REPLACE INTO gone(comp,res,fmt,ns,name) VALUES(?1,?2,?3,?4,?5)",
    [ST_GONE_DEL] = "DELETE FROM gone WHERE comp=?1 AND res=?2 AND fmt=?3 AND ns=?4 AND name=?5",
    [ST_GONE_GET] = "SELECT 1 FROM gone WHERE comp=?1 AND res=?2 AND fmt=?3 AND ns=?4 AND name=?5",
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS objects(comp TEXT NOT NULL, res TEXT NOT NULL, fmt INTEGER NOT NULL,"
    " ns TEXT NOT NULL, name TEXT NOT NULL, rv TEXT, kind TEXT, apiv TEXT, created TEXT,"
    " labels TEXT, fields TEXT, node TEXT, data BLOB NOT NULL,"
    " PRIMARY KEY(comp,res,fmt,ns,name)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS objects_node ON objects(comp,res,fmt,node);"
    "CREATE TABLE IF NOT EXISTS lists(comp TEXT NOT NULL, res TEXT NOT NULL, fmt INTEGER NOT NULL,"
    " ns TEXT NOT NULL, lsel TEXT NOT NULL, fsel TEXT NOT NULL, rv TEXT,"
    " PRIMARY KEY(comp,res,fmt,ns,lsel,fsel));"
    "CREATE TABLE IF NOT EXISTS res_meta(comp TEXT NOT NULL, res TEXT NOT NULL, fmt INTEGER NOT NULL,"
    " rv TEXT, kind TEXT, apiv TEXT,"
    " PRIMARY KEY(comp,res,fmt));"
    "CREATE TABLE IF NOT EXISTS raw(comp TEXT NOT NULL, key TEXT NOT NULL, ctype TEXT, body BLOB,"
    " PRIMARY KEY(comp,key));"
    /* objects the apiserver last answered 404 for: a GET of one offline is
     * a 404 as it was, not a 503 (kubelet retries a 503 forever) */
    "CREATE TABLE IF NOT EXISTS gone(comp TEXT NOT NULL, res TEXT NOT NULL, fmt INTEGER NOT NULL,"
    " ns TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY(comp,res,fmt,ns,name)) WITHOUT ROWID;";

struct eb_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_N];
    pthread_mutex_t lock;
};

static int db_error(eb_store_t *s, eb_error_t *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    int e = code == SQLITE_FULL ? ENOSPC : code == SQLITE_IOERR ? EIO : code == SQLITE_READONLY ? EROFS : EIO;

    return eb_error_set(err, e, "cache store: %s: %s", what, sqlite3_errmsg(s->db));
}

int eb_store_open(const char *path, eb_store_t **out, eb_error_t *err)
{
    eb_store_t *s = eb_xcalloc(1, sizeof(*s));
    char *msg = NULL;
    int i;

    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        eb_error_set(err, EIO, "open cache %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        eb_error_set(err, EIO, "cache %s: %s", path, msg ? msg : "schema");
        sqlite3_free(msg);
        goto fail;
    }
    /* Bound the page cache: the cache file may be large, our RSS not. */
    sqlite3_exec(s->db, "PRAGMA cache_size=-4096; PRAGMA temp_store=MEMORY;", NULL, NULL, NULL);
    for (i = 0; i < ST_N; i++)
        if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
            eb_error_set(err, EIO, "cache %s: prepare: %s", path, sqlite3_errmsg(s->db));
            goto fail;
        }
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return 0;
fail:
    for (i = 0; i < ST_N; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s);
    return -1;
}

void eb_store_close(eb_store_t *s)
{
    int i;

    if (!s)
        return;
    for (i = 0; i < ST_N; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static sqlite3_stmt *stmt(eb_store_t *s, int which, const eb_scope_t *sc)
{
    sqlite3_stmt *st = s->st[which];

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (sc) {
        sqlite3_bind_text(st, 1, sc->comp, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, sc->res, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, (int) sc->fmt);
    }
    return st;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

static int set_kind_locked(eb_store_t *s, const eb_scope_t *sc, const char *kind, const char *apiv, eb_error_t *err)
{
    sqlite3_stmt *st = stmt(s, ST_KIND_SET, sc);

    sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, apiv ? apiv : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(s, err, "store kind");
    return 0;
}

static int put_locked(eb_store_t *s, const eb_scope_t *sc, const eb_put_t *p, eb_error_t *err)
{
    sqlite3_stmt *st = stmt(s, ST_PUT, sc);
    json_object *node = NULL;

    json_object_object_get_ex(p->obj.fields, "spec.nodeName", &node);
    sqlite3_bind_text(st, 4, nz(p->obj.ns), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, p->obj.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, nz(p->obj.rv), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, nz(p->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, nz(p->apiv), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, nz(p->obj.created), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, json_object_to_json_string_ext(p->obj.labels, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 11, json_object_to_json_string_ext(p->obj.fields, JSON_C_TO_STRING_PLAIN), -1, SQLITE_TRANSIENT);
    if (node)
        sqlite3_bind_text(st, 12, json_object_get_string(node), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 13, p->data, (int) p->len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(s, err, "store object");
    return 0;
}

static int begin(eb_store_t *s, eb_error_t *err)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, err, "begin");
    return 0;
}

static int finish(eb_store_t *s, int ok, eb_error_t *err)
{
    if (ok && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    if (ok)
        db_error(s, err, "commit");
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static int set_rv_locked(eb_store_t *s, const eb_scope_t *sc, const char *rv, eb_error_t *err)
{
    sqlite3_stmt *st = stmt(s, ST_RV_GET, sc);
    int newer = 1;

    if (!rv || !rv[0])
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        newer = eb_rv_newer(rv, (const char *) sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (!newer)
        return 0;
    st = stmt(s, ST_RV_SET, sc);
    sqlite3_bind_text(st, 4, rv, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(s, err, "store resourceVersion");
    return 0;
}

/* Is this exact version already stored?  kubelet re-reads the same
 * objects all the time: no write transaction for those. */
static int unchanged_locked(eb_store_t *s, const eb_scope_t *sc, const eb_put_t *p)
{
    sqlite3_stmt *st = stmt(s, ST_GET_RV, sc);
    int same = 0;

    if (!p->obj.rv || !p->obj.rv[0])
        return 0;
    sqlite3_bind_text(st, 4, nz(p->obj.ns), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, p->obj.name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        same = strcmp((const char *) sqlite3_column_text(st, 0), p->obj.rv) == 0;
    sqlite3_reset(st);
    return same;
}

int eb_store_put(eb_store_t *s, const eb_scope_t *sc, const eb_put_t *objs, size_t n, eb_error_t *err)
{
    size_t i;
    int ok = 1;

    pthread_mutex_lock(&s->lock);
    if (n == 1 && unchanged_locked(s, sc, &objs[0])) {
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    if (begin(s, err) < 0) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    for (i = 0; ok && i < n; i++)
        ok = put_locked(s, sc, &objs[i], err) == 0 && set_rv_locked(s, sc, objs[i].obj.rv, err) == 0;
    if (ok && n && objs[0].kind && objs[0].kind[0])
        ok = set_kind_locked(s, sc, objs[0].kind, objs[0].apiv, err) == 0;
    ok = finish(s, ok, err) == 0;
    pthread_mutex_unlock(&s->lock);
    return ok ? 0 : -1;
}

/* One statement on one object's key: 0, or -1 with WHAT failing. */
static int step_key(eb_store_t *s, int which, const eb_scope_t *sc, const char *ns, const char *name,
                    const char *what, eb_error_t *err)
{
    sqlite3_stmt *st = stmt(s, which, sc);
    int ret = 0;

    sqlite3_bind_text(st, 4, nz(ns), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        ret = db_error(s, err, what);
    sqlite3_reset(st);
    return ret;
}

int eb_store_delete(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *name, eb_error_t *err)
{
    int ret;

    pthread_mutex_lock(&s->lock);
    ret = step_key(s, ST_DEL, sc, ns, name, "delete object", err);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int eb_store_set_gone(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *name, int gone,
                      eb_error_t *err)
{
    int ret;

    pthread_mutex_lock(&s->lock);
    if (!gone) {
        ret = step_key(s, ST_GONE_DEL, sc, ns, name, "forget a deleted object", err);
    } else if ((ret = begin(s, err)) == 0) {
        ret = step_key(s, ST_DEL, sc, ns, name, "delete object", err);
        if (ret == 0)
            ret = step_key(s, ST_GONE_SET, sc, ns, name, "record a deleted object", err);
        ret = finish(s, ret == 0, err);
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int eb_store_is_gone(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *name)
{
    sqlite3_stmt *st;
    int gone;

    pthread_mutex_lock(&s->lock);
    st = stmt(s, ST_GONE_GET, sc);
    sqlite3_bind_text(st, 4, nz(ns), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
    gone = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->lock);
    return gone;
}

static int record_locked(eb_store_t *s, const eb_scope_t *sc, const eb_list_query_t *q, const char *rv, eb_error_t *err)
{
    sqlite3_stmt *st = stmt(s, ST_LIST_REC, sc);

    sqlite3_bind_text(st, 4, nz(q->ns), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, nz(q->lsel), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, nz(q->fsel), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, nz(rv), -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(s, err, "record list");
    return set_rv_locked(s, sc, rv, err);
}

int eb_store_record_list(eb_store_t *s, const eb_scope_t *sc, const eb_list_query_t *q, const char *rv, eb_error_t *err)
{
    int ret;

    pthread_mutex_lock(&s->lock);
    ret = record_locked(s, sc, q, rv, err);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

/* Objects in Q's namespace matching its selectors, that are not in KEEP. */
static int drop_stale_locked(eb_store_t *s, const eb_scope_t *sc, const eb_list_query_t *q,
                             const eb_put_t *keep, size_t n, eb_error_t *err)
{
    eb_selector_t ls, fs;
    sqlite3_stmt *st;
    char **gone = NULL;
    size_t ngone = 0, i;
    int rc, ret = 0;

    if (eb_label_selector_parse(q->lsel, &ls, err) < 0)
        return -1;
    if (eb_field_selector_parse(q->fsel, NULL, &fs, err) < 0) {
        eb_selector_free(&ls);
        return -1;
    }
    /* a hash set of what stays: lists can hold thousands of objects */
    json_object *kept_set = json_object_new_object();
    for (i = 0; i < n; i++) {
        char *k = eb_strdup_printf("%s/%s", nz(keep[i].obj.ns), keep[i].obj.name);
        json_object_object_add(kept_set, k, NULL);
        free(k);
    }
    st = stmt(s, q->ns && q->ns[0] ? ST_SCAN_NS : ST_SCAN_ALL, sc);
    if (q->ns && q->ns[0])
        sqlite3_bind_text(st, 4, q->ns, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *ns = (const char *) sqlite3_column_text(st, 0), *name = (const char *) sqlite3_column_text(st, 1);
        json_object *labels = json_tokener_parse((const char *) sqlite3_column_text(st, 6));
        json_object *fields = json_tokener_parse((const char *) sqlite3_column_text(st, 7));
        int match = eb_selector_match(&ls, labels) && eb_selector_match(&fs, fields), kept = 0;

        json_object_put(labels);
        json_object_put(fields);
        if (match) {
            char *k = eb_strdup_printf("%s/%s", ns, name);
            kept = json_object_object_get_ex(kept_set, k, NULL);
            free(k);
        }
        if (match && !kept) {
            gone = eb_xrealloc(gone, (ngone + 1) * 2 * sizeof(char *));
            gone[ngone * 2] = eb_xstrdup(ns);
            gone[ngone * 2 + 1] = eb_xstrdup(name);
            ngone++;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        ret = db_error(s, err, "scan for stale objects");
    for (i = 0; i < ngone; i++) {
        if (!ret) {
            st = stmt(s, ST_DEL, sc);
            sqlite3_bind_text(st, 4, gone[i * 2], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, gone[i * 2 + 1], -1, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                ret = db_error(s, err, "delete stale object");
            sqlite3_reset(st);
        }
        free(gone[i * 2]);
        free(gone[i * 2 + 1]);
    }
    free(gone);
    json_object_put(kept_set);
    eb_selector_free(&ls);
    eb_selector_free(&fs);
    return ret;
}

int eb_store_replace(eb_store_t *s, const eb_scope_t *sc, const eb_list_query_t *q, const char *rv,
                     const eb_put_t *objs, size_t n, eb_error_t *err)
{
    size_t i;
    int ok;

    pthread_mutex_lock(&s->lock);
    if (begin(s, err) < 0) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    ok = drop_stale_locked(s, sc, q, objs, n, err) == 0;
    for (i = 0; ok && i < n; i++)
        ok = put_locked(s, sc, &objs[i], err) == 0;
    if (ok && n && objs[0].kind && objs[0].kind[0])
        ok = set_kind_locked(s, sc, objs[0].kind, objs[0].apiv, err) == 0;
    ok = ok && record_locked(s, sc, q, rv, err) == 0;
    ok = finish(s, ok, err) == 0;
    pthread_mutex_unlock(&s->lock);
    return ok ? 0 : -1;
}

char *eb_store_rv(eb_store_t *s, const eb_scope_t *sc, char **kind, char **apiv)
{
    sqlite3_stmt *st;
    char *rv = NULL;

    if (kind)
        *kind = NULL;
    if (apiv)
        *apiv = NULL;
    pthread_mutex_lock(&s->lock);
    st = stmt(s, ST_RV_GET, sc);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *) sqlite3_column_text(st, 0);
        rv = v ? eb_xstrdup(v) : NULL;
        if (kind && (v = (const char *) sqlite3_column_text(st, 1)))
            *kind = eb_xstrdup(v);
        if (apiv && (v = (const char *) sqlite3_column_text(st, 2)))
            *apiv = eb_xstrdup(v);
    }
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->lock);
    return rv;
}

int eb_store_set_rv(eb_store_t *s, const eb_scope_t *sc, const char *rv, eb_error_t *err)
{
    int ret;

    pthread_mutex_lock(&s->lock);
    ret = set_rv_locked(s, sc, rv, err);
    sqlite3_reset(s->st[ST_RV_SET]);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static void fill_row(sqlite3_stmt *st, eb_row_t *r)
{
    r->ns = (const char *) sqlite3_column_text(st, 0);
    r->name = (const char *) sqlite3_column_text(st, 1);
    r->rv = (const char *) sqlite3_column_text(st, 2);
    r->kind = (const char *) sqlite3_column_text(st, 3);
    r->apiv = (const char *) sqlite3_column_text(st, 4);
    r->created = (const char *) sqlite3_column_text(st, 5);
    r->labels = (const char *) sqlite3_column_text(st, 6);
    r->fields = (const char *) sqlite3_column_text(st, 7);
    r->data = sqlite3_column_blob(st, 8);
    r->len = (size_t) sqlite3_column_bytes(st, 8);
}

int eb_store_get(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *name,
                 int (*cb)(const eb_row_t *, void *), void *arg, eb_error_t *err)
{
    sqlite3_stmt *st;
    eb_row_t row;
    int rc, ret;

    pthread_mutex_lock(&s->lock);
    st = stmt(s, ST_GET, sc);
    sqlite3_bind_text(st, 4, nz(ns), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        fill_row(st, &row);
        ret = cb(&row, arg) < 0 ? -1 : 1;
    } else {
        ret = rc == SQLITE_DONE ? 0 : db_error(s, err, "read object");
    }
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int eb_store_scan(eb_store_t *s, const eb_scope_t *sc, const char *ns, const char *node,
                  int (*cb)(const eb_row_t *, void *), void *arg, eb_error_t *err)
{
    int which = ns && ns[0] ? (node ? ST_SCAN_NS_NODE : ST_SCAN_NS) : (node ? ST_SCAN_NODE : ST_SCAN_ALL);
    sqlite3_stmt *st;
    eb_row_t row;
    int rc, ret = 0;

    pthread_mutex_lock(&s->lock);
    st = stmt(s, which, sc);
    if (ns && ns[0])
        sqlite3_bind_text(st, 4, ns, -1, SQLITE_STATIC);
    if (node)
        sqlite3_bind_text(st, 5, node, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fill_row(st, &row);
        if (cb(&row, arg) < 0) {
            ret = -1;
            break;
        }
    }
    if (!ret && rc != SQLITE_DONE)
        ret = db_error(s, err, "scan objects");
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int eb_store_list_covers(eb_store_t *s, const eb_scope_t *sc, const eb_list_query_t *q)
{
    sqlite3_stmt *st;
    int covered = 0;

    pthread_mutex_lock(&s->lock);
    st = s->st[ST_LISTS];
    sqlite3_reset(st);
    while (!covered && sqlite3_step(st) == SQLITE_ROW) {
        const char *ns = (const char *) sqlite3_column_text(st, 3);
        const char *ls = (const char *) sqlite3_column_text(st, 4), *fs = (const char *) sqlite3_column_text(st, 5);
        if (strcmp((const char *) sqlite3_column_text(st, 0), sc->comp) != 0
            || strcmp((const char *) sqlite3_column_text(st, 1), sc->res) != 0
            || sqlite3_column_int(st, 2) != (int) sc->fmt)
            continue;
        if (ns[0] && strcmp(ns, nz(q->ns)) != 0)
            continue;
        covered = (!ls[0] && !fs[0]) || (strcmp(ls, nz(q->lsel)) == 0 && strcmp(fs, nz(q->fsel)) == 0);
    }
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->lock);
    return covered;
}

int eb_store_lists(eb_store_t *s, eb_list_rec_t **out, size_t *n, eb_error_t *err)
{
    sqlite3_stmt *st;
    int rc;

    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&s->lock);
    st = s->st[ST_LISTS];
    sqlite3_reset(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        eb_list_rec_t *r;
        *out = eb_xrealloc(*out, (*n + 1) * sizeof(**out));
        r = &(*out)[(*n)++];
        r->comp = eb_xstrdup((const char *) sqlite3_column_text(st, 0));
        r->res = eb_xstrdup((const char *) sqlite3_column_text(st, 1));
        r->fmt = (enum eb_fmt) sqlite3_column_int(st, 2);
        r->q.ns = eb_xstrdup((const char *) sqlite3_column_text(st, 3));
        r->q.lsel = eb_xstrdup((const char *) sqlite3_column_text(st, 4));
        r->q.fsel = eb_xstrdup((const char *) sqlite3_column_text(st, 5));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        db_error(s, err, "read list records");
    pthread_mutex_unlock(&s->lock);
    return rc == SQLITE_DONE ? 0 : -1;
}

void eb_list_recs_free(eb_list_rec_t *r, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(r[i].comp);
        free(r[i].res);
        free(r[i].q.ns);
        free(r[i].q.lsel);
        free(r[i].q.fsel);
    }
    free(r);
}

int eb_store_raw_put(eb_store_t *s, const char *comp, const char *key, const char *ctype,
                     const void *body, size_t len, eb_error_t *err)
{
    sqlite3_stmt *st;
    int ret = 0;

    pthread_mutex_lock(&s->lock);
    st = stmt(s, ST_RAW_PUT, NULL);
    sqlite3_bind_text(st, 1, comp, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, nz(ctype), -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, body, (int) len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        ret = db_error(s, err, "store response");
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int eb_store_raw_get(eb_store_t *s, const char *comp, const char *key, char **ctype, void **body, size_t *len)
{
    sqlite3_stmt *st;
    int found = 0;

    pthread_mutex_lock(&s->lock);
    st = stmt(s, ST_RAW_GET, NULL);
    sqlite3_bind_text(st, 1, comp, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *ctype = eb_xstrdup((const char *) sqlite3_column_text(st, 0));
        *len = (size_t) sqlite3_column_bytes(st, 1);
        *body = eb_xcalloc(1, *len + 1);
        memcpy(*body, sqlite3_column_blob(st, 1), *len);
        found = 1;
    }
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->lock);
    return found;
}

long eb_store_count(eb_store_t *s)
{
    sqlite3_stmt *st;
    long n = 0;

    pthread_mutex_lock(&s->lock);
    st = stmt(s, ST_COUNT, NULL);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long) sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->lock);
    return n;
}

int eb_store_orphans(eb_store_t *s, eb_orphan_t **out, size_t *n, eb_error_t *err)
{
    sqlite3_stmt *st;
    int rc;

    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&s->lock);
    st = stmt(s, ST_ORPHANS, NULL);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        eb_orphan_t *o;
        *out = eb_xrealloc(*out, (*n + 1) * sizeof(**out));
        o = &(*out)[(*n)++];
        o->comp = eb_xstrdup((const char *) sqlite3_column_text(st, 0));
        o->res = eb_xstrdup((const char *) sqlite3_column_text(st, 1));
        o->fmt = (enum eb_fmt) sqlite3_column_int(st, 2);
        o->ns = eb_xstrdup((const char *) sqlite3_column_text(st, 3));
        o->name = eb_xstrdup((const char *) sqlite3_column_text(st, 4));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        db_error(s, err, "read cached objects");
    pthread_mutex_unlock(&s->lock);
    return rc == SQLITE_DONE ? 0 : -1;
}

void eb_orphans_free(eb_orphan_t *o, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(o[i].comp);
        free(o[i].res);
        free(o[i].ns);
        free(o[i].name);
    }
    free(o);
}

int eb_store_set_kind(eb_store_t *s, const eb_scope_t *sc, const char *kind, const char *apiv, eb_error_t *err)
{
    int ret;

    pthread_mutex_lock(&s->lock);
    ret = set_kind_locked(s, sc, kind, apiv, err);
    sqlite3_reset(s->st[ST_KIND_SET]);
    pthread_mutex_unlock(&s->lock);
    return ret;
}
