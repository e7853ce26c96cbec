/* main.c - edgebox-stats: the node daemon.  A collector thread measures
 * the node and every container under the runtime roots each interval
 * (like kubelet's cAdvisor housekeeping, so a scrape never waits on a
 * guest and the CPU rate has two samples); the daemon skeleton's loop
 * (kube/daemon.h) renders the latest snapshot. */
#include "stats/render.h"
#include "kube/daemon.h"
#include "core/state.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROOTS 8
#define ROOTFS_WALK_MAX 200000

typedef struct daemon {
    const char *roots[MAX_ROOTS];
    size_t nroots;
    const char *fs_path;
    char node_name[256];
    int interval_ms, percpu, rootfs;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    eb_snapshot_t snap;           /* under lock */
    int have_snap;
    atomic_int stopping;
    /* own metrics */
    atomic_ulong rounds, errors;
    double last_round_s;
} daemon_t;

typedef struct prev { char *key; uint64_t cpu, t; unsigned long round; } prev_t;

static void snapshot_free(eb_snapshot_t *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        eb_sample_free(&s->c[i]);
    free(s->c);
    free(s->nanocores);
    memset(s, 0, sizeof(*s));
}

/* CPU rate between two samples of the same container (or the node): -1
 * when there is no earlier one or the counter went back (a new container
 * with the old id). */
static double rate(prev_t **prev, size_t *nprev, unsigned long round, const char *key, uint64_t cpu, uint64_t t)
{
    size_t i;
    double r = -1;

    for (i = 0; i < *nprev; i++)
        if (strcmp((*prev)[i].key, key) == 0)
            break;
    if (i < *nprev) {
        if (t > (*prev)[i].t && cpu >= (*prev)[i].cpu)
            r = (double) (cpu - (*prev)[i].cpu) * 1e9 / (double) (t - (*prev)[i].t);
    } else {
        *prev = eb_xrealloc(*prev, (*nprev + 1) * sizeof(**prev));
        (*prev)[i].key = eb_xstrdup(key);
        (*nprev)++;
    }
    (*prev)[i].cpu = cpu;
    (*prev)[i].t = t;
    (*prev)[i].round = round;
    return r;
}

static void *collector(void *arg)
{
    daemon_t *d = arg;
    prev_t *prev = NULL;
    size_t nprev = 0, i;
    unsigned long round = 0;

    while (!atomic_load(&d->stopping)) {
        eb_snapshot_t s = { .node_name = d->node_name, .percpu = d->percpu };
        struct timespec ts, t0, t1;
        size_t r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        eb_node_collect(d->fs_path, &s.node);
        round++;
        s.node_nanocores = rate(&prev, &nprev, round, "", s.node.cpu_ns, s.node.time_ns);
        for (r = 0; r < d->nroots; r++) {
            char **ids = NULL;
            size_t n = 0;
            eb_error_t err = { 0 };

            if (eb_state_list(d->roots[r], &ids, &n, &err) < 0) {
                free(ids);
                continue;
            }
            for (i = 0; i < n; i++) {
                eb_sample_t smp;
                char key[2048];

                eb_error_clear(&err);
                if (eb_sample_collect(d->roots[r], ids[i], &smp, &err) < 0) {
                    /* stopped containers are simply not measured */
                    if (err.code != ESRCH && err.code != ENOENT) {
                        s.errors++;
                        eb_debug("stats: %s", err.msg);
                    }
                    eb_sample_free(&smp);
                    free(ids[i]);
                    continue;
                }
                if (d->rootfs)
                    eb_sample_rootfs_usage(&smp, ROOTFS_WALK_MAX);
                snprintf(key, sizeof(key), "%s/%s", d->roots[r], ids[i]);
                s.c = eb_xrealloc(s.c, (s.n + 1) * sizeof(*s.c));
                s.nanocores = eb_xrealloc(s.nanocores, (s.n + 1) * sizeof(*s.nanocores));
                s.c[s.n] = smp;
                s.nanocores[s.n] = rate(&prev, &nprev, round, key, smp.st.cpu.total, smp.time_ns);
                s.n++;
                free(ids[i]);
            }
            free(ids);
        }
        /* containers not measured this round are gone: forget them */
        for (i = 0; i < nprev;) {
            if (prev[i].round == round) {
                i++;
                continue;
            }
            free(prev[i].key);
            prev[i] = prev[--nprev];
        }
        atomic_fetch_add(&d->errors, s.errors);
        pthread_mutex_lock(&d->lock);
        snapshot_free(&d->snap);
        d->snap = s;
        d->have_snap = 1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        d->last_round_s = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        atomic_fetch_add(&d->rounds, 1);
        ts = eb_deadline_in(CLOCK_REALTIME, (uint64_t) d->interval_ms);
        if (!atomic_load(&d->stopping))
            pthread_cond_timedwait(&d->wake, &d->lock, &ts);
        pthread_mutex_unlock(&d->lock);
        malloc_trim(0);
    }
    for (i = 0; i < nprev; i++)
        free(prev[i].key);
    free(prev);
    return NULL;
}

static int healthz(void *ud, const char *path, eb_buf_t *b, const char **ctype)
{
    (void) ud, (void) path, (void) ctype;
    eb_buf_puts(b, "ok\n");
    return 200;
}

/* The daemon's own metrics (under d->lock: the snapshot's size). */
static void own_metrics(daemon_t *d, eb_buf_t *b)
{
    eb_buf_printf(b,
                  "# HELP edgebox_stats_rounds_total Collection rounds done.\n"
                  "# TYPE edgebox_stats_rounds_total counter\nedgebox_stats_rounds_total %lu\n"
                  "# HELP edgebox_stats_errors_total Containers that could not be measured.\n"
                  "# TYPE edgebox_stats_errors_total counter\nedgebox_stats_errors_total %lu\n"
                  "# HELP edgebox_stats_containers Containers measured in the last round.\n"
                  "# TYPE edgebox_stats_containers gauge\nedgebox_stats_containers %zu\n"
                  "# HELP edgebox_stats_round_seconds Duration of the last collection round.\n"
                  "# TYPE edgebox_stats_round_seconds gauge\nedgebox_stats_round_seconds %.6f\n",
                  atomic_load(&d->rounds), atomic_load(&d->errors), d->snap.n, d->last_round_s);
}

/* The latest snapshot as PATH shows it; 503 before the first round. */
static int snapshot(void *ud, const char *path, eb_buf_t *b, const char **ctype)
{
    daemon_t *d = ud;

    pthread_mutex_lock(&d->lock);
    if (!d->have_snap) {
        pthread_mutex_unlock(&d->lock);
        *ctype = NULL;
        eb_buf_puts(b, "no measurement yet\n");
        return 503;
    }
    if (strcmp(path, "/stats/summary") == 0) {
        _cleanup_free_ char *json = eb_render_summary(&d->snap);
        eb_buf_puts(b, json);
    } else if (strcmp(path, "/metrics/cadvisor") == 0) {
        eb_render_cadvisor(&d->snap, b);
    } else if (strcmp(path, "/metrics/resource") == 0) {
        eb_render_resource(&d->snap, b);
    } else {
        own_metrics(d, b);
    }
    pthread_mutex_unlock(&d->lock);
    return 200;
}

/* Like kubelet's read-only port: GET only, the query ignored. */
static const eb_admin_route_t routes[] = {
    { "/healthz", healthz, NULL },
    { "/stats/summary", snapshot, "application/json" },
    { "/metrics/cadvisor", snapshot, EB_PROM_CTYPE },
    { "/metrics/resource", snapshot, EB_PROM_CTYPE },
    { "/metrics", snapshot, EB_PROM_CTYPE },
    { NULL, NULL, NULL },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: edgebox-stats [options]\n"
               "Serves the node's and its edgebox containers' usage (both classes) as kubelet does:\n"
               "/stats/summary, /metrics/cadvisor, /metrics/resource; and its own /metrics, /healthz.\n\n"
               "  --root DIR          a runtime root to watch (repeatable; default /run/edgebox)\n"
               "  --listen ADDR       HOST:PORT (default 127.0.0.1:10256)\n"
               "  --interval SECONDS  between measurements (default 10; fractions allowed)\n"
               "  --node-name NAME    default: the host name\n"
               "  --fs-path PATH      the filesystem reported as the node's and the rootfs' (default /)\n"
               "  --no-rootfs         don't measure containers' writable layers\n"
               "  --percpu            cAdvisor's per-cpu series too\n"
               "  --debug\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "root", required_argument, 0, 'r' }, { "listen", required_argument, 0, 'l' },
        { "interval", required_argument, 0, 'i' }, { "node-name", required_argument, 0, 'n' },
        { "fs-path", required_argument, 0, 'f' }, { "no-rootfs", no_argument, 0, 'R' },
        { "percpu", no_argument, 0, 'p' }, EB_DAEMON_OPTIONS,
    };
    static daemon_t d;
    eb_admin_t admin = { .routes = routes, .ud = &d, .timeout_ms = 5000, .text_ctype = "text/plain",
                         .get_only = 1, .ignore_query = 1 };
    eb_listener_t listener = { .addr = "127.0.0.1:10256", .admin = &admin };
    eb_daemon_t dm = { .listeners = &listener, .nlisteners = 1 };
    eb_error_t err = { 0 };
    pthread_t th;
    int opt, debug = 0, rc;
    double secs;
    char *end;

    d.fs_path = "/";
    d.interval_ms = 10000;
    d.rootfs = 1;
    gethostname(d.node_name, sizeof(d.node_name) - 1);
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'r':
            if (d.nroots == MAX_ROOTS) {
                eb_error_set(&err, EINVAL, "at most %d --root", MAX_ROOTS);
                goto fail;
            }
            d.roots[d.nroots++] = optarg;
            break;
        case 'l': listener.addr = optarg; break;
        case 'i':
            secs = strtod(optarg, &end);
            if (end == optarg || *end || secs < 0.1 || secs > 3600) {
                eb_error_set(&err, EINVAL, "--interval: `%s` is not a number of seconds in [0.1, 3600]", optarg);
                goto fail;
            }
            d.interval_ms = (int) (secs * 1000);
            break;
        case 'n': snprintf(d.node_name, sizeof(d.node_name), "%s", optarg); break;
        case 'f': d.fs_path = optarg; break;
        case 'R': d.rootfs = 0; break;
        case 'p': d.percpu = 1; break;
        default:
            if ((rc = eb_daemon_opt(opt, "edgebox-stats", usage, &debug)) >= 0)
                return rc;
        }
    }
    if (eb_daemon_no_args(argc, argv, &err) < 0)
        goto fail;
    if (!d.nroots)
        d.roots[d.nroots++] = "/run/edgebox";
    if (eb_daemon_init(&dm, NULL, EB_LOG_TEXT, debug, &err) < 0 || eb_daemon_listen(&dm, &err) < 0)
        goto fail;
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.wake, NULL);
    if ((rc = pthread_create(&th, NULL, collector, &d)) != 0) {
        eb_error_set(&err, rc, "start the collector");
        goto fail;
    }
    eb_info("edgebox-stats: listening on %s, node %s, every %d ms", listener.addr, d.node_name, d.interval_ms);
    eb_daemon_run(&dm);
    atomic_store(&d.stopping, 1);
    pthread_mutex_lock(&d.lock);
    pthread_cond_broadcast(&d.wake);
    pthread_mutex_unlock(&d.lock);
    pthread_join(th, NULL);
    snapshot_free(&d.snap);
    eb_daemon_close(&dm);
    return 0;
fail:
    fprintf(stderr, "edgebox-stats: %s\n", err.msg);
    return 1;
}
