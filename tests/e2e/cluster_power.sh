#!/bin/bash
# cluster_power.sh -- the power switch of the cluster tests: socat runs it
# for each connection to the switch's socket, one request a connection
# ("ping", "list", "status NODE", "off NODE"), one line back. A node is
# its pid namespace: NODEDIR/init.pid is the host's pid of the
# namespace's init, NODEDIR/init.ns its namespace (checked before a
# signal: the pid names no other process). "off" kills that init with SIGKILL, which makes the
# kernel kill every other process of the namespace, those in nested
# namespaces (the VMs' jails) too, before the init itself ends; "off" is
# answered once the init is gone.
#
# cluster_power.sh TESTDIR (the nodes are TESTDIR/NAME)
t=$1
read -r req node || exit 0
case $node in '' | */* | .*) [ "$req" = ping ] || [ "$req" = list ] || { echo "bad node '$node'"; exit 0; } ;; esac

pid='' ns=''
[ -z "$node" ] || { pid=$(cat "$t/$node/init.pid" 2>/dev/null); ns=$(cat "$t/$node/init.ns" 2>/dev/null); }

alive() { # the node's init has not ended (a zombie has: no namespace)
	[ -n "$pid" ] && [ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" = "$ns" ]
}

case $req in
ping) echo pong ;;
list) for f in "$t"/*/init.pid; do basename "$(dirname "$f")"; done ;;
status)
	if alive; then echo on; else echo off; fi ;;
off)
	[ -n "$pid" ] && [ -n "$ns" ] || { echo "no node $node"; exit 0; }
	echo "$(date +%s.%N) off $node: killing its init, pid $pid" >>"$t/power.log"
	alive && kill -KILL "$pid" 2>/dev/null
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
