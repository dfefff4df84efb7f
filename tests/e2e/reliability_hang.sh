#!/bin/bash
# A hung guest: its kernel is SIGSTOPped. An mconsole call (-mconsole,
# -sysrq) ends with a timeout error naming the VM and the command within
# its bound (5 s); `-stop 3` still ends the VM within its documented bound
# (umlmon(8), Stopping: N + 7 s for a kernel that answers nothing), it
# prints each step with its time as it happens, -info's last exit says
# SIGKILL, nothing of the boot is left on the host, the next start boots.
. "$(dirname "$0")/lib.sh"

N=3            # -stop's timeout, seconds
MC_BOUND=5     # the monitor's per-call mconsole timeout, seconds
STOP_BOUND=$((N + 7))
SLACK=8        # a loaded host: timers fire late, reaping takes a while
setup
mkimage vm1
start_monitor vm1
boot vm1

kpid=$(info_field vm1 'kernel pid')
[ -n "$kpid" ] || fail "no kernel pid in -info"
uid=$(vm_uid vm1)
kill -STOP "$kpid" || fail "kill -STOP $kpid"
log "kernel $kpid stopped"

# ---- an mconsole call times out ----
t0=$(date +%s%N)
expect_fail "^umlwatch: vm1: mconsole 'version': no answer in 5\.0 s" \
	watch vm1 -mconsole version
ms=$((($(date +%s%N) - t0) / 1000000))
log "-mconsole version: timed out after $ms ms"
[ $ms -ge $((MC_BOUND * 1000)) ] || fail "-mconsole version failed after $ms ms, before its timeout"
[ $ms -le $(((MC_BOUND + SLACK) * 1000)) ] || fail "-mconsole version took $ms ms (bound ${MC_BOUND}s)"
grep >/dev/null "vm1: mconsole 'version': no answer" "$T/var/vm1/log/monitor.log" ||
	fail "the timeout is not in the monitor's log"
# the monitor's own commands through the mconsole too
expect_fail "^umlwatch: vm1: mconsole 'sysrq s': no answer in 5\.0 s" watch vm1 -sysrq s

# ---- -stop 3 escalates to SIGKILL, telling each step as it happens ----
t0=$(date +%s%N)
watch vm1 -stop $N >"$T/stop.out" 2>&1 &
stop_pid=$!
PIDS_TO_KILL+=("$stop_pid")
# the first step shows while the kernel still lives
wait_file "$T/stop.out" "vm1: ctrl-alt-del: no end after" $((N + SLACK))
kill -0 "$kpid" 2>/dev/null || fail "the kernel ended before -stop told its first step"
wait "$stop_pid" || fail "-stop $N: $(cat "$T/stop.out")"
ms=$((($(date +%s%N) - t0) / 1000000))
out=$(cat "$T/stop.out")
log "-stop $N: $ms ms:"
printf '%s\n' "$out" >&2
[ $ms -le $(((STOP_BOUND + SLACK) * 1000)) ] || fail "-stop $N took $ms ms (bound ${STOP_BOUND}s)"
for re in "^vm1: ctrl-alt-del: no end after [0-9.]+ s$" \
	"^vm1: sysrq s \(sync\): no answer, no end after [0-9.]+ s$" \
	"^vm1: SIGTERM: no end after [0-9.]+ s$" \
	"^vm1: SIGKILL: ended after [0-9.]+ s$" \
	"^vm1: killed by the monitor with SIGKILL.*mconsole did not answer"; do
	printf '%s\n' "$out" | grep -E >/dev/null -- "$re" || fail "-stop's answer has no /$re/"
done
# the ctrl-alt-del grace is N seconds, not less
cad=$(printf '%s\n' "$out" | sed -n 's/^vm1: ctrl-alt-del: no end after \([0-9]*\)\..*/\1/p')
[ "${cad:-0}" -ge $N ] || fail "ctrl-alt-del was given ${cad:-?} s, not $N"
for step in "ctrl-alt-del: no end" "SIGKILL: ended"; do
	grep >/dev/null "stop: vm1: $step after" "$T/var/vm1/log/monitor.log" ||
		fail "the monitor's log has no step '$step'"
done

# ---- -info, and what is left ----
[ "$(info_field vm1 state)" = stopped ] || fail "state after -stop: $(info_field vm1 state)"
info_field vm1 'last exit' | grep >/dev/null 'SIGKILL' ||
	fail "-info's last exit: $(info_field vm1 'last exit')"
kill -0 "$kpid" 2>/dev/null && fail "kernel $kpid still lives"
left=$(pgrep -u "$uid" || true)
[ -z "$left" ] || fail "processes of the vmuser left: $left"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left: $(jail_mounts vm1)"

# ---- the next start boots ----
boot vm1
watch vm1 -mconsole version >/dev/null || fail "-mconsole version after the new boot"
watch vm1 -halt >/dev/null || fail "-halt"
log "PASS"
