#!/bin/bash
# spec_features.sh - the OCI spec fields runc honours, one check each.
. "$(dirname "$0")/../lib/harness.sh"
plan 57

B=$EB_TMP/b
run_out() { # run_out ID: run bundle $B, print stdout+stderr and rc=N
    eb run --bundle "$B" "$1" 2>&1; echo "rc=$?"
}

# hostname / domainname
make_bundle "$B" sh -c 'hostname; cat /proc/sys/kernel/domainname'
jq_edit "$B" '.hostname = "eb-host" | .domainname = "eb.example"'
check_match "hostname and domainname" 'eb-host.eb.example' "$(run_out h1 | tr '\n' '.')"

# read-only rootfs, writable tmpfs mount, ro bind mount
mkdir -p "$EB_TMP/share" && echo shared-data > "$EB_TMP/share/f"
make_bundle "$B" sh -c 'touch /x 2>&1; cat /data/f; touch /data/g 2>&1; echo w > /scratch/ok && cat /scratch/ok'
jq_edit "$B" '.mounts += [{"destination": "/data", "type": "bind", "source": "'"$EB_TMP/share"'", "options": ["rbind", "ro"]},
   {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]}]'
out=$(run_out m1)
check_match "root.readonly makes / read-only" "touch: /x: Read-only file system" "$out"
check_match "bind mount content visible" "shared-data" "$out"
check_match "ro bind mount is read-only" "touch: /data/g: Read-only file system" "$out"
check_match "tmpfs mount is writable" "^w$" "$out"

# mount destination through a symlink that points out of the rootfs stays inside
make_bundle "$B" sh -c 'ls /evil/'
ln -s /etc "$B/rootfs/evil"
jq_edit "$B" '.mounts += [{"destination": "/evil/ebmnt", "type": "tmpfs", "source": "tmpfs"}]'
run_out m2 >/dev/null
check "a symlinked mount destination can't reach the host" test ! -e /etc/ebmnt

# masked and read-only paths
make_bundle "$B" sh -c 'cat /proc/kcore 2>&1 | wc -c; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/ns_last_pid 2>&1'
out=$(run_out mp)
check_match "maskedPaths: /proc/kcore is empty" '^0$' "$out"
check_match "readonlyPaths: /proc/sys is read-only" 'Read-only file system' "$out"

# sysctl
make_bundle "$B" sh -c 'cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/msgmax'
jq_edit "$B" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "12345"}'
check_match "sysctl applied in the container's namespaces" '1 12345' "$(run_out s1 | tr '\n' ' ')"

# rlimits: allowed and refused (root here lacks CAP_SYS_RESOURCE)
make_bundle "$B" sh -c 'ulimit -n; ulimit -Hn'
jq_edit "$B" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]'
check_match "rlimits applied" '100 200' "$(run_out rl1 | tr '\n' ' ')"
hard=$(ulimit -Hn)
jq_edit "$B" ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": $((hard + 1)), \"hard\": $((hard + 1))}]"
out=$(run_out rl2)
check_match "rlimit above the hard limit fails like runc, naming limit and value" "setrlimit RLIMIT_NOFILE \\(soft $((hard + 1)), hard $((hard + 1))\\).*rc=1" "$(echo $out)"
check_eq "  ... and leaves nothing" "" "$(leftovers rl2)"

# user, additionalGids, umask
make_bundle "$B" sh -c 'id -u; id -G; umask'
jq_edit "$B" '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20], "umask": 63}'
check_match "user, additionalGids, umask" '^1000 1000 10 20 0077 rc=0' "$(run_out u1 | tr '\n' ' ')"

# capabilities: default set, then an extra one
make_bundle "$B" sh -c 'grep CapEff /proc/self/status'
check_match "default capabilities: AUDIT_WRITE, KILL, NET_BIND_SERVICE" 'CapEff:.0000000020000420' "$(run_out cap1)"
jq_edit "$B" '.process.capabilities.bounding += ["CAP_NET_ADMIN"] | .process.capabilities.effective += ["CAP_NET_ADMIN"] | .process.capabilities.permitted += ["CAP_NET_ADMIN"]'
check_match "an added capability is effective" 'CapEff:.0000000020001420' "$(run_out cap2)"
jq_edit "$B" '.process.capabilities.bounding += ["CAP_NOT_REAL"]'
check_match "an unknown capability is refused" 'unknown capability .CAP_NOT_REAL' "$(run_out cap3)"

# noNewPrivileges off
make_bundle "$B" sh -c 'grep NoNewPrivs /proc/self/status'
jq_edit "$B" '.process.noNewPrivileges = false'
check_match "noNewPrivileges false" 'NoNewPrivs:.0' "$(run_out nnp)"

# oomScoreAdj: raising works, lowering below the current value is EACCES here
make_bundle "$B" sh -c 'cat /proc/self/oom_score_adj'
jq_edit "$B" '.process.oomScoreAdj = 500'
check_match "oomScoreAdj 500" '^500' "$(run_out oom1)"
jq_edit "$B" '.process.oomScoreAdj = -500'
out=$(run_out oom2)
if [ "$(cat /proc/self/oom_score_adj)" -le -500 ]; then
    check_match "oomScoreAdj -500" '^-500' "$out"
else
    check_match "negative oomScoreAdj without CAP_SYS_RESOURCE fails with EACCES" 'oomScoreAdj -500.*Permission denied' "$out"
fi

# devices: a listed device node is created and usable (the cgroup's
# denials are checked under resources below)
make_bundle "$B" sh -c 'ls -l /dev/eb-null | cut -c1; echo x > /dev/eb-null && echo wrote'
jq_edit "$B" '.linux.devices = [{"path": "/dev/eb-null", "type": "c", "major": 1, "minor": 3, "fileMode": 438}]'
out=$(run_out dev1)
check_match "linux.devices: node created" '^c' "$out"
check_match "linux.devices: usable" 'wrote' "$out"

# seccomp: a custom profile with errno, argument filters and kill
make_bundle "$B" sh -c 'mkdir /tmp/d 2>&1; echo after-mkdir; chmod 0700 /tmp 2>&1; echo after-chmod'
jq_edit "$B" '.root.readonly = false | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
  {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
  {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}]}]}'
out=$(run_out sc1)
check_match "seccomp SCMP_ACT_ERRNO with errnoRet" 'mkdir.*(Function not implemented|not implemented)' "$out"
check_match "seccomp argument filter" "chmod.*Operation not permitted" "$out"
jq_edit "$B" '.linux.seccomp.syscalls = [{"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"}] | .process.args = ["sh", "-c", "echo $PPID"]'
check_match "seccomp SCMP_ACT_KILL_PROCESS" 'rc=159' "$(run_out sc2)"
jq_edit "$B" '.linux.seccomp.defaultAction = "SCMP_ACT_BOGUS"'
check_match "unknown seccomp action is refused" 'unknown seccomp action' "$(run_out sc3)"

# default profile blocks user namespaces and keyctl, unlike runc's default spec
make_bundle "$B" eb-escape userns
cp "$EB_BUILD/tests/tools/eb-escape" "$B/rootfs/bin/"
check_match "default seccomp: unshare(CLONE_NEWUSER) blocked" 'BLOCKED userns' "$(run_out sd1)"
set_args "$B" eb-escape keyctl
check_match "default seccomp: keyctl blocked" 'BLOCKED keyctl' "$(run_out sd2)"

# user namespace with id mappings
make_bundle "$B" sh -c 'cat /proc/self/uid_map; id -u; ls -ln /bin/busybox | cut -d" " -f3-4'
jq_edit "$B" '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
  | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
chown -R 100000:100000 "$B/rootfs"
chmod 755 "$EB_TMP" "$B"
out=$(run_out un1)
check_match "user namespace: uid_map written" '0 +100000 +65536' "$out"
check_match "user namespace: root inside" '^0$' "$out"

# joining namespaces by path (the pod pattern): c2 joins c1's network and ipc
make_bundle "$B" sleep 30
eb run -d --bundle "$B" pod1
p1=$(eb state pod1 | jq -r .pid)
make_bundle "$EB_TMP/b2" sh -c '[ "$(readlink /proc/self/ns/net)" = "'"$(readlink /proc/$p1/ns/net)"'" ] && echo joined-net; readlink /proc/self/ns/ipc'
jq_edit "$EB_TMP/b2" "(.linux.namespaces[] | select(.type == \"network\")) .path = \"/proc/$p1/ns/net\" | (.linux.namespaces[] | select(.type == \"ipc\")) .path = \"/proc/$p1/ns/ipc\""
sleep 0.3
out=$(eb run --bundle "$EB_TMP/b2" pod2 2>&1)
check_match "namespace joined by path: network" 'joined-net' "$out"
check_eq "namespace joined by path: ipc" "$(readlink /proc/$p1/ns/ipc)" "$(echo "$out" | tail -1)"
eb delete -f pod1

# hooks: tests/integration/hooks.sh

# cgroup resources from the spec
# (a blkio weight only where the host's I/O scheduler has one: CFQ's
# blkio.weight, BFQ's blkio.bfq.weight; none with "none" or mq-deadline)
weight=
pb=/sys/fs/cgroup/blkio/eb-probe-$$   # (BFQ's file is on no root cgroup)
mkdir -p "$pb" 2>/dev/null
{ [ -e "$pb/blkio.weight" ] || [ -e "$pb/blkio.bfq.weight" ]; } && weight=', "blockIO": {"weight": 300}'
rmdir "$pb" 2>/dev/null
make_bundle "$B" sleep 30
jq_edit "$B" '.linux.resources += {"memory": {"limit": 33554432, "reservation": 16777216}, "cpu": {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0"},
  "pids": {"limit": 32}'"$weight"'}'
eb run -d --bundle "$B" cg1
cg=edgebox/cg1
check_eq "resources: memory.limit" 33554432 "$(cat /sys/fs/cgroup/memory/$cg/memory.limit_in_bytes)"
check_eq "resources: memory.reservation" 16777216 "$(cat /sys/fs/cgroup/memory/$cg/memory.soft_limit_in_bytes)"
check_eq "resources: cpu.shares" 512 "$(cat /sys/fs/cgroup/cpu/$cg/cpu.shares)"
check_eq "resources: cpu quota/period" "20000 100000" "$(cat /sys/fs/cgroup/cpu/$cg/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/$cg/cpu.cfs_period_us)"
check_eq "resources: cpuset" 0 "$(cat /sys/fs/cgroup/cpuset/$cg/cpuset.cpus)"
check_eq "resources: pids" 32 "$(cat /sys/fs/cgroup/pids/$cg/pids.max)"
if [ -n "$weight" ]; then
    check_eq "resources: blkio weight" 300 "$(cat /sys/fs/cgroup/blkio/$cg/blkio.weight 2>/dev/null || awk '{print $NF}' /sys/fs/cgroup/blkio/$cg/blkio.bfq.weight)"
else
    skip "resources: blkio weight" "no blkio.weight or blkio.bfq.weight in the host's blkio hierarchy (I/O scheduler: $(cat /sys/block/*/queue/scheduler 2>/dev/null | head -1))"
fi
check_match "resources: devices cgroup denies by default" 'c 1:3 rwm' "$(cat /sys/fs/cgroup/devices/$cg/devices.list)"
check_nomatch "resources: no blanket device access" '^a ' "$(cat /sys/fs/cgroup/devices/$cg/devices.list)"
eb delete -f cg1

# hugetlb: in this host's hybrid layout it lives in the unified hierarchy
make_bundle "$B" sleep 30
hp=$(ls /sys/kernel/mm/hugepages 2>/dev/null | grep -q hugepages-2048kB && echo 2MB)
if [ -n "$hp" ] && { [ -d /sys/fs/cgroup/hugetlb ] || grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; }; then
    jq_edit "$B" ".linux.resources.hugepageLimits = [{\"pageSize\": \"$hp\", \"limit\": 4194304}]"
    eb run -d --bundle "$B" hp1
    v=$(cat /sys/fs/cgroup/hugetlb/edgebox/hp1/hugetlb.$hp.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/unified/edgebox/hp1/hugetlb.$hp.max 2>/dev/null)
    check_eq "resources: hugepageLimits ($hp)" 4194304 "$v"
    eb delete -f hp1
else
    skip "resources: hugepageLimits" "no hugetlb cgroup controller on this host"
fi

# linux.resources.network: an error without a net_cls/net_prio hierarchy;
# with one (mounted in a private mount namespace, so only this test sees
# it), the classid is written
make_bundle "$B" sleep 30
jq_edit "$B" '.linux.resources.network = {"classID": 1048577}'
if grep -qw net_cls /proc/self/mountinfo; then
    skip "resources: network.classID without net_cls" "this host mounts net_cls (test_core covers the missing case)"
    skip "  ... and leaves nothing" "this host mounts net_cls"
else
    check_match "resources: network.classID without a net_cls hierarchy is an error" \
        'level=error.*classID requested but no net_cls cgroup hierarchy is mounted' "$(run_out nc1)"
    check_eq "  ... and leaves nothing" "" "$(leftovers nc1)"
fi
jq_edit "$B" '.linux.resources.network = {"priorities": [{"name": "lo", "priority": 3}]}'
if grep -qw net_prio /proc/self/mountinfo; then
    skip "resources: network.priorities without net_prio" "this host mounts net_prio"
else
    check_match "resources: network.priorities without a net_prio hierarchy is an error" \
        'priorities requested but no net_prio cgroup hierarchy is mounted' "$(run_out nc2)"
fi
if grep -qw net_cls /proc/cgroups && ! grep -qw net_cls /proc/self/mountinfo; then
    mkdir -p "$EB_TMP/netcls"
    jq_edit "$B" '.linux.resources.network = {"classID": 1048577}'
    # The hierarchy must be gone after the test: umount destroys it only
    # once its last child cgroup is freed (num_cgroups back to 1), else it
    # lingers unmounted in every process's /proc/self/cgroup.
    cat > "$EB_TMP/netcls.sh" <<NETCLS
mount -t cgroup -o net_cls cgroup $EB_TMP/netcls || exit 1
$EDGEBOX --root $EB_ROOT run -d --bundle $B nc3 && cat $EB_TMP/netcls/edgebox/nc3/net_cls.classid
$EDGEBOX --root $EB_ROOT delete -f nc3
rmdir $EB_TMP/netcls/edgebox
for i in \$(seq 100); do [ "\$(awk '\$1 == "net_cls" { print \$3 }' /proc/cgroups)" = 1 ] && break; sleep 0.05; done
umount $EB_TMP/netcls
NETCLS
    v=$(unshare -m --propagation private sh "$EB_TMP/netcls.sh" 2>&1)
    check_eq "resources: network.classID written to net_cls.classid" 1048577 "$v"
else
    skip "resources: network.classID written" "the kernel has no net_cls controller, or the host mounts it"
fi

# AppArmor / SELinux fields on a host without those LSMs: ignored, as runc
make_bundle "$B" true
jq_edit "$B" '.process.apparmorProfile = "eb-profile" | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
if [ -d /sys/kernel/security/apparmor ] || [ -e /sys/fs/selinux/enforce ]; then
    skip "LSM fields ignored without an LSM" "this host has an active LSM"
else
    check_match "apparmorProfile/selinuxLabel without an active LSM" 'rc=0' "$(run_out lsm)"
fi

# rootfsPropagation: the new root's propagation, set after pivot_root
# (which refuses a shared parent); mountinfo's 5th field is the mount point
make_bundle "$B" sh -c 'awk "\$5 == \"/\"" /proc/self/mountinfo'
jq_edit "$B" '.linux.rootfsPropagation = "private"'
out=$(run_out rp)
check_match "rootfsPropagation private: / is not shared" '^[0-9]+ [0-9]+ [0-9]+:[0-9]+ [^ ]+ / ' "$(echo "$out" | grep -v shared: | head -1)"
jq_edit "$B" '.linux.rootfsPropagation = "shared"'
out=$(run_out rp2)
check_match "rootfsPropagation shared: create succeeds" 'rc=0' "$out"
check_match "rootfsPropagation shared: / is shared in the container" ' / [^ ]+ shared:[0-9]+' "$out"

# no mount namespace of its own, or one joined by path: the init reaches
# the exec fifo without a /proc in its new root (it died with 127 after a
# create that returned 0)
make_bundle "$B" sh -c 'echo no-mount-ns'
jq_edit "$B" '.linux.namespaces |= map(select(.type != "mount"))'
check_match "no mount namespace: create, start, the program runs" 'no-mount-ns rc=0' "$(echo $(run_out nm1))"
jq_edit "$B" '.linux.namespaces += [{"type": "mount", "path": "/proc/'$$'/ns/mnt"}] | .process.args = ["sh", "-c", "echo joined-mount-ns"]'
check_match "mount namespace joined by path: the program runs" 'joined-mount-ns rc=0' "$(echo $(run_out nm2))"

# start returns once the program is exec'd (a startContainer hook holds
# the init half a second before it)
make_bundle "$B" sleep 30
jq_edit "$B" '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 0.5"]}]'
eb create --bundle "$B" st1
eb start st1
check_match "start returns once the program runs" 'busybox$' "$(readlink /proc/$(eb state st1 | jq -r .pid)/exe)"
eb delete -f st1

# a capability outside the runtime's bounding set fails create, named
make_bundle "$B" true
jq_edit "$B" '.process.capabilities.bounding += ["CAP_SYS_MODULE"] | .process.capabilities.permitted += ["CAP_SYS_MODULE"]
  | .process.capabilities.effective += ["CAP_SYS_MODULE"]'
out=$(capsh --drop=cap_sys_module -- -c "$EDGEBOX --root $EB_ROOT run --bundle $B cb1" 2>&1)
check_match "a capability the host dropped fails create, named" 'level=error.*CAP_SYS_MODULE is not in the runtime.s bounding set' "$out"
check_eq "  ... and leaves nothing" "" "$(leftovers cb1)"

# seccomp SCMP_ACT_NOTIFY: the listener gets the notify fd and the state
make_bundle "$B" sh -c 'mkdir /tmp/n 2>&1; echo after'
jq_edit "$B" '.root.readonly = false | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "'"$EB_TMP/listener.sock"'",
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
"$EB_BUILD/tests/tools/eb-recvtty" "$EB_TMP/listener.sock" "$EB_TMP/listener.out" > "$EB_TMP/listener.log" 2>&1 &
lp=$!
for i in $(seq 50); do grep -q ready "$EB_TMP/listener.log" 2>/dev/null && break; sleep 0.05; done
out=$(run_out sn1)
sleep 0.2; kill $lp 2>/dev/null; wait $lp 2>/dev/null
check_match "seccomp notify: the listener received a seccomp notify fd" 'seccomp' "$(cat "$EB_TMP/listener.out.fd" 2>/dev/null)"
check_eq "seccomp notify: with the container's state" sn1 "$(jq -r .id "$EB_TMP/listener.out.msg" 2>/dev/null)"
check_match "seccomp notify: an unanswered call fails once the listener is gone" 'mkdir.*after' "$(echo $out)"
