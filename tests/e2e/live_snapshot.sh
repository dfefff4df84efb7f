#!/bin/bash
# Snapshots of a running VM with the real kernel: a guest loop writes a
# file all the time; -snapshot pauses the guest after a sync and reports
# the pause; a file is changed after it; -restore is refused while the VM
# runs, works once it is stopped; the next boot has the file as it was at
# the snapshot, and e2fsck finds the disk clean after that boot's stop.
# Names are checked, a name is taken once, -delete-snapshot removes it.
# With LIVE_FS=xfs (live_snapshot_reflink) the VM's files are on XFS with
# reflink in a loop file.
. "$(dirname "$0")/lib.sh"

command -v e2fsck >/dev/null || need "e2fsck (e2fsprogs)"
setup
if [ "${LIVE_FS:-}" = xfs ]; then
	# the VM's files on a file system that shares blocks: the disks are
	# cloned before the pause, which copies what the guest wrote since
	command -v mkfs.xfs >/dev/null || need "mkfs.xfs (xfsprogs)"
	truncate -s 2G "$T/xfs.img"
	mkfs.xfs -q -m reflink=1 "$T/xfs.img" || fail "mkfs.xfs"
	# a loop device that goes with the mount (cleanup unmounts it)
	mount -o loop "$T/xfs.img" "$T/var" || fail "mount the XFS"
	"$UMLADMIN" setup >/dev/null || fail "umladmin setup on the XFS"
fi
# a COW over a shared backing file: the snapshot copies the COW and
# records which backing file it expects
sed -i 's|^ubd0 = /disks/root.dsk$|ubd0 = /disks/root.cow|' "$CONF"
base=$T/shared/disks/base.dsk
"$UMLADMIN" mkimage -o "$base" >/dev/null || fail "mkimage -o $base"
chmod 0644 "$base"
start_monitor vm1
out=$(watch vm1 -disk create /disks/root.cow /shared/disks/base.dsk 2>&1) ||
	fail "create the COW: $out"
jail1=$(jail_of vm1)

# refusals that need no guest
expect_fail 'snapshot name .*no ./.' watch vm1 -snapshot ../x
expect_fail 'snapshot name .*no ./.' watch vm1 -snapshot a/b
expect_fail 'snapshot nope: no such snapshot' watch vm1 -restore nope
expect_fail 'snapshot nope: no such snapshot' watch vm1 -delete-snapshot nope

boot vm1
tm_new term
tm_login term vm1
tm_send term 'echo before-snap >/root/known; sync; (i=0; while :; do echo $i >/root/loop; i=$((i + 1)); done) & echo LOOP-STARTED' Enter
tm_wait term '^LOOP-STARTED'

out=$(watch vm1 -snapshot s1 2>&1) || fail "-snapshot s1: $out"
log "$out"
printf '%s\n' "$out" | grep -qE 'snapshot s1 taken .* guest paused [0-9]+ ms \(sync confirmed\)' ||
	fail "-snapshot: no pause or no confirmed sync in: $out"
printf '%s\n' "$out" | grep -q 'ubd0 /disks/root.cow: .*backing /shared/disks/base.dsk' ||
	fail "-snapshot: the COW's backing is not named: $out"
if [ "${LIVE_FS:-}" = xfs ]; then
	printf '%s\n' "$out" | grep -q 'root.cow: cloned before the pause, .* written since' ||
		fail "-snapshot on XFS: not cloned before the pause: $out"
fi
grep -qx 'sync	confirmed' "$T/var/vm1/snapshots/s1/manifest" ||
	fail "manifest: $(cat "$T/var/vm1/snapshots/s1/manifest")"
# the copy is the guest's COW, the manifest's checksum its own
sum=$(awk -F'\t' '$1 == "disk" { print $7 }' "$T/var/vm1/snapshots/s1/manifest")
[ "$(sha256sum <"$T/var/vm1/snapshots/s1/root.cow" | cut -d' ' -f1)" = "$sum" ] ||
	fail "the manifest's sha256 is not the copy's"
# the guest runs on: the loop still writes after the snapshot
wait_info vm1 state running 10
tm_send term 'echo after-snap >/root/known; sync; echo CHANGED-$((6 * 7))' Enter
tm_wait term '^CHANGED-42'

# ---- a client's pause or resume during a snapshot is refused ----
# (the snapshot stops and resumes the guest itself; a go in its pause
# would let the guest write during the copy). The kernel held keeps the
# snapshot in its first step, its sync, until the mconsole's timeout.
kpid=$(info_field vm1 'kernel pid')
[ -n "$kpid" ] || fail "no kernel pid in -info"
kill -STOP "$kpid" || fail "kill -STOP $kpid"
watch vm1 -snapshot sx >"$T/sx.out" 2>&1 &
sx_pid=$!
PIDS_TO_KILL+=("$sx_pid")
refused=
for _ in $(seq 1 40); do
	if out=$(watch vm1 -resume 2>&1); then
		kill -CONT "$kpid"
		fail "-resume during a snapshot succeeded: $out"
	fi
	case $out in *'vm1: cannot resume: a snapshot is being taken'*) refused=1 && break ;; esac
	sleep 0.1
done
[ -n "$refused" ] || { kill -CONT "$kpid"; fail "-resume during the snapshot: $out"; }
out=$(watch vm1 -pause 2>&1) && { kill -CONT "$kpid"; fail "-pause during a snapshot succeeded: $out"; }
kill -CONT "$kpid"
case $out in *'vm1: cannot pause: a snapshot is being taken'*) ;; *) fail "-pause during a snapshot: $out" ;; esac
wait "$sx_pid" || log "snapshot sx with its kernel held: $(cat "$T/sx.out")"
wait_info vm1 state running 30
watch vm1 -delete-snapshot sx >/dev/null 2>&1 || true

out=$(watch vm1 -snapshots 2>&1) || fail "-snapshots: $out"
log "$out"
printf '%s\n' "$out" | grep -qE '^s1 +[0-9-]+ [0-9:]+ UTC +[0-9.]+[KMG]? +[0-9]+ ms +/disks/root.cow$' ||
	fail "-snapshots: $out"
expect_fail 'snapshot s1 already exists' watch vm1 -snapshot s1
expect_fail 'cannot restore snapshot s1 while the VM is running' watch vm1 -restore s1

tm_send term C-] q
out=$(watch vm1 -stop 2>&1) || fail "stop: $out"
out=$(watch vm1 -restore s1 2>&1) || fail "-restore s1: $out"
log "$out"
printf '%s\n' "$out" | grep -q '/disks/root.cow: restored from snapshot s1' || fail "restore: $out"

boot vm1
tm_send term clear Enter
tm_login term vm1
tm_shell term
tm_send term 'cat /root/known; echo READ-$((6 * 7))' Enter
tm_wait term '^READ-42'
tm_capture term | grep -q '^before-snap$' ||
	fail "the file is not as it was at the snapshot: $(tm_capture term | tail -5)"
tm_capture term | grep -q '^after-snap$' && fail "the change after the snapshot survived"
tm_send term C-] q
out=$(watch vm1 -stop 2>&1) || fail "stop: $out"

# the file system the snapshot gave back is clean
out=$(watch vm1 -disk merge /disks/root.cow /disks/check.dsk 2>&1) || fail "merge: $out"
e2fsck -fn "$jail1/disks/check.dsk" >"$T/fsck" 2>&1 ||
	fail "e2fsck after the restore: $(cat "$T/fsck")"
log "e2fsck: $(tail -1 "$T/fsck")"

out=$(watch vm1 -delete-snapshot s1 2>&1) || fail "-delete-snapshot: $out"
[ ! -e "$T/var/vm1/snapshots/s1" ] || fail "s1 is still there"
watch vm1 -snapshots | grep -q 'no snapshots' || fail "-snapshots after the delete"
log "ok"
