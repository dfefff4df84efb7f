#!/bin/bash
# A kernel that panics: the VM is crashed at once, with the panic text as
# the reason, and the kernel is ended (not left spinning until a stop
# timeout); with on_panic = keep the kernel stays for inspection until
# -halt ends it. An end by the stop escalation reads as what it was.
. "$(dirname "$0")/lib.sh"

# init=... that does not exist: "Requested init ... failed", a panic
setup 'args = init=/umlmon-no-such-init'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'args = init=/umlmon-no-such-init' \
	'on_panic = keep'
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk'
# a panic with no mconsole: its initcall left out, the missing init
# panics with nothing but the console to say so (too little memory did
# this once; the minimum memory refuses it now)
add_vm vm4 'memory = 64M' 'ubd0 = /disks/root.dsk' \
	'args = initcall_blacklist=mconsole_init init=/umlmon-no-such-init'
mkimage vm1
for v in vm2 vm3 vm4; do
	mkdir -p "$(jail_of $v)/disks"
	cp --sparse=always "$(jail_of vm1)/disks/root.dsk" "$(jail_of $v)/disks/root.dsk"
done
start_monitor vm1
start_monitor vm2
start_monitor vm3
start_monitor vm4

# ---- ended at once ----
out=$(watch vm1 -start 2>&1) || fail "vm1 -start: $out"
remember_vm_pids vm1
wait_state vm1 crashed 60
# crashed at the panic; the last exit is final once the kernel is reaped
wait_info vm1 'last exit' 'ended by the monitor' 60
reason=$(info_field vm1 'last exit')
log "vm1: $reason"
printf '%s\n' "$reason" | grep -E >/dev/null \
	'^the kernel panicked: Requested init /umlmon-no-such-init failed.*; ended by the monitor \(SIG(TERM|KILL)\)' ||
	fail "vm1's last exit: '$reason'"
[ -z "$(info_field vm1 'kernel pid')" ] || fail "vm1's kernel still listed"
grep >/dev/null "vm1: kernel panic: Requested init" "$T/var/vm1/log/monitor.log" ||
	fail "no panic in vm1's monitor log"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left after the panic: $(jail_mounts vm1)"

# ---- before the mconsole is up: read from the kernel's console ----
out=$(watch vm4 -start 2>&1) || fail "vm4 -start: $out"
remember_vm_pids vm4
wait_state vm4 crashed 60
# crashed at the panic; the last exit is final once the kernel is reaped
wait_info vm4 'last exit' 'ended by the monitor' 60
reason=$(info_field vm4 'last exit')
log "vm4: $reason"
printf '%s\n' "$reason" | grep -E >/dev/null '^the kernel panicked: .+; ended by the monitor \(SIGKILL\)' ||
	fail "vm4's last exit: '$reason'"

# ---- kept for inspection ----
out=$(watch vm2 -start 2>&1) || fail "vm2 -start: $out"
remember_vm_pids vm2
wait_state vm2 crashed 60
kp=$(info_field vm2 'kernel pid')
[ -n "$kp" ] && kill -0 "$kp" 2>/dev/null || fail "vm2's panicked kernel is gone (pid '$kp')"
info_field vm2 'last exit' | grep >/dev/null "the kernel panicked: Requested init.*kept for inspection" ||
	fail "vm2's last exit: $(info_field vm2 'last exit')"
expect_fail "vm2: already running|has not exited yet" watch vm2 -start
out=$(watch vm2 -halt 2>&1) || fail "vm2 -halt: $out"
log "$out"
printf '%s\n' "$out" | grep >/dev/null "the kernel panicked: Requested init.*ended by the monitor" ||
	fail "vm2 -halt said '$out'"
kill -0 "$kp" 2>/dev/null && fail "vm2's kernel $kp still runs after -halt"
[ "$(info_field vm2 state)" = crashed ] || fail "vm2 is $(info_field vm2 state)"

# ---- the escalation's last step says what it did ----
boot vm3
kp=$(info_field vm3 'kernel pid')
# a kernel that answers nothing: the escalation ends with SIGKILL
kill -STOP "$kp"
out=$(watch vm3 -halt 2>&1) || fail "vm3 -halt: $out"
log "$out"
printf '%s\n' "$out" | grep >/dev/null "^vm3: killed by the monitor with SIGKILL; its mconsole did not answer" ||
	fail "vm3 -halt said '$out'"
[ "$(info_field vm3 state)" = stopped ] || fail "vm3 is $(info_field vm3 state)"
log "ok"
