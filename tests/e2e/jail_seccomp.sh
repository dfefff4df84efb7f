#!/bin/bash
# The kernel's seccomp filter. It refuses what it says: a probe run by the
# real jail helper in the kernel's place (jailrun) gets EPERM for each
# refused call (ENOSYS for clone3) and success for what UML does (fork,
# mmap, a child that asks to be traced, timers); with seccomp = no the
# same calls get other answers, so the EPERMs are the filter's. And UML
# runs under it: every host process of a booted VM carries the filter,
# a login, many fork/exec, file I/O on the root disk and a reboot from
# inside the guest all work.
. "$(dirname "$0")/lib.sh"

setup
add_vm vm2 "ubd0 = /disks/root.dsk" "seccomp = no"
mkimage vm1
probe_out() { # VM: the probe's lines, run by the helper as the VM's kernel
	"$B/tests/e2e/jailrun" "$CONF" "$1" "$B/src/umljail" - /disks/seccompprobe 2>&1
}
place_probe() { # VM
	# jailrun lays the jail out (the kernel is missing: it stops there)
	"$B/tests/e2e/jailrun" "$CONF" "$1" "$B/src/umljail" >/dev/null 2>&1
	[ -d "$(jail_of "$1")/disks" ] || fail "no jail for $1"
	install -m 755 "$B/tests/e2e/seccompprobe" "$(jail_of "$1")/disks/seccompprobe" ||
		fail "cannot place the probe in $1's jail"
}
check_ran() { # OUT VM
	printf '%s\n' "$1" | grep -E >/dev/null '^kernel [0-9]+$' || fail "$2: the probe did not run: $1"
	printf '%s\n' "$1" | tail -n 2 | tr '\n' ' ' | grep -E >/dev/null '^exit 0 helper exit 0 $' ||
		fail "$2: the probe or its helper failed: $1"
}

# ---- the filter refuses what it says ----
place_probe vm1
out=$(probe_out vm1)
check_ran "$out" vm1
rows=$(printf '%s\n' "$out" | grep -E ' (free|priv|allowed)$')
[ "$(printf '%s\n' "$rows" | wc -l)" -ge 40 ] || fail "too few probe rows: $out"
while read -r name res kind; do
	case $kind:$name in
	allowed:*) want=ok ;;
	*:clone3) want=ENOSYS ;;
	*) want=EPERM ;;
	esac
	[ "$res" = "$want" ] || fail "under the filter, $name: $res, expected $want"
done <<<"$rows"
log "under the filter: $(printf '%s\n' "$rows" | grep -vc ' allowed$') calls refused, $(printf '%s\n' "$rows" | grep -c ' allowed$') allowed ones work"

# ---- without it, the "free" calls get other answers ----
place_probe vm2
out=$(probe_out vm2)
check_ran "$out" vm2
rows=$(printf '%s\n' "$out" | grep -E ' (free|priv|allowed)$')
log "without the filter: $(printf '%s\n' "$rows" | awk '$3 != "allowed" { printf "%s=%s ", $1, $2 }')"
while read -r name res kind; do
	case $kind in
	free) [ "$res" != EPERM ] && [ "$res" != ENOSYS ] ||
		fail "with seccomp = no, $name: $res (the probe cannot tell the filter's answer)" ;;
	allowed) [ "$res" = ok ] || fail "with seccomp = no, $name: $res" ;;
	esac
done <<<"$rows"

# ---- UML boots and runs its guests under it ----
start_monitor vm1
boot vm1
k=$(info_field vm1 'kernel pid')
[ -n "$k" ] || fail "no kernel pid"
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
# every host process of the VM: the kernel, its threads' processes, the stubs
pidns=$(readlink "/proc/$k/ns/pid")
n=0
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$pidns" ] || continue
	s=$(field "${p#/proc/}" Seccomp) || continue
	[ -z "$s" ] && continue # ended meanwhile
	[ "$s" = 2 ] || fail "${p#/proc/} ($(cat "$p/comm" 2>/dev/null)): Seccomp $s"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n host processes of vm1"
tm_new term
tm_login term vm1
tm_send term 'for i in $(seq 200); do /bin/true; ls / >/dev/null || break; done; echo FORKS-DONE=$i' Enter
tm_wait term '^FORKS-DONE=200' 120
tm_send term 'dd if=/dev/urandom of=/root/f bs=4k count=512 2>/dev/null && a=$(md5sum </root/f) && sync && echo 3 >/proc/sys/vm/drop_caches && b=$(md5sum </root/f) && [ "$a" = "$b" ] && rm /root/f && echo IO-OK' Enter
tm_wait term '^IO-OK' 120
n2=$(info_field vm1 'kernel pid')
[ "$n2" = "$k" ] || fail "the kernel changed during the workload ($k -> $n2)"
log "$n host processes with Seccomp 2; a login, 200 x fork/exec and file I/O ran"
# a reboot asked by the guest: the next kernel boots under the filter too
inits=$(init_count vm1)
tm_send term "$UMLWATCH vm1 -connect con1" Enter
tm_wait term "connected to vm1 con1"
tm_send term Enter
tm_wait term '# $' 20
tm_send term 'reboot' Enter
wait_inits vm1 $((inits + 1)) 120
k2=$(info_field vm1 'kernel pid')
[ -n "$k2" ] && [ "$(field "$k2" Seccomp)" = 2 ] || fail "the rebooted kernel ($k2): Seccomp $(field "$k2" Seccomp)"
remember_vm_pids vm1
tm_send term C-] q
out=$(watch vm1 -halt 2>&1) || fail "-halt: $out"
wait_state vm1 stopped 30
log "ok"
