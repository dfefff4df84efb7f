#!/bin/bash
# Many VMs (issue 13): N VMs of 32 MiB (default 50) started together with
# umladmin start --all, with each concurrency given (default: the
# configuration's, then all at once), against N x the single VM's boot
# time / cores, the single boot measured in the same run; then, all N up
# and idle, each monitor's RSS and Pss and its CPU over a minute, and the
# host memory per idle VM (MemAvailable before and after, the VMs'
# cgroups' memory.current); then more VMs up to MAX (default 100) and
# what they use of the limits that would bound the count (memory, ptys,
# pids, uids, fds). Every monitor is running before a timed start (umladmin
# update started them), so a figure is the boots alone.
# Needs root and a build. Usage: bench/scale.sh [N [MAX]]
# (JOBS="default 0 2 8" for the concurrencies of the timed starts; the
# console log of a boot that failed is kept in SCALE_KEEP, by default
# /tmp/umlmon-scale-failed; SCALE_ARGS: kernel switches for every VM, the
# args key).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-50}
MAX=${2:-100}
JOBS=${JOBS:-default 0}
cores=$(nproc)
KEEP=${SCALE_KEEP:-/tmp/umlmon-scale-failed}

bench_host scale
# uids above those the e2e tests take (458752 + 16 * (pid % 4000)) and
# below bench/soak.sh's; a cgroup parent of its own
CG=umlmon-bench-scale-$$
sed -i "/^\[GLOBAL\]/a vm_uid_range = 523000-524199\ncgroup_parent = $CG" "$UMLMON_CONFIG"
NS=umlmon-bench-scale-$$
trap 'bench_cleanup; ip netns del $NS 2>/dev/null; for d in /sys/fs/cgroup/*/$CG /sys/fs/cgroup/$CG; do [ -d "$d" ] && rmdir "$d"; done' EXIT
# umldir, as on a host that runs VMs (without it each monitor tries to
# register every second): in a network namespace of its own, so that its
# TCP ports are not the host's; the monitors reach it by its Unix socket
ip netns add "$NS" || exit 1
ip netns exec "$NS" "$B/umldir" -c "$UMLMON_CONFIG" || { echo "umldir did not start"; exit 1; }
BENCH_MONITORS+=("$(cat "$T/run/umldir.pid")")

A() { "$B/umladmin" "$@"; }
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
remember() { for f in "$T"/run/*.pid; do BENCH_MONITORS+=("$(cat "$f")"); done; }
define() { # FIRST LAST
	for i in $(seq "$1" "$2"); do
		bench_vm "s$i" "memory = 32M" "stop_timeout = 30" \
			${SCALE_ARGS:+"args = $SCALE_ARGS"}
	done
	seq "$1" "$2" | xargs -P "$cores" -I{} "$B/umladmin" mkimage s{} >/dev/null ||
		{ echo "mkimage failed"; exit 1; }
	out=$(A update 2>&1) || { echo "umladmin update failed: $out"; exit 1; }
}
stop_all() {
	A stop --all >/dev/null 2>&1 || echo "note: stop --all failed"
}
# the longest "up" of a start's output, and the time of the whole
timed_start() { # LABEL ARGS...
	local label=$1 t0 out rc total
	shift
	t0=$(date +%s%N)
	out=$(A start "$@" 2>&1)
	rc=$?
	total=$(ms "$t0")
	up=$(printf '%s\n' "$out" | grep -c ': up ')
	echo "$label: $up up in $total ms (rc $rc)"
	[ $rc = 0 ] || printf '%s\n' "$out" | grep -v ': up \|: started \|monitor started' | head -n 5
	# a failed boot's console log, kept for its cause (SCALE_KEEP)
	for v in $(printf '%s\n' "$out" | sed -n 's/^umladmin: start: \(s[0-9]*\): .*/\1/p'); do
		mkdir -p "$KEEP"
		cp "$T/var/$v/log/con0" "$KEEP/$v-$(date +%s).con0" 2>/dev/null
	done
	LAST_MS=$total
}

echo "scale: $N VMs of 32M, $cores cores, $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
define 1 "$N"
remember
avail0=$(meminfo MemAvailable)

# ---- one VM alone, three times: the median ----
singles=()
for r in 1 2 3; do
	t0=$(date +%s%N)
	A start s1 >/dev/null || echo "single boot $r failed"
	singles+=("$(ms "$t0")")
	stop_all
done
single=$(printf '%s\n' "${singles[@]}" | sort -n | sed -n 2p)
ideal=$((N * single / cores))
echo "single boot to up: ${singles[*]} ms, median $single ms; $N x single / $cores cores = $ideal ms (target 1.5x: $((ideal * 3 / 2)) ms)"

# ---- N at once, with each concurrency ----
for j in $JOBS; do
	if [ "$j" = default ]; then
		timed_start "start --all (start_concurrency default)" --all
	else
		timed_start "start --all -j $j" --all -j "$j"
	fi
	echo "  ratio to $N x single / cores: $(awk -v a="$LAST_MS" -v b="$ideal" 'BEGIN { printf "%.2f", a / b }')"
	last=$j
	[ "$j" = "${JOBS##* }" ] || stop_all
done

# ---- idle: the monitors and the memory per VM ----
sleep 10 # the guests' init has settled (this is a measurement, not a wait)
avail1=$(meminfo MemAvailable)
cgsum=0
for i in $(seq 1 "$N"); do
	cg=$("$B/umlwatch" "s$i" -info | sed -n 's/^cgroup  *\(\/[^ ]*\) .*/\1/p')
	c=$(cat "$cg/memory.current" 2>/dev/null || cat "$cg/memory.usage_in_bytes" 2>/dev/null || echo 0)
	cgsum=$((cgsum + c))
done
pids=()
for i in $(seq 1 "$N"); do pids+=("$(cat "$T/run/s$i.pid")"); done
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
declare -A c0
for p in "${pids[@]}"; do c0[$p]=$(cpu "$p"); done
t0=$(date +%s%N)
sleep 60
secs=$(awk -v t="$(ms "$t0")" 'BEGIN { print t / 1000 }')
hz=$(getconf CLK_TCK)
ticks=0 busy=0
for p in "${pids[@]}"; do
	d=$(($(cpu "$p") - c0[$p]))
	ticks=$((ticks + d))
	[ $d = 0 ] || busy=$((busy + 1))
done
rss=$(for p in "${pids[@]}"; do awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"; done | sort -n)
pss=$(for p in "${pids[@]}"; do awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup"; done | sort -n)
stat3() { printf '%s\n' "$1" | awk '{ a[NR] = $1 } END { printf "min %d, median %d, max %d KiB", a[1], a[int((NR + 1) / 2)], a[NR] }'; }
echo "idle monitor RSS: $(stat3 "$rss"); Pss: $(stat3 "$pss")"
echo "idle monitors' CPU over ${secs} s: $ticks ticks of $hz/s in all ($busy of $N monitors used any), $(awk -v t="$ticks" -v h="$hz" -v s="$secs" -v n="$N" 'BEGIN { printf "%.4f%%", 100 * t / h / s / n }') each on average"
echo "host memory per idle VM: MemAvailable $(( (avail0 - avail1) / N )) KiB; the VMs' cgroups' memory.current $((cgsum / N / 1024)) KiB"

# ---- listing N running VMs ----
t0=$(date +%s%N)
A list >/dev/null || echo "note: umladmin list failed"
echo "umladmin list of $N running VMs: $(ms "$t0") ms"

# ---- up to MAX: what the count uses of the host's limits ----
if [ "$MAX" -gt "$N" ]; then
	define $((N + 1)) "$MAX"
	remember
	timed_start "start --all with $MAX defined (the first $N up)" --all
	sleep 10
	avail2=$(meminfo MemAvailable)
	up=$(A list --json | python3 -c 'import json, sys; print(sum(v["state"] == "running" for v in json.load(sys.stdin)))')
	ptys=$(cat /proc/sys/kernel/pty/nr)
	procs=0 threads=0
	for f in /sys/fs/cgroup/pids/"$CG"/*/cgroup.procs /sys/fs/cgroup/"$CG"/*/cgroup.procs; do
		[ -f "$f" ] || continue
		procs=$((procs + $(wc -l <"$f")))
	done
	for f in /sys/fs/cgroup/pids/"$CG"/*/pids.current /sys/fs/cgroup/"$CG"/*/pids.current; do
		[ -f "$f" ] && threads=$((threads + $(cat "$f")))
	done
	fds=0 masters=0
	for f in "$T"/run/*.pid; do
		fds=$((fds + $(ls "/proc/$(cat "$f")/fd" | wc -l)))
		masters=$((masters + $(ls -l "/proc/$(cat "$f")/fd" | grep -c /dev/ptmx)))
	done
	per=$(( (avail0 - avail2) / MAX ))
	echo "$up of $MAX running; MemAvailable $avail2 KiB left, $per KiB per VM"
	echo "ptys: the monitors hold $masters ($((masters / MAX)) a VM); in use on the host $ptys of $(cat /proc/sys/kernel/pty/max) (others' too)"
	echo "host processes of the VMs: $procs, tasks (pids.current): $threads; pid_max $(cat /proc/sys/kernel/pid_max), threads-max $(cat /proc/sys/kernel/threads-max)"
	echo "monitors' fds: $fds in all ($((fds / MAX)) each); file-nr $(cut -f1 /proc/sys/fs/file-nr) of $(cut -f3 /proc/sys/fs/file-nr)"
	t0=$(date +%s%N)
	A list >/dev/null || echo "note: umladmin list failed"
	echo "umladmin list of $MAX running VMs: $(ms "$t0") ms"
	echo "uids: $MAX of the range's $((524199 - 523000 + 1)) (default range 65536)"
	echo "500 idle VMs would take $((per * 500 / 1024)) MiB (MemTotal $(( $(meminfo MemTotal) / 1024 )) MiB), $((masters * 500 / MAX)) ptys"
fi
