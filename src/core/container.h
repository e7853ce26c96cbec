/* container.h - the container lifecycle as a library (no CLI, no exit()).
 *
 * The CLI verbs, and later the guest agent, call these.  Each call takes
 * the container's lock for as long as it changes the container. */
#ifndef EB_CONTAINER_H
#define EB_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "core/cgroup.h"
#include "core/seccomp_filter.h"
#include "core/state.h"
#include "spec/spec.h"

typedef struct eb_container {
    eb_state_t *state;
    eb_spec_t *spec;           /* the config saved at create, with EB_LOAD_SPEC */
    eb_cgroup_t *cgroup;       /* NULL if it never got one */
    eb_status_t status;
} eb_container_t;

typedef struct {
    const char *root, *id, *bundle;
    const char *pid_file;
    const char *console_socket;
    int preserve_fds;
    bool no_pivot;
    bool keep_console;         /* run in the foreground with a tty: return the master */
    const int *stdio;          /* 3 fds (> 2) to give the process as 0, 1, 2; NULL: ours */
} eb_create_opts_t;

typedef struct {
    const char *root, *id;
    const char *process_json;  /* --process file contents, or NULL */
    const char *const *args;   /* when no process_json */
    const char *const *env;    /* extra KEY=VALUE */
    const char *cwd, *user;    /* "uid[:gid]" */
    const char *const *caps;   /* extra capabilities */
    bool tty, no_new_privs_set, no_new_privs;
    const char *apparmor, *selinux;
    const char *console_socket;
    bool keep_console;
    int preserve_fds;
    const char *pid_file;
    const int *stdio;          /* as for create */
} eb_exec_opts_t;

/* What eb_container_load does beyond reading the state. */
enum {
    EB_LOAD_LOCK = 1,          /* take the container's lock */
    EB_LOAD_SPEC = 2,          /* parse the saved config (hooks, exec, update) */
};
int eb_container_load(const char *root, const char *id, int flags, eb_container_t **out, eb_error_t *err);
void eb_container_free(eb_container_t *c);
static inline void eb_container_freep(eb_container_t **c) { eb_container_free(*c); }
#define _cleanup_container_ __attribute__((cleanup(eb_container_freep)))

/* create: everything up to the init blocked on the exec fifo, from
 * O->bundle's config.json (saved verbatim with the container).  With
 * keep_console the pty master is returned in *MASTER (else -1). */
int eb_container_create(const eb_create_opts_t *o, pid_t *pid, int *master, eb_error_t *err);
/* create from a spec the caller has already parsed (the guest agent), as
 * eb_container_create does otherwise.  O->bundle (NULL: ".") is only the
 * directory relative paths (root.path, bind sources, hooks' cwd) start
 * from: no config.json is read there; the container's saved config is
 * SPEC's JSON.  SPEC stays the caller's (borrowed for the call, nothing
 * keeps it afterwards): free it with eb_spec_free or _cleanup_spec_. */
int eb_container_create_spec(const eb_create_opts_t *o, const eb_spec_t *spec, pid_t *pid, int *master,
                             eb_error_t *err);
int eb_container_start(const char *root, const char *id, eb_error_t *err);
int eb_container_kill(const char *root, const char *id, int sig, bool all, eb_error_t *err);
int eb_container_delete(const char *root, const char *id, bool force, eb_error_t *err);
int eb_container_pause(const char *root, const char *id, bool pause, eb_error_t *err);
/* Start a process in a running container.  Returns its pid; *MASTER as
 * for create. */
int eb_container_exec(const eb_exec_opts_t *o, pid_t *pid, int *master, eb_error_t *err);
/* Apply RES and merge RES_JSON (its linux.resources text) into the saved
 * config, so later commands see the limits in force, as runc does. */
int eb_container_update(const char *root, const char *id, const eb_resources_t *res, const char *res_json,
                        eb_error_t *err);

/* Compile (or fetch from ROOT's cache) the spec's seccomp filter. */
int eb_container_seccomp(const eb_spec_t *spec, const char *root, eb_seccomp_filter_t **out, eb_error_t *err);
/* The same filter as a cache entry (eb_seccomp_export) for a runtime
 * that will look KEY up (a runv guest: the linux.seccomp text of its
 * spec); nothing (*NAME NULL) unless KEY is this spec's. */
int eb_container_seccomp_export(const eb_spec_t *spec, const char *root, const char *key, char **name, char **data,
                                size_t *len, eb_error_t *err);

/* Write PID to PATH atomically (runc's --pid-file). */
int eb_write_pid_file(const char *path, pid_t pid, eb_error_t *err);

#endif
