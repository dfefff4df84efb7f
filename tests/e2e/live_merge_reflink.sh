#!/bin/bash
# The merge of a COW on a file system that shares blocks (XFS with
# reflink in a loop file): the new image starts as a clone of the backing
# file, the COW's long runs of sectors are shared into it from the COW
# file (FICLONERANGE), its short ones written; the result is uml_moo's to
# the byte.
. "$(dirname "$0")/lib.sh"

command -v uml_moo >/dev/null || need "uml_moo (uml-utilities)"
command -v mkfs.xfs >/dev/null || need "mkfs.xfs (xfsprogs)"
command -v filefrag >/dev/null || need "filefrag (e2fsprogs)"
[ -x "$B/bench/cowfill" ] || fail "no $B/bench/cowfill (the build's bench programs)"
setup
truncate -s 1G "$T/xfs.img"
mkfs.xfs -q -m reflink=1 "$T/xfs.img" || fail "mkfs.xfs"
# a loop device that goes with the mount (cleanup unmounts it)
mount -o loop "$T/xfs.img" "$T/shared" || fail "mount the XFS"
"$UMLADMIN" setup >/dev/null || fail "umladmin setup on the XFS"
D=$T/shared/disks

head -c 64M /dev/urandom >"$D/base.dsk"
out=$("$UMLADMIN" disk create /shared/disks/c.cow /shared/disks/base.dsk 2>&1) ||
	fail "create the COW: $out"
# 5% of the sectors in random 4 KiB runs (written), 5% in 1 MiB runs
# (shared); a guest's file system writes both
"$B/bench/cowfill" "$D/c.cow" 5 1 >/dev/null || fail "cowfill 4 KiB runs"
"$B/bench/cowfill" "$D/c.cow" 10 2 1024 >/dev/null || fail "cowfill 1 MiB runs"
[ -z "$(filefrag -v "$D/c.cow" | awk '$NF ~ /(^|,)shared(,|$)/')" ] ||
	fail "the COW shares blocks before the merge"

out=$("$UMLADMIN" disk merge /shared/disks/c.cow /shared/disks/m.dsk 2>&1) ||
	fail "merge: $out"
uml_moo -b "$D/base.dsk" "$D/c.cow" "$T/moo.dsk" >/dev/null 2>&1 || fail "uml_moo failed"
cmp "$D/m.dsk" "$T/moo.dsk" || fail "the merge differs from uml_moo's"
# the 1 MiB runs were shared from the COW file, not written
shared=$(filefrag -v "$D/c.cow" | awk '$NF ~ /(^|,)shared(,|$)/' | wc -l)
[ "$shared" -gt 0 ] || fail "no block of the COW is shared with the merged image"
log "merge identical to uml_moo's; $shared extents of the COW shared into it"

# the merge into the backing file itself (in place) is untouched by
# this: the same bytes as uml_moo -d
cp --reflink=never "$D/base.dsk" "$D/base2.dsk"
"$UMLADMIN" disk create /shared/disks/d.cow /shared/disks/base2.dsk >/dev/null ||
	fail "create the second COW"
"$B/bench/cowfill" "$D/d.cow" 10 3 1024 >/dev/null || fail "cowfill d.cow"
cp --reflink=never "$D/d.cow" "$T/d-moo.cow"
# -p: uml_moo checks the backing file's mtime against the COW's record
cp -p --reflink=never "$D/base2.dsk" "$T/base2-moo.dsk"
out=$("$UMLADMIN" disk merge /shared/disks/d.cow 2>&1) || fail "merge in place: $out"
out=$(uml_moo -d -b "$T/base2-moo.dsk" "$T/d-moo.cow" 2>&1) || fail "uml_moo -d failed: $out"
cmp "$D/base2.dsk" "$T/base2-moo.dsk" || fail "the merge in place differs from uml_moo -d's"
log "ok"
