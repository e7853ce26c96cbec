#!/bin/bash
# ecm.sh - edgebox-ecm against the protocol-faithful test apiserver
# (tests/kube/apiserver.py) with its DefaultTolerationSeconds admission, its
# pod-update validation and its taint eviction controller (the tests taint
# nodes as the node lifecycle controller would): autonomous nodes' pods stay
# through an outage, other nodes' pods are evicted, removing the annotation
# restores the default, two replicas elect one leader through a Lease,
# failover and release, a controller killed mid-way and restarted
# converges, a watch that lost its version relists.
. "$(dirname "$0")/../lib/harness.sh"
plan 63

ECM=${EDGEBOX_ECM:-$EB_BUILD/src/ecm/edgebox-ecm}
K=$EB_SRC/tests/kube
W=$EB_TMP/ecm
mkdir -p "$W"
ports=($(python3 -c 'import socket
for _ in range(3):
    s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'))
API=${ports[0]} A1=${ports[1]} A2=${ports[2]}
"$K/make-pki.sh" "$W/pki"
TOKEN=ecm-test-token-$RANDOM$RANDOM

cat > "$W/admin.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: cloud
  cluster: {server: "https://127.0.0.1:$API", certificate-authority: pki/ca.crt}
users:
- name: admin
  user: {client-certificate: pki/node.crt, client-key: pki/node.key}
contexts:
- name: cloud
  context: {cluster: cloud, user: admin}
current-context: cloud
KC
# the second replica runs as in a pod: service account token and CA
mkdir -p "$W/sa"
cp "$W/pki/ca.crt" "$W/sa/ca.crt"
printf '%s\n' "$TOKEN" > "$W/sa/token"

kc() { timeout 30 kubectl --kubeconfig "$W/admin.kubeconfig" --cache-dir "$W/kc-cache" --request-timeout=20s "$@"; }

api_pid=
start_api() {
    python3 "$K/apiserver.py" --listen 127.0.0.1:$API --cert "$W/pki/apiserver.crt" --key "$W/pki/apiserver.key" \
        --client-ca "$W/pki/ca.crt" --token "$TOKEN" --state "$W/api-state.json" --bookmark-interval 0.5 \
        --history 40 --default-not-ready-toleration-seconds 3 --default-unreachable-toleration-seconds 3 \
        --taint-eviction >> "$W/api.log" 2>&1 &
    api_pid=$!
    for _ in $(seq 50); do curl -sk "https://127.0.0.1:$API/readyz" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}
stop_api() { kill "$api_pid" 2>/dev/null; wait "$api_pid" 2>/dev/null; api_pid=; }

declare -A ecm_pid
LEASE_OPTS=(--lease-namespace kube-system --lease-duration 3 --renew-deadline 2 --retry-period 1 --resync 30)
start_ecm() { # start_ecm 1|2
    if [ "$1" = 1 ]; then
        "$ECM" --kubeconfig "$W/admin.kubeconfig" --identity ecm-1 --admin-listen 127.0.0.1:$A1 "${LEASE_OPTS[@]}" \
            >> "$W/ecm-1.log" 2>&1 &
    else
        KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$API EDGEBOX_SERVICEACCOUNT_DIR=$W/sa \
            "$ECM" --identity ecm-2 --admin-listen 127.0.0.1:$A2 "${LEASE_OPTS[@]}" >> "$W/ecm-2.log" 2>&1 &
    fi
    ecm_pid[$1]=$!
    local port=$A1; [ "$1" = 2 ] && port=$A2
    for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/readyz" 2>/dev/null | grep -q ok && return 0; sleep 0.1; done
    return 1
}
stop_ecm() { # stop_ecm N [signal]
    [ -n "${ecm_pid[$1]}" ] || return 0
    kill "${2:--TERM}" "${ecm_pid[$1]}" 2>/dev/null; wait "${ecm_pid[$1]}" 2>/dev/null; ecm_pid[$1]=
}
port_of() { [ "$1" = 1 ] && echo $A1 || echo $A2; }
metric() { # metric N NAME
    curl -s "http://127.0.0.1:$(port_of "$1")/metrics" 2>/dev/null | awk -v m="$2" '$1 == m {print $2}'; }
leader_of() { for n in 1 2; do [ "$(metric $n edgebox_ecm_leader)" = 1 ] && echo $n; done; }
holder() { kc -n kube-system get lease edgebox-ecm -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
holder_is() { [ "$(holder)" = "$1" ]; }
leads() { [ "$(metric "$1" edgebox_ecm_leader)" = 1 ]; }
restored() { [ "$(podj "$1" '[.spec.tolerations[]|select(.key=="node.kubernetes.io/unreachable")][0].tolerationSeconds')" = 3 ]; }
wait_until() { # wait_until TRIES CMD... (0.2 s apart)
    local n=$1; shift
    for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }
cleanup_ecm() { stop_ecm 1 -KILL; stop_ecm 2 -KILL; stop_api; }
trap 'cleanup_ecm; cleanup_all' EXIT

pod() { # pod NAME NODE [TOLERATIONS-JSON] [PHASE]
    jq -nc --arg n "$1" --arg node "$2" --argjson t "${3:-null}" --arg phase "${4:-}" \
        '{apiVersion: "v1", kind: "Pod", metadata: {name: $n, namespace: "default"},
          spec: ({nodeName: $node, containers: [{name: "c", image: "busybox"}]} + if $t then {tolerations: $t} else {} end)}
         + if $phase != "" then {status: {phase: $phase}} else {} end'
}
node() { # node NAME [autonomy]
    jq -nc --arg n "$1" --arg a "${2:-}" \
        '{apiVersion: "v1", kind: "Node", metadata: ({name: $n} + if $a != "" then {annotations: {"node.edgebox.io/autonomy": $a}} else {} end),
          status: {conditions: [{type: "Ready", status: "True"}]}}'
}
create() { jq -s '{apiVersion: "v1", kind: "List", items: .}' | kc create --validate=false -f - >/dev/null; }
# What the node lifecycle controller does to a node that stopped reporting.
outage() { # outage NODE on|off
    local ts; ts=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    if [ "$2" = on ]; then
        kc patch node "$1" --type merge -p "{\"spec\":{\"taints\":[
            {\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoSchedule\",\"timeAdded\":\"$ts\"},
            {\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoExecute\",\"timeAdded\":\"$ts\"}]},
            \"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\",\"reason\":\"NodeStatusUnknown\",
            \"message\":\"Kubelet stopped posting node status.\"}]}}" >/dev/null
    else
        kc patch node "$1" --type merge -p '{"spec":{"taints":null},"status":{"conditions":[{"type":"Ready","status":"True"}]}}' >/dev/null
    fi
}
podj() { kc get pod "$1" -o json 2>/dev/null | jq -c "$2"; }
# seconds of the first toleration matching the unreachable NoExecute taint
# (what the taint manager uses): "null" = unlimited
first_unreachable() { podj "$1" '[.spec.tolerations[] | select((.key == "node.kubernetes.io/unreachable" or ((.key // "") == "" and .operator == "Exists")) and ((.effect // "") == "" or .effect == "NoExecute"))][0].tolerationSeconds'; }
first_notready() { podj "$1" '[.spec.tolerations[] | select((.key == "node.kubernetes.io/not-ready" or ((.key // "") == "" and .operator == "Exists")) and ((.effect // "") == "" or .effect == "NoExecute"))][0].tolerationSeconds'; }
protected() { [ "$(first_unreachable "$1")" = null ] && [ "$(first_notready "$1")" = null ]; }
saved() { podj "$1" '.metadata.annotations["node.edgebox.io/saved-toleration-seconds"]'; }
evicted() { [ "$(podj "$1" '.metadata.deletionTimestamp != null')" = true ]; }
not_evicted() { [ "$(podj "$1" '.metadata.deletionTimestamp == null')" = true ]; }

check "test apiserver starts (DefaultTolerationSeconds 3 s, taint eviction)" start_api
node edge-a true | create; node edge-b | create; node edge-c | create
{ pod a1 edge-a; pod a2 edge-a; pod b1 edge-b
  # a DaemonSet's pods already tolerate outages without limit
  pod ds-a edge-a '[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute"},{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute"}]'
  # a wildcard toleration with a limit also covers other taints: it must keep it
  pod wild-a edge-a '[{"operator":"Exists","effect":"NoExecute","tolerationSeconds":60}]'
  pod done-a edge-a '' Succeeded; } | create
check_eq "apiserver: DefaultTolerationSeconds gave b1 3 s tolerations" "3 3" "$(first_unreachable b1) $(first_notready b1)"
out=$(kc patch pod b1 --type json -p '[{"op":"remove","path":"/spec/tolerations/0"}]' 2>&1)
check_match "apiserver: removing a toleration is refused as upstream does" "existing toleration can not be modified" "$out"
ds_rv=$(podj ds-a .metadata.resourceVersion)

# ------------------------------------------------------------ two replicas
# Replica 1's first list of pods comes in pages of 2, and the token for the
# second page expires on the way (writes and a compaction in between).
api_post() { curl -s --cacert "$W/pki/ca.crt" --cert "$W/pki/node.crt" --key "$W/pki/node.key" -X POST "https://127.0.0.1:$API$1"; }
api_post "/_test/pager?max=2&expire=pods" >/dev/null
check "replica 1 starts (kubeconfig, client certificate) and syncs" start_ecm 1
api_post "/_test/pager?max=0" >/dev/null
check_match "informer: a continue token expired mid-list: the list starts again (as client-go's pager)" \
    'informer v1/pods: the list.s continue token expired after 2 objects, listing again from the start' "$(cat "$W/ecm-1.log")"
check_eq "informer: ... and ends with every pod, without an error" "synced, 6 objects" \
    "$(grep -o 'informer v1/pods: [^"]*' "$W/ecm-1.log" | grep -v 'expired after' | head -1 | grep -o 'synced, [0-9]* objects')"
check "replica 2 starts (in-cluster service account token) and syncs" start_ecm 2
wait_until 50 sh -c "kubectl --kubeconfig '$W/admin.kubeconfig' -n kube-system get lease edgebox-ecm -o jsonpath='{.spec.holderIdentity}' | grep -q ecm"
sleep 2
l=$(leader_of)
check_match "two replicas: exactly one leader" "^[12]$" "$l"
check_eq "two replicas: the Lease names the leader" "ecm-$l" "$(holder)"
other=$((3 - ${l:-1}))
check_eq "two replicas: the other stands by" "0" "$(metric $other edgebox_ecm_leader)"

# ----------------------------------------------------------------- protect
check "autonomous node: a1 protected" wait_until 50 protected a1
check "autonomous node: a2 protected" wait_until 50 protected a2
check_eq "autonomous node: the old limits are recorded on the pod" \
    '"{\"node.kubernetes.io/unreachable\":3,\"node.kubernetes.io/not-ready\":3}"' "$(saved a1)"
check_eq "autonomous node: one toleration per outage taint (modified, not added)" "2" \
    "$(podj a1 '[.spec.tolerations[] | select(.key | startswith("node.kubernetes.io/"))] | length')"
check "wildcard toleration: a specific unlimited one goes before it" wait_until 25 protected wild-a
check_eq "wildcard toleration: keeps its own limit" "60" \
    "$(podj wild-a '[.spec.tolerations[] | select((.key // "") == "")][0].tolerationSeconds')"
check_eq "already unlimited (DaemonSet-like) pod: not written" "$ds_rv" "$(podj ds-a .metadata.resourceVersion)"
check_eq "finished pod: left alone" "null" "$(saved done-a)"
check_eq "other node: b1 keeps the default 3 s" "3 null" "$(first_unreachable b1) $(saved b1)"
check_eq "standby replica made no update" "0 0" \
    "$(metric $other 'edgebox_ecm_pod_updates_total{action="protect"}') $(metric $other 'edgebox_ecm_pod_updates_total{action="restore"}')"
check_eq "leader: metrics count protected pods" "3" "$(metric $l edgebox_ecm_protected_pods)"
check_eq "leader: metrics count autonomous nodes" "1" "$(metric $l edgebox_ecm_autonomous_nodes)"
line=$(grep '"pod":"default/a1"' "$W/ecm-$l.log" | grep '"action":"protect"' | head -1)
check_match "structured log: the protect action as a JSON line" '"level":"info".*"action":"protect".*"node":"edge-a"' "$line"
check "structured log: every line is JSON" sh -c "jq -e . '$W/ecm-$l.log' >/dev/null"

# ------------------------------------------------------------------ outage
outage edge-a on; outage edge-b on
check "unmarked node: b1 evicted after its 3 s toleration" wait_until 50 evicted b1
sleep 4
out=""; for p in a1 a2 wild-a ds-a; do evicted $p && out="$out $p"; done
check_eq "autonomous node unreachable for 2x the toleration: no pod evicted" "" "$out"
check_match "structured log: the outage of the autonomous node" '"msg":"autonomous node tainted for an outage: its pods stay".*"node":"edge-a"' \
    "$(cat "$W/ecm-$l.log")"
outage edge-a off; outage edge-b off

# a node that opts in during its outage: the scheduled eviction is cancelled
node edge-e | create
pod e-late edge-e '[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":6}]' | create
outage edge-e on
sleep 1
kc annotate node edge-e node.edgebox.io/autonomy=true >/dev/null
check "late opt-in during an outage: pod protected in time" wait_until 20 protected e-late
sleep 7
check "late opt-in during an outage: not evicted after its 6 s" not_evicted e-late
check_match "late opt-in during an outage: the taint eviction controller cancelled it" "default/e-late tolerates forever: eviction cancelled" "$(cat "$W/api.log")"
outage edge-e off

# ------------------------------------------------- annotation off: restore
kc annotate node edge-a node.edgebox.io/autonomy- >/dev/null
check "annotation removed: a1's limits restored" wait_until 50 restored a1
check_eq "annotation removed: record dropped" "null" "$(saved a1)"
check_eq "annotation removed: wildcard pod's first match back to 60 s" "60" "$(first_unreachable wild-a)"
line=$(grep '"pod":"default/a1"' "$W/ecm-$l.log" | grep '"action":"restore"' | head -1)
check_match "structured log: the restore action" '"action":"restore"' "$line"
outage edge-a on
check "annotation removed: a1 evicted again on an outage (default behaviour back)" wait_until 50 evicted a1
outage edge-a off
kc annotate node edge-a node.edgebox.io/autonomy=true >/dev/null
check "annotation back: wild-a protected again" wait_until 50 protected wild-a

# ---------------------------------------------------------------- failover
stop_ecm "$l" -KILL
check "leader killed: the standby takes the lease" wait_until 50 holder_is "ecm-$other"
check_eq "leader killed: the standby now leads" "1" "$(metric $other edgebox_ecm_leader)"
check_match "leader killed: leaseTransitions counted" "^[1-9]" "$(kc -n kube-system get lease edgebox-ecm -o jsonpath='{.spec.leaseTransitions}')"
kc annotate node edge-c node.edgebox.io/autonomy=true >/dev/null
pod c1 edge-c | create
check "new leader acts: c1 on a newly autonomous node protected" wait_until 50 protected c1
check "killed replica restarts as standby" start_ecm "$l"
sleep 2
check_eq "restarted replica: standby while the lease is held" "0 ecm-$other" "$(metric $l edgebox_ecm_leader) $(holder)"

# release on SIGTERM: the standby takes over without waiting for expiry
stop_ecm "$other"
check_match "SIGTERM: the lease is released" '"msg":"released the lease"' "$(cat "$W/ecm-$other.log")"
check "SIGTERM: the standby leads" wait_until 50 leads "$l"
check_eq "SIGTERM: holder is the standby" "ecm-$l" "$(holder)"

# ------------------------------------------- killed mid-way, then restarted
stop_ecm "$l"
node edge-d true | create
{ for i in $(seq 1 150); do pod "d$i" edge-d; done; } | create
start_ecm 1
for _ in $(seq 200); do [ "$(metric 1 'edgebox_ecm_pod_updates_total{action="protect"}')" -ge 5 ] 2>/dev/null && break; sleep 0.02; done
stop_ecm 1 -KILL
n=$(kc get pods -o json | jq '[.items[] | select(.metadata.annotations["node.edgebox.io/saved-toleration-seconds"])
                              | select(.metadata.name | test("^d[0-9]+$"))] | length')
echo "# killed after $n of 150 pods were protected"
# while no controller runs: edge-c leaves autonomy, edge-b joins
kc annotate node edge-c node.edgebox.io/autonomy- >/dev/null
kc annotate node edge-b node.edgebox.io/autonomy=true >/dev/null
pod b2 edge-b | create
pod e1 edge-a | create
check "restarted after SIGKILL mid-way" start_ecm 1
check "converged: b2 (node annotated while down) protected" wait_until 75 protected b2
check "converged: c1 (annotation removed while down) restored" wait_until 75 restored c1
check "converged: e1 (created while down) protected" wait_until 75 protected e1
# every pod of the interrupted batch protected, each exactly once
batch_bad() {
    kc get pods -o json | jq -r '.items[] | select(.metadata.name | test("^d[0-9]+$"))
    | select(([.spec.tolerations[] | select(.key | startswith("node.kubernetes.io/")) | .tolerationSeconds] | tostring) != "[null,null]"
             or .metadata.annotations["node.edgebox.io/saved-toleration-seconds"] != "{\"node.kubernetes.io/unreachable\":3,\"node.kubernetes.io/not-ready\":3}")
    | .metadata.name' | tr '\n' ' '
}
batch_done() { [ -z "$(batch_bad)" ]; }
wait_until 100 batch_done
check_eq "converged: all 150 pods of the interrupted batch protected, one toleration per taint" "" "$(batch_bad)"
check_eq "converged: 150 pods in the batch" "150" "$(kc get pods -o name | grep -c '^pod/d[0-9]')"

# --------------------------------------- a watch whose version is gone
kill -STOP "${ecm_pid[1]}"
for i in $(seq 1 45); do kc annotate node edge-b "churn=$i" --overwrite >/dev/null; done
pod b3 edge-b | create
kc delete pod e1 --wait=false >/dev/null
stop_api; start_api
kill -CONT "${ecm_pid[1]}"
check "apiserver restarted, history gone: b3 protected after a relist" wait_until 75 protected b3
check_match "relist: counted as expired" "^[1-9]" "$(metric 1 'edgebox_ecm_informer_expired_total{resource="pods"}')"
check_eq "relist: the deleted pod left the copy" "" \
    "$(curl -s "http://127.0.0.1:$A1/metrics" >/dev/null; kc get pod e1 -o name 2>/dev/null)"

# ------------------------------------------------- endpoints and metrics
check_eq "healthz" "200" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A1/healthz")"
check_eq "readyz" "200" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A1/readyz")"
curl -s "http://127.0.0.1:$A1/metrics" > "$W/metrics.txt"
check "metrics: promtool check metrics accepts them" sh -c "promtool check metrics < '$W/metrics.txt'"
check_match "metrics: informer counters" 'edgebox_ecm_informer_lists_total\{resource="nodes"\} [1-9]' "$(cat "$W/metrics.txt")"

# ------------------------------------------------------------ bad input
out=$("$ECM" --kubeconfig /nonexistent 2>&1); rc=$?
check_eq "bad kubeconfig: exit status 1" "1" "$rc"
check_match "bad kubeconfig: one clear line" "^edgebox-ecm: open .*/nonexistent" "$out"
out=$(env -u KUBERNETES_SERVICE_HOST "$ECM" 2>&1)
check_match "no kubeconfig outside a cluster: says so" "not in a cluster" "$out"
out=$("$ECM" --kubeconfig "$W/admin.kubeconfig" --lease-duration 2 --renew-deadline 5 2>&1)
check_match "lease timings checked" "lease-duration > --renew-deadline" "$out"
stop_ecm 1
check_match "SIGTERM: stops cleanly" '"msg":"edgebox-ecm stopped"' "$(tail -3 "$W/ecm-1.log")"
