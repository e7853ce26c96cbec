#!/usr/bin/env python3
"""Load for hub-bench.sh: fill the hub's cache like kubelets would, and
time requests on one kept-alive connection.

  hub-load.py seed STATE PODS CONFIGMAPS NODES NAMESPACES   write the apiserver's state file
  hub-load.py fill HOSTPORT NODES NAMESPACES                 list every node's pods and every namespace's configmaps (protobuf)
  hub-load.py time HOSTPORT N PATH [PATH...] [--tls CA]      p50/p99/mean in ms of N GETs cycling through PATHs
  hub-load.py pair DIRECT HUB N PATH [PATH...] --tls CA [--also HOSTPORT]
                                                           the same, for the apiserver (TLS), the hub
                                                           (and a plain relay) in turn, request by
                                                           request, so drift of the machine hits all alike
"""
import json
import os
import socket
import ssl
import statistics
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "kube"))

UA = os.environ.get("HUB_LOAD_UA") or "kubelet/v1.32.0 (linux/amd64) kubernetes/bench"
PB = "application/vnd.kubernetes.protobuf"


def seed(path, pods, cms, nodes, nss):
    objs, rv = [], 1
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def add(rkey, ns, name, obj):
        nonlocal rv
        rv += 1
        obj["metadata"].update({"uid": str(uuid.uuid4()), "resourceVersion": str(rv), "creationTimestamp": ts})
        objs.append({"rkey": rkey, "ns": ns, "name": name, "obj": obj})
    for i in range(nss):
        ns = "ns-%d" % i
        add(["", "v1", "namespaces"], "", ns, {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": ns},
                                                "status": {"phase": "Active"}})
    for i in range(pods):
        ns, node = "ns-%d" % (i % nss), "node-%d" % (i % nodes)
        add(["", "v1", "pods"], ns, "pod-%d" % i, {
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "pod-%d" % i, "namespace": ns, "labels": {"app": "app-%d" % (i % 20), "tier": "web"}},
            "spec": {"nodeName": node, "containers": [{"name": "main", "image": "registry.example/app:%d" % (i % 20)}],
                     "restartPolicy": "Always", "serviceAccountName": "default", "schedulerName": "default-scheduler"},
            "status": {"phase": "Running", "podIP": "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)}})
    for i in range(cms):
        ns = "ns-%d" % (i % nss)
        add(["", "v1", "configmaps"], ns, "cm-%d" % i, {
            "kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cm-%d" % i, "namespace": ns},
            "data": {"config.yaml": "key: value-%d\nother: %s\n" % (i, "x" * 200)}})
    with open(path, "w") as f:
        json.dump({"rv": rv, "objects": objs}, f)


class Conn:
    def __init__(self, hostport, ca=None):
        host, port = hostport.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ca:
            ctx = ssl.create_default_context(cafile=ca)
            d = os.path.dirname(ca)
            ctx.load_cert_chain(os.path.join(d, "node.crt"), os.path.join(d, "node.key"))
            s = ctx.wrap_socket(s, server_hostname=host)
        self.s, self.buf = s, b""

    def get(self, path, accept=PB):
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nUser-Agent: %s\r\nAccept: %s\r\n\r\n" % (path, UA, accept)).encode())
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.s.recv(262144)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
        if "content-length" in hdrs:
            n = int(hdrs["content-length"])
            while len(self.buf) < n:
                self.buf += self.s.recv(262144)
            body, self.buf = self.buf[:n], self.buf[n:]
        else:   # chunked
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self.buf += self.s.recv(262144)
                ln, self.buf = self.buf.split(b"\r\n", 1)
                n = int(ln, 16)
                while len(self.buf) < n + 2:
                    self.buf += self.s.recv(262144)
                body += self.buf[:n]
                self.buf = self.buf[n + 2:]
                if n == 0:
                    break
        return status, body


def main():
    cmd = sys.argv[1]
    if cmd == "seed":
        seed(sys.argv[2], *map(int, sys.argv[3:7]))
    elif cmd == "fill":
        c = Conn(sys.argv[2])
        nodes, nss = int(sys.argv[3]), int(sys.argv[4])
        for i in range(nodes):
            st, _ = c.get("/api/v1/pods?fieldSelector=spec.nodeName%%3Dnode-%d" % i)
            assert st == 200, st
        for i in range(nss):
            st, _ = c.get("/api/v1/namespaces/ns-%d/configmaps" % i)
            assert st == 200, st
    elif cmd == "time":
        args = sys.argv[2:]
        ca = None
        if "--tls" in args:
            i = args.index("--tls")
            ca = args[i + 1]
            del args[i:i + 2]
        c = Conn(args[0], ca)
        n, paths = int(args[1]), args[2:]
        for p in paths[:20]:   # warm up
            c.get(p)
        t = []
        for i in range(n):
            p = paths[i % len(paths)]
            t0 = time.perf_counter()
            st, body = c.get(p)
            t.append((time.perf_counter() - t0) * 1000)
            if st != 200:
                sys.exit("%s: HTTP %d %s" % (p, st, body[:200]))
        t.sort()
        print("%.3f %.3f %.3f" % (statistics.median(t), t[int(len(t) * 0.99) - 1], statistics.mean(t)))
    elif cmd == "pair":
        args = sys.argv[2:]
        i = args.index("--tls")
        ca = args[i + 1]
        del args[i:i + 2]
        conns = [Conn(args[0], ca), Conn(args[1])]
        if "--also" in args:
            i = args.index("--also")
            conns.append(Conn(args[i + 1]))
            del args[i:i + 2]
        n, paths = int(args[2]), args[3:]
        t = [[] for _ in conns]
        for c in conns:
            for p in paths[:20]:   # warm up
                c.get(p)
        for i in range(n):
            p = paths[i % len(paths)]
            for j in range(len(conns)):    # who goes first rotates too
                k = (i + j) % len(conns)
                t0 = time.perf_counter()
                st, body = conns[k].get(p)
                t[k].append((time.perf_counter() - t0) * 1000)
                if st != 200:
                    sys.exit("%s: HTTP %d %s" % (p, st, body[:200]))
        out = []
        for k in range(len(conns)):
            t[k].sort()
            out += [statistics.median(t[k]), t[k][int(len(t[k]) * 0.99) - 1], statistics.mean(t[k])]
        print(" ".join("%.3f" % v for v in out))


if __name__ == "__main__":
    main()
