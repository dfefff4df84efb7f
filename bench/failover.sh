#!/bin/bash
# Failover time of a VM in a two-node Pacemaker cluster (issue 16): the
# cluster of the cluster tests (tests/e2e/cluster_lib.sh: two nodes in
# namespaces on this machine, corosync token 1500 ms, consensus 1800 ms,
# fencing by the test's power switch), the VM vm1 (busybox image, 64M) a
# resource ocf:umlmon:vm with its disk on the shared directory.
# Each run: vm1 at its login prompt on n1; corosync on n1 killed (-9);
# measured until vm1's login prompt on n2, split at the moment the power
# switch reported n1 off (every process of n1 ended). Then n1 is powered
# on again (its namespaces anew, its directories kept), rejoins, and vm1
# moves back to it: that move (crm_resource --move: a clean stop on n2,
# Ctrl-Alt-Del, and a boot on n1, to the login prompt) is the baseline.
# Prints each run and the medians. Needs root and a build.
# Usage: bench/failover.sh [RUNS]
here=$(cd "$(dirname "$0")" && pwd)
export UMLMON_BUILD=${UMLMON_BUILD:-$here/../build} UMLMON_SRC=${UMLMON_SRC:-$here/..}
. "$UMLMON_SRC/tests/e2e/cluster_lib.sh"
runs=${1:-5}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

cluster_with_vm vm1

fo=() fence=() boot=() move=()
printf '%-4s %10s %10s %10s %12s\n' run failover fenced boot 'move back' >&2
for r in $(seq 1 "$runs"); do
	logins=$(login_count n2 vm1)
	offs=$(grep -c ': every process ended' "$T/power.log" 2>/dev/null)
	c=$(node_pid_of n1 corosync) || fail "no corosync on n1"
	t0=$(now_ms)
	kill -KILL "$c"
	wait_vm_on n2 vm1 vm1 120
	wait_login n2 vm1 $((logins + 1)) 60
	t1=$(now_ms)
	# the switch's line of this power-off
	toff=$(grep ': every process ended' "$T/power.log" | sed -n "$((offs + 1))p" | cut -d' ' -f1)
	[ -n "$toff" ] || fail "run $r: no power-off of n1 in $T/power.log"
	toff=$(awk -v t="$toff" 'BEGIN { printf "%d", t * 1000 }')
	fo+=($((t1 - t0)))
	fence+=($((toff - t0)))
	boot+=($((t1 - toff)))

	# n1 back, then vm1 back to it
	node_start n1
	wait_node_started n1
	wait_online n2 120 n1 n2
	logins=$(login_count n1 vm1)
	t0=$(now_ms)
	on_node n2 crm_resource --move -r vm1 -N n1 >/dev/null || fail "crm_resource --move vm1 to n1"
	wait_vm_on n1 vm1 vm1 120
	wait_login n1 vm1 $((logins + 1)) 60
	t1=$(now_ms)
	on_node n1 crm_resource --clear -r vm1 >/dev/null
	move+=($((t1 - t0)))
	printf '%-4s %10s %10s %10s %12s\n' "$r" "$(secs "${fo[-1]}")" "$(secs "${fence[-1]}")" \
		"$(secs "${boot[-1]}")" "$(secs "${move[-1]}")" >&2
done
printf '%-4s %10s %10s %10s %12s\n' median \
	"$(secs "$(printf '%s\n' "${fo[@]}" | median)")" \
	"$(secs "$(printf '%s\n' "${fence[@]}" | median)")" \
	"$(secs "$(printf '%s\n' "${boot[@]}" | median)")" \
	"$(secs "$(printf '%s\n' "${move[@]}" | median)")"
