#!/bin/bash
# Remote control benchmarks (issue 10), each against a baseline measured
# in the same run, in a network namespace of the benchmark's own (loopback
# only: the figures are those of our code, not of a network):
#  1. null calls, one client, one at a time: the monitor's Unix socket;
#     an authenticated TCP connection (sealed records) found through
#     umldir's get_port; the same through umldir's redirector;
#  2. handshakes per second as umlwatch makes them (umldir, connection,
#     key derivation, the two calls), and the client's key derivation alone;
#  3. the redirector's bulk throughput: raw bytes from a stand-in monitor
#     (bench/remotebench source, registered with umldir) read through the
#     redirector's splice path against the same source read directly;
#  4. keystroke round trip: bench/ttybench typing into umlwatch -connect
#     con1 of a VM whose "kernel" is bench/guestbench (as bench/consoles.sh)
#     through the redirector against the Unix socket.
# Needs root and a build. Usage: bench/remote.sh [CALLS] [ROUNDS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
n=${1:-20000}
rounds=${2:-5}
hs=100     # handshakes per round
mib=2048   # bulk bytes per round, each way
keys=2000  # keystrokes per round
RB=$BD/bench/remotebench
PW='bench-Secret-pw'
export UMLWATCH_PASSWORD=$PW

bench_host rbench
NS=umlmon-rbench-$$
src_pid=
rb_cleanup() {
	set +e
	[ -n "$src_pid" ] && kill "$src_pid" 2>/dev/null
	# (bench_cleanup ends the monitors and umldir, and waits for them)
	bench_cleanup
	ip netns del "$NS" 2>/dev/null
}
trap rb_cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
in_ns() { ip netns exec "$NS" "$@"; }

(umask 077 && printf '%s\n' "$PW" >"$T/echo.pw")
bench_vm echo 'memory = 16M' 'kernel = /shared/kernels/bench-echo' 'ssl0 = null' \
	'tcp = yes' "password_file = $T/echo.pw"
cp "$BD/bench/guestbench" "$T/shared/kernels/bench-echo"
mkdir -p "$T/var/echo/jail/disks"
truncate -s 1M "$T/var/echo/jail/disks/root.dsk"
iters=$(sed -n 's/^kdf_iterations *= *//p' "$UMLMON_CONFIG")
iters=${iters:-100000}

in_ns "$B/umldir" -c "$UMLMON_CONFIG"
dir_pid=$(cat "$T/run/umldir.pid")
BENCH_MONITORS+=("$dir_pid")
in_ns "$B/umlmon" echo
BENCH_MONITORS+=("$(cat "$T/run/echo.pid")")
for _ in $(seq 100); do
	in_ns "$B/umlwatch" -list @127.0.0.1 2>/dev/null | grep >/dev/null '^echo ' && break
	sleep 0.1
done
"$B/umlwatch" echo -start >/dev/null
# the stand-in monitor of the bulk figure
in_ns "$RB" source bulk "$T/var/umldir/sock" >"$T/source.out" &
src_pid=$!
for _ in $(seq 100); do grep -q '^ready' "$T/source.out" && break; sleep 0.1; done
srcport=$(sed -n 's/^ready //p' "$T/source.out")
[ -n "$srcport" ] || { echo "the stand-in monitor did not start" >&2; exit 1; }

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
declare -a nu_s nt_s nr_s nu_m nt_m nr_m hs_s dv_m bd_s br_s kd_m kd_p kr_m kr_p
for r in $(seq "$rounds"); do
	echo "== round $r"
	l=$(in_ns "$RB" null-unix "$T/var/echo/ctrl" "$n"); echo "$l"
	nu_s+=("$(echo "$l" | field per_s)") nu_m+=("$(echo "$l" | field median_us)")
	l=$(in_ns "$RB" null-tcp 127.0.0.1 7301 echo "$n"); echo "$l"
	nt_s+=("$(echo "$l" | field per_s)") nt_m+=("$(echo "$l" | field median_us)")
	l=$(in_ns "$RB" null-tcp 127.0.0.1 7302 echo "$n" redir); echo "$l"
	nr_s+=("$(echo "$l" | field per_s)") nr_m+=("$(echo "$l" | field median_us)")
	l=$(in_ns "$RB" handshakes 127.0.0.1 7301 echo "$hs"); echo "$l"
	hs_s+=("$(echo "$l" | field per_s)")
	l=$("$RB" derive echo "$iters" 20); echo "$l"
	dv_m+=("$(echo "$l" | field median_us)")
	l=$(in_ns "$RB" pull 127.0.0.1 "$srcport" "$mib"); echo "direct:   $l"
	bd_s+=("$(echo "$l" | field mib_s)")
	l=$(in_ns "$RB" pull 127.0.0.1 7302 "$mib" bulk); echo "redirect: $l"
	br_s+=("$(echo "$l" | field mib_s)")
	l=$(in_ns "$BD/bench/ttybench" rtt-cmd "$keys" "$B/umlwatch" echo -connect con1)
	echo "keys, Unix socket: $l"
	kd_m+=("$(echo "$l" | field median_us)") kd_p+=("$(echo "$l" | field p99_us)")
	l=$(in_ns "$BD/bench/ttybench" rtt-cmd "$keys" "$B/umlwatch" -redir echo@127.0.0.1 -connect con1)
	echo "keys, redirector:  $l"
	kr_m+=("$(echo "$l" | field median_us)") kr_p+=("$(echo "$l" | field p99_us)")
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f us", b - a }'; }
echo
echo "medians of $rounds rounds ($n null calls, $hs handshakes, $mib MiB, $keys keys each)"
echo "| figure | baseline | measured | ratio / added |"
echo "|---|---|---|---|"
a=$(median "${nu_s[@]}"); b=$(median "${nt_s[@]}")
echo "| null calls/s, one client: Unix socket vs authenticated TCP | $a | $b | $(ratio "$a" "$b") |"
a=$(median "${nt_s[@]}"); b=$(median "${nr_s[@]}")
echo "| null calls/s: authenticated TCP direct vs through the redirector | $a | $b | $(ratio "$a" "$b") |"
a=$(median "${nt_m[@]}"); b=$(median "${nr_m[@]}")
echo "| null call round trip, median: direct TCP vs redirector | $a us | $b us | $(added "$a" "$b") |"
a=$(median "${nu_m[@]}"); b=$(median "${nt_m[@]}")
echo "| null call round trip, median: Unix socket vs authenticated TCP | $a us | $b us | $(added "$a" "$b") |"
a=$(median "${dv_m[@]}"); b=$(median "${hs_s[@]}")
echo "| handshakes/s as umlwatch makes them (client key derivation $a us, $iters iterations) | | $b | |"
a=$(median "${bd_s[@]}"); b=$(median "${br_s[@]}")
echo "| raw bytes from a monitor's port, MiB/s: direct vs redirector (splice) | $a | $b | $(ratio "$a" "$b") |"
a=$(median "${kd_m[@]}"); b=$(median "${kr_m[@]}")
echo "| keystroke round trip, median: Unix socket vs redirector | $a us | $b us | $(added "$a" "$b") |"
a=$(median "${kd_p[@]}"); b=$(median "${kr_p[@]}")
echo "| keystroke round trip, p99: Unix socket vs redirector | $a us | $b us | $(added "$a" "$b") |"
