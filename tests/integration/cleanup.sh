#!/bin/bash
# cleanup.sh - delete --force always cleans up, also after the runtime was
# SIGKILLed half-way through create.
. "$(dirname "$0")/../lib/harness.sh"
plan 15

B=$EB_TMP/b
make_bundle "$B" sh -c 'echo eb-marker-$0 > /dev/null; sleep 100' k
# a createRuntime hook holds create in the middle: cgroup made, init
# cloned and in its namespaces with the rootfs mounted, not yet created
cat > "$EB_TMP/hold.sh" <<HOOK
#!/bin/sh
touch $EB_TMP/in-hook
sleep 60
HOOK
chmod +x "$EB_TMP/hold.sh"
jq_edit "$B" ".hooks.createRuntime = [{\"path\": \"$EB_TMP/hold.sh\"}]"

for round in 1 2 3; do
    id=k$round
    rm -f "$EB_TMP/in-hook"
    "$EDGEBOX" --root "$EB_ROOT" create --bundle "$B" $id &
    rt=$!
    case $round in
        1) for i in $(seq 100); do [ -e "$EB_TMP/in-hook" ] && break; sleep 0.05; done ;;  # inside the hook
        2) sleep 0.02 ;;                                                                  # early
        3) for i in $(seq 100); do [ -e "$EB_ROOT/$id/exec.fifo" ] && break; sleep 0.005; done ;;
    esac
    kill -9 $rt; wait $rt 2>/dev/null
    pkill -9 -f "$EB_TMP/hold.sh" 2>/dev/null
    state=$(eb state $id 2>&1 | jq -r .status 2>/dev/null)
    check_match "SIGKILL during create (round $round): state reads stopped or absent" '^(stopped|)$' "$state"
    eb delete --force $id >/dev/null 2>&1
    sleep 0.1
    check_eq "SIGKILL during create (round $round): delete --force leaves nothing" "" "$(leftovers $id)"
    check_eq "  ... no init process left (round $round)" "" "$(pgrep -f "eb-marker-k" || true)"
done

# a running container with children, paused: delete --force still cleans
jq_edit "$B" 'del(.hooks)'
set_args "$B" sh -c 'sleep 100 & sleep 100 & echo eb-marker-p1 >/dev/null; wait'
eb run -d --bundle "$B" p1
eb pause p1
eb delete --force p1
check_eq "delete --force of a paused container with children" "" "$(leftovers p1)"

# mounts of the container never reach the host mount table
check_eq "no container mount left on the host" 0 "$(grep -c "$EB_TMP" /proc/self/mountinfo)"

# concurrent commands on different containers don't block each other:
# one container's lock is held by a slow hook while another is created
jq_edit "$B" ".hooks.createRuntime = [{\"path\": \"$EB_TMP/hold.sh\"}]"
"$EDGEBOX" --root "$EB_ROOT" create --bundle "$B" slow &
slow=$!
for i in $(seq 100); do [ -e "$EB_TMP/in-hook" ] && break; sleep 0.05; done
make_bundle "$EB_TMP/b2" true
start=$(date +%s%N)
eb run --bundle "$EB_TMP/b2" fast
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
if [ $ms -lt 5000 ]; then pass "a container's lock doesn't block another container (${ms} ms)"; else fail "locks" "took ${ms} ms"; fi
kill -9 $slow; wait $slow 2>/dev/null; pkill -9 -f "$EB_TMP/hold.sh"
eb delete --force slow >/dev/null 2>&1
check_eq "cleanup of the held one" "" "$(leftovers slow)"

# a corrupt state file: state reports it, delete --force still cleans
jq_edit "$B" 'del(.hooks)'
set_args "$B" sh -c 'echo eb-marker-cor >/dev/null; sleep 100'
eb run -d --bundle "$B" cor
echo '{"id": "cor", "pid": ' > "$EB_ROOT/cor/state.json"
out=$(eb state cor 2>&1); check_match "a corrupt state file is reported" 'state of container .cor. is corrupt' "$out"
eb delete --force cor >/dev/null 2>&1
sleep 0.1
check_eq "delete --force cleans a container with a corrupt state file" "" "$(leftovers cor)"
