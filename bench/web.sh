#!/bin/bash
# The web console's figures (issue 14), each against umlwatch in the same
# run:
#  1. keystroke round trip: a key sent by the page in headless chromium
#     over the console's WebSocket, through umlweb, the monitor and the
#     VM's pty to the guest side (bench-echo) and back into the page,
#     against a key typed into umlwatch -connect (bench/ttybench rtt-cmd);
#     the same from node's WebSocket and from bench/wsbench (a WebSocket
#     client in C): what umlweb adds, told apart from what the JavaScript
#     runtime of the browser (or node) adds;
#  2. a console flood (bench-flood, 64 MiB of lines): the CPU time umlweb
#     spends passing it to one browser, against umlwatch -connect -readonly
#     passing it to a terminal.
# The guest side is bench/guestbench standing where the UML kernel stands,
# as in bench/consoles.sh. Needs root, a build, chromium and web/node_modules.
# Usage: bench/web.sh [KEYSTROKES] [ROUNDS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
n=${1:-1000}
rounds=${2:-3}
S=$(cd "$here/.." && pwd)

bench_host webbench
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "/^\[GLOBAL\]/a master_password = bench-master-pw\nctrl_group = nogroup\nweb_user = nobody\nweb_port = $port" "$UMLMON_CONFIG"
bench_guest_vms
"$B/umlweb" -fg -root "$BD/web" 2>"$T/umlweb.log" &
web=$!
BENCH_MONITORS+=("$web")
for _ in $(seq 100); do grep -q 'umlweb running' "$T/umlweb.log" && break; sleep 0.1; done
export WEB_URL=http://127.0.0.1:$port MASTER_PW=bench-master-pw NODE_PATH=$S/web/node_modules

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
# user + system CPU of a process, in ms
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }

echo "== keystroke round trip, $n keys, $rounds rounds"
"$B/umlwatch" echo -start >/dev/null
declare -a um up wm wp nm np cm cp
for r in $(seq "$rounds"); do
	u=$("$BD/bench/ttybench" rtt-cmd "$n" "$B/umlwatch" echo -connect con1)
	w=$(node "$here/webclient.js" rtt "$n" echo)
	x=$(node --experimental-websocket --no-warnings "$here/webclient.js" rtt-node "$n" echo)
	c=$("$BD/bench/wsbench" rtt "$n" "$port" echo)
	echo "umlwatch:       $u"
	echo "web (chromium): $w"
	echo "web (node):     $x"
	echo "web (C client): $c"
	um+=("$(echo "$u" | field median_us)") up+=("$(echo "$u" | field p99_us)")
	wm+=("$(echo "$w" | field median_us)") wp+=("$(echo "$w" | field p99_us)")
	nm+=("$(echo "$x" | field median_us)") np+=("$(echo "$x" | field p99_us)")
	cm+=("$(echo "$c" | field median_us)") cp+=("$(echo "$c" | field p99_us)")
done
"$B/umlwatch" echo -halt >/dev/null

echo "== a console flood (64 MiB): the CPU of its client, $rounds rounds"
flood_done() {
	for _ in $(seq 1200); do
		grep -q '^FLOOD' "$T/var/flood/log/con0" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
declare -a wc uc
for r in $(seq "$rounds"); do
	# web: a browser reads the console while the guest floods it
	: >"$T/var/flood/log/con0"
	node "$here/webclient.js" drain 25 flood >"$T/drain" &
	drain=$!
	sleep 3   # the browser is up and attached (its WebSocket is open)
	before=$(cpu_ms "$web")
	"$B/umlwatch" flood -start >/dev/null
	flood_done
	after=$(cpu_ms "$web")
	"$B/umlwatch" flood -halt >/dev/null
	wait "$drain"
	wc+=("$((after - before))")
	echo "umlweb: $((after - before)) ms CPU, the browser got $(field bytes <"$T/drain") bytes"
	# umlwatch: the same flood to a terminal that drops it
	: >"$T/var/flood/log/con0"
	"$B/umlwatch" flood -start >/dev/null
	/usr/bin/time -f 'cpu_ms=%e %U %S' -o "$T/time" "$B/umlwatch" flood -connect con1 -readonly \
		>/dev/null 2>&1 </dev/null &
	cpid=$!
	flood_done
	"$B/umlwatch" flood -halt >/dev/null
	wait "$cpid" || true
	c=$(awk '{ printf "%d", ($2 + $3) * 1000 }' <(sed 's/cpu_ms=//' "$T/time"))
	uc+=("$c")
	echo "umlwatch -connect -readonly: $c ms CPU"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo
echo "| figure | umlwatch -connect | web console | added / ratio |"
echo "|---|---|---|---|"
# row LABEL UMLWATCH_FIGURES WEB_FIGURES: the medians of the rounds, the difference
row() {
	local -n x=$2 y=$3
	local a b
	a=$(median "${x[@]}") b=$(median "${y[@]}")
	echo "| $1 | ${a} us | ${b} us | $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%+.1f", b-a}') us |"
}
row "keystroke RTT, median" um wm
row "keystroke RTT, p99" up wp
row "keystroke RTT, median, node's WebSocket" um nm
row "keystroke RTT, p99, node's WebSocket" up np
row "keystroke RTT, median, C WebSocket client (bench/wsbench)" um cm
row "keystroke RTT, p99, C WebSocket client (bench/wsbench)" up cp
a=$(median "${uc[@]}"); b=$(median "${wc[@]}")
echo "| CPU of the client during a 64 MiB flood | ${a} ms | ${b} ms | $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", (a ? b/a : 0)}') |"
