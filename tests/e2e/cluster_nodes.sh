#!/bin/bash
# The node view: umlwatch -list @node1,@node2 lists the VMs of two hosts
# through their umldirs, each row with its node (table and --json), in
# the order the hosts are given; a host whose umldir does not answer is a
# row with its error, the others are listed all the same, and the exit
# status says that one failed. Two "nodes" on this machine: two
# configurations (each its own vardir, rundir and umldir ports) in one
# network namespace of the test.
. "$(dirname "$0")/lib.sh"

UMLDIR=$B/src/umldir
[ -x "$UMLDIR" ] || need "$UMLDIR (build first)"

setup
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk'
N2=$T/node2.conf
{
	printf '[GLOBAL]\nvardir = %s/var2\nshared = %s/shared\nrundir = %s/run2\n' "$T" "$T" "$T"
	printf 'vm_uid_range = %s-%s\ncgroup_parent = %s-node2\n' \
		$((UID_FIRST + 8)) "$UID_LAST" "$CG_PARENT"
	printf 'umldir_port = 7311\numlredir_port = 7312\n'
	printf '\n[vm2]\nmemory = 64M\nubd0 = /disks/root.dsk\n'
} >"$N2"
mkdir -m 0755 "$T/var2" "$T/run2"
# what node 2 may leave when the test fails: its daemons, its cgroups
trap 'rc=$?; for f in "$T"/run2/*.pid; do p=$(cat "$f" 2>/dev/null) && kill -TERM "$p" 2>/dev/null; done
	c=$CG_PARENT; CG_PARENT=$c-node2; cg_cleanup; CG_PARENT=$c; (exit $rc); cleanup' EXIT
mkimage vm1
netns_new nodes
MON_NETNS=$NS

in_ns "$NS" "$UMLDIR" || fail "node 1's umldir did not start"
PIDS_TO_KILL+=("$(cat "$T/run/umldir.pid")")
UMLMON_CONFIG=$N2 in_ns "$NS" "$UMLDIR" || fail "node 2's umldir did not start"
PIDS_TO_KILL+=("$(cat "$T/run2/umldir.pid")")
start_monitor vm1
start_monitor vm3
UMLMON_CONFIG=$N2 in_ns_cg "$NS" "$UMLMON" vm2 || fail "node 2's monitor of vm2 did not start"
PIDS_TO_KILL+=("$(cat "$T/run2/vm2.pid")")
boot vm1

nodes=@127.0.0.1,@127.0.0.1:7311
# until every monitor has registered (each tries once a second)
out=
for _ in $(seq 1 100); do
	out=$(in_ns "$NS" "$UMLWATCH" -list "$nodes" --json 2>&1) &&
		printf '%s' "$out" | grep -F >/dev/null '"name":"vm1","state":"running"' &&
		printf '%s' "$out" | grep -F >/dev/null '"name":"vm3"' &&
		printf '%s' "$out" | grep -F >/dev/null '"name":"vm2"' && break
	sleep 0.1
done
log "$out"
want='[{"node":"127.0.0.1","name":"vm1","state":"running","port":null,"tls":false,"error":null},'
want+='{"node":"127.0.0.1","name":"vm3","state":"stopped","port":null,"tls":false,"error":null},'
want+='{"node":"127.0.0.1:7311","name":"vm2","state":"stopped","port":null,"tls":false,"error":null}]'
# umldir lists its VMs in no promised order: node 1's two in either
alt=$(printf '%s' "$want" | sed 's/\(vm1.*\)},{\("node":"127.0.0.1","name":"vm3".*null\)},/\2},{\1},/')
[ "$out" = "$want" ] || [ "$out" = "$alt" ] || fail "-list $nodes --json: $out"

# the table: a NODE column first
out=$(in_ns "$NS" "$UMLWATCH" -list "$nodes") || fail "-list $nodes: $out"
printf '%s\n' "$out" | head -n 1 | grep -E '^NODE +VM +STATE +PORT +TLS +ERROR$' >/dev/null ||
	fail "-list $nodes: header '$(printf '%s\n' "$out" | head -n 1)'"
printf '%s\n' "$out" | grep -E '^127\.0\.0\.1:7311 +vm2 +stopped +- +no +-$' >/dev/null ||
	fail "-list $nodes: no row of vm2 on node 2: $out"
[ "$(printf '%s\n' "$out" | grep -cE '^127\.0\.0\.1 +vm[13] ')" = 2 ] ||
	fail "-list $nodes: not two rows of node 1: $out"

# a node that does not answer: its row, the others all the same, exit 1
out=$(in_ns "$NS" "$UMLWATCH" -list "@127.0.0.1:7321,$nodes" --json 2>&1)
rc=$?
[ $rc = 1 ] || fail "-list with a node that does not answer: exit status $rc ($out)"
printf '%s' "$out" | grep -F >/dev/null \
	'[{"node":"127.0.0.1:7321","name":null,"state":null,"port":null,"tls":null,"error":"umldir: 127.0.0.1 port 7321: Connection refused"},' ||
	fail "-list: no error row first for the node that does not answer: $out"
[ "$(printf '%s' "$out" | grep -o '"error":null' | wc -l)" = 3 ] ||
	fail "-list: the answering nodes' rows are not all there: $out"

# a stopped monitor leaves its node's list; the node stays
stop_monitor vm3
for _ in $(seq 1 100); do
	out=$(in_ns "$NS" "$UMLWATCH" -list "$nodes" --json 2>&1)
	printf '%s' "$out" | grep -F >/dev/null '"vm3"' || break
	sleep 0.1
done
[ "$(printf '%s' "$out" | grep -o '"node":' | wc -l)" = 2 ] || fail "-list after vm3's monitor ended: $out"

# usage: every host is @HOST
expect_fail "-list: 'x': each host is @HOST\[:PORT\]" "$UMLWATCH" -list @a,x
log "ok"
