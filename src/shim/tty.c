/* tty.c - a process with a terminal: the class hands the shim the pty
 * master (create and exec with keep_console) and the shim copies
 * containerd's stdin FIFO into it and its output into the stdout FIFO, as
 * containerd's own shims do; a terminal has one output stream. */
#include "shim/shim.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

void eb_shim_tty_open(eb_sproc_t *p, int master, int in, int out)
{
    p->terminal = true;
    p->master = master;
    p->tin = in;
    p->tout = out;
    fcntl(master, F_SETFL, O_NONBLOCK);
    if (in >= 0)
        fcntl(in, F_SETFL, O_NONBLOCK);
}

/* Copy what is there from FROM to TO; -1 when FROM ended. */
static int copy(int from, int to)
{
    char buf[16384];

    for (;;) {
        ssize_t n = read(from, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0)
            return -1;       /* EOF, or EIO: the pty's slave side is gone */
        /* A reader that went away must not stop the process. */
        if (to >= 0 && eb_write_all(to, buf, (size_t) n) < 0 && errno != EAGAIN)
            return 0;
    }
}

void eb_shim_tty_input(eb_sproc_t *p, int fd)
{
    if (fd == p->master) {
        copy(p->master, p->tout);
    } else if (fd == p->tin && copy(p->tin, p->master) < 0) {
        /* The writer closed stdin: the terminal's EOF is ^D. */
        if (eb_write_all(p->master, "\x04", 1) < 0) { }
        close(p->tin);
        p->tin = -1;
    }
}

void eb_shim_tty_close(eb_sproc_t *p)
{
    if (!p->terminal)
        return;
    if (p->master >= 0) {
        copy(p->master, p->tout);
        close(p->master);
    }
    if (p->tin >= 0)
        close(p->tin);
    if (p->tout >= 0)
        close(p->tout);
    p->master = p->tin = p->tout = -1;
    p->terminal = false;
}
