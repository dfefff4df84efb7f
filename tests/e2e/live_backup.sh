#!/bin/bash
# Backups of snapshots with the real kernel: a snapshot of a running VM
# goes to a tar file outside the jail (GNU tar reads it, holes kept);
# restore-backup is refused while the VM runs and for a damaged copy
# (the checksum, nothing replaced); after the VM's disk is deleted, the
# backup brings it back and the guest's file is there at the next boot.
# A stopped VM's snapshot is taken without a pause.
. "$(dirname "$0")/lib.sh"

command -v tar >/dev/null || need "tar"
setup
mkimage vm1
start_monitor vm1
jail1=$(jail_of vm1)
boot vm1
tm_new term
tm_login term vm1
tm_send term 'echo backup-data-$((40 + 2)) >/root/data; sync; echo WROTE' Enter
tm_wait term '^WROTE'
out=$(watch vm1 -snapshot b1 2>&1) || fail "-snapshot b1: $out"
log "$out"

mkdir "$T/outside"
out=$("$UMLADMIN" backup vm1 b1 "$T/outside/b1.tar" 2>&1) || fail "backup: $out"
log "$out"
expect_fail 'already exists' "$UMLADMIN" backup vm1 b1 "$T/outside/b1.tar"
expect_fail 'snapshot nope: no such snapshot' "$UMLADMIN" backup vm1 nope "$T/outside/x.tar"
expect_fail 'cannot restore a backup while the VM is running' \
	"$UMLADMIN" restore-backup vm1 "$T/outside/b1.tar"

# GNU tar reads it: the image comes out sparse and equal to the snapshot's
mkdir "$T/x"
tar -C "$T/x" -xSf "$T/outside/b1.tar" || fail "GNU tar cannot read the backup"
cmp "$T/x/b1/root.dsk" "$T/var/vm1/snapshots/b1/root.dsk" ||
	fail "tar's image differs from the snapshot's"
cmp "$T/x/b1/manifest" "$T/var/vm1/snapshots/b1/manifest" || fail "manifest differs"
apparent=$(stat -c %s "$T/x/b1/root.dsk")
used=$(($(stat -c %b "$T/x/b1/root.dsk") * 512))
[ "$used" -lt "$apparent" ] || fail "the image lost its holes ($used of $apparent bytes)"
tarsize=$(stat -c %s "$T/outside/b1.tar")
[ "$tarsize" -lt "$apparent" ] || fail "the tar holds the holes ($tarsize bytes)"
log "image $apparent bytes, $used allocated; tar $tarsize bytes"

tm_send term C-] q
out=$(watch vm1 -stop 2>&1) || fail "stop: $out"
# a stopped VM's snapshot: no pause, no sync
out=$(watch vm1 -snapshot cold 2>&1) || fail "-snapshot of the stopped VM: $out"
printf '%s\n' "$out" | grep -q 'snapshot cold taken .*, no pause (sync none (stopped))' ||
	fail "-snapshot of the stopped VM: $out"
watch vm1 -snapshots | grep -qE '^cold +.* - +/disks/root.dsk$' ||
	fail "-snapshots: $(watch vm1 -snapshots)"
rm -f "$jail1/disks/root.dsk"

# a damaged copy: one byte of the guest's file changed in the tar
cp "$T/outside/b1.tar" "$T/outside/bad.tar"
off=$(grep -obUa 'backup-data-42' "$T/outside/bad.tar" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "the guest's file is not in the tar"
printf 'X' | dd of="$T/outside/bad.tar" bs=1 seek="$off" conv=notrunc status=none
expect_fail 'root.dsk: checksum mismatch .*nothing restored' \
	"$UMLADMIN" restore-backup vm1 "$T/outside/bad.tar"
[ ! -e "$jail1/disks/root.dsk" ] || fail "a damaged backup put a disk in place"
# a truncated one
head -c 3000 "$T/outside/b1.tar" >"$T/outside/short.tar"
expect_fail 'truncated archive' "$UMLADMIN" restore-backup vm1 "$T/outside/short.tar"

out=$("$UMLADMIN" restore-backup vm1 "$T/outside/b1.tar" 2>&1) || fail "restore-backup: $out"
log "$out"
# a disk another monitor holds (here: its registry lock, as a monitor on
# another node of shared storage takes it) is not replaced
hold_disk_lock "$jail1/disks/root.dsk" 'the monitor of vm9 on node9 (pid 4242)'
ino=$(stat -c %i "$jail1/disks/root.dsk")
expect_fail 'root.dsk: cannot restore: in use by the monitor of vm9 on node9 \(pid 4242\)' \
	"$UMLADMIN" restore-backup vm1 "$T/outside/b1.tar"
[ "$(stat -c %i "$jail1/disks/root.dsk")" = "$ino" ] || fail "a held disk was replaced"
kill "$LOCK_HOLDER"
wait "$LOCK_HOLDER" 2>/dev/null
boot vm1
tm_send term clear Enter
tm_login term vm1
tm_shell term
tm_send term 'cat /root/data; echo READ-$((6 * 7))' Enter
tm_wait term '^READ-42'
tm_capture term | grep -q '^backup-data-42$' ||
	fail "the restored disk lacks the guest's file: $(tm_capture term | tail -5)"
tm_send term C-] q
out=$(watch vm1 -stop 2>&1) || fail "stop: $out"
log "ok"
