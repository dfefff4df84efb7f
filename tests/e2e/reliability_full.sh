#!/bin/bash
# Full host resources. vm1's log directory (VARDIR/vm1/log) is a 2 MiB
# tmpfs of this test's own. Full before the start: umlmon refuses with rc 1
# and says why on stderr, and leaves no monitor. Full while the VM runs:
# the console still works (typed input, output on -screen), RPC answers;
# once there is room again con1's log resumes with a line that says how
# many bytes were lost, and the monitor's log says the same of its lines.
# A VM larger than the host's memory (and its tmpfs) is refused with a
# message that says so. A monitor out of descriptors refuses a boot with
# a message that says why, and boots once it has them again (clients
# beyond its descriptors: core_rpc_abuse).
. "$(dirname "$0")/lib.sh"

setup
total_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo)
big_mib=$((total_kb / 1024 + 1024))
add_vm big "memory = ${big_mib}M" 'ubd0 = /disks/root.dsk'
mkimage vm1
L=$T/var/vm1/log
mkdir -p "$L"
mount -t tmpfs -o size=2M,mode=750 umlmon-e2e-full "$L" || fail "mount a tmpfs on $L"
fill() { # until the tmpfs is full
	dd if=/dev/zero of="$L/fill" bs=4k 2>/dev/null && fail "dd filled 2M without an error"
	[ "$(stat -f -c %a "$L")" = 0 ] || fail "$L is not full: $(stat -f -c '%a of %b free' "$L")"
}

# ---- full before the start: refused, and said ----
fill
"$UMLMON" vm1 >"$T/start.out" 2>&1 && fail "umlmon started with a full log dir: $(cat "$T/start.out")"
log "$(cat "$T/start.out")"
grep -E >/dev/null "^umlmon: vm1: cannot write its log $L/monitor.log: No space left on device" \
	"$T/start.out" || fail "the refusal says: $(cat "$T/start.out")"
p=$(monitor_pid vm1)
[ -n "$p" ] && kill -0 "$p" 2>/dev/null && fail "a monitor ($p) runs after the refusal"
[ -e "$T/var/vm1/ctrl" ] && fail "the refused monitor left its socket"
rm -f "$L/fill"

# ---- full while the VM runs ----
start_monitor vm1
boot vm1
wait_file "$L/con1" "login:" 60
printf 'root\n' | "$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1
wait_file "$L/con1" "root@vm1:~# " 30
fill
# output while full: 20 KB of numbered lines, then a marker (computed, so
# that the echo of the typed line does not match)
printf '%s\n' 'seq 10001 14000; echo FULL-$((6 * 7))' |
	"$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1 || fail "umlwatch -connect con1 while full"
for _ in $(seq 1 300); do
	watch vm1 -screen con1 2>/dev/null | grep >/dev/null '^FULL-42' && break
	sleep 0.1
done
watch vm1 -screen con1 2>/dev/null | grep >/dev/null '^FULL-42' ||
	fail "the console's output is not on -screen while the log dir is full"
[ "$(info_field vm1 state)" = running ] || fail "vm1: state $(info_field vm1 state) while full"
grep -aF >/dev/null "FULL-42" "$L/con1" && fail "FULL-42 reached a full disk"

# ---- room again: the log resumes and says what it lost ----
rm -f "$L/fill"
printf '%s\n' 'echo BACK-$((6 * 7))' | "$UMLWATCH" vm1 -connect con1 >/dev/null 2>&1 ||
	fail "umlwatch -connect con1 after the space came back"
wait_file "$L/con1" "BACK-42" 30
note=$(grep -aoE '\[umlmon: [0-9]+ bytes not logged: No space left on device\]' "$L/con1") ||
	fail "no note of the lost bytes in con1's log: $(tail -c 300 "$L/con1")"
lost=$(echo "$note" | tail -n 1 | sed 's/[^0-9]*\([0-9]*\).*/\1/')
log "con1: $note"
# the lost part holds the 4000 lines of 7 bytes (CR LF), less what the
# tmpfs's last page of con1 still took
[ "$lost" -ge $((4000 * 7 - 4096)) ] || fail "only $lost bytes noted as lost"
grep -F >/dev/null "written again; $lost bytes were lost (No space left on device)" "$L/monitor.log" ||
	fail "the monitor's log does not say con1 resumed: $(tail -n 5 "$L/monitor.log")"
# the outage itself: its line, where the monitor's log still had room in
# its last page, else the note of the monitor's own lost lines
said="log $L/con1: No space left on device (output is counted, not logged, until it can be written)"
grep -F >/dev/null "$said" "$L/monitor.log" ||
	grep -E >/dev/null '^\[umlmon: [0-9]+ messages not logged: No space left on device\]$' "$L/monitor.log" ||
	fail "the monitor's log says nothing of the outage: $(tail -n 5 "$L/monitor.log")"
[ "$(grep -cF "$said" "$L/monitor.log")" -le 1 ] || fail "the outage is said more than once"
log "monitor.log: $(grep -E 'messages not logged|counted, not logged|written again' "$L/monitor.log" | tr '\n' ' ')"
watch vm1 -halt >/dev/null || fail "vm1 -halt"
rm -f "$L"/con*

# ---- out of descriptors at a boot (as with no free pty: the host's pty
# limit is host-wide and not for a test to lower): refused, said, and the
# monitor goes on; with descriptors again the VM boots ----
mon=$(monitor_pid vm1)
top=$(ls "/proc/$mon/fd" | sort -n | tail -n 1)
read -r soft hard < <(prlimit --pid "$mon" --nofile --output SOFT,HARD --noheadings)
prlimit --pid "$mon" --nofile="$((top + 3)):$hard" || fail "prlimit"
expect_fail "^umlwatch: vm1: .*Too many open files" watch vm1 -start
[ "$(info_field vm1 state)" = stopped ] || fail "vm1: state $(info_field vm1 state) after the refused start"
[ -z "$(jail_mounts vm1)" ] || fail "mounts after the refused start: $(jail_mounts vm1)"
prlimit --pid "$mon" --nofile="$soft:$hard" || fail "prlimit"
boot vm1
watch vm1 -halt >/dev/null || fail "vm1 -halt"

# ---- larger than the host's memory: refused, and said ----
start_monitor big
expect_fail "^umlwatch: big: cannot start: not enough memory left on the host: the VM needs $((big_mib + 32)) MiB \(memory $big_mib MiB \+ 32 MiB for its tmp\)" \
	watch big -start
[ -z "$(jail_mounts big)" ] || fail "mounts after the refused start: $(jail_mounts big)"
log "PASS"
