#!/bin/bash
# The control socket under abuse: clients that leave while calls of theirs
# wait (two console reads while the guest prints, two stops), many
# pipelined calls, clients that never read their replies, thousands of
# parked reads dropped at once, one that leaves
# in the middle of a record, a monitor out of file descriptors, and fds the
# daemon inherited. The monitor survives each, keeps serving, and the VM
# still stops cleanly. Under ASan (CI) a use-after-free here is a report.
. "$(dirname "$0")/lib.sh"

RPCABUSE=$B/tests/e2e/rpcabuse
[ -x "$RPCABUSE" ] || need "$RPCABUSE (build first)"

setup
mkimage vm1
sock=$T/var/vm1/ctrl
log=$T/var/vm1/log
abuse() {
	log "rpcabuse $*"
	"$RPCABUSE" "$sock" "$@" >"$T/abuse.out" 2>&1 || {
		cat "$T/abuse.out" >&2
		fail "rpcabuse $*"
	}
	sed 's/^/  /' "$T/abuse.out" >&2
}
alive() { # WHAT: the monitor still runs and answers
	kill -0 "$mon" 2>/dev/null || fail "the monitor died ($1)"
	[ "$(info_field vm1 state)" = "$2" ] ||
		fail "$1: state '$(info_field vm1 state)', expected $2"
}

# ---- fds the caller left open are not the daemon's ----
exec 7>"$T/inherited"
start_monitor vm1
exec 7>&-
mon=$(monitor_pid vm1)
if ls -l "/proc/$mon/fd" | grep -F "$T/inherited" >/dev/null; then
	fail "the monitor keeps the fd it inherited: $(ls -l "/proc/$mon/fd" | grep -F "$T/inherited")"
fi
# started with 0, 1 and 2 closed, it runs (its own descriptors must not
# take those numbers: daemonize puts /dev/null there) and keeps its lock
add_vm vm2 'memory = 64M' 'ubd0 = /disks/root.dsk'
"$UMLMON" vm2 <&- >&- 2>&- || fail "umlmon vm2 with 0, 1 and 2 closed did not start"
PIDS_TO_KILL+=("$(monitor_pid vm2)")
[ "$(info_field vm2 state)" = stopped ] || fail "the monitor of vm2 does not answer"
expect_fail "vm2: a monitor is already running \(pid $(monitor_pid vm2)," "$UMLMON" vm2
kill -0 "$(monitor_pid vm2)" || fail "the monitor of vm2 died"

# ---- a guest that prints without end on con1 ----
boot vm1
wait_file "$log/con1" "login:" 30
printf 'root\n' | watch vm1 -connect con1 >/dev/null 2>&1
wait_file "$log/con1" "root@vm1:~# " 30
# (a full ring first, so that console reads from its start get 64 KiB
# each; paced, because under the ASan build a burst stalls the guest's
# output for a minute while the monitor idles, a problem of its own)
printf 'for i in $(seq 80); do dd if=/dev/zero bs=4k count=1 2>/dev/null | tr "\\0" x; usleep 10000; done; echo; while :; do echo tick-$((1 + 1)); usleep 5000; done\n' |
	watch vm1 -connect con1 >/dev/null 2>&1
wait_file "$log/con1" "tick-2" 60

# ---- two parked reads, then the client leaves while output comes ----
# SHUT_RD: the monitor sees nothing until its first reply fails (EPIPE);
# the second call must still be whole when the wake-up reaches it
abuse reads-shutrd 200
alive "two parked reads, then SHUT_RD" running
# close: whichever the monitor sees first, the output or the end
abuse reads-close 500
alive "two parked reads, then close" running

# ---- pipelining is allowed: all answered, in order ----
abuse pipeline 2000
alive "2000 pipelined calls" running

# ---- clients that never read: the monitor stops serving them, serves
# others meanwhile, and answers all once they read ----
if ldd "$UMLMON" | grep -F libasan >/dev/null; then
	abuse no-read 20000 # ASan keeps freed memory: no figure of its own
	abuse no-read 5000 - 30
else
	abuse no-read 20000 "$mon"
	grew=$(sed -n 's/^its memory grew by \(-*[0-9]*\) KiB$/\1/p' "$T/abuse.out")
	[ -n "$grew" ] || fail "no memory figure from rpcabuse"
	# 20000 answers of 64 KiB are 1.2 GiB; the limit of one is 1 MiB
	[ "$grew" -lt 4096 ] || fail "the monitor grew by $grew KiB for a client that does not read"
	# thirty of them: 16 MiB of answers in all, what each holds beyond,
	# and the heap's own slack after the tests above (124 MiB before the
	# limit in total; 18 to 33 MiB with it)
	abuse no-read 5000 "$mon" 30
	grew=$(sed -n 's/^its memory grew by \(-*[0-9]*\) KiB$/\1/p' "$T/abuse.out")
	[ "$grew" -lt 40960 ] || fail "the monitor grew by $grew KiB for 30 clients that do not read"
fi
alive "clients that never read" running

# ---- a client that leaves in the middle of a record ----
abuse half-record
alive "half a record" running

# quiet guest for the CPU figure below
printf '\003echo quiet-$((2 + 2))\n' | watch vm1 -connect con1 >/dev/null 2>&1
wait_file "$log/con1" "quiet-4" 30

# ---- thousands of parked reads (the guest is quiet: output would wake
# them), dropped at once, the newest first ----
abuse park 16000
ms=$(sed -n 's/^dropped them in \([0-9]*\) ms$/\1/p' "$T/abuse.out")
[ -n "$ms" ] && [ "$ms" -lt 5000 ] || fail "16000 parked reads took ${ms:-?} ms to drop"
alive "16000 parked reads" running

# ---- out of file descriptors: no spinning, one line, then it recovers ----
said='cannot accept clients: Too many open files'
top=$(ls "/proc/$mon/fd" | sort -n | tail -n 1)
read -r soft hard < <(prlimit --pid "$mon" --nofile --output SOFT,HARD --noheadings)
prlimit --pid "$mon" --nofile="$((top + 4)):$hard" || fail "prlimit"
mkfifo "$T/release"
"$RPCABUSE" "$sock" hold 40 <"$T/release" >"$T/hold.out" 2>&1 &
holder=$!
exec 9>"$T/release"
wait_file "$T/hold.out" "holding 40 connections" 30
wait_file "$log/monitor.log" "$said" 30
log "$(grep -F "$said" "$log/monitor.log")"
watch vm1 -info >"$T/late.out" 2>&1 9>&- &
late=$!
hz=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$mon/stat"; }
c0=$(cpu)
sleep 3 # the window of the CPU figure, not a wait for an event
used=$(($(cpu) - c0))
log "CPU of the monitor in 3 s without descriptors: $used ticks ($hz/s)"
[ "$used" -le $((hz * 3 / 10)) ] || fail "the monitor used $used ticks in 3 s while out of descriptors"
[ "$(grep -cF "$said" "$log/monitor.log")" = 1 ] ||
	fail "$(grep -cF "$said" "$log/monitor.log") log lines for one shortage of descriptors"
kill -0 "$late" 2>/dev/null || fail "a client was served while there were no descriptors: $(cat "$T/late.out")"
# the held connections close: the client that waited is served
exec 9>&-
wait "$holder" || fail "the holder failed: $(cat "$T/hold.out")"
for _ in $(seq 1 300); do
	kill -0 "$late" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$late" 2>/dev/null && fail "the client that waited was not served once descriptors were free"
wait "$late" || fail "the client that waited: $(cat "$T/late.out")"
grep -E '^state +running$' "$T/late.out" >/dev/null || fail "the client that waited got: $(cat "$T/late.out")"
[ "$(grep -cF "$said" "$log/monitor.log")" = 1 ] ||
	fail "$(grep -cF "$said" "$log/monitor.log") log lines for one shortage of descriptors"
prlimit --pid "$mon" --nofile="$soft:$hard" || fail "prlimit"
alive "out of descriptors" running

# ---- two stops, then SHUT_RD: both replies go nowhere ----
abuse two-stops
alive "two stops, then SHUT_RD" stopped
grep -F 'vm1: stopped: ' "$log/monitor.log" >/dev/null || fail "the stop is not logged"
[ -z "$(jail_mounts vm1)" ] || fail "mounts left after the stop: $(jail_mounts vm1)"

# ---- and the VM still starts and stops as usual ----
boot vm1
out=$(watch vm1 -stop 2>&1) || fail "-stop: $out"
alive "the last stop" stopped
stop_monitor vm1
grep -F 'monitor exiting' "$log/monitor.log" >/dev/null || fail "the monitor did not exit cleanly"
log "ok"
