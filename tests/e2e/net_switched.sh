#!/bin/bash
# switched: two VMs on a virtual switch (uml_switch, started by the first
# monitor that needs it) ping each other, with no host bridge and no tap;
# the switch runs while a VM uses it and is gone after the last one stops.
. "$(dirname "$0")/lib.sh"

command -v uml_switch >/dev/null || need "uml_switch (uml-utilities)"
setup 'eth0 = switched(switch=lab1, guest_addr=10.7.0.2/24)'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' \
	'eth0 = switched(switch=lab1, guest_addr=10.7.0.3/24)'
# the switch needs no host networking; the test still keeps the monitors
# in a namespace of their own
netns_new host
MON_NETNS=$NS
mkimage vm1
mkimage vm2
start_monitor vm1
start_monitor vm2
boot vm1
pidf=$T/shared/switches/lab1/pid
[ -f "$pidf" ] || fail "no switch was started"
sw=$(cat "$pidf")
grep -qa uml_switch "/proc/$sw/cmdline" || fail "pid $sw is not a uml_switch"
[ "$(stat -c %U "/proc/$sw")" = nobody ] || fail "the switch does not run as nobody"
boot vm2
[ "$(cat "$pidf")" = "$sw" ] || fail "a second switch was started"

tm_new term
tm_login term vm1
tm_send term 'ping -c 3 -W 2 10.7.0.3 >/dev/null; echo VM2-RC=$?' Enter
tm_wait term '^VM2-RC=' 20
tm_capture term | grep >/dev/null '^VM2-RC=0' || fail "vm1 -> vm2 over the switch failed"
tm_send term C-] q

out=$(watch vm1 -stop 2>&1) || fail "stop vm1: $out"
kill -0 "$sw" 2>/dev/null || fail "the switch stopped while vm2 still uses it"
out=$(watch vm2 -stop 2>&1) || fail "stop vm2: $out"
for _ in $(seq 1 30); do
	kill -0 "$sw" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$sw" 2>/dev/null && fail "the switch (pid $sw) outlived its last VM"
[ ! -S "$T/shared/switches/lab1/ctl" ] || fail "the switch's socket was left"
pgrep -f "uml_switch -unix $T/" >/dev/null && fail "a uml_switch of this test is left"
log "ok"
