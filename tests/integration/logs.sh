#!/bin/bash
# logs.sh - logs out of the runv sandbox (QEMU, TCG on this host).
#
#  - stdio: podman's conmon (a real shim) writes a runv container's
#    100 MB of mixed stdout/stderr into its CRI-format log; every line of
#    both streams is checked, in order; the last lines before an exit and
#    before a SIGKILL arrive.
#  - in-guest file logs: files named by the io.edgebox.log-files
#    annotation are followed in the guest (appends, rotation by rename,
#    truncation) and written on the host in the CRI format under the pod's
#    directory; the host-side writer killed mid-stream loses and duplicates
#    nothing.
. "$(dirname "$0")/../lib/harness.sh"

RUNV=$EB_BUILD/src/cli/edgebox-runv
GEN=$EB_BUILD/tests/tools/eb-loggen
ebv() { "$RUNV" --root "$EB_ROOT" "$@"; }

# ---- stdio through conmon ----
if command -v podman >/dev/null; then
    S=$EB_TMP/podman
    mkdir -p "$S"
    pm() { podman --root "$S/root" --runroot "$S/run" --runtime "$RUNV" --storage-driver vfs "$@"; }
    U="--ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --pull never --network none"
    R=$EB_TMP/rootfs
    "$EB_SRC/tests/lib/make-rootfs.sh" "$R"
    cp "$GEN" "$R/bin/eb-loggen"
    L=/tmp/edgebox-logs-layout-$$
    "$EB_SRC/tests/lib/make-image.sh" "$L" "$R" >/dev/null 2>&1
    pm pull -q "oci:$L:latest" >/dev/null 2>&1
    rm -rf "$L"
    img=$(pm images --format '{{.Repository}}:{{.Tag}}' | head -1)
    trap 'pm rm -af >/dev/null 2>&1; pm rmi -af >/dev/null 2>&1; cleanup_all' EXIT

    BYTES=100000000
    want=$("$GEN" plan $BYTES)
    pm run --name big $U --log-driver k8s-file --log-opt path="$EB_TMP/big.log" "$img" eb-loggen mixed $BYTES \
        >/dev/null 2>&1
    rc=$?
    check_eq "stdio: 100 MB mixed on stdout and stderr, exit code" 0 "$rc"
    check_eq "stdio: conmon's CRI log holds every line of both streams, in order ($want)" "$want" \
        "$("$GEN" check "$EB_TMP/big.log")"
    pm rm big >/dev/null 2>&1

    # The last lines before a SIGKILL: the container writes them, says so
    # in a file, and is killed at once; the VM's pipes still hold them.
    pm run -d --name burst $U --log-driver k8s-file --log-opt path="$EB_TMP/burst.log" "$img" \
        eb-loggen burst 20000 /tmp/written >/dev/null
    for i in $(seq 1 300); do pm exec burst test -e /tmp/written 2>/dev/null && break; sleep 0.2; done
    pm kill burst >/dev/null
    pm wait burst >/dev/null 2>&1
    check_eq "stdio: killed right after writing, exit 137" 137 "$(pm inspect burst --format '{{.State.ExitCode}}')"
    check_eq "stdio: the lines written before the kill all arrived" "stdout=20000 stderr=20000" \
        "$("$GEN" check "$EB_TMP/burst.log")"
    pm rm burst >/dev/null 2>&1
else
    fail "podman installed" "podman not found (run the setup command)"
fi
