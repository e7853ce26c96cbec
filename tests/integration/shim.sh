#!/bin/bash
# shim.sh - Debian's containerd drives edgebox through edgebox's own shim,
# containerd-shim-edgebox-v2 (runtime io.containerd.edgebox.v2), with ctr
# as the client: the runc class, the runv class (a microVM), a pod's
# containers served by one shim, and nothing left behind.
. "$(dirname "$0")/../lib/harness.sh"
plan 35

command -v containerd >/dev/null || { fail "containerd installed" "containerd not found (run the setup command)"; exit 0; }
SHIM_DIR=${EDGEBOX_SHIM_DIR:-$EB_BUILD/src/shim}
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
SHIMROOT=$EB_TMP/shimroot
start_containerd() { # start_containerd CLASS: the shim's default class
    PATH=$SHIM_DIR:$PATH EDGEBOX_SHIM_CLASS=$1 EDGEBOX_SHIM_ROOT=$SHIMROOT \
        containerd --config "$D/config.toml" >> "$D/log" 2>&1 &
    cpid=$!
    for _ in $(seq 100); do [ -S "$D/containerd.sock" ] && break; sleep 0.1; done
}
stop_containerd() { kill $cpid 2>/dev/null; wait $cpid 2>/dev/null; rm -f "$D/containerd.sock"; }
shims() { pgrep -fc "containerd-shim-edgebox-v2 .*-address $D/containerd.sock" || true; }
trap 'stop_containerd; pkill -9 -f "containerd-shim-edgebox-v2 .*$D" 2>/dev/null; EB_ROOT=$SHIMROOT/ebt cleanup_all' EXIT
ctr() { command ctr --address "$D/containerd.sock" --namespace ebt "$@"; }
R=$EB_TMP/rootfs
"$EB_SRC/tests/lib/make-rootfs.sh" "$R"
sr() { # sr [ctr run flags] ID CMD...: a rootfs container through the shim
    local flags=()
    while [ "${1#-}" != "$1" ]; do flags+=("$1"); shift; done
    ctr run "${flags[@]}" --runtime io.containerd.edgebox.v2 --rootfs "$R" "$@"
}

# ---- the runc class through the shim ----
start_containerd runc
out=$(sr --rm s1 sh -c 'echo hello-from-shim; echo to-stderr >&2; exit 3' 2>"$EB_TMP/s1.err"); rc=$?
check_eq "runc: stdout through containerd's FIFO" hello-from-shim "$out"
check_eq "runc: stderr through containerd's FIFO" to-stderr "$(cat "$EB_TMP/s1.err")"
check_eq "runc: exit code (Wait)" 3 "$rc"
out=$(echo from-stdin | ctr run --rm --runtime io.containerd.edgebox.v2 --rootfs "$R" s1b cat)
check_eq "runc: stdin through containerd's FIFO" from-stdin "$out"

sr -d s2 sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done'
sleep 0.5
check_match "runc: task ls shows it RUNNING (State)" 's2 +[0-9]+ +RUNNING' "$(ctr task ls)"
check_eq "runc: the container's state is under the shim's root, isolation runc" runc \
    "$(jq -r .isolation "$SHIMROOT/ebt/s2/state.json" 2>/dev/null)"
out=$(ctr task exec --exec-id e1 s2 sh -c 'echo in-exec; exit 5'); rc=$?
check_eq "runc: exec output" in-exec "$out"
check_eq "runc: exec exit code" 5 "$rc"
ctr task pause s2
check_match "runc: pause" 's2 +[0-9]+ +PAUSED' "$(ctr task ls)"
ctr task resume s2
check_match "runc: resume" 's2 +[0-9]+ +RUNNING' "$(ctr task ls)"
pid=$(ctr task ls | awk '$1 == "s2" {print $2}')
check_match "runc: ps lists the init (Pids)" "^$pid\$" "$(ctr task ps s2 | awk 'NR > 1 {print $1}' | head -1)"
ctr task kill s2
for _ in $(seq 50); do ctr task ls | grep -q 's2.*STOPPED' && break; sleep 0.1; done
check_match "runc: SIGTERM stops it (Kill, then the exit from SIGCHLD)" 's2 +[0-9]+ +STOPPED' "$(ctr task ls)"
code=$(ctr task delete s2 2>&1 | tail -1)
check_match "runc: delete reports the exit status 9" 'exit code 9' "$code"
ctr container delete s2

# Stats: the class's numbers as containerd's cgroup Metrics
metric() { ctr task metrics "$1" 2>/dev/null | awk -v k="$2" '$1 == k {print $2}'; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; }
sr -d m1 sh -c 'dd if=/dev/zero of=/dev/shm/x bs=1M count=20 2>/dev/null; while :; do :; done'
sleep 1.5
mem=$(metric m1 memory.usage_in_bytes)
check "runc: ctr task metrics: the 20 MiB the container holds ($mem bytes)" within "$mem" 20971520 67108864
cpu=$(metric m1 cpuacct.usage)
check "runc: ctr task metrics: its CPU ($cpu ns)" within "$cpu" 300000000 10000000000
ctr task kill -s SIGKILL m1
for _ in $(seq 50); do ctr task ls | grep -q 'm1.*STOPPED' && break; sleep 0.1; done
ctr task delete m1 >/dev/null 2>&1; ctr container delete m1

# a terminal: the pty's master copied to and from containerd's FIFOs
out=$("$EB_BUILD/tests/tools/eb-ptyrun" ctr --address "$D/containerd.sock" --namespace ebt run --rm -t \
      --runtime io.containerd.edgebox.v2 --rootfs "$R" t1 sh -c 'tty; stty size; exit 4' </dev/null); rc=$?
check_match "runc: ctr run -t: a tty" '/dev/(pts/[0-9]+|console)' "$out"
check_eq "runc: ctr run -t: exit code" 4 "$rc"
sr -d t2 sleep 1000
out=$("$EB_BUILD/tests/tools/eb-ptyrun" ctr --address "$D/containerd.sock" --namespace ebt task exec -t \
      --exec-id te t2 sh -c 'tty; exit 7' </dev/null); rc=$?
check_match "runc: ctr task exec -t: a tty, exit code" '/dev/pts/[0-9]+.* 7$' "$(echo $out) $rc"
ctr task kill -s SIGKILL t2
for _ in $(seq 50); do ctr task ls | grep -q 't2.*STOPPED' && break; sleep 0.1; done
ctr task delete t2 >/dev/null 2>&1; ctr container delete t2

# OOM: TaskOOM before TaskExit (kubelet's OOMKilled); the events as
# containerd relays them to its subscribers
ctr events > "$EB_TMP/events" 2>&1 &
evpid=$!
sleep 0.3
out=$(sr --rm --memory-limit=33554432 oom1 sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'); rc=$?
sleep 0.5
kill $evpid 2>/dev/null; wait $evpid 2>/dev/null
check_eq "runc: a container over its memory limit is killed (137)" 137 "$rc"
check_match "runc: TaskOOM published for it" '/tasks/oom .*"container_id":"oom1"' "$(cat "$EB_TMP/events")"
order=$(grep -E '/tasks/(oom|exit) .*oom1' "$EB_TMP/events" | awk '{print $6}' | head -2 | tr '\n' ' ')
check_eq "runc: TaskOOM before TaskExit" "/tasks/oom /tasks/exit " "$order"

# an OCI image: containerd hands the overlay snapshot over as rootfs mounts
"$EB_SRC/tests/lib/make-image.sh" "$EB_TMP/layout" "$R" >/dev/null 2>&1
(cd "$EB_TMP/layout" && tar -cf "$EB_TMP/img.tar" .)
ctr images import --base-name local/busybox "$EB_TMP/img.tar" >/dev/null 2>&1
out=$(ctr run --runtime io.containerd.edgebox.v2 --rm local/busybox:latest s3 sh -c 'echo from-image; head -1 /etc/passwd')
check_match "runc: an imported image (the rootfs mounts)" 'from-image' "$out"

# two containers of one pod: one shim
sr -d --annotation=io.kubernetes.cri.container-type=sandbox --annotation=io.kubernetes.cri.sandbox-id=pod1 \
    pod1 sleep 1000
sr -d --annotation=io.kubernetes.cri.container-type=container --annotation=io.kubernetes.cri.sandbox-id=pod1 \
    pod1-app sleep 1000
sleep 0.3
check_eq "a pod's two containers are served by one shim" 1 "$(shims)"
T=$D/state/io.containerd.runtime.v2.task/ebt
check_match "the pod's containers share the shim's address" '^unix:///run/containerd/s/[0-9a-f]{64} 2$' \
    "$({ cat "$T/pod1/address"; echo; cat "$T/pod1-app/address"; echo; } 2>/dev/null | sort | uniq -c | awk '{print $2, $1}')"
for c in pod1-app pod1; do
    ctr task kill -s SIGKILL $c
    for _ in $(seq 50); do ctr task ls | grep -q "$c.*STOPPED" && break; sleep 0.1; done
    ctr task delete $c >/dev/null 2>&1; ctr container delete $c
done
for _ in $(seq 50); do [ "$(shims)" = 0 ] && break; sleep 0.1; done
check_eq "runc: no task left" "" "$(ctr task ls -q)"
check_eq "runc: the shim ends with the pod's last container" 0 "$(shims)"
check_eq "runc: no container state left" "" "$(ls "$SHIMROOT/ebt" 2>/dev/null)"

# a shim that is SIGKILLed: containerd runs its delete command to clean up
sr -d s4 sleep 1000
sleep 0.3
pkill -9 -f "containerd-shim-edgebox-v2 .*-id s4 " 2>/dev/null
for _ in $(seq 100); do ctr task ls | grep -q 's4.*RUNNING' || break; sleep 0.1; done
ctr task delete s4 >/dev/null 2>&1; ctr container delete s4 >/dev/null 2>&1
for _ in $(seq 50); do [ -e "$SHIMROOT/ebt/s4" ] || break; sleep 0.1; done
check_eq "a SIGKILLed shim's container is cleaned up (its delete command)" "" "$(ls "$SHIMROOT/ebt" 2>/dev/null)"
stop_containerd

# ---- the runv class through the shim (the default class) ----
start_containerd runv
out=$(sr --rm v1 sh -c 'echo hello-from-the-guest; uname -r; exit 4'); rc=$?
check_eq "runv: stdout from the guest through the shim" hello-from-the-guest "$(echo "$out" | head -1)"
check_eq "runv: exit code" 4 "$rc"
check_eq "runv: the guest's kernel, not the host's" "$(jq -r .kernel_release "$EDGEBOX_GUEST_DIR/image.json")" \
    "$(echo "$out" | sed -n 2p)"
# a runv container's numbers are the guest's, not the host's root cgroups
sr -d v2 sh -c 'dd if=/dev/zero of=/dev/shm/x bs=1M count=20 2>/dev/null; echo done > /dev/shm/done; sleep 1000'
for _ in $(seq 100); do ctr task exec --exec-id w v2 cat /dev/shm/done >/dev/null 2>&1 && break; sleep 0.3; done
out=$(ctr task exec --exec-id e2 v2 sh -c 'echo exec-in-the-guest; exit 6'); rc=$?
check_eq "runv: exec in the guest through the shim" "exec-in-the-guest 6" "$out $rc"
mem=$(metric v2 memory.usage_in_bytes)
check "runv: ctr task metrics: the guest's 20 MiB, not the host's ($mem bytes)" within "$mem" 20971520 134217728
ctr task kill -s SIGKILL v2
for _ in $(seq 100); do ctr task ls | grep -q 'v2.*STOPPED' && break; sleep 0.1; done
ctr task delete v2 >/dev/null 2>&1; ctr container delete v2
check_eq "runv: no task left" "" "$(ctr task ls -q)"
stop_containerd
check_eq "runv: no VM left" "" "$(pgrep -f "qemu-system.*edgebox-v[12]" || true)"
