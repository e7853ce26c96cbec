/* podnet.c - wire the pod's network namespace into the guest.
 *
 * For every Ethernet interface the CNI plugin put in the pod namespace (a
 * veth, usually eth0): a tap whose fd QEMU gets (so the tap disappears with
 * QEMU), ingress qdiscs on both and a match-all u32 filter redirecting
 * (mirred egress) each one's traffic to the other.  The guest's virtio-net
 * device takes the veth's MAC; the agent gives it the veth's name, MTU,
 * address and the namespace's routes.  Commands run are iproute2's `tc`
 * (Debian package iproute2), with a fixed argv and no shell. */
#include "runv/podnet.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/netif.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAP_PREFIX "ebtap"

static int run_tc(eb_error_t *err, const char *const argv[])
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return eb_error_set(err, errno, "fork tc");
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0)
            dup2(null, 0), dup2(null, 1);
        execvp("tc", (char *const *) argv);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) < 0)
        return eb_error_set(err, errno, "wait for tc");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char cmd[512] = "";
        size_t i;
        for (i = 0; argv[i]; i++)
            snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", i ? " " : "", argv[i]);
        return eb_error_set(err, 0, "`%s` failed (exit %d)", cmd,
                            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return 0;
}

static int redirect(const char *from, const char *to, eb_error_t *err)
{
    const char *q[] = { "tc", "qdisc", "add", "dev", from, "ingress", NULL };
    const char *f[] = { "tc", "filter", "add", "dev", from, "parent", "ffff:", "protocol", "all", "u32",
                        "match", "u8", "0", "0", "action", "mirred", "egress", "redirect", "dev", to, NULL };
    if (run_tc(err, q) < 0 || run_tc(err, f) < 0)
        return eb_error_wrap(err, "redirect %s to %s", from, to);
    return 0;
}

static int open_tap(const char *name, int mtu, int *out, eb_error_t *err)
{
    struct ifreq ifr = { 0 };
    _cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    _cleanup_close_ int s = -1;

    if (fd < 0)
        return eb_error_set(err, errno, "open /dev/net/tun");
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        return eb_error_set(err, errno, "create tap %s", name);
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return eb_error_set(err, errno, "socket");
    ifr.ifr_mtu = mtu;
    if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
        return eb_error_set(err, errno, "set MTU %d on %s", mtu, name);
    if (eb_netif_up(s, name, err) < 0)
        return -1;
    *out = eb_steal_fd(fd);
    return 0;
}

static int prefix_len(const struct sockaddr *mask)
{
    uint32_t m = ntohl(((const struct sockaddr_in *) mask)->sin_addr.s_addr);
    return __builtin_popcount(m);
}

/* IPv4 routes of the current namespace (/proc/self/net follows setns). */
static void add_routes(json_object *routes)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/net/route", "re");
    char line[512], ifname[IFNAMSIZ + 1];
    unsigned dst, gw, flags, mask, refcnt, use, metric;

    if (f == NULL || fgets(line, sizeof(line), f) == NULL)
        return;
    while (fgets(line, sizeof(line), f)) {
        struct in_addr d, g;
        char ds[INET_ADDRSTRLEN], gs[INET_ADDRSTRLEN];
        json_object *r;

        if (sscanf(line, "%16s %x %x %x %u %u %u %x", ifname, &dst, &gw, &flags, &refcnt, &use, &metric,
                   &mask) != 8)
            continue;
        /* Connected routes come with the address in the guest. */
        if (!(flags & 0x2 /* RTF_GATEWAY */))
            continue;
        d.s_addr = dst, g.s_addr = gw;
        inet_ntop(AF_INET, &d, ds, sizeof(ds));
        inet_ntop(AF_INET, &g, gs, sizeof(gs));
        r = json_object_new_object();
        snprintf(line, sizeof(line), "%s/%d", ds, __builtin_popcount(mask));
        json_object_object_add(r, "dst", json_object_new_string(line));
        json_object_object_add(r, "gw", json_object_new_string(gs));
        json_object_object_add(r, "dev", json_object_new_string(ifname));
        json_object_array_add(routes, r);
    }
}

int eb_podnet_setup(eb_podnet_t *net, eb_error_t *err)
{
    struct if_nameindex *ifs = if_nameindex(), *i;
    struct ifaddrs *addrs = NULL, *a;
    _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    json_object *jifs = json_object_new_array(), *jroutes = json_object_new_array();
    int ret = -1;

    memset(net, 0, sizeof(*net));
    net->config = json_object_new_object();
    json_object_object_add(net->config, "interfaces", jifs);
    json_object_object_add(net->config, "routes", jroutes);
    if (ifs == NULL || s < 0 || getifaddrs(&addrs) < 0) {
        eb_error_set(err, errno, "list the pod's interfaces");
        goto out;
    }
    for (i = ifs; i->if_index != 0; i++) {
        struct ifreq ifr = { 0 };
        unsigned char *m;
        char tap[IFNAMSIZ];
        json_object *ji, *jaddrs;

        if (strncmp(i->if_name, TAP_PREFIX, strlen(TAP_PREFIX)) == 0)
            continue;
        snprintf(ifr.ifr_name, IFNAMSIZ, "%s", i->if_name);
        if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0 || ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
            continue;
        if (net->n == EB_ARRAY_SIZE(net->tap_fds)) {
            eb_error_set(err, E2BIG, "the pod has more than %zu interfaces", net->n);
            goto out;
        }
        m = (unsigned char *) ifr.ifr_hwaddr.sa_data;
        snprintf(net->mac[net->n], sizeof(net->mac[0]), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                 m[4], m[5]);
        if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
            eb_error_set(err, errno, "get the MTU of %s", i->if_name);
            goto out;
        }
        snprintf(tap, sizeof(tap), TAP_PREFIX "%zu", net->n);
        net->tap_fds[net->n] = -1;
        if (open_tap(tap, ifr.ifr_mtu, &net->tap_fds[net->n], err) < 0)
            goto out;
        net->n++;
        if (redirect(i->if_name, tap, err) < 0 || redirect(tap, i->if_name, err) < 0)
            goto out;
        ji = json_object_new_object();
        jaddrs = json_object_new_array();
        json_object_object_add(ji, "name", json_object_new_string(i->if_name));
        json_object_object_add(ji, "mac", json_object_new_string(net->mac[net->n - 1]));
        json_object_object_add(ji, "mtu", json_object_new_int(ifr.ifr_mtu));
        for (a = addrs; a; a = a->ifa_next) {
            char ip[INET_ADDRSTRLEN], cidr[INET_ADDRSTRLEN + 4];
            if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_INET || strcmp(a->ifa_name, i->if_name) != 0)
                continue;
            inet_ntop(AF_INET, &((struct sockaddr_in *) a->ifa_addr)->sin_addr, ip, sizeof(ip));
            snprintf(cidr, sizeof(cidr), "%s/%d", ip, prefix_len(a->ifa_netmask));
            json_object_array_add(jaddrs, json_object_new_string(cidr));
        }
        json_object_object_add(ji, "addrs", jaddrs);
        json_object_array_add(jifs, ji);
    }
    add_routes(jroutes);
    ret = 0;
out:
    if (addrs)
        freeifaddrs(addrs);
    if (ifs)
        if_freenameindex(ifs);
    return ret;
}

void eb_podnet_teardown(const char *netns_path)
{
    _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int ns = open(netns_path, O_RDONLY | O_CLOEXEC);
    struct if_nameindex *ifs, *i;
    eb_error_t ign = { 0 };

    if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0)
        return;
    ifs = if_nameindex();
    for (i = ifs; i && i->if_index != 0; i++) {
        const char *q[] = { "tc", "qdisc", "del", "dev", i->if_name, "ingress", NULL };
        if (strcmp(i->if_name, "lo") != 0)
            run_tc(&ign, q);
    }
    if (ifs)
        if_freenameindex(ifs);
    if (setns(self, CLONE_NEWNET) < 0)
        eb_warn("return to our network namespace: %s", strerror(errno));
}

void eb_podnet_free(eb_podnet_t *net)
{
    size_t i;
    for (i = 0; i < net->n; i++)
        if (net->tap_fds[i] >= 0)
            close(net->tap_fds[i]);
    net->n = 0;
    json_object_put(net->config);
    net->config = NULL;
}
