/* escape.c - container escape attempts for the security tests.
 *
 * `eb-escape NAME [ARG]` tries one thing a contained process must not be
 * able to do and prints "BLOCKED <errno name>" or "ESCAPED".  Exit 0 when
 * blocked, 1 when it worked.  Built static so it runs in the busybox
 * rootfs.  "memhog MIB" touches MIB MiB and reports how far it got. */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <netinet/in.h>

static int result(int r, const char *what)
{
    if (r < 0) {
        printf("BLOCKED %s %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
        return 0;
    }
    printf("ESCAPED %s\n", what);
    return 1;
}

int main(int argc, char **argv)
{
    const char *t = argc > 1 ? argv[1] : "";
    if (strcmp(t, "mount") == 0) {
        mkdir("/tmp/m", 0755);
        return result(mount("tmpfs", "/tmp/m", "tmpfs", 0, NULL), "mount");
    }
    if (strcmp(t, "module") == 0) {
        int fd = open("/bin/busybox", O_RDONLY);
        int r = (int) syscall(SYS_finit_module, fd, "", 0);
        if (r == 0)
            return result(0, "finit_module");
        r = (int) syscall(SYS_init_module, "x", 1, "");
        return result(r, "module-load");
    }
    if (strcmp(t, "rawsock") == 0) {
        int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        if (s >= 0)
            return result(0, "raw-socket");
        return result(socket(AF_PACKET, SOCK_RAW, 0), "raw-socket");
    }
    if (strcmp(t, "sysrq") == 0) {
        int fd = open("/proc/sysrq-trigger", O_WRONLY);
        if (fd < 0)
            return result(-1, "sysrq");
        /* 'h' only prints help to the kernel log: harmless if it works. */
        return result(write(fd, "h", 1) == 1 ? 0 : -1, "sysrq");
    }
    if (strcmp(t, "ptrace") == 0 && argc > 2) {
        return result(ptrace(PTRACE_ATTACH, atoi(argv[2]), NULL, NULL) < 0 ? -1 : 0, "ptrace");
    }
    if (strcmp(t, "hostdev") == 0) {
        /* The host's first disk: make a node for it and read it. */
        struct stat sb;
        int fd;
        char buf[512];
        unsigned maj = argc > 2 ? (unsigned) atoi(argv[2]) : 8, min = argc > 3 ? (unsigned) atoi(argv[3]) : 0;
        if (mknod("/dev/eb-disk", S_IFBLK | 0600, makedev(maj, min)) < 0 && errno != EEXIST)
            return result(-1, "hostdev-mknod");
        if (stat("/dev/eb-disk", &sb) < 0)
            return result(-1, "hostdev-stat");
        fd = open("/dev/eb-disk", O_RDONLY);
        if (fd < 0)
            return result(-1, "hostdev-open");
        return result(read(fd, buf, sizeof(buf)) > 0 ? 0 : -1, "hostdev-read");
    }
    if (strcmp(t, "userns") == 0)
        return result(unshare(CLONE_NEWUSER), "userns");
    if (strcmp(t, "keyctl") == 0)
        return result((int) syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "eb"), "keyctl");
    if (strcmp(t, "memhog") == 0) {
        long mib = argc > 2 ? atol(argv[2]) : 256, i;
        for (i = 0; i < mib; i++) {
            char *p = malloc(1 << 20);
            if (p == NULL)
                return result(-1, "memhog");
            memset(p, 1, 1 << 20);
            if (i % 16 == 0) {
                printf("allocated %ld MiB\n", i);
                fflush(stdout);
            }
        }
        printf("ESCAPED memhog %ld MiB\n", mib);
        return 1;
    }
    fprintf(stderr, "usage: eb-escape mount|module|rawsock|sysrq|ptrace PID|hostdev [MAJ MIN]|userns|keyctl|memhog MIB\n");
    return 2;
}
