/* proctitle.c - what ps shows for a process forked from a front end.
 *
 * A sandbox monitor and a pool filler are forked, not exec'd, from
 * whichever front end needed them (the OCI CLI, containerd's shim): they
 * kept that command line, so a pooled VM's monitor forked by a shim read
 * `containerd-shim-edgebox-v2 -id <some pod> start` in ps, for a pod it
 * never belonged to, and a tool counting shims counted it.  The argument
 * area is this process's own memory (its copy, after fork): the title is
 * written over it, bounded by its length.  No prctl(PR_SET_MM_ARG_*): that
 * needs CAP_SYS_RESOURCE, which a container runtime may lack. */
#include "common/util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* proc(5): arg_start and arg_end are fields 48 and 49 of /proc/self/stat. */
static int arg_area(char **start, size_t *len)
{
    char buf[4096], *p, *end;
    unsigned long long a = 0, b = 0;
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), field;
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    /* comm may hold spaces and parentheses: field 3 starts after the last ')'. */
    p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    for (field = 3, p += 1; field <= 49 && p && *p == ' '; field++) {
        unsigned long long v = strtoull(p + 1, &end, 10);
        if (field == 48)
            a = v;
        else if (field == 49)
            b = v;
        p = strchr(p + 1, ' ');
    }
    if (a == 0 || b <= a || b - a > (1u << 20))
        return -1;
    *start = (char *) (uintptr_t) a;
    *len = (size_t) (b - a);
    return 0;
}

void eb_set_proc_title(const char *fmt, ...)
{
    char title[256], *start;
    size_t len, n;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(title, sizeof(title), fmt, ap);
    va_end(ap);
    /* comm too (ps -o comm, top): at most 15 bytes. */
    prctl(PR_SET_NAME, title, 0, 0, 0);
    if (arg_area(&start, &len) < 0)
        return;
    n = strlen(title);
    if (n > len - 1)
        n = len - 1;
    memset(start, 0, len);
    memcpy(start, title, n);
}
