#!/bin/bash
# cri-bench.sh [RUNS] [PODS] - pod start through containerd's CRI plugin,
# the runc class against the runv class, and the host memory a runv pod
# costs; the same private containerd, CNI bridge and images as
# tests/integration/cri.sh (tests/cri/lib.sh).
#
#   start:  RunPodSandbox + CreateContainer + StartContainer until the
#           container's first line is in its CRI log file (the process
#           runs), timed inside tests/cri/cri.py; RUNS pods per handler,
#           interleaved so drift hits both alike; median, p95, ratio;
#           runv twice: booting cold, and claiming a VM of a warm pool
#           (docs/pool.md: one class, 320 MiB x 1 vCPU, size 2, the size
#           of a pod without limits); before every timed pod the pool is
#           full again (its refill, at nice 19, is not in any figure)
#   memory: PODS runv pods at once, each a pause sandbox and a `sleep`
#           container, through edgebox's shim ("runv") and through the
#           path it replaces ("runv-relay": the runc v2 shim, a monitor
#           and a relay per container process); PSS of every host process
#           of the pods (the shims, what they started, QEMU, virtiofsd)
#           per pod, split into the guest RAM the guest touched (QEMU's and
#           virtiofsd's mappings of its memfd) and everything else, and
#           their CPU over 10 s idle
#   stream: CPU of the shim, and of the pod's other host processes (QEMU,
#           virtiofsd; monitor and relay), while a runv container writes
#           100 MB of mixed stdout/stderr lines (eb-loggen) into its CRI
#           log, through each of the two paths; every line checked after
set -uo pipefail
RUNS=${1:-10}
PODS=${2:-3}
export EB_SRC=${EB_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
export EB_BUILD=${EB_BUILD:-$EB_SRC/build}
export EDGEBOX_GUEST_DIR=${EDGEBOX_GUEST_DIR:-$EB_BUILD/guest}
. "$EB_SRC/tests/lib/harness.sh" >/dev/null
. "$EB_SRC/tests/cri/lib.sh"
# The pool of the runv handler's root, switched per pod by the file the
# shim reads at each create (EDGEBOX_POOL_CONFIG, inherited from containerd)
POOL_ON='{"classes": [{"memory_mib": 320, "vcpus": 1, "size": 2}]}'
export EDGEBOX_POOL_CONFIG=$CRI_D/pool.json
pool() { "$EB_BUILD/src/cli/edgebox" --root "$SHIM_ROOT" pool "$@"; }
keeper=
trap 'cri_teardown; [ -n "$keeper" ] && kill $keeper 2>/dev/null; pool drain >/dev/null 2>&1; cleanup_all' EXIT

cri_net_free || { echo "the bridge $CRI_BRIDGE exists, or no /24 of 10.88.177-186 is free" >&2; exit 1; }
cri_config
echo '{"classes": []}' > "$EDGEBOX_POOL_CONFIG"
cri_start && cri_images || { echo "containerd did not start: $CRI_D/log" >&2; tail -5 "$CRI_D/log" >&2; exit 1; }

stats() { # stats < seconds: "median p95"
    sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2;
        i=int(NR*0.95+0.999); if (i>NR) i=NR; printf "%.3f %.3f", m, a[i]}'
}

echo "runs: $RUNS; accelerator: $("$EDGEBOX" check | sed -n 's/.*accelerator: //p'); $(containerd --version | cut -d' ' -f2-3)"
# pool_full: wait (untimed) until the pool has its size ready, booting none
pool_full() {
    local i
    for i in $(seq 600); do
        [ "$(pool status | jq '[.runv.classes[] | .size - .ready + .booting] | add')" = 0 ] && return 0
        sleep 0.2
    done
    echo "the pool did not fill: $(pool status)" >&2; return 1
}
echo "$POOL_ON" > "$EDGEBOX_POOL_CONFIG"
# the keeper refills after each claim, as deploy/edgebox-pool.service runs it
"$EB_BUILD/src/cli/edgebox" --root "$SHIM_ROOT" pool serve >> "$EB_TMP/keeper.log" 2>&1 &
keeper=$!
pool_full || exit 1
claimed0=$(pool status | jq '.runv.counters.claimed // 0')
cold() { echo '{"classes": []}' > "$EDGEBOX_POOL_CONFIG"; cri bench runv "$CRI_BUSYBOX" 1; echo "$POOL_ON" > "$EDGEBOX_POOL_CONFIG"; }
cri bench runc "$CRI_BUSYBOX" 1 >/dev/null && cold >/dev/null  # warm caches
: > "$EB_TMP/runc.t"; : > "$EB_TMP/runv.t"; : > "$EB_TMP/warm.t"
for _ in $(seq "$RUNS"); do
    pool_full && cri bench runc "$CRI_BUSYBOX" 1 >> "$EB_TMP/runc.t" || exit 1
    pool_full && cold >> "$EB_TMP/runv.t" || exit 1
    pool_full && cri bench runv "$CRI_BUSYBOX" 1 >> "$EB_TMP/warm.t" || exit 1
done
claimed=$(( $(pool status | jq '.runv.counters.claimed // 0') - claimed0 ))
echo '{"classes": []}' > "$EDGEBOX_POOL_CONFIG"
kill $keeper; wait $keeper
pool drain >/dev/null
read -r rc_med rc_p95 < <(stats < "$EB_TMP/runc.t")
read -r rv_med rv_p95 < <(stats < "$EB_TMP/runv.t")
read -r rw_med rw_p95 < <(stats < "$EB_TMP/warm.t")
printf '%-58s %8s %8s %7s\n' "pod start through CRI (RunPodSandbox..first log line)" median p95 ratio
printf '%-58s %8s %8s %7s\n' "runc class (runc v2 shim + edgebox)" "$rc_med" "$rc_p95" 1.00
printf '%-58s %8s %8s %7.1f\n' "runv class (containerd-shim-edgebox-v2, a microVM)" "$rv_med" "$rv_p95" \
    "$(echo "$rv_med / $rc_med" | bc -l)"
printf '%-58s %8s %8s %7.1f\n' "runv class, warm pool (a pre-booted VM claimed)" "$rw_med" "$rw_p95" \
    "$(echo "$rw_med / $rc_med" | bc -l)"
printf 'warm / cold (runv medians): %.3f; warm pods that claimed a pooled VM: %d of %d\n' \
    "$(echo "$rw_med / $rv_med" | bc -l)" "$claimed" "$RUNS"

# pod_pids: the host processes of our pods: the shims on our containerd and
# all they started (a monitor that left the tree is found by its pod id)
pod_pids() {
    local shims p
    shims=$(pgrep -f "containerd-shim.* -address $CRI_SOCK")
    {
        for p in $shims; do echo "$p"; descendants "$p"; done
        for p in $podids; do pgrep -f "$p"; done
    } | sort -un
}
descendants() {
    local c
    for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done
}
# pss PID: "guest-ram other" in KiB: PSS of the guest's memfd mappings, the rest
pss() {
    awk '/^[0-9a-f]+-[0-9a-f]+ / {g = ($6 ~ /^\/memfd:/)} /^Pss:/ {if (g) a += $2; else b += $2}
         END {printf "%d %d\n", a, b}' /proc/"$1"/smaps 2>/dev/null || echo "0 0"
}

# ticks PID...: their user + system CPU in clock ticks
ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null || echo 0))); done; echo $t; }

memory() { # memory HANDLER: "guest-ram other" MiB per pod, idle millicores per pod
    local h=$1 i pod cid p g o tg=0 to=0 t0 t1 hz
    podids=
    for i in $(seq "$PODS"); do
        pod=$(cri runp "mem-$h-$i" "$h") || return 1
        podids="$podids $pod"
        cid=$(cri run "$pod" c "$CRI_BUSYBOX" -- sh -c 'echo up; exec sleep 100000') || return 1
        cri wait "$cid" CONTAINER_RUNNING 120 || return 1
    done
    sleep 3
    hz=$(getconf CLK_TCK)
    t0=$(ticks $(pod_pids)); sleep 10; t1=$(ticks $(pod_pids))
    for p in $(pod_pids); do
        read -r g o < <(pss "$p")
        tg=$((tg + g)); to=$((to + o))
        echo "$(cat /proc/"$p"/comm 2>/dev/null) $((g + o))" >> "$EB_TMP/mem-$h.procs"
    done
    for pod in $podids; do cri rmp "$pod" >/dev/null; done
    echo "$((tg / PODS / 1024)) $((to / PODS / 1024)) $(( (t1 - t0) * 1000 / hz / 10 / PODS ))"
}
declare -A mg mo mc
for h in runv runv-relay; do
    read -r mg[$h] mo[$h] mc[$h] < <(memory $h) || { echo "memory for $h failed" >&2; exit 1; }
done
echo
printf '%-50s %9s %6s %6s %9s\n' "host cost per idle runv pod, $PODS pods" guest-RAM rest total "idle CPU"
printf '%-50s %9s %6s %6s %9s\n' "" "PSS MiB" MiB MiB millicore
for h in runv runv-relay; do
    printf '%-50s %9s %6s %6s %9s\n' "$([ $h = runv ] && echo "edgebox's shim" || echo "runc v2 shim + monitor + relay (replaced)")" \
        "${mg[$h]}" "${mo[$h]}" "$((mg[$h] + mo[$h]))" "${mc[$h]}"
done
for h in runv runv-relay; do
    echo "processes ($h), PSS KiB summed by name over $PODS pods:" \
        "$(awk '{s[$1] += $2} END {for (n in s) printf "%s %d, ", n, s[n]}' "$EB_TMP/mem-$h.procs" | sed 's/, $//')"
done

# sample: "pid comm ticks" of every host process of the pods
sample() {
    local p
    for p in $(pod_pids); do
        awk '{print $1, $2, $14 + $15}' /proc/"$p"/stat 2>/dev/null
    done
}
# stream HANDLER: "seconds shim-CPU-s other-CPU-s check" for 100 MB of log
# lines; processes are sampled every second (one that exits between two
# samples loses at most a second of its CPU: the relay lives as long as
# the container)
stream() {
    local h=$1 pod cid t0 t1 check
    pod=$(cri runp "log-$h" "$h") || return 1
    podids=$pod
    sample > "$EB_TMP/s0"; : > "$EB_TMP/s1"
    t0=$(date +%s.%N)
    cid=$(cri run "$pod" log "$CRI_BUSYBOX" -- eb-loggen mixed 100000000) || return 1
    while [ "$(cri status "$cid" | jq -r .state)" != CONTAINER_EXITED ]; do
        sample >> "$EB_TMP/s1"; sleep 1
    done
    t1=$(date +%s.%N)
    sample >> "$EB_TMP/s1"
    check=$("$EB_BUILD/tests/tools/eb-loggen" check "$CRI_D/client/logs/log-$h/log.log")
    cri rmp "$pod" >/dev/null
    # per process: its last sample minus its first (0 for one started after)
    awk -v s="$(echo "$t1 - $t0" | bc)" -v hz="$(getconf CLK_TCK)" -v chk="$check" '
        FNR == NR {first[$1] = $3; next}
        {last[$1] = $3; comm[$1] = $2}
        END {for (p in last) {d = (last[p] - first[p]) / hz; by[comm[p]] += d
                               if (comm[p] ~ /containerd-shim/) shim += d; else other += d}
             printf "%.2f %.2f %.2f %s\n", s, shim, other, chk
             for (n in by) printf "%s %.2f s, ", n, by[n] > "/dev/stderr"}' "$EB_TMP/s0" "$EB_TMP/s1" 2>> "$EB_TMP/stream-$h.by"
}
echo
printf '%-50s %8s %8s %8s  %s\n' "100 MB of log lines from a runv container" seconds "shim s" "other s" "lines checked"
for h in runv runv-relay; do
    read -r sec sc oc chk < <(stream $h) || { echo "stream for $h failed" >&2; exit 1; }
    printf '%-50s %8.2f %8.2f %8.2f  %s\n' "$([ $h = runv ] && echo "edgebox's shim" || echo "runc v2 shim + monitor + relay (replaced)")" \
        "$sec" "$sc" "$oc" "$chk"
done
for h in runv runv-relay; do echo "CPU by process ($h): $(sed 's/, $//' "$EB_TMP/stream-$h.by")"; done
