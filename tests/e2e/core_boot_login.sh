#!/bin/bash
# Boots the default image under umlmon, logs in on con1 through
# "umlwatch -connect" in a real terminal (tmux), runs a command, checks the
# kernel's uids and root, leaves with Ctrl-], stops the VM and checks that
# the kernel is gone and the jail is unmounted.
. "$(dirname "$0")/lib.sh"

setup
mkimage vm1
start_monitor vm1

[ "$(info_field vm1 state)" = stopped ] || fail "a new monitor's VM is not stopped"
[ -S "$T/var/vm1/ctrl" ] || fail "no control socket"
[ "$(stat -c %a "$T/var/vm1/ctrl")" = 600 ] || fail "control socket is not 0600"

boot vm1
kpid=$(info_field vm1 'kernel pid')
[ -n "$kpid" ] && kill -0 "$kpid" || fail "no kernel pid"
log "kernel pid $kpid"

# ---- the kernel runs as the VM user, in the jail, with nothing else ----
u=$(vm_uid vm1)
grep -Eq "^Uid:\s+$u\s+$u\s+$u\s+$u$" /proc/$kpid/status ||
	fail "kernel uids: $(grep ^Uid /proc/$kpid/status)"
grep -Eq "^Gid:\s+$u\s" /proc/$kpid/status ||
	fail "kernel gids: $(grep ^Gid /proc/$kpid/status)"
grep -Eq '^CapEff:\s+0+$' /proc/$kpid/status || fail "kernel has capabilities"
grep -Eq '^CapBnd:\s+0+$' /proc/$kpid/status || fail "kernel has a bounding set"
grep -Eq '^NoNewPrivs:\s+1$' /proc/$kpid/status || fail "no_new_privs is not set"
jail=$(jail_of vm1)
[ "$(stat -L -c %d:%i /proc/$kpid/root)" = "$(stat -c %d:%i "$jail")" ] ||
	fail "the kernel's root is not the jail"
[ -e "/proc/$kpid/root/disks/root.dsk" ] || fail "no /disks/root.dsk in the kernel's root"
[ ! -e "/proc/$kpid/root/etc/passwd" ] || fail "the host's /etc is visible in the jail"
# only the channel ptys and /dev/null-like fds are open in the kernel: no
# socket or file of the monitor leaked
for fd in /proc/$kpid/fd/*; do
	t=$(readlink "$fd")
	case $t in
	/dev/pts/* | /tmp/* | /disks/* | anon_inode:* | pipe:* | socket:* | /dev/null) ;;
	*) fail "kernel fd $fd -> $t" ;;
	esac
done
# the kernel's mounts: tmpfs and shared in the jail
jail_mounts vm1 | grep >/dev/null "^$jail/tmp$" || fail "no tmpfs on $jail/tmp"
jail_mounts vm1 | grep >/dev/null "^$jail/shared$" || fail "shared is not mounted"
findmnt -n -o OPTIONS "$jail/shared" | grep >/dev/null '^ro' || fail "shared is not read-only"

# the console log has the boot and the guest's init
wait_file "$T/var/vm1/log/con0" "umlmon-guest: init started" 30

# ---- log in on con1 through umlwatch in a terminal ----
tm_new term
tm_send term "stty -a | grep -o ' -\?icanon' | sed 's/^/BEFORE:/'" Enter
tm_wait term 'BEFORE: icanon'
tm_login term vm1
tm_send term 'echo "RESULT=$((6 * 7))"; uname -r; id -u' Enter
tm_wait term '^RESULT=42' 10
# the next lines may come a moment later
tm_wait term '^6\.1\.' 10
log "guest answered: $(tm_capture term | grep '^RESULT=')"

# ---- Ctrl-] leaves and the terminal is restored ----
tm_send term C-] q
tm_wait term 'left vm1 con1' 10
tm_wait term 'host\$ $' 5
tm_send term "stty -a | grep -o ' -\?icanon' | sed 's/^/AFTER:/'" Enter
tm_wait term 'AFTER: icanon' 5

# ---- stop: ctrl-alt-del, the guest powers off ----
out=$(watch vm1 -stop 2>&1) || fail "-stop: $out"
log "$out"
echo "$out" | grep >/dev/null 'ctrl-alt-del' || fail "stop was not by ctrl-alt-del: $out"
[ "$(info_field vm1 state)" = stopped ] || fail "state after stop: $(info_field vm1 state)"
kill -0 "$kpid" 2>/dev/null && fail "kernel $kpid still runs after stop"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left after stop: $(jail_mounts vm1)"
info_field vm1 'last exit' | grep >/dev/null 'ctrl-alt-del' || fail "last exit: $(info_field vm1 'last exit')"

# ---- the monitor exits cleanly ----
mpid=$(monitor_pid vm1)
stop_monitor vm1
[ ! -e "$T/var/vm1/ctrl" ] || fail "control socket left behind"
[ ! -e "$T/run/vm1.pid" ] || fail "pid file left behind"
log "PASS"
