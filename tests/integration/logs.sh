#!/bin/bash
# logs.sh - logs out of the runv sandbox (QEMU, TCG on this host).
#
#  - stdio: podman's conmon (a real shim) writes a runv container's
#    100 MB of mixed stdout/stderr into its CRI-format log; every line of
#    both streams is checked, in order; the last lines before an exit and
#    before a SIGKILL arrive.
#  - in-guest file logs: files named by the io.edgebox.log-files
#    annotation are followed in the guest (appends, rotation by rename,
#    truncation) and written on the host in the CRI format under the pod's
#    directory; the host-side writer killed mid-stream loses and duplicates
#    nothing.
. "$(dirname "$0")/../lib/harness.sh"
plan 22

RUNV=$EB_BUILD/src/cli/edgebox-runv
GEN=$EB_BUILD/tests/tools/eb-loggen
ebv() { "$RUNV" --root "$EB_ROOT" "$@"; }
# EB_POOL: the sandboxes below claim pooled VMs (podman's runtime root is
# edgebox's default)
pool_fill "$EB_ROOT"; pool_fill /run/edgebox

# ---- stdio through conmon ----
if command -v podman >/dev/null; then
    S=$EB_TMP/podman
    mkdir -p "$S"
    pm() { podman --root "$S/root" --runroot "$S/run" --runtime "$RUNV" --storage-driver vfs "$@"; }
    U="--ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --pull never --network none"
    R=$EB_TMP/rootfs
    "$EB_SRC/tests/lib/make-rootfs.sh" "$R"
    cp "$GEN" "$R/bin/eb-loggen"
    L=/tmp/edgebox-logs-layout-$$
    "$EB_SRC/tests/lib/make-image.sh" "$L" "$R" >/dev/null 2>&1
    pm pull -q "oci:$L:latest" >/dev/null 2>&1
    rm -rf "$L"
    img=$(pm images --format '{{.Repository}}:{{.Tag}}' | head -1)
    trap 'pm rm -af >/dev/null 2>&1; pm rmi -af >/dev/null 2>&1; cleanup_all' EXIT

    BYTES=100000000
    want=$("$GEN" plan $BYTES)
    pm run --name big $U --log-driver k8s-file --log-opt path="$EB_TMP/big.log" "$img" eb-loggen mixed $BYTES \
        >/dev/null 2>&1
    rc=$?
    check_eq "stdio: 100 MB mixed on stdout and stderr, exit code" 0 "$rc"
    check_eq "stdio: conmon's CRI log holds every line of both streams, in order ($want)" "$want" \
        "$("$GEN" check "$EB_TMP/big.log")"
    pm rm big >/dev/null 2>&1

    # The last lines before a SIGKILL: the container writes them, says so
    # in a file, and is killed at once; the VM's pipes still hold them.
    pm run -d --name burst $U --log-driver k8s-file --log-opt path="$EB_TMP/burst.log" "$img" \
        eb-loggen burst 20000 /tmp/written >/dev/null
    for i in $(seq 1 300); do pm exec burst test -e /tmp/written 2>/dev/null && break; sleep 0.2; done
    pm kill burst >/dev/null
    pm wait burst >/dev/null 2>&1
    check_eq "stdio: killed right after writing, exit 137" 137 "$(pm inspect burst --format '{{.State.ExitCode}}')"
    check_eq "stdio: the lines written before the kill all arrived" "stdout=20000 stderr=20000" \
        "$("$GEN" check "$EB_TMP/burst.log")"
    pm rm burst >/dev/null 2>&1
else
    fail "podman installed" "podman not found (run the setup command)"
fi

# ---- in-guest file logs ----
export EDGEBOX_POD_LOG_DIR=$EB_TMP/podlogs
# host files rotate at 4 MiB here (10 MiB by default), 10 kept
export EDGEBOX_POD_LOG_MAX_SIZE=4194304 EDGEBOX_POD_LOG_MAX_FILES=10
OUT=$EDGEBOX_POD_LOG_DIR/default_web_u-1/app
SB=$EB_ROOT/.runv/lp
make_bundle "$EB_TMP/pod" sleep 100000
jq_edit "$EB_TMP/pod" '.annotations += {"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-id": "lp"}'
ebv create --bundle "$EB_TMP/pod" lp && ebv start lp
check_eq "file logs: the pod sandbox runs" running "$(ebv state lp | jq -r .status)"

make_bundle "$EB_TMP/app" sh /bin/app.sh
A=$EB_TMP/app/rootfs
cp "$GEN" "$A/bin/eb-loggen"
cat > "$A/bin/app.sh" <<'SCRIPT'
mkdir -p /var/log/app
ln -s /../../../../init /var/log/app/escape.log
# appends and rotation by rename (logrotate's create mode), at full speed
eb-loggen file /var/log/app/a.log 0 20000 5000
touch /tmp/done-a
# copytruncate: the host has the first lines, the file is cut, more follow
eb-loggen file /var/log/single.log 0 1000 0
while [ ! -e /tmp/go-truncate ]; do sleep 0.1; done
: > /var/log/single.log
sleep 1
eb-loggen file /var/log/single.log 1000 1000 0
# a 40,000-byte line, and a last one without a newline
head -c 40000 /dev/zero | tr '\0' x > /var/log/app/c.log
echo >> /var/log/app/c.log
printf 'the-last-words' >> /var/log/app/c.log
# a long stream while the host kills its writer
while [ ! -e /tmp/go-b ]; do sleep 0.1; done
eb-loggen file /var/log/app/b.log 0 150000 50000
touch /tmp/done-b
exec sleep 100000
SCRIPT
jq_edit "$EB_TMP/app" '.root.readonly = false | .annotations += {"io.kubernetes.cri.container-type": "container",
  "io.kubernetes.cri.sandbox-id": "lp", "io.kubernetes.cri.sandbox-name": "web",
  "io.kubernetes.cri.sandbox-namespace": "default", "io.kubernetes.cri.sandbox-uid": "u-1",
  "io.kubernetes.cri.container-name": "app", "io.edgebox.log-files": "/var/log/app/*.log, /var/log/single.log"}'

wait_file() { local i; for i in $(seq 1 "${2:-300}"); do [ -e "$1" ] && return 0; sleep 0.2; done; return 1; }
# wait_lines FILE N: until the host file holds N checked lines (or a fault)
wait_lines() {
    local i out
    for i in $(seq 1 "${3:-300}"); do
        out=$("$GEN" check "$1" 2>/dev/null)
        case $out in "stdout=$2 "*) return 0;; stdout=*) ;; *) [ -e "$1" ] && { echo "$out"; return 1; };; esac
        sleep 0.2
    done
    # Never empty: the callers compare the output with "" for success.
    echo "timed out waiting for $2 lines in $1: ${out:-no such file}"; return 1
}
count_lines() { "$GEN" check "$1" 2>/dev/null | sed -n 's/^stdout=\([0-9]*\) .*/\1/p'; }
# joined FILE: its rotated predecessors (FILE.9 .. FILE.1) and FILE, in order
joined() {
    local i
    for i in 9 8 7 6 5 4 3 2 1; do [ -e "$1.$i" ] && cat "$1.$i"; done
    cat "$1" 2>/dev/null
}
B=$EB_TMP/b.joined
b_lines() { joined "$OUT/var_log_app_b.log" > "$B"; count_lines "$B"; }

ebv create --bundle "$EB_TMP/app" app >"$EB_TMP/app.out" 2>&1 </dev/null &
for i in $(seq 1 100); do [ "$(ebv state app 2>/dev/null | jq -r .status)" = created ] && break; sleep 0.2; done
ebv start app
check "file logs: the container runs" wait_file "$A/tmp/done-a"
out=$(wait_lines "$OUT/var_log_app_a.log" 20000)
check_eq "file logs: 20,000 lines with 3 renames on the way, each once and in order" "" "$out"
check_match "file logs: CRI format on the host" '^[0-9-]+T[0-9:.]+Z stdout F 0 ' "$(head -1 "$OUT/var_log_app_a.log")"
wait_lines "$OUT/var_log_single.log" 1000 >/dev/null
touch "$A/tmp/go-truncate"
out=$(wait_lines "$OUT/var_log_single.log" 2000)
check_eq "file logs: truncated in place (copytruncate): the lines after it follow, none lost" "" "$out"
for i in $(seq 1 100); do grep -q 'the-last' "$OUT/var_log_app_c.log" 2>/dev/null || [ "$(wc -l < "$OUT/var_log_app_c.log" 2>/dev/null)" = 3 ] && break; sleep 0.2; done
check_eq "file logs: a 40,000-byte line as CRI partial records (P P F)" "P P F 40000" \
    "$(awk '{t = t $3 " "; n += length($4)} END {print t n}' "$OUT/var_log_app_c.log")"
check_eq "file logs: no file for a symlink out of the container's root" "" "$(ls "$OUT" | grep escape)"

# The writer killed twice while 150,000 lines go through it.
touch "$A/tmp/go-b"
w1=$(cat "$SB/logger.pid" | cut -d' ' -f1)
for i in $(seq 1 300); do [ "$(b_lines)" -gt 20000 ] 2>/dev/null && break; sleep 0.1; done
kill -9 "$w1"
for i in $(seq 1 100); do w2=$(cut -d' ' -f1 "$SB/logger.pid" 2>/dev/null); [ -n "$w2" ] && [ "$w2" != "$w1" ] && kill -0 "$w2" 2>/dev/null && break; sleep 0.1; done
check "file logs: the monitor started another writer" test "$w2" != "$w1"
before=$(b_lines)
for i in $(seq 1 300); do [ "$(b_lines)" -gt $((before + 20000)) ] 2>/dev/null && break; sleep 0.1; done
at2=$(b_lines)
kill -9 "$w2"
if [ "${before:-0}" -gt 0 ] && [ "${at2:-0}" -gt "$before" ] && [ "$at2" -lt 150000 ]; then
    pass "file logs: both kills hit the stream mid-way (at $before and $at2 of 150,000 lines)"
else
    fail "file logs: both kills hit the stream mid-way" "host file had ${before:-?} and ${at2:-?} lines"
fi
wait_file "$A/tmp/done-b" 600
for i in $(seq 1 600); do [ "$(b_lines)" = 150000 ] && break; sleep 0.2; done
check_eq "file logs: writer SIGKILLed twice mid-stream: 150,000 lines, none lost, none doubled" \
    "stdout=150000 stderr=0" "$("$GEN" check "$B")"
n=$(ls "$OUT" | grep -c '^var_log_app_b\.log\.[0-9]$')
big=$(find "$OUT" -name 'var_log_app_b.log*' -size +4500k | wc -l)
if [ "$n" -ge 3 ] && [ "$big" = 0 ]; then pass "file logs: host files rotate at the size limit ($n rotated, none above it)"
else fail "file logs: host files rotate at the size limit" "$n rotated files, $big above 4 MiB + a batch"; fi
check_match "file logs: offsets are checkpointed per container" '"offset":' "$(cat "$SB/logs/app.offsets")"

ebv kill app KILL
for i in $(seq 1 50); do [ "$(ebv state app 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.2; done
ebv delete app
check_eq "file logs: after delete, the line without a newline is written" "the-last-words" \
    "$(tail -1 "$OUT/var_log_app_c.log" | cut -d' ' -f4)"
check_eq "file logs: the container's record and offsets are gone" "" "$(ls "$SB/logs")"
check "file logs: the host files stay after delete (as kubelet's do)" test -s "$OUT/var_log_app_b.log"

make_bundle "$EB_TMP/bad" true
jq_edit "$EB_TMP/bad" '.annotations += {"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-id": "lp",
  "io.edgebox.log-files": "/var/log/../../etc/shadow"}'
out=$(ebv create --bundle "$EB_TMP/bad" bad 2>&1); rc=$?
check_match "file logs: a bad path in the annotation fails create, saying why" "log-files.*\.\." "$out"
check_eq "file logs: nothing left of the refused container" "" "$(ls "$EB_ROOT" | grep -x bad)"

ebv kill lp KILL
for i in $(seq 1 50); do [ "$(ebv state lp 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.2; done
ebv delete lp
check_eq "file logs: no writer, QEMU or sandbox dir left" "" \
    "$(vm_pgrep lp; ls -d "$SB" 2>/dev/null)"
