#!/bin/bash
# shim.sh - Debian's containerd drives edgebox through edgebox's own shim,
# containerd-shim-edgebox-v2 (runtime io.containerd.edgebox.v2), with ctr
# as the client: the runc class, the runv class (a microVM), a pod's
# containers served by one shim, log URIs (file://, binary://) instead of
# FIFOs, and nothing left behind.
. "$(dirname "$0")/../lib/harness.sh"
plan 61

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
# Update: containerd's Tasks.Update (ctr 1.6 has no `task update`)
update() { /usr/bin/python3 "$EB_SRC/tests/tools/ctd-update.py" "$D/containerd.sock" ebt "$@"; }
update s2 '{"memory": {"limit": 100663296}}'
cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/$pid/cgroup 2>/dev/null)
check_eq "runc: Update sets the host cgroup's memory limit" 100663296 \
    "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" 2>/dev/null || cat "/sys/fs/cgroup$cg/memory.max" 2>/dev/null)"
ctr task kill s2
task_stopped s2
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
task_stopped m1
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
task_stopped t2
ctr task delete t2 >/dev/null 2>&1; ctr container delete t2


# log URIs in place of the FIFOs (ctr run --log-uri, cio.LogFile,
# cio.BinaryIO): the stdio containerd's own runc shim offers
L=$EB_TMP/logs
mkdir -p "$L"
# a binary:// logger as containerd runs one: fd 3 the process's stdout,
# fd 4 its stderr, fd 5 closed once it is ready; the URI's query its
# arguments (dir D: its files are D.*)
LOGGER=$EB_TMP/logger.sh BADLOGGER=$EB_TMP/badlogger.sh STUCKLOGGER=$EB_TMP/stucklogger.sh
STUBBORN=$EB_TMP/stubbornlogger.sh
cat > "$LOGGER" <<'SH'
#!/bin/sh
d=$2
env | grep -v '^PWD=' | sort | tr '\n' ' ' > "$d.env"
echo "$*" > "$d.args"
cat <&3 > "$d.out" 4<&- 5>&- &
c1=$!
cat <&4 > "$d.err" 3<&- 5>&- &
echo $$ $c1 $! > "$d.pids"
exec 3<&- 4<&- 5>&-
wait
SH
# one that exits instead of signalling ready; one that never does; one
# that ignores its EOF and SIGTERM (the shim's deadline kills it)
printf '#!/bin/sh\necho $$ > "$2.pids"\nexit 3\n' > "$BADLOGGER"
printf '#!/bin/sh\necho $$ > "$2.pids"\nexec sleep 1000\n' > "$STUCKLOGGER"
printf '#!/bin/sh\ntrap "" TERM\necho $$ > "$2.pids"\nexec 5>&- sleep 1000\n' > "$STUBBORN"
chmod +x "$LOGGER" "$BADLOGGER" "$STUCKLOGGER" "$STUBBORN"
alive() { local n=0 p; for p in "$@"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done; echo $n; }
gone() { # gone PIDFILE [TRIES]: how many pids it names, how many still run once all are gone (or the tries are up)
    local pids
    pids=$(cat "$1" 2>/dev/null)
    for _ in $(seq "${2:-50}"); do [ "$(alive $pids)" = 0 ] && break; sleep 0.1; done
    echo "$(echo $pids | wc -w) $(alive $pids)"
}
failed() { # failed RC OUTPUT PATTERN: "failed" when RC is not 0 and OUTPUT says PATTERN
    [ "$1" != 0 ] && printf '%s' "$2" | grep -Eq -- "$3" && echo failed
}
left_of() { # left_of ID: its task, container and shim state, if any is left
    echo "$(ctr task ls -q | grep -x "$1")|$(ctr c ls -q | grep -x "$1")|$(ls "$SHIMROOT/ebt" 2>/dev/null | grep -x "$1")"
}
log_checks() { # log_checks CLASS: the shim serving the class CLASS (containerd's default runtime class)
    local c=$1 out rc left
    # file://: the directory made, the file appended to by both streams
    # (the path percent-decoded as Go's url.Parse does)
    sr --rm --log-uri="file://$L/$c-dir%20x/sub/c.log" ${c}l1 sh -c 'echo out-1; echo err-1 >&2'
    sr --rm --log-uri="file://$L/$c-dir%20x/sub/c.log" ${c}l2 sh -c 'echo out-2'
    check_eq "$c: --log-uri file://: stdout and stderr appended to the file, its directory made, the path %-decoded" \
        "err-1 out-1 out-2 " "$(head -2 "$L/$c-dir x/sub/c.log" 2>/dev/null | sort | tr '\n' ' ')$(tail -n +3 \
        "$L/$c-dir x/sub/c.log" 2>/dev/null | tr '\n' ' ')"
    out=$(sr --rm --log-uri=file://rel.log ${c}l3 true 2>&1); rc=$?
    check_eq "$c: --log-uri file://rel.log: refused, the error names it; nothing left" "failed|||" \
        "$(failed $rc "$out" 'file://rel.log.*not an absolute path')|$(left_of ${c}l3)"
    # binary://: a logger, fed by pipes; gone once the task is deleted
    sr --rm --log-uri="binary://$LOGGER?dir=$L/${c}b1" ${c}b1 sh -c 'echo to-the-logger; echo err-to-the-logger >&2; exit 2'
    rc=$?
    left=$(gone "$L/${c}b1.pids")
    check_eq "$c: --log-uri binary://: the logger reads stdout on fd 3, stderr on fd 4; the exit code" \
        "to-the-logger|err-to-the-logger|2" "$(cat "$L/${c}b1.out" 2>/dev/null)|$(cat "$L/${c}b1.err" 2>/dev/null)|$rc"
    check_eq "$c: the logger's environment is CONTAINER_ID and CONTAINER_NAMESPACE, its arguments the query's" \
        "CONTAINER_ID=${c}b1 CONTAINER_NAMESPACE=ebt |dir $L/${c}b1" \
        "$(cat "$L/${c}b1.env" 2>/dev/null)|$(cat "$L/${c}b1.args" 2>/dev/null)"
    check_eq "$c: after the task's delete no logger process is left (the logger and its 2 children)" "3 0" "$left"
    # an exec's own log URI (its CONTAINER_ID: the exec's id, as containerd's shim gives it)
    sr -d ${c}d sh -c 'while :; do sleep 0.1; done'
    for _ in $(seq 100); do ctr task exec --exec-id w ${c}d true 2>/dev/null && break; sleep 0.3; done
    ctr task exec --exec-id ${c}x1 --log-uri="binary://$LOGGER?dir=$L/${c}x1" ${c}d sh -c 'echo exec-out; echo exec-err >&2'
    left=$(gone "$L/${c}x1.pids")
    check_eq "$c: an exec's binary:// logger: its stdout, stderr, the exec's id; none left after its delete" \
        "exec-out|exec-err|CONTAINER_ID=${c}x1 CONTAINER_NAMESPACE=ebt |3 0" \
        "$(cat "$L/${c}x1.out" 2>/dev/null)|$(cat "$L/${c}x1.err" 2>/dev/null)|$(cat "$L/${c}x1.env" 2>/dev/null)|$left"
    ctr task kill -s SIGKILL ${c}d
    task_stopped ${c}d 100
    ctr task delete ${c}d >/dev/null 2>&1; ctr container delete ${c}d
    # a logger that exits instead of signalling ready: create fails
    out=$(sr --rm --log-uri="binary://$BADLOGGER?dir=$L/${c}f1" ${c}f1 true 2>&1); rc=$?
    check_eq "$c: a logger that exits before it is ready: create fails, saying so; no logger, task, container, state left" \
        "failed|1 0|||" "$(failed $rc "$out" 'logger .*(exited|closed its)')|$(gone "$L/${c}f1.pids")|$(left_of ${c}f1)"
}
log_checks runc
# a logger that never signals ready: create fails at the shim's bound
out=$(sr --rm --log-uri="binary://$STUCKLOGGER?dir=$L/st" st true 2>&1); rc=$?
check_eq "runc: a logger that never signals ready: create fails after the bound, saying so; nothing left" "failed|1 0|||" \
    "$(failed $rc "$out" 'logger .*did not signal ready')|$(gone "$L/st.pids")|$(left_of st)"
# one that outlives its EOF and ignores SIGTERM: killed at the shim's deadline
sr --rm --log-uri="binary://$STUBBORN?dir=$L/sb" sb true
first=$(alive $(cat "$L/sb.pids" 2>/dev/null))
check_eq "runc: a logger that ignores SIGTERM at Delete: running after the delete, killed at the deadline" "1 1 0" \
    "$first $(gone "$L/sb.pids" 200)"

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
    task_stopped $c
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
pool_fill "$SHIMROOT/ebt"   # EB_POOL: v1 and v2 claim pooled VMs
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
task_stopped v2 100
ctr task delete v2 >/dev/null 2>&1; ctr container delete v2

# Update applies in the guest: the container's cgroup there
# (its memory.max, as the agent reads it for Stats)
sr -d --memory-limit=67108864 vu sleep 1000
for _ in $(seq 100); do [ -n "$(metric vu memory.limit_in_bytes)" ] && break; sleep 0.3; done
before=$(metric vu memory.limit_in_bytes)
update vu '{"memory": {"limit": 100663296}, "cpu": {"quota": 50000, "period": 100000}}'
check_eq "runv: Update: memory.max in the guest, before and after" "67108864 100663296" \
    "$before $(metric vu memory.limit_in_bytes)"
ctr task kill -s SIGKILL vu
task_stopped vu 100
ctr task delete vu >/dev/null 2>&1; ctr container delete vu

# OOM in the guest while the container runs: a child is OOM-killed, the
# init lives on; TaskOOM comes from the agent's watch, not at an exit
ctr events > "$EB_TMP/vevents" 2>&1 &
evpid=$!
sr -d --memory-limit=33554432 vo sh -c 'while :; do sleep 1; done'
for _ in $(seq 100); do ctr task exec --exec-id w vo true 2>/dev/null && break; sleep 0.3; done
ctr task exec --exec-id hog vo sh -c 'x=$(head -c 60000000 /dev/zero | tr "\0" a); echo survived' >/dev/null 2>&1
for _ in $(seq 50); do grep -q '/tasks/oom .*"container_id":"vo"' "$EB_TMP/vevents" && break; sleep 0.1; done
kill $evpid 2>/dev/null; wait $evpid 2>/dev/null
check_match "runv: TaskOOM for a child's OOM kill in the guest, the container still running" \
    '/tasks/oom .*"container_id":"vo".* vo +[0-9]+ +RUNNING' "$(grep '/tasks/oom' "$EB_TMP/vevents" | tr '\n' ' ') $(ctr task ls | tr '\n' ' ')"
ctr task kill -s SIGKILL vo
task_stopped vo 100
ctr task delete vo >/dev/null 2>&1; ctr container delete vo

# stdio without a relay per process: the shim serves the streams itself
out=$(echo from-stdin | ctr run --rm --runtime io.containerd.edgebox.v2 --rootfs "$R" v3 sh -c 'cat; echo err >&2' \
      2>"$EB_TMP/v3.err"); rc=$?
check_eq "runv: stdin to its EOF (CloseIO), stdout, stderr, exit" "from-stdin err 0" "$out $(cat "$EB_TMP/v3.err") $rc"
# (ctr sends the size after Start, as containerd's own clients do: the
# process waits for it, bounded, rather than race it)
out=$(EB_PTY_SIZE="33 111" "$EB_BUILD/tests/tools/eb-ptyrun" ctr --address "$D/containerd.sock" --namespace ebt \
      run --rm -t --runtime io.containerd.edgebox.v2 --rootfs "$R" vt sh -c 'tty; i=0
          until s=$(stty size 2>/dev/null) && [ "$s" != "0 0" ] || [ $i -ge 100 ]; do i=$((i + 1)); sleep 0.1; done
          echo "$s"; exit 4' </dev/null); rc=$?
check_match "runv: ctr run -t: the guest's tty, its size (ResizePty), exit code" '/dev/pts/[0-9]+ 33 111 4$' \
    "$(echo $out | tr -d '\r') $rc"
log_checks runv
podc() { # podc POD TYPE ID CMD...: a container of pod POD
    local pod=$1 t=$2 id=$3; shift 3
    sr -d --annotation=io.kubernetes.cri.container-type=$t --annotation=io.kubernetes.cri.sandbox-id=$pod "$id" "$@"
}
podc vp sandbox vp sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done'
podc vp container vp-app sh -c 'trap "exit 8" TERM; while :; do sleep 0.1; done'
ctr task exec --exec-id ex vp-app sh -c 'touch /dev/shm/ex; exec sleep 1000' > /dev/null 2>&1 &
expid=$!
for _ in $(seq 100); do ctr task exec --exec-id w2 vp-app test -e /dev/shm/ex 2>/dev/null && break; sleep 0.3; done
pidof_sb() { awk '{print $1}' "$SHIMROOT/ebt/.runv/$1/$2.pid" 2>/dev/null; } # pidof_sb SANDBOX NAME: "pid starttime"
mon=$(pidof_sb vp monitor)
# the pod's shim by its command line: a VM claimed from the pool has a
# monitor a pool filler forked, no child of the shim
shim=$(pgrep -f "containerd-shim-edgebox-v2 .*-id vp " | head -1)
# (a relay lives as long as its process; containerd's publish binary, run
# for each of the shim's events, comes and goes: children seen in 3 looks)
kids() { for _ in 1 2 3; do ps --ppid "${shim:-0}" -o pid= 2>/dev/null; sleep 0.3; done | sort | uniq -c | awk '$1 == 3 {print $2}'; }
check_eq "runv: a pod of 2 containers + an exec: the shim has no child but the VM's monitor (no relay)" "" \
    "$(kids | grep -vx "${mon:-none}" | tr '\n' ' ' | sed 's/ $//')"
ctr task kill --exec-id ex -s SIGKILL vp-app
wait $expid; rc=$?
check_eq "runv: an exec's Kill, its exit code (Wait)" 137 "$rc"
# (the wait is for each task by its whole id: matched as a prefix, vp
# "stopped" with vp-app and was deleted while its trap still ran; what Kill
# answered and what the guest runs go into a failure)
kills=
for c in vp-app vp; do
    kills="$kills $c: $(ctr task kill $c 2>&1)"
    task_stopped $c 300
done
task_stopped vp 1 || kills="$kills; vp's processes: $(ctr task ps vp 2>&1 | tr '\n' ' ')"
check_match "runv: Kill (SIGTERM) of both, the exit codes they chose" 'exit code 8.*exit code 9' \
    "$({ ctr task delete vp-app; ctr task delete vp; } 2>&1 | tr "\n" " ") [kill:$kills]"
ctr container delete vp-app vp

# a runv pod whose shim is SIGKILLed: containerd runs `delete` for each of
# its tasks, and nothing of the pod stays (processes, state, socket)
podc vk sandbox vk sleep 1000
podc vk container vk-app sleep 1000
SB=$SHIMROOT/ebt/.runv/vk
pids=$(for n in monitor qemu virtiofsd; do pidof_sb vk $n; done | tr '\n' ' ')
sock=$(sed 's|^unix://||' "$T/vk/address" 2>/dev/null)
# the pod's shim (with the pool on, its monitor was forked by a filler, not by it)
kill -9 $(pgrep -f "containerd-shim-edgebox-v2 .*-id vk ")
for _ in $(seq 300); do ctr task ls -q | grep -q '^vk' || break; sleep 0.1; done
ctr container delete vk vk-app >/dev/null 2>&1
for _ in $(seq 100); do alive=$(for p in $pids; do kill -0 "$p" 2>/dev/null && echo "$p"; done); [ -z "$alive" ] && break; sleep 0.1; done
check_eq "runv: a SIGKILLed shim's pod: its monitor, QEMU and virtiofsd ($pids) are gone" "" "$alive"
check_eq "runv: ... and no container state, sandbox directory, shim socket or mount" "" \
    "$(ls "$SHIMROOT/ebt" 2>/dev/null; ls -d "$sock" "$SB" 2>/dev/null; grep -F "$D" /proc/mounts)"
check_eq "runv: no task left" "" "$(ctr task ls -q)"
stop_containerd
check_eq "runv: no VM left" "" "$(vm_pgrep v1 "$SHIMROOT/ebt"; vm_pgrep v2 "$SHIMROOT/ebt")"
