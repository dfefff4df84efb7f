#!/bin/bash
# A guest that allocates past its memory is contained. vm1 (the default
# memory_allowance) runs six processes that touch more than its RAM
# together (dd with a 16M buffer each in a 64M guest): its own kernel's OOM
# killer stops the hog (the largest processes; a hog in a guest tmpfs instead cannot be reclaimed
# and can leave the guest nothing but init to kill), vm1 keeps running and
# answering, vm2 keeps answering, and vm1's -info shows its cgroup's
# figures as its files hold them. vm3 has memory_allowance = 0 and writes
# through hostfs into its jail's /tmp (host memory outside the guest's
# RAM): the cgroup's OOM killer kills its kernel, the monitor's log and
# -info say so, no cgroup is left and the next start works.
. "$(dirname "$0")/lib.sh"

setup
add_vm vm2 "memory = 64M" "ubd0 = /disks/root.dsk"
add_vm vm3 "memory = 64M" "ubd0 = /disks/root.dsk" "memory_allowance = 0"
for vm in vm1 vm2 vm3; do
	mkimage $vm
	start_monitor $vm
done
boot vm1
boot vm2
tm_new a
tm_login a vm1
tm_new b
tm_login b vm2

# a number of -info's "cgroup memory" line: cg_info VM limit|peak|oom kills
cg_info() {
	watch "$1" -info | sed -n "s/^cgroup memory .*$2 \([0-9]*\).*/\1/p"
}

# ---- vm1: a process that touches more than the guest's RAM ----
tm_send a '(for i in 1 2 3 4 5 6; do dd if=/dev/zero of=/dev/null bs=16M count=20 & done; wait); echo HOG=$?' Enter
tm_wait a '^HOG=[0-9]+' 120
log "vm1's hog: $(tm_capture a | grep -E '^(HOG=|Killed|dd: )' | tr '\n' ' ')"
wait_state vm1 running 5
guest_answers a vm1
guest_answers b vm2
cg=$(cg_of vm1)
[ -d "$cg" ] || fail "vm1's cgroup '$cg' (-info) is not a directory"
if [ -f "$cg/memory.limit_in_bytes" ]; then # v1
	lim=$(cat "$cg/memory.limit_in_bytes")
	oom=$(sed -n 's/^oom_kill //p' "$cg/memory.oom_control")
else
	lim=$(cat "$cg/memory.max")
	oom=$(sed -n 's/^oom_kill //p' "$cg/memory.events")
fi
[ "$lim" = $(((64 + 64) << 20)) ] || fail "vm1's memory limit $lim, not 64M + the default allowance 64M"
[ "$(cg_info vm1 limit)" = "$lim" ] || fail "-info's limit $(cg_info vm1 limit), the file's $lim"
[ "$(cg_info vm1 'oom kills')" = "$oom" ] || fail "-info's oom kills $(cg_info vm1 'oom kills'), the file's $oom"
peak=$(cg_info vm1 peak)
[ -n "$peak" ] && [ "$peak" -gt $((32 << 20)) ] && [ "$peak" -le "$lim" ] ||
	fail "vm1's peak '$peak' is not between 32M (its RAM was filled) and the limit $lim"
log "vm1 contained its hog: limit $lim, peak $peak, $oom OOM kills in its cgroup"

# ---- vm3: past its cgroup's limit through hostfs: the kernel is killed ----
boot vm3
tm_new c
tm_login c vm3
limit3=$(cg_info vm3 limit)
[ "$limit3" = $((64 << 20)) ] || fail "vm3's limit '$limit3', not 64M (allowance 0)"
cgdir3=$(cg_of vm3)
tm_send c 'mkdir -p /h && mount -t hostfs none /h -o /tmp && dd if=/dev/zero of=/h/fill bs=1M count=48; echo HOG=$?' Enter
wait_state vm3 crashed 60
mlog=$T/var/vm3/log/monitor.log
wait_file "$mlog" "vm3: killed by the memory limit ($limit3 bytes) of its cgroup" 10
watch vm3 -info | grep -x >/dev/null "last exit     killed by the memory limit ($limit3 bytes) of its cgroup at .*" ||
	fail "vm3's last exit: $(info_field vm3 'last exit')"
[ "$(cg_info vm3 'oom kills')" -ge 1 ] || fail "vm3's -info shows no OOM kill"
[ ! -e "$cgdir3" ] || fail "vm3's cgroup $cgdir3 is left after its end"
log "vm3 killed by its cgroup: $(info_field vm3 'last exit')"
guest_answers a vm1
guest_answers b vm2
# the next start finds nothing in its way
boot vm3
out=$(watch vm3 -halt 2>&1) || fail "vm3 -halt: $out"
wait_state vm3 stopped 30
[ ! -e "$cgdir3" ] || fail "vm3's cgroup $cgdir3 is left after the halt"
log "ok"
