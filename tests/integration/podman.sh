#!/bin/bash
# podman.sh - Debian's podman with --runtime pointing at edgebox.
. "$(dirname "$0")/../lib/harness.sh"
plan 11

command -v podman >/dev/null || { fail "podman installed" "podman not found (run the setup command)"; exit 0; }
S=$EB_TMP/podman
mkdir -p "$S"
# root lacks CAP_SYS_RESOURCE here: podman's default ulimits would fail in
# every runtime (docs/testing.md, "Root without CAP_SYS_RESOURCE"), so run
# with ones the host allows.
pm() { podman --root "$S/root" --runroot "$S/run" --runtime "$EDGEBOX" --storage-driver vfs "$@"; }
U="--ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --pull never"
R=$EB_TMP/rootfs
"$EB_SRC/tests/lib/make-rootfs.sh" "$R"
# podman names the image after the layout's path: keep it lowercase
L=/tmp/edgebox-podman-layout-$$
"$EB_SRC/tests/lib/make-image.sh" "$L" "$R" >/dev/null 2>&1
pm pull -q "oci:$L:latest" >/dev/null 2>&1
rm -rf "$L"
img=$(pm images --format '{{.Repository}}:{{.Tag}}' | head -1)
# EB_POOL (the runv class): podman runs the runtime with its default root
[ "${EDGEBOX##*/}" = edgebox-runv ] && pool_fill /run/edgebox
check_match "podman pulled the test image" ':latest$' "$img"
trap 'pm rm -af >/dev/null 2>&1; pm rmi -af >/dev/null 2>&1; cleanup_all' EXIT

out=$(pm run --rm $U "$img" sh -c 'echo hello-from-podman; exit 6'); rc=$?
check_eq "podman run: stdout" hello-from-podman "$out"
check_eq "podman run: exit code" 6 "$rc"
check_match "podman run: the bridge network works" 'inet 10\.88\.' "$(pm run --rm $U "$img" ip addr 2>&1)"

pm run -d --name pt $U "$img" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
out=$(pm exec pt sh -c 'echo in-exec; exit 3'); rc=$?
check_eq "podman exec: output" in-exec "$out"
check_eq "podman exec: exit code" 3 "$rc"
check_match "podman top" 'sleep|sh' "$(pm top pt 2>&1)"
start=$(date +%s)
pm stop -t 10 pt >/dev/null
check_eq "podman stop: SIGTERM honoured (exit code 0)" 0 "$(pm inspect pt --format '{{.State.ExitCode}}')"
if [ $(( $(date +%s) - start )) -lt 8 ]; then pass "podman stop did not need SIGKILL"; else fail "podman stop" "waited for the timeout"; fi
pm rm pt >/dev/null

pm run -d --name pk $U "$img" sleep 100 >/dev/null
pm kill pk >/dev/null
pm wait pk >/dev/null 2>&1
check_eq "podman kill: killed by SIGKILL (137)" 137 "$(pm inspect pk --format '{{.State.ExitCode}}')"
pm rm pk >/dev/null
check_eq "no container left in edgebox's state" "" "$(ls /run/edgebox 2>/dev/null | grep -v '^$' || true)"
