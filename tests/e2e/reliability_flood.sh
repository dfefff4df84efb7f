#!/bin/bash
# A console flood with no input: the guest writes 4.7 MB to con1 in large
# writes (a numbered sequence of 100000 lines, cat 8 times with output
# processing off) and nothing is typed until it ends. The log must receive every
# line, in order, no gap, up to the end marker; then the VM still answers.
# Without the monitor's SIGIO after draining the pty, the kernel stalled
# after 32K to 2 MB here, until the next input byte (umlmon(8), CONSOLES).
. "$(dirname "$0")/lib.sh"

N=100000 K=8 # lines, copies: 4.7 MB, past where it stalled (32K to 2 MB)
setup 'log_max = 64M'
mkimage vm1
start_monitor vm1
boot vm1
log=$T/var/vm1/log/con1

wait_file "$log" "login:" 30
printf 'root\n' | "$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1
wait_file "$log" "root@vm1:~# " 30
# one line of input starts it all; the markers are computed, so the echo
# of the typed line does not match them
printf '%s\n' "seq 1 $N >/tmp/f; stty -opost; echo FLOOD-\$((0 + 1)); for i in \$(seq 1 $K); do cat /tmp/f; done; stty opost; echo FLOOD-\$((1 + 1))" |
	"$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1 || fail "umlwatch -connect con1"
wait_file "$log" "FLOOD-1" 240
start=$(date +%s%N)

# until the end marker; a log that stops growing for 60 s is a stall (a
# loaded machine pauses the guest for seconds, never that long)
size=0 still=0
while ! tail -c 200 "$log" | grep -a '^FLOOD-2' >/dev/null; do
	s=$(stat -c %s "$log")
	if [ "$s" = "$size" ]; then
		still=$((still + 1))
		[ $still -lt 600 ] || fail "the flood stalled: con1's log stays at $s bytes for 60 s ($(tail -c 40 "$log" | tr '\n' ' '))"
	else
		size=$s still=0
	fi
	sleep 0.1
done
ms=$((($(date +%s%N) - start) / 1000000))

# K times 1..N, in order, no gap, between the markers
got=$(awk -v N=$N '/^FLOOD-1\r?$/ { on = 1; n = 0; next }
	on && /^FLOOD-2/ { print n; exit }
	on { sub(/\r$/, ""); if ($0 != n % N + 1) { print "line " n + 1 " is \"" $0 "\""; exit } n++ }' "$log")
[ "$got" = $((N * K)) ] || fail "the log between the markers: $got, expected $K times 1..$N ($((N * K)) lines)"
log "$K x $N lines ($(stat -c %s "$log") bytes of log) in $ms ms, no input"

# the VM still answers
printf 'echo "ALIVE-$((2 + 3))"\n' | "$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1
wait_file "$log" "ALIVE-5" 30
watch vm1 -halt >/dev/null
log "PASS"
