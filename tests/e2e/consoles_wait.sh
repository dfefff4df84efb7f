#!/bin/bash
# -wait on a guest that never becomes ready (init=/bin/sh: no rcS, so no
# ready notice; con1 = null: no login prompt) gives up after its timeout
# with the state and what is missing (exit status 1).
. "$(dirname "$0")/lib.sh"

setup 'args = init=/bin/sh' 'con1 = null'
mkimage vm1
start_monitor vm1
watch vm1 -start >/dev/null || fail "-start"
remember_vm_pids vm1
wait_state vm1 running 60
start=$(date +%s%N)
expect_fail "vm1: not up after [0-9.]+ s \(state running; no ready notice nor login prompt on con1 yet\)" \
	watch vm1 -wait 3
ms=$(( ($(date +%s%N) - start) / 1000000 ))
log "-wait 3 gave up after $ms ms"
[ $ms -ge 3000 ] || fail "-wait 3 gave up after $ms ms"
[ $ms -lt 30000 ] || fail "-wait 3 took $ms ms"
watch vm1 -wait 3 >/dev/null 2>&1
[ $? = 1 ] || fail "a -wait that timed out does not exit with 1"
grep -E >/dev/null '^guest up +not yet' <(watch vm1 -info) || fail "-info: the guest is not 'not yet' up"

watch vm1 -halt >/dev/null || fail "-halt"
log "PASS"
