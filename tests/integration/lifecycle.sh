#!/bin/bash
# lifecycle.sh - create/start/state/kill/delete, run, exec, ps, list,
# pause/resume, events, update, exit codes, console socket.
. "$(dirname "$0")/../lib/harness.sh"
plan 71

B=$EB_TMP/b1
make_bundle "$B" sh -c 'echo eb-marker-c1 >/dev/null; trap "echo TERM-caught; exit 7" TERM; while :; do sleep 0.05; done'

# run in the foreground: stdout, exit code, cleanup
make_bundle "$EB_TMP/b0" sh -c 'echo hello-run; exit 42'
out=$(eb run --bundle "$EB_TMP/b0" r0 2>&1; echo "rc=$?")
check_match "run prints the container's stdout" 'hello-run' "$out"
check_match "run exits with the container's status" 'rc=42' "$out"
check_eq "run deletes the container afterwards" "" "$(leftovers r0)"

# create / state / start
eb create --bundle "$B" --pid-file "$EB_TMP/c1.pid" c1
check_eq "create: state is created" created "$(eb state c1 | jq -r .status)"
pid=$(eb state c1 | jq -r .pid)
check_eq "create: --pid-file holds the init pid" "$pid" "$(cat "$EB_TMP/c1.pid")"
check_eq "state: bundle" "$B" "$(eb state c1 | jq -r .bundle)"
check_eq "state: ociVersion" "1.1.0" "$(eb state c1 | jq -r .ociVersion)"
check_match "list shows the container" "c1 +$pid +created" "$(eb list)"
check_eq "list --format json" "c1" "$(eb list --format json | jq -r '.[0].id')"
check_eq "list -q" "c1" "$(eb list -q)"
eb start c1
check_eq "start: state is running" running "$(eb state c1 | jq -r .status)"
out=$(eb start c1 2>&1); check_match "start twice is refused" "not created" "$out"

# exec
check_eq "exec: output" "in-c1" "$(eb exec c1 echo in-c1)"
eb exec c1 sh -c 'exit 5'; check_eq "exec: exit code" 5 "$?"
check_eq "exec: --env" "bar" "$(eb exec --env FOO=bar c1 sh -c 'echo $FOO')"
check_eq "exec: --cwd" "/tmp" "$(eb exec --cwd /tmp c1 pwd)"
check_eq "exec: --user" "65534:65534" "$(eb exec --user 65534:65534 c1 sh -c 'echo $(id -u):$(id -g)')"
check_eq "exec: same pid namespace" "1" "$(eb exec c1 sh -c 'cat /proc/1/cmdline | head -c 2 >/dev/null; pidof sh | tr " " "\n" | sort -n | head -1')"
cat > "$EB_TMP/proc.json" <<'JSON'
{"terminal": false, "user": {"uid": 0, "gid": 0, "additionalGids": [5, 65534]}, "args": ["sh", "-c", "id -G; echo $P"],
 "env": ["P=from-process-json", "PATH=/bin"], "cwd": "/"}
JSON
out=$(eb exec --process "$EB_TMP/proc.json" c1)
check_match "exec --process: env and additionalGids" '0 5 65534.*from-process-json' "$(echo $out)"
eb exec --detach --pid-file "$EB_TMP/ex.pid" c1 sleep 30
check_match "exec --detach --pid-file" '^[0-9]+$' "$(cat "$EB_TMP/ex.pid")"
sleep 0.5
check_match "exec --detach: the process outlives the runtime" '^[RS]' "$(awk '{print $3}' /proc/$(cat "$EB_TMP/ex.pid")/stat 2>/dev/null)"
out=$(eb exec -t c1 sh -c 'tty' 2>&1 </dev/null); check_match "exec -t: a pty relayed by edgebox" '/dev/pts/[0-9]+' "$out"
out=$(eb exec c1 /no/such/binary 2>&1; echo "rc=$?")
check_match "exec: missing binary is a clear error" 'no/such/binary.*rc=1' "$(echo $out)"

# ps
check_match "ps --format json lists pids" "\\[$pid(,[0-9]+)*\\]" "$(eb ps --format json c1)"
check_match "ps table has the init" "^root +$pid " "$(eb ps c1)"

# pause / resume
eb pause c1
check_eq "pause: state paused" paused "$(eb state c1 | jq -r .status)"
check_match "pause: freezer frozen" FROZEN "$(cat /sys/fs/cgroup/freezer/edgebox/c1/freezer.state 2>/dev/null || cat /sys/fs/cgroup/edgebox/c1/cgroup.freeze)"
out=$(eb exec c1 true 2>&1); check_match "exec in a paused container is refused" paused "$out"
eb resume c1
check_eq "resume: state running" running "$(eb state c1 | jq -r .status)"

# events --stats (runc schema plus network_interfaces)
ev=$(eb events --stats c1)
check_eq "events --stats: type" stats "$(echo "$ev" | jq -r .type)"
check_match "events --stats: cpu usage" '^[1-9][0-9]*$' "$(echo "$ev" | jq -r .data.cpu.usage.total)"
check_match "events --stats: memory usage" '^[1-9][0-9]*$' "$(echo "$ev" | jq -r .data.memory.usage.usage)"
check_match "events --stats: pids" '^[1-9][0-9]*$' "$(echo "$ev" | jq -r .data.pids.current)"
check_eq "events --stats: network_interfaces is a list" array "$(echo "$ev" | jq -r '.data.network_interfaces|type')"
check_eq "events --stats: blkio present" array "$(echo "$ev" | jq -r '.data.blkio.ioServiceBytesRecursive|type')"

# update
eb update --memory 64m --pids-limit 50 --cpu-quota 50000 --cpu-period 100000 c1
check_eq "update --memory" 67108864 "$(cat /sys/fs/cgroup/memory/edgebox/c1/memory.limit_in_bytes)"
check_eq "update --pids-limit" 50 "$(cat /sys/fs/cgroup/pids/edgebox/c1/pids.max)"
check_eq "update --cpu-quota" 50000 "$(cat /sys/fs/cgroup/cpu/edgebox/c1/cpu.cfs_quota_us)"
echo '{"memory": {"limit": 100663296}, "pids": {"limit": 60}}' | eb update -r - c1
check_eq "update -r - (JSON)" "100663296 60" "$(cat /sys/fs/cgroup/memory/edgebox/c1/memory.limit_in_bytes) $(cat /sys/fs/cgroup/pids/edgebox/c1/pids.max)"

# kill by name, wait for exit code via state
eb kill c1 SIGTERM
check "kill SIGTERM stops the container" wait_status c1 stopped
out=$(eb kill c1 KILL 2>&1); check_match "kill on a stopped container is an error" "not running" "$out"
eb delete c1
check_eq "delete removes state and cgroups" "" "$(leftovers c1)"

# kill by number, --all
eb create --bundle "$B" c2 && eb start c2
eb exec -d c2 sleep 100
check_eq "kill --all reaches every process" 0 "$(eb kill --all c2 9; wait_status c2 stopped; eb ps --format json c2 2>/dev/null | jq length 2>/dev/null || echo 0)"
eb delete c2

# delete of a running container needs --force
eb create --bundle "$B" c3 && eb start c3
out=$(eb delete c3 2>&1); check_match "delete running without --force is refused" "not stopped: running" "$out"
eb delete --force c3
check_eq "delete --force kills and cleans" "" "$(leftovers c3)"

# delete of a created (never started) container
eb create --bundle "$B" c4
eb delete c4; check_eq "delete of a created container" "" "$(leftovers c4)"

# run --detach
eb run -d --bundle "$B" c5
check_eq "run --detach: running" running "$(eb state c5 | jq -r .status)"
eb delete -f c5

# console socket: terminal=true, the pty master goes to the socket
make_bundle "$EB_TMP/bt" sh -c 'tty; echo cols=$(stty size)'
jq_edit "$EB_TMP/bt" '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
"$EB_BUILD/tests/tools/eb-recvtty" "$EB_TMP/console.sock" "$EB_TMP/console.out" > "$EB_TMP/recv.log" &
rpid=$!
for i in $(seq 50); do grep -q ready "$EB_TMP/recv.log" 2>/dev/null && break; sleep 0.05; done
eb create --bundle "$EB_TMP/bt" --console-socket "$EB_TMP/console.sock" ct && eb start ct
wait_status ct stopped; wait $rpid
out=$(tr -d '\r' < "$EB_TMP/console.out")
check_match "console socket: process gets a pty" '/dev/(pts/[0-9]+|console)' "$out"
check_match "console socket: consoleSize applied" 'cols=30 100' "$out"
eb delete ct
out=$(eb create --bundle "$EB_TMP/bt" ct2 2>&1); check_match "terminal without --console-socket is refused" "console-socket" "$out"
check_eq "  ... and leaves nothing" "" "$(leftovers ct2)"

# --preserve-fds: fd 3 reaches the process
make_bundle "$EB_TMP/bp" sh -c 'echo via-fd3 >&3'
eb run --bundle "$EB_TMP/bp" --preserve-fds 1 cp 3> "$EB_TMP/fd3.out"
check_eq "--preserve-fds passes fd 3" via-fd3 "$(cat "$EB_TMP/fd3.out")"

# signal forwarding in run: SIGTERM to edgebox reaches the container
"$EDGEBOX" --root "$EB_ROOT" run --bundle "$B" c6 > "$EB_TMP/c6.out" 2>&1 &
rp=$!
wait_status c6 running
kill -TERM $rp; wait $rp; rc=$?
check_eq "run forwards SIGTERM and returns the exit code" 7 "$rc"
check_match "  ... the container saw it" TERM-caught "$(cat "$EB_TMP/c6.out")"

# events --stats: network_interfaces from the container's namespace
make_bundle "$EB_TMP/bn" sleep 60
eb run -d --bundle "$EB_TMP/bn" net1
np=$(eb state net1 | jq -r .pid)
ip link add ebt-h$$ type veth peer name ebt-c netns "$np"
ip addr add 10.231.0.1/30 dev ebt-h$$ && ip link set ebt-h$$ up
nsenter -t "$np" -n sh -c 'ip addr add 10.231.0.2/30 dev ebt-c && ip link set ebt-c up'
busybox ping -c 3 -W 1 10.231.0.2 >/dev/null 2>&1
ev=$(eb events --stats net1)
check_eq "events --stats: the container's interface is listed" ebt-c "$(echo "$ev" | jq -r '.data.network_interfaces[0].name')"
check_match "events --stats: its rx counters moved" '^[1-9]' "$(echo "$ev" | jq -r '.data.network_interfaces[0].rx_packets')"
check_match "events --stats: its tx bytes moved" '^[1-9]' "$(echo "$ev" | jq -r '.data.network_interfaces[0].tx_bytes')"
ip link del ebt-h$$ 2>/dev/null
eb delete -f net1

# features, spec
f=$(eb features)
check_eq "features: ociVersionMax" 1.1.0 "$(echo "$f" | jq -r .ociVersionMax)"
check_eq "features: seccomp enabled" true "$(echo "$f" | jq -r .linux.seccomp.enabled)"
check_match "features: namespaces" 'cgroup.*user' "$(echo "$f" | jq -c .linux.namespaces)"
out=$(eb spec --bundle "$EB_TMP/bn" 2>&1); check_match "spec refuses to overwrite config.json" 'exists' "$out"
mkdir -p "$EB_TMP/rl" && eb spec --rootless --bundle "$EB_TMP/rl"
check_eq "spec --rootless: a user namespace" user "$(jq -r '.linux.namespaces[] | select(.type == "user") | .type' "$EB_TMP/rl/config.json")"
check_eq "--version" "edgebox version" "$(eb --version | head -1 | cut -d' ' -f1-2)"

# --no-pivot (MS_MOVE + chroot) still gives the container its root
make_bundle "$EB_TMP/bnp" sh -c 'ls /bin/busybox && cat /proc/self/mountinfo | wc -l'
check_match "--no-pivot" '/bin/busybox' "$(eb run --no-pivot --bundle "$EB_TMP/bnp" np1 2>&1)"

# update persists the new limits in the container's saved config
make_bundle "$EB_TMP/bu" sleep 60
eb run -d --bundle "$EB_TMP/bu" up1
eb update --memory 48m --cpu-share 300 up1
check_eq "update: limits saved with the container" "50331648 300" "$(jq -r '.linux.resources | "\(.memory.limit) \(.cpu.shares)"' "$EB_ROOT/up1/config.json")"
out=$(eb update --memory lots up1 2>&1); check_match "update: a bad size is refused" "invalid size .lots." "$out"
out=$(echo '{"memory": {"limit": "x"}}' | eb update -r - up1 2>&1); check_match "update -r: schema errors name the field" 'resources.memory.limit: expected an integer' "$out"
eb delete -f up1

# run in the foreground with process.terminal: edgebox relays the pty
make_bundle "$EB_TMP/btty" sh -c 'tty; read line; echo "got:$line"; exit 3'
jq_edit "$EB_TMP/btty" '.process.terminal = true'
out=$(printf 'typed-input\n' | script -qec "$EDGEBOX --root $EB_ROOT run --bundle $EB_TMP/btty tty1" /dev/null; echo "rc=$?")
out=$(echo "$out" | tr -d '\r')
check_match "run with a terminal: the container has a pty" '/dev/(pts/[0-9]+|console)' "$out"
check_match "run with a terminal: stdin reaches it" 'got:typed-input' "$out"
check_match "run with a terminal: exit code" 'rc=3' "$out"
check_eq "run with a terminal: cleaned up" "" "$(leftovers tty1)"
