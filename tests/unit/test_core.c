/* test_core.c - small pure pieces of the core: signal names, ids, mount
 * options, /proc/net/dev parsing, the sync channel, the state store, and
 * the v1 network-resources writer. */
#include "unit.h"
#include "common/json.h"
#include "common/util.h"
#include "core/cgroup_internal.h"
#include "core/rootfs.h"
#include "core/stats.h"
#include "core/state.h"
#include "core/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(void)
{
    unit_name = "core";
    {
        /* A socket path longer than sun_path is bound and connected through
         * its directory's descriptor (containerd's 64-character ids). */
        char dir[] = "/tmp/eb-unix-addr.XXXXXX", path[512];
        struct sockaddr_un sa, sb;
        eb_error_t err = { 0 };
        int dfd = -1, dfd2 = -1, l, c;
        struct stat st;

        CHECK(mkdtemp(dir) != NULL, "unix addr: a temporary directory");
        snprintf(path, sizeof(path), "%s/%0100d", dir, 0);
        CHECK(mkdir(path, 0700) == 0, "unix addr: a 100-character directory");
        strcat(path, "/monitor.sock");
        CHECK(eb_unix_addr(path, &sa, &dfd, &err) == 0 && dfd >= 0 && strncmp(sa.sun_path, "/proc/self/fd/", 14) == 0,
              "unix addr: a long path goes through /proc/self/fd/N");
        l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(bind(l, (struct sockaddr *) &sa, sizeof(sa)) == 0 && listen(l, 1) == 0
              && stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "unix addr: bound at the long path itself");
        CHECK(eb_unix_addr(path, &sb, &dfd2, &err) == 0, "unix addr: the same path again");
        c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(connect(c, (struct sockaddr *) &sb, sizeof(sb)) == 0, "unix addr: connect through the long path");
        close(c), close(l), close(dfd), close(dfd2);
        unlink(path);
        *strrchr(path, '/') = 0;
        rmdir(path);
        rmdir(dir);
        CHECK(eb_unix_addr("/tmp/short.sock", &sa, &dfd, &err) == 0 && dfd == -1 && strcmp(sa.sun_path, "/tmp/short.sock") == 0,
              "unix addr: a short path is used as it is");
        CHECK(eb_unix_addr("/nonexistent-dir-eb/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/x.sock",
                           &sa, &dfd, &err) < 0 && err.code == ENOENT && dfd == -1,
              "unix addr: a missing directory is ENOENT, named");
    }
    CHECK(eb_signal_parse("KILL") == SIGKILL && eb_signal_parse("SIGTERM") == SIGTERM
          && eb_signal_parse("9") == 9 && eb_signal_parse("sigusr1") == SIGUSR1, "signal names and numbers");
    CHECK(eb_signal_parse("RTMIN+2") == SIGRTMIN + 2 && eb_signal_parse("SIGRTMAX") == SIGRTMAX, "realtime signals");
    CHECK(eb_signal_parse("0") < 0 && eb_signal_parse("65") < 0 && eb_signal_parse("NOPE") < 0
          && eb_signal_parse("") < 0 && eb_signal_parse("9x") < 0, "bad signals refused");
    {
        double a = 0, b = 0, c = 0, d = 0;
        CHECK(eb_rfc3339_parse("2026-11-23T12:00:00Z", &a) == 0 && a == 1795435200.0
              && eb_rfc3339_parse("2026-11-23T12:00:00.25Z", &b) == 0 && b == a + 0.25
              && eb_rfc3339_parse("2026-11-23T14:00:00+02:00", &c) == 0 && c == a
              && eb_rfc3339_parse("2026-11-23T11:30:00.5-00:30", &d) == 0 && d == a + 0.5,
              "RFC 3339 times: Z, fractions, numeric offsets (%.2f %.2f %.2f %.2f)", a, b, c, d);
        CHECK(eb_rfc3339_parse("2026-11-23T12:00:00", &a) < 0 && eb_rfc3339_parse("2026-11-23T12:00:00Zjunk", &a) < 0
              && eb_rfc3339_parse("2026-11-23 12:00:00Z", &a) < 0 && eb_rfc3339_parse("2026-11-23T12:00:00.Z", &a) < 0
              && eb_rfc3339_parse(NULL, &a) < 0, "RFC 3339 times: no zone, trailing bytes, no T, empty fraction refused");
    }
    {
        eb_error_t e = { 0 };
        json_object *o = eb_json_parse("{\"a\": [1, 2]} \n", 15, 8, 0, &e);
        CHECK(o && json_object_is_type(o, json_type_object), "JSON: a text with trailing blanks parses");
        json_object_put(o);
        CHECK(!eb_json_parse("{\"a\": 1} x", 10, 8, 0, &e) && strstr(e.msg, "trailing data at offset 9"),
              "JSON: trailing data refused, with its offset (%s)", e.msg);
        CHECK(!eb_json_parse("{\"a\": \"b\0c\"}", 13, 8, 0, &e) && strstr(e.msg, "NUL byte at offset 8"),
              "JSON: a NUL byte refused (%s)", e.msg);
        CHECK(!eb_json_parse("[[[[1]]]]", 9, 3, 0, &e) && strstr(e.msg, "invalid JSON at offset"),
              "JSON: nesting deeper than the bound refused (%s)", e.msg);
        eb_error_clear(&e);
        CHECK(!eb_json_parse(" null ", 6, 8, 0, &e) && strstr(e.msg, "null"), "JSON: the text null is an error, said (%s)", e.msg);
        CHECK(!eb_json_parse("{\"a\": 1", 7, 8, 0, &e) && strstr(e.msg, "unexpected end"),
              "JSON: a cut text refused (%s)", e.msg);
        o = eb_json_parse("[1,]", 4, 8, 0, &e);
        CHECK(o && !eb_json_parse("[1,]", 4, 8, EB_JSON_STRICT, &e), "JSON: strict mode refuses what json-c lets by");
        json_object_put(o);
    }
    {
        struct timespec now, d;
        double gap;
        int i, norm = 1;
        for (i = 0; i < 2000 && norm; i++) {     /* across nanosecond carries */
            d = eb_deadline_in(CLOCK_MONOTONIC, 999);
            norm = d.tv_nsec >= 0 && d.tv_nsec < 1000000000L;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        d = eb_deadline_in(CLOCK_MONOTONIC, 2500);
        gap = (double) (d.tv_sec - now.tv_sec) + (double) (d.tv_nsec - now.tv_nsec) / 1e9;
        CHECK(norm && gap >= 2.5 && gap < 2.6, "deadlines: 2500 ms ahead (%.3f s), nanoseconds kept below a second", gap);
    }
    CHECK(eb_id_valid("abc-1.2_3") && !eb_id_valid("..") && !eb_id_valid("a/b") && !eb_id_valid(""), "container ids");
    {
        uint64_t v;
        CHECK(eb_parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX, "u64 max");
        CHECK(eb_parse_u64("18446744073709551616", &v) < 0 && eb_parse_u64("-1", &v) < 0 && eb_parse_u64("1 ", &v) < 0, "u64 overflow and junk");
    }
    {
        const char *opts[] = { "ro", "nosuid", "rbind", "rslave", "mode=755", "size=1m", "rw", "noexec", NULL };
        unsigned long f, c, p;
        char *data = NULL;
        eb_error_t err = { 0 };
        int r = eb_mount_parse_options(opts, &f, &c, &p, &data, &err);
        CHECK(r == 0 && (f & MS_NOSUID) && (f & MS_BIND) && (f & MS_REC) && !(f & MS_RDONLY) && (f & MS_NOEXEC),
              "mount flags (rw after ro clears it)");
        CHECK(p == (MS_SLAVE | MS_REC), "mount propagation");
        CHECK(data && strcmp(data, "mode=755,size=1m") == 0, "mount data: %s", data ? data : "(null)");
        free(data);
        {
            const char *idm[] = { "idmap", NULL };
            r = eb_mount_parse_options(idm, &f, &c, &p, &data, &err);
            CHECK(r < 0 && strstr(err.msg, "idmap"), "idmap refused clearly");
        }
    }
    {
        static const char text[] =
            "Inter-|   Receive                                                |  Transmit\n"
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
            "    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n"
            "  eth0: 1234567    1000    1    2    0     0          0         0   765432     900    3    4    0     0       0          0\n"
            "garbage line\n"
            "  eth1: 1 2\n";
        eb_stats_t *st = calloc(1, sizeof(*st));
        eb_stats_parse_netdev(text, st);
        CHECK(st->n_net == 1 && strcmp(st->net[0].name, "eth0") == 0, "netdev: lo skipped, short lines ignored");
        CHECK(st->net[0].rx_bytes == 1234567 && st->net[0].rx_packets == 1000 && st->net[0].rx_errors == 1
              && st->net[0].rx_dropped == 2 && st->net[0].tx_bytes == 765432 && st->net[0].tx_packets == 900
              && st->net[0].tx_errors == 3 && st->net[0].tx_dropped == 4, "netdev: counters");
        {
            char *j = eb_stats_to_json(st);
            CHECK(strstr(j, "\"network_interfaces\":[{\"name\":\"eth0\",\"rx_bytes\":1234567") != NULL, "stats JSON carries network_interfaces");
            free(j);
        }
        free(st);
    }
    {
        int sv[2];
        eb_sync_msg_t *m = calloc(1, sizeof(*m));
        eb_error_t err = { 0 };
        socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
        eb_sync_send(sv[0], EB_SYNC_PID, 0, "abcd", 4, 1, &err);
        CHECK(eb_sync_recv(sv[1], m, &err) == 0 && m->type == EB_SYNC_PID && m->len == 4 && m->fd >= 0, "sync: message with fd");
        if (m->fd >= 0)
            close(m->fd);
        {
            /* a header that lies about the payload length */
            uint32_t bad[3] = { EB_SYNC_PID, 0, 100 };
            if (send(sv[0], bad, sizeof(bad), 0) < 0) { }
            CHECK(eb_sync_recv(sv[1], m, &err) < 0 && strstr(err.msg, "malformed"), "sync: malformed message refused");
        }
        eb_sync_send(sv[0], EB_SYNC_ERROR, 13, "boom", 4, -1, &err);
        CHECK(eb_sync_expect(sv[1], EB_SYNC_CREATED, m, &err) < 0 && strcmp(err.msg, "boom") == 0 && err.code == 13,
              "sync: peer errors carry errno and message");
        close(sv[0]);
        CHECK(eb_sync_recv(sv[1], m, &err) == 1, "sync: EOF");
        close(sv[1]);
        free(m);
    }
    {
        char dir[] = "/tmp/eb-unit-state.XXXXXX";
        eb_state_t *st = NULL, *again = NULL;
        eb_error_t err = { 0 };
        mkdtemp(dir);
        CHECK(eb_state_create(dir, "s1", &st, &err) == 0, "state: create");
        CHECK(eb_state_create(dir, "s1", &again, &err) < 0 && strstr(err.msg, "already exists"), "state: duplicate id refused");
        st->bundle = eb_xstrdup("/b");
        st->creating = false;
        st->pid = getpid();
        st->starttime = eb_pid_starttime(getpid());
        CHECK(eb_state_save(st, &err) == 0, "state: save");
        CHECK(eb_state_load(dir, "s1", false, &again, &err) == 0 && strcmp(again->bundle, "/b") == 0
              && again->pid == getpid(), "state: load");
        CHECK(again && eb_state_status(again) == EB_STATUS_RUNNING, "state: a live pid reads running");
        if (again) {
            again->starttime++;
            CHECK(eb_state_status(again) == EB_STATUS_STOPPED, "state: a recycled pid reads stopped");
            eb_state_free(again);
        }
        CHECK(eb_state_remove(st, &err) == 0 && access(st->dir, F_OK) < 0, "state: remove");
        eb_state_free(st);
        rmdir(dir);
        CHECK(eb_state_load(dir, "s1", false, &again, &err) < 0 && strstr(err.msg, "does not exist"), "state: unknown id");
    }
    {
        /* linux.resources.network: an error naming the missing hierarchy,
         * the values written where one is (a directory standing in for it). */
        char dir[] = "/tmp/eb-netcls.XXXXXX", path[128], *got = NULL;
        eb_net_prio_t prio[1] = { { "lo", 3 } };
        eb_resources_t r = { 0 };
        eb_error_t err = { 0 };

        r.network.class_id.set = true;
        r.network.class_id.v = 0x100001;
        CHECK(eb_cg_v1_network(NULL, NULL, &r, &err) < 0 && err.code == ENOTSUP
              && strstr(err.msg, "classID requested but no net_cls cgroup hierarchy"), "network: classID without net_cls");
        r.network.class_id.set = false;
        r.network.priorities = prio;
        r.network.n_priorities = 1;
        CHECK(eb_cg_v1_network(NULL, NULL, &r, &err) < 0 && strstr(err.msg, "priorities requested but no net_prio"),
              "network: priorities without net_prio");
        r.network.n_priorities = 0;
        CHECK(eb_cg_v1_network(NULL, NULL, &r, &err) == 0, "network: nothing asked, nothing needed");
        CHECK(mkdtemp(dir) != NULL, "network: a directory for net_cls");
        snprintf(path, sizeof(path), "%s/net_cls.classid", dir);
        close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        r.network.class_id.set = true;
        CHECK(eb_cg_v1_network(dir, NULL, &r, &err) == 0 && eb_read_file(path, 64, &got, NULL, &err) == 0
              && strcmp(got, "1048577") == 0, "network: classID written as a decimal");
        free(got);
        unlink(path);
        rmdir(dir);
    }
    return unit_failed;
}
