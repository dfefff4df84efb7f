#!/bin/bash
# The soak (issue 13): CYCLES start/stop cycles of one VM of 32 MiB
# (default 200) through one monitor: umladmin start (until the guest is
# up), umladmin stop. After every 10 cycles a line with the monitor's open
# fds (/proc/PID/fd), its VmRSS and Pss, the mounts under the benchmark's
# directory and on the whole host, the host processes of the VM's user
# and the time of the last cycles; at the end the growth from the first
# line to the last. A leak shows as a column that climbs.
# Needs root and a build. Usage: bench/soak.sh [CYCLES]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
CYCLES=${1:-200}

bench_host soak
CG=umlmon-bench-soak-$$
sed -i "/^\[GLOBAL\]/a vm_uid_range = 524200-524287\ncgroup_parent = $CG" "$UMLMON_CONFIG"
trap 'bench_cleanup; for d in /sys/fs/cgroup/*/$CG /sys/fs/cgroup/$CG; do [ -d "$d" ] && rmdir "$d"; done' EXIT
bench_vm k1 "memory = 32M" "stop_timeout = 30"
"$B/umladmin" mkimage k1 >/dev/null || { echo "mkimage failed"; exit 1; }
"$B/umlmon" k1 || exit 1
pid=$(cat "$T/run/k1.pid")
BENCH_MONITORS+=("$pid")
uid=$(awk '$1 == "k1" { print $2 }' "$T/var/uids")

sample() {
	local fds rss pss mine all procs
	fds=$(ls "/proc/$pid/fd" | wc -l)
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")
	mine=$(findmnt -rn -o TARGET | grep -c "^$T/")
	all=$(findmnt -rn -o TARGET | wc -l)
	procs=$(pgrep -c -u "$uid")
	echo "$1 $fds $rss $pss $mine $all $procs"
}

echo "soak: $CYCLES cycles of one VM of 32M, $(nproc) cores, $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%6s %5s %8s %8s %7s %7s %6s %s\n' cycle fds rss_kib pss_kib mounts host_mt procs "ms/cycle (last 10)"
first=$(sample 0)
printf '%6s %5s %8s %8s %7s %7s %6s\n' $first
failed=0
t0=$(date +%s%N)
for c in $(seq 1 "$CYCLES"); do
	out=$("$B/umladmin" start k1 -timeout 120 2>&1) || { failed=$((failed + 1)); echo "cycle $c: $out"; }
	out=$("$B/umladmin" stop k1 2>&1) || { failed=$((failed + 1)); echo "cycle $c: $out"; }
	if [ $((c % 10)) = 0 ] || [ "$c" = "$CYCLES" ]; then
		last=$(sample "$c")
		printf '%6s %5s %8s %8s %7s %7s %6s %s\n' $last $((($(date +%s%N) - t0) / 1000000 / 10))
		t0=$(date +%s%N)
	fi
done
# the idle state after the first cycles against after the last
read -r _ f0 r0 p0 m0 h0 _ <<<"$(sample 0)"
echo "failed steps: $failed; end load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "after all cycles: fds $f0, rss $r0 KiB, pss $p0 KiB, mounts $m0 (host $h0); before the first: $(echo "$first" | cut -d' ' -f2-)"
