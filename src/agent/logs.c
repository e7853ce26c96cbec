/* logs.c - following a container's in-guest log files (io.edgebox.log-files).
 *
 * Every EB_LOG_SCAN_MS the patterns are resolved inside the container's
 * root (openat2 RESOLVE_IN_ROOT: a symlink in the container cannot reach
 * the agent's files); each file found is followed by its inode:
 *
 *  - appends are sent as LOG frames (file id, offset, bytes) on the one
 *    log stream the host subscribed with the "logs" request;
 *  - truncation (size below our offset: copytruncate) starts again at 0;
 *  - rotation by rename (the path names another inode, or none): the old
 *    inode is read to its end first, and kept for EB_LOG_ROTATE_WAIT_MS of
 *    late writes, then the new file is read.
 *
 * The guest file is the buffer: nothing is read without the host's credit,
 * and the host grants credit back only once it has written and
 * checkpointed the bytes.  So a rotated file is closed only when the
 * credit for its last byte came back (log_acked passed its mark), and a
 * host writer that restarts resubscribes with its checkpointed offsets:
 * the agent starts each file again from there. */
#include "agent/logs.h"
#include "agent/event.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"
#include "spec/log_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EB_LOG_SCAN_MS 250
#define EB_LOG_ROTATE_WAIT_MS 1000
#define EB_LOG_FILES_MAX 64       /* followed at once per container, rotated ones included */
#define EB_LOG_DONE_MAX 64        /* closed inodes remembered, so a glob does not take them up again */
#define EB_LOG_DIR_ENTRIES 4096   /* directory entries looked at per pattern and scan */
#define EB_LOG_HEAD 64            /* first bytes of a closed file kept to know it again */

typedef struct eb_lfile {
    uint32_t id;
    char *path;                  /* the container path it was found at */
    dev_t dev;
    ino_t ino;
    int fd;
    uint64_t off;                /* next byte to send */
    bool rotated;
    uint64_t rotated_ms;
    uint64_t mark;               /* log_sent after its last byte; closed once acked */
    bool finished;
    struct eb_lfile *next;
} eb_lfile_t;

/* A file read to its end and closed. */
typedef struct {
    dev_t dev;
    ino_t ino;                   /* 0: a free entry */
    uint64_t off;
    uint8_t head[EB_LOG_HEAD];   /* its first bytes */
    size_t hlen;
} eb_ldone_t;

struct eb_lfollow {
    char *container;
    char **patterns;
    pid_t pid;
    int rootfd;
    eb_lfile_t *files;
    size_t nfiles;
    eb_ldone_t done[EB_LOG_DONE_MAX];
    size_t ndone, done_next;
    bool warned;
    struct eb_lfollow *next;
};

static int open_beneath(int rootfd, const char *path, int flags)
{
    struct open_how how = { .flags = (uint64_t) flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
    while (*path == '/')
        path++;
    return (int) syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
}

/* An event NAME about F's container for the writer; NULL with no writer. */
static json_object *log_event(eb_agent_t *a, eb_lfollow_t *f, const char *name)
{
    json_object *ev;

    if (a->log_stream == 0)
        return NULL;
    ev = json_object_new_object();
    json_object_object_add(ev, "event", json_object_new_string(name));
    json_object_object_add(ev, "stream", json_object_new_int64(a->log_stream));
    json_object_object_add(ev, "id", json_object_new_string(f->container));
    return ev;
}

static void announce(eb_agent_t *a, eb_lfollow_t *f, eb_lfile_t *l)
{
    json_object *ev = log_event(a, f, "logfile");

    if (ev == NULL)
        return;
    json_object_object_add(ev, "file", json_object_new_int64(l->id));
    json_object_object_add(ev, "path", json_object_new_string(l->path));
    json_object_object_add(ev, "dev", json_object_new_int64((int64_t) l->dev));
    json_object_object_add(ev, "ino", json_object_new_int64((int64_t) l->ino));
    json_object_object_add(ev, "offset", json_object_new_int64((int64_t) l->off));
    eb_agent_event(a, ev);
}

static eb_lfile_t *find_ino(eb_lfollow_t *f, dev_t dev, ino_t ino)
{
    eb_lfile_t *l;
    for (l = f->files; l; l = l->next)
        if (l->dev == dev && l->ino == ino)
            return l;
    return NULL;
}

static eb_lfile_t *find_current(eb_lfollow_t *f, const char *path)
{
    eb_lfile_t *l;
    for (l = f->files; l; l = l->next)
        if (!l->rotated && strcmp(l->path, path) == 0)
            return l;
    return NULL;
}

/* Is the file on FD (found on D's inode) the closed file D?  A closed
 * file's inode is freed once the file is deleted, and a new file may soon
 * get its number (ext4 reuses freed numbers readily): by inode alone
 * the new file would be read from the old one's offset, mid-line.  The
 * content tells them apart: the file we read up to D->off is still that
 * long and starts with the bytes it started with.  (A fingerprint: a new
 * file that starts with the same EB_LOG_HEAD bytes is taken for the old.) */
static bool same_as_done(int fd, const struct stat *st, const eb_ldone_t *d)
{
    uint8_t now[EB_LOG_HEAD];

    return (uint64_t) st->st_size >= d->off && pread(fd, now, d->hlen, 0) == (ssize_t) d->hlen
           && memcmp(now, d->head, d->hlen) == 0;
}

/* A file appears at PATH (FD open on it): follow it, unless it is one we
 * follow already under another name or closed after reading it. */
static void add_file(eb_agent_t *a, eb_lfollow_t *f, const char *path, int fd, const struct stat *st)
{
    eb_lfile_t *l, **tail;
    size_t i;

    if (find_ino(f, st->st_dev, st->st_ino)) {
        close(fd);
        return;
    }
    if (f->nfiles >= EB_LOG_FILES_MAX) {
        if (!f->warned)
            eb_warn("container %s: more than %d log files to follow; %s and later ones are not", f->container,
                    EB_LOG_FILES_MAX, path);
        f->warned = true;
        close(fd);
        return;
    }
    l = eb_xcalloc(1, sizeof(*l));
    l->id = ++a->log_next_file;
    l->path = eb_xstrdup(path);
    l->dev = st->st_dev;
    l->ino = st->st_ino;
    l->fd = fd;
    for (i = 0; i < f->ndone; i++)
        if (f->done[i].ino == st->st_ino && f->done[i].dev == st->st_dev) {
            l->off = same_as_done(fd, st, &f->done[i]) ? f->done[i].off : 0;
            f->done[i].ino = 0;
        }
    for (tail = &f->files; *tail; tail = &(*tail)->next) { }
    *tail = l;
    f->nfiles++;
    announce(a, f, l);
}

static void look_at(eb_agent_t *a, eb_lfollow_t *f, const char *path, uint64_t now)
{
    eb_lfile_t *cur = find_current(f, path);
    int fd = open_beneath(f->rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    struct stat st;

    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        if (cur && !cur->rotated) {
            /* Renamed away and not created again yet. */
            cur->rotated = true;
            cur->rotated_ms = now;
        }
        return;
    }
    if (cur && cur->dev == st.st_dev && cur->ino == st.st_ino) {
        close(fd);
        return;
    }
    if (cur) {
        cur->rotated = true;
        cur->rotated_ms = now;
    }
    add_file(a, f, path, fd, &st);
}

/* The names a pattern matches now. */
static void scan_pattern(eb_agent_t *a, eb_lfollow_t *f, const char *pattern, uint64_t now)
{
    const char *slash = strrchr(pattern, '/'), *base = slash + 1;
    char dir[EB_LOG_PATTERN_MAX + 1], path[2 * EB_LOG_PATTERN_MAX + 2];
    struct dirent *de;
    DIR *d;
    int dfd, seen = 0;
    size_t dlen;
    eb_lfile_t *l;

    if (strpbrk(base, "*?[\\") == NULL) {
        look_at(a, f, pattern, now);
        return;
    }
    dlen = (size_t) (slash - pattern);
    snprintf(dir, sizeof(dir), "%.*s", (int) dlen, pattern);
    /* Current files of this pattern whose names are gone count as rotated. */
    for (l = f->files; l; l = l->next)
        if (!l->rotated && strncmp(l->path, dir, dlen) == 0 && l->path[dlen] == '/'
            && strchr(l->path + dlen + 1, '/') == NULL && fnmatch(base, l->path + dlen + 1, FNM_PERIOD) == 0)
            look_at(a, f, l->path, now);
    dfd = open_beneath(f->rootfd, dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
        if (dfd >= 0)
            close(dfd);
        return;
    }
    while ((de = readdir(d)) != NULL && seen++ < EB_LOG_DIR_ENTRIES) {
        if (fnmatch(base, de->d_name, FNM_PERIOD) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (strlen(path) <= EB_LOG_PATTERN_MAX && find_current(f, path) == NULL)
            look_at(a, f, path, now);
    }
    closedir(d);
}

static void close_file(eb_agent_t *a, eb_lfollow_t *f, eb_lfile_t *l, bool tell)
{
    eb_lfile_t **pp;
    eb_ldone_t *d;
    ssize_t n;
    json_object *ev = tell ? log_event(a, f, "logclosed") : NULL;

    if (ev) {
        /* The writer forgets its offset: nothing more comes of it. */
        json_object_object_add(ev, "file", json_object_new_int64(l->id));
        eb_agent_event(a, ev);
    }

    for (pp = &f->files; *pp != l; pp = &(*pp)->next) { }
    *pp = l->next;
    d = &f->done[f->done_next];
    d->dev = l->dev;
    d->ino = l->ino;
    d->off = l->off;
    n = pread(l->fd, d->head, l->off < EB_LOG_HEAD ? (size_t) l->off : EB_LOG_HEAD, 0);
    d->hlen = n > 0 ? (size_t) n : 0;
    f->done_next = (f->done_next + 1) % EB_LOG_DONE_MAX;
    if (f->ndone < EB_LOG_DONE_MAX)
        f->ndone++;
    close(l->fd);
    free(l->path);
    free(l);
    f->nfiles--;
}

/* Is an older inode of the same path still to be read to its end? */
static bool older_pending(eb_lfollow_t *f, eb_lfile_t *l)
{
    eb_lfile_t *o;
    for (o = f->files; o != l; o = o->next)
        if (!o->finished && strcmp(o->path, l->path) == 0)
            return true;
    return false;
}

/* Send what the credit allows; true when a file had more than that. */
static bool read_files(eb_agent_t *a, eb_lfollow_t *f, uint64_t now)
{
    static uint8_t buf[EB_FRAME_MAX_DATA];
    eb_lfile_t *l, *next;
    bool more = false;

    for (l = f->files; l; l = next) {
        struct stat st;
        bool eof, failed;
        next = l->next;
        if (l->finished) {
            if (a->log_acked >= l->mark)
                close_file(a, f, l, true);
            continue;
        }
        if (older_pending(f, l))
            continue;
        if (fstat(l->fd, &st) == 0 && (uint64_t) st.st_size < l->off)
            l->off = 0;    /* truncated in place */
        eof = failed = false;
        /* Stopped by: the end of the file, a read error, or the credit. */
        while (a->log_stream && a->log_credit > EB_FRAME_LOG_HDR) {
            size_t want = a->log_credit - EB_FRAME_LOG_HDR;
            ssize_t n;
            if (want > sizeof(buf))
                want = sizeof(buf);
            n = pread(l->fd, buf, want, (off_t) l->off);
            if (n <= 0) {
                eof = n == 0;
                failed = n < 0;     /* tried again at the next scan, not at once */
                break;
            }
            eb_outbuf_log(&a->out, a->log_stream, l->id, l->off, buf, (uint32_t) n);
            l->off += (uint64_t) n;
            a->log_credit -= EB_FRAME_LOG_HDR + (uint32_t) n;
            a->log_sent += EB_FRAME_LOG_HDR + (uint64_t) n;
        }
        if (!eof && !failed && a->log_stream) {
            more = true;
            continue;
        }
        if (eof && l->rotated && now - l->rotated_ms >= EB_LOG_ROTATE_WAIT_MS) {
            l->finished = true;
            l->mark = a->log_sent;
        }
    }
    return more;
}

static void scan(eb_agent_t *a, eb_lfollow_t *f, uint64_t now)
{
    size_t i;

    if (f->rootfd < 0 && f->pid > 0) {
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/%d/root", (int) f->pid);
        /* Held after the container exits: its last lines are still read. */
        f->rootfd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    if (f->rootfd < 0)
        return;
    for (i = 0; f->patterns[i]; i++)
        scan_pattern(a, f, f->patterns[i], now);
}

int eb_agent_logs_add(eb_agent_t *a, const char *container, json_object *patterns, eb_error_t *err)
{
    size_t n = json_object_array_length(patterns), i;
    eb_lfollow_t *f;

    if (n == 0)
        return 0;
    if (n > EB_LOG_PATTERNS_MAX)
        return eb_error_set(err, E2BIG, "log_files: more than %d patterns", EB_LOG_PATTERNS_MAX);
    f = eb_xcalloc(1, sizeof(*f));
    f->patterns = eb_xcalloc(n + 1, sizeof(char *));
    f->container = eb_xstrdup(container);
    f->rootfd = -1;
    f->next = a->follows;
    a->follows = f;
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(patterns, i);
        if (!json_object_is_type(e, json_type_string)) {
            eb_agent_logs_forget(a, container);
            return eb_error_set(err, EINVAL, "log_files[%zu] is not a string", i);
        }
        f->patterns[i] = eb_xstrdup(json_object_get_string(e));
        if (eb_log_pattern_check(f->patterns[i], err) < 0) {
            eb_agent_logs_forget(a, container);
            return -1;
        }
    }
    return 0;
}

void eb_agent_logs_started(eb_agent_t *a, const char *container, pid_t pid)
{
    eb_lfollow_t *f;
    for (f = a->follows; f; f = f->next)
        if (strcmp(f->container, container) == 0)
            f->pid = pid;
    a->log_due_ms = 0;
}

void eb_agent_logs_forget(eb_agent_t *a, const char *container)
{
    eb_lfollow_t **pp = &a->follows, *f;

    while ((f = *pp)) {
        if (strcmp(f->container, container) != 0) {
            pp = &f->next;
            continue;
        }
        *pp = f->next;
        if (a->log_stream) {
            /* What the credit allows of the last lines, then the end. */
            read_files(a, f, eb_now_ms());
            eb_agent_event(a, log_event(a, f, "logend"));
        }
        while (f->files)
            close_file(a, f, f->files, false);
        if (f->rootfd >= 0)
            close(f->rootfd);
        eb_log_patterns_free(f->patterns);
        free(f->container);
        free(f);
    }
}

/* The host's writer (re)subscribes: each file starts again at the offset
 * it checkpointed, or at 0 when it has none for that inode. */
int eb_agent_logs_subscribe(eb_agent_t *a, json_object *req, eb_error_t *err)
{
    int64_t stream;
    json_object *resume = eb_msg_obj(req, "resume", json_type_array, true, err);
    size_t n = resume ? json_object_array_length(resume) : 0, i;
    eb_lfollow_t *f;
    eb_lfile_t *l;

    if (eb_error_is_set(err) || eb_msg_int(req, "stream", 1, UINT32_MAX, false, &stream, err) < 0)
        return -1;
    if (n > 4096)
        return eb_error_set(err, E2BIG, "logs: %zu resume entries", n);
    a->log_stream = (uint32_t) stream;
    a->log_credit = EB_STREAM_WINDOW;
    a->log_acked = a->log_sent;
    for (f = a->follows; f; f = f->next)
        for (l = f->files; l; l = l->next) {
            l->off = 0;
            l->finished = false;
            for (i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(resume, i);
                const char *id;
                int64_t file, dev, ino, off;
                eb_error_t ign = { 0 };
                if (!json_object_is_type(e, json_type_object) || eb_msg_str(e, "id", 1024, false, &id, &ign) < 0
                    || eb_msg_int(e, "file", 1, UINT32_MAX, false, &file, &ign) < 0
                    || eb_msg_int(e, "dev", 0, INT64_MAX, false, &dev, &ign) < 0
                    || eb_msg_int(e, "ino", 0, INT64_MAX, false, &ino, &ign) < 0
                    || eb_msg_int(e, "offset", 0, INT64_MAX, false, &off, &ign) < 0)
                    continue;
                /* By our file id too: a record of a file closed since may
                 * name the inode a new file got. */
                if (strcmp(id, f->container) == 0 && (uint32_t) file == l->id && (dev_t) dev == l->dev
                    && (ino_t) ino == l->ino)
                    l->off = (uint64_t) off;
            }
            announce(a, f, l);
        }
    a->log_due_ms = 0;
    return 0;
}

void eb_agent_logs_window(eb_agent_t *a, uint32_t n)
{
    a->log_credit = a->log_credit + n > (4u << 20) ? (4u << 20) : a->log_credit + n;
    a->log_acked += n;
}

int eb_agent_logs_run(eb_agent_t *a)
{
    uint64_t now = eb_now_ms();
    bool due = now >= a->log_due_ms, more = false;
    eb_lfollow_t *f;

    if (a->follows == NULL)
        return -1;
    if (!due && !(a->log_more && a->log_credit > EB_FRAME_LOG_HDR))
        return (int) (a->log_due_ms - now);
    for (f = a->follows; f; f = f->next) {
        if (due)
            scan(a, f, now);
        if (read_files(a, f, now))
            more = true;
    }
    a->log_more = more;
    if (due)
        a->log_due_ms = now + EB_LOG_SCAN_MS;
    if (more && a->log_credit > EB_FRAME_LOG_HDR)
        return 0;
    return (int) (a->log_due_ms - now);
}
