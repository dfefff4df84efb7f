#!/bin/bash
# A full tmpfs cannot stop other VMs. Each VM has a tmpfs of its own on
# its jail's /tmp (its memory + 32 MiB) that holds the kernel's memory
# file; the guest can reach it through hostfs. Root in vm1 fills it: only
# vm1's tmpfs is full. vm1 itself lives on if the writes through its page
# cache had touched all of its memory first; if not, its kernel dies of
# SIGBUS at the first page of its memory file the full tmpfs cannot back
# (UML makes that file sparse), which is reported as a crash. vm2 keeps
# running, and can be stopped and started while vm1's tmp is full; vm1's
# end is reported in its log and -info, and a new boot of vm1 gets an
# empty tmpfs.
. "$(dirname "$0")/lib.sh"

setup
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'stop_timeout = 20'
vms_up vm1 vm2
J1=$(jail_of vm1)
J2=$(jail_of vm2)

# ---- what the VMs share: not their tmp ----
for vm in vm1 vm2; do
	t=$(jail_of $vm)/tmp
	[ "$(findmnt -n -o FSTYPE --mountpoint "$t")" = tmpfs ] || fail "$vm: $t is not a tmpfs"
	size=$(stat -f -c '%b * %S' "$t")
	[ $((size)) = $(((64 + 32) << 20)) ] || fail "$vm: tmpfs of $((size)) bytes, not 64M + 32M"
	k=$(info_field $vm 'kernel pid')
	# the kernel's memory file (unlinked) is in its own tmp, not /dev/shm
	grep -E >/dev/null ' /tmp/[^ ]* \(deleted\)$' "/proc/$k/maps" ||
		fail "$vm: no memory file of /tmp in the kernel's maps"
	grep >/dev/null '/dev/shm' "/proc/$k/maps" && fail "$vm: the kernel maps /dev/shm"
done
[ "$(findmnt -n -o MAJ:MIN --mountpoint "$J1/tmp")" != "$(findmnt -n -o MAJ:MIN --mountpoint "$J2/tmp")" ] ||
	fail "vm1 and vm2 share their tmpfs"

# ---- root in vm1 fills its tmp through hostfs ----
k1=$(info_field vm1 'kernel pid')
tm_new fill
tm_login fill vm1
tm_send fill 'mount -t hostfs none /mnt -o /tmp && echo MOUNTED' Enter
tm_wait fill '^MOUNTED' 10
tm_send fill 'dd if=/dev/zero of=/mnt/fill bs=1M; echo DD-RC=$?' Enter
tm_wait fill '^DD-RC=|con1 closed: the VM stopped' 120
tm_capture fill | grep >/dev/null 'No space left on device' || fail "vm1's dd: $(tm_capture fill | tail -n 3)"
[ -f "$J1/tmp/fill" ] || fail "the guest's file is not in its jail's tmp"
[ "$(stat -f -c %a "$J1/tmp")" = 0 ] || fail "vm1's tmpfs is not full: $(stat -f -c '%a of %b free' "$J1/tmp")"
[ "$(stat -f -c %a "$J2/tmp")" -gt 0 ] || fail "vm2's tmpfs is full too"
log "vm1's tmp full: $(du -m "$J1/tmp/fill" | cut -f1) MiB written"
vm1_alive=
if tm_capture fill | grep >/dev/null '^DD-RC='; then
	# its memory was backed by then: vm1 lives on
	tm_send fill 'echo ALIVE-$((6*7))' Enter
	tm_wait fill '^ALIVE-42' 10
	kill -0 "$k1" || fail "vm1's kernel died"
	vm1_alive=1
else
	# the kernel's own SIGBUS, and nothing else, ended it
	wait_info vm1 state crashed 30
	grep >/dev/null 'vm1: kernel panic: Kernel mode signal 7' "$T/var/vm1/log/monitor.log" ||
		fail "vm1 ended, but not of SIGBUS: $(tail -n 5 "$T/var/vm1/log/monitor.log")"
	log "vm1's kernel died of SIGBUS at a page of its memory file its full tmpfs could not back"
fi

# ---- vm2 is untouched, and can be stopped and started ----
[ "$(info_field vm2 state)" = running ] || fail "vm2: state $(info_field vm2 state)"
watch vm2 -sysrq s >/dev/null || fail "vm2 does not answer"
out=$(watch vm2 -stop 2>&1) || fail "vm2 -stop: $out"
boot vm2
tm_new two
tm_login two vm2
tm_send two 'echo VM2-$((6*7))' Enter
tm_wait two '^VM2-42' 10
tm_send two C-] q

# ---- vm1's end is reported; its next boot has an empty tmpfs ----
if [ -n "$vm1_alive" ]; then
	tm_send fill C-] q
	out=$(watch vm1 -halt 2>&1) || fail "vm1 -halt with a full tmp: $out"
	[ "$(info_field vm1 state)" = stopped ] || fail "vm1: state $(info_field vm1 state) after -halt"
	grep -F >/dev/null "vm1: stopped: " "$T/var/vm1/log/monitor.log" ||
		fail "vm1's end is not in its monitor.log"
else
	grep -F >/dev/null "vm1: crashed: " "$T/var/vm1/log/monitor.log" ||
		fail "vm1's end is not in its monitor.log"
fi
[ -n "$(info_field vm1 'last exit')" ] || fail "vm1: no 'last exit' in -info"
log "vm1 -info last exit: $(info_field vm1 'last exit')"
kill -0 "$k1" 2>/dev/null && fail "vm1's kernel $k1 lives on"
[ -z "$(jail_mounts vm1)" ] || fail "vm1's mounts left after its end: $(jail_mounts vm1)"
boot vm1
# a new tmpfs: the file is gone, and the margin free (the memory file
# holds what the guest has touched so far)
[ -e "$J1/tmp/fill" ] && fail "vm1's new boot has the old tmp"
free=$(stat -f -c '%a * %S' "$J1/tmp")
[ $((free)) -ge $((32 << 20)) ] || fail "vm1's new tmpfs has only $((free)) bytes free"
watch vm1 -halt >/dev/null || fail "vm1 -halt"
watch vm2 -halt >/dev/null || fail "vm2 -halt"
[ -z "$(findmnt -rn -o TARGET | grep "^$T/")" ] || fail "mounts left: $(findmnt -rn -o TARGET | grep "^$T/")"
log "PASS"
