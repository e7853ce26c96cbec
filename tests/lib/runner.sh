# runner.sh - run_step, sourced by run-all.sh (and tested by
# tests/integration/runner.sh).  Needs LOG and say().
# run_step NAME CMD...: its output is counted.  A step fails (a "not ok"
# of its own) when it exits non-zero, times out (timeout's 124/137), or
# prints another number of checks than its "# plan N checks" line says;
# an integration script without a plan fails too.
run_step() {
    local name=$1 out rc planned ran
    shift
    echo "=== $name" | tee -a "$LOG"
    out=$(mktemp /tmp/edgebox-step.XXXXXX)
    "$@" 2>&1 | tee "$out" | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    planned=$(sed -n 's/^# plan \([0-9][0-9]*\) checks$/\1/p' "$out" | tail -n1)
    ran=$(grep -cE '^(ok|not ok|skip) - ' "$out")
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        say "not ok - $name: timed out (status $rc) after $ran of ${planned:-?} checks"
    elif [ "$rc" -ne 0 ]; then
        say "not ok - $name: exited with status $rc after $ran of ${planned:-?} checks"
    fi
    if [ -n "$planned" ] && [ "$ran" -ne "$planned" ]; then
        say "not ok - $name: ran $ran checks, planned $planned"
    elif [ -z "$planned" ] && [ "${name#integration }" != "$name" ]; then
        say "not ok - $name: the script declares no plan (ran $ran checks)"
    fi
    rm -f "$out"
}
