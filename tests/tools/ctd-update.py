#!/usr/bin/python3
"""ctd-update.py SOCKET NAMESPACE ID RESOURCES_JSON - containerd's
Tasks.Update for task ID, as its Go client's task.Update(WithResources(r))
sends it: the resources an Any of typeurl's JSON encoding of an OCI
LinuxResources.  ctr 1.6 has no `task update`; this is its one request,
over containerd's real gRPC API (Debian's python3-grpcio), the protobuf
bytes written by hand for the two fields it has."""
import json
import sys

import grpc

URL = b"types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def main():
    sock, ns, cid, res = sys.argv[1:5]
    value = json.dumps(json.loads(res), separators=(",", ":")).encode()
    req = field(1, cid.encode()) + field(2, field(1, URL) + field(2, value))
    chan = grpc.insecure_channel("unix://" + sock)
    update = chan.unary_unary("/containerd.services.tasks.v1.Tasks/Update")
    try:
        update(req, metadata=[("containerd-namespace", ns)], timeout=60)
    except grpc.RpcError as e:
        print("ctd-update: %s: %s" % (e.code(), e.details()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
