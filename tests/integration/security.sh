#!/bin/bash
# security.sh - escape attempts that must fail under the default spec, and
# resource abuse held by the cgroup limits while the host stays fine.
. "$(dirname "$0")/../lib/harness.sh"
plan 19

B=$EB_TMP/b
make_bundle "$B" true
cp "$EB_BUILD/tests/tools/eb-escape" "$B/rootfs/bin/"
attempt() { set_args "$B" eb-escape "$@"; eb run --bundle "$B" "esc-$1" 2>&1; }

check_match "mount is blocked" '^BLOCKED mount' "$(attempt mount)"
check_match "kernel module load is blocked" '^BLOCKED module-load' "$(attempt module)"
check_match "raw sockets are blocked" '^BLOCKED raw-socket' "$(attempt rawsock)"
if [ -e /proc/sysrq-trigger ]; then
    check_match "writing /proc/sysrq-trigger is blocked" '^BLOCKED sysrq' "$(attempt sysrq)"
else
    skip "writing /proc/sysrq-trigger is blocked" "this host kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ off)"
fi
# on every host (one count for the plan): the path is read-only by default
check_match "/proc/sysrq-trigger is in the default readonlyPaths" sysrq-trigger "$(jq -r '.linux.readonlyPaths[]' "$B/config.json")"
check_match "user namespace creation is blocked" '^BLOCKED userns' "$(attempt userns)"
check_match "keyctl is blocked" '^BLOCKED keyctl' "$(attempt keyctl)"

# host devices: no CAP_MKNOD by default; with it, the device cgroup still says no
disk=$(lsblk -dno MAJ:MIN 2>/dev/null | head -1 | tr -d ' ')
maj=${disk%%:*}; min=${disk##*:}
[ -z "$disk" ] && { maj=8; min=0; }
check_match "host block device: mknod blocked" '^BLOCKED hostdev-mknod' "$(attempt hostdev $maj $min)"
jq_edit "$B" '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
check_match "host block device: the device cgroup blocks open even with CAP_MKNOD" '^BLOCKED hostdev-open' "$(attempt hostdev $maj $min)"
cp "$B/config.json" "$EB_TMP/keep.json"
make_bundle "$B" true
cp "$EB_BUILD/tests/tools/eb-escape" "$B/rootfs/bin/"

# ptrace of a host process: invisible in the pid namespace, and blocked
# even when the host pid namespace is shared
sleep 300 & host=$!
set_args "$B" sh -c "kill -0 $host 2>&1 && echo visible || echo invisible"
check_match "host processes are invisible" invisible "$(eb run --bundle "$B" pt0 2>&1)"
jq_edit "$B" 'del(.linux.namespaces[] | select(.type == "pid"))'
check_match "ptrace of a host process is blocked (shared pid namespace)" '^BLOCKED ptrace' "$(attempt ptrace $host)"
kill $host
make_bundle "$B" true
cp "$EB_BUILD/tests/tools/eb-escape" "$B/rootfs/bin/"

# fork bomb held by the pids limit; the host can still fork
set_args "$B" sh -c 'exec 2>/dev/null; echo eb-marker-fb >/dev/null; b() { b | b & }; b; sleep 5'
jq_edit "$B" '.linux.resources.pids = {"limit": 64}'
eb run -d --bundle "$B" fb
sleep 2
cur=$(cat /sys/fs/cgroup/pids/edgebox/fb/pids.current 2>/dev/null || cat /sys/fs/cgroup/edgebox/fb/pids.current)
if [ "$cur" -le 64 ]; then pass "fork bomb held at the pids limit ($cur <= 64)"; else fail "fork bomb" "pids.current=$cur"; fi
check "the host still forks while the bomb runs" /bin/true
check_match "the pids cgroup recorded refused forks" '^max [1-9]' "$(cat /sys/fs/cgroup/pids/edgebox/fb/pids.events 2>/dev/null || cat /sys/fs/cgroup/edgebox/fb/pids.events)"
eb delete --force fb
check_eq "delete --force ends the fork bomb" "" "$(leftovers fb)"

# memory hog killed by the memory limit, reported as an OOM event
set_args "$B" eb-escape memhog 512
jq_edit "$B" '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
eb create --bundle "$B" mh
"$EDGEBOX" --root "$EB_ROOT" events --interval 100ms mh > "$EB_TMP/events.out" 2>&1 &
evp=$!
sleep 0.3
avail_before=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
eb start mh
wait_status mh stopped 100
sleep 0.3
kill $evp 2>/dev/null; wait $evp 2>/dev/null
out=$(cat /sys/fs/cgroup/memory/edgebox/mh/memory.oom_control 2>/dev/null)
check_match "memory hog killed by the OOM killer in its cgroup" 'oom_kill [1-9]' "$out"
check_match "events reports the OOM as type oom" '"type":"oom"' "$(cat "$EB_TMP/events.out")"
avail_after=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
if [ $((avail_before - avail_after)) -lt 262144 ]; then pass "the host's available memory is unaffected"; else fail "host memory" "$avail_before -> $avail_after kB"; fi
eb delete mh
check_eq "cleanup after OOM" "" "$(leftovers mh)"
