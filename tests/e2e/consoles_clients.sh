#!/bin/bash
# Consoles: two clients on con1 at once both see what one types; a
# read-only client cannot type; -screen shows the login prompt; the window
# size reaches the guest and follows SIGWINCH; the Ctrl-] menu continues,
# sends SysRq and quits, and the terminal is restored; -log -follow; a
# client that stops reading stalls nobody.
. "$(dirname "$0")/lib.sh"

setup
mkimage vm1
start_monitor vm1
boot vm1

# ---- the monitor's screen shows the login prompt ----
for _ in $(seq 50); do
	watch vm1 -screen con1 | grep >/dev/null 'vm1 login:' && break
	sleep 0.2
done
watch vm1 -screen con1 | grep >/dev/null 'vm1 login:' || fail "-screen: $(watch vm1 -screen con1)"

# ---- two writers and a watcher ----
tm_new a
tm_new b
tm_new c
tm_send a "$UMLWATCH vm1 -connect con1" Enter
tm_send b "$UMLWATCH vm1 -connect con1" Enter
tm_send c "$UMLWATCH vm1 -connect con1 -readonly" Enter
tm_wait a 'connected to vm1 con1; Ctrl-\] then q leaves'
tm_wait b 'connected to vm1 con1; Ctrl-\] then q leaves'
tm_wait c 'connected to vm1 con1 \(read-only\)'
tm_send a Enter
tm_wait a 'login:'
tm_send a root Enter
tm_wait a '# $' 20
# typed in a: seen in b and c
tm_send a 'echo "FROM-A-$((20 + 1))"' Enter
tm_wait a '^FROM-A-21' 10
tm_wait b '^FROM-A-21' 10
tm_wait c '^FROM-A-21' 10
# typed in b: seen in a
tm_send b 'echo "FROM-B-$((30 + 2))"' Enter
tm_wait a '^FROM-B-32' 10
# typed in the read-only client: goes nowhere
tm_send c 'echo "FROM-C-$((40 + 3))"' Enter
sleep 1
tm_capture a | grep >/dev/null 'FROM-C' && fail "the read-only client typed into the guest"
grep -q 'FROM-C' "$T/var/vm1/log/con1" && fail "the read-only client's input reached con1"
# the monitor's screen has what was typed
watch vm1 -screen con1 | grep >/dev/null '^FROM-B-32' || fail "-screen lacks FROM-B-32"

# ---- window size: the terminal's, and again after a resize ----
tm_send a 'echo "SIZE $(stty size)"' Enter
tm_wait a '^SIZE 30 100' 10
tm_resize a 90 25
sleep 0.5
tm_send a 'echo "SIZE2 $(stty size)"' Enter
tm_wait a '^SIZE2 25 90' 10

# ---- -log -follow prints the log, then what follows ----
timeout 8 "$UMLWATCH" vm1 -log con1 -follow >"$T/follow.out" 2>&1 &
fpid=$!
sleep 1
tm_send a 'echo "FOLLOW-$((50 + 5))"' Enter
wait_file "$T/follow.out" "FOLLOW-55" 10
grep -q 'FROM-A-21' "$T/follow.out" || fail "-log -follow did not print the log first"
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null

# ---- a client that stops reading stalls nobody ----
"$UMLWATCH" vm1 -connect con1 -readonly 2>/dev/null | sleep 600 &
stalled=$!
stalled_watch=$(jobs -p | tail -n 1)
# also when the test fails: the sleep holds the test's output open
PIDS_TO_KILL+=("$stalled" "$stalled_watch")
sleep 0.5
tm_send a 'seq 1 60000 | tail -n 1; seq 1 30000; echo "DONE-$((60 + 6))"' Enter
tm_wait b '^DONE-66' 60
start=$(date +%s%N)
[ "$(info_field vm1 state)" = running ] || fail "info during the flood"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
log "info answered in $ms ms while a client stalls"
[ $ms -lt 2000 ] || fail "info took $ms ms"
pkill -P "$$" sleep 2>/dev/null
kill "$stalled" "$stalled_watch" 2>/dev/null
wait "$stalled" 2>/dev/null
PIDS_TO_KILL=("${PIDS_TO_KILL[@]:0:${#PIDS_TO_KILL[@]}-2}") # ended: their pids are free

# ---- the Ctrl-] menu: continue, SysRq, quit; the terminal is restored ----
tm_send b C-]
tm_wait b 'q quit, s KEY SysRq'
tm_send b c
tm_wait b 'continuing'
tm_send b 'echo "STILL-$((70 + 7))"' Enter
tm_wait b '^STILL-77'
tm_send b C-] s h
tm_wait b 'SysRq sent'
wait_file "$T/var/vm1/log/con0" "sysrq: HELP" 10
tm_send b C-] q
tm_wait b 'left vm1 con1' 10
tm_wait b 'host\$ $' 5
tm_send b "stty -a | grep -o ' -\?icanon' | sed 's/^/AFTER:/'" Enter
tm_wait b 'AFTER: icanon' 5

watch vm1 -stop >/dev/null || fail "-stop"
# the clients still attached are told, and restore their terminals
tm_wait a 'con1 closed: the VM stopped' 20
tm_wait a 'host\$ $' 5
log "PASS"
