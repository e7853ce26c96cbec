/* main.c - edgebox-ecm: options, threads, shutdown; the admin listener is
 * the daemon skeleton's (kube/daemon.h). */
#include "ecm/ecm.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "eb_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: edgebox-ecm [options]\n"
            "Keeps pods on nodes annotated node.edgebox.io/autonomy=true from being evicted\n"
            "while the node is unreachable or NotReady.\n\n"
            "  --kubeconfig FILE        cluster and credentials (default: the pod's service account)\n"
            "  --context NAME           kubeconfig context (default: current-context)\n"
            "  --admin-listen ADDR      /healthz, /readyz, /metrics (default :10270)\n"
            "  --lease-namespace NS     namespace of the leader-election Lease (default kube-system)\n"
            "  --lease-name NAME        its name (default edgebox-ecm)\n"
            "  --identity ID            this replica's holder identity (default HOSTNAME_RANDOM)\n"
            "  --lease-duration S       seconds a lease is valid without renewal (default 15)\n"
            "  --renew-deadline S       a leader that could not renew for this long stops (default 10)\n"
            "  --retry-period S         seconds between lease attempts (default 2)\n"
            "  --resync S               every pod looked at again this often (default 300)\n"
            "  --debug                  debug messages\n"
            "  --version\n");
}

static int int_opt(const char *s, const char *name, int min, int *out, eb_error_t *err)
{
    int64_t v;

    if (eb_parse_i64(s, &v) < 0 || v < min || v > 86400)
        return eb_error_set(err, EINVAL, "%s: `%s` is not an integer in [%d, 86400]", name, s, min);
    *out = (int) v;
    return 0;
}

static char *default_identity(void)
{
    char host[256] = "edgebox-ecm";
    unsigned char r[6];
    size_t i;
    char suffix[16];

    gethostname(host, sizeof(host) - 1);
    if (getrandom(r, sizeof(r), 0) != (ssize_t) sizeof(r))
        memset(r, 0, sizeof(r));
    for (i = 0; i < sizeof(r); i++)
        snprintf(suffix + 2 * i, 3, "%02x", r[i]);
    return eb_strdup_printf("%s_%s", host, suffix);
}

/* The shared state, the two informers, the worker and the lease thread. */
static int start(eb_ecm_t *ecm, pthread_t *worker_t, pthread_t *lease_t, eb_error_t *err)
{
    int rc;

    pthread_mutex_init(&ecm->lock, NULL);
    ecm->seen = json_object_new_object();
    ecm->attempts = json_object_new_object();
    eb_queue_init(&ecm->queue);
    ecm->nodes = (eb_informer_t) { .kc = &ecm->kc, .user_agent = "edgebox-ecm/" EB_VERSION, .res = "v1/nodes",
                                   .handler = eb_ecm_on_node, .ud = ecm };
    ecm->pods = (eb_informer_t) { .kc = &ecm->kc, .user_agent = "edgebox-ecm/" EB_VERSION, .res = "v1/pods",
                                  .handler = eb_ecm_on_pod, .ud = ecm };
    if (eb_informer_start(&ecm->nodes, err) < 0 || eb_informer_start(&ecm->pods, err) < 0)
        return -1;
    atomic_store(&ecm->worker_running, 1);
    atomic_store(&ecm->lease_running, 1);
    if ((rc = pthread_create(worker_t, NULL, eb_ecm_worker, ecm)) != 0
        || (rc = pthread_create(lease_t, NULL, eb_ecm_lease_thread, ecm)) != 0)
        return eb_error_set(err, rc, "start threads");
    return 0;
}

/* Stop acting first, then hand the lease over at once instead of letting
 * the other replicas wait for it to expire. */
static void stop(eb_ecm_t *ecm, pthread_t worker_t, pthread_t lease_t)
{
    atomic_store(&ecm->stopping, 1);
    eb_queue_close(&ecm->queue);
    pthread_join(worker_t, NULL);
    pthread_join(lease_t, NULL);
    eb_ecm_release(ecm);
    eb_informer_stop(&ecm->nodes);
    eb_informer_stop(&ecm->pods);
    eb_log_fields(EB_LOG_INFO, "edgebox-ecm stopped", "identity", ecm->cfg.identity, NULL);
    eb_queue_free(&ecm->queue);
    json_object_put(ecm->seen);
    json_object_put(ecm->attempts);
    eb_kubeconfig_free(&ecm->kc);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "kubeconfig", required_argument, 0, 'k' }, { "context", required_argument, 0, 'c' },
        { "admin-listen", required_argument, 0, 'a' }, { "lease-namespace", required_argument, 0, 'n' },
        { "lease-name", required_argument, 0, 'N' }, { "identity", required_argument, 0, 'i' },
        { "lease-duration", required_argument, 0, 'D' }, { "renew-deadline", required_argument, 0, 'R' },
        { "retry-period", required_argument, 0, 'P' }, { "resync", required_argument, 0, 'S' },
        EB_DAEMON_OPTIONS,
    };
    static eb_ecm_t ecm;
    eb_admin_t admin;
    eb_listener_t listener = { .admin = &admin };
    eb_daemon_t dm = { .listeners = &listener, .nlisteners = 1 };
    eb_error_t err = { 0 };
    _cleanup_free_ char *identity = NULL;
    pthread_t lease_t, worker_t;
    int opt, debug = 0, rc;

    ecm.cfg = (eb_ecm_config_t) {
        .admin_listen = ":10270", .lease_namespace = "kube-system", .lease_name = "edgebox-ecm",
        .lease_duration_s = 15, .renew_deadline_s = 10, .retry_period_s = 2, .resync_s = 300,
    };
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'k': ecm.cfg.kubeconfig = optarg; break;
        case 'c': ecm.cfg.context = optarg; break;
        case 'a': ecm.cfg.admin_listen = optarg; break;
        case 'n': ecm.cfg.lease_namespace = optarg; break;
        case 'N': ecm.cfg.lease_name = optarg; break;
        case 'i': ecm.cfg.identity = optarg; break;
        case 'D': if (int_opt(optarg, "--lease-duration", 1, &ecm.cfg.lease_duration_s, &err) < 0) goto fail; break;
        case 'R': if (int_opt(optarg, "--renew-deadline", 1, &ecm.cfg.renew_deadline_s, &err) < 0) goto fail; break;
        case 'P': if (int_opt(optarg, "--retry-period", 1, &ecm.cfg.retry_period_s, &err) < 0) goto fail; break;
        case 'S': if (int_opt(optarg, "--resync", 1, &ecm.cfg.resync_s, &err) < 0) goto fail; break;
        default:
            if ((rc = eb_daemon_opt(opt, "edgebox-ecm", usage, &debug)) >= 0)
                return rc;
        }
    }
    if (eb_daemon_no_args(argc, argv, &err) < 0)
        goto fail;
    /* client-go's rule: the lease outlives a missed renewal, and a leader
     * gives up before the lease it holds can pass to another */
    if (!(ecm.cfg.lease_duration_s > ecm.cfg.renew_deadline_s && ecm.cfg.renew_deadline_s > ecm.cfg.retry_period_s)) {
        eb_error_set(&err, EINVAL, "need --lease-duration > --renew-deadline > --retry-period (got %d, %d, %d)",
                     ecm.cfg.lease_duration_s, ecm.cfg.renew_deadline_s, ecm.cfg.retry_period_s);
        goto fail;
    }
    if (eb_daemon_init(&dm, NULL, EB_LOG_JSON, debug, &err) < 0)
        goto fail;
    if (ecm.cfg.kubeconfig ? eb_kubeconfig_load(ecm.cfg.kubeconfig, ecm.cfg.context, &ecm.kc, &err)
                           : eb_kubeconfig_in_cluster(&ecm.kc, &err))
        goto fail;
    if (!ecm.cfg.identity)
        ecm.cfg.identity = identity = default_identity();
    eb_ecm_admin(&ecm, &admin);
    listener.addr = ecm.cfg.admin_listen;
    if (eb_daemon_listen(&dm, &err) < 0 || start(&ecm, &worker_t, &lease_t, &err) < 0)
        goto fail;
    eb_log_fields(EB_LOG_INFO, "edgebox-ecm started", "identity", ecm.cfg.identity, "apiserver", ecm.kc.server, "lease",
               ecm.cfg.lease_name, "leaseNamespace", ecm.cfg.lease_namespace, "admin", ecm.cfg.admin_listen, NULL);
    eb_daemon_run(&dm);
    stop(&ecm, worker_t, lease_t);
    eb_daemon_close(&dm);
    return 0;
fail:
    fprintf(stderr, "edgebox-ecm: %s\n", err.msg);
    return 1;
}
