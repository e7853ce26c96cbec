#!/bin/bash
# create-profile.sh [RUNS] - where a warm runv create's time goes in the
# guest: a scratch copy of this tree with create-marks.patch applied (the
# agent and the core write timing marks to a file in the sandbox's share),
# built, then RUNS times: a pooled VM claimed by `create` of the hardened
# default spec running /bin/true, start, the marks printed, delete.  The
# patch is never part of a build the project ships.
# Usage (root, from the repository root, after ./setup.sh):
#   bench/profile/create-profile.sh 2
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${1:-2}
W=$(mktemp -d /tmp/eb-create-profile.XXXXXX)
trap '"$W/src/build/src/cli/edgebox" --root "$W/state" pool drain >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
git -C "$SRC" archive --prefix=src/ HEAD | tar -x -C "$W"
git -C "$W/src" apply "$SRC/bench/profile/create-marks.patch" 2>/dev/null \
    || (cd "$W/src" && patch -p1 -s < "$SRC/bench/profile/create-marks.patch")
(cd "$W/src" && meson setup build --buildtype=debugoptimized -Dguest_dir="$W/src/build/guest" >/dev/null && ninja -C build >/dev/null)
EB=$W/src/build/src/cli/edgebox
export EDGEBOX_GUEST_DIR=$W/src/build/guest EDGEBOX_POOL=320:1:1
mkdir -p "$W/b"
"$SRC/tests/lib/make-rootfs.sh" "$W/b/rootfs"
"$EB" spec --bundle "$W/b"
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$W/b/config.json" > "$W/c" && mv "$W/c" "$W/b/config.json"
ebp() { "$EB" --root "$W/state" --class runv "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
for r in $(seq "$RUNS"); do
    ebp pool fill >/dev/null
    for _ in $(seq 300); do [ "$(ebp pool status | jq -r '.runv.classes[0] | "\(.ready)/\(.booting)"')" = 1/0 ] && break; sleep 0.2; done
    sleep 2
    t=$(date +%s%N); ebp --log "$W/log" create --bundle "$W/b" "w$r" >/dev/null 2>&1; a=$(ms "$t")
    t=$(date +%s%N); ebp start "w$r"; b=$(ms "$t")
    echo "run $r: create $a ms, start $b ms; marks (pid, step, monotonic s):"
    cat "$W/state/.runv/w$r/shared/prof.log"
    ebp delete -f "w$r"
done
