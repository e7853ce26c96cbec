#!/bin/bash
# runv_boot.sh - every runv boot reaches the agent, with no retry.
#
# The guest is told its TSC rate (src/runv/vm.c says why): a boot then
# never depends on a calibration against an emulated timer.  Twenty
# sandboxes in a row with retries off must all reach the agent; then a
# guest that hangs the way guests hung before the fix (its clock left to
# calibrate: QEMU without the clock arguments) must be retried once,
# loudly, and counted, and with retries off must fail with its console.
. "$(dirname "$0")/../lib/harness.sh"
BOOTS=20
plan $((BOOTS + 15))

ebv() { "$EDGEBOX" --root "$EB_ROOT" --class runv "$@"; }
LOG=$EB_TMP/runtime.log
make_bundle "$EB_TMP/b" true

out=$("$EDGEBOX" --root "$EB_ROOT" check 2>&1)
if [ "$(grep -o 'accelerator: [A-Z]*' <<<"$out")" = "accelerator: TCG" ]; then
    check_match "check: the guest is told the host's TSC rate under TCG" 'guest clock: .*told its rate, [0-9]+ kHz' "$out"
else
    check_match "check: the guest clock under KVM is kvm-clock" 'guest clock: kvm-clock' "$out"
fi

check_match "check: the guest image line carries its kernel release (image.json)" \
    "guest image: .*\"kernel_release\": \"$(jq -r .kernel_release "${EDGEBOX_GUEST_DIR:-$EB_SRC/build/guest}/image.json")\"" "$out"

# ---- BOOTS boots in a row, each must reach the agent at its first attempt ----
for i in $(seq 1 $BOOTS); do
    EDGEBOX_RUNV_BOOT_RETRIES=0 "$EDGEBOX" --root "$EB_ROOT" --class runv --log "$LOG" \
        run --bundle "$EB_TMP/b" "boot$i" >"$EB_TMP/boot.out" 2>&1 </dev/null
    rc=$?
    ms=$(sed -n "s/.*sandbox boot$i: ready \([0-9]*\) ms after QEMU started (attempt 1).*/\1/p" "$LOG")
    if [ $rc -eq 0 ] && [ -n "$ms" ]; then
        pass "boot $i of $BOOTS reached the agent at its only attempt ($ms ms)"
    else
        fail "boot $i of $BOOTS reached the agent at its only attempt" "rc=$rc: $(tail -c 600 "$EB_TMP/boot.out")"
    fi
done
# The wall clock comes from QEMU's RTC: without it the guest starts at 1970.
make_bundle "$EB_TMP/d" date +%s
gt=$(ebv run --bundle "$EB_TMP/d" clock1 2>&1 </dev/null); ht=$(date +%s)
if [ -n "$gt" ] && [ "$gt" -eq "$gt" ] 2>/dev/null && [ $((ht - gt)) -le 10 ] && [ $((gt - ht)) -le 2 ]; then
    pass "the guest's wall clock is the host's at boot (guest $gt, host $ht)"
else
    fail "the guest's wall clock is the host's at boot" "guest [$gt], host $ht"
fi
check_eq "no boot needed a retry (the monitor's log)" 0 "$(grep -c 'RETRY' "$LOG")"
out=$("$EDGEBOX" --root "$EB_ROOT" check 2>&1)
check_match "check: counts the boots, none retried or failed" \
    "\[ok\] boots on this node: $((BOOTS + 1)) reached the agent \(last in [0-9]+ ms\), 0 retried, 0 failed" "$out"

# ---- a hanging guest: QEMU as the monitor ran it before the fix ----
# The wrapper drops the clock arguments (and `quiet`, so the console shows
# where the kernel stops) for the first N starts, then runs QEMU as given:
# a guest without a PIT that must calibrate its TSC, the state in which
# every boot hung on the hosts of issue 16 (their PIT calibration failed).
cat > "$EB_TMP/qemu-hang" <<EOF
#!/bin/bash
n=\$(cat "$EB_TMP/hangs" 2>/dev/null || echo 0)
if [ "\$n" -gt 0 ]; then
    echo \$((n - 1)) > "$EB_TMP/hangs"
    args=()
    for a in "\$@"; do args+=("\$(sed -E 's/ tsc_early_khz=[0-9]+//; s/ tsc=reliable//; s/ quiet//' <<<"\$a")"); done
    exec qemu-system-x86_64 "\${args[@]}"
fi
exec qemu-system-x86_64 "\$@"
EOF
chmod +x "$EB_TMP/qemu-hang"
: > "$LOG"
echo 1 > "$EB_TMP/hangs"
# The wrapper is a test double that reads and writes a file of the test's:
# it runs outside QEMU's jail (runv_confine.sh tests the jail), which
# changes nothing the retry does.
EDGEBOX_QEMU=$EB_TMP/qemu-hang EDGEBOX_RUNV_BOOT_TIMEOUT_S=8 EDGEBOX_RUNV_CONFINE=0 \
    "$EDGEBOX" --root "$EB_ROOT" --class runv --log "$LOG" run --bundle "$EB_TMP/b" hang1 >"$EB_TMP/hang.out" 2>&1 </dev/null
check_eq "hang, then retry: the container ran after the one retry" 0 $?
check_match "hang, then retry: logged as an error with the attempt" \
    'level=error msg="sandbox hang1: RETRY: boot attempt 1 of 2 did not reach the agent in 8 s' "$(cat "$LOG")"
# What a hung boot printed before the fix: the calibration that fails.
check_match "hang, then retry: the log carries the guest console's tail" 'RETRY.*guest console: .*(tsc|TSC|clock|APIC)' "$(cat "$LOG")"
check_match "hang, then retry: the second attempt reached the agent" 'sandbox hang1: ready [0-9]+ ms after QEMU started \(attempt 2\)' "$(cat "$LOG")"
out=$("$EDGEBOX" --root "$EB_ROOT" check 2>&1)
check_match "check: the retry is counted and shown with its sandbox" \
    "\[NO\] boots on this node: $((BOOTS + 2)) reached the agent .*, 1 retried, 0 failed .*last retry: [0-9T:Z-]+ sandbox hang1: attempt 1: " "$out"
check_eq "hang, then retry: nothing left" "" "$(ls "$EB_ROOT/.runv" | grep -v '^boot-stats'; pgrep -f 'qemu-system.*-name edgebox-hang1( |$)')"

# ---- retries off: the hang is a failed create, said with the console ----
echo 1 > "$EB_TMP/hangs"
out=$(EDGEBOX_QEMU=$EB_TMP/qemu-hang EDGEBOX_RUNV_BOOT_TIMEOUT_S=8 EDGEBOX_RUNV_BOOT_RETRIES=0 EDGEBOX_RUNV_CONFINE=0 \
    "$EDGEBOX" --root "$EB_ROOT" --class runv run --bundle "$EB_TMP/b" hang2 2>&1 </dev/null); rc=$?
check_match "retries off: a hung boot fails run" '^[1-9]' "$rc"
check_match "retries off: the error names the sandbox and gives the console" \
    "sandbox .?hang2.?.*the guest did not boot in time; guest console: " "$out"
out=$("$EDGEBOX" --root "$EB_ROOT" check 2>&1)
check_match "check: the failed boot is counted" "boots on this node: $((BOOTS + 2)) reached the agent .*, 1 retried, 1 failed" "$out"
check_eq "retries off: nothing left of the failed sandbox" "" \
    "$(ls "$EB_ROOT" | grep -x hang2; ls "$EB_ROOT/.runv" | grep -v '^boot-stats'; pgrep -f 'qemu-system.*-name edgebox-hang2( |$)')"
