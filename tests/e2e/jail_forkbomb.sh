#!/bin/bash
# A fork bomb in a guest (root, busybox sh: a function that starts itself
# in the background) is held: UML makes a host process for each guest
# address space, so the cgroup's pids_max (64 here) bounds them; the
# cgroup counts the forks it refused (pids.events max, -info's "limit
# hits"), or the guest kernel's own limits stop it first. vm2 keeps
# answering; vm1 is stopped through the monitor and leaves no cgroup.
. "$(dirname "$0")/lib.sh"

setup "pids_max = 64"
add_vm vm2 "memory = 64M" "ubd0 = /disks/root.dsk"
vms_up vm1 vm2
tm_new a
tm_login a vm1
tm_new b
tm_login b vm2
cg=$(cg_of vm1)
pids=${cg/\/memory\//\/pids\/} # v1: the pids hierarchy's; v2: the same
[ -f "$pids/pids.max" ] || fail "no pids.max in vm1's cgroup $pids"
[ "$(cat "$pids/pids.max")" = 64 ] || fail "vm1's pids.max is $(cat "$pids/pids.max"), not 64"
hits() { sed -n 's/^max //p' "$pids/pids.events"; }
info_hits() { watch vm1 -info | sed -n 's/^cgroup pids .*limit hits \([0-9]*\).*/\1/p'; }
before=$(hits)

tm_send a 'bomb() { bomb & bomb; }; bomb' Enter
# held: the cgroup refuses forks at its limit (or the guest stops them)
for _ in $(seq 1 600); do
	[ "$(hits)" -gt "$before" ] && break
	sleep 0.1
done
[ "$(hits)" -gt "$before" ] || fail "no fork refused at pids_max within 60s (pids.current $(cat "$pids/pids.current"))"
cur=$(cat "$pids/pids.current")
[ "$cur" -le 64 ] || fail "vm1's cgroup holds $cur processes, over its pids_max 64"
h=$(hits)
ih=$(info_hits)
[ -n "$ih" ] && [ "$ih" -ge "$h" ] || fail "-info's limit hits '$ih', the file said $h"
log "vm1's fork bomb held at $cur host processes, $h forks refused (-info: $ih)"

# vm2 keeps answering while the bomb runs
guest_answers b vm2

# vm1 stops through its monitor and leaves nothing
out=$(watch vm1 -stop 2>&1) || fail "vm1 -stop: $out"
log "$out"
wait_state vm1 stopped 60
for d in "$cg" "$pids"; do
	[ ! -e "$d" ] || fail "vm1's cgroup $d is left after the stop"
done
guest_answers b vm2
log "ok"
