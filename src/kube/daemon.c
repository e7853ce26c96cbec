/* daemon.c - the daemons' common options, start-up, poll loop and admin
 * endpoints (daemon.h). */
#include "kube/daemon.h"
#include "kube/http.h"
#include "eb_config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* The poll set lives on the stack; the hub, with the most, has three. */
#define MAX_LISTENERS 8

int eb_daemon_opt(int opt, const char *name, void (*usage)(FILE *), int *debug)
{
    switch (opt) {
    case EB_DAEMON_OPT_DEBUG: *debug = 1; return -1;
    case EB_DAEMON_OPT_VERSION: printf("%s %s\n", name, EB_VERSION); return 0;
    case EB_DAEMON_OPT_HELP: usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
}

int eb_daemon_init(eb_daemon_t *d, const char *log_path, enum eb_log_format fmt, int debug, eb_error_t *err)
{
    sigset_t mask;

    d->sigfd = -1;
    if (eb_log_init(log_path, fmt, debug, err) < 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    if ((d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
        return eb_error_set(err, errno, "signalfd for SIGTERM and SIGINT");
    return 0;
}

int eb_daemon_listen(eb_daemon_t *d, eb_error_t *err)
{
    if (d->nlisteners > MAX_LISTENERS)
        return eb_error_set(err, EINVAL, "%zu listeners: at most %d", d->nlisteners, MAX_LISTENERS);
    for (d->nopen = 0; d->nopen < d->nlisteners; d->nopen++)
        if ((d->listeners[d->nopen].fd = eb_conn_listen(d->listeners[d->nopen].addr, err)) < 0)
            return -1;
    return 0;
}

static void accept_one(eb_listener_t *l)
{
    int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
    eb_conn_t c;

    if (fd < 0)
        return;
    if (l->accept) {
        l->accept(l->ud, fd);
        return;
    }
    eb_conn_init(&c, fd);
    eb_admin_serve(l->admin, &c);
    eb_conn_close(&c);
}

void eb_daemon_run(eb_daemon_t *d)
{
    struct pollfd p[MAX_LISTENERS + 1];
    size_t i, n = d->nlisteners;

    for (;;) {
        for (i = 0; i < n; i++)
            p[i] = (struct pollfd) { d->listeners[i].fd, POLLIN, 0 };
        p[n] = (struct pollfd) { d->sigfd, POLLIN, 0 };
        if (poll(p, (nfds_t) n + 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        /* a signal ends the loop before anything else is accepted */
        if (p[n].revents)
            return;
        for (i = 0; i < n; i++)
            if (p[i].revents)
                accept_one(&d->listeners[i]);
    }
}

void eb_daemon_close(eb_daemon_t *d)
{
    size_t i;

    for (i = 0; i < d->nopen; i++)
        close(d->listeners[i].fd);
    d->nopen = 0;
    if (d->sigfd >= 0)
        close(d->sigfd);
    d->sigfd = -1;
}

/* Is TARGET's path PATH (its query left out when the admin ignores it)? */
static int path_is(const eb_admin_t *a, const char *target, const char *path)
{
    size_t plen = a->ignore_query ? strcspn(target, "?") : strlen(target);

    return strlen(path) == plen && strncmp(target, path, plen) == 0;
}

static const eb_admin_route_t *route(const eb_admin_t *a, const char *target)
{
    const eb_admin_route_t *r;

    for (r = a->routes; r->path; r++)
        if (path_is(a, target, r->path))
            return r;
    return NULL;
}

void eb_admin_serve(const eb_admin_t *a, eb_conn_t *c)
{
    eb_error_t err = { 0 };
    eb_http_head_t h;
    eb_buf_t b = { 0 };
    const eb_admin_route_t *r;

    c->timeout_ms = a->timeout_ms;
    if (eb_http_read_head(c, 1, &h, &err) != 0) {
        eb_http_head_free(&h);
        return;
    }
    if (a->get_only && strcmp(h.method, "GET") != 0) {
        eb_http_respond(c, 0, 405, a->text_ctype, "only GET\n", 9);
    } else if ((r = route(a, h.target))) {
        const char *ctype = r->ctype;
        int status = r->fill(a->ud, r->path, &b, &ctype);
        eb_http_respond(c, 0, status, ctype ? ctype : a->text_ctype, b.p, b.len);
    } else if (a->metrics && path_is(a, h.target, "/metrics")) {
        a->metrics(a->ud, &b);
        eb_http_respond(c, 0, 200, EB_PROM_CTYPE, b.p, b.len);
    } else {
        eb_http_respond(c, 0, 404, a->text_ctype, "not found\n", 10);
    }
    eb_buf_free(&b);
    eb_http_head_free(&h);
}

int eb_daemon_no_args(int argc, char **argv, eb_error_t *err)
{
    if (optind < argc)
        return eb_error_set(err, EINVAL, "unexpected argument `%s`", argv[optind]);
    return 0;
}
