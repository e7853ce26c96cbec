#!/bin/bash
# cri.sh - edgebox the way a Kubernetes node uses it: Debian's containerd
# 1.6 with its CRI plugin (a private instance: tests/cri/lib.sh), driven
# over CRI by tests/cri/cri.py making kubelet's calls, with Debian's CNI
# bridge on a private subnet.  For both runtime handlers of
# deploy/containerd-runtimes.toml, "runc" (the runc v2 shim running edgebox:
# the runc class) and "runv" (edgebox's own shim: the runv class, a microVM
# per pod), the checks kubelet relies on:
# a ready pod with an IP, logs in the CRI format, exit codes, ExecSync,
# the pod's containers sharing it (one VM), the network both ways, stats,
# OOMKilled, resources, StopContainer's timeout, and nothing left after.
. "$(dirname "$0")/../lib/harness.sh"
. "$EB_SRC/tests/cri/lib.sh"
PER_CLASS=20
ALL=$((2 + 2 * PER_CLASS))
plan $ALL

skip_all() { # skip_all WHY: every check, with what the host lacks
    local i
    for i in $(seq $ALL); do skip "check $i" "$1"; done
    exit 0
}
command -v containerd >/dev/null || skip_all "containerd not installed (run setup.sh)"
/usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || skip_all "python3-grpcio / python3-grpc-tools not installed (run setup.sh)"
[ -x /usr/lib/cni/bridge ] || skip_all "Debian's CNI plugins not installed (run setup.sh)"
cri_net_free || skip_all "the test's bridge $CRI_BRIDGE exists, or no /24 of 10.88.177-186 is free on this host"

# the CRI plugin names its pods' namespaces cni-<uuid>; other tests own the rest
netns_before=$(ls /var/run/netns 2>/dev/null | grep "^cni-" | sort; echo)
ipt_before=$(iptables-save 2>/dev/null | grep -v '^[#:]')
HPORT=18377
trap 'kill $hostweb 2>/dev/null; cri_teardown; cleanup_all' EXIT
cri_config
if ! cri_start || ! cri_images; then
    fail "containerd with its CRI plugin up, the pause and busybox images imported" "$(tail -5 "$CRI_D/log")"
    for i in $(seq $((ALL - 1))); do fail "check $i" "containerd did not start (above)"; done
    exit 0
fi
pass "containerd with its CRI plugin up, the pause and busybox images imported"
pool_fill "$SHIM_ROOT"   # EB_POOL: the runv handler's pods claim pooled VMs

within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 <= hi) }'; }
# wait_log POD CONTAINER PATTERN: the container's CRI log has a matching line
wait_log() {
    for _ in $(seq 300); do
        grep -q -- "$3" "$CRI_D/client/logs/$1/$2.log" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
run() { cri run "$@"; }                 # run POD NAME [--memory B] -- CMD...
status() { cri status "$1" | jq -r "$2"; }
stat_of() { cri stats "$1" | jq -r "$2"; }
WS='.memory.working_set_bytes.value | tonumber'
CPU='.cpu.usage_core_nano_seconds.value | tonumber'

# class_checks HANDLER CLASS: PER_CLASS checks of one handler; the helpers
# below see its locals (h, c, n: the pod's name, pod, ip, side)
class_checks() {
    local h=$1 c=$2 n=p-$1 pod ip side
    if ! pod=$(cri runp "$n" "$h" 2>&1); then
        for _ in $(seq $PER_CLASS); do fail "$c: RunPodSandbox" "$pod"; done
        return
    fi
    pods="$pods $pod"
    start_hostweb
    log_checks
    sharing_checks
    stats_checks
    kill_checks
    resources_checks
    cri rmp "$pod"
    nothing_left
}

# RunPodSandbox's answer, a container's log and exit code
log_checks() {
    local cid
    ip=$(cri pod "$pod" | jq -r '.state + " " + .network.ip')
    check_match "$c: RunPodSandbox: SANDBOX_READY with an IP on the pod network (64-char id)" \
        "^SANDBOX_READY ${CRI_SUBNET//./\\.}\.[0-9]+ 64\$" "$ip $(echo -n "$pod" | wc -c | grep -x 64)"
    ip=${ip#* }

    # logs and exit codes
    cid=$(run "$pod" out $CRI_BUSYBOX -- sh -c 'echo line-on-stdout; echo line-on-stderr >&2; exit 3')
    cri wait "$cid" CONTAINER_EXITED 60
    check_eq "$c: stdout in the CRI log file (<RFC3339Nano> stdout F text)" line-on-stdout \
        "$(cri_log_text "$CRI_D/client/logs/$n/out.log" stdout)"
    check_eq "$c: stderr in the CRI log file" line-on-stderr "$(cri_log_text "$CRI_D/client/logs/$n/out.log" stderr)"
    check_eq "$c: ContainerStatus: EXITED, exit code 3" "CONTAINER_EXITED 3" "$(status "$cid" '.state + " " + (.exit_code | tostring)')"
}

# the pod's containers: a web server, a sibling that fetches from it and
# runs the execs; the pod's network both ways
sharing_checks() {
    local web out rc
    web=$(run "$pod" web $CRI_BUSYBOX -- sh -c 'mkdir /www; echo page-from-the-pod > /www/index.html; echo serving; exec httpd -f -p 8080 -h /www')
    side=$(run "$pod" side $CRI_BUSYBOX -- sleep 100000)
    wait_log "$n" web serving
    cri wait "$side" CONTAINER_RUNNING 60
    out=$(cri exec "$side" 30 -- sh -c 'echo from-exec; exit 5'); rc=$?
    check_eq "$c: ExecSync: its stdout and exit code" "from-exec 5" "$out $rc"
    out=$(cri exec "$side" 30 -- wget -qO- http://127.0.0.1:8080/index.html)
    check_eq "$c: a pod's two containers share its network (localhost)" page-from-the-pod "$out"
    if [ "$c" = runv ]; then
        check_eq "runv: the pod's containers run in one VM (one QEMU for the pod, none per container)" "1 0" \
            "$(vm_pgrep "$pod" "$SHIM_ROOT" | wc -l) $(pgrep -f "qemu-system" -a | grep -c -e "$web" -e "$side")"
    else
        check_eq "runc: the pod's containers share the pause container's network namespace" \
            "$(readlink /proc/"$(cri podpid "$pod" 2>/dev/null || echo 0)"/ns/net 2>/dev/null || echo none)" \
            "$(readlink /proc/"$(cri pid "$side")"/ns/net)"
    fi
    out=$(curl -s --max-time 20 "http://$ip:8080/index.html")
    check_eq "$c: the pod IP is reachable from the host" page-from-the-pod "$out"
    out=$(cri exec "$side" 30 -- wget -qO- "http://$CRI_GW:$HPORT/host.txt")
    check_eq "$c: the host is reachable from the pod" page-from-the-host "$out"
}

# stats: a container holding 48 MiB and spinning, the idle sibling
stats_checks() {
    local hog ws c1 c2 out
    hog=$(run "$pod" hog $CRI_BUSYBOX -- sh -c 'dd if=/dev/zero of=/dev/shm/hold bs=1M count=48 2>/dev/null; echo held; while :; do :; done')
    wait_log "$n" hog held
    sleep 1
    c1=$(stat_of "$hog" "$CPU"); sleep 2; c2=$(stat_of "$hog" "$CPU")
    ws=$(stat_of "$hog" "$WS")
    check "$c: ContainerStats: the 48 MiB the container holds (working set $ws bytes)" within "$ws" 50331648 100663296
    check "$c: ContainerStats: its CPU rises while it spins ($c1 -> $c2 ns)" within "$((c2 - c1))" 300000000 100000000000
    # the sibling ran the execs above: some CPU, but far less than a spinner
    out=$(cri lstats "$pod" | jq -r --arg h "$hog" --arg s "$side" '
        [.stats[] | select(.attributes.id == $h or .attributes.id == $s)
         | {id: .attributes.id, cpu: (.cpu.usage_core_nano_seconds.value | tonumber),
            ws: (.memory.working_set_bytes.value | tonumber)}] as $l
        | ($l | map(select(.id == $h))[0]) as $hg | ($l | map(select(.id == $s))[0]) as $sd
        | "\($l | length) \($hg.cpu > 3 * $sd.cpu and $sd.ws < 16777216 and $hg.ws > 50331648)" +
          " (spinning: \($hg.cpu) ns \($hg.ws) B, idle: \($sd.cpu) ns \($sd.ws) B)"')
    check_match "$c: ListContainerStats of the pod: the spinning one and its idle sibling, each its own numbers" "^2 true " "$out"
    cri stop "$hog" 0
}

# OOMKilled as kubelet reports it; StopContainer's TERM, then KILL after
# the timeout
kill_checks() {
    local cid t0 t1 took
    cid=$(run "$pod" oom --memory 33554432 $CRI_BUSYBOX -- sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived')
    cri wait "$cid" CONTAINER_EXITED 120
    check_eq "$c: a container over its memory limit: OOMKilled, 137" "OOMKilled 137" "$(status "$cid" '.reason + " " + (.exit_code | tostring)')"

    cid=$(run "$pod" noterm $CRI_BUSYBOX -- sh -c 'trap "" TERM; echo ignoring; while :; do sleep 1; done')
    wait_log "$n" noterm ignoring
    t0=$(date +%s.%N); cri stop "$cid" 3; t1=$(date +%s.%N)
    took=$(echo "$t1 - $t0" | bc)
    check "$c: StopContainer 3: a container ignoring TERM is killed after the timeout ($took s, $(status "$cid" '.state + " " + (.exit_code | tostring)'))" \
        test "$(status "$cid" '.state + " " + (.exit_code | tostring)') $(within "$took" 3 15 && echo in-time)" = "CONTAINER_EXITED 137 in-time"
}

# a pod with resources (kubelet's LinuxPodSandboxConfig.resources: 384 MiB,
# 1.5 CPUs) and a container with the same limits
resources_checks() {
    local pod cid pid out lim=402653184
    pod=$(cri runp "p-$h-sized" "$h" --memory $lim --cpu-quota 150000 --cpu-period 100000)
    pods="$pods $pod"
    cid=$(run "$pod" sized --memory $lim --cpu-quota 150000 --cpu-period 100000 $CRI_BUSYBOX -- sleep 100000)
    cri wait "$cid" CONTAINER_RUNNING 60
    if [ "$c" = runv ]; then
        # the VM: the pod's memory plus edgebox's 64 MiB overhead (MemTotal is
        # a little less: the kernel's own), a vCPU per started CPU of quota
        out=$(cri exec "$cid" 30 -- sh -c 'echo $(nproc) $(awk "/MemTotal/ {print int(\$2 / 1024)}" /proc/meminfo)')
        check_match "runv: a pod with resources (384 MiB, 1.5 CPUs): its VM has 2 vCPUs and 384 + 64 MiB ($out)" \
            "^$([ "$(nproc)" -ge 2 ] && echo 2 || echo 1) (3[89][0-9]|4[0-4][0-9])\$" "$out"
        out=$(cri exec "$cid" 30 -- sh -c 'echo $(cat /sys/fs/cgroup/memory.max) $(cat /sys/fs/cgroup/cpu.max)')
        check_eq "runv: the container's limits inside its VM (memory.max, cpu.max)" "$lim 150000 100000" "$out"
    else
        pid=$(cri pid "$cid")
        local mem cpu
        mem=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/"$pid"/cgroup)
        cpu=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3}' /proc/"$pid"/cgroup)
        check_eq "runc: the container's memory limit on the host (memory.limit_in_bytes)" "$lim" \
            "$(cat "/sys/fs/cgroup/memory$mem/memory.limit_in_bytes" 2>&1)"
        check_eq "runc: the container's CPU quota on the host (cpu.cfs_quota_us / period)" "150000 100000" \
            "$(cat "/sys/fs/cgroup/cpu$cpu/cpu.cfs_quota_us" "/sys/fs/cgroup/cpu$cpu/cpu.cfs_period_us" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
    fi
    cri rmp "$pod"
}

# after RemovePodSandbox of the class's pods
nothing_left() {
    local p out
    for _ in $(seq 100); do
        [ -z "$(pgrep -f "containerd-shim.* -address $CRI_SOCK")" ] && break
        sleep 0.1
    done
    out=$(pgrep -af "containerd-shim.* -address $CRI_SOCK"; for p in $pods; do pgrep -af "$p"; vm_pgrep "$p" "$SHIM_ROOT"; done)
    check_eq "$c: nothing left after RemovePodSandbox: no shim, QEMU, virtiofsd or container process" "" "$out"
    # left by design: the runv class's boot counters (docs/runv.md), the
    # compiled seccomp filters (a cache, the runc class's too), the pool's
    # keeper while it runs
    out=$(ls -A "$RUNC_ROOT" "$SHIM_ROOT" "$RUNC_ROOT/.runv" "$SHIM_ROOT/.runv" "$RUNC_ROOT/.runv-uids" \
              "$SHIM_ROOT/.runv-uids" "$CRI_D/state/io.containerd.grpc.v1.cri/sandboxes" \
              "$CRI_D/root/io.containerd.grpc.v1.cri/sandboxes" 2>/dev/null |
              grep -v -x -e '' -e '.*:' -e .runv -e .runv-uids -e 'boot-stats\.\(json\|lock\)' -e .seccomp-cache \
                  ${EB_POOL:+-e .runv-pool -e .runv-pool-keeper}
          for p in $pods; do ls "$(cri_shim_socket "$p")" 2>/dev/null; done)
    check_eq "$c: no state directory or socket left (shim roots, CRI sandbox dirs, shim sockets)" "" "$out"
    # (a pooled VM waiting for its claim has its share mounted: not a pod's)
    out=$(grep -e "$CRI_D/state" -e /run/containerd $(for p in $pods; do echo "-e $p"; done) /proc/mounts |
          grep -v -F "$SHIM_ROOT/.runv-pool/")
    check_eq "$c: no mount left (rootfs, shm, virtiofs)" "" "$out"
    out=$(diff <(echo "$netns_before") <(ls /var/run/netns 2>/dev/null | grep "^cni-" | sort; echo);
          ip -br link show master "$CRI_BRIDGE" 2>/dev/null;
          ls "$CRI_D/ipam/$CRI_NET" 2>/dev/null | grep -v -e '^last_reserved_ip' -e '^lock$')
    check_eq "$c: no network namespace, veth, tap or pod IP left" "" "$out"
    pods=
}

start_hostweb() { # a web server on the bridge's address, for the pods
    [ -n "${hostweb:-}" ] && return
    mkdir -p "$EB_TMP/www"
    echo page-from-the-host > "$EB_TMP/www/host.txt"
    busybox httpd -f -p "$CRI_GW:$HPORT" -h "$EB_TMP/www" &
    hostweb=$!
    sleep 0.2
}

pods=
class_checks runc runc
# CRI_RUNV_HANDLER=runv-relay: the runv class through the runc v2 shim
# instead (what edgebox's shim replaced), to see what this test catches
class_checks "${CRI_RUNV_HANDLER:-runv}" runv
kill $hostweb 2>/dev/null; wait $hostweb 2>/dev/null; hostweb=
cri_teardown
check_eq "the test's bridge gone, iptables and ip_forward as before" "absent same $cri_forward" \
    "$(ip link show "$CRI_BRIDGE" >/dev/null 2>&1 && echo present || echo absent) \
$([ "$(iptables-save 2>/dev/null | grep -v '^[#:]')" = "$ipt_before" ] && echo same || echo changed) \
$(cat /proc/sys/net/ipv4/ip_forward)"
