#!/bin/bash
# Disk operations that would lose data or leave the jail are refused with a
# message that names the file and the cause, and change nothing:
# a second read-write user, delete/resize/merge of a file in use, a backing
# file that COW files depend on, "..", host paths and symlinks that lead
# out, a backing file whose mtime changed, a backing file the VM may not
# read.
. "$(dirname "$0")/lib.sh"

# one image under two names is one user's: vm1 and vm2 share nobody on
# purpose (vmuser_shared), or neither would be given the image
setup 'vmuser = nobody' 'vmuser_shared = yes'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'vmuser = nobody' 'vmuser_shared = yes'
add_vm vm3 'memory = 64M' 'ubd0 = /disks/c.cow'
mkimage vm1
base=$T/shared/disks/base.dsk
"$UMLADMIN" mkimage -o "$base" >/dev/null || fail "mkimage -o $base"
chmod 0644 "$base"
start_monitor vm1
start_monitor vm2
start_monitor vm3
jail1=$(jail_of vm1)
jail2=$(jail_of vm2)
jail3=$(jail_of vm3)
# vm2's root is vm1's, under another name (a hard link)
mkdir -p "$jail2/disks"
ln "$jail1/disks/root.dsk" "$jail2/disks/root.dsk"
out=$(watch vm3 -disk create /disks/c.cow /shared/disks/base.dsk 2>&1) ||
	fail "create c.cow: $out"
sum_base=$(sha256sum <"$base")
sum_cow=$(sha256sum <"$jail3/disks/c.cow")

boot vm1
kpid=$(info_field vm1 'kernel pid')

# ---- a second read-write user ----
expect_fail "vm2: cannot start: ubd0: /disks/root.dsk: cannot boot: in use by vm1 \(read-write, kernel pid $kpid\)" \
	watch vm2 -start
[ "$(info_field vm2 state)" = stopped ] || fail "vm2 is not stopped"

# ---- delete, resize, merge of a file in use ----
expect_fail "/disks/root.dsk: cannot delete: in use by vm1 \(read-write, kernel pid $kpid\)" \
	watch vm1 -disk delete /disks/root.dsk
expect_fail "/disks/root.dsk: cannot resize: in use by vm1" \
	watch vm1 -disk resize /disks/root.dsk 128M
[ -f "$jail1/disks/root.dsk" ] || fail "the refused delete removed the disk"

# ---- a backing file that COW files depend on ----
expect_fail "/shared/disks/base.dsk: cannot delete: it is the backing file of vm3:/disks/c.cow" \
	watch vm3 -disk delete /shared/disks/base.dsk
expect_fail "/shared/disks/base.dsk: cannot resize: it is the backing file of vm3:/disks/c.cow" \
	watch vm3 -disk resize /shared/disks/base.dsk 128M

# ---- bad requests, refused before the monitor is asked ----
expect_fail "disk: unknown operation 'shrink'" watch vm1 -disk shrink /disks/root.dsk
expect_fail "disk resize: size 'lots'" watch vm1 -disk resize /disks/root.dsk lots

# ---- paths that lead out ----
expect_fail "/disks/../../../etc/x.dsk: empty, '.' and '..' components are not allowed" \
	watch vm1 -disk info /disks/../../../etc/x.dsk
expect_fail "/etc/passwd: not in /disks or /shared/disks" \
	watch vm1 -disk info /etc/passwd
expect_fail "/disks/notes.txt: unknown kind of disk" \
	watch vm1 -disk info /disks/notes.txt
echo secret >"$T/outside.dsk"
ln -s "$T/outside.dsk" "$jail1/disks/evil.dsk"
ln -s ../../../../.. "$jail1/disks/up"
expect_fail "/disks/evil.dsk: a symlink on the way leads out of /disks" \
	watch vm1 -disk copy /disks/evil.dsk /disks/stolen.dsk
expect_fail "/disks/up/outside.dsk: a symlink on the way leads out of /disks" \
	watch vm1 -disk info /disks/up/outside.dsk
[ ! -e "$jail1/disks/stolen.dsk" ] || fail "a copy through the symlink was made"
ls -A "$jail1/disks" | grep >/dev/null '^\.' && fail "temporary files left: $(ls -A "$jail1/disks")"

# ---- shrinking below the data, copying onto an existing file ----
out=$(watch vm1 -stop 2>&1) || fail "stop vm1: $out"
sum_root=$(sha256sum <"$jail1/disks/root.dsk")
expect_fail "/disks/root.dsk: cannot shrink to 1M: it holds data up to" \
	watch vm1 -disk resize /disks/root.dsk 1M
expect_fail "/disks/root.dsk: already exists" \
	watch vm1 -disk copy /shared/disks/base.dsk /disks/root.dsk
[ "$(sha256sum <"$jail1/disks/root.dsk")" = "$sum_root" ] ||
	fail "a refused operation changed vm1's disk"

# ---- a backing file that changed ----
touch -d '2020-01-02 03:04:05 UTC' "$base"
expect_fail "/disks/c.cow: its backing file /shared/disks/base.dsk changed: modified 2020-01-02 03:04:05 UTC, the COW expects" \
	watch vm3 -disk check /disks/c.cow
expect_fail "vm3: cannot start: ubd0: /disks/c.cow: its backing file /shared/disks/base.dsk changed" \
	watch vm3 -start
[ "$(info_field vm3 state)" = stopped ] || fail "vm3 is not stopped"
expect_fail "/disks/c.cow: its backing file /shared/disks/base.dsk changed" \
	watch vm3 -disk merge /disks/c.cow /disks/m.dsk
[ ! -e "$jail3/disks/m.dsk" ] || fail "a merge over a changed backing file was written"
[ "$(sha256sum <"$jail3/disks/c.cow")" = "$sum_cow" ] || fail "the COW changed"
[ "$(sha256sum <"$base")" = "$sum_base" ] || fail "the backing file's data changed"

# ---- a backing file the vmuser may not read ----
chmod 0600 "$base"
expect_fail "ubd0: /shared/disks/base.dsk: the vmuser \(uid [0-9]+\) may not read it" \
	watch vm3 -start
[ "$(info_field vm3 state)" = stopped ] || fail "vm3 is not stopped"
[ -z "$(jail_mounts vm3)" ] || fail "mounts left after a refused start"
log "ok"
