#!/bin/bash
# hub.sh - edgebox-hub between real clients (kubectl; a kubelet-like
# protobuf client) and the protocol-faithful test apiserver
# (tests/kube/apiserver.py) over TLS with a client certificate: online
# forwarding and caching, offline answers from the cache, a restart while
# offline, the refresh after reconnecting, crash safety (SIGKILL during
# writes), a full disk, metrics.
. "$(dirname "$0")/../lib/harness.sh"
plan 109

HUB=${EDGEBOX_HUB:-$EB_BUILD/src/hub/edgebox-hub}
K=$EB_SRC/tests/kube
W=$EB_TMP/hub
mkdir -p "$W"
ports=($(python3 -c 'import socket
for _ in range(4):
    s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'))
API=${ports[0]} HP=${ports[1]} AP=${ports[2]} SP=${ports[3]}
"$K/make-pki.sh" "$W/pki"

cat > "$W/hub.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: cloud
  cluster:
    server: https://127.0.0.1:$API
    certificate-authority: pki/ca.crt
users:
- name: node
  user:
    client-certificate: pki/node.crt
    client-key: pki/node.key
contexts:
- name: edge
  context: {cluster: cloud, user: node}
current-context: edge
KC
cat > "$W/kubectl.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: hub
  cluster: {server: "http://127.0.0.1:$HP"}
contexts:
- name: hub
  context: {cluster: hub}
current-context: hub
KC
export KUBECONFIG=$W/kubectl.kubeconfig
# a fresh discovery cache for every phase: nothing kubectl kept helps it
kc() { local d=$1; shift; timeout 30 kubectl --cache-dir "$W/kc-$d" --request-timeout=20s "$@"; }
client() { timeout 30 python3 "$K/client.py" "$1" "127.0.0.1:$HP" "${@:2}"; }

api_pid=
start_api() {
    python3 "$K/apiserver.py" --listen 127.0.0.1:$API --cert "$W/pki/apiserver.crt" --key "$W/pki/apiserver.key" \
        --client-ca "$W/pki/ca.crt" --state "$W/api-state.json" --bookmark-interval 0.5 "$@" >> "$W/api.log" 2>&1 &
    api_pid=$!
    for _ in $(seq 50); do curl -sk "https://127.0.0.1:$API/readyz" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}
stop_api() { kill "$api_pid" 2>/dev/null; wait "$api_pid" 2>/dev/null; api_pid=; }
hub_pid=
start_hub() {
    "$HUB" --kubeconfig "$W/hub.kubeconfig" --listen 127.0.0.1:$HP --admin-listen 127.0.0.1:$AP \
        --secure-listen 127.0.0.1:$SP --tls-cert "$W/pki/hub.crt" --tls-key "$W/pki/hub.key" \
        --cache "${CACHE:-$W/cache/cache.db}" --health-interval 200 --unhealthy-threshold 3 --healthy-threshold 2 \
        --offline-watch-hold 3 "$@" >> "$W/hub.log" 2>&1 &
    hub_pid=$!
    for _ in $(seq 50); do curl -s "http://127.0.0.1:$AP/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}
stop_hub() { kill "${1:--TERM}" "$hub_pid" 2>/dev/null; wait "$hub_pid" 2>/dev/null; hub_pid=; }
metric() { curl -s "http://127.0.0.1:$AP/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
wait_online() { # wait_online 1|0
    for _ in $(seq 60); do [ "$(metric edgebox_hub_online)" = "$1" ] && return 0; sleep 0.1; done; return 1; }
cleanup_hub() { stop_hub -KILL; stop_api; mountpoint -q "$W/full" && umount "$W/full"; }
trap 'cleanup_hub; cleanup_all' EXIT

check "test apiserver starts (TLS, client certificates)" start_api
check "hub starts" start_hub
check "hub reports the apiserver online" wait_online 1
# the health checks (every 200 ms) keep one connection: no TLS handshake each
upstreams() { ss -Htn state established "( dport = :$API )" | awk '{print $3}' | sort; }
c0=$(upstreams); h0=$(metric 'edgebox_hub_health_checks_total{result="ok"}')
sleep 1.2
c1=$(upstreams); h1=$(metric 'edgebox_hub_health_checks_total{result="ok"}')
check_eq "health checks: $((h1 - h0)) in 1.2 s over one kept-alive connection" "1 same" \
    "$(echo "$c1" | grep -c .) $([ -n "$c0" ] && [ "$c0" = "$c1" ] && [ $((h1 - h0)) -ge 4 ] && echo same)"

# ---------------------------------------------------------------- online
out=$(kc a create namespace demo 2>&1); check_match "online: kubectl create namespace (protobuf write) goes through" "created" "$out"
out=$(kc a -n demo create configmap cm1 --from-literal=color=blue 2>&1 && kc a -n demo create configmap cm2 --from-literal=color=red 2>&1 \
      && kc a -n demo label configmap cm2 tier=back 2>&1)
check_match "online: configmaps created and labelled" "labeled" "$out"
out=$(kc a -n demo create secret generic s1 --from-literal=password=hunter2 2>&1); check_match "online: secret created" "created" "$out"
cat > "$W/pods.json" <<'P'
{"apiVersion":"v1","kind":"List","items":[
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"demo","labels":{"app":"web"}},"spec":{"nodeName":"edge1","containers":[{"name":"c","image":"busybox"}]},"status":{"phase":"Running"}},
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"db-1","namespace":"demo","labels":{"app":"db"}},"spec":{"nodeName":"edge1","containers":[{"name":"c","image":"busybox"}]}},
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-2","namespace":"demo","labels":{"app":"web"}},"spec":{"nodeName":"edge2","containers":[{"name":"c","image":"busybox"}]}}]}
P
out=$(kc a create --validate=false -f "$W/pods.json" 2>&1); check_match "online: pods created from JSON" "web-2 created" "$out"

out=$(kc b -n demo get pods -o name 2>&1 | sort | tr '\n' ' ')
check_eq "online: kubectl get pods (table)" "pod/db-1 pod/web-1 pod/web-2 " "$out"
out=$(kc b -n demo get pods -l app=web -o name 2>&1 | sort | tr '\n' ' ')
check_eq "online: kubectl get pods -l app=web" "pod/web-1 pod/web-2 " "$out"
out=$(kc b -n demo get pods --field-selector spec.nodeName=edge1 -o name 2>&1 | sort | tr '\n' ' ')
check_eq "online: kubectl get pods --field-selector spec.nodeName=edge1" "pod/db-1 pod/web-1 " "$out"
out=$(kc b -n demo get configmaps -l 'tier in (back)' -o name 2>&1 | tr '\n' ' ')
check_eq "online: kubectl get configmaps -l 'tier in (back)'" "configmap/cm2 " "$out"
out=$(kc b -n demo get configmap cm1 -o jsonpath='{.data.color}' 2>&1); check_eq "online: kubectl get configmap cm1" "blue" "$out"
out=$(kc b -n demo get secret s1 -o jsonpath='{.data.password}' 2>&1 | base64 -d); check_eq "online: kubectl get secret s1" "hunter2" "$out"
out=$(kc b -n demo get secrets 2>&1); check_match "online: kubectl get secrets lists s1" "^NAME.*AGE.*s1" "$(echo $out)"

# watch: kubectl get -w sees a change made meanwhile
kc b -n demo get configmaps -w -o name > "$W/watch.out" 2>&1 &
wpid=$!
sleep 2
kc a -n demo create configmap cm3 --from-literal=k=v >/dev/null 2>&1
sleep 1.5
kill $wpid 2>/dev/null; wait $wpid 2>/dev/null
check_match "online: kubectl get -w streams a configmap created meanwhile" "configmap/cm3" "$(cat "$W/watch.out")"

# the kubelet way: protobuf list and watch of its node's pods
out=$(client list '/api/v1/pods?fieldSelector=spec.nodeName%3Dedge1')
check_eq "online: protobuf list of edge1's pods through the hub" '["db-1", "web-1"] application/vnd.kubernetes.protobuf' \
    "$(echo "$out" | jq -c -r '"\(.names) \(.ctype)"' | sed 's/,/, /g')"
client watch '/api/v1/pods?fieldSelector=spec.nodeName%3Dedge1&watch=true&allowWatchBookmarks=true' --seconds 4 > "$W/pbwatch.out" 2>&1 &
wpid=$!
sleep 1
kc a -n demo label pod db-1 tier=data >/dev/null 2>&1
kc a -n demo delete pod web-1 --wait=false >/dev/null 2>&1
wait $wpid
pw=$(cat "$W/pbwatch.out")
check_match "online: protobuf watch: stream content type" "^status 200 application/vnd.kubernetes.protobuf;stream=watch" "$pw"
check_match "online: protobuf watch: initial ADDED, then MODIFIED and DELETED, flushed as they happen" \
    "ADDED db-1.*MODIFIED db-1.*DELETED web-1" "$(echo $pw)"
check_match "online: protobuf watch: bookmarks pass" "BOOKMARK" "$pw"
# each component's cache is as fresh as its own reads (they are kept
# apart): kubelet and kubectl list again after the delete, and the cache
# replaces what the same query returned before
client list '/api/v1/pods?fieldSelector=spec.nodeName%3Dedge1' >/dev/null
kc b -n demo get pods >/dev/null 2>&1
kc b -n demo get pods -l app=web >/dev/null 2>&1
kc b -n demo get pods --field-selector spec.nodeName=edge1 >/dev/null 2>&1
kc b get pods -A >/dev/null 2>&1
kc b get configmaps -A >/dev/null 2>&1
# kube-proxy reads one configmap by name only, never a list of them (it is
# deleted in the cloud later, while the hub is offline)
client get /api/v1/namespaces/demo/configmaps/cm2 --ua kube-proxy/v1.32.0 >/dev/null

# upgrades and streams pass through unchanged
out=$(client upgrade /api/v1/namespaces/demo/pods/db-1/exec?command=sh)
check_eq "online: exec upgrade (101) spliced as a raw stream both ways" "101 echo-ok" "$out"
out=$(client stream '/api/v1/namespaces/demo/pods/db-1/log?follow=true' | awk '{print $1}' | tr '\n' ' ')
first=$(echo "$out" | awk '{print $1}'); last=$(echo "$out" | awk '{print $NF}')
check "online: a followed log is flushed per piece, not buffered to the end" \
    python3 -c "import sys; sys.exit(0 if $last - $first > 0.5 else 1)"
out=$(curl -s --cacert "$W/pki/ca.crt" -H 'User-Agent: kubectl/v1.32' "https://127.0.0.1:$SP/api/v1/namespaces/demo/configmaps/cm1" | jq -r .data.color)
check_eq "online: the HTTPS listener forwards too" "blue" "$out"
out=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/api/v1/namespaces/demo/pods?labelSelector=%3D%3Dbad")
check_eq "online: the apiserver's own errors come back unchanged (400)" "400" "$out"

# pagination passes through (limit/continue); an expired continue token
# and an expired watch resourceVersion come back as the apiserver's 410s
ua='User-Agent: kubelet/v1.32.0'
p1=$(curl -s -H "$ua" "http://127.0.0.1:$HP/api/v1/namespaces/demo/configmaps?limit=2")
tok=$(echo "$p1" | jq -r .metadata.continue)
p2=$(curl -s -H "$ua" "http://127.0.0.1:$HP/api/v1/namespaces/demo/configmaps?limit=2&continue=$tok")
check_eq "online: a paginated list through the hub (limit=2, then continue)" "cm1 cm2 | cm3" \
    "$(echo "$p1" | jq -r '[.items[].metadata.name] | join(" ")') | $(echo "$p2" | jq -r '[.items[].metadata.name] | join(" ")')"
kc a -n demo label configmap cm3 touched=yes >/dev/null 2>&1     # the world moves on, then etcd compacts
curl -s --cacert "$W/pki/ca.crt" --cert "$W/pki/node.crt" --key "$W/pki/node.key" -X POST "https://127.0.0.1:$API/_test/compact" >/dev/null
out=$(curl -s -H "$ua" "http://127.0.0.1:$HP/api/v1/namespaces/demo/configmaps?limit=2&continue=$tok" | jq -r '"\(.code) \(.reason)"')
check_eq "online: an expired continue token is the apiserver's 410 Status" "410 Expired" "$out"
out=$(client watch '/api/v1/namespaces/demo/configmaps?watch=true&resourceVersion=2' --seconds 3 --accept application/json | sed -n 2p)
check_match "online: a watch from a compacted resourceVersion gets the ERROR event (410 Expired)" "^ERROR" "$out"

# a hub that can't verify the apiserver refuses it
sed "s#pki/ca.crt#pki/other-ca.crt#" "$W/hub.kubeconfig" > "$W/bad.kubeconfig"
"$HUB" --kubeconfig "$W/bad.kubeconfig" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 --cache "$W/bad.db" --debug \
    --health-interval 200 > "$W/bad.log" 2>&1 &
bpid=$!; sleep 1.5; kill $bpid; wait $bpid 2>/dev/null
check_match "the apiserver's certificate is verified against the kubeconfig's CA" "certificate verification failed" "$(cat "$W/bad.log")"

# The offline answers, under a link that refuses and under a black hole:
# every kubectl with a fresh discovery cache (KC_DIR), every output kind.
offline_checks() {
    local m=$1 d=$2 out rc start dd rv
    # a kubectl with another --request-timeout asks discovery under another ?timeout=
    out=$(timeout 30 kubectl --cache-dir "$W/kc-$d-t" --request-timeout=25s -n demo get configmap cm1 -o name 2>&1)
    check_eq "offline ($m): discovery is keyed without the client's ?timeout= (another --request-timeout)" "configmap/cm1" "$out"
    out=$(kc "$d" get pods -A 2>&1)
    check_match "offline ($m): kubectl get pods -A renders a table (fresh discovery cache)" "^NAMESPACE +NAME +AGE.*demo +db-1" "$(echo $out)"
    out=$(kc "$d" get configmaps -A -o json 2>&1 | jq -r '[.items[] | select(.metadata.namespace == "demo") | .metadata.name] | join(" ")')
    check_eq "offline ($m): kubectl get configmaps -A -o json" "cm1 cm2 cm3" "$out"
    out=$(kc "$d" -n demo get pods -l 'app in (web,db)' --field-selector spec.nodeName=edge1 -o name 2>&1 | tr '\n' ' ')
    check_eq "offline ($m): a set-based label and field selector list" "pod/db-1 " "$out"
    out=$(kc "$d" get pods -A -w -o name 2>&1); rc=$?
    check_eq "offline ($m): kubectl get pods -A -w lists, then the held watch ends cleanly" "0 pod/db-1 pod/web-2" \
        "$rc $(echo "$out" | sort | tr '\n' ' ' | sed 's/ $//')"
    out=$(kc "$d" -n demo get pods -o name 2>&1 | sort | tr '\n' ' ')
    check_eq "offline ($m): kubectl get pods (fresh discovery cache) from the hub's cache" "pod/db-1 pod/web-2 " "$out"
    out=$(kc "$d" -n demo get pods -l app=web -o name 2>&1 | tr '\n' ' ')
    check_eq "offline ($m): label selector re-applied on cached objects" "pod/web-2 " "$out"
    out=$(kc "$d" -n demo get pods --field-selector spec.nodeName=edge1 -o name 2>&1 | tr '\n' ' ')
    check_eq "offline ($m): field selector spec.nodeName re-applied" "pod/db-1 " "$out"
    out=$(kc "$d" -n demo get configmaps -l 'tier in (back)' -o name 2>&1 | tr '\n' ' ')
    check_eq "offline ($m): set-based label selector" "configmap/cm2 " "$out"
    out=$(kc "$d" -n demo get configmaps 2>&1); check_match "offline ($m): kubectl get configmaps renders a table" "^NAME +AGE" "$out"
    check_match "offline ($m): ... with every cached configmap" "cm1.*cm2.*cm3" "$(echo $out)"
    out=$(kc "$d" -n demo get configmap cm1 -o jsonpath='{.data.color}' 2>&1); check_eq "offline ($m): get one configmap" "blue" "$out"
    out=$(kc "$d" -n demo get secret s1 -o jsonpath='{.data.password}' 2>&1 | base64 -d); check_eq "offline ($m): get one secret" "hunter2" "$out"
    out=$(kc "$d" -n demo get configmap nope 2>&1); check_match "offline ($m): an object the cache knows is absent is NotFound" "NotFound" "$out"
    out=$(kc "$d" -n demo get pods --field-selector spec.bogus=1 2>&1); check_match "offline ($m): an unsupported field selector is a 400 as upstream" "field label not supported" "$out"
    out=$(kc "$d" -n demo create configmap cm9 --from-literal=a=b 2>&1)
    check_match "offline ($m): a write is refused with a Status 503, never queued" "ServiceUnavailable|unreachable" "$out"
    out=$(kc "$d" -n demo delete configmap cm1 2>&1)
    check_match "offline ($m): a delete is refused too" "ServiceUnavailable|unreachable" "$out"
    out=$(kc "$d" -n demo get configmap cm1 -o name 2>&1); check_eq "offline ($m): ... and nothing changed in the cache" "configmap/cm1" "$out"
    start=$(date +%s)
    out=$(kc "$d" -n demo get configmaps -w -o name 2>&1); rc=$?
    dd=$(( $(date +%s) - start ))
    check_eq "offline ($m): a watch is held open, then ended cleanly (kubectl exits 0)" "0" "$rc"
    check "offline ($m): ... after the hold time (3 s), not at once and not forever ($dd s)" test "$dd" -ge 3 -a "$dd" -le 10
    out=$(client list '/api/v1/pods?fieldSelector=spec.nodeName%3Dedge1')
    check_eq "offline ($m): kubelet's protobuf list from the cache (the deleted pod gone)" '["db-1"] application/vnd.kubernetes.protobuf' \
        "$(echo "$out" | jq -c -r '"\(.names) \(.ctype)"')"
    rv=$(echo "$out" | jq -r .rv)
    check "offline ($m): the rebuilt list carries the newest resourceVersion seen ($rv)" test "${rv:-0}" -ge 10
    out=$(client get /api/v1/namespaces/demo/pods/db-1 | jq -r '"\(.status) \(.obj.metadata.labels.tier)"')
    check_eq "offline ($m): protobuf get of a pod updated by a watch event" "200 data" "$out"
    out=$(curl -s -o /dev/null -w '%{http_code}' -H 'User-Agent: curl' "http://127.0.0.1:$HP/api/v1/namespaces/demo/configmaps/cm1")
    check_eq "offline ($m): a component whose reads are not cached gets 503" "503" "$out"
}

# ---------------------------------------------------------------- offline
stop_api
check "offline: the hub notices from its health checks" wait_online 0
offline_checks refused c

# ---------------------------------------------------------------- black hole
# The common WAN failure: the link still accepts connections, then answers
# nothing (no refusal, no reset): TLS handshakes, requests and health
# checks hang, open watch streams stall.
blackhole() { kill -USR1 "$api_pid"; }
heal() { kill -USR2 "$api_pid"; }
r0=$(metric edgebox_hub_cache_refreshes_total)
check "black hole: the apiserver returns (refusing ended)" start_api
wait_online 1
for _ in $(seq 50); do [ "$(metric edgebox_hub_cache_refreshes_total)" -gt "$r0" ] 2>/dev/null && break; sleep 0.1; done
# (no --request-timeout: the watch ends only if the hub ends it)
timeout 60 kubectl --cache-dir "$W/kc-b" -n demo get configmaps -w -o name > "$W/bh-watch.out" 2>&1 &
wpid=$!
# a kept-alive client whose next request meets the black hole
python3 - "$HP" "$W/bh-fifo" > "$W/bh-keep.out" 2>&1 <<'PY' &
import http.client, os, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
h = {"User-Agent": "kubelet/v1.32.0", "Accept": "application/json"}
def get():
    c.request("GET", "/api/v1/namespaces/demo/configmaps/cm1", headers=h)
    r = c.getresponse(); return r.status, r.read()
get()
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.05)
t = time.time(); st, body = get()
print(st, "%.1f" % (time.time() - t))
PY
kpid=$!
sleep 2
blackhole
cut=$(date +%s.%N)
touch "$W/bh-fifo.go"
out=$(timeout 30 kubectl --cache-dir "$W/kc-bh1" get pods -A 2>&1)
took=$(echo "$(date +%s.%N) - $cut" | bc)
check_match "black hole: kubectl get pods -A (fresh discovery cache, default timeouts) right after the cut: the cache's table" \
    "^NAMESPACE +NAME +AGE demo +db-1 +[0-9a-z]+ demo +web-2" "$(echo $out)"
check "black hole: ... in ${took} s, well under kubelet's 10 s" python3 -c "import sys; sys.exit(0 if $took < 6 else 1)"
out=$(timeout 30 kubectl --cache-dir "$W/kc-bh1b" -n demo get pods -l 'app in (web,db)' --field-selector spec.nodeName=edge1 -o name 2>&1)
check_eq "black hole: ... and a set-based label and field selector list ($(metric edgebox_hub_online | sed 's/1/before/;s/0/after/') the hub's verdict)" "pod/db-1" "$out"
wait $kpid
read -r st took < "$W/bh-keep.out"
check "black hole: a request on a kept-alive connection is answered from the cache after --read-timeout ($st in $took s)" \
    python3 -c "import sys; sys.exit(0 if '$st' == '200' and $took < 5 else 1)"
check "black hole: the hub goes offline from its health checks" wait_online 0
for _ in $(seq 30); do kill -0 $wpid 2>/dev/null || break; sleep 0.1; done
if kill -0 $wpid 2>/dev/null; then rc=stalled; kill $wpid; else wait $wpid; rc=$?; fi
wait $wpid 2>/dev/null
check_eq "black hole: a watch relayed over the stalled stream ends when the hub goes offline (kubectl exits 0)" "0" "$rc"
offline_checks "black hole" c2

# ---------------------------------------------------------------- restart, link black-holed
before=$(kc bh2 -n demo get configmaps,secrets,pods -o name 2>&1 | sort | tr '\n' ' ')
stop_hub -KILL
t0=$(date +%s.%N)
check "black hole restart: the hub restarts" start_hub
out=$(kc bh3 -n demo get configmaps,secrets,pods -o name 2>&1 | sort | tr '\n' ' ')
took=$(echo "$(date +%s.%N) - $t0" | bc)
check_eq "black hole restart: kubectl (fresh discovery cache) gets what the hub served before the restart" "$before" "$out"
check "black hole restart: ... within ${took} s of the hub's start, not after the hanging upstream's timeouts" python3 -c "import sys; sys.exit(0 if $took < 5 else 1)"
out=$(client list '/api/v1/pods?fieldSelector=spec.nodeName%3Dedge1' | jq -c .names)
check_eq "black hole restart: kubelet's list from disk" '["db-1"]' "$out"
heal
stop_api

# ---------------------------------------------------------------- restart while offline
stop_hub -KILL
check "offline: the hub restarts" start_hub
out=$(kc d -n demo get configmaps,secrets,pods -o name 2>&1 | sort | tr '\n' ' ')
check_eq "offline restart: kubectl served from disk at once" \
    "configmap/cm1 configmap/cm2 configmap/cm3 pod/db-1 pod/web-2 secret/s1 " "$out"
out=$(client list '/api/v1/pods?fieldSelector=spec.nodeName%3Dedge1' | jq -c .names)
check_eq "offline restart: kubelet's list from disk" '["db-1"]' "$out"

# ---------------------------------------------------------------- back online
# meanwhile in the cloud: cm2 and s1 deleted, cm1 changed
python3 - "$W/api-state.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
objs = []
for o in st["objects"]:
    if o["name"] in ("cm2", "s1"):
        continue
    if o["name"] == "cm1":
        st["rv"] += 1
        o["obj"]["data"]["color"] = "green"
        o["obj"]["metadata"]["resourceVersion"] = str(st["rv"])
    objs.append(o)
st["objects"] = objs
json.dump(st, open(sys.argv[1], "w"))
PY
check "back online: the apiserver returns" start_api
check "back online: the hub notices" wait_online 1
for _ in $(seq 50); do [ "$(metric edgebox_hub_cache_refreshes_total)" -ge 1 ] 2>/dev/null && break; sleep 0.1; done
check "back online: the cache was refreshed" test "$(metric edgebox_hub_cache_refreshes_total)" -ge 1
stop_api
wait_online 0
out=$(kc e -n demo get configmaps,secrets -o name 2>&1 | sort | tr '\n' ' ')
check_eq "refresh: objects deleted while the hub was offline are gone from the cache" "configmap/cm1 configmap/cm3 " "$out"
out=$(kc e -n demo get configmap cm1 -o jsonpath='{.data.color}' 2>&1)
check_eq "refresh: changed objects are current" "green" "$out"
out=$(client get /api/v1/namespaces/demo/configmaps/cm2 --ua kube-proxy/v1.32.0 | jq -r .status)
check_eq "refresh: a configmap the apiserver answered 404 for is a 404 offline, not a 503" "404" "$out"

# ---------------------------------------------------------------- crash safety
start_api
wait_online 1
(for i in $(seq 40); do kc a -n demo create configmap "load-$i" --from-literal=i=$i >/dev/null 2>&1; done) &
lpid=$!
client watch '/api/v1/namespaces/demo/configmaps?watch=true' --seconds 30 --ua 'kubectl/v1.32' >/dev/null 2>&1 &
cwpid=$!
sleep 3
stop_hub -KILL
kill $lpid $cwpid 2>/dev/null; wait $lpid $cwpid 2>/dev/null
out=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('pragma integrity_check').fetchone()[0])" "$W/cache/cache.db")
check_eq "SIGKILL during cache writes: the store is consistent" "ok" "$out"
check "SIGKILL: the hub restarts on the same cache" start_hub
out=$(kc f -n demo get configmap cm1 -o name 2>&1); check_eq "SIGKILL: and serves" "configmap/cm1" "$out"

# ---------------------------------------------------------------- full disk
stop_hub
mkdir -p "$W/full"
mount -t tmpfs -o size=512k tmpfs "$W/full"
CACHE=$W/full/cache.db start_hub
dd if=/dev/zero of="$W/full/filler" bs=4k count=1000 2>/dev/null
wait_online 1
out=$(kc g -n demo get configmaps -o name 2>&1 | grep -c load-)
check "full disk: forwarding goes on ($out configmaps listed)" test "$out" -ge 1
out=$(kc g -n demo create configmap disk-full --from-literal=a=b 2>&1); check_match "full disk: writes still forwarded" "created" "$out"
check "full disk: a clear error in the log" grep -q "database or disk is full\|No space left" "$W/hub.log"
check "full disk: counted in the metrics" test "$(metric edgebox_hub_cache_store_errors_total)" -ge 1
stop_hub
umount "$W/full"

# ---------------------------------------------------------------- metrics
start_hub
kc h -n demo get configmaps >/dev/null 2>&1
m=$(curl -s "http://127.0.0.1:$AP/metrics")
check_match "metrics: requests by verb and result" 'edgebox_hub_requests_total\{verb="list",result="forwarded"\} [0-9]+' "$m"
check_match "metrics: objects cached" '^edgebox_hub_cache_objects [1-9]' "$m"
check_match "metrics: online state" '^edgebox_hub_online 1' "$m"
if command -v promtool >/dev/null; then
    out=$(echo "$m" | promtool check metrics 2>&1); rc=$?
    check_eq "metrics: promtool check metrics accepts them" "0" "$rc"
else
    fail "metrics: promtool check metrics" "promtool missing (the setup installs prometheus)"
fi
check_eq "healthz" "ok" "$(curl -s "http://127.0.0.1:$AP/healthz" | head -1)"
