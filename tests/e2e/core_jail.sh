#!/bin/bash
# The jail helper. The watcher of a running VM is the program umljail,
# executed (its /proc/PID/exe), not a fork of the threaded monitor: one
# thread, the vmuser's ids, no capability in any set, no_new_privs, the
# jail as its root, no environment, no descriptor but its status pipe,
# /dev/null, a pty master of each open channel, its hand-over socket and
# the kernel's pidfd; it links neither libnl nor libvterm nor libtirpc.
# A failure in each step of its sequence is reported with that step's
# name and the kernel never runs: every step, through the monitor's own
# start code with a helper built for tests; a real one (exec of a kernel
# on a noexec mount) through the monitor. The installed helper refuses to
# fail a step on request, and an unprivileged user gets nowhere with it.
. "$(dirname "$0")/lib.sh"

setup
mkimage vm1
start_monitor vm1
boot vm1
w=$(info_field vm1 'watcher pid')
k=$(info_field vm1 'kernel pid')
[ -n "$w" ] && [ -n "$k" ] || fail "no watcher or kernel pid in -info"

# ---- what the watcher is ----
exe=$(readlink "/proc/$w/exe")
[ "$exe" = "$(readlink -f "$B/src/umljail")" ] ||
	fail "the watcher (pid $w) runs '$exe', not the helper $B/src/umljail"
[ "$(cat "/proc/$w/comm")" = umljail ] || fail "the watcher is '$(cat "/proc/$w/comm")'"
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
u=$(vm_uid vm1)
g=$u
[ "$(field "$w" Uid)" = "$u	$u	$u	$u" ] || fail "watcher uids: $(field "$w" Uid)"
[ "$(field "$w" Gid)" = "$g	$g	$g	$g" ] || fail "watcher gids: $(field "$w" Gid)"
[ -z "$(field "$w" Groups)" ] || fail "watcher groups: $(field "$w" Groups)"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
	[ "$(field "$w" $c)" = 0000000000000000 ] || fail "watcher $c: $(field "$w" $c)"
done
[ "$(field "$w" NoNewPrivs)" = 1 ] || fail "watcher without no_new_privs"
[ "$(field "$w" Threads)" = 1 ] || fail "watcher threads: $(field "$w" Threads)"
[ "$(field "$k" PPid)" = "$w" ] || fail "the kernel's parent is $(field "$k" PPid), not the watcher"
[ "$(stat -L -c %d:%i "/proc/$w/root")" = "$(stat -c %d:%i "$(jail_of vm1)")" ] ||
	fail "the watcher's root is not the jail"
fds=$(ls "/proc/$w/fd" | sort -n | head -n 3 | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] || fail "the watcher holds descriptors $fds"
# the rest: the masters it keeps for a new monitor (one per open channel),
# its hand-over socket, the kernel's pidfd; nothing else
open_chans=$(watch vm1 -info | grep -cE '^(con|ssl)[0-9]+ +[a-z]+ +open ')
others=$(for f in /proc/$w/fd/*; do
	case ${f##*/} in 0 | 1 | 2) continue ;; esac
	case $(readlink "$f") in
	/dev/ptmx | /dev/pts/ptmx) echo master ;;
	socket:*) echo socket ;;
	anon_inode:\[pidfd\]) echo pidfd ;;
	*) echo "other:$(readlink "$f")" ;;
	esac
done | sort | uniq -c | awk '{ printf "%s %s, ", $1, $2 }')
[ "$others" = "$open_chans master, 1 pidfd, 1 socket, " ] ||
	fail "the watcher holds besides 0, 1, 2: $others (expected $open_chans masters, its pidfd and socket)"
[ "$(readlink "/proc/$w/fd/0")" = /dev/null ] && [ "$(readlink "/proc/$w/fd/2")" = /dev/null ] ||
	fail "the watcher's 0 and 2 are not /dev/null"
case $(readlink "/proc/$w/fd/1") in
pipe:*) ;;
*) fail "the watcher's 1 is $(readlink "/proc/$w/fd/1"), not its status pipe" ;;
esac
# a sanitizer build passes its options on, nothing else
env=$(tr '\0' '\n' <"/proc/$w/environ" | grep -Ev '^(ASAN|UBSAN|LSAN)_OPTIONS=' || true)
[ -z "$env" ] || fail "the watcher's environment: $env"
libs=$(ldd "$B/src/umljail")
for l in libnl vterm tirpc inih libcrypt libedit; do
	printf '%s\n' "$libs" | grep >/dev/null "$l" && fail "umljail links $l: $libs"
done
out=$(watch vm1 -halt 2>&1) || fail "-halt: $out"
wait_state vm1 stopped 30
kill -0 "$w" 2>/dev/null && fail "the watcher outlived its kernel"

# ---- each step fails, and says which ----
steps=$("$B/tests/e2e/umljail-faults" --steps) || fail "umljail-faults --steps"
for s in close-fds unshare private-mounts bind-jail pivot-root detach-old-root \
	hostname rlimits drop-privileges no-new-privs seccomp verify handover-socket fork-kernel \
	exec-kernel; do
	printf '%s\n' "$steps" | grep -x >/dev/null -- "$s" || fail "no step '$s' in: $steps"
done
jail_root=$(stat -c %d:%i "$(jail_of vm1)")
for s in $steps; do
	out=$("$B/tests/e2e/jailrun" "$CONF" vm1 "$B/tests/e2e/umljail-faults" "$s" 2>&1) ||
		fail "jailrun $s: $out"
	printf '%s\n' "$out" | sed -n 1p | grep -E >/dev/null "^error $s: (.*: )?Operation canceled\$" ||
		fail "step $s failed as '$out'"
	[ "$(printf '%s\n' "$out" | sed 1d)" = "helper exit 1" ] || fail "after step $s: '$out'"
done
log "each of $(printf '%s\n' "$steps" | wc -l) steps fails with its name"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left by the failed helpers: $(jail_mounts vm1)"
for p in /proc/[0-9]*; do
	[ "$(stat -L -c %d:%i "$p/root" 2>/dev/null)" = "$jail_root" ] &&
		fail "a process (${p#/proc/}) was left in the jail"
done

# ---- the installed helper never skips a step on request ----
out=$("$B/tests/e2e/jailrun" "$CONF" vm1 "$B/src/umljail" verify 2>&1)
[ "$out" = "error message: asks to fail the step 'verify', which only a helper built for tests does
helper exit 1" ] || fail "umljail asked to fail a step: '$out'"
out=$("$B/src/umljail" --steps 2>&1) && fail "umljail took --steps: $out"
out=$("$B/src/umljail" </dev/null 2>&1) && fail "umljail ran without a message: $out"
[ "$out" = "error message: not a message of this version (umljail 4)" ] || fail "umljail without a message: '$out'"
# run as the monitor runs it, it fails at the kernel that is not there
out=$("$B/tests/e2e/jailrun" "$CONF" vm1 "$B/src/umljail" 2>&1)
[ "$out" = "error exec-kernel: /nonexistent-kernel: No such file or directory
helper exit 1" ] || fail "umljail with a missing kernel: '$out'"
# an unprivileged user: no namespace, with either helper
for h in "$B/src/umljail" "$B/tests/e2e/umljail-faults"; do
	out=$(runuser -u nobody -- "$B/tests/e2e/jailrun" "$CONF" vm1 "$h" verify 2>&1)
	printf '%s\n' "$out" | sed -n 1p |
		grep -E >/dev/null "^error (unshare: Operation not permitted|message: asks to fail)" ||
		fail "$h run by nobody: '$out'"
done

# ---- a step that really fails, through the monitor ----
kernels=$T/shared/kernels
mount --bind "$kernels" "$kernels" && mount -o remount,bind,noexec "$kernels" ||
	fail "a noexec bind on $kernels"
expect_fail "^umlwatch: vm1: cannot start: exec-kernel: /shared/kernels/linux: Permission denied\$" \
	watch vm1 -start
[ "$(info_field vm1 state)" = stopped ] || fail "vm1 is not stopped after the failed start"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left by the failed start: $(jail_mounts vm1)"
umount "$kernels" || fail "umount $kernels"
log "ok"
