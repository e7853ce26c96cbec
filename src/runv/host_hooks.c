/* host_hooks.c - the hooks of a runv container that run on the host.
 *
 * prestart, createRuntime, poststart and poststop are the runtime's: they
 * run here, where the runtime is, and see the pod as the host sees it.
 * They run in the pod's network namespace (the one the VM runs in, and
 * where state.pid, the relay, lives), so that a network plugin called as
 * a hook configures the pod's network and not the node's.
 * createContainer and startContainer run in the guest (guest_spec.c).
 * The runner is the core's (core/hooks.c), in a child that entered the
 * namespace, so that this process's namespaces stay as they are. */
#include "runv/host_hooks.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "core/hooks.h"
#include "spec/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What each child runs: these kinds, in order; with EVERY, a failure is a
 * warning and the rest still run (poststart, poststop). */
typedef struct {
    const enum eb_hook_kind *kinds;
    size_t n_kinds;
    bool every;
} hook_plan_t;

static __attribute__((noreturn)) void child_run(const eb_spec_t *spec, const hook_plan_t *p, const char *state,
                                                int report)
{
    eb_error_t err = { 0 };
    const char *netns = spec->namespaces[EB_NS_NET].present ? spec->namespaces[EB_NS_NET].path : NULL;
    size_t i, k;
    int fd;

    if (netns) {
        fd = open(netns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
            eb_error_set(&err, errno, "enter the pod's network namespace `%s` for the hooks", netns);
            if (!p->every)
                goto out;
            /* Gone before delete: the teardown hooks still run. */
            eb_warn("%s: running the hooks in the runtime's", err.msg);
            eb_error_clear(&err);
        }
    }
    for (k = 0; k < p->n_kinds; k++) {
        if (!p->every) {
            if (eb_hooks_run(spec, p->kinds[k], state, &err) < 0)
                goto out;
            continue;
        }
        /* One at a time through a one-hook view, so a failure stops none
         * of the others (the spec: warn and go on). */
        for (i = 0; i < spec->n_hooks[p->kinds[k]]; i++) {
            eb_spec_t one = { 0 };
            one.hooks[p->kinds[k]] = &spec->hooks[p->kinds[k]][i];
            one.n_hooks[p->kinds[k]] = 1;
            if (eb_hooks_run(&one, p->kinds[k], state, &err) < 0) {
                eb_warn("%s hook %zu failed: %s", eb_hook_kind_names[p->kinds[k]], i, err.msg);
                eb_error_clear(&err);
            }
        }
    }
out:
    if (eb_error_is_set(&err) && write(report, err.msg, strlen(err.msg)) < 0) { }
    _exit(eb_error_is_set(&err) ? 1 : 0);
}

static int run_plan(const eb_spec_t *spec, const hook_plan_t *p, const char *state, eb_error_t *err)
{
    char msg[EB_ERROR_MSG_MAX];
    ssize_t n = 0, r;
    int pfd[2], status = 0;
    pid_t pid;

    if (pipe2(pfd, O_CLOEXEC) < 0)
        return eb_error_set(err, errno, "pipe for the hooks");
    pid = fork();
    if (pid < 0) {
        close(pfd[0]), close(pfd[1]);
        return eb_error_set(err, errno, "fork for the hooks");
    }
    if (pid == 0) {
        close(pfd[0]);
        child_run(spec, p, state, pfd[1]);
    }
    close(pfd[1]);
    while ((size_t) n < sizeof(msg) - 1 && ((r = read(pfd[0], msg + n, sizeof(msg) - 1 - (size_t) n)) > 0
                                            || (r < 0 && errno == EINTR)))
        n += r > 0 ? r : 0;
    msg[n] = 0;
    close(pfd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) { }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    return eb_error_set(err, 0, "%s", n > 0 ? msg : "the hooks' process died");
}

int eb_runv_hooks_create(const eb_spec_t *spec, eb_state_t *st, eb_error_t *err)
{
    static const enum eb_hook_kind kinds[] = { EB_HOOK_PRESTART, EB_HOOK_CREATE_RUNTIME };
    hook_plan_t p = { kinds, 2, false };
    _cleanup_free_ char *state = NULL;

    if (spec->n_hooks[EB_HOOK_PRESTART] == 0 && spec->n_hooks[EB_HOOK_CREATE_RUNTIME] == 0)
        return 0;
    /* As the runc class (and runc) say at this point. */
    state = eb_state_to_json(st, EB_STATUS_CREATING, false);
    return run_plan(spec, &p, state, err);
}

void eb_runv_hooks_after(eb_state_t *st, enum eb_hook_kind kind)
{
    _cleanup_bundle_ eb_bundle_t b = { 0 };
    _cleanup_free_ char *state = NULL, *saved = eb_state_path(st, EB_BUNDLE_CONFIG);
    hook_plan_t p = { &kind, 1, true };
    eb_error_t err = { 0 };

    if (access(saved, F_OK) < 0)
        return;     /* made before the config was saved: no hooks known */
    if (eb_bundle_load(st->dir, 0, &b, &err) < 0) {
        eb_warn("%s hooks not run: %s", eb_hook_kind_names[kind], err.msg);
        return;
    }
    if (b.spec->n_hooks[kind] == 0)
        return;
    state = eb_state_to_json(st, kind == EB_HOOK_POSTSTOP ? EB_STATUS_STOPPED : EB_STATUS_RUNNING, false);
    if (run_plan(b.spec, &p, state, &err) < 0)
        eb_warn("%s hooks: %s", eb_hook_kind_names[kind], err.msg);
}

int eb_runv_hooks_save(eb_state_t *st, const char *text, size_t len, eb_error_t *err)
{
    return eb_write_file_atomic(st->dir, EB_BUNDLE_CONFIG, text, len, err);
}
