#!/bin/bash
# The notification socket under abuse:
# - a process with the vmuser's uid forges datagrams (a panic, a reboot):
#   they are ignored and logged, the VM runs on untouched;
# - the guest floods /proc/mconsole: at most 10 lines a second reach
#   monitor.log, which says how many it left out and rotates at log_max;
# - the mconsole socket's name in the jail's tmp (the guest's) is made to
#   lead to another socket: the monitor still talks to the kernel's.
. "$(dirname "$0")/lib.sh"

command -v socat >/dev/null || need "socat"
setup 'log_max = 4K' 'log_keep = 1'
mkimage vm1
start_monitor vm1
boot vm1
kp=$(info_field vm1 'kernel pid')
mlog=$T/var/vm1/log/monitor.log
sock=$(jail_of vm1)/tmp/umlmon.notify
u=$(vm_uid vm1)

# struct mconsole_notify in host byte order: magic 0xcafebabe, version 2,
# type, len, data
forge() { # TYPE-BYTE TEXT
	local n
	n=$(printf '%02x' "${#2}")
	printf "\\xbe\\xba\\xfe\\xca\\x02\\x00\\x00\\x00\\x$1\\x00\\x00\\x00\\x$n\\x00\\x00\\x00%s" "$2" |
		setpriv --reuid="$u" --regid="$u" --clear-groups \
			socat -u STDIN "UNIX-SENDTO:$sock" ||
		fail "could not send a forged notification"
}
forge 01 "forged-panic-text"
forge 00 "/tmp/vm1/mconsole"
forge 03 "forged-user-note"
wait_file "$mlog" "notification from pid"
n=$(grep -c "notification from pid [0-9]* ignored: not from the VM's kernel" "$mlog")
[ "$n" -eq 3 ] || fail "$n forged notifications logged as ignored, expected 3"
[ "$(info_field vm1 state)" = running ] || fail "vm1 is $(info_field vm1 state) after forged notifications"
[ "$(info_field vm1 'kernel pid')" = "$kp" ] || fail "the forged reboot restarted the VM"
grep >/dev/null "forged" "$mlog" && fail "forged text reached the log: $(grep forged "$mlog")"
watch vm1 -info | grep >/dev/null forged && fail "forged text in -info"

# ---- a guest that floods ----
tm_new term
tm_login term vm1
tm_send term '(while :; do echo -n flood >/proc/mconsole; done) & echo FLOODING-$((6*7))' Enter
tm_wait term '^FLOODING-42' 20
wait_file "$mlog" "notifications were not logged (at most 10 a second)" 60
for _ in $(seq 1 600); do
	[ -f "$mlog.1" ] && break
	sleep 0.1
done
[ -f "$mlog.1" ] || fail "monitor.log did not rotate at 4K"
tm_send term 'kill %1; echo STOPPED-$((7*7))' Enter
tm_wait term '^STOPPED-49' 20
[ ! -e "$mlog.2" ] || fail "more rotated logs than log_keep = 1"
for f in "$mlog" "$mlog.1"; do
	sz=$(stat -c %s "$f")
	[ "$sz" -le 4300 ] || fail "$f holds $sz bytes, beyond log_max = 4K"
done
[ "$(info_field vm1 'kernel pid')" = "$kp" ] || fail "the VM changed during the flood"
tm_send term C-] q

# ---- the mconsole socket's name points elsewhere ----
# (the guest owns the jail's tmp): the monitor goes on talking to the
# kernel's socket, and nothing reaches the one the name now leads to
mc=$(jail_of vm1)/tmp/vm1/mconsole
mv "$mc" "$mc.moved"
socat -u UNIX-RECV:"$T/trap.sock" OPEN:"$T/trapped",creat &
trap_pid=$!
PIDS_TO_KILL+=("$trap_pid")
for _ in $(seq 1 100); do [ -S "$T/trap.sock" ] && break; sleep 0.1; done
ln -s "$T/trap.sock" "$mc"
out=$(watch vm1 -pause 2>&1) || fail "pause: $out"
[ "$(info_field vm1 state)" = paused ] || fail "vm1 is $(info_field vm1 state) after -pause"
out=$(watch vm1 -resume 2>&1) || fail "resume: $out"
out=$(watch vm1 -stop 2>&1) || fail "stop: $out"
log "$out"
printf '%s\n' "$out" | grep >/dev/null "stopped by ctrl-alt-del" || fail "stop: $out"
[ ! -s "$T/trapped" ] || fail "the monitor sent to the socket the name led to: $(od -c "$T/trapped" | head -3)"
log "ok"
