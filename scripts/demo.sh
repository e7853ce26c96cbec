#!/bin/sh
# demo.sh [DIR] - build a busybox bundle in DIR (default /tmp/edgebox-demo)
# with edgebox's default hardened config and run one container from it.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/tmp/edgebox-demo}
eb=$src/build/src/cli/edgebox
rm -rf "$dir"
"$src/tests/lib/make-rootfs.sh" "$dir/rootfs"
"$eb" spec --bundle "$dir"
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "echo hello from $(hostname): uid $(id -u), pid $$; grep -E \"^(CapEff|NoNewPrivs|Seccomp):\" /proc/self/status; mount -t tmpfs x /mnt || echo mount refused, as it should be"]' \
    "$dir/config.json" > "$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
exec "$eb" --root "$dir/state" run --bundle "$dir" edgebox-demo
