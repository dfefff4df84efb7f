#!/bin/bash
# Disks in /shared/disks: one the VM writes is really read-write (the
# shared directory is bound read-only; the monitor binds that file
# read-write on top), one with the r flag stays read-only; a start that
# cannot give the VM what its configuration says is refused with a clear
# message and leaves no mount.
. "$(dirname "$0")/lib.sh"

setup 'ubd1 = /shared/disks/data.dsk' 'ubd2r = /shared/disks/ro.dsk'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'ubd1 = /shared/disks/nowrite.dsk'
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' \
	'ubd1 = /shared/disks/gone.cow,/shared/disks/ro.dsk'
add_vm vm4 'memory = 64M' 'ubd0 = /disks/root.dsk' 'ubd1 = /shared/disks/link.dsk'
mkimage vm1
sd=$T/shared/disks
truncate -s 1M "$sd/data.dsk"
chown "$(vm_uid vm1):$(vm_uid vm1)" "$sd/data.dsk"
chmod 0600 "$sd/data.dsk"
printf 'READONLY-DATA-7' >"$sd/ro.dsk"
truncate -s 1M "$sd/ro.dsk"
chmod 0644 "$sd/ro.dsk"
sum_ro=$(sha256sum <"$sd/ro.dsk")
start_monitor vm1

boot vm1
jail_mounts vm1 | grep >/dev/null "/shared/disks/data.dsk$" ||
	fail "no read-write bind of data.dsk: $(jail_mounts vm1)"
findmnt -rn -o TARGET,OPTIONS | grep "/shared/disks/data.dsk rw," >/dev/null ||
	fail "data.dsk is not bound read-write: $(findmnt -rn -o TARGET,OPTIONS | grep data.dsk)"
findmnt -rn -o TARGET,OPTIONS | grep "/shared/disks/ro.dsk ro," >/dev/null ||
	fail "ro.dsk is not bound read-only: $(findmnt -rn -o TARGET,OPTIONS | grep ro.dsk)"
tm_new term
tm_login term vm1
# ubdb is data.dsk, ubdc ro.dsk
tm_send term 'printf SHARED-RW-42 | dd of=/dev/ubdb conv=notrunc 2>/dev/null && sync && echo WRITE-$((1+1))-OK' Enter
tm_wait term '^WRITE-2-OK' 20
tm_send term 'echo "[$(dd if=/dev/ubdc bs=15 count=1 2>/dev/null)]"' Enter
tm_wait term '^\[READONLY-DATA-7\]' 20
tm_send term 'printf x | dd of=/dev/ubdc conv=notrunc 2>/dev/null || echo RO-REFUSED-$((2+3))' Enter
tm_wait term '^RO-REFUSED-5' 20
tm_send term C-] q
out=$(watch vm1 -stop 2>&1) || fail "stop vm1: $out"
[ "$(head -c 12 "$sd/data.dsk")" = SHARED-RW-42 ] ||
	fail "the guest's write did not reach data.dsk: '$(head -c 12 "$sd/data.dsk" | od -c | head -1)'"
[ "$(sha256sum <"$sd/ro.dsk")" = "$sum_ro" ] || fail "the read-only disk changed"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left after the stop: $(jail_mounts vm1)"

# ---- starts that cannot be what the configuration says ----
for v in vm2 vm3 vm4; do
	mkdir -p "$(jail_of $v)/disks"
	cp --sparse=always "$(jail_of vm1)/disks/root.dsk" "$(jail_of $v)/disks/root.dsk"
	start_monitor $v
done
truncate -s 1M "$sd/nowrite.dsk"
chmod 0644 "$sd/nowrite.dsk"
expect_fail "vm2: cannot start: ubd1: /shared/disks/nowrite.dsk: the vmuser \(uid [0-9]+\) may not read and write it" \
	watch vm2 -start
expect_fail "vm3: cannot start: ubd1: /shared/disks/gone.cow: a COW file in /shared/disks must exist before the start" \
	watch vm3 -start
ln -s data.dsk "$sd/link.dsk"
expect_fail "vm4: cannot start: ubd1: /shared/disks/link.dsk: a symbolic link; a disk the VM writes in /shared/disks must be the file itself" \
	watch vm4 -start
for v in vm2 vm3 vm4; do
	[ "$(info_field $v state)" = stopped ] || fail "$v is not stopped"
	[ -z "$(jail_mounts $v)" ] || fail "mounts left by the refused start of $v: $(jail_mounts $v)"
done
[ "$(head -c 12 "$sd/data.dsk")" = SHARED-RW-42 ] || fail "data.dsk changed"
log "ok"
