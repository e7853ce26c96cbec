#!/bin/bash
# runtime-bench.sh [RUNS] - edgebox against runc and crun, same host, same
# run, same bundle (busybox rootfs, edgebox's default hardened config with
# /bin/true as the process):
#   * wall time of `RUNTIME run` (create + start + wait + delete), RUNS
#     times each, the three runtimes interleaved so drift hits all alike;
#   * peak RSS (GNU time's maxrss) of the runtime process for `create`.
# Prints a Markdown table with ratios to runc and crun.  Run as root.
set -euo pipefail
RUNS=${1:-100}
SRC=$(cd "$(dirname "$0")/.." && pwd)
EDGEBOX=${EDGEBOX:-$SRC/build/src/cli/edgebox}
W=$(mktemp -d /tmp/eb-bench.XXXXXX)
trap 'rm -rf "$W"; restore_hugetlb' EXIT

# crun 1.8 refuses a hybrid layout whose unified hierarchy holds hugetlb;
# binding hugetlb to a v1 hierarchy first empties it (docs/testing.md,
# "Debian crun 1.8.1 and the hybrid cgroup layout").  The controller can
# only move while no unified cgroup has it enabled, so
# switch it off bottom-up first (edgebox's hybrid hugetlb support, or an
# earlier run, may have enabled it).
MOUNTED_HUGETLB=0
restore_hugetlb() {
    local try
    [ $MOUNTED_HUGETLB = 1 ] || return 0
    # An unmounted v1 hierarchy is destroyed only once it has no cgroups
    # left, dying ones included: retry until hugetlb is back in unified.
    for try in 1 2 3 4 5; do
        find /sys/fs/cgroup/hugetlb -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null || true
        umount /sys/fs/cgroup/hugetlb 2>/dev/null || true
        sleep 1  # the hierarchy is released asynchronously (RCU)
        grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers && break
        mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb 2>/dev/null || true
    done
    rmdir /sys/fs/cgroup/hugetlb 2>/dev/null || true
    grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers \
        || echo "warning: hugetlb is still bound to a v1 hierarchy" >&2
}
if [ ! -d /sys/fs/cgroup/hugetlb ] && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
    find /sys/fs/cgroup/unified -depth -name cgroup.subtree_control | while read -r f; do
        if grep -qw hugetlb "$f"; then echo -hugetlb > "$f"; fi
    done
    mkdir -p /sys/fs/cgroup/hugetlb
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
    MOUNTED_HUGETLB=1
fi

"$SRC/tests/lib/make-rootfs.sh" "$W/bundle/rootfs"
"$EDGEBOX" spec --bundle "$W/bundle"
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$W/bundle/config.json" > "$W/c" && mv "$W/c" "$W/bundle/config.json"

declare -A BIN=([edgebox]=$EDGEBOX [runc]=$(command -v runc) [crun]=$(command -v crun))
declare -A TOTAL
for r in edgebox runc crun; do
    TOTAL[$r]=0
    "${BIN[$r]}" --version | head -1
    # warm the page cache and check it works
    "${BIN[$r]}" --root "$W/root-$r" run --bundle "$W/bundle" warm-$r
done

now() { date +%s%N; }
declare -A SAMPLES
for i in $(seq 1 "$RUNS"); do
    for r in edgebox runc crun; do
        t0=$(now)
        "${BIN[$r]}" --root "$W/root-$r" run --bundle "$W/bundle" b$i >/dev/null
        t1=$(now)
        SAMPLES[$r]+="$(( (t1 - t0) / 1000 )) "
    done
done

rss() { # peak RSS in KiB of `RUNTIME create` (and delete)
    local r=$1 max=0 i v
    for i in 1 2 3 4 5; do
        # the created init keeps the runtime's stdio: not a pipe we wait on
        /usr/bin/time -o "$W/rss" -f %M "${BIN[$r]}" --root "$W/root-$r" create --bundle "$W/bundle" rss$i \
            </dev/null >/dev/null 2>&1
        v=$(tail -1 "$W/rss")
        "${BIN[$r]}" --root "$W/root-$r" delete --force rss$i >/dev/null 2>&1 || true
        [ "$v" -gt "$max" ] && max=$v
    done
    echo $max
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
mean() { tr ' ' '\n' | grep -v '^$' | awk '{s+=$1} END {printf "%d", s/NR}'; }
declare -A MED MEAN RSS
for r in edgebox runc crun; do
    MED[$r]=$(echo "${SAMPLES[$r]}" | median)
    MEAN[$r]=$(echo "${SAMPLES[$r]}" | mean)
    RSS[$r]=$(rss $r)
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo
echo "| runtime | run /bin/true median (ms) | mean (ms) | peak RSS of create (KiB) |"
echo "|---|---|---|---|"
for r in edgebox runc crun; do
    printf "| %s | %.1f | %.1f | %d |\n" $r "$(awk -v x=${MED[$r]} 'BEGIN{print x/1000}')" "$(awk -v x=${MEAN[$r]} 'BEGIN{print x/1000}')" "${RSS[$r]}"
done
echo
echo "| ratio | time (median) | time (mean) | peak RSS |"
echo "|---|---|---|---|"
echo "| edgebox / runc | $(ratio ${MED[edgebox]} ${MED[runc]}) | $(ratio ${MEAN[edgebox]} ${MEAN[runc]}) | $(ratio ${RSS[edgebox]} ${RSS[runc]}) |"
echo "| edgebox / crun | $(ratio ${MED[edgebox]} ${MED[crun]}) | $(ratio ${MEAN[edgebox]} ${MEAN[crun]}) | $(ratio ${RSS[edgebox]} ${RSS[crun]}) |"
echo
echo "runs: $RUNS per runtime, interleaved; kernel $(uname -r); $(nproc) CPUs"
