/* pause.c - the pod sandbox's process in the CRI test's pause image.
 *
 * As pid 1 of a pod it must do two things `sleep` does not: end on
 * SIGTERM/SIGINT (the kernel ignores signals pid 1 has no handler for, so
 * a StopPodSandbox would wait for its SIGKILL) and reap the orphans the
 * pod's pid namespace hands it.  All signals are blocked and taken with
 * sigwaitinfo(), so no handler runs and nothing races. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

int main(void)
{
    sigset_t set;

    sigfillset(&set);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
        perror("pause: sigprocmask");
        return 1;
    }
    for (;;) {
        int sig = sigwaitinfo(&set, NULL);

        if (sig < 0) {
            if (errno == EINTR)
                continue;
            perror("pause: sigwaitinfo");
            return 1;
        }
        if (sig == SIGTERM || sig == SIGINT)
            return 0;
        if (sig == SIGCHLD)
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
    }
}
