#!/bin/bash
# hooks.sh - the six OCI hook kinds as the runtime spec orders them, the
# state each gets on stdin, which failures stop the lifecycle (prestart,
# createRuntime, createContainer, startContainer) and which only warn
# (poststart, poststop), and timeouts.
. "$(dirname "$0")/../lib/harness.sh"
plan 21

B=$EB_TMP/b
# The hooks' log and script live in one directory bind-mounted at the same
# path in the container, so that the in-container hook (startContainer)
# finds the script and writes to the same log.  busybox sh and sed only:
# the script runs in the container too.
HL=$EB_TMP/hl
mkdir -p "$HL"
cat > "$HL/hook.sh" <<'HOOK'
#!/bin/sh
# $1 = a label; the state's status and pid are logged with it, the whole
# state saved as $1.json; with "saw" the pid's command line too, with
# "slow" it takes half a second (what poststart must wait for).
dir=$(dirname "$0")
read -r state
echo "$state" > "$dir/$1.json"
status=$(echo "$state" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
pid=$(echo "$state" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
line="$1 $status"
[ "$2" = saw ] && line="$line $(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null)"
[ "$2" = slow ] && sleep 0.5
echo "$line" >> "$dir/log"
HOOK
chmod 755 "$HL/hook.sh" "$HL" "$EB_TMP"
h() { echo "{\"path\": \"$HL/hook.sh\", \"args\": [\"hook.sh\", \"$1\"${2:+, \"$2\"}]}"; }
fails() { echo "{\"path\": \"/bin/false\"}"; }
log() { tr '\n' ',' < "$HL/log" 2>/dev/null; }

make_bundle "$B" sh -c "sleep 30; : eb-marker-hk1"
jq_edit "$B" ".mounts += [{\"destination\": \"$HL\", \"type\": \"bind\", \"source\": \"$HL\", \"options\": [\"rbind\"]}]
  | .annotations = {\"org.example.hook-test\": \"yes\"}
  | .hooks = {\"prestart\": [$(h prestart)], \"createRuntime\": [$(h createRuntime)], \"createContainer\": [$(h createContainer)],
             \"startContainer\": [$(h startContainer slow)], \"poststart\": [$(h poststart saw)], \"poststop\": [$(h poststop)]}"
eb create --bundle "$B" hk1
eb start hk1
eb kill hk1 KILL
wait_status hk1 stopped
eb delete hk1
check_eq "every kind runs, in the spec's order" "prestart,createRuntime,createContainer,startContainer,poststart,poststop," \
    "$(cut -d' ' -f1 < "$HL/log" | tr '\n' ',')"
check_match "create-time hooks get \"creating\" (create has not returned)" \
    '^prestart creating,createRuntime creating,createContainer creating,' "$(log)"
check_match "startContainer gets \"created\"" 'startContainer created,' "$(log)"
check_match "poststart gets \"running\" and sees the program itself, exec'd" 'poststart running sh -c sleep 30; : eb-marker-hk1 ,' "$(log)"
check_match "poststop gets \"stopped\"" 'poststop stopped,$' "$(log)"
st=$HL/prestart.json
check_eq "state on stdin: ociVersion, id, bundle" "1.1.0 hk1 $B" "$(jq -r '.ociVersion + " " + .id + " " + .bundle' "$st")"
check_match "state on stdin: the init's pid" '^[1-9][0-9]*$' "$(jq -r .pid "$st")"
check_eq "state on stdin: annotations" yes "$(jq -r '.annotations["org.example.hook-test"]' "$st")"
check_eq "state on stdin: poststop's pid is 0" 0 "$(jq -r .pid "$HL/poststop.json")"

# poststart and poststop: a failure is a warning, the next hook still runs
rm -f "$HL/log"
jq_edit "$B" ".hooks = {\"poststart\": [$(fails), $(h poststart2)], \"poststop\": [$(fails), $(h poststop2)]}"
eb create --bundle "$B" hk2
out=$(eb start hk2 2>&1); rc=$?
check_match "a failing poststart hook is a warning, start succeeds" 'level=warning.*hook poststart\[0\].*rc=0' "$(echo $out) rc=$rc"
check_match "  ... and the poststart hooks after it run" 'poststart2 running' "$(log)"
eb kill hk2 KILL; wait_status hk2 stopped
out=$(eb delete hk2 2>&1); rc=$?
check_match "a failing poststop hook is a warning, delete succeeds" 'level=warning.*hook poststop\[0\].*rc=0' "$(echo $out) rc=$rc"
check_match "  ... and the poststop hooks after it run" 'poststop2 stopped' "$(log)"

# the hooks before the program: a failure fails the operation
jq_edit "$B" ".hooks = {\"prestart\": [$(fails), $(h never)]}"
out=$(eb create --bundle "$B" hk3 2>&1)
check_match "a failing prestart hook fails create, naming it" 'level=error.*hook prestart\[0\] `/bin/false` exited with status 1' "$out"
check_eq "  ... runs no later hook and leaves nothing" " none" "$(leftovers hk3) $(cat "$HL/log" 2>/dev/null | grep -c never | sed 's/^0$/none/')"
jq_edit "$B" '.hooks = {"createRuntime": [{"path": "/bin/false"}]}'
check_match "a failing createRuntime hook fails create" 'hook createRuntime\[0\].*exited with status 1' "$(eb create --bundle "$B" hk4 2>&1)"
check_eq "  ... and leaves nothing" "" "$(leftovers hk4)"
jq_edit "$B" '.hooks = {"startContainer": [{"path": "/bin/false"}]}'
eb create --bundle "$B" hk5
out=$(eb start hk5 2>&1); rc=$?
check_match "a failing startContainer hook fails start, naming it" 'did not start: hook startContainer\[0\] `/bin/false` exited with status 1.*rc=1' "$(echo $out) rc=$rc"
check "  ... and the container is stopped, its program never run" wait_status hk5 stopped
eb delete hk5

# a hook over its timeout is killed and fails create; what it started
# too (it records its child's pid)
cat > "$EB_TMP/slow-hook.sh" <<SLOW
#!/bin/sh
sh -c 'echo \$\$ > $EB_TMP/hk6.child; exec sleep 7' &
wait
SLOW
chmod +x "$EB_TMP/slow-hook.sh"
jq_edit "$B" ".hooks = {\"prestart\": [{\"path\": \"$EB_TMP/slow-hook.sh\", \"timeout\": 1}]}"
# (to a file: a survivor holding the output would hold up $(...) instead)
eb create --bundle "$B" hk6 > "$EB_TMP/hk6.out" 2>&1
out=$(cat "$EB_TMP/hk6.out")
check_match "hook timeout fails create, naming the hook" 'hook prestart\[0\] `[^`]*slow-hook.sh` timed out after 1 s' "$out"
sleep 0.2
child=$(cat "$EB_TMP/hk6.child" 2>/dev/null)
# (a zombie is dead: its new parent, pid 1, may reap it late)
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$st" ] && [ "${st#Z}" = "$st" ]; }
check_eq "  ... the hook and what it started are killed, nothing is left" "started" \
    "$(leftovers hk6)$([ -n "$child" ] && echo started)$([ -n "$child" ] && alive "$child" && echo ' and alive')"
