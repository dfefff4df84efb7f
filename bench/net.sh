#!/bin/bash
# net.sh -- guest<->host ping round trip and TCP throughput, for the
# vector tap driver (netdriver = vector, the default) and the legacy
# tuntap driver, in one run, each VM on a host_to_host tap in a network
# namespace this script makes. Baseline: the same ping and TCP transfer
# between two network namespaces over a veth pair (no UML).
# The guest receives with bench/netsink (static, 1 MiB reads: UML's system
# calls are expensive) and, for comparison, with busybox nc; the host
# sends with socat. Needs root, a build, socat, debugfs.
# Usage: bench/net.sh [MIB] [ROUNDS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mib=${1:-256}
rounds=${2:-3}
command -v socat >/dev/null || { echo "needs socat" >&2; exit 1; }

NS=umlmon-bench-$$
PEER=umlmon-bpeer-$$
bench_host nbench
trap 'bench_cleanup; ip netns del $NS 2>/dev/null; ip netns del $PEER 2>/dev/null' EXIT
ip netns add "$NS"
ip netns add "$PEER"
ip -n "$NS" link set lo up
ip -n "$PEER" link set lo up
bench_vm vec 'memory = 128M' \
	'eth0 = host_to_host(proxy_if=bvec, proxy_addr=10.5.0.1, guest_addr=10.5.0.2)'
bench_vm tt 'memory = 128M' 'netdriver = tuntap' \
	'eth0 = host_to_host(proxy_if=btt, proxy_addr=10.5.1.1, guest_addr=10.5.1.2)'
for vm in vec tt; do
	"$B/umladmin" mkimage "$vm" >/dev/null
	img=$T/var/$vm/jail/disks/root.dsk
	debugfs -w -R "write $BD/bench/netsink /bin/netsink" "$img" >/dev/null 2>&1
	debugfs -w -R "set_inode_field /bin/netsink mode 0100755" "$img" >/dev/null 2>&1
	ip netns exec "$NS" "$B/umlmon" "$vm"
	BENCH_MONITORS+=("$(cat "$T/run/$vm.pid")")
	"$B/umlwatch" "$vm" -start >/dev/null
done
# the baseline: a veth pair between the namespaces
ip link add bveth netns "$NS" type veth peer name bpeer netns "$PEER"
ip -n "$NS" addr add 10.5.9.1/24 dev bveth
ip -n "$NS" link set bveth up
ip -n "$PEER" addr add 10.5.9.2/24 dev bpeer
ip -n "$PEER" link set bpeer up

# a command on the guest's con1 (the login shell stays when we leave)
guest() { # VM LINE
	{ sleep 0.5; echo; sleep 0.5; echo "$2"; sleep 0.5; } |
		"$B/umlwatch" "$1" -connect con1 >/dev/null 2>&1
}
for vm in vec tt; do
	for _ in $(seq 100); do
		grep -q "$vm: guest notification: umlmon-guest: ready" \
			"$T/var/$vm/log/monitor.log" && break
		sleep 0.2
	done
	guest "$vm" root
	# receivers that take one transfer after the other
	guest "$vm" 'while :; do nc -l -p 5001 >/dev/null; done &'
	guest "$vm" '/bin/netsink 5002 &'
done

ping_rtt() { # NS ADDR: avg and mdev in microseconds
	ip netns exec "$1" ping -q -c 200 -i 0.005 "$2" |
		sed -n 's|.*= [0-9.]*/\([0-9.]*\)/[0-9.]*/\([0-9.]*\) ms|\1 \2|p'
}

# MiB/s of one transfer of $mib MiB from the host namespace to ADDR:PORT,
# where a receiver runs
send() { # ADDR [PORT]
	local t0 t1
	t0=$(date +%s%N)
	head -c "${mib}M" /dev/zero | ip netns exec "$NS" socat -u - "TCP:$1:${2:-5001},retry=20"
	t1=$(date +%s%N)
	echo "$mib $t0 $t1" | awk '{printf "%.1f", $1 / (($3 - $2) / 1e9)}'
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A RTT MDEV TPUT
read -r RTT[veth] MDEV[veth] < <(ping_rtt "$NS" 10.5.9.2)
read -r RTT[vec] MDEV[vec] < <(ping_rtt "$NS" 10.5.0.2)
read -r RTT[tt] MDEV[tt] < <(ping_rtt "$NS" 10.5.1.2)

for which in veth vec tt vec-nc tt-nc; do
	runs=
	for _ in $(seq "$rounds"); do
		case $which in
		veth)
			ip netns exec "$PEER" socat -u TCP-LISTEN:5001,reuseaddr - >/dev/null &
			sleep 0.3
			runs="$runs $(send 10.5.9.2)"
			wait $! 2>/dev/null || true
			;;
		*)
			addr=10.5.0.2
			port=5002
			case $which in tt*) addr=10.5.1.2 ;; esac
			case $which in *-nc) port=5001 ;; esac
			runs="$runs $(send "$addr" "$port")"
			sleep 0.5
			;;
		esac
	done
	TPUT[$which]=$(echo "$runs" | median)
	echo "$which: host -> peer TCP MiB/s:$runs"
done

echo
awk -v rv="${RTT[veth]}" -v rc="${RTT[vec]}" -v rt="${RTT[tt]}" \
    -v tv="${TPUT[veth]}" -v tc="${TPUT[vec]}" -v tt="${TPUT[tt]}" \
    -v nc="${TPUT[vec-nc]}" -v nt="${TPUT[tt-nc]}" \
    -v mib="$mib" -v rounds="$rounds" 'BEGIN {
	print "| figure | veth (no UML) | vector tap | tuntap | vector / tuntap |"
	print "|---|---|---|---|---|"
	printf "| ping RTT, avg of 200 | %.0f us | %.0f us | %.0f us | %.2f |\n", rv * 1000, rc * 1000, rt * 1000, rc / rt
	printf "| TCP host -> guest (netsink), %d MiB, median of %d | %.1f MiB/s | %.1f MiB/s | %.1f MiB/s | %.2f |\n", mib, rounds, tv, tc, tt, tc / tt
	printf "| TCP host -> guest (busybox nc), %d MiB, median of %d | | %.1f MiB/s | %.1f MiB/s | %.2f |\n", mib, rounds, nc, nt, nc / nt
}'
