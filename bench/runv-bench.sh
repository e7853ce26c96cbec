#!/bin/bash
# runv-bench.sh [RUNS] - the runv class against the floor QEMU and the
# kernel set: a bare boot of the same kernel (same QEMU, machine, memory)
# with an init that powers off at once.
#
#   time:   `edgebox-runv run` of /bin/true, from exec to exit (boot, agent,
#           create, start, exit, teardown) / bare boot to power-off
#   memory: host RSS of QEMU + virtiofsd + monitor + relay with a container
#           running, against the bare VM's QEMU idle; guest memory in use
#           (MemTotal - MemAvailable) in both
#   confinement: the same run and memory again with EDGEBOX_RUNV_CONFINE=0
#           (QEMU as root, no jail, no -sandbox, no pod cgroup), interleaved
#           with the confined runs so drift hits both alike
# The runc class and runc run /bin/true in the same run for scale (crun and
# the runc class: runtime-bench.sh).
set -euo pipefail
RUNS=${1:-10}
SRC=$(cd "$(dirname "$0")/.." && pwd)
EB=$SRC/build/src/cli/edgebox
G=${EDGEBOX_GUEST_DIR:-$SRC/build/guest}
W=$(mktemp -d /tmp/eb-runv-bench.XXXXXX)
trap 'for i in $(ls "$W/state" 2>/dev/null); do "$EB" --root "$W/state" delete -f "$i" >/dev/null 2>&1; done; rm -rf "$W"' EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
mmm() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f %.3f %.3f", a[1], m, a[NR]}'; }
# RSS split: guest RAM the guest touched (the shared memfd) and QEMU's own
# (anonymous: under TCG mostly the translation cache)
smaps() { awk -v k="$2" '$1 == k":" {print $2}' /proc/$1/smaps_rollup; }
# PSS splits shared pages among their mappers: virtiofsd maps the guest's
# memfd (already in QEMU's RSS) and all share libc, so RSS counts those twice
pss_kib() { local t=0 p; for p in "$@"; do t=$((t + $(smaps $p Pss || echo 0))); done; echo $t; }
rss_kib() { local t=0 p; for p in "$@"; do t=$((t + $(awk '/^VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $t; }

# the bare guest: same kernel, an initramfs with only bare-init
mkdir -p "$W/bare"
cc -static -O2 -o "$W/bare/init" "$SRC/bench/bare-init.c"
(cd "$W/bare" && mkdir -p proc && printf 'init\nproc\n' | cpio --quiet -o -H newc) > "$W/bare.cpio"
MEM=320   # what a runv container without a memory limit gets: 256 + 64 MiB
# the same QEMU command line the monitor uses, minus the devices the agent needs
# (and the same guest clock: the TSC rate `edgebox check` reports, no PIT)
khz=$("$EB" check | sed -n 's/.*told its rate, \([0-9]*\) kHz.*/\1/p')
if [ -n "$khz" ]; then MACH=pit=off CLOCK=" tsc_early_khz=$khz tsc=reliable"; else MACH=pit=on CLOCK=; fi
BARE=(qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on,memory-backend=mem,pcie=on,$MACH -accel tcg,tb-size=32 -cpu qemu64,+rdrand -smp 1 -m ${MEM}M
      -object memory-backend-memfd,id=mem,size=${MEM}M,share=on -nodefaults -no-user-config -nographic -no-reboot
      -kernel "$G/vmlinuz" -initrd "$W/bare.cpio" -serial stdio -append)
KARGS="console=ttyS0 panic=-1 reboot=t random.trust_cpu=on quiet$CLOCK --"

# a bundle
mkdir -p "$W/b"
"$SRC/tests/lib/make-rootfs.sh" "$W/b/rootfs"
"$EB" spec --bundle "$W/b"
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$W/b/config.json" > "$W/c" && mv "$W/c" "$W/b/config.json"

echo "runs: $RUNS; accelerator: $("$EB" check | sed -n 's/.*accelerator: //p')"
: > "$W/bare.t"; : > "$W/runv.t"; : > "$W/off.t"
for i in $(seq "$RUNS"); do
    t0=$(now); timeout 60 "${BARE[@]}" "$KARGS poweroff" >/dev/null 2>&1 || true; t1=$(now)
    echo "$t1 - $t0" | bc >> "$W/bare.t"
    # no retry: a boot that needs one is a failure here, not a slow sample
    t0=$(now); EDGEBOX_RUNV_BOOT_RETRIES=0 timeout 120 "$EB" --root "$W/state" --class runv --log "$W/runv.log" \
        run --bundle "$W/b" "v$i" >/dev/null 2>&1 || { echo "runv run v$i failed: $(tail -3 "$W/runv.log")" >&2; exit 1; }; t1=$(now)
    echo "$t1 - $t0" | bc >> "$W/runv.t"
    t0=$(now); EDGEBOX_RUNV_CONFINE=0 EDGEBOX_RUNV_BOOT_RETRIES=0 timeout 120 "$EB" --root "$W/state" --class runv \
        --log "$W/off.log" run --bundle "$W/b" "o$i" >/dev/null 2>&1 || { echo "unconfined run o$i failed" >&2; exit 1; }; t1=$(now)
    echo "$t1 - $t0" | bc >> "$W/off.t"
done
bare=$(median < "$W/bare.t"); runv=$(median < "$W/runv.t")
for rt in edgebox runc; do
    : > "$W/$rt.t"
    for i in $(seq "$RUNS"); do
        case $rt in
            edgebox) cmd=("$EB" --root "$W/state") ;;
            *) cmd=("$rt" --root "$W/$rt-state") ;;
        esac
        t0=$(now); "${cmd[@]}" run --bundle "$W/b" "$rt$i" >/dev/null 2>&1 || true; t1=$(now)
        echo "$t1 - $t0" | bc >> "$W/$rt.t"
    done
done

# memory: a bare VM idle, then a runv container running, MEMRUNS times
# each (guest RAM touched moves by a MiB or two from boot to boot): each
# figure below is the median of its samples
MEMRUNS=${MEMRUNS:-3}
jq '.process.args = ["sleep", "1000"]' "$W/b/config.json" > "$W/c" && mv "$W/c" "$W/b/config.json"
for i in $(seq "$MEMRUNS"); do
    "${BARE[@]}" "$KARGS" > "$W/bare.console" 2>&1 </dev/null &
    bpid=$!
    for j in $(seq 1200); do grep -q EBBARE "$W/bare.console" && break; sleep 0.1; done
    sleep 1
    rss_kib $bpid >> "$W/bare_rss"
    smaps $bpid Anonymous >> "$W/bare_anon"
    pss_kib $bpid >> "$W/bare_pss"
    sed -n 's/.*EBBARE used_kib=\([0-9]*\).*/\1/p' "$W/bare.console" >> "$W/bare_guest"
    kill $bpid; wait $bpid 2>/dev/null || true

    for mode in runv off; do
        [ $mode = off ] && export EDGEBOX_RUNV_CONFINE=0
        "$EB" --root "$W/state" --class runv run -d --bundle "$W/b" mem >/dev/null 2>&1
        sleep 2
        sb=$W/state/.runv/mem
        q=$(awk '{print $1}' "$sb/qemu.pid")
        pids="$q $(awk '{print $1}' "$sb/monitor.pid") $(pgrep -f "virtiofsd.*$sb/shared" | tr '\n' ' ') $("$EB" --root "$W/state" state mem | jq -r .pid)"
        rss_kib $pids >> "$W/${mode}_rss"
        pss_kib $pids >> "$W/${mode}_pss"
        rss_kib $q >> "$W/${mode/runv/qemu}_qrss"
        smaps $q Anonymous >> "$W/${mode/runv/qemu}_qanon"
        "$EB" --root "$W/state" exec mem sh -c "awk '/MemTotal/ {t=\$2} /MemAvailable/ {a=\$2} END {print t-a}' /proc/meminfo" >> "$W/${mode}_guest"
        "$EB" --root "$W/state" delete -f mem >/dev/null 2>&1
        unset EDGEBOX_RUNV_CONFINE
    done
done
mv "$W/qemu_qrss" "$W/qemu_rss"; mv "$W/qemu_qanon" "$W/qemu_anon"
for f in bare_rss bare_anon bare_pss bare_guest runv_rss runv_pss qemu_rss qemu_anon runv_guest off_rss off_pss off_qrss; do
    printf -v "$f" '%s' "$(median < "$W/$f" | cut -d. -f1)"
done

# boot to agent: the monitor's "ready N ms after QEMU started" (QEMU's
# exec to the agent's answer to the sandbox setup)
sed -n 's/.*: ready \([0-9]*\) ms after QEMU started (attempt 1).*/\1/p' "$W/runv.log" | awk '{print $1 / 1000}' > "$W/agent.t"
[ "$(wc -l < "$W/agent.t")" = "$RUNS" ] || { echo "expected $RUNS boots at their first attempt in the log" >&2; exit 1; }
printf '\n%-44s %8s %8s %8s\n' "distribution over $RUNS runs (seconds)" "min" "median" "max"
printf '%-44s %8s %8s %8s\n' "bare boot to power-off" $(mmm < "$W/bare.t")
printf '%-44s %8s %8s %8s\n' "runv: QEMU start to agent ready" $(mmm < "$W/agent.t")
printf '%-44s %8s %8s %8s\n' "edgebox-runv run /bin/true" $(mmm < "$W/runv.t")
printf '%-44s %8s %8s %8s\n' "  the same, unconfined (CONFINE=0)" $(mmm < "$W/off.t")

printf '\n%-44s %10s %8s\n' "what (median of $RUNS)" "seconds" "ratio"
printf '%-44s %10s %8s\n' "bare boot to power-off (the floor)" "$bare" "1.00"
printf '%-44s %10s %8.2f\n' "edgebox-runv run /bin/true (boot..teardown)" "$runv" "$(echo "$runv / $bare" | bc -l)"
for rt in edgebox runc; do
    m=$(median < "$W/$rt.t")
    printf '%-44s %10s %8.2f\n' "$rt run /bin/true (namespace container)" "$m" "$(echo "$m / $bare" | bc -l)"
done
printf '\n%-44s %10s\n' "memory (median of $MEMRUNS)" "KiB"
printf '%-44s %10s\n' "bare VM: QEMU RSS" "$bare_rss"
printf '%-44s %10s\n' "  of which QEMU's own (anonymous)" "$bare_anon"
printf '%-44s %10s\n' "  of which guest RAM touched" "$((bare_rss - bare_anon))"
printf '%-44s %10s\n' "runv: QEMU RSS" "$qemu_rss"
printf '%-44s %10s\n' "  of which QEMU's own (anonymous)" "$qemu_anon"
printf '%-44s %10s\n' "  of which guest RAM touched" "$((qemu_rss - qemu_anon))"
printf '%-44s %10s\n' "runv: QEMU+virtiofsd+monitor+relay RSS" "$runv_rss"
printf '%-44s %10s\n' "host overhead beyond the bare VM" "$((runv_rss - bare_rss))"
printf '%-44s %10s\n' "bare guest: memory in use" "$bare_guest"
printf '%-44s %10s\n' "runv guest: memory in use, container running" "$runv_guest"
printf '%-44s %10s\n' "guest overhead beyond the bare guest" "$((runv_guest - bare_guest))"
printf '%-44s %10s\n' "bare VM: QEMU PSS" "$bare_pss"
printf '%-44s %10s\n' "runv: QEMU+virtiofsd+monitor+relay PSS" "$runv_pss"
printf '%-44s %10s\n' "per-sandbox overhead (host RSS beyond bare)" "$((runv_rss - bare_rss))"
printf '%-44s %10s\n' "per-sandbox overhead (host PSS beyond bare)" "$((runv_pss - bare_pss))"
printf '%-44s %10s\n' "unconfined: QEMU RSS" "$off_qrss"
printf '%-44s %10s\n' "unconfined: QEMU+virtiofsd+monitor+relay RSS" "$off_rss"
printf '%-44s %10s\n' "unconfined: QEMU+virtiofsd+monitor+relay PSS" "$off_pss"
printf '%-44s %10s\n' "confinement's cost (RSS, confined - not)" "$((runv_rss - off_rss))"
printf '%-44s %10s\n' "confinement's cost (PSS, confined - not)" "$((runv_pss - off_pss))"
