#!/bin/bash
# kill -9 of the monitor while a -connect client is attached and the
# guest prints a counter every 100 ms; a new monitor re-attaches: the
# kernel, its start and the guest's uptime go on, -info says re-attached
# (when, after what), the log's counter has no gap, a client connects and
# types, -stop leaves nothing (reattach_lib.sh). A kernel whose watcher is
# gone cannot be re-attached to: refused, naming its pid.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reattach_lib.sh"

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
watch vm1 -halt >/dev/null || fail "-halt"
log "PASS"
