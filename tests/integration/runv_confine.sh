#!/bin/bash
# runv_confine.sh - the second wall: QEMU and virtiofsd confined (issue 22).
#
# Two pod sandboxes run at once; everything is read from the host's /proc
# while they run: identity, capabilities, no_new_privs, seccomp, the mount
# namespace's view, the pod's cgroup and its memory limit.  Then what a
# QEMU the monitor SIGKILLs (delete) or that dies of SIGKILL leaves behind.
. "$(dirname "$0")/../lib/harness.sh"
plan 29

ebv() { "$EDGEBOX" --root "$EB_ROOT" --class runv "$@"; }
pod() { jq_edit "$1" ".annotations[\"io.kubernetes.cri.container-type\"] = \"sandbox\"
                     | .annotations[\"io.kubernetes.cri.sandbox-id\"] = \"$2\""; }
status() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
qemu_of() { pgrep -f "qemu-system.*-name edgebox-$1( |\$)" | head -1; }
# virtiofsd's first process (the one we exec) and its sandboxed worker
vfsd_of() { pgrep -o -f "virtiofsd.*$EB_ROOT/.runv/$1/shared"; }
vfsd_worker() { pgrep -P "$(vfsd_of "$1")" | head -1; }
v1_cg() { awk -F: -v c="$2" '$2 == c {print $3}' "/proc/$1/cgroup"; }
leftovers() { # what a sandbox may leave: processes of its uid, its cgroup, mounts, its dir
    local sid=$1 uid=$2 cg=$3 out=""
    [ -n "$uid" ] && pgrep -u "$uid" >/dev/null && out="$out uid-processes"
    [ -n "$cg" ] && [ -d "/sys/fs/cgroup/memory$cg" ] && out="$out cgroup"
    pgrep -f "virtiofsd.*$EB_ROOT/.runv/$sid/shared" >/dev/null && out="$out virtiofsd"
    grep -q "$EB_ROOT/.runv/$sid" /proc/mounts && out="$out mounts"
    [ -e "$EB_ROOT/.runv/$sid" ] && out="$out sandbox-dir"
    echo "$out"
}
wait_gone() { local i; for i in $(seq 1 100); do [ ! -e "$EB_ROOT/.runv/$1" ] && return 0; sleep 0.2; done; return 1; }

out=$("$EDGEBOX" check 2>&1)
check_match "check: reports QEMU's confinement" 'QEMU confinement: .*uid of its own.*-sandbox on' "$out"
check_match "check: reports virtiofsd's confinement" 'virtiofsd confinement: .*sandbox=namespace' "$out"

for s in cf1 cf2; do
    make_bundle "$EB_TMP/$s" sleep 100000
    pod "$EB_TMP/$s" $s
    jq_edit "$EB_TMP/$s" ".linux.cgroupsPath = \"/edgebox-test/pod-$s/$s\""
    ebv create --bundle "$EB_TMP/$s" $s 2>"$EB_TMP/$s.err" && ebv start $s
done
check_eq "two sandboxes run" "running running" "$(ebv state cf1 | jq -r .status) $(ebv state cf2 | jq -r .status)"
q=$(qemu_of cf1); q2=$(qemu_of cf2)
uid=$(status "$q" Uid | head -1); gid=$(status "$q" Gid)
check_match "QEMU: not uid 0" '^[1-9][0-9]*$' "$uid"
check_eq "QEMU: every uid is the sandbox's (real, effective, saved, fs)" "$uid $uid $uid $uid" "$(grep ^Uid: /proc/$q/status | cut -f2- | tr '\t' ' ')"
check_match "QEMU: not gid 0" '^[1-9][0-9]*$' "$gid"
check_eq "QEMU: no supplementary group (TCG: no /dev/kvm group)" "" "$(status "$q" Groups)"
q2uid=$(status "$q2" Uid)
check_match "QEMU: each sandbox its own uid" "^[1-9][0-9]*$" "$([ "$q2uid" != "$uid" ] && echo "$q2uid")"
check_eq "QEMU: CapEff 0" 0000000000000000 "$(status "$q" CapEff)"
check_eq "QEMU: CapPrm 0, CapBnd 0" "0000000000000000 0000000000000000" "$(status "$q" CapPrm) $(status "$q" CapBnd)"
check_eq "QEMU: NoNewPrivs 1" 1 "$(status "$q" NoNewPrivs)"
check_eq "QEMU: Seccomp 2" 2 "$(status "$q" Seccomp)"
check_match "QEMU: every deny of -sandbox" 'sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny' "$(tr '\0' ' ' < /proc/$q/cmdline)"
check_eq "QEMU: core dumps off (RLIMIT_CORE 0)" "0 0" "$(awk '/^Max core file size/ {print $5, $6}' /proc/$q/limits)"
check_eq "QEMU: RLIMIT_NOFILE 1024" "1024 1024" "$(awk '/^Max open files/ {print $4, $5}' /proc/$q/limits)"
check_match "QEMU: virtiofsd's socket handed over as a descriptor (no path)" 'socket,id=vfs,fd=[0-9]+ ' "$(tr '\0' ' ' < /proc/$q/cmdline)"
r=/proc/$q/root
check_eq "QEMU's view: no /etc/shadow" no "$([ -e $r/etc/shadow ] && echo yes || echo no)"
check_eq "QEMU's view: no other sandbox's directory" no "$([ -e "$r$EB_ROOT/.runv/cf2" ] && echo yes || echo no)"
check_eq "QEMU's view: not even its own sandbox directory (sockets are fds)" no "$([ -e "$r$EB_ROOT/.runv/cf1/monitor.sock" ] && echo yes || echo no)"
check_eq "QEMU's view: the guest kernel, read-only" "yes ro" "$([ -r "$r$EDGEBOX_GUEST_DIR/vmlinuz" ] && echo yes) $(awk -v p="$EDGEBOX_GUEST_DIR/vmlinuz" '$5 == p {split($6, o, ","); print o[1]}' /proc/$q/mountinfo)"
check_eq "QEMU's view: /usr read-only" ro "$(awk '$5 == "/usr" {split($6, o, ","); print o[1]}' /proc/$q/mountinfo)"
v=$(vfsd_of cf1); w=$(vfsd_worker cf1)
check_eq "virtiofsd: both processes NoNewPrivs 1, Seccomp 2" "1 2 1 2" "$(status "$v" NoNewPrivs) $(status "$v" Seccomp) $(status "$w" NoNewPrivs) $(status "$w" Seccomp)"
# virtiofsd pivots into the share itself: both its processes' root is the share
check_eq "virtiofsd's view: its share only (no /etc/shadow, no usr, the pod's rootfs)" "no no yes" \
    "$([ -e /proc/$v/root/etc/shadow ] && echo yes || echo no) $([ -e /proc/$w/root/usr ] && echo yes || echo no) $([ -d /proc/$w/root/cf1/rootfs/bin ] && echo yes || echo no)"
check_eq "cgroup: QEMU, virtiofsd in the pod's (memory, cpu, pids)" \
    "/edgebox-test/pod-cf1/cf1 /edgebox-test/pod-cf1/cf1 /edgebox-test/pod-cf1/cf1 /edgebox-test/pod-cf1/cf1" \
    "$(v1_cg "$q" memory) $(v1_cg "$q" cpu) $(v1_cg "$q" pids) $(v1_cg "$w" memory)"
d=/sys/fs/cgroup/memory/edgebox-test/pod-cf1/cf1
check_eq "cgroup: memory bound to the guest's RAM + the host overhead" $(((320 + 192) << 20)) "$(cat $d/memory.limit_in_bytes)"
check_match "cgroup: the VM's memory is charged there (> 16 MiB)" '^[0-9]+$' "$(u=$(cat $d/memory.usage_in_bytes); [ "$u" -gt 16777216 ] && echo "$u")"
cg2=$(v1_cg "$q2" memory)

# ---- the monitor SIGKILLs QEMU (delete): nothing stays ----
ebv delete -f cf1
wait_gone cf1
check_eq "delete (the monitor SIGKILLs QEMU): nothing left" "" "$(leftovers cf1 "$uid" /edgebox-test/pod-cf1/cf1)"
# ---- QEMU dies of SIGKILL: the monitor tears the sandbox down ----
kill -9 "$q2"
wait_gone cf2
check_eq "QEMU SIGKILLed: nothing left" "" "$(leftovers cf2 "$q2uid" "$cg2")"
ebv delete -f cf2 >/dev/null 2>&1
rmdir /sys/fs/cgroup/*/edgebox-test/pod-cf* /sys/fs/cgroup/*/edgebox-test 2>/dev/null
out=$(if [ -n "$uid" ] && [ -n "$q2uid" ]; then pgrep -u "$uid,$q2uid"; else echo "no uid was read"; fi)
check_eq "after both: the uids are free (no process left)" "" "$out"
