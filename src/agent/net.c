/* net.c - give the guest the pod's network: each host interface of the pod
 * namespace arrives as a virtio-net device with the same MAC; here it gets
 * the interface's name, MTU, IPv4 address and the pod's IPv4 routes.
 *
 * ioctl()s rather than rtnetlink: one address per interface and plain
 * routes are all the reference CNI plugins configure for IPv4.  IPv6
 * addresses are refused with a clear error rather than dropped. */
#include "agent/net.h"
#include "common/cleanup.h"
#include "common/netif.h"
#include "common/util.h"
#include "proto/message.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse_cidr(const char *s, struct in_addr *addr, int *prefix, eb_error_t *err)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    uint64_t p = 32;

    if (strlen(s) >= sizeof(buf))
        return eb_error_set(err, EINVAL, "address `%s` too long", s);
    snprintf(buf, sizeof(buf), "%.*s", slash ? (int) (slash - s) : (int) strlen(s), s);
    if (inet_pton(AF_INET, buf, addr) != 1)
        return eb_error_set(err, EINVAL, "invalid IPv4 address `%s`", s);
    if (slash && (eb_parse_u64(slash + 1, &p) < 0 || p > 32))
        return eb_error_set(err, EINVAL, "invalid prefix in `%s`", s);
    *prefix = (int) p;
    return 0;
}

static void set_sin(struct sockaddr *sa, struct in_addr a)
{
    struct sockaddr_in *sin = (struct sockaddr_in *) sa;
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_addr = a;
}

static struct in_addr mask_of(int prefix)
{
    struct in_addr m;
    m.s_addr = prefix == 0 ? 0 : htonl(~0u << (32 - prefix));
    return m;
}

static int find_by_mac(const char *mac, char name[IFNAMSIZ], eb_error_t *err)
{
    _cleanup_closedir_ DIR *d = opendir("/sys/class/net");
    struct dirent *e;

    while (d && (e = readdir(d))) {
        _cleanup_free_ char *path = NULL, *addr = NULL;
        size_t len;
        eb_error_t ign = { 0 };

        if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
            continue;
        path = eb_strdup_printf("/sys/class/net/%s/address", e->d_name);
        if (eb_read_file(path, 64, &addr, &len, &ign) < 0)
            continue;
        if (strncasecmp(addr, mac, 17) == 0) {
            snprintf(name, IFNAMSIZ, "%s", e->d_name);
            return 0;
        }
    }
    return eb_error_set(err, ENODEV, "no guest interface with MAC %s", mac);
}

static int set_mac(int s, const char *ifname, const char *mac, eb_error_t *err)
{
    struct ifreq ifr = { 0 };
    unsigned v[6];
    int i;

    if (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return eb_error_set(err, EINVAL, "invalid MAC `%s`", mac);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    for (i = 0; i < 6; i++)
        ifr.ifr_hwaddr.sa_data[i] = (char) v[i];
    if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0)
        return eb_error_set(err, errno, "set MAC %s on %s", mac, ifname);
    return 0;
}

static int setup_iface(int s, json_object *ifc, eb_error_t *err)
{
    const char *name, *mac, *guest_mac = NULL;
    int64_t mtu = 1500;
    char cur[IFNAMSIZ];
    struct ifreq ifr;
    json_object *addrs = eb_msg_obj(ifc, "addrs", json_type_array, true, err);
    size_t i;

    if (eb_msg_str(ifc, "name", IFNAMSIZ - 1, false, &name, err) < 0
        || eb_msg_str(ifc, "mac", 17, false, &mac, err) < 0
        || eb_msg_str(ifc, "guest_mac", 17, true, &guest_mac, err) < 0
        || eb_msg_int(ifc, "mtu", 68, 65535, true, &mtu, err) < 0 || eb_error_is_set(err))
        return -1;
    if (find_by_mac(guest_mac ? guest_mac : mac, cur, err) < 0)
        return -1;
    /* A pooled guest's NIC was booted with a MAC of its own: it takes the
     * pod's (the interface is still down). */
    if (guest_mac && set_mac(s, cur, mac, err) < 0)
        return -1;
    if (strcmp(cur, name) != 0) {
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, IFNAMSIZ, "%s", cur);
        snprintf(ifr.ifr_newname, IFNAMSIZ, "%s", name);
        if (ioctl(s, SIOCSIFNAME, &ifr) < 0)
            return eb_error_set(err, errno, "rename %s to %s", cur, name);
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    ifr.ifr_mtu = (int) mtu;
    if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
        return eb_error_set(err, errno, "set MTU %d on %s", (int) mtu, name);
    for (i = 0; addrs && i < json_object_array_length(addrs) && i < 1; i++) {
        json_object *a = json_object_array_get_idx(addrs, i);
        struct in_addr ip;
        int prefix;
        const char *s4 = json_object_is_type(a, json_type_string) ? json_object_get_string(a) : "";

        if (strchr(s4, ':'))
            return eb_error_set(err, EAFNOSUPPORT, "%s: IPv6 address %s is not supported in runv guests yet",
                                name, s4);
        if (parse_cidr(s4, &ip, &prefix, err) < 0)
            return -1;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
        set_sin(&ifr.ifr_addr, ip);
        if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
            return eb_error_set(err, errno, "set address %s on %s", s4, name);
        set_sin(&ifr.ifr_netmask, mask_of(prefix));
        if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
            return eb_error_set(err, errno, "set netmask of %s on %s", s4, name);
    }
    return eb_netif_up(s, name, err);
}

static int add_route(int s, json_object *r, eb_error_t *err)
{
    const char *dst, *gw = NULL, *dev = NULL;
    struct rtentry rt = { 0 };
    struct in_addr d, g;
    int prefix, gp;
    char devbuf[IFNAMSIZ];

    if (eb_msg_str(r, "dst", 64, false, &dst, err) < 0 || eb_msg_str(r, "gw", 64, true, &gw, err) < 0
        || eb_msg_str(r, "dev", IFNAMSIZ - 1, true, &dev, err) < 0)
        return -1;
    if (parse_cidr(dst, &d, &prefix, err) < 0)
        return -1;
    set_sin(&rt.rt_dst, d);
    set_sin(&rt.rt_genmask, mask_of(prefix));
    rt.rt_flags = RTF_UP;
    if (gw) {
        if (parse_cidr(gw, &g, &gp, err) < 0)
            return -1;
        set_sin(&rt.rt_gateway, g);
        rt.rt_flags |= RTF_GATEWAY;
    }
    if (dev) {
        snprintf(devbuf, sizeof(devbuf), "%s", dev);
        rt.rt_dev = devbuf;
    }
    if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST)
        return eb_error_set(err, errno, "add route %s%s%s", dst, gw ? " via " : "", gw ? gw : "");
    return 0;
}

int eb_agent_net_setup(json_object *req, eb_error_t *err)
{
    json_object *ifs = eb_msg_obj(req, "interfaces", json_type_array, true, err);
    json_object *routes = eb_msg_obj(req, "routes", json_type_array, true, err);
    const char *hostname = NULL;
    _cleanup_close_ int s = -1;
    size_t i;

    if (eb_error_is_set(err) || eb_msg_str(req, "hostname", 64, true, &hostname, err) < 0)
        return -1;
    if (hostname && sethostname(hostname, strlen(hostname)) < 0)
        return eb_error_set(err, errno, "set hostname `%s`", hostname);
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return eb_error_set(err, errno, "socket");
    if (eb_netif_up(s, "lo", err) < 0)
        return -1;
    for (i = 0; ifs && i < json_object_array_length(ifs); i++) {
        json_object *ifc = json_object_array_get_idx(ifs, i);
        if (!json_object_is_type(ifc, json_type_object))
            return eb_error_set(err, EINVAL, "interfaces[%zu] is not an object", i);
        if (setup_iface(s, ifc, err) < 0)
            return -1;
    }
    for (i = 0; routes && i < json_object_array_length(routes); i++) {
        json_object *r = json_object_array_get_idx(routes, i);
        if (!json_object_is_type(r, json_type_object))
            return eb_error_set(err, EINVAL, "routes[%zu] is not an object", i);
        if (add_route(s, r, err) < 0)
            return -1;
    }
    return 0;
}
