#!/bin/bash
# Back-pressure of the control RPC (issue 10), against a running VM whose
# con1 ring is full (so each console read from offset 0 answers 64 KiB):
#  1. ten, then thirty clients that send N console reads each and never read: the
#     monitor's growth in RSS while they wait (tests/e2e/rpcabuse no-read);
#  2. P console reads parked on con1 (64 per connection), then every
#     client gone at once, the newest first: the time to park them and to
#     drop them (rpcabuse park).
# Needs root and a build. Usage: bench/backpressure.sh [N] [P]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
n=${1:-5000}
parked=${2:-16000}
abuse=$BD/tests/e2e/rpcabuse

bench_host bpbench
bench_vm vm1 'memory = 64M'
"$B/umladmin" mkimage vm1 >/dev/null
bench_monitor vm1
mon=$(cat "$T/run/vm1.pid")
log=$T/var/vm1/log/con1
"$B/umlwatch" vm1 -start >/dev/null
"$here/waitfor" "$log" "login:" 60
printf 'root\n' | "$B/umlwatch" vm1 -connect con1 >/dev/null 2>&1
"$here/waitfor" "$log" "root@vm1:~# " 30
# 320 KiB of output: a full ring
printf 'for i in $(seq 80); do dd if=/dev/zero bs=4k count=1 2>/dev/null | tr "\\0" x; usleep 10000; done; echo; echo filled-$((1 + 1))\n' |
	"$B/umlwatch" vm1 -connect con1 >/dev/null 2>&1
"$here/waitfor" "$log" "filled-2" 60
echo "RSS of the monitor: $(sed -n 's/^VmRSS: *//p' "/proc/$mon/status")"
"$abuse" "$T/var/vm1/ctrl" no-read "$n" "$mon" 10
"$abuse" "$T/var/vm1/ctrl" no-read "$n" "$mon" 30
"$abuse" "$T/var/vm1/ctrl" park "$parked"
echo "RSS of the monitor: $(sed -n 's/^VmRSS: *//p' "/proc/$mon/status")"
