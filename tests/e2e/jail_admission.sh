#!/bin/bash
# Admission: a VM whose memory does not fit in what the host has left is
# refused before its boot (no tmpfs mounted) with a message that names the
# VM, what it needs and what is left. With host_reserve set so that one
# 64M VM fits and two do not, the second is refused while the first runs
# and starts after the first stopped. Two starts racing for the last room:
# exactly one boots, each time. Sizes are worked out here from
# /proc/meminfo, not taken from the monitor.
. "$(dirname "$0")/lib.sh"

total_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo)
[ -n "$total_kb" ] || fail "no MemTotal in /proc/meminfo"
total_mib=$((total_kb / 1024))
# a VM of 64M holds a tmpfs of 64M + 32M; leave room for one and a half
need_mib=96
reserve_kb=$((total_kb - need_mib * 1024 * 3 / 2))
big_mib=$((total_mib + 1024))
[ "$big_mib" -le 65536 ] || fail "MemTotal ${total_mib} MiB: no VM (64G at most) is larger"

setup
sed -i "/^\[GLOBAL\]\$/a host_reserve = ${reserve_kb}K" "$CONF"
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'stop_timeout = 20'
add_vm big "memory = ${big_mib}M" 'ubd0 = /disks/root.dsk'
mkimage vm1
mkimage vm2
start_monitor vm1
start_monitor vm2
start_monitor big
reserve_mib=$((reserve_kb / 1024))

# ---- larger than the host's RAM: refused before anything is mounted ----
expect_fail "^umlwatch: big: cannot start: not enough memory left on the host: the VM needs $((big_mib + 32)) MiB \(memory $big_mib MiB \+ 32 MiB for its tmp\), $((need_mib * 3 / 2)) MiB is left \(MemTotal $total_mib MiB - 0 MiB held by 0 running VMs - host_reserve $reserve_mib MiB\)" \
	watch big -start
[ -z "$(jail_mounts big)" ] || fail "mounts after the refused start: $(jail_mounts big)"
[ "$(info_field big state)" = stopped ] || fail "big: state $(info_field big state) after the refusal"
grep -F >/dev/null "big: cannot start: not enough memory left on the host" \
	"$T/var/big/log/monitor.log" || fail "the refusal is not in big's monitor.log"
stop_monitor big

# ---- one fits, two do not ----
boot vm1
[ -n "$(jail_mounts vm1)" ] || fail "vm1 runs without its tmpfs"
expect_fail "^umlwatch: vm2: cannot start: not enough memory left on the host: the VM needs $need_mib MiB \(memory 64 MiB \+ 32 MiB for its tmp\), $((need_mib / 2)) MiB is left \(MemTotal $total_mib MiB - $need_mib MiB held by 1 running VM - host_reserve $reserve_mib MiB\)" \
	watch vm2 -start
[ -z "$(jail_mounts vm2)" ] || fail "vm2: mounts after the refused start: $(jail_mounts vm2)"
[ "$(info_field vm1 state)" = running ] || fail "vm1 hurt by vm2's refusal"
watch vm1 -halt >/dev/null || fail "vm1 -halt"
[ -z "$(jail_mounts vm1)" ] || fail "vm1: mounts after its halt: $(jail_mounts vm1)"
boot vm2
watch vm2 -halt >/dev/null || fail "vm2 -halt"

# ---- two starts racing for the last room: exactly one boots ----
# In round 1 the test holds the admission lock until both monitors wait
# for it (/proc/locks), so that they race at the same instant and a start
# that does not take the lock shows; rounds 2 and 3 race freely.
waiting() { # blocked flock waiters on VARDIR/admission
	local ino
	ino=$(stat -c %i "$T/var/admission")
	grep -cE -- "-> FLOCK +ADVISORY +WRITE +[0-9]+ [0-9a-f]+:[0-9a-f]+:$ino " /proc/locks
}
for round in 1 2 3; do
	if [ $round = 1 ]; then
		exec 9>>"$T/var/admission"
		flock 9 || fail "flock $T/var/admission"
	fi
	watch vm1 -start >"$T/start1" 2>&1 9>&- &
	p1=$!
	watch vm2 -start >"$T/start2" 2>&1 9>&- &
	p2=$!
	if [ $round = 1 ]; then
		for _ in $(seq 300); do
			[ "$(waiting)" = 2 ] && break
			sleep 0.1
		done
		[ "$(waiting)" = 2 ] || fail "the starts do not wait for the admission lock ($(waiting) waiting)"
		[ -z "$(jail_mounts vm1)$(jail_mounts vm2)" ] || fail "a tmpfs mounted without the admission lock"
		exec 9>&-
	fi
	r1=0 r2=0
	wait $p1 || r1=$?
	wait $p2 || r2=$?
	remember_vm_pids vm1
	remember_vm_pids vm2
	log "round $round: vm1 $r1 ($(head -n 1 "$T/start1")), vm2 $r2 ($(head -n 1 "$T/start2"))"
	if [ $r1 = 0 ] && [ $r2 != 0 ]; then
		won=vm1 lost=vm2
	elif [ $r2 = 0 ] && [ $r1 != 0 ]; then
		won=vm2 lost=vm1
	else
		fail "round $round: both starts answered $r1 and $r2; exactly one should pass"
	fi
	grep -E >/dev/null "^umlwatch: $lost: cannot start: not enough memory left on the host: .* held by 1 running VM " \
		"$T/start${lost#vm}" || fail "$lost: $(cat "$T/start${lost#vm}")"
	[ -z "$(jail_mounts "$lost")" ] || fail "$lost: mounts after its refusal: $(jail_mounts "$lost")"
	[ "$(info_field "$lost" state)" = stopped ] || fail "$lost: state $(info_field "$lost" state)"
	wait_state "$won" running 60
	watch "$won" -halt >/dev/null || fail "$won -halt"
	[ -z "$(jail_mounts "$won")" ] || fail "$won: mounts after its halt"
done
[ -z "$(findmnt -rn -o TARGET | grep "^$T/")" ] || fail "mounts left: $(findmnt -rn -o TARGET | grep "^$T/")"
log "PASS"
