/* state.h - what edgebox remembers about a container, under --root.
 *
 * <root>/<id>/state.json is replaced atomically (write, fsync, rename); the
 * directory is created with mkdir() so two creates of one id can't both
 * win; <root>/<id>/lock is flock()ed by every command that changes the
 * container, so commands on different containers never wait on each other.
 * The status is not stored: it is derived from the init's pid and start
 * time (a recycled pid reads as stopped), the exec fifo and the freezer. */
#ifndef EB_STATE_H
#define EB_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

typedef enum {
    EB_STATUS_CREATING, EB_STATUS_CREATED, EB_STATUS_RUNNING, EB_STATUS_PAUSED, EB_STATUS_STOPPED,
} eb_status_t;

extern const char *const eb_status_names[];

typedef struct eb_state {
    char *root, *dir;          /* --root and <root>/<id> */
    char *id, *bundle, *rootfs, *created, *owner;
    char *cgroup_path;
    int cgroup_version;
    char *isolation;           /* "runc" */
    pid_t pid;                 /* container init, 0 until known */
    unsigned long long starttime;
    pid_t creator;             /* the create process, while creating */
    unsigned long long creator_starttime;
    bool creating;
    char *annotations_json;    /* the spec's annotations object, verbatim */
    int lock_fd;
} eb_state_t;

/* Make <root>/<id> (EEXIST: "container with id exists") and lock it. */
int eb_state_create(const char *root, const char *id, eb_state_t **out, eb_error_t *err);
/* Load the state of ID; LOCK takes the container's lock first. */
int eb_state_load(const char *root, const char *id, bool lock, eb_state_t **out, eb_error_t *err);
int eb_state_save(eb_state_t *st, eb_error_t *err);
/* Remove the state directory (the lock is released by eb_state_free). */
int eb_state_remove(eb_state_t *st, eb_error_t *err);
void eb_state_free(eb_state_t *st);
static inline void eb_state_freep(eb_state_t **st) { eb_state_free(*st); }
#define _cleanup_state_ __attribute__((cleanup(eb_state_freep)))

eb_status_t eb_state_status(eb_state_t *st);
/* The OCI state JSON (pretty when PRETTY), heap string. */
char *eb_state_to_json(eb_state_t *st, eb_status_t status, bool pretty);
/* Ids under ROOT, sorted. */
int eb_state_list(const char *root, char ***ids, size_t *n, eb_error_t *err);
char *eb_state_path(const eb_state_t *st, const char *name);

#endif
