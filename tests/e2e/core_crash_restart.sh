#!/bin/bash
# A second start is refused; kill -9 of the kernel gives state "crashed"
# with the reason and unmounts the jail; a new start works; pause and
# resume; halt; the monitor's SIGTERM stops a running VM before it exits;
# a monitor killed under its VM: the next one re-attaches and sees its end.
. "$(dirname "$0")/lib.sh"

setup
mkimage vm1
start_monitor vm1
boot vm1
kpid=$(info_field vm1 'kernel pid')

expect_fail "vm1: already running \(state running, kernel pid $kpid\)" watch vm1 -start
[ "$(info_field vm1 'kernel pid')" = "$kpid" ] || fail "the refused start changed the kernel"

# ---- crash ----
kill -9 "$kpid"
wait_state vm1 crashed 20
info_field vm1 'last exit' | grep >/dev/null 'killed by signal 9' ||
	fail "last exit: $(info_field vm1 'last exit')"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left after the crash: $(jail_mounts vm1)"
[ -z "$(info_field vm1 'kernel pid')" ] || fail "a kernel pid is still shown"
expect_fail "vm1: not running \(state crashed\)" watch vm1 -stop

# ---- start again ----
boot vm1
kpid2=$(info_field vm1 'kernel pid')
[ "$kpid2" != "$kpid" ] || fail "same kernel pid after restart"

# ---- pause and resume (mconsole stop/go) ----
watch vm1 -pause >/dev/null || fail "-pause"
[ "$(info_field vm1 state)" = paused ] || fail "state after pause: $(info_field vm1 state)"
expect_fail "vm1: already paused" watch vm1 -pause
watch vm1 -resume >/dev/null || fail "-resume"
[ "$(info_field vm1 state)" = running ] || fail "state after resume"

# ---- sysrq and a refused one ----
watch vm1 -sysrq s >/dev/null || fail "-sysrq s"
expect_fail "sysrq 'xy': expected one letter or digit" watch vm1 -sysrq xy

# ---- halt ----
out=$(watch vm1 -halt 2>&1) || fail "-halt: $out"
log "$out"
echo "$out" | grep >/dev/null 'halted' || fail "halt said: $out"
[ "$(info_field vm1 state)" = stopped ] || fail "state after halt"
kill -0 "$kpid2" 2>/dev/null && fail "kernel $kpid2 alive after halt"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left after halt"

# ---- the monitor's SIGTERM stops a running VM, then it exits ----
boot vm1
kpid3=$(info_field vm1 'kernel pid')
stop_monitor vm1
kill -0 "$kpid3" 2>/dev/null && fail "kernel $kpid3 outlived its monitor"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left after the monitor exited"
grep -q 'stopped by ctrl-alt-del' "$T/var/vm1/log/monitor.log" ||
	fail "the monitor did not stop the VM cleanly"

# ---- a monitor killed while its VM runs: the VM lives on; a new monitor
# re-attaches to it (umlmon(8) "Re-attaching"), sees its kernel's end
# (through the watcher's hand-over connection) and starts it again ----
start_monitor vm1
boot vm1
kpid4=$(info_field vm1 'kernel pid')
wpid4=$(info_field vm1 'watcher pid')
mpid=$(monitor_pid vm1)
kill -9 "$mpid"
for _ in $(seq 50); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$kpid4" || fail "the kernel died with its monitor"
start_monitor vm1
[ "$(info_field vm1 'kernel pid')" = "$kpid4" ] || fail "the new monitor did not take over kernel $kpid4"
[ "$(info_field vm1 state)" = running ] || fail "state $(info_field vm1 state) after re-attaching"
kill -9 "$kpid4"
wait_state vm1 crashed 20
wait_info vm1 'last exit' 'killed by signal 9' 20
for _ in $(seq 100); do
	kill -0 "$kpid4" 2>/dev/null || kill -0 "$wpid4" 2>/dev/null || break
	sleep 0.1
done
[ -z "$(jail_mounts vm1)" ] || fail "the re-attached monitor left the mounts: $(jail_mounts vm1)"
boot vm1
watch vm1 -halt >/dev/null || fail "-halt after recovery"
log "PASS"
