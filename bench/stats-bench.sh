#!/bin/bash
# stats-bench.sh [ROUNDS] - what edgebox-stats costs with 50 containers of
# each class, and what a stats request costs inside the runv guest.
#
#   5 runc pods and 5 runv pods (one VM each, TCG here) of 10 containers
#   each (the sandbox + 9), all idle.  edgebox-stats runs over the runc root,
#   then the runv root, then both, each for ROUNDS collection rounds back to
#   back (--interval 0.1): a round measures every container and the node,
#   as one /stats/summary's data.  Per round: wall time (the daemon's own
#   edgebox_stats_round_seconds, mean over the rounds), the daemon's CPU
#   time (utime+stime from /proc), then the time to serve /stats/summary.
#   In the guest: the agent's own CPU time (getrusage, op "usage") over 200
#   stats requests for one container, against 200 pings (the channel's
#   floor), sent one after the other on the monitor's socket.
set -euo pipefail
ROUNDS=${1:-20}
SRC=$(cd "$(dirname "$0")/.." && pwd)
EB=$SRC/build/src/cli/edgebox
ST=$SRC/build/src/stats/edgebox-stats
export EDGEBOX_GUEST_DIR=${EDGEBOX_GUEST_DIR:-$SRC/build/guest}
W=$(mktemp -d /tmp/eb-stats-bench.XXXXXX)
cleanup() {
    local r i
    [ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null
    for r in runc runv; do
        for i in $(ls "$W/$r" 2>/dev/null); do "$EB" --root "$W/$r" delete -f "$i" >/dev/null 2>&1; done
    done
    rm -rf "$W"
}
trap cleanup EXIT
"$SRC/tests/lib/make-rootfs.sh" "$W/rootfs"
TCK=$(getconf CLK_TCK)

# bundle ID CLASS POD TYPE: an idle container of POD (read-only shared rootfs)
bundle() {
    local b=$W/bundles/$1
    mkdir -p "$b"
    "$EB" spec --bundle "$b"
    jq --arg root "$W/rootfs" --arg pod "$3" --arg id "$1" --arg type "$4" --arg class "$2" '
        .root.path = $root | .root.readonly = true | .process.terminal = false | .process.args = ["sleep", "100000"]
        | .annotations = {"io.edgebox.class": $class, "io.kubernetes.cri.container-type": $type,
            "io.kubernetes.cri.sandbox-id": $pod, "io.kubernetes.cri.sandbox-name": $pod,
            "io.kubernetes.cri.sandbox-namespace": "bench", "io.kubernetes.cri.sandbox-uid": ("uid-" + $pod),
            "io.kubernetes.cri.container-name": $id}' "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
}
for class in runc runv; do
    for p in 1 2 3 4 5; do
        pod=$class-pod$p
        for c in 0 1 2 3 4 5 6 7 8 9; do
            if [ $c = 0 ]; then id=$pod; type=sandbox; else id=$pod-c$c; type=container; fi
            bundle "$id" $class "$pod" $type
            "$EB" --root "$W/$class" create --bundle "$W/bundles/$id" "$id" >/dev/null 2>&1 </dev/null
            "$EB" --root "$W/$class" start "$id"
        done
    done
    echo "$class: $(ls "$W/$class" | grep -vc '^\.') containers running" >&2
done

metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
PORT=19256
# measure NAME --root ... : ROUNDS rounds back to back, then 20 summaries
measure() {
    local name=$1 r0 c0 r1 c1 sum=0 i t n
    shift
    "$ST" "$@" --listen "127.0.0.1:$PORT" --interval 0.1 >"$W/stats.log" 2>&1 &
    DPID=$!
    for i in $(seq 1 600); do [ "$(metric edgebox_stats_rounds_total 2>/dev/null)" -ge 2 ] 2>/dev/null && break; sleep 0.1; done
    r0=$(metric edgebox_stats_rounds_total); c0=$(cpu_ticks $DPID)
    : > "$W/rounds"
    while :; do
        r1=$(metric edgebox_stats_rounds_total)
        metric edgebox_stats_round_seconds >> "$W/rounds"
        [ "$r1" -ge $((r0 + ROUNDS)) ] && break
        sleep 0.05
    done
    c1=$(cpu_ticks $DPID)
    n=$(metric edgebox_stats_containers)
    for i in $(seq 1 20); do
        t=$(curl -s -o "$W/summary.json" -w '%{time_total}' "http://127.0.0.1:$PORT/stats/summary")
        sum=$(echo "$sum + $t" | bc -l)
    done
    kill $DPID; wait $DPID 2>/dev/null || true
    DPID=
    printf '%-34s %6s %12.1f %12.1f %12.2f %10s\n' "$name" "$n" \
        "$(sort -n "$W/rounds" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] * 1000}')" \
        "$(echo "($c1 - $c0) * 1000 / $TCK / ($r1 - $r0)" | bc -l)" \
        "$(echo "$sum * 1000 / 20" | bc -l)" "$(stat -c %s "$W/summary.json")"
}

printf '\n%-34s %6s %12s %12s %12s %10s\n' "edgebox-stats ($ROUNDS rounds)" "ctrs" "round ms" "CPU ms/round" "summary ms" "bytes"
measure "runc class" --root "$W/runc"
measure "runv class (5 VMs)" --root "$W/runv"
measure "both" --root "$W/runc" --root "$W/runv"

sock=$W/runv/.runv/runv-pod1/monitor.sock
printf '\n%-34s %14s %16s\n' "in the guest (200 requests)" "agent CPU us" "wall ms (host)"
for op in ping stats; do
    out=$(python3 "$SRC/bench/agent-call.py" "$sock" 200 $op runv-pod1-c1)
    printf '%-34s %14.1f %16.2f\n' "$op (per request)" "$(echo "$out" | jq .agent_cpu_us_per_request)" \
        "$(echo "$out" | jq .wall_ms_per_request)"
done
echo "agent peak RSS: $(echo "$out" | jq .agent_maxrss_kib) KiB"
