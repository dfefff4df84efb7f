#!/bin/bash
# umlmon -upgrade while a -connect client is attached and the guest prints
# a counter every 100 ms: the monitor executes itself again (same pid) and
# re-attaches: the same checks as after kill -9 (reattach_lib.sh); a
# paused VM stays paused; an idle monitor executes itself again too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reattach_lib.sh"

setup
reattach_case upgrade

# ---- a paused VM is paused after the upgrade (run-state), and resumes;
# a monitor without a running VM executes itself again too ----
boot vm1
watch vm1 -pause >/dev/null || fail "-pause"
out=$("$UMLMON" -upgrade vm1 2>&1) || fail "umlmon -upgrade vm1 (paused): $out"
[ "$(info_field vm1 state)" = paused ] || fail "state $(info_field vm1 state) after upgrading a paused VM"
watch vm1 -resume >/dev/null || fail "-resume after the upgrade"
[ "$(info_field vm1 state)" = running ] || fail "state $(info_field vm1 state) after -resume"
watch vm1 -halt >/dev/null || fail "-halt"
out=$("$UMLMON" -upgrade vm1 2>&1) || fail "umlmon -upgrade vm1 (stopped): $out"
printf '%s\n' "$out" | grep -E >/dev/null "^vm1: upgraded: monitor pid $(monitor_pid vm1) executed again \(state stopped\)$" ||
	fail "umlmon -upgrade of an idle monitor said: $out"
boot vm1
watch vm1 -halt >/dev/null || fail "-halt"
log "PASS"
