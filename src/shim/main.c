/* main.c - containerd-shim-edgebox-v2 (runtime_type io.containerd.edgebox.v2).
 *
 * containerd runs the binary with Go-style flags and a command:
 *   -namespace NS -address A -publish-binary B -id ID [-debug] start
 *       in the bundle directory: start the shim that serves the pod, or
 *       find the pod's running one, and print its ttrpc address;
 *   ... -bundle DIR delete
 *       clean up after a shim that died: the container is deleted by force
 *       and the answer (a DeleteResponse) goes to stdout;
 * and the serving shim is the same binary, forked by `start`.
 *
 * One shim per pod: a container whose CRI annotations name a sandbox is
 * served by the sandbox's shim (the socket's name is derived from the
 * containerd address, the namespace and the sandbox id), so the pod's
 * containers share its VM.  The class comes from the bundle, else
 * $EDGEBOX_SHIM_CLASS, else runv; the class state lives under
 * $EDGEBOX_SHIM_ROOT (default /run/containerd/edgebox)/NS. */
#include "shim/shim.h"
#include "spec/bundle.h"
#include "spec/cri.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SOCKET_DIR "/run/containerd/s"

typedef struct {
    const char *ns, *address, *publish, *id, *bundle, *command;
    bool debug;
} args_t;

/* Go's flag syntax: -name value, --name value, -name=value. */
static int parse_args(int argc, char **argv, args_t *a, eb_error_t *err)
{
    static const char *const names[] = { "namespace", "address", "publish-binary", "id", "bundle", NULL };
    const char **targets[] = { &a->ns, &a->address, &a->publish, &a->id, &a->bundle };

    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *eq;
        size_t len, k;

        if (s[0] != '-') {
            a->command = s;
            continue;
        }
        s += s[1] == '-' ? 2 : 1;
        eq = strchr(s, '=');
        len = eq ? (size_t) (eq - s) : strlen(s);
        if (len == 5 && strncmp(s, "debug", 5) == 0) {
            a->debug = true;
            continue;
        }
        for (k = 0; names[k] && !(strlen(names[k]) == len && strncmp(s, names[k], len) == 0); k++) { }
        if (names[k] == NULL)
            return eb_error_set(err, EINVAL, "flag provided but not defined: %s", argv[i]);
        if (eq)
            *targets[k] = eq + 1;
        else if (i + 1 < argc)
            *targets[k] = argv[++i];
        else
            return eb_error_set(err, EINVAL, "flag needs an argument: %s", argv[i]);
    }
    if (!a->ns || !a->id || !eb_id_valid(a->ns) || !eb_id_valid(a->id))
        return eb_error_set(err, EINVAL, "-namespace and -id are required (valid names)");
    return 0;
}

/* The pod this container belongs to (containerd's, then CRI-O's keys). */
static char *group_of(const char *bundle, const char *id)
{
    eb_bundle_t b = { 0 };
    eb_error_t ign = { 0 };
    const char *type, *sid;
    char *g;

    if (eb_bundle_load(bundle, 0, &b, &ign) < 0)
        return eb_xstrdup(id);
    type = eb_spec_annotation_either(b.spec, EB_CRI_TYPE, EB_CRIO_TYPE);
    sid = eb_spec_annotation_either(b.spec, EB_CRI_SANDBOX_ID, EB_CRIO_SANDBOX_ID);
    g = eb_xstrdup(type && strcmp(type, "container") == 0 && sid && eb_id_valid(sid) ? sid : id);
    eb_bundle_release(&b);
    return g;
}

/* SOCKET_DIR/<sha256 of address, namespace, pod>: short whatever the ids. */
static char *socket_path(const args_t *a, const char *group)
{
    _cleanup_free_ char *key = eb_strdup_printf("%s\n%s\n%s", a->address ? a->address : "", a->ns, group);
    unsigned char md[32];
    char hex[65];

    EVP_Digest(key, strlen(key), md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return eb_strdup_printf(SOCKET_DIR "/%s", hex);
}

static int unix_socket(const char *path, bool listen_on, eb_error_t *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (fd < 0)
        return eb_error_set(err, errno, "socket");
    if (listen_on ? bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0
                  : connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        eb_error_set(err, errno, "%s %s", listen_on ? "listen on" : "connect to", path);
        close(fd);
        return -1;
    }
    return fd;
}

static void shim_root(eb_shim_t *s, const char *ns)
{
    const char *r = getenv("EDGEBOX_SHIM_ROOT");

    snprintf(s->root, sizeof(s->root), "%s/%s", r && r[0] ? r : "/run/containerd/edgebox", ns);
}

/* The serving shim: detached from containerd's start call, a subreaper. */
static __attribute__((noreturn)) void serve(const args_t *a, int lfd, const char *path)
{
    eb_shim_t s = { .ns = a->ns, .address = a->address ? a->address : "", .publish = a->publish, .id = a->id };
    eb_error_t err = { 0 };
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    /* containerd reads the shim's log from the bundle's "log" FIFO. */
    int log = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);

    setsid();
    dup2(null, 0), dup2(null, 1), dup2(log >= 0 ? log : null, 2);
    if (chdir("/") < 0) { }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    eb_log_init(NULL, EB_LOG_TEXT, a->debug, &err);
    if (log >= 0)
        eb_log_use_fd(fcntl(log, F_DUPFD_CLOEXEC, 3));
    shim_root(&s, a->ns);
    if (eb_mkdir_p(s.root, 0711, &err) < 0 || eb_shim_serve(&s, lfd, &err) < 0)
        eb_err("shim %s: %s", a->id, err.msg);
    unlink(path);
    /* Loggers still running (binary:// stdio) get their time to exit, then
     * SIGKILL: off the socket, so a new shim for the pod can serve it. */
    close(lfd);
    eb_logio_shutdown(&s.loggers);
    _exit(eb_error_is_set(&err) ? 1 : 0);
}

/* The address, to containerd (stdout) and beside the bundle, where a
 * restarted containerd finds the shim again. */
static int announce(const char *path, eb_error_t *err)
{
    _cleanup_free_ char *addr = eb_strdup_printf("unix://%s", path);

    if (eb_write_file_atomic(".", "address", addr, strlen(addr), err) < 0)
        return -1;
    printf("%s\n", addr);
    return 0;
}

static int cmd_start(const args_t *a, eb_error_t *err)
{
    _cleanup_free_ char *group = group_of(".", a->id), *path = socket_path(a, group);
    int fd, lfd;
    pid_t pid;

    /* A container of a pod whose shim runs: that shim serves it too. */
    if (strcmp(group, a->id) != 0 && (fd = unix_socket(path, false, err)) >= 0) {
        close(fd);
        return announce(path, err);
    }
    eb_error_clear(err);
    if (eb_mkdir_p(SOCKET_DIR, 0711, err) < 0)
        return -1;
    unlink(path);
    if ((lfd = unix_socket(path, true, err)) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return eb_error_set(err, errno, "fork the shim");
    if (pid == 0)
        serve(a, lfd, path);
    close(lfd);
    return announce(path, err);
}

/* The socket of a shim that died (SIGKILLed: it did not unlink it), once
 * nothing answers on it; a pod's live shim keeps its own. */
static void remove_dead_socket(const args_t *a, const char *bundle)
{
    _cleanup_free_ char *group = group_of(bundle, a->id), *path = socket_path(a, group);
    eb_error_t ign = { 0 };
    int fd = unix_socket(path, false, &ign);

    if (fd >= 0)
        close(fd);
    else if (ign.code == ECONNREFUSED)
        unlink(path);
}

static int cmd_delete(const args_t *a, eb_error_t *err)
{
    Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
    Containerd__Task__V2__Timestamp t = CONTAINERD__TASK__V2__TIMESTAMP__INIT;
    const char *bundle = a->bundle ? a->bundle : ".";
    eb_shim_t s = { 0 };
    eb_buf_t out = { 0 };
    eb_error_t ign = { 0 };
    struct timespec now;
    int rc;

    shim_root(&s, a->ns);
    /* Whatever is left of it: the shim that knew its state is gone (a
     * pod's sandbox takes its VM along: monitor, QEMU, virtiofsd). */
    eb_class_of_container(s.root, a->id)->delete(s.root, a->id, true, &ign);
    eb_shim_unmount_rootfs(bundle);
    remove_dead_socket(a, bundle);
    clock_gettime(CLOCK_REALTIME, &now);
    t.seconds = now.tv_sec, t.nanos = (int32_t) now.tv_nsec;
    r.exit_status = 128 + 9;
    r.exited_at = &t;
    rc = eb_pb_pack(&r.base, &out, err);
    if (rc == 0 && eb_write_all(1, out.p, out.len) < 0)
        rc = eb_error_set(err, errno, "write the answer");
    eb_buf_free(&out);
    return rc;
}

int main(int argc, char **argv)
{
    args_t a = { 0 };
    eb_error_t err = { 0 };
    const char *c = getenv("EDGEBOX_SHIM_CLASS");
    int rc = -1;

    eb_class_set_default(c && eb_class_by_name(c) ? eb_class_by_name(c) : &eb_class_runv);
    if (parse_args(argc, argv, &a, &err) == 0) {
        if (a.command && strcmp(a.command, "start") == 0)
            rc = cmd_start(&a, &err);
        else if (a.command && strcmp(a.command, "delete") == 0)
            rc = cmd_delete(&a, &err);
        else
            eb_error_set(&err, EINVAL, "unknown command `%s` (start or delete)", a.command ? a.command : "");
    }
    if (rc < 0) {
        fprintf(stderr, "containerd-shim-edgebox-v2: %s\n", err.msg);
        return 1;
    }
    return 0;
}
