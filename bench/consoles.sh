#!/bin/bash
# Console path benchmarks (issue 3), each against a baseline measured in
# the same run:
#  1. keystroke round trip: a key typed into umlwatch -connect, through the
#     RPC, the monitor and the VM's pty to the guest side and back,
#     against the same guest program on a pty read directly;
#  2. bulk throughput of a fast writer on the guest side of the pty while
#     the monitor reads it (ring, screen, log), with and without an
#     attached client, against a plain reader of a pty.
# The guest side is bench/guestbench standing where the UML kernel stands
# (run by the monitor in the jail as the VM's kernel), so the figures are
# those of the console path, not of UML's own tty layer.
# Needs root and a build. Usage: bench/consoles.sh [KEYSTROKES] [ROUNDS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
n=${1:-2000}
rounds=${2:-3}

bench_host cbench
bench_guest_vms

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

echo "== keystroke round trip, $n keys, $rounds rounds"
"$B/umlwatch" echo -start >/dev/null
declare -a dm dp um up
for r in $(seq "$rounds"); do
	d=$("$BD/bench/ttybench" rtt-direct "$n" "$BD/bench/guestbench")
	u=$("$BD/bench/ttybench" rtt-cmd "$n" "$B/umlwatch" echo -connect con1)
	echo "direct:        $d"
	echo "umlwatch+mon:  $u"
	dm+=("$(echo "$d" | field median_us)") dp+=("$(echo "$d" | field p99_us)")
	um+=("$(echo "$u" | field median_us)") up+=("$(echo "$u" | field p99_us)")
done
"$B/umlwatch" echo -halt >/dev/null

echo "== guest-side write throughput, 64 MiB, $rounds rounds"
rate() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f", b / (ns / 1e9) / 1048576 }'; }
declare -a td tm tc
for r in $(seq "$rounds"); do
	line=$("$BD/bench/ttybench" tput-direct "$BD/bench/guestbench")
	td+=("$(rate "$(echo "$line" | field bytes)" "$(echo "$line" | field ns)")")
	for mode in alone client; do
		: >"$T/var/flood/log/con0"
		"$B/umlwatch" flood -start >/dev/null
		cpid=
		if [ $mode = client ]; then
			"$B/umlwatch" flood -connect con1 -readonly >/dev/null 2>&1 </dev/null &
			cpid=$!
		fi
		for _ in $(seq 600); do
			grep -q '^FLOOD' "$T/var/flood/log/con0" 2>/dev/null && break
			sleep 0.1
		done
		line=$(grep '^FLOOD' "$T/var/flood/log/con0")
		[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
		"$B/umlwatch" flood -halt >/dev/null
		v=$(rate "$(echo "$line" | field bytes)" "$(echo "$line" | field ns)")
		if [ $mode = alone ]; then tm+=("$v"); else tc+=("$v"); fi
	done
	echo "direct ${td[-1]} MiB/s, monitor ${tm[-1]} MiB/s, monitor+client ${tc[-1]} MiB/s"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo
echo "| figure | baseline (pty read directly) | through umlmon | added / ratio |"
echo "|---|---|---|---|"
a=$(median "${dm[@]}"); b=$(median "${um[@]}")
echo "| keystroke RTT, median | ${a} us | ${b} us | +$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.1f", b-a}') us |"
a=$(median "${dp[@]}"); b=$(median "${up[@]}")
echo "| keystroke RTT, p99 | ${a} us | ${b} us | +$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.1f", b-a}') us |"
a=$(median "${td[@]}"); b=$(median "${tm[@]}")
echo "| guest write throughput, monitor reading | ${a} MiB/s | ${b} MiB/s | $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b/a}') |"
b=$(median "${tc[@]}")
echo "| guest write throughput, + a client attached | ${a} MiB/s | ${b} MiB/s | $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b/a}') |"
