#!/bin/bash
# Two VMs whose root is one read-write image (one inode under two names)
# started at the same moment: exactly one start is accepted, the other is
# refused naming the image and its holder, and the winner boots (before the
# per-image start lock both were accepted and the loser's kernel panicked
# on the image its rival had just locked). Several rounds.
. "$(dirname "$0")/lib.sh"

# one image under two names is one user's: vm1 and vm2 share nobody on
# purpose (vmuser_shared), or neither would be given the image
setup 'vmuser = nobody' 'vmuser_shared = yes'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'vmuser = nobody' 'vmuser_shared = yes'
mkimage vm1
mkdir -p "$(jail_of vm2)/disks"
ln "$(jail_of vm1)/disks/root.dsk" "$(jail_of vm2)/disks/root.dsk"
start_monitor vm1
start_monitor vm2

for round in 1 2 3 4; do
	n1=$(init_count vm1)
	n2=$(init_count vm2)
	watch vm1 -start >"$T/out1" 2>&1 &
	p1=$!
	watch vm2 -start >"$T/out2" 2>&1 &
	p2=$!
	wait $p1
	r1=$?
	wait $p2
	r2=$?
	log "round $round: vm1 rc $r1 ($(head -n 1 "$T/out1")), vm2 rc $r2 ($(head -n 1 "$T/out2"))"
	if [ $r1 -eq 0 ] && [ $r2 -ne 0 ]; then
		win=vm1 lose=vm2 n=$n1 out=$T/out2
	elif [ $r2 -eq 0 ] && [ $r1 -ne 0 ]; then
		win=vm2 lose=vm1 n=$n2 out=$T/out1
	else
		fail "round $round: both starts $([ $r1 -eq 0 ] && echo accepted || echo refused)"
	fi
	grep -E >/dev/null "^umlwatch: $lose: cannot start: ubd0: /disks/root.dsk: cannot boot: in use by ($win \\(read-write|the monitor of $win on $(uname -n) \\(pid [0-9]+\\))" "$out" ||
		fail "round $round: $lose said '$(cat "$out")'"
	remember_vm_pids $win
	wait_inits $win $((n + 1))
	[ "$(info_field $win state)" = running ] || fail "$win is $(info_field $win state)"
	[ "$(info_field $lose state)" = stopped ] || fail "$lose is $(info_field $lose state)"
	out=$(watch $win -stop 2>&1) || fail "stop $win: $out"
done
log "ok"
