/* main.c - `edgebox`: global options, the verb table, and the one place
 * where an error is printed. */
#include "cli/cli.h"
#include "common/log.h"
#include "common/util.h"
#include "eb_config.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    eb_verb_fn fn;
    const char *help;
} verbs[] = {
    { "create", eb_cmd_create, "create a container" },
    { "start", eb_cmd_start, "start a created container" },
    { "run", eb_cmd_run, "create and start a container" },
    { "state", eb_cmd_state, "output the state of a container" },
    { "kill", eb_cmd_kill, "send a signal to the container's init (or all processes)" },
    { "delete", eb_cmd_delete, "delete a container and everything it holds" },
    { "exec", eb_cmd_exec, "run a new process inside a container" },
    { "ps", eb_cmd_ps, "list the processes of a container" },
    { "list", eb_cmd_list, "list containers" },
    { "pause", eb_cmd_pause, "freeze all processes of a container" },
    { "resume", eb_cmd_resume, "thaw a paused container" },
    { "update", eb_cmd_update, "change the resource limits of a container" },
    { "events", eb_cmd_events, "stream stats and OOM events of a container" },
    { "features", eb_cmd_features, "print the OCI features JSON" },
    { "spec", eb_cmd_spec, "write a default config.json" },
    { "checkpoint", eb_cmd_checkpoint, "checkpoint a container (not supported)" },
    { "check", eb_cmd_check, "report whether this host can run each isolation class" },
    { "pool", eb_cmd_pool, "fill, drain or show the pools of pre-booted sandboxes" },
};

static void usage(FILE *f)
{
    size_t i;
    fprintf(f, "edgebox - secure sandbox containers for Kubernetes edge nodes (OCI runtime)\n\n"
               "usage: edgebox [global options] COMMAND [options] [arguments]\n\n"
               "global options:\n"
               "  --root DIR          state directory (default /run/edgebox)\n"
               "  --log FILE          log file (default stderr)\n"
               "  --log-format FMT    text or json\n"
               "  --debug             log debug messages\n"
               "  --systemd-cgroup    use the systemd cgroup driver (not supported)\n"
               "  --class CLASS       runc (default) or runv; `edgebox-runv` defaults to runv.\n"
               "                      The container annotation io.edgebox.class overrides it\n"
               "  --version, --help\n\ncommands:\n");
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].help);
}

int main(int argc, char **argv)
{
    eb_global_t g = { .root = "/run/edgebox", .log_format = "text" };
    eb_error_t err = { 0 };
    bool version = false, help = false;
    const char *criu = NULL, *rootless = NULL, *class = NULL, *base = strrchr(argv[0], '/');
    const eb_opt_t opts[] = {
        { "root", 0, OPT_STRING, &g.root },
        { "log", 0, OPT_STRING, &g.log },
        { "log-format", 0, OPT_STRING, &g.log_format },
        { "debug", 0, OPT_FLAG, &g.debug },
        { "systemd-cgroup", 0, OPT_FLAG, &g.systemd_cgroup },
        { "version", 'v', OPT_FLAG, &version },
        { "help", 'h', OPT_FLAG, &help },
        { "criu", 0, OPT_STRING, &criu },
        { "rootless", 0, OPT_STRING, &rootless },
        { "class", 0, OPT_STRING, &class },
        { NULL, 0, 0, NULL },
    };
    int pos, rc;
    size_t i;

    /* containerd's BinaryName and podman's --runtime name a program, not
     * options: the name picks the default class. */
    base = base ? base + 1 : argv[0];
    if (strlen(base) >= 5 && strcmp(base + strlen(base) - 5, "-runv") == 0)
        eb_class_set_default(&eb_class_runv);
    if (eb_cli_parse(argc - 1, argv + 1, opts, &pos, &err) < 0)
        goto fail;
    if (class) {
        const eb_class_t *c = eb_class_by_name(class);
        if (c == NULL) {
            eb_error_set(&err, EINVAL, "--class: unknown class `%s` (runc or runv)", class);
            goto fail;
        }
        eb_class_set_default(c);
    }
    pos++;
    if (version) {
        const struct scmp_version *sv = seccomp_version();
        printf("edgebox version %s\nspec: %s\nlibseccomp: %u.%u.%u\n", EB_VERSION, EB_OCI_VERSION,
               sv->major, sv->minor, sv->micro);
        return 0;
    }
    if (help || pos >= argc) {
        usage(help ? stdout : stderr);
        return help ? 0 : 1;
    }
    if (strcmp(g.log_format, "text") != 0 && strcmp(g.log_format, "json") != 0) {
        eb_error_set(&err, EINVAL, "invalid log format `%s` (text or json)", g.log_format);
        goto fail;
    }
    if (eb_log_init(g.log, strcmp(g.log_format, "json") == 0 ? EB_LOG_JSON : EB_LOG_TEXT, g.debug, &err) < 0)
        goto fail;
    if (g.systemd_cgroup) {
        eb_error_set(&err, ENOTSUP, "--systemd-cgroup: the systemd cgroup driver is not supported; "
                                    "edgebox manages cgroupfs directly (drop the flag, or set "
                                    "SystemdCgroup = false / cgroup_manager = \"cgroupfs\")");
        goto fail;
    }
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(argv[pos], verbs[i].name) == 0) {
            rc = verbs[i].fn(&g, argc - pos - 1, argv + pos + 1, &err);
            if (rc < 0)
                goto fail;
            return rc;
        }
    eb_error_set(&err, EINVAL, "no such command `%s` (see edgebox --help)", argv[pos]);
fail:
    eb_err("%s", err.msg);
    if (eb_log_is_file())
        fprintf(stderr, "edgebox: %s\n", err.msg);
    return 1;
}
