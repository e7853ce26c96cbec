/* cli.h - what the CLI verbs share: global options, the option parser
 * (runc/urfave-compatible: --opt v, --opt=v, -o v, -opt v; flags stop at
 * the first positional argument) and the verb table entry type. */
#ifndef EB_CLI_H
#define EB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "class/class.h"
#include "common/error.h"

typedef struct {
    const char *root;
    const char *log, *log_format;
    bool debug, systemd_cgroup;
} eb_global_t;

typedef struct {
    const char **v;
    size_t n;
} eb_strv_t;

typedef struct {
    const char *name;      /* long name without dashes */
    char short_name;       /* 0 when none */
    enum { OPT_FLAG, OPT_STRING, OPT_MULTI } kind;
    void *target;          /* bool *, const char **, eb_strv_t * */
} eb_opt_t;

/* Parse ARGV[0..ARGC) against OPTS; *POS gets the index of the first
 * positional argument.  Returns -1 with ERR on an unknown option. */
int eb_cli_parse(int argc, char **argv, const eb_opt_t *opts, int *pos, eb_error_t *err);

/* The exit code of a command that waited for a process: its status, or
 * 128 + the signal that killed it (as a shell reports it). */
int eb_exit_status(int status);

/* The flags `create` and `run` share (runc's). */
typedef struct {
    const char *bundle, *pid_file, *console, *preserve, *notify;
    bool no_pivot, no_keyring;
} eb_create_flags_t;
#define EB_CREATE_FLAGS 7
/* Fill OPTS[0..EB_CREATE_FLAGS) with them; returns EB_CREATE_FLAGS. */
size_t eb_cli_create_flags(eb_opt_t *opts, eb_create_flags_t *f);
/* The create options for ID, and the class its bundle asks for. */
int eb_cli_create_opts(const eb_global_t *g, const eb_create_flags_t *f, const char *id, eb_create_opts_t *o,
                       const eb_class_t **class, eb_error_t *err);
/* --preserve-fds N (NULL: 0). */
int eb_cli_parse_fds(const char *preserve, int *n, eb_error_t *err);
/* Wait in the foreground for PID (a child): relay signals, and the tty
 * through MASTER when it is >= 0 (closed after). */
int eb_cli_wait(pid_t pid, int master, int *status, eb_error_t *err);

typedef int (*eb_verb_fn)(eb_global_t *g, int argc, char **argv, eb_error_t *err);

/* Require exactly N positional args after parsing (argv+pos). */
int eb_cli_need_args(const char *verb, int have, int min, int max, const char *usage, eb_error_t *err);

#define VERB(name) int eb_cmd_##name(eb_global_t *g, int argc, char **argv, eb_error_t *err)
VERB(create); VERB(start); VERB(run); VERB(state); VERB(kill); VERB(delete); VERB(exec);
VERB(ps); VERB(list); VERB(pause); VERB(resume); VERB(update); VERB(events); VERB(features);
VERB(spec); VERB(checkpoint); VERB(check); VERB(pool);
#undef VERB

#endif
