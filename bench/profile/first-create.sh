#!/bin/bash
# first-create.sh [RUNS] - the first container a claimed pooled VM creates
# (a pod's sandbox container of the hardened default spec, `create` only)
# against the pod's next two, RUNS pods in a row, the pool (one 320 MiB x
# 1 vCPU VM) refilled by its keeper and ready before each.  The figures in
# bench/RESULTS.md ("the first container a claimed VM creates") came from
# this script run against builds of the commits named there.
# Usage (root, from the repository root, after ./setup.sh):
#   bench/profile/first-create.sh 4
set -uo pipefail
export EB_SRC=${EB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
export EB_BUILD=${EB_BUILD:-$EB_SRC/build}
export EDGEBOX=${EDGEBOX:-$EB_BUILD/src/cli/edgebox} EDGEBOX_GUEST_DIR=${EDGEBOX_GUEST_DIR:-$EB_BUILD/guest}
. "$EB_SRC/tests/lib/harness.sh" >/dev/null
RUNS=${1:-4}
export EDGEBOX_POOL=320:1:1
R=$EB_TMP/r; mkdir -p "$R"
ebv() { "$EDGEBOX" --root "$R" --class runv "$@"; }
pod() { jq_edit "$1" ".annotations[\"io.kubernetes.cri.container-type\"] = \"$3\" | .annotations[\"io.kubernetes.cri.sandbox-id\"] = \"$2\""; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
"$EDGEBOX" --root "$R" pool serve > "$EB_TMP/keeper.log" 2>&1 &
kp=$!
trap 'kill $kp 2>/dev/null; wait $kp 2>/dev/null; "$EDGEBOX" --root "$R" pool drain >/dev/null 2>&1; cleanup_all' EXIT
for r in $(seq "$RUNS"); do
    for _ in $(seq 200); do "$EDGEBOX" --root "$R" pool status | jq -e '.runv.classes[0].ready == 1' >/dev/null && break; sleep 0.5; done
    sleep 3   # the refill's last work settles
    for c in p$r a$r b$r; do
        make_bundle "$EB_TMP/$c" sleep 1000
        pod "$EB_TMP/$c" "p$r" "$([ "$c" = "p$r" ] && echo sandbox || echo container)"
    done
    t=$(date +%s%N); ebv create --bundle "$EB_TMP/p$r" "p$r"; tp=$(ms "$t")
    ebv start "p$r"
    t=$(date +%s%N); ebv create --bundle "$EB_TMP/a$r" "a$r"; ta=$(ms "$t")
    t=$(date +%s%N); ebv create --bundle "$EB_TMP/b$r" "b$r"; tb=$(ms "$t")
    echo "run $r: sandbox create (claim) $tp ms, 2nd container $ta ms, 3rd $tb ms"
    for c in "b$r" "a$r" "p$r"; do ebv delete -f "$c"; done
done
