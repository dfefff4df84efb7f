#!/bin/bash
# Time from "start" to the guest's first init line: the bare UML kernel on
# an image, against a boot of the same image through umlmon (jail, tmpfs,
# ptys, RPC). Needs root, hyperfine, a build in ../build.
# Usage: bench/boot_to_init.sh [RUNS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${1:-15}
mark="umlmon-guest: init started"

bench_host bench
trap 'bench_cleanup_bare; bench_cleanup' EXIT
bench_cleanup_bare() { [ -f "$T/bare.pid" ] && kill -TERM "$(cat "$T/bare.pid")" 2>/dev/null; true; }
bench_vm bench 'memory = 64M'
"$B/umladmin" mkimage bench >/dev/null
cp "$T/var/bench/jail/disks/root.dsk" "$T/bare.dsk"
mkdir -p "$T/uml"
bench_monitor bench
log=$T/var/bench/log/con0

# the bare kernel: same memory, same image (a copy), console to a file
cat >"$T/bare-start" <<SH
#!/bin/bash
: >"$T/bare.out"
setsid /usr/bin/linux mem=64M ubd0=$T/bare.dsk umid=bare uml_dir=$T/uml \
	con=null ssl=null con0=fd:0,fd:1 con1=null </dev/null >"$T/bare.out" 2>&1 &
echo \$! >"$T/bare.pid"
exec "$here/waitfor" "$T/bare.out" "$mark" 60
SH
cat >"$T/bare-stop" <<SH
#!/bin/bash
[ -f "$T/bare.pid" ] || exit 0
p=\$(cat "$T/bare.pid"); kill -TERM "\$p" 2>/dev/null
while kill -0 "\$p" 2>/dev/null; do sleep 0.05; done
rm -f "$T/bare.pid"
SH
# what went wrong in a run is kept in $T/errors (hyperfine shows no output)
cat >"$T/mon-start" <<SH
#!/bin/bash
"$B/umlwatch" bench -start >/dev/null 2>>"$T/errors" || exit 1
"$here/waitfor" "$log" "$mark" 60 && exit 0
{ echo "no '$mark' in $log within 60 s; its end:"; tail -n 5 "$log"; } >>"$T/errors"
exit 1
SH
cat >"$T/mon-stop" <<SH
#!/bin/bash
"$B/umlwatch" bench -halt >/dev/null 2>&1
: >"$log"
SH
chmod +x "$T"/bare-* "$T"/mon-*

hyperfine --runs "$runs" --warmup 2 --export-json "$T/result.json" \
	--prepare "$T/bare-stop" -n "bare linux" "$T/bare-start" \
	--prepare "$T/mon-stop" -n "through umlmon" "$T/mon-start" || {
	echo "boot_to_init: a run failed:" >&2
	cat "$T/errors" >&2 2>/dev/null
	tail -n 20 "$T/var/bench/log/monitor.log" >&2
	exit 1
}
"$T/bare-stop"
python3 - "$T/result.json" <<'PY'
# Boot time here is bimodal (~1.2 s or ~2.1 s: the kernel's raid6
# benchmark), so a median of a few runs may land in either mode. Report the
# minimum, the mean, and the median within each mode.
import json, statistics, sys
r = json.load(open(sys.argv[1]))["results"]
t = {x["command"]: sorted(x["times"]) for x in r}
bare, mon = t["bare linux"], t["through umlmon"]
cut = (min(bare + mon) + max(bare + mon)) / 2
def modes(v):
    lo = [x for x in v if x < cut]; hi = [x for x in v if x >= cut]
    return (statistics.median(lo) if lo else float("nan"), len(lo),
            statistics.median(hi) if hi else float("nan"), len(hi))
print()
print("| figure | bare linux | through umlmon | ratio |")
print("|---|---|---|---|")
for name, f in (("min", min), ("mean", statistics.mean)):
    b, m = f(bare), f(mon)
    print(f"| {name} | {b*1000:.0f} ms | {m*1000:.0f} ms | {m/b:.3f} |")
bl, bn, bh, bhn = modes(bare); ml, mn, mh, mhn = modes(mon)
print(f"| median, fast mode (n={bn}/{mn}) | {bl*1000:.0f} ms | {ml*1000:.0f} ms | {ml/bl:.3f} |")
print(f"| median, slow mode (n={bhn}/{mhn}) | {bh*1000:.0f} ms | {mh*1000:.0f} ms | {mh/bh:.3f} |")
PY
