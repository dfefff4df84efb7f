# lib.sh -- shared set-up of the benchmarks (sourced by bash): a umlmon
# host in a temporary directory, monitors started by the benchmark, and a
# cleanup that stops them, unmounts and removes everything on exit.

here=$(cd "$(dirname "$0")" && pwd)
BD=${UMLMON_BUILD:-$here/../build}
B=$BD/src

T=
BENCH_MONITORS=()
BENCH_VMS=()

bench_cleanup() {
	set +e
	# also the monitors that umladmin started (their pid files)
	for f in "$T"/run/*.pid; do
		[ -f "$f" ] && BENCH_MONITORS+=("$(cat "$f")")
	done
	for vm in "${BENCH_VMS[@]}"; do "$B/umlwatch" "$vm" -halt >/dev/null 2>&1; done
	for p in "${BENCH_MONITORS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${BENCH_MONITORS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	findmnt -rn -o TARGET | grep "^$T/" | sort -r | xargs -r umount -l
	rm -rf "$T"
}

# bench_host NAME: the host's directories, configuration ([GLOBAL] only;
# add VM sections with bench_vm) and shared dir with the kernel.
bench_host() {
	T=$(mktemp -d "/tmp/umlmon-$1.XXXXXX")
	chmod 755 "$T"
	trap bench_cleanup EXIT
	export UMLMON_CONFIG=$T/umlmon.conf
	printf '[GLOBAL]\nvardir = %s/var\nshared = %s/shared\nrundir = %s/run\n' \
		"$T" "$T" "$T" >"$UMLMON_CONFIG"
	"$B/umladmin" setup >/dev/null
}

# bench_vm NAME [KEY = VALUE lines...]: a VM section (a user of its own,
# ubd0 /disks/root.dsk) with the lines given.
bench_vm() {
	local name=$1
	shift
	{
		printf '[%s]\nubd0 = /disks/root.dsk\n' "$name"
		printf '%s\n' "$@"
	} >>"$UMLMON_CONFIG"
	BENCH_VMS+=("$name")
}

# bench_monitor NAME: starts the VM's monitor.
bench_monitor() {
	"$B/umlmon" "$1"
	BENCH_MONITORS+=("$(cat "$T/run/$1.pid")")
}

# bench_guest_vms: the VMs echo and flood, whose "kernel" is
# bench/guestbench (bench-echo answers what it reads, bench-flood writes
# lines), on a 1 MiB disk they never read, with their monitors running.
bench_guest_vms() {
	bench_vm echo 'memory = 32M' 'kernel = /shared/kernels/bench-echo' 'ssl0 = null'
	bench_vm flood 'memory = 32M' 'kernel = /shared/kernels/bench-flood' 'ssl0 = null' \
		'log_max = 0'
	local vm
	for vm in echo flood; do
		cp "$BD/bench/guestbench" "$T/shared/kernels/bench-$vm"
		mkdir -p "$T/var/$vm/jail/disks"
		truncate -s 1M "$T/var/$vm/jail/disks/root.dsk"
		bench_monitor "$vm"
	done
}
