/* daemon.h - the skeleton edgebox-hub, edgebox-ecm and edgebox-stats share:
 * the options they all have (--debug, --version, --help), logging and
 * signals set up before any thread starts, listening sockets served from
 * one poll loop until SIGTERM or SIGINT, and the admin endpoints
 * (/healthz, /metrics, ...) answered from a table of routes, each daemon
 * supplying its own health state and metric lines.
 *
 * In src/kube because the admin endpoints speak HTTP through kube/http. */
#ifndef EB_KUBE_DAEMON_H
#define EB_KUBE_DAEMON_H

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "kube/conn.h"

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* getopt_long values of the common options; 'h' so that a daemon whose
 * short options include "h" gets -h as --help. */
enum { EB_DAEMON_OPT_HELP = 'h', EB_DAEMON_OPT_DEBUG = 0x100, EB_DAEMON_OPT_VERSION };
/* The end of a daemon's option table: the common options and the zero entry. */
#define EB_DAEMON_OPTIONS                                                                                        \
    { "debug", no_argument, 0, EB_DAEMON_OPT_DEBUG }, { "version", no_argument, 0, EB_DAEMON_OPT_VERSION },      \
        { "help", no_argument, 0, EB_DAEMON_OPT_HELP }, { 0, 0, 0, 0 }

/* For the default: case of a daemon's getopt loop: --debug sets *DEBUG
 * (-1: parsing goes on); --version and --help print (0), anything else is
 * a usage error (2): the caller exits with what it returns. */
int eb_daemon_opt(int opt, const char *name, void (*usage)(FILE *), int *debug);
/* After the getopt loop: -1 when arguments are left over. */
int eb_daemon_no_args(int argc, char **argv, eb_error_t *err);

#define EB_PROM_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* One admin endpoint.  FILL writes the body and returns the HTTP status;
 * *CTYPE starts as the route's CTYPE and may be changed (NULL: the admin's
 * text type).  PATH is the path asked for (one FILL can serve several). */
typedef struct eb_admin_route {
    const char *path;
    int (*fill)(void *ud, const char *path, eb_buf_t *body, const char **ctype);
    const char *ctype;            /* NULL: the admin's text type */
} eb_admin_route_t;

/* An admin listener's endpoints and the few ways the daemons differ. */
typedef struct eb_admin {
    const eb_admin_route_t *routes; /* ended by a NULL path */
    /* The daemon's metric lines, served at /metrics (200, Prometheus
     * text) unless a route has that path. */
    void (*metrics)(void *ud, eb_buf_t *body);
    void *ud;
    int timeout_ms;               /* for the request head */
    const char *text_ctype;       /* 404, 405 and routes without their own */
    int get_only;                 /* 405 for other methods */
    int ignore_query;             /* route on the path without "?..." */
} eb_admin_t;

/* One request on C (the caller closes it): read, routed, answered. */
void eb_admin_serve(const eb_admin_t *a, eb_conn_t *c);

/* A listening socket: accepted connections go to ACCEPT (which owns the
 * fd) or, without one, are answered at once from ADMIN. */
typedef struct eb_listener {
    const char *addr;             /* HOST:PORT */
    void (*accept)(void *ud, int fd);
    void *ud;
    const eb_admin_t *admin;
    int fd;                       /* set by eb_daemon_listen */
} eb_listener_t;

typedef struct eb_daemon {
    eb_listener_t *listeners;     /* opened in this order */
    size_t nlisteners;
    size_t nopen;                 /* listeners whose fd is open: the first ones */
    int sigfd;
} eb_daemon_t;

/* Logging, SIGPIPE ignored, SIGTERM and SIGINT blocked and read from a
 * signalfd.  First, before any thread starts: a thread that leaves them
 * unblocked would take them with their default action. */
int eb_daemon_init(eb_daemon_t *d, const char *log_path, enum eb_log_format fmt, int debug, eb_error_t *err);
/* Every listener's socket, in order. */
int eb_daemon_listen(eb_daemon_t *d, eb_error_t *err);
/* Accept and serve until SIGTERM or SIGINT (or poll fails). */
void eb_daemon_run(eb_daemon_t *d);
/* The listening sockets and the signalfd. */
void eb_daemon_close(eb_daemon_t *d);

#endif
