#!/bin/bash
# logs-bench.sh [MB] - log throughput out of a runv sandbox (TCG here),
# against `cat` into a file on the host, in the same run.
#
#   host cat        cat of MB of log lines into a file on the host
#   guest floor     the generator (eb-loggen) writing the same lines to
#                   /dev/null, resp. to a tmpfs file, inside the guest:
#                   what TCG itself allows
#   stdio relay     `exec` of the generator in a running runv container,
#                   its stdout into a file on the host through the agent,
#                   the monitor and the relay
#   file follower   the generator appending to a file the container
#                   declared (io.edgebox.log-files, on a tmpfs), until the
#                   host's CRI-format file holds every line
# MB/s are of the log bytes; ratios against host cat.
set -euo pipefail
MB=${1:-100}
SRC=$(cd "$(dirname "$0")/.." && pwd)
EB=$SRC/build/src/cli/edgebox-runv
GEN=$SRC/build/tests/tools/eb-loggen
export EDGEBOX_GUEST_DIR=${EDGEBOX_GUEST_DIR:-$SRC/build/guest}
W=$(mktemp -d /tmp/eb-logs-bench.XXXXXX)
export EDGEBOX_POD_LOG_DIR=$W/podlogs
# one host file for the whole run (by default it rotates at 10 MiB, 5 kept)
export EDGEBOX_POD_LOG_MAX_SIZE=$((4 << 30))
ebv() { "$EB" --root "$W/state" "$@"; }
trap 'for i in $(ls "$W/state" 2>/dev/null); do ebv delete -f "$i" >/dev/null 2>&1; done; rm -rf "$W"' EXIT
now() { date +%s.%N; }
BYTES=$((MB * 1000000))

"$GEN" file "$W/lines" 0 $((BYTES / 120)) 0
LINES=$(wc -l < "$W/lines")
SIZE=$(stat -c %s "$W/lines")
sync
t0=$(now); cat "$W/lines" > "$W/cat.out"; t1=$(now)
cat_s=$(echo "$t1 - $t0" | bc -l)

mkdir -p "$W/b"
"$SRC/tests/lib/make-rootfs.sh" "$W/b/rootfs"
cp "$GEN" "$W/b/rootfs/bin/"
"$EB" spec --bundle "$W/b"
jq --argjson mib $((MB * 3 + 256)) '.process.terminal = false | .process.args = ["sleep", "100000"]
    | .mounts += [{"destination": "/var/log", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}]
    | .annotations = {"io.edgebox.log-files": "/var/log/bench.log", "io.edgebox.vm.memory-mib": ($mib | tostring)}' \
    "$W/b/config.json" > "$W/c" && mv "$W/c" "$W/b/config.json"
ebv create --bundle "$W/b" lb >/dev/null 2>&1 </dev/null
ebv start lb

timed() { local t0 t1; t0=$(now); "$@"; t1=$(now); echo "$t1 - $t0" | bc -l; }
floor_null=$(timed ebv exec lb sh -c "eb-loggen file /dev/null 0 $LINES 0")
floor_tmpfs=$(timed ebv exec lb sh -c "eb-loggen file /var/log/floor 0 $LINES 0 && rm /var/log/floor")
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
qemu=$(cut -d' ' -f1 "$W/state/.runv/lb/qemu.pid"); mon=$(cut -d' ' -f1 "$W/state/.runv/lb/monitor.pid")
q0=$(ticks "$qemu"); m0=$(ticks "$mon")
relay=$(timed sh -c "\"$EB\" --root \"$W/state\" exec lb eb-loggen file /dev/stdout 0 $LINES 0 > \"$W/relay.out\"")
q1=$(ticks "$qemu"); m1=$(ticks "$mon")
[ "$(stat -c %s "$W/relay.out")" = "$SIZE" ] || { echo "relay: $(stat -c %s "$W/relay.out") bytes, want $SIZE" >&2; exit 1; }

out=$EDGEBOX_POD_LOG_DIR/lb/var_log_bench.log
t0=$(now)
ebv exec lb eb-loggen file /var/log/bench.log 0 "$LINES" 0
while [ "$(wc -l < "$out" 2>/dev/null || echo 0)" -lt "$LINES" ]; do sleep 0.05; done
t1=$(now)
follower=$(echo "$t1 - $t0" | bc -l)
[ "$("$GEN" check "$out")" = "stdout=$LINES stderr=0" ] || { echo "follower: $("$GEN" check "$out")" >&2; exit 1; }

row() { printf '%-44s %9.2f %9.1f %8.3f\n' "$1" "$2" "$(echo "$SIZE / 1000000 / $2" | bc -l)" "$(echo "$cat_s / $2" | bc -l)"; }
printf '\n%-44s %9s %9s %8s\n' "$LINES lines, $SIZE bytes" "seconds" "MB/s" "vs cat"
row "host: cat into a file" "$cat_s"
row "guest floor: generator to /dev/null" "$floor_null"
row "guest floor: generator to a tmpfs file" "$floor_tmpfs"
row "stdio relay: guest stdout to a host file" "$relay"
row "file follower: guest file to host CRI file" "$follower"
TCK=$(getconf CLK_TCK)
printf '\nduring the stdio relay: QEMU %.2f s of CPU, the monitor %.2f s\n' "$(echo "($q1 - $q0) / $TCK" | bc -l)" \
    "$(echo "($m1 - $m0) / $TCK" | bc -l)"
