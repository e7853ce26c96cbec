#!/usr/bin/env python3
"""A test client speaking to the hub the way kubelet does (User-Agent
kubelet/..., protobuf first), plus raw HTTP checks the tests need.

  client.py list HOSTPORT PATH [--accept A] [--ua UA]    -> JSON {status, rv, names}
  client.py get HOSTPORT PATH [--accept A] [--ua UA]     -> JSON {status, ctype, obj}
  client.py watch HOSTPORT PATH --seconds S [--accept A] -> one line per event "TYPE name rv"
  client.py upgrade HOSTPORT PATH                        -> "101 echo-ok" when bytes come back
  client.py stream HOSTPORT PATH                         -> the body, as it streams
"""
import argparse
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kproto  # noqa: E402

PB = "application/vnd.kubernetes.protobuf"


def connect(hostport):
    host, port = hostport.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=30)


def request(sock, method, path, headers, body=b""):
    h = "%s %s HTTP/1.1\r\nHost: hub\r\n" % (method, path)
    for k, v in headers.items():
        h += "%s: %s\r\n" % (k, v)
    if body or method in ("POST", "PUT", "PATCH"):
        h += "Content-Length: %d\r\n" % len(body)
    sock.sendall(h.encode() + b"\r\n" + body)


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def head(self):
        status = self.line().decode()
        hdrs = {}
        while True:
            ln = self.line().decode()
            if not ln:
                break
            k, v = ln.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        return int(status.split()[1]), hdrs

    def chunks(self, hdrs):
        """Yield body pieces as they arrive."""
        if hdrs.get("transfer-encoding") == "chunked":
            while True:
                n = int(self.line().split(b";")[0], 16)
                if n == 0:
                    self.line()
                    return
                yield self.exact(n)
                self.line()
        elif "content-length" in hdrs:
            yield self.exact(int(hdrs["content-length"]))
        else:
            while True:
                try:
                    self.fill()
                except EOFError:
                    yield self.buf
                    return


def decode(ctype, body):
    if ctype.startswith(PB):
        return kproto.decode_list(body) if kproto.unwrap(body)[1].endswith("List") else kproto.decode_object(body)
    return json.loads(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd")
    ap.add_argument("hostport")
    ap.add_argument("path")
    ap.add_argument("--accept", default=PB + ", application/json")
    ap.add_argument("--ua", default="kubelet/v1.32.0 (linux/amd64) kubernetes/test")
    ap.add_argument("--seconds", type=float, default=5)
    a = ap.parse_args()
    s = connect(a.hostport)
    r = Reader(s)
    hdr = {"Accept": a.accept, "User-Agent": a.ua}
    if a.cmd in ("list", "get"):
        request(s, "GET", a.path, hdr)
        status, h = r.head()
        body = b"".join(r.chunks(h))
        out = {"status": status, "ctype": h.get("content-type", "")}
        obj = decode(out["ctype"], body) if body else {}
        if a.cmd == "list" and status == 200:
            out["rv"] = obj["metadata"].get("resourceVersion")
            out["kind"] = obj.get("kind")
            out["names"] = [i["metadata"]["name"] for i in obj["items"]]
        else:
            out["obj"] = obj
        print(json.dumps(out))
    elif a.cmd == "watch":
        request(s, "GET", a.path, hdr)
        status, h = r.head()
        print("status %d %s" % (status, h.get("content-type", "")), flush=True)
        s.settimeout(a.seconds)
        pending = b""
        end = time.time() + a.seconds
        try:
            for piece in r.chunks(h):
                if h.get("content-type", "").startswith(PB):
                    evs, pending = kproto.decode_watch_frames(pending + piece)
                else:
                    pending += piece
                    lines = pending.split(b"\n")
                    pending = lines.pop()
                    evs = [(e["type"], e["object"]) for e in map(json.loads, filter(None, lines))]
                for t, o in evs:
                    md = o.get("metadata", {})
                    print("%s %s %s" % (t, md.get("name", "-"), md.get("resourceVersion", "-")), flush=True)
                if time.time() > end:
                    break
            else:
                print("end", flush=True)
        except (socket.timeout, TimeoutError):
            print("timeout", flush=True)
    elif a.cmd == "upgrade":
        hdr.update({"Connection": "Upgrade", "Upgrade": "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io"})
        request(s, "POST", a.path, hdr)
        status, h = r.head()
        if status != 101:
            print("%d no-upgrade" % status)
            return
        payload = bytes(range(256)) * 64
        s.sendall(payload)
        got = r.buf
        r.buf = b""
        while len(got) < len(payload):
            d = s.recv(65536)
            if not d:
                break
            got += d
        print("101 " + ("echo-ok" if got == payload else "echo-bad %d" % len(got)))
    elif a.cmd == "stream":
        request(s, "GET", a.path, hdr)
        status, h = r.head()
        for piece in r.chunks(h):
            sys.stdout.write("%.3f %s" % (time.time(), piece.decode()))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
