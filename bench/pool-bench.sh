#!/bin/bash
# pool-bench.sh - pre-booted sandboxes (docs/pool.md) against cold boots.
#
#   pool-bench.sh [RUNS]        warm vs cold `edgebox-runv run /bin/true`,
#                               interleaved in the same run (cold: the pool
#                               off; warm: a pool of 1, refilled before each
#                               run), median, p95, ratio; then claim under
#                               churn: 20 runs back to back with a pool of 2
#                               (distribution, how many fell back to cold)
#   pool-bench.sh idle [SECONDS] [N]  the cost of N (2) idle pooled VMs over
#                               SECONDS (600): PSS and CPU per VM
#   pool-bench.sh refill [RUNS] CPU a refill costs: a boot to the agent's
#                               answer against restoring a saved, never-used
#                               guest with QEMU -incoming (no virtio-fs: QEMU
#                               7.2 cannot migrate vhost-user-fs)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
EB=$SRC/build/src/cli/edgebox
G=${EDGEBOX_GUEST_DIR:-$SRC/build/guest}
export EDGEBOX_GUEST_DIR=$G
W=$(mktemp -d /tmp/eb-pool-bench.XXXXXX)
ebp() { "$EB" --root "$W/state" "$@"; }
trap 'for i in $(ls "$W/state" 2>/dev/null); do ebp delete -f "$i" >/dev/null 2>&1; done
      ebp pool drain >/dev/null 2>&1; rm -rf "$W"' EXIT
now() { date +%s.%N; }
# min median p95 max of a column of numbers
dist() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; p=a[int(NR*0.95+0.999)];
                                         printf "%.3f %.3f %.3f %.3f", a[1], m, p, a[NR]}'; }
ready() { ebp pool status | jq -r '.runv.classes[0] | "\(.ready)/\(.booting)"'; }
wait_ready() { local i; for i in $(seq 600); do [ "$(ready)" = "$1/0" ] && return 0; sleep 0.2; done; return 1; }
clk=$(getconf CLK_TCK)
# hmp SOCKET COMMAND: one command to a QEMU human monitor socket, its output
hmp() { python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(0.3)
s.sendall((sys.argv[2] + "\n").encode()); out = b""
try:
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
except socket.timeout: pass
sys.stdout.write(out.decode(errors="replace"))' "$@"; }
# CPU seconds (user+system, children reaped included) of the processes PIDS
cpu_s() { local t=0 p; for p in "$@"; do
              t=$((t + $(awk '{print $14 + $15 + $16 + $17}' /proc/$p/stat 2>/dev/null || echo 0))); done
          echo "scale=3; $t / $clk" | bc; }
pss_kib() { local t=0 p; for p in "$@"; do
                t=$((t + $(awk '$1 == "Pss:" {print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0))); done; echo $t; }
# every process of pooled VM DIR: its monitor, QEMU, virtiofsd and virtiofsd's worker
vm_pids() { local m q v; m=$(cut -d' ' -f1 "$1/monitor.pid"); q=$(cut -d' ' -f1 "$1/qemu.pid"); v=$(cut -d' ' -f1 "$1/virtiofsd.pid")
            echo "$m $q $v $(pgrep -P "$v" | tr '\n' ' ')"; }

mkdir -p "$W/b"
"$SRC/tests/lib/make-rootfs.sh" "$W/b/rootfs"
ebp spec --bundle "$W/b"
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$W/b/config.json" > "$W/c" && mv "$W/c" "$W/b/config.json"
run_true() { # run_true ID: seconds, and whether it claimed (warm) or booted cold
    local t0 t1
    t0=$(now); EDGEBOX_RUNV_BOOT_RETRIES=0 timeout 120 "$EB" --root "$W/state" --class runv --log "$W/runv.log" \
        run --bundle "$W/b" "$1" >/dev/null 2>&1 || { echo "run $1 failed: $(tail -3 "$W/runv.log")" >&2; exit 1; }
    t1=$(now)
    echo "$(echo "$t1 - $t0" | bc) $(grep -q "sandbox $1: claimed pooled VM" "$W/runv.log" && echo warm || echo cold)"
}

case ${1:-} in
idle)
    SECS=${2:-600} N=${3:-2}
    export EDGEBOX_POOL=320:1:$N
    ebp pool fill >/dev/null
    sleep 5      # the boot's last work (the guest's first timers, page cache) settles
    dirs=$(ls -d "$W/state/.runv-pool"/p320x1-*)
    pids=$(for d in $dirs; do vm_pids "$d"; done)
    c0=$(cpu_s $pids); p0=$(pss_kib $pids); t0=$(now)
    sleep "$SECS"
    c1=$(cpu_s $pids); p1=$(pss_kib $pids); t1=$(now)
    el=$(echo "$t1 - $t0" | bc)
    echo "idle pooled VMs: $N of 320 MiB, 1 vCPU, over $(printf %.0f "$el") s ($(eb_accel=$(ebp check | sed -n 's/.*accelerator: //p'); echo "$eb_accel" | cut -c1-3))"
    printf '%-52s %10s\n' "PSS per VM at the start (KiB)" "$((p0 / N))"
    printf '%-52s %10s\n' "PSS per VM at the end (KiB)" "$((p1 / N))"
    printf '%-52s %10s\n' "CPU per VM over the period (s)" "$(echo "scale=2; ($c1 - $c0) / $N" | bc)"
    printf '%-52s %9.2f%%\n' "  i.e. of one core" "$(echo "($c1 - $c0) / $N / $el * 100" | bc -l)"
    ;;
refill)
    RUNS=${2:-5}
    # a boot to the agent: the filler's VM, its monitor's QEMU CPU until the health check answered
    export EDGEBOX_POOL=320:1:1
    : > "$W/boot.cpu"
    for i in $(seq "$RUNS"); do
        ebp pool drain >/dev/null; ebp pool fill >/dev/null
        d=$(ls -d "$W/state/.runv-pool"/p320x1-*)
        cpu_s $(vm_pids "$d") >> "$W/boot.cpu"
    done
    ebp pool drain >/dev/null
    # restore: the same machine without vhost-user-fs (QEMU 7.2 has no
    # migration for it), booted once to the bare init, saved, restored RUNS times
    cc -static -O2 -o "$W/init" "$SRC/bench/bare-init.c"
    (cd "$W" && mkdir -p r/proc && cp init r/ && cd r && printf 'init\nproc\n' | cpio --quiet -o -H newc) > "$W/bare.cpio"
    khz=$(ebp check | sed -n 's/.*told its rate, \([0-9]*\) kHz.*/\1/p')
    Q=(qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on,memory-backend=mem,pcie=on,pit=off -accel tcg,tb-size=32
       -cpu qemu64,+rdrand -smp 1 -m 320M -object memory-backend-memfd,id=mem,size=320M,share=on -nodefaults
       -no-user-config -nographic -no-reboot -kernel "$G/vmlinuz" -initrd "$W/bare.cpio"
       -append "console=ttyS0 panic=-1 reboot=t random.trust_cpu=on quiet tsc_early_khz=$khz tsc=reliable"
       -serial "file:$W/console" -monitor "unix:$W/hmp,server,nowait")
    "${Q[@]}" & qp=$!
    for j in $(seq 600); do grep -q EBBARE "$W/console" 2>/dev/null && break; sleep 0.1; done
    bootcpu=$(cpu_s $qp)
    hmp "$W/hmp" "migrate \"exec:cat > $W/saved\"" >/dev/null
    for j in $(seq 600); do hmp "$W/hmp" "info migrate" | grep -q 'Migration status: completed' && break; sleep 0.1; done
    kill $qp; wait $qp 2>/dev/null || true
    : > "$W/restore.cpu"; : > "$W/restore.t"
    for i in $(seq "$RUNS"); do
        t0=$(now)
        "${Q[@]}" -incoming "exec:cat $W/saved" & qp=$!
        for j in $(seq 600); do hmp "$W/hmp" "info status" 2>/dev/null | grep -q 'VM status: running' && break; sleep 0.02; done
        echo "$(now) - $t0" | bc >> "$W/restore.t"
        cpu_s $qp >> "$W/restore.cpu"
        kill $qp; wait $qp 2>/dev/null || true
    done
    # and what QEMU says when the VM has the runv share (vhost-user-fs)
    mkdir -p "$W/share"
    /usr/lib/qemu/virtiofsd --socket-path="$W/vfs.sock" -o source="$W/share" -o sandbox=chroot >/dev/null 2>&1 & vp=$!
    for j in $(seq 50); do [ -S "$W/vfs.sock" ] && break; sleep 0.1; done
    "${Q[@]}" -S -chardev socket,id=vfs,path="$W/vfs.sock" -device vhost-user-fs-device,chardev=vfs,tag=t & qp=$!
    for j in $(seq 50); do [ -S "$W/hmp" ] && hmp "$W/hmp" "info status" | grep -q 'VM status' && break; sleep 0.1; done
    vfsmig=$(hmp "$W/hmp" "migrate \"exec:cat > /dev/null\"" | tr -d '\r' | grep -o 'Error: .*' | head -1)
    kill $qp $vp; wait $qp $vp 2>/dev/null || true
    printf '%-60s %s\n' "saved guest image (bytes)" "$(stat -c %s "$W/saved")"
    printf '%-60s %8s %8s %8s %8s\n' "CPU seconds per refill, $RUNS runs" min median p95 max
    printf '%-60s %8s %8s %8s %8s\n' "boot to the agent's answer (pooled runv VM: monitor+QEMU+virtiofsd)" $(dist < "$W/boot.cpu")
    printf '%-60s %8s\n' "boot of the bare VM to its init (QEMU), once" "$bootcpu"
    printf '%-60s %8s %8s %8s %8s\n' "restore of the saved bare VM (QEMU -incoming)" $(dist < "$W/restore.cpu")
    printf '%-60s %8s %8s %8s %8s\n' "  wall seconds to running (polled over HMP)" $(dist < "$W/restore.t")
    echo "saving a VM with the runv share (vhost-user-fs): ${vfsmig:-no error?}"
    ;;
*)
    RUNS=${1:-10}
    : > "$W/cold.t"; : > "$W/warm.t"
    for i in $(seq "$RUNS"); do
        # cold: the pool off (no filler competes); warm: one VM, ready before the run
        ebp pool drain >/dev/null
        EDGEBOX_POOL=0 run_true "c$i" >> "$W/cold.t"
        EDGEBOX_POOL=320:1:1 ebp pool fill >/dev/null
        EDGEBOX_POOL=320:1:1 run_true "w$i" >> "$W/warm.t"
        EDGEBOX_POOL=320:1:1 wait_ready 1
    done
    ebp pool drain >/dev/null
    grep -c warm "$W/warm.t" | grep -qx "$RUNS" || { echo "a warm run booted cold" >&2; exit 1; }
    read -r cmin cmed cp95 cmax <<< "$(awk '{print $1}' "$W/cold.t" | dist)"
    read -r wmin wmed wp95 wmax <<< "$(awk '{print $1}' "$W/warm.t" | dist)"
    echo "runs: $RUNS each, interleaved; accelerator: $(ebp check | sed -n 's/.*accelerator: //p' | cut -c1-40)"
    printf '%-44s %8s %8s %8s %8s\n' "edgebox-runv run /bin/true (s)" min median p95 max
    printf '%-44s %8s %8s %8s %8s\n' "cold boot (pool off)" "$cmin" "$cmed" "$cp95" "$cmax"
    printf '%-44s %8s %8s %8s %8s\n' "warm (a claimed pooled VM)" "$wmin" "$wmed" "$wp95" "$wmax"
    printf '%-44s %8.3f %8s %8.3f\n' "warm / cold" "$(echo "$wmed / $cmed" | bc -l)" "" "$(echo "$wp95 / $cp95" | bc -l)"
    # churn: 20 back to back, a pool of 2 refilled in the background
    export EDGEBOX_POOL=320:1:2
    ebp pool fill >/dev/null
    : > "$W/churn.t"
    for i in $(seq 20); do run_true "x$i" >> "$W/churn.t"; done
    printf '\n%-44s %8s %8s %8s %8s\n' "churn: 20 runs back to back, pool of 2 (s)" min median p95 max
    printf '%-44s %8s %8s %8s %8s\n' "all" $(awk '{print $1}' "$W/churn.t" | dist)
    for k in warm cold; do
        n=$(grep -c " $k" "$W/churn.t" || true)
        [ "$n" -gt 0 ] && printf '%-44s %8s %8s %8s %8s\n' "$k ($n of 20)" $(awk -v k=$k '$2 == k {print $1}' "$W/churn.t" | dist)
    done
    echo "sequence: $(awk '{printf "%s%s", (NR > 1 ? " " : ""), substr($2, 1, 1)}' "$W/churn.t")"
    ;;
esac
