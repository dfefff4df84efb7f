#!/bin/bash
# Hot-plug of a disk on a running VM: added with the checks of a boot,
# mounted and written in the guest; a remove while mounted is refused with
# the kernel's reason and leaves the disk; after umount it is accepted and
# its lock is gone. Memory within the boot's size shows in the guest, above
# it is refused. --keep writes the file (comments kept), without it the
# file is unchanged. Refusals: a disk outside the allowed places, a disk
# another VM uses, a bad name. An addition the kernel never answered (it
# ended) is not in the VM's next boot.
. "$(dirname "$0")/lib.sh"

# vm2 shares vm1's user (as disks_refusals), so that a hard link of
# vm1's disk is one vm2 could use, but for vm1's lock
setup '# the data disk comes and goes' 'vmuser = nobody' 'vmuser_shared = yes'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'vmuser = nobody' 'vmuser_shared = yes'
vms_up vm1 vm2
jail1=$(jail_of vm1)
out=$(watch vm1 -disk create /disks/data.dsk 16M 2>&1) || fail "create: $out"
# the guest's busybox has no mkfs
mke2fs -q -F -t ext2 "$jail1/disks/data.dsk" || fail "mke2fs data.dsk"
conf_before=$(sha256sum <"$CONF")

# ---- refusals ----
expect_fail "'ubd99' is not a disk" watch vm1 -add-disk ubd99=/disks/data.dsk
expect_fail "disks must be in /disks or /shared/disks" watch vm1 -add-disk ubd1=/etc/x.dsk
expect_fail "contains '.' or '..' components" \
	watch vm1 -add-disk ubd1=/disks/../../../vm2/jail/disks/root.dsk
expect_fail "nosuchvm: unknown VM" watch nosuchvm -add-disk ubd1=/disks/data.dsk
[ "$(sha256sum <"$CONF")" = "$conf_before" ] || fail "a refusal changed the file"

# ---- add, mount and write ----
out=$(watch vm1 -add-disk ubd1=/disks/data.dsk 2>&1) || fail "add-disk: $out"
log "$out"
info_field vm1 ubd1 | grep >/dev/null '^/disks/data.dsk$' || fail "-info ubd1: $(info_field vm1 ubd1)"
info_field vm1 hot-plug | grep >/dev/null 'ubd1 added' || fail "-info hot-plug: $(info_field vm1 hot-plug)"
ls "$T/shared/locks" >/dev/null 2>&1 || fail "no lock directory"
# its lock (SHARED/locks/MAJ:MIN:INO) is held while it is plugged in, and
# another VM is refused it, naming vm1
lock=$T/shared/locks/$(stat -c '%Hd:%Ld:%i' "$jail1/disks/data.dsk")
flock -n -x "$lock" true && fail "data.dsk is not locked while plugged in"
mkdir -p "$(jail_of vm2)/disks"
ln "$jail1/disks/data.dsk" "$(jail_of vm2)/disks/data.dsk"
expect_fail "vm2: ubd1: /disks/data.dsk: cannot plug in: in use by the monitor of vm1" watch vm2 -add-disk ubd1=/disks/data.dsk
[ -z "$(info_field vm2 ubd1)" ] || fail "vm2 got ubd1"
tm_new term
tm_login term vm1
tm_send term 'mkdir -p /mnt/d && mount /dev/ubdb /mnt/d && echo hello >/mnt/d/f && sync && echo MOUNT-RC=$?' Enter
tm_wait term '^MOUNT-RC=0' 30

# ---- remove while mounted: the kernel's reason ----
expect_fail "ubd1: the kernel refused: Device is currently open \(the guest has /disks/data.dsk open; unmount it first\)" watch vm1 -remove-disk ubd1
info_field vm1 ubd1 | grep >/dev/null data.dsk || fail "the refused remove dropped ubd1"
tm_send term 'cat /mnt/d/f; echo CAT-RC=$?' Enter
tm_wait term '^CAT-RC=0' 10

# ---- umount, then remove ----
tm_send term 'umount /mnt/d; echo UMOUNT-RC=$?' Enter
tm_wait term '^UMOUNT-RC=0' 10
out=$(watch vm1 -remove-disk ubd1 2>&1) || fail "remove-disk: $out"
log "$out"
[ -z "$(info_field vm1 ubd1)" ] || fail "ubd1 still in -info"
flock -n -x "$lock" true || fail "data.dsk is still locked after its removal"
[ "$(sha256sum <"$CONF")" = "$conf_before" ] || fail "without --keep the file changed"

# ---- memory ----
expect_fail "mem: 128M is more than the VM booted with \(64M\)" watch vm1 -mem 128M
out=$(watch vm1 -mem 40M 2>&1) || fail "-mem 40M: $out"
info_field vm1 memory | grep >/dev/null 'the guest has 40M now' || fail "-info memory: $(info_field vm1 memory)"
tm_send term 'free -k | awk "/Mem:/ { print \"FREE=\" \$4 }"' Enter
tm_wait term '^FREE=' 10
free=$(tm_capture term | sed -n 's/^FREE=\([0-9]*\).*/\1/p' | tail -n 1)
[ -n "$free" ] && [ "$free" -lt 30000 ] || fail "the guest has $free kB free after -mem 40M"
out=$(watch vm1 -mem 64M 2>&1) || fail "-mem 64M: $out"

# ---- --keep ----
out=$(watch vm1 -add-disk ubd1=/disks/data.dsk --keep 2>&1) || fail "add-disk --keep: $out"
grep -x 'ubd1 = /disks/data.dsk' "$CONF" >/dev/null || fail "ubd1 not written: $(cat "$CONF")"
grep -x '# the data disk comes and goes' "$CONF" >/dev/null || fail "the comment was lost"
out=$(watch vm1 -remove-disk ubd1 --keep 2>&1) || fail "remove-disk --keep: $out"
grep '^ubd1' "$CONF" >/dev/null && fail "ubd1 still in the file"
# memory: vm1's line replaced in place, vm2's as it was
out=$(watch vm1 -mem 48M --keep 2>&1) || fail "-mem 48M --keep: $out"
vm1_sec=$(sed -n '/^\[vm1\]/,/^\[/p' "$CONF")
echo "$vm1_sec" | grep -x 'memory = 48M' >/dev/null || fail "memory not kept in [vm1]: $(cat "$CONF")"
echo "$vm1_sec" | grep -x 'memory = 64M' >/dev/null && fail "[vm1] has two memory lines: $(cat "$CONF")"
[ "$(grep -cx 'memory = 64M' "$CONF")" = 1 ] || fail "vm2's memory line changed: $(cat "$CONF")"
tm_send term C-] q

# ---- the VM ends while an addition waits for the kernel's answer ----
# vm2: no hot-plug of its boot succeeded (they make the boot's end read
# the file again anyway)
kpid=$(info_field vm2 'kernel pid')
[ -n "$kpid" ] || fail "no kernel pid in -info"
kill -STOP "$kpid" || fail "kill -STOP $kpid"
watch vm2 -add-disk ubd2=/disks/data.dsk >"$T/add.out" 2>&1 &
add_pid=$!
PIDS_TO_KILL+=("$add_pid")
# in the running VM's view while the kernel is asked
wait_info vm2 ubd2 '^/disks/data.dsk$' 30
kill -KILL "$kpid"
wait "$add_pid" && fail "an addition the kernel never answered succeeded: $(cat "$T/add.out")"
grep >/dev/null 'ubd2: the VM stopped before the kernel answered' "$T/add.out" ||
	fail "add-disk of a VM that ended: $(cat "$T/add.out")"
# not kept: gone with the boot, not in the next one
[ -z "$(info_field vm2 ubd2)" ] || fail "vm2's ubd2, never plugged in, stays for the next boot: $(watch vm2 -info)"
log "ok"
