#!/bin/bash
# The OCF resource agent ocf:umlmon:vm (dist/ocf/vm) against a real VM:
# ocf-tester (resource-agents) runs its meta-data, validate-all, probes,
# start, monitor and stop, twice over and on a VM in each state; then the
# exit codes one by one: running 0, stopped 7, kill -9 of the kernel not 0
# (crashed: 1) and a stop after it 0; a stop leaves nothing of the VM on
# the node (no monitor, kernel, mounts, disk locks), and its graceful part
# fits the action's timeout; a monitor killed while its VM runs is
# replaced (running: 0, re-attached); a start is refused, naming the disk
# and its holder, while another "node" (a second configuration on the
# same shared directory) runs the VM, and while a lock of the registry's
# says another host's monitor has the disk;
# validate-all refuses a VM that is not in the configuration (6), a
# configuration that does not parse (6), start = boot (6), a missing file
# (5) and missing programs (5).
. "$(dirname "$0")/lib.sh"

command -v ocf-tester >/dev/null || need "ocf-tester (resource-agents)"
command -v xmllint >/dev/null || need "xmllint (libxml2-utils)"
[ -r /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs ] || need "ocf-shellfuncs (resource-agents)"

# the root disk on the shared directory, as in a cluster (docs/CLUSTER.md);
# start = off: only the cluster starts the VM
setup 'start = off' 'ubd1 = /shared/disks/data.dsk'
sed -i 's|^ubd0 = /disks/root.dsk$|ubd0 = /shared/disks/vm1.dsk|' "$CONF"
mkdir -p "$T/shared/disks"
"$UMLADMIN" mkimage -o "$T/shared/disks/vm1.dsk" >/dev/null || fail "mkimage vm1.dsk"
truncate -s 1M "$T/shared/disks/data.dsk"
# the agent as installed (mode 0755: ocf-tester runs its meta-data as
# nobody), on the programs of this build
mkdir -p "$T/ocf"
install -m 0755 "$B/dist/ocf/vm" "$T/ocf/vm"
AGENT=$T/ocf/vm
export UMLMON_BINDIR=$B/src OCF_ROOT=/usr/lib/ocf
# the VM's uid, given now, owns its shared disks
"$UMLMON" vm1 || fail "umlmon vm1 did not start"
PIDS_TO_KILL+=("$(monitor_pid vm1)")
uid=$(vm_uid vm1)
chown "$uid:$uid" "$T/shared/disks/vm1.dsk" "$T/shared/disks/data.dsk"
stop_monitor vm1

# Runs an action of the agent as Pacemaker does (OCF_RESKEY_*), with its
# output in $T/agent.out; the exit code is the function's.
agent() { # ACTION [NAME=VALUE...]
	local a=$1
	shift
	env OCF_RESOURCE_INSTANCE=vm1 OCF_RESKEY_vm=vm1 OCF_RESKEY_config="$CONF" \
		OCF_RESKEY_CRM_meta_timeout=120000 "$@" "$AGENT" "$a" >"$T/agent.out" 2>&1
}
expect_rc() { # RC ACTION [NAME=VALUE...]
	local want=$1 rc
	shift
	agent "$@"
	rc=$?
	[ $rc = "$want" ] || fail "$*: exit code $rc, expected $want; it said: $(cat "$T/agent.out")"
	log "$1: $rc as expected"
}
said() { # REGEX: the agent's last output matches
	grep -E >/dev/null -- "$1" "$T/agent.out" ||
		fail "the agent said '$(cat "$T/agent.out")'; expected /$1/"
}
# The monitor's pid, the kernel's and the watcher's, from -info --json.
json_field() { # VM FIELD
	watch "$1" -info --json | sed -n "s/.*\"$2\":\"\([0-9]*\)\".*/\1/p"
}
# Whether a process lives: a zombie does not (the monitor's parent is
# init, which may take its time to reap it).
alive() { # PID
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}
# Nothing of vm1 on the node: no monitor, kernel or watcher, no mounts
# under its jail, no disk lock held.
nothing_left() { # PID...
	local p f
	for p; do
		! alive "$p" || fail "pid $p ($(cat "/proc/$p/comm" 2>/dev/null)) lives on after the stop"
	done
	[ -z "$(jail_mounts vm1)" ] || fail "mounts left after the stop: $(jail_mounts vm1)"
	for f in "$T"/shared/locks/*; do
		[ -f "$f" ] || continue
		flock -n -x "$f" true || fail "the disk lock $f is held after the stop"
	done
	[ -z "$(monitor_pid vm1)" ] || ! alive "$(monitor_pid vm1)" ||
		fail "a monitor of vm1 runs after the stop"
}

# ---- meta-data: OCF 1.1, valid for Pacemaker's schema too ----
agent meta-data || fail "meta-data failed"
xmllint --noout --relaxng /usr/share/resource-agents/metadata.rng "$T/agent.out" 2>"$T/xml.err" ||
	fail "meta-data against metadata.rng: $(cat "$T/xml.err")"
grep -x '<version>1.1</version>' "$T/agent.out" >/dev/null || fail "meta-data is not OCF 1.1"

# ---- ocf-tester ----
start=$(date +%s%N)
ocf-tester -n vm1 -o vm=vm1 -o config="$CONF" "$AGENT" >"$T/ocf-tester.out" 2>&1 ||
	fail "ocf-tester: $(cat "$T/ocf-tester.out")"
grep -x "$AGENT passed all tests" "$T/ocf-tester.out" >/dev/null ||
	fail "ocf-tester said: $(cat "$T/ocf-tester.out")"
log "ocf-tester passed in $((($(date +%s%N) - start) / 1000000)) ms"
nothing_left

# ---- running, crashed, stopped ----
expect_rc 7 monitor
expect_rc 0 start
expect_rc 0 monitor
remember_vm_pids vm1
kpid=$(json_field vm1 kernel_pid)
wpid=$(json_field vm1 watcher_pid)
mpid=$(json_field vm1 monitor_pid)
[ -n "$kpid" ] && [ -n "$mpid" ] || fail "no pids of the running vm1"
# a probe (interval 0) of a running VM
expect_rc 0 monitor OCF_RESKEY_CRM_meta_interval=0
kill -KILL "$kpid"
wait_state vm1 crashed 30
expect_rc 1 monitor
said 'vm1: crashed'
expect_rc 0 stop
nothing_left "$kpid" "$wpid" "$mpid"
expect_rc 7 monitor
expect_rc 0 stop

# ---- a monitor killed while its VM runs: a new one re-attaches ----
expect_rc 0 start
remember_vm_pids vm1
mpid=$(json_field vm1 monitor_pid)
kill -KILL "$mpid"
for _ in $(seq 1 100); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
expect_rc 0 monitor
m2=$(monitor_pid vm1)
[ -n "$m2" ] && [ "$m2" != "$mpid" ] || fail "no new monitor for vm1 (pid file: '$m2')"
PIDS_TO_KILL+=("$m2")
info_field vm1 re-attached | grep >/dev/null 'monitor restart' ||
	fail "vm1 was not re-attached: $(watch vm1 -info)"

# ---- another node runs the VM: the disks' holder is named ----
# node 2: its own vardir, rundir and cgroups on the same shared
# directory, and the VM's uid of node 1 (its line of VARDIR/uids, as
# docs/CLUSTER.md says), allowed to be shared since node 1's kernel has
# it on this one machine
N2=$T/node2.conf
sed -e "s|^vardir = .*|vardir = $T/var2|" -e "s|^rundir = .*|rundir = $T/run2|" \
	-e "s|^cgroup_parent = .*|cgroup_parent = $CG_PARENT-node2|" \
	-e "/^\[vm1\]$/a vmuser_shared = yes" "$CONF" >"$N2"
mkdir -p "$T/var2"
cp -p "$T/var/uids" "$T/var2/uids"
# what node 2 may leave when the test fails: its monitor, its cgroups
trap 'rc=$?; p=$(cat "$T/run2/vm1.pid" 2>/dev/null) && kill -TERM "$p" 2>/dev/null
	c=$CG_PARENT; CG_PARENT=$c-node2; cg_cleanup; CG_PARENT=$c; (exit $rc); cleanup' EXIT
kpid=$(json_field vm1 kernel_pid)
# what a node that does not see this one's kernels reads: the registry's
# lock file names the monitor, this host and its pid
grep -x "the monitor of vm1 on $(uname -n) (pid $m2)" "$T"/shared/locks/* >/dev/null ||
	fail "no lock file names vm1's monitor on $(uname -n): $(head -n 1 "$T"/shared/locks/*)"
expect_rc 1 start OCF_RESKEY_config="$N2"
said "ubd0: /shared/disks/vm1.dsk: cannot boot: in use by vm1 \(read-write, kernel pid $kpid\)"
[ -z "$(findmnt -rn -o TARGET | grep "^$T/var2/")" ] || fail "node 2's refused start left mounts"
expect_rc 7 monitor OCF_RESKEY_config="$N2"
expect_rc 0 stop OCF_RESKEY_config="$N2"
expect_rc 0 monitor
m2=$(monitor_pid vm1)
# a stop action of 30 s cannot hold vm1's 20 s and the escalation: the
# graceful part is cut to fit
expect_rc 0 stop OCF_RESKEY_CRM_meta_timeout=30000
said 'vm1: stop timeout 20 s cut to 5 s'
nothing_left "$kpid" "$m2"

# a host the registry's lock names: the lock file of the disk held (as
# a monitor holds it, flock), its text as another host's monitor wrote it
hold_disk_lock "$T/shared/disks/data.dsk" 'the monitor of vm1 on node1 (pid 4242)'
expect_rc 1 start
said 'ubd1: /shared/disks/data.dsk: cannot boot: in use by the monitor of vm1 on node1 \(pid 4242\)'
# what crm_mon shows: the first 128 bytes of the exit reason name the holder
reason=$(sed -n 's/^ocf-exit-reason://p' "$T/agent.out" | tail -n 1)
case ${reason:0:128} in
*'on node1 (pid 4242)'*) ;;
*) fail "the exit reason does not name the holder in its first 128 bytes: '$reason'" ;;
esac
expect_rc 7 monitor
kill "$LOCK_HOLDER"
wait "$LOCK_HOLDER" 2>/dev/null
expect_rc 0 stop
nothing_left

# ---- validate-all ----
expect_rc 0 validate-all
expect_rc 6 validate-all OCF_RESKEY_vm=vm9
said 'vm9'
expect_rc 6 validate-all OCF_RESKEY_stop_timeout=soon
printf '[GLOBAL]\nvardir = %s/var\nshared = %s/shared\nnonsense = 1\n\n[vm1]\nmemory = lots\n' \
	"$T" "$T" >"$T/bad.conf"
expect_rc 6 validate-all OCF_RESKEY_config="$T/bad.conf"
said 'memory'
sed 's/^start = off$/start = boot/' "$CONF" >"$T/boot.conf"
expect_rc 6 validate-all OCF_RESKEY_config="$T/boot.conf"
said 'start = boot'
expect_rc 5 validate-all OCF_RESKEY_config="$T/none.conf"
expect_rc 5 validate-all UMLMON_BINDIR="$T/nothing"
# a probe on a node without the programs or the file: not running
expect_rc 7 monitor OCF_RESKEY_CRM_meta_interval=0 UMLMON_BINDIR="$T/nothing"
expect_rc 7 monitor OCF_RESKEY_CRM_meta_interval=0 OCF_RESKEY_config="$T/none.conf"
log "ok"
