#!/bin/bash
# hub-blackhole.sh - edgebox-hub with its default thresholds when the link
# to the apiserver is a black hole (the test apiserver's partition mode:
# connections accepted, nothing answered, watches stalled):
#   - reboot: hub start, upstream black-holed, to the first answer from
#     the cache (kubelet's list of its node's pods; the client retries the
#     connection until the hub listens, as kubelet does)
#   - link loss: the link black-holed under a running, online hub, to the
#     first answer from the cache, on a new client connection and on a
#     kept-alive one (whose upstream connection meets the black hole)
#   - the hub's own verdict: link loss to edgebox_hub_online 0
# ROUNDS runs of each; the median and the worst are printed.
set -euo pipefail
ROUNDS=${ROUNDS:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
HUB=${EDGEBOX_HUB:-$SRC/build/src/hub/edgebox-hub}
W=$(mktemp -d /tmp/eb-hub-bh.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
read -r API HP AP < <(python3 -c 'import socket
ps=[]
for _ in range(3):
    s=socket.socket(); s.bind(("127.0.0.1",0)); ps.append(s.getsockname()[1]); s.close()
print(*ps)')
"$SRC/tests/kube/make-pki.sh" "$W/pki"
python3 "$SRC/bench/hub-load.py" seed "$W/state.json" 200 100 10 5
. "$SRC/bench/hub-lib.sh"
hub_kubeconfig "$W/kc" "$API"
python3 "$SRC/tests/kube/apiserver.py" --listen "127.0.0.1:$API" --cert "$W/pki/apiserver.crt" \
    --key "$W/pki/apiserver.key" --client-ca "$W/pki/ca.crt" --state "$W/state.json" > "$W/api.log" 2>&1 &
API_PID=$!
until curl -sk "https://127.0.0.1:$API/readyz" >/dev/null; do sleep 0.2; done
online() { curl -s "http://127.0.0.1:$AP/metrics" | awk '$1 == "edgebox_hub_online" {print $2}'; }
start_hub() {
    "$HUB" --kubeconfig "$W/kc" --listen "127.0.0.1:$HP" --admin-listen "127.0.0.1:$AP" --cache "$W/cache.db" \
        >> "$W/hub.log" 2>&1 &
    HUB_PID=$!
}
stop_hub() { kill -KILL "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true; }
LIST="/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-3"
UA='User-Agent: kubelet/v1.32.4 (linux/amd64) kubernetes/4cb5f07'
# the kubelet's list, answered 200 with its pods: prints the seconds from
# $1 (date +%s.%N) to the end of the answer
first_answer() {
    python3 - "$HP" "$LIST" "$1" <<'PY'
import http.client, sys, time
port, path, t0 = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", path, headers={"User-Agent": "kubelet/v1.32.4", "Accept": "application/json"})
        r = c.getresponse(); body = r.read()
        if r.status == 200 and b'"items":[{' in body:
            break
        sys.exit("status %d" % r.status)
    except ConnectionRefusedError:
        time.sleep(0.005)
print("%.3f" % (time.time() - t0))
PY
}
stats() { sort -n | awk '{v[NR]=$1} END {printf "median %.2f s, worst %.2f s (%d runs)\n", v[int((NR+1)/2)], v[NR], NR}'; }

start_hub
until [ "$(online)" = 1 ]; do sleep 0.1; done
curl -s -H "$UA" "http://127.0.0.1:$HP$LIST" > /dev/null      # cached for kubelet
: > "$W/reboot"; : > "$W/loss-new"; : > "$W/loss-kept"; : > "$W/verdict"
for _ in $(seq "$ROUNDS"); do
    # link loss under a running hub
    python3 - "$HP" "$LIST" "$W/go" > "$W/kept" <<'PY' &
import http.client, os, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
def get():
    c.request("GET", sys.argv[2], headers={"User-Agent": "kubelet/v1.32.4", "Accept": "application/json"})
    r = c.getresponse(); r.read(); return r.status
get()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.001)
t = float(open(sys.argv[3]).read()); st = get()
print("%.3f" % (time.time() - t) if st == 200 else "status %d" % st)
PY
    KEPT=$!
    sleep 1
    kill -USR1 "$API_PID"
    t0=$(date +%s.%N)
    echo "$t0" > "$W/go.tmp" && mv "$W/go.tmp" "$W/go"
    first_answer "$t0" >> "$W/loss-new"
    wait "$KEPT"; cat "$W/kept" >> "$W/loss-kept"; rm -f "$W/go"
    until [ "$(online)" = 0 ]; do sleep 0.05; done
    echo "$(date +%s.%N) - $t0" | bc >> "$W/verdict"
    # reboot with the link still black-holed
    stop_hub
    t0=$(date +%s.%N)
    start_hub
    first_answer "$t0" >> "$W/reboot"
    kill -USR2 "$API_PID"
    until [ "$(online)" = 1 ]; do sleep 0.1; done
done
echo "edgebox-hub, default thresholds (health every 5000 ms, timeout 2000 ms, 3 failures; --read-timeout 3000)"
echo "reboot, link black-holed, to the first cache answer:      $(stats < "$W/reboot")"
echo "link black-holed, first answer on a new connection:       $(stats < "$W/loss-new")"
echo "link black-holed, first answer on a kept-alive connection: $(stats < "$W/loss-kept")"
echo "link black-holed to the hub offline (its verdict):        $(stats < "$W/verdict")"
