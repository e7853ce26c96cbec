#!/bin/bash
# pool.sh - pre-booted sandboxes (docs/pool.md): a claimed VM serves a pod
# as a cold-booted one does, is its own (hostname, MAC, address, routes,
# boot id, clock, entropy, cgroup, uid), is never handed out twice or after
# it died, is replaced, and a drain leaves nothing.
. "$(dirname "$0")/../lib/harness.sh"
plan 44

export EDGEBOX_POOL=320:1:2
ebv() { "$EDGEBOX" --root "$EB_ROOT" --class runv --log "$EB_TMP/runv.log" "$@"; }
status() { "$EDGEBOX" --root "$EB_ROOT" pool status | jq -r ".runv.classes[0].$1"; }
wait_ready() { # wait_ready N: the class has N ready VMs (and none booting) within 90 s
    local i; for i in $(seq 180); do [ "$(status ready)/$(status booting)" = "$1/0" ] && return 0; sleep 0.5; done; return 1
}
pool_vms() { ls "$EB_ROOT/.runv-pool" 2>/dev/null | grep '^p320x1-'; }
claimed_vm() { sed -n "s/.*sandbox $1: claimed pooled VM \([^\"]*\)\".*/\1/p" "$EB_TMP/runv.log" | tail -1; }
pod() { jq_edit "$1" ".annotations[\"io.kubernetes.cri.container-type\"] = \"sandbox\"
                      | .annotations[\"io.kubernetes.cri.sandbox-id\"] = \"$2\" | .hostname = \"$2\""; }
# What pooled VMs NAMES... may leave behind: QEMU, virtiofsd, monitors,
# mounts, cgroups, the pool's directory.
pool_leftovers() {
    local out="" n
    for n in "$@"; do
        pgrep -f "qemu-system.*-name edgebox-$n( |\$)" >/dev/null && out="$out qemu:$n"
        ls -d /sys/fs/cgroup/*/edgebox/$n /sys/fs/cgroup/edgebox/$n >/dev/null 2>&1 && out="$out cgroup:$n"
    done
    pgrep -f "virtiofsd.*$EB_ROOT/.runv-pool" >/dev/null && out="$out virtiofsd"
    grep -q "$EB_ROOT/.runv-pool" /proc/mounts && out="$out mounts"
    [ -e "$EB_ROOT/.runv-pool" ] && out="$out directory"
    ip -o link | grep -q ebtap && out="$out tap-on-the-host"
    echo "$out"
}
H=ebph$$ P=ebpp$$ N2=ebpn$$
trap 'for i in $(ls "$EB_ROOT" 2>/dev/null); do ebv delete -f "$i" >/dev/null 2>&1; done
      kill $kp 2>/dev/null; "$EDGEBOX" --root "$EB_ROOT" pool drain >/dev/null 2>&1
      ip netns del $P 2>/dev/null; ip netns del $H 2>/dev/null; ip netns del $N2 2>/dev/null; rm -rf "$EB_TMP"' EXIT

out=$(EDGEBOX_POOL= "$EDGEBOX" --root "$EB_ROOT" check 2>&1)
check_match "check: no class configured, the pool is off" 'pool of pre-booted sandboxes: off' "$out"
out=$(EDGEBOX_POOL=320:1:99 "$EDGEBOX" --root "$EB_ROOT" pool status 2>&1)
check_match "config: a size out of bounds is refused, naming the bound" 'size 0-16' "$out"

"$EDGEBOX" --root "$EB_ROOT" pool fill >/dev/null 2>"$EB_TMP/fill.err"
check_eq "fill: two VMs of the class ready" "2/0" "$(status ready)/$(status booting)"
check_match "check: shows the class and its ready VMs" '320 MiB x 1 vCPU: 2 of 2 ready' "$("$EDGEBOX" --root "$EB_ROOT" check 2>&1)"
vm=$(pool_vms | head -1)
out=$(python3 "$EB_SRC/bench/agent-call.py" "$EB_ROOT/.runv-pool/$vm/monitor.sock" 1 state x 2>&1 || true)
check_match "an unclaimed VM refuses every request but the claim" 'pooled VM, not claimed|not claimed' "$out"

# ---- a pod in a claimed VM, on the reference CNI bridge ----
ip netns add $H; ip netns add $P; ip -n $H link set lo up
res=$(cni_bridge ADD ebp 10.99.8.0/24)
ip=$(echo "$res" | jq -r '.ips[0].address' | cut -d/ -f1)
make_bundle "$EB_TMP/a" sh -c 'echo started-in-a; while :; do echo pong-from-a | nc -l -p 8080; done'
pod "$EB_TMP/a" poda
jq_edit "$EB_TMP/a" "(.linux.namespaces[] | select(.type == \"network\")) .path = \"/run/netns/$P\""
ebv run -d --bundle "$EB_TMP/a" poda > "$EB_TMP/a.out" 2>"$EB_TMP/a.err"
vma=$(claimed_vm poda)
check_match "claim: the pod's create took a pooled VM" '^p320x1-' "$vma"
check_eq "claim: its directory became the sandbox's" "yes no" \
    "$([ -S "$EB_ROOT/.runv/poda/monitor.sock" ] && echo yes) $([ -n "$vma" ] && [ ! -e "$EB_ROOT/.runv-pool/$vma" ] && echo no)"
check_eq "claimed VM: runs the container (exec)" "in-a" "$(ebv exec poda echo in-a)"
out=$(python3 "$EB_SRC/bench/agent-call.py" "$EB_ROOT/.runv/poda/monitor.sock" 1 state edgebox-warm-up 2>&1 || true)
check_match "warm-up: the VM created its own container before it was ready, and none is left in the guest" \
    "VM $vma ready .*its warm-up container took [0-9]+ ms.*\|.*does not exist" \
    "$(grep -o "VM $vma ready [^\"]*" "$EB_ROOT/.runv-pool/pool.log" | head -1)|$out"
check_eq "identity: the pod's hostname" poda "$(ebv exec poda hostname)"
check_eq "identity: eth0 has the veth's MAC" "$(ip -n $P link show eth0 | awk '/link\/ether/ {print $2}')" \
    "$(ebv exec poda cat /sys/class/net/eth0/address)"
check_eq "identity: eth0 has the pod's address" "$ip" "$(ebv exec poda ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)"
check_match "identity: the default route via the bridge" 'default via 10\.99\.8\.1' "$(ebv exec poda ip route)"
check_eq "identity: the MTU is the veth's" "$(ip -n $P -o link show eth0 | sed 's/.*mtu \([0-9]*\).*/\1/')" \
    "$(ebv exec poda cat /sys/class/net/eth0/mtu)"
out=""
for i in $(seq 20); do
    out=$(ip netns exec $H timeout 5 busybox nc "$ip" 8080 </dev/null 2>/dev/null) && [ -n "$out" ] && break
    sleep 0.5
done
check_eq "pod network: a TCP server in the claimed VM answers the host side (tap moved, tc redirects)" pong-from-a "$out"
check_eq "pod network: the tap and its redirect are in the pod's namespace" "ebtap0 ingress" \
    "$(ip -n $P -o link | grep -o 'ebtap0' | head -1) $(tc -n $P qdisc show dev eth0 | grep -o ingress)"
now=$(date +%s); g=$(ebv exec poda date +%s)
check "identity: the guest's clock was set at claim (within 5 s of the host's)" test $((g - now)) -le 5 -a $((now - g)) -le 5
check_match "identity: fresh entropy from the host's getrandom, credited with RNDADDENTROPY" \
    'sandbox poda: a pooled VM, booted [0-9]+ ms ago, claimed \(guest clock set, 512 bits of entropy added\)' "$(cat "$EB_TMP/runv.log")"
qa=$(cut -d' ' -f1 "$EB_ROOT/.runv/poda/qemu.pid")
check "claim: QEMU moved to the pod's cgroup" grep -qx "$qa" /sys/fs/cgroup/memory/edgebox/poda/cgroup.procs
check_eq "claim: the pool VM's cgroup is gone" "" "$(ls -d /sys/fs/cgroup/*/edgebox/$vma 2>/dev/null)"
check_eq "claim: QEMU keeps its own uid, at the normal priority again" "1 0" \
    "$([ "$(stat -c %u /proc/$qa)" -ge 1879048192 ] && echo 1) $(ps -o ni= -L -p $qa | sort -u | tr -d ' ' | sort -n | tail -1)"
ev=$(ebv events --stats poda)
check_match "claimed VM: stats through edgebox" '^[1-9][0-9]*$' "$(echo "$ev" | jq -r .data.cpu.usage.total)"
check_eq "claimed VM: the container's output (logs)" started-in-a "$(head -1 "$EB_TMP/a.out")"

# ---- two more pods at once: other VMs, other boot ids ----
wait_ready 2
make_bundle "$EB_TMP/b" sleep 1000
cp -a "$EB_TMP/b" "$EB_TMP/b2"
pod "$EB_TMP/b" podb; pod "$EB_TMP/b2" podb2
ebv run -d --bundle "$EB_TMP/b" podb 2>"$EB_TMP/b.err" & ebv run -d --bundle "$EB_TMP/b2" podb2 2>"$EB_TMP/b2.err" & wait
vmb=$(claimed_vm podb) vmb2=$(claimed_vm podb2)
check_eq "two pods created at once get two different VMs" "3 distinct" \
    "$(printf '%s\n' "$vma" "$vmb" "$vmb2" | grep -c .) $([ "$(printf '%s\n' "$vma" "$vmb" "$vmb2" | sort -u | grep -c .)" = 3 ] && echo distinct)"
ids=$(for p in poda podb podb2; do ebv exec $p cat /proc/sys/kernel/random/boot_id; done)
check_eq "identity: boot ids differ between claimed VMs" "3 3" "$(echo "$ids" | grep -cE '^[0-9a-f-]{36}$') $(echo "$ids" | sort -u | wc -l)"
check "refill: the pool is back to 2 ready VMs" wait_ready 2
check_eq "refill: the replacements are new VMs" "2 new" \
    "$(pool_vms | grep -c .) $(pool_vms | grep -qx -e "$vma" -e "$vmb" -e "$vmb2" || echo new)"

# ---- a VM that dies while it waits is replaced, never handed out ----
dead=$(pool_vms | head -1)
kill -9 "$(cut -d' ' -f1 "$EB_ROOT/.runv-pool/$dead/qemu.pid")"
for i in $(seq 50); do [ -e "$EB_ROOT/.runv-pool/$dead" ] || break; sleep 0.1; done
check_eq "a VM whose QEMU died is removed by its monitor" "removed" \
    "$([ -n "$dead" ] && [ ! -e "$EB_ROOT/.runv-pool/$dead" ] && echo removed)"
check "... and replaced (2 ready again)" wait_ready 2
check_eq "... counted as discarded" 1 "$("$EDGEBOX" --root "$EB_ROOT" pool status | jq -r .runv.counters.discarded)"
make_bundle "$EB_TMP/c" sleep 1000
pod "$EB_TMP/c" podc
ebv run -d --bundle "$EB_TMP/c" podc 2>"$EB_TMP/c.err"
check_match "... and a pod created next gets a live VM" "^p320x1- running$" \
    "$(claimed_vm podc | grep -v -x "$dead" | cut -c1-7) $(ebv state podc | jq -r .status)"

# ---- a size no class has boots cold ----
make_bundle "$EB_TMP/d" sleep 1000
pod "$EB_TMP/d" podd
jq_edit "$EB_TMP/d" '.linux.resources.memory.limit = 536870912'
ebv run -d --bundle "$EB_TMP/d" podd 2>"$EB_TMP/d.err"
check_eq "a size no class has boots cold, and runs" "running" "$(ebv state podd | jq -r .status)"
check_match "... saying why" 'sandbox podd: boots cold: no pool class of 576 MiB, 1 vCPUs' "$(cat "$EB_TMP/runv.log")"

# ---- the pod's network decides too: two interfaces boot cold, none gets no tap ----
wait_ready 2
N2=ebpn$$
ip netns add $N2; ip -n $N2 link add ebpd0 type veth peer name ebpd1
make_bundle "$EB_TMP/e" sleep 1000
pod "$EB_TMP/e" pode
jq_edit "$EB_TMP/e" "(.linux.namespaces[] | select(.type == \"network\")) .path = \"/run/netns/$N2\""
ebv run -d --bundle "$EB_TMP/e" pode 2>"$EB_TMP/e.err"
check_eq "a pod with more interfaces than a pooled VM's NICs boots cold, saying why" \
    "running sandbox pode: boots cold: the pod has 2 interfaces, a pooled VM 1" \
    "$(ebv state pode | jq -r .status) $(grep -o 'sandbox pode: boots cold: [^"]*' "$EB_TMP/runv.log")"
ebv delete -f pode; ip netns del $N2
ip netns add $N2
make_bundle "$EB_TMP/f" sleep 1000
pod "$EB_TMP/f" podf
jq_edit "$EB_TMP/f" "(.linux.namespaces[] | select(.type == \"network\")) .path = \"/run/netns/$N2\""
ebv run -d --bundle "$EB_TMP/f" podf 2>"$EB_TMP/f.err"
check_match "a pod whose namespace has only lo is claimed, and gets no tap in it" "^p320x1-[^ ]+ lo\$" \
    "$(claimed_vm podf) $(ip -n $N2 -o link | awk -F': ' '{print $2}' | paste -sd' ')"
ebv delete -f podf; ip netns del $N2

# ---- another runtime's VMs are never claimed; a fill stops them ----
wait_ready 2
old=$(pool_vms | head -1)
jq '.stamp = "edgebox 0.0.1 older"' "$EB_ROOT/.runv-pool/$old/pool.json" > "$EB_TMP/pj" && cp "$EB_TMP/pj" "$EB_ROOT/.runv-pool/$old/pool.json"
"$EDGEBOX" --root "$EB_ROOT" --log "$EB_TMP/fill.log" pool fill >/dev/null 2>&1
check_match "upgrade: a fill stops a VM another runtime booted" "pool: stopping VM $old \(booted by another runtime or image\)" \
    "$(cat "$EB_TMP/fill.log") $(ls -d "$EB_ROOT/.runv-pool/$old" 2>/dev/null)"

# ---- the keeper: refills outside the claiming create's process tree ----
# (a create under a shim or conmon runs below a subreaper, which adopts
# what the create leaves: eb-subreaper takes the shim's place and lists it)
# (the runtime's stdio to a file: the container inherits it, and keeps a
# pipe open for as long as it runs)
under_subreaper() {
    "$EB_BUILD/tests/tools/eb-subreaper" 6 sh -c 'exec "$@" >>"$0" 2>&1 </dev/null' "$EB_TMP/subreaper.out" \
        "$EDGEBOX" --root "$EB_ROOT" --class runv --log "$EB_TMP/runv.log" "$@"
}
adopted() { grep -E 'edgebox-(pool-filler|monitor) ' | awk '{print $2, $3}' | paste -sd' '; }
"$EDGEBOX" --root "$EB_ROOT" pool serve >> "$EB_TMP/keeper.log" 2>&1 &
kp=$!
wait_ready 2
check_eq "keeper: pool serve keeps the pool full; status and check name it" "$kp refilled by its keeper (pid $kp)" \
    "$("$EDGEBOX" --root "$EB_ROOT" pool status | jq -r .runv.keeper) $("$EDGEBOX" --root "$EB_ROOT" check 2>&1 | grep -o 'refilled by its keeper (pid [0-9]*)')"
out=$("$EDGEBOX" --root "$EB_ROOT" pool serve 2>&1 </dev/null); rc=$?
check_match "keeper: a second keeper of the root is refused, naming the first" "^1 .*a pool keeper \(pid $kp\) already serves" "$rc $out"
make_bundle "$EB_TMP/k" sleep 1000
cp -a "$EB_TMP/k" "$EB_TMP/k2"
pod "$EB_TMP/k" podk; pod "$EB_TMP/k2" podk2
out=$(under_subreaper run -d --bundle "$EB_TMP/k" podk)
check_eq "keeper: a claim under a subreaper (a shim's place) leaves it no filler and no pooled VM's monitor" \
    "p320x1-|" "$(claimed_vm podk | cut -c1-7)|$(echo "$out" | adopted)"
check "keeper: ... and the keeper refilled the pool (2 ready)" wait_ready 2
kill $kp; wait $kp
check_eq "keeper: SIGTERM stops it: its socket and pid file go, the pool stays" "lock|null|2" \
    "$(ls "$EB_ROOT/.runv-pool-keeper" | paste -sd' ')|$("$EDGEBOX" --root "$EB_ROOT" pool status | jq -r .runv.keeper)|$(pool_vms | grep -c .)"
# without a keeper the claim refills by itself: what the keeper is for
out=$(under_subreaper run -d --bundle "$EB_TMP/k2" podk2)
check_match "no keeper: the claim's refill is the subreaper's (its filler, or the VM it boots)" \
    "^p320x1-[^ ]+ \|.*edgebox-(pool-filler $EB_ROOT|monitor p320x1-)" "$(claimed_vm podk2) |$(echo "$out" | adopted)"
wait_ready 2

# ---- deleting claimed pods, draining the pool: nothing left ----
for p in poda podb podb2 podc podd podk podk2; do ebv delete -f $p; done
check_eq "delete of a claimed pod: no sandbox directory, QEMU, tap or redirect" "" \
    "$(ls -d "$EB_ROOT"/.runv/pod* 2>/dev/null; pgrep -f "qemu-system.*-name edgebox-($vma|$vmb|$vmb2)( |\$)"; ip -n $P -o link | grep -o ebtap; tc -n $P qdisc show dev eth0 | grep ingress)"
left=$(pool_vms)
"$EDGEBOX" --root "$EB_ROOT" pool drain >/dev/null
check_eq "drain: no QEMU, virtiofsd, mount, cgroup or directory left" "2 " "$(echo "$left" | grep -c .) $(pool_leftovers $left)"
