#!/bin/bash
# cluster_power.sh -- the power switch of the cluster tests: socat runs it
# for each connection to the switch's socket, one request a connection
# ("ping", "list", "status NODE", "off NODE"), one line back. A node is
# its pid namespace: NODEDIR/init.pid is the host's pid of the
# namespace's init. "off" kills that init with SIGKILL, which makes the
# kernel kill every other process of the namespace, those in nested
# namespaces (the VMs' jails) too, before the init itself ends; "off" is
# answered once the init is gone.
#
# cluster_power.sh TESTDIR (the nodes are TESTDIR/NAME)
t=$1
read -r req node || exit 0
case $node in '' | */* | .*) [ "$req" = ping ] || [ "$req" = list ] || { echo "bad node '$node'"; exit 0; } ;; esac

alive() { # PID: a process that has not ended (a zombie has)
	local st
	st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

pid=
[ -z "$node" ] || pid=$(cat "$t/$node/init.pid" 2>/dev/null)
case $req in
ping) echo pong ;;
list) for f in "$t"/*/init.pid; do basename "$(dirname "$f")"; done ;;
status)
	if [ -n "$pid" ] && alive "$pid"; then echo on; else echo off; fi ;;
off)
	[ -n "$pid" ] || { echo "no node $node"; exit 0; }
	echo "$(date +%s.%N) off $node: killing its init, pid $pid" >>"$t/power.log"
	kill -KILL "$pid" 2>/dev/null
	for _ in $(seq 1 600); do
		[ -e "/proc/$pid" ] || break
		sleep 0.1
	done
	if [ -e "/proc/$pid" ]; then
		echo "node $node (pid $pid) did not end"
	else
		echo "$(date +%s.%N) off $node: every process ended" >>"$t/power.log"
		echo off
	fi ;;
*) echo "unknown request '$req'" ;;
esac
