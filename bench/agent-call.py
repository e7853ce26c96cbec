#!/usr/bin/env python3
"""agent-call.py SOCKET N OP [ID] - send OP (for container ID) N times, one
after the other, to a runv sandbox's monitor socket, as the CLI does
(src/proto/frame.h); print the agent's "usage" (its own CPU time) before and
after, and the mean wall time per request, as JSON."""
import json, socket, struct, sys, time

MAGIC, VERSION, REQUEST, RESPONSE = 0x31584245, 1, 2, 3

def call(s, rid, req):
    body = json.dumps(req).encode()
    s.sendall(struct.pack('<IBBHII', MAGIC, VERSION, REQUEST, 0, rid, len(body)) + body)
    buf = b''
    while True:
        while len(buf) < 16:
            buf += s.recv(65536)
        _, _, typ, _, fid, n = struct.unpack('<IBBHII', buf[:16])
        while len(buf) < 16 + n:
            buf += s.recv(65536)
        payload, buf = buf[16:16 + n], buf[16 + n:]
        if typ == RESPONSE and fid == rid:
            resp = json.loads(payload)
            if not resp.get('ok'):
                sys.exit('request failed: %s' % resp)
            return resp

sock, n, op = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cid = sys.argv[4] if len(sys.argv) > 4 else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
before = call(s, 1, {'op': 'usage'})
req = {'op': op}
if cid:
    req['id'] = cid
t0 = time.monotonic()
for i in range(n):
    call(s, 2 + i, req)
wall = time.monotonic() - t0
after = call(s, 2 + n, {'op': 'usage'})
cpu = (after['user_us'] + after['system_us']) - (before['user_us'] + before['system_us'])
print(json.dumps({'op': op, 'requests': n, 'agent_cpu_us_per_request': cpu / n,
                  'wall_ms_per_request': wall * 1000 / n, 'agent_maxrss_kib': after['maxrss_kib']}))
