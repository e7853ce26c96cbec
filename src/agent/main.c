/* main.c - edgebox-agent entry: boot, greet the host, serve.  As PID 1 it
 * never returns: a fatal error powers the guest off (the host turns that
 * into a stopped sandbox with the console's last lines as the reason). */
#include "agent/boot.h"
#include "agent/loop.h"
#include "common/log.h"
#include "common/util.h"
#include "proto/message.h"
#include "eb_config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void)
{
    eb_agent_t a = { .chan = -1 };
    eb_error_t err = { 0 };
    struct utsname u;
    json_object *hello;

    signal(SIGPIPE, SIG_IGN);
    if (eb_agent_boot(&err) < 0 || eb_agent_open_port(&a.chan, &err) < 0)
        goto fatal;
    eb_frame_reader_init(&a.rd);
    uname(&u);
    hello = json_object_new_object();
    json_object_object_add(hello, "agent", json_object_new_string(EB_VERSION));
    json_object_object_add(hello, "kernel", json_object_new_string(u.release));
    json_object_object_add(hello, "protocol", json_object_new_int(EB_PROTO_VERSION));
    eb_msg_queue(&a.out, EB_FRAME_HELLO, 0, hello);
    json_object_put(hello);
    eb_agent_loop(&a, &err);
fatal:
    fprintf(stderr, "edgebox-agent: fatal: %s\n", err.msg);
    eb_agent_poweroff();
}
