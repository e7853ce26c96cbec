/* eb-ptyrun CMD [ARG...] - run CMD with a new pty as its controlling
 * terminal and stdio; copy what it writes to our stdout; exit with its
 * status.  For tests of `-t` paths (ctr run -t panics without a tty), in
 * place of script(1), which ends the session a few seconds after its own
 * stdin closes, too soon for a sandbox that boots.  EB_PTY_SIZE="ROWS COLS"
 * sets the terminal's size (what a client's ResizePty then carries). */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int master, status = 0;
    pid_t pid;
    char buf[4096];
    struct winsize ws = { 0 };
    const char *size = getenv("EB_PTY_SIZE");

    if (argc < 2) {
        fprintf(stderr, "usage: eb-ptyrun CMD [ARG...]\n");
        return 2;
    }
    if (size && sscanf(size, "%hu %hu", &ws.ws_row, &ws.ws_col) != 2) {
        fprintf(stderr, "eb-ptyrun: EB_PTY_SIZE: want \"ROWS COLS\"\n");
        return 2;
    }
    pid = forkpty(&master, NULL, NULL, size ? &ws : NULL);
    if (pid < 0) {
        perror("forkpty");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    for (;;) {
        ssize_t n = read(master, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;     /* EIO: every slave fd is closed */
        if (write(1, buf, (size_t) n) < 0)
            break;
    }
    if (waitpid(pid, &status, 0) < 0)
        return 2;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
