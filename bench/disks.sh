#!/bin/bash
# disks.sh -- disk operations against their baselines, in one run:
# - merge of a 1 GiB COW with 10% of its sectors written (random 4 KiB
#   blocks): umladmin disk merge (the code a monitor runs for -disk merge)
#   against uml_moo on the same files; time (hyperfine) and peak memory
#   (/usr/bin/time -v); the two outputs must be identical;
# - sparse copy: a 16 GiB flat image against a 1 GiB one holding the same
#   64 MiB of data: the time should follow the data, not the size.
# Needs root, hyperfine, uml_moo and a build. Usage: bench/disks.sh [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-5}
command -v hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 1; }
command -v uml_moo >/dev/null || { echo "needs uml_moo (uml-utilities)" >&2; exit 1; }

bench_host dbench
S=$T/shared/disks
A="$B/umladmin"

echo "== merge: 1 GiB backing file, COW with 10% of its sectors written"
head -c 1G /dev/urandom >"$S/base.dsk"
"$A" disk create /shared/disks/w.cow /shared/disks/base.dsk >/dev/null
"$BD/bench/cowfill" "$S/w.cow" 10
hyperfine --runs "$runs" --warmup 1 --export-json "$T/merge.json" \
	--prepare "rm -f $S/out.dsk $T/moo.dsk" \
	-n "umladmin disk merge" "$A disk merge /shared/disks/w.cow /shared/disks/out.dsk" \
	-n "uml_moo" "uml_moo -b $S/base.dsk $S/w.cow $T/moo.dsk >/dev/null"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
rm -f "$S/out.dsk" "$T/moo.dsk"
rss_ours=$(rss "$A" disk merge /shared/disks/w.cow /shared/disks/out.dsk)
rss_moo=$(rss uml_moo -b "$S/base.dsk" "$S/w.cow" "$T/moo.dsk")
cmp "$S/out.dsk" "$T/moo.dsk" && echo "outputs identical (cmp)"

echo "== sparse copy: 64 MiB of data in a 1 GiB and in a 16 GiB image"
for g in 1 16; do
	"$A" disk create "/shared/disks/s$g.dsk" "${g}G" >/dev/null
	for k in $(seq 0 15); do
		# 4 MiB at each 1/16 of the first GiB
		dd if=/dev/urandom of="$S/s$g.dsk" bs=1M count=4 seek=$((k * 64)) \
			conv=notrunc status=none
	done
done
hyperfine --runs "$runs" --warmup 1 --export-json "$T/copy.json" \
	--prepare "rm -f $S/c1.dsk $S/c16.dsk" \
	-n "copy 1 GiB" "$A disk copy /shared/disks/s1.dsk /shared/disks/c1.dsk" \
	-n "copy 16 GiB" "$A disk copy /shared/disks/s16.dsk /shared/disks/c16.dsk"
echo "copy 16 GiB: $(du -k "$S/c16.dsk" | cut -f1) KiB allocated of $(stat -c %s "$S/c16.dsk") bytes"

python3 - "$T/merge.json" "$T/copy.json" "$rss_ours" "$rss_moo" <<'PY'
import json, sys
m = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
c = {r["command"]: r for r in json.load(open(sys.argv[2]))["results"]}
ours, moo = m["umladmin disk merge"], m["uml_moo"]
c1, c16 = c["copy 1 GiB"], c["copy 16 GiB"]
ms = lambda r, k: r[k] * 1000
print()
print("| figure | baseline | umlmon | ratio |")
print("|---|---|---|---|")
print("| merge 1 GiB COW (10%% written), median | uml_moo %.0f ms | %.0f ms | %.1fx faster |"
      % (ms(moo, "median"), ms(ours, "median"), moo["median"] / ours["median"]))
print("| merge, min | uml_moo %.0f ms | %.0f ms | %.1fx faster |"
      % (ms(moo, "min"), ms(ours, "min"), moo["min"] / ours["min"]))
print("| merge, peak RSS | uml_moo %.1f MiB | %.1f MiB | |"
      % (int(sys.argv[4]) / 1024, int(sys.argv[3]) / 1024))
print("| sparse copy, 64 MiB of data, median | 1 GiB image %.0f ms | 16 GiB image %.0f ms | %.2f |"
      % (ms(c1, "median"), ms(c16, "median"), c16["median"] / c1["median"]))
PY
