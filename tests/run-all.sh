#!/bin/bash
# run-all.sh - the whole test suite (README's test command; .ci/run calls it).
#
#  1. build (debugoptimized) and unit tests
#  2. unit tests again under ASan + UBSan, and the CLI under them through
#     the lifecycle and error integration tests
#  3. libFuzzer targets, bounded time each, over the seed corpus
#  4. integration tests against the real binary, containerd and podman;
#     runv.sh, runv_confine.sh (QEMU and virtiofsd confined: every tests/integration/*.sh
#     runs) and the containerd/podman tests again for the runv class
#     (QEMU microvm, TCG on hosts without KVM)
#  5. the runv tests again with the pool of pre-booted VMs on
# Every check prints "ok -", "not ok -" or "skip -"; the last line is
# "N passed, N failed, N skipped".  Exit status is non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
SRC=$(pwd)
LOG=$(mktemp /tmp/edgebox-tests.XXXXXX)
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
export EB_SRC=$SRC EB_BUILD=$SRC/build EDGEBOX_GUEST_DIR=${EDGEBOX_GUEST_DIR:-$SRC/build/guest}

say() { echo "$@" | tee -a "$LOG"; }
. tests/lib/runner.sh   # run_step
build_fail() { say "not ok - build: $1"; }

if [ "$(id -u)" != 0 ]; then
    echo "the tests create containers: run them as root" >&2
    exit 2
fi

# 1. build
if { [ -d build ] || meson setup build >/dev/null; } && ninja -C build >/dev/null 2>"$LOG.build"; then
    say "ok - build: edgebox and tests compile with -Wall -Wextra -Werror"
else
    build_fail "$(tail -20 "$LOG.build")"
fi

# 2. unit tests, plain and under the sanitizers
for t in build/tests/unit/test_*; do
    [ -x "$t" ] && [ -f "$t" ] && run_step "unit $(basename "$t")" "$t"
done
if { [ -d build-asan ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null; } \
   && ninja -C build-asan tests/unit/test_agent tests/unit/test_spec tests/unit/test_core tests/unit/test_bpf tests/unit/test_proto tests/unit/test_kube tests/unit/test_ecm tests/unit/test_stats tests/unit/test_shim >/dev/null 2>"$LOG.build"; then
    for t in build-asan/tests/unit/test_*; do
        [ -x "$t" ] && [ -f "$t" ] || continue
        out=$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$t" 2>&1); rc=$?
        echo "$out" | sed -n '/^not ok/p;/ERROR: \|runtime error/p' | head -20 | tee -a "$LOG"
        if [ $rc -eq 0 ]; then say "ok - asan+ubsan: $(basename "$t") clean"; else say "not ok - asan+ubsan: $(basename "$t") (exit $rc)"; fi
    done
else
    build_fail "sanitizer build: $(tail -20 "$LOG.build")"
fi

# 2b. the CLI itself under ASan + UBSan, through the lifecycle and error tests
if ninja -C build-asan src/cli/edgebox src/hub/edgebox-hub src/ecm/edgebox-ecm src/shim/containerd-shim-edgebox-v2 >/dev/null 2>"$LOG.build"; then
    alog=$(mktemp -d)
    for t in lifecycle errors; do
        EB_TEST_PREFIX="asan+ubsan " EDGEBOX=$SRC/build-asan/src/cli/edgebox \
        ASAN_OPTIONS=detect_leaks=1:log_path=$alog/asan UBSAN_OPTIONS=print_stacktrace=1:log_path=$alog/ubsan \
            run_step "integration $t (asan+ubsan cli)" timeout -k 30 900 bash "tests/integration/$t.sh"
    done
    # the hub too: every byte it parses comes from clients or the network
    EB_TEST_PREFIX="asan+ubsan " EDGEBOX_HUB=$SRC/build-asan/src/hub/edgebox-hub \
    ASAN_OPTIONS=detect_leaks=1:log_path=$alog/asan UBSAN_OPTIONS=print_stacktrace=1:log_path=$alog/ubsan \
        run_step "integration hub (asan+ubsan)" timeout -k 30 900 bash tests/integration/hub.sh
    # and the ECM: watch streams and pods from the apiserver
    EB_TEST_PREFIX="asan+ubsan " EDGEBOX_ECM=$SRC/build-asan/src/ecm/edgebox-ecm \
    ASAN_OPTIONS=detect_leaks=1:log_path=$alog/asan UBSAN_OPTIONS=print_stacktrace=1:log_path=$alog/ubsan \
        run_step "integration ecm (asan+ubsan)" timeout -k 30 900 bash tests/integration/ecm.sh
    # and the containerd shim: every byte containerd sends it is decoded
    EB_TEST_PREFIX="asan+ubsan " EDGEBOX_SHIM_DIR=$SRC/build-asan/src/shim \
    ASAN_OPTIONS=detect_leaks=1:log_path=$alog/asan UBSAN_OPTIONS=print_stacktrace=1:log_path=$alog/ubsan \
        run_step "integration shim (asan+ubsan)" timeout -k 30 900 bash tests/integration/shim.sh
    if ls "$alog"/* >/dev/null 2>&1; then
        head -50 "$alog"/* | tee -a "$LOG"
        say "not ok - asan+ubsan: the CLI reported errors (above)"
    else
        say "ok - asan+ubsan: no sanitizer report from the CLI (lifecycle, errors), the hub (hub), the ECM (ecm) or the shim (shim)"
    fi
    rm -rf "$alog"
else
    build_fail "sanitizer CLI build: $(tail -20 "$LOG.build")"
fi

# 3. fuzzing
if command -v clang >/dev/null; then
    if { [ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null; } \
       && ninja -C build-fuzz tests/fuzz/fuzz_spec tests/fuzz/fuzz_netdev tests/fuzz/fuzz_agent_channel tests/fuzz/fuzz_log_writer tests/fuzz/fuzz_kube_http tests/fuzz/fuzz_hub_capture tests/fuzz/fuzz_ecm_watch tests/fuzz/fuzz_guest_stats tests/fuzz/fuzz_ttrpc tests/fuzz/fuzz_loguri >/dev/null 2>"$LOG.build"; then
        for f in spec netdev agent_channel log_writer kube_http hub_capture ecm_watch guest_stats ttrpc loguri; do
            work=$(mktemp -d)
            out=$(build-fuzz/tests/fuzz/fuzz_$f -max_total_time="$FUZZ_SECONDS" -max_len=16384 -timeout=10 \
                  "$work" "tests/fuzz/corpus/$f" 2>&1); rc=$?
            runs=$(echo "$out" | sed -n 's/^Done \([0-9]*\) runs.*/\1/p')
            if [ $rc -eq 0 ]; then say "ok - fuzz: fuzz_$f ran ${runs:-?} inputs without a crash"
            else echo "$out" | tail -30 | tee -a "$LOG"; say "not ok - fuzz: fuzz_$f crashed (artifact in $(pwd))"; fi
            rm -rf "$work"
        done
    else
        build_fail "fuzz build: $(tail -20 "$LOG.build")"
    fi
else
    say "not ok - fuzz: clang is missing (run the setup command)"
fi

# 4. integration
for t in tests/integration/*.sh; do
    run_step "integration $(basename "$t" .sh)" timeout -k 30 900 bash "$t"
done
# The runc class's containerd and podman tests again for the runv class:
# the same checks through edgebox-runv, each container in its own microVM.
for t in containerd podman; do
    EDGEBOX=$SRC/build/src/cli/edgebox-runv EB_TEST_PREFIX="runv " \
        run_step "integration $t (runv)" timeout -k 30 900 bash "tests/integration/$t.sh"
done
# 5. The runv tests again with the pool on (docs/pool.md): a VM claimed
# from the pool must serve a pod exactly as a cold-booted one does.  One
# pooled VM of the default size: a claim's refill then boots beside the
# test (as on a node), and a pod started before it is ready boots cold.
# Each such test ends by checking that its sandboxes did claim VMs.  The
# pool's keeper (`edgebox pool serve`, started by the harness's pool_fill)
# does the refills: under a containerd shim they are not the shim's.
for t in runv logs stats cri shim; do
    EB_POOL=320:1:1 run_step "integration $t (pool)" timeout -k 30 900 bash "tests/integration/$t.sh"
done
for t in containerd podman; do
    EB_POOL=320:1:1 EDGEBOX=$SRC/build/src/cli/edgebox-runv EB_TEST_PREFIX="runv " \
        run_step "integration $t (runv, pool)" timeout -k 30 900 bash "tests/integration/$t.sh"
done
left=$(pgrep -af 'qemu-system.*-name edgebox-p[0-9]+x[0-9]+-|^edgebox-pool-(keeper|filler) ' | cut -c1-200)
if [ -z "$left" ]; then say "ok - pool: no pooled VM, keeper or filler outlived the tests that ran with the pool on"
else say "not ok - pool: pooled VMs or their keepers outlived the tests: $left"; fi

passed=$(grep -c '^ok - ' "$LOG")
failed=$(grep -c '^not ok - ' "$LOG")
skipped=$(grep -c '^skip - ' "$LOG")
echo
grep -E '^(not ok|skip) - ' "$LOG" | sed 's/^/  /'
echo "$passed passed, $failed failed, $skipped skipped"
rm -f "$LOG" "$LOG.build"
[ "$failed" -eq 0 ]
