#!/bin/bash
# snapshot.sh -- the guest's pause during umlwatch -snapshot, and a merge
# on a file system that shares blocks:
# - a VM with its root image (ubd0) and a 1 GiB COW (ubd1, over 1 GiB of
#   random data) with 10% of its sectors written (bench/cowfill) in
#   random runs of RUN_KIB (default 4: the worst case, every run its own
#   extent; 1024 is closer to a file system's long runs); the
#   pause -snapshot reports, RUNS times, on ext4 (the copy of the data
#   extents) and on XFS with reflink (clones), each in a loop file made
#   here; targets < 1 s on ext4, < 50 ms with reflinks;
# - on the XFS: umladmin disk merge of that COW into a new image against
#   uml_moo on the same files (target 50x faster); outputs compared. Our
#   merge syncs its output before it names it, uml_moo does not: a third
#   row times uml_moo with a sync of its output, and the CPU time of each
#   (user + system) is shown too.
# Needs root, hyperfine, uml_moo, mkfs.xfs and a build.
# Usage: bench/snapshot.sh [RUNS [RUN_KIB]]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-5}
run_kib=${2:-4}
for c in hyperfine uml_moo mkfs.xfs mkfs.ext4 losetup; do
	command -v "$c" >/dev/null || { echo "needs $c" >&2; exit 1; }
done

T=$(mktemp -d /tmp/umlmon-sbench.XXXXXX)
chmod 755 "$T"
LOOPS=()
cleanup() {
	local fs l
	for fs in ext4 xfs; do
		[ -f "$T/$fs.conf" ] || continue
		UMLMON_CONFIG=$T/$fs.conf "$B/umlwatch" s -halt >/dev/null 2>&1 || true
		[ -f "$T/run-$fs/s.pid" ] && kill -TERM "$(cat "$T/run-$fs/s.pid")" 2>/dev/null
		for _ in $(seq 50); do
			[ -f "$T/run-$fs/s.pid" ] && kill -0 "$(cat "$T/run-$fs/s.pid")" 2>/dev/null ||
				break
			sleep 0.1
		done
	done
	# the jails' mounts, then the file systems, then their loop devices
	findmnt -rn -o TARGET | grep "^$T/" | sort -r | xargs -r umount -l || true
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c 1G /dev/urandom >"$T/base.dsk"
declare -A pause
for fs in ext4 xfs; do
	truncate -s 6G "$T/$fs.img"
	if [ "$fs" = xfs ]; then
		mkfs.xfs -q -f -m reflink=1 "$T/$fs.img"
	else
		mkfs.ext4 -q -F "$T/$fs.img"
	fi
	loop=$(losetup --find --show "$T/$fs.img")
	LOOPS+=("$loop")
	mkdir "$T/$fs"
	mount "$loop" "$T/$fs"
	export UMLMON_CONFIG=$T/$fs.conf
	cat >"$UMLMON_CONFIG" <<CONF
[GLOBAL]
vardir = $T/$fs/var
shared = $T/$fs/shared
rundir = $T/run-$fs

[s]
memory = 64M
ubd0 = /disks/root.dsk
ubd1 = /disks/big.cow
CONF
	"$B/umladmin" setup >/dev/null
	"$B/umladmin" mkimage s >/dev/null
	cp "$T/base.dsk" "$T/$fs/shared/disks/base.dsk"
	chmod 0644 "$T/$fs/shared/disks/base.dsk"
	"$B/umladmin" disk -vm s create /disks/big.cow /shared/disks/base.dsk >/dev/null
	"$BD/bench/cowfill" "$T/$fs/var/s/jail/disks/big.cow" 10 1 "$run_kib"
	"$B/umlmon" s
	"$B/umlwatch" s -start >/dev/null
	"$B/umlwatch" s -wait 120 >/dev/null
	p=()
	for i in $(seq 1 "$runs"); do
		out=$("$B/umlwatch" s -snapshot "r$i")
		p+=("$(printf '%s\n' "$out" | sed -n 's/.*guest paused \([0-9]*\) ms.*/\1/p')")
		how=$(printf '%s\n' "$out" | sed -n 's/.*ubd1 \/disks\/big.cow: \([a-z ]*\).*/\1/p')
		cmp "$T/$fs/var/s/snapshots/r$i/big.cow" "$T/$fs/var/s/jail/disks/big.cow" ||
			{ echo "$fs: the snapshot's copy of big.cow differs" >&2; exit 1; }
		"$B/umlwatch" s -delete-snapshot "r$i" >/dev/null
	done
	pause[$fs]="${p[*]}"
	echo "$fs: ubd1 $how; pauses (ms): ${p[*]}"
	"$B/umlwatch" s -stop >/dev/null
done

echo "== merge of the COW on XFS (reflink) against uml_moo"
export UMLMON_CONFIG=$T/xfs.conf
D=$T/xfs/var/s/jail/disks
hyperfine --runs "$runs" --warmup 1 --export-json "$T/merge.json" \
	--prepare "rm -f $D/m.dsk $T/xfs/moo.dsk; sync" \
	-n "umladmin disk merge" "$B/umladmin disk -vm s merge /disks/big.cow /disks/m.dsk" \
	-n "uml_moo" "uml_moo -b $T/xfs/shared/disks/base.dsk $D/big.cow $T/xfs/moo.dsk >/dev/null" \
	-n "uml_moo + sync" "uml_moo -b $T/xfs/shared/disks/base.dsk $D/big.cow $T/xfs/moo.dsk >/dev/null && sync $T/xfs/moo.dsk"
# hyperfine's --prepare removed the one output before the other's runs
rm -f "$D/m.dsk"
"$B/umladmin" disk -vm s merge /disks/big.cow /disks/m.dsk >/dev/null
cmp "$D/m.dsk" "$T/xfs/moo.dsk" && echo "outputs identical (cmp)"

python3 - "$T/merge.json" "${pause[ext4]}" "${pause[xfs]}" "$run_kib" <<'PY'
import json, statistics, sys
m = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ours, moo, moos = m["umladmin disk merge"], m["uml_moo"], m["uml_moo + sync"]
cpu = lambda r: (r["user"] + r["system"]) * 1000
e = [int(x) for x in sys.argv[2].split()]
x = [int(x) for x in sys.argv[3].split()]
print()
print("COW written in random runs of %s KiB" % sys.argv[4])
print("| figure | baseline / target | umlmon | ratio |")
print("|---|---|---|---|")
print("| snapshot pause, ext4 (copy), median of %d | < 1000 ms | %d ms (max %d) | |"
      % (len(e), statistics.median(e), max(e)))
print("| snapshot pause, XFS reflink (clone), median of %d | < 50 ms | %d ms (max %d) | |"
      % (len(x), statistics.median(x), max(x)))
print("| merge on XFS reflink, median | uml_moo %.0f ms | %.0f ms | %.1fx faster |"
      % (moo["median"] * 1000, ours["median"] * 1000, moo["median"] / ours["median"]))
print("| merge, median, both synced | uml_moo + sync %.0f ms | %.0f ms | %.1fx faster |"
      % (moos["median"] * 1000, ours["median"] * 1000, moos["median"] / ours["median"]))
print("| merge, CPU (user + system), mean | uml_moo %.0f ms | %.0f ms | %.1fx less |"
      % (cpu(moo), cpu(ours), cpu(moo) / cpu(ours)))
PY
