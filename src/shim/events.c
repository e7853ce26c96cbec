/* events.c - task events to containerd, through the binary containerd
 * names with -publish-binary (itself: `containerd --address A publish
 * --topic T --namespace N`, the event as a protobuf Any on stdin), as
 * containerd's own shims do.  An event that cannot be published is
 * logged, never fatal: containerd also learns of exits from Wait. */
#include "shim/shim.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void eb_shim_publish(const eb_shim_t *s, const char *topic, const char *name, const ProtobufCMessage *event)
{
    Containerd__Task__V2__Any any = CONTAINERD__TASK__V2__ANY__INIT;
    eb_buf_t value = { 0 }, wire = { 0 };
    eb_error_t err = { 0 };
    char type_url[128];
    int p[2], status;
    pid_t pid;

    if (s->publish == NULL || s->publish[0] == 0)
        return;
    snprintf(type_url, sizeof(type_url), "containerd.events.%s", name);
    if (eb_pb_pack(event, &value, &err) < 0)
        goto out;
    any.type_url = type_url;
    any.value.data = (uint8_t *) value.p;
    any.value.len = value.len;
    if (eb_pb_pack(&any.base, &wire, &err) < 0)
        goto out;
    if (pipe2(p, O_CLOEXEC) < 0) {
        eb_error_set(&err, errno, "pipe");
        goto out;
    }
    pid = fork();
    if (pid == 0) {
        const char *argv[] = { s->publish, "--address", s->address, "publish", "--topic", topic,
                               "--namespace", s->ns, NULL };
        dup2(p[0], 0);
        execv(argv[0], (char *const *) argv);
        _exit(127);
    }
    close(p[0]);
    if (pid > 0 && eb_write_all(p[1], wire.p, wire.len) < 0)
        eb_error_set(&err, errno, "write the event to %s", s->publish);
    close(p[1]);
    if (pid < 0)
        eb_error_set(&err, errno, "fork %s", s->publish);
    else if (waitpid(pid, &status, 0) == pid && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        eb_error_set(&err, 0, "%s publish exited with status %d", s->publish, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
out:
    if (eb_error_is_set(&err))
        eb_warn("shim: event %s on %s not published: %s", name, topic, err.msg);
    eb_buf_free(&value);
    eb_buf_free(&wire);
}
