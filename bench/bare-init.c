/* bare-init.c - PID 1 of the "bare boot" the runv benchmark compares
 * against: the same kernel and QEMU, an init that does nothing.  With
 * "poweroff" on the kernel command line it powers off at once (the time
 * floor); otherwise it mounts /proc, prints the memory in use to the
 * console and sleeps (the memory floor). */
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char line[256];
    long total = 0, avail = 0, v;
    FILE *f;
    int i;

    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "poweroff") == 0)
            reboot(RB_POWER_OFF);
    mount("proc", "/proc", "proc", 0, NULL);
    f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "MemTotal: %ld", &v) == 1) total = v;
        if (sscanf(line, "MemAvailable: %ld", &v) == 1) avail = v;
    }
    printf("EBBARE used_kib=%ld\n", total - avail);
    fflush(stdout);
    for (;;)
        pause();
}
