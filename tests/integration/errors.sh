#!/bin/bash
# errors.sh - bad input gets one clear error line and leaves nothing.
. "$(dirname "$0")/../lib/harness.sh"
plan 58

B=$EB_TMP/b
make_bundle "$B" true
one_line() { # the CLI prints the error once
    local n; n=$(printf '%s\n' "$1" | grep -c 'level=error')
    [ "$n" = 1 ]
}
expect_error() { # expect_error NAME REGEX ID CMD...
    local name=$1 re=$2 id=$3; shift 3
    local out; out=$("$@" 2>&1); local rc=$?
    if [ $rc -eq 0 ]; then fail "$name" "succeeded: $out"; return; fi
    check_match "$name" "$re" "$out"
    if one_line "$out"; then pass "$name: one error line"; else fail "$name: one error line" "$out"; fi
    [ -n "$id" ] && check_eq "$name: leaves nothing" "" "$(leftovers "$id")"
}

cp "$B/config.json" "$EB_TMP/good.json"
echo '{"ociVersion": "1.0.2", "root": {"path": "rootfs"' > "$B/config.json"
expect_error "malformed config.json" 'config.json: invalid JSON: unexpected end of input' e1 eb create --bundle "$B" e1
jq '.process.user.uid = "root"' "$EB_TMP/good.json" > "$B/config.json"
expect_error "wrong type in config.json" 'process.user.uid: expected an integer, got a string' e2 eb create --bundle "$B" e2
jq '.linux.namespaces += [{"type": "bogus"}]' "$EB_TMP/good.json" > "$B/config.json"
expect_error "unknown namespace" 'linux.namespaces\[[0-9]+\].type: unknown namespace type .bogus.' e3 eb create --bundle "$B" e3
jq '.process.cwd = "relative"' "$EB_TMP/good.json" > "$B/config.json"
expect_error "relative cwd" 'process.cwd: .relative. is not an absolute path' e4 eb create --bundle "$B" e4
jq '.linux.resources.memory.limit = 1.5' "$EB_TMP/good.json" > "$B/config.json"
expect_error "float where an integer is due" 'linux.resources.memory.limit: expected an integer' e5 eb create --bundle "$B" e5
jq '.root.path = "nonexistent"' "$EB_TMP/good.json" > "$B/config.json"
expect_error "missing rootfs" 'rootfs .*nonexistent.*No such file' e6 eb create --bundle "$B" e6
jq '.process.args = ["/no/such/program"]' "$EB_TMP/good.json" > "$B/config.json"
expect_error "missing program" 'no/such/program' e7 eb create --bundle "$B" e7
jq '.ociVersion = "2.0.0"' "$EB_TMP/good.json" > "$B/config.json"
expect_error "unsupported ociVersion" 'ociVersion: unsupported version' e8 eb create --bundle "$B" e8
jq 'del(.process)' "$EB_TMP/good.json" > "$B/config.json"
expect_error "no process" 'process: required' e9 eb create --bundle "$B" e9
expect_error "missing bundle" 'bundle .*/nope' "" eb create --bundle "$EB_TMP/nope" e10
cp "$EB_TMP/good.json" "$B/config.json"

expect_error "unknown container: state" 'container .ghost. does not exist' "" eb state ghost
expect_error "unknown container: start" 'container .ghost. does not exist' "" eb start ghost
expect_error "unknown container: kill" 'container .ghost. does not exist' "" eb kill ghost
expect_error "unknown container: delete" 'container .ghost. does not exist' "" eb delete ghost
expect_error "invalid container id" 'invalid container id' "" eb create --bundle "$B" '../etc'

set_args "$B" sleep 30
eb create --bundle "$B" dup
expect_error "bad signal" 'invalid signal .SIGNOPE.' "" eb kill dup SIGNOPE
expect_error "signal number out of range" 'invalid signal .99.' "" eb kill dup 99
expect_error "second container with the same id" 'container with id .dup. already exists' "" eb create --bundle "$B" dup
check_eq "  ... the first one is untouched" created "$(eb state dup | jq -r .status)"
eb delete -f dup

expect_error "unknown command" 'no such command .frobnicate.' "" eb frobnicate
expect_error "unknown flag" 'flag provided but not defined: --nope' "" eb create --nope x
expect_error "--systemd-cgroup is refused clearly" 'systemd cgroup driver is not supported' "" "$EDGEBOX" --root "$EB_ROOT" --systemd-cgroup state x
expect_error "bad --log-format" 'invalid log format' "" "$EDGEBOX" --log-format xml state x

# --log with json: containerd's shim reads errors from there
"$EDGEBOX" --root "$EB_ROOT" --log "$EB_TMP/log.json" --log-format json state ghost 2>/dev/null
check_eq "--log-format json writes runc-style JSON errors" "error" "$(jq -r .level "$EB_TMP/log.json")"
check_match "  ... with the message" 'does not exist' "$(jq -r .msg "$EB_TMP/log.json")"

# --debug goes to the log; --help lists the commands
set_args "$B" true
"$EDGEBOX" --root "$EB_ROOT" --debug --log "$EB_TMP/debug.log" run --bundle "$B" dbg >/dev/null 2>&1
check_match "--debug logs the steps (cgroup writes, mounts)" 'level=debug msg="(cgroup|mount)' "$(cat "$EB_TMP/debug.log")"
check_eq "--help lists the commands" 4 "$("$EDGEBOX" --help | grep -cE '^  (create|exec|events|features) ')"
