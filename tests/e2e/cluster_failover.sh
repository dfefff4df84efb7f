#!/bin/bash
# A VM as a resource ocf:umlmon:vm of a real two-node Corosync/Pacemaker
# cluster (cluster_lib.sh): it starts on n1, in n1's namespaces, up to its
# login prompt; crm_resource --move takes it to n2 (a clean stop on n1,
# then a boot on n2 from the same shared disk: a file the guest wrote on
# n1 is there) and back; corosync killed on n1 while n1 holds it: n2
# fences n1 (the power switch ends every process of n1) and boots the VM;
# kill -9 of its kernel is seen by the monitor operation and the VM is
# restarted (fail count 1). The VM never runs on two nodes at once.
# Prints the failover time (n1 lost -> login prompt on n2).
. "$(dirname "$0")/cluster_lib.sh"

cluster_with_vm vm1
kp=$(vm_host_pids n1 vm1 | head -n 1)
pid_on_node "$kp" n1 || fail "vm1's kernel (pid $kp) is not a process of n1"
log "vm1 runs on n1, at its login prompt"

# the guest writes a file on the shared disk
tm_new term
tok=$RANDOM
UMLWATCH="$(node_cmd n1) $UMLWATCH" tm_login term vm1
tm_send term "echo CLUSTER-$tok >/root/mark && sync && echo WRITTEN-\$((1+1))" Enter
tm_wait term '^WRITTEN-2' 20
tm_send term C-] q
tm_wait term 'host\$ $' 10

# ---- a move: a clean stop on n1, a boot on n2 ----
on_node n1 crm_resource --move -r vm1 -N n2 >/dev/null || fail "crm_resource --move vm1 to n2"
wait_vm_on n2 vm1 vm1 120
wait_login n2 vm1 1 60
grep -F 'vm1: stopped: stopped by ctrl-alt-del' "$T/n1/umlmon/var/vm1/log/monitor.log" >/dev/null ||
	fail "no clean stop of vm1 on n1: $(tail -n 5 "$T/n1/umlmon/var/vm1/log/monitor.log")"
! node_pid_of n1 umlmon >/dev/null || fail "a monitor was left on n1 after the move"
tm_send term C-l
UMLWATCH="$(node_cmd n2) $UMLWATCH" tm_login term vm1
tm_send term 'cat /root/mark' Enter
tm_wait term "^CLUSTER-$tok" 20
tm_send term C-] q
tm_wait term 'host\$ $' 10
log "moved to n2: a clean stop on n1, the guest's file is on n2"
on_node n1 crm_resource --clear -r vm1 >/dev/null

# ---- and back ----
on_node n1 crm_resource --move -r vm1 -N n1 >/dev/null || fail "crm_resource --move vm1 to n1"
wait_vm_on n1 vm1 vm1 120
wait_login n1 vm1 2 60
on_node n1 crm_resource --clear -r vm1 >/dev/null
log "moved back to n1"

# ---- n1's cluster stack dies: n2 fences n1 and boots vm1 ----
n1pids=$(vm_host_pids n1 vm1)
[ -n "$n1pids" ] || fail "no process of vm1 on n1"
c=$(node_pid_of n1 corosync) || fail "no corosync on n1"
logins=$(login_count n2 vm1)
t0=$(date +%s%N)
kill -KILL "$c"
wait_vm_on n2 vm1 vm1 120 n2
wait_login n2 vm1 $((logins + 1)) 60
t1=$(date +%s%N)
[ ! -e "/proc/${NODE_INIT[n1]}" ] || fail "n1 was not powered off"
for p in $n1pids; do
	[ ! -e "/proc/$p" ] || fail "pid $p of vm1 on n1 lives on"
done
on_node n2 stonith_admin --history n1 --output-as=xml |
	grep -E '<fence_event [^>]*action="off" [^>]*target="n1"[^>]*status="success"' >/dev/null ||
	fail "no successful fencing of n1: $(on_node n2 stonith_admin --history n1 2>&1)"
ms=$(((t1 - t0) / 1000000))
log "failover: n1 lost -> vm1 at its login prompt on n2 in $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
echo "failover_ms $ms"

# ---- kill -9 of the kernel: the monitor operation sees it, a restart ----
logins=$(login_count n2 vm1)
kp=$(on_node n2 "$UMLWATCH" vm1 -info | sed -n 's/^kernel pid  *//p')
[ -n "$kp" ] || fail "no kernel pid of vm1 on n2"
on_node n2 kill -KILL "$kp" || fail "kill -9 of vm1's kernel (pid $kp on n2)"
wait_failcount n2 vm1 n2 1 60
wait_vm_on n2 vm1 vm1 120 n2
wait_login n2 vm1 $((logins + 1)) 60
[ "$(failcount n2 vm1 n2)" = 1 ] || fail "fail count of vm1 on n2: $(failcount n2 vm1 n2), expected 1"
log "vm1's kernel killed: seen by the monitor operation, restarted (fail count 1)"
log "ok"
