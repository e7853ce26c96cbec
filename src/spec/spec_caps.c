/* spec_caps.c - capability names as the OCI spec writes them. */
#include "spec/spec.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const cap_names[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

int eb_cap_last(void)
{
    static int last = -1;
    FILE *f;
    if (last >= 0)
        return last;
    f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    if (f != NULL) {
        if (fscanf(f, "%d", &last) != 1)
            last = -1;
        fclose(f);
    }
    if (last < 0 || last > 63)
        last = (int) (sizeof(cap_names) / sizeof(cap_names[0])) - 1;
    return last;
}

int eb_cap_from_name(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
        if (strcasecmp(name, cap_names[i]) == 0)
            return (int) i;
    return -1;
}

const char *eb_cap_name(int cap)
{
    if (cap < 0 || (size_t) cap >= sizeof(cap_names) / sizeof(cap_names[0]))
        return NULL;
    return cap_names[cap];
}
