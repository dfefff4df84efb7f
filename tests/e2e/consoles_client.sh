#!/bin/bash
# The client: a run is checked whole before anything runs (a typo late in
# it boots nothing); -wait on a stopped VM; -start -wait returns once the
# guest is up; -screen after a stop says it is the old boot's, and a poll
# after the next start never sees the old boot; one separator per boot in
# the logs; -connect to a log-only channel and to a paused VM with input
# that is not a terminal ends, and says why, while a -readonly watcher
# stays; the prompt (libedit) completes commands and channels, recalls
# history, starts on its own line and drops a terminal's cursor report;
# -escape ^X and -escape none; a client with no configuration says where
# it looked.
. "$(dirname "$0")/lib.sh"

setup
mkimage vm1
start_monitor vm1
mlog=$T/var/vm1/log/monitor.log

# until N lines of the terminal match: tm_wait_count NAME REGEX N
tm_wait_count() {
	for _ in $(seq 100); do
		[ "$(tm_capture "$1" | grep -c -- "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	fail "$1: $(tm_capture "$1" | grep -c -- "$2") lines match '$2', expected $3"
}

# ---- the whole run is checked first: nothing starts ----
expect_fail "unknown command 'conect' \(did you mean -connect\?\)" \
	watch vm1 -start -conect con1
expect_fail "stop: '5x' is not a timeout in seconds" watch vm1 -start -stop 5x
expect_fail "vm1: no channel 'cno1' \(channels: con0, con1, ssl0\)" \
	watch vm1 -start -connect cno1
watch vm1 -start -conect con1 >/dev/null 2>&1
[ $? = 2 ] || fail "a run with a typo: exit status is not 2 (usage)"
[ "$(info_field vm1 state)" = stopped ] || fail "a run with a typo changed the state"
grep -q 'starting' "$mlog" && fail "a run with a typo started the VM"

# ---- -wait on a stopped VM ----
expect_fail "vm1: not running \(state stopped\)" watch vm1 -wait 5

# ---- -start -wait returns once the guest is up ----
out=$(watch vm1 -start -wait 120 2>&1) || fail "-start -wait: $out"
log "$out"
remember_vm_pids vm1
printf '%s\n' "$out" | grep -E >/dev/null 'vm1: up [0-9.]+ s after the start' ||
	fail "-wait did not say when the guest was up: $out"
# the monitor logged it before it answered
grep -E >/dev/null 'vm1: the guest is up after [0-9]+ ms' "$mlog" ||
	fail "-start -wait returned before the monitor saw the guest up"
watch vm1 -info >"$T/info" || fail "-info"
grep -E >/dev/null '^boot +1 since the monitor started$' "$T/info" || fail "-info: no boot 1"
grep -E >/dev/null '^guest up +[0-9.]+ s after the start$' "$T/info" || fail "-info: no guest up"
grep -E >/dev/null '^con1 +pty +open +[0-9]+ bytes of output, [0-9]+ readers?' "$T/info" ||
	fail "-info: channel line: $(grep ^con1 "$T/info")"
# a second -wait answers at once
watch vm1 -wait 0 >/dev/null || fail "-wait 0 on a guest that is up"

# ---- -screen: an old boot is named as such ----
log=$T/var/vm1/log/con1
wait_file "$log" "login:" 60
printf 'root\n' | watch vm1 -connect con1 >/dev/null 2>&1
wait_file "$log" "root@vm1:~# " 30
printf 'echo "OLD-BOOT-$((6 * 7))"\n' | watch vm1 -connect con1 >/dev/null 2>&1
wait_file "$log" "OLD-BOOT-42" 30
watch vm1 -screen con1 2>"$T/screen.err" | grep >/dev/null '^OLD-BOOT-42' ||
	fail "-screen lacks OLD-BOOT-42"
[ -s "$T/screen.err" ] && fail "-screen of the running boot has a note: $(cat "$T/screen.err")"
watch vm1 -stop >/dev/null || fail "-stop"
watch vm1 -screen con1 2>"$T/screen.err" | grep >/dev/null '^OLD-BOOT-42' ||
	fail "-screen after the stop lacks the old screen"
grep -E >/dev/null 'vm1 con1: the VM is stopped; this screen is from boot 1, which ended at [0-9-]+ [0-9:]+' \
	"$T/screen.err" || fail "-screen after the stop: '$(cat "$T/screen.err")'"
watch vm1 -start >/dev/null || fail "-start"
remember_vm_pids vm1
# poll as a script would: never the old boot, until the new login prompt
for i in $(seq 600); do
	watch vm1 -screen con1 >"$T/screen.out" 2>"$T/screen.err" || fail "-screen"
	grep -q 'OLD-BOOT' "$T/screen.out" && fail "poll $i after the start saw the old boot's screen"
	[ -s "$T/screen.err" ] && fail "poll $i: $(cat "$T/screen.err")"
	grep -q 'login:' "$T/screen.out" && break
	sleep 0.1
done
grep -q 'login:' "$T/screen.out" || fail "no login prompt on the new boot's screen"
log "the new boot's login prompt after $i polls, the old screen never"
# one separator per boot, in order, in every channel's log
for ch in con0 con1 ssl0; do
	n=$(grep -c '^==== umlmon: vm1 boot [0-9]*, started ' "$T/var/vm1/log/$ch")
	[ "$n" = 2 ] || fail "$ch: $n boot separators, expected 2"
	grep '^==== umlmon' "$T/var/vm1/log/$ch" | sed -n 2p | grep >/dev/null 'boot 2,' ||
		fail "$ch: the second separator is not boot 2's"
done
watch vm1 -wait 120 >/dev/null || fail "-wait after the second start"

# ---- -connect without a terminal: log-only channel, paused VM ----
# a read-only watcher does not read its input: it stays until the VM stops
"$UMLWATCH" vm1 -connect con1 -readonly </dev/null >/dev/null 2>"$T/ro.err" &
ropid=$!
wait_file "$T/ro.err" "connected to vm1 con1 (read-only)" 10
for input in /dev/null pipe; do
	start=$(date +%s)
	if [ $input = pipe ]; then
		printf 'echo NOT-SENT\n' | timeout 20 "$UMLWATCH" vm1 -connect con0 >/dev/null 2>"$T/c.err"
	else
		timeout 20 "$UMLWATCH" vm1 -connect con0 </dev/null >/dev/null 2>"$T/c.err"
	fi
	rc=$?
	[ $rc = 0 ] || fail "-connect con0 with input from $input: exit $rc ($(cat "$T/c.err"))"
	grep >/dev/null 'vm1: con0 is log-only: watching without input' "$T/c.err" ||
		fail "-connect con0: $(cat "$T/c.err")"
	log "-connect con0 <$input ended after $(( $(date +%s) - start )) s"
done
grep -q 'NOT-SENT' "$T/var/vm1/log/con0" && fail "input reached the log-only con0"
watch vm1 -pause >"$T/p.out" || fail "-pause"
grep >/dev/null 'vm1: paused' "$T/p.out" || fail "-pause said '$(cat "$T/p.out")'"
timeout 20 "$UMLWATCH" vm1 -connect con1 </dev/null >/dev/null 2>"$T/c.err" ||
	fail "-connect to the paused VM: $(cat "$T/c.err")"
grep >/dev/null 'vm1: the VM is paused' "$T/c.err" || fail "-connect while paused: $(cat "$T/c.err")"
watch vm1 -resume >"$T/p.out" || fail "-resume"
grep >/dev/null 'vm1: resumed' "$T/p.out" || fail "-resume said '$(cat "$T/p.out")'"

# ---- the prompt: completion, history, own line, terminal replies ----
tm_new p
tm_send p "$UMLWATCH vm1" Enter
tm_wait p 'umlwatch vm1> $' 10
tm_send p inf Tab
tm_wait p 'umlwatch vm1> info $' 10
tm_send p Enter
tm_wait p '^monitor pid' 10
tm_wait p 'umlwatch vm1> $' 10
tm_send p Up
tm_wait p 'umlwatch vm1> info$' 10
tm_send p Enter
tm_wait_count p '^monitor pid' 2  # the up arrow ran info again
# channel names come from the monitor
tm_send p "scr" Tab "ss" Tab
tm_wait p 'umlwatch vm1> screen ssl0 $' 10
tm_send p C-u "screen c" Tab
tm_wait p 'umlwatch vm1> screen con *$' 10
tm_send p Tab
tm_wait p '^con0  con1$' 10
tm_send p 1 Enter
tm_wait p '^vm1 login:' 10
# a log that ends mid-line ("vm1 login: "): the prompt is on its own line
# The log holds the guest shell's questions for the cursor position
# (ESC [ 6 n): the terminal's answers come back while the command runs or
# at the prompt, and are neither echoed nor run.
tm_send p "log con1" Enter
tm_wait p '^umlwatch vm1> $' 10
tm_capture p | grep -E >/dev/null 'login: *umlwatch vm1>' && fail "the prompt is glued to the log's last line"
tm_capture p | grep -F '^[[' && fail "a terminal reply was echoed"
# a console session left in the middle of a line
tm_send p "connect con1" Enter
tm_wait p 'connected to vm1 con1; Ctrl-\] then q leaves' 10
tm_send p Enter
tm_wait p 'login: $' 20
tm_send p C-] q
tm_wait p '^umlwatch: left vm1 con1' 10
tm_wait p '^umlwatch vm1> $' 10
# a cursor position report (the terminal's answer to ESC [ 6 n) that
# arrives at the prompt, also amid a command, is not input
tm_send p -l 'inf'
tm_send p -l $'\e[24;1R'
tm_send p -l 'o'
tm_send p Enter
tm_wait_count p '^monitor pid' 3  # info ran, the report in it dropped
tm_send p -l $'\e[5;1R'
tm_send p Enter
tm_send p -l $'\e]11;rgb:0000/0000/0000\e\\'
tm_send p Enter
tm_send p "sysrq" Enter
tm_wait p 'sysrq: too few arguments' 10
tm_capture p | grep -E >/dev/null "unknown command|ambiguous" &&
	fail "a terminal reply was read as a command: $(tm_capture p | grep -E 'unknown|ambiguous')"
tm_send p quit Enter
tm_wait p 'host\$ $' 10

# ---- -escape ^X and -escape none: Ctrl-] goes to the guest ----
# (cat -v in the guest shows what reached it)
tm_new x
tm_send x "$UMLWATCH -escape ^X vm1 -connect con1" Enter
tm_wait x 'connected to vm1 con1; Ctrl-X then q leaves' 10
tm_send x Enter
tm_wait x 'login: $' 20
tm_send x root Enter
tm_wait x '# $' 20
tm_send x 'cat -v' Enter
tm_send x C-] Enter
tm_wait x '^\^\]$' 10
tm_capture x | grep >/dev/null 'q quit, s KEY' && fail "Ctrl-] opened the menu with -escape ^X"
tm_send x C-d
tm_wait x '# $' 10
tm_send x C-x
tm_wait x 'q quit, s KEY SysRq \(a break\), Ctrl-X sends Ctrl-X' 10
tm_send x q
tm_wait x 'left vm1 con1' 10
tm_wait x 'host\$ $' 10
tm_new n
tm_send n "$UMLWATCH -escape none vm1 -connect con1" Enter
tm_wait n 'connected to vm1 con1; no escape key' 10
tm_send n Enter
tm_wait n '# $' 20
tm_send n 'cat -v' Enter
tm_send n C-] q Enter
tm_wait n '^\^\]q$' 10
tm_capture n | grep >/dev/null 'q quit, s KEY' && fail "-escape none opened a menu"
tm_send n C-d
tm_wait n '# $' 10
pane=$(tmux list-panes -t "=$(tm_id n):" -F '#{pane_pid}')
wpid=$(pgrep -P "$pane" umlwatch) || fail "no umlwatch in the terminal"
kill -TERM "$wpid"
tm_wait n 'left vm1 con1' 10
tm_wait n 'host\$ $' 10
expect_fail "-escape '\^\[': Escape starts the keys of the terminal" watch -escape '^[' vm1 -info

# ---- no configuration, no monitor: where it looked, what to do ----
out=$(UMLMON_CONFIG=$T/nothing.conf "$UMLWATCH" vm1 -info 2>&1)
rc=$?
[ $rc = 3 ] || fail "without a configuration: exit $rc ($out)"
printf '%s\n' "$out" | grep -F >/dev/null \
	"vm1: no configuration ($T/nothing.conf: No such file or directory) and no monitor at /var/lib/umlmon/vm1/ctrl; name the configuration with UMLMON_CONFIG=FILE or -c FILE" ||
	fail "without a configuration: $out"

kill -0 $ropid 2>/dev/null || fail "the read-only watcher left before the VM stopped"
watch vm1 -halt >/dev/null
wait $ropid
rc=$?
[ $rc = 0 ] || fail "the read-only watcher: exit $rc ($(cat "$T/ro.err"))"
grep >/dev/null 'con1 closed: the VM stopped' "$T/ro.err" ||
	fail "the read-only watcher: $(cat "$T/ro.err")"
log "PASS"
