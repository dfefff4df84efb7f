#!/bin/bash
# A guest that reboots (UML executes itself again in the same process) is
# given a new kernel in a freshly set-up jail, and boots to init again. A
# stop that reaches a kernel before its init (ctrl-alt-del then reboots
# it) still ends in a stopped VM.
. "$(dirname "$0")/lib.sh"

command -v uml_mconsole >/dev/null || need "uml_mconsole (uml-utilities)"
# vm2 waits 10 s before it mounts its root: its mconsole is up long
# before its init runs
setup
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'args = rootdelay=10'
mkimage vm1
mkimage vm2
start_monitor vm1
boot vm1
kpid=$(info_field vm1 'kernel pid')

# ---- the guest reboots: uml_mconsole (the peer tool) asks for it ----
sock=$(jail_of vm1)/tmp/vm1/mconsole
timeout 10 uml_mconsole "$sock" reboot >/dev/null 2>&1 || true
wait_inits vm1 2 60
wait_state vm1 running 30
kpid2=$(info_field vm1 'kernel pid')
[ -n "$kpid2" ] && [ "$kpid2" != "$kpid" ] ||
	fail "the rebooted VM kept its kernel process ($kpid -> '$kpid2')"
kill -0 "$kpid" 2>/dev/null && fail "the old kernel $kpid is still alive"
remember_vm_pids vm1
grep -q 'vm1: the guest rebooted; restarting it in a fresh jail' \
	"$T/var/vm1/log/monitor.log" || fail "the monitor did not see the reboot"
info_field vm1 'last exit' | grep >/dev/null 'rebooted by the guest' ||
	fail "last exit: $(info_field vm1 'last exit')"
grep -q 'Failed to lock' "$T/var/vm1/log/con0" &&
	fail "the new boot found its disk locked"
out=$(watch vm1 -stop 2>&1) || fail "-stop after the reboot: $out"
[ "$(info_field vm1 state)" = stopped ] || fail "state after stop"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left: $(jail_mounts vm1)"

# ---- a stop before the guest's init: ctrl-alt-del reboots the kernel,
# and the monitor halts the new boot instead of letting it run ----
start_monitor vm2
out=$(watch vm2 -start 2>&1) || fail "vm2 -start: $out"
remember_vm_pids vm2
wait_state vm2 running 60
kpid=$(info_field vm2 'kernel pid')
out=$(watch vm2 -stop 2>&1) || fail "vm2 -stop: $out"
log "$out"
[ "$(info_field vm2 state)" = stopped ] || fail "vm2 state after stop"
kill -0 "$kpid" 2>/dev/null && fail "vm2's kernel $kpid is still alive"
grep -q 'vm2: the kernel rebooted instead of stopping; halting it' \
	"$T/var/vm2/log/monitor.log" || fail "the monitor did not catch the reboot"
[ "$(init_count vm2)" = 0 ] || fail "vm2 reached init"
[ -z "$(jail_mounts vm2)" ] || fail "mounts left: $(jail_mounts vm2)"
# and it does not come back by itself
sleep 2
[ "$(info_field vm2 state)" = stopped ] || fail "vm2 started again after the stop"
log "ok"
