/* test_agent.c - the agent's request dispatch (ops.c: what needs no
 * container), its process table (proc.c) and exit event (event.c), and
 * its follower of in-guest log files (logs.c), run on the host against a
 * directory of its own: what it sends on the log
 * stream for rotation, a closed file taken up again under another name, a
 * known inode with new content (as a new file on a deleted one's inode
 * number), and a host writer's resubscription.  The test process is "the
 * container" (its root is /proc/self/root, the host's /).  Also guestfix.c:
 * the spec fix-ups and the wait for an exec. */
#include "unit.h"
#include "agent/guestfix.h"
#include "agent/logs.h"
#include "agent/ops.h"
#include "agent/event.h"
#include "agent/proc.h"
#include "common/json.h"
#include "common/util.h"
#include "proto/frame.h"
#include "proto/message.h"
#include "proto/ops.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILES 16

/* What the host side saw, per agent file id. */
static struct {
    char path[512];
    uint64_t announced;        /* offset of the last logfile event */
    char data[16384];
    size_t len;
    uint64_t next;             /* offset the next chunk must start at */
    bool gap, closed;
} seen[FILES + 1];

static eb_agent_t agent;

/* Take every frame the agent queued, and grant their credit back. */
static void drain(void)
{
    eb_outbuf_t *o = &agent.out;
    size_t pos = o->off;

    while (o->len - pos >= EB_FRAME_HDR) {
        eb_frame_t f;
        eb_error_t err = { 0 };
        eb_log_chunk_t ch;

        if (eb_frame_check_header(o->buf + pos, &f, &err) < 0 || o->len - pos < EB_FRAME_HDR + f.len)
            break;
        f.payload = o->buf + pos + EB_FRAME_HDR;
        if (f.type == EB_FRAME_LOG && eb_frame_log(&f, &ch, &err) == 0 && ch.file <= FILES) {
            if (ch.offset != seen[ch.file].next)
                seen[ch.file].gap = true;
            if (seen[ch.file].len + ch.len <= sizeof(seen[ch.file].data)) {
                memcpy(seen[ch.file].data + seen[ch.file].len, ch.data, ch.len);
                seen[ch.file].len += ch.len;
            }
            seen[ch.file].next = ch.offset + ch.len;
            eb_agent_logs_window(&agent, f.len);
        } else if (f.type == EB_FRAME_EVENT) {
            json_object *ev = eb_json_parse((const char *) f.payload, f.len, 8, 0, &err), *v;
            int64_t file = 0;
            if (ev && json_object_object_get_ex(ev, "file", &v))
                file = json_object_get_int64(v);
            if (file > 0 && file <= FILES && json_object_object_get_ex(ev, "event", &v)) {
                const char *name = json_object_get_string(v);
                if (strcmp(name, "logfile") == 0) {
                    json_object_object_get_ex(ev, "path", &v);
                    snprintf(seen[file].path, sizeof(seen[file].path), "%s", json_object_get_string(v));
                    json_object_object_get_ex(ev, "offset", &v);
                    seen[file].announced = seen[file].next = (uint64_t) json_object_get_int64(v);
                } else if (strcmp(name, "logclosed") == 0) {
                    seen[file].closed = true;
                }
            }
            json_object_put(ev);
        }
        pos += EB_FRAME_HDR + f.len;
    }
    o->off = o->len = 0;
}

/* Run the follower for MS milliseconds of its own scans. */
static void run_for(int ms)
{
    uint64_t end = eb_now_ms() + (uint64_t) ms;

    while (eb_now_ms() < end) {
        int t = eb_agent_logs_run(&agent);
        drain();
        if (t > 0)
            usleep((useconds_t) (t < 20 ? t : 20) * 1000);
    }
}

/* The agent's file id for PATH (the last one announced), 0: none. */
static int file_of(const char *path)
{
    int i, id = 0;
    for (i = 1; i <= FILES; i++)
        if (strcmp(seen[i].path, path) == 0)
            id = i;
    return id;
}

static void write_lines(const char *path, const char *tag, int lines, char *copy, size_t *copylen)
{
    FILE *f = fopen(path, "a");
    int i;
    for (i = 0; f && i < lines; i++) {
        char ln[64];
        int n = snprintf(ln, sizeof(ln), "%s line %04d of the test file\n", tag, i);
        fputs(ln, f);
        if (copy) {
            memcpy(copy + *copylen, ln, (size_t) n);
            *copylen += (size_t) n;
        }
    }
    if (f)
        fclose(f);
}

/* A writer's record: FILE (the agent's id) on PATH's inode, at OFFSET. */
static json_object *resume_entry(int file, const char *path, int64_t offset)
{
    json_object *e = json_object_new_object();
    struct stat st = { 0 };

    stat(path, &st);
    json_object_object_add(e, "id", json_object_new_string("c1"));
    json_object_object_add(e, "file", json_object_new_int(file));
    json_object_object_add(e, "dev", json_object_new_int64((int64_t) st.st_dev));
    json_object_object_add(e, "ino", json_object_new_int64((int64_t) st.st_ino));
    json_object_object_add(e, "offset", json_object_new_int64(offset));
    return e;
}

static ino_t ino_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* Request NAME ({"op": NAME} plus ID when not NULL) through the dispatch:
 * its response's status, with the error in ERR. */
static int call(eb_agent_t *ag, const char *name, const char *id, json_object **resp, eb_error_t *err)
{
    json_object *req = json_object_new_object();

    json_object_object_add(req, "op", json_object_new_string(name));
    if (id)
        json_object_object_add(req, "id", json_object_new_string(id));
    *resp = eb_agent_handle(ag, req);
    json_object_put(req);
    return eb_msg_response_status(*resp, err);
}

/* Only requests without side effects on the host running the test. */
static void test_dispatch(void)
{
    eb_agent_t ag = { .chan = -1 };
    eb_error_t err = { 0 };
    json_object *resp, *v;
    bool agree = true;
    eb_op_t op;

    for (op = 0; op < EB_OP_COUNT; op++)
        if (eb_agent_serves(op) != !!(eb_op_flags(op) & EB_OP_AGENT))
            agree = false;
    CHECK(agree, "dispatch: a handler for every op flagged EB_OP_AGENT, and for no other");
    CHECK(call(&ag, "ping", NULL, &resp, &err) == 0, "dispatch: ping answered %s", err.msg);
    json_object_put(resp);
    CHECK(call(&ag, "usage", NULL, &resp, &err) == 0 && json_object_object_get_ex(resp, "user_us", &v),
          "dispatch: usage answered with the agent's CPU time %s", err.msg);
    json_object_put(resp);
    CHECK(call(&ag, "info", NULL, &resp, &err) < 0 && err.code == EOPNOTSUPP && strstr(err.msg, "`info`"),
          "dispatch: the monitor's own request refused: %s", err.msg);
    json_object_put(resp);
    eb_error_clear(&err);
    CHECK(call(&ag, "frobnicate", NULL, &resp, &err) < 0 && err.code == EOPNOTSUPP && strstr(err.msg, "`frobnicate`"),
          "dispatch: an unknown request refused, named: %s", err.msg);
    json_object_put(resp);
    eb_error_clear(&err);
    CHECK(call(&ag, "state", "../x", &resp, &err) < 0 && strstr(err.msg, "invalid container id"),
          "dispatch: a handler validates its fields: %s", err.msg);
    json_object_put(resp);
    eb_error_clear(&err);
    CHECK(call(&ag, "signal", NULL, &resp, &err) < 0 && strstr(err.msg, "stream"),
          "dispatch: signal without a stream refused: %s", err.msg);
    json_object_put(resp);
    eb_error_clear(&err);
    eb_outbuf_free(&ag.out);
}

/* The process table, and an exit event after the end of its streams. */
static void test_procs(void)
{
    eb_agent_t ag = { .chan = -1 };
    eb_aproc_t *p, *x;
    int fds[2];
    size_t pos = 0;
    uint8_t order[4];
    size_t n = 0;

    p = eb_agent_proc_add(&ag.procs, 5, "c1", true, false, 1000, -1, -1, -1);
    x = eb_agent_proc_add(&ag.procs, 6, "c1", false, false, 1001, -1, -1, -1);
    eb_agent_proc_add(&ag.procs, 7, "c2", true, false, 1002, -1, -1, -1);
    CHECK(eb_agent_proc_find(&ag.procs, 6) == x && eb_agent_proc_find(&ag.procs, 9) == NULL
              && eb_agent_proc_init(&ag.procs, "c1") == p && eb_agent_proc_init(&ag.procs, "c3") == NULL
              && p->credit == EB_STREAM_WINDOW,
          "procs: found by stream, a container's init by its id");
    eb_agent_proc_exited(&ag.procs, 1001, 9);
    CHECK(x->exited && x->status == 9 && !p->exited, "procs: a reaped pid marks its record only");
    eb_agent_proc_prune(&ag.procs);
    CHECK(eb_agent_proc_find(&ag.procs, 6) == x, "procs: an exit not reported yet is kept");

    if (pipe(fds) == 0) {
        close(fds[1]);
        x->out_fd = fds[0];
        eb_agent_event_exit(&ag, x);
        x->reported = true;
        while (ag.out.len - pos >= EB_FRAME_HDR && n < sizeof(order)) {
            eb_frame_t f;
            eb_error_t err = { 0 };
            if (eb_frame_check_header(ag.out.buf + pos, &f, &err) < 0)
                break;
            order[n++] = f.type;
            pos += EB_FRAME_HDR + f.len;
        }
        CHECK(x->out_fd < 0 && n == 2 && order[0] == EB_FRAME_STDOUT && order[1] == EB_FRAME_EVENT,
              "event: a still open stdout ends before the exit event (%zu frames)", n);
    }
    eb_agent_proc_prune(&ag.procs);
    CHECK(eb_agent_proc_find(&ag.procs, 6) == NULL && eb_agent_proc_find(&ag.procs, 5) == p,
          "procs: a reported exec'd process goes, an init stays");
    eb_agent_proc_exited(&ag.procs, 1000, 0);
    eb_agent_proc_forget(&ag.procs, "c1");
    CHECK(eb_agent_proc_find(&ag.procs, 5) == p, "procs: an init whose exit is unreported outlives the delete");
    p->reported = true;
    eb_agent_proc_forget(&ag.procs, "c1");
    CHECK(eb_agent_proc_find(&ag.procs, 5) == NULL && eb_agent_proc_find(&ag.procs, 7) != NULL,
          "procs: the container's records go with it, not another's");
    eb_agent_proc_forget(&ag.procs, "c2");
    CHECK(ag.procs.head == NULL, "procs: empty again");
    eb_outbuf_free(&ag.out);
}

/* guestfix.c: namespaces the agent is in are dropped, others kept; an
 * AppArmor profile goes where no policy is loaded (none on this host's
 * test, as in the guest); the exec wait sees a child exec. */
static void test_guestfix(void)
{
    json_object *spec = json_tokener_parse(
        "{\"process\": {\"apparmorProfile\": \"p\"}, \"linux\": {\"namespaces\": ["
        "{\"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\"}, {\"type\": \"uts\"},"
        "{\"type\": \"pid\", \"path\": \"/proc/1/ns/ipc\"}]}}");
    json_object *lx, *nss, *proc;
    eb_error_t err = { 0 };
    pid_t pid;

    eb_agent_fix_namespaces(spec);
    json_object_object_get_ex(spec, "linux", &lx);
    json_object_object_get_ex(lx, "namespaces", &nss);
    CHECK(json_object_array_length(nss) == 2, "guestfix: the entry naming our own ipc namespace goes, %zu left",
          json_object_array_length(nss));
    CHECK(strcmp(json_object_get_string(json_object_object_get(json_object_array_get_idx(nss, 1), "type")),
                 "pid") == 0,
          "guestfix: a path to a namespace of another type is kept (the core's setns reports it)");
    json_object_object_get_ex(spec, "process", &proc);
    eb_agent_fix_apparmor(proc, "c1");
    if (access("/sys/kernel/security/apparmor/profiles", R_OK) == 0)
        printf("skip - agent: guestfix: apparmor: this host has AppArmor policy loaded\n");
    else
        CHECK(!json_object_object_get_ex(proc, "apparmorProfile", NULL),
              "guestfix: no AppArmor policy: the profile is dropped");
    json_object_put(spec);
    pid = fork();
    if (pid == 0) {
        usleep(50000);
        execl("/bin/sleep", "sleep", "1", (char *) NULL);
        _exit(127);
    }
    CHECK(eb_agent_wait_exec(pid, "c1", &err) == 0, "guestfix: the wait returns after the exec: %s", err.msg);
    {
        char exe[64], link[256] = "";
        snprintf(exe, sizeof(exe), "/proc/%d/exe", (int) pid);
        CHECK(readlink(exe, link, sizeof(link) - 1) > 0 && strstr(link, "sleep") != NULL,
              "guestfix: ... and not before (the child runs sleep: %s)", link);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int main(void)
{
    char tmpl[] = "agent-logs.XXXXXX", dir[400], pat[450], a[450], a1[450], old[450], keep[450], c[450];
    static char want[16384];
    size_t wlen = 0;
    eb_error_t err = { 0 };
    json_object *pats, *req, *resume;
    ino_t a_ino;
    int id, idc, ida;

    unit_name = "agent";
    test_dispatch();
    test_procs();
    test_guestfix();
    if (mkdtemp(tmpl) == NULL || realpath(tmpl, dir) == NULL) {
        CHECK(0, "a test directory: %s", strerror(errno));
        return 1;
    }
    snprintf(pat, sizeof(pat), "%s/*.log", dir);
    snprintf(a, sizeof(a), "%s/a.log", dir);
    snprintf(a1, sizeof(a1), "%s/a.log.1", dir);
    snprintf(old, sizeof(old), "%s/old.log", dir);
    snprintf(c, sizeof(c), "%s/c.log", dir);
    snprintf(keep, sizeof(keep), "%s/old.keep", dir);

    pats = json_object_new_array();
    json_object_array_add(pats, json_object_new_string(pat));
    CHECK(eb_agent_logs_add(&agent, "c1", pats, &err) == 0, "logs_add %s", err.msg);
    json_object_put(pats);
    eb_agent_logs_started(&agent, "c1", getpid());
    req = json_object_new_object();
    json_object_object_add(req, "stream", json_object_new_int(7));
    CHECK(eb_agent_logs_subscribe(&agent, req, &err) == 0, "subscribe %s", err.msg);
    json_object_put(req);

    /* A file, read to its end. */
    write_lines(a, "A", 100, want, &wlen);
    a_ino = ino_of(a);
    run_for(400);
    id = file_of(a);
    CHECK(id > 0 && seen[id].len == wlen && memcmp(seen[id].data, want, wlen) == 0 && !seen[id].gap,
          "a.log sent whole (%zu of %zu bytes)", id ? seen[id].len : 0, wlen);

    /* Rotated by rename: the old one is closed a second after, the new one read. */
    rename(a, a1);
    wlen = 0;
    write_lines(a, "B", 10, want, &wlen);
    run_for(1700);
    CHECK(seen[id].closed, "the rotated a.log closed after its late-write wait");
    CHECK(file_of(a) != id && seen[file_of(a)].len == wlen, "the new a.log read (%zu of %zu bytes)",
          seen[file_of(a)].len, wlen);
    wlen = seen[id].len;

    /* The closed file renamed into a name the glob matches: not sent again. */
    rename(a1, old);
    run_for(400);
    idc = file_of(old);
    CHECK(idc > 0 && seen[idc].announced == wlen && wlen > 0 && seen[idc].len == 0,
          "a closed file under a matching name is taken up at its end (offset %llu, %zu bytes sent)",
          idc ? (unsigned long long) seen[idc].announced : 0ull, idc ? seen[idc].len : 0);
    /* Away again, closed a second later. */
    rename(old, keep);
    run_for(1500);
    CHECK(idc > 0 && seen[idc].closed, "renamed out of the glob: closed");

    /* The same inode with other content, longer than the old offset, under
     * a matching name.  This is what a new file on a deleted one's inode
     * number looks like to the agent (ext4 hands freed numbers out at
     * once, but which one a new file gets depends on the whole group, so
     * the test makes it so). */
    wlen = 0;
    truncate(keep, 0);
    write_lines(keep, "C", 150, want, &wlen);
    rename(keep, c);
    CHECK(ino_of(c) == a_ino, "c.log is the first file's inode");
    run_for(400);
    idc = file_of(c);
    CHECK(idc > 0 && seen[idc].announced == 0 && seen[idc].len == wlen && memcmp(seen[idc].data, want, wlen) == 0,
          "a known inode with other content is read from its start (offset %llu, %zu of %zu bytes)",
          idc ? (unsigned long long) seen[idc].announced : 0ull, idc ? seen[idc].len : 0, wlen);

    /* A writer resubscribes: each file from its record, matched by the
     * agent's file id as well as the inode. */
    run_for(300);
    idc = file_of(c);
    ida = file_of(a);
    resume = json_object_new_array();
    json_object_array_add(resume, resume_entry(idc, c, 100));
    json_object_array_add(resume, resume_entry(idc + 100, a, 200));
    req = json_object_new_object();
    json_object_object_add(req, "stream", json_object_new_int(8));
    json_object_object_add(req, "resume", resume);
    seen[idc].announced = seen[ida].announced = 12345;
    CHECK(eb_agent_logs_subscribe(&agent, req, &err) == 0, "resubscribe %s", err.msg);
    json_object_put(req);
    drain();
    CHECK(seen[idc].announced == 100, "resumed at the recorded offset of the same file id (%llu)",
          (unsigned long long) seen[idc].announced);
    CHECK(seen[ida].announced == 0, "a record of another file id on the same inode is not used (%llu)",
          (unsigned long long) seen[ida].announced);

    eb_agent_logs_forget(&agent, "c1");
    drain();
    eb_outbuf_free(&agent.out);
    unlink(a);
    unlink(c);
    rmdir(dir);
    return unit_failed;
}
