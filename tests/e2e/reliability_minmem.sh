#!/bin/bash
# The minimum memory (umlmon(5) memory): a VM with one MiB less is refused
# by the configuration, naming the key, the value and the minimum; a VM
# with exactly the minimum boots the default image, logs in and runs a
# command, twice in a row. The kernel runs without address randomization
# (the jail's kernel-no-randomize step): its /proc personality says so, and
# the memory it reports is exactly the memory given, with no randomized
# heap gap added (which made small VMs fail at random before).
. "$(dirname "$0")/lib.sh"

BOOTS=2
setup
mkimage vm1

# a configuration with one more VM of the given memory
low_conf() { # MEMORY
	{
		sed -n '/^\[GLOBAL\]/,/^$/p' "$CONF"
		printf '[vm2]\nmemory = %s\nubd0 = /disks/root.dsk\n' "$1"
	} >"$T/low.conf"
}

# ---- below the minimum: refused, naming key, value and minimum ----
low_conf 1M
out=$(UMLMON_CONFIG=$T/low.conf "$UMLMON" vm2 2>&1) && fail "umlmon started vm2 with 1M: $out"
min=$(printf '%s\n' "$out" | sed -n "s/.*low\.conf:[0-9]*: memory: '1M' is below the minimum of \([0-9]*\)M .*/\1/p")
[ -n "$min" ] || fail "1M: umlmon said '$out'"
log "the minimum: ${min}M"
low_conf $((min - 1))M
expect_fail "low\.conf:[0-9]+: memory: '$((min - 1))M' is below the minimum of ${min}M" \
	env UMLMON_CONFIG="$T/low.conf" "$UMLMON" vm2
expect_fail "memory: '$((min - 1))M' is below the minimum of ${min}M" \
	"$UMLADMIN" -c "$T/low.conf" check
[ ! -e "$T/run/vm2.pid" ] || fail "a monitor of vm2 runs"
low_conf ${min}M
out=$("$UMLADMIN" -c "$T/low.conf" check 2>&1)
! printf '%s\n' "$out" | grep >/dev/null "below the minimum" || fail "check refused ${min}M: $out"

# ---- at the minimum: boots, logs in, runs a command ----
sed -i "0,/^memory = .*/s//memory = ${min}M/" "$CONF"
start_monitor vm1
log=$T/var/vm1/log/con1
for b in $(seq 1 $BOOTS); do
	off=$(stat -c %s "$log" 2>/dev/null || echo 0)
	off0=$(stat -c %s "$T/var/vm1/log/con0" 2>/dev/null || echo 0)
	boot vm1
	# only what this boot wrote
	since() { tail -c +$((off + 1)) "$log" | tr -d '\r'; }
	for _ in $(seq 1 1200); do
		since | grep -a 'login:' >/dev/null && break
		sleep 0.1
	done
	since | grep -a 'login:' >/dev/null || fail "boot $b: no login prompt within 120 s"
	kpid=$(info_field vm1 'kernel pid')
	pers=$(cat "/proc/$kpid/personality") || fail "kernel pid '$kpid': no personality"
	(( 0x$pers & 0x0040000 )) || fail "the kernel (pid $kpid) runs with address randomization (personality $pers)"
	printf 'root\n' | "$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1 || fail "umlwatch -connect con1"
	tok=$RANDOM
	# the computed answer: the echo of the typed line does not match it
	printf '%s\n' "ls / >/dev/null && echo MINMEM=\$(($tok + $b))" |
		"$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1 || fail "umlwatch -connect con1"
	for _ in $(seq 1 1200); do
		since | grep -a "^MINMEM=$((tok + b))$" >/dev/null && break
		sleep 0.1
	done
	since | grep -a "^MINMEM=$((tok + b))$" >/dev/null ||
		fail "boot $b: the command did not answer within 120 s"
	# "Memory: 21248K/32768K available": the total is the memory given
	total=$(tail -c +$((off0 + 1)) "$T/var/vm1/log/con0" | tr -d '\r' |
		sed -n 's|^Memory: [0-9]*K/\([0-9]*\)K available.*|\1|p')
	[ "$total" = $((min * 1024)) ] ||
		fail "boot $b: the kernel has ${total:-?}K, not the ${min}M given (a heap gap added?)"
	log "boot $b at ${min}M: logged in, ran a command, ${total}K, no randomization"
	out=$(watch vm1 -halt 2>&1) || fail "vm1 -halt: $out"
	wait_state vm1 stopped 60
done
log "PASS"
