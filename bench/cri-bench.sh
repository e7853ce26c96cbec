#!/bin/bash
# cri-bench.sh [RUNS] [PODS] - pod start through containerd's CRI plugin,
# the runc class against the runv class, and the host memory a runv pod
# costs; the same private containerd, CNI bridge and images as
# tests/integration/cri.sh (tests/cri/lib.sh).
#
#   start:  RunPodSandbox + CreateContainer + StartContainer until the
#           container's first line is in its CRI log file (the process
#           runs), timed inside tests/cri/cri.py; RUNS pods per handler,
#           interleaved so drift hits both alike; median, p95, ratio
#   memory: PODS runv pods at once, each a pause sandbox and a `sleep`
#           container, through edgebox's shim ("runv") and through the
#           path it replaces ("runv-relay": the runc v2 shim, a monitor
#           and a relay per container process); PSS of every host process
#           of the pods (the shims, what they started, QEMU, virtiofsd)
#           per pod, split into the guest RAM the guest touched (QEMU's and
#           virtiofsd's mappings of its memfd) and everything else
set -uo pipefail
RUNS=${1:-10}
PODS=${2:-3}
export EB_SRC=${EB_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
export EB_BUILD=${EB_BUILD:-$EB_SRC/build}
export EDGEBOX_GUEST_DIR=${EDGEBOX_GUEST_DIR:-$EB_BUILD/guest}
. "$EB_SRC/tests/lib/harness.sh" >/dev/null
. "$EB_SRC/tests/cri/lib.sh"
trap 'cri_teardown; cleanup_all' EXIT

cri_net_free || { echo "the bridge $CRI_BRIDGE or subnet $CRI_SUBNET.0/24 is in use" >&2; exit 1; }
cri_config
cri_start && cri_images || { echo "containerd did not start: $CRI_D/log" >&2; tail -5 "$CRI_D/log" >&2; exit 1; }

stats() { # stats < seconds: "median p95"
    sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2;
        i=int(NR*0.95+0.999); if (i>NR) i=NR; printf "%.3f %.3f", m, a[i]}'
}

echo "runs: $RUNS; accelerator: $("$EDGEBOX" check | sed -n 's/.*accelerator: //p'); $(containerd --version | cut -d' ' -f2-3)"
cri bench runc "$CRI_BUSYBOX" 1 >/dev/null && cri bench runv "$CRI_BUSYBOX" 1 >/dev/null  # warm caches
: > "$EB_TMP/runc.t"; : > "$EB_TMP/runv.t"
for _ in $(seq "$RUNS"); do
    cri bench runc "$CRI_BUSYBOX" 1 >> "$EB_TMP/runc.t" || exit 1
    cri bench runv "$CRI_BUSYBOX" 1 >> "$EB_TMP/runv.t" || exit 1
done
read -r rc_med rc_p95 < <(stats < "$EB_TMP/runc.t")
read -r rv_med rv_p95 < <(stats < "$EB_TMP/runv.t")
printf '%-58s %8s %8s %7s\n' "pod start through CRI (RunPodSandbox..first log line)" median p95 ratio
printf '%-58s %8s %8s %7s\n' "runc class (runc v2 shim + edgebox)" "$rc_med" "$rc_p95" 1.00
printf '%-58s %8s %8s %7.1f\n' "runv class (containerd-shim-edgebox-v2, a microVM)" "$rv_med" "$rv_p95" \
    "$(echo "$rv_med / $rc_med" | bc -l)"

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

memory() { # memory HANDLER: "guest-ram other" MiB per pod, and what ran
    local h=$1 i pod cid p g o tg=0 to=0
    podids=
    for i in $(seq "$PODS"); do
        pod=$(cri runp "mem-$h-$i" "$h") || return 1
        podids="$podids $pod"
        cid=$(cri run "$pod" c "$CRI_BUSYBOX" -- sh -c 'echo up; exec sleep 100000') || return 1
        cri wait "$cid" CONTAINER_RUNNING 120 || return 1
    done
    sleep 3
    for p in $(pod_pids); do
        read -r g o < <(pss "$p")
        tg=$((tg + g)); to=$((to + o))
        echo "$(cat /proc/"$p"/comm 2>/dev/null) $((g + o))" >> "$EB_TMP/mem-$h.procs"
    done
    for pod in $podids; do cri rmp "$pod" >/dev/null; done
    echo "$((tg / PODS / 1024)) $((to / PODS / 1024))"
}
declare -A mg mo
for h in runv runv-relay; do
    read -r mg[$h] mo[$h] < <(memory $h) || { echo "memory for $h failed" >&2; exit 1; }
done
echo
printf '%-58s %9s %9s %9s\n' "host memory per runv pod, $PODS pods (PSS, MiB)" guest-RAM rest total
for h in runv runv-relay; do
    printf '%-58s %9s %9s %9s\n' "$([ $h = runv ] && echo "edgebox's shim" || echo "runc v2 shim + monitor + relay (replaced)")" \
        "${mg[$h]}" "${mo[$h]}" "$((mg[$h] + mo[$h]))"
done
for h in runv runv-relay; do
    echo "processes ($h), PSS KiB summed by name over $PODS pods:" \
        "$(awk '{s[$1] += $2} END {for (n in s) printf "%s %d, ", n, s[n]}' "$EB_TMP/mem-$h.procs" | sed 's/, $//')"
done
