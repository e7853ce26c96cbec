/* logio.h - the stdio URIs containerd passes instead of FIFOs (`ctr run
 * --log-uri`, cio.LogFile, cio.BinaryIO), served as containerd 1.6's own
 * runc shim serves them (its pkg/process/io.go):
 *
 *   file:///abs/path        stdout and stderr appended to the file (its
 *                           directory created, 0755; the file 0644)
 *   binary:///abs/bin?k=v   a logger: started with the query as its
 *                           arguments (k v ...), CONTAINER_ID and
 *                           CONTAINER_NAMESPACE its only environment,
 *                           fd 3 / fd 4 the read ends of the process's
 *                           stdout / stderr pipes, fd 5 a pipe it writes
 *                           to or closes once it is ready
 *
 * The URI is untrusted: parsed as Go's net/url parses it (scheme, an
 * authority that must be empty, the path and the query percent-decoded),
 * bounded in length and in the number of arguments. */
#ifndef EB_SHIM_LOGIO_H
#define EB_SHIM_LOGIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

#define EB_LOGURI_MAX 65536        /* bytes of a URI */
#define EB_LOGURI_MAX_ARGS 256     /* query pairs: 2 arguments each */
/* containerd 1.6 waits for the logger's ready without a bound; the shim
 * serves a pod's every container from one thread, so it waits as long as
 * containerd gives a logger to exit (binaryIOProcTermTimeout). */
#define EB_LOGGER_READY_MS 12000
#define EB_LOGGER_TERM_MS 12000    /* after SIGTERM at Delete, then SIGKILL */

typedef enum { EB_LOGURI_NONE, EB_LOGURI_FILE, EB_LOGURI_BINARY } eb_loguri_kind_t;

typedef struct {
    eb_loguri_kind_t kind;
    char *path;                /* decoded, absolute */
    char **args;               /* the logger's arguments: key, value, ...; NULL-terminated */
    size_t n_args;
} eb_loguri_t;

/* A logger process (binary://).  It stays in the shim's list until it is
 * reaped and its process released (Delete), whichever comes last. */
typedef struct eb_logger {
    pid_t pid;                 /* also its process group */
    bool reaped, released;
    uint64_t kill_at;          /* ms (eb_now_ms): SIGKILL if it still runs */
    struct eb_logger *next;
} eb_logger_t;

/* What S is: EB_LOGURI_NONE for a FIFO's path (no scheme, as url.Parse
 * sees it), else the URI parsed into U; an unknown scheme, a malformed
 * URI, a relative path are errors naming S. */
int eb_loguri_parse(const char *s, eb_loguri_t *u, eb_error_t *err);
void eb_loguri_free(eb_loguri_t *u);

/* The process's stdout and stderr for the log URI U: OUT[0], OUT[1] (one
 * open file twice; a logger's pipes' write ends, the logger started and
 * ready, in LIST as *LOGGER).  ID and NS: the logger's CONTAINER_ID and
 * CONTAINER_NAMESPACE.  On failure nothing is left: no fd, no process. */
int eb_logio_open(const eb_loguri_t *u, const char *id, const char *ns, int out[2], eb_logger_t **list,
                  eb_logger_t **logger, eb_error_t *err);
/* The process of LOGGER is deleted: SIGTERM, EB_LOGGER_TERM_MS to exit. */
void eb_logio_release(eb_logger_t **list, eb_logger_t *logger);
/* PID was reaped: true if it was a logger. */
bool eb_logio_reaped(eb_logger_t **list, pid_t pid);
/* SIGKILL the released loggers whose time is up; the ms until the next
 * deadline, -1 if none. */
int eb_logio_tick(eb_logger_t **list);
/* The shim ends: every logger is released, waited for until its
 * deadline, then killed, and reaped. */
void eb_logio_shutdown(eb_logger_t **list);

#endif
