#!/bin/bash
# The kernel's process as the host sees it in /proc: the vmuser's ids, no
# capability, no_new_privs, mount, PID, IPC, UTS, cgroup and time
# namespaces of its own (not the monitor's), the monitor's user namespace;
# a network namespace of its own holding only a loopback for a VM without
# interfaces, whose mconsole still answers the monitor (its client sockets
# are made in the kernel's namespace), the monitor's for a VM with a tap
# (its monitor in a network namespace the test makes); and the rlimits of the configuration (non-default
# ones, one of them from [GLOBAL]) and the seccomp filter (Seccomp 2) on
# every host process of the VM, all of them in the VM's cgroup (memory,
# cpu, pids) whose files hold the configured limits, as -info shows them,
# no cgroup left after a halt, and a stale one (with a process in it)
# emptied and replaced by a start; a VM with seccomp = no has no filter (0). A bad
# limit is refused naming its key. Each expected value is read elsewhere:
# the ids from VARDIR/uids, the namespaces from the monitor, the
# limits from the configuration file.
. "$(dirname "$0")/lib.sh"

setup "limit_nofile = 777" "limit_nproc = 555" "limit_memlock = 128K" \
	"memory_allowance = 48M" "cpu_weight = 200" "cpu_quota = 50" "io_weight = 300"
sed -i '/^\[GLOBAL\]$/a limit_core = 1M\npids_max = 300' "$CONF"
mkimage vm1
start_monitor vm1
boot vm1
k=$(info_field vm1 'kernel pid')
mon=$(monitor_pid vm1)
[ -n "$k" ] && [ -n "$mon" ] || fail "no kernel pid in -info or no monitor pid"
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

# ---- ids, capabilities, no_new_privs ----
u=$(vm_uid vm1)
g=$u
[ "$(field "$k" Uid)" = "$u	$u	$u	$u" ] || fail "kernel uids: $(field "$k" Uid), not vm1's $u"
[ "$(field "$k" Gid)" = "$g	$g	$g	$g" ] || fail "kernel gids: $(field "$k" Gid), not vm1's $g"
for c in CapEff CapBnd; do
	[ "$(field "$k" $c)" = 0000000000000000 ] || fail "kernel $c: $(field "$k" $c)"
done
[ "$(field "$k" NoNewPrivs)" = 1 ] || fail "kernel NoNewPrivs: $(field "$k" NoNewPrivs)"
[ "$(field "$k" Seccomp)" = 2 ] && [ "$(field "$k" Seccomp_filters)" = 1 ] ||
	fail "kernel Seccomp $(field "$k" Seccomp), filters $(field "$k" Seccomp_filters)"

# ---- namespaces: its own, not the monitor's (nor init's) ----
for ns in mnt pid ipc uts cgroup time net; do
	mine=$(readlink "/proc/$k/ns/$ns")
	[ -n "$mine" ] || fail "no $ns namespace for the kernel"
	[ "$mine" != "$(readlink "/proc/$mon/ns/$ns")" ] ||
		fail "the kernel shares its $ns namespace ($mine) with the monitor"
	[ "$mine" != "$(readlink "/proc/1/ns/$ns")" ] ||
		fail "the kernel shares its $ns namespace ($mine) with init"
done
[ "$(readlink "/proc/$k/ns/user")" = "$(readlink "/proc/$mon/ns/user")" ] ||
	fail "the kernel has a user namespace of its own: $(readlink "/proc/$k/ns/user")"
# vm1 has no interface: its namespace holds a loopback and nothing else
links=$(nsenter --net="/proc/$k/ns/net" ip -o link show | awk '{print $2, $3}')
[ "$links" = "lo: <LOOPBACK>" ] || fail "the kernel's network namespace has: $links"
# the mconsole answers at the monitor's client sockets (abstract addresses,
# which belong to the kernel's namespace); the monitor found the socket
# through the kernel's notification to a path in the jail's /tmp, which
# crosses network namespaces
out=$(watch vm1 -mconsole version 2>&1) || fail "mconsole version: $out"
echo "$out" | grep >/dev/null '^Linux ' || fail "mconsole version said: $out"
out=$(watch vm1 -pause 2>&1) || fail "-pause: $out"
[ "$(info_field vm1 state)" = paused ] || fail "state after -pause: $(info_field vm1 state)"
out=$(watch vm1 -resume 2>&1) || fail "-resume: $out"
[ "$(info_field vm1 state)" = running ] || fail "state after -resume: $(info_field vm1 state)"
log "vm1 (no interface): a network namespace of its own with only lo; mconsole version, pause, resume answered"

# ---- rlimits: the configured ones, on every host process of the VM ----
conf_value() { sed -n "s/^$1 *= *//p" "$CONF"; }
bytes() { # 128K, 1M -> bytes
	numfmt --from=iec "$1"
}
want=("Max open files:$(conf_value limit_nofile)"
	"Max processes:$(conf_value limit_nproc)"
	"Max core file size:$(bytes "$(conf_value limit_core)")"
	"Max locked memory:$(bytes "$(conf_value limit_memlock)")")
pidns=$(readlink "/proc/$k/ns/pid")
n=0
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$pidns" ] || continue
	lim=$(cat "$p/limits" 2>/dev/null) || continue # ended meanwhile
	for w in "${want[@]}"; do
		name=${w%%:*}
		v=${w#*:}
		got=$(printf '%s\n' "$lim" | sed -n "s/^$name  *\([^ ]*\)  *\([^ ]*\) .*/\1 \2/p")
		[ "$got" = "$v $v" ] || fail "${p#/proc/} ($(cat "$p/comm")): $name is '$got', configured $v"
	done
	s=$(field "${p#/proc/}" Seccomp)
	[ -z "$s" ] || [ "$s" = 2 ] || fail "${p#/proc/} ($(cat "$p/comm")): Seccomp $s, not 2"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n host processes in the kernel's PID namespace"
log "ids, capabilities, namespaces, rlimits and seccomp of $n host processes of vm1 as configured"

# ---- its cgroup: PARENT/vm1 in memory, cpu and pids, for every host
# process of the VM; the limits files hold the configured values ----
cgline=$(watch vm1 -info | sed -n 's/^cgroup  *//p')
hier=$(printf '%s\n' "$cgline" | sed -n 's/.*(\(v[12]\)).*/\1/p')
[ -n "$hier" ] || fail "-info shows no cgroup: '$cgline'"
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$pidns" ] || continue
	cgs=$(cat "$p/cgroup" 2>/dev/null) || continue
	if [ "$hier" = v1 ]; then
		for c in memory cpu pids; do
			printf '%s\n' "$cgs" | grep -E >/dev/null "^[0-9]+:([^:]*,)?$c(,[^:]*)?:/$CG_PARENT/vm1\$" ||
				fail "${p#/proc/}: not in $CG_PARENT/vm1 of $c: $cgs"
		done
	else
		printf '%s\n' "$cgs" | grep -x >/dev/null "0::/$CG_PARENT/vm1" ||
			fail "${p#/proc/}: not in $CG_PARENT/vm1: $cgs"
	fi
done
mem=$(( (64 + 48) << 20 ))
cgpath=${cgline%% (*} # the memory controller's, as -info shows it
case $cgpath in */$CG_PARENT/vm1) ;; *) fail "-info's cgroup $cgpath is not $CG_PARENT/vm1" ;; esac
cgdir() { # CONTROLLER
	if [ "$hier" = v1 ]; then echo "${cgpath%/*/*/*}/$1/$CG_PARENT/vm1"
	else echo "$cgpath"; fi
}
want_file() { # FILE VALUE
	[ "$(cat "$1")" = "$2" ] || fail "$1: '$(cat "$1")', configured '$2'"
}
if [ "$hier" = v1 ]; then
	want_file "$(cgdir memory)/memory.limit_in_bytes" $mem
	[ ! -f "$(cgdir memory)/memory.memsw.limit_in_bytes" ] ||
		want_file "$(cgdir memory)/memory.memsw.limit_in_bytes" $mem
	want_file "$(cgdir cpu)/cpu.shares" 2048
	want_file "$(cgdir cpu)/cpu.cfs_period_us" 100000
	want_file "$(cgdir cpu)/cpu.cfs_quota_us" 50000
else
	want_file "$(cgdir memory)/memory.max" $mem
	want_file "$(cgdir cpu)/cpu.weight" 200
	want_file "$(cgdir cpu)/cpu.max" "50000 100000"
fi
want_file "$(cgdir pids)/pids.max" 300
# the I/O weight where the host has a file for it (else a log line)
iow=
for f in "$(cgdir blkio)/blkio.bfq.weight" "$(cgdir blkio)/blkio.weight" \
	"$(cgdir io)/io.bfq.weight" "$(cgdir io)/io.weight"; do
	[ -f "$f" ] && { iow=$f; break; }
done
if [ -n "$iow" ]; then
	case $(cat "$iow") in
	300 | "default 300") ;;
	*) fail "$iow: '$(cat "$iow")', configured 300" ;;
	esac
else
	wait_file "$T/var/vm1/log/monitor.log" "io_weight not applied" 5
	iow="(none: logged)"
fi
# -info's figures are the files'
lim=$(watch vm1 -info | sed -n 's/^cgroup memory *limit \([0-9]*\) bytes.*/\1/p')
[ "$lim" = $mem ] || fail "-info's memory limit '$lim', not $mem"
pmax=$(watch vm1 -info | sed -n 's/^cgroup pids *current [0-9]*, max \([0-9]*\),.*/\1/p')
[ "$pmax" = 300 ] || fail "-info's pids max '$pmax', not 300"
log "cgroup ($hier): the host processes in $CG_PARENT/vm1, limits as configured, I/O weight in $iow"
out=$(watch vm1 -halt 2>&1) || fail "-halt: $out"
wait_state vm1 stopped 30
# removed when the kernel ended
for c in memory cpu pids blkio; do
	[ ! -e "$(cgdir $c)" ] || fail "$(cgdir $c) is left after the halt"
done
log "no cgroup left after the halt"

# ---- a stale cgroup (of a monitor that died) is emptied and replaced by
# the next start: a process of the test's own in it is killed ----
sleep 600 &
stale=$!
PIDS_TO_KILL+=("$stale")
for c in memory cpu pids; do
	mkdir -p "$(cgdir $c)" || fail "mkdir $(cgdir $c)"
	echo $stale >"$(cgdir $c)/cgroup.procs" || fail "sleep into $(cgdir $c)"
done
boot vm1
for _ in $(seq 1 50); do
	[ "$(ps -o stat= -p $stale | cut -c1)" != S ] && break
	sleep 0.1
done
[ "$(ps -o stat= -p $stale | cut -c1)" != S ] || fail "the process in the stale cgroup lives on"
wait $stale 2>/dev/null
k=$(info_field vm1 'kernel pid')
grep -E >/dev/null "memory(,[^:]*)?:/$CG_PARENT/vm1\$|^0::/$CG_PARENT/vm1\$" "/proc/$k/cgroup" ||
	fail "the new kernel is not in $CG_PARENT/vm1: $(cat "/proc/$k/cgroup")"
log "a stale cgroup was emptied and replaced by the next start"
out=$(watch vm1 -halt 2>&1) || fail "-halt: $out"
wait_state vm1 stopped 30

# ---- seccomp = no: no filter ----
add_vm vm4 "ubd0 = /disks/root.dsk" "seccomp = no"
mkimage vm4
start_monitor vm4
boot vm4
k=$(info_field vm4 'kernel pid')
[ -n "$k" ] || fail "no kernel pid for vm4"
[ "$(field "$k" Seccomp)" = 0 ] || fail "vm4 (seccomp = no): Seccomp $(field "$k" Seccomp)"
[ "$(field "$k" NoNewPrivs)" = 1 ] || fail "vm4: NoNewPrivs $(field "$k" NoNewPrivs)"
out=$(watch vm4 -halt 2>&1) || fail "-halt vm4: $out"
wait_state vm4 stopped 30

# ---- a VM with a tap: the kernel in the monitor's network namespace ----
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' \
	'eth0 = host_to_host(proxy_if=um3p, proxy_addr=10.9.3.1, guest_addr=10.9.3.2)'
mkimage vm3
netns_new host
MON_NETNS=$NS
start_monitor vm3
MON_NETNS=
boot vm3
k3=$(info_field vm3 'kernel pid')
[ -n "$k3" ] || fail "no kernel pid for vm3"
[ "$(readlink "/proc/$k3/ns/net")" = "$(readlink "/proc/$(monitor_pid vm3)/ns/net")" ] ||
	fail "vm3's kernel is not in its monitor's network namespace (its tap's)"
[ "$(readlink "/proc/$k3/ns/net")" != "$(readlink /proc/1/ns/net)" ] ||
	fail "vm3's monitor was not started in the test's network namespace"
for ns in cgroup time; do
	[ "$(readlink "/proc/$k3/ns/$ns")" != "$(readlink "/proc/$(monitor_pid vm3)/ns/$ns")" ] ||
		fail "vm3's kernel shares its $ns namespace with the monitor"
done
in_ns "$NS" ip -o link show um3p | grep >/dev/null 'um3p' || fail "no tap um3p in $NS"
log "vm3 (a tap): the kernel in the monitor's network namespace, cgroup and time its own"
out=$(watch vm3 -halt 2>&1) || fail "vm3 -halt: $out"
wait_state vm3 stopped 30

# ---- a bad limit is refused, naming the key ----
add_vm vm2 "ubd0 = /disks/root.dsk" "limit_nofile = lots"
expect_fail "limit_nofile: 'lots' is not a number of descriptors" "$UMLMON" vm2
log "ok"
