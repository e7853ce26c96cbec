#!/bin/bash
# containerd.sh - Debian's containerd drives edgebox through the runc v2
# shim (edgebox as its runc binary), with ctr as the client.
. "$(dirname "$0")/../lib/harness.sh"
plan 16

command -v containerd >/dev/null || { fail "containerd installed" "containerd not found (run the setup command)"; exit 0; }
D=$EB_TMP/containerd
mkdir -p "$D"
cat > "$D/config.toml" <<TOML
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$D/containerd.sock"
TOML
containerd --config "$D/config.toml" > "$D/log" 2>&1 &
cpid=$!
stop_containerd() { kill $cpid 2>/dev/null; wait $cpid 2>/dev/null; cleanup_all; }
trap stop_containerd EXIT
for i in $(seq 100); do [ -S "$D/containerd.sock" ] && break; sleep 0.1; done
ctr() { command ctr --address "$D/containerd.sock" --namespace edgebox-test "$@"; }
# EB_POOL (the runv class): the runc shim's root for this namespace
[ "${EDGEBOX##*/}" = edgebox-runv ] && pool_fill /run/containerd/runc/edgebox-test
R=$EB_TMP/rootfs
"$EB_SRC/tests/lib/make-rootfs.sh" "$R"
cr() { # cr [ctr run flags] ID CMD...: a rootfs container through edgebox
    local flags=()
    while [ "${1#-}" != "$1" ]; do flags+=("$1"); shift; done
    ctr run "${flags[@]}" --runc-binary "$EDGEBOX" --rootfs "$R" "$@"
}

out=$(cr --rm t1 sh -c 'echo hello-from-ctr; exit 3'); rc=$?
check_eq "ctr run: stdout" hello-from-ctr "$out"
check_eq "ctr run: exit code" 3 "$rc"

cr -d t2 sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done'
sleep 0.5
check_match "ctr task ls: running" 't2 +[0-9]+ +RUNNING' "$(ctr task ls)"
out=$(ctr task exec --exec-id e1 t2 sh -c 'echo in-exec; exit 5'); rc=$?
check_eq "ctr task exec: output" in-exec "$out"
check_eq "ctr task exec: exit code" 5 "$rc"
ctr task pause t2
check_match "ctr task pause" 't2 +[0-9]+ +PAUSED' "$(ctr task ls)"
ctr task resume t2
check_match "ctr task resume" 't2 +[0-9]+ +RUNNING' "$(ctr task ls)"
check_match "ctr task ps (edgebox ps --format json)" '^[0-9]+' "$(ctr task ps t2 | tail -n +2)"
check_match "ctr task metrics (edgebox events --stats)" 'memory' "$(ctr task metrics t2 2>&1)"
ctr task kill t2
task_stopped t2
check_match "ctr task kill: SIGTERM stops it" 't2 +[0-9]+ +STOPPED' "$(ctr task ls)"
code=$(ctr task delete t2 2>&1 | tail -1)
check_match "ctr task delete reports the exit status 9" 'exit code 9' "$code"
ctr container delete t2
cr -d t3 sleep 100
ctr task kill -s SIGKILL t3
task_stopped t3
check_match "ctr task kill -s SIGKILL" 't3 +[0-9]+ +STOPPED' "$(ctr task ls)"
ctr task delete t3 >/dev/null 2>&1; ctr container delete t3

out=$("$EB_BUILD/tests/tools/eb-ptyrun" ctr --address "$D/containerd.sock" --namespace edgebox-test run --rm -t \
      --runc-binary "$EDGEBOX" --rootfs "$R" t4 sh -c 'tty; exit 4' </dev/null); rc=$?
check_match "ctr run -t: a tty" '/dev/(pts/[0-9]+|console)' "$out"
check_eq "ctr run -t: exit code" 4 "$rc"

# an OCI image through the image store
"$EB_SRC/tests/lib/make-image.sh" "$EB_TMP/layout" "$R" >/dev/null 2>&1
(cd "$EB_TMP/layout" && tar -cf "$EB_TMP/img.tar" .)
ctr images import --base-name local/busybox "$EB_TMP/img.tar" >/dev/null 2>&1
out=$(ctr run --runc-binary "$EDGEBOX" --rm local/busybox:latest t5 sh -c 'echo from-image; cat /etc/passwd | head -1')
check_match "ctr run of an imported image" 'from-image' "$out"

check_eq "no task left" "" "$(ctr task ls -q)"
