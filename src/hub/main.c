/* main.c - edgebox-hub: options, start-up, the client listeners' threads,
 * shutdown; the listeners' loop is the daemon skeleton's (kube/daemon.h). */
#include "hub/hub.h"
#include "kube/daemon.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: edgebox-hub --kubeconfig FILE [options]\n"
            "\n"
            "Caching proxy between the node's components and kube-apiserver: forwards\n"
            "everything online, answers reads from its on-disk cache offline.\n"
            "\n"
            "  --kubeconfig FILE          apiserver endpoint and credentials (required)\n"
            "  --context NAME             kubeconfig context (default: current-context)\n"
            "  --listen ADDR              plain HTTP for node components (default 127.0.0.1:10261)\n"
            "  --secure-listen ADDR       HTTPS as well, with --tls-cert and --tls-key\n"
            "  --admin-listen ADDR        /healthz and /metrics (default 127.0.0.1:10267)\n"
            "  --cache FILE               cache database (default /var/lib/edgebox/hub/cache.db)\n"
            "  --cache-agents LIST        User-Agent products whose reads are cached, or '*'\n"
            "                             (default kubelet,kube-proxy,kubectl,coredns,flanneld,edgebox-ecm)\n"
            "  --health-interval MS       apiserver health check period (default 5000)\n"
            "  --health-timeout MS        one health check's deadline (default 2000)\n"
            "  --unhealthy-threshold N    failed checks in a row before going offline (default 3)\n"
            "  --healthy-threshold N      good checks in a row before going online (default 2)\n"
            "  --read-timeout MS          a read the cache can answer waits this long for the\n"
            "                             apiserver's answer, then is answered from the cache (default 3000)\n"
            "  --offline-watch-hold S     offline watches end after S seconds (default 60)\n"
            "  --max-connections N        concurrent client connections (default 512)\n"
            "  --max-body BYTES           largest request body and cached response (default 67108864)\n"
            "  --log FILE  --debug\n");
}

static int server_tls(eb_hub_t *hub, eb_error_t *err)
{
    hub->server_ctx = SSL_CTX_new(TLS_server_method());
    if (!hub->server_ctx)
        return eb_error_set(err, ENOMEM, "TLS server context");
    SSL_CTX_set_min_proto_version(hub->server_ctx, TLS1_2_VERSION);
    SSL_CTX_set_read_ahead(hub->server_ctx, 1);
    if (SSL_CTX_use_certificate_chain_file(hub->server_ctx, hub->cfg.tls_cert) != 1
        || SSL_CTX_use_PrivateKey_file(hub->server_ctx, hub->cfg.tls_key, SSL_FILETYPE_PEM) != 1
        || SSL_CTX_check_private_key(hub->server_ctx) != 1) {
        char buf[256] = "";
        ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
        return eb_error_set(err, EINVAL, "serving certificate %s / key %s: %s", hub->cfg.tls_cert, hub->cfg.tls_key, buf);
    }
    return 0;
}

static int int_opt(const char *s, const char *name, long min, long *out, eb_error_t *err)
{
    int64_t v;

    if (eb_parse_i64(s, &v) < 0 || v < min)
        return eb_error_set(err, EINVAL, "%s: `%s` is not an integer >= %ld", name, s, min);
    *out = (long) v;
    return 0;
}

/* A client listener (plain or TLS): the ud of its accept callback. */
typedef struct port {
    eb_hub_t *hub;
    int tls;
    pthread_attr_t *attr;         /* client threads: detached, small stacks */
} port_t;

static void spawn(void *ud, int fd)
{
    port_t *port = ud;
    eb_hub_t *hub = port->hub;
    eb_client_t *cl;
    pthread_t t;

    if (atomic_load(&hub->conns) >= hub->cfg.max_conns) {
        eb_conn_t c;
        eb_conn_init(&c, fd);
        eb_serve_status(&c, 0, 503, "ServiceUnavailable", "edgebox-hub: too many connections (%d)", hub->cfg.max_conns);
        eb_conn_close(&c);
        return;
    }
    /* Heads and bodies go out in separate writes: without NODELAY the
     * second waits for the client's delayed ACK (40 ms). */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof(int));
    cl = eb_xcalloc(1, sizeof(*cl));
    cl->hub = hub;
    cl->tls = port->tls;
    eb_conn_init(&cl->c, fd);
    atomic_fetch_add(&hub->conns, 1);
    if (pthread_create(&t, port->attr, eb_hub_client_thread, cl) != 0) {
        atomic_fetch_sub(&hub->conns, 1);
        eb_conn_close(&cl->c);
        free(cl);
    }
}

/* What the listeners serve from: credentials, the cache and its writer,
 * the serving certificate. */
static int open_hub(eb_hub_t *hub, eb_error_t *err)
{
    _cleanup_free_ char *cache_dir = NULL;

    if (eb_kubeconfig_load(hub->cfg.kubeconfig, hub->cfg.context, &hub->kc, err) < 0)
        return -1;
    cache_dir = eb_xstrdup(hub->cfg.cache_path);
    if (strrchr(cache_dir, '/')) {
        *strrchr(cache_dir, '/') = 0;
        if (cache_dir[0] && eb_mkdir_p(cache_dir, 0700, err) < 0)
            return -1;
    }
    if (eb_store_open(hub->cfg.cache_path, &hub->store, err) < 0 || eb_capq_start(hub, err) < 0)
        return -1;
    if (hub->cfg.secure_listen && server_tls(hub, err) < 0)
        return -1;
    return 0;
}

/* The health checker, whose first check decides online or offline: until
 * then requests wait for it (briefly: see the client thread). */
static int start_health(eb_hub_t *hub, pthread_t *health, eb_error_t *err)
{
    pthread_mutex_init(&hub->lock, NULL);
    pthread_cond_init(&hub->changed, NULL);
    atomic_store(&hub->online, 0);
    atomic_store(&hub->deciding, 1);
    if (pthread_create(health, NULL, eb_hub_health_thread, hub) != 0)
        return eb_error_set(err, errno, "start the health checker");
    return 0;
}

static void stop(eb_hub_t *hub, pthread_t health)
{
    eb_info("hub: stopping");
    atomic_store(&hub->stopping, 1);
    pthread_mutex_lock(&hub->lock);
    pthread_cond_broadcast(&hub->changed);
    pthread_mutex_unlock(&hub->lock);
    pthread_join(health, NULL);
    eb_capq_stop(hub);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "kubeconfig", required_argument, 0, 'k' }, { "context", required_argument, 0, 'x' },
        { "listen", required_argument, 0, 'l' }, { "secure-listen", required_argument, 0, 's' },
        { "admin-listen", required_argument, 0, 'a' }, { "tls-cert", required_argument, 0, 'c' },
        { "tls-key", required_argument, 0, 'K' }, { "cache", required_argument, 0, 'C' },
        { "cache-agents", required_argument, 0, 'A' }, { "health-interval", required_argument, 0, 'i' },
        { "health-timeout", required_argument, 0, 't' }, { "unhealthy-threshold", required_argument, 0, 'u' },
        { "healthy-threshold", required_argument, 0, 'T' }, { "offline-watch-hold", required_argument, 0, 'w' },
        { "read-timeout", required_argument, 0, 'r' },
        { "max-connections", required_argument, 0, 'm' }, { "max-body", required_argument, 0, 'b' },
        { "log", required_argument, 0, 'L' }, EB_DAEMON_OPTIONS,
    };
    static eb_hub_t hub;
    pthread_attr_t attr;
    port_t plain = { &hub, 0, &attr }, secure = { &hub, 1, &attr };
    eb_admin_t admin;
    /* in the order they are opened (and an error names the first that fails) */
    eb_listener_t ls[3] = { { .accept = spawn, .ud = &plain }, { .admin = &admin }, { .accept = spawn, .ud = &secure } };
    eb_daemon_t dm = { .listeners = ls };
    eb_error_t err = { 0 };
    const char *log_path = NULL;
    int debug = 0, o;
    long v = 0;
    pthread_t health;

    hub.cfg = (eb_hub_config_t) {
        .listen = "127.0.0.1:10261", .admin_listen = "127.0.0.1:10267",
        .cache_path = "/var/lib/edgebox/hub/cache.db",
        .agents = "kubelet,kube-proxy,kubectl,coredns,flanneld,edgebox-ecm",
        .health_interval_ms = 5000, .health_timeout_ms = 2000, .unhealthy_threshold = 3, .healthy_threshold = 2,
        .read_timeout_ms = 3000, .watch_hold_s = 60, .max_conns = 512, .max_body = 64L << 20,
    };
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'k': hub.cfg.kubeconfig = optarg; break;
        case 'x': hub.cfg.context = optarg; break;
        case 'l': hub.cfg.listen = optarg; break;
        case 's': hub.cfg.secure_listen = optarg; break;
        case 'a': hub.cfg.admin_listen = optarg; break;
        case 'c': hub.cfg.tls_cert = optarg; break;
        case 'K': hub.cfg.tls_key = optarg; break;
        case 'C': hub.cfg.cache_path = optarg; break;
        case 'A': hub.cfg.agents = optarg; break;
        case 'i': if (int_opt(optarg, "--health-interval", 100, &v, &err) < 0) goto fail; hub.cfg.health_interval_ms = (int) v; break;
        case 't': if (int_opt(optarg, "--health-timeout", 100, &v, &err) < 0) goto fail; hub.cfg.health_timeout_ms = (int) v; break;
        case 'u': if (int_opt(optarg, "--unhealthy-threshold", 1, &v, &err) < 0) goto fail; hub.cfg.unhealthy_threshold = (int) v; break;
        case 'T': if (int_opt(optarg, "--healthy-threshold", 1, &v, &err) < 0) goto fail; hub.cfg.healthy_threshold = (int) v; break;
        case 'w': if (int_opt(optarg, "--offline-watch-hold", 1, &v, &err) < 0) goto fail; hub.cfg.watch_hold_s = (int) v; break;
        case 'r': if (int_opt(optarg, "--read-timeout", 100, &v, &err) < 0) goto fail; hub.cfg.read_timeout_ms = (int) v; break;
        case 'm': if (int_opt(optarg, "--max-connections", 1, &v, &err) < 0) goto fail; hub.cfg.max_conns = (int) v; break;
        case 'b': if (int_opt(optarg, "--max-body", 4096, &v, &err) < 0) goto fail; hub.cfg.max_body = v; break;
        case 'L': log_path = optarg; break;
        default:
            if ((o = eb_daemon_opt(o, "edgebox-hub", usage, &debug)) >= 0)
                return o;
        }
    }
    if (optind < argc || !hub.cfg.kubeconfig) {
        usage(stderr);
        return 2;
    }
    if (!hub.cfg.secure_listen != !hub.cfg.tls_cert || !hub.cfg.tls_cert != !hub.cfg.tls_key) {
        eb_error_set(&err, EINVAL, "--secure-listen needs --tls-cert and --tls-key (and they need it)");
        goto fail;
    }
    eb_hub_admin(&hub, &admin);
    ls[0].addr = hub.cfg.listen, ls[1].addr = hub.cfg.admin_listen, ls[2].addr = hub.cfg.secure_listen;
    dm.nlisteners = hub.cfg.secure_listen ? 3 : 2;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 << 10);
    if (eb_daemon_init(&dm, log_path, EB_LOG_TEXT, debug, &err) < 0 || open_hub(&hub, &err) < 0
        || eb_daemon_listen(&dm, &err) < 0 || start_health(&hub, &health, &err) < 0)
        goto fail;
    eb_info("hub: listening on %s%s%s (admin %s), apiserver %s, cache %s", hub.cfg.listen,
            hub.cfg.secure_listen ? " and https://" : "", hub.cfg.secure_listen ? hub.cfg.secure_listen : "",
            hub.cfg.admin_listen, hub.kc.server, hub.cfg.cache_path);
    eb_daemon_run(&dm);
    stop(&hub, health);
    /* Client threads hold the store: the process exit ends them; SQLite's
     * WAL keeps the last committed state whatever they were doing. */
    _exit(0);
fail:
    fprintf(stderr, "edgebox-hub: %s\n", err.msg);
    return 1;
}
