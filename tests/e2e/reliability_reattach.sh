#!/bin/bash
# kill -9 of the monitor while a -connect client is attached and the
# guest prints a counter every 100 ms; a new monitor re-attaches: the
# kernel, its start and the guest's uptime go on, -info says re-attached
# (when, after what), the log's counter has no gap, a client connects and
# types, -stop leaves nothing (reattach_lib.sh). A kernel whose watcher is
# gone cannot be re-attached to: refused, naming its pid; nor can a
# socket of the vmuser's own put at the hand-over socket's name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reattach_lib.sh"

command -v socat >/dev/null || need "socat"
command -v ss >/dev/null || need "ss (iproute2)"
setup
reattach_case kill9

# ---- the watcher gone, the kernel alive (stopped, so that the SIGTERM
# its watcher's death sends it waits): nothing can hand its consoles over,
# and a new monitor refuses, naming the kernel's pid; once the kernel is
# gone, the next one cleans up and boots ----
boot vm1
kp=$(info_field vm1 'kernel pid')
wp=$(info_field vm1 'watcher pid')
mp=$(monitor_pid vm1)
kill -STOP "$kp"
kill -9 "$mp"
for _ in $(seq 100); do kill -0 "$mp" 2>/dev/null || break; sleep 0.1; done
kill -9 "$wp"
for _ in $(seq 100); do kill -0 "$wp" 2>/dev/null || break; sleep 0.1; done
kill -0 "$wp" 2>/dev/null && fail "the watcher (pid $wp) lives on"
expect_fail "vm1: the VM's kernel \(pid $kp\) lives on without its watcher \(its parent is pid [0-9]+\)" \
	"$UMLMON" vm1
kill -9 "$kp"
for _ in $(seq 100); do [ -z "$(jail_procs vm1)" ] && break; sleep 0.1; done
[ -z "$(jail_procs vm1)" ] || fail "processes left in the jail: $(jail_procs vm1)"
start_monitor vm1
[ -z "$(jail_mounts vm1)" ] || fail "the next monitor left the old mounts: $(jail_mounts vm1)"
boot vm1

# ---- a process of the vmuser (as the guest's kernel could, through its
# tmp) puts a socket of its own at the hand-over socket's name: the next
# monitor believes only the watcher, and refuses ----
kp=$(info_field vm1 'kernel pid')
wp=$(info_field vm1 'watcher pid')
mp=$(monitor_pid vm1)
kill -9 "$mp"
for _ in $(seq 100); do kill -0 "$mp" 2>/dev/null || break; sleep 0.1; done
u=$(vm_uid vm1)
sock=$(jail_of vm1)/tmp/umlmon.handover
setpriv --reuid="$u" --regid="$u" --clear-groups \
	socat UNIX-LISTEN:"$sock",unlink-early OPEN:/dev/null &
fake=$!
PIDS_TO_KILL+=("$fake")
for _ in $(seq 100); do
	[ -S "$sock" ] && [ "$(stat -c %u "$sock")" = "$u" ] &&
		ss -xlp 2>/dev/null | grep -F "$sock" | grep >/dev/null "pid=$fake," && break
	sleep 0.1
done
expect_fail "vm1: cannot re-attach to the running VM: the watcher \(pid $wp\): its hand-over socket /proc/$wp/root/tmp/umlmon.handover belongs to pid $fake uid $u, not to the watcher" \
	"$UMLMON" vm1
kill "$fake" 2>/dev/null
kill -0 "$kp" || fail "the refused monitor hurt the running kernel"
kill -9 "$kp"
for _ in $(seq 100); do [ -z "$(jail_procs vm1)" ] && break; sleep 0.1; done
start_monitor vm1
boot vm1
watch vm1 -halt >/dev/null || fail "-halt"
log "PASS"
