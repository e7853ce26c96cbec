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
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/random.h>
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

/* MTU and up: a new tap, or a pooled VM's moved into the pod. */
static int tap_configure(const char *name, int mtu, eb_error_t *err)
{
    struct ifreq ifr = { 0 };
    _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (s < 0)
        return eb_error_set(err, errno, "socket");
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    ifr.ifr_mtu = mtu;
    if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
        return eb_error_set(err, errno, "set MTU %d on %s", mtu, name);
    return eb_netif_up(s, name, err);
}

static int open_tap(const char *name, int mtu, int *out, eb_error_t *err)
{
    struct ifreq ifr = { 0 };
    _cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (fd < 0)
        return eb_error_set(err, errno, "open /dev/net/tun");
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        return eb_error_set(err, errno, "create tap %s", name);
    if (mtu && tap_configure(name, mtu, err) < 0)
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

/* A pod interface (an Ethernet one, not one of our taps) and its MAC. */
static bool pod_iface(int s, const char *name, char mac[18])
{
    struct ifreq ifr = { 0 };
    unsigned char *m;

    if (strncmp(name, TAP_PREFIX, strlen(TAP_PREFIX)) == 0)
        return false;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0 || ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
        return false;
    m = (unsigned char *) ifr.ifr_hwaddr.sa_data;
    snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return true;
}

static json_object *iface_json(const char *name, const char *mac, const char *guest_mac, int mtu,
                               struct ifaddrs *addrs)
{
    json_object *ji = json_object_new_object(), *jaddrs = json_object_new_array();
    struct ifaddrs *a;

    json_object_object_add(ji, "name", json_object_new_string(name));
    json_object_object_add(ji, "mac", json_object_new_string(mac));
    if (guest_mac)
        json_object_object_add(ji, "guest_mac", json_object_new_string(guest_mac));
    json_object_object_add(ji, "mtu", json_object_new_int(mtu));
    for (a = addrs; a; a = a->ifa_next) {
        char ip[INET_ADDRSTRLEN], cidr[INET_ADDRSTRLEN + 4];
        if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_INET || strcmp(a->ifa_name, name) != 0)
            continue;
        inet_ntop(AF_INET, &((struct sockaddr_in *) a->ifa_addr)->sin_addr, ip, sizeof(ip));
        snprintf(cidr, sizeof(cidr), "%s/%d", ip, prefix_len(a->ifa_netmask));
        json_object_array_add(jaddrs, json_object_new_string(cidr));
    }
    json_object_object_add(ji, "addrs", jaddrs);
    return ji;
}

/* Wire every pod interface to a tap: a new one, or (ADOPT) the pooled
 * VM's I-th, already in this namespace and attached to its guest NIC,
 * whose MAC the guest replaces with the pod interface's. */
static int podnet_wire(eb_podnet_t *net, bool adopt, eb_error_t *err)
{
    struct if_nameindex *ifs = if_nameindex(), *i;
    struct ifaddrs *addrs = NULL;
    _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    json_object *jifs = json_object_new_array(), *jroutes = json_object_new_array();
    size_t n = 0, have = net->n;
    int ret = -1;

    json_object_put(net->config);
    net->config = json_object_new_object();
    json_object_object_add(net->config, "interfaces", jifs);
    json_object_object_add(net->config, "routes", jroutes);
    if (ifs == NULL || s < 0 || getifaddrs(&addrs) < 0) {
        eb_error_set(err, errno, "list the pod's interfaces");
        goto out;
    }
    for (i = ifs; i->if_index != 0; i++) {
        struct ifreq ifr = { 0 };
        char tap[IFNAMSIZ], mac[18], guest_mac[18];

        if (!pod_iface(s, i->if_name, mac))
            continue;
        if (n == (adopt ? have : EB_ARRAY_SIZE(net->tap_fds))) {
            eb_error_set(err, E2BIG, "the pod has more than %zu interfaces", n);
            goto out;
        }
        snprintf(ifr.ifr_name, IFNAMSIZ, "%s", i->if_name);
        if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
            eb_error_set(err, errno, "get the MTU of %s", i->if_name);
            goto out;
        }
        snprintf(tap, sizeof(tap), TAP_PREFIX "%zu", n);
        snprintf(guest_mac, sizeof(guest_mac), "%s", net->mac[n]);
        if (!adopt)
            net->tap_fds[n] = -1;
        if (adopt ? tap_configure(tap, ifr.ifr_mtu, err) : open_tap(tap, ifr.ifr_mtu, &net->tap_fds[n], err))
            goto out;
        snprintf(net->mac[n], sizeof(net->mac[0]), "%s", mac);
        n++;
        if (!adopt)
            net->n = n;
        if (redirect(i->if_name, tap, err) < 0 || redirect(tap, i->if_name, err) < 0)
            goto out;
        json_object_array_add(jifs, iface_json(i->if_name, mac, adopt ? guest_mac : NULL, ifr.ifr_mtu, addrs));
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

int eb_podnet_setup(eb_podnet_t *net, eb_error_t *err)
{
    memset(net, 0, sizeof(*net));
    return podnet_wire(net, false, err);
}

int eb_podnet_adopt(eb_podnet_t *net, eb_error_t *err)
{
    return podnet_wire(net, true, err);
}

int eb_podnet_pool_taps(eb_podnet_t *net, size_t n, eb_error_t *err)
{
    unsigned char m[6];
    char tap[IFNAMSIZ];

    memset(net, 0, sizeof(*net));
    for (; net->n < n && net->n < EB_ARRAY_SIZE(net->tap_fds); net->n++) {
        /* Locally administered, unicast: no vendor's, replaced at claim. */
        if (getrandom(m, sizeof(m), 0) != (ssize_t) sizeof(m))
            return eb_error_set(err, errno, "getrandom");
        m[0] = (unsigned char) ((m[0] & 0xfc) | 0x02);
        snprintf(net->mac[net->n], sizeof(net->mac[0]), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                 m[4], m[5]);
        snprintf(tap, sizeof(tap), TAP_PREFIX "%zu", net->n);
        net->tap_fds[net->n] = -1;
        if (open_tap(tap, 0, &net->tap_fds[net->n], err) < 0)
            return -1;
    }
    return 0;
}

/* RTM_NEWLINK with IFLA_NET_NS_FD: iproute2's `ip link set netns` takes
 * a name under /run/netns or a pid, not the path CNI gives. */
static int move_link(int nl, const char *name, int nsfd, eb_error_t *err)
{
    struct {
        struct nlmsghdr nh;
        struct ifinfomsg ifi;
        struct rtattr rta;
        uint32_t fd;
    } req = { 0 };
    struct {
        struct nlmsghdr nh;
        struct nlmsgerr e;
    } ack;
    ssize_t n;

    req.nh.nlmsg_len = sizeof(req);
    req.nh.nlmsg_type = RTM_NEWLINK;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.nh.nlmsg_seq = 1;
    req.ifi.ifi_family = AF_UNSPEC;
    req.ifi.ifi_index = (int) if_nametoindex(name);
    req.rta.rta_type = IFLA_NET_NS_FD;
    req.rta.rta_len = RTA_LENGTH(sizeof(uint32_t));
    req.fd = (uint32_t) nsfd;
    if (req.ifi.ifi_index == 0)
        return eb_error_set(err, errno, "tap %s", name);
    if (send(nl, &req, sizeof(req), 0) < 0)
        return eb_error_set(err, errno, "netlink: move %s", name);
    n = recv(nl, &ack, sizeof(ack), 0);
    if (n < (ssize_t) sizeof(ack) || ack.nh.nlmsg_type != NLMSG_ERROR)
        return eb_error_set(err, EPROTO, "netlink: move %s: no acknowledgement", name);
    if (ack.e.error)
        return eb_error_set(err, -ack.e.error, "move %s into the pod's network namespace", name);
    return 0;
}

int eb_podnet_move_taps(const eb_podnet_t *net, int nsfd, eb_error_t *err)
{
    _cleanup_close_ int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    char tap[IFNAMSIZ];
    size_t i;

    if (nl < 0)
        return eb_error_set(err, errno, "netlink socket");
    for (i = 0; i < net->n; i++) {
        snprintf(tap, sizeof(tap), TAP_PREFIX "%zu", i);
        if (move_link(nl, tap, nsfd, err) < 0)
            return -1;
    }
    return 0;
}

int eb_podnet_count(const char *netns_path, size_t *n, eb_error_t *err)
{
    _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int ns = open(netns_path, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int s = -1;
    struct if_nameindex *ifs, *i;
    char mac[18];

    *n = 0;
    if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0)
        return eb_error_set(err, errno, "enter the pod's network namespace `%s`", netns_path);
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifs = if_nameindex();
    for (i = ifs; s >= 0 && i && i->if_index != 0; i++)
        *n += pod_iface(s, i->if_name, mac);
    if (ifs)
        if_freenameindex(ifs);
    if (setns(self, CLONE_NEWNET) < 0)
        return eb_error_set(err, errno, "return to our network namespace");
    return 0;
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
