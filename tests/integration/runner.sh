#!/bin/bash
# runner.sh - the test runner's own truth: run_step (tests/lib/runner.sh)
# fails a script that dies, stops short of its plan, hangs, or has no
# plan, and passes one that runs its plan.  The inner steps' lines go to a
# file, never to this script's output (the outer runner would count them).
. "$(dirname "$0")/../lib/harness.sh"
plan 8

W=$EB_TMP/runner
mkdir -p "$W"
script() { # script NAME BODY: a test script sourcing the harness
    printf '. %q\n%s\n' "$EB_SRC/tests/lib/harness.sh" "$2" > "$W/$1.sh"
}
script good $'plan 2\npass one\npass two'
script dies $'plan 3\npass one\necho $no_such_variable\npass two\npass three'
script short $'plan 3\npass one\nexit 0'
script hangs $'plan 1\nsleep 100\npass late'
script noplan $'pass one'
script fails $'plan 1\nfail one "on purpose"'

# step NAME CMD...: run_step in a subshell of its own; prints the runner's
# own not-ok lines about the step (the script's checks stay in its output)
step() {
    (
        LOG=$W/log.$1; : > "$LOG"
        say() { echo "$@" >> "$LOG"; }
        . "$EB_SRC/tests/lib/runner.sh"
        run_step "$@" > "$W/out.$1" 2>&1
        grep '^not ok - integration ' "$LOG"
    )
}
check_eq "a script that runs its plan passes" "" "$(step "integration good" timeout 60 bash "$W/good.sh")"
check_match "a script that dies part-way fails (its exit status)" \
    '^not ok - integration dies: exited with status 1 after 1 of 3 checks' "$(step "integration dies" timeout 60 bash "$W/dies.sh")"
check_match "a script that dies part-way fails (short of its plan)" \
    'not ok - integration dies: ran 1 checks, planned 3' "$(step "integration dies" timeout 60 bash "$W/dies.sh")"
check_match "a script that exits 0 short of its plan fails" \
    '^not ok - integration short: ran 1 checks, planned 3$' "$(step "integration short" timeout 60 bash "$W/short.sh")"
check_match "a script that times out fails, said as a timeout" \
    '^not ok - integration hangs: timed out \(status 124\) after 0 of 1 checks' "$(step "integration hangs" timeout -k 2 2 bash "$W/hangs.sh")"
check_match "an integration script without a plan fails" \
    '^not ok - integration noplan: the script declares no plan \(ran 1 checks\)$' "$(step "integration noplan" timeout 60 bash "$W/noplan.sh")"
check_eq "a failed check is the only failure of a script that ran its plan" "" \
    "$(step "integration fails" timeout 60 bash "$W/fails.sh")"
check_match "the failed check itself is in the step's output" '^not ok - fails: one: on purpose' "$(cat "$W/out.integration fails")"
