#!/bin/bash
# shim-bench.sh - the host's cost of a runv pod under edgebox's own shim
# (containerd-shim-edgebox-v2: no relay, the shim carries the guest
# streams) against the path it replaces (containerd's runc v2 shim with
# edgebox as its runc binary: a relay process per container process), in
# one run, with Debian's containerd (CRI plugin off) and ctr:
#   - PSS of the pod's host processes, a pod of 2 containers with an exec
#     running in each (sandbox + app): the shim(s), relays, monitor, QEMU,
#     virtiofsd; and the same without QEMU and virtiofsd (beyond a bare VM);
#   - CPU (user + system, the shim and what it reaped: relays, runtime
#     calls; the monitor apart) while an exec writes 100 MB to stdout.
# Usage (root, from the repository root, after ./setup.sh and a build):
#   bench/shim-bench.sh [MB]
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${EB_BUILD:-$SRC/build}
MB=${1:-100}
export EDGEBOX_GUEST_DIR=${EDGEBOX_GUEST_DIR:-$B/guest}
T=$(mktemp -d /tmp/eb-shimbench.XXXXXX)
D=$T/containerd
NS=ebbench
mkdir -p "$D"
cat > "$D/config.toml" <<TOML
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$D/containerd.sock"
TOML
PATH=$B/src/shim:$PATH EDGEBOX_SHIM_CLASS=runv EDGEBOX_SHIM_ROOT=$T/shimroot \
    containerd --config "$D/config.toml" > "$D/log" 2>&1 &
cpid=$!
cleanup() {
    for c in $(command ctr --address "$D/containerd.sock" --namespace $NS task ls -q 2>/dev/null); do
        command ctr --address "$D/containerd.sock" --namespace $NS task kill -s SIGKILL "$c" 2>/dev/null
    done
    sleep 2
    for c in $(command ctr --address "$D/containerd.sock" --namespace $NS container ls -q 2>/dev/null); do
        command ctr --address "$D/containerd.sock" --namespace $NS task delete -f "$c" >/dev/null 2>&1
        command ctr --address "$D/containerd.sock" --namespace $NS container delete "$c" >/dev/null 2>&1
    done
    kill $cpid 2>/dev/null; wait $cpid 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$D/containerd.sock" ] && break; sleep 0.1; done
ctr() { command ctr --address "$D/containerd.sock" --namespace $NS "$@"; }
R=$T/rootfs
"$SRC/tests/lib/make-rootfs.sh" "$R" >/dev/null

pss() { awk '/^Pss:/ {s += $2} END {print s + 0}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

# bench_path NAME ROOT RUN-FLAGS...: a pod (sandbox P-NAME, app A-NAME)
bench_path() {
    local name=$1 root=$2; shift 2
    local p=p-$name a=a-$name sb mon qemu vfsd shim relays=() all vm total t0 t1 m0 m1 q0 q1 s e
    ctr run -d "$@" --annotation io.kubernetes.cri.container-type=sandbox \
        --annotation io.kubernetes.cri.sandbox-id=$p --rootfs "$R" $p sleep 100000
    ctr run -d "$@" --annotation io.kubernetes.cri.container-type=container \
        --annotation io.kubernetes.cri.sandbox-id=$p --rootfs "$R" $a sleep 100000
    for c in $p $a; do
        ctr task exec -d --exec-id x $c sleep 100000 >/dev/null 2>&1 ||
            { ctr task exec --exec-id x $c sleep 100000 >/dev/null 2>&1 & }
    done
    sleep 5
    sb=$root/.runv/$p
    # a pid file holds "pid starttime"
    mon=$(awk '{print $1}' "$sb/monitor.pid"); qemu=$(awk '{print $1}' "$sb/qemu.pid")
    vfsd=$(awk '{print $1}' "$sb/virtiofsd.pid")
    shim=$(ps -o ppid= -p "$mon" | tr -d ' ')
    # the relays: the shim's children that are neither the monitor nor containerd's publisher
    mapfile -t relays < <(ps --ppid "$shim" -o pid=,comm= | awk -v m="$mon" '$1 != m && $2 != "containerd" {print $1}')
    all=$(( $(pss "$shim") + $(pss "$mon") + $(pss "$qemu") + $(pss "$vfsd") ))
    for r in "${relays[@]}"; do all=$((all + $(pss "$r"))); done
    vm=$(( $(pss "$qemu") + $(pss "$vfsd") ))
    t0=$(ticks "$shim"); m0=$(ticks "$mon"); q0=$(ticks "$qemu")
    s=$(date +%s.%N)
    ctr task exec --exec-id stream $a sh -c "head -c $((MB * 1000000)) /dev/zero" | wc -c > "$T/bytes-$name"
    e=$(date +%s.%N)
    t1=$(ticks "$shim"); m1=$(ticks "$mon"); q1=$(ticks "$qemu")
    total=$(cat "$T/bytes-$name")
    printf '%s %d %d %d %d %s %s %s %s %s\n' "$name" "${#relays[@]}" "$all" "$vm" "$((all - vm))" \
        "$(awk -v a=$t0 -v b=$t1 -v h=$hz 'BEGIN {printf "%.2f", (b - a) / h}')" \
        "$(awk -v a=$m0 -v b=$m1 -v h=$hz 'BEGIN {printf "%.2f", (b - a) / h}')" \
        "$(awk -v a=$q0 -v b=$q1 -v h=$hz 'BEGIN {printf "%.2f", (b - a) / h}')" \
        "$(awk -v s=$s -v e=$e 'BEGIN {printf "%.1f", e - s}')" "$total"
    for c in $a $p; do
        ctr task kill -s SIGKILL $c
        for _ in $(seq 100); do ctr task ls | grep -q "^$c .*STOPPED" && break; sleep 0.1; done
        ctr task delete $c >/dev/null 2>&1; ctr container delete $c
    done
}

echo "# path relays PSS-all-KiB PSS-VM-KiB PSS-beyond-VM-KiB shim-CPU-s monitor-CPU-s QEMU-CPU-s stream-s bytes"
bench_path edgebox-shim "$T/shimroot/$NS" --runtime io.containerd.edgebox.v2
bench_path runc-shim-relay "/run/containerd/runc/$NS" --runtime io.containerd.runc.v2 \
    --runc-binary "$B/src/cli/edgebox" --annotation io.edgebox.class=runv
