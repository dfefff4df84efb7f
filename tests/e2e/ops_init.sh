#!/bin/bash
# The seed's GETTING STARTED story through the init script
# (dist/init.d/umlmon, as built, with the build's programs named in a
# defaults file as /etc/default/umlmon would; the configuration from its
# CONFIG=, not from $UMLMON_CONFIG), in a network namespace of the test's
# so that umldir's ports are its own:
# - start: umldir and one monitor per VM not off (vm1, vm2: boot; vm3:
#   manual; vm4: off gets none); both boot VMs run their kernels, vm3
#   stays stopped; a second start changes nothing; status says so (0);
# - reload: a VM added to the configuration gets a monitor, the others
#   keep theirs;
# - vm3's image put in place afterwards, -info, -start, log in on con1,
#   read log/con0, -ctrlaltdel: vm3 powers off;
# - stop: SIGTERM to both monitors at once: both stop requests are logged
#   before either VM ends, each guest shuts down by itself (its con0 shows
#   it; no escalation), within the stop timeout; umldir is gone after;
#   status says stopped (3); nothing is left running.
. "$(dirname "$0")/lib.sh"

INIT=$B/dist/init.d/umlmon
[ -x "$INIT" ] || need "$INIT (build first)"
setup 'start = boot'
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk' 'stop_timeout = 20' 'start = boot'
add_vm vm3 'memory = 64M' 'ubd0 = /disks/root.dsk' 'start = manual'
add_vm vm4 'memory = 64M' 'ubd0 = /disks/root.dsk' 'start = off'
mkimage vm1
mkimage vm2
netns_new init
cat >"$T/default" <<EOF2
CONFIG=$CONF
UMLMON=$UMLMON
UMLDIR=$B/src/umldir
UMLADMIN=$UMLADMIN
UMLMON_VMS=$B/dist/umlmon-vms
EOF2
# the init script's environment: no UMLMON_CONFIG, its defaults file
init() { in_ns_cg "$NS" env -u UMLMON_CONFIG UMLMON_DEFAULTS="$T/default" "$INIT" "$@"; } # the host's cgroups: see in_ns_cg
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { cat "$T/run/$1.pid" 2>/dev/null; }

# ---- start ----
rc=0
out=$(init start 2>&1) || rc=$?
# what it started is ended by the cleanup, also when the start failed
for p in umldir vm1 vm2 vm3; do
	[ -z "$(pid_of $p)" ] || PIDS_TO_KILL+=("$(pid_of $p)")
done
[ $rc = 0 ] || fail "init start: $out"
log "start said: $out"
dir_pid=$(pid_of umldir)
alive "$dir_pid" || fail "umldir does not run after start"
[ "$(cat /proc/"$dir_pid"/comm)" = umldir ] || fail "pid $dir_pid is not umldir"
for vm in vm1 vm2 vm3; do
	p=$(pid_of $vm)
	alive "$p" || fail "no monitor of $vm after start"
done
[ ! -e "$T/run/vm4.pid" ] || fail "vm4 (start = off) got a monitor"
[ "$(pgrep -c -f "^$UMLMON -c $CONF vm" || true)" = 3 ] ||
	fail "monitors: $(pgrep -a -f "^$UMLMON -c $CONF")"
for vm in vm1 vm2; do
	wait_state $vm running 90
	remember_vm_pids $vm
	k=$(info_field $vm 'kernel pid')
	[ "$(cat /proc/"$k"/comm)" = linux ] || fail "$vm: kernel pid $k is not linux"
	wait_inits $vm 1 90
done
[ "$(info_field vm3 state)" = stopped ] || fail "vm3 (manual): $(watch vm3 -info)"
out=$(init start 2>&1) || fail "second start: $out"
printf '%s\n' "$out" | grep >/dev/null 'vm1: monitor runs already' || fail "second start: $out"
[ "$(pid_of vm1)" = "${PIDS_TO_KILL[1]}" ] || fail "a second start replaced vm1's monitor"

# ---- status: all up ----
out=$(init status 2>&1) || fail "status exited $? with everything up: $out"
log "status: $out"
for l in "umldir: running (pid $dir_pid)" "vm1: monitor running (pid $(pid_of vm1)), VM running (boot)" \
	"vm3: monitor running (pid $(pid_of vm3)), VM stopped (manual)" "vm4: off, no monitor"; do
	printf '%s\n' "$out" | grep -F >/dev/null "umlmon: $l" || fail "status lacks '$l': $out"
done

# ---- reload: a VM added to the configuration gets its monitor ----
add_vm vm5 'memory = 64M' 'ubd0 = /disks/root.dsk' 'start = manual'
out=$(init reload 2>&1) || fail "reload: $out"
p=$(pid_of vm5)
alive "$p" || fail "no monitor of vm5 after reload: $out"
PIDS_TO_KILL+=("$p")
[ "$(pid_of vm1)" = "${PIDS_TO_KILL[1]}" ] || fail "reload replaced vm1's monitor"

# ---- the story on vm3: its image, -info, -start, con1, con0, -ctrlaltdel ----
mkimage vm3
watch vm3 -info | grep >/dev/null '^state  *stopped' || fail "vm3 -info: $(watch vm3 -info)"
boot vm3
tm_new t
tm_login t vm3
tm_send t 'echo story-$((6*7))' Enter
tm_wait t 'story-42'
watch vm3 -log con0 | grep >/dev/null 'Linux version' || fail "vm3's con0 log lacks the kernel banner"
watch vm3 -ctrlaltdel || fail "vm3 -ctrlaltdel"
wait_state vm3 stopped 60
wait_file "$T/var/vm3/log/con0" 'reboot: System halted' 30

# ---- stop: both VMs at once, gracefully, within the stop timeout ----
k1=$(info_field vm1 'kernel pid') k2=$(info_field vm2 'kernel pid')
[ -n "$k1" ] && [ -n "$k2" ] || fail "no kernel pids: vm1 '$k1', vm2 '$k2'"
t0=$(date +%s%N)
out=$(init stop 2>&1) || fail "init stop: $out"
ms=$((($(date +%s%N) - t0) / 1000000))
log "stop said: $out; took ${ms} ms"
[ $ms -lt 20000 ] || fail "stop took ${ms} ms, beyond the stop timeout (20 s)"
for p in "$dir_pid" "${PIDS_TO_KILL[@]}" "$k1" "$k2"; do
	alive "$p" && fail "pid $p ($(cat /proc/"$p"/comm 2>/dev/null)) runs after stop"
done
stamp() { # VM REGEX: the time of the first log line matching
	grep -E -m1 -- "$2" "$T/var/$1/log/monitor.log" | cut -d' ' -f1
}
for vm in vm1 vm2; do
	grep -E >/dev/null 'reboot: (Power down|System halted)' "$T/var/$vm/log/con0" ||
		fail "$vm's con0 shows no shutdown"
	grep >/dev/null 'no shutdown .* after ctrl-alt-del' "$T/var/$vm/log/monitor.log" &&
		fail "$vm needed the escalation"
	eval "req_$vm=\$(stamp $vm 'signal 15: stopping the VM')"
	eval "end_$vm=\$(stamp $vm \"$vm: stopped: \")"
done
log "requests $req_vm1 $req_vm2, ends $end_vm1 $end_vm2"
[ -n "$req_vm1" ] && [ -n "$req_vm2" ] && [ -n "$end_vm1" ] && [ -n "$end_vm2" ] ||
	fail "stop requests or ends not logged"
for r in "$req_vm1" "$req_vm2"; do
	for e in "$end_vm1" "$end_vm2"; do
		[[ "$r" > "$e" ]] && fail "a stop request ($r) came after a VM ended ($e): not in parallel"
	done
done

# ---- status: stopped ----
rc=0
out=$(init status 2>&1) || rc=$?
[ $rc = 3 ] || fail "status after stop exited $rc (expected 3): $out"
printf '%s\n' "$out" | grep -F >/dev/null 'umlmon: umldir: not running' || fail "status: $out"
out=$(init stop 2>&1) || fail "a second stop: $out"
log "ok"
