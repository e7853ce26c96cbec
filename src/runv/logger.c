/* logger.c - the host writer of a sandbox's in-guest log files.
 *
 * A container that declares log files (io.edgebox.log-files) gets, at
 * create, a record <sandbox dir>/logs/<id>.json naming its host directory
 * and its rotation limits (both from the creating command's environment):
 *
 *   $EDGEBOX_POD_LOG_DIR (default /var/log/edgebox/pods)
 *       /<namespace>_<pod name>_<pod uid>/<container name>/   (CRI annotations)
 *       /<container id>/                                      (without)
 *
 * with one file per guest path: the path without its leading '/', every
 * other '/' and any character outside [A-Za-z0-9._-] turned into '_', and
 * ".log" appended unless it ends so.  A file that reaches
 * $EDGEBOX_POD_LOG_MAX_SIZE bytes (default 10 MiB) is renamed to
 * <file>.1 (older ones shift up to <file>.<MAX_FILES-1>, default 5 files
 * in all) and a new one begins, between two checkpoints.  Lines are in the CRI format
 * (`<RFC 3339 time> stdout F <line>`, P for pieces of lines longer than
 * 16 KiB), as kubelet's collectors expect.
 *
 * The writer is a process of its own, started and restarted by the
 * monitor: a slow disk does not stall the sandbox's channel, and a writer
 * that dies is replaced without losing or doubling a line.  It holds the
 * sandbox's one log stream; after each batch it records, per container,
 * the size of each host file and the offset in each guest file up to the
 * last line written (<id>.offsets, written by rename), and only then
 * grants the credit back.  A new writer truncates the host files to the
 * recorded sizes and subscribes with the recorded offsets: what the old
 * one wrote after its last record is written again, exactly once.  (The
 * records survive the writer's death, not the node's: a node that goes
 * down takes the VM, and the files being followed, with it.)
 *
 * Everything from the guest is checked: container ids must have a record,
 * paths must be plain absolute paths, files and their count are bounded,
 * and a partial line is held to 16 KiB. */
#include "runv/logger.h"
#include "runv/client.h"
#include "spec/cri.h"
#include "spec/log_files.h"
#include "common/buf.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"
#include "proto/ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES (16u << 10)    /* kubelet's maximum CRI log line before splitting */
#define OUTPUTS_MAX 64                /* host files per container */
#define INPUTS_MAX 256                /* guest inodes per container */
#define CONTAINERS_MAX 256
#define COMMIT_BYTES (128u << 10)     /* half the stream window */
#define PENDING_MAX (256u << 10)      /* records gathered per host file before a write */

/* Host files rotate as kubelet's container logs do (containerLogMaxSize,
 * containerLogMaxFiles): a tenant cannot fill the node's disk. */
#define MAX_SIZE_DEFAULT (10u << 20)
#define MAX_FILES_DEFAULT 5

/* The rotation limits, from the environment of the command that created
 * the container (eb_logger_prepare), not of the writer's: a pooled VM's
 * monitor, and so its writer, was started by a filler with the
 * environment of whoever filled the pool. */
/* The bounds, for the environment's values and the record's alike. */
static bool size_ok(uint64_t n) { return n >= 4096; }
static bool files_ok(uint64_t n) { return n >= 2 && n <= 100; }

static void rotation_limits(uint64_t *size, unsigned *files)
{
    const char *v;
    uint64_t n;

    *size = MAX_SIZE_DEFAULT, *files = MAX_FILES_DEFAULT;
    if ((v = getenv("EDGEBOX_POD_LOG_MAX_SIZE")) && eb_parse_u64(v, &n) == 0 && size_ok(n))
        *size = n;
    if ((v = getenv("EDGEBOX_POD_LOG_MAX_FILES")) && eb_parse_u64(v, &n) == 0 && files_ok(n))
        *files = (unsigned) n;
}

typedef struct {
    char *path;                       /* guest path */
    char *file;                       /* the host file */
    int fd;
    uint64_t size;                    /* bytes written to it */
    eb_buf_t pending;                 /* records not written yet (one write per batch) */
    char ts[EB_RFC3339_LEN];          /* the time of the pending records */
    uint8_t part[LINE_MAX_BYTES];     /* the line not ended yet */
    size_t plen;
    int part_from;                    /* index of the input it came from, -1: none */
} output_t;

typedef struct {
    uint32_t file;                    /* the agent's id */
    uint64_t dev, ino;
    uint64_t next;                    /* offset of the next byte expected */
    int out;                          /* index into outputs */
} input_t;

typedef struct {
    char id[256];
    char *dir;
    uint64_t max_size;                /* rotation: bytes per file, files kept */
    unsigned max_files;
    output_t *outputs[OUTPUTS_MAX];
    size_t nout;
    input_t inputs[INPUTS_MAX];
    size_t nin;
    /* checkpointed offsets not matched to an announced input yet */
    json_object *resume;
    bool dirty;
} container_t;

typedef struct {
    const char *dir;                  /* sandbox dir */
    container_t *c[CONTAINERS_MAX];
    size_t n;
} logger_t;

/* ----------------------------------------------------- names, records --- */

/* NAME with anything but [A-Za-z0-9._-] as '_', at most MAX characters
 * (and SIZE - 1); never "", "." or "..". */
static void safe_name(char *out, size_t size, size_t max, const char *name)
{
    size_t i, n = 0;

    for (i = 0; name[i] && n + 1 < size && n < max; i++) {
        char c = name[i];
        out[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
                           || c == '_'
                       ? c
                       : '_';
    }
    out[n] = 0;
    if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, size, "_");
}

static char *logs_dir(const char *sbdir)
{
    return eb_strdup_printf("%s/logs", sbdir);
}

int eb_logger_prepare(const char *sbdir, const char *cid, const eb_spec_t *spec, json_object *req, eb_error_t *err)
{
    const char *value = eb_spec_annotation(spec, EB_ANNOT_LOG_FILES);
    const char *base = getenv("EDGEBOX_POD_LOG_DIR");
    const char *ns = eb_spec_annotation_either(spec, EB_CRI_POD_NAMESPACE, EB_CRIO_POD_NAMESPACE);
    const char *pod = eb_spec_annotation_either(spec, EB_CRI_POD_NAME, EB_CRIO_POD_NAME);
    const char *uid = eb_spec_annotation_either(spec, EB_CRI_POD_UID, EB_CRIO_POD_UID);
    const char *name = eb_spec_annotation_either(spec, EB_CRI_CONTAINER_NAME, EB_CRIO_CONTAINER_NAME);
    _cleanup_free_ char *ldir = logs_dir(sbdir), *out = NULL, *rec = NULL;
    char **pats = NULL;
    size_t n, i;
    json_object *arr, *o;
    int ret;

    if (value == NULL)
        return 0;
    if (eb_log_patterns_parse(value, &pats, &n, err) < 0)
        return -1;
    if (n == 0) {
        eb_log_patterns_free(pats);
        return 0;
    }
    if (base == NULL || base[0] != '/')
        base = EB_POD_LOG_DIR;
    if (ns && pod && uid && name) {
        char a[256], b[256], c[256], d[256];
        /* Kubernetes names and uids: at most 253 characters. */
        safe_name(a, sizeof(a), 253, ns), safe_name(b, sizeof(b), 253, pod), safe_name(c, sizeof(c), 253, uid);
        safe_name(d, sizeof(d), 253, name);
        out = eb_strdup_printf("%s/%s_%s_%s/%s", base, a, b, c, d);
    } else {
        out = eb_strdup_printf("%s/%s", base, cid);
    }
    arr = json_object_new_array();
    for (i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(pats[i]));
    eb_log_patterns_free(pats);
    json_object_object_add(req, "log_files", arr);
    if (mkdir(ldir, 0700) < 0 && errno != EEXIST)
        return eb_error_set(err, errno, "mkdir %s", ldir);
    o = json_object_new_object();
    json_object_object_add(o, "dir", json_object_new_string(out));
    {
        uint64_t size;
        unsigned files;
        rotation_limits(&size, &files);
        json_object_object_add(o, "max_size", json_object_new_int64((int64_t) size));
        json_object_object_add(o, "max_files", json_object_new_int((int) files));
    }
    rec = eb_strdup_printf("%s.json", cid);
    {
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        ret = eb_write_file_atomic(ldir, rec, text, strlen(text), err);
    }
    json_object_put(o);
    return ret;
}

void eb_logger_forget(const char *sbdir, const char *cid)
{
    _cleanup_free_ char *a = eb_strdup_printf("%s/logs/%s.json", sbdir, cid);
    _cleanup_free_ char *b = eb_strdup_printf("%s/logs/%s.offsets", sbdir, cid);
    unlink(a);
    unlink(b);
}

/* ------------------------------------------------------------ outputs --- */

static char *output_name(const char *guest_path)
{
    char name[EB_LOG_PATTERN_MAX + 8];
    size_t n;

    /* NAME_MAX is 255 bytes with ".log" and a rotation suffix ".NN". */
    safe_name(name, sizeof(name) - 4, 255 - 4 - 3, guest_path + 1);
    n = strlen(name);
    if (n < 4 || strcmp(name + n - 4, ".log") != 0)
        strcat(name, ".log");
    return eb_xstrdup(name);
}

static output_t *output_get(container_t *c, const char *path, uint64_t size_hint, bool truncate, int *index)
{
    _cleanup_free_ char *name = NULL, *full = NULL;
    eb_error_t err = { 0 };
    output_t *o;
    struct stat st;
    size_t i;
    int fd;

    for (i = 0; i < c->nout; i++)
        if (strcmp(c->outputs[i]->path, path) == 0) {
            *index = (int) i;
            return c->outputs[i];
        }
    if (c->nout == OUTPUTS_MAX) {
        eb_warn("logs of %s: more than %d files; %s is not written", c->id, OUTPUTS_MAX, path);
        return NULL;
    }
    if (eb_mkdir_p(c->dir, 0755, &err) < 0) {
        eb_warn("logs of %s: %s", c->id, err.msg);
        return NULL;
    }
    name = output_name(path);
    full = eb_strdup_printf("%s/%s", c->dir, name);
    fd = open(full, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0 || fstat(fd, &st) < 0) {
        eb_warn("logs of %s: open %s: %s", c->id, full, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    /* What a writer before us wrote after its last record goes: it is
     * sent again from the recorded offset. */
    if (truncate && (uint64_t) st.st_size > size_hint && ftruncate(fd, (off_t) size_hint) == 0)
        st.st_size = (off_t) size_hint;
    o = eb_xcalloc(1, sizeof(*o));
    o->path = eb_xstrdup(path);
    o->file = eb_steal_ptr(full);
    o->fd = fd;
    o->size = (uint64_t) st.st_size;
    o->part_from = -1;
    lseek(fd, 0, SEEK_END);
    *index = (int) c->nout;
    c->outputs[c->nout++] = o;
    return o;
}

/* Between two checkpoints: the record before says where the old file
 * ended, the one after that the new one is empty.  Dying in between is
 * fine too: a host file shorter than its record is taken as it is. */
static void rotate(container_t *c, output_t *o)
{
    unsigned i;
    int fd;

    for (i = c->max_files - 1; i >= 1; i--) {
        _cleanup_free_ char *from = i == 1 ? eb_xstrdup(o->file) : eb_strdup_printf("%s.%u", o->file, i - 1);
        _cleanup_free_ char *to = eb_strdup_printf("%s.%u", o->file, i);
        if (rename(from, to) < 0 && errno != ENOENT)
            eb_warn("logs of %s: rename %s: %s", c->id, from, strerror(errno));
    }
    fd = open(o->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        eb_warn("logs of %s: open %s: %s", c->id, o->file, strerror(errno));
        return;   /* go on writing the renamed file; tried again next batch */
    }
    close(o->fd);
    o->fd = fd;
    o->size = 0;
    c->dirty = true;
}

/* Write the gathered records in one go. */
static void output_flush(container_t *c, output_t *o)
{
    size_t done = 0;

    while (done < o->pending.len) {
        ssize_t n = write(o->fd, o->pending.p + done, o->pending.len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* A torn record would follow the next ones: cut it off. */
            if (done > 0 && ftruncate(o->fd, (off_t) o->size) == 0)
                lseek(o->fd, 0, SEEK_END);
            eb_warn("logs of %s: write %s: %s", c->id, o->file, n < 0 ? strerror(errno) : "no space written");
            eb_buf_reset(&o->pending);
            return;
        }
        done += (size_t) n;
    }
    o->size += done;
    eb_buf_reset(&o->pending);
}

/* One CRI record: TAG 'F' (a whole line) or 'P' (a piece of a long one),
 * its bytes A then B.  Records gathered together share the time of the
 * first: when the batch came. */
static void emit(container_t *c, output_t *o, char tag, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    char head[EB_RFC3339_LEN + 16];
    int hl;

    if (o->pending.len == 0)
        eb_now_rfc3339(o->ts);
    hl = snprintf(head, sizeof(head), "%s stdout %c ", o->ts, tag);
    eb_buf_add(&o->pending, head, (size_t) hl);
    eb_buf_add(&o->pending, a, alen);
    eb_buf_add(&o->pending, b, blen);
    eb_buf_add(&o->pending, "\n", 1);
    c->dirty = true;
    if (o->pending.len >= PENDING_MAX)
        output_flush(c, o);
}

static void flush_partial(container_t *c, output_t *o)
{
    if (o->plen > 0)
        emit(c, o, 'F', o->part, o->plen, NULL, 0);
    o->plen = 0;
    o->part_from = -1;
}

/* Bytes of input IN at its expected offset: whole lines out, the rest held. */
static void write_bytes(container_t *c, int in, const uint8_t *data, size_t len)
{
    output_t *o = c->outputs[c->inputs[in].out];

    if (o->part_from >= 0 && o->part_from != in)
        flush_partial(c, o);  /* the older file ended without a newline */
    while (len > 0) {
        const uint8_t *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t) (nl - data) : len;

        if (nl == NULL && o->plen + take < LINE_MAX_BYTES) {
            memcpy(o->part + o->plen, data, take);
            o->plen += take;
            o->part_from = in;
            return;
        }
        if (o->plen + take >= LINE_MAX_BYTES && (nl == NULL || o->plen + take > LINE_MAX_BYTES)) {
            size_t piece = LINE_MAX_BYTES - o->plen;
            emit(c, o, 'P', o->part, o->plen, data, piece);
            o->plen = 0;
            o->part_from = -1;
            data += piece, len -= piece;
            continue;
        }
        emit(c, o, 'F', o->part, o->plen, data, take);
        o->plen = 0;
        o->part_from = -1;
        data += take + 1, len -= take + 1;
    }
}

/* --------------------------------------------------------- containers --- */

static container_t *container_find(logger_t *l, const char *id)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (strcmp(l->c[i]->id, id) == 0)
            return l->c[i];
    return NULL;
}

static void container_free(container_t *c)
{
    size_t i;
    for (i = 0; i < c->nout; i++) {
        output_t *o = c->outputs[i];
        output_flush(c, o);
        close(o->fd);
        eb_buf_free(&o->pending);
        free(o->path);
        free(o->file);
        free(o);
    }
    json_object_put(c->resume);
    free(c->dir);
    free(c);
}

/* The container's record (written by create on the host), and the
 * checkpoint of a writer before us: host files cut back to it. */
static container_t *container_load(logger_t *l, const char *id)
{
    _cleanup_free_ char *rec = eb_strdup_printf("%s/logs/%s.json", l->dir, id);
    _cleanup_free_ char *cp = eb_strdup_printf("%s/logs/%s.offsets", l->dir, id);
    _cleanup_free_ char *text = NULL;
    eb_error_t err = { 0 };
    json_object *o, *v, *outs;
    container_t *c;
    size_t len, i;

    if (!eb_id_valid(id) || l->n == CONTAINERS_MAX || eb_read_file(rec, 65536, &text, &len, &err) < 0)
        return NULL;
    o = json_tokener_parse(text);
    if (o == NULL || !json_object_object_get_ex(o, "dir", &v) || !json_object_is_type(v, json_type_string)
        || json_object_get_string(v)[0] != '/') {
        json_object_put(o);
        return NULL;
    }
    c = eb_xcalloc(1, sizeof(*c));
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->dir = eb_xstrdup(json_object_get_string(v));
    /* Bounded as the environment's values are; a record without them (a
     * container created by an older runtime) gets the defaults. */
    c->max_size = MAX_SIZE_DEFAULT, c->max_files = MAX_FILES_DEFAULT;
    if (json_object_object_get_ex(o, "max_size", &v) && json_object_is_type(v, json_type_int)
        && json_object_get_int64(v) > 0 && size_ok((uint64_t) json_object_get_int64(v)))
        c->max_size = (uint64_t) json_object_get_int64(v);
    if (json_object_object_get_ex(o, "max_files", &v) && json_object_is_type(v, json_type_int)
        && json_object_get_int64(v) > 0 && files_ok((uint64_t) json_object_get_int64(v)))
        c->max_files = (unsigned) json_object_get_int64(v);
    json_object_put(o);
    free(text);
    text = NULL;
    if (eb_read_file(cp, 4 << 20, &text, &len, &err) == 0 && (o = json_tokener_parse(text)) != NULL) {
        if (json_object_object_get_ex(o, "outputs", &outs) && json_object_is_type(outs, json_type_array))
            for (i = 0; i < json_object_array_length(outs) && i < OUTPUTS_MAX; i++) {
                json_object *e = json_object_array_get_idx(outs, i), *p, *s;
                int idx;
                if (json_object_object_get_ex(e, "path", &p) && json_object_object_get_ex(e, "size", &s)
                    && eb_log_pattern_check(json_object_get_string(p), &err) == 0)
                    output_get(c, json_object_get_string(p), (uint64_t) json_object_get_int64(s), true, &idx);
                eb_error_clear(&err);
            }
        if (json_object_object_get_ex(o, "inputs", &v) && json_object_is_type(v, json_type_array))
            c->resume = json_object_get(v);
        json_object_put(o);
    }
    l->c[l->n++] = c;
    return c;
}

static void container_drop(logger_t *l, container_t *c)
{
    size_t i;
    for (i = 0; i < c->nout; i++)
        flush_partial(c, c->outputs[i]);
    eb_logger_forget(l->dir, c->id);
    for (i = 0; i < l->n; i++)
        if (l->c[i] == c) {
            l->c[i] = l->c[--l->n];
            break;
        }
    container_free(c);
}

static int checkpoint(logger_t *l, container_t *c)
{
    _cleanup_free_ char *ldir = logs_dir(l->dir), *name = eb_strdup_printf("%s.offsets", c->id);
    json_object *o = json_object_new_object(), *outs = json_object_new_array(), *ins = json_object_new_array();
    eb_error_t err = { 0 };
    const char *text;
    size_t i;
    int ret;

    for (i = 0; i < c->nout; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "path", json_object_new_string(c->outputs[i]->path));
        json_object_object_add(e, "size", json_object_new_int64((int64_t) c->outputs[i]->size));
        json_object_array_add(outs, e);
    }
    for (i = 0; i < c->nin; i++) {
        const input_t *in = &c->inputs[i];
        const output_t *o2 = c->outputs[in->out];
        json_object *e = json_object_new_object();
        /* The held partial line is not written: it is sent again. */
        uint64_t off = in->next - (o2->part_from == (int) i ? o2->plen : 0);
        json_object_object_add(e, "id", json_object_new_string(c->id));
        json_object_object_add(e, "file", json_object_new_int64(in->file));
        json_object_object_add(e, "dev", json_object_new_int64((int64_t) in->dev));
        json_object_object_add(e, "ino", json_object_new_int64((int64_t) in->ino));
        json_object_object_add(e, "offset", json_object_new_int64((int64_t) off));
        json_object_array_add(ins, e);
    }
    json_object_object_add(o, "outputs", outs);
    json_object_object_add(o, "inputs", ins);
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    ret = eb_write_file_atomic(ldir, name, text, strlen(text), &err);
    if (ret < 0)
        eb_warn("logs of %s: %s", c->id, err.msg);
    json_object_put(o);
    c->dirty = false;
    return ret;
}

/* ----------------------------------------------------------- protocol --- */

static void on_logfile(logger_t *l, json_object *ev)
{
    eb_error_t err = { 0 };
    const char *id, *path;
    int64_t file, dev, ino, off;
    container_t *c;
    input_t *in = NULL;
    size_t i;
    int out;

    if (eb_msg_str(ev, "id", 255, false, &id, &err) < 0 || eb_msg_str(ev, "path", EB_LOG_PATTERN_MAX, false, &path, &err) < 0
        || eb_msg_int(ev, "file", 1, UINT32_MAX, false, &file, &err) < 0
        || eb_msg_int(ev, "dev", 0, INT64_MAX, false, &dev, &err) < 0
        || eb_msg_int(ev, "ino", 0, INT64_MAX, false, &ino, &err) < 0
        || eb_msg_int(ev, "offset", 0, INT64_MAX, false, &off, &err) < 0 || eb_log_pattern_check(path, &err) < 0
        || strpbrk(path, "*?[\\")) {
        eb_warn("logs: a file the guest announced is refused: %s", err.msg[0] ? err.msg : "a glob character in its path");
        return;
    }
    c = container_find(l, id);
    if (c == NULL && (c = container_load(l, id)) == NULL) {
        eb_warn("logs: the guest announced a file of `%.64s`, which declared none", id);
        return;
    }
    if (output_get(c, path, 0, false, &out) == NULL)
        return;
    /* A writer before us, or a new subscription, announces files again. */
    for (i = 0; i < c->nin; i++)
        if (c->inputs[i].file == (uint32_t) file || (c->inputs[i].dev == (uint64_t) dev && c->inputs[i].ino == (uint64_t) ino))
            in = &c->inputs[i];
    if (in == NULL) {
        if (c->nin == INPUTS_MAX) {
            eb_warn("logs of %s: more than %d files announced; %s is not written", c->id, INPUTS_MAX, path);
            return;
        }
        in = &c->inputs[c->nin++];
    }
    in->file = (uint32_t) file;
    in->dev = (uint64_t) dev;
    in->ino = (uint64_t) ino;
    in->next = (uint64_t) off;
    in->out = out;
    c->dirty = true;
}

/* The agent closed a file (rotated away, read and recorded to its end). */
static void on_closed(logger_t *l, json_object *ev)
{
    eb_error_t err = { 0 };
    const char *id;
    int64_t file;
    container_t *c;
    size_t i;

    if (eb_msg_str(ev, "id", 255, false, &id, &err) < 0 || eb_msg_int(ev, "file", 1, UINT32_MAX, false, &file, &err) < 0
        || (c = container_find(l, id)) == NULL)
        return;
    for (i = 0; i < c->nin; i++) {
        output_t *o;
        if (c->inputs[i].file != (uint32_t) file)
            continue;
        o = c->outputs[c->inputs[i].out];
        if (o->part_from == (int) i)
            flush_partial(c, o);
        /* The last input moves into its place: so does its partial's owner. */
        o = c->outputs[c->inputs[c->nin - 1].out];
        if (o->part_from == (int) c->nin - 1)
            o->part_from = (int) i;
        c->inputs[i] = c->inputs[--c->nin];
        c->dirty = true;
        return;
    }
}

static void on_chunk(logger_t *l, const eb_log_chunk_t *ch)
{
    size_t i, j;

    for (i = 0; i < l->n; i++) {
        container_t *c = l->c[i];
        for (j = 0; j < c->nin; j++) {
            input_t *in = &c->inputs[j];
            if (in->file != ch->file)
                continue;
            if (ch->offset != in->next) {
                /* Truncated in the guest (copytruncate), or a gap the
                 * guest lost: the held piece of a line is a line. */
                output_t *o = c->outputs[in->out];
                if (o->part_from == (int) j)
                    flush_partial(c, o);
            }
            in->next = ch->offset + ch->len;
            write_bytes(c, (int) j, ch->data, ch->len);
            c->dirty = true;
            return;
        }
    }
    /* A file nobody wrote for (refused above): dropped, credit back. */
}

static int resume_request(logger_t *l, int fd, eb_error_t *err)
{
    _cleanup_free_ char *ldir = logs_dir(l->dir);
    _cleanup_closedir_ DIR *d = opendir(ldir);
    json_object *req = eb_op_request(EB_OP_LOGS), *resume = json_object_new_array();
    struct dirent *e;
    size_t i, j;
    int ret;

    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        char id[256];
        if (n <= 5 || n - 5 >= sizeof(id) || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(id, sizeof(id), "%.*s", (int) (n - 5), e->d_name);
        if (container_find(l, id) == NULL)
            container_load(l, id);
    }
    for (i = 0; i < l->n; i++)
        for (j = 0; l->c[i]->resume && j < json_object_array_length(l->c[i]->resume); j++)
            json_object_array_add(resume, json_object_get(json_object_array_get_idx(l->c[i]->resume, j)));
    json_object_object_add(req, "resume", resume);
    ret = eb_msg_write(fd, EB_FRAME_REQUEST, 1, req, err);
    json_object_put(req);
    return ret;
}

static int handle(logger_t *l, const eb_frame_t *f, uint32_t *stream, uint64_t *ungranted, eb_error_t *err)
{
    json_object *o;
    const char *name;
    eb_log_chunk_t ch;
    container_t *c;

    switch (f->type) {
    case EB_FRAME_RESPONSE:
        if ((o = eb_msg_parse(f->payload, f->len, err)) == NULL)
            return -1;
        if (eb_msg_response_status(o, err) < 0) {
            json_object_put(o);
            return eb_error_wrap(err, "subscribe to the log files");
        }
        json_object_put(o);
        return 0;
    case EB_FRAME_EVENT:
        if ((o = eb_msg_parse(f->payload, f->len, err)) == NULL)
            return -1;
        if (eb_msg_str(o, "event", 32, false, &name, err) == 0) {
            const char *id;
            if (strcmp(name, "logfile") == 0)
                on_logfile(l, o);
            else if (strcmp(name, "logclosed") == 0)
                on_closed(l, o);
            else if (strcmp(name, "logend") == 0 && eb_msg_str(o, "id", 255, false, &id, err) == 0
                     && (c = container_find(l, id)) != NULL)
                container_drop(l, c);
        }
        eb_error_clear(err);
        json_object_put(o);
        return 0;
    case EB_FRAME_LOG:
        if (eb_frame_log(f, &ch, err) < 0)
            return -1;
        *stream = f->id;
        on_chunk(l, &ch);
        *ungranted += f->len;
        return 0;
    default:
        return 0;
    }
}

static int commit(logger_t *l, int fd, uint32_t stream, uint64_t *ungranted, eb_error_t *err)
{
    size_t i, j;

    for (i = 0; i < l->n; i++) {
        /* Recorded sizes are of what is in the files. */
        for (j = 0; j < l->c[i]->nout; j++)
            output_flush(l->c[i], l->c[i]->outputs[j]);
        if (l->c[i]->dirty)
            checkpoint(l, l->c[i]);
        for (j = 0; j < l->c[i]->nout; j++)
            if (l->c[i]->outputs[j]->size >= l->c[i]->max_size)
                rotate(l->c[i], l->c[i]->outputs[j]);
        if (l->c[i]->dirty)
            checkpoint(l, l->c[i]);
    }
    while (*ungranted > 0 && stream) {
        uint32_t n = *ungranted > (1u << 30) ? (1u << 30) : (uint32_t) *ungranted;
        if (eb_frame_write_window(fd, stream, n, err) < 0)
            return -1;
        *ungranted -= n;
    }
    return 0;
}

static int run(logger_t *l, const char *root, const char *sid, eb_error_t *err)
{
    _cleanup_close_ int fd = eb_monitor_connect(root, sid, err);
    eb_frame_reader_t rd;
    uint64_t ungranted = 0, batch = 0;
    uint32_t stream = 0;
    int ret = -1;

    if (fd < 0 || resume_request(l, fd, err) < 0)
        return -1;
    eb_frame_reader_init(&rd);
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        eb_frame_t f;
        size_t room;
        uint8_t *buf;
        ssize_t n;
        int rc;

        while ((rc = eb_frame_next(&rd, &f, err)) == 1) {
            if (handle(l, &f, &stream, &ungranted, err) < 0)
                goto out;
            batch += f.len;
            if (batch >= COMMIT_BYTES) {
                if (commit(l, fd, stream, &ungranted, err) < 0)
                    goto out;
                batch = 0;
            }
        }
        if (rc < 0)
            goto out;
        /* Nothing more buffered: record, then let the guest send more. */
        if (poll(&p, 1, 0) == 0) {
            if (commit(l, fd, stream, &ungranted, err) < 0)
                goto out;
            batch = 0;
            poll(&p, 1, -1);
        }
        buf = eb_frame_reader_space(&rd, &room);
        n = read(fd, buf, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* The monitor is gone: so is the sandbox. */
            ret = 0;
            goto out;
        }
        eb_frame_reader_commit(&rd, (size_t) n);
    }
out:
    eb_frame_reader_free(&rd);
    return ret;
}

int eb_logger_feed(const char *sbdir, const uint8_t *data, size_t len, eb_error_t *err)
{
    logger_t l = { .dir = sbdir };
    eb_frame_reader_t rd;
    uint64_t ungranted = 0;
    uint32_t stream = 0;
    int ret = 0, rc = 0;

    eb_frame_reader_init(&rd);
    while (len > 0 && ret == 0 && rc >= 0) {
        size_t room, n;
        uint8_t *buf = eb_frame_reader_space(&rd, &room);
        eb_frame_t f;

        n = len < room ? len : room;
        memcpy(buf, data, n);
        eb_frame_reader_commit(&rd, n);
        data += n, len -= n;
        while (ret == 0 && (rc = eb_frame_next(&rd, &f, err)) == 1)
            ret = handle(&l, &f, &stream, &ungranted, err);
    }
    if (ret == 0 && rc >= 0)
        ret = commit(&l, -1, 0, &ungranted, err);
    eb_frame_reader_free(&rd);
    while (l.n)
        container_free(l.c[--l.n]);
    return ret < 0 || rc < 0 ? -1 : 0;
}

__attribute__((noreturn)) void eb_logger_main(const char *root, const char *sid, const char *sbdir)
{
    logger_t l = { .dir = sbdir };
    eb_error_t err = { 0 };
    sigset_t none;
    int rc;

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = run(&l, root, sid, &err);
    if (rc < 0)
        eb_err("sandbox %s: log writer: %s", sid, err.msg);
    while (l.n)
        container_free(l.c[--l.n]);
    _exit(rc < 0 ? 1 : 0);
}
