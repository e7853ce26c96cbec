/* subreaper.c - eb-subreaper SECONDS CMD...: run CMD as a containerd shim
 * or conmon runs a runtime, from a child subreaper (PR_SET_CHILD_SUBREAPER),
 * then, SECONDS after CMD exited, print what was re-parented to it and
 * still runs: one line per process, its pid and its command line (a
 * daemon's process title).  What a runtime leaves under its caller's
 * subreaper is what a shim ends up reaping and waiting on. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* /proc/PID/FILE into BUF (NUL-terminated); its length, -1 if unreadable. */
static long read_proc(const char *pid, const char *file, char *buf, size_t size)
{
    char path[64];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = 0;
    return (long) n;
}

static void print_children(pid_t self)
{
    DIR *d = opendir("/proc");
    struct dirent *e;

    while (d && (e = readdir(d)) != NULL) {
        char buf[4096], *p;
        long n;
        int ppid = 0;
        char state = 0;

        if (e->d_name[0] < '1' || e->d_name[0] > '9' || read_proc(e->d_name, "stat", buf, sizeof(buf)) < 0)
            continue;
        /* after the comm's ')': " STATE PPID" */
        if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
            continue;
        if (ppid != self || state == 'Z' || (n = read_proc(e->d_name, "cmdline", buf, sizeof(buf))) < 0)
            continue;
        for (long i = 0; i < n; i++)
            if (buf[i] == 0)
                buf[i] = ' ';
        while (n > 0 && buf[n - 1] == ' ')
            n--;
        buf[n] = 0;
        printf("%s %s\n", e->d_name, buf);
    }
    if (d)
        closedir(d);
}

int main(int argc, char **argv)
{
    pid_t pid;
    int status = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: eb-subreaper SECONDS CMD...\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("eb-subreaper: PR_SET_CHILD_SUBREAPER");
        return 2;
    }
    pid = fork();
    if (pid < 0) {
        perror("eb-subreaper: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("eb-subreaper: exec");
        _exit(127);
    }
    /* CMD's exit; orphans that end meanwhile are reaped and not listed */
    while (waitpid(pid, &status, 0) < 0)
        ;
    sleep((unsigned) atoi(argv[1]));
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    print_children(getpid());
    fflush(stdout);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
