#!/bin/bash
# Remote control benchmarks (issue 10), each against a baseline measured
# in the same run. The monitor and umldir run in one network namespace,
# the clients in another, as on two hosts; two veth pairs join them, one
# as fast as the machine allows, one shaped to 1 Gbit/s (tc tbf) as a LAN:
#  1. null calls, one client, one at a time: the monitor's Unix socket;
#     an authenticated TCP connection (sealed records) found through
#     umldir's get_port; the same through umldir's redirector; against a
#     one-byte TCP echo on the same link (bench/remotebench pingpong, the
#     floor: no RPC). Once as the scheduler spreads the processes over the
#     cores, once with client, monitor and umldir on one core (taskset), as
#     waking a process on another core costs about 100 us on this VM;
#  2. handshakes per second as umlwatch makes them (umldir, connection,
#     key derivation, the two calls), and the client's key derivation alone;
#     the handshakes and the null calls once more with a monitor that speaks
#     TLS (tls_cert, tls_key: a P-256 certificate made for the run);
#  3. the redirector's bulk throughput: raw bytes from a stand-in monitor
#     (bench/remotebench source, registered with umldir) read through the
#     redirector's splice path against the same source read directly, on
#     each link, and umldir's CPU time for it;
#  4. keystroke round trip: bench/ttybench typing into umlwatch -connect
#     con1 of a VM whose "kernel" is bench/guestbench (as bench/consoles.sh)
#     through the redirector against the Unix socket (and direct TCP).
# Needs root and a build. Usage: bench/remote.sh [CALLS] [ROUNDS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
n=${1:-20000}
rounds=${2:-5}
hs=100     # handshakes per round
mib=1024   # bulk bytes per round and link
keys=2000  # keystrokes per round
RB=$BD/bench/remotebench
PW='bench-Secret-pw'
export UMLWATCH_PASSWORD=$PW

bench_host rbench
SRV=umlmon-rbench-$$-srv
CLI=umlmon-rbench-$$-cli
src_pid=
rb_cleanup() {
	set +e
	[ -n "$src_pid" ] && kill "$src_pid" 2>/dev/null
	# (bench_cleanup ends the monitors and umldir, and waits for them)
	bench_cleanup
	ip netns del "$SRV" 2>/dev/null
	ip netns del "$CLI" 2>/dev/null
}
trap rb_cleanup EXIT
ip netns add "$SRV"
ip netns add "$CLI"
ip -n "$SRV" link set lo up
ip -n "$CLI" link set lo up
# fast: 10.233.0.0/24; LAN: 10.233.1.0/24, 1 Gbit/s each way
for i in 0 1; do
	ip link add "rb$i" netns "$SRV" type veth peer name "rb$i" netns "$CLI"
	ip -n "$SRV" addr add "10.233.$i.1/24" dev "rb$i"
	ip -n "$CLI" addr add "10.233.$i.2/24" dev "rb$i"
	ip -n "$SRV" link set "rb$i" up
	ip -n "$CLI" link set "rb$i" up
done
for ns in "$SRV" "$CLI"; do
	ip netns exec "$ns" tc qdisc add dev rb1 root tbf rate 1gbit burst 256kb latency 10ms
done
H=10.233.0.1
LAN=10.233.1.1
srv() { ip netns exec "$SRV" "$@"; }
cli() { ip netns exec "$CLI" "$@"; }

(umask 077 && printf '%s\n' "$PW" >"$T/echo.pw")
bench_vm echo 'memory = 32M' 'kernel = /shared/kernels/bench-echo' 'ssl0 = null' \
	'tcp = yes' "password_file = $T/echo.pw"
cp "$BD/bench/guestbench" "$T/shared/kernels/bench-echo"
mkdir -p "$T/var/echo/jail/disks"
truncate -s 1M "$T/var/echo/jail/disks/root.dsk"
# a second monitor that speaks TLS (its VM never boots: the RPC is the
# monitor's)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/tls.key" -out "$T/tls.crt" -days 2 -subj "/CN=$H" \
	-addext "subjectAltName=IP:$H" 2>/dev/null
chmod 600 "$T/tls.key"
bench_vm echotls 'memory = 32M' 'kernel = /shared/kernels/bench-echo' 'ssl0 = null' \
	'tcp = yes' "password_file = $T/echo.pw" "tls_cert = $T/tls.crt" \
	"tls_key = $T/tls.key"
iters=$(sed -n 's/^kdf_iterations *= *//p' "$UMLMON_CONFIG")
iters=${iters:-100000}

srv "$B/umldir" -c "$UMLMON_CONFIG"
dir_pid=$(cat "$T/run/umldir.pid")
BENCH_MONITORS+=("$dir_pid")
srv "$B/umlmon" echo
mon_pid=$(cat "$T/run/echo.pid")
BENCH_MONITORS+=("$mon_pid")
srv "$B/umlmon" echotls
BENCH_MONITORS+=("$(cat "$T/run/echotls.pid")")
for _ in $(seq 100); do
	l=$(cli "$B/umlwatch" -list "@$H" 2>/dev/null || true)
	grep >/dev/null '^echo ' <<<"$l" && grep >/dev/null '^echotls .* yes$' <<<"$l" && break
	sleep 0.1
done
"$B/umlwatch" echo -start >/dev/null
# the stand-in monitor of the bulk figure
# (ip netns exec runs it in its own process: $! is the source's pid)
ip netns exec "$SRV" "$RB" source bulk "$T/var/umldir/sock" >"$T/source.out" 2>&1 &
src_pid=$!
for _ in $(seq 100); do grep -q '^ready' "$T/source.out" && break; sleep 0.1; done
srcport=$(sed -n 's/^ready \([0-9]*\) .*/\1/p' "$T/source.out")
echoport=$(sed -n 's/^ready .* echo \([0-9]*\)$/\1/p' "$T/source.out")
[ -n "$srcport" ] || { echo "the stand-in monitor did not start" >&2; exit 1; }

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
cpu() { awk '{ print $14 + $15 }' "/proc/$dir_pid/stat"; }
hz=$(getconf CLK_TCK)
declare -a hx_s nx_s nx_m kt_m kt_p p1_s p1_m pu_s pt_s pr_s pt_m pr_m pp_m nu_s nt_s nr_s nu_m nt_m nr_m hs_s dv_m bd_s br_s ld_s lr_s cpu_ms kd_m kd_p kr_m kr_p
for r in $(seq "$rounds"); do
	echo "== round $r"
	l=$(cli "$RB" pingpong "$H" "$echoport" "$n"); echo "$l"
	pp_m+=("$(echo "$l" | field median_us)")
	l=$(srv "$RB" null-unix "$T/var/echo/ctrl" "$n"); echo "$l"
	nu_s+=("$(echo "$l" | field per_s)") nu_m+=("$(echo "$l" | field median_us)")
	l=$(cli "$RB" null-tcp "$H" 7301 echo "$n"); echo "$l"
	nt_s+=("$(echo "$l" | field per_s)") nt_m+=("$(echo "$l" | field median_us)")
	l=$(cli "$RB" null-tcp "$H" 7302 echo "$n" redir); echo "$l"
	nr_s+=("$(echo "$l" | field per_s)") nr_m+=("$(echo "$l" | field median_us)")
	# the same on one core: no wake-up of another core per message
	mask=$(taskset -p "$mon_pid" | sed 's/.*: //')
	taskset -a -p -c 0 "$mon_pid" >/dev/null
	taskset -a -p -c 0 "$dir_pid" >/dev/null
	taskset -p -c 0 "$src_pid" >/dev/null # and the echo servers it forks
	l=$(cli taskset -c 0 "$RB" pingpong "$H" "$echoport" "$n"); echo "one core: $l"
	p1_m+=("$(echo "$l" | field median_us)")
	l=$(srv taskset -c 0 "$RB" null-unix "$T/var/echo/ctrl" "$n"); echo "one core: $l"
	pu_s+=("$(echo "$l" | field per_s)")
	l=$(cli taskset -c 0 "$RB" null-tcp "$H" 7301 echo "$n"); echo "one core: $l"
	pt_s+=("$(echo "$l" | field per_s)") pt_m+=("$(echo "$l" | field median_us)")
	l=$(cli taskset -c 0 "$RB" null-tcp "$H" 7302 echo "$n" redir); echo "one core: $l"
	pr_s+=("$(echo "$l" | field per_s)") pr_m+=("$(echo "$l" | field median_us)")
	taskset -a -p "$mask" "$mon_pid" >/dev/null
	taskset -a -p "$mask" "$dir_pid" >/dev/null
	taskset -p "$mask" "$src_pid" >/dev/null
	l=$(cli "$RB" handshakes "$H" 7301 echo "$hs"); echo "$l"
	hs_s+=("$(echo "$l" | field per_s)")
	l=$(cli "$RB" handshakes "$H" 7301 echotls "$hs"); echo "TLS: $l"
	hx_s+=("$(echo "$l" | field per_s)")
	l=$(cli "$RB" null-tcp "$H" 7301 echotls "$n"); echo "TLS: $l"
	nx_s+=("$(echo "$l" | field per_s)") nx_m+=("$(echo "$l" | field median_us)")
	l=$(cli "$RB" derive echo "$iters" 20); echo "$l"
	dv_m+=("$(echo "$l" | field median_us)")
	l=$(cli "$RB" pull "$H" "$srcport" "$mib"); echo "fast link, direct:     $l"
	bd_s+=("$(echo "$l" | field mib_s)")
	c0=$(cpu)
	l=$(cli "$RB" pull "$H" 7302 "$mib" bulk); echo "fast link, redirector: $l"
	br_s+=("$(echo "$l" | field mib_s)")
	cpu_ms+=("$(awk -v t="$(($(cpu) - c0))" -v hz="$hz" -v m="$mib" 'BEGIN { printf "%.0f", t * 1000 / hz / (m / 1024) }')")
	l=$(cli "$RB" pull "$LAN" "$srcport" $((mib / 4))); echo "1 Gbit/s, direct:      $l"
	ld_s+=("$(echo "$l" | field mib_s)")
	l=$(cli "$RB" pull "$LAN" 7302 $((mib / 4)) bulk); echo "1 Gbit/s, redirector:  $l"
	lr_s+=("$(echo "$l" | field mib_s)")
	l=$(srv "$BD/bench/ttybench" rtt-cmd "$keys" "$B/umlwatch" echo -connect con1)
	echo "keys, Unix socket: $l"
	kd_m+=("$(echo "$l" | field median_us)") kd_p+=("$(echo "$l" | field p99_us)")
	l=$(cli "$BD/bench/ttybench" rtt-cmd "$keys" "$B/umlwatch" "echo@$H" -connect con1)
	echo "keys, direct TCP:  $l"
	kt_m+=("$(echo "$l" | field median_us)") kt_p+=("$(echo "$l" | field p99_us)")
	l=$(cli "$BD/bench/ttybench" rtt-cmd "$keys" "$B/umlwatch" -redir "echo@$H" -connect con1)
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
# row ratio|added UNIT LABEL BASELINES MEASURED (array names): one line
row() {
	local -n base=$4 got=$5
	local a b
	a=$(median "${base[@]}")
	b=$(median "${got[@]}")
	if [ "$1" = ratio ]; then
		echo "| $3 | $a$2 | $b$2 | $(ratio "$a" "$b") |"
	else
		echo "| $3 | $a$2 | $b$2 | $(added "$a" "$b") |"
	fi
}
row ratio "" "null calls/s, one client: Unix socket vs authenticated TCP" nu_s nt_s
row ratio "" "null calls/s: authenticated TCP direct vs through the redirector" nt_s nr_s
row added " us" "null call round trip, median: direct TCP vs redirector" nt_m nr_m
row added " us" "round trip, median: 1 byte over TCP on the link (no RPC) vs an authenticated null call" pp_m nt_m
row added " us" "null call round trip, median: Unix socket vs authenticated TCP" nu_m nt_m
row ratio "" "null calls/s, client and servers on one core: Unix socket vs authenticated TCP" pu_s pt_s
row ratio "" "null calls/s, one core: authenticated TCP direct vs through the redirector" pt_s pr_s
row added " us" "null call round trip, median, one core: direct TCP vs redirector" pt_m pr_m
row added " us" "round trip, median, one core: 1 byte over TCP vs an authenticated null call" p1_m pt_m
echo "| handshakes/s as umlwatch makes them (client key derivation $(median "${dv_m[@]}") us, $iters iterations) | | $(median "${hs_s[@]}") | |"
row ratio "" "handshakes/s: clear vs TLS 1.3 (P-256)" hs_s hx_s
row ratio "" "null calls/s, authenticated TCP: clear vs inside TLS" nt_s nx_s
row added " us" "null call round trip, median: clear vs inside TLS" nt_m nx_m
row ratio "" "raw bytes from a monitor's port, fast link, MiB/s: direct vs redirector (splice)" bd_s br_s
row ratio "" "the same on a 1 Gbit/s link, MiB/s" ld_s lr_s
echo "| umldir's CPU time per GiB redirected (fast link) | | $(median "${cpu_ms[@]}") ms | |"
row added " us" "keystroke round trip, median: direct TCP vs redirector" kt_m kr_m
row added " us" "keystroke round trip, median: Unix socket vs redirector" kd_m kr_m
row added " us" "keystroke round trip, p99: Unix socket vs redirector" kd_p kr_p
