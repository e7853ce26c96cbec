# harness.sh - sourced by every integration test.
#
# Each check ends in one line "ok - NAME", "not ok - NAME: why" or
# "skip - NAME: what the host lacks" on stdout, counted by the runner
# against the script's plan (below).  Tests run as root against the real
# edgebox binary, each with its own --root state directory.
set -u

EB_SRC=${EB_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
EB_BUILD=${EB_BUILD:-$EB_SRC/build}
EDGEBOX=${EDGEBOX:-$EB_BUILD/src/cli/edgebox}
EB_TMP=$(mktemp -d /tmp/eb-test.XXXXXX)
EB_ROOT=$EB_TMP/state
TEST_NAME=${EB_TEST_PREFIX:-}$(basename "$0" .sh)

eb() { "$EDGEBOX" --root "$EB_ROOT" "$@"; }

# EB_POOL=MEM:VCPUS:SIZE[,...]: the test runs with the runv pool on
# (docs/pool.md): EDGEBOX_POOL exported to every runtime the test starts,
# and pool_fill ROOT boots the pool before the first sandbox (the test's
# own root here; a test whose runtime uses another root fills that one).
if [ -n "${EB_POOL:-}" ]; then
    export EDGEBOX_POOL=$EB_POOL
    TEST_NAME="pool $TEST_NAME"
    # podman gives conmon, and so the runtime's create, only the
    # environment containers.conf names (conmon_env_vars: PATH by default)
    printf '[engine]\nconmon_env_vars = ["PATH=%s", "EDGEBOX_POOL=%s"]\n' \
        /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$EB_POOL" > "$EB_TMP/containers.conf"
    export CONTAINERS_CONF=$EB_TMP/containers.conf
fi
EB_POOL_ROOTS=() EB_POOL_KEEPERS=()
# pool_fill ROOT: the root's keeper (`edgebox pool serve`, as
# deploy/edgebox-pool.service runs it) started and the pool filled; its
# claims' refills run in the keeper's tree, not under a shim or conmon.
pool_fill() {
    [ -n "${EB_POOL:-}" ] || return 0
    pool_root "$1"
    local i
    # (not a job of the test's shell: a bare `wait` there would wait for it)
    setsid -f "$EB_BUILD/src/cli/edgebox" --root "$1" pool serve >> "$EB_TMP/keeper.log" 2>&1 </dev/null
    EB_POOL_KEEPERS+=("$1")
    for i in $(seq 600); do
        "$EB_BUILD/src/cli/edgebox" --root "$1" pool status 2>/dev/null \
            | jq -e '.runv.keeper != null and ([.runv.classes[] | .ready >= .size] | all)' >/dev/null && return 0
        sleep 0.5
    done
    echo "# pool_fill $1: the pool was not filled in 300 s" >&2
}
# pool_root ROOT: a root the test's runtimes use (a cold boot there starts
# a refill of its pool): cleanup_all counts its claims and drains it.
pool_root() { [ -n "${EB_POOL:-}" ] && EB_POOL_ROOTS+=("$1"); return 0; }
# With the pool on, the test's last check: its sandboxes did claim pooled
# VMs (a run that booted every VM cold would test nothing new).  Then the
# pools are drained: the run leaves no VM behind.
pool_report() {
    [ -n "${EB_POOL:-}" ] && [ -z "${EB_POOL_REPORTED:-}" ] || return 0
    EB_POOL_REPORTED=1
    local r n claimed=0 cold=0 seen=" "
    # the keepers first: no refill asked for after the drain (a filler
    # already running holds the pool's lock: the drain waits for its boot)
    for r in "${EB_POOL_KEEPERS[@]}"; do
        # (its pid as status checks it: the pid file's, with its start time)
        n=$("$EB_BUILD/src/cli/edgebox" --root "$r" pool status 2>/dev/null | jq -r '.runv.keeper // empty')
        [ -n "$n" ] && kill "$n" 2>/dev/null
        for _ in $(seq 100); do [ -n "$n" ] && kill -0 "$n" 2>/dev/null || break; sleep 0.1; done
    done
    for r in "${EB_POOL_ROOTS[@]}" "$EB_ROOT"; do
        case $seen in *" $r "*) continue ;; esac
        seen="$seen$r "
        [ -d "$r/.runv-pool" ] || continue
        n=$("$EB_BUILD/src/cli/edgebox" --root "$r" pool status 2>/dev/null \
            | jq -r '"\(.runv.counters.claimed // 0) \(.runv.counters.cold // 0)"')
        claimed=$((claimed + ${n%% *})) cold=$((cold + ${n##* }))
        "$EB_BUILD/src/cli/edgebox" --root "$r" pool drain >/dev/null 2>&1
    done
    if [ "$claimed" -gt 0 ]; then pass "pool on: $claimed sandboxes claimed a pooled VM, $cold booted cold"
    else fail "pool on: sandboxes claimed a pooled VM" "none did ($cold booted cold)"; fi
}
# vm_name SID [ROOT]: the -name of sandbox SID's QEMU.  A cold boot names
# it edgebox-SID; a VM claimed from the pool keeps its pool name, which
# its monitor logged at the claim ("pool: VM V is sandbox SID") in the
# pool's log (kept until a drain: it still answers after the delete).
vm_name() {
    local v
    v=$(grep -F "pool: VM " "${2:-$EB_ROOT}/.runv-pool/pool.log" 2>/dev/null | grep -F " is sandbox $1\"" \
        | sed 's/.*pool: VM \([^ ]*\) is sandbox.*/\1/' | tail -1)
    echo "edgebox-${v:-$1}"
}
# vm_pgrep SID [ROOT] [PATTERN]: the pid of sandbox SID's QEMU, if it runs
vm_pgrep() { pgrep -f "qemu-system.*-name $(vm_name "$1" "${2:-}")( |\$)${3:-}"; }
# vm_count: how many QEMUs run sandboxes of this test's root (a pooled VM
# waiting for a claim or booting runs none)
vm_count() {
    local n c=0
    for n in $(pgrep -af "qemu-system.*-name edgebox-" | sed -n 's/.*-name edgebox-\([^ ]*\).*/\1/p'); do
        case $n in
        p[0-9]*x[0-9]*-*) grep -qF "pool: VM $n is sandbox " "$EB_ROOT/.runv-pool/pool.log" 2>/dev/null && c=$((c + 1)) ;;
        *) c=$((c + 1)) ;;
        esac
    done
    echo $c
}

# cni_bridge CMD NAME SUBNET: Debian's reference CNI bridge plugin, run in
# the host-side namespace $H for the pod namespace $P (interface eth0),
# bridge NAMEbr0 as the gateway, host-local addresses from SUBNET; the
# plugin's JSON result on stdout.
cni_bridge() {
    printf '{"cniVersion": "0.4.0", "name": "%s", "type": "bridge", "bridge": "%sbr0", "isGateway": true,
 "ipMasq": false, "ipam": {"type": "host-local", "subnet": "%s", "dataDir": "%s/ipam-%s",
 "routes": [{"dst": "0.0.0.0/0"}]}}' "$2" "$2" "$3" "$EB_TMP" "$2" |
        ip netns exec "$H" env CNI_COMMAND="$1" CNI_CONTAINERID="$2$$" CNI_NETNS="/run/netns/$P" CNI_IFNAME=eth0 \
            CNI_PATH=/usr/lib/cni /usr/lib/cni/bridge
}

# plan N: the number of checks this script prints on every host (a skip
# counts).  The runner fails a script that prints fewer or more, exits
# non-zero or times out: a script that dies early is never green.
# With the pool on, pool_report adds one.
plan() { echo "# plan $(($1 + ${EB_POOL:+1}+0)) checks"; }

pass() { echo "ok - $TEST_NAME: $1"; }
fail() { echo "not ok - $TEST_NAME: $1${2:+: $2}"; }
skip() { echo "skip - $TEST_NAME: $1: $2"; }

# check NAME CMD... : pass when CMD succeeds.
check() { local n=$1; shift; if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n" "command failed: $*"; fi; }
# check_eq NAME EXPECTED ACTUAL
check_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected [$2], got [$3]"; fi; }
# check_match NAME REGEX TEXT
check_match() { if printf '%s' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1" "[$3] does not match /$2/"; fi; }
check_nomatch() { if printf '%s' "$3" | grep -Eq -- "$2"; then fail "$1" "[$3] matches /$2/"; else pass "$1"; fi; }

# A bundle with the busybox rootfs and edgebox's default (hardened)
# config, process.terminal off and the given command.
make_bundle() {
    local dir=$1; shift
    mkdir -p "$dir"
    if [ ! -d "$EB_TMP/rootfs.base" ]; then
        "$EB_SRC/tests/lib/make-rootfs.sh" "$EB_TMP/rootfs.base"
    fi
    cp -a "$EB_TMP/rootfs.base" "$dir/rootfs"
    rm -f "$dir/config.json"
    "$EDGEBOX" spec --bundle "$dir"
    set_args "$dir" "$@"
    jq_edit "$dir" '.process.terminal = false'
}

# jq_edit BUNDLE FILTER: edit BUNDLE/config.json in place.
jq_edit() { local f=$1/config.json; jq "$2" "$f" > "$f.tmp" && mv "$f.tmp" "$f"; }
set_args() {
    local dir=$1; shift
    local json; json=$(printf '%s\n' "$@" | jq -R . | jq -s .)
    jq_edit "$dir" ".process.args = $json"
}

# Leftovers of container ID: processes, cgroups, state.  Empty when clean.
leftovers() {
    local id=$1 out=""
    [ -e "$EB_ROOT/$id" ] && out="$out state"
    for d in /sys/fs/cgroup/*/edgebox/"$id" /sys/fs/cgroup/edgebox/"$id"; do
        [ -d "$d" ] && out="$out cgroup:$d"
    done
    pgrep -f "eb-marker-$id" >/dev/null 2>&1 && out="$out process"
    echo "$out"
}

wait_status() { # wait_status ID STATUS [tries]
    local i
    for i in $(seq 1 "${3:-50}"); do
        [ "$(eb state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# task_stopped ID [tries]: wait for containerd to report task ID STOPPED,
# through the calling script's ctr(); the id is matched as a whole column
# (a prefix match let "vp" pass on "vp-app STOPPED" without waiting)
task_stopped() {
    local i
    for i in $(seq 1 "${2:-50}"); do
        [ "$(ctr task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}')" = STOPPED ] && return 0
        sleep 0.1
    done
    return 1
}

cleanup_all() {
    local id
    for id in $(ls "$EB_ROOT" 2>/dev/null); do eb delete --force "$id" >/dev/null 2>&1; done
    pool_report
    # a test that turns the pool on itself (pool.sh) leaves no VM either
    [ -d "$EB_ROOT/.runv-pool" ] && eb pool drain >/dev/null 2>&1
    # EB_KEEP=1: the test's files (logs, bundles) stay for a post-mortem
    if [ -n "${EB_KEEP:-}" ]; then echo "# kept $EB_TMP" >&2; else rm -rf "$EB_TMP"; fi
}
trap cleanup_all EXIT
