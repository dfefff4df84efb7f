#!/bin/bash
# -reboot goes through the monitor: the VM runs again with a new kernel
# pid, a greater boot number and a fresh jail (a new tmpfs on its /tmp);
# -reboot -wait returns once the new boot's guest is up.
. "$(dirname "$0")/lib.sh"

setup
mkimage vm1
start_monitor vm1
watch vm1 -start -wait 120 >/dev/null || fail "-start -wait"
remember_vm_pids vm1
k1=$(info_field vm1 'kernel pid')
b1=$(info_field vm1 boot | cut -d' ' -f1)
# a file in the jail's tmpfs: gone with a fresh jail
touch "$(jail_of vm1)/tmp/old-jail" || fail "cannot mark the jail's tmpfs"
n=$(init_count vm1)
out=$(watch vm1 -reboot -wait 120 2>&1) || fail "-reboot -wait: $out"
log "$out"
remember_vm_pids vm1
[ "$(info_field vm1 state)" = running ] || fail "not running after -reboot"
k2=$(info_field vm1 'kernel pid')
b2=$(info_field vm1 boot | cut -d' ' -f1)
[ -n "$k2" ] && [ "$k2" != "$k1" ] || fail "kernel pid $k1 before the reboot, '$k2' after"
[ "$b2" = $((b1 + 1)) ] || fail "boot $b1 before the reboot, '$b2' after"
[ -e "$(jail_of vm1)/tmp/old-jail" ] && fail "the jail's tmpfs is the old one"
wait_inits vm1 $((n + 1))
# the old kernel is gone
kill -0 "$k1" 2>/dev/null && [ "$(cat /proc/"$k1"/comm 2>/dev/null)" = linux ] &&
	fail "the old kernel $k1 still runs"
expect_fail "reboot: 'soon' is not a timeout" watch vm1 -reboot soon
watch vm1 -stop >/dev/null || fail "-stop"
expect_fail "vm1: not running \(state stopped\)" watch vm1 -reboot
log "PASS"
