#!/bin/bash
# Clean-up after any end. For each of: kill -9 of the kernel; kill -9 of
# the monitor and the kernel together; kill -9 of the monitor alone (its
# VM lives on: the next monitor re-attaches, and its stop leaves nothing;
# where the jail's mounts went with the monitor's own mount namespace, the
# next monitor refuses until the kernel is killed too): what the old boot left
# (mounts under the VM's directory, its cgroup, its tap and proxy ARP entry, processes
# whose root is the jail, the kernel's files in its tmp) is gone before
# the next boot -- removed by the monitor itself, or by the next monitor
# as it starts when the old one died -- a stale control socket does not
# block the next monitor, and the VM boots and a login works. After the
# last stop nothing is left.
# Two VMs: vm1's monitor runs in the host's mount namespace, so that its
# mounts outlive it when it is killed; vm2 has a tap, so its monitor runs
# in a network namespace of this test (ip netns exec: a mount namespace
# of its own too, whose mounts end with its last process).
. "$(dirname "$0")/lib.sh"

command -v ip >/dev/null || need "ip (iproute2)"
setup
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'stop_timeout = 20' \
	'eth0 = host_to_host(proxy_if=umk9p, proxy_addr=10.9.9.1, guest_addr=10.9.9.2, host_if=uplink)'
netns_new host
H=$NS
ip -n "$H" link add uplink type veth peer name uplinkpeer || fail "veth uplink"
ip -n "$H" link set uplink up
VMS="vm1 vm2"

# The VM's cgroup in each hierarchy (PARENT/VM; lib.sh gives each test a
# cgroup_parent of its own).
cgroup_leftovers() { # VM
	local d
	for d in $(cg_parents); do
		[ ! -d "$d/$1" ] || echo "$d/$1"
	done
	true
}

# Host processes whose root is the VM's jail (a kernel, a watcher).
jail_procs() { # VM
	local p j
	j=$(jail_of "$1")
	for p in /proc/[0-9]*; do
		[ "$p/root" -ef "$j" ] 2>/dev/null && echo "${p#/proc/}($(cat "$p/comm" 2>/dev/null))"
	done
	true
}

# What a boot of the VM leaves on the host while it runs, one line each.
leftovers() { # VM
	jail_mounts "$1"
	if [ "$1" = vm2 ]; then
		ip -n "$H" -o link show umk9p 2>/dev/null | cut -d' ' -f2
		ip -n "$H" neigh show proxy | grep '10.9.9.2' || true
	fi
	jail_procs "$1"
	cgroup_leftovers "$1"
	# the kernel's umid dir, memory file and sockets, when tmp is not
	# mounted here: they would be on the jail's own disk
	jail_mounts "$1" | grep -qxF "$(jail_of "$1")/tmp" || ls -A "$(jail_of "$1")/tmp"
}

none_left() { # WHEN
	local l vm
	for vm in $VMS; do
		l=$(leftovers $vm)
		[ -z "$l" ] || fail "$vm: $1: left: $(echo $l)"
	done
}

# Until every process of the old boots has ended (they end on their own).
wait_no_procs() { # WHEN
	for _ in $(seq 100); do
		[ -z "$(jail_procs vm1)$(jail_procs vm2)" ] && return 0
		sleep 0.1
	done
	fail "$1: processes still in the jails: $(jail_procs vm1) $(jail_procs vm2)"
}

# Until PID has ended (a zombie has: its parent may be slow to reap).
wait_gone() { # PID WHAT
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		[ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.1
	done
	fail "$2 (pid $1) lives on"
}

start_monitors() {
	MON_NETNS=
	start_monitor vm1
	MON_NETNS=$H
	start_monitor vm2
	MON_NETNS=
}

boot_and_login() { # CASE: both boot; a login on vm1's con1, a ping to vm2
	local out
	boot vm1
	boot vm2
	tm_new "$1"
	tm_login "$1" vm1
	tm_send "$1" 'echo LOGIN-$((6*7))' Enter
	tm_wait "$1" '^LOGIN-42' 10
	tm_send "$1" C-] q
	out=$(in_ns "$H" ping -c 2 -W 2 10.9.9.2 2>&1) || fail "$1: host -> vm2: $out"
}

kernels() { for vm in $VMS; do info_field $vm 'kernel pid'; done; }
monitors() { for vm in $VMS; do monitor_pid $vm; done; }

mkimage vm1
mkimage vm2
start_monitors
boot_and_login first
[ -n "$(leftovers vm1)" ] && [ -n "$(leftovers vm2)" ] || fail "leftovers() sees nothing of running VMs"

# ---- kill -9 of the kernel: the monitor cleans up ----
kill -9 $(kernels)
wait_state vm1 crashed 20
wait_state vm2 crashed 20
wait_no_procs "kernels killed"
none_left "after kill -9 of the kernel"
boot_and_login kernel

# ---- kill -9 of the monitor and the kernel together ----
mp=$(monitors)
kill -9 $mp $(kernels)
for p in $mp; do wait_gone "$p" "a killed monitor"; done
wait_no_procs "monitors and kernels killed"
# what the dead monitors could not remove; the next ones do
[ -n "$(jail_mounts vm1)" ] || fail "vm1: no mounts left to clean: the test shows nothing"
[ -n "$(ip -n "$H" -o link show umk9p 2>/dev/null)" ] || fail "vm2: no tap left to clean"
[ -n "$(cgroup_leftovers vm1)" ] || fail "vm1: no cgroup left to clean: the test shows nothing"
for vm in $VMS; do
	[ -S "$T/var/$vm/ctrl" ] || fail "$vm: no stale control socket left"
done
start_monitors
none_left "the next monitor started, after kill -9 of the monitor and the kernel"
boot_and_login both

# ---- kill -9 of the monitor alone: its VM lives on. vm1's next monitor
# re-attaches to it (umlmon(8) "Re-attaching"), and its stop then leaves
# nothing; vm2's monitor ran in a mount namespace of its own, which took
# the jail's mounts with it, so its successor refuses, naming the pid,
# and cleans up once the kernel is killed too ----
mp1=$(monitor_pid vm1)
kp1=$(info_field vm1 'kernel pid')
kp2=$(info_field vm2 'kernel pid')
mp=$(monitors)
kill -9 $mp
for p in $mp; do wait_gone "$p" "a killed monitor"; done
kill -0 $kp1 $kp2 || fail "a kernel died with its monitor"
start_monitor vm1
info_field vm1 're-attached' | grep -E >/dev/null "\(monitor restart, pid $mp1\)$" ||
	fail "vm1: -info's re-attached: '$(info_field vm1 're-attached')'"
[ "$(info_field vm1 'kernel pid')" = "$kp1" ] || fail "vm1: not the kernel that ran on"
[ "$(info_field vm1 state)" = running ] || fail "vm1: state $(info_field vm1 state) after re-attaching"
expect_fail "vm2: a process of an earlier run \(pid [0-9]+\) still lives in the jail $(jail_of vm2), but the jail's mounts are not in this monitor's mount namespace" \
	in_ns_cg "$H" "$UMLMON" vm2
watch vm1 -stop >/dev/null || fail "vm1: -stop after re-attaching"
wait_state vm1 stopped 30
kill -9 $kp2
wait_no_procs "vm1 stopped, vm2's kernel killed"
MON_NETNS=$H
start_monitor vm2
MON_NETNS=
none_left "vm1 stopped by the monitor that re-attached, vm2's next monitor started"
boot_and_login monitor

# ---- a clean end leaves nothing ----
stop_monitor vm1
stop_monitor vm2
none_left "after the monitors' exit"
for vm in $VMS; do
	[ -e "$T/var/$vm/ctrl" ] && fail "$vm: the control socket is left after the monitor's exit"
done
[ "$(grep -cF "vm2: eth0: removing the tap umk9p left by an earlier boot" \
	"$T/var/vm2/log/monitor.log")" = 2 ] || fail "vm2: the stale tap's removals are not logged"
log "PASS"
